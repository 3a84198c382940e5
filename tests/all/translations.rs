//! Every text of a first-party module that people read exists in Czech and
//! in English: the manifest's name, description and menu, every message
//! template, permission, role, setting and agenda entry, and the user
//! manual. The manifest's own texts are the English ones; `[translations.cs]`
//! gives the Czech.

use portico_runtime::manifest::{Keyed, Manifest};

#[test]
fn every_first_party_module_speaks_czech_and_english() {
    let plugins = portico_tests::repo_root().join("plugins");
    let mut missing = Vec::new();
    let mut modules = 0;
    for entry in std::fs::read_dir(&plugins).expect("the plugins folder") {
        let dir = entry.expect("a folder entry").path();
        let file = dir.join("module.toml");
        if !file.exists() {
            continue;
        }
        modules += 1;
        let m = Manifest::from_file(&file).expect("a valid manifest");
        let cs = m.translations.get("cs");
        let mut lack = |what: String| missing.push(format!("{}: {what}", m.id));
        let Some(cs) = cs else {
            lack("no [translations.cs]".into());
            continue;
        };
        if cs.name.is_none() {
            lack("translations.cs.name".into());
        }
        if cs.description.is_none() && !m.description.is_empty() {
            lack("translations.cs.description".into());
        }
        if m.menu.is_some() && cs.menu.is_none() {
            lack("translations.cs.menu".into());
        }
        for name in m.templates.keys() {
            if !cs.templates.contains_key(name) {
                lack(format!("translations.cs.templates.{name}"));
            }
        }
        let keyed = [
            (
                Keyed::Permission,
                "permissions",
                m.permissions.keys().collect::<Vec<_>>(),
            ),
            (Keyed::Role, "roles", m.roles.keys().collect()),
            (Keyed::Setting, "settings", m.settings.keys().collect()),
            (Keyed::Agenda, "agenda", m.agenda.keys().collect()),
            (Keyed::Start, "start", m.start.keys().collect()),
        ];
        for (kind, part, keys) in keyed {
            for key in keys {
                if m.text_in(kind, key, "cs", "\u{0}") == "\u{0}" {
                    lack(format!("translations.cs.{part}.{key}"));
                }
            }
        }
        for manual in ["manual.md", "manual.cs.md"] {
            if !dir.join(manual).exists() {
                lack(manual.to_owned());
            }
        }
    }
    assert!(
        modules >= 6,
        "the first-party modules are found ({modules})"
    );
    assert!(
        missing.is_empty(),
        "texts without their Czech or English:\n{}",
        missing.join("\n")
    );
}
