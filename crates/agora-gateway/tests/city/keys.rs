//! A city's own department, with keys made fresh for it: rotation and revocation.

use std::path::Path;
use std::time::{Duration, SystemTime};

use agora_gateway::archive::{self, ARCHIVE_FILE};
use agora_gateway::desk::DESK_FILE;
use agora_gateway::receipt::{self, TrustedLedgers};
use agora_gateway::{Archive, Archived, Desk, DeskKeys, Ledger, LedgerError, LocalLedger, prepare};
use agora_identity::Identity;
use agora_identity::proof::ProofOptions;
use agora_ledger::Refusal;
use agora_ledger::entry::{Entry, check_entry};
use agora_services::{Anchor, Catalog, Decision, Outcome, Verdict};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{parking_answers, runtime};

const SERVICE: &str = "parking-permit";

/// A catalog directory holding the shipped parking permit and a Transport Bureau whose keys
/// are `keys` (catalog entries, oldest first), as a city's operator writes it.
fn city_catalog(dir: &Path, keys: &[Value]) -> Catalog {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/services");
    std::fs::create_dir_all(dir.join("departments")).expect("mkdir");
    std::fs::copy(
        shipped.join("parking-permit.json"),
        dir.join("parking-permit.json"),
    )
    .expect("copy");
    let department = json!({
        "id": "transport",
        "name": {"en": "Transport Bureau", "zh-CN": "交通运输局"},
        "keys": keys,
    });
    std::fs::write(
        dir.join("departments/transport.json"),
        serde_json::to_string_pretty(&department).expect("JSON"),
    )
    .expect("write");
    let catalog = Catalog::load_dir(dir).unwrap_or_else(|report| panic!("{report}"));
    assert!(!catalog.uses_demo_keys());
    catalog
}

/// The next whole second at least `ahead` from now.
fn second_ahead(ahead: Duration) -> OffsetDateTime {
    let at = OffsetDateTime::now_utc() + ahead + Duration::from_secs(1);
    at.replace_nanosecond(0).expect("zero is a nanosecond")
}

/// Waits (a bounded while) until the clock has passed `at`.
fn wait_until(at: OffsetDateTime) {
    for _ in 0..100 {
        if OffsetDateTime::now_utc() >= at {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the clock did not reach {at} within 5 s");
}

struct City {
    catalog: Catalog,
    ledger: LocalLedger,
    archive: Archive,
    desk: Desk,
}

impl City {
    fn open(dir: &Path, catalog: Catalog, keys: Vec<DeskKeys>) -> Self {
        Self {
            ledger: LocalLedger::open(&dir.join("ledger"), catalog.clone()).expect("ledger"),
            archive: Archive::open(&dir.join(ARCHIVE_FILE)).expect("archive"),
            desk: Desk::open(catalog.clone(), keys, &dir.join(DESK_FILE)).expect("the desk opens"),
            catalog,
        }
    }

    /// A new citizen's parking permit, prepared under this catalog and queued.
    fn queue(&self) -> agora_gateway::Prepared {
        let service = self.catalog.service(SERVICE).expect("service");
        let citizen = Identity::generate().expect("randomness");
        let prepared = prepare(
            service,
            &parking_answers(&self.catalog),
            &citizen,
            SystemTime::now(),
        )
        .expect("prepares");
        self.archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        prepared
    }

    /// Delivers what is queued, lets the desk decide, refreshes receipts.
    async fn settle(&mut self) {
        archive::deliver(&self.archive, &self.ledger, SystemTime::now())
            .await
            .expect("delivers");
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
    }

    fn archived(&self, prepared: &agora_gateway::Prepared) -> Archived {
        self.archive
            .get(prepared.id)
            .expect("reads")
            .expect("archived")
    }

    /// Every receipt verifies offline against `catalog`.
    fn verify(&self, catalog: &Catalog, archived: &[&Archived]) {
        let trusted = TrustedLedgers::new([self.ledger.verifier().clone()]);
        for one in archived {
            let receipt =
                serde_json::to_value(one.receipt.as_ref().expect("a receipt")).expect("JSON");
            let verified = receipt::verify(&receipt, catalog, &trusted, SystemTime::now())
                .unwrap_or_else(|error| panic!("{}: {error}", one.id));
            assert_eq!(verified.outcome(), Some(Outcome::Approve), "{}", one.id);
        }
    }

    /// A decision on the newest undecided submission, signed by `key` and appended.
    async fn decide_by(&self, key: &Identity) -> Result<(), LedgerError> {
        let entries = self.ledger.entries_since(0, 1000).await.expect("reads");
        let decided: Vec<String> = entries
            .iter()
            .filter_map(|stored| {
                match check_entry(&stored.entry, &self.catalog, stored.time.into()) {
                    Ok(Entry::Decision(decision)) => {
                        Some(decision.credential_subject.id.to_string())
                    }
                    _ => None,
                }
            })
            .collect();
        let (stored, submission) = entries
            .iter()
            .rev()
            .find_map(|stored| {
                match check_entry(&stored.entry, &self.catalog, stored.time.into()) {
                    Ok(Entry::Submission(submission))
                        if !decided.contains(&submission.id.to_string()) =>
                    {
                        Some((stored, submission))
                    }
                    _ => None,
                }
            })
            .expect("an undecided submission");
        let service = self.catalog.service(SERVICE).expect("service");
        let verdict = Verdict {
            outcome: Outcome::Approve,
            reasons: Vec::new(),
            policy: service.policy.reference(),
            problems: Vec::new(),
        };
        let decision = Decision::anchored(
            Anchor {
                ledger: self.ledger.origin(),
                index: stored.index,
                time: stored.time,
            },
            submission.id,
            submission.application_sha256,
            SERVICE,
            &verdict,
            key.did(),
            OffsetDateTime::now_utc(),
        );
        let signed = key
            .sign(
                &decision.to_json(),
                &ProofOptions::assertion().created_at(SystemTime::now()),
            )
            .expect("signs");
        self.ledger.append(signed).await.map(|_| ())
    }
}

fn refusal(result: Result<(), LedgerError>) -> String {
    match result {
        Err(LedgerError::Rejected(Refusal::BadSignature(reason))) => reason,
        other => panic!("the decision was not refused for its key: {other:?}"),
    }
}

/// Done means: keys can be rotated without breaking a single receipt, and a compromised key
/// signs nothing that counts after its revocation.
#[test]
fn a_rotated_key_breaks_no_receipt_and_a_revoked_one_decides_nothing_more() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, first_file) = DeskKeys::generate("transport").expect("a key");
    let (second, second_file) = DeskKeys::generate("transport").expect("a key");
    let first_did = first.signing.did();
    let first_signer =
        Identity::from_secret_multikey(&first.signing.secret_multikey()).expect("the same key");
    let second_signer =
        Identity::from_secret_multikey(&second.signing.secret_multikey()).expect("the same key");
    let catalog_dir = dir.path().join("catalog");
    runtime().block_on(async {
        // The department's first key, valid since always.
        let before = city_catalog(&catalog_dir, &[first.catalog_entry(None)]);
        let mut city = City::open(dir.path(), before, vec![first]);
        let decided_before = city.queue();
        city.settle().await;
        // Sealed to the first key, delivered only after the rotation.
        let sealed_before = city.queue();
        let decided_before = city.archived(&decided_before);
        assert_eq!(decided_before.outcome(), Some(Outcome::Approve));

        // The rotation: the second key from the next second on; the first ends there.
        let rotated_at = second_ahead(Duration::ZERO);
        let first = DeskKeys::parse(&first_file, "first").expect("the first key file reads");
        let rotated = city_catalog(
            &catalog_dir,
            &[
                first.catalog_entry(None),
                second.catalog_entry(Some(rotated_at)),
            ],
        );
        drop(city);
        wait_until(rotated_at);
        let mut city = City::open(dir.path(), rotated.clone(), vec![first, second]);
        let decided_after = city.queue();
        city.settle().await;
        let sealed_before = city.archived(&sealed_before);
        let decided_after = city.archived(&decided_after);
        for archived in [&sealed_before, &decided_after] {
            let decision = archived
                .receipt
                .as_ref()
                .and_then(|r| r.ledger.decision())
                .expect("decided");
            assert_eq!(
                decision["issuer"],
                second_signer.did().to_string().as_str(),
                "signed with the key valid now"
            );
        }
        // Decisions before and after the rotation verify against the rotated catalog.
        city.verify(&rotated, &[&decided_before, &sealed_before, &decided_after]);

        // The first key's period is over: what it signs now is refused.
        city.queue();
        archive::deliver(&city.archive, &city.ledger, SystemTime::now())
            .await
            .expect("delivers");
        let expired = refusal(city.decide_by(&first_signer).await);
        assert!(
            expired.contains(&format!(
                "the key {first_did} of the department `transport` was valid until"
            )),
            "{expired}"
        );

        // The second key is compromised: revoked from the next second on.
        let revoked_at = second_ahead(Duration::ZERO);
        let mut revoked_entry = DeskKeys::parse(&second_file, "second")
            .expect("reads")
            .catalog_entry(Some(rotated_at));
        revoked_entry["revoked"] = json!({
            "from": agora_services::time_format::format_utc(revoked_at),
            "reason": "the desk's disk was stolen",
        });
        let revoked = city_catalog(
            &catalog_dir,
            &[
                DeskKeys::parse(&first_file, "first")
                    .expect("reads")
                    .catalog_entry(None),
                revoked_entry,
            ],
        );
        drop(city);
        wait_until(revoked_at);
        let city = City::open(
            dir.path(),
            revoked.clone(),
            vec![DeskKeys::parse(&second_file, "second").expect("reads")],
        );
        let stolen = refusal(city.decide_by(&second_signer).await);
        assert!(
            stolen.contains("is revoked from")
                && stolen.contains("because the desk's disk was stolen"),
            "{stolen}"
        );
        // What the second key decided before its revocation still verifies.
        city.verify(&revoked, &[&decided_before, &sealed_before, &decided_after]);
        // And the ledger's audit passes under the catalog as it is now.
        drop(city);
        let mut store = agora_ledger::Ledger::open(&dir.path().join("ledger"), revoked)
            .expect("the store opens");
        store
            .audit()
            .expect("the audit passes after rotation and revocation");
    });
}

/// The ledger itself takes an officer's decision only on a referred application, once, and
/// only under a delegation that verifies; the receipt and the audit check the chain.
#[test]
fn the_ledger_takes_an_officers_decision_only_on_a_referral_and_only_once() {
    use agora_gateway::desk::{OfficerDecision, Referred, decide_referred, referred};
    use agora_services::delegation::{Delegation, Officer};
    let dir = tempfile::tempdir().expect("tempdir");
    let (transport, _) = DeskKeys::generate("transport").expect("a key");
    let catalog = city_catalog(
        &dir.path().join("catalog"),
        &[transport.catalog_entry(None)],
    );
    let officer = Identity::generate().expect("randomness");
    let now = OffsetDateTime::now_utc();
    let delegation = transport
        .signing
        .sign(
            &Delegation::new(
                transport.signing.did(),
                Officer {
                    id: officer.did(),
                    name: "Li Wei".to_owned(),
                    department: "transport".to_owned(),
                    services: vec![SERVICE.to_owned()],
                },
                now - Duration::from_secs(60),
                now + Duration::from_secs(3600),
            )
            .to_json(),
            &ProofOptions::assertion().created_at(SystemTime::now()),
        )
        .expect("signs");
    runtime().block_on(async {
        let mut city = City::open(dir.path(), catalog.clone(), vec![transport]);
        // A company car: referred by the policy.
        let service = catalog.service(SERVICE).expect("service");
        let mut answers = agora_services::example_answers(service, now.date()).expect("answers");
        answers["vehicle_owner"] = "employer".into();
        let answers = service.form.validate(&answers).expect("valid");
        let citizen = Identity::generate().expect("randomness");
        let prepared = prepare(service, &answers, &citizen, SystemTime::now()).expect("prepares");
        city.archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        // Another application, delivered but not reviewed yet.
        let pending = city.queue();
        archive::deliver(&city.archive, &city.ledger, SystemTime::now())
            .await
            .expect("delivers");

        // Not referred (not even reviewed): the ledger refuses a decision by hand.
        let entries = city.ledger.entries_since(0, 100).await.expect("reads");
        let stored = entries
            .iter()
            .find(|e| e.entry["id"] == pending.id.to_string())
            .expect("the pending submission")
            .clone();
        let Ok(Entry::Submission(submission)) =
            check_entry(&stored.entry, &catalog, stored.time.into())
        else {
            panic!("a submission");
        };
        let policy = service.policy.reference();
        let pretend = Referred {
            stored,
            submission,
            referral: Decision::new(
                pending.id,
                String::new(),
                SERVICE,
                &Verdict {
                    outcome: Outcome::Refer,
                    reasons: Vec::new(),
                    policy,
                    problems: Vec::new(),
                },
                officer.did(),
                now,
            ),
        };
        let reason = || OfficerDecision {
            outcome: Outcome::Approve,
            reason: agora_gateway::desk::OfficerReason::Written(agora_services::Text::new(
                "Checked with the employer.",
                "已与雇主核实。",
            )),
        };
        match decide_referred(
            &city.ledger,
            &catalog,
            &pretend,
            &officer,
            &delegation,
            reason(),
        )
        .await
        {
            Err(agora_gateway::desk::DeskError::Ledger(LedgerError::Rejected(
                Refusal::NotReferred(id),
            ))) => assert_eq!(id, pending.id.to_string()),
            other => panic!("a decision by hand on an unreferred application: {other:?}"),
        }

        // The desk reviews both: one referred, one approved.
        city.settle().await;
        let waiting = referred(&city.ledger, &catalog).await.expect("reads");
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].submission.id, prepared.id);
        // A stranger's key under the officer's delegation is refused before anything is sent.
        let stranger = Identity::generate().expect("randomness");
        let refused = decide_referred(
            &city.ledger,
            &catalog,
            &waiting[0],
            &stranger,
            &delegation,
            reason(),
        )
        .await
        .expect_err("not the officer");
        assert!(
            refused.to_string().contains("but the delegation names"),
            "{refused}"
        );
        decide_referred(
            &city.ledger,
            &catalog,
            &waiting[0],
            &officer,
            &delegation,
            reason(),
        )
        .await
        .expect("the officer decides");
        // A second, different decision by hand (the same one again would only be answered
        // with where it already is).
        let otherwise = OfficerDecision {
            outcome: Outcome::Reject,
            reason: agora_gateway::desk::OfficerReason::Written(agora_services::Text::new(
                "On second thoughts, no.",
                "再考虑后，不予批准。",
            )),
        };
        match decide_referred(
            &city.ledger,
            &catalog,
            &waiting[0],
            &officer,
            &delegation,
            otherwise,
        )
        .await
        {
            Err(agora_gateway::desk::DeskError::Ledger(LedgerError::Rejected(
                Refusal::AlreadyDecided(_),
            ))) => {}
            other => panic!("a second decision by hand: {other:?}"),
        }
        assert!(
            referred(&city.ledger, &catalog)
                .await
                .expect("reads")
                .is_empty()
        );

        // The citizen's receipt carries the officer's decision and verifies offline.
        city.settle().await;
        let archived = city.archived(&prepared);
        assert_eq!(archived.outcome(), Some(Outcome::Approve));
        let decision = archived
            .receipt
            .as_ref()
            .and_then(|r| r.ledger.decision())
            .expect("decided");
        assert_eq!(decision["issuer"], officer.did().to_string().as_str());
        city.verify(&catalog, &[&archived]);
        drop(city);
        let mut store = agora_ledger::Ledger::open(&dir.path().join("ledger"), catalog)
            .expect("the store opens");
        store.audit().expect("the audit passes");
    });
}
