//! Who is asking, and where: the organization a request is for
//! ([`Tenant`]), who asks ([`Visitor`]: a session cookie, an API token, or
//! nobody) and what they are in that organization ([`Standing`]), and the
//! fields of a posted form. The page frame, the access checks and every
//! area's handlers need them; this file needs none of those.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use portico_host::services::OrgModules;
use portico_platform::roles;
use portico_platform::sessions::{self, Session};
use portico_platform::tokens::{self, ApiToken};
use portico_runtime::manifest::{Access, Manifest, Route};

use crate::AppState;
use crate::cookies::{Cookies, cookie_value};
use crate::failure::Failure;

/// The organization a request is for: named in the path (`/o/<org>/…`),
/// or the deployment's default organization (`/m/…`).
pub(crate) struct Tenant {
    /// The organization's id.
    pub(crate) id: String,
    /// The prefix of its pages: `/o/<org>`, or empty for the default organization.
    pub(crate) base: String,
    /// What it has enabled.
    pub(crate) modules: Arc<OrgModules>,
}

impl Tenant {
    /// Where a module's pages are for this organization.
    pub(crate) fn module_base(&self, module_id: &str) -> String {
        format!("{}/m/{module_id}", self.base)
    }
}

/// Resolves the organization of a request path; `Err` is the page to answer.
pub(crate) async fn tenant(state: &AppState, path: &str) -> Result<(Tenant, String), Failure> {
    let (org_id, base, rest) = match path.strip_prefix("/o/") {
        Some(p) => {
            let (org, rest) = p.split_once('/').unwrap_or((p, ""));
            (org.to_owned(), format!("/o/{org}"), format!("/{rest}"))
        }
        None => match &state.config.default_org {
            Some(org) => (org.clone(), String::new(), path.to_owned()),
            None => {
                return Err(Failure::new(
                    StatusCode::NOT_FOUND,
                    "Not found",
                    "Choose an organization first: its pages are at /o/<organization>/.",
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
            "Not found",
            format!("There is no organization `{org_id}` in this portal."),
        ));
    }
    Ok((
        Tenant {
            id: org_id,
            base,
            modules,
        },
        rest,
    ))
}

/// Who a request comes from.
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
                    "Not authorized",
                    "The API token is not valid: it is unknown, revoked or expired.",
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

/// What a visitor is in one organization.
#[derive(Debug, Default)]
pub(crate) struct Standing {
    /// The roles held there.
    pub(crate) roles: BTreeSet<String>,
    /// Whether the visitor is staff there (holds a role, or is its API token).
    pub(crate) staff: bool,
    /// Whether anyone is logged in.
    pub(crate) logged_in: bool,
}

impl Standing {
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

/// The visitor's roles in `org_id`. An API token of another organization is refused.
pub(crate) async fn standing(
    state: &AppState,
    visitor: &Visitor,
    org_id: &str,
) -> Result<Standing, Failure> {
    match visitor {
        Visitor::Anonymous { .. } => Ok(Standing::default()),
        Visitor::Token(t) if t.org_id != org_id => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("This API token is for organization `{}` only.", t.org_id),
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
            "Unsupported form",
            "Forms must be posted as application/x-www-form-urlencoded.",
        ));
    }
    std::str::from_utf8(body)
        .map_err(|e| e.to_string())
        .and_then(|s| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(s).map_err(|e| e.to_string())
        })
        .map_err(|e| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                format!("The form cannot be read: {e}"),
            )
        })
}
