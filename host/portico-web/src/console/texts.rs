//! An organization's own pages in the console
//! (`/admin/orgs/{org}/pages`): its contacts and office hours, which
//! every page's footer shows; its accessibility statement, filled in the
//! structure the law sets (zákon č. 99/2019 Sb.: the state of compliance,
//! what is not accessible and why, when and how it was assessed, whom to
//! tell); and what it says of personal data. The public pages are drawn
//! from these fields by `about.rs`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::pages::{self, OrgPage, Written};
use portico_runtime::api::{Block, Choice, FieldKind, Form, FormField, NoticeLevel, View};

use super::{Admin, Done, checked_form, checked_org, page_with_status, to_login};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::{Failure, NOT_FOUND};
use crate::render::tr;

/// The longest text a field takes.
const MAX_FIELD: usize = 10_000;

/// One field of a page: its name, kind, label (English, Czech) and help.
struct Spec {
    name: &'static str,
    kind: FieldKind,
    label: (&'static str, &'static str),
    help: Option<(&'static str, &'static str)>,
    required: bool,
}

const fn spec(
    name: &'static str,
    kind: FieldKind,
    label: (&'static str, &'static str),
    help: Option<(&'static str, &'static str)>,
    required: bool,
) -> Spec {
    Spec {
        name,
        kind,
        label,
        help,
        required,
    }
}

/// The fields of `page`.
fn specs(page: OrgPage) -> Vec<Spec> {
    match page {
        OrgPage::Contacts => vec![
            spec(
                "phone",
                FieldKind::Tel,
                ("Telephone", "Telefon"),
                None,
                false,
            ),
            spec("email", FieldKind::Email, ("E-mail", "E-mail"), None, false),
            spec(
                "data_box",
                FieldKind::Text,
                ("Data box", "Datová schránka"),
                Some((
                    "Its seven letters and digits, e.g. abc1234.",
                    "Sedm písmen a číslic, např. abc1234.",
                )),
                false,
            ),
            spec(
                "hours_cs",
                FieldKind::Textarea,
                ("Office hours, in Czech", "Úřední hodiny česky"),
                Some((
                    "One day per line, e.g. Po, St 8:00–17:00.",
                    "Jeden den na řádek, např. Po, St 8:00–17:00.",
                )),
                false,
            ),
            spec(
                "hours_en",
                FieldKind::Textarea,
                ("Office hours, in English", "Úřední hodiny anglicky"),
                Some((
                    "One day per line, e.g. Mon, Wed 8:00–17:00.",
                    "Jeden den na řádek, např. Mon, Wed 8:00–17:00.",
                )),
                false,
            ),
        ],
        OrgPage::Accessibility => vec![
            spec(
                "status",
                FieldKind::Radio,
                (
                    "How far the portal complies",
                    "Nakolik portál splňuje požadavky",
                ),
                None,
                true,
            ),
            spec(
                "exceptions_cs",
                FieldKind::Textarea,
                (
                    "What is not accessible, and why (in Czech)",
                    "Co přístupné není a proč (česky)",
                ),
                Some((
                    "One item per line: the content, what is wrong, and the reason (a disproportionate burden, or outside the law's scope).",
                    "Jedna položka na řádek: obsah, v čem není přístupný, a důvod (nepřiměřená zátěž nebo mimo působnost zákona).",
                )),
                false,
            ),
            spec(
                "exceptions_en",
                FieldKind::Textarea,
                (
                    "What is not accessible, and why (in English)",
                    "Co přístupné není a proč (anglicky)",
                ),
                None,
                false,
            ),
            spec(
                "prepared",
                FieldKind::Date,
                ("Statement prepared on", "Prohlášení vypracováno dne"),
                None,
                true,
            ),
            spec(
                "method",
                FieldKind::Radio,
                ("How compliance was assessed", "Jak byl soulad posouzen"),
                None,
                true,
            ),
            spec(
                "reviewed",
                FieldKind::Date,
                ("Last reviewed on", "Naposledy přezkoumáno dne"),
                None,
                false,
            ),
            spec(
                "contact",
                FieldKind::Text,
                (
                    "Where to report what is not accessible",
                    "Kam hlásit nepřístupný obsah",
                ),
                Some((
                    "An e-mail address or a telephone.",
                    "E-mailová adresa nebo telefon.",
                )),
                true,
            ),
        ],
        // The emblem and colour have a form of their own (a file).
        OrgPage::Brand => Vec::new(),
        OrgPage::Privacy => vec![
            spec(
                "officer",
                FieldKind::Text,
                (
                    "The data protection officer and how to reach them",
                    "Pověřenec pro ochranu osobních údajů a jak jej kontaktovat",
                ),
                None,
                true,
            ),
            spec(
                "text_cs",
                FieldKind::Textarea,
                (
                    "What the organization does with personal data (in Czech)",
                    "Co organizace dělá s osobními údaji (česky)",
                ),
                Some((
                    "Paragraphs separated by an empty line.",
                    "Odstavce oddělené prázdným řádkem.",
                )),
                true,
            ),
            spec(
                "text_en",
                FieldKind::Textarea,
                (
                    "What the organization does with personal data (in English)",
                    "Co organizace dělá s osobními údaji (anglicky)",
                ),
                None,
                false,
            ),
        ],
    }
}

/// The choices of a radio field.
fn choices(name: &str, l: &str) -> Vec<Choice> {
    let choice = |value: &str, en: &str, cs: &str| Choice {
        value: value.into(),
        label: tr(l, en, cs).into(),
    };
    match name {
        "status" => vec![
            choice("full", "Fully compliant", "V plném souladu"),
            choice("partial", "Partially compliant", "V částečném souladu"),
            choice("none", "Not compliant", "V nesouladu"),
        ],
        "method" => vec![
            choice(
                "self",
                "By the organization itself",
                "Vlastním posouzením organizace",
            ),
            choice(
                "third-party",
                "By a third party",
                "Posouzením třetí stranou",
            ),
        ],
        _ => Vec::new(),
    }
}

/// The page's title in `l`.
fn title(page: OrgPage, l: &str) -> &'static str {
    match page {
        OrgPage::Contacts => tr(l, "Contacts and office hours", "Kontakty a úřední hodiny"),
        OrgPage::Accessibility => tr(l, "Accessibility statement", "Prohlášení o přístupnosti"),
        OrgPage::Privacy => tr(l, "Personal data", "Ochrana osobních údajů"),
        OrgPage::Brand => tr(l, "Emblem and colour", "Znak a barva"),
    }
}

/// What is wrong with `value` of the field `spec`, in `l`.
fn problem(spec: &Spec, value: &str, l: &str) -> Option<&'static str> {
    if value.is_empty() {
        return spec
            .required
            .then(|| tr(l, "Fill this in.", "Vyplňte prosím."));
    }
    if value.chars().count() > MAX_FIELD {
        return Some(tr(
            l,
            "Use at most 10,000 characters.",
            "Použijte nejvýše 10 000 znaků.",
        ));
    }
    match spec.kind {
        FieldKind::Email if !portico_platform::identity::users::is_plain_email(value) => Some(tr(
            l,
            "Give an e-mail address, e.g. podatelna@mesto.cz.",
            "Zadejte e-mailovou adresu, např. podatelna@mesto.cz.",
        )),
        FieldKind::Tel
            if !value
                .chars()
                .all(|c| c.is_ascii_digit() || " +()-".contains(c))
                || value.chars().filter(char::is_ascii_digit).count() < 9 =>
        {
            Some(tr(
                l,
                "Give a telephone number, e.g. +420 542 172 111.",
                "Zadejte telefonní číslo, např. +420 542 172 111.",
            ))
        }
        FieldKind::Date if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() => {
            Some(tr(l, "Give a date.", "Zadejte datum."))
        }
        FieldKind::Radio if !choices(spec.name, l).iter().any(|c| c.value == value) => Some(tr(
            l,
            "Choose one of the options.",
            "Zvolte jednu z možností.",
        )),
        _ if spec.name == "data_box"
            && !(value.len() == 7 && value.chars().all(|c| c.is_ascii_alphanumeric())) =>
        {
            Some(tr(
                l,
                "A data box is seven letters and digits, e.g. abc1234.",
                "Datová schránka má sedm písmen a číslic, např. abc1234.",
            ))
        }
        _ => None,
    }
}

/// The form of `page`, with `values` and the errors at their fields.
fn form(
    org: &str,
    page: OrgPage,
    l: &str,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<&str, &str>,
) -> Form {
    let fields = specs(page)
        .into_iter()
        .map(|s| FormField {
            name: s.name.into(),
            label: tr(l, s.label.0, s.label.1).into(),
            kind: s.kind,
            required: s.required,
            value: values.get(s.name).cloned(),
            help: s.help.map(|(en, cs)| tr(l, en, cs).into()),
            choices: choices(s.name, l),
            error: errors.get(s.name).map(|e| (*e).to_owned()),
            ..Default::default()
        })
        .collect();
    Form {
        action: format!("/admin/orgs/{org}/pages/{}", page.name()),
        submit_label: tr(l, "Save and publish", "Uložit a zveřejnit").into(),
        fields,
        ..Default::default()
    }
}

/// The console's page of `org`'s own pages, each a form.
fn view(
    org: &str,
    name: &str,
    l: &str,
    written: &BTreeMap<&'static str, BTreeMap<String, String>>,
    failed: Option<(OrgPage, &BTreeMap<&str, &str>)>,
) -> View {
    let mut blocks = vec![Block::Text {
        text: tr(
            l,
            "What you write here is public: the contacts are at the foot of every page of the portal, the statements are linked from there.",
            "Co zde napíšete, je veřejné: kontakty jsou v patičce každé stránky portálu, prohlášení jsou odkázána odtud.",
        )
        .into(),
    }];
    for page in OrgPage::ALL {
        blocks.push(Block::Heading {
            text: title(page, l).into(),
            level: 2,
        });
        let empty = BTreeMap::new();
        let errors = match failed {
            Some((p, errors)) if p == page => {
                blocks.push(Block::Notice {
                    level: NoticeLevel::Error,
                    text: tr(
                        l,
                        "Nothing was saved: correct the fields marked.",
                        "Nic nebylo uloženo: opravte označená pole.",
                    )
                    .into(),
                });
                errors
            }
            _ => &empty,
        };
        let values = written.get(page.name()).cloned().unwrap_or_default();
        blocks.push(Block::Form(form(org, page, l, &values, errors)));
    }
    blocks.push(Block::Heading {
        text: title(OrgPage::Brand, l).into(),
        level: 2,
    });
    let colour = written
        .get(OrgPage::Brand.name())
        .and_then(|b| b.get("colour"))
        .cloned()
        .unwrap_or_default();
    if !matches!(failed, Some((OrgPage::Brand, _))) {
        blocks.push(Block::Form(brand_form(org, l, &colour, &BTreeMap::new())));
    }
    View {
        title: format!("{}: {name}", tr(l, "Public pages", "Veřejné stránky")),
        blocks,
    }
}

async fn written(
    state: &AppState,
    org: &str,
) -> Result<BTreeMap<&'static str, BTreeMap<String, String>>, Failure> {
    let db = state.services.platform().db();
    let mut out = BTreeMap::new();
    for page in OrgPage::ALL.into_iter().chain([OrgPage::Brand]) {
        let w = pages::get(db, org, page).await.map_err(|e| {
            tracing::error!(error = %e, "cannot read an organization's pages");
            Failure::database()
        })?;
        out.insert(
            page.name(),
            w.map(|w: Written| w.fields).unwrap_or_default(),
        );
    }
    Ok(out)
}

/// `GET /admin/orgs/{org}/pages`.
pub(super) async fn org_pages(
    State(state): State<AppState>,
    Path(org): Path<String>,
    Query(done): Query<Done>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}/pages")));
    };
    let the_org = checked_org(&state, &admin, &org).await?;
    let written = written(&state, &org).await?;
    let view = view(&org, &the_org.name, admin.l(), &written, None);
    Ok(page_with_status(
        &state,
        &admin,
        &view,
        done.message(admin.l()),
        StatusCode::OK,
    )
    .await)
}

/// `POST /admin/orgs/{org}/pages/{page}`: saves one page, or shows it
/// again with what is wrong at each field and nothing saved.
pub(super) async fn save_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, name)): Path<(String, String)>,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}/pages")));
    };
    let fields = checked_form(&admin, &headers, &body)?;
    let the_org = checked_org(&state, &admin, &org).await?;
    let Some(page) = OrgPage::parse(&name).filter(|p| *p != OrgPage::Brand) else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                format!("An organization has no page `{name}`."),
                format!("Organizace nemá stránku `{name}`."),
            ),
        ));
    };
    let l = admin.l().to_owned();
    let specs = specs(page);
    let values: BTreeMap<String, String> = specs
        .iter()
        .map(|s| {
            let v = fields.get(s.name).map_or("", |v| v.trim());
            (s.name.to_owned(), v.replace("\r\n", "\n"))
        })
        .collect();
    let mut errors: BTreeMap<&str, &str> = specs
        .iter()
        .filter_map(|s| Some((s.name, problem(s, &values[s.name], &l)?)))
        .collect();
    // A portal not fully accessible says what is not, and why.
    let field = |name: &str| values.get(name).map_or("", String::as_str);
    if page == OrgPage::Accessibility
        && matches!(field("status"), "partial" | "none")
        && field("exceptions_cs").is_empty()
        && field("exceptions_en").is_empty()
    {
        errors.insert(
            "exceptions_cs",
            tr(
                &l,
                "Say what is not accessible, and why.",
                "Uveďte, co přístupné není a proč.",
            ),
        );
    }
    if !errors.is_empty() {
        let mut written = written(&state, &org).await?;
        written.insert(page.name(), values);
        let view = view(&org, &the_org.name, &l, &written, Some((page, &errors)));
        return Ok(page_with_status(
            &state,
            &admin,
            &view,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    }
    state
        .services
        .write_page(&admin.session.user.id, &org, page, values)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot write an organization's page");
            Failure::database()
        })?;
    Ok(Redirect::to(&format!("/admin/orgs/{org}/pages?done=published")).into_response())
}

/// The largest emblem, in bytes.
const MAX_EMBLEM: usize = 200 * 1024;

/// The form of the organization's emblem and colour (multipart, for the
/// emblem's file).
fn brand_form(org: &str, l: &str, colour: &str, errors: &BTreeMap<&str, String>) -> Form {
    Form {
        action: format!("/admin/orgs/{org}/brand"),
        submit_label: tr(l, "Save and publish", "Uložit a zveřejnit").into(),
        fields: vec![
            FormField {
                name: "emblem".into(),
                label: tr(l, "Emblem", "Znak").into(),
                kind: FieldKind::File,
                help: Some(
                    tr(
                        l,
                        "PNG, JPEG or WebP, at most 200 kB; shown beside the name in every page's header. None chosen: the emblem stays as it is.",
                        "PNG, JPEG nebo WebP, nejvýše 200 kB; zobrazí se u názvu v záhlaví každé stránky. Nic nevybráno: znak zůstane, jak je.",
                    )
                    .into(),
                ),
                accept: Some("image/png,image/jpeg,image/webp".into()),
                error: errors.get("emblem").cloned(),
                ..Default::default()
            },
            FormField {
                name: "colour".into(),
                label: tr(l, "Colour of the header", "Barva záhlaví").into(),
                kind: FieldKind::Text,
                value: Some(colour.to_owned()),
                help: Some(
                    tr(
                        l,
                        "As #rrggbb, e.g. #0b4f8a; white text on it must be readable (contrast at least 4.5:1). Empty: the portal's blue.",
                        "Ve tvaru #rrggbb, např. #0b4f8a; bílé písmo na ní musí být čitelné (kontrast alespoň 4,5 : 1). Prázdné: modrá portálu.",
                    )
                    .into(),
                ),
                error: errors.get("colour").cloned(),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

/// What is wrong with a colour for the header, in `l`.
fn colour_problem(colour: &str, l: &str) -> Option<String> {
    if colour.is_empty() {
        return None;
    }
    let Some(ratio) = pages::contrast_with_white(colour) else {
        return Some(
            tr(
                l,
                "Give a colour as #rrggbb, e.g. #0b4f8a.",
                "Zadejte barvu ve tvaru #rrggbb, např. #0b4f8a.",
            )
            .into(),
        );
    };
    (ratio < 4.5).then(|| {
        let ratio = portico_types::written::number((ratio * 10.0).round() / 10.0, l);
        if l == "cs" {
            format!(
                "Bílé písmo na barvě {colour} má kontrast jen {ratio} : 1; potřebuje alespoň 4,5 : 1 (WCAG 1.4.3). Zvolte tmavší barvu."
            )
        } else {
            format!(
                "White text on {colour} has a contrast of only {ratio}:1; it needs at least 4.5:1 (WCAG 1.4.3). Choose a darker colour."
            )
        }
    })
}

/// `POST /admin/orgs/{org}/brand` (multipart): the emblem and the colour.
pub(super) async fn save_brand(
    State(state): State<AppState>,
    Path(org): Path<String>,
    visitor: Visitor,
    lang: Lang,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}/pages")));
    };
    let (mut token, mut colour, mut emblem) = (None, String::new(), None);
    while let Some(part) = multipart
        .next_field()
        .await
        .map_err(|e| Failure::unreadable_form(&e.to_string()))?
    {
        let name = part.name().unwrap_or_default().to_owned();
        let bytes = part
            .bytes()
            .await
            .map_err(|e| Failure::unreadable_form(&e.to_string()))?;
        match name.as_str() {
            crate::render::CSRF_FIELD => token = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "colour" => colour = String::from_utf8_lossy(&bytes).trim().to_lowercase(),
            "emblem" if !bytes.is_empty() => emblem = Some(bytes),
            _ => {}
        }
    }
    if !admin.visitor.csrf_matches(token.as_deref()) {
        return Err(Failure::csrf());
    }
    let the_org = checked_org(&state, &admin, &org).await?;
    let l = admin.l().to_owned();
    let mut errors = BTreeMap::new();
    if let Some(problem) = colour_problem(&colour, &l) {
        errors.insert("colour", problem);
    }
    let media_type = emblem
        .as_ref()
        .map(|e| infer::get(e).map(|k| k.mime_type()));
    match (&emblem, media_type) {
        (Some(e), _) if e.len() > MAX_EMBLEM => {
            errors.insert(
                "emblem",
                tr(
                    &l,
                    "The emblem is larger than 200 kB.",
                    "Znak je větší než 200 kB.",
                )
                .into(),
            );
        }
        (Some(_), Some(Some("image/png" | "image/jpeg" | "image/webp"))) | (None, _) => {}
        (Some(_), _) => {
            errors.insert(
                "emblem",
                tr(
                    &l,
                    "Choose a picture in PNG, JPEG or WebP.",
                    "Vyberte obrázek ve formátu PNG, JPEG nebo WebP.",
                )
                .into(),
            );
        }
    }
    let db = state.services.platform().db();
    let mut fields = pages::get(db, &org, OrgPage::Brand)
        .await
        .map_err(|_| Failure::database())?
        .unwrap_or_default()
        .fields;
    if !errors.is_empty() {
        let mut written = written(&state, &org).await?;
        written.insert(OrgPage::Brand.name(), fields);
        let none = BTreeMap::new();
        let mut view = view(
            &org,
            &the_org.name,
            &l,
            &written,
            Some((OrgPage::Brand, &none)),
        );
        view.blocks.push(Block::Notice {
            level: NoticeLevel::Error,
            text: tr(
                &l,
                "Nothing was saved: correct the fields marked.",
                "Nic nebylo uloženo: opravte označená pole.",
            )
            .into(),
        });
        view.blocks
            .push(Block::Form(brand_form(&org, &l, &colour, &errors)));
        return Ok(page_with_status(
            &state,
            &admin,
            &view,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    }
    if let (Some(content), Some(Some(media_type))) = (&emblem, media_type) {
        let scope = portico_platform::records::Scope {
            org_id: org.clone(),
            module_id: portico_platform::audit::HOST.into(),
            actor: admin.session.user.id.clone(),
        };
        let stored = portico_platform::files::put(
            db,
            state.services.platform().files(),
            &scope,
            portico_platform::files::NewFile {
                name: "emblem",
                media_type,
                content,
                mark: portico_platform::files::RetentionMark::S,
                years: 10,
            },
        )
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot store an emblem");
            Failure::database()
        })?;
        fields.insert("emblem".into(), stored.id);
    }
    fields.insert("colour".into(), colour);
    state
        .services
        .write_page(&admin.session.user.id, &org, OrgPage::Brand, fields)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot write an organization's brand");
            Failure::database()
        })?;
    Ok(Redirect::to(&format!("/admin/orgs/{org}/pages?done=published")).into_response())
}
