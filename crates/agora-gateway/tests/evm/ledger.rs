//! The gateway's flow against a registry on a real node (anvil): the citizen's outbox
//! delivers to the chain in batches, a department's desk decides from its own account, and
//! the ledger hands both of them what the chain holds.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, SystemTime};

use agora_gateway::archive::{self, ARCHIVE_FILE};
use agora_gateway::desk::DESK_FILE;
use agora_gateway::evm::alloy::primitives::{Address, B256, Bytes, U256, Uint};
use agora_gateway::evm::alloy::signers::local::PrivateKeySigner;
use agora_gateway::evm::alloy::sol_types::SolCall as _;
use agora_gateway::evm::anvil::{self, Anvil};
use agora_gateway::evm::contract::{AgoraRegistry, service_key};
use agora_gateway::evm::{self, EvmConfig, EvmLedger, Registry, chain};
use agora_gateway::receipt::{self, Part, TrustedLedgers};
use agora_gateway::{Archive, Desk, DeskKeys, Ledger, State, prepare};
use agora_identity::Identity;
use agora_services::{Catalog, Outcome};

use super::{catalog, parking_answers, runtime};

/// A node with the registry deployed and the catalog's services registered, each to its
/// department's own account.
struct Chain {
    node: Anvil,
    address: Address,
    deployed_at: u64,
    departments: HashMap<String, PrivateKeySigner>,
}

async fn funded(url: &str) -> PrivateKeySigner {
    let key = PrivateKeySigner::random();
    chain::anvil_set_balance(url, key.address(), U256::from(10u128.pow(21)))
        .await
        .expect("anvil_setBalance");
    key
}

async fn set_up(options: anvil::Options, catalog: &Catalog) -> Chain {
    let node = Anvil::start(options).expect("anvil starts");
    let admin = funded(&node.url()).await;
    let registry = Registry::deploy(&node.url(), Some(anvil::CHAIN_ID), admin, None)
        .await
        .expect("deploys");
    let deployed_at = registry.block_number().await.expect("block");
    let mut departments = HashMap::new();
    for service in catalog.services() {
        let department = departments
            .entry(service.department.id.clone())
            .or_insert(funded(&node.url()).await)
            .address();
        let policy = service.policy.reference().sha256;
        let policy: B256 = policy.parse().expect("a sha256");
        let call: Bytes = AgoraRegistry::registerServiceCall {
            service: service_key(&service.id),
            department,
            policy,
            opens: Uint::from(0u64),
            closes: Uint::from(0u64),
        }
        .abi_encode()
        .into();
        registry.transact(call).await.expect("registers");
    }
    Chain {
        address: registry.address(),
        node,
        deployed_at,
        departments,
    }
}

impl Chain {
    fn config(&self) -> EvmConfig {
        EvmConfig {
            deployed_at: self.deployed_at,
            confirmations: 0,
            batch_wait: Duration::from_millis(100),
            poll: Duration::from_millis(100),
            ..EvmConfig::new(self.node.url(), anvil::CHAIN_ID, self.address)
        }
    }

    async fn ledger(&self, catalog: &Catalog, account: PrivateKeySigner) -> EvmLedger {
        EvmLedger::new(self.config(), catalog.clone(), account)
    }
}

/// A parking-permit application by `citizen`, signed and sealed now.
fn parking(catalog: &Catalog, citizen: &Identity) -> agora_gateway::Prepared {
    let service = catalog.service("parking-permit").expect("service");
    prepare(
        service,
        &parking_answers(catalog),
        citizen,
        SystemTime::now(),
    )
    .expect("prepares")
}

fn desk(catalog: &Catalog, department: &str, dir: &Path) -> Desk {
    let keys = DeskKeys::demo()
        .expect("demo keys")
        .into_iter()
        .filter(|keys| keys.department == department)
        .collect();
    Desk::open(catalog.clone(), keys, &dir.join(DESK_FILE)).expect("the desk opens")
}

#[test]
fn a_citizen_s_application_is_anchored_on_the_chain_and_decided_by_its_department() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = catalog();
    runtime().block_on(async {
        let chain = set_up(anvil::Options::default(), &catalog).await;
        let citizen = Identity::generate().expect("identity");
        let ledger = chain
            .ledger(&catalog, funded(&chain.node.url()).await)
            .await;
        let archive = Archive::open(&dir.path().join(ARCHIVE_FILE)).expect("archive");
        let service = catalog.service("parking-permit").expect("service");
        let prepared = parking(&catalog, &citizen);
        archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        let delivery = archive::deliver(&archive, &ledger, SystemTime::now())
            .await
            .expect("delivers");
        assert_eq!(delivery.anchored, vec![prepared.id], "{delivery:?}");
        assert_eq!(
            archive
                .get(prepared.id)
                .expect("reads")
                .expect("archived")
                .state,
            State::Anchored
        );

        // The same submission again is answered with where it landed.
        let again = ledger
            .append(prepared.submission.clone())
            .await
            .expect("again");
        assert!(again.already);
        assert_eq!(again.index, 0);

        // The transport department's desk, with its own account and only its own keys.
        let department = &service.department.id;
        let desk_ledger = chain
            .ledger(&catalog, chain.departments[department].clone())
            .await;
        let mut desk = desk(&catalog, department, dir.path());
        let report = desk.run_once(&desk_ledger).await.expect("the desk runs");
        assert_eq!(report.decided.len(), 1, "{report:?}");
        assert_eq!(report.decided[0].1, Outcome::Approve);

        // Both see the decision on the chain, at the position after the submission.
        let record = ledger
            .application(prepared.id, citizen.did())
            .await
            .expect("reads")
            .expect("on the chain");
        assert_eq!(record.submission.index, 0);
        // The desk recorded that it opened it, then decided.
        assert_eq!(record.accesses.len(), 1);
        assert_eq!(record.accesses[0].index, 1);
        assert_eq!(record.accesses[0].entry["purpose"], "automatic-review");
        assert_eq!(record.decisions.len(), 1);
        assert_eq!(record.decisions[0].index, 2);
        assert_eq!(
            record.decisions[0].entry["credentialSubject"]["anchored"]["ledger"],
            ledger.origin()
        );
        // The citizen's archive fetches the receipt; it verifies offline against the pinned
        // registry, and not without it.
        archive::refresh(&archive, &ledger, &catalog, SystemTime::now())
            .await
            .expect("refreshes");
        let archived = archive.get(prepared.id).expect("reads").expect("archived");
        assert_eq!(archived.state, State::Decided);
        assert_eq!(archived.outcome(), Some(Outcome::Approve));
        let receipt =
            serde_json::to_value(archived.receipt.as_ref().expect("a receipt")).expect("json");
        assert_eq!(receipt["ledger"]["backend"], "evm");
        let mut trusted = TrustedLedgers::default();
        trusted.add_registry(&ledger.origin()).expect("a registry");
        let verified = receipt::verify(&receipt, &catalog, &trusted, SystemTime::now())
            .expect("the receipt verifies");
        assert_eq!(verified.outcome(), Some(Outcome::Approve));
        assert_eq!(verified.applicant, citizen.did());
        assert!(matches!(
            &verified.ledger,
            receipt::VerifiedLedger::Evm { origin, .. } if *origin == ledger.origin()
        ));
        let untrusted = receipt::verify(
            &receipt,
            &catalog,
            &TrustedLedgers::default(),
            SystemTime::now(),
        )
        .expect_err("an unpinned registry");
        assert_eq!(untrusted.part, Part::Ledger, "{untrusted}");
        assert!(
            untrusted.problem.contains("--trust-ledger eip155:"),
            "{untrusted}"
        );
        // A receipt moved to another position, or with another batch root, does not verify.
        let mut moved = receipt.clone();
        moved["ledger"]["submission"]["batch"]["leaf"] = 1.into();
        let error =
            receipt::verify(&moved, &catalog, &trusted, SystemTime::now()).expect_err("moved");
        assert_eq!(error.part, Part::SubmissionInclusion, "{error}");
        let mut rooted = receipt.clone();
        rooted["ledger"]["submission"]["batch"]["root"] = format!("0x{}", "ab".repeat(32)).into();
        let error = receipt::verify(&rooted, &catalog, &trusted, SystemTime::now())
            .expect_err("another root");
        assert_eq!(error.part, Part::SubmissionInclusion, "{error}");
        let mut elsewhere = receipt.clone();
        elsewhere["ledger"]["submission"]["index"] = 7.into();
        let error = receipt::verify(&elsewhere, &catalog, &trusted, SystemTime::now())
            .expect_err("another position");
        assert_eq!(error.part, Part::Decision, "{error}");

        // Against the chain: the batch and the decision are there, from this registry; asking
        // for more confirmations than the blocks have says "not final", and a receipt citing
        // another transaction or block does not hold.
        let receipt::LedgerProof::Evm(proof) = &archived.receipt.as_ref().expect("receipt").ledger
        else {
            panic!("an EVM receipt");
        };
        let confirmed = evm::verify::on_chain(proof, &chain.node.url(), 0)
            .await
            .expect("on the chain");
        assert_eq!(confirmed.decision_confirmations, Some(0));
        let early = evm::verify::on_chain(proof, &chain.node.url(), 3).await;
        assert!(matches!(early, Err(evm::verify::OnChainError::NotFinal(..))), "{early:?}");
        let mut swapped = proof.clone();
        if let Some(decision) = &mut swapped.decision {
            decision.transaction = proof.submission.transaction.clone();
        }
        let error = evm::verify::on_chain(&swapped, &chain.node.url(), 0).await;
        assert!(matches!(error, Err(evm::verify::OnChainError::Differs(_))), "{error:?}");
        let mut reblocked = proof.clone();
        reblocked.submission.block_hash = format!("0x{}", "11".repeat(32));
        let error = evm::verify::on_chain(&reblocked, &chain.node.url(), 0).await;
        assert!(
            matches!(&error, Err(evm::verify::OnChainError::Differs(problem)) if problem.contains("reorganised")),
            "{error:?}"
        );

        // Nothing is left for the desk, and a second run decides nothing twice.
        let report = desk.run_once(&desk_ledger).await.expect("the desk runs");
        assert!(report.decided.is_empty(), "{report:?}");

        // The audit rebuilds the batch, re-checks both entries, and finds nothing wrong; a
        // batch whose data does not rebuild its root is named.
        let audit = ledger.audit().await.expect("audits");
        assert_eq!(
            (
                audit.batches,
                audit.submissions,
                audit.accesses,
                audit.decisions,
                audit.positions
            ),
            (1, 1, 1, 1, 3),
            "{audit:?}"
        );
        assert!(audit.problems.is_empty(), "{audit:?}");
        let bogus: Bytes = AgoraRegistry::anchorCall {
            service: service_key("parking-permit"),
            root: B256::repeat_byte(0x42),
            count: 1,
            submissions: Bytes::from(evm::codec::encode(&prepared.submission).expect("encodes")),
        }
        .abi_encode()
        .into();
        ledger.registry().await.expect("connects").transact(bogus).await.expect("anchors");
        let audit = ledger.audit().await.expect("audits");
        assert_eq!(audit.problems.len(), 1, "{audit:?}");
        assert!(audit.problems[0].contains("do not rebuild its root"), "{audit:?}");

        // Another department's account cannot record a decision on this service.
        let wrong = chain
            .departments
            .iter()
            .find(|(id, _)| *id != department)
            .map(|(_, key)| key.clone())
            .expect("another department");
        let intruder = chain.ledger(&catalog, wrong).await;
        let decision = record.decisions[0].entry.clone();
        let refused = intruder.append(decision).await;
        assert!(refused.is_err(), "{refused:?}");
    });
}

#[test]
fn digests_only_puts_the_submissions_in_the_inbox_and_readers_wait_for_what_is_not_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("inbox");
    let catalog = catalog();
    runtime().block_on(async {
        let chain = set_up(anvil::Options::default(), &catalog).await;
        let digests_only = |account| {
            EvmLedger::new(
                EvmConfig {
                    inbox: Some(inbox.clone()),
                    ..chain.config()
                },
                catalog.clone(),
                account,
            )
        };
        let citizen = Identity::generate().expect("identity");
        let ledger = digests_only(funded(&chain.node.url()).await);
        let archive = Archive::open(&dir.path().join(ARCHIVE_FILE)).expect("archive");
        let prepared = parking(&catalog, &citizen);
        archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        let delivery = archive::deliver(&archive, &ledger, SystemTime::now())
            .await
            .expect("delivers");
        assert_eq!(delivery.anchored, vec![prepared.id], "{delivery:?}");

        // The chain holds the root alone; the submission is in the inbox, named by the root.
        let files: Vec<_> = std::fs::read_dir(&inbox)
            .expect("the inbox")
            .map(|entry| entry.expect("an entry").path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let batch = std::fs::read(&files[0]).expect("the batch file");
        assert_eq!(
            batch,
            evm::codec::encode(&prepared.submission).expect("encodes")
        );
        let root = B256::from(
            evm::batch::Batch::new(std::slice::from_ref(&prepared.submission))
                .expect("a batch")
                .root,
        );
        assert_eq!(files[0], evm::ledger::batch_file(&inbox, root));
        let audit = ledger.audit().await.expect("audits");
        assert_eq!(
            (
                audit.batches,
                audit.digests_only,
                audit.unread,
                audit.submissions
            ),
            (1, 1, 0, 1),
            "{audit:?}"
        );
        assert!(audit.problems.is_empty(), "{audit:?}");

        // A reader with no inbox sees the root and nothing it could check.
        let blind = chain.ledger(&catalog, PrivateKeySigner::random()).await;
        let audit = blind.audit().await.expect("audits");
        assert_eq!(
            (audit.digests_only, audit.unread, audit.submissions),
            (1, 1, 0),
            "{audit:?}"
        );

        // The department's desk reads the inbox, checks it against the root, and decides.
        let department = &catalog
            .service("parking-permit")
            .expect("service")
            .department
            .id;
        let mut desk = desk(&catalog, department, dir.path());
        let desk_ledger = digests_only(chain.departments[department].clone());
        let moved = dir.path().join("moved.batch");
        std::fs::rename(&files[0], &moved).expect("moves the file away");
        let waiting = desk
            .run_once(&desk_ledger)
            .await
            .expect_err("nothing to read yet");
        let waiting = waiting.to_string();
        assert!(
            waiting.contains("digests only") && waiting.contains(&files[0].display().to_string()),
            "{waiting}"
        );
        // A file that is not the batch the chain anchored is not taken for it.
        let mut forged = batch.clone();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        std::fs::write(&files[0], &forged).expect("writes");
        let refused = desk
            .run_once(&desk_ledger)
            .await
            .expect_err("a forged file");
        assert!(
            refused.to_string().contains("does not rebuild the root"),
            "{refused}"
        );
        std::fs::rename(&moved, &files[0]).expect("the file arrives");
        let report = desk.run_once(&desk_ledger).await.expect("the desk runs");
        assert_eq!(report.decided.len(), 1, "{report:?}");
        assert_eq!(report.decided[0].1, Outcome::Approve);

        // The citizen's receipt verifies as any other.
        archive::refresh(&archive, &ledger, &catalog, SystemTime::now())
            .await
            .expect("refreshes");
        let archived = archive.get(prepared.id).expect("reads").expect("archived");
        assert_eq!(archived.outcome(), Some(Outcome::Approve));
        let receipt =
            serde_json::to_value(archived.receipt.as_ref().expect("a receipt")).expect("json");
        let mut trusted = TrustedLedgers::default();
        trusted.add_registry(&ledger.origin()).expect("a registry");
        receipt::verify(&receipt, &catalog, &trusted, SystemTime::now())
            .expect("the receipt verifies");
        let receipt::LedgerProof::Evm(proof) = &archived.receipt.as_ref().expect("receipt").ledger
        else {
            panic!("an EVM receipt");
        };
        evm::verify::on_chain(proof, &chain.node.url(), 0)
            .await
            .expect("on the chain");
        let audit = desk_ledger.audit().await.expect("audits");
        assert!(audit.problems.is_empty(), "{audit:?}");
        assert_eq!((audit.submissions, audit.decisions), (1, 1), "{audit:?}");
    });
}

#[test]
fn many_submissions_at_once_share_batches_and_each_takes_one_position() {
    let catalog = catalog();
    runtime().block_on(async {
        let chain = set_up(anvil::Options::default(), &catalog).await;
        let ledger = chain
            .ledger(&catalog, funded(&chain.node.url()).await)
            .await;
        let submissions: Vec<_> = (0..60)
            .map(|_| {
                let citizen = Identity::generate().expect("identity");
                parking(&catalog, &citizen).submission
            })
            .collect();
        let appends = submissions.iter().map(|s| ledger.append(s.clone()));
        let results = futures::future::join_all(appends).await;
        let positions: BTreeSet<u64> = results
            .iter()
            .map(|r| r.as_ref().expect("anchored").index)
            .collect();
        assert_eq!(positions, (0..60).collect::<BTreeSet<u64>>());
        // Sixty positions taken, in far fewer blocks (one anchoring a block) than submissions.
        let taken = ledger
            .registry()
            .await
            .expect("connects")
            .contract()
            .entries()
            .call()
            .await
            .expect("entries");
        assert_eq!(taken, 60);
        let block = ledger
            .registry()
            .await
            .expect("connects")
            .block_number()
            .await
            .expect("block");
        assert!(
            block - chain.deployed_at <= 10,
            "60 submissions took {} blocks",
            block - chain.deployed_at
        );
        // Read back, each is there once, as signed.
        let entries = ledger.entries_since(0, 100).await.expect("reads");
        assert_eq!(entries.len(), 60);
        let read: BTreeSet<String> = entries.iter().map(|e| e.entry.to_string()).collect();
        let sent: BTreeSet<String> = submissions.iter().map(|s| s.to_string()).collect();
        assert_eq!(read, sent);
    });
}

#[test]
fn the_compact_form_gives_back_the_signed_submission_exactly_and_refuses_what_it_cannot_keep() {
    use agora_gateway::evm::codec::{self, CodecError, FIXED_LEN};
    let catalog = catalog();
    let citizen = Identity::generate().expect("identity");
    let submission = parking(&catalog, &citizen).submission;
    let bytes = codec::encode(&submission).expect("encodes");
    let (back, used) = codec::decode(&bytes, "parking-permit").expect("decodes");
    assert_eq!(back, submission);
    assert_eq!(used, bytes.len());
    let ciphertext = submission["sealed"]["ciphertext"].as_str().expect("text");
    assert_eq!(
        bytes.len(),
        FIXED_LEN + ciphertext.len() / 4 * 3 - ciphertext.matches('=').count()
    );
    let json = serde_json::to_vec(&submission).expect("json").len();
    println!(
        "a submission: {json} bytes of JSON, {} compact",
        bytes.len()
    );

    // A proof member the compact form does not keep is refused, not dropped.
    let mut extra = submission.clone();
    extra["proof"]["expires"] = "2030-01-01T00:00:00Z".into();
    assert!(matches!(
        codec::encode(&extra),
        Err(CodecError::NotCompact(_))
    ));
    let mut other_suite = submission.clone();
    other_suite["sealed"]["suite"] = "something else".into();
    assert!(matches!(
        codec::encode(&other_suite),
        Err(CodecError::NotCompact(_))
    ));

    // Every truncation, and a batch with bytes left over, is an error, never a panic.
    for cut in 0..bytes.len() {
        assert!(
            codec::decode(&bytes[..cut], "parking-permit").is_err(),
            "cut at {cut}"
        );
    }
    let mut two = bytes.clone();
    two.extend(&bytes);
    assert_eq!(
        codec::decode_batch(&two, "parking-permit", 2)
            .expect("two")
            .len(),
        2
    );
    assert!(matches!(
        codec::decode_batch(&two, "parking-permit", 1),
        Err(CodecError::Malformed(_))
    ));
    let mut version = bytes.clone();
    version[0] = 9;
    assert!(codec::decode(&version, "parking-permit").is_err());
}

#[test]
fn killing_the_node_mid_run_loses_nothing_and_anchors_nothing_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = catalog();
    runtime().block_on(async {
        let state = dir.path().join("anvil-state.json");
        let mut chain = set_up(
            anvil::Options {
                state: Some(state.clone()),
                ..anvil::Options::default()
            },
            &catalog,
        )
        .await;
        let submitter = funded(&chain.node.url()).await;
        // anvil saves its state every second. Keep a save made after the registry and the
        // funds, while nothing is on its way: the restart puts it back, so the node comes back
        // on older state than the kill (what a crash loses). A save taken while batches are
        // being mined is not used: once (CI, a busy machine) the node restarted on such a save
        // kept the batches' blocks, so every receipt still held, while its registry counted no
        // entry at all. anvil's periodic dump is not one consistent snapshot of the chain, and
        // no real chain comes back like that.
        let funded_at = SystemTime::now();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let snapshot = loop {
            let saved_after = std::fs::metadata(&state)
                .and_then(|m| m.modified())
                .is_ok_and(|saved| saved > funded_at);
            // A save can be caught half written: only a complete one is kept.
            if saved_after
                && let Ok(bytes) = std::fs::read(&state)
                && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok()
            {
                break bytes;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "anvil never saved its state"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let ledger = chain.ledger(&catalog, submitter).await;
        let archive = Archive::open(&dir.path().join(ARCHIVE_FILE)).expect("archive");
        let mut ids = Vec::new();
        for _ in 0..50 {
            let citizen = Identity::generate().expect("identity");
            let prepared = parking(&catalog, &citizen);
            archive
                .enqueue(&prepared, SystemTime::now())
                .expect("queues");
            ids.push(prepared.id);
        }

        // Deliver and refresh in passes until all are anchored and stay so; kill the node
        // with SIGKILL while the first batches are on their way, and start it again on the
        // save kept before the run.
        // Settled counts only once the node has been killed and restarted: on a busy machine
        // every application can be anchored before the kill, and the passes after the restart
        // are the ones that must find what the rolled-back chain lost.
        let restarted = std::cell::Cell::new(false);
        let deliveries = async {
            let mut settled = 0;
            for _ in 0..400 {
                let _ = archive::deliver(&archive, &ledger, SystemTime::now()).await;
                let _ = archive::refresh(&archive, &ledger, &catalog, SystemTime::now()).await;
                let anchored = archive
                    .list()
                    .expect("lists")
                    .iter()
                    .filter(|a| a.state == State::Anchored && a.receipt.is_some())
                    .count();
                settled = if anchored == ids.len() && restarted.get() {
                    settled + 1
                } else {
                    0
                };
                if settled == 3 {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            false
        };
        let chaos = async {
            // Once a few are anchored and the rest still on their way.
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            loop {
                let anchored = archive
                    .list()
                    .expect("lists")
                    .iter()
                    .filter(|a| a.state == State::Anchored)
                    .count();
                if anchored >= 5 {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "nothing was anchored");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            // anvil rewrites its state file in place every second, so a SIGKILL can land in
            // the middle of a write: the save kept before the run is put back instead.
            chain.node.kill();
            std::fs::write(&state, &snapshot).expect("the saved state written back");
            chain.node.restart().expect("anvil starts again");
            restarted.set(true);
        };
        let (done, ()) = tokio::join!(deliveries, chaos);
        assert!(done, "not every application was anchored after the restart");

        // Each application holds exactly one position on the chain, and nothing else does.
        let taken = ledger
            .registry()
            .await
            .expect("connects")
            .contract()
            .entries()
            .call()
            .await
            .expect("entries");
        let mut trusted = TrustedLedgers::default();
        trusted.add_registry(&ledger.origin()).expect("a registry");
        let mut positions = BTreeSet::new();
        for id in &ids {
            let archived = archive.get(*id).expect("reads").expect("archived");
            let receipt =
                serde_json::to_value(archived.receipt.as_ref().expect("receipt")).expect("json");
            let verified =
                receipt::verify(&receipt, &catalog, &trusted, SystemTime::now()).expect("verifies");
            assert!(
                positions.insert(verified.index),
                "position {} twice",
                verified.index
            );
        }
        assert_eq!(
            taken,
            ids.len() as u64,
            "positions taken on the chain: {taken}"
        );
        let timeline: Vec<Vec<State>> = ids
            .iter()
            .map(|id| {
                archive
                    .get(*id)
                    .expect("reads")
                    .expect("archived")
                    .events
                    .iter()
                    .map(|e| e.state)
                    .collect()
            })
            .collect();
        let resent = timeline.iter().filter(|t| t.len() > 2).count();
        println!(
            "{resent} of {} applications were sent again after the restart",
            ids.len()
        );
    });
}

#[test]
fn a_reorganisation_that_drops_a_batch_before_it_is_final_gets_it_anchored_again() {
    let catalog = catalog();
    runtime().block_on(async {
        let chain = set_up(anvil::Options::default(), &catalog).await;
        let url = chain.node.url();
        let config = EvmConfig {
            confirmations: 2,
            ..chain.config()
        };
        let ledger = EvmLedger::new(config, catalog.clone(), funded(&url).await);
        let citizen = Identity::generate().expect("identity");
        let prepared = parking(&catalog, &citizen);
        let snapshot = chain::anvil_call(&url, "evm_snapshot", serde_json::json!([]))
            .await
            .expect("a snapshot");
        let before = ledger
            .registry()
            .await
            .expect("connects")
            .block_number()
            .await
            .expect("block");
        let appended = ledger.append(prepared.submission.clone());
        let chaos = async {
            // Once the batch is in a block (not yet final), the chain goes back to before
            // it: the block and its transaction are gone.
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            let anchored_in = loop {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the batch was never mined"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
                let head = ledger
                    .registry()
                    .await
                    .expect("connects")
                    .block_number()
                    .await
                    .expect("block");
                if head > before {
                    break head;
                }
            };
            let batch = ledger
                .registry()
                .await
                .expect("connects")
                .contract()
                .entries()
                .call()
                .await
                .expect("entries");
            assert_eq!(batch, 1, "the batch is in block {anchored_in}");
            let dropped = ledger
                .registry()
                .await
                .expect("connects")
                .block_hash(anchored_in)
                .await
                .expect("hash");
            let reverted = chain::anvil_call(&url, "evm_revert", serde_json::json!([snapshot]))
                .await
                .expect("reverts");
            assert_eq!(reverted, serde_json::json!(true));
            // New blocks come; the batch is anchored again in one of them, then made final.
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                chain::anvil_call(&url, "anvil_mine", serde_json::json!([1]))
                    .await
                    .expect("mines");
            }
            dropped
        };
        let (appended, dropped) = tokio::join!(appended, chaos);
        let appended = appended.expect("anchored after all");
        assert_eq!(appended.index, 0);
        let record = ledger
            .application(prepared.id, citizen.did())
            .await
            .expect("reads")
            .expect("on the chain");
        assert_eq!(record.submission.index, 0);
        // The receipt cites the block that stayed, not the one that was dropped.
        let receipt = ledger
            .receipt(prepared.id, prepared.application.clone())
            .await
            .expect("reads")
            .expect("a receipt");
        let receipt::LedgerProof::Evm(proof) = &receipt.ledger else {
            panic!("an EVM receipt");
        };
        assert_ne!(
            Some(proof.submission.block_hash.clone()),
            dropped.map(|h| h.to_string())
        );
        evm::verify::on_chain(proof, &url, 2)
            .await
            .expect("the receipt holds against the chain");
        let taken = ledger
            .registry()
            .await
            .expect("connects")
            .contract()
            .entries()
            .call()
            .await
            .expect("entries");
        assert_eq!(taken, 1);
    });
}

/// A node at a loopback port that answers every request with `answer`, or (`None`) takes
/// the connection and never answers.
fn fake_node(answer: Option<&'static str>) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            match answer {
                Some(body) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
                None => held.push(stream),
            }
        }
    });
    url
}

#[test]
fn a_node_that_answers_garbage_or_nothing_or_is_on_another_chain_is_named_and_nothing_queued_is_lost()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = catalog();
    runtime().block_on(async {
        let chain = set_up(anvil::Options::default(), &catalog).await;
        let archive = Archive::open(&dir.path().join(ARCHIVE_FILE)).expect("archive");
        let citizen = Identity::generate().expect("identity");
        let prepared = parking(&catalog, &citizen);
        archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        let key = funded(&chain.node.url()).await;
        let bad = [
            (
                fake_node(Some("this is not JSON-RPC")),
                anvil::CHAIN_ID,
                "not a JSON-RPC answer",
            ),
            (
                fake_node(Some(r#"{"jsonrpc":"2.0","id":0,"result":{"odd":true}}"#)),
                anvil::CHAIN_ID,
                "not a JSON-RPC answer",
            ),
            (fake_node(None), anvil::CHAIN_ID, "cannot be reached"),
            (chain.node.url(), 1, "is on chain 31337, not chain 1"),
        ];
        for (attempt, (url, chain_id, named)) in bad.into_iter().enumerate() {
            let config = EvmConfig {
                timeout: Duration::from_millis(500),
                ..EvmConfig::new(url, chain_id, chain.address)
            };
            let ledger = EvmLedger::new(config, catalog.clone(), key.clone());
            // Due again at once: the retry's back-off is in the archive's clock.
            let later = SystemTime::now() + Duration::from_secs(3600 * (attempt as u64 + 1));
            let delivery = archive::deliver(&archive, &ledger, later)
                .await
                .expect("delivers");
            assert!(delivery.anchored.is_empty(), "{delivery:?}");
            let (id, problem) = delivery.waiting.first().expect("waiting");
            assert_eq!(*id, prepared.id);
            assert!(problem.contains(named), "expected `{named}` in: {problem}");
            let archived = archive.get(prepared.id).expect("reads").expect("archived");
            assert_eq!(archived.state, State::Queued);
        }
        // The same outbox, with the right node, delivers what it kept.
        let ledger = chain.ledger(&catalog, key).await;
        let later = SystemTime::now() + Duration::from_secs(3600 * 10);
        let delivery = archive::deliver(&archive, &ledger, later)
            .await
            .expect("delivers");
        assert_eq!(delivery.anchored, vec![prepared.id], "{delivery:?}");
    });
}

#[test]
fn an_append_given_up_while_it_leads_a_batch_leaves_the_ledger_working() {
    let catalog = catalog();
    runtime().block_on(async {
        let chain = set_up(anvil::Options::default(), &catalog).await;
        let ledger = chain
            .ledger(&catalog, funded(&chain.node.url()).await)
            .await;
        let submission = |_| {
            let citizen = Identity::generate().expect("identity");
            parking(&catalog, &citizen).submission
        };
        // The first caller leads its batch and gives up while the batch gathers (100 ms).
        let given_up =
            tokio::time::timeout(Duration::from_millis(20), ledger.append(submission(0))).await;
        assert!(
            given_up.is_err(),
            "it was meant to be given up: {given_up:?}"
        );
        // The next caller is not left waiting for a leader that is gone.
        let next = tokio::time::timeout(Duration::from_secs(60), ledger.append(submission(1)))
            .await
            .expect("answered, not left waiting")
            .expect("anchored");
        // The given-up submission went with the next batch if it was in the queue already
        // when it was given up (on a busy machine it may not have got that far): an append
        // either lands or not, and sending it again would find where it did.
        let held = ledger.entries_since(0, 10).await.expect("reads");
        assert_eq!(held.len() as u64, next.index + 1, "{held:?}");
        assert!(next.index <= 1, "{next:?}");
    });
}

/// On the chain too: the policy refers a company car, an officer decides it under the
/// department's delegation (sent from the department's account), the receipt verifies, the
/// audit passes, and a decision by hand on an application nobody referred is refused.
#[test]
fn an_officer_decides_a_referral_on_the_chain_and_only_a_referral() {
    use agora_gateway::desk::{OfficerDecision, decide_referred, referred};
    use agora_identity::proof::ProofOptions;
    use agora_services::delegation::{Delegation, Officer};
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = catalog();
    runtime().block_on(async {
        let chain = set_up(anvil::Options::default(), &catalog).await;
        let citizen = Identity::generate().expect("identity");
        let ledger = chain
            .ledger(&catalog, funded(&chain.node.url()).await)
            .await;
        let archive = Archive::open(&dir.path().join(ARCHIVE_FILE)).expect("archive");
        let service = catalog.service("parking-permit").expect("service");
        let mut answers =
            agora_services::example_answers(service, time::OffsetDateTime::now_utc().date())
                .expect("answers");
        answers["vehicle_owner"] = "employer".into();
        let answers = service.form.validate(&answers).expect("valid");
        let prepared = prepare(service, &answers, &citizen, SystemTime::now()).expect("prepares");
        archive
            .enqueue(&prepared, SystemTime::now())
            .expect("queues");
        archive::deliver(&archive, &ledger, SystemTime::now())
            .await
            .expect("delivers");
        let department = &service.department.id;
        let desk_ledger = chain
            .ledger(&catalog, chain.departments[department].clone())
            .await;
        let mut desk = desk(&catalog, department, dir.path());
        let report = desk.run_once(&desk_ledger).await.expect("the desk runs");
        assert_eq!(report.decided[0].1, Outcome::Refer, "{report:?}");

        // The officer, delegated by the demo Transport Bureau's key.
        let transport = DeskKeys::demo()
            .expect("demo keys")
            .into_iter()
            .find(|keys| keys.department == *department)
            .expect("the transport key");
        let officer = Identity::generate().expect("identity");
        let now = time::OffsetDateTime::now_utc();
        let delegation = transport
            .signing
            .sign(
                &Delegation::new(
                    transport.signing.did(),
                    Officer {
                        id: officer.did(),
                        name: "Li Wei".to_owned(),
                        department: department.clone(),
                        services: vec![service.id.clone()],
                    },
                    now - Duration::from_secs(60),
                    now + Duration::from_secs(3600),
                )
                .to_json(),
                &ProofOptions::assertion().created_at(SystemTime::now()),
            )
            .expect("signs");
        let reason = OfficerDecision {
            outcome: Outcome::Approve,
            reason: agora_gateway::desk::OfficerReason::Written(agora_services::Text::new(
                "Checked with the employer.",
                "已与雇主核实。",
            )),
        };

        // A second citizen's application, anchored but not referred: not the officer's.
        let other = parking(&catalog, &Identity::generate().expect("identity"));
        archive.enqueue(&other, SystemTime::now()).expect("queues");
        archive::deliver(&archive, &ledger, SystemTime::now())
            .await
            .expect("delivers");
        let waiting = referred(&desk_ledger, &catalog).await.expect("reads");
        assert_eq!(waiting.len(), 1, "only the referral waits");
        let mut pretend = waiting[0].clone();
        let on_chain = desk_ledger
            .application(other.id, other_applicant(&other))
            .await
            .expect("reads")
            .expect("anchored");
        pretend.stored = on_chain.submission.clone();
        let Ok(agora_ledger::Entry::Submission(submission)) = agora_ledger::entry::check_entry(
            &pretend.stored.entry,
            &catalog,
            pretend.stored.time.into(),
        ) else {
            panic!("a submission");
        };
        pretend.submission = submission;
        let refused = decide_referred(
            &desk_ledger,
            &catalog,
            &pretend,
            &officer,
            &delegation,
            reason.clone(),
        )
        .await;
        assert!(
            matches!(
                refused,
                Err(agora_gateway::desk::DeskError::Ledger(
                    agora_gateway::LedgerError::Rejected(agora_ledger::Refusal::NotReferred(_))
                ))
            ),
            "{refused:?}"
        );

        decide_referred(
            &desk_ledger,
            &catalog,
            &waiting[0],
            &officer,
            &delegation,
            reason,
        )
        .await
        .expect("the officer decides");
        archive::refresh(&archive, &ledger, &catalog, SystemTime::now())
            .await
            .expect("refreshes");
        let archived = archive.get(prepared.id).expect("reads").expect("archived");
        assert_eq!(archived.outcome(), Some(Outcome::Approve));
        let receipt =
            serde_json::to_value(archived.receipt.as_ref().expect("a receipt")).expect("json");
        assert_eq!(
            receipt["ledger"]["decision"]["entry"]["issuer"],
            officer.did().to_string().as_str()
        );
        let mut trusted = TrustedLedgers::default();
        trusted.add_registry(&ledger.origin()).expect("a registry");
        receipt::verify(&receipt, &catalog, &trusted, SystemTime::now())
            .expect("the officer's decision verifies, officer → department → catalog");
        let audit = ledger.audit().await.expect("audits");
        assert!(audit.problems.is_empty(), "{audit:?}");
        assert_eq!(audit.decisions, 2, "{audit:?}");
    });
}

/// The applicant of a prepared application.
fn other_applicant(prepared: &agora_gateway::Prepared) -> agora_identity::DidKey {
    receipt::applicant_of(&prepared.application).expect("an applicant")
}
