//! A new task: its form, and reading what was posted.

use super::*;

/// The form for a new task; after a refused post, with what was typed
/// and the errors at the fields.
pub fn new_task(ctx: &Context, form: Option<&FormPost>, errors: &[(&str, String)]) -> Result<View> {
    let value = |name: &str| {
        form.and_then(|f| f.get(name))
            .unwrap_or_default()
            .to_owned()
    };
    let with = |f: Field, name: &str| {
        let f = f.value(value(name));
        match errors.iter().find(|(n, _)| *n == name) {
            Some((_, e)) => f.error(e.clone()),
            None => f,
        }
    };
    let below: Vec<_> = orgs::descendants(None, None)?
        .into_iter()
        .filter(|o| o.module_enabled)
        .collect();
    let categories: BTreeSet<String> = below.iter().filter_map(|o| o.category.clone()).collect();
    let officials = people::holders("assign")?;
    let me = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let official = form
        .and_then(|f| f.get("official"))
        .map(str::to_owned)
        .unwrap_or(me.clone());
    let mut official_choices: Vec<(String, String)> =
        officials.into_iter().map(|p| (p.user_id, p.name)).collect();
    if !official_choices.iter().any(|(id, _)| *id == me) {
        let name = ctx
            .principal()
            .map(|p| p.name().to_owned())
            .unwrap_or_default();
        official_choices.insert(0, (me.clone(), name));
    }
    let to = form.and_then(|f| f.get("to")).unwrap_or("all").to_owned();
    let picked: Vec<String> = form
        .map(|f| f.all("orgs").map(str::to_owned).collect())
        .unwrap_or_default();
    let mut schedule_choices = vec![(
        String::new(),
        ctx.tr("Once, on the deadline above", "Jednorázově, k termínu výše")
            .to_owned(),
    )];
    schedule_choices.extend(schedules().into_iter().map(|s| {
        let label = ctx.tr(&s.en, &s.cs).to_owned();
        (s.rule, label)
    }));
    let mut view = View::new(ctx.tr("New task", "Nový úkol"));
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "The task was not sent; see the fields below.",
                "Úkol nebyl odeslán; opravte pole níže.",
            ),
        );
    }
    if below.is_empty() {
        view = view.notice(
            NoticeLevel::Warning,
            ctx.tr("No organization below has this module enabled, so there is nobody to send a task to.",
                "Žádná organizace pod vámi nemá tento modul zapnutý, úkol tedy není komu poslat.",
            ),
        );
    }
    let mut f = Form::new("/new", ctx.tr("Send the task", "Odeslat úkol"))
        .field(with(
            Field::text("title", ctx.tr("Title", "Název")).required(),
            "title",
        ))
        .field(with(
            Field::textarea("text", ctx.tr("What is to be done", "Co je třeba udělat")),
            "text",
        ))
        .field(with(
            Field::textarea(
                "output",
                ctx.tr("What the organizations submit",
                    "Co organizace odevzdají",
                ),
            )
            .help(ctx.tr("For example: a short report, the numbers asked for.",
                "Například: krátká zpráva, požadované údaje.",
            )),
            "output",
        ))
        .field(with(
            Field::textarea(
                "form",
                ctx.tr("Form to fill in (data collection)",
                    "Formulář k vyplnění (sběr dat)",
                ),
            )
            .help(ctx.tr("Optional. A form definition as smart forms take it (JSON Schema with a layout, see the manual): each organization fills it in, you approve or return each answer and download them all as one table. Leave empty for a text answer.",
                "Nepovinné. Definice formuláře jako u chytrých formulářů (JSON Schema s rozvržením, viz příručka): každá organizace jej vyplní, vy každou odpověď schválíte nebo vrátíte a všechny stáhnete jako jednu tabulku. Pro textovou odpověď nechte prázdné.",
            )),
            "form",
        ))
        .field(
            Field::select(
                "priority",
                ctx.tr("Priority", "Priorita"),
                Priority::ALL.map(|p| (p.key(), p.label(ctx))),
            )
            .selected([form.and_then(|f| f.get("priority")).unwrap_or("normal")]),
        )
        .field(with(
            Field::date("due", ctx.tr("Deadline", "Termín")).help(ctx.tr("For a recurring task: the first day its schedule may fall on.",
                "U opakovaného úkolu: první den, na který může připadnout.",
            )),
            "due",
        ))
        .field(
            Field::select(
                "schedule",
                ctx.tr("Repeats", "Opakování"),
                schedule_choices,
            )
            .selected([value("schedule")]),
        )
        .field(
            Field::select(
                "official",
                ctx.tr("Responsible official", "Odpovědný úředník"),
                official_choices,
            )
            .selected([official]),
        )
        .field(with(
            Field::radio(
                "to",
                ctx.tr("Send to", "Komu"),
                [
                    (
                        "all",
                        ctx.tr("Every organization below", "Všem organizacím pod námi"),
                    ),
                    (
                        "category",
                        ctx.tr("Those of one kind", "Organizacím jednoho druhu"),
                    ),
                    ("picked", ctx.tr("Those picked below", "Vybraným níže")),
                ],
            )
            .selected([to]),
            "to",
        ));
    if !categories.is_empty() {
        f = f.field(
            Field::select(
                "category",
                ctx.tr("Kind of organization", "Druh organizace"),
                categories
                    .iter()
                    .map(|c| (c.clone(), category_label(ctx, c))),
            )
            .selected([value("category")]),
        );
    }
    f = f.field(with(
        Field::checkboxes(
            "orgs",
            ctx.tr("Organizations", "Organizace"),
            below.iter().map(|o| (o.id.as_str(), o.name.as_str())),
        )
        .selected(picked),
        "orgs",
    ));
    Ok(view.form(f))
}

/// Reads the new-task form into a task (or a series), or the errors.
pub fn read_new(
    ctx: &Context,
    form: &FormPost,
) -> std::result::Result<crate::NewTask, Vec<(&'static str, String)>> {
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let mut errors = Vec::new();
    let fill = ctx.tr("Fill this in.", "Vyplňte prosím.").to_owned();
    let title = field("title");
    if title.is_empty() {
        errors.push(("title", fill.clone()));
    } else if title.chars().count() > 200 {
        errors.push((
            "title",
            ctx.tr("Use at most 200 characters.", "Použijte nejvýše 200 znaků.")
                .to_owned(),
        ));
    }
    for name in ["text", "output"] {
        if field(name).chars().count() > crate::model::MOST_TEXT {
            errors.push((
                name,
                ctx.tr(
                    "Use at most 5,000 characters.",
                    "Použijte nejvýše 5 000 znaků.",
                )
                .to_owned(),
            ));
        }
    }
    let due = field("due");
    let due_date = calendar::parse_date(&due);
    if due.is_empty() {
        errors.push(("due", fill.clone()));
    } else if due_date.is_none() {
        errors.push((
            "due",
            ctx.tr("Use the form YYYY-MM-DD.", "Zadejte ve tvaru RRRR-MM-DD.")
                .to_owned(),
        ));
    } else if due_date.is_some_and(|d| d < today()) {
        errors.push((
            "due",
            ctx.tr("The deadline is in the past.", "Termín je v minulosti.")
                .to_owned(),
        ));
    }
    let rule = field("schedule");
    if !rule.is_empty() && !schedules().iter().any(|s| s.rule == rule) {
        errors.push((
            "schedule",
            ctx.tr(
                "Choose one of the schedules offered.",
                "Vyberte jedno z nabízených opakování.",
            )
            .to_owned(),
        ));
    }
    let to = match field("to").as_str() {
        "category" => {
            let c = field("category");
            if c.is_empty() {
                errors.push((
                    "to",
                    ctx.tr(
                        "Choose the kind of organization.",
                        "Vyberte druh organizace.",
                    )
                    .to_owned(),
                ));
            }
            crate::model::Addressees::Category { category: c }
        }
        "picked" => {
            let picked: Vec<String> = form.all("orgs").map(str::to_owned).collect();
            if picked.is_empty() {
                errors.push((
                    "orgs",
                    ctx.tr(
                        "Pick at least one organization.",
                        "Vyberte alespoň jednu organizaci.",
                    )
                    .to_owned(),
                ));
            }
            crate::model::Addressees::Picked { orgs: picked }
        }
        _ => crate::model::Addressees::All,
    };
    let form = match crate::collection::read_definition(ctx, &field("form"), &title) {
        Ok(form) => form,
        Err(e) => {
            errors.push(("form", e));
            None
        }
    };
    // The task travels to each organization as one message.
    let size = title.len()
        + field("text").len()
        + field("output").len()
        + form
            .as_ref()
            .and_then(|f| serde_json::to_vec(f).ok())
            .map_or(0, |b| b.len());
    if size > crate::model::MOST_TASK_BYTES {
        errors.push((
            if form.is_some() { "form" } else { "text" },
            ctx.tr("The task is too long with all its texts and its form; shorten the text or the form.",
                "Úkol je se všemi texty a formulářem příliš dlouhý; zkraťte text nebo formulář.",
            )
            .to_owned(),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(crate::NewTask {
        title,
        text: field("text"),
        output: field("output"),
        priority: Priority::parse(&field("priority")).unwrap_or_default(),
        due,
        rule,
        official: field("official"),
        to,
        form,
    })
}
