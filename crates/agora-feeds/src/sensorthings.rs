//! [`Source::SensorThings`]: a datastream of the OGC SensorThings API v1.1, read as its
//! observations.
//!
//! The first fetch asks the datastream for its unit (`unitOfMeasurement.symbol`) and for its
//! newest observations, `$orderby=phenomenonTime desc`, following `@iot.nextLink` until the
//! feed's capacity is filled or the pages end. Later fetches ask only for observations newer
//! than the newest one held (`$filter=phenomenonTime gt …`), in the same order, so after an
//! outage longer than the capacity the chart shows the newest values at once rather than
//! catching up page by page. Either way the samples are handed on oldest first.
//!
//! Paging is bounded ([`MAX_PAGES`]) and a next-page link must stay on the datastream's origin:
//! a hostile server must not send the client to another host.
//!
//! [`Source::SensorThings`]: crate::Source::SensorThings

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use crate::json;
use crate::model::{FeedError, Sample};
use crate::source::{Fetched, Known};
use crate::transport::{Reach, Transport, checked_url, same_origin};

/// Observations asked for per request; servers cap `$top` themselves (FROST at 100 by default).
pub(crate) const PAGE_SIZE: usize = 100;

/// The most pages one fetch reads, whatever the capacity: each is bounded by the body limit, and
/// a server that pages without end must not keep a feed busy.
pub(crate) const MAX_PAGES: usize = 32;

/// Characters left as they are in a query value: RFC 3986's unreserved set. Everything else is
/// percent-encoded, a space as `%20`. (The `url` crate's form encoding would write a space as
/// `+`, which OData servers do not all read as a space, and a `+` in a time's offset must be
/// `%2B` in any case.)
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One fetch of the datastream at `datastream`.
pub(crate) async fn fetch(
    transport: &Transport,
    datastream: &str,
    filter: Option<&str>,
    reach: Reach,
    known: &Known,
) -> Result<Fetched, FeedError> {
    let base = checked_url(datastream, reach)?;
    let unit = if known.described {
        None
    } else {
        let description = transport.get_json(&datastream_url(&base), reach).await?;
        Some(unit(&description)?)
    };
    let wanted = known.capacity.max(1);
    let mut url = observations_url(&base, filter, known.newest, wanted.min(PAGE_SIZE))?;
    let mut samples = Vec::new();
    let mut first_problem = None;
    let mut seen = 0;
    for _ in 0..MAX_PAGES {
        let page = transport.get_json(&url, reach).await?;
        let observations =
            page.get("value")
                .and_then(Value::as_array)
                .ok_or_else(|| FeedError::Missing {
                    pointer: "/value".to_owned(),
                })?;
        for item in observations {
            seen += 1;
            // One broken observation (a sensor reporting "n/a" for an hour) must not keep the
            // good ones around it from being shown; it is reported only if nothing is usable.
            match observation(item) {
                Ok(sample) => samples.push(sample),
                Err(problem) => {
                    tracing::debug!("skipping a SensorThings observation: {problem}");
                    first_problem.get_or_insert(problem);
                }
            }
            if samples.len() == wanted {
                break;
            }
        }
        if samples.len() == wanted {
            break;
        }
        match next_link(&base, &page)? {
            Some(next) => url = next,
            None => break,
        }
    }
    if samples.is_empty() {
        if let Some(problem) = first_problem {
            return Err(problem);
        }
        // A datastream without any observation has nothing to show yet; later polls, which
        // only ask for newer ones, may well find none, which is fine.
        if known.newest.is_none() && seen == 0 {
            return Err(FeedError::Missing {
                pointer: "/value/0".to_owned(),
            });
        }
    }
    // Oldest first, whatever order the server actually used.
    samples.sort_by_key(|sample| sample.time);
    samples.dedup_by_key(|sample| sample.time);
    Ok(Fetched {
        samples,
        unit: unit.flatten(),
        described: true,
    })
}

/// The datastream's own URL, asking only for what the feed uses.
fn datastream_url(base: &Url) -> Url {
    with_query(base, &[("$select", "name,unitOfMeasurement")])
}

/// The datastream's unit symbol; a datastream has a `unitOfMeasurement` (the standard requires
/// one), though its symbol may be empty.
fn unit(description: &Value) -> Result<Option<String>, FeedError> {
    let unit = description
        .get("unitOfMeasurement")
        .ok_or_else(|| FeedError::Missing {
            pointer: "/unitOfMeasurement".to_owned(),
        })?;
    Ok(unit
        .get("symbol")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|symbol| !symbol.is_empty())
        .map(str::to_owned))
}

/// `{datastream}/Observations` with the query for the newest observations, those after
/// `after` when given, combined with the configured `filter`.
pub(crate) fn observations_url(
    base: &Url,
    filter: Option<&str>,
    after: Option<OffsetDateTime>,
    top: usize,
) -> Result<Url, FeedError> {
    // The datastream URL's own query (an API key, say) stays, ahead of these options.
    let mut url = base.clone();
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| FeedError::BadUrl {
            url: base.to_string(),
            reason: "it cannot have a path below it".to_owned(),
        })?
        .pop_if_empty()
        .push("Observations");
    let after = match after {
        Some(time) => Some(format!(
            "phenomenonTime gt {}",
            time.format(&Rfc3339).map_err(|error| FeedError::BadTime {
                pointer: "phenomenonTime".to_owned(),
                found: error.to_string(),
            })?
        )),
        None => None,
    };
    let filter = match (filter.map(str::trim).filter(|f| !f.is_empty()), after) {
        (Some(configured), Some(after)) => Some(format!("({configured}) and ({after})")),
        (Some(configured), None) => Some(configured.to_owned()),
        (None, after) => after,
    };
    let top = top.to_string();
    let mut pairs = vec![
        ("$select", "phenomenonTime,result"),
        ("$orderby", "phenomenonTime desc"),
        ("$top", top.as_str()),
    ];
    if let Some(filter) = &filter {
        pairs.push(("$filter", filter));
    }
    Ok(with_query(&url, &pairs))
}

/// `url` with `pairs` appended to its query. The names are this module's own `$…` options,
/// written as the standard writes them; the values are percent-encoded.
fn with_query(url: &Url, pairs: &[(&str, &str)]) -> Url {
    let mut query = url.query().unwrap_or_default().to_owned();
    for (name, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.extend(utf8_percent_encode(value, QUERY_VALUE));
    }
    let mut url = url.clone();
    url.set_query(Some(&query));
    url
}

/// The page's `@iot.nextLink`, if any, once it is known to stay on the datastream's origin.
fn next_link(base: &Url, page: &Value) -> Result<Option<Url>, FeedError> {
    let link = match page.get("@iot.nextLink") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(link)) => link,
        Some(other) => {
            return Err(FeedError::BadUrl {
                url: json::describe(other),
                reason: "the server's @iot.nextLink is not a URL".to_owned(),
            });
        }
    };
    let bad = |reason: String| FeedError::BadUrl {
        url: link.clone(),
        reason,
    };
    // The standard makes it absolute; a relative one is read against the datastream.
    let next = base.join(link).map_err(|error| bad(error.to_string()))?;
    if !same_origin(base, &next) {
        return Err(bad(format!(
            "the server's next-page link leaves {}; only the datastream's own server is followed",
            base.origin().ascii_serialization()
        )));
    }
    Ok(Some(next))
}

/// One observation as a sample: its `result` at its `phenomenonTime`, the end of that time
/// when it is an interval (`start/end`), which is when the value was complete.
fn observation(item: &Value) -> Result<Sample, FeedError> {
    let member = |name: &str| {
        item.get(name).ok_or_else(|| FeedError::Missing {
            pointer: name.to_owned(),
        })
    };
    let time = match member("phenomenonTime")? {
        Value::String(text) => {
            let end = text.rsplit('/').next().unwrap_or(text);
            json::rfc3339(end, "phenomenonTime")?
        }
        other => json::time(other, "phenomenonTime")?,
    };
    let value = json::number(member("result")?, "result")?;
    Ok(Sample { time, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn base() -> Url {
        Url::parse("https://city.example/FROST-Server/v1.1/Datastreams(42)").expect("test URL")
    }

    #[test]
    fn the_first_query_asks_for_the_newest_observations() {
        let url = observations_url(&base(), None, None, 100).expect("url");
        assert_eq!(
            url.as_str(),
            "https://city.example/FROST-Server/v1.1/Datastreams(42)/Observations\
             ?$select=phenomenonTime%2Cresult&$orderby=phenomenonTime%20desc&$top=100"
        );
    }

    #[test]
    fn later_queries_filter_on_time_and_keep_the_configured_filter() {
        let after = Some(datetime!(2026-11-24 09:15:00 +08:00));
        let url = observations_url(&base(), Some("result lt 500"), after, 20).expect("url");
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(
            query.contains(&(
                "$filter".to_owned(),
                "(result lt 500) and (phenomenonTime gt 2026-11-24T09:15:00+08:00)".to_owned()
            )),
            "{query:?}"
        );
        // The offset's plus sign must not arrive as a space.
        assert!(url.as_str().contains("%2B08%3A00"), "{url}");
        assert!(!url.as_str().contains(' '), "{url}");
    }

    #[test]
    fn the_datastream_urls_own_query_is_kept() {
        let base = Url::parse("https://city.example/v1.1/Datastreams(7)?key=abc").expect("url");
        let url = observations_url(&base, None, None, 5).expect("url");
        assert!(
            url.as_str().starts_with(
                "https://city.example/v1.1/Datastreams(7)/Observations?key=abc&$select="
            ),
            "{url}"
        );
    }

    #[test]
    fn an_interval_counts_at_its_end_and_results_may_be_numeric_strings() {
        let item = json!({
            "phenomenonTime": "2026-11-24T09:00:00Z/2026-11-24T10:00:00Z",
            "result": "17.25"
        });
        assert_eq!(
            observation(&item),
            Ok(Sample {
                time: datetime!(2026-11-24 10:00 UTC),
                value: 17.25
            })
        );
    }

    #[test]
    fn broken_observations_are_named() {
        for (item, expected) in [
            (
                json!({"phenomenonTime": "2026-11-24T09:00:00Z", "result": {"a": 1}}),
                FeedError::WrongType {
                    pointer: "result".to_owned(),
                    found: "an object".to_owned(),
                },
            ),
            (
                json!({"phenomenonTime": "soon", "result": 1}),
                FeedError::BadTime {
                    pointer: "phenomenonTime".to_owned(),
                    found: "soon".to_owned(),
                },
            ),
            (
                json!({"result": 1}),
                FeedError::Missing {
                    pointer: "phenomenonTime".to_owned(),
                },
            ),
        ] {
            assert_eq!(observation(&item), Err(expected), "{item}");
        }
    }

    #[test]
    fn next_links_stay_on_the_datastreams_origin() {
        let page = |link: Value| json!({"value": [], "@iot.nextLink": link});
        assert_eq!(next_link(&base(), &json!({"value": []})), Ok(None));
        assert!(matches!(
            next_link(
                &base(),
                &page(json!(
                    "https://city.example/FROST-Server/v1.1/Datastreams(42)/Observations?$skip=100"
                ))
            ),
            Ok(Some(_))
        ));
        assert!(matches!(
            next_link(&base(), &page(json!("Observations?$skip=100"))),
            Ok(Some(_))
        ));
        for hostile in [
            json!("https://evil.example/steal"),
            json!("http://city.example/FROST-Server/v1.1/x"),
            json!("https://city.example:8443/x"),
            json!(42),
        ] {
            assert!(
                matches!(
                    next_link(&base(), &page(hostile.clone())),
                    Err(FeedError::BadUrl { .. })
                ),
                "{hostile}"
            );
        }
    }
}
