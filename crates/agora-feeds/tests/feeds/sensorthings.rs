//! A SensorThings v1.1 datastream served the way FROST-Server serves one: `$top` is the page
//! size (capped by the server), `$skip` pages, `@iot.nextLink` points at the next page, and
//! `$filter=phenomenonTime gt …` and `$orderby=phenomenonTime asc|desc` are honoured.

use std::sync::{Arc, Mutex};

use agora_feeds::{FeedConfig, FeedError, Health, Sample, Source, check};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::server::{Reply, Request, Server};
use crate::{Board, quick_options};

const DATASTREAM: &str = "/v1.1/Datastreams(7)";
const OBSERVATIONS: &str = "/v1.1/Datastreams(7)/Observations";

/// The most observations the server puts on one page, whatever `$top` asks.
const SERVER_PAGE: usize = 5;

/// One observation as served.
#[derive(Debug, Clone)]
struct Observation {
    /// The time the observation counts at (an interval's end).
    at: OffsetDateTime,
    /// `phenomenonTime` as served: an instant, or an interval ending at `at`.
    phenomenon_time: String,
    /// `result` as served: a number or a numeric string.
    result: Value,
    /// The value the client should show.
    value: f64,
}

/// `count` observations ten minutes apart from `start`, served in the shapes real services
/// use: plain numbers, numeric strings, and hour-long intervals.
fn observations(start: OffsetDateTime, first: usize, count: usize) -> Vec<Observation> {
    (first..first + count)
        .map(|i| {
            let at = start + Duration::minutes(10 * i as i64);
            let value = 20.0 + (i as f64) * 0.75;
            let time = |t: OffsetDateTime| t.format(&Rfc3339).expect("format");
            let phenomenon_time = if i % 3 == 1 {
                format!("{}/{}", time(at - Duration::hours(1)), time(at))
            } else {
                time(at)
            };
            let result = if i % 4 == 2 {
                json!(value.to_string())
            } else {
                json!(value)
            };
            Observation {
                at,
                phenomenon_time,
                result,
                value,
            }
        })
        .collect()
}

fn samples(observations: &[Observation]) -> Vec<Sample> {
    observations
        .iter()
        .map(|o| Sample {
            time: o.at,
            value: o.value,
        })
        .collect()
}

/// The service: answers the datastream and its observations out of `data`, paging at
/// `SERVER_PAGE`, with next-page links built by `link` (normally back to itself).
fn service(
    data: Arc<Mutex<Vec<Observation>>>,
    link: impl Fn(&Request, &[(&str, String)]) -> String + Send + Sync + 'static,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |request| match request.path.as_str() {
        DATASTREAM => Reply::Json(json!({
            "@iot.id": 7,
            "name": "PM2.5 at the plaza",
            "unitOfMeasurement": {
                "name": "microgram per cubic metre",
                "symbol": "µg/m³",
                "definition": "http://unitsofmeasure.org/ucum.html#para-30"
            }
        })),
        OBSERVATIONS => {
            let data = data.lock().expect("data");
            let after = request
                .param("$filter")
                .and_then(|filter| filter.split("phenomenonTime gt ").nth(1))
                .map(|rest| rest.trim_end_matches(')'))
                .map(|time| OffsetDateTime::parse(time, &Rfc3339).expect("a filter time"));
            let mut matching: Vec<&Observation> = data
                .iter()
                .filter(|o| after.is_none_or(|after| o.at > after))
                .collect();
            if request.param("$orderby") == Some("phenomenonTime desc") {
                matching.reverse();
            }
            let top: usize = request
                .param("$top")
                .map_or(100, |t| t.parse().expect("$top"));
            let skip: usize = request
                .param("$skip")
                .map_or(0, |s| s.parse().expect("$skip"));
            let size = top.min(SERVER_PAGE);
            let page: Vec<Value> = matching
                .iter()
                .skip(skip)
                .take(size)
                .map(|o| {
                    json!({
                        "@iot.id": o.at.unix_timestamp(),
                        "phenomenonTime": o.phenomenon_time,
                        "result": o.result,
                    })
                })
                .collect();
            let mut answer = json!({ "value": page });
            if skip + size < matching.len() {
                let mut query: Vec<(&str, String)> = request
                    .query
                    .iter()
                    .filter(|(name, _)| name != "$skip")
                    .map(|(name, value)| (name.as_str(), value.clone()))
                    .collect();
                query.push(("$skip", (skip + size).to_string()));
                answer["@iot.nextLink"] = json!(link(request, &query));
            }
            Reply::Json(answer)
        }
        _ => Reply::Text(
            404,
            r#"{"code":404,"type":"error","message":"Nothing found."}"#,
        ),
    }
}

/// A next-page link back to the server that answered.
fn same_server(request: &Request, query: &[(&str, String)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{}{}?{query}", request.origin, request.path)
}

fn datastream_feed(server: &Server, filter: Option<&str>) -> FeedConfig {
    FeedConfig {
        name: "air/pm25".to_owned(),
        source: Source::SensorThings {
            datastream: server.url(DATASTREAM),
            filter: filter.map(str::to_owned),
            every: 1,
            allow_plain_http: true,
            allow_private_network: true,
        },
        unit: None,
    }
}

fn observation_requests(server: &Server) -> Vec<Request> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == OBSERVATIONS)
        .collect()
}

#[test]
fn the_chart_shows_exactly_the_served_observations_and_then_only_newer_ones() {
    let start = datetime!(2026-11-24 00:00 UTC);
    let data = Arc::new(Mutex::new(observations(start, 0, 23)));
    let server = Server::start(service(data.clone(), same_server));
    let mut board = Board::start(
        vec![datastream_feed(&server, Some("result ge 0"))],
        quick_options(20),
    );

    // The newest 20 of 23, gathered from four pages of five (three next-page links followed),
    // oldest first, with the unit the datastream names.
    let first = board.wait(0, "live", |s| s.health == Health::Live);
    let served = data.lock().expect("data").clone();
    assert_eq!(first.samples, samples(&served[3..]));
    assert_eq!(first.unit.as_deref(), Some("µg/m³"));
    let paging: Vec<Option<String>> = observation_requests(&server)
        .iter()
        .take(4)
        .map(|r| r.param("$skip").map(str::to_owned))
        .collect();
    assert_eq!(
        paging,
        [None, Some("5".into()), Some("10".into()), Some("15".into())]
    );
    let opening = &observation_requests(&server)[0];
    assert_eq!(opening.param("$filter"), Some("result ge 0"));
    assert_eq!(opening.param("$orderby"), Some("phenomenonTime desc"));
    assert_eq!(opening.param("$select"), Some("phenomenonTime,result"));

    // Three more observations arrive; the next polls ask only for what is newer than the newest
    // held, and the chart moves on, still bounded at 20.
    data.lock()
        .expect("data")
        .extend(observations(start, 23, 3));
    let newest = start + Duration::minutes(10 * 25);
    let moved = board.wait(0, "showing the new observations", |s| {
        s.latest().map(|l| l.time) == Some(newest)
    });
    let served = data.lock().expect("data").clone();
    assert_eq!(moved.samples, samples(&served[6..]));
    assert_eq!(moved.health, Health::Live);

    let requests = observation_requests(&server);
    let expected_filter = "(result ge 0) and (phenomenonTime gt 2026-11-24T03:40:00Z)";
    assert!(
        requests
            .iter()
            .any(|r| r.param("$filter") == Some(expected_filter)),
        "no request asked only for newer observations: {requests:#?}"
    );
    assert!(
        requests[4..].iter().all(|r| r
            .param("$filter")
            .is_some_and(|f| f.contains("phenomenonTime gt"))),
        "a later poll asked for everything again: {requests:#?}"
    );
    // The unit is asked for once, not every poll.
    let described = server
        .requests()
        .iter()
        .filter(|r| r.path == DATASTREAM)
        .count();
    assert_eq!(described, 1);
}

#[test]
fn the_check_follows_next_links_until_the_pages_end() {
    let start = datetime!(2026-11-24 00:00 UTC);
    let data = Arc::new(Mutex::new(observations(start, 0, 23)));
    let server = Server::start(service(data.clone(), same_server));
    let results = check(&[datastream_feed(&server, None)], &quick_options(100));
    let reading = results[0].as_ref().expect("the datastream answers");
    let served = data.lock().expect("data").clone();
    assert_eq!(reading.count, 23);
    assert_eq!(reading.latest, samples(&served)[22]);
    assert_eq!(reading.unit.as_deref(), Some("µg/m³"));
    // Five pages: the first and four next-page links.
    assert_eq!(observation_requests(&server).len(), 5);
}

#[test]
fn a_next_link_to_another_server_is_not_followed() {
    let elsewhere = Server::start(|_| Reply::Json(json!({ "value": [] })));
    let elsewhere_origin = elsewhere.url("");
    let start = datetime!(2026-11-24 00:00 UTC);
    let data = Arc::new(Mutex::new(observations(start, 0, 12)));
    let server = Server::start(service(data, move |request, _| {
        format!("{elsewhere_origin}{}?$skip=5", request.path)
    }));
    let results = check(&[datastream_feed(&server, None)], &quick_options(100));
    match &results[0] {
        Err(FeedError::BadUrl { url, reason }) => {
            assert!(url.starts_with(&elsewhere.url("")), "{url}");
            assert!(reason.contains("leaves"), "{reason}");
        }
        other => panic!("expected the link to be refused, got {other:?}"),
    }
    assert!(
        elsewhere.requests().is_empty(),
        "the other server was called"
    );
}

#[test]
fn observations_without_a_usable_result_are_named() {
    let server = Server::start(|request| match request.path.as_str() {
        DATASTREAM => Reply::Json(json!({"name": "broken", "unitOfMeasurement": {}})),
        _ => Reply::Json(json!({ "value": [
            {"phenomenonTime": "2026-11-24T09:00:00Z", "result": "n/a"},
            {"phenomenonTime": "2026-11-24T08:50:00Z", "result": null},
        ]})),
    });
    let results = check(&[datastream_feed(&server, None)], &quick_options(10));
    assert_eq!(
        results[0],
        Err(FeedError::WrongType {
            pointer: "result".to_owned(),
            found: r#"a string "n/a""#.to_owned()
        })
    );
}

#[test]
fn a_url_that_is_not_a_datastream_says_so() {
    let server = Server::start(|_| Reply::Json(json!({"value": [{"name": "v1.1", "url": "…"}]})));
    let results = check(&[datastream_feed(&server, None)], &quick_options(10));
    assert_eq!(
        results[0],
        Err(FeedError::Missing {
            pointer: "/unitOfMeasurement".to_owned()
        })
    );
}
