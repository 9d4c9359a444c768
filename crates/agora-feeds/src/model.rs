//! What a feed holds: samples, its health, and the errors that make it stale.

use time::OffsetDateTime;

/// One value at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// When the value was observed (the source's time where it gives one).
    pub time: OffsetDateTime,
    /// The value, in the feed's unit.
    pub value: f64,
}

/// Whether a feed's values are current.
#[derive(Debug, Clone, PartialEq)]
pub enum Health {
    /// Nothing fetched yet.
    Waiting,
    /// The last fetch succeeded.
    Live,
    /// Fetching fails; the samples are the last good ones.
    Stale {
        /// When the feed last succeeded, or `None` if it never did.
        since: Option<OffsetDateTime>,
        /// The latest failure, in words.
        error: String,
    },
}

/// A feed's state as the client shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The bounded history, oldest first.
    pub samples: Vec<Sample>,
    /// The unit to show with the values.
    pub unit: Option<String>,
    /// Whether the values are current.
    pub health: Health,
    /// When the feed last succeeded.
    pub updated: Option<OffsetDateTime>,
}

impl Snapshot {
    /// A feed that has not answered yet.
    pub fn waiting(unit: Option<String>) -> Snapshot {
        Snapshot {
            samples: Vec::new(),
            unit,
            health: Health::Waiting,
            updated: None,
        }
    }

    /// The newest sample.
    pub fn latest(&self) -> Option<Sample> {
        self.samples.last().copied()
    }
}

/// Why a fetch failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeedError {
    /// The URL cannot be used.
    #[error("the URL {url:?} cannot be used: {reason}")]
    BadUrl {
        /// The configured URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A host on a private network, this machine or a link-local address, without
    /// `allow_private_network`: a scene must not turn the plaza into a probe of the city's
    /// own network.
    #[error(
        "{url:?} reaches {address}, which is on a private network (or this machine, or link-local); a feed reaches such a host only with allow_private_network: true"
    )]
    PrivateAddress {
        /// The configured URL.
        url: String,
        /// The address it names or resolved to.
        address: String,
    },
    /// Plain HTTP to a host other than loopback, without `allow_plain_http`.
    #[error(
        "plain http:// is refused for {url:?}: use https://, or set allow_plain_http: true for this feed"
    )]
    PlainHttp {
        /// The configured URL.
        url: String,
    },
    /// The server took too long.
    #[error("no answer within {seconds} s")]
    Timeout {
        /// The time limit.
        seconds: u64,
    },
    /// The connection failed.
    #[error("cannot reach the server: {0}")]
    Network(String),
    /// The server answered with an error status.
    #[error("the server answered HTTP {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// The body was larger than the feed's limit.
    #[error("the answer is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is not JSON.
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    /// The JSON lacks the configured value.
    #[error("the answer has nothing at {pointer:?}")]
    Missing {
        /// The JSON Pointer (or SensorThings member) that was looked for.
        pointer: String,
    },
    /// The JSON has the value, but of the wrong kind.
    #[error("the value at {pointer:?} is {found}, not a number")]
    WrongType {
        /// Where.
        pointer: String,
        /// What was there instead, e.g. `a string "n/a"`.
        found: String,
    },
    /// A time in the answer cannot be read.
    #[error("the time at {pointer:?} is not an RFC 3339 time: {found:?}")]
    BadTime {
        /// Where.
        pointer: String,
        /// What was there.
        found: String,
    },
}
