//! The seam between Agora and a ledger: the [`Ledger`] trait, what its errors mean, and the
//! embedded backend ([`LocalLedger`]).
//!
//! A backend appends signed entries (submissions and decisions), reads entries since a
//! cursor, looks up an application, and proves: a [`Receipt`] for an application, from its
//! own evidence. The client and the desk hold a `dyn Ledger` and never name a backend, so a
//! new one (an EVM chain, a remote gateway) is a new implementation of this trait.
//!
//! Every method is cancel-safe: dropping its future never leaves half an append behind. An
//! append either lands or not, and sending the same entry again is answered with where it
//! already landed ([`Appended::already`]), which is what makes delivery exactly-once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::SystemTime;

use agora_identity::DidKey;
use agora_ledger::store::{Appended, ApplicationRecord, SignedCheckpoint, StoreError, StoredEntry};
use agora_ledger::{Refusal, Verified, VerifierKey};
use agora_services::{ApplicationId, Catalog};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use tokio::sync::oneshot;

use crate::receipt::{
    EmbeddedProof, Inclusion, LedgerProof, RECEIPT_TYPE, RECEIPT_VERSION, Receipt, TrustedLedgers,
};

/// What went wrong talking to a ledger. The two kinds call for different answers: try again
/// later, or give up and tell the citizen why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// The ledger cannot be reached or cannot work now (offline, locked, disk full, damaged
    /// store): nothing was decided about the entry; try again later.
    #[error("the ledger is unavailable: {0}")]
    Unavailable(String),
    /// The ledger refused the entry for good: sending it again gets the same answer.
    #[error("the ledger refused it: {0}")]
    Rejected(Refusal),
}

impl LedgerError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, LedgerError::Unavailable(_))
    }
}

/// A ledger backend.
#[async_trait]
pub trait Ledger: Send + Sync + fmt::Debug {
    /// The ledger, in words, for messages: "the embedded ledger in /home/…/ledger".
    fn describe(&self) -> String;

    /// The ledger's name: the origin line of its checkpoints, which a decision names as the
    /// ledger its application was anchored on.
    fn origin(&self) -> String;

    /// The ledgers this backend's receipts must verify against: the embedded ledger's
    /// checkpoint key, or the configured registry. The citizen's archive checks every
    /// receipt it is handed against them before it keeps it.
    fn trusted(&self) -> TrustedLedgers;

    /// Appends a signed entry (a submission or a decision).
    async fn append(&self, entry: Value) -> Result<Appended, LedgerError>;

    /// Entries from leaf index `cursor` on, at most `limit`, oldest first.
    async fn entries_since(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, LedgerError>;

    /// `applicant`'s application `id`: its entries, if the ledger holds it. (Ids are unique
    /// per applicant: another applicant's submission under the same id is not this one.)
    async fn application(
        &self,
        id: ApplicationId,
        applicant: DidKey,
    ) -> Result<Option<ApplicationRecord>, LedgerError>;

    /// The newest signed checkpoint, if anything was ever appended.
    async fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError>;

    /// A receipt for the signed application `application` (whose id is `id`), with the newest
    /// decision if there is one; `None` if the ledger does not hold it.
    async fn receipt(
        &self,
        id: ApplicationId,
        application: Value,
    ) -> Result<Option<Receipt>, LedgerError>;

    /// Where the ledger stands now, with what a reader needs to check that it follows from
    /// `held`, the state this reader saw last ([`Progress::seen`] of an earlier answer): a
    /// consistency proof, or the chain's block at `held`'s height. `None` before anything
    /// was appended. The reader checks it ([`crate::archive::follow`]); nothing here is
    /// taken on trust.
    async fn progress(&self, held: Option<&Seen>) -> Result<Option<Progress>, LedgerError>;
}

/// A ledger's state as a reader remembers it, to compare with the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum Seen {
    /// The embedded ledger's signed checkpoint (its note: origin, size, root and signature).
    Embedded {
        /// The signed note.
        note: String,
    },
    /// The newest final block a reader read of a chain.
    Evm {
        /// Its number.
        block: u64,
        /// Its hash, 0x and 64 hexadecimal digits.
        hash: String,
    },
}

/// A ledger's newest state, and how it follows from the one a reader held.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The embedded ledger's newest checkpoint and the RFC 6962 proof that its tree extends
    /// the held checkpoint's.
    Embedded {
        /// The newest signed checkpoint.
        checkpoint: SignedCheckpoint,
        /// The consistency proof from the held checkpoint's size.
        consistency: Vec<agora_ledger::tree::Hash>,
    },
    /// A chain's newest final block, and what the chain holds now at the held block's height.
    Evm {
        /// The newest final block.
        block: u64,
        /// Its hash.
        hash: String,
        /// The hash of the block at the held block's height now (`None`: none held, or the
        /// chain has no block there any more).
        at_held: Option<String>,
    },
}

impl Progress {
    /// The state to remember.
    pub fn seen(&self) -> Seen {
        match self {
            Progress::Embedded { checkpoint, .. } => Seen::Embedded {
                note: checkpoint.note.clone(),
            },
            Progress::Evm { block, hash, .. } => Seen::Evm {
                block: *block,
                hash: hash.clone(),
            },
        }
    }
}

enum Request {
    // Boxed: a checked entry is far larger than the other requests.
    Append(
        Box<Verified>,
        oneshot::Sender<Result<Appended, LedgerError>>,
    ),
    Since(
        u64,
        usize,
        oneshot::Sender<Result<Vec<StoredEntry>, LedgerError>>,
    ),
    Application(
        ApplicationId,
        DidKey,
        oneshot::Sender<Result<Option<ApplicationRecord>, LedgerError>>,
    ),
    Checkpoint(oneshot::Sender<Result<Option<SignedCheckpoint>, LedgerError>>),
    Consistency(
        u64,
        oneshot::Sender<
            Result<Option<(SignedCheckpoint, Vec<agora_ledger::tree::Hash>)>, LedgerError>,
        >,
    ),
    Receipt(
        ApplicationId,
        Value,
        oneshot::Sender<Result<Option<Receipt>, LedgerError>>,
    ),
}

/// The most appends one commit takes.
const GROUP_COMMIT: usize = 512;

/// The embedded ledger as a backend: an [`agora_ledger::Ledger`] on its own thread, which
/// commits every append that arrived while the previous commit ran as one transaction (group
/// commit), so many citizens' submissions share one fsync.
///
/// An entry's signature is verified before it is sent to that thread ([`Verified::check`]),
/// on tokio's blocking pool when the caller runs on tokio, else on the caller's thread: the
/// ledger thread, which every append passes through, is left only the store's own rules and
/// the commit.
pub struct LocalLedger {
    requests: Option<mpsc::Sender<Request>>,
    thread: Option<thread::JoinHandle<()>>,
    dir: PathBuf,
    verifier: VerifierKey,
}

impl Drop for LocalLedger {
    /// Lets the ledger thread finish what it was asked and close the store cleanly, so that a
    /// process that exits leaves no write-ahead log behind.
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for LocalLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalLedger({})", self.dir.display())
    }
}

impl LocalLedger {
    /// Opens (or creates) the embedded ledger in `dir` and starts its thread.
    pub fn open(dir: &Path, catalog: Catalog) -> Result<Self, StoreError> {
        let ledger = agora_ledger::Ledger::open(dir, catalog)?;
        let verifier = ledger.verifier().clone();
        let (requests, inbox) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("agora-ledger".to_owned())
            .spawn(move || serve(ledger, inbox))
            .map_err(|source| StoreError::Io {
                path: dir.to_owned(),
                source,
            })?;
        Ok(Self {
            requests: Some(requests),
            thread: Some(thread),
            dir: dir.to_owned(),
            verifier,
        })
    }

    /// The ledger's checkpoint key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    async fn ask<T>(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<T, LedgerError>>) -> Request,
    ) -> Result<T, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .as_ref()
            .ok_or_else(stopped)?
            .send(request(reply))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> LedgerError {
    LedgerError::Unavailable("the embedded ledger stopped after an error".to_owned())
}

fn unavailable(error: StoreError) -> LedgerError {
    LedgerError::Unavailable(error.to_string())
}

#[async_trait]
impl Ledger for LocalLedger {
    fn describe(&self) -> String {
        format!("the embedded ledger in {}", self.dir.display())
    }

    fn origin(&self) -> String {
        self.verifier.name().to_owned()
    }

    fn trusted(&self) -> TrustedLedgers {
        TrustedLedgers::new([self.verifier.clone()])
    }

    async fn append(&self, entry: Value) -> Result<Appended, LedgerError> {
        let verified = Box::new(verify(entry).await?);
        self.ask(|reply| Request::Append(verified, reply)).await
    }

    async fn entries_since(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, LedgerError> {
        self.ask(|reply| Request::Since(cursor, limit, reply)).await
    }

    async fn application(
        &self,
        id: ApplicationId,
        applicant: DidKey,
    ) -> Result<Option<ApplicationRecord>, LedgerError> {
        self.ask(|reply| Request::Application(id, applicant, reply))
            .await
    }

    async fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        self.ask(Request::Checkpoint).await
    }

    async fn receipt(
        &self,
        id: ApplicationId,
        application: Value,
    ) -> Result<Option<Receipt>, LedgerError> {
        self.ask(|reply| Request::Receipt(id, application, reply))
            .await
    }

    async fn progress(&self, held: Option<&Seen>) -> Result<Option<Progress>, LedgerError> {
        // The held size, read without checking the note: the reader checks it against what
        // comes back.
        let old_size = match held {
            Some(Seen::Embedded { note }) => note
                .lines()
                .nth(1)
                .and_then(|line| line.parse().ok())
                .unwrap_or(0),
            _ => 0,
        };
        let answer = self
            .ask(|reply| Request::Consistency(old_size, reply))
            .await?;
        Ok(answer.map(|(checkpoint, consistency)| Progress::Embedded {
            checkpoint,
            consistency,
        }))
    }
}

/// Verifies `entry` off the ledger thread: on tokio's blocking pool when there is a tokio
/// runtime (the caller's executor is not held up for a signature), else on this thread (the
/// [`Ledger`] trait does not tie its callers to tokio).
async fn verify(entry: Value) -> Result<Verified, LedgerError> {
    let now = SystemTime::now();
    let verified = match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime
            .spawn_blocking(move || Verified::check(&entry, now))
            .await
            .map_err(|error| {
                LedgerError::Unavailable(format!("verifying the entry did not finish: {error}"))
            })?,
        Err(_) => Verified::check(&entry, now),
    };
    verified.map_err(LedgerError::Rejected)
}

/// The ledger thread: serves requests until every handle is dropped.
fn serve(mut ledger: agora_ledger::Ledger, inbox: mpsc::Receiver<Request>) {
    while let Ok(first) = inbox.recv() {
        let mut appends = Vec::new();
        let mut others = Vec::new();
        let mut next = Some(first);
        // Take whatever else is waiting, up to a commit's worth of appends.
        while let Some(request) = next.take() {
            match request {
                Request::Append(entry, reply) => appends.push((*entry, reply)),
                other => others.push(other),
            }
            if appends.len() < GROUP_COMMIT {
                next = inbox.try_recv().ok();
            }
        }
        if !appends.is_empty() {
            let (entries, replies): (Vec<Verified>, Vec<_>) = appends.into_iter().unzip();
            match ledger.append_verified(&entries, SystemTime::now()) {
                Ok(results) => {
                    for (result, reply) in results.into_iter().zip(replies) {
                        let _ = reply.send(result.map_err(LedgerError::Rejected));
                    }
                }
                Err(error) => {
                    let error = unavailable(error);
                    for reply in replies {
                        let _ = reply.send(Err(error.clone()));
                    }
                }
            }
        }
        for request in others {
            match request {
                Request::Append(..) => {}
                Request::Since(cursor, limit, reply) => {
                    let _ = reply.send(ledger.entries_since(cursor, limit).map_err(unavailable));
                }
                Request::Application(id, applicant, reply) => {
                    let _ = reply.send(ledger.application(id, &applicant).map_err(unavailable));
                }
                Request::Checkpoint(reply) => {
                    let _ = reply.send(ledger.checkpoint().map_err(unavailable));
                }
                Request::Consistency(old_size, reply) => {
                    let _ = reply.send(ledger.consistency(old_size).map_err(unavailable));
                }
                Request::Receipt(id, application, reply) => {
                    let _ = reply
                        .send(local_receipt(&mut ledger, id, application).map_err(unavailable));
                }
            }
        }
    }
}

/// Builds a receipt from the embedded ledger.
pub fn local_receipt(
    ledger: &mut agora_ledger::Ledger,
    id: ApplicationId,
    application: Value,
) -> Result<Option<Receipt>, StoreError> {
    // The application's own issuer is whose submission it is.
    let Some(applicant) = crate::receipt::applicant_of(&application) else {
        return Ok(None);
    };
    let Some(record) = ledger.application(id, &applicant)? else {
        return Ok(None);
    };
    let decision = record.decisions.last().cloned();
    let mut indices = vec![record.submission.index];
    indices.extend(decision.as_ref().map(|d| d.index));
    let (checkpoint, proofs) = ledger.prove(&indices)?;
    let submission = Inclusion::new(record.submission, &proofs[0]);
    let decision = decision
        .zip(proofs.get(1))
        .map(|(entry, proof)| Inclusion::new(entry, proof));
    Ok(Some(Receipt {
        kind: RECEIPT_TYPE.to_owned(),
        version: RECEIPT_VERSION,
        application,
        ledger: LedgerProof::Embedded(EmbeddedProof {
            key: ledger.verifier().to_string(),
            checkpoint: checkpoint.note,
            submission,
            decision,
        }),
    }))
}
