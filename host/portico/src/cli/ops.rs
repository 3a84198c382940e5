//! The portal's running data at the command line: event deliveries,
//! messages between organizations, the notification outbox, stored files, job runs, documents imported into a
//! module's collection, and the audit chains.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use portico_host::notify::Senders;
use portico_platform::organizations;

use super::{DataArgs, cli_actor, platform};

#[derive(Subcommand)]
pub(crate) enum EventsCommand {
    /// List the deliveries parked after too many failures.
    Dead {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Put dead deliveries of an organization back in line.
    Redrive {
        /// The organization.
        #[arg(long)]
        org: String,
        /// Only this delivery (as `events dead` lists it).
        #[arg(long)]
        id: Option<i64>,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) async fn events(command: EventsCommand) -> anyhow::Result<()> {
    use portico_platform::events;
    match command {
        EventsCommand::Dead { org, data } => {
            let db = data.database().await?;
            let dead = events::dead_letters(&db, org.as_deref()).await?;
            if dead.is_empty() {
                println!("No dead deliveries.");
            }
            for d in dead {
                println!(
                    "{} {} event {} `{}` from {} to {}: {} attempts, last error: {}",
                    d.id,
                    d.org_id,
                    d.event_id,
                    d.topic,
                    d.source_module,
                    d.module_id,
                    d.attempts,
                    d.last_error.unwrap_or_default()
                );
            }
        }
        EventsCommand::Redrive { org, id, data } => {
            let db = data.database().await?;
            let n = events::redrive(&db, &org, id).await?;
            println!("{n} delivery(ies) of {org} put back in line.");
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum MessagesCommand {
    /// The latest messages a module sent to or from an organization,
    /// newest first, with where each is.
    List {
        /// The organization.
        #[arg(long)]
        org: String,
        /// The module.
        #[arg(long)]
        module: String,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the messages parked after too many failed deliveries.
    Dead {
        /// Only those to this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Put dead messages to an organization back in line.
    Redrive {
        /// The receiving organization.
        #[arg(long)]
        org: String,
        /// Only this message (as `messages dead` lists it).
        #[arg(long)]
        id: Option<i64>,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) async fn messages(command: MessagesCommand) -> anyhow::Result<()> {
    use portico_platform::messages::{self, Message};
    let line = |m: &Message| {
        format!(
            "{} {} `{}` {} → {}, sent {}: {}{}",
            m.id,
            m.module_id,
            m.kind,
            m.from_org,
            m.to_org,
            time(m.sent_at_micros),
            m.status,
            match (m.attempts, &m.last_error) {
                (0, _) => String::new(),
                (n, e) => format!(
                    ", {n} failed attempts, last error: {}",
                    e.as_deref().unwrap_or_default()
                ),
            }
        )
    };
    match command {
        MessagesCommand::List {
            org,
            module,
            limit,
            data,
        } => {
            let db = data.database().await?;
            let list = messages::of_org(&db, &org, &module, limit).await?;
            if list.is_empty() {
                println!("No messages of `{module}` to or from `{org}`.");
            }
            for m in &list {
                println!("{}", line(m));
            }
        }
        MessagesCommand::Dead { org, data } => {
            let db = data.database().await?;
            let dead = messages::dead_letters(&db, org.as_deref()).await?;
            if dead.is_empty() {
                println!("No dead messages.");
            }
            for m in &dead {
                println!("{}", line(m));
            }
        }
        MessagesCommand::Redrive { org, id, data } => {
            let db = data.database().await?;
            let n = messages::redrive(&db, &org, id).await?;
            println!("{n} message(s) to {org} put back in line.");
        }
    }
    Ok(())
}

fn time(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[derive(Subcommand)]
pub(crate) enum NotificationsCommand {
    /// The latest messages, newest first, with their delivery status.
    List {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        /// Only this status: queued, sent, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Queue an organization's failed messages (or one) again.
    Retry {
        /// The organization.
        #[arg(long)]
        org: String,
        /// Only this message (as `notifications list` shows it).
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) async fn notifications(command: NotificationsCommand) -> anyhow::Result<()> {
    use portico_platform::notifications::{self, ListFilter};
    match command {
        NotificationsCommand::List {
            org,
            status,
            limit,
            data,
        } => {
            let db = data.database().await?;
            let filter = ListFilter {
                org_id: org,
                status,
                limit,
            };
            let list = notifications::list(&db, &filter).await?;
            if list.is_empty() {
                println!("No notifications.");
            }
            for n in list {
                let error = n
                    .last_error
                    .map(|e| format!(" ({} attempts, last error: {e})", n.attempts))
                    .unwrap_or_default();
                println!(
                    "{} {} {} {} {} to {} `{}`: {}{error}",
                    n.id,
                    time(n.created_at_micros),
                    n.org_id,
                    n.module_id,
                    n.channel.name(),
                    n.recipient,
                    n.subject,
                    n.status,
                );
            }
        }
        NotificationsCommand::Retry { org, id, data } => {
            let db = data.database().await?;
            let n = notifications::retry(&db, &org, id.as_deref()).await?;
            println!("{n} message(s) of {org} queued again.");
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum FilesCommand {
    /// Read every stored file (of one organization, or all) and check its
    /// content against its SHA-256. Exits with 1 when a file is damaged.
    Verify {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) async fn files(command: FilesCommand) -> anyhow::Result<()> {
    let FilesCommand::Verify { org, data } = command;
    let db = data.database().await?;
    let report = portico_platform::files::verify(&db, &data.files(), org.as_deref()).await?;
    for d in &report.damaged {
        println!(
            "damaged: file {} `{}` of {} ({}), sha256 {}: {}",
            d.file.id, d.file.name, d.file.org_id, d.file.module_id, d.file.sha256, d.problem
        );
    }
    if report.damaged.is_empty() {
        println!(
            "{} file(s) verified ({} distinct contents): every content matches its SHA-256.",
            report.files, report.contents
        );
        Ok(())
    } else {
        anyhow::bail!(
            "{} of {} file(s) are damaged",
            report.damaged.len(),
            report.files
        )
    }
}

#[derive(Subcommand)]
pub(crate) enum JobsCommand {
    /// The latest runs, newest first.
    List {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) async fn jobs(command: JobsCommand) -> anyhow::Result<()> {
    let JobsCommand::List { org, data } = command;
    let db = data.database().await?;
    let runs = portico_platform::jobs::runs(&db, org.as_deref(), 100).await?;
    if runs.is_empty() {
        println!("No job has run yet.");
    }
    for r in runs {
        println!(
            "{} {}/{} in {} on {}: {}",
            time(r.key.slot_micros),
            r.key.module_id,
            r.key.job,
            r.key.org_id,
            r.holder,
            r.outcome.as_deref().unwrap_or("running")
        );
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum RecordsCommand {
    /// Insert the JSON documents of a file (one per line) into a module's
    /// collection, each audited. Every line is checked first: one bad line
    /// and nothing is imported. Large files go in batches; an import that
    /// was stopped resumes where it stopped when run again on the same file.
    Import {
        /// The file: one JSON object per line.
        file: PathBuf,
        /// Import the file again although it was imported whole before.
        #[arg(long)]
        again: bool,
        /// The organization.
        #[arg(long)]
        org: String,
        /// The module whose collection it is.
        #[arg(long)]
        module: String,
        /// The collection.
        #[arg(long)]
        collection: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) async fn records(command: RecordsCommand) -> anyhow::Result<()> {
    use portico_platform::imports;
    use portico_platform::records::Scope;
    let RecordsCommand::Import {
        file,
        again,
        org,
        module,
        collection,
        data,
    } = command;
    let (services, manifests) = platform(&data, Senders::default()).await?;
    let manifest = manifests
        .iter()
        .find(|m| m.id == module)
        .with_context(|| format!("`--module {module}`: no such module is installed"))?;
    let spec = manifest.collections.get(&collection).with_context(|| {
        format!("`--collection {collection}`: the module `{module}` declares no such collection")
    })?;
    let schema = portico_host::services::schema(portico_runtime::backend::CollectionRef {
        name: &collection,
        spec,
    });
    if organizations::get(services.platform().db(), &org)
        .await?
        .is_none()
    {
        anyhow::bail!("`--org {org}`: there is no such organization");
    }
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let scope = Scope {
        org_id: org.clone(),
        module_id: module.clone(),
        actor: cli_actor(),
    };
    let what = imports::Import {
        scope: &scope,
        schema: &schema,
        text: &text,
        again,
    };
    let mut shown = Progress::new();
    let imported = imports::import(services.platform().db(), what, |p| shown.show(p))
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    shown.finish();
    match imported {
        imports::Imported::Done {
            documents,
            resumed_at_line,
        } => {
            if let Some(line) = resumed_at_line {
                println!("Resumed an import that had stopped after line {line}.");
            }
            println!("Imported {documents} document(s) into {module}/{collection} of {org}.");
        }
        imports::Imported::AlreadyDone {
            documents,
            finished_at_micros,
        } => println!(
            "This file was imported whole before ({documents} document(s), finished {}); \
             nothing was imported. Add --again to import it once more.",
            portico_host::services::rfc3339(finished_at_micros)
        ),
    }
    Ok(())
}

/// How far an import is, on the terminal: one line rewritten in place when
/// stderr is a terminal, a line per tenth of the file otherwise.
struct Progress {
    terminal: bool,
    last_tenth: u64,
    shown: bool,
}

impl Progress {
    fn new() -> Progress {
        use std::io::IsTerminal;
        Progress {
            terminal: std::io::stderr().is_terminal(),
            last_tenth: 0,
            shown: false,
        }
    }

    fn show(&mut self, p: portico_platform::imports::Progress) {
        let percent = p.lines_done * 100 / p.lines.max(1);
        if self.terminal {
            eprint!("\r{} of {} lines ({percent} %)", p.lines_done, p.lines);
            self.shown = true;
        } else if percent / 10 > self.last_tenth {
            self.last_tenth = percent / 10;
            eprintln!("{} of {} lines ({percent} %)", p.lines_done, p.lines);
        }
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk the audit chain of one organization (or of all) and name the
    /// first entry that does not match. Exits with 1 when a chain is broken.
    Verify {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Write an organization's entries and chain head as JSON lines, for an outside witness.
    Export {
        /// The organization.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) async fn audit(command: AuditCommand) -> anyhow::Result<()> {
    use portico_platform::audit::{self, Verdict};
    match command {
        AuditCommand::Verify { org, data } => {
            let db = data.database().await?;
            let orgs = match org {
                Some(id) => vec![id],
                None => std::iter::once(audit::PLATFORM_CHAIN.to_owned())
                    .chain(organizations::list(&db).await?.into_iter().map(|o| o.id))
                    .collect(),
            };
            let mut broken = 0;
            for id in orgs {
                match audit::verify(&db, &id).await? {
                    Verdict::Intact { entries, head } => {
                        println!("{id}: intact, {entries} entries, head {head}");
                    }
                    Verdict::Broken { seq, problem } => {
                        broken += 1;
                        println!("{id}: BROKEN at entry {seq}: {problem}");
                    }
                }
            }
            if broken > 0 {
                anyhow::bail!("{broken} audit chain(s) broken");
            }
        }
        AuditCommand::Export { org, data } => {
            let db = data.database().await?;
            let verdict = audit::verify(&db, &org).await?;
            for entry in audit::entries(&db, &org).await? {
                println!("{}", serde_json::to_string(&entry)?);
            }
            println!(
                "{}",
                serde_json::json!({ "org_id": org, "verdict": verdict })
            );
        }
    }
    Ok(())
}
