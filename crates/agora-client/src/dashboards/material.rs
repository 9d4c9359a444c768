//! The charts' material: Bevy's mesh pipeline with the fragment shader in `shaders/chart.wgsl`.

use bevy::asset::{load_internal_asset, uuid_handle};
use bevy::prelude::*;
use bevy::render::render_resource::AsBindGroup;
use bevy::shader::{Shader, ShaderRef};

/// The chart shader, compiled into the binary so the plaza needs no asset folder.
const CHART_SHADER: Handle<Shader> = uuid_handle!("4b8e2f0c-62d1-4a7e-9a39-3c1f5d7e8a21");

/// How one part of a chart is drawn.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct ChartMaterial {
    /// The chart's colour (linear).
    #[uniform(0)]
    pub colour: LinearRgba,
    /// x: 1 when the feed is stale; y: the style (0 bars, 1 area under a line, 2 gauge track,
    /// 3 plain: a line or a gauge's value).
    #[uniform(1)]
    pub params: Vec4,
}

/// A part's style, as the shader reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bars, ruled every tenth of the scale.
    Bars,
    /// The line, the gauge's value.
    Plain,
    /// The veil under a line.
    Area,
    /// The gauge's full scale behind its value.
    Track,
}

impl ChartMaterial {
    /// A material for `style` in `colour`.
    pub fn new(colour: Color, style: Style) -> ChartMaterial {
        let style = match style {
            Style::Bars => 0.0,
            Style::Area => 1.0,
            Style::Track => 2.0,
            Style::Plain => 3.0,
        };
        ChartMaterial {
            colour: colour.to_linear(),
            params: Vec4::new(0.0, style, 0.0, 0.0),
        }
    }

    /// Marks the chart stale (grey, hatched) or live.
    pub fn set_stale(&mut self, stale: bool) {
        self.params.x = if stale { 1.0 } else { 0.0 };
    }

    /// Whether the chart is shown stale.
    pub fn stale(&self) -> bool {
        self.params.x > 0.5
    }
}

impl Material for ChartMaterial {
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Handle(CHART_SHADER)
    }
}

/// Registers the material and its shader.
pub fn plugin(app: &mut App) {
    load_internal_asset!(
        app,
        CHART_SHADER,
        "../../../../shaders/chart.wgsl",
        Shader::from_wgsl
    );
    app.add_plugins(MaterialPlugin::<ChartMaterial>::default());
}
