//! The catalog: the shipped one, a sixth service, and bad catalogs as data.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use agora_identity::Identity;
use agora_services::{
    Catalog, Lang, Outcome, Report, ReviewContext, Service, Submission, check, example_answers,
    example_applicant,
};
use serde_json::Value;

use crate::support::{assets, catalog, data, example};

/// The ids the plaza's layout gives its windows.
fn plaza_services() -> BTreeSet<String> {
    let layout =
        fs::read_to_string(assets().join("../scenes/plaza.ron")).expect("the plaza layout");
    layout
        .split("service: \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_window_of_the_plaza_has_its_service() {
    let windows = plaza_services();
    assert_eq!(windows.len(), 5, "the plaza has five windows: {windows:?}");
    let services: BTreeSet<String> = catalog().services().map(|s| s.id.clone()).collect();
    assert_eq!(services, windows);
}

#[test]
fn the_shipped_directory_checks_clean_and_is_what_is_embedded() {
    let dir = assets().join("services");
    let report = check(&dir);
    assert!(report.is_empty(), "{report}");
    let loaded = Catalog::load_dir(&dir).expect("loads");
    let on_disk: Vec<(String, String)> = loaded
        .services()
        .map(|s| (s.id.clone(), s.policy.reference().sha256))
        .collect();
    let embedded: Vec<(String, String)> = catalog()
        .services()
        .map(|s| (s.id.clone(), s.policy.reference().sha256))
        .collect();
    assert_eq!(on_disk, embedded);
}

#[test]
fn each_department_runs_one_service_with_its_own_keys() {
    let departments: BTreeSet<&str> = catalog()
        .services()
        .map(|s| s.department.id.as_str())
        .collect();
    assert_eq!(
        departments,
        BTreeSet::from([
            "environment",
            "health",
            "planning",
            "public-security",
            "transport"
        ])
    );
    let dids: BTreeSet<String> = catalog()
        .services()
        .map(|s| s.department.keys[0].did.to_string())
        .collect();
    assert_eq!(dids.len(), 5);
}

/// The secret halves in `assets/demo-desk-keys/` derive the public halves in the catalog.
#[test]
fn demo_desk_keys_match_the_catalog() {
    for department in catalog().departments() {
        assert_eq!(department.keys.len(), 1, "{}: one demo key", department.id);
        let key = &department.keys[0];
        assert!(agora_services::catalog::is_demo_key(&key.did));
        let path = assets()
            .join("demo-desk-keys")
            .join(format!("{}.json", department.id));
        let keys: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("key file")).expect("JSON");
        assert_eq!(keys["department"], department.id.as_str());
        assert_eq!(keys["did"], key.did.to_string().as_str());

        let signing = keys["signing_key"]["secretKeyMultibase"]
            .as_str()
            .expect("signing secret");
        let identity = Identity::from_secret_multikey(signing).expect("an Ed25519 secret Multikey");
        assert_eq!(identity.did(), key.did, "{}: signing key", department.id);
        assert_eq!(
            keys["signing_key"]["publicKeyMultibase"],
            key.did.multibase().as_str()
        );

        let secret = keys["encryption_key"]["secretKeyMultibase"]
            .as_str()
            .expect("encryption secret");
        assert!(secret.starts_with('z'));
        let decoded = bs58::decode(&secret[1..]).into_vec().expect("base58btc");
        assert_eq!(
            decoded[..2],
            agora_services::keys::X25519_PRIV_PREFIX,
            "x25519-priv multicodec"
        );
        let scalar: [u8; 32] = decoded[2..].try_into().expect("32 bytes");
        let public = curve25519_dalek::MontgomeryPoint::mul_base_clamped(scalar);
        assert_eq!(
            public.to_bytes(),
            *key.encryption_key.as_bytes(),
            "{}: encryption key",
            department.id
        );
        assert_eq!(
            keys["encryption_key"]["publicKeyMultibase"],
            key.encryption_key.multibase().as_str()
        );
    }
}

fn copy_json_files(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "json") {
            fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

/// Done means: an operator adds a sixth service by dropping in one file (and, for a
/// department the catalog does not have yet, the department's file).
#[test]
fn a_sixth_service_is_one_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_json_files(&assets().join("services"), dir.path());
    copy_json_files(
        &assets().join("services/examples"),
        &dir.path().join("examples"),
    );
    copy_json_files(
        &assets().join("services/departments"),
        &dir.path().join("departments"),
    );
    fs::copy(
        data().join("library-card.json"),
        dir.path().join("library-card.json"),
    )
    .expect("copy");
    // Its department is new: one more file, with the department's name and keys.
    fs::copy(
        data().join("departments/culture.json"),
        dir.path().join("departments/culture.json"),
    )
    .expect("copy");

    let report = check(dir.path());
    assert!(report.is_empty(), "{report}");
    let catalog = Catalog::load_dir(dir.path()).expect("loads");
    assert_eq!(catalog.services().count(), 6);
    let library = catalog.service("library-card").expect("the new service");
    let answers = serde_json::json!({"full_name": "王小明", "age": 30});
    let verdict = library.review(
        &answers,
        &crate::policy::submission("2026-11-24T09:30:00+08:00", 0),
    );
    assert_eq!(verdict.outcome, Outcome::Approve);
    assert_eq!(
        catalog.render(&verdict.reasons[0], Lang::ZhCn),
        "您的读者证已办好，可到任一分馆领取。"
    );
}

/// One expected problem: `file | member | part of the message`.
struct Expected {
    file: String,
    field: String,
    fragment: String,
}

fn expected(dir: &Path) -> Vec<Expected> {
    fs::read_to_string(dir.join("expected.txt"))
        .expect("expected.txt")
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.splitn(3, " | ").collect();
            assert_eq!(parts.len(), 3, "expected.txt line `{line}`");
            Expected {
                file: parts[0].to_owned(),
                field: parts[1].to_owned(),
                fragment: parts[2].to_owned(),
            }
        })
        .collect()
}

/// Problems' file names relative to the directory checked.
fn relative(report: &Report, dir: &Path) -> Vec<(String, String, String)> {
    let prefix = format!("{}/", dir.display());
    report
        .problems
        .iter()
        .map(|p| {
            (
                p.file.strip_prefix(&prefix).unwrap_or(&p.file).to_owned(),
                p.field.clone(),
                p.message.clone(),
            )
        })
        .collect()
}

#[test]
fn bad_catalogs_are_reported_with_file_member_and_problem() {
    let mut failures = Vec::new();
    let mut cases: Vec<_> = fs::read_dir(data().join("catalogs"))
        .expect("catalogs")
        .map(|entry| entry.expect("entry").path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10);
    for dir in cases {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let found = relative(&check(&dir), &dir);
        let expected = expected(&dir);
        for want in &expected {
            let hit = found.iter().any(|(file, field, message)| {
                *file == want.file && *field == want.field && message.contains(&want.fragment)
            });
            if !hit {
                failures.push(format!(
                    "{name}: no problem `{} | {} | …{}…`",
                    want.file, want.field, want.fragment
                ));
            }
        }
        if found.len() != expected.len() {
            failures.push(format!(
                "{name}: expected {} problems, found {}:\n  {}",
                expected.len(),
                found.len(),
                found
                    .iter()
                    .map(|(file, field, message)| format!("{file} | {field} | {message}"))
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_directory_without_services_or_that_cannot_be_read_is_a_problem() {
    let empty = tempfile::tempdir().expect("temp dir");
    let report = check(empty.path());
    assert_eq!(report.problems.len(), 1, "{report}");
    assert!(
        report.problems[0].message.contains("no service files"),
        "{report}"
    );

    let missing = empty.path().join("nowhere");
    let report = check(&missing);
    assert_eq!(report.problems.len(), 1, "{report}");
    assert!(
        report.problems[0].message.contains("cannot be read"),
        "{report}"
    );
}

#[test]
fn a_report_prints_one_problem_per_line() {
    let dir = data().join("catalogs/misspelt-members");
    let report = check(&dir);
    let text = report.to_string();
    assert_eq!(text.lines().count(), report.problems.len());
    assert!(
        text.contains("library-card.json: fields[full_name].max_length: is missing"),
        "{text}"
    );
}

#[test]
fn catalogs_and_services_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Catalog>();
    shared::<Service>();
}

#[test]
fn examples_are_approved_when_read_from_their_files() {
    for service in catalog().services() {
        let file = example(&service.id);
        let verdict = service.dry_run(&file, &example_applicant(), time::OffsetDateTime::now_utc());
        assert_eq!(
            verdict.outcome,
            Outcome::Approve,
            "{}: {verdict:?}",
            service.id
        );
    }
}

#[test]
fn example_answers_are_approved_on_other_days_than_the_examples() {
    // The planning consultation runs from 1 November 2026 to 30 June 2027 by its policy's own
    // dates, which no moving of answers can change; the other services take applications on
    // any day.
    // Every day of a fortnight, too, so that every weekday is one of them (a clinic closed on
    // Sundays must not make an example fail on one day of the week in seven).
    let mut in_consultation = vec![
        day(2026, time::Month::November, 2),
        day(2027, time::Month::June, 29),
    ];
    in_consultation.extend((1..=14).map(|d| day(2026, time::Month::December, d)));
    let later = day(2031, time::Month::December, 30);
    for service in catalog().services() {
        let mut days = in_consultation.clone();
        if service.id != "planning-consultation" {
            days.push(later);
        }
        for day in days {
            let answers = example_answers(service, day)
                .unwrap_or_else(|error| panic!("{}: {error}", service.id));
            let submission = Submission {
                applicant: example_applicant(),
                submitted_at: day.midnight().assume_utc() + time::Duration::hours(6),
                context: ReviewContext::default(),
            };
            let verdict = service.review(&answers, &submission);
            assert_eq!(
                verdict.outcome,
                Outcome::Approve,
                "{} on {day}: {verdict:?}",
                service.id
            );
        }
    }
    // The example applies a week ahead of its own day, and when moved by a whole number of
    // weeks (rounded up from the days between) still starts on the same weekday, at least a
    // week ahead.
    let parking = catalog()
        .service("parking-permit")
        .cloned()
        .expect("parking");
    let moved = example_answers(&parking, day(2031, time::Month::December, 30)).expect("moved");
    assert_eq!(moved["start_date"], "2032-01-06");
    // Eight days after the example's day: moved two weeks.
    let moved = example_answers(&parking, day(2026, time::Month::December, 2)).expect("moved");
    assert_eq!(moved["start_date"], "2026-12-15");
}

fn day(year: i32, month: time::Month, day: u8) -> time::Date {
    time::Date::from_calendar_date(year, month, day).expect("a day")
}

/// The planning consultation promises nothing the software does not do: votes reach the
/// department with the voter's did:key and nothing tallies them, so no text of the service, in
/// either language, may speak of anonymity or tell a voter their vote was counted. (The
/// policy's rule still says a response "is counted" as valid; rewording it is a new policy
/// version.)
#[test]
fn the_consultation_makes_no_promise_of_a_secret_ballot() {
    let text = fs::read_to_string(assets().join("services/planning-consultation.json"))
        .expect("the consultation's file");
    for claim in [
        "without names",
        "without your name",
        "anonymous",
        "vote is counted",
        "匿名",
        "已计入",
    ] {
        assert!(
            !text.contains(claim),
            "the planning consultation still says {claim:?}"
        );
    }
    assert!(text.contains("not a secret ballot") && text.contains("不是无记名投票"));
}

/// A department's keys over time: each valid in its period, the newest valid one used, a
/// revoked one from its revocation on, and a catalog sharing no key with the demo.
#[test]
fn department_keys_are_valid_in_their_periods_and_not_after_revocation() {
    use agora_services::EncryptionKey;
    use agora_services::catalog::KeyProblem;
    let dids: Vec<_> = (0..3u8)
        .map(|seed| {
            agora_identity::DidKey::from_public_key(
                agora_identity::SigningKey::from_bytes(&[seed + 40; 32]).verifying_key(),
            )
        })
        .collect();
    let encryption: Vec<_> = (0..3u8)
        .map(|seed| {
            EncryptionKey::from_bytes(
                curve25519_dalek::MontgomeryPoint::mul_base_clamped([seed + 80; 32]).to_bytes(),
            )
        })
        .collect();
    let department = serde_json::json!({
        "id": "culture",
        "name": {"en": "Culture and Tourism Bureau", "zh-CN": "文化和旅游局"},
        "keys": [
            {"did": dids[0].to_string(), "encryption_key": encryption[0].multibase()},
            {"did": dids[1].to_string(), "encryption_key": encryption[1].multibase(),
             "from": "2027-01-01T00:00:00Z",
             "revoked": {"from": "2027-03-01T00:00:00Z", "reason": "the desk's disk was stolen"}},
            {"did": dids[2].to_string(), "encryption_key": encryption[2].multibase(),
             "from": "2027-03-01T00:00:00Z"}
        ]
    })
    .to_string();
    let service = fs::read_to_string(data().join("library-card.json")).expect("service");
    let catalog = Catalog::from_sources(
        [("departments/culture.json", department.as_str())],
        [("library-card.json", service.as_str())],
        [],
    )
    .unwrap_or_else(|report| panic!("{report}"));
    assert!(!catalog.uses_demo_keys());
    assert!(crate::support::catalog().uses_demo_keys());
    let culture = catalog.department("culture").expect("department");
    let at = crate::support::at;

    // The key to use: the first until the rotation, the second until its revocation, then
    // the third.
    let in_use = |time| culture.key_at(at(time)).map(|key| key.did);
    assert_eq!(in_use("2026-12-31T23:59:59Z"), Some(dids[0]));
    assert_eq!(in_use("2027-01-01T00:00:00Z"), Some(dids[1]));
    assert_eq!(in_use("2027-03-01T00:00:00Z"), Some(dids[2]));
    assert_eq!(
        catalog
            .service("library-card")
            .expect("service")
            .key_at(at("2027-02-01T00:00:00Z"))
            .map(|k| &k.encryption_key),
        Some(&encryption[1])
    );

    // What each key signed counts only inside its period.
    assert!(
        culture
            .signer_at(&dids[0], at("2026-06-01T00:00:00Z"))
            .is_ok()
    );
    assert!(matches!(
        culture.signer_at(&dids[0], at("2027-01-01T00:00:00Z")),
        Err(KeyProblem::Expired { .. })
    ));
    assert!(matches!(
        culture.signer_at(&dids[1], at("2026-12-31T00:00:00Z")),
        Err(KeyProblem::NotYetValid { .. })
    ));
    assert!(
        culture
            .signer_at(&dids[1], at("2027-02-28T23:59:59Z"))
            .is_ok()
    );
    let revoked = culture
        .signer_at(&dids[1], at("2027-03-01T00:00:00Z"))
        .expect_err("revoked");
    assert!(matches!(revoked, KeyProblem::Revoked { .. }));
    assert!(
        revoked
            .to_string()
            .contains("revoked from 2027-03-01T00:00:00Z (because the desk's disk was stolen)"),
        "{revoked}"
    );
    let stranger = crate::support::catalog()
        .departments()
        .next()
        .expect("a demo department")
        .keys[0]
        .did;
    assert!(matches!(
        culture.signer_at(&stranger, at("2027-02-01T00:00:00Z")),
        Err(KeyProblem::NotTheDepartments { .. })
    ));
    assert_eq!(
        catalog.department_of(&dids[2]).map(|d| d.id.as_str()),
        Some("culture")
    );
}
