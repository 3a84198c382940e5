//! `cargo xtask`: Portico's automation.
//!
//! - `build-plugins`: builds every first-party and test module for
//!   `wasm32-wasip2` (adding the target with rustup when it is missing) and
//!   lays each out as a module folder under `target/modules/`.
//! - `run`: builds everything, puts the modules in `data/`, sets up a demo
//!   city with the notice board and its notices (once), and starts `portico serve`.
//! - `test`: everything CI runs: formatting, the WIT freeze check, the
//!   build with clippy's lints, the tests.
//! - `bench`: the benchmarks, each figure printed as `name: value unit`;
//!   `bench --smoke` runs every part tiny and short on the test build (CI).
//! - `package ID --key FILE`: builds a module and packs it, signed with the
//!   vendor's key, into `target/packages/<id>-<version>.portico`.
//! - `new-plugin NAME [--lang rust|python|js] [--dir DIR] [--vendor NAME]`:
//!   a new module, anywhere, in Rust (a crate tested with the test kit),
//!   Python (componentize-py) or JavaScript (ComponentizeJS), that builds
//!   and packs as it is.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod region;

const TARGET: &str = "wasm32-wasip2";

/// The wasm workspaces: first-party modules, and modules that misbehave for tests.
const PLUGIN_WORKSPACES: &[&str] = &["plugins", "tests/plugins"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build-plugins") => build_plugins().map(drop),
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("package") => package(&args[1..]),
        Some("new-plugin") => new_plugin(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 commands:\n  \
                 build-plugins  build every module for {TARGET} into target/modules/\n  \
                 run            build everything and start the portal with demo data\n  \
                 test           run everything CI runs\n  \
                 bench [--smoke]\n                \
                 run the benchmarks (--smoke: each part tiny and short, as CI runs it)\n  \
                 package ID (--key FILE | --unsigned)\n                \
                 build module ID and pack it into target/packages/ as one signed file\n  \
                 new-plugin NAME [--lang rust|python|js] [--dir DIR] [--vendor NAME]\n                \
                 create a module DIR/NAME (DIR: the current folder; rust by default)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A cargo as a developer's shell runs it. `cargo xtask` is `cargo run`,
/// which tells this program about itself (`CARGO_MANIFEST_DIR=xtask/`,
/// `CARGO_PKG_NAME=xtask`, ...); passed on, that reaches build scripts
/// that watch those variables (ring's does), so everything built on them
/// would compile again in the next `cargo build` from a shell, and in the
/// vendor test's build beside the workspace.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let about_this_program = name.starts_with("CARGO_PKG_")
            || matches!(
                name,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if about_this_program {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn status(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

fn ensure_target() -> Result {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match out {
        Ok(out)
            if String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.trim() == TARGET) =>
        {
            Ok(())
        }
        Ok(_) => {
            eprintln!("adding the {TARGET} target with rustup");
            status(Command::new("rustup").args(["target", "add", TARGET]))
        }
        // No rustup: the toolchain may still have the target; cargo will say if not.
        Err(_) => Ok(()),
    }
}

/// A third-party tool the tests run, from a package registry with every
/// version pinned: a Python tool in its own virtual environment under
/// target/ (PyPI, a requirements file), or an npm folder of the repository
/// (its lock file).
struct Tool {
    /// What the tests are told it is: the environment variable, and the
    /// file that is there once it is installed.
    env: Option<&'static str>,
    ready: PathBuf,
    install: Command,
    log: PathBuf,
}

/// The tools `cargo xtask test` installs (each once).
fn test_tools(root: &Path) -> Vec<Tool> {
    let python = |env, venv: &str, requirements: &str, program: &str| {
        let venv = root.join("target").join(venv);
        let mut install = Command::new("sh");
        install
            .arg("-c")
            .arg(
                "python3 -m venv \"$1\" && \"$1/bin/pip\" install --quiet \
                 --disable-pip-version-check -r \"$2\"",
            )
            .arg("sh")
            .arg(&venv)
            .arg(root.join(requirements));
        Tool {
            env: Some(env),
            ready: venv.join("bin").join(program),
            install,
            log: root.join(format!("target/install-{program}.log")),
        }
    };
    let npm = |dir: &str, marker: &str, name: &str| {
        let mut install = Command::new("npm");
        install
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(root.join(dir));
        Tool {
            env: None,
            ready: root.join(dir).join("node_modules").join(marker),
            install,
            log: root.join(format!("target/install-{name}.log")),
        }
    };
    vec![
        // The SCIM conformance tool (scim2-cli with scim2-tester).
        python("SCIM2_CLI", "ci-venv", ".ci/scim-conformance.txt", "scim2"),
        // The OpenAPI validator.
        python(
            "OPENAPI_SPEC_VALIDATOR",
            "openapi-venv",
            ".ci/openapi-validator.txt",
            "openapi-spec-validator",
        ),
        // The Open311 client (georeport) runs in its venv's Python.
        python(
            "OPEN311_PYTHON",
            "open311-venv",
            ".ci/open311-client.txt",
            "python",
        ),
        // The Czech holidays and the recurrence rules the calendars are
        // checked against (holidays, python-dateutil).
        python(
            "CALENDAR_PYTHON",
            "calendar-venv",
            ".ci/calendar-peers.txt",
            "python",
        ),
        // The Standard Webhooks library the connections' signatures are
        // checked with, both ways, and the XML schema validator
        // (standardwebhooks, xmlschema).
        python(
            "CONNECTION_PYTHON",
            "connection-venv",
            ".ci/connection-peers.txt",
            "python",
        ),
        // PROJ (pyproj), which the address register's conversion from
        // S-JTSK to WGS 84 is checked against.
        python(
            "GEODESY_PYTHON",
            "geodesy-venv",
            ".ci/geodesy-peers.txt",
            "python",
        ),
        // The reader a data collection's workbook is checked with (openpyxl).
        python(
            "SPREADSHEET_PYTHON",
            "spreadsheet-venv",
            ".ci/spreadsheet-reader.txt",
            "python",
        ),
        // The reader a submission's PDF receipt is read back with (pypdf).
        python("PDF_PYTHON", "pdf-venv", ".ci/pdf-reader.txt", "python"),
        // OpenEEmeter (eemeter 2.x, the CalTRACK 2.0 daily method), which
        // the energy module's baselines are checked against.
        python(
            "ENERGY_PYTHON",
            "energy-venv",
            ".ci/energy-peers.txt",
            "python",
        ),
        // libcoveocds and ocdsmerge, which the procurement module's Open
        // Contracting packages are checked with, and beside them the
        // source distributions whose test fixtures hold the OCDS schemas.
        {
            let mut tool = python("OCDS_PYTHON", "ocds-venv", ".ci/ocds-peers.txt", "python");
            let venv = root.join("target/ocds-venv");
            tool.install = Command::new("sh");
            tool.install
                .arg("-c")
                // A venv without its sdists is removed, so that the next
                // run installs it again.
                .arg(
                    "{ python3 -m venv \"$1\" && \"$1/bin/pip\" install --quiet \
                     --disable-pip-version-check -r \"$2\" && \"$1/bin/pip\" download \
                     --quiet --disable-pip-version-check --no-deps --no-binary :all: \
                     -r \"$3\" -d \"$1/sdists\"; } || { rm -rf \"$1\"; exit 1; }",
                )
                .arg("sh")
                .arg(&venv)
                .arg(root.join(".ci/ocds-peers.txt"))
                .arg(root.join(".ci/ocds-schema.txt"));
            tool
        },
        // What builds Python modules.
        python(
            "COMPONENTIZE_PY",
            "componentize-py-venv",
            COMPONENTIZE_PY,
            "componentize-py",
        ),
        // axe-core, which the browser tests load into Chromium.
        npm("tests/browser", "axe-core/axe.min.js", "axe-core"),
        // What builds JavaScript modules.
        npm(JS_TOOLCHAIN, ".bin/componentize-js", "componentize-js"),
    ]
}

/// The tools being installed, side by side and beside the build: the
/// time is the registries', not the machine's.
struct Installing(Vec<(Tool, Option<std::process::Child>)>);

impl Installing {
    fn start(tools: Vec<Tool>) -> Result<Installing> {
        let mut started = Vec::new();
        for mut tool in tools {
            if tool.ready.exists() {
                started.push((tool, None));
                continue;
            }
            let log = std::fs::File::create(&tool.log)
                .map_err(|e| format!("cannot create {}: {e}", tool.log.display()))?;
            let err = log
                .try_clone()
                .map_err(|e| format!("cannot write {}: {e}", tool.log.display()))?;
            let child = tool
                .install
                .stdout(log)
                .stderr(err)
                .spawn()
                .map_err(|e| format!("cannot start {:?}: {e}", tool.install))?;
            started.push((tool, Some(child)));
        }
        Ok(Installing(started))
    }

    /// Waits for every install; the tools' environment variables for the tests.
    fn finish(self) -> Result<Vec<(&'static str, PathBuf)>> {
        let mut env = Vec::new();
        for (tool, child) in self.0 {
            if let Some(mut child) = child {
                let done = child
                    .wait()
                    .map_err(|e| format!("{:?}: {e}", tool.install))?;
                if !done.success() || !tool.ready.exists() {
                    let log = std::fs::read_to_string(&tool.log).unwrap_or_default();
                    return Err(format!(
                        "{:?} failed ({done}); it wrote:\n{log}",
                        tool.install
                    ));
                }
            }
            if let Some(name) = tool.env {
                env.push((name, tool.ready));
            }
        }
        Ok(env)
    }
}

/// A built module: its folder under target/modules.
struct BuiltModule {
    id: String,
}

/// Reads `key = "value"` from a manifest without a TOML parser (xtask stays
/// dependency-free so it builds in seconds).
fn manifest_value(manifest: &str, key: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Has `cmd` compile the workspace's own crates with clippy's driver, lints
/// denied: one compilation both builds and lints them, where `cargo clippy`
/// would check every dependency a second time, without code, before the
/// build compiles it. Dependencies are compiled by plain rustc either way.
fn with_lints(cmd: &mut Command) -> &mut Command {
    let beside_cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .map(|cargo| cargo.with_file_name("clippy-driver"))
        .filter(|driver| driver.exists());
    let driver = beside_cargo.unwrap_or_else(|| PathBuf::from("clippy-driver"));
    cmd.env("RUSTC_WORKSPACE_WRAPPER", driver)
        // `cargo clippy -- -D warnings` passes its arguments so.
        .env(
            "CLIPPY_ARGS",
            "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
        )
}

fn build_plugins() -> Result<Vec<BuiltModule>> {
    build_modules(false)
}

/// Builds every module for wasm32-wasip2, with clippy's lints when `lints`.
fn build_modules(lints: bool) -> Result<Vec<BuiltModule>> {
    ensure_target()?;
    let root = root();
    let wasm_target_dir = root.join("target/wasm");
    let out_dir = root.join("target/modules");
    let mut built = Vec::new();
    for ws in PLUGIN_WORKSPACES {
        let ws_dir = root.join(ws);
        let mut members: Vec<PathBuf> = std::fs::read_dir(&ws_dir)
            .map_err(|e| format!("cannot read {}: {e}", ws_dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("module.toml").exists())
            .collect();
        members.sort();
        eprintln!("building {} module(s) in {ws}/ for {TARGET}", members.len());
        let mut build = cargo();
        build
            .current_dir(&ws_dir)
            .args(["build", "--release", "--target", TARGET])
            .env("CARGO_TARGET_DIR", &wasm_target_dir);
        if lints {
            with_lints(&mut build);
        }
        status(&mut build)?;
        for member in members {
            let manifest_path = member.join("module.toml");
            let manifest = std::fs::read_to_string(&manifest_path)
                .map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
            let id = manifest_value(&manifest, "id")
                .ok_or_else(|| format!("{}: no `id`", manifest_path.display()))?;
            let component = manifest_value(&manifest, "component")
                .ok_or_else(|| format!("{}: no `component`", manifest_path.display()))?;
            let wasm = wasm_target_dir
                .join(TARGET)
                .join("release")
                .join(&component);
            // Named after the crate's folder, so two versions of one module
            // (the upgrade tests') are built side by side.
            let name = member
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| id.clone());
            let dest = out_dir.join(&name);
            std::fs::create_dir_all(&dest)
                .map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
            std::fs::copy(&wasm, dest.join(&component))
                .map_err(|e| format!("cannot copy {}: {e}", wasm.display()))?;
            std::fs::copy(&manifest_path, dest.join("module.toml"))
                .map_err(|e| format!("cannot copy {}: {e}", manifest_path.display()))?;
            // The user manual, in each language it is written in.
            for entry in std::fs::read_dir(&member)
                .map_err(|e| format!("cannot read {}: {e}", member.display()))?
                .flatten()
            {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with("manual") && name.ends_with(".md") {
                    std::fs::copy(entry.path(), dest.join(&name))
                        .map_err(|e| format!("cannot copy {name}: {e}"))?;
                }
            }
            let size = std::fs::metadata(dest.join(&component))
                .map(|m| m.len())
                .unwrap_or(0);
            eprintln!(
                "  module {id:<16} {:>8} KiB  -> target/modules/{name}/",
                size / 1024
            );
            built.push(BuiltModule { id: name });
        }
    }
    Ok(built)
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for entry in
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?
    {
        let entry = entry.map_err(|e| e.to_string())?;
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)
                .map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The demo organization `cargo xtask run` sets up when the data folder
/// has none: a city with the notice board (a few notices), complaints
/// (three categories) and forms (a dog registration, two life situations)
/// enabled.
const DEMO_ORG: &str = "brno-example";

/// The demo's accounts: user name, name, kind.
const DEMO_USERS: [(&str, &str, &str); 3] = [
    ("admin", "Demo administrator", "staff"),
    ("editor", "Demo editor (notice board, complaints)", "staff"),
    ("citizen", "Demo citizen", "citizen"),
];

/// The password of every demo account (a demo on a developer's machine only).
const DEMO_PASSWORD: &str = "portico-demo";

fn run(extra: &[String]) -> Result {
    let built = build_plugins()?;
    let root = root();
    let data = root.join("data");
    let modules = data.join("modules");
    // First-party modules only: the test modules misbehave on purpose.
    for id in [
        "notice-board",
        "complaints",
        "smart-forms",
        "tasks",
        "org-registry",
        "methodology",
        "winter-dispatch",
        "energy",
        "contracts",
        "procurement",
        "assets",
    ] {
        if built.iter().any(|m| m.id == id) {
            copy_dir(&root.join("target/modules").join(id), &modules.join(id))?;
        }
    }
    status(
        cargo()
            .current_dir(&root)
            .args(["build", "--release", "--package", "portico"]),
    )?;
    let portico = |args: &[&str]| {
        let mut c = Command::new(root.join("target/release/portico"));
        c.current_dir(&root).args(args).arg("--data-dir").arg(&data);
        c
    };
    let orgs = portico(&["org", "list"])
        .output()
        .map_err(|e| format!("cannot run portico: {e}"))?;
    if !String::from_utf8_lossy(&orgs.stdout).contains(&format!("({DEMO_ORG},")) {
        eprintln!("setting up the demo organization `{DEMO_ORG}`");
        status(&mut portico(&[
            "org",
            "create",
            DEMO_ORG,
            "--name",
            "Statutární město Brno-Example",
            "--kind",
            "city",
            "--ico",
            "44992785",
        ]))?;
        status(&mut portico(&[
            "plugin",
            "enable",
            "notice-board",
            "--org",
            DEMO_ORG,
            "--set",
            "title=Úřední deska statutárního města Brno-Example",
            "--set",
            "title.en=Official notice board of the City of Brno-Example",
            "--set",
            "intro=Oznámení, která město musí zveřejnit. Každé visí do uvedeného data, pak přejde do archivu.",
            "--set",
            "intro.en=Notices the city must post publicly. Each stays posted until the date shown; then it moves to the archive.",
        ]))?;
        status(&mut portico(&[
            "plugin",
            "enable",
            "complaints",
            "--org",
            DEMO_ORG,
        ]))?;
        status(&mut portico(&[
            "plugin",
            "enable",
            "smart-forms",
            "--org",
            DEMO_ORG,
        ]))?;
        // The demo records: (file in xtask/src/demo, module, collection).
        for (file, module, collection) in [
            ("notices.jsonl", "notice-board", "notices"),
            ("complaint-categories.jsonl", "complaints", "categories"),
            ("forms.jsonl", "smart-forms", "forms"),
            ("situations.jsonl", "smart-forms", "situations"),
        ] {
            let path = root.join("xtask/src/demo").join(file);
            status(&mut portico(&[
                "records",
                "import",
                &path.to_string_lossy(),
                "--org",
                DEMO_ORG,
                "--module",
                module,
                "--collection",
                collection,
            ]))?;
        }
        // Brno's address points, a dozen of them in the register's own
        // format, for finding where a reported problem is.
        let addresses = root.join("tests/data/ruian/20261130_OB_582786_ADR.csv");
        status(&mut portico(&[
            "addresses",
            "import",
            &addresses.to_string_lossy(),
        ]))?;
    }
    // Makes an account with the demo password; its id.
    let create_user = |username: &str, name: &str, kind: &str| -> Result<String> {
        let mut create = portico(&[
            "user",
            "create",
            username,
            "--name",
            name,
            "--kind",
            kind,
            "--password-stdin",
        ]);
        create
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let shown = format!("{create:?}");
        let mut child = create
            .spawn()
            .map_err(|e| format!("cannot run {shown}: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            writeln!(stdin, "{DEMO_PASSWORD}").map_err(|e| format!("{shown}: {e}"))?;
        }
        let done = child
            .wait_with_output()
            .map_err(|e| format!("{shown}: {e}"))?;
        if !done.status.success() {
            return Err(format!("{shown} failed with {}", done.status));
        }
        // "Created staff account `name` (id)"
        let said = String::from_utf8_lossy(&done.stdout);
        said.trim()
            .rsplit_once('(')
            .and_then(|(_, id)| id.strip_suffix(')'))
            .map(str::to_owned)
            .ok_or_else(|| format!("{shown} did not say the new account's id: {said}"))
    };
    let users = portico(&["user", "list"])
        .output()
        .map_err(|e| format!("cannot run portico: {e}"))?;
    if String::from_utf8_lossy(&users.stdout).trim().is_empty() {
        eprintln!("setting up the demo accounts");
        for (username, name, kind) in DEMO_USERS {
            create_user(username, name, kind)?;
        }
        status(&mut portico(&[
            "role",
            "grant",
            "admin",
            "platform-admin",
            "--everywhere",
        ]))?;
        status(&mut portico(&[
            "role",
            "grant",
            "editor",
            "notice-board.editor",
            "--org",
            DEMO_ORG,
        ]))?;
        status(&mut portico(&[
            "role",
            "grant",
            "editor",
            "complaints.manager",
            "--org",
            DEMO_ORG,
        ]))?;
        status(&mut portico(&[
            "role",
            "grant",
            "editor",
            "smart-forms.designer",
            "--org",
            DEMO_ORG,
        ]))?;
    }
    region::set_up(&root, &portico, &create_user)?;
    eprintln!(
        "demo accounts: admin, editor (posts notices), citizen; in the region {}: urednik \
         (sends tasks), reditelka (a school's director), pracovnik (the school's worker), \
         dispecer (the road administration's winter dispatcher); \
         password `{DEMO_PASSWORD}`",
        region::REGION
    );
    eprintln!("starting the portal; open http://127.0.0.1:8080/ (Ctrl-C stops it)");
    let mut serve = portico(&["serve", "--default-org", DEMO_ORG]);
    // The maps on OpenStreetMap's tiles, which the portal fetches (a demo's
    // few), unless told otherwise.
    if std::env::var_os("PORTICO_MAP_TILES").is_none()
        && !extra.iter().any(|a| a.starts_with("--map-tiles"))
    {
        serve.args([
            "--map-tiles",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        ]);
    }
    status(serve.args(extra))
}

/// Runs one phase of `test`, printing its wall time as CI's log shows it.
fn phase(name: &str, f: impl FnOnce() -> Result) -> Result {
    let started = std::time::Instant::now();
    let result = f();
    eprintln!("phase {name:<28} {:>5} s", started.elapsed().as_secs());
    result
}

/// Every test module under `tests/plugins/` is named (as `"<folder>"`) by
/// some test: a guest no test loads is built for nothing, and what it was
/// written to check is no longer checked.
fn check_every_guest_is_used(root: &Path) -> Result {
    let mut sources = String::new();
    for dir in ["tests/all", "tests/support", "tests/bench"] {
        for entry in std::fs::read_dir(root.join(dir))
            .map_err(|e| format!("cannot read {dir}: {e}"))?
            .flatten()
        {
            if entry.path().extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
    }
    let guests = root.join("tests/plugins");
    let mut unused = Vec::new();
    for entry in std::fs::read_dir(&guests)
        .map_err(|e| format!("cannot read {}: {e}", guests.display()))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().join("module.toml").exists() && !sources.contains(&format!("\"{name}\"")) {
            unused.push(name);
        }
    }
    unused.sort();
    match unused.as_slice() {
        [] => Ok(()),
        names => Err(format!(
            "no test loads the test module(s) {} in tests/plugins/: test them or remove them",
            names.join(", ")
        )),
    }
}

fn test() -> Result {
    let root = root();
    // Installed while the code compiles; waited for before the tests.
    let installing = Installing::start(test_tools(&root))?;
    phase("fmt and wit", || {
        check_frozen_wit(&root)?;
        check_every_guest_is_used(&root)?;
        status(cargo().current_dir(&root).args(["fmt", "--all", "--check"]))?;
        for ws in PLUGIN_WORKSPACES {
            status(
                cargo()
                    .current_dir(root.join(ws))
                    .args(["fmt", "--all", "--check"]),
            )?;
        }
        Ok(())
    })?;
    // Clippy's lints are applied while the code is built (`with_lints`),
    // not in a check of its own.
    phase("wasm modules and lints", || build_modules(true).map(drop))?;
    // The tests also run the `portico` binary, as an administrator would.
    // Built with every target of every member (the test run then reuses it
    // all: `cargo test` compiles a subset of the same units).
    phase("host, tests and lints", || {
        status(with_lints(cargo().current_dir(&root).args([
            "build",
            "--workspace",
            "--all-targets",
            // What each crate cost, crate by crate, in
            // target/cargo-timings/cargo-timing.html.
            "--timings",
        ])))
    })?;
    let mut tools = Vec::new();
    phase("waiting for test tools", || {
        tools = installing.finish()?;
        Ok(())
    })?;
    let tests = |args: &[&str]| {
        status(
            with_lints(&mut cargo())
                .current_dir(&root)
                .arg("test")
                .args(args)
                .env("PORTICO_BIN", root.join("target/debug/portico"))
                .envs(tools.iter().map(|(k, v)| (k, v))),
        )
    };
    phase("tests", || {
        tests(&["--workspace", "--", "--skip", "vendor::"])
    })?;
    // A vendor's own crate, built outside the workspace: timed on its own.
    phase("vendor test", || {
        // The same selection as above (`-p` alone would resolve other
        // features and compile the workspace again), only its test.
        tests(&["--workspace", "--", "vendor::"])
    })
}

/// Released WIT versions never change: each folder's SHA-256 is recorded in
/// `wit/released.txt` when it is released. A folder not listed there is
/// still being developed.
fn check_frozen_wit(root: &Path) -> Result {
    let list = root.join("wit/released.txt");
    let Ok(text) = std::fs::read_to_string(&list) else {
        return Ok(());
    };
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (version, expected) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("{}: cannot read `{line}`", list.display()))?;
        let dir = root.join("wit").join(version);
        let out = Command::new("sh")
            .arg("-c")
            .arg("find . -type f -name '*.wit' | LC_ALL=C sort | xargs cat | sha256sum")
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("cannot hash {}: {e}", dir.display()))?;
        let actual = String::from_utf8_lossy(&out.stdout);
        let actual = actual.split_whitespace().next().unwrap_or("");
        if actual != expected.trim() {
            return Err(format!(
                "wit/{version} was released and must not change (its SHA-256 is {actual}, released as {})",
                expected.trim()
            ));
        }
    }
    Ok(())
}

fn package(args: &[String]) -> Result {
    let Some(id) = args.first().filter(|a| !a.starts_with('-')) else {
        return Err("usage: cargo xtask package ID (--key FILE | --unsigned)".into());
    };
    let built = build_plugins()?;
    if !built.iter().any(|m| &m.id == id) {
        let ids: Vec<&str> = built.iter().map(|m| m.id.as_str()).collect();
        return Err(format!("no module `{id}` (built: {})", ids.join(", ")));
    }
    let root = root();
    let out_dir = root.join("target/packages");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let manifest =
        std::fs::read_to_string(root.join("target/modules").join(id).join("module.toml"))
            .map_err(|e| format!("cannot read the built manifest of {id}: {e}"))?;
    let version = manifest_value(&manifest, "version").unwrap_or_default();
    let out = out_dir.join(format!("{id}-{version}.portico"));
    status(
        cargo()
            .current_dir(&root)
            .args([
                "run",
                "--quiet",
                "--package",
                "portico",
                "--",
                "plugin",
                "pack",
            ])
            .arg(root.join("target/modules").join(id))
            .args(&args[1..])
            .arg("--out")
            .arg(&out),
    )
}

/// The languages a module can be scaffolded in.
#[derive(Clone, Copy, PartialEq)]
enum Lang {
    Rust,
    Python,
    Js,
}

/// The files of a new module, with `{{…}}` placeholders. The manifest and
/// the manual are the same in every language.
fn scaffold_files(lang: Lang) -> Vec<(&'static str, &'static str)> {
    let shared = [
        (
            "module.toml",
            include_str!("../templates/new-plugin/module.toml.in"),
        ),
        (
            "manual.md",
            include_str!("../templates/new-plugin/manual.md.in"),
        ),
    ];
    let own: &[(&str, &str)] = match lang {
        Lang::Rust => &[
            (
                "Cargo.toml",
                include_str!("../templates/new-plugin/Cargo.toml.in"),
            ),
            (
                "src/lib.rs",
                include_str!("../templates/new-plugin/lib.rs.in"),
            ),
            (
                "tests/module.rs",
                include_str!("../templates/new-plugin/test.rs.in"),
            ),
            (
                "README.md",
                include_str!("../templates/new-plugin/README.md.in"),
            ),
            (".gitignore", "/target\n"),
        ],
        Lang::Python => &[
            (
                "app.py",
                include_str!("../templates/new-plugin-python/app.py.in"),
            ),
            (
                "requirements.txt",
                include_str!("../templates/new-plugin-python/requirements.txt.in"),
            ),
            (
                "README.md",
                include_str!("../templates/new-plugin-python/README.md.in"),
            ),
            (".gitignore", "/wit_world/\n__pycache__/\n*.wasm\n"),
        ],
        Lang::Js => &[
            (
                "module.js",
                include_str!("../templates/new-plugin-js/module.js.in"),
            ),
            (
                "package.json",
                include_str!("../templates/new-plugin-js/package.json.in"),
            ),
            (
                "README.md",
                include_str!("../templates/new-plugin-js/README.md.in"),
            ),
            (".gitignore", "/node_modules/\n*.wasm\n"),
        ],
    };
    shared.into_iter().chain(own.iter().copied()).collect()
}

/// The componentize-py version Portico is tested with (pinned in `.ci/`).
fn componentize_py_version(root: &Path) -> Result<String> {
    let path = root.join(COMPONENTIZE_PY);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("componentize-py=="))
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: no `componentize-py==VERSION` line", path.display()))
}

/// The version of the npm package `name` Portico's JavaScript toolchain
/// pins (`tests/toolchains/js/package.json`, locked beside it).
fn js_toolchain_version(root: &Path, name: &str) -> Result<String> {
    let path = root.join(JS_TOOLCHAIN).join("package.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim().trim_matches('"') == name)
                .then(|| v.trim().trim_end_matches(',').trim_matches('"').to_owned())
        })
        .ok_or_else(|| format!("{}: no {name}", path.display()))
}

/// Where the pinned componentize-py is listed, and the npm folder of the
/// pinned ComponentizeJS.
const COMPONENTIZE_PY: &str = ".ci/componentize-py.txt";
const JS_TOOLCHAIN: &str = "tests/toolchains/js";

/// The newest released WIT version (`wit/released.txt`).
fn latest_wit(root: &Path) -> Result<String> {
    let path = root.join("wit/released.txt");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .next_back()
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: no released version", path.display()))
}

/// `new-plugin NAME [--lang rust|python|js] [--dir DIR] [--vendor NAME]`:
/// a module that builds, is tested and packs as it is.
///
/// - Rust: a crate that depends on this checkout's SDK and test kit by
///   path, and starts from this checkout's lock file, so it builds with the
///   versions Portico is tested with.
/// - Python and JavaScript: a folder with the module's source, Portico's
///   newest released contract (`wit/`) and the toolchain version Portico is
///   tested with (componentize-py, ComponentizeJS).
fn new_plugin(args: &[String]) -> Result {
    let usage =
        "usage: cargo xtask new-plugin NAME [--lang rust|python|js] [--dir DIR] [--vendor NAME]";
    let mut name = None;
    let mut dir = std::env::current_dir().map_err(|e| format!("no current folder: {e}"))?;
    let mut vendor = "Your organization".to_owned();
    let mut lang = Lang::Rust;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--dir" => dir = PathBuf::from(rest.next().ok_or(usage)?),
            "--vendor" => vendor = rest.next().ok_or(usage)?.clone(),
            "--lang" => {
                lang = match rest.next().ok_or(usage)?.as_str() {
                    "rust" => Lang::Rust,
                    "python" => Lang::Python,
                    "js" | "javascript" => Lang::Js,
                    other => {
                        return Err(format!(
                            "`--lang {other}`: choose rust, python or js\n{usage}"
                        ));
                    }
                }
            }
            a if a.starts_with('-') || name.is_some() => return Err(usage.into()),
            a => name = Some(a.to_owned()),
        }
    }
    let name = name.ok_or(usage)?;
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !valid {
        return Err(format!(
            "`{name}` cannot name a module: use lower-case letters, digits and `-`, starting with a letter (at most 64)"
        ));
    }
    if vendor.contains(['"', '\\', '\n']) {
        return Err("`--vendor` cannot hold quotes, backslashes or line breaks".into());
    }
    let crate_dir = dir.join(&name);
    if crate_dir.exists() {
        return Err(format!("{} exists already", crate_dir.display()));
    }
    let root = root();
    let title = {
        let spaced = name.replace('-', " ");
        let mut chars = spaced.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    };
    let toml_path = |p: PathBuf| p.to_string_lossy().replace('\\', "/");
    let mut values = vec![
        ("{{name}}", name.clone()),
        ("{{crate}}", name.replace('-', "_")),
        ("{{title}}", title),
        ("{{vendor}}", vendor),
        ("{{sdk}}", toml_path(root.join("sdk/portico-sdk"))),
        ("{{testkit}}", toml_path(root.join("sdk/portico-testkit"))),
    ];
    match lang {
        Lang::Rust => {}
        Lang::Python => values.push(("{{componentize_py}}", componentize_py_version(&root)?)),
        Lang::Js => {
            let version = |name| js_toolchain_version(&root, name);
            values.push((
                "{{componentize_js}}",
                version("@bytecodealliance/componentize-js")?,
            ));
            // Used by ComponentizeJS when it builds, but not declared by it.
            values.push((
                "{{preview2_shim}}",
                version("@bytecodealliance/preview2-shim")?,
            ));
        }
    }
    for (file, template) in scaffold_files(lang) {
        let text = values
            .iter()
            .fold(template.to_owned(), |t, (k, v)| t.replace(k, v));
        let path = crate_dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let dir = crate_dir.display();
    match lang {
        Lang::Rust => {
            std::fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock"))
                .map_err(|e| format!("cannot copy the lock file: {e}"))?;
            // The names filled in change line lengths: lay the code out as
            // `cargo fmt` would (skipped, harmlessly, without rustfmt).
            let _ = Command::new("rustfmt")
                .args(["--edition", "2024"])
                .arg(crate_dir.join("src/lib.rs"))
                .arg(crate_dir.join("tests/module.rs"))
                .status();
            eprintln!(
                "created {dir}\n\n  cd {dir}\n  cargo test                                      # builds the component, tests it\n  \
                 cargo build --release --target {TARGET}   # the component alone\n"
            );
        }
        Lang::Python | Lang::Js => {
            let version = latest_wit(&root)?;
            copy_dir(&root.join("wit").join(&version), &crate_dir.join("wit"))?;
            let build = if lang == Lang::Python {
                format!(
                    "pip install -r requirements.txt\n  \
                     componentize-py -d wit -w portal-module componentize app -o {}.wasm",
                    name.replace('-', "_")
                )
            } else {
                "npm install\n  npm run build".to_owned()
            };
            eprintln!(
                "created {dir} (Portico's contract {version} in wit/)\n\n  cd {dir}\n  {build}\n  \
                 portico plugin pack . --key vendor.key\n"
            );
        }
    }
    Ok(())
}

fn bench(args: &[String]) -> Result {
    let root = root();
    match args {
        [] => {}
        [flag] if flag == "--smoke" => return bench_smoke(&root),
        _ => return Err("usage: cargo xtask bench [--smoke]".into()),
    }
    build_plugins()?;
    status(
        cargo()
            .current_dir(&root)
            .args(["build", "--release", "--package", "portico"]),
    )?;
    status(
        cargo()
            .current_dir(&root)
            .args(["bench", "--package", "portico-tests", "--bench", "portico"])
            .env("PORTICO_BIN", root.join("target/release/portico"))
            // Where the test kit builds the Rust scaffold (`languages`).
            .env("CARGO_TARGET_DIR", root.join("target")),
    )
}

/// Every part of the bench with tiny sizes and runs of about a second: it
/// still builds, runs and does not panic (its figures mean nothing). Built
/// as `cargo xtask test` builds (test profile, the same selection, clippy's
/// driver), so after the tests it compiles nothing.
fn bench_smoke(root: &Path) -> Result {
    build_modules(true)?;
    // The `portico` binary the server parts run, built as the test phase
    // builds (the same selection, so nothing compiles again after it).
    status(with_lints(cargo().current_dir(root).args([
        "build",
        "--workspace",
        "--all-targets",
    ])))?;
    // The bench runs with every other test target (each given a filter no
    // test has, so only the bench does anything): with the selection of
    // the test phase, dependencies keep the features they were built with.
    status(
        with_lints(&mut cargo())
            .current_dir(root)
            .args([
                "test",
                "--workspace",
                "--all-targets",
                "--",
                "--exact",
                "bench-smoke:no-test-has-this-name",
            ])
            .env("PORTICO_BENCH_SMOKE", "1")
            .env("PORTICO_BIN", root.join("target/debug/portico"))
            .env("CARGO_TARGET_DIR", root.join("target")),
    )
}
