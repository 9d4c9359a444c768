//! What a scene file says about a feed: where its numbers come from.
//!
//! These types are deserialised from the plaza's RON file, inside each dashboard chart, e.g.
//! `source: SensorThings(datastream: "https://city.example/v1.1/Datastreams(42)")`.

use serde::Deserialize;

/// How often a source is polled when its configuration does not say, in seconds.
pub const DEFAULT_EVERY_S: u32 = 60;

/// Where one feed's values come from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Source {
    /// The built-in simulated city: deterministic, with daily cycles; works offline.
    Simulated {
        /// Which quantity of the city.
        metric: Metric,
        /// Seconds between samples.
        #[serde(default = "default_every")]
        every: u32,
    },
    /// Any HTTP endpoint answering JSON, polled; the value is picked by a JSON Pointer.
    Http {
        /// `https://…` (plain `http://` only for loopback, or with `allow_plain_http`).
        url: String,
        /// RFC 6901 JSON Pointer to the number, e.g. `/data/0/value`.
        value: String,
        /// Optional JSON Pointer to the value's RFC 3339 time; the fetch time otherwise.
        #[serde(default)]
        time: Option<String>,
        /// Seconds between polls.
        #[serde(default = "default_every")]
        every: u32,
        /// Allow plain `http://` to hosts other than loopback.
        #[serde(default)]
        allow_plain_http: bool,
    },
    /// An OGC SensorThings API v1.1 datastream; its observations become the samples.
    SensorThings {
        /// The datastream's URL, e.g. `https://city.example/FROST-Server/v1.1/Datastreams(42)`.
        datastream: String,
        /// An optional extra OData `$filter` on its observations.
        #[serde(default)]
        filter: Option<String>,
        /// Seconds between polls.
        #[serde(default = "default_every")]
        every: u32,
        /// Allow plain `http://` to hosts other than loopback.
        #[serde(default)]
        allow_plain_http: bool,
    },
}

fn default_every() -> u32 {
    DEFAULT_EVERY_S
}

impl Source {
    /// Seconds between polls (at least one).
    pub fn every(&self) -> u32 {
        match self {
            Source::Simulated { every, .. }
            | Source::Http { every, .. }
            | Source::SensorThings { every, .. } => (*every).max(1),
        }
    }
}

/// One feed as the hub runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    /// A name for logs and `agora feeds check`, e.g. `traffic/flow`.
    pub name: String,
    /// Where the values come from.
    pub source: Source,
    /// The unit to show, when the scene names one; otherwise the source's own (SensorThings'
    /// `unitOfMeasurement.symbol`, the simulated metric's unit), or none.
    pub unit: Option<String>,
}

/// A quantity of the simulated city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Metric {
    /// Vehicles per hour past the city's counting points.
    TrafficFlow,
    /// Average speed on the arterial roads, km/h.
    TrafficSpeed,
    /// Fine particulate matter, µg/m³.
    Pm25,
    /// Air quality index (China's HJ 633 scale from PM2.5 alone).
    Aqi,
    /// Incidents reported to public safety in the last hour.
    Incidents,
    /// Median waiting time at the city's clinics, minutes.
    ClinicWait,
    /// Planning and building permits in progress.
    PermitsInProgress,
}

impl Metric {
    /// Every metric, in a stable order.
    pub const ALL: [Metric; 7] = [
        Metric::TrafficFlow,
        Metric::TrafficSpeed,
        Metric::Pm25,
        Metric::Aqi,
        Metric::Incidents,
        Metric::ClinicWait,
        Metric::PermitsInProgress,
    ];

    /// The unit the simulated city reports this metric in.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::TrafficFlow => "veh/h",
            Metric::TrafficSpeed => "km/h",
            Metric::Pm25 => "µg/m³",
            Metric::Aqi => "AQI",
            Metric::Incidents => "/h",
            Metric::ClinicWait => "min",
            Metric::PermitsInProgress => "permits",
        }
    }
}
