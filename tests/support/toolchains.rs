//! Modules in other languages, built by their own toolchains for the tests
//! and the benchmarks: componentize-py (PyPI) and ComponentizeJS (npm),
//! each pinned (`.ci/componentize-py.txt`, `tests/toolchains/js/`) and
//! installed by `cargo xtask test`.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::repo_root;

/// A language a module is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// componentize-py.
    Python,
    /// ComponentizeJS.
    JavaScript,
}

impl Lang {
    /// The name `cargo xtask new-plugin --lang` takes.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::JavaScript => "js",
        }
    }

    /// The scaffold's source file.
    pub fn source(self) -> &'static str {
        match self {
            Lang::Python => "app.py",
            Lang::JavaScript => "module.js",
        }
    }
}

/// Builds the component of the module folder `dir` (a manifest, the
/// source, the contract in `dir/wit` or `wit`) with the language's own
/// toolchain and its default flags, as the scaffold's README says; the
/// component lands in `dir` under the name the manifest gives.
pub fn build(lang: Lang, dir: &Path, wit: &Path) {
    let manifest = std::fs::read_to_string(dir.join("module.toml")).expect("a module.toml");
    let component = manifest
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "component").then(|| v.trim().trim_matches('"').to_owned())
        })
        .expect("the manifest names its component");
    let mut command = match lang {
        Lang::Python => {
            let tool = std::env::var_os("COMPONENTIZE_PY")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    repo_root().join("target/componentize-py-venv/bin/componentize-py")
                });
            assert!(
                tool.exists(),
                "componentize-py is not installed: `cargo xtask test` installs it (or set COMPONENTIZE_PY)"
            );
            let mut c = Command::new(tool);
            c.arg("-d").arg(wit).args([
                "-w",
                "portal-module",
                "componentize",
                "app",
                "-o",
                &component,
            ]);
            c
        }
        Lang::JavaScript => {
            // The pinned ComponentizeJS, where `npm install` would put it.
            let toolchain = repo_root().join("tests/toolchains/js/node_modules");
            assert!(
                toolchain.join(".bin/componentize-js").exists(),
                "ComponentizeJS is not installed: `cargo xtask test` installs it \
                 (npm ci in tests/toolchains/js)"
            );
            let link = dir.join("node_modules");
            if !link.exists() {
                std::os::unix::fs::symlink(&toolchain, &link).expect("a link to the toolchain");
            }
            if dir.join("package.json").exists() {
                // Its build script reads the contract from `wit/`.
                if !dir.join("wit").exists() {
                    std::os::unix::fs::symlink(wit, dir.join("wit"))
                        .expect("a link to the contract");
                }
                let mut c = Command::new("npm");
                c.args(["run", "--silent", "build"]);
                c
            } else {
                let mut c = Command::new(toolchain.join(".bin/componentize-js"));
                c.arg("--wit").arg(wit).args([
                    "--world-name",
                    "portal-module",
                    "--out",
                    &component,
                    "module.js",
                ]);
                c
            }
        }
    };
    let out = command
        .current_dir(dir)
        .output()
        .expect("the toolchain starts");
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Serializes the builds of one process: two tests asking for the same
/// module build it once.
static BUILDING: Mutex<()> = Mutex::new(());

/// The module folder under `target/lang-modules/<name>`, built from `source`
/// (a folder with `module.toml` and the language's source) when it is not
/// there yet or its sources changed since; its id is `name`'s manifest id.
fn built(lang: Lang, name: &str, source: &Path, wit: &Path) -> PathBuf {
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let out = repo_root().join("target/lang-modules").join(name);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(source)
        .expect("the module's source")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in &files {
        file.file_name().hash(&mut hasher);
        std::fs::read(file)
            .expect("a source file")
            .hash(&mut hasher);
    }
    let stamp = format!("{:016x}", hasher.finish());
    let stamp_file = out.join(".built-from");
    if std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) {
        return out;
    }
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("the module folder");
    for file in &files {
        let name = file.file_name().expect("a file name");
        std::fs::copy(file, out.join(name)).expect("a copy");
    }
    build(lang, &out, wit);
    std::fs::write(&stamp_file, stamp).expect("the stamp");
    out
}

/// The Python test module in `tests/lang/<name>`, built into
/// `target/lang-modules/<name>` (so `TestPortal::builder().module(name)` loads it).
pub fn python_module(name: &str) -> PathBuf {
    let root = repo_root();
    built(
        Lang::Python,
        name,
        &root.join("tests/lang").join(name),
        &root.join("wit/0.2.0"),
    )
}

/// The module `cargo xtask new-plugin items --lang <lang>` makes, built
/// into `target/lang-modules/<lang>-items` by its toolchain: what a vendor in
/// that language starts from.
pub fn scaffolded(lang: Lang) -> PathBuf {
    let scratch = scaffold(Some(lang));
    let source = scratch.join("items");
    // The contract stays where it is; the rest is the module's source.
    let wit = scratch.join("wit");
    std::fs::rename(source.join("wit"), &wit).expect("the contract");
    built(lang, &format!("{}-items", lang.name()), &source, &wit)
}

/// Makes `cargo xtask new-plugin items` in `lang` (Rust when `None`) in a
/// fresh `target/scaffolds/<lang>/`, and returns that folder.
pub fn scaffold(lang: Option<Lang>) -> PathBuf {
    let root = repo_root();
    let name = lang.map_or("rust", Lang::name);
    let scratch = root.join("target/scaffolds").join(name);
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("a scratch folder");
    let out = Command::new(root.join("target/debug/xtask"))
        .args(["new-plugin", "items", "--lang", name, "--dir"])
        .arg(&scratch)
        .output()
        .expect("xtask starts (built by `cargo build --workspace`)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    scratch
}
