//! `agora feeds check`: the operator's tool for a new feed.
//!
//! It fetches every chart's feed once with `agora_feeds::check` (the same fetch the plaza's hub
//! makes, with the same limits) and prints one line per chart.

use std::fmt::Write as _;
use std::path::Path;

use agora_feeds::{FeedConfig, Options};

use super::CommandError;
use crate::dashboards::screen::{clock_and_date, format_value};
use crate::scene::layout::PlazaLayout;

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
    let answers = agora_feeds::check(&configs, &Options::default());
    let mut report = String::new();
    let mut failed = 0;
    for (name, answer) in names.iter().zip(answers) {
        let line = match answer {
            Ok(reading) => format!(
                "ok      {name}: {} at {} ({} values)",
                format!(
                    "{} {}",
                    format_value(reading.latest.value),
                    reading.unit.as_deref().unwrap_or("")
                )
                .trim_end(),
                clock_and_date(reading.latest.time, layout.time_zone),
                reading.count
            ),
            Err(error) => {
                failed += 1;
                format!("FAILED  {name}: {error}")
            }
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
