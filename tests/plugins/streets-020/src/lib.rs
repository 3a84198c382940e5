//! A list of streets built against `portico:plugin@0.2.0` straight from the
//! frozen WIT, as a vendor's module of that time was: no SDK, so nothing
//! here moves when the SDK moves on. Its one page is a table the reader
//! sorts by name or length (what 0.2.0 added to tables).

wit_bindgen::generate!({
    path: "../../../wit/0.2.0",
    world: "portal-module",
    // The world's 0.1.0 interfaces (records, audit…) too, though this
    // module calls none of them.
    generate_all,
});

use exports::portico::plugin0_2_0::module::Guest;
use portico::plugin0_1_0::types::{
    Cell, Context, Error, Event, ModuleInfo, PageRequest, Request, Response,
};
use portico::plugin0_2_0::types::{ActionRequest, Block, Column, Outcome, Table, TableSort, View};

struct Streets;

const STREETS: [(&str, u32); 4] = [
    ("Údolní", 1200),
    ("Bezručova", 450),
    ("Cejl", 980),
    ("Antonínská", 300),
];

impl Guest for Streets {
    fn describe() -> ModuleInfo {
        ModuleInfo {
            id: "streets".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Streets".into(),
        }
    }

    fn handle(_ctx: Context, _req: Request) -> Result<Response, Error> {
        Err(Error::NotFound("no API".into()))
    }

    fn render(_ctx: Context, page: PageRequest) -> Result<View, Error> {
        let query = |name: &str| {
            page.route
                .query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let key = match query("sort") {
            Some("length") => "length",
            _ => "name",
        };
        let descending = query("order") == Some("desc");
        let mut rows = STREETS.to_vec();
        rows.sort_by(|a, b| match key {
            "length" => a.1.cmp(&b.1),
            _ => a.0.cmp(b.0),
        });
        if descending {
            rows.reverse();
        }
        let cell = |text: String| Cell { text, link: None };
        Ok(View {
            title: "Streets".into(),
            blocks: vec![Block::Table(Table {
                caption: "Streets and their length".into(),
                columns: vec![
                    Column {
                        label: "Street".into(),
                        numeric: false,
                        sort_key: Some("name".into()),
                    },
                    Column {
                        label: "Length (m)".into(),
                        numeric: true,
                        sort_key: Some("length".into()),
                    },
                ],
                rows: rows
                    .into_iter()
                    .map(|(name, length)| vec![cell(name.into()), cell(length.to_string())])
                    .collect(),
                empty_text: "No streets.".into(),
                sorted_by: Some(TableSort {
                    key: key.into(),
                    descending,
                }),
            })],
        })
    }

    fn submit(_ctx: Context, _action: ActionRequest) -> Result<Outcome, Error> {
        Err(Error::NotFound("no forms".into()))
    }

    fn run_job(_ctx: Context, job: String) -> Result<(), Error> {
        Err(Error::NotFound(format!("no job {job}")))
    }

    fn on_event(_ctx: Context, _event: Event) -> Result<(), Error> {
        Ok(())
    }

    fn migrate(_ctx: Context, _from_version: String) -> Result<(), Error> {
        Ok(())
    }
}

export!(Streets);
