//! A vendor's whole path, as one vendor walks it: a module crate from the
//! scaffold in a folder outside Portico, built and tested with the test
//! kit by its own `cargo test`, packed and signed, uploaded to a running
//! portal by its administrator, enabled for a city, and answering there.

use std::path::Path;
use std::process::Command;

use portico_tests::browser::Browser;
use portico_tests::{TEST_CITY, TestPortal, repo_root, run_portico};

use crate::{enable_module, install_package, run, serve_to_platform_admin};

fn cargo(crate_dir: &Path, target_dir: &Path) -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(crate_dir)
        // A vendor's cargo, not the lint-while-building one `cargo xtask
        // test` runs Portico's own build with.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS");
    // Nor what cargo sets for this test (`CARGO_MANIFEST_DIR` and the
    // like), which a vendor's shell does not have: build scripts that
    // watch them would run again, and what they build compile again.
    for (name, _) in std::env::vars_os() {
        if let Some(name) = name.to_str()
            && name.starts_with("CARGO_")
            && name != "CARGO_HOME"
        {
            c.env_remove(name);
        }
    }
    c.env("CARGO_TARGET_DIR", target_dir);
    // The test kit's compiled-code cache: the tests' own, not the home folder's.
    c.env("XDG_CACHE_HOME", portico_tests::cache_home());
    c
}

#[tokio::test]
async fn a_scaffolded_module_is_tested_packed_signed_installed_enabled_and_answers() {
    let vendor = tempfile::tempdir().unwrap();
    let root = repo_root();
    assert!(
        !vendor.path().starts_with(&root),
        "the vendor works outside Portico's folder"
    );

    // The scaffold.
    let xtask = root.join("target/debug/xtask");
    let out = run(Command::new(&xtask)
        .args([
            "new-plugin",
            "road-signs",
            "--vendor",
            "Acme Roads",
            "--dir",
        ])
        .arg(vendor.path()));
    assert!(out.contains("created"), "{out}");
    let crate_dir = vendor.path().join("road-signs");
    let refused = Command::new(&xtask)
        .args(["new-plugin", "road-signs", "--dir"])
        .arg(vendor.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("exists already"));

    // Laid out as `cargo fmt` would.
    run(cargo(&crate_dir, vendor.path()).args(["fmt", "--check"]));

    // Its own tests, through the test kit (which builds the component).
    // Portico's target folder is shared, so what matches is not built twice.
    let target = root.join("target");
    // Only Portico's crates (built outside their workspace, so on their
    // own) and the vendor's compile: every other dependency resolves the
    // features Portico's build compiled it with and is reused. One that is
    // not pulls `syn`, `wasmtime` or `sqlx` with it, minutes of every build.
    let built = run(cargo(&crate_dir, &target).args(["test", "--no-run"]));
    let compiled_again: Vec<&str> = built
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Compiling "))
        .filter_map(|what| what.split_whitespace().next())
        .filter(|name| !name.starts_with("portico-") && *name != "road-signs")
        .collect();
    assert!(
        compiled_again.is_empty(),
        "the scaffold compiled {compiled_again:?} again: align the test kit's \
         features with the workspace's (sdk/portico-testkit/Cargo.toml)"
    );
    let tested = run(cargo(&crate_dir, &target).arg("test"));
    assert!(tested.contains("test result: ok. 4 passed"), "{tested}");

    // Built and packed, signed with the vendor's key (in the folder the
    // test kit built the component in, so it is there already).
    let wasm_target = target.join("wasm");
    run(cargo(&crate_dir, &wasm_target).args(["build", "--release", "--target", "wasm32-wasip2"]));
    let at = |name: &str| vendor.path().join(name).to_str().unwrap().to_owned();
    let (ok, _, err) = run_portico(&["vendor", "keygen", "--out", &at(""), "--name", "acme"]);
    assert!(ok, "{err}");
    let package = at("road-signs-0.1.0.portico");
    let packed = run(Command::new(portico_tests::portico_bin())
        .args(["plugin", "pack"])
        .arg(&crate_dir)
        .args(["--key", &at("acme.key"), "--out", &package])
        .env("CARGO_TARGET_DIR", &wasm_target));
    assert!(
        packed.contains("road-signs 0.1.0") && packed.contains("signed by key"),
        "{packed}"
    );

    // The region's portal trusts Acme, and its administrator uploads the
    // package in the console, then enables the module for the city.
    let data = tempfile::tempdir().unwrap();
    let portal = TestPortal::builder().installing(data.path()).build().await;
    std::fs::create_dir_all(data.path().join("trust")).unwrap();
    std::fs::copy(at("acme.pub"), data.path().join("trust/Acme Roads.pub")).unwrap();
    let (addr, browser) = serve_to_platform_admin(&portal).await;
    let bytes = std::fs::read(&package).unwrap();
    let installed = install_package(&browser, "road-signs-0.1.0.portico", &bytes).await;
    assert_eq!(installed.status, 303, "{}", installed.body);
    let catalog = browser.get("/admin/modules").await;
    assert!(
        catalog.body.contains("Road signs 0.1.0") && catalog.body.contains("Acme Roads"),
        "{}",
        catalog.body
    );
    let enabled = enable_module(&browser, TEST_CITY, "road-signs").await;
    assert_eq!(enabled.status, 303, "{}", enabled.body);

    // A citizen of the city uses it.
    let citizen = Browser::new(addr);
    let page = citizen.get("/m/road-signs/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Nothing here yet."), "{}", page.body);
    let added = citizen
        .post_form(
            "/m/road-signs/",
            &[
                ("_csrf", &page.csrf()),
                ("title", "Stop sign on Main Street"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let page = citizen.get("/m/road-signs/").await;
    assert!(
        page.body.contains("Stop sign on Main Street"),
        "{}",
        page.body
    );
    let home = citizen.get("/").await;
    assert!(
        home.body.contains("Road signs"),
        "the menu offers it: {}",
        home.body
    );
}
