//! A module's form as HTML: it posts only to the module's own pages and
//! carries the CSRF token; a refused form lists its errors at the top,
//! each linked to its field; every field has its label, its help and its
//! error tied to it for assistive technology.

use std::collections::HashMap;

use maud::{Markup, html};
use portico_runtime::api::{Condition, FieldKind, Form, FormField};

use super::{CSRF_FIELD, Shell, module_href, tr};

pub(super) fn form_html(base: &str, shell: &Shell, form: &Form) -> Markup {
    let lang = shell.lang.as_str();
    // A form posts only to the module's own pages.
    let action = if form.action.starts_with('/') {
        module_href(base, &form.action)
    } else {
        None
    };
    let has_errors = form.fields.iter().any(|f| f.error.is_some());
    let uploads = form
        .fields
        .iter()
        .any(|f| f.kind == FieldKind::File)
        .then_some("multipart/form-data");
    let live = form
        .fields
        .iter()
        .any(|f| f.shown_when.is_some() || f.required_when.is_some() || f.calculation.is_some());
    let drawn = Drawn::of(&form.fields);
    html! {
        form method="post" action=(action.unwrap_or_default()) enctype=[uploads] novalidate
            data-live[live] {
            input type="hidden" name=(CSRF_FIELD) value=(shell.csrf);
            @if has_errors {
                div.notice.notice-error role="alert" {
                    p { (tr(lang, "Please correct the marked fields.", "Opravte prosím označená pole.")) }
                    ul {
                        @for f in form.fields.iter().filter(|f| f.error.is_some()) {
                            li { a href=(format!("#f-{}", f.name)) { (f.label) ": " (f.error.as_deref().unwrap_or_default()) } }
                        }
                    }
                }
            }
            @for field in &form.fields {
                @let rules = drawn.rules(field);
                @if field.kind == FieldKind::Place {
                    (place_html(shell, field, &rules))
                } @else {
                    (field_html(lang, field, &rules))
                }
            }
            div.buttons {
                button.button.primary type="submit" { (form.submit_label) }
                @for b in &form.buttons {
                    " "
                    button.button type="submit" name="_button" value=(b.name) { (b.label) }
                }
            }
        }
    }
}

/// The values a form is drawn with, field by field: what its conditions
/// are told by before the person changes anything.
struct Drawn<'a>(HashMap<&'a str, Vec<&'a str>>);

/// How one field's rules are drawn: whether it is hidden and required
/// now, and the rules for the form script, as JSON.
struct Rules {
    hidden: bool,
    required: bool,
    shown_when: Option<String>,
    required_when: Option<String>,
    calculation: Option<String>,
}

/// A field's value as drawn. A select or a radio field without one shows
/// the first of its `selected` choices, as modules name a choice either way.
fn current(f: &FormField) -> &str {
    match f.value.as_deref() {
        Some(v) if !v.is_empty() => v,
        _ if matches!(f.kind, FieldKind::Select | FieldKind::Radio) => {
            f.selected.first().map_or("", String::as_str)
        }
        _ => "",
    }
}

impl<'a> Drawn<'a> {
    fn of(fields: &'a [FormField]) -> Self {
        let mut values: HashMap<&str, Vec<&str>> = HashMap::new();
        for f in fields {
            let value = current(f);
            let now: Vec<&str> = match f.kind {
                FieldKind::Checkboxes => f.selected.iter().map(String::as_str).collect(),
                FieldKind::Checkbox if matches!(value, "true" | "on") => vec!["true"],
                FieldKind::Checkbox => Vec::new(),
                _ if value.is_empty() => Vec::new(),
                _ => vec![value],
            };
            values.entry(f.name.as_str()).or_default().extend(now);
        }
        Drawn(values)
    }

    fn holds(&self, c: &Condition) -> bool {
        self.0
            .get(c.field.as_str())
            .is_some_and(|now| now.iter().any(|v| c.values.iter().any(|w| w == v)))
    }

    fn rules(&self, f: &FormField) -> Rules {
        let hidden = f.shown_when.as_ref().is_some_and(|c| !self.holds(c));
        Rules {
            hidden,
            required: !hidden
                && (f.required || f.required_when.as_ref().is_some_and(|c| self.holds(c))),
            shown_when: f.shown_when.as_ref().map(json),
            required_when: f.required_when.as_ref().map(json),
            calculation: f.calculation.as_ref().map(json),
        }
    }
}

/// A rule as the form script reads it.
fn json(rule: &impl serde::Serialize) -> String {
    serde_json::to_string(rule).unwrap_or_default()
}

fn field_html(lang: &str, f: &FormField, rules: &Rules) -> Markup {
    let required = tr(lang, "(required)", "(povinné)");
    let id = format!("f-{}", f.name);
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let mut described = Vec::new();
    if f.help.is_some() {
        described.push(help_id.clone());
    }
    if f.error.is_some() {
        described.push(error_id.clone());
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    let invalid = f.error.as_ref().map(|_| "true");
    // A secret is never drawn back into the page.
    let value = match f.kind {
        FieldKind::Password => String::new(),
        _ => current(f).to_owned(),
    };
    if f.kind == FieldKind::Hidden {
        return html! { input type="hidden" name=(f.name) value=(value); };
    }
    let input_type = match f.kind {
        FieldKind::Number => "number",
        FieldKind::Date => "date",
        FieldKind::Email => "email",
        FieldKind::Tel => "tel",
        FieldKind::File => "file",
        FieldKind::Password => "password",
        _ => "text",
    };
    // Text-like fields can be read-only; they say so in their label.
    let read_only = f.read_only
        && matches!(
            f.kind,
            FieldKind::Text
                | FieldKind::Textarea
                | FieldKind::Number
                | FieldKind::Date
                | FieldKind::Email
                | FieldKind::Tel
        );
    let fixed = tr(lang, "(cannot be changed)", "(nelze změnit)");
    if matches!(f.kind, FieldKind::Radio | FieldKind::Checkboxes) {
        let radio = f.kind == FieldKind::Radio;
        let kind = if radio { "radio" } else { "checkbox" };
        let checked = |v: &str| {
            if radio {
                v == value
            } else {
                f.selected.iter().any(|s| s == v)
            }
        };
        return html! {
            fieldset.field.choices.field-error[f.error.is_some()] #(id) aria-describedby=[described.as_deref()]
                hidden[rules.hidden] data-shown-when=[rules.shown_when.as_deref()]
                data-required-when=[rules.required_when.as_deref()] {
                legend { (f.label) @if f.required || f.required_when.is_some() { " " span.required hidden[!rules.required] { (required) } } }
                @for (i, c) in f.choices.iter().enumerate() {
                    @let choice_id = format!("{id}-{i}");
                    div.choice {
                        input #(choice_id) type=(kind) name=(f.name) value=(c.value) checked[checked(&c.value)];
                        label for=(choice_id) { (c.label) }
                    }
                }
                @if let Some(help) = &f.help {
                    p.help #(help_id) { (help) }
                }
                @if let Some(error) = &f.error {
                    p.error #(error_id) { (error) }
                }
            }
        };
    }
    html! {
        div.field.field-error[f.error.is_some()] hidden[rules.hidden]
            data-shown-when=[rules.shown_when.as_deref()]
            data-required-when=[rules.required_when.as_deref()]
            data-calculation=[rules.calculation.as_deref()] {
            @if f.kind == FieldKind::Checkbox {
                input #(id) type="checkbox" name=(f.name) value="true"
                    checked[matches!(value.as_str(), "true" | "on")]
                    aria-describedby=[described.as_deref()] aria-invalid=[invalid];
                label for=(id) { (f.label) @if f.required || f.required_when.is_some() { " " span.required hidden[!rules.required] { (required) } } }
            } @else {
                label for=(id) {
                    (f.label)
                    @if f.required || f.required_when.is_some() { " " span.required hidden[!rules.required] { (required) } }
                    @if read_only { " " span.fixed { (fixed) } }
                }
                @match f.kind {
                    FieldKind::Textarea => textarea #(id) name=(f.name) rows="5" required[rules.required]
                        readonly[read_only] autocomplete=[f.autocomplete.as_deref()]
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid] { (value) },
                    FieldKind::Select => select #(id) name=(f.name) required[rules.required]
                        autocomplete=[f.autocomplete.as_deref()]
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid] {
                        @if !rules.required { option value="" { "—" } }
                        @for c in &f.choices {
                            option value=(c.value) selected[c.value == value] { (c.label) }
                        }
                    },
                    FieldKind::File => input #(id) type="file" name=(f.name) required[rules.required]
                        accept=[f.accept.as_deref()]
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid];,
                    _ => input #(id) type=(input_type) name=(f.name) value=(value) required[rules.required]
                        readonly[read_only] pattern=[f.pattern.as_deref()]
                        min=[f.min.as_deref()] max=[f.max.as_deref()]
                        step=[(f.kind == FieldKind::Number).then_some("any")]
                        autocomplete=[f.autocomplete.as_deref()]
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid];
                }
            }
            @if let Some(help) = &f.help {
                p.help #(help_id) { (help) }
            }
            @if let Some(error) = &f.error {
                p.error #(error_id) { (error) }
            }
        }
    }
}

/// A place: the address, and the position as two numbers, in one
/// fieldset. Where the portal has tiles, the fieldset carries them
/// (`data-tiles`) and its texts, and the map script adds a map to place
/// the pin on, a search of the address register and "use my location".
fn place_html(shell: &Shell, f: &FormField, rules: &Rules) -> Markup {
    let lang = shell.lang.as_str();
    let id = format!("f-{}", f.name);
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let described: Vec<&str> = [
        f.help.as_ref().map(|_| help_id.as_str()),
        f.error.as_ref().map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    let invalid = f.error.as_ref().map(|_| "true");
    let coordinate = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
    let (lat, lon) = (
        coordinate(f.position.map(|p| p.0)),
        coordinate(f.position.map(|p| p.1)),
    );
    let tiles = shell.map_attribution.as_deref();
    let say = |en: &'static str, cs: &'static str| tiles.map(|_| tr(lang, en, cs));
    html! {
        fieldset.field.place.field-error[f.error.is_some()] #(format!("{id}-place"))
            aria-describedby=[described.as_deref()]
            hidden[rules.hidden] data-shown-when=[rules.shown_when.as_deref()]
            data-tiles=[tiles.map(|_| "/tiles/{z}/{x}/{y}")] data-attribution=[tiles]
            data-find=[say("Find the address", "Najít adresu")]
            data-locate=[say("Use my location", "Použít moji polohu")]
            data-centre=[say("Put the pin in the middle of the map", "Umístit špendlík do středu mapy")]
            data-map-label=[say("Map: click or tap where it is", "Mapa: klikněte nebo ťukněte, kde to je")]
            data-found=[say("Addresses found", "Nalezené adresy")]
            data-none=[say("No address matches.", "Žádná adresa neodpovídá.")]
            data-nearest=[say("Nearest address", "Nejbližší adresa")]
            data-no-location=[say("Your location is not available.", "Vaše poloha není k dispozici.")]
            data-zoom-in=[say("Zoom in", "Přiblížit")]
            data-zoom-out=[say("Zoom out", "Oddálit")] {
            legend { (f.label) @if rules.required { " " span.required { (tr(lang, "(required)", "(povinné)")) } } }
            @if let Some(help) = &f.help {
                p.help #(help_id) { (help) }
            }
            div.field {
                label for=(id) { (tr(lang, "Address", "Adresa")) }
                input #(id) type="text" name=(f.name) value=(f.value.as_deref().unwrap_or_default())
                    autocomplete=(f.autocomplete.as_deref().unwrap_or("street-address"))
                    aria-invalid=[invalid];
            }
            div.coordinates {
                div.field {
                    label for=(format!("{id}-lat")) { (tr(lang, "Latitude", "Zeměpisná šířka")) }
                    input #(format!("{id}-lat")) type="text" inputmode="decimal" name=(format!("{}.lat", f.name))
                        value=(lat) aria-invalid=[invalid];
                }
                div.field {
                    label for=(format!("{id}-lon")) { (tr(lang, "Longitude", "Zeměpisná délka")) }
                    input #(format!("{id}-lon")) type="text" inputmode="decimal" name=(format!("{}.lon", f.name))
                        value=(lon) aria-invalid=[invalid];
                }
            }
            @if let Some(error) = &f.error {
                p.error #(error_id) { (error) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use portico_runtime::api::{Block, View};

    use super::*;
    use crate::render::view_page;

    #[test]
    fn richer_fields_render_as_accessible_controls() {
        use portico_runtime::api::{Choice, FormButton};
        let choices = vec![
            Choice {
                value: "dog".into(),
                label: "A dog".into(),
            },
            Choice {
                value: "cat".into(),
                label: "<b>A cat</b>".into(),
            },
        ];
        let form = Form {
            action: "/apply".into(),
            submit_label: "Send".into(),
            fields: vec![
                FormField {
                    name: "kind".into(),
                    label: "Which animal".into(),
                    kind: FieldKind::Radio,
                    required: true,
                    value: Some("cat".into()),
                    choices: choices.clone(),
                    error: Some("Choose one.".into()),
                    ..FormField::default()
                },
                FormField {
                    name: "also".into(),
                    label: "Also kept".into(),
                    kind: FieldKind::Checkboxes,
                    selected: vec!["dog".into()],
                    choices,
                    ..FormField::default()
                },
                FormField {
                    name: "pet".into(),
                    label: "Named by its choice".into(),
                    kind: FieldKind::Select,
                    selected: vec!["cat".into()],
                    choices: vec![
                        Choice {
                            value: "dog".into(),
                            label: "Dog".into(),
                        },
                        Choice {
                            value: "cat".into(),
                            label: "Cat".into(),
                        },
                    ],
                    ..FormField::default()
                },
                FormField {
                    name: "name".into(),
                    label: "Name".into(),
                    value: Some("Jana".into()),
                    read_only: true,
                    autocomplete: Some("name".into()),
                    ..FormField::default()
                },
                FormField {
                    name: "zip".into(),
                    label: "Postcode".into(),
                    pattern: Some("[0-9]{3} ?[0-9]{2}".into()),
                    ..FormField::default()
                },
                FormField {
                    name: "born".into(),
                    label: "Born".into(),
                    kind: FieldKind::Date,
                    min: Some("1900-01-01".into()),
                    max: Some("2026-12-31".into()),
                    ..FormField::default()
                },
                FormField {
                    name: "photo".into(),
                    label: "Photo".into(),
                    kind: FieldKind::File,
                    accept: Some("image/png".into()),
                    ..FormField::default()
                },
            ],
            buttons: vec![FormButton {
                name: "draft".into(),
                label: "Save draft".into(),
            }],
        };
        let view = View {
            title: "Dog licence".into(),
            blocks: vec![Block::Form(form)],
        };
        let html = view_page(&Shell::plain("P", "en", "/"), "/m/m", &view, None);
        let has = |needle: &str| assert!(html.contains(needle), "{needle} in {html}");
        // Radios in a fieldset named by its legend; the error link finds it.
        has(
            r#"<fieldset class="field choices field-error" id="f-kind" aria-describedby="f-kind-error"><legend>Which animal"#,
        );
        has(r#"<input id="f-kind-1" type="radio" name="kind" value="cat" checked>"#);
        has(r#"<label for="f-kind-1">&lt;b&gt;A cat&lt;/b&gt;</label>"#);
        has(r##"<a href="#f-kind">"##);
        has(r#"<input id="f-also-0" type="checkbox" name="also" value="dog" checked>"#);
        has(r#"<input id="f-also-1" type="checkbox" name="also" value="cat">"#);
        // A select named by `selected` rather than its value shows it.
        has(r#"<option value="cat" selected>Cat</option>"#);
        // A read-only value says so; hints reach the browser.
        has(r#"<span class="fixed">(cannot be changed)</span>"#);
        has(r#"value="Jana" readonly autocomplete="name""#);
        has(r#"pattern="[0-9]{3} ?[0-9]{2}""#);
        has(r#"min="1900-01-01" max="2026-12-31""#);
        has(r#"type="file" name="photo" accept="image/png""#);
        has(r#"enctype="multipart/form-data""#);
        // The further button posts its name.
        has(
            r#"<button class="button" type="submit" name="_button" value="draft">Save draft</button>"#,
        );
    }
}
