//! Connections to systems outside the portal, as the host makes them: an
//! HTTP client per connection set up in an organization (rustls with the
//! platform's roots and the connection's extra authority, its client
//! certificate, its timeout, redirects followed only below its base
//! address), the credential added to every request and struck out of
//! every answer, the answer read up to its cap, a rate limit per
//! connection, the connection's health and figures for the metrics. The
//! same [`Connectors`] send a module's calls and the courier's deliveries,
//! and check the signatures of webhooks coming in (Standard Webhooks:
//! HMAC-SHA256 over the message's id, timestamp and body).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use portico_platform::connections::{self as stored, Credential, Outgoing, Setup};
use portico_platform::{PlatformError, connections};
use reqwest::Url;
use sea_orm::DatabaseConnection;
use sha2::Sha256;

/// What identifies a connection: organization, module, name.
pub type ConnectionKey = (String, String, String);

/// The longest a request through a connection may take, whatever is set.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest answer a connection may be set to take.
pub const MAX_RESPONSE_CAP: u64 = 16 * 1024 * 1024;

/// The largest webhook body taken, in bytes.
pub const MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// How far a webhook's timestamp may be from now, either way.
pub const WEBHOOK_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// How long a connection's client is used before its set-up is read
/// again (a change on this host is seen at once).
const CLIENT_TTL: Duration = Duration::from_secs(10);

/// What a text in place of the credential reads.
const REDACTED: &str = "[redacted]";

/// Why a request through a connection did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// The connection is not set up in the organization, or the request
    /// would leave it.
    #[error("{0}")]
    Forbidden(String),
    /// The system could not be reached, did not answer in time or
    /// answered too much.
    #[error("{0}")]
    Unavailable(String),
    /// The connection's rate limit is reached: nothing was sent; it may
    /// be sent after the wait.
    #[error("{0}")]
    Limited(String, Duration),
    /// The platform failed.
    #[error("{0}")]
    Internal(String),
}

impl From<PlatformError> for ConnectionError {
    fn from(e: PlatformError) -> Self {
        ConnectionError::Internal(e.to_string())
    }
}

/// An answer from an outside system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its status.
    pub status: u16,
    /// Its headers, lower-case names, without `set-cookie`.
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Vec<u8>,
}

/// Why a set-up cannot be used: the field, and what is wrong with it in
/// English and in Czech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupProblem {
    /// The field: `base_url`, `credential`, `secret`, `certificate`,
    /// `extra_ca`, `timeout`, `max_response_bytes`, `rate_per_minute`.
    pub field: &'static str,
    /// What is wrong, in English.
    pub en: String,
    /// The same in Czech.
    pub cs: String,
}

impl SetupProblem {
    fn new(field: &'static str, en: impl Into<String>, cs: impl Into<String>) -> SetupProblem {
        SetupProblem {
            field,
            en: en.into(),
            cs: cs.into(),
        }
    }

    /// What is wrong, in `lang` (Czech, or English for any other).
    pub fn message(&self, lang: &str) -> &str {
        if lang == "cs" { &self.cs } else { &self.en }
    }
}

impl std::fmt::Display for SetupProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {}", self.field, self.en)
    }
}

/// Where connections may reach: every public address, and the private
/// ones (this machine, the local networks) only in ranges the portal's
/// operator allows (`--connections-may-reach`). An organization's
/// administrator sets a connection's address; without this, one could
/// point it at the portal's own neighbours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// The private ranges allowed.
    pub private: Vec<ipnet::IpNet>,
}

impl Reach {
    /// Whether a connection may reach `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.private.iter().any(|n| n.contains(&ip))
    }
}

/// Whether `ip` is an address of the public internet: not this machine,
/// a local network, link-local, shared (100.64/10), documentation,
/// multicast or unspecified.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The names of the host resolved, keeping only the addresses `reach`
/// allows: a name that leads only to a private address (or is made to,
/// later) is never connected to.
struct Resolver(Reach);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| reach.allows(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "`{host}` leads to no address the portal may reach (its operator allows \
                     private ones with --connections-may-reach)"
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A set-up the host can use, or why it cannot: the base address, the
/// certificates and the limits are checked here before they are stored,
/// for the console and the command line alike.
pub fn check_setup(setup: &Setup, webhook: bool, reach: &Reach) -> Result<(), SetupProblem> {
    if webhook {
        if !matches!(setup.credential, Credential::Hmac { .. }) {
            return Err(SetupProblem::new(
                "credential",
                "must be a shared secret: a webhook connection is checked by its signature",
                "musí být sdílené tajemství: webhook se ověřuje podpisem",
            ));
        }
    } else {
        let Some(url) = &setup.base_url else {
            return Err(SetupProblem::new(
                "base_url",
                "is needed: where the system is",
                "je třeba: kde systém je",
            ));
        };
        base_url(url, reach)?;
    }
    if let Credential::Hmac { secret } = &setup.credential {
        hmac_key(secret)?;
    }
    if setup.timeout.is_zero() || setup.timeout > MAX_TIMEOUT {
        let s = MAX_TIMEOUT.as_secs();
        return Err(SetupProblem::new(
            "timeout",
            format!("must be from 1 ms to {s} s"),
            format!("musí být od 1 ms do {s} s"),
        ));
    }
    if setup.max_response_bytes == 0 || setup.max_response_bytes > MAX_RESPONSE_CAP {
        let kib = MAX_RESPONSE_CAP / 1024;
        return Err(SetupProblem::new(
            "max_response_bytes",
            format!("must be from 1 to {kib} KiB"),
            format!("musí být od 1 do {kib} KiB"),
        ));
    }
    if setup.rate_per_minute == 0 {
        return Err(SetupProblem::new(
            "rate_per_minute",
            "must be at least 1",
            "musí být alespoň 1",
        ));
    }
    if !webhook {
        client(setup, reach)?;
    }
    Ok(())
}

/// A new shared secret for a webhook connection, as Standard Webhooks
/// writes one: `whsec_` and the base64 of 32 random bytes.
pub fn new_webhook_secret() -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bytes = URL_SAFE_NO_PAD
        .decode(portico_platform::random_token())
        .unwrap_or_default();
    format!("whsec_{}", BASE64.encode(bytes))
}

/// A base address a connection may have: `https://`, or `http://` on
/// this machine only (a credential never crosses a network in clear), an
/// address `reach` allows, no user, query or fragment. Ends with `/`, so
/// that paths join below it.
fn base_url(url: &str, reach: &Reach) -> Result<Url, SetupProblem> {
    let problem = |en: String, cs: String| SetupProblem::new("base_url", en, cs);
    let mut u = Url::parse(url.trim()).map_err(|e| {
        problem(
            format!("`{url}` is not an address: {e}"),
            format!("`{url}` není adresa: {e}"),
        )
    })?;
    let literal = match u.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    let loopback = literal.is_some_and(|ip| ip.is_loopback())
        || u.host_str().is_some_and(|h| h == "localhost");
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(problem(
                format!(
                    "`{url}` is plain HTTP: a connection's credential travels only over HTTPS \
                     (plain HTTP only to this machine)"
                ),
                format!(
                    "`{url}` je prosté HTTP: přihlašovací údaje spojení putují jen přes HTTPS \
                     (prosté HTTP jen na tento počítač)"
                ),
            ));
        }
        other => {
            return Err(problem(
                format!("`{url}` is `{other}:`, not an HTTPS address"),
                format!("`{url}` je `{other}:`, ne adresa HTTPS"),
            ));
        }
    }
    if u.host().is_none() {
        return Err(problem(
            format!("`{url}` names no host"),
            format!("`{url}` neuvádí počítač"),
        ));
    }
    if let Some(ip) = literal.filter(|ip| !reach.allows(*ip))
        && !(loopback && reach.allows(ip))
    {
        return Err(problem(
            format!(
                "`{url}` is a private address (this machine or a local network): the portal's \
                 operator allows such addresses with --connections-may-reach"
            ),
            format!(
                "`{url}` je soukromá adresa (tento počítač nebo místní síť): takové adresy \
                 povoluje provozovatel portálu volbou --connections-may-reach"
            ),
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(problem(
            format!("`{url}` carries a user name or password: set them as the credential instead"),
            format!("`{url}` obsahuje jméno nebo heslo: zadejte je jako přihlašovací údaj"),
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(problem(
            format!("`{url}` has a query or a fragment"),
            format!("`{url}` obsahuje dotaz nebo fragment"),
        ));
    }
    if !u.path().ends_with('/') {
        let path = format!("{}/", u.path());
        u.set_path(&path);
    }
    Ok(u)
}

/// Whether two base addresses are the same place: the same scheme, host
/// and port (none is the same as none).
pub fn same_origin(a: Option<&str>, b: Option<&str>) -> bool {
    let origin = |u: Option<&str>| {
        u.and_then(|u| Url::parse(u.trim()).ok())
            .map(|u| u.origin().ascii_serialization())
    };
    origin(a) == origin(b)
}

/// The HTTP client a set-up asks for, or what is wrong with the field
/// that stands in the way.
fn client(setup: &Setup, reach: &Reach) -> Result<reqwest::Client, SetupProblem> {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(setup.timeout)
        .connect_timeout(setup.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("Portico/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(Resolver(reach.clone())))
        .no_proxy();
    if let Some(pem) = &setup.extra_ca {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
            SetupProblem::new(
                "extra_ca",
                format!("is not a PEM certificate: {e}"),
                format!("není certifikát PEM: {e}"),
            )
        })?;
        if certs.is_empty() {
            return Err(SetupProblem::new(
                "extra_ca",
                "holds no PEM certificate",
                "neobsahuje žádný certifikát PEM",
            ));
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if let Credential::ClientCertificate { certificate, key } = &setup.credential {
        let pem = format!("{}\n{}", certificate.trim(), key.trim());
        let identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|e| {
            SetupProblem::new(
                "certificate",
                format!("the certificate and its key are not a PEM pair: {e}"),
                format!("certifikát a jeho klíč nejsou dvojice PEM: {e}"),
            )
        })?;
        b = b.identity(identity);
    }
    if let Some(base) = setup
        .base_url
        .as_deref()
        .and_then(|u| base_url(u, reach).ok())
    {
        let base = base.to_string();
        b = b.redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() < 5 && attempt.url().as_str().starts_with(&base) {
                attempt.follow()
            } else {
                // The 3xx goes to the module as it came: the host never
                // follows it out of the connection.
                attempt.stop()
            }
        }));
    }
    b.build().map_err(|e| {
        SetupProblem::new(
            "certificate",
            format!("cannot make a client of it: {e}"),
            format!("nelze z něj vytvořit klienta: {e}"),
        )
    })
}

/// The key of a Standard Webhooks secret (`whsec_` and base64, or
/// base64 alone).
fn hmac_key(secret: &str) -> Result<Vec<u8>, SetupProblem> {
    let b64 = secret
        .trim()
        .strip_prefix("whsec_")
        .unwrap_or(secret.trim());
    // Padded or not, as the Standard Webhooks libraries take it.
    let key = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|_| {
            SetupProblem::new(
                "secret",
                "must be `whsec_` followed by base64",
                "musí být `whsec_` a za ním base64",
            )
        })?;
    if key.len() < 24 {
        return Err(SetupProblem::new(
            "secret",
            "must be at least 24 bytes (32 recommended)",
            "musí mít alespoň 24 bajtů (doporučeno 32)",
        ));
    }
    Ok(key)
}

/// Standard Webhooks' signature of a message: `v1,` and the base64 of
/// HMAC-SHA256 over `id.timestamp.body`.
fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// A webhook message whose signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedWebhook {
    /// The sender's id of the message.
    pub id: String,
    /// When it was signed, seconds since the epoch.
    pub timestamp: i64,
}

/// Why a webhook message is refused (a 401, audited; the module is not
/// called).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WebhookRefused(pub String);

/// Checks a webhook message by Standard Webhooks: `webhook-id`,
/// `webhook-timestamp` within [`WEBHOOK_TOLERANCE`] of `now` (seconds
/// since the epoch) and one of `webhook-signature`'s `v1` signatures by
/// the connection's secret, compared in constant time.
pub fn verify_webhook(
    setup: &Setup,
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
    now: i64,
) -> Result<VerifiedWebhook, WebhookRefused> {
    let refused = |why: &str| WebhookRefused(why.to_owned());
    let Credential::Hmac { secret } = &setup.credential else {
        return Err(refused(
            "the connection has no secret to check signatures by",
        ));
    };
    let key = hmac_key(secret).map_err(|_| refused("the connection's secret is not usable"))?;
    let id = header("webhook-id").ok_or_else(|| refused("no `webhook-id` header"))?;
    if id.is_empty() || id.len() > 200 || !id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(refused("`webhook-id` is not 1 to 200 visible characters"));
    }
    let timestamp: i64 = header("webhook-timestamp")
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| refused("no `webhook-timestamp` header in seconds"))?;
    let tolerance = i64::try_from(WEBHOOK_TOLERANCE.as_secs()).unwrap_or(300);
    if now.abs_diff(timestamp) > tolerance.unsigned_abs() {
        return Err(refused(
            "`webhook-timestamp` is more than five minutes from now: a replay, or a clock gone wrong",
        ));
    }
    let signatures =
        header("webhook-signature").ok_or_else(|| refused("no `webhook-signature`"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let holds = signatures.split(' ').any(|s| {
        s.strip_prefix("v1,")
            .and_then(|b64| BASE64.decode(b64).ok())
            .is_some_and(|sig| mac.clone().verify_slice(&sig).is_ok())
    });
    if holds {
        Ok(VerifiedWebhook { id, timestamp })
    } else {
        Err(refused("no `v1` signature in `webhook-signature` holds"))
    }
}

/// A connection ready to send through.
struct Ready {
    setup: Setup,
    base: Url,
    client: reqwest::Client,
    /// What of the credential must not reach the module.
    secrets: Vec<Vec<u8>>,
    made: Instant,
}

type Limiter = governor::DefaultDirectRateLimiter;

/// A connection's figures since the host started, for the metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Requests the system answered 2xx.
    pub succeeded: u64,
    /// Requests that failed: no answer, or not 2xx.
    pub failed: u64,
    /// Requests not sent: the rate limit.
    pub limited: u64,
    /// The time the requests took, in seconds.
    pub seconds: f64,
}

/// The host's connections: clients made once per set-up, rate limits,
/// health and figures.
pub struct Connectors {
    db: DatabaseConnection,
    reach: arc_swap::ArcSwap<Reach>,
    ready: Mutex<HashMap<ConnectionKey, Arc<Ready>>>,
    limits: Mutex<HashMap<ConnectionKey, (u32, Arc<Limiter>)>>,
    figures: Mutex<HashMap<ConnectionKey, Figures>>,
    /// When each connection's success was last written, so that a busy
    /// connection does not write its health on every request.
    noted: Mutex<HashMap<ConnectionKey, Instant>>,
}

impl Connectors {
    /// The connections over `db`.
    pub fn new(db: DatabaseConnection) -> Connectors {
        Connectors {
            db,
            reach: arc_swap::ArcSwap::from_pointee(Reach::default()),
            ready: Mutex::default(),
            limits: Mutex::default(),
            figures: Mutex::default(),
            noted: Mutex::default(),
        }
    }

    /// Lets connections reach the private ranges in `reach` (besides
    /// every public address); the clients are made again.
    pub fn set_reach(&self, reach: Reach) {
        self.reach.store(Arc::new(reach));
        if let Ok(mut r) = self.ready.lock() {
            r.clear();
        }
    }

    /// Where connections may reach.
    pub fn reach(&self) -> Reach {
        Reach::clone(&self.reach.load())
    }

    /// Forgets the client of a connection whose set-up changed.
    pub fn forget(&self, key: &ConnectionKey) {
        if let Ok(mut r) = self.ready.lock() {
            r.remove(key);
        }
    }

    /// Every connection's figures since the host started.
    pub fn figures(&self) -> Vec<(ConnectionKey, Figures)> {
        let Ok(f) = self.figures.lock() else {
            return Vec::new();
        };
        let mut out: Vec<_> = f.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    async fn ready(&self, key: &ConnectionKey) -> Result<Arc<Ready>, ConnectionError> {
        if let Some(r) = self.ready.lock().ok().and_then(|r| r.get(key).cloned())
            && r.made.elapsed() < CLIENT_TTL
        {
            return Ok(r);
        }
        let (org, module, name) = key;
        let Some(c) = stored::get(&self.db, org, module, name).await? else {
            return Err(ConnectionError::Forbidden(format!(
                "the connection `{name}` is not set up in this organization: its administrator \
                 sets it up in the console"
            )));
        };
        let not_usable = |why: String| {
            ConnectionError::Forbidden(format!(
                "the connection `{name}` is not usable as set up: {why}"
            ))
        };
        let reach = self.reach();
        let base = base_url(c.setup.base_url.as_deref().unwrap_or_default(), &reach)
            .map_err(|p| not_usable(p.en))?;
        let client = client(&c.setup, &reach).map_err(|p| not_usable(p.en))?;
        let secrets = match &c.setup.credential {
            Credential::None => Vec::new(),
            Credential::Bearer { token } => vec![token.clone()],
            Credential::Basic { username, password } => vec![
                password.clone(),
                BASE64.encode(format!("{username}:{password}")),
            ],
            Credential::Hmac { secret } => vec![secret.clone()],
            Credential::ClientCertificate { key, .. } => vec![key.clone()],
        }
        .into_iter()
        .filter(|s| s.len() >= 4)
        .map(String::into_bytes)
        .collect();
        let r = Arc::new(Ready {
            setup: c.setup,
            base,
            client,
            secrets,
            made: Instant::now(),
        });
        if let Ok(mut all) = self.ready.lock() {
            all.insert(key.clone(), r.clone());
        }
        Ok(r)
    }

    fn limiter(&self, key: &ConnectionKey, per_minute: u32) -> Arc<Limiter> {
        let mut limits = self.limits.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((rate, l)) = limits.get(key)
            && *rate == per_minute
        {
            return l.clone();
        }
        let quota =
            governor::Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        let l = Arc::new(governor::RateLimiter::direct(quota));
        limits.insert(key.clone(), (per_minute, l.clone()));
        l
    }

    /// Sends `request` through the connection `key` and reads the answer
    /// up to the cap; `idempotency` (a delivery's key) is sent as
    /// `idempotency-key` and, for a connection with a shared secret, as
    /// the signature's `webhook-id`. The connection's health and figures
    /// are kept. An answer of any status is `Ok`.
    pub async fn send(
        &self,
        key: &ConnectionKey,
        request: &Outgoing,
        idempotency: Option<&str>,
    ) -> Result<Answer, ConnectionError> {
        let ready = self.ready(key).await?;
        let limiter = self.limiter(key, ready.setup.rate_per_minute);
        if let Err(not_until) = limiter.check() {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            self.count(key, |f| f.limited += 1);
            return Err(ConnectionError::Limited(
                format!(
                    "the connection `{}` is at its rate limit of {} requests a minute; try again in {} s",
                    key.2,
                    ready.setup.rate_per_minute,
                    wait.as_secs().max(1)
                ),
                wait,
            ));
        }
        let started = Instant::now();
        let result = self.exchange(&ready, request, idempotency).await;
        let took = started.elapsed();
        let outcome = match &result {
            Ok(a) if (200..300).contains(&a.status) => Ok(()),
            Ok(a) => Err(format!("HTTP {}", a.status)),
            Err(e) => Err(e.to_string()),
        };
        self.count(key, |f| {
            match outcome {
                Ok(()) => f.succeeded += 1,
                Err(_) => f.failed += 1,
            }
            f.seconds += took.as_secs_f64();
        });
        self.note_health(key, outcome.as_ref().map(|_| ()).map_err(String::as_str))
            .await;
        result
    }

    async fn exchange(
        &self,
        ready: &Ready,
        r: &Outgoing,
        idempotency: Option<&str>,
    ) -> Result<Answer, ConnectionError> {
        let url = join(&ready.base, r)?;
        let method = reqwest::Method::from_bytes(r.method.as_bytes())
            .map_err(|_| ConnectionError::Internal(format!("`{}` is not a method", r.method)))?;
        let mut req = ready.client.request(method, url.clone());
        for (k, v) in &r.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(key) = idempotency {
            req = req.header("idempotency-key", key);
        }
        match &ready.setup.credential {
            Credential::Bearer { token } => req = req.bearer_auth(token),
            Credential::Basic { username, password } => {
                req = req.basic_auth(username, Some(password));
            }
            Credential::Hmac { secret } => {
                let key = hmac_key(secret).map_err(|p| ConnectionError::Forbidden(p.en))?;
                let id = idempotency
                    .map_or_else(|| format!("msg_{}", uuid::Uuid::now_v7()), str::to_owned);
                let now = chrono::Utc::now().timestamp();
                req = req
                    .header("webhook-id", &id)
                    .header("webhook-timestamp", now.to_string())
                    .header("webhook-signature", signature(&key, &id, now, &r.body));
            }
            Credential::None | Credential::ClientCertificate { .. } => {}
        }
        let mut response = req
            .body(r.body.clone())
            .send()
            .await
            .map_err(|e| ConnectionError::Unavailable(why_unreachable(&e)))?;
        let cap = ready.setup.max_response_bytes;
        let too_much = || {
            ConnectionError::Unavailable(format!(
                "the system answered more than the connection's cap of {cap} bytes"
            ))
        };
        if response.content_length().is_some_and(|n| n > cap) {
            return Err(too_much());
        }
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(k, _)| *k != reqwest::header::SET_COOKIE)
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(&redact(v.as_bytes(), &ready.secrets)).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| ConnectionError::Unavailable(why_unreachable(&e)))?
        {
            if (body.len() + chunk.len()) as u64 > cap {
                return Err(too_much());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body: redact(&body, &ready.secrets),
        })
    }

    fn count(&self, key: &ConnectionKey, f: impl FnOnce(&mut Figures)) {
        if let Ok(mut all) = self.figures.lock() {
            f(all.entry(key.clone()).or_default());
        }
    }

    /// Writes how a request fared: every failure, and a success when the
    /// last one written is half a minute old (or failures came between).
    async fn note_health(&self, key: &ConnectionKey, outcome: Result<(), &str>) {
        if outcome.is_ok() {
            let mut noted = self.noted.lock().unwrap_or_else(|e| e.into_inner());
            if noted
                .get(key)
                .is_some_and(|t| t.elapsed() < Duration::from_secs(30))
            {
                return;
            }
            noted.insert(key.clone(), Instant::now());
        } else if let Ok(mut noted) = self.noted.lock() {
            noted.remove(key);
        }
        let (org, module, name) = key;
        if let Err(e) = connections::record_outcome(&self.db, org, module, name, outcome).await {
            tracing::warn!(org = %org, module = %module, connection = %name, error = %e,
                "the health of a connection could not be written");
        }
    }
}

/// The address of `r` below `base`: its path joined below the base's, its
/// query encoded. Checked again that it stays below the base.
fn join(base: &Url, r: &Outgoing) -> Result<Url, ConnectionError> {
    if let Some(why) = portico_runtime::path_outside_base(&r.path) {
        return Err(ConnectionError::Forbidden(format!("the path {why}")));
    }
    // `./` first: a first segment with a colon (`/items:search`) is a
    // path, never a scheme.
    let mut url = base
        .join(&format!("./{}", r.path.trim_start_matches('/')))
        .map_err(|e| ConnectionError::Forbidden(format!("the path does not join: {e}")))?;
    if !url.as_str().starts_with(base.as_str()) {
        return Err(ConnectionError::Forbidden(
            "the path leaves the connection's base address".into(),
        ));
    }
    if !r.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&r.query);
    }
    Ok(url)
}

/// Why a request got no answer, without the address's secrets (reqwest's
/// error names the URL, which has none: the credential is in headers).
fn why_unreachable(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the system did not answer in time".into()
    } else if e.is_connect() {
        format!("the system cannot be reached: {}", root_cause(e))
    } else {
        format!("the exchange with the system failed: {}", root_cause(e))
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// `bytes` with every occurrence of each secret replaced by
/// `[redacted]`: a system that echoes what it was sent (its headers, a
/// debugging endpoint) does not hand the credential to the module.
fn redact(bytes: &[u8], secrets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for s in secrets {
        let mut i = 0;
        let mut next = Vec::with_capacity(out.len());
        let mut found = false;
        while i < out.len() {
            if out[i..].starts_with(s) {
                next.extend_from_slice(REDACTED.as_bytes());
                i += s.len();
                found = true;
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        if found {
            out = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(url: &str) -> Setup {
        Setup::with(Some(url.into()), Credential::None)
    }

    #[test]
    fn a_base_address_is_https_or_this_machine_and_public_unless_allowed() {
        let public = Reach::default();
        let local = Reach {
            private: vec!["127.0.0.0/8".parse().unwrap()],
        };
        assert!(check_setup(&setup("https://peer.example/api"), false, &public).is_ok());
        assert!(check_setup(&setup("http://127.0.0.1:8080/"), false, &local).is_ok());
        let p = check_setup(&setup("http://127.0.0.1:8080/"), false, &public).unwrap_err();
        assert!(p.en.contains("private address"), "{p}");
        assert!(p.cs.contains("soukromá adresa"), "{p}");
        let p = check_setup(&setup("https://10.1.2.3/"), false, &local).unwrap_err();
        assert_eq!(p.field, "base_url");
        let p = check_setup(&setup("http://peer.example/api"), false, &public).unwrap_err();
        assert!(p.en.contains("HTTPS"), "{p}");
        for bad in [
            "https://u:p@peer.example/",
            "https://peer.example/?a=1",
            "ftp://peer.example/",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::ffff:10.0.0.1]/",
        ] {
            assert!(check_setup(&setup(bad), false, &public).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_join_below_the_base_and_queries_are_encoded() {
        let base = base_url("https://peer.example/api", &Reach::default()).unwrap();
        let r = Outgoing {
            method: "GET".into(),
            path: "/alerts/1".into(),
            query: vec![("q".into(), "a b&c".into())],
            headers: vec![],
            body: vec![],
        };
        assert_eq!(
            join(&base, &r).unwrap().as_str(),
            "https://peer.example/api/alerts/1?q=a+b%26c"
        );
        let out = Outgoing {
            path: "/%2e%2e/admin".into(),
            ..r
        };
        assert!(matches!(
            join(&base, &out),
            Err(ConnectionError::Forbidden(_))
        ));
    }

    #[test]
    fn the_credential_is_struck_out_of_answers() {
        let secrets = vec![b"s3cret-token".to_vec()];
        assert_eq!(
            redact(b"{\"authorization\":\"Bearer s3cret-token\"}", &secrets),
            b"{\"authorization\":\"Bearer [redacted]\"}".to_vec()
        );
        assert_eq!(redact(b"nothing here", &secrets), b"nothing here".to_vec());
    }

    #[test]
    fn a_webhook_is_taken_only_with_its_signature_and_in_time() {
        let secret = format!("whsec_{}", BASE64.encode([7u8; 32]));
        let setup = Setup::with(None, Credential::Hmac { secret });
        let key = [7u8; 32];
        let now = 1_800_000_000;
        let body = br#"{"alert":1}"#;
        let sig = signature(&key, "msg_1", now, body);
        let headers = |id: &'static str, ts: i64, sig: String| {
            move |name: &str| match name {
                "webhook-id" => Some(id.to_owned()),
                "webhook-timestamp" => Some(ts.to_string()),
                "webhook-signature" => Some(sig.clone()),
                _ => None,
            }
        };
        let ok = verify_webhook(&setup, headers("msg_1", now, sig.clone()), body, now + 10);
        assert_eq!(ok.unwrap().id, "msg_1");
        assert!(verify_webhook(&setup, headers("msg_1", now, sig.clone()), b"{}", now).is_err());
        assert!(verify_webhook(&setup, headers("msg_2", now, sig.clone()), body, now).is_err());
        let stale = verify_webhook(&setup, headers("msg_1", now, sig), body, now + 301);
        assert!(stale.unwrap_err().0.contains("five minutes"));
    }
}
