//! What a person does for their own account without an administrator:
//! registering with an e-mail address they confirm, setting a new
//! password through an e-mailed link when they forgot theirs, changing
//! their name, changing their address (confirmed from the new address
//! before anything changes), and deleting the account.
//!
//! Each e-mailed link carries a random token the portal keeps only as its
//! SHA-256; it serves one purpose, once, until it expires. Neither answer
//! tells a stranger whether an address has an account: registering an
//! address that has one, or asking a new password for one that has none,
//! looks the same from outside (the caller sends what each case needs to
//! the address itself). Audited in the platform's chain, never with a
//! password or a token in it.

use sea_orm::ExprTrait as _;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryFilter, Set};

use super::passwords::{check_password_strength, hash_off_thread};
use super::users::{self, NewUser, User, UserKind, entity as user, platform_audit};
use super::{accounts, sessions};
use crate::{PlatformError, now_micros, random_token, sha256_hex};

/// How long a link that confirms an address is good for.
pub const CONFIRM_FOR: std::time::Duration = std::time::Duration::from_secs(48 * 3600);

/// How long a link that sets a new password is good for.
pub const RESET_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

mod link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub user_id: String,
        pub purpose: String,
        pub created_at_micros: i64,
        pub expires_at_micros: i64,
        pub used_at_micros: Option<i64>,
        /// What the link confirms besides the person: a new address.
        pub detail: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What an e-mailed link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms the address of an account its owner registered.
    Confirm,
    /// Sets a new password.
    Reset,
    /// Confirms a new address for an account (the link's `detail`).
    Email,
    /// Confirms a phone number for an account (the link's `detail`) by a
    /// code sent to it.
    Phone,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Purpose::Confirm => "confirm",
            Purpose::Reset => "reset",
            Purpose::Email => "email",
            Purpose::Phone => "phone",
        }
    }

    fn lasts(self) -> std::time::Duration {
        match self {
            Purpose::Confirm | Purpose::Email => CONFIRM_FOR,
            Purpose::Reset => RESET_FOR,
            Purpose::Phone => PHONE_CODE_FOR,
        }
    }
}

/// A new link for `user_id`; its token (to put in the e-mail).
async fn issue<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    purpose: Purpose,
    detail: Option<&str>,
) -> Result<String, PlatformError> {
    let token = random_token();
    keep_link(conn, &sha256_hex(&token), user_id, purpose, detail).await?;
    Ok(token)
}

/// Stores a link (or a code) for `purpose` as `hash`, working from now
/// for as long as the purpose lasts.
async fn keep_link<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
    user_id: &str,
    purpose: Purpose,
    detail: Option<&str>,
) -> Result<(), PlatformError> {
    let now = now_micros();
    link::ActiveModel {
        token_hash: Set(hash.to_owned()),
        user_id: Set(user_id.to_owned()),
        purpose: Set(purpose.name().to_owned()),
        created_at_micros: Set(now),
        expires_at_micros: Set(now + i64::try_from(purpose.lasts().as_micros()).unwrap_or(0)),
        used_at_micros: Set(None),
        detail: Set(detail.map(str::to_owned)),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Uses the link of `token` for `purpose`: the link, once, while it has
/// not expired; `None` for any other token.
async fn redeem<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purpose: Purpose,
) -> Result<Option<link::Model>, PlatformError> {
    redeem_hash(conn, &sha256_hex(token), purpose).await
}

/// Uses the link kept as `hash` for `purpose`, once, while it has not
/// expired.
async fn redeem_hash<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
    purpose: Purpose,
) -> Result<Option<link::Model>, PlatformError> {
    let hash = hash.to_owned();
    let now = now_micros();
    // One update decides: two uses at once cannot both find it unused.
    let used = link::Entity::update_many()
        .col_expr(link::Column::UsedAtMicros, Expr::value(now))
        .filter(link::Column::TokenHash.eq(&hash))
        .filter(link::Column::Purpose.eq(purpose.name()))
        .filter(link::Column::UsedAtMicros.is_null())
        .filter(link::Column::ExpiresAtMicros.gt(now))
        .exec(conn)
        .await?;
    if used.rows_affected != 1 {
        return Ok(None);
    }
    Ok(link::Entity::find_by_id(hash).one(conn).await?)
}

/// How long a code sent to a phone works.
pub const PHONE_CODE_FOR: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What a phone's code is kept as: its hash with the account's id, so
/// that two accounts' codes of six digits never meet.
fn phone_code_hash(user_id: &str, code: &str) -> String {
    sha256_hex(&format!("{user_id}:{code}"))
}

/// Asks to make `phone` (international form, already checked) the
/// account's phone: the code of six digits to send to it by text message.
/// Nothing changes until the code is typed back; earlier codes stop
/// working.
pub async fn request_phone_change(
    db: &DatabaseConnection,
    user_id: &str,
    phone: &str,
) -> Result<String, PlatformError> {
    if !changes_own_details(&own_account(db, user_id).await?) {
        return Err(PlatformError::Forbidden(
            "the account's details come from the identity provider".into(),
        ));
    }
    let mut bytes = [0u8; 4];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    let code = format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000);
    let txn = crate::begin_write(db).await?;
    forget_links(&txn, user_id, Purpose::Phone).await?;
    keep_link(
        &txn,
        &phone_code_hash(user_id, &code),
        user_id,
        Purpose::Phone,
        Some(phone),
    )
    .await?;
    txn.commit().await?;
    Ok(code)
}

/// The phone a code was sent to and not yet confirmed, if one was.
pub async fn phone_waiting(
    db: &DatabaseConnection,
    user_id: &str,
) -> Result<Option<String>, PlatformError> {
    Ok(link::Entity::find()
        .filter(link::Column::UserId.eq(user_id))
        .filter(link::Column::Purpose.eq(Purpose::Phone.name()))
        .filter(link::Column::UsedAtMicros.is_null())
        .filter(link::Column::ExpiresAtMicros.gt(now_micros()))
        .one(db)
        .await?
        .and_then(|l| l.detail))
}

/// Confirms the phone by the code sent to it: it becomes the account's
/// phone. The phone, or `None` for a code that is wrong, used or expired.
pub async fn confirm_phone(
    db: &DatabaseConnection,
    user_id: &str,
    code: &str,
) -> Result<Option<String>, PlatformError> {
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    let txn = crate::begin_write(db).await?;
    let hash = phone_code_hash(user_id, &code);
    let Some(link) = redeem_hash(&txn, &hash, Purpose::Phone).await? else {
        return Ok(None);
    };
    if link.user_id != user_id {
        return Ok(None);
    }
    let phone = link.detail.unwrap_or_default();
    touch(user_id)
        .col_expr(user::Column::Phone, Expr::value(&phone))
        .exec(&txn)
        .await?;
    platform_audit(
        &txn,
        user_id,
        "user.phone-change",
        user_id,
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(phone))
}

/// Removes the account's phone; nothing goes to it any more.
pub async fn remove_phone(db: &DatabaseConnection, user_id: &str) -> Result<(), PlatformError> {
    own_account(db, user_id).await?;
    let txn = crate::begin_write(db).await?;
    touch(user_id)
        .col_expr(user::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(user::Column::NotifySms, Expr::value(false))
        .exec(&txn)
        .await?;
    forget_links(&txn, user_id, Purpose::Phone).await?;
    platform_audit(
        &txn,
        user_id,
        "user.phone-removed",
        user_id,
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The accounts whose address is `email` (any case).
async fn with_email(db: &DatabaseConnection, email: &str) -> Result<Vec<User>, PlatformError> {
    Ok(user::Entity::find()
        .filter(Func::lower(Expr::col(user::Column::Email)).eq(email.to_lowercase()))
        .all(db)
        .await?
        .into_iter()
        .map(User::from)
        .collect())
}

/// What registering an address came to; each case is told to the address
/// by e-mail, and the person on the page is told the same in all three.
#[derive(Debug)]
pub enum Registration {
    /// A new account, inactive until the link is opened.
    Created(Box<User>, String),
    /// The address already registered and not yet confirmed: a new link.
    Unconfirmed(Box<User>, String),
    /// The address has an account already (no new one is made).
    Exists(Box<User>),
}

/// Registers a citizen's account named by its e-mail address, inactive
/// until the address is confirmed by the link whose token comes back. The
/// password meets the portal's rule (checked before anything is stored).
pub async fn register(
    db: &DatabaseConnection,
    email: &str,
    display_name: &str,
    password: &str,
) -> Result<Registration, PlatformError> {
    let email = email.trim().to_lowercase();
    if !users::is_plain_email(&email) {
        return Err(PlatformError::invalid("email", "is not an e-mail address"));
    }
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(PlatformError::invalid(
            "name",
            "must be 1 to 200 characters",
        ));
    }
    check_password_strength(password)?;
    if let Some(existing) = with_email(db, &email).await?.into_iter().next() {
        // Never confirmed (its link may have expired): a new link.
        if !existing.active && awaits_confirmation(db, &existing.id).await? {
            let token = issue(db, &existing.id, Purpose::Confirm, None).await?;
            return Ok(Registration::Unconfirmed(Box::new(existing), token));
        }
        return Ok(Registration::Exists(Box::new(existing)));
    }
    let mut new = NewUser::local(&email, display_name, UserKind::Citizen, password);
    new.email = Some(email.clone());
    new.active = false;
    new.check()?;
    let hash = hash_off_thread(password.to_owned()).await?;
    // The account and its link together: never an account nobody can confirm.
    let txn = crate::begin_write(db).await?;
    let created = match users::create_in(&txn, "self-registration", &new, Some(hash)).await {
        Ok(u) => u,
        // An account whose user name is this address.
        Err(PlatformError::Conflict(_)) => {
            drop(txn);
            let existing = users::by_username(db, &email)
                .await?
                .ok_or_else(|| PlatformError::Conflict("the account changed".into()))?;
            return Ok(Registration::Exists(Box::new(existing)));
        }
        Err(e) => return Err(e),
    };
    let token = issue(&txn, &created.id, Purpose::Confirm, None).await?;
    txn.commit().await?;
    Ok(Registration::Created(Box::new(created), token))
}

/// Whether `user_id` registered themselves and never confirmed the
/// address: a confirmation link was sent and none was ever used (an
/// account an administrator deactivated is not one).
pub async fn awaits_confirmation<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<bool, PlatformError> {
    let links = link::Entity::find()
        .filter(link::Column::UserId.eq(user_id))
        .filter(link::Column::Purpose.eq(Purpose::Confirm.name()))
        .all(conn)
        .await?;
    Ok(!links.is_empty() && links.iter().all(|l| l.used_at_micros.is_none()))
}

/// Confirms the address of a registered account by its link's token: the
/// account becomes active, and messages to it go to the address too. `None` for a token that is unknown, used or
/// expired.
pub async fn confirm(db: &DatabaseConnection, token: &str) -> Result<Option<User>, PlatformError> {
    let txn = crate::begin_write(db).await?;
    let Some(user_id) = redeem(&txn, token, Purpose::Confirm)
        .await?
        .map(|l| l.user_id)
    else {
        return Ok(None);
    };
    // The address is proven to reach them: messages go there too.
    touch(&user_id)
        .col_expr(user::Column::Active, Expr::value(true))
        .col_expr(user::Column::NotifyEmail, Expr::value(true))
        .exec(&txn)
        .await?;
    platform_audit(
        &txn,
        &user_id,
        "user.confirm",
        &user_id,
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    users::get(db, &user_id).await
}

/// Links that set a new password, one for each active local account with
/// a password whose address is `email`; none when there is none (the
/// caller answers the same either way).
pub async fn request_reset(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Vec<(User, String)>, PlatformError> {
    let mut links = Vec::new();
    for account in with_email(db, email.trim()).await? {
        if account.active && account.has_password {
            let token = issue(db, &account.id, Purpose::Reset, None).await?;
            links.push((account, token));
        }
    }
    Ok(links)
}

/// Whether `token` is a link that would still set a new password (to show
/// its form, or say it is no longer good, before anything is typed).
pub async fn reset_is_open(db: &DatabaseConnection, token: &str) -> Result<bool, PlatformError> {
    Ok(link::Entity::find_by_id(sha256_hex(token))
        .one(db)
        .await?
        .is_some_and(|l| {
            l.purpose == Purpose::Reset.name()
                && l.used_at_micros.is_none()
                && l.expires_at_micros > now_micros()
        }))
}

/// Sets a new password through the link of `token`: the password is
/// checked first (a weak one leaves the link as it was), then the link is
/// used, the password set, the lock-out cleared and every session of the
/// account ended. `None` for a link that is unknown, used or expired.
pub async fn reset_password(
    db: &DatabaseConnection,
    token: &str,
    new_password: &str,
    from: &str,
) -> Result<Option<User>, PlatformError> {
    check_password_strength(new_password)?;
    let hash = hash_off_thread(new_password.to_owned()).await?;
    let txn = crate::begin_write(db).await?;
    let Some(user_id) = redeem(&txn, token, Purpose::Reset)
        .await?
        .map(|l| l.user_id)
    else {
        return Ok(None);
    };
    accounts::set_password_in(&txn, &user_id, hash).await?;
    let ended = sessions::end_all_in(&txn, &user_id).await?;
    platform_audit(
        &txn,
        &user_id,
        "user.password-reset",
        &user_id,
        serde_json::json!({ "from": from, "sessions_ended": ended }),
    )
    .await?;
    txn.commit().await?;
    users::get(db, &user_id).await
}

/// The longest name a person may give themselves.
const MAX_NAME_CHARS: usize = 200;

/// Changes the name a person goes by on the portal (their own, at once).
pub async fn change_name(
    db: &DatabaseConnection,
    user_id: &str,
    name: &str,
) -> Result<(), PlatformError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(PlatformError::invalid(
            "name",
            "must be 1 to 200 characters",
        ));
    }
    if !changes_own_details(&own_account(db, user_id).await?) {
        return Err(PlatformError::Forbidden(
            "the name comes from the identity provider".into(),
        ));
    }
    let txn = crate::begin_write(db).await?;
    touch(user_id)
        .col_expr(user::Column::DisplayName, Expr::value(name))
        .exec(&txn)
        .await?;
    platform_audit(&txn, user_id, "user.rename", user_id, serde_json::json!({})).await?;
    txn.commit().await?;
    Ok(())
}

/// An update of `user_id` that counts as a change of the account.
fn touch(user_id: &str) -> sea_orm::UpdateMany<user::Entity> {
    user::Entity::update_many()
        .col_expr(
            user::Column::Version,
            Expr::col(user::Column::Version).add(1),
        )
        .col_expr(user::Column::UpdatedAtMicros, Expr::value(now_micros()))
        .filter(user::Column::Id.eq(user_id))
}

/// What asking for a new address came to: either way the person is told
/// to look in the new mailbox, which is told what it needs.
#[derive(Debug)]
pub enum EmailChange {
    /// A link to the new address; opened, the address becomes the account's.
    Link(String),
    /// Another account has the address: its owner is told, nothing changes.
    Taken,
}

/// Asks to change the account's address to `new_email`: nothing changes
/// until the link sent there is opened.
pub async fn request_email_change(
    db: &DatabaseConnection,
    user_id: &str,
    new_email: &str,
) -> Result<EmailChange, PlatformError> {
    let email = new_email.trim().to_lowercase();
    if !users::is_plain_email(&email) {
        return Err(PlatformError::invalid("email", "is not an e-mail address"));
    }
    if !changes_own_details(&own_account(db, user_id).await?) {
        return Err(PlatformError::Forbidden(
            "the address comes from the identity provider".into(),
        ));
    }
    let taken_by_name = users::by_username(db, &email)
        .await?
        .is_some_and(|u| u.id != user_id);
    if taken_by_name
        || with_email(db, &email)
            .await?
            .iter()
            .any(|u| u.id != user_id)
    {
        return Ok(EmailChange::Taken);
    }
    // Only the newest request counts: earlier links stop working.
    let txn = crate::begin_write(db).await?;
    forget_links(&txn, user_id, Purpose::Email).await?;
    let token = issue(&txn, user_id, Purpose::Email, Some(&email)).await?;
    txn.commit().await?;
    Ok(EmailChange::Link(token))
}

/// Confirms a new address by its link: it becomes the account's address
/// (and its user name, where the user name was the old address, as for
/// an account its owner registered), and the account's open links to set
/// a password stop working. The account, and the address it had before
/// (to be told). `None` for a link that is unknown, used or expired; a
/// conflict when another account took the address meanwhile.
pub async fn confirm_email(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<(User, Option<String>)>, PlatformError> {
    let txn = crate::begin_write(db).await?;
    let Some(link) = redeem(&txn, token, Purpose::Email).await? else {
        return Ok(None);
    };
    let email = link.detail.unwrap_or_default();
    let Some(account) = users::get(&txn, &link.user_id).await? else {
        return Ok(None);
    };
    let taken = user::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(Func::lower(Expr::col(user::Column::Email)).eq(email.clone()))
                .add(user::Column::Username.eq(email.clone())),
        )
        .filter(user::Column::Id.ne(&account.id))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        return Err(PlatformError::Conflict(
            "another account has this address".into(),
        ));
    }
    let mut update = touch(&account.id).col_expr(user::Column::Email, Expr::value(&email));
    if account
        .email
        .as_deref()
        .is_some_and(|old| old.eq_ignore_ascii_case(&account.username))
    {
        update = update.col_expr(user::Column::Username, Expr::value(&email));
    }
    update.exec(&txn).await?;
    forget_links(&txn, &account.id, Purpose::Reset).await?;
    platform_audit(
        &txn,
        &account.id,
        "user.email-change",
        &account.id,
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(users::get(db, &account.id)
        .await?
        .map(|u| (u, account.email.clone())))
}

/// Deletes the account's unused links for `purpose`.
async fn forget_links<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    purpose: Purpose,
) -> Result<(), PlatformError> {
    link::Entity::delete_many()
        .filter(link::Column::UserId.eq(user_id))
        .filter(link::Column::Purpose.eq(purpose.name()))
        .filter(link::Column::UsedAtMicros.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// The account, if it is a citizen's: a staff account is the
/// organization's (its address comes from the identity management, and
/// an administrator deletes it).
async fn own_account(db: &DatabaseConnection, user_id: &str) -> Result<User, PlatformError> {
    let account = users::get(db, user_id)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{user_id}`")))?;
    if account.kind != UserKind::Citizen {
        return Err(PlatformError::Forbidden(
            "a staff account is changed by the organization's administrators".into(),
        ));
    }
    Ok(account)
}

/// Whether the person changes their name and address on the portal: a
/// citizen's account not linked to an identity provider, which gives
/// both anew at every log-in.
pub fn changes_own_details(account: &User) -> bool {
    account.kind == UserKind::Citizen && account.issuer.is_none()
}

/// Deletes a citizen's account at their request: what identifies them in
/// the account is erased (name, addresses, identity provider's keys,
/// password, verified claims), their sessions, links, roles, groups and
/// inbox go, and the account stays only as an inactive id shown as `—`,
/// so that the records the law requires an office to keep (the audit
/// chains, the cases modules filed, with what the person wrote in them)
/// still name who acted. The caller checked that the person asked (their
/// password, where the account has one).
pub async fn delete_account(db: &DatabaseConnection, user_id: &str) -> Result<(), PlatformError> {
    own_account(db, user_id).await?;
    let txn = crate::begin_write(db).await?;
    let gone = format!("deleted-{user_id}");
    touch(user_id)
        .col_expr(user::Column::Username, Expr::value(&gone))
        .col_expr(user::Column::DisplayName, Expr::value("—"))
        .col_expr(user::Column::GivenName, Expr::value(Option::<String>::None))
        .col_expr(
            user::Column::FamilyName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(user::Column::Emails, Expr::value(Option::<String>::None))
        .col_expr(
            user::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::Active, Expr::value(false))
        .col_expr(
            user::Column::ExternalId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::Issuer, Expr::value(Option::<String>::None))
        .col_expr(user::Column::Subject, Expr::value(Option::<String>::None))
        .col_expr(user::Column::Claims, Expr::value("{}"))
        .col_expr(user::Column::NotifyEmail, Expr::value(false))
        .col_expr(user::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(user::Column::NotifySms, Expr::value(false))
        .exec(&txn)
        .await?;
    let ended = sessions::end_all_in(&txn, user_id).await?;
    link::Entity::delete_many()
        .filter(link::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    super::roles::forget_user(&txn, user_id).await?;
    crate::notifications::forget_inbox_of(&txn, user_id).await?;
    platform_audit(
        &txn,
        user_id,
        "user.delete",
        user_id,
        serde_json::json!({ "sessions_ended": ended }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
