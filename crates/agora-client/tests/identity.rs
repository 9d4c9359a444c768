//! `agora id`, `agora sign` and `agora verify` end to end, as a script would use them: the
//! W3C vector reproduced through the command line, a profile key created, used, backed up and
//! restored, and bad input refused with the right exit status.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The W3C eddsa-jcs-2022 vector kept by agora-identity's tests.
fn vector(name: &str) -> PathBuf {
    PathBuf::from(crate::manifest_dir())
        .join("../agora-identity/tests/data/eddsa-jcs-2022")
        .join(name)
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `agora` with its data in `home`, feeding `stdin`.
pub(crate) fn agora(home: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .env("AGORA_HOME", home)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agora starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let output = child.wait_with_output().expect("agora ends");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "agora panicked: {}",
        run.stderr
    );
    run
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

#[test]
fn agora_sign_reproduces_the_published_vector_byte_for_byte() {
    let home = tempfile::tempdir().expect("temp dir");
    let key = home.path().join("vector.key");
    let secret = json(&vector("keyPair.json"))["privateKeyMultibase"].clone();
    std::fs::write(&key, secret.as_str().expect("a Multikey")).expect("key written");
    let expected = json(&vector("signedJCS.json"));
    let created = expected["proof"]["created"].as_str().expect("created");

    let unsigned = vector("unsigned.json");
    let run = agora(
        home.path(),
        &[
            "sign",
            unsigned.to_str().expect("utf-8"),
            "--key-file",
            key.to_str().expect("utf-8"),
            "--created",
            created,
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let signed: Value = serde_json::from_str(&run.stdout).expect("agora sign prints JSON");
    assert_eq!(signed, expected);

    // And the published signed credential verifies.
    let published = vector("signedJCS.json");
    let run = agora(
        home.path(),
        &["verify", published.to_str().expect("utf-8")],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    );
    // Its issuer is a web address, which the signer's key cannot be compared with: said so.
    assert!(
        run.stdout
            .contains("its issuer https://vc.example/issuers/5678 is not a did:key"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_profile_key_signs_and_its_signatures_verify_until_changed() {
    let home = tempfile::tempdir().expect("temp dir");
    let run = agora(home.path(), &["id", "show"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no identity yet"), "{}", run.stderr);

    let run = agora(
        home.path(),
        &["id", "new", "--pin-stdin"],
        "correct horse\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let did = run
        .stdout
        .lines()
        .nth(1)
        .expect("the did")
        .trim()
        .to_owned();
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    let show = agora(home.path(), &["id", "show"], "");
    assert_eq!(show.stdout.lines().next(), Some(did.as_str()));
    // A second identity would silently replace the first: refused.
    let again = agora(home.path(), &["id", "new", "--pin-stdin"], "another pin\n");
    assert_eq!(again.code, 2, "{}", again.stderr);

    let document = home.path().join("application.json");
    std::fs::write(
        &document,
        r#"{"service":"parking-permit","answers":{"plate":"B-AG 2026"}}"#,
    )
    .expect("written");
    let run = agora(
        home.path(),
        &["sign", "application.json", "--pin-stdin"],
        "correct horse\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let signed = home.path().join("signed.json");
    std::fs::write(&signed, &run.stdout).expect("written");
    let proof: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert!(
        proof["proof"]["created"].is_string(),
        "a proof says when it was made"
    );

    let run = agora(home.path(), &["verify", "signed.json"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(&did), "{}", run.stdout);

    let tampered = run_tampered(home.path(), &signed, "B-AG 2026", "B-AG 2027");
    assert_eq!(tampered.code, 1);
    assert!(
        tampered.stderr.contains("signature does not match"),
        "{}",
        tampered.stderr
    );
    let tampered = run_tampered(home.path(), &signed, "assertionMethod", "authentication");
    assert_eq!(tampered.code, 1);
    assert!(tampered.stderr.contains("purpose"), "{}", tampered.stderr);

    // Agora's own documents are not signed by `agora sign`: a crafted submission or
    // application would otherwise be one in this citizen's name. Refused before any PIN.
    for (file, document, kind) in [
        (
            "submission.json",
            r#"{"type":"AgoraSubmission","id":"urn:uuid:3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c","service":"parking-permit"}"#,
            "submission",
        ),
        (
            "crafted-application.json",
            r#"{"type":["VerifiableCredential","AgoraApplication"],"credentialSubject":{}}"#,
            "application",
        ),
        (
            "decision.json",
            r#"{"type":["VerifiableCredential","AgoraDecision"]}"#,
            "decision",
        ),
    ] {
        std::fs::write(home.path().join(file), document).expect("written");
        let run = agora(home.path(), &["sign", file, "--pin-stdin"], "");
        assert_eq!(run.code, 2, "{file}: {}", run.stdout);
        assert!(
            run.stderr.contains(&format!("is an Agora {kind}")) && run.stdout.is_empty(),
            "{file}: {}",
            run.stderr
        );
    }

    // A document that names someone else as its issuer is not valid, though its proof is.
    let other = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    std::fs::write(
        home.path().join("claims.json"),
        format!(r#"{{"issuer":"{other}","claim":"this citizen owes nothing"}}"#),
    )
    .expect("written");
    let run = agora(
        home.path(),
        &["sign", "claims.json", "--pin-stdin"],
        "correct horse\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(home.path().join("claims-signed.json"), &run.stdout).expect("written");
    let run = agora(home.path(), &["verify", "claims-signed.json"], "");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!("names the issuer {other}")),
        "{}",
        run.stderr
    );
}

fn run_tampered(home: &Path, signed: &Path, from: &str, to: &str) -> Run {
    let text = std::fs::read_to_string(signed).expect("readable");
    assert!(text.contains(from));
    std::fs::write(home.join("tampered.json"), text.replace(from, to)).expect("written");
    agora(home, &["verify", "tampered.json"], "")
}

#[test]
fn wrong_pins_are_refused_and_slowed_down_across_runs() {
    let home = tempfile::tempdir().expect("temp dir");
    agora(
        home.path(),
        &["id", "new", "--pin-stdin"],
        "correct horse\n",
    );
    std::fs::write(home.path().join("doc.json"), "{}").expect("written");
    for attempt in 1..=3 {
        let run = agora(
            home.path(),
            &["sign", "doc.json", "--pin-stdin"],
            "wrong pin\n",
        );
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("wrong PIN"),
            "attempt {attempt}: {}",
            run.stderr
        );
    }
    // Each run is a new process: the back-off is on disk. Now even the right PIN must wait.
    let run = agora(
        home.path(),
        &["sign", "doc.json", "--pin-stdin"],
        "correct horse\n",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("wait"), "{}", run.stderr);
}

#[test]
fn an_exported_identity_imports_on_another_device() {
    let first = tempfile::tempdir().expect("temp dir");
    let created = agora(
        first.path(),
        &["id", "new", "--pin-stdin"],
        "correct horse\n",
    );
    let did = created
        .stdout
        .lines()
        .nth(1)
        .expect("did")
        .trim()
        .to_owned();
    let backup = first.path().join("backup.agora");
    let run = agora(
        first.path(),
        &[
            "id",
            "export",
            backup.to_str().expect("utf-8"),
            "--pin-stdin",
        ],
        "correct horse\nbackup passphrase\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    let second = tempfile::tempdir().expect("temp dir");
    let wrong = agora(
        second.path(),
        &[
            "id",
            "import",
            backup.to_str().expect("utf-8"),
            "--pin-stdin",
        ],
        "not the passphrase\nnew device pin\n",
    );
    assert_eq!(wrong.code, 2);
    assert!(
        wrong.stderr.contains("wrong passphrase"),
        "{}",
        wrong.stderr
    );
    let run = agora(
        second.path(),
        &[
            "id",
            "import",
            backup.to_str().expect("utf-8"),
            "--pin-stdin",
        ],
        "backup passphrase\nnew device pin\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let show = agora(second.path(), &["id", "show"], "");
    assert_eq!(show.stdout.lines().next(), Some(did.as_str()));
}

#[test]
fn malformed_input_exits_2_naming_the_problem() {
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::write(home.path().join("broken.json"), "{\"a\": ").expect("written");
    std::fs::write(home.path().join("twice.json"), r#"{"a":1,"a":2}"#).expect("written");
    std::fs::write(home.path().join("not-a-key"), "hello world").expect("written");
    std::fs::write(home.path().join("doc.json"), "{}").expect("written");
    let secret = json(&vector("keyPair.json"))["privateKeyMultibase"].clone();
    std::fs::write(
        home.path().join("vector.key"),
        secret.as_str().expect("a Multikey"),
    )
    .expect("written");
    for (args, expected) in [
        (
            &["verify", "broken.json"][..],
            "broken.json is not valid JSON",
        ),
        (&["verify", "twice.json"], "appears twice"),
        (&["verify", "missing.json"], "cannot read missing.json"),
        // An endless input is refused, not read into memory.
        (&["verify", "/dev/zero"], "larger than"),
        (
            &["sign", "doc.json", "--key-file", "/dev/zero"],
            "larger than",
        ),
        (
            &["sign", "doc.json", "--key-file", "not-a-key"],
            "does not hold an Ed25519 secret key",
        ),
        (
            &[
                "sign",
                "doc.json",
                "--key-file",
                "vector.key",
                "--created",
                "yesterday",
            ],
            "not an RFC 3339 date-time",
        ),
        (&["id", "new", "--pin-stdin"], "standard input ended"),
    ] {
        let run = agora(home.path(), args, "");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    // A PIN too short to protect anything.
    let run = agora(home.path(), &["id", "new", "--pin-stdin"], "1234\n");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("6"), "{}", run.stderr);
    // Unsigned documents are not valid: a negative answer, not an input error.
    let run = agora(home.path(), &["verify", "doc.json"], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no `proof`"), "{}", run.stderr);
}
