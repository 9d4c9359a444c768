//! Agora's plaza client: the Bevy app behind the `agora` binary.
//!
//! One feature, one plugin, one file: [`scene`] places what the layout file describes,
//! [`booths`] and [`scenery`] give it its look, [`citizen`] walks a citizen through it in
//! desktop mode, [`pointer`] and [`panel`] open each window's form on its booth, [`session`]
//! signs and submits off the frame, [`dashboards`] show the city's live data, [`xr`] brings the
//! plaza into a headset, and [`screenshot`] renders one view to a PNG. [`PlazaPlugin`] wires
//! them together; tests and benchmarks take the pieces they need.

#[macro_use]
pub mod lang;
pub mod booths;
pub mod citizen;
pub mod commands;
pub mod dashboards;
pub mod kiosk;
pub mod panel;
pub mod pointer;
pub mod scene;
pub mod scenery;
pub mod screenshot;
pub mod session;
pub mod settings;
pub mod sound;
pub mod textures;
pub mod xr;

use bevy::prelude::*;

use crate::lang::Lang;
use crate::scene::Plaza;
use crate::scene::layout::PlazaLayout;
use crate::screenshot::ScreenshotRequest;

/// The order of the frame, stated once. Every `Update` system of the client belongs to one of
/// these sets.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppSystems {
    /// Turn raw input into intent (pointer capture, key state).
    RecordInput,
    /// Act on it: move the citizen, advance what changes.
    Update,
    /// Show the result: overlays and anything else that mirrors state.
    Present,
}

/// The plaza the citizen walks in, built from `layout`.
#[derive(Debug, Clone)]
pub struct PlazaPlugin {
    /// What stands where.
    pub layout: PlazaLayout,
    /// The language the interface speaks.
    pub lang: Lang,
    /// When set, render this one view to a file and exit instead of letting a citizen in.
    pub screenshot: Option<ScreenshotRequest>,
    /// The data directory the citizen's identity, archive and embedded ledger live in.
    pub home: std::path::PathBuf,
    /// The service catalog the windows serve.
    pub catalog: agora_services::Catalog,
    /// Where it came from: the city's directory, or the built-in demo (whose desk runs in
    /// process).
    pub catalog_source: agora_gateway::CatalogSource,
    /// The ledger the windows' applications go to.
    pub ledger: commands::gateway::LedgerSpec,
    /// The kiosk's configuration when the plaza runs as a service hall's kiosk.
    pub kiosk: Option<kiosk::Kiosk>,
    /// The headset's comfort settings when the plaza opens in XR (the app must then have been
    /// built with bevy_mod_openxr's plugins); `None` on the desktop.
    pub xr: Option<xr::interaction::Comfort>,
}

impl Plugin for PlazaPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.lang)
            .init_resource::<settings::SettingsStore>()
            .add_systems(Update, settings::follow.in_set(AppSystems::Update));
        app.add_plugins(core_plugin(self.layout.clone()));
        app.add_plugins((
            lang::plugin,
            booths::plugin,
            scenery::plugin,
            citizen::plugin,
            pointer::plugin,
            panel::plugin(
                self.home.clone(),
                self.catalog.clone(),
                self.catalog_source.clone(),
                self.ledger.clone(),
                self.kiosk.as_ref().map(|k| k.outbox.clone()),
            ),
            dashboards::feeds_plugin(agora_feeds::Options::default()),
            dashboards::plugin,
            xr::notice_plugin,
            sound::plugin(self.kiosk.is_some()),
        ))
        .init_resource::<panel::PanelPlacement>();
        if let Some(kiosk) = &self.kiosk {
            app.add_plugins(kiosk::plugin(kiosk.clone()));
        }
        if let Some(comfort) = &self.xr {
            app.insert_resource(comfort.clone())
                .insert_resource(xr::XrStatus::Starting)
                .add_plugins((
                    xr::interaction::plugin,
                    xr::openxr::plugin,
                    xr::visuals::plugin,
                ));
        }
        // The Comfort view shows the panel as a headset would, without one.
        let comfort_view = self
            .screenshot
            .as_ref()
            .is_some_and(|r| matches!(r.view, screenshot::View::Comfort(_)));
        if comfort_view && self.xr.is_none() {
            app.insert_resource(xr::interaction::Comfort {
                settings: xr::comfort::ComfortSettings::default(),
                reduced_motion: false,
            })
            .insert_resource(panel::PanelPlacement::WithinReach);
        }
        if let Some(request) = &self.screenshot {
            app.insert_resource(request.clone())
                .add_plugins(screenshot::plugin);
        }
    }
}

/// Bevy's default plugins with no window, no GPU and no global logger: everything the client
/// runs on the CPU. Benchmarks and the scene budget build the whole plaza on these.
pub fn headless_plugins() -> bevy::app::PluginGroupBuilder {
    use bevy::render::RenderPlugin;
    use bevy::render::settings::{RenderCreation, WgpuSettings};
    DefaultPlugins
        .set(RenderPlugin {
            render_creation: RenderCreation::Automatic(Box::new(WgpuSettings {
                backends: None,
                ..default()
            })),
            ..default()
        })
        .set(WindowPlugin {
            primary_window: None,
            exit_condition: bevy::window::ExitCondition::DontExit,
            ..default()
        })
        .disable::<bevy::winit::WinitPlugin>()
        // Silent: tests listen offline (`sound::mix`), and CI has no device.
        .disable::<bevy::audio::AudioPlugin>()
        // Two apps in one process cannot both install the global logger.
        .disable::<bevy::log::LogPlugin>()
}

/// What the plaza *is*, with no window, renderer or input: the frame's order and the entities
/// the layout describes. Headless tests and benchmarks start from this.
pub fn core_plugin(layout: PlazaLayout) -> impl Fn(&mut App) {
    move |app: &mut App| {
        app.configure_sets(
            Update,
            (
                AppSystems::RecordInput,
                AppSystems::Update,
                AppSystems::Present,
            )
                .chain(),
        )
        .insert_resource(Plaza(layout.clone()))
        .add_plugins(scene::plugin);
    }
}
