//! The host's own model of what crosses the module boundary: the context a
//! call runs in, requests, and the views and responses modules return.
//!
//! These types are independent of any one WIT version: each supported
//! version's bindings convert into them, so the web layer speaks one model.
//! Views serialize to the JSON the portal's API returns.

use serde::Serialize;

/// How strongly the identity of a principal was verified, shared with
/// the platform.
pub use portico_types::Assurance;

/// An event delivered to a subscribing module.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// The event's id (the same for every delivery of it).
    pub id: u64,
    /// Its topic.
    pub topic: String,
    /// Its payload, JSON.
    pub payload: String,
    /// The module that published it.
    pub source: String,
    /// When it was published (RFC 3339).
    pub published_at: String,
}

/// A message delivered to a module from the same module in another
/// organization of its line (0.3.0 on).
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// The message's id: the receiver's module is called once per id that succeeds.
    pub id: u64,
    /// What it is, in the sender's words, e.g. `task.assigned`.
    pub kind: String,
    /// Its payload, JSON.
    pub payload: String,
    /// The organization that sent it.
    pub from_org: String,
    /// When it was sent (RFC 3339).
    pub sent_at: String,
}

/// What an outside system sent to a module's webhook connection, its
/// signature checked by the host (0.5.0 on).
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    /// The connection's name.
    pub connection: String,
    /// The sender's id of the message: handed over until one call succeeds.
    pub id: String,
    /// When the sender signed it (RFC 3339).
    pub sent_at: String,
    /// Its headers, lower-case names, without the signature's.
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// The person or machine client on whose behalf a call runs.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// Stable identifier of the user.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// The organization the principal acts for.
    pub org_id: String,
    /// Roles held in that organization.
    pub roles: Vec<String>,
    /// The called module's permissions held there (`<module>.<permission>`).
    pub permissions: Vec<String>,
    /// How strongly the identity was verified.
    pub assurance: Assurance,
    /// Verified claims of the identity provider.
    pub claims: Vec<(String, String)>,
}

/// What a call runs in: set by the host, never by the module.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The organization (tenant) of the call.
    pub org_id: String,
    /// Who is asking.
    pub principal: Option<Principal>,
    /// The request's identifier.
    pub request_id: String,
    /// The user's language.
    pub locale: String,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

/// The route of a module's manifest that matched a request.
#[derive(Debug, Clone)]
pub struct RouteMatch {
    /// The manifest's pattern, e.g. `/notices/{id}`.
    pub pattern: String,
    /// The path below `/m/<module>`.
    pub path: String,
    /// The pattern's parameters.
    pub params: Vec<(String, String)>,
    /// The decoded query string.
    pub query: Vec<(String, String)>,
}

/// An API request for a module.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The route that matched.
    pub route: RouteMatch,
    /// Headers (lower-case names) without cookies or credentials.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A module's answer to an API request.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers as the module set them; the web layer filters them.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A posted form.
#[derive(Debug, Clone)]
pub struct FormPost {
    /// The page route the form was posted to.
    pub route: RouteMatch,
    /// The posted fields in order.
    pub fields: Vec<(String, String)>,
    /// The files chosen in the form's file fields (0.2.0 modules get them).
    pub files: Vec<UploadedFile>,
}

/// A file posted with a form.
#[derive(Debug, Clone, Serialize)]
pub struct UploadedFile {
    /// The file field it was chosen in.
    pub field: String,
    /// Its name on the user's computer, without folders.
    pub filename: String,
    /// The media type the browser gave.
    pub media_type: String,
    /// The content.
    #[serde(skip)]
    pub content: Vec<u8>,
}

/// What to do after a form post.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Outcome {
    /// Go to `to` (below `/m/<module>`), showing `message` there.
    Redirect {
        /// Where to go.
        to: String,
        /// What to show.
        message: Option<String>,
    },
    /// Show this view.
    Show {
        /// The view.
        view: View,
    },
}

/// What a module says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleInfo {
    /// Identifier.
    pub id: String,
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
}

/// A page as typed blocks.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// The page title.
    pub title: String,
    /// The content, top to bottom.
    pub blocks: Vec<Block>,
}

/// One block of a view.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
#[allow(missing_docs)]
pub enum Block {
    Heading { level: u8, text: String },
    Text { text: String },
    Table(Table),
    KeyValues { items: Vec<KeyValue> },
    Actions { items: Vec<Action> },
    Form(Form),
    Notice { level: NoticeLevel, text: String },
    Stats { items: Vec<Stat> },
    Chart(Chart),
    Timeline { items: Vec<TimelineEntry> },
    Map(Map),
    Pager(Pager),
    LineMap(LineMap),
}

/// A table.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub empty_text: String,
    /// The column the module sorted the rows by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sorted_by: Option<TableSort>,
}

/// A table column.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Column {
    pub label: String,
    pub numeric: bool,
    /// When set, the reader may sort by this column (`?sort=<key>&order=…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<String>,
}

/// The order of a table's rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct TableSort {
    pub key: String,
    pub descending: bool,
}

/// One key figure.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Stat {
    pub label: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// How a chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum ChartKind {
    Bar,
    Line,
}

/// A chart of series over categories.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Chart {
    pub caption: String,
    pub kind: ChartKind,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// One series of a chart: one value per category.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// One entry of a timeline.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct TimelineEntry {
    pub when: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Places on a map.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Map {
    pub caption: String,
    pub points: Vec<MapPoint>,
}

/// One place (WGS 84).
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct MapPoint {
    pub latitude: f64,
    pub longitude: f64,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Lines on a map with its key, and places (WIT 0.5.0).
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct LineMap {
    pub caption: String,
    /// What each style means; a line's `style` is an index here.
    pub legend: Vec<String>,
    pub lines: Vec<MapLine>,
    pub points: Vec<MapPoint>,
}

/// One line on a map (WGS 84).
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct MapLine {
    /// Latitude and longitude of each point, in order.
    pub points: Vec<(f64, f64)>,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub style: u32,
}

/// Links to neighbouring pages of a list.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Pager {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// A table cell.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Cell {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A label and value.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// How prominent an action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum ActionStyle {
    Primary,
    Secondary,
    Danger,
}

/// A link styled as a button.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Action {
    pub label: String,
    pub href: String,
    pub style: ActionStyle,
}

/// How severe a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum NoticeLevel {
    Info,
    Success,
    Warning,
    Error,
}

/// A form.
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct Form {
    pub action: String,
    pub submit_label: String,
    pub fields: Vec<FormField>,
    /// Further buttons, posted as `_button=<name>`.
    pub buttons: Vec<FormButton>,
}

/// A further button of a form.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct FormButton {
    pub name: String,
    pub label: String,
}

/// The kind of a form input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum FieldKind {
    #[default]
    Text,
    Textarea,
    Number,
    Date,
    Email,
    Tel,
    Select,
    Checkbox,
    Hidden,
    /// One of the choices, as radio buttons.
    Radio,
    /// Any number of the choices, as boxes to tick.
    Checkboxes,
    /// A file to upload.
    File,
    /// A place: an address (the field's value) and a position, posted as
    /// `<name>`, `<name>.lat` and `<name>.lon` (0.4.0 on).
    Place,
    /// A secret typed in (a password, a token): never shown, never filled
    /// in again. The host's own forms only; no module draws one.
    Password,
}

/// A choice of a select field.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One input of a form.
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    pub value: Option<String>,
    /// The ticked choices of a `Checkboxes` field.
    pub selected: Vec<String>,
    pub help: Option<String>,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
    /// Shown, posted, not changeable (e.g. a verified value).
    pub read_only: bool,
    pub pattern: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    /// HTML's autofill token.
    pub autocomplete: Option<String>,
    /// Media types a file field takes.
    pub accept: Option<String>,
    /// A place's position given so far: latitude, longitude.
    pub position: Option<(f64, f64)>,
    /// Shown only while this holds.
    pub shown_when: Option<Condition>,
    /// Required while this holds, besides `required`.
    pub required_when: Option<Condition>,
    /// The calculation whose result the field shows.
    pub calculation: Option<Calculation>,
}

/// While the form's field `field` has one of `values`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub field: String,
    pub values: Vec<String>,
}

/// How a calculated field works its value out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Sum,
    Product,
    Difference,
    Quotient,
}

/// A value worked out from number fields of the same form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calculation {
    pub operation: Operation,
    pub fields: Vec<String>,
    pub factor: Option<f64>,
}

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A failure a module reported on purpose (as opposed to a fault).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "kebab-case", tag = "error", content = "detail")]
pub enum ModuleError {
    /// 404
    #[error("not found: {0}")]
    NotFound(String),
    /// 403
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 409
    #[error("conflict: {0}")]
    Conflict(String),
    /// 422
    #[error("invalid input ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    /// 503
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 500
    #[error("internal error: {0}")]
    Internal(String),
}
