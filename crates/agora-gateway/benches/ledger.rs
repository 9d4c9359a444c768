//! What the embedded ledger costs, in three measurements printed side by side.
//!
//! 1. **Group commit, end to end.** Many concurrent submitters (64 tokio tasks on one
//!    current-thread runtime: submitters only send and wait, so one client thread is plenty and
//!    leaves the other cores to the ledger) each append real signed parking-permit submissions
//!    through [`LocalLedger`], the embedded ledger on its own thread, which commits whatever
//!    arrived while its previous commit ran as one SQLite transaction (WAL, `synchronous=FULL`)
//!    with one signed checkpoint. Each append is the whole path a citizen's submission takes:
//!    the signature checked, the rules applied, the entry and its leaf stored, the tree grown,
//!    the checkpoint signed, the commit durable.
//!    The submissions are signed and sealed before the clock starts (signing is the client's
//!    cost, not the ledger's). Reported: entries per second and the p50 and p99 latency of one
//!    `append`, from the call to the durable answer.
//! 2. **Baseline: one fsync per entry.** The same submission bytes inserted one row per
//!    transaction (autocommit) into a plain SQLite table, also WAL with `synchronous=FULL`,
//!    from one thread: what a log without group commit would pay for durability alone, with
//!    none of the ledger's checks. The ratio of the two rates is the number to read.
//! 3. **Receipts with a million entries.** Inclusion-proof generation and offline receipt
//!    verification at 10^6 entries, beside 10^3. Filling a real ledger with 10^6 signed
//!    entries takes longer than a benchmark may (each one's signature is verified on append),
//!    so the tree is built directly with the code the ledger uses: an `agora_ledger::tree::Tree`
//!    whose leaves are the RFC 6962 leaf hashes of each entry's leaf record, as
//!    `agora_ledger::store` pushes them. One real submission (taken, with its
//!    append time, from a real receipt of run 1) is placed at the middle index; every other
//!    leaf is a synthetic hash, which no step of proving or verifying can tell from a real
//!    one. The checkpoint over that tree is signed as the ledger signs its own
//!    (`Checkpoint::sign`, a C2SP signed note), and the receipt is assembled as
//!    `backend::local_receipt` assembles it. Proving is timed over indices spread across the
//!    whole tree (a receipt can be asked for any entry, and a tree of 10^6 does not sit in the
//!    cache); verifying is `receipt::verify` on the receipt's JSON, which checks the
//!    application's signature, the submission's, the checkpoint's, and the inclusion proof.
//!    Beside them, the inclusion check alone, and a receipt from the real ledger of run 1
//!    (SQLite lookup, proof and checkpoint, through the ledger thread).
//!
//! Run with `cargo bench -p agora-gateway --bench ledger`. The store files go to a temporary
//! directory under `AGORA_BENCH_DIR` if set, else under Cargo's target directory: fsync is
//! what is measured, so it must be a real disk, not a tmpfs. The first round of runs 1 and 2
//! warms up and is not counted; then rounds interleave the group-commit run, the baseline and
//! the receipt timings, so that a machine busy with something else slows all of them alike
//! and the ratios stay meaningful. Rates are the median round's; latencies are percentiles
//! over every append of the counted rounds; proof and verification times are the median
//! round's mean.
//!
//! The benchmark prints numbers and never fails because of speed: a slow or busy machine is
//! not a bug. Without `--bench` (as `cargo test --benches` runs it) every operation runs once
//! with tiny sizes, only to check that it works.

use std::error::Error;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use agora_gateway::receipt::{
    self, EmbeddedProof, Inclusion, LedgerProof, RECEIPT_TYPE, RECEIPT_VERSION, Receipt,
    TrustedLedgers,
};
use agora_gateway::{Ledger, LocalLedger, Prepared, prepare};
use agora_identity::Identity;
use agora_ledger::tree::{self, Tree};
use agora_ledger::{Checkpoint, StoredEntry, VerifierKey};
use agora_services::{Catalog, Service, ValidAnswers, example_answers};
use rusqlite::Connection;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::task::JoinSet;

/// How much of everything a run does.
struct Sizes {
    /// Submissions appended per group-commit round.
    submissions: usize,
    /// Concurrent submitters.
    submitters: usize,
    /// Counted rounds (a timed run adds one warm-up round).
    rounds: usize,
    /// The most entries the baseline inserts per round…
    baseline_entries: usize,
    /// …or as many as fit in this time, whichever comes first.
    baseline_budget: Duration,
    /// Tree sizes for the receipt timings.
    tree_sizes: &'static [u64],
    /// Proofs generated per round and size.
    proof_iterations: u32,
    /// Receipts verified per round and size.
    verify_iterations: u32,
    /// Receipts fetched from the real ledger per round.
    ledger_receipts: u32,
}

const TIMED: Sizes = Sizes {
    submissions: 8_192,
    submitters: 64,
    rounds: 5,
    baseline_entries: 2_000,
    baseline_budget: Duration::from_secs(2),
    tree_sizes: &[1_000, 1_000_000],
    proof_iterations: 20_000,
    verify_iterations: 300,
    ledger_receipts: 100,
};

const SMOKE: Sizes = Sizes {
    submissions: 4,
    submitters: 2,
    rounds: 1,
    baseline_entries: 2,
    baseline_budget: Duration::from_secs(1),
    tree_sizes: &[10, 1_000],
    proof_iterations: 1,
    verify_iterations: 1,
    ledger_receipts: 1,
};

/// The service every submission applies to.
const SERVICE: &str = "parking-permit";

/// The origin of the synthetic trees' checkpoints.
const ORIGIN: &str = "agora.bench/ledger";

fn main() -> Result<(), Box<dyn Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then a smoke run is
    // all that is wanted.
    let timed = std::env::args().any(|arg| arg == "--bench");
    let sizes = if timed { &TIMED } else { &SMOKE };

    let catalog = Catalog::embedded().map_err(|report| format!("the catalog: {report}"))?;
    let service = catalog
        .service(SERVICE)
        .ok_or_else(|| format!("the embedded catalog has no `{SERVICE}` service"))?;
    let answers = parking_answers(service)?;
    let scratch = scratch_dir()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    // Signed and sealed before any clock starts; each submitter signs as its own citizen.
    let citizens = (0..sizes.submitters)
        .map(|_| Identity::generate())
        .collect::<Result<Vec<_>, _>>()?;
    let prepared = (0..sizes.submissions)
        .map(|i| {
            prepare(
                service,
                &answers,
                &citizens[i % citizens.len()],
                SystemTime::now(),
            )
        })
        .collect::<Result<Vec<Prepared>, _>>()?;
    let submissions: Vec<Value> = prepared.iter().map(|p| p.submission.clone()).collect();
    let submission_bytes = submissions
        .iter()
        .map(serde_json::to_vec)
        .collect::<Result<Vec<_>, _>>()?;

    // Trees and receipts for part 3 are built once, from a real receipt of a real ledger.
    let ledger_dir = scratch.path().join("receipt-ledger");
    let (ledger, real_receipt) = runtime.block_on(real_ledger(
        &ledger_dir,
        &catalog,
        &submissions,
        sizes.submitters,
        &prepared[0],
    ))?;
    receipt::verify(
        &serde_json::to_value(&real_receipt)?,
        &catalog,
        &TrustedLedgers::new([ledger.verifier().clone()]),
        SystemTime::now(),
    )?;
    let checkpoint_key = Identity::generate()?;
    let synthetic = TrustedLedgers::new([VerifierKey::new(
        ORIGIN,
        checkpoint_key.signing_key().verifying_key(),
    )?]);
    let mut trees = Vec::new();
    for &size in sizes.tree_sizes {
        let start = Instant::now();
        let tree = SyntheticTree::build(&real_receipt, size, &checkpoint_key)?;
        trees.push((tree, start.elapsed()));
    }
    for (tree, _) in &trees {
        let verified = receipt::verify(&tree.receipt, &catalog, &synthetic, SystemTime::now())?;
        let size = match &verified.ledger {
            receipt::VerifiedLedger::Embedded { checkpoint, .. } => checkpoint.size,
            receipt::VerifiedLedger::Evm { .. } => 0,
        };
        if verified.index != tree.index || size != tree.tree.len() {
            return Err("a synthetic receipt verified as another entry or tree".into());
        }
    }

    let warm_up = usize::from(timed);
    let mut group_rates = Vec::new();
    let mut group_latencies = Vec::new();
    let mut baseline_rates = Vec::new();
    let mut baseline_latencies = Vec::new();
    let mut tree_rounds: Vec<[Vec<Duration>; 3]> = vec![Default::default(); trees.len()];
    let mut ledger_receipt_rounds = Vec::new();
    for round in 0..warm_up + sizes.rounds {
        let counted = round >= warm_up;

        let dir = scratch.path().join(format!("group-{round}"));
        let run = runtime.block_on(group_commit(&dir, &catalog, &submissions, sizes.submitters))?;
        if counted {
            group_rates.push(run.rate());
            group_latencies.extend(run.latencies);
        }

        let path = scratch.path().join(format!("baseline-{round}.sqlite"));
        let run = baseline(
            &path,
            &submission_bytes,
            sizes.baseline_entries,
            sizes.baseline_budget,
        )?;
        if counted {
            baseline_rates.push(run.rate());
            baseline_latencies.extend(run.latencies);
        }

        if counted {
            for ((tree, _), times) in trees.iter().zip(&mut tree_rounds) {
                times[0].push(tree.time_proofs(sizes.proof_iterations)?);
                times[1].push(tree.time_verify(&catalog, &synthetic, sizes.verify_iterations)?);
                times[2].push(tree.time_inclusion(sizes.verify_iterations)?);
            }
            let time = runtime.block_on(time_ledger_receipts(
                &ledger,
                &prepared[0],
                sizes.ledger_receipts,
            ))?;
            ledger_receipt_rounds.push(time);
        }
    }
    drop(ledger);

    if !timed {
        println!("ledger: each operation ran once (run `cargo bench` to time them)");
        return Ok(());
    }

    let group_rate = median(&mut group_rates);
    let baseline_rate = median(&mut baseline_rates);
    println!(
        "ledger: {} signed {SERVICE} submissions ({} bytes each), stores in {}",
        sizes.submissions,
        submission_bytes[0].len(),
        scratch.path().display(),
    );
    println!(
        "ledger: median of {} rounds after a warm-up; latency percentiles over all their appends",
        sizes.rounds
    );
    println!(
        "{:>36}: {group_rate:>8.0} entries/s  p50 {}  p99 {}",
        format!("group commit, {} submitters", sizes.submitters),
        millis(percentile(&mut group_latencies, 0.50)),
        millis(percentile(&mut group_latencies, 0.99)),
    );
    println!(
        "{:>36}: {baseline_rate:>8.0} entries/s  p50 {}  p99 {}",
        "one fsync per entry, 1 thread",
        millis(percentile(&mut baseline_latencies, 0.50)),
        millis(percentile(&mut baseline_latencies, 0.99)),
    );
    println!(
        "group commit / one fsync per entry: {:.1}× the entries per second",
        group_rate / baseline_rate
    );

    println!(
        "ledger: receipts, median of {} rounds ({} proofs at spread indices, {} verifications)",
        sizes.rounds, sizes.proof_iterations, sizes.verify_iterations
    );
    println!(
        "{:>10} {:>12} {:>9} {:>17} {:>17} {:>13}",
        "entries",
        "proof hashes",
        "prove µs",
        "verify receipt µs",
        "inclusion only µs",
        "tree built"
    );
    let mut medians = Vec::new();
    for ((tree, built), times) in trees.iter().zip(&mut tree_rounds) {
        let [prove, verify, inclusion] = times.each_mut().map(|times| median_micros(times));
        println!(
            "{:>10} {:>12} {prove:>9.2} {verify:>17.1} {inclusion:>17.2} {:>10.0} ms",
            tree.tree.len(),
            tree.proof_hashes,
            built.as_secs_f64() * 1e3,
        );
        medians.push((prove, verify, inclusion));
    }
    if let (Some(small), Some(large)) = (medians.first(), medians.last()) {
        println!(
            "10^6 / 10^3 entries: prove {:.2}×, verify receipt {:.2}×, inclusion only {:.2}×",
            large.0 / small.0,
            large.1 / small.1,
            large.2 / small.2,
        );
    }
    println!(
        "receipt from the embedded ledger ({} entries, SQLite + proof + checkpoint): {:.1} µs",
        sizes.submissions,
        median_micros(&mut ledger_receipt_rounds),
    );
    Ok(())
}

/// Parking-permit answers its policy approves today: the shipped example, moved to today.
fn parking_answers(service: &Service) -> Result<ValidAnswers, String> {
    let answers = example_answers(service, OffsetDateTime::now_utc().date())?;
    service.form.validate(&answers).map_err(|errors| {
        let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
        format!(
            "the benchmark's answers fail `{SERVICE}`'s form at: {}",
            fields.join(", ")
        )
    })
}

/// A temporary directory on the disk whose fsync is measured: under `AGORA_BENCH_DIR`, else
/// Cargo's target directory (compiled in, so checked to still exist), else the system's.
fn scratch_dir() -> std::io::Result<tempfile::TempDir> {
    let parent = std::env::var_os("AGORA_BENCH_DIR")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO_TARGET_TMPDIR").map(PathBuf::from))
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    tempfile::Builder::new()
        .prefix("agora-ledger-bench-")
        .tempdir_in(parent)
}

/// One run of appends: how many, how long in all, and how long each waited.
struct Run {
    entries: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.entries as f64 / self.elapsed.as_secs_f64()
    }
}

/// Appends every submission to a fresh embedded ledger in `dir` from `submitters` concurrent
/// tasks, each waiting for its append to be durable before sending the next.
async fn group_commit(
    dir: &Path,
    catalog: &Catalog,
    submissions: &[Value],
    submitters: usize,
) -> Result<Run, Box<dyn Error>> {
    let ledger = Arc::new(LocalLedger::open(dir, catalog.clone())?);
    let mut queues = vec![Vec::new(); submitters];
    for (i, submission) in submissions.iter().enumerate() {
        queues[i % submitters].push(submission.clone());
    }
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for queue in queues {
        let ledger = Arc::clone(&ledger);
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(queue.len());
            for submission in queue {
                let sent = Instant::now();
                let appended = ledger.append(submission).await?;
                latencies.push(sent.elapsed());
                if appended.already {
                    return Err(
                        format!("entry {} was already on a fresh ledger", appended.index).into(),
                    );
                }
            }
            Ok::<_, Box<dyn Error + Send + Sync>>(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(submissions.len());
    while let Some(task) = tasks.join_next().await {
        // The task's error is `Send`, as a task's must be; `main`'s need not be.
        latencies.extend(task?.map_err(|error| -> Box<dyn Error> { error })?);
    }
    let elapsed = start.elapsed();
    // Dropping the last handle waits for the ledger thread to close the store, which
    // checkpoints the write-ahead log into the database and fsyncs it: done here, untimed, it
    // cannot run into what is timed next (the baseline's fsyncs above all).
    drop(ledger);
    Ok(Run {
        entries: latencies.len(),
        elapsed,
        latencies,
    })
}

/// Inserts `entries` one row per transaction into a fresh plain SQLite table at `path` (WAL,
/// `synchronous=FULL`, as the ledger's store), until `max` rows or `budget` time.
fn baseline(
    path: &Path,
    entries: &[Vec<u8>],
    max: usize,
    budget: Duration,
) -> Result<Run, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE entries (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL) STRICT",
    )?;
    let mut insert = conn.prepare("INSERT INTO entries (entry) VALUES (?1)")?;
    let mut latencies = Vec::with_capacity(max);
    let start = Instant::now();
    for entry in entries.iter().cycle().take(max) {
        let sent = Instant::now();
        insert.execute([entry])?;
        latencies.push(sent.elapsed());
        if start.elapsed() >= budget {
            break;
        }
    }
    Ok(Run {
        entries: latencies.len(),
        elapsed: start.elapsed(),
        latencies,
    })
}

/// A real ledger holding `submissions` (appended as in a group-commit run) and the receipt it
/// gives for `first`, whose submission is among them.
async fn real_ledger(
    dir: &Path,
    catalog: &Catalog,
    submissions: &[Value],
    submitters: usize,
    first: &Prepared,
) -> Result<(LocalLedger, Receipt), Box<dyn Error>> {
    group_commit(dir, catalog, submissions, submitters).await?;
    let ledger = LocalLedger::open(dir, catalog.clone())?;
    let receipt = ledger
        .receipt(first.id, first.application.clone())
        .await?
        .ok_or("the ledger does not hold a submission it accepted")?;
    Ok((ledger, receipt))
}

/// Fetches `iterations` receipts for `first` from `ledger` and returns the mean time of one.
async fn time_ledger_receipts(
    ledger: &LocalLedger,
    first: &Prepared,
    iterations: u32,
) -> Result<Duration, Box<dyn Error>> {
    let start = Instant::now();
    for _ in 0..iterations {
        let receipt = ledger.receipt(first.id, first.application.clone()).await?;
        if black_box(receipt).is_none() {
            return Err("the ledger lost a receipt".into());
        }
    }
    Ok(start.elapsed() / iterations)
}

/// A Merkle tree as the ledger keeps it, of synthetic leaves around one real submission, and
/// a receipt for that submission against a checkpoint of the whole tree.
struct SyntheticTree {
    tree: Tree,
    /// Where the real submission is.
    index: u64,
    /// Its leaf hash.
    leaf: [u8; 32],
    /// How many hashes its inclusion proof holds.
    proof_hashes: usize,
    /// The receipt, as JSON.
    receipt: Value,
}

impl SyntheticTree {
    /// A tree of `size` leaves with `real`'s submission in the middle, its checkpoint signed
    /// by `key`.
    fn build(real: &Receipt, size: u64, key: &Identity) -> Result<Self, Box<dyn Error>> {
        let index = size / 2;
        let LedgerProof::Embedded(proof) = &real.ledger else {
            return Err("the benchmark's receipt is not from the embedded ledger".into());
        };
        let submission = &proof.submission;
        let stored = StoredEntry {
            index,
            time: submission.time,
            entry: submission.entry.clone(),
        };
        let leaf = tree::leaf_hash(&stored.leaf_bytes()?);
        let mut tree = Tree::default();
        for i in 0..size {
            if i == index {
                tree.push(leaf);
            } else {
                tree.push(tree::leaf_hash(&i.to_be_bytes()));
            }
        }
        let checkpoint = Checkpoint {
            origin: ORIGIN.to_owned(),
            size,
            root: tree.root(),
        };
        let note = checkpoint.sign(key.signing_key())?;
        let verifier = VerifierKey::new(ORIGIN, key.signing_key().verifying_key())?;
        let proof = tree.prove_inclusion(index);
        let receipt = Receipt {
            kind: RECEIPT_TYPE.to_owned(),
            version: RECEIPT_VERSION,
            application: real.application.clone(),
            ledger: LedgerProof::Embedded(EmbeddedProof {
                key: verifier.to_string(),
                checkpoint: note,
                submission: Inclusion::new(stored, &proof),
                decision: None,
            }),
        };
        Ok(Self {
            tree,
            index,
            leaf,
            proof_hashes: proof.len(),
            receipt: serde_json::to_value(&receipt)?,
        })
    }

    /// The mean time to prove one of `iterations` leaves spread over the whole tree.
    fn time_proofs(&self, iterations: u32) -> Result<Duration, Box<dyn Error>> {
        let size = self.tree.len();
        let start = Instant::now();
        let mut hashes = 0;
        for i in 0..u64::from(iterations) {
            // A multiplicative hash of the iteration: indices all over the tree, not in order.
            let index = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % size;
            hashes += black_box(self.tree.prove_inclusion(index)).len();
        }
        let elapsed = start.elapsed();
        black_box(hashes);
        Ok(elapsed / iterations)
    }

    /// The mean time to verify the receipt, from its JSON, `iterations` times.
    fn time_verify(
        &self,
        catalog: &Catalog,
        trusted: &TrustedLedgers,
        iterations: u32,
    ) -> Result<Duration, Box<dyn Error>> {
        let now = SystemTime::now();
        let start = Instant::now();
        for _ in 0..iterations {
            receipt::verify(black_box(&self.receipt), catalog, trusted, now)?;
        }
        Ok(start.elapsed() / iterations)
    }

    /// The mean time of the inclusion check alone (the part of verifying that grows with the
    /// tree), `iterations` times.
    fn time_inclusion(&self, iterations: u32) -> Result<Duration, Box<dyn Error>> {
        let proof = self.tree.prove_inclusion(self.index);
        let root = self.tree.root();
        let size = self.tree.len();
        let start = Instant::now();
        for _ in 0..iterations {
            tree::verify_inclusion(&root, size, black_box(&self.leaf), self.index, &proof)
                .map_err(|_| "the real submission's inclusion proof does not verify")?;
        }
        Ok(start.elapsed() / iterations)
    }
}

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The median of `times` in microseconds (sorted in place).
fn median_micros(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(f64::NAN, |time| time.as_secs_f64() * 1e6)
}

/// The `share` percentile of `times` (sorted in place), nearest rank.
fn percentile(times: &mut [Duration], share: f64) -> Duration {
    times.sort();
    let rank = ((times.len() as f64 * share).ceil() as usize).saturating_sub(1);
    times.get(rank).copied().unwrap_or_default()
}

/// A duration in milliseconds, aligned.
fn millis(time: Duration) -> String {
    format!("{:>7.2} ms", time.as_secs_f64() * 1e3)
}
