//! The registry's rules, against a real node (anvil): each rule's breach reverts with the
//! error that names it.

use agora_gateway::evm::alloy::primitives::{
    Address, B256, Bytes, FixedBytes, U256, Uint, keccak256,
};
use agora_gateway::evm::alloy::signers::local::PrivateKeySigner;
use agora_gateway::evm::alloy::sol_types::SolCall as _;
use agora_gateway::evm::anvil::{self, Anvil};
use agora_gateway::evm::contract::{AgoraRegistry, service_key};
use agora_gateway::evm::{ChainError, Registry, chain};

use super::runtime;

/// A funded account on `registry`'s node.
async fn account(registry: &Registry) -> PrivateKeySigner {
    let signer = PrivateKeySigner::random();
    chain::anvil_set_balance(registry.url(), signer.address(), U256::from(10u128.pow(21)))
        .await
        .expect("anvil_setBalance");
    signer
}

fn refused(result: Result<impl std::fmt::Debug, ChainError>, name: &str) {
    match result {
        Err(ChainError::Refused(reason)) => assert!(
            reason.starts_with(name),
            "expected a revert with {name}, got {reason}"
        ),
        other => panic!("expected a revert with {name}, got {other:?}"),
    }
}

fn anchor(service: B256, root: B256, count: u32) -> Bytes {
    AgoraRegistry::anchorCall {
        service,
        root,
        count,
        submissions: Bytes::new(),
    }
    .abi_encode()
    .into()
}

#[allow(clippy::too_many_arguments)]
fn decide(
    service: B256,
    application: B256,
    root: B256,
    position: u64,
    kind: u8,
    policy: B256,
    document: &[u8],
) -> Bytes {
    AgoraRegistry::decideCall {
        service,
        application,
        root,
        applicationPosition: position,
        kind,
        policy,
        digest: FixedBytes(sha2_256(document)),
        document: Bytes::copy_from_slice(document),
    }
    .abi_encode()
    .into()
}

fn access(service: B256, application: B256, root: B256, position: u64, document: &[u8]) -> Bytes {
    AgoraRegistry::recordAccessCall {
        service,
        application,
        root,
        applicationPosition: position,
        digest: FixedBytes(sha2_256(document)),
        document: Bytes::copy_from_slice(document),
    }
    .abi_encode()
    .into()
}

fn sha2_256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

#[test]
fn every_registry_rule_reverts_with_its_named_error() {
    let node = Anvil::start(anvil::Options::default()).expect("anvil starts");
    runtime().block_on(async {
        // The deployer funds itself through anvil, then deploys with a separate admin.
        let bootstrap = PrivateKeySigner::random();
        let probe =
            Registry::deploy(&node.url(), Some(anvil::CHAIN_ID), bootstrap.clone(), None).await;
        // An unfunded deployer is refused by the node, by name, not by the registry.
        assert!(
            matches!(probe, Err(ChainError::Node { .. })),
            "an unfunded deployment: {probe:?}"
        );
        let funder = PrivateKeySigner::random();
        chain::anvil_set_balance(&node.url(), funder.address(), U256::from(10u128.pow(22)))
            .await
            .expect("anvil_setBalance");
        let admin_key = PrivateKeySigner::random();
        let deployed = Registry::deploy(
            &node.url(),
            Some(anvil::CHAIN_ID),
            funder.clone(),
            Some(admin_key.address()),
        )
        .await
        .expect("deploys");
        let admin = deployed
            .with_account(admin_key)
            .await
            .expect("admin connects");
        chain::anvil_set_balance(&node.url(), admin.account(), U256::from(10u128.pow(21)))
            .await
            .expect("fund the admin");
        let department = admin
            .with_account(account(&admin).await)
            .await
            .expect("dept");
        let stranger = admin
            .with_account(account(&admin).await)
            .await
            .expect("stranger");

        let parking = service_key("parking-permit");
        let policy = keccak256("policy v1");
        let register = |caller: &Registry, department: Address, opens: u64, closes: u64| {
            let call: Bytes = AgoraRegistry::registerServiceCall {
                service: parking,
                department,
                policy,
                opens: Uint::from(opens),
                closes: Uint::from(closes),
            }
            .abi_encode()
            .into();
            let caller = caller.clone();
            async move { caller.transact(call).await }
        };

        // Only the admin registers.
        refused(
            register(&stranger, department.account(), 0, 0).await,
            "NotAdmin",
        );
        // Anchoring to an unknown service.
        refused(
            stranger
                .transact(anchor(parking, B256::repeat_byte(1), 3))
                .await,
            "UnknownService",
        );
        // A closed period: registered for a window long past.
        register(&admin, department.account(), 1, 2)
            .await
            .expect("registers");
        refused(
            register(&admin, department.account(), 0, 0).await,
            "ServiceAlreadyRegistered",
        );
        refused(
            stranger
                .transact(anchor(parking, B256::repeat_byte(1), 3))
                .await,
            "ServiceNotOpen",
        );
        // Opened again by the admin (no end).
        let reopen: Bytes = AgoraRegistry::setPeriodCall {
            service: parking,
            opens: Uint::from(0u64),
            closes: Uint::from(0u64),
        }
        .abi_encode()
        .into();
        refused(stranger.transact(reopen.clone()).await, "NotAdmin");
        admin.transact(reopen).await.expect("reopens");

        // Batches: empty, too large, then one that lands, then the same root again.
        let root = B256::repeat_byte(7);
        refused(
            stranger.transact(anchor(parking, root, 0)).await,
            "EmptyBatch",
        );
        refused(
            stranger.transact(anchor(parking, root, 513)).await,
            "BatchTooLarge",
        );
        stranger
            .transact(anchor(parking, root, 3))
            .await
            .expect("anchors");
        refused(
            stranger.transact(anchor(parking, root, 3)).await,
            "BatchAlreadyAnchored",
        );
        let batch = stranger
            .contract()
            .getBatch(root)
            .call()
            .await
            .expect("getBatch");
        assert_eq!((batch.service, batch.first, batch.count), (parking, 0, 3));
        // A second batch takes the next positions.
        stranger
            .transact(anchor(parking, B256::repeat_byte(8), 2))
            .await
            .expect("anchors");
        let second = stranger
            .contract()
            .getBatch(B256::repeat_byte(8))
            .call()
            .await
            .expect("getBatch");
        assert_eq!(second.first, 3);

        // Decisions: only the department, on an anchored batch, in it, citing the policy,
        // with the document's digest; once (a referral, then one final).
        let application = keccak256("did:key:z6Mk…\nurn:uuid:…");
        let document = br#"{"decision":"approve"}"#;
        refused(
            stranger
                .transact(decide(parking, application, root, 1, 2, policy, document))
                .await,
            "NotDepartment",
        );
        refused(
            department
                .transact(decide(
                    parking,
                    application,
                    B256::repeat_byte(9),
                    1,
                    2,
                    policy,
                    document,
                ))
                .await,
            "UnknownBatch",
        );
        refused(
            department
                .transact(decide(parking, application, root, 3, 2, policy, document))
                .await,
            "NotInBatch",
        );
        refused(
            department
                .transact(decide(
                    parking,
                    application,
                    root,
                    1,
                    2,
                    keccak256("other"),
                    document,
                ))
                .await,
            "PolicyMismatch",
        );
        refused(
            department
                .transact(decide(parking, application, root, 1, 3, policy, document))
                .await,
            "BadDecisionKind",
        );
        let mut wrong_digest = decide(parking, application, root, 1, 2, policy, document).to_vec();
        // The digest is the 7th word after the selector: flip one of its bytes.
        wrong_digest[4 + 6 * 32] ^= 1;
        refused(
            department.transact(wrong_digest.into()).await,
            "DigestMismatch",
        );
        department
            .transact(decide(parking, application, root, 1, 1, policy, document))
            .await
            .expect("a referral");
        refused(
            department
                .transact(decide(parking, application, root, 1, 1, policy, document))
                .await,
            "DecisionAlreadyRecorded",
        );
        department
            .transact(decide(parking, application, root, 1, 2, policy, document))
            .await
            .expect("the final decision after a referral");
        refused(
            department
                .transact(decide(parking, application, root, 1, 2, policy, document))
                .await,
            "DecisionAlreadyRecorded",
        );
        // Another service's department cannot decide this one's; a batch of another service
        // is not this one's.
        let library = service_key("library-card");
        let library_dept = admin
            .with_account(account(&admin).await)
            .await
            .expect("dept");
        let call: Bytes = AgoraRegistry::registerServiceCall {
            service: library,
            department: library_dept.account(),
            policy,
            opens: Uint::from(0u64),
            closes: Uint::from(0u64),
        }
        .abi_encode()
        .into();
        admin.transact(call).await.expect("registers");
        let other = keccak256("another application");
        refused(
            library_dept
                .transact(decide(parking, other, root, 0, 2, policy, document))
                .await,
            "NotDepartment",
        );
        refused(
            library_dept
                .transact(decide(library, other, root, 0, 2, policy, document))
                .await,
            "WrongService",
        );
        // Access records: only the department, on an anchored batch, in it, with the
        // document's digest; as often as it opens the application.
        let opened = br#"{"type":"AgoraAccess"}"#;
        refused(
            stranger
                .transact(access(parking, application, root, 1, opened))
                .await,
            "NotDepartment",
        );
        refused(
            department
                .transact(access(
                    parking,
                    application,
                    B256::repeat_byte(9),
                    1,
                    opened,
                ))
                .await,
            "UnknownBatch",
        );
        refused(
            department
                .transact(access(parking, application, root, 3, opened))
                .await,
            "NotInBatch",
        );
        refused(
            library_dept
                .transact(access(library, other, root, 0, opened))
                .await,
            "WrongService",
        );
        let mut wrong_digest = access(parking, application, root, 1, opened).to_vec();
        // The digest is the 5th word after the selector: flip one of its bytes.
        wrong_digest[4 + 4 * 32] ^= 1;
        refused(
            department.transact(wrong_digest.into()).await,
            "DigestMismatch",
        );
        for _ in 0..2 {
            department
                .transact(access(parking, application, root, 1, opened))
                .await
                .expect("an access record");
        }
        // Positions: five applications, two decisions, two access records.
        let entries = stranger.contract().entries().call().await.expect("entries");
        assert_eq!(entries, 9);
    });
}

#[test]
fn a_node_on_another_chain_or_without_the_registry_is_refused_by_name() {
    let node = Anvil::start(anvil::Options::default()).expect("anvil starts");
    runtime().block_on(async {
        let key = PrivateKeySigner::random();
        let wrong =
            Registry::connect(&node.url(), Some(1), Address::repeat_byte(1), key.clone()).await;
        assert!(
            matches!(
                wrong,
                Err(ChainError::WrongChain {
                    expected: 1,
                    found: 31337,
                    ..
                })
            ),
            "{wrong:?}"
        );
        let empty = Registry::connect(
            &node.url(),
            Some(anvil::CHAIN_ID),
            Address::repeat_byte(1),
            key,
        )
        .await;
        assert!(
            matches!(empty, Err(ChainError::NoRegistry { .. })),
            "{empty:?}"
        );
        let message = empty.expect_err("refused").to_string();
        assert!(message.contains("check the registry address"), "{message}");
    });
}
