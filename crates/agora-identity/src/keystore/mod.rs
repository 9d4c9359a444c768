//! The key store: one encrypted Ed25519 key per profile, in a directory the caller chooses
//! (usually [`default_home`](crate::default_home)`()/`[`KEYSTORE_DIR`](crate::KEYSTORE_DIR)).
//!
//! Each profile `<name>` is a file `<name>.key` (see [`format`](mod@format) for its layout: Argon2id and
//! XChaCha20-Poly1305 under a versioned header), written atomically with mode 0600, and, after
//! wrong PINs, `<name>.key.attempts` holding the back-off record (see [`backoff`]). Backups
//! are the same format under their own passphrase. Secrets in memory are wiped when dropped.
//!
//! The store never sleeps: when the back-off asks for a wait, [`KeyStore::unlock`] returns
//! [`StoreError::LockedOut`] with the time left, before any key derivation is tried.

pub mod backoff;
pub mod files;
pub mod format;
mod kdf;

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use zeroize::Zeroizing;

use crate::clock::{Clock, SystemClock};
use crate::did_key::DidKey;
use crate::identity::{Identity, RandomError};
use crate::multikey::MultikeyError;
pub use backoff::BackoffPolicy;
use backoff::{Attempts, attempts_path, lock_path};
use files::Replace;
pub use format::Damage;
use format::{OpenError, SealError};
pub use kdf::{KdfParams, KdfParamsError};

/// The fewest characters a PIN or passphrase may have.
pub const MIN_PIN_CHARS: usize = 6;
/// The most bytes a PIN or passphrase may have.
pub const MAX_PIN_BYTES: usize = 1024;

/// A PIN or passphrase, wiped from memory when dropped and never printed.
pub struct Pin(Zeroizing<String>);

/// Why a PIN or passphrase is refused before it is tried.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PinError {
    /// Nothing was typed.
    #[error("the PIN is empty; choose one of at least {MIN_PIN_CHARS} characters")]
    Empty,
    /// Fewer than [`MIN_PIN_CHARS`] characters.
    #[error("the PIN has {found} characters; it needs at least {MIN_PIN_CHARS}")]
    TooShort {
        /// How many characters it has.
        found: usize,
    },
    /// More than [`MAX_PIN_BYTES`] bytes.
    #[error("the passphrase is longer than {MAX_PIN_BYTES} bytes")]
    TooLong,
}

impl Pin {
    /// Takes a PIN or passphrase, refusing one that is empty, shorter than [`MIN_PIN_CHARS`]
    /// characters, or longer than [`MAX_PIN_BYTES`] bytes. It is used exactly as given
    /// (callers strip the line ending of what they read).
    pub fn new(pin: String) -> Result<Self, PinError> {
        let pin = Zeroizing::new(pin);
        let chars = pin.chars().count();
        if chars == 0 {
            Err(PinError::Empty)
        } else if chars < MIN_PIN_CHARS {
            Err(PinError::TooShort { found: chars })
        } else if pin.len() > MAX_PIN_BYTES {
            Err(PinError::TooLong)
        } else {
            Ok(Self(pin))
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(…)")
    }
}

/// A profile name: 1 to 64 of `a-z`, `0-9`, `-` and `_`, so that it is a safe file name on
/// every platform (no case folding, no separators, no dots).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Profile(String);

/// Why a profile name is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{name}` is not a profile name: use 1 to 64 lower-case letters, digits, `-` or `_`")]
pub struct ProfileError {
    /// The name given.
    pub name: String,
}

impl Profile {
    /// The profile used when none is named.
    pub const DEFAULT: &str = "default";

    /// Checks a profile name.
    pub fn new(name: &str) -> Result<Self, ProfileError> {
        let valid = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'));
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(ProfileError {
                name: name.chars().take(80).collect(),
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether saving a key may replace a profile's existing key (or an existing backup file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse with [`StoreError::AlreadyExists`].
    Refuse,
    /// Replace it: the old key is lost unless it was backed up.
    Allow,
}

impl From<Overwrite> for Replace {
    fn from(overwrite: Overwrite) -> Self {
        match overwrite {
            Overwrite::Refuse => Replace::Never,
            Overwrite::Allow => Replace::Allowed,
        }
    }
}

/// Why a key store operation failed. The messages name the profile or file and say what to do.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The profile has no key yet.
    #[error(
        "profile `{profile}` has no identity yet (no {}): create one or import a backup",
        path.display()
    )]
    NoKey {
        /// The profile.
        profile: Profile,
        /// Where its key would be.
        path: PathBuf,
    },
    /// The profile (or backup file) already exists and overwriting was not asked for.
    #[error("{} already exists; refusing to overwrite it unless asked to", path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The PIN did not unlock the key.
    #[error("{}", wrong_pin_message(profile, *failures, *retry_after))]
    WrongPin {
        /// The profile.
        profile: Profile,
        /// Wrong PINs in a row, this one included.
        failures: u32,
        /// How long to wait before the next attempt; zero while free attempts remain.
        retry_after: Duration,
    },
    /// Too many wrong PINs: the next attempt must wait.
    #[error(
        "too many wrong PINs for profile `{profile}` ({failures} in a row): wait {} before \
         trying again",
        format_wait(*retry_after)
    )]
    LockedOut {
        /// The profile.
        profile: Profile,
        /// Wrong PINs in a row.
        failures: u32,
        /// How long to wait before the next attempt.
        retry_after: Duration,
    },
    /// The passphrase chosen for a backup is too easy to guess.
    #[error("that passphrase is too weak for a backup: {problem}")]
    WeakPassphrase {
        /// What is wrong with it.
        problem: String,
    },
    /// The backup passphrase did not decrypt the backup.
    #[error("wrong passphrase for the backup {}", path.display())]
    WrongBackupPassphrase {
        /// The backup file.
        path: PathBuf,
    },
    /// A key file or backup is damaged or not a key file.
    #[error("{} cannot be used: {damage}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        damage: Damage,
    },
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: "read", "write", "remove".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// Argon2 could not run (usually: not enough memory for its parameters).
    #[error("the PIN could not be stretched with Argon2id: {0}")]
    Kdf(String),
    /// No randomness for a key, salt or nonce.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The Multikey given for import is not an Ed25519 secret key.
    #[error("the secret key to import is unusable: {0}")]
    Multikey(#[from] MultikeyError),
    /// Encryption failed.
    #[error("the key could not be encrypted")]
    Encrypt,
}

fn wrong_pin_message(profile: &Profile, failures: u32, retry_after: Duration) -> String {
    let attempts = if failures == 1 {
        "1 wrong attempt".to_owned()
    } else {
        format!("{failures} wrong attempts in a row")
    };
    if retry_after.is_zero() {
        format!("wrong PIN for profile `{profile}` ({attempts})")
    } else {
        format!(
            "wrong PIN for profile `{profile}` ({attempts}); wait {} before trying again",
            format_wait(retry_after)
        )
    }
}

/// A wait as a person reads it: "45 s", "2 min 30 s", "1 h".
fn format_wait(wait: Duration) -> String {
    // Round up: "wait 0 s" would invite an attempt that is still refused.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut parts = Vec::new();
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if minutes > 0 {
        parts.push(format!("{minutes} min"));
    }
    if seconds > 0 || parts.is_empty() {
        parts.push(format!("{seconds} s"));
    }
    parts.join(" ")
}

impl From<SealError> for StoreError {
    fn from(error: SealError) -> Self {
        match error {
            SealError::Random(error) => Self::Random(error),
            SealError::Kdf(error) => Self::Kdf(error),
            SealError::Encrypt => Self::Encrypt,
        }
    }
}

/// The longest file the store reads; key files are [`format::FILE_LEN`] bytes, attempt
/// records a few dozen.
const READ_LIMIT: usize = 4096;

/// A directory of encrypted profile keys.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
    kdf: KdfParams,
    backoff: BackoffPolicy,
    clock: Arc<dyn Clock>,
}

impl KeyStore {
    /// The store in `dir` (created on first write), with production Argon2id parameters
    /// ([`KdfParams::RECOMMENDED`]), the default back-off and the system clock.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            kdf: KdfParams::RECOMMENDED,
            backoff: BackoffPolicy::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same store, writing new files with these Argon2id parameters. Files written with
    /// weaker ones are re-encrypted at their next unlock.
    pub fn with_kdf_params(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// The same store with another back-off policy.
    pub fn with_backoff(mut self, backoff: BackoffPolicy) -> Self {
        self.backoff = backoff;
        self
    }

    /// The same store reading the time from `clock` (tests use a clock they move by hand).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key file of `profile`.
    pub fn key_path(&self, profile: &Profile) -> PathBuf {
        self.dir.join(format!("{}.key", profile.as_str()))
    }

    /// Whether `profile` has a key.
    pub fn exists(&self, profile: &Profile) -> bool {
        self.key_path(profile).is_file()
    }

    /// Creates a new random identity for `profile`, encrypted under `pin`.
    pub fn create(
        &self,
        profile: &Profile,
        pin: &Pin,
        overwrite: Overwrite,
    ) -> Result<Identity, StoreError> {
        let identity = Identity::generate()?;
        self.save(profile, &identity, pin, overwrite)?;
        Ok(identity)
    }

    /// Stores `identity` as `profile`'s key, encrypted under `pin`.
    pub fn save(
        &self,
        profile: &Profile,
        identity: &Identity,
        pin: &Pin,
        overwrite: Overwrite,
    ) -> Result<(), StoreError> {
        let path = self.key_path(profile);
        if overwrite == Overwrite::Refuse && path.exists() {
            return Err(StoreError::AlreadyExists { path });
        }
        let bytes = format::seal(identity.signing_key(), pin, &self.kdf)?;
        write(&path, &bytes, overwrite.into())?;
        // A new key starts with a clean record.
        remove(&attempts_path(&path))
    }

    /// Imports an Ed25519 secret key written as a Multikey (`z3u2…`) as `profile`'s key.
    pub fn import_multikey(
        &self,
        profile: &Profile,
        secret_multikey: &str,
        pin: &Pin,
        overwrite: Overwrite,
    ) -> Result<DidKey, StoreError> {
        let identity = Identity::from_secret_multikey(secret_multikey)?;
        self.save(profile, &identity, pin, overwrite)?;
        Ok(identity.did())
    }

    /// The did:key of `profile`, read from its key file's header without the PIN. The header
    /// is authenticated only when the key is unlocked, which also checks the two agree.
    pub fn did(&self, profile: &Profile) -> Result<DidKey, StoreError> {
        let path = self.key_path(profile);
        let sealed = self.read_sealed(profile, &path)?;
        Ok(DidKey::from_public_key(*sealed.public_key()))
    }

    /// Unlocks `profile`'s key with `pin`.
    ///
    /// While the back-off asks for a wait this fails with [`StoreError::LockedOut`] without
    /// trying the PIN. A wrong PIN fails with [`StoreError::WrongPin`] and is recorded; a
    /// damaged file fails with [`StoreError::Corrupt`] and is not counted. A correct PIN
    /// clears the record, and re-encrypts the key if the store's Argon2id parameters have
    /// been raised since it was written.
    ///
    /// Unlocks of one profile take turns (a lock file, `<name>.key.lock`, held for the whole
    /// attempt), and each attempt is counted before the key is derived, so neither processes
    /// running side by side nor one killed during Argon2 try a PIN for free.
    pub fn unlock(&self, profile: &Profile, pin: &Pin) -> Result<Identity, StoreError> {
        let path = self.key_path(profile);
        let sealed = self.read_sealed(profile, &path)?;
        let _turn = self.take_turn(&path)?;
        let record_path = attempts_path(&path);
        let now = self.clock.now();
        let (attempts, unreadable) = self.read_attempts(&record_path)?;
        if unreadable || backoff::unix_seconds(now) < attempts.last_failure {
            // A damaged record is replaced once, so its wait runs out; a clock that went
            // back counts the wait from now rather than from a future time.
            let moved = Attempts {
                last_failure: backoff::unix_seconds(now).min(attempts.last_failure),
                ..attempts
            };
            write(&record_path, moved.to_text().as_bytes(), Replace::Allowed)?;
        }
        let retry_after = attempts.remaining_wait(&self.backoff, now);
        if !retry_after.is_zero() {
            return Err(StoreError::LockedOut {
                profile: profile.clone(),
                failures: attempts.failures,
                retry_after,
            });
        }
        let counted = attempts.failed(now);
        write(&record_path, counted.to_text().as_bytes(), Replace::Allowed)?;
        let uncount = || match attempts.failures {
            0 => remove(&record_path),
            _ => write(
                &record_path,
                attempts.to_text().as_bytes(),
                Replace::Allowed,
            ),
        };
        match sealed.open(pin) {
            Ok(key) => {
                remove(&record_path)?;
                if sealed.kdf().weaker_than(&self.kdf) {
                    let bytes = format::seal(&key, pin, &self.kdf)?;
                    write(&path, &bytes, Replace::Allowed)?;
                }
                Ok(Identity::from_signing_key(key))
            }
            Err(OpenError::WrongPin) => Err(StoreError::WrongPin {
                profile: profile.clone(),
                failures: counted.failures,
                retry_after: self.backoff.delay_after(counted.failures),
            }),
            // Not a wrong PIN: the attempt is not held against the citizen.
            Err(OpenError::Damaged(damage)) => {
                uncount()?;
                Err(StoreError::Corrupt { path, damage })
            }
            Err(OpenError::Kdf(error)) => {
                uncount()?;
                Err(StoreError::Kdf(error))
            }
        }
    }

    /// Waits for, and holds until dropped, the lock on `key_path`'s PIN attempts.
    fn take_turn(&self, key_path: &Path) -> Result<fs::File, StoreError> {
        let path = lock_path(key_path);
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(io_error("open", &path))?;
        file.lock().map_err(io_error("lock", &path))?;
        Ok(file)
    }

    /// The back-off state of `profile`: wrong PINs in a row and the wait before the next
    /// attempt (zero when one may be made now).
    pub fn lockout(&self, profile: &Profile) -> Result<(u32, Duration), StoreError> {
        let (attempts, _) = self.read_attempts(&attempts_path(&self.key_path(profile)))?;
        let wait = attempts.remaining_wait(&self.backoff, self.clock.now());
        Ok((attempts.failures, wait))
    }

    /// Unlocks `profile` with `pin` and writes its key to `backup` encrypted under
    /// `passphrase` (same format, fresh salt and nonce, mode 0600).
    pub fn export_backup(
        &self,
        profile: &Profile,
        pin: &Pin,
        backup: &Path,
        passphrase: &Pin,
        overwrite: Overwrite,
    ) -> Result<DidKey, StoreError> {
        if overwrite == Overwrite::Refuse && backup.exists() {
            return Err(StoreError::AlreadyExists {
                path: backup.to_owned(),
            });
        }
        check_backup_passphrase(passphrase, pin)?;
        let identity = self.unlock(profile, pin)?;
        let bytes = format::seal(identity.signing_key(), passphrase, &self.kdf.for_backup())?;
        write(backup, &bytes, overwrite.into())?;
        Ok(identity.did())
    }

    /// Reads the backup file `backup` with `passphrase` and stores its key as `profile`'s,
    /// encrypted under `pin`.
    pub fn import_backup(
        &self,
        profile: &Profile,
        backup: &Path,
        passphrase: &Pin,
        pin: &Pin,
        overwrite: Overwrite,
    ) -> Result<DidKey, StoreError> {
        let identity = open_backup(backup, passphrase)?;
        self.save(profile, &identity, pin, overwrite)?;
        Ok(identity.did())
    }

    fn read_sealed(&self, profile: &Profile, path: &Path) -> Result<format::Sealed, StoreError> {
        let bytes = match files::read_limited(path, READ_LIMIT) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NoKey {
                    profile: profile.clone(),
                    path: path.to_owned(),
                });
            }
            other => other.map_err(io_error("read", path))?,
        };
        format::parse(&bytes).map_err(|damage| StoreError::Corrupt {
            path: path.to_owned(),
            damage,
        })
    }

    /// The back-off record, and whether it was unreadable (see [`Attempts::read`]).
    fn read_attempts(&self, path: &Path) -> Result<(Attempts, bool), StoreError> {
        match files::read_limited(path, READ_LIMIT) {
            Ok(bytes) => Ok(Attempts::read(
                &String::from_utf8_lossy(&bytes),
                &self.backoff,
                self.clock.now(),
            )),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                Ok((Attempts::default(), false))
            }
            Err(error) => Err(io_error("read", path)(error)),
        }
    }
}

/// Decrypts a backup file with its passphrase. The back-off does not apply: a backup is
/// a file the citizen carries, and Argon2id is its protection.
pub fn open_backup(backup: &Path, passphrase: &Pin) -> Result<Identity, StoreError> {
    let bytes = files::read_limited(backup, READ_LIMIT).map_err(io_error("read", backup))?;
    let sealed = format::parse(&bytes).map_err(|damage| StoreError::Corrupt {
        path: backup.to_owned(),
        damage,
    })?;
    match sealed.open(passphrase) {
        Ok(key) => Ok(Identity::from_signing_key(key)),
        Err(OpenError::WrongPin) => Err(StoreError::WrongBackupPassphrase {
            path: backup.to_owned(),
        }),
        Err(OpenError::Damaged(damage)) => Err(StoreError::Corrupt {
            path: backup.to_owned(),
            damage,
        }),
        Err(OpenError::Kdf(error)) => Err(StoreError::Kdf(error)),
    }
}

/// Wraps an I/O error with what was being done to which file.
fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_owned();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

fn write(path: &Path, bytes: &[u8], replace: Replace) -> Result<(), StoreError> {
    files::write_private(path, bytes, replace).map_err(|error| {
        if error.kind() == io::ErrorKind::AlreadyExists {
            StoreError::AlreadyExists {
                path: path.to_owned(),
            }
        } else {
            io_error("write", path)(error)
        }
    })
}

fn remove(path: &Path) -> Result<(), StoreError> {
    files::remove_if_present(path).map_err(io_error("remove", path))
}

/// The fewest characters a backup passphrase may have.
pub const MIN_BACKUP_PASSPHRASE_CHARS: usize = 12;

/// A backup can be guessed at offline, with no back-off: its passphrase must be at least
/// [`MIN_BACKUP_PASSPHRASE_CHARS`] characters, not mostly one character repeated, and not
/// the PIN that already sits beside the key on the device.
fn check_backup_passphrase(passphrase: &Pin, pin: &Pin) -> Result<(), StoreError> {
    let text = passphrase.0.as_str();
    let chars = text.chars().count();
    let distinct = text.chars().collect::<std::collections::HashSet<_>>().len();
    let problem = if chars < MIN_BACKUP_PASSPHRASE_CHARS {
        Some(format!(
            "it has {chars} characters; a backup needs at least {MIN_BACKUP_PASSPHRASE_CHARS} (a few words make a good one)"
        ))
    } else if distinct < 5 {
        Some("it repeats too few characters; use a few words".to_owned())
    } else if text == pin.0.as_str() {
        Some("it is the profile's PIN; a backup needs a passphrase of its own".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(StoreError::WeakPassphrase { problem }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_like_a_person_would_say_them() {
        assert_eq!(format_wait(Duration::from_secs(45)), "45 s");
        assert_eq!(format_wait(Duration::from_secs(150)), "2 min 30 s");
        assert_eq!(format_wait(Duration::from_secs(3600)), "1 h");
        assert_eq!(format_wait(Duration::from_millis(200)), "1 s");
    }

    #[test]
    fn pins_must_be_long_enough() {
        assert_eq!(Pin::new(String::new()).err(), Some(PinError::Empty));
        assert_eq!(
            Pin::new("12345".to_owned()).err(),
            Some(PinError::TooShort { found: 5 })
        );
        assert!(Pin::new("123456".to_owned()).is_ok());
        // Characters, not bytes: six CJK characters are a six-character passphrase.
        assert!(Pin::new("口令口令口令".to_owned()).is_ok());
        assert_eq!(Pin::new("x".repeat(2000)).err(), Some(PinError::TooLong));
    }

    #[test]
    fn profile_names_are_safe_file_names() {
        assert!(Profile::new("default").is_ok());
        assert!(Profile::new("kiosk_2-a").is_ok());
        for bad in ["", "../x", "A", "a.b", "a/b", "é", &"x".repeat(65)] {
            assert!(Profile::new(bad).is_err(), "{bad}");
        }
    }
}
