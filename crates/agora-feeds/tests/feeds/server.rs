//! A real HTTP/1.1 server (or HTTPS, with a given certificate) on 127.0.0.1, on an ephemeral
//! port, answering as each test tells it: well, slowly, with errors, with endless bodies or
//! with garbage. It records every request, and stops when dropped.

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The path, e.g. `/v1.1/Datastreams(7)/Observations`.
    pub path: String,
    /// The query's pairs, decoded.
    pub query: Vec<(String, String)>,
    /// The server's own origin, `http://127.0.0.1:PORT`, for links back to it.
    pub origin: String,
}

impl Request {
    /// The decoded value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// How to answer a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this JSON.
    Json(Value),
    /// This status, with this body.
    Text(u16, &'static str),
    /// The inner reply, after a delay.
    Slow(Duration, Box<Reply>),
    /// 200 with a body of this many bytes, declared in Content-Length.
    Huge(usize),
    /// 200 with a chunked body that declares no length and goes on for 64 MiB.
    Endless,
    /// 302 to this location.
    Redirect(String),
}

/// A running test server.
pub struct Server {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server that answers every request with `answer`.
    pub fn start(answer: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_with(None, Arc::new(answer))
    }

    /// Starts an HTTPS server presenting the PEM certificate `cert` (with its key `key`).
    pub fn start_tls(
        cert: &[u8],
        key: &[u8],
        answer: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<Vec<_>, _>>()
            .expect("a PEM certificate");
        let key = PrivateKeyDer::from_pem_slice(key).expect("a PEM key");
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("the certificate and key");
        Server::start_with(Some(TlsAcceptor::from(Arc::new(config))), Arc::new(answer))
    }

    fn start_with(tls: Option<TlsAcceptor>, answer: Arc<Answer>) -> Server {
        // Bound here, on the test's thread, so the address is known before the first request.
        let listener = StdListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let address = listener.local_addr().expect("the bound address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = oneshot::channel();
        let recorded = requests.clone();
        let thread = thread::spawn(move || serve(listener, tls, answer, recorded, stopped));
        Server {
            address,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("request log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Answer = dyn Fn(&Request) -> Reply + Send + Sync;

fn serve(
    listener: StdListener,
    tls: Option<TlsAcceptor>,
    answer: Arc<Answer>,
    requests: Arc<Mutex<Vec<Request>>>,
    mut stopped: oneshot::Receiver<()>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the test server's runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        loop {
            let stream = tokio::select! {
                _ = &mut stopped => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
            };
            let (answer, requests, origin) = (answer.clone(), requests.clone(), origin.clone());
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let request = Request {
                    path: request.uri().path().to_owned(),
                    query: url::form_urlencoded::parse(
                        request.uri().query().unwrap_or_default().as_bytes(),
                    )
                    .into_owned()
                    .collect(),
                    origin: origin.clone(),
                };
                requests.lock().expect("request log").push(request.clone());
                let reply = answer(&request);
                async move { Ok::<_, Infallible>(respond(reply).await) }
            });
            let tls = tls.clone();
            // A client that gives up (a timeout, a body over its limit, a certificate it does
            // not trust) ends the connection early; that is the point of several tests.
            tokio::spawn(async move {
                let http = hyper::server::conn::http1::Builder::new();
                match tls {
                    None => {
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                    Some(tls) => {
                        if let Ok(stream) = tls.accept(stream).await {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                }
            });
        }
    });
}

async fn respond(mut reply: Reply) -> Response<BoxBody<Bytes, Infallible>> {
    while let Reply::Slow(delay, inner) = reply {
        tokio::time::sleep(delay).await;
        reply = *inner;
    }
    let (status, body) = match reply {
        Reply::Json(value) => (200, full(value.to_string())),
        Reply::Text(status, text) => (status, full(text.to_owned())),
        Reply::Huge(bytes) => (200, full(" ".repeat(bytes))),
        Reply::Endless => (
            200,
            Endless {
                left: 64 * 1024 * 1024,
            }
            .boxed(),
        ),
        Reply::Redirect(location) => {
            let mut response = Response::new(full(String::new()));
            *response.status_mut() = StatusCode::FOUND;
            if let Ok(location) = location.parse() {
                response.headers_mut().insert("location", location);
            }
            return response;
        }
        Reply::Slow(..) => unreachable!("unwrapped above"),
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).expect("a test status");
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    response
}

fn full(text: String) -> BoxBody<Bytes, Infallible> {
    Full::new(Bytes::from(text)).boxed()
}

/// A body sent in chunks without a declared length, as a server streaming garbage would.
struct Endless {
    left: usize,
}

static CHUNK: [u8; 16 * 1024] = [b' '; 16 * 1024];

impl Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let size = self.left.min(CHUNK.len());
        self.left -= size;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK[..size])))))
    }
}
