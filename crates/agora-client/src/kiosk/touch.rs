//! Touch at the kiosk: a finger is a [`PointerRay`] from the eyes through the point touched, so
//! panels take taps and drags as they take a mouse's or a controller's; a drag on the plaza
//! looks around; a tap on a booth takes the view there.

use bevy::input::touch::Touches;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::{GoToWindow, Idle, Stage};
use crate::AppSystems;
use crate::citizen::Citizen;
use crate::pointer::{MousePointer, PointerHit, PointerRay};
use crate::scene::ServiceWindow;

/// The kiosk's finger.
#[derive(Component, Debug)]
pub struct TouchPointer;

/// Whether the screen's own controls (the overlay) are under the pointer: then the plaza and
/// the panel leave it alone.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OverOverlay(pub bool);

/// A press on the plaza (not a panel, not the overlay), for telling a tap from a drag.
#[derive(Resource, Debug, Clone, Copy, Default)]
struct Press {
    /// Where it started and where it was last frame, in window pixels.
    start: Option<(Vec2, Vec2)>,
    /// Whether it moved far enough to be a drag.
    dragging: bool,
}

/// Radians of turn per pixel dragged.
const DRAG_TURN: f32 = 0.004;
/// Pixels a press may wander and still be a tap.
const TAP_SLOP: f32 = 14.0;

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.init_resource::<OverOverlay>()
        .init_resource::<Press>()
        .add_systems(Startup, spawn_finger)
        .add_systems(
            Update,
            (
                aim_finger
                    .after(crate::pointer::aim_mouse)
                    .before(crate::pointer::cast_pointers)
                    .in_set(AppSystems::RecordInput),
                look_and_tap.in_set(AppSystems::Update),
            ),
        );
}

fn spawn_finger(mut commands: Commands) {
    commands.spawn((
        Name::new("Touch pointer"),
        TouchPointer,
        PointerRay::default(),
        PointerHit::default(),
    ));
}

/// Where the screen is being touched or clicked, and whether it is held.
pub fn screen_pointer(
    touches: &Touches,
    buttons: &ButtonInput<MouseButton>,
    window: &Window,
) -> (Option<Vec2>, bool) {
    match touches.iter().next() {
        Some(touch) => (Some(touch.position()), true),
        None => (window.cursor_position(), buttons.pressed(MouseButton::Left)),
    }
}

/// Any touch, click or key counts as the visitor still being there.
pub fn note_touches(
    touches: Res<Touches>,
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    time: Res<Time>,
    mut idle: ResMut<Idle>,
) {
    if touches.any_just_pressed()
        || touches.iter().next().is_some()
        || buttons.get_just_pressed().next().is_some()
        || keys.get_just_pressed().next().is_some()
    {
        idle.last = time.elapsed();
    }
}

/// The finger's ray, through the point touched; while the overlay is under it (or between
/// visits) neither the finger nor the mouse points into the plaza.
fn aim_finger(
    touches: Res<Touches>,
    over: Res<OverOverlay>,
    stage: Res<Stage>,
    eyes: Query<(&Camera, &GlobalTransform), With<Citizen>>,
    mut fingers: Query<&mut PointerRay, (With<TouchPointer>, Without<MousePointer>)>,
    mut mice: Query<&mut PointerRay, (With<MousePointer>, Without<TouchPointer>)>,
) {
    let blocked = over.0 || *stage == Stage::Attract;
    let Ok((camera, at)) = eyes.single() else {
        return;
    };
    let finger = touches.iter().next().map(|touch| touch.position());
    for mut pointer in &mut fingers {
        let ray = if blocked {
            None
        } else {
            // A lifted finger leaves its ray where it was for one frame, so that the panel sees
            // the release where the press was.
            finger
                .and_then(|p| camera.viewport_to_world(at, p).ok())
                .or(pointer.ray)
        };
        let now = PointerRay {
            ray,
            pressed: finger.is_some() && !blocked,
        };
        let lifted = !now.pressed && !pointer.pressed;
        pointer.set_if_neq(if lifted && finger.is_none() {
            PointerRay::default()
        } else {
            now
        });
    }
    if blocked {
        for mut pointer in &mut mice {
            pointer.set_if_neq(PointerRay::default());
        }
    }
}

/// The booth a ray from the eyes meets first: each booth taken as a sphere of 1.8 m about
/// its middle, 1.5 m up.
pub fn tapped_booth<'a>(
    ray: Ray3d,
    booths: impl Iterator<Item = (&'a ServiceWindow, &'a GlobalTransform)>,
) -> Option<&'a ServiceWindow> {
    booths
        .filter_map(|(window, at)| {
            let centre = at.translation() + Vec3::Y * 1.5;
            let along = (centre - ray.origin).dot(*ray.direction);
            if along <= 0.0 {
                return None;
            }
            let miss = (ray.get_point(along) - centre).length();
            (miss < 1.8).then_some((along, window))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, window)| window)
}

/// A drag on the plaza turns the view; a tap on a booth goes to it.
fn look_and_tap(
    touches: Res<Touches>,
    buttons: Res<ButtonInput<MouseButton>>,
    over: Res<OverOverlay>,
    stage: Res<Stage>,
    mut press: ResMut<Press>,
    windows: Query<&Window, With<PrimaryWindow>>,
    hits: Query<&PointerHit>,
    booths: Query<(&ServiceWindow, &GlobalTransform)>,
    mut eyes: Query<(&Camera, &GlobalTransform, &mut Transform, &mut Citizen)>,
    mut goes: MessageWriter<GoToWindow>,
) {
    let Ok(window) = windows.single() else {
        return;
    };
    let (at, held) = screen_pointer(&touches, &buttons, window);
    let on_panel = hits.iter().any(|hit| hit.surface.is_some() && hit.pressed);
    if *stage != Stage::Visiting {
        *press = Press::default();
        return;
    }
    match (press.start, held, at) {
        (None, true, Some(at)) if !over.0 && !on_panel => {
            *press = Press {
                start: Some((at, at)),
                dragging: false,
            };
        }
        (Some((start, last)), true, Some(at)) => {
            if at.distance(start) > TAP_SLOP {
                press.dragging = true;
            }
            if press.dragging {
                let delta = at - last;
                for (_, _, mut transform, mut citizen) in &mut eyes {
                    citizen.yaw += delta.x * DRAG_TURN;
                    citizen.pitch = (citizen.pitch + delta.y * DRAG_TURN).clamp(-0.9, 0.6);
                    transform.rotation =
                        Quat::from_rotation_y(citizen.yaw) * Quat::from_rotation_x(citizen.pitch);
                }
            }
            press.start = Some((start, at));
        }
        (Some((_, last)), false, _) => {
            if !press.dragging
                && let Ok((camera, eyes_at, ..)) = eyes.single()
                && let Ok(ray) = camera.viewport_to_world(eyes_at, at.unwrap_or(last))
                && let Some(booth) = tapped_booth(ray, booths.iter())
            {
                goes.write(GoToWindow(booth.service.clone()));
            }
            *press = Press::default();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tap_finds_the_booth_it_points_at_and_the_nearest_of_two() {
        let near = (
            ServiceWindow {
                service: "near".into(),
                index: 0,
            },
            GlobalTransform::from(Transform::from_xyz(0.0, 0.0, -6.0)),
        );
        let far = (
            ServiceWindow {
                service: "far".into(),
                index: 1,
            },
            GlobalTransform::from(Transform::from_xyz(0.0, 0.0, -14.0)),
        );
        let aside = (
            ServiceWindow {
                service: "aside".into(),
                index: 2,
            },
            GlobalTransform::from(Transform::from_xyz(9.0, 0.0, -6.0)),
        );
        let all = [near, far, aside];
        let ahead = Ray3d::new(Vec3::new(0.0, 1.6, 0.0), Dir3::NEG_Z);
        let found = tapped_booth(ahead, all.iter().map(|(w, t)| (w, t)));
        assert_eq!(found.map(|w| w.service.as_str()), Some("near"));
        let right = Ray3d::new(
            Vec3::new(0.0, 1.6, 0.0),
            Dir3::new(Vec3::new(9.0, 0.0, -6.0)).expect("a direction"),
        );
        let found = tapped_booth(right, all.iter().map(|(w, t)| (w, t)));
        assert_eq!(found.map(|w| w.service.as_str()), Some("aside"));
        let sky = Ray3d::new(Vec3::new(0.0, 1.6, 0.0), Dir3::Y);
        assert!(tapped_booth(sky, all.iter().map(|(w, t)| (w, t))).is_none());
        let behind = Ray3d::new(Vec3::new(0.0, 1.6, 0.0), Dir3::Z);
        assert!(tapped_booth(behind, all.iter().map(|(w, t)| (w, t))).is_none());
    }
}
