//! Servers the feeds refuse to talk to: plain HTTP beyond this machine and schemes that are not
//! HTTP at all (refused before any request; the hosts are reserved names and documentation
//! addresses, so even a mistake here could not reach anyone), and HTTPS with a certificate no
//! authority vouches for.

use agora_feeds::{FeedConfig, FeedError, Source, check};
use serde_json::json;

use crate::server::{Reply, Server};
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

#[test]
fn a_certificate_no_authority_vouches_for_is_refused() {
    // A self-signed end-entity certificate for localhost and 127.0.0.1, valid until 2126, that
    // no system trusts, made with:
    //   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
    //     -subj "/O=Agora tests/CN=agora-feeds untrusted test server" \
    //     -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    //     -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
    //     -addext "extendedKeyUsage=serverAuth" -keyout untrusted-key.pem -out untrusted-cert.pem
    let server = Server::start_tls(
        include_bytes!("../data/untrusted-cert.pem"),
        include_bytes!("../data/untrusted-key.pem"),
        |_| Reply::Json(json!({"value": 1})),
    );
    let url = server.url("/value").replacen("http://", "https://", 1);
    let results = check(&[http_feed("tls", url, "/value", None)], &quick_options(1));
    match &results[0] {
        // (On a machine without any system roots, every https:// feed is refused up front.)
        Err(FeedError::Network(reason)) => assert!(
            reason.contains("invalid peer certificate")
                || reason.contains("no trusted certificate authorities"),
            "{reason}"
        ),
        other => panic!("expected the certificate to be refused, got {other:?}"),
    }
    assert!(server.requests().is_empty(), "a request went through");
}
