//! Brings the map library (Leaflet and its clustering, from the npm
//! registry, pinned by `assets/map/package-lock.json`) into the build, so
//! that the host serves it from itself: no page loads a script from
//! anywhere else. `npm ci` runs in the build's own folder; the files are
//! embedded from there (see `src/map.rs`).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let source = PathBuf::from("assets/map");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("map");
    for file in ["package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed=assets/map/{file}");
    }
    std::fs::create_dir_all(&out).expect("the build folder can be written");
    let mut changed = false;
    for file in ["package.json", "package-lock.json"] {
        let wanted = std::fs::read(source.join(file)).expect("assets/map holds the npm files");
        if std::fs::read(out.join(file)).ok().as_ref() != Some(&wanted) {
            std::fs::write(out.join(file), wanted).expect("the build folder can be written");
            changed = true;
        }
    }
    if !changed && out.join("node_modules/leaflet/dist/leaflet.js").exists() {
        return;
    }
    let status = Command::new("npm")
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--silent",
        ])
        .current_dir(&out)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "`npm ci` for the map library (host/portico-web/assets/map) failed ({s}): \
             the npm registry must be reachable, or its packages in npm's cache"
        ),
        Err(e) => panic!(
            "cannot run `npm` for the map library (host/portico-web/assets/map): {e}; \
             Node.js and npm must be installed"
        ),
    }
}
