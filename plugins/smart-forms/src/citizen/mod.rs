//! What citizens see, one file per page or step of the way:
//! `finding.rs` the life situations, every form and a form's first page;
//! `filling.rs` filling a form in logged in, step by step with a draft,
//! and filing a submission; `public_filling.rs` a public form filled in
//! without logging in; `fields.rs` a form's fields as they are drawn,
//! pre-filled and read back; `my_submissions.rs` the person's submissions
//! and drafts; `sent.rs` what a person sent, read back and as a PDF
//! receipt. This file holds the wording and the assurance levels they
//! share, and re-exports the pages that `lib.rs` routes to.

mod fields;
mod filling;
mod finding;
mod my_submissions;
mod public_filling;
mod sent;

pub(crate) use filling::{Filling, fill, post_step, show, submit_step};
pub(crate) use finding::{forms, home, situation, start};
pub(crate) use my_submissions::{mine, my_submission};
pub(crate) use public_filling::{public_form, submit_public};
pub(crate) use sent::{keyed_receipt, keyed_submission, my_receipt};

use portico_sdk::{Assurance, Context};

use crate::model::english;

pub fn tr(ctx: &Context, en: &'static str, cs: &'static str) -> &'static str {
    if english(ctx) { en } else { cs }
}

fn level(access: &str) -> u8 {
    match access {
        "public" => 0,
        "registered" => 1,
        "substantial" => 2,
        _ => 3,
    }
}

fn assurance(ctx: &Context) -> u8 {
    match ctx.principal().map(|p| p.assurance()) {
        None | Some(Assurance::Anonymous) => 0,
        Some(Assurance::Registered) => 1,
        Some(Assurance::Substantial) => 2,
        Some(Assurance::High) => 3,
    }
}
