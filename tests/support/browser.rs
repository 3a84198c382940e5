//! A browser for tests: real HTTP to a served portal, cookies kept as a
//! browser keeps them (whatever their `Secure` flag, since tests speak
//! plain HTTP on loopback), redirects not followed so tests see them.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// A response as a test looks at it.
pub struct Page {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as text (a body that is not UTF-8, with replacement
    /// characters).
    pub body: String,
    /// The body as it came.
    pub bytes: Vec<u8>,
}

impl Page {
    /// The path segment after `start` (`/m/tasks/tasks/`) that a redirect
    /// leads to, without its query: the id of what a form made.
    pub fn redirected_id(&self, start: &str) -> String {
        assert_eq!(self.status, 303, "{}", self.body);
        self.location()
            .strip_prefix(start)
            .unwrap_or_else(|| panic!("redirected to {}, not below {start}", self.location()))
            .split(['/', '?'])
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// Where a redirect leads.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the header `name`; empty when there is none.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `Set-Cookie` header that sets cookie `name`, if one does.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The body as CSV: its rows of cells, as a spreadsheet reads them.
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(self.body.as_bytes())
            .records()
            .map(|r| {
                r.unwrap_or_else(|e| panic!("not CSV ({e}): {}", self.body))
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    /// Asserts the page is a form refused (422) with each of `messages`.
    pub fn assert_refused(&self, messages: &[&str]) {
        assert_eq!(self.status, 422, "{}", self.body);
        for m in messages {
            assert!(
                self.body.contains(m),
                "`{m}` not on the page: {}",
                self.body
            );
        }
    }

    /// The value of the first hidden `_csrf` field of the page.
    /// The texts of the cells of the first table row holding `marker`
    /// (a link, a name), without their markup.
    pub fn row_cells(&self, marker: &str) -> Vec<String> {
        let row = self
            .body
            .split("<tr")
            .find(|r| r.contains(marker))
            .unwrap_or_else(|| panic!("no row with {marker}: {}", self.body));
        let row = row.split("</tr>").next().unwrap_or(row);
        let mut cells = Vec::new();
        for part in row.split("<t").skip(1) {
            if !(part.starts_with('d') || part.starts_with('h')) {
                continue;
            }
            let inner = part.split_once('>').map_or("", |(_, t)| t);
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            cells.push(text.trim().to_owned());
        }
        cells
    }

    pub fn csrf(&self) -> String {
        hidden_field(&self.body, "_csrf")
            .unwrap_or_else(|| panic!("no CSRF field on the page: {}", self.body))
    }
}

/// The value of the hidden input `name` in an HTML page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}

/// One browser (one cookie jar) against one portal.
pub struct Browser {
    addr: std::net::SocketAddr,
    base: String,
    client: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Browser {
    /// A browser with no cookies, for the portal at `addr`.
    pub fn new(addr: std::net::SocketAddr) -> Browser {
        Browser {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: Mutex::default(),
        }
    }

    /// The portal's address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The value of a cookie the browser holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("cookies").get(name).cloned()
    }

    /// Sends a request with the browser's cookies and keeps what it sets.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(String, &str)>,
    ) -> Page {
        self.send_bytes(
            method,
            path,
            headers,
            body.map(|(b, t)| (b.into_bytes(), t)),
        )
        .await
    }

    /// Posts `multipart/form-data`, as a browser posts a form with a file:
    /// text fields, then one file (field name, file name, content).
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Page {
        let boundary = format!("----portico-test-{}", uuid::Uuid::new_v4().simple());
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        let (name, file_name, content) = file;
        body.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\ncontent-type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.send_bytes(
            "POST",
            path,
            &[("accept", "text/html")],
            Some((body, &content_type)),
        )
        .await
    }

    /// Sends a request with a body of bytes.
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(Vec<u8>, &str)>,
    ) -> Page {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        let jar: String = self
            .cookies
            .lock()
            .expect("cookies")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !jar.is_empty() {
            req = req.header("cookie", jar);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some((body, content_type)) = body {
            req = req.header("content-type", content_type).body(body);
        }
        let response = req.send().await.expect("the portal answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for set in headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let Some((pair, attrs)) = set.split_once(';').or(Some((set, ""))) else {
                continue;
            };
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let mut cookies = self.cookies.lock().expect("cookies");
            if value.is_empty() || attrs.to_ascii_lowercase().contains("max-age=0") {
                cookies.remove(name.trim());
            } else {
                cookies.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        let bytes = response.bytes().await.unwrap_or_default().to_vec();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// GETs a page.
    pub async fn get(&self, path: &str) -> Page {
        self.send("GET", path, &[("accept", "text/html")], None)
            .await
    }

    /// GETs JSON.
    pub async fn get_json(&self, path: &str) -> Page {
        self.send("GET", path, &[("accept", "application/json")], None)
            .await
    }

    /// Posts a form.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).expect("form fields");
        self.send(
            "POST",
            path,
            &[("accept", "text/html")],
            Some((body, "application/x-www-form-urlencoded")),
        )
        .await
    }

    /// Submits a form as a person does: opens `page` (for its CSRF token),
    /// then posts `fields` to `path`.
    pub async fn submit(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(page).await;
        assert_eq!(form.status, 200, "{page}: {}", form.body);
        let csrf = form.csrf();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    /// Logs in through the log-in form, as a person does; returns the answer
    /// to the form (a redirect when it worked).
    pub async fn log_in(&self, username: &str, password: &str) -> Page {
        let form = self.get("/auth/login").await;
        assert_eq!(form.status, 200, "the log-in page: {}", form.body);
        let csrf = form.csrf();
        self.post_form(
            "/auth/login",
            &[
                ("_csrf", csrf.as_str()),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    /// The session's CSRF token, as `/auth/me` tells it.
    pub async fn csrf_token(&self) -> String {
        let me = self.get_json("/auth/me").await;
        assert_eq!(me.status, 200, "logged in: {}", me.body);
        me.json()["csrf_token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }
}
