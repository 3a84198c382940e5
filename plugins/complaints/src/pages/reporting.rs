//! The citizen's report form: the category first, then its questions,
//! the place, a photo and a contact; and filing what was sent.

use portico_sdk::{
    Assurance, Cell, Context, Error, Field, FieldKind, Form, FormPost, Outcome, Result, Table,
    View, segment,
};

use super::{filled, refused, tr};
use crate::model::{self, Contact, Draft, english};

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
                    c.name_in(english(ctx)).to_owned(),
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
        category.name_in(english(ctx))
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
                        report.number,
                        portico_sdk::calendar::format_date_text(&report.deadline, "en")
                    )
                } else {
                    format!(
                        "Děkujeme. Vaše hlášení má číslo {}; vyřízeno bude do {}.",
                        report.number,
                        portico_sdk::calendar::format_date_text(&report.deadline, "cs")
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
