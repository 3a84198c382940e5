//! Version 1.0.0 of Tally: amounts are kept as the text people typed
//! (`{"label": "Salt", "amount": "12.50"}`), unchecked. Version 2.0.0
//! (`tests/plugins/tally-2`) keeps cents and migrates these records.

use portico_sdk::records::Collection;
use portico_sdk::{Context, Field, Form, FormPost, Module, Outcome, Page, Result, Table, View};
use serde_json::{Value, json};

const COUNTS: Collection = Collection::new("counts");

struct Tally;

impl Module for Tally {
    const ID: &'static str = "tally";
    const NAME: &'static str = "Tally";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        let found = COUNTS.find().sort("label").limit(100).fetch::<Value>()?;
        let mut table = Table::new("Counts (version 1)")
            .column("Label")
            .column("Amount")
            .empty_text("Nothing counted yet.");
        for d in &found.documents {
            table = table.row([
                d.data["label"].as_str().unwrap_or_default(),
                d.data["amount"].as_str().unwrap_or_default(),
            ]);
        }
        Ok(View::new("Tally").table(table).form(
            Form::new("/", "Count")
                .field(Field::text("label", "Label").required())
                .field(Field::text("amount", "Amount")),
        ))
    }

    fn submit(_ctx: &Context, form: &FormPost) -> Result<Outcome> {
        COUNTS.insert(&json!({
            "label": form.get("label").unwrap_or_default(),
            "amount": form.get("amount").unwrap_or_default(),
        }))?;
        Ok(Outcome::redirect_with("/", "Counted."))
    }
}

portico_sdk::export!(Tally);
