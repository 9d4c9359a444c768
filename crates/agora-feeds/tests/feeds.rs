//! The feeds against real HTTP servers that the tests start on loopback: a SensorThings
//! service that pages, endpoints that misbehave in every way the feeds guard against, and a
//! feed that fails and recovers while the hub runs. Nothing here reaches beyond 127.0.0.1.
//!
//! No test sleeps hoping something happened: each waits for the state it expects, checking
//! every few milliseconds, and fails with the last state seen after a minute. No healthy
//! answer has to beat a tight clock either: the client's timeout is three seconds, a hundred
//! times what a loopback answer takes, and the endpoint that is meant to time out never
//! answers within any test's life.

#[path = "feeds/misbehaving.rs"]
mod misbehaving;
#[path = "feeds/refused.rs"]
mod refused;
#[path = "feeds/sensorthings.rs"]
mod sensorthings;
#[path = "feeds/server.rs"]
mod server;
#[path = "feeds/stale.rs"]
mod stale;

use std::thread;
use std::time::{Duration, Instant};

use agora_feeds::{FeedConfig, Feeds, Options, Snapshot, Source};

/// The longest any test waits for the state it expects: a bound for a hang, not a guess at
/// how long the state takes.
const PATIENCE: Duration = Duration::from_secs(60);

/// Limits small enough that the misbehaving servers are caught quickly, and a timeout that a
/// healthy loopback answer meets on the busiest machine.
fn quick_options(capacity: usize) -> Options {
    Options {
        capacity,
        timeout: Duration::from_secs(3),
        max_body_bytes: 64 * 1024,
        max_backoff: Duration::from_secs(1),
        hosts: Vec::new(),
    }
}

/// An HTTP JSON feed polled every second (the shortest interval a scene can name), from one
/// of the tests' servers on this machine: allowed plain HTTP and private addresses, as a
/// scene must say for such a server.
fn http_feed(name: &str, url: String, value: &str, time: Option<&str>) -> FeedConfig {
    feed_with(name, url, value, time, true)
}

/// An HTTP JSON feed from a public server: no plain HTTP, no private addresses.
fn public_feed(name: &str, url: String) -> FeedConfig {
    feed_with(name, url, "/v", None, false)
}

fn feed_with(name: &str, url: String, value: &str, time: Option<&str>, local: bool) -> FeedConfig {
    FeedConfig {
        name: name.to_owned(),
        source: Source::Http {
            url,
            value: value.to_owned(),
            time: time.map(str::to_owned),
            every: 1,
            allow_plain_http: local,
            allow_private_network: local,
        },
        unit: None,
    }
}

/// What a client shows: the newest snapshot of each feed of a running hub.
struct Board {
    feeds: Feeds,
    shown: Vec<Option<Snapshot>>,
}

impl Board {
    fn start(feeds: Vec<FeedConfig>, options: Options) -> Board {
        let count = feeds.len();
        Board {
            feeds: Feeds::start(feeds, options),
            shown: vec![None; count],
        }
    }

    /// Polls the hub, as a frame would, until feed `index`'s snapshot satisfies `expected`.
    fn wait(&mut self, index: usize, what: &str, expected: impl Fn(&Snapshot) -> bool) -> Snapshot {
        let deadline = Instant::now() + PATIENCE;
        loop {
            for (feed, snapshot) in self.feeds.poll() {
                self.shown[feed] = Some(snapshot);
            }
            if let Some(snapshot) = &self.shown[index]
                && expected(snapshot)
            {
                return snapshot.clone();
            }
            assert!(
                Instant::now() < deadline,
                "feed {index} did not become {what} within {PATIENCE:?}; it shows {:?}",
                self.shown[index]
            );
            thread::sleep(Duration::from_millis(15));
        }
    }
}
