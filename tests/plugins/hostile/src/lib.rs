//! Returns text, links and form labels meant to run script in the portal:
//! the shell must show all of it as text and run none of it.
use portico_sdk::{
    Action, Cell, Context, Field, Form, Module, NoticeLevel, Page, Result, Table, View,
};

struct Hostile;

const SCRIPT: &str = "<script>window.pwned = 1; document.title = 'pwned';</script>";
const HANDLER: &str = "<img src=x onerror=\"window.pwned=2\">";
const JS_URL: &str = "javascript:window.pwned=3";

impl Module for Hostile {
    const ID: &'static str = "hostile";
    const NAME: &'static str = "Hostile";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        Ok(View::new(format!("Hostile {SCRIPT}"))
            .heading(format!("<svg onload=\"window.pwned=4\"></svg>{HANDLER}"))
            .text(format!("Text {SCRIPT} {HANDLER}"))
            .notice(NoticeLevel::Warning, "\"><script>window.pwned=5</script>")
            .key_values([(HANDLER, SCRIPT)])
            .table(Table::new(format!("Table {SCRIPT}")).column(HANDLER).row([
                Cell::link("a javascript: link", JS_URL),
                Cell::link(
                    "a data: link",
                    "data:text/html,<script>window.pwned=6</script>",
                ),
            ]))
            .actions([
                Action::primary("javascript: action", JS_URL),
                Action::secondary("protocol-relative action", "//evil.example/"),
            ])
            .form(
                Form::new(JS_URL, "Send <b>now</b>")
                    .field(Field::text("x\" onfocus=\"window.pwned=7", HANDLER).value(SCRIPT)),
            ))
    }
}

portico_sdk::export!(Hostile);
