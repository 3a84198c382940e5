//! The design of forms: the list with the drafts, a new form begun in the
//! builder, importing a definition (JSON) and publishing it as the form's
//! next version or into its draft, and exporting a definition as it is
//! imported.

use portico_sdk::{
    Action, Cell, Context, Error, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Response,
    Result, Table, View, segment,
};

use super::form_builder;
use crate::citizen::tr;
use crate::model::{self, DESIGNS, Design, english};
use portico_forms::definition::{ACCESS, Definition, Form, Problem};

/// The forms with their drafts, a new form begun in the builder, and the
/// import of a definition (JSON) for those who write one.
pub fn design(ctx: &Context, typed: Option<&FormPost>, errors: &[Problem]) -> Result<View> {
    let en = english(ctx);
    let mut t = Table::new(tr(ctx, "Forms", "Formuláře"))
        .column(tr(ctx, "Title", "Název"))
        .column(tr(ctx, "Code", "Kód"))
        .numeric_column(tr(ctx, "Published version", "Zveřejněná verze"))
        .column(tr(ctx, "Draft", "Návrh"))
        .column(tr(ctx, "Who may fill it in", "Kdo může vyplnit"))
        .empty_text(tr(ctx, "No forms yet.", "Zatím žádné formuláře."));
    let latest = model::latest_forms()?;
    let designs: Vec<Design> = DESIGNS
        .find()
        .sort("code")
        .fetch_all::<Design>(model::MOST)?
        .into_iter()
        .map(|d| d.data)
        .collect();
    let mut rows: Vec<(String, String, String, bool, String)> = latest
        .iter()
        .map(|v| {
            (
                v.definition.title.clone(),
                v.code.clone(),
                v.version.to_string(),
                designs.iter().any(|d| d.code == v.code),
                v.definition.access.clone(),
            )
        })
        .collect();
    for d in designs
        .iter()
        .filter(|d| !latest.iter().any(|v| v.code == d.code))
    {
        rows.push((
            d.definition.title.clone(),
            d.code.clone(),
            String::new(),
            true,
            d.definition.access.clone(),
        ));
    }
    rows.sort();
    for (title, code, version, draft, access) in rows {
        t = t.row([
            Cell::link(title, format!("/design/{}", segment(&code))),
            Cell::from(code),
            Cell::from(version),
            Cell::from(if draft {
                tr(ctx, "being edited", "rozpracován")
            } else {
                ""
            }),
            Cell::from(access),
        ]);
    }
    let v = |n: &str| typed.and_then(|p| p.get(n)).unwrap_or_default().to_owned();
    let importing = typed.is_some_and(|p| p.get("_do") != Some("new"));
    let access: Vec<(String, String)> = ACCESS
        .iter()
        .map(|a| ((*a).to_owned(), access_label(a, en).to_owned()))
        .collect();
    let mut title = Field::text("title", tr(ctx, "Title", "Název"))
        .required()
        .value(if importing { String::new() } else { v("title") });
    if !importing && let Some(p) = errors.first() {
        title = title.error(p.say(en));
    }
    let new = SdkForm::new("/design", tr(ctx, "Begin the form", "Založit formulář"))
        .field(Field::new("_do", "", portico_sdk::FieldKind::Hidden).value("new"))
        .field(title)
        .field(
            Field::text("code", tr(ctx, "Code (optional)", "Kód (nepovinné)"))
                .value(if importing { String::new() } else { v("code") })
                .help(tr(
                    ctx,
                    "Part of the form's address; made from the title when left empty.",
                    "Součást adresy formuláře; nevyplníte-li jej, vytvoří se z názvu.",
                )),
        )
        .field(
            Field::radio(
                "access",
                tr(ctx, "Who may fill it in", "Kdo může vyplnit"),
                access,
            )
            .value(if importing || v("access").is_empty() {
                "public".to_owned()
            } else {
                v("access")
            }),
        );
    let mut field = Field::textarea("definition", tr(ctx, "Definition (JSON Schema and UI layout)", "Definice (JSON Schema a rozvržení)"))
        .required()
        .help(tr(
            ctx,
            "{\"code\", \"title\", \"description\", \"access\", \"schema\", \"uischema\"} as the manual describes. A code already used publishes its next version, if the definition differs from the published one.",
            "{\"code\", \"title\", \"description\", \"access\", \"schema\", \"uischema\"} podle příručky. Již použitý kód zveřejní další verzi, liší-li se definice od zveřejněné.",
        ));
    if importing {
        field = field.value(v("definition"));
        if !errors.is_empty() {
            field = field.error(
                errors
                    .iter()
                    .map(|p| format!("{}: {}", p.at, p.say(en)))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }
    let mut view = View::new(tr(ctx, "Form design", "Návrh formulářů")).actions([
        Action::secondary(
            tr(ctx, "Life situations", "Životní situace"),
            "/situations-edit",
        ),
        Action::secondary(
            tr(ctx, "Submissions inbox", "Podatelna formulářů"),
            "/inbox",
        ),
    ]);
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            if importing {
                tr(
                    ctx,
                    "The definition was not imported; see the field below.",
                    "Definice nebyla importována; viz pole níže.",
                )
                .to_owned()
            } else {
                errors[0].say(en).to_owned()
            },
        );
    }
    Ok(view
        .table(t)
        .heading(tr(ctx, "A new form", "Nový formulář"))
        .form(new)
        .heading(tr(ctx, "Import a definition", "Importovat definici"))
        .form(
            SdkForm::new("/design", tr(ctx, "Publish", "Zveřejnit"))
                .field(field)
                .button(
                    "draft",
                    tr(ctx, "Import into the draft", "Importovat do návrhu"),
                ),
        ))
}

fn access_label(access: &str, en: bool) -> &'static str {
    match (access, en) {
        ("public", true) => "Anyone, without logging in",
        ("public", false) => "Kdokoli, bez přihlášení",
        ("registered", true) => "Anyone logged in",
        ("registered", false) => "Kdokoli přihlášený",
        ("substantial", true) => "An identity verified by the eID (substantial)",
        ("substantial", false) => "Identita ověřená přes eID (značná)",
        (_, true) => "An identity verified by the eID (high)",
        (_, false) => "Identita ověřená přes eID (vysoká)",
    }
}

/// What the forms page posts: a new form begun, or a definition imported
/// and published as the form's next version (or into its draft).
pub fn publish(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    if post.get("_do") == Some("new") {
        return match form_builder::create(ctx, post)? {
            Ok(code) => Ok(Outcome::redirect_with(
                format!("/design/{}", segment(&code)),
                tr(
                    ctx,
                    "The form is begun as a draft: add its fields, preview it, publish it.",
                    "Formulář je založen jako návrh: přidejte pole, prohlédněte náhled, zveřejněte.",
                ),
            )),
            Err(r) => Ok(Outcome::Show(design(
                ctx,
                Some(post),
                &[Problem {
                    at: "title".into(),
                    en: r.en,
                    cs: r.cs,
                }],
            )?)),
        };
    }
    let typed = post.get("definition").unwrap_or_default();
    let refused = |errors: Vec<Problem>| -> Result<Outcome> {
        Ok(Outcome::Show(design(ctx, Some(post), &errors)?))
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
    let builder = format!("/design/{}", segment(&code));
    let versions = model::versions(&code)?;
    if post.button() == Some("draft") {
        let design = Design {
            code: code.clone(),
            definition: form.def,
            based_on: versions.first().map_or(0, |v| v.version),
            edited: String::new(),
            by: String::new(),
        };
        form_builder::keep(ctx, design, model::design_of(&code)?)?;
        return Ok(Outcome::redirect_with(
            builder,
            tr(
                ctx,
                "The definition is in the draft: preview it, then publish it.",
                "Definice je v návrhu: prohlédněte náhled a zveřejněte.",
            ),
        ));
    }
    // Publishing the same definition again makes no new version.
    if let Some(v) = form_builder::same_as_published(&versions, &form.def) {
        return Ok(Outcome::redirect_with(
            builder,
            form_builder::nothing_changed(v).say(english(ctx)),
        ));
    }
    let version = form_builder::publish_version(ctx, form)?;
    Ok(Outcome::redirect_with(
        builder,
        if english(ctx) {
            format!("Version {version} is published.")
        } else {
            format!("Verze {version} je zveřejněna.")
        },
    ))
}

/// The definition the builder shows (the draft, else the latest
/// version), as it is imported.
pub fn export_definition(code: &str) -> Result<Response> {
    if let Some(d) = model::design_of(code)? {
        return Ok(Response::json(&d.data.definition).header(
            "content-disposition",
            format!("attachment; filename=\"{code}-draft.json\""),
        ));
    }
    let versions = model::versions(code)?;
    let latest = versions
        .first()
        .ok_or_else(|| Error::not_found(format!("no form `{code}`")))?;
    Ok(Response::json(&latest.definition).header(
        "content-disposition",
        format!("attachment; filename=\"{code}-v{}.json\"", latest.version),
    ))
}
