//! What a citizen does with their hands in a headset, independent of OpenXR: the OpenXR layer
//! ([`super::openxr`]) writes the pose, trigger and stick of each [`Hand`] and the pose of the
//! [`Head`]; these systems turn them into pointing (the same [`PointerRay`] as the mouse),
//! going to a window, teleporting, snap turning, gliding when asked for, and the comfort
//! vignette. Tests drive them with simulated poses.
//!
//! The [`Rig`] is the tracked space's origin in the plaza: moving the citizen moves the rig,
//! never the head, which belongs to the headset.

use bevy::prelude::*;

use super::comfort::{Arc, ComfortSettings, Handedness, teleport_arc, teleport_to, turn_about};
use crate::AppSystems;
use crate::citizen::{Citizen, WalkSettings};
use crate::pointer::{PointerHit, PointerRay, cast_pointers};
use crate::scene::footprint::walk;
use crate::scene::layout::BOOTH_FOOTPRINT;
use crate::scene::{Obstacle, Plaza, ServiceWindow};

/// The origin of the tracked space, placed in the plaza. Heads and hands are its children.
#[derive(Component, Debug, Default)]
pub struct Rig;

/// The headset: its transform is the head's pose in the rig's space.
#[derive(Component, Debug, Default)]
pub struct Head;

/// Left or right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The left hand.
    Left,
    /// The right hand.
    Right,
}

/// A hand (a controller, or a tracked hand): its transform is its aim pose in the rig's space,
/// pointing along its local −z.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
#[require(PointerRay, PointerHit, HandState)]
pub struct Hand {
    /// Which hand.
    pub side: Side,
    /// Whether its pose is known this frame.
    pub tracked: bool,
    /// The trigger (or a pinch), 0 released to 1 fully pulled.
    pub trigger: f32,
    /// The thumbstick: x right, y forward, each −1..1.
    pub stick: Vec2,
}

impl Hand {
    /// A tracked hand at rest.
    pub fn new(side: Side) -> Self {
        Self {
            side,
            tracked: true,
            trigger: 0.0,
            stick: Vec2::ZERO,
        }
    }
}

/// What a hand is doing over several frames.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct HandState {
    /// The trigger counts as held (with hysteresis, so a resting finger does not flicker).
    pub pressed: bool,
    /// It became held this frame.
    pub just_pressed: bool,
    /// The teleport arc being aimed, while the moving stick is pushed forward.
    pub aiming: Option<Arc>,
    /// The turning stick went back to the middle since the last turn.
    pub turn_armed: bool,
    /// The panel its ray rested on last frame.
    pub over: Option<Entity>,
}

/// A short vibration for a hand, for the OpenXR layer to play where the controller can.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct Haptic {
    /// Which hand.
    pub side: Side,
    /// How long, in seconds.
    pub seconds: f32,
    /// How strong, 0..1.
    pub amplitude: f32,
}

/// The citizen's comfort settings, and where they are kept.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Comfort {
    /// The citizen's comfort settings (kept in their settings file by
    /// [`crate::settings::follow`]).
    pub settings: ComfortSettings,
    /// The citizen asked for reduced motion: teleport only, no vignette.
    pub reduced_motion: bool,
}

impl Comfort {
    /// What is in force: the settings, less any smooth motion when motion is reduced.
    pub fn in_force(&self) -> ComfortSettings {
        if self.reduced_motion {
            ComfortSettings {
                teleport: true,
                smooth_locomotion: false,
                vignette: false,
                ..self.settings
            }
        } else {
            self.settings
        }
    }
}

/// How dark the edges of the view are, 0 (clear) to 1, eased towards `target` each frame.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq)]
pub struct Vignette {
    /// Now.
    pub strength: f32,
    /// Where it is heading: 1 while gliding or turning, 0 otherwise.
    pub target: f32,
}

/// Trigger levels at which a hand counts as pressed and released again.
const PRESS: f32 = 0.6;
const RELEASE: f32 = 0.4;
/// Stick deflection that starts aiming or turning, and the one that counts as let go.
const STICK_ON: f32 = 0.7;
const STICK_OFF: f32 = 0.3;
/// How far in front of a booth's centre its counter's spot is (the panel opens there).
const COUNTER_SPOT: f32 = 2.1;

/// Adds the headset interactions; the OpenXR layer or a test provides the rig, head and hands.
pub fn plugin(app: &mut App) {
    app.add_message::<Haptic>()
        .init_resource::<Vignette>()
        .add_systems(
            Update,
            (
                // The eyes follow the head twice: before pointing (with the head the headset
                // just reported) and after moving (so panels open where the citizen now is).
                (follow_head, aim_hands)
                    .chain()
                    .in_set(AppSystems::RecordInput)
                    .before(cast_pointers),
                (feel_panels, go_to_window, move_and_turn, follow_head)
                    .chain()
                    .in_set(AppSystems::Update),
                ease_vignette.in_set(AppSystems::Present),
            ),
        );
}

/// The world transform of something at `local` in the rig's space.
fn in_world(rig: &Transform, local: &Transform) -> Transform {
    rig.mul_transform(*local)
}

/// The desktop citizen's eyes follow the headset, so everything that asks where the citizen
/// stands and looks (which window's panel is open, which dashboard `T` means) works alike.
fn follow_head(
    rigs: Query<&Transform, With<Rig>>,
    heads: Query<&Transform, (With<Head>, Without<Rig>)>,
    mut citizens: Query<(&mut Transform, &mut Citizen), (Without<Rig>, Without<Head>)>,
) {
    let (Ok(rig), Ok(head)) = (rigs.single(), heads.single()) else {
        return;
    };
    let eyes = in_world(rig, head);
    let (yaw, pitch, _) = eyes.rotation.to_euler(EulerRot::YXZ);
    for (mut transform, mut citizen) in &mut citizens {
        *transform = eyes;
        *citizen = Citizen { yaw, pitch };
    }
}

/// Each hand's ray and trigger become its pointer's.
fn aim_hands(
    rigs: Query<&Transform, With<Rig>>,
    mut hands: Query<(&Hand, &Transform, &mut PointerRay, &mut HandState), Without<Rig>>,
) {
    let Ok(rig) = rigs.single() else {
        return;
    };
    for (hand, local, mut pointer, mut state) in &mut hands {
        let aim = in_world(rig, local);
        let was = state.pressed;
        state.pressed = hand.tracked
            && if was {
                hand.trigger > RELEASE
            } else {
                hand.trigger >= PRESS
            };
        state.just_pressed = state.pressed && !was;
        pointer.set_if_neq(PointerRay {
            ray: hand
                .tracked
                .then(|| Ray3d::new(aim.translation, aim.forward())),
            pressed: state.pressed,
        });
    }
}

/// A tick in the controller when its ray comes onto a panel, and a firmer one when the trigger
/// presses on it.
fn feel_panels(
    mut hands: Query<(&Hand, &PointerHit, &mut HandState)>,
    mut haptics: MessageWriter<Haptic>,
) {
    for (hand, hit, mut state) in &mut hands {
        if hit.surface.is_some() && hit.surface != state.over {
            haptics.write(Haptic {
                side: hand.side,
                seconds: 0.01,
                amplitude: 0.2,
            });
        }
        if hit.surface.is_some() && state.just_pressed {
            haptics.write(Haptic {
                side: hand.side,
                seconds: 0.02,
                amplitude: 0.5,
            });
        }
        state.over = hit.surface;
    }
}

/// Where `ray` enters the booth standing at `booth` (its body up to 3.2 m), if it does.
fn hit_booth(ray: Ray3d, booth: &GlobalTransform) -> Option<f32> {
    let to_local = booth.affine().inverse();
    let origin = to_local.transform_point3(ray.origin);
    let direction = to_local.transform_vector3(*ray.direction);
    let half = Vec3::new(BOOTH_FOOTPRINT[0] / 2.0, 1.6, BOOTH_FOOTPRINT[1] / 2.0);
    let centre = Vec3::new(0.0, 1.6, 0.0);
    let (mut near, mut far) = (0.0_f32, 30.0_f32);
    for axis in 0..3 {
        let (o, d) = (origin[axis] - centre[axis], direction[axis]);
        if d.abs() < 1e-6 {
            if o.abs() > half[axis] {
                return None;
            }
            continue;
        }
        let (a, b) = ((-half[axis] - o) / d, (half[axis] - o) / d);
        near = near.max(a.min(b));
        far = far.min(a.max(b));
        if near > far {
            return None;
        }
    }
    Some(near)
}

/// A trigger pulled while pointing at a booth (not at a panel) takes the citizen to its
/// counter, facing it, where its panel opens.
fn go_to_window(
    mut rigs: Query<&mut Transform, With<Rig>>,
    heads: Query<&Transform, (With<Head>, Without<Rig>)>,
    hands: Query<(&Hand, &PointerRay, &PointerHit, &HandState)>,
    booths: Query<&GlobalTransform, With<ServiceWindow>>,
    mut haptics: MessageWriter<Haptic>,
) {
    let (Ok(mut rig), Ok(head)) = (rigs.single_mut(), heads.single()) else {
        return;
    };
    for (hand, pointer, hit, state) in &hands {
        let Some(ray) = pointer
            .ray
            .filter(|_| state.just_pressed && hit.surface.is_none())
        else {
            continue;
        };
        let Some(booth) = booths
            .iter()
            .filter_map(|booth| hit_booth(ray, booth).map(|d| (d, booth)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, booth)| booth.compute_transform())
        else {
            continue;
        };
        let spot = booth.transform_point(Vec3::new(0.0, 0.0, -COUNTER_SPOT));
        // Turn so that the head looks at the booth, then step so that it stands on the spot.
        let eyes = in_world(&rig, head);
        let look = (booth.translation - spot).xz();
        let want = f32::atan2(-look.x, -look.y);
        let (have, _, _) = eyes.rotation.to_euler(EulerRot::YXZ);
        let (translation, rotation) = turn_about(
            (rig.translation, rig.rotation),
            eyes.translation,
            want - have,
        );
        rig.translation = translation;
        rig.rotation = rotation;
        let eyes = in_world(&rig, head);
        rig.translation = teleport_to(rig.translation, eyes.translation, spot);
        haptics.write(Haptic {
            side: hand.side,
            seconds: 0.03,
            amplitude: 0.5,
        });
    }
}

/// The moving hand's stick aims a teleport arc (pushed forward) and lands it (let go), or
/// glides when smooth locomotion is on; the other hand's stick snap turns.
fn move_and_turn(
    time: Res<Time>,
    comfort: Res<Comfort>,
    plaza: Res<Plaza>,
    walking: Res<WalkSettings>,
    obstacles: Query<&Obstacle>,
    mut rigs: Query<&mut Transform, With<Rig>>,
    heads: Query<&Transform, (With<Head>, Without<Rig>)>,
    mut hands: Query<(&Hand, &Transform, &mut HandState), (Without<Rig>, Without<Head>)>,
    mut vignette: ResMut<Vignette>,
    mut haptics: MessageWriter<Haptic>,
) {
    let (Ok(mut rig), Ok(head)) = (rigs.single_mut(), heads.single()) else {
        return;
    };
    let settings = comfort.in_force();
    let mover = match settings.handedness {
        Handedness::Right => Side::Right,
        Handedness::Left => Side::Left,
    };
    let footprints: Vec<_> = obstacles.iter().map(|o| o.0).collect();
    // The floor follows the posture: a seated citizen's eyes are raised to standing height.
    rig.translation.y = settings.posture.raise();
    let mut gliding = false;
    for (hand, local, mut state) in &mut hands {
        if !hand.tracked {
            state.aiming = None;
            continue;
        }
        let eyes = in_world(&rig, head);
        if hand.side == mover {
            if settings.smooth_locomotion {
                if hand.stick.length() > 0.15 {
                    // Forward is where the head looks, flattened onto the ground.
                    let forward = eyes.forward().xz().normalize_or_zero();
                    let right = Vec2::new(-forward.y, forward.x);
                    let step = (forward * hand.stick.y + right * hand.stick.x)
                        * settings.smooth_speed
                        * time.delta_secs();
                    let from = eyes.translation.xz();
                    let to = walk(from, step, walking.body_radius, &footprints, plaza.bounds);
                    rig.translation += Vec3::new(to.x - from.x, 0.0, to.y - from.y);
                    gliding = true;
                }
            } else if settings.teleport {
                let aim = in_world(&rig, local);
                if hand.stick.y > STICK_ON {
                    state.aiming = Some(teleport_arc(
                        aim.translation,
                        *aim.forward(),
                        &footprints,
                        plaza.bounds,
                        walking.body_radius,
                    ));
                } else if hand.stick.length() < STICK_OFF
                    && let Some(arc) = state.aiming.take()
                    && let Some(landing) = arc.landing
                {
                    rig.translation = teleport_to(rig.translation, eyes.translation, landing);
                    haptics.write(Haptic {
                        side: hand.side,
                        seconds: 0.02,
                        amplitude: 0.4,
                    });
                }
            }
        } else {
            // The turning hand.
            if hand.stick.x.abs() < STICK_OFF {
                state.turn_armed = true;
            } else if hand.stick.x.abs() > STICK_ON && state.turn_armed {
                state.turn_armed = false;
                // Stick right turns right: clockwise seen from above, a negative turn about y.
                let angle = -hand.stick.x.signum() * settings.snap_turn();
                let (translation, rotation) =
                    turn_about((rig.translation, rig.rotation), eyes.translation, angle);
                rig.translation = translation;
                rig.rotation = rotation;
                // A snap turn is instant; a brief dimming still softens it.
                vignette.strength = vignette.strength.max(0.6);
            }
        }
    }
    vignette.target = if gliding && settings.vignette {
        1.0
    } else {
        0.0
    };
    if !settings.vignette {
        vignette.strength = 0.0;
    }
}

/// The vignette darkens in a tenth of a second and clears in a quarter.
fn ease_vignette(time: Res<Time>, mut vignette: ResMut<Vignette>) {
    let rate = if vignette.target > vignette.strength {
        10.0
    } else {
        4.0
    };
    let step = rate * time.delta_secs();
    let difference = vignette.target - vignette.strength;
    vignette.strength += difference.clamp(-step, step);
}
