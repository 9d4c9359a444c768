//! Signing and verifying applications: a signed document verifies, and any change to the
//! document or its proof is refused with the reason.

use std::time::{Duration, SystemTime};

use agora_identity::canonical::{canonicalize, parse_strict};
use agora_identity::proof::{self, ProofOptions, SignError, VerifyError, VerifyOptions};
use agora_identity::{DidKeyError, Identity};
use serde_json::{Value, json};

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

/// 2026-01-01T00:00:00Z.
const SIGNED_AT: u64 = 1_767_225_600;

/// An application shaped like the ones the plaza submits.
fn application(identity: &Identity) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "AgoraApplication"],
        "id": "urn:uuid:0d6f3a64-5d0c-4a4e-9b7e-3f2c1a9e8b70",
        "issuer": identity.did().to_string(),
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "service": "parking-permit",
            "answers": {
                "plate": "京A·12345",
                "zone": 3,
                "months": 12,
                "fee": 42.5,
                "disabled": false,
                "notes": null,
                "days": ["mon", "tue"]
            }
        }
    })
}

fn signed(identity: &Identity) -> Value {
    identity
        .sign(
            &application(identity),
            &ProofOptions::assertion().created_at(at(SIGNED_AT)),
        )
        .expect("the application signs")
}

fn verify(document: &Value) -> Result<proof::Verified, VerifyError> {
    proof::verify(document, &VerifyOptions::assertion().at(at(SIGNED_AT + 60)))
}

/// `document` changed by `change`.
fn changed(document: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut document = document.clone();
    change(&mut document);
    document
}

#[test]
fn a_signed_application_verifies_and_names_its_signer() {
    let identity = Identity::generate().expect("randomness");
    let document = signed(&identity);
    let proof = &document["proof"];
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(proof["proofPurpose"], "assertionMethod");
    assert_eq!(proof["created"], "2026-01-01T00:00:00Z");
    assert_eq!(
        proof["verificationMethod"],
        identity.did().verification_method()
    );
    assert_eq!(proof["@context"], document["@context"]);

    let verified = verify(&document).expect("the signed application verifies");
    assert_eq!(verified.signer, identity.did());
    assert_eq!(verified.document, application(&identity));
}

#[test]
fn signing_is_deterministic_and_survives_reformatting() {
    let identity = Identity::generate().expect("randomness");
    assert_eq!(signed(&identity), signed(&identity));
    // Pretty-printing and member order do not matter: the canonical form is what is signed.
    let document = signed(&identity);
    let reread = parse_strict(&serde_json::to_string_pretty(&document).expect("prints"))
        .expect("reads back");
    assert!(verify(&reread).is_ok());
}

#[test]
fn documents_without_context_sign_and_verify_without_one_in_the_proof() {
    let identity = Identity::generate().expect("randomness");
    let document = json!({"hello": "world", "n": [1, 2.5, 1e21]});
    let signed = identity
        .sign(&document, &ProofOptions::assertion())
        .expect("signs");
    assert!(signed["proof"].get("@context").is_none());
    assert!(signed["proof"].get("created").is_none());
    assert_eq!(verify(&signed).map(|v| v.document).ok(), Some(document));
}

#[test]
fn any_change_to_the_document_is_refused() {
    let identity = Identity::generate().expect("randomness");
    let document = signed(&identity);
    let changes: Vec<(&str, Box<dyn Fn(&mut Value)>)> = vec![
        (
            "a changed answer",
            Box::new(|d| d["credentialSubject"]["answers"]["months"] = json!(13)),
        ),
        (
            "a changed string",
            Box::new(|d| d["credentialSubject"]["answers"]["plate"] = json!("京A·12346")),
        ),
        (
            "an added member",
            Box::new(|d| d["credentialSubject"]["answers"]["extra"] = json!(true)),
        ),
        (
            "a removed member",
            Box::new(|d| {
                if let Some(answers) = d["credentialSubject"]["answers"].as_object_mut() {
                    answers.remove("notes");
                }
            }),
        ),
        (
            "a slightly different number",
            Box::new(|d| d["credentialSubject"]["answers"]["fee"] = json!(42.50001)),
        ),
        (
            "reordered array items",
            Box::new(|d| d["credentialSubject"]["answers"]["days"] = json!(["tue", "mon"])),
        ),
        (
            "another issuer",
            Box::new(|d| d["issuer"] = json!("did:example:mallory")),
        ),
    ];
    for (what, change) in changes {
        let tampered = changed(&document, change);
        match verify(&tampered) {
            Err(VerifyError::InvalidSignature { signer }) => {
                assert_eq!(signer, identity.did().to_string());
            }
            other => panic!("{what}: expected InvalidSignature, got {other:?}"),
        }
    }
}

#[test]
fn any_change_to_the_proof_is_refused_with_the_reason() {
    let identity = Identity::generate().expect("randomness");
    let other = Identity::generate().expect("randomness");
    let document = signed(&identity);
    let proof_value = document["proof"]["proofValue"]
        .as_str()
        .expect("a proofValue")
        .to_owned();

    let set =
        |field: &'static str, value: Value| changed(&document, move |d| d["proof"][field] = value);
    let check = |what: &str, tampered: Value, expected: fn(&VerifyError) -> bool| {
        let result = verify(&tampered);
        assert!(
            result.as_ref().is_err_and(expected),
            "{what}: got {result:?}"
        );
        if let Err(error) = result {
            assert!(!error.to_string().is_empty());
        }
    };

    check(
        "an earlier created time",
        set("created", json!("2025-12-31T00:00:00Z")),
        |e| matches!(e, VerifyError::InvalidSignature { .. }),
    );
    check(
        "another purpose",
        set("proofPurpose", json!("authentication")),
        |e| matches!(e, VerifyError::WrongPurpose { .. }),
    );
    check(
        "another cryptosuite",
        set("cryptosuite", json!("eddsa-rdfc-2022")),
        |e| matches!(e, VerifyError::UnknownCryptosuite { .. }),
    );
    check(
        "another type",
        set("type", json!("Ed25519Signature2020")),
        |e| matches!(e, VerifyError::UnknownProofType { .. }),
    );
    check(
        "another key's verification method",
        set(
            "verificationMethod",
            json!(other.did().verification_method()),
        ),
        |e| matches!(e, VerifyError::InvalidSignature { .. }),
    );
    check(
        "a verification method that is not a did:key",
        set("verificationMethod", json!("did:web:example.com#key-1")),
        |e| {
            matches!(
                e,
                VerifyError::VerificationMethod(DidKeyError::NotDidKey { .. })
            )
        },
    );
    check(
        "a verification method whose fragment names another key",
        set(
            "verificationMethod",
            json!(format!("{}#{}", identity.did(), other.did().multibase())),
        ),
        |e| {
            matches!(
                e,
                VerifyError::VerificationMethod(DidKeyError::FragmentMismatch { .. })
            )
        },
    );
    check(
        "a proofValue in another multibase",
        set("proofValue", json!(format!("u{}", &proof_value[1..]))),
        |e| matches!(e, VerifyError::ProofValue { .. }),
    );
    check(
        "a shortened proofValue",
        set("proofValue", json!(&proof_value[..proof_value.len() - 3])),
        |e| matches!(e, VerifyError::ProofValue { .. }),
    );
    check(
        "another signature",
        set(
            "proofValue",
            json!(
                other
                    .sign(&application(&identity), &ProofOptions::assertion())
                    .expect("signs")["proof"]["proofValue"]
            ),
        ),
        |e| matches!(e, VerifyError::InvalidSignature { .. }),
    );
    check(
        "an unknown proof property",
        set("nonce", json!("abc")),
        |e| matches!(e, VerifyError::InvalidSignature { .. }),
    );
    check(
        "a created time that is not one",
        set("created", json!("yesterday")),
        |e| {
            matches!(
                e,
                VerifyError::InvalidTime {
                    field: "created",
                    ..
                }
            )
        },
    );
    check(
        "a numeric proof purpose",
        set("proofPurpose", json!(7)),
        |e| {
            matches!(
                e,
                VerifyError::FieldType {
                    field: "proofPurpose",
                    ..
                }
            )
        },
    );
    check(
        "no proofValue",
        changed(&document, |d| {
            if let Some(proof) = d["proof"].as_object_mut() {
                proof.remove("proofValue");
            }
        }),
        |e| {
            matches!(
                e,
                VerifyError::MissingField {
                    field: "proofValue"
                }
            )
        },
    );
    check(
        "a replaced @context",
        changed(&document, |d| {
            d["@context"] = json!(["https://www.w3.org/2018/credentials/v1"]);
        }),
        |e| matches!(e, VerifyError::ContextMismatch),
    );
    check(
        "the proof's @context changed along with the document's",
        changed(&document, |d| {
            let context = json!(["https://www.w3.org/2018/credentials/v1"]);
            d["@context"] = context.clone();
            d["proof"]["@context"] = context;
        }),
        |e| matches!(e, VerifyError::InvalidSignature { .. }),
    );
}

#[test]
fn the_verifier_states_the_purpose_it_requires() {
    let identity = Identity::generate().expect("randomness");
    let options = ProofOptions {
        proof_purpose: "authentication".to_owned(),
        ..ProofOptions::assertion()
    };
    let document = identity
        .sign(&application(&identity), &options)
        .expect("signs");
    let as_assertion = verify(&document);
    assert!(
        matches!(&as_assertion, Err(VerifyError::WrongPurpose { expected, found })
            if expected == "assertionMethod" && found == "authentication"),
        "{as_assertion:?}"
    );
    let as_authentication = VerifyOptions {
        expected_purpose: "authentication".to_owned(),
        ..VerifyOptions::assertion()
    };
    assert!(proof::verify(&document, &as_authentication).is_ok());
}

#[test]
fn contexts_added_after_signing_keep_the_proof_valid() {
    // §3.3.2: the document's @context must start with the proof's; later additions (for
    // another proof in a chain) do not invalidate this one.
    let identity = Identity::generate().expect("randomness");
    let document = changed(&signed(&identity), |d| {
        d["@context"] = json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://example.org/agora/v1"
        ]);
    });
    let verified = verify(&document).expect("the prefix still matches");
    assert_eq!(
        verified.document["@context"],
        json!(["https://www.w3.org/ns/credentials/v2"])
    );
    // Where the verifier keeps what it received (a ledger, a receipt), it asks for the
    // context as signed, so a relay cannot change the bytes kept.
    let exact = VerifyOptions::assertion().exact_context();
    assert!(matches!(
        proof::verify(&document, &exact),
        Err(VerifyError::ContextAdded)
    ));
    assert!(proof::verify(&signed(&identity), &exact).is_ok());
}

#[test]
fn a_proof_created_in_the_future_is_refused() {
    let identity = Identity::generate().expect("randomness");
    let options = ProofOptions::assertion().created_at(at(SIGNED_AT));
    let document = identity
        .sign(&application(&identity), &options)
        .expect("signs");
    // A few minutes of disagreeing clocks are allowed; an hour is not.
    let skew = proof::MAX_CLOCK_SKEW.as_secs();
    assert!(
        proof::verify(
            &document,
            &VerifyOptions::assertion().at(at(SIGNED_AT - skew))
        )
        .is_ok()
    );
    assert!(matches!(
        proof::verify(
            &document,
            &VerifyOptions::assertion().at(at(SIGNED_AT - 3600))
        ),
        Err(VerifyError::CreatedInFuture { .. })
    ));
}

#[test]
fn expired_proofs_are_refused() {
    let identity = Identity::generate().expect("randomness");
    let options = ProofOptions::assertion()
        .created_at(at(SIGNED_AT))
        .expires_at(at(SIGNED_AT + 3600));
    let document = identity
        .sign(&application(&identity), &options)
        .expect("signs");
    let before = VerifyOptions::assertion().at(at(SIGNED_AT + 3599));
    let after = VerifyOptions::assertion().at(at(SIGNED_AT + 3600));
    assert!(proof::verify(&document, &before).is_ok());
    assert!(matches!(
        proof::verify(&document, &after),
        Err(VerifyError::Expired { .. })
    ));
}

#[test]
fn documents_that_carry_no_single_proof_are_refused() {
    let identity = Identity::generate().expect("randomness");
    let document = signed(&identity);
    let unsigned = application(&identity);
    assert!(matches!(verify(&unsigned), Err(VerifyError::MissingProof)));
    assert!(matches!(
        verify(&json!([document.clone()])),
        Err(VerifyError::NotAnObject { .. })
    ));
    let proof_set = changed(&document, |d| {
        d["proof"] = json!([d["proof"].clone(), d["proof"].clone()]);
    });
    assert!(matches!(
        verify(&proof_set),
        Err(VerifyError::ProofSet { count: 2 })
    ));
    assert!(matches!(
        verify(&changed(&document, |d| d["proof"] = json!("signed!"))),
        Err(VerifyError::ProofNotAnObject { .. })
    ));
}

#[test]
fn signing_refuses_what_cannot_be_signed() {
    let identity = Identity::generate().expect("randomness");
    assert!(matches!(
        identity.sign(&json!([1, 2]), &ProofOptions::assertion()),
        Err(SignError::NotAnObject { .. })
    ));
    assert!(matches!(
        identity.sign(&signed(&identity), &ProofOptions::assertion()),
        Err(SignError::AlreadySigned)
    ));
    assert!(matches!(
        identity.sign(
            &application(&identity),
            &ProofOptions::assertion().created("2026-13-01T00:00:00Z")
        ),
        Err(SignError::InvalidTime {
            field: "created",
            ..
        })
    ));
}

#[test]
fn every_single_byte_change_to_the_canonical_form_is_refused() {
    let identity = Identity::generate().expect("randomness");
    let document = signed(&identity);
    let canonical = canonicalize(&document).expect("canonicalizes");
    let mut still_json = 0;
    for index in 0..canonical.len() {
        for flip in [0x01u8, 0x20] {
            let mut bytes = canonical.clone();
            bytes[index] ^= flip;
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let Ok(tampered) = parse_strict(&text) else {
                continue;
            };
            if tampered == document {
                continue;
            }
            still_json += 1;
            assert!(
                verify(&tampered).is_err(),
                "changing byte {index} still verifies: {text}"
            );
        }
    }
    // Most flips keep valid JSON (they land in strings), so this checked plenty of documents.
    assert!(still_json > canonical.len(), "{still_json}");
}

#[test]
fn integers_a_double_cannot_hold_are_refused_rather_than_rounded() {
    // RFC 8785 writes 9007199254740993 as 9007199254740992, so without a check a signature
    // over one would verify a document that says the other.
    let identity = Identity::generate().expect("randomness");
    let document = json!({"amount": 9_007_199_254_740_992_u64});
    let signed = identity
        .sign(&document, &ProofOptions::assertion())
        .expect("an exact integer signs");
    let tampered = changed(&signed, |d| d["amount"] = json!(9_007_199_254_740_993_u64));
    let result = verify(&tampered);
    assert!(
        matches!(result, Err(VerifyError::InexactNumber(_))),
        "{result:?}"
    );
    assert!(matches!(
        identity.sign(
            &json!({"amount": 9_007_199_254_740_993_u64}),
            &ProofOptions::assertion()
        ),
        Err(SignError::InexactNumber(_))
    ));
}
