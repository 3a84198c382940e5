//! The design of forms: the list, importing a definition and publishing
//! it as the form's next version, a form's versions, and exporting the
//! latest definition as it was imported.

use portico_sdk::{
    Action, Cell, Context, Error, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Response,
    Result, Table, View, audit, segment,
};
use serde_json::json;

use crate::citizen::tr;
use crate::model::{self, FORMS, Version, english, now};
use portico_forms::definition::{Definition, Form};

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
