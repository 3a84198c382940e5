//! Reading a definition into a [`Form`]: its top (code, title, access),
//! the schema's properties into fields with their checks, the required,
//! dependent and conditional fields, the layout into pages with their
//! rules, and the calculations, every problem named by its JSON path.

use serde_json::{Map, Value};

use super::{
    ACCESS, CLAIMS, Calculation, Condition, DEFAULT_MAX_BYTES, Definition, FieldSpec, Form, Kind,
    MAX_DEPTH, MAX_MAX_BYTES, MAX_OPERATION_DEPTH, PageSpec, Problem, Problems, Said,
    expression_problem, operation_depth, t, too_deep,
};

impl Form {
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Reads a definition; every problem names where it is.
    pub fn read(def: Definition) -> Result<Form, Problems> {
        if let Some(at) = too_deep(&def) {
            return Err(vec![Problem::new(
                at,
                (
                    format!("is more than {MAX_DEPTH} levels deep"),
                    format!("je vnořeno hlouběji než {MAX_DEPTH} úrovní"),
                ),
            )]);
        }
        let mut problems: Problems = Vec::new();
        let mut p = |at: &str, m: Said| problems.push(Problem::new(at, m));
        if def.code.is_empty()
            || def.code.len() > 60
            || !def
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            p(
                "code",
                t(
                    "use 1 to 60 small letters, digits or `-`",
                    "použijte 1 až 60 malých písmen, číslic nebo `-`",
                ),
            );
        }
        if def.title.trim().is_empty() || def.title.chars().count() > 200 {
            p(
                "title",
                t(
                    "give a title of 1 to 200 characters",
                    "zadejte název o 1 až 200 znacích",
                ),
            );
        }
        if !ACCESS.contains(&def.access.as_str()) {
            p(
                "access",
                (
                    format!("`{}` is not one of {}", def.access, ACCESS.join(", ")),
                    format!("`{}` není jedno z {}", def.access, ACCESS.join(", ")),
                ),
            );
        }
        let empty = Map::new();
        let schema = def.schema.as_object().unwrap_or(&empty);
        if !def.schema.is_object() {
            p(
                "schema",
                t(
                    "must be a JSON Schema object",
                    "musí být objekt JSON Schema",
                ),
            );
        } else if schema.get("type").and_then(Value::as_str) != Some("object") {
            p("schema.type", t("must be `object`", "musí být `object`"));
        }
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if properties.is_empty() {
            p(
                "schema.properties",
                t("the form has no fields", "formulář nemá žádná pole"),
            );
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
        let mut p = |at: &str, m: Said| problems.push(Problem::new(at, m));
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
            p(
                "schema.required",
                (
                    format!("`{r}` is not a property"),
                    format!("`{r}` není vlastnost (pole) schématu"),
                ),
            );
        }
        let mut dependent_required = Vec::new();
        if let Some(dr) = schema.get("dependentRequired").and_then(Value::as_object) {
            for (k, v) in dr {
                let list = strings(Some(v)).unwrap_or_default();
                for n in std::iter::once(k).chain(list.iter()).filter(|n| !known(n)) {
                    p(
                        &format!("schema.dependentRequired.{k}"),
                        (
                            format!("`{n}` is not a property"),
                            format!("`{n}` není vlastnost (pole) schématu"),
                        ),
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
                        for n in std::iter::once(&c.field)
                            .chain(list.iter())
                            .filter(|n| !known(n))
                        {
                            p(
                                &at,
                                (
                                    format!("`{n}` is not a property"),
                                    format!("`{n}` není vlastnost (pole) schématu"),
                                ),
                            );
                        }
                        conditional_required.push((c, list));
                    }
                    _ => p(
                        &at,
                        t(
                            "write `{\"if\": {\"properties\": {\"F\": {\"const\": V}}}, \"then\": {\"required\": [\"G\"]}}`",
                            "zapište `{\"if\": {\"properties\": {\"F\": {\"const\": V}}}, \"then\": {\"required\": [\"G\"]}}`",
                        ),
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
                    t(
                        "is not a keyword Portico's forms read",
                        "není klíčové slovo, které formuláře Portica čtou",
                    ),
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
                           p: &mut dyn FnMut(&str, Said)| {
            if c.get("type").and_then(Value::as_str) != Some("Control") {
                p(at, t("must be a `Control`", "musí být `Control`"));
                return;
            }
            let Some(name) = c
                .get("scope")
                .and_then(Value::as_str)
                .and_then(|s| s.strip_prefix("#/properties/"))
            else {
                p(
                    &format!("{at}.scope"),
                    t(
                        "write `#/properties/<field>`",
                        "zapište `#/properties/<pole>`",
                    ),
                );
                return;
            };
            let Some(field) = fields.iter_mut().find(|f| f.name == name) else {
                p(
                    &format!("{at}.scope"),
                    (
                        format!("`{name}` is not a property"),
                        format!("`{name}` není vlastnost (pole) schématu"),
                    ),
                );
                return;
            };
            if placed.iter().any(|x| x == name) {
                p(
                    &format!("{at}.scope"),
                    (
                        format!("`{name}` is placed twice"),
                        format!("`{name}` je umístěno dvakrát"),
                    ),
                );
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
                        t(
                            "write `{\"effect\": \"SHOW\", \"condition\": {\"scope\": \"#/properties/F\", \"schema\": {\"const\": V}}}` with another field F",
                            "zapište `{\"effect\": \"SHOW\", \"condition\": {\"scope\": \"#/properties/F\", \"schema\": {\"const\": V}}}` s jiným polem F",
                        ),
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
                        t(
                            "a categorization needs categories",
                            "členění (Categorization) potřebuje kategorie",
                        ),
                    );
                }
                for (i, cat) in cats.iter().enumerate() {
                    let at = format!("uischema.elements[{i}]");
                    if cat.get("type").and_then(Value::as_str) != Some("Category") {
                        p(&at, t("must be a `Category`", "musí být `Category`"));
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
                        p(
                            &at,
                            t(
                                "a category needs controls",
                                "kategorie potřebuje pole (Control)",
                            ),
                        );
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
                t(
                    "must be `Categorization` or `VerticalLayout`",
                    "musí být `Categorization` nebo `VerticalLayout`",
                ),
            ),
        }
        for n in names.iter().filter(|n| !placed.contains(n)) {
            p(
                "uischema",
                (
                    format!("`{n}` is in the schema but on no page"),
                    format!("`{n}` je ve schématu, ale na žádné stránce"),
                ),
            );
        }
        // Calculations use number fields only.
        for f in &fields {
            if let Some(expr) = &f.calculate {
                match evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(expr) {
                    Ok(tree) if operation_depth(&tree) > MAX_OPERATION_DEPTH => p(
                        &format!("schema.properties.{}.x-calculate", f.name),
                        (
                            format!(
                                "nests more than {MAX_OPERATION_DEPTH} operations in one another"
                            ),
                            format!("vnořuje do sebe více než {MAX_OPERATION_DEPTH} operací"),
                        ),
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
                                    (
                                        format!("`{v}` is not another number field"),
                                        format!("`{v}` není jiné číselné pole"),
                                    ),
                                );
                            }
                        }
                    }
                    Err(e) => p(
                        &format!("schema.properties.{}.x-calculate", f.name),
                        (
                            format!("cannot be read: {e}"),
                            format!("nelze přečíst: {e}"),
                        ),
                    ),
                }
            }
        }
        for f in &fields {
            let Some(c) = &f.calculation else { continue };
            let at = format!("schema.properties.{}.x-calculation", f.name);
            if c.fields.is_empty() {
                p(
                    &at,
                    t(
                        "pick at least one number field",
                        "vyberte alespoň jedno číselné pole",
                    ),
                );
            }
            for v in &c.fields {
                let ok = fields.iter().any(|g| {
                    g.name == *v
                        && matches!(g.kind, Kind::Integer | Kind::Number)
                        && g.name != f.name
                });
                if !ok {
                    p(
                        &at,
                        (
                            format!("`{v}` is not another number field"),
                            format!("`{v}` není jiné číselné pole"),
                        ),
                    );
                }
            }
            if c.factor.is_some_and(|n| !n.is_finite()) {
                p(
                    &at,
                    t("the factor must be a number", "násobek musí být číslo"),
                );
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
    let mut p = |key: &str, m: Said| problems.push(Problem::new(format!("{at}{key}"), m));
    if name.is_empty()
        || name.len() > 60
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.starts_with('_')
    {
        p(
            "",
            t(
                "a field's name is 1 to 60 letters, digits or `_`, not starting with `_`",
                "název pole tvoří 1 až 60 písmen, číslic nebo `_` a nezačíná `_`",
            ),
        );
    }
    let Some(o) = prop.as_object() else {
        p("", t("must be an object", "musí být objekt"));
        return Err(problems);
    };
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let num = |k: &str| o.get(k).and_then(Value::as_f64).map(|n| n.to_string());
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
                    (
                        format!("`{other}` is not one of date, email, phone"),
                        format!("`{other}` není jedno z date, email, phone"),
                    ),
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
                    t(
                        "a list of several choices needs `enum` or `oneOf`",
                        "seznam více možností potřebuje `enum` nebo `oneOf`",
                    ),
                ),
            }
            Kind::MultiChoice
        }
        other => {
            p(
                ".type",
                (
                    format!("`{other}` is not one of string, integer, number, boolean, array"),
                    format!("`{other}` není jedno z string, integer, number, boolean, array"),
                ),
            );
            Kind::Text
        }
    };
    if matches!(kind, Kind::Choice | Kind::MultiChoice) && choices.is_empty() {
        p(
            "",
            t(
                "a choice needs at least one answer",
                "výběr potřebuje alespoň jednu možnost",
            ),
        );
    }
    let pattern = s("pattern");
    if let Some(re) = &pattern
        && let Err(e) = regex_lite::Regex::new(re)
    {
        p(
            ".pattern",
            (
                format!("is not a regular expression: {e}"),
                format!("není regulární výraz: {e}"),
            ),
        );
    }
    let prefill = s("x-prefill");
    if let Some(c) = &prefill
        && !CLAIMS.contains(&c.as_str())
    {
        p(
            ".x-prefill",
            (
                format!("`{c}` is not one of {}", CLAIMS.join(", ")),
                format!("`{c}` není jedno z {}", CLAIMS.join(", ")),
            ),
        );
    }
    let calculate = s("x-calculate");
    if calculate.is_some() && !matches!(kind, Kind::Integer | Kind::Number) {
        p(
            ".x-calculate",
            t(
                "only a number field is calculated",
                "vypočítat lze jen číselné pole",
            ),
        );
    }
    let calculation = match o
        .get("x-calculation")
        .cloned()
        .map(serde_json::from_value::<Calculation>)
    {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            p(
                ".x-calculation",
                t(
                    "write `{\"operation\": \"sum\", \"fields\": [\"F\", \"G\"], \"factor\": 1}` with an operation of sum, product, difference, quotient",
                    "zapište `{\"operation\": \"sum\", \"fields\": [\"F\", \"G\"], \"factor\": 1}` s operací sum, product, difference nebo quotient",
                ),
            );
            None
        }
    };
    if calculation.is_some() && !matches!(kind, Kind::Integer | Kind::Number) {
        p(
            ".x-calculation",
            t(
                "only a number field is calculated",
                "vypočítat lze jen číselné pole",
            ),
        );
    }
    if calculation.is_some() && calculate.is_some() {
        p(
            ".x-calculation",
            t(
                "a field has `x-calculation` or `x-calculate`, not both",
                "pole má `x-calculation`, nebo `x-calculate`, ne obojí",
            ),
        );
    }
    if let Some(problem) = calculate.as_deref().and_then(expression_problem) {
        p(".x-calculate", problem);
    }
    let max_bytes = o
        .get("x-max-bytes")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_MAX_BYTES);
    if max_bytes == 0 || max_bytes > MAX_MAX_BYTES {
        p(
            ".x-max-bytes",
            t("must be from 1 to 10485760", "musí být od 1 do 10485760"),
        );
    }
    if kind == Kind::Consent && o.get("const").is_some_and(|c| c != &Value::Bool(true)) {
        p(
            ".const",
            t(
                "a consent's `const` can only be `true`",
                "`const` souhlasu může být jen `true`",
            ),
        );
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
            || calculate.is_some()
            || calculation.is_some(),
        calculate,
        calculation,
        accept: s("contentMediaType"),
        max_bytes,
        show_if: None,
    })
}

/// The choices a property (or an array's `items`) offers: `enum` values,
/// or `oneOf` of `{const, title}`, as (key, label).
pub fn choices_of(v: &Value) -> Option<Vec<(String, String)>> {
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
}
