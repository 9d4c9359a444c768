//! The feeds hub: one background thread that polls every feed and reports snapshots.
//!
//! The caller (the plaza's frame, or a test) never waits: [`Feeds::poll`] only drains what the
//! hub has sent since the last call. Each feed keeps at most [`Options::capacity`] samples.

use std::collections::VecDeque;
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration as StdDuration;

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::config::{FeedConfig, Source};
use crate::model::{FeedError, Health, Sample, Snapshot};
use crate::simulated;

/// How the hub runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Samples kept per feed; older ones are dropped.
    pub capacity: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { capacity: 288 }
    }
}

/// A running set of feeds. Dropping it stops the hub's thread (without waiting for it).
pub struct Feeds {
    /// Behind a mutex only so that `Feeds` is `Sync` (a Bevy resource); `poll` is the one user.
    updates: Mutex<mpsc::Receiver<(usize, Snapshot)>>,
    stop: watch::Sender<bool>,
    count: usize,
}

impl Feeds {
    /// Starts polling `feeds` on a background thread; feed `i`'s snapshots arrive as `(i, …)`.
    pub fn start(feeds: Vec<FeedConfig>, options: Options) -> Feeds {
        let (send, updates) = mpsc::channel();
        let (stop, stopped) = watch::channel(false);
        let count = feeds.len();
        let spawned = thread::Builder::new()
            .name("agora-feeds".into())
            .spawn(move || run(feeds, options, send, stopped));
        if let Err(error) = spawned {
            tracing::error!("cannot start the feeds thread: {error}");
        }
        Feeds {
            updates: Mutex::new(updates),
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

    /// Every snapshot sent since the last call, oldest first; never waits.
    pub fn poll(&self) -> Vec<(usize, Snapshot)> {
        match self.updates.lock() {
            Ok(updates) => updates.try_iter().collect(),
            Err(poisoned) => poisoned.into_inner().try_iter().collect(),
        }
    }
}

impl Drop for Feeds {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn run(
    feeds: Vec<FeedConfig>,
    options: Options,
    send: mpsc::Sender<(usize, Snapshot)>,
    mut stopped: watch::Receiver<bool>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("cannot start the feeds runtime: {error}");
            return;
        }
    };
    runtime.block_on(async move {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, feed) in feeds.into_iter().enumerate() {
            tasks.spawn(follow(index, feed, options.capacity, send.clone()));
        }
        let _ = stopped.wait_for(|stop| *stop).await;
        tasks.abort_all();
    });
}

/// Polls one feed for as long as the hub runs.
async fn follow(
    index: usize,
    feed: FeedConfig,
    capacity: usize,
    send: mpsc::Sender<(usize, Snapshot)>,
) {
    let mut state = FeedState::new(capacity, feed.unit.clone());
    let every = StdDuration::from_secs(u64::from(feed.source.every()));
    loop {
        let now = OffsetDateTime::now_utc();
        match fetch(&feed, &state, now).await {
            Ok(fetched) => state.succeed(fetched, now),
            Err(error) => state.fail(&feed.name, error),
        }
        if send.send((index, state.snapshot())).is_err() {
            return;
        }
        tokio::time::sleep(every).await;
    }
}

/// What one successful fetch brought.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// New samples, oldest first.
    pub samples: Vec<Sample>,
    /// The source's own unit, if it names one.
    pub unit: Option<String>,
}

async fn fetch(
    feed: &FeedConfig,
    state: &FeedState,
    now: OffsetDateTime,
) -> Result<Fetched, FeedError> {
    match &feed.source {
        Source::Simulated { metric, every } => {
            // The first fetch fills the history, so a chart has a shape from the start.
            let count = if state.samples.is_empty() {
                state.capacity
            } else {
                1
            };
            Ok(Fetched {
                samples: simulated::history(*metric, now, *every, count),
                unit: Some(metric.unit().to_owned()),
            })
        }
        Source::Http { .. } | Source::SensorThings { .. } => Err(FeedError::Network(
            "network sources are not built yet".to_owned(),
        )),
    }
}

/// One feed's bounded history and health.
#[derive(Debug)]
struct FeedState {
    capacity: usize,
    samples: VecDeque<Sample>,
    configured_unit: Option<String>,
    source_unit: Option<String>,
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
            health: Health::Waiting,
            updated: None,
        }
    }

    fn succeed(&mut self, fetched: Fetched, now: OffsetDateTime) {
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
