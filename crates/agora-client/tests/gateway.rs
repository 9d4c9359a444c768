//! `agora submit`, `status`, `desk`, `ledger` and `verify RECEIPT` end to end, as a citizen's
//! script would use them, in a fresh data directory: an application approved and its receipt
//! verified, a second one rejected with the reason, a forged receipt refused, a damaged store
//! detected, and submitters killed at random points without losing or doubling anything.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::identity::{Run, agora};

const PIN: &str = "4711-plaza\n";

/// A parking-permit answers file that the policy approves today: the shipped example, moved
/// to today.
fn answers_file(dir: &Path) -> std::path::PathBuf {
    let catalog = agora_services::Catalog::embedded().expect("the embedded catalog reads");
    let service = catalog.service("parking-permit").expect("parking-permit");
    let answers = agora_services::example_answers(service, time::OffsetDateTime::now_utc().date())
        .expect("the example answers");
    let path = dir.join("parking.json");
    std::fs::write(&path, json!({ "answers": answers }).to_string()).expect("answers written");
    path
}

fn new_citizen(home: &Path) {
    let run = agora(home, &["id", "new", "--pin-stdin"], &format!("{PIN}{PIN}"));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn submit(home: &Path, answers: &Path) -> Run {
    let answers = answers.to_str().expect("utf-8 path");
    agora(
        home,
        &[
            "submit",
            "parking-permit",
            "--answers",
            answers,
            "--pin-stdin",
        ],
        PIN,
    )
}

#[test]
fn a_citizen_submits_gets_a_decision_and_a_receipt_anyone_can_verify() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    new_citizen(home);
    let answers = answers_file(home);

    let run = submit(home, &answers);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("queued: urn:uuid:"), "{}", run.stderr);
    let receipt: Value = serde_json::from_str(&run.stdout).expect("the receipt is JSON");
    assert_eq!(
        receipt["ledger"]["decision"]["entry"]["credentialSubject"]["outcome"],
        "approve"
    );
    let receipt_path = home.join("receipt.json");
    std::fs::write(&receipt_path, &run.stdout).expect("written");
    let verified = agora(home, &["verify", receipt_path.to_str().expect("utf-8")], "");
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert!(
        verified.stdout.contains("decided: approve"),
        "{}",
        verified.stdout
    );
    assert!(
        verified
            .stdout
            .contains("this device's own embedded ledger"),
        "{}",
        verified.stdout
    );

    // The policy allows one permit in 90 days: the second is rejected, with the reason.
    let second = submit(home, &answers);
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(
        second.stderr.contains("90 days")
            || second.stderr.contains("quota")
            || second.stderr.contains("already"),
        "{}",
        second.stderr
    );

    let status = agora(home, &["status"], "");
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("queued") && status.stdout.contains("anchored"),
        "{}",
        status.stdout
    );

    let log = agora(home, &["ledger", "log"], "");
    assert_eq!(log.code, 0, "{}", log.stderr);
    assert_eq!(
        log.stdout
            .lines()
            .filter(|l| l.contains("submission"))
            .count(),
        2,
        "{}",
        log.stdout
    );
    assert_eq!(
        log.stdout
            .lines()
            .filter(|l| l.contains("decision"))
            .count(),
        2,
        "{}",
        log.stdout
    );
    let audit = agora(home, &["ledger", "audit"], "");
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    assert!(
        audit.stdout.contains("audit passed: 4 entries"),
        "{}",
        audit.stdout
    );

    // A forged decision: the verifier says which part failed.
    let mut forged = receipt.clone();
    forged["ledger"]["decision"]["entry"]["credentialSubject"]["outcome"] = json!("reject");
    std::fs::write(&receipt_path, forged.to_string()).expect("written");
    let refused = agora(home, &["verify", receipt_path.to_str().expect("utf-8")], "");
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("the decision does not verify"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_damaged_ledger_store_is_detected_and_left_as_it_is() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    new_citizen(home);
    let answers = answers_file(home);
    assert_eq!(submit(home, &answers).code, 0);
    let store = home.join("ledger").join("ledger.sqlite");
    let bytes = std::fs::read(&store).expect("store");
    assert!(
        !home.join("ledger").join("ledger.sqlite-wal").exists()
            || std::fs::metadata(home.join("ledger").join("ledger.sqlite-wal"))
                .map_or(0, |m| m.len())
                == 0,
        "the store was left with an unmerged write-ahead log"
    );

    // Cut off the last page: entries are gone.
    std::fs::write(&store, &bytes[..bytes.len() - 4096]).expect("truncated");
    let audit = agora(home, &["ledger", "audit"], "");
    assert_ne!(
        audit.code, 0,
        "a truncated store passed the audit: {}",
        audit.stdout
    );
    assert!(audit.stderr.contains("ledger.sqlite"), "{}", audit.stderr);
    assert_eq!(
        std::fs::read(&store).expect("store").len(),
        bytes.len() - 4096,
        "the damaged store was changed"
    );

    // Change one byte inside the entries instead.
    let mut flipped = bytes.clone();
    let at = find(&flipped, b"AgoraSubmission").expect("a submission in the file");
    flipped[at + 5] ^= 0x20;
    std::fs::write(&store, &flipped).expect("flipped");
    let audit = agora(home, &["ledger", "audit"], "");
    assert_eq!(
        audit.code, 1,
        "a changed entry passed the audit: {}",
        audit.stdout
    );
    assert!(audit.stderr.contains("damaged"), "{}", audit.stderr);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Kills `agora submit` with SIGKILL at pseudo-random points over 50 runs. Every application
/// the citizen was told is queued must land on the ledger exactly once, and the audit must
/// pass.
#[test]
fn submitters_killed_at_random_points_lose_nothing_and_double_nothing() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    new_citizen(home);
    let answers = answers_file(home);
    let answers = answers.to_str().expect("utf-8");

    // How long one whole submission takes here, to spread the kills over it.
    let started = Instant::now();
    assert_eq!(submit(home, Path::new(answers)).code, 0);
    let whole = started.elapsed().max(Duration::from_millis(200));

    let mut promised: HashSet<String> = HashSet::new();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..50 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = whole.mul_f64((seed >> 11) as f64 / (1u64 << 53) as f64 * 1.2);
        let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
            .args([
                "submit",
                "parking-permit",
                "--answers",
                answers,
                "--pin-stdin",
            ])
            .env("AGORA_HOME", home)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("agora starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(PIN.as_bytes())
            .expect("pin");
        std::thread::sleep(delay);
        let _ = child.kill();
        let output = child.wait_with_output().expect("reaped");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if let Some(id) = stderr.lines().find_map(|l| l.strip_prefix("queued: ")) {
            promised.insert(id.split_whitespace().next().unwrap_or_default().to_owned());
        }
    }
    assert!(
        promised.len() >= 5,
        "only {} of 50 runs got as far as queueing",
        promised.len()
    );

    // A later run delivers what the killed ones left in the outbox.
    let status = agora(home, &["status"], "");
    assert_eq!(status.code, 0, "{}", status.stderr);
    let log = agora(home, &["ledger", "log", "--limit", "1000"], "");
    let mut on_ledger: Vec<String> = log
        .stdout
        .lines()
        .filter(|l| l.contains("submission"))
        .filter_map(|l| l.split_whitespace().nth(3).map(str::to_owned))
        .collect();
    let count = on_ledger.len();
    on_ledger.sort();
    on_ledger.dedup();
    assert_eq!(
        on_ledger.len(),
        count,
        "an application landed twice:\n{}",
        log.stdout
    );
    for id in &promised {
        assert!(
            on_ledger.contains(id),
            "{id} was queued but never reached the ledger:\n{}",
            status.stdout
        );
    }
    let audit = agora(home, &["ledger", "audit"], "");
    assert_eq!(audit.code, 0, "{}{}", audit.stdout, audit.stderr);
}
