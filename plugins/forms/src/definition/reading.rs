//! Reading a definition into a [`Form`]: its top (code, title, access),
//! the schema's properties into fields with their checks, the required,
//! dependent and conditional fields, the layout into pages with their
//! rules, and the calculations, every problem named by its JSON path.

use serde_json::{Map, Value};

use super::{
    ACCESS, CLAIMS, Condition, DEFAULT_MAX_BYTES, Definition, FieldSpec, Form, Kind, MAX_DEPTH,
    MAX_MAX_BYTES, MAX_OPERATION_DEPTH, PageSpec, Problems, expression_problem, operation_depth,
    too_deep,
};

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
