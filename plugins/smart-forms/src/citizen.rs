//! What citizens see: life situations, forms, filling them in step by step
//! with drafts, and their submissions.

use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Assurance, Cell, Context, Error, Field, Form as SdkForm, FormPost, NoticeLevel,
    Outcome, Page, Result, Table, TimelineEntry, View, audit, files, segment,
};
use serde_json::{Value, json};

use crate::definition::{Answers, FieldSpec, Form, Kind, is_empty, number};
use crate::model::{
    self, DRAFTS, Draft, SUBMISSIONS, Status, Step, Submission, Version, english, now,
};

pub fn tr(ctx: &Context, en: &'static str, cs: &'static str) -> &'static str {
    if english(ctx) { en } else { cs }
}

/// The life situations at the top, and every form.
pub fn home(ctx: &Context) -> Result<View> {
    let situations = model::situations()?;
    let mut table = Table::new(tr(ctx, "Life situations", "Životní situace"))
        .column(tr(ctx, "Situation", "Situace"))
        .column(tr(ctx, "What it is about", "Oč jde"))
        .empty_text(tr(
            ctx,
            "No life situations yet.",
            "Zatím žádné životní situace.",
        ));
    for s in situations.iter().filter(|s| s.parent.is_empty()) {
        table = table.row([
            Cell::link(s.title.clone(), format!("/situations/{}", segment(&s.key))),
            Cell::from(s.text.clone()),
        ]);
    }
    Ok(View::new(tr(
        ctx,
        "Forms and life situations",
        "Formuláře a životní situace",
    ))
    .text(tr(
        ctx,
        "Start from what is happening in your life; it leads you to the right form.",
        "Začněte tím, co se ve vašem životě děje; dovede vás ke správnému formuláři.",
    ))
    .table(table)
    .actions([
        Action::secondary(tr(ctx, "All forms", "Všechny formuláře"), "/forms"),
        Action::secondary(tr(ctx, "My submissions", "Moje podání"), "/my"),
    ]))
}

/// One situation: its text, the situations under it, its forms.
pub fn situation(ctx: &Context, key: &str) -> Result<View> {
    let all = model::situations()?;
    let s = all
        .iter()
        .find(|s| s.key == key)
        .ok_or_else(|| Error::not_found(format!("no situation `{key}`")))?;
    let forms = model::latest_forms()?;
    let mut view = View::new(s.title.clone()).text(s.text.clone());
    let children: Vec<_> = all.iter().filter(|c| c.parent == s.key).collect();
    if !children.is_empty() {
        let mut t = Table::new(tr(ctx, "More precisely", "Upřesněte"))
            .column(tr(ctx, "Situation", "Situace"))
            .column(tr(ctx, "What it is about", "Oč jde"));
        for c in children {
            t = t.row([
                Cell::link(c.title.clone(), format!("/situations/{}", segment(&c.key))),
                Cell::from(c.text.clone()),
            ]);
        }
        view = view.table(t);
    }
    let mut t = Table::new(tr(
        ctx,
        "Forms for this situation",
        "Formuláře pro tuto situaci",
    ))
    .column(tr(ctx, "Form", "Formulář"))
    .column(tr(ctx, "What it is for", "K čemu slouží"))
    .empty_text(tr(ctx, "No forms here.", "Žádné formuláře."));
    for code in &s.forms {
        if let Some(f) = forms.iter().find(|f| &f.code == code) {
            t = t.row([
                Cell::link(
                    f.definition.title.clone(),
                    format!("/forms/{}", segment(code)),
                ),
                Cell::from(f.definition.description.clone()),
            ]);
        }
    }
    let mut crumbs = Vec::new();
    let mut parent = s.parent.clone();
    while let Some(p) = all.iter().find(|x| x.key == parent && !parent.is_empty()) {
        crumbs.push(Action::secondary(
            p.title.clone(),
            format!("/situations/{}", segment(&p.key)),
        ));
        parent = p.parent.clone();
        if crumbs.len() > 10 {
            break;
        }
    }
    crumbs.reverse();
    if !crumbs.is_empty() {
        view = view.actions(crumbs);
    }
    Ok(view.table(t))
}

/// Every form.
pub fn forms(ctx: &Context) -> Result<View> {
    let mut t = Table::new(tr(ctx, "Forms", "Formuláře"))
        .column(tr(ctx, "Form", "Formulář"))
        .column(tr(ctx, "What it is for", "K čemu slouží"))
        .empty_text(tr(ctx, "No forms yet.", "Zatím žádné formuláře."));
    for f in model::latest_forms()? {
        t = t.row([
            Cell::link(
                f.definition.title.clone(),
                format!("/forms/{}", segment(&f.code)),
            ),
            Cell::from(f.definition.description.clone()),
        ]);
    }
    Ok(View::new(tr(ctx, "All forms", "Všechny formuláře")).table(t))
}

fn level(access: &str) -> u8 {
    match access {
        "public" => 0,
        "registered" => 1,
        "substantial" => 2,
        _ => 3,
    }
}

fn assurance(ctx: &Context) -> u8 {
    match ctx.principal().map(|p| p.assurance()) {
        None | Some(Assurance::Anonymous) => 0,
        Some(Assurance::Registered) => 1,
        Some(Assurance::Substantial) => 2,
        Some(Assurance::High) => 3,
    }
}

/// A form's first page: what it is for, who may use it, the way in.
pub fn start(ctx: &Context, code: &str) -> Result<View> {
    let (v, form) = model::form(code, None)?;
    let needs = level(&form.def.access);
    let has = assurance(ctx);
    let mut view = View::new(form.def.title.clone()).text(form.def.description.clone());
    let who = match form.def.access.as_str() {
        "public" => tr(
            ctx,
            "Anyone may fill it in, without logging in.",
            "Vyplnit jej může kdokoli, bez přihlášení.",
        ),
        "registered" => tr(
            ctx,
            "You fill it in logged in.",
            "Vyplňujete jej přihlášení.",
        ),
        "substantial" => tr(
            ctx,
            "It needs your identity verified by the eID (level substantial or high).",
            "Vyžaduje ověřenou identitu přes eID (úroveň značná nebo vysoká).",
        ),
        _ => tr(
            ctx,
            "It needs your identity verified by the eID at level high.",
            "Vyžaduje ověřenou identitu přes eID na vysoké úrovni.",
        ),
    };
    view = view.key_values([
        (
            tr(ctx, "Who may fill it in", "Kdo jej může vyplnit"),
            who.to_owned(),
        ),
        (tr(ctx, "Steps", "Kroky"), form.pages.len().to_string()),
        (tr(ctx, "Version", "Verze"), v.version.to_string()),
    ]);
    if has >= needs.max(1) {
        return Ok(view.actions([Action::primary(
            tr(ctx, "Fill in", "Vyplnit"),
            format!("/fill/{}", segment(code)),
        )]));
    }
    if needs == 0 {
        return Ok(view.actions([
            Action::primary(
                tr(ctx, "Fill in without logging in", "Vyplnit bez přihlášení"),
                format!("/public/{}", segment(code)),
            ),
            Action::secondary(
                tr(
                    ctx,
                    "Log in to save a draft",
                    "Přihlásit se a ukládat rozpracované",
                ),
                format!("/fill/{}", segment(code)),
            ),
        ]));
    }
    if has == 0 {
        return Ok(view.actions([Action::primary(
            tr(ctx, "Log in to fill in", "Přihlásit se a vyplnit"),
            format!("/fill/{}", segment(code)),
        )]));
    }
    Ok(view.notice(
        NoticeLevel::Warning,
        tr(
            ctx,
            "Your log-in is not verified strongly enough for this form. Log out and log in with the eID.",
            "Vaše přihlášení pro tento formulář není dostatečně ověřené. Odhlaste se a přihlaste přes eID.",
        ),
    ))
}

/// The verified claim a field is pre-filled from, if the identity gives it.
fn claim(ctx: &Context, f: &FieldSpec) -> Option<String> {
    let p = ctx.principal()?;
    let name = f.prefill.as_deref()?;
    match name {
        "name" => p.claim("name").map(str::to_owned).or_else(|| {
            Some(format!(
                "{} {}",
                p.claim("given_name")?,
                p.claim("family_name")?
            ))
        }),
        other => p.claim(other).map(str::to_owned),
    }
}

/// Whether the field shows a verified value the user cannot change.
fn locked(ctx: &Context, f: &FieldSpec) -> bool {
    f.read_only && f.calculate.is_none() && assurance(ctx) >= 2 && claim(ctx, f).is_some()
}

/// The answers with verified values put back, and calculations done.
fn settle(ctx: &Context, form: &Form, answers: &mut Answers) {
    for f in &form.fields {
        if locked(ctx, f)
            && let Some(v) = claim(ctx, f)
        {
            answers.insert(f.name.clone(), Value::String(v));
        }
    }
    form.calculate(answers);
}

/// Pre-fills an empty form from the verified identity.
fn prefilled(ctx: &Context, form: &Form) -> Answers {
    let mut answers = Answers::new();
    for f in &form.fields {
        if let Some(v) = claim(ctx, f) {
            answers.insert(f.name.clone(), Value::String(v));
        }
    }
    settle(ctx, form, &mut answers);
    answers
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Object(o)) => o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        Some(other) => other.to_string(),
    }
}

/// One field as the SDK draws it.
fn field(
    ctx: &Context,
    form: &Form,
    f: &FieldSpec,
    answers: &Answers,
    errors: &[(String, String)],
) -> Field {
    let value = answers.get(&f.name);
    let mut field = match f.kind {
        Kind::Text | Kind::Phone | Kind::Email => {
            let kind = match f.kind {
                Kind::Phone => portico_sdk::FieldKind::Tel,
                Kind::Email => portico_sdk::FieldKind::Email,
                _ => portico_sdk::FieldKind::Text,
            };
            Field::new(f.name.clone(), f.title.clone(), kind).value(text_of(value))
        }
        Kind::Textarea => Field::textarea(f.name.clone(), f.title.clone()).value(text_of(value)),
        Kind::Integer | Kind::Number => {
            Field::number(f.name.clone(), f.title.clone()).value(text_of(value))
        }
        Kind::Date => Field::date(f.name.clone(), f.title.clone()).value(text_of(value)),
        Kind::Choice if f.choices.len() <= 5 => {
            Field::radio(f.name.clone(), f.title.clone(), f.choices.clone()).value(text_of(value))
        }
        Kind::Choice => {
            Field::select(f.name.clone(), f.title.clone(), f.choices.clone()).value(text_of(value))
        }
        Kind::MultiChoice => Field::checkboxes(f.name.clone(), f.title.clone(), f.choices.clone())
            .selected(
                value
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            ),
        Kind::Consent => Field::new(
            f.name.clone(),
            f.title.clone(),
            portico_sdk::FieldKind::Checkbox,
        )
        .value(if value == Some(&Value::Bool(true)) {
            "true"
        } else {
            ""
        }),
        Kind::File => {
            let mut field = Field::file(f.name.clone(), f.title.clone());
            if let Some(a) = &f.accept {
                field = field.accept(a.clone());
            }
            field
        }
    };
    if let Some(p) = &f.pattern {
        field = field.pattern(p.clone());
    }
    if let Some(m) = &f.min {
        field = field.min(m.clone());
    }
    if let Some(m) = &f.max {
        field = field.max(m.clone());
    }
    if let Some(token) = f.prefill.as_deref().map(|c| match c {
        "name" => "name",
        "given_name" => "given-name",
        "family_name" => "family-name",
        "birthdate" => "bday",
        "address" => "street-address",
        "email" => "email",
        _ => "tel",
    }) {
        field = field.autocomplete(token);
    }
    let mut help = f.description.clone();
    if locked(ctx, f) {
        field = field.read_only();
        help = tr(
            ctx,
            "From your verified identity (eID).",
            "Z vaší ověřené identity (eID).",
        )
        .to_owned();
    } else if f.calculate.is_some() {
        field = field.read_only();
        help = format!(
            "{} {}",
            tr(ctx, "Calculated:", "Vypočteno:"),
            f.calculate.as_deref().unwrap_or_default()
        );
    } else if f.kind == Kind::File
        && let Some(Value::Object(o)) = value
    {
        help = format!(
            "{} {}",
            tr(ctx, "Attached:", "Přiloženo:"),
            o.get("name").and_then(Value::as_str).unwrap_or_default()
        );
    }
    if !help.is_empty() {
        field = field.help(help);
    }
    if form.is_required(f, answers) {
        field = field.required();
    }
    if let Some((_, e)) = errors.iter().find(|(n, _)| *n == f.name) {
        field = field.error(e.clone());
    }
    field
}

/// Reads the posted answers of `names` into `answers`: numbers as numbers,
/// ticked boxes as lists, files stored (kept only if this call succeeds).
/// A value that cannot be read stays as typed, for its error.
fn read_posted(
    ctx: &Context,
    form: &Form,
    names: &[String],
    post: &FormPost,
    answers: &mut Answers,
    errors: &mut Vec<(String, String)>,
) -> Result<()> {
    for f in form.fields.iter().filter(|f| names.contains(&f.name)) {
        if locked(ctx, f) || f.calculate.is_some() {
            continue;
        }
        let raw = post.get(&f.name).unwrap_or_default().trim().to_owned();
        let value = match f.kind {
            Kind::MultiChoice => Value::Array(
                post.all(&f.name)
                    .map(|v| Value::String(v.to_owned()))
                    .collect(),
            ),
            Kind::Consent => Value::Bool(raw == "true"),
            Kind::Integer | Kind::Number => match raw.replace(',', ".").parse::<f64>() {
                _ if raw.is_empty() => Value::Null,
                Ok(n) if n.is_finite() => number(n),
                _ => {
                    errors.push((
                        f.name.clone(),
                        tr(ctx, "Give a number.", "Zadejte číslo.").to_owned(),
                    ));
                    Value::String(raw)
                }
            },
            Kind::File => match post.file(&f.name).map(|file| (file, media_type(file))) {
                None => continue,
                Some((file, _)) if file.content.len() as u64 > f.max_bytes => {
                    let mb = f.max_bytes as f64 / 1_048_576.0;
                    errors.push((
                        f.name.clone(),
                        if english(ctx) {
                            format!("The file is larger than {mb:.1} MB; choose a smaller one.")
                        } else {
                            format!("Soubor je větší než {mb:.1} MB; vyberte menší.")
                        },
                    ));
                    continue;
                }
                Some((_, media_type)) if !accepted(f, &media_type) => {
                    errors.push((
                        f.name.clone(),
                        if english(ctx) {
                            format!(
                                "Choose a file of type {}.",
                                f.accept.as_deref().unwrap_or_default()
                            )
                        } else {
                            format!(
                                "Vyberte soubor typu {}.",
                                f.accept.as_deref().unwrap_or_default()
                            )
                        },
                    ));
                    continue;
                }
                Some((file, media_type)) => {
                    let stored = files::store(
                        &file.filename,
                        &media_type,
                        &file.content,
                        files::Mark::A,
                        10,
                    )?;
                    json!({ "id": stored.id, "name": stored.name, "size": stored.size })
                }
            },
            _ => Value::String(raw),
        };
        if is_empty(&value) && f.kind != Kind::Consent {
            answers.remove(&f.name);
        } else {
            answers.insert(f.name.clone(), value);
        }
    }
    Ok(())
}

/// A file's media type, told by its first bytes where they say it (a
/// browser only guesses), else as the browser gave it.
fn media_type(file: &portico_sdk::UploadedFile) -> String {
    match file.content.as_slice() {
        [b'%', b'P', b'D', b'F', b'-', ..] => "application/pdf",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "image/webp",
        _ => file.media_type.as_str(),
    }
    .to_owned()
}

fn accepted(f: &FieldSpec, media_type: &str) -> bool {
    f.accept.as_deref().is_none_or(|accept| {
        accept.split(',').map(str::trim).any(|a| {
            a == media_type
                || a.strip_suffix("/*")
                    .is_some_and(|p| media_type.starts_with(&format!("{p}/")))
        })
    })
}

/// Who may fill in `form` here; an error says why not.
fn may_fill(ctx: &Context, form: &Form) -> Result<()> {
    if assurance(ctx) < level(&form.def.access) {
        return Err(Error::forbidden(tr(
            ctx,
            "This form needs an identity verified by the eID at a higher level.",
            "Tento formulář vyžaduje identitu ověřenou přes eID na vyšší úrovni.",
        )));
    }
    Ok(())
}

/// A step of a form for a logged-in person, from their draft.
pub fn fill(ctx: &Context, page: &Page) -> Result<View> {
    let code = page.param("code").unwrap_or_default();
    let user = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let draft = model::draft_of(&user, code)?;
    let (v, form) = model::form(code, draft.as_ref().map(|d| d.data.version))?;
    may_fill(ctx, &form)?;
    let (answers, step) = match &draft {
        Some(d) => (d.data.answers.clone(), d.data.step),
        None => (prefilled(ctx, &form), 0),
    };
    let step = page
        .query("step")
        .and_then(|s| s.parse().ok())
        .unwrap_or(step);
    Ok(step_view(
        ctx,
        &v,
        &form,
        step.min(form.pages.len() - 1),
        &answers,
        &[],
        draft.is_some(),
    ))
}

fn step_view(
    ctx: &Context,
    v: &Version,
    form: &Form,
    step: usize,
    answers: &Answers,
    errors: &[(String, String)],
    resumed: bool,
) -> View {
    let page = &form.pages[step];
    let last = step + 1 == form.pages.len();
    let mut f = SdkForm::new(
        format!("/fill/{}", segment(&v.code)),
        if last {
            tr(ctx, "Submit", "Odeslat")
        } else {
            tr(ctx, "Next", "Další")
        },
    )
    .field(Field::new("_step", "step", portico_sdk::FieldKind::Hidden).value(step.to_string()));
    for spec in form.fields.iter().filter(|s| page.fields.contains(&s.name)) {
        if form.shown(spec, answers) {
            f = f.field(field(ctx, form, spec, answers, errors));
        }
    }
    if step > 0 {
        f = f.button("back", tr(ctx, "Back", "Zpět"));
    }
    f = f.button("draft", tr(ctx, "Save draft", "Uložit rozpracované"));
    let title = if form.pages.len() > 1 {
        format!(
            "{} – {} {} / {}: {}",
            form.def.title,
            tr(ctx, "step", "krok"),
            step + 1,
            form.pages.len(),
            page.title
        )
    } else {
        form.def.title.clone()
    };
    let mut view = View::new(title);
    if resumed && errors.is_empty() {
        view = view.notice(
            NoticeLevel::Info,
            tr(
                ctx,
                "You are going on with your saved draft.",
                "Pokračujete v uloženém rozpracovaném podání.",
            ),
        );
    }
    view.form(f)
}

/// A step posted: back, a draft saved, or the next step (the last one submits).
pub fn submit_step(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    let principal = ctx
        .principal()
        .ok_or_else(|| Error::forbidden("log in first"))?;
    let user = principal.user_id().to_owned();
    let draft = model::draft_of(&user, code)?;
    let (v, form) = model::form(code, draft.as_ref().map(|d| d.data.version))?;
    may_fill(ctx, &form)?;
    let mut answers = match &draft {
        Some(d) => d.data.answers.clone(),
        None => prefilled(ctx, &form),
    };
    let step: usize = post
        .get("_step")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        .min(form.pages.len() - 1);
    let names = form.pages[step].fields.clone();
    let mut errors = Vec::new();
    read_posted(ctx, &form, &names, post, &mut answers, &mut errors)?;
    settle(ctx, &form, &mut answers);
    let save = |answers: &Answers, step: usize| -> Result<()> {
        let data = Draft {
            user: user.clone(),
            form: v.code.clone(),
            version: v.version,
            step,
            answers: answers.clone(),
            saved: now(),
        };
        match &draft {
            Some(d) => DRAFTS.update(&d.id, d.version, &data).map(|_| ()),
            None => DRAFTS.insert(&data).map(|_| ()),
        }
    };
    let here = format!("/fill/{}", segment(code));
    match post.button() {
        Some("draft") if errors.is_empty() => {
            save(&answers, step)?;
            return Ok(Outcome::redirect_with(
                "/my",
                tr(
                    ctx,
                    "Your draft is saved; go on with it from here.",
                    "Rozpracované podání je uloženo; pokračovat můžete odtud.",
                ),
            ));
        }
        Some("back") if errors.is_empty() => {
            let back = step.saturating_sub(1);
            save(&answers, back)?;
            return Ok(Outcome::redirect(format!("{here}?step={back}")));
        }
        _ => {}
    }
    errors.extend(form.check(&names, &answers, english(ctx)));
    if !errors.is_empty() {
        return Ok(Outcome::Show(step_view(
            ctx, &v, &form, step, &answers, &errors, false,
        )));
    }
    if step + 1 < form.pages.len() {
        save(&answers, step + 1)?;
        return Ok(Outcome::redirect(format!("{here}?step={}", step + 1)));
    }
    // The last step: everything is checked again, against this version.
    for (i, page) in form.pages.iter().enumerate() {
        let problems = form.check(&page.fields, &answers, english(ctx));
        if !problems.is_empty() {
            return Ok(Outcome::Show(step_view(
                ctx, &v, &form, i, &answers, &problems, false,
            )));
        }
    }
    let stored = file_submission(ctx, &v, &form, answers, &user, principal.name())?;
    if let Some(d) = &draft {
        DRAFTS.delete(&d.id, d.version)?;
    }
    Ok(Outcome::redirect_with(
        format!("/my/{}", segment(&stored.0)),
        receipt_message(ctx, &stored.1),
    ))
}

fn receipt_message(ctx: &Context, number: &str) -> String {
    if english(ctx) {
        format!("Thank you. Your submission is received under number {number}.")
    } else {
        format!("Děkujeme. Vaše podání je přijato pod číslem {number}.")
    }
}

/// Stores a checked submission, audits it and tells the person.
fn file_submission(
    ctx: &Context,
    v: &Version,
    form: &Form,
    answers: Answers,
    user: &str,
    user_name: &str,
) -> Result<(String, String)> {
    let first = |kind: Kind| {
        form.fields
            .iter()
            .filter(|f| f.kind == kind)
            .find_map(|f| {
                answers
                    .get(&f.name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let email = Some(first(Kind::Email))
        .filter(|e| !e.is_empty())
        .or_else(|| {
            ctx.principal()
                .and_then(|p| p.claim("email"))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let phone = first(Kind::Phone);
    // Who it is from: the person logged in, else the name the form asks for.
    let user_name = if user_name.is_empty() {
        form.fields
            .iter()
            .filter(|f| f.prefill.as_deref() == Some("name"))
            .find_map(|f| answers.get(&f.name).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned()
    } else {
        user_name.to_owned()
    };
    let at = now();
    let submission = Submission {
        number: model::new_number(),
        form: v.code.clone(),
        version: v.version,
        title: form.def.title.clone(),
        user: user.to_owned(),
        user_name: user_name.clone(),
        answers,
        status: Status::Submitted,
        handler: String::new(),
        history: vec![Step {
            at: at.clone(),
            status: Status::Submitted,
            note: String::new(),
            by: user_name,
        }],
        submitted: at.clone(),
        updated: at,
        email,
        phone,
    };
    let stored = SUBMISSIONS.insert(&submission)?;
    audit::append(
        "form.submit",
        &format!("submissions/{}", stored.id),
        &json!({ "number": submission.number, "form": submission.form, "version": submission.version }),
    )?;
    model::tell(
        &submission,
        "submission-received",
        &json!({ "number": submission.number, "title": submission.title, "status": Status::Submitted.label(english(ctx)) }),
    )?;
    Ok((stored.id, submission.number))
}

/// A public form filled in without logging in: every step on one page.
pub fn public_form(
    ctx: &Context,
    code: &str,
    answers: Option<&Answers>,
    errors: &[(String, String)],
) -> Result<View> {
    let (v, form) = model::form(code, None)?;
    if form.def.access != "public" {
        return Err(Error::forbidden(tr(
            ctx,
            "This form is filled in logged in.",
            "Tento formulář se vyplňuje po přihlášení.",
        )));
    }
    let empty = Answers::new();
    let answers = answers.unwrap_or(&empty);
    let mut f = SdkForm::new(
        format!("/public/{}", segment(code)),
        tr(ctx, "Submit", "Odeslat"),
    );
    for spec in &form.fields {
        if form.shown(spec, answers) {
            f = f.field(field(ctx, &form, spec, answers, errors));
        }
    }
    let view = View::new(form.def.title.clone()).text(format!(
        "{} {} {}.",
        form.def.description,
        tr(ctx, "Version", "Verze"),
        v.version
    ));
    Ok(view.form(f))
}

pub fn submit_public(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    let (v, form) = model::form(code, None)?;
    if form.def.access != "public" {
        return Err(Error::forbidden("this form is filled in logged in"));
    }
    let names: Vec<String> = form.fields.iter().map(|f| f.name.clone()).collect();
    let mut answers = Answers::new();
    let mut errors = Vec::new();
    read_posted(ctx, &form, &names, post, &mut answers, &mut errors)?;
    settle(ctx, &form, &mut answers);
    errors.extend(form.check(&names, &answers, english(ctx)));
    if !errors.is_empty() {
        return Ok(Outcome::Show(public_form(
            ctx,
            code,
            Some(&answers),
            &errors,
        )?));
    }
    let (user, name) = ctx
        .principal()
        .map(|p| (p.user_id().to_owned(), p.name().to_owned()))
        .unwrap_or_default();
    let (_, number) = file_submission(ctx, &v, &form, answers, &user, &name)?;
    Ok(Outcome::redirect_with(
        format!("/forms/{}", segment(code)),
        receipt_message(ctx, &number),
    ))
}

/// The person's submissions and drafts.
pub fn mine(ctx: &Context) -> Result<View> {
    let en = english(ctx);
    let user = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let mut subs = Table::new(tr(ctx, "My submissions", "Moje podání"))
        .column(tr(ctx, "Number", "Číslo"))
        .column(tr(ctx, "Form", "Formulář"))
        .column(tr(ctx, "Submitted", "Podáno"))
        .column(tr(ctx, "Status", "Stav"))
        .empty_text(tr(ctx, "Nothing submitted yet.", "Zatím nic podáno."));
    for d in SUBMISSIONS
        .find()
        .eq("user", &user)
        .newest_first()
        .fetch_all::<Submission>(model::MOST)?
    {
        let s = &d.data;
        subs = subs.row([
            Cell::link(s.number.clone(), format!("/my/{}", segment(&d.id))),
            Cell::from(s.title.clone()),
            Cell::from(s.submitted[..10].to_owned()),
            Cell::from(s.status.label(en)),
        ]);
    }
    let mut drafts = Table::new(tr(ctx, "Drafts", "Rozpracovaná podání"))
        .column(tr(ctx, "Form", "Formulář"))
        .column(tr(ctx, "Saved", "Uloženo"))
        .empty_text(tr(ctx, "No drafts.", "Žádná rozpracovaná podání."));
    for d in DRAFTS
        .find()
        .eq("user", &user)
        .fetch_all::<Draft>(model::MOST)?
    {
        let title = model::form(&d.data.form, Some(d.data.version))
            .map_or(d.data.form.clone(), |(_, f)| f.def.title);
        drafts = drafts.row([
            Cell::link(
                format!("{} – {}", tr(ctx, "Go on with", "Pokračovat:"), title),
                format!("/fill/{}", segment(&d.data.form)),
            ),
            Cell::from(d.data.saved.clone()),
        ]);
    }
    Ok(View::new(tr(ctx, "My submissions", "Moje podání"))
        .table(subs)
        .table(drafts))
}

/// One of the person's submissions, with its history.
pub fn my_submission(ctx: &Context, id: &str) -> Result<View> {
    let en = english(ctx);
    let user = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let d = SUBMISSIONS.get::<Submission>(id)?;
    if d.data.user != user {
        return Err(Error::not_found("no such submission"));
    }
    let s = &d.data;
    let steps: Vec<TimelineEntry> = s
        .history
        .iter()
        .map(|h| TimelineEntry::new(h.at.clone(), h.status.label(en)).text(h.note.clone()))
        .collect();
    Ok(View::new(format!("{} {}", s.title, s.number))
        .key_values([
            (tr(ctx, "Number", "Číslo"), s.number.clone()),
            (tr(ctx, "Status", "Stav"), s.status.label(en).to_owned()),
            (tr(ctx, "Submitted", "Podáno"), s.submitted.clone()),
            (
                tr(ctx, "Form version", "Verze formuláře"),
                s.version.to_string(),
            ),
        ])
        .heading(tr(ctx, "Progress", "Průběh"))
        .timeline(steps))
}
