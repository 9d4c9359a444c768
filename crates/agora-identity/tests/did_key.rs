//! did:key and Multikey parsing: the good ones resolve, and each kind of bad one is refused
//! with the error that names its problem.

use agora_identity::multikey::{self, MultikeyError};
use agora_identity::{DidKey, DidKeyError, Identity, VerifyingKey};

/// The public key of the W3C eddsa-jcs-2022 test vector.
const VECTOR_KEY: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

/// A base58btc multibase of a multicodec header and key bytes.
fn multibase(header: &[u8], key: &[u8]) -> String {
    format!("z{}", bs58::encode([header, key].concat()).into_string())
}

/// 32 bytes that are not the encoding of any Ed25519 point.
fn not_a_point() -> [u8; 32] {
    (0u8..=255)
        .map(|first| {
            let mut bytes = [0u8; 32];
            bytes[0] = first;
            bytes[1] = 0x55;
            bytes
        })
        .find(|bytes| VerifyingKey::from_bytes(bytes).is_err())
        .expect("about half of all 32-byte strings are not points")
}

#[test]
fn a_did_key_resolves_to_its_key_and_verification_method() {
    let did = DidKey::parse(&format!("did:key:{VECTOR_KEY}")).expect("the vector's did:key parses");
    assert_eq!(did.to_string(), format!("did:key:{VECTOR_KEY}"));
    assert_eq!(did.multibase(), VECTOR_KEY);
    assert_eq!(
        did.verification_method(),
        format!("did:key:{VECTOR_KEY}#{VECTOR_KEY}")
    );
    let resolved = DidKey::from_verification_method(&did.verification_method())
        .expect("its own verification method resolves");
    assert_eq!(resolved, did);
    assert_eq!(
        multikey::decode_public(VECTOR_KEY).as_ref(),
        Ok(did.public_key())
    );
}

#[test]
fn every_generated_identity_is_a_z6mk_did_that_round_trips() {
    for _ in 0..20 {
        let did = Identity::generate().expect("randomness").did();
        let text = did.to_string();
        assert!(text.starts_with("did:key:z6Mk"), "{text}");
        assert_eq!(text.parse::<DidKey>(), Ok(did));
    }
}

#[test]
fn malformed_did_keys_are_refused_with_the_reason() {
    let did = format!("did:key:{VECTOR_KEY}");
    let ed25519 = |key: &[u8]| format!("did:key:{}", multibase(&[0xed, 0x01], key));
    let mut weak = [0u8; 32];
    weak[0] = 1; // the identity point: small order
    let cases: Vec<(String, DidKeyError)> = vec![
        (
            "did:web:example.com".into(),
            DidKeyError::NotDidKey {
                found: "did:web:example.com".into(),
            },
        ),
        (
            VECTOR_KEY.into(),
            DidKeyError::NotDidKey {
                found: VECTOR_KEY.into(),
            },
        ),
        ("did:key:".into(), MultikeyError::Empty.into()),
        (
            "did:key:uAe0BAQ".into(),
            MultikeyError::NotBase58Btc { prefix: 'u' }.into(),
        ),
        (
            "did:key:f0ed01".into(),
            MultikeyError::NotBase58Btc { prefix: 'f' }.into(),
        ),
        (
            format!("{}0OIl", &did[..20]),
            MultikeyError::InvalidBase58 {
                reason: String::new(),
            }
            .into(),
        ),
        (
            did[..did.len() - 4].to_owned(),
            MultikeyError::Truncated { len: 0 }.into(),
        ),
        (
            "did:key:z".into(),
            MultikeyError::Truncated { len: 0 }.into(),
        ),
        (
            format!("{did}zz"),
            MultikeyError::WrongLength { len: 0 }.into(),
        ),
        (
            format!("did:key:{}", multibase(&[0xec, 0x01], &[9; 32])),
            MultikeyError::UnsupportedCodec {
                found: 0xec,
                expected: 0xed,
            }
            .into(),
        ),
        (
            format!("did:key:{}", multibase(&[0x80, 0x24], &[2; 33])),
            MultikeyError::UnsupportedCodec {
                found: 0x1200,
                expected: 0xed,
            }
            .into(),
        ),
        (
            format!("did:key:{}", multibase(&[0xe7, 0x01], &[2; 33])),
            MultikeyError::UnsupportedCodec {
                found: 0xe7,
                expected: 0xed,
            }
            .into(),
        ),
        (
            ed25519(&not_a_point()),
            MultikeyError::InvalidPublicKey.into(),
        ),
        (ed25519(&weak), MultikeyError::WeakPublicKey.into()),
        (
            format!("{did}#{VECTOR_KEY}"),
            DidKeyError::Malformed {
                found: String::new(),
                problem: "",
            },
        ),
        (
            format!("{did}/path"),
            DidKeyError::Malformed {
                found: String::new(),
                problem: "",
            },
        ),
        (
            format!("did:key:1.0:{VECTOR_KEY}"),
            DidKeyError::Malformed {
                found: String::new(),
                problem: "",
            },
        ),
    ];
    for (input, expected) in cases {
        let error = DidKey::parse(&input).expect_err(&input);
        assert!(
            same_variant(&error, &expected),
            "{input}: expected {expected:?}, got {error:?}"
        );
        assert!(!error.to_string().is_empty());
    }
}

/// Whether two errors are the same kind of refusal (details such as lengths aside).
fn same_variant(found: &DidKeyError, expected: &DidKeyError) -> bool {
    use std::mem::discriminant;
    match (found, expected) {
        (DidKeyError::Key(found), DidKeyError::Key(expected)) => match (found, expected) {
            (MultikeyError::UnsupportedCodec { .. }, MultikeyError::UnsupportedCodec { .. }) => {
                found == expected
            }
            _ => discriminant(found) == discriminant(expected),
        },
        (DidKeyError::NotDidKey { .. }, DidKeyError::NotDidKey { .. }) => found == expected,
        _ => discriminant(found) == discriminant(expected),
    }
}

#[test]
fn error_messages_name_the_problem() {
    let cases = [
        ("did:web:example.com", "must start with `did:key:`"),
        ("did:key:uAe0BAQ", "only base58btc"),
        (
            "did:key:z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F",
            "0xec (x25519-pub), not 0xed (ed25519-pub)",
        ),
        (
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4s",
            "truncated",
        ),
    ];
    for (input, expected) in cases {
        let message = DidKey::parse(input).expect_err(input).to_string();
        assert!(message.contains(expected), "{input}: {message}");
    }
}

#[test]
fn verification_methods_must_name_the_did_keys_own_key() {
    let did = format!("did:key:{VECTOR_KEY}");
    let other = Identity::generate().expect("randomness").did().multibase();
    assert!(matches!(
        DidKey::from_verification_method(&did),
        Err(DidKeyError::MissingFragment { .. })
    ));
    assert!(matches!(
        DidKey::from_verification_method(&format!("{did}#{other}")),
        Err(DidKeyError::FragmentMismatch { .. })
    ));
    assert!(matches!(
        DidKey::from_verification_method(&format!("{did}#key-1")),
        Err(DidKeyError::FragmentMismatch { .. })
    ));
    assert!(matches!(
        DidKey::from_verification_method("did:example:123#key-1"),
        Err(DidKeyError::NotDidKey { .. })
    ));
}

#[test]
fn secret_multikeys_read_and_refuse_public_ones() {
    let identity = Identity::generate().expect("randomness");
    let secret = identity.secret_multikey();
    assert!(secret.starts_with("z3u2"));
    let again = Identity::from_secret_multikey(&secret).expect("its own secret reads");
    assert_eq!(again.did(), identity.did());
    // A trailing newline, as a key file usually has, is fine.
    let with_newline = format!("{}\n", secret.as_str());
    assert!(Identity::from_secret_multikey(&with_newline).is_ok());
    assert_eq!(
        Identity::from_secret_multikey(VECTOR_KEY).err(),
        Some(MultikeyError::UnsupportedCodec {
            found: 0xed,
            expected: 0x1300
        })
    );
    assert!(matches!(
        Identity::from_secret_multikey("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8"),
        Err(MultikeyError::Truncated { .. })
    ));
}

#[test]
fn the_secret_never_shows_in_debug_output() {
    let identity = Identity::generate().expect("randomness");
    let debug = format!("{identity:?}");
    assert!(debug.contains(&identity.did().to_string()), "{debug}");
    assert!(!debug.contains(identity.secret_multikey().as_str()));
    assert!(!debug.contains(&format!("{:?}", identity.signing_key().to_bytes())));
}
