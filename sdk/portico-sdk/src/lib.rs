//! Write Portico modules in Rust.
//!
//! A Portico module is a WebAssembly component (target `wasm32-wasip2`) that
//! the Portico host loads in a sandbox and calls once per request, each time
//! in a fresh instance. This crate is all a vendor needs: implement
//! [`Module`] for a type, export it with [`export!`], and build pages with
//! [`View`], API answers with [`Response`] and failures with [`Error`].
//!
//! ```no_run
//! use portico_sdk::{Context, Module, Page, Result, Table, View};
//!
//! struct Hello;
//!
//! impl Module for Hello {
//!     const ID: &'static str = "hello";
//!     const NAME: &'static str = "Hello";
//!
//!     fn render(ctx: &Context, page: &Page) -> Result<View> {
//!         let who = page.query("name").unwrap_or("world");
//!         Ok(View::new("Hello")
//!             .text(format!("Hello, {who}! You are in organization {}.", ctx.org_id()))
//!             .table(Table::new("Greetings").column("Language").row(["English"])))
//!     }
//! }
//!
//! portico_sdk::export!(Hello);
//! ```
//!
//! The host calls only the routes the module's manifest declares, and only
//! lets it use the host capabilities the manifest asks for (see [`settings`]).
//! Exports for staff are written with [`csv`], which keeps the text in them
//! from running as spreadsheet formulas.
#![deny(missing_docs)]

extern crate self as portico_sdk;

pub mod addresses;
pub mod audit;
pub mod calendar;
pub mod connections;
mod context;
pub mod csv;
mod error;
pub mod events;
pub mod files;
mod http;
pub mod log;
pub mod messages;
pub mod notify;
pub mod numbers;
pub mod orgs;
pub mod people;
pub mod records;
pub mod recurrence;
pub mod settings;
mod view;

pub use context::{Assurance, Context, Principal};
pub use error::{Error, FieldError, Result};
pub use events::Event;
pub use http::{FormPost, Method, Outcome, Page, Request, Response, UploadedFile};
pub use messages::Message;
/// Text as the portal's search compares it: lower case, without
/// diacritics (`Žabovřesky` folds to `zabovresky`), and split into words.
pub use portico_types::folding;
/// The identification number of a Czech body (IČO) and its check digit.
pub use portico_types::ico;
pub use view::{
    Action, Cell, Chart, Field, FieldKind, Form, LineMap, Map, NoticeLevel, Operation, Pager, Stat,
    Table, TimelineEntry, View,
};

/// The raw bindings of the `portico:plugin` WIT world. Not part of the API:
/// it changes whenever the WIT does.
#[doc(hidden)]
pub mod wit {
    wit_bindgen::generate!({
        path: "../../wit/0.5.0",
        generate_all,
        world: "portal-module",
        pub_export_macro: true,
        export_macro_name: "__export_portal_module",
        default_bindings_module: "::portico_sdk::wit",
        runtime_path: "::portico_sdk::__private::wit_bindgen::rt",
    });
}

#[doc(hidden)]
pub mod __private {
    //! What [`crate::export!`] expands to calls these; not part of the API.
    pub use crate::wit::exports::portico::plugin0_5_0::module::Guest;
    pub use crate::wit::portico::plugin0_1_0::types as wit;
    pub use crate::wit::portico::plugin0_2_0::types as figures;
    pub use crate::wit::portico::plugin0_3_0::types as tree;
    pub use crate::wit::portico::plugin0_4_0::types as views;
    pub use crate::wit::portico::plugin0_5_0::types as outside;
    pub use wit_bindgen;

    pub fn describe<M: crate::Module>(version: &str) -> wit::ModuleInfo {
        wit::ModuleInfo {
            id: M::ID.to_owned(),
            version: version.to_owned(),
            name: M::NAME.to_owned(),
        }
    }

    pub fn handle<M: crate::Module>(
        ctx: wit::Context,
        req: wit::Request,
    ) -> Result<wit::Response, wit::Error> {
        M::handle(&ctx.into(), &req.into())
            .map(Into::into)
            .map_err(Into::into)
    }

    pub fn render<M: crate::Module>(
        ctx: wit::Context,
        page: wit::PageRequest,
    ) -> Result<outside::View, wit::Error> {
        M::render(&ctx.into(), &page.into())
            .map(Into::into)
            .map_err(Into::into)
    }

    pub fn submit<M: crate::Module>(
        ctx: wit::Context,
        action: figures::ActionRequest,
    ) -> Result<outside::Outcome, wit::Error> {
        M::submit(&ctx.into(), &action.into())
            .map(Into::into)
            .map_err(Into::into)
    }

    pub fn run_job<M: crate::Module>(ctx: wit::Context, job: String) -> Result<(), wit::Error> {
        M::run_job(&ctx.into(), &job).map_err(Into::into)
    }

    pub fn on_event<M: crate::Module>(
        ctx: wit::Context,
        event: wit::Event,
    ) -> Result<(), wit::Error> {
        M::on_event(&ctx.into(), &event.into()).map_err(Into::into)
    }

    pub fn migrate<M: crate::Module>(
        ctx: wit::Context,
        from_version: String,
    ) -> Result<(), wit::Error> {
        M::migrate(&ctx.into(), &from_version).map_err(Into::into)
    }

    pub fn on_message<M: crate::Module>(
        ctx: wit::Context,
        message: tree::Message,
    ) -> Result<(), wit::Error> {
        M::on_message(&ctx.into(), &message.into()).map_err(Into::into)
    }

    pub fn on_webhook<M: crate::Module>(
        ctx: wit::Context,
        hook: outside::Webhook,
    ) -> Result<(), wit::Error> {
        M::on_webhook(&ctx.into(), &hook.into()).map_err(Into::into)
    }
}

/// A key nobody can guess, for what a module names across organizations
/// (a task, a request): 16 hexadecimal digits from WASI's random (the
/// standard library's hasher seed).
pub fn random_key() -> String {
    use std::hash::{BuildHasher, RandomState};
    format!(
        "{:016x}",
        RandomState::new().hash_one(std::time::SystemTime::now())
    )
}

/// A reference number a person can read out over the phone: `prefix` and
/// six digits (`2026-482731`; no letters to mistake for digits), one that
/// `taken` says is free (a lookup of the indexed field the numbers are
/// kept in). Gives up, `unavailable`, after eight numbers taken in a row.
///
/// ```
/// let number = portico_sdk::spoken_number("2026-", |_| Ok(false)).unwrap();
/// assert_eq!(number.len(), "2026-482731".len());
/// assert!(number[5..].chars().all(|c| c.is_ascii_digit()));
/// ```
pub fn spoken_number(prefix: &str, mut taken: impl FnMut(&str) -> Result<bool>) -> Result<String> {
    use std::hash::{BuildHasher, RandomState};
    for attempt in 0..8u32 {
        let n = RandomState::new().hash_one((std::time::SystemTime::now(), attempt)) % 1_000_000;
        let number = format!("{prefix}{n:06}");
        if !taken(&number)? {
            return Ok(number);
        }
    }
    Err(Error::Unavailable(
        "no free number was found; try again".to_owned(),
    ))
}

/// Encodes `value` for use as one segment of a path, so that an id such as
/// `MMB/0412/2026` stays one segment: the host decodes it again before it
/// reaches [`Page::param`].
///
/// ```
/// assert_eq!(portico_sdk::segment("MMB/0412/2026"), "MMB%2F0412%2F2026");
/// ```
pub fn segment(value: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, SEGMENT).to_string()
}

/// A Portico module. Every method has a default that answers `not-found`,
/// so a module implements only what its manifest routes to.
pub trait Module: 'static {
    /// The module's identifier; must equal `id` in its manifest.
    const ID: &'static str;
    /// The module's name for people.
    const NAME: &'static str;

    /// Renders a portal page: one of the manifest's `page` routes.
    fn render(ctx: &Context, page: &Page) -> Result<View> {
        let _ = ctx;
        Err(Error::not_found(format!("no page at {}", page.path())))
    }

    /// Handles a form posted to one of the manifest's `page` routes.
    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let _ = ctx;
        Err(Error::not_found(format!("no form at {}", form.path())))
    }

    /// Answers a request to one of the manifest's `api` routes.
    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        let _ = ctx;
        Err(Error::not_found(format!("no API at {}", req.path())))
    }

    /// Runs one of the manifest's jobs for the organization in `ctx`.
    fn run_job(ctx: &Context, job: &str) -> Result<()> {
        let _ = ctx;
        Err(Error::not_found(format!("no job named {job}")))
    }

    /// Handles an event of a topic the manifest `subscribes` to. An error
    /// makes the host deliver it again later.
    fn on_event(ctx: &Context, event: &Event) -> Result<()> {
        let _ = ctx;
        Err(Error::not_found(format!("no handler for {}", event.topic)))
    }

    /// Brings this module's records in the organization of `ctx` from what
    /// version `from_version` wrote to what this version reads. The host
    /// calls it when an administrator installs this version over an older
    /// one, once per organization with the module's data, before any
    /// request reaches this version. Every organization's migration is one
    /// transaction: an error undoes all of them and the older version keeps
    /// serving, so return an error naming the record that cannot be
    /// brought over rather than skipping it.
    ///
    /// The default changes nothing, for versions that read what the older
    /// ones wrote.
    fn migrate(ctx: &Context, from_version: &str) -> Result<()> {
        let _ = (ctx, from_version);
        Ok(())
    }

    /// Receives a [message](messages) this module sent from another
    /// organization; `ctx` is the receiving organization's, with no
    /// principal. Once a call succeeds, its writes are kept together with
    /// the note that the message arrived, and the host never hands the
    /// message over again; an error makes the host deliver it again later,
    /// and after too many failures an administrator finds it among the
    /// dead letters.
    fn on_message(ctx: &Context, message: &Message) -> Result<()> {
        let _ = ctx;
        Err(Error::not_found(format!(
            "no handler for {} messages",
            message.kind
        )))
    }

    /// Receives what an outside system sent to one of the manifest's
    /// webhook [connections](connections); `ctx` is the organization's,
    /// with no principal. The host has checked the signature and the
    /// timestamp, and hands a message over until one call succeeds: its
    /// writes are then kept with the note that it arrived, and the system
    /// is answered 204. An error answers the system with its status
    /// (`unavailable` 503, so that it sends the message again later).
    fn on_webhook(ctx: &Context, hook: &connections::Webhook) -> Result<()> {
        let _ = ctx;
        Err(Error::not_found(format!(
            "no handler for webhooks of {}",
            hook.connection
        )))
    }
}

/// Exports a [`Module`] implementation as the component's `module` export.
///
/// Use it once per crate. The module's version is the version of the crate
/// that calls the macro, so it always matches `Cargo.toml`.
///
/// ```no_run
/// struct Board;
/// impl portico_sdk::Module for Board {
///     const ID: &'static str = "board";
///     const NAME: &'static str = "Board";
/// }
/// portico_sdk::export!(Board);
/// ```
#[macro_export]
macro_rules! export {
    ($module:ty) => {
        const _: () = {
            use $crate::__private as __p;
            struct __PorticoExport;
            impl __p::Guest for __PorticoExport {
                fn describe() -> __p::wit::ModuleInfo {
                    __p::describe::<$module>(env!("CARGO_PKG_VERSION"))
                }
                fn handle(
                    ctx: __p::wit::Context,
                    req: __p::wit::Request,
                ) -> Result<__p::wit::Response, __p::wit::Error> {
                    __p::handle::<$module>(ctx, req)
                }
                fn render(
                    ctx: __p::wit::Context,
                    page: __p::wit::PageRequest,
                ) -> Result<__p::outside::View, __p::wit::Error> {
                    __p::render::<$module>(ctx, page)
                }
                fn submit(
                    ctx: __p::wit::Context,
                    action: __p::figures::ActionRequest,
                ) -> Result<__p::outside::Outcome, __p::wit::Error> {
                    __p::submit::<$module>(ctx, action)
                }
                fn run_job(ctx: __p::wit::Context, job: String) -> Result<(), __p::wit::Error> {
                    __p::run_job::<$module>(ctx, job)
                }
                fn on_event(
                    ctx: __p::wit::Context,
                    event: __p::wit::Event,
                ) -> Result<(), __p::wit::Error> {
                    __p::on_event::<$module>(ctx, event)
                }
                fn migrate(
                    ctx: __p::wit::Context,
                    from_version: String,
                ) -> Result<(), __p::wit::Error> {
                    __p::migrate::<$module>(ctx, from_version)
                }
                fn on_message(
                    ctx: __p::wit::Context,
                    message: __p::tree::Message,
                ) -> Result<(), __p::wit::Error> {
                    __p::on_message::<$module>(ctx, message)
                }
                fn on_webhook(
                    ctx: __p::wit::Context,
                    hook: __p::outside::Webhook,
                ) -> Result<(), __p::wit::Error> {
                    __p::on_webhook::<$module>(ctx, hook)
                }
            }
    $crate::wit::__export_portal_module!(__PorticoExport with_types_in $crate::wit);
        };
    };
}
