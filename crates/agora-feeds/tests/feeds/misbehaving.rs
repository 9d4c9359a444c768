//! Endpoints that misbehave: each gives its own error, none crashes or blocks anything, and a
//! good feed beside them stays live.

use std::time::Duration;

use agora_feeds::{FeedConfig, FeedError, Health, check};
use serde_json::json;

use crate::server::{Reply, Server};
use crate::{Board, http_feed, quick_options};

/// One endpoint: what it serves, and what a feed reading `/value` from it must report.
#[derive(Clone)]
struct Case {
    path: &'static str,
    reply: Reply,
    /// The time pointer the feed names, if any.
    time: Option<&'static str>,
    expected: Result<f64, FeedError>,
}

fn case(path: &'static str, reply: Reply, expected: Result<f64, FeedError>) -> Case {
    Case {
        path,
        reply,
        time: None,
        expected,
    }
}

/// Every case; `elsewhere` is another server, which no request may reach.
fn cases(elsewhere: &Server) -> Vec<Case> {
    let json = |value| Reply::Json(value);
    let wrong = |found: &str| {
        Err(FeedError::WrongType {
            pointer: "/value".to_owned(),
            found: found.to_owned(),
        })
    };
    let limit = quick_options(1).max_body_bytes;
    // Far longer than the client's timeout: it times out however slow the machine.
    let slow = Reply::Slow(
        Duration::from_secs(600),
        Box::new(json(json!({"value": 1}))),
    );
    vec![
        case("/good", json(json!({"value": 17.5})), Ok(17.5)),
        case(
            "/numeric-string",
            json(json!({"value": " 42.5 "})),
            Ok(42.5),
        ),
        case("/slow", slow, Err(FeedError::Timeout { seconds: 3 })),
        case(
            "/error",
            Reply::Text(500, "Internal Server Error"),
            Err(FeedError::Status { status: 500 }),
        ),
        case(
            "/huge",
            Reply::Huge(4 * 1024 * 1024),
            Err(FeedError::TooLarge { limit }),
        ),
        case(
            "/endless",
            Reply::Endless,
            Err(FeedError::TooLarge { limit }),
        ),
        case(
            "/na",
            json(json!({"value": "n/a"})),
            wrong(r#"a string "n/a""#),
        ),
        case(
            "/object",
            json(json!({"value": {"v": 1}})),
            wrong("an object"),
        ),
        case("/null", json(json!({"value": null})), wrong("null")),
        case(
            "/missing",
            json(json!({"reading": 3})),
            Err(FeedError::Missing {
                pointer: "/value".to_owned(),
            }),
        ),
        Case {
            time: Some("/time"),
            ..case(
                "/bad-time",
                json(json!({"value": 3, "time": "24/11/2026 09:00"})),
                Err(FeedError::BadTime {
                    pointer: "/time".to_owned(),
                    found: "24/11/2026 09:00".to_owned(),
                }),
            )
        },
        case(
            "/redirect-home",
            Reply::Redirect("/good".to_owned()),
            Ok(17.5),
        ),
        // A redirect to another origin is not followed; its status is the error.
        case(
            "/redirect-away",
            Reply::Redirect(elsewhere.url("/good")),
            Err(FeedError::Status { status: 302 }),
        ),
    ]
}

/// A server answering `cases` by path, and `other` for any other path.
fn serve(cases: &[Case], other: fn(&str) -> Reply) -> Server {
    let table = cases.to_vec();
    Server::start(move |request| {
        let case = table.iter().find(|case| case.path == request.path);
        case.map_or_else(|| other(&request.path), |case| case.reply.clone())
    })
}

fn feeds(cases: &[Case], server: &Server) -> Vec<FeedConfig> {
    cases
        .iter()
        .map(|case| http_feed(case.path, server.url(case.path), "/value", case.time))
        .collect()
}

/// Bodies that are not JSON at all.
fn garbage(path: &str) -> Reply {
    match path {
        "/html" => Reply::Text(200, "<html><body>Service unavailable</body></html>"),
        "/truncated" => Reply::Text(200, r#"{"value": 1"#),
        _ => Reply::Text(404, "not found"),
    }
}

#[test]
fn each_misbehaviour_gives_its_own_error() {
    let elsewhere = Server::start(|_| Reply::Json(json!({"value": 99})));
    let cases = cases(&elsewhere);
    let server = serve(&cases, garbage);
    let gone = Server::start(|_| Reply::Text(500, "never asked"));
    let gone_url = gone.url("/value");
    drop(gone);
    let mut feeds = feeds(&cases, &server);
    feeds.push(http_feed("html", server.url("/html"), "/value", None));
    feeds.push(http_feed(
        "truncated",
        server.url("/truncated"),
        "/value",
        None,
    ));
    feeds.push(http_feed("gone", gone_url, "/value", None));

    // All at once: the slow one does not hold up the others.
    let mut results: Vec<Result<f64, FeedError>> = check(&feeds, &quick_options(1))
        .into_iter()
        .map(|result| result.map(|reading| reading.latest.value))
        .collect();
    let gone = results.pop();
    let truncated = results.pop();
    let html = results.pop();
    for (case, got) in cases.iter().zip(&results) {
        assert_eq!(got, &case.expected, "{}", case.path);
    }
    for not_json in [html, truncated] {
        assert!(
            matches!(not_json, Some(Err(FeedError::NotJson(_)))),
            "{not_json:?}"
        );
    }
    // A server that is not there at all: the reason, in the words of the system below.
    match gone {
        Some(Err(FeedError::Network(reason))) => assert!(reason.contains("refused"), "{reason}"),
        other => panic!("expected a network error, got {other:?}"),
    }
    assert!(
        elsewhere.requests().is_empty(),
        "a redirect took the request to another server"
    );
}

#[test]
fn the_hub_survives_every_misbehaviour_and_keeps_the_good_feed_live() {
    let elsewhere = Server::start(|_| Reply::Json(json!({"value": 99})));
    let cases = cases(&elsewhere);
    let server = serve(&cases, garbage);
    let mut board = Board::start(feeds(&cases, &server), quick_options(10));
    for (index, case) in cases.iter().enumerate() {
        match &case.expected {
            Ok(value) => {
                let shown = board.wait(index, "live", |s| s.health == Health::Live);
                assert_eq!(
                    shown.latest().map(|s| s.value),
                    Some(*value),
                    "{}",
                    case.path
                );
            }
            Err(error) => {
                let shown =
                    board.wait(index, "stale", |s| matches!(s.health, Health::Stale { .. }));
                assert_eq!(
                    shown.health,
                    Health::Stale {
                        since: None,
                        error: error.to_string()
                    },
                    "{}",
                    case.path
                );
                assert!(shown.samples.is_empty(), "{}", case.path);
            }
        }
    }
    // And the good feed goes on being polled while the others fail around it.
    let good = board.wait(0, "polled again", |s| s.samples.len() >= 2);
    assert_eq!(good.health, Health::Live);
    assert_eq!(good.latest().map(|s| s.value), Some(17.5));
}
