//! Portico's integration tests: one binary, real built components, real
//! HTTP. Modules are built by `cargo xtask build-plugins`.
#![allow(clippy::unwrap_used)]

mod account;
mod addresses;
mod approvals;
mod assets;
mod audit;
mod browser;
mod builder;
mod calendar;
mod cli;
mod collection;
mod complaints;
mod connections;
mod console;
mod contracts;
mod data;
mod desk;
mod energy;
mod exchange;
mod figures;
mod files;
mod forms;
mod identity;
mod imports;
mod journeys;
mod languages;
mod load;
mod loading;
mod maps;
mod messages;
mod methodology;
mod notices;
mod notify;
mod oidc;
mod openapi;
mod organizations;
mod pages;
mod portal;
mod procurement;
mod registry;
mod sandbox;
mod scim;
mod search;
mod security;
mod tasks;
mod testkit;
mod translations;
mod upgrade;
mod vendor;
mod winter;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A response as a test looks at it.
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// Sends one request through the router, no socket needed.
pub async fn send(app: &axum::Router, request: Request<Body>) -> Got {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("the body arrives")
        .to_bytes();
    Got {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// GETs `path` with an `Accept` header.
pub async fn get(app: &axum::Router, path: &str, accept: &str) -> Got {
    let request = Request::get(path)
        .header("accept", accept)
        .body(Body::empty())
        .expect("a request");
    send(app, request).await
}

pub const HTML: &str = "text/html,application/xhtml+xml";
pub const JSON: &str = "application/json";

/// Sends `method path` with a JSON body to a portal, asking for JSON.
pub async fn call(portal: &portico_tests::TestPortal, method: &str, path: &str, body: &str) -> Got {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("accept", JSON)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("a request");
    send(&portal.app(), request).await
}

/// The body of a response as JSON.
pub fn json_of(got: &Got) -> serde_json::Value {
    serde_json::from_str(&got.body).unwrap_or_else(|e| panic!("{e}: {}", got.body))
}

/// Uploads a module package on the console's "Modules" page, as a platform
/// administrator logged in to `browser` does.
pub async fn install_package(
    browser: &portico_tests::browser::Browser,
    file_name: &str,
    package: &[u8],
) -> portico_tests::browser::Page {
    let catalog = browser.get("/admin/modules").await;
    browser
        .post_multipart(
            "/admin/modules/install",
            &[("_csrf", &catalog.csrf())],
            ("package", file_name, package),
        )
        .await
}

/// Enables module `id` for organization `org` on its console page, as an
/// administrator logged in to `browser` does; the answer is the redirect.
pub async fn enable_module(
    browser: &portico_tests::browser::Browser,
    org: &str,
    id: &str,
) -> portico_tests::browser::Page {
    let module_page = format!("/admin/orgs/{org}/modules/{id}");
    let form = browser.get(&module_page).await;
    assert_eq!(form.status, 200, "{}", form.body);
    browser
        .post_form(
            &module_page,
            &[("_csrf", &form.csrf()), ("state", "enable")],
        )
        .await
}

/// Runs `command`, returning its output; panics with it when it fails.
pub fn run(command: &mut std::process::Command) -> String {
    let out = command.output().expect("the command starts");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{command:?} failed:\n{text}");
    text
}

/// Serves `portal` and logs a platform administrator (`spravce`) in to a
/// browser: the address, and the administrator's browser.
pub async fn serve_to_platform_admin(
    portal: &portico_tests::TestPortal,
) -> (std::net::SocketAddr, portico_tests::browser::Browser) {
    use portico_platform::identity::{roles, users::UserKind};
    const PASSWORD: &str = "correct horse battery";
    let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&admin, roles::EVERY_ORG, roles::PLATFORM_ADMIN)
        .await;
    let addr = portal.serve().await;
    let browser = portico_tests::browser::Browser::new(addr);
    assert_eq!(browser.log_in("spravce", PASSWORD).await.status, 303);
    (addr, browser)
}
