//! `portico serve`: its arguments (the listening address, limits, trusted
//! proxies, how notifications leave, where people log in) and the portal
//! it runs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use portico_host::lifecycle::Installer;
use portico_host::notify::{EmailSender, Senders, SmsGateway};
use portico_host::workers::WorkerConfig;
use portico_platform::organizations;
use portico_runtime::CallLimits;
use portico_web::{AppState, WebConfig};

use super::{DataArgs, load, platform};

#[derive(Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on.
    #[arg(long, env = "PORTICO_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The portal's name.
    #[arg(long, env = "PORTICO_NAME", default_value = "Portico")]
    name: String,
    /// Time one module call may take, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    call_deadline_ms: u64,
    /// Development mode: the console installs unsigned packages too.
    #[arg(long)]
    dev: bool,
    /// Memory one module call may use, in MiB.
    #[arg(long, default_value_t = 64)]
    call_memory_mib: usize,
    /// Faults in a row after which a module is switched off.
    #[arg(long, default_value_t = 5)]
    breaker_threshold: u32,
    /// The organization whose portal `/` is (a city's citizen portal);
    /// without it `/` lists the organizations.
    #[arg(long, env = "PORTICO_DEFAULT_ORG")]
    default_org: Option<String>,
    /// Plain cookies (no `Secure`, no `__Host-` names), for a portal
    /// served over plain HTTP on another host than localhost. Never in production.
    #[arg(long, env = "PORTICO_INSECURE_COOKIES")]
    insecure_cookies: bool,
    /// A proxy in front of the portal (e.g. the TLS terminator), as an
    /// address or a range like `10.0.0.0/24`, whose `Forwarded` and
    /// `X-Forwarded-For` headers say who the client is. Repeatable.
    /// Without it the client is whoever connected.
    #[arg(
        long = "trusted-proxy",
        env = "PORTICO_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// A private range modules' connections may reach besides the public
    /// internet (this machine, a local network where an agenda system
    /// lives), e.g. `10.20.0.0/16`. Repeatable. Without it, a connection
    /// an organization's administrator sets up reaches public addresses
    /// only.
    #[arg(
        long = "connections-may-reach",
        env = "PORTICO_CONNECTIONS_MAY_REACH",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    connections_may_reach: Vec<ipnet::IpNet>,
    /// Where the tiles of the portal's maps come from: a URL template with
    /// {z}, {x} and {y}, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`
    /// or the ČÚZK's WMTS in Web Mercator. The portal fetches and keeps
    /// them; browsers ask only the portal. Without it, maps are plans of
    /// their places.
    #[arg(long, env = "PORTICO_MAP_TILES")]
    map_tiles: Option<String>,
    /// Whose map the tiles are, shown on every map (default for
    /// OpenStreetMap and the ČÚZK: their credit).
    #[arg(long, env = "PORTICO_MAP_ATTRIBUTION", default_value = "")]
    map_attribution: String,
    #[command(flatten)]
    senders: SenderArgs,
    #[command(flatten)]
    identity: IdentityArgs,
}

/// A trusted proxy: one address, or a range in CIDR notation.
fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{s}` is neither an address nor a range like 10.0.0.0/24"))
}

/// Where people log in besides local accounts.
#[derive(Args)]
struct IdentityArgs {
    /// The portal's address as browsers reach it, e.g. `https://portal.brno.cz`.
    #[arg(long, env = "PORTICO_PUBLIC_URL")]
    public_url: Option<String>,
    /// The issuer URL of the staff identity management system (OpenID Connect).
    #[arg(long, env = "PORTICO_OIDC_STAFF_ISSUER")]
    oidc_staff_issuer: Option<String>,
    /// Portico's client id at the staff identity provider.
    #[arg(long, env = "PORTICO_OIDC_STAFF_CLIENT_ID", default_value = "portico")]
    oidc_staff_client_id: String,
    /// Portico's client secret at the staff identity provider.
    #[arg(long, env = "PORTICO_OIDC_STAFF_CLIENT_SECRET", hide_env_values = true)]
    oidc_staff_client_secret: Option<String>,
    /// The issuer URL of the national eID (citizens' log-in, OpenID Connect).
    #[arg(long, env = "PORTICO_OIDC_EID_ISSUER")]
    oidc_eid_issuer: Option<String>,
    /// Portico's client id at the national eID.
    #[arg(long, env = "PORTICO_OIDC_EID_CLIENT_ID", default_value = "portico")]
    oidc_eid_client_id: String,
    /// Portico's client secret at the national eID.
    #[arg(long, env = "PORTICO_OIDC_EID_CLIENT_SECRET", hide_env_values = true)]
    oidc_eid_client_secret: Option<String>,
    /// An `acr` value the identity providers assert and the level it
    /// stands for, as `LEVEL=VALUE` (LEVEL: low, substantial, high), matched
    /// exactly. Repeatable; replaces the default, the eIDAS levels
    /// `http://eidas.europa.eu/LoA/low|substantial|high`. A log-in with no
    /// `acr` or an unlisted one is at the lowest level.
    #[arg(long = "oidc-acr", env = "PORTICO_OIDC_ACR", value_delimiter = ',')]
    oidc_acr: Vec<String>,
    /// An outside system Portico issues tokens for (OAuth 2.0 token
    /// exchange, `/auth/token`): `AUDIENCE` or `AUDIENCE=LOGIN_URL`, where
    /// `/auth/sso?audience=AUDIENCE` sends logged-in users with `?jwt=…`.
    /// Repeatable; needs `--public-url` (the tokens' issuer).
    #[arg(
        long = "token-audience",
        env = "PORTICO_TOKEN_AUDIENCES",
        value_delimiter = ','
    )]
    token_audiences: Vec<portico_web::exchange::TokenAudience>,
    /// How long an issued token lives, in seconds (at most an hour).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=3600))]
    token_lifetime_secs: u64,
}

impl IdentityArgs {
    fn audiences(&self) -> anyhow::Result<Vec<portico_web::exchange::TokenAudience>> {
        anyhow::ensure!(
            self.token_audiences.is_empty() || self.public_url.is_some(),
            "issuing tokens for outside systems needs `--public-url`, the tokens' issuer"
        );
        Ok(self.token_audiences.clone())
    }

    /// `--oidc-acr LEVEL=VALUE` pairs, or the eIDAS levels.
    fn acr_levels(
        &self,
    ) -> anyhow::Result<Vec<(String, portico_platform::identity::users::Assurance)>> {
        use portico_platform::identity::users::Assurance;
        if self.oidc_acr.is_empty() {
            return Ok(portico_web::oidc::OidcProvider::eidas_levels());
        }
        self.oidc_acr
            .iter()
            .map(|pair| {
                let (level, value) = pair
                    .split_once('=')
                    .filter(|(_, v)| !v.is_empty())
                    .with_context(|| format!("`--oidc-acr {pair}`: write LEVEL=VALUE"))?;
                let level = match level {
                    "low" => Assurance::Registered,
                    "substantial" => Assurance::Substantial,
                    "high" => Assurance::High,
                    other => anyhow::bail!(
                        "`--oidc-acr {pair}`: `{other}` is not a level (low, substantial or high)"
                    ),
                };
                Ok((value.to_owned(), level))
            })
            .collect()
    }

    fn providers(&self) -> anyhow::Result<Vec<portico_web::oidc::OidcProvider>> {
        use portico_platform::identity::users::UserKind;
        let mut out = Vec::new();
        let configured = [
            (
                "staff",
                "Staff log-in",
                &self.oidc_staff_issuer,
                &self.oidc_staff_client_id,
                &self.oidc_staff_client_secret,
                UserKind::Staff,
            ),
            (
                "eid",
                "Citizen log-in (national eID)",
                &self.oidc_eid_issuer,
                &self.oidc_eid_client_id,
                &self.oidc_eid_client_secret,
                UserKind::Citizen,
            ),
        ];
        for (id, label, issuer, client_id, secret, users) in configured {
            if let Some(issuer) = issuer {
                anyhow::ensure!(
                    self.public_url.is_some(),
                    "an identity provider needs `--public-url`, the address it sends people back to"
                );
                out.push(portico_web::oidc::OidcProvider {
                    id: id.into(),
                    label: label.into(),
                    issuer: issuer.clone(),
                    client_id: client_id.clone(),
                    client_secret: secret.clone(),
                    users,
                    acr_levels: self.acr_levels()?,
                });
            }
        }
        Ok(out)
    }
}

/// How notifications leave the portal.
#[derive(Args)]
struct SenderArgs {
    /// The SMTP server for e-mail: `smtp://host:port` (a relay without
    /// TLS), `smtps://user:password@host` or `smtp://…?tls=required`.
    /// Without one, modules cannot send e-mail.
    #[arg(long, env = "PORTICO_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of e-mail, e.g. `Portál města <portal@mesto.cz>`.
    #[arg(
        long,
        env = "PORTICO_MAIL_FROM",
        default_value = "Portico <portico@localhost>"
    )]
    mail_from: String,
    /// The HTTP SMS gateway that takes `POST {"to","text","reference"}`.
    /// Without one, modules cannot send text messages.
    #[arg(long, env = "PORTICO_SMS_GATEWAY_URL")]
    sms_gateway_url: Option<String>,
    /// The gateway's bearer token.
    #[arg(long, env = "PORTICO_SMS_GATEWAY_TOKEN", hide_env_values = true)]
    sms_gateway_token: Option<String>,
}

impl SenderArgs {
    fn senders(&self) -> anyhow::Result<Senders> {
        let email = match &self.smtp_url {
            Some(url) => Some(EmailSender::new(url, &self.mail_from).map_err(anyhow::Error::msg)?),
            None => None,
        };
        let sms = match &self.sms_gateway_url {
            Some(url) => Some(
                SmsGateway::new(url, self.sms_gateway_token.clone()).map_err(anyhow::Error::msg)?,
            ),
            None => None,
        };
        if let Some(e) = &email {
            tracing::info!(
                server = e.server(),
                "e-mail goes out through this SMTP server"
            );
        }
        Ok(Senders { email, sms })
    }
}

/// How often a serving portal looks for modules installed, upgraded or
/// rolled back by `portico plugin …` in another process.
const INSTALLATIONS_POLL: Duration = Duration::from_secs(2);

pub(crate) async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let limits = CallLimits {
        deadline: Duration::from_millis(args.call_deadline_ms),
        memory_bytes: args.call_memory_mib << 20,
    };
    let (services, _) = platform(&args.data, args.senders.senders()?).await?;
    services.follow_changes();
    if let Some(org) = &args.default_org
        && organizations::get(services.platform().db(), org)
            .await?
            .is_none()
    {
        anyhow::bail!("`--default-org {org}`: there is no such organization");
    }
    let (engine, options, registry, refused) =
        load(&args.data, services.clone(), limits, args.breaker_threshold).await?;
    tracing::info!(
        allocator = ?engine.allocator(),
        modules = registry.len(),
        refused = refused.len(),
        "modules loaded from {}",
        args.data.modules_dir().display()
    );
    let state = AppState::new(
        registry,
        services,
        WebConfig {
            portal_name: args.name,
            default_org: args.default_org,
            secure_cookies: !args.insecure_cookies,
            public_url: args.identity.public_url.clone(),
            identity_providers: args.identity.providers()?,
            token_audiences: args.identity.audiences()?,
            token_lifetime: std::time::Duration::from_secs(args.identity.token_lifetime_secs),
            trusted_proxies: args.trusted_proxies,
            connections_may_reach: args.connections_may_reach,
            map_tiles: args
                .map_tiles
                .as_deref()
                .map(|t| portico_web::map::TileSource::new(t, &args.map_attribution))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--map-tiles: {e}"))?,
        },
    )
    .with_installer(Installer::new(
        Arc::new(engine),
        options,
        args.data.modules_dir(),
        args.data.data_dir.clone(),
        args.dev,
    ));
    state.follow_installations(INSTALLATIONS_POLL);
    {
        let state = state.clone();
        tokio::spawn(async move {
            let registry = state.registry();
            portico_host::services::take_search_words(state.services.platform(), &registry).await;
        });
    }
    portico_host::workers::spawn(&state, WorkerConfig::for_deadline(limits.deadline));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // Printed for people and for scripts that wait for the portal.
    println!("Portico is serving on http://{addr}/");
    axum::serve(
        listener,
        portico_web::app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await
    .context("the server failed")?;
    Ok(())
}
