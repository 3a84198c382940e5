//! `portico connections`: the connections modules declare, as an
//! administrator sets them up per organization (where the system is and
//! the credential, read from a file or the environment, never from the
//! command line, where other users of the machine would see it), their
//! health, and what went through them: the deliveries, waiting, delivered
//! or dead, and sending the dead ones again.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use portico_platform::connections::{self, Credential, Setup};
use portico_runtime::manifest::ConnectionKind;

use super::{DataArgs, cli_actor, manifests};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum CredentialKind {
    /// None.
    None,
    /// `Authorization: Bearer`, the token from `--secret-file` or
    /// `PORTICO_CONNECTION_SECRET`.
    Bearer,
    /// User name (`--username`) and password (the secret).
    Basic,
    /// A shared secret (`whsec_…`) that signs requests out and checks
    /// webhooks in; `--new-secret` makes one and prints it once.
    Hmac,
    /// A client certificate (`--certificate`) and its key (the secret
    /// file, PEM).
    ClientCertificate,
}

/// Which connection: of which module, in which organization.
#[derive(Args)]
pub(crate) struct Which {
    /// The organization.
    #[arg(long)]
    org: String,
    /// The module.
    #[arg(long)]
    module: String,
    /// The connection's name in the module's manifest.
    name: String,
}

#[derive(Subcommand)]
pub(crate) enum ConnectionsCommand {
    /// The connections of the modules in an organization: set up or not,
    /// and how each fares.
    List {
        /// The organization.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Sets a connection up (again).
    Set {
        #[command(flatten)]
        which: Which,
        /// Where the system is (an outgoing connection): HTTPS.
        #[arg(long)]
        url: Option<String>,
        /// The credential the host adds.
        #[arg(long, value_enum, default_value = "none")]
        credential: CredentialKind,
        /// The user name, with `--credential basic`.
        #[arg(long)]
        username: Option<String>,
        /// A file with the token, password, shared secret or private key
        /// (PEM). Without it, `PORTICO_CONNECTION_SECRET`.
        #[arg(long)]
        secret_file: Option<PathBuf>,
        /// With `--credential hmac`: make a new secret and print it once.
        #[arg(long)]
        new_secret: bool,
        /// The client certificate (PEM), with `--credential client-certificate`.
        #[arg(long)]
        certificate: Option<PathBuf>,
        /// A certificate authority trusted besides the platform's (PEM).
        #[arg(long)]
        extra_ca: Option<PathBuf>,
        /// Seconds a request may take.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        /// The largest answer taken, in KiB.
        #[arg(long, default_value_t = 1024)]
        max_kib: u64,
        /// The most requests a minute.
        #[arg(long, default_value_t = 600)]
        rate: u32,
        /// The private ranges connections may reach (as `serve` is given
        /// them): this machine or a local network, e.g. `10.20.0.0/16`.
        #[arg(
            long = "connections-may-reach",
            env = "PORTICO_CONNECTIONS_MAY_REACH",
            value_delimiter = ','
        )]
        may_reach: Vec<ipnet::IpNet>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Removes a connection's set-up; what went through it stays on record.
    Remove {
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        data: DataArgs,
    },
    /// What went through a connection, newest first.
    Deliveries {
        #[command(flatten)]
        which: Which,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Sends a connection's dead deliveries again (all, or one).
    Redrive {
        #[command(flatten)]
        which: Which,
        /// Only this delivery.
        #[arg(long)]
        id: Option<i64>,
        #[command(flatten)]
        data: DataArgs,
    },
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

pub(crate) async fn connections(command: ConnectionsCommand) -> anyhow::Result<()> {
    match command {
        ConnectionsCommand::List { org, data } => {
            let db = data.database().await?;
            for m in manifests(&data.modules_dir()) {
                let set_up = connections::of_module(&db, &org, &m.id).await?;
                for c in &m.connections {
                    let state = match set_up.iter().find(|s| s.name == c.name) {
                        None => "not set up".to_owned(),
                        Some(s) => {
                            let h = &s.health;
                            format!(
                                "{} {}, {} failures in a row{}",
                                s.setup.credential.kind(),
                                s.setup.base_url.as_deref().unwrap_or("(webhook)"),
                                h.failures_in_row,
                                h.last_error
                                    .as_deref()
                                    .filter(|_| h.failures_in_row > 0)
                                    .map(|e| format!(": {e}"))
                                    .unwrap_or_default()
                            )
                        }
                    };
                    let kind = match c.kind {
                        ConnectionKind::Http => "http",
                        ConnectionKind::Webhook => "webhook",
                    };
                    println!("{}/{} ({kind}): {state}", m.id, c.name);
                }
            }
        }
        ConnectionsCommand::Set {
            which: Which { org, module, name },
            url,
            credential,
            username,
            secret_file,
            new_secret,
            certificate,
            extra_ca,
            timeout,
            max_kib,
            rate,
            may_reach,
            data,
        } => {
            let manifest = manifests(&data.modules_dir())
                .into_iter()
                .find(|m| m.id == module)
                .with_context(|| format!("the module `{module}` is not installed"))?;
            let Some(spec) = manifest.connection(&name) else {
                bail!("`{module}` declares no connection `{name}`");
            };
            let webhook = spec.kind == ConnectionKind::Webhook;
            let secret = || -> anyhow::Result<String> {
                match &secret_file {
                    Some(f) => Ok(read(f)?.trim().to_owned()),
                    None => std::env::var("PORTICO_CONNECTION_SECRET").context(
                        "the credential needs a secret: --secret-file, or PORTICO_CONNECTION_SECRET",
                    ),
                }
            };
            let mut made = None;
            let credential = match credential {
                CredentialKind::None => Credential::None,
                CredentialKind::Bearer => Credential::Bearer { token: secret()? },
                CredentialKind::Basic => Credential::Basic {
                    username: username.context("--credential basic needs --username")?,
                    password: secret()?,
                },
                CredentialKind::Hmac if new_secret => {
                    let s = portico_host::connections::new_webhook_secret();
                    made = Some(s.clone());
                    Credential::Hmac { secret: s }
                }
                CredentialKind::Hmac => Credential::Hmac { secret: secret()? },
                CredentialKind::ClientCertificate => Credential::ClientCertificate {
                    certificate: read(
                        certificate
                            .as_ref()
                            .context("--credential client-certificate needs --certificate")?,
                    )?,
                    key: secret()?,
                },
            };
            let setup = Setup {
                base_url: url,
                credential,
                extra_ca: extra_ca.as_ref().map(read).transpose()?,
                timeout: Duration::try_from_secs_f64(timeout)
                    .context("--timeout is not a number of seconds")?,
                max_response_bytes: max_kib.saturating_mul(1024),
                rate_per_minute: rate,
            };
            let reach = portico_host::connections::Reach { private: may_reach };
            if let Err(p) = portico_host::connections::check_setup(&setup, webhook, &reach) {
                bail!("the connection was not set up: {p}");
            }
            let db = data.database().await?;
            connections::set(&db, &org, &module, &name, &setup, &cli_actor())
                .await
                .context("the connection was not set up")?;
            println!("{module}/{name} is set up in {org}.");
            if let Some(s) = made {
                println!("The new secret (shown once; give it to the sending system): {s}");
            }
        }
        ConnectionsCommand::Remove {
            which: Which { org, module, name },
            data,
        } => {
            let db = data.database().await?;
            connections::remove(&db, &org, &module, &name, &cli_actor()).await?;
            println!("{module}/{name} is no longer set up in {org}.");
        }
        ConnectionsCommand::Deliveries {
            which: Which { org, module, name },
            limit,
            data,
        } => {
            let db = data.database().await?;
            for d in connections::deliveries(&db, &org, &module, &name, None, limit).await? {
                println!(
                    "{}\t{}\t{} {}\t{}\tattempts {}\t{}",
                    d.id,
                    d.key,
                    d.request.method,
                    d.request.path,
                    d.status,
                    d.attempts,
                    d.last_error
                        .or(d.last_status.map(|s| format!("HTTP {s}")))
                        .unwrap_or_default()
                );
            }
        }
        ConnectionsCommand::Redrive {
            which: Which { org, module, name },
            id,
            data,
        } => {
            let db = data.database().await?;
            let n = connections::redrive(&db, &org, &module, &name, id, &cli_actor()).await?;
            println!("{n} deliveries are back in line.");
        }
    }
    Ok(())
}
