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
use crate::lang::{Lang, Moment, moment};
use crate::panel::theme::Contrast;
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

/// How a screen is painted: the citizen's contrast (the whole screen) and text size (the table
/// view, the one a citizen reads number by number).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScreenLook {
    /// Standard or high contrast.
    pub contrast: Contrast,
    /// The table's text size, 1.0 to 2.0.
    pub scale: f32,
}

impl Default for ScreenLook {
    fn default() -> Self {
        Self {
            contrast: Contrast::Standard,
            scale: 1.0,
        }
    }
}

/// A screen's colours (RGBA for areas, RGB for text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    /// Behind everything.
    pub background: [u8; 4],
    /// Behind the title and status.
    pub header: [u8; 4],
    /// Under the header, under the table's heads, the axes.
    pub rule: [u8; 4],
    /// Between charts.
    pub grid: [u8; 4],
    /// Titles, values, rows.
    pub text: [u8; 3],
    /// Second lines, units, hints.
    pub muted: [u8; 3],
    /// Stale, unavailable.
    pub warning: [u8; 3],
}

const STANDARD: Palette = Palette {
    background: [14, 24, 36, 255],
    header: [22, 38, 56, 255],
    rule: [64, 156, 214, 255],
    grid: [36, 54, 74, 255],
    text: [236, 242, 248],
    muted: [150, 172, 194],
    warning: [255, 190, 92],
};

const HIGH: Palette = Palette {
    background: [0, 0, 0, 255],
    header: [0, 0, 0, 255],
    rule: [255, 255, 255, 255],
    grid: [140, 140, 140, 255],
    text: [255, 255, 255],
    muted: [224, 224, 224],
    warning: [255, 226, 64],
};

impl ScreenLook {
    /// This look's colours.
    pub fn palette(&self) -> &'static Palette {
        match self.contrast {
            Contrast::Standard => &STANDARD,
            Contrast::High => &HIGH,
        }
    }

    fn size(&self, pixels: f32) -> f32 {
        pixels * self.scale.clamp(1.0, 2.0)
    }
}

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
        (Some(Some(since)), _) => words(lang).stale_since(lang, &clock(since, zone, lang)),
        (Some(None), _) => words(lang).unavailable.to_owned(),
        (None, Some(at)) => words(lang).updated(lang, &clock(at, zone, lang)),
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
                        .map(|s| ((i as f32 + 0.5) / n, moment(lang, s.time, zone, format)))
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
                        (x(t), moment(lang, t, zone, format))
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
                moment(lang, s.time, zone, Moment::DayClock),
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
        } => Some(w.stale_since(lang, &clock(*since, zone, lang))),
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
pub fn clock(at: OffsetDateTime, zone: TimeZone, lang: Lang) -> String {
    moment(lang, at, zone, Moment::Clock)
}

/// `2026-11-24 14:05:00 +08:00`: a full local time with its offset, for the operator's check.
pub fn clock_and_date(at: OffsetDateTime, zone: TimeZone) -> String {
    zone.local(at).format("%Y-%m-%d %H:%M:%S %:z").to_string()
}

/// The time axis' moments: days for spans over two days, clock times otherwise.
fn axis_format(samples: &[agora_feeds::Sample]) -> Moment {
    if span_is_long(samples) {
        Moment::Day
    } else {
        Moment::Clock
    }
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
    look: ScreenLook,
) -> Canvas {
    let p = look.palette();
    let [width, height] = SCREEN_PIXELS;
    let (w, h) = (width as f32, height as f32);
    let mut canvas = Canvas::new(width, height, p.background);
    canvas.fill_rect(0, 0, width as i32, 118, p.header);
    canvas.fill_rect(0, 114, width as i32, 4, p.rule);
    let status_width = canvas.text(
        regular,
        36.0,
        &text.status,
        w - 40.0,
        40.0,
        w * 0.42,
        Align::Right,
        if text.stale { p.warning } else { p.muted },
    );
    canvas.text(
        bold,
        60.0,
        &text.title,
        40.0,
        24.0,
        w - status_width - 110.0,
        Align::Left,
        p.text,
    );
    canvas.text(
        regular,
        30.0,
        if table { &text.table_hint } else { &text.hint },
        w / 2.0,
        h - 52.0,
        w - 80.0,
        Align::Centre,
        p.muted,
    );
    let count = text.charts.len();
    let column = w / count.max(1) as f32;
    for (i, chart) in text.charts.iter().enumerate() {
        let left = column * i as f32;
        if i > 0 {
            canvas.fill_rect(left as i32, 150, 2, (h - 240.0) as i32, p.grid);
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
            p.text,
        );
        canvas.text(
            regular,
            36.0,
            &chart.label[1],
            centre,
            192.0,
            column - 60.0,
            Align::Centre,
            p.muted,
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
                p.warning,
            );
        }
        if table {
            // Narrow enough that the eye follows a row from its time to its value; wider for
            // larger text, up to the column.
            let width = (column - 80.0).min(look.size(640.0));
            draw_table(
                &mut canvas,
                regular,
                chart,
                centre - width / 2.0,
                width,
                lang,
                look,
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
                    p.text,
                );
                canvas.text(
                    regular,
                    38.0,
                    &chart.unit,
                    area.center().x,
                    value_top + 130.0,
                    area.width() * 0.5,
                    Align::Centre,
                    p.muted,
                );
                // The ends of the scale, under the ends of the arc.
                let radius = area.width() / 2.0;
                let foot = area.center().y + radius * 0.78;
                for ((_, label), x) in chart.ticks.iter().zip([
                    area.center().x - radius * 0.7,
                    area.center().x + radius * 0.7,
                ]) {
                    canvas.text(regular, 32.0, label, x, foot, 160.0, Align::Centre, p.muted);
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
                    p.text,
                );
                for (at, label) in &chart.ticks {
                    let y = area.max.y - at * area.height();
                    canvas.fill_rect(area.min.x as i32, y as i32, area.width() as i32, 2, p.grid);
                    canvas.text(
                        regular,
                        28.0,
                        label,
                        area.min.x - 14.0,
                        y - 17.0,
                        110.0,
                        Align::Right,
                        p.muted,
                    );
                }
                canvas.fill_rect(
                    area.min.x as i32,
                    area.max.y as i32,
                    area.width() as i32,
                    3,
                    p.rule,
                );
                for (at, label) in &chart.times {
                    let x = area.min.x + at * area.width();
                    canvas.fill_rect(x as i32, area.max.y as i32, 2, 12, p.rule);
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
                        p.muted,
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
    look: ScreenLook,
) {
    let p = look.palette();
    let w = words(lang);
    let top = 290.0;
    canvas.text(
        font,
        look.size(30.0),
        w.table_time,
        left,
        top,
        width / 2.0,
        Align::Left,
        p.muted,
    );
    canvas.text(
        font,
        look.size(30.0),
        w.table_value,
        left + width,
        top,
        width / 2.0,
        Align::Right,
        p.muted,
    );
    let head = look.size(40.0);
    canvas.fill_rect(left as i32, (top + head) as i32, width as i32, 2, p.rule);
    // The newest rows first; as many as fit above the hint at this text size.
    let (size, pitch) = (look.size(34.0), look.size(42.0));
    for (row, (time, value)) in chart.rows.iter().enumerate() {
        let y = top + head + 12.0 + row as f32 * pitch;
        if y + size > 860.0 {
            break;
        }
        canvas.text(font, size, time, left, y, width * 0.55, Align::Left, p.text);
        canvas.text(
            font,
            size,
            value,
            left + width,
            y,
            width * 0.45,
            Align::Right,
            p.text,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::panel::theme::contrast as ratio;

    fn rgb(colour: [u8; 4]) -> [u8; 3] {
        [colour[0], colour[1], colour[2]]
    }

    /// A one-chart screen whose table has twelve rows.
    fn one_table() -> ScreenText {
        ScreenText {
            title: "Air quality  ·  空气质量".to_owned(),
            status: "Updated 10:45".to_owned(),
            stale: false,
            charts: vec![ChartText {
                kind: ChartKind::Line,
                label: ["PM2.5".to_owned(), "细颗粒物".to_owned()],
                value: "42.5".to_owned(),
                unit: "µg/m³".to_owned(),
                note: None,
                ticks: Vec::new(),
                times: Vec::new(),
                points: Vec::new(),
                rows: (0..12)
                    .map(|i| (format!("24 Nov 10:{:02}", 45 - i), format!("{i}.5 µg/m³")))
                    .collect(),
                stale: false,
            }],
            hint: String::new(),
            table_hint: "T: charts".to_owned(),
        }
    }

    /// The heights of the runs of pixel rows, between `top` and `bottom`, that hold a pixel
    /// of `ink`: one run per line of text.
    fn lines_of(canvas: &Canvas, ink: [u8; 3], top: u32, bottom: u32) -> Vec<u32> {
        let mut runs = Vec::new();
        let mut run = 0;
        for y in top..bottom {
            // A glyph's inside is the ink itself; its antialiased edge is not counted.
            let inked = (0..canvas.width()).any(|x| {
                let pixel = rgb(canvas.pixel(x, y));
                (0..3).all(|c| pixel[c].abs_diff(ink[c]) <= 8)
            });
            if inked {
                run += 1;
            } else if run > 0 {
                runs.push(run);
                run = 0;
            }
        }
        if run > 0 {
            runs.push(run);
        }
        runs
    }

    #[test]
    fn every_screen_text_meets_aa_on_what_is_behind_it_in_both_contrasts() {
        for contrast in [Contrast::Standard, Contrast::High] {
            let p = ScreenLook {
                contrast,
                scale: 1.0,
            }
            .palette();
            for (what, text) in [("text", p.text), ("muted", p.muted), ("warning", p.warning)] {
                for (behind, area) in [("background", p.background), ("header", p.header)] {
                    let measured = ratio(text, rgb(area));
                    assert!(
                        measured >= 4.5,
                        "{contrast:?}: {what} on the {behind} is {measured:.2}:1"
                    );
                }
            }
        }
        let text = one_table();
        let font = crate::textures::embedded_font(crate::textures::REGULAR_FONT);
        let bold = crate::textures::embedded_font(crate::textures::BOLD_FONT);
        // Measured from the painted pixels too: the table's rows are drawn in the high
        // contrast's white on its black.
        let high = ScreenLook {
            contrast: Contrast::High,
            scale: 1.0,
        };
        let canvas = draw(&text, &font, &bold, true, Lang::En, high);
        assert_eq!(rgb(canvas.pixel(5, 500)), [0, 0, 0]);
        assert_eq!(lines_of(&canvas, [255, 255, 255], 340, 860).len(), 12);
    }

    #[test]
    fn the_table_follows_the_text_size_without_lines_running_into_each_other() {
        let text = one_table();
        let font = crate::textures::embedded_font(crate::textures::REGULAR_FONT);
        let bold = crate::textures::embedded_font(crate::textures::BOLD_FONT);
        let lines = |scale: f32| {
            let look = ScreenLook {
                contrast: Contrast::Standard,
                scale,
            };
            let canvas = draw(&text, &font, &bold, true, Lang::En, look);
            // The rows, under the table's heads and above the hint.
            lines_of(
                &canvas,
                look.palette().text,
                290 + look.size(40.0) as u32 + 4,
                870,
            )
        };
        let (normal, large) = (lines(1.0), lines(2.0));
        assert_eq!(normal.len(), 12, "twelve rows at 100 %: {normal:?}");
        assert!(
            large.len() >= 5 && large.len() < normal.len(),
            "fewer rows at 200 %, and still some: {large:?}"
        );
        let tallest = |runs: &[u32]| runs.iter().copied().max().unwrap_or(0);
        let shortest = |runs: &[u32]| runs.iter().copied().min().unwrap_or(0);
        // Each line twice as tall (a little less where a long row is shrunk to its column),
        // and no two lines merged into one.
        assert!(
            shortest(&large) * 10 >= shortest(&normal) * 17,
            "{normal:?} at 100 %, {large:?} at 200 %"
        );
        assert!(
            tallest(&large) <= tallest(&normal) * 2 + 2,
            "lines ran into each other at 200 %: {large:?}"
        );
    }

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
