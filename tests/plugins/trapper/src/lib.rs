//! Panics in `render` (a trap in the sandbox), with a message that looks
//! like internals, which must not reach the user.
use portico_sdk::{Context, Module, Page, Result, View};

struct Trapper;

impl Module for Trapper {
    const ID: &'static str = "trapper";
    const NAME: &'static str = "Panics in every call";

    fn render(_ctx: &Context, page: &Page) -> Result<View> {
        if page.query("behave").is_some() {
            return Ok(View::new("Behaving").text("no trap this time"));
        }
        panic!("secret-internal-state: index out of bounds at trapper/src/lib.rs");
    }
}

portico_sdk::export!(Trapper);
