//! Live city data for the plaza's dashboards, without Bevy.
//!
//! A dashboard's chart names one [`Source`] in the scene file: a generic HTTP JSON endpoint, an
//! OGC SensorThings datastream, or the built-in simulated city used when nothing else is
//! configured. [`Feeds`] fetches every source off the caller's thread, keeps a bounded history
//! of [`Sample`]s per feed, and hands out [`Snapshot`]s without ever blocking: a feed that fails
//! keeps its last good values and reports [`Health::Stale`].

pub mod config;
pub mod hub;
pub mod model;
pub mod simulated;

pub use config::{FeedConfig, Metric, Source};
pub use hub::{Feeds, Options};
pub use model::{FeedError, Health, Sample, Snapshot};
