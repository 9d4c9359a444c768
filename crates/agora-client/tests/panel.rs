//! A citizen applies at a service window from start to finish, headless: they walk up to the
//! transport window, point at its panel and click and type through the form, see an inline
//! error and fix it, review, create an identity and sign, and watch the decision arrive from
//! the embedded ledger and desk in a temporary data directory. The panel is the real one
//! (`panel::ui::show` on an egui context); every click is a ray from the citizen's eyes to
//! the widget, cast at the panel where it stands in the plaza and turned into egui's pointer
//! events by the same code the plaza uses. Widgets are found through egui's accessibility
//! tree, by the words a citizen reads.

use std::time::{Duration, Instant};

use agora_client::lang::Lang;
use agora_client::panel::theme::Contrast;
use agora_client::panel::ui::{Model, PANEL_POINTS, SettingsTab, WindowPanel, show, style};
use agora_client::panel::{
    PANEL_SIZE, PanelPlacement, PanelPointer, fonts, nearest_booth, panel_transform, pointer_events,
};
use agora_client::pointer::{PointerHit, hit_panel, panel_point};
use agora_client::scene::layout::PlazaLayout;
use agora_client::scene::{ServiceWindow, compass_rotation, ground};
use agora_client::session::Session;
use agora_client::settings::Settings;
use agora_client::xr::comfort::{ComfortSettings, Handedness, Posture};
use agora_services::Catalog;
use bevy::prelude::*;
use bevy_egui::egui::{self, accesskit};

/// How long a decision may take to arrive (signing with Argon2 included).
const PATIENCE: Duration = Duration::from_secs(90);

struct Visit {
    ctx: egui::Context,
    panel: WindowPanel,
    model: Model,
    session: Session,
    catalog: Catalog,
    lang: Lang,
    /// The panel where it stands in the plaza, and the citizen's eyes.
    panel_at: GlobalTransform,
    eyes: Vec3,
    pointer: PanelPointer,
    events: Vec<egui::Event>,
    nodes: Vec<accesskit::Node>,
    /// The headset's comfort settings, when the visit is in XR mode.
    comfort: Option<ComfortSettings>,
    /// The citizen's settings as the Settings tab leaves them.
    settings: Settings,
    /// The panel's clock: 50 ms a frame, so that two clicks frames apart are not a double
    /// click.
    clock: f64,
    /// The textures egui asked for, and what the last frame drew.
    textures: crate::raster::Textures,
    shapes: Vec<egui::epaint::ClippedShape>,
    pixels_per_point: f32,
}

impl Visit {
    /// The citizen walks up to the window of `service` in the shipped plaza.
    fn walk_up_to(service: &str, home: &std::path::Path) -> Self {
        let layout = PlazaLayout::embedded().expect("the shipped plaza");
        let booths: Vec<(ServiceWindow, GlobalTransform)> = layout
            .windows
            .iter()
            .enumerate()
            .map(|(index, w)| {
                (
                    ServiceWindow {
                        service: w.service.clone(),
                        index,
                    },
                    GlobalTransform::from(
                        Transform::from_translation(ground(w.position))
                            .with_rotation(compass_rotation(w.facing)),
                    ),
                )
            })
            .collect();
        let (_, booth) = booths
            .iter()
            .find(|(w, _)| w.service == service)
            .expect("the plaza has this window");
        // The spot before the counter, at eye height.
        let eyes = booth.transform_point(Vec3::new(0.0, 1.65, -2.3));
        let (opened, booth) = nearest_booth(eyes, booths.iter().map(|(w, t)| (w, t)))
            .expect("standing at the counter opens its panel");
        assert_eq!(
            opened.service, service,
            "the panel that opens is this window's"
        );
        let ctx = egui::Context::default();
        ctx.enable_accesskit();
        ctx.set_fonts(fonts());
        style(
            &ctx,
            agora_client::panel::ui::MIN_TARGET,
            Contrast::Standard,
        );
        let mut visit = Self {
            ctx,
            panel: WindowPanel::new(service),
            model: Model::default(),
            session: Session::start(
                home.to_owned(),
                agora_gateway::CatalogSource::Demo,
                agora_client::commands::gateway::LedgerSpec::Local,
            ),
            catalog: Catalog::embedded().expect("the built-in catalog"),
            lang: Lang::En,
            panel_at: GlobalTransform::from(panel_transform(booth, PanelPlacement::AtCounter)),
            eyes,
            pointer: PanelPointer::default(),
            events: Vec::new(),
            nodes: Vec::new(),
            clock: 0.0,
            comfort: None,
            settings: Settings::default(),
            textures: crate::raster::Textures::default(),
            shapes: Vec::new(),
            pixels_per_point: 1.0,
        };
        // Fonts take effect from the second frame.
        visit.frame();
        visit.frame();
        visit
    }

    /// A kiosk's visitor at the window of `service`, standing where a tap on it takes the
    /// view (straight before its panel), speaking `lang`; the visit's session on the kiosk's
    /// data directory `home`, its hall's outbox there too.
    fn at_kiosk(service: &str, home: &std::path::Path, lang: Lang) -> Self {
        // The citizen's own session `walk_up_to` starts is replaced at once; its files go to a
        // scratch folder, not the kiosk's.
        let scratch = tempfile::tempdir().expect("a scratch folder");
        let mut visit = Self::walk_up_to(service, scratch.path());
        let layout = PlazaLayout::embedded().expect("the shipped plaza");
        let window = layout
            .windows
            .iter()
            .find(|w| w.service == service)
            .expect("the window");
        let booth = Transform::from_translation(ground(window.position))
            .with_rotation(compass_rotation(window.facing));
        visit.eyes = agora_client::kiosk::view_at_booth(booth).translation;
        visit.lang = lang;
        visit.session = Session::start_visit(
            home.to_owned(),
            agora_gateway::CatalogSource::Demo,
            agora_client::commands::gateway::LedgerSpec::Local,
            home.join(agora_gateway::hall::OUTBOX_FILE),
        );
        visit.model = Model::default();
        // The kiosk's targets for the smallest screen it is sized for: a 15.6-inch 1280×720.
        style(&visit.ctx, kiosk_target(), Contrast::Standard);
        visit.frame();
        visit.frame();
        visit
    }

    /// Every text of the last frame whose contrast with what is behind it, measured from the
    /// panel's pixels, is under WCAG 2.2 AA (4.5:1; 3:1 for large text, here 30 points and
    /// up), or that could not be found in the picture; and how many texts were measured.
    fn poor_contrast(&self) -> (Vec<String>, usize) {
        use crate::raster::{draw, hex, measured, texts};
        let primitives = self
            .ctx
            .tessellate(self.shapes.clone(), self.pixels_per_point);
        let picture = draw(
            &primitives,
            &self.textures,
            PANEL_POINTS,
            self.pixels_per_point,
        );
        let texts = texts(&self.shapes);
        let poor = texts
            .iter()
            .filter_map(|text| {
                let least = if text.size >= 30.0 { 3.0 } else { 4.5 };
                match measured(&picture, text, self.pixels_per_point) {
                    Some((ratio, _, _)) if ratio >= least => None,
                    Some((ratio, ink, behind)) => Some(format!(
                        "{:?} ({} pt): {ratio:.2}:1, {} on {} (wants {least}:1)",
                        text.words,
                        text.size,
                        hex(ink),
                        hex(behind)
                    )),
                    None => Some(format!("{:?}: not in the picture", text.words)),
                }
            })
            .collect();
        (poor, texts.len())
    }

    /// The interactive parts of the panel (buttons, boxes, choices, tabs) lower than `least`
    /// points, with their label and height.
    fn small_targets(&self, least: f64) -> Vec<(String, f64)> {
        use accesskit::Role;
        self.nodes
            .iter()
            .filter(|n| {
                matches!(
                    n.role(),
                    Role::Button
                        | Role::TextInput
                        | Role::CheckBox
                        | Role::RadioButton
                        | Role::ComboBox
                        | Role::Tab
                )
            })
            .filter_map(|n| {
                let bounds = n.bounds()?;
                let height = bounds.y1 - bounds.y0;
                (height + 0.5 < least)
                    .then(|| (n.label().or(n.value()).unwrap_or("?").to_owned(), height))
            })
            .collect()
    }

    /// The panel's text scale as its egui context has it.
    fn zoom(&self) -> f32 {
        self.ctx.zoom_factor()
    }

    /// One frame of the panel: the session's news, the input so far, the UI, its requests.
    fn frame(&mut self) {
        for reply in self.session.poll() {
            self.model.apply(reply);
        }
        self.clock += 0.05;
        let input = egui::RawInput {
            // The panel's 1600×900 pixels, in points at its text scale (egui's zoom).
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                PANEL_POINTS / self.zoom(),
            )),
            events: std::mem::take(&mut self.events),
            time: Some(self.clock),
            ..Default::default()
        };
        let mut requests = Vec::new();
        let now = time::OffsetDateTime::now_utc();
        let mut settings = Settings {
            comfort: self.comfort.unwrap_or_default(),
            ..self.settings
        };
        let mut tab = SettingsTab {
            settings: &mut settings,
            comfort: self.comfort.is_some(),
            captions_by_default: false,
            saved: Ok(None),
        };
        let mut output = self.ctx.run_ui(input, |ui| {
            requests.extend(show(
                ui,
                &mut self.panel,
                &mut self.model,
                &self.catalog,
                self.lang,
                [60, 120, 200],
                now,
                Some(&mut tab),
            ));
        });
        // What the app does with the settings (`settings::follow`): the language and the look.
        if let Some(comfort) = &mut self.comfort {
            *comfort = settings.comfort;
        }
        if let Some(lang) = settings.language {
            self.lang = lang;
        }
        if settings.contrast != self.settings.contrast {
            style(
                &self.ctx,
                agora_client::panel::ui::MIN_TARGET,
                settings.contrast,
            );
        }
        if (settings.text_scale - self.zoom()).abs() > 1e-3 {
            self.ctx.set_zoom_factor(settings.text_scale);
        }
        self.settings = settings;
        self.textures.update(&output.textures_delta);
        output.textures_delta.clear();
        self.shapes = std::mem::take(&mut output.shapes);
        self.pixels_per_point = output.pixels_per_point;
        for request in requests {
            self.session.send(request);
        }
        if let Some(update) = output.platform_output.accesskit_update {
            self.nodes = update.nodes.into_iter().map(|(_, node)| node).collect();
        }
    }

    /// Every word the panel shows.
    fn words(&self) -> Vec<String> {
        self.nodes
            .iter()
            .flat_map(|n| [n.label(), n.value()])
            .flatten()
            .map(str::to_owned)
            .collect()
    }

    fn shows(&self, text: &str) -> bool {
        self.words().iter().any(|w| w.contains(text))
    }

    fn node(&self, text: &str, role: Option<accesskit::Role>) -> Option<&accesskit::Node> {
        self.nodes.iter().find(|n| {
            role.is_none_or(|r| n.role() == r)
                && (n.label() == Some(text) || n.value() == Some(text))
        })
    }

    /// Points the ray from the eyes at texel `at` of the panel, with the button up or down.
    fn point(&mut self, at: egui::Pos2, pressed: bool) {
        let size = PANEL_POINTS / self.zoom();
        let uv = Vec2::new(at.x / size.x, at.y / size.y);
        let target = panel_point(&self.panel_at, PANEL_SIZE, uv);
        let ray = Ray3d::new(
            self.eyes,
            Dir3::new(target - self.eyes).expect("a direction"),
        );
        let (distance, uv) =
            hit_panel(ray, &self.panel_at, PANEL_SIZE).expect("the ray meets the panel");
        let quad = Entity::PLACEHOLDER;
        let hit = PointerHit {
            surface: Some(quad),
            uv,
            point: ray.get_point(distance),
            pressed,
        };
        let now = PanelPointer::of(&hit, quad, self.zoom());
        self.events.extend(pointer_events(self.pointer, now));
        self.pointer = now;
    }

    /// Scrolls until `node` is inside the panel's visible area, then returns its centre.
    fn reveal(&mut self, find: impl Fn(&Self) -> Option<accesskit::Rect>) -> egui::Pos2 {
        let mut seen = Vec::new();
        for _ in 0..40 {
            let rect = find(self).expect("the widget is on the panel");
            let centre = egui::pos2(
                ((rect.x0 + rect.x1) / 2.0) as f32,
                ((rect.y0 + rect.y1) / 2.0) as f32,
            );
            // The tabs and EN | 中文 sit in the header, top right (on a row of their own at
            // 200 % text); everything else below it.
            let size = PANEL_POINTS / self.zoom();
            let header = if self.zoom() > 1.5 { 190.0 } else { 110.0 };
            let (top, bottom) = (header + 20.0, size.y - 40.0);
            let tabs_from = if self.zoom() > 1.5 { 0.0 } else { 800.0 };
            let in_header = centre.y < header && centre.x > tabs_from;
            if in_header || (top..bottom).contains(&centre.y) {
                return centre;
            }
            seen.push(centre.y);
            // Scroll with the pointer over the widget's own column.
            self.point(egui::pos2(centre.x, (top + bottom) / 2.0), false);
            let step = if centre.y >= bottom { -160.0 } else { 160.0 };
            self.events.push(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, step),
                phase: egui::TouchPhase::Move,
                modifiers: egui::Modifiers::default(),
            });
            // Let the scrolling (which is animated) come to rest.
            let mut last = None;
            for _ in 0..40 {
                self.frame();
                let now = find(self).map(|r| (r.y0 as i64, r.y1 as i64));
                if now == last {
                    break;
                }
                last = now;
            }
        }
        panic!("could not scroll the widget into view; its centre was at y = {seen:?}");
    }

    /// Moves to `at`, presses and lets go, a frame each, as a hand would.
    fn click_at(&mut self, at: egui::Pos2) {
        self.point(at, false);
        self.frame();
        self.point(at, true);
        self.frame();
        self.point(at, false);
        self.frame();
        self.frame();
    }

    /// Clicks the button (or tab) that says `text`.
    fn click(&mut self, text: &str) {
        let at = self.reveal(|v| {
            v.node(text, Some(accesskit::Role::Button))
                .and_then(|n| n.bounds())
        });
        self.click_at(at);
    }

    /// The bounds of the first widget of `role` beside or below the label `field` that says
    /// `text` (empty: any).
    fn below(&self, field: &str, role: accesskit::Role, text: &str) -> Option<accesskit::Rect> {
        let label = self
            .nodes
            .iter()
            .filter(|n| n.label() == Some(field) || n.value() == Some(field))
            .find_map(accesskit::Node::bounds)?;
        self.nodes
            .iter()
            .filter(|n| n.role() == role)
            .filter(|n| text.is_empty() || n.label() == Some(text) || n.value() == Some(text))
            .filter_map(accesskit::Node::bounds)
            // On the label's row or below it.
            .filter(|b| b.y1 >= label.y0 + 1.0)
            .min_by(|a, b| a.y0.total_cmp(&b.y0))
    }

    /// Chooses `option` of the field labelled `field`.
    fn choose(&mut self, field: &str, option: &str) {
        let at = self.reveal(|v| v.below(field, accesskit::Role::RadioButton, option));
        self.click_at(at);
    }

    /// Clicks into the text box of the field labelled `field` and types `text`.
    fn type_into(&mut self, field: &str, text: &str) {
        let at = self.reveal(|v| {
            v.below(field, accesskit::Role::TextInput, "")
                .or_else(|| v.below(field, accesskit::Role::PasswordInput, ""))
        });
        self.click_at(at);
        self.events.push(egui::Event::Text(text.to_owned()));
        self.frame();
        self.frame();
    }

    /// Lets frames pass until the panel shows `text`.
    fn wait_for(&mut self, text: &str) {
        let started = Instant::now();
        while !self.shows(text) {
            assert!(
                started.elapsed() < PATIENCE,
                "the panel never showed {text:?}; it shows: {:?}",
                self.words()
            );
            std::thread::sleep(Duration::from_millis(20));
            self.frame();
        }
    }

    /// Fills the parking permit's form; the plate is first typed short, then completed.
    fn fill_parking_permit(&mut self) {
        self.choose("Parking zone", "Zone B – Riverside");
        self.type_into("Home address", "滨河路 88 号 3 栋 1202 室");
        self.type_into("Licence plate", "粤B5K2");
        assert!(
            self.shows("Licence plate: write at least 7 characters (now 5)."),
            "a bad plate is marked beside the field as it is typed: {:?}",
            self.words()
        );
        self.type_into("Licence plate", "M8");
        assert!(
            !self.shows("Licence plate: write"),
            "the mark goes once the plate is right: {:?}",
            self.words()
                .iter()
                .filter(|w| w.contains("粤") || w.contains("Licence"))
                .collect::<Vec<_>>()
        );
        self.choose("Who owns the vehicle?", "I do");
        self.type_into("Vehicle length", "4.68");
        self.choose("Is the vehicle registered to this address?", "Yes");
        let start = time::OffsetDateTime::now_utc().date() + time::Duration::days(7);
        self.type_into("Permit start date", &start.to_string());
        self.choose("Permit length", "12 months");
        self.choose(
            "I declare that the information I have given is true and complete.",
            "Yes",
        );
    }
}

#[test]
fn a_citizen_gets_a_parking_permit_at_the_window_and_a_second_one_is_refused() {
    let home = tempfile::tempdir().expect("a temporary data directory");
    let mut visit = Visit::walk_up_to("parking-permit", home.path());
    assert!(
        visit.shows("Residents' parking permit"),
        "{:?}",
        visit.words()
    );

    // Asking to review too early marks what is missing.
    visit.click("Review my application  →");
    assert!(
        visit.shows("Parking zone: this field is required."),
        "{:?}",
        visit.words()
    );
    assert_eq!(
        std::mem::take(&mut visit.panel.cues),
        [agora_client::sound::Cue::Error],
        "a form to mend is heard"
    );

    visit.fill_parking_permit();
    assert!(
        visit.shows("This application will likely be approved."),
        "the likely outcome is shown beside the form: {:?}",
        visit.words()
    );

    visit.click("Review my application  →");
    assert!(visit.shows("Check your application"));
    assert!(
        visit.shows("粤B5K2M8"),
        "the review shows what will be signed"
    );
    assert!(
        visit.shows("Zone B – Riverside"),
        "choices read as their labels"
    );
    visit.click("Sign and send  →");

    // A new device: the citizen creates an identity with a PIN, then signs.
    visit.wait_for("This device has no identity yet");
    visit.type_into("PIN", "plaza-pin-1");
    visit.type_into("PIN again", "plaza-pin-1");
    visit.click("Create my identity, sign and send");
    visit.wait_for("Approved");
    assert!(
        visit.shows("You meet the conditions for a residents' parking permit"),
        "the decision's reason is shown: {:?}",
        visit.words()
    );
    // Who opened it, as the ledger recorded it; and that the demo decided it.
    assert!(
        visit.shows("Opened by the Transport Bureau for its automatic review")
            && visit.shows("Demo: decided by the demo departments"),
        "the timeline names who opened it: {:?}",
        visit.words()
    );

    // The receipt goes to a file that `agora verify` accepts.
    visit.click("Save the receipt to a file");
    visit.wait_for("Receipt saved to");
    let receipt = std::fs::read_dir(home.path().join("receipts"))
        .expect("a receipts folder")
        .next()
        .expect("a receipt file")
        .expect("readable")
        .path();
    // The plaza's home is not the process's, so its ledger's key is pinned as a stranger would.
    let ledger_key = agora_ledger::Ledger::open(
        &home
            .path()
            .join(agora_client::commands::gateway::LEDGER_DIR),
        Catalog::embedded().expect("the catalog"),
    )
    .expect("the plaza's ledger opens")
    .verifier()
    .to_string();
    let trust = agora_client::commands::gateway::Trust {
        pinned: vec![ledger_key],
        chain: None,
        lists: Vec::new(),
    };
    let verdict = agora_client::commands::identity::verify(&receipt, &trust, Lang::En)
        .unwrap_or_else(|e| panic!("the exported receipt does not verify: {e}"));
    assert!(verdict.starts_with("valid receipt"), "{verdict}");

    // A second permit within 90 days: the policy says so before signing, and the desk rejects.
    visit.click("Start a new application");
    visit.fill_parking_permit();
    assert!(
        visit.shows("This application will likely be rejected."),
        "{:?}",
        visit.words()
    );
    visit.click("Review my application  →");
    visit.click("Sign and send  →");
    visit.wait_for("Enter your PIN");
    visit.type_into("PIN", "wrong-pin");
    visit.click("Sign and send");
    visit.wait_for("Something went wrong");
    assert!(
        visit.shows("PIN"),
        "a wrong PIN is named: {:?}",
        visit.words()
    );
    visit.type_into("PIN", "");
    // Clear the field: select everything typed and replace it.
    visit.events.push(egui::Event::Key {
        key: egui::Key::A,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::COMMAND,
    });
    visit
        .events
        .push(egui::Event::Text("plaza-pin-1".to_owned()));
    visit.frame();
    visit.click("Sign and send");
    visit.wait_for("Rejected");
    assert!(
        visit.shows("You already applied for a residents' parking permit in the last 90 days"),
        "the rejection says why: {:?}",
        visit.words()
    );

    // Both are in "My applications", with their timelines.
    visit.click("My applications");
    assert!(
        visit.shows("Approved") && visit.shows("Rejected"),
        "{:?}",
        visit.words()
    );
    assert!(
        visit.shows("Recorded on the ledger"),
        "the timeline: {:?}",
        visit.words()
    );
}

#[test]
fn in_a_headset_the_panel_has_a_comfort_tab_that_changes_the_settings() {
    let home = tempfile::tempdir().expect("a temporary data directory");
    let mut visit = Visit::walk_up_to("parking-permit", home.path());
    visit.click("Settings");
    assert!(
        visit.shows("Contrast") && !visit.shows("Snap turn"),
        "the desktop's settings have no headset comfort: {:?}",
        visit.words()
    );
    visit.comfort = Some(ComfortSettings::default());
    visit.frame();
    assert!(visit.shows("Comfort"), "{:?}", visit.words());
    for choice in ["45°", "Glide (smooth movement)", "Seated", "Left"] {
        visit.click(choice);
    }
    let settings = visit.comfort.expect("the settings");
    assert_eq!(settings.snap_turn_degrees, 45.0);
    assert!(settings.smooth_locomotion && !settings.teleport);
    assert_eq!(settings.posture, Posture::Seated { raise: 0.45 });
    assert_eq!(settings.handedness, Handedness::Left);
}

#[test]
fn in_a_headset_a_keyboard_on_the_panel_types_into_the_focused_field() {
    let home = tempfile::tempdir().expect("a temporary data directory");
    let mut visit = Visit::walk_up_to("parking-permit", home.path());
    visit.comfort = Some(ComfortSettings::default());
    visit.frame();
    assert!(
        !visit.shows("Done"),
        "no keyboard until a field has the focus"
    );
    let field = visit.reveal(|v| v.below("Home address", accesskit::Role::TextInput, ""));
    visit.click_at(field);
    assert!(
        visit.shows("Done"),
        "the keyboard appears: {:?}",
        visit.words()
    );
    std::mem::take(&mut visit.panel.cues);
    for key in ["⇧", "R", "o", "a", "d", "d", "Delete", "space", "7"] {
        visit.click(key);
    }
    visit.frame();
    assert_eq!(
        std::mem::take(&mut visit.panel.cues),
        [agora_client::sound::Cue::Key; 9],
        "each key is heard once"
    );
    let boxes: Vec<_> = visit
        .nodes
        .iter()
        .filter(|n| n.role() == accesskit::Role::TextInput)
        .filter_map(|n| n.value().map(str::to_owned))
        .collect();
    assert!(
        boxes.iter().any(|b| b == "Road 7"),
        "the address box says what was typed: {boxes:?}"
    );
    assert!(
        visit.shows("Road 7|"),
        "the keyboard shows what the box says, in case it covers the box: {:?}",
        visit.words()
    );
    visit.click("Done");
    assert!(!visit.shows("Done"), "Done puts the keyboard away");
}

/// The planning consultation's long title wraps beside the header's tabs, in both languages:
/// the title, the identity line and the tabs never overlap, and all stay on the panel.
#[test]
fn a_long_service_title_wraps_instead_of_running_under_the_tabs() {
    for lang in [Lang::En, Lang::ZhCn] {
        let home = tempfile::tempdir().expect("a temporary data directory");
        let mut visit = Visit::walk_up_to("planning-consultation", home.path());
        visit.lang = lang;
        visit.frame();
        visit.frame();
        let words = agora_client::panel::words::words(lang);
        let title = visit
            .catalog
            .service("planning-consultation")
            .expect("the consultation")
            .title
            .get(lang.into())
            .to_owned();
        let bounds = |visit: &Visit, what: &str, found: Option<accesskit::Rect>| {
            found.unwrap_or_else(|| panic!("{lang:?}: no {what} on the panel: {:?}", visit.words()))
        };
        let title_box = bounds(
            &visit,
            "title",
            visit.node(&title, None).and_then(|n| n.bounds()),
        );
        let identity = bounds(
            &visit,
            "identity line",
            visit
                .nodes
                .iter()
                .find(|n| {
                    n.label()
                        .or(n.value())
                        .is_some_and(|t| t.starts_with(words.identity))
                })
                .and_then(|n| n.bounds()),
        );
        let tabs: Vec<accesskit::Rect> = [words.apply_tab, words.mine_tab]
            .iter()
            .map(|tab| {
                bounds(
                    &visit,
                    tab,
                    visit
                        .node(tab, Some(accesskit::Role::Button))
                        .and_then(|n| n.bounds()),
                )
            })
            .collect();
        let overlap = |a: &accesskit::Rect, b: &accesskit::Rect| {
            a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
        };
        for tab in &tabs {
            assert!(
                !overlap(&title_box, tab) && !overlap(&identity, tab),
                "{lang:?}: the header's text runs under a tab: title {title_box:?}, identity \
                 {identity:?}, tab {tab:?}"
            );
        }
        for (what, rect) in [("title", &title_box), ("identity line", &identity)]
            .into_iter()
            .chain(tabs.iter().map(|t| ("tab", t)))
        {
            assert!(
                rect.x0 >= 0.0 && f64::from(PANEL_POINTS.x) >= rect.x1,
                "{lang:?}: the {what} leaves the panel: {rect:?}"
            );
        }
        if lang == Lang::En {
            assert!(
                title_box.y1 - title_box.y0 > 60.0,
                "the English title is too long for one line beside the tabs, so it wraps onto \
                 two: {title_box:?}"
            );
        }
    }
}

/// A citizen switches to Chinese and to high contrast on the Settings tab halfway through a
/// form: the whole panel speaks Chinese at once, and nothing entered is lost.
#[test]
fn the_language_and_contrast_change_mid_form_and_the_draft_stays() {
    let home = tempfile::tempdir().expect("a temporary data directory");
    let mut visit = Visit::walk_up_to("parking-permit", home.path());
    visit.choose("Parking zone", "Zone B – Riverside");
    visit.type_into("Home address", "88 Riverside Road");
    visit.click("Settings");
    visit.click("中文");
    assert_eq!(visit.settings.language, Some(Lang::ZhCn));
    assert!(visit.shows("对比度"), "{:?}", visit.words());
    visit.click("高对比度");
    assert_eq!(visit.settings.contrast, Contrast::High);
    visit.click("减少动态");
    assert!(visit.settings.reduced_motion);
    visit.click("申请");
    assert!(visit.shows("停车片区"), "{:?}", visit.words());
    let english: Vec<String> = visit
        .words()
        .into_iter()
        .filter(|w| {
            w.split_whitespace()
                .any(|word| word.len() > 3 && word.chars().all(|c| c.is_ascii_alphabetic()))
        })
        .filter(|w| !w.contains("Riverside Road") && !w.starts_with("did:key") && w != "English")
        .collect();
    assert!(
        english.is_empty(),
        "English words left on the Chinese panel: {english:?}"
    );
    assert!(
        visit.words().iter().any(|w| w == "88 Riverside Road"),
        "the address typed before the switch is still there: {:?}",
        visit.words()
    );
    let (poor, _) = visit.poor_contrast();
    assert!(poor.is_empty(), "{poor:#?}");
    // Back to English from the header's EN | 中文, on the form itself.
    visit.click("EN");
    assert_eq!(visit.settings.language, Some(Lang::En));
    assert!(visit.shows("Parking zone"), "{:?}", visit.words());
    assert!(visit.words().iter().any(|w| w == "88 Riverside Road"));
}

/// At 200 % text the panel's words are twice as large and still all there: none overlaps
/// another, none runs off the panel's sides (the header's tabs move under the title), they
/// keep their contrast, and the form still works by pointing and scrolling.
#[test]
fn at_200_percent_text_nothing_overlaps_or_runs_off_the_panel() {
    let home = tempfile::tempdir().expect("a temporary data directory");
    let mut visit = Visit::walk_up_to("parking-permit", home.path());
    visit.click("Settings");
    visit.click("200 %");
    visit.frame();
    visit.frame();
    assert_eq!(visit.zoom(), 2.0);
    let check = |visit: &Visit, step: &str| {
        let texts = crate::raster::texts(&visit.shapes);
        let width = PANEL_POINTS.x / visit.zoom();
        assert!(texts.len() > 5, "{step}: only {} texts", texts.len());
        for text in &texts {
            assert!(
                text.rect.min.x >= -0.5 && text.rect.max.x <= width + 0.5,
                "{step}: {:?} runs off the panel: {:?}",
                text.words,
                text.rect
            );
        }
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                let overlap = a.rect.intersect(b.rect);
                assert!(
                    !overlap.is_positive() || overlap.area() < 4.0,
                    "{step}: {:?} and {:?} overlap ({:?}, {:?})",
                    a.words,
                    b.words,
                    a.rect,
                    b.rect
                );
            }
        }
    };
    check(&visit, "the settings");
    visit.click("Apply");
    visit.frame();
    check(&visit, "the form");
    let (poor, _) = visit.poor_contrast();
    assert!(poor.is_empty(), "{poor:#?}");
    // Still usable by pointing: a choice far down the form, then the button to go on, which
    // is below the side column's edge at this size.
    visit.choose("Parking zone", "Zone B – Riverside");
    visit.click("Review my application  →");
    assert!(
        visit.shows("Home address: this field is required."),
        "{:?}",
        visit.words()
    );
    check(&visit, "the form with its mistakes marked");
}

/// Every text on the panel stands out from what is behind it, measured from its pixels, in the
/// standard theme and the high-contrast one: the form with its help, hints and a mistake
/// marked, and the review.
#[test]
fn the_panel_s_text_meets_wcag_aa_contrast_in_both_themes() {
    let home = tempfile::tempdir().expect("a temporary data directory");
    let mut visit = Visit::walk_up_to("parking-permit", home.path());
    for contrast in [Contrast::Standard, Contrast::High] {
        style(&visit.ctx, agora_client::panel::ui::MIN_TARGET, contrast);
        visit.panel = WindowPanel::new("parking-permit");
        visit.frame();
        visit.frame();
        // A mistake marked in red, beside the help and the hints.
        visit.click("Review my application  →");
        assert!(visit.shows("Parking zone: this field is required."));
        let (poor, measured) = visit.poor_contrast();
        assert!(
            measured > 20,
            "{contrast:?}: only {measured} texts on the form"
        );
        assert!(poor.is_empty(), "{contrast:?}, the form: {poor:#?}");
        visit.fill_parking_permit();
        visit.click("Review my application  →");
        assert!(visit.shows("Check your application"));
        let (poor, measured) = visit.poor_contrast();
        assert!(
            measured > 10,
            "{contrast:?}: only {measured} texts on the review"
        );
        assert!(poor.is_empty(), "{contrast:?}, the review: {poor:#?}");
    }
}

/// The panel's smallest target at a kiosk with a 15.6-inch 1280×720 screen: 9 mm on its glass.
fn kiosk_target() -> f32 {
    agora_client::kiosk::panel_target_points(
        Vec2::new(1280.0, 720.0),
        344.0,
        PerspectiveProjection::default().fov,
    )
}

/// Every file under `dir` (but `skip`), as bytes with its path.
fn files_under(dir: &std::path::Path, skip: &[&str]) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("reads the folder") {
            let path = entry.expect("an entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if skip.contains(&name) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    found
}

/// A visitor who reads only Chinese applies at the kiosk with taps only, takes the receipt
/// home as a QR code that verifies (read back from the drawn code), and after the reset the
/// kiosk keeps nothing of them: no file it wrote holds their answers, key or application, and
/// the next visit's panel and session know nothing of them.
#[test]
fn a_kiosk_visitor_applies_in_chinese_takes_a_qr_receipt_home_and_leaves_no_trace() {
    let home = tempfile::tempdir().expect("a kiosk data directory");
    let mut visit = Visit::at_kiosk("parking-permit", home.path(), Lang::ZhCn);
    assert!(
        visit.model.visit,
        "the visit's key is the kiosk's, made for it"
    );
    let did = visit
        .model
        .identity
        .flatten()
        .expect("the visit's key")
        .to_string();
    assert!(
        std::fs::read_dir(home.path().join("identity")).is_err(),
        "no key store is made at a kiosk"
    );
    // Taps only: the choices, and the on-panel keyboard for what is typed in Latin letters
    // and digits; the address and the plate's first character come as an input method
    // would give them (see the README on Chinese text at a kiosk).
    visit.choose("停车片区", "B 区 – 滨河片区");
    visit.type_into("住址", "滨河路 88 号 3 栋 1202 室");
    // The keyboard covers the lower part of the panel: put it away to reach the next box.
    visit.click("完成");
    visit.type_into("车牌号码", "粤");
    assert!(
        visit.shows("完成"),
        "the kiosk's panel has its keyboard: {:?}",
        visit.words()
    );
    let small = visit.small_targets(f64::from(kiosk_target()));
    assert!(small.is_empty(), "keys under 9 mm: {small:?}");
    for key in ["⇧", "B", "5", "⇧", "K", "2", "⇧", "M", "8", "完成"] {
        visit.click(key);
    }
    visit.choose("车辆所有人", "本人");
    let length = visit.reveal(|v| v.below("车身长度", accesskit::Role::TextInput, ""));
    visit.click_at(length);
    for key in ["4", ".", "6", "8", "完成"] {
        visit.click(key);
    }
    visit.choose("车辆登记地址是否为上述住址？", "是");
    let start = time::OffsetDateTime::now_utc().date() + time::Duration::days(7);
    let date = visit.reveal(|v| v.below("许可证生效日期", accesskit::Role::TextInput, ""));
    visit.click_at(date);
    for key in start.to_string().chars() {
        visit.click(&key.to_string());
    }
    visit.click("完成");
    visit.choose("许可证期限", "12 个月");
    visit.choose("本人承诺所填信息真实、完整。", "是");
    let small = visit.small_targets(f64::from(kiosk_target()));
    assert!(
        small.is_empty(),
        "targets under 9 mm on a 15.6-inch kiosk screen ({} points): {small:?}",
        kiosk_target()
    );
    visit.click("核对我的申请  →");
    assert!(
        visit.shows("核对您的申请"),
        "the form is complete: {:?}",
        visit.words()
    );
    visit.click("签名并提交  →");
    assert!(
        visit.shows("本自助终端只为您这次办理生成了一个密钥。它现在为您的申请签名，您结束办理时即被清除；无需 PIN 码。"),
        "no PIN at a kiosk: {:?}",
        visit.words()
    );
    visit.click("签名并提交");
    visit.wait_for("您的回执");
    let summary = visit
        .model
        .applications
        .iter()
        .find(|a| a.service == "parking-permit")
        .cloned()
        .expect("the application");
    let code = summary.code.clone().expect("a receipt code once anchored");
    // The QR code as drawn on the panel reads back, and the code verifies offline against the
    // kiosk's ledger.
    let picture = agora_client::panel::qr::image(&code, 4).expect("fits a QR code");
    let [w, h] = picture.size;
    let luma: Vec<u8> = picture.pixels.iter().map(|c| c.r()).collect();
    let read = agora_client::panel::qr::read(w, h, &luma);
    assert_eq!(read, vec![code.clone()]);
    let ledger = agora_gateway::LocalLedger::open(
        &home.path().join(agora_gateway::city::LEDGER_DIR),
        Catalog::embedded().expect("catalog"),
    )
    .expect("the kiosk's ledger");
    let trusted = agora_gateway::TrustedLedgers::new([ledger.verifier().clone()]);
    drop(ledger);
    let verified = agora_gateway::compact::verify(&read[0], &visit.catalog, &trusted)
        .expect("the code verifies");
    assert_eq!(verified.id, summary.id);
    assert_eq!(verified.applicant.to_string(), did);
    assert!(visit.shows(&agora_gateway::compact::short_code(summary.id)));
    // At 200 % text the receipt's step still lays out (the room under the header is then
    // smaller than the code's column asked for), and comes back at 100 %.
    for size in ["200 %", "100 %"] {
        visit.click("设置");
        visit.click(size);
        visit.click("申请");
        visit.frame();
        assert!(visit.shows("您的回执"), "{size}: {:?}", visit.words());
    }

    // The reset: the session goes (its key with it) and so do the drafts.
    let id = summary.id.to_string();
    let uuid = id.trim_start_matches("urn:uuid:").to_owned();
    drop(std::mem::replace(
        &mut visit.session,
        Session::start_visit(
            home.path().to_owned(),
            agora_gateway::CatalogSource::Demo,
            agora_client::commands::gateway::LedgerSpec::Local,
            home.path().join(agora_gateway::hall::OUTBOX_FILE),
        ),
    ));
    visit.model = Model::default();
    visit.panel = WindowPanel::new("parking-permit");
    visit.frame();
    visit.frame();
    visit.frame();
    assert!(!visit.shows("您的回执"));
    assert!(
        visit.model.applications.is_empty(),
        "the next visit sees nothing of the last"
    );
    assert_ne!(
        visit.model.identity.flatten().map(|d| d.to_string()),
        Some(did.clone()),
        "the next visit has a key of its own"
    );
    // Every file the kiosk wrote. The ledger and the demo's desk stand for the city's side,
    // which in the demo runs on the kiosk's machine; a hall's kiosk writes to the city's chain.
    let files = files_under(
        home.path(),
        &[
            "ledger",
            "desk.sqlite",
            "desk.sqlite-wal",
            "desk.sqlite-shm",
        ],
    );
    assert!(
        files
            .iter()
            .any(|(p, _)| p.ends_with(agora_gateway::hall::OUTBOX_FILE)),
        "the scan covers the hall's outbox: {:?}",
        files.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for secret in ["滨河路", "5K2M8", did.as_str(), uuid.as_str()] {
            assert!(
                !text.contains(secret),
                "{} still holds {secret:?} after the visit",
                path.display()
            );
        }
    }
}
