//! A form's fields as a citizen sees and posts them: pre-filled and
//! locked from the verified identity, calculated, drawn as the SDK's
//! fields, and read back from a post (numbers, ticked boxes, files and
//! their types).

use portico_sdk::{Context, Field, FormPost, Result, files};
use serde_json::{Value, json};

use super::{assurance, tr};
use crate::definition::{Answers, FieldSpec, Form, Kind, is_empty, number};
use crate::model::english;

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
pub(super) fn settle(ctx: &Context, form: &Form, answers: &mut Answers) {
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
pub(super) fn prefilled(ctx: &Context, form: &Form) -> Answers {
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
pub(super) fn field(
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
pub(super) fn read_posted(
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
