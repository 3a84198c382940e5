//! Forms in the smart-forms dialect, for every module that has people
//! fill them: citizens' forms (`smart-forms`) and the founder's data
//! collection campaigns (`tasks`).
//!
//! - `definition`: a JSON Schema of the answers with a JSON Forms layout,
//!   read and checked into a [`Form`](definition::Form), and its answers
//!   shown, required, calculated and checked.
//! - `builder`: the form builder's operations on a definition (steps,
//!   fields, their checks, conditions and calculations), without JSON.
//! - `fields`: a form's fields drawn as the SDK's fields and read back
//!   from a post.
//! - `receipt`: a receipt as a PDF (what was sent, for the person to keep).

pub mod builder;
pub mod definition;
pub mod fields;
pub mod receipt;
