//! SCIM's discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`,
//! `/ResourceTypes` and `/Schemas`, generated from `schema`'s one
//! description of the resource types.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::schema;
use super::{ScimError, ScimResult, base_url, provisioner, scim_json};
use crate::AppState;

pub(super) async fn service_provider_config(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ScimResult {
    provisioner(&state, &headers).await?;
    Ok(scim_json(
        StatusCode::OK,
        &schema::config(&base_url(&state, &headers)),
    ))
}

fn listing_of(items: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [schema::LIST],
            "totalResults": items.len(),
            "startIndex": 1,
            "itemsPerPage": items.len(),
            "Resources": items,
        }),
    )
}

pub(super) async fn resource_types(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ScimResult {
    provisioner(&state, &headers).await?;
    Ok(listing_of(schema::resource_types(&base_url(
        &state, &headers,
    ))))
}

pub(super) async fn resource_type(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult {
    provisioner(&state, &headers).await?;
    schema::resource_types(&base_url(&state, &headers))
        .into_iter()
        .find(|r| r["id"] == id.as_str())
        .map(|r| scim_json(StatusCode::OK, &r))
        .ok_or_else(|| ScimError::new(StatusCode::NOT_FOUND, format!("no resource type `{id}`")))
}

pub(super) async fn schemas(State(state): State<AppState>, headers: HeaderMap) -> ScimResult {
    provisioner(&state, &headers).await?;
    Ok(listing_of(schema::schemas(&base_url(&state, &headers))))
}

pub(super) async fn schema_by_id(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult {
    provisioner(&state, &headers).await?;
    schema::schemas(&base_url(&state, &headers))
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::new(StatusCode::NOT_FOUND, format!("no schema `{id}`")))
}
