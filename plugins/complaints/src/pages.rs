//! The module's pages: the public registry and report form, the staff
//! inbox and handling, the categories, the dashboard and the CSV export.

use portico_sdk::records::{Document, Filters};
use portico_sdk::{
    Action, Assurance, Cell, Chart, Context, Error, Field, FieldKind, Form, FormPost, Map,
    NoticeLevel, Outcome, Page, Pager, Response, Result, Stat, Table, TimelineEntry, View, audit,
    segment,
};

use crate::model::{self, Contact, Draft, REPORTS, Report, Status, english, today};

fn tr(ctx: &Context, en: &'static str, cs: &'static str) -> &'static str {
    if english(ctx) { en } else { cs }
}

/// A field with what was typed and its error, after a refused post.
fn filled(field: Field, name: &str, form: Option<&FormPost>, errors: &[(String, String)]) -> Field {
    let field = match form.and_then(|f| f.get(name)) {
        Some(v) => field.value(v),
        None => field,
    };
    match errors.iter().find(|(f, _)| f == name) {
        Some((_, e)) => field.error(e.clone()),
        None => field,
    }
}

fn refused(
    ctx: &Context,
    view: View,
    errors: &[(String, String)],
    what: (&'static str, &'static str),
) -> View {
    if errors.is_empty() {
        view
    } else {
        view.notice(NoticeLevel::Error, tr(ctx, what.0, what.1))
    }
}

/// Reports on one page of the registry and of the inbox.
const PAGE_SIZE: u32 = 50;

/// The public registry: reports without personal data, newest first, a
/// page at a time, as a table and on a map; `?status=open|closed` and
/// `?category=` filter it in the store.
pub fn registry(ctx: &Context, page: &Page) -> Result<View> {
    let en = english(ctx);
    let categories = model::categories()?;
    let mut find = REPORTS.find().newest_first();
    let category = page.query("category").filter(|c| !c.is_empty());
    if let Some(c) = category {
        find = find.eq("category", c);
    }
    let status = match page.query("status") {
        Some("open") => Some("open"),
        Some("closed") => Some("closed"),
        _ => None,
    };
    if let Some(s) = status {
        find = find.eq("open", u8::from(s == "open"));
    }
    let cursor = page.query("cursor").filter(|c| !c.is_empty());
    let found = find
        .limit(PAGE_SIZE)
        .after(cursor.map(str::to_owned))
        .fetch::<Report>()?;
    let reports = found.documents;
    let mut view = View::new(tr(ctx, "Reported problems", "Nahlášené závady"))
        .text(tr(
            ctx,
            "Problems reported in public places and how the office deals with them. Names and contacts of reporters are never shown.",
            "Závady na veřejných místech a jak je úřad řeší. Jména a kontakty oznamovatelů se nezveřejňují.",
        ))
        .actions([
            Action::primary(tr(ctx, "Report a problem", "Nahlásit závadu"), "/report"),
            Action::secondary(tr(ctx, "Open reports", "Otevřená hlášení"), "/?status=open"),
            Action::secondary(tr(ctx, "Closed reports", "Uzavřená hlášení"), "/?status=closed"),
        ]);
    let mut table = Table::new(tr(
        ctx,
        "Reports, newest first",
        "Hlášení, nejnovější nahoře",
    ))
    .column(tr(ctx, "Number", "Číslo"))
    .column(tr(ctx, "Category", "Kategorie"))
    .column(tr(ctx, "Place", "Místo"))
    .column(tr(ctx, "Reported", "Nahlášeno"))
    .column(tr(ctx, "Status", "Stav"))
    .empty_text(tr(ctx, "No reports yet.", "Zatím žádná hlášení."));
    let mut map = Map::new(tr(ctx, "Reports on the map", "Hlášení na mapě"));
    for d in &reports {
        let r = &d.data;
        let href = format!("/reports/{}", segment(&d.id));
        let name = model::category_name(&categories, &r.category);
        table = table.row([
            Cell::link(r.number.clone(), href.clone()),
            Cell::from(name.clone()),
            Cell::from(place(r)),
            Cell::from(r.requested.get(..10).unwrap_or_default().to_owned()),
            Cell::from(r.status.label(en)),
        ]);
        if let (Some(lat), Some(long)) = (r.lat, r.long) {
            map = map.linked_point(lat, long, format!("{} {}", r.number, name), href);
        }
    }
    view = view.table(table);
    let query = |cursor: Option<&str>| {
        let mut parts: Vec<String> = Vec::new();
        if let Some(s) = status {
            parts.push(format!("status={s}"));
        }
        if let Some(c) = category {
            parts.push(format!("category={}", segment(c)));
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", segment(c)));
        }
        format!("/?{}", parts.join("&"))
    };
    if cursor.is_some() || found.next_cursor.is_some() {
        let mut pager = Pager::new();
        if cursor.is_some() {
            pager = pager.previous(query(None));
        }
        if let Some(next) = &found.next_cursor {
            pager = pager.next(query(Some(next)));
        }
        view = view.pager(pager);
    }
    if reports.iter().any(|d| d.data.lat.is_some()) {
        view = view.map(map);
    }
    Ok(view)
}

fn place(r: &Report) -> String {
    match (r.address.is_empty(), r.lat, r.long) {
        (false, _, _) => r.address.clone(),
        (true, Some(lat), Some(long)) => format!("{lat:.5}, {long:.5}"),
        _ => String::new(),
    }
}

/// The report form: first the category, then its questions.
pub fn report_form(
    ctx: &Context,
    code: Option<&str>,
    form: Option<&FormPost>,
    errors: &[(String, String)],
) -> Result<View> {
    let categories = model::categories()?;
    let Some(category) = code.and_then(|c| categories.iter().find(|x| x.code == c)) else {
        let mut table = Table::new(tr(ctx, "What is wrong?", "Co je špatně?"))
            .column(tr(ctx, "Category", "Kategorie"))
            .column(tr(ctx, "What it covers", "Co zahrnuje"))
            .column(tr(ctx, "Dealt with within", "Vyřízení do"))
            .empty_text(tr(
                ctx,
                "No categories yet: the office has not set up reporting.",
                "Zatím žádné kategorie: úřad hlášení ještě nenastavil.",
            ));
        for c in &categories {
            table = table.row([
                Cell::link(
                    c.name.clone(),
                    format!("/report?category={}", segment(&c.code)),
                ),
                Cell::from(c.description.clone()),
                Cell::from(format!("{} {}", c.deadline_days, tr(ctx, "days", "dní"))),
            ]);
        }
        return Ok(View::new(tr(ctx, "Report a problem", "Nahlásit závadu"))
            .text(tr(
                ctx,
                "Choose what the problem is about.",
                "Vyberte, čeho se problém týká.",
            ))
            .table(table));
    };
    let en = english(ctx);
    let person = ctx.principal();
    let claim = |name: &str| {
        person
            .and_then(|p| p.claim(name))
            .unwrap_or_default()
            .to_owned()
    };
    let mut f = Form::new("/report", tr(ctx, "Send the report", "Odeslat hlášení"))
        .field(Field::new("category", "category", FieldKind::Hidden).value(category.code.clone()))
        .field(filled(
            Field::textarea("description", tr(ctx, "What is wrong", "Co je špatně")).required(),
            "description",
            form,
            errors,
        ))
        .field(filled(
            Field::text("address", tr(ctx, "Address or place", "Adresa nebo místo")).help(tr(
                ctx,
                "An address, or the coordinates below.",
                "Adresa, nebo souřadnice níže.",
            )),
            "address",
            form,
            errors,
        ))
        .field(filled(
            Field::text("lat", tr(ctx, "Latitude", "Zeměpisná šířka")).help("49.19522"),
            "lat",
            form,
            errors,
        ))
        .field(filled(
            Field::text("long", tr(ctx, "Longitude", "Zeměpisná délka")).help("16.60796"),
            "long",
            form,
            errors,
        ));
    for a in &category.attributes {
        let name = format!("attribute[{}]", a.code);
        let label = a.description.clone();
        let mut field = match a.datatype.as_str() {
            "singlevaluelist" => Field::radio(name.clone(), label, a.values.clone()),
            "multivaluelist" => Field::checkboxes(name.clone(), label, a.values.clone()).selected(
                form.map(|f| f.all(&name).collect::<Vec<_>>())
                    .unwrap_or_default(),
            ),
            "text" => Field::textarea(name.clone(), label),
            "number" => Field::number(name.clone(), label),
            "datetime" => Field::date(name.clone(), label),
            _ => Field::text(name.clone(), label),
        };
        if a.required {
            field = field.required();
        }
        f = f.field(filled(field, &name, form, errors));
    }
    f = f.field(filled(
        Field::file("photo", tr(ctx, "Photo", "Fotografie"))
            .accept("image/jpeg,image/png,image/webp")
            .help(tr(
                ctx,
                "Optional: JPEG, PNG or WebP, at most 5 MB. Only the office sees it.",
                "Nepovinné: JPEG, PNG nebo WebP, nejvýše 5 MB. Vidí ji jen úřad.",
            )),
        "photo",
        None,
        errors,
    ));
    let contact_help = tr(
        ctx,
        "Optional. Only the office sees it; with an e-mail you are told of every step.",
        "Nepovinné. Vidí je jen úřad; s e-mailem vás budeme informovat o každém kroku.",
    );
    // A name the identity provider verified is shown, not typed.
    let name = match verified_name(ctx) {
        Some(verified) => Field::text("name", tr(ctx, "Your name", "Vaše jméno"))
            .value(verified)
            .read_only()
            .help(tr(
                ctx,
                "From your verified identity. Only the office sees it.",
                "Z vaší ověřené identity. Vidí je jen úřad.",
            )),
        None => filled(
            Field::text("name", tr(ctx, "Your name", "Vaše jméno"))
                .value(person.map(|p| p.name().to_owned()).unwrap_or_default())
                .help(contact_help),
            "name",
            form,
            errors,
        ),
    };
    f = f.field(name.autocomplete("name"));
    for (name, label, kind, prefill, autocomplete) in [
        (
            "email",
            tr(ctx, "Your e-mail", "Váš e-mail"),
            FieldKind::Email,
            claim("email"),
            "email",
        ),
        (
            "phone",
            tr(ctx, "Your phone", "Váš telefon"),
            FieldKind::Tel,
            claim("phone_number"),
            "tel",
        ),
    ] {
        let mut field = Field::new(name, label, kind)
            .value(prefill)
            .autocomplete(autocomplete)
            .help(contact_help);
        if kind == FieldKind::Tel {
            field = field.pattern(model::PHONE_PATTERN);
        }
        f = f.field(filled(field, name, form, errors));
    }
    let view = View::new(format!(
        "{}: {}",
        tr(ctx, "Report a problem", "Nahlásit závadu"),
        category.name
    ))
    .text(format!(
        "{} {} {} {}.",
        category.description,
        tr(ctx, "The unit responsible", "Odpovědný útvar"),
        category.unit,
        if en {
            format!("deals with it within {} days", category.deadline_days)
        } else {
            format!("ji vyřídí do {} dní", category.deadline_days)
        }
    ));
    Ok(refused(
        ctx,
        view,
        errors,
        (
            "The report was not sent; see the fields below.",
            "Hlášení nebylo odesláno; opravte pole níže.",
        ),
    )
    .form(f))
}

/// The reporter's name as an identity provider verified it (eIDAS level
/// substantial or high), if it did.
fn verified_name(ctx: &Context) -> Option<String> {
    let p = ctx.principal()?;
    if !matches!(p.assurance(), Assurance::Substantial | Assurance::High) {
        return None;
    }
    match (p.claim("given_name"), p.claim("family_name")) {
        (Some(given), Some(family)) => Some(format!("{given} {family}")),
        _ => p.claim("name").map(str::to_owned),
    }
}

/// Files a report from the form.
pub fn submit_report(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let en = english(ctx);
    let code = form.get("category").unwrap_or_default();
    let category = match model::category(code) {
        Ok(c) => c.data,
        Err(Error::NotFound(_)) => {
            return Err(Error::invalid(
                "category",
                format!("there is no category `{code}`"),
            ));
        }
        Err(e) => return Err(e),
    };
    let value = |name: &str| form.get(name).unwrap_or_default().to_owned();
    let draft = Draft {
        category: &category,
        description: value("description"),
        address: value("address"),
        lat: value("lat"),
        long: value("long"),
        attributes: category
            .attributes
            .iter()
            .map(|a| {
                let name = format!("attribute[{}]", a.code);
                (a.code.clone(), form.all(&name).map(str::to_owned).collect())
            })
            .collect(),
        contact: Contact {
            // Never what the browser sent for a verified name.
            name: verified_name(ctx).unwrap_or_else(|| value("name")),
            email: value("email"),
            phone: value("phone"),
        },
        media_url: String::new(),
        photo: form
            .file("photo")
            .map(|f| (f.filename.as_str(), f.content.as_slice())),
    };
    let reporter = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    match draft.check(&reporter, "portal", en) {
        Ok(mut report) => {
            let photo = form
                .file("photo")
                .map(|f| (f.filename.as_str(), f.content.as_slice()));
            let stored = model::file(&mut report, photo, &category, en)?;
            Ok(Outcome::redirect_with(
                format!("/reports/{}", segment(&stored.id)),
                if en {
                    format!(
                        "Thank you. Your report has number {}; it will be dealt with by {}.",
                        report.number, report.deadline
                    )
                } else {
                    format!(
                        "Děkujeme. Vaše hlášení má číslo {}; vyřízeno bude do {}.",
                        report.number, report.deadline
                    )
                },
            ))
        }
        Err(errors) => Ok(Outcome::Show(report_form(
            ctx,
            Some(code),
            Some(form),
            &errors,
        )?)),
    }
}

fn report(id: &str) -> Result<Document<Report>> {
    REPORTS.get::<Report>(id)
}

/// One report in public: no personal data, public steps only.
pub fn public_report(ctx: &Context, id: &str, errors: Option<&[(String, String)]>) -> Result<View> {
    let en = english(ctx);
    let doc = report(id)?;
    let r = &doc.data;
    let categories = model::categories()?;
    let mut view =
        View::new(format!("{} {}", tr(ctx, "Report", "Hlášení"), r.number)).key_values([
            (
                tr(ctx, "Category", "Kategorie"),
                model::category_name(&categories, &r.category),
            ),
            (tr(ctx, "Status", "Stav"), r.status.label(en).to_owned()),
            (tr(ctx, "Place", "Místo"), place(r)),
            (tr(ctx, "Reported", "Nahlášeno"), r.requested.clone()),
            (
                tr(ctx, "To be dealt with by", "Vyřízení do"),
                r.deadline.clone(),
            ),
            (
                tr(ctx, "Responsible unit", "Odpovědný útvar"),
                r.unit.clone(),
            ),
        ]);
    view = view
        .heading(tr(ctx, "Description", "Popis"))
        .text(r.description.clone());
    if !r.duplicate_of.is_empty() {
        view = view.actions([Action::secondary(
            tr(
                ctx,
                "The report this one was merged into",
                "Hlášení, se kterým bylo toto sloučeno",
            ),
            format!("/reports/{}", segment(&r.duplicate_of)),
        )]);
    }
    if let (Some(lat), Some(long)) = (r.lat, r.long) {
        view = view.map(Map::new(tr(ctx, "Where it is", "Kde to je")).point(
            lat,
            long,
            r.number.clone(),
        ));
    }
    let steps: Vec<TimelineEntry> = model::steps(&doc.id, r)?
        .iter()
        .filter(|u| u.public)
        .map(|u| TimelineEntry::new(u.at.clone(), u.status.label(en)).text(u.text.clone()))
        .collect();
    view = view.heading(tr(ctx, "Progress", "Průběh"));
    view = if steps.is_empty() {
        view.text(tr(ctx, "No steps yet.", "Zatím žádné kroky."))
    } else {
        view.timeline(steps)
    };
    if r.is_open() {
        let errors = errors.unwrap_or_default();
        let field = Field::new(
            "email",
            tr(ctx, "Your e-mail", "Váš e-mail"),
            FieldKind::Email,
        )
        .autocomplete("email")
        .help(tr(
            ctx,
            "We send you a link to confirm; you follow the report once you open it, within 24 hours. Every message has a link that stops them.",
            "Pošleme vám odkaz k potvrzení; hlášení sledujete, jakmile ho do 24 hodin otevřete. Každá zpráva má odkaz, kterým je zastavíte.",
        ))
        .required();
        let field = match errors.iter().find(|(f, _)| f == "email") {
            Some((_, e)) => field.error(e.clone()),
            None => field,
        };
        view = view
            .heading(tr(ctx, "Follow this report", "Sledovat hlášení"))
            .form(
                Form::new(
                    format!("/reports/{}", segment(id)),
                    tr(ctx, "Tell me of every step", "Informujte mě o každém kroku"),
                )
                .field(field),
            );
    }
    Ok(view)
}

/// Someone asks to be told of a report's public steps: they are sent a
/// link to confirm (`followers`).
pub fn subscribe(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    let email = form.get("email").unwrap_or_default().trim().to_lowercase();
    let refuse = |message: String| -> Result<Outcome> {
        Ok(Outcome::Show(public_report(
            ctx,
            id,
            Some(&[("email".to_owned(), message)]),
        )?))
    };
    if !model::is_email(&email) {
        return refuse(
            tr(
                ctx,
                "Give an e-mail address such as jana@example.cz.",
                "Zadejte e-mail ve tvaru jana@example.cz.",
            )
            .to_owned(),
        );
    }
    let mut doc = report(id)?;
    if doc.data.has_earlier() {
        // A report of the first version: its followers move out first.
        let mut r = doc.data.clone();
        doc = model::store(&doc.id, doc.version, &mut r)?;
    }
    if let Err(message) = crate::followers::request(ctx, &doc.id, &doc.data, &email)? {
        return refuse(message);
    }
    // The same answer whether or not the address follows already: nobody
    // learns who follows what.
    Ok(Outcome::redirect_with(
        format!("/reports/{}", segment(id)),
        tr(
            ctx,
            "Look in your mailbox: unless the address follows this report already, we sent it a link to confirm, valid for 24 hours.",
            "Podívejte se do své schránky: pokud adresa toto hlášení už nesleduje, poslali jsme na ni odkaz k potvrzení, platný 24 hodin.",
        ),
    ))
}

/// How many reports the inbox looks through for one page when it picks
/// out a handler's (the handler is not indexed).
const HANDLER_SCAN: usize = 2_000;

/// The staff inbox, soonest deadline first, a page at a time: by status
/// (open unless asked otherwise), category and overdue, filtered in the
/// store; by handler, picked out of the pages read, at most
/// [`HANDLER_SCAN`] reports for one page.
pub fn inbox(ctx: &Context, page: &Page) -> Result<View> {
    let en = english(ctx);
    let today = today();
    let categories = model::categories()?;
    let mut find = REPORTS.find().sort("deadline");
    let status = page.query("status").unwrap_or("open");
    match status {
        "open" => find = find.eq("open", 1),
        "closed" => find = find.eq("open", 0),
        other => {
            if let Some(s) = Status::parse(other) {
                find = find.eq("status", s.key());
            }
        }
    }
    let category = page.query("category").filter(|c| !c.is_empty());
    if let Some(c) = category {
        find = find.eq("category", c);
    }
    let handler = page.query("handler").unwrap_or("");
    let overdue = page.query("overdue").is_some();
    if overdue {
        find = find.lt("deadline", &today);
    }
    let first = page.query("cursor").filter(|c| !c.is_empty());
    let mut pages = find
        .limit(PAGE_SIZE)
        .after(first.map(str::to_owned))
        .pages::<Report>();
    let mut reports: Vec<Document<Report>> = Vec::new();
    let mut looked = 0;
    for found in pages.by_ref() {
        let found = found?;
        looked += found.len();
        reports.extend(found.into_iter().filter(|d| {
            (handler.is_empty() || d.data.handler == handler)
                && (!overdue || d.data.overdue(&today))
        }));
        if reports.len() >= PAGE_SIZE as usize || looked >= HANDLER_SCAN {
            break;
        }
    }
    let cursor = pages.next_cursor().map(str::to_owned);
    let query = |cursor: Option<&str>| {
        let mut parts = vec![format!("status={}", segment(status))];
        if let Some(c) = category {
            parts.push(format!("category={}", segment(c)));
        }
        if !handler.is_empty() {
            parts.push(format!("handler={}", segment(handler)));
        }
        if overdue {
            parts.push("overdue=1".to_owned());
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", segment(c)));
        }
        format!("/handle?{}", parts.join("&"))
    };
    let pager = (first.is_some() || cursor.is_some()).then(|| {
        let mut pager = Pager::new();
        if first.is_some() {
            pager = pager.previous(query(None));
        }
        if let Some(next) = &cursor {
            pager = pager.next(query(Some(next)));
        }
        pager
    });
    let cut_short = cursor.is_some() && reports.len() < PAGE_SIZE as usize;
    let mut filters = vec![
        Action::secondary(tr(ctx, "Open", "Otevřená"), "/handle?status=open"),
        Action::secondary(
            tr(ctx, "Overdue", "Po lhůtě"),
            "/handle?status=open&overdue=1",
        ),
        Action::secondary(tr(ctx, "Closed", "Uzavřená"), "/handle?status=closed"),
        Action::secondary(tr(ctx, "All", "Všechna"), "/handle?status=all"),
    ];
    if let Some(me) = ctx.principal() {
        filters.push(Action::secondary(
            tr(ctx, "Assigned to me", "Přidělená mně"),
            format!("/handle?status=open&handler={}", segment(me.name())),
        ));
    }
    filters.push(Action::secondary(
        tr(ctx, "Export CSV", "Export CSV"),
        "/export.csv",
    ));
    let mut table = Table::new(tr(
        ctx,
        "Reports, soonest deadline first",
        "Hlášení, nejbližší lhůta nahoře",
    ))
    .column(tr(ctx, "Number", "Číslo"))
    .column(tr(ctx, "Category", "Kategorie"))
    .column(tr(ctx, "Place", "Místo"))
    .column(tr(ctx, "Status", "Stav"))
    .column(tr(ctx, "Handler", "Řešitel"))
    .column(tr(ctx, "Deadline", "Lhůta"))
    .empty_text(tr(ctx, "Nothing here.", "Nic tu není."));
    for d in &reports {
        let r = &d.data;
        let deadline = if r.overdue(&today) {
            format!("{} ({})", r.deadline, tr(ctx, "overdue", "po lhůtě"))
        } else {
            r.deadline.clone()
        };
        table = table.row([
            Cell::link(r.number.clone(), format!("/handle/{}", segment(&d.id))),
            Cell::from(model::category_name(&categories, &r.category)),
            Cell::from(place(r)),
            Cell::from(r.status.label(en)),
            Cell::from(r.handler.clone()),
            Cell::from(deadline),
        ]);
    }
    let mut actions = filters;
    if ctx.principal().is_some_and(|p| p.has_permission("manage")) {
        actions.push(Action::secondary(
            tr(ctx, "Categories", "Kategorie"),
            "/categories",
        ));
    }
    let mut view = View::new(tr(ctx, "Complaints inbox", "Podatelna podnětů"))
        .actions(actions)
        .table(table);
    if cut_short {
        view = view.text(if en {
            format!("This page looked through {looked} reports and found fewer that fit; the next page looks further.")
        } else {
            format!("Tato stránka prošla {looked} hlášení a vyhovujících našla méně; další stránka hledá dál.")
        });
    }
    if let Some(pager) = pager {
        view = view.pager(pager);
    }
    Ok(view)
}

/// One report for staff: everything, with the handling form, internal
/// notes and the open reports nearby that may be the same problem.
pub fn handling(
    ctx: &Context,
    id: &str,
    errors: Option<(&FormPost, &[(String, String)])>,
) -> Result<View> {
    let en = english(ctx);
    let doc = report(id)?;
    let r = &doc.data;
    let categories = model::categories()?;
    let mut facts = vec![
        (
            tr(ctx, "Category", "Kategorie").to_owned(),
            model::category_name(&categories, &r.category),
        ),
        (
            tr(ctx, "Status", "Stav").to_owned(),
            r.status.label(en).to_owned(),
        ),
        (tr(ctx, "Place", "Místo").to_owned(), place(r)),
        (
            tr(ctx, "Reported", "Nahlášeno").to_owned(),
            format!("{} ({})", r.requested, r.source),
        ),
        (tr(ctx, "Deadline", "Lhůta").to_owned(), r.deadline.clone()),
        (tr(ctx, "Unit", "Útvar").to_owned(), r.unit.clone()),
        (tr(ctx, "Handler", "Řešitel").to_owned(), r.handler.clone()),
        (
            tr(ctx, "Reporter", "Oznamovatel").to_owned(),
            [
                r.contact.name.as_str(),
                r.contact.email.as_str(),
                r.contact.phone.as_str(),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(", "),
        ),
        (tr(ctx, "Followers", "Sledující").to_owned(), {
            let (confirmed, waiting) = crate::followers::count(id, r)?;
            if en {
                format!("{confirmed} ({waiting} waiting for confirmation)")
            } else {
                format!("{confirmed} ({waiting} čeká na potvrzení)")
            }
        }),
    ];
    for (code, value) in &r.attributes {
        let attribute = categories
            .iter()
            .find(|c| c.code == r.category)
            .and_then(|c| c.attributes.iter().find(|a| &a.code == code));
        // A list's answer by its name; a question since removed by its code.
        let answer = attribute
            .and_then(|a| a.values.iter().find(|(k, _)| k == value))
            .map_or(value.clone(), |(_, name)| name.clone());
        facts.push((
            attribute.map_or(code.clone(), |a| a.description.clone()),
            answer,
        ));
    }
    if !r.media_url.is_empty() {
        facts.push((
            tr(ctx, "Photo", "Fotografie").to_owned(),
            r.media_url.clone(),
        ));
    }
    let photos: Vec<Action> = r
        .photos
        .iter()
        .enumerate()
        .map(|(i, id)| {
            Action::secondary(
                format!("{} {}", tr(ctx, "Photo", "Fotografie"), i + 1),
                format!("/photos/{}", segment(id)),
            )
        })
        .collect();
    let mut view = View::new(format!("{} {}", tr(ctx, "Report", "Hlášení"), r.number))
        .actions([
            Action::secondary(tr(ctx, "Back to the inbox", "Zpět do podatelny"), "/handle"),
            Action::secondary(
                tr(ctx, "Public page", "Veřejná stránka"),
                format!("/reports/{}", segment(id)),
            ),
        ])
        .key_values(facts)
        .heading(tr(ctx, "Description", "Popis"))
        .text(r.description.clone());
    if !photos.is_empty() {
        view = view.actions(photos);
    }
    let steps: Vec<TimelineEntry> = model::steps(&doc.id, r)?
        .iter()
        .map(|u| {
            let kind = if u.public {
                tr(ctx, "public", "veřejné")
            } else {
                tr(ctx, "internal", "interní")
            };
            TimelineEntry::new(
                u.at.clone(),
                format!("{} ({kind}) {}", u.status.label(en), u.by),
            )
            .text(u.text.clone())
        })
        .collect();
    view = view.heading(tr(ctx, "History", "Historie"));
    view = if steps.is_empty() {
        view.text(tr(ctx, "No steps yet.", "Zatím žádné kroky."))
    } else {
        view.timeline(steps)
    };
    if !r.is_open() {
        return Ok(view);
    }
    let (form, errors) = match errors {
        Some((f, e)) => (Some(f), e),
        None => (None, &[][..]),
    };
    let near = model::near_duplicates(id, r)?;
    if !near.is_empty() {
        let mut table = Table::new(tr(
            ctx,
            "Open reports of the same category nearby",
            "Otevřená hlášení stejné kategorie poblíž",
        ))
        .column(tr(ctx, "Number", "Číslo"))
        .numeric_column(tr(ctx, "Distance (m)", "Vzdálenost (m)"))
        .column(tr(ctx, "Description", "Popis"));
        for (d, m) in &near {
            table = table.row([
                Cell::link(d.data.number.clone(), format!("/handle/{}", segment(&d.id))),
                Cell::from(format!("{m:.0}")),
                Cell::from(d.data.description.chars().take(80).collect::<String>()),
            ]);
        }
        view = view
            .heading(tr(ctx, "Possible duplicates", "Možné duplicity"))
            .table(table)
            .form(
                Form::new(
                    format!("/handle/{}", segment(id)),
                    tr(
                        ctx,
                        "Merge into the chosen report",
                        "Sloučit do vybraného hlášení",
                    ),
                )
                .field(Field::new("op", "op", FieldKind::Hidden).value("merge"))
                .field(filled(
                    Field::select(
                        "into",
                        tr(
                            ctx,
                            "The report this one duplicates",
                            "Hlášení, které toto zdvojuje",
                        ),
                        near.iter()
                            .map(|(d, _)| (d.id.clone(), d.data.number.clone())),
                    )
                    .required(),
                    "into",
                    form,
                    errors,
                )),
            );
    }
    let me = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    let current =
        |name: &str, stored: String| form.and_then(|f| f.get(name)).map_or(stored, str::to_owned);
    let step = Form::new(
        format!("/handle/{}", segment(id)),
        tr(ctx, "Record the step", "Zaznamenat krok"),
    )
    .field(Field::new("op", "op", FieldKind::Hidden).value("step"))
    .field(filled(
        Field::select(
            "status",
            tr(ctx, "Status", "Stav"),
            crate::status_choices(en),
        )
        .value(current("status", r.status.key().to_owned()))
        .required(),
        "status",
        None,
        errors,
    ))
    .field(filled(
        Field::text("handler", tr(ctx, "Handler", "Řešitel")).value(current(
            "handler",
            if r.handler.is_empty() {
                me
            } else {
                r.handler.clone()
            },
        )),
        "handler",
        None,
        errors,
    ))
    .field(filled(
        Field::textarea("note", tr(ctx, "Note", "Poznámka")),
        "note",
        form,
        errors,
    ))
    .field(filled(
        Field::select(
            "visibility",
            tr(ctx, "Who sees the note", "Kdo poznámku uvidí"),
            [
                (
                    "public",
                    tr(
                        ctx,
                        "Everyone: a public update, sent to followers",
                        "Všichni: veřejná zpráva, odešle se sledujícím",
                    ),
                ),
                (
                    "internal",
                    tr(
                        ctx,
                        "Staff only: an internal note",
                        "Jen úřad: interní poznámka",
                    ),
                ),
            ],
        )
        .required(),
        "visibility",
        form,
        errors,
    ));
    view = view.heading(tr(ctx, "Handle", "Vyřídit"));
    Ok(refused(
        ctx,
        view,
        errors,
        (
            "Nothing was recorded; see the fields below.",
            "Nic nebylo zaznamenáno; opravte pole níže.",
        ),
    )
    .form(step))
}

/// A step, or a merge, posted from the handling page.
pub fn submit_handling(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    let doc = report(id)?;
    let by = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    let categories = model::categories()?;
    let mut r = doc.data.clone();
    let name = model::category_name(&categories, &r.category);
    let fail = |errors: Vec<(String, String)>| -> Result<Outcome> {
        Ok(Outcome::Show(handling(ctx, id, Some((form, &errors)))?))
    };
    if !r.is_open() {
        return Err(Error::Conflict(
            tr(
                ctx,
                "This report is closed already.",
                "Toto hlášení je už uzavřené.",
            )
            .to_owned(),
        ));
    }
    if form.get("op") == Some("merge") {
        let into_id = form.get("into").unwrap_or_default();
        let into = match REPORTS.get::<Report>(into_id) {
            Ok(d) if d.id != doc.id && d.data.is_open() => d,
            _ => {
                return fail(vec![(
                    "into".into(),
                    tr(
                        ctx,
                        "Choose an open report other than this one.",
                        "Vyberte jiné otevřené hlášení.",
                    )
                    .to_owned(),
                )]);
            }
        };
        let mut target = into.data.clone();
        let status = target.status;
        model::record_step(
            &into.id,
            &mut target,
            status,
            format!(
                "{} {}",
                tr(ctx, "Merged with report", "Sloučeno s hlášením"),
                r.number
            ),
            false,
            &by,
        )?;
        model::store(&into.id, into.version, &mut target)?;
        r.duplicate_of = into.id.clone();
        let note = format!(
            "{} {}.",
            tr(
                ctx,
                "The same problem is dealt with in report",
                "Stejný problém se řeší v hlášení"
            ),
            target.number
        );
        model::record_step(&doc.id, &mut r, Status::Duplicate, note.clone(), true, &by)?;
        model::store(&doc.id, doc.version, &mut r)?;
        audit::append(
            "complaint.merge",
            &format!("reports/{}", doc.id),
            &serde_json::json!({ "number": r.number, "into": target.number }),
        )?;
        // Told where the problem is dealt with, its followers follow that report.
        crate::followers::tell(ctx, &doc.id, &r, &name, &note)?;
        crate::followers::move_to(&doc.id, &into.id)?;
        return Ok(Outcome::redirect_with(
            format!("/handle/{}", segment(&into.id)),
            format!(
                "{} {} → {}",
                tr(ctx, "Merged:", "Sloučeno:"),
                r.number,
                target.number
            ),
        ));
    }
    let mut errors = Vec::new();
    let status = match form
        .get("status")
        .and_then(Status::parse)
        .filter(|s| *s != Status::Duplicate)
    {
        Some(s) => s,
        None => {
            errors.push((
                "status".to_owned(),
                tr(
                    ctx,
                    "Choose a status from the list.",
                    "Vyberte stav ze seznamu.",
                )
                .to_owned(),
            ));
            r.status
        }
    };
    let public = match form.get("visibility") {
        Some("public") => true,
        Some("internal") => false,
        _ => {
            errors.push((
                "visibility".to_owned(),
                tr(
                    ctx,
                    "Choose who sees the note.",
                    "Vyberte, kdo poznámku uvidí.",
                )
                .to_owned(),
            ));
            false
        }
    };
    let note = form.get("note").unwrap_or_default().trim().to_owned();
    if note.chars().count() > 4000 {
        errors.push((
            "note".to_owned(),
            tr(
                ctx,
                "Use at most 4000 characters.",
                "Použijte nejvýše 4000 znaků.",
            )
            .to_owned(),
        ));
    }
    if !public && note.is_empty() && status == r.status {
        errors.push((
            "note".to_owned(),
            tr(
                ctx,
                "Write the note, or change the status.",
                "Napište poznámku, nebo změňte stav.",
            )
            .to_owned(),
        ));
    }
    let handler = form.get("handler").unwrap_or_default().trim().to_owned();
    if handler.chars().count() > 200 {
        errors.push((
            "handler".to_owned(),
            tr(
                ctx,
                "Use at most 200 characters.",
                "Použijte nejvýše 200 znaků.",
            )
            .to_owned(),
        ));
    }
    if !errors.is_empty() {
        return fail(errors);
    }
    let assigned = handler != r.handler;
    r.handler = handler;
    model::record_step(&doc.id, &mut r, status, note.clone(), public, &by)?;
    model::store(&doc.id, doc.version, &mut r)?;
    audit::append(
        "complaint.step",
        &format!("reports/{}", doc.id),
        &serde_json::json!({ "number": r.number, "status": status.key(), "public": public, "handler": r.handler, "assigned": assigned }),
    )?;
    if public {
        crate::followers::tell(ctx, &doc.id, &r, &name, &note)?;
    }
    Ok(Outcome::redirect_with(
        format!("/handle/{}", segment(id)),
        tr(ctx, "The step is recorded.", "Krok je zaznamenán."),
    ))
}

/// The categories, and the form to add one or change one (`?code=`).
pub fn categories_page(
    ctx: &Context,
    code: Option<&str>,
    form: Option<&FormPost>,
    errors: &[(&'static str, String)],
) -> Result<View> {
    let categories = model::categories()?;
    let mut table = Table::new(tr(ctx, "Categories", "Kategorie"))
        .column(tr(ctx, "Code", "Kód"))
        .column(tr(ctx, "Name", "Název"))
        .column(tr(ctx, "Unit", "Útvar"))
        .numeric_column(tr(ctx, "Deadline (days)", "Lhůta (dny)"))
        .numeric_column(tr(ctx, "Questions", "Otázky"))
        .empty_text(tr(ctx, "No categories yet.", "Zatím žádné kategorie."));
    for c in &categories {
        table = table.row([
            Cell::link(
                c.code.clone(),
                format!("/categories?code={}", segment(&c.code)),
            ),
            Cell::from(c.name.clone()),
            Cell::from(c.unit.clone()),
            Cell::from(c.deadline_days.to_string()),
            Cell::from(c.attributes.len().to_string()),
        ]);
    }
    let editing = code.and_then(|c| categories.iter().find(|x| x.code == c));
    let errors: Vec<(String, String)> = errors
        .iter()
        .map(|(f, m)| ((*f).to_owned(), m.clone()))
        .collect();
    let stored = |name: &str| -> String {
        let Some(c) = editing else {
            return String::new();
        };
        match name {
            "code" => c.code.clone(),
            "name" => c.name.clone(),
            "description" => c.description.clone(),
            "group" => c.group.clone(),
            "keywords" => c.keywords.clone(),
            "unit" => c.unit.clone(),
            "email" => c.email.clone(),
            "deadline_days" => c.deadline_days.to_string(),
            "attributes" => crate::attribute_lines(&c.attributes),
            _ => String::new(),
        }
    };
    let field = |f: Field, name: &str| filled(f.value(stored(name)), name, form, &errors);
    let f = Form::new("/categories", tr(ctx, "Save the category", "Uložit kategorii"))
        .field(field(Field::text("code", tr(ctx, "Code (Open311 service code)", "Kód (kód služby Open311)")).required(), "code"))
        .field(field(Field::text("name", tr(ctx, "Name", "Název")).required(), "name"))
        .field(field(Field::textarea("description", tr(ctx, "What it covers", "Co zahrnuje")), "description"))
        .field(field(Field::text("group", tr(ctx, "Group", "Skupina")), "group"))
        .field(field(Field::text("keywords", tr(ctx, "Keywords, comma separated", "Klíčová slova oddělená čárkou")), "keywords"))
        .field(field(Field::text("unit", tr(ctx, "Responsible unit", "Odpovědný útvar")).required(), "unit"))
        .field(field(Field::new("email", tr(ctx, "The unit's e-mail (reminders)", "E-mail útvaru (upomínky)"), FieldKind::Email), "email"))
        .field(field(Field::number("deadline_days", tr(ctx, "Legal deadline in days", "Zákonná lhůta ve dnech")).required(), "deadline_days"))
        .field(field(
            Field::textarea("attributes", tr(ctx, "Extra questions", "Doplňující otázky")).help(tr(
                ctx,
                "One per line: code | question | datatype | required or optional | key=name; key=name (lists only). Datatypes: string, number, datetime, text, singlevaluelist, multivaluelist.",
                "Jedna na řádek: kód | otázka | typ | required nebo optional | klíč=název; klíč=název (jen seznamy). Typy: string, number, datetime, text, singlevaluelist, multivaluelist.",
            )),
            "attributes",
        ));
    let view = View::new(tr(ctx, "Categories of complaints", "Kategorie podnětů"))
        .actions([Action::secondary(
            tr(ctx, "Back to the inbox", "Zpět do podatelny"),
            "/handle",
        )])
        .table(table)
        .heading(match editing {
            Some(_) => tr(ctx, "Change the category", "Změnit kategorii"),
            None => tr(ctx, "Add a category", "Přidat kategorii"),
        });
    Ok(refused(
        ctx,
        view,
        &errors,
        (
            "The category was not saved; see the fields below.",
            "Kategorie nebyla uložena; opravte pole níže.",
        ),
    )
    .form(f))
}

pub fn submit_category(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let fields = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    match crate::check_category(&fields, english(ctx)) {
        Ok(category) => {
            crate::save_category(&category)?;
            Ok(Outcome::redirect_with(
                "/categories",
                format!("{} {}", tr(ctx, "Saved:", "Uloženo:"), category.name),
            ))
        }
        Err(errors) => Ok(Outcome::Show(categories_page(
            ctx,
            None,
            Some(form),
            &errors,
        )?)),
    }
}

/// Key figures: open, overdue, closed, the time to resolve, and counts by
/// category and status. Figures only, nothing personal: public. Every
/// figure is counted (and summed) by the store, over all reports.
pub fn dashboard(ctx: &Context) -> Result<View> {
    let en = english(ctx);
    let today = today();
    let categories = model::categories()?;
    let by_status = Tally::fetch(REPORTS.count_by("status"))?;
    let overdue = Tally::fetch(REPORTS.count_by("status").lt("deadline", &today))?;
    let (open, total) = (by_status.open(), by_status.total());
    // The days to resolve, summed by the store over the resolved reports
    // that have them (every one since version 0.3.0).
    let resolved = REPORTS
        .count_by("status")
        .eq("status", Status::Resolved.key())
        .ge("resolve_days", 0)
        .sum("resolve_days")
        .fetch()?;
    let (resolved_count, resolved_days) = resolved.iter().fold((0, 0.0), |(n, d), g| {
        (n + g.count, d + g.sum.unwrap_or(0.0))
    });
    let average = if resolved_count == 0 {
        "–".to_owned()
    } else {
        format!(
            "{:.1} {}",
            resolved_days / resolved_count as f64,
            tr(ctx, "days", "dne")
        )
    };
    let mut view = View::new(tr(ctx, "Complaints in figures", "Podněty v číslech")).stats([
        by_status
            .stat(ctx, tr(ctx, "Open reports", "Otevřená hlášení"), open)
            .link("/?status=open"),
        overdue.stat(
            ctx,
            tr(ctx, "Past their deadline", "Po lhůtě"),
            overdue.open(),
        ),
        by_status
            .stat(ctx, tr(ctx, "Closed", "Uzavřená"), total - open)
            .link("/?status=closed"),
        Stat::new(
            tr(ctx, "Average time to resolve", "Průměrná doba vyřešení"),
            average,
        )
        .detail(format!(
            "{} {}",
            resolved_count,
            tr(ctx, "resolved", "vyřešeno")
        )),
    ]);
    if total > 0 {
        // Each category counted, and its open reports; the rest are closed.
        let all = Tally::fetch(REPORTS.count_by("category"))?;
        let open_ones = Tally::fetch(REPORTS.count_by("category").eq("open", 1))?;
        let whole = all.whole && open_ones.whole;
        let mut codes: Vec<String> = categories.iter().map(|c| c.code.clone()).collect();
        for (code, _) in &all.groups {
            if !codes.contains(code) {
                codes.push(code.clone());
            }
        }
        let count = |code: &str, open: bool| {
            let opened = open_ones.count(code);
            (if open {
                opened
            } else {
                all.count(code).saturating_sub(opened)
            }) as f64
        };
        view = view.chart(
            Chart::bar(
                tr(ctx, "Reports by category", "Hlášení podle kategorie"),
                codes.iter().map(|c| model::category_name(&categories, c)),
            )
            .series(
                tr(ctx, "Open", "Otevřená"),
                codes.iter().map(|c| count(c, true)),
            )
            .series(
                tr(ctx, "Closed", "Uzavřená"),
                codes.iter().map(|c| count(c, false)),
            ),
        );
        if !whole {
            view = view.text(tr(ctx, PARTIAL.0, PARTIAL.1));
        }
    }
    let mut table = Table::new(tr(ctx, "Reports by status", "Hlášení podle stavu"))
        .column(tr(ctx, "Status", "Stav"))
        .numeric_column(tr(ctx, "Reports", "Hlášení"));
    for s in Status::ALL {
        table = table.row([s.label(en).to_owned(), by_status.count(s.key()).to_string()]);
    }
    Ok(view.table(table))
}

/// The most groups the store's aggregate returns.
const MOST_GROUPS: usize = 1_000;

/// What a figure says when the store counted only the largest 1,000 groups.
const PARTIAL: (&str, &str) = (
    "At least this many: the store counts at most 1,000 groups, and there are more.",
    "Nejméně tolik: úložiště sečte nejvýše 1 000 skupin a tady jich je víc.",
);

/// Counts by the values of a field, as the store gave them. Past
/// [`MOST_GROUPS`] values the store leaves the smallest groups out: the
/// counts are then a floor, and the page says so.
struct Tally {
    groups: Vec<(String, u64)>,
    whole: bool,
}

impl Tally {
    fn fetch(aggregate: portico_sdk::records::Aggregate) -> Result<Tally> {
        let groups = aggregate.fetch()?;
        Ok(Tally {
            whole: groups.len() < MOST_GROUPS,
            groups: groups
                .into_iter()
                .map(|g| (g.key.unwrap_or_default(), g.count))
                .collect(),
        })
    }

    fn count(&self, key: &str) -> u64 {
        self.groups
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, n)| n)
            .sum()
    }

    fn total(&self) -> u64 {
        self.groups.iter().map(|(_, n)| n).sum()
    }

    /// The count of the open statuses.
    fn open(&self) -> u64 {
        Status::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(|s| self.count(s.key()))
            .sum()
    }

    /// `value` as a figure: with a `+` and a word of why when the store
    /// left groups out.
    fn stat(&self, ctx: &Context, label: &str, value: u64) -> Stat {
        if self.whole {
            Stat::new(label, value.to_string())
        } else {
            Stat::new(label, format!("{value}+")).detail(tr(ctx, PARTIAL.0, PARTIAL.1))
        }
    }
}

/// Every report as CSV, personal data included: staff only. What people
/// typed is written so that a spreadsheet never runs it as a formula.
pub fn export_csv(_ctx: &Context) -> Result<Response> {
    use portico_sdk::csv::{self, Cell};
    let categories = model::categories()?;
    let mut out = csv::Writer::new();
    out.row([
        "number",
        "id",
        "requested",
        "category",
        "status",
        "address",
        "lat",
        "long",
        "unit",
        "handler",
        "deadline",
        "closed",
        "overdue",
        "description",
        "name",
        "email",
        "phone",
        "source",
    ])?;
    let today = today();
    for d in REPORTS
        .find()
        .newest_first()
        .fetch_all::<Report>(model::MOST)?
    {
        let r = d.data;
        out.row([
            Cell::from(&r.number),
            Cell::from(d.id),
            Cell::from(&r.requested),
            Cell::from(model::category_name(&categories, &r.category)),
            Cell::from(r.status.key()),
            Cell::from(&r.address),
            Cell::from(r.lat),
            Cell::from(r.long),
            Cell::from(&r.unit),
            Cell::from(&r.handler),
            Cell::from(&r.deadline),
            Cell::from(&r.closed),
            Cell::from(r.overdue(&today).to_string()),
            Cell::from(&r.description),
            Cell::from(&r.contact.name),
            Cell::from(&r.contact.email),
            Cell::from(&r.contact.phone),
            Cell::from(&r.source),
        ])?;
    }
    out.into_response("complaints.csv")
}

/// A report's photo, for staff.
pub fn photo(id: &str) -> Result<Response> {
    let info = portico_sdk::files::info(id)?;
    let content = portico_sdk::files::read(id)?;
    Ok(Response::new(200)
        .header("content-type", info.media_type)
        .header("cache-control", "private, max-age=3600")
        .body(content))
}
