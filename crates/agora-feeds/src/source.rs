//! One fetch of any [`Source`]: what the hub does each poll and the operator check does once.

use time::OffsetDateTime;

use crate::config::Source;
use crate::model::{FeedError, Sample};
use crate::transport::{Transport, checked_url};
use crate::{json, sensorthings, simulated};

/// What a fetch needs to know of what its feed already holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Known {
    /// Samples the feed keeps; a first fetch fills as many as the source has.
    pub(crate) capacity: usize,
    /// The time of the newest sample held, if any; a source that can asks only for newer ones.
    pub(crate) newest: Option<OffsetDateTime>,
    /// Whether the source has already said what its unit is (or that it names none).
    pub(crate) described: bool,
}

impl Known {
    /// A feed that holds nothing yet.
    pub(crate) fn nothing(capacity: usize) -> Known {
        Known {
            capacity,
            newest: None,
            described: false,
        }
    }
}

/// What one successful fetch brought.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fetched {
    /// New samples, oldest first.
    pub(crate) samples: Vec<Sample>,
    /// The source's own unit, if it names one.
    pub(crate) unit: Option<String>,
    /// Whether this fetch asked the source for its unit, so later ones need not.
    pub(crate) described: bool,
}

/// Fetches `source` once.
pub(crate) async fn fetch(
    source: &Source,
    transport: &Transport,
    known: &Known,
    now: OffsetDateTime,
) -> Result<Fetched, FeedError> {
    match source {
        Source::Simulated { metric, every } => {
            // The first fetch fills the history, so a chart has a shape from the start.
            let count = if known.newest.is_none() {
                known.capacity
            } else {
                1
            };
            Ok(Fetched {
                samples: simulated::history(*metric, now, *every, count),
                unit: Some(metric.unit().to_owned()),
                described: true,
            })
        }
        Source::Http {
            url, value, time, ..
        } => {
            let reach = source.reach();
            let url = checked_url(url, reach)?;
            let document = transport.get_json(&url, reach).await?;
            Ok(Fetched {
                samples: vec![json::sample(&document, value, time.as_deref(), now)?],
                unit: None,
                described: true,
            })
        }
        Source::SensorThings {
            datastream, filter, ..
        } => {
            sensorthings::fetch(
                transport,
                datastream,
                filter.as_deref(),
                source.reach(),
                known,
            )
            .await
        }
    }
}
