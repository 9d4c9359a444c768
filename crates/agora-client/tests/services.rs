//! `agora services list | check` and `agora apply --dry-run`: the catalog and its published
//! policies through the binary, with the exit statuses of the contract.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace(path: &str) -> PathBuf {
    PathBuf::from(crate::manifest_dir())
        .join("../..")
        .join(path)
}

/// Runs `agora` with an empty data directory; returns the exit status, stdout and stderr.
fn agora(home: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .env("AGORA_HOME", home)
        .output()
        .expect("agora runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "agora panicked: {stderr}");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    )
}

const SERVICES: [&str; 5] = [
    "parking-permit",
    "incident-report",
    "health-certificate",
    "noise-complaint",
    "planning-consultation",
];

#[test]
fn the_catalog_lists_the_five_services_of_the_plaza_with_their_policies() {
    let home = tempfile::tempdir().expect("temp dir");
    let (code, out, err) = agora(home.path(), &["services", "list"]);
    assert_eq!(code, 0, "{err}");
    for id in SERVICES {
        assert!(out.contains(id), "{id} missing from:\n{out}");
    }
    assert_eq!(out.matches("sha256 ").count(), 5, "{out}");
    let (_, zh, _) = agora(home.path(), &["services", "list", "--lang", "zh-CN"]);
    assert!(zh.contains("停车"), "{zh}");
}

#[test]
fn every_shipped_example_is_likely_approved_and_the_shipped_catalog_checks() {
    let home = tempfile::tempdir().expect("temp dir");
    let catalog = workspace("assets/services");
    let (code, out, err) = agora(
        home.path(),
        &["services", "check", catalog.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 services, no problems"), "{out}");
    for id in SERVICES {
        let answers = workspace(&format!("assets/services/examples/{id}.json"));
        let (code, out, err) = agora(
            home.path(),
            &[
                "apply",
                id,
                "--answers",
                answers.to_str().expect("utf-8"),
                "--dry-run",
            ],
        );
        assert_eq!(code, 0, "{id}: {err}");
        assert!(out.contains("likely be approved"), "{id}: {out}");
    }
}

#[test]
fn answers_that_do_not_fit_the_form_are_a_negative_answer_naming_the_field() {
    let home = tempfile::tempdir().expect("temp dir");
    let example =
        std::fs::read_to_string(workspace("assets/services/examples/parking-permit.json"))
            .expect("example");
    let mut answers: serde_json::Value = serde_json::from_str(&example).expect("JSON");
    answers["answers"]["vehicle_length"] = serde_json::json!(45.0);
    let file = home.path().join("answers.json");
    std::fs::write(&file, answers.to_string()).expect("written");
    let (code, _, err) = agora(
        home.path(),
        &[
            "apply",
            "parking-permit",
            "--answers",
            file.to_str().expect("utf-8"),
            "--dry-run",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("vehicle_length"), "{err}");
    assert!(err.contains("likely be rejected"), "{err}");
}

#[test]
fn bad_requests_exit_2_and_a_bad_catalog_exits_1_with_file_and_field() {
    let home = tempfile::tempdir().expect("temp dir");
    let answers = workspace("assets/services/examples/parking-permit.json");
    let answers = answers.to_str().expect("utf-8");
    let (code, _, err) = agora(
        home.path(),
        &["apply", "passport", "--answers", answers, "--dry-run"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("parking-permit"), "lists the services: {err}");
    let (code, _, err) = agora(
        home.path(),
        &[
            "apply",
            "noise-complaint",
            "--answers",
            answers,
            "--dry-run",
        ],
    );
    assert_eq!(code, 2, "answers for another service: {err}");
    let (code, _, err) = agora(
        home.path(),
        &["apply", "parking-permit", "--answers", answers],
    );
    assert_eq!(code, 2, "no submitting yet: {err}");

    let bad = workspace("crates/agora-services/tests/data/catalogs/bad-policy");
    let (code, _, err) = agora(
        home.path(),
        &["services", "check", bad.to_str().expect("utf-8")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(".json") && err.contains("policy"), "{err}");
}
