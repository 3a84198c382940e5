//! The form builder: a form's draft step by step, each field set up on a
//! page of its own (texts, checks, choices, "shown when", "required
//! when", a calculation by picking fields), the preview exactly as a
//! citizen fills it in, and publishing the draft as the next version —
//! only when it differs from the published one. Everything is a plain
//! form: it works without script.

use portico_forms::builder::{self, Refused, Settings, When};
use portico_forms::definition::{Calculation, Definition, Form, Kind, Operation};
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Page,
    Result, Table, View, audit, segment,
};
use serde_json::json;

use crate::citizen::{Filling, tr};
use crate::model::{self, DESIGNS, DRAFTS, Design, FORMS, Version, english, now};

/// The draft of form `code` to work on: the stored one, or one begun from
/// the latest published version (stored on the first change).
fn working(code: &str) -> Result<(Design, Option<portico_sdk::records::Document<Design>>)> {
    if let Some(d) = model::design_of(code)? {
        return Ok((d.data.clone(), Some(d)));
    }
    let latest = model::versions(code)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("no form `{code}`")))?;
    Ok((
        Design {
            code: code.to_owned(),
            definition: latest.definition,
            based_on: latest.version,
            edited: String::new(),
            by: String::new(),
        },
        None,
    ))
}

fn by(ctx: &Context) -> String {
    ctx.principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default()
}

/// Stores the changed draft.
pub(super) fn keep(
    ctx: &Context,
    mut design: Design,
    stored: Option<portico_sdk::records::Document<Design>>,
) -> Result<()> {
    design.edited = now();
    design.by = by(ctx);
    match stored {
        Some(d) => DESIGNS.update(&d.id, d.version, &design).map(|_| ()),
        None => DESIGNS.insert(&design).map(|_| ()),
    }
}

fn builder_path(code: &str) -> String {
    format!("/design/{}", segment(code))
}

/// The latest of `versions` (newest first), when `def` is the same as it:
/// publishing `def` would then make no new version.
pub(super) fn same_as_published(versions: &[Version], def: &Definition) -> Option<u32> {
    versions
        .first()
        .filter(|v| serde_json::to_value(&v.definition).ok() == serde_json::to_value(def).ok())
        .map(|v| v.version)
}

/// "Nothing changed since version N": a publication refused as the same.
pub(super) fn nothing_changed(version: u32) -> Refused {
    Refused {
        en: format!("Nothing changed since version {version}: nothing is published."),
        cs: format!("Od verze {version} se nic nezměnilo: nic se nezveřejňuje."),
    }
}

/// The builder's page: the draft's steps and fields, and what can be done.
pub fn builder_view(ctx: &Context, code: &str, refused: Option<&Refused>) -> Result<View> {
    let en = english(ctx);
    let (design, stored) = working(code)?;
    let def = &design.definition;
    let versions = model::versions(code)?;
    let same_as = same_as_published(&versions, def);
    let mut view = View::new(format!(
        "{} – {}",
        def.title,
        tr(ctx, "form builder", "návrhář formuláře")
    ));
    if let Some(r) = refused {
        view = view.notice(NoticeLevel::Error, r.say(en));
    }
    let state = match (&stored, same_as, versions.first()) {
        (_, Some(v), _) => {
            if en {
                format!("The draft is the same as the published version {v}.")
            } else {
                format!("Návrh je shodný se zveřejněnou verzí {v}.")
            }
        }
        (_, None, Some(v)) => {
            if en {
                format!(
                    "The draft has changes that are not published: citizens fill in version {}.",
                    v.version
                )
            } else {
                format!(
                    "Návrh obsahuje nezveřejněné změny: občané vyplňují verzi {}.",
                    v.version
                )
            }
        }
        (_, None, None) => tr(
            ctx,
            "The form is not published yet: citizens do not see it.",
            "Formulář zatím není zveřejněn: občané jej nevidí.",
        )
        .to_owned(),
    };
    view = view.notice(NoticeLevel::Info, state).actions([
        Action::primary(
            tr(ctx, "Preview", "Náhled"),
            format!("{}/preview?fresh=1", builder_path(code)),
        ),
        Action::secondary(
            tr(
                ctx,
                "Export the definition (JSON)",
                "Exportovat definici (JSON)",
            ),
            format!("{}/export.json", builder_path(code)),
        ),
        Action::secondary(tr(ctx, "All forms", "Všechny formuláře"), "/design"),
    ]);
    // What stands in the way of publishing.
    let problems = match Form::read(def.clone()) {
        Ok(_) => Vec::new(),
        Err(p) => p,
    };
    if !problems.is_empty() {
        view = view
            .notice(
                NoticeLevel::Warning,
                tr(
                    ctx,
                    "Before the form can be previewed and published:",
                    "Než lze formulář zobrazit v náhledu a zveřejnit:",
                ),
            )
            .text(
                problems
                    .iter()
                    .map(|p| format!("{}: {}", p.at, p.say(en)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
    }
    let steps = builder::steps(def);
    for (i, step) in steps.iter().enumerate() {
        let mut t = Table::new(if en {
            format!("Step {}: {}", i + 1, step.title)
        } else {
            format!("Krok {}: {}", i + 1, step.title)
        })
        .column(tr(ctx, "Field", "Pole"))
        .column(tr(ctx, "Kind", "Druh"))
        .column(tr(ctx, "Required", "Povinné"))
        .column(tr(ctx, "Rules", "Pravidla"))
        .empty_text(tr(ctx, "No fields yet.", "Zatím žádná pole."));
        for name in &step.fields {
            let s = builder::settings(def, name);
            let kind = builder::kind_of(def, name).map_or("", |k| k.label(en));
            t = t.row([
                Cell::link(
                    s.title.clone(),
                    format!("{}/fields/{}", builder_path(code), segment(name)),
                ),
                Cell::from(kind),
                Cell::from(if s.required {
                    tr(ctx, "yes", "ano")
                } else if s.required_when.is_some() {
                    tr(ctx, "when…", "když…")
                } else {
                    tr(ctx, "no", "ne")
                }),
                Cell::from(rules_text(ctx, def, &s)),
            ]);
        }
        view = view.table(t).actions([Action::secondary(
            if en {
                format!("Change step {}", i + 1)
            } else {
                format!("Upravit krok {}", i + 1)
            },
            format!("{}/steps/{i}", builder_path(code)),
        )]);
    }
    let step_choices: Vec<(String, String)> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                i.to_string(),
                format!("{} {}: {}", tr(ctx, "Step", "Krok"), i + 1, s.title),
            )
        })
        .collect();
    let kinds: Vec<(String, String)> = Kind::ALL
        .into_iter()
        .map(|k| (k.key().to_owned(), k.label(en).to_owned()))
        .collect();
    view = view
        .heading(tr(ctx, "Add a field", "Přidat pole"))
        .form(
            SdkForm::new(builder_path(code), tr(ctx, "Add the field", "Přidat pole"))
                .field(Field::new("_do", "", portico_sdk::FieldKind::Hidden).value("add-field"))
                .field(
                    Field::text("title", tr(ctx, "Question", "Otázka"))
                        .required()
                        .help(tr(
                            ctx,
                            "As people read it, e.g. “How many dogs do you keep?”",
                            "Jak ji lidé čtou, např. „Kolik psů chováte?“",
                        )),
                )
                .field(Field::select("kind", tr(ctx, "Kind", "Druh"), kinds).required())
                .field(
                    Field::select("step", tr(ctx, "Step", "Krok"), step_choices.clone())
                        .value((steps.len().saturating_sub(1)).to_string())
                        .required(),
                ),
        )
        .heading(tr(ctx, "Add a step", "Přidat krok"))
        .form(
            SdkForm::new(builder_path(code), tr(ctx, "Add the step", "Přidat krok"))
                .field(Field::new("_do", "", portico_sdk::FieldKind::Hidden).value("add-step"))
                .field(
                    Field::text("step_title", tr(ctx, "Title of the step", "Název kroku"))
                        .required(),
                ),
        );
    let mut publish = SdkForm::new(builder_path(code), tr(ctx, "Publish", "Zveřejnit"))
        .field(Field::new("_do", "", portico_sdk::FieldKind::Hidden).value("publish"));
    if stored.is_some() && !versions.is_empty() {
        publish = publish.button("discard", tr(ctx, "Discard the draft", "Zahodit návrh"));
    }
    view = view
        .heading(tr(ctx, "Publish", "Zveřejnit"))
        .text(tr(
            ctx,
            "Publishing makes the draft the form's next version; what citizens began stays with the version they began.",
            "Zveřejněním se návrh stane další verzí formuláře; co občané rozpracovali, zůstává u verze, kterou začali.",
        ))
        .form(publish);
    if !versions.is_empty() {
        let mut t = Table::new(tr(ctx, "Versions", "Verze"))
            .numeric_column(tr(ctx, "Version", "Verze"))
            .column(tr(ctx, "Published", "Zveřejněno"))
            .column(tr(ctx, "By", "Kdo"));
        for v in &versions {
            t = t.row([
                v.version.to_string(),
                portico_sdk::calendar::format_moment_text(&v.published, ctx.locale()),
                v.by.clone(),
            ]);
        }
        view = view.table(t).actions([
            Action::secondary(
                tr(ctx, "Open the form", "Otevřít formulář"),
                format!("/forms/{}", segment(code)),
            ),
            Action::secondary(
                tr(ctx, "Submissions", "Podání"),
                format!("/inbox?form={}", segment(code)),
            ),
        ]);
    }
    Ok(view)
}

/// A field's rules in words: when it is shown and required, what it is
/// worked out from.
fn rules_text(ctx: &Context, def: &Definition, s: &Settings) -> String {
    let en = english(ctx);
    let when = |w: &When| {
        let value = match &w.value {
            serde_json::Value::String(k) => builder::settings(def, &w.field)
                .choices
                .into_iter()
                .find(|(key, _)| key == k)
                .map_or_else(|| k.clone(), |(_, l)| l),
            _ => "✓".to_owned(),
        };
        format!("{} = {value}", builder::title_of(def, &w.field))
    };
    let mut out = Vec::new();
    if let Some(w) = &s.shown_when {
        out.push(format!(
            "{} {}",
            tr(ctx, "shown when", "zobrazeno, když"),
            when(w)
        ));
    }
    if let Some(w) = &s.required_when {
        out.push(format!(
            "{} {}",
            tr(ctx, "required when", "povinné, když"),
            when(w)
        ));
    }
    if let Some(c) = &s.calculation {
        let titles: Vec<String> = c.fields.iter().map(|f| builder::title_of(def, f)).collect();
        let mut text = format!("{} {}", c.operation.label(en), titles.join(", "));
        if let Some(f) = c.factor {
            text.push_str(&format!(
                " × {}",
                portico_sdk::numbers::format(f, ctx.locale())
            ));
        }
        out.push(text);
    }
    out.join("; ")
}

/// What the builder's page posts: a field or a step added, the draft
/// published or discarded.
pub fn builder_post(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    let (mut design, stored) = working(code)?;
    let get = |n: &str| post.get(n).unwrap_or_default().trim().to_owned();
    let refused =
        |r: Refused| -> Result<Outcome> { Ok(Outcome::Show(builder_view(ctx, code, Some(&r))?)) };
    match post.get("_do").unwrap_or_default() {
        "add-field" => {
            let kind = Kind::parse(&get("kind")).unwrap_or(Kind::Text);
            let step = get("step").parse().unwrap_or(0);
            match builder::add_field(&mut design.definition, step, kind, &get("title")) {
                Ok(name) => {
                    keep(ctx, design, stored)?;
                    // Set it up next: choices, checks, rules.
                    Ok(Outcome::redirect(format!(
                        "{}/fields/{}",
                        builder_path(code),
                        segment(&name)
                    )))
                }
                Err(r) => refused(r),
            }
        }
        "add-step" => {
            let title = get("step_title");
            if title.is_empty() {
                return refused(Refused {
                    en: "Give the step a title.".into(),
                    cs: "Zadejte název kroku.".into(),
                });
            }
            builder::add_step(&mut design.definition, &title);
            keep(ctx, design, stored)?;
            Ok(Outcome::redirect(builder_path(code)))
        }
        "publish" if post.button() == Some("discard") => {
            if let Some(d) = stored {
                DESIGNS.delete(&d.id, d.version)?;
            }
            Ok(Outcome::redirect_with(
                builder_path(code),
                tr(
                    ctx,
                    "The draft is discarded; the published version stays.",
                    "Návrh je zahozen; zveřejněná verze zůstává.",
                ),
            ))
        }
        "publish" => publish_design(ctx, code, design, stored),
        _ => Err(Error::not_found("no such action")),
    }
}

/// Publishes the draft as the form's next version, if it reads and differs
/// from the latest.
fn publish_design(
    ctx: &Context,
    code: &str,
    design: Design,
    stored: Option<portico_sdk::records::Document<Design>>,
) -> Result<Outcome> {
    let en = english(ctx);
    if let Some(v) = same_as_published(&model::versions(code)?, &design.definition) {
        return Ok(Outcome::Show(builder_view(
            ctx,
            code,
            Some(&nothing_changed(v)),
        )?));
    }
    let form = match Form::read(design.definition.clone()) {
        Ok(f) => f,
        Err(problems) => {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.at, p.say(en)))
                .collect();
            return Ok(Outcome::Show(builder_view(
                ctx,
                code,
                Some(&Refused {
                    en: format!("The form cannot be published yet: {}", list.join("; ")),
                    cs: format!("Formulář zatím nelze zveřejnit: {}", list.join("; ")),
                }),
            )?));
        }
    };
    let version = publish_version(ctx, form)?;
    if let Some(d) = stored {
        DESIGNS.delete(&d.id, d.version)?;
    }
    Ok(Outcome::redirect_with(
        builder_path(code),
        if en {
            format!("Version {version} is published.")
        } else {
            format!("Verze {version} je zveřejněna.")
        },
    ))
}

/// Stores a read form as its next version, audited; the version.
pub(super) fn publish_version(ctx: &Context, form: Form) -> Result<u32> {
    let code = form.def.code.clone();
    let version = model::versions(&code)?.first().map_or(1, |v| v.version + 1);
    FORMS.insert(&Version {
        code: code.clone(),
        title: form.def.title.clone(),
        version,
        definition: form.def,
        published: now(),
        by: by(ctx),
    })?;
    audit::append(
        "form.publish",
        &format!("forms/{code}"),
        &json!({ "code": code, "version": version }),
    )?;
    Ok(version)
}

/// Starts a new form's draft: its title, code and who may fill it in.
pub(super) fn create(
    ctx: &Context,
    post: &FormPost,
) -> Result<std::result::Result<String, Refused>> {
    let en = english(ctx);
    let title = post.get("title").unwrap_or_default().trim().to_owned();
    let mut code = post.get("code").unwrap_or_default().trim().to_owned();
    if code.is_empty() {
        code = builder::slug(&title, "-", 60);
    }
    let access = post.get("access").unwrap_or("public").to_owned();
    if title.is_empty() {
        return Ok(Err(Refused {
            en: "Give the form a title.".into(),
            cs: "Zadejte název formuláře.".into(),
        }));
    }
    if code.is_empty()
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Ok(Err(Refused {
            en: "The code is 1 to 60 small letters, digits or `-`.".into(),
            cs: "Kód tvoří 1 až 60 malých písmen, číslic nebo `-`.".into(),
        }));
    }
    if !model::versions(&code)?.is_empty() || model::design_of(&code)?.is_some() {
        return Ok(Err(Refused {
            en: format!("A form with the code `{code}` exists: open it from the list."),
            cs: format!("Formulář s kódem `{code}` již existuje: otevřete jej ze seznamu."),
        }));
    }
    let definition = builder::new_definition(&code, &title, &access, en);
    DESIGNS.insert(&Design {
        code: code.clone(),
        definition,
        based_on: 0,
        edited: now(),
        by: by(ctx),
    })?;
    Ok(Ok(code))
}

/// A field's page: everything about it, in one form.
pub fn field_view(
    ctx: &Context,
    code: &str,
    name: &str,
    typed: Option<&FormPost>,
    refused: Option<&Refused>,
) -> Result<View> {
    let en = english(ctx);
    let (design, _) = working(code)?;
    let def = &design.definition;
    let kind = builder::kind_of(def, name)
        .ok_or_else(|| Error::not_found(format!("no field `{name}`")))?;
    let s = builder::settings(def, name);
    let v = |n: &str, stored: String| typed.and_then(|p| p.get(n)).map_or(stored, str::to_owned);
    let mut view = View::new(format!("{} – {}", def.title, s.title)).actions([Action::secondary(
        tr(ctx, "Back to the form", "Zpět na formulář"),
        builder_path(code),
    )]);
    if let Some(r) = refused {
        view = view.notice(NoticeLevel::Error, r.say(en));
    }
    let steps = builder::steps(def);
    let (here, position) = steps
        .iter()
        .enumerate()
        .find_map(|(i, st)| st.fields.iter().position(|f| f == name).map(|j| (i, j)))
        .unwrap_or((0, 0));
    let mut f = SdkForm::new(
        format!("{}/fields/{}", builder_path(code), segment(name)),
        tr(ctx, "Save the field", "Uložit pole"),
    )
    .field(
        Field::text("title", tr(ctx, "Question", "Otázka"))
            .required()
            .value(v("title", s.title.clone())),
    )
    .field(
        Field::textarea(
            "help",
            tr(ctx, "Help under the field", "Nápověda pod polem"),
        )
        .value(v("help", s.help.clone())),
    )
    .field(
        Field::new(
            "required",
            tr(ctx, "Required", "Povinné"),
            portico_sdk::FieldKind::Checkbox,
        )
        .value(
            if typed.map_or(s.required, |p| p.get("required") == Some("true")) {
                "true"
            } else {
                ""
            },
        ),
    );
    let opt = |x: &Option<String>| x.clone().unwrap_or_default();
    match kind {
        Kind::Integer | Kind::Number => {
            f = f
                .field(
                    Field::text("min", tr(ctx, "Least value", "Nejmenší hodnota"))
                        .value(v("min", opt(&s.min))),
                )
                .field(
                    Field::text("max", tr(ctx, "Greatest value", "Největší hodnota"))
                        .value(v("max", opt(&s.max))),
                );
        }
        Kind::Date => {
            f = f
                .field(
                    Field::date("min", tr(ctx, "Earliest date", "Nejdřívější datum"))
                        .value(v("min", opt(&s.min))),
                )
                .field(
                    Field::date("max", tr(ctx, "Latest date", "Nejpozdější datum"))
                        .value(v("max", opt(&s.max))),
                );
        }
        Kind::Text | Kind::Textarea | Kind::Email | Kind::Phone => {
            let len = |x: Option<u64>| x.map(|n| n.to_string()).unwrap_or_default();
            f = f
                .field(Field::number("min_len", tr(ctx, "Fewest characters", "Nejméně znaků")).value(v("min_len", len(s.min_len))))
                .field(Field::number("max_len", tr(ctx, "Most characters", "Nejvíce znaků")).value(v("max_len", len(s.max_len))))
                .field(
                    Field::text("pattern", tr(ctx, "Pattern (regular expression, for those who know them)", "Vzor (regulární výraz, pro znalé)"))
                        .value(v("pattern", opt(&s.pattern)))
                        .help(tr(ctx, "E.g. [0-9]{15} for a chip number of 15 digits. Say in the help what is expected.", "Např. [0-9]{15} pro číslo čipu o 15 číslicích. V nápovědě uveďte, co se očekává.")),
                );
        }
        Kind::Choice | Kind::MultiChoice => {
            f = f.field(
                Field::textarea(
                    "choices",
                    tr(ctx, "Choices, one a line", "Možnosti, každá na řádek"),
                )
                .required()
                .value(v("choices", builder::write_choices(&s.choices))),
            );
        }
        Kind::File => {
            f = f.field(
                Field::text(
                    "accept",
                    tr(ctx, "File types taken", "Přijímané typy souborů"),
                )
                .value(v("accept", opt(&s.accept)))
                .help(tr(
                    ctx,
                    "Media types, e.g. application/pdf,image/jpeg",
                    "Typy médií, např. application/pdf,image/jpeg",
                )),
            );
        }
        Kind::Consent => {}
    }
    // Conditions, by picking an answer of another field.
    let conditions = builder::conditions(def, name);
    if !conditions.is_empty() {
        let mut choices = vec![(String::new(), tr(ctx, "— always —", "— vždy —").to_owned())];
        choices.extend(conditions.iter().map(|(w, label)| (w.key(), label.clone())));
        f = f
            .field(
                Field::select(
                    "shown_when",
                    tr(ctx, "Shown when", "Zobrazit, když"),
                    choices.clone(),
                )
                .value(v(
                    "shown_when",
                    s.shown_when.as_ref().map(When::key).unwrap_or_default(),
                ))
                .help(tr(
                    ctx,
                    "Shown only when the person gives this answer.",
                    "Zobrazí se jen při této odpovědi.",
                )),
            )
            .field({
                let mut never = choices.clone();
                never[0].1 =
                    tr(ctx, "— only as set above —", "— jen podle nastavení výše —").to_owned();
                Field::select(
                    "required_when",
                    tr(ctx, "Required when", "Povinné, když"),
                    never,
                )
                .value(v(
                    "required_when",
                    s.required_when.as_ref().map(When::key).unwrap_or_default(),
                ))
            });
    }
    // A calculation, by picking number fields.
    if matches!(kind, Kind::Integer | Kind::Number) {
        let numbers = builder::numbers(def, name);
        if !numbers.is_empty() {
            let mut ops = vec![(
                String::new(),
                tr(ctx, "— typed by the person —", "— zadává člověk —").to_owned(),
            )];
            ops.extend(
                Operation::ALL
                    .iter()
                    .map(|o| (o.key().to_owned(), o.label(en).to_owned())),
            );
            let picked: Vec<String> = match typed {
                Some(p) => p.all("operands").map(str::to_owned).collect(),
                None => s
                    .calculation
                    .as_ref()
                    .map(|c| c.fields.clone())
                    .unwrap_or_default(),
            };
            f = f
                .field(
                    Field::select("operation", tr(ctx, "Worked out as", "Vypočítat jako"), ops)
                        .value(v(
                            "operation",
                            s.calculation
                                .as_ref()
                                .map(|c| c.operation.key().to_owned())
                                .unwrap_or_default(),
                        )),
                )
                .field(
                    Field::checkboxes("operands", tr(ctx, "Of the fields", "Z polí"), numbers)
                        .selected(picked),
                )
                .field(
                    Field::text(
                        "factor",
                        tr(
                            ctx,
                            "Multiplied by (optional)",
                            "Vynásobit číslem (nepovinné)",
                        ),
                    )
                    .value(v(
                        "factor",
                        s.calculation
                            .as_ref()
                            .and_then(|c| c.factor)
                            .map(|n| n.to_string())
                            .unwrap_or_default(),
                    ))
                    .help(tr(
                        ctx,
                        "E.g. the fee for one dog.",
                        "Např. poplatek za jednoho psa.",
                    )),
                );
        }
    }
    let step_choices: Vec<(String, String)> = steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            (
                i.to_string(),
                format!("{} {}: {}", tr(ctx, "Step", "Krok"), i + 1, st.title),
            )
        })
        .collect();
    let places = steps
        .iter()
        .map(|st| st.fields.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let positions: Vec<(String, String)> = (0..places)
        .map(|i| (i.to_string(), (i + 1).to_string()))
        .collect();
    f = f
        .field(
            Field::select("step", tr(ctx, "On step", "V kroku"), step_choices)
                .value(v("step", here.to_string())),
        )
        .field(
            Field::select(
                "position",
                tr(ctx, "Place in the step", "Pořadí v kroku"),
                positions,
            )
            .value(v("position", position.to_string())),
        )
        .button("remove", tr(ctx, "Remove the field", "Odebrat pole"));
    Ok(view
        .key_values([
            (tr(ctx, "Kind", "Druh"), kind.label(en).to_owned()),
            (
                tr(ctx, "Name in the data", "Název v datech"),
                name.to_owned(),
            ),
        ])
        .form(f))
}

/// A field's page posted: saved, moved, or removed.
pub fn field_post(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    let name = post.param("name").unwrap_or_default();
    let (mut design, stored) = working(code)?;
    let refused = |r: Refused| -> Result<Outcome> {
        Ok(Outcome::Show(field_view(
            ctx,
            code,
            name,
            Some(post),
            Some(&r),
        )?))
    };
    if post.button() == Some("remove") {
        return match builder::remove_field(&mut design.definition, name) {
            Ok(()) => {
                keep(ctx, design, stored)?;
                Ok(Outcome::redirect(builder_path(code)))
            }
            Err(r) => refused(r),
        };
    }
    let def = &design.definition;
    let get = |n: &str| post.get(n).unwrap_or_default().trim().to_owned();
    let some = |n: &str| Some(get(n)).filter(|x| !x.is_empty());
    let count = |n: &str| -> std::result::Result<Option<u64>, Refused> {
        match some(n) {
            None => Ok(None),
            Some(x) => x.parse().map(Some).map_err(|_| Refused {
                en: format!("`{x}` is not a whole number."),
                cs: format!("`{x}` není celé číslo."),
            }),
        }
    };
    let when = |n: &str| some(n).and_then(|k| When::parse(def, &k));
    let calculation = match Operation::parse(&get("operation")) {
        None => None,
        Some(operation) => {
            let factor = match some("factor") {
                None => None,
                Some(x) => match x.replace(',', ".").replace(' ', "").parse::<f64>() {
                    Ok(n) if n.is_finite() => Some(n),
                    _ => {
                        return refused(Refused {
                            en: format!("`{x}` is not a number."),
                            cs: format!("`{x}` není číslo."),
                        });
                    }
                },
            };
            Some(Calculation {
                operation,
                fields: post.all("operands").map(str::to_owned).collect(),
                factor,
            })
        }
    };
    let (min_len, max_len) = match (count("min_len"), count("max_len")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return refused(r),
    };
    let settings = Settings {
        title: get("title"),
        help: get("help"),
        required: post.get("required") == Some("true"),
        min: some("min"),
        max: some("max"),
        min_len,
        max_len,
        pattern: some("pattern"),
        choices: builder::read_choices(post.get("choices").unwrap_or_default()),
        accept: some("accept"),
        shown_when: when("shown_when"),
        required_when: when("required_when"),
        calculation,
    };
    if let Err(r) = builder::apply(&mut design.definition, name, &settings) {
        return refused(r);
    }
    let step = get("step").parse().unwrap_or(0);
    let position = get("position").parse().unwrap_or(0);
    if let Err(r) = builder::move_field(&mut design.definition, name, step, position) {
        return refused(r);
    }
    keep(ctx, design, stored)?;
    Ok(Outcome::redirect_with(
        builder_path(code),
        tr(
            ctx,
            "The field is saved in the draft.",
            "Pole je uloženo v návrhu.",
        ),
    ))
}

/// A step's page: its title and place, or its removal.
pub fn step_view(ctx: &Context, code: &str, i: usize, refused: Option<&Refused>) -> Result<View> {
    let en = english(ctx);
    let (design, _) = working(code)?;
    let steps = builder::steps(&design.definition);
    let step = steps
        .get(i)
        .ok_or_else(|| Error::not_found("no such step"))?;
    let mut view = View::new(if en {
        format!("{} – step {}", design.definition.title, i + 1)
    } else {
        format!("{} – krok {}", design.definition.title, i + 1)
    })
    .actions([Action::secondary(
        tr(ctx, "Back to the form", "Zpět na formulář"),
        builder_path(code),
    )]);
    if let Some(r) = refused {
        view = view.notice(NoticeLevel::Error, r.say(en));
    }
    let positions: Vec<(String, String)> = (0..steps.len())
        .map(|n| (n.to_string(), (n + 1).to_string()))
        .collect();
    Ok(view.form(
        SdkForm::new(
            format!("{}/steps/{i}", builder_path(code)),
            tr(ctx, "Save the step", "Uložit krok"),
        )
        .field(
            Field::text("title", tr(ctx, "Title of the step", "Název kroku"))
                .required()
                .value(step.title.clone()),
        )
        .field(
            Field::select("position", tr(ctx, "Order", "Pořadí"), positions).value(i.to_string()),
        )
        .button("remove", tr(ctx, "Remove the step", "Odebrat krok")),
    ))
}

pub fn step_post(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    let i: usize = post
        .param("step")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::not_found("no such step"))?;
    let (mut design, stored) = working(code)?;
    let done = if post.button() == Some("remove") {
        builder::remove_step(&mut design.definition, i)
    } else {
        let title = post.get("title").unwrap_or_default().trim().to_owned();
        let to = post
            .get("position")
            .and_then(|p| p.parse().ok())
            .unwrap_or(i);
        builder::set_step(&mut design.definition, i, &title, to)
    };
    match done {
        Ok(()) => {
            keep(ctx, design, stored)?;
            Ok(Outcome::redirect(builder_path(code)))
        }
        Err(r) => Ok(Outcome::Show(step_view(ctx, code, i, Some(&r))?)),
    }
}

/// The draft as a citizen fills it in, from the designer's own preview
/// draft; a draft that does not read yet says why.
fn previewed(ctx: &Context, code: &str) -> Result<std::result::Result<Filling, View>> {
    let (design, _) = working(code)?;
    match Form::read(design.definition.clone()) {
        Ok(form) => Ok(Ok(Filling::preview(
            code,
            Version {
                code: code.to_owned(),
                title: form.def.title.clone(),
                version: 0,
                definition: form.def.clone(),
                published: String::new(),
                by: String::new(),
            },
            form,
        ))),
        Err(_) => Ok(Err(builder_view(
            ctx,
            code,
            Some(&Refused {
                en: "The draft cannot be previewed yet: see what stands in the way below.".into(),
                cs: "Návrh zatím nelze zobrazit v náhledu: co tomu brání, je uvedeno níže.".into(),
            }),
        )?)),
    }
}

fn preview_draft(
    ctx: &Context,
    code: &str,
) -> Result<Option<portico_sdk::records::Document<model::Draft>>> {
    let user = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    model::draft_of(&user, &format!("preview:{code}"))
}

pub fn preview(ctx: &Context, page: &Page) -> Result<View> {
    let code = page.param("code").unwrap_or_default();
    let filling = match previewed(ctx, code)? {
        Ok(f) => f,
        Err(view) => return Ok(view),
    };
    let mut draft = preview_draft(ctx, code)?;
    // A preview begun afresh forgets the last one's answers.
    if page.query("fresh").is_some()
        && let Some(d) = draft.take()
    {
        DRAFTS.delete(&d.id, d.version)?;
    }
    crate::citizen::show(ctx, &filling, page, draft)
}

pub fn preview_post(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    let filling = match previewed(ctx, code)? {
        Ok(f) => f,
        Err(view) => return Ok(Outcome::Show(view)),
    };
    let draft = preview_draft(ctx, code)?;
    crate::citizen::post_step(ctx, &filling, post, draft)
}
