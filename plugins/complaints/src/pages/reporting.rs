//! The citizen's report form: the category first, then its questions,
//! the place, a photo and a contact; and filing what was sent.

use portico_sdk::addresses::{self, Address};
use portico_sdk::{
    Assurance, Cell, Context, Error, Field, FieldKind, Form, FormPost, Map, NoticeLevel, Outcome,
    Result, Table, View, segment,
};

use super::{filled, place, refused, tr};
use crate::model::{self, Contact, Draft, Report, english};

/// What the module found out about the place before filing: addresses of
/// the register to choose from, and open reports of the same kind nearby.
#[derive(Default)]
pub struct PlaceCheck {
    /// The register's addresses that match what was typed, when more than one does.
    pub choices: Vec<Address>,
    /// Open reports of the category near the place: (id, report, metres away).
    pub nearby: Vec<(String, Report, f64)>,
}

/// The report form: first the category, then its questions.
pub fn report_form(
    ctx: &Context,
    code: Option<&str>,
    form: Option<&FormPost>,
    errors: &[(String, String)],
    check: &PlaceCheck,
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
        .field(place_field(ctx, form, errors));
    if !check.choices.is_empty() {
        f = f.field(
            Field::radio(
                "address_code",
                tr(ctx, "Which address is it?", "Která adresa to je?"),
                check
                    .choices
                    .iter()
                    .map(|a| (a.code.to_string(), a.label.clone()))
                    .chain([(
                        TYPED.to_owned(),
                        tr(
                            ctx,
                            "None of these: keep the place as I wrote it",
                            "Žádná z nich: ponechat místo, jak jsem je napsal(a)",
                        )
                        .to_owned(),
                    )]),
            )
            .required(),
        );
    }
    if !check.nearby.is_empty() {
        f = f.field(Field::new("nearby_seen", "nearby_seen", FieldKind::Hidden).value("1"));
    }
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
    let mut view = View::new(format!(
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
    if !check.nearby.is_empty() {
        view = nearby_reports(ctx, view, form, &check.nearby);
    }
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

/// "Is it one of these?": the open reports of the category near the
/// place, on a map and in a table, each leading to its page, where the
/// citizen can follow it instead of sending another.
fn nearby_reports(
    ctx: &Context,
    view: View,
    form: Option<&FormPost>,
    nearby: &[(String, Report, f64)],
) -> View {
    let mut text = tr(
        ctx,
        "Someone has already reported a problem of this kind near this place, and the office is dealing with it. If it is yours, open it and follow it instead: you will be told of every step. If it is another one, send your report below.",
        "Závadu tohoto druhu už někdo nahlásil poblíž tohoto místa a úřad ji řeší. Pokud je to ta vaše, otevřete ji a sledujte ji: o každém kroku vám dáme vědět. Pokud jde o jinou, odešlete hlášení níže.",
    )
    .to_owned();
    if form.is_some_and(|f| f.file("photo").is_some()) {
        text.push(' ');
        text.push_str(tr(
            ctx,
            "Choose your photo again if you send the report.",
            "Pokud hlášení odešlete, vyberte fotografii znovu.",
        ));
    }
    let mut map = Map::new(tr(ctx, "Open reports nearby", "Otevřená hlášení poblíž"));
    let mut table = Table::new(tr(ctx, "Is it one of these?", "Není to některé z těchto?"))
        .column(tr(ctx, "Number", "Číslo"))
        .column(tr(ctx, "Place", "Místo"))
        .column(tr(ctx, "Distance", "Vzdálenost"))
        .column(tr(ctx, "What is wrong", "Co je špatně"));
    for (id, r, metres) in nearby {
        let href = format!("/reports/{}", segment(id));
        if let (Some(lat), Some(long)) = (r.lat, r.long) {
            map = map.linked_point(
                lat,
                long,
                format!("{} {}", r.number, place(r)),
                href.clone(),
            );
        }
        table = table.row([
            Cell::link(r.number.clone(), href),
            Cell::from(place(r)),
            Cell::from(format!("{} m", metres.round())),
            Cell::from(r.description.chars().take(120).collect::<String>()),
        ]);
    }
    view.notice(NoticeLevel::Warning, text)
        .map(map)
        .table(table)
}

/// Where it is: an address, or a pin on the map (or the two numbers of
/// a position), as posted, with the errors of either.
fn place_field(ctx: &Context, form: Option<&FormPost>, errors: &[(String, String)]) -> Field {
    let mut field = Field::place("address", tr(ctx, "Where is it?", "Kde to je?"))
        .help(tr(
            ctx,
            "A street and number (e.g. Údolní 53), or a pin on the map, or the latitude and longitude (e.g. 49.19522 and 16.60796): we look the address up.",
            "Ulice a číslo (např. Údolní 53), nebo špendlík na mapě, nebo zeměpisná šířka a délka (např. 49,19522 a 16,60796): adresu dohledáme.",
        ));
    if let Some(form) = form {
        let (address, position) = form.place("address");
        field = field.value(address);
        if let Some((lat, lon)) = position {
            field = field.position(lat, lon);
        }
    }
    // The position's own errors are shown with the place.
    match errors
        .iter()
        .find(|(f, _)| matches!(f.as_str(), "address" | "lat" | "long"))
    {
        Some((_, e)) => field.error(e.clone()),
        None => field,
    }
}

/// Where the report is, found out before filing.
enum Located {
    /// As the citizen gave it: nothing to add.
    AsGiven,
    /// An address of the register, with the position (the citizen's own
    /// when they gave one).
    Found { label: String, position: (f64, f64) },
    /// Several addresses match what was typed: the citizen chooses.
    Choose(Vec<Address>),
}

/// The choice that keeps the place as it was written.
const TYPED: &str = "typed";

/// The most addresses offered to choose from.
const CHOICES: u32 = 6;
/// How far the nearest address of a position may be to name the place.
const ADDRESS_METRES: f64 = 50.0;

/// Looks the place up in the address register: an address the citizen
/// chose, or typed (its position then filled in), or the address of the
/// position they gave.
fn locate(form: &FormPost) -> Result<Located> {
    let value = |name: &str| form.get(name).unwrap_or_default().trim();
    if let Ok(code) = value("address_code").parse::<i64>() {
        return Ok(match addresses::get(code) {
            Ok(a) => match a.position {
                Some(position) => Located::Found {
                    label: a.label,
                    position,
                },
                None => Located::AsGiven,
            },
            Err(Error::NotFound(_)) => Located::AsGiven,
            Err(e) => return Err(e),
        });
    }
    if value("address_code") == TYPED {
        return Ok(Located::AsGiven);
    }
    let (address, lat, long) = (value("address"), value("address.lat"), value("address.lon"));
    // A decimal comma, as Czech writes numbers, is a point.
    let (lat, long) = (lat.replace(',', "."), long.replace(',', "."));
    if lat.is_empty() && long.is_empty() {
        if address.is_empty() {
            return Ok(Located::AsGiven);
        }
        let mut found = addresses::search(address, CHOICES)?;
        return Ok(match found.len() {
            0 => Located::AsGiven,
            1 => match found.pop().and_then(|a| Some((a.label, a.position?))) {
                Some((label, position)) => Located::Found { label, position },
                None => Located::AsGiven,
            },
            _ => Located::Choose(found),
        });
    }
    let (Ok(lat), Ok(long)) = (lat.parse::<f64>(), long.parse::<f64>()) else {
        return Ok(Located::AsGiven);
    };
    if !address.is_empty() || !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&long) {
        return Ok(Located::AsGiven);
    }
    Ok(match addresses::nearest(lat, long)? {
        Some((a, metres)) if metres <= ADDRESS_METRES => Located::Found {
            label: a.label,
            position: (lat, long),
        },
        _ => Located::AsGiven,
    })
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
    // Where it is, from the address register: what the citizen typed
    // found (or chosen among several), or the address of their position.
    let mut form = form.clone();
    match locate(&form)? {
        Located::Choose(choices) => {
            let errors = [(
                "address".to_owned(),
                tr(
                    ctx,
                    "Several addresses match: choose yours below, or write it more precisely.",
                    "Odpovídá více adres: vyberte svou níže, nebo ji napište přesněji.",
                )
                .to_owned(),
            )];
            let check = PlaceCheck {
                choices,
                ..PlaceCheck::default()
            };
            return Ok(Outcome::Show(report_form(
                ctx,
                Some(code),
                Some(&form),
                &errors,
                &check,
            )?));
        }
        Located::Found { label, position } => {
            form = form
                .with("address", label)
                .with("address.lat", format!("{:.6}", position.0))
                .with("address.lon", format!("{:.6}", position.1));
        }
        Located::AsGiven => {}
    }
    let form = &form;
    let value = |name: &str| form.get(name).unwrap_or_default().to_owned();
    let draft = Draft {
        category: &category,
        description: value("description"),
        address: value("address"),
        lat: value("address.lat").replace(',', "."),
        long: value("address.lon").replace(',', "."),
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
        Ok(report) if form.get("nearby_seen") != Some("1") && report.lat.is_some() => {
            // Is it one of these? Asked once, before anything is filed:
            // the open reports of the category within the distance the
            // office counts as the same place (as its staff see them).
            let nearby: Vec<(String, Report, f64)> = model::near_duplicates("", &report)?
                .into_iter()
                .take(5)
                .map(|(d, metres)| (d.id, d.data, metres))
                .collect();
            if nearby.is_empty() {
                file_report(ctx, form, report, &category)
            } else {
                let check = PlaceCheck {
                    nearby,
                    ..PlaceCheck::default()
                };
                Ok(Outcome::Show(report_form(
                    ctx,
                    Some(code),
                    Some(form),
                    &[],
                    &check,
                )?))
            }
        }
        Ok(report) => file_report(ctx, form, report, &category),
        Err(errors) => Ok(Outcome::Show(report_form(
            ctx,
            Some(code),
            Some(form),
            &errors,
            &PlaceCheck::default(),
        )?)),
    }
}

/// Files a checked report, with the photo posted with it.
fn file_report(
    ctx: &Context,
    form: &FormPost,
    mut report: Report,
    category: &model::Category,
) -> Result<Outcome> {
    let en = english(ctx);
    let photo = form
        .file("photo")
        .map(|f| (f.filename.as_str(), f.content.as_slice()));
    let stored = model::file(&mut report, photo, category, en)?;
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
