//! Public procurement: a process from its plan through the call, its
//! lots, the bids, the awards and the contracts to their amendments and
//! payments, each change published as a release of the Open Contracting
//! Data Standard 1.1, with the records merged from them, the packages and
//! a bulk download; the organization's statistics and the founder's view.
//!
//! - `model`: what is kept, and the regime a value puts a process in.
//! - `forms`: the steps of a process, each publishing a release.
//! - `ocds`: the standard: releases, merging them, packages.
//! - `pages`: what people see, and the packages served.
//! - `region`: the figures, sent up the tree, and the founder's view.

mod forms;
mod model;
mod ocds;
mod pages;
mod region;

use portico_sdk::{
    Context, Error, FormPost, Module, Outcome, Page, Request, Response, Result, View,
};

struct Procurement;

impl Module for Procurement {
    const ID: &'static str = "procurement";
    const NAME: &'static str = "Public procurement";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        let param = |name| page.param(name).unwrap_or_default();
        match page.pattern() {
            "/" => pages::home(ctx, page),
            "/new" => Ok(pages::new_process(ctx)),
            "/processes/{id}" => pages::detail(ctx, param("id")),
            "/processes/{id}/{step}" => {
                let doc = model::process(param("id"))?;
                pages::step_view(ctx, &doc.id, &doc.data, param("step"), None, &Vec::new())
            }
            "/statistics" => pages::statistics(ctx),
            "/region" => region::overview(ctx),
            "/public" => pages::public_list(ctx, page),
            "/public/{ocid}" => pages::public_detail(ctx, param("ocid")),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let param = |name| form.param(name).unwrap_or_default();
        match form.pattern() {
            "/new" => forms::create(ctx, form),
            "/processes/{id}/{step}" => forms::take(ctx, param("id"), param("step"), form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        let ocid = req.param("ocid");
        match req.pattern() {
            "/ocds/releases.json" => pages::release_package(ctx, req, None),
            "/ocds/records.json" => pages::record_package(ctx, req, None),
            "/ocds/releases/{ocid}" => pages::release_package(ctx, req, ocid),
            "/ocds/records/{ocid}" => pages::record_package(ctx, req, ocid),
            other => Err(Error::not_found(format!("no API at {other}"))),
        }
    }

    fn run_job(ctx: &Context, job: &str) -> Result<()> {
        match job {
            "publish" => forms::publish_imported(ctx),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }

    fn on_message(ctx: &Context, message: &portico_sdk::messages::Message) -> Result<()> {
        region::receive(ctx, message)
    }
}

portico_sdk::export!(Procurement);
