//! Passwords: the rule a new one must meet, and argon2id hashing (slow on
//! purpose, so done off the async threads). Below the account store,
//! which hashes a new account's password, and the log-in check, which
//! verifies one; no password is ever stored or logged as typed.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::PlatformError;

/// The shortest password a local account may have.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Refuses a password shorter than [`MIN_PASSWORD_CHARS`] or longer than
/// 1024 bytes.
pub fn check_password_strength(p: &str) -> Result<(), PlatformError> {
    if p.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PlatformError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if p.len() > 1024 {
        return Err(PlatformError::invalid(
            "password",
            "must be at most 1024 bytes",
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id (OWASP's parameters, a fresh salt).
/// Slow on purpose: call it off the async threads.
pub fn hash_password(password: &str) -> Result<String, PlatformError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PlatformError::Corrupt(format!("cannot hash a password: {e}")))
}

/// Whether `password` matches `hash` (slow on purpose).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// [`hash_password`] on a blocking thread, so the async threads go on.
pub(super) async fn hash_off_thread(password: String) -> Result<String, PlatformError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| PlatformError::Corrupt(format!("password hashing stopped: {e}")))?
}
