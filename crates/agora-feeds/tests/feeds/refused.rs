//! Servers the feeds refuse to talk to: plain HTTP beyond this machine and schemes that are not
//! HTTP at all (refused before any request; the hosts are reserved names and documentation
//! addresses, so even a mistake here could not reach anyone), and HTTPS with a certificate no
//! authority vouches for.

use agora_feeds::{FeedConfig, FeedError, Source, check};
use serde_json::json;

use crate::server::{Reply, Server};
use crate::{feed_with, http_feed, public_feed, quick_options};

#[test]
fn plain_http_beyond_loopback_is_refused_without_a_request() {
    let sensorthings = FeedConfig {
        name: "air".to_owned(),
        source: Source::SensorThings {
            datastream: "http://sensors.city.invalid/v1.1/Datastreams(1)".to_owned(),
            filter: None,
            every: 60,
            allow_plain_http: false,
            allow_private_network: false,
        },
        unit: None,
    };
    let feeds = vec![
        public_feed("named", "http://feeds.city.invalid/now".to_owned()),
        public_feed("address", "http://192.0.2.10/now".to_owned()),
        public_feed("v6", "http://[2001:db8::1]/now".to_owned()),
        sensorthings,
        public_feed("ftp", "ftp://feeds.city.invalid/now".to_owned()),
        public_feed("typo", "feeds.city.invalid/now".to_owned()),
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
fn private_and_loopback_hosts_are_refused_unless_the_scene_allows_them() {
    let server = Server::start(|_| Reply::Json(json!({"v": 7})));
    let url = server.url("/now");
    let port = url
        .rsplit(':')
        .next()
        .and_then(|rest| rest.split('/').next())
        .expect("a port")
        .to_owned();
    // A name that DNS (here, the hub's pinned hosts) answers with this machine's address: as
    // a rebinding name would. Only a feed that allows private networks reaches it.
    let mut options = quick_options(1);
    options.hosts = vec![(
        "feeds.city.invalid".to_owned(),
        "127.0.0.1".parse().expect("ip"),
    )];
    let rebinding = format!("http://feeds.city.invalid:{port}/now");
    let plain_only = |name: &str, url: String| {
        let mut feed = feed_with(name, url, "/v", None, true);
        if let Source::Http {
            allow_private_network,
            ..
        } = &mut feed.source
        {
            *allow_private_network = false;
        }
        feed
    };
    let feeds = vec![
        plain_only("pinned name", rebinding.clone()),
        plain_only("address", url.clone()),
        public_feed("no permission at all", url.clone()),
        http_feed("allowed", rebinding.clone(), "/v", None),
    ];
    let results = check(&feeds, &options);
    match &results[0] {
        Err(FeedError::PrivateAddress { url, address }) => {
            assert_eq!(
                (url.as_str(), address.as_str()),
                (rebinding.as_str(), "127.0.0.1")
            );
        }
        other => panic!("a name resolving to this machine was fetched: {other:?}"),
    }
    assert!(
        matches!(&results[1], Err(FeedError::PrivateAddress { address, .. }) if address == "127.0.0.1"),
        "{:?}",
        results[1]
    );
    assert_eq!(results[2], Err(FeedError::PlainHttp { url: url.clone() }));
    let message = results[0].as_ref().expect_err("refused").to_string();
    assert!(message.contains("allow_private_network"), "{message}");
    // Nothing reached the server until a feed was allowed to.
    let reading = results[3].as_ref().expect("the allowed feed reads");
    assert_eq!(reading.count, 1);
    assert_eq!(
        server.requests().len(),
        1,
        "only the allowed feed's request"
    );
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
