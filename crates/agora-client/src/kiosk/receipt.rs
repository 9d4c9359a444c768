//! The receipt to take away, drawn flat on the kiosk's screen: the panel's QR code stands in
//! the plaza, tilted and filtered, too small to scan from a 1280×720 screen, so once the
//! visit's application is anchored (and again once it is decided) the overlay shows its code
//! as large as the screen allows, every module a whole number of the screen's pixels wide and
//! on the pixel grid, for a phone held at arm's length.

use bevy::prelude::*;
use bevy_egui::egui::{self, Button, Color32, CornerRadius, Pos2, Rect, RichText, UiBuilder, Vec2};

use super::look::Look;
use crate::lang::Lang;
use crate::panel::Panels;
use crate::panel::ui::state_words;
use crate::session::Summary;

/// The receipt sheet: which code it shows, whether it is up, the code's texture.
#[derive(Resource, Default)]
pub struct ReceiptSheet {
    /// The code the sheet last opened by itself for: a new code (the decision's) opens it
    /// again.
    seen: Option<String>,
    /// Whether the sheet is on the screen.
    pub open: bool,
    /// The code drawn, a pixel a module, and its texture.
    texture: Option<(String, egui::TextureHandle)>,
}

impl std::fmt::Debug for ReceiptSheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The code names the visitor's key and application: not for logs.
        f.debug_struct("ReceiptSheet")
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl ReceiptSheet {
    /// Whether it holds a visit's code (or its picture): never after the visit.
    pub fn holds_a_code(&self) -> bool {
        self.seen.is_some() || self.texture.is_some()
    }
}

/// The visit's newest application with a receipt code.
pub fn receipt(panels: &Panels) -> Option<&Summary> {
    panels.model.applications.iter().find(|a| a.code.is_some())
}

/// Opens the sheet when the visit's receipt code first appears or changes.
pub fn follow(panels: Res<Panels>, mut sheet: ResMut<ReceiptSheet>) {
    let code = receipt(&panels).and_then(|a| a.code.as_deref());
    if code.is_some() && code != sheet.seen.as_deref() {
        sheet.seen = code.map(str::to_owned);
        sheet.open = true;
    }
}

/// The room kept beside the code for its words and buttons, in the overlay's points.
const WORDS: f32 = 520.0;
/// The card's padding and the gap between the code and its words.
const PAD: f32 = 36.0;
/// The sheet's margin to the screen's edge.
const MARGIN: f32 = 28.0;

/// How many of the screen's pixels a module of a code `side` modules across (quiet zone
/// included) takes on a `screen` of the overlay's points at `pixels_per_point`: as many as fit
/// beside the words, at least one.
pub fn module_pixels(screen: Vec2, pixels_per_point: f32, side: usize) -> u32 {
    let room = (screen.y - 2.0 * (MARGIN + PAD)).min(screen.x - 2.0 * (MARGIN + PAD) - PAD - WORDS);
    let pixels = (room * pixels_per_point).max(0.0) / side.max(1) as f32;
    (pixels.floor() as u32).max(1)
}

/// `point` moved onto the screen's pixel grid.
fn on_pixels(point: Pos2, pixels_per_point: f32) -> Pos2 {
    Pos2::new(
        (point.x * pixels_per_point).round() / pixels_per_point,
        (point.y * pixels_per_point).round() / pixels_per_point,
    )
}

/// What the sheet asks for.
pub enum SheetAsk {
    /// Nothing.
    Nothing,
    /// End the visit.
    Finish,
}

/// Draws the sheet over everything but the countdown and the operator's pad.
pub fn draw(
    ctx: &egui::Context,
    sheet: &mut ReceiptSheet,
    panels: &Panels,
    lang: Lang,
    target: f32,
    look: &Look,
) -> SheetAsk {
    let Some(summary) = receipt(panels) else {
        sheet.open = false;
        return SheetAsk::Nothing;
    };
    let Some(code) = summary.code.as_deref() else {
        return SheetAsk::Nothing;
    };
    if sheet
        .texture
        .as_ref()
        .is_none_or(|(drawn, _)| drawn != code)
    {
        sheet.texture = crate::panel::qr::image(code, 1).map(|picture| {
            let texture =
                ctx.load_texture("receipt-qr-code", picture, egui::TextureOptions::NEAREST);
            (code.to_owned(), texture)
        });
    }
    let Some((_, texture)) = &sheet.texture else {
        return SheetAsk::Nothing;
    };
    let side = texture.size()[0];
    let ppp = ctx.pixels_per_point();
    let screen = ctx.viewport_rect();
    let module = module_pixels(screen.size(), ppp, side);
    let qr = (side as u32 * module) as f32 / ppp;
    let card_size = Vec2::new(qr + WORDS + 3.0 * PAD, qr + 2.0 * PAD);
    let card = Rect::from_min_size(on_pixels(screen.center() - card_size / 2.0, ppp), card_size);
    let code_rect =
        Rect::from_min_size(on_pixels(card.min + Vec2::splat(PAD), ppp), Vec2::splat(qr));
    let words_rect = Rect::from_min_max(
        Pos2::new(code_rect.max.x + PAD, card.min.y + PAD),
        card.max - Vec2::splat(PAD),
    );
    let w = crate::panel::words::words(lang);
    let catalog = &panels.catalog;
    let mut ask = SheetAsk::Nothing;
    egui::Area::new("receipt".into())
        .order(egui::Order::Foreground)
        .fixed_pos(screen.min)
        .show(ctx, |ui| {
            ui.set_min_size(screen.size());
            let painter = ui.painter();
            painter.rect_filled(screen, 0.0, look.shade);
            painter.rect_filled(card, CornerRadius::same(16), look.card);
            painter.rect_stroke(
                card,
                CornerRadius::same(16),
                look.outline,
                egui::StrokeKind::Inside,
            );
            painter.image(
                texture.id(),
                code_rect,
                Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                Color32::WHITE,
            );
            // At a large text size the words are longer than the code is tall: they scroll.
            ui.scope_builder(UiBuilder::new().max_rect(words_rect), |ui| {
                // The buttons stay at the bottom of the column, whatever the text size; the
                // words above them scroll when they do not fit.
                ui.with_layout(egui::Layout::bottom_up(egui::Align::Min), |ui| {
                    let finish = Button::new(
                        RichText::new(crate::lang::both("kiosk-finish", " · "))
                            .size(look.size(26.0))
                            .strong(),
                    )
                    .fill(look.finish)
                    .wrap()
                    .min_size(Vec2::new(words_rect.width(), target * 1.2));
                    if ui.add(finish).clicked() {
                        ask = SheetAsk::Finish;
                    }
                    let back = Button::new(
                        RichText::new(crate::lang::text(lang, "kiosk-back-to-application"))
                            .size(look.size(26.0)),
                    )
                    .fill(look.accent)
                    .wrap()
                    .min_size(Vec2::new(words_rect.width(), target * 1.2));
                    if ui.add(back).clicked() {
                        sheet.open = false;
                    }
                    ui.add_space(12.0);
                    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                        egui::ScrollArea::vertical()
                            .auto_shrink([false, false])
                            .show(ui, |ui| {
                                ui.set_width(words_rect.width());
                                let l: agora_services::Lang = lang.into();
                                let service = catalog
                                    .service(&summary.service)
                                    .map_or(summary.service.as_str(), |s| s.title.get(l));
                                ui.label(
                                    RichText::new(w.receipt_qr).size(look.size(46.0)).strong(),
                                );
                                ui.label(
                                    RichText::new(service)
                                        .size(look.size(26.0))
                                        .color(look.muted),
                                );
                                ui.add_space(10.0);
                                let (state, colour) = state_words(
                                    summary,
                                    catalog,
                                    lang,
                                    crate::panel::theme::of(ctx),
                                );
                                ui.label(
                                    RichText::new(state)
                                        .size(look.size(36.0))
                                        .color(colour)
                                        .strong(),
                                );
                                if summary.in_progress() {
                                    let waiting = crate::lang::text(lang, "kiosk-receipt-waiting");
                                    ui.label(RichText::new(waiting).size(look.size(22.0)));
                                }
                                if summary.demo {
                                    ui.label(
                                        RichText::new(w.demo_decision)
                                            .size(look.size(20.0))
                                            .color(look.muted),
                                    );
                                }
                                ui.add_space(10.0);
                                ui.label(
                                    RichText::new(format!(
                                        "{}: {}",
                                        w.receipt_code,
                                        agora_gateway::compact::short_code(summary.id)
                                    ))
                                    .size(look.size(34.0))
                                    .strong(),
                                );
                                ui.add_space(6.0);
                                ui.label(
                                    RichText::new(w.receipt_qr_hint)
                                        .size(look.size(21.0))
                                        .color(look.muted),
                                );
                            });
                    });
                });
            });
        });
    ask
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decided receipt's code as the kiosk drew it under cage: a version 33 QR code at
    /// medium error correction, 149 modules and the quiet zone.
    const SIDE: usize = 157;

    #[test]
    fn the_code_takes_whole_pixels_a_module_and_enough_of_them_to_scan() {
        for (window, least) in [
            (Vec2::new(1280.0, 720.0), 4),
            (Vec2::new(1920.0, 1080.0), 6),
            (Vec2::new(1024.0, 768.0), 4),
            (Vec2::new(1080.0, 1920.0), 4),
        ] {
            let zoom = crate::kiosk::overlay::zoom_for(window);
            let points = window / zoom;
            let module = module_pixels(points, zoom, SIDE);
            assert!(module >= least, "{window}: {module} px a module");
            let drawn = (SIDE as u32 * module) as f32;
            assert!(
                drawn <= window.y && drawn + WORDS * zoom <= window.x,
                "{window}: a {drawn} px code and its words do not fit"
            );
        }
        assert_eq!(module_pixels(Vec2::new(10.0, 10.0), 1.0, SIDE), 1);
    }

    #[test]
    fn corners_land_on_whole_pixels() {
        let ppp = 2.0 / 3.0;
        let p = on_pixels(Pos2::new(100.4, 33.3), ppp);
        for v in [p.x * ppp, p.y * ppp] {
            assert!((v - v.round()).abs() < 1e-3, "{p:?} is between pixels");
        }
    }
}
