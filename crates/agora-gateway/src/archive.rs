//! The citizen's archive and outbox: one SQLite file in the data directory
//! (`archive.sqlite`), WAL mode, `synchronous=FULL`.
//!
//! [`Archive::enqueue`] writes the signed application (answers in the clear: this is the
//! citizen's own copy) and the sealed submission in one durable transaction; only after it
//! returns may the citizen be told "queued". [`deliver`] hands due submissions to a ledger
//! and records the answer: anchored, refused (with the ledger's reason), or a retry time with
//! exponential back-off. Because a ledger answers a repeated submission with where it already
//! landed, a crash anywhere (before, during or after an append) leads to exactly one entry.
//! [`refresh`] fetches receipts and decisions for what is anchored.
//!
//! Every transition is kept as an event, so the window can show the timeline:
//! queued → anchored → decided.
//!
//! The archive also remembers each ledger's state as it last saw it ([`Seen`]: the embedded
//! ledger's signed checkpoint, a chain's newest final block), and at every [`refresh`] checks
//! that the ledger's newest state follows from it ([`follow`]): an RFC 6962 consistency proof,
//! or the same block still at the same height. A rollback or a fork is never taken silently:
//! it is kept, with both states, in [`Archive::ledger_problems`] and noted on every
//! application on that ledger.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora_ledger::store::open_durable;
use agora_services::{ApplicationId, Catalog, Outcome};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::backend::{Ledger, LedgerError, Progress, Seen};
use crate::prepare::Prepared;
use crate::receipt::{Receipt, TrustedLedgers};

/// The archive's file name in the data directory.
pub const ARCHIVE_FILE: &str = "archive.sqlite";

/// The longest wait between two delivery attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS applications (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    application TEXT NOT NULL,
    submission TEXT NOT NULL,
    created INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    receipt TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    at INTEGER NOT NULL,
    state TEXT NOT NULL,
    detail TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS events_by_id ON events(id, seq);
CREATE TABLE IF NOT EXISTS ledgers (
    origin TEXT PRIMARY KEY,
    seen TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS accesses (
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    at INTEGER NOT NULL,
    by TEXT NOT NULL,
    purpose TEXT NOT NULL,
    officer INTEGER NOT NULL,
    PRIMARY KEY (id, position)
) STRICT;
CREATE TABLE IF NOT EXISTS ledger_problems (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    at INTEGER NOT NULL,
    problem TEXT NOT NULL,
    held TEXT,
    shown TEXT NOT NULL
) STRICT;
";

/// Why the archive cannot be used.
#[derive(Debug, Error)]
pub enum ArchiveError {
    /// SQLite refused: damaged, locked, or out of space.
    #[error("the archive {path} cannot be used: {source}")]
    Sqlite {
        /// The archive file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The directory could not be made.
    #[error("{path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The application is already in the archive.
    #[error("application {0} is already in the archive")]
    Duplicate(String),
    /// A stored value cannot be read back.
    #[error("the archive {path} holds a damaged record for {id}: {problem}")]
    Damaged {
        /// The archive file.
        path: PathBuf,
        /// The application.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// Where an archived application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Stored, waiting for delivery.
    Queued,
    /// On a ledger; no final decision yet.
    Anchored,
    /// Decided for good.
    Decided,
    /// Refused by the ledger.
    Failed,
}

impl State {
    /// The state's name, as the archive stores it and the timeline prints it: "queued".
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Anchored => "anchored",
            State::Decided => "decided",
            State::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => State::Queued,
            "anchored" => State::Anchored,
            "decided" => State::Decided,
            "failed" => State::Failed,
            _ => return None,
        })
    }
}

/// One step of an application's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When (seconds since the Unix epoch).
    pub at: u64,
    /// The state entered.
    pub state: State,
    /// Details: the ledger position, the outcome, the reason.
    pub detail: Option<String>,
}

/// An application in the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Archived {
    /// Its id.
    pub id: ApplicationId,
    /// Its service.
    pub service: String,
    /// The signed application.
    pub application: Value,
    /// The signed, sealed submission delivered to the ledger.
    pub submission: Value,
    /// Where it stands.
    pub state: State,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// The last delivery problem, if any.
    pub last_error: Option<String>,
    /// The newest receipt, once anchored.
    pub receipt: Option<Receipt>,
    /// Its timeline.
    pub events: Vec<Event>,
    /// Who opened it at the department, as the ledger recorded it, oldest first.
    pub accesses: Vec<Opened>,
}

impl Opened {
    /// What the citizen reads of it: who (the department, or an officer of it) and why, as
    /// a localized message (`access.automatic-review`, `access.officer-review`).
    pub fn message(&self, department: &agora_services::Text) -> agora_services::Message {
        let key = match (self.officer, self.purpose) {
            (true, _) | (_, agora_ledger::entry::Purpose::OfficerReview) => "access.officer-review",
            _ => "access.automatic-review",
        };
        agora_services::Message::new(key).with("department", department)
    }
}

/// One time someone at the department opened an application: an access entry the ledger
/// holds, checked before it was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// When they opened it (seconds since the Unix epoch).
    pub at: u64,
    /// Who: a department key, or an officer's.
    pub by: String,
    /// Why.
    pub purpose: agora_ledger::entry::Purpose,
    /// Whether an officer opened it (under the department's delegation).
    pub officer: bool,
}

impl Archived {
    /// The decision's outcome, once decided (or referred).
    pub fn outcome(&self) -> Option<Outcome> {
        let decision = self.receipt.as_ref()?.ledger.decision()?;
        agora_services::Decision::from_json(decision)
            .ok()
            .map(|d| d.credential_subject.outcome)
    }
}

/// The citizen's archive and outbox.
#[derive(Debug)]
pub struct Archive {
    conn: Connection,
    path: PathBuf,
}

/// Whole seconds since the Unix epoch, as the archive and the hall's outbox store times.
pub(crate) fn seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The `(id, submission)` rows that `sql` selects with `at` as its one parameter, read back
/// (the archive's and the hall's outbox's queue, `path` for messages).
pub(crate) fn due_submissions(
    conn: &Connection,
    path: &Path,
    sql: &str,
    at: i64,
) -> Result<Vec<(ApplicationId, Value)>, ArchiveError> {
    let sqlite = |source| ArchiveError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let mut statement = conn.prepare_cached(sql).map_err(sqlite)?;
    let rows = statement
        .query_map([at], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sqlite)?;
    rows.into_iter()
        .map(|(id, submission)| {
            let damaged = |problem: String| ArchiveError::Damaged {
                path: path.to_owned(),
                id: id.clone(),
                problem,
            };
            Ok((
                ApplicationId::parse(&id).map_err(|e| damaged(e.to_string()))?,
                serde_json::from_str(&submission).map_err(|e| damaged(e.to_string()))?,
            ))
        })
        .collect()
}

impl Archive {
    /// Opens (or creates) the archive at `path`.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        if let Some(dir) = path.parent() {
            agora_identity::keystore::files::create_private_dir(dir).map_err(|source| {
                ArchiveError::Io {
                    path: dir.to_owned(),
                    source,
                }
            })?;
        }
        let sqlite = |source| ArchiveError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = open_durable(path, SCHEMA).map_err(sqlite)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// An archive in memory only, gone when dropped: a kiosk visit's, whose answers must
    /// not outlive the visit (the hall's outbox, [`crate::hall`], keeps what delivery needs).
    pub fn in_memory() -> Result<Self, ArchiveError> {
        let path = PathBuf::from(":memory:");
        let sqlite = |source| ArchiveError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open_in_memory().map_err(sqlite)?;
        conn.execute_batch(SCHEMA).map_err(sqlite)?;
        Ok(Self { conn, path })
    }

    fn sqlite(&self, source: rusqlite::Error) -> ArchiveError {
        ArchiveError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Stores a signed application and its submission, durably, as queued. When this returns
    /// `Ok`, the application survives a crash and will be delivered.
    pub fn enqueue(&self, prepared: &Prepared, now: SystemTime) -> Result<(), ArchiveError> {
        let Prepared {
            id,
            service,
            application,
            submission,
        } = prepared;
        let id = *id;
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(|e| self.sqlite(e))?;
        let inserted = tx
            .execute(
                "INSERT OR IGNORE INTO applications (id, service, application, submission, created, state) VALUES (?1, ?2, ?3, ?4, ?5, 'queued')",
                params![id.to_string(), service, application.to_string(), submission.to_string(), seconds(now)],
            )
            .map_err(|e| self.sqlite(e))?;
        if inserted == 0 {
            return Err(ArchiveError::Duplicate(id.to_string()));
        }
        add_event(&tx, id, now, State::Queued, None).map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))
    }

    /// Queued applications whose next attempt is due at `now`, oldest first.
    pub fn due(&self, now: SystemTime) -> Result<Vec<(ApplicationId, Value)>, ArchiveError> {
        due_submissions(
            &self.conn,
            &self.path,
            "SELECT id, submission FROM applications WHERE state = 'queued' AND next_attempt <= ?1 ORDER BY created, id",
            seconds(now),
        )
    }

    fn set_state(
        &self,
        id: ApplicationId,
        state: State,
        detail: Option<&str>,
        receipt: Option<&Receipt>,
        now: SystemTime,
    ) -> Result<(), ArchiveError> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(|e| self.sqlite(e))?;
        let previous: Option<String> = tx
            .query_row(
                "SELECT state FROM applications WHERE id = ?1",
                [id.to_string()],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let receipt = receipt.map(|r| serde_json::to_string(r).unwrap_or_default());
        tx.execute(
            "UPDATE applications SET state = ?2, last_error = NULL, receipt = COALESCE(?3, receipt) WHERE id = ?1",
            params![id.to_string(), state.as_str(), receipt],
        )
        .map_err(|e| self.sqlite(e))?;
        if previous.as_deref() != Some(state.as_str()) {
            add_event(&tx, id, now, state, detail).map_err(|e| self.sqlite(e))?;
        }
        tx.commit().map_err(|e| self.sqlite(e))
    }

    /// Sends an application again: the ledger no longer holds it (a chain lost the block it
    /// was anchored in). Its receipt, which cites that block, is dropped; it is due at once.
    fn requeue(
        &self,
        id: ApplicationId,
        detail: &str,
        now: SystemTime,
    ) -> Result<(), ArchiveError> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(|e| self.sqlite(e))?;
        tx.execute(
            "UPDATE applications SET state = 'queued', receipt = NULL, last_error = NULL, next_attempt = ?2 WHERE id = ?1",
            params![id.to_string(), seconds(now)],
        )
        .map_err(|e| self.sqlite(e))?;
        add_event(&tx, id, now, State::Queued, Some(detail)).map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))
    }

    /// The state this archive last saw of the ledger `origin`.
    pub fn seen(&self, origin: &str) -> Result<Option<Seen>, ArchiveError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT seen FROM ledgers WHERE origin = ?1",
                [origin],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        // A state this version cannot read is as good as none: the next one is taken as the
        // start.
        Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
    }

    fn set_seen(&self, origin: &str, seen: &Seen) -> Result<(), ArchiveError> {
        let text = serde_json::to_string(seen).unwrap_or_default();
        self.conn
            .execute(
                "INSERT INTO ledgers (origin, seen) VALUES (?1, ?2) ON CONFLICT (origin) DO UPDATE SET seen = ?2",
                params![origin, text],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    fn add_ledger_problem(
        &self,
        origin: &str,
        now: SystemTime,
        problem: &str,
        held: Option<&Seen>,
        shown: &Seen,
    ) -> Result<(), ArchiveError> {
        let held = held.and_then(|held| serde_json::to_string(held).ok());
        let shown = serde_json::to_string(shown).unwrap_or_default();
        self.conn
            .execute(
                "INSERT INTO ledger_problems (origin, at, problem, held, shown) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![origin, seconds(now), problem, held, shown],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Every time a ledger was found not to follow from what this archive saw of it before,
    /// oldest first: the evidence (both states) for the citizen and the city.
    pub fn ledger_problems(&self) -> Result<Vec<LedgerProblem>, ArchiveError> {
        let mut statement = self
            .conn
            .prepare("SELECT origin, at, problem, held, shown FROM ledger_problems ORDER BY seq")
            .map_err(|e| self.sqlite(e))?;
        let rows = statement
            .query_map([], |row| {
                let held: Option<String> = row.get(3)?;
                let shown: String = row.get(4)?;
                Ok(LedgerProblem {
                    origin: row.get(0)?,
                    at: UNIX_EPOCH + Duration::from_secs(row.get::<_, i64>(1)?.max(0) as u64),
                    problem: row.get(2)?,
                    held: held.and_then(|text| serde_json::from_str(&text).ok()),
                    shown: serde_json::from_str(&shown).ok(),
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }

    /// Notes a problem with an application without changing its state.
    fn note_problem(&self, id: ApplicationId, problem: &str) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "UPDATE applications SET last_error = ?2 WHERE id = ?1",
                params![id.to_string(), problem],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    fn retry_later(
        &self,
        id: ApplicationId,
        error: &str,
        now: SystemTime,
    ) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "UPDATE applications SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3 + MIN(?4, 1 << MIN(attempts, 16)) WHERE id = ?1",
                params![id.to_string(), error, seconds(now), MAX_BACKOFF.as_secs() as i64],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Every archived application, newest first.
    pub fn list(&self) -> Result<Vec<Archived>, ArchiveError> {
        let ids: Vec<String> = {
            let mut statement = self
                .conn
                .prepare("SELECT id FROM applications ORDER BY created DESC, id")
                .map_err(|e| self.sqlite(e))?;
            statement
                .query_map([], |row| row.get(0))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(|e| self.sqlite(e))?
        };
        let mut list = Vec::with_capacity(ids.len());
        for id in ids {
            let id = ApplicationId::parse(&id).map_err(|e| ArchiveError::Damaged {
                path: self.path.clone(),
                id: id.clone(),
                problem: e.to_string(),
            })?;
            list.extend(self.get(id)?);
        }
        Ok(list)
    }

    /// Application `id`, if archived.
    pub fn get(&self, id: ApplicationId) -> Result<Option<Archived>, ArchiveError> {
        let row = self
            .conn
            .query_row(
                "SELECT service, application, submission, state, attempts, last_error, receipt FROM applications WHERE id = ?1",
                [id.to_string()],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, i64>(4)?,
                        row.get::<_, Option<String>>(5)?,
                        row.get::<_, Option<String>>(6)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let Some((service, application, submission, state, attempts, last_error, receipt)) = row
        else {
            return Ok(None);
        };
        let damaged = |problem: String| ArchiveError::Damaged {
            path: self.path.clone(),
            id: id.to_string(),
            problem,
        };
        let events = {
            let mut statement = self
                .conn
                .prepare_cached("SELECT at, state, detail FROM events WHERE id = ?1 ORDER BY seq")
                .map_err(|e| self.sqlite(e))?;
            statement
                .query_map([id.to_string()], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                    ))
                })
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(|e| self.sqlite(e))?
        };
        let events = events
            .into_iter()
            .map(|(at, state, detail)| {
                Ok(Event {
                    at: at as u64,
                    state: State::parse(&state)
                        .ok_or_else(|| damaged(format!("unknown state `{state}`")))?,
                    detail,
                })
            })
            .collect::<Result<_, ArchiveError>>()?;
        Ok(Some(Archived {
            id,
            service,
            application: serde_json::from_str(&application).map_err(|e| damaged(e.to_string()))?,
            submission: serde_json::from_str(&submission).map_err(|e| damaged(e.to_string()))?,
            state: State::parse(&state)
                .ok_or_else(|| damaged(format!("unknown state `{state}`")))?,
            attempts: attempts as u32,
            last_error,
            receipt: receipt
                .map(|r| serde_json::from_str(&r))
                .transpose()
                .map_err(|e| damaged(e.to_string()))?,
            events,
            accesses: self.accesses(id)?,
        }))
    }

    fn accesses(&self, id: ApplicationId) -> Result<Vec<Opened>, ArchiveError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT at, by, purpose, officer FROM accesses WHERE id = ?1 ORDER BY position",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = statement
            .query_map([id.to_string()], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sqlite(e))?;
        rows.into_iter()
            .map(|(at, by, purpose, officer)| {
                let purpose =
                    serde_json::from_value(Value::from(purpose.as_str())).map_err(|_| {
                        ArchiveError::Damaged {
                            path: self.path.clone(),
                            id: id.to_string(),
                            problem: format!("unknown purpose `{purpose}`"),
                        }
                    })?;
                Ok(Opened {
                    at: at as u64,
                    by,
                    purpose,
                    officer: officer != 0,
                })
            })
            .collect()
    }

    /// Keeps the access entries `accesses` (checked) of application `id`.
    fn keep_accesses(
        &self,
        id: ApplicationId,
        accesses: &[(u64, agora_ledger::entry::Access)],
    ) -> Result<(), ArchiveError> {
        for (position, access) in accesses {
            self.conn
                .execute(
                    "INSERT OR IGNORE INTO accesses (id, position, at, by, purpose, officer) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![
                        id.to_string(),
                        *position as i64,
                        access.at.unix_timestamp(),
                        access.by.to_string(),
                        access.purpose.as_str(),
                        i64::from(access.delegation.is_some()),
                    ],
                )
                .map_err(|e| self.sqlite(e))?;
        }
        Ok(())
    }
}

fn add_event(
    tx: &rusqlite::Transaction<'_>,
    id: ApplicationId,
    now: SystemTime,
    state: State,
    detail: Option<&str>,
) -> Result<(), rusqlite::Error> {
    tx.execute(
        "INSERT INTO events (id, at, state, detail) VALUES (?1, ?2, ?3, ?4)",
        params![id.to_string(), seconds(now), state.as_str(), detail],
    )
    .map(drop)
}

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Applications anchored now (or found already anchored).
    pub anchored: Vec<ApplicationId>,
    /// Applications the ledger refused, with why.
    pub refused: Vec<(ApplicationId, String)>,
    /// Applications that wait for a retry, with the problem.
    pub waiting: Vec<(ApplicationId, String)>,
}

/// How many appends one delivery has in flight at once.
pub const MAX_IN_FLIGHT: usize = 64;

/// Delivers every due application once: anchored ones move on, refused ones fail with the
/// ledger's reason, and the rest wait with exponential back-off (1 s, 2 s, 4 s … up to
/// [`MAX_BACKOFF`]). Up to [`MAX_IN_FLIGHT`] appends are in flight at once, so a backlog
/// shares the embedded ledger's commits and a chain's batches; each answer is recorded as it
/// would be alone (a crash before it is recorded leaves the application due, and the ledger
/// answers it again with where it landed).
pub async fn deliver(
    archive: &Archive,
    ledger: &dyn Ledger,
    now: SystemTime,
) -> Result<Delivery, ArchiveError> {
    let mut delivery = Delivery::default();
    let due = archive.due(now)?;
    for group in due.chunks(MAX_IN_FLIGHT) {
        let answers = futures::future::join_all(
            group
                .iter()
                .map(|(_, submission)| ledger.append(submission.clone())),
        )
        .await;
        for ((id, _), answer) in group.iter().zip(answers) {
            delivery.record(archive, ledger, *id, answer, now)?;
        }
    }
    Ok(delivery)
}

impl Delivery {
    fn record(
        &mut self,
        archive: &Archive,
        ledger: &dyn Ledger,
        id: ApplicationId,
        answer: Result<agora_ledger::Appended, LedgerError>,
        now: SystemTime,
    ) -> Result<(), ArchiveError> {
        let delivery = self;
        match answer {
            Ok(appended) => {
                let detail = format!("leaf {} of {}", appended.index, ledger.describe());
                archive.set_state(id, State::Anchored, Some(&detail), None, now)?;
                delivery.anchored.push(id);
            }
            Err(LedgerError::Rejected(refusal)) => {
                let reason = refusal.to_string();
                archive.set_state(id, State::Failed, Some(&reason), None, now)?;
                delivery.refused.push((id, reason));
            }
            Err(error @ LedgerError::Unavailable(_)) => {
                let problem = error.to_string();
                archive.retry_later(id, &problem, now)?;
                delivery.waiting.push((id, problem));
            }
        }
        Ok(())
    }
}

/// A ledger found not to follow from what the archive saw of it before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerProblem {
    /// The ledger's origin.
    pub origin: String,
    /// When it was found.
    pub at: SystemTime,
    /// What was found, in words.
    pub problem: String,
    /// The state the archive held.
    pub held: Option<Seen>,
    /// The state the ledger showed.
    pub shown: Option<Seen>,
}

/// Why a ledger's newest state does not follow from the one held.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Divergence {
    /// The state is not signed by a key this archive trusts: it is not taken.
    #[error("{0}")]
    Untrusted(String),
    /// The state is signed, or the chain's, and does not extend the one held: a rollback or a
    /// fork. It is recorded, and becomes the state later ones are compared with.
    #[error("{0}")]
    Diverged(String),
}

/// Checks that `progress`, a ledger's newest state, follows from `held`, the state last seen
/// of it (nothing held: any state is a start).
pub fn follow(
    held: Option<&Seen>,
    progress: &Progress,
    trusted: &TrustedLedgers,
) -> Result<(), Divergence> {
    use agora_ledger::Checkpoint;
    match progress {
        Progress::Embedded {
            checkpoint,
            consistency,
        } => {
            let new = trusted
                .keys()
                .iter()
                .find_map(|key| Checkpoint::open(&checkpoint.note, key).ok())
                .ok_or_else(|| {
                    Divergence::Untrusted(
                        "its newest checkpoint is not signed by a ledger key this device trusts"
                            .to_owned(),
                    )
                })?;
            let Some(Seen::Embedded { note }) = held else {
                return Ok(());
            };
            let old = Checkpoint::parse(note).map_err(|error| {
                Divergence::Diverged(format!("the checkpoint held cannot be read: {error}"))
            })?;
            if old.origin != new.origin {
                return Err(Divergence::Diverged(format!(
                    "its checkpoint names the ledger {}, not {}",
                    new.origin, old.origin
                )));
            }
            agora_ledger::tree::verify_consistency(
                old.size,
                &old.root,
                new.size,
                &new.root,
                consistency,
            )
            .map_err(|error| {
                Divergence::Diverged(match error {
                    agora_ledger::tree::ConsistencyError::Shrank { old, new } => {
                        format!("it rolled back: it holds {new} entries, and this device saw {old}")
                    }
                    other => format!("it forked: {other}"),
                })
            })
        }
        Progress::Evm { at_held, .. } => {
            let Some(Seen::Evm { block, hash }) = held else {
                return Ok(());
            };
            if at_held.as_deref() == Some(hash.as_str()) {
                return Ok(());
            }
            Err(Divergence::Diverged(format!(
                "the chain no longer holds block {block} as this device read it (hash {hash}, now {}): it was reorganised deeper than its confirmations, or its node restarted from older state",
                at_held.as_deref().unwrap_or("no block there")
            )))
        }
    }
}

/// Checks the ledger's newest state against the one held ([`follow`]), records any
/// divergence (and notes it on every application that went to a ledger), and remembers the
/// new state unless it was not signed by a trusted key.
async fn check_progress(
    archive: &Archive,
    ledger: &dyn Ledger,
    trusted: &TrustedLedgers,
    now: SystemTime,
) -> Result<(), ArchiveError> {
    let origin = ledger.origin();
    let held = archive.seen(&origin)?;
    // A ledger that cannot be reached now is checked next time.
    let Ok(Some(progress)) = ledger.progress(held.as_ref()).await else {
        return Ok(());
    };
    let shown = progress.seen();
    match follow(held.as_ref(), &progress, trusted) {
        Ok(()) => archive.set_seen(&origin, &shown),
        Err(divergence) => {
            let problem = format!(
                "{} is not as this device saw it before: {divergence}",
                ledger.describe()
            );
            archive.add_ledger_problem(&origin, now, &problem, held.as_ref(), &shown)?;
            for archived in archive.list()? {
                if matches!(archived.state, State::Anchored | State::Decided) {
                    archive.note_problem(archived.id, &problem)?;
                }
            }
            match divergence {
                Divergence::Untrusted(_) => Ok(()),
                Divergence::Diverged(_) => archive.set_seen(&origin, &shown),
            }
        }
    }
}

/// Checks that the ledger follows from what the archive saw of it ([`follow`]), then fetches
/// a fresh receipt for every anchored application and records decisions; an anchored
/// application the ledger no longer holds (a chain lost its block) is queued again. Returns
/// the applications that changed state.
pub async fn refresh(
    archive: &Archive,
    ledger: &dyn Ledger,
    catalog: &Catalog,
    now: SystemTime,
) -> Result<Vec<ApplicationId>, ArchiveError> {
    let trusted = ledger.trusted();
    check_progress(archive, ledger, &trusted, now).await?;
    let mut changed = Vec::new();
    for archived in archive.list()? {
        if archived.state != State::Anchored
            && !(archived.state == State::Decided && archived.receipt.is_none())
        {
            continue;
        }
        let receipt = match ledger
            .receipt(archived.id, archived.application.clone())
            .await
        {
            Ok(Some(receipt)) => receipt,
            // Anchored, and now the ledger does not hold it: a chain lost the block (a node
            // restarted from older state, or a reorganisation deeper than the confirmations).
            // Sending it again is safe: a ledger that does hold it answers where it is.
            Ok(None) if archived.state == State::Anchored => {
                archive.requeue(
                    archived.id,
                    &format!(
                        "{} no longer holds it; it will be sent again",
                        ledger.describe()
                    ),
                    now,
                )?;
                changed.push(archived.id);
                continue;
            }
            _ => continue,
        };
        // Nothing a ledger hands over is kept unchecked: the receipt must verify, against the
        // ledger this archive is configured with, before it is stored or moves the state.
        let checked = serde_json::to_value(&receipt)
            .map_err(|error| error.to_string())
            .and_then(|json| {
                crate::receipt::verify(&json, catalog, &trusted, now).map_err(|e| e.to_string())
            });
        if let Err(problem) = checked {
            archive.note_problem(
                archived.id,
                &format!(
                    "{} handed over a receipt that does not verify, which was not kept: {problem}",
                    ledger.describe()
                ),
            )?;
            continue;
        }
        // Who opened it: each access entry checked (signed by a key of the department, or an
        // officer under its delegation, when the ledger recorded it) before it is kept.
        if let Some(applicant) = crate::receipt::applicant_of(&archived.application)
            && let Ok(Some(record)) = ledger.application(archived.id, applicant).await
        {
            let accesses: Vec<(u64, agora_ledger::entry::Access)> = record
                .accesses
                .iter()
                .filter_map(|stored| {
                    match agora_ledger::entry::check_entry(
                        &stored.entry,
                        catalog,
                        stored.time.into(),
                    ) {
                        Ok(agora_ledger::Entry::Access(access)) if access.id == archived.id => {
                            Some((stored.index, access))
                        }
                        _ => None,
                    }
                })
                .collect();
            archive.keep_accesses(archived.id, &accesses)?;
        }
        let decision = receipt
            .ledger
            .decision()
            .and_then(|d| agora_services::Decision::from_json(d).ok());
        let (state, detail) = match &decision {
            Some(decision) if agora_ledger::entry::is_final(decision) => (
                State::Decided,
                Some(decision.credential_subject.outcome.as_str().to_owned()),
            ),
            _ => (State::Anchored, None),
        };
        archive.set_state(archived.id, state, detail.as_deref(), Some(&receipt), now)?;
        if state != archived.state {
            changed.push(archived.id);
        }
    }
    Ok(changed)
}
