//! Kiosk mode: the plaza on a service hall's shared touch screen, one visitor at a time.
//!
//! A mode of the same plaza, beside [`crate::xr`]: the booths, panels, session and dashboards
//! are the citizen's; this folder adds what a shared machine needs.
//!
//! - [`config`]: the kiosk's configuration file (hall, ledger, operator PIN hash, timeouts).
//! - this file: the visit's [`Stage`] (the attract screen, then a visit), the idle timer and
//!   its countdown, the reset that wipes a visit ([`EndVisit`]), and the view's travel to a
//!   booth.
//! - [`touch`]: a finger as a [`crate::pointer::PointerRay`], drag to look, tap a booth.
//! - [`overlay`]: what is drawn on the screen itself (egui): the attract screen, the list of
//!   services, Finish, the countdown, the operator's PIN pad.
//! - [`receipt`]: the receipt's QR code drawn flat and large on the screen, to scan and take
//!   away.
//! - [`operator`]: leaving kiosk mode: the operator's keys, then their PIN (Argon2id, slowed
//!   after wrong ones).
//!
//! Each visit has its own [`Session::start_visit`]: a key made for the visit and an archive,
//! both in memory; submissions go to the hall's outbox (sealed, no answers) before "queued".
//! The reset drops the session (the key is zeroed, the archive freed) and every draft.

pub mod config;
pub mod look;
pub mod operator;
pub mod overlay;
pub mod receipt;
pub mod touch;

use std::path::PathBuf;
use std::time::Duration;

use bevy::prelude::*;

use crate::AppSystems;
use crate::citizen::{Citizen, ControlsEnabled};
use crate::lang::Lang;
use crate::panel::ui::{MIN_TARGET, PANEL_POINTS};
use crate::panel::{
    PANEL_SIZE, PanelPlacement, PanelTarget, Panels, SessionHandle, panel_transform,
};
use crate::scene::{Plaza, ServiceWindow};
use crate::session::Session;

pub use config::KioskConfig;

/// Everything the kiosk was started with.
#[derive(Resource, Debug, Clone)]
pub struct Kiosk {
    /// The checked configuration.
    pub config: KioskConfig,
    /// The kiosk's data directory (its ledger in the demo, the hall's outbox).
    pub home: PathBuf,
    /// The hall's outbox file.
    pub outbox: PathBuf,
    /// The catalog the windows serve.
    pub catalog: agora_gateway::CatalogSource,
}

impl Kiosk {
    /// A new visit's session.
    pub fn session(&self) -> Session {
        Session::start_visit(
            self.home.clone(),
            self.catalog.clone(),
            self.config.ledger.clone(),
            self.outbox.clone(),
        )
    }
}

/// Where the kiosk is between visitors.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    /// The attract screen: "Touch to start", the choice of language.
    #[default]
    Attract,
    /// A visitor is using it.
    Visiting,
}

/// When the screen was last touched, on the app's (virtual) clock.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct Idle {
    /// The time of the last touch, click or key.
    pub last: Duration,
}

/// End the visit now: wipe everything of it and go back to the attract screen.
#[derive(Message, Debug, Clone, Copy)]
pub struct EndVisit;

/// Start a visit in this language.
#[derive(Message, Debug, Clone, Copy)]
pub struct StartVisit(pub Lang);

/// Take the view to this window's booth and open its panel.
#[derive(Message, Debug, Clone)]
pub struct GoToWindow(pub String);

/// The view on its way to a booth.
#[derive(Resource, Debug, Clone, Copy)]
struct Travel {
    from: Transform,
    to: Transform,
    elapsed: f32,
}

/// How long the view takes to reach a booth.
const TRAVEL: f32 = 0.6;

/// How far before a panel the view stands: a 16:9 screen then shows 2.2 m across there
/// (Bevy's default 45° vertical field of view), so the 1.6 m panel fits in what the services'
/// list on the left (a sixth of the screen) leaves free.
const BEFORE_PANEL: f32 = 1.5;

/// How far left of the panel's middle the view stands, so that the panel sits in the middle of
/// the screen's part right of the services' list.
const LEFT_OF_PANEL: f32 = 0.19;

/// Adds kiosk mode to the plaza (after [`crate::PlazaPlugin`]'s own plugins).
pub fn plugin(kiosk: Kiosk) -> impl Fn(&mut App) {
    move |app: &mut App| {
        app.insert_resource(kiosk.clone())
            .insert_resource(kiosk.config.language)
            .insert_resource(ControlsEnabled(false))
            .init_resource::<Stage>()
            .init_resource::<Idle>()
            .init_resource::<receipt::ReceiptSheet>()
            .add_message::<EndVisit>()
            .add_message::<StartVisit>()
            .add_message::<GoToWindow>()
            .add_message::<crate::sound::Cue>()
            .add_systems(PostStartup, start_at_attract)
            .add_systems(
                Update,
                (
                    (touch::note_touches, operator::watch_keys).in_set(AppSystems::RecordInput),
                    (
                        script_screenshot,
                        start_visit,
                        end_visit,
                        time_out,
                        sound_countdown,
                        go_to_window,
                        travel,
                        receipt::follow,
                        size_panel_targets,
                    )
                        .chain()
                        .in_set(AppSystems::Update),
                ),
            )
            .add_plugins((touch::plugin, overlay::plugin, operator::plugin));
    }
}

/// The view of the whole plaza the attract screen stands over.
pub fn attract_view(plaza: &Plaza) -> Transform {
    let d = plaza.bounds.half_depth;
    Transform::from_xyz(0.0, 0.45 * d + 3.0, 1.2 * d + 4.0)
        .looking_at(Vec3::new(0.0, 1.5, -0.2 * d), Vec3::Y)
}

/// Where the view stands to use a booth's panel: before it, a little to its left, the panel
/// filling the screen beside the services' list. (The panel opens there: the eyes are within
/// reach of the booth's counter.)
pub fn view_at_booth(booth: Transform) -> Transform {
    panel_transform(booth, PanelPlacement::AtCounter)
        * Transform::from_xyz(-LEFT_OF_PANEL, 0.0, BEFORE_PANEL)
}

/// The height of the panel's smallest target, in its points, that is [`config::MIN_TARGET_MM`]
/// on the glass of a screen `screen_width_mm` wide showing a `window` (of any unit) through a
/// camera of vertical field of view `fov` (radians), from where the view stands at a booth.
pub fn panel_target_points(window: Vec2, screen_width_mm: f32, fov: f32) -> f32 {
    // The height of the plaza, in metres, that the screen's height shows at the panel.
    let seen = 2.0 * BEFORE_PANEL * (fov / 2.0).tan();
    let screen_height_mm = screen_width_mm * window.y / window.x.max(1.0);
    let metres_a_point = PANEL_SIZE.x / PANEL_POINTS.x;
    let glass_mm_a_point = screen_height_mm * metres_a_point / seen;
    (config::MIN_TARGET_MM / glass_mm_a_point)
        .ceil()
        .max(MIN_TARGET)
}

/// Keeps the panel's targets at least 9 mm on this kiosk's screen.
fn size_panel_targets(
    kiosk: Res<Kiosk>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    cameras: Query<&Projection, With<Citizen>>,
    mut target: ResMut<PanelTarget>,
) {
    let (Ok(window), Ok(Projection::Perspective(projection))) =
        (windows.single(), cameras.single())
    else {
        return;
    };
    let size = Vec2::new(window.width(), window.height());
    let wanted = PanelTarget(panel_target_points(
        size,
        kiosk.config.screen_width_mm,
        projection.fov,
    ));
    target.set_if_neq(wanted);
}

/// Moves the eyes to `pose` and keeps the citizen's yaw and pitch in step with it.
fn place(transform: &mut Transform, citizen: &mut Citizen, pose: Transform) {
    *transform = Transform::from_translation(pose.translation).with_rotation(pose.rotation);
    let (yaw, pitch, _) = pose.rotation.to_euler(EulerRot::YXZ);
    *citizen = Citizen { yaw, pitch };
}

fn start_visit(
    mut starts: MessageReader<StartVisit>,
    mut stage: ResMut<Stage>,
    mut lang: ResMut<Lang>,
    mut idle: ResMut<Idle>,
    time: Res<Time>,
) {
    for StartVisit(chosen) in starts.read() {
        *lang = *chosen;
        *stage = Stage::Visiting;
        idle.last = time.elapsed();
    }
}

/// The reset: the session goes (its worker ends, the visit's key is zeroed and its archive in
/// memory freed), every draft goes, the view and the language return to the attract screen's,
/// and a fresh session waits for the next visitor.
fn end_visit(
    mut commands: Commands,
    mut ends: MessageReader<EndVisit>,
    kiosk: Res<Kiosk>,
    plaza: Res<Plaza>,
    mut stage: ResMut<Stage>,
    mut lang: ResMut<Lang>,
    mut panels: ResMut<Panels>,
    mut session: ResMut<SessionHandle>,
    mut sheet: ResMut<receipt::ReceiptSheet>,
    mut settings: ResMut<crate::settings::SettingsStore>,
    mut eyes: Query<(&mut Transform, &mut Citizen)>,
) {
    if ends.read().count() == 0 {
        return;
    }
    let old = std::mem::replace(&mut session.0, kiosk.session());
    // Dropping a session waits for its worker to finish what it is doing (a delivery, say):
    // not on the frame.
    std::thread::spawn(move || drop(old));
    panels.windows.clear();
    panels.model = crate::panel::ui::Model::default();
    panels.open = None;
    *sheet = receipt::ReceiptSheet::default();
    // The visitor's contrast and language were theirs alone.
    *settings = crate::settings::SettingsStore::default();
    *stage = Stage::Attract;
    *lang = kiosk.config.language;
    commands.remove_resource::<Travel>();
    for (mut transform, mut citizen) in &mut eyes {
        place(&mut transform, &mut citizen, attract_view(&plaza));
    }
}

/// After the idle timeout with no touch, the visit ends by itself.
fn time_out(
    kiosk: Res<Kiosk>,
    stage: Res<Stage>,
    idle: Res<Idle>,
    time: Res<Time>,
    mut ends: MessageWriter<EndVisit>,
) {
    if *stage == Stage::Visiting && time.elapsed() >= idle.last + kiosk.config.idle_timeout {
        ends.write(EndVisit);
    }
}

/// The countdown is heard when it appears and at each of its last five seconds.
fn sound_countdown(
    mut last: Local<Option<u64>>,
    kiosk: Res<Kiosk>,
    stage: Res<Stage>,
    idle: Res<Idle>,
    time: Res<Time>,
    mut cues: MessageWriter<crate::sound::Cue>,
) {
    let left = (*stage == Stage::Visiting)
        .then(|| countdown(&kiosk.config, &idle, time.elapsed()))
        .flatten()
        .map(|left| left.as_secs_f32().ceil() as u64);
    if let Some(seconds) = left
        && (last.is_none() || (seconds <= 5 && Some(seconds) != *last))
    {
        cues.write(crate::sound::Cue::Countdown);
    }
    *last = left;
}

/// How long until the visit ends by itself, when the countdown shows; `None` before it does.
pub fn countdown(config: &KioskConfig, idle: &Idle, now: Duration) -> Option<Duration> {
    let end = idle.last + config.idle_timeout;
    let left = end.saturating_sub(now);
    (left <= config.countdown).then_some(left)
}

fn go_to_window(
    mut commands: Commands,
    mut goes: MessageReader<GoToWindow>,
    booths: Query<(&ServiceWindow, &GlobalTransform)>,
    eyes: Query<&Transform, With<Citizen>>,
) {
    let Some(GoToWindow(service)) = goes.read().last() else {
        return;
    };
    let Some((_, booth)) = booths.iter().find(|(w, _)| &w.service == service) else {
        return;
    };
    let Ok(from) = eyes.single() else {
        return;
    };
    commands.insert_resource(Travel {
        from: *from,
        to: view_at_booth(booth.compute_transform()),
        elapsed: 0.0,
    });
}

fn travel(
    mut commands: Commands,
    time: Res<Time>,
    settings: Res<crate::settings::SettingsStore>,
    travel: Option<ResMut<Travel>>,
    mut eyes: Query<(&mut Transform, &mut Citizen)>,
) {
    let Some(mut travel) = travel else {
        return;
    };
    // With reduced motion the view is there at once.
    travel.elapsed += if settings.settings.reduced_motion {
        TRAVEL
    } else {
        time.delta_secs()
    };
    let t = (travel.elapsed / TRAVEL).clamp(0.0, 1.0);
    // Ease in and out: no jolt at either end.
    let s = t * t * (3.0 - 2.0 * t);
    let pose = Transform {
        translation: travel.from.translation.lerp(travel.to.translation, s),
        rotation: travel.from.rotation.slerp(travel.to.rotation, s),
        scale: Vec3::ONE,
    };
    for (mut transform, mut citizen) in &mut eyes {
        place(&mut transform, &mut citizen, pose);
    }
    if t >= 1.0 {
        commands.remove_resource::<Travel>();
    }
}

/// A picture of the kiosk (`--screenshot`): a visit goes to the view's window as a tap in the
/// services' list would; `countdown:<id>` holds the visit 21 s before its end.
fn script_screenshot(
    request: Option<Res<crate::screenshot::ScreenshotRequest>>,
    mut kiosk: ResMut<Kiosk>,
    lang: Res<Lang>,
    time: Res<Time>,
    mut idle: ResMut<Idle>,
    mut frames: Local<u32>,
    mut starts: MessageWriter<StartVisit>,
    mut goes: MessageWriter<GoToWindow>,
) {
    let Some(request) = request else {
        return;
    };
    let Some(window) = request.view.window() else {
        return;
    };
    // A few frames in, once the booths stand where the layout puts them.
    *frames += 1;
    if *frames == 3 {
        starts.write(StartVisit(*lang));
        goes.write(GoToWindow(window.to_owned()));
    }
    // A picture takes as long as the renderer needs; the visit must not time out first.
    idle.last = time.elapsed();
    if matches!(request.view, crate::screenshot::View::Countdown(_)) {
        // The visit as it stands 21 s before its end: the timeout is shortened to that (the
        // clock is too young for the last touch to be the configured timeout ago).
        kiosk.config.idle_timeout = Duration::from_millis(20_500).min(kiosk.config.countdown);
    }
}

/// Puts the eyes over the plaza for the attract screen when the kiosk starts.
pub fn start_at_attract(plaza: Res<Plaza>, mut eyes: Query<(&mut Transform, &mut Citizen)>) {
    for (mut transform, mut citizen) in &mut eyes {
        place(&mut transform, &mut citizen, attract_view(&plaza));
    }
}

#[cfg(test)]
mod tests {
    use bevy::camera::CameraProjection as _;

    use super::*;

    /// Millimetres on the glass between two points of the plaza, through the kiosk's camera
    /// standing at `eyes`, on a screen `width_mm` wide showing `window`.
    fn on_glass(eyes: Transform, a: Vec3, b: Vec3, window: Vec2, width_mm: f32) -> f32 {
        let mut projection = PerspectiveProjection::default();
        projection.update(window.x, window.y);
        let clip = projection.get_clip_from_view();
        let view = eyes.to_matrix().inverse();
        let ndc = |p: Vec3| clip.project_point3(view.transform_point3(p)).truncate();
        // NDC spans 2 across the screen's width and 2 down its height.
        let mm = Vec2::new(width_mm, width_mm * window.y / window.x) / 2.0;
        ((ndc(a) - ndc(b)) * mm).length()
    }

    #[test]
    fn a_panel_target_is_nine_millimetres_on_the_glass_seen_from_the_booth() {
        let booth = Transform::from_xyz(3.0, 0.0, -4.0).with_rotation(Quat::from_rotation_y(0.7));
        let eyes = view_at_booth(booth);
        let panel = panel_transform(booth, PanelPlacement::AtCounter);
        let fov = PerspectiveProjection::default().fov;
        for (window, width_mm) in [
            (Vec2::new(1280.0, 720.0), 344.0),
            (Vec2::new(1920.0, 1080.0), 527.0),
            (Vec2::new(1920.0, 1080.0), 1210.0),
            (Vec2::new(1024.0, 768.0), 304.0),
        ] {
            let points = panel_target_points(window, width_mm, fov);
            assert!(points >= MIN_TARGET);
            // A target of that height in the panel's middle, a millimetre of the plaza a point.
            let metres = points * PANEL_SIZE.x / PANEL_POINTS.x;
            let top = panel.transform_point(Vec3::new(0.0, metres / 2.0, 0.0));
            let bottom = panel.transform_point(Vec3::new(0.0, -metres / 2.0, 0.0));
            let mm = on_glass(eyes, top, bottom, window, width_mm);
            assert!(
                mm >= config::MIN_TARGET_MM - 0.05,
                "{window} on {width_mm} mm: a {points}-point target is {mm:.2} mm"
            );
            // And no larger than it needs to be, where the panel's own minimum is not more.
            if points > MIN_TARGET {
                assert!(mm < config::MIN_TARGET_MM + 0.5, "{mm:.2} mm");
            }
        }
        // A 15.6-inch 1280×720 screen needs more than the desktop's targets; a 24-inch does not.
        assert!(panel_target_points(Vec2::new(1280.0, 720.0), 344.0, fov) > MIN_TARGET);
        assert_eq!(
            panel_target_points(Vec2::new(1920.0, 1080.0), 527.0, fov),
            MIN_TARGET
        );
    }
}
