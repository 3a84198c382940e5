//! The organization's contract registry: contracts with their parties,
//! values, documents and amendments; the publication duty of the contract
//! register (zákon č. 340/2015 Sb.) with its deadlines; the checks public
//! auditors run; the founder's view; the published contracts for everyone.
//!
//! - `model`: what is kept, and what follows from it (duty, deadline, state).
//! - `checks`: the checks before publication.
//! - `duty`: the deadlines told and audited.
//! - `forms`: the contract's and the publication's forms.
//! - `pages`: what people see, and the CSV exports.
//! - `rates`: the Czech National Bank's exchange rate of a day.
//! - `region`: contracts sent up the tree, and the founder's view.

mod checks;
mod duty;
mod forms;
mod model;
mod pages;
mod rates;
mod region;

use portico_sdk::{
    Context, Error, FormPost, Module, Outcome, Page, Request, Response, Result, View,
};

struct Contracts;

fn param<'a>(page: &'a Page, name: &str) -> &'a str {
    page.param(name).unwrap_or_default()
}

impl Module for Contracts {
    const ID: &'static str = "contracts";
    const NAME: &'static str = "Contract registry";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        match page.pattern() {
            "/" => pages::home(ctx, page),
            "/new" => forms::contract_form(ctx, None, None, &Vec::new()),
            "/contracts/{id}" | "/contracts/{id}/publish" => {
                pages::detail(ctx, param(page, "id"), None)
            }
            "/contracts/{id}/edit" => {
                let doc = model::contract(param(page, "id"))?;
                forms::refuse_published(ctx, &doc.data)?;
                forms::contract_form(ctx, Some((&doc.id, &doc.data)), None, &Vec::new())
            }
            "/region" => region::overview(ctx, page),
            "/region/contract" => region::contract(ctx, page),
            "/published" => pages::public_list(ctx, page),
            "/published/{id}" => pages::public_detail(ctx, param(page, "id")),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let id = form.param("id").unwrap_or_default();
        match form.pattern() {
            "/new" => forms::save(ctx, form, None),
            "/contracts/{id}/edit" => forms::save(ctx, form, Some(id)),
            "/contracts/{id}/publish" => forms::publish(ctx, id, form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        let param = |name| req.param(name).unwrap_or_default();
        match req.pattern() {
            "/contracts/{id}/files/{file}" => pages::file(param("id"), param("file")),
            "/contracts.csv" => pages::export(ctx, false),
            "/published.csv" => pages::export(ctx, true),
            "/published/{id}/document" => pages::public_document(param("id")),
            "/region.csv" => region::export(ctx),
            other => Err(Error::not_found(format!("no API at {other}"))),
        }
    }

    fn run_job(_ctx: &Context, job: &str) -> Result<()> {
        match job {
            "duty" => duty::morning(),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }

    fn on_message(ctx: &Context, message: &portico_sdk::messages::Message) -> Result<()> {
        region::receive(ctx, message)
    }
}

portico_sdk::export!(Contracts);
