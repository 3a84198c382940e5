//! `portico org`: adding organizations to the tree (regions, cities,
//! organizations and units) and showing it.

use anyhow::Context as _;
use clap::Subcommand;
use portico_platform::organizations;

use super::{DataArgs, cli_actor};

#[derive(Subcommand)]
pub(crate) enum OrgCommand {
    /// Add an organization to the tree.
    Create {
        /// Its identifier: lower-case letters, digits and dashes, e.g. `nemocnice-znojmo`.
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its IČO (8 digits).
        #[arg(long)]
        ico: Option<String>,
        /// region, city, organization or unit.
        #[arg(long, default_value = "organization")]
        kind: String,
        /// The organization above it (required for organizations and units).
        #[arg(long)]
        parent: Option<String>,
        /// What it does, e.g. `school`, `hospital`, `social-services`: modules
        /// pick the organizations below them by it.
        #[arg(long)]
        category: Option<String>,
        /// Its postal address, on one line.
        #[arg(long)]
        address: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Show the organization tree.
    List(DataArgs),
    /// Close an organization to administration from above: the
    /// administrators of the organizations above it no longer administer
    /// it, nor anything below it.
    CloseToAbove {
        /// The organization.
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Open an organization to administration from above again.
    OpenToAbove {
        /// The organization.
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) async fn org(command: OrgCommand) -> anyhow::Result<()> {
    use portico_platform::organizations::{Kind, NewOrganization};
    match command {
        OrgCommand::Create {
            id,
            name,
            ico,
            kind,
            parent,
            category,
            address,
            data,
        } => {
            let kind = Kind::parse(&kind).with_context(|| {
                format!("`--kind {kind}` must be region, city, organization or unit")
            })?;
            let db = data.database().await?;
            let org = organizations::create(
                &db,
                &cli_actor(),
                NewOrganization {
                    id,
                    name,
                    ico,
                    kind,
                    parent_id: parent,
                    category,
                    address,
                },
            )
            .await?;
            println!("Created {} `{}`: {}", org.kind.name(), org.id, org.name);
        }
        OrgCommand::CloseToAbove { id, data } => above(&id, &data, true).await?,
        OrgCommand::OpenToAbove { id, data } => above(&id, &data, false).await?,
        OrgCommand::List(data) => {
            let db = data.database().await?;
            let tree = organizations::tree(&db).await?;
            if tree.is_empty() {
                println!("No organizations yet; add one with `portico org create`.");
            }
            for (depth, org) in tree {
                println!(
                    "{:indent$}{} ({}, {}{}){}",
                    "",
                    org.name,
                    org.id,
                    org.kind.name(),
                    org.category.map(|c| format!(", {c}")).unwrap_or_default(),
                    org.ico.map(|i| format!(", IČO {i}")).unwrap_or_default(),
                    indent = depth * 2
                );
            }
        }
    }
    Ok(())
}

/// Closes `id` to administration from above, or opens it again.
async fn above(id: &str, data: &DataArgs, closed: bool) -> anyhow::Result<()> {
    let db = data.database().await?;
    organizations::set_closed_to_above(&db, &cli_actor(), id, closed).await?;
    if closed {
        println!("`{id}` is closed to administration from above.");
    } else {
        println!("`{id}` is open to administration from above.");
    }
    Ok(())
}
