//! An outside system on loopback, as a module's connection reaches it: it
//! keeps every request (method, path, query, headers, body), refuses the
//! first few with 503 when asked, and has a few paths that behave badly
//! on purpose: `/echo` answers with what it was sent, `/slow` answers
//! late, `/big` answers 2 MiB, `/reject` refuses for good (400),
//! `/bounce-out` redirects outside the connection's base address and
//! `/bounce-in` below it. Documents it is given to serve (`serve`) are
//! answered as they are, and paths it is told it has not (`missing`)
//! with 404.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// A request the outside system received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The method.
    pub method: String,
    /// The path (below the server's root).
    pub path: String,
    /// The query string, as sent.
    pub query: Option<String>,
    /// The headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// What it was answered.
    pub status: u16,
}

impl Received {
    /// The first header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    refuse: usize,
    /// Documents served by path: media type and content.
    documents: std::collections::HashMap<String, (String, String)>,
    /// Paths answered 404 (unless a document is served there).
    missing: std::collections::HashSet<String>,
}

/// The outside system.
#[derive(Clone)]
pub struct Outside {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Outside {
    /// Starts it; it refuses the first `refuse` requests to ordinary
    /// paths with 503.
    pub async fn start(refuse: usize) -> Outside {
        let inner = Arc::new(Mutex::new(Inner {
            refuse,
            ..Inner::default()
        }));
        let listener = crate::listener().await;
        let addr = listener.local_addr().expect("a local address");
        let app = Router::new()
            .fallback(answer)
            .with_state((inner.clone(), addr));
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Outside { addr, inner }
    }

    /// Its address, e.g. `http://127.0.0.1:40123`, with `path` after it.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Refuses the next `n` requests to ordinary paths with 503.
    pub fn refuse(&self, n: usize) {
        self.inner.lock().expect("not poisoned").refuse = n;
    }

    /// Serves `content` of `media_type` at `path` from now on.
    pub fn serve(&self, path: &str, media_type: &str, content: &str) {
        self.inner
            .lock()
            .expect("not poisoned")
            .documents
            .insert(path.to_owned(), (media_type.to_owned(), content.to_owned()));
    }

    /// Answers 404 at `path` (until a document is served there).
    pub fn missing(&self, path: &str) {
        self.inner
            .lock()
            .expect("not poisoned")
            .missing
            .insert(path.to_owned());
    }

    /// Every request received, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("not poisoned").received.clone()
    }

    /// The requests answered 2xx, oldest first.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    /// Waits up to `within` until `n` requests were answered 2xx.
    pub async fn wait_for_accepted(&self, n: usize, within: Duration) -> Vec<Received> {
        let until = std::time::Instant::now() + within;
        loop {
            let got = self.accepted();
            if got.len() >= n || std::time::Instant::now() > until {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn answer(
    State((inner, addr)): State<(Arc<Mutex<Inner>>, SocketAddr)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let served = inner
        .lock()
        .expect("not poisoned")
        .documents
        .get(&path)
        .cloned();
    let (status, response) = match path.rsplit('/').next().unwrap_or_default() {
        _ if served.is_some() => {
            let (media_type, content) = served.unwrap_or_default();
            (
                200,
                ([("content-type", media_type)], content).into_response(),
            )
        }
        _ if inner.lock().expect("not poisoned").missing.contains(&path) => {
            (404, (StatusCode::NOT_FOUND, "no such file").into_response())
        }
        "echo" => {
            let echoed = serde_json::json!({
                "method": method.as_str(),
                "path": path,
                "query": uri.query(),
                "headers": headers.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
                "body": String::from_utf8_lossy(&body),
            });
            (200, axum::Json(echoed).into_response())
        }
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (200, "late".into_response())
        }
        "big" => (200, vec![b'x'; 2 * 1024 * 1024].into_response()),
        "reject" => (
            400,
            (StatusCode::BAD_REQUEST, "not a message we take").into_response(),
        ),
        "bounce-out" => (
            302,
            (
                StatusCode::FOUND,
                [("location", "http://127.0.0.2:9/stolen".to_owned())],
            )
                .into_response(),
        ),
        "bounce-in" => (
            302,
            (
                StatusCode::FOUND,
                [("location", format!("http://{addr}/api/echo"))],
            )
                .into_response(),
        ),
        _ => {
            let mut i = inner.lock().expect("not poisoned");
            if i.refuse > 0 {
                i.refuse -= 1;
                (
                    503,
                    (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response(),
                )
            } else {
                (200, (StatusCode::OK, "accepted").into_response())
            }
        }
    };
    inner.lock().expect("not poisoned").received.push(Received {
        method: method.as_str().to_owned(),
        path,
        query: uri.query().map(str::to_owned),
        headers,
        body: body.to_vec(),
        status,
    });
    response
}

/// The Python with the pinned peers of the connections (`standardwebhooks`,
/// `capvalidator`), as `cargo xtask test` installs them.
pub fn connection_python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("CONNECTION_PYTHON") {
        return p.into();
    }
    let venv = crate::repo_root().join("target/connection-venv/bin/python");
    assert!(
        venv.exists(),
        "the connections' peers are not installed: run `cargo xtask test`, which installs them"
    );
    venv
}

/// A certificate authority of a test's own, the certificate of an outside
/// system on `localhost` and a client's, all signed by it, in PEM.
pub struct TestPki {
    /// The authority's certificate.
    pub ca: String,
    /// The outside system's certificate and key (DER, for the server).
    server: (Vec<u8>, Vec<u8>),
    /// The authority's certificate, DER, to check clients by.
    ca_der: Vec<u8>,
    /// The client's certificate.
    pub client_certificate: String,
    /// The client's private key.
    pub client_key: String,
}

impl TestPki {
    /// Makes them.
    pub fn new() -> TestPki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        };
        let ca_key = KeyPair::generate().expect("a key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("parameters");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Certifikační autorita IZS (test)");
        let ca = ca_params.self_signed(&ca_key).expect("the authority");
        let server_key = KeyPair::generate().expect("a key");
        let server = CertificateParams::new(vec!["localhost".to_owned()])
            .expect("parameters")
            .signed_by(&server_key, &ca, &ca_key)
            .expect("the server's certificate");
        let client_key = KeyPair::generate().expect("a key");
        let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("parameters");
        client_params
            .distinguished_name
            .push(DnType::CommonName, "Dispečink zimní údržby");
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client_params
            .signed_by(&client_key, &ca, &ca_key)
            .expect("the client's certificate");
        TestPki {
            ca: ca.pem(),
            ca_der: ca.der().to_vec(),
            server: (server.der().to_vec(), server_key.serialize_der()),
            client_certificate: client.pem(),
            client_key: client_key.serialize_pem(),
        }
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

/// An outside system on `localhost` over TLS with `pki`'s certificate,
/// which asks every client for a certificate its authority signed. It
/// answers every request `200` with whether the client presented one.
/// Its address is `https://localhost:<port>`.
pub async fn start_mutual_tls(pki: &TestPki) -> String {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.ca_der.clone()))
        .expect("the authority");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("a client verifier");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(pki.server.0.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server.1.clone())),
        )
        .expect("the server's certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = crate::listener().await;
    let port = listener.local_addr().expect("a local address").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client without a certificate fails here, in the handshake.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let presented = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .is_some_and(|c| !c.is_empty());
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let body = format!("client certificate presented: {presented}");
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                tls.write_all(answer.as_bytes()).await.ok();
                tls.shutdown().await.ok();
            });
        }
    });
    format!("https://localhost:{port}")
}
