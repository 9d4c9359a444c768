//! Argon2id parameters: the production default, the floor a store accepts for new files, and
//! the ceiling a file may demand when it is read.
//!
//! The default is m = 64 MiB, t = 3, p = 1. OWASP's Password Storage Cheat Sheet (2025) asks
//! for at least m = 19 MiB, t = 2, p = 1 (or m = 46 MiB, t = 1); RFC 9106 §4 recommends
//! 64 MiB with t = 3 where 2 GiB is too much. A key file is unlocked once per session, so
//! a fraction of a second on a headset or kiosk is a fair price for a PIN that has few
//! possible values. The parameters are written into each file's header, so raising the
//! default later re-encrypts each key at its next unlock without breaking older files.

use thiserror::Error;

/// The cost of the Argon2id key derivation that turns a PIN into an encryption key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

/// Parameters refused for new key files.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KdfParamsError {
    /// Below OWASP's minimum.
    #[error(
        "Argon2id with {memory_kib} KiB, {iterations} iterations is weaker than OWASP's \
         minimum (19456 KiB with 2 iterations, or 47104 KiB with 1)"
    )]
    TooWeak {
        /// Memory asked for, in KiB.
        memory_kib: u32,
        /// Iterations asked for.
        iterations: u32,
    },
    /// Above what any reader of the file will accept.
    #[error(
        "Argon2id with {memory_kib} KiB, {iterations} iterations, {parallelism} lanes is more \
         than a key file may ask for (at most {} KiB, {} iterations, {} lanes, and {} KiB \
         of memory passes in all)",
        KdfParams::MAX.memory_kib,
        KdfParams::MAX.iterations,
        KdfParams::MAX.parallelism,
        KdfParams::MAX_WORK_KIB
    )]
    TooCostly {
        /// Memory asked for, in KiB.
        memory_kib: u32,
        /// Iterations asked for.
        iterations: u32,
        /// Lanes asked for.
        parallelism: u32,
    },
}

impl KdfParams {
    /// The parameters new key files get: 64 MiB, 3 iterations, 1 lane.
    pub const RECOMMENDED: Self = Self {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// OWASP's minimum for Argon2id: 19 MiB, 2 iterations, 1 lane.
    pub const OWASP_MINIMUM: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// The most a file may demand when it is read. A key file or backup comes from outside
    /// the program, and one asking for terabytes of memory, or hours of hashing, must not take
    /// the machine down: 1 GiB, 8 iterations, 8 lanes, and at most [`KdfParams::MAX_WORK_KIB`]
    /// of memory passes in all.
    pub const MAX: Self = Self {
        memory_kib: 1024 * 1024,
        iterations: 8,
        parallelism: 8,
    };

    /// The most memory × iterations a file may demand, in KiB: 4 GiB of passes (1 GiB four
    /// times, or 512 MiB eight times), some seconds on a slow machine.
    pub const MAX_WORK_KIB: u64 = 4 * 1024 * 1024;

    /// Parameters for a backup, derived from the device's: a backup leaves the device (on a
    /// stick, in a cloud) and its passphrase faces offline guessing with no back-off, so it
    /// costs four times the memory and one more pass, within [`KdfParams::MAX`].
    pub fn for_backup(&self) -> Self {
        let memory_kib = self.memory_kib.saturating_mul(4).min(Self::MAX.memory_kib);
        let most_iterations = u32::try_from(Self::MAX_WORK_KIB / u64::from(memory_kib.max(1)))
            .unwrap_or(u32::MAX)
            .min(Self::MAX.iterations);
        Self {
            memory_kib,
            iterations: (self.iterations + 1).min(most_iterations).max(1),
            parallelism: self.parallelism,
        }
    }

    /// Parameters for new key files, refused when weaker than OWASP's minimum or costlier
    /// than [`KdfParams::MAX`].
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, KdfParamsError> {
        let strong_enough = (memory_kib >= Self::OWASP_MINIMUM.memory_kib && iterations >= 2)
            || (memory_kib >= 46 * 1024 && iterations >= 1);
        if !strong_enough {
            return Err(KdfParamsError::TooWeak {
                memory_kib,
                iterations,
            });
        }
        let params = Self {
            memory_kib,
            iterations,
            parallelism,
        };
        if !params.within_max() || parallelism == 0 {
            return Err(KdfParamsError::TooCostly {
                memory_kib,
                iterations,
                parallelism,
            });
        }
        Ok(params)
    }

    /// Tiny parameters (8 KiB, 1 iteration) so tests run in microseconds. They protect
    /// nothing, which is why they exist only with the `insecure-test-kdf` feature, which only
    /// this crate's own tests turn on.
    #[cfg(feature = "insecure-test-kdf")]
    pub fn insecure_for_tests() -> Self {
        Self {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Memory cost, in KiB.
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Number of passes over the memory.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Number of lanes.
    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }

    /// Parameters read from a file, accepted whatever their strength as long as they are
    /// within [`KdfParams::MAX`] and Argon2 can run them; `None` otherwise.
    pub(crate) fn from_file(memory_kib: u32, iterations: u32, parallelism: u32) -> Option<Self> {
        let params = Self {
            memory_kib,
            iterations,
            parallelism,
        };
        (params.within_max() && params.argon2_params().is_ok()).then_some(params)
    }

    /// Whether a file with these parameters is weaker than `wanted` in memory or time, and
    /// should be re-encrypted with `wanted`.
    pub(crate) fn weaker_than(&self, wanted: &Self) -> bool {
        self.memory_kib < wanted.memory_kib || self.iterations < wanted.iterations
    }

    fn within_max(&self) -> bool {
        self.memory_kib <= Self::MAX.memory_kib
            && self.iterations <= Self::MAX.iterations
            && self.parallelism <= Self::MAX.parallelism
            && u64::from(self.memory_kib) * u64::from(self.iterations) <= Self::MAX_WORK_KIB
    }

    /// The `argon2` crate's parameters, with a 32-byte output.
    pub(crate) fn argon2_params(&self) -> Result<argon2::Params, argon2::Error> {
        argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::RECOMMENDED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_meets_owasp_and_argon2_accepts_it() {
        let params = KdfParams::RECOMMENDED;
        assert_eq!(
            KdfParams::new(params.memory_kib, params.iterations, params.parallelism),
            Ok(params)
        );
        assert!(params.argon2_params().is_ok());
        assert!(!params.weaker_than(&KdfParams::OWASP_MINIMUM));
    }

    #[test]
    fn weaker_than_owasp_is_refused_for_new_files() {
        assert!(KdfParams::new(19 * 1024, 2, 1).is_ok());
        assert!(KdfParams::new(46 * 1024, 1, 1).is_ok());
        assert!(matches!(
            KdfParams::new(19 * 1024, 1, 1),
            Err(KdfParamsError::TooWeak { .. })
        ));
        assert!(matches!(
            KdfParams::new(8, 100, 1),
            Err(KdfParamsError::TooWeak { .. })
        ));
        assert!(matches!(
            KdfParams::new(u32::MAX, 3, 1),
            Err(KdfParamsError::TooCostly { .. })
        ));
    }

    #[test]
    fn files_may_not_demand_unbounded_work() {
        assert!(KdfParams::from_file(8, 1, 1).is_some());
        assert!(KdfParams::from_file(u32::MAX, 1, 1).is_none());
        assert!(KdfParams::from_file(64 * 1024, 1000, 1).is_none());
        assert!(KdfParams::from_file(64 * 1024, 3, 0).is_none());
        // Argon2 needs 8 KiB per lane.
        assert!(KdfParams::from_file(8, 1, 4).is_none());
    }
}
