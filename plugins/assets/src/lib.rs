//! Property: the spatial structure of the organization's sites and
//! buildings down to their rooms, the assets placed in them with their
//! cards and labels, and surplus property passed between the
//! organizations of one founder with its consent.
//!
//! - `model`: what is kept: places, assets, their depreciation and numbers.
//! - `places`: the structure, and what stands in a room.
//! - `register`: the register, its search, the cards and their labels.
//! - `surplus`: offers, reservations, the founder's consent, transfers.
//! - `maintenance`: plans by time or meter, faults reported, work orders.
//! - `stocktake`: the yearly stock-take, place by place, and its sign-off.

mod maintenance;
mod model;
mod places;
mod register;
mod stocktake;
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
            "/assets/{id}/{step}" if param("step") == "files" => {
                register::files_view(ctx, param("id"), None, &none)
            }
            "/assets/{id}/{step}" => {
                surplus::step_view(ctx, param("id"), param("step"), None, &none)
            }
            "/surplus" => surplus::surplus(ctx),
            "/surplus/{id}/reserve" => surplus::reserve_view(ctx, param("id"), None, &none),
            "/region" => surplus::overview(ctx),
            "/region/{id}/decide" => surplus::decide_view(ctx, param("id"), None, &none),
            "/public" => surplus::public(ctx),
            "/maintenance" => maintenance::home(ctx),
            "/maintenance/report" => maintenance::report_view(
                ctx,
                page.query("asset").filter(|a| !a.is_empty()),
                None,
                &none,
            ),
            "/maintenance/orders/{id}" | "/maintenance/orders/{id}/{step}" => {
                maintenance::order_view(ctx, param("id"), None, &none)
            }
            "/maintenance/plans/new" => {
                maintenance::plan_view(ctx, page.query("asset"), None, None, &none)
            }
            "/maintenance/plans/{id}" => {
                maintenance::plan_view(ctx, None, Some(param("id")), None, &none)
            }
            "/maintenance/readings/{id}" => {
                maintenance::reading_view(ctx, param("id"), None, &none)
            }
            "/stocktake" => stocktake::home(ctx, None, &none),
            "/stocktake/{id}" => stocktake::detail(ctx, param("id"), &none),
            "/stocktake/{id}/{place}" => {
                stocktake::list_view(ctx, param("id"), param("place"), None, &none)
            }
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
            "/assets/{id}/{step}" if param("step") == "files" => {
                register::save_files(ctx, param("id"), form)
            }
            "/assets/{id}/{step}" => surplus::take(ctx, param("id"), param("step"), form),
            "/surplus/{id}/reserve" => surplus::reserve(ctx, param("id"), form),
            "/region/{id}/decide" => surplus::decide(ctx, param("id"), form),
            "/maintenance/report" => maintenance::report(ctx, form),
            "/maintenance/orders/{id}/{step}" => {
                maintenance::take(ctx, param("id"), param("step"), form)
            }
            "/maintenance/plans/new" => {
                maintenance::save_plan(ctx, form.query("asset"), None, form)
            }
            "/maintenance/plans/{id}" => maintenance::save_plan(ctx, None, Some(param("id")), form),
            "/maintenance/readings/{id}" => maintenance::reading(ctx, param("id"), form),
            "/stocktake" => stocktake::open(ctx, form),
            "/stocktake/{id}" => stocktake::sign(ctx, param("id"), form),
            "/stocktake/{id}/{place}" => stocktake::count(ctx, param("id"), param("place"), form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        match req.pattern() {
            "/labels/{id}" => register::label(ctx, req, req.param("id").unwrap_or_default()),
            "/files/{owner}/{file}" => register::file(
                req.param("owner").unwrap_or_default(),
                req.param("file").unwrap_or_default(),
            ),
            other => Err(Error::not_found(format!("no API at {other}"))),
        }
    }

    fn run_job(ctx: &Context, job: &str) -> Result<()> {
        match job {
            "expire" => surplus::expire(ctx),
            "maintenance" => maintenance::run(ctx),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }

    fn on_message(ctx: &Context, message: &portico_sdk::messages::Message) -> Result<()> {
        surplus::receive(ctx, message)
    }
}

portico_sdk::export!(Assets);
