//! What the kiosk draws on the screen itself, over the plaza (egui, fed from the touch screen
//! and the mouse by hand, since every other pointer reaches egui through the panel): the
//! attract screen with the choice of language, the services' list (always there, in both
//! languages), Finish, the "are you still there?" countdown and the operator's PIN pad.
//! Every target is at least [`MIN_TARGET_MM`] on the configured screen.

use bevy::camera::visibility::RenderLayers;
use bevy::ecs::schedule::ScheduleLabel;
use bevy::ecs::system::SystemParam;
use bevy::input::touch::Touches;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::egui::{self, Align2, Button, CornerRadius, Frame, Margin, RichText, Vec2};
use bevy_egui::input::EguiInputEvent;
use bevy_egui::{EguiContext, EguiSchedule, EguiZoomFactor};
use zeroize::Zeroizing;

use super::config::MIN_TARGET_MM;
use super::look::Look;
use super::operator::{Operator, OperatorNote, OperatorPin, put_away};
use super::receipt::{ReceiptSheet, SheetAsk};
use super::touch::{OverOverlay, screen_pointer};
use super::{EndVisit, GoToWindow, Idle, Kiosk, Stage, StartVisit, countdown};
use crate::AppSystems;
use crate::lang::{Lang, both, format, text};
use crate::panel::{PanelPointer, Panels, pointer_events};
use crate::scene::Plaza;
use crate::settings::SettingsStore;

/// The screen the overlay is laid out for, in points; a smaller or larger one shows it zoomed
/// to fit (a 1280×720 screen at two thirds, a 4K one at twice), so that nothing runs off it.
pub const DESIGN: Vec2 = Vec2::new(1920.0, 1080.0);

/// The zoom that fits [`DESIGN`] on a window of this logical size.
pub fn zoom_for(window: Vec2) -> f32 {
    (window.x / DESIGN.x)
        .min(window.y / DESIGN.y)
        .clamp(0.5, 4.0)
}

/// The height of the smallest target, in the overlay's points, on a window of this logical
/// size on a screen this many millimetres wide: never under [`MIN_TARGET_MM`] (WCAG 2.2's
/// 24 px minimum is far below it), whatever the zoom.
pub fn target_points(window: Vec2, screen_width_mm: f32) -> f32 {
    let per_mm = window.x / screen_width_mm / zoom_for(window);
    (MIN_TARGET_MM * per_mm).max(40.0) + 12.0
}

/// The schedule that draws the overlay.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct KioskPass;

/// The egui context drawn over the plaza.
#[derive(Component, Debug)]
pub struct OverlayContext;

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_overlay)
        .add_systems(
            Update,
            feed_overlay
                .in_set(AppSystems::RecordInput)
                .before(crate::pointer::aim_mouse),
        )
        .add_systems(KioskPass, draw_overlay);
}

fn spawn_overlay(mut commands: Commands) {
    commands.spawn((
        Name::new("Kiosk overlay"),
        OverlayContext,
        Camera2d,
        Camera {
            order: 1,
            clear_color: ClearColorConfig::None,
            ..default()
        },
        RenderLayers::none(),
        EguiSchedule::new(KioskPass),
    ));
}

/// The touch screen (or the mouse) as egui's pointer on the overlay.
fn feed_overlay(
    touches: Res<Touches>,
    buttons: Res<ButtonInput<MouseButton>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    contexts: Query<(Entity, Option<&EguiZoomFactor>), With<OverlayContext>>,
    mut before: Local<PanelPointer>,
    mut events: MessageWriter<EguiInputEvent>,
) {
    let (Ok(window), Ok((context, zoom))) = (windows.single(), contexts.single()) else {
        return;
    };
    let zoom = zoom.map_or(1.0, |z| z.zoom_factor);
    let (at, pressed) = screen_pointer(&touches, &buttons, window);
    let now = PanelPointer {
        // The window's logical pixels in the overlay's (zoomed) points.
        at: at.map(|p| egui::pos2(p.x / zoom, p.y / zoom)),
        pressed,
    };
    for event in pointer_events(*before, now) {
        events.write(EguiInputEvent { context, event });
    }
    *before = now;
}

/// What the overlay asks of the kiosk.
#[derive(SystemParam)]
struct Asks<'w> {
    starts: MessageWriter<'w, StartVisit>,
    ends: MessageWriter<'w, EndVisit>,
    goes: MessageWriter<'w, GoToWindow>,
    pins: MessageWriter<'w, OperatorPin>,
}

fn draw_overlay(
    mut styled: Local<Option<(Look, f32)>>,
    mut contexts: Query<&mut EguiContext, With<OverlayContext>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    kiosk: Res<Kiosk>,
    plaza: Res<Plaza>,
    panels: Res<Panels>,
    stage: Res<Stage>,
    idle: Res<Idle>,
    time: Res<Time>,
    mut lang: ResMut<Lang>,
    mut operator: ResMut<Operator>,
    mut over: ResMut<OverOverlay>,
    mut sheet: ResMut<ReceiptSheet>,
    settings: Res<SettingsStore>,
    mut asks: Asks,
) {
    let Asks {
        starts,
        ends,
        goes,
        pins,
    } = &mut asks;
    let (Ok(mut context), Ok(window)) = (contexts.single_mut(), windows.single()) else {
        return;
    };
    let ctx = context.get_mut().clone();
    let zoom = zoom_for(Vec2::new(window.width(), window.height()));
    if (ctx.zoom_factor() - zoom).abs() > 1e-3 {
        ctx.set_zoom_factor(zoom);
    }
    let target = target_points(
        Vec2::new(window.width(), window.height()),
        kiosk.config.screen_width_mm,
    );
    // The visitor's contrast and text size, as the panel follows them; restyled when either
    // changes (or the window, and with it the targets).
    let look = Look::new(settings.settings.contrast, settings.settings.text_scale);
    if *styled != Some((look, target)) {
        if styled.is_none() {
            ctx.set_fonts(crate::panel::fonts());
        }
        // egui's own visuals (focus and hover outlines, selection) from the panel's theme.
        crate::panel::theme::set(&ctx, settings.settings.contrast);
        ctx.all_styles_mut(|style| {
            style.visuals.override_text_color = Some(look.ink);
            style.spacing.button_padding = Vec2::new(20.0, 12.0);
            style.spacing.item_spacing = Vec2::new(12.0, 12.0);
            style.spacing.interact_size = Vec2::splat(target);
            style.text_styles = [
                (
                    egui::TextStyle::Heading,
                    egui::FontId::proportional(look.size(40.0)),
                ),
                (
                    egui::TextStyle::Body,
                    egui::FontId::proportional(look.size(24.0)),
                ),
                (
                    egui::TextStyle::Button,
                    egui::FontId::proportional(look.size(26.0)),
                ),
                (
                    egui::TextStyle::Small,
                    egui::FontId::proportional(look.size(20.0)),
                ),
                (
                    egui::TextStyle::Monospace,
                    egui::FontId::monospace(look.size(22.0)),
                ),
            ]
            .into();
        });
        *styled = Some((look, target));
    }
    let catalog = &panels.catalog;
    let hall = &kiosk.config.hall;
    match *stage {
        Stage::Attract => {
            let screen = ctx.viewport_rect();
            egui::Area::new("attract".into())
                .fixed_pos(screen.min)
                .show(&ctx, |ui| {
                    ui.painter().rect_filled(screen, 0.0, look.shade);
                    ui.set_min_size(screen.size());
                    ui.vertical_centered(|ui| {
                        ui.add_space(screen.height() * 0.08);
                        ui.label(RichText::new(&hall.en).size(30.0).color(look.muted));
                        ui.label(RichText::new(&hall.zh_cn).size(30.0).color(look.muted));
                        ui.add_space(18.0);
                        for lang in [Lang::En, Lang::ZhCn] {
                            let touch = text(lang, "kiosk-touch-to-start");
                            ui.label(RichText::new(touch).size(64.0).strong());
                        }
                        ui.add_space(18.0);
                        for lang in [Lang::En, Lang::ZhCn] {
                            ui.label(RichText::new(text(lang, "kiosk-welcome")).size(24.0));
                        }
                        ui.add_space(14.0);
                        for window in &plaza.windows {
                            if let Some(service) = catalog.service(&window.service) {
                                ui.label(
                                    RichText::new(format!(
                                        "{}  ·  {}",
                                        service.title.en, service.title.zh_cn
                                    ))
                                    .size(22.0)
                                    .color(look.muted),
                                );
                            }
                        }
                        ui.add_space(26.0);
                        ui.label(RichText::new(both("kiosk-choose-language", " · ")).size(26.0));
                        ui.add_space(8.0);
                        ui.horizontal(|ui| {
                            let size = Vec2::new(300.0, target * 1.8);
                            let gap = 40.0;
                            ui.add_space((ui.available_width() - 2.0 * size.x - gap) / 2.0);
                            for (at, choice) in [Lang::En, Lang::ZhCn].into_iter().enumerate() {
                                if at > 0 {
                                    ui.add_space(gap);
                                }
                                let name = RichText::new(text(choice, "language-name"))
                                    .size(36.0)
                                    .strong();
                                let button = Button::new(name).fill(look.accent).min_size(size);
                                if ui.add(button).clicked() {
                                    starts.write(StartVisit(choice));
                                }
                            }
                        });
                    });
                });
        }
        Stage::Visiting => {
            let l: agora_services::Lang = (*lang).into();
            egui::Area::new("services".into())
                .anchor(Align2::LEFT_TOP, Vec2::new(16.0, 16.0))
                .show(&ctx, |ui| {
                    Frame::new()
                        .fill(look.shade)
                        .stroke(look.outline)
                        .corner_radius(CornerRadius::same(12))
                        .inner_margin(Margin::same(14))
                        .show(ui, |ui| {
                            let column = 300.0 * look.scale;
                            ui.set_max_width(column);
                            ui.label(
                                RichText::new(both("kiosk-services", " · "))
                                    .size(look.size(24.0))
                                    .strong(),
                            );
                            for booth in &plaza.windows {
                                let Some(service) = catalog.service(&booth.service) else {
                                    continue;
                                };
                                let open = panels
                                    .open
                                    .as_ref()
                                    .is_some_and(|(id, _)| *id == booth.service);
                                let label = RichText::new(format!(
                                    "{}\n{}",
                                    service.title.get(l),
                                    service.title.get(other(l))
                                ))
                                .size(look.size(19.0));
                                let button = Button::new(label)
                                    .selected(open)
                                    .wrap()
                                    .min_size(Vec2::new(column, target));
                                if ui.add(button).clicked() {
                                    goes.write(GoToWindow(booth.service.clone()));
                                }
                            }
                            if super::receipt::receipt(&panels).is_some() {
                                ui.add_space(10.0);
                                let mine = Button::new(
                                    RichText::new(format!(
                                        "{}\n{}",
                                        text(*lang, "kiosk-my-receipt"),
                                        text(other_lang(*lang), "kiosk-my-receipt-short")
                                    ))
                                    .size(look.size(22.0))
                                    .strong(),
                                )
                                .fill(look.accent)
                                .wrap()
                                .min_size(Vec2::new(column, target));
                                if ui.add(mine).clicked() {
                                    sheet.open = true;
                                }
                            }
                            ui.add_space(10.0);
                            let finish = Button::new(
                                RichText::new(both("kiosk-finish", " · "))
                                    .size(look.size(26.0))
                                    .strong(),
                            )
                            .fill(look.finish)
                            .wrap()
                            .min_size(Vec2::new(column, target * 1.3));
                            if ui.add(finish).clicked() {
                                ends.write(EndVisit);
                            }
                            ui.label(
                                RichText::new(text(*lang, "kiosk-finish-wipes"))
                                    .small()
                                    .color(look.muted),
                            );
                        });
                });
            egui::Area::new("language".into())
                .anchor(Align2::RIGHT_TOP, Vec2::new(-16.0, 16.0))
                .show(&ctx, |ui| {
                    Frame::new()
                        .fill(look.shade)
                        .stroke(look.outline)
                        .corner_radius(CornerRadius::same(12))
                        .inner_margin(Margin::same(10))
                        .show(ui, |ui| {
                            ui.horizontal(|ui| {
                                for choice in [Lang::En, Lang::ZhCn] {
                                    let name = text(choice, "language-short");
                                    let name = RichText::new(name).size(look.size(24.0));
                                    let button = Button::new(name)
                                        .selected(*lang == choice)
                                        .min_size(Vec2::new(target * 1.6, target));
                                    if ui.add(button).clicked() {
                                        *lang = choice;
                                    }
                                }
                            });
                        });
                });
            let left = countdown(&kiosk.config, &idle, time.elapsed());
            if sheet.open && left.is_none() {
                let asked = super::receipt::draw(&ctx, &mut sheet, &panels, *lang, target, &look);
                if let SheetAsk::Finish = asked {
                    ends.write(EndVisit);
                }
            }
            if let Some(left) = left {
                still_there(&ctx, *lang, left, target, &look);
            }
        }
    }
    if operator.asking {
        operator_pad(&ctx, &mut operator, pins, target, &look);
    }
    over.0 = ctx.is_pointer_over_egui() || ctx.egui_is_using_pointer();
}

/// "Are you still there?" over everything, on a card of its own (the panel under the shade is
/// busy), with the seconds left.
fn still_there(
    ctx: &egui::Context,
    lang: Lang,
    left: std::time::Duration,
    target: f32,
    look: &Look,
) {
    let seconds = left.as_secs() + 1;
    let (question, ends_in, carry_on) = (
        text(lang, "kiosk-still-there"),
        format(
            lang,
            "kiosk-visit-ends",
            &[("seconds", &seconds.to_string())],
        ),
        text(lang, "kiosk-touch-to-continue"),
    );
    let screen = ctx.viewport_rect();
    let card = egui::Rect::from_center_size(
        screen.center() - Vec2::new(0.0, screen.height() * 0.08),
        Vec2::new(
            1000.0 * look.scale.min(1.6),
            260.0 * look.scale + target * 1.8,
        ),
    );
    egui::Area::new("still-there".into())
        .order(egui::Order::Foreground)
        .fixed_pos(screen.min)
        .show(ctx, |ui| {
            ui.set_min_size(screen.size());
            ui.painter().rect_filled(screen, 0.0, look.shade);
            ui.painter()
                .rect_filled(card, CornerRadius::same(18), look.card);
            ui.painter().rect_stroke(
                card,
                CornerRadius::same(18),
                look.outline,
                egui::StrokeKind::Inside,
            );
            let inside = egui::UiBuilder::new()
                .max_rect(card.shrink(36.0))
                .layout(egui::Layout::top_down(egui::Align::Center));
            ui.scope_builder(inside, |ui| {
                ui.label(RichText::new(question).size(look.size(60.0)).strong());
                ui.add_space(12.0);
                ui.label(RichText::new(ends_in).size(look.size(30.0)));
                ui.add_space(24.0);
                // Any touch carries on (it counts as the visitor being there); the button
                // says so.
                ui.add(
                    Button::new(RichText::new(carry_on).size(look.size(34.0)).strong())
                        .fill(look.accent)
                        .min_size(Vec2::new(380.0, target * 1.8)),
                );
            });
        });
}

/// The other language, for the services' second line.
fn other_lang(lang: Lang) -> Lang {
    match lang {
        Lang::En => Lang::ZhCn,
        Lang::ZhCn => Lang::En,
    }
}

fn other(lang: agora_services::Lang) -> agora_services::Lang {
    match lang {
        agora_services::Lang::En => agora_services::Lang::ZhCn,
        agora_services::Lang::ZhCn => agora_services::Lang::En,
    }
}

fn operator_pad(
    ctx: &egui::Context,
    operator: &mut Operator,
    pins: &mut MessageWriter<OperatorPin>,
    target: f32,
    look: &Look,
) {
    egui::Area::new("operator".into())
        .order(egui::Order::Tooltip)
        .anchor(Align2::CENTER_CENTER, Vec2::ZERO)
        .show(ctx, |ui| {
            Frame::new()
                .fill(look.card)
                .stroke(look.outline)
                .corner_radius(CornerRadius::same(14))
                .inner_margin(Margin::same(22))
                .show(ui, |ui| {
                    ui.label(
                        RichText::new(both("kiosk-operator-pin", " · "))
                            .size(28.0)
                            .strong(),
                    );
                    ui.label(
                        RichText::new("•".repeat(operator.pin.chars().count()) + "|").size(34.0),
                    );
                    let key = Vec2::new(target * 1.8, target * 1.2);
                    for row in [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]] {
                        ui.horizontal(|ui| {
                            for digit in row {
                                if ui
                                    .add(Button::new(RichText::new(digit).size(30.0)).min_size(key))
                                    .clicked()
                                {
                                    operator.pin.push_str(digit);
                                }
                            }
                        });
                    }
                    ui.horizontal(|ui| {
                        if ui
                            .add(Button::new(RichText::new("⌫").size(30.0)).min_size(key))
                            .clicked()
                        {
                            operator.pin.pop();
                        }
                        if ui
                            .add(Button::new(RichText::new("0").size(30.0)).min_size(key))
                            .clicked()
                        {
                            operator.pin.push('0');
                        }
                        let ok =
                            Button::new(RichText::new(both("kiosk-ok", " · ")).size(30.0).strong())
                                .fill(look.accent)
                                .min_size(key);
                        if ui.add(ok).clicked() {
                            let pin: Zeroizing<String> = std::mem::take(&mut operator.pin);
                            pins.write(OperatorPin(pin));
                        }
                    });
                    match operator.note {
                        Some(OperatorNote::Checking) => {
                            ui.label("…");
                        }
                        Some(OperatorNote::Wrong) => {
                            ui.label(
                                RichText::new(both("kiosk-wrong-pin", " · ")).color(look.warn),
                            );
                        }
                        Some(OperatorNote::Wait(wait)) => {
                            ui.label(
                                RichText::new({
                                    let seconds = wait.as_secs().to_string();
                                    let args = [("seconds", seconds.as_str())];
                                    format!(
                                        "{} · {}",
                                        format(Lang::En, "kiosk-pin-locked", &args),
                                        format(Lang::ZhCn, "kiosk-pin-locked", &args)
                                    )
                                })
                                .color(look.warn),
                            );
                        }
                        None => {}
                    }
                    if ui
                        .add(
                            Button::new(both("kiosk-cancel", " · "))
                                .min_size(Vec2::new(key.x * 3.0, target)),
                        )
                        .clicked()
                    {
                        put_away(operator);
                    }
                });
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Millimetres on the glass of `points` of the overlay.
    fn millimetres(points: f32, window: Vec2, screen_width_mm: f32) -> f32 {
        points * zoom_for(window) * screen_width_mm / window.x
    }

    #[test]
    fn the_design_fits_every_screen_and_targets_stay_nine_millimetres_on_the_glass() {
        for (window, width_mm) in [
            (Vec2::new(1280.0, 720.0), 344.0),
            (Vec2::new(1920.0, 1080.0), 527.0),
            (Vec2::new(1920.0, 1080.0), 1210.0),
            (Vec2::new(3840.0, 2160.0), 527.0),
            (Vec2::new(1080.0, 1920.0), 300.0),
            (Vec2::new(1024.0, 768.0), 304.0),
        ] {
            let zoom = zoom_for(window);
            let points = window / zoom;
            assert!(
                points.x >= DESIGN.x - 0.5 && points.y >= DESIGN.y - 0.5,
                "{window}: the design does not fit in {points} points"
            );
            let target = millimetres(target_points(window, width_mm), window, width_mm);
            assert!(
                target >= MIN_TARGET_MM,
                "{window} on {width_mm} mm: a target is {target:.1} mm"
            );
        }
    }
}
