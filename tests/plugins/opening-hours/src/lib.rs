//! When the office is open: a small public page.
use portico_sdk::{Context, Module, Page, Result, View};

struct OpeningHours;

impl Module for OpeningHours {
    const ID: &'static str = "opening-hours";
    const NAME: &'static str = "Opening hours";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        Ok(View::new("Opening hours")
            .key_values([("Monday", "8:00–17:00"), ("Wednesday", "8:00–17:00")]))
    }
}

portico_sdk::export!(OpeningHours);
