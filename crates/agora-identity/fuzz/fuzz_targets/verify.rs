//! Arbitrary bytes as a signed document: read with the crate's strict JSON reader, then
//! verified. Nothing may panic, and every refusal must carry a message. When the text is a
//! JSON object, it is also signed (without any `proof` it has) and the result must verify,
//! both as a value and after being written out and read back.

#![no_main]

use std::time::{Duration, SystemTime};

use agora_identity::canonical::parse_strict;
use agora_identity::proof::{self, ProofOptions, SignError, VerifyOptions};
use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// 2026-01-01T00:00:00Z, the time verification is judged at; fixed so runs reproduce.
const NOW: u64 = 1_767_225_600;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(document) = parse_strict(text) else {
        return;
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
    let options = VerifyOptions::assertion().at(now);

    match proof::verify(&document, &options) {
        Ok(verified) => assert!(verified.document.get("proof").is_none()),
        Err(error) => assert!(!error.to_string().is_empty()),
    }

    let Value::Object(mut unsigned) = document else {
        return;
    };
    unsigned.remove("proof");
    let unsigned = Value::Object(unsigned);
    let key = SigningKey::from_bytes(&[7; 32]);
    let sign_options = ProofOptions::assertion().created("2026-01-01T00:00:00Z");
    match proof::sign(&unsigned, &key, &sign_options) {
        Ok(signed) => {
            let verified = proof::verify(&signed, &options);
            assert!(verified.is_ok(), "signed but does not verify: {verified:?}");
            let written = serde_json::to_string(&signed).expect("a Value prints");
            let reread = parse_strict(&written).expect("what was written reads back");
            let verified = proof::verify(&reread, &options);
            assert!(
                verified.is_ok(),
                "does not verify once written out: {verified:?}"
            );
        }
        // The only document without a proof that cannot be signed is one with an integer no
        // double holds.
        Err(error) => assert!(
            matches!(error, SignError::InexactNumber(_)),
            "refused to sign: {error}"
        ),
    }
});
