//! The OpenXR layer (bevy_mod_openxr): controller actions for both hands with bindings for the
//! common controllers, the head and the hands as tracked spaces under the tracking root, hand
//! tracking as a pointer where the runtime offers it, haptic pulses, and the switch between
//! the headset and the desktop window as the session comes and goes.

use std::borrow::Cow;

use bevy::prelude::*;
use bevy_mod_openxr::action_binding::{OxrSendActionBindings, OxrSuggestActionBinding};
use bevy_mod_openxr::action_set_attaching::OxrAttachActionSet;
use bevy_mod_openxr::action_set_syncing::{OxrActionSetSyncSet, OxrSyncActionSet};
use bevy_mod_openxr::openxr_session_running;
use bevy_mod_openxr::resources::OxrInstance;
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::hands::{HandBone, LeftHand, RightHand};
use bevy_mod_xr::session::{XrSessionCreated, XrState, XrTracker, XrTrackingRoot};
use bevy_mod_xr::spaces::{XrSpaceLocationFlags, XrSpaceSyncSet};

use super::interaction::{Hand, Haptic, Head, Rig, Side};
use super::{XrNotice, XrStatus};
use crate::citizen::{Citizen, ControlsEnabled};
use crate::panel::PanelPlacement;

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
        ),
    );
}

fn mark_rig(mut commands: Commands, roots: Query<Entity, With<XrTrackingRoot>>) {
    for root in &roots {
        commands.entity(root).insert(Rig);
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

fn suggest_bindings(
    actions: Option<Res<Actions>>,
    mut bindings: MessageWriter<OxrSuggestActionBinding>,
) {
    let Some(actions) = actions else {
        return;
    };
    // (profile, trigger input, stick input or None); every profile has aim/pose and haptic.
    let profiles: [(&str, &str, Option<&str>); 6] = [
        (
            "/interaction_profiles/khr/simple_controller",
            "select/click",
            None,
        ),
        (
            "/interaction_profiles/oculus/touch_controller",
            "trigger/value",
            Some("thumbstick"),
        ),
        (
            "/interaction_profiles/meta/touch_controller_plus",
            "trigger/value",
            Some("thumbstick"),
        ),
        (
            "/interaction_profiles/valve/index_controller",
            "trigger/value",
            Some("thumbstick"),
        ),
        (
            "/interaction_profiles/htc/vive_controller",
            "trigger/value",
            Some("trackpad"),
        ),
        (
            "/interaction_profiles/microsoft/motion_controller",
            "trigger/value",
            Some("thumbstick"),
        ),
    ];
    let both = |input: &str| -> Vec<Cow<'static, str>> {
        ["left", "right"]
            .iter()
            .map(|hand| Cow::Owned(format!("/user/hand/{hand}/{input}")))
            .collect()
    };
    for (profile, trigger, stick) in profiles {
        let mut suggest = |action: openxr::sys::Action, input: &str| {
            bindings.write(OxrSuggestActionBinding {
                action,
                interaction_profile: Cow::Owned(profile.to_owned()),
                bindings: both(input),
            });
        };
        suggest(actions.aim.as_raw(), "input/aim/pose");
        suggest(actions.trigger.as_raw(), &format!("input/{trigger}"));
        suggest(actions.haptic.as_raw(), "output/haptic");
        if let Some(stick) = stick {
            suggest(actions.stick.as_raw(), &format!("input/{stick}"));
        }
    }
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
                view.0,
                XrTracker,
                XrSpaceLocationFlags::default(),
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
                commands.spawn((
                    Name::new(format!("{side:?} hand")),
                    Hand::new(side),
                    space,
                    XrTracker,
                    XrSpaceLocationFlags::default(),
                    Transform::default(),
                ));
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
        let shoulder = head.translation
            + Vec3::Y * -0.15
            + head.right().with_y(0.0).normalize_or_zero()
                * if side == Side::Right { 0.18 } else { -0.18 };
        let origin = knuckle;
        let Ok(direction) = Dir3::new(origin - shoulder) else {
            continue;
        };
        *aim = Transform::from_translation(origin).looking_to(direction, Vec3::Y);
        let pinch = thumb.distance(index);
        // Fully pinched below 1.5 cm, open above 4 cm.
        hand.trigger = ((0.04 - pinch) / 0.025).clamp(0.0, 1.0);
        hand.stick = Vec2::ZERO;
        hand.tracked = true;
    }
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
fn switch_views(
    state: Option<Res<XrState>>,
    mut status: ResMut<XrStatus>,
    mut notice: ResMut<XrNotice>,
    mut controls: ResMut<ControlsEnabled>,
    mut placement: ResMut<PanelPlacement>,
    mut cameras: Query<&mut Camera, With<Citizen>>,
) {
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
        notice.show("The headset could not be started, so the plaza opens on the desktop.");
        error!("OpenXR: bevy_mod_openxr could not initialise the session (see the error above)");
    }
    if now == *status {
        return;
    }
    if *status == XrStatus::InHeadset && now != XrStatus::InHeadset {
        notice.show("The headset session ended; the plaza continues on the desktop.");
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

/// The headset's eyes get the same sky, fog and tone as the desktop camera.
fn dress_xr_cameras(mut commands: Commands, cameras: Query<Entity, Added<XrCamera>>) {
    for camera in &cameras {
        commands.entity(camera).insert(crate::scenery::atmosphere());
    }
}
