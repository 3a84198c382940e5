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
        /// address their messages by it.
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
