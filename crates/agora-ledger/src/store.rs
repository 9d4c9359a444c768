//! The store: an SQLite database in WAL mode with `synchronous=FULL`, and the ledger's
//! signing key beside it.
//!
//! ```text
//! <dir>/ledger.sqlite   entries, leaf hashes, checkpoints (one per commit)
//! <dir>/ledger.key      the ledger's Ed25519 secret key as a Multikey (z3u2…), mode 0600
//! ```
//!
//! Every commit appends its entries and a checkpoint signed over the new tree in one
//! transaction, so the newest checkpoint always covers exactly the stored entries. Opening a
//! store rebuilds the Merkle tree from the stored leaf hashes and checks it against that
//! signed checkpoint: a store that lost or changed entries does not open. [`Ledger::audit`]
//! goes further and re-checks everything (see there).
//!
//! Several processes may open one store (the plaza, `agora desk`, `agora ledger log`): SQLite
//! serializes writers, and each operation first reads what other writers appended.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use agora_identity::Identity;
use agora_identity::keystore::files;
use agora_identity::multikey;
use agora_services::{ApplicationId, Catalog};
use ed25519_dalek::SigningKey;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, TransactionBehavior, params};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use thiserror::Error;
use time::OffsetDateTime;

use crate::entry::{Entry, Refusal, Verified, check_entry, hex, is_final, leaf_bytes, leaf_record};
use crate::note::{Checkpoint, VerifierKey};
use crate::tree::{Hash, Tree, leaf_hash, legacy_leaf_hash};

/// The store file's name in the ledger directory.
pub const STORE_FILE: &str = "ledger.sqlite";
/// The key file's name in the ledger directory.
pub const KEY_FILE: &str = "ledger.key";
/// The store format this code writes and reads.
pub const FORMAT: i64 = 4;

/// The tables. Each entry row names its applicant (a decision: its submission's) and, for a
/// decision, the leaf of the submission it decides.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    application_id TEXT NOT NULL,
    application_sha256 TEXT NOT NULL,
    time TEXT NOT NULL,
    entry BLOB NOT NULL,
    applicant TEXT NOT NULL DEFAULT '',
    submission_idx INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS entries_by_application ON entries(application_id, idx);
CREATE TABLE IF NOT EXISTS leaves (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL) STRICT;
";

/// The indexes of format 3: an application id and an application digest are unique per
/// applicant, not across applicants, so copying someone's pending submission under another key
/// cannot keep theirs off the ledger.
const INDEXES: &str = "
CREATE UNIQUE INDEX IF NOT EXISTS submissions_by_applicant_id ON entries(applicant, application_id) WHERE kind = 'submission';
CREATE UNIQUE INDEX IF NOT EXISTS submissions_by_applicant_digest ON entries(applicant, application_sha256) WHERE kind = 'submission';
CREATE INDEX IF NOT EXISTS decisions_by_submission ON entries(submission_idx, idx) WHERE kind = 'decision';
CREATE INDEX IF NOT EXISTS entries_by_applicant ON entries(application_id, applicant, idx);
";

/// Why a store cannot be used.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// SQLite refused: the file is not a database, is damaged, locked, or the disk is full.
    #[error("the ledger store {path} cannot be used: {source}")]
    Sqlite {
        /// The store file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The store's contents contradict themselves or its signed checkpoint.
    #[error(
        "the ledger store {path} is damaged: {problem}. It was not changed; restore it from a backup"
    )]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The key file is missing, unreadable or does not belong to the store.
    #[error("the ledger key {path}: {problem}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Where an entry landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Its leaf index in the tree.
    pub index: u64,
    /// When the ledger appended it.
    pub time: OffsetDateTime,
    /// Whether it was already there (the same entry sent again): nothing new was written.
    pub already: bool,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    /// Its leaf index.
    pub index: u64,
    /// When it was appended.
    pub time: OffsetDateTime,
    /// The signed entry.
    pub entry: Value,
}

impl StoredEntry {
    /// The bytes of its Merkle leaf.
    pub fn leaf_bytes(&self) -> Result<Vec<u8>, Refusal> {
        leaf_bytes(&self.entry, self.time)
    }
}

/// A signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// What it says.
    pub checkpoint: Checkpoint,
    /// The signed note.
    pub note: String,
}

/// An application's entries on the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationRecord {
    /// The submission.
    pub submission: StoredEntry,
    /// Its decisions, oldest first (a referral, then an officer's decision).
    pub decisions: Vec<StoredEntry>,
    /// Who opened it, oldest first: the access entries.
    pub accesses: Vec<StoredEntry>,
}

/// What an audit found: everything checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Entries re-verified.
    pub entries: u64,
    /// Of which submissions.
    pub submissions: u64,
    /// Of which decisions.
    pub decisions: u64,
    /// Of which access entries (someone at the department opened an application).
    pub accesses: u64,
    /// Checkpoints whose signature and root were re-checked.
    pub checkpoints: u64,
    /// The newest checkpoint.
    pub latest: Option<Checkpoint>,
}

/// The embedded ledger.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    tree: Tree,
    key: SigningKey,
    verifier: VerifierKey,
    catalog: Catalog,
    /// The first leaf from which every decision must follow its decider's access entry:
    /// 0, or the size when an older store became format 4 (its decisions were made before
    /// access entries existed).
    access_from: u64,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("path", &self.path)
            .field("size", &self.tree.len())
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens the ledger in `dir`, creating it (and its key) when the directory holds none.
    /// `catalog` names the services the ledger takes and their departments.
    pub fn open(dir: &Path, catalog: Catalog) -> Result<Self, StoreError> {
        files::create_private_dir(dir).map_err(|source| StoreError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(STORE_FILE);
        let key = load_or_create_key(&dir.join(KEY_FILE), path.exists())?;
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = open_durable(&path, SCHEMA).map_err(sqlite)?;

        let origin = origin_for(&key);
        let verifier =
            VerifierKey::new(origin, key.verifying_key()).map_err(|error| StoreError::Key {
                path: dir.join(KEY_FILE),
                problem: error.to_string(),
            })?;
        let mut ledger = Self {
            conn,
            path,
            tree: Tree::default(),
            key,
            verifier,
            catalog,
            access_from: 0,
        };
        ledger.check_meta()?;
        ledger.refresh()?;
        Ok(ledger)
    }

    /// The key that signs this ledger's checkpoints, as a signed-note verifier key: what a
    /// stranger needs to trust its receipts.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The services the ledger takes.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// How many entries the ledger holds.
    pub fn size(&mut self) -> Result<u64, StoreError> {
        self.refresh()?;
        Ok(self.tree.len())
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, problem: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            problem: problem.into(),
        }
    }

    fn check_meta(&mut self) -> Result<(), StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.sqlite(e))?;
        let get = |name: &str| -> Result<Option<String>, rusqlite::Error> {
            tx.query_row("SELECT value FROM meta WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()
        };
        let format = get("format").map_err(|e| self.sqlite(e))?;
        let key = get("key").map_err(|e| self.sqlite(e))?;
        match (format, key) {
            (None, None) => {
                tx.execute(
                    "INSERT INTO meta (name, value) VALUES ('format', ?1), ('key', ?2), ('access_from', '0')",
                    params![FORMAT.to_string(), self.verifier.to_string()],
                )
                .map_err(|e| self.sqlite(e))?;
            }
            (Some(format), Some(key)) => {
                if key != self.verifier.to_string() {
                    return Err(StoreError::Key {
                        path: self.path.with_file_name(KEY_FILE),
                        problem: format!(
                            "it is not the key this store was made with ({key}); put the store's own key back"
                        ),
                    });
                }
                match format.as_str() {
                    "4" => {}
                    "3" => self.migrate_from_format_3(&tx)?,
                    "2" => {
                        self.migrate_from_format_2(&tx)?;
                        self.migrate_from_format_3(&tx)?;
                    }
                    "1" => {
                        self.migrate_from_format_1(&tx)?;
                        self.migrate_from_format_2(&tx)?;
                        self.migrate_from_format_3(&tx)?;
                    }
                    _ => {
                        return Err(self.corrupt(format!(
                            "it is in format {format}, and this version of Agora reads formats 1 to {FORMAT}"
                        )));
                    }
                }
            }
            _ => return Err(self.corrupt("its `meta` table is incomplete")),
        }
        let access_from = tx
            .query_row(
                "SELECT value FROM meta WHERE name = 'access_from'",
                [],
                |row| row.get::<_, String>(0),
            )
            .map_err(|e| self.sqlite(e))?;
        self.access_from = access_from.parse().map_err(|_| {
            self.corrupt(format!(
                "its access_from `{access_from}` is not a leaf index"
            ))
        })?;
        tx.execute_batch(INDEXES).map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))
    }

    /// Format 1 hashed each leaf record's SHA-256 as the leaf (`legacy_leaf_hash`); format 2
    /// hashes the record itself, as RFC 6962 does. The migration first checks the whole tree
    /// the old way against the newest checkpoint, so that a damaged store is refused rather
    /// than signed afresh; then it rewrites the leaf hashes, keeps the old checkpoints in
    /// `checkpoints_format1`, and signs one checkpoint over the new tree. Receipts made from a
    /// format 1 store keep verifying: they carry their own checkpoint (receipt version 1).
    fn migrate_from_format_1(&self, tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
        let sqlite = |e| self.sqlite(e);
        let mut legacy = Tree::default();
        let mut tree = Tree::default();
        {
            let mut entries = tx
                .prepare("SELECT idx, time, entry FROM entries ORDER BY idx")
                .map_err(sqlite)?;
            let mut leaves = tx
                .prepare("SELECT idx, hash FROM leaves ORDER BY idx")
                .map_err(sqlite)?;
            let mut update = tx
                .prepare("UPDATE leaves SET hash = ?2 WHERE idx = ?1")
                .map_err(sqlite)?;
            let mut entries = entries.query([]).map_err(sqlite)?;
            let mut leaves = leaves.query([]).map_err(sqlite)?;
            loop {
                let entry = entries.next().map_err(sqlite)?;
                let leaf = leaves.next().map_err(sqlite)?;
                let index = legacy.len();
                let (entry, leaf) = match (entry, leaf) {
                    (None, None) => break,
                    (Some(entry), Some(leaf)) => (entry, leaf),
                    _ => {
                        return Err(self.corrupt(format!(
                            "its entries and leaf hashes part at entry {index}"
                        )));
                    }
                };
                let (entry_index, time, bytes): EntryRow = entry_row(entry).map_err(sqlite)?;
                let leaf_index: i64 = leaf.get(0).map_err(sqlite)?;
                let stored: Vec<u8> = leaf.get(1).map_err(sqlite)?;
                if entry_index != index as i64 || leaf_index != index as i64 {
                    return Err(self.corrupt(format!("entry {index} is missing")));
                }
                let record = leaf_record(&bytes, &time);
                let old = legacy_leaf_hash(&record);
                if stored != old {
                    return Err(self.corrupt(format!(
                        "entry {index} does not match its leaf hash: its bytes were changed"
                    )));
                }
                let new = leaf_hash(&record);
                update
                    .execute(params![index as i64, new.as_slice()])
                    .map_err(sqlite)?;
                legacy.push(old);
                tree.push(new);
            }
        }
        let latest = read_latest_checkpoint(tx).map_err(sqlite)?;
        match latest {
            None if legacy.is_empty() => {}
            None => {
                return Err(self.corrupt(format!(
                    "it holds {} entries but no signed checkpoint",
                    legacy.len()
                )));
            }
            Some((_, note)) => {
                let checkpoint = Checkpoint::open(&note, &self.verifier).map_err(|error| {
                    self.corrupt(format!("its newest checkpoint does not verify: {error}"))
                })?;
                if checkpoint.size != legacy.len() || checkpoint.root != legacy.root() {
                    return Err(self.corrupt(format!(
                        "its {} entries are not the ones its newest checkpoint signed",
                        legacy.len()
                    )));
                }
            }
        }
        tx.execute_batch(
            "ALTER TABLE checkpoints RENAME TO checkpoints_format1;
             CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL) STRICT;",
        )
        .map_err(sqlite)?;
        if !tree.is_empty() {
            let checkpoint = Checkpoint {
                origin: self.verifier.name().to_owned(),
                size: tree.len(),
                root: tree.root(),
            };
            let note = checkpoint
                .sign(&self.key)
                .map_err(|error| StoreError::Key {
                    path: self.path.with_file_name(KEY_FILE),
                    problem: error.to_string(),
                })?;
            tx.execute(
                "INSERT INTO checkpoints (size, note) VALUES (?1, ?2)",
                params![checkpoint.size as i64, note],
            )
            .map_err(sqlite)?;
        }
        tx.execute("UPDATE meta SET value = '2' WHERE name = 'format'", [])
            .map_err(sqlite)?;
        Ok(())
    }

    /// Format 4 adds access entries ("who opened my application"), and every decision must
    /// follow its decider's; the decisions already stored were made before they existed, so
    /// the rule holds from the store's size now on (`access_from`).
    fn migrate_from_format_3(&self, tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
        let size: i64 = tx
            .query_row("SELECT COUNT(*) FROM entries", [], |row| row.get(0))
            .map_err(|e| self.sqlite(e))?;
        tx.execute(
            "INSERT INTO meta (name, value) VALUES ('access_from', ?1) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [size.to_string()],
        )
        .map_err(|e| self.sqlite(e))?;
        tx.execute("UPDATE meta SET value = '4' WHERE name = 'format'", [])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Format 2 kept an application id and digest unique across applicants; format 3 keeps
    /// them unique per applicant and ties each decision to its submission's leaf. Every row
    /// gets its applicant (a decision, its submission's) and every decision its submission's
    /// leaf, which in a format 2 store is the one submission with its id.
    fn migrate_from_format_2(&self, tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
        let sqlite = |e| self.sqlite(e);
        let columns: Vec<String> = {
            let mut statement = tx
                .prepare("SELECT name FROM pragma_table_info('entries')")
                .map_err(sqlite)?;
            statement
                .query_map([], |row| row.get(0))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(sqlite)?
        };
        for (column, definition) in [
            ("applicant", "TEXT NOT NULL DEFAULT ''"),
            ("submission_idx", "INTEGER"),
        ] {
            if !columns.iter().any(|name| name == column) {
                tx.execute_batch(&format!(
                    "ALTER TABLE entries ADD COLUMN {column} {definition};"
                ))
                .map_err(sqlite)?;
            }
        }
        tx.execute_batch(
            "DROP INDEX IF EXISTS submissions_by_id;
             DROP INDEX IF EXISTS submissions_by_digest;
             DROP INDEX IF EXISTS decisions_by_id;",
        )
        .map_err(sqlite)?;
        let submissions: Vec<(i64, Vec<u8>)> = {
            let mut statement = tx
                .prepare("SELECT idx, entry FROM entries WHERE kind = 'submission' ORDER BY idx")
                .map_err(sqlite)?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(sqlite)?
        };
        for (index, entry) in submissions {
            let applicant = serde_json::from_slice::<Value>(&entry)
                .ok()
                .and_then(|entry| entry.get("applicant")?.as_str().map(str::to_owned))
                .ok_or_else(|| self.corrupt(format!("entry {index} names no applicant")))?;
            tx.execute(
                "UPDATE entries SET applicant = ?2 WHERE idx = ?1",
                params![index, applicant],
            )
            .map_err(sqlite)?;
        }
        tx.execute(
            "UPDATE entries AS d SET
                 submission_idx = s.idx,
                 applicant = s.applicant
             FROM entries AS s
             WHERE d.kind = 'decision' AND s.kind = 'submission'
                 AND s.application_id = d.application_id",
            [],
        )
        .map_err(sqlite)?;
        tx.execute("UPDATE meta SET value = '3' WHERE name = 'format'", [])
            .map_err(sqlite)?;
        Ok(())
    }

    /// Reads what other writers appended and checks the tree against the newest checkpoint.
    fn refresh(&mut self) -> Result<(), StoreError> {
        let from = self.tree.len();
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)
            .map_err(|e| self.sqlite(e))?;
        let new_leaves = read_leaves(&tx, from).map_err(|e| self.sqlite(e))?;
        let latest = read_latest_checkpoint(&tx).map_err(|e| self.sqlite(e))?;
        drop(tx);
        for (expected, (index, hash)) in (from..).zip(new_leaves) {
            if index != expected {
                return Err(self.corrupt(format!(
                    "leaf {expected} is missing (the next stored is {index})"
                )));
            }
            self.tree.push(hash);
        }
        self.check_tree_against(latest)
    }

    fn check_tree_against(&self, latest: Option<(u64, String)>) -> Result<(), StoreError> {
        let size = self.tree.len();
        let Some((checkpoint_size, note)) = latest else {
            return if size == 0 {
                Ok(())
            } else {
                Err(self.corrupt(format!("it holds {size} entries but no signed checkpoint")))
            };
        };
        let checkpoint = Checkpoint::open(&note, &self.verifier).map_err(|error| {
            self.corrupt(format!("its newest checkpoint does not verify: {error}"))
        })?;
        if checkpoint.size != checkpoint_size {
            return Err(self.corrupt("a checkpoint is filed under another size than it states"));
        }
        if checkpoint.size != size {
            return Err(self.corrupt(format!(
                "it holds {size} entries, but its newest signed checkpoint covers {}",
                checkpoint.size
            )));
        }
        if self.root() != checkpoint.root {
            return Err(self.corrupt(format!(
                "the Merkle root of its {size} entries differs from the one its checkpoint signed"
            )));
        }
        Ok(())
    }

    fn root(&self) -> [u8; 32] {
        self.tree.root()
    }

    /// Appends entries in one transaction with one new checkpoint (group commit), and returns
    /// what became of each, in order. An entry already on the ledger (the same bytes sent
    /// again) is reported as [`Appended::already`]; one that breaks a rule is refused and the
    /// others still land. Each entry's signature is checked first, against `now`, on this
    /// thread; [`Ledger::append_verified`] takes entries checked elsewhere.
    pub fn append(
        &mut self,
        entries: &[Value],
        now: SystemTime,
    ) -> Result<Vec<Result<Appended, Refusal>>, StoreError> {
        // Signatures first, outside the write lock: it is the slow part.
        let verified: Vec<Result<Verified, Refusal>> = entries
            .iter()
            .map(|json| Verified::check(json, now))
            .collect();
        self.append_checked(verified.iter().map(Result::as_ref), now)
    }

    /// [`Ledger::append`] for entries whose signatures were already checked
    /// ([`Verified::check`], which may run on any thread): only what depends on the catalog
    /// and on the ledger's contents is checked here (a known and open service, the service's
    /// department deciding, no duplicate id or digest, decisions in order), and that the
    /// proof has not expired by `now`, when the entries are appended.
    pub fn append_verified(
        &mut self,
        entries: &[Verified],
        now: SystemTime,
    ) -> Result<Vec<Result<Appended, Refusal>>, StoreError> {
        self.append_checked(entries.iter().map(Ok), now)
    }

    fn append_checked<'a>(
        &mut self,
        entries: impl ExactSizeIterator<Item = Result<&'a Verified, &'a Refusal>>,
        now: SystemTime,
    ) -> Result<Vec<Result<Appended, Refusal>>, StoreError> {
        let time = agora_services::time_format::to_utc_second(OffsetDateTime::from(now));
        let now = OffsetDateTime::from(now);
        let checked = entries.map(|verified| {
            let verified = verified.map_err(Refusal::clone)?;
            verified.check_admission(&self.catalog, now)?;
            verified.check_expiry(now)?;
            Ok(verified)
        });
        let checked: Vec<Result<&Verified, Refusal>> = checked.collect();
        self.refresh()?;
        let result = self.commit(checked, time);
        if result.is_err() {
            // The transaction rolled back; the tree may hold leaves that never landed.
            self.tree = Tree::default();
            self.refresh()?;
        }
        result
    }

    fn commit(
        &mut self,
        checked: Vec<Result<&Verified, Refusal>>,
        time: OffsetDateTime,
    ) -> Result<Vec<Result<Appended, Refusal>>, StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        // Another writer may have appended between the refresh and the lock.
        let start = self.tree.len();
        for (index, hash) in read_leaves(&tx, start).map_err(sqlite)? {
            if index != self.tree.len() {
                return Err(StoreError::Corrupt {
                    path: path.clone(),
                    problem: format!("leaf {} is missing", self.tree.len()),
                });
            }
            self.tree.push(hash);
        }
        if self.tree.len() > start {
            // What another writer added must be what its checkpoint signed, before this
            // commit signs a checkpoint over it.
            let latest = read_latest_checkpoint(&tx).map_err(sqlite)?;
            self.check_tree_against(latest)?;
        }
        let before = self.tree.len();
        let stored_time = agora_services::time_format::format_utc(time);
        let mut results = Vec::with_capacity(checked.len());
        for checked in checked {
            let outcome = match checked {
                Err(refusal) => Err(refusal),
                Ok(verified) => match self.admit(&tx, verified).map_err(sqlite)? {
                    Err(refusal) => Err(refusal),
                    Ok(Admission::Already(already)) => Ok(already),
                    Ok(Admission::New {
                        applicant,
                        submission,
                    }) => {
                        let entry = verified.entry();
                        let index = self.tree.len();
                        let hash = leaf_hash(&verified.leaf_bytes(time));
                        tx.execute(
                            "INSERT INTO entries (idx, kind, application_id, application_sha256, time, entry, applicant, submission_idx) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            params![
                                index as i64,
                                entry.kind(),
                                entry.application_id().to_string(),
                                application_sha256(entry),
                                stored_time,
                                verified.canonical(),
                                applicant,
                                submission
                            ],
                        )
                        .map_err(sqlite)?;
                        tx.execute(
                            "INSERT INTO leaves (idx, hash) VALUES (?1, ?2)",
                            params![index as i64, hash.as_slice()],
                        )
                        .map_err(sqlite)?;
                        self.tree.push(hash);
                        Ok(Appended {
                            index,
                            time,
                            already: false,
                        })
                    }
                },
            };
            results.push(outcome);
        }
        if self.tree.len() > before {
            let checkpoint = Checkpoint {
                origin: self.verifier.name().to_owned(),
                size: self.tree.len(),
                root: self.root(),
            };
            let note = checkpoint
                .sign(&self.key)
                .map_err(|error| StoreError::Key {
                    path: path.with_file_name(KEY_FILE),
                    problem: error.to_string(),
                })?;
            tx.execute(
                "INSERT INTO checkpoints (size, note) VALUES (?1, ?2)",
                params![checkpoint.size as i64, note],
            )
            .map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)?;
        Ok(results)
    }

    /// The submission of application `id` at the leaf `anchored` names; failing that, with
    /// `or_first`, the first submission with that id.
    fn named_submission(
        &self,
        tx: &rusqlite::Transaction<'_>,
        id: &str,
        anchored: Option<&agora_services::Anchor>,
        or_first: bool,
    ) -> Result<Option<NamedSubmission>, rusqlite::Error> {
        let select = "SELECT idx, time, entry, application_sha256, applicant FROM entries WHERE kind = 'submission' AND application_id = ?1";
        let row = |row: &rusqlite::Row<'_>| -> Result<(EntryRow, String, String), rusqlite::Error> {
            Ok((entry_row(row)?, row.get(3)?, row.get(4)?))
        };
        let mut found = match anchored {
            Some(anchored) => tx
                .query_row(
                    &format!("{select} AND idx = ?2"),
                    params![id, sql_int(anchored.index)],
                    row,
                )
                .optional()?,
            None => None,
        };
        if found.is_none() && or_first {
            found = tx
                .query_row(&format!("{select} ORDER BY idx LIMIT 1"), [id], row)
                .optional()?;
        }
        Ok(found.map(|((index, time, entry), digest, applicant)| {
            let entry: Value = serde_json::from_slice(&entry).unwrap_or(Value::Null);
            NamedSubmission {
                index,
                anchored: agora_services::Anchor {
                    ledger: self.verifier.name().to_owned(),
                    index: index as u64,
                    time: agora_services::time_format::parse_utc(&time)
                        .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                },
                digest,
                service: entry
                    .get("service")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                applicant,
            }
        }))
    }

    /// Whether `verified` may be appended given what the ledger holds (its catalog was checked
    /// before): [`Admission::New`] with what its row records, [`Admission::Already`] when the
    /// same entry is already there, or the refusal.
    fn admit(
        &self,
        tx: &rusqlite::Transaction<'_>,
        verified: &Verified,
    ) -> Result<Result<Admission, Refusal>, rusqlite::Error> {
        let entry = verified.entry();
        let id = entry.application_id().to_string();
        let canonical = verified.canonical();
        match entry {
            Entry::Submission(new) => {
                let applicant = new.applicant.to_string();
                let same_id = tx
                    .query_row(
                        "SELECT idx, time, entry FROM entries WHERE kind = 'submission' AND applicant = ?1 AND application_id = ?2",
                        params![applicant, id],
                        entry_row,
                    )
                    .optional()?;
                if let Some((index, time, stored)) = same_id {
                    return Ok(if stored == canonical {
                        Ok(Admission::Already(already(index, &time)))
                    } else {
                        Err(Refusal::DuplicateId(id))
                    });
                }
                let same_digest: Option<i64> = tx
                    .query_row(
                        "SELECT idx FROM entries WHERE kind = 'submission' AND applicant = ?1 AND application_sha256 = ?2",
                        params![applicant, new.application_sha256],
                        |row| row.get(0),
                    )
                    .optional()?;
                if same_digest.is_some() {
                    return Ok(Err(Refusal::DuplicateDigest(
                        new.application_sha256.clone(),
                    )));
                }
                Ok(Ok(Admission::New {
                    applicant,
                    submission: None,
                }))
            }
            Entry::Access(access) => {
                // Exactly the submission it names: its leaf, id, digest, service and time.
                let Some(named) = self.named_submission(tx, &id, Some(&access.anchored), false)?
                else {
                    return Ok(Err(Refusal::UnknownApplication(id)));
                };
                let NamedSubmission {
                    index: submitted_index,
                    anchored,
                    digest,
                    service,
                    applicant,
                } = named;
                if digest != access.application_sha256
                    || service.as_deref() != Some(&access.service)
                    || access.anchored != anchored
                {
                    return Ok(Err(Refusal::DecisionMismatch {
                        id,
                        problem: format!(
                            "the access entry does not name the application anchored on `{}` at leaf {}, {}",
                            anchored.ledger,
                            anchored.index,
                            agora_services::time_format::format_utc(anchored.time)
                        ),
                    }));
                }
                let same = tx
                    .query_row(
                        "SELECT idx, time, entry FROM entries WHERE kind = 'access' AND submission_idx = ?1 AND entry = ?2",
                        params![submitted_index, canonical],
                        entry_row,
                    )
                    .optional()?;
                if let Some((index, time, _)) = same {
                    return Ok(Ok(Admission::Already(already(index, &time))));
                }
                Ok(Ok(Admission::New {
                    applicant,
                    submission: Some(submitted_index),
                }))
            }
            Entry::Decision(decision) => {
                let subject = &decision.credential_subject;
                // The submission the decision names by its leaf; failing that (a decision
                // that names none, or the wrong one), the first with its id, to say where.
                let Some(named) =
                    self.named_submission(tx, &id, subject.anchored.as_ref(), true)?
                else {
                    return Ok(Err(Refusal::UnknownApplication(id)));
                };
                let NamedSubmission {
                    index: submitted_index,
                    anchored,
                    digest,
                    service,
                    applicant,
                } = named;
                let mismatch = if subject.application_sha256 != digest {
                    Some("it names another application digest".to_owned())
                } else if service.as_deref() != Some(&subject.service) {
                    Some(format!(
                        "the application was made to another service than `{}`",
                        subject.service
                    ))
                } else if subject.anchored.as_ref() != Some(&anchored) {
                    Some(format!(
                        "it must say where the application was anchored: on `{}` at leaf {}, {}",
                        anchored.ledger,
                        anchored.index,
                        agora_services::time_format::format_utc(anchored.time)
                    ))
                } else {
                    None
                };
                if let Some(problem) = mismatch {
                    return Ok(Err(Refusal::DecisionMismatch { id, problem }));
                }
                let mut statement = tx.prepare_cached(
                    "SELECT idx, time, entry FROM entries WHERE kind = 'decision' AND submission_idx = ?1 ORDER BY idx",
                )?;
                let earlier = statement
                    .query_map([submitted_index], entry_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut referred = false;
                for (index, time, stored) in earlier {
                    if stored == canonical {
                        return Ok(Ok(Admission::Already(already(index, &time))));
                    }
                    let stored: Value = serde_json::from_slice(&stored).unwrap_or(Value::Null);
                    let final_ =
                        agora_services::Decision::from_json(&stored).map_or(true, |d| is_final(&d));
                    if final_ {
                        return Ok(Err(Refusal::AlreadyDecided(id)));
                    }
                    referred = true;
                }
                // By hand only what the policy referred to an officer.
                if subject.delegation.is_some() && !referred {
                    return Ok(Err(Refusal::NotReferred(id)));
                }
                // Whoever decides opened it first, and the ledger recorded that.
                let mut statement = tx.prepare_cached(
                    "SELECT entry FROM entries WHERE kind = 'access' AND submission_idx = ?1",
                )?;
                let issuer = decision.issuer.to_string();
                let opened = statement
                    .query_map([submitted_index], |row| row.get::<_, Vec<u8>>(0))?
                    .collect::<Result<Vec<_>, _>>()?
                    .iter()
                    .filter_map(|bytes| serde_json::from_slice::<Value>(bytes).ok())
                    .any(|access| access.get("by").and_then(Value::as_str) == Some(&issuer));
                if !opened {
                    return Ok(Err(Refusal::NotOpened { id, by: issuer }));
                }
                Ok(Ok(Admission::New {
                    applicant,
                    submission: Some(submitted_index),
                }))
            }
        }
    }

    /// Entries from leaf index `from` on, at most `limit` of them, oldest first.
    pub fn entries_since(
        &mut self,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT idx, time, entry FROM entries WHERE idx >= ?1 ORDER BY idx LIMIT ?2",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = statement
            .query_map(params![sql_int(from), sql_int(limit)], entry_row)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        drop(statement);
        rows.into_iter()
            .map(|(index, time, entry)| self.stored_entry(index, &time, &entry))
            .collect()
    }

    fn stored_entry(
        &self,
        index: i64,
        time: &str,
        entry: &[u8],
    ) -> Result<StoredEntry, StoreError> {
        let time = agora_services::time_format::parse_utc(time)
            .map_err(|error| self.corrupt(format!("entry {index} has a bad time: {error}")))?;
        let entry = serde_json::from_slice(entry)
            .map_err(|error| self.corrupt(format!("entry {index} is not JSON: {error}")))?;
        Ok(StoredEntry {
            index: index as u64,
            time,
            entry,
        })
    }

    /// The entries about `applicant`'s application `id`: its submission and decisions, if it
    /// is here. (Another applicant may have sent a submission under the same id: it is not
    /// this one.)
    pub fn application(
        &mut self,
        id: ApplicationId,
        applicant: &agora_identity::DidKey,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT idx, time, entry, kind FROM entries WHERE application_id = ?1 AND applicant = ?2 ORDER BY idx",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = statement
            .query_map(
                params![id.to_string(), applicant.to_string()],
                entry_row_with,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        drop(statement);
        let mut submission = None;
        let mut decisions = Vec::new();
        let mut accesses = Vec::new();
        for ((index, time, entry), kind) in rows {
            let stored = self.stored_entry(index, &time, &entry)?;
            match kind.as_str() {
                "submission" => submission = Some(stored),
                "access" => accesses.push(stored),
                _ => decisions.push(stored),
            }
        }
        Ok(submission.map(|submission| ApplicationRecord {
            submission,
            decisions,
            accesses,
        }))
    }

    /// The newest signed checkpoint, and an RFC 6962 inclusion proof for each of `indices`
    /// against it (one read, so the proofs and the checkpoint always agree).
    pub fn prove(
        &mut self,
        indices: &[u64],
    ) -> Result<(SignedCheckpoint, Vec<Vec<Hash>>), StoreError> {
        self.refresh()?;
        let size = self.tree.len();
        let (_, note) = read_latest_checkpoint(&self.conn)
            .map_err(|e| self.sqlite(e))?
            .ok_or_else(|| self.corrupt("it has entries to prove but no checkpoint"))?;
        let checkpoint = Checkpoint::open(&note, &self.verifier).map_err(|error| {
            self.corrupt(format!("its newest checkpoint does not verify: {error}"))
        })?;
        if checkpoint.size != size {
            // Another writer committed between the refresh and this read: read again.
            return self.prove(indices);
        }
        let proofs = indices
            .iter()
            .map(|&index| {
                if index < size {
                    Ok(self.tree.prove_inclusion(index))
                } else {
                    Err(self.corrupt(format!("there is no entry {index} to prove")))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok((SignedCheckpoint { checkpoint, note }, proofs))
    }

    /// The newest signed checkpoint and the RFC 6962 proof that its tree extends the tree of
    /// its first `old_size` entries (empty when `old_size` is 0, the checkpoint's size, or
    /// larger: a verifier holding a larger tree sees that it shrank). `None` before anything
    /// was appended.
    pub fn consistency(
        &mut self,
        old_size: u64,
    ) -> Result<Option<(SignedCheckpoint, Vec<Hash>)>, StoreError> {
        if self.checkpoint()?.is_none() {
            return Ok(None);
        }
        let (checkpoint, _) = self.prove(&[])?;
        let proof = if old_size <= checkpoint.checkpoint.size {
            self.tree.prove_consistency(old_size)
        } else {
            Vec::new()
        };
        Ok(Some((checkpoint, proof)))
    }

    /// The newest signed checkpoint, if anything was ever appended.
    pub fn checkpoint(&mut self) -> Result<Option<SignedCheckpoint>, StoreError> {
        self.refresh()?;
        let Some((_, note)) = read_latest_checkpoint(&self.conn).map_err(|e| self.sqlite(e))?
        else {
            return Ok(None);
        };
        let checkpoint = Checkpoint::open(&note, &self.verifier).map_err(|error| {
            self.corrupt(format!("its newest checkpoint does not verify: {error}"))
        })?;
        Ok(Some(SignedCheckpoint { checkpoint, note }))
    }

    /// Re-verifies the whole store: SQLite's own integrity check; every entry's leaf hash,
    /// signature and the ledger's rules (one submission per id and per digest of each
    /// applicant, decisions only
    /// by the service's department, for an application on the ledger, and none after a final
    /// one); the Merkle tree rebuilt from the entries themselves; and every checkpoint's
    /// signature and root against the tree at its size. The first problem found is the error.
    pub fn audit(&mut self) -> Result<AuditReport, StoreError> {
        let integrity: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|e| self.sqlite(e))?;
        if integrity != "ok" {
            return Err(self.corrupt(format!("SQLite's integrity check says: {integrity}")));
        }
        let checkpoints: Vec<(i64, String)> = {
            let mut statement = self
                .conn
                .prepare("SELECT size, note FROM checkpoints ORDER BY size")
                .map_err(|e| self.sqlite(e))?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(|e| self.sqlite(e))?
        };
        let mut checkpoints = checkpoints.into_iter().peekable();
        let mut report = AuditReport {
            entries: 0,
            submissions: 0,
            decisions: 0,
            accesses: 0,
            checkpoints: 0,
            latest: None,
        };
        let mut tree = Tree::default();
        // Submissions by leaf: their application, digest and service; the first leaf of each
        // application id (what decisions of before format 3, which name no leaf, decide).
        let mut submissions: HashMap<u64, (ApplicationId, String, String)> = HashMap::new();
        let mut first_by_id: HashMap<ApplicationId, u64> = HashMap::new();
        let mut ids: HashSet<(String, ApplicationId)> = HashSet::new();
        let mut digests: HashSet<(String, String)> = HashSet::new();
        let mut decided: HashSet<u64> = HashSet::new();
        // Submissions a referral handed to an officer.
        let mut referred: HashSet<u64> = HashSet::new();
        // Who opened which submission.
        let mut opened: HashSet<(u64, String)> = HashSet::new();
        let batch = 10_000;
        loop {
            let from = tree.len();
            let entries = self.entries_since(from, batch)?;
            let leaves = read_leaves_range(&self.conn, from, batch).map_err(|e| self.sqlite(e))?;
            if entries.len() != leaves.len() {
                return Err(self.corrupt(format!(
                    "from entry {from} on, it holds {} entries but {} leaf hashes",
                    entries.len(),
                    leaves.len()
                )));
            }
            if entries.is_empty() {
                break;
            }
            for (stored, (leaf_index, stored_hash)) in entries.iter().zip(leaves) {
                let index = tree.len();
                if stored.index != index || leaf_index != index {
                    return Err(self.corrupt(format!("entry {index} is missing")));
                }
                let leaf = stored
                    .leaf_bytes()
                    .map_err(|error| self.corrupt(format!("entry {index}: {error}")))?;
                let hash = leaf_hash(&leaf);
                if hash != stored_hash {
                    return Err(self.corrupt(format!(
                        "entry {index} does not match its leaf hash: its bytes were changed"
                    )));
                }
                let entry = check_entry(&stored.entry, &self.catalog, stored.time.into())
                    .map_err(|refusal| self.corrupt(format!("entry {index}: {refusal}")))?;
                let id = entry.application_id();
                match &entry {
                    Entry::Submission(submission) => {
                        report.submissions += 1;
                        let applicant = submission.applicant.to_string();
                        if !ids.insert((applicant.clone(), id)) {
                            return Err(self.corrupt(format!(
                                "entry {index}: a second submission of {id} by its applicant"
                            )));
                        }
                        if !digests.insert((applicant, submission.application_sha256.clone())) {
                            return Err(self.corrupt(format!(
                                "entry {index}: an application submitted twice"
                            )));
                        }
                        submissions.insert(
                            index,
                            (
                                id,
                                submission.application_sha256.clone(),
                                submission.service.clone(),
                            ),
                        );
                        first_by_id.entry(id).or_insert(index);
                    }
                    Entry::Decision(decision) => {
                        report.decisions += 1;
                        let subject = &decision.credential_subject;
                        let leaf = match &subject.anchored {
                            Some(anchored) => Some(anchored.index),
                            None => first_by_id.get(&id).copied(),
                        };
                        let decides = leaf.and_then(|leaf| Some((leaf, submissions.get(&leaf)?)));
                        let leaf = match decides {
                            Some((leaf, (decided_id, digest, service)))
                                if *decided_id == id
                                    && *digest == subject.application_sha256
                                    && *service == subject.service =>
                            {
                                leaf
                            }
                            _ => {
                                return Err(self.corrupt(format!(
                                    "entry {index}: a decision for {id}, which is not on the ledger before it"
                                )));
                            }
                        };
                        if decided.contains(&leaf) {
                            return Err(self.corrupt(format!(
                                "entry {index}: a decision after {id}'s final one"
                            )));
                        }
                        if subject.delegation.is_some() && !referred.contains(&leaf) {
                            return Err(self.corrupt(format!(
                                "entry {index}: an officer's decision on {id}, which was not referred"
                            )));
                        }
                        if index >= self.access_from
                            && !opened.contains(&(leaf, decision.issuer.to_string()))
                        {
                            return Err(self.corrupt(format!(
                                "entry {index}: a decision on {id} by {}, who is not recorded as having opened it",
                                decision.issuer
                            )));
                        }
                        if is_final(decision) {
                            decided.insert(leaf);
                        } else {
                            referred.insert(leaf);
                        }
                    }
                    Entry::Access(access) => {
                        report.accesses += 1;
                        let leaf = access.anchored.index;
                        match submissions.get(&leaf) {
                            Some((opened_id, digest, service))
                                if *opened_id == id
                                    && *digest == access.application_sha256
                                    && *service == access.service => {}
                            _ => {
                                return Err(self.corrupt(format!(
                                    "entry {index}: an access to {id}, which is not on the ledger before it"
                                )));
                            }
                        }
                        opened.insert((leaf, access.by.to_string()));
                    }
                }
                tree.push(hash);
                report.entries += 1;
                while let Some((size, note)) =
                    checkpoints.next_if(|(size, _)| *size as u64 <= tree.len())
                {
                    let checkpoint = Checkpoint::open(&note, &self.verifier).map_err(|error| {
                        self.corrupt(format!("the checkpoint at size {size}: {error}"))
                    })?;
                    if checkpoint.size != tree.len() || checkpoint.root != tree.root() {
                        return Err(self.corrupt(format!(
                            "the checkpoint at size {size} does not match the entries before it"
                        )));
                    }
                    report.checkpoints += 1;
                    report.latest = Some(checkpoint);
                }
            }
        }
        if let Some((size, _)) = checkpoints.next() {
            return Err(self.corrupt(format!(
                "a checkpoint covers {size} entries, but the store holds only {}: entries were lost",
                tree.len()
            )));
        }
        if report.latest.as_ref().map_or(0, |c| c.size) != tree.len() {
            return Err(self.corrupt(format!(
                "its {} entries are not all covered by a signed checkpoint",
                tree.len()
            )));
        }
        Ok(report)
    }
}

fn already(index: i64, time: &str) -> Appended {
    Appended {
        index: index as u64,
        time: agora_services::time_format::parse_utc(time).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        already: true,
    }
}

fn application_sha256(entry: &Entry) -> &str {
    match entry {
        Entry::Submission(submission) => &submission.application_sha256,
        Entry::Decision(decision) => &decision.credential_subject.application_sha256,
        Entry::Access(access) => &access.application_sha256,
    }
}

/// An entry's row as the store reads it back: `idx, time, entry`.
type EntryRow = (i64, String, Vec<u8>);

/// What [`Ledger::admit`] decided about an entry that breaks no rule.
/// A stored submission, as an access entry or a decision names it.
struct NamedSubmission {
    /// Its leaf.
    index: i64,
    /// Where it was anchored.
    anchored: agora_services::Anchor,
    /// Its application's digest.
    digest: String,
    /// Its service.
    service: Option<String>,
    /// Its applicant.
    applicant: String,
}

enum Admission {
    /// The same entry is already on the ledger, there.
    Already(Appended),
    /// A new entry: its row's applicant, and for a decision the leaf of its submission.
    New {
        applicant: String,
        submission: Option<i64>,
    },
}

/// A position or count as SQLite's integer, saturating: a `--from` beyond any ledger reads
/// nothing rather than wrapping round to a negative number and reading everything.
fn sql_int(value: impl TryInto<i64>) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

/// Reads an [`EntryRow`] from the first three columns of a `SELECT idx, time, entry`.
fn entry_row(row: &rusqlite::Row<'_>) -> Result<EntryRow, rusqlite::Error> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

/// [`entry_row`], and the text column after it (`kind`, `application_sha256`).
fn entry_row_with(row: &rusqlite::Row<'_>) -> Result<(EntryRow, String), rusqlite::Error> {
    Ok((entry_row(row)?, row.get(3)?))
}

fn read_leaves(conn: &Connection, from: u64) -> Result<Vec<(u64, [u8; 32])>, rusqlite::Error> {
    read_leaves_range(conn, from, usize::MAX / 2)
}

fn read_leaves_range(
    conn: &Connection,
    from: u64,
    limit: usize,
) -> Result<Vec<(u64, [u8; 32])>, rusqlite::Error> {
    let mut statement =
        conn.prepare_cached("SELECT idx, hash FROM leaves WHERE idx >= ?1 ORDER BY idx LIMIT ?2")?;
    let rows = statement.query_map(params![sql_int(from), sql_int(limit)], |row| {
        let index: i64 = row.get(0)?;
        let hash: Vec<u8> = row.get(1)?;
        let hash: [u8; 32] = hash.try_into().map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Blob,
                format!("leaf {index} is not a 32-byte hash").into(),
            )
        })?;
        Ok((index as u64, hash))
    })?;
    rows.collect()
}

fn read_latest_checkpoint(conn: &Connection) -> Result<Option<(u64, String)>, rusqlite::Error> {
    conn.query_row(
        "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
        [],
        |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?)),
    )
    .optional()
}

/// The origin (and key name) of a local ledger: `agora.local/ledger/` and the first 16 hex
/// digits of the SHA-256 of its public key, so that two citizens' ledgers never share a name.
fn origin_for(key: &SigningKey) -> String {
    let digest = Sha256::digest(key.verifying_key().as_bytes());
    format!("agora.local/ledger/{}", hex(&digest[..8]))
}

fn load_or_create_key(path: &Path, store_exists: bool) -> Result<SigningKey, StoreError> {
    let problem = |problem: String| StoreError::Key {
        path: path.to_owned(),
        problem,
    };
    // The file's text is the secret key: wiped once decoded.
    match fs::read_to_string(path).map(zeroize::Zeroizing::new) {
        Ok(text) => multikey::decode_secret(text.trim())
            .map_err(|error| problem(format!("not an Ed25519 secret Multikey: {error}"))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if store_exists {
                return Err(problem(
                    "it is missing, but the store beside it exists: without its key the ledger cannot sign; put the key back"
                        .to_owned(),
                ));
            }
            let identity = Identity::generate().map_err(|error| problem(error.to_string()))?;
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
            file.write_all(identity.secret_multikey().as_bytes())
                .and_then(|()| file.write_all(b"\n"))
                .and_then(|()| file.sync_all())
                .map_err(|source| StoreError::Io {
                    path: path.to_owned(),
                    source,
                })?;
            Ok(identity.signing_key().clone())
        }
        Err(source) => Err(StoreError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Opens (creating) the SQLite database at `path` the way every Agora store is kept: WAL, so
/// that readers in other processes go on while one writes; `synchronous=FULL`, so that every
/// commit is durable before it returns; a 30 s wait for another process's lock; then `schema`.
///
/// Every such file may hold a citizen's answers or what they did, so the file is made 0600
/// (in a 0700 directory) before SQLite opens it, and SQLite gives its `-wal` and `-shm` files
/// the same mode; files an earlier version left readable to others are made private.
pub fn open_durable(path: &Path, schema: &str) -> rusqlite::Result<Connection> {
    let private = |result: std::io::Result<()>| {
        result.map_err(|error| {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(format!(
                    "cannot make {} private to its owner: {error}",
                    path.display()
                )),
            )
        })
    };
    private(files::create_private_file(path))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        private(files::make_private(Path::new(&side)))?;
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(schema)?;
    Ok(conn)
}
