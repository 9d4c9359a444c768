//! The published `eddsa-jcs-2022` test vector of W3C "Data Integrity EdDSA Cryptosuites v1.0"
//! (Appendix B.3), reproduced step by step and byte for byte.

use std::time::{Duration, SystemTime};

use agora_identity::canonical::canonicalize;
use agora_identity::proof::{self, ProofOptions, VerifyOptions};
use agora_identity::{DidKey, Identity};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{data_bytes, data_json, data_text, hex};

const DIR: &str = "eddsa-jcs-2022";

fn vector(name: &str) -> String {
    format!("{DIR}/{name}")
}

fn key_pair() -> (Identity, String) {
    let key_pair = data_json(&vector("keyPair.json"));
    let secret = key_pair["privateKeyMultibase"]
        .as_str()
        .expect("a private key");
    let public = key_pair["publicKeyMultibase"]
        .as_str()
        .expect("a public key");
    let identity = Identity::from_secret_multikey(secret).expect("the vector's secret key reads");
    (identity, public.to_owned())
}

#[test]
fn the_key_pair_is_one_did_key() {
    let (identity, public) = key_pair();
    assert_eq!(identity.did().multibase(), public);
    assert_eq!(identity.did().to_string(), format!("did:key:{public}"));
    assert_eq!(
        identity.did().verification_method(),
        data_json(&vector("proofConfigJCS.json"))["verificationMethod"]
    );
    let secret = data_json(&vector("keyPair.json"))["privateKeyMultibase"].clone();
    assert_eq!(Value::from(identity.secret_multikey().as_str()), secret);
}

#[test]
fn each_intermediate_value_matches_the_recommendation() {
    let unsigned = data_json(&vector("unsigned.json"));
    let canonical_document = canonicalize(&unsigned).expect("the credential canonicalizes");
    assert_eq!(canonical_document, data_bytes(&vector("canonDocJCS.txt")));
    assert_eq!(
        hex(&Sha256::digest(&canonical_document)),
        data_text(&vector("docHashJCS.txt"))
    );

    let config = data_json(&vector("proofConfigJCS.json"));
    let canonical_config = canonicalize(&config).expect("the proof options canonicalize");
    assert_eq!(canonical_config, data_bytes(&vector("proofCanonJCS.txt")));
    assert_eq!(
        hex(&Sha256::digest(&canonical_config)),
        data_text(&vector("proofHashJCS.txt"))
    );

    let hash_data = proof::hash_data(&canonical_config, &canonical_document);
    assert_eq!(hex(&hash_data), data_text(&vector("combinedHashJCS.txt")));
}

#[test]
fn signing_the_credential_reproduces_the_published_proof_value() {
    let (identity, _) = key_pair();
    let unsigned = data_json(&vector("unsigned.json"));
    let config = data_json(&vector("proofConfigJCS.json"));
    let created = config["created"]
        .as_str()
        .expect("the vector has a created time");

    let signed = identity
        .sign(&unsigned, &ProofOptions::assertion().created(created))
        .expect("the credential signs");

    let proof_value = signed["proof"]["proofValue"]
        .as_str()
        .expect("a proofValue");
    assert_eq!(proof_value, data_text(&vector("sigBTC58JCS.txt")));
    let signature = bs58::decode(&proof_value[1..])
        .into_vec()
        .expect("base58btc");
    assert_eq!(hex(&signature), data_text(&vector("sigHexJCS.txt")));

    // The whole secured credential, proof options and @context included, is the published one.
    assert_eq!(signed, data_json(&vector("signedJCS.json")));
    let mut proof_options = signed["proof"].clone();
    if let Some(proof) = proof_options.as_object_mut() {
        proof.remove("proofValue");
    }
    assert_eq!(proof_options, config);
}

#[test]
fn the_published_signed_credential_verifies() {
    let (identity, _) = key_pair();
    let signed = data_json(&vector("signedJCS.json"));
    let later = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let verified = proof::verify(&signed, &VerifyOptions::assertion().at(later))
        .expect("the published credential verifies");
    assert_eq!(verified.signer, identity.did());
    assert_eq!(verified.document, data_json(&vector("unsigned.json")));
    let did: DidKey = format!("did:key:{}", identity.did().multibase())
        .parse()
        .expect("the did parses");
    assert_eq!(verified.signer, did);
}
