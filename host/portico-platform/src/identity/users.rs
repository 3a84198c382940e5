//! People's accounts, the bottom of identity: local accounts (argon2id
//! passwords, for small deployments and the demo), accounts from an
//! identity provider (staff IDM, national eID) and accounts provisioned by
//! SCIM. Every account change is audited in the platform's chain, never
//! with a password in it.
//!
//! Nothing here imports the rest of identity but `passwords`. A change
//! that also ends the account's sessions or forgets its roles (deactivating,
//! deleting, a new password) is in `accounts`, above `sessions` and
//! `roles`; the log-in check and the lock-out are in `logins`.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::passwords::{check_password_strength, hash_off_thread};
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
        pub language: Option<String>,
        pub notify_email: bool,
        pub phone: Option<String>,
        pub notify_sms: bool,
        pub version: i64,
        pub created_at_micros: i64,
        pub updated_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

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

/// How strongly an identity was verified, shared with the runtime.
pub use portico_types::Assurance;

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

/// Whether `email` reads as an e-mail address: at most 320 characters,
/// with an `@` and no spaces (whether it takes mail, only sending tells).
pub fn is_email(email: &str) -> bool {
    email.len() <= 320 && email.contains('@') && !email.contains(char::is_whitespace)
}

/// Whether `email` is an address fit to publish as a `mailto:` link: one
/// `@` between letters, digits and `.-_+`, nothing that would add
/// headers or recipients to the link.
pub fn is_plain_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let plain =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || ".-_+".contains(c));
    is_email(email) && plain(local) && plain(domain) && domain.contains('.')
}

fn check_email(field: &str, email: &str) -> Result<(), PlatformError> {
    if !is_email(email) {
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
    /// The language they last chose to read the portal in (`cs`, `en`).
    pub language: Option<String>,
    /// Whether what modules tell them goes to their e-mail address too,
    /// besides their inbox.
    pub notify_email: bool,
    /// Their phone number (international form), confirmed by a code sent
    /// to it.
    pub phone: Option<String>,
    /// Whether what modules tell them goes to their phone too, by text
    /// message.
    pub notify_sms: bool,
    /// Raised by every change (SCIM's `meta.version`).
    pub version: i64,
    /// When it was created (µs since the epoch).
    pub created_at_micros: i64,
    /// When it last changed (µs since the epoch).
    pub updated_at_micros: i64,
}

impl User {
    /// Its profile as a change that keeps everything as it is (no new
    /// password), to alter a field or two and pass to
    /// [`accounts::update`](super::accounts::update).
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
            language: m.language,
            notify_email: m.notify_email,
            phone: m.phone,
            notify_sms: m.notify_sms,
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

    pub(super) fn check(&mut self) -> Result<(), PlatformError> {
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

pub(super) fn emails_column(emails: &[Email]) -> Option<String> {
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
    let user = create_in(&txn, actor, &new, hash).await?;
    txn.commit().await?;
    Ok(user)
}

/// [`create`] in the caller's transaction, of a checked `new` whose
/// password is hashed already.
pub(crate) async fn create_in<C: ConnectionTrait>(
    txn: &C,
    actor: &str,
    new: &NewUser,
    hash: Option<String>,
) -> Result<User, PlatformError> {
    if by_username(txn, &new.username).await?.is_some() {
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
        language: Set(None),
        notify_email: Set(false),
        phone: Set(None),
        notify_sms: Set(false),
        version: Set(1),
        created_at_micros: Set(now),
        updated_at_micros: Set(now),
    }
    .insert(txn)
    .await?;
    platform_audit(
        txn,
        actor,
        "user.create",
        &model.id,
        serde_json::json!({ "username": model.username, "kind": model.kind }),
    )
    .await?;
    Ok(model.into())
}

/// Sets how the user wants to be told of things besides their inbox: by
/// e-mail, and by text message (which needs a confirmed phone). Audited
/// as `user.notices`.
pub async fn set_notices(
    db: &DatabaseConnection,
    id: &str,
    by_email: bool,
    by_sms: bool,
) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let has_phone = entity::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .is_some_and(|u| u.phone.is_some());
    let by_sms = by_sms && has_phone;
    entity::Entity::update_many()
        .col_expr(entity::Column::NotifyEmail, Expr::value(by_email))
        .col_expr(entity::Column::NotifySms, Expr::value(by_sms))
        .col_expr(entity::Column::UpdatedAtMicros, Expr::value(now_micros()))
        .filter(entity::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    platform_audit(
        &txn,
        id,
        "user.notices",
        id,
        serde_json::json!({ "email": by_email, "sms": by_sms }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Where a message to a person's inbox goes besides: their e-mail and
/// their confirmed phone, each when they asked for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeCopies {
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Where a message to `user_id` goes besides their inbox; nowhere for an
/// account that is not active.
pub async fn notice_copies<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
) -> Result<NoticeCopies, PlatformError> {
    Ok(entity::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .map(|u| NoticeCopies {
            email: u.email.filter(|_| u.notify_email),
            phone: u.phone.filter(|_| u.notify_sms),
        })
        .unwrap_or_default())
}

/// Remembers `lang` as the language the user reads the portal in. Not a
/// change of the account: its version and audit trail stay as they are.
pub async fn set_language(
    db: &DatabaseConnection,
    id: &str,
    lang: &str,
) -> Result<(), PlatformError> {
    entity::Entity::update_many()
        .col_expr(entity::Column::Language, Expr::value(lang))
        .filter(entity::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The language the user reads the portal in, if they ever chose one.
pub async fn language<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<Option<String>, PlatformError> {
    Ok(entity::Entity::find_by_id(id.to_owned())
        .select_only()
        .column(entity::Column::Language)
        .into_tuple::<Option<String>>()
        .one(db)
        .await?
        .flatten())
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

/// Appends an entry to the platform's own chain. Here, at the bottom of
/// identity, because `logins`, `sessions` and `accounts` above all append
/// there too.
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
