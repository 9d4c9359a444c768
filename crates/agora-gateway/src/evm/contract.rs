//! The registry contract's bindings, generated from the committed ABI
//! (`contracts/build/AgoraRegistry.abi.json`, which `cargo xtask test` checks is what the
//! pinned solc makes of `contracts/AgoraRegistry.sol`), its bytecode, and the keys it files
//! services and applications under.

#![allow(missing_docs)] // the generated bindings document themselves from the ABI

use agora_identity::DidKey;
use agora_services::ApplicationId;
use alloy::primitives::{B256, Bytes, keccak256};

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    AgoraRegistry,
    "../../contracts/build/AgoraRegistry.abi.json"
);

/// The registry's creation bytecode (hexadecimal, as solc wrote it).
const BYTECODE_HEX: &str = include_str!("../../../../contracts/build/AgoraRegistry.bin");

/// The registry's creation bytecode.
pub fn bytecode() -> Bytes {
    // The committed artifact is solc's own output; a damaged copy fails the build's tests.
    Bytes::from(alloy::hex::decode(BYTECODE_HEX.trim()).unwrap_or_default())
}

/// A service's key in the registry: keccak256 of its id in the catalog.
pub fn service_key(service: &str) -> B256 {
    keccak256(service.as_bytes())
}

/// An application's key in the registry: keccak256 of `applicant`, a newline and `id` (ids are
/// unique per applicant, so two applicants' applications never share a key).
pub fn application_key(applicant: &DidKey, id: &ApplicationId) -> B256 {
    keccak256(format!("{applicant}\n{id}").as_bytes())
}

/// The name of the registry's custom error in a revert, with its arguments, for messages:
/// `BatchAlreadyAnchored(0x12…)`.
pub fn describe_error(error: &AgoraRegistry::AgoraRegistryErrors) -> String {
    use AgoraRegistry::AgoraRegistryErrors as E;
    match error {
        E::NotAdmin(e) => format!("NotAdmin({})", e.sender),
        E::NotDepartment(e) => format!("NotDepartment({}, {})", e.service, e.sender),
        E::UnknownService(e) => format!("UnknownService({})", e.service),
        E::ServiceAlreadyRegistered(e) => format!("ServiceAlreadyRegistered({})", e.service),
        E::ServiceNotOpen(e) => format!(
            "ServiceNotOpen({}, at {}, opens {}, closes {})",
            e.service, e.time, e.opens, e.closes
        ),
        E::BadPeriod(e) => format!("BadPeriod(opens {}, closes {})", e.opens, e.closes),
        E::NoDepartment(_) => "NoDepartment".to_owned(),
        E::EmptyBatch(_) => "EmptyBatch".to_owned(),
        E::BatchTooLarge(e) => format!("BatchTooLarge({} > {})", e.count, e.max),
        E::BatchAlreadyAnchored(e) => format!("BatchAlreadyAnchored({})", e.root),
        E::UnknownBatch(e) => format!("UnknownBatch({})", e.root),
        E::WrongService(e) => format!("WrongService({}, {})", e.root, e.service),
        E::NotInBatch(e) => format!("NotInBatch({}, {})", e.root, e.position),
        E::PolicyMismatch(e) => format!(
            "PolicyMismatch(cited {}, published {})",
            e.cited, e.published
        ),
        E::DecisionAlreadyRecorded(e) => format!("DecisionAlreadyRecorded({})", e.application),
        E::BadDecisionKind(e) => format!("BadDecisionKind({})", e.kind),
        E::DigestMismatch(e) => {
            format!("DigestMismatch(cited {}, computed {})", e.cited, e.computed)
        }
    }
}
