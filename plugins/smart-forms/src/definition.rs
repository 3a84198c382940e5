//! Form definitions: a JSON Schema (draft 2020-12) of the answers and a UI
//! layout in the JSON Forms style, as staff import and export them. The
//! module reads the subset below, refuses everything else by its path, and
//! validates answers against it on the server.
//!
//! Schema, per property: `type` (`string`, `integer`, `number`, `boolean`,
//! `array` of choices), `title`, `description`, `enum` or `oneOf` of
//! `{const, title}` (choices), `format` (`date`, `email`, `phone`),
//! `minimum`/`maximum` (numbers, or dates as `formatMinimum`/`formatMaximum`),
//! `minLength`/`maxLength`, `pattern`, `const: true` (a consent that must
//! be given), `contentMediaType` (a file upload; `x-max-bytes`, 5 MB by
//! default), `readOnly`, and Portico's `x-prefill` (a claim of the verified
//! identity: `name`, `given_name`, `family_name`, `birthdate`, `address`,
//! `email`, `phone_number`) and `x-calculate` (an arithmetic expression
//! over number fields). At the top: `required`, `dependentRequired`, and
//! `allOf` of `{if: {properties: {F: {const: V}}}, then: {required: […]}}`
//! (conditional required).
//!
//! Layout: `{"type": "Categorization", "elements": [{"type": "Category",
//! "label": …, "elements": [Control…]}]}` (one page per category) or a
//! `VerticalLayout` of controls (one page). A control is `{"type":
//! "Control", "scope": "#/properties/F"}`, optionally with `"options":
//! {"multi": true}` (several lines) and a `rule` `{"effect": "SHOW",
//! "condition": {"scope": "#/properties/G", "schema": {"const": V}}}`
//! (shown, and so required, only when G is V).
//!
//! Bounds, so that no definition can exhaust the module's stack (a fault
//! that would switch the module off): a definition nests at most
//! [`MAX_DEPTH`] levels, and an `x-calculate` expression has at most
//! [`MAX_EXPRESSION_CHARS`] characters, [`MAX_BRACKET_DEPTH`] levels of
//! brackets and [`MAX_OPERATION_DEPTH`] of operations. Deeper or longer ones
//! are refused at their path before anything walks or evaluates them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A form definition as staff author, import and export it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Definition {
    /// The form's code, e.g. `dog-registration`.
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Who may fill it in: `public` (anyone), `registered` (logged in),
    /// `substantial` or `high` (a verified identity at that eIDAS level).
    #[serde(default = "public")]
    pub access: String,
    pub schema: Value,
    pub uischema: Value,
}

fn public() -> String {
    "public".to_owned()
}

/// How many levels a definition nests at most, below its top: a form needs
/// about a dozen (`uischema.elements[0].elements[3].rule.condition.schema`).
pub const MAX_DEPTH: usize = 32;
/// The longest `x-calculate`, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 1000;
/// How deep an `x-calculate` nests brackets at most.
pub const MAX_BRACKET_DEPTH: usize = 32;
/// How deep the operations of an `x-calculate` nest at most: evaluating
/// recurses that deep, and a citizen's step overflows the module's stack
/// at a few thousand.
pub const MAX_OPERATION_DEPTH: usize = 256;

impl Definition {
    /// Reads a definition from the JSON text staff import; a problem names
    /// where it is.
    pub fn parse(text: &str) -> Result<Definition, Problems> {
        serde_json::from_str(text).map_err(|e| {
            // The JSON reader stops at 128 levels, before any path exists.
            let message = if e.to_string().starts_with("recursion limit exceeded") {
                format!(
                    "is more than {MAX_DEPTH} levels deep at line {}, column {}",
                    e.line(),
                    e.column()
                )
            } else {
                format!("is not a definition: {e}")
            };
            vec![("definition".to_owned(), message)]
        })
    }
}

/// The path of the first value of the definition that lies deeper than
/// [`MAX_DEPTH`], in document order. Walked with a stack of its own, so a
/// deep definition cannot exhaust the call stack.
fn too_deep(def: &Definition) -> Option<String> {
    let mut stack: Vec<(&Value, String, usize)> = vec![
        (&def.uischema, "uischema".to_owned(), 1),
        (&def.schema, "schema".to_owned(), 1),
    ];
    while let Some((value, at, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Some(at);
        }
        match value {
            Value::Object(m) => stack.extend(
                m.iter()
                    .rev()
                    .map(|(k, v)| (v, format!("{at}.{k}"), depth + 1)),
            ),
            Value::Array(a) => stack.extend(
                a.iter()
                    .enumerate()
                    .rev()
                    .map(|(i, v)| (v, format!("{at}[{i}]"), depth + 1)),
            ),
            _ => {}
        }
    }
    None
}

/// How deep the operations of an expression nest, counted with a stack of
/// its own.
fn operation_depth(tree: &evalexpr::Node<evalexpr::DefaultNumericTypes>) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(tree, 0)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        stack.extend(node.children().iter().map(|c| (c, depth + 1)));
    }
    deepest
}

/// Why an `x-calculate` expression is not evaluated, if it is too long or
/// nests brackets too deep: evaluating builds a tree as deep as that.
fn expression_problem(expr: &str) -> Option<String> {
    if expr.chars().count() > MAX_EXPRESSION_CHARS {
        return Some(format!("is longer than {MAX_EXPRESSION_CHARS} characters"));
    }
    let mut depth = 0usize;
    for c in expr.chars() {
        match c {
            '(' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    return Some(format!(
                        "nests brackets more than {MAX_BRACKET_DEPTH} levels deep"
                    ));
                }
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

pub const ACCESS: [&str; 4] = ["public", "registered", "substantial", "high"];

/// What a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Textarea,
    Integer,
    Number,
    Date,
    Email,
    Phone,
    Choice,
    MultiChoice,
    File,
    Consent,
}

/// One field, read from the schema and the layout.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub name: String,
    pub title: String,
    pub description: String,
    pub kind: Kind,
    pub choices: Vec<(String, String)>,
    pub min: Option<String>,
    pub max: Option<String>,
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    pub pattern: Option<String>,
    pub prefill: Option<String>,
    pub read_only: bool,
    pub calculate: Option<String>,
    pub accept: Option<String>,
    pub max_bytes: u64,
    /// Shown (and so checked) only when this holds.
    pub show_if: Option<Condition>,
}

/// `field` equals `value`.
#[derive(Debug, Clone)]
pub struct Condition {
    pub field: String,
    pub value: Value,
}

/// A step of the form.
#[derive(Debug, Clone)]
pub struct PageSpec {
    pub title: String,
    pub fields: Vec<String>,
}

/// A definition, read and checked.
#[derive(Debug, Clone)]
pub struct Form {
    pub def: Definition,
    pub fields: Vec<FieldSpec>,
    pub pages: Vec<PageSpec>,
    pub required: Vec<String>,
    pub dependent_required: Vec<(String, Vec<String>)>,
    pub conditional_required: Vec<(Condition, Vec<String>)>,
}

/// The default and the greatest size of an uploaded file.
pub const DEFAULT_MAX_BYTES: u64 = 5 << 20;
const MAX_MAX_BYTES: u64 = 10 << 20;

pub const CLAIMS: [&str; 7] = [
    "name",
    "given_name",
    "family_name",
    "birthdate",
    "address",
    "email",
    "phone_number",
];

/// Problems with a definition: (JSON path, message).
pub type Problems = Vec<(String, String)>;

impl Form {
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Reads a definition; every problem names where it is.
    pub fn read(def: Definition) -> Result<Form, Problems> {
        if let Some(at) = too_deep(&def) {
            return Err(vec![(at, format!("is more than {MAX_DEPTH} levels deep"))]);
        }
        let mut problems: Problems = Vec::new();
        let mut p = |at: &str, m: String| problems.push((at.to_owned(), m));
        if def.code.is_empty()
            || def.code.len() > 60
            || !def
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            p("code", "use 1 to 60 small letters, digits or `-`".into());
        }
        if def.title.trim().is_empty() || def.title.chars().count() > 200 {
            p("title", "give a title of 1 to 200 characters".into());
        }
        if !ACCESS.contains(&def.access.as_str()) {
            p(
                "access",
                format!("`{}` is not one of {}", def.access, ACCESS.join(", ")),
            );
        }
        let empty = Map::new();
        let schema = def.schema.as_object().unwrap_or(&empty);
        if !def.schema.is_object() {
            p("schema", "must be a JSON Schema object".into());
        } else if schema.get("type").and_then(Value::as_str) != Some("object") {
            p("schema.type", "must be `object`".into());
        }
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if properties.is_empty() {
            p("schema.properties", "the form has no fields".into());
        }
        let mut fields = Vec::new();
        for (name, prop) in &properties {
            match field_spec(name, prop) {
                Ok(f) => fields.push(f),
                Err(e) => problems.extend(e),
            }
        }
        let names: Vec<String> = properties.keys().cloned().collect();
        let known = |n: &str| names.iter().any(|x| x == n);
        let mut p = |at: &str, m: String| problems.push((at.to_owned(), m));
        let strings = |v: Option<&Value>| -> Option<Vec<String>> {
            v.map(|v| {
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            })
        };
        let required = strings(schema.get("required")).unwrap_or_default();
        for r in required.iter().filter(|r| !known(r)) {
            p("schema.required", format!("`{r}` is not a property"));
        }
        let mut dependent_required = Vec::new();
        if let Some(dr) = schema.get("dependentRequired").and_then(Value::as_object) {
            for (k, v) in dr {
                let list = strings(Some(v)).unwrap_or_default();
                for n in std::iter::once(k).chain(list.iter()).filter(|n| !known(n)) {
                    p(
                        &format!("schema.dependentRequired.{k}"),
                        format!("`{n}` is not a property"),
                    );
                }
                dependent_required.push((k.clone(), list));
            }
        }
        let mut conditional_required = Vec::new();
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for (i, rule) in all.iter().enumerate() {
                let at = format!("schema.allOf[{i}]");
                let cond = rule
                    .pointer("/if/properties")
                    .and_then(Value::as_object)
                    .filter(|m| m.len() == 1)
                    .and_then(|m| m.iter().next())
                    .and_then(|(f, s)| {
                        Some(Condition {
                            field: f.clone(),
                            value: s.get("const")?.clone(),
                        })
                    });
                let then = strings(rule.pointer("/then/required"));
                match (cond, then) {
                    (Some(c), Some(list)) => {
                        for n in std::iter::once(&c.field).chain(list.iter()).filter(|n| !known(n)) {
                            p(&at, format!("`{n}` is not a property"));
                        }
                        conditional_required.push((c, list));
                    }
                    _ => p(
                        &at,
                        "write `{\"if\": {\"properties\": {\"F\": {\"const\": V}}}, \"then\": {\"required\": [\"G\"]}}`".into(),
                    ),
                }
            }
        }
        for key in schema.keys() {
            if ![
                "type",
                "title",
                "description",
                "properties",
                "required",
                "dependentRequired",
                "allOf",
                "$schema",
                "$id",
            ]
            .contains(&key.as_str())
            {
                p(
                    &format!("schema.{key}"),
                    "is not a keyword Portico's forms read".into(),
                );
            }
        }
        // The layout: pages of controls.
        let mut pages = Vec::new();
        let mut placed: Vec<String> = Vec::new();
        let ui = &def.uischema;
        let mut control = |at: &str,
                           c: &Value,
                           into: &mut Vec<String>,
                           fields: &mut Vec<FieldSpec>,
                           p: &mut dyn FnMut(&str, String)| {
            if c.get("type").and_then(Value::as_str) != Some("Control") {
                p(at, "must be a `Control`".into());
                return;
            }
            let Some(name) = c
                .get("scope")
                .and_then(Value::as_str)
                .and_then(|s| s.strip_prefix("#/properties/"))
            else {
                p(
                    &format!("{at}.scope"),
                    "write `#/properties/<field>`".into(),
                );
                return;
            };
            let Some(field) = fields.iter_mut().find(|f| f.name == name) else {
                p(
                    &format!("{at}.scope"),
                    format!("`{name}` is not a property"),
                );
                return;
            };
            if placed.iter().any(|x| x == name) {
                p(&format!("{at}.scope"), format!("`{name}` is placed twice"));
                return;
            }
            placed.push(name.to_owned());
            if c.pointer("/options/multi").and_then(Value::as_bool) == Some(true)
                && field.kind == Kind::Text
            {
                field.kind = Kind::Textarea;
            }
            if let Some(rule) = c.get("rule") {
                let cond = (rule.get("effect").and_then(Value::as_str) == Some("SHOW"))
                    .then(|| {
                        let f = rule
                            .pointer("/condition/scope")?
                            .as_str()?
                            .strip_prefix("#/properties/")?;
                        Some(Condition {
                            field: f.to_owned(),
                            value: rule.pointer("/condition/schema/const")?.clone(),
                        })
                    })
                    .flatten();
                match cond {
                    Some(cond) if names.contains(&cond.field) && cond.field != name => {
                        field.show_if = Some(cond)
                    }
                    _ => p(
                        &format!("{at}.rule"),
                        "write `{\"effect\": \"SHOW\", \"condition\": {\"scope\": \"#/properties/F\", \"schema\": {\"const\": V}}}` with another field F".into(),
                    ),
                }
            }
            into.push(name.to_owned());
        };
        match ui.get("type").and_then(Value::as_str) {
            Some("Categorization") => {
                let cats = ui
                    .get("elements")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if cats.is_empty() {
                    p(
                        "uischema.elements",
                        "a categorization needs categories".into(),
                    );
                }
                for (i, cat) in cats.iter().enumerate() {
                    let at = format!("uischema.elements[{i}]");
                    if cat.get("type").and_then(Value::as_str) != Some("Category") {
                        p(&at, "must be a `Category`".into());
                        continue;
                    }
                    let mut page = PageSpec {
                        title: cat
                            .get("label")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        fields: Vec::new(),
                    };
                    let controls = cat
                        .get("elements")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for (j, c) in controls.iter().enumerate() {
                        control(
                            &format!("{at}.elements[{j}]"),
                            c,
                            &mut page.fields,
                            &mut fields,
                            &mut p,
                        );
                    }
                    if page.fields.is_empty() {
                        p(&at, "a category needs controls".into());
                    }
                    pages.push(page);
                }
            }
            Some("VerticalLayout") => {
                let mut page = PageSpec {
                    title: String::new(),
                    fields: Vec::new(),
                };
                let controls = ui
                    .get("elements")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for (j, c) in controls.iter().enumerate() {
                    control(
                        &format!("uischema.elements[{j}]"),
                        c,
                        &mut page.fields,
                        &mut fields,
                        &mut p,
                    );
                }
                pages.push(page);
            }
            _ => p(
                "uischema.type",
                "must be `Categorization` or `VerticalLayout`".into(),
            ),
        }
        for n in names.iter().filter(|n| !placed.contains(n)) {
            p("uischema", format!("`{n}` is in the schema but on no page"));
        }
        // Calculations use number fields only.
        for f in &fields {
            if let Some(expr) = &f.calculate {
                match evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(expr) {
                    Ok(tree) if operation_depth(&tree) > MAX_OPERATION_DEPTH => p(
                        &format!("schema.properties.{}.x-calculate", f.name),
                        format!("nests more than {MAX_OPERATION_DEPTH} operations in one another"),
                    ),
                    Ok(tree) => {
                        for v in tree.iter_variable_identifiers() {
                            let ok = fields.iter().any(|g| {
                                g.name == v
                                    && matches!(g.kind, Kind::Integer | Kind::Number)
                                    && g.name != f.name
                            });
                            if !ok {
                                p(
                                    &format!("schema.properties.{}.x-calculate", f.name),
                                    format!("`{v}` is not another number field"),
                                );
                            }
                        }
                    }
                    Err(e) => p(
                        &format!("schema.properties.{}.x-calculate", f.name),
                        format!("cannot be read: {e}"),
                    ),
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // Fields in page order.
        let order: Vec<String> = pages.iter().flat_map(|p| p.fields.clone()).collect();
        fields.sort_by_key(|f| order.iter().position(|n| *n == f.name));
        Ok(Form {
            def,
            fields,
            pages,
            required,
            dependent_required,
            conditional_required,
        })
    }
}

fn field_spec(name: &str, prop: &Value) -> Result<FieldSpec, Problems> {
    let at = format!("schema.properties.{name}");
    let mut problems: Problems = Vec::new();
    let mut p = |key: &str, m: String| problems.push((format!("{at}{key}"), m));
    if name.is_empty()
        || name.len() > 60
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.starts_with('_')
    {
        p(
            "",
            "a field's name is 1 to 60 letters, digits or `_`, not starting with `_`".into(),
        );
    }
    let Some(o) = prop.as_object() else {
        p("", "must be an object".into());
        return Err(problems);
    };
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let num = |k: &str| o.get(k).and_then(Value::as_f64).map(|n| n.to_string());
    let choices_of = |v: &Value| -> Option<Vec<(String, String)>> {
        if let Some(e) = v.get("enum").and_then(Value::as_array) {
            return Some(
                e.iter()
                    .map(|x| {
                        let v = x.as_str().map_or_else(|| x.to_string(), str::to_owned);
                        (v.clone(), v)
                    })
                    .collect(),
            );
        }
        v.get("oneOf").and_then(Value::as_array).map(|a| {
            a.iter()
                .map(|x| {
                    let c = x.get("const").cloned().unwrap_or(Value::Null);
                    let v = c.as_str().map_or_else(|| c.to_string(), str::to_owned);
                    let t = x
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or(&v)
                        .to_owned();
                    (v, t)
                })
                .collect()
        })
    };
    let ty = s("type").unwrap_or_default();
    let mut choices = Vec::new();
    let kind = match ty.as_str() {
        "string" if o.contains_key("contentMediaType") => Kind::File,
        "string" if o.contains_key("enum") || o.contains_key("oneOf") => {
            choices = choices_of(prop).unwrap_or_default();
            Kind::Choice
        }
        "string" => match s("format").as_deref() {
            None => Kind::Text,
            Some("date") => Kind::Date,
            Some("email") => Kind::Email,
            Some("phone") => Kind::Phone,
            Some(other) => {
                p(
                    ".format",
                    format!("`{other}` is not one of date, email, phone"),
                );
                Kind::Text
            }
        },
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Consent,
        "array" => {
            match o.get("items").and_then(choices_of) {
                Some(c) => choices = c,
                None => p(
                    ".items",
                    "a list of several choices needs `enum` or `oneOf`".into(),
                ),
            }
            Kind::MultiChoice
        }
        other => {
            p(
                ".type",
                format!("`{other}` is not one of string, integer, number, boolean, array"),
            );
            Kind::Text
        }
    };
    if matches!(kind, Kind::Choice | Kind::MultiChoice) && choices.is_empty() {
        p("", "a choice needs at least one answer".into());
    }
    let pattern = s("pattern");
    if let Some(re) = &pattern
        && let Err(e) = regex_lite::Regex::new(re)
    {
        p(".pattern", format!("is not a regular expression: {e}"));
    }
    let prefill = s("x-prefill");
    if let Some(c) = &prefill
        && !CLAIMS.contains(&c.as_str())
    {
        p(
            ".x-prefill",
            format!("`{c}` is not one of {}", CLAIMS.join(", ")),
        );
    }
    let calculate = s("x-calculate");
    if calculate.is_some() && !matches!(kind, Kind::Integer | Kind::Number) {
        p(".x-calculate", "only a number field is calculated".into());
    }
    if let Some(problem) = calculate.as_deref().and_then(expression_problem) {
        p(".x-calculate", problem);
    }
    let max_bytes = o
        .get("x-max-bytes")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_MAX_BYTES);
    if max_bytes == 0 || max_bytes > MAX_MAX_BYTES {
        p(".x-max-bytes", "must be from 1 to 10485760".into());
    }
    if kind == Kind::Consent && o.get("const").is_some_and(|c| c != &Value::Bool(true)) {
        p(".const", "a consent's `const` can only be `true`".into());
    }
    let (min, max) = if kind == Kind::Date {
        (s("formatMinimum"), s("formatMaximum"))
    } else {
        (num("minimum"), num("maximum"))
    };
    let title = s("title").unwrap_or_else(|| name.to_owned());
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(FieldSpec {
        name: name.to_owned(),
        title,
        description: s("description").unwrap_or_default(),
        kind,
        choices,
        min,
        max,
        min_len: o.get("minLength").and_then(Value::as_u64),
        max_len: o.get("maxLength").and_then(Value::as_u64),
        pattern,
        prefill,
        read_only: o.get("readOnly").and_then(Value::as_bool).unwrap_or(false)
            || calculate.is_some(),
        calculate,
        accept: s("contentMediaType"),
        max_bytes,
        show_if: None,
    })
}

/// The answers of a form: field → value (text, a number, true, a list, or
/// a file `{id, name, size}`).
pub type Answers = Map<String, Value>;

impl Condition {
    pub fn holds(&self, answers: &Answers) -> bool {
        let given = answers.get(&self.field).unwrap_or(&Value::Null);
        given == &self.value
            || given
                .as_str()
                .is_some_and(|s| Some(s) == self.value.as_str())
            || (self.value.is_number() && given.as_f64() == self.value.as_f64())
    }
}

impl Form {
    /// Whether `field` is shown with these answers.
    pub fn shown(&self, field: &FieldSpec, answers: &Answers) -> bool {
        field.show_if.as_ref().is_none_or(|c| c.holds(answers))
    }

    /// Whether `field` must be answered with these answers.
    pub fn is_required(&self, field: &FieldSpec, answers: &Answers) -> bool {
        if !self.shown(field, answers) {
            return false;
        }
        let given = |n: &str| answers.get(n).is_some_and(|v| !is_empty(v));
        self.required.contains(&field.name)
            || self
                .dependent_required
                .iter()
                .any(|(k, list)| given(k) && list.contains(&field.name))
            || self
                .conditional_required
                .iter()
                .any(|(c, list)| c.holds(answers) && list.contains(&field.name))
    }

    /// Fills in the calculated fields.
    pub fn calculate(&self, answers: &mut Answers) {
        use evalexpr::{ContextWithMutableVariables, DefaultNumericTypes, HashMapContext};
        let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
        for f in self
            .fields
            .iter()
            .filter(|f| matches!(f.kind, Kind::Integer | Kind::Number))
        {
            let n = answers.get(&f.name).and_then(Value::as_f64).unwrap_or(0.0);
            let _ = ctx.set_value(f.name.clone(), evalexpr::Value::from_float(n));
        }
        for f in &self.fields {
            if let Some(expr) = &f.calculate {
                let value = evalexpr::build_operator_tree::<DefaultNumericTypes>(expr)
                    .and_then(|t| t.eval_number_with_context(&ctx))
                    .ok()
                    .filter(|n| n.is_finite());
                match value {
                    Some(n) => {
                        answers.insert(f.name.clone(), number(n));
                    }
                    None => {
                        answers.remove(&f.name);
                    }
                }
            }
        }
    }

    /// Checks the answers of the fields `names` (one page, or all); the
    /// problems name the fields, in `en`glish or Czech.
    pub fn check(&self, names: &[String], answers: &Answers, en: bool) -> Vec<(String, String)> {
        let t = |e: &str, c: &str| if en { e } else { c }.to_owned();
        let mut out = Vec::new();
        for f in self.fields.iter().filter(|f| names.contains(&f.name)) {
            if !self.shown(f, answers) {
                continue;
            }
            let v = answers.get(&f.name).unwrap_or(&Value::Null);
            if is_empty(v) {
                if self.is_required(f, answers) {
                    out.push((
                        f.name.clone(),
                        match f.kind {
                            Kind::Consent => {
                                t("Tick the box to go on.", "Pro pokračování zaškrtněte.")
                            }
                            Kind::File => t("Choose a file.", "Vyberte soubor."),
                            _ => t("Fill this in.", "Vyplňte prosím."),
                        },
                    ));
                }
                continue;
            }
            if let Some(problem) = check_value(f, v, en) {
                out.push((f.name.clone(), problem));
            }
        }
        out
    }
}

pub fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Bool(b) => !b,
        _ => false,
    }
}

fn check_value(f: &FieldSpec, v: &Value, en: bool) -> Option<String> {
    let t = |e: String, c: String| Some(if en { e } else { c });
    let text = v.as_str().unwrap_or_default();
    match f.kind {
        Kind::Integer | Kind::Number => {
            let n = v.as_f64()?;
            if f.kind == Kind::Integer && n.fract() != 0.0 {
                return t("Give a whole number.".into(), "Zadejte celé číslo.".into());
            }
            let min = f.min.as_deref().and_then(|m| m.parse::<f64>().ok());
            let max = f.max.as_deref().and_then(|m| m.parse::<f64>().ok());
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                return Some(out_of_range(f, ("a number", "číslo"), en));
            }
            None
        }
        Kind::Date => {
            if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() {
                return t(
                    "Give a date as YYYY-MM-DD.".into(),
                    "Zadejte datum ve tvaru RRRR-MM-DD.".into(),
                );
            }
            if f.min.as_deref().is_some_and(|m| text < m)
                || f.max.as_deref().is_some_and(|m| text > m)
            {
                return Some(out_of_range(f, ("a date", "datum"), en));
            }
            None
        }
        Kind::Choice => (!f.choices.iter().any(|(k, _)| k == text)).then(|| {
            let keys: Vec<&str> = f.choices.iter().map(|(_, l)| l.as_str()).collect();
            if en {
                format!("Choose one of: {}.", keys.join(", "))
            } else {
                format!("Vyberte jednu z možností: {}.", keys.join(", "))
            }
        }),
        Kind::MultiChoice => {
            let list = v.as_array()?;
            list.iter()
                .filter_map(Value::as_str)
                .find(|x| !f.choices.iter().any(|(k, _)| k == x))
                .map(|x| {
                    if en {
                        format!("`{x}` is not one of the choices.")
                    } else {
                        format!("`{x}` není mezi možnostmi.")
                    }
                })
        }
        Kind::Consent | Kind::File => None,
        Kind::Text | Kind::Textarea | Kind::Email | Kind::Phone => {
            let len = text.chars().count() as u64;
            let max_len = f
                .max_len
                .unwrap_or(if f.kind == Kind::Textarea { 4000 } else { 300 });
            if len > max_len {
                return t(
                    format!("Use at most {max_len} characters."),
                    format!("Použijte nejvýše {max_len} znaků."),
                );
            }
            if f.min_len.is_some_and(|m| len < m) {
                let m = f.min_len.unwrap_or_default();
                return t(
                    format!("Use at least {m} characters."),
                    format!("Použijte alespoň {m} znaků."),
                );
            }
            if f.kind == Kind::Email && !is_email(text) {
                return t(
                    "Give an e-mail address such as jana@example.cz.".into(),
                    "Zadejte e-mail ve tvaru jana@example.cz.".into(),
                );
            }
            if f.kind == Kind::Phone && !is_phone(text) {
                return t(
                    "Give a phone number such as +420 601 234 567.".into(),
                    "Zadejte telefon ve tvaru +420 601 234 567.".into(),
                );
            }
            if let Some(re) = &f.pattern {
                let whole = format!("^(?:{re})$");
                if regex_lite::Regex::new(&whole).is_ok_and(|r| !r.is_match(text)) {
                    return t(
                        format!("This does not have the expected form{}.", hint(f)),
                        format!("Hodnota nemá očekávaný tvar{}.", hint(f)),
                    );
                }
            }
            None
        }
    }
}

/// "Give a number from 1 to 5.": the field's range, for a value outside it.
fn out_of_range(f: &FieldSpec, what: (&str, &str), en: bool) -> String {
    let (min, max) = (
        f.min.as_deref().unwrap_or("…"),
        f.max.as_deref().unwrap_or("…"),
    );
    if en {
        format!("Give {} from {min} to {max}.", what.0)
    } else {
        format!("Zadejte {} od {min} do {max}.", what.1)
    }
}

/// The field's description as a hint after a refused pattern.
fn hint(f: &FieldSpec) -> String {
    if f.description.is_empty() {
        String::new()
    } else {
        format!(" ({})", f.description)
    }
}

pub fn is_email(s: &str) -> bool {
    let s = s.trim();
    s.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.contains(char::is_whitespace)
            && s.len() <= 254
    })
}

pub fn is_phone(s: &str) -> bool {
    let s = s.trim();
    (6..=20).contains(&s.chars().count())
        && s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
        && s.chars().filter(char::is_ascii_digit).count() >= 6
}
