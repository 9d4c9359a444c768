//! RFC 8785 JSON Canonicalization Scheme (JCS), the byte form that `eddsa-jcs-2022` hashes,
//! and a strict JSON reader for documents that are about to be signed or verified.
//!
//! Canonicalization itself is `serde_json_canonicalizer`'s: members sorted by their UTF-16
//! code units, numbers written as ECMAScript writes an IEEE-754 double, strings with the
//! minimal escapes. The crate's tests hold it to the RFC's test data.
//!
//! [`parse_strict`] exists because a JSON object with the same member name twice means
//! different things to different parsers (`serde_json` and JavaScript keep the last value,
//! others the first or refuse it). A signature over such a document could be shown to one
//! reader as approving one value and to another as approving a different one. Read a document
//! that is to be signed or verified with [`parse_strict`], not `serde_json::from_str`.
//!
//! [`check_exact_numbers`], which signing and verifying run, refuses integers that the
//! canonical form would round.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use thiserror::Error;

/// A value that cannot be put into canonical form.
#[derive(Debug, Error)]
#[error("the JSON cannot be canonicalized (RFC 8785): {0}")]
pub struct CanonicalizeError(#[from] serde_json::Error);

/// Why text is not a JSON document this crate accepts.
#[derive(Debug, Error)]
#[error("not a valid JSON document: {0}")]
pub struct JsonError(#[from] serde_json::Error);

/// An integer that no IEEE-754 double holds exactly.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "the number {number} cannot be signed exactly: JSON numbers are doubles (RFC 8785, I-JSON), \
     and the nearest one is {nearest}; write it as a string"
)]
pub struct InexactNumber {
    /// The integer as written.
    pub number: String,
    /// The double it would be signed as.
    pub nearest: String,
}

/// Checks that every number in `value` is exactly a double. RFC 8785 writes numbers as
/// doubles, so `9007199254740993` is canonicalized (and signed) as `9007199254740992`: a
/// signature over one would also verify the other. Refusing such integers up front keeps a
/// signed document meaning exactly what its text says. (Fractions are read as the nearest
/// double by every JSON parser, so they already mean what is signed.)
pub fn check_exact_numbers(value: &Value) -> Result<(), InexactNumber> {
    match value {
        Value::Number(number) => {
            let exact = match (number.as_u64(), number.as_i64()) {
                // Casting a double back to an integer saturates, so 2^64 (the double nearest
                // to u64::MAX) must be ruled out before the round trip is trusted.
                (Some(n), _) => {
                    let double = n as f64;
                    double < 18_446_744_073_709_551_616.0 && double as u64 == n
                }
                (None, Some(n)) => (n as f64) as i64 == n,
                _ => true,
            };
            if exact {
                Ok(())
            } else {
                Err(InexactNumber {
                    number: number.to_string(),
                    nearest: number.as_f64().map(|n| n.to_string()).unwrap_or_default(),
                })
            }
        }
        Value::Array(items) => items.iter().try_for_each(check_exact_numbers),
        Value::Object(members) => members.values().try_for_each(check_exact_numbers),
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

/// The RFC 8785 canonical form of a JSON value, as UTF-8 bytes.
///
/// Takes anything serializable (a [`Value`], or a bare object `Map`), so that callers need not
/// clone a document into a `Value` just to canonicalize it.
pub fn canonicalize<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CanonicalizeError> {
    Ok(serde_json_canonicalizer::to_vec(value)?)
}

/// Reads JSON text, refusing an object that names the same member twice (anywhere in the
/// document) and anything `serde_json` refuses: bad syntax, lone surrogates, numbers beyond
/// the range of a double, nesting deeper than 128.
pub fn parse_strict(text: &str) -> Result<Value, JsonError> {
    // Two passes: the first only looks for duplicate names, the second is serde_json's own
    // reader, so that numbers come out exactly as serde_json makes them whatever features it
    // was built with.
    let mut deserializer = serde_json::Deserializer::from_str(text);
    NoDuplicateNames.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(serde_json::from_str(text)?)
}

/// Walks a JSON value and fails on the first object that names a member twice.
struct NoDuplicateNames;

impl<'de> DeserializeSeed<'de> for NoDuplicateNames {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoDuplicateNames {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(NoDuplicateNames)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(name) = access.next_key::<String>()? {
            access.next_value_seed(NoDuplicateNames)?;
            if let Some(name) = seen.replace(name) {
                return Err(de::Error::custom(format_args!(
                    "the member name `{name}` appears twice in one object"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_names_are_refused_at_any_depth() {
        assert!(parse_strict(r#"{"a":1,"b":{"c":1,"c":2}}"#).is_err());
        assert!(parse_strict(r#"[{"x":1,"x":1}]"#).is_err());
        let error = parse_strict(r#"{"amount":1,"amount":1000}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("`amount` appears twice"), "{error}");
    }

    #[test]
    fn the_strict_reader_reads_what_serde_json_reads() {
        let text =
            r#"{"a":[1,-2,3.5,1e21,true,null,"é\u00e9"],"b":{"c":{}},"d":18446744073709551615}"#;
        let strict = parse_strict(text).ok();
        let loose: Option<Value> = serde_json::from_str(text).ok();
        assert!(strict.is_some());
        assert_eq!(strict, loose);
    }

    #[test]
    fn integers_beyond_doubles_are_refused() {
        for exact in [
            "0",
            "-1",
            "9007199254740992",
            "-9007199254740992",
            "1152921504606846976",
            "-9223372036854775808",
            "1.5",
            "1e300",
        ] {
            let value = parse_strict(exact).expect("a number");
            assert_eq!(check_exact_numbers(&value), Ok(()), "{exact}");
        }
        for inexact in [
            "9007199254740993",
            "-9007199254740993",
            "18446744073709551615",
            "9223372036854775807",
        ] {
            let value = parse_strict(&format!("{{\"a\":[{inexact}]}}")).expect("a number");
            assert!(check_exact_numbers(&value).is_err(), "{inexact}");
        }
    }

    #[test]
    fn trailing_text_is_refused() {
        assert!(parse_strict("{} {}").is_err());
        assert!(parse_strict("").is_err());
    }
}
