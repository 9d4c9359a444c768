//! The panel's colours. Both themes meet WCAG 2.2 AA: text at least 4.5:1 against what is
//! behind it (3:1 for large text), measured from the panel's pixels in the tests. The
//! high-contrast theme goes further: white on black, yellow for focus and hover with a thick
//! outline (visible by more than colour), and strong colours for the outcomes, whose words
//! say what they are anyway.

use bevy_egui::egui::{self, Color32, Stroke};
use serde::{Deserialize, Serialize};

/// Which theme the citizen chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Contrast {
    /// Light text on dark blue.
    #[default]
    Standard,
    /// White on black, yellow focus.
    High,
}

/// The colours of one theme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    /// Body text.
    pub ink: Color32,
    /// Secondary text: help, hints, the department's name.
    pub muted: Color32,
    /// Behind everything.
    pub background: Color32,
    /// Behind a card (an application, the policy's rules).
    pub card: Color32,
    /// Inside a text box.
    pub field: Color32,
    /// Approved, saved.
    pub good: Color32,
    /// Rejected, a mistake to fix.
    pub bad: Color32,
    /// Waiting, referred, a demonstration.
    pub wait: Color32,
    /// A button at rest, and its text.
    pub button: Color32,
    /// A button under the pointer or chosen.
    pub button_active: Color32,
    /// Outlines of focus and hover.
    pub focus: Color32,
    /// How thick those outlines are.
    pub focus_width: f32,
    /// Behind the on-panel keyboard.
    pub keyboard: Color32,
}

const STANDARD: Theme = Theme {
    ink: Color32::from_rgb(236, 240, 244),
    muted: Color32::from_rgb(170, 184, 200),
    background: Color32::from_rgb(18, 27, 38),
    card: Color32::from_rgb(30, 42, 56),
    field: Color32::from_rgb(10, 16, 24),
    good: Color32::from_rgb(84, 206, 130),
    bad: Color32::from_rgb(255, 132, 120),
    wait: Color32::from_rgb(242, 184, 64),
    button: Color32::from_rgb(52, 64, 80),
    button_active: Color32::from_rgb(40, 96, 150),
    focus: Color32::from_rgb(140, 196, 255),
    focus_width: 2.0,
    keyboard: Color32::from_rgb(24, 30, 40),
};

const HIGH: Theme = Theme {
    ink: Color32::WHITE,
    muted: Color32::from_rgb(224, 224, 224),
    background: Color32::BLACK,
    card: Color32::from_rgb(14, 14, 14),
    field: Color32::BLACK,
    good: Color32::from_rgb(96, 255, 150),
    bad: Color32::from_rgb(255, 150, 150),
    wait: Color32::from_rgb(255, 226, 64),
    button: Color32::from_rgb(36, 36, 36),
    button_active: Color32::from_rgb(0, 70, 140),
    focus: Color32::from_rgb(255, 226, 64),
    focus_width: 4.0,
    keyboard: Color32::from_rgb(10, 10, 10),
};

impl Contrast {
    /// This choice's colours.
    pub fn theme(self) -> &'static Theme {
        match self {
            Contrast::Standard => &STANDARD,
            Contrast::High => &HIGH,
        }
    }
}

/// WCAG 2.2's relative luminance of an sRGB colour.
pub fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// WCAG 2.2's contrast ratio of two sRGB colours (1 to 21): what the tests hold every text
/// of the panel, the kiosk's screens and the dashboards to.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn key() -> egui::Id {
    egui::Id::new("agora-panel-contrast")
}

/// The theme `ctx` draws with (set by [`set`]).
pub fn of(ctx: &egui::Context) -> &'static Theme {
    ctx.data(|d| d.get_temp::<Contrast>(key()))
        .unwrap_or_default()
        .theme()
}

/// The theme the panel in `ui` draws with.
pub fn theme(ui: &egui::Ui) -> &'static Theme {
    of(ui.ctx())
}

/// Puts `contrast` in force on `ctx`: its colours for [`theme`], and egui's own visuals.
pub fn set(ctx: &egui::Context, contrast: Contrast) {
    ctx.data_mut(|d| d.insert_temp(key(), contrast));
    let t = contrast.theme();
    ctx.all_styles_mut(|style| {
        let mut visuals = egui::Visuals::dark();
        visuals.panel_fill = t.background;
        // Says which widget can be pressed (the panel's hover cue listens for it).
        visuals.interact_cursor = Some(egui::CursorIcon::PointingHand);
        visuals.window_fill = t.card;
        visuals.extreme_bg_color = t.field;
        visuals.text_edit_bg_color = Some(t.field);
        visuals.override_text_color = Some(t.ink);
        visuals.weak_text_color = Some(t.muted);
        visuals.hyperlink_color = t.focus;
        visuals.selection.bg_fill = t.button_active;
        visuals.selection.stroke = Stroke::new(t.focus_width, t.focus);
        let outline = Stroke::new(1.0, t.muted);
        let w = &mut visuals.widgets;
        w.noninteractive.bg_stroke = Stroke::new(1.0, t.muted.gamma_multiply(0.5));
        w.noninteractive.fg_stroke = Stroke::new(1.0, t.ink);
        for state in [&mut w.inactive, &mut w.open] {
            state.bg_fill = t.button;
            state.weak_bg_fill = t.button;
            state.bg_stroke = outline;
            state.fg_stroke = Stroke::new(1.5, t.ink);
        }
        for state in [&mut w.hovered, &mut w.active] {
            state.bg_fill = t.button_active;
            state.weak_bg_fill = t.button_active;
            state.bg_stroke = Stroke::new(t.focus_width, t.focus);
            state.fg_stroke = Stroke::new(2.0, t.ink);
        }
        style.visuals = visuals;
    });
}
