//! What the clerks and the public see: the registry, a contract with its
//! checks and deadlines, the published contracts, and the CSV exports.

use portico_sdk::records::{Document, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, FormPost, NoticeLevel, Page, Pager, Response, Result, Stat,
    Table, TimelineEntry, View, calendar, csv, segment,
};

use crate::checks;
use crate::forms::{self, Errors};
use crate::model::{
    CONTRACTS, Contract, can_manage, contract, date_text, exemption_name, money, state, state_name,
};

/// Contracts a page of a list.
const PAGE: u32 = 50;

/// The other parties, as a line.
pub fn parties_text(c: &Contract) -> String {
    c.parties
        .iter()
        .map(|p| {
            if p.ico.is_empty() {
                p.name.clone()
            } else {
                format!("{} (IČO {})", p.name, p.ico)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value as the list shows it.
pub fn value_text(ctx: &Context, c: &Contract) -> String {
    match c.value_net {
        Some(v) => money(ctx, v, &c.currency),
        None => ctx.tr("not stated", "neuvedena").to_owned(),
    }
}

/// Where the contract stands, with its deadline when it waits.
pub fn standing(ctx: &Context, c: &Contract) -> String {
    let today = calendar::today();
    match c.state.as_str() {
        state::PENDING => {
            let shown = |d: Option<chrono::NaiveDate>| {
                d.map(|d| date_text(ctx, &d.to_string()))
                    .unwrap_or_default()
            };
            let due = shown(c.deadline());
            let cancels = shown(c.cancels());
            let left = c.deadline().map_or(0, |d| (d - today).num_days());
            match (c.late == 1, ctx.is_czech()) {
                (true, true) => format!(
                    "po lhůtě (do {due}); nebude-li uveřejněna do {cancels}, platí, že je zrušena od počátku"
                ),
                (true, false) => format!(
                    "late (due {due}); deemed cancelled from the start unless published by {cancels}"
                ),
                (false, true) => format!("uveřejnit do {due} (zbývá dní: {left})"),
                (false, false) => format!("publish by {due} ({left} days left)"),
            }
        }
        state::PUBLISHED => {
            let on = date_text(ctx, c.published_on());
            match (c.late == 1, ctx.is_czech()) {
                (false, true) => format!("uveřejněna {on}"),
                (false, false) => format!("published {on}"),
                (true, true) => format!("uveřejněna {on}, po lhůtě"),
                (true, false) => format!("published {on}, late"),
            }
        }
        other => state_name(ctx, other).to_owned(),
    }
}

fn list_table(ctx: &Context, caption: &str) -> Table {
    Table::new(caption)
        .column(ctx.tr("Number", "Číslo"))
        .column(ctx.tr("Subject", "Předmět"))
        .column(ctx.tr("Other parties", "Smluvní strany"))
        .numeric_column(ctx.tr("Value without VAT", "Hodnota bez DPH"))
        .column(ctx.tr("Concluded", "Uzavřena"))
        .column(ctx.tr("Publication", "Uveřejnění"))
        .column(ctx.tr("Checks", "Kontroly"))
}

pub fn checks_cell(ctx: &Context, c: &Contract) -> String {
    match (c.problems, ctx.is_czech()) {
        (0, true) => "v pořádku".into(),
        (0, false) => "passed".into(),
        (n, true) => format!("nesplněno: {n}"),
        (n, false) => format!("{n} failed"),
    }
}

/// The registry: what waits, what is late, the checks, and every contract.
pub fn home(ctx: &Context, page: &Page) -> Result<View> {
    let t = crate::region::totals()?;
    let filter = page
        .query("state")
        .filter(|s| state::ALL.contains(s) || ["failing", "late"].contains(s));
    let mut view = View::new(ctx.tr("Contract registry", "Evidence smluv")).stats([
        Stat::new(ctx.tr("Contracts", "Smlouvy"), t.contracts.to_string()).link("/"),
        Stat::new(
            ctx.tr("To be published", "K uveřejnění"),
            t.pending.to_string(),
        )
        .link("/?state=pending"),
        Stat::new(
            ctx.tr("Past the 30 days", "Po lhůtě 30 dnů"),
            t.overdue.to_string(),
        )
        .link("/?state=late"),
        Stat::new(
            ctx.tr("Cancelled from the start", "Zrušené od počátku"),
            t.cancelled.to_string(),
        )
        .link("/?state=cancelled"),
        Stat::new(
            ctx.tr("Failing checks", "Nesplněné kontroly"),
            t.failing.to_string(),
        )
        .link("/?state=failing"),
    ]);
    let mut actions = Vec::new();
    if can_manage(ctx) {
        actions.push(Action::primary(
            ctx.tr("Enter a contract", "Zapsat smlouvu"),
            "/new",
        ));
    }
    actions.push(Action::secondary(
        ctx.tr("Download as CSV", "Stáhnout jako CSV"),
        "/contracts.csv",
    ));
    actions.push(Action::secondary(
        ctx.tr("The public list", "Veřejný seznam"),
        "/published",
    ));
    let founds = portico_sdk::orgs::descendants(None, None)?
        .iter()
        .any(|o| o.module_enabled);
    if founds {
        actions.push(Action::secondary(
            ctx.tr("Contracts of the organizations", "Smlouvy organizací"),
            "/region",
        ));
    }
    view = view.actions(actions);
    let find = match filter {
        Some(state::PENDING) => CONTRACTS
            .find()
            .eq("state", state::PENDING)
            .sort("concluded"),
        Some("failing") => CONTRACTS.find().gt("problems", 0).sort_desc("concluded"),
        Some("late") => CONTRACTS
            .find()
            .eq("state", state::PENDING)
            .eq("late", 1)
            .sort("concluded"),
        Some(s) => CONTRACTS.find().eq("state", s).sort_desc("concluded"),
        None => CONTRACTS.find().sort_desc("concluded"),
    };
    let found = find
        .limit(PAGE)
        .after(page.query("after").map(str::to_owned))
        .fetch::<Contract>()?;
    let caption = match filter {
        Some("failing") => ctx.tr("Failing checks", "Nesplněné kontroly").to_owned(),
        Some("late") => ctx.tr("Past the 30 days", "Po lhůtě 30 dnů").to_owned(),
        Some(s) => format!("{}: {}", ctx.tr("Contracts", "Smlouvy"), state_name(ctx, s)),
        None => ctx
            .tr("Contracts, the latest first", "Smlouvy, nejnovější první")
            .to_owned(),
    };
    let mut table =
        list_table(ctx, &caption).empty_text(ctx.tr("No contracts here.", "Žádné smlouvy."));
    for d in &found.documents {
        table = table.row(row(ctx, &d.id, &d.data, "/contracts/"));
    }
    view = view.table(table);
    if let Some(next) = found.next_cursor {
        let mut href = format!("/?after={}", segment(&next));
        if let Some(f) = filter {
            href.push_str(&format!("&state={f}"));
        }
        view = view.pager(Pager::new().next(href));
    }
    Ok(view)
}

pub fn row(ctx: &Context, id: &str, c: &Contract, base: &str) -> Vec<Cell> {
    vec![
        Cell::link(c.number.clone(), format!("{base}{}", segment(id))),
        c.subject.clone().into(),
        parties_text(c).into(),
        value_text(ctx, c).into(),
        date_text(ctx, &c.concluded).into(),
        standing(ctx, c).into(),
        checks_cell(ctx, c).into(),
    ]
}

/// What a contract says, for the clerks and the founder.
pub fn facts(ctx: &Context, c: &Contract, public: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        (ctx.tr("Number", "Číslo").into(), c.number.clone()),
        (ctx.tr("Subject", "Předmět").into(), c.subject.clone()),
        (
            ctx.tr("Other parties", "Smluvní strany").into(),
            c.parties
                .iter()
                .map(|p| {
                    let mut s = p.name.clone();
                    if !p.ico.is_empty() {
                        s.push_str(&format!(", IČO {}", p.ico));
                    }
                    if !p.databox.is_empty() && !public {
                        s.push_str(&format!(
                            ", {} {}",
                            ctx.tr("data box", "datová schránka"),
                            p.databox
                        ));
                    }
                    s
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            ctx.tr("Value without VAT", "Hodnota bez DPH").into(),
            match c.value_net {
                Some(_) => value_text(ctx, c),
                None if !c.no_value_reason.is_empty() => format!(
                    "{} ({})",
                    ctx.tr("not stated", "neuvedena"),
                    c.no_value_reason
                ),
                None => ctx.tr("not stated", "neuvedena").into(),
            },
        ),
    ];
    if let Some(v) = c.value_gross {
        out.push((
            ctx.tr("Value with VAT", "Hodnota s DPH").into(),
            money(ctx, v, &c.currency),
        ));
    }
    if c.currency != "CZK"
        && let Some(czk) = c.czk()
    {
        out.push((
            ctx.tr("Without VAT in CZK", "Bez DPH v Kč").into(),
            money(ctx, czk, "CZK"),
        ));
    }
    out.push((
        ctx.tr("Concluded", "Uzavřena").into(),
        date_text(ctx, &c.concluded),
    ));
    let start = date_text(
        ctx,
        if c.valid_from.is_empty() {
            &c.concluded
        } else {
            &c.valid_from
        },
    );
    out.push((
        ctx.tr("Valid", "Platnost").into(),
        if c.valid_to.is_empty() {
            format!(
                "{} {start}",
                ctx.tr("indefinitely, from", "na dobu neurčitou, od")
            )
        } else {
            format!("{start} – {}", date_text(ctx, &c.valid_to))
        },
    ));
    if let Some(effective) = c.effective() {
        out.push((
            ctx.tr("In effect from", "Účinná od").into(),
            date_text(ctx, &effective),
        ));
    }
    if !c.approved_by.is_empty() {
        out.push((
            ctx.tr("Approved by", "Schváleno").into(),
            c.approved_by.clone(),
        ));
    }
    if !c.parent.is_empty() {
        out.push((
            ctx.tr("Amends", "Dodatek ke smlouvě").into(),
            c.parent.clone(),
        ));
    }
    out.push((
        ctx.tr("Publication duty", "Povinnost uveřejnění").into(),
        if !c.exemption.is_empty() {
            format!(
                "{}: {}{}",
                ctx.tr("exempt", "výjimka"),
                exemption_name(ctx, &c.exemption),
                if c.exemption_note.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.exemption_note)
                }
            )
        } else if c.duty {
            ctx.tr(
                "yes: published within 30 days of its conclusion, in effect only then",
                "ano: uveřejnit do 30 dnů od uzavření, účinná až uveřejněním",
            )
            .into()
        } else {
            ctx.tr(
                "no: 50,000 CZK without VAT or less",
                "ne: do 50 000 Kč bez DPH včetně",
            )
            .into()
        },
    ));
    out.push((ctx.tr("Status", "Stav").into(), standing(ctx, c)));
    if let Some(p) = &c.publication {
        out.push((
            ctx.tr("In the contract register", "V registru smluv")
                .into(),
            format!(
                "{} {}, {} {} ({})",
                ctx.tr("contract ID", "ID smlouvy"),
                p.contract_id,
                ctx.tr("version ID", "ID verze"),
                p.version_id,
                p.url()
            ),
        ));
    }
    if c.redacted {
        out.push((
            ctx.tr("Redacted", "Znečitelněno").into(),
            if c.redaction_reason.is_empty() {
                ctx.tr("reason not stated", "důvod neuveden").into()
            } else {
                c.redaction_reason.clone()
            },
        ));
    }
    out
}

/// The deadlines of a contract under the duty, as a timeline.
pub fn deadlines(ctx: &Context, c: &Contract) -> Vec<TimelineEntry> {
    let Some(concluded) = c.concluded_date() else {
        return Vec::new();
    };
    let at = |days: i64| concluded + chrono::Duration::days(days);
    let published = c
        .publication
        .as_ref()
        .and_then(|p| calendar::parse_date(&p.date));
    let mut out = vec![TimelineEntry::new(
        date_text(ctx, &c.concluded),
        ctx.tr("Concluded", "Uzavřena"),
    )];
    for (day, en, cs) in [
        (
            at(20),
            "First warning: 10 days left",
            "První upozornění: zbývá 10 dní",
        ),
        (
            at(25),
            "Second warning: 5 days left",
            "Druhé upozornění: zbývá 5 dní",
        ),
    ] {
        if published.is_none_or(|p| p > day) {
            out.push(TimelineEntry::new(
                date_text(ctx, &day.to_string()),
                ctx.tr(en, cs),
            ));
        }
    }
    if let Some(deadline) = c.deadline() {
        out.push(TimelineEntry::new(
            date_text(ctx, &deadline.to_string()),
            ctx.tr("The last day to publish it", "Poslední den k uveřejnění"),
        ));
    }
    if let Some(p) = &c.publication {
        out.push(TimelineEntry::new(
            date_text(ctx, &p.date),
            ctx.tr("Published", "Uveřejněna"),
        ));
    } else if let Some(limit) = c.cancels() {
        out.push(TimelineEntry::new(
            date_text(ctx, &limit.to_string()),
            ctx.tr(
                "The last day before it is deemed cancelled from the start",
                "Poslední den, než platí, že je zrušena od počátku",
            ),
        ));
    }
    out
}

/// A contract's page: its facts, checks, deadlines, amendments and, for a
/// clerk, the publication's form.
pub fn detail(ctx: &Context, id: &str, publishing: Option<(&FormPost, &Errors)>) -> Result<View> {
    let doc = contract(id)?;
    let c = &doc.data;
    let mut view = View::new(format!("{} {}", ctx.tr("Contract", "Smlouva"), c.number))
        .key_values(facts(ctx, c, false));
    view = checks_notice(ctx, view, c);
    let mut actions = Vec::new();
    if can_manage(ctx) && c.publication.is_none() {
        actions.push(Action::primary(
            ctx.tr("Change", "Změnit"),
            format!("/contracts/{}/edit", segment(id)),
        ));
    }
    for (doc, en, cs) in [
        (&c.document, "The signed contract", "Podepsaná smlouva"),
        (
            &c.public_document,
            "The version to publish",
            "Verze k uveřejnění",
        ),
    ] {
        if let Some(d) = doc {
            actions.push(Action::secondary(
                format!("{} ({})", ctx.tr(en, cs), d.name),
                format!("/contracts/{}/files/{}", segment(id), segment(&d.id)),
            ));
        }
    }
    if c.state == state::PUBLISHED {
        actions.push(Action::secondary(
            ctx.tr("As the public sees it", "Jak ji vidí veřejnost"),
            format!("/published/{}", segment(id)),
        ));
    }
    view = view.actions(actions);
    if c.duty {
        view = view
            .heading(ctx.tr("Deadlines", "Lhůty"))
            .timeline(deadlines(ctx, c));
    }
    if can_manage(ctx) && c.publication.is_none() {
        let (form, errors) = match publishing {
            Some((f, e)) => (Some(f), e.clone()),
            None => (None, Vec::new()),
        };
        view = view
            .heading(ctx.tr("Publication in the contract register",
                "Uveřejnění v registru smluv",
            ))
            .text(if c.state == state::CANCELLED {
                ctx.tr("If it was published in time, by the last day before it is deemed cancelled, record what the register's confirmation says.",
                    "Byla-li uveřejněna včas, do posledního dne před zrušením, zaznamenejte, co uvádí potvrzení registru.",
                )
            } else {
                ctx.tr("Send the version to publish to the contract register (smlouvy.gov.cz) through the data box, then record here what its confirmation says.",
                    "Pošlete verzi k uveřejnění do registru smluv (smlouvy.gov.cz) datovou schránkou a zde zaznamenejte, co uvádí jeho potvrzení.",
                )
            })
            .form(forms::publication_form(ctx, id, form, &errors));
    }
    let amendments = CONTRACTS
        .find()
        .eq("parent", &c.number)
        .sort("concluded")
        .fetch_all::<Contract>(500)?;
    if !amendments.is_empty() {
        let mut table = list_table(ctx, ctx.tr("Amendments", "Dodatky"));
        for d in &amendments {
            table = table.row(row(ctx, &d.id, &d.data, "/contracts/"));
        }
        view = view.table(table);
    }
    Ok(view)
}

/// The checks a contract fails, or that it passes them all.
pub fn checks_notice(ctx: &Context, view: View, c: &Contract) -> View {
    if c.checks.is_empty() {
        return view.notice(
            NoticeLevel::Success,
            ctx.tr(
                "It passes every check before publication.",
                "Prošla všemi kontrolami před uveřejněním.",
            ),
        );
    }
    let list: Vec<String> = c.checks.iter().map(|p| checks::text(ctx, p)).collect();
    view.notice(
        NoticeLevel::Warning,
        format!(
            "{} {}",
            ctx.tr(
                "Checks it fails (it cannot be published until they pass):",
                "Nesplněné kontroly (dokud neprojdou, nelze ji uveřejnit):",
            ),
            list.join(" ")
        ),
    )
}

/// A kept file of a contract, for the staff.
pub fn file(id: &str, file: &str) -> Result<Response> {
    let c = contract(id)?.data;
    let found = [&c.document, &c.public_document]
        .into_iter()
        .flatten()
        .find(|d| d.id == file)
        .ok_or_else(|| Error::not_found(format!("contract {id} has no file {file}")))?;
    pdf(found)
}

fn pdf(d: &crate::model::Stored) -> Result<Response> {
    Ok(Response::inline_file(
        "application/pdf",
        &d.name,
        portico_sdk::files::read(&d.id)?,
    ))
}

/// A published contract by its id or its number (the search links by
/// number), or not found: nothing else is public.
fn published(key: &str) -> Result<Document<Contract>> {
    let found = match contract(key) {
        Ok(d) => Some(d),
        Err(_) => CONTRACTS.find_by::<Contract>("number", key)?,
    };
    found
        .filter(|d| d.data.state == state::PUBLISHED)
        .ok_or_else(|| Error::not_found(format!("no published contract {key}")))
}

/// The published contracts, the latest first.
pub fn public_list(ctx: &Context, page: &Page) -> Result<View> {
    let found = CONTRACTS
        .find()
        .eq("state", state::PUBLISHED)
        .sort_desc("concluded")
        .limit(PAGE)
        .after(page.query("after").map(str::to_owned))
        .fetch::<Contract>()?;
    let org = portico_sdk::orgs::current()?;
    let mut table = Table::new(ctx.tr(
        "Published contracts, the latest concluded first",
        "Uveřejněné smlouvy, naposledy uzavřené první",
    ))
    .column(ctx.tr("Number", "Číslo"))
    .column(ctx.tr("Subject", "Předmět"))
    .column(ctx.tr("Other parties", "Smluvní strany"))
    .numeric_column(ctx.tr("Value without VAT", "Hodnota bez DPH"))
    .column(ctx.tr("Concluded", "Uzavřena"))
    .column(ctx.tr("Published", "Uveřejněna"))
    .empty_text(ctx.tr("Nothing published yet.", "Zatím nic uveřejněno."));
    for d in &found.documents {
        let c = &d.data;
        table = table.row([
            Cell::link(c.number.clone(), format!("/published/{}", segment(&d.id))),
            c.subject.clone().into(),
            parties_text(c).into(),
            value_text(ctx, c).into(),
            date_text(ctx, &c.concluded).into(),
            date_text(ctx, c.published_on()).into(),
        ]);
    }
    let mut view = View::new(format!(
        "{}: {}",
        ctx.tr("Published contracts", "Uveřejněné smlouvy"),
        org.name
    ))
    .text(ctx.tr("The contracts this organization has published in the contract register (zákon č. 340/2015 Sb.), with the version published. The register itself is at smlouvy.gov.cz.",
        "Smlouvy, které organizace uveřejnila v registru smluv (zákon č. 340/2015 Sb.), s uveřejněnou verzí. Samotný registr je na smlouvy.gov.cz.",
    ))
    .actions([Action::secondary(
        ctx.tr("Download as CSV", "Stáhnout jako CSV"),
        "/published.csv",
    )])
    .table(table);
    if let Some(next) = found.next_cursor {
        view = view.pager(Pager::new().next(format!("/published?after={}", segment(&next))));
    }
    Ok(view)
}

/// A published contract, as the public sees it.
pub fn public_detail(ctx: &Context, id: &str) -> Result<View> {
    let c = published(id)?.data;
    let mut view = View::new(format!("{} {}", ctx.tr("Contract", "Smlouva"), c.number))
        .key_values(facts(ctx, &c, true));
    let mut actions = Vec::new();
    if c.public_document.is_some() {
        actions.push(Action::primary(
            ctx.tr(
                "The contract as published (PDF)",
                "Smlouva, jak byla uveřejněna (PDF)",
            ),
            format!("/published/{}/document", segment(id)),
        ));
    }
    if let Some(p) = &c.publication {
        actions.push(Action::secondary(
            ctx.tr("In the contract register", "V registru smluv"),
            p.url(),
        ));
    }
    actions.push(Action::secondary(
        ctx.tr("All published contracts", "Všechny uveřejněné smlouvy"),
        "/published",
    ));
    view = view.actions(actions);
    Ok(view)
}

/// The published version of a published contract.
pub fn public_document(id: &str) -> Result<Response> {
    let c = published(id)?.data;
    match &c.public_document {
        Some(d) => pdf(d),
        None => Err(Error::not_found(format!("contract {id} has no document"))),
    }
}

/// The columns both exports share, and one contract's cells.
pub fn csv_header(cs: bool) -> Vec<&'static str> {
    if cs {
        vec![
            "číslo",
            "předmět",
            "smluvní strany",
            "IČO",
            "hodnota bez DPH",
            "hodnota s DPH",
            "měna",
            "bez DPH v Kč",
            "uzavřena",
            "platnost od",
            "platnost do",
            "dodatek ke smlouvě",
            "povinnost uveřejnění",
            "výjimka",
            "lhůta",
            "stav",
            "po lhůtě",
            "uveřejněna",
            "ID smlouvy",
            "ID verze",
            "nesplněné kontroly",
        ]
    } else {
        vec![
            "number",
            "subject",
            "other parties",
            "IČO",
            "value without VAT",
            "value with VAT",
            "currency",
            "without VAT in CZK",
            "concluded",
            "valid from",
            "valid until",
            "amends",
            "publication duty",
            "exemption",
            "deadline",
            "state",
            "late",
            "published",
            "contract ID",
            "version ID",
            "failed checks",
        ]
    }
}

pub fn csv_cells(c: &Contract) -> Vec<csv::Cell> {
    let p = c.publication.as_ref();
    vec![
        c.number.clone().into(),
        c.subject.clone().into(),
        c.parties
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("; ")
            .into(),
        c.parties
            .iter()
            .map(|p| p.ico.as_str())
            .collect::<Vec<_>>()
            .join("; ")
            .into(),
        c.value_net.into(),
        c.value_gross.into(),
        c.currency.clone().into(),
        c.value_czk.into(),
        c.concluded.clone().into(),
        c.valid_from.clone().into(),
        c.valid_to.clone().into(),
        c.parent.clone().into(),
        (if c.duty { "1" } else { "0" }).into(),
        c.exemption.clone().into(),
        c.due().map(|d| d.to_string()).unwrap_or_default().into(),
        c.state.clone().into(),
        (if c.late == 1 { "1" } else { "0" }).into(),
        c.published_on().into(),
        p.map(|p| p.contract_id.clone()).unwrap_or_default().into(),
        p.map(|p| p.version_id.clone()).unwrap_or_default().into(),
        c.checks
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>()
            .join(" ")
            .into(),
    ]
}

/// Every contract (`public`: the published ones only) as CSV.
pub fn export(ctx: &Context, public: bool) -> Result<Response> {
    let mut out = csv::Writer::new();
    out.row(csv_header(ctx.is_czech()))?;
    let find = if public {
        CONTRACTS
            .find()
            .eq("state", state::PUBLISHED)
            .sort_desc("concluded")
    } else {
        CONTRACTS.find().sort_desc("concluded")
    };
    for page in find.limit(500).pages::<Contract>() {
        for d in page? {
            out.row(csv_cells(&d.data))?;
        }
    }
    out.into_response(if public {
        "published-contracts.csv"
    } else {
        "contracts.csv"
    })
}
