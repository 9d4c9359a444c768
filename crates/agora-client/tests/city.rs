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
    apply_with(home, catalog, "self")
}

/// [`apply`], the vehicle owned by `owner` (`employer`: the policy refers it to an officer).
fn apply_with(home: &Path, catalog: &str, owner: &str) -> Value {
    std::fs::create_dir_all(home).expect("home");
    if agora(home, &["id", "show"], "").code != 0 {
        let run = agora(
            home,
            &with_catalog(catalog, &["id", "new", "--pin-stdin"]),
            &format!("{PIN}{PIN}"),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let service = agora_services::Catalog::embedded().expect("catalog");
    let service = service.service("parking-permit").expect("service");
    let mut answers =
        agora_services::example_answers(service, time::OffsetDateTime::now_utc().date())
            .expect("answers");
    answers["vehicle_owner"] = owner.into();
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

/// A city catalog with fresh keys for every department (`agora keys rotate --first`), and the
/// folder of the desk's secret key files.
fn city(dir: &Path, operator: &Path) -> (PathBuf, PathBuf) {
    let catalog = catalog_copy(dir);
    let desk_keys = dir.join("desk-keys");
    for department in DEPARTMENTS {
        let run = agora(
            operator,
            &with_catalog(
                catalog.to_str().expect("utf-8"),
                &[
                    "keys",
                    "rotate",
                    department,
                    "--first",
                    "--keys",
                    desk_keys.to_str().expect("utf-8"),
                ],
            ),
            "",
        );
        assert_eq!(run.code, 0, "{department}: {}", run.stderr);
    }
    (catalog, desk_keys)
}

/// Done means: its officers decide what the rules refer to them, within their delegation, once.
#[test]
fn an_officer_decides_a_referred_application_within_their_delegation_and_only_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let operator = dir.path().join("operator");
    std::fs::create_dir(&operator).expect("home");
    let (catalog, desk_keys) = city(dir.path(), &operator);
    let cat = catalog.to_str().expect("utf-8");
    let keys = desk_keys.to_str().expect("utf-8");

    // A company car: the policy refers it to an officer.
    let home = dir.path().join("hall");
    let referred = apply_with(&home, cat, "employer");
    let id = referred["application"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let desk = agora(
        &home,
        &with_catalog(cat, &["desk", "--once", "--keys", keys]),
        "",
    );
    assert_eq!(desk.code, 0, "{}", desk.stderr);
    assert!(
        desk.stdout.contains(&format!("{id}: refer")),
        "{}",
        desk.stdout
    );
    // The same citizen's second permit within 90 days: the policy rejects it by itself.
    let decided_by_policy = apply(&home, cat);
    let desk = agora(
        &home,
        &with_catalog(cat, &["desk", "--once", "--keys", keys]),
        "",
    );
    assert!(desk.stdout.contains(": reject"), "{}", desk.stdout);

    // The officer's own key, beside the citizen's on the desk's machine.
    let officer = |args: &[&str], input: &str| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--profile", "officer"]);
        agora(&home, &with_catalog(cat, &all), input)
    };
    let made = officer(&["id", "new", "--pin-stdin"], &format!("{PIN}{PIN}"));
    assert_eq!(made.code, 0, "{}", made.stderr);
    let shown = officer(&["id", "show"], "");
    let officer_did = shown
        .stdout
        .split_whitespace()
        .next()
        .expect("a did")
        .to_owned();
    assert!(officer_did.starts_with("did:key:z6Mk"), "{}", shown.stdout);

    let delegate = |file: &str, department: &str, service: &str, window: (&str, &str)| {
        let path = dir.path().join(file);
        let mut args = vec![
            "desk",
            "delegate",
            officer_did.as_str(),
            "--department",
            department,
            "--service",
            service,
            "--name",
            "Li Wei",
            "--until",
            window.1,
            "--keys",
            keys,
            "--out",
            path.to_str().expect("utf-8"),
        ];
        if !window.0.is_empty() {
            args.extend_from_slice(&["--from", window.0]);
        }
        let run = agora(&operator, &with_catalog(cat, &args), "");
        assert_eq!(run.code, 0, "{}", run.stderr);
        path
    };
    let until = agora_services::time_format::format_utc(
        time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
    );
    let good = delegate("officer.json", "transport", "parking-permit", ("", &until));
    let health = delegate("health.json", "health", "health-certificate", ("", &until));
    let lapsed = delegate(
        "lapsed.json",
        "transport",
        "parking-permit",
        ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
    );

    // The queue: the referred application and its reason; its answers stay sealed.
    let queue = agora(&home, &with_catalog(cat, &["desk", "queue"]), "");
    assert_eq!(queue.code, 0, "{}", queue.stderr);
    assert!(queue.stdout.contains(&id), "{}", queue.stdout);
    assert!(queue.stdout.contains("referred: "), "{}", queue.stdout);
    assert!(!queue.stdout.contains("vehicle_owner"), "{}", queue.stdout);
    // The officer opens it, with the desk's keys: recorded first, then the answers shown.
    let opened = officer(
        &[
            "desk",
            "open",
            &id,
            "--keys",
            keys,
            "--delegation",
            good.to_str().expect("utf-8"),
            "--pin-stdin",
        ],
        PIN,
    );
    assert_eq!(opened.code, 0, "{}", opened.stderr);
    assert!(
        opened.stdout.contains("vehicle_owner: \"employer\""),
        "{}",
        opened.stdout
    );
    assert!(
        opened.stdout.contains("recorded on the ledger"),
        "{}",
        opened.stdout
    );

    let decide = |delegation: &Path, target: &str| {
        officer(
            &[
                "desk",
                "decide",
                target,
                "approve",
                "--reason",
                "The company confirms the car is for the resident's own use.",
                "--reason-zh",
                "公司确认该车辆供居民本人使用。",
                "--delegation",
                delegation.to_str().expect("utf-8"),
                "--pin-stdin",
            ],
            PIN,
        )
    };
    // Outside the officer's scope, or after the delegation lapsed: refused, and why.
    let out_of_scope = decide(&health, &id);
    assert_eq!(out_of_scope.code, 1, "{}", out_of_scope.stdout);
    assert!(
        out_of_scope
            .stderr
            .contains("is from the department `health`, which does not run `parking-permit`"),
        "{}",
        out_of_scope.stderr
    );
    let expired = decide(&lapsed, &id);
    assert_eq!(expired.code, 1, "{}", expired.stdout);
    assert!(
        expired
            .stderr
            .contains("valid from 2026-01-01T00:00:00Z until 2026-01-02T00:00:00Z"),
        "{}",
        expired.stderr
    );
    // An application the policy decided is not the officer's to decide.
    let not_referred = decide(
        &good,
        decided_by_policy["application"]["id"].as_str().expect("id"),
    );
    assert_eq!(not_referred.code, 2, "{}", not_referred.stdout);
    assert!(
        not_referred
            .stderr
            .contains("is not waiting for an officer"),
        "{}",
        not_referred.stderr
    );

    // A reason chosen from the service's messages must be one of them.
    let unknown_reason = officer(
        &[
            "desk",
            "decide",
            &id,
            "approve",
            "--reason-key",
            "parking-permit.because-i-say-so",
            "--delegation",
            good.to_str().expect("utf-8"),
            "--pin-stdin",
        ],
        PIN,
    );
    assert_eq!(unknown_reason.code, 1, "{}", unknown_reason.stdout);
    assert!(
        unknown_reason.stderr.contains(
            "`parking-permit.because-i-say-so` is not one of the messages of `parking-permit`"
        ),
        "{}",
        unknown_reason.stderr
    );

    // Within it: decided, once.
    let decided = decide(&good, &id);
    assert_eq!(decided.code, 0, "{}", decided.stderr);
    assert!(
        decided.stdout.contains("approve by did:key:"),
        "{}",
        decided.stdout
    );
    let again = decide(&good, &id);
    assert_eq!(again.code, 2, "{}", again.stdout);
    assert!(
        again.stderr.contains("is not waiting for an officer"),
        "{}",
        again.stderr
    );
    let queue = agora(&home, &with_catalog(cat, &["desk", "queue"]), "");
    assert!(
        queue.stdout.contains("no referred application"),
        "{}",
        queue.stdout
    );

    // The citizen's timeline says an officer decided, with the reason, and who opened it
    // and why, in either language.
    let status = agora(&home, &with_catalog(cat, &["status", &id]), "");
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status
            .stdout
            .contains("decided by an officer of the Transport Bureau")
            && status.stdout.contains("The company confirms the car"),
        "{}",
        status.stdout
    );
    let opened_lines: Vec<&str> = status
        .stdout
        .lines()
        .filter(|line| line.contains("Opened by"))
        .collect();
    // The desk's review, then the officer's reading and deciding: two access entries, or one
    // when both fell in the same second (the same signed entry again is recorded once).
    assert!(
        (2..=3).contains(&opened_lines.len())
            && opened_lines[0].ends_with("Opened by the Transport Bureau for its automatic review")
            && opened_lines[1..]
                .iter()
                .all(|line| line
                    .ends_with("Opened by an officer of the Transport Bureau to decide it")),
        "{}",
        status.stdout
    );
    let status = agora(
        &home,
        &with_catalog(cat, &["status", &id, "--lang", "zh-CN"]),
        "",
    );
    assert!(
        status.stdout.contains("由交通运输局的工作人员决定")
            && status.stdout.contains("公司确认该车辆供居民本人使用")
            && status.stdout.contains("交通运输局为自动审核打开了此申请")
            && status
                .stdout
                .contains("交通运输局的工作人员为作出决定打开了此申请"),
        "{}",
        status.stdout
    );

    // The receipt verifies the chain officer → department → catalog.
    let (receipt, path) = receipt(&home, cat, &id);
    let key = receipt["ledger"]["key"].as_str().expect("a key");
    let verified = verify(&home, Some(cat), &path, key);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert!(
        verified
            .stdout
            .contains("decided: approve by an officer of the Transport Bureau"),
        "{}",
        verified.stdout
    );
}

/// The plaza checks the city's catalog before a window opens, with the report `agora services
/// check` gives, and refuses the demo's keys in it; `services check` says which departments
/// are still on them.
#[test]
fn the_plaza_refuses_a_broken_catalog_or_the_demo_keys_before_a_window_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir(&home).expect("home");
    let catalog = catalog_copy(dir.path());
    let cat = catalog.to_str().expect("utf-8");
    let png = dir.path().join("plaza.png");
    let png = png.to_str().expect("utf-8");

    let on_demo_keys = agora(&home, &["--catalog", cat, "--screenshot", png], "");
    assert_eq!(on_demo_keys.code, 2, "{}", on_demo_keys.stderr);
    assert!(
        on_demo_keys.stderr.contains("uses a demo department's key"),
        "{}",
        on_demo_keys.stderr
    );
    // The same catalog named once for the machine, in agora.json (relative to its folder).
    std::fs::write(home.join("agora.json"), r#"{"catalog": "../catalog"}"#).expect("written");
    let configured = agora(&home, &["services", "list"], "");
    assert_eq!(configured.code, 2, "{}", configured.stdout);
    assert!(
        configured.stderr.contains("uses a demo department's key"),
        "{}",
        configured.stderr
    );
    std::fs::write(home.join("agora.json"), r#"{"catalogue": "../catalog"}"#).expect("written");
    let misspelt = agora(&home, &["services", "list"], "");
    assert_eq!(misspelt.code, 2, "{}", misspelt.stdout);
    assert!(
        misspelt.stderr.contains("agora.json") && misspelt.stderr.contains("catalogue"),
        "{}",
        misspelt.stderr
    );
    std::fs::remove_file(home.join("agora.json")).expect("removed");
    let checked = agora(&home, &["services", "check", cat], "");
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    assert!(
        checked.stdout.contains("still on the demo's published keys: environment, health, planning, public-security, transport"),
        "{}",
        checked.stdout
    );

    std::fs::write(
        catalog.join("departments/transport.json"),
        "{\"id\": \"transport\"}",
    )
    .expect("written");
    let broken = agora(&home, &["--catalog", cat, "--screenshot", png], "");
    assert_eq!(broken.code, 2, "{}", broken.stderr);
    assert!(
        broken
            .stderr
            .contains("departments/transport.json: name: is missing")
            && broken.stderr.contains("agora services check"),
        "{}",
        broken.stderr
    );
    assert!(!Path::new(png).exists());
}
