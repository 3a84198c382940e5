//! Version 2.0.0 of Tally: amounts are whole cents
//! (`{"label": "Salt", "cents": 1250}`). Its `migrate` turns every 1.x
//! record's typed amount into cents, and fails on the first amount that is
//! not one, naming the record, so the upgrade is undone everywhere.

use portico_sdk::records::Collection;
use portico_sdk::{
    Context, Error, Field, Form, FormPost, Module, Outcome, Page, Result, Table, View,
};
use serde_json::{Value, json};

const COUNTS: Collection = Collection::new("counts");

struct Tally;

/// `12.50`, `12,5` or `12` as cents.
fn cents(amount: &str) -> Option<i64> {
    let amount = amount.trim().replace(',', ".");
    let (whole, fraction) = amount.split_once('.').unwrap_or((&amount, ""));
    if whole.is_empty() || fraction.len() > 2 {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

impl Module for Tally {
    const ID: &'static str = "tally";
    const NAME: &'static str = "Tally";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        let found = COUNTS.find().sort("label").limit(100).fetch::<Value>()?;
        let mut table = Table::new("Counts (version 2)")
            .column("Label")
            .column("Amount")
            .empty_text("Nothing counted yet.");
        for d in &found.documents {
            let c = d.data["cents"].as_i64().unwrap_or_default();
            table = table.row([
                d.data["label"].as_str().unwrap_or_default().to_owned(),
                format!("{}.{:02}", c / 100, c % 100),
            ]);
        }
        Ok(View::new("Tally").table(table).form(
            Form::new("/", "Count")
                .field(Field::text("label", "Label").required())
                .field(Field::text("amount", "Amount").required()),
        ))
    }

    fn submit(_ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let amount = form.get("amount").unwrap_or_default();
        let Some(c) = cents(amount) else {
            return Err(Error::invalid("amount", "give an amount such as 12.50"));
        };
        COUNTS.insert(&json!({ "label": form.get("label").unwrap_or_default(), "cents": c }))?;
        Ok(Outcome::redirect_with("/", "Counted."))
    }

    fn migrate(_ctx: &Context, from_version: &str) -> Result<()> {
        if !from_version.starts_with("1.") {
            return Ok(());
        }
        let mut cursor = None;
        loop {
            let page = COUNTS.find().limit(100).after(cursor).fetch::<Value>()?;
            for d in &page.documents {
                let label = d.data["label"].as_str().unwrap_or_default();
                let amount = d.data["amount"].as_str().unwrap_or_default();
                let Some(c) = cents(amount) else {
                    return Err(Error::invalid(
                        "amount",
                        format!("count {} ({label}): `{amount}` is not an amount", d.id),
                    ));
                };
                COUNTS.update(&d.id, d.version, &json!({ "label": label, "cents": c }))?;
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(()),
            }
        }
    }
}

portico_sdk::export!(Tally);
