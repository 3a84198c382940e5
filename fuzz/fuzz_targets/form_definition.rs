//! A smart-forms definition as staff import it (JSON Schema, a layout and
//! `x-calculate` expressions), then answers as citizens send them: reading
//! never panics and never overflows a module's stack, and a form that
//! reads computes and checks any answers. Input: the definition, then
//! optionally NUL and a JSON object of answers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

// The folder whole: its mod.rs names reading.rs and answers.rs beside it.
// Allowed: what the module uses and this target does not (`Form::field`,
// the re-exports `is_empty` and `number`).
#[path = "../../plugins/forms/src/definition/mod.rs"]
#[allow(dead_code, unused_imports)]
mod definition;
mod stack;

use definition::{Answers, Definition, Form, Kind};

fuzz_target!(|data: &[u8]| {
    let (text, answers) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    stack::with_stack(stack::MODULE, || {
        let Ok(text) = std::str::from_utf8(text) else {
            return;
        };
        let Ok(def) = Definition::parse(text) else {
            return;
        };
        let Ok(form) = Form::read(def) else {
            return;
        };
        let _ = serde_json::to_string(&form.def);
        let mut answers = answers
            .and_then(|a| serde_json::from_slice::<Answers>(a).ok())
            .unwrap_or_else(|| sample_answers(&form));
        form.calculate(&mut answers);
        let names: Vec<String> = form.fields.iter().map(|f| f.name.clone()).collect();
        for en in [true, false] {
            let _ = form.check(&names, &answers, en);
        }
        for f in &form.fields {
            let _ = form.shown(f, &answers);
            let _ = form.is_required(f, &answers);
        }
    });
});

/// Answers of the right kind for every field, so that a form read from a
/// definition alone is also computed and checked.
fn sample_answers(form: &Form) -> Answers {
    form.fields
        .iter()
        .map(|f| {
            let v = match f.kind {
                Kind::Integer => Value::from(3),
                Kind::Number => Value::from(2.5),
                Kind::Date => Value::from("2024-02-29"),
                Kind::Email => Value::from("jana@example.cz"),
                Kind::Phone => Value::from("+420 601 234 567"),
                Kind::Consent => Value::Bool(true),
                Kind::Choice => Value::from(f.choices.first().map_or("", |c| c.0.as_str())),
                Kind::MultiChoice => {
                    Value::from(f.choices.iter().map(|c| c.0.clone()).collect::<Vec<_>>())
                }
                Kind::Text | Kind::Textarea | Kind::File => Value::from("Nováková"),
            };
            (f.name.clone(), v)
        })
        .collect()
}
