//! A form's fields drawn as the SDK's fields, and read back from a post:
//! numbers as numbers, ticked boxes as lists, files checked and stored.
//! What is the caller's own (a value locked from a verified identity, say)
//! comes in as [`Drawing::locked`].

use portico_sdk::{Field, FieldKind, FormPost, Operation, Result, UploadedFile, files, numbers};
use serde_json::{Value, json};

use crate::definition::{self, Answers, FieldSpec, Form, Kind, is_empty, number};

/// How a form is drawn for one person.
#[derive(Clone, Copy)]
pub struct Drawing<'a> {
    /// Wording in English (else Czech).
    pub en: bool,
    /// The help shown instead of the field's description when the caller
    /// locks the field (e.g. "From your verified identity").
    pub locked: &'a dyn Fn(&FieldSpec) -> Option<String>,
}

fn tr(en: bool, e: &str, c: &str) -> String {
    if en { e } else { c }.to_owned()
}

/// A value as a person reads it: text as it is, a number as their
/// language writes it, yes or no, the chosen options' labels, a file's
/// name.
pub fn shown_value(f: &FieldSpec, v: Option<&Value>, en: bool) -> String {
    let label = |key: &str| {
        f.choices
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| key.to_owned(), |(_, l)| l.clone())
    };
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::Bool(b)) => tr(
            en,
            if *b { "yes" } else { "no" },
            if *b { "ano" } else { "ne" },
        ),
        Some(Value::Number(n)) => {
            numbers::format(n.as_f64().unwrap_or_default(), if en { "en" } else { "cs" })
        }
        Some(Value::String(s)) if matches!(f.kind, Kind::Choice) => label(s),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => text_of(Some(other)),
    }
}

/// A value as a field holds it.
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

/// The browser's autocomplete token for an identity claim.
fn autocomplete(claim: &str) -> &'static str {
    match claim {
        "name" => "name",
        "given_name" => "given-name",
        "family_name" => "family-name",
        "birthdate" => "bday",
        "address" => "street-address",
        "email" => "email",
        _ => "tel",
    }
}

/// One field as the SDK draws it, with its value and its error.
pub fn draw(
    how: Drawing,
    form: &Form,
    f: &FieldSpec,
    answers: &Answers,
    errors: &[(String, String)],
) -> Field {
    draw_with(how, form, f, answers, errors, form.is_required(f, answers))
}

/// A page's fields as the SDK draws them: those shown with the answers,
/// and those shown only when a field of the same page has an answer,
/// hidden until it does (the portal shows them as the person answers,
/// and requires them when their condition on the page holds); the values
/// a calculation on the page works with that other pages hold are carried
/// along hidden, so that the portal can show its result live.
pub fn draw_page(
    how: Drawing,
    form: &Form,
    names: &[String],
    answers: &Answers,
    errors: &[(String, String)],
) -> Vec<Field> {
    let on_page = |n: &str| names.iter().any(|x| x == n);
    let mut out = Vec::new();
    let mut carried: Vec<&str> = Vec::new();
    for f in form.fields.iter().filter(|f| on_page(&f.name)) {
        let live = f.show_if.as_ref().filter(|c| on_page(&c.field));
        if live.is_none() && !form.shown(f, answers) {
            continue;
        }
        let required_when: Vec<&definition::Condition> = form
            .conditional_required
            .iter()
            .filter(|(c, list)| list.contains(&f.name) && on_page(&c.field))
            .map(|(c, _)| c)
            .collect();
        // What the page decides live is left to the portal, which also
        // leaves a hidden field unrequired.
        let required = (live.is_some() && form.required.contains(&f.name))
            || form.is_required_beside(f, answers, &|c| on_page(&c.field));
        let mut field = draw_with(how, form, f, answers, errors, required);
        if let Some(c) = live {
            field = field.shown_when(&c.field, [condition_value(&c.value)]);
        }
        if let Some(c) = required_when.first() {
            field = field.required_when(&c.field, [condition_value(&c.value)]);
        }
        if let Some(c) = &f.calculation {
            field = field.calculated(operation(c.operation), &c.fields, c.factor);
            for n in c.fields.iter().filter(|n| !on_page(n)) {
                if !carried.contains(&n.as_str()) {
                    carried.push(n);
                }
            }
        }
        out.push(field);
    }
    for name in carried {
        let value = answers
            .get(name)
            .and_then(Value::as_f64)
            .map(|n| n.to_string())
            .unwrap_or_default();
        out.push(Field::new(name, "", FieldKind::Hidden).value(value));
    }
    out
}

/// A condition's value as the portal compares it with what a field holds:
/// a choice's key, `true` for a ticked box.
fn condition_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn operation(o: definition::Operation) -> Operation {
    match o {
        definition::Operation::Sum => Operation::Sum,
        definition::Operation::Product => Operation::Product,
        definition::Operation::Difference => Operation::Difference,
        definition::Operation::Quotient => Operation::Quotient,
    }
}

/// A calculated number as the field shows it: with the language's decimal
/// mark, without spaces between thousands (the portal's script writes it
/// the same way, and reads it back).
fn calculated_text(v: Option<&Value>, en: bool) -> String {
    match v.and_then(Value::as_f64) {
        None => String::new(),
        Some(n) => {
            let text = format!("{}", (n * 100.0).round() / 100.0);
            if en { text } else { text.replace('.', ",") }
        }
    }
}

fn draw_with(
    how: Drawing,
    form: &Form,
    f: &FieldSpec,
    answers: &Answers,
    errors: &[(String, String)],
    required: bool,
) -> Field {
    let value = answers.get(&f.name);
    let (name, title) = (f.name.clone(), f.title.clone());
    let mut field = match f.kind {
        Kind::Text => Field::new(name, title, FieldKind::Text).value(text_of(value)),
        Kind::Phone => Field::new(name, title, FieldKind::Tel).value(text_of(value)),
        Kind::Email => Field::new(name, title, FieldKind::Email).value(text_of(value)),
        Kind::Textarea => Field::textarea(name, title).value(text_of(value)),
        Kind::Integer | Kind::Number if f.calculated() => {
            Field::text(name, title).value(calculated_text(value, how.en))
        }
        Kind::Integer | Kind::Number => Field::number(name, title).value(text_of(value)),
        Kind::Date => Field::date(name, title).value(text_of(value)),
        Kind::Choice if f.choices.len() <= 5 => {
            Field::radio(name, title, f.choices.clone()).value(text_of(value))
        }
        Kind::Choice => Field::select(name, title, f.choices.clone()).value(text_of(value)),
        Kind::MultiChoice => Field::checkboxes(name, title, f.choices.clone()).selected(
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
        Kind::Consent => Field::new(name, title, FieldKind::Checkbox).value(
            if value == Some(&Value::Bool(true)) {
                "true"
            } else {
                ""
            },
        ),
        Kind::File => {
            let mut field = Field::file(name, title);
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
    if let Some(claim) = f.prefill.as_deref() {
        field = field.autocomplete(autocomplete(claim));
    }
    let mut help = f.description.clone();
    if let Some(why) = (how.locked)(f) {
        field = field.read_only();
        help = why;
    } else if let Some(c) = &f.calculation {
        field = field.read_only();
        let titles: Vec<&str> = c
            .fields
            .iter()
            .map(|n| form.field(n).map_or(n.as_str(), |g| g.title.as_str()))
            .collect();
        help = format!(
            "{} {}",
            tr(how.en, "Worked out from:", "Vypočteno z:"),
            titles.join(", ")
        );
    } else if f.calculate.is_some() {
        field = field.read_only();
        help = tr(
            how.en,
            "Worked out from your answers.",
            "Vypočteno z vašich odpovědí.",
        );
    } else if f.kind == Kind::File
        && let Some(Value::Object(o)) = value
    {
        help = format!(
            "{} {}",
            tr(how.en, "Attached:", "Přiloženo:"),
            o.get("name").and_then(Value::as_str).unwrap_or_default()
        );
    }
    if !help.is_empty() {
        field = field.help(help);
    }
    if required {
        field = field.required();
    }
    if let Some((_, e)) = errors.iter().find(|(n, _)| *n == f.name) {
        field = field.error(e.clone());
    }
    field
}

/// Reads the posted answers of `names` into `answers`: numbers as numbers,
/// ticked boxes as lists, files stored (kept only if the call succeeds).
/// Locked and calculated fields are left as they are. A value that cannot
/// be read stays as typed, with its error.
pub fn read_posted(
    how: Drawing,
    form: &Form,
    names: &[String],
    post: &FormPost,
    answers: &mut Answers,
    errors: &mut Vec<(String, String)>,
) -> Result<()> {
    for f in form.fields.iter().filter(|f| names.contains(&f.name)) {
        if (how.locked)(f).is_some() || f.calculated() {
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
                        tr(how.en, "Give a number.", "Zadejte číslo."),
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
                        if how.en {
                            format!("The file is larger than {mb:.1} MB; choose a smaller one.")
                        } else {
                            format!("Soubor je větší než {mb:.1} MB; vyberte menší.")
                        },
                    ));
                    continue;
                }
                Some((_, media_type)) if !accepted(f, &media_type) => {
                    let accept = f.accept.as_deref().unwrap_or_default();
                    errors.push((
                        f.name.clone(),
                        if how.en {
                            format!("Choose a file of type {accept}.")
                        } else {
                            format!("Vyberte soubor typu {accept}.")
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
fn media_type(file: &UploadedFile) -> String {
    files::media_type_of(&file.content)
        .unwrap_or(file.media_type.as_str())
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
