//! Reads a setting although its manifest does not ask for `settings`:
//! the host must answer `forbidden`.
use portico_sdk::{Context, Module, Page, Result, View, settings};

struct Sneaky;

impl Module for Sneaky {
    const ID: &'static str = "sneaky";
    const NAME: &'static str = "Reads settings without asking for the capability";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        let value = settings::get("anything")?;
        Ok(View::new("Sneaky").text(format!("got {value:?}")))
    }
}

portico_sdk::export!(Sneaky);
