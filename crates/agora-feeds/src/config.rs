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
        /// `https://…` (plain `http://` only with `allow_plain_http`).
        url: String,
        /// RFC 6901 JSON Pointer to the number, e.g. `/data/0/value`.
        value: String,
        /// Optional JSON Pointer to the value's RFC 3339 time; the fetch time otherwise.
        #[serde(default)]
        time: Option<String>,
        /// Seconds between polls.
        #[serde(default = "default_every")]
        every: u32,
        /// Allow plain `http://` (this machine included).
        #[serde(default)]
        allow_plain_http: bool,
        /// Allow a host on a private network, this machine or a link-local address, checked
        /// again wherever its name resolves.
        #[serde(default)]
        allow_private_network: bool,
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
        /// Allow plain `http://` (this machine included).
        #[serde(default)]
        allow_plain_http: bool,
        /// Allow a host on a private network, this machine or a link-local address, checked
        /// again wherever its name resolves.
        #[serde(default)]
        allow_private_network: bool,
    },
}

fn check_every(every: u32) -> Result<(), String> {
    if every == 0 {
        Err("`every` is 0 seconds; poll at most once a second".to_owned())
    } else {
        Ok(())
    }
}

/// The rules of [`crate::transport::checked_url`], checked when a scene is loaded.
fn check_url(url: &str, allow_plain_http: bool, allow_private_network: bool) -> Result<(), String> {
    let reach = crate::transport::Reach {
        plain_http: allow_plain_http,
        private_network: allow_private_network,
    };
    crate::transport::checked_url(url, reach)
        .map(|_| ())
        .map_err(|error| error.to_string())
}

impl Source {
    /// What the feed may reach beyond public `https://` servers.
    pub(crate) fn reach(&self) -> crate::transport::Reach {
        match self {
            Source::Simulated { .. } => crate::transport::Reach::default(),
            Source::Http {
                allow_plain_http,
                allow_private_network,
                ..
            }
            | Source::SensorThings {
                allow_plain_http,
                allow_private_network,
                ..
            } => crate::transport::Reach {
                plain_http: *allow_plain_http,
                private_network: *allow_private_network,
            },
        }
    }
}

fn default_every() -> u32 {
    DEFAULT_EVERY_S
}

impl Source {
    /// What is wrong with this configuration, checked without any network access, so that a
    /// scene file with a bad feed is refused when it is loaded.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Source::Simulated { every, .. } => check_every(*every),
            Source::Http {
                url,
                value,
                time,
                every,
                allow_plain_http,
                allow_private_network,
            } => {
                check_every(*every)?;
                check_url(url, *allow_plain_http, *allow_private_network)?;
                for pointer in std::iter::once(value).chain(time) {
                    if !(pointer.is_empty() || pointer.starts_with('/')) {
                        return Err(format!(
                            "{pointer:?} is not a JSON Pointer: it must start with \"/\", e.g. \"/data/0/value\""
                        ));
                    }
                }
                Ok(())
            }
            Source::SensorThings {
                datastream,
                every,
                allow_plain_http,
                allow_private_network,
                ..
            } => {
                check_every(*every)?;
                check_url(datastream, *allow_plain_http, *allow_private_network)?;
                if !datastream.trim_end_matches('/').ends_with(')')
                    || !datastream.contains("Datastreams(")
                {
                    return Err(format!(
                        "{datastream:?} is not a SensorThings datastream URL like \"https://city.example/v1.1/Datastreams(42)\""
                    ));
                }
                Ok(())
            }
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn http(url: &str, allow_plain_http: bool, allow_private_network: bool) -> Source {
        Source::Http {
            url: url.to_owned(),
            value: "/value".to_owned(),
            time: None,
            every: 60,
            allow_plain_http,
            allow_private_network,
        }
    }

    #[test]
    fn plain_http_and_private_hosts_are_each_by_permission() {
        for (url, plain, private, ok) in [
            ("https://city.example/air", false, false, true),
            ("http://127.0.0.1:8080/air", false, false, false),
            ("http://127.0.0.1:8080/air", true, false, false),
            ("http://127.0.0.1:8080/air", true, true, true),
            ("http://[::1]:8080/air", true, true, true),
            ("http://localhost/air", true, false, false),
            ("https://localhost/air", false, true, true),
            ("https://10.1.2.3/air", false, false, false),
            ("https://[fe80::1]/air", false, false, false),
            (
                "https://169.254.169.254/latest/meta-data",
                false,
                false,
                false,
            ),
            ("http://city.example/air", false, false, false),
            ("http://city.example/air", true, false, true),
            ("ftp://city.example/air", true, true, false),
            ("city.example/air", false, false, false),
            ("https:///air", false, false, false),
        ] {
            assert_eq!(
                http(url, plain, private).check().is_ok(),
                ok,
                "{url} plain={plain} private={private}"
            );
        }
    }

    #[test]
    fn pointers_and_datastreams_are_checked() {
        let mut bad = http("https://city.example/air", false, false);
        if let Source::Http { value, .. } = &mut bad {
            *value = "data.value".to_owned();
        }
        assert!(
            bad.check()
                .expect_err("not a pointer")
                .contains("JSON Pointer")
        );
        let stream = |datastream: &str| Source::SensorThings {
            datastream: datastream.to_owned(),
            filter: None,
            every: 60,
            allow_plain_http: false,
            allow_private_network: false,
        };
        assert!(
            stream("https://city.example/v1.1/Datastreams(42)")
                .check()
                .is_ok()
        );
        assert!(
            stream("https://city.example/v1.1/Things(42)")
                .check()
                .is_err()
        );
        let never = Source::Simulated {
            metric: Metric::Pm25,
            every: 0,
        };
        assert!(never.check().expect_err("never polled").contains("every"));
    }
}
