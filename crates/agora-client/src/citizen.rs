//! The citizen in desktop mode: first-person eyes, mouse look, walking with the keyboard, and
//! the on-screen crosshair and hint.
//!
//! Mouse look needs the pointer captured: a click captures it, Esc (or leaving the window)
//! gives it back. Every movement goes through [`walk`], so booths, dashboards and the fountain
//! are solid and nobody leaves the plaza.

use bevy::input::mouse::AccumulatedMouseMotion;
use bevy::prelude::*;
use bevy::window::{CursorGrabMode, CursorOptions, PrimaryWindow, WindowFocused};

use crate::AppSystems;
use crate::lang::{Lang, UiFont};
use crate::pointer::{MousePointer, PointerHit};
use crate::scene::footprint::{Footprint, walk};
use crate::scene::{Obstacle, Plaza, compass_rotation};

/// The citizen's eyes: the camera that desktop mode looks through.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Citizen {
    /// Turn about the vertical axis, in radians (0 looks north).
    pub yaw: f32,
    /// Look up (+) or down (−), in radians.
    pub pitch: f32,
}

/// How the citizen moves; comfortable defaults for a first visit.
#[derive(Resource, Debug, Clone, Copy)]
pub struct WalkSettings {
    /// Walking speed in metres per second.
    pub speed: f32,
    /// Speed while Shift is held.
    pub run_speed: f32,
    /// Keyboard turning speed (Q/E) in radians per second.
    pub turn_speed: f32,
    /// Radians of turn per pixel of mouse motion.
    pub mouse_sensitivity: f32,
    /// Height of the eyes above the ground, in metres.
    pub eye_height: f32,
    /// How much room a citizen takes up, in metres.
    pub body_radius: f32,
}

impl Default for WalkSettings {
    fn default() -> Self {
        Self {
            speed: 3.0,
            run_speed: 6.0,
            turn_speed: 1.8,
            mouse_sensitivity: 0.002,
            eye_height: 1.65,
            body_radius: 0.35,
        }
    }
}

/// Whether keyboard and mouse drive the citizen (off while a scripted view is shown).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlsEnabled(pub bool);

/// Whether the citizen is typing into a panel: the keys are theirs, not the walk's.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Typing(pub bool);

/// The centre-of-screen pointer.
#[derive(Component)]
struct Crosshair;

/// The strip at the bottom of the screen that holds the line of help.
#[derive(Component)]
struct HintRow;

/// The line of help itself.
#[derive(Component)]
struct HintText;

/// Pitch is kept short of straight up or down, where yaw stops making sense.
const MAX_PITCH: f32 = 1.45;

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.init_resource::<WalkSettings>()
        .insert_resource(ControlsEnabled(true))
        .init_resource::<Typing>()
        .add_systems(Startup, (spawn_citizen, spawn_overlay))
        .add_systems(
            Update,
            (
                (capture_pointer, release_pointer).in_set(AppSystems::RecordInput),
                (look, move_citizen.run_if(resource_equals(Typing(false))))
                    .chain()
                    .in_set(AppSystems::Update)
                    .run_if(resource_equals(ControlsEnabled(true))),
                update_overlay.in_set(AppSystems::Present),
            ),
        );
}

/// The camera transform for a citizen standing at `position` (x, z) looking along yaw/pitch.
pub fn eye_transform(position: Vec2, citizen: Citizen, eye_height: f32) -> Transform {
    Transform::from_xyz(position.x, eye_height, position.y)
        .with_rotation(Quat::from_rotation_y(citizen.yaw) * Quat::from_rotation_x(citizen.pitch))
}

fn spawn_citizen(mut commands: Commands, plaza: Res<Plaza>, settings: Res<WalkSettings>) {
    let spawn = plaza.spawn;
    // compass_rotation is a turn about y; recover its angle as the citizen's yaw.
    let yaw = compass_rotation(spawn.facing).to_euler(EulerRot::YXZ).0;
    let citizen = Citizen { yaw, pitch: -0.05 };
    commands.spawn((
        Name::new("Citizen"),
        Camera3d::default(),
        citizen,
        eye_transform(
            Vec2::new(spawn.position.x, spawn.position.z),
            citizen,
            settings.eye_height,
        ),
        crate::scenery::atmosphere(),
    ));
}

fn spawn_overlay(mut commands: Commands, font: Res<UiFont>, lang: Res<Lang>) {
    commands.spawn((
        Name::new("Crosshair"),
        Crosshair,
        Node {
            position_type: PositionType::Absolute,
            left: percent(50),
            top: percent(50),
            width: px(12),
            height: px(12),
            margin: UiRect::all(px(-6)),
            border: UiRect::all(px(2)),
            border_radius: BorderRadius::MAX,
            ..default()
        },
        BorderColor::all(Color::WHITE),
        BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.35)),
        Visibility::Hidden,
    ));
    commands
        .spawn((
            Name::new("Controls hint"),
            HintRow,
            Node {
                position_type: PositionType::Absolute,
                bottom: px(24),
                width: percent(100),
                justify_content: JustifyContent::Center,
                ..default()
            },
        ))
        .with_child((
            HintText,
            Node {
                padding: UiRect::axes(px(16), px(8)),
                border_radius: BorderRadius::all(px(8)),
                ..default()
            },
            BackgroundColor(Color::srgba(0.05, 0.07, 0.1, 0.72)),
            Text::new(lang.controls_hint(false)),
            TextFont::from(font.0.clone()).with_font_size(20.0),
            TextColor(Color::WHITE),
        ));
}

fn pointer_captured(options: &CursorOptions) -> bool {
    options.grab_mode != CursorGrabMode::None
}

fn capture_pointer(
    buttons: Res<ButtonInput<MouseButton>>,
    controls: Res<ControlsEnabled>,
    on_panel: Query<&PointerHit, With<MousePointer>>,
    mut cursor: Query<&mut CursorOptions, With<PrimaryWindow>>,
) {
    if !controls.0 || !buttons.just_pressed(MouseButton::Left) {
        return;
    }
    // A click on a panel is for the panel.
    if on_panel.iter().any(|hit| hit.surface.is_some()) {
        return;
    }
    if let Ok(mut options) = cursor.single_mut()
        && !pointer_captured(&options)
    {
        // X11 cannot lock the pointer and falls back to confining it; motion still arrives.
        options.grab_mode = CursorGrabMode::Locked;
        options.visible = false;
    }
}

fn release_pointer(
    keys: Res<ButtonInput<KeyCode>>,
    mut focus: MessageReader<WindowFocused>,
    mut cursor: Query<&mut CursorOptions, With<PrimaryWindow>>,
) {
    let lost_focus = focus.read().any(|event| !event.focused);
    if !(keys.just_pressed(KeyCode::Escape) || lost_focus) {
        return;
    }
    if let Ok(mut options) = cursor.single_mut() {
        options.grab_mode = CursorGrabMode::None;
        options.visible = true;
    }
}

fn look(
    motion: Res<AccumulatedMouseMotion>,
    keys: Res<ButtonInput<KeyCode>>,
    typing: Res<Typing>,
    time: Res<Time>,
    settings: Res<WalkSettings>,
    cursor: Query<&CursorOptions, With<PrimaryWindow>>,
    mut citizens: Query<&mut Citizen>,
) {
    let captured = cursor.single().is_ok_and(pointer_captured);
    let mut turn = 0.0;
    // While typing, Q and E are letters.
    if keys.pressed(KeyCode::KeyQ) && !typing.0 {
        turn += settings.turn_speed * time.delta_secs();
    }
    if keys.pressed(KeyCode::KeyE) && !typing.0 {
        turn -= settings.turn_speed * time.delta_secs();
    }
    let delta = if captured { motion.delta } else { Vec2::ZERO };
    if turn == 0.0 && delta == Vec2::ZERO {
        return;
    }
    for mut citizen in &mut citizens {
        citizen.yaw += turn - delta.x * settings.mouse_sensitivity;
        citizen.pitch =
            (citizen.pitch - delta.y * settings.mouse_sensitivity).clamp(-MAX_PITCH, MAX_PITCH);
    }
}

/// The walking direction the keys ask for, relative to the citizen: x right, y forward.
fn key_direction(keys: &ButtonInput<KeyCode>) -> Vec2 {
    let mut direction = Vec2::ZERO;
    for (codes, step) in [
        ([KeyCode::KeyW, KeyCode::ArrowUp], Vec2::Y),
        ([KeyCode::KeyS, KeyCode::ArrowDown], Vec2::NEG_Y),
        ([KeyCode::KeyD, KeyCode::ArrowRight], Vec2::X),
        ([KeyCode::KeyA, KeyCode::ArrowLeft], Vec2::NEG_X),
    ] {
        if keys.any_pressed(codes) {
            direction += step;
        }
    }
    direction.normalize_or_zero()
}

fn move_citizen(
    keys: Res<ButtonInput<KeyCode>>,
    time: Res<Time>,
    settings: Res<WalkSettings>,
    plaza: Res<Plaza>,
    obstacles: Query<&Obstacle>,
    mut citizens: Query<(&Citizen, &mut Transform)>,
) {
    let direction = key_direction(&keys);
    let running = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let speed = if running {
        settings.run_speed
    } else {
        settings.speed
    };
    let footprints: Vec<Footprint> = obstacles.iter().map(|o| o.0).collect();
    for (citizen, mut transform) in &mut citizens {
        // Forward is −z turned by yaw; right is +x turned by yaw.
        let turn = Quat::from_rotation_y(citizen.yaw);
        let forward = (turn * Vec3::NEG_Z).xz();
        let right = (turn * Vec3::X).xz();
        let step = (forward * direction.y + right * direction.x) * speed * time.delta_secs();
        let at = walk(
            transform.translation.xz(),
            step,
            settings.body_radius,
            &footprints,
            plaza.bounds,
        );
        *transform = eye_transform(at, *citizen, settings.eye_height);
    }
}

fn update_overlay(
    controls: Res<ControlsEnabled>,
    lang: Res<Lang>,
    cursor: Query<Ref<CursorOptions>, With<PrimaryWindow>>,
    mut crosshair: Query<&mut Visibility, (With<Crosshair>, Without<HintRow>)>,
    mut rows: Query<&mut Visibility, (With<HintRow>, Without<Crosshair>)>,
    mut hints: Query<&mut Text, With<HintText>>,
) {
    let cursor = cursor.single().ok();
    let cursor_changed = cursor.as_ref().is_some_and(|options| options.is_changed());
    if !(cursor_changed || controls.is_changed() || lang.is_changed()) {
        return;
    }
    let captured = cursor.is_some_and(|options| pointer_captured(&options));
    let shown = |visible: bool| {
        if visible && controls.0 {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        }
    };
    for mut visibility in &mut crosshair {
        *visibility = shown(captured);
    }
    for mut visibility in &mut rows {
        *visibility = shown(true);
    }
    for mut text in &mut hints {
        text.0 = lang.controls_hint(captured).to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_a_unit_direction() {
        let mut keys = ButtonInput::<KeyCode>::default();
        keys.press(KeyCode::KeyW);
        keys.press(KeyCode::KeyD);
        let direction = key_direction(&keys);
        assert!((direction.length() - 1.0).abs() < 1e-6);
        assert!(direction.x > 0.0 && direction.y > 0.0);
        keys.press(KeyCode::KeyS);
        assert_eq!(key_direction(&keys), Vec2::X);
    }

    #[test]
    fn the_eyes_look_where_the_citizen_faces() {
        // Facing east (compass 90°) means looking along +x.
        let yaw = compass_rotation(90.0).to_euler(EulerRot::YXZ).0;
        let eyes = eye_transform(Vec2::ZERO, Citizen { yaw, pitch: 0.0 }, 1.65);
        assert!((eyes.forward().as_vec3() - Vec3::X).length() < 1e-5);
        assert_eq!(eyes.translation.y, 1.65);
    }
}
