//! Hold points for the crash tests: places in `agora submit` where a test can stop the process
//! on purpose and kill it there, so that kills fall before, at and after "queued" on any
//! machine, however slow, instead of wherever a timer happens to land.
//!
//! Set `AGORA_TEST_HOLD_AT` to a point's name and the command, on reaching it, says
//! `agora: held at NAME` on standard error and waits there until it is killed. Only builds with
//! debug assertions (the ones `cargo test` and `cargo xtask test` run) read the variable; in a
//! release build [`hold`] does nothing.

use std::fmt;

use agora_gateway::Ledger;
use agora_ledger::store::{Appended, ApplicationRecord, SignedCheckpoint, StoredEntry};
use agora_services::ApplicationId;
use async_trait::async_trait;
use serde_json::Value;

use agora_gateway::LedgerError;
use agora_gateway::receipt::Receipt;

/// The environment variable naming the point to hold at.
pub const HOLD_AT: &str = "AGORA_TEST_HOLD_AT";

/// Where `agora submit` can be held, in the order a submission passes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// The application is signed; nothing of it is on disk yet.
    Signed,
    /// The outbox holds it durably; the citizen has not been told.
    Enqueued,
    /// "queued: ID" has been said; nothing is delivered yet.
    Told,
    /// The ledger committed a submission; the archive does not know yet.
    SubmissionAppended,
    /// The ledger committed a desk's decision; the desk and the archive do not know yet.
    DecisionAppended,
    /// Every application is delivered and decided; the receipts are not refreshed yet.
    Decided,
}

impl Point {
    /// Every point, in order.
    pub const ALL: [Point; 6] = [
        Point::Signed,
        Point::Enqueued,
        Point::Told,
        Point::SubmissionAppended,
        Point::DecisionAppended,
        Point::Decided,
    ];

    /// The name `AGORA_TEST_HOLD_AT` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Point::Signed => "signed",
            Point::Enqueued => "enqueued",
            Point::Told => "told",
            Point::SubmissionAppended => "submission-appended",
            Point::DecisionAppended => "decision-appended",
            Point::Decided => "decided",
        }
    }
}

/// Waits here for ever if `AGORA_TEST_HOLD_AT` names `point` (debug builds only).
pub fn hold(point: Point) {
    #[cfg(debug_assertions)]
    if std::env::var(HOLD_AT).is_ok_and(|name| name == point.name()) {
        eprintln!("agora: held at {}", point.name());
        loop {
            std::thread::park();
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}

/// A ledger that holds after each append it passes on: at [`Point::SubmissionAppended`] or
/// [`Point::DecisionAppended`], depending on the entry.
pub struct Holding<'a>(pub &'a dyn Ledger);

impl fmt::Debug for Holding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[async_trait]
impl<'a> Ledger for Holding<'a> {
    fn describe(&self) -> String {
        self.0.describe()
    }

    fn origin(&self) -> String {
        self.0.origin()
    }

    fn trusted(&self) -> agora_gateway::TrustedLedgers {
        self.0.trusted()
    }

    async fn append(&self, entry: Value) -> Result<Appended, LedgerError> {
        let submission =
            entry.get("type").and_then(Value::as_str) == Some(agora_ledger::entry::SUBMISSION_TYPE);
        let appended = self.0.append(entry).await?;
        hold(if submission {
            Point::SubmissionAppended
        } else {
            Point::DecisionAppended
        });
        Ok(appended)
    }

    async fn entries_since(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, LedgerError> {
        self.0.entries_since(cursor, limit).await
    }

    async fn application(
        &self,
        id: ApplicationId,
        applicant: agora_identity::DidKey,
    ) -> Result<Option<ApplicationRecord>, LedgerError> {
        self.0.application(id, applicant).await
    }

    async fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        self.0.checkpoint().await
    }

    async fn receipt(
        &self,
        id: ApplicationId,
        application: Value,
    ) -> Result<Option<Receipt>, LedgerError> {
        self.0.receipt(id, application).await
    }

    async fn progress(
        &self,
        held: Option<&agora_gateway::backend::Seen>,
    ) -> Result<Option<agora_gateway::backend::Progress>, LedgerError> {
        self.0.progress(held).await
    }
}
