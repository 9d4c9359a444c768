//! Properties of signing that must hold for any document, checked on generated ones: whatever
//! JSON a citizen signs verifies, also after being written out and read back; and no single
//! changed byte of a signed document gets past the verifier unless it leaves the document
//! meaning exactly what was signed.

use std::time::{Duration, SystemTime};

use agora_identity::canonical::{canonicalize, parse_strict};
use agora_identity::proof::{self, ProofOptions, VerifyOptions};
use agora_identity::{DidKey, SigningKey};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Cases per property: enough to reach odd strings and numbers, few enough for CI's two cores.
const CASES: u32 = 64;

/// 2^53: every integer up to it in magnitude is a double.
const EXACT_INTEGERS: i64 = 1 << 53;

/// Integers the crate signs: those a double holds exactly (see
/// `canonical::check_exact_numbers`), up to 2^64 - 2048, both small ones and huge ones.
fn integer() -> impl Strategy<Value = Number> {
    prop_oneof![
        (-1000i64..1000).prop_map(Number::from),
        (-EXACT_INTEGERS..=EXACT_INTEGERS).prop_map(Number::from),
        // A 53-bit mantissa shifted left stays exact; as u64 this reaches past i64::MAX.
        (0u64..(1 << 53), 0u32..=11).prop_map(|(mantissa, shift)| Number::from(mantissa << shift)),
        (1i64..(1 << 53), 0u32..=10)
            .prop_map(|(mantissa, shift)| Number::from(-(mantissa << shift))),
    ]
}

/// Any finite double: fractions, tiny and huge exponents, negative zero.
fn double() -> impl Strategy<Value = Number> {
    any::<f64>().prop_filter_map("JSON has no NaN or infinity", Number::from_f64)
}

/// Strings with everything JSON must escape or may carry: control characters, quotes,
/// backslashes, non-ASCII and astral-plane characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,12}",
        "[\\x00-\\x1f\"\\\\/\u{7f}\u{80}-\u{ff}\u{2028}\u{fffd}\u{1f600}]{0,8}",
        any::<String>().prop_map(|s| s.chars().take(16).collect()),
    ]
}

/// Any JSON value, up to four levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        integer().prop_map(Value::Number),
        double().prop_map(Value::Number),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// A document to sign: an object of any members but `proof`, the one name a signer may not
/// use (the proof goes there). Sometimes it has an `@context`, which the proof copies.
fn document() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(text(), json(), 0..8),
        prop::option::of(json()),
    )
        .prop_map(|(members, context)| {
            let mut document: Map<String, Value> = members.into_iter().collect();
            document.remove("proof");
            if let Some(context) = context {
                document.insert("@context".to_owned(), context);
            }
            Value::Object(document)
        })
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

/// 2026-01-01T00:00:00Z.
const SIGNED_AT: u64 = 1_767_225_600;

fn sign(document: &Value, seed: &[u8; 32]) -> Value {
    let options = ProofOptions::assertion().created_at(at(SIGNED_AT));
    proof::sign(document, &SigningKey::from_bytes(seed), &options)
        .unwrap_or_else(|error| panic!("{document} does not sign: {error}"))
}

fn verify(document: &Value) -> Result<proof::Verified, proof::VerifyError> {
    proof::verify(document, &VerifyOptions::assertion().at(at(SIGNED_AT + 60)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn any_signed_document_verifies_as_itself(document in document(), seed in any::<[u8; 32]>()) {
        let signed = sign(&document, &seed);
        let verified = verify(&signed);
        prop_assert!(verified.is_ok(), "{signed}: {verified:?}");
        let verified = verified.expect("checked above");
        prop_assert_eq!(
            verified.signer,
            DidKey::from_public_key(SigningKey::from_bytes(&seed).verifying_key())
        );
        prop_assert_eq!(&verified.document, &document);

        // What a verifier receives is text: written out and read back strictly, it still
        // verifies, whether compact or pretty-printed.
        for text in [
            serde_json::to_string(&signed).expect("a Value prints"),
            serde_json::to_string_pretty(&signed).expect("a Value prints"),
        ] {
            let reread = parse_strict(&text);
            prop_assert!(reread.is_ok(), "{text}: {reread:?}");
            let result = verify(&reread.expect("checked above"));
            prop_assert!(result.is_ok(), "{text}: {result:?}");
        }
    }

    /// A verifier checks what the text means, not its bytes: a change that only spells the
    /// same JSON differently (`\u001f` as `\u001F`, `1e+21` as `1E+21`) still verifies, and
    /// rightly, since the document says exactly what was signed. Any change of meaning fails.
    #[test]
    fn any_changed_byte_of_a_signed_document_fails_or_means_the_same(
        document in document(),
        seed in any::<[u8; 32]>(),
        position in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let signed = sign(&document, &seed);
        let canonical = canonicalize(&signed).expect("a signed document canonicalizes");
        let mut bytes = canonical.clone();
        let index = position.index(bytes.len());
        bytes[index] ^= delta;

        let Ok(text) = String::from_utf8(bytes) else {
            // Not UTF-8, so not JSON at all: refused before any verifying.
            return Ok(());
        };
        let Ok(changed) = parse_strict(&text) else {
            return Ok(());
        };
        if let Ok(verified) = verify(&changed) {
            let changed_canonical = canonicalize(&changed).expect("it parsed, so it canonicalizes");
            prop_assert_eq!(
                &changed_canonical,
                &canonical,
                "byte {} changed, yet {} verified as a different document",
                index,
                text
            );
            prop_assert_eq!(verified.signer, DidKey::from_public_key(
                SigningKey::from_bytes(&seed).verifying_key()
            ));
        }
    }
}

/// Two single-byte changes to a canonical form that keep its meaning, pinned: the
/// verifier accepts them because the signature covers the JSON value, as RFC 8785 and
/// eddsa-jcs-2022 intend, and the value is unchanged.
#[test]
fn respelling_an_escape_or_an_exponent_is_not_a_change() {
    let document = serde_json::json!({"separator": "\u{1f}", "big": 1e21});
    let canonical = canonicalize(&sign(&document, &[3; 32])).expect("canonicalizes");
    let text = String::from_utf8(canonical).expect("canonical JSON is UTF-8");
    assert!(
        text.contains(r#""separator":"\u001f""#) && text.contains(r#""big":1e+21"#),
        "{text}"
    );
    for (from, to) in [(r"\u001f", r"\u001F"), ("1e+21", "1E+21")] {
        let respelled = text.replacen(from, to, 1);
        assert_ne!(respelled, text);
        let reread = parse_strict(&respelled).expect("still JSON");
        assert!(verify(&reread).is_ok(), "{respelled}");
    }
}
