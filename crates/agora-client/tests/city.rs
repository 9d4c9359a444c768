//! A city's own catalog on the command line: the demo's keys refused, fresh department keys
//! made with `agora keys rotate`, a citizen's application decided by the department's own desk,
//! and a rotation and a revocation that break no receipt.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::identity::{Run, agora};

const PIN: &str = "4711-plaza\n";

const DEPARTMENTS: [&str; 5] = [
    "environment",
    "health",
    "planning",
    "public-security",
    "transport",
];

fn copy_json(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("reads") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "json") {
            std::fs::copy(&path, to.join(path.file_name().expect("a name"))).expect("copy");
        }
    }
}

/// A copy of the shipped catalog, as a city starts from it: the demo departments' keys.
fn catalog_copy(dir: &Path) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/services");
    let catalog = dir.join("catalog");
    copy_json(&shipped, &catalog);
    copy_json(&shipped.join("examples"), &catalog.join("examples"));
    copy_json(&shipped.join("departments"), &catalog.join("departments"));
    catalog
}

/// `args` with `--catalog CATALOG` (after the subcommand: a global option).
fn with_catalog<'a>(catalog: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--catalog", catalog]);
    all
}

/// A new citizen in `home` who applies for a parking permit under `catalog`; the receipt as
/// `submit` prints it.
fn apply(home: &Path, catalog: &str) -> Value {
    std::fs::create_dir_all(home).expect("home");
    let run = agora(
        home,
        &with_catalog(catalog, &["id", "new", "--pin-stdin"]),
        &format!("{PIN}{PIN}"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let service = agora_services::Catalog::embedded().expect("catalog");
    let service = service.service("parking-permit").expect("service");
    let answers = agora_services::example_answers(service, time::OffsetDateTime::now_utc().date())
        .expect("answers");
    let answers_path = home.join("parking.json");
    std::fs::write(
        &answers_path,
        serde_json::json!({ "answers": answers }).to_string(),
    )
    .expect("written");
    let run = agora(
        home,
        &with_catalog(
            catalog,
            &[
                "submit",
                "parking-permit",
                "--answers",
                answers_path.to_str().expect("utf-8"),
                "--pin-stdin",
                "--no-wait",
            ],
        ),
        PIN,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).expect("the receipt is JSON")
}

/// The receipt of `id` now, written to a file beside it.
fn receipt(home: &Path, catalog: &str, id: &str) -> (Value, PathBuf) {
    let run = agora(
        home,
        &with_catalog(catalog, &["status", id, "--receipt"]),
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = home.join(format!("receipt-{}.json", &id[9..17]));
    std::fs::write(&path, &run.stdout).expect("written");
    (serde_json::from_str(&run.stdout).expect("JSON"), path)
}

fn verify(home: &Path, catalog: Option<&str>, receipt: &Path, ledger_key: &str) -> Run {
    let path = receipt.to_str().expect("utf-8");
    let mut args = vec!["verify", path, "--trust-ledger", ledger_key];
    if let Some(catalog) = catalog {
        args.extend_from_slice(&["--catalog", catalog]);
    }
    agora(home, &args, "")
}

/// Waits (a bounded while) until the clock has passed `at`.
fn wait_until(at: time::OffsetDateTime) {
    for _ in 0..100 {
        if time::OffsetDateTime::now_utc() >= at {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the clock did not reach {at} within 5 s");
}

fn seconds_ahead(seconds: u64) -> time::OffsetDateTime {
    (time::OffsetDateTime::now_utc() + Duration::from_secs(seconds))
        .replace_nanosecond(0)
        .expect("a time")
}

/// Done means: a city writes its own services and keys, and keys can be rotated without
/// breaking a single receipt.
#[test]
fn a_city_runs_its_own_catalog_and_keys_and_rotates_them_without_breaking_a_receipt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let operator = dir.path().join("operator");
    std::fs::create_dir(&operator).expect("home");
    let catalog = catalog_copy(dir.path());
    let cat = catalog.to_str().expect("utf-8");
    let desk_keys = dir.path().join("desk-keys");
    let desk_keys_arg = desk_keys.to_str().expect("utf-8");

    // The demo's published keys are refused outright in a city's catalog.
    let refused = agora(&operator, &with_catalog(cat, &["services", "list"]), "");
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("uses a demo department's key")
            && refused.stderr.contains("agora keys rotate"),
        "{}",
        refused.stderr
    );

    // Fresh keys for every department: the secret halves for the desk, the public ones into
    // the catalog, and the last rotation leaves no demo key behind.
    for (index, department) in DEPARTMENTS.iter().enumerate() {
        let run = agora(
            &operator,
            &with_catalog(
                cat,
                &[
                    "keys",
                    "rotate",
                    department,
                    "--first",
                    "--keys",
                    desk_keys_arg,
                ],
            ),
            "",
        );
        assert_eq!(run.code, 0, "{department}: {}", run.stderr);
        assert!(run.stdout.contains("valid since always"), "{}", run.stdout);
        assert_eq!(
            run.stdout.contains("still on the demo's published keys"),
            index + 1 < DEPARTMENTS.len(),
            "{}",
            run.stdout
        );
    }
    let listed = agora(&operator, &with_catalog(cat, &["services", "list"]), "");
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for entry in std::fs::read_dir(&desk_keys).expect("reads") {
            let mode = entry
                .expect("entry")
                .metadata()
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "a secret key file is private");
        }
    }

    // A citizen applies; with a city's catalog no desk runs on the citizen's machine, so the
    // application waits for the department's desk.
    let citizen = dir.path().join("citizen");
    let first = apply(&citizen, cat);
    assert!(first["ledger"]["decision"].is_null(), "{first}");
    let first_id = first["application"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let ledger_key = first["ledger"]["key"]
        .as_str()
        .expect("a ledger key")
        .to_owned();

    // The department's desk needs the city's keys, not the demo's.
    let keyless = agora(&citizen, &with_catalog(cat, &["desk", "--once"]), "");
    assert_eq!(keyless.code, 2, "{}", keyless.stderr);
    assert!(keyless.stderr.contains("--keys DIR"), "{}", keyless.stderr);
    let desk = agora(
        &citizen,
        &with_catalog(cat, &["desk", "--once", "--keys", desk_keys_arg]),
        "",
    );
    assert_eq!(desk.code, 0, "{}", desk.stderr);
    assert!(desk.stdout.contains("1 decided"), "{}", desk.stdout);
    let (decided, first_path) = receipt(&citizen, cat, &first_id);
    assert_eq!(
        decided["ledger"]["decision"]["entry"]["credentialSubject"]["outcome"],
        "approve"
    );
    let verified = verify(&citizen, Some(cat), &first_path, &ledger_key);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert!(
        verified.stdout.contains("decided: approve"),
        "{}",
        verified.stdout
    );
    assert!(!verified.stdout.contains("DEMO"), "{}", verified.stdout);
    // Against the demo catalog the city's decision is nobody's: its key is not the demo's.
    let elsewhere = verify(&citizen, None, &first_path, &ledger_key);
    assert_eq!(elsewhere.code, 1, "{}", elsewhere.stdout);
    assert!(
        elsewhere
            .stderr
            .contains("is not a key of the department `transport`"),
        "{}",
        elsewhere.stderr
    );

    // The Transport Bureau rotates its key two seconds from now.
    let from = seconds_ahead(2);
    let from_text = agora_services::time_format::format_utc(from);
    let rotated = agora(
        &operator,
        &with_catalog(
            cat,
            &[
                "keys",
                "rotate",
                "transport",
                "--keys",
                desk_keys_arg,
                "--from",
                &from_text,
            ],
        ),
        "",
    );
    assert_eq!(rotated.code, 0, "{}", rotated.stderr);
    let new_did = rotated
        .stdout
        .split_whitespace()
        .find(|word| word.starts_with("did:key:"))
        .expect("the new key")
        .trim_end_matches(',')
        .to_owned();
    wait_until(from);

    // A second citizen applies after it; the desk (holding both keys) decides with the new
    // one, and both receipts verify against the rotated catalog.
    let second_citizen = dir.path().join("second");
    let second = apply(&second_citizen, cat);
    let second_id = second["application"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let desk = agora(
        &second_citizen,
        &with_catalog(cat, &["desk", "--once", "--keys", desk_keys_arg]),
        "",
    );
    assert_eq!(desk.code, 0, "{}", desk.stderr);
    let (decided, second_path) = receipt(&second_citizen, cat, &second_id);
    assert_eq!(
        decided["ledger"]["decision"]["entry"]["issuer"],
        new_did.as_str(),
        "decided with the key valid now"
    );
    let second_key = decided["ledger"]["key"].as_str().expect("a key").to_owned();
    for (home, path, key) in [
        (&citizen, &first_path, &ledger_key),
        (&second_citizen, &second_path, &second_key),
    ] {
        let verified = verify(home, Some(cat), path, key);
        assert_eq!(verified.code, 0, "{}: {}", path.display(), verified.stderr);
    }

    // The new key is revoked from a moment after its decision: that decision still counts.
    let revoked = agora(
        &operator,
        &with_catalog(
            cat,
            &[
                "keys",
                "revoke",
                "transport",
                &new_did,
                "--from",
                &agora_services::time_format::format_utc(seconds_ahead(2)),
                "--reason",
                "the desk's disk was stolen",
            ],
        ),
        "",
    );
    assert_eq!(revoked.code, 0, "{}", revoked.stderr);
    assert!(
        revoked.stdout.contains("is revoked from"),
        "{}",
        revoked.stdout
    );
    let verified = verify(&second_citizen, Some(cat), &second_path, &second_key);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
}
