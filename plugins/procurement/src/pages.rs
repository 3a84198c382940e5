//! What the clerks and the public see: the processes, one with its lots,
//! bids, awards, contracts and releases, the steps' pages, the statistics,
//! and the standard's packages.

use portico_sdk::records::{Document, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, FormPost, NoticeLevel, Page, Pager, Request, Response, Result,
    Stat, Table, TimelineEntry, View, calendar, orgs, segment,
};
use serde_json::Value;

use crate::forms::{self, Errors, STEPS};
use crate::model::{
    CRITERIA, Kept, PROCESSES, Process, RELEASES, can_manage, category_name, czk, date_text,
    procedure_name, process, regime, status, status_name,
};
use crate::ocds;

/// Processes a page of a list.
const PAGE: u32 = 50;

fn list_table(ctx: &Context, caption: &str) -> Table {
    Table::new(caption)
        .column(ctx.tr("Procurement", "Zakázka"))
        .column(ctx.tr("Procedure", "Druh řízení"))
        .numeric_column(ctx.tr(
            "Estimated value without VAT",
            "Předpokládaná hodnota bez DPH",
        ))
        .numeric_column(ctx.tr("Bids", "Nabídky"))
        .column(ctx.tr("Status", "Stav"))
        .column(ctx.tr("Last change", "Poslední změna"))
}

fn list_row(ctx: &Context, p: &Process, href: String) -> Vec<Cell> {
    vec![
        Cell::link(p.title.clone(), href),
        procedure_name(ctx, &p.procedure).into(),
        czk(ctx, p.estimate).into(),
        p.bids.len().to_string().into(),
        status_name(ctx, &p.status).into(),
        calendar::format_moment_text(&p.updated, ctx.lang()).into(),
    ]
}

/// The processes, the latest changed first; `?status=` filters them.
pub fn home(ctx: &Context, page: &Page) -> Result<View> {
    let filter = page.query("status").filter(|s| status::ALL.contains(s));
    let counts = PROCESSES.count_by("status").fetch()?;
    let count = |s: &str| {
        counts
            .iter()
            .filter(|g| g.key.as_deref() == Some(s))
            .map(|g| g.count)
            .sum::<u64>()
    };
    let mut view = View::new(ctx.tr("Public procurement", "Veřejné zakázky")).stats([
        Stat::new(
            ctx.tr("Processes", "Zakázky"),
            counts.iter().map(|g| g.count).sum::<u64>().to_string(),
        )
        .link("/"),
        Stat::new(
            ctx.tr("Planned", "Plánované"),
            count(status::PLANNING).to_string(),
        )
        .link("/?status=planning"),
        Stat::new(
            ctx.tr("Tendering", "V zadávání"),
            count(status::ACTIVE).to_string(),
        )
        .link("/?status=active"),
        Stat::new(
            ctx.tr("Awarded", "Zadané"),
            count(status::COMPLETE).to_string(),
        )
        .link("/?status=complete"),
    ]);
    let mut actions = Vec::new();
    if can_manage(ctx) {
        actions.push(Action::primary(
            ctx.tr("A new procurement", "Nová zakázka"),
            "/new",
        ));
    }
    actions.extend([
        Action::secondary(ctx.tr("Statistics", "Statistika"), "/statistics"),
        Action::secondary(ctx.tr("The public list", "Veřejný seznam"), "/public"),
    ]);
    if orgs::descendants(None, None)?
        .iter()
        .any(|o| o.module_enabled)
    {
        actions.push(Action::secondary(
            ctx.tr("Procurement of the organizations", "Zakázky organizací"),
            "/region",
        ));
    }
    view = view.actions(actions);
    let (table, next) = process_list(
        ctx,
        &match filter {
            Some(s) => format!(
                "{}: {}",
                ctx.tr("Processes", "Zakázky"),
                status_name(ctx, s)
            ),
            None => ctx
                .tr(
                    "Processes, the latest changed first",
                    "Zakázky seřazené od poslední změny",
                )
                .to_owned(),
        },
        filter,
        page.query("after"),
        "/processes/",
        true,
    )?;
    view = view.table(table);
    if let Some(next) = next {
        let mut href = format!("/?after={}", segment(&next));
        if let Some(f) = filter {
            href.push_str(&format!("&status={f}"));
        }
        view = view.pager(Pager::new().next(href));
    }
    Ok(view)
}

/// A page of processes, and the cursor of the next; linked by document id
/// (`by_id`) or by OCID.
fn process_list(
    ctx: &Context,
    caption: &str,
    filter: Option<&str>,
    after: Option<&str>,
    base: &str,
    by_id: bool,
) -> Result<(Table, Option<String>)> {
    let find = match filter {
        Some(s) => PROCESSES.find().eq("status", s),
        None => PROCESSES.find(),
    };
    let found = find
        .sort_desc("updated")
        .limit(PAGE)
        .after(after.map(str::to_owned))
        .fetch::<Process>()?;
    let mut table =
        list_table(ctx, caption).empty_text(ctx.tr("No procurement here.", "Žádné zakázky."));
    for d in &found.documents {
        let key = if by_id { &d.id } else { &d.data.ocid };
        table = table.row(list_row(ctx, &d.data, format!("{base}{}", segment(key))));
    }
    Ok((table, found.next_cursor))
}

/// The facts of a process.
fn facts(ctx: &Context, p: &Process) -> Vec<(String, String)> {
    let mut facts = vec![
        ("OCID".to_owned(), p.ocid.clone()),
        (
            ctx.tr("Status", "Stav").to_owned(),
            status_name(ctx, &p.status).to_owned(),
        ),
        (
            ctx.tr("Kind", "Druh").to_owned(),
            category_name(ctx, &p.category).to_owned(),
        ),
        (
            ctx.tr("Procedure", "Druh řízení").to_owned(),
            procedure_name(ctx, &p.procedure).to_owned(),
        ),
        (
            ctx.tr(
                "Estimated value without VAT",
                "Předpokládaná hodnota bez DPH",
            )
            .to_owned(),
            match regime(&p.category, p.estimate) {
                Ok(r) => format!("{} ({})", czk(ctx, p.estimate), r.name(ctx)),
                Err(_) => czk(ctx, p.estimate),
            },
        ),
    ];
    let mut add = |label: &str, value: &str| {
        if !value.is_empty() {
            facts.push((label.to_owned(), value.to_owned()));
        }
    };
    add(ctx.tr("What is bought", "Předmět zakázky"), &p.description);
    add(
        ctx.tr("Why without a published call", "Proč bez uveřejněné výzvy"),
        &p.justification,
    );
    add(
        ctx.tr("Why it is bought", "Zdůvodnění potřeby"),
        &p.rationale,
    );
    add(ctx.tr("Paid from", "Zdroj financování"), &p.budget);
    if let Some((_, en, cs)) = CRITERIA.iter().find(|(c, _, _)| *c == p.criteria) {
        let how = if p.criteria_details.is_empty() {
            ctx.tr(en, cs).to_owned()
        } else {
            format!("{}: {}", ctx.tr(en, cs), p.criteria_details)
        };
        add(
            ctx.tr("How bids are evaluated", "Způsob hodnocení nabídek"),
            &how,
        );
    }
    add(ctx.tr("CPV code", "Kód CPV"), &p.cpv);
    add(
        ctx.tr(
            "On the buyer's profile or in NEN",
            "Na profilu zadavatele nebo v NEN",
        ),
        &p.profile,
    );
    if !p.tender_start.is_empty() {
        add(
            ctx.tr("Time for bids", "Lhůta pro podání nabídek"),
            &format!(
                "{} – {}",
                date_text(ctx, &p.tender_start),
                date_text(ctx, &p.tender_end)
            ),
        );
    }
    facts
}

/// The lots, bids, awards and contracts of a process.
fn parts(ctx: &Context, mut view: View, p: &Process) -> View {
    let closed = p.live_lots().any(|l| !l.status.is_empty());
    if p.live_lots().count() > 1 || closed {
        let mut lots = Table::new(ctx.tr("Lots", "Části zakázky"))
            .column(ctx.tr("Lot", "Část"))
            .numeric_column(ctx.tr("Estimated value", "Předpokládaná hodnota"))
            .numeric_column(ctx.tr("Bids", "Nabídky"))
            .column(ctx.tr("Supplier chosen", "Vybraný dodavatel"));
        for l in p.live_lots() {
            let winner = match p.award_of(&l.id).and_then(|a| p.bid(&a.bid)) {
                Some(b) => b.name.clone(),
                None if l.status == "unsuccessful" => format!(
                    "{}: {}",
                    ctx.tr("closed without an award", "uzavřena bez výběru"),
                    l.reason
                ),
                None => "–".into(),
            };
            lots = lots.row([
                l.title.clone(),
                czk(ctx, l.value),
                p.bids.iter().filter(|b| b.lot == l.id).count().to_string(),
                winner,
            ]);
        }
        view = view.table(lots);
    }
    if !p.enquiries.is_empty() {
        let mut enquiries = Table::new(ctx.tr(
            "Clarifications of the tender documents",
            "Vysvětlení zadávací dokumentace",
        ))
        .column(ctx.tr("Request", "Žádost"))
        .column(ctx.tr("Clarification", "Vysvětlení"))
        .column(ctx.tr("Published", "Uveřejněno"));
        for e in &p.enquiries {
            enquiries = enquiries.row([
                e.question.clone(),
                e.answer.clone(),
                date_text(ctx, &e.date),
            ]);
        }
        view = view.table(enquiries);
    }
    let mut bids = Table::new(ctx.tr("Bids", "Nabídky"))
        .column(ctx.tr("Bidder", "Dodavatel"))
        .column("IČO")
        .column(ctx.tr("Lot", "Část"))
        .numeric_column(ctx.tr("Price without VAT", "Cena bez DPH"))
        .column(ctx.tr("Received", "Doručena"))
        .column(ctx.tr("Chosen", "Vybraná nabídka"))
        .empty_text(ctx.tr("No bid recorded.", "Žádná zapsaná nabídka."));
    for b in &p.bids {
        let chosen = p
            .awards
            .iter()
            .find(|a| a.bid == b.id && a.status == "active");
        bids = bids.row([
            b.name.clone(),
            b.ico.clone(),
            p.lot(&b.lot).map(|l| l.title.clone()).unwrap_or_default(),
            czk(ctx, b.amount),
            date_text(ctx, &b.received),
            match chosen {
                Some(a) if !a.evaluation.is_empty() => {
                    format!("{}: {}", ctx.tr("yes", "ano"), a.evaluation)
                }
                Some(_) => ctx.tr("yes", "ano").to_owned(),
                None => "–".to_owned(),
            },
        ]);
    }
    view = view.table(bids);
    if !p.deals.is_empty() {
        let mut deals = Table::new(ctx.tr("Contracts", "Smlouvy"))
            .column(ctx.tr("Supplier", "Dodavatel"))
            .column(ctx.tr("Signed", "Podepsána"))
            .numeric_column(ctx.tr("Value without VAT", "Cena bez DPH"))
            .numeric_column(ctx.tr("Paid", "Zaplaceno"))
            .column(ctx.tr("Amendments", "Dodatky"))
            .column(ctx.tr("Milestones", "Milníky"))
            .column(ctx.tr("Contract registry", "Evidence smluv"))
            .column(ctx.tr("Status", "Stav"));
        for d in &p.deals {
            let supplier = p.supplier_of(d).map(|b| b.name.clone()).unwrap_or_default();
            deals = deals.row([
                supplier,
                date_text(ctx, &d.signed),
                czk(ctx, d.value),
                czk(ctx, d.payments.iter().map(|p| p.amount).sum()),
                d.amendments
                    .iter()
                    .map(|a| format!("{}: {}", date_text(ctx, &a.date), a.rationale))
                    .collect::<Vec<_>>()
                    .join("; "),
                d.milestones
                    .iter()
                    .map(|m| match (m.met.is_empty(), ctx.is_czech()) {
                        (true, true) => format!("{}: do {}", m.title, date_text(ctx, &m.due)),
                        (true, false) => format!("{}: by {}", m.title, date_text(ctx, &m.due)),
                        (false, true) => format!("{}: splněno {}", m.title, date_text(ctx, &m.met)),
                        (false, false) => format!("{}: met {}", m.title, date_text(ctx, &m.met)),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                if d.registry.is_empty() {
                    "–".to_owned()
                } else {
                    d.registry.clone()
                },
                if d.status == "active" {
                    ctx.tr("in force", "v plnění")
                } else {
                    ctx.tr("ended", "ukončena")
                }
                .to_owned(),
            ]);
        }
        view = view.table(deals);
    }
    view
}

/// The releases of process `ocid`, the first first.
pub fn releases_of(ocid: &str) -> Result<Vec<Document<Kept>>> {
    RELEASES
        .find()
        .eq("ocid", ocid)
        .sort("seq")
        .fetch_all::<Kept>(10_000)
}

/// What a release's step did.
fn step_name(ctx: &Context, action: &str) -> &'static str {
    match action.trim_start_matches("procurement.") {
        "plan" => ctx.tr("planned", "naplánována"),
        "publish" => ctx.tr("call published", "výzva uveřejněna"),
        "change" => ctx.tr("call changed", "zadávací podmínky změněny"),
        "answer" => ctx.tr("clarification published", "vysvětlení uveřejněno"),
        "bid" => ctx.tr("bid recorded", "nabídka zapsána"),
        "cancel" => ctx.tr("cancelled", "zrušena"),
        "close" => ctx.tr("lot closed without an award", "část uzavřena bez výběru"),
        "import" => ctx.tr(
            "taken over from the register before",
            "převzata z předchozí evidence",
        ),
        "award" => ctx.tr("supplier chosen", "dodavatel vybrán"),
        "contract" => ctx.tr("contract signed", "smlouva podepsána"),
        "amend" => ctx.tr("contract amended", "dodatek uzavřen"),
        "pay" => ctx.tr("payment recorded", "platba zapsána"),
        "milestone" => ctx.tr("milestone recorded", "milník zapsán"),
        "finish" => ctx.tr("contract ended", "smlouva ukončena"),
        _ => "–",
    }
}

/// The releases as a timeline, each linked to the package of the process.
fn history(ctx: &Context, view: View, p: &Process) -> Result<View> {
    let entries: Vec<TimelineEntry> = releases_of(&p.ocid)?
        .into_iter()
        .map(|d| {
            let tags = d
                .data
                .release
                .get("tag")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            TimelineEntry::new(
                d.data.date.clone(),
                format!("{}. {}", d.data.seq, step_name(ctx, &d.data.action)),
            )
            .text(format!(
                "{} ({tags})",
                d.data.release["id"].as_str().unwrap_or_default()
            ))
        })
        .collect();
    Ok(view
        .heading(ctx.tr("Releases (Open Contracting)", "Vydání (Open Contracting)"))
        .timeline(entries))
}

fn ocds_actions(ctx: &Context, p: &Process) -> [Action; 2] {
    [
        Action::secondary(
            ctx.tr("Releases as OCDS JSON", "Vydání jako OCDS JSON"),
            format!("/ocds/releases/{}", segment(&p.ocid)),
        ),
        Action::secondary(
            ctx.tr("Record as OCDS JSON", "Záznam jako OCDS JSON"),
            format!("/ocds/records/{}", segment(&p.ocid)),
        ),
    ]
}

/// A process for its clerks: what it is, where it stands, the next steps.
pub fn detail(ctx: &Context, id: &str) -> Result<View> {
    let doc = process(id)?;
    let p = &doc.data;
    let mut view = View::new(p.title.clone()).key_values(facts(ctx, p));
    let mut actions = Vec::new();
    if can_manage(ctx) {
        let labels: [(&str, &str, &str); 12] = [
            ("publish", "Publish the call", "Uveřejnit výzvu"),
            ("bid", "Record a bid", "Zapsat nabídku"),
            ("answer", "Publish a clarification", "Uveřejnit vysvětlení"),
            ("award", "Award", "Vybrat dodavatele"),
            (
                "close",
                "Close a lot without an award",
                "Uzavřít část bez výběru",
            ),
            ("contract", "Record the contract", "Zapsat smlouvu"),
            ("pay", "Record a payment", "Zapsat platbu"),
            ("milestone", "Record a milestone", "Zapsat milník"),
            ("amend", "Record an amendment", "Zapsat dodatek"),
            (
                "finish",
                "Record the contract's end",
                "Zapsat ukončení smlouvy",
            ),
            ("edit", "Change the call", "Změnit zadávací podmínky"),
            ("cancel", "Cancel", "Zrušit"),
        ];
        let mut first = true;
        for (step, en, cs) in labels {
            if forms::refusal(ctx, p, step).is_some() {
                continue;
            }
            let href = format!("/processes/{}/{step}", segment(id));
            actions.push(if step == "cancel" {
                Action::danger(ctx.tr(en, cs), href)
            } else if first {
                first = false;
                Action::primary(ctx.tr(en, cs), href)
            } else {
                Action::secondary(ctx.tr(en, cs), href)
            });
        }
    }
    actions.extend(ocds_actions(ctx, p));
    view = view.actions(actions);
    view = parts(ctx, view, p);
    history(ctx, view, p)
}

/// The page of a step of process `id`: its form, with `errors`.
pub fn step_view(
    ctx: &Context,
    id: &str,
    p: &Process,
    step: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    if !STEPS.contains(&step) {
        return Err(Error::not_found(format!("no step {step}")));
    }
    let mut view = View::new(p.title.clone());
    if let Some(why) = forms::refusal(ctx, p, step) {
        return Ok(view
            .notice(NoticeLevel::Warning, why)
            .actions([Action::secondary(
                ctx.tr("Back to the procurement", "Zpět na zakázku"),
                format!("/processes/{}", segment(id)),
            )]));
    }
    if step == "edit" && p.tendering() {
        view = view.notice(
            NoticeLevel::Info,
            ctx.tr("The call is out: the change is published as an amendment of it, with its reason.",
                "Výzva je uveřejněna: změna se zveřejní jako změna zadávacích podmínek i s důvodem.",
            ),
        );
    }
    Ok(view.form(forms::step_form(ctx, id, p, step, form, errors)?))
}

/// The page of a new process.
pub fn new_process(ctx: &Context) -> View {
    View::new(ctx.tr("A new procurement", "Nová veřejná zakázka")).form(forms::process_form(
        ctx,
        None,
        None,
        &Vec::new(),
    ))
}

/// Every process, for everyone.
pub fn public_list(ctx: &Context, page: &Page) -> Result<View> {
    let (table, next) = process_list(
        ctx,
        ctx.tr(
            "Procurement, the latest changed first",
            "Zakázky, naposledy změněné první",
        ),
        None,
        page.query("after"),
        "/public/",
        false,
    )?;
    let mut view = View::new(ctx.tr("Public procurement", "Veřejné zakázky"))
        .text(ctx.tr("Every procurement of the organization, from its plan to its payments, also as open data in the Open Contracting Data Standard.",
            "Všechny veřejné zakázky organizace od plánu po platby, také jako otevřená data ve standardu Open Contracting.",
        ))
        .actions([
            Action::secondary(
                ctx.tr("Every release (OCDS JSON)", "Všechna vydání (OCDS JSON)"),
                "/ocds/releases.json",
            ),
            Action::secondary(
                ctx.tr("Every record (OCDS JSON)", "Všechny záznamy (OCDS JSON)"),
                "/ocds/records.json",
            ),
        ])
        .table(table);
    if let Some(next) = next {
        view = view.pager(Pager::new().next(format!("/public?after={}", segment(&next))));
    }
    Ok(view)
}

fn by_ocid(ocid: &str) -> Result<Document<Process>> {
    PROCESSES
        .find_by::<Process>("ocid", ocid)?
        .ok_or_else(|| Error::not_found(format!("no procurement {ocid}")))
}

/// A process, for everyone.
pub fn public_detail(ctx: &Context, ocid: &str) -> Result<View> {
    let p = by_ocid(ocid)?.data;
    let view = View::new(p.title.clone())
        .key_values(facts(ctx, &p))
        .actions(ocds_actions(ctx, &p));
    let view = parts(ctx, view, &p);
    history(ctx, view, &p)
}

/// The figures of the organization's procurement: in all, and by the
/// standard's method.
pub fn statistics(ctx: &Context) -> Result<View> {
    let f = crate::region::figures()?;
    let share = |n, of| crate::region::share(ctx, n, of);
    let mut methods = Table::new(ctx.tr("By method", "Podle způsobu zadání"))
        .column(ctx.tr("Method", "Způsob"))
        .numeric_column(ctx.tr("Processes", "Zakázky"))
        .numeric_column(ctx.tr("Share", "Podíl"))
        .numeric_column(ctx.tr("Awarded", "Zadané"))
        .numeric_column(ctx.tr("On a single bid", "S jedinou nabídkou"))
        .numeric_column(ctx.tr("Estimated value", "Předpokládaná hodnota"))
        .numeric_column(ctx.tr("Awarded value", "Hodnota zadaných"));
    for (method, en, cs) in crate::region::METHODS {
        let m = f.methods.get(method).cloned().unwrap_or_default();
        methods = methods.row([
            ctx.tr(en, cs).to_owned(),
            m.processes.to_string(),
            share(m.processes, f.all.processes),
            m.awarded.to_string(),
            // Without competition, a single bid is the rule.
            if crate::model::competitive(method) {
                format!("{} ({})", m.single_bid, share(m.single_bid, m.awarded))
            } else {
                "–".to_owned()
            },
            czk(ctx, m.estimated_czk),
            czk(ctx, m.awarded_czk),
        ]);
    }
    let all = &f.all;
    Ok(
        View::new(ctx.tr("Procurement statistics", "Statistika veřejných zakázek"))
            .stats([
                Stat::new(ctx.tr("Processes", "Zakázky"), all.processes.to_string()),
                Stat::new(ctx.tr("Awarded", "Zadané"), all.awarded.to_string()),
                Stat::new(
                    ctx.tr(
                        "Competitions awarded on a single bid",
                        "Soutěže zadané s jedinou nabídkou",
                    ),
                    share(f.competitive.single_bid, f.competitive.awarded),
                )
                .detail(format!(
                    "{} / {}",
                    f.competitive.single_bid, f.competitive.awarded
                )),
                Stat::new(
                    ctx.tr("Estimated value", "Předpokládaná hodnota"),
                    czk(ctx, all.estimated_czk),
                ),
                Stat::new(
                    ctx.tr("Awarded value", "Hodnota zadaných"),
                    czk(ctx, all.awarded_czk),
                ),
            ])
            .table(methods),
    )
}

/// Where the packages are: the portal's address from the request, and the
/// organization's path.
fn base_uri(ctx: &Context, req: &Request) -> String {
    format!("{}/o/{}/m/procurement", req.origin(), ctx.org_id())
}

fn package_response(value: &Value, name: &str) -> Response {
    Response::json(value).header(
        "content-disposition",
        format!("inline; filename=\"{name}.json\""),
    )
}

/// The most releases, and records, one bulk download holds: beyond them,
/// the download is asked for year by year.
const BULK_RELEASES: usize = 20_000;
const BULK_RECORDS: usize = 2_000;

/// The year a bulk download is asked for (`?year=2026`), if one is.
fn year(ctx: &Context, req: &Request) -> Result<Option<String>> {
    match req.query("year") {
        None | Some("") => Ok(None),
        Some(y) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(y.to_owned())),
        Some(_) => Err(Error::invalid(
            "year",
            ctx.tr(
                "Give the year as four digits: ?year=2026.",
                "Uveďte rok čtyřmi číslicemi: ?year=2026.",
            ),
        )),
    }
}

fn too_many(ctx: &Context) -> Error {
    Error::invalid(
        "year",
        ctx.tr(
            "Too much for one download: ask for it year by year, ?year=2026.",
            "Na jedno stažení je toho příliš: stáhněte data po letech, ?year=2026.",
        ),
    )
}

/// The release package of one process (`ocid`), or of every process (of
/// the year asked for).
pub fn release_package(ctx: &Context, req: &Request, ocid: Option<&str>) -> Result<Response> {
    let org = orgs::current()?;
    let (uri, releases) = match ocid {
        Some(ocid) => {
            by_ocid(ocid)?;
            (
                format!("{}/ocds/releases/{}", base_uri(ctx, req), segment(ocid)),
                releases_of(ocid)?,
            )
        }
        None => {
            let year = year(ctx, req)?;
            let find = match &year {
                Some(y) => RELEASES.find().prefix("date", y),
                None => RELEASES.find(),
            };
            let all = find.sort("date").fetch_all::<Kept>(BULK_RELEASES + 1)?;
            if all.len() > BULK_RELEASES {
                return Err(too_many(ctx));
            }
            let query = year.map(|y| format!("?year={y}")).unwrap_or_default();
            (
                format!("{}/ocds/releases.json{query}", base_uri(ctx, req)),
                all,
            )
        }
    };
    let releases = releases.into_iter().map(|d| d.data.release).collect();
    let package = ocds::package(&uri, &org, &ocds::now(), "releases", releases);
    Ok(package_response(&package, ocid.unwrap_or("releases")))
}

/// The record package of one process (`ocid`), or of every process.
pub fn record_package(ctx: &Context, req: &Request, ocid: Option<&str>) -> Result<Response> {
    let org = orgs::current()?;
    let base = base_uri(ctx, req);
    let (uri, ocids) = match ocid {
        Some(ocid) => {
            by_ocid(ocid)?;
            (
                format!("{base}/ocds/records/{}", segment(ocid)),
                vec![ocid.to_owned()],
            )
        }
        None => {
            // The processes last changed in the year.
            let year = year(ctx, req)?;
            let find = match &year {
                Some(y) => PROCESSES.find().prefix("updated", y),
                None => PROCESSES.find(),
            };
            let all = find
                .sort("updated")
                .fetch_all::<Process>(BULK_RECORDS + 1)?;
            if all.len() > BULK_RECORDS {
                return Err(too_many(ctx));
            }
            let query = year.map(|y| format!("?year={y}")).unwrap_or_default();
            (
                format!("{base}/ocds/records.json{query}"),
                all.into_iter().map(|d| d.data.ocid).collect(),
            )
        }
    };
    let mut records = Vec::new();
    for ocid in &ocids {
        let releases = releases_of(ocid)?
            .into_iter()
            .map(|d| d.data.release)
            .collect();
        records.push(ocds::record(ocid, releases));
    }
    let package = ocds::package(&uri, &org, &ocds::now(), "records", records);
    Ok(package_response(&package, ocid.unwrap_or("records")))
}
