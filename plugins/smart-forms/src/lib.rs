//! Smart forms: staff author forms as JSON Schema with a UI layout (JSON
//! Forms style), versioned; citizens find them through a tree of life
//! situations, fill them in step by step with drafts, pre-filled from
//! their verified identity; the office moves each submission through its
//! workflow and the applicant is told of every step.

mod citizen;
mod model;
mod staff;

use portico_sdk::{
    Context, Error, FormPost, Module, Outcome, Page, Request, Response, Result, View,
};

struct SmartForms;

impl Module for SmartForms {
    const ID: &'static str = "smart-forms";
    const NAME: &'static str = "Forms and life situations";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        let param = |n: &str| page.param(n).unwrap_or_default();
        match page.pattern() {
            "/" => citizen::home(ctx),
            "/situations/{key}" => citizen::situation(ctx, param("key")),
            "/forms" => citizen::forms(ctx),
            "/forms/{code}" => citizen::start(ctx, param("code")),
            "/fill/{code}" => citizen::fill(ctx, page),
            "/public/{code}" => citizen::public_form(ctx, param("code"), None, &[]),
            "/my" => citizen::mine(ctx),
            "/my/{id}" => citizen::my_submission(ctx, param("id")),
            "/inbox" => staff::inbox(ctx, page),
            "/inbox/{id}" => staff::submission(ctx, param("id"), &[]),
            "/dashboard" => staff::dashboard(ctx),
            "/design" => staff::design(ctx, None, &[]),
            "/design/{code}" => staff::design_form(ctx, param("code")),
            "/situations-edit" => staff::situations_edit(ctx, page.query("key"), None, &[]),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        match form.pattern() {
            "/fill/{code}" => citizen::submit_step(ctx, form),
            "/public/{code}" => citizen::submit_public(ctx, form),
            "/inbox/{id}" => staff::submit_step(ctx, form.param("id").unwrap_or_default(), form),
            "/design" => staff::publish(ctx, form),
            "/situations-edit" => staff::save_situation(ctx, form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(_ctx: &Context, req: &Request) -> Result<Response> {
        match req.pattern() {
            "/export.csv" => staff::export_csv(req),
            "/files/{id}" => staff::file(req.param("id").unwrap_or_default()),
            "/design/{code}/export.json" => {
                staff::export_definition(req.param("code").unwrap_or_default())
            }
            other => Err(Error::not_found(format!("no API {other}"))),
        }
    }
}

portico_sdk::export!(SmartForms);
