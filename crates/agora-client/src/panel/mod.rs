//! Service windows' panels in the plaza: egui drawn into a texture on a quad above the
//! counter of the booth the citizen stands at.
//!
//! One panel serves every booth: it opens on the booth the citizen walks up to and keeps each
//! window's draft when they walk away, so nothing typed is lost. The panel is 1.6 × 0.9 m drawn
//! at 1600 × 900 texels (one egui point each, body text 24 points = 24 mm): from the spot in
//! front of the counter, 1.4 m away, it fills about 60° of view, which puts roughly one texel
//! on one screen pixel of a 1080p desktop and keeps body text near 1° tall — readable in a
//! headset too. Pointers ([`crate::pointer`]) become egui's pointer events at the hit's
//! texture coordinates; the keyboard goes to the panel while it is open.

pub mod qr;
pub mod reader;
pub mod theme;
pub mod ui;
pub mod words;

use std::collections::HashMap;

use bevy::camera::RenderTarget;
use bevy::camera::visibility::RenderLayers;
use bevy::ecs::schedule::ScheduleLabel;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureUsages};
use bevy_egui::egui;
use bevy_egui::input::{EguiInputEvent, FocusedNonWindowEguiContext, HoveredNonWindowEguiContext};
use bevy_egui::{
    EguiContext, EguiGlobalSettings, EguiInputSystemSettings, EguiPlugin, EguiSchedule,
    EguiZoomFactor,
};
use time::OffsetDateTime;

use self::ui::{Model, PANEL_POINTS, WindowPanel};
use crate::AppSystems;
use crate::citizen::{Citizen, Typing};
use crate::lang::Lang;
use crate::pointer::{PanelSurface, PointerHit};
use crate::scene::{Plaza, ServiceWindow};
use crate::session::Session;
use crate::sound::Cue;
use crate::textures::REGULAR_FONT;
use crate::xr::interaction::Comfort;

/// The panel's size in the world, in metres.
pub const PANEL_SIZE: Vec2 = Vec2::new(1.6, 0.9);

/// Where the panel stands in a booth's own frame: above the counter, facing the citizen.
const PANEL_IN_BOOTH: Vec3 = Vec3::new(0.0, 1.74, -0.62);

/// Where the panel stands in a headset: 1.05 m before the citizen's spot, 12 cm below standing
/// eyes (a seated citizen's view is raised to the same height).
const PANEL_IN_REACH: Vec3 = Vec3::new(0.0, 1.53, -1.05);

/// How close to a booth's front (its counter's spot, 2.1 m before its centre) the citizen
/// must come for its panel to open.
const OPEN_DISTANCE: f32 = 2.4;

/// The schedule that draws the panel (bevy_egui runs one schedule per context).
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct PanelPass;

/// The egui context that draws the panel into its texture.
#[derive(Component, Debug)]
pub struct PanelContext;

/// The quad that shows the panel.
#[derive(Component, Debug)]
pub struct PanelQuad;

/// Everything the panels know: the session's state, each window's draft, and which window is
/// open.
#[derive(Resource)]
pub struct Panels {
    /// The session's state.
    pub model: Model,
    /// Each window's panel, by service id, kept while the citizen walks away.
    pub windows: HashMap<String, WindowPanel>,
    /// The service whose panel is open, with its department's colour.
    pub open: Option<(String, [u8; 3])>,
    /// The catalog the windows serve.
    pub catalog: agora_services::Catalog,
}

/// The session behind the panels.
#[derive(Resource)]
pub struct SessionHandle(pub Session);

/// Adds this feature to the app. Needs a renderer; the session is started on `home`, or, with
/// a hall's `outbox`, as a kiosk's visit (see [`Session::start_visit`]).
pub fn plugin(
    home: std::path::PathBuf,
    catalog: agora_services::Catalog,
    source: agora_gateway::CatalogSource,
    ledger: crate::commands::gateway::LedgerSpec,
    outbox: Option<std::path::PathBuf>,
) -> impl Fn(&mut App) {
    move |app: &mut App| {
        // Every pointer reaches the panel through `crate::pointer`; bevy_egui's own window
        // pointer handling stays off, its keyboard and IME handling on.
        app.insert_resource(EguiGlobalSettings {
            auto_create_primary_context: false,
            enable_focused_non_window_context_updates: false,
            enable_cursor_icon_updates: false,
            input_system_settings: EguiInputSystemSettings {
                run_write_window_pointer_moved_messages: false,
                run_write_pointer_button_messages: false,
                run_write_window_touch_messages_system: false,
                run_write_non_window_pointer_moved_messages_system: false,
                run_write_non_window_touch_messages_system: false,
                ..default()
            },
            ..default()
        });
        app.add_plugins(EguiPlugin::default())
            .insert_resource(Panels {
                model: Model::default(),
                windows: HashMap::new(),
                open: None,
                catalog: catalog.clone(),
            })
            .init_resource::<PanelTarget>()
            .insert_resource(SessionHandle(match &outbox {
                Some(outbox) => Session::start_visit(
                    home.clone(),
                    source.clone(),
                    ledger.clone(),
                    outbox.clone(),
                ),
                None => Session::start(home.clone(), source.clone(), ledger.clone()),
            }))
            .add_systems(Startup, spawn_panel)
            .add_systems(
                Update,
                ((hear_session, choose_window, forward_pointer)
                    .chain()
                    .in_set(AppSystems::RecordInput)
                    .after(crate::pointer::cast_pointers),),
            )
            .add_message::<Cue>()
            .add_systems(PanelPass, draw_panel)
            .add_message::<bevy::a11y::ActionRequest>()
            .add_plugins(reader::plugin);
    }
}

fn spawn_panel(
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let size = Extent3d {
        width: PANEL_POINTS.x as u32,
        height: PANEL_POINTS.y as u32,
        depth_or_array_layers: 1,
    };
    let mut image = Image {
        data: Some(vec![0; (size.width * size.height * 4) as usize]),
        ..default()
    };
    image.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT;
    image.texture_descriptor.size = size;
    let image = images.add(image);
    commands.spawn((
        Name::new("Panel context"),
        PanelContext,
        Camera2d,
        Camera {
            order: -1,
            is_active: false,
            clear_color: ClearColorConfig::Custom(Color::srgb_u8(18, 27, 38)),
            ..default()
        },
        RenderTarget::Image(image.clone().into()),
        RenderLayers::none(),
        // The pass runs every frame (an empty one while no panel is open: bevy_egui expects
        // every context's output each frame); the camera only renders while one is open.
        EguiSchedule::new(PanelPass),
    ));
    commands.spawn((
        Name::new("Panel"),
        PanelQuad,
        PanelSurface { size: PANEL_SIZE },
        Mesh3d(meshes.add(Rectangle::from_size(PANEL_SIZE))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: crate::booths::GLOW,
            base_color_texture: Some(image),
            unlit: true,
            ..default()
        })),
        Transform::default(),
        Visibility::Hidden,
    ));
}

fn hear_session(
    mut sent: Local<Vec<agora_services::ApplicationId>>,
    session: Res<SessionHandle>,
    mut panels: ResMut<Panels>,
    mut cues: MessageWriter<Cue>,
) {
    for reply in session.0.poll() {
        cues.write_batch(heard(&reply, &panels.model.applications, &mut sent));
        panels.model.apply(reply);
    }
}

/// The cues a reply of the session sounds, given the applications known `before` it and those
/// `sent` from this plaza so far: sent, recorded on the ledger, decided, or a problem. What
/// was already so when the plaza opened sounds nothing.
pub fn heard(
    reply: &crate::session::Reply,
    before: &[crate::session::Summary],
    sent: &mut Vec<agora_services::ApplicationId>,
) -> Vec<Cue> {
    use crate::session::Reply;
    use agora_gateway::State;
    match reply {
        Reply::Submitted { id, .. } => {
            sent.push(*id);
            vec![Cue::Queued]
        }
        Reply::Problem { .. } => vec![Cue::Error],
        Reply::Applications(list) => {
            let mut cues = Vec::new();
            for now in list {
                let (state, outcome) = match before.iter().find(|b| b.id == now.id) {
                    Some(was) => (was.state, was.outcome),
                    None if sent.contains(&now.id) => (State::Queued, None),
                    None => continue,
                };
                let on_ledger = |state| matches!(state, State::Anchored | State::Decided);
                if on_ledger(now.state) && !on_ledger(state) {
                    cues.push(Cue::Recorded);
                }
                if let Some(decided) = now.outcome
                    && outcome != Some(decided)
                {
                    cues.push(Cue::of(decided));
                }
            }
            cues
        }
        _ => Vec::new(),
    }
}

/// Where a booth's panel stands.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PanelPlacement {
    /// Above the counter, 1.5 m from the citizen's spot: a desktop screen shows it whole.
    #[default]
    AtCounter,
    /// In a headset: nearer (1.05 m) and a little below the eyes, slightly smaller, so that
    /// it fills a comfortable part of the view and its body text is about one degree tall.
    WithinReach,
}

/// Where the panel stands for a booth standing at `booth`: facing the citizen (rectangles face
/// +z, a booth's front −z), tilted back a little.
pub fn panel_transform(booth: Transform, placement: PanelPlacement) -> Transform {
    let turn = Quat::from_rotation_y(std::f32::consts::PI);
    let local = match placement {
        PanelPlacement::AtCounter => Transform::from_translation(PANEL_IN_BOOTH)
            .with_rotation(turn * Quat::from_rotation_x(-0.12)),
        PanelPlacement::WithinReach => Transform::from_translation(PANEL_IN_REACH)
            .with_rotation(turn * Quat::from_rotation_x(-0.2))
            .with_scale(Vec3::splat(0.9)),
    };
    booth * local
}

/// The booth whose counter the citizen's eyes at `eyes` stand at, if any.
pub fn nearest_booth<'a>(
    eyes: Vec3,
    booths: impl Iterator<Item = (&'a ServiceWindow, &'a GlobalTransform)>,
) -> Option<(&'a ServiceWindow, Transform)> {
    booths
        .filter_map(|(window, at)| {
            let booth = at.compute_transform();
            let spot = booth.transform_point(Vec3::new(0.0, 0.0, -2.1));
            let distance = (eyes - spot).xz().length();
            (distance < OPEN_DISTANCE).then_some((distance, window, booth))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, window, booth)| (window, booth))
}

fn choose_window(
    mut commands: Commands,
    plaza: Res<Plaza>,
    mut panels: ResMut<Panels>,
    citizens: Query<&GlobalTransform, With<Citizen>>,
    booths: Query<(&ServiceWindow, &GlobalTransform)>,
    mut quads: Query<(&mut Transform, &mut Visibility), With<PanelQuad>>,
    mut contexts: Query<(Entity, &mut Camera), With<PanelContext>>,
    placement: Option<Res<PanelPlacement>>,
) {
    let moved = placement.as_ref().is_some_and(|p| p.is_changed());
    let placement = placement.map_or(PanelPlacement::AtCounter, |p| *p);
    let Ok(eyes) = citizens.single().map(GlobalTransform::translation) else {
        return;
    };
    let chosen = nearest_booth(eyes, booths.iter()).map(|(window, booth)| {
        let accent = plaza
            .windows
            .get(window.index)
            .map_or([90, 110, 130], |w| w.accent.0);
        ((window.service.clone(), accent), booth)
    });
    let now_open = chosen.as_ref().map(|(open, _)| open.clone());
    // A change of placement (the headset came or went) re-places an open panel.
    if panels.open == now_open && !moved {
        return;
    }
    let Ok((context, mut camera)) = contexts.single_mut() else {
        return;
    };
    let Ok((mut transform, mut visibility)) = quads.single_mut() else {
        return;
    };
    match chosen {
        Some(((service, accent), booth)) => {
            panels
                .windows
                .entry(service.clone())
                .or_insert_with(|| WindowPanel::new(&service));
            panels.open = Some((service, accent));
            *transform = panel_transform(booth, placement);
            *visibility = Visibility::Visible;
            camera.is_active = true;
            commands.insert_resource(FocusedNonWindowEguiContext(context));
        }
        None => {
            panels.open = None;
            *visibility = Visibility::Hidden;
            camera.is_active = false;
            commands.remove_resource::<FocusedNonWindowEguiContext>();
            commands.remove_resource::<HoveredNonWindowEguiContext>();
        }
    }
}

/// A pointer as egui sees it: where on the panel (in points), and whether it is pressed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PanelPointer {
    /// Where, when on the panel.
    pub at: Option<egui::Pos2>,
    /// Whether the button is held.
    pub pressed: bool,
}

impl PanelPointer {
    /// The pointer of a hit on `quad` (or off it), on a panel drawn at `zoom` (its text
    /// scale: the panel is `PANEL_POINTS / zoom` points large).
    pub fn of(hit: &PointerHit, quad: Entity, zoom: f32) -> Self {
        let size = PANEL_POINTS / zoom;
        Self {
            at: (hit.surface == Some(quad))
                .then(|| egui::pos2(hit.uv.x * size.x, hit.uv.y * size.y)),
            pressed: hit.pressed,
        }
    }
}

/// The egui events that take a panel's pointer from `before` to `now`. A press counts only
/// when it starts on the panel; a pointer that leaves lets go first.
pub fn pointer_events(before: PanelPointer, now: PanelPointer) -> Vec<egui::Event> {
    let mut events = Vec::new();
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::default(),
    };
    match (before.at, now.at) {
        (_, Some(at)) => {
            if before.at != Some(at) {
                events.push(egui::Event::PointerMoved(at));
            }
            let held_here = before.pressed && before.at.is_some();
            if now.pressed && !before.pressed {
                events.push(button(at, true));
            } else if !now.pressed && held_here {
                events.push(button(at, false));
            }
        }
        (Some(was), None) => {
            if before.pressed {
                events.push(button(was, false));
            }
            events.push(egui::Event::PointerGone);
        }
        (None, None) => {}
    }
    events
}

/// egui has one pointer, so the panel follows one of ours at a time: `pointers` are (pointer,
/// on the panel, pressed). The one in charge keeps the panel while it stays on it, unless
/// another presses on it; a free panel goes to a pointer pressing on it, else one resting on
/// it; with none on the panel, the last one stays in charge (so that it can say it left).
pub fn pointer_in_charge(
    owner: Option<Entity>,
    pointers: &[(Entity, bool, bool)],
) -> Option<Entity> {
    let on = |entity: Entity| pointers.iter().any(|&(e, on, _)| e == entity && on);
    let presser = pointers
        .iter()
        .find(|&&(e, on, pressed)| on && pressed && Some(e) != owner)
        .map(|&(e, ..)| e);
    let hoverer = pointers.iter().find(|&&(_, on, _)| on).map(|&(e, ..)| e);
    match owner.filter(|&o| on(o)) {
        Some(current) => Some(presser.unwrap_or(current)),
        None => presser.or(hoverer).or(owner),
    }
}

fn forward_pointer(
    mut commands: Commands,
    mut before: Local<HashMap<Entity, PanelPointer>>,
    mut owner: Local<Option<Entity>>,
    panels: Res<Panels>,
    pointers: Query<(Entity, &PointerHit)>,
    quads: Query<Entity, With<PanelQuad>>,
    contexts: Query<(Entity, Option<&EguiZoomFactor>), With<PanelContext>>,
    mut events: MessageWriter<EguiInputEvent>,
) {
    let (Ok(quad), Ok((context, zoom))) = (quads.single(), contexts.single()) else {
        return;
    };
    // With larger text the panel has fewer points across (egui's zoom).
    let zoom = zoom.map_or(1.0, |z| z.zoom_factor);
    let on_panel = |hit: &PointerHit| {
        if panels.open.is_some() {
            PanelPointer::of(hit, quad, zoom)
        } else {
            PanelPointer::default()
        }
    };
    let states: Vec<(Entity, bool, bool)> = pointers
        .iter()
        .map(|(entity, hit)| (entity, on_panel(hit).at.is_some(), hit.pressed))
        .collect();
    let in_charge = pointer_in_charge(*owner, &states);
    *owner = in_charge;
    let mut hovered = false;
    for (pointer, hit) in &pointers {
        let now = on_panel(hit);
        let was = before.insert(pointer, now).unwrap_or_default();
        if Some(pointer) != in_charge {
            continue;
        }
        // A press that began off the panel (walking, mouse look) is not a click on it.
        let now = PanelPointer {
            pressed: now.pressed && (was.pressed || now.at.is_some()),
            ..now
        };
        hovered |= now.at.is_some();
        for event in pointer_events(was, now) {
            events.write(EguiInputEvent { context, event });
        }
    }
    if hovered {
        commands.insert_resource(HoveredNonWindowEguiContext(context));
    } else {
        commands.remove_resource::<HoveredNonWindowEguiContext>();
    }
}

/// The panel's fonts: Noto Sans SC first, so that Chinese never shows as boxes, then egui's.
pub fn fonts() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "noto-sans-sc".to_owned(),
        std::sync::Arc::new(egui::FontData::from_static(REGULAR_FONT)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        let list = fonts.families.entry(family.clone()).or_default();
        if family == egui::FontFamily::Proportional {
            list.insert(0, "noto-sans-sc".to_owned());
        } else {
            list.push("noto-sans-sc".to_owned());
        }
    }
    fonts
}

/// The height of the panel's smallest target, in its points (a millimetre each in the plaza):
/// [`ui::MIN_TARGET`] unless a mode needs more, as a kiosk's small screen does.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct PanelTarget(pub f32);

impl Default for PanelTarget {
    fn default() -> Self {
        Self(ui::MIN_TARGET)
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_panel(
    mut styled: Local<Option<(PanelTarget, theme::Contrast, bool, f32)>>,
    mut hovered: Local<egui::IdSet>,
    mut cues: MessageWriter<Cue>,
    target: Res<PanelTarget>,
    lang: Res<Lang>,
    mut panels: ResMut<Panels>,
    session: Res<SessionHandle>,
    mut typing: ResMut<Typing>,
    mut contexts: Query<&mut EguiContext, With<PanelContext>>,
    comfort: Option<Res<Comfort>>,
    mut store: ResMut<crate::settings::SettingsStore>,
    plaza: Option<Res<Plaza>>,
    captions: Option<Res<crate::sound::captions::Captions>>,
) {
    let Ok(mut context) = contexts.single_mut() else {
        return;
    };
    let ctx = context.get_mut().clone();
    if styled.is_none() {
        ctx.set_fonts(fonts());
    }
    // How the panel looks and moves is the citizen's choice, in their settings; its targets
    // are the mode's. Restyled when either differs from what it was styled with.
    let chosen = store.settings;
    let look = (
        *target,
        chosen.contrast,
        chosen.reduced_motion,
        chosen.text_scale,
    );
    if *styled != Some(look) {
        ui::style(&ctx, target.0, chosen.contrast);
        ui::motion(&ctx, chosen.reduced_motion);
        // egui's zoom: the panel's 1600×900 pixels hold fewer points, so everything grows
        // and the layout reflows.
        ctx.set_zoom_factor(chosen.text_scale.clamp(1.0, 2.0));
        *styled = Some(look);
    }
    let Some((service, accent)) = panels.open.clone() else {
        return;
    };
    let Panels {
        model,
        windows,
        catalog,
        ..
    } = &mut *panels;
    let Some(panel) = windows.get_mut(&service) else {
        return;
    };
    model.time_zone = plaza.map(|plaza| plaza.time_zone).unwrap_or_default();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "panel".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let mut settings = store.settings;
    let saved = match &store.problem {
        Some(problem) => Err(problem.clone()),
        None => Ok(store.file.clone()),
    };
    let mut tab = ui::SettingsTab {
        settings: &mut settings,
        comfort: comfort.is_some(),
        captions_by_default: captions.is_some_and(|c| c.on_by_default),
        saved: saved.as_ref().map(Option::as_deref).map_err(Clone::clone),
    };
    let requests = ui::show(
        &mut root,
        panel,
        model,
        catalog,
        *lang,
        accent,
        OffsetDateTime::now_utc(),
        Some(&mut tab),
    );
    // The settings follow into the app (language, look, comfort) through `settings::follow`.
    if settings != store.settings {
        store.change(settings);
    }

    for request in requests {
        session.0.send(request);
    }
    typing.set_if_neq(Typing(ctx.egui_wants_keyboard_input()));
    // A tick when the pointer comes onto something it can press, a click when it presses it
    // (a key's own sound for the panel's keyboard).
    let (over, clicked) = ctx.interaction_snapshot(|i| (i.hovered.clone(), i.clicked));
    let pressable = ctx.output(|o| o.cursor_icon == egui::CursorIcon::PointingHand);
    let panel_cues = std::mem::take(&mut panel.cues);
    if clicked.is_some() && !panel_cues.contains(&Cue::Key) {
        cues.write(Cue::Press);
    }
    if pressable && clicked.is_none() && over.iter().any(|id| !hovered.contains(id)) {
        cues.write(Cue::Hover);
    }
    *hovered = over;
    cues.write_batch(panel_cues);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(
        id: &str,
        state: agora_gateway::State,
        outcome: Option<agora_services::Outcome>,
    ) -> crate::session::Summary {
        crate::session::Summary {
            id: agora_services::ApplicationId::parse(id).expect("an id"),
            service: "parking-permit".into(),
            state,
            outcome,
            reasons: Vec::new(),
            events: Vec::new(),
            last_error: None,
            has_receipt: false,
            demo: false,
            by_officer: false,
            accesses: Vec::new(),
            code: None,
        }
    }

    #[test]
    fn the_session_s_replies_sound_what_changed_and_nothing_that_was_already_so() {
        use crate::session::Reply;
        use agora_gateway::State::{Anchored, Decided, Queued};
        use agora_services::Outcome::{Approve, Refer, Reject};
        const A: &str = "urn:uuid:3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c";
        const B: &str = "urn:uuid:0b6a5f4e-1c2d-4e3f-8a9b-7c6d5e4f3a2b";
        let mut sent = Vec::new();
        // What the archive held when the plaza opened: nothing to hear.
        let opened = vec![summary(B, Decided, Some(Reject))];
        assert_eq!(
            heard(&Reply::Applications(opened.clone()), &[], &mut sent),
            []
        );
        // A is signed and sent.
        let id = agora_services::ApplicationId::parse(A).expect("an id");
        let submitted = Reply::Submitted {
            id,
            service: "parking-permit".into(),
        };
        assert_eq!(heard(&submitted, &opened, &mut sent), [Cue::Queued]);
        // It is recorded and decided in one refresh; it was never listed as queued.
        let decided = vec![summary(A, Decided, Some(Approve)), opened[0].clone()];
        assert_eq!(
            heard(&Reply::Applications(decided.clone()), &opened, &mut sent),
            [Cue::Recorded, Cue::Approved]
        );
        // The same list again: nothing new.
        assert_eq!(
            heard(&Reply::Applications(decided.clone()), &decided, &mut sent),
            []
        );
        // Referred, then decided by an officer.
        let before = vec![summary(A, Queued, None)];
        let referred = vec![summary(A, Anchored, Some(Refer))];
        assert_eq!(
            heard(&Reply::Applications(referred.clone()), &before, &mut sent),
            [Cue::Recorded, Cue::Referred]
        );
        let rejected = vec![summary(A, Decided, Some(Reject))];
        assert_eq!(
            heard(&Reply::Applications(rejected), &referred, &mut sent),
            [Cue::Rejected]
        );
        let problem = Reply::Problem {
            task: crate::session::Task::Submit,
            message: "the PIN is wrong".into(),
        };
        assert_eq!(heard(&problem, &[], &mut sent), [Cue::Error]);
    }

    #[test]
    fn the_panel_follows_one_pointer_at_a_time() {
        let [left, right, mouse] = [
            Entity::from_raw_u32(1),
            Entity::from_raw_u32(2),
            Entity::from_raw_u32(3),
        ]
        .map(|e| e.expect("an entity"));
        // Nobody on the panel, nobody in charge.
        assert_eq!(
            pointer_in_charge(None, &[(left, false, false), (right, false, false)]),
            None
        );
        // The first to rest on it takes it; the other arriving does not.
        assert_eq!(
            pointer_in_charge(None, &[(left, true, false), (right, false, false)]),
            Some(left)
        );
        assert_eq!(
            pointer_in_charge(Some(left), &[(left, true, false), (right, true, false)]),
            Some(left)
        );
        // Pressing on it takes it over.
        assert_eq!(
            pointer_in_charge(Some(left), &[(left, true, false), (right, true, true)]),
            Some(right)
        );
        // The one in charge leaves: the other, still on it, takes it.
        assert_eq!(
            pointer_in_charge(Some(right), &[(left, true, false), (right, false, false)]),
            Some(left)
        );
        // Everyone leaves: the last one stays in charge, to tell egui it left.
        assert_eq!(
            pointer_in_charge(Some(left), &[(left, false, false), (mouse, false, true)]),
            Some(left)
        );
    }

    /// The angle, in degrees, that the panel's body text (24 points, one point a millimetre at
    /// full scale) takes up for eyes standing at the counter.
    fn body_text_degrees(panel: &Transform, eyes: Vec3) -> f32 {
        let body = 0.024 * panel.scale.y;
        (body / eyes.distance(panel.translation))
            .atan()
            .to_degrees()
    }

    #[test]
    fn in_a_headset_the_panel_comes_within_reach_below_the_eyes_with_larger_text() {
        let booth = Transform::from_xyz(3.0, 0.0, -4.0).with_rotation(Quat::from_rotation_y(0.7));
        let eyes = booth.transform_point(Vec3::new(0.0, 1.65, -2.1));
        let desk = panel_transform(booth, PanelPlacement::AtCounter);
        let near = panel_transform(booth, PanelPlacement::WithinReach);
        for panel in [&desk, &near] {
            let to_eyes = (eyes - panel.translation).normalize();
            assert!(
                panel.back().dot(to_eyes) > 0.9,
                "the panel faces the citizen"
            );
        }
        let distance = eyes.distance(near.translation);
        assert!(
            (0.95..1.15).contains(&distance),
            "within reach: {distance} m"
        );
        let below = eyes.y - near.translation.y;
        assert!(
            (0.05..0.25).contains(&below),
            "a little below the eyes: {below} m"
        );
        let (desk_text, near_text) = (
            body_text_degrees(&desk, eyes),
            body_text_degrees(&near, eyes),
        );
        assert!(
            near_text > 1.1 && near_text > desk_text,
            "{near_text}° vs {desk_text}°"
        );
        // The whole panel stays inside a comfortable 70° of view.
        let width = (PANEL_SIZE.x * near.scale.x / 2.0 / distance)
            .atan()
            .to_degrees()
            * 2.0;
        assert!(width < 70.0, "{width}°");
    }
}
