//! Smart forms: staff build forms step by step in the builder (or import
//! them as JSON Schema with a JSON Forms layout), preview a draft and
//! publish it as the next version; citizens find them through a tree of life
//! situations, fill them in step by step with drafts, pre-filled from
//! their verified identity, check their answers, send and keep a PDF
//! receipt; the office moves each submission through its
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
            "/receipt/{id}/{key}" => citizen::keyed_submission(ctx, param("id"), param("key")),
            "/inbox" => staff::inbox(ctx, page),
            "/inbox/{id}" => staff::submission(ctx, param("id"), &[]),
            "/dashboard" => staff::dashboard(ctx),
            "/design" => staff::design(ctx, None, &[]),
            "/design/{code}" => staff::builder_view(ctx, param("code"), None),
            "/design/{code}/fields/{name}" => {
                staff::field_view(ctx, param("code"), param("name"), None, None)
            }
            "/design/{code}/steps/{step}" => staff::step_view(
                ctx,
                param("code"),
                param("step").parse().unwrap_or(usize::MAX),
                None,
            ),
            "/design/{code}/preview" => staff::preview(ctx, page),
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
            "/design/{code}" => staff::builder_post(ctx, form),
            "/design/{code}/fields/{name}" => staff::field_post(ctx, form),
            "/design/{code}/steps/{step}" => staff::step_post(ctx, form),
            "/design/{code}/preview" => staff::preview_post(ctx, form),
            "/situations-edit" => staff::save_situation(ctx, form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        match req.pattern() {
            "/my/{id}/receipt.pdf" => citizen::my_receipt(ctx, req),
            "/receipt/{id}/{key}/receipt.pdf" => citizen::keyed_receipt(ctx, req),
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
