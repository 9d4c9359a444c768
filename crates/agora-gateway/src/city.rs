//! Opening a city's stack: the service catalog, the ledger, the desk and the citizen's archive,
//! by one constructor that the commands, the plaza, the kiosk and the department's desk share.
//!
//! The catalog is the city's own directory (`--catalog DIR`, or `"catalog"` in the data
//! directory's `agora.json`), or, for the offline demo only, the one built in with the demo
//! departments' published keys. A city's directory is refused if any of its departments uses
//! one of those keys: anyone can sign with them.
//!
//! ```json
//! { "catalog": "/etc/agora/catalog" }
//! ```
//!
//! (`agora.json`: `catalog` relative to the file's folder; `$AGORA_CONFIG` names another file.)

use std::path::{Path, PathBuf};

use agora_services::Catalog;
use serde::Deserialize;

use crate::archive::{ARCHIVE_FILE, Archive};
use crate::backend::{Ledger, LocalLedger};
use crate::desk::{DESK_FILE, Desk, DeskKeys};

/// The configuration file's name in the data directory.
pub const CONFIG_FILE: &str = "agora.json";

/// The environment variable that names another configuration file.
pub const CONFIG_ENV: &str = "AGORA_CONFIG";

/// The embedded ledger's directory under the data directory.
pub const LEDGER_DIR: &str = "ledger";

/// Why a city's stack cannot be opened: what is wrong, and whether it is the input's fault
/// (a file, a setting) or the machine's (a disk).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CityError {
    /// Whether the input is at fault, not the machine.
    pub input: bool,
    /// What is wrong, and what to do.
    pub message: String,
}

impl CityError {
    /// A problem with a file or setting.
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            input: true,
            message: message.into(),
        }
    }

    /// A problem of the machine: a disk, a database.
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            input: false,
            message: message.into(),
        }
    }
}

/// Where the service catalog comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSource {
    /// The catalog built in, with the demo departments' published keys: the offline demo.
    Demo,
    /// A city's catalog directory.
    Dir(PathBuf),
}

/// What `agora.json` holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// The city's catalog directory, relative to the file's folder.
    catalog: Option<PathBuf>,
}

impl CatalogSource {
    /// The catalog to use: `flag` (`--catalog DIR`) when given, else the configuration file's
    /// `catalog` (`$AGORA_CONFIG`, or `agora.json` in the data directory `home`), else the
    /// demo.
    pub fn configured(flag: Option<&Path>, home: &Path) -> Result<Self, CityError> {
        if let Some(dir) = flag {
            return Ok(Self::Dir(dir.to_owned()));
        }
        let path = std::env::var_os(CONFIG_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(CONFIG_FILE));
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if std::env::var_os(CONFIG_ENV).is_some() {
                    return Err(CityError::input(format!(
                        "{CONFIG_ENV} names {}, which does not exist",
                        path.display()
                    )));
                }
                return Ok(Self::Demo);
            }
            Err(error) => {
                return Err(CityError::input(format!("{}: {error}", path.display())));
            }
        };
        let config: Config = serde_json::from_str(&text)
            .map_err(|error| CityError::input(format!("{}: {error}", path.display())))?;
        Ok(match config.catalog {
            Some(dir) if dir.is_absolute() => Self::Dir(dir),
            Some(dir) => Self::Dir(path.parent().unwrap_or(Path::new(".")).join(dir)),
            None => Self::Demo,
        })
    }

    /// Reads and checks the catalog. A directory with problems is refused with the same
    /// report `agora services check` prints; one whose departments use the demo keys is
    /// refused outright.
    pub fn open(&self) -> Result<Catalog, CityError> {
        match self {
            Self::Demo => Catalog::embedded().map_err(|report| {
                CityError::failure(format!("the built-in service catalog is broken:\n{report}"))
            }),
            Self::Dir(dir) => {
                if !dir.is_dir() {
                    return Err(CityError::input(format!(
                        "the catalog {} is not a directory",
                        dir.display()
                    )));
                }
                let catalog = Catalog::load_dir(dir).map_err(|report| {
                    CityError::input(format!(
                        "the catalog {} has {} problems (`agora services check {}` lists them too):\n{report}",
                        dir.display(),
                        report.problems.len(),
                        dir.display()
                    ))
                })?;
                if let Some(department) = catalog.on_demo_keys().next() {
                    return Err(CityError::input(format!(
                        "the catalog {}: the department `{}` uses a demo department's key, whose secret half is published with Agora, so anyone could sign its decisions; make the city's own keys with `agora keys rotate {} --first --catalog {} --keys DIR`",
                        dir.display(),
                        department.id,
                        department.id,
                        dir.display()
                    )));
                }
                Ok(catalog)
            }
        }
    }

    /// What it is, in a few words, for the operator.
    pub fn describe(&self) -> String {
        match self {
            Self::Demo => "the built-in demo catalog".to_owned(),
            Self::Dir(dir) => format!("the catalog {}", dir.display()),
        }
    }
}

/// The ledger to use: the embedded one in the data directory, or a city's registry on a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerSpec {
    /// The embedded ledger in the data directory.
    Local,
    /// The registry on a chain, through the node at this URL, as the data directory's
    /// `evm-ledger.json` says (`evm::settings`).
    Evm(String),
}

impl LedgerSpec {
    /// Reads `local` or `evm:URL`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        match spec.strip_prefix("evm:") {
            _ if spec == "local" => Ok(Self::Local),
            Some(url) if cfg!(feature = "evm") => {
                if url.starts_with("http://") || url.starts_with("https://") {
                    Ok(Self::Evm(url.to_owned()))
                } else {
                    Err(format!(
                        "`{spec}`: expected evm: and the node's http:// or https:// URL"
                    ))
                }
            }
            Some(_) => Err(format!(
                "`{spec}`: this agora was built without the EVM ledger (cargo feature `evm`)"
            )),
            None => Err(format!(
                "`{spec}` is not a ledger: use `local` or `evm:URL`"
            )),
        }
    }

    /// Opens the ledger for the data directory `home`.
    pub fn open(&self, home: &Path, catalog: &Catalog) -> Result<Box<dyn Ledger>, CityError> {
        match self {
            Self::Local => Ok(Box::new(
                LocalLedger::open(&home.join(LEDGER_DIR), catalog.clone())
                    .map_err(|e| CityError::failure(e.to_string()))?,
            )),
            #[cfg(feature = "evm")]
            Self::Evm(url) => Ok(Box::new(crate::evm::settings::open(url, home, catalog)?)),
            #[cfg(not(feature = "evm"))]
            Self::Evm(_) => Err(CityError::input(
                "--ledger evm: this agora was built without the EVM ledger (cargo feature `evm`)",
            )),
        }
    }
}

/// A citizen's side of a city, opened together: the catalog, the ledger, the archive and
/// outbox, and (for the offline demo only) the in-process desk with the demo departments'
/// keys, so that a lone citizen gets decisions. With a city's catalog the departments' own
/// desks decide (`agora desk`).
pub struct Stack {
    /// The service catalog.
    pub catalog: Catalog,
    /// Where it came from.
    pub source: CatalogSource,
    /// The ledger.
    pub ledger: Box<dyn Ledger>,
    /// The citizen's archive and outbox.
    pub archive: Archive,
    /// The in-process desk of the demo.
    pub desk: Option<Desk>,
}

impl Stack {
    /// Opens everything in the data directory `home` (made private to its owner first: the
    /// archive holds answers in the clear).
    pub fn open(home: &Path, source: &CatalogSource, spec: &LedgerSpec) -> Result<Self, CityError> {
        private_home(home)?;
        let archive = Archive::open(&home.join(ARCHIVE_FILE))
            .map_err(|e| CityError::failure(e.to_string()))?;
        Self::open_with(home, source, spec, archive)
    }

    /// The stack of a kiosk's visit: the ledger (and, for the demo, the desk) as [`Stack::open`]
    /// opens them in the kiosk's data directory `home`, with an archive that lives in memory
    /// and goes with the visit.
    pub fn open_visit(
        home: &Path,
        source: &CatalogSource,
        spec: &LedgerSpec,
    ) -> Result<Self, CityError> {
        let archive = Archive::in_memory().map_err(|e| CityError::failure(e.to_string()))?;
        Self::open_with(home, source, spec, archive)
    }

    fn open_with(
        home: &Path,
        source: &CatalogSource,
        spec: &LedgerSpec,
        archive: Archive,
    ) -> Result<Self, CityError> {
        private_home(home)?;
        let catalog = source.open()?;
        let ledger = spec.open(home, &catalog)?;
        let desk = match (source, spec) {
            (CatalogSource::Demo, LedgerSpec::Local) => {
                let keys = DeskKeys::demo().map_err(|e| CityError::failure(e.to_string()))?;
                Some(
                    Desk::open(catalog.clone(), keys, &home.join(DESK_FILE))
                        .map_err(|e| CityError::failure(e.to_string()))?,
                )
            }
            _ => None,
        };
        Ok(Self {
            catalog,
            source: source.clone(),
            ledger,
            archive,
            desk,
        })
    }
}

/// A department's desk on its own, opened: the catalog, the ledger, and the department keys
/// (`keys`, a directory of key files; the demo departments' keys only with the demo catalog).
pub fn open_desk(
    home: &Path,
    source: &CatalogSource,
    spec: &LedgerSpec,
    keys: Option<&Path>,
) -> Result<(Desk, Box<dyn Ledger>), CityError> {
    let catalog = source.open()?;
    let keys = match (keys, source) {
        (Some(dir), _) => DeskKeys::load_dir(dir).map_err(|e| CityError::input(e.to_string()))?,
        (None, CatalogSource::Demo) => {
            DeskKeys::demo().map_err(|e| CityError::failure(e.to_string()))?
        }
        (None, CatalogSource::Dir(dir)) => {
            return Err(CityError::input(format!(
                "the desk for the catalog {} needs its departments' keys: --keys DIR",
                dir.display()
            )));
        }
    };
    let ledger = spec.open(home, &catalog)?;
    let desk = Desk::open(catalog, keys, &home.join(DESK_FILE))
        .map_err(|e| CityError::input(e.to_string()))?;
    Ok((desk, ledger))
}

/// Makes the data directory `home` (created when missing) private to its owner.
fn private_home(home: &Path) -> Result<(), CityError> {
    agora_identity::keystore::files::create_private_dir(home)
        .and_then(|()| agora_identity::keystore::files::make_private(home))
        .map_err(|e| CityError::failure(format!("cannot make {} private: {e}", home.display())))
}
