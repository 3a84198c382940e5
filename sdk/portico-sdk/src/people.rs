//! Who in the calling organization can be given work: the users who hold a
//! permission of this module there (through one of its roles, granted
//! directly or through a group). Needs `people` in the manifest's
//! `capabilities`.
//!
//! ```no_run
//! # fn f() -> portico_sdk::Result<()> {
//! use portico_sdk::people;
//! // Everyone a task can be handed to.
//! for worker in people::holders("resolve")? {
//!     println!("{} ({})", worker.name, worker.user_id);
//! }
//! # Ok(()) }
//! ```

use crate::Result;
use crate::wit::portico::plugin0_3_0::people;

/// A user of the calling organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their id, as in [`Principal::user_id`](crate::Principal::user_id)
    /// and [`notify::To::User`](crate::notify::To::User).
    pub user_id: String,
    /// Their name.
    pub name: String,
}

/// The active users who hold `permission` (this module's, unqualified, as
/// the manifest names it) in the calling organization, by name.
/// Administrators, who hold every permission, are not listed.
pub fn holders(permission: &str) -> Result<Vec<Person>> {
    Ok(people::holders(permission)?
        .into_iter()
        .map(|p| Person {
            user_id: p.user_id,
            name: p.name,
        })
        .collect())
}
