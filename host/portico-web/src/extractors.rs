//! What a handler learns of its request, as axum extractors: the language
//! of the page ([`Lang`]), the organization the request is for
//! ([`Tenant`]), who is asking ([`Visitor`]: a session cookie, an API
//! token, or nobody) and what they are in that organization
//! ([`Standing`]), and the frame a failure of the request is drawn in
//! ([`PageFrame`]), which the other extractors fill in. A rejection is a
//! [`Failure`].
//!
//! Each is worked out once per request: the frame layer reads the
//! language before the handler runs, and a tenant or visitor found for
//! one extractor is kept in the request's extensions for the next.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use portico_host::services::OrgModules;
use portico_platform::identity::roles;
use portico_platform::identity::sessions::{self, Session};
use portico_platform::tokens::{self, ApiToken};
use portico_runtime::manifest::{Access, Manifest, Route};

use crate::AppState;
use crate::cookies::{Cookies, cookie_value};
use crate::failure::{FORBIDDEN, Failure, NOT_FOUND};

/// The language of the page: the one chosen in the page header, else
/// Czech when the browser prefers it, else English.
#[derive(Debug, Clone)]
pub(crate) struct Lang(pub(crate) String);

impl Lang {
    /// The language `headers` ask for (the frame layer reads it once per
    /// request; the extractor takes it from there).
    pub(crate) fn of(headers: &HeaderMap) -> Lang {
        if let Some(chosen) = Lang::chosen(headers) {
            return chosen;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for lang in accept.split(',') {
            let tag = lang
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("cs") {
                return Lang("cs".into());
            }
            if tag.starts_with("en") {
                return Lang("en".into());
            }
        }
        Lang("en".into())
    }
}

impl Lang {
    /// The language chosen in the page header in this browser, if any.
    pub(crate) fn chosen(headers: &HeaderMap) -> Option<Lang> {
        let chosen = cookie_value(headers, Cookies::new(true).lang())
            .or_else(|| cookie_value(headers, Cookies::new(false).lang()));
        match chosen {
            Some(l @ ("cs" | "en")) => Some(Lang(l.to_owned())),
            _ => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Infallible> {
        Ok(parts
            .extensions
            .get::<Lang>()
            .cloned()
            .unwrap_or_else(|| Lang::of(&parts.headers)))
    }
}

/// The organization a request is for: named in the path (`/o/<org>/…`),
/// or the deployment's default organization (`/m/…`).
#[derive(Clone)]
pub(crate) struct Tenant {
    /// The organization's id.
    pub(crate) id: String,
    /// The prefix of its pages: `/o/<org>`, or empty for the default organization.
    pub(crate) base: String,
    /// What it has enabled.
    pub(crate) modules: Arc<OrgModules>,
}

impl Tenant {
    /// The organization of a request path; `Err` is the page to answer.
    pub(crate) async fn of(state: &AppState, path: &str) -> Result<Tenant, Failure> {
        let (org_id, base) = match path.strip_prefix("/o/") {
            Some(p) => {
                let org = p.split_once('/').map_or(p, |(org, _)| org);
                (org.to_owned(), format!("/o/{org}"))
            }
            None => match &state.config.default_org {
                Some(org) => (org.clone(), String::new()),
                None => {
                    return Err(Failure::new(
                        StatusCode::NOT_FOUND,
                        NOT_FOUND,
                        (
                            "Choose an organization first: its pages are at /o/<organization>/.",
                            "Nejprve zvolte organizaci: její stránky jsou na adrese /o/<organizace>/.",
                        ),
                    ));
                }
            },
        };
        let modules = state.services.org(&org_id).await.map_err(|e| {
            tracing::error!(error = %e, org = %org_id, "cannot read the organization's modules");
            Failure::database()
        })?;
        if !modules.exists {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                NOT_FOUND,
                (
                    format!("There is no organization `{org_id}` in this portal."),
                    format!("Organizace `{org_id}` v tomto portálu není."),
                ),
            ));
        }
        Ok(Tenant {
            id: org_id,
            base,
            modules,
        })
    }

    /// Where a module's pages are for this organization.
    pub(crate) fn module_base(&self, module_id: &str) -> String {
        format!("{}/m/{module_id}", self.base)
    }
}

/// The organization from the request's path; from here on a failure of
/// the request is drawn in its frame.
impl FromRequestParts<AppState> for Tenant {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Tenant, Failure> {
        if let Some(tenant) = parts.extensions.get::<Tenant>() {
            return Ok(tenant.clone());
        }
        let tenant = Tenant::of(state, parts.uri.path()).await?;
        if let Some(frame) = parts.extensions.get::<PageFrame>() {
            frame.in_organization(&tenant);
        }
        parts.extensions.insert(tenant.clone());
        Ok(tenant)
    }
}

/// Who a request comes from.
#[derive(Clone)]
pub(crate) enum Visitor {
    /// Nobody logged in; the CSRF cookie's value if the browser has one.
    Anonymous {
        /// The CSRF token of the browser (or a fresh one to set).
        csrf: String,
        /// Whether `csrf` is fresh and must be set as a cookie.
        fresh: bool,
    },
    /// A logged-in user.
    User(Box<Session>),
    /// A machine client with an API token.
    Token(ApiToken),
}

impl Visitor {
    /// The CSRF token forms on a page for this visitor carry.
    pub(crate) fn csrf(&self) -> &str {
        match self {
            Visitor::Anonymous { csrf, .. } => csrf,
            Visitor::User(s) => &s.csrf,
            Visitor::Token(_) => "",
        }
    }

    /// The name shown in the page header.
    pub(crate) fn display_name(&self) -> Option<String> {
        match self {
            Visitor::User(s) => Some(s.user.shown_name().to_owned()),
            _ => None,
        }
    }

    /// Sets the anonymous CSRF cookie on `response` if it is fresh.
    pub(crate) fn set_cookie(&self, cookies: Cookies, response: &mut axum::response::Response) {
        if let Visitor::Anonymous { csrf, fresh: true } = self {
            response.headers_mut().append(
                header::SET_COOKIE,
                cookies.build(cookies.csrf(), csrf.clone(), None),
            );
        }
    }

    /// Checks a submitted CSRF token against this visitor's.
    pub(crate) fn csrf_matches(&self, submitted: Option<&str>) -> bool {
        let expected = match self {
            Visitor::Anonymous { fresh: true, .. } | Visitor::Token(_) => return false,
            v => v.csrf(),
        };
        submitted.is_some_and(|s| {
            !expected.is_empty()
                && portico_platform::sha256_hex(s) == portico_platform::sha256_hex(expected)
        })
    }
}

/// Finds who a request comes from: a bearer API token, a session cookie,
/// or nobody. A bearer token that is not valid is refused outright.
pub(crate) async fn visitor(state: &AppState, headers: &HeaderMap) -> Result<Visitor, Failure> {
    let db = state.services.platform().db();
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let secret = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let token = match secret {
            Some(s) => tokens::resolve(db, s).await.map_err(|e| {
                tracing::error!(error = %e, "cannot read API tokens");
                Failure::database()
            })?,
            None => None,
        };
        return match token {
            Some(t) => Ok(Visitor::Token(t)),
            None => {
                tracing::warn!("request with an unknown, revoked or expired API token refused");
                Err(Failure::new(
                    StatusCode::UNAUTHORIZED,
                    ("Not authorized", "Neoprávněný přístup"),
                    (
                        "The API token is not valid: it is unknown, revoked or expired.",
                        "Token API je neplatný: je neznámý, byl zrušen nebo mu vypršela platnost.",
                    ),
                ))
            }
        };
    }
    if let Some(token) = cookie_value(headers, state.cookies.session()) {
        match sessions::resolve(db, token).await {
            Ok(Some(s)) => return Ok(Visitor::User(Box::new(s))),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "cannot read sessions");
                return Err(Failure::database());
            }
        }
    }
    Ok(match cookie_value(headers, state.cookies.csrf()) {
        Some(c) => Visitor::Anonymous {
            csrf: c.to_owned(),
            fresh: false,
        },
        None => Visitor::Anonymous {
            csrf: portico_platform::random_token(),
            fresh: true,
        },
    })
}

/// Finds who a request comes from by an API token sent as a parameter
/// (Open311's `api_key`). A key that is not valid leaves the request
/// anonymous: the module refuses what needs a key in its API's own error
/// format.
pub(crate) async fn visitor_with_key(state: &AppState, key: &str) -> Result<Visitor, Failure> {
    let db = state.services.platform().db();
    let token = tokens::resolve(db, key.trim()).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read API tokens");
        Failure::database()
    })?;
    Ok(match token {
        Some(t) => Visitor::Token(t),
        None => {
            tracing::warn!(
                "request with an unknown, revoked or expired api_key taken as anonymous"
            );
            Visitor::Anonymous {
                csrf: String::new(),
                fresh: false,
            }
        }
    })
}

/// Who asks, from the request's `Authorization` header or cookies.
impl FromRequestParts<AppState> for Visitor {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Visitor, Failure> {
        if let Some(visitor) = parts.extensions.get::<Visitor>() {
            return Ok(visitor.clone());
        }
        let visitor = visitor(state, &parts.headers).await?;
        parts.extensions.insert(visitor.clone());
        Ok(visitor)
    }
}

/// What a visitor is in one organization.
#[derive(Debug, Default, Clone)]
pub(crate) struct Standing {
    /// The roles held there.
    pub(crate) roles: BTreeSet<String>,
    /// Whether the visitor is staff there (holds a role, or is its API token).
    pub(crate) staff: bool,
    /// Whether anyone is logged in.
    pub(crate) logged_in: bool,
}

impl Standing {
    /// The visitor's roles in `org_id`. An API token of another organization is refused.
    pub(crate) async fn of(
        state: &AppState,
        visitor: &Visitor,
        org_id: &str,
    ) -> Result<Standing, Failure> {
        match visitor {
            Visitor::Anonymous { .. } => Ok(Standing::default()),
            Visitor::Token(t) if t.org_id != org_id => Err(Failure::new(
                StatusCode::FORBIDDEN,
                FORBIDDEN,
                (
                    format!("This API token is for organization `{}` only.", t.org_id),
                    format!("Tento token API platí jen pro organizaci `{}`.", t.org_id),
                ),
            )),
            Visitor::Token(_) => Ok(Standing {
                roles: BTreeSet::new(),
                staff: true,
                logged_in: true,
            }),
            Visitor::User(s) => {
                let roles = roles::roles_in(state.services.platform().db(), &s.user.id, org_id)
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "cannot read roles");
                        Failure::database()
                    })?;
                Ok(Standing {
                    staff: !roles.is_empty(),
                    roles,
                    logged_in: true,
                })
            }
        }
    }

    /// Whether this standing reaches `route` (for menus, the dashboard and
    /// search; a request itself is checked by `auth::check_route`, which
    /// also says why not).
    pub(crate) fn may_reach(&self, route: &Route, manifest: &Manifest) -> bool {
        match route.access {
            Access::Public => true,
            Access::User => self.logged_in,
            Access::Staff => {
                self.staff
                    && route.permission.as_ref().is_none_or(|p| {
                        manifest
                            .permissions_of(self.roles.iter().map(String::as_str))
                            .contains(&format!("{}.{p}", manifest.id))
                    })
            }
        }
    }
}

/// The visitor's standing in the request's organization: the tenant
/// first, then the visitor, each refused as its own extractor refuses.
impl FromRequestParts<AppState> for Standing {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Standing, Failure> {
        let tenant = Tenant::from_request_parts(parts, state).await?;
        let visitor = Visitor::from_request_parts(parts, state).await?;
        Standing::of(state, &visitor, &tenant.id).await
    }
}

/// The frame a failure of this request is drawn in, as far as the
/// handler got: the organization (set by the [`Tenant`] extractor), the
/// module, and who looks at the page. The frame layer gives every request
/// one and draws a [`Failure`] the handler answers with in it; a frame
/// left empty is the portal's plain one.
#[derive(Clone, Default)]
pub(crate) struct PageFrame(Arc<Mutex<FrameParts>>);

/// What a [`PageFrame`] holds.
#[derive(Default)]
pub(crate) struct FrameParts {
    pub(crate) tenant: Option<Tenant>,
    /// The module whose menu entry is marked.
    pub(crate) module: Option<String>,
    /// Whose header and menu the page shows; a page the host builds is
    /// drawn for nobody in particular.
    pub(crate) viewer: Option<(Visitor, Standing)>,
}

impl PageFrame {
    pub(crate) fn in_organization(&self, tenant: &Tenant) {
        self.lock().tenant = Some(tenant.clone());
    }

    pub(crate) fn in_module(&self, module_id: &str) {
        self.lock().module = Some(module_id.to_owned());
    }

    pub(crate) fn seen_by(&self, visitor: &Visitor, standing: &Standing) {
        self.lock().viewer = Some((visitor.clone(), standing.clone()));
    }

    /// What the frame holds, leaving it empty.
    pub(crate) fn take(&self) -> FrameParts {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, FrameParts> {
        // What it holds stays whole whatever panicked while it was held.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The frame the layer gave the request (a frame of its own, drawn by
/// nobody, for a route outside the layer).
impl<S: Send + Sync> FromRequestParts<S> for PageFrame {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<PageFrame, Infallible> {
        Ok(parts
            .extensions
            .get::<PageFrame>()
            .cloned()
            .unwrap_or_default())
    }
}

/// The fields of a form-encoded body.
pub(crate) fn form_fields(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Vec<(String, String)>, Failure> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ("Unsupported form", "Nepodporovaný formát formuláře"),
            (
                "Forms must be posted as application/x-www-form-urlencoded.",
                "Formulář je třeba odeslat ve formátu application/x-www-form-urlencoded.",
            ),
        ));
    }
    std::str::from_utf8(body)
        .map_err(|e| e.to_string())
        .and_then(|s| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(s).map_err(|e| e.to_string())
        })
        .map_err(|e| Failure::unreadable_form(&e))
}
