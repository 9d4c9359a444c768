//! The HTTP client that every network feed of a hub shares: which URLs may be fetched at all,
//! TLS, time and size limits, and the mapping of every failure to a [`FeedError`].
//!
//! A feed's server is outside the program and may be slow, broken or hostile, so nothing it
//! sends is trusted: a request ends after [`Options::timeout`], a body is read only up to
//! [`Options::max_body_bytes`] (counted while it streams in, so an endless body costs no more
//! than the limit), redirects are followed only within the same origin, and plain `http://` is
//! refused for anything but loopback unless the feed's configuration allows it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
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

/// What a feed may reach beyond `https://` servers on the public internet, as its
/// configuration says: `allow_plain_http` and `allow_private_network`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Reach {
    /// Plain `http://` (to any host, this machine included).
    pub(crate) plain_http: bool,
    /// Hosts on a private network, this machine, or link-local addresses.
    pub(crate) private_network: bool,
}

/// The HTTP clients of one hub (or one check), with their limits.
pub(crate) struct Transport {
    /// For public servers, through the proxy the environment names (`HTTPS_PROXY`, …), if
    /// any; every name it resolves must be a public address. `Err` when no client could be
    /// built at all; every network fetch then reports it.
    client: Result<reqwest::Client, FeedError>,
    /// For feeds that may reach private networks and this machine, never through a proxy: a
    /// proxy's idea of `localhost`, or of the city's internal names, is not ours.
    direct: Result<reqwest::Client, FeedError>,
    /// Why `https://` cannot be trusted on this machine (no system roots), if so; plain
    /// HTTP to an allowed local server still works then.
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
        let build = |public_only: bool| {
            let tls = tls.clone()?;
            let mut headers = header::HeaderMap::new();
            headers.insert(
                header::ACCEPT,
                header::HeaderValue::from_static("application/json"),
            );
            let resolver = Resolver {
                hosts: options.hosts.clone(),
                public_only,
                proxies: if public_only {
                    proxy_hosts()
                } else {
                    Vec::new()
                },
            };
            let builder = reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .user_agent(USER_AGENT)
                .default_headers(headers)
                .connect_timeout(CONNECT_TIMEOUT.min(options.timeout))
                .timeout(options.timeout)
                .redirect(same_origin_redirects())
                .dns_resolver(Arc::new(resolver));
            let builder = if public_only {
                builder
            } else {
                builder.no_proxy()
            };
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

    /// GETs `url` (checked with [`checked_url`] for `reach`) and parses the answer as JSON,
    /// within the limits.
    pub(crate) async fn get_json(&self, url: &Url, reach: Reach) -> Result<Value, FeedError> {
        let body = self.get(url, reach).await?;
        serde_json::from_slice(&body).map_err(|error| FeedError::NotJson(error.to_string()))
    }

    async fn get(&self, url: &Url, reach: Reach) -> Result<Vec<u8>, FeedError> {
        let client = if reach.private_network {
            &self.direct
        } else {
            &self.client
        };
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
            .map_err(|error| self.failure(url, error))?;
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
            .map_err(|error| self.failure(url, error))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn failure(&self, url: &Url, error: reqwest::Error) -> FeedError {
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
            if let Some(private) = cause.downcast_ref::<NotPublic>() {
                return FeedError::PrivateAddress {
                    url: url.to_string(),
                    address: private.0.to_string(),
                };
            }
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
/// to public hosts always; plain `http://` only with `allow_plain_http`, since a city's
/// numbers sent in the clear can be altered on the way (this machine included: it is as
/// explicit a choice as any other); hosts on a private network, this machine (`localhost`,
/// 127.0.0.0/8, `::1`) or link-local addresses only with `allow_private_network`. A name is
/// checked again where it is resolved, on every connection, so DNS cannot rebind it to a
/// private address either. Nothing but `http` and `https`.
pub(crate) fn checked_url(raw: &str, reach: Reach) -> Result<Url, FeedError> {
    let bad = |reason: &str| FeedError::BadUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(raw).map_err(|error| bad(&error.to_string()))?;
    // The URL standard reads `https:///air` as the host `air`; a scene that wrote it meant
    // something else.
    let written_host = raw.split_once("://").map_or("", |(_, rest)| rest);
    let Some(host) = url.host().filter(|_| !written_host.starts_with('/')) else {
        return Err(bad("it names no host"));
    };
    match url.scheme() {
        "https" => {}
        "http" if reach.plain_http => {}
        "http" => {
            return Err(FeedError::PlainHttp {
                url: raw.to_owned(),
            });
        }
        _ => return Err(bad("only https:// (or, where allowed, http://) is fetched")),
    }
    let private = match host {
        Host::Domain(name) => name
            .eq_ignore_ascii_case("localhost")
            .then(|| name.to_owned()),
        Host::Ipv4(address) => (!is_public(IpAddr::V4(address))).then(|| address.to_string()),
        Host::Ipv6(address) => (!is_public(IpAddr::V6(address))).then(|| address.to_string()),
    };
    match private {
        Some(address) if !reach.private_network => Err(FeedError::PrivateAddress {
            url: raw.to_owned(),
            address,
        }),
        _ => Ok(url),
    }
}

/// Whether `address` is one anyone on the internet could reach: not this machine, not a
/// private network (RFC 1918, RFC 6598's shared space, IPv6 unique-local), not link-local,
/// not unspecified, broadcast, multicast or reserved.
pub(crate) fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
                    // fec0::/10, the deprecated site-local range.
                    || (v6.segments()[0] & 0xffc0) == 0xfec0)
            }
        },
    }
}

/// A name resolved to an address a feed may not reach: the resolver's refusal, recognised in
/// the error chain and reported as [`FeedError::PrivateAddress`].
#[derive(Debug)]
struct NotPublic(IpAddr);

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "it resolves to {}, which is not a public address",
            self.0
        )
    }
}

impl std::error::Error for NotPublic {}

/// The clients' resolver: the names [`Options::hosts`] pins, else the system's; for the
/// public client, every address must be public (the proxies the environment names excepted,
/// which the operator chose).
struct Resolver {
    hosts: Vec<(String, IpAddr)>,
    public_only: bool,
    proxies: Vec<String>,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let name = name.as_str().to_ascii_lowercase();
        let pinned: Vec<IpAddr> = self
            .hosts
            .iter()
            .filter(|(host, _)| host.eq_ignore_ascii_case(&name))
            .map(|(_, address)| *address)
            .collect();
        let check = self.public_only && !self.proxies.contains(&name);
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = if pinned.is_empty() {
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect()
            } else {
                pinned.iter().map(|ip| SocketAddr::new(*ip, 0)).collect()
            };
            if check && let Some(private) = addresses.iter().find(|a| !is_public(a.ip())) {
                return Err(
                    Box::new(NotPublic(private.ip())) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The hosts of the proxies the environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
/// either case), lowercased: the public client resolves them, and they may be private.
fn proxy_hosts() -> Vec<String> {
    ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"]
        .iter()
        .flat_map(|name| [name.to_string(), name.to_ascii_lowercase()])
        .filter_map(|name| std::env::var(name).ok())
        .filter_map(|value| {
            let value = if value.contains("://") {
                value
            } else {
                format!("http://{value}")
            };
            Url::parse(&value)
                .ok()?
                .host_str()
                .map(str::to_ascii_lowercase)
        })
        .collect()
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
        let private = |url: &str, address: &str| FeedError::PrivateAddress {
            url: url.to_owned(),
            address: address.to_owned(),
        };
        let open = Reach {
            plain_http: true,
            private_network: true,
        };
        let https_only = Reach::default();
        let plain_only = Reach {
            plain_http: true,
            private_network: false,
        };
        for (url, reach, expected) in [
            ("https://city.example/api", https_only, Ok(())),
            ("http://127.0.0.1:8080/x", open, Ok(())),
            ("http://localhost:3000/x", open, Ok(())),
            ("http://[::1]:8080/x", open, Ok(())),
            ("http://city.example/x", plain_only, Ok(())),
            ("https://10.0.0.1/x", open, Ok(())),
            // Plain HTTP to this machine is a choice like any other now.
            (
                "http://127.0.0.1:8080/x",
                https_only,
                Err(plain("http://127.0.0.1:8080/x")),
            ),
            (
                "http://city.example/x",
                https_only,
                Err(plain("http://city.example/x")),
            ),
            (
                "http://127.9.9.9/x",
                plain_only,
                Err(private("http://127.9.9.9/x", "127.9.9.9")),
            ),
            (
                "http://LOCALHOST/x",
                plain_only,
                Err(private("http://LOCALHOST/x", "localhost")),
            ),
            (
                "https://[::ffff:127.0.0.1]/x",
                https_only,
                Err(private("https://[::ffff:127.0.0.1]/x", "::ffff:127.0.0.1")),
            ),
            (
                "https://10.0.0.1/x",
                https_only,
                Err(private("https://10.0.0.1/x", "10.0.0.1")),
            ),
            (
                "https://169.254.169.254/latest",
                https_only,
                Err(private("https://169.254.169.254/latest", "169.254.169.254")),
            ),
            (
                "https://[fd00::1]/x",
                https_only,
                Err(private("https://[fd00::1]/x", "fd00::1")),
            ),
            ("https://localhost.city.example/x", https_only, Ok(())),
        ] {
            assert_eq!(checked_url(url, reach).map(|_| ()), expected, "{url}");
        }
        for url in [
            "ftp://city.example/x",
            "file:///etc/passwd",
            "city.example/x",
            "",
        ] {
            assert!(
                matches!(checked_url(url, open), Err(FeedError::BadUrl { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn only_addresses_anyone_could_reach_are_public() {
        for (address, public) in [
            ("93.184.216.34", true),
            ("2606:4700::1111", true),
            ("127.0.0.1", false),
            ("10.2.3.4", false),
            ("172.16.0.1", false),
            ("172.32.0.1", true),
            ("192.168.1.1", false),
            ("100.64.0.1", false),
            ("100.128.0.1", true),
            ("169.254.169.254", false),
            ("0.0.0.0", false),
            ("255.255.255.255", false),
            ("224.0.0.1", false),
            ("240.0.0.1", false),
            ("::1", false),
            ("::", false),
            ("fc00::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:93.184.216.34", true),
        ] {
            let ip: IpAddr = address.parse().expect("an address");
            assert_eq!(is_public(ip), public, "{address}");
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
