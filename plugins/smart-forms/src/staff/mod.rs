//! What staff see, one file per page or role: `submissions_inbox.rs` the
//! inbox; `workflow.rs` one submission and its next step;
//! `downloads.rs` an attached file and the CSV export; `figures.rs` the
//! dashboard; `form_design.rs` the forms, a new form, importing and
//! exporting definitions; `form_builder.rs` the builder: a form's draft,
//! its steps and fields, the preview and publishing; `situation_editing.rs` the tree of life situations. This
//! file holds how an answer reads to staff, which the submission page and
//! the export share, and re-exports the pages that `lib.rs` routes to.

mod downloads;
mod figures;
mod form_builder;
mod form_design;
mod situation_editing;
mod submissions_inbox;
mod workflow;

pub(crate) use downloads::{export_csv, file};
pub(crate) use figures::dashboard;
pub(crate) use form_builder::{
    builder_post, builder_view, field_post, field_view, preview, preview_post, step_post, step_view,
};
pub(crate) use form_design::{design, export_definition, publish};
pub(crate) use situation_editing::{save_situation, situations_edit};
pub(crate) use submissions_inbox::inbox;
pub(crate) use workflow::{submission, submit_step};

use serde_json::Value;

use portico_forms::definition::{Form, Kind};

/// An answer as staff read it: choices by their names, files linked.
fn shown(form: Option<&Form>, name: &str, v: &Value) -> String {
    let spec = form.and_then(|f| f.field(name));
    let choice = |x: &str| {
        spec.and_then(|s| s.choices.iter().find(|(k, _)| k == x))
            .map_or_else(|| x.to_owned(), |(_, l)| l.clone())
    };
    match v {
        Value::String(s) if spec.is_some_and(|s| s.kind == Kind::Choice) => choice(s),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(choice)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Bool(true) => "✓".to_owned(),
        Value::Bool(false) => "–".to_owned(),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        other => other.to_string(),
    }
}
