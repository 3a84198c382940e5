//! What staff see: the inbox and the workflow, the export and the figures,
//! and the authoring of forms and life situations.

use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Page,
    Pager, Response, Result, Stat, Table, TimelineEntry, View, audit, csv, files, segment,
};
use serde_json::{Value, json};

use crate::citizen::tr;
use crate::definition::{Definition, Form, Kind};
use crate::model::{
    self, FORMS, SITUATIONS, SUBMISSIONS, Situation, Status, Step, Submission, Version, english,
    now,
};

/// Submissions on one page of the inbox.
const PAGE_SIZE: u32 = 50;

/// How many submissions the inbox looks through for one page when it
/// picks out a handler's (the handler is not indexed).
const HANDLER_SCAN: usize = 2_000;

/// The inbox, newest first, a page at a time: by form and status,
/// filtered in the store; by handler, picked out of the pages read, at
/// most [`HANDLER_SCAN`] submissions for one page.
pub fn inbox(ctx: &Context, page: &Page) -> Result<View> {
    let en = english(ctx);
    let mut find = SUBMISSIONS.find().newest_first();
    let form = page.query("form").filter(|f| !f.is_empty());
    if let Some(f) = form {
        find = find.eq("form", f);
    }
    let status = page.query("status").and_then(Status::parse);
    if let Some(s) = status {
        find = find.eq("status", s.key());
    }
    let handler = page.query("handler").unwrap_or("");
    let first = page.query("cursor").filter(|c| !c.is_empty());
    let mut pages = find
        .limit(PAGE_SIZE)
        .after(first.map(str::to_owned))
        .pages::<Submission>();
    let mut subs = Vec::new();
    let mut looked = 0;
    for found in pages.by_ref() {
        let found = found?;
        looked += found.len();
        subs.extend(
            found
                .into_iter()
                .filter(|d| handler.is_empty() || d.data.handler == handler),
        );
        if subs.len() >= PAGE_SIZE as usize || looked >= HANDLER_SCAN {
            break;
        }
    }
    let cursor = pages.next_cursor().map(str::to_owned);
    let query = |cursor: Option<&str>| {
        let mut parts = Vec::new();
        if let Some(f) = form {
            parts.push(format!("form={}", segment(f)));
        }
        if let Some(s) = status {
            parts.push(format!("status={}", s.key()));
        }
        if !handler.is_empty() {
            parts.push(format!("handler={}", segment(handler)));
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", segment(c)));
        }
        format!("/inbox?{}", parts.join("&"))
    };
    let mut pager = None;
    if first.is_some() || cursor.is_some() {
        let mut p = Pager::new();
        if first.is_some() {
            p = p.previous(query(None));
        }
        if let Some(next) = &cursor {
            p = p.next(query(Some(next)));
        }
        pager = Some(p);
    }
    let cut_short = cursor.is_some() && subs.len() < PAGE_SIZE as usize;
    let mut filters = vec![Action::secondary(tr(ctx, "All", "Vše"), "/inbox")];
    for s in Status::ALL {
        filters.push(Action::secondary(
            s.label(en),
            format!("/inbox?status={}", s.key()),
        ));
    }
    if let Some(me) = ctx.principal() {
        filters.push(Action::secondary(
            tr(ctx, "Assigned to me", "Přidělené mně"),
            format!("/inbox?handler={}", segment(me.name())),
        ));
    }
    filters.push(Action::secondary(
        tr(ctx, "Export CSV", "Export CSV"),
        "/export.csv",
    ));
    let mut t = Table::new(tr(
        ctx,
        "Submissions, newest first",
        "Podání, nejnovější nahoře",
    ))
    .column(tr(ctx, "Number", "Číslo"))
    .column(tr(ctx, "Form", "Formulář"))
    .column(tr(ctx, "From", "Od"))
    .column(tr(ctx, "Submitted", "Podáno"))
    .column(tr(ctx, "Status", "Stav"))
    .column(tr(ctx, "Handler", "Vyřizuje"))
    .empty_text(tr(ctx, "Nothing here.", "Nic tu není."));
    for d in &subs {
        let s = &d.data;
        t = t.row([
            Cell::link(s.number.clone(), format!("/inbox/{}", segment(&d.id))),
            Cell::from(s.title.clone()),
            Cell::from(s.user_name.clone()),
            Cell::from(s.submitted[..10].to_owned()),
            Cell::from(s.status.label(en)),
            Cell::from(s.handler.clone()),
        ]);
    }
    let mut view = View::new(tr(ctx, "Submissions inbox", "Podatelna formulářů"))
        .actions(filters)
        .table(t);
    if cut_short {
        view = view.text(if en {
            format!("This page looked through {looked} submissions and found fewer that fit; the next page looks further.")
        } else {
            format!("Tato stránka prošla {looked} podání a vyhovujících našla méně; další stránka hledá dál.")
        });
    }
    if let Some(pager) = pager {
        view = view.pager(pager);
    }
    Ok(view)
}

/// An answer as staff read it: choices by their names, files linked.
fn shown(form: Option<&Form>, name: &str, v: &Value) -> String {
    let spec = form.and_then(|f| f.field(name));
    let choice = |x: &str| {
        spec.and_then(|s| s.choices.iter().find(|(k, _)| k == x))
            .map_or_else(|| x.to_owned(), |(_, l)| l.clone())
    };
    match v {
        Value::String(s) if spec.is_some_and(|s| s.kind == Kind::Choice) => choice(s),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(choice)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Bool(true) => "✓".to_owned(),
        Value::Bool(false) => "–".to_owned(),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        other => other.to_string(),
    }
}

/// One submission for staff, with the step form.
pub fn submission(ctx: &Context, id: &str, errors: &[(String, String)]) -> Result<View> {
    let en = english(ctx);
    let d = SUBMISSIONS.get::<Submission>(id)?;
    let s = &d.data;
    let form = model::form(&s.form, Some(s.version)).ok().map(|(_, f)| f);
    let mut facts = vec![
        (
            tr(ctx, "Form", "Formulář").to_owned(),
            format!(
                "{} ({} {})",
                s.title,
                tr(ctx, "version", "verze"),
                s.version
            ),
        ),
        (
            tr(ctx, "Status", "Stav").to_owned(),
            s.status.label(en).to_owned(),
        ),
        (tr(ctx, "From", "Od").to_owned(), s.user_name.clone()),
        (
            tr(ctx, "Submitted", "Podáno").to_owned(),
            s.submitted.clone(),
        ),
        (tr(ctx, "Handler", "Vyřizuje").to_owned(), s.handler.clone()),
    ];
    let mut attachments = Vec::new();
    let order: Vec<String> = form
        .as_ref()
        .map(|f| f.fields.iter().map(|x| x.name.clone()).collect())
        .unwrap_or_else(|| s.answers.keys().cloned().collect());
    for name in order {
        let Some(v) = s.answers.get(&name) else {
            continue;
        };
        let label = form
            .as_ref()
            .and_then(|f| f.field(&name))
            .map_or(name.clone(), |f| f.title.clone());
        if let Some(file) = v.get("id").and_then(Value::as_str) {
            attachments.push(Action::secondary(
                format!("{label}: {}", shown(form.as_ref(), &name, v)),
                format!("/files/{}", segment(file)),
            ));
        }
        facts.push((label, shown(form.as_ref(), &name, v)));
    }
    let mut view = View::new(format!("{} {}", s.title, s.number))
        .actions([Action::secondary(
            tr(ctx, "Back to the inbox", "Zpět do podatelny"),
            "/inbox",
        )])
        .key_values(facts);
    if !attachments.is_empty() {
        view = view
            .heading(tr(ctx, "Attachments", "Přílohy"))
            .actions(attachments);
    }
    let steps: Vec<TimelineEntry> = s
        .history
        .iter()
        .map(|h| {
            TimelineEntry::new(h.at.clone(), format!("{} {}", h.status.label(en), h.by))
                .text(h.note.clone())
        })
        .collect();
    view = view.heading(tr(ctx, "History", "Historie")).timeline(steps);
    let next = s.status.next();
    if next.is_empty() {
        return Ok(view);
    }
    let error = |name: &str| {
        errors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.clone())
    };
    let with_error = |f: Field, name: &str| match error(name) {
        Some(e) => f.error(e),
        None => f,
    };
    let me = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    let step = SdkForm::new(
        format!("/inbox/{}", segment(id)),
        tr(ctx, "Record the step", "Zaznamenat krok"),
    )
    .field(with_error(
        Field::radio(
            "status",
            tr(ctx, "New status", "Nový stav"),
            next.iter().map(|s| (s.key(), s.label(en))),
        )
        .required(),
        "status",
    ))
    .field(with_error(
        Field::text("handler", tr(ctx, "Handled by", "Vyřizuje")).value(if s.handler.is_empty() {
            me
        } else {
            s.handler.clone()
        }),
        "handler",
    ))
    .field(with_error(
        Field::textarea(
            "note",
            tr(ctx, "Note for the applicant", "Poznámka pro žadatele"),
        )
        .help(tr(
            ctx,
            "The applicant sees it and gets it with the message.",
            "Žadatel ji uvidí a dostane ji ve zprávě.",
        )),
        "note",
    ));
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            tr(
                ctx,
                "Nothing was recorded; see the fields below.",
                "Nic nebylo zaznamenáno; opravte pole níže.",
            ),
        );
    }
    Ok(view.heading(tr(ctx, "Next step", "Další krok")).form(step))
}

/// A step of the workflow: the status, the handler, a note; the applicant is told.
pub fn submit_step(ctx: &Context, id: &str, post: &FormPost) -> Result<Outcome> {
    let en = english(ctx);
    let d = SUBMISSIONS.get::<Submission>(id)?;
    let mut s = d.data.clone();
    let mut errors = Vec::new();
    let status = post.get("status").and_then(Status::parse);
    let status = match status {
        Some(st) if s.status.next().contains(&st) => st,
        _ => {
            errors.push((
                "status".to_owned(),
                tr(
                    ctx,
                    "Choose one of the statuses offered.",
                    "Vyberte jeden z nabízených stavů.",
                )
                .to_owned(),
            ));
            s.status
        }
    };
    let note = post.get("note").unwrap_or_default().trim().to_owned();
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
    if status == Status::Rejected && note.is_empty() {
        errors.push((
            "note".to_owned(),
            tr(ctx, "Say why it is rejected.", "Uveďte, proč se zamítá.").to_owned(),
        ));
    }
    let handler = post.get("handler").unwrap_or_default().trim().to_owned();
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
        return Ok(Outcome::Show(submission(ctx, id, &errors)?));
    }
    let by = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    let at = now();
    s.status = status;
    s.handler = handler;
    s.updated = at.clone();
    s.history.push(Step {
        at,
        status,
        note: note.clone(),
        by,
    });
    SUBMISSIONS.update(&d.id, d.version, &s)?;
    audit::append(
        "form.step",
        &format!("submissions/{}", d.id),
        &json!({ "number": s.number, "status": status.key(), "handler": s.handler }),
    )?;
    model::tell(
        &s,
        "submission-status",
        &json!({ "number": s.number, "title": s.title, "status": status.label(en), "note": note }),
    )?;
    Ok(Outcome::redirect_with(
        format!("/inbox/{}", segment(id)),
        tr(
            ctx,
            "The step is recorded; the applicant is told.",
            "Krok je zaznamenán; žadatel je informován.",
        ),
    ))
}

/// A file attached to a submission, for staff.
pub fn file(id: &str) -> Result<Response> {
    let info = files::info(id)?;
    let content = files::read(id)?;
    Ok(Response::new(200)
        .header("content-type", info.media_type)
        .header(
            "content-disposition",
            format!(
                "attachment; filename=\"{}\"",
                info.name.replace(['"', '\\', '\r', '\n'], "_")
            ),
        )
        .header("cache-control", "private, no-store")
        .body(content))
}

/// Submissions as CSV; with `?form=`, one column per field of that form.
/// Numbers answered or calculated stay numbers; what people typed is
/// written so that a spreadsheet never runs it as a formula.
pub fn export_csv(req: &portico_sdk::Request) -> Result<Response> {
    let code = req.query("form").filter(|c| !c.is_empty());
    let mut find = SUBMISSIONS.find().newest_first();
    if let Some(c) = code {
        find = find.eq("form", c);
    }
    let fields: Vec<(String, String)> = match code {
        Some(c) => model::form(c, None)?
            .1
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.title.clone()))
            .collect(),
        None => Vec::new(),
    };
    let mut out = csv::Writer::new();
    let mut header: Vec<String> = [
        "number",
        "form",
        "version",
        "status",
        "submitted",
        "updated",
        "from",
        "handler",
        "email",
        "phone",
    ]
    .map(str::to_owned)
    .to_vec();
    if fields.is_empty() {
        header.push("answers".into());
    }
    header.extend(fields.iter().map(|(_, t)| t.clone()));
    out.row(&header)?;
    for d in find.fetch_all::<Submission>(model::MOST)? {
        let s = d.data;
        let mut row = vec![
            csv::Cell::from(&s.number),
            csv::Cell::from(&s.form),
            csv::Cell::from(s.version),
            csv::Cell::from(s.status.key()),
            csv::Cell::from(&s.submitted),
            csv::Cell::from(&s.updated),
            csv::Cell::from(&s.user_name),
            csv::Cell::from(&s.handler),
            csv::Cell::from(&s.email),
            csv::Cell::from(&s.phone),
        ];
        if fields.is_empty() {
            row.push(Value::Object(s.answers.clone()).to_string().into());
        }
        for (name, _) in &fields {
            row.push(match s.answers.get(name) {
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(i) => i.into(),
                    None => n.as_f64().into(),
                },
                Some(v) => shown(None, name, v).into(),
                None => csv::Cell::empty(),
            });
        }
        out.row(row)?;
    }
    out.into_response("submissions.csv")
}

/// Counts per form and status: figures only, public. Every figure is
/// counted by the store, over all submissions.
pub fn dashboard(ctx: &Context) -> Result<View> {
    let en = english(ctx);
    let forms = model::latest_forms()?;
    let by_status = SUBMISSIONS.count_by("status").fetch()?;
    let count = |key: &str| -> u64 {
        by_status
            .iter()
            .filter(|g| g.key.as_deref() == Some(key))
            .map(|g| g.count)
            .sum()
    };
    let total: u64 = by_status.iter().map(|g| g.count).sum();
    let open: u64 = Status::ALL
        .into_iter()
        .filter(|s| !s.next().is_empty())
        .map(|s| count(s.key()))
        .sum();
    let mut view = View::new(tr(ctx, "Forms in figures", "Formuláře v číslech")).stats([
        Stat::new(tr(ctx, "Submissions", "Podání"), total.to_string()),
        Stat::new(
            tr(ctx, "Being dealt with", "Ve vyřizování"),
            open.to_string(),
        ),
        Stat::new(tr(ctx, "Forms", "Formuláře"), forms.len().to_string()),
    ]);
    let mut t = Table::new(tr(
        ctx,
        "Submissions by form and status",
        "Podání podle formuláře a stavu",
    ))
    .column(tr(ctx, "Form", "Formulář"));
    for s in Status::ALL {
        t = t.numeric_column(s.label(en));
    }
    t = t.empty_text(tr(ctx, "No submissions yet.", "Zatím žádná podání."));
    // Each status counted by form; a form is a row.
    let mut codes: Vec<String> = Vec::new();
    let mut counts: Vec<(String, Status, u64)> = Vec::new();
    let mut whole = true;
    for s in Status::ALL {
        let groups = SUBMISSIONS.count_by("form").eq("status", s.key()).fetch()?;
        whole &= groups.len() < MOST_GROUPS;
        for g in groups {
            let code = g.key.unwrap_or_default();
            if !codes.contains(&code) {
                codes.push(code.clone());
            }
            counts.push((code, s, g.count));
        }
    }
    let title = |code: &str| {
        forms
            .iter()
            .find(|f| f.code == code)
            .map_or_else(|| code.to_owned(), |f| f.definition.title.clone())
    };
    let mut rows: Vec<(String, String)> = codes.into_iter().map(|c| (title(&c), c)).collect();
    rows.sort();
    for (title, code) in rows {
        let mut row = vec![title];
        for st in Status::ALL {
            let n: u64 = counts
                .iter()
                .filter(|(c, s, _)| *c == code && *s == st)
                .map(|(_, _, n)| n)
                .sum();
            row.push(n.to_string());
        }
        t = t.row(row);
    }
    view = view.table(t);
    if !whole {
        view = view.text(tr(
            ctx,
            "Only the 1,000 forms with the most submissions of each status are counted in the table.",
            "Tabulka počítá jen 1 000 formulářů s nejvíce podáními v každém stavu.",
        ));
    }
    Ok(view)
}

/// The most groups the store's aggregate returns.
const MOST_GROUPS: usize = 1_000;

/// The forms, and the import of a definition (a new form or a new version).
pub fn design(ctx: &Context, typed: Option<&str>, errors: &[(String, String)]) -> Result<View> {
    let mut t = Table::new(tr(ctx, "Forms", "Formuláře"))
        .column(tr(ctx, "Code", "Kód"))
        .column(tr(ctx, "Title", "Název"))
        .numeric_column(tr(ctx, "Version", "Verze"))
        .column(tr(ctx, "Who may fill it in", "Kdo může vyplnit"))
        .empty_text(tr(ctx, "No forms yet.", "Zatím žádné formuláře."));
    for v in model::latest_forms()? {
        t = t.row([
            Cell::link(v.code.clone(), format!("/design/{}", segment(&v.code))),
            Cell::from(v.definition.title.clone()),
            Cell::from(v.version.to_string()),
            Cell::from(v.definition.access.clone()),
        ]);
    }
    let mut field = Field::textarea("definition", tr(ctx, "Definition (JSON Schema and UI layout)", "Definice (JSON Schema a rozvržení)"))
        .required()
        .help(tr(
            ctx,
            "{\"code\", \"title\", \"description\", \"access\", \"schema\", \"uischema\"} as the manual describes; a code already used publishes a new version.",
            "{\"code\", \"title\", \"description\", \"access\", \"schema\", \"uischema\"} podle příručky; již použitý kód zveřejní novou verzi.",
        ));
    if let Some(t) = typed {
        field = field.value(t);
    }
    if !errors.is_empty() {
        field = field.error(
            errors
                .iter()
                .map(|(at, m)| format!("{at}: {m}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    let mut view = View::new(tr(ctx, "Form design", "Návrh formulářů"))
        .actions([
            Action::secondary(
                tr(ctx, "Life situations", "Životní situace"),
                "/situations-edit",
            ),
            Action::secondary(
                tr(ctx, "Submissions inbox", "Podatelna formulářů"),
                "/inbox",
            ),
        ])
        .table(t);
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            tr(
                ctx,
                "The definition was not published; see the field below.",
                "Definice nebyla zveřejněna; viz pole níže.",
            ),
        );
    }
    Ok(view
        .heading(tr(ctx, "Import a definition", "Importovat definici"))
        .form(SdkForm::new("/design", tr(ctx, "Publish", "Zveřejnit")).field(field)))
}

/// Publishes an imported definition as the form's next version.
pub fn publish(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let typed = post.get("definition").unwrap_or_default();
    let refused = |errors: Vec<(String, String)>| -> Result<Outcome> {
        Ok(Outcome::Show(design(ctx, Some(typed), &errors)?))
    };
    let def = match Definition::parse(typed) {
        Ok(d) => d,
        Err(problems) => return refused(problems),
    };
    let form = match Form::read(def) {
        Ok(f) => f,
        Err(problems) => return refused(problems),
    };
    let code = form.def.code.clone();
    let version = model::versions(&code)?.first().map_or(1, |v| v.version + 1);
    let by = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    FORMS.insert(&Version {
        code: code.clone(),
        title: form.def.title.clone(),
        version,
        definition: form.def,
        published: now(),
        by,
    })?;
    audit::append(
        "form.publish",
        &format!("forms/{code}"),
        &json!({ "code": code, "version": version }),
    )?;
    Ok(Outcome::redirect_with(
        format!("/design/{}", segment(&code)),
        if english(ctx) {
            format!("Version {version} is published.")
        } else {
            format!("Verze {version} je zveřejněna.")
        },
    ))
}

/// A form's versions, with its export.
pub fn design_form(ctx: &Context, code: &str) -> Result<View> {
    let versions = model::versions(code)?;
    let Some(latest) = versions.first() else {
        return Err(Error::not_found(format!("no form `{code}`")));
    };
    let mut t = Table::new(tr(ctx, "Versions", "Verze"))
        .numeric_column(tr(ctx, "Version", "Verze"))
        .column(tr(ctx, "Published", "Zveřejněno"))
        .column(tr(ctx, "By", "Kdo"));
    for v in &versions {
        t = t.row([v.version.to_string(), v.published.clone(), v.by.clone()]);
    }
    Ok(View::new(latest.definition.title.clone())
        .actions([
            Action::primary(
                tr(ctx, "Export the definition", "Exportovat definici"),
                format!("/design/{}/export.json", segment(code)),
            ),
            Action::secondary(
                tr(ctx, "Open the form", "Otevřít formulář"),
                format!("/forms/{}", segment(code)),
            ),
            Action::secondary(
                tr(ctx, "Submissions", "Podání"),
                format!("/inbox?form={}", segment(code)),
            ),
        ])
        .table(t))
}

/// The latest definition, as it is imported.
pub fn export_definition(code: &str) -> Result<Response> {
    let versions = model::versions(code)?;
    let latest = versions
        .first()
        .ok_or_else(|| Error::not_found(format!("no form `{code}`")))?;
    Ok(Response::json(&latest.definition).header(
        "content-disposition",
        format!("attachment; filename=\"{code}-v{}.json\"", latest.version),
    ))
}

/// The life situations, and the form to add or change one (`?key=`).
pub fn situations_edit(
    ctx: &Context,
    key: Option<&str>,
    post: Option<&FormPost>,
    errors: &[(String, String)],
) -> Result<View> {
    let all = model::situations()?;
    let forms = model::latest_forms()?;
    let mut t = Table::new(tr(ctx, "Life situations", "Životní situace"))
        .column(tr(ctx, "Key", "Klíč"))
        .column(tr(ctx, "Title", "Název"))
        .column(tr(ctx, "Under", "Pod"))
        .column(tr(ctx, "Forms", "Formuláře"))
        .empty_text(tr(ctx, "None yet.", "Zatím žádné."));
    for s in &all {
        t = t.row([
            Cell::link(
                s.key.clone(),
                format!("/situations-edit?key={}", segment(&s.key)),
            ),
            Cell::from(s.title.clone()),
            Cell::from(s.parent.clone()),
            Cell::from(s.forms.join(", ")),
        ]);
    }
    let editing = key.and_then(|k| all.iter().find(|s| s.key == k));
    let typed =
        |name: &str, stored: String| post.and_then(|p| p.get(name)).map_or(stored, str::to_owned);
    let error = |f: Field, name: &str| match errors.iter().find(|(n, _)| n == name) {
        Some((_, e)) => f.error(e.clone()),
        None => f,
    };
    let mut parents = vec![(
        String::new(),
        tr(ctx, "— the top —", "— nejvyšší úroveň —").to_owned(),
    )];
    parents.extend(all.iter().map(|s| (s.key.clone(), s.title.clone())));
    let chosen: Vec<String> = match post {
        Some(p) => p.all("forms").map(str::to_owned).collect(),
        None => editing.map(|s| s.forms.clone()).unwrap_or_default(),
    };
    let f = SdkForm::new("/situations-edit", tr(ctx, "Save", "Uložit"))
        .field(error(
            Field::text("key", tr(ctx, "Key", "Klíč"))
                .required()
                .value(typed(
                    "key",
                    editing.map(|s| s.key.clone()).unwrap_or_default(),
                )),
            "key",
        ))
        .field(error(
            Field::text("title", tr(ctx, "Title", "Název"))
                .required()
                .value(typed(
                    "title",
                    editing.map(|s| s.title.clone()).unwrap_or_default(),
                )),
            "title",
        ))
        .field(error(
            Field::textarea("text", tr(ctx, "What it is about", "Oč jde")).value(typed(
                "text",
                editing.map(|s| s.text.clone()).unwrap_or_default(),
            )),
            "text",
        ))
        .field(error(
            Field::select("parent", tr(ctx, "Under", "Pod"), parents).value(typed(
                "parent",
                editing.map(|s| s.parent.clone()).unwrap_or_default(),
            )),
            "parent",
        ))
        .field(error(
            Field::checkboxes(
                "forms",
                tr(ctx, "Forms it leads to", "Formuláře, ke kterým vede"),
                forms
                    .iter()
                    .map(|f| (f.code.clone(), f.definition.title.clone())),
            )
            .selected(chosen),
            "forms",
        ));
    let mut view = View::new(tr(ctx, "Life situations", "Životní situace"))
        .actions([Action::secondary(
            tr(ctx, "Form design", "Návrh formulářů"),
            "/design",
        )])
        .table(t)
        .heading(if editing.is_some() {
            tr(ctx, "Change the situation", "Změnit situaci")
        } else {
            tr(ctx, "Add a situation", "Přidat situaci")
        });
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            tr(
                ctx,
                "Nothing was saved; see the fields below.",
                "Nic nebylo uloženo; opravte pole níže.",
            ),
        );
    }
    Ok(view.form(f))
}

pub fn save_situation(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let get = |n: &str| post.get(n).unwrap_or_default().trim().to_owned();
    let all = model::situations()?;
    let forms = model::latest_forms()?;
    let s = Situation {
        key: get("key"),
        parent: get("parent"),
        title: get("title"),
        text: get("text"),
        forms: post.all("forms").map(str::to_owned).collect(),
    };
    let mut errors: Vec<(String, String)> = Vec::new();
    if s.key.is_empty()
        || s.key.len() > 60
        || !s
            .key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.push((
            "key".into(),
            tr(
                ctx,
                "Use 1 to 60 small letters, digits or `-`.",
                "Použijte 1 až 60 malých písmen, číslic nebo `-`.",
            )
            .into(),
        ));
    }
    if s.title.is_empty() || s.title.chars().count() > 200 {
        errors.push((
            "title".into(),
            tr(
                ctx,
                "Give a title of 1 to 200 characters.",
                "Zadejte název o 1 až 200 znacích.",
            )
            .into(),
        ));
    }
    // A parent must exist and not lie under the situation itself.
    let mut up = s.parent.clone();
    let mut depth = 0;
    while !up.is_empty() {
        if up == s.key || depth > 20 {
            errors.push((
                "parent".into(),
                tr(
                    ctx,
                    "A situation cannot lie under itself.",
                    "Situace nemůže ležet pod sebou samou.",
                )
                .into(),
            ));
            break;
        }
        match all.iter().find(|x| x.key == up) {
            Some(p) => up = p.parent.clone(),
            None => {
                errors.push((
                    "parent".into(),
                    tr(
                        ctx,
                        "Choose a situation from the list.",
                        "Vyberte situaci ze seznamu.",
                    )
                    .into(),
                ));
                break;
            }
        }
        depth += 1;
    }
    if let Some(f) = s
        .forms
        .iter()
        .find(|f| !forms.iter().any(|x| &x.code == *f))
    {
        errors.push((
            "forms".into(),
            format!("`{f}` {}", tr(ctx, "is not a form.", "není formulář.")),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(situations_edit(
            ctx,
            None,
            Some(post),
            &errors,
        )?));
    }
    let existing = SITUATIONS
        .find()
        .eq("key", &s.key)
        .fetch_all::<Situation>(model::MOST)?;
    match existing.first() {
        Some(d) => {
            SITUATIONS.update(&d.id, d.version, &s)?;
        }
        None => {
            SITUATIONS.insert(&s)?;
        }
    }
    audit::append(
        "form.situation",
        &format!("situations/{}", s.key),
        &json!({ "key": s.key, "forms": s.forms }),
    )?;
    Ok(Outcome::redirect_with(
        "/situations-edit",
        format!("{} {}", tr(ctx, "Saved:", "Uloženo:"), s.title),
    ))
}
