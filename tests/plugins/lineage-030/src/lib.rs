//! The organizations above the calling one, built against
//! `portico:plugin@0.3.0` straight from the frozen WIT, as a vendor's
//! module of that time was: no SDK, so nothing here moves when the SDK
//! moves on. Its one page lists the caller and its ancestors through
//! `orgs` (what 0.3.0 added).

wit_bindgen::generate!({
    path: "../../../wit/0.3.0",
    world: "portal-module",
    generate_all,
});

use exports::portico::plugin0_3_0::module::Guest;
use portico::plugin0_1_0::types::{
    Cell, Context, Error, Event, ModuleInfo, PageRequest, Request, Response,
};
use portico::plugin0_2_0::types::{ActionRequest, Block, Column, Outcome, Table, View};
use portico::plugin0_3_0::orgs;
use portico::plugin0_3_0::types::Message;

struct Lineage;

impl Guest for Lineage {
    fn describe() -> ModuleInfo {
        ModuleInfo {
            id: "lineage".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Lineage".into(),
        }
    }

    fn handle(_ctx: Context, _req: Request) -> Result<Response, Error> {
        Err(Error::NotFound("no API".into()))
    }

    fn render(_ctx: Context, _page: PageRequest) -> Result<View, Error> {
        let line = std::iter::once(orgs::current()?).chain(orgs::ancestors()?);
        let cell = |text: String| Cell { text, link: None };
        Ok(View {
            title: "Lineage".into(),
            blocks: vec![Block::Table(Table {
                caption: "This organization and those above it".into(),
                columns: vec![Column {
                    label: "Organization".into(),
                    numeric: false,
                    sort_key: None,
                }],
                rows: line.map(|o| vec![cell(o.name)]).collect(),
                empty_text: "None.".into(),
                sorted_by: None,
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

    fn on_message(_ctx: Context, _message: Message) -> Result<(), Error> {
        Ok(())
    }
}

export!(Lineage);
