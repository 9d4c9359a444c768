//! The plaza layout file (`scenes/*.ron`): what it may contain, and how a bad file is reported.
//!
//! A layout is plain data that a city operator edits: where each service window and each
//! dashboard stands. This module parses and checks it without Bevy, so that `agora` can refuse
//! a bad file (exit status 2) before a window opens, and so that tests need no renderer.
//!
//! Coordinates are metres on the ground plane, centred on the plaza: `x` grows towards the east,
//! `z` towards the south. `facing` is the compass heading, in degrees, that the front of a booth
//! or a screen looks towards: 0 is north, 90 east, 180 south, 270 west.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

/// The plaza layout shipped with Agora, used when no `--scene` is given.
pub const EMBEDDED_PLAZA: &str = include_str!("../../../../scenes/plaza.ron");

/// Ground footprint of a service-window booth, in metres (width along its front, depth).
pub const BOOTH_FOOTPRINT: [f32; 2] = [3.6, 2.4];

/// Ground footprint of a dashboard stand, in metres (width of its screen, depth of its base).
pub const DASHBOARD_FOOTPRINT: [f32; 2] = [3.4, 1.0];

/// Smallest plaza a layout may describe, in metres from the centre to an edge.
const MIN_HALF_EXTENT: f32 = 8.0;

/// Largest plaza a layout may describe; beyond this the surrounding city is not drawn.
const MAX_HALF_EXTENT: f32 = 200.0;

/// Clear space a citizen needs around the spawn point, in metres.
const SPAWN_CLEARANCE: f32 = 1.5;

/// A whole plaza: its extent, where a citizen arrives, and what stands on it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "plaza")]
pub struct PlazaLayout {
    /// The plaza's name, shown to citizens.
    pub name: Bilingual,
    /// The walkable area, centred on the origin.
    pub bounds: Bounds,
    /// Where a citizen arrives, and which way they look.
    pub spawn: Placement,
    /// An optional round fountain, the plaza's landmark; citizens walk around it.
    #[serde(default)]
    pub fountain: Option<Fountain>,
    /// One booth per public service.
    pub windows: Vec<WindowSpec>,
    /// Stands for live city data.
    pub dashboards: Vec<DashboardSpec>,
    /// The city's IANA time zone, in which dashboards show their times.
    #[serde(default = "default_time_zone")]
    pub time_zone: TimeZone,
}

/// The zone of the shipped service catalog.
fn default_time_zone() -> TimeZone {
    TimeZone(chrono_tz::Asia::Shanghai)
}

/// An IANA time zone written by name in the layout file, e.g. `"Europe/Berlin"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl Default for TimeZone {
    /// The shipped plaza's.
    fn default() -> Self {
        default_time_zone()
    }
}

impl TimeZone {
    /// `at` as a clock in this zone shows it.
    pub fn local(self, at: time::OffsetDateTime) -> chrono::DateTime<chrono_tz::Tz> {
        use chrono::TimeZone as _;
        self.0
            .timestamp_opt(at.unix_timestamp(), 0)
            .single()
            .unwrap_or_else(|| {
                self.0
                    .timestamp_opt(0, 0)
                    .single()
                    .expect("the epoch exists in every zone")
            })
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map(TimeZone).map_err(|_| {
            serde::de::Error::custom(format!(
                "time zone {text:?} is not an IANA time zone name (for example \"Europe/Berlin\")"
            ))
        })
    }
}

/// A text in English and Simplified Chinese; signs in the plaza show both.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "text")]
pub struct Bilingual {
    /// English.
    pub en: String,
    /// Simplified Chinese (zh-CN).
    pub zh_cn: String,
}

/// The walkable rectangle, in metres from the centre to each edge.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "bounds")]
pub struct Bounds {
    /// Distance from the centre to the east and west edges.
    pub half_width: f32,
    /// Distance from the centre to the north and south edges.
    pub half_depth: f32,
}

impl Bounds {
    /// Whether a circle of `radius` around `point` lies wholly inside the plaza.
    pub fn contains(&self, point: GroundPoint, radius: f32) -> bool {
        point.x.abs() + radius <= self.half_width && point.z.abs() + radius <= self.half_depth
    }
}

/// A point on the ground plane, in metres.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "position")]
pub struct GroundPoint {
    /// East (+) or west (−) of the centre.
    pub x: f32,
    /// South (+) or north (−) of the centre.
    pub z: f32,
}

/// A position with a compass heading.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "placement")]
pub struct Placement {
    /// Where on the ground.
    pub position: GroundPoint,
    /// Compass heading in degrees: 0 north, 90 east, 180 south, 270 west.
    pub facing: f32,
}

/// A round fountain basin.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "fountain")]
pub struct Fountain {
    /// The centre of the basin.
    pub position: GroundPoint,
    /// The outer radius of the basin, in metres.
    pub radius: f32,
}

/// A booth where citizens apply for one public service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "window")]
pub struct WindowSpec {
    /// The service's id in the service catalog (lowercase letters, digits and hyphens).
    pub service: String,
    /// Where the booth stands.
    pub position: GroundPoint,
    /// Which way its counter faces.
    pub facing: f32,
    /// The department's colour, as `#rrggbb`.
    pub accent: Accent,
    /// The text on the sign above the counter.
    pub sign: Bilingual,
}

/// A stand showing one live dashboard of city data.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "dashboard")]
pub struct DashboardSpec {
    /// The dashboard's id (lowercase letters, digits and hyphens).
    pub id: String,
    /// Where the stand is.
    pub position: GroundPoint,
    /// Which way its screen faces.
    pub facing: f32,
    /// The heading shown on the screen.
    pub title: Bilingual,
    /// What the screen shows, side by side (one to three charts).
    #[serde(default)]
    pub charts: Vec<ChartSpec>,
}

/// Most charts a dashboard screen holds legibly.
pub const MAX_CHARTS: usize = 3;

/// One chart on a dashboard: a label, how it draws, and where its numbers come from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "chart")]
pub struct ChartSpec {
    /// What the numbers are, e.g. "Vehicles per hour".
    pub label: Bilingual,
    /// How the chart draws them.
    pub kind: ChartKind,
    /// The unit shown with the values; the source's own unit when left out.
    #[serde(default)]
    pub unit: Option<String>,
    /// A fixed scale `(low, high)`; gauges need one, line and bar charts fit their data when
    /// it is left out.
    #[serde(default)]
    pub range: Option<(f64, f64)>,
    /// Where the values come from: `Simulated(metric: …)`, `Http(url: …, value: …)` or
    /// `SensorThings(datastream: …)`.
    pub source: agora_feeds::Source,
}

/// How a chart draws its feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ChartKind {
    /// The history as a line over time, with the area below it filled.
    Line,
    /// The most recent samples as bars, one per sample.
    Bars,
    /// The latest value on an arc between the range's ends.
    Gauge,
}

/// An sRGB colour written as `#rrggbb` in the layout file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accent(pub [u8; 3]);

impl<'de> Deserialize<'de> for Accent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_hex_colour(&text).map(Accent).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "accent colour {text:?} is not of the form \"#rrggbb\" (for example \"#1f6fd1\")"
            ))
        })
    }
}

fn parse_hex_colour(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// A layout file that cannot be used, with everything an operator needs to fix it.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// The file could not be read at all.
    #[error("cannot read the scene file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The file is not a well-formed layout (bad syntax, a missing or unknown field, a wrong type).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong, naming the field.
        message: String,
    },
    /// The file parses, but what it describes cannot be built.
    #[error("{}: {}", path.display(), ProblemList(problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found, each naming its field.
        problems: Vec<Problem>,
    },
}

/// One thing wrong in an otherwise well-formed layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The path of the field, for example `windows[2].position`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [only] = self.0 {
            return write!(f, "{}: {}", only.field, only.message);
        }
        write!(f, "{} problems", self.0.len())?;
        for problem in self.0 {
            write!(f, "\n  {}: {}", problem.field, problem.message)?;
        }
        Ok(())
    }
}

impl PlazaLayout {
    /// Reads and checks the layout file at `path`.
    pub fn load(path: &Path) -> Result<Self, LayoutError> {
        let text = std::fs::read_to_string(path).map_err(|source| LayoutError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// The layout shipped with Agora.
    pub fn embedded() -> Result<Self, LayoutError> {
        Self::parse(EMBEDDED_PLAZA, Path::new("<embedded>/scenes/plaza.ron"))
    }

    /// Parses and checks layout `text`; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, LayoutError> {
        let layout: PlazaLayout = ron::from_str(text).map_err(|error| {
            let (line, column) = (error.span.start.line, error.span.start.col);
            let mut message = error.code.to_string();
            // ron names the field for missing and unknown fields, but not for a value of the
            // wrong type; the field is then the last one named before the position.
            if let Some(field) = field_before(text, line, column)
                && !message.contains(&format!("`{field}`"))
            {
                message = format!("field `{field}`: {message}");
            }
            LayoutError::Syntax {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        })?;
        let problems = layout.problems();
        if problems.is_empty() {
            Ok(layout)
        } else {
            Err(LayoutError::Invalid {
                path: path.to_owned(),
                problems,
            })
        }
    }

    /// Everything that would make this layout unbuildable or unusable.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut report = |field: String, message: String| problems.push(Problem { field, message });

        let bounds = self.bounds;
        for (field, value) in [
            ("bounds.half_width", bounds.half_width),
            ("bounds.half_depth", bounds.half_depth),
        ] {
            if !(MIN_HALF_EXTENT..=MAX_HALF_EXTENT).contains(&value) {
                report(
                    field.into(),
                    format!("{value} m is outside {MIN_HALF_EXTENT}..={MAX_HALF_EXTENT} m"),
                );
            }
        }
        check_text(&mut report, "name", &self.name);
        check_placement(&mut report, "spawn", &self.spawn, bounds, SPAWN_CLEARANCE);

        if self.windows.is_empty() {
            report(
                "windows".into(),
                "the plaza has no service windows; add at least one".into(),
            );
        }

        // Everything that stands on the plaza, for the overlap check below: (field, where, radius).
        let mut standing: Vec<(String, Placement, f32)> = Vec::new();
        for (i, window) in self.windows.iter().enumerate() {
            let field = format!("windows[{i}]");
            check_id(&mut report, &format!("{field}.service"), &window.service);
            if let Some(first) = self.windows[..i]
                .iter()
                .position(|w| w.service == window.service)
            {
                report(
                    format!("{field}.service"),
                    format!(
                        "service {:?} already has a window at windows[{first}]",
                        window.service
                    ),
                );
            }
            check_text(&mut report, &format!("{field}.sign"), &window.sign);
            let placement = Placement {
                position: window.position,
                facing: window.facing,
            };
            let radius = footprint_radius(BOOTH_FOOTPRINT);
            check_placement(&mut report, &field, &placement, bounds, radius);
            standing.push((field, placement, radius));
        }
        for (i, dashboard) in self.dashboards.iter().enumerate() {
            let field = format!("dashboards[{i}]");
            check_id(&mut report, &format!("{field}.id"), &dashboard.id);
            if let Some(first) = self.dashboards[..i]
                .iter()
                .position(|d| d.id == dashboard.id)
            {
                report(
                    format!("{field}.id"),
                    format!(
                        "dashboard id {:?} is already used by dashboards[{first}]",
                        dashboard.id
                    ),
                );
            }
            check_text(&mut report, &format!("{field}.title"), &dashboard.title);
            if dashboard.charts.len() > MAX_CHARTS {
                report(
                    format!("{field}.charts"),
                    format!(
                        "{} charts do not fit on one screen (at most {MAX_CHARTS})",
                        dashboard.charts.len()
                    ),
                );
            }
            for (c, chart) in dashboard.charts.iter().enumerate() {
                check_chart(&mut report, &format!("{field}.charts[{c}]"), chart);
            }
            let placement = Placement {
                position: dashboard.position,
                facing: dashboard.facing,
            };
            let radius = footprint_radius(DASHBOARD_FOOTPRINT);
            check_placement(&mut report, &field, &placement, bounds, radius);
            standing.push((field, placement, radius));
        }

        if let Some(fountain) = self.fountain {
            let field = "fountain".to_string();
            if !(1.0..=12.0).contains(&fountain.radius) {
                report(
                    format!("{field}.radius"),
                    format!("{} m is outside 1..=12 m", fountain.radius),
                );
            }
            let placement = Placement {
                position: fountain.position,
                facing: 0.0,
            };
            check_placement(&mut report, &field, &placement, bounds, fountain.radius);
            standing.push((field, placement, fountain.radius));
        }

        // Conservative overlap check on bounding circles: things this close would block
        // each other's fronts even when their footprints do not quite touch.
        for (i, (field, a, ra)) in standing.iter().enumerate() {
            for (other, b, rb) in &standing[..i] {
                let gap = distance(a.position, b.position) - ra - rb;
                if gap < 0.0 {
                    report(
                        format!("{field}.position"),
                        format!(
                            "stands on top of {other} (move them {:.1} m further apart)",
                            -gap
                        ),
                    );
                }
            }
            let to_spawn = distance(a.position, self.spawn.position) - ra - SPAWN_CLEARANCE;
            if to_spawn < 0.0 {
                report(
                    format!("{field}.position"),
                    "blocks the spawn point, where citizens arrive".into(),
                );
            }
        }
        problems
    }
}

/// The last `name:` on `line` (1-based) before `column`, if any.
fn field_before(text: &str, line: usize, column: usize) -> Option<&str> {
    let row = text.lines().nth(line.checked_sub(1)?)?;
    let before = row.get(..column.saturating_sub(1).min(row.len()))?;
    let colon = before
        .trim_end()
        .strip_suffix(':')
        .map(str::len)
        .or_else(|| before.rfind(':'))?;
    let name = before[..colon].trim_end();
    let start = name
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &name[start..];
    (!name.is_empty()).then_some(name)
}

/// Radius of the circle around a footprint's centre that covers it.
pub fn footprint_radius([width, depth]: [f32; 2]) -> f32 {
    0.5 * width.hypot(depth)
}

fn distance(a: GroundPoint, b: GroundPoint) -> f32 {
    (a.x - b.x).hypot(a.z - b.z)
}

fn check_id(report: &mut impl FnMut(String, String), field: &str, id: &str) {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        report(
            field.into(),
            format!("{id:?} must be 1 to 64 lowercase letters, digits or hyphens"),
        );
    }
}

fn check_text(report: &mut impl FnMut(String, String), field: &str, text: &Bilingual) {
    for (lang, value) in [("en", &text.en), ("zh_cn", &text.zh_cn)] {
        if value.trim().is_empty() {
            report(format!("{field}.{lang}"), "must not be empty".into());
        } else if value.chars().count() > 40 {
            report(
                format!("{field}.{lang}"),
                format!("{value:?} is too long for a sign (at most 40 characters)"),
            );
        }
    }
}

fn check_chart(report: &mut impl FnMut(String, String), field: &str, chart: &ChartSpec) {
    check_text(report, &format!("{field}.label"), &chart.label);
    match chart.range {
        Some((low, high)) if !(low.is_finite() && high.is_finite() && low < high) => report(
            format!("{field}.range"),
            format!("({low}, {high}) must be two finite numbers, the low one first"),
        ),
        None if chart.kind == ChartKind::Gauge => report(
            format!("{field}.range"),
            "a gauge needs a range, e.g. range: Some((0, 300))".into(),
        ),
        _ => {}
    }
    if let Err(problem) = chart.source.check() {
        report(format!("{field}.source"), problem);
    }
}

fn check_placement(
    report: &mut impl FnMut(String, String),
    field: &str,
    placement: &Placement,
    bounds: Bounds,
    radius: f32,
) {
    let GroundPoint { x, z } = placement.position;
    if !(x.is_finite() && z.is_finite()) {
        report(format!("{field}.position"), "must be finite numbers".into());
    } else if !bounds.contains(placement.position, radius) {
        report(
            format!("{field}.position"),
            format!(
                "(x: {x}, z: {z}) with {radius:.1} m around it does not fit inside the plaza \
                 (x within ±{}, z within ±{})",
                bounds.half_width, bounds.half_depth
            ),
        );
    }
    if !placement.facing.is_finite() {
        report(
            format!("{field}.facing"),
            "must be a compass heading in degrees".into(),
        );
    }
}
