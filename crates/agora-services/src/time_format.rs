//! Times in documents: RFC 3339, and in Agora's own documents always UTC to the second
//! (`2026-11-24T01:30:00Z`), one spelling per instant, so a parsed document writes back the
//! bytes it was read from.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Reads an RFC 3339 date and time with its offset.
pub(crate) fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|error| format!("`{text}`: {error}"))
}

/// `time` in UTC, to the second.
pub fn to_utc_second(time: OffsetDateTime) -> OffsetDateTime {
    let time = time.to_offset(UtcOffset::UTC);
    time.replace_nanosecond(0).unwrap_or(time)
}

/// `2026-11-24T01:30:00Z`: `time` in UTC, to the second.
pub fn format_utc(time: OffsetDateTime) -> String {
    let time = to_utc_second(time);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// Reads a time written as [`format_utc`] writes it, and nothing else.
pub fn parse_utc(text: &str) -> Result<OffsetDateTime, String> {
    let time = parse_rfc3339(text)?;
    if format_utc(time) == text {
        Ok(time)
    } else {
        Err(format!(
            "`{text}` is not written as UTC to the second, like {}",
            format_utc(time)
        ))
    }
}

/// Serde for times written as [`format_utc`] writes them
/// (`#[serde(with = "agora_services::time_format::utc")]`).
pub mod utc {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    /// Writes the time as [`super::format_utc`] does.
    pub fn serialize<S: Serializer>(
        time: &OffsetDateTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format_utc(*time))
    }

    /// Reads a time written as [`super::format_utc`] writes it.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_utc(&text).map_err(serde::de::Error::custom)
    }
}
