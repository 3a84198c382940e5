//! A guest book built against `portico:plugin@0.1.0` straight from the
//! frozen WIT, as a vendor's module of that time was: no SDK, so nothing
//! here moves when the SDK moves on. A page lists the entries, its form adds
//! one (stored through `records`), and a refused post shows the error at the
//! field.

wit_bindgen::generate!({
    path: "../../../wit/0.1.0",
    world: "portal-module",
});

use exports::portico::plugin::module::Guest;
use portico::plugin::records;
use portico::plugin::types::{
    ActionRequest, Block, Cell, Column, Context, Error, Event, FieldKind, Form, FormField,
    ModuleInfo, Outcome, PageRequest, Redirect, Request, Response, Table, View,
};

struct Guestbook;

fn page(entries: Vec<records::Document>, error: Option<(String, String)>) -> View {
    let rows = entries
        .into_iter()
        .map(|d| {
            vec![Cell {
                text: message_of(&d.data),
                link: None,
            }]
        })
        .collect();
    let (value, error) = match error {
        Some((value, error)) => (Some(value), Some(error)),
        None => (None, None),
    };
    View {
        title: "Guest book".into(),
        blocks: vec![
            Block::Table(Table {
                caption: "Entries".into(),
                columns: vec![Column {
                    label: "Message".into(),
                    numeric: false,
                }],
                rows,
                empty_text: "No entries yet.".into(),
            }),
            Block::Form(Form {
                action: "/".into(),
                submit_label: "Sign".into(),
                fields: vec![FormField {
                    name: "message".into(),
                    label: "Message".into(),
                    kind: FieldKind::Text,
                    required: true,
                    value,
                    help: None,
                    choices: vec![],
                    error,
                }],
            }),
        ],
    }
}

/// The message of a stored entry: `{"message":"…"}` as this module wrote it.
fn message_of(data: &str) -> String {
    data.strip_prefix("{\"message\":\"")
        .and_then(|s| s.strip_suffix("\"}"))
        .map(|s| s.replace("\\\"", "\"").replace("\\\\", "\\"))
        .unwrap_or_default()
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn entries() -> Result<Vec<records::Document>, Error> {
    let q = records::Query {
        filters: vec![],
        sort: None,
        newest_first: false,
        limit: 100,
        cursor: None,
    };
    Ok(records::find("entries", &q)?.documents)
}

impl Guest for Guestbook {
    fn describe() -> ModuleInfo {
        ModuleInfo {
            id: "guestbook".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Guest book".into(),
        }
    }

    fn handle(_ctx: Context, _req: Request) -> Result<Response, Error> {
        Err(Error::NotFound("no API".into()))
    }

    fn render(_ctx: Context, _page: PageRequest) -> Result<View, Error> {
        Ok(page(entries()?, None))
    }

    fn submit(_ctx: Context, action: ActionRequest) -> Result<Outcome, Error> {
        let message = action
            .fields
            .iter()
            .find(|(k, _)| k == "message")
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default();
        if message.is_empty() {
            return Ok(Outcome::Show(page(
                entries()?,
                Some((message, "Write a message.".into())),
            )));
        }
        records::insert(
            "entries",
            &format!("{{\"message\":{}}}", json_string(&message)),
        )?;
        Ok(Outcome::Redirect(Redirect {
            to: "/".into(),
            message: Some("Thank you for signing.".into()),
        }))
    }

    fn run_job(_ctx: Context, job: String) -> Result<(), Error> {
        Err(Error::NotFound(format!("no job {job}")))
    }

    fn on_event(_ctx: Context, _event: Event) -> Result<(), Error> {
        Ok(())
    }
}

export!(Guestbook);
