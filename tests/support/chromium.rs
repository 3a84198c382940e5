//! A real browser for the tests: headless Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`, installed by `.ci/run`),
//! with axe-core (from the npm registry, `tests/browser/`) to check pages
//! for WCAG 2.1 A and AA violations, and screenshots of what a user sees
//! in `target/screenshots/`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// A Chromium session; the driver process ends with it.
pub struct Chromium {
    pub client: Client,
    base: String,
    driver: Child,
}

impl Drop for Chromium {
    /// Ends chromedriver and the browser it started: killed alone,
    /// chromedriver would leave Chromium and its renderers running, and
    /// a test run would pile them up.
    fn drop(&mut self) {
        // The driver leads a process group of its own, which the browser
        // and its helpers join.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn program(var: &str, default: &str) -> PathBuf {
    let path: PathBuf = std::env::var_os(var).map_or_else(|| default.into(), Into::into);
    assert!(
        path.exists(),
        "{} is missing: `bash .ci/run` installs Debian's chromium and chromium-driver (or set {var})",
        path.display()
    );
    path
}

impl Chromium {
    /// Starts a headless Chromium that browses the portal at `addr`.
    pub async fn start(addr: std::net::SocketAddr) -> Chromium {
        let driver_bin = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let browser_bin = program("CHROMIUM", "/usr/bin/chromium");
        let port = free_port();
        let driver = Command::new(driver_bin)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..100 {
            if reqwest::get(format!("{url}/status"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not answer on {url}");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": browser_bin,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1280,900", "--lang=en-US"],
            }),
        );
        // Plain HTTP to the driver on loopback: no TLS needed.
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session");
        Chromium {
            client,
            base: format!("http://{addr}"),
            driver,
        }
    }

    /// Opens a path of the portal.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    }

    /// The path of the current page (with its query).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        let mut p = url.path().to_owned();
        if let Some(q) = url.query() {
            p.push('?');
            p.push_str(q);
        }
        p
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            // Between two pages.
            Err(_) => String::new(),
        }
    }

    /// The page's text once it holds `needle` (a page may still be
    /// loading after a click); panics with the text after 10 seconds.
    pub async fn text_with(&self, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..100 {
            text = self.text().await;
            if text.contains(needle) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "`{needle}` never appeared on {}:\n{text}",
            self.path().await
        );
    }

    /// Types `value` into the field labelled `label`.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self
            .client
            .find(Locator::XPath(&format!(
                "(//input|//textarea)[@id=//label[starts-with(normalize-space(), '{label}')]/@for]"
            )))
            .await
            .unwrap_or_else(|e| panic!("no field labelled `{label}`: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    /// Chooses the file at `path` in the file field labelled `label`.
    pub async fn choose_file(&self, label: &str, path: &std::path::Path) {
        let field = self
            .client
            .find(Locator::XPath(&format!(
                "//input[@type='file'][@id=//label[starts-with(normalize-space(), '{label}')]/@for]"
            )))
            .await
            .unwrap_or_else(|e| panic!("no file field labelled `{label}`: {e}"));
        field
            .send_keys(path.to_str().expect("a UTF-8 path"))
            .await
            .expect("choose the file");
    }

    /// Clicks the button that reads `text` and waits for the page it
    /// leads to.
    pub async fn press(&self, text: &str) {
        self.click_through(&format!(
            "//button[normalize-space()='{text}'] | //input[@type='submit'][@value='{text}']"
        ))
        .await;
    }

    /// Clicks the element `css` finds.
    pub async fn click_css(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing matches {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Waits up to 10 s until the page has an element `css`.
    pub async fn wait_css(&self, css: &str) {
        self.client
            .wait()
            .at_most(std::time::Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
    }

    /// Follows the link that reads `text` and waits for the page.
    pub async fn follow(&self, text: &str) {
        self.click_through(&format!("//a[normalize-space()='{text}']"))
            .await;
    }

    async fn click_through(&self, xpath: &str) {
        let before = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        self.client
            .find(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("nothing to click at {xpath}: {e}"))
            .click()
            .await
            .expect("click");
        // The old page's element goes stale once the next page replaces it.
        for _ in 0..100 {
            if before.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for _ in 0..100 {
            let ready = self
                .client
                .execute("return document.readyState", Vec::new())
                .await;
            if ready.is_ok_and(|r| r == "complete") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Shows the current page's drawing (an SVG document) `factor` times
    /// larger, as a printer of a finer resolution would draw it.
    pub async fn magnify_drawing(&self, factor: u32) {
        self.client
            .execute(
                "const s = document.documentElement; \
                 for (const a of ['width', 'height']) { \
                   const v = s.getAttribute(a); \
                   s.setAttribute(a, (parseFloat(v) * arguments[0]) + v.replace(/[0-9.]/g, '')); }",
                vec![json!(factor)],
            )
            .await
            .expect("the drawing is magnified");
    }

    /// Saves a screenshot as `target/screenshots/<name>.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = crate::repo_root().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshots folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
        path
    }

    /// Runs axe-core on the current page for WCAG 2.1 A and AA; returns the
    /// violations as "rule: what (where)" lines.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        self.violations_of(&["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
            .await
    }

    /// Runs axe-core on the current page for the rules tagged `tags`.
    async fn violations_of(&self, tags: &[&str]) -> Vec<String> {
        let axe = crate::repo_root().join("tests/browser/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe).unwrap_or_else(|_| {
            panic!(
                "{} is missing: `cargo xtask test` installs it from the npm registry",
                axe.display()
            )
        });
        self.client
            .execute(&source, Vec::new())
            .await
            .expect("axe-core loads");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: arguments[0] } })
                   .then(r => done(r.violations), e => done([{ id: 'axe-error', help: String(e), nodes: [] }]));",
                vec![json!(tags)],
            )
            .await
            .expect("axe-core runs");
        let Value::Array(violations) = result else {
            panic!("axe-core answered {result}");
        };
        violations
            .iter()
            .map(|v| {
                let targets: Vec<String> = v["nodes"]
                    .as_array()
                    .map(|n| n.iter().map(|n| n["target"].to_string()).collect())
                    .unwrap_or_default();
                format!("{}: {} ({})", v["id"], v["help"], targets.join(", "))
            })
            .collect()
    }

    /// Checks the current page with axe-core (WCAG 2.1 A and AA) and saves
    /// its screenshot as `target/screenshots/<page>.png`; panics with the
    /// violations.
    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.accessibility_violations().await;
        assert!(
            violations.is_empty(),
            "{page} breaks WCAG 2.1 A/AA:\n{}",
            violations.join("\n")
        );
        let shot = self.screenshot(page).await;
        assert!(
            std::fs::metadata(&shot).is_ok_and(|m| m.len() > 1000),
            "{}",
            shot.display()
        );
    }

    /// Logs in through the portal's form.
    pub async fn log_in(&self, username: &str, password: &str) {
        self.open("/auth/login").await;
        self.fill("User name", username).await;
        self.fill("Password", password).await;
        self.press("Log in").await;
    }

    /// Opens each of `paths` on a desktop and on a 320 px phone, in
    /// English and in Czech, and checks each: not an error page, no
    /// WCAG 2.1 A/AA violation (axe-core), nothing wider than the screen.
    /// The screenshots are `target/screenshots/<shots>-<n>-<lang>-<device>.png`.
    pub async fn check_pages(&self, shots: &str, paths: &[String]) {
        for (width, height, device) in [(1280, 900, "desktop"), (320, 640, "phone")] {
            self.client
                .set_window_size(width, height)
                .await
                .expect("the window takes the size");
            for lang in ["en", "cs"] {
                self.open(&format!("/lang/{lang}")).await;
                for (n, path) in paths.iter().enumerate() {
                    self.open(path).await;
                    assert!(
                        !self.is_error_page().await,
                        "{path} in {lang}: {}",
                        self.text().await
                    );
                    self.assert_accessible(&format!("{shots}-{n}-{lang}-{device}"))
                        .await;
                    assert_eq!(
                        self.wider_than_the_screen().await,
                        Vec::<String>::new(),
                        "{path} in {lang} on a {device} is wider than the screen"
                    );
                }
            }
        }
    }

    /// Sets the window to `width` × `height` CSS pixels.
    pub async fn set_size(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("the window takes the size");
    }

    /// Texts of `english` the current page shows outside the parts marked
    /// as another language than Czech (`lang="en"`).
    pub async fn english_shown(&self, english: &[String]) -> Vec<String> {
        let text = self
            .client
            .execute(
                "const body = document.body.cloneNode(true);
                 body.querySelectorAll('[lang]:not([lang^=\"cs\"]), script, style').forEach(e => e.remove());
                 return body.innerText || body.textContent;",
                Vec::new(),
            )
            .await
            .expect("the page answers");
        let text = text.as_str().unwrap_or_default().to_owned();
        english
            .iter()
            .filter(|e| text.contains(e.as_str()))
            .cloned()
            .collect()
    }

    /// Checks one step of a journey in `lang` at the window's width: in
    /// the portal's frame, no violation of WCAG 2.1 A/AA or of WCAG 2.2's
    /// target size (axe-core), nothing wider than the screen, and on a
    /// Czech page none of the catalog's English texts (`english`); saves
    /// its screenshot as `target/screenshots/<name>.png`.
    pub async fn check_step(&self, name: &str, lang: &str, english: &[String]) {
        let framed = self
            .client
            .find(Locator::Css("header.portal-header"))
            .await
            .is_ok();
        assert!(
            framed,
            "{name} is not in the portal's frame: {}",
            self.text().await
        );
        let violations = self
            .violations_of(&["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
            .await;
        assert!(
            violations.is_empty(),
            "{name} breaks WCAG 2.1 A/AA or 2.2's target size:\n{}",
            violations.join("\n")
        );
        assert_eq!(
            self.wider_than_the_screen().await,
            Vec::<String>::new(),
            "{name} is wider than the screen"
        );
        let sideways = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                Vec::new(),
            )
            .await
            .expect("the page answers");
        assert!(
            sideways.as_i64().unwrap_or(0) <= 0,
            "{name} scrolls sideways by {sideways} px"
        );
        if lang == "cs" {
            assert_eq!(
                self.english_shown(english).await,
                Vec::<String>::new(),
                "{name} shows English on a Czech page: {}",
                self.text().await
            );
        }
        self.screenshot(name).await;
    }

    /// Whether the current page is one of the portal's error pages (each
    /// shows the request's id), whatever its language.
    pub async fn is_error_page(&self) -> bool {
        self.client
            .find(fantoccini::Locator::Css("p.request-id"))
            .await
            .is_ok()
    }

    /// The innermost elements of the current page that reach past the
    /// right edge of the window (outside a box that scrolls or a map that pans), as
    /// `tag.class: text`: on a phone, none should.
    pub async fn wider_than_the_screen(&self) -> Vec<String> {
        let found = self
            .client
            .execute(WIDER_THAN_THE_SCREEN, Vec::new())
            .await
            .expect("the page answers");
        serde_json::from_value(found).expect("a list of elements")
    }
}

const WIDER_THAN_THE_SCREEN: &str = r#"
const width = document.documentElement.clientWidth;
// A box that scrolls, or a slippy map, which pans: what lies past its edge
// is meant to be reached by moving it.
const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
  const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true;
  if (p.classList.contains('leaflet-container')) return true; } return false; };
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  if (el.getBoundingClientRect().right > width + 1 && !scrolls(el)
      && ![...el.children].some(c => c.getBoundingClientRect().right > width + 1)) {
    out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ': ' + (el.textContent || '').trim().slice(0, 40));
  }
}
return out;
"#;
