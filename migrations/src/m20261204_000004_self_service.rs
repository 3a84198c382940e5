//! What a person does for their own account.
//!
//! - `account_links`: links the portal e-mails to a person for one
//!   purpose, each used once and only until it expires: confirming the
//!   address of an account they registered themselves, and setting a new
//!   password when they forgot it. Only the SHA-256 of the token is kept.
//! - `users.notify_email`: whether a message a module sends to the person
//!   goes to their e-mail address too, besides their inbox on the portal.

use sea_orm_migration::prelude::*;

use crate::columns::{index, micros, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountLinks {
    Table,
    TokenHash,
    UserId,
    Purpose,
    CreatedAtMicros,
    ExpiresAtMicros,
    UsedAtMicros,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    NotifyEmail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountLinks::Table)
                    .col(text(AccountLinks::TokenHash, 64).primary_key())
                    .col(text(AccountLinks::UserId, 64))
                    .col(text(AccountLinks::Purpose, 16))
                    .col(micros(AccountLinks::CreatedAtMicros))
                    .col(micros(AccountLinks::ExpiresAtMicros))
                    .col(ColumnDef::new(AccountLinks::UsedAtMicros).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "account_links_user",
                AccountLinks::Table,
                [AccountLinks::UserId, AccountLinks::Purpose],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::NotifyEmail)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::NotifyEmail)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AccountLinks::Table).to_owned())
            .await
    }
}
