//! A form's answers: which fields are shown and required with them, the
//! calculated values, and the checks of each answer against its field,
//! with messages in English or Czech.

use serde_json::{Map, Value};

use super::{Condition, FieldSpec, Form, Kind};

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
        self.is_required_beside(field, answers, &|_| false)
    }

    /// Whether `field` must be answered with these answers, the
    /// conditions `left` leaves out not counted (the portal decides
    /// those live).
    pub fn is_required_beside(
        &self,
        field: &FieldSpec,
        answers: &Answers,
        left: &dyn Fn(&Condition) -> bool,
    ) -> bool {
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
                .any(|(c, list)| !left(c) && c.holds(answers) && list.contains(&field.name))
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
            if let Some(c) = &f.calculation {
                let numbers: Vec<f64> = c
                    .fields
                    .iter()
                    .map(|n| answers.get(n).and_then(Value::as_f64).unwrap_or(0.0))
                    .collect();
                let n = c.operation.over(&numbers) * c.factor.unwrap_or(1.0);
                if n.is_finite() {
                    answers.insert(f.name.clone(), number(n));
                } else {
                    answers.remove(&f.name);
                }
            }
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

    /// Checks a posted page (`names`) as [`check`](Self::check) does, but
    /// a question these answers brought up (shown now, not when the page
    /// was drawn, `was_shown`, and not yet answered) is no problem: it is
    /// returned apart, to be asked. A browser without script shows it only
    /// now, so it is never first an error.
    pub fn check_posted(
        &self,
        names: &[String],
        answers: &Answers,
        en: bool,
        was_shown: &dyn Fn(&FieldSpec) -> bool,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let brought_up: Vec<String> = self
            .fields
            .iter()
            .filter(|f| names.contains(&f.name))
            .filter(|f| {
                self.shown(f, answers) && !was_shown(f) && answers.get(&f.name).is_none_or(is_empty)
            })
            .map(|f| f.name.clone())
            .collect();
        let problems = self
            .check(names, answers, en)
            .into_iter()
            .filter(|(n, _)| !brought_up.contains(n))
            .collect();
        (problems, brought_up)
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
