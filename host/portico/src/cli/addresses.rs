//! `portico addresses`: the address register. Importing a municipality's
//! RÚIAN address points, and looking addresses up as modules and the
//! portal's map do.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use portico_platform::addresses;

use super::DataArgs;

#[derive(Subcommand)]
pub(crate) enum AddressesCommand {
    /// Import a municipality's address points: the RÚIAN CSV file the ČÚZK
    /// publishes (`<date>_OB_<code>_ADR.csv`, Windows-1250). Again with a
    /// later file, it updates the register; points no longer listed are
    /// kept as retired.
    Import {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Find addresses: `Údolní 53`, `udolni 53 brno`.
    Find {
        /// Street, number, part or municipality, in any case, with or
        /// without diacritics.
        query: String,
        /// At most this many.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The address nearest to a position (WGS 84 degrees).
    Nearest {
        /// Latitude, e.g. 49.19902.
        #[arg(allow_negative_numbers = true)]
        latitude: f64,
        /// Longitude, e.g. 16.59594.
        #[arg(allow_negative_numbers = true)]
        longitude: f64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The editions imported, newest first.
    Editions(DataArgs),
}

pub(crate) async fn addresses(command: AddressesCommand) -> anyhow::Result<()> {
    match command {
        AddressesCommand::Import { file, data } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let db = data.database().await?;
            let source = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let editions = addresses::import(&db, &source, &bytes)
                .await
                .with_context(|| format!("{} was not imported; nothing changed", file.display()))?;
            for e in editions {
                if e.unchanged {
                    println!(
                        "{} ({}): edition {} is this file already; nothing changed.",
                        e.municipality, e.municipality_code, e.id
                    );
                } else {
                    println!(
                        "{} ({}): edition {} — {} addresses, {} new, {} no longer listed (kept as retired).",
                        e.municipality, e.municipality_code, e.id, e.addresses, e.added, e.retired
                    );
                }
            }
        }
        AddressesCommand::Find { query, limit, data } => {
            let db = data.database().await?;
            let found = addresses::search(&db, &query, limit).await?;
            if found.is_empty() {
                println!("No address matches `{query}`.");
            }
            for a in found {
                println!("{}  ({}{})", a.label, a.code, place(&a));
            }
        }
        AddressesCommand::Nearest {
            latitude,
            longitude,
            data,
        } => {
            let db = data.database().await?;
            match addresses::nearest(&db, latitude, longitude).await? {
                Some((a, metres)) => {
                    println!("{}  ({}{}), {metres:.0} m away", a.label, a.code, place(&a));
                }
                None => println!("No address within 7 km of {latitude}, {longitude}."),
            }
        }
        AddressesCommand::Editions(data) => {
            let db = data.database().await?;
            let editions = addresses::editions(&db).await?;
            if editions.is_empty() {
                println!("No addresses yet; import them with `portico addresses import FILE`.");
            }
            for e in editions {
                let when = chrono::DateTime::from_timestamp_micros(e.imported_at_micros)
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                println!(
                    "{}  {} ({})  {when}  {}: {} addresses, {} new, {} retired",
                    e.id,
                    e.municipality,
                    e.municipality_code,
                    e.source,
                    e.addresses,
                    e.added,
                    e.retired
                );
            }
        }
    }
    Ok(())
}

/// `, 49.19902 16.59594` when the address has a position.
fn place(a: &addresses::Address) -> String {
    a.position
        .map(|(lat, lon)| format!(", {lat:.5} {lon:.5}"))
        .unwrap_or_default()
}
