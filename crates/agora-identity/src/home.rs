//! Where Agora keeps its data: `AGORA_HOME` when set, otherwise the platform's data directory
//! joined with `agora` (`$XDG_DATA_HOME/agora`, usually `~/.local/share/agora`, on Linux).

use std::ffi::OsStr;
use std::path::PathBuf;

use thiserror::Error;

/// The environment variable that overrides the data directory.
pub const AGORA_HOME: &str = "AGORA_HOME";

/// The directory, under the data directory, that holds the key store.
pub const KEYSTORE_DIR: &str = "identity";

/// No data directory could be found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "no data directory for Agora: this system has no home directory to put one in; set \
     AGORA_HOME to the directory Agora should use"
)]
pub struct HomeError;

/// Agora's data directory: `$AGORA_HOME` when it is set and not empty, otherwise the platform
/// data directory joined with `agora`.
pub fn default_home() -> Result<PathBuf, HomeError> {
    resolve_home(std::env::var_os(AGORA_HOME).as_deref())
}

/// [`default_home`] with the value of `AGORA_HOME` given by the caller (`None` when unset).
pub fn resolve_home(agora_home: Option<&OsStr>) -> Result<PathBuf, HomeError> {
    match agora_home {
        Some(home) if !home.is_empty() => Ok(PathBuf::from(home)),
        _ => directories::BaseDirs::new()
            .map(|dirs| dirs.data_dir().join("agora"))
            .ok_or(HomeError),
    }
}
