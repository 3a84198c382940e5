//! News of the city: a small public page.
use portico_sdk::{Context, Module, Page, Result, View};

struct CityNews;

impl Module for CityNews {
    const ID: &'static str = "city-news";
    const NAME: &'static str = "City news";

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        Ok(View::new("News").text("The town hall is closed on 28 October."))
    }
}

portico_sdk::export!(CityNews);
