//! A notice's life on the board, as the law on official notice boards
//! expects it: posted at once or from a date (a scheduled notice waits in
//! `scheduled` until the nightly job posts it), with signed documents
//! attached (kept through the host's `files`); corrected by a correction
//! that is itself posted, the original kept; taken down early with a
//! reason; and a certificate of posting and taking down (when, by whom)
//! for each. Every step is audited and told to the office by an event.

use portico_sdk::files::{self, Mark};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{
    Action, Context, Error, Field, Form, FormPost, NoticeLevel, Outcome, Response, Result, View,
    audit, events, segment,
};
use serde::{Deserialize, Serialize};

use crate::{NOTICES, Notice, by_reference, date_after, day, is_date, today};

/// Notices posted from a later date, until the nightly job posts them.
pub const SCHEDULED: Collection = Collection::new("scheduled");

/// The most an attachment may hold.
const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

/// How long attachments are kept: a notice's documents are shredded five
/// years after (mark S of the records schedule).
const KEEP_YEARS: u32 = 5;

/// A document attached to a notice.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attachment {
    /// The file's id in the host's store.
    pub id: String,
    /// Its name, as uploaded.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A notice taken down before its date.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Withdrawal {
    /// The day it came down.
    pub on: String,
    /// Who took it down.
    pub by: String,
    /// Why.
    pub reason: String,
}

fn name_of(ctx: &Context) -> String {
    ctx.principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default()
}

/// Whether the visitor may post and change notices.
pub fn editor(ctx: &Context) -> bool {
    ctx.principal().is_some_and(|p| p.has_permission("post"))
}

/// The notice with `reference` posted or scheduled.
fn taken(reference: &str) -> Result<bool> {
    if by_reference(reference).is_ok() {
        return Ok(true);
    }
    Ok(!SCHEDULED
        .find()
        .eq("reference", reference)
        .limit(1)
        .fetch::<Notice>()?
        .documents
        .is_empty())
}

/// The form staff post a notice with (or a correction of `corrects`);
/// after a refused post, with what they typed and the errors at the
/// fields. Below it, the notices waiting for their date.
pub fn post_form(
    ctx: &Context,
    form: Option<&FormPost>,
    errors: &[(&str, String)],
    corrects: Option<&Notice>,
) -> Result<View> {
    let value = |name: &str| {
        form.and_then(|f| f.get(name))
            .map(str::to_owned)
            .or_else(|| {
                let n = corrects?;
                Some(match name {
                    "title" => format!("{} {}", ctx.tr("Correction:", "Oprava:"), n.title),
                    "department" => n.department.clone(),
                    "until" => n.until.clone(),
                    "text" => n.text.clone(),
                    _ => return None,
                })
            })
            .unwrap_or_default()
    };
    let error = |name: &str| {
        errors
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, m)| m.clone())
    };
    let field = |f: Field, name: &str| {
        let f = f.value(value(name));
        match error(name) {
            Some(e) => f.error(e),
            None => f,
        }
    };
    let (title, action) = match corrects {
        Some(n) => (
            format!(
                "{} {}",
                ctx.tr("Post a correction of notice", "Vyvěsit opravu oznámení"),
                n.reference
            ),
            format!("/notices/{}/correct", segment(&n.reference)),
        ),
        None => (
            ctx.tr("Post a notice", "Vyvěsit oznámení").to_owned(),
            "/post".to_owned(),
        ),
    };
    let mut view = View::new(title);
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "The notice was not posted; see the fields below.",
                "Oznámení nebylo vyvěšeno; opravte pole níže.",
            ),
        );
    }
    if let Some(n) = corrects {
        view = view.text(format!(
            "{} {} {}",
            ctx.tr(
                "The correction is posted as a notice of its own; notice",
                "Oprava se vyvěsí jako samostatné oznámení; oznámení"
            ),
            n.reference,
            ctx.tr(
                "stays posted as it is, with a link to it.",
                "zůstává vyvěšeno, jak je, s odkazem na ni."
            ),
        ));
    }
    view = view.form(
        Form::new(action, ctx.tr("Post", "Vyvěsit"))
            .field(field(
                Field::text("reference", ctx.tr("Reference", "Číslo jednací")).required(),
                "reference",
            ))
            .field(field(
                Field::text("title", ctx.tr("Title", "Název")).required(),
                "title",
            ))
            .field(field(
                Field::text("department", ctx.tr("Department", "Odbor")),
                "department",
            ))
            .field(field(
                Field::date("from", ctx.tr("Posted from", "Vyvěsit od")).help(ctx.tr(
                    "Empty: at once. A later date: the notice waits and is posted that morning.",
                    "Prázdné: hned. Pozdější datum: oznámení počká a vyvěsí se ráno toho dne.",
                )),
                "from",
            ))
            .field(field(
                Field::date("until", ctx.tr("Posted until", "Vyvěšeno do")).required(),
                "until",
            ))
            .field(field(
                Field::textarea("text", ctx.tr("Text", "Text")),
                "text",
            ))
            .field({
                let file = Field::file(
                    "attachment",
                    ctx.tr("Document (PDF, signed)", "Dokument (PDF, podepsaný)"),
                )
                .help(ctx.tr("At most 10 MB.", "Nejvýše 10 MB."));
                match error("attachment") {
                    Some(e) => file.error(e),
                    None => file,
                }
            }),
    );
    if corrects.is_none() {
        let waiting = SCHEDULED
            .find()
            .sort("published")
            .limit(100)
            .fetch::<Notice>()?;
        if !waiting.documents.is_empty() {
            let mut table = portico_sdk::Table::new(ctx.tr(
                "Notices waiting for their date",
                "Oznámení čekající na datum vyvěšení",
            ))
            .column(ctx.tr("Reference", "Číslo jednací"))
            .column(ctx.tr("Notice", "Oznámení"))
            .column(ctx.tr("Posted from", "Vyvěsit od"));
            for d in &waiting.documents {
                table = table.row([
                    portico_sdk::Cell::from(d.data.reference.clone()),
                    portico_sdk::Cell::from(d.data.title.clone()),
                    portico_sdk::Cell::from(day(ctx, &d.data.published)),
                ]);
            }
            view = view.table(table);
        }
    }
    Ok(view)
}

/// A document posted with a notice: its file name and content.
type PostedDocument = (String, Vec<u8>);

/// What is wrong with a posted field: the field, and what to say.
type FieldError = (&'static str, String);

/// Reads a posted notice (or a correction of `corrects`): the notice and
/// its document, or the errors at the fields.
fn read_post(
    ctx: &Context,
    form: &FormPost,
) -> std::result::Result<(Notice, Option<PostedDocument>), Vec<FieldError>> {
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let today = today();
    let from = field("from");
    let notice = Notice {
        reference: field("reference"),
        title: field("title"),
        department: field("department"),
        published: if from.is_empty() {
            today.clone()
        } else {
            from.clone()
        },
        until: field("until"),
        text: field("text"),
        posted_by: name_of(ctx),
        ..Notice::default()
    };
    let mut errors = Vec::new();
    for (name, value) in [
        ("reference", &notice.reference),
        ("title", &notice.title),
        ("until", &notice.until),
    ] {
        if value.is_empty() {
            errors.push((name, ctx.tr("Fill this in.", "Vyplňte prosím.").to_owned()));
        }
    }
    // Indexed fields (the search looks through them) hold 200 characters.
    for (name, value) in [
        ("reference", &notice.reference),
        ("title", &notice.title),
        ("department", &notice.department),
    ] {
        if value.chars().count() > 200 {
            errors.push((
                name,
                ctx.tr("Use at most 200 characters.", "Použijte nejvýše 200 znaků.")
                    .to_owned(),
            ));
        }
    }
    let wrong_date = ctx.tr("Use the form YYYY-MM-DD.", "Zadejte ve tvaru RRRR-MM-DD.");
    if !notice.until.is_empty() && !is_date(&notice.until) {
        errors.push(("until", wrong_date.to_owned()));
    }
    if !from.is_empty() && !is_date(&from) {
        errors.push(("from", wrong_date.to_owned()));
    } else if !from.is_empty() && from < today {
        errors.push((
            "from",
            ctx.tr(
                "A notice cannot be posted in the past: leave it empty to post it at once.",
                "Oznámení nelze vyvěsit zpětně: nechte pole prázdné a vyvěsí se hned.",
            )
            .to_owned(),
        ));
    } else if is_date(&notice.until) && notice.until < notice.published {
        errors.push((
            "until",
            ctx.tr(
                "The notice must stay posted at least until the day it is posted.",
                "Oznámení musí viset alespoň do dne, kdy se vyvěsí.",
            )
            .to_owned(),
        ));
    }
    if !notice.reference.is_empty() && taken(&notice.reference).unwrap_or(true) {
        errors.push((
            "reference",
            ctx.tr(
                "A notice with this reference is posted already.",
                "Oznámení s tímto číslem jednacím už je vyvěšeno.",
            )
            .to_owned(),
        ));
    }
    let document = match form.file("attachment").filter(|f| !f.content.is_empty()) {
        None => None,
        Some(f) if f.content.len() > MAX_ATTACHMENT => {
            errors.push((
                "attachment",
                ctx.tr(
                    "The document is larger than 10 MB.",
                    "Dokument je větší než 10 MB.",
                )
                .to_owned(),
            ));
            None
        }
        Some(f) if portico_sdk::files::media_type_of(&f.content) != Some("application/pdf") => {
            errors.push((
                "attachment",
                ctx.tr(
                    "Attach a PDF document.",
                    "Přiložte dokument ve formátu PDF.",
                )
                .to_owned(),
            ));
            None
        }
        Some(f) => Some((f.filename.clone(), f.content.clone())),
    };
    if errors.is_empty() {
        Ok((notice, document))
    } else {
        Err(errors)
    }
}

/// Posts a notice from the form (at once, or scheduled from a later
/// date); a correction names the notice it corrects.
pub fn submit_post(
    ctx: &Context,
    form: &FormPost,
    corrects: Option<Document<Notice>>,
) -> Result<Outcome> {
    let (mut notice, document) = match read_post(ctx, form) {
        Ok(read) => read,
        Err(errors) => {
            return Ok(Outcome::Show(post_form(
                ctx,
                Some(form),
                &errors,
                corrects.as_ref().map(|d| &d.data),
            )?));
        }
    };
    if let Some((name, content)) = document {
        let stored = files::store(&name, "application/pdf", &content, Mark::S, KEEP_YEARS)?;
        notice.attachments.push(Attachment {
            id: stored.id,
            name: stored.name,
            size: stored.size,
        });
    }
    if let Some(original) = &corrects {
        notice.corrects = original.data.reference.clone();
        let mut changed = original.data.clone();
        changed.corrected_by.push(notice.reference.clone());
        NOTICES.update(&original.id, original.version, &changed)?;
    }
    if notice.published > today() {
        let stored = SCHEDULED.insert(&notice)?;
        audit::append(
            "notice.schedule",
            &notice.reference,
            &serde_json::json!({ "id": stored.id, "from": notice.published }),
        )?;
        let text = format!(
            "{} {}.",
            ctx.tr("The notice will be posted on", "Oznámení se vyvěsí"),
            day(ctx, &notice.published)
        );
        return Ok(Outcome::redirect_with("/post", text));
    }
    publish(&notice)?;
    Ok(Outcome::redirect_with(
        format!("/notices/{}", segment(&notice.reference)),
        if corrects.is_some() {
            ctx.tr("The correction is posted.", "Oprava je vyvěšena.")
        } else {
            ctx.tr("The notice is posted.", "Oznámení je vyvěšeno.")
        },
    ))
}

/// Puts `notice` on the board, audited, and tells the office.
fn publish(notice: &Notice) -> Result<()> {
    let stored = NOTICES.insert(notice)?;
    audit::append(
        "notice.post",
        &notice.reference,
        &serde_json::json!({ "id": stored.id, "corrects": notice.corrects }),
    )?;
    events::publish(
        "notice.posted",
        &serde_json::json!({ "id": stored.id, "reference": notice.reference, "until": notice.until }),
    )?;
    Ok(())
}

/// The nightly job's first part: posts every scheduled notice whose day
/// came. Returns how many.
pub fn post_scheduled() -> Result<usize> {
    let today = today();
    let due = SCHEDULED
        .find()
        .le("published", &today)
        .limit(200)
        .fetch::<Notice>()?;
    for d in &due.documents {
        publish(&d.data)?;
        SCHEDULED.delete(&d.id, d.version)?;
    }
    Ok(due.documents.len())
}

/// `/notices/{id}/withdraw`: the form that takes a notice down early.
pub fn withdraw_form(ctx: &Context, reference: &str, error: Option<String>) -> Result<View> {
    let n = by_reference(reference)?.data;
    let mut reason = Field::textarea(
        "reason",
        ctx.tr("Why it comes down early", "Proč se snímá předčasně"),
    )
    .required();
    if let Some(e) = error {
        reason = reason.error(e);
    }
    Ok(View::new(format!(
        "{} {}",
        ctx.tr("Take down notice", "Sejmout oznámení"),
        n.reference
    ))
    .notice(
        NoticeLevel::Warning,
        format!(
            "{} „{}“ {}",
            ctx.tr("Notice", "Oznámení"),
            n.title,
            ctx.tr("comes down today, before its date, and moves to the archive with the reason; the office is told.",
                "se dnes sejme před svým datem a přesune se do archivu i s důvodem; úřad dostane zprávu.",
            )
        ),
    )
    .form(Form::new(
        format!("/notices/{}/withdraw", segment(&n.reference)),
        ctx.tr("Take it down", "Sejmout"),
    )
    .field(reason))
    .actions([Action::secondary(
        ctx.tr("Back, leave it posted", "Zpět, ponechat vyvěšené"),
        format!("/notices/{}", segment(&n.reference)),
    )]))
}

/// Takes a notice down early, with the reason.
pub fn withdraw(ctx: &Context, reference: &str, form: &FormPost) -> Result<Outcome> {
    let d = by_reference(reference)?;
    let reason = form.get("reason").unwrap_or_default().trim().to_owned();
    if reason.is_empty() {
        return Ok(Outcome::Show(withdraw_form(
            ctx,
            reference,
            Some(ctx.tr("Say why.", "Uveďte důvod.").to_owned()),
        )?));
    }
    let today = today();
    if d.data.until < today || d.data.withdrawn.is_some() {
        return Err(Error::Conflict(
            ctx.tr(
                "This notice is down already.",
                "Toto oznámení je už sejmuto.",
            )
            .to_owned(),
        ));
    }
    let mut n = d.data.clone();
    // Its last day was yesterday: the board lists it in the archive.
    n.until = date_after(&today, -1);
    n.taken_down = true;
    n.withdrawn = Some(Withdrawal {
        on: today,
        by: name_of(ctx),
        reason: reason.clone(),
    });
    NOTICES.update(&d.id, d.version, &n)?;
    audit::append(
        "notice.withdraw",
        &n.reference,
        &serde_json::json!({ "reason": reason }),
    )?;
    events::publish(
        "notice.taken-down",
        &serde_json::json!({ "id": d.id, "reference": n.reference }),
    )?;
    Ok(Outcome::redirect_with(
        format!("/notices/{}", segment(&n.reference)),
        ctx.tr("The notice is taken down.", "Oznámení je sejmuto."),
    ))
}

/// `/notices/{id}/certificate`: the certificate of posting and taking
/// down: what was posted, from when to when, by whom.
pub fn certificate(ctx: &Context, reference: &str) -> Result<View> {
    let n = by_reference(reference)?.data;
    let down = match (&n.withdrawn, n.until < today()) {
        (Some(w), _) => format!("{} ({})", day(ctx, &w.on), w.by),
        (None, true) => day(ctx, &date_after(&n.until, 1)),
        (None, false) => ctx.tr("still posted", "dosud vyvěšeno").to_owned(),
    };
    let mut facts = vec![
        (ctx.tr("Reference", "Číslo jednací"), n.reference.clone()),
        (ctx.tr("Notice", "Oznámení"), n.title.clone()),
        (ctx.tr("Department", "Odbor"), n.department.clone()),
        (ctx.tr("Posted on", "Vyvěšeno dne"), day(ctx, &n.published)),
        (ctx.tr("Posted by", "Vyvěsil(a)"), n.posted_by.clone()),
        (
            ctx.tr("To stay posted until", "Mělo viset do"),
            day(ctx, &n.until),
        ),
        (ctx.tr("Taken down on", "Sejmuto dne"), down),
    ];
    if let Some(w) = &n.withdrawn {
        facts.push((
            ctx.tr("Taken down early because", "Sejmuto předčasně, protože"),
            w.reason.clone(),
        ));
    }
    let documents: Vec<String> = n.attachments.iter().map(|a| a.name.clone()).collect();
    if !documents.is_empty() {
        facts.push((ctx.tr("Documents", "Dokumenty"), documents.join(", ")));
    }
    Ok(View::new(format!(
        "{} {}",
        ctx.tr("Certificate of posting:", "Doložka o vyvěšení:"),
        n.reference
    ))
    .text(ctx.tr("The notice was posted on the official notice board and on the board in the portal as follows.",
        "Oznámení bylo vyvěšeno na úřední desce a na úřední desce v portálu takto.",
    ))
    .key_values(facts))
}

/// `/notices/{id}/files/{file}`: a document attached to a posted notice.
pub fn attachment(reference: &str, file: &str) -> Result<Response> {
    let n = by_reference(reference)?.data;
    let Some(a) = n.attachments.iter().find(|a| a.id == file) else {
        return Err(Error::not_found(format!(
            "notice {reference} has no document {file}"
        )));
    };
    Ok(Response::inline_file(
        "application/pdf",
        &a.name,
        files::read(&a.id)?,
    ))
}
