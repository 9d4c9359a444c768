//! The `agora` subcommands: plain functions over the domain crates that never open a window or
//! start Bevy. Each returns what to print, or a [`CommandError`] carrying the exit status the
//! command-line contract promises (DESIGN.md): 1 a negative answer, 2 a usage or input error,
//! 4 a failure of the machine (a disk, the random source).

#[cfg(feature = "evm")]
pub mod evm;
pub mod feeds;
pub mod gateway;
pub mod hold;
pub mod identity;
pub mod keys;
pub mod kiosk;
pub mod officer;
mod pin;
pub mod services;

use std::path::Path;
use std::sync::OnceLock;

use agora_gateway::{CatalogSource, CityError};

pub use pin::PinSource;

/// The catalog this process's commands use, once chosen.
static CATALOG: OnceLock<CatalogSource> = OnceLock::new();

/// The key store profile this process's commands use (`--profile NAME`), once chosen.
static PROFILE: OnceLock<String> = OnceLock::new();

/// Chooses the key store profile for this process: `--profile NAME`, such as an officer's key
/// beside a citizen's on one machine; [`identity::DEFAULT_PROFILE`] otherwise.
pub fn choose_profile(flag: Option<&str>) {
    let _ = PROFILE.set(flag.unwrap_or(identity::DEFAULT_PROFILE).to_owned());
}

/// The profile chosen for this process.
pub(crate) fn profile_name() -> &'static str {
    PROFILE
        .get()
        .map_or(identity::DEFAULT_PROFILE, String::as_str)
}

/// Chooses the catalog for this process: `--catalog DIR` when given, else the configuration
/// file's (`agora.json` in the data directory, or `$AGORA_CONFIG`), else the built-in demo.
/// Called once, before any command runs.
pub fn choose_catalog(flag: Option<&Path>) -> Result<CatalogSource, CommandError> {
    let home = agora_identity::default_home().map_err(|e| CommandError::failure(e.to_string()))?;
    let source = CatalogSource::configured(flag, &home)?;
    let _ = CATALOG.set(source.clone());
    Ok(source)
}

/// The catalog chosen for this process ([`choose_catalog`]), or the configured one.
pub(crate) fn catalog_source() -> Result<CatalogSource, CommandError> {
    match CATALOG.get() {
        Some(source) => Ok(source.clone()),
        None => choose_catalog(None),
    }
}

impl From<CityError> for CommandError {
    fn from(error: CityError) -> Self {
        if error.input {
            Self::input(error.message)
        } else {
            Self::failure(error.message)
        }
    }
}

/// A command that did not succeed: what to tell the person, and the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    /// The exit status.
    pub code: u8,
    /// One or more sentences saying what went wrong and what to do (standard error).
    pub message: String,
    /// The command's answer all the same, for standard output: the receipt of a rejected
    /// application is still the receipt.
    pub answer: Option<String>,
}

impl CommandError {
    /// A negative answer: "this is not valid", exit status 1.
    pub fn negative(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
            answer: None,
        }
    }

    /// Bad input or usage: a missing file, malformed JSON, a wrong PIN; exit status 2.
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
            answer: None,
        }
    }

    /// The machine failed us: a disk, the random source; exit status 4.
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            code: 4,
            message: message.into(),
            answer: None,
        }
    }

    /// The same error, with an answer printed on standard output beside it.
    pub fn with_answer(mut self, answer: impl Into<String>) -> Self {
        self.answer = Some(answer.into());
        self
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

/// Reads at most `limit` bytes of `file`, refusing a larger one (or an endless one, such as a
/// device) instead of filling memory.
pub(crate) fn read_limited(file: &Path, limit: u64) -> Result<Vec<u8>, CommandError> {
    use std::io::Read;
    let cannot =
        |e: std::io::Error| CommandError::input(format!("cannot read {}: {e}", file.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .map_err(cannot)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(CommandError::input(format!(
            "{} is larger than {limit} bytes, more than Agora reads for this",
            file.display()
        )));
    }
    Ok(bytes)
}
