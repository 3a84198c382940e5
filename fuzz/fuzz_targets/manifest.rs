//! A module's `module.toml`, as it arrives inside a package from any
//! vendor: parsing and validation never panic. A manifest that passes
//! also has its jobs' schedules and templates exercised, and its settings
//! check a value as an administrator types it. Input: the manifest, then
//! optionally NUL and a setting's value.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

// The folder's mod.rs: its `mod settings;` and the others resolve beside it.
#[path = "../../host/portico-runtime/src/manifest/mod.rs"]
#[allow(dead_code, unused_imports)]
mod manifest;
mod stack;

use manifest::Manifest;

fuzz_target!(|data: &[u8]| {
    let (text, value) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], std::str::from_utf8(&data[at + 1..]).ok()),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    stack::with_stack(stack::HOST, || {
        let Ok(m) = Manifest::parse(text, Path::new("module.toml")) else {
            return;
        };
        let _ = toml::to_string(&m);
        for job in &m.jobs {
            let _ = job.cron();
        }
        for (key, setting) in &m.settings {
            for value in [value, setting.default.as_deref()].into_iter().flatten() {
                if let Err(e) = setting.check(key, value) {
                    let _ = (e.message("en"), e.message("cs"));
                }
            }
        }
        let data = serde_json::json!({"title": "Výkop", "id": 7, "items": [1, 2, 3]});
        for template in m.templates.values() {
            let _ = (template.render(&data, "cs"), template.render(&data, "en"));
        }
        // Every translation, as a message in that language would fill it.
        for (lang, texts) in &m.translations {
            for template in texts.templates.values() {
                let _ = template.render(&data, lang);
            }
        }
        let _ = m.permissions_of(["org-admin", "staff", "citizen"]);
    });
});
