//! Who people are and what they may do: accounts, log-ins, sessions,
//! groups and roles. Every change is audited; accounts, log-ins and
//! platform-wide roles in the platform's chain, the rest in their
//! organization's.
//!
//! The files import one another in one direction only, each from those
//! listed before it:
//!
//! - `passwords` — the rule a new password meets, argon2id hashing;
//! - `role_names` — `platform-admin`, `org-admin`, `<module>.<role>`, and
//!   `*` for a platform-wide grant;
//! - `users` — the accounts;
//! - `logins` — a log-in with a password, failures and the lock-out;
//! - `sessions` — the server-side sessions a log-in starts;
//! - `groups` — groups from the identity management system, each of which
//!   may stand for a role in an organization;
//! - `roles` — grants, and the roles a user holds, directly or through
//!   groups;
//! - `accounts` — the changes of an account that reach its sessions and
//!   roles: deactivating, deleting, a new password, and linking an
//!   identity provider's log-in;
//! - `self_service` — what a person does for their own account: registering
//!   with an address they confirm by an e-mailed link, a new password by
//!   another when they forgot theirs.

pub mod accounts;
pub mod groups;
pub mod logins;
pub mod passwords;
mod role_names;
pub mod roles;
pub mod self_service;
pub mod sessions;
pub mod users;
