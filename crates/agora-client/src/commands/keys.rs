//! `agora keys rotate | revoke`: a department's keys, for the city's operator.
//!
//! The public halves live in the catalog (`departments/<id>.json`, their history oldest
//! first); the secret halves in key files for the department's desk, one per key pair, written
//! readable by their owner only. A rotation adds a new pair valid from a time (the previous one
//! ends there); a revocation ends a compromised one from a time, whatever its period said.
//! Everything signed before either still verifies, because a decision counts if its key was
//! valid when the ledger recorded it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agora_gateway::{CatalogSource, DeskKeys};
use agora_identity::keystore::files::{Replace, write_private};
use agora_services::Catalog;
use agora_services::time_format::{format_utc, parse_utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::CommandError;

/// A department file as an operator keeps it, members in their documented order.
#[derive(Debug, Serialize, Deserialize)]
struct DepartmentFile {
    #[serde(flatten)]
    notes: BTreeMap<String, Value>,
    id: String,
    name: Value,
    keys: Vec<KeyEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyEntry {
    did: String,
    encryption_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revoked: Option<RevokedEntry>,
    #[serde(flatten)]
    notes: BTreeMap<String, Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokedEntry {
    from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// The catalog directory the keys belong to: only a city's.
fn catalog_dir() -> Result<PathBuf, CommandError> {
    match super::catalog_source()? {
        CatalogSource::Dir(dir) => Ok(dir),
        CatalogSource::Demo => Err(CommandError::input(
            "the keys of the built-in demo catalog are published and cannot change: name the city's catalog with --catalog DIR (a copy of assets/services/ is a start)",
        )),
    }
}

fn department_path(catalog: &Path, department: &str) -> PathBuf {
    catalog
        .join("departments")
        .join(format!("{department}.json"))
}

fn read_department(path: &Path) -> Result<DepartmentFile, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CommandError::input(format!(
            "{}: {e} (a department is a file departments/<id>.json in the catalog)",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| CommandError::input(format!("{}: {e}", path.display())))
}

/// Writes the department file back, then reads the whole catalog again so that a mistake is
/// named at once; says which departments are still on the demo's published keys.
fn write_department(
    catalog: &Path,
    path: &Path,
    file: &DepartmentFile,
) -> Result<(Catalog, String), CommandError> {
    let text =
        serde_json::to_string_pretty(file).map_err(|e| CommandError::failure(e.to_string()))?;
    let temporary = path.with_extension("json.new");
    std::fs::write(&temporary, text + "\n")
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| CommandError::failure(format!("cannot write {}: {e}", path.display())))?;
    let checked = Catalog::load_dir(catalog).map_err(|report| {
        CommandError::input(format!(
            "{} was written, but the catalog {} now has problems:\n{report}",
            path.display(),
            catalog.display()
        ))
    })?;
    let on_demo_keys: Vec<&str> = checked.on_demo_keys().map(|d| d.id.as_str()).collect();
    let note = if on_demo_keys.is_empty() {
        String::new()
    } else {
        format!(
            "\nstill on the demo's published keys, which a city's catalog refuses: {} (`agora keys rotate ID --first` each)",
            on_demo_keys.join(", ")
        )
    };
    Ok((checked, note))
}

fn parse_time(text: Option<&str>, what: &str) -> Result<OffsetDateTime, CommandError> {
    match text {
        None => Ok(agora_services::time_format::to_utc_second(
            OffsetDateTime::now_utc(),
        )),
        Some(text) => parse_utc(text).map_err(|e| {
            CommandError::input(format!(
                "{what}: {e}; write a UTC time such as 2027-01-01T00:00:00Z"
            ))
        }),
    }
}

/// `agora keys rotate DEPARTMENT --keys DIR [--from TIME] [--first]`: makes a new key pair for
/// the department, writes its secret key file into `keys` (for the department's desk) and adds
/// its public halves to the catalog, valid from `from` (now when absent); the previous key
/// ends there. With `first`, the new pair replaces the whole history and is valid since always:
/// for a city's catalog started from the demo's files.
pub fn rotate(
    department: &str,
    keys: &Path,
    from: Option<&str>,
    first: bool,
) -> Result<String, CommandError> {
    let catalog = catalog_dir()?;
    let path = department_path(&catalog, department);
    let mut file = read_department(&path)?;
    let from = if first {
        None
    } else {
        let from = parse_time(from, "--from")?;
        if let Some(previous) = file
            .keys
            .last()
            .and_then(|key| key.from.as_deref())
            .and_then(|text| parse_utc(text).ok())
            .filter(|previous| *previous >= from)
        {
            return Err(CommandError::input(format!(
                "--from {} is not after the newest key's from ({}): a rotation starts later",
                format_utc(from),
                format_utc(previous)
            )));
        }
        Some(from)
    };
    let (generated, secret) =
        DeskKeys::generate(department).map_err(|e| CommandError::failure(e.to_string()))?;
    let entry: KeyEntry = serde_json::from_value(generated.catalog_entry(from))
        .map_err(|e| CommandError::failure(e.to_string()))?;
    let did = generated.signing.did();
    let stamp = from.map_or_else(
        || "first".to_owned(),
        |from| format_utc(from).replace([':', '-'], ""),
    );
    let key_file = keys.join(format!("{department}-{stamp}.json"));
    // The secret first: a catalog must never name a key whose secret half was lost.
    write_private(&key_file, secret.as_bytes(), Replace::Never).map_err(|e| {
        CommandError::failure(format!(
            "cannot write the key file {}: {e}",
            key_file.display()
        ))
    })?;
    if first {
        file.keys = vec![entry];
    } else {
        file.keys.push(entry);
    }
    let (_, note) = write_department(&catalog, &path, &file)?;
    let when = from.map_or_else(
        || "since always".to_owned(),
        |from| format!("from {}", format_utc(from)),
    );
    Ok(format!(
        "the department `{department}` has a new key {did}, valid {when}\n\
         its secret half: {} (readable by you only): give it to the department's desk, beside its earlier key files, which still open what was sealed to them\n\
         publish the catalog {} to every client, kiosk and desk{note}",
        key_file.display(),
        catalog.display()
    ))
}

/// `agora keys revoke DEPARTMENT DID [--from TIME] --reason TEXT`: nothing the key signs from
/// `from` (now when absent) counts; what it signed before still does.
pub fn revoke(
    department: &str,
    did: &str,
    from: Option<&str>,
    reason: &str,
) -> Result<String, CommandError> {
    let catalog = catalog_dir()?;
    let path = department_path(&catalog, department);
    let mut file = read_department(&path)?;
    let from = parse_time(from, "--from")?;
    let Some(key) = file.keys.iter_mut().find(|key| key.did == did) else {
        return Err(CommandError::input(format!(
            "the department `{department}` has no key {did} (it has: {})",
            file.keys
                .iter()
                .map(|k| k.did.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    key.revoked = Some(RevokedEntry {
        from: format_utc(from),
        reason: Some(reason.to_owned()).filter(|r| !r.trim().is_empty()),
    });
    let (checked, note) = write_department(&catalog, &path, &file)?;
    let current = checked.department(department).and_then(|d| {
        d.key_at(OffsetDateTime::now_utc())
            .map(|k| k.did.to_string())
    });
    Ok(format!(
        "the key {did} of the department `{department}` is revoked from {}: decisions it signs from then on do not count\n{}\n\
         publish the catalog {} to every client, kiosk and desk{note}",
        format_utc(from),
        match current {
            Some(current) => format!("the department's key in use now: {current}"),
            None => format!(
                "the department has no valid key now: citizens cannot apply to its services until `agora keys rotate {department}` gives it one"
            ),
        },
        catalog.display()
    ))
}
