//! XR interactions, headless, with simulated head and controller poses: a ray at a window and
//! the trigger take the citizen to its counter (where its panel opens), a teleport lands on the
//! ground and never inside a booth, a snap turn turns by the configured angle about the head,
//! and seated mode raises the view.

use std::f32::consts::PI;

use agora_client::citizen::{Citizen, ControlsEnabled};
use agora_client::panel::nearest_booth;
use agora_client::pointer::{PanelSurface, PointerHit, cast_pointers};
use agora_client::scene::{Obstacle, Plaza, ServiceWindow};
use agora_client::xr::comfort::{ComfortSettings, Handedness, Posture};
use agora_client::xr::interaction::{
    self, Comfort, Hand, HandState, Haptic, Head, Rig, Side, Vignette,
};
use agora_client::{AppSystems, xr};
use bevy::ecs::query::QueryFilter;
use bevy::prelude::*;

use crate::plaza_app;

/// Standing eye height of the simulated citizen, in the rig's space.
const EYES: f32 = 1.65;

struct Headset {
    app: App,
}

impl Headset {
    /// The shipped plaza with a rig at its spawn point, a head and two hands at rest.
    fn on(settings: ComfortSettings) -> Self {
        let mut app = plaza_app();
        let spawn = app.world().resource::<Plaza>().spawn.position;
        let spawn = Vec3::new(spawn.x, 0.0, spawn.z);
        app.add_plugins(xr::notice_plugin)
            .insert_resource(Comfort {
                settings,
                reduced_motion: false,
            })
            .add_plugins(interaction::plugin)
            .add_systems(Update, cast_pointers.in_set(AppSystems::RecordInput));
        app.update();
        // In a headset the keyboard does not walk.
        app.insert_resource(ControlsEnabled(false));
        let rig = app
            .world_mut()
            .spawn((Rig, Transform::from_translation(spawn)))
            .id();
        app.world_mut()
            .spawn((Head, Transform::from_xyz(0.0, EYES, 0.0), ChildOf(rig)));
        for (side, x) in [(Side::Left, -0.2), (Side::Right, 0.2)] {
            app.world_mut().spawn((
                Hand::new(side),
                Transform::from_xyz(x, 1.2, -0.3),
                ChildOf(rig),
            ));
        }
        app.update();
        Self { app }
    }

    /// The transform of the one entity that `F` selects.
    fn single<F: QueryFilter>(&mut self) -> Transform {
        *self
            .app
            .world_mut()
            .query_filtered::<&Transform, F>()
            .single(self.app.world())
            .expect("exactly one")
    }

    fn rig(&mut self) -> Transform {
        self.single::<With<Rig>>()
    }

    /// The citizen's eyes in the plaza (they follow the head).
    fn eyes(&mut self) -> Transform {
        self.single::<With<Citizen>>()
    }

    fn hand(&mut self, side: Side) -> Entity {
        self.app
            .world_mut()
            .query::<(Entity, &Hand)>()
            .iter(self.app.world())
            .find(|(_, hand)| hand.side == side)
            .map(|(entity, _)| entity)
            .expect("the hand")
    }

    /// Points hand `side` from where it is at `target` in the plaza.
    fn point_at(&mut self, side: Side, target: Vec3) {
        let rig = self.rig();
        let hand = self.hand(side);
        let mut transform = self
            .app
            .world_mut()
            .get_mut::<Transform>(hand)
            .expect("a hand transform");
        let local_target = rig.compute_affine().inverse().transform_point3(target);
        let from = transform.translation;
        transform.look_at(local_target, Vec3::Y);
        assert!(from.distance(local_target) > 0.1);
    }

    /// Points hand `side` along `direction` in the rig's space.
    fn point_along(&mut self, side: Side, direction: Vec3) {
        let hand = self.hand(side);
        let mut transform = self
            .app
            .world_mut()
            .get_mut::<Transform>(hand)
            .expect("a hand transform");
        let at = transform.translation;
        transform.look_to(direction, Vec3::Y);
        transform.translation = at;
    }

    fn set(&mut self, side: Side, change: impl FnOnce(&mut Hand)) {
        let hand = self.hand(side);
        let mut hand = self.app.world_mut().get_mut::<Hand>(hand).expect("a hand");
        change(&mut hand);
    }

    fn frames(&mut self, n: usize) {
        for _ in 0..n {
            self.app.update();
        }
    }

    fn state(&mut self, side: Side) -> HandState {
        let hand = self.hand(side);
        self.app
            .world()
            .get::<HandState>(hand)
            .expect("hand state")
            .clone()
    }

    /// The window whose panel is open where the citizen now stands.
    fn open_window(&mut self) -> Option<String> {
        let eyes = self.eyes().translation;
        let mut booths = self
            .app
            .world_mut()
            .query::<(&ServiceWindow, &GlobalTransform)>();
        nearest_booth(eyes, booths.iter(self.app.world())).map(|(w, _)| w.service.clone())
    }

    fn haptics(&mut self) -> usize {
        self.app
            .world_mut()
            .resource_mut::<Messages<Haptic>>()
            .drain()
            .count()
    }

    fn yaw(&mut self) -> f32 {
        self.rig().rotation.to_euler(EulerRot::YXZ).0
    }

    fn obstacles(&mut self) -> Vec<Obstacle> {
        self.app
            .world_mut()
            .query::<&Obstacle>()
            .iter(self.app.world())
            .copied()
            .collect()
    }
}

fn booth(headset: &mut Headset, service: &str) -> Transform {
    headset
        .app
        .world_mut()
        .query::<(&ServiceWindow, &GlobalTransform)>()
        .iter(headset.app.world())
        .find(|(w, _)| w.service == service)
        .map(|(_, at)| at.compute_transform())
        .expect("the window")
}

#[test]
fn a_ray_at_a_window_and_the_trigger_take_the_citizen_to_its_counter() {
    let mut headset = Headset::on(ComfortSettings::default());
    assert_eq!(
        headset.open_window(),
        None,
        "no panel is open at the spawn point"
    );
    let transport = booth(&mut headset, "parking-permit");
    let start = headset.rig();
    headset.point_at(Side::Right, transport.translation + Vec3::Y * 1.6);
    headset.frames(1);
    assert_eq!(headset.rig(), start, "pointing alone moves nobody");

    headset.set(Side::Right, |hand| hand.trigger = 1.0);
    headset.frames(2);
    assert_eq!(headset.open_window().as_deref(), Some("parking-permit"));
    let eyes = headset.eyes();
    let to_booth = (transport.translation - eyes.translation).xz().normalize();
    let facing = eyes.forward().xz().normalize();
    assert!(
        facing.dot(to_booth) > 0.99,
        "the citizen faces the window: {facing} vs {to_booth}"
    );
    assert!(
        (eyes.translation.y - EYES).abs() < 1e-4,
        "the eyes stay at their height"
    );
    assert!(headset.haptics() >= 1, "the controller pulses");

    // Holding the trigger does nothing more; pulling it at the sky does nothing at all.
    let there = headset.rig();
    headset.frames(5);
    headset.set(Side::Right, |hand| hand.trigger = 0.0);
    headset.frames(1);
    headset.point_along(Side::Right, Vec3::new(0.0, 1.0, -0.2));
    headset.set(Side::Right, |hand| hand.trigger = 1.0);
    headset.frames(2);
    assert_eq!(headset.rig(), there);
}

#[test]
fn a_teleport_lands_on_the_ground_and_never_inside_a_booth() {
    let mut headset = Headset::on(ComfortSettings::default());
    // Aim forward and a little up over open ground: the arc lands, the stick let go goes.
    headset.point_along(Side::Right, Vec3::new(0.0, 0.35, -1.0));
    headset.set(Side::Right, |hand| hand.stick = Vec2::new(0.0, 1.0));
    headset.frames(1);
    let arc = headset
        .state(Side::Right)
        .aiming
        .expect("aiming while the stick is forward");
    let landing = arc.landing.expect("open ground ahead of the spawn point");
    assert_eq!(landing.y, 0.0);
    headset.set(Side::Right, |hand| hand.stick = Vec2::ZERO);
    headset.frames(1);
    let eyes = headset.eyes().translation;
    assert!(
        (eyes.xz() - landing.xz()).length() < 1e-3,
        "the head lands over the arc's end: {eyes} vs {landing}"
    );
    assert!((eyes.y - EYES).abs() < 1e-4);
    assert!(headset.state(Side::Right).aiming.is_none());

    // Sweep the hand all around, at many pitches, from several places: whatever lands, lands
    // on open ground inside the plaza.
    let bounds = headset.app.world().resource::<Plaza>().bounds;
    let obstacles = headset.obstacles();
    let mut landed = 0;
    let mut refused = 0;
    for turn in 0..24 {
        for pitch in [-0.3_f32, 0.0, 0.3, 0.6, 0.9] {
            let yaw = turn as f32 / 24.0 * 2.0 * PI;
            let direction = Quat::from_rotation_y(yaw) * Vec3::new(0.0, pitch, -1.0).normalize();
            let before = headset.eyes().translation;
            headset.point_along(Side::Right, direction);
            headset.set(Side::Right, |hand| hand.stick = Vec2::new(0.0, 1.0));
            headset.frames(1);
            headset.set(Side::Right, |hand| hand.stick = Vec2::ZERO);
            headset.frames(1);
            let after = headset.eyes().translation;
            if (after - before).length() < 1e-4 {
                refused += 1;
                continue;
            }
            landed += 1;
            let ground = after.xz();
            for obstacle in &obstacles {
                assert!(
                    obstacle.0.push_out(ground, 0.3).is_none(),
                    "landed in {obstacle:?} at {ground}"
                );
            }
            assert!(ground.x.abs() < bounds.half_width && ground.y.abs() < bounds.half_depth);
        }
    }
    assert!(landed > 20, "most throws land somewhere ({landed})");
    assert!(
        refused > 5,
        "throws into booths or at the sky are refused ({refused})"
    );
}

#[test]
fn a_teleport_aimed_into_a_booth_goes_nowhere() {
    let mut headset = Headset::on(ComfortSettings::default());
    let transport = booth(&mut headset, "parking-permit");
    // Walk (teleport the rig) to 3 m before the booth's side, then aim flat at its middle.
    let front = transport.transform_point(Vec3::new(0.0, 0.0, -3.2));
    headset
        .app
        .world_mut()
        .query_filtered::<&mut Transform, With<Rig>>()
        .single_mut(headset.app.world_mut())
        .expect("rig")
        .translation = Vec3::new(front.x, 0.0, front.z);
    headset.frames(1);
    headset.point_at(Side::Right, transport.translation + Vec3::Y * 1.4);
    headset.set(Side::Right, |hand| hand.stick = Vec2::new(0.0, 1.0));
    headset.frames(1);
    let arc = headset.state(Side::Right).aiming.expect("aiming");
    assert_eq!(arc.landing, None, "the arc stops at the booth");
    let before = headset.rig();
    headset.set(Side::Right, |hand| hand.stick = Vec2::ZERO);
    headset.frames(1);
    assert_eq!(headset.rig(), before);
}

#[test]
fn a_snap_turn_turns_by_the_configured_angle_about_the_head() {
    let settings = ComfortSettings {
        snap_turn_degrees: 45.0,
        ..default()
    };
    let mut headset = Headset::on(settings);
    let start = headset.yaw();
    let head = headset.eyes().translation;
    headset.set(Side::Left, |hand| hand.stick = Vec2::new(1.0, 0.0));
    headset.frames(1);
    let turned = headset.yaw() - start;
    assert!(
        (turned.to_degrees() + 45.0).abs() < 1e-3,
        "turned {}°",
        turned.to_degrees()
    );
    assert!(
        (headset.eyes().translation - head).length() < 1e-4,
        "the head stays put"
    );
    assert!(
        headset.app.world().resource::<Vignette>().strength > 0.0,
        "a brief dimming"
    );

    // Held, it does not turn again; back to the middle and left again, it turns back.
    headset.frames(10);
    assert!(((headset.yaw() - start).to_degrees() + 45.0).abs() < 1e-3);
    headset.set(Side::Left, |hand| hand.stick = Vec2::ZERO);
    headset.frames(1);
    headset.set(Side::Left, |hand| hand.stick = Vec2::new(-1.0, 0.0));
    headset.frames(1);
    assert!((headset.yaw() - start).abs() < 1e-4);

    // Left-handed, the right hand turns and the left one teleports.
    let mut lefty = Headset::on(ComfortSettings {
        handedness: Handedness::Left,
        ..default()
    });
    let start = lefty.yaw();
    lefty.set(Side::Right, |hand| hand.stick = Vec2::new(1.0, 0.0));
    lefty.frames(1);
    assert!(((lefty.yaw() - start).to_degrees() + 30.0).abs() < 1e-3);
}

#[test]
fn seated_mode_raises_the_view_and_smooth_locomotion_dims_the_edges() {
    let mut seated = Headset::on(ComfortSettings {
        posture: Posture::Seated { raise: 0.45 },
        smooth_locomotion: true,
        ..default()
    });
    seated.frames(1);
    assert!((seated.eyes().translation.y - (EYES + 0.45)).abs() < 1e-4);
    let before = seated.eyes().translation;
    seated.set(Side::Right, |hand| hand.stick = Vec2::new(0.0, 1.0));
    seated.frames(30);
    let after = seated.eyes().translation;
    let facing = seated.eyes().forward().xz().normalize();
    let moved = (after - before).xz();
    assert!(
        moved.length() > 0.5,
        "half a second of gliding moves {moved}"
    );
    assert!(
        moved.normalize().dot(facing) > 0.99,
        "forward is where the head looks"
    );
    assert!(seated.app.world().resource::<Vignette>().strength > 0.9);
    seated.set(Side::Right, |hand| hand.stick = Vec2::ZERO);
    seated.frames(30);
    assert!(seated.app.world().resource::<Vignette>().strength < 0.01);

    // Reduced motion, one switch: the same stick glides nowhere and nothing darkens; it aims
    // the teleport arc instead.
    seated
        .app
        .world_mut()
        .resource_mut::<Comfort>()
        .reduced_motion = true;
    let before = seated.eyes().translation;
    seated.set(Side::Right, |hand| hand.stick = Vec2::new(0.0, 1.0));
    seated.frames(30);
    assert!(
        (seated.eyes().translation - before).xz().length() < 1e-4,
        "no gliding with reduced motion"
    );
    assert!(seated.app.world().resource::<Vignette>().strength < 0.01);
}

#[test]
fn a_hand_ray_on_a_panel_is_a_pointer_that_presses_and_the_controller_ticks() {
    let mut headset = Headset::on(ComfortSettings::default());
    let rig = headset.rig();
    let hand = headset.hand(Side::Left);
    let at = rig.transform_point(Vec3::new(-0.2, 1.2, -1.3));
    // A panel a metre before the left hand, facing it.
    let panel = headset
        .app
        .world_mut()
        .spawn((
            PanelSurface {
                size: Vec2::new(1.6, 0.9),
            },
            Transform::from_translation(at).with_rotation(rig.rotation),
            InheritedVisibility::VISIBLE,
        ))
        .id();
    // The right hand points away, so that only the left one is on the panel.
    headset.point_along(Side::Left, Vec3::NEG_Z);
    headset.point_along(Side::Right, Vec3::X);
    headset.frames(2);
    let hit = *headset.app.world().get::<PointerHit>(hand).expect("a hit");
    assert_eq!(hit.surface, Some(panel));
    assert!((hit.uv - Vec2::splat(0.5)).length() < 0.01, "{:?}", hit.uv);
    assert!(!hit.pressed);
    assert_eq!(
        headset.haptics(),
        1,
        "a tick as the ray comes onto the panel"
    );

    headset.set(Side::Left, |hand| hand.trigger = 0.65);
    headset.frames(1);
    let hit = *headset.app.world().get::<PointerHit>(hand).expect("a hit");
    assert!(hit.pressed, "the trigger presses on the panel");
    assert_eq!(headset.haptics(), 1, "a firmer pulse on the press");
    // A finger resting half-way keeps it pressed (hysteresis), and the rig stays put.
    headset.set(Side::Left, |hand| hand.trigger = 0.5);
    headset.frames(1);
    assert!(
        headset
            .app
            .world()
            .get::<PointerHit>(hand)
            .expect("hit")
            .pressed
    );
    assert_eq!(headset.rig(), rig);
    headset.set(Side::Left, |hand| hand.trigger = 0.1);
    headset.frames(1);
    assert!(
        !headset
            .app
            .world()
            .get::<PointerHit>(hand)
            .expect("hit")
            .pressed
    );
}
