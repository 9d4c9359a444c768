//! The department file: one JSON file per department, `departments/<id>.json`, with the
//! history of its keys.
//!
//! ```json
//! {
//!   "id": "transport",
//!   "name": {"en": "Transport Bureau", "zh-CN": "交通运输局"},
//!   "keys": [
//!     {"did": "did:key:z6Mk…", "encryption_key": "z6LS…", "until": "2027-01-01T00:00:00Z"},
//!     {"did": "did:key:z6Mk…", "encryption_key": "z6LS…", "from": "2027-01-01T00:00:00Z",
//!      "revoked": {"from": "2027-03-05T08:00:00Z", "reason": "the desk's disk was stolen"}}
//!   ]
//! }
//! ```
//!
//! Each key is a pair: the Ed25519 `did:key` the department's desk signs decisions with, and
//! the X25519 key citizens seal their answers to. A key is valid from `from` (since always
//! when absent: only the first may leave it out) until `until` (absent: until the next key's
//! `from`, or for ever for the newest), and never from its `revoked.from` on. A decision counts
//! only if the key that signed it was valid when the ledger anchored the decision, so rotating
//! a key breaks nothing already decided, and a key revoked from a date signs nothing after it.
//! Keys are listed oldest first; an explicit `until` after the next key's `from` lets two keys
//! overlap while desks change over.

use agora_identity::DidKey;
use serde_json::Value;
use time::OffsetDateTime;

use super::Problem;
use crate::keys::EncryptionKey;
use crate::lang::Text;
use crate::policy::is_slug;
use crate::read::{Obj, Problems, kind};
use crate::time_format::{format_utc, parse_utc};

/// The most keys one department's history may hold.
pub const MAX_KEYS: usize = 64;

/// A department of the city: its name and its keys over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// A short id, such as `transport`: its file is `departments/<id>.json`.
    pub id: String,
    /// Its name.
    pub name: Text,
    /// Its keys, oldest first; never empty.
    pub keys: Vec<DepartmentKey>,
}

/// One of a department's key pairs and when it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentKey {
    /// The did:key its desk signs decisions with.
    pub did: DidKey,
    /// The X25519 key citizens seal their answers to.
    pub encryption_key: EncryptionKey,
    /// Valid from this time; since always when `None`.
    pub from: Option<OffsetDateTime>,
    /// Valid until this time (exclusive); for ever when `None`. The file's `until`, or the
    /// next key's `from`.
    pub until: Option<OffsetDateTime>,
    /// Revoked from this time on, with the reason given.
    pub revoked: Option<Revocation>,
}

/// A key's revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Nothing the key signs from this time on counts.
    pub from: OffsetDateTime,
    /// Why, in the operator's words.
    pub reason: Option<String>,
}

/// Why a department key does not vouch for a signature at a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    /// The signer is none of the department's keys.
    #[error("{signer} is not a key of the department `{department}`")]
    NotTheDepartments {
        /// The department.
        department: String,
        /// Who signed.
        signer: String,
    },
    /// The key was not yet valid.
    #[error(
        "the key {signer} of the department `{department}` is valid only from {from}, and this was recorded on {at}"
    )]
    NotYetValid {
        /// The department.
        department: String,
        /// Who signed.
        signer: String,
        /// When it becomes valid.
        from: String,
        /// When the signature was recorded.
        at: String,
    },
    /// The key had been replaced.
    #[error(
        "the key {signer} of the department `{department}` was valid until {until}, and this was recorded on {at}"
    )]
    Expired {
        /// The department.
        department: String,
        /// Who signed.
        signer: String,
        /// When it stopped being valid.
        until: String,
        /// When the signature was recorded.
        at: String,
    },
    /// The key had been revoked.
    #[error(
        "the key {signer} of the department `{department}` is revoked from {from}{reason}, and this was recorded on {at}"
    )]
    Revoked {
        /// The department.
        department: String,
        /// Who signed.
        signer: String,
        /// When it was revoked.
        from: String,
        /// Why, as ` (because …)`, or empty.
        reason: String,
        /// When the signature was recorded.
        at: String,
    },
}

impl DepartmentKey {
    /// Whether the key is valid at `at`: within its period and not revoked.
    pub fn is_valid_at(&self, at: OffsetDateTime) -> bool {
        self.from.is_none_or(|from| from <= at)
            && self.until.is_none_or(|until| at < until)
            && self.revoked.as_ref().is_none_or(|r| at < r.from)
    }
}

impl Department {
    /// The key to use at `at`, for sealing to and for signing: the newest valid one.
    pub fn key_at(&self, at: OffsetDateTime) -> Option<&DepartmentKey> {
        self.keys.iter().rev().find(|key| key.is_valid_at(at))
    }

    /// The key `did`, if it was valid at `at` (when the ledger recorded what it signed).
    pub fn signer_at(
        &self,
        did: &DidKey,
        at: OffsetDateTime,
    ) -> Result<&DepartmentKey, KeyProblem> {
        let key = self
            .keys
            .iter()
            .find(|key| key.did == *did)
            .ok_or_else(|| KeyProblem::NotTheDepartments {
                department: self.id.clone(),
                signer: did.to_string(),
            })?;
        let department = self.id.clone();
        let signer = did.to_string();
        let when = format_utc(at);
        if let Some(revoked) = key.revoked.as_ref().filter(|r| at >= r.from) {
            return Err(KeyProblem::Revoked {
                department,
                signer,
                from: format_utc(revoked.from),
                reason: revoked
                    .reason
                    .as_ref()
                    .map(|r| format!(" (because {r})"))
                    .unwrap_or_default(),
                at: when,
            });
        }
        if let Some(from) = key.from.filter(|from| at < *from) {
            return Err(KeyProblem::NotYetValid {
                department,
                signer,
                from: format_utc(from),
                at: when,
            });
        }
        if let Some(until) = key.until.filter(|until| at >= *until) {
            return Err(KeyProblem::Expired {
                department,
                signer,
                until: format_utc(until),
                at: when,
            });
        }
        Ok(key)
    }

    /// Whether `did` is one of its keys, whatever its period.
    pub fn has_key(&self, did: &DidKey) -> bool {
        self.keys.iter().any(|key| key.did == *did)
    }
}

/// Reads a department file named `file` (its base name must be `<id>.json`).
pub(crate) fn parse(file: &str, text: &str) -> Result<Department, Vec<Problem>> {
    super::parse_file(file, text, |value, problems| {
        read_department(file, value, problems)
    })
}

fn read_department(file: &str, value: &Value, problems: &mut Problems) -> Option<Department> {
    let mut obj = Obj::new(value, "", problems)?;
    let id = super::read_file_id(&mut obj, file, "department", problems);
    let name = obj.text("name", problems);
    let keys = obj
        .required("keys", problems)
        .and_then(|value| read_keys(value, problems));
    obj.finish(problems);
    Some(Department {
        id: id.filter(|id| is_slug(id))?.to_owned(),
        name: name?,
        keys: keys?,
    })
}

fn read_keys(value: &Value, problems: &mut Problems) -> Option<Vec<DepartmentKey>> {
    let Value::Array(items) = value else {
        problems.add(
            "keys",
            format!("expected an array of keys, found {}", kind(value)),
        );
        return None;
    };
    if items.is_empty() || items.len() > MAX_KEYS {
        problems.add(
            "keys",
            format!("has {} keys; a department has 1 to {MAX_KEYS}", items.len()),
        );
        return None;
    }
    let before = problems.len();
    let mut keys = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if let Some(key) = read_key(item, index, problems) {
            keys.push(key);
        }
    }
    if problems.len() > before {
        return None;
    }
    // Each key's period: its own `until`, or up to the next key's `from`.
    for index in 0..keys.len() {
        let path = format!("keys[{index}]");
        if index > 0 && keys[index].from.is_none() {
            problems.add(
                format!("{path}.from"),
                "is missing: only the first key may be valid since always",
            );
            continue;
        }
        if let (Some(previous), Some(from)) = (
            index.checked_sub(1).and_then(|i| keys[i].from),
            keys[index].from,
        ) && from <= previous
        {
            problems.add(
                format!("{path}.from"),
                format!(
                    "is {}, not after the previous key's from ({}): list keys oldest first",
                    format_utc(from),
                    format_utc(previous)
                ),
            );
        }
        if keys[index].until.is_none() {
            keys[index].until = keys.get(index + 1).and_then(|next| next.from);
        }
        if let (Some(from), Some(until)) = (keys[index].from, keys[index].until)
            && until <= from
        {
            problems.add(
                format!("{path}.until"),
                format!(
                    "is {}, not after its from ({})",
                    format_utc(until),
                    format_utc(from)
                ),
            );
        }
        for earlier in 0..index {
            if keys[earlier].did == keys[index].did
                || keys[earlier].encryption_key == keys[index].encryption_key
            {
                problems.add(
                    path.clone(),
                    format!("repeats the key of keys[{earlier}]: a rotation makes a new key pair"),
                );
            }
        }
    }
    (problems.len() == before).then_some(keys)
}

fn read_key(value: &Value, index: usize, problems: &mut Problems) -> Option<DepartmentKey> {
    let path = format!("keys[{index}]");
    let mut obj = Obj::new(value, &path, problems)?;
    let did = obj
        .string("did", problems)
        .and_then(|did| match DidKey::parse(did) {
            Ok(did) => Some(did),
            Err(error) => {
                problems.add(format!("{path}.did"), error.to_string());
                None
            }
        });
    let encryption_key =
        obj.string("encryption_key", problems)
            .and_then(|key| match EncryptionKey::parse(key) {
                Ok(key) => Some(key),
                Err(error) => {
                    problems.add(format!("{path}.encryption_key"), error.to_string());
                    None
                }
            });
    let time = |obj: &mut Obj<'_>, key: &'static str, problems: &mut Problems| {
        let text = obj.optional_string(key, problems)?;
        match parse_utc(text) {
            Ok(time) => Some(time),
            Err(error) => {
                problems.add(format!("{path}.{key}"), not_a_time(&error));
                None
            }
        }
    };
    let from = time(&mut obj, "from", problems);
    let until = time(&mut obj, "until", problems);
    let revoked = obj
        .optional("revoked")
        .and_then(|value| read_revocation(value, &format!("{path}.revoked"), problems));
    obj.finish(problems);
    if let (Some(revoked), Some(from)) = (&revoked, from)
        && revoked.from < from
    {
        // Revoking from before the key began is allowed (it never counted), but almost
        // certainly a typing mistake.
        problems.add(
            format!("{path}.revoked.from"),
            format!(
                "is {}, before the key's from ({}): revoke from the day it was compromised",
                format_utc(revoked.from),
                format_utc(from)
            ),
        );
    }
    Some(DepartmentKey {
        did: did?,
        encryption_key: encryption_key?,
        from,
        until,
        revoked,
    })
}

fn read_revocation(value: &Value, path: &str, problems: &mut Problems) -> Option<Revocation> {
    let mut obj = Obj::new(value, path, problems)?;
    let from = obj
        .string("from", problems)
        .and_then(|text| match parse_utc(text) {
            Ok(time) => Some(time),
            Err(error) => {
                problems.add(format!("{path}.from"), not_a_time(&error));
                None
            }
        });
    let reason = obj.optional_string("reason", problems).map(str::to_owned);
    obj.finish(problems);
    Some(Revocation {
        from: from?,
        reason,
    })
}

fn not_a_time(error: &str) -> String {
    format!("{error}; expected an RFC 3339 time in UTC to the second, such as 2027-01-01T00:00:00Z")
}
