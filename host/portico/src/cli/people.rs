//! `portico user`, `portico role` and `portico token`: accounts, roles per
//! organization and API tokens, from the command line.

use anyhow::Context as _;
use clap::Subcommand;
use portico_platform::identity::users::{self, NewUser, UserKind};
use portico_platform::identity::{accounts, groups, logins, roles};
use portico_platform::{signing, tokens};

use super::{DataArgs, cli_actor, manifests};

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Create a local account. The password is read from the first line of
    /// standard input, never from the command line.
    Create {
        /// The name to log in with.
        username: String,
        /// The name shown.
        #[arg(long)]
        name: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// staff or citizen.
        #[arg(long, default_value = "staff")]
        kind: String,
        /// Read the password from standard input (without it the account
        /// can log in only through an identity provider).
        #[arg(long)]
        password_stdin: bool,
        /// The staff identity provider's subject (`sub`) of this person:
        /// their first log-in there is linked to this account. Only for an
        /// account without a password.
        #[arg(long, conflicts_with = "password_stdin")]
        external_id: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the accounts.
    List(DataArgs),
    /// Set a new password (read from the first line of standard input).
    Passwd {
        /// The user name.
        username: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Lift the lock-out after failed log-ins.
    Unlock {
        /// The user name.
        username: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Deactivate an account: it cannot log in, and its sessions end.
    Deactivate {
        /// The user name.
        username: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
pub(crate) enum RoleCommand {
    /// Grant a role in an organization: `org-admin`, a module's role
    /// (`notice-board.editor`), or `platform-admin` (everywhere; no `--org`).
    Grant {
        /// The user name.
        username: String,
        /// The role.
        role: String,
        /// The organization.
        #[arg(long, required_unless_present = "everywhere")]
        org: Option<String>,
        /// For `platform-admin`: every organization.
        #[arg(long)]
        everywhere: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke a role.
    Revoke {
        /// The user name.
        username: String,
        /// The role.
        role: String,
        /// The organization.
        #[arg(long, required_unless_present = "everywhere")]
        org: Option<String>,
        /// For `platform-admin`.
        #[arg(long)]
        everywhere: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The roles granted in an organization (or all).
    List {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The roles the installed modules declare, and what each allows.
    Available(DataArgs),
}

#[derive(Subcommand)]
pub(crate) enum GroupCommand {
    /// List the groups (provisioned by the IDM over SCIM) and the role each gives.
    List(DataArgs),
    /// Make a group give its members a role in an organization.
    Map {
        /// The group's name or id.
        group: String,
        /// The role: `org-admin` or a module's role (`complaints.handler`).
        role: String,
        /// The organization.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Stop a group giving a role.
    Unmap {
        /// The group's name or id.
        group: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token for a machine client. The token is printed once.
    Create {
        /// What it is for.
        name: String,
        /// The only organization it works in.
        #[arg(long)]
        org: String,
        /// A module permission it carries, e.g. `notice-board.post` (repeatable).
        #[arg(long = "permission")]
        permissions: Vec<String>,
        /// Days until it stops working (never, without).
        #[arg(long)]
        days: Option<u32>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List an organization's tokens (never their secrets).
    List {
        /// The organization.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Make a new key to sign tokens for outside systems with (the
    /// previous one stays in the JWKS until the next rotation).
    RotateKey(DataArgs),
    /// Revoke a token.
    Revoke {
        /// The token's id (as `token list` shows it).
        id: String,
        /// The organization.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "standard input held no password");
    Ok(password)
}

async fn user_named(
    db: &sea_orm::DatabaseConnection,
    username: &str,
) -> anyhow::Result<users::User> {
    users::by_username(db, username)
        .await?
        .with_context(|| format!("there is no user `{username}`"))
}

pub(crate) async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            username,
            name,
            email,
            kind,
            password_stdin,
            external_id,
            data,
        } => {
            let kind = UserKind::parse(&kind)
                .with_context(|| format!("`--kind {kind}` must be staff or citizen"))?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let db = data.database().await?;
            let mut new = NewUser::local(&username, name.as_deref().unwrap_or(""), kind, "");
            new.password = password;
            new.email = email;
            new.external_id = external_id;
            let user = users::create(&db, &cli_actor(), new).await?;
            println!(
                "Created {} account `{}` ({})",
                user.kind.name(),
                user.username,
                user.id
            );
        }
        UserCommand::List(data) => {
            let db = data.database().await?;
            for u in users::list(&db).await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    u.username,
                    u.shown_name(),
                    u.kind.name(),
                    if u.active { "active" } else { "deactivated" },
                    if u.locked_until_micros
                        .is_some_and(|t| t > chrono::Utc::now().timestamp_micros())
                    {
                        ", locked"
                    } else {
                        ""
                    }
                );
            }
        }
        UserCommand::Passwd { username, data } => {
            let password = read_password()?;
            let db = data.database().await?;
            let u = user_named(&db, &username).await?;
            let mut change = u.profile();
            change.password = Some(password);
            accounts::update(&db, &cli_actor(), &u.id, change).await?;
            println!("The password of `{username}` is set.");
        }
        UserCommand::Unlock { username, data } => {
            let db = data.database().await?;
            let u = user_named(&db, &username).await?;
            logins::unlock(&db, &cli_actor(), &u.id).await?;
            println!("`{username}` can log in again.");
        }
        UserCommand::Deactivate { username, data } => {
            let db = data.database().await?;
            let u = user_named(&db, &username).await?;
            let mut change = u.profile();
            change.active = false;
            accounts::update(&db, &cli_actor(), &u.id, change).await?;
            println!("`{username}` is deactivated and logged out everywhere.");
        }
    }
    Ok(())
}

/// Checks that `role` exists: an administrator role or one an installed module declares.
fn check_role(data: &DataArgs, role: &str) -> anyhow::Result<()> {
    if role == roles::PLATFORM_ADMIN || role == roles::ORG_ADMIN {
        return Ok(());
    }
    let known = manifests(&data.modules_dir());
    anyhow::ensure!(
        known.iter().any(|m| m.declares_role(role)),
        "no installed module declares the role `{role}`; `portico role available` lists them"
    );
    Ok(())
}

fn target_org(role: &str, org: Option<String>, everywhere: bool) -> anyhow::Result<String> {
    match (org, everywhere) {
        (_, true) if role == roles::PLATFORM_ADMIN => Ok(roles::EVERY_ORG.to_owned()),
        (_, true) => anyhow::bail!("only `platform-admin` is granted everywhere; name an `--org`"),
        (Some(org), false) if role != roles::PLATFORM_ADMIN => Ok(org),
        _ => anyhow::bail!("`platform-admin` holds in every organization: use `--everywhere`"),
    }
}

pub(crate) async fn group(command: GroupCommand) -> anyhow::Result<()> {
    match command {
        GroupCommand::List(data) => {
            let db = data.database().await?;
            for g in groups::list(&db).await? {
                let gives = match (&g.org_id, &g.role) {
                    (Some(org), Some(role)) => format!("{role} in {org}"),
                    _ => "no role".to_owned(),
                };
                println!(
                    "{}\t{}\t{} members\t{gives}",
                    g.id,
                    g.display_name,
                    g.members.len()
                );
            }
        }
        GroupCommand::Map {
            group,
            role,
            org,
            data,
        } => {
            check_role(&data, &role)?;
            let db = data.database().await?;
            let g =
                groups::map(&db, &cli_actor(), &group, Some((org.clone(), role.clone()))).await?;
            println!(
                "The {} members of `{}` hold `{role}` in `{org}`.",
                g.members.len(),
                g.display_name
            );
        }
        GroupCommand::Unmap { group, data } => {
            let db = data.database().await?;
            let g = groups::map(&db, &cli_actor(), &group, None).await?;
            println!("`{}` gives no role now.", g.display_name);
        }
    }
    Ok(())
}

pub(crate) async fn role(command: RoleCommand) -> anyhow::Result<()> {
    match command {
        RoleCommand::Grant {
            username,
            role,
            org,
            everywhere,
            data,
        } => {
            let org = target_org(&role, org, everywhere)?;
            check_role(&data, &role)?;
            let db = data.database().await?;
            let u = user_named(&db, &username).await?;
            roles::grant(&db, &cli_actor(), &u.id, &org, &role).await?;
            println!("`{username}` holds `{role}` in `{org}`.");
        }
        RoleCommand::Revoke {
            username,
            role,
            org,
            everywhere,
            data,
        } => {
            let org = target_org(&role, org, everywhere)?;
            let db = data.database().await?;
            let u = user_named(&db, &username).await?;
            roles::revoke(&db, &cli_actor(), &u.id, &org, &role).await?;
            println!("`{username}` no longer holds `{role}` in `{org}`.");
        }
        RoleCommand::List { org, data } => {
            let db = data.database().await?;
            for g in roles::grants(&db, org.as_deref(), None).await? {
                let name = users::get(&db, &g.user_id)
                    .await?
                    .map_or_else(|| g.user_id.clone(), |u| u.username);
                println!("{}\t{}\t{}", g.org_id, name, g.role);
            }
        }
        RoleCommand::Available(data) => {
            println!("{}\tadministers the whole portal", roles::PLATFORM_ADMIN);
            println!("{}\tadministers one organization", roles::ORG_ADMIN);
            for m in manifests(&data.modules_dir()) {
                for (name, spec) in &m.roles {
                    println!(
                        "{}.{name}\t{} ({})",
                        m.id,
                        spec.label,
                        spec.permissions.join(", ")
                    );
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            name,
            org,
            permissions,
            days,
            data,
        } => {
            let known = manifests(&data.modules_dir());
            if let Some(p) = permissions.iter().find(|p| {
                !tokens::HOST_PERMISSIONS.contains(&p.as_str())
                    && !known.iter().any(|m| m.declares_permission(p))
            }) {
                anyhow::bail!(
                    "no installed module declares the permission `{p}`, and the host's own are: {}",
                    tokens::HOST_PERMISSIONS.join(", ")
                );
            }
            let expires = days.map(tokens::expiry_after_days).transpose()?;
            let db = data.database().await?;
            let (secret, t) =
                tokens::create(&db, &cli_actor(), &org, &name, &permissions, expires).await?;
            eprintln!("Created token {} for `{org}`. It is shown only now:", t.id);
            println!("{secret}");
        }
        TokenCommand::List { org, data } => {
            let db = data.database().await?;
            for t in tokens::list(&db, &org).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    t.id,
                    t.name,
                    t.permissions.join(","),
                    if t.revoked_at_micros.is_some() {
                        "revoked"
                    } else {
                        "live"
                    }
                );
            }
        }
        TokenCommand::Revoke { id, org, data } => {
            let db = data.database().await?;
            tokens::revoke(&db, &cli_actor(), &org, &id).await?;
            println!("Token {id} is revoked.");
        }
        TokenCommand::RotateKey(data) => {
            let db = data.database().await?;
            let key = signing::rotate(&db, &cli_actor()).await?;
            println!(
                "Tokens for outside systems are signed with key {} now; the previous key stays published until the next rotation. Running portals pick it up within a minute.",
                key.kid
            );
        }
    }
    Ok(())
}
