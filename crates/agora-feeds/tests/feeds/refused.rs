//! URLs that are refused before any request is made: plain HTTP beyond this machine, and
//! schemes that are not HTTP at all. The hosts are reserved names and documentation addresses,
//! so even a mistake here could not reach anyone.

use agora_feeds::{FeedConfig, FeedError, Source, check};

use crate::{http_feed, quick_options};

#[test]
fn plain_http_beyond_loopback_is_refused_without_a_request() {
    let sensorthings = FeedConfig {
        name: "air".to_owned(),
        source: Source::SensorThings {
            datastream: "http://sensors.city.invalid/v1.1/Datastreams(1)".to_owned(),
            filter: None,
            every: 60,
            allow_plain_http: false,
        },
        unit: None,
    };
    let feeds = vec![
        http_feed(
            "named",
            "http://feeds.city.invalid/now".to_owned(),
            "/v",
            None,
        ),
        http_feed("address", "http://192.0.2.10/now".to_owned(), "/v", None),
        http_feed("v6", "http://[2001:db8::1]/now".to_owned(), "/v", None),
        sensorthings,
        http_feed("ftp", "ftp://feeds.city.invalid/now".to_owned(), "/v", None),
        http_feed("typo", "feeds.city.invalid/now".to_owned(), "/v", None),
    ];
    let results = check(&feeds, &quick_options(1));
    let plain = |url: &str| {
        Err(FeedError::PlainHttp {
            url: url.to_owned(),
        })
    };
    assert_eq!(results[0], plain("http://feeds.city.invalid/now"));
    assert_eq!(results[1], plain("http://192.0.2.10/now"));
    assert_eq!(results[2], plain("http://[2001:db8::1]/now"));
    assert_eq!(
        results[3],
        plain("http://sensors.city.invalid/v1.1/Datastreams(1)")
    );
    for result in &results[4..] {
        assert!(
            matches!(result, Err(FeedError::BadUrl { .. })),
            "{result:?}"
        );
    }
    // The message tells the operator what to do.
    let message = results[0].as_ref().expect_err("refused").to_string();
    assert!(message.contains("allow_plain_http"), "{message}");
}
