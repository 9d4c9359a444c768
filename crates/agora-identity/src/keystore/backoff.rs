//! The wrong-PIN back-off: a failure counter and the time of the last failure, kept in a small
//! file beside the key so that restarting the program does not reset it.
//!
//! After [`BackoffPolicy::free_attempts`] wrong PINs in a row, each further attempt must wait
//! `base_delay × 2^(failures − free_attempts)`, capped at `max_delay`, counted from the last
//! failure. A correct PIN deletes the record.
//!
//! What it does and does not stop: it slows someone guessing PINs through Agora on the
//! citizen's device. Someone who copies the key file can guess offline at Argon2id's pace,
//! and someone who can delete this file or set the clock forward can skip the wait; Argon2id's
//! cost and a good passphrase are the defence there.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How wrong PINs are slowed down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Wrong PINs allowed in a row before any wait.
    pub free_attempts: u32,
    /// The wait after the first failure beyond the free ones; it doubles with each further
    /// failure.
    pub base_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for BackoffPolicy {
    /// Three free attempts, then 30 s, 1 min, 2 min, … up to one hour between attempts.
    fn default() -> Self {
        Self {
            free_attempts: 3,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(60 * 60),
        }
    }
}

impl BackoffPolicy {
    /// The wait required after `failures` wrong PINs in a row.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let Some(beyond) = failures.checked_sub(self.free_attempts) else {
            return Duration::ZERO;
        };
        let factor = 1u32.checked_shl(beyond).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Wrong PINs in a row for one profile, and when the last one happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempts {
    /// Wrong PINs since the last correct one.
    pub failures: u32,
    /// When the last wrong PIN was given, in whole seconds since the Unix epoch.
    pub last_failure: u64,
}

/// Seconds since the Unix epoch, 0 for times before it.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

impl Attempts {
    /// Reads the record's text. A record that cannot be read is taken as one that has just
    /// reached the first wait: a damaged or tampered record must not grant free attempts, and
    /// must not lock the citizen out for good either.
    ///
    /// The store writes such a substitute back at once ([`Attempts::read`] says when), so that
    /// its wait runs from the first time it was read rather than afresh at every unlock.
    pub fn parse(text: &str, policy: &BackoffPolicy, now: SystemTime) -> Self {
        Self::read(text, policy, now).0
    }

    /// [`Attempts::parse`], and whether the text was unreadable (so that the record returned
    /// is a substitute, to be written back).
    pub fn read(text: &str, policy: &BackoffPolicy, now: SystemTime) -> (Self, bool) {
        match Self::parse_strict(text) {
            Some(attempts) => (attempts, false),
            None => (
                Self {
                    failures: policy.free_attempts,
                    last_failure: unix_seconds(now),
                },
                true,
            ),
        }
    }

    fn parse_strict(text: &str) -> Option<Self> {
        let mut failures = None;
        let mut last_failure = None;
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            let (name, value) = line.split_once('=')?;
            match name.trim() {
                "version" if value.trim() == "1" => {}
                "failures" => failures = Some(value.trim().parse().ok()?),
                "last_failure" => last_failure = Some(value.trim().parse().ok()?),
                _ => return None,
            }
        }
        Some(Self {
            failures: failures?,
            last_failure: last_failure?,
        })
    }

    /// The record's text.
    pub fn to_text(self) -> String {
        format!(
            "version=1\nfailures={}\nlast_failure={}\n",
            self.failures, self.last_failure
        )
    }

    /// How long to wait before the next attempt may be tried, at `now`. A clock that is now
    /// behind the last failure counts as no time elapsed, so turning the clock back does not
    /// shorten the wait.
    pub fn remaining_wait(&self, policy: &BackoffPolicy, now: SystemTime) -> Duration {
        let delay = policy.delay_after(self.failures);
        let elapsed = Duration::from_secs(unix_seconds(now).saturating_sub(self.last_failure));
        delay.saturating_sub(elapsed)
    }

    /// The record after one more wrong PIN at `now`.
    pub fn failed(self, now: SystemTime) -> Self {
        Self {
            failures: self.failures.saturating_add(1),
            last_failure: unix_seconds(now),
        }
    }
}

/// The record's path for a key file: `<key file>.attempts`.
/// The lock file beside a key file, `<name>.key.lock`: held while a PIN is tried, so that
/// unlocks in several processes take their turns and each is counted.
pub fn lock_path(key_path: &Path) -> std::path::PathBuf {
    let mut name = key_path.as_os_str().to_owned();
    name.push(".lock");
    name.into()
}

/// The back-off record's path beside a key file, `<name>.key.attempts`.
pub fn attempts_path(key_path: &Path) -> std::path::PathBuf {
    let mut name = key_path.as_os_str().to_owned();
    name.push(".attempts");
    name.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_attempts_and_stop_at_the_cap() {
        let policy = BackoffPolicy::default();
        let delays: Vec<u64> = (0..=10)
            .map(|failures| policy.delay_after(failures).as_secs())
            .collect();
        assert_eq!(delays, [0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600]);
        assert_eq!(policy.delay_after(u32::MAX), policy.max_delay);
    }

    #[test]
    fn records_round_trip_and_bad_ones_mean_wait() {
        let policy = BackoffPolicy::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let record = Attempts {
            failures: 4,
            last_failure: 990,
        };
        assert_eq!(Attempts::parse(&record.to_text(), &policy, now), record);
        let damaged = Attempts::parse("failures=lots", &policy, now);
        assert_eq!(damaged.failures, policy.free_attempts);
        assert_eq!(damaged.remaining_wait(&policy, now), policy.base_delay);
    }

    #[test]
    fn turning_the_clock_back_does_not_shorten_the_wait() {
        let policy = BackoffPolicy::default();
        let record = Attempts {
            failures: 3,
            last_failure: 1_000,
        };
        let earlier = UNIX_EPOCH + Duration::from_secs(10);
        assert_eq!(record.remaining_wait(&policy, earlier), policy.base_delay);
        let later = UNIX_EPOCH + Duration::from_secs(1_020);
        assert_eq!(
            record.remaining_wait(&policy, later),
            Duration::from_secs(10)
        );
    }
}
