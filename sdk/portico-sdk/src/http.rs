//! Requests the host routes to the module, and what the module answers.

use crate::View;
use crate::wit::portico::plugin0_1_0::types as wit;
use crate::wit::portico::plugin0_5_0::types as pages;

pub(crate) fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The route of the manifest that matched, with its parameters and query.
#[derive(Debug, Clone)]
struct Route(wit::RouteMatch);

impl Route {
    fn param(&self, name: &str) -> Option<&str> {
        lookup(&self.0.params, name)
    }
    fn query(&self, name: &str) -> Option<&str> {
        lookup(&self.0.query, name)
    }
}

/// A request for one of the module's pages.
#[derive(Debug, Clone)]
pub struct Page {
    route: Route,
}

impl Page {
    /// The path below `/m/<module>`, e.g. `/notices/42`.
    pub fn path(&self) -> &str {
        &self.route.0.path
    }

    /// The manifest's route pattern that matched, e.g. `/notices/{id}`.
    pub fn pattern(&self) -> &str {
        &self.route.0.pattern
    }

    /// A parameter of the pattern, e.g. `id`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.route.param(name)
    }

    /// The first query string value named `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.route.query(name)
    }
}

impl From<wit::PageRequest> for Page {
    fn from(p: wit::PageRequest) -> Self {
        Page {
            route: Route(p.route),
        }
    }
}

/// A form posted to one of the module's pages.
#[derive(Debug, Clone)]
pub struct FormPost {
    route: Route,
    fields: Vec<(String, String)>,
    files: Vec<UploadedFile>,
}

/// A file posted with a form, from a [`crate::Field::file`] field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The file field it was chosen in.
    pub field: String,
    /// Its name on the user's computer, without folders.
    pub filename: String,
    /// The media type the browser gave, e.g. `image/jpeg`; check the
    /// content too, a browser only guesses.
    pub media_type: String,
    /// The content.
    pub content: Vec<u8>,
}

impl FormPost {
    /// The page path the form was posted to.
    pub fn path(&self) -> &str {
        &self.route.0.path
    }

    /// The manifest's route pattern the form was posted to, e.g. `/notices/{id}`.
    pub fn pattern(&self) -> &str {
        &self.route.0.pattern
    }

    /// A parameter of the page's route pattern.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.route.param(name)
    }

    /// The first value posted under `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        lookup(&self.fields, name)
    }

    /// The first value named `name` in the query string of the address
    /// the form was posted to (`/places/new?parent=…`).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.route.query(name)
    }

    /// What a form being shown again holds in `name`: what `form` posted
    /// (a refused form), else `kept` (the value stored, or none yet).
    pub fn shown(form: Option<&FormPost>, name: &str, kept: &str) -> String {
        form.and_then(|f| f.get(name)).unwrap_or(kept).to_owned()
    }

    /// Every value posted under `name` (multi-valued fields).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The further button pressed ([`crate::Form::button`]), if one was.
    pub fn button(&self) -> Option<&str> {
        self.get("_button")
    }

    /// The file chosen in the file field `name`, if one was.
    pub fn file(&self, name: &str) -> Option<&UploadedFile> {
        self.files.iter().find(|f| f.field == name)
    }

    /// Every file posted with the form.
    pub fn files(&self) -> &[UploadedFile] {
        &self.files
    }

    /// A place field's answer ([`crate::Field::place`]): the address as
    /// posted (trimmed), and the position when both coordinates are
    /// numbers (their range is the module's to check).
    pub fn place(&self, name: &str) -> (String, Option<(f64, f64)>) {
        let number = |suffix: &str| {
            self.get(&format!("{name}.{suffix}"))
                .and_then(|v| v.trim().replace(',', ".").parse::<f64>().ok())
        };
        let address = self.get(name).unwrap_or_default().trim().to_owned();
        (address, number("lat").zip(number("lon")))
    }

    /// The same post with `name` set to `value` in place of what was
    /// posted: for a form shown again with what the module worked out
    /// (an address found, a position filled in).
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> FormPost {
        self.fields.retain(|(k, _)| k != name);
        self.fields.push((name.to_owned(), value.into()));
        self
    }
}

impl From<crate::wit::portico::plugin0_2_0::types::ActionRequest> for FormPost {
    fn from(a: crate::wit::portico::plugin0_2_0::types::ActionRequest) -> Self {
        FormPost {
            route: Route(a.route),
            fields: a.fields,
            files: a
                .files
                .into_iter()
                .map(|f| UploadedFile {
                    field: f.field,
                    filename: f.filename,
                    media_type: f.media_type,
                    content: f.content,
                })
                .collect(),
        }
    }
}

/// What the user sees after a form post.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Accepted: go to `to` (a path below `/m/<module>`), optionally showing a message.
    Redirect {
        /// Where to go.
        to: String,
        /// A confirmation to show there.
        message: Option<String>,
    },
    /// Show this view, typically the form again with errors at its fields.
    Show(View),
}

impl Outcome {
    /// Accepted; go to `to`.
    pub fn redirect(to: impl Into<String>) -> Self {
        Outcome::Redirect {
            to: to.into(),
            message: None,
        }
    }

    /// Accepted; go to `to` and show `message` there.
    pub fn redirect_with(to: impl Into<String>, message: impl Into<String>) -> Self {
        Outcome::Redirect {
            to: to.into(),
            message: Some(message.into()),
        }
    }
}

impl From<Outcome> for pages::Outcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Redirect { to, message } => {
                pages::Outcome::Redirect(wit::Redirect { to, message })
            }
            Outcome::Show(view) => pages::Outcome::Show(view.into()),
        }
    }
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

/// An HTTP request to one of the module's API routes.
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    route: Route,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// The request's method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The path below `/m/<module>`.
    pub fn path(&self) -> &str {
        &self.route.0.path
    }

    /// The manifest's route pattern that matched, e.g. `/api/notices/{id}`.
    pub fn pattern(&self) -> &str {
        &self.route.0.pattern
    }

    /// A parameter of the matched route pattern.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.route.param(name)
    }

    /// The first query string value named `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.route.query(name)
    }

    /// Every query string value named `name`, in order.
    pub fn query_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.route
            .0
            .query
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A request header (names are lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        lookup(&self.headers, &name.to_ascii_lowercase())
    }

    /// The portal's address as the request reached it, `scheme://host`:
    /// the host's `X-Forwarded-Proto` where a proxy set it, else `http`
    /// for a loopback host and `https` for any other.
    pub fn origin(&self) -> String {
        let host = self.header("host").unwrap_or("localhost");
        let local = ["127.", "localhost", "[::1]"]
            .iter()
            .any(|l| host.starts_with(l));
        let scheme =
            self.header("x-forwarded-proto")
                .unwrap_or(if local { "http" } else { "https" });
        format!("{scheme}://{host}")
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body parsed as JSON; a parse failure is an `Invalid` error on `body`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> crate::Result<T> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

impl From<wit::Request> for Request {
    fn from(r: wit::Request) -> Self {
        let method = match r.method {
            wit::Method::Get => Method::Get,
            wit::Method::Head => Method::Head,
            wit::Method::Post => Method::Post,
            wit::Method::Put => Method::Put,
            wit::Method::Patch => Method::Patch,
            wit::Method::Delete => Method::Delete,
            wit::Method::Options => Method::Options,
        };
        Request {
            method,
            route: Route(r.route),
            headers: r.headers,
            body: r.body,
        }
    }
}

/// The module's answer to an API request.
///
/// ```no_run
/// let ok = portico_sdk::Response::json(&serde_json::json!({"count": 3}));
/// let gone = portico_sdk::Response::new(410).text("withdrawn");
/// ```
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A 200 response with `value` as JSON.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Response::new(200)
                .header("content-type", "application/json")
                .body(body),
            Err(e) => Response::new(500).text(format!("could not encode JSON: {e}")),
        }
    }

    /// A 200 response with a document for the browser to show in place,
    /// named `file_name` (each character but ASCII letters, digits, `.`,
    /// `-`, `_` and spaces written as `_`, so the header stays one safe
    /// line).
    pub fn inline_file(media_type: &str, file_name: &str, content: Vec<u8>) -> Self {
        let name: String = file_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Response::new(200)
            .header("content-type", media_type)
            .header(
                "content-disposition",
                format!("inline; filename=\"{name}\""),
            )
            .body(content)
    }

    /// Sets the status, e.g. 201 after a POST created something.
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a plain-text body.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.header("content-type", "text/plain; charset=utf-8")
            .body(text.into().into_bytes())
    }
}

impl From<Response> for wit::Response {
    fn from(r: Response) -> Self {
        wit::Response {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }
}
