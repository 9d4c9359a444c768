//! The kiosk in the whole plaza, headless, on virtual time: a visit counts down when the
//! screen is left alone and ends by itself, taking everything of it along (drafts, the
//! visitor's key, the language); Finish ends one at once; the operator leaves with the right
//! PIN, and wrong ones are counted across restarts.

use std::path::Path;
use std::time::Duration;

use agora_client::PlazaPlugin;
use agora_client::kiosk::operator::{ATTEMPTS_FILE, Operator, OperatorNote, OperatorPin};
use agora_client::kiosk::{
    EndVisit, GoToWindow, Idle, Kiosk, KioskConfig, Stage, StartVisit, config, countdown,
};
use agora_client::lang::Lang;
use agora_client::panel::Panels;
use agora_client::scene::layout::PlazaLayout;
use agora_identity::DidKey;
use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::input::mouse::MouseButtonInput;
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use zeroize::Zeroizing;

use crate::shipped_plaza;

/// One frame's worth of virtual time while nothing in particular is waited for.
const FRAME: Duration = Duration::from_millis(16);

/// The operator's PIN in these tests.
const OPERATOR_PIN: &str = "735-120-46";

struct Hall {
    app: App,
}

impl Hall {
    /// The shipped plaza as a kiosk whose data directory is `home`.
    fn open(home: &Path, config: KioskConfig) -> Self {
        let layout = PlazaLayout::load(&shipped_plaza()).expect("the shipped plaza");
        let mut app = App::new();
        app.add_plugins(agora_client::headless_plugins())
            .add_plugins(PlazaPlugin {
                layout,
                lang: config.language,
                screenshot: None,
                home: home.to_owned(),
                catalog: agora_services::Catalog::embedded().expect("the built-in catalog"),
                catalog_source: agora_gateway::CatalogSource::Demo,
                ledger: config.ledger.clone(),
                kiosk: Some(Kiosk {
                    outbox: home.join(agora_gateway::hall::OUTBOX_FILE),
                    home: home.to_owned(),
                    catalog: agora_gateway::CatalogSource::Demo,
                    config,
                }),
                xr: None,
            })
            .insert_resource(TimeUpdateStrategy::ManualDuration(FRAME));
        app.finish();
        app.cleanup();
        // Long steps of virtual time are taken whole, not clamped to a quarter of a second.
        app.world_mut()
            .resource_mut::<Time<Virtual>>()
            .set_max_delta(Duration::from_secs(3600));
        app.update();
        Self { app }
    }

    fn frames(&mut self, n: usize) {
        for _ in 0..n {
            self.app.update();
        }
    }

    /// Lets `seconds` of virtual time pass in one step, untouched.
    fn pass(&mut self, seconds: u64) {
        self.app
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs(
                seconds,
            )));
        self.app.update();
        self.app
            .insert_resource(TimeUpdateStrategy::ManualDuration(FRAME));
        self.app.update();
    }

    /// Updates (a frame of virtual time each, real time passing) until `done` holds.
    fn wait_until(&mut self, what: &str, done: impl Fn(&World) -> bool) {
        let start = std::time::Instant::now();
        while !done(self.app.world()) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "still waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(5));
            self.app.update();
        }
    }

    fn send<M: Message>(&mut self, message: M) {
        self.app.world_mut().write_message(message);
        self.app.update();
    }

    fn stage(&self) -> Stage {
        *self.app.world().resource::<Stage>()
    }

    fn lang(&self) -> Lang {
        *self.app.world().resource::<Lang>()
    }

    fn panels(&self) -> &Panels {
        self.app.world().resource::<Panels>()
    }

    /// The seconds left on the "are you still there?" countdown, when it shows.
    fn countdown(&self) -> Option<Duration> {
        let world = self.app.world();
        countdown(
            &world.resource::<Kiosk>().config,
            world.resource::<Idle>(),
            world.resource::<Time>().elapsed(),
        )
    }

    /// The DID the current visit's session signs with (a fresh key for every visitor).
    fn visitor(&mut self) -> DidKey {
        self.wait_until("the visit's key", |world| {
            world
                .resource::<Panels>()
                .model
                .identity
                .as_ref()
                .is_some_and(Option::is_some)
        });
        self.panels()
            .model
            .identity
            .flatten()
            .expect("the visit's key")
    }

    /// A tap anywhere on the screen, as the window reports a mouse button.
    fn tap(&mut self) {
        for state in [ButtonState::Pressed, ButtonState::Released] {
            self.send(MouseButtonInput {
                button: MouseButton::Left,
                state,
                window: Entity::PLACEHOLDER,
            });
        }
    }

    /// Presses `keys` together and lets them go.
    fn chord(&mut self, keys: &[(KeyCode, Key)]) {
        for state in [ButtonState::Pressed, ButtonState::Released] {
            for (key_code, logical_key) in keys {
                self.app.world_mut().write_message(KeyboardInput {
                    key_code: *key_code,
                    logical_key: logical_key.clone(),
                    state,
                    text: None,
                    repeat: false,
                    window: Entity::PLACEHOLDER,
                });
            }
            self.app.update();
        }
    }

    fn operator(&self) -> &Operator {
        self.app.world().resource::<Operator>()
    }

    /// The operator gives `pin` on the pad; returns what the pad says once it is checked.
    fn give_operator_pin(&mut self, pin: &str) -> Option<OperatorNote> {
        self.send(OperatorPin(Zeroizing::new(pin.to_owned())));
        self.wait_until("the PIN's check", |world| {
            world.resource::<Operator>().note != Some(OperatorNote::Checking)
        });
        self.operator().note
    }
}

/// The example configuration with a known operator PIN and short, round times.
fn configuration() -> KioskConfig {
    KioskConfig {
        operator_pin: config::hash_pin(OPERATOR_PIN).expect("a usable PIN"),
        idle_timeout: Duration::from_secs(60),
        countdown: Duration::from_secs(20),
        language: Lang::En,
        ..config::example()
    }
}

#[test]
fn a_visit_left_alone_counts_down_and_ends_taking_everything_and_finish_ends_one_at_once() {
    let home = tempfile::tempdir().expect("a kiosk home");
    let mut hall = Hall::open(home.path(), configuration());
    assert_eq!(hall.stage(), Stage::Attract);
    let waiting = hall.visitor();

    // A visitor chooses Chinese and taps the parking window in the services' list.
    hall.send(StartVisit(Lang::ZhCn));
    hall.send(GoToWindow("parking-permit".to_owned()));
    hall.frames(60);
    assert_eq!(hall.stage(), Stage::Visiting);
    assert_eq!(hall.lang(), Lang::ZhCn);
    assert_eq!(
        hall.panels()
            .open
            .as_ref()
            .map(|(service, _)| service.as_str()),
        Some("parking-permit"),
        "the view went to the parking window and its panel opened"
    );
    assert_eq!(
        hall.visitor(),
        waiting,
        "the visit signs with the key that was waiting"
    );
    // They begin the form.
    {
        let mut panels = hall.app.world_mut().resource_mut::<Panels>();
        let service = panels
            .catalog
            .service("parking-permit")
            .cloned()
            .expect("the service");
        let today = time::OffsetDateTime::now_utc().date();
        let answers = agora_services::example_answers(&service, today).expect("its example");
        panels
            .windows
            .get_mut("parking-permit")
            .expect("the window's draft")
            .fill(&service, &answers);
    }

    // Then they stand there: 39 s in, no countdown yet; 41 s in, it shows.
    hall.pass(38);
    assert_eq!(hall.countdown(), None);
    hall.pass(2);
    let left = hall.countdown().expect("the countdown shows 41 s in");
    assert!(
        left < Duration::from_millis(19_500) && left > Duration::from_secs(18),
        "{left:?} left"
    );
    // A touch puts it away and starts the wait again.
    hall.tap();
    assert_eq!(hall.countdown(), None, "a touch puts the countdown away");
    hall.pass(45);
    assert!(hall.countdown().is_some());
    assert_eq!(hall.stage(), Stage::Visiting);

    // Nobody comes back: the visit ends by itself.
    hall.pass(16);
    assert_eq!(
        hall.stage(),
        Stage::Attract,
        "the visit ended at the timeout"
    );
    assert_eq!(hall.lang(), Lang::En, "the hall's own language again");
    hall.frames(2);
    let panels = hall.panels();
    assert!(panels.windows.is_empty(), "the drafts are gone");
    assert_eq!(
        panels.open, None,
        "no panel stays open over the attract screen"
    );
    assert!(panels.model.applications.is_empty());
    let next = hall.visitor();
    assert_ne!(next, waiting, "the next visitor gets a key of their own");

    // Finish ends a visit at once.
    hall.send(StartVisit(Lang::En));
    hall.send(GoToWindow("noise-complaint".to_owned()));
    hall.frames(60);
    assert!(hall.panels().open.is_some());
    hall.send(EndVisit);
    assert_eq!(hall.stage(), Stage::Attract);
    hall.frames(2);
    assert!(hall.panels().windows.is_empty());
    assert_ne!(hall.visitor(), next);
}

/// With reduced motion a tap on a service puts the view at its booth at once; without it
/// the view travels there over a few frames.
#[test]
fn reduced_motion_puts_the_view_at_the_booth_at_once() {
    use agora_client::citizen::Citizen;
    use agora_client::settings::SettingsStore;
    let home = tempfile::tempdir().expect("a kiosk home");
    let mut hall = Hall::open(home.path(), configuration());
    let eyes = |hall: &mut Hall| -> Vec3 {
        let mut eyes = hall
            .app
            .world_mut()
            .query_filtered::<&Transform, With<Citizen>>();
        eyes.single(hall.app.world()).expect("the eyes").translation
    };
    hall.send(StartVisit(Lang::En));
    let start = eyes(&mut hall);
    hall.send(GoToWindow("parking-permit".to_owned()));
    let one_frame = eyes(&mut hall);
    hall.frames(60);
    let there = eyes(&mut hall);
    assert!(
        one_frame.distance(there) > 0.5,
        "smooth by default: a frame in, the view is still on its way ({start} → {one_frame} → {there})"
    );
    hall.send(EndVisit);
    hall.send(StartVisit(Lang::En));
    hall.app
        .world_mut()
        .resource_mut::<SettingsStore>()
        .settings
        .reduced_motion = true;
    hall.send(GoToWindow("parking-permit".to_owned()));
    hall.frames(1);
    assert!(
        eyes(&mut hall).distance(there) < 1e-3,
        "with reduced motion the view is at the booth at once"
    );
}

/// The receipt comes up large and flat by itself once the visit's application has a code,
/// stays put away once the visitor puts it away (until a new code, the decision's, comes),
/// and goes with the visit.
#[test]
fn a_visit_s_receipt_comes_up_by_itself_and_goes_with_the_visit() {
    use agora_client::kiosk::receipt::{ReceiptSheet, receipt};
    use agora_client::panel::SessionHandle;
    use agora_client::session::Request;
    let home = tempfile::tempdir().expect("a kiosk home");
    let mut hall = Hall::open(home.path(), configuration());
    hall.visitor();
    hall.send(StartVisit(Lang::ZhCn));
    hall.send(GoToWindow("parking-permit".to_owned()));
    hall.frames(5);
    assert!(!hall.app.world().resource::<ReceiptSheet>().open);
    let catalog = agora_services::Catalog::embedded().expect("the catalog");
    let service = catalog.service("parking-permit").expect("the service");
    let today = time::OffsetDateTime::now_utc().date();
    let answers = agora_services::example_answers(service, today).expect("its example");
    hall.app
        .world()
        .resource::<SessionHandle>()
        .0
        .send(Request::Submit {
            service: service.id.clone(),
            answers,
            pin: None,
        });
    // The idle timer is the app's virtual clock; a frame is 16 ms of it, so the wait for the
    // desk's decision does not time the visit out.
    hall.wait_until("the decided receipt", |world| {
        receipt(world.resource::<Panels>()).is_some_and(|a| !a.in_progress())
    });
    hall.frames(2);
    assert!(
        hall.app.world().resource::<ReceiptSheet>().open,
        "the receipt came up by itself"
    );
    assert!(hall.app.world().resource::<ReceiptSheet>().holds_a_code());
    hall.app.world_mut().resource_mut::<ReceiptSheet>().open = false;
    hall.frames(5);
    assert!(
        !hall.app.world().resource::<ReceiptSheet>().open,
        "put away, the same receipt stays away"
    );
    hall.send(EndVisit);
    hall.frames(2);
    assert!(receipt(hall.panels()).is_none());
    assert!(!hall.app.world().resource::<ReceiptSheet>().open);
    assert!(
        !hall.app.world().resource::<ReceiptSheet>().holds_a_code(),
        "the sheet keeps nothing of the visit's code (it names the visitor's key)"
    );
}

#[test]
fn the_operator_leaves_with_the_right_pin_and_wrong_ones_count_across_restarts() {
    let ctrl_alt_o = [
        (KeyCode::ControlLeft, Key::Control),
        (KeyCode::AltLeft, Key::Alt),
        (KeyCode::KeyO, Key::Character("o".into())),
    ];
    let home = tempfile::tempdir().expect("a kiosk home");
    let mut hall = Hall::open(home.path(), configuration());
    assert!(!hall.operator().asking);
    hall.chord(&ctrl_alt_o);
    assert!(
        hall.operator().asking,
        "Ctrl+Alt+O shows the operator's pad"
    );
    hall.chord(&[(KeyCode::Escape, Key::Escape)]);
    assert!(!hall.operator().asking, "Esc puts it away");

    hall.chord(&ctrl_alt_o);
    for _ in 0..2 {
        assert_eq!(hall.give_operator_pin("000000"), Some(OperatorNote::Wrong));
        assert_eq!(hall.app.should_exit(), None);
    }
    assert!(
        hall.operator().pin.is_empty(),
        "a refused PIN is wiped from the pad"
    );
    let attempts = home.path().join(ATTEMPTS_FILE);
    assert!(attempts.exists(), "the wrong PINs are written down");

    // Pulling the plug does not reset the count: the third wrong PIN brings the first wait,
    // and during it even the right PIN is not checked.
    drop(hall);
    let mut hall = Hall::open(home.path(), configuration());
    hall.chord(&ctrl_alt_o);
    let Some(OperatorNote::Wait(wait)) = hall.give_operator_pin("111111") else {
        panic!("no wait after three wrong PINs: {:?}", hall.operator().note);
    };
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    hall.send(OperatorPin(Zeroizing::new(OPERATOR_PIN.to_owned())));
    hall.frames(30);
    assert!(matches!(hall.operator().note, Some(OperatorNote::Wait(_))));
    assert_eq!(
        hall.app.should_exit(),
        None,
        "no way out while the wait lasts"
    );

    // On a kiosk with no such history the right PIN leaves kiosk mode.
    let other = tempfile::tempdir().expect("another kiosk home");
    let mut hall = Hall::open(other.path(), configuration());
    hall.chord(&ctrl_alt_o);
    hall.send(OperatorPin(Zeroizing::new(OPERATOR_PIN.to_owned())));
    hall.wait_until("the exit", |world| {
        world.resource::<Operator>().note != Some(OperatorNote::Checking)
    });
    hall.frames(1);
    assert_eq!(hall.app.should_exit(), Some(AppExit::Success));
    assert!(!hall.operator().asking);
    assert!(!other.path().join(ATTEMPTS_FILE).exists());
}

/// Set in the child process of the crash test: the kiosk's data directory.
const CRASH_CHILD: &str = "AGORA_TEST_KIOSK_CHILD";

/// The crash test's name, for the child to run it alone.
const CRASH_TEST: &str =
    "kiosk::a_kiosk_killed_right_after_queued_delivers_the_visit_once_on_restart";

/// The child's part: a visit signs and sends the parking example; the worker, held right
/// after "queued" (`AGORA_TEST_HOLD_AT=told`), waits there to be killed.
fn visit_and_wait_to_be_killed(home: &Path) {
    use agora_client::session::{Reply, Request, Session};
    let session = Session::start_visit(
        home.to_owned(),
        agora_gateway::CatalogSource::Demo,
        agora_client::commands::gateway::LedgerSpec::Local,
        home.join(agora_gateway::hall::OUTBOX_FILE),
    );
    let catalog = agora_services::Catalog::embedded().expect("the catalog");
    let service = catalog.service("parking-permit").expect("the service");
    let today = time::OffsetDateTime::now_utc().date();
    let answers = agora_services::example_answers(service, today).expect("its example");
    session.send(Request::Submit {
        service: service.id.clone(),
        answers,
        pin: None,
    });
    loop {
        match session.wait(Duration::from_secs(120)) {
            Some(Reply::Submitted { id, .. }) => {
                eprintln!("queued: {id}");
                break;
            }
            Some(Reply::Problem { message, .. }) => panic!("the visit could not submit: {message}"),
            Some(_) => {}
            None => panic!("the visit's session said nothing"),
        }
    }
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn a_kiosk_killed_right_after_queued_delivers_the_visit_once_on_restart() {
    use agora_client::commands::hold::{HOLD_AT, Point};
    use agora_gateway::hall::{HallOutbox, OUTBOX_FILE};
    if let Some(home) = std::env::var_os(CRASH_CHILD) {
        visit_and_wait_to_be_killed(Path::new(&home));
        return;
    }
    let home = tempfile::tempdir().expect("a kiosk home");
    let home = home.path();
    let mut child = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args([CRASH_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CRASH_CHILD, home)
        .env(HOLD_AT, Point::Told.name())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the child starts");
    let said = crate::gateway::said_until_held(&mut child, Point::Told);
    // SIGKILL: no destructor, no flush, nothing delivered.
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        said.contains("agora: held at told"),
        "the visit never reached \"queued\":\n{said}"
    );
    // What the outbox holds (`None` while the kiosk's own session has it locked).
    let waiting = |home: &Path| -> Option<Vec<String>> {
        let outbox = HallOutbox::open(&home.join(OUTBOX_FILE)).ok()?;
        let ids = outbox.waiting().ok()?;
        Some(ids.iter().map(ToString::to_string).collect())
    };
    let left = waiting(home).expect("the hall's outbox opens");
    let [id] = left.as_slice() else {
        panic!("the killed visit left {left:?} in the hall's outbox, not its one submission");
    };
    let id = id.clone();

    // The kiosk comes back: its first session, before any visitor, sends what was left.
    let session = agora_client::session::Session::start_visit(
        home.to_owned(),
        agora_gateway::CatalogSource::Demo,
        agora_client::commands::gateway::LedgerSpec::Local,
        home.join(OUTBOX_FILE),
    );
    let start = std::time::Instant::now();
    while waiting(home).is_none_or(|ids| !ids.is_empty()) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the outbox was never delivered"
        );
        let _ = session.poll();
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(session);
    let log = crate::identity::agora(home, &["ledger", "log", "--limit", "100"], "");
    assert_eq!(log.code, 0, "{}", log.stderr);
    let landed = log
        .stdout
        .lines()
        .filter(|l| l.split_whitespace().nth(2) == Some("submission"))
        .filter(|l| l.split_whitespace().nth(3) == Some(id.as_str()))
        .count();
    assert_eq!(
        landed, 1,
        "the visit's application landed {landed} times:\n{}",
        log.stdout
    );
}
