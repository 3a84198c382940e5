//! Portico's host services, everything between the modules and the
//! platform that is not HTTP: the host interfaces implemented over the
//! platform ([`services`]), installing, upgrading and rolling back modules
//! ([`lifecycle`]), how notifications leave the portal ([`notify`]), and
//! the background work: events, messages and jobs ([`workers`]).
//!
//! The web layer, the CLI and the vendors' test kit build on it; it knows
//! nothing of HTTP requests, pages or sessions, so a vendor's `cargo test`
//! does not compile the web layer.

pub mod connections;
pub mod lifecycle;
pub mod notify;
pub mod services;
pub mod workers;
