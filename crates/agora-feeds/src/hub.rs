//! The feeds hub: one background thread that polls every feed and reports snapshots.
//!
//! The caller (the plaza's frame, or a test) never waits: [`Feeds::poll`] only takes what the
//! hub has posted since the last call, and gives up at once rather than wait for the hub. Each
//! feed keeps at most [`Options::capacity`] samples, and at most one unread snapshot waits per
//! feed, so memory stays bounded even when nobody polls.
//!
//! A failing feed keeps its last good samples and turns [`Health::Stale`]; it is retried with
//! an exponential back-off from its interval, logged once when it starts failing and once when
//! it answers again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::thread;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::config::FeedConfig;
use crate::model::{FeedError, Health, Sample, Snapshot};
use crate::source::{self, Fetched, Known};
use crate::transport::Transport;

/// How the hub runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Samples kept per feed; older ones are dropped.
    pub capacity: usize,
    /// The longest one request may take, from connecting to the last byte of the body.
    pub timeout: Duration,
    /// The largest answer accepted from a server, in bytes; reading stops past it.
    pub max_body_bytes: usize,
    /// The longest wait between retries of a failing feed (or its own interval, if longer).
    pub max_backoff: Duration,
    /// Names answered with these addresses instead of asking DNS (a city's pinned hosts, or
    /// a test's). The rules on private addresses apply to them as to any answer.
    pub hosts: Vec<(String, std::net::IpAddr)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            capacity: 288,
            timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            max_backoff: Duration::from_secs(5 * 60),
            hosts: Vec::new(),
        }
    }
}

/// A running set of feeds. Dropping it stops the hub's thread (without waiting for it).
pub struct Feeds {
    mailbox: Arc<Mailbox>,
    stop: watch::Sender<bool>,
    count: usize,
}

impl Feeds {
    /// Starts polling `feeds` on a background thread; feed `i`'s snapshots arrive as `(i, …)`.
    pub fn start(feeds: Vec<FeedConfig>, options: Options) -> Feeds {
        let (stop, stopped) = watch::channel(false);
        let count = feeds.len();
        let mailbox = Arc::new(Mailbox::new(count));
        let posted = mailbox.clone();
        let spawned = thread::Builder::new()
            .name("agora-feeds".into())
            .spawn(move || run(feeds, options, posted, stopped));
        if let Err(error) = spawned {
            tracing::error!("cannot start the feeds thread: {error}");
        }
        Feeds {
            mailbox,
            stop,
            count,
        }
    }

    /// How many feeds the hub runs.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the hub runs no feed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The newest snapshot of each feed that changed since the last call, by feed index; never
    /// waits (if the hub is posting at this very moment, its news come with the next call).
    pub fn poll(&self) -> Vec<(usize, Snapshot)> {
        self.mailbox.take()
    }
}

impl Drop for Feeds {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The newest unread snapshot of each feed.
struct Mailbox {
    slots: Mutex<Vec<Option<Snapshot>>>,
}

impl Mailbox {
    fn new(count: usize) -> Mailbox {
        Mailbox {
            slots: Mutex::new(vec![None; count]),
        }
    }

    /// Replaces feed `index`'s unread snapshot, if any, with `snapshot`.
    fn post(&self, index: usize, snapshot: Snapshot) {
        // A poisoned lock only means a panic elsewhere while it was held; the slots are still
        // whole snapshots, so the hub carries on.
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(index) {
            *slot = Some(snapshot);
        }
    }

    fn take(&self) -> Vec<(usize, Snapshot)> {
        let mut slots = match self.slots.try_lock() {
            Ok(slots) => slots,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return Vec::new(),
        };
        slots
            .iter_mut()
            .enumerate()
            .filter_map(|(index, slot)| slot.take().map(|snapshot| (index, snapshot)))
            .collect()
    }
}

fn run(
    feeds: Vec<FeedConfig>,
    options: Options,
    mailbox: Arc<Mailbox>,
    mut stopped: watch::Receiver<bool>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("cannot start the feeds runtime: {error}");
            return;
        }
    };
    runtime.block_on(async move {
        let transport = Arc::new(Transport::new(&options));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, feed) in feeds.into_iter().enumerate() {
            tasks.spawn(follow(
                index,
                feed,
                options.clone(),
                transport.clone(),
                mailbox.clone(),
            ));
        }
        let _ = stopped.wait_for(|stop| *stop).await;
        tasks.abort_all();
    });
}

/// Polls one feed for as long as the hub runs.
async fn follow(
    index: usize,
    feed: FeedConfig,
    options: Options,
    transport: Arc<Transport>,
    mailbox: Arc<Mailbox>,
) {
    let mut state = FeedState::new(options.capacity, feed.unit.clone());
    let every = Duration::from_secs(u64::from(feed.source.every()));
    let mut failures = 0;
    loop {
        let now = OffsetDateTime::now_utc();
        match source::fetch(&feed.source, &transport, &state.known(), now).await {
            Ok(fetched) => {
                state.succeed(&feed.name, fetched, now);
                failures = 0;
            }
            Err(error) => {
                state.fail(&feed.name, error);
                failures += 1;
            }
        }
        mailbox.post(index, state.snapshot());
        tokio::time::sleep(wait(every, failures, options.max_backoff)).await;
    }
}

/// How long to wait before the next fetch: the feed's interval, doubled for each failure in a
/// row, up to `max_backoff` (or the interval itself, when that is longer), so a broken server
/// is not hammered and a recovered one is noticed within the cap.
fn wait(every: Duration, failures: u32, max_backoff: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures.min(20));
    every.saturating_mul(factor).min(max_backoff.max(every))
}

/// One feed's bounded history and health.
#[derive(Debug)]
struct FeedState {
    capacity: usize,
    samples: VecDeque<Sample>,
    configured_unit: Option<String>,
    source_unit: Option<String>,
    described: bool,
    health: Health,
    updated: Option<OffsetDateTime>,
}

impl FeedState {
    fn new(capacity: usize, configured_unit: Option<String>) -> FeedState {
        FeedState {
            capacity: capacity.max(1),
            samples: VecDeque::new(),
            configured_unit,
            source_unit: None,
            described: false,
            health: Health::Waiting,
            updated: None,
        }
    }

    fn known(&self) -> Known {
        Known {
            capacity: self.capacity,
            newest: self.samples.back().map(|sample| sample.time),
            described: self.described,
        }
    }

    fn succeed(&mut self, name: &str, fetched: Fetched, now: OffsetDateTime) {
        for sample in fetched.samples {
            // A source may send a value again (a repeated poll of an unchanged endpoint).
            if self
                .samples
                .back()
                .is_some_and(|last| last.time >= sample.time)
            {
                continue;
            }
            if self.samples.len() == self.capacity {
                self.samples.pop_front();
            }
            self.samples.push_back(sample);
        }
        if fetched.unit.is_some() {
            self.source_unit = fetched.unit;
        }
        self.described |= fetched.described;
        if matches!(self.health, Health::Stale { .. }) {
            tracing::info!("feed {name}: answering again; its values are live");
        }
        self.health = Health::Live;
        self.updated = Some(now);
    }

    fn fail(&mut self, name: &str, error: FeedError) {
        if !matches!(self.health, Health::Stale { .. }) {
            tracing::warn!("feed {name}: {error}; showing the last good values and retrying");
        }
        self.health = Health::Stale {
            since: self.updated,
            error: error.to_string(),
        };
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            samples: self.samples.iter().copied().collect(),
            unit: self
                .configured_unit
                .clone()
                .or_else(|| self.source_unit.clone()),
            health: self.health.clone(),
            updated: self.updated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);

    fn fetched(values: &[(i64, f64)]) -> Fetched {
        Fetched {
            samples: values
                .iter()
                .map(|&(minute, value)| Sample {
                    time: T0 + time::Duration::minutes(minute),
                    value,
                })
                .collect(),
            unit: None,
            described: true,
        }
    }

    #[test]
    fn the_back_off_doubles_from_the_interval_up_to_the_cap() {
        let minute = Duration::from_secs(60);
        let cap = Duration::from_secs(300);
        let waits: Vec<u64> = (0..6)
            .map(|failures| wait(minute, failures, cap).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240, 300, 300, 300]);
        assert_eq!(wait(minute, u32::MAX, cap), cap);
        // A feed polled hourly is never retried less often than hourly.
        let hour = Duration::from_secs(3600);
        assert_eq!(wait(hour, 3, cap), hour);
    }

    #[test]
    fn a_failure_keeps_the_last_values_and_a_success_clears_it() {
        let mut state = FeedState::new(3, Some("km/h".into()));
        state.succeed("test", fetched(&[(0, 1.0), (1, 2.0)]), T0);
        state.fail("test", FeedError::Status { status: 500 });
        let stale = state.snapshot();
        assert_eq!(
            stale.health,
            Health::Stale {
                since: Some(T0),
                error: "the server answered HTTP 500".into()
            }
        );
        assert_eq!(stale.latest().map(|s| s.value), Some(2.0));
        assert_eq!(stale.unit.as_deref(), Some("km/h"));

        let later = T0 + time::Duration::minutes(5);
        state.succeed("test", fetched(&[(1, 2.0), (2, 3.0), (3, 4.0)]), later);
        let live = state.snapshot();
        assert_eq!(live.health, Health::Live);
        assert_eq!(live.updated, Some(later));
        // Bounded to the capacity, the repeated sample not doubled, oldest first.
        let values: Vec<f64> = live.samples.iter().map(|s| s.value).collect();
        assert_eq!(values, [2.0, 3.0, 4.0]);
    }

    #[test]
    fn a_feed_that_never_answered_is_stale_since_never() {
        let mut state = FeedState::new(3, None);
        state.fail("test", FeedError::Timeout { seconds: 10 });
        assert!(matches!(
            state.snapshot().health,
            Health::Stale { since: None, .. }
        ));
    }

    #[test]
    fn unread_snapshots_do_not_pile_up() {
        let mailbox = Mailbox::new(2);
        for value in 0..1000 {
            let mut snapshot = Snapshot::waiting(None);
            snapshot.samples.push(Sample {
                time: T0,
                value: f64::from(value),
            });
            mailbox.post(1, snapshot);
        }
        mailbox.post(7, Snapshot::waiting(None));
        let taken = mailbox.take();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].0, 1);
        assert_eq!(taken[0].1.latest().map(|s| s.value), Some(999.0));
        assert!(mailbox.take().is_empty());
    }
}
