//! `agora submit`, `status`, `desk`, `ledger` and `verify RECEIPT` end to end, as a citizen's
//! script would use them, in a fresh data directory: an application approved and its receipt
//! verified, a second one rejected with the reason, a forged receipt refused, a damaged store
//! detected, and submitters killed at every step without losing or doubling anything.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

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

/// Everything under the data directory `home` (which the test made 0755, as an older version
/// or a loose umask would) is private to its owner: the directories 0700, the files 0600,
/// SQLite's write-ahead logs included.
#[cfg(unix)]
fn assert_private(home: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut seen = Vec::new();
    let mut pending = vec![home.to_owned()];
    while let Some(path) = pending.pop() {
        let metadata = std::fs::metadata(&path).expect("reads");
        let mode = metadata.permissions().mode() & 0o777;
        if metadata.is_dir() {
            assert_eq!(mode, 0o700, "{} is {mode:o}", path.display());
            pending.extend(
                std::fs::read_dir(&path)
                    .expect("reads")
                    .map(|entry| entry.expect("reads").path()),
            );
        } else {
            // The answers file is the test's own, not Agora's.
            if path.extension().is_some_and(|ext| ext == "json") && path.parent() == Some(home) {
                continue;
            }
            assert_eq!(mode, 0o600, "{} is {mode:o}", path.display());
            seen.push(
                path.file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    for file in [
        "archive.sqlite",
        "ledger.sqlite",
        "ledger.key",
        "desk.sqlite",
    ] {
        assert!(
            seen.iter().any(|name| name == file),
            "no {file} in {seen:?}"
        );
    }
}

#[cfg(not(unix))]
fn assert_private(_: &Path) {}

#[test]
fn a_citizen_submits_gets_a_decision_and_a_receipt_anyone_can_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Capitals and a space in the path: the timeline prints paths as they are.
    let home = dir.path().join("Citizen Home");
    std::fs::create_dir(&home).expect("home");
    let home = home.as_path();
    new_citizen(home);
    let answers = answers_file(home);

    let run = submit(home, &answers);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("queued: urn:uuid:"), "{}", run.stderr);
    assert_private(home);
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
    // The demo's desk decided it with a published key: never presented as a real decision.
    assert!(
        verified
            .stdout
            .contains("DEMO: this decision was signed with a demo department's key"),
        "{}",
        verified.stdout
    );
    // The same check told in Chinese: every sentence, the outcome and the department.
    let in_chinese = agora(
        home,
        &[
            "verify",
            receipt_path.to_str().expect("utf-8"),
            "--lang",
            "zh-CN",
        ],
        "",
    );
    assert_eq!(in_chinese.code, 0, "{}", in_chinese.stderr);
    for said in ["有效的回执：", "由 did:key:", "决定：批准", "演示："] {
        assert!(
            in_chinese.stdout.contains(said),
            "{said} missing from:\n{}",
            in_chinese.stdout
        );
    }
    for english in ["valid receipt", "decided:", "signed by", "DEMO"] {
        assert!(
            !in_chinese.stdout.contains(english),
            "{english} left in:\n{}",
            in_chinese.stdout
        );
    }

    // On a stranger's machine the receipt's ledger is no one's they trust until they pin its
    // key, by hand or from a list the city publishes.
    let stranger = dir.path().join("stranger");
    std::fs::create_dir(&stranger).expect("home");
    let path = receipt_path.to_str().expect("utf-8");
    let unpinned = agora(&stranger, &["verify", path], "");
    assert_eq!(unpinned.code, 1, "{}", unpinned.stdout);
    assert!(
        unpinned.stderr.contains("not one this verifier trusts")
            && unpinned.stderr.contains("--trust-ledger"),
        "{}",
        unpinned.stderr
    );
    let key = receipt["ledger"]["key"].as_str().expect("a key");
    let pinned = agora(&stranger, &["verify", path, "--trust-ledger", key], "");
    assert_eq!(pinned.code, 0, "{}", pinned.stderr);
    assert!(
        pinned.stdout.contains("pinned with --trust-ledger"),
        "{}",
        pinned.stdout
    );
    let list = stranger.join("city-ledgers.txt");
    std::fs::write(&list, format!("# the city's ledgers\n\n{key}\n")).expect("written");
    let listed = agora(
        &stranger,
        &[
            "verify",
            path,
            "--trusted-ledgers",
            list.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains("listed in"), "{}", listed.stdout);
    let garbled = agora(
        &stranger,
        &["verify", path, "--trust-ledger", "not a key"],
        "",
    );
    assert_eq!(garbled.code, 2, "{}", garbled.stderr);
    assert!(
        garbled.stderr.contains("not a ledger key"),
        "{}",
        garbled.stderr
    );

    // The policy allows one permit in 90 days: the second is rejected, with the reason on
    // standard error and the receipt, which records the rejection, on standard output.
    let second = submit(home, &answers);
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(
        second.stderr.contains("90 days")
            || second.stderr.contains("quota")
            || second.stderr.contains("already"),
        "{}",
        second.stderr
    );
    let rejected: Value = serde_json::from_str(&second.stdout).unwrap_or_else(|e| {
        panic!(
            "a rejection's receipt is not on stdout ({e}):\n{}",
            second.stdout
        )
    });
    assert_eq!(
        rejected["ledger"]["decision"]["entry"]["credentialSubject"]["outcome"],
        "reject"
    );
    assert!(
        !second.stderr.contains("\"ledger\""),
        "the receipt was written to stderr too:\n{}",
        second.stderr
    );

    let status = agora(home, &["status"], "");
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("queued") && status.stdout.contains("anchored"),
        "{}",
        status.stdout
    );
    // Times and paths as they are, not lowered: "2026-12-02T06:05:48Z", "…/Citizen Home/…".
    let ledger = home.join("ledger");
    assert!(
        status.stdout.contains(&ledger.display().to_string()),
        "the timeline does not name {} as it is:\n{}",
        ledger.display(),
        status.stdout
    );
    let stamp = status
        .stdout
        .lines()
        .find(|l| l.trim_end().ends_with("queued"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default();
    assert!(
        stamp.len() == 20 && stamp.as_bytes()[10] == b'T' && stamp.ends_with('Z'),
        "the timeline's time {stamp:?} is not written as RFC 3339 UTC:\n{}",
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
        audit.stdout.contains("audit passed: 6 entries"),
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

/// The shipped examples, exactly as they are in `assets/`, submit as they dry-run on any day:
/// they pin the day of their dry run, so `agora submit` moves their dates to today and says
/// so. (The planning consultation is left out: its policy counts responses only until its
/// fixed closing day, 30 June 2027, which no example can move.)
#[test]
fn the_shipped_examples_submit_as_they_dry_run_on_any_day() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    new_citizen(home);
    for id in [
        "parking-permit",
        "incident-report",
        "health-certificate",
        "noise-complaint",
    ] {
        let example = std::path::PathBuf::from(crate::manifest_dir())
            .join(format!("../../assets/services/examples/{id}.json"));
        let example = example.to_str().expect("utf-8");
        let dry = agora(home, &["apply", id, "--answers", example, "--dry-run"], "");
        assert_eq!(dry.code, 0, "{id}: {}", dry.stderr);
        let run = agora(
            home,
            &["submit", id, "--answers", example, "--pin-stdin"],
            PIN,
        );
        assert_eq!(run.code, 0, "{id}: {}", run.stderr);
        let receipt: Value = serde_json::from_str(&run.stdout).expect("the receipt is JSON");
        assert_eq!(
            receipt["ledger"]["decision"]["entry"]["credentialSubject"]["outcome"], "approve",
            "{id}: {}",
            run.stderr
        );
        let text = std::fs::read_to_string(example).expect("example");
        let pinned: Value = serde_json::from_str(&text).expect("JSON");
        let has_dates = pinned["answers"]
            .as_object()
            .expect("answers")
            .values()
            .any(|v| {
                v.as_str()
                    .is_some_and(|t| t.len() == 10 && t.as_bytes()[4] == b'-')
            });
        if has_dates && pinned["submitted_at"].is_string() {
            assert!(
                run.stderr.contains("so its dates move to today's"),
                "{id}: the command did not say it moved the dates:\n{}",
                run.stderr
            );
        }
    }
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

    // Change one byte inside the entry instead: in every copy of it in the file, since SQLite
    // may leave an old copy of a row on a free page when it moves it.
    let mut flipped = bytes.clone();
    let mut from = 0;
    while let Some(at) = find(&flipped[from..], b"AgoraSubmission") {
        flipped[from + at + 5] ^= 0x20;
        from += at + 1;
    }
    assert_ne!(flipped, bytes, "a submission in the file");
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

/// Kills `agora submit` with SIGKILL 50 times, at each of its hold points in turn (before
/// the outbox write, after it but before the citizen is told, after "queued", after the
/// ledger committed a submission or a decision but before the archive or the desk knew, and
/// after the decision): the command says when it reached the point and waits there, so every
/// kill lands where it is meant to on any machine, however busy. Every application the
/// citizen was told is queued must land on the ledger exactly once, everything durably
/// queued must land, each application is decided once, and the audit must pass.
#[test]
fn submitters_killed_at_every_step_lose_nothing_and_double_nothing() {
    use agora_client::commands::hold::{HOLD_AT, Point};

    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    new_citizen(home);
    let answers = answers_file(home);
    let answers = answers.to_str().expect("utf-8");
    assert_eq!(submit(home, Path::new(answers)).code, 0);

    // Each point as often as the others, in an order shuffled by a fixed seed, so that what
    // one kill left behind meets every kind of next run.
    let mut points: Vec<Point> = (0..50).map(|i| Point::ALL[i % Point::ALL.len()]).collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..points.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        points.swap(i, (seed >> 33) as usize % (i + 1));
    }

    let mut promised: HashSet<String> = HashSet::new();
    let mut told = 0;
    let mut durable = 1; // The submission above.
    for (run, &point) in points.iter().enumerate() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
            .args([
                "submit",
                "parking-permit",
                "--answers",
                answers,
                "--pin-stdin",
            ])
            .env("AGORA_HOME", home)
            .env(HOLD_AT, point.name())
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
        let said = said_until_held(&mut child, point);
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            said.contains(&format!("agora: held at {}", point.name())),
            "run {run} never reached {} and said:\n{said}",
            point.name()
        );
        if let Some(id) = said.lines().find_map(|l| l.strip_prefix("queued: ")) {
            promised.insert(id.split_whitespace().next().unwrap_or_default().to_owned());
        }
        if point != Point::Signed {
            durable += 1;
        }
        if !matches!(point, Point::Signed | Point::Enqueued) {
            told += 1;
        }
    }
    assert_eq!(
        promised.len(),
        told,
        "{told} runs were held after saying \"queued\", {} said it",
        promised.len()
    );

    // A later run delivers what the killed ones left in the outbox.
    let status = agora(home, &["status"], "");
    assert_eq!(status.code, 0, "{}", status.stderr);
    let log = agora(home, &["ledger", "log", "--limit", "1000"], "");
    let column = |kind: &str, at: usize| -> Vec<String> {
        log.stdout
            .lines()
            .filter(|l| l.split_whitespace().nth(2) == Some(kind))
            .filter_map(|l| l.split_whitespace().nth(at).map(str::to_owned))
            .collect()
    };
    let mut on_ledger = column("submission", 3);
    let count = on_ledger.len();
    on_ledger.sort();
    on_ledger.dedup();
    assert_eq!(
        on_ledger.len(),
        count,
        "an application landed twice:\n{}",
        log.stdout
    );
    assert_eq!(
        count, durable,
        "{durable} applications were queued durably, {count} reached the ledger:\n{}",
        log.stdout
    );
    for id in &promised {
        assert!(
            on_ledger.contains(id),
            "{id} was queued but never reached the ledger:\n{}",
            status.stdout
        );
    }
    let mut decided = column("decision", 3);
    decided.sort();
    assert_eq!(
        decided, on_ledger,
        "not every application was decided exactly once:\n{}",
        log.stdout
    );
    let audit = agora(home, &["ledger", "audit"], "");
    assert_eq!(audit.code, 0, "{}{}", audit.stdout, audit.stderr);
}

/// What `child` says on standard error until it says it is held at `point`, or until it ends
/// (a failure the caller reports). A test that hangs here forever would be a hold that never
/// comes, so the wait is bounded — by far more than any machine needs.
pub(crate) fn said_until_held(
    child: &mut std::process::Child,
    point: agora_client::commands::hold::Point,
) -> String {
    use std::io::BufRead as _;
    let stderr = child.stderr.take().expect("stderr");
    let (lines, said) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let held = format!("agora: held at {}", point.name());
    let mut text = String::new();
    loop {
        match said.recv_timeout(std::time::Duration::from_secs(300)) {
            Ok(line) => {
                text.push_str(&line);
                text.push('\n');
                if line == held {
                    return text;
                }
            }
            Err(_) => return text,
        }
    }
}
