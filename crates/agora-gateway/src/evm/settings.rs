//! The configuration of the EVM ledger on one machine: which registry on which chain, and
//! whose account sends this machine's transactions.
//!
//! The configuration file (JSON; `$AGORA_EVM_CONFIG`, or `evm-ledger.json` in the data
//! directory):
//!
//! ```json
//! {
//!   "chain_id": 1337,
//!   "registry": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
//!   "deployed_at": 1,
//!   "confirmations": 2,
//!   "key_file": "submitter.key"
//! }
//! ```
//!
//! On a public chain, `"inbox": "DIR"` anchors digests only: each batch's submissions (answers
//! sealed) go to that folder, the departments' inbox (a share the city's kiosks, relays and
//! desks mount), instead of into the chain's call data, and readers take them from there.
//!
//! The account's secret key (secp256k1, `0x` and 64 hexadecimal digits, as Ethereum tools
//! write it) comes from `key_file` (relative to the configuration's folder; it must be
//! readable by its owner only) or from the environment variable `key_env` names, never from
//! the command line, and is never printed. A citizen's client and a kiosk use a submitter
//! account; a department's desk uses the department's own account, the one the registry
//! names for its services.

use std::path::{Path, PathBuf};

use agora_services::Catalog;
use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use serde::{Deserialize, Serialize};

use super::{EvmConfig, EvmLedger};
use crate::city::CityError;

/// The configuration file's name in the data directory.
pub const CONFIG_FILE: &str = "evm-ledger.json";

/// The environment variable that names another configuration file.
pub const CONFIG_ENV: &str = "AGORA_EVM_CONFIG";

/// What the configuration file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The chain id the node must be on.
    pub chain_id: u64,
    /// The registry's address.
    pub registry: Address,
    /// The block the registry was deployed in.
    #[serde(default)]
    pub deployed_at: u64,
    /// How many blocks must follow a transaction's before it counts.
    #[serde(default = "default_confirmations")]
    pub confirmations: u64,
    /// The account key's file, relative to the configuration's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// The environment variable that holds the account key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_env: Option<String>,
    /// Digests only: the folder (relative to the configuration's) where batches' submissions
    /// go instead of into the chain's call data, and where readers find them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<PathBuf>,
}

/// The confirmations a configuration asks for when it names none.
pub fn default_confirmations() -> u64 {
    2
}

/// Where the configuration file is: `$AGORA_EVM_CONFIG`, or in the data directory `home`.
pub fn config_path(home: &Path) -> PathBuf {
    std::env::var_os(CONFIG_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(CONFIG_FILE))
}

/// Reads the configuration file at `path`.
pub fn read_settings(path: &Path) -> Result<Settings, CityError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CityError::input(format!(
            "--ledger evm: needs its configuration file {} ({e}); `agora ledger deploy` writes one, or set {CONFIG_ENV}",
            path.display()
        ))
    })?;
    let settings: Settings = serde_json::from_str(&text)
        .map_err(|e| CityError::input(format!("{}: {e}", path.display())))?;
    if settings.key_file.is_some() == settings.key_env.is_some() {
        return Err(CityError::input(format!(
            "{}: name the account key in exactly one of `key_file` and `key_env`",
            path.display()
        )));
    }
    Ok(settings)
}

/// Reads a secret key from a file that only its owner may read.
pub fn read_key_file(path: &Path) -> Result<PrivateKeySigner, CityError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .map_err(|e| CityError::input(format!("the key file {}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(CityError::input(format!(
                "the key file {} can be read by others (mode {:o}): `chmod 600` it first",
                path.display(),
                mode & 0o777
            )));
        }
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| CityError::input(format!("the key file {}: {e}", path.display())))?,
    );
    parse_key(text.trim())
        .map_err(|problem| CityError::input(format!("the key file {}: {problem}", path.display())))
}

fn parse_key(text: &str) -> Result<PrivateKeySigner, String> {
    text.parse::<PrivateKeySigner>()
        .map_err(|_| "not a secp256k1 secret key (0x and 64 hexadecimal digits)".to_owned())
}

/// The account key the settings name.
/// `path` as the configuration file `config` names it: relative to the file's folder.
fn beside(config: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        config.parent().unwrap_or(Path::new(".")).join(path)
    }
}

fn account(settings: &Settings, config: &Path) -> Result<PrivateKeySigner, CityError> {
    match (&settings.key_file, &settings.key_env) {
        (Some(file), _) => read_key_file(&beside(config, file)),
        (None, Some(variable)) => {
            let text = zeroize::Zeroizing::new(std::env::var(variable).map_err(|_| {
                CityError::input(format!(
                    "{}: the environment variable {variable} that should hold the account key is not set",
                    config.display()
                ))
            })?);
            parse_key(text.trim()).map_err(|problem| {
                CityError::input(format!("the environment variable {variable}: {problem}"))
            })
        }
        (None, None) => Err(CityError::input(format!(
            "{}: no account key (key_file or key_env)",
            config.display()
        ))),
    }
}

/// Opens the registry at `url` as the configuration in the data directory `home` says (it
/// connects on first use).
pub fn open(url: &str, home: &Path, catalog: &Catalog) -> Result<EvmLedger, CityError> {
    let path = config_path(home);
    let settings = read_settings(&path)?;
    let key = account(&settings, &path)?;
    let config = EvmConfig {
        deployed_at: settings.deployed_at,
        confirmations: settings.confirmations,
        inbox: settings.inbox.as_ref().map(|inbox| beside(&path, inbox)),
        ..EvmConfig::new(url, settings.chain_id, settings.registry)
    };
    Ok(EvmLedger::new(config, catalog.clone(), key))
}
