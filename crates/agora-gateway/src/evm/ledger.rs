//! [`EvmLedger`]: the registry on a chain behind the gateway's [`Ledger`] seam, so that the
//! citizen's outbox and the department's desk work against a chain exactly as they do against
//! the embedded ledger.
//!
//! - **Submissions** are anchored in batches: appends that arrive while one batch is on its
//!   way wait for the next, and one of the waiting callers sends it (no background task, so
//!   the backend runs on whatever executor its caller has). A batch holds one service's
//!   submissions, at most [`EvmConfig::batch_max`].
//! - **Finality**: an append is answered only once its transaction's block is
//!   [`EvmConfig::confirmations`] deep. If a reorganisation drops the batch before that, it is
//!   anchored again; the positions and time given are those of the block that stayed.
//! - **Reading**: the ledger's entries are read from the registry's events in final blocks
//!   only, the submissions decoded from their anchoring call's data and checked against the
//!   root anchored (a batch whose data does not rebuild its root is not read). An application
//!   anchored again later is the same application: the first position wins.
//! - **Decisions** go to the registry's `decide`, from the department's account.
//! - **Digests only** ([`EvmConfig::inbox`]): the call anchors a batch's root alone and its
//!   submissions go to the department's inbox folder; readers take them from there, check them
//!   against the root, and read no further along the sequence than a batch not there yet.
//!
//! Every entry the ledger hands out passed the same checks as on the embedded ledger (the
//! signature, by the entry's own signer); its positions are the registry's `entries`
//! sequence, and its times the anchoring blocks' timestamps.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex as SyncMutex;
use std::time::{Duration, SystemTime};

use agora_identity::DidKey;
use agora_identity::canonical::canonicalize;
use agora_ledger::entry::{Entry, is_final};
use agora_ledger::store::{Appended, ApplicationRecord, SignedCheckpoint, StoredEntry};
use agora_ledger::tree::Hash;
use agora_ledger::{Refusal, Verified};
use agora_services::{ApplicationId, Catalog, Decision};
use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::Provider as _;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolCall as _, SolEvent as _};
use async_trait::async_trait;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use tokio::sync::{Mutex, oneshot};

use super::batch::{self, Batch};
use super::chain::{ChainError, Registry, classify};
use super::codec;
use super::contract::{AgoraRegistry, application_key, service_key};
use crate::backend::{Ledger, LedgerError, Progress, Seen};
use crate::receipt::{
    BatchProof, ChainEntry, ChainSubmission, EvmProof, LedgerProof, RECEIPT_TYPE, RECEIPT_VERSION,
    Receipt, TrustedLedgers, evm_origin,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// How an EVM ledger is reached and how it batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmConfig {
    /// The node's JSON-RPC URL.
    pub url: String,
    /// The chain id the node must be on.
    pub chain_id: u64,
    /// The registry's address.
    pub registry: Address,
    /// The block the registry was deployed in: events are read from there on.
    pub deployed_at: u64,
    /// How many blocks must follow a transaction's before it counts (0: its own block).
    pub confirmations: u64,
    /// The most submissions one batch anchors.
    pub batch_max: usize,
    /// How long the first submission of a batch waits for others.
    pub batch_wait: Duration,
    /// How often to look for new blocks while waiting for confirmations.
    pub poll: Duration,
    /// How long one request to the node may take.
    pub timeout: Duration,
    /// Digests only (for a public chain): the anchoring call carries a batch's root and count
    /// but not its submissions, which go instead to this folder, the department's inbox, as
    /// `<root>.batch` ([`batch_file`]; the same compact bytes the call would carry), written
    /// before the batch is anchored. Readers (desks, audits, the citizen's own client) read a
    /// digests-only batch from here and check it against the root on the chain. `None`: the
    /// submissions travel in the call's data.
    pub inbox: Option<PathBuf>,
}

impl EvmConfig {
    /// A configuration with the defaults: two confirmations, batches of up to 100 gathered
    /// for 200 ms, new blocks looked for every 500 ms.
    pub fn new(url: impl Into<String>, chain_id: u64, registry: Address) -> Self {
        Self {
            url: url.into(),
            chain_id,
            registry,
            deployed_at: 0,
            confirmations: 2,
            batch_max: 100,
            batch_wait: Duration::from_millis(200),
            poll: Duration::from_millis(500),
            timeout: super::chain::REQUEST_TIMEOUT,
            inbox: None,
        }
    }
}

/// The file in the inbox `inbox` that holds the submissions of the batch whose root is `root`:
/// `<64 hexadecimal digits>.batch`.
pub fn batch_file(inbox: &Path, root: B256) -> PathBuf {
    inbox.join(format!("{}.batch", alloy::hex::encode(root)))
}

/// Writes a batch's submissions into the inbox, durably (a whole file or none: written beside
/// it, flushed, then renamed into place).
fn write_batch_file(inbox: &Path, root: B256, data: &[u8]) -> Result<(), LedgerError> {
    let path = batch_file(inbox, root);
    let failed = |error: std::io::Error| {
        LedgerError::Unavailable(format!(
            "cannot write the batch's submissions to the inbox ({}): {error}",
            path.display()
        ))
    };
    std::fs::create_dir_all(inbox).map_err(failed)?;
    let temporary = inbox.join(format!(".{}.batch.partial", alloy::hex::encode(root)));
    let mut file = std::fs::File::create(&temporary).map_err(failed)?;
    std::io::Write::write_all(&mut file, data).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&temporary, &path).map_err(failed)?;
    std::fs::File::open(inbox)
        .and_then(|dir| dir.sync_all())
        .map_err(failed)
}

/// The largest batch data one transaction carries: below the 128 KiB that Geth and Besu
/// accept into their transaction pools by default.
pub const MAX_BATCH_BYTES: usize = 120 * 1024;

/// How many times one append sends a transaction that the chain then drops, before it gives
/// the caller "try again later".
const MAX_RESENDS: u32 = 5;

/// The most blocks one `eth_getLogs` asks for.
const LOG_RANGE: u64 = 2_000;

/// An entry read from the chain.
#[derive(Debug, Clone)]
struct Indexed {
    stored: StoredEntry,
    kind: Kind,
    transaction: B256,
    block: u64,
    block_hash: B256,
}

/// What a call to the registry records, to find it in its receipt and to tell that the chain
/// still holds it.
#[derive(Debug, Clone, Copy)]
enum Record {
    /// A decision of `kind` on the application `key` (`id`).
    Decision {
        key: B256,
        kind: u8,
        id: ApplicationId,
    },
    /// An access entry.
    Access,
}

/// A decision or access entry as a registry event records it.
struct Recorded<'a> {
    /// The position of the application it is about.
    application: u64,
    /// Its own position.
    position: u64,
    /// The signed entry's JSON.
    document: &'a [u8],
    transaction: B256,
    block: u64,
    block_hash: B256,
}

#[derive(Debug, Clone)]
enum Kind {
    Submission {
        root: B256,
        /// Its leaf index in the batch.
        offset: u64,
        applicant: Box<DidKey>,
        id: ApplicationId,
    },
    Decision,
    Access,
}

/// What has been read of the chain: final blocks only.
#[derive(Debug, Default)]
struct Index {
    /// The last block read, and its hash (to notice a reorganisation deeper than the
    /// confirmations).
    read_to: Option<(u64, B256)>,
    positions: BTreeMap<u64, Indexed>,
    by_application: HashMap<(String, ApplicationId), u64>,
    by_digest: HashMap<String, u64>,
    decisions: HashMap<u64, Vec<u64>>,
    /// Each submission's access entries, by its position: who opened it.
    accesses: HashMap<u64, Vec<u64>>,
    /// Each batch's leaves, for inclusion proofs.
    batches: HashMap<B256, Vec<Hash>>,
    block_times: HashMap<u64, OffsetDateTime>,
    /// Digests-only batches in final blocks whose submissions are not readable from the
    /// inbox yet, by their first position: read again at every sync, and no reader of the
    /// sequence is given what follows until they are.
    awaiting: BTreeMap<u64, Awaiting>,
}

impl Index {
    /// The entries `by_application` (decisions or accesses) lists for the submission at
    /// `position`, oldest first.
    fn recorded_for<'a>(
        &'a self,
        by_application: &'a HashMap<u64, Vec<u64>>,
        position: u64,
    ) -> impl Iterator<Item = &'a Indexed> {
        by_application
            .get(&position)
            .into_iter()
            .flatten()
            .filter_map(|at| self.positions.get(at))
    }
}

/// A digests-only batch not read yet, and why.
#[derive(Debug, Clone)]
struct Awaiting {
    log: alloy::rpc::types::Log,
    problem: String,
}

struct Pending {
    service: String,
    /// The signed submission in the compact form the batch's call carries.
    compact: Vec<u8>,
    leaf: Hash,
    applicant: DidKey,
    id: ApplicationId,
    digest: String,
    reply: oneshot::Sender<Result<Appended, LedgerError>>,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    leading: bool,
}

/// The lead of the batch queue, given up if its holder is dropped while `held`.
struct Lead<'a> {
    queue: &'a SyncMutex<Queue>,
    held: bool,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.held
            && let Ok(mut queue) = self.queue.lock()
        {
            queue.leading = false;
        }
    }
}

/// The registry on a chain as a [`Ledger`].
pub struct EvmLedger {
    /// Connected on first use, so that a ledger that cannot be reached yet still takes
    /// appends' refusals as "try again later" and the outbox keeps what it holds.
    registry: tokio::sync::OnceCell<Registry>,
    account: alloy::signers::local::PrivateKeySigner,
    config: EvmConfig,
    services: HashMap<B256, String>,
    catalog: Catalog,
    index: Mutex<Index>,
    queue: SyncMutex<Queue>,
}

impl fmt::Debug for EvmLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvmLedger({})", self.describe())
    }
}

fn unavailable(error: ChainError) -> LedgerError {
    LedgerError::Unavailable(error.to_string())
}

impl EvmLedger {
    /// The registry `config` names, sending from `account`. Nothing is asked of the node
    /// until the ledger is first used; then the chain id and the registry's code are checked
    /// (a wrong chain or address is an error of every call, by name, until it is fixed).
    pub fn new(
        config: EvmConfig,
        catalog: Catalog,
        account: alloy::signers::local::PrivateKeySigner,
    ) -> Self {
        let services = catalog
            .services()
            .map(|service| (service_key(&service.id), service.id.clone()))
            .collect();
        Self {
            registry: tokio::sync::OnceCell::new(),
            account,
            config,
            services,
            catalog,
            index: Mutex::new(Index::default()),
            queue: SyncMutex::new(Queue::default()),
        }
    }

    /// The registry connection, made on first use.
    pub async fn registry(&self) -> Result<&Registry, LedgerError> {
        self.registry
            .get_or_try_init(|| {
                Registry::connect_with_timeout(
                    &self.config.url,
                    Some(self.config.chain_id),
                    self.config.registry,
                    self.account.clone(),
                    self.config.timeout,
                )
            })
            .await
            .map_err(unavailable)
    }

    /// Reads the events of every block that is final now and not read yet.
    async fn sync(&self) -> Result<tokio::sync::MutexGuard<'_, Index>, LedgerError> {
        let registry = self.registry().await?;
        let mut index = self.index.lock().await;
        let head = registry.block_number().await.map_err(unavailable)?;
        let final_head = head.saturating_sub(self.config.confirmations);
        if let Some((block, hash)) = index.read_to {
            // A block read as final is gone: the chain reorganised deeper than the
            // confirmations allow for, or the node came back on older state and its chain is
            // now shorter than what was read (a node asked for a block past its head may
            // answer with an error, not with nothing). Read everything again rather than keep
            // what is gone.
            let gone = block > head
                || registry.block_hash(block).await.map_err(unavailable)? != Some(hash);
            if gone {
                *index = Index::default();
            }
        }
        // Digests-only batches whose submissions had not reached the inbox: look again.
        let awaiting = std::mem::take(&mut index.awaiting);
        let mut logs = awaiting.into_values().map(|waiting| waiting.log);
        while let Some(log) = logs.next() {
            if let Err(error) = self.read_log(&mut index, &log).await {
                // Nothing is dropped: what was not looked at yet waits as before.
                for log in std::iter::once(log).chain(logs) {
                    remember_awaiting(&mut index, log, error.to_string());
                }
                return Err(error);
            }
        }
        let mut from = index
            .read_to
            .map_or(self.config.deployed_at, |(block, _)| block + 1);
        while from <= final_head {
            let to = final_head.min(from + LOG_RANGE - 1);
            for log in registry_logs(registry, from, to).await? {
                self.read_log(&mut index, &log).await?;
            }
            let hash = registry
                .block_hash(to)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| {
                    LedgerError::Unavailable(format!("the node has no block {to} any more"))
                })?;
            index.read_to = Some((to, hash));
            from = to + 1;
        }
        Ok(index)
    }

    async fn block_time(
        &self,
        index: &mut Index,
        block: u64,
    ) -> Result<OffsetDateTime, LedgerError> {
        let registry = self.registry().await?;
        if let Some(time) = index.block_times.get(&block) {
            return Ok(*time);
        }
        let found = registry
            .provider()
            .get_block_by_number(block.into())
            .await
            .map_err(|error| unavailable(classify(registry.url(), error)))?
            .ok_or_else(|| LedgerError::Unavailable(format!("the node has no block {block}")))?;
        let time = i64::try_from(found.header.timestamp)
            .ok()
            .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
            .ok_or_else(|| {
                LedgerError::Unavailable(format!("block {block} has an impossible timestamp"))
            })?;
        index.block_times.insert(block, time);
        Ok(time)
    }

    async fn read_log(
        &self,
        index: &mut Index,
        log: &alloy::rpc::types::Log,
    ) -> Result<(), LedgerError> {
        let registry = self.registry().await?;
        let (Some(block), Some(tx), Some(block_hash)) =
            (log.block_number, log.transaction_hash, log.block_hash)
        else {
            return Ok(());
        };
        match log.topic0() {
            Some(topic) if *topic == AgoraRegistry::BatchAnchored::SIGNATURE_HASH => {
                let Ok(event) = log.log_decode::<AgoraRegistry::BatchAnchored>() else {
                    return Ok(());
                };
                let event = event.inner.data;
                let Some(service) = self.services.get(&event.service) else {
                    return Ok(()); // a service this catalog does not have
                };
                let data = if event.withSubmissions {
                    let transaction = registry
                        .provider()
                        .get_transaction_by_hash(tx)
                        .await
                        .map_err(|error| unavailable(classify(registry.url(), error)))?
                        .ok_or_else(|| {
                            LedgerError::Unavailable(format!(
                                "the node does not know transaction {tx}"
                            ))
                        })?;
                    // The anchoring call itself (not through another contract): its data.
                    let Ok(call) = AgoraRegistry::anchorCall::abi_decode(transaction.input())
                    else {
                        return Ok(());
                    };
                    call.submissions.to_vec()
                } else {
                    // Digests only: the submissions are in the inbox, or will be.
                    let Some(inbox) = &self.config.inbox else {
                        return Ok(()); // no inbox here: the batch cannot be read
                    };
                    match read_inbox(inbox, &event, service) {
                        Ok(data) => data,
                        Err(problem) => {
                            remember_awaiting(index, log.clone(), problem);
                            return Ok(());
                        }
                    }
                };
                let Ok(entries) = codec::decode_batch(&data, service, event.count as usize) else {
                    if !event.withSubmissions {
                        remember_awaiting(
                            index,
                            log.clone(),
                            "its file in the inbox is not a batch of submissions".to_owned(),
                        );
                    }
                    return Ok(());
                };
                let Ok(leaves) = entries
                    .iter()
                    .map(batch::leaf)
                    .collect::<Result<Vec<_>, _>>()
                else {
                    return Ok(());
                };
                if batch::tree_of(&leaves).0 != event.root.0 {
                    if !event.withSubmissions {
                        remember_awaiting(
                            index,
                            log.clone(),
                            "its file in the inbox does not rebuild the root on the chain"
                                .to_owned(),
                        );
                    }
                    return Ok(()); // the data is not what was anchored
                }
                let time = self.block_time(index, block).await?;
                index.batches.insert(event.root, leaves);
                for (offset, entry) in entries.into_iter().enumerate() {
                    let position = event.first + offset as u64;
                    let Ok(Entry::Submission(submission)) =
                        Verified::check(&entry, time.into()).map(|v| v.entry().clone())
                    else {
                        continue;
                    };
                    let key = (submission.applicant.to_string(), submission.id);
                    if index.by_application.contains_key(&key)
                        || index.by_digest.contains_key(&submission.application_sha256)
                    {
                        continue; // anchored before: the first position wins
                    }
                    index.by_application.insert(key, position);
                    index
                        .by_digest
                        .insert(submission.application_sha256.clone(), position);
                    index.positions.insert(
                        position,
                        Indexed {
                            stored: StoredEntry {
                                index: position,
                                time,
                                entry,
                            },
                            kind: Kind::Submission {
                                root: event.root,
                                offset: offset as u64,
                                applicant: Box::new(submission.applicant),
                                id: submission.id,
                            },
                            transaction: tx,
                            block,
                            block_hash,
                        },
                    );
                }
            }
            Some(topic) if *topic == AgoraRegistry::DecisionRecorded::SIGNATURE_HASH => {
                let Ok(event) = log.log_decode::<AgoraRegistry::DecisionRecorded>() else {
                    return Ok(());
                };
                let event = event.inner.data;
                let recorded = Recorded {
                    application: event.applicationPosition,
                    position: event.position,
                    document: &event.document,
                    transaction: tx,
                    block,
                    block_hash,
                };
                self.index_recorded(index, recorded, Kind::Decision).await?;
            }
            Some(topic) if *topic == AgoraRegistry::AccessRecorded::SIGNATURE_HASH => {
                let Ok(event) = log.log_decode::<AgoraRegistry::AccessRecorded>() else {
                    return Ok(());
                };
                let event = event.inner.data;
                let recorded = Recorded {
                    application: event.applicationPosition,
                    position: event.position,
                    document: &event.document,
                    transaction: tx,
                    block,
                    block_hash,
                };
                self.index_recorded(index, recorded, Kind::Access).await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Indexes a decision or an access entry the registry recorded, if its document is a
    /// signed entry of that kind.
    async fn index_recorded(
        &self,
        index: &mut Index,
        recorded: Recorded<'_>,
        kind: Kind,
    ) -> Result<(), LedgerError> {
        let Ok(entry) = serde_json::from_slice::<Value>(recorded.document) else {
            return Ok(());
        };
        let time = self.block_time(index, recorded.block).await?;
        let checked = Verified::check(&entry, time.into()).map(|v| v.entry().clone());
        let by_application = match (&kind, checked) {
            (Kind::Decision, Ok(Entry::Decision(_))) => &mut index.decisions,
            (Kind::Access, Ok(Entry::Access(_))) => &mut index.accesses,
            _ => return Ok(()),
        };
        by_application
            .entry(recorded.application)
            .or_default()
            .push(recorded.position);
        index.positions.insert(
            recorded.position,
            Indexed {
                stored: StoredEntry {
                    index: recorded.position,
                    time,
                    entry,
                },
                kind,
                transaction: recorded.transaction,
                block: recorded.block,
                block_hash: recorded.block_hash,
            },
        );
        Ok(())
    }

    /// Re-checks everything the registry holds in final blocks: every batch's root rebuilt
    /// from the submissions its anchoring call carries, every submission's signature and
    /// service, every decision's signature (by the service's department), its document's
    /// digest and where it says its application was anchored, and that positions follow one
    /// another without a gap. What does not check out is listed, not skipped.
    pub async fn audit(&self) -> Result<EvmAudit, LedgerError> {
        let registry = self.registry().await?;
        let head = registry.block_number().await.map_err(unavailable)?;
        let final_block = head.saturating_sub(self.config.confirmations);
        let mut report = EvmAudit {
            final_block,
            ..EvmAudit::default()
        };
        let origin = self.origin();
        let mut next = 0u64;
        let mut seen: HashSet<(String, ApplicationId)> = HashSet::new();
        let mut submissions: HashMap<u64, agora_ledger::entry::Submission> = HashMap::new();
        // Applications with a decision recorded: a decision by hand needs a referral first.
        let mut decided_before: HashSet<u64> = HashSet::new();
        // Who opened which application (by position): a decision needs its decider's access.
        let mut opened: HashSet<(u64, String)> = HashSet::new();
        let mut from = self.config.deployed_at;
        while from <= final_block {
            let to = final_block.min(from + LOG_RANGE - 1);
            for log in registry_logs(registry, from, to).await? {
                let tx = log.transaction_hash.unwrap_or_default();
                let block = log.block_number.unwrap_or_default();
                let time = {
                    let mut index = self.index.lock().await;
                    self.block_time(&mut index, block).await?
                };
                if let Ok(event) = log.log_decode::<AgoraRegistry::BatchAnchored>() {
                    let event = event.inner.data;
                    report.batches += 1;
                    if event.first != next {
                        report.problems.push(format!(
                            "batch {} (transaction {tx}) starts at position {}, expected {next}",
                            event.root, event.first
                        ));
                    }
                    next = event.first + u64::from(event.count);
                    if !event.withSubmissions {
                        report.digests_only += 1;
                    }
                    let Some(service) = self.services.get(&event.service) else {
                        report.problems.push(format!(
                            "batch {} (transaction {tx}) is for a service this catalog does not have ({})",
                            event.root, event.service
                        ));
                        continue;
                    };
                    let data = if event.withSubmissions {
                        let transaction = registry
                            .provider()
                            .get_transaction_by_hash(tx)
                            .await
                            .map_err(|error| unavailable(classify(registry.url(), error)))?;
                        let call = transaction
                            .as_ref()
                            .and_then(|t| AgoraRegistry::anchorCall::abi_decode(t.input()).ok());
                        let Some(call) = call else {
                            report.problems.push(format!(
                                "batch {} (transaction {tx}): the transaction is not a call of anchor",
                                event.root
                            ));
                            continue;
                        };
                        call.submissions.to_vec()
                    } else if let Some(inbox) = &self.config.inbox {
                        match read_inbox(inbox, &event, service) {
                            Ok(data) => data,
                            Err(problem) => {
                                report.problems.push(format!(
                                    "batch {} (transaction {tx}): {problem}",
                                    event.root
                                ));
                                continue;
                            }
                        }
                    } else {
                        // Digests only, and no inbox to read the submissions from: the root
                        // alone is on the chain, and nothing here can rebuild it.
                        report.unread += 1;
                        continue;
                    };
                    let entries = match codec::decode_batch(&data, service, event.count as usize) {
                        Ok(entries) => entries,
                        Err(error) => {
                            report
                                .problems
                                .push(format!("batch {} (transaction {tx}): {error}", event.root));
                            continue;
                        }
                    };
                    let leaves: Result<Vec<Hash>, _> = entries.iter().map(batch::leaf).collect();
                    match leaves {
                        Ok(leaves) if batch::tree_of(&leaves).0 == event.root.0 => {}
                        _ => {
                            report.problems.push(format!(
                                "batch {} (transaction {tx}): its submissions do not rebuild its root",
                                event.root
                            ));
                            continue;
                        }
                    }
                    for (offset, entry) in entries.iter().enumerate() {
                        let position = event.first + offset as u64;
                        let checked = Verified::check(entry, time.into()).and_then(|verified| {
                            verified.check_catalog(&self.catalog, time)?;
                            Ok(verified.entry().clone())
                        });
                        match checked {
                            Ok(Entry::Submission(submission)) => {
                                report.submissions += 1;
                                let key = (submission.applicant.to_string(), submission.id);
                                if seen.insert(key) {
                                    submissions.insert(position, submission);
                                } else {
                                    report.repeats += 1;
                                }
                            }
                            Ok(Entry::Decision(_) | Entry::Access(_)) => report.problems.push(format!(
                                "position {position} (transaction {tx}): a decision or access entry anchored as a submission"
                            )),
                            Err(refusal) => report.problems.push(format!(
                                "position {position} (transaction {tx}): {refusal}"
                            )),
                        }
                    }
                } else if let Ok(event) = log.log_decode::<AgoraRegistry::DecisionRecorded>() {
                    let event = event.inner.data;
                    report.decisions += 1;
                    if event.position != next {
                        report.problems.push(format!(
                            "the decision at position {} (transaction {tx}) was expected at {next}",
                            event.position
                        ));
                    }
                    next = event.position + 1;
                    let digest: [u8; 32] = Sha256::digest(&event.document).into();
                    if digest != event.digest.0 {
                        report.problems.push(format!(
                            "the decision at position {} (transaction {tx}): its document is not the digest it cites",
                            event.position
                        ));
                    }
                    let decision = serde_json::from_slice::<Value>(&event.document)
                        .map_err(|error| error.to_string())
                        .and_then(|entry| {
                            agora_ledger::entry::check_entry(&entry, &self.catalog, time.into())
                                .map_err(|refusal| refusal.to_string())
                        });
                    let problem = match decision {
                        Ok(Entry::Decision(decision)) => {
                            let subject = &decision.credential_subject;
                            match (
                                subject.anchored.as_ref(),
                                submissions.get(&event.applicationPosition),
                            ) {
                                (Some(anchor), Some(submission))
                                    if anchor.ledger == origin
                                        && anchor.index == event.applicationPosition
                                        && submission.id == subject.id
                                        && submission.application_sha256
                                            == subject.application_sha256 =>
                                {
                                    // By hand only after a referral; and only by who opened it.
                                    let first = decided_before.insert(event.applicationPosition);
                                    if subject.delegation.is_some() && first {
                                        Some(
                                            "an officer decided it, and nothing referred it"
                                                .to_owned(),
                                        )
                                    } else if !opened.contains(&(
                                        event.applicationPosition,
                                        decision.issuer.to_string(),
                                    )) {
                                        Some(format!(
                                            "{} decided it without an access entry of theirs before",
                                            decision.issuer
                                        ))
                                    } else {
                                        None
                                    }
                                }
                                _ => Some(format!(
                                    "it does not decide the application at position {} on {origin}",
                                    event.applicationPosition
                                )),
                            }
                        }
                        Ok(Entry::Submission(_) | Entry::Access(_)) => {
                            Some("it is not a decision".to_owned())
                        }
                        Err(problem) => Some(problem),
                    };
                    if let Some(problem) = problem {
                        report.problems.push(format!(
                            "the decision at position {} (transaction {tx}): {problem}",
                            event.position
                        ));
                    }
                } else if let Ok(event) = log.log_decode::<AgoraRegistry::AccessRecorded>() {
                    let event = event.inner.data;
                    report.accesses += 1;
                    if event.position != next {
                        report.problems.push(format!(
                            "the access at position {} (transaction {tx}) was expected at {next}",
                            event.position
                        ));
                    }
                    next = event.position + 1;
                    let digest: [u8; 32] = Sha256::digest(&event.document).into();
                    let access = serde_json::from_slice::<Value>(&event.document)
                        .map_err(|error| error.to_string())
                        .and_then(|entry| {
                            agora_ledger::entry::check_entry(&entry, &self.catalog, time.into())
                                .map_err(|refusal| refusal.to_string())
                        });
                    let problem = match access {
                        _ if digest != event.digest.0 => {
                            Some("its document is not the digest it cites".to_owned())
                        }
                        Ok(Entry::Access(access)) => {
                            match submissions.get(&event.applicationPosition) {
                                Some(submission)
                                    if access.anchored.ledger == origin
                                        && access.anchored.index == event.applicationPosition
                                        && submission.id == access.id
                                        && submission.application_sha256
                                            == access.application_sha256 =>
                                {
                                    opened
                                        .insert((event.applicationPosition, access.by.to_string()));
                                    None
                                }
                                _ => Some(format!(
                                    "it does not open the application at position {} on {origin}",
                                    event.applicationPosition
                                )),
                            }
                        }
                        Ok(_) => Some("it is not an access entry".to_owned()),
                        Err(problem) => Some(problem),
                    };
                    if let Some(problem) = problem {
                        report.problems.push(format!(
                            "the access at position {} (transaction {tx}): {problem}",
                            event.position
                        ));
                    }
                }
            }
            from = to + 1;
        }
        report.positions = next;
        Ok(report)
    }

    /// Appends a submission: answered at once if it is on the chain already, else queued
    /// for the next batch.
    async fn append_submission(
        &self,
        entry: Value,
        submission: agora_ledger::entry::Submission,
    ) -> Result<Appended, LedgerError> {
        let leaf = batch::leaf(&entry)
            .map_err(|e| LedgerError::Rejected(Refusal::Malformed(e.to_string())))?;
        // Refuse what the compact form cannot carry before it joins a batch.
        let compact = codec::encode(&entry)
            .map_err(|e| LedgerError::Rejected(Refusal::Malformed(e.to_string())))?;
        {
            let index = self.sync().await?;
            if let Some(answer) = already(
                &index,
                &submission.applicant,
                &submission.id,
                &submission.application_sha256,
                leaf,
            ) {
                return answer;
            }
        }
        let (reply, mut answer) = oneshot::channel();
        self.queue
            .lock()
            .map_err(|_| LedgerError::Unavailable("the batch queue is poisoned".to_owned()))?
            .pending
            .push(Pending {
                service: submission.service.clone(),
                compact,
                leaf,
                applicant: submission.applicant,
                id: submission.id,
                digest: submission.application_sha256.clone(),
                reply,
            });
        loop {
            if self.take_lead() {
                // Dropped with this future (a caller that gives up mid-batch), the guard lets
                // another waiting caller lead; the batch's own callers hear "try again later".
                let mut lead = Lead {
                    queue: &self.queue,
                    held: true,
                };
                tokio::time::sleep(self.config.batch_wait).await;
                while let Some(batch) = self.next_batch() {
                    self.anchor(batch).await;
                }
                // `next_batch` gave the lead up, under the queue's lock, when it found it empty.
                lead.held = false;
            }
            match tokio::time::timeout(self.config.poll, &mut answer).await {
                Ok(Ok(result)) => return result,
                Ok(Err(_)) => {
                    return Err(LedgerError::Unavailable(
                        "the batch this submission was in was abandoned".to_owned(),
                    ));
                }
                Err(_) => continue,
            }
        }
    }

    fn take_lead(&self) -> bool {
        let Ok(mut queue) = self.queue.lock() else {
            return false;
        };
        if queue.leading || queue.pending.is_empty() {
            return false;
        }
        queue.leading = true;
        true
    }

    /// The next batch: the oldest pending submission's service, up to the limits; `None`
    /// (and no longer leading) when nothing is pending.
    fn next_batch(&self) -> Option<Vec<Pending>> {
        let mut queue = self.queue.lock().ok()?;
        if queue.pending.is_empty() {
            queue.leading = false;
            return None;
        }
        let service = queue.pending[0].service.clone();
        let mut taken = Vec::new();
        let mut rest = Vec::new();
        for pending in std::mem::take(&mut queue.pending) {
            if pending.service == service && taken.len() < self.config.batch_max {
                taken.push(pending);
            } else {
                rest.push(pending);
            }
        }
        queue.pending = rest;
        Some(taken)
    }

    /// Anchors one batch and answers each of its submissions.
    async fn anchor(&self, mut pending: Vec<Pending>) {
        // What is on the chain already is answered from there; one copy of each leaf goes in.
        let mut seen: HashSet<Hash> = HashSet::new();
        let mut twins: Vec<(Pending, Hash)> = Vec::new();
        {
            let index = match self.sync().await {
                Ok(index) => index,
                Err(error) => return answer_all(pending, Err(error)),
            };
            let mut kept = Vec::new();
            for item in pending {
                if let Some(answer) =
                    already(&index, &item.applicant, &item.id, &item.digest, item.leaf)
                {
                    let _ = item.reply.send(answer);
                } else if seen.insert(item.leaf) {
                    kept.push(item);
                } else {
                    let leaf = item.leaf;
                    twins.push((item, leaf));
                }
            }
            pending = kept;
        }
        if pending.is_empty() {
            return answer_twins(twins, &HashMap::new());
        }
        // Keep the call's data under what transaction pools take; the rest waits.
        let mut bytes = 0;
        let mut overflow = Vec::new();
        let mut fits = Vec::new();
        for item in pending {
            let size = item.compact.len();
            if bytes + size > MAX_BATCH_BYTES && !fits.is_empty() {
                overflow.push(item);
            } else {
                bytes += size;
                fits.push(item);
            }
        }
        if !overflow.is_empty()
            && let Ok(mut queue) = self.queue.lock()
        {
            queue.pending.extend(overflow);
        }
        let batch = Batch::from_parts(
            fits.iter().map(|item| item.leaf).collect(),
            fits.iter()
                .flat_map(|item| item.compact.iter().copied())
                .collect(),
        );
        let service = fits[0].service.clone();
        let result = self.anchor_until_final(&service, &batch).await;
        let mut answers = HashMap::new();
        match result {
            Ok((first, time)) => {
                for (offset, item) in fits.into_iter().enumerate() {
                    let appended = Appended {
                        index: first + offset as u64,
                        time,
                        already: false,
                    };
                    answers.insert(item.leaf, appended);
                    let _ = item.reply.send(Ok(appended));
                }
            }
            Err(error) => answer_all(fits, Err(error)),
        }
        answer_twins(twins, &answers);
    }

    /// Sends the anchoring and waits until it is final, sending it again if a reorganisation
    /// drops it. Returns the batch's first position and its block's time.
    async fn anchor_until_final(
        &self,
        service: &str,
        batch: &Batch,
    ) -> Result<(u64, OffsetDateTime), LedgerError> {
        let registry = self.registry().await?;
        let root = B256::from(batch.root);
        // Digests only: the submissions are in the inbox before the root is on the chain.
        let submissions = match &self.config.inbox {
            Some(inbox) => {
                write_batch_file(inbox, root, &batch.data)?;
                Bytes::new()
            }
            None => Bytes::from(batch.data.clone()),
        };
        let call: Bytes = AgoraRegistry::anchorCall {
            service: service_key(service),
            root,
            count: batch.len() as u32,
            submissions,
        }
        .abi_encode()
        .into();
        let mut dropped = 0;
        loop {
            match registry.transact(call.clone()).await {
                Ok(_) => {}
                // Mined and then gone before its receipt was read: send it again.
                Err(error @ ChainError::Dropped { .. }) => {
                    dropped += 1;
                    if dropped > MAX_RESENDS {
                        return Err(unavailable(error));
                    }
                    continue;
                }
                // Anchored already (an earlier try that did land): wait for it as for ours.
                Err(ChainError::Refused(reason)) if reason.starts_with("BatchAlreadyAnchored") => {}
                Err(ChainError::Refused(reason)) => {
                    return Err(LedgerError::Rejected(refusal(service, &reason)));
                }
                Err(error) => return Err(unavailable(error)),
            }
            // Wait for the confirmations, watching that the batch stays anchored.
            loop {
                let anchored = registry
                    .contract()
                    .getBatch(root)
                    .call()
                    .await
                    .map_err(|error| LedgerError::Unavailable(error.to_string()))?;
                if anchored.count == 0 {
                    break; // dropped by a reorganisation: send it again
                }
                let head = registry.block_number().await.map_err(unavailable)?;
                if head >= anchored.blockNumber + self.config.confirmations {
                    let time = i64::try_from(anchored.time)
                        .ok()
                        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                        .ok_or_else(|| {
                            LedgerError::Unavailable("an impossible block time".to_owned())
                        })?;
                    return Ok((anchored.first, time));
                }
                tokio::time::sleep(self.config.poll).await;
            }
        }
    }

    /// Records a department's decision.
    async fn append_decision(
        &self,
        entry: Value,
        decision: Decision,
    ) -> Result<Appended, LedgerError> {
        let registry = self.registry().await?;
        let subject = &decision.credential_subject;
        let id = subject.id;
        let mismatch = |problem: String| {
            LedgerError::Rejected(Refusal::DecisionMismatch {
                id: id.to_string(),
                problem,
            })
        };
        let Some(anchor) = subject.anchored.clone() else {
            return Err(mismatch(
                "it does not say where the application was anchored".to_owned(),
            ));
        };
        if anchor.ledger != self.origin() {
            return Err(mismatch(format!(
                "it names the ledger {}, not this one ({})",
                anchor.ledger,
                self.origin()
            )));
        }
        let (root, applicant, time) = {
            let index = self.sync().await?;
            // By hand only what the policy referred: a referral is recorded before (a final
            // decision before it, the registry refuses as already decided).
            if subject.delegation.is_some()
                && index
                    .decisions
                    .get(&anchor.index)
                    .is_none_or(|decisions| decisions.is_empty())
            {
                return Err(LedgerError::Rejected(Refusal::NotReferred(id.to_string())));
            }
            // Whoever decides opened it first, and the chain holds that (final).
            let issuer = decision.issuer.to_string();
            let opened = index
                .recorded_for(&index.accesses, anchor.index)
                .any(|indexed| {
                    indexed.stored.entry.get("by").and_then(Value::as_str) == Some(&issuer)
                });
            if !opened {
                return Err(LedgerError::Rejected(Refusal::NotOpened {
                    id: id.to_string(),
                    by: issuer,
                }));
            }
            match index.positions.get(&anchor.index) {
                Some(Indexed {
                    kind:
                        Kind::Submission {
                            root,
                            applicant,
                            id: anchored,
                            ..
                        },
                    stored,
                    ..
                }) if *anchored == id => (*root, **applicant, stored.time),
                _ => {
                    return Err(LedgerError::Rejected(Refusal::UnknownApplication(
                        id.to_string(),
                    )));
                }
            }
        };
        if anchor.time != time {
            return Err(mismatch(format!(
                "it says the application was anchored at {}, the chain says {}",
                anchor.time, time
            )));
        }
        let document = canonicalize(&entry)
            .map_err(|e| LedgerError::Rejected(Refusal::Malformed(e.to_string())))?;
        let digest: [u8; 32] = Sha256::digest(&document).into();
        let policy: B256 = subject
            .policy
            .sha256
            .parse()
            .map_err(|_| mismatch("its policy's sha256 is not 64 hex digits".to_owned()))?;
        let key = application_key(&applicant, &id);
        let kind = if is_final(&decision) { 2u8 } else { 1u8 };
        let call: Bytes = AgoraRegistry::decideCall {
            service: service_key(&subject.service),
            application: key,
            root,
            applicationPosition: anchor.index,
            kind,
            policy,
            digest: B256::from(digest),
            document: Bytes::from(document),
        }
        .abi_encode()
        .into();
        self.record(registry, call, Record::Decision { key, kind, id }, mismatch)
            .await
    }

    /// Records an access entry (sent from the department's account): answered once final.
    async fn append_access(
        &self,
        entry: Value,
        access: agora_ledger::entry::Access,
    ) -> Result<Appended, LedgerError> {
        let registry = self.registry().await?;
        let id = access.id;
        let mismatch = |problem: String| {
            LedgerError::Rejected(Refusal::DecisionMismatch {
                id: id.to_string(),
                problem,
            })
        };
        let anchor = access.anchored.clone();
        if anchor.ledger != self.origin() {
            return Err(mismatch(format!(
                "it names the ledger {}, not this one ({})",
                anchor.ledger,
                self.origin()
            )));
        }
        let (root, applicant) = {
            let index = self.sync().await?;
            // The same access again: where it already is.
            if let Some(indexed) = index
                .recorded_for(&index.accesses, anchor.index)
                .find(|indexed| indexed.stored.entry == entry)
            {
                return Ok(Appended {
                    index: indexed.stored.index,
                    time: indexed.stored.time,
                    already: true,
                });
            }
            match index.positions.get(&anchor.index) {
                Some(Indexed {
                    kind:
                        Kind::Submission {
                            root,
                            applicant,
                            id: anchored,
                            ..
                        },
                    stored,
                    ..
                }) if *anchored == id
                    && stored.time == anchor.time
                    && stored
                        .entry
                        .get("application_sha256")
                        .and_then(Value::as_str)
                        == Some(&access.application_sha256) =>
                {
                    (*root, **applicant)
                }
                _ => {
                    return Err(LedgerError::Rejected(Refusal::UnknownApplication(
                        id.to_string(),
                    )));
                }
            }
        };
        let document = canonicalize(&entry)
            .map_err(|e| LedgerError::Rejected(Refusal::Malformed(e.to_string())))?;
        let digest: [u8; 32] = Sha256::digest(&document).into();
        let call: Bytes = AgoraRegistry::recordAccessCall {
            service: service_key(&access.service),
            application: application_key(&applicant, &id),
            root,
            applicationPosition: anchor.index,
            digest: B256::from(digest),
            document: Bytes::from(document),
        }
        .abi_encode()
        .into();
        self.record(registry, call, Record::Access, mismatch).await
    }

    /// Sends a `decide` or `recordAccess` call, again if the chain drops it (by resending or
    /// by a reorganisation), and answers with its position once it is final.
    async fn record(
        &self,
        registry: &Registry,
        call: Bytes,
        record: Record,
        refused: impl Fn(String) -> LedgerError,
    ) -> Result<Appended, LedgerError> {
        let mut dropped = 0;
        loop {
            let receipt = match registry.transact(call.clone()).await {
                Ok(receipt) => receipt,
                Err(error @ ChainError::Dropped { .. }) => {
                    dropped += 1;
                    if dropped > MAX_RESENDS {
                        return Err(unavailable(error));
                    }
                    continue;
                }
                Err(ChainError::Refused(reason)) => {
                    return Err(match record {
                        Record::Decision { id, .. }
                            if reason.starts_with("DecisionAlreadyRecorded") =>
                        {
                            LedgerError::Rejected(Refusal::AlreadyDecided(id.to_string()))
                        }
                        _ => refused(format!("the registry refused it: {reason}")),
                    });
                }
                Err(error) => return Err(unavailable(error)),
            };
            let recorded = receipt.inner.logs().iter().find_map(|log| match record {
                Record::Decision { .. } => log
                    .log_decode::<AgoraRegistry::DecisionRecorded>()
                    .ok()
                    .map(|event| event.inner.data.position),
                Record::Access => log
                    .log_decode::<AgoraRegistry::AccessRecorded>()
                    .ok()
                    .map(|event| event.inner.data.position),
            });
            let (Some(position), Some(block)) = (recorded, receipt.block_number) else {
                return Err(LedgerError::Unavailable(
                    "the transaction recorded nothing".to_owned(),
                ));
            };
            loop {
                // A decision is also in the registry's state: gone if the chain dropped it.
                let state_kept = match record {
                    Record::Decision { key, kind, .. } => {
                        registry
                            .contract()
                            .decided(key)
                            .call()
                            .await
                            .map_err(|error| LedgerError::Unavailable(error.to_string()))?
                            >= kind
                    }
                    Record::Access => true,
                };
                let still = registry.block_hash(block).await.map_err(unavailable)?;
                if !state_kept || still != receipt.block_hash {
                    break; // dropped by a reorganisation: send it again
                }
                let head = registry.block_number().await.map_err(unavailable)?;
                if head >= block + self.config.confirmations {
                    let mut index = self.index.lock().await;
                    let time = self.block_time(&mut index, block).await?;
                    return Ok(Appended {
                        index: position,
                        time,
                        already: false,
                    });
                }
                tokio::time::sleep(self.config.poll).await;
            }
        }
    }
}

/// What an audit of a registry found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvmAudit {
    /// Batches read.
    pub batches: u64,
    /// Of which anchored digests only (their submissions read from the inbox, if there is one).
    pub digests_only: u64,
    /// Digests-only batches not checked, for want of an inbox to read their submissions from.
    pub unread: u64,
    /// Submissions whose signature and batch root were re-checked.
    pub submissions: u64,
    /// Submissions anchored again after their first position (no reader counts them).
    pub repeats: u64,
    /// Decisions whose signature, digest and anchoring were re-checked.
    pub decisions: u64,
    /// Access entries whose signature, digest and anchoring were re-checked.
    pub accesses: u64,
    /// The newest block read (final ones only).
    pub final_block: u64,
    /// Positions taken up to there.
    pub positions: u64,
    /// Everything that does not check out, each naming its transaction.
    pub problems: Vec<String>,
}

/// The registry's events in blocks `from` to `to`.
async fn registry_logs(
    registry: &Registry,
    from: u64,
    to: u64,
) -> Result<Vec<alloy::rpc::types::Log>, LedgerError> {
    let filter = Filter::new()
        .address(registry.address())
        .from_block(from)
        .to_block(to);
    registry
        .provider()
        .get_logs(&filter)
        .await
        .map_err(|error| unavailable(classify(registry.url(), error)))
}

/// The answer for a submission the index holds already, if it does: where it is (the same
/// submission), or a refusal (another submission under its id or digest).
fn already(
    index: &Index,
    applicant: &DidKey,
    id: &ApplicationId,
    digest: &str,
    leaf: Hash,
) -> Option<Result<Appended, LedgerError>> {
    let position = index
        .by_application
        .get(&(applicant.to_string(), *id))
        .or_else(|| index.by_digest.get(digest))?;
    let held = index.positions.get(position)?;
    let same = batch::leaf(&held.stored.entry).ok() == Some(leaf);
    Some(if same {
        Ok(Appended {
            index: *position,
            time: held.stored.time,
            already: true,
        })
    } else if index
        .by_application
        .contains_key(&(applicant.to_string(), *id))
    {
        Err(LedgerError::Rejected(Refusal::DuplicateId(id.to_string())))
    } else {
        Err(LedgerError::Rejected(Refusal::DuplicateDigest(
            digest.to_owned(),
        )))
    })
}

/// A digests-only batch to read again later, and why it could not be read now.
fn remember_awaiting(index: &mut Index, log: alloy::rpc::types::Log, problem: String) {
    let Ok(event) = log.log_decode::<AgoraRegistry::BatchAnchored>() else {
        return;
    };
    let first = event.inner.data.first;
    index.awaiting.insert(first, Awaiting { log, problem });
}

/// The submissions of the digests-only batch `event` (to `service`) from the inbox, or why
/// they cannot be read from there.
fn read_inbox(
    inbox: &Path,
    event: &AgoraRegistry::BatchAnchored,
    service: &str,
) -> Result<Vec<u8>, String> {
    let path = batch_file(inbox, event.root);
    let last = event.first + u64::from(event.count) - 1;
    std::fs::read(&path).map_err(|error| {
        let why = if error.kind() == std::io::ErrorKind::NotFound {
            "is not there yet".to_owned()
        } else {
            format!("cannot be read: {error}")
        };
        format!(
            "the submissions of batch {} ({service}, positions {}–{last}) were anchored as digests only, and their file {} {why}",
            event.root,
            event.first,
            path.display()
        )
    })
}

fn answer_all(pending: Vec<Pending>, answer: Result<Appended, LedgerError>) {
    for item in pending {
        let _ = item.reply.send(answer.clone());
    }
}

/// Copies of a submission sent twice into one batch get the first copy's answer.
fn answer_twins(twins: Vec<(Pending, Hash)>, answers: &HashMap<Hash, Appended>) {
    for (item, leaf) in twins {
        let answer = answers.get(&leaf).cloned().map_or_else(
            || {
                Err(LedgerError::Unavailable(
                    "the batch with the first copy of this submission did not land".to_owned(),
                ))
            },
            |appended| {
                Ok(Appended {
                    already: true,
                    ..appended
                })
            },
        );
        let _ = item.reply.send(answer);
    }
}

/// The embedded ledger's refusal for the registry's.
fn refusal(service: &str, reason: &str) -> Refusal {
    if reason.starts_with("UnknownService") {
        Refusal::UnknownService(service.to_owned())
    } else if reason.starts_with("ServiceNotOpen") {
        Refusal::ClosedService(service.to_owned())
    } else {
        Refusal::Malformed(format!("the registry refused the batch: {reason}"))
    }
}

#[async_trait]
impl Ledger for EvmLedger {
    fn describe(&self) -> String {
        format!(
            "the registry {} on chain {} at {}",
            self.config.registry, self.config.chain_id, self.config.url
        )
    }

    /// CAIP-10's name for the registry: `eip155:<chain id>:<address>`.
    fn origin(&self) -> String {
        evm_origin(
            self.config.chain_id,
            &format!("{:#x}", self.config.registry),
        )
    }

    fn trusted(&self) -> TrustedLedgers {
        let mut trusted = TrustedLedgers::default();
        // The origin is made from a chain id and an address: always a registry's name.
        let _ = trusted.add_registry(&self.origin());
        trusted
    }

    async fn append(&self, entry: Value) -> Result<Appended, LedgerError> {
        let now = SystemTime::now();
        let verified = Verified::check(&entry, now).map_err(LedgerError::Rejected)?;
        verified
            .check_admission(&self.catalog, now.into())
            .map_err(LedgerError::Rejected)?;
        match verified.entry().clone() {
            Entry::Submission(submission) => self.append_submission(entry, submission).await,
            Entry::Decision(decision) => self.append_decision(entry, decision).await,
            Entry::Access(access) => self.append_access(entry, access).await,
        }
    }

    async fn entries_since(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, LedgerError> {
        let index = self.sync().await?;
        // A reader of the sequence goes no further than a batch it cannot read yet.
        let gap = index.awaiting.range(cursor..).next();
        let end = gap.map_or(u64::MAX, |(first, _)| *first);
        let entries: Vec<StoredEntry> = index
            .positions
            .range(cursor..end)
            .take(limit)
            .map(|(_, indexed)| indexed.stored.clone())
            .collect();
        match gap {
            Some((_, waiting)) if entries.is_empty() => {
                Err(LedgerError::Unavailable(waiting.problem.clone()))
            }
            _ => Ok(entries),
        }
    }

    async fn application(
        &self,
        id: ApplicationId,
        applicant: DidKey,
    ) -> Result<Option<ApplicationRecord>, LedgerError> {
        let index = self.sync().await?;
        let Some(position) = index.by_application.get(&(applicant.to_string(), id)) else {
            return Ok(None);
        };
        let Some(submission) = index.positions.get(position) else {
            return Ok(None);
        };
        let decisions = index
            .recorded_for(&index.decisions, *position)
            .filter(|indexed| matches!(indexed.kind, Kind::Decision))
            .map(|indexed| indexed.stored.clone())
            .collect();
        let accesses = index
            .recorded_for(&index.accesses, *position)
            .filter(|indexed| matches!(indexed.kind, Kind::Access))
            .map(|indexed| indexed.stored.clone())
            .collect();
        Ok(Some(ApplicationRecord {
            submission: submission.stored.clone(),
            decisions,
            accesses,
        }))
    }

    /// A chain has no signed checkpoint: its blocks are its state.
    async fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        Ok(None)
    }

    /// The newest final block read, and the hash the chain has now at the held block's
    /// height: a reader that finds another hash there (or none) knows the chain it saw was
    /// reorganised deeper than the confirmations, or rolled back.
    async fn progress(&self, held: Option<&Seen>) -> Result<Option<Progress>, LedgerError> {
        let read_to = self.sync().await?.read_to;
        let Some((block, hash)) = read_to else {
            return Ok(None);
        };
        let at_held = match held {
            Some(Seen::Evm { block: held, .. }) => self
                .registry()
                .await?
                .block_hash(*held)
                .await
                .map_err(unavailable)?
                .map(|hash| hash.to_string()),
            _ => None,
        };
        Ok(Some(Progress::Evm {
            block,
            hash: hash.to_string(),
            at_held,
        }))
    }

    /// A receipt from final blocks only: the submission's batch and inclusion proof, and the
    /// newest decision.
    async fn receipt(
        &self,
        id: ApplicationId,
        application: Value,
    ) -> Result<Option<Receipt>, LedgerError> {
        // The application's own issuer is whose submission it is.
        let Some(applicant) = crate::receipt::applicant_of(&application) else {
            return Ok(None);
        };
        let index = self.sync().await?;
        let Some(position) = index.by_application.get(&(applicant.to_string(), id)) else {
            return Ok(None);
        };
        let Some(submitted) = index.positions.get(position) else {
            return Ok(None);
        };
        let Kind::Submission { root, offset, .. } = &submitted.kind else {
            return Ok(None);
        };
        let Some(leaves) = index.batches.get(root) else {
            return Ok(None);
        };
        let (_, proofs) = batch::tree_of(leaves);
        let proof = proofs
            .get(*offset as usize)
            .map(|hashes| hashes.iter().map(|hash| BASE64.encode(hash)).collect())
            .unwrap_or_default();
        let decision = index
            .decisions
            .get(position)
            .and_then(|positions| positions.last())
            .and_then(|at| index.positions.get(at))
            .map(|decided| ChainEntry {
                index: decided.stored.index,
                time: decided.stored.time,
                entry: decided.stored.entry.clone(),
                transaction: decided.transaction.to_string(),
                block: decided.block,
                block_hash: decided.block_hash.to_string(),
            });
        Ok(Some(Receipt {
            kind: RECEIPT_TYPE.to_owned(),
            version: RECEIPT_VERSION,
            application,
            ledger: LedgerProof::Evm(EvmProof {
                chain_id: self.config.chain_id,
                registry: format!("{:#x}", self.config.registry),
                submission: ChainSubmission {
                    index: submitted.stored.index,
                    time: submitted.stored.time,
                    entry: submitted.stored.entry.clone(),
                    batch: BatchProof {
                        root: root.to_string(),
                        size: leaves.len() as u64,
                        leaf: *offset,
                        proof,
                    },
                    transaction: submitted.transaction.to_string(),
                    block: submitted.block,
                    block_hash: submitted.block_hash.to_string(),
                },
                decision,
            }),
        }))
    }
}
