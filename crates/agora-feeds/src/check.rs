//! The operator's check (`agora feeds check`): every configured feed fetched once, now, with
//! its value or the reason it has none.

use std::fmt;
use std::sync::Arc;
use std::thread;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::FeedConfig;
use crate::hub::Options;
use crate::model::{FeedError, Sample};
use crate::source::{self, Known};
use crate::transport::Transport;

/// What one feed answered when asked once.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The newest value the source gave.
    pub latest: Sample,
    /// The unit to show: the configured one, else the source's own.
    pub unit: Option<String>,
    /// How many samples the fetch brought (a SensorThings datastream gives its recent history).
    pub count: usize,
}

impl fmt::Display for Reading {
    /// `12.5 µg/m³ at 2026-11-24T09:15:00+08:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.latest.value)?;
        if let Some(unit) = &self.unit {
            write!(f, " {unit}")?;
        }
        match self.latest.time.format(&Rfc3339) {
            Ok(time) => write!(f, " at {time}"),
            Err(_) => write!(f, " at {}", self.latest.time),
        }
    }
}

/// Fetches every feed once, all at the same time, and returns each one's reading or error in
/// the order given. Blocks until all have answered or failed (each within `options`' limits);
/// it runs on its own thread and runtime, so it may be called from anywhere, even from inside
/// another async runtime.
pub fn check(feeds: &[FeedConfig], options: &Options) -> Vec<Result<Reading, FeedError>> {
    thread::scope(|scope| {
        let checking = thread::Builder::new()
            .name("agora-feeds-check".into())
            .spawn_scoped(scope, || check_here(feeds, options));
        match checking.map(|handle| handle.join()) {
            Ok(Ok(results)) => results,
            // Only a bug could end up here; every feed then reports it rather than the caller
            // crashing.
            Ok(Err(_)) => everyone(feeds, "the check stopped unexpectedly"),
            Err(error) => everyone(feeds, &format!("cannot start the check: {error}")),
        }
    })
}

fn check_here(feeds: &[FeedConfig], options: &Options) -> Vec<Result<Reading, FeedError>> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return everyone(feeds, &format!("cannot start the check: {error}")),
    };
    runtime.block_on(async {
        let transport = Arc::new(Transport::new(options));
        let now = OffsetDateTime::now_utc();
        let mut tasks = tokio::task::JoinSet::new();
        for (index, feed) in feeds.iter().enumerate() {
            let (feed, transport, capacity) = (feed.clone(), transport.clone(), options.capacity);
            tasks.spawn(async move {
                let known = Known::nothing(capacity.max(1));
                let reading =
                    source::fetch(&feed.source, &transport, &known, now)
                        .await
                        .and_then(|fetched| {
                            let latest = fetched.samples.last().copied().ok_or_else(|| {
                                FeedError::Missing {
                                    pointer: "/value/0".to_owned(),
                                }
                            })?;
                            Ok(Reading {
                                latest,
                                unit: feed.unit.clone().or(fetched.unit),
                                count: fetched.samples.len(),
                            })
                        });
                (index, reading)
            });
        }
        let mut results: Vec<Option<Result<Reading, FeedError>>> = vec![None; feeds.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, reading)) = joined
                && let Some(slot) = results.get_mut(index)
            {
                *slot = Some(reading);
            }
        }
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(FeedError::Network(
                        "the check of this feed stopped unexpectedly".to_owned(),
                    ))
                })
            })
            .collect()
    })
}

fn everyone(feeds: &[FeedConfig], problem: &str) -> Vec<Result<Reading, FeedError>> {
    feeds
        .iter()
        .map(|_| Err(FeedError::Network(problem.to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Metric, Source};
    use time::macros::datetime;

    #[test]
    fn a_reading_reads_as_value_unit_and_time() {
        let reading = Reading {
            latest: Sample {
                time: datetime!(2026-11-24 09:15 +08:00),
                value: 12.5,
            },
            unit: Some("µg/m³".into()),
            count: 1,
        };
        assert_eq!(
            reading.to_string(),
            "12.5 µg/m³ at 2026-11-24T09:15:00+08:00"
        );
        let bare = Reading {
            unit: None,
            ..reading
        };
        assert_eq!(bare.to_string(), "12.5 at 2026-11-24T09:15:00+08:00");
    }

    #[test]
    fn the_simulated_city_answers_the_check_offline() {
        let feeds = vec![FeedConfig {
            name: "air/pm25".into(),
            source: Source::Simulated {
                metric: Metric::Pm25,
                every: 300,
            },
            unit: None,
        }];
        let options = Options {
            capacity: 12,
            ..Options::default()
        };
        let results = check(&feeds, &options);
        let reading = results[0]
            .as_ref()
            .expect("the simulated city always answers");
        assert_eq!(reading.count, 12);
        assert_eq!(reading.unit.as_deref(), Some("µg/m³"));
    }
}
