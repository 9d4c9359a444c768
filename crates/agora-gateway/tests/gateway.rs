//! The gateway end to end, against the embedded ledger in a temporary directory: prepare,
//! queue, deliver, decide at the desk, refresh, and verify receipts offline.

use std::path::Path;
use std::time::{Duration, SystemTime};

use agora_gateway::archive::{self, ARCHIVE_FILE};
use agora_gateway::desk::DESK_FILE;
use agora_gateway::receipt::{self, Part, TrustedLedgers};
use agora_gateway::{Archive, Desk, DeskKeys, Ledger, LedgerError, LocalLedger, State, prepare};
use agora_identity::Identity;
use agora_ledger::tree::{self, Tree};
use agora_ledger::{Checkpoint, Refusal, StoredEntry, VerifierKey};
use agora_services::{Catalog, Outcome, ValidAnswers, example_answers};
use serde_json::{Value, json};
use time::OffsetDateTime;

fn catalog() -> Catalog {
    Catalog::embedded().expect("the embedded catalog reads")
}

/// Parking-permit answers its policy approves today: the shipped example, moved to today.
fn parking_answers(catalog: &Catalog) -> ValidAnswers {
    let service = catalog.service("parking-permit").expect("parking-permit");
    let answers =
        example_answers(service, OffsetDateTime::now_utc().date()).expect("the example answers");
    service
        .form
        .validate(&answers)
        .expect("the answers are valid")
}

struct World {
    catalog: Catalog,
    ledger: LocalLedger,
    archive: Archive,
    desk: Desk,
    citizen: Identity,
}

fn world(dir: &Path) -> World {
    let catalog = catalog();
    World {
        ledger: LocalLedger::open(&dir.join("ledger"), catalog.clone()).expect("the ledger opens"),
        archive: Archive::open(&dir.join(ARCHIVE_FILE)).expect("the archive opens"),
        desk: Desk::open(
            catalog.clone(),
            DeskKeys::demo().expect("demo keys"),
            &dir.join(DESK_FILE),
        )
        .expect("the desk opens"),
        citizen: Identity::generate().expect("randomness"),
        catalog,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

impl World {
    /// The ledger keys a verifier on this device trusts: its own ledger's.
    fn trusted(&self) -> TrustedLedgers {
        TrustedLedgers::new([self.ledger.verifier().clone()])
    }

    /// Queues a parking-permit application and takes it through delivery, the desk and a
    /// refresh.
    async fn apply(&mut self) -> agora_gateway::Archived {
        let service = self.catalog.service("parking-permit").expect("service");
        let prepared = prepare(
            service,
            &parking_answers(&self.catalog),
            &self.citizen,
            SystemTime::now(),
        )
        .expect("prepares");
        self.archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        let delivery = archive::deliver(&self.archive, &self.ledger, SystemTime::now())
            .await
            .expect("delivers");
        assert_eq!(delivery.anchored, vec![prepared.id], "{delivery:?}");
        self.desk
            .run_once(&self.ledger)
            .await
            .expect("the desk runs");
        archive::refresh(
            &self.archive,
            &self.ledger,
            &self.catalog,
            SystemTime::now(),
        )
        .await
        .expect("refreshes");
        self.archive
            .get(prepared.id)
            .expect("reads")
            .expect("archived")
    }
}

#[test]
fn an_application_is_anchored_decided_and_its_receipt_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let mut world = world(dir.path());
        let first = world.apply().await;
        assert_eq!(first.state, State::Decided);
        assert_eq!(first.outcome(), Some(Outcome::Approve));
        let states: Vec<State> = first.events.iter().map(|e| e.state).collect();
        assert_eq!(states, [State::Queued, State::Anchored, State::Decided]);

        let receipt =
            serde_json::to_value(first.receipt.as_ref().expect("a receipt")).expect("json");
        let verified = receipt::verify(
            &receipt,
            &world.catalog,
            &world.trusted(),
            SystemTime::now(),
        )
        .expect("the receipt verifies");
        assert_eq!(verified.version, receipt::RECEIPT_VERSION);
        assert_eq!(verified.application.id, first.id);
        assert_eq!(verified.applicant, world.citizen.did());
        assert_eq!(verified.outcome(), Some(Outcome::Approve));
        assert!(matches!(
            &verified.ledger,
            receipt::VerifiedLedger::Embedded { key, .. } if key == world.ledger.verifier()
        ));

        // A second application within the policy's 90 days is refused, with the reason.
        let second = world.apply().await;
        assert_eq!(second.outcome(), Some(Outcome::Reject));
        let decision = &second
            .receipt
            .as_ref()
            .expect("receipt")
            .ledger
            .decision()
            .expect("decided");
        assert_eq!(
            decision["credentialSubject"]["reasons"][0]["key"],
            "parking-permit.quota"
        );
    });
}

#[test]
fn the_ledger_never_holds_the_answers_in_the_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let mut world = world(dir.path());
        world.apply().await;
    });
    let store = std::fs::read(dir.path().join("ledger").join("ledger.sqlite")).expect("store");
    let mut wal =
        std::fs::read(dir.path().join("ledger").join("ledger.sqlite-wal")).unwrap_or_default();
    wal.extend(store);
    for secret in [
        "粤B5K2M8".as_bytes(),
        "滨河路".as_bytes(),
        b"vehicle_length",
    ] {
        assert!(
            !wal.windows(secret.len()).any(|w| w == secret),
            "the ledger's files hold {:?}",
            String::from_utf8_lossy(secret)
        );
    }
}

#[test]
fn sending_the_same_submission_again_lands_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let world = world(dir.path());
        let service = world.catalog.service("parking-permit").expect("service");
        let prepared = prepare(
            service,
            &parking_answers(&world.catalog),
            &world.citizen,
            SystemTime::now(),
        )
        .expect("prepares");
        let first = world
            .ledger
            .append(prepared.submission.clone())
            .await
            .expect("lands");
        let again = world
            .ledger
            .append(prepared.submission.clone())
            .await
            .expect("answered");
        assert!(!first.already);
        assert!(again.already);
        assert_eq!(first.index, again.index);
        let entries = world.ledger.entries_since(0, 100).await.expect("reads");
        assert_eq!(entries.len(), 1);

        // The same application id under another submission is refused for good.
        let other = prepare(
            service,
            &parking_answers(&world.catalog),
            &world.citizen,
            SystemTime::now(),
        )
        .expect("prepares");
        let mut forged = other.submission.clone();
        forged["id"] = json!(prepared.id.to_string());
        match world.ledger.append(forged).await {
            Err(LedgerError::Rejected(Refusal::BadSignature(_))) => {}
            other => panic!("a changed submission was not refused for its signature: {other:?}"),
        }
    });
}

#[test]
fn a_dead_ledger_leaves_the_application_queued_and_retries_later() {
    #[derive(Debug)]
    struct Down;
    #[async_trait::async_trait]
    impl Ledger for Down {
        fn describe(&self) -> String {
            "a ledger that is down".to_owned()
        }
        fn origin(&self) -> String {
            "down.example/ledger".to_owned()
        }
        fn trusted(&self) -> TrustedLedgers {
            TrustedLedgers::default()
        }
        async fn append(&self, _: Value) -> Result<agora_ledger::Appended, LedgerError> {
            Err(LedgerError::Unavailable("connection refused".to_owned()))
        }
        async fn entries_since(&self, _: u64, _: usize) -> Result<Vec<StoredEntry>, LedgerError> {
            Err(LedgerError::Unavailable("connection refused".to_owned()))
        }
        async fn application(
            &self,
            _: agora_services::ApplicationId,
            _: agora_identity::DidKey,
        ) -> Result<Option<agora_ledger::ApplicationRecord>, LedgerError> {
            Err(LedgerError::Unavailable("connection refused".to_owned()))
        }
        async fn checkpoint(&self) -> Result<Option<agora_ledger::SignedCheckpoint>, LedgerError> {
            Err(LedgerError::Unavailable("connection refused".to_owned()))
        }
        async fn receipt(
            &self,
            _: agora_services::ApplicationId,
            _: Value,
        ) -> Result<Option<agora_gateway::Receipt>, LedgerError> {
            Err(LedgerError::Unavailable("connection refused".to_owned()))
        }
        async fn progress(
            &self,
            _: Option<&agora_gateway::backend::Seen>,
        ) -> Result<Option<agora_gateway::backend::Progress>, LedgerError> {
            Err(LedgerError::Unavailable("connection refused".to_owned()))
        }
    }

    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let world = world(dir.path());
        let service = world.catalog.service("parking-permit").expect("service");
        let prepared = prepare(
            service,
            &parking_answers(&world.catalog),
            &world.citizen,
            SystemTime::now(),
        )
        .expect("prepares");
        let now = SystemTime::now();
        world.archive.enqueue(&prepared, now).expect("queues");
        let delivery = archive::deliver(&world.archive, &Down, now)
            .await
            .expect("runs");
        assert_eq!(delivery.waiting.len(), 1);
        let archived = world
            .archive
            .get(prepared.id)
            .expect("reads")
            .expect("archived");
        assert_eq!(archived.state, State::Queued);
        assert!(
            archived
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("connection refused"))
        );
        // Not due again at once: the back-off holds it back.
        assert!(world.archive.due(now).expect("reads").is_empty());
        // Later, the real ledger takes it.
        let later = now + Duration::from_secs(10);
        let delivery = archive::deliver(&world.archive, &world.ledger, later)
            .await
            .expect("delivers");
        assert_eq!(delivery.anchored, vec![prepared.id]);
    });
}

#[test]
fn any_single_changed_byte_of_a_receipt_fails_verification() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (receipt, catalog, trusted) = runtime().block_on(async {
        let mut world = world(dir.path());
        let archived = world.apply().await;
        (
            serde_json::to_string(&archived.receipt.expect("receipt")).expect("json"),
            world.catalog.clone(),
            world.trusted(),
        )
    });
    let now = SystemTime::now();
    let parsed: Value = serde_json::from_str(&receipt).expect("json");
    receipt::verify(&parsed, &catalog, &trusted, now).expect("the untouched receipt verifies");
    let bytes = receipt.as_bytes();
    let mut changed_and_still_json = 0;
    for at in 0..bytes.len() {
        let mut forged = bytes.to_vec();
        forged[at] ^= 0x01;
        let Ok(text) = std::str::from_utf8(&forged) else {
            continue;
        };
        let Ok(value) = agora_identity::canonical::parse_strict(text) else {
            continue;
        };
        if value == parsed {
            // Only the spelling changed (an escape's case, say), not the receipt: nothing to catch.
            continue;
        }
        changed_and_still_json += 1;
        let result = receipt::verify(&value, &catalog, &trusted, now);
        assert!(
            result.is_err(),
            "a receipt with byte {at} changed ({:?}) verified",
            char::from(forged[at])
        );
    }
    assert!(
        changed_and_still_json > 1000,
        "only {changed_and_still_json} forgeries were tried"
    );
}

#[test]
fn receipt_failures_name_the_part_that_failed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (receipt, catalog, trusted) = runtime().block_on(async {
        let mut world = world(dir.path());
        let archived = world.apply().await;
        (
            serde_json::to_value(archived.receipt.expect("receipt")).expect("json"),
            world.catalog.clone(),
            world.trusted(),
        )
    });
    let now = SystemTime::now();
    let part = |mutate: &dyn Fn(&mut Value)| {
        let mut forged = receipt.clone();
        mutate(&mut forged);
        receipt::verify(&forged, &catalog, &trusted, now)
            .expect_err("forged")
            .part
    };
    assert_eq!(
        part(&|r| r["application"]["credentialSubject"]["answers"]["zone"] = json!("a")),
        Part::Application
    );
    assert_eq!(
        part(&|r| r["ledger"]["submission"]["index"] = json!(0u64.wrapping_add(7))),
        Part::SubmissionInclusion
    );
    assert_eq!(
        part(&|r| {
            let note = r["ledger"]["checkpoint"]
                .as_str()
                .expect("note")
                .replacen('\n', "x\n", 1);
            r["ledger"]["checkpoint"] = json!(note);
        }),
        Part::Checkpoint
    );
    assert_eq!(
        part(
            &|r| r["ledger"]["decision"]["entry"]["credentialSubject"]["outcome"] = json!("reject")
        ),
        Part::Decision
    );
    assert_eq!(
        part(&|r| r["ledger"]["decision"]["time"] = json!("2099-01-01T00:00:00Z")),
        Part::DecisionInclusion
    );
    assert_eq!(part(&|r| r["type"] = json!("Receipt")), Part::Receipt);
}

/// A genuine application and decision, with `forge` building the ledger part of a receipt
/// around them: a tree of the forger's own, signed with the forger's key, and that key
/// trusted (as if the forger had talked a verifier into pinning it). What must still fail is
/// the decision's anchoring.
struct Forgery {
    genuine: receipt::Receipt,
    catalog: Catalog,
    key: Identity,
    origin: String,
}

impl Forgery {
    fn new(dir: &Path) -> Self {
        let (genuine, catalog) = runtime().block_on(async {
            let mut world = world(dir);
            let archived = world.apply().await;
            (archived.receipt.expect("a receipt"), world.catalog.clone())
        });
        Self {
            genuine,
            catalog,
            key: Identity::generate().expect("randomness"),
            origin: "forger.example/ledger".to_owned(),
        }
    }

    fn verifier(&self) -> VerifierKey {
        VerifierKey::new(self.origin.clone(), self.key.signing_key().verifying_key())
            .expect("a key")
    }

    /// The genuine entries at leaves 0 and 1 of a private tree, with these times.
    fn receipt(&self, submitted: OffsetDateTime, decided: OffsetDateTime) -> Value {
        self.build(submitted, decided, receipt::RECEIPT_VERSION)
    }

    /// [`Forgery::receipt`] as a receipt of `version` (1: leaves hashed the old way).
    fn build(&self, submitted: OffsetDateTime, decided: OffsetDateTime, version: u32) -> Value {
        let ledger = embedded(&self.genuine);
        let decision = ledger.decision.as_ref().expect("decided");
        let entries = [
            (ledger.submission.entry.clone(), submitted),
            (decision.entry.clone(), decided),
        ];
        let mut tree = Tree::default();
        let stored: Vec<StoredEntry> = entries
            .into_iter()
            .enumerate()
            .map(|(index, (entry, time))| StoredEntry {
                index: index as u64,
                time,
                entry,
            })
            .collect();
        for entry in &stored {
            let record = entry.leaf_bytes().expect("canonical");
            tree.push(if version == receipt::RECEIPT_VERSION_1 {
                tree::legacy_leaf_hash(&record)
            } else {
                tree::leaf_hash(&record)
            });
        }
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size: tree.len(),
            root: tree.root(),
        };
        let mut forged = self.genuine.clone();
        forged.version = version;
        let proofs = [tree.prove_inclusion(0), tree.prove_inclusion(1)];
        let [submission, decision] = <[StoredEntry; 2]>::try_from(stored).expect("two");
        forged.ledger = receipt::LedgerProof::Embedded(receipt::EmbeddedProof {
            key: self.verifier().to_string(),
            checkpoint: checkpoint.sign(self.key.signing_key()).expect("signs"),
            submission: receipt::Inclusion::new(submission, &proofs[0]),
            decision: Some(receipt::Inclusion::new(decision, &proofs[1])),
        });
        serde_json::to_value(forged).expect("json")
    }
}

#[test]
fn a_receipt_from_a_ledger_the_verifier_does_not_trust_does_not_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (receipt, catalog, trusted) = runtime().block_on(async {
        let mut world = world(dir.path());
        let archived = world.apply().await;
        (
            serde_json::to_value(archived.receipt.expect("receipt")).expect("json"),
            world.catalog.clone(),
            world.trusted(),
        )
    });
    let now = SystemTime::now();
    receipt::verify(&receipt, &catalog, &trusted, now).expect("verifies where it is trusted");
    let error = receipt::verify(&receipt, &catalog, &TrustedLedgers::default(), now)
        .expect_err("a ledger nobody trusts");
    assert_eq!(error.part, Part::Ledger);
    assert!(
        error.problem.contains("--trust-ledger")
            && error.problem.contains(&trusted.keys()[0].to_string()),
        "{error}"
    );
    let other = LocalLedger::open(&dir.path().join("other"), catalog.clone()).expect("opens");
    let error = receipt::verify(
        &receipt,
        &catalog,
        &TrustedLedgers::new([other.verifier().clone()]),
        now,
    )
    .expect_err("another ledger's key");
    assert_eq!(error.part, Part::Ledger);
}

#[test]
fn a_genuine_decision_replayed_into_a_private_tree_does_not_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let forgery = Forgery::new(dir.path());
    let trusted = TrustedLedgers::new([forgery.verifier()]);
    let now = SystemTime::now();
    let genuine = embedded(&forgery.genuine);
    let decided = genuine.decision.as_ref().expect("decided").time;
    // Backdated by more than clocks may disagree, the submission's own proof gives it away (it
    // was made after the time the tree claims); within that, the decision's anchoring does.
    let month_ago = forgery.receipt(genuine.submission.time - time::Duration::days(30), decided);
    let error = receipt::verify(&month_ago, &forgery.catalog, &trusted, now)
        .expect_err("backdated a month");
    assert_eq!(error.part, Part::Submission, "{error}");
    assert!(error.problem.contains("in the future"), "{error}");
    for (case, submitted) in [
        (
            "backdated a minute",
            genuine.submission.time - time::Duration::minutes(1),
        ),
        ("at its true time", genuine.submission.time),
    ] {
        let forged = forgery.receipt(submitted, decided);
        let error = receipt::verify(&forged, &forgery.catalog, &trusted, now)
            .expect_err("a replayed decision");
        assert_eq!(error.part, Part::Decision, "{case}: {error}");
        assert!(
            error.problem.contains("forger.example/ledger"),
            "{case}: {error}"
        );
    }
    // The same private tree under the genuine ledger's name is still not where the decision
    // says its application was anchored.
    let named = Forgery {
        origin: genuine_origin(&forgery.genuine),
        ..forgery
    };
    let trusted = TrustedLedgers::new([named.verifier()]);
    let forged = named.receipt(
        embedded(&named.genuine).submission.time - time::Duration::minutes(1),
        decided,
    );
    let error = receipt::verify(&forged, &named.catalog, &trusted, now).expect_err("backdated");
    assert_eq!(error.part, Part::Decision, "{error}");
    assert!(error.problem.contains("leaf"), "{error}");
}

#[test]
fn a_version_1_receipt_with_its_older_leaf_hashes_still_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let forgery = Forgery::new(dir.path());
    // The genuine tree, rebuilt as a format 1 ledger would have: same name, the receipt's
    // leaves and times (a format 1 ledger held no access entry between them), leaves hashed
    // as SHA-256(0x00 ‖ SHA-256(record)).
    let rebuilt = Forgery {
        origin: genuine_origin(&forgery.genuine),
        ..forgery
    };
    let trusted = TrustedLedgers::new([rebuilt.verifier()]);
    let genuine = embedded(&rebuilt.genuine);
    assert_eq!(
        (
            genuine.submission.index,
            genuine.decision.as_ref().map(|d| d.index)
        ),
        (0, Some(2)),
        "the desk's access entry stands between them"
    );
    let (submitted, decided) = (
        genuine.submission.time,
        genuine.decision.as_ref().expect("decided").time,
    );
    let now = SystemTime::now();
    let v1 = rebuilt.build(submitted, decided, receipt::RECEIPT_VERSION_1);
    let verified = receipt::verify(&v1, &rebuilt.catalog, &trusted, now).expect("version 1 reads");
    assert_eq!(verified.version, receipt::RECEIPT_VERSION_1);
    assert_eq!(verified.outcome(), Some(Outcome::Approve));
    // Each version's leaves are its own: read as the other, neither verifies.
    let mut as_v2 = v1.clone();
    as_v2["version"] = json!(receipt::RECEIPT_VERSION);
    assert_eq!(
        receipt::verify(&as_v2, &rebuilt.catalog, &trusted, now)
            .expect_err("wrong leaves")
            .part,
        Part::SubmissionInclusion
    );
    let v2 = rebuilt.build(submitted, decided, receipt::RECEIPT_VERSION);
    receipt::verify(&v2, &rebuilt.catalog, &trusted, now).expect("version 2 reads");
    let mut as_v1 = v2;
    as_v1["version"] = json!(receipt::RECEIPT_VERSION_1);
    assert_eq!(
        receipt::verify(&as_v1, &rebuilt.catalog, &trusted, now)
            .expect_err("wrong leaves")
            .part,
        Part::SubmissionInclusion
    );
}

/// The embedded ledger's part of a receipt from it.
fn embedded(receipt: &receipt::Receipt) -> &receipt::EmbeddedProof {
    match &receipt.ledger {
        receipt::LedgerProof::Embedded(proof) => proof,
        other => panic!("not a receipt from the embedded ledger: {other:?}"),
    }
}

fn genuine_origin(receipt: &receipt::Receipt) -> String {
    VerifierKey::parse(&embedded(receipt).key)
        .expect("a key")
        .name()
        .to_owned()
}

#[test]
fn hostile_sizes_and_indices_in_a_receipt_are_refused_without_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let forgery = Forgery::new(dir.path());
    let trusted = TrustedLedgers::new([forgery.verifier()]);
    let now = SystemTime::now();
    let genuine = embedded(&forgery.genuine);
    let mut receipt = forgery.receipt(
        genuine.submission.time,
        genuine.decision.as_ref().expect("decided").time,
    );
    for (size, index) in [
        (u64::MAX, (1u64 << 63) + 1),
        ((1 << 63) + 2, (1 << 63) + 1),
        (1 << 62, (1 << 62) - 1),
        (2, u64::MAX),
    ] {
        let checkpoint = Checkpoint {
            origin: forgery.origin.clone(),
            size,
            root: [3; 32],
        };
        receipt["ledger"]["checkpoint"] =
            json!(checkpoint.sign(forgery.key.signing_key()).expect("signs"));
        receipt["ledger"]["submission"]["index"] = json!(index);
        let error =
            receipt::verify(&receipt, &forgery.catalog, &trusted, now).expect_err("a hostile tree");
        assert!(
            matches!(error.part, Part::Checkpoint | Part::SubmissionInclusion),
            "{size} {index}: {error}"
        );
    }
    receipt["ledger"]["submission"]["proof"] = json!(vec![
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        100_000
    ]);
    let error =
        receipt::verify(&receipt, &forgery.catalog, &trusted, now).expect_err("a long proof");
    assert_eq!(error.part, Part::SubmissionInclusion, "{error}");
}

#[test]
fn a_pending_submission_copied_under_another_key_neither_blocks_nor_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let mut world = world(dir.path());
        let service = world.catalog.service("parking-permit").expect("service");
        let prepared = prepare(
            service,
            &parking_answers(&world.catalog),
            &world.citizen,
            SystemTime::now(),
        )
        .expect("prepares");
        // Someone who sees the pending submission (on a shared ledger's queue, say) sends it
        // first under their own key: same id, same digest, same sealed answers.
        let mallory = Identity::generate().expect("randomness");
        let mut copy = prepared.submission.clone();
        copy.as_object_mut().expect("an object").remove("proof");
        copy["applicant"] = json!(mallory.did().to_string());
        let copy = mallory
            .sign(
                &copy,
                &agora_identity::proof::ProofOptions::assertion().created_at(SystemTime::now()),
            )
            .expect("signs");
        let landed = world.ledger.append(copy).await.expect("the copy lands");
        assert!(!landed.already);

        // The citizen's own submission still lands: ids and digests are unique per applicant.
        world
            .archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        let delivery = archive::deliver(&world.archive, &world.ledger, SystemTime::now())
            .await
            .expect("delivers");
        assert_eq!(delivery.anchored, vec![prepared.id], "{delivery:?}");

        // The desk cannot open the copy (the answers are bound to the citizen's DID) and
        // rejects it; the citizen's application is decided on its merits.
        world
            .desk
            .run_once(&world.ledger)
            .await
            .expect("the desk runs");
        let copied = world
            .ledger
            .application(prepared.id, mallory.did())
            .await
            .expect("reads")
            .expect("the copy is on the ledger");
        let outcome = |record: &agora_ledger::ApplicationRecord| {
            record.decisions.last().map(|d| {
                d.entry["credentialSubject"]["outcome"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
        };
        assert_eq!(outcome(&copied).as_deref(), Some("reject"));
        let reason = &copied.decisions[0].entry["credentialSubject"]["reasons"][0];
        assert_eq!(reason["key"], "review.unreadable", "{reason}");
        let own = world
            .ledger
            .application(prepared.id, world.citizen.did())
            .await
            .expect("reads")
            .expect("the citizen's is on the ledger");
        assert_eq!(outcome(&own).as_deref(), Some("approve"));
        archive::refresh(
            &world.archive,
            &world.ledger,
            &world.catalog,
            SystemTime::now(),
        )
        .await
        .expect("refreshes");
        let archived = world
            .archive
            .get(prepared.id)
            .expect("reads")
            .expect("archived");
        assert_eq!(archived.outcome(), Some(Outcome::Approve));
        receipt::verify(
            &serde_json::to_value(archived.receipt.expect("a receipt")).expect("json"),
            &world.catalog,
            &world.trusted(),
            SystemTime::now(),
        )
        .expect("the citizen's receipt verifies");
        // And it counts for the policy: a second permit within 90 days is refused, although
        // the copy was decided under the same id first.
        let second = world.apply().await;
        assert_eq!(second.outcome(), Some(Outcome::Reject));
    });
}

/// A city's own department keys: rotation and revocation.
#[path = "city/keys.rs"]
mod city_keys;

/// The EVM backend against a real node (anvil, from the pinned npm package).
#[cfg(feature = "evm")]
#[path = "evm/contract.rs"]
mod evm_contract;

/// The gateway's flow against the registry on a real node.
#[cfg(feature = "evm")]
#[path = "evm/ledger.rs"]
mod evm_ledger;

#[test]
fn the_archive_keeps_no_receipt_that_does_not_verify() {
    /// The embedded ledger, but the receipts it hands over claim another outcome.
    #[derive(Debug)]
    struct Lying(LocalLedger);
    #[async_trait::async_trait]
    impl Ledger for Lying {
        fn describe(&self) -> String {
            "a lying ledger".to_owned()
        }
        fn origin(&self) -> String {
            self.0.origin()
        }
        fn trusted(&self) -> TrustedLedgers {
            self.0.trusted()
        }
        async fn append(&self, entry: Value) -> Result<agora_ledger::Appended, LedgerError> {
            self.0.append(entry).await
        }
        async fn entries_since(
            &self,
            from: u64,
            n: usize,
        ) -> Result<Vec<StoredEntry>, LedgerError> {
            self.0.entries_since(from, n).await
        }
        async fn application(
            &self,
            id: agora_services::ApplicationId,
            applicant: agora_identity::DidKey,
        ) -> Result<Option<agora_ledger::ApplicationRecord>, LedgerError> {
            self.0.application(id, applicant).await
        }
        async fn checkpoint(&self) -> Result<Option<agora_ledger::SignedCheckpoint>, LedgerError> {
            self.0.checkpoint().await
        }
        async fn receipt(
            &self,
            id: agora_services::ApplicationId,
            application: Value,
        ) -> Result<Option<agora_gateway::Receipt>, LedgerError> {
            let mut receipt = self.0.receipt(id, application).await?;
            if let Some(receipt::LedgerProof::Embedded(proof)) =
                receipt.as_mut().map(|r| &mut r.ledger)
                && let Some(decision) = &mut proof.decision
            {
                decision.entry["credentialSubject"]["outcome"] = json!("approve");
            }
            Ok(receipt)
        }
        async fn progress(
            &self,
            held: Option<&agora_gateway::backend::Seen>,
        ) -> Result<Option<agora_gateway::backend::Progress>, LedgerError> {
            self.0.progress(held).await
        }
    }

    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let mut world = world(dir.path());
        // A first application, approved; the second within 90 days is rejected by the desk.
        assert_eq!(world.apply().await.outcome(), Some(Outcome::Approve));
        let service = world.catalog.service("parking-permit").expect("service");
        let prepared = prepare(
            service,
            &parking_answers(&world.catalog),
            &world.citizen,
            SystemTime::now(),
        )
        .expect("prepares");
        world
            .archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        archive::deliver(&world.archive, &world.ledger, SystemTime::now())
            .await
            .expect("delivers");
        world
            .desk
            .run_once(&world.ledger)
            .await
            .expect("the desk runs");
        let World {
            ledger,
            archive,
            catalog,
            ..
        } = world;
        let lying = Lying(ledger);
        archive::refresh(&archive, &lying, &catalog, SystemTime::now())
            .await
            .expect("refreshes");
        let archived = archive.get(prepared.id).expect("reads").expect("archived");
        // The rejection dressed up as an approval is not kept, and the citizen is told.
        assert_eq!(archived.state, State::Anchored);
        assert_eq!(archived.outcome(), None);
        let problem = archived.last_error.expect("a problem noted");
        assert!(problem.contains("does not verify"), "{problem}");
        // The honest ledger's receipt is kept.
        archive::refresh(&archive, &lying.0, &catalog, SystemTime::now())
            .await
            .expect("refreshes");
        let archived = archive.get(prepared.id).expect("reads").expect("archived");
        assert_eq!(archived.outcome(), Some(Outcome::Reject));
    });
}

/// The submission's sealed plaintext, opened with the demo keys of `service`'s department.
fn opened(catalog: &Catalog, submission: &Value) -> Vec<u8> {
    let service = catalog
        .service(submission["service"].as_str().expect("a service"))
        .expect("the service");
    let keys = DeskKeys::demo().expect("demo keys");
    let keys = keys
        .iter()
        .find(|keys| keys.department == service.department.id)
        .expect("the department's keys");
    let sealed: agora_ledger::entry::Sealed =
        serde_json::from_value(submission["sealed"].clone()).expect("sealed");
    let aad = agora_gateway::seal::associated_data(
        submission["id"].as_str().expect("id"),
        &service.id,
        submission["application_sha256"].as_str().expect("digest"),
        submission["applicant"].as_str().expect("applicant"),
    );
    keys.opening.open(&sealed, &aad).expect("opens").to_vec()
}

#[test]
fn every_shipped_example_is_sealed_compactly_and_rebuilt_exactly() {
    use agora_gateway::plaintext::{self, Envelope};
    let catalog = catalog();
    let citizen = Identity::generate().expect("randomness");
    let today = OffsetDateTime::now_utc().date();
    let mut services = 0;
    for service in catalog.services() {
        let answers = example_answers(service, today).expect("the example answers");
        let answers = service.form.validate(&answers).expect("valid");
        let prepared = prepare(service, &answers, &citizen, SystemTime::now()).expect("prepares");
        let sealed = opened(&catalog, &prepared.submission);
        assert_eq!(sealed[0], plaintext::COMPACT, "{}", service.id);
        let json = agora_identity::canonical::canonicalize(&prepared.application).expect("jcs");
        assert!(
            sealed.len() * 2 < json.len(),
            "{}: compact {} bytes, JSON {}",
            service.id,
            sealed.len(),
            json.len()
        );
        let submission: agora_ledger::entry::Submission = {
            let mut unsigned = prepared.submission.clone();
            unsigned.as_object_mut().expect("object").remove("proof");
            serde_json::from_value(unsigned).expect("a submission")
        };
        let submitted = prepared.submission["proof"]["created"]
            .as_str()
            .expect("created");
        let rebuilt = plaintext::rebuild(&sealed, Envelope::of(&submission, submitted), service)
            .expect("rebuilds");
        assert_eq!(rebuilt, prepared.application, "{}", service.id);

        // The compact form names neither the questions nor the applicant's identity.
        for member in answers.as_json().keys() {
            assert!(
                !sealed.windows(member.len()).any(|w| w == member.as_bytes()),
                "{}: `{member}` is spelled out",
                service.id
            );
        }
        // A flipped byte anywhere in the signature or the answers is caught: by the digest
        // (the rebuilt document is not the one signed) or as malformed.
        for at in [1, 40, 64, sealed.len() - 1] {
            let mut changed = sealed.clone();
            changed[at] ^= 0x01;
            assert!(
                plaintext::rebuild(&changed, Envelope::of(&submission, submitted), service)
                    .is_err(),
                "{}: byte {at} changed still rebuilds",
                service.id
            );
        }
        services += 1;
    }
    assert_eq!(services, 5);
}

/// The embedded catalog's parking-permit service file, changed by `change`, as a catalog.
fn changed_parking_catalog(change: impl FnOnce(&mut Value)) -> Catalog {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/services/parking-permit.json");
    let mut file: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the service file"))
            .expect("JSON");
    change(&mut file);
    let text = serde_json::to_string(&file).expect("text");
    Catalog::from_sources(
        agora_services::catalog::EMBEDDED_DEPARTMENTS,
        [("parking-permit.json", text.as_str())],
        [],
    )
    .expect("the changed catalog reads")
}

#[test]
fn a_desk_whose_form_or_policy_differs_from_the_citizens_refers_the_application() {
    let cases: [(&str, Box<dyn FnOnce(&mut Value)>); 2] = [
        (
            "the form's questions in another order",
            Box::new(|file: &mut Value| file["fields"].as_array_mut().expect("fields").swap(0, 1)),
        ),
        (
            "a newer policy",
            Box::new(|file: &mut Value| file["policy"]["version"] = json!(2)),
        ),
    ];
    for (case, change) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let desk_catalog = changed_parking_catalog(change);
        runtime().block_on(async {
            let mut world = world(dir.path());
            world.desk = Desk::open(
                desk_catalog,
                DeskKeys::demo().expect("demo keys"),
                &dir.path().join("other-desk.sqlite"),
            )
            .expect("the desk opens");
            let archived = world.apply().await;
            assert_eq!(archived.outcome(), Some(Outcome::Refer), "{case}");
            let receipt = archived.receipt.as_ref().expect("a receipt");
            let decision = receipt.ledger.decision().expect("decided");
            assert_eq!(
                decision["credentialSubject"]["reasons"][0]["key"], "review.other-catalog",
                "{case}: {decision}"
            );
        });
    }
}

#[test]
fn an_application_sealed_as_json_by_an_earlier_version_is_still_decided() {
    use agora_gateway::seal::{associated_data, seal};
    use agora_identity::proof::ProofOptions;
    use agora_ledger::entry::{SUBMISSION_TYPE, Submission, digest_hex};
    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let mut world = world(dir.path());
        let service = world.catalog.service("parking-permit").expect("service");
        let prepared = prepare(
            service,
            &parking_answers(&world.catalog),
            &world.citizen,
            SystemTime::now(),
        )
        .expect("prepares");
        // The signed application sealed as its canonical JSON, as earlier versions did.
        let digest = digest_hex(&prepared.application).expect("digest");
        let json = agora_identity::canonical::canonicalize(&prepared.application).expect("jcs");
        let did = world.citizen.did();
        let sealed = seal(
            &json,
            &service.department.keys[0].encryption_key,
            &associated_data(
                &prepared.id.to_string(),
                &service.id,
                &digest,
                &did.to_string(),
            ),
        )
        .expect("seals");
        let submission = Submission {
            kind: SUBMISSION_TYPE.to_owned(),
            id: prepared.id,
            service: service.id.clone(),
            applicant: did,
            application_sha256: digest,
            sealed,
        };
        let submission = world
            .citizen
            .sign(
                &submission.to_json(),
                &ProofOptions::assertion().created_at(SystemTime::now()),
            )
            .expect("signs");
        assert_eq!(opened(&world.catalog, &submission)[0], b'{');
        let legacy = agora_gateway::Prepared {
            submission,
            ..prepared
        };
        world
            .archive
            .enqueue(&legacy, SystemTime::now())
            .expect("queues");
        archive::deliver(&world.archive, &world.ledger, SystemTime::now())
            .await
            .expect("delivers");
        world
            .desk
            .run_once(&world.ledger)
            .await
            .expect("the desk runs");
        archive::refresh(
            &world.archive,
            &world.ledger,
            &world.catalog,
            SystemTime::now(),
        )
        .await
        .expect("refreshes");
        let archived = world
            .archive
            .get(legacy.id)
            .expect("reads")
            .expect("archived");
        assert_eq!(archived.outcome(), Some(Outcome::Approve));
    });
}

#[test]
fn a_ledger_that_forks_or_rolls_back_is_recorded_with_both_states_and_never_taken_silently() {
    use agora_gateway::backend::Seen;
    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let mut world = world(dir.path());
        let first = world.apply().await;
        world.apply().await;
        // Growing is following: a consistency proof from 3 entries (submission, the desk's
        // access, decision) to 6 held.
        assert_eq!(world.archive.ledger_problems().expect("reads"), vec![]);
        let origin = world.ledger.origin();
        let held = world.archive.seen(&origin).expect("reads");
        assert!(
            matches!(&held, Some(Seen::Embedded { note }) if note.lines().nth(1) == Some("6")),
            "{held:?}"
        );

        // The same ledger key over another history of the same length: a fork.
        let fork_dir = dir.path().join("fork");
        std::fs::create_dir_all(&fork_dir).expect("a folder");
        std::fs::copy(
            dir.path().join("ledger").join(agora_ledger::store::KEY_FILE),
            fork_dir.join(agora_ledger::store::KEY_FILE),
        )
        .expect("copies the key");
        let fork = LocalLedger::open(&fork_dir, world.catalog.clone()).expect("opens");
        assert_eq!(fork.origin(), origin);
        let stranger = Identity::generate().expect("randomness");
        let service = world.catalog.service("parking-permit").expect("service");
        let append = async |count: usize| {
            for _ in 0..count {
                let prepared = prepare(
                    service,
                    &parking_answers(&world.catalog),
                    &stranger,
                    SystemTime::now(),
                )
                .expect("prepares");
                fork.append(prepared.submission).await.expect("appends");
            }
        };
        append(6).await;
        archive::refresh(&world.archive, &fork, &world.catalog, SystemTime::now())
            .await
            .expect("refreshes");
        let problems = world.archive.ledger_problems().expect("reads");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].problem.contains("it forked"), "{problems:?}");
        assert_eq!(problems[0].held, held, "the evidence keeps what was held");
        assert!(
            matches!(&problems[0].shown, Some(Seen::Embedded { note }) if note.lines().nth(1) == Some("6")),
            "{problems:?}"
        );
        // Shown on the citizen's applications too.
        let noted = world.archive.get(first.id).expect("reads").expect("archived");
        assert!(
            noted.last_error.as_deref().is_some_and(|e| e.contains("forked")),
            "{noted:?}"
        );

        // The fork is now what is held: growing from there raises nothing new ...
        append(1).await;
        archive::refresh(&world.archive, &fork, &world.catalog, SystemTime::now())
            .await
            .expect("refreshes");
        assert_eq!(world.archive.ledger_problems().expect("reads").len(), 1);

        // ... and the original, with fewer entries than the fork held, has rolled back.
        archive::refresh(&world.archive, &world.ledger, &world.catalog, SystemTime::now())
            .await
            .expect("refreshes");
        let problems = world.archive.ledger_problems().expect("reads");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[1]
                .problem
                .contains("it rolled back: it holds 6 entries, and this device saw 7"),
            "{problems:?}"
        );
    });
}

#[test]
fn a_chain_that_no_longer_holds_the_block_seen_is_a_divergence() {
    use agora_gateway::archive::{Divergence, follow};
    use agora_gateway::backend::{Progress, Seen};
    let held = Seen::Evm {
        block: 7,
        hash: format!("0x{}", "aa".repeat(32)),
    };
    let progress = |at_held: Option<String>| Progress::Evm {
        block: 9,
        hash: format!("0x{}", "bb".repeat(32)),
        at_held,
    };
    let trusted = TrustedLedgers::default();
    assert_eq!(
        follow(
            Some(&held),
            &progress(Some(format!("0x{}", "aa".repeat(32)))),
            &trusted
        ),
        Ok(())
    );
    assert_eq!(follow(None, &progress(None), &trusted), Ok(()));
    for at_held in [Some(format!("0x{}", "cc".repeat(32))), None] {
        let diverged = follow(Some(&held), &progress(at_held), &trusted);
        assert!(
            matches!(&diverged, Err(Divergence::Diverged(problem)) if problem.contains("no longer holds block 7")),
            "{diverged:?}"
        );
    }
}

#[test]
fn a_backlog_is_delivered_with_its_appends_in_flight_together() {
    /// A ledger whose appends each wait until `n` of them are in flight: delivered one after
    /// another, the first would wait for ever.
    struct Together(LocalLedger, tokio::sync::Barrier);
    impl std::fmt::Debug for Together {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Together")
        }
    }
    #[async_trait::async_trait]
    impl Ledger for Together {
        fn describe(&self) -> String {
            self.0.describe()
        }
        fn origin(&self) -> String {
            self.0.origin()
        }
        fn trusted(&self) -> TrustedLedgers {
            self.0.trusted()
        }
        async fn append(&self, entry: Value) -> Result<agora_ledger::Appended, LedgerError> {
            self.1.wait().await;
            self.0.append(entry).await
        }
        async fn entries_since(
            &self,
            from: u64,
            n: usize,
        ) -> Result<Vec<StoredEntry>, LedgerError> {
            self.0.entries_since(from, n).await
        }
        async fn application(
            &self,
            id: agora_services::ApplicationId,
            applicant: agora_identity::DidKey,
        ) -> Result<Option<agora_ledger::ApplicationRecord>, LedgerError> {
            self.0.application(id, applicant).await
        }
        async fn checkpoint(&self) -> Result<Option<agora_ledger::SignedCheckpoint>, LedgerError> {
            self.0.checkpoint().await
        }
        async fn receipt(
            &self,
            id: agora_services::ApplicationId,
            application: Value,
        ) -> Result<Option<agora_gateway::Receipt>, LedgerError> {
            self.0.receipt(id, application).await
        }
        async fn progress(
            &self,
            held: Option<&agora_gateway::backend::Seen>,
        ) -> Result<Option<agora_gateway::backend::Progress>, LedgerError> {
            self.0.progress(held).await
        }
    }

    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let world = world(dir.path());
        let service = world.catalog.service("parking-permit").expect("service");
        let mut queued = Vec::new();
        for _ in 0..5 {
            let citizen = Identity::generate().expect("randomness");
            let prepared = prepare(
                service,
                &parking_answers(&world.catalog),
                &citizen,
                SystemTime::now(),
            )
            .expect("prepares");
            world
                .archive
                .enqueue(&prepared, SystemTime::now())
                .expect("queues");
            queued.push(prepared.id);
        }
        let together = Together(world.ledger, tokio::sync::Barrier::new(queued.len()));
        // The bound is for a hang (appends sent one at a time), not for speed.
        let delivery = tokio::time::timeout(
            Duration::from_secs(120),
            archive::deliver(&world.archive, &together, SystemTime::now()),
        )
        .await
        .expect("the appends were in flight together")
        .expect("delivers");
        let mut anchored = delivery.anchored.clone();
        anchored.sort();
        queued.sort();
        assert_eq!(anchored, queued, "{delivery:?}");
    });
}

#[test]
fn a_compact_receipt_verifies_without_the_answers_and_a_changed_one_does_not() {
    use agora_gateway::compact;
    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let mut world = world(dir.path());
        let archived = world.apply().await;
        let receipt = archived.receipt.as_ref().expect("a receipt");
        let code = compact::encode(receipt);
        assert!(code.starts_with(compact::PREFIX));
        assert!(
            code.len() < 3_391,
            "a code of {} characters does not fit a QR code (alphanumeric, error correction M)",
            code.len()
        );
        // Only QR alphanumeric characters.
        assert!(
            code.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || " $%*+-./:".contains(c)),
            "{code}"
        );
        // No answers in it: the licence plate of the example is nowhere in the inflated code.
        let answers = archived.application["credentialSubject"]["answers"].to_string();
        assert!(answers.len() > 10);
        let verified = compact::verify(&code, &world.catalog, &world.trusted()).expect("verifies");
        assert_eq!(verified.id, archived.id);
        assert_eq!(verified.service, "parking-permit");
        assert_eq!(verified.applicant, world.citizen.did());
        assert_eq!(
            verified.application_sha256,
            agora_ledger::entry::digest_hex(&archived.application).expect("digest")
        );
        assert_eq!(
            verified
                .decision
                .as_ref()
                .map(|d| d.credential_subject.outcome),
            Some(Outcome::Approve)
        );
        // An untrusted ledger proves nothing.
        let error = compact::verify(&code, &world.catalog, &TrustedLedgers::default())
            .expect_err("untrusted");
        assert_eq!(error.part, Part::Ledger);
        // A code whose decision was swapped for a rejection no longer verifies.
        let mut changed = receipt.clone();
        if let receipt::LedgerProof::Embedded(proof) = &mut changed.ledger {
            let decision = proof.decision.as_mut().expect("decided");
            decision.entry["credentialSubject"]["outcome"] = json!("reject");
        }
        let error = compact::verify(&compact::encode(&changed), &world.catalog, &world.trusted())
            .expect_err("a changed decision");
        assert_eq!(error.part, Part::Decision, "{error}");
        // One character changed in the text is named as a damaged code.
        let mut damaged: Vec<char> = code.chars().collect();
        let at = damaged.len() / 2;
        damaged[at] = if damaged[at] == 'A' { 'B' } else { 'A' };
        let damaged: String = damaged.into_iter().collect();
        assert!(compact::verify(&damaged, &world.catalog, &world.trusted()).is_err());
    });
}

#[test]
fn the_hall_outbox_delivers_once_and_keeps_nothing_once_delivered() {
    use agora_gateway::hall::{HallOutbox, OUTBOX_FILE};
    let dir = tempfile::tempdir().expect("tempdir");
    let world = world(dir.path());
    let path = dir.path().join("hall").join(OUTBOX_FILE);
    let service = world.catalog.service("parking-permit").expect("service");
    let prepared = prepare(
        service,
        &parking_answers(&world.catalog),
        &world.citizen,
        SystemTime::now(),
    )
    .expect("prepares");
    {
        let outbox = HallOutbox::open(&path).expect("opens");
        outbox
            .put(
                prepared.id,
                &prepared.service,
                &prepared.submission,
                SystemTime::now(),
            )
            .expect("keeps it");
        // The kiosk stops here (a crash): the outbox is opened again after a restart.
    }
    // While it waits, the file holds the submission (its id, to be delivered) but not the
    // answers: the plate is sealed to the department.
    let waiting = String::from_utf8_lossy(&std::fs::read(&path).expect("reads")).into_owned();
    assert!(waiting.contains(prepared.id.to_string().trim_start_matches("urn:uuid:")));
    assert!(!waiting.contains("5K2M8"), "the plate in the clear");
    let outbox = HallOutbox::open(&path).expect("opens again");
    assert_eq!(outbox.waiting().expect("reads"), vec![prepared.id]);
    runtime().block_on(async {
        // The visit's own archive delivered it once before the crash.
        world
            .ledger
            .append(prepared.submission.clone())
            .await
            .expect("anchored");
        let delivery = outbox
            .deliver(&world.ledger, SystemTime::now())
            .await
            .expect("delivers");
        assert_eq!(delivery.anchored, vec![prepared.id]);
        assert!(outbox.waiting().expect("reads").is_empty());
        let entries = world.ledger.entries_since(0, 100).await.expect("entries");
        assert_eq!(
            entries.len(),
            1,
            "one entry, however often it was handed over"
        );
    });
    drop(outbox);
    // Nothing of the delivered submission stays in the file: not its id, not its applicant.
    let bytes = std::fs::read(&path).expect("reads");
    let text = String::from_utf8_lossy(&bytes);
    let uuid = prepared.id.to_string();
    assert!(!text.contains(uuid.trim_start_matches("urn:uuid:")));
    assert!(!text.contains(&world.citizen.did().to_string()));
    assert!(!text.contains("parking-permit"));
}
