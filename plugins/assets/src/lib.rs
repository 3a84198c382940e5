//! Property: the spatial structure of the organization's sites and
//! buildings down to their rooms, the assets placed in them with their
//! cards and labels, and surplus property passed between the
//! organizations of one founder with its consent.
//!
//! - `model`: what is kept: places, assets, their depreciation and numbers.
//! - `places`: the structure, and what stands in a room.
//! - `register`: the register, its search, the cards and their labels.
//! - `surplus`: offers, reservations, the founder's consent, transfers.

mod model;
mod places;
mod register;
mod surplus;

use portico_sdk::{
    Context, Error, FormPost, Module, Outcome, Page, Request, Response, Result, View,
};

struct Assets;

impl Module for Assets {
    const ID: &'static str = "assets";
    const NAME: &'static str = "Property";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        let param = |name| page.param(name).unwrap_or_default();
        let none = Vec::new();
        match page.pattern() {
            "/" => register::home(ctx, page),
            "/places" => places::structure(ctx),
            "/places/new" => {
                let parent = page
                    .query("parent")
                    .filter(|p| !p.is_empty())
                    .map(model::place)
                    .transpose()?;
                places::form_view(ctx, parent.as_ref(), None, None, &none)
            }
            "/places/{id}" => places::detail(ctx, param("id"), page),
            "/places/{id}/edit" => {
                let doc = model::place(param("id"))?;
                places::form_view(ctx, None, Some(&doc), None, &none)
            }
            "/assets/new" => register::form_view(ctx, None, page.query("place"), None, &none),
            "/assets/{id}" => register::detail(ctx, param("id")),
            "/assets/{id}/{step}" => {
                surplus::step_view(ctx, param("id"), param("step"), None, &none)
            }
            "/surplus" => surplus::surplus(ctx),
            "/surplus/{id}/reserve" => surplus::reserve_view(ctx, param("id"), None, &none),
            "/region" => surplus::overview(ctx),
            "/region/{id}/decide" => surplus::decide_view(ctx, param("id"), None, &none),
            "/public" => surplus::public(ctx),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let param = |name| form.param(name).unwrap_or_default();
        match form.pattern() {
            // The search: the words as the page's address.
            "/" => Ok(Outcome::redirect(format!(
                "/?q={}",
                portico_sdk::segment(form.get("q").unwrap_or_default().trim())
            ))),
            "/places/new" => places::save(ctx, form, None),
            "/places/{id}/edit" => places::save(ctx, form, Some(param("id"))),
            "/assets/new" => register::save(ctx, form, None),
            "/assets/{id}/{step}" => surplus::take(ctx, param("id"), param("step"), form),
            "/surplus/{id}/reserve" => surplus::reserve(ctx, param("id"), form),
            "/region/{id}/decide" => surplus::decide(ctx, param("id"), form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        match req.pattern() {
            "/labels/{id}" => register::label(ctx, req, req.param("id").unwrap_or_default()),
            other => Err(Error::not_found(format!("no API at {other}"))),
        }
    }

    fn run_job(ctx: &Context, job: &str) -> Result<()> {
        match job {
            "expire" => surplus::expire(ctx),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }

    fn on_message(ctx: &Context, message: &portico_sdk::messages::Message) -> Result<()> {
        surplus::receive(ctx, message)
    }
}

portico_sdk::export!(Assets);
