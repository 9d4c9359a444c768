//! What Agora's documents share: the JSON-LD `@context` of a W3C Verifiable Credentials 2.0
//! document with Agora's terms defined inline, and the serde form of a did:key.
//!
//! The terms are defined inline rather than by a context URL because an `eddsa-jcs-2022` proof
//! needs no JSON-LD processing, and an inline definition can never be unreachable or change
//! under a signed document. `policy`, `answers` and `reasons` are JSON literals (`@json`):
//! their members are Agora's, not vocabulary terms.

use serde_json::{Value, json};

/// The W3C Verifiable Credentials 2.0 context, always first.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The IRI Agora's terms expand under. It is a name, never fetched.
pub const AGORA_VOCAB: &str = "https://agora.example.invalid/vocab#";

/// The `@context` of every Agora document: `[VC_CONTEXT, {Agora's terms}]`.
pub fn context() -> Value {
    let term = |name: &str| format!("{AGORA_VOCAB}{name}");
    let literal = |name: &str| json!({"@id": term(name), "@type": "@json"});
    json!([
        VC_CONTEXT,
        {
            "@protected": true,
            "AgoraApplication": term("AgoraApplication"),
            "AgoraDecision": term("AgoraDecision"),
            "service": term("service"),
            "outcome": term("outcome"),
            "policy": literal("policy"),
            "answers": literal("answers"),
            "reasons": literal("reasons"),
        }
    ])
}

/// Serde for a did:key as its string (`#[serde(with = "agora_services::vc::did")]`).
pub mod did {
    use agora_identity::DidKey;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the did:key as its string.
    pub fn serialize<S: Serializer>(did: &DidKey, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(did)
    }

    /// Reads a did:key from its string.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DidKey, D::Error> {
        let text = String::deserialize(deserializer)?;
        DidKey::parse(&text).map_err(serde::de::Error::custom)
    }
}
