//! The HTTP client that every network feed of a hub shares: which URLs may be fetched at all,
//! TLS, time and size limits, and the mapping of every failure to a [`FeedError`].
//!
//! A feed's server is outside the program and may be slow, broken or hostile, so nothing it
//! sends is trusted: a request ends after [`Options::timeout`], a body is read only up to
//! [`Options::max_body_bytes`] (counted while it streams in, so an endless body costs no more
//! than the limit), redirects are followed only within the same origin, and plain `http://` is
//! refused for anything but loopback unless the feed's configuration allows it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{header, redirect};
use serde_json::Value;
use url::{Host, Url};

use crate::hub::Options;
use crate::model::FeedError;

/// The longest wait for a connection, whatever the request timeout: a server that does not
/// accept within this is down, and waiting longer only delays the retry.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many redirects within one origin are followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// How the program names itself to feed servers, so their operators can tell who is calling.
const USER_AGENT: &str = concat!("agora/", env!("CARGO_PKG_VERSION"), " (city feeds)");

/// The HTTP clients of one hub (or one check), with their limits.
pub(crate) struct Transport {
    /// For servers elsewhere, through the proxy the environment names (`HTTPS_PROXY`, …), if
    /// any. `Err` when no client could be built at all; every network fetch then reports it.
    client: Result<reqwest::Client, FeedError>,
    /// For this machine (loopback), never through a proxy: a proxy's idea of `localhost` is
    /// not ours.
    direct: Result<reqwest::Client, FeedError>,
    /// Why `https://` cannot be trusted on this machine (no system roots), if so; plain loopback
    /// HTTP still works then, which keeps a local test server and a developer's mock usable.
    tls_problem: Option<String>,
    timeout: Duration,
    max_body_bytes: usize,
}

impl Transport {
    /// Clients with `options`' limits. Never fails: a failure to build is kept and reported
    /// by each fetch, so simulated feeds run regardless.
    pub(crate) fn new(options: &Options) -> Transport {
        let (tls, tls_problem) = match platform_tls() {
            Ok(tls) => (Ok(tls), None),
            Err(problem) => (untrusting_tls(), Some(problem)),
        };
        let build = |proxied: bool| {
            let tls = tls.clone()?;
            let mut headers = header::HeaderMap::new();
            headers.insert(
                header::ACCEPT,
                header::HeaderValue::from_static("application/json"),
            );
            let builder = reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .user_agent(USER_AGENT)
                .default_headers(headers)
                .connect_timeout(CONNECT_TIMEOUT.min(options.timeout))
                .timeout(options.timeout)
                .redirect(same_origin_redirects());
            let builder = if proxied { builder } else { builder.no_proxy() };
            builder
                .build()
                .map_err(|error| FeedError::Network(format!("cannot set up HTTP: {error}")))
        };
        Transport {
            client: build(true),
            direct: build(false),
            tls_problem,
            timeout: options.timeout,
            max_body_bytes: options.max_body_bytes,
        }
    }

    /// GETs `url` and parses the answer as JSON, within the limits.
    pub(crate) async fn get_json(&self, url: &Url) -> Result<Value, FeedError> {
        let body = self.get(url).await?;
        serde_json::from_slice(&body).map_err(|error| FeedError::NotJson(error.to_string()))
    }

    async fn get(&self, url: &Url) -> Result<Vec<u8>, FeedError> {
        let local = url.host().is_some_and(|host| is_loopback(&host));
        let client = if local { &self.direct } else { &self.client };
        let client = client.as_ref().map_err(Clone::clone)?;
        if url.scheme() == "https"
            && let Some(problem) = &self.tls_problem
        {
            return Err(FeedError::Network(format!(
                "no trusted certificate authorities on this machine ({problem}); install the system's CA certificates"
            )));
        }
        let mut response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|error| self.failure(error))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FeedError::Status {
                status: status.as_u16(),
            });
        }
        let limit = self.max_body_bytes;
        let too_large = FeedError::TooLarge { limit };
        // A declared length over the limit is refused before reading anything; the count below
        // catches bodies that do not declare one, or declare it falsely.
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.failure(error))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn failure(&self, error: reqwest::Error) -> FeedError {
        if error.is_timeout() {
            // Rounded up, so a limit under a second does not read "within 0 s".
            let seconds = self.timeout.as_secs() + u64::from(self.timeout.subsec_nanos() > 0);
            return FeedError::Timeout { seconds };
        }
        // reqwest's own message is generic ("error sending request"); the causes under it say
        // what happened ("Connection refused"), so the operator sees the whole chain.
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !message.contains(&cause_text) {
                message.push_str(": ");
                message.push_str(&cause_text);
            }
            source = cause.source();
        }
        FeedError::Network(message)
    }
}

/// Parses a configured URL and applies the rules for which ones may be fetched: `https://`
/// always; `http://` to loopback (127.0.0.0/8, `::1`, `localhost`) always, elsewhere only with
/// `allow_plain_http`, since a city's numbers sent in the clear can be altered on the way;
/// nothing else.
pub(crate) fn checked_url(raw: &str, allow_plain_http: bool) -> Result<Url, FeedError> {
    let bad = |reason: &str| FeedError::BadUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(raw).map_err(|error| bad(&error.to_string()))?;
    let Some(host) = url.host() else {
        return Err(bad("it names no host"));
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_plain_http || is_loopback(&host) => Ok(url),
        "http" => Err(FeedError::PlainHttp {
            url: raw.to_owned(),
        }),
        _ => Err(bad("only https:// (or http:// to this machine) is fetched")),
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(address) => address.is_loopback(),
        Host::Ipv6(address) => {
            address.is_loopback()
                || address
                    .to_ipv4_mapped()
                    .is_some_and(|v4| IpAddr::V4(v4).is_loopback())
        }
    }
}

/// Whether `other` is on the same origin (scheme, host and port) as `base`.
pub(crate) fn same_origin(base: &Url, other: &Url) -> bool {
    base.origin() == other.origin()
}

/// Redirects are followed only to the same origin: a feed's configuration names the server it
/// trusts, and a redirect must not take the request (or the plain-HTTP permission) elsewhere.
/// A redirect that is not followed arrives as its 3xx status, which the fetch reports.
fn same_origin_redirects() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first() else {
            return attempt.stop();
        };
        if attempt.previous().len() > MAX_REDIRECTS || !same_origin(first, attempt.url()) {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// TLS through rustls with the `ring` provider, checking certificates against the system's
/// roots the way reqwest does by default (rustls-platform-verifier), so a city's own CA
/// installed on the machine is trusted. The provider is handed to this client alone rather
/// than installed process-wide, so nothing else in the program is affected.
fn platform_tls() -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|error| error.to_string())?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        // "dangerous" is rustls' name for any verifier other than its built-in one; this is the
        // platform's full chain and hostname check, not a relaxation.
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // reqwest sets ALPN itself only for the configurations it builds; these feeds speak HTTP/1.1.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

/// A TLS configuration that trusts no certificate, for a machine without system roots: the
/// client still serves plain loopback HTTP, and `https://` is refused with the reason above.
fn untrusting_tls() -> Result<rustls::ClientConfig, FeedError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| FeedError::Network(format!("cannot set up TLS: {error}")))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_urls_may_be_fetched() {
        let plain = |url: &str| FeedError::PlainHttp {
            url: url.to_owned(),
        };
        for (url, allow, expected) in [
            ("https://city.example/api", false, Ok(())),
            ("http://127.0.0.1:8080/x", false, Ok(())),
            ("http://127.9.9.9/x", false, Ok(())),
            ("http://localhost:3000/x", false, Ok(())),
            ("http://LOCALHOST/x", false, Ok(())),
            ("http://[::1]:8080/x", false, Ok(())),
            ("http://[::ffff:127.0.0.1]/x", false, Ok(())),
            ("http://city.example/x", true, Ok(())),
            (
                "http://city.example/x",
                false,
                Err(plain("http://city.example/x")),
            ),
            ("http://10.0.0.1/x", false, Err(plain("http://10.0.0.1/x"))),
            (
                "http://localhost.city.example/x",
                false,
                Err(plain("http://localhost.city.example/x")),
            ),
            ("http://[::2]/x", false, Err(plain("http://[::2]/x"))),
        ] {
            assert_eq!(checked_url(url, allow).map(|_| ()), expected, "{url}");
        }
        for url in [
            "ftp://city.example/x",
            "file:///etc/passwd",
            "city.example/x",
            "",
        ] {
            assert!(
                matches!(checked_url(url, true), Err(FeedError::BadUrl { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let url = |s: &str| Url::parse(s).expect("test URL");
        let base = url("https://city.example/v1.1/Datastreams(1)");
        assert!(same_origin(
            &base,
            &url("https://city.example:443/v1.1/x?$skip=5")
        ));
        assert!(!same_origin(&base, &url("http://city.example/v1.1/x")));
        assert!(!same_origin(&base, &url("https://city.example:8443/x")));
        assert!(!same_origin(&base, &url("https://elsewhere.example/x")));
    }

    #[test]
    fn the_client_builds_with_the_ring_provider() {
        let transport = Transport::new(&Options::default());
        assert!(transport.client.is_ok(), "{:?}", transport.client.err());
        assert!(transport.direct.is_ok(), "{:?}", transport.direct.err());
    }
}
