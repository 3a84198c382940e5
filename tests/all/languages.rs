//! Modules in Python and JavaScript, as their vendors make them: scaffolded
//! by `cargo xtask new-plugin --lang`, built by the language's own
//! toolchain with its default flags (componentize-py from PyPI and
//! ComponentizeJS from npm, both pinned), packed and signed, uploaded by
//! an administrator in the console, enabled for the city and used there;
//! upgraded with a migration; and failing as a Rust module fails: an
//! uncaught exception is a 500 for that one call with its text in the
//! portal's log, and repeated faults switch the module off in the city,
//! the exception's text shown in the console.

use std::path::Path;
use std::process::Command;

use portico_runtime::api::CallContext;
use portico_tests::browser::Browser;
use portico_tests::toolchains::{self, Lang};
use portico_tests::{TEST_CITY, TestPortal, logs, repo_root, run_portico};
use serde_json::json;

use crate::{enable_module, install_package, run, serve_to_platform_admin};

/// The module's name, as `cargo xtask new-plugin items` makes it.
const ID: &str = "items";

/// Version 0.2.0 of the scaffolded module: its `migrate` marks every item
/// unchecked, and its page `/broken` throws an exception the module does
/// not catch.
fn write_version_2(lang: Lang, dir: &Path, broken: &str) {
    edit(
        dir,
        "module.toml",
        &[
            ("version = \"0.1.0\"", "version = \"0.2.0\""),
            (
                "[menu]",
                "[[routes]]\npath = \"/broken\"\nkind = \"page\"\naccess = \"public\"\n\n[menu]",
            ),
        ],
    );
    match lang {
        Lang::Python => edit(
            dir,
            "app.py",
            &[
                ("VERSION = \"0.1.0\"", "VERSION = \"0.2.0\""),
                (
                    "    def render(self, ctx, page):\n",
                    "    def render(self, ctx, page):\n        if page.route.pattern == \"/broken\":\n            raise ValueError(\"BROKEN\")\n",
                ),
                (
                    "    def migrate(self, ctx, from_version):\n",
                    "    def migrate(self, ctx, from_version):\n        query = records.Query(filters=[], sort=None, newest_first=False, limit=200, cursor=None)\n        for d in records.find(\"items\", query).documents:\n            item = json.loads(d.data) | {\"checked\": False}\n            records.update(\"items\", d.id, d.version, json.dumps(item))\n",
                ),
            ],
        ),
        Lang::JavaScript => edit(
            dir,
            "module.js",
            &[
                ("const VERSION = \"0.1.0\";", "const VERSION = \"0.2.0\";"),
                (
                    "import { aggregate, find, insert }",
                    "import { aggregate, find, insert, update }",
                ),
                (
                    "  render(ctx, page) {\n",
                    "  render(ctx, page) {\n    if (page.route.pattern === \"/broken\") throw new Error(\"BROKEN\");\n",
                ),
                (
                    "  migrate(ctx, fromVersion) {\n",
                    "  migrate(ctx, fromVersion) {\n    for (const d of find(\"items\", { filters: [], newestFirst: false, limit: 200 }).documents) {\n      update(\"items\", d.id, d.version, JSON.stringify({ ...JSON.parse(d.data), checked: false }));\n    }\n",
                ),
            ],
        ),
    }
    edit(dir, lang.source(), &[("BROKEN", broken)]);
}

/// Replaces each `(old, new)` in `dir/file`; each `old` must be there.
fn edit(dir: &Path, file: &str, changes: &[(&str, &str)]) {
    let path = dir.join(file);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (old, new) in changes {
        assert!(text.contains(old), "{file} has no `{old}`:\n{text}");
        text = text.replacen(old, new, 1);
    }
    std::fs::write(&path, text).unwrap();
}

/// Packs the module folder `dir`, signed with the vendor's key in `keys`.
fn pack(dir: &Path, keys: &Path, version: &str) -> Vec<u8> {
    let package = keys.join(format!("{version}.portico"));
    let at = |p: &Path| p.to_str().unwrap().to_owned();
    let (ok, out, err) = run_portico(&[
        "plugin",
        "pack",
        &at(dir),
        "--key",
        &at(&keys.join("acme.key")),
        "--out",
        &at(&package),
    ]);
    assert!(ok && out.contains("signed by key"), "{out}{err}");
    std::fs::read(package).unwrap()
}

async fn a_module_walks_from_scaffold_to_upgrade_and_fails_well(lang: Lang) {
    let id = ID;
    let broken = format!("the lamp register is unreachable ({})", lang.name());
    logs::capture();
    let vendor = tempfile::tempdir().unwrap();
    let dir = vendor.path().join(ID);
    let out = run(Command::new(repo_root().join("target/debug/xtask"))
        .args([
            "new-plugin",
            ID,
            "--lang",
            lang.name(),
            "--vendor",
            "Acme Roads",
            "--dir",
        ])
        .arg(vendor.path()));
    assert!(out.contains("created") && out.contains("wit/"), "{out}");
    assert!(
        dir.join("wit/plugin.wit").exists(),
        "the contract is in the module's folder"
    );
    // Built by the toolchain with its default flags. The same sources are
    // built once per run (the benchmark measures them too): the component
    // is taken from that build once the sources are seen to be the same.
    let built = toolchains::scaffolded(lang);
    let source = lang.source();
    assert_eq!(
        std::fs::read_to_string(dir.join(source)).unwrap(),
        std::fs::read_to_string(built.join(source)).unwrap()
    );
    std::fs::copy(built.join("items.wasm"), dir.join("items.wasm")).unwrap();
    // The vendor's own tests, without Rust: the module in a throw-away
    // portal, driven by a script.
    let script = vendor.path().join("steps.json");
    let steps = json!({ "steps": [
        { "page": "/", "expect": { "contains": ["Nothing here yet."] } },
        { "as": "citizen:jana", "submit": "/", "fields": [["title", "Bench"]],
          "expect": { "redirect": "/" } },
        { "submit": "/", "fields": [["title", " "]],
          "expect": { "error": "invalid", "fields": ["title"] } },
        { "get": "/api/items", "expect": { "status": 200, "json": { "items": [{ "title": "Bench" }] } } },
        { "job": "daily-tally" },
        { "records": "tallies", "expect": { "json": [{ "items": 1 }] } },
        { "audit": true, "expect": { "contains": ["item.add"] } },
        { "page": "/nowhere", "expect": { "error": "refused" } },
    ]});
    std::fs::write(&script, steps.to_string()).unwrap();
    let at = |p: &Path| p.to_str().unwrap().to_owned();
    let (ok, out, err) = run_portico(&["dev", "test", &at(&dir), "--script", &at(&script)]);
    assert!(ok && out.contains("8 steps, all ok"), "{out}{err}");
    let wrong = json!({ "steps": [{ "page": "/", "expect": { "contains": ["Nothing at all"] } }] });
    std::fs::write(&script, wrong.to_string()).unwrap();
    let (ok, out, err) = run_portico(&["dev", "test", &at(&dir), "--script", &at(&script)]);
    assert!(!ok, "a failed step fails the command: {out}");
    assert!(
        out.contains("FAIL")
            && out.contains("expected `Nothing at all`")
            && err.contains("1 of 1 steps failed"),
        "{out}{err}"
    );

    let (ok, _, err) = run_portico(&[
        "vendor",
        "keygen",
        "--out",
        vendor.path().to_str().unwrap(),
        "--name",
        "acme",
    ]);
    assert!(ok, "{err}");
    let v1 = pack(&dir, vendor.path(), "v1");

    // The region's portal trusts Acme; its administrator uploads the
    // package in the console and enables the module for the city.
    let data = tempfile::tempdir().unwrap();
    let portal = TestPortal::builder()
        .installing(data.path())
        .breaker_threshold(2)
        .build()
        .await;
    std::fs::create_dir_all(data.path().join("trust")).unwrap();
    std::fs::copy(
        vendor.path().join("acme.pub"),
        data.path().join("trust/Acme Roads.pub"),
    )
    .unwrap();
    let (addr, browser) = serve_to_platform_admin(&portal).await;
    let installed = install_package(&browser, "items-0.1.0.portico", &v1).await;
    assert_eq!(installed.status, 303, "{}", installed.body);
    let enabled = enable_module(&browser, TEST_CITY, id).await;
    assert_eq!(enabled.status, 303, "{}", enabled.body);

    // A citizen of the city uses it: the page, the form, the API.
    let citizen = Browser::new(addr);
    let home = format!("/m/{id}/");
    let page = citizen.get(&home).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Nothing here yet."), "{}", page.body);
    let refused = citizen
        .post_form(&home, &[("_csrf", &page.csrf()), ("title", "   ")])
        .await;
    assert!(refused.body.contains("write a title"), "{}", refused.body);
    let added = citizen
        .post_form(
            &home,
            &[("_csrf", &page.csrf()), ("title", "Lamp on Nádražní")],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert!(citizen.get(&home).await.body.contains("Lamp on Nádražní"));
    assert_eq!(
        portal.documents(TEST_CITY, id, "items").await,
        vec![json!({ "title": "Lamp on Nádražní" })]
    );
    let api = citizen.get_json(&format!("/m/{id}/api/items")).await;
    assert_eq!(api.status, 200, "{}", api.body);
    assert_eq!(
        api.json(),
        json!({ "items": [{ "title": "Lamp on Nádražní" }] })
    );

    // Its daily job.
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "job".into(),
        locale: "cs".into(),
    };
    portal
        .module(id)
        .run_job(&ctx, "daily-tally")
        .await
        .unwrap();
    assert_eq!(
        portal.documents(TEST_CITY, id, "tallies").await,
        vec![json!({ "items": 1 })]
    );

    // Version 0.2.0 migrates the city's items as it is installed.
    write_version_2(lang, &dir, &broken);
    toolchains::build(lang, &dir, &dir.join("wit"));
    let v2 = pack(&dir, vendor.path(), "v2");
    let upgraded = install_package(&browser, "items-0.2.0.portico", &v2).await;
    assert_eq!(upgraded.status, 303, "{}", upgraded.body);
    assert_eq!(portal.module(id).manifest().version.to_string(), "0.2.0");
    assert_eq!(
        citizen.get_json(&format!("/m/{id}/api/items")).await.json(),
        json!({ "items": [{ "title": "Lamp on Nádražní", "checked": false }] })
    );

    // An exception it does not catch: a 500 for that call, the rest of
    // the module serving, its text in the log.
    let failed = citizen.get(&format!("/m/{id}/broken")).await;
    assert_eq!(failed.status, 500, "{}", failed.body);
    assert!(
        !failed.body.contains("unreachable"),
        "the visitor does not read the module's insides: {}",
        failed.body
    );
    assert_eq!(citizen.get(&home).await.status, 200);
    let log = logs::text();
    assert!(
        log.lines()
            .any(|l| l.contains("module call faulted") && l.contains(id) && l.contains(&broken)),
        "the exception's text is in the log"
    );

    // Faults count in the breaker as a Rust module's do: two in a row
    // switch it off in the city, and the console says why.
    for _ in 0..2 {
        citizen.get(&format!("/m/{id}/broken")).await;
    }
    let off = citizen.get(&home).await;
    assert_eq!(off.status, 503, "{}", off.body);
    let catalog = browser.get("/admin/modules").await;
    let faulted: Vec<String> = logs::text()
        .lines()
        .filter(|l| l.contains("module call faulted"))
        .map(str::to_owned)
        .collect();
    assert!(
        catalog.body.contains(&format!(
            "the module wrote: {}",
            match lang {
                Lang::Python => format!("ValueError: {broken}"),
                Lang::JavaScript => format!("Error: {broken}"),
            }
        )),
        "the console names the exception: {}\n{faulted:#?}",
        catalog.body
    );
}

#[tokio::test]
async fn a_python_module_walks_from_scaffold_to_upgrade_and_fails_well() {
    a_module_walks_from_scaffold_to_upgrade_and_fails_well(Lang::Python).await;
}

#[tokio::test]
async fn a_javascript_module_walks_from_scaffold_to_upgrade_and_fails_well() {
    a_module_walks_from_scaffold_to_upgrade_and_fails_well(Lang::JavaScript).await;
}
