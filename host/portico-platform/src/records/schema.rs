//! What a collection is: its schema as the manifest declares it, the
//! indexed fields and the slot columns they are kept in, and the check of a
//! document against them before it is stored. Every other part of the
//! store reaches a slot through here, so the rule "the n-th text field takes
//! `s<n>`, the n-th number field `n<n>`" is written once.

use sea_orm::Set;
use sea_orm::sea_query::Alias;
use serde::Serialize;

use super::{SLOTS, record};
use crate::PlatformError;

/// The largest text value an indexed field may hold, in characters.
pub const MAX_INDEXED_TEXT: usize = 200;

/// The type of an indexed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    /// Text: equality, ranges (by code point) and prefix.
    String,
    /// A number: equality and ranges; can be summed.
    Number,
}

impl FieldType {
    fn name(self) -> &'static str {
        match self {
            FieldType::String => "text",
            FieldType::Number => "a number",
        }
    }
}

/// One indexed field of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedField {
    /// The top-level field of the document.
    pub name: String,
    /// Its type.
    pub kind: FieldType,
}

/// A collection as the module's manifest declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSchema {
    /// The collection's name.
    pub name: String,
    /// Its indexed fields, in declared order: the n-th text field takes
    /// slot `s<n>`, the n-th number field slot `n<n>`.
    pub fields: Vec<IndexedField>,
    /// The largest document, in bytes of JSON.
    pub max_bytes: usize,
    /// The top-level text fields the portal's search looks through (the
    /// manifest's `[[search]]` of this collection); their words are
    /// indexed as each document is written.
    pub searched: Vec<String>,
}

/// Where an indexed field's value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    pub(super) kind: FieldType,
    index: usize,
}

impl Slot {
    pub(super) fn name(self) -> String {
        let prefix = match self.kind {
            FieldType::String => 's',
            FieldType::Number => 'n',
        };
        format!("{prefix}{}", self.index)
    }

    pub(super) fn column(self) -> Alias {
        Alias::new(self.name())
    }

    /// A text slot's folded column's name, `f<n>`.
    pub(super) fn folded_name(self) -> String {
        format!("f{}", self.index)
    }

    pub(super) fn folded_column(self) -> Alias {
        Alias::new(self.folded_name())
    }
}

impl CollectionSchema {
    fn slot(&self, field: &str) -> Option<Slot> {
        let f = self.fields.iter().find(|f| f.name == field)?;
        let index = self
            .fields
            .iter()
            .filter(|g| g.kind == f.kind)
            .position(|g| g.name == field)?;
        Some(Slot {
            kind: f.kind,
            index,
        })
    }
}

/// The document checked against the collection: a JSON object within the
/// size limit whose indexed fields have the declared types.
pub(super) fn check_document(
    schema: &CollectionSchema,
    json: &str,
) -> Result<(serde_json::Value, Vec<(Slot, serde_json::Value)>), PlatformError> {
    if json.len() > schema.max_bytes {
        return Err(PlatformError::invalid(
            "data",
            format!(
                "the document is {} bytes; the collection `{}` takes at most {}",
                json.len(),
                schema.name,
                schema.max_bytes
            ),
        ));
    }
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| PlatformError::invalid("data", format!("is not valid JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(PlatformError::invalid("data", "must be a JSON object"));
    };
    let mut slots = Vec::new();
    for field in &schema.fields {
        let v = object.get(&field.name).unwrap_or(&serde_json::Value::Null);
        let ok = match (field.kind, v) {
            (_, serde_json::Value::Null) => true,
            (FieldType::String, serde_json::Value::String(s)) => {
                if s.chars().count() > MAX_INDEXED_TEXT {
                    return Err(PlatformError::invalid(
                        field.name.clone(),
                        format!(
                            "is an indexed field and may hold at most {MAX_INDEXED_TEXT} characters"
                        ),
                    ));
                }
                true
            }
            (FieldType::Number, serde_json::Value::Number(n)) => n.as_f64().is_some(),
            _ => false,
        };
        if !ok {
            return Err(PlatformError::invalid(
                field.name.clone(),
                format!("must be {} (or absent), not {v}", field.kind.name()),
            ));
        }
        let slot = schema
            .slot(&field.name)
            .ok_or_else(|| PlatformError::invalid(field.name.clone(), "has no index slot"))?;
        slots.push((slot, v.clone()));
    }
    Ok((value, slots))
}

/// A text slot's value folded, where folding changes it: what `f<n>` keeps.
pub fn folded_slot(value: Option<&str>) -> Option<String> {
    let value = value?;
    let folded = portico_types::folding::fold(value);
    (folded != value).then_some(folded)
}

pub(super) fn set_slots(model: &mut record::ActiveModel, slots: &[(Slot, serde_json::Value)]) {
    for (slot, value) in slots {
        match slot.kind {
            FieldType::String => {
                let v = value.as_str().map(str::to_owned);
                let f = folded_slot(v.as_deref());
                match slot.index {
                    0 => (model.s0, model.f0) = (Set(v), Set(f)),
                    1 => (model.s1, model.f1) = (Set(v), Set(f)),
                    2 => (model.s2, model.f2) = (Set(v), Set(f)),
                    _ => (model.s3, model.f3) = (Set(v), Set(f)),
                }
            }
            FieldType::Number => {
                let v = value.as_f64();
                match slot.index {
                    0 => model.n0 = Set(v),
                    1 => model.n1 = Set(v),
                    2 => model.n2 = Set(v),
                    _ => model.n3 = Set(v),
                }
            }
        }
    }
}

/// The folded words of one top-level field of a document: a text, each
/// text of a list, or a number.
pub(super) fn field_words(data: &serde_json::Value, field: &str) -> Vec<String> {
    use portico_types::folding::words;
    match data.get(field) {
        Some(serde_json::Value::String(s)) => words(s).collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .flat_map(words)
            .collect(),
        Some(serde_json::Value::Number(n)) => words(&n.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The folded words of a document's searched fields, space-separated, as
/// `record_search` keeps them; empty when it has none.
pub(super) fn search_words(schema: &CollectionSchema, data: &serde_json::Value) -> String {
    schema
        .searched
        .iter()
        .flat_map(|f| field_words(data, f))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A document checked against its collection's schema, ready to be stored.
#[derive(Debug, Clone)]
pub struct Checked {
    pub(super) data: serde_json::Value,
    pub(super) slots: Vec<(Slot, serde_json::Value)>,
}

/// Checks a document as [`insert`](super::insert) would, without storing it: an import
/// checks every line before it writes any.
pub fn check(schema: &CollectionSchema, json: &str) -> Result<Checked, PlatformError> {
    let (data, slots) = check_document(schema, json)?;
    Ok(Checked { data, slots })
}

/// A filter or sort field resolved to its slot.
pub(super) fn slot_of(
    schema: &CollectionSchema,
    field: &str,
    at: impl Fn() -> String,
) -> Result<Slot, PlatformError> {
    schema.slot(field).ok_or_else(|| {
        let indexed: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        PlatformError::invalid(
            at(),
            format!(
                "`{field}` is not an indexed field of `{}` (indexed: {})",
                schema.name,
                if indexed.is_empty() {
                    "none".to_owned()
                } else {
                    indexed.join(", ")
                }
            ),
        )
    })
}

/// A filter's or cursor's value as the slot's SQL value.
pub(super) fn slot_value(
    slot: Slot,
    value: &str,
    at: impl Fn() -> String,
) -> Result<sea_orm::Value, PlatformError> {
    match slot.kind {
        FieldType::String => Ok(value.to_owned().into()),
        FieldType::Number => value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Into::into)
            .ok_or_else(|| PlatformError::invalid(at(), format!("`{value}` is not a number"))),
    }
}

pub(super) fn slot_json(m: &record::Model, slot: Slot) -> serde_json::Value {
    match slot.kind {
        FieldType::String => {
            let s = [&m.s0, &m.s1, &m.s2, &m.s3][slot.index.min(SLOTS - 1)];
            s.clone().map_or(serde_json::Value::Null, Into::into)
        }
        FieldType::Number => {
            let n = [m.n0, m.n1, m.n2, m.n3][slot.index.min(SLOTS - 1)];
            n.map_or(serde_json::Value::Null, Into::into)
        }
    }
}
