//! A feed that answers, fails, and answers again, watched through the hub as the client
//! watches it: the stale state appears with the last good value and clears with the new one.

use std::sync::{Arc, Mutex};

use agora_feeds::{Health, Sample};
use serde_json::json;
use time::macros::datetime;

use crate::server::{Reply, Server};
use crate::{Board, http_feed, quick_options};

#[test]
fn a_failing_feed_shows_stale_since_its_last_success_and_recovers() {
    let reply = Arc::new(Mutex::new(Reply::Json(
        json!({"reading": {"value": 1.5, "at": "2026-11-24T09:00:00+08:00"}}),
    )));
    let serving = reply.clone();
    let server = Server::start(move |_| serving.lock().expect("reply").clone());
    let set = |next: Reply| *reply.lock().expect("reply") = next;
    let mut board = Board::start(
        vec![http_feed(
            "traffic/flow",
            server.url("/flow"),
            "/reading/value",
            Some("/reading/at"),
        )],
        quick_options(10),
    );
    let first = Sample {
        time: datetime!(2026-11-24 09:00 +08:00),
        value: 1.5,
    };

    let live = board.wait(0, "live", |s| s.health == Health::Live);
    assert_eq!(live.samples, [first]);
    let first_success = live.updated.expect("a live feed says when it succeeded");

    set(Reply::Text(500, "Internal Server Error"));
    let stale = board.wait(0, "stale", |s| matches!(s.health, Health::Stale { .. }));
    let Health::Stale { since, error } = &stale.health else {
        unreachable!("waited for stale");
    };
    // Stale since the last success (a poll or two may have succeeded after the first), with
    // the last good value still shown.
    assert_eq!(*since, stale.updated);
    assert!(
        since.is_some_and(|since| since >= first_success),
        "{since:?}"
    );
    assert_eq!(error, "the server answered HTTP 500");
    assert_eq!(stale.samples, [first]);

    // Garbage keeps it stale, with the newer reason.
    set(Reply::Text(200, "<html>maintenance</html>"));
    let garbage = board.wait(
        0,
        "stale with garbage",
        |s| matches!(&s.health, Health::Stale { error, .. } if error.contains("not JSON")),
    );
    assert_eq!(garbage.updated, stale.updated);
    assert_eq!(garbage.samples, [first]);

    set(Reply::Json(
        json!({"reading": {"value": "2.5", "at": "2026-11-24T09:05:00+08:00"}}),
    ));
    let recovered = board.wait(0, "live again", |s| s.health == Health::Live);
    assert_eq!(
        recovered.samples,
        [
            first,
            Sample {
                time: datetime!(2026-11-24 09:05 +08:00),
                value: 2.5
            }
        ]
    );
    assert!(recovered.updated > stale.updated);
}
