//! `agora --mode xr --xr-check SECONDS`: a bounded headset session that reports what the
//! client saw, for `cargo xtask xr-check` to judge against whatever OpenXR runtime the machine
//! has.
//!
//! The session runs in phases: it waits for the runtime to make it FOCUSED and for the
//! renderer to compile its pipelines (lavapipe takes a while), shows the plaza in the headset
//! for `SECONDS` (counting the frames submitted, the CPU time they took, and
//! whether each controller's pose reached its [`Hand`] and drove its [`PointerRay`]), asks the
//! runtime to end the session as a citizen taking the headset off would, waits for the desktop
//! window to come back with its sentence, lets the renderer settle again, shows the plaza
//! there for `SECONDS` more at the same resolution, and prints one line, `agora-xr-check: {json}`, before it exits. Every phase has
//! a deadline; a missed one is named in the report's `failure` and the exit status is 1.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_mod_openxr::poll_events::{OxrEventHandlerExt, OxrEventIn};
use bevy_mod_openxr::resources::{OxrCurrentSessionConfig, OxrFrameState};
use bevy_mod_xr::session::XrRequestExitMessage;
use cpu_time::ProcessTime;
use serde::Serialize;

use super::interaction::{Hand, Rig, Side};
use super::{ModeSentence, XrNotice, XrStatus};
use crate::citizen::{Citizen, ControlsEnabled};
use crate::lang::Lang;
use crate::pointer::PointerRay;
use crate::screenshot::{RenderProgress, Settling};

/// What prefixes the report's line on standard output.
pub const REPORT_PREFIX: &str = "agora-xr-check: ";

/// How long the runtime may take to make the session FOCUSED (a software renderer compiles
/// every pipeline first).
const FOCUS_DEADLINE: Duration = Duration::from_secs(180);
/// How long the renderer may take to compile what a view needs.
const SETTLE_DEADLINE: Duration = Duration::from_secs(180);
/// How long the session may take to end and hand the plaza back to the desktop.
const END_DEADLINE: Duration = Duration::from_secs(30);

/// What the check saw; printed as JSON.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Report {
    /// The OpenXR session states the runtime announced, in order (`IDLE`, `READY`, …).
    pub states: Vec<String>,
    /// Seconds from launch to FOCUSED.
    pub focused_after_s: Option<f64>,
    /// Each eye's image size in the headset.
    pub eye_size: Option<[u32; 2]>,
    /// The plaza in the headset.
    pub headset: Option<Segment>,
    /// Each controller, as its `Hand` and `PointerRay` saw it in the headset.
    pub hands: Vec<HandSeen>,
    /// The sentence the desktop showed when the session ended.
    pub ended_sentence: Option<String>,
    /// Whether the desktop window's camera and keyboard came back.
    pub desktop_back: bool,
    /// The plaza on the desktop window after the session, at the same resolution.
    pub desktop: Option<Segment>,
    /// The deadline that was missed, if one was.
    pub failure: Option<String>,
}

/// Frames over a stretch of time.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Segment {
    /// Frames rendered (in the headset: submitted to the runtime).
    pub frames: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// CPU seconds the whole process used meanwhile, all threads.
    pub cpu_seconds: f64,
    /// Frames per second.
    pub fps: f64,
    /// CPU milliseconds per frame.
    pub cpu_ms_per_frame: f64,
}

/// One controller over the headset stretch.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HandSeen {
    /// `left` or `right`.
    pub side: &'static str,
    /// Frames its pose was tracked.
    pub tracked_frames: u64,
    /// Frames its pointer had a ray starting at the hand and along its aim.
    pub ray_frames: u64,
    /// Its last tracked position in the rig's space (metres), as the runtime gave it.
    pub position: Option<[f32; 3]>,
}

/// Where the check is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Focusing,
    SettlingInHeadset { since: Instant },
    InHeadset { since: Instant, cpu: ProcessTime },
    Ending { since: Instant },
    SettlingOnDesktop { since: Instant },
    OnDesktop { since: Instant, cpu: ProcessTime },
    Done,
}

/// The running check.
#[derive(Resource)]
struct XrCheck {
    seconds: f32,
    launched: Instant,
    phase: Phase,
    frames: u64,
    settling: Settling,
    progress: RenderProgress,
    report: Report,
}

/// Adds the check, `seconds` in the headset and as many on the desktop; the app must be a
/// headset app (with bevy_mod_openxr's plugins and [`super::openxr::plugin`]).
pub fn plugin(seconds: f32) -> impl Fn(&mut App) {
    move |app: &mut App| {
        let launched = crate::screenshot::LAUNCHED
            .get()
            .copied()
            .unwrap_or_else(Instant::now);
        let progress = RenderProgress::track(app);
        app.insert_resource(XrCheck {
            seconds,
            launched,
            phase: Phase::Focusing,
            frames: 0,
            settling: Settling::default(),
            progress,
            report: Report {
                hands: [Side::Left, Side::Right].map(HandSeen::new).to_vec(),
                ..default()
            },
        })
        .add_oxr_event_handler(record_states)
        .add_systems(Last, run_check);
    }
}

impl HandSeen {
    fn new(side: Side) -> Self {
        Self {
            side: match side {
                Side::Left => "left",
                Side::Right => "right",
            },
            tracked_frames: 0,
            ray_frames: 0,
            position: None,
        }
    }
}

fn record_states(event: OxrEventIn, mut check: ResMut<XrCheck>) {
    if let openxr::Event::SessionStateChanged(changed) = *event {
        let state = changed.state();
        check.report.states.push(format!("{state:?}"));
        if state == openxr::SessionState::FOCUSED && check.report.focused_after_s.is_none() {
            check.report.focused_after_s = Some(check.launched.elapsed().as_secs_f64());
        }
    }
}

impl Segment {
    fn measured(frames: u64, since: Instant, cpu: ProcessTime) -> Self {
        let seconds = since.elapsed().as_secs_f64();
        let cpu_seconds = cpu.elapsed().as_secs_f64();
        let per = frames.max(1) as f64;
        Self {
            frames,
            seconds,
            cpu_seconds,
            fps: frames as f64 / seconds.max(1e-9),
            cpu_ms_per_frame: cpu_seconds * 1e3 / per,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_check(
    mut check: ResMut<XrCheck>,
    status: Res<XrStatus>,
    frame: Option<Res<OxrFrameState>>,
    config: Option<Res<OxrCurrentSessionConfig>>,
    notice: Res<XrNotice>,
    controls: Res<ControlsEnabled>,
    lang: Option<Res<Lang>>,
    rigs: Query<&Transform, With<Rig>>,
    hands: Query<(&Hand, &Transform, &PointerRay), Without<Rig>>,
    cameras: Query<&Camera, With<Citizen>>,
    mut request_exit: MessageWriter<XrRequestExitMessage>,
    mut exit: MessageWriter<AppExit>,
) {
    let check = &mut *check;
    let seconds = Duration::from_secs_f32(check.seconds);
    match check.phase {
        Phase::Focusing => {
            let focused = check.report.focused_after_s.is_some();
            if focused && *status == XrStatus::InHeadset {
                check.settling = Settling::default();
                check.phase = Phase::SettlingInHeadset {
                    since: Instant::now(),
                };
            } else if check.launched.elapsed() > FOCUS_DEADLINE {
                fail(
                    check,
                    &mut exit,
                    "the session did not become FOCUSED in time",
                );
            }
        }
        Phase::SettlingInHeadset { since } => {
            if check.settling.settled(&check.progress) {
                check.phase = Phase::InHeadset {
                    since: Instant::now(),
                    cpu: ProcessTime::now(),
                };
                check.frames = 0;
            } else if *status != XrStatus::InHeadset {
                fail(check, &mut exit, "the session left the headset on its own");
            } else if since.elapsed() > SETTLE_DEADLINE {
                fail(
                    check,
                    &mut exit,
                    "the headset's pipelines did not compile in time",
                );
            }
        }
        Phase::InHeadset { since, cpu } => {
            if frame.is_some_and(|f| f.should_render) {
                check.frames += 1;
            }
            if let Some(config) = &config {
                check.report.eye_size = Some([config.resolution.x, config.resolution.y]);
            }
            if let Ok(rig) = rigs.single() {
                for (hand, local, pointer) in &hands {
                    let seen = &mut check.report.hands[usize::from(hand.side == Side::Right)];
                    if !hand.tracked {
                        continue;
                    }
                    seen.tracked_frames += 1;
                    seen.position = Some(local.translation.to_array());
                    let aim = rig.mul_transform(*local);
                    let drives = pointer.ray.is_some_and(|ray| {
                        ray.origin.distance(aim.translation) < 1e-3
                            && ray.direction.dot(*aim.forward()) > 0.999
                    });
                    seen.ray_frames += u64::from(drives);
                }
            }
            if *status != XrStatus::InHeadset {
                fail(check, &mut exit, "the session left the headset on its own");
            } else if since.elapsed() >= seconds {
                check.report.headset = Some(Segment::measured(check.frames, since, cpu));
                request_exit.write(XrRequestExitMessage);
                check.phase = Phase::Ending {
                    since: Instant::now(),
                };
            }
        }
        Phase::Ending { since } => {
            let lang = lang.map_or(Lang::En, |l| *l);
            let said = notice.text.clone();
            let active = cameras.iter().any(|camera| camera.is_active);
            if *status == XrStatus::Desktop && said.is_some() {
                check.report.desktop_back = active && controls.0;
                check.report.ended_sentence = said;
                if check.report.ended_sentence != Some(ModeSentence::SessionEnded.text(lang)) {
                    warn!("the desktop came back with another sentence than the session's end");
                }
                check.settling = Settling::default();
                check.phase = Phase::SettlingOnDesktop {
                    since: Instant::now(),
                };
            } else if since.elapsed() > END_DEADLINE {
                fail(
                    check,
                    &mut exit,
                    "the session did not hand the plaza back to the desktop in time",
                );
            }
        }
        Phase::SettlingOnDesktop { since } => {
            if check.settling.settled(&check.progress) {
                check.phase = Phase::OnDesktop {
                    since: Instant::now(),
                    cpu: ProcessTime::now(),
                };
                check.frames = 0;
            } else if since.elapsed() > SETTLE_DEADLINE {
                fail(
                    check,
                    &mut exit,
                    "the desktop's pipelines did not compile in time",
                );
            }
        }
        Phase::OnDesktop { since, cpu } => {
            check.frames += 1;
            if since.elapsed() >= seconds {
                check.report.desktop = Some(Segment::measured(check.frames, since, cpu));
                finish(check, &mut exit);
            }
        }
        Phase::Done => {}
    }
}

fn fail(check: &mut XrCheck, exit: &mut MessageWriter<AppExit>, why: &str) {
    error!("xr-check: {why}");
    check.report.failure = Some(why.to_owned());
    finish(check, exit);
}

fn finish(check: &mut XrCheck, exit: &mut MessageWriter<AppExit>) {
    check.phase = Phase::Done;
    match serde_json::to_string(&check.report) {
        Ok(json) => println!("{REPORT_PREFIX}{json}"),
        Err(problem) => error!("xr-check: cannot write the report: {problem}"),
    }
    exit.write(if check.report.failure.is_some() {
        AppExit::from_code(1)
    } else {
        AppExit::Success
    });
}
