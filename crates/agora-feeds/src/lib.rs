//! Live city data for the plaza's dashboards, without Bevy.
//!
//! A dashboard's chart names one [`Source`] in the scene file: a generic HTTP JSON endpoint, an
//! OGC SensorThings datastream, or the built-in simulated city used when nothing else is
//! configured. [`Feeds`] fetches every source off the caller's thread, keeps a bounded history
//! of [`Sample`]s per feed, and hands out [`Snapshot`]s without ever blocking: a feed that fails
//! keeps its last good values and reports [`Health::Stale`]. [`check()`] asks every feed once,
//! for the operator's `agora feeds check`.
//!
//! Servers are outside the program and are not trusted: every request has a time limit, every
//! answer a size limit, plain `http://` is refused except to this machine (or where a feed's
//! configuration allows it), and nothing a server sends can make the hub panic.

mod check;
pub mod config;
pub mod hub;
mod json;
pub mod model;
mod sensorthings;
pub mod simulated;
mod source;
mod transport;

pub use check::{Reading, check};
pub use config::{FeedConfig, Metric, Source};
pub use hub::{Feeds, Options};
pub use model::{FeedError, Health, Sample, Snapshot};
