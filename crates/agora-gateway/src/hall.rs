//! A service hall's outbox: where a kiosk hands each visitor's signed, sealed submission before
//! it says "queued", so that a crash or a power cut of the kiosk still delivers it, exactly
//! once.
//!
//! It holds only what delivery needs: the application's id, its service and the submission
//! (the applicant's signature, the application's digest and the answers sealed to the
//! department; never the answers in the clear). A submission leaves the outbox as soon as a
//! ledger has anchored it, or refused it for good; SQLite's `secure_delete` overwrites what
//! it leaves, and the journal is a rollback journal deleted after each commit, so nothing of a
//! delivered submission stays in the file. The visit's own archive (with the answers, for the
//! visitor's screen) lives in memory and goes with the visit.
//!
//! Because a ledger answers a repeated submission with where it already landed, delivering the
//! same submission from the visit's archive and again from this outbox after a restart makes
//! one entry.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use agora_services::ApplicationId;
use rusqlite::{Connection, OpenFlags, params};
use serde_json::Value;

use crate::archive::{ArchiveError, MAX_BACKOFF, due_submissions, seconds};
use crate::backend::{Ledger, LedgerError};

/// The outbox's file name in the kiosk's data directory.
pub const OUTBOX_FILE: &str = "hall-outbox.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    submission TEXT NOT NULL,
    queued INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
) STRICT;
";

/// A service hall's durable outbox (see the module docs).
#[derive(Debug)]
pub struct HallOutbox {
    conn: Connection,
    path: PathBuf,
}

/// What one pass of [`HallOutbox::deliver`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HallDelivery {
    /// Anchored (now or earlier) and gone from the outbox.
    pub anchored: Vec<ApplicationId>,
    /// Refused for good by the ledger, with its reason, and gone from the outbox.
    pub refused: Vec<(ApplicationId, String)>,
    /// Still waiting for the ledger, with why.
    pub waiting: Vec<(ApplicationId, String)>,
}

impl HallOutbox {
    /// Opens (or creates) the outbox at `path`, private to the kiosk's user.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        let sqlite = |source| ArchiveError::Sqlite {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            agora_identity::keystore::files::create_private_dir(dir).map_err(|source| {
                ArchiveError::Io {
                    path: dir.to_owned(),
                    source,
                }
            })?;
        }
        agora_identity::keystore::files::create_private_file(path).map_err(|source| {
            ArchiveError::Io {
                path: path.to_owned(),
                source,
            }
        })?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(sqlite)?;
        // A rollback journal, deleted after each commit, and freed cells overwritten: what a
        // delivered submission leaves is zeroes.
        conn.pragma_update(None, "journal_mode", "DELETE")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(sqlite)?;
        conn.execute_batch(SCHEMA).map_err(sqlite)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    fn sqlite(&self, source: rusqlite::Error) -> ArchiveError {
        ArchiveError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Keeps `submission` (application `id` to `service`) durably until a ledger has it. When
    /// this returns `Ok`, it survives a crash of the kiosk.
    pub fn put(
        &self,
        id: ApplicationId,
        service: &str,
        submission: &Value,
        now: SystemTime,
    ) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO outbox (id, service, submission, queued) VALUES (?1, ?2, ?3, ?4)",
                params![id.to_string(), service, submission.to_string(), seconds(now)],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Forgets `id`: a ledger holds it (or refused it for good).
    pub fn remove(&self, id: ApplicationId) -> Result<(), ArchiveError> {
        self.conn
            .execute("DELETE FROM outbox WHERE id = ?1", [id.to_string()])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// The ids still waiting, oldest first.
    pub fn waiting(&self) -> Result<Vec<ApplicationId>, ArchiveError> {
        Ok(self.rows(None)?.into_iter().map(|(id, _)| id).collect())
    }

    fn rows(&self, due: Option<SystemTime>) -> Result<Vec<(ApplicationId, Value)>, ArchiveError> {
        due_submissions(
            &self.conn,
            &self.path,
            "SELECT id, submission FROM outbox WHERE next_attempt <= ?1 ORDER BY queued, id",
            due.map_or(i64::MAX, seconds),
        )
    }

    /// Hands every submission that is due to `ledger`: anchored or refused for good, it leaves
    /// the outbox; a ledger out of reach is tried again later, waiting longer each time.
    pub async fn deliver(
        &self,
        ledger: &dyn Ledger,
        now: SystemTime,
    ) -> Result<HallDelivery, ArchiveError> {
        let mut delivery = HallDelivery::default();
        for (id, submission) in self.rows(Some(now))? {
            match ledger.append(submission).await {
                Ok(_) => {
                    self.remove(id)?;
                    delivery.anchored.push(id);
                }
                Err(LedgerError::Rejected(refusal)) => {
                    self.remove(id)?;
                    delivery.refused.push((id, refusal.to_string()));
                }
                Err(error @ LedgerError::Unavailable(_)) => {
                    let problem = error.to_string();
                    self.conn
                        .execute(
                            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3 + MIN(?4, 5 * (1 << MIN(attempts, 16))) WHERE id = ?1",
                            params![id.to_string(), problem, seconds(now), MAX_BACKOFF.as_secs() as i64],
                        )
                        .map_err(|e| self.sqlite(e))?;
                    delivery.waiting.push((id, problem));
                }
            }
        }
        Ok(delivery)
    }
}
