//! `agora --screenshot OUT.png`: render one view, write it as a PNG, and exit.
//!
//! The capture waits until the renderer has compiled every pipeline it was asked for and has
//! drawn several frames since without asking for more, so the picture is never half-drawn
//! (a mesh whose pipeline is still compiling is simply skipped by Bevy). It also reports how
//! long the first frame and the capture took, which `cargo xtask bench` reads.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::render_resource::{CachedPipelineState, PipelineCache};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::{Render, RenderApp, RenderSystems};

use bevy::camera::ManualTextureViewHandle;
use bevy_mod_openxr::render::XR_TEXTURE_INDEX;

use crate::citizen::{Citizen, ControlsEnabled};
use crate::dashboards::{Boards, Drawing};
use crate::scene::layout::{GroundPoint, PlazaLayout};
use crate::scene::{Plaza, compass_rotation, ground};
use crate::xr::XrStatus;
use crate::xr::interaction::Rig;

/// When the process started, for the timings printed after a capture.
pub static LAUNCHED: OnceLock<Instant> = OnceLock::new();

/// Which part of the plaza a screenshot shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// The whole plaza from above the avenue to the south.
    Overview,
    /// What a citizen sees on arrival in desktop mode, controls hint included.
    Entrance,
    /// Standing at a service window, looking at its counter.
    Window(String),
    /// Standing at a service window as a citizen in a headset would, the panel within reach and
    /// its Comfort tab open.
    Comfort(String),
    /// A kiosk's attract screen (`--mode kiosk`).
    Attract,
    /// A kiosk's visit at a service window, its "are you still there?" countdown showing
    /// (`--mode kiosk`).
    Countdown(String),
    /// Standing before a dashboard, showing its charts or, with `table`, its table of numbers.
    Dashboard {
        /// The dashboard's id in the layout.
        id: String,
        /// Show the table view.
        table: bool,
    },
}

impl View {
    /// Parses `overview`, `entrance`, `window:<service-id>`, `window:<service-id>:comfort`,
    /// `dashboard:<id>` or `dashboard:<id>:table`, checking the id against the layout.
    pub fn parse(text: &str, layout: &PlazaLayout) -> Result<Self, String> {
        match text.split_once(':') {
            None if text == "overview" => Ok(View::Overview),
            None if text == "entrance" => Ok(View::Entrance),
            None if text == "attract" => Ok(View::Attract),
            Some(("countdown", id)) => match View::parse(&format!("window:{id}"), layout)? {
                View::Window(id) => Ok(View::Countdown(id)),
                _ => Err(format!("countdown:{id}: name a service window")),
            },
            Some(("window", rest)) => {
                let (id, comfort) = match rest.strip_suffix(":comfort") {
                    Some(id) => (id, true),
                    None => (rest, false),
                };
                if layout.windows.iter().any(|w| w.service == id) {
                    Ok(if comfort {
                        View::Comfort(id.to_owned())
                    } else {
                        View::Window(id.to_owned())
                    })
                } else {
                    let known: Vec<_> = layout.windows.iter().map(|w| w.service.as_str()).collect();
                    Err(format!(
                        "the plaza has no window for service {id:?}; it has: {}",
                        known.join(", ")
                    ))
                }
            }
            Some(("dashboard", rest)) => {
                let (id, table) = match rest.strip_suffix(":table") {
                    Some(id) => (id, true),
                    None => (rest, false),
                };
                if layout.dashboards.iter().any(|d| d.id == id) {
                    Ok(View::Dashboard {
                        id: id.to_owned(),
                        table,
                    })
                } else {
                    let known: Vec<_> = layout.dashboards.iter().map(|d| d.id.as_str()).collect();
                    Err(format!(
                        "the plaza has no dashboard {id:?}; it has: {}",
                        known.join(", ")
                    ))
                }
            }
            _ => Err(format!(
                "unknown view {text:?}: use overview, entrance, window:<service-id>, \
                 window:<service-id>:comfort, dashboard:<id> or dashboard:<id>:table \
                 (and with --mode kiosk: attract or countdown:<service-id>)"
            )),
        }
    }

    /// Whether only a kiosk shows this view.
    pub fn is_kiosk_only(&self) -> bool {
        matches!(self, View::Attract | View::Countdown(_))
    }

    /// The service window the view stands at, if any.
    pub fn window(&self) -> Option<&str> {
        match self {
            View::Window(id) | View::Comfort(id) | View::Countdown(id) => Some(id),
            _ => None,
        }
    }

    /// Where the camera stands and what it looks at for this view; `None` for the citizen's
    /// own eyes.
    pub fn camera(&self, layout: &PlazaLayout) -> Option<Transform> {
        // Stand `distance` metres in front of something facing `facing`, eyes at `height`,
        // looking at a point `target` metres up it.
        let before =
            |position: GroundPoint, facing: f32, distance: f32, height: f32, target: f32| {
                let front = compass_rotation(facing) * Vec3::NEG_Z;
                let thing = ground(position);
                Transform::from_translation(thing + front * distance + Vec3::Y * height)
                    .looking_at(thing + Vec3::Y * target, Vec3::Y)
            };
        match self {
            View::Overview => {
                let d = layout.bounds.half_depth;
                Some(
                    Transform::from_xyz(0.0, 0.75 * d + 3.0, 1.7 * d + 6.0)
                        .looking_at(Vec3::new(0.0, 2.0, -0.35 * d), Vec3::Y),
                )
            }
            // The kiosk stands its own view (over the plaza, or before a panel).
            View::Entrance | View::Attract | View::Countdown(_) => None,
            // Where a citizen stands at the counter, with the panel open before them.
            View::Window(id) => layout
                .windows
                .iter()
                .find(|w| &w.service == id)
                .map(|w| before(w.position, w.facing, 2.75, 1.68, 1.62)),
            // Where a citizen in a headset stands: on the counter's spot, eyes at 1.65 m.
            View::Comfort(id) => layout
                .windows
                .iter()
                .find(|w| &w.service == id)
                .map(|w| before(w.position, w.facing, 2.1, 1.65, 1.5)),
            View::Dashboard { id, .. } => layout
                .dashboards
                .iter()
                .find(|d| &d.id == id)
                .map(|d| before(d.position, d.facing, 4.2, 1.7, 1.85)),
        }
    }
}

/// What to capture and where to write it.
#[derive(Resource, Debug, Clone)]
pub struct ScreenshotRequest {
    /// The PNG file to write.
    pub path: PathBuf,
    /// The view to show.
    pub view: View,
    /// Fill a window's form with its example, submit it, and wait for the decision.
    pub filled: bool,
}

/// Renderer progress, shared between the main world and the render world.
#[derive(Resource, Clone, Default)]
pub struct RenderProgress(Arc<Progress>);

impl RenderProgress {
    /// Makes the render world count its frames and the pipelines still compiling after each,
    /// once per app, and returns the counts' handle.
    pub fn track(app: &mut App) -> RenderProgress {
        if let Some(progress) = app.world().get_resource::<RenderProgress>() {
            return progress.clone();
        }
        let progress = RenderProgress::default();
        app.insert_resource(progress.clone());
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app.insert_resource(progress.clone()).add_systems(
                Render,
                count_pending_pipelines.in_set(RenderSystems::Cleanup),
            );
        }
        progress
    }

    /// Frames the renderer has finished.
    pub fn frames(&self) -> u64 {
        self.0.frames.load(Ordering::Acquire)
    }

    /// Pipelines queued or compiling after the last rendered frame.
    pub fn pending(&self) -> usize {
        self.0.pending.load(Ordering::Relaxed)
    }
}

/// Whether the renderer has settled: [`SETTLED_FRAMES`] rendered frames in a row with no
/// pipeline pending (new pipelines are only asked for while a frame is prepared, so a few
/// quiet frames mean nothing more is coming).
#[derive(Debug, Default, Clone, Copy)]
pub struct Settling {
    seen_frames: u64,
    settled_frames: u32,
}

impl Settling {
    /// Looks at the renderer's progress once a frame; true once it has settled.
    pub fn settled(&mut self, progress: &RenderProgress) -> bool {
        let frames = progress.frames();
        if frames != self.seen_frames {
            self.seen_frames = frames;
            if progress.pending() > 0 {
                self.settled_frames = 0;
            } else {
                self.settled_frames += 1;
            }
        }
        self.settled_frames >= SETTLED_FRAMES
    }

    /// Starts again (something new is being drawn).
    pub fn restart(&mut self) {
        self.settled_frames = 0;
    }
}

#[derive(Default)]
struct Progress {
    /// Pipelines queued or compiling after the last rendered frame.
    pending: AtomicUsize,
    /// Pipelines that failed to compile (a shader error), after the last rendered frame.
    failed: AtomicUsize,
    /// Frames the renderer has finished.
    frames: AtomicU64,
    /// Time from launch to the end of the first rendered frame.
    first_frame: OnceLock<Duration>,
}

/// Where the capture is.
#[derive(Resource, Debug, Default)]
struct Capture {
    /// How far the renderer has settled.
    settling: Settling,
    /// When everything was compiled and the capture was requested.
    requested: Option<Duration>,
    /// Whether the picture must wait (for a filled example's decision).
    hold: bool,
}

/// Rendered frames in a row with no pipeline pending before the capture: new pipelines are
/// only asked for while a frame is prepared, so a few quiet frames mean nothing more is coming.
const SETTLED_FRAMES: u32 = 8;

/// Give up if the picture is not ready after this long (a software renderer at 4K is slow;
/// lavapipe at 1280×720 needs well under a minute).
const TIMEOUT: Duration = Duration::from_secs(240);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    RenderProgress::track(app);
    app.init_resource::<Capture>()
        .add_systems(PostStartup, place_camera)
        .add_systems(
            Update,
            (fill_example, open_comfort_tab).in_set(crate::AppSystems::Update),
        )
        .add_systems(Last, capture_when_settled);
}

fn place_camera(
    request: Res<ScreenshotRequest>,
    kiosk: Option<Res<crate::kiosk::Kiosk>>,
    plaza: Res<Plaza>,
    mut controls: ResMut<ControlsEnabled>,
    mut cameras: Query<(&mut Transform, &mut Citizen), Without<Rig>>,
    mut rigs: Query<&mut Transform, (With<Rig>, Without<Citizen>)>,
    boards: Option<ResMut<Boards>>,
) {
    if let (View::Dashboard { id, table: true }, Some(mut boards)) = (&request.view, boards)
        && let Some(index) = plaza.dashboards.iter().position(|d| &d.id == id)
    {
        boards.set_table(index, true);
    }
    // At a kiosk the visit goes to the window as a visitor's touch would take it.
    let Some(pose) = request.view.camera(&plaza).filter(|_| kiosk.is_none()) else {
        return;
    };
    // A posed view is a still picture: no hint, no crosshair, no walking.
    controls.0 = false;
    let (yaw, pitch, _) = pose.rotation.to_euler(EulerRot::YXZ);
    for (mut transform, mut citizen) in &mut cameras {
        *transform = pose;
        *citizen = Citizen { yaw, pitch };
    }
    // In a headset the citizen stands there, facing the same way; the headset holds the eyes.
    for mut rig in &mut rigs {
        *rig = Transform::from_translation(pose.translation.with_y(0.0))
            .with_rotation(Quat::from_rotation_y(yaw));
    }
}

/// With `--view window:<id>:comfort`, turns the open panel to its Comfort tab.
fn open_comfort_tab(request: Res<ScreenshotRequest>, panels: Option<ResMut<crate::panel::Panels>>) {
    let (View::Comfort(id), Some(mut panels)) = (&request.view, panels) else {
        return;
    };
    if let Some(panel) = panels.windows.get_mut(id)
        && panel.tab != crate::panel::ui::Tab::Settings
    {
        panel.tab = crate::panel::ui::Tab::Settings;
    }
}

/// The PIN of the throwaway identity a filled example is signed with.
const EXAMPLE_PIN: &str = "example-only";

/// How far a filled example has got.
#[derive(Debug, Default)]
enum Example {
    /// Waiting for the window's panel and the session.
    #[default]
    Waiting,
    /// Submitted; waiting for the decision.
    Submitted,
    /// Decided: the picture can be taken.
    Shown,
}

/// `--filled`: fills the window's form with the service's example (its dates moved to today),
/// signs and submits it through the real session, and holds the capture until it is decided.
fn fill_example(
    request: Res<ScreenshotRequest>,
    mut capture: ResMut<Capture>,
    mut panels: Option<ResMut<crate::panel::Panels>>,
    session: Option<Res<crate::panel::SessionHandle>>,
    mut state: Local<Example>,
) {
    use crate::session::{Request, Task};
    let (true, Some(id), Some(panels), Some(session)) = (
        request.filled,
        request.view.window(),
        panels.as_deref_mut(),
        session,
    ) else {
        return;
    };
    let id = &id.to_owned();
    match *state {
        Example::Waiting => {
            capture.hold = true;
            let open = panels.open.as_ref().is_some_and(|(s, _)| s == id);
            let (Some(identity), true) = (panels.model.identity, open) else {
                return;
            };
            let Some(service) = panels.catalog.service(id).cloned() else {
                return;
            };
            let today = time::OffsetDateTime::now_utc().date();
            let answers = match agora_services::example_answers(&service, today) {
                Ok(answers) => answers,
                Err(problem) => {
                    error!("cannot fill in the example: {problem}");
                    capture.hold = false;
                    *state = Example::Shown;
                    return;
                }
            };
            let Some(panel) = panels.windows.get_mut(id) else {
                return;
            };
            panel.fill(&service, &answers);
            let pin = || agora_identity::Pin::new(EXAMPLE_PIN.to_owned());
            let (Ok(first), Ok(second)) = (pin(), pin()) else {
                return;
            };
            let visit = panels.model.visit;
            if identity.is_none() && !visit {
                session.0.send(Request::CreateIdentity { pin: first });
            }
            session.0.send(Request::Submit {
                service: id.clone(),
                answers,
                pin: (!visit).then_some(second),
            });
            panels.model.busy = Some(Task::Submit);
            debug!("the {id} example is filled in and sent; waiting for its decision");
            *state = Example::Submitted;
        }
        Example::Submitted => {
            let decided = panels
                .model
                .applications
                .iter()
                .any(|a| a.service == *id && !a.in_progress());
            if let Some((_, problem)) = &panels.model.problem {
                error!("the example could not be submitted: {problem}");
            }
            if decided || panels.model.problem.is_some() {
                capture.hold = false;
                *state = Example::Shown;
            }
        }
        Example::Shown => {}
    }
}

fn count_pending_pipelines(cache: Res<PipelineCache>, progress: Res<RenderProgress>) {
    let (mut pending, mut failed) = (cache.waiting_pipelines().count(), 0);
    for pipeline in cache.pipelines() {
        match pipeline.state {
            CachedPipelineState::Queued | CachedPipelineState::Creating(_) => pending += 1,
            CachedPipelineState::Err(_) => failed += 1,
            CachedPipelineState::Ok(_) => {}
        }
    }
    progress.0.pending.store(pending, Ordering::Relaxed);
    progress.0.failed.store(failed, Ordering::Relaxed);
    progress.0.frames.fetch_add(1, Ordering::Release);
    progress.0.first_frame.get_or_init(since_launch);
}

fn since_launch() -> Duration {
    LAUNCHED.get_or_init(Instant::now).elapsed()
}

fn capture_when_settled(
    mut commands: Commands,
    request: Res<ScreenshotRequest>,
    progress: Res<RenderProgress>,
    mut capture: ResMut<Capture>,
    mut exit: MessageWriter<AppExit>,
    boards: Option<Res<Boards>>,
    drawings: Query<(), With<Drawing>>,
    xr: Option<Res<XrStatus>>,
) {
    if capture.requested.is_some() {
        return;
    }
    // A headset's picture waits for its session to show the plaza.
    let xr = xr.map_or(XrStatus::Desktop, |s| *s);
    if xr == XrStatus::Starting {
        capture.settling.restart();
        if since_launch() > TIMEOUT {
            error!(
                "the headset session did not start in {} s; no screenshot written",
                TIMEOUT.as_secs()
            );
            exit.write(AppExit::from_code(3));
        }
        return;
    }
    if capture.hold {
        // A filled example that is never decided must not keep the process forever.
        if since_launch() > TIMEOUT {
            error!(
                "the filled example was still not decided after {} s; no screenshot written",
                TIMEOUT.as_secs()
            );
            exit.write(AppExit::from_code(3));
        }
        return;
    }
    // Dashboards show their feeds' first answers, not "waiting for data".
    let painting = !boards.is_none_or(|boards| boards.settled()) || !drawings.is_empty();
    if painting {
        capture.settling.restart();
        if since_launch() < TIMEOUT {
            return;
        }
    }
    if since_launch() > TIMEOUT {
        let pending = progress.pending();
        let waiting = if pending > 0 {
            format!("the renderer was still compiling {pending} pipelines")
        } else if painting {
            "the dashboards were still waiting for their feeds or being painted".to_owned()
        } else {
            format!(
                "the frames had not settled ({} of {SETTLED_FRAMES} alike)",
                capture.settling.settled_frames
            )
        };
        error!(
            "{waiting} after {} s; no screenshot written",
            TIMEOUT.as_secs()
        );
        exit.write(AppExit::from_code(3));
        return;
    }
    if !capture.settling.settled(&progress) {
        return;
    }
    let failed = progress.0.failed.load(Ordering::Relaxed);
    if failed > 0 {
        warn!("{failed} render pipelines failed to compile; the picture may lack parts");
    }
    capture.requested = Some(since_launch());
    let path = request.path.clone();
    let first_frame = progress.0.first_frame.get().copied().unwrap_or_default();
    let ready = since_launch();
    // In a headset, the left eye's image as the runtime receives it (bevy_mod_openxr renders
    // each eye into a layer of the swapchain image, through a texture view Bevy can read back).
    let (target, what) = if xr == XrStatus::InHeadset {
        (
            Screenshot::texture_view(ManualTextureViewHandle(XR_TEXTURE_INDEX)),
            "the headset's left eye",
        )
    } else {
        (Screenshot::primary_window(), "the window")
    };
    commands.spawn(target).observe(
        move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
            let written = captured
                .image
                .clone()
                .try_into_dynamic()
                .map_err(|e| e.to_string())
                .and_then(|image| image.to_rgb8().save(&path).map_err(|e| e.to_string()));
            match written {
                Ok(()) => {
                    println!(
                        "agora: wrote {} of {what} (first frame after {:.2} s, pipelines ready \
                         after {:.2} s, written after {:.2} s)",
                        path.display(),
                        first_frame.as_secs_f64(),
                        ready.as_secs_f64(),
                        since_launch().as_secs_f64()
                    );
                    exit.write(AppExit::Success);
                }
                Err(problem) => {
                    error!(
                        "cannot write the screenshot to {}: {problem}",
                        path.display()
                    );
                    exit.write(AppExit::from_code(4));
                }
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_name_things_that_exist() {
        let layout = PlazaLayout::embedded().expect("embedded layout");
        assert_eq!(View::parse("overview", &layout), Ok(View::Overview));
        assert_eq!(
            View::parse("window:parking-permit", &layout),
            Ok(View::Window("parking-permit".into()))
        );
        let unknown = View::parse("window:passport", &layout).expect_err("no such window");
        assert!(unknown.contains("parking-permit"), "{unknown}");
        assert!(View::parse("dashboard:traffic", &layout).is_ok());
        assert_eq!(
            View::parse("dashboard:traffic:table", &layout),
            Ok(View::Dashboard {
                id: "traffic".into(),
                table: true
            })
        );
        assert!(View::parse("dashboard:nowhere:table", &layout).is_err());
        assert_eq!(
            View::parse("window:parking-permit:comfort", &layout),
            Ok(View::Comfort("parking-permit".into()))
        );
        assert!(View::parse("sideways", &layout).is_err());
    }

    #[test]
    fn a_window_view_looks_at_the_counter_from_the_front() {
        let layout = PlazaLayout::embedded().expect("embedded layout");
        let view = View::Window("parking-permit".into());
        let camera = view.camera(&layout).expect("a posed view");
        // The transport booth faces east, so the camera stands east of it, looking west.
        let booth = &layout.windows[0];
        assert!(camera.translation.x > booth.position.x + 2.0);
        assert!(camera.forward().x < -0.9, "looking {:?}", camera.forward());
        // It stands where the window's panel opens.
        let window = crate::scene::ServiceWindow {
            service: booth.service.clone(),
            index: 0,
        };
        let at = GlobalTransform::from(
            Transform::from_translation(ground(booth.position))
                .with_rotation(compass_rotation(booth.facing)),
        );
        let opened = crate::panel::nearest_booth(camera.translation, [(&window, &at)].into_iter());
        assert_eq!(
            opened.map(|(w, _)| w.service.as_str()),
            Some("parking-permit")
        );
    }
}
