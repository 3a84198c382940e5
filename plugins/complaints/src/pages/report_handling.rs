//! One report for staff: everything about it, its history, the
//! reports nearby it may duplicate, and the forms that record a step or
//! merge it into another report.

use portico_sdk::records::Document;
use portico_sdk::{
    Action, Cell, Context, Error, Field, FieldKind, Form, FormPost, NoticeLevel, Outcome, Result,
    Table, TimelineEntry, View, audit, segment,
};

use super::{filled, place, refused, report, tr};
use crate::model::{self, REPORTS, Report, Status, english};

/// One report for staff: everything, with the handling form, internal
/// notes and the open reports nearby that may be the same problem.
pub fn handling(
    ctx: &Context,
    id: &str,
    errors: Option<(&FormPost, &[(String, String)])>,
) -> Result<View> {
    let en = english(ctx);
    let doc = report(ctx, id)?;
    let r = &doc.data;
    let categories = model::categories()?;
    let mut facts = vec![
        (
            tr(ctx, "Category", "Kategorie").to_owned(),
            model::category_name(&categories, &r.category, en),
        ),
        (
            tr(ctx, "Status", "Stav").to_owned(),
            r.status.label(en).to_owned(),
        ),
        (tr(ctx, "Place", "Místo").to_owned(), place(r)),
        (
            tr(ctx, "Reported", "Nahlášeno").to_owned(),
            format!(
                "{} ({})",
                portico_sdk::calendar::format_moment_text(&r.requested, ctx.locale()),
                match r.source.as_str() {
                    "portal" => tr(ctx, "through the portal", "přes portál"),
                    "open311" => tr(ctx, "through Open311", "přes Open311"),
                    other => other,
                }
            ),
        ),
        (
            tr(ctx, "Deadline", "Lhůta").to_owned(),
            portico_sdk::calendar::format_date_text(&r.deadline, ctx.locale()),
        ),
        (tr(ctx, "Unit", "Útvar").to_owned(), r.unit.clone()),
        (tr(ctx, "Area", "Oblast").to_owned(), r.area.clone()),
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
                    tr(ctx, "Merge…", "Sloučit…"),
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
                ))
                .field(filled(
                    Field::radio(
                        "keep",
                        tr(ctx, "Which stays open", "Které zůstane otevřené"),
                        [
                            (
                                "older",
                                tr(
                                    ctx,
                                    "The older report (the other is closed as its duplicate)",
                                    "Starší hlášení (druhé se uzavře jako jeho duplicita)",
                                ),
                            ),
                            ("newer", tr(ctx, "The newer report", "Novější hlášení")),
                        ],
                    )
                    .value("older")
                    .required(),
                    "keep",
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
    // Internal unless the handler chooses otherwise, at every step: a
    // public note is e-mailed to everyone who follows the report.
    .field(filled(
        Field::radio(
            "visibility",
            tr(ctx, "Who sees the note", "Kdo poznámku uvidí"),
            [
                (
                    "internal",
                    tr(
                        ctx,
                        "Staff only: an internal note",
                        "Jen úřad: interní poznámka",
                    ),
                ),
                (
                    "public",
                    tr(
                        ctx,
                        "Everyone: a public update, e-mailed to the report's followers",
                        "Všichni: veřejná zpráva, odešle se e-mailem sledujícím hlášení",
                    ),
                ),
            ],
        )
        .value("internal")
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
    let doc = report(ctx, id)?;
    let by = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    let categories = model::categories()?;
    let mut r = doc.data.clone();
    let names = model::category_names(&categories, &r.category);
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
        let keep = form.get("keep").unwrap_or("older");
        let Some((survivor, duplicate)) =
            merging(&doc, form.get("into").unwrap_or_default(), keep)?
        else {
            return fail(vec![(
                "into".into(),
                tr(
                    ctx,
                    "Choose an open report other than this one.",
                    "Vyberte jiné otevřené hlášení.",
                )
                .to_owned(),
            )]);
        };
        // Asked once more on a page of its own, which names both.
        if form.get("confirm") != Some("yes") {
            let other = if survivor.id == doc.id {
                &duplicate.id
            } else {
                &survivor.id
            };
            return Ok(Outcome::redirect(format!(
                "/handle/{}?merge={}&keep={}",
                segment(id),
                segment(other),
                if keep == "newer" { "newer" } else { "older" }
            )));
        }
        return merge(ctx, (&survivor, &duplicate), &by);
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
        crate::followers::tell(ctx, &doc.id, &r, (&names.0, &names.1), (&note, &note))?;
    }
    Ok(Outcome::redirect_with(
        format!("/handle/{}", segment(id)),
        tr(ctx, "The step is recorded.", "Krok je zaznamenán."),
    ))
}

/// The report `doc` and the open report `other` as they would be merged:
/// (the one that stays open, the one closed as its duplicate), the older
/// staying unless `keep` is `newer`; `None` when `other` is no open report
/// but this one.
fn merging(
    doc: &Document<Report>,
    other: &str,
    keep: &str,
) -> Result<Option<(Document<Report>, Document<Report>)>> {
    let other = match REPORTS.get::<Report>(other) {
        Ok(d) if d.id != doc.id && d.data.is_open() => d,
        _ => return Ok(None),
    };
    let r = &doc.data;
    // Filed in the same second, the one stored first is the older.
    let this_older = (r.filed, r.requested.as_str(), doc.id.as_str())
        <= (
            other.data.filed,
            other.data.requested.as_str(),
            other.id.as_str(),
        );
    let keep_this = if keep == "newer" {
        !this_older
    } else {
        this_older
    };
    Ok(Some(if keep_this {
        (doc.clone(), other)
    } else {
        (other, doc.clone())
    }))
}

/// `/handle/{id}?merge=…&keep=…`: the page that asks before two reports
/// are merged, saying which stays open, which is closed as its duplicate,
/// and what its followers are told.
pub fn confirm_merge(ctx: &Context, id: &str, other: &str, keep: &str) -> Result<View> {
    let doc = report(ctx, id)?;
    let Some((survivor, duplicate)) = merging(&doc, other, keep)? else {
        return handling(ctx, id, None);
    };
    let (survivor, duplicate) = (&survivor, &duplicate);
    let (followers, _) = crate::followers::count(&duplicate.id, &duplicate.data)?;
    let filed = |r: &Report| portico_sdk::calendar::format_date_text(&r.requested, ctx.locale());
    let (s, d) = (&survivor.data, &duplicate.data);
    let text = if english(ctx) {
        format!(
            "Report {} (filed {}) stays open. Report {} (filed {}) is closed as its duplicate; its confirmed followers ({}) are told by e-mail and follow report {} from now on.",
            s.number,
            filed(s),
            d.number,
            filed(d),
            followers,
            s.number
        )
    } else {
        format!(
            "Hlášení {} (podané {}) zůstane otevřené. Hlášení {} (podané {}) se uzavře jako jeho duplicita; jeho potvrzení sledující (počet: {}) dostanou e-mail a od nynějška sledují hlášení {}.",
            s.number,
            filed(s),
            d.number,
            filed(d),
            followers,
            s.number
        )
    };
    Ok(View::new(tr(ctx, "Merge the reports?", "Sloučit hlášení?"))
        .notice(NoticeLevel::Warning, text)
        .form(
            Form::new(
                format!("/handle/{}", segment(id)),
                tr(ctx, "Merge", "Sloučit"),
            )
            .field(Field::new("op", "op", FieldKind::Hidden).value("merge"))
            .field(Field::new("into", "into", FieldKind::Hidden).value(other))
            .field(Field::new("keep", "keep", FieldKind::Hidden).value(keep))
            .field(Field::new("confirm", "confirm", FieldKind::Hidden).value("yes")),
        )
        .actions([Action::secondary(
            tr(ctx, "Back, merge nothing", "Zpět, nic neslučovat"),
            format!("/handle/{}", segment(id)),
        )]))
}

/// Closes `duplicate` as a duplicate of `survivor`, each with a step in
/// its history, and moves the duplicate's followers over.
fn merge(
    ctx: &Context,
    (survivor, duplicate): (&Document<Report>, &Document<Report>),
    by: &str,
) -> Result<Outcome> {
    let categories = model::categories()?;
    let mut target = survivor.data.clone();
    let mut r = duplicate.data.clone();
    let names = model::category_names(&categories, &r.category);
    let status = target.status;
    model::record_step(
        &survivor.id,
        &mut target,
        status,
        format!(
            "{} {}",
            tr(ctx, "Merged with report", "Sloučeno s hlášením"),
            r.number
        ),
        false,
        by,
    )?;
    model::store(&survivor.id, survivor.version, &mut target)?;
    r.duplicate_of = survivor.id.clone();
    // Told to followers in each one's language, shown on the page in the
    // handler's.
    let note_en = format!(
        "The same problem is dealt with in report {}.",
        target.number
    );
    let note_cs = format!("Stejný problém se řeší v hlášení {}.", target.number);
    let note = if english(ctx) { &note_en } else { &note_cs };
    model::record_step(
        &duplicate.id,
        &mut r,
        Status::Duplicate,
        note.clone(),
        true,
        by,
    )?;
    model::store(&duplicate.id, duplicate.version, &mut r)?;
    audit::append(
        "complaint.merge",
        &format!("reports/{}", duplicate.id),
        &serde_json::json!({ "number": r.number, "into": target.number }),
    )?;
    // Told where the problem is dealt with, its followers follow that report.
    crate::followers::tell(
        ctx,
        &duplicate.id,
        &r,
        (&names.0, &names.1),
        (&note_en, &note_cs),
    )?;
    crate::followers::move_to(&duplicate.id, &survivor.id)?;
    Ok(Outcome::redirect_with(
        format!("/handle/{}", segment(&survivor.id)),
        format!(
            "{} {} → {}",
            tr(ctx, "Merged:", "Sloučeno:"),
            r.number,
            target.number
        ),
    ))
}
