//! What a service window's panel shows and does, as plain egui: no Bevy here, so the whole
//! flow runs in tests on an `egui::Context` of its own.
//!
//! A panel walks the citizen through four steps: the form (validated as they type, with the
//! published policy's likely outcome beside it), the review of exactly what will be signed,
//! signing with the PIN (creating the identity first on a new device), and the application's
//! progress until the decision. A second tab lists every application with its timeline and
//! offers each receipt as a file. Work goes to the [`Session`](crate::session::Session) as
//! [`Request`]s; its [`Reply`]s come back through [`Model::apply`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use agora_gateway::State;
use agora_identity::{DidKey, Pin};
use agora_services::{
    ApplicationId, Catalog, FieldKind, Outcome, ReviewContext, Service, Submission, Verdict,
};
use bevy_egui::egui::{
    self, Align, Button, Color32, CornerRadius, FontId, Frame, Layout, Margin, RichText,
    ScrollArea, Stroke, TextEdit, TextStyle, Ui, UiBuilder, Vec2,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::theme::{Contrast, Theme, theme};
use super::words::{Words, words};
use crate::lang::{Lang, Moment};
use crate::scene::layout::TimeZone;
use crate::session::{Reply, Request, Summary, Task};
use crate::settings::Settings;
use crate::sound::SoundSettings;
use crate::xr::comfort::{ComfortSettings, Handedness, Posture};

/// The panel's size in egui points (one point is one texel: see `panel::PANEL_PIXELS`).
pub const PANEL_POINTS: Vec2 = Vec2::new(1600.0, 900.0);

/// The session's state as every panel sees it.
#[derive(Debug, Default)]
pub struct Model {
    /// The device's identity: `None` until the session has looked, then `Some(None)` when
    /// there is none yet.
    pub identity: Option<Option<DidKey>>,
    /// Every application, newest first.
    pub applications: Vec<Summary>,
    /// What the session is doing for the citizen right now.
    pub busy: Option<Task>,
    /// The last problem, with what it interrupted.
    pub problem: Option<(Task, String)>,
    /// The last receipt written to a file.
    pub exported: Option<(ApplicationId, PathBuf)>,
    /// Applications just submitted, by service, waiting to be shown in their panel.
    pub submitted: Vec<(String, ApplicationId)>,
    /// Whether this is a kiosk visit: its key is made for the visit (no PIN), and receipts
    /// go home as QR codes, never as files.
    pub visit: bool,
    /// Whether the panel draws its own keyboard (in a headset, and at a kiosk's touch
    /// screen), typing into the text box last touched.
    pub on_screen_keyboard: bool,
    /// The city's time zone, in which the panel shows when things happened.
    pub time_zone: TimeZone,
    /// The QR code last drawn, by its text.
    qr: Option<(String, QrTexture)>,
}

impl Model {
    /// Takes in what the session says.
    pub fn apply(&mut self, reply: Reply) {
        match reply {
            Reply::VisitIdentity(did) => {
                self.identity = Some(Some(did));
                // A kiosk's touch screen has no keyboard: the panel draws its own.
                self.visit = true;
                self.on_screen_keyboard = true;
            }
            Reply::Identity(did) => {
                self.identity = Some(did);
                if self.busy == Some(Task::CreateIdentity) {
                    // Signing follows at once (it was asked for in the same breath).
                    self.busy = Some(Task::Submit);
                }
            }
            Reply::Submitted { id, service } => {
                self.busy = None;
                self.problem = None;
                self.submitted.push((service, id));
            }
            Reply::Applications(list) => self.applications = list,
            Reply::Exported { id, path } => {
                self.busy = None;
                self.exported = Some((id, path));
            }
            Reply::Problem { task, message } => {
                self.busy = None;
                self.problem = Some((task, message));
            }
        }
    }

    fn summary(&self, id: ApplicationId) -> Option<&Summary> {
        self.applications.iter().find(|a| a.id == id)
    }
}

/// A drawn QR code's texture (egui's handle says nothing useful in `Debug`).
pub struct QrTexture(egui::TextureHandle);

impl std::fmt::Debug for QrTexture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QrTexture")
    }
}

/// Which tab is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Apply for this window's service.
    #[default]
    Apply,
    /// Every application of this device.
    Mine,
    /// The citizen's settings: language, contrast, and in a headset its comfort.
    Settings,
}

/// Where in the application the citizen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Step {
    /// Filling in the form.
    #[default]
    Form,
    /// Reading what will be signed.
    Review,
    /// Entering the PIN.
    Sign,
    /// Sent: following the application.
    Sent(ApplicationId),
}

/// One field's draft answer, as typed or chosen.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Draft {
    /// Text, numbers and dates, as typed.
    Text(String),
    /// A choice's option value, or a yes/no.
    Picked(Option<Value>),
    /// A location's latitude and longitude, as typed.
    Location(String, String),
    /// Nothing yet.
    #[default]
    Empty,
}

/// One window's panel: the draft and the step, kept while the citizen walks away.
#[derive(Debug, Default)]
pub struct WindowPanel {
    /// The service's id.
    pub service: String,
    /// The tab showing.
    pub tab: Tab,
    /// The step.
    pub step: Step,
    /// Answers by field id.
    pub draft: BTreeMap<String, Draft>,
    /// Fields the citizen has changed (their problems show as they type).
    touched: BTreeSet<String>,
    /// Whether to show every field's problem (after asking to review an incomplete form).
    show_all: bool,
    pin: Secret,
    pin_again: Secret,
    /// The policy's likely verdict for the draft as it was last reviewed.
    verdict: Option<(Value, Verdict)>,
    /// The on-panel keyboard of a citizen in a headset.
    pub keyboard: Keyboard,
    /// Cues the panel sounded this frame (a key of its keyboard, a form to mend), for the
    /// plaza to play and caption; taken each frame.
    pub cues: Vec<crate::sound::Cue>,
}

/// The keyboard drawn on the panel in a headset, where there is no physical one. The text box
/// last clicked or focused is its target; it shows while that box is on the panel, and what its
/// keys type is added to that box's text when the box is next drawn (at its end: a ray is too
/// coarse to place a caret).
#[derive(Debug, Default)]
pub struct Keyboard {
    /// The text box it types into.
    target: Option<egui::Id>,
    /// Whether the target was drawn this frame.
    seen: bool,
    /// Capitals for the next letter.
    shift: bool,
    /// Keys pressed and not yet applied.
    pending: Vec<KeyPress>,
    /// The target's label and text as last drawn, shown above the keys (the keyboard may
    /// cover the box itself).
    preview: (String, String),
}

#[derive(Debug, Clone, PartialEq)]
enum KeyPress {
    Text(String),
    Backspace,
}

impl Keyboard {
    /// Makes the box behind `response` the target when it is clicked or focused, and gives it
    /// the keys pressed since it was last drawn.
    fn serve(&mut self, response: &egui::Response, text: &mut String, label: &str, secret: bool) {
        if response.clicked() || response.has_focus() {
            self.target = Some(response.id);
        }
        if self.target != Some(response.id) {
            return;
        }
        self.seen = true;
        for key in self.pending.drain(..) {
            match key {
                KeyPress::Text(typed) => text.push_str(&typed),
                KeyPress::Backspace => {
                    text.pop();
                }
            }
        }
        let shown = if secret {
            "•".repeat(text.chars().count())
        } else {
            text.clone()
        };
        self.preview = (label.to_owned(), shown);
    }
}

impl WindowPanel {
    /// A fresh panel for `service`.
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            ..Self::default()
        }
    }

    /// The draft as the form's JSON object (what the form validates and the citizen signs).
    pub fn answers(&self, service: &Service) -> Value {
        let mut answers = Map::new();
        for field in service.form.fields() {
            let value = match (self.draft.get(&field.id), &field.kind) {
                (Some(Draft::Text(text)), FieldKind::Number(_)) if !text.trim().is_empty() => {
                    // A number as typed; text that is not one is left as text, for the form to
                    // say what it expects.
                    text.trim()
                        .replace(',', ".")
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or_else(|| Value::String(text.clone()), Value::Number)
                }
                (Some(Draft::Text(text)), _) if !text.trim().is_empty() => {
                    Value::String(text.trim().to_owned())
                }
                (Some(Draft::Picked(Some(value))), _) => value.clone(),
                (Some(Draft::Location(lat, lon)), _)
                    if !(lat.trim().is_empty() && lon.trim().is_empty()) =>
                {
                    json!({
                        "lat": lat.trim().parse::<f64>().map_or(Value::Null, |v| json!(v)),
                        "lon": lon.trim().parse::<f64>().map_or(Value::Null, |v| json!(v)),
                    })
                }
                _ => continue,
            };
            answers.insert(field.id.clone(), value);
        }
        Value::Object(answers)
    }

    /// Fills the draft from an answers object (the service's example, or a saved draft).
    pub fn fill(&mut self, service: &Service, answers: &Value) {
        for field in service.form.fields() {
            let Some(value) = answers.get(&field.id) else {
                continue;
            };
            let draft = match (&field.kind, value) {
                (FieldKind::Choice(_) | FieldKind::YesNo(_), value) => {
                    Draft::Picked(Some(value.clone()))
                }
                (FieldKind::Location(_), value) => Draft::Location(
                    value
                        .get("lat")
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    value
                        .get("lon")
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
                (_, Value::String(text)) => Draft::Text(text.clone()),
                (_, other) => Draft::Text(other.to_string()),
            };
            self.draft.insert(field.id.clone(), draft);
            self.touched.insert(field.id.clone());
        }
    }

    /// The policy's likely verdict for the draft, reviewed again only when the draft changed.
    fn verdict(
        &mut self,
        service: &Service,
        answers: Value,
        model: &Model,
        now: OffsetDateTime,
    ) -> &Verdict {
        let stale = self
            .verdict
            .as_ref()
            .is_none_or(|(seen, _)| *seen != answers);
        if stale {
            let applicant = model
                .identity
                .flatten()
                .unwrap_or_else(agora_services::example_applicant);
            let earlier = model
                .applications
                .iter()
                .filter(|a| a.service == service.id && a.state != State::Failed)
                .filter(|a| {
                    let period = service.policy.period_days().map(|d| i64::from(d) * 86_400);
                    let first = a.events.first().map_or(0, |e| e.at as i64);
                    period.is_none_or(|p| now.unix_timestamp() - first < p)
                })
                .count();
            let submission = Submission {
                applicant,
                submitted_at: now,
                context: ReviewContext {
                    earlier_applications: u32::try_from(earlier).unwrap_or(u32::MAX),
                },
            };
            let verdict = service.review(&answers, &submission);
            self.verdict = Some((answers, verdict));
        }
        &self.verdict.as_ref().expect("just set").1
    }
}

/// Colours of the panel: dark, calm, with the department's accent.
struct Palette {
    accent: Color32,
}

/// The height of the panel's smallest target, in points: large enough for a controller's ray
/// and a mouse on a 1080p screen.
pub const MIN_TARGET: f32 = 44.0;

/// Sets the panel's type sizes and spacing: large enough to read from the counter on a 1080p
/// screen and in a headset; every target at least `target` points high (and
/// [`MIN_TARGET`]); the colours of `contrast`'s theme.
pub fn style(ctx: &egui::Context, target: f32, contrast: Contrast) {
    let target = target.max(MIN_TARGET);
    super::theme::set(ctx, contrast);
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (TextStyle::Heading, FontId::proportional(36.0)),
            (TextStyle::Body, FontId::proportional(24.0)),
            (TextStyle::Button, FontId::proportional(24.0)),
            (TextStyle::Small, FontId::proportional(19.0)),
            (TextStyle::Monospace, FontId::monospace(20.0)),
        ]
        .into();
        style.spacing.item_spacing = Vec2::new(12.0, 10.0);
        style.spacing.button_padding = Vec2::new(18.0, 10.0);
        style.spacing.interact_size = Vec2::splat(target);
        style.spacing.icon_width = 26.0;
        style.spacing.icon_width_inner = 14.0;
        style.spacing.scroll.bar_width = 14.0;
    });
}

/// Turns the panel's animations and smooth scrolling off (`reduced`) or back on.
pub fn motion(ctx: &egui::Context, reduced: bool) {
    let normal = egui::Style::default();
    ctx.all_styles_mut(|style| {
        if reduced {
            style.animation_time = 0.0;
            style.scroll_animation = egui::style::ScrollAnimation::none();
        } else {
            style.animation_time = normal.animation_time;
            style.scroll_animation = normal.scroll_animation;
        }
    });
}

/// Draws `panel` for `service` and returns what to ask of the session.
pub fn show(
    ui: &mut Ui,
    panel: &mut WindowPanel,
    model: &mut Model,
    catalog: &Catalog,
    lang: Lang,
    accent: [u8; 3],
    now: OffsetDateTime,
    mut settings: Option<&mut SettingsTab<'_>>,
) -> Vec<Request> {
    let w = words(lang);
    let palette = Palette {
        accent: Color32::from_rgb(accent[0], accent[1], accent[2]),
    };
    let mut requests = Vec::new();
    let Some(service) = catalog.service(&panel.service) else {
        ui.label(format!("{} ({})", w.problem, panel.service));
        return requests;
    };
    // An application this panel just sent: follow it.
    if let Some(at) = model
        .submitted
        .iter()
        .position(|(s, _)| *s == panel.service)
    {
        let (_, id) = model.submitted.remove(at);
        panel.step = Step::Sent(id);
        panel.pin.wipe();
        panel.pin_again.wipe();
    }
    Frame::new()
        .fill(theme(ui).background)
        .inner_margin(Margin::same(28))
        .show(ui, |ui| {
            ui.set_min_size(ui.available_size());
            let chosen = header(
                ui,
                panel,
                model,
                service,
                w,
                &palette,
                lang,
                settings.is_some(),
            );
            if let (Some(chosen), Some(settings)) = (chosen, settings.as_mut()) {
                settings.settings.language = Some(chosen);
            }
            ui.add_space(6.0);
            match panel.tab {
                Tab::Apply => match panel.step {
                    Step::Form => form_step(ui, panel, model, service, catalog, w, lang, now),
                    Step::Review => review_step(ui, panel, model, service, catalog, w, lang),
                    Step::Sign => sign_step(ui, panel, model, service, w, &mut requests),
                    Step::Sent(id) => {
                        sent_step(
                            ui,
                            panel,
                            model,
                            service,
                            catalog,
                            w,
                            lang,
                            id,
                            &mut requests,
                        );
                    }
                },
                Tab::Mine => mine(ui, model, catalog, w, lang, &mut requests),
                Tab::Settings => match &mut settings {
                    Some(settings) => {
                        // Sound and captions (and in a headset comfort) make it longer than
                        // the panel.
                        ScrollArea::vertical()
                            .id_salt("settings")
                            .auto_shrink([false, false])
                            .show(ui, |ui| settings_tab(ui, settings, w, lang, model.visit));
                    }
                    None => panel.tab = Tab::Apply,
                },
            }
        });
    if (settings.as_ref().is_some_and(|s| s.comfort) || model.on_screen_keyboard)
        && on_panel_keyboard(ui, &mut panel.keyboard, w)
    {
        panel.cues.push(crate::sound::Cue::Key);
    }
    requests
}

/// The rows of the on-panel keyboard (letters shown in lower case unless shifted).
const KEY_ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl-", "zxcvbnm.,@"];

/// Draws the keyboard while a text box is its target; whether a key was pressed.
fn on_panel_keyboard(ui: &mut Ui, keyboard: &mut Keyboard, w: &Words) -> bool {
    // Keys that found no box (it was not drawn) are dropped; a box not drawn this frame (another
    // step, another tab) puts the keyboard away.
    keyboard.pending.clear();
    if !std::mem::take(&mut keyboard.seen) {
        keyboard.target = None;
    }
    if keyboard.target.is_none() {
        return false;
    }
    let ctx = ui.ctx().clone();
    let size = Vec2::new(104.0, ui.spacing().interact_size.y.max(62.0));
    let tapped = std::cell::Cell::new(false);
    let key = |ui: &mut Ui, label: &str, width: f32, selected: bool| {
        let button = Button::new(RichText::new(label).strong())
            .selected(selected)
            .min_size(Vec2::new(width, size.y));
        let clicked = ui.add(button).clicked();
        tapped.set(tapped.get() || clicked);
        clicked
    };
    egui::Area::new(egui::Id::new("on-panel keyboard"))
        .order(egui::Order::Foreground)
        .anchor(egui::Align2::CENTER_BOTTOM, Vec2::new(0.0, -16.0))
        .show(&ctx, |ui| {
            Frame::new()
                .fill(theme(ui).keyboard)
                .stroke(Stroke::new(1.0, theme(ui).muted))
                .corner_radius(CornerRadius::same(12))
                .inner_margin(Margin::same(14))
                .show(ui, |ui| {
                    ui.spacing_mut().item_spacing = Vec2::new(10.0, 10.0);
                    let (label, text) = &keyboard.preview;
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(format!("{label}:")).color(theme(ui).muted));
                        ui.label(RichText::new(format!("{text}|")).strong());
                    });
                    for row in KEY_ROWS {
                        ui.horizontal(|ui| {
                            for letter in row.chars() {
                                let shown = if keyboard.shift {
                                    letter.to_uppercase().to_string()
                                } else {
                                    letter.to_string()
                                };
                                if key(ui, &shown, size.x, false) {
                                    keyboard.pending.push(KeyPress::Text(shown));
                                    keyboard.shift = false;
                                }
                            }
                        });
                    }
                    ui.horizontal(|ui| {
                        if key(ui, "⇧", size.x, keyboard.shift) {
                            keyboard.shift = !keyboard.shift;
                        }
                        if key(ui, w.key_space, size.x * 5.0 + 40.0, false) {
                            keyboard.pending.push(KeyPress::Text(" ".into()));
                        }
                        if key(ui, w.key_delete, size.x * 1.5, false) {
                            keyboard.pending.push(KeyPress::Backspace);
                        }
                        if key(ui, w.key_done, size.x * 2.0 + 10.0, false) {
                            keyboard.target = None;
                            keyboard.pending.clear();
                        }
                    });
                });
        });
    tapped.get()
}

/// How wide a tab in a panel's header is.
const TAB_WIDTH: f32 = 150.0;

/// How wide each of the header's language buttons is.
const LANG_WIDTH: f32 = 64.0;

fn header(
    ui: &mut Ui,
    panel: &mut WindowPanel,
    model: &Model,
    service: &Service,
    w: &Words,
    palette: &Palette,
    lang: Lang,
    with_settings: bool,
) -> Option<Lang> {
    let mut chosen = None;
    let settings = with_settings.then_some((Tab::Settings, w.settings_tab));
    let tabs: Vec<(Tab, &str)> = settings
        .into_iter()
        .chain([(Tab::Mine, w.mine_tab), (Tab::Apply, w.apply_tab)])
        .collect();
    let who = match model.identity {
        Some(Some(did)) => short_did(&did),
        Some(None) => w.no_identity.to_owned(),
        None => "…".to_owned(),
    };
    let gap = ui.spacing().item_spacing.x;
    let switch_width = if with_settings {
        2.0 * (LANG_WIDTH + gap) + gap
    } else {
        0.0
    };
    let tabs_width = tabs.len() as f32 * (TAB_WIDTH + gap) + switch_width;
    let title = |ui: &mut Ui, width: f32| {
        ui.allocate_ui_with_layout(Vec2::new(width, 78.0), Layout::top_down(Align::Min), |ui| {
            ui.set_width(width);
            ui.add(
                egui::Label::new(
                    RichText::new(service.title.get(lang.into()))
                        .heading()
                        .strong(),
                )
                .wrap(),
            );
            ui.add(
                egui::Label::new(
                    RichText::new(service.department.name.get(lang.into())).color(theme(ui).muted),
                )
                .wrap(),
            );
        });
    };
    let mut tabs_and_identity = |ui: &mut Ui| {
        ui.horizontal(|ui| {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                for (tab, label) in &tabs {
                    let selected = panel.tab == *tab;
                    let button = Button::new(RichText::new(*label).strong())
                        .selected(selected)
                        .min_size(Vec2::new(TAB_WIDTH, ui.spacing().interact_size.y.max(52.0)));
                    if ui.add(button).clicked() {
                        panel.tab = *tab;
                    }
                }
                if with_settings {
                    // EN | 中文 on every panel: the whole interface changes at once.
                    ui.add_space(gap);
                    for choice in [Lang::ZhCn, Lang::En] {
                        let button = Button::new(crate::lang::text(choice, "language-short"))
                            .selected(lang == choice)
                            .min_size(Vec2::new(LANG_WIDTH, ui.spacing().interact_size.y));
                        if ui.add(button).clicked() && lang != choice {
                            chosen = Some(choice);
                        }
                    }
                }
            });
        });
        ui.add(
            egui::Label::new(
                RichText::new(format!("{}: {who}", w.identity))
                    .small()
                    .color(theme(ui).muted),
            )
            .truncate(),
        );
    };
    // The tabs, and who signs below them, keep their width on the right; the title and the
    // department take what is left, and a long title wraps onto a second line instead of
    // running under the tabs. When too little is left (large text), the tabs go under it.
    let beside = ui.available_width() - 10.0 - tabs_width - 2.0 * gap;
    if beside >= 360.0 {
        ui.horizontal(|ui| {
            let (bar, _) = ui.allocate_exact_size(Vec2::new(10.0, 78.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(bar, CornerRadius::same(3), palette.accent);
            title(ui, beside);
            ui.with_layout(Layout::top_down(Align::Max), |ui| tabs_and_identity(ui));
        });
    } else {
        ui.horizontal(|ui| {
            let (bar, _) = ui.allocate_exact_size(Vec2::new(10.0, 78.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(bar, CornerRadius::same(3), palette.accent);
            let width = ui.available_width();
            title(ui, width);
        });
        ui.with_layout(Layout::top_down(Align::Max), |ui| tabs_and_identity(ui));
    }
    ui.separator();
    chosen
}

/// `did:key:z6Mk…last6`: enough to recognise one's own.
fn short_did(did: &DidKey) -> String {
    let text = did.to_string();
    let tail: String = text
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{}…{tail}", text.chars().take(12).collect::<String>())
}

fn card(ui: &mut Ui, add: impl FnOnce(&mut Ui)) {
    Frame::new()
        .fill(theme(ui).card)
        .corner_radius(CornerRadius::same(10))
        .inner_margin(Margin::same(18))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui);
        });
}

fn form_step(
    ui: &mut Ui,
    panel: &mut WindowPanel,
    model: &Model,
    service: &Service,
    catalog: &Catalog,
    w: &Words,
    lang: Lang,
    now: OffsetDateTime,
) {
    let answers = panel.answers(service);
    let problems: BTreeMap<String, String> = match service.form.validate(&answers) {
        Ok(_) => BTreeMap::new(),
        Err(problems) => problems
            .into_iter()
            .map(|p| (p.field.clone(), catalog.render(&p.message, lang.into())))
            .collect(),
    };
    // Two columns: the form (scrolling) on the left, the rules and the likely outcome on the
    // right, each laid out top-down so that long text wraps.
    let area = ui.available_rect_before_wrap();
    let (form_area, side_area) = area.split_left_right_at_fraction(0.6);
    let side_area = side_area.with_min_x(side_area.min.x + 24.0);
    let column = |rect| {
        UiBuilder::new()
            .max_rect(rect)
            .layout(Layout::top_down(Align::Min))
    };
    ui.scope_builder(column(form_area), |ui| {
        ScrollArea::vertical()
            .id_salt(("form", &panel.service))
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.label(
                    RichText::new(service.description.get(lang.into())).color(theme(ui).muted),
                );
                ui.add_space(8.0);
                if !service.open {
                    ui.label(RichText::new(w.closed).color(theme(ui).bad).strong());
                }
                for field in service.form.fields() {
                    let shown = panel.show_all || panel.touched.contains(&field.id);
                    let problem = problems.get(&field.id).filter(|_| shown);
                    field_editor(ui, panel, field, problem, w, lang);
                }
                // Room below the last field, so that it can scroll clear of the panel's edge.
                ui.add_space(60.0);
            });
    });
    ui.scope_builder(column(side_area), |ui| {
        // It scrolls too: at 200 % text the button to go on is below the panel's edge.
        ScrollArea::vertical()
            .id_salt("side")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let verdict = panel.verdict(service, answers, model, now).clone();
                card(ui, |ui| {
                    ui.label(RichText::new(w.how_decided).strong());
                    if let Some(summary) = service.policy.summary() {
                        ui.label(RichText::new(summary.get(lang.into())).color(theme(ui).muted));
                    }
                });
                ui.add_space(8.0);
                card(ui, |ui| {
                    if problems.is_empty() {
                        let colour = outcome_colour(verdict.outcome, theme(ui));
                        ui.label(
                            RichText::new(catalog.render(&verdict.outcome.likely(), lang.into()))
                                .color(colour)
                                .strong(),
                        );
                        for reason in &verdict.reasons {
                            ui.label(format!("• {}", catalog.render(reason, lang.into())));
                        }
                    } else {
                        ui.label(RichText::new(w.fill_in_to_see).color(theme(ui).muted));
                    }
                });
                ui.add_space(8.0);
                if panel.show_all && !problems.is_empty() {
                    ui.label(RichText::new(w.fix_marked).color(theme(ui).bad));
                }
                let next = ui.add_enabled(
                    service.open,
                    Button::new(RichText::new(w.to_review).strong())
                        .min_size(Vec2::new(320.0, ui.spacing().interact_size.y.max(60.0))),
                );
                if next.clicked() {
                    if problems.is_empty() {
                        panel.step = Step::Review;
                    } else {
                        panel.show_all = true;
                        panel.cues.push(crate::sound::Cue::Error);
                    }
                }
            });
    });
    ui.advance_cursor_after_rect(area);
}

fn field_editor(
    ui: &mut Ui,
    panel: &mut WindowPanel,
    field: &agora_services::Field,
    problem: Option<&String>,
    w: &Words,
    lang: Lang,
) {
    let l = lang.into();
    ui.add_space(6.0);
    let label = ui.horizontal(|ui| {
        let label = ui.label(RichText::new(field.label.get(l)).strong());
        let note = if field.required {
            w.required
        } else {
            w.optional
        };
        ui.label(RichText::new(note).small().color(theme(ui).muted));
        label
    });
    let label_id = label.inner.id;
    ui.label(
        RichText::new(field.help.get(l))
            .small()
            .color(theme(ui).muted),
    );
    let keyboard = &mut panel.keyboard;
    let entry = panel.draft.entry(field.id.clone()).or_default();
    let before = entry.clone();
    let error_stroke = problem.map(|_| Stroke::new(2.0, theme(ui).bad));
    // A fixed id: the box keeps its focus (and the on-panel keyboard its target) when the
    // error frame appears around it.
    let box_id = egui::Id::new(("field", &field.id));
    let mut text_box = |ui: &mut Ui, text: &mut String, hint: &str, multiline: bool| {
        let edit = if multiline {
            TextEdit::multiline(text).desired_rows(3)
        } else {
            TextEdit::singleline(text)
        }
        .id(box_id);
        let frame_ui = |ui: &mut Ui| {
            let tall = Vec2::new(0.0, ui.spacing().interact_size.y);
            ui.add(
                edit.hint_text(hint)
                    .desired_width(f32::INFINITY)
                    .min_size(tall)
                    .vertical_align(Align::Center),
            )
            .labelled_by(label_id)
        };
        let response = match error_stroke {
            Some(stroke) => {
                Frame::new()
                    .stroke(stroke)
                    .corner_radius(CornerRadius::same(4))
                    .show(ui, frame_ui)
                    .inner
            }
            None => frame_ui(ui),
        };
        keyboard.serve(&response, text, field.label.get(l), false);
        response
    };
    match &field.kind {
        FieldKind::Text(limits) => {
            if !matches!(entry, Draft::Text(_)) {
                *entry = Draft::Text(String::new());
            }
            if let Draft::Text(text) = entry {
                let hint = limits
                    .pattern
                    .as_ref()
                    .map(|p| p.format.get(l))
                    .unwrap_or("");
                text_box(ui, text, hint, limits.multiline);
            }
        }
        FieldKind::Number(limits) => {
            if !matches!(entry, Draft::Text(_)) {
                *entry = Draft::Text(String::new());
            }
            if let Draft::Text(text) = entry {
                ui.horizontal(|ui| {
                    ui.set_max_width(360.0);
                    text_box(ui, text, "", false);
                    ui.label(limits.unit.get(l));
                });
            }
        }
        FieldKind::Date(_) => {
            if !matches!(entry, Draft::Text(_)) {
                *entry = Draft::Text(String::new());
            }
            if let Draft::Text(text) = entry {
                ui.horizontal(|ui| {
                    ui.set_max_width(360.0);
                    text_box(ui, text, w.date_hint, false);
                });
            }
        }
        FieldKind::Choice(choice) => {
            if !matches!(entry, Draft::Picked(_)) {
                *entry = Draft::Picked(None);
            }
            if let Draft::Picked(picked) = entry {
                ui.horizontal_wrapped(|ui| {
                    for option in &choice.options {
                        let value = Some(Value::String(option.value.clone()));
                        ui.radio_value(picked, value, option.label.get(l));
                    }
                });
            }
        }
        FieldKind::YesNo(_) => {
            if !matches!(entry, Draft::Picked(_)) {
                *entry = Draft::Picked(None);
            }
            if let Draft::Picked(picked) = entry {
                ui.horizontal(|ui| {
                    ui.radio_value(picked, Some(Value::Bool(true)), w.yes);
                    ui.radio_value(picked, Some(Value::Bool(false)), w.no);
                });
            }
        }
        FieldKind::Location(_) => {
            if !matches!(entry, Draft::Location(..)) {
                *entry = Draft::Location(String::new(), String::new());
            }
            if let Draft::Location(lat, lon) = entry {
                ui.horizontal(|ui| {
                    ui.label(w.latitude);
                    let response = ui.add(
                        TextEdit::singleline(lat)
                            .id(box_id.with("latitude"))
                            .desired_width(160.0)
                            .min_size(Vec2::new(0.0, ui.spacing().interact_size.y))
                            .vertical_align(Align::Center),
                    );
                    keyboard.serve(&response, lat, w.latitude, false);
                    ui.label(w.longitude);
                    let response = ui.add(
                        TextEdit::singleline(lon)
                            .id(box_id.with("longitude"))
                            .desired_width(160.0)
                            .min_size(Vec2::new(0.0, ui.spacing().interact_size.y))
                            .vertical_align(Align::Center),
                    );
                    keyboard.serve(&response, lon, w.longitude, false);
                });
            }
        }
    }
    // A change by the citizen, not the box appearing for the first time.
    if before != Draft::Empty && *entry != before {
        panel.touched.insert(field.id.clone());
    }
    if let Some(problem) = problem {
        ui.label(RichText::new(problem).color(theme(ui).bad));
    }
}

fn outcome_colour(outcome: Outcome, theme: &Theme) -> Color32 {
    match outcome {
        Outcome::Approve => theme.good,
        Outcome::Reject => theme.bad,
        Outcome::Refer => theme.wait,
    }
}

/// An answer as the citizen reads it: the option's label, yes or no, the number and its unit.
fn shown_answer(
    field: &agora_services::Field,
    value: Option<&Value>,
    w: &Words,
    lang: Lang,
) -> String {
    let l = lang.into();
    let Some(value) = value else {
        return w.not_answered.to_owned();
    };
    match (&field.kind, value) {
        (FieldKind::Choice(choice), Value::String(picked)) => choice
            .options
            .iter()
            .find(|o| o.value == *picked)
            .map_or_else(|| picked.clone(), |o| o.label.get(l).to_owned()),
        (FieldKind::YesNo(_), Value::Bool(yes)) => (if *yes { w.yes } else { w.no }).to_owned(),
        (FieldKind::Number(limits), Value::Number(n)) => format!("{n} {}", limits.unit.get(l)),
        (FieldKind::Location(_), location) => format!(
            "{}, {}",
            location
                .get("lat")
                .map(ToString::to_string)
                .unwrap_or_default(),
            location
                .get("lon")
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        (_, Value::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    }
}

fn review_step(
    ui: &mut Ui,
    panel: &mut WindowPanel,
    model: &Model,
    service: &Service,
    catalog: &Catalog,
    w: &Words,
    lang: Lang,
) {
    let answers = panel.answers(service);
    ui.label(RichText::new(w.review_title).size(30.0).strong());
    ui.label(RichText::new(w.review_intro).color(theme(ui).muted));
    ui.add_space(6.0);
    let height = ui.available_height() - 90.0;
    ScrollArea::vertical()
        .id_salt(("review", &panel.service))
        .max_height(height)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            card(ui, |ui| {
                egui::Grid::new(("review-grid", &panel.service))
                    .num_columns(2)
                    .spacing(Vec2::new(28.0, 12.0))
                    .show(ui, |ui| {
                        for field in service.form.fields() {
                            ui.label(
                                RichText::new(field.label.get(lang.into())).color(theme(ui).muted),
                            );
                            ui.label(
                                RichText::new(shown_answer(field, answers.get(&field.id), w, lang))
                                    .strong(),
                            );
                            ui.end_row();
                        }
                        ui.label(RichText::new(w.signed_as).color(theme(ui).muted));
                        ui.label(match model.identity {
                            _ if model.visit => w.visit_signer.to_owned(),
                            Some(Some(did)) => did.to_string(),
                            _ => w.new_identity_signer.to_owned(),
                        });
                        ui.end_row();
                        let policy = service.policy.reference();
                        ui.label(RichText::new(w.policy).color(theme(ui).muted));
                        ui.label(format!("{} v{}", policy.id, policy.version));
                        ui.end_row();
                    });
            });
            if let Some((_, verdict)) = &panel.verdict {
                ui.add_space(6.0);
                ui.label(
                    RichText::new(catalog.render(&verdict.outcome.likely(), lang.into()))
                        .color(outcome_colour(verdict.outcome, theme(ui))),
                );
            }
        });
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        if ui
            .add(
                Button::new(w.change_answers)
                    .min_size(Vec2::new(240.0, ui.spacing().interact_size.y.max(60.0))),
            )
            .clicked()
        {
            panel.step = Step::Form;
        }
        let sign = Button::new(RichText::new(w.continue_to_sign).strong())
            .min_size(Vec2::new(300.0, ui.spacing().interact_size.y.max(60.0)));
        if ui.add(sign).clicked() {
            panel.step = Step::Sign;
        }
    });
}

fn sign_step(
    ui: &mut Ui,
    panel: &mut WindowPanel,
    model: &mut Model,
    service: &Service,
    w: &Words,
    requests: &mut Vec<Request>,
) {
    ui.label(RichText::new(w.sign_title).size(30.0).strong());
    let Some(identity) = model.identity else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(w.opening);
        });
        return;
    };
    if model.visit {
        return visit_sign_step(ui, panel, model, service, w, requests);
    }
    let first_time = identity.is_none();
    let busy = model.busy.is_some();
    ui.label(if first_time {
        w.first_time
    } else {
        w.enter_pin
    });
    if first_time {
        ui.label(RichText::new(w.pin_rules).small().color(theme(ui).muted));
    }
    ui.add_space(8.0);
    egui::Grid::new("pin-grid")
        .num_columns(2)
        .spacing(Vec2::new(20.0, 12.0))
        .show(ui, |ui| {
            pin_row(ui, w.pin, &mut panel.pin, !busy, &mut panel.keyboard);
            if first_time {
                pin_row(
                    ui,
                    w.pin_again,
                    &mut panel.pin_again,
                    !busy,
                    &mut panel.keyboard,
                );
            }
        });
    ui.add_space(8.0);
    let mismatch = first_time && !panel.pin_again.is_empty() && *panel.pin != *panel.pin_again;
    let short = !panel.pin.is_empty() && panel.pin.chars().count() < 6;
    if mismatch {
        ui.label(RichText::new(w.pins_differ).color(theme(ui).bad));
    } else if short && first_time {
        ui.label(RichText::new(w.pin_too_short).color(theme(ui).bad));
    }
    if let Some((Task::Submit | Task::CreateIdentity | Task::Open, message)) = &model.problem {
        ui.label(RichText::new(format!("{}: {message}", w.problem)).color(theme(ui).bad));
    }
    match model.busy {
        Some(Task::CreateIdentity) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(w.working_identity);
            });
        }
        Some(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(w.working_sign);
            });
        }
        None => {}
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !busy,
                Button::new(w.back)
                    .min_size(Vec2::new(200.0, ui.spacing().interact_size.y.max(60.0))),
            )
            .clicked()
        {
            panel.step = Step::Review;
        }
        let ready = !busy
            && !panel.pin.is_empty()
            && (!first_time || (*panel.pin == *panel.pin_again && !short));
        let label = if first_time {
            w.create_and_sign
        } else {
            w.sign_and_submit
        };
        let go = ui.add_enabled(
            ready,
            Button::new(RichText::new(label).strong())
                .min_size(Vec2::new(320.0, ui.spacing().interact_size.y.max(60.0))),
        );
        if go.clicked() {
            submit(panel, model, service, first_time, requests);
        }
    });
}

/// Signing at a kiosk: the visit's key is in the session's memory, so there is no PIN.
fn visit_sign_step(
    ui: &mut Ui,
    panel: &mut WindowPanel,
    model: &mut Model,
    service: &Service,
    w: &Words,
    requests: &mut Vec<Request>,
) {
    let busy = model.busy.is_some();
    ui.label(w.visit_sign);
    if let Some((Task::Submit | Task::Open, message)) = &model.problem {
        ui.label(RichText::new(format!("{}: {message}", w.problem)).color(theme(ui).bad));
    }
    if busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(w.working_sign);
        });
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !busy,
                Button::new(w.back)
                    .min_size(Vec2::new(200.0, ui.spacing().interact_size.y.max(60.0))),
            )
            .clicked()
        {
            panel.step = Step::Review;
        }
        let go = ui.add_enabled(
            !busy,
            Button::new(RichText::new(w.sign_and_submit).strong())
                .min_size(Vec2::new(320.0, ui.spacing().interact_size.y.max(60.0))),
        );
        if go.clicked() {
            model.problem = None;
            model.busy = Some(Task::Submit);
            requests.push(Request::Submit {
                service: panel.service.clone(),
                answers: panel.answers(service),
                pin: None,
            });
        }
    });
}

/// A PIN as the panel holds it while it is typed: wiped (zeroed, not merely cleared) once it is
/// sent or the application is, and never printed.
#[derive(Default)]
struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    /// Zeroes what was typed and empties the box.
    fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut *self.0);
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl std::ops::Deref for Secret {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl std::ops::DerefMut for Secret {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

/// One labelled PIN box in the sign step's grid.
fn pin_row(ui: &mut Ui, label: &str, pin: &mut String, enabled: bool, keyboard: &mut Keyboard) {
    let id = egui::Id::new(("pin", label));
    let name = label;
    let label = ui.label(label);
    let response = ui
        .add_enabled(
            enabled,
            TextEdit::singleline(pin)
                .id(id)
                .password(true)
                .desired_width(320.0)
                .min_size(Vec2::new(0.0, ui.spacing().interact_size.y))
                .vertical_align(Align::Center),
        )
        .labelled_by(label.id);
    if enabled {
        keyboard.serve(&response, pin, name, true);
    }
    ui.end_row();
}

fn submit(
    panel: &mut WindowPanel,
    model: &mut Model,
    service: &Service,
    first_time: bool,
    requests: &mut Vec<Request>,
) {
    let (Ok(pin), Ok(again)) = (
        Pin::new(String::clone(&panel.pin)),
        Pin::new(String::clone(&panel.pin)),
    ) else {
        model.problem = Some((Task::Submit, "the PIN is not usable".to_owned()));
        return;
    };
    // The PIN goes with the request; the panel keeps no copy, whatever the answer (after a
    // wrong one the citizen types it again).
    panel.pin.wipe();
    panel.pin_again.wipe();
    model.problem = None;
    if first_time {
        requests.push(Request::CreateIdentity { pin });
        model.busy = Some(Task::CreateIdentity);
    } else {
        model.busy = Some(Task::Submit);
    }
    requests.push(Request::Submit {
        service: panel.service.clone(),
        answers: panel.answers(service),
        pin: Some(again),
    });
}

fn sent_step(
    ui: &mut Ui,
    panel: &mut WindowPanel,
    model: &mut Model,
    service: &Service,
    catalog: &Catalog,
    w: &Words,
    lang: Lang,
    id: ApplicationId,
    requests: &mut Vec<Request>,
) {
    ui.label(RichText::new(w.sent_title).size(30.0).strong());
    ui.label(RichText::new(id.to_string()).small().color(theme(ui).muted));
    ui.add_space(6.0);
    // The card, the QR code beside it and the button under them may be taller than the panel
    // (a long timeline, a narrow column beside the code): they scroll rather than fall off it.
    let room = ui.available_height();
    ScrollArea::vertical()
        .id_salt(("sent", id.to_string()))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            match model.summary(id).cloned() {
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(w.queued_words);
                    });
                }
                Some(summary) => match summary.code.clone() {
                    Some(code) => {
                        // The code as large as the room allows beside its words and the button.
                        let side = (room - 230.0).clamp(280.0, 440.0);
                        ui.horizontal_top(|ui| {
                            // At a large text size the room left under the header can be less
                            // than nothing: the column then scrolls with the rest.
                            let width = (ui.available_width() - side - 40.0).max(120.0);
                            ui.allocate_ui_with_layout(
                                Vec2::new(width, (room - 80.0).max(0.0)),
                                Layout::top_down(Align::Min),
                                |ui| {
                                    ui.set_width(width);
                                    application_card(
                                        ui, model, &summary, catalog, w, lang, requests, true,
                                    );
                                },
                            );
                            ui.add_space(16.0);
                            ui.vertical(|ui| receipt_qr(ui, model, &code, summary.id, w, side));
                        });
                    }
                    None => {
                        application_card(ui, model, &summary, catalog, w, lang, requests, true);
                    }
                },
            }
            ui.add_space(10.0);
            let finished = model.summary(id).is_none_or(|s| !s.in_progress());
            if finished
                && ui
                    .add(
                        Button::new(w.new_application)
                            .min_size(Vec2::new(320.0, ui.spacing().interact_size.y.max(60.0))),
                    )
                    .clicked()
            {
                *panel = WindowPanel::new(&service.id);
            }
        });
}

/// The receipt as a QR code a phone can take home, with the short reference beside it.
fn receipt_qr(ui: &mut Ui, model: &mut Model, code: &str, id: ApplicationId, w: &Words, side: f32) {
    let stale = model.qr.as_ref().is_none_or(|(drawn, _)| drawn != code);
    if stale {
        if let Some(picture) = super::qr::image(code, 4) {
            let texture =
                ui.ctx()
                    .load_texture("receipt-qr", picture, egui::TextureOptions::NEAREST);
            model.qr = Some((code.to_owned(), QrTexture(texture)));
        } else {
            model.qr = None;
        }
    }
    ui.label(RichText::new(w.receipt_qr).strong());
    if let Some((_, texture)) = &model.qr {
        ui.add(egui::Image::new(&texture.0).fit_to_exact_size(Vec2::splat(side)));
    }
    ui.label(
        RichText::new(format!(
            "{}: {}",
            w.receipt_code,
            agora_gateway::compact::short_code(id)
        ))
        .size(30.0)
        .strong(),
    );
    ui.set_max_width(side);
    ui.add(
        egui::Label::new(
            RichText::new(w.receipt_qr_hint)
                .small()
                .color(theme(ui).muted),
        )
        .wrap(),
    );
}

/// Where an application stands, in large words, and their colour.
pub fn state_words(
    summary: &Summary,
    catalog: &Catalog,
    lang: Lang,
    theme: &Theme,
) -> (String, Color32) {
    let l = lang.into();
    match (summary.state, summary.outcome) {
        (State::Decided | State::Anchored, Some(outcome)) => (
            catalog.render(
                &agora_services::Message::new(format!("outcome.{}", outcome.as_str())),
                l,
            ),
            outcome_colour(outcome, theme),
        ),
        (State::Queued, _) => (
            catalog.render(&agora_services::Status::Queued.label(), l),
            theme.wait,
        ),
        (State::Anchored, None) => (
            catalog.render(&agora_services::Status::Anchored.label(), l),
            theme.wait,
        ),
        (State::Failed, _) | (State::Decided, None) => (
            catalog.render(&agora_services::Message::new("status.failed"), l),
            theme.bad,
        ),
    }
}

/// One application: its state in large words, the reasons, the timeline, the receipt.
fn application_card(
    ui: &mut Ui,
    model: &mut Model,
    summary: &Summary,
    catalog: &Catalog,
    w: &Words,
    lang: Lang,
    requests: &mut Vec<Request>,
    large: bool,
) {
    let l = lang.into();
    card(ui, |ui| {
        let title = catalog
            .service(&summary.service)
            .map_or(summary.service.as_str(), |s| s.title.get(l));
        if !large {
            ui.label(RichText::new(title).strong());
        }
        let (words, colour) = state_words(summary, catalog, lang, theme(ui));
        ui.horizontal(|ui| {
            if summary.in_progress() {
                ui.spinner();
            }
            let size = if large { 40.0 } else { 28.0 };
            ui.label(RichText::new(words).size(size).color(colour).strong());
        });
        match summary.state {
            State::Queued => {
                ui.label(w.queued_words);
            }
            State::Anchored if summary.outcome.is_none() => {
                ui.label(w.anchored_words);
            }
            State::Failed => {
                ui.label(w.failed_words);
            }
            _ => {}
        }
        if summary.by_officer
            && let Some(service) = catalog.service(&summary.service)
        {
            ui.label(
                RichText::new(format!(
                    "{} {}",
                    w.decided_by_officer,
                    service.department.name.get(l)
                ))
                .strong(),
            );
        }
        for reason in &summary.reasons {
            ui.label(format!("• {}", catalog.render(reason, l)));
        }
        if summary.demo {
            ui.label(
                RichText::new(w.demo_decision)
                    .color(theme(ui).wait)
                    .strong(),
            );
        }
        if let Some(error) = &summary.last_error {
            ui.label(
                RichText::new(format!("{}: {error}", w.last_attempt))
                    .small()
                    .color(theme(ui).muted),
            );
        }
        ui.add_space(4.0);
        // Its steps and who opened it at the department, by time (within a second, opening
        // comes after anchoring and before deciding).
        let mut timeline: Vec<(u64, u8, agora_services::Message)> = summary
            .events
            .iter()
            .map(|event| {
                let step = match event.state {
                    State::Queued => agora_services::Status::Queued.label(),
                    State::Anchored => agora_services::Status::Anchored.label(),
                    State::Decided => summary.outcome.map_or_else(
                        || agora_services::Message::new("status.failed"),
                        |outcome| agora_services::Status::Decided { outcome }.label(),
                    ),
                    State::Failed => agora_services::Message::new("status.failed"),
                };
                let rank = match event.state {
                    State::Queued => 0,
                    State::Anchored => 1,
                    State::Decided | State::Failed => 3,
                };
                (event.at, rank, step)
            })
            .collect();
        if let Some(service) = catalog.service(&summary.service) {
            for opened in &summary.accesses {
                timeline.push((opened.at, 2, opened.message(&service.department.name)));
            }
        }
        timeline.sort_by_key(|(at, rank, _)| (*at, *rank));
        for (at, _, step) in &timeline {
            let at = OffsetDateTime::from_unix_timestamp(*at as i64)
                .map(|at| crate::lang::moment(lang, at, model.time_zone, Moment::Full))
                .unwrap_or_default();
            ui.label(
                RichText::new(format!("{at}   {}", catalog.render(step, l)))
                    .small()
                    .color(theme(ui).muted),
            );
        }
        if summary.has_receipt && !model.visit {
            ui.add_space(4.0);
            let button = Button::new(w.save_receipt)
                .min_size(Vec2::new(300.0, ui.spacing().interact_size.y.max(52.0)));
            if ui.add_enabled(model.busy.is_none(), button).clicked() {
                model.busy = Some(Task::Export);
                requests.push(Request::ExportReceipt { id: summary.id });
            }
            if let Some((exported, path)) = &model.exported
                && *exported == summary.id
            {
                ui.label(
                    RichText::new(format!("{} {}", w.saved_to, path.display()))
                        .color(theme(ui).good),
                );
                ui.label(
                    RichText::new(format!("{} {}", w.verify_hint, path.display()))
                        .small()
                        .color(theme(ui).muted),
                );
            }
            if let Some((Task::Export, message)) = &model.problem {
                ui.label(RichText::new(message).color(theme(ui).bad));
            }
        }
    });
}

/// The citizen's settings as the panel's Settings tab edits them, and what became of the
/// last save.
#[derive(Debug)]
pub struct SettingsTab<'a> {
    /// The settings, changed in place.
    pub settings: &'a mut Settings,
    /// Whether the headset's comfort settings are shown (in a headset).
    pub comfort: bool,
    /// Whether captions show when the citizen has not said (at a kiosk).
    pub captions_by_default: bool,
    /// Where they were last saved, or why they could not be.
    pub saved: Result<Option<&'a std::path::Path>, String>,
}

/// One choice of several, as a button big enough to hit with a controller's ray.
fn choice(ui: &mut Ui, selected: bool, label: &str) -> bool {
    let button = Button::new(RichText::new(label).strong())
        .selected(selected)
        .min_size(Vec2::new(120.0, ui.spacing().interact_size.y.max(52.0)));
    ui.add(button).clicked() && !selected
}

fn settings_tab(ui: &mut Ui, tab: &mut SettingsTab<'_>, w: &Words, lang: Lang, visit: bool) {
    let intro = if visit {
        w.settings_intro_visit
    } else {
        w.settings_intro
    };
    ui.label(RichText::new(intro).color(theme(ui).muted));
    ui.add_space(10.0);
    egui::Grid::new("display")
        .num_columns(2)
        .spacing(Vec2::new(28.0, 16.0))
        .show(ui, |ui| {
            let settings = &mut *tab.settings;
            let mut chosen = lang;
            let en_name = crate::lang::text(Lang::En, "language-name");
            let zh_name = crate::lang::text(Lang::ZhCn, "language-name");
            choice_row(
                ui,
                w.language,
                &[(Lang::En, en_name.as_str()), (Lang::ZhCn, zh_name.as_str())],
                &mut chosen,
            );
            if chosen != lang {
                settings.language = Some(chosen);
            }
            choice_row(
                ui,
                w.contrast,
                &[
                    (Contrast::Standard, w.contrast_standard),
                    (Contrast::High, w.contrast_high),
                ],
                &mut settings.contrast,
            );
            let sizes: Vec<(f32, String)> = crate::settings::TEXT_SCALES
                .iter()
                .map(|scale| (*scale, format!("{:.0} %", scale * 100.0)))
                .collect();
            let sizes: Vec<(f32, &str)> = sizes.iter().map(|(s, l)| (*s, l.as_str())).collect();
            choice_row(ui, w.text_size, &sizes, &mut settings.text_scale);
            choice_row(
                ui,
                w.motion,
                &[(false, w.motion_full), (true, w.motion_reduced)],
                &mut settings.reduced_motion,
            );
        });
    ui.add_space(18.0);
    ui.label(RichText::new(w.sound_title).heading().strong());
    ui.add_space(6.0);
    sound_settings(ui, &mut tab.settings.sound, tab.captions_by_default, w);
    if tab.comfort {
        ui.add_space(18.0);
        ui.label(RichText::new(w.comfort_tab).heading().strong());
        comfort_settings(ui, &mut tab.settings.comfort, w);
    }
    ui.add_space(14.0);
    match &tab.saved {
        Ok(Some(path)) => {
            ui.label(
                RichText::new(format!("{} {}", w.comfort_saved, path.display()))
                    .small()
                    .color(theme(ui).muted),
            );
        }
        Ok(None) => {}
        Err(problem) => {
            ui.label(RichText::new(format!("{}: {problem}", w.problem)).color(theme(ui).bad));
        }
    }
}

/// A row of the settings' grid: its name, then a button for each choice, the one in force
/// selected; a tap puts that choice in `value`.
fn choice_row<T: PartialEq + Copy>(ui: &mut Ui, name: &str, choices: &[(T, &str)], value: &mut T) {
    ui.label(RichText::new(name).strong());
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 14.0;
        for (option, label) in choices {
            if choice(ui, *value == *option, label) {
                *value = *option;
            }
        }
    });
    ui.end_row();
}

/// The volumes a row of the sound settings offers.
const VOLUMES: [(f32, &str); 5] = [
    (0.0, "0 %"),
    (0.25, "25 %"),
    (0.5, "50 %"),
    (0.75, "75 %"),
    (1.0, "100 %"),
];

fn sound_settings(ui: &mut Ui, sound: &mut SoundSettings, captions_by_default: bool, w: &Words) {
    egui::Grid::new("sound")
        .num_columns(2)
        .spacing(Vec2::new(28.0, 16.0))
        .show(ui, |ui| {
            let mut on = !sound.muted;
            choice_row(
                ui,
                w.sound,
                &[(true, w.sound_on), (false, w.sound_off)],
                &mut on,
            );
            sound.muted = !on;
            for (name, level) in [
                (w.volume, &mut sound.volume),
                (w.ambience_volume, &mut sound.ambience),
                (w.cue_volume, &mut sound.cues),
            ] {
                // A level set by hand in the file shows as its nearest step.
                let mut step = VOLUMES
                    .iter()
                    .map(|(v, _)| *v)
                    .min_by(|a, b| (a - *level).abs().total_cmp(&(b - *level).abs()))
                    .unwrap_or(1.0);
                let before = step;
                choice_row(ui, name, &VOLUMES, &mut step);
                if step != before {
                    *level = step;
                }
            }
            let mut captions = sound.captions.unwrap_or(captions_by_default);
            choice_row(
                ui,
                w.captions,
                &[(true, w.captions_on), (false, w.captions_off)],
                &mut captions,
            );
            if captions != sound.captions.unwrap_or(captions_by_default) {
                sound.captions = Some(captions);
            }
            let sizes: Vec<(Option<f32>, String)> =
                std::iter::once((None, w.caption_size_text.to_owned()))
                    .chain(
                        [1.0f32, 1.5, 2.0]
                            .iter()
                            .map(|scale| (Some(*scale), format!("{:.0} %", scale * 100.0))),
                    )
                    .collect();
            let sizes: Vec<(Option<f32>, &str)> =
                sizes.iter().map(|(s, l)| (*s, l.as_str())).collect();
            choice_row(ui, w.caption_size, &sizes, &mut sound.caption_size);
        });
}

fn comfort_settings(ui: &mut Ui, settings: &mut ComfortSettings, w: &Words) {
    ui.label(RichText::new(w.comfort_intro).color(theme(ui).muted));
    ui.add_space(10.0);
    egui::Grid::new("comfort")
        .num_columns(2)
        .spacing(Vec2::new(28.0, 16.0))
        .show(ui, |ui| {
            choice_row(
                ui,
                w.snap_turn,
                &[(15.0, "15°"), (30.0, "30°"), (45.0, "45°"), (60.0, "60°")],
                &mut settings.snap_turn_degrees,
            );
            ui.label(RichText::new(w.moving).strong());
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = 14.0;
                for (glide, label) in [(false, w.teleport), (true, w.glide)] {
                    if choice(ui, settings.smooth_locomotion == glide, label) {
                        settings.smooth_locomotion = glide;
                        settings.teleport = !glide;
                    }
                }
            });
            ui.end_row();
            ui.label("");
            ui.checkbox(&mut settings.vignette, w.vignette);
            ui.end_row();
            ui.label(RichText::new(w.posture).strong());
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = 14.0;
                let seated = matches!(settings.posture, Posture::Seated { .. });
                if choice(ui, !seated, w.standing) {
                    settings.posture = Posture::Standing;
                }
                if choice(ui, seated, w.seated) {
                    settings.posture = Posture::Seated { raise: 0.45 };
                }
                if let Posture::Seated { raise } = &mut settings.posture {
                    ui.label(w.seated_raise);
                    ui.add(
                        egui::Slider::new(raise, 0.0..=1.0)
                            .step_by(0.05)
                            .suffix(" m"),
                    );
                }
            });
            ui.end_row();
            choice_row(
                ui,
                w.leading_hand,
                &[
                    (Handedness::Left, w.left_hand),
                    (Handedness::Right, w.right_hand),
                ],
                &mut settings.handedness,
            );
        });
}

fn mine(
    ui: &mut Ui,
    model: &mut Model,
    catalog: &Catalog,
    w: &Words,
    lang: Lang,
    requests: &mut Vec<Request>,
) {
    if let Some((Task::Open, message)) = &model.problem {
        ui.label(RichText::new(format!("{}: {message}", w.problem)).color(theme(ui).bad));
        if ui.button(w.try_again).clicked() {
            model.problem = None;
            requests.push(Request::Refresh);
        }
    }
    if model.applications.is_empty() {
        ui.label(RichText::new(w.nothing_yet).color(theme(ui).muted));
        return;
    }
    let list = model.applications.clone();
    ScrollArea::vertical()
        .id_salt("mine")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for summary in &list {
                application_card(ui, model, summary, catalog, w, lang, requests, false);
                ui.add_space(8.0);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_pin_is_wiped_from_the_panel_and_never_printed() {
        let catalog = Catalog::embedded().expect("the catalog");
        let service = catalog.service("parking-permit").expect("a service");
        let mut panel = WindowPanel::new(&service.id);
        panel.pin.push_str("plaza-pin-1");
        panel.pin_again.push_str("plaza-pin-1");
        assert!(!format!("{panel:?}").contains("plaza-pin-1"));
        let mut model = Model::default();
        let mut requests = Vec::new();
        submit(&mut panel, &mut model, service, true, &mut requests);
        assert_eq!(requests.len(), 2, "an identity, then the application");
        assert!(panel.pin.is_empty() && panel.pin_again.is_empty());
    }
}
