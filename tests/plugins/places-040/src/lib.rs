//! A place, asked for and looked up, built against `portico:plugin@0.4.0`
//! straight from the frozen WIT, as a vendor's module of that time was:
//! no SDK, so nothing here moves when the SDK moves on. Its one page is a
//! form with a `place` field and, for `?q=`, the addresses the register
//! finds (what 0.4.0 added).

wit_bindgen::generate!({
    path: "../../../wit/0.4.0",
    world: "portal-module",
    generate_all,
});

use exports::portico::plugin0_4_0::module::Guest;
use portico::plugin0_1_0::types::{
    Context, Error, Event, ModuleInfo, PageRequest, Request, Response,
};
use portico::plugin0_2_0::types::ActionRequest;
use portico::plugin0_3_0::types::Message;
use portico::plugin0_4_0::addresses;
use portico::plugin0_4_0::types::{Block, FieldKind, Form, FormField, Outcome, View};

struct Places;

impl Guest for Places {
    fn describe() -> ModuleInfo {
        ModuleInfo {
            id: "places".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Places".into(),
        }
    }

    fn handle(_ctx: Context, _req: Request) -> Result<Response, Error> {
        Err(Error::NotFound("no API".into()))
    }

    fn render(_ctx: Context, page: PageRequest) -> Result<View, Error> {
        let query = page
            .route
            .query
            .iter()
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.clone());
        let mut blocks = vec![Block::Form(Form {
            action: "/".into(),
            submit_label: "Look it up".into(),
            fields: vec![FormField {
                name: "where".into(),
                label: "Where".into(),
                kind: FieldKind::Place,
                required: true,
                value: query.clone(),
                selected: Vec::new(),
                help: None,
                choices: Vec::new(),
                error: None,
                read_only: false,
                pattern: None,
                min: None,
                max: None,
                autocomplete: None,
                accept: None,
                position: None,
                shown_when: None,
                required_when: None,
                calculation: None,
            }],
            buttons: Vec::new(),
        })];
        if let Some(q) = query {
            for a in addresses::search(&q, 5)? {
                blocks.push(Block::Text(a.label));
            }
        }
        Ok(View {
            title: "Places".into(),
            blocks,
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

    fn on_message(_ctx: Context, _message: Message) -> Result<(), Error> {
        Ok(())
    }
}

export!(Places);
