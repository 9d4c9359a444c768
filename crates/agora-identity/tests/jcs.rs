//! RFC 8785 canonicalization against the RFC's own test data: the reference implementations'
//! input/output pairs and the ES6 number-serialization file.

use agora_identity::canonical::{canonicalize, parse_strict};
use serde_json::{Number, Value, json};
use sha2::{Digest, Sha256};

use crate::{data_bytes, data_text, hex};

#[test]
fn the_reference_test_data_canonicalizes_byte_for_byte() {
    for name in [
        "arrays",
        "french",
        "structures",
        "unicode",
        "values",
        "weird",
    ] {
        let input = data_text(&format!("jcs/input/{name}.json"));
        let expected = data_bytes(&format!("jcs/output/{name}.json"));
        let value = parse_strict(&input).unwrap_or_else(|error| panic!("{name}: {error}"));
        let canonical = canonicalize(&value).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(
            String::from_utf8_lossy(&canonical),
            String::from_utf8_lossy(&expected),
            "{name}.json"
        );
    }
}

const NUMBERS: &str = "jcs/es6-numbers-10k.txt";

#[test]
fn the_number_file_is_the_one_the_rfc_authors_published() {
    // SHA-256 of the first 10 000 lines, from cyberphone/json-canonicalization's
    // testdata/README.md.
    assert_eq!(
        hex(&Sha256::digest(data_bytes(NUMBERS))),
        "b9f7a8e75ef22a835685a52ccba7f7d6bdc99e34b010992cbc5864cd12be6892"
    );
}

#[test]
fn numbers_are_written_as_ecmascript_writes_them() {
    let text = String::from_utf8(data_bytes(NUMBERS)).expect("ASCII");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in text.lines() {
        let (bits, expected) = line.split_once(',').expect("bits,expected");
        let bits = u64::from_str_radix(bits, 16).expect("hex bits");
        let number = Number::from_f64(f64::from_bits(bits)).expect("finite numbers only");
        let canonical = canonicalize(&Value::Number(number)).expect("numbers canonicalize");
        if canonical != expected.as_bytes() {
            failures.push(format!(
                "{bits:016x}: expected {expected}, got {}",
                String::from_utf8_lossy(&canonical)
            ));
        }
        checked += 1;
    }
    assert_eq!(checked, 10_000);
    assert!(
        failures.is_empty(),
        "{} of {checked} numbers differ, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}

#[test]
fn integers_and_number_text_become_doubles() {
    // Integers beyond 2^53 are doubles in I-JSON, and written as the nearest one.
    assert_eq!(
        canonicalize(&json!(9_007_199_254_740_993_u64)).ok(),
        Some(b"9007199254740992".to_vec())
    );
    for (text, expected) in [
        ("1E30", "1e+30"),
        ("4.50", "4.5"),
        ("2e-3", "0.002"),
        ("-0", "0"),
        ("0.000001", "0.000001"),
        ("1e-7", "1e-7"),
        ("100000000000000000000", "100000000000000000000"),
        ("1e21", "1e+21"),
    ] {
        let value = parse_strict(text).expect("a number");
        let canonical = canonicalize(&value).expect("canonicalizes");
        assert_eq!(String::from_utf8_lossy(&canonical), expected, "{text}");
    }
}

#[test]
fn members_are_sorted_by_utf16_code_units() {
    // RFC 8785 §3.2.3's example: U+1F600 (a surrogate pair) sorts before U+FB33 in UTF-16,
    // though not in UTF-8 or by code point.
    let value = parse_strict(
        r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#,
    )
    .expect("the RFC's example reads");
    let canonical = String::from_utf8(canonicalize(&value).expect("canonicalizes")).expect("UTF-8");
    let order = [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|name| canonical.find(name).expect("every member is written"))
        .collect();
    assert!(positions.is_sorted(), "{canonical}");
}

#[test]
fn duplicate_member_names_are_refused() {
    let error = parse_strict(r#"{"service":"permit","answers":{"amount":1,"amount":1000}}"#)
        .expect_err("a duplicate name is refused");
    assert!(
        error.to_string().contains("`amount` appears twice"),
        "{error}"
    );
}
