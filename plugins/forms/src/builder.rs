//! The form builder's operations on a definition: steps added, renamed,
//! moved and removed; fields added of every kind, set up (texts, checks,
//! choices, conditions, calculations), moved and removed. Each works on
//! the definition's JSON as staff also import and export it, so that what
//! the builder makes and what a power user writes are one format, and an
//! imported definition keeps what the builder does not touch.
//!
//! The layout becomes a categorization (one category a step) on the first
//! change. "Shown when" is a control's `SHOW` rule, "required when" an
//! `allOf` entry of the schema, a calculation `x-calculation`.

use serde_json::{Map, Value, json};

use crate::definition::{Calculation, Definition, Kind, choices_of};

/// The kinds of field as the builder offers them, named for people.
impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Text,
        Kind::Textarea,
        Kind::Integer,
        Kind::Number,
        Kind::Date,
        Kind::Email,
        Kind::Phone,
        Kind::Choice,
        Kind::MultiChoice,
        Kind::File,
        Kind::Consent,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Textarea => "textarea",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Date => "date",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Choice => "choice",
            Kind::MultiChoice => "choices",
            Kind::File => "file",
            Kind::Consent => "consent",
        }
    }

    pub fn parse(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == key)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Kind::Text, true) => "A line of text",
            (Kind::Text, false) => "Řádek textu",
            (Kind::Textarea, true) => "Several lines of text",
            (Kind::Textarea, false) => "Více řádků textu",
            (Kind::Integer, true) => "A whole number",
            (Kind::Integer, false) => "Celé číslo",
            (Kind::Number, true) => "A number",
            (Kind::Number, false) => "Číslo",
            (Kind::Date, true) => "A date",
            (Kind::Date, false) => "Datum",
            (Kind::Email, true) => "An e-mail address",
            (Kind::Email, false) => "E-mailová adresa",
            (Kind::Phone, true) => "A phone number",
            (Kind::Phone, false) => "Telefonní číslo",
            (Kind::Choice, true) => "One of several choices",
            (Kind::Choice, false) => "Jedna z možností",
            (Kind::MultiChoice, true) => "Any of several choices",
            (Kind::MultiChoice, false) => "Více možností",
            (Kind::File, true) => "A file to attach",
            (Kind::File, false) => "Příloha (soubor)",
            (Kind::Consent, true) => "A box to tick (consent)",
            (Kind::Consent, false) => "Zaškrtávací pole (souhlas)",
        }
    }

    /// The kind of a field as the schema has it.
    pub fn of(prop: &Value, control: Option<&Value>) -> Kind {
        let s = |k: &str| prop.get(k).and_then(Value::as_str);
        match s("type") {
            Some("integer") => Kind::Integer,
            Some("number") => Kind::Number,
            Some("boolean") => Kind::Consent,
            Some("array") => Kind::MultiChoice,
            _ if prop.get("contentMediaType").is_some() => Kind::File,
            _ if prop.get("oneOf").is_some() || prop.get("enum").is_some() => Kind::Choice,
            _ => match s("format") {
                Some("date") => Kind::Date,
                Some("email") => Kind::Email,
                Some("phone") => Kind::Phone,
                _ if control
                    .and_then(|c| c.pointer("/options/multi"))
                    .and_then(Value::as_bool)
                    == Some(true) =>
                {
                    Kind::Textarea
                }
                _ => Kind::Text,
            },
        }
    }

    fn schema(self) -> Value {
        match self {
            Kind::Text | Kind::Textarea => json!({ "type": "string" }),
            Kind::Integer => json!({ "type": "integer" }),
            Kind::Number => json!({ "type": "number" }),
            Kind::Date => json!({ "type": "string", "format": "date" }),
            Kind::Email => json!({ "type": "string", "format": "email" }),
            Kind::Phone => json!({ "type": "string", "format": "phone" }),
            Kind::Choice => json!({ "type": "string", "oneOf": [] }),
            Kind::MultiChoice => json!({ "type": "array", "items": { "oneOf": [] } }),
            Kind::File => {
                json!({ "type": "string", "contentMediaType": "application/pdf,image/jpeg,image/png" })
            }
            Kind::Consent => json!({ "type": "boolean", "const": true }),
        }
    }
}

/// Why an operation was refused, in English and Czech.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub en: String,
    pub cs: String,
}

impl Refused {
    fn new(en: impl Into<String>, cs: impl Into<String>) -> Refused {
        Refused {
            en: en.into(),
            cs: cs.into(),
        }
    }

    pub fn say(&self, en: bool) -> &str {
        if en { &self.en } else { &self.cs }
    }
}

/// `field` has `value`: a choice's key, or `true` for a ticked box.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    pub field: String,
    pub value: Value,
}

impl When {
    /// As a select's option carries it: `field=value`.
    pub fn key(&self) -> String {
        match &self.value {
            Value::String(s) => format!("{}={s}", self.field),
            other => format!("{}={other}", self.field),
        }
    }

    /// Reads `field=value` back, against the fields there are.
    pub fn parse(def: &Definition, key: &str) -> Option<When> {
        let (field, value) = key.split_once('=')?;
        let props = properties(def);
        let prop = props.get(field)?;
        let value = if prop.get("type").and_then(Value::as_str) == Some("boolean") {
            Value::Bool(value == "true")
        } else {
            Value::String(value.to_owned())
        };
        Some(When {
            field: field.to_owned(),
            value,
        })
    }
}

/// How a field is set up: what the builder's field page edits.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    pub title: String,
    pub help: String,
    pub required: bool,
    pub min: Option<String>,
    pub max: Option<String>,
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    pub pattern: Option<String>,
    /// (key, label) of a choice.
    pub choices: Vec<(String, String)>,
    pub accept: Option<String>,
    pub shown_when: Option<When>,
    pub required_when: Option<When>,
    pub calculation: Option<Calculation>,
}

/// One step as the builder lists it: its title and fields in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub title: String,
    pub fields: Vec<String>,
}

fn properties(def: &Definition) -> Map<String, Value> {
    def.schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn properties_mut(def: &mut Definition) -> &mut Map<String, Value> {
    if !def.schema.is_object() {
        def.schema = json!({ "type": "object" });
    }
    let schema = def.schema.as_object_mut().expect("an object");
    if !schema.get("properties").is_some_and(Value::is_object) {
        schema.insert("properties".into(), json!({}));
    }
    schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .expect("an object")
}

fn scope(name: &str) -> String {
    format!("#/properties/{name}")
}

fn scoped(control: &Value) -> Option<&str> {
    control
        .get("scope")
        .and_then(Value::as_str)
        .and_then(|s| s.strip_prefix("#/properties/"))
}

/// A new definition: its code, title and who may fill it in, with one
/// empty step.
pub fn new_definition(code: &str, title: &str, access: &str, en: bool) -> Definition {
    Definition {
        code: code.to_owned(),
        title: title.to_owned(),
        description: String::new(),
        access: access.to_owned(),
        schema: json!({ "type": "object", "properties": {}, "required": [] }),
        uischema: json!({
            "type": "Categorization",
            "elements": [{ "type": "Category", "label": if en { "Basic details" } else { "Základní údaje" }, "elements": [] }],
        }),
    }
}

/// The categories of the layout, the layout made a categorization first.
fn categories(def: &mut Definition) -> &mut Vec<Value> {
    let kind = def.uischema.get("type").and_then(Value::as_str);
    if kind != Some("Categorization") {
        let controls = def
            .uischema
            .get("elements")
            .cloned()
            .unwrap_or_else(|| json!([]));
        def.uischema = json!({
            "type": "Categorization",
            "elements": [{ "type": "Category", "label": "", "elements": controls }],
        });
    }
    def.uischema
        .get_mut("elements")
        .and_then(Value::as_array_mut)
        .expect("a categorization has elements")
}

fn controls(category: &mut Value) -> &mut Vec<Value> {
    if !category.get("elements").is_some_and(Value::is_array) {
        category["elements"] = json!([]);
    }
    category["elements"].as_array_mut().expect("an array")
}

/// The steps, in order, with their fields.
pub fn steps(def: &Definition) -> Vec<Step> {
    let of = |elements: Option<&Value>| -> Vec<String> {
        elements
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(scoped).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    match def.uischema.get("type").and_then(Value::as_str) {
        Some("Categorization") => def
            .uischema
            .get("elements")
            .and_then(Value::as_array)
            .map(|cats| {
                cats.iter()
                    .map(|c| Step {
                        title: c
                            .get("label")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        fields: of(c.get("elements")),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => vec![Step {
            title: String::new(),
            fields: of(def.uischema.get("elements")),
        }],
    }
}

pub fn add_step(def: &mut Definition, title: &str) {
    categories(def).push(json!({ "type": "Category", "label": title, "elements": [] }));
}

/// Renames step `i` and moves it to `to` (both counted from 0).
pub fn set_step(def: &mut Definition, i: usize, title: &str, to: usize) -> Result<(), Refused> {
    let cats = categories(def);
    if i >= cats.len() {
        return Err(no_step());
    }
    cats[i]["label"] = Value::String(title.to_owned());
    let step = cats.remove(i);
    cats.insert(to.min(cats.len()), step);
    Ok(())
}

/// Removes step `i`, which must hold no fields.
pub fn remove_step(def: &mut Definition, i: usize) -> Result<(), Refused> {
    let cats = categories(def);
    if i >= cats.len() {
        return Err(no_step());
    }
    if cats[i]
        .get("elements")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        return Err(Refused::new(
            "Move or remove the step's fields first.",
            "Nejprve přesuňte nebo odeberte pole kroku.",
        ));
    }
    if cats.len() == 1 {
        return Err(Refused::new(
            "A form keeps at least one step.",
            "Formulář má alespoň jeden krok.",
        ));
    }
    cats.remove(i);
    Ok(())
}

fn no_step() -> Refused {
    Refused::new("There is no such step.", "Takový krok není.")
}

/// A name made from `text` as codes, keys and field names are: its words
/// folded (`Počet psů` → `pocet`, `psu`), letters and digits of ASCII only,
/// joined by `separator`, at most `most` characters.
pub fn slug(text: &str, separator: &str, most: usize) -> String {
    portico_sdk::folding::words(text)
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
        .chars()
        .take(most)
        .collect::<String>()
        .trim_end_matches(separator)
        .to_owned()
}

/// A field name from its title: its folded words joined by `_`, made
/// unlike every name the form has.
fn name_for(def: &Definition, title: &str) -> String {
    let mut base = slug(title, "_", 40);
    if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        base = format!("field_{base}").trim_end_matches('_').to_owned();
    }
    let taken = properties(def);
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains_key(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Adds a field of `kind` titled `title` at the end of step `step`; its
/// name.
pub fn add_field(
    def: &mut Definition,
    step: usize,
    kind: Kind,
    title: &str,
) -> Result<String, Refused> {
    if title.trim().is_empty() {
        return Err(Refused::new(
            "Give the field a title: the question as people read it.",
            "Zadejte název pole: otázku, jak ji lidé čtou.",
        ));
    }
    if step >= categories(def).len() {
        return Err(no_step());
    }
    let name = name_for(def, title);
    let mut prop = kind.schema();
    prop["title"] = Value::String(title.trim().to_owned());
    properties_mut(def).insert(name.clone(), prop);
    let mut control = json!({ "type": "Control", "scope": scope(&name) });
    if kind == Kind::Textarea {
        control["options"] = json!({ "multi": true });
    }
    let cats = categories(def);
    controls(&mut cats[step]).push(control);
    Ok(name)
}

/// Where a field is: its step and place in it.
fn place_of(def: &mut Definition, name: &str) -> Option<(usize, usize)> {
    categories(def).iter().enumerate().find_map(|(i, c)| {
        c.get("elements")
            .and_then(Value::as_array)?
            .iter()
            .position(|x| scoped(x) == Some(name))
            .map(|j| (i, j))
    })
}

/// Moves a field to step `step`, at `position` (from 0) among its fields.
pub fn move_field(
    def: &mut Definition,
    name: &str,
    step: usize,
    position: usize,
) -> Result<(), Refused> {
    let Some((i, j)) = place_of(def, name) else {
        return Err(no_field());
    };
    let cats = categories(def);
    if step >= cats.len() {
        return Err(no_step());
    }
    let control = controls(&mut cats[i]).remove(j);
    let list = controls(&mut cats[step]);
    list.insert(position.min(list.len()), control);
    Ok(())
}

fn no_field() -> Refused {
    Refused::new("There is no such field.", "Takové pole není.")
}

/// The fields whose condition or calculation uses `name`.
pub fn users_of(def: &Definition, name: &str) -> Vec<String> {
    let mut users = Vec::new();
    for (other, prop) in properties(def) {
        let in_calculation = prop
            .pointer("/x-calculation/fields")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|f| f.as_str() == Some(name)));
        let s = settings(def, &other);
        let in_condition = [&s.shown_when, &s.required_when]
            .into_iter()
            .flatten()
            .any(|w| w.field == name);
        if other != name && (in_calculation || in_condition) {
            users.push(other);
        }
    }
    users
}

/// Removes a field no other field's condition or calculation uses.
pub fn remove_field(def: &mut Definition, name: &str) -> Result<(), Refused> {
    let users = users_of(def, name);
    if !users.is_empty() {
        let titles: Vec<String> = users.iter().map(|u| title_of(def, u)).collect();
        return Err(Refused::new(
            format!("First change what uses this field: {}.", titles.join(", ")),
            format!(
                "Nejprve upravte, co toto pole používá: {}.",
                titles.join(", ")
            ),
        ));
    }
    let Some((i, j)) = place_of(def, name) else {
        return Err(no_field());
    };
    controls(&mut categories(def)[i]).remove(j);
    properties_mut(def).remove(name);
    set_required_when(def, name, None);
    if let Some(list) = def.schema.get_mut("required").and_then(Value::as_array_mut) {
        list.retain(|r| r.as_str() != Some(name));
    }
    Ok(())
}

/// A field's title, or its name.
pub fn title_of(def: &Definition, name: &str) -> String {
    properties(def)
        .get(name)
        .and_then(|p| p.get("title"))
        .and_then(Value::as_str)
        .unwrap_or(name)
        .to_owned()
}

/// The kind of the field `name`.
pub fn kind_of(def: &Definition, name: &str) -> Option<Kind> {
    let prop = properties(def).get(name).cloned()?;
    let control = def.uischema.clone();
    let control = find_control(&control, name);
    Some(Kind::of(&prop, control))
}

fn find_control<'a>(ui: &'a Value, name: &str) -> Option<&'a Value> {
    if scoped(ui) == Some(name) {
        return Some(ui);
    }
    ui.get("elements")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|e| find_control(e, name))
}

fn find_control_mut<'a>(ui: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    if scoped(ui) == Some(name) {
        return Some(ui);
    }
    ui.get_mut("elements")
        .and_then(Value::as_array_mut)?
        .iter_mut()
        .find_map(|e| find_control_mut(e, name))
}

/// How a field is set up now.
pub fn settings(def: &Definition, name: &str) -> Settings {
    let prop = properties(def).get(name).cloned().unwrap_or(Value::Null);
    let s = |k: &str| prop.get(k).and_then(Value::as_str).map(str::to_owned);
    let n = |k: &str| prop.get(k).and_then(Value::as_f64).map(|x| x.to_string());
    let date = prop.get("format").and_then(Value::as_str) == Some("date");
    let choices_at = choices_of(&prop)
        .or_else(|| prop.get("items").and_then(choices_of))
        .unwrap_or_default();
    let shown_when = find_control(&def.uischema, name)
        .and_then(|c| c.get("rule"))
        .and_then(|r| {
            Some(When {
                field: r
                    .pointer("/condition/scope")?
                    .as_str()?
                    .strip_prefix("#/properties/")?
                    .to_owned(),
                value: r.pointer("/condition/schema/const")?.clone(),
            })
        });
    let required_when = def
        .schema
        .get("allOf")
        .and_then(Value::as_array)
        .and_then(|all| {
            all.iter().find_map(|rule| {
                let listed = rule
                    .pointer("/then/required")
                    .and_then(Value::as_array)?
                    .iter()
                    .any(|r| r.as_str() == Some(name));
                let (field, v) = rule
                    .pointer("/if/properties")
                    .and_then(Value::as_object)?
                    .iter()
                    .next()?;
                listed.then(|| When {
                    field: field.clone(),
                    value: v.get("const").cloned().unwrap_or(Value::Null),
                })
            })
        });
    Settings {
        title: s("title").unwrap_or_else(|| name.to_owned()),
        help: s("description").unwrap_or_default(),
        required: def
            .schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|x| x.as_str() == Some(name))),
        min: if date {
            s("formatMinimum")
        } else {
            n("minimum")
        },
        max: if date {
            s("formatMaximum")
        } else {
            n("maximum")
        },
        min_len: prop.get("minLength").and_then(Value::as_u64),
        max_len: prop.get("maxLength").and_then(Value::as_u64),
        pattern: s("pattern"),
        choices: choices_at,
        accept: s("contentMediaType"),
        shown_when,
        required_when,
        calculation: prop
            .get("x-calculation")
            .cloned()
            .and_then(|c| serde_json::from_value(c).ok()),
    }
}

/// Sets a field up as `s` says. What the checks do not allow (a
/// condition on the field itself, a calculation over a field that is not
/// a number) is refused with nothing changed.
pub fn apply(def: &mut Definition, name: &str, s: &Settings) -> Result<(), Refused> {
    let Some(kind) = kind_of(def, name) else {
        return Err(no_field());
    };
    if s.title.trim().is_empty() {
        return Err(Refused::new(
            "Give the field a title.",
            "Zadejte název pole.",
        ));
    }
    for w in [&s.shown_when, &s.required_when].into_iter().flatten() {
        if w.field == name || kind_of(def, &w.field).is_none() {
            return Err(Refused::new(
                "A condition depends on another field of the form.",
                "Podmínka závisí na jiném poli formuláře.",
            ));
        }
    }
    if let Some(c) = &s.calculation {
        if !matches!(kind, Kind::Integer | Kind::Number) {
            return Err(Refused::new(
                "Only a number field is calculated.",
                "Vypočítat lze jen číselné pole.",
            ));
        }
        if c.fields.is_empty() {
            return Err(Refused::new(
                "Pick the fields the value is worked out from.",
                "Vyberte pole, ze kterých se hodnota vypočte.",
            ));
        }
        if c.fields
            .iter()
            .any(|f| f == name || !matches!(kind_of(def, f), Some(Kind::Integer | Kind::Number)))
        {
            return Err(Refused::new(
                "A calculation works with other number fields only.",
                "Výpočet pracuje jen s jinými číselnými poli.",
            ));
        }
    }
    if matches!(kind, Kind::Choice | Kind::MultiChoice) && s.choices.is_empty() {
        return Err(Refused::new(
            "Give at least one choice, one a line.",
            "Zadejte alespoň jednu možnost, každou na řádek.",
        ));
    }
    if let Some(re) = &s.pattern
        && regex_lite::Regex::new(re).is_err()
    {
        return Err(Refused::new(
            "The pattern is not a regular expression.",
            "Vzor není regulární výraz.",
        ));
    }
    let date = kind == Kind::Date;
    let prop = properties_mut(def)
        .get_mut(name)
        .and_then(Value::as_object_mut)
        .ok_or_else(no_field)?;
    let mut put = |key: &str, v: Option<Value>| match v {
        Some(v) => {
            prop.insert(key.to_owned(), v);
        }
        None => {
            prop.remove(key);
        }
    };
    put("title", Some(Value::String(s.title.trim().to_owned())));
    put(
        "description",
        Some(s.help.trim())
            .filter(|h| !h.is_empty())
            .map(|h| Value::String(h.to_owned())),
    );
    let number = |v: &Option<String>| {
        v.as_deref()
            .and_then(|x| x.replace(',', ".").parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
    };
    let text = |v: &Option<String>| v.clone().filter(|x| !x.is_empty()).map(Value::String);
    if date {
        put("formatMinimum", text(&s.min));
        put("formatMaximum", text(&s.max));
    } else if matches!(kind, Kind::Integer | Kind::Number) {
        put("minimum", number(&s.min));
        put("maximum", number(&s.max));
    }
    if matches!(
        kind,
        Kind::Text | Kind::Textarea | Kind::Email | Kind::Phone
    ) {
        put("minLength", s.min_len.map(Value::from));
        put("maxLength", s.max_len.map(Value::from));
        put("pattern", text(&s.pattern));
    }
    let choices = Value::Array(
        s.choices
            .iter()
            .map(|(k, l)| json!({ "const": k, "title": l }))
            .collect(),
    );
    match kind {
        Kind::Choice => {
            prop.remove("enum");
            prop.insert("oneOf".into(), choices);
        }
        Kind::MultiChoice => {
            prop.insert("items".into(), json!({ "oneOf": choices }));
        }
        Kind::File => {
            if let Some(a) = text(&s.accept) {
                prop.insert("contentMediaType".into(), a);
            }
        }
        _ => {}
    }
    match &s.calculation {
        Some(c) => {
            prop.insert(
                "x-calculation".into(),
                serde_json::to_value(c).unwrap_or(Value::Null),
            );
            prop.remove("x-calculate");
        }
        None => {
            prop.remove("x-calculation");
        }
    }
    // Required.
    let schema = def.schema.as_object_mut().expect("an object");
    let required = schema
        .entry("required")
        .or_insert_with(|| json!([]))
        .as_array_mut();
    if let Some(list) = required {
        list.retain(|r| r.as_str() != Some(name));
        if s.required {
            list.push(Value::String(name.to_owned()));
        }
    }
    set_required_when(def, name, s.required_when.as_ref());
    // Shown when.
    if let Some(control) = find_control_mut(&mut def.uischema, name)
        && let Some(control) = control.as_object_mut()
    {
        match &s.shown_when {
            Some(w) => {
                control.insert(
                    "rule".into(),
                    json!({
                        "effect": "SHOW",
                        "condition": { "scope": scope(&w.field), "schema": { "const": w.value } },
                    }),
                );
            }
            None => {
                control.remove("rule");
            }
        }
    }
    Ok(())
}

/// Makes `name` required while `when` holds (or no longer conditionally
/// required): an `allOf` entry of its own.
fn set_required_when(def: &mut Definition, name: &str, when: Option<&When>) {
    let Some(schema) = def.schema.as_object_mut() else {
        return;
    };
    if let Some(all) = schema.get_mut("allOf").and_then(Value::as_array_mut) {
        for rule in all.iter_mut() {
            if let Some(list) = rule
                .pointer_mut("/then/required")
                .and_then(Value::as_array_mut)
            {
                list.retain(|r| r.as_str() != Some(name));
            }
        }
        all.retain(|rule| {
            rule.pointer("/then/required")
                .and_then(Value::as_array)
                .is_none_or(|l| !l.is_empty())
        });
    }
    if let Some(w) = when {
        let all = schema.entry("allOf").or_insert_with(|| json!([]));
        if let Some(all) = all.as_array_mut() {
            all.push(json!({
                "if": { "properties": { w.field.clone(): { "const": w.value } }, "required": [w.field] },
                "then": { "required": [name] },
            }));
        }
    }
    if schema
        .get("allOf")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        schema.remove("allOf");
    }
}

/// The answers a condition can wait for: each choice of a one-choice
/// field, and a ticked box, of the fields other than `name`.
pub fn conditions(def: &Definition, name: &str) -> Vec<(When, String)> {
    let mut out = Vec::new();
    for step in steps(def) {
        for other in step.fields.iter().filter(|f| *f != name) {
            let title = title_of(def, other);
            match kind_of(def, other) {
                Some(Kind::Choice) => {
                    for (key, label) in settings(def, other).choices {
                        out.push((
                            When {
                                field: other.clone(),
                                value: Value::String(key),
                            },
                            format!("{title}: {label}"),
                        ));
                    }
                }
                Some(Kind::Consent) => out.push((
                    When {
                        field: other.clone(),
                        value: Value::Bool(true),
                    },
                    format!("{title}: ✓"),
                )),
                _ => {}
            }
        }
    }
    out
}

/// The number fields a calculation of `name` can work with.
pub fn numbers(def: &Definition, name: &str) -> Vec<(String, String)> {
    steps(def)
        .into_iter()
        .flat_map(|s| s.fields)
        .filter(|f| f != name && matches!(kind_of(def, f), Some(Kind::Integer | Kind::Number)))
        .map(|f| {
            let t = title_of(def, &f);
            (f, t)
        })
        .collect()
}

/// Choices as a person types them, one a line: `label`, or `key = label`
/// to keep a key of one's own. Keys are made from the labels otherwise.
pub fn read_choices(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (key, label) = match line.split_once(" = ") {
            Some((k, l)) => (k.trim().to_owned(), l.trim().to_owned()),
            None => {
                let key = slug(line, "-", 40);
                (
                    if key.is_empty() { line.to_owned() } else { key },
                    line.to_owned(),
                )
            }
        };
        let mut unique = key.clone();
        let mut n = 2;
        while out.iter().any(|(k, _)| *k == unique) {
            unique = format!("{key}-{n}");
            n += 1;
        }
        out.push((unique, label));
    }
    out
}

/// Choices as the builder shows them for editing: `key = label` where the
/// key is not what the label would make, else the label.
pub fn write_choices(choices: &[(String, String)]) -> String {
    choices
        .iter()
        .map(|(k, l)| {
            let made = read_choices(l);
            if made.first().is_some_and(|(mk, _)| mk == k) {
                l.clone()
            } else {
                format!("{k} = {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{Form, Operation};

    fn built() -> Definition {
        let mut def = new_definition("dog-fee", "Poplatek ze psa", "registered", false);
        add_step(&mut def, "Psi");
        let kind = add_field(&mut def, 0, Kind::Choice, "Druh držitele").unwrap();
        let mut s = settings(&def, &kind);
        s.choices = read_choices("Občan\nSenior nad 65 let");
        s.required = true;
        apply(&mut def, &kind, &s).unwrap();
        let card = add_field(&mut def, 0, Kind::Text, "Číslo průkazu ZTP").unwrap();
        let mut s = settings(&def, &card);
        s.shown_when = Some(When {
            field: kind.clone(),
            value: Value::String("senior-nad-65-let".into()),
        });
        s.required_when = s.shown_when.clone();
        apply(&mut def, &card, &s).unwrap();
        let dogs = add_field(&mut def, 1, Kind::Integer, "Počet psů").unwrap();
        let fee = add_field(&mut def, 1, Kind::Number, "Poplatek").unwrap();
        let mut s = settings(&def, &fee);
        s.calculation = Some(Calculation {
            operation: Operation::Product,
            fields: vec![dogs.clone()],
            factor: Some(1500.0),
        });
        apply(&mut def, &fee, &s).unwrap();
        def
    }

    #[test]
    fn what_the_builder_makes_reads_as_a_form_with_its_rules() {
        let def = built();
        let form = Form::read(def.clone()).expect("reads");
        assert_eq!(form.pages.len(), 2);
        assert_eq!(form.pages[0].fields, ["druh_drzitele", "cislo_prukazu_ztp"]);
        let card = form.field("cislo_prukazu_ztp").unwrap();
        assert_eq!(
            card.show_if.as_ref().map(|c| c.value.clone()),
            Some(json!("senior-nad-65-let"))
        );
        let mut answers = crate::definition::Answers::new();
        answers.insert("pocet_psu".into(), json!(2));
        form.calculate(&mut answers);
        assert_eq!(answers.get("poplatek"), Some(&json!(3000)));
        // Read back as the builder shows it.
        let s = settings(&def, "druh_drzitele");
        assert!(s.required);
        assert_eq!(write_choices(&s.choices), "Občan\nSenior nad 65 let");
        assert_eq!(
            settings(&def, "cislo_prukazu_ztp")
                .required_when
                .unwrap()
                .field,
            "druh_drzitele"
        );
    }

    #[test]
    fn a_field_others_use_is_not_removed_and_steps_move() {
        let mut def = built();
        let refused = remove_field(&mut def, "pocet_psu").unwrap_err();
        assert!(refused.cs.contains("Poplatek"), "{refused:?}");
        remove_field(&mut def, "poplatek").unwrap();
        remove_field(&mut def, "pocet_psu").unwrap();
        assert!(remove_field(&mut def, "pocet_psu").is_err());
        set_step(&mut def, 1, "Psi", 0).unwrap();
        assert_eq!(steps(&def)[0].title, "Psi");
        remove_step(&mut def, 0).unwrap();
        assert!(
            remove_step(&mut def, 0).is_err(),
            "a step with fields stays"
        );
        move_field(&mut def, "cislo_prukazu_ztp", 0, 0).unwrap();
        assert_eq!(steps(&def)[0].fields[0], "cislo_prukazu_ztp");
        // The same title again gets a name of its own.
        let again = add_field(&mut def, 0, Kind::Text, "Druh držitele").unwrap();
        assert_eq!(again, "druh_drzitele_2");
    }
}
