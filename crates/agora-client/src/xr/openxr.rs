//! The OpenXR layer (bevy_mod_openxr): controller actions for both hands with bindings for the
//! common controllers, the head and the hands as tracked spaces under the tracking root, hand
//! tracking as a pointer where the runtime offers it, haptic pulses, and the switch between
//! the headset and the desktop window as the session comes and goes.

use bevy::prelude::*;
use bevy_mod_openxr::action_binding::OxrSendActionBindings;
use bevy_mod_openxr::action_set_attaching::OxrAttachActionSet;
use bevy_mod_openxr::action_set_syncing::{OxrActionSetSyncSet, OxrSyncActionSet};
use bevy_mod_openxr::exts::OxrEnabledExtensions;
use bevy_mod_openxr::openxr_session_running;
use bevy_mod_openxr::resources::OxrInstance;
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::hands::{HandBone, LeftHand, RightHand};
use bevy_mod_xr::session::{XrSessionCreated, XrState, XrTrackingRoot};
use bevy_mod_xr::spaces::{XrSpaceLocationFlags, XrSpaceSyncSet};

use super::interaction::{Hand, Haptic, Head, Rig, Side};
use super::{ModeSentence, XrNotice, XrStatus};
use crate::citizen::{Citizen, ControlsEnabled};
use crate::lang::Lang;
use crate::panel::PanelPlacement;
use crate::scene::{Plaza, compass_rotation, ground};

/// The citizen's controller actions.
#[derive(Resource)]
struct Actions {
    set: openxr::ActionSet,
    aim: openxr::Action<openxr::Posef>,
    trigger: openxr::Action<f32>,
    stick: openxr::Action<openxr::Vector2f>,
    haptic: openxr::Action<openxr::Haptic>,
    left: openxr::Path,
    right: openxr::Path,
}

impl Actions {
    fn path(&self, side: Side) -> openxr::Path {
        match side {
            Side::Left => self.left,
            Side::Right => self.right,
        }
    }
}

/// Adds the OpenXR layer; the app must have been built with bevy_mod_openxr's plugins.
pub fn plugin(app: &mut App) {
    app.add_systems(
        Startup,
        (
            create_actions.run_if(bevy_mod_xr::session::session_available),
            mark_rig,
        ),
    )
    .add_systems(OxrSendActionBindings, suggest_bindings)
    .add_systems(XrSessionCreated, (attach_actions, spawn_tracked))
    .add_systems(
        PreUpdate,
        (
            sync_actions
                .before(OxrActionSetSyncSet)
                .run_if(openxr_session_running),
            (read_controllers, read_tracked_hands)
                .chain()
                .after(OxrActionSetSyncSet)
                .after(XrSpaceSyncSet)
                .run_if(openxr_session_running),
        ),
    )
    .add_systems(
        Update,
        (
            play_haptics.run_if(openxr_session_running),
            switch_views,
            dress_xr_cameras,
            retire_xr_cameras,
        ),
    );
}

/// The tracking root becomes the citizen's rig, standing where the layout lets citizens in,
/// facing the way it says (as the desktop citizen does).
pub fn mark_rig(
    mut commands: Commands,
    plaza: Res<Plaza>,
    roots: Query<Entity, With<XrTrackingRoot>>,
) {
    let spawn = plaza.spawn;
    for root in &roots {
        commands.entity(root).insert((
            Rig,
            Transform::from_translation(ground(spawn.position))
                .with_rotation(compass_rotation(spawn.facing)),
        ));
    }
}

fn create_actions(mut commands: Commands, instance: Res<OxrInstance>) {
    let made = (|| -> openxr::Result<Actions> {
        let left = instance.string_to_path("/user/hand/left")?;
        let right = instance.string_to_path("/user/hand/right")?;
        let set = instance.create_action_set("agora", "Agora plaza", 0)?;
        let hands = [left, right];
        Ok(Actions {
            aim: set.create_action("aim", "Point", &hands)?,
            trigger: set.create_action("select", "Select", &hands)?,
            stick: set.create_action("move_turn", "Move and turn", &hands)?,
            haptic: set.create_action("pulse", "Vibrate", &hands)?,
            set,
            left,
            right,
        })
    })();
    match made {
        Ok(actions) => {
            commands.insert_resource(actions);
        }
        Err(result) => error!("OpenXR: creating the controller actions failed: {result}"),
    }
}

/// An interaction profile the client suggests bindings for: its path, the input that selects
/// and the stick (or trackpad) that moves and turns, if it has one. Every profile has an aim
/// pose and a haptic output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The interaction profile's path.
    pub path: &'static str,
    /// The input that selects (`select/click`, `trigger/value`).
    pub trigger: &'static str,
    /// The input that moves and turns, where the controller has one.
    pub stick: Option<&'static str>,
}

/// The profiles to suggest bindings for: the core specification's, and the extensions' only
/// where the session enabled them (a runtime refuses a profile whose extension is not enabled
/// with XR_ERROR_PATH_UNSUPPORTED, which bevy_mod_openxr logs as an error).
pub fn profiles(touch_controller_plus: bool) -> Vec<Profile> {
    let profile = |path, trigger, stick| Profile {
        path,
        trigger,
        stick,
    };
    let mut profiles = vec![
        profile(
            "/interaction_profiles/khr/simple_controller",
            "select/click",
            None,
        ),
        profile(
            "/interaction_profiles/oculus/touch_controller",
            "trigger/value",
            Some("thumbstick"),
        ),
        profile(
            "/interaction_profiles/valve/index_controller",
            "trigger/value",
            Some("thumbstick"),
        ),
        profile(
            "/interaction_profiles/htc/vive_controller",
            "trigger/value",
            Some("trackpad"),
        ),
        profile(
            "/interaction_profiles/microsoft/motion_controller",
            "trigger/value",
            Some("thumbstick"),
        ),
    ];
    if touch_controller_plus {
        profiles.push(profile(
            "/interaction_profiles/meta/touch_controller_plus",
            "trigger/value",
            Some("thumbstick"),
        ));
    }
    profiles
}

/// Suggests the bindings of every profile straight to the runtime, so that a profile it does
/// not know (XR_ERROR_PATH_UNSUPPORTED: Monado 24, for one, offers XR_META_touch_controller_plus
/// but refuses its profile) is expected and said in the log's info, while the other profiles
/// bind as usual; bevy_mod_openxr's own suggestion would log it as an error.
fn suggest_bindings(
    actions: Option<Res<Actions>>,
    instance: Res<OxrInstance>,
    enabled: Option<Res<OxrEnabledExtensions>>,
) {
    let Some(actions) = actions else {
        return;
    };
    let touch_plus = enabled.is_some_and(|e| e.meta_touch_controller_plus);
    for profile in profiles(touch_plus) {
        match suggest_profile(&instance, &actions, profile) {
            Ok(()) => debug!("OpenXR: bindings suggested for {}", profile.path),
            Err(openxr::sys::Result::ERROR_PATH_UNSUPPORTED) => info!(
                "OpenXR: the runtime does not know {}; controllers bind through the other \
                 profiles",
                profile.path
            ),
            Err(result) => error!(
                "OpenXR: suggesting bindings for {} failed: {result}",
                profile.path
            ),
        }
    }
}

fn suggest_profile(
    instance: &OxrInstance,
    actions: &Actions,
    profile: Profile,
) -> openxr::Result<()> {
    let mut bindings = Vec::new();
    for hand in ["left", "right"] {
        let path = |input: &str| instance.string_to_path(&format!("/user/hand/{hand}/{input}"));
        bindings.push(openxr::Binding::new(&actions.aim, path("input/aim/pose")?));
        bindings.push(openxr::Binding::new(
            &actions.trigger,
            path(&format!("input/{}", profile.trigger))?,
        ));
        bindings.push(openxr::Binding::new(
            &actions.haptic,
            path("output/haptic")?,
        ));
        if let Some(stick) = profile.stick {
            bindings.push(openxr::Binding::new(
                &actions.stick,
                path(&format!("input/{stick}"))?,
            ));
        }
    }
    let profile = instance.string_to_path(profile.path)?;
    instance.suggest_interaction_profile_bindings(profile, &bindings)
}

fn attach_actions(actions: Option<Res<Actions>>, mut attach: MessageWriter<OxrAttachActionSet>) {
    if let Some(actions) = actions {
        attach.write(OxrAttachActionSet(actions.set.clone()));
    }
}

fn sync_actions(actions: Option<Res<Actions>>, mut sync: MessageWriter<OxrSyncActionSet>) {
    if let Some(actions) = actions {
        sync.write(OxrSyncActionSet(actions.set.clone()));
    }
}

/// The head (the VIEW space) and one aim space per hand, as children of the tracking root.
fn spawn_tracked(
    mut commands: Commands,
    session: Res<OxrSession>,
    actions: Option<Res<Actions>>,
    old: Query<Entity, Or<(With<Head>, With<Hand>)>>,
) {
    for entity in &old {
        commands.entity(entity).despawn();
    }
    match session.create_reference_space(openxr::ReferenceSpaceType::VIEW, Isometry3d::IDENTITY) {
        Ok(view) => {
            commands.spawn((
                Name::new("Head"),
                Head,
                // An XrSpace brings XrTracker (a child of the tracking root) and its flags.
                view.0,
                Transform::from_xyz(0.0, 1.65, 0.0),
            ));
        }
        Err(result) => error!("OpenXR: xrCreateReferenceSpace(VIEW) failed: {result}"),
    }
    let Some(actions) = actions else {
        return;
    };
    for side in [Side::Left, Side::Right] {
        match session.create_action_space(&actions.aim, actions.path(side), Isometry3d::IDENTITY) {
            Ok(space) => {
                commands.spawn((Name::new(format!("{side:?} hand")), Hand::new(side), space));
            }
            Err(result) => error!("OpenXR: xrCreateActionSpace({side:?} aim) failed: {result}"),
        }
    }
}

/// Trigger, stick and tracking of each controller.
fn read_controllers(
    session: Res<OxrSession>,
    actions: Option<Res<Actions>>,
    mut hands: Query<(&mut Hand, &XrSpaceLocationFlags)>,
) {
    let Some(actions) = actions else {
        return;
    };
    for (mut hand, flags) in &mut hands {
        let path = actions.path(hand.side);
        let active = actions.aim.is_active(&session, path).unwrap_or(false);
        let trigger = actions
            .trigger
            .state(&session, path)
            .map_or(0.0, |s| if s.is_active { s.current_state } else { 0.0 });
        let stick = actions.stick.state(&session, path).map_or(Vec2::ZERO, |s| {
            if s.is_active {
                Vec2::new(s.current_state.x, s.current_state.y)
            } else {
                Vec2::ZERO
            }
        });
        hand.set_if_neq(Hand {
            side: hand.side,
            tracked: active && flags.position_tracked && flags.rotation_tracked,
            trigger,
            stick,
        });
    }
}

/// Where no controller is held but the runtime tracks the hand, the hand points: a ray from
/// the shoulder through the pinch, selected by pinching thumb and index finger together.
fn read_tracked_hands(
    bones: Query<
        (
            &HandBone,
            &Transform,
            &XrSpaceLocationFlags,
            Has<LeftHand>,
            Has<RightHand>,
        ),
        Without<Hand>,
    >,
    heads: Query<&Transform, (With<Head>, Without<Hand>)>,
    mut hands: Query<(&mut Hand, &mut Transform), Without<HandBone>>,
) {
    let Ok(head) = heads.single() else {
        return;
    };
    for (mut hand, mut aim) in &mut hands {
        if hand.tracked {
            continue;
        }
        let side = hand.side;
        let joint = |wanted: HandBone| {
            bones
                .iter()
                .find(|(bone, _, flags, left, right)| {
                    **bone as u8 == wanted as u8
                        && flags.position_tracked
                        && match side {
                            Side::Left => *left,
                            Side::Right => *right,
                        }
                })
                .map(|(_, transform, ..)| transform.translation)
        };
        let (Some(thumb), Some(index), Some(knuckle)) = (
            joint(HandBone::ThumbTip),
            joint(HandBone::IndexTip),
            joint(HandBone::IndexProximal),
        ) else {
            continue;
        };
        let Some((pose, trigger)) = pinch_pointer(head, side, thumb, index, knuckle) else {
            continue;
        };
        *aim = pose;
        hand.trigger = trigger;
        hand.stick = Vec2::ZERO;
        hand.tracked = true;
    }
}

/// A tracked hand's pointer: a ray from the shoulder (estimated from the head) through the
/// index finger's knuckle, and a trigger from the pinch — fully pulled with thumb and index tips
/// 1.5 cm apart, released at 4 cm. All positions in the rig's space.
pub fn pinch_pointer(
    head: &Transform,
    side: Side,
    thumb_tip: Vec3,
    index_tip: Vec3,
    index_knuckle: Vec3,
) -> Option<(Transform, f32)> {
    let outward = head.right().with_y(0.0).normalize_or_zero();
    let shoulder = head.translation
        + Vec3::Y * -0.15
        + outward * if side == Side::Right { 0.18 } else { -0.18 };
    let direction = Dir3::new(index_knuckle - shoulder).ok()?;
    let pose = Transform::from_translation(index_knuckle).looking_to(direction, Vec3::Y);
    let trigger = ((0.04 - thumb_tip.distance(index_tip)) / 0.025).clamp(0.0, 1.0);
    Some((pose, trigger))
}

fn play_haptics(
    session: Res<OxrSession>,
    actions: Option<Res<Actions>>,
    mut pulses: MessageReader<Haptic>,
) {
    let Some(actions) = actions else {
        pulses.clear();
        return;
    };
    for pulse in pulses.read() {
        let vibration = openxr::HapticVibration::new()
            .amplitude(pulse.amplitude.clamp(0.0, 1.0))
            .duration(openxr::Duration::from_nanos((pulse.seconds * 1e9) as i64))
            .frequency(openxr::FREQUENCY_UNSPECIFIED);
        if let Err(result) =
            actions
                .haptic
                .apply_feedback(&session, actions.path(pulse.side), &vibration)
        {
            debug!("OpenXR: xrApplyHapticFeedback failed: {result}");
        }
    }
}

/// While the headset shows the plaza the desktop camera rests and the keyboard does not walk;
/// when the session ends (the headset is taken off or its runtime quits) the desktop comes
/// back, with a note, so nobody is left looking at a frozen window.
pub fn switch_views(
    state: Option<Res<XrState>>,
    mut status: ResMut<XrStatus>,
    mut notice: ResMut<XrNotice>,
    mut controls: ResMut<ControlsEnabled>,
    mut placement: ResMut<PanelPlacement>,
    mut cameras: Query<&mut Camera, With<Citizen>>,
    lang: Option<Res<Lang>>,
) {
    let lang = lang.map_or(Lang::En, |l| *l);
    let running = matches!(state.as_deref(), Some(XrState::Running));
    let unavailable = matches!(state.as_deref(), Some(XrState::Unavailable));
    let now = if running {
        XrStatus::InHeadset
    } else if unavailable || *status == XrStatus::InHeadset {
        XrStatus::Desktop
    } else {
        *status
    };
    if unavailable && *status == XrStatus::Starting {
        notice.say(ModeSentence::CouldNotStart, lang);
        error!("OpenXR: bevy_mod_openxr could not initialise the session (see the error above)");
    }
    if now == *status {
        return;
    }
    if *status == XrStatus::InHeadset && now != XrStatus::InHeadset {
        notice.say(ModeSentence::SessionEnded, lang);
    }
    *status = now;
    let in_headset = now == XrStatus::InHeadset;
    controls.0 = !in_headset;
    *placement = if in_headset {
        PanelPlacement::WithinReach
    } else {
        PanelPlacement::AtCounter
    };
    for mut camera in &mut cameras {
        camera.is_active = !in_headset;
    }
}

/// When the session is stopping, the headset's eye cameras go, a frame or more before the
/// session is destroyed. bevy_mod_openxr 0.6 despawns them at destruction in the main world
/// and, separately, their render-world copies in the render world, behind Bevy's entity sync:
/// the frame's extraction then inserts into a render entity that is gone and Bevy's shadow
/// queue panics ("Failed to get directional light visible entities for cascade"), taking the
/// plaza down just as it should return to the desktop. Despawned here, in the main world only,
/// the sync removes the render-world copies in order, and bevy_mod_openxr finds none left.
fn retire_xr_cameras(
    mut commands: Commands,
    state: Option<Res<XrState>>,
    cameras: Query<Entity, With<XrCamera>>,
) {
    if matches!(
        state.as_deref(),
        Some(XrState::Stopping | XrState::Exiting { .. })
    ) {
        for camera in &cameras {
            commands.entity(camera).despawn();
        }
    }
}

/// The headset's eyes get the same sky, fog and tone as the desktop camera.
fn dress_xr_cameras(mut commands: Commands, cameras: Query<Entity, Added<XrCamera>>) {
    for camera in &cameras {
        commands.entity(camera).insert(crate::scenery::atmosphere());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinch_points_from_the_shoulder_through_the_knuckle_and_pulls_the_trigger() {
        let head = Transform::from_xyz(0.0, 1.65, 0.0);
        let knuckle = Vec3::new(0.25, 1.3, -0.4);
        let (pose, open) = pinch_pointer(
            &head,
            Side::Right,
            knuckle + Vec3::new(0.0, 0.02, 0.0),
            knuckle + Vec3::new(0.0, -0.03, -0.04),
            knuckle,
        )
        .expect("a pointer");
        assert_eq!(pose.translation, knuckle);
        let shoulder = Vec3::new(0.18, 1.5, 0.0);
        let along = (knuckle - shoulder).normalize();
        assert!(pose.forward().dot(along) > 0.999, "{:?}", pose.forward());
        assert_eq!(open, 0.0, "fingers 5 cm apart are open");

        let tip = knuckle + Vec3::new(0.0, 0.0, -0.05);
        let (_, pinched) = pinch_pointer(&head, Side::Right, tip, tip + Vec3::X * 0.01, knuckle)
            .expect("a pointer");
        assert_eq!(pinched, 1.0, "1 cm apart is a full pull");
        let (_, half) = pinch_pointer(&head, Side::Right, tip, tip + Vec3::X * 0.0275, knuckle)
            .expect("a pointer");
        assert!((half - 0.5).abs() < 1e-3, "{half}");

        // The left hand's ray starts at the left shoulder.
        let left = Vec3::new(-0.25, 1.3, -0.4);
        let (pose, _) = pinch_pointer(&head, Side::Left, tip, tip, left).expect("a pointer");
        assert!(pose.forward().x < 0.0, "{:?}", pose.forward());
    }

    #[test]
    fn an_extensions_profile_is_suggested_only_where_the_session_enabled_it() {
        let plus = "/interaction_profiles/meta/touch_controller_plus";
        let core = profiles(false);
        assert!(core.iter().all(|p| p.path != plus), "{core:?}");
        assert_eq!(core.len(), 5);
        let with = profiles(true);
        assert_eq!(with.iter().filter(|p| p.path == plus).count(), 1);
        assert!(core.iter().all(|p| with.contains(p)));
        // Every profile can select; only the simple controller has nothing to move with.
        for profile in &with {
            assert!(!profile.trigger.is_empty());
            assert_eq!(
                profile.stick.is_none(),
                profile.path.ends_with("khr/simple_controller"),
                "{profile:?}"
            );
        }
    }

    #[test]
    fn the_rig_starts_where_the_layout_lets_citizens_in() {
        let layout = crate::scene::layout::PlazaLayout::embedded().expect("the shipped plaza");
        let spawn = layout.spawn;
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(Plaza(layout))
            .add_systems(Startup, mark_rig);
        let root = app.world_mut().spawn(XrTrackingRoot).id();
        app.update();
        let rig = app.world().get::<Transform>(root).expect("a transform");
        assert!(app.world().get::<Rig>(root).is_some());
        assert_eq!(rig.translation, ground(spawn.position));
        let ahead = rig.forward();
        let expected = compass_rotation(spawn.facing) * Vec3::NEG_Z;
        assert!(ahead.dot(expected) > 0.999);
    }

    /// An app in which a headset session is starting, with `switch_views` and a desktop camera.
    fn starting() -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(XrStatus::Starting)
            .init_resource::<XrNotice>()
            .insert_resource(ControlsEnabled(true))
            .init_resource::<PanelPlacement>()
            .add_systems(Update, switch_views);
        app
    }

    #[test]
    fn the_desktop_rests_while_the_headset_shows_the_plaza_and_returns_when_it_ends() {
        let mut app = starting();
        let camera = app
            .world_mut()
            .spawn((
                Citizen {
                    yaw: 0.0,
                    pitch: 0.0,
                },
                Camera::default(),
            ))
            .id();
        let state = |app: &mut App, state: XrState| {
            app.insert_resource(state);
            app.update();
        };
        let active = |app: &App| app.world().get::<Camera>(camera).expect("camera").is_active;

        state(&mut app, XrState::Ready);
        assert!(
            active(&app),
            "the desktop shows the plaza until the headset does"
        );
        state(&mut app, XrState::Running);
        assert_eq!(*app.world().resource::<XrStatus>(), XrStatus::InHeadset);
        assert!(!active(&app));
        assert!(!app.world().resource::<ControlsEnabled>().0);
        assert_eq!(
            *app.world().resource::<PanelPlacement>(),
            PanelPlacement::WithinReach
        );
        assert_eq!(app.world().resource::<XrNotice>().text, None);

        // The citizen takes the headset off and the runtime ends the session.
        state(&mut app, XrState::Stopping);
        assert_eq!(*app.world().resource::<XrStatus>(), XrStatus::Desktop);
        assert!(active(&app));
        assert!(app.world().resource::<ControlsEnabled>().0);
        assert_eq!(
            *app.world().resource::<PanelPlacement>(),
            PanelPlacement::AtCounter
        );
        let notice = app.world().resource::<XrNotice>().text.clone();
        assert!(
            notice.is_some_and(|n| n.contains("continues on the desktop")),
            "the citizen is told"
        );
    }

    #[test]
    fn the_eyes_go_when_the_session_stops_and_not_before() {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .add_systems(Update, retire_xr_cameras);
        let eyes = [0, 1].map(|i| app.world_mut().spawn(XrCamera(i)).id());
        for state in [XrState::Idle, XrState::Ready, XrState::Running] {
            app.insert_resource(state);
            app.update();
            assert!(eyes.iter().all(|e| app.world().get_entity(*e).is_ok()));
        }
        app.insert_resource(XrState::Stopping);
        app.update();
        assert!(eyes.iter().all(|e| app.world().get_entity(*e).is_err()));
    }

    #[test]
    fn a_session_that_never_starts_leaves_the_desktop_with_a_sentence() {
        let mut app = starting();
        app.insert_resource(XrState::Unavailable);
        app.update();
        assert_eq!(*app.world().resource::<XrStatus>(), XrStatus::Desktop);
        assert!(app.world().resource::<ControlsEnabled>().0);
        let notice = app.world().resource::<XrNotice>().text.clone();
        assert_eq!(
            notice.as_deref(),
            Some("The headset could not be started, so the plaza opens on the desktop.")
        );
    }
}
