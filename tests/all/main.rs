//! Portico's integration tests: one binary, real built components, real
//! HTTP. Modules are built by `cargo xtask build-plugins`.
#![allow(clippy::unwrap_used)]

mod audit;
mod browser;
mod cli;
mod complaints;
mod console;
mod data;
mod exchange;
mod figures;
mod files;
mod forms;
mod identity;
mod imports;
mod languages;
mod load;
mod loading;
mod notify;
mod oidc;
mod openapi;
mod organizations;
mod pages;
mod portal;
mod sandbox;
mod scim;
mod security;
mod testkit;
mod upgrade;
mod vendor;

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
