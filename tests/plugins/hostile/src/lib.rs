//! Returns text, links and form labels meant to run script in the portal:
//! the shell must show all of it as text and run none of it.
use portico_sdk::{
    Action, Cell, Chart, Context, Field, Form, Map, Module, NoticeLevel, Page, Pager, Result, Stat,
    Table, TimelineEntry, View,
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
            )
            .stats([
                Stat::new(HANDLER, SCRIPT).detail(HANDLER).link(JS_URL),
                Stat::new("a data: figure", "1").link("data:text/html,<script>x</script>"),
            ])
            .chart(
                Chart::bar(
                    format!("Chart {SCRIPT}"),
                    [HANDLER, "</text><script>window.pwned=8</script>"],
                )
                .series(format!("Series {HANDLER}"), [1.0, 2.0])
                .unit("\"><svg onload=\"window.pwned=9\">"),
            )
            .chart(
                Chart::line("Line </svg><script>window.pwned=10</script>", ["a", "b"])
                    .series(SCRIPT, [f64::NAN, f64::INFINITY]),
            )
            .timeline([TimelineEntry::new(SCRIPT, HANDLER)
                .text(SCRIPT)
                .link(JS_URL)])
            .map(
                Map::new(format!("Map {SCRIPT}"))
                    .linked_point(49.19, 16.6, format!("</title>{SCRIPT}"), JS_URL)
                    .point(f64::NAN, 500.0, HANDLER),
            )
            .table(
                Table::new("Sortable")
                    .sortable(HANDLER, "\"><script>window.pwned=11</script>", false)
                    .row([SCRIPT]),
            )
            .pager(
                Pager::new()
                    .previous(JS_URL)
                    .next("//evil.example/")
                    .summary(SCRIPT),
            ))
    }
}

portico_sdk::export!(Hostile);
