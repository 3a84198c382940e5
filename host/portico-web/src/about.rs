//! What an organization's portal tells the public about itself, linked
//! from every page's footer: the accessibility statement every Czech
//! public body publishes (zákon č. 99/2019 Sb., in the structure of the
//! EU's model statement), what the organization does with personal data,
//! and the cookies the portal sets. The first two are written by the
//! organization's administrator in the console (`console/texts.rs`); the
//! cookies are the portal's own, so the portal lists them itself.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use portico_platform::pages::{self, OrgPage, Written};

use crate::AppState;
use crate::extractors::{Lang, Standing, Tenant, Visitor};
use crate::failure::Failure;
use crate::frame::{host_page_shell, html_response};
use crate::render::{self, tr};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/accessibility", get(accessibility))
        .route("/o/{org}/accessibility", get(accessibility))
        .route("/privacy", get(privacy))
        .route("/o/{org}/privacy", get(privacy))
        .route("/cookies", get(cookies))
        .route("/o/{org}/cookies", get(cookies))
        .route("/emblem", get(emblem))
        .route("/o/{org}/emblem", get(emblem))
        .route("/brand.css", get(brand_css))
        .route("/o/{org}/brand.css", get(brand_css))
}

/// `GET …/emblem`: the organization's emblem, as its administrator
/// uploaded it (a picture checked by its first bytes).
async fn emblem(State(state): State<AppState>, tenant: Tenant) -> Result<Response, Failure> {
    let id = tenant.modules.brand.field("emblem");
    if id.is_empty() {
        return Err(Failure::not_found());
    }
    let scope = portico_platform::records::Scope {
        org_id: tenant.id.clone(),
        module_id: portico_platform::audit::HOST.into(),
        actor: String::new(),
    };
    let platform = state.services.platform();
    let (info, content) =
        portico_platform::files::read(platform.db(), platform.files(), &scope, id)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, org = %tenant.id, "cannot read the emblem");
                Failure::not_found()
            })?;
    Ok((
        [
            (header::CONTENT_TYPE, info.media_type),
            (header::CACHE_CONTROL, "public, max-age=3600".to_owned()),
        ],
        content,
    )
        .into_response())
}

/// `GET …/brand.css`: the organization's colour for the header, which its
/// administrator chose with enough contrast for white text.
async fn brand_css(tenant: Tenant) -> Result<Response, Failure> {
    let colour = tenant.modules.brand.field("colour");
    if portico_platform::pages::contrast_with_white(colour).is_none_or(|r| r < 4.5) {
        return Err(Failure::not_found());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        format!(":root {{ --brand: {colour}; }}\n"),
    )
        .into_response())
}

async fn written(state: &AppState, tenant: &Tenant, page: OrgPage) -> Result<Written, Failure> {
    pages::get(state.services.platform().db(), &tenant.id, page)
        .await
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read an organization's page");
            Failure::database()
        })
}

/// A date of a page's field as `lang` writes it.
fn date(value: &str, lang: &str) -> String {
    portico_types::written::date_text(value, lang)
}

/// Paragraphs of a text written with empty lines between them.
fn paragraphs(text: &str) -> Markup {
    html! {
        @for p in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p { (p) }
        }
    }
}

fn page(shell: &render::Shell, title: &str, content: Markup) -> Result<Response, Failure> {
    Ok(html_response(
        StatusCode::OK,
        render::page(shell, title, content),
    ))
}

/// `GET …/accessibility`: the accessibility statement.
async fn accessibility(
    State(state): State<AppState>,
    tenant: Tenant,
    visitor: Visitor,
    standing: Standing,
    Lang(l): Lang,
) -> Result<Response, Failure> {
    let w = written(&state, &tenant, OrgPage::Accessibility).await?;
    let title = tr(&l, "Accessibility statement", "Prohlášení o přístupnosti");
    let shell = host_page_shell(&state, (&tenant, &visitor, &standing), &l, title).await;
    let name = &tenant.modules.name;
    let site = state
        .config
        .public_url
        .as_deref()
        .map(|u| format!("{}{}/", u.trim_end_matches('/'), tenant.base));
    let content = if w.field("status").is_empty() {
        html! {
            p { (name) (tr(&l, " has not published its accessibility statement here yet.", " zde zatím nezveřejnila své prohlášení o přístupnosti.")) }
        }
    } else {
        let (exceptions, exceptions_lang) = w.in_language("exceptions", &l);
        let status = match w.field("status") {
            "full" => tr(&l, "fully compliant", "v plném souladu"),
            "partial" => tr(&l, "partially compliant", "v částečném souladu"),
            _ => tr(&l, "not compliant", "v nesouladu"),
        };
        let method = match w.field("method") {
            "third-party" => tr(&l, "by a third party", "třetí stranou"),
            _ => tr(
                &l,
                "by the organization itself",
                "vlastním posouzením organizace",
            ),
        };
        html! {
            p {
                (name)
                (tr(&l,
                    " is committed to making its website accessible in accordance with Act No. 99/2019 Coll., on the accessibility of websites and mobile applications.",
                    " se zavazuje zpřístupnit své webové stránky v souladu se zákonem č. 99/2019 Sb., o přístupnosti internetových stránek a mobilních aplikací a o změně zákona č. 365/2000 Sb., o informačních systémech veřejné správy a o změně některých dalších zákonů, ve znění pozdějších předpisů."))
            }
            @if let Some(site) = &site {
                p { (tr(&l, "This statement applies to the website ", "Toto prohlášení o přístupnosti se vztahuje na webové stránky ")) a href=(site) { (site) } "." }
            }
            h2 { (tr(&l, "Compliance status", "Stav souladu")) }
            p {
                (tr(&l, "This website is ", "Tyto webové stránky jsou "))
                strong { (status) }
                (tr(&l, " with Act No. 99/2019 Coll. and the standard EN 301 549.", " se zákonem č. 99/2019 Sb. a normou ČSN EN 301 549."))
            }
            @if !exceptions.is_empty() {
                h2 { (tr(&l, "Non-accessible content", "Nepřístupný obsah")) }
                ul lang=[exceptions_lang] {
                    @for line in exceptions.lines().map(str::trim).filter(|l| !l.is_empty()) {
                        li { (line) }
                    }
                }
            }
            h2 { (tr(&l, "Preparation of this statement", "Vypracování tohoto prohlášení")) }
            p {
                (tr(&l, "This statement was prepared on ", "Toto prohlášení bylo vypracováno dne "))
                (date(w.field("prepared"), &l))
                (tr(&l, ". Compliance was assessed ", ". Soulad byl posouzen "))
                (method) "."
                @if !w.field("reviewed").is_empty() {
                    " " (tr(&l, "The statement was last reviewed on ", "Prohlášení bylo naposledy přezkoumáno dne "))
                    (date(w.field("reviewed"), &l)) "."
                }
            }
            h2 { (tr(&l, "Feedback and contact information", "Zpětná vazba a kontaktní údaje")) }
            p {
                (tr(&l, "Tell us of content that is not accessible, or ask for it in an accessible form: ", "Nepřístupný obsah nám oznamte nebo si jej vyžádejte v přístupné podobě: "))
                (w.field("contact"))
            }
            h2 { (tr(&l, "Enforcement procedure", "Postupy pro vymáhání")) }
            p {
                (tr(&l,
                    "If the answer to your notification or request is unsatisfactory, you may turn to the Ministry of the Interior of the Czech Republic, which supervises compliance with Act No. 99/2019 Coll.",
                    "Jste-li s odpovědí na oznámení nebo žádost nespokojeni, můžete se obrátit na Ministerstvo vnitra ČR, které dohlíží na dodržování zákona č. 99/2019 Sb."))
            }
        }
    };
    page(&shell, title, content)
}

/// `GET …/privacy`: what the organization does with personal data.
async fn privacy(
    State(state): State<AppState>,
    tenant: Tenant,
    visitor: Visitor,
    standing: Standing,
    Lang(l): Lang,
) -> Result<Response, Failure> {
    let w = written(&state, &tenant, OrgPage::Privacy).await?;
    let title = tr(&l, "Personal data", "Ochrana osobních údajů");
    let shell = host_page_shell(&state, (&tenant, &visitor, &standing), &l, title).await;
    let (text, text_lang) = w.in_language("text", &l);
    let content = html! {
        @if text.is_empty() {
            p { (tenant.modules.name) (tr(&l, " has not published here yet what it does with personal data.", " zde zatím nezveřejnila, co dělá s osobními údaji.")) }
        } @else {
            div lang=[text_lang] { (paragraphs(text)) }
        }
        @if !w.field("officer").is_empty() {
            h2 { (tr(&l, "Data protection officer", "Pověřenec pro ochranu osobních údajů")) }
            p { (w.field("officer")) }
        }
        h2 { (tr(&l, "What this portal keeps", "Co si tento portál pamatuje")) }
        p {
            (tr(&l, "Of a person logged in: their name, e-mail and what their identity provider vouched for; what they submit; and the log of what they did, kept as the law on records requires. See also ", "O přihlášeném: jméno, e-mail a co potvrdil poskytovatel identity; co podá; a záznam o tom, co udělal, uchovaný podle zákona o archivnictví a spisové službě. Viz též "))
            a href=(format!("{}/cookies", tenant.base)) { (tr(&l, "cookies", "cookies")) } "."
        }
    };
    page(&shell, title, content)
}

/// `GET …/cookies`: the cookies the portal sets, all of them needed for
/// it to work; none that track.
async fn cookies(
    State(state): State<AppState>,
    tenant: Tenant,
    visitor: Visitor,
    standing: Standing,
    Lang(l): Lang,
) -> Result<Response, Failure> {
    let title = "Cookies";
    let shell = host_page_shell(&state, (&tenant, &visitor, &standing), &l, title).await;
    let c = state.cookies;
    let rows = [
        (
            c.session(),
            tr(&l, "Keeps you logged in.", "Udržuje vás přihlášené."),
            tr(
                &l,
                "Until you log out, at most 10 hours.",
                "Do odhlášení, nejdéle 10 hodin.",
            ),
        ),
        (
            c.lang(),
            tr(
                &l,
                "Remembers the language you chose.",
                "Pamatuje si zvolený jazyk.",
            ),
            tr(&l, "A year.", "Rok."),
        ),
        (
            c.csrf(),
            tr(
                &l,
                "Protects the forms you send from forgery by other sites.",
                "Chrání odesílané formuláře před podvržením jinými stránkami.",
            ),
            tr(&l, "Until the browser closes.", "Do zavření prohlížeče."),
        ),
        (
            c.oidc_flow(),
            tr(
                &l,
                "Carries a log-in through your identity provider.",
                "Provází přihlášení přes poskytovatele identity.",
            ),
            tr(&l, "10 minutes.", "10 minut."),
        ),
    ];
    let content = html! {
        p { (tr(&l, "This portal sets only the cookies it needs to work. It sets none that track you or measure visits, so it does not ask for your consent.", "Tento portál ukládá jen cookies, které potřebuje, aby fungoval. Žádné, které by vás sledovaly nebo měřily návštěvnost, neukládá, a proto se na souhlas neptá.")) }
        div.table-wrap tabindex="0" role="region" aria-label=(title) {
            table {
                thead { tr {
                    th scope="col" { (tr(&l, "Name", "Název")) }
                    th scope="col" { (tr(&l, "What it is for", "K čemu slouží")) }
                    th scope="col" { (tr(&l, "How long it is kept", "Jak dlouho se uchovává")) }
                } }
                tbody {
                    @for (name, what, how_long) in rows {
                        tr { td { code { (name) } } td { (what) } td { (how_long) } }
                    }
                }
            }
        }
    };
    page(&shell, title, content)
}
