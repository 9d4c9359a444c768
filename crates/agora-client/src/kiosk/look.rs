//! How the kiosk's own screens look: the colours and the text size follow the visitor's
//! settings for the visit (contrast, text size), as the panel does. Both looks meet WCAG 2.2
//! AA for every pair of text and what is behind it (the tests compute each ratio); the
//! high-contrast one is white on black with outlined cards and buttons, so that an edge is
//! seen by more than colour.

use bevy_egui::egui::{Color32, Stroke};

use crate::panel::theme::Contrast;

/// The kiosk screens' colours and text size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// Text.
    pub ink: Color32,
    /// Secondary text: the hall's name, hints.
    pub muted: Color32,
    /// Over the plaza, behind a screen's words.
    pub shade: Color32,
    /// Behind a card (the countdown, the receipt, the operator's pad).
    pub card: Color32,
    /// A button that goes on (start, my receipt, back), behind its text.
    pub accent: Color32,
    /// Finish, behind its text.
    pub finish: Color32,
    /// A refusal (a wrong PIN), on a card.
    pub warn: Color32,
    /// Around cards and the shade's panels; nothing in the standard look.
    pub outline: Stroke,
    /// The visitor's text size, 1.0 to 2.0.
    pub scale: f32,
}

/// The standard look: light text on dark blue.
const STANDARD: Look = Look {
    ink: Color32::from_rgb(240, 244, 248),
    muted: Color32::from_rgb(176, 190, 204),
    shade: Color32::from_rgba_premultiplied(8, 12, 18, 225),
    card: Color32::from_rgb(24, 34, 46),
    accent: Color32::from_rgb(28, 100, 180),
    finish: Color32::from_rgb(176, 48, 44),
    warn: Color32::from_rgb(255, 140, 130),
    outline: Stroke::NONE,
    scale: 1.0,
};

/// White on black, outlined.
const HIGH: Look = Look {
    ink: Color32::WHITE,
    muted: Color32::from_rgb(224, 224, 224),
    shade: Color32::from_rgba_premultiplied(0, 0, 0, 242),
    card: Color32::BLACK,
    accent: Color32::from_rgb(0, 70, 140),
    finish: Color32::from_rgb(150, 0, 0),
    warn: Color32::from_rgb(255, 170, 160),
    outline: Stroke {
        width: 3.0,
        color: Color32::WHITE,
    },
    scale: 1.0,
};

impl Look {
    /// The look for this contrast and text size (clamped to 100–200 %).
    pub fn new(contrast: Contrast, text_scale: f32) -> Self {
        let base = match contrast {
            Contrast::Standard => STANDARD,
            Contrast::High => HIGH,
        };
        Self {
            scale: text_scale.clamp(1.0, 2.0),
            ..base
        }
    }

    /// A text size of `points` at 100 %, at the visitor's size.
    pub fn size(&self, points: f32) -> f32 {
        points * self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(a: Color32, b: Color32) -> f64 {
        crate::panel::theme::contrast([a.r(), a.g(), a.b()], [b.r(), b.g(), b.b()])
    }

    /// The premultiplied `over` laid over the opaque `under`.
    fn composite(over: Color32, under: Color32) -> Color32 {
        let keep = 1.0 - f32::from(over.a()) / 255.0;
        let mix = |o: u8, u: u8| (f32::from(o) + f32::from(u) * keep).round().min(255.0) as u8;
        Color32::from_rgb(
            mix(over.r(), under.r()),
            mix(over.g(), under.g()),
            mix(over.b(), under.b()),
        )
    }

    #[test]
    fn every_text_on_every_background_meets_aa_in_both_looks() {
        for contrast in [Contrast::Standard, Contrast::High] {
            let look = Look::new(contrast, 1.0);
            // The shade lies over the plaza: the brightest plaza (white sky, a lit wall) is
            // the worst case for light text.
            let shaded = composite(look.shade, Color32::WHITE);
            let pairs = [
                ("ink on the shade", look.ink, shaded),
                ("muted on the shade", look.muted, shaded),
                ("ink on a card", look.ink, look.card),
                ("muted on a card", look.muted, look.card),
                ("a refusal on a card", look.warn, look.card),
                ("ink on an accent button", look.ink, look.accent),
                ("ink on Finish", look.ink, look.finish),
            ];
            for (what, text, background) in pairs {
                let measured = ratio(text, background);
                assert!(
                    measured >= 4.5,
                    "{contrast:?}: {what} is {measured:.2}:1, under 4.5:1"
                );
            }
        }
        // High contrast is more than the standard look, everywhere it matters.
        let (standard, high) = (
            Look::new(Contrast::Standard, 1.0),
            Look::new(Contrast::High, 1.0),
        );
        assert!(ratio(high.ink, high.accent) > ratio(standard.ink, standard.accent));
        assert!(ratio(high.ink, high.finish) > ratio(standard.ink, standard.finish));
        assert!(high.outline.width >= 2.0 && standard.outline.width == 0.0);
    }

    #[test]
    fn the_text_size_is_the_visitor_s_within_100_to_200_per_cent() {
        assert_eq!(Look::new(Contrast::Standard, 1.5).size(20.0), 30.0);
        assert_eq!(Look::new(Contrast::High, 3.0).size(20.0), 40.0);
        assert_eq!(Look::new(Contrast::High, 0.5).size(20.0), 20.0);
    }
}
