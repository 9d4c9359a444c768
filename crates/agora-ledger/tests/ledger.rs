//! The embedded ledger through its public API, in a temporary directory: what it appends and
//! refuses (each rule with its own [`Refusal`]), what survives closing and reopening, inclusion
//! proofs against its signed checkpoint, and damaged store files that it must not accept.
//!
//! Entries are real signed documents: submissions signed by a fresh citizen key, decisions by
//! the demo department key the embedded catalog names (`assets/demo-desk-keys/`). A
//! submission's sealed answers are opaque to a ledger, so they are random-looking bytes here;
//! sealing real answers is the gateway's business and its tests'.

use std::path::Path;
use std::time::{Duration, SystemTime};

use agora_identity::proof::ProofOptions;
use agora_identity::{DidKey, Identity};
use agora_ledger::entry::{SEAL_SUITE, SUBMISSION_TYPE, Sealed, digest_hex, leaf_bytes};
use agora_ledger::store::{KEY_FILE, STORE_FILE};
use agora_ledger::{Appended, Checkpoint, Ledger, Refusal, StoreError, Submission, Verified};
use agora_services::catalog::EMBEDDED_SERVICES;
use agora_services::{Anchor, ApplicationId, Catalog, Decision, Outcome, Verdict};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{InclusionProof, RootHash};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

const SERVICE: &str = "parking-permit";

fn catalog() -> Catalog {
    Catalog::embedded().expect("the embedded catalog reads")
}

fn open(dir: &Path) -> Ledger {
    Ledger::open(dir, catalog()).expect("the ledger opens")
}

/// A citizen and what they sign.
struct Citizen(Identity);

impl Citizen {
    fn new() -> Self {
        Self(Identity::generate().expect("randomness"))
    }

    /// A signed submission of a new application (its own id and digest) to `service`.
    fn submission(&self, service: &str) -> Value {
        let id = ApplicationId::random().expect("randomness");
        self.submission_of(id, &digest_of(id), service)
    }

    /// A signed submission naming application `id` with digest `digest`.
    fn submission_of(&self, id: ApplicationId, digest: &str, service: &str) -> Value {
        let submission = Submission {
            kind: SUBMISSION_TYPE.to_owned(),
            id,
            service: service.to_owned(),
            applicant: self.0.did(),
            application_sha256: digest.to_owned(),
            sealed: Sealed {
                suite: SEAL_SUITE.to_owned(),
                enc: BASE64.encode([7u8; 32]),
                ciphertext: BASE64.encode(id.to_string()),
            },
        };
        sign(&self.0, &submission.to_json())
    }
}

/// A digest for an application that exists only as its id.
fn digest_of(id: ApplicationId) -> String {
    digest_hex(&json!({"application": id.to_string()})).expect("canonical")
}

fn sign(identity: &Identity, document: &Value) -> Value {
    identity
        .sign(
            document,
            &ProofOptions::assertion().created_at(SystemTime::now()),
        )
        .expect("signs")
}

/// The key of the department that decides for `service`, from the demo desk keys.
fn department_key(catalog: &Catalog, service: &str) -> Identity {
    let department = &catalog.service(service).expect("service").department.id;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/demo-desk-keys")
        .join(format!("{department}.json"));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("key file"))
        .expect("a key file is JSON");
    let secret = file["signing_key"]["secretKeyMultibase"]
        .as_str()
        .expect("a secret key");
    let identity = Identity::from_secret_multikey(secret).expect("a Multikey");
    assert_eq!(
        identity.did(),
        catalog.service(service).expect("service").department.keys[0].did,
        "{} is not the key the catalog names",
        path.display()
    );
    identity
}

/// A decision on `submission` with `outcome`, signed by `signer` (who is named its issuer),
/// naming where `ledger` anchored the submission (or, for one it does not hold, leaf 0 now).
fn decision(ledger: &mut Ledger, submission: &Value, outcome: Outcome, signer: &Identity) -> Value {
    let id = ApplicationId::parse(submission["id"].as_str().expect("id")).expect("an id");
    let applicant =
        DidKey::parse(submission["applicant"].as_str().expect("applicant")).expect("a did:key");
    let anchored = match ledger.application(id, &applicant).expect("reads") {
        Some(record) => Anchor {
            ledger: ledger.verifier().name().to_owned(),
            index: record.submission.index,
            time: record.submission.time,
        },
        None => Anchor {
            ledger: ledger.verifier().name().to_owned(),
            index: 0,
            time: agora_services::time_format::to_utc_second(OffsetDateTime::now_utc()),
        },
    };
    unanchored_decision(&catalog(), submission, outcome, signer, Some(anchored))
}

/// The access entry of `signer` opening `submission` where `ledger` anchored it, for the
/// automatic review: what a desk records before it decides.
fn opened(ledger: &mut Ledger, submission: &Value, signer: &Identity) -> Value {
    let id = ApplicationId::parse(submission["id"].as_str().expect("id")).expect("an id");
    let applicant =
        DidKey::parse(submission["applicant"].as_str().expect("applicant")).expect("a did:key");
    let record = ledger
        .application(id, &applicant)
        .expect("reads")
        .expect("anchored");
    let anchored = &Anchor {
        ledger: ledger.verifier().name().to_owned(),
        index: record.submission.index,
        time: record.submission.time,
    };
    let access = agora_ledger::entry::Access {
        kind: agora_ledger::entry::ACCESS_TYPE.to_owned(),
        id: ApplicationId::parse(submission["id"].as_str().expect("id")).expect("an id"),
        service: submission["service"].as_str().expect("service").to_owned(),
        application_sha256: submission["application_sha256"]
            .as_str()
            .expect("digest")
            .to_owned(),
        anchored: anchored.clone(),
        by: signer.did(),
        purpose: agora_ledger::entry::Purpose::AutomaticReview,
        at: agora_services::time_format::to_utc_second(OffsetDateTime::now_utc()),
        delegation: None,
    };
    signer
        .sign(&access.to_json(), &ProofOptions::assertion())
        .expect("signs")
}

/// [`decision`] naming `anchored`, or no anchor.
fn unanchored_decision(
    catalog: &Catalog,
    submission: &Value,
    outcome: Outcome,
    signer: &Identity,
    anchored: Option<Anchor>,
) -> Value {
    let service = catalog
        .service(submission["service"].as_str().expect("service"))
        .expect("a known service");
    let id = ApplicationId::parse(submission["id"].as_str().expect("id")).expect("an id");
    let verdict = Verdict {
        outcome,
        reasons: Vec::new(),
        policy: service.policy.reference(),
        problems: Vec::new(),
    };
    let digest = submission["application_sha256"].as_str().expect("digest");
    let decision = match anchored {
        Some(anchored) => Decision::anchored(
            anchored,
            id,
            digest.to_owned(),
            &service.id,
            &verdict,
            signer.did(),
            OffsetDateTime::now_utc(),
        ),
        None => Decision::new(
            id,
            digest.to_owned(),
            &service.id,
            &verdict,
            signer.did(),
            OffsetDateTime::now_utc(),
        ),
    };
    sign(signer, &decision.to_json())
}

/// Appends `entries` in one commit, now.
fn append(ledger: &mut Ledger, entries: &[Value]) -> Vec<Result<Appended, Refusal>> {
    ledger
        .append(entries, SystemTime::now())
        .expect("the store works")
}

fn landed(result: &Result<Appended, Refusal>) -> Appended {
    match result {
        Ok(appended) if !appended.already => *appended,
        other => panic!("the entry did not land as new: {other:?}"),
    }
}

/// A store holding three submissions and a decision, appended in two commits.
fn filled(dir: &Path) -> (Ledger, Vec<Value>) {
    let catalog = catalog();
    let citizen = Citizen::new();
    let mut ledger = open(dir);
    let submissions: Vec<Value> = (0..3).map(|_| citizen.submission(SERVICE)).collect();
    for result in append(&mut ledger, &submissions) {
        landed(&result);
    }
    let department = department_key(&catalog, SERVICE);
    // The desk records that it opened the application, then its decision.
    let access = opened(&mut ledger, &submissions[0], &department);
    landed(&append(&mut ledger, std::slice::from_ref(&access))[0]);
    let decided = decision(&mut ledger, &submissions[0], Outcome::Approve, &department);
    landed(&append(&mut ledger, std::slice::from_ref(&decided))[0]);
    let mut entries = submissions;
    entries.push(access);
    entries.push(decided);
    (ledger, entries)
}

#[test]
fn a_reopened_store_holds_the_same_entries_under_the_same_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ledger, entries) = filled(dir.path());
    let checkpoint = ledger.checkpoint().expect("reads").expect("a checkpoint");
    assert_eq!(checkpoint.checkpoint.size, 5);
    let stored = ledger.entries_since(0, 100).expect("reads");

    // Positions beyond any ledger read nothing (they once wrapped round to "everything").
    assert!(
        ledger
            .entries_since(u64::MAX, usize::MAX)
            .expect("reads")
            .is_empty()
    );
    assert!(ledger.entries_since(1 << 63, 10).expect("reads").is_empty());
    drop(ledger);

    let mut reopened = open(dir.path());
    assert_eq!(reopened.size().expect("reads"), 5);
    assert_eq!(
        reopened.checkpoint().expect("reads"),
        Some(checkpoint),
        "the newest signed checkpoint changed across a reopen"
    );
    assert_eq!(reopened.entries_since(0, 100).expect("reads"), stored);
    let kept: Vec<&Value> = stored.iter().map(|stored| &stored.entry).collect();
    assert_eq!(kept, entries.iter().collect::<Vec<_>>());
    let report = reopened.audit().expect("the audit passes");
    assert_eq!(
        (
            report.entries,
            report.submissions,
            report.accesses,
            report.decisions
        ),
        (5, 3, 1, 1)
    );
    assert_eq!(report.checkpoints, 3, "one checkpoint per commit");
}

#[test]
fn inclusion_proofs_verify_against_the_signed_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ledger, _) = filled(dir.path());
    let stored = ledger.entries_since(0, 100).expect("reads");
    let indices: Vec<u64> = stored.iter().map(|entry| entry.index).collect();
    let (signed, proofs) = ledger.prove(&indices).expect("proves");
    let checkpoint =
        Checkpoint::open(&signed.note, ledger.verifier()).expect("the checkpoint verifies");
    assert_eq!(checkpoint, signed.checkpoint);
    // Checked with ct-merkle's own RFC 6962 tree over the leaf records themselves, as any
    // tlog tool would: the leaf hash is SHA-256(0x00 ‖ record), not of the record's digest.
    let root = RootHash::<Sha256>::new(checkpoint.root.into(), checkpoint.size);
    let leaves: Vec<Vec<u8>> = stored
        .iter()
        .map(|entry| entry.leaf_bytes().expect("canonical"))
        .collect();
    let proofs: Vec<InclusionProof<Sha256>> = proofs
        .iter()
        .map(|hashes| InclusionProof::from_bytes(hashes.concat()))
        .collect();
    for ((entry, leaf), proof) in stored.iter().zip(&leaves).zip(&proofs) {
        root.verify_inclusion(leaf, entry.index, proof)
            .unwrap_or_else(|_| panic!("entry {}'s proof does not verify", entry.index));
        // The proof is for that leaf at that place, not for any other.
        let elsewhere = (entry.index + 1) % checkpoint.size;
        assert!(root.verify_inclusion(leaf, elsewhere, proof).is_err());
        let other = &leaves[usize::try_from(elsewhere).expect("small")];
        assert!(root.verify_inclusion(other, entry.index, proof).is_err());
    }
    // A checkpoint is the ledger's own: another ledger's key does not open it.
    let other = tempfile::tempdir().expect("tempdir");
    assert!(Checkpoint::open(&signed.note, open(other.path()).verifier()).is_err());
    assert!(ledger.prove(&[checkpoint.size]).is_err());
}

#[test]
fn each_broken_rule_is_refused_with_its_own_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = catalog();
    let citizen = Citizen::new();
    let department = department_key(&catalog, SERVICE);
    let mut ledger = open(dir.path());
    let first = citizen.submission(SERVICE);
    let decided = citizen.submission(SERVICE);
    for result in append(&mut ledger, &[first.clone(), decided.clone()]) {
        landed(&result);
    }
    let access = opened(&mut ledger, &decided, &department);
    landed(&append(&mut ledger, &[access])[0]);
    let rejection = decision(&mut ledger, &decided, Outcome::Reject, &department);
    landed(&append(&mut ledger, &[rejection])[0]);
    let first_id = ApplicationId::parse(first["id"].as_str().expect("id")).expect("id");
    let first_digest = first["application_sha256"].as_str().expect("digest");
    let decided_id = decided["id"].as_str().expect("id").to_owned();
    let unheld = citizen.submission(SERVICE);
    let mut changed = citizen.submission(SERVICE);
    changed["service"] = json!("noise-complaint");
    let mut other_digest = decision(&mut ledger, &first, Outcome::Approve, &department);
    other_digest["credentialSubject"]["application_sha256"] =
        json!(digest_of(ApplicationId::random().expect("randomness")));
    let other_digest = sign(
        &department,
        &without_proof(&other_digest), // re-signed, so only the digest is wrong
    );

    // A decision must say where the application was anchored, and say it truly: one replayed
    // from another ledger, or naming another leaf or time, is refused.
    let record = ledger
        .application(first_id, &citizen.0.did())
        .expect("reads")
        .expect("held");
    let anchored = Anchor {
        ledger: ledger.verifier().name().to_owned(),
        index: record.submission.index,
        time: record.submission.time,
    };
    let where_ = format!(
        "it must say where the application was anchored: on `{}` at leaf {}, {}",
        anchored.ledger,
        anchored.index,
        agora_services::time_format::format_utc(anchored.time)
    );
    let misplaced = |anchor: Option<Anchor>| {
        unanchored_decision(&catalog, &first, Outcome::Approve, &department, anchor)
    };
    let misplacements = [
        ("a decision that does not say where", misplaced(None)),
        (
            "a decision from another ledger",
            misplaced(Some(Anchor {
                ledger: "city.example/ledger".to_owned(),
                ..anchored.clone()
            })),
        ),
        (
            "a decision naming another leaf",
            misplaced(Some(Anchor {
                index: anchored.index + 1,
                ..anchored.clone()
            })),
        ),
        (
            "a decision naming an earlier time",
            misplaced(Some(Anchor {
                time: anchored.time - time::Duration::days(30),
                ..anchored.clone()
            })),
        ),
    ];

    let mut cases: Vec<(&str, Value, Refusal)> = vec![
        (
            "a decision by someone the ledger has not seen open it",
            decision(&mut ledger, &first, Outcome::Approve, &department),
            Refusal::NotOpened {
                id: first_id.to_string(),
                by: department.did().to_string(),
            },
        ),
        (
            "the same id, another application",
            citizen.submission_of(
                first_id,
                &digest_of(ApplicationId::random().expect("randomness")),
                SERVICE,
            ),
            Refusal::DuplicateId(first_id.to_string()),
        ),
        (
            "another id, the same application",
            citizen.submission_of(
                ApplicationId::random().expect("randomness"),
                first_digest,
                SERVICE,
            ),
            Refusal::DuplicateDigest(first_digest.to_owned()),
        ),
        (
            "a service nobody offers",
            citizen.submission("no-such-service"),
            Refusal::UnknownService("no-such-service".to_owned()),
        ),
        (
            "a decision on an application the ledger does not hold",
            decision(&mut ledger, &unheld, Outcome::Approve, &department),
            Refusal::UnknownApplication(unheld["id"].as_str().expect("id").to_owned()),
        ),
        (
            "a second final decision",
            decision(&mut ledger, &decided, Outcome::Approve, &department),
            Refusal::AlreadyDecided(decided_id),
        ),
        (
            "a decision naming another digest",
            other_digest,
            Refusal::DecisionMismatch {
                id: first_id.to_string(),
                problem: "it names another application digest".to_owned(),
            },
        ),
    ];
    for (case, entry) in misplacements {
        cases.push((
            case,
            entry,
            Refusal::DecisionMismatch {
                id: first_id.to_string(),
                problem: where_.clone(),
            },
        ));
    }
    let before = ledger.size().expect("reads");
    let entries: Vec<Value> = cases.iter().map(|(_, entry, _)| entry.clone()).collect();
    let results = append(&mut ledger, &entries);
    for ((case, _, expected), result) in cases.iter().zip(&results) {
        assert_eq!(result, &Err(expected.clone()), "{case}");
    }
    assert_eq!(
        ledger.size().expect("reads"),
        before,
        "a refused entry landed"
    );

    // Refusals whose text names a key or a proof: the kind, and the reason in words.
    let by_citizen = decision(&mut ledger, &first, Outcome::Approve, &citizen.0);
    let results = append(&mut ledger, &[changed, by_citizen]);
    match &results[0] {
        Err(Refusal::BadSignature(reason)) => assert!(
            reason.contains("signature") || reason.contains("verif"),
            "{reason}"
        ),
        other => panic!("a submission changed after signing was not refused: {other:?}"),
    }
    match &results[1] {
        Err(Refusal::BadSignature(reason)) => assert!(
            reason.contains(&format!("the decision for `{SERVICE}` does not count"))
                && reason.contains("is not a key of the department `transport`"),
            "{reason}"
        ),
        other => panic!("a decision by a citizen was not refused: {other:?}"),
    }
    assert_eq!(
        ledger.size().expect("reads"),
        before,
        "a refused entry landed"
    );

    // A refusal is not a failure of the commit: the good entries beside it still land.
    let good = citizen.submission(SERVICE);
    let results = append(&mut ledger, &[citizen.submission("no-such-service"), good]);
    assert!(matches!(results[0], Err(Refusal::UnknownService(_))));
    assert_eq!(landed(&results[1]).index, before);
}

fn without_proof(signed: &Value) -> Value {
    let mut document = signed.clone();
    document.as_object_mut().expect("an object").remove("proof");
    document
}

/// Closing a service stops new submissions, and changes nothing about what was recorded while
/// it was open: the store reopens under the closed catalog and its audit passes.
#[test]
fn a_closed_service_takes_no_submissions_and_keeps_its_history() {
    let closed: Vec<(&str, String)> = EMBEDDED_SERVICES
        .iter()
        .map(|&(file, text)| {
            let text = if file == "parking-permit.json" {
                text.replacen("\"open\": true", "\"open\": false", 1)
            } else {
                text.to_owned()
            };
            (file, text)
        })
        .collect();
    let catalog = Catalog::from_sources(
        agora_services::catalog::EMBEDDED_DEPARTMENTS,
        closed.iter().map(|(file, text)| (*file, text.as_str())),
        [],
    )
    .expect("the catalog reads");
    assert!(!catalog.service(SERVICE).expect("service").open);
    let dir = tempfile::tempdir().expect("tempdir");
    let (ledger, _) = filled(dir.path());
    drop(ledger);
    let mut ledger = Ledger::open(dir.path(), catalog).expect("opens under the closed catalog");
    let report = ledger
        .audit()
        .expect("what was submitted while it was open still audits");
    assert_eq!(report.entries, 5);
    let results = append(&mut ledger, &[Citizen::new().submission(SERVICE)]);
    assert_eq!(results, [Err(Refusal::ClosedService(SERVICE.to_owned()))]);
}

#[test]
fn the_same_entry_sent_again_is_answered_with_where_it_already_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ledger, entries) = filled(dir.path());
    let stored = ledger.entries_since(0, 100).expect("reads");
    let checkpoint = ledger.checkpoint().expect("reads");
    // Each entry again, the submission twice in one commit.
    let mut again = entries.clone();
    again.push(entries[0].clone());
    let results = append(&mut ledger, &again);
    let mut expected: Vec<Result<Appended, Refusal>> = stored
        .iter()
        .map(|stored| {
            Ok(Appended {
                index: stored.index,
                time: stored.time,
                already: true,
            })
        })
        .collect();
    expected.push(expected[0].clone());
    assert_eq!(results, expected);
    assert_eq!(ledger.size().expect("reads"), 5);
    assert_eq!(
        ledger.checkpoint().expect("reads"),
        checkpoint,
        "nothing new, so no new checkpoint"
    );

    // A new entry twice in one commit lands once.
    let new = Citizen::new().submission(SERVICE);
    let results = append(&mut ledger, &[new.clone(), new]);
    let first = landed(&results[0]);
    assert_eq!(
        results[1],
        Ok(Appended {
            already: true,
            ..first
        })
    );
    assert_eq!(ledger.size().expect("reads"), 6);
}

#[test]
fn an_entry_checked_elsewhere_is_appended_with_the_same_leaf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = open(dir.path());
    let submission = Citizen::new().submission(SERVICE);
    let now = SystemTime::now();
    let verified = Verified::check(&submission, now).expect("verifies");
    // The leaf built from the checked entry's bytes is the one the receipts check.
    let time = OffsetDateTime::from(now);
    assert_eq!(
        verified.leaf_bytes(time),
        leaf_bytes(&submission, time).expect("canonical")
    );
    let appended = ledger
        .append_verified(std::slice::from_ref(&verified), now)
        .expect("the store works");
    landed(&appended[0]);
    let stored = ledger.entries_since(0, 1).expect("reads");
    assert_eq!(stored[0].entry, submission);
    ledger.audit().expect("the audit passes");

    // Its catalog is the store's: checked elsewhere does not mean the service is known here.
    let unknown = Verified::check(&Citizen::new().submission("no-such-service"), now)
        .expect("the signature alone verifies");
    assert_eq!(
        ledger.append_verified(&[unknown], now).expect("works"),
        [Err(Refusal::UnknownService("no-such-service".to_owned()))]
    );
}

#[test]
fn a_proof_that_expires_before_the_commit_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ledger = open(dir.path());
    let citizen = Citizen::new();
    let now = SystemTime::now();
    let unsigned = without_proof(&citizen.submission(SERVICE));
    let signed = citizen
        .0
        .sign(
            &unsigned,
            &ProofOptions::assertion()
                .created_at(now)
                .expires_at(now + Duration::from_secs(60)),
        )
        .expect("signs");
    let verified = Verified::check(&signed, now).expect("valid now");
    let later = now + Duration::from_secs(120);
    match &ledger.append_verified(&[verified], later).expect("works")[0] {
        Err(Refusal::BadSignature(reason)) => assert!(reason.contains("expired"), "{reason}"),
        other => panic!("an expired proof was appended: {other:?}"),
    }
    assert_eq!(ledger.size().expect("reads"), 0);
}

/// Turns the closed store in `dir` back into format 1, as Agora wrote it before its leaves
/// were RFC 6962's: each leaf the SHA-256 of the record's SHA-256, and checkpoints signed over
/// that tree.
fn make_format_1(dir: &Path) {
    let key = agora_identity::multikey::decode_secret(
        std::fs::read_to_string(dir.join(KEY_FILE))
            .expect("reads")
            .trim(),
    )
    .expect("the key reads");
    let origin = open(dir).verifier().name().to_owned();
    let conn = rusqlite::Connection::open(dir.join(STORE_FILE)).expect("opens");
    let rows: Vec<(i64, String, Vec<u8>)> = conn
        .prepare("SELECT idx, time, entry FROM entries ORDER BY idx")
        .expect("prepares")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("reads")
        .collect::<Result<_, _>>()
        .expect("reads");
    let mut tree = MemoryBackedTree::<Sha256, [u8; 32]>::new();
    conn.execute("DELETE FROM checkpoints", [])
        .expect("deletes");
    for (index, time, entry) in rows {
        let entry: Value = serde_json::from_slice(&entry).expect("JSON");
        let time = agora_services::time_format::parse_utc(&time).expect("a time");
        let digest: [u8; 32] = Sha256::digest(leaf_bytes(&entry, time).expect("canonical")).into();
        tree.push(digest);
        conn.execute(
            "UPDATE leaves SET hash = ?2 WHERE idx = ?1",
            rusqlite::params![index, agora_ledger::tree::leaf_hash(&digest).as_slice()],
        )
        .expect("updates");
        let checkpoint = Checkpoint {
            origin: origin.clone(),
            size: tree.len(),
            root: (*tree.root().as_bytes()).into(),
        };
        conn.execute(
            "INSERT INTO checkpoints (size, note) VALUES (?1, ?2)",
            rusqlite::params![tree.len() as i64, checkpoint.sign(&key).expect("signs")],
        )
        .expect("inserts");
    }
    conn.execute_batch(
        "DROP INDEX submissions_by_applicant_id;
         DROP INDEX submissions_by_applicant_digest;
         DROP INDEX decisions_by_submission;
         DROP INDEX entries_by_applicant;
         ALTER TABLE entries DROP COLUMN applicant;
         ALTER TABLE entries DROP COLUMN submission_idx;
         CREATE UNIQUE INDEX submissions_by_id ON entries(application_id) WHERE kind = 'submission';
         CREATE UNIQUE INDEX submissions_by_digest ON entries(application_sha256) WHERE kind = 'submission';
         CREATE INDEX decisions_by_id ON entries(application_id, idx) WHERE kind = 'decision';
         UPDATE meta SET value = '1' WHERE name = 'format';",
    )
    .expect("back to format 1");
}

#[test]
fn a_format_1_store_is_checked_and_migrated_to_rfc_6962_leaves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ledger, entries) = filled(dir.path());
    let before = ledger.verifier().clone();
    drop(ledger);
    make_format_1(dir.path());
    // A format 1 store whose entry was changed is refused, not signed afresh.
    let damaged = tempfile::tempdir().expect("tempdir");
    for file in [KEY_FILE, STORE_FILE] {
        std::fs::copy(dir.path().join(file), damaged.path().join(file)).expect("copies");
    }
    let conn = rusqlite::Connection::open(damaged.path().join(STORE_FILE)).expect("opens");
    conn.execute(
        "UPDATE entries SET time = '2020-01-01T00:00:00Z' WHERE idx = 1",
        [],
    )
    .expect("updates");
    drop(conn);
    match Ledger::open(damaged.path(), catalog()) {
        Err(StoreError::Corrupt { problem, .. }) => {
            assert!(problem.contains("entry 1"), "{problem}");
        }
        other => panic!("a changed format 1 store was migrated: {other:?}"),
    }

    let mut migrated = open(dir.path());
    assert_eq!(
        *migrated.verifier(),
        before,
        "the same ledger, the same key"
    );
    let stored = migrated.entries_since(0, 100).expect("reads");
    assert_eq!(
        stored.iter().map(|e| &e.entry).collect::<Vec<_>>(),
        entries.iter().collect::<Vec<_>>()
    );
    let report = migrated
        .audit()
        .expect("the migrated store passes its audit");
    assert_eq!((report.entries, report.checkpoints), (5, 1));
    // Its new checkpoint is over RFC 6962 leaves, and it takes new entries.
    let (signed, proofs) = migrated.prove(&[0]).expect("proves");
    let root = RootHash::<Sha256>::new(signed.checkpoint.root.into(), signed.checkpoint.size);
    root.verify_inclusion(
        &stored[0].leaf_bytes().expect("canonical"),
        0,
        &InclusionProof::from_bytes(proofs[0].concat()),
    )
    .expect("the migrated tree's proofs are RFC 6962's");
    landed(&append(&mut migrated, &[Citizen::new().submission(SERVICE)])[0]);
    // The decision made before is still tied to its submission: a second one is refused.
    let department = department_key(&catalog(), SERVICE);
    let again = decision(&mut migrated, &entries[0], Outcome::Reject, &department);
    assert_eq!(
        append(&mut migrated, &[again])[0],
        Err(Refusal::AlreadyDecided(
            entries[0]["id"].as_str().expect("id").to_owned()
        ))
    );
    drop(migrated);
    open(dir.path())
        .audit()
        .expect("and it reopens as format 2");
}

/// Opening must fail, or else the audit.
fn assert_detected(dir: &Path, what: &str) -> StoreError {
    match Ledger::open(dir, catalog()) {
        Err(error) => error,
        Ok(mut ledger) => match ledger.audit() {
            Err(error) => error,
            Ok(report) => panic!("a store with {what} opened and passed its audit: {report:?}"),
        },
    }
}

/// A closed store's file (the write-ahead log folded into it on close).
fn closed_store(dir: &Path) -> Vec<u8> {
    let (ledger, _) = filled(dir);
    drop(ledger);
    assert!(
        !dir.join(format!("{STORE_FILE}-wal")).exists()
            || std::fs::metadata(dir.join(format!("{STORE_FILE}-wal")))
                .expect("reads")
                .len()
                == 0,
        "the write-ahead log was not folded into the store on close"
    );
    std::fs::read(dir.join(STORE_FILE)).expect("reads")
}

/// A new ledger directory with `dir`'s key and `store` as its store file.
fn store_with(dir: &Path, store: &[u8]) -> tempfile::TempDir {
    let damaged = tempfile::tempdir().expect("tempdir");
    std::fs::copy(dir.join(KEY_FILE), damaged.path().join(KEY_FILE)).expect("copies");
    std::fs::write(damaged.path().join(STORE_FILE), store).expect("writes");
    damaged
}

#[test]
fn a_truncated_store_is_never_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = closed_store(dir.path());
    let mut cut = 1024;
    while cut < bytes.len() {
        let damaged = store_with(dir.path(), &bytes[..cut]);
        assert_detected(
            damaged.path(),
            &format!("{cut} of its {} bytes", bytes.len()),
        );
        cut += 1024;
    }
}

#[test]
fn a_changed_byte_in_an_entry_or_a_checkpoint_is_detected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = closed_store(dir.path());
    let mut ledger = open(dir.path());
    let entries = ledger.entries_since(0, 100).expect("reads");
    let note = ledger
        .checkpoint()
        .expect("reads")
        .expect("a checkpoint")
        .note;
    drop(ledger);
    // Inside an entry's stored JSON (the digest as the entry spells it, not the indexed
    // column), and inside the newest checkpoint's signed note.
    let digest = entries[1].entry["application_sha256"]
        .as_str()
        .expect("digest");
    let in_entry = format!("\"application_sha256\":\"{digest}\"");
    let root_line = note.lines().nth(2).expect("a root line");
    for (what, needle, offset) in [
        ("a changed entry", in_entry.as_str(), in_entry.len() - 2),
        ("a changed checkpoint", root_line, 3),
    ] {
        // Everywhere it stands: SQLite leaves stale copies of rows in unused space, which
        // are not data, so changing only the first copy could change nothing.
        let places = find_all(&bytes, needle.as_bytes());
        assert!(!places.is_empty(), "the store file does not hold {needle}");
        let mut changed = bytes.clone();
        for at in places {
            // Another character of the same kind, so the store still parses.
            let at = at + offset;
            changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
        }
        let damaged = store_with(dir.path(), &changed);
        let error = assert_detected(damaged.path(), what);
        assert!(
            matches!(error, StoreError::Corrupt { .. }),
            "{what} was not reported as damage: {error}"
        );
    }
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .map(|(at, _)| at)
        .collect()
}

#[cfg(unix)]
#[test]
fn a_store_and_its_write_ahead_log_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger_dir = dir.path().join("home").join("ledger");
    let mut ledger = open(&ledger_dir);
    landed(&append(&mut ledger, &[Citizen::new().submission(SERVICE)])[0]);
    // While the store is open its write-ahead log and shared memory exist: private too.
    for file in [
        STORE_FILE,
        KEY_FILE,
        "ledger.sqlite-wal",
        "ledger.sqlite-shm",
    ] {
        assert_eq!(mode(&ledger_dir.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&ledger_dir), 0o700);
    assert_eq!(mode(&dir.path().join("home")), 0o700);
    drop(ledger);

    // A store an earlier version left readable to others is made private when it opens.
    for path in [ledger_dir.join(STORE_FILE), ledger_dir.clone()] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let ledger = open(&ledger_dir);
    assert_eq!(mode(&ledger_dir.join(STORE_FILE)), 0o600);
    assert_eq!(mode(&ledger_dir), 0o700);
    drop(ledger);
}

#[test]
fn an_entry_whose_context_grew_after_signing_is_refused_so_the_ledger_keeps_what_was_signed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = catalog();
    let mut ledger = open(dir.path());
    let submission = Citizen::new().submission(SERVICE);
    landed(&append(&mut ledger, std::slice::from_ref(&submission))[0]);
    let department = department_key(&catalog, SERVICE);
    let mut relayed = decision(&mut ledger, &submission, Outcome::Approve, &department);
    // A relay adds a context: the proof still verifies under Data Integrity's prefix rule,
    // but the bytes a ledger would keep are no longer the ones signed.
    assert!(
        relayed["proof"].get("@context").is_some(),
        "a decision's proof carries its context"
    );
    relayed["@context"]
        .as_array_mut()
        .expect("a list of contexts")
        .push(json!("https://relay.example/context/v1"));
    match &append(&mut ledger, &[relayed])[0] {
        Err(Refusal::BadSignature(reason)) => {
            assert!(reason.contains("added after signing"), "{reason}");
        }
        other => panic!("an entry with a grown context was taken: {other:?}"),
    }
    assert_eq!(ledger.size().expect("reads"), 1);
}
