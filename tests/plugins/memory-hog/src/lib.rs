//! Keeps allocating in `render`: the host's memory limit must stop it.
use portico_sdk::{Context, Module, Page, Result, View};

struct MemoryHog;

impl Module for MemoryHog {
    const ID: &'static str = "memory-hog";
    const NAME: &'static str = "Allocates memory without end";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            // Touch every page so the memory is really used, not just reserved.
            hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
        }
    }
}

portico_sdk::export!(MemoryHog);
