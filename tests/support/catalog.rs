//! The portal's message catalog, as the tests read it: every pair of texts
//! the host and the first-party modules write with `tr(…, "English",
//! "Czech")`, and the manifests' English texts that have a Czech one. A
//! Czech page shows none of the English sides outside a part marked
//! `lang="en"`.

use std::path::Path;

use portico_runtime::manifest::{Keyed, Manifest};

/// Reads a Rust string literal at the start of `s` (after spaces): its
/// text, unescaped for the escapes the sources use, and the rest.
fn literal(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 2..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                '\n' => {
                    // A line continuation: the next line's spaces go too.
                    while let Some((_, c)) = chars.clone().next() {
                        if !c.is_whitespace() {
                            break;
                        }
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// The `(English, Czech)` pairs of every `tr(…)` call in `source`.
fn pairs_in(source: &str, out: &mut Vec<(String, String)>) {
    for (at, _) in source.match_indices("tr(") {
        let before = source[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &source[at + 3..];
        // The language argument: anything up to the first comma.
        let Some(comma) = rest.find(',') else {
            continue;
        };
        if rest[..comma].contains('"') || rest[..comma].contains(')') {
            continue;
        }
        let Some((en, rest)) = literal(&rest[comma + 1..]) else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix(',') else {
            continue;
        };
        let Some((cs, _)) = literal(rest) else {
            continue;
        };
        out.push((en, cs));
    }
}

fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            pairs_in(&source, out);
        }
    }
}

/// Every English text of the catalog that differs from its Czech one and
/// reads as words: two words or more, or one of eight letters or more
/// (shorter single words, "User", "Name", are as likely the page's data),
/// longest first.
pub fn english_texts() -> Vec<String> {
    let root = crate::repo_root();
    let mut pairs = Vec::new();
    walk(&root.join("host/portico-web/src"), &mut pairs);
    walk(&root.join("plugins"), &mut pairs);
    for entry in std::fs::read_dir(root.join("plugins"))
        .expect("plugins")
        .flatten()
    {
        let Ok(m) = Manifest::from_file(&entry.path().join("module.toml")) else {
            continue;
        };
        pairs.push((m.name.clone(), m.name_in("cs").to_owned()));
        if let Some(menu) = &m.menu {
            pairs.push((menu.label.clone(), m.menu_label_in("cs").to_owned()));
        }
        for (name, entry) in &m.agenda {
            let cs = m
                .text_in(Keyed::Agenda, name, "cs", &entry.label)
                .to_owned();
            pairs.push((entry.label.clone(), cs));
        }
    }
    let mut english: Vec<String> = pairs
        .into_iter()
        .map(|(en, cs)| (en.trim().to_owned(), cs.trim().to_owned()))
        .filter(|(en, cs)| {
            let words = en.split_whitespace().count();
            let letters = en.chars().filter(|c| c.is_alphabetic()).count();
            en != cs && letters >= 4 && (words >= 2 || letters >= 8)
        })
        .map(|(en, _)| en)
        .collect();
    english.sort();
    english.dedup();
    english.sort_by_key(|e| std::cmp::Reverse(e.len()));
    english
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_reads_the_pairs_of_tr() {
        let mut out = Vec::new();
        pairs_in(
            "let t = tr(l, \"Log in\", \"Přihlásit se\"); attr(x); tr(\n    ctx,\n    \"Say \\\"hi\\\"\",\n    \"Řekni \\\"ahoj\\\"\",\n)",
            &mut out,
        );
        assert_eq!(
            out,
            [
                ("Log in".to_owned(), "Přihlásit se".to_owned()),
                ("Say \"hi\"".to_owned(), "Řekni \"ahoj\"".to_owned())
            ]
        );
    }
}
