//! Where an application stands, as the window's timeline and `agora status` show it.
//!
//! JSON, tagged by `state`:
//!
//! ```json
//! {"state": "draft"}
//! {"state": "signed"}
//! {"state": "queued"}
//! {"state": "anchored"}
//! {"state": "decided", "outcome": "approve"}
//! {"state": "failed", "reason": {"key": "…", "args": {…}}}
//! ```
//!
//! The usual order is draft → signed → queued → anchored → decided. `failed` is reached when
//! delivery gives up or the ledger refuses the application, with the reason as a localized
//! message.

use serde::{Deserialize, Serialize};

use crate::message::Message;
use crate::policy::Outcome;

/// Where an application stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum Status {
    /// Being filled in; nothing signed yet.
    Draft,
    /// Signed by the citizen, not yet handed to the outbox.
    Signed,
    /// Stored durably in the outbox, waiting for delivery.
    Queued,
    /// Anchored on a ledger: a receipt exists.
    Anchored,
    /// The department decided.
    Decided {
        /// The decision's outcome.
        outcome: Outcome,
    },
    /// Delivery failed for good, or the ledger refused it.
    Failed {
        /// Why.
        reason: Message,
    },
}

impl Status {
    /// The status's label, as a message: `status.draft`, …, `status.decided-approve`,
    /// `status.failed`.
    pub fn label(&self) -> Message {
        Message::new(match self {
            Status::Draft => "status.draft",
            Status::Signed => "status.signed",
            Status::Queued => "status.queued",
            Status::Anchored => "status.anchored",
            Status::Decided {
                outcome: Outcome::Approve,
            } => "status.decided-approve",
            Status::Decided {
                outcome: Outcome::Refer,
            } => "status.decided-refer",
            Status::Decided {
                outcome: Outcome::Reject,
            } => "status.decided-reject",
            Status::Failed { .. } => "status.failed",
        })
    }

    /// Whether nothing more will happen to the application on its own (decided or failed; a
    /// referral waits for an officer, whose decision is a new document).
    pub fn is_final(&self) -> bool {
        matches!(self, Status::Decided { .. } | Status::Failed { .. })
    }
}
