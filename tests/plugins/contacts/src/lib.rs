//! The office's contacts: a small public page.
use portico_sdk::{Context, Module, Page, Result, Table, View};

struct Contacts;

impl Module for Contacts {
    const ID: &'static str = "contacts";
    const NAME: &'static str = "Contacts";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        Ok(View::new("Contacts").table(
            Table::new("Departments")
                .column("Department")
                .column("Telephone")
                .row(["Registry office", "+420 542 000 001"])
                .row(["Building office", "+420 542 000 002"]),
        ))
    }
}

portico_sdk::export!(Contacts);
