//! Arbitrary text as a did:key, as a did:key verification method id, and as Multikey public
//! and secret keys. Nothing may panic, and whatever is accepted must be exactly the canonical
//! text of what it decodes to: a did:key has one spelling, so two different strings must never
//! name the same key.

#![no_main]

use agora_identity::{DidKey, multikey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    match DidKey::parse(text) {
        Ok(did) => {
            assert_eq!(did.to_string(), text, "a did:key with a second spelling");
            let method = did.verification_method();
            assert_eq!(DidKey::from_verification_method(&method), Ok(did));
        }
        // Error messages quote the input; building them must not panic either.
        Err(error) => assert!(!error.to_string().is_empty()),
    }

    match DidKey::from_verification_method(text) {
        Ok(did) => assert_eq!(did.verification_method(), text),
        Err(error) => assert!(!error.to_string().is_empty()),
    }

    match multikey::decode_public(text) {
        Ok(key) => assert_eq!(multikey::encode_public(&key), text),
        Err(error) => assert!(!error.to_string().is_empty()),
    }

    match multikey::decode_secret(text) {
        Ok(key) => assert_eq!(multikey::encode_secret(&key).as_str(), text),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
