//! Never returns from `render`: the host's deadline must stop it.
use portico_sdk::{Context, Module, Page, Result, View};

struct Looper;

impl Module for Looper {
    const ID: &'static str = "looper";
    const NAME: &'static str = "Loops forever in every call";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

portico_sdk::export!(Looper);
