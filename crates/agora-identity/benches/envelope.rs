//! What the signed envelope costs: signing and verifying a typical 1 KB application with an
//! `eddsa-jcs-2022` proof (canonicalize + hash + Ed25519), beside raw Ed25519 signing and
//! verifying of the same document's canonical bytes, in operations per second on one core.
//!
//! Run with `cargo bench -p agora-identity --bench envelope`. Each operation is warmed up, then
//! timed for a fixed number of iterations per round, over several rounds; the median round is
//! reported. Rounds interleave the operations, so that a machine busy with something else
//! slows all of them alike and the ratios stay meaningful. Everything runs on the main thread.
//!
//! The goal (issue 3) is envelope signing and verifying each at least half the raw rate. The
//! benchmark prints whether it is met and never fails because of speed: a slow or busy machine
//! is not a bug. Without `--bench` (as `cargo test --benches` runs it) every operation runs once,
//! only to check that it works.

use std::error::Error;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use agora_identity::canonical::{canonicalize, parse_strict};
use agora_identity::proof::{self, ProofOptions, VerifyOptions};
use agora_identity::{DidKey, Identity};
use ed25519_dalek::{Signer, SigningKey};

/// The application signed: W3C VC 2.0-shaped, about 1 KB in canonical form.
const APPLICATION: &str = "benches/data/application.json";

/// The secret key of the W3C eddsa-jcs-2022 test vector (`keyPair.json`, see
/// `tests/data/README.md`). It is published, which is what a benchmark wants: a fixed key whose
/// did:key the data file can name as its issuer.
const SIGNER: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";

/// The proof's `created` time, fixed so every run signs the same bytes.
const CREATED: &str = "2026-03-14T09:27:00Z";

const WARM_UP_ITERATIONS: u32 = 500;
const ITERATIONS_PER_ROUND: u32 = 2_000;
const ROUNDS: usize = 7;

/// The rate the envelope must reach, as a share of the raw Ed25519 rate.
const GOAL_RATIO: f64 = 0.5;

fn main() -> Result<(), Box<dyn Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then a smoke run is
    // all that is wanted.
    let timed = std::env::args().any(|arg| arg == "--bench");

    let path = PathBuf::from(manifest_dir()).join(APPLICATION);
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let document = parse_strict(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    let identity = Identity::from_secret_multikey(SIGNER)?;
    let key: &SigningKey = identity.signing_key();
    let verifying_key = key.verifying_key();
    if document["issuer"] != identity.did().to_string() {
        return Err(format!(
            "{}: `issuer` must be the benchmark key's did:key, {}",
            path.display(),
            identity.did()
        )
        .into());
    }

    let sign_options = ProofOptions::assertion().created(CREATED);
    let verify_options = VerifyOptions::assertion().at(SystemTime::now());
    let canonical = canonicalize(&document)?;
    let signed = proof::sign(&document, key, &sign_options)?;
    let signed_text = serde_json::to_string(&signed)?;
    let raw_signature = key.sign(&canonical);

    // Every operation must succeed before any is timed: a benchmark of a failing path would
    // measure the wrong thing.
    let verified = proof::verify(&signed, &verify_options)?;
    if verified.signer != identity.did() || verified.document != document {
        return Err("the signed application verified as something else than was signed".into());
    }
    proof::verify(&parse_strict(&signed_text)?, &verify_options)?;
    verifying_key.verify_strict(&canonical, &raw_signature)?;

    let operations: [(&str, Box<dyn Fn() -> bool>); 5] = [
        (
            "envelope sign",
            Box::new(|| proof::sign(black_box(&document), key, &sign_options).is_ok()),
        ),
        (
            "envelope verify",
            Box::new(|| proof::verify(black_box(&signed), &verify_options).is_ok()),
        ),
        (
            "raw Ed25519 sign",
            Box::new(|| black_box(key.sign(black_box(&canonical))).to_bytes()[0] != 0xff),
        ),
        (
            "raw Ed25519 verify",
            Box::new(|| {
                verifying_key
                    .verify_strict(black_box(&canonical), black_box(&raw_signature))
                    .is_ok()
            }),
        ),
        (
            "envelope verify from text",
            Box::new(|| {
                parse_strict(black_box(&signed_text))
                    .is_ok_and(|document| proof::verify(&document, &verify_options).is_ok())
            }),
        ),
    ];

    if !timed {
        for (name, operation) in &operations {
            if !operation() {
                return Err(format!("{name} failed").into());
            }
        }
        println!("envelope: each operation ran once (run `cargo bench` to time them)");
        return Ok(());
    }

    for (_, operation) in &operations {
        run(operation.as_ref(), WARM_UP_ITERATIONS)?;
    }
    let mut rounds: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); operations.len()];
    for _ in 0..ROUNDS {
        for ((_, operation), times) in operations.iter().zip(&mut rounds) {
            times.push(run(operation.as_ref(), ITERATIONS_PER_ROUND)?);
        }
    }
    let rates: Vec<f64> = rounds
        .iter_mut()
        .map(|times| {
            times.sort();
            f64::from(ITERATIONS_PER_ROUND) / times[ROUNDS / 2].as_secs_f64()
        })
        .collect();

    println!(
        "envelope: a {}-byte application ({} bytes canonical, {} bytes signed), signer {}",
        text.len(),
        canonical.len(),
        signed_text.len(),
        DidKey::from_public_key(verifying_key),
    );
    println!(
        "envelope: median of {ROUNDS} rounds of {ITERATIONS_PER_ROUND} iterations, one thread"
    );
    for ((name, _), rate) in operations.iter().zip(&rates) {
        println!("{name:>28}: {rate:>9.0} ops/s  ({:>6.1} µs/op)", 1e6 / rate);
    }
    for (what, envelope, raw) in [("sign", rates[0], rates[2]), ("verify", rates[1], rates[3])] {
        let ratio = envelope / raw;
        let verdict = if ratio >= GOAL_RATIO {
            "goal met"
        } else {
            "goal NOT met"
        };
        println!("envelope/raw {what:<6}: {ratio:.2} (goal ≥ {GOAL_RATIO:.2}): {verdict}");
    }
    Ok(())
}

/// Runs `operation` `iterations` times and returns how long that took.
fn run(operation: &dyn Fn() -> bool, iterations: u32) -> Result<Duration, String> {
    let start = Instant::now();
    let mut failures = 0u32;
    for _ in 0..iterations {
        if !black_box(operation()) {
            failures += 1;
        }
    }
    let elapsed = start.elapsed();
    if failures > 0 {
        return Err(format!("{failures} of {iterations} iterations failed"));
    }
    Ok(elapsed)
}

/// This package's directory, read when the test runs rather than when it was compiled: a build
/// cache shared between clones (CI's target directory under $HOME) may hold a binary compiled
/// in another checkout, whose compile-time path would point there.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR when it runs tests")
}
