//! The RSA keys Portico signs tokens for outside systems with (OAuth 2.0
//! token exchange). The newest key signs; the one before it stays
//! published so tokens signed just before a rotation still verify.
//! The first key is made on first use; `rotate` makes the next one.
//!
//! The private keys are stored in the database as PKCS#1 PEM: whoever can
//! read the database can sign tokens, as they could read sessions.

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect, Set};

use crate::{PlatformError, audit, now_micros};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        pub private_pem: String,
        pub created_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The size of the RSA keys.
pub const RSA_BITS: usize = 2048;

/// A signing key (its private half: never show or log it).
#[derive(Clone)]
pub struct SigningKey {
    /// Its key id (`kid` in the JWKS and in tokens' headers).
    pub kid: String,
    /// The private key, PKCS#1 PEM.
    pub private_pem: String,
    /// When it was made (µs since the epoch).
    pub created_at_micros: i64,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("private_pem", &"<redacted>")
            .finish()
    }
}

fn generate() -> Result<SigningKey, PlatformError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
        .map_err(|e| PlatformError::Corrupt(format!("cannot make an RSA key: {e}")))?;
    let pem = key
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .map_err(|e| PlatformError::Corrupt(format!("cannot write an RSA key: {e}")))?;
    Ok(SigningKey {
        kid: uuid::Uuid::now_v7().simple().to_string(),
        private_pem: pem.to_string(),
        created_at_micros: now_micros(),
    })
}

async fn insert(db: &DatabaseConnection, actor: &str) -> Result<SigningKey, PlatformError> {
    let key = tokio::task::spawn_blocking(generate)
        .await
        .map_err(|e| PlatformError::Corrupt(format!("key generation stopped: {e}")))??;
    let txn = crate::begin_write(db).await?;
    entity::ActiveModel {
        kid: Set(key.kid.clone()),
        private_pem: Set(key.private_pem.clone()),
        created_at_micros: Set(key.created_at_micros),
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        audit::PLATFORM_CHAIN,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: "signing-key.create".into(),
            subject: key.kid.clone(),
            detail: serde_json::json!({ "bits": RSA_BITS }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(kid = %key.kid, "made a new signing key");
    Ok(key)
}

/// The published keys, newest (the signing one) first: at most two. Makes
/// the first key when there is none.
pub async fn published(db: &DatabaseConnection) -> Result<Vec<SigningKey>, PlatformError> {
    let keys: Vec<SigningKey> = entity::Entity::find()
        .order_by_desc(entity::Column::CreatedAtMicros)
        .order_by_desc(entity::Column::Kid)
        .limit(2)
        .all(db)
        .await?
        .into_iter()
        .map(|m| SigningKey {
            kid: m.kid,
            private_pem: m.private_pem,
            created_at_micros: m.created_at_micros,
        })
        .collect();
    if keys.is_empty() {
        return Ok(vec![insert(db, "portico").await?]);
    }
    Ok(keys)
}

/// Makes a new signing key; the current one stays published until the
/// next rotation. Audited in the platform chain.
pub async fn rotate(db: &DatabaseConnection, actor: &str) -> Result<SigningKey, PlatformError> {
    insert(db, actor).await
}
