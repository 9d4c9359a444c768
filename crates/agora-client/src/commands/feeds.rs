//! `agora feeds check`: the operator's tool for a new feed.
//!
//! It starts the same feeds hub the plaza runs, waits until every feed has answered once (with
//! values or an error), and prints one line per chart. Nothing about a feed is special-cased
//! here, so what it prints is what the dashboards will show.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use agora_feeds::{FeedConfig, Feeds, Health, Options, Snapshot};

use super::CommandError;
use crate::dashboards::screen::{clock_and_date, format_value};
use crate::scene::layout::PlazaLayout;

/// Longest wait for the slowest feed; each request has its own, shorter limit.
const PATIENCE: Duration = Duration::from_secs(30);

/// Fetches every feed of the scene at `scene` (the built-in plaza when absent) once and
/// prints each value with its unit and time, or the error. Exit status 1 when any feed failed.
pub fn check(scene: Option<&Path>) -> Result<String, CommandError> {
    let layout = match scene {
        Some(path) => PlazaLayout::load(path),
        None => PlazaLayout::embedded(),
    }
    .map_err(|error| CommandError::input(error.to_string()))?;
    let mut names = Vec::new();
    let mut configs = Vec::new();
    for dashboard in &layout.dashboards {
        for chart in &dashboard.charts {
            names.push(format!(
                "{} / {} ({})",
                dashboard.id,
                chart.label.en,
                source_name(&chart.source)
            ));
            configs.push(FeedConfig {
                name: format!("{}/{}", dashboard.id, chart.label.en),
                source: chart.source.clone(),
                unit: chart.unit.clone(),
            });
        }
    }
    if configs.is_empty() {
        return Ok("The scene configures no feeds: no dashboard has charts.\n".to_owned());
    }
    let answers = first_answers(configs, PATIENCE);
    let mut report = String::new();
    let mut failed = 0;
    for (name, answer) in names.iter().zip(answers) {
        let line = match answer {
            Some(snapshot) => match (&snapshot.health, snapshot.latest()) {
                (Health::Live, Some(latest)) => format!(
                    "ok      {name}: {} at {} ({} values)",
                    format!(
                        "{} {}",
                        format_value(latest.value),
                        snapshot.unit.as_deref().unwrap_or("")
                    )
                    .trim_end(),
                    clock_and_date(latest.time, layout.time_zone),
                    snapshot.samples.len()
                ),
                (Health::Live, None) => format!("ok      {name}: answered, but with no values yet"),
                (Health::Stale { error, .. }, _) => {
                    failed += 1;
                    format!("FAILED  {name}: {error}")
                }
                (Health::Waiting, _) => no_answer(&mut failed, name),
            },
            None => no_answer(&mut failed, name),
        };
        let _ = writeln!(report, "{line}");
    }
    if failed > 0 {
        Err(CommandError::negative(format!(
            "{report}{failed} of {} feeds failed.",
            names.len()
        )))
    } else {
        Ok(report)
    }
}

/// Where a feed's values come from, in a few words.
fn source_name(source: &agora_feeds::Source) -> String {
    match source {
        agora_feeds::Source::Simulated { metric, .. } => format!("simulated {metric:?}"),
        agora_feeds::Source::Http { url, .. } => url.clone(),
        agora_feeds::Source::SensorThings { datastream, .. } => datastream.clone(),
    }
}

fn no_answer(failed: &mut usize, name: &str) -> String {
    *failed += 1;
    format!("FAILED  {name}: no answer within {} s", PATIENCE.as_secs())
}

/// Runs `configs` until each has answered once or `patience` is over; the first answer of each.
pub fn first_answers(configs: Vec<FeedConfig>, patience: Duration) -> Vec<Option<Snapshot>> {
    let count = configs.len();
    let feeds = Feeds::start(configs, Options::default());
    let mut answers: Vec<Option<Snapshot>> = vec![None; count];
    let deadline = Instant::now() + patience;
    while answers.iter().any(Option::is_none) && Instant::now() < deadline {
        for (index, snapshot) in feeds.poll() {
            if snapshot.health != Health::Waiting
                && let Some(slot) = answers.get_mut(index)
                && slot.is_none()
            {
                *slot = Some(snapshot);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    answers
}
