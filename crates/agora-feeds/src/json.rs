//! Reading numbers and times out of JSON a server sent: the [`Source::Http`] sample picked by
//! JSON Pointer, and the checks SensorThings observations share with it.
//!
//! City feeds are loose about types: a number often arrives as a string (`"12.5"`), and a
//! sensor that is down may send `"n/a"`, `null` or an object instead. Numbers and numeric
//! strings are accepted; anything else is an error that says what was found.
//!
//! [`Source::Http`]: crate::Source::Http

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{FeedError, Sample};

/// How much of a string from the server an error message quotes.
const QUOTED_CHARS: usize = 40;

/// The sample in `document`: the number at the `value` pointer, at the RFC 3339 time at the
/// `time` pointer, or at `now` when the feed names no time.
pub(crate) fn sample(
    document: &Value,
    value: &str,
    time: Option<&str>,
    now: OffsetDateTime,
) -> Result<Sample, FeedError> {
    let number = number(at(document, value)?, value)?;
    let time = match time {
        Some(pointer) => self::time(at(document, pointer)?, pointer)?,
        None => now,
    };
    Ok(Sample {
        time,
        value: number,
    })
}

fn at<'a>(document: &'a Value, pointer: &str) -> Result<&'a Value, FeedError> {
    document.pointer(pointer).ok_or_else(|| FeedError::Missing {
        pointer: pointer.to_owned(),
    })
}

/// `found` as a finite number: a JSON number, or a string holding one.
pub(crate) fn number(found: &Value, pointer: &str) -> Result<f64, FeedError> {
    let number = match found {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    // Rust also parses "NaN" and "inf"; neither is a reading a chart can show.
    number
        .filter(|number| number.is_finite())
        .ok_or_else(|| FeedError::WrongType {
            pointer: pointer.to_owned(),
            found: describe(found),
        })
}

/// `found` as an RFC 3339 time.
pub(crate) fn time(found: &Value, pointer: &str) -> Result<OffsetDateTime, FeedError> {
    match found {
        Value::String(text) => rfc3339(text, pointer),
        _ => Err(FeedError::BadTime {
            pointer: pointer.to_owned(),
            found: describe(found),
        }),
    }
}

/// `text` as an RFC 3339 time; the error quotes (the start of) the text.
pub(crate) fn rfc3339(text: &str, pointer: &str) -> Result<OffsetDateTime, FeedError> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| FeedError::BadTime {
        pointer: pointer.to_owned(),
        found: cut(text),
    })
}

/// A short description of a JSON value for an error message, e.g. `a string "n/a"`; long
/// strings are cut, so a hostile server cannot flood the log.
pub(crate) fn describe(found: &Value) -> String {
    match found {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => format!("a boolean ({flag})"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) => format!("a string {:?}", cut(text)),
        Value::Array(items) => format!("an array of {}", items.len()),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The start of `text`, for quoting in a message.
fn cut(text: &str) -> String {
    let mut start: String = text.chars().take(QUOTED_CHARS).collect();
    if text.chars().nth(QUOTED_CHARS).is_some() {
        start.push('…');
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-24 09:00 UTC);

    #[test]
    fn numbers_and_numeric_strings_are_values() {
        for (found, expected) in [
            (json!(12.5), 12.5),
            (json!(-3), -3.0),
            (json!("12.5"), 12.5),
            (json!(" 7 "), 7.0),
            (json!("1e3"), 1000.0),
        ] {
            assert_eq!(number(&found, "/v"), Ok(expected), "{found}");
        }
    }

    #[test]
    fn anything_else_says_what_it_was() {
        for (found, description) in [
            (json!("n/a"), r#"a string "n/a""#),
            (json!("NaN"), r#"a string "NaN""#),
            (json!("inf"), r#"a string "inf""#),
            (json!(""), r#"a string """#),
            (json!(null), "null"),
            (json!(true), "a boolean (true)"),
            (json!({"v": 1}), "an object"),
            (json!([1, 2]), "an array of 2"),
        ] {
            assert_eq!(
                number(&found, "/v"),
                Err(FeedError::WrongType {
                    pointer: "/v".to_owned(),
                    found: description.to_owned()
                }),
                "{found}"
            );
        }
    }

    #[test]
    fn long_strings_are_cut_in_messages() {
        let long = "x".repeat(10_000);
        let described = describe(&json!(long));
        assert!(described.chars().count() < 60, "{described}");
        assert!(described.ends_with("…\""), "{described}");
    }

    #[test]
    fn a_sample_takes_its_time_from_the_document_or_the_fetch() {
        let document = json!({"data": [{"value": "41.0", "at": "2026-11-24T08:55:00+08:00"}]});
        assert_eq!(
            sample(&document, "/data/0/value", Some("/data/0/at"), NOW),
            Ok(Sample {
                time: datetime!(2026-11-24 08:55 +08:00),
                value: 41.0
            })
        );
        assert_eq!(
            sample(&document, "/data/0/value", None, NOW),
            Ok(Sample {
                time: NOW,
                value: 41.0
            })
        );
    }

    #[test]
    fn missing_values_and_bad_times_are_named() {
        let document = json!({"value": 3, "at": "yesterday", "epoch": 1_700_000_000});
        assert_eq!(
            sample(&document, "/nothing", None, NOW),
            Err(FeedError::Missing {
                pointer: "/nothing".to_owned()
            })
        );
        assert_eq!(
            sample(&document, "/value", Some("/at"), NOW),
            Err(FeedError::BadTime {
                pointer: "/at".to_owned(),
                found: "yesterday".to_owned()
            })
        );
        assert_eq!(
            sample(&document, "/value", Some("/epoch"), NOW),
            Err(FeedError::BadTime {
                pointer: "/epoch".to_owned(),
                found: "the number 1700000000".to_owned()
            })
        );
    }
}
