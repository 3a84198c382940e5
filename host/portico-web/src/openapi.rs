//! `GET /api/openapi.json`: the portal's REST API as an OpenAPI 3.1
//! document, for a mobile app or another agenda system. It describes the
//! host's own API (organizations, roles, API tokens, the session, token
//! exchange) and, from the installed modules' manifests, every route a
//! module serves: its pages as JSON views and its own API routes, with the
//! access each route needs. Built with utoipa's builders, since the module
//! routes are known only at run time. A module's webhook connections are
//! described too, with the headers of their signature, for the outside
//! systems that send to them.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portico_runtime::manifest::{Access, ConnectionKind, Route, RouteKind};
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ArrayBuilder, ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, ObjectBuilder,
    OpenApi, OpenApiBuilder, PathItem, Paths, PathsBuilder, Ref, Required, ResponseBuilder,
    SecurityRequirement, ServerBuilder, Type,
};

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(document))
}

async fn document(State(state): State<AppState>) -> Response {
    match describe(&state).to_json() {
        Ok(json) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            json,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot write the OpenAPI document");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A string property.
fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn schema_ref(name: &str) -> Ref {
    Ref::from_schema_name(name)
}

/// A JSON response of `schema`.
fn json_response(description: &str, schema: Ref) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(schema)).build(),
    )
}

fn error_response(description: &str) -> ResponseBuilder {
    json_response(description, schema_ref("Error"))
}

fn path_parameter(name: &str, description: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
}

/// Who may call: a session (with its CSRF token for changes) or an API token.
fn signed_in() -> Vec<SecurityRequirement> {
    vec![
        SecurityRequirement::new("session", Vec::<String>::new()).add("csrf", Vec::<String>::new()),
        SecurityRequirement::new("bearer", Vec::<String>::new()),
    ]
}

fn session_only() -> Vec<SecurityRequirement> {
    vec![
        SecurityRequirement::new("session", Vec::<String>::new()).add("csrf", Vec::<String>::new()),
    ]
}

fn json_body(schema: &str) -> RequestBodyBuilder {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(schema_ref(schema)))
                .build(),
        )
}

/// The host's own administration API and session endpoints.
fn host_paths() -> Paths {
    let org = || path_parameter("org", "The organization's identifier, e.g. `brno`.");
    let admin = |id: &str, summary: &str| {
        OperationBuilder::new()
            .tag("administration")
            .operation_id(Some(id))
            .summary(Some(summary))
            .securities(Some(session_only()))
            .response("401", error_response("Not logged in."))
            .response("403", error_response("Not an administrator there."))
    };
    PathsBuilder::new()
        .path(
            "/api/v1/orgs",
            PathItem::new(
                HttpMethod::Get,
                admin("listOrganizations", "The organization tree.").response(
                    "200",
                    json_response("Every organization, parents first.", schema_ref("OrganizationList")),
                ),
            ),
        )
        .path(
            "/api/v1/orgs",
            PathItem::new(
                HttpMethod::Post,
                admin(
                    "createOrganization",
                    "Creates an organization (a region or city: platform administrators; below one's own: its administrators).",
                )
                .request_body(Some(json_body("NewOrganization").build()))
                .response("201", json_response("Created.", schema_ref("Organization")))
                .response("409", error_response("The identifier is taken."))
                .response("422", error_response("A field is wrong; `field` names it.")),
            ),
        )
        .path(
            "/api/v1/orgs/{org}/roles",
            PathItem::new(
                HttpMethod::Get,
                admin("listRoles", "The roles granted in an organization and those that can be.")
                    .parameter(org())
                    .response("200", json_response("The grants and the available roles.", schema_ref("Object"))),
            ),
        )
        .path(
            "/api/v1/orgs/{org}/members/{username}/roles/{role}",
            PathItem::new(
                HttpMethod::Put,
                admin("grantRole", "Grants a role to a user in an organization.")
                    .parameter(org())
                    .parameter(path_parameter("username", "The user's log-in name."))
                    .parameter(path_parameter("role", "E.g. `org-admin` or `notice-board.editor`."))
                    .response("204", ResponseBuilder::new().description("Granted."))
                    .response("422", error_response("No such role.")),
            ),
        )
        .path(
            "/api/v1/orgs/{org}/members/{username}/roles/{role}",
            PathItem::new(
                HttpMethod::Delete,
                admin("revokeRole", "Revokes a role.")
                    .parameter(org())
                    .parameter(path_parameter("username", "The user's log-in name."))
                    .parameter(path_parameter("role", "The role."))
                    .response("204", ResponseBuilder::new().description("Revoked.")),
            ),
        )
        .path(
            "/api/v1/orgs/{org}/tokens",
            PathItem::new(
                HttpMethod::Get,
                admin("listTokens", "The API tokens of an organization (never their secrets).")
                    .parameter(org())
                    .response("200", json_response("The tokens.", schema_ref("Object"))),
            ),
        )
        .path(
            "/api/v1/orgs/{org}/tokens",
            PathItem::new(
                HttpMethod::Post,
                admin("createToken", "Issues an API token; its secret is in this answer only.")
                    .parameter(org())
                    .request_body(Some(json_body("NewToken").build()))
                    .response("201", json_response("The token and its secret.", schema_ref("Object")))
                    .response("422", error_response("A field is wrong; `field` names it.")),
            ),
        )
        .path(
            "/api/v1/orgs/{org}/tokens/{id}",
            PathItem::new(
                HttpMethod::Delete,
                admin("revokeToken", "Revokes an API token.")
                    .parameter(org())
                    .parameter(path_parameter("id", "The token's id."))
                    .response("204", ResponseBuilder::new().description("Revoked.")),
            ),
        )
        .path(
            "/auth/me",
            PathItem::new(
                HttpMethod::Get,
                OperationBuilder::new()
                    .tag("session")
                    .operation_id(Some("me"))
                    .summary(Some("Who is logged in, and the CSRF token their changes carry."))
                    .securities(Some(vec![SecurityRequirement::new("session", Vec::<String>::new())]))
                    .response("200", json_response("The user.", schema_ref("Object")))
                    .response("401", error_response("Not logged in.")),
            ),
        )
        .path(
            "/auth/token",
            PathItem::new(
                HttpMethod::Post,
                OperationBuilder::new()
                    .tag("session")
                    .operation_id(Some("exchangeToken"))
                    .summary(Some(
                        "OAuth 2.0 token exchange (RFC 8693): a session token becomes a signed JWT for a configured audience.",
                    ))
                    .request_body(Some(
                        RequestBodyBuilder::new()
                            .required(Some(Required::True))
                            .content(
                                "application/x-www-form-urlencoded",
                                ContentBuilder::new()
                                    .schema(Some(
                                        ObjectBuilder::new()
                                            .property("grant_type", string("`urn:ietf:params:oauth:grant-type:token-exchange`"))
                                            .required("grant_type")
                                            .property("subject_token", string("The Portico session token."))
                                            .required("subject_token")
                                            .property("subject_token_type", string("`urn:ietf:params:oauth:token-type:access_token`"))
                                            .required("subject_token_type")
                                            .property("audience", string("A configured audience."))
                                            .required("audience"),
                                    ))
                                    .build(),
                            )
                            .build(),
                    ))
                    .response("200", json_response("The issued token.", schema_ref("Object")))
                    .response("400", json_response("An OAuth error (`error`, `error_description`).", schema_ref("Object"))),
            ),
        )
        .build()
}

/// A manifest route as an OpenAPI path: `{*rest}` becomes `{rest}`.
fn openapi_path(module: &str, route: &str) -> String {
    format!("/o/{{org}}/m/{module}{}", route.replace("{*", "{"))
}

/// The parameters of a route pattern, in order.
fn route_parameters(route: &str) -> Vec<String> {
    route
        .split('{')
        .skip(1)
        .filter_map(|s| {
            s.split_once('}')
                .map(|(name, _)| name.trim_start_matches('*').to_owned())
        })
        .collect()
}

fn route_security(route: &Route) -> Option<Vec<SecurityRequirement>> {
    match route.access {
        Access::Public => Some(vec![SecurityRequirement::default()]),
        Access::User | Access::Staff => Some(signed_in()),
    }
}

fn route_summary(route: &Route) -> String {
    let who = match route.access {
        Access::Public => "anyone".to_owned(),
        Access::User => "any logged-in user".to_owned(),
        Access::Staff => match &route.permission {
            Some(p) => format!("staff with the permission `{p}`"),
            None => "staff of the organization".to_owned(),
        },
    };
    format!("For {who}.")
}

/// Every route of every installed module.
fn module_paths(state: &AppState) -> (Paths, Vec<utoipa::openapi::Tag>) {
    let mut paths = Paths::new();
    let mut tags = Vec::new();
    for module in state.registry().iter() {
        let m = module.manifest();
        tags.push(
            TagBuilder::new()
                .name(&m.id)
                .description(Some(format!(
                    "{} ({} {}, portico:plugin@{}). {}",
                    m.name,
                    m.vendor,
                    m.version,
                    module.api_version(),
                    m.description
                )))
                .build(),
        );
        for route in &m.routes {
            let path = openapi_path(&m.id, &route.path);
            let mut parameters = vec![
                path_parameter(
                    "org",
                    "The organization's identifier (the module must be enabled there).",
                )
                .build(),
            ];
            parameters.extend(
                route_parameters(&route.path)
                    .iter()
                    .map(|p| path_parameter(p, "A parameter of the module's route.").build()),
            );
            let operation = |method: &str| {
                let mut op = OperationBuilder::new()
                    .tag(&m.id)
                    .operation_id(Some(format!("{}:{method}:{}", m.id, route.path)))
                    .summary(Some(route_summary(route)))
                    .securities(route_security(route))
                    .response("401", error_response("Log in first."))
                    .response("403", error_response("Not allowed."))
                    .response(
                        "404",
                        error_response("Not here (or the module is not enabled there)."),
                    );
                for p in &parameters {
                    op = op.parameter(p.clone());
                }
                op
            };
            match route.kind {
                RouteKind::Page => {
                    paths.add_path_operation(
                        &path,
                        vec![HttpMethod::Get],
                        operation("get")
                            .description(Some(
                                "The page's view as JSON (send `Accept: application/json`).",
                            ))
                            .response("200", json_response("The view.", schema_ref("View"))),
                    );
                    paths.add_path_operation(
                        &path,
                        vec![HttpMethod::Post],
                        operation("post")
                            .description(Some(
                                "Posts the page's form (`application/x-www-form-urlencoded`, with `_csrf`).",
                            ))
                            .response("303", ResponseBuilder::new().description("Accepted; `Location` is the next page."))
                            .response("422", json_response("Refused; the view shows the errors at the fields.", schema_ref("View"))),
                    );
                }
                RouteKind::Api => {
                    for (method, name) in [
                        (HttpMethod::Get, "get"),
                        (HttpMethod::Post, "post"),
                        (HttpMethod::Put, "put"),
                        (HttpMethod::Patch, "patch"),
                        (HttpMethod::Delete, "delete"),
                    ] {
                        paths.add_path_operation(
                            &path,
                            vec![method],
                            operation(name)
                                .description(Some(
                                    "Answered by the module itself; see its user manual.",
                                ))
                                .response(
                                    "200",
                                    ResponseBuilder::new().description("The module's answer."),
                                ),
                        );
                    }
                }
            }
        }
        for hook in m
            .connections
            .iter()
            .filter(|c| c.kind == ConnectionKind::Webhook)
        {
            let header = |name: &str, description: &str| {
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Header)
                    .required(Required::True)
                    .description(Some(description))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build()
            };
            let mut op = OperationBuilder::new()
                .tag(&m.id)
                .operation_id(Some(format!("{}:webhook:{}", m.id, hook.name)))
                .summary(Some(format!("Webhook `{}`: {}", hook.name, hook.purpose)))
                .description(Some(
                    "For the outside system the organization's administrator gave this address \
                     and the connection's secret. Signed as Standard Webhooks has it: \
                     HMAC-SHA256 of `webhook-id.webhook-timestamp.body` by the secret (`whsec_` \
                     and base64). A message is handed to the module once per `webhook-id`.",
                ))
                .parameter(path_parameter(
                    "org",
                    "The organization's identifier (the module enabled and the connection set up there).",
                ))
                .parameter(header("webhook-id", "The message's id; the same when it is sent again."))
                .parameter(header(
                    "webhook-timestamp",
                    "When it was signed, seconds since the Unix epoch; within five minutes of the portal's clock.",
                ))
                .parameter(header(
                    "webhook-signature",
                    "`v1,` and the base64 signature; several separated by spaces.",
                ))
                .securities(Some(Vec::<SecurityRequirement>::new()))
                .response(
                    "204",
                    ResponseBuilder::new().description("Received (now, or before)."),
                )
                .response(
                    "401",
                    error_response("The signature does not hold, or the timestamp is too far from now."),
                )
                .response("404", error_response("No webhook at this address."))
                .response("422", error_response("The module refused what was sent."))
                .response(
                    "503",
                    error_response("The module cannot take it now: send it again later."),
                );
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .description(Some(
                        "The message, as the module expects it (at most 1 MiB).",
                    ))
                    .build(),
            ));
            paths.add_path_operation(
                format!("/o/{{org}}/hooks/{}/{}", m.id, hook.name),
                vec![HttpMethod::Post],
                op,
            );
        }
    }
    (paths, tags)
}

/// The whole document.
pub(crate) fn describe(state: &AppState) -> OpenApi {
    let (module_paths, module_tags) = module_paths(state);
    let mut paths = host_paths();
    paths.merge(module_paths);
    let mut tags = vec![
        TagBuilder::new()
            .name("administration")
            .description(Some("Organizations, roles and API tokens."))
            .build(),
        TagBuilder::new()
            .name("session")
            .description(Some("The logged-in user and token exchange."))
            .build(),
    ];
    tags.extend(module_tags);
    let block = ObjectBuilder::new()
        .property(
            "type",
            string("heading, text, table, key-values, actions, form, notice, stats, chart, timeline, map or pager").enum_values(Some([
                "heading", "text", "table", "key-values", "actions", "form", "notice", "stats",
                "chart", "timeline", "map", "pager",
            ])),
        )
        .required("type")
        .description(Some("One block of a view; its other fields depend on `type`."));
    let components = ComponentsBuilder::new()
        .schema(
            "Error",
            ObjectBuilder::new()
                .property("error", string("What kind of failure."))
                .required("error")
                .property("message", string("What is wrong, in words."))
                .required("message")
                .property("field", string("The input field that is wrong, where one is."))
                .property("request_id", string("Quote it when reporting a failure.")),
        )
        .schema(
            "View",
            ObjectBuilder::new()
                .property("title", string("The page title."))
                .required("title")
                .property("blocks", ArrayBuilder::new().items(block))
                .required("blocks")
                .description(Some("A page as typed blocks, top to bottom.")),
        )
        .schema(
            "Organization",
            ObjectBuilder::new()
                .property("id", string("Identifier."))
                .required("id")
                .property("name", string("Name."))
                .required("name")
                .property("kind", string("region, city, organization or unit"))
                .property("ico", string("The IČO (identification number), where it has one."))
                .property("parent_id", string("The organization above it."))
                .property("category", string("What it does, e.g. `school`, `hospital`."))
                .property("address", string("Its postal address, on one line."))
                .property(
                    "closed_to_above",
                    ObjectBuilder::new()
                        .schema_type(Type::Boolean)
                        .description(Some(
                            "Whether the administrators of the organizations above it no longer administer it.",
                        )),
                ),
        )
        .schema(
            "OrganizationList",
            ObjectBuilder::new()
                .property("organizations", ArrayBuilder::new().items(schema_ref("Organization")))
                .required("organizations"),
        )
        .schema(
            "NewOrganization",
            ObjectBuilder::new()
                .property("id", string("2 to 64 lower-case letters, digits and dashes."))
                .required("id")
                .property("name", string("Name."))
                .required("name")
                .property(
                    "kind",
                    string("What it is.").enum_values(Some(["region", "city", "organization", "unit"])),
                )
                .required("kind")
                .property("ico", string("IČO: 8 digits with a valid check digit."))
                .property("parent", string("The organization above it."))
                .property(
                    "category",
                    string("What it does: lower-case words joined by dashes, e.g. `school`, `social-services`."),
                )
                .property("address", string("Its postal address, on one line.")),
        )
        .schema(
            "NewToken",
            ObjectBuilder::new()
                .property("name", string("What the token is for, e.g. the system that uses it."))
                .required("name")
                .property("permissions", ArrayBuilder::new().items(string("A module permission, e.g. `notice-board.post`.")))
                .property(
                    "days",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .description(Some("Days until it expires.")),
                ),
        )
        .schema("Object", ObjectBuilder::new().schema_type(Type::Object))
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(state.cookies.session()))),
        )
        .security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                crate::auth::CSRF_HEADER,
                "The session's CSRF token (from /auth/me), on every change made with the session cookie.",
            ))),
        )
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pt_…")
                    .description(Some("An API token of one organization."))
                    .build(),
            ),
        )
        .build();
    let mut builder = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(format!("{} API", state.config.portal_name))
                .version("1")
                .description(Some(
                    "The portal's REST API: administration, and every installed module's pages (as JSON views) and API routes.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .tags(Some(tags));
    if let Some(url) = &state.config.public_url {
        builder = builder.servers(Some([ServerBuilder::new().url(url).build()]));
    }
    builder.build()
}
