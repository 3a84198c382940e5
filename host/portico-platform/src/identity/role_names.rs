//! The names of roles: the two the host defines, the shape of a module's
//! (`<module>.<role>`), and the organization a platform-wide grant is
//! recorded under. Below `groups` and `roles`, which both check names
//! (a group may stand for a role); `roles` re-exports all of it, so
//! callers name `roles::PLATFORM_ADMIN`.

use crate::PlatformError;

/// Administers the whole portal; granted in every organization at once.
pub const PLATFORM_ADMIN: &str = "platform-admin";

/// Administers one organization: its modules, settings and people's roles.
pub const ORG_ADMIN: &str = "org-admin";

/// The organization a platform-wide grant is recorded under.
pub const EVERY_ORG: &str = "*";

/// Checks the shape of a role's name: `platform-admin`, `org-admin` or
/// `<module>.<role>`. Whether a module declares the role is the caller's
/// check (the platform does not read manifests).
pub fn check_role_name(role: &str) -> Result<(), PlatformError> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 64
            && p.starts_with(|c: char| c.is_ascii_lowercase())
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let ok = role == PLATFORM_ADMIN
        || role == ORG_ADMIN
        || role
            .split_once('.')
            .is_some_and(|(m, r)| part_ok(m) && part_ok(r));
    if ok {
        Ok(())
    } else {
        Err(PlatformError::invalid(
            "role",
            format!(
                "`{role}` is not a role: use `platform-admin`, `org-admin` or `<module>.<role>`"
            ),
        ))
    }
}
