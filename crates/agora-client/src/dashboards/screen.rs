//! What a dashboard's screen says, and how it is drawn.
//!
//! [`describe`] turns a dashboard's feeds into words and numbers (tested without a renderer);
//! [`draw`] paints them, with the axes the 3D charts stand on, into the screen's texture.
//! The charts themselves are meshes in front of the screen ([`super::chart`]); this picture
//! holds everything that is text.

use ab_glyph::FontArc;
use agora_feeds::{Health, Snapshot};
use bevy::math::{Rect, Vec2};
use time::OffsetDateTime;

use super::chart::Scale;
use crate::lang::Lang;
use crate::scene::layout::{ChartKind, ChartSpec, DashboardSpec, TimeZone};
use crate::textures::{Align, Canvas};

/// The screen texture's size in pixels; its aspect is the screen's (3.24 m × 1.96 m), so a
/// pixel is about 2.1 mm, and the smallest text (30 px) is 6 cm tall: legible from 6 m.
pub const SCREEN_PIXELS: [u32; 2] = [1536, 928];

/// The most recent samples a bar chart shows.
pub const BARS: usize = 24;

/// How far back a line chart looks.
pub const LINE_SPAN: time::Duration = time::Duration::hours(24);

/// Rows of the table view per chart.
pub const TABLE_ROWS: usize = 12;

const BACKGROUND: [u8; 4] = [14, 24, 36, 255];
const HEADER: [u8; 4] = [22, 38, 56, 255];
const RULE: [u8; 4] = [64, 156, 214, 255];
const GRID: [u8; 4] = [36, 54, 74, 255];
const TEXT: [u8; 3] = [236, 242, 248];
const MUTED: [u8; 3] = [150, 172, 194];
const WARNING: [u8; 3] = [255, 190, 92];

/// Everything a dashboard's screen says.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenText {
    /// The title, in both languages.
    pub title: String,
    /// Top right: when the numbers were last updated, or since when they are stale.
    pub status: String,
    /// Whether any chart is stale.
    pub stale: bool,
    /// One per chart.
    pub charts: Vec<ChartText>,
    /// The footer's hint: how to see the table.
    pub hint: String,
    /// The footer's hint under the table: how to see the charts again.
    pub table_hint: String,
}

/// What one chart says.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartText {
    /// How it draws.
    pub kind: ChartKind,
    /// The label in English, then Chinese.
    pub label: [String; 2],
    /// The latest value, formatted, or "–" before any.
    pub value: String,
    /// The unit, or empty.
    pub unit: String,
    /// Under the label: nothing while live; "stale since …" or "waiting for data" otherwise.
    pub note: Option<String>,
    /// Value-axis labels: where (0 bottom, 1 top) and what.
    pub ticks: Vec<(f32, String)>,
    /// Time-axis labels: where (0 left, 1 right) and what.
    pub times: Vec<(f32, String)>,
    /// The shown samples placed in the chart: x (0..1 across) and y (0..1 up).
    pub points: Vec<Vec2>,
    /// The table view's rows, newest first: time and value with unit.
    pub rows: Vec<(String, String)>,
    /// Whether its feed is stale.
    pub stale: bool,
}

/// What `spec`'s screen says, given its feeds' snapshots (one per chart).
pub fn describe(
    spec: &DashboardSpec,
    snapshots: &[Snapshot],
    zone: TimeZone,
    lang: Lang,
) -> ScreenText {
    let charts: Vec<ChartText> = spec
        .charts
        .iter()
        .zip(snapshots)
        .map(|(chart, snapshot)| describe_chart(chart, snapshot, zone, lang))
        .collect();
    let stale_since = snapshots.iter().filter_map(|s| match &s.health {
        Health::Stale { since, .. } => Some(*since),
        _ => None,
    });
    let oldest_stale = stale_since.clone().min();
    let updated = snapshots.iter().filter_map(|s| s.updated).max();
    let stale = oldest_stale.is_some();
    let status = match (oldest_stale, updated) {
        (Some(Some(since)), _) => words(lang).stale_since(lang, &clock(since, zone)),
        (Some(None), _) => words(lang).unavailable.to_owned(),
        (None, Some(at)) => words(lang).updated(lang, &clock(at, zone)),
        (None, None) if spec.charts.is_empty() => words(lang).no_charts.to_owned(),
        (None, None) => words(lang).waiting.to_owned(),
    };
    ScreenText {
        title: format!("{}  ·  {}", spec.title.en, spec.title.zh_cn),
        status,
        stale,
        charts,
        hint: words(lang).hint.to_owned(),
        table_hint: words(lang).table_hint.to_owned(),
    }
}

fn describe_chart(chart: &ChartSpec, snapshot: &Snapshot, zone: TimeZone, lang: Lang) -> ChartText {
    let w = words(lang);
    let unit = chart
        .unit
        .as_deref()
        .or(snapshot.unit.as_deref())
        .map(|unit| unit_in(unit, lang))
        .unwrap_or_default();
    let latest = snapshot.latest();
    // The samples this chart shows.
    let shown: Vec<_> = match (chart.kind, latest) {
        (ChartKind::Bars, _) => snapshot
            .samples
            .iter()
            .rev()
            .take(BARS)
            .rev()
            .copied()
            .collect(),
        (ChartKind::Line, Some(last)) => snapshot
            .samples
            .iter()
            .filter(|s| s.time >= last.time - LINE_SPAN)
            .copied()
            .collect(),
        (ChartKind::Gauge, Some(last)) => vec![last],
        (_, None) => Vec::new(),
    };
    let scale = Scale::fit(
        shown.iter().map(|s| s.value),
        chart.range,
        chart.kind == ChartKind::Bars,
    );
    let decimals = decimals_for(scale.step);
    let ticks = match chart.kind {
        ChartKind::Gauge => vec![
            (0.0, format_number(scale.low, decimals)),
            (1.0, format_number(scale.high, decimals)),
        ],
        _ => scale
            .ticks()
            .into_iter()
            .map(|tick| (scale.place(tick), format_number(tick, decimals)))
            .collect(),
    };
    let (points, times) = match chart.kind {
        ChartKind::Gauge => (
            shown
                .iter()
                .map(|s| Vec2::new(0.0, scale.place(s.value)))
                .collect(),
            Vec::new(),
        ),
        ChartKind::Bars => {
            let n = shown.len().max(1) as f32;
            let points = shown
                .iter()
                .enumerate()
                .map(|(i, s)| Vec2::new((i as f32 + 0.5) / n, scale.place(s.value)))
                .collect();
            let format = axis_format(&shown);
            let times = [0, shown.len() / 2, shown.len().saturating_sub(1)]
                .into_iter()
                .filter_map(|i| {
                    shown
                        .get(i)
                        .map(|s| ((i as f32 + 0.5) / n, stamp(s.time, zone, format)))
                })
                .collect::<Vec<_>>();
            (points, dedup(times))
        }
        ChartKind::Line => {
            let (first, last) = match (shown.first(), shown.last()) {
                (Some(f), Some(l)) => (f.time, l.time),
                _ => (OffsetDateTime::UNIX_EPOCH, OffsetDateTime::UNIX_EPOCH),
            };
            let span = (last - first).as_seconds_f64().max(1.0);
            let x = |t: OffsetDateTime| ((t - first).as_seconds_f64() / span) as f32;
            let points = shown
                .iter()
                .map(|s| Vec2::new(x(s.time), scale.place(s.value)))
                .collect();
            let format = axis_format(&shown);
            let times = if shown.len() < 2 {
                Vec::new()
            } else {
                (0..=4)
                    .map(|i| {
                        let t = first + (last - first) * (i as f64 / 4.0);
                        (x(t), stamp(t, zone, format))
                    })
                    .collect()
            };
            (points, times)
        }
    };
    let recent: Vec<_> = snapshot.samples.iter().rev().take(TABLE_ROWS).collect();
    // One number of decimals down the column, so that the digits line up.
    let table_decimals = recent
        .iter()
        .map(|s| {
            format_value(s.value)
                .split_once('.')
                .map_or(0, |(_, fraction)| fraction.len())
        })
        .max()
        .unwrap_or(0);
    let rows = recent
        .iter()
        .map(|s| {
            (
                stamp(s.time, zone, "%m-%d %H:%M"),
                format!("{} {unit}", format_number(s.value, table_decimals))
                    .trim_end()
                    .to_owned(),
            )
        })
        .collect();
    let note = match &snapshot.health {
        Health::Live => None,
        Health::Waiting => Some(w.waiting.to_owned()),
        Health::Stale {
            since: Some(since), ..
        } => Some(w.stale_since(lang, &clock(*since, zone))),
        Health::Stale { since: None, .. } => Some(w.unavailable.to_owned()),
    };
    ChartText {
        kind: chart.kind,
        label: [chart.label.en.clone(), chart.label.zh_cn.clone()],
        value: latest.map_or_else(|| "–".to_owned(), |s| format_value(s.value)),
        unit,
        note,
        ticks,
        times,
        points,
        rows,
        stale: matches!(snapshot.health, Health::Stale { .. }),
    }
}

fn dedup(mut times: Vec<(f32, String)>) -> Vec<(f32, String)> {
    times.dedup_by(|a, b| a.0 == b.0);
    times
}

/// Whether samples span more than two days (then the axis shows dates, not clock times).
fn span_is_long(samples: &[agora_feeds::Sample]) -> bool {
    match (samples.first(), samples.last()) {
        (Some(first), Some(last)) => last.time - first.time > time::Duration::days(2),
        _ => false,
    }
}

/// `14:05` in the city's time zone.
pub fn clock(at: OffsetDateTime, zone: TimeZone) -> String {
    local(at, zone).format("%H:%M").to_string()
}

/// `2026-11-24 14:05 +08:00`: a full local time, for the operator's check.
pub fn clock_and_date(at: OffsetDateTime, zone: TimeZone) -> String {
    stamp(at, zone, "%Y-%m-%d %H:%M:%S %:z")
}

/// `at` in the city's time zone, written with the `chrono` `format`.
fn stamp(at: OffsetDateTime, zone: TimeZone, format: &str) -> String {
    local(at, zone).format(format).to_string()
}

/// The time axis' format: dates for spans over two days, clock times otherwise.
fn axis_format(samples: &[agora_feeds::Sample]) -> &'static str {
    if span_is_long(samples) {
        "%m-%d"
    } else {
        "%H:%M"
    }
}

fn local(at: OffsetDateTime, zone: TimeZone) -> chrono::DateTime<chrono_tz::Tz> {
    use chrono::TimeZone as _;
    zone.0
        .timestamp_opt(at.unix_timestamp(), 0)
        .single()
        .unwrap_or_else(|| {
            zone.0
                .timestamp_opt(0, 0)
                .single()
                .expect("the epoch exists in every zone")
        })
}

/// Decimals that tell apart values `step` apart.
fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || !step.is_finite() || step <= 0.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    }
}

/// A reading as a citizen reads it: whole numbers from 100 up, at most one decimal from 10 up,
/// at most two below; no trailing zeros (`2,665`, `42.5`, `0.75`).
pub fn format_value(value: f64) -> String {
    let decimals = match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    };
    let text = format_number(value, decimals);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// The units a feed may give that a language writes its own way, and their messages in the
/// client's Fluent files.
pub const UNIT_MESSAGES: [(&str, &str); 7] = [
    ("veh/h", "unit-veh-per-h"),
    ("vehicles/h", "unit-vehicles-per-h"),
    ("/h", "unit-per-h"),
    ("incidents", "unit-incidents"),
    ("min", "unit-min"),
    ("minutes", "unit-minutes"),
    ("permits", "unit-permits"),
];

/// `unit` as `lang` writes it: the words the built-in city and the shipped scene use have a
/// message in each language; symbols (µg/m³, km/h, AQI) and any other unit are shown as written.
pub fn unit_in(unit: &str, lang: Lang) -> String {
    UNIT_MESSAGES
        .iter()
        .find(|(written, _)| *written == unit)
        .map_or_else(|| unit.to_owned(), |(_, id)| crate::lang::text(lang, id))
}

/// `1,234.5`-style numbers: thousands grouped, `decimals` places.
pub fn format_number(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

words!(
    /// The words a dashboard paints: the messages `dashboard-*` of the client's Fluent files.
    Words,
    "dashboard",
    [waiting, unavailable, no_charts, hint, table_hint, table_time, table_value]
);

impl Words {
    fn updated(&self, lang: Lang, at: &str) -> String {
        crate::lang::format(lang, "dashboard-updated", &[("time", at)])
    }
    fn stale_since(&self, lang: Lang, at: &str) -> String {
        crate::lang::format(lang, "dashboard-stale-since", &[("time", at)])
    }
}

fn words(lang: Lang) -> &'static Words {
    Words::get(lang)
}

/// Where chart `index` of `count` has its plotting area on the screen, in pixels.
pub fn chart_area(kind: ChartKind, index: usize, count: usize) -> Rect {
    let [width, _] = SCREEN_PIXELS.map(|v| v as f32);
    let column = width / count.max(1) as f32;
    let left = column * index as f32;
    match kind {
        ChartKind::Gauge => {
            let side = (column - 120.0).min(470.0);
            let centre = Vec2::new(left + column / 2.0, 300.0 + side / 2.0);
            Rect::from_center_size(centre, Vec2::splat(side))
        }
        _ => Rect::new(left + 130.0, 330.0, left + column - 50.0, 800.0),
    }
}

/// The screen's picture: title, status, each chart's label, value, axes and times, or, when
/// `table` is set, every chart's recent numbers as a table.
pub fn draw(
    text: &ScreenText,
    regular: &FontArc,
    bold: &FontArc,
    table: bool,
    lang: Lang,
) -> Canvas {
    let [width, height] = SCREEN_PIXELS;
    let (w, h) = (width as f32, height as f32);
    let mut canvas = Canvas::new(width, height, BACKGROUND);
    canvas.fill_rect(0, 0, width as i32, 118, HEADER);
    canvas.fill_rect(0, 114, width as i32, 4, RULE);
    let status_width = canvas.text(
        regular,
        36.0,
        &text.status,
        w - 40.0,
        40.0,
        w * 0.42,
        Align::Right,
        if text.stale { WARNING } else { MUTED },
    );
    canvas.text(
        bold,
        60.0,
        &text.title,
        40.0,
        24.0,
        w - status_width - 110.0,
        Align::Left,
        TEXT,
    );
    canvas.text(
        regular,
        30.0,
        if table { &text.table_hint } else { &text.hint },
        w / 2.0,
        h - 52.0,
        w - 80.0,
        Align::Centre,
        MUTED,
    );
    let count = text.charts.len();
    let column = w / count.max(1) as f32;
    for (i, chart) in text.charts.iter().enumerate() {
        let left = column * i as f32;
        if i > 0 {
            canvas.fill_rect(left as i32, 150, 2, (h - 240.0) as i32, GRID);
        }
        let centre = left + column / 2.0;
        canvas.text(
            bold,
            44.0,
            &chart.label[0],
            centre,
            140.0,
            column - 60.0,
            Align::Centre,
            TEXT,
        );
        canvas.text(
            regular,
            36.0,
            &chart.label[1],
            centre,
            192.0,
            column - 60.0,
            Align::Centre,
            MUTED,
        );
        if let Some(note) = &chart.note {
            canvas.text(
                regular,
                30.0,
                note,
                centre,
                240.0,
                column - 60.0,
                Align::Centre,
                WARNING,
            );
        }
        if table {
            // Narrow enough that the eye follows a row from its time to its value.
            let width = (column - 80.0).min(640.0);
            draw_table(
                &mut canvas,
                regular,
                chart,
                centre - width / 2.0,
                width,
                lang,
            );
            continue;
        }
        let area = chart_area(chart.kind, i, count);
        match chart.kind {
            ChartKind::Gauge => {
                let value_top = area.center().y - 70.0;
                canvas.text(
                    bold,
                    110.0,
                    &chart.value,
                    area.center().x,
                    value_top,
                    area.width() * 0.55,
                    Align::Centre,
                    TEXT,
                );
                canvas.text(
                    regular,
                    38.0,
                    &chart.unit,
                    area.center().x,
                    value_top + 130.0,
                    area.width() * 0.5,
                    Align::Centre,
                    MUTED,
                );
                // The ends of the scale, under the ends of the arc.
                let radius = area.width() / 2.0;
                let foot = area.center().y + radius * 0.78;
                for ((_, label), x) in chart.ticks.iter().zip([
                    area.center().x - radius * 0.7,
                    area.center().x + radius * 0.7,
                ]) {
                    canvas.text(regular, 32.0, label, x, foot, 160.0, Align::Centre, MUTED);
                }
            }
            ChartKind::Line | ChartKind::Bars => {
                canvas.text(
                    bold,
                    48.0,
                    format!("{} {}", chart.value, chart.unit).trim_end(),
                    centre,
                    272.0,
                    column - 60.0,
                    Align::Centre,
                    TEXT,
                );
                for (at, label) in &chart.ticks {
                    let y = area.max.y - at * area.height();
                    canvas.fill_rect(area.min.x as i32, y as i32, area.width() as i32, 2, GRID);
                    canvas.text(
                        regular,
                        28.0,
                        label,
                        area.min.x - 14.0,
                        y - 17.0,
                        110.0,
                        Align::Right,
                        MUTED,
                    );
                }
                canvas.fill_rect(
                    area.min.x as i32,
                    area.max.y as i32,
                    area.width() as i32,
                    3,
                    RULE,
                );
                for (at, label) in &chart.times {
                    let x = area.min.x + at * area.width();
                    canvas.fill_rect(x as i32, area.max.y as i32, 2, 12, RULE);
                    let align = if *at < 0.05 {
                        Align::Left
                    } else if *at > 0.95 {
                        Align::Right
                    } else {
                        Align::Centre
                    };
                    canvas.text(
                        regular,
                        28.0,
                        label,
                        x,
                        area.max.y + 14.0,
                        180.0,
                        align,
                        MUTED,
                    );
                }
            }
        }
    }
    canvas
}

fn draw_table(
    canvas: &mut Canvas,
    font: &FontArc,
    chart: &ChartText,
    left: f32,
    width: f32,
    lang: Lang,
) {
    let w = words(lang);
    let top = 290.0;
    canvas.text(
        font,
        30.0,
        w.table_time,
        left,
        top,
        width / 2.0,
        Align::Left,
        MUTED,
    );
    canvas.text(
        font,
        30.0,
        w.table_value,
        left + width,
        top,
        width / 2.0,
        Align::Right,
        MUTED,
    );
    canvas.fill_rect(left as i32, (top + 40.0) as i32, width as i32, 2, RULE);
    for (row, (time, value)) in chart.rows.iter().enumerate() {
        let y = top + 52.0 + row as f32 * 42.0;
        if y > 820.0 {
            break;
        }
        canvas.text(font, 34.0, time, left, y, width * 0.55, Align::Left, TEXT);
        canvas.text(
            font,
            34.0,
            value,
            left + width,
            y,
            width * 0.45,
            Align::Right,
            TEXT,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_citizen_reads_them() {
        for (value, text) in [
            (2665.25, "2,665"),
            (1_234_567.0, "1,234,567"),
            (42.5, "42.5"),
            (42.0, "42"),
            (17.26, "17.3"),
            (0.75, "0.75"),
            (-3.5, "-3.5"),
            (-0.001, "0"),
        ] {
            assert_eq!(format_value(value), text, "{value}");
        }
        assert_eq!(format_number(2500.0, 1), "2,500.0");
    }

    #[test]
    fn unit_words_are_written_in_the_interfaces_language_and_symbols_stay() {
        assert_eq!(unit_in("incidents", Lang::ZhCn), "起");
        assert_eq!(unit_in("veh/h", Lang::ZhCn), "辆/小时");
        assert_eq!(unit_in("min", Lang::ZhCn), "分钟");
        assert_eq!(unit_in("incidents", Lang::En), "incidents");
        for symbol in ["µg/m³", "AQI", "km/h", "°C", "beds"] {
            assert_eq!(unit_in(symbol, Lang::ZhCn), symbol);
        }
        // The screens' font can write every Chinese unit.
        let font = crate::textures::embedded_font(crate::textures::REGULAR_FONT);
        for unit in ["veh/h", "/h", "incidents", "min", "permits"] {
            let zh = unit_in(unit, Lang::ZhCn);
            assert!(
                crate::textures::missing_glyphs(&font, &zh).is_empty(),
                "{zh}"
            );
        }
    }
}
