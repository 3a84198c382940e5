//! People: local accounts (argon2id passwords, for small deployments and
//! the demo), accounts from an identity provider (staff IDM, national eID)
//! and accounts provisioned by SCIM. Failed log-ins lock an account for a
//! while; every account change and every lock-out is audited in the
//! platform's chain, never with a password in it.

use std::collections::BTreeMap;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, PLATFORM_CHAIN};
use crate::{PlatformError, now_micros};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub username: String,
        pub display_name: String,
        pub given_name: Option<String>,
        pub family_name: Option<String>,
        pub email: Option<String>,
        pub emails: Option<String>,
        pub kind: String,
        pub password_hash: Option<String>,
        pub active: bool,
        pub external_id: Option<String>,
        pub issuer: Option<String>,
        pub subject: Option<String>,
        pub assurance: String,
        pub claims: String,
        pub failed_logins: i32,
        pub locked_until_micros: Option<i64>,
        pub version: i64,
        pub created_at_micros: i64,
        pub updated_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Failed log-ins in a row after which an account is locked.
pub const MAX_FAILED_LOGINS: i32 = 5;

/// How long a locked account stays locked.
pub const LOCK_FOR: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The shortest password a local account may have.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Staff of an organization, or a citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserKind {
    /// An official or employee: may hold roles in organizations.
    Staff,
    /// A citizen: sees public pages and their own affairs, holds no roles.
    Citizen,
}

impl UserKind {
    /// The kind's name as stored and typed.
    pub fn name(self) -> &'static str {
        match self {
            UserKind::Staff => "staff",
            UserKind::Citizen => "citizen",
        }
    }

    /// Parses a kind's name.
    pub fn parse(s: &str) -> Option<UserKind> {
        [UserKind::Staff, UserKind::Citizen]
            .into_iter()
            .find(|k| k.name() == s)
    }
}

/// How strongly an identity was verified (eIDAS levels of assurance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Assurance {
    /// Nobody logged in.
    Anonymous,
    /// A registered account (a local password).
    Registered,
    /// eIDAS substantial.
    Substantial,
    /// eIDAS high.
    High,
}

impl Assurance {
    /// The level's name as stored.
    pub fn name(self) -> &'static str {
        match self {
            Assurance::Anonymous => "anonymous",
            Assurance::Registered => "registered",
            Assurance::Substantial => "substantial",
            Assurance::High => "high",
        }
    }

    /// Parses a level's name.
    pub fn parse(s: &str) -> Option<Assurance> {
        [
            Assurance::Anonymous,
            Assurance::Registered,
            Assurance::Substantial,
            Assurance::High,
        ]
        .into_iter()
        .find(|a| a.name() == s)
    }
}

/// One of a user's e-mail addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The address.
    pub value: String,
    /// What kind of address it is (`work`, `home`, `other`), if told.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether it is the address to write to.
    #[serde(default)]
    pub primary: bool,
}

fn check_email(field: &str, email: &str) -> Result<(), PlatformError> {
    if email.len() > 320 || !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(PlatformError::invalid(
            field,
            format!("`{email}` is not an e-mail address"),
        ));
    }
    Ok(())
}

/// A user, as the rest of Portico sees one (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Stable identifier.
    pub id: String,
    /// The name to log in with (unique).
    pub username: String,
    /// The name shown, as set (empty when none was given: see [`User::shown_name`]).
    pub display_name: String,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// The e-mail address notifications go to (the primary one).
    pub email: Option<String>,
    /// Every e-mail address, as provisioned.
    pub emails: Vec<Email>,
    /// Staff or citizen.
    pub kind: UserKind,
    /// Whether the account may log in.
    pub active: bool,
    /// The identifier the provisioning system knows it by (SCIM `externalId`).
    pub external_id: Option<String>,
    /// The identity provider that vouches for it, if any.
    pub issuer: Option<String>,
    /// The level of assurance of its last verified identity.
    pub assurance: Assurance,
    /// Verified claims of its identity provider (name, birth date, address…).
    pub claims: BTreeMap<String, String>,
    /// Whether a local password is set.
    pub has_password: bool,
    /// Locked after failed log-ins until this time (µs since the epoch).
    pub locked_until_micros: Option<i64>,
    /// Raised by every change (SCIM's `meta.version`).
    pub version: i64,
    /// When it was created (µs since the epoch).
    pub created_at_micros: i64,
    /// When it last changed (µs since the epoch).
    pub updated_at_micros: i64,
}

impl User {
    /// Its profile as a change that keeps everything as it is (no new
    /// password), to alter a field or two and pass to [`update`].
    pub fn profile(&self) -> NewUser {
        NewUser {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            email: self.email.clone(),
            emails: self.emails.clone(),
            kind: self.kind,
            password: None,
            active: self.active,
            external_id: self.external_id.clone(),
            identity: None,
            assurance: self.assurance,
            claims: self.claims.clone(),
        }
    }

    /// The name to show: the display name, or the user name without one.
    pub fn shown_name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.username
        } else {
            &self.display_name
        }
    }
}

impl From<entity::Model> for User {
    fn from(m: entity::Model) -> Self {
        let emails = match (&m.emails, &m.email) {
            (Some(list), _) => serde_json::from_str(list).unwrap_or_default(),
            (None, Some(email)) => vec![Email {
                value: email.clone(),
                kind: None,
                primary: true,
            }],
            (None, None) => Vec::new(),
        };
        User {
            emails,
            kind: UserKind::parse(&m.kind).unwrap_or(UserKind::Citizen),
            assurance: Assurance::parse(&m.assurance).unwrap_or(Assurance::Registered),
            claims: serde_json::from_str(&m.claims).unwrap_or_default(),
            has_password: m.password_hash.is_some(),
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            given_name: m.given_name,
            family_name: m.family_name,
            email: m.email,
            active: m.active,
            external_id: m.external_id,
            issuer: m.issuer,
            locked_until_micros: m.locked_until_micros,
            version: m.version,
            created_at_micros: m.created_at_micros,
            updated_at_micros: m.updated_at_micros,
        }
    }
}

/// What is needed to create a user; also what a change sets.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The name to log in with: 1 to 200 characters, no spaces.
    pub username: String,
    /// The name shown (none when empty).
    pub display_name: String,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// The e-mail address to write to; taken from `emails` when that is
    /// not empty.
    pub email: Option<String>,
    /// Every e-mail address (at most one primary).
    pub emails: Vec<Email>,
    /// Staff or citizen.
    pub kind: UserKind,
    /// A local password (hashed with argon2id; never stored or logged as is).
    pub password: Option<String>,
    /// Whether the account may log in.
    pub active: bool,
    /// The provisioning system's identifier.
    pub external_id: Option<String>,
    /// The identity provider and its subject identifier.
    pub identity: Option<(String, String)>,
    /// The level of assurance.
    pub assurance: Assurance,
    /// Verified claims.
    pub claims: BTreeMap<String, String>,
}

impl NewUser {
    /// A local account with a password.
    pub fn local(username: &str, display_name: &str, kind: UserKind, password: &str) -> NewUser {
        NewUser {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            given_name: None,
            family_name: None,
            email: None,
            emails: Vec::new(),
            kind,
            password: Some(password.to_owned()),
            active: true,
            external_id: None,
            identity: None,
            assurance: Assurance::Registered,
            claims: BTreeMap::new(),
        }
    }

    fn check(&mut self) -> Result<(), PlatformError> {
        self.username = self.username.trim().to_owned();
        if self.username.is_empty()
            || self.username.chars().count() > 200
            || self
                .username
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(PlatformError::invalid(
                "username",
                "must be 1 to 200 characters without spaces",
            ));
        }
        self.display_name = self.display_name.trim().to_owned();
        if self.display_name.chars().count() > 200 {
            return Err(PlatformError::invalid(
                "displayName",
                "must be at most 200 characters",
            ));
        }
        for name in [&self.given_name, &self.family_name].into_iter().flatten() {
            if name.chars().count() > 200 {
                return Err(PlatformError::invalid(
                    "name",
                    "given and family names must be at most 200 characters",
                ));
            }
        }
        if self.emails.len() > 20 {
            return Err(PlatformError::invalid("emails", "at most 20 addresses"));
        }
        for e in &self.emails {
            check_email("emails", &e.value)?;
        }
        if self.emails.iter().filter(|e| e.primary).count() > 1 {
            return Err(PlatformError::invalid(
                "emails",
                "at most one address may be primary",
            ));
        }
        if !self.emails.is_empty() {
            let to = self
                .emails
                .iter()
                .find(|e| e.primary)
                .unwrap_or(&self.emails[0]);
            self.email = Some(to.value.clone());
        }
        if let Some(email) = &self.email {
            check_email("email", email)?;
        }
        if let Some(p) = &self.password {
            check_password_strength(p)?;
        }
        Ok(())
    }
}

fn check_password_strength(p: &str) -> Result<(), PlatformError> {
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

async fn hash_off_thread(password: String) -> Result<String, PlatformError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| PlatformError::Corrupt(format!("password hashing stopped: {e}")))?
}

fn emails_column(emails: &[Email]) -> Option<String> {
    (!emails.is_empty()).then(|| serde_json::to_string(emails).unwrap_or_else(|_| "[]".into()))
}

/// Creates a user (audited in the platform chain as `user.create`).
pub async fn create(
    db: &DatabaseConnection,
    actor: &str,
    mut new: NewUser,
) -> Result<User, PlatformError> {
    new.check()?;
    let hash = match new.password.take() {
        Some(p) => Some(hash_off_thread(p).await?),
        None => None,
    };
    let txn = crate::begin_write(db).await?;
    if by_username(&txn, &new.username).await?.is_some() {
        return Err(PlatformError::Conflict(format!(
            "a user `{}` exists already",
            new.username
        )));
    }
    let now = now_micros();
    let (issuer, subject) = new.identity.clone().unzip();
    let model = entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        username: Set(new.username.clone()),
        display_name: Set(new.display_name.clone()),
        given_name: Set(new.given_name.clone()),
        family_name: Set(new.family_name.clone()),
        email: Set(new.email.clone()),
        emails: Set(emails_column(&new.emails)),
        kind: Set(new.kind.name().to_owned()),
        password_hash: Set(hash),
        active: Set(new.active),
        external_id: Set(new.external_id.clone()),
        issuer: Set(issuer),
        subject: Set(subject),
        assurance: Set(new.assurance.name().to_owned()),
        claims: Set(serde_json::to_string(&new.claims).unwrap_or_else(|_| "{}".into())),
        failed_logins: Set(0),
        locked_until_micros: Set(None),
        version: Set(1),
        created_at_micros: Set(now),
        updated_at_micros: Set(now),
    }
    .insert(&txn)
    .await?;
    platform_audit(
        &txn,
        actor,
        "user.create",
        &model.id,
        serde_json::json!({ "username": model.username, "kind": model.kind }),
    )
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// Changes a user's profile (everything [`NewUser`] holds but the
/// password, which is kept unless one is given). Deactivating ends the
/// user's sessions. Audited as `user.update`.
pub async fn update(
    db: &DatabaseConnection,
    actor: &str,
    id: &str,
    mut new: NewUser,
) -> Result<User, PlatformError> {
    new.check()?;
    let hash = match new.password.take() {
        Some(p) => Some(hash_off_thread(p).await?),
        None => None,
    };
    let txn = crate::begin_write(db).await?;
    let current = entity::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{id}`")))?;
    if current.username != new.username && by_username(&txn, &new.username).await?.is_some() {
        return Err(PlatformError::Conflict(format!(
            "a user `{}` exists already",
            new.username
        )));
    }
    let deactivated = current.active && !new.active;
    let password_changed = hash.is_some();
    let version = current.version + 1;
    let mut m: entity::ActiveModel = current.into();
    m.username = Set(new.username.clone());
    m.display_name = Set(new.display_name);
    m.given_name = Set(new.given_name);
    m.family_name = Set(new.family_name);
    m.email = Set(new.email);
    m.emails = Set(emails_column(&new.emails));
    m.active = Set(new.active);
    m.external_id = Set(new.external_id);
    if let Some(hash) = hash {
        m.password_hash = Set(Some(hash));
    }
    m.version = Set(version);
    m.updated_at_micros = Set(now_micros());
    let model = m.update(&txn).await?;
    // Whoever knew the old password may hold a session: a new password
    // ends them all, as deactivating does.
    if deactivated || password_changed {
        super::sessions::end_all_in(&txn, id).await?;
    }
    platform_audit(
        &txn,
        actor,
        "user.update",
        id,
        serde_json::json!({
            "username": model.username,
            "active": model.active,
            "password_changed": password_changed,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// Deletes a user with their sessions, roles and group memberships.
/// Audited as `user.delete`.
pub async fn delete(db: &DatabaseConnection, actor: &str, id: &str) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let user = entity::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{id}`")))?;
    super::sessions::end_all_in(&txn, id).await?;
    super::roles::forget_user(&txn, id).await?;
    entity::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    platform_audit(
        &txn,
        actor,
        "user.delete",
        id,
        serde_json::json!({ "username": user.username }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A user by id.
pub async fn get<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<User>, PlatformError> {
    Ok(entity::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .map(Into::into))
}

/// A user by the name they log in with.
pub async fn by_username<C: ConnectionTrait>(
    db: &C,
    username: &str,
) -> Result<Option<User>, PlatformError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::Username.eq(username))
        .one(db)
        .await?
        .map(Into::into))
}

/// The user an identity provider knows as `subject`.
pub async fn by_identity(
    db: &DatabaseConnection,
    issuer: &str,
    subject: &str,
) -> Result<Option<User>, PlatformError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::Issuer.eq(issuer))
        .filter(entity::Column::Subject.eq(subject))
        .one(db)
        .await?
        .map(Into::into))
}

/// The user an identity management system provisioned as `external_id`
/// (SCIM `externalId`).
pub async fn by_external_id(
    db: &DatabaseConnection,
    external_id: &str,
) -> Result<Option<User>, PlatformError> {
    // An `externalId` two accounts share names neither of them.
    let mut found = entity::Entity::find()
        .filter(entity::Column::ExternalId.eq(external_id))
        .limit(2)
        .all(db)
        .await?;
    Ok(match found.len() {
        1 => found.pop().map(Into::into),
        _ => None,
    })
}

/// The account of a person an identity provider (`provider`, known by its
/// `issuer`) verified as `subject`.
///
/// An outside identity is keyed by issuer and subject only: names the
/// provider asserts (`preferred_username`) are not unique and are never
/// used to find an account. The account linked to the identity is found
/// first. For staff, an account the IDM provisioned for exactly this
/// person (its `externalId` is the subject) is linked at the first log-in,
/// but never one that has a local password or a platform-wide role, nor
/// one linked to another identity. Anyone else gets a new account named
/// `<provider>:<subject>`, in the provider's own name space.
pub async fn account_for_identity(
    db: &DatabaseConnection,
    provider: &str,
    issuer: &str,
    subject: &str,
    mut profile: NewUser,
) -> Result<User, PlatformError> {
    if let Some(u) = by_identity(db, issuer, subject).await? {
        return record_identity(db, &u.id, (issuer, subject), &profile).await;
    }
    if profile.kind == UserKind::Staff
        && let Some(u) = by_external_id(db, subject).await?
        && u.kind == UserKind::Staff
        && u.issuer.is_none()
        && !u.has_password
        && super::roles::roles_in(db, &u.id, super::roles::EVERY_ORG)
            .await?
            .is_empty()
    {
        return record_identity(db, &u.id, (issuer, subject), &profile).await;
    }
    profile.username = format!("{provider}:{subject}");
    profile.external_id = None;
    profile.password = None;
    let mut suffix = 1;
    while by_username(db, &profile.username).await?.is_some() {
        // A local account took the name first; the identity still gets an
        // account of its own.
        suffix += 1;
        profile.username = format!("{provider}:{subject}:{suffix}");
    }
    create(db, &format!("oidc:{provider}"), profile).await
}

/// The users of one kind, by user name.
pub async fn list_of_kind(
    db: &DatabaseConnection,
    kind: UserKind,
) -> Result<Vec<User>, PlatformError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::Kind.eq(kind.name()))
        .order_by_asc(entity::Column::Username)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Every user, by user name.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<User>, PlatformError> {
    Ok(entity::Entity::find()
        .order_by_asc(entity::Column::Username)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Records what an identity provider verified at a log-in: links the
/// account to the provider's subject, and keeps the latest claims, names
/// and level of assurance.
pub async fn record_identity(
    db: &DatabaseConnection,
    id: &str,
    identity: (&str, &str),
    verified: &NewUser,
) -> Result<User, PlatformError> {
    let txn = crate::begin_write(db).await?;
    let current = entity::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{id}`")))?;
    let version = current.version + 1;
    let mut m: entity::ActiveModel = current.into();
    m.issuer = Set(Some(identity.0.to_owned()));
    m.subject = Set(Some(identity.1.to_owned()));
    m.display_name = Set(verified.display_name.clone());
    if verified.given_name.is_some() {
        m.given_name = Set(verified.given_name.clone());
    }
    if verified.family_name.is_some() {
        m.family_name = Set(verified.family_name.clone());
    }
    if verified.email.is_some() {
        m.email = Set(verified.email.clone());
    }
    m.assurance = Set(verified.assurance.name().to_owned());
    m.claims = Set(serde_json::to_string(&verified.claims).unwrap_or_else(|_| "{}".into()));
    m.version = Set(version);
    m.updated_at_micros = Set(now_micros());
    let model = m.update(&txn).await?;
    txn.commit().await?;
    Ok(model.into())
}

/// What a log-in with a password came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password matches.
    Accepted(Box<User>),
    /// Unknown user or wrong password (the caller says which to nobody).
    Refused,
    /// Too many failed log-ins; locked until this time (µs since the epoch).
    Locked(i64),
    /// The account is deactivated.
    Inactive,
}

/// A hash to verify against when the user does not exist, so that an
/// unknown name takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing").unwrap_or_default())
}

/// Failed log-ins under names that belong to nobody, counted like an
/// account's so that the answers to a guesser are the same for both: the
/// lock-out shows for an unknown name exactly as for a real one. Per name:
/// failures in a row, when the last was, and until when it is "locked".
type UnknownNames = std::collections::HashMap<String, (i32, i64, Option<i64>)>;

fn unknown_names() -> &'static std::sync::Mutex<UnknownNames> {
    static UNKNOWN: std::sync::OnceLock<std::sync::Mutex<UnknownNames>> =
        std::sync::OnceLock::new();
    UNKNOWN.get_or_init(Default::default)
}

fn lock_micros() -> i64 {
    i64::try_from(LOCK_FOR.as_micros()).unwrap_or(i64::MAX)
}

/// Counts a failure under an unknown name; `Some(until)` once it locks.
fn unknown_name_failed(username: &str, now: i64) -> Option<i64> {
    let mut names = unknown_names().lock().unwrap_or_else(|p| p.into_inner());
    if names.len() > 100_000 {
        // Forget what has expired; under a flood of names, forget all.
        names.retain(|_, (_, last, _)| now - *last < lock_micros());
        if names.len() > 100_000 {
            names.clear();
        }
    }
    let entry = names
        .entry(username.to_lowercase())
        .or_insert((0, now, None));
    entry.0 += 1;
    entry.1 = now;
    if entry.0 >= MAX_FAILED_LOGINS {
        entry.2 = Some(now + lock_micros());
    }
    entry.2
}

fn unknown_name_locked(username: &str, now: i64) -> Option<i64> {
    let names = unknown_names().lock().unwrap_or_else(|p| p.into_inner());
    names
        .get(&username.to_lowercase())
        .and_then(|(_, _, until)| *until)
        .filter(|until| *until > now)
}

/// Checks a log-in with a password. Failures count towards a lock-out;
/// a failure and a lock-out are audited in the platform chain with the
/// client's address (`from`), never the password.
///
/// The attempt is counted before the password is checked, in one atomic
/// update that also refuses a locked account, so simultaneous guesses
/// cannot all be checked: at most [`MAX_FAILED_LOGINS`] are, then the
/// account is locked. A right password clears the count.
pub async fn check_password(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    from: &str,
) -> Result<PasswordCheck, PlatformError> {
    let username = username.trim();
    let user = entity::Entity::find()
        .filter(entity::Column::Username.eq(username))
        .one(db)
        .await?;
    let now = now_micros();
    let Some(user) = user else {
        if let Some(until) = unknown_name_locked(username, now) {
            return Ok(PasswordCheck::Locked(until));
        }
        // As long as a wrong password takes.
        let password = password.to_owned();
        let _ = tokio::task::spawn_blocking(move || verify_password(decoy_hash(), &password)).await;
        let txn = crate::begin_write(db).await?;
        platform_audit(
            &txn,
            "anonymous",
            "user.login-failed",
            "",
            serde_json::json!({ "username": truncate(username, 200), "from": from, "reason": "unknown user" }),
        )
        .await?;
        txn.commit().await?;
        return Ok(match unknown_name_failed(username, now) {
            Some(until) => PasswordCheck::Locked(until),
            None => PasswordCheck::Refused,
        });
    };
    // Count this attempt, and lock at the last one allowed, unless the
    // account is locked already: one statement, so concurrent attempts
    // see each other's counts.
    let failures = Expr::col(entity::Column::FailedLogins).add(1);
    let counted = entity::Entity::update_many()
        .col_expr(entity::Column::FailedLogins, failures.clone())
        .col_expr(
            entity::Column::LockedUntilMicros,
            Expr::case(
                failures.gte(MAX_FAILED_LOGINS),
                Expr::value(now + lock_micros()),
            )
            .finally(Expr::value(Option::<i64>::None))
            .into(),
        )
        .filter(entity::Column::Id.eq(&user.id))
        .filter(
            entity::Column::LockedUntilMicros
                .is_null()
                .or(entity::Column::LockedUntilMicros.lte(now)),
        )
        .exec(db)
        .await?;
    if counted.rows_affected == 0 {
        let until = entity::Entity::find_by_id(user.id.clone())
            .one(db)
            .await?
            .and_then(|u| u.locked_until_micros)
            .unwrap_or(now + lock_micros());
        return Ok(PasswordCheck::Locked(until));
    }
    let hash = user
        .password_hash
        .clone()
        .unwrap_or_else(|| decoy_hash().to_owned());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    if matches && user.password_hash.is_some() {
        entity::Entity::update_many()
            .col_expr(entity::Column::FailedLogins, Expr::value(0))
            .col_expr(
                entity::Column::LockedUntilMicros,
                Expr::value(Option::<i64>::None),
            )
            .filter(entity::Column::Id.eq(&user.id))
            .exec(db)
            .await?;
        if !user.active {
            return Ok(PasswordCheck::Inactive);
        }
        return Ok(PasswordCheck::Accepted(Box::new(user.into())));
    }
    let now_row = entity::Entity::find_by_id(user.id.clone()).one(db).await?;
    let failed = now_row.as_ref().map_or(1, |u| u.failed_logins);
    let locked_until = now_row
        .and_then(|u| u.locked_until_micros)
        .filter(|t| *t > now);
    let txn = crate::begin_write(db).await?;
    platform_audit(
        &txn,
        "anonymous",
        "user.login-failed",
        &user.id,
        serde_json::json!({ "username": user.username, "from": from, "failures": failed }),
    )
    .await?;
    if let Some(until) = locked_until
        && failed == MAX_FAILED_LOGINS
    {
        platform_audit(
            &txn,
            "portico",
            "user.locked",
            &user.id,
            serde_json::json!({ "username": user.username, "from": from, "until_micros": until }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(match locked_until {
        Some(until) => PasswordCheck::Locked(until),
        None => PasswordCheck::Refused,
    })
}

/// A person changes their own password in the session of `session_token`:
/// the current password is checked as a log-in is (a wrong one counts
/// towards the lock-out), then every other session of theirs ends and this
/// one stays. Audited as `user.password-change`.
pub async fn change_own_password(
    db: &DatabaseConnection,
    id: &str,
    current: &str,
    new_password: &str,
    session_token: &str,
    from: &str,
) -> Result<PasswordCheck, PlatformError> {
    let user = get(db, id)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{id}`")))?;
    check_password_strength(new_password)?;
    let check = check_password(db, &user.username, current, from).await?;
    if !matches!(check, PasswordCheck::Accepted(_)) {
        return Ok(check);
    }
    let hash = hash_off_thread(new_password.to_owned()).await?;
    let txn = crate::begin_write(db).await?;
    entity::Entity::update_many()
        .col_expr(entity::Column::PasswordHash, Expr::value(hash))
        .col_expr(
            entity::Column::Version,
            Expr::col(entity::Column::Version).add(1),
        )
        .col_expr(entity::Column::UpdatedAtMicros, Expr::value(now_micros()))
        .filter(entity::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let ended = super::sessions::end_others_in(&txn, id, session_token).await?;
    platform_audit(
        &txn,
        id,
        "user.password-change",
        id,
        serde_json::json!({ "username": user.username, "from": from, "sessions_ended": ended }),
    )
    .await?;
    txn.commit().await?;
    Ok(check)
}

/// Lifts a lock-out (audited as `user.unlock`).
pub async fn unlock(db: &DatabaseConnection, actor: &str, id: &str) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let done = entity::Entity::update_many()
        .col_expr(entity::Column::FailedLogins, Expr::value(0))
        .col_expr(
            entity::Column::LockedUntilMicros,
            Expr::value(Option::<i64>::None),
        )
        .filter(entity::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(PlatformError::NotFound(format!("no user `{id}`")));
    }
    platform_audit(&txn, actor, "user.unlock", id, serde_json::json!({})).await?;
    txn.commit().await?;
    Ok(())
}

fn truncate(s: &str, chars: usize) -> String {
    s.chars().take(chars).collect()
}

/// Appends an entry to the platform's own chain.
pub(crate) async fn platform_audit<C: ConnectionTrait>(
    conn: &C,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), PlatformError> {
    audit::append(
        conn,
        PLATFORM_CHAIN,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            detail,
        },
    )
    .await?;
    Ok(())
}
