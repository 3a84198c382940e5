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
//! `email`, `phone_number`), and a calculation: `x-calculation` as the
//! form builder sets it up by picking fields (`{"operation": "sum" |
//! "product" | "difference" | "quotient", "fields": [...], "factor": n}`),
//! or `x-calculate`, an arithmetic expression over number fields, for
//! those who write one. At the top: `required`, `dependentRequired`, and
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
//!
//! `mod.rs` holds the definition, the types it is read into and the
//! bounds; `reading.rs` reads and checks a definition into a [`Form`];
//! `answers.rs` shows, requires, calculates and checks a form's answers.
//! The fuzz target `form_definition` compiles this folder alone, by
//! `#[path]` to this file: its files name one another by `super::` only,
//! never `crate::`, and use nothing of the module around them.

mod answers;
mod reading;

pub use answers::{Answers, is_empty, number};
pub use reading::choices_of;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
                (
                    format!(
                        "is more than {MAX_DEPTH} levels deep at line {}, column {}",
                        e.line(),
                        e.column()
                    ),
                    format!(
                        "je vnořena hlouběji než {MAX_DEPTH} úrovní na řádku {}, sloupci {}",
                        e.line(),
                        e.column()
                    ),
                )
            } else {
                (
                    format!("is not a definition: {e}"),
                    format!(
                        "není definice: na řádku {}, sloupci {} je chyba JSON ({e})",
                        e.line(),
                        e.column()
                    ),
                )
            };
            vec![Problem::new("definition", message)]
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
fn expression_problem(expr: &str) -> Option<Said> {
    if expr.chars().count() > MAX_EXPRESSION_CHARS {
        return Some((
            format!("is longer than {MAX_EXPRESSION_CHARS} characters"),
            format!("je delší než {MAX_EXPRESSION_CHARS} znaků"),
        ));
    }
    let mut depth = 0usize;
    for c in expr.chars() {
        match c {
            '(' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    return Some((
                        format!("nests brackets more than {MAX_BRACKET_DEPTH} levels deep"),
                        format!("vnořuje závorky hlouběji než {MAX_BRACKET_DEPTH} úrovní"),
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
    /// A calculation set up by picking fields (`x-calculation`).
    pub calculation: Option<Calculation>,
    pub accept: Option<String>,
    pub max_bytes: u64,
    /// Shown (and so checked) only when this holds.
    pub show_if: Option<Condition>,
}

/// A value worked out from number fields, as the builder sets it up: no
/// expression to write, and one the portal can keep up to date live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calculation {
    pub operation: Operation,
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
}

/// How a [`Calculation`] goes: the fields added up, multiplied, the first
/// less the others, the first divided by the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Sum,
    Product,
    Difference,
    Quotient,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Sum,
        Operation::Product,
        Operation::Difference,
        Operation::Quotient,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Operation::Sum => "sum",
            Operation::Product => "product",
            Operation::Difference => "difference",
            Operation::Quotient => "quotient",
        }
    }

    pub fn parse(key: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.key() == key)
    }

    /// How a person names it: "the sum of", "součet".
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Operation::Sum, true) => "the sum of",
            (Operation::Sum, false) => "součet",
            (Operation::Product, true) => "the product of",
            (Operation::Product, false) => "součin",
            (Operation::Difference, true) => "the first less the others",
            (Operation::Difference, false) => "první minus ostatní",
            (Operation::Quotient, true) => "the first divided by the others",
            (Operation::Quotient, false) => "první dělené ostatními",
        }
    }

    /// The result over `numbers` (at least one), before the factor.
    pub fn over(self, numbers: &[f64]) -> f64 {
        let (first, rest) = numbers.split_first().unwrap_or((&0.0, &[]));
        rest.iter().fold(*first, |acc, n| match self {
            Operation::Sum => acc + n,
            Operation::Product => acc * n,
            Operation::Difference => acc - n,
            Operation::Quotient => acc / n,
        })
    }
}

impl FieldSpec {
    /// Whether the field's value is worked out, not typed.
    pub fn calculated(&self) -> bool {
        self.calculate.is_some() || self.calculation.is_some()
    }
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

/// A problem with a definition: where it is (its JSON path, which names
/// the field) and what is wrong, in English and Czech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub en: String,
    pub cs: String,
}

impl Problem {
    fn new(at: impl Into<String>, (en, cs): Said) -> Problem {
        Problem {
            at: at.into(),
            en,
            cs,
        }
    }

    /// What is wrong, in English or else Czech.
    pub fn say(&self, en: bool) -> &str {
        if en { &self.en } else { &self.cs }
    }
}

/// A message in English and Czech.
type Said = (String, String);

fn t(en: &str, cs: &str) -> Said {
    (en.to_owned(), cs.to_owned())
}

/// Problems with a definition.
pub type Problems = Vec<Problem>;
