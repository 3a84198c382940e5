//! Who people are and what they may do: accounts, sessions, groups and
//! roles. Every change is audited; accounts and platform-wide roles in the
//! platform's chain, the rest in their organization's.

pub mod groups;
pub mod roles;
pub mod sessions;
pub mod users;
