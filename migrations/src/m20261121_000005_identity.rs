//! Identity and access: users (local, from an identity provider, or
//! provisioned by SCIM), their sessions, role grants per organization, SCIM
//! groups that map to roles, API tokens for machine clients, the key that
//! signs tokens for outside systems, and the platform's own audit chain
//! (log-ins, lock-outs, accounts).

use sea_orm_migration::prelude::*;

use crate::columns::{index, micros, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    GivenName,
    FamilyName,
    Email,
    Kind,
    PasswordHash,
    Active,
    ExternalId,
    Issuer,
    Subject,
    Assurance,
    Claims,
    FailedLogins,
    LockedUntilMicros,
    Version,
    CreatedAtMicros,
    UpdatedAtMicros,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    UserId,
    Csrf,
    Assurance,
    Claims,
    CreatedAtMicros,
    ExpiresAtMicros,
    LastSeenMicros,
}

#[derive(DeriveIden)]
enum RoleGrants {
    Table,
    UserId,
    OrgId,
    Role,
    GrantedBy,
    GrantedAtMicros,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    DisplayName,
    ExternalId,
    OrgId,
    Role,
    Version,
    CreatedAtMicros,
    UpdatedAtMicros,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    GroupId,
    UserId,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TokenHash,
    Name,
    OrgId,
    Permissions,
    CreatedBy,
    CreatedAtMicros,
    ExpiresAtMicros,
    RevokedAtMicros,
    LastUsedMicros,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    PrivatePem,
    CreatedAtMicros,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    OrgId,
    Seq,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(text(Users::Id, 36).primary_key())
                    .col(text(Users::Username, 200))
                    .col(text(Users::DisplayName, 200))
                    .col(ColumnDef::new(Users::GivenName).string_len(200))
                    .col(ColumnDef::new(Users::FamilyName).string_len(200))
                    .col(ColumnDef::new(Users::Email).string_len(320))
                    .col(text(Users::Kind, 16))
                    .col(ColumnDef::new(Users::PasswordHash).text())
                    .col(ColumnDef::new(Users::Active).boolean().not_null())
                    .col(ColumnDef::new(Users::ExternalId).string_len(200))
                    .col(ColumnDef::new(Users::Issuer).string_len(500))
                    .col(ColumnDef::new(Users::Subject).string_len(255))
                    .col(text(Users::Assurance, 16))
                    .col(ColumnDef::new(Users::Claims).text().not_null())
                    .col(ColumnDef::new(Users::FailedLogins).integer().not_null())
                    .col(ColumnDef::new(Users::LockedUntilMicros).big_integer())
                    .col(ColumnDef::new(Users::Version).big_integer().not_null())
                    .col(micros(Users::CreatedAtMicros))
                    .col(micros(Users::UpdatedAtMicros))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("users_username", Users::Table, [Users::Username])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "users_identity",
                    Users::Table,
                    [Users::Issuer, Users::Subject],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(text(Sessions::TokenHash, 64).primary_key())
                    .col(text(Sessions::UserId, 36))
                    .col(text(Sessions::Csrf, 64))
                    .col(text(Sessions::Assurance, 16))
                    .col(ColumnDef::new(Sessions::Claims).text().not_null())
                    .col(micros(Sessions::CreatedAtMicros))
                    .col(micros(Sessions::ExpiresAtMicros))
                    .col(micros(Sessions::LastSeenMicros))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("sessions_user", Sessions::Table, [Sessions::UserId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleGrants::Table)
                    .col(text(RoleGrants::UserId, 36))
                    .col(text(RoleGrants::OrgId, 64))
                    .col(text(RoleGrants::Role, 130))
                    .col(text(RoleGrants::GrantedBy, 200))
                    .col(micros(RoleGrants::GrantedAtMicros))
                    .primary_key(
                        Index::create()
                            .col(RoleGrants::UserId)
                            .col(RoleGrants::OrgId)
                            .col(RoleGrants::Role),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "role_grants_org",
                RoleGrants::Table,
                [RoleGrants::OrgId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Groups::Table)
                    .col(text(Groups::Id, 36).primary_key())
                    .col(text(Groups::DisplayName, 200))
                    .col(ColumnDef::new(Groups::ExternalId).string_len(200))
                    .col(ColumnDef::new(Groups::OrgId).string_len(64))
                    .col(ColumnDef::new(Groups::Role).string_len(130))
                    .col(ColumnDef::new(Groups::Version).big_integer().not_null())
                    .col(micros(Groups::CreatedAtMicros))
                    .col(micros(Groups::UpdatedAtMicros))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("groups_display_name", Groups::Table, [Groups::DisplayName])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .col(text(GroupMembers::GroupId, 36))
                    .col(text(GroupMembers::UserId, 36))
                    .primary_key(
                        Index::create()
                            .col(GroupMembers::GroupId)
                            .col(GroupMembers::UserId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "group_members_user",
                GroupMembers::Table,
                [GroupMembers::UserId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(text(ApiTokens::Id, 36).primary_key())
                    .col(text(ApiTokens::TokenHash, 64))
                    .col(text(ApiTokens::Name, 200))
                    .col(text(ApiTokens::OrgId, 64))
                    .col(ColumnDef::new(ApiTokens::Permissions).text().not_null())
                    .col(text(ApiTokens::CreatedBy, 200))
                    .col(micros(ApiTokens::CreatedAtMicros))
                    .col(ColumnDef::new(ApiTokens::ExpiresAtMicros).big_integer())
                    .col(ColumnDef::new(ApiTokens::RevokedAtMicros).big_integer())
                    .col(ColumnDef::new(ApiTokens::LastUsedMicros).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("api_tokens_hash", ApiTokens::Table, [ApiTokens::TokenHash])
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(text(SigningKeys::Kid, 64).primary_key())
                    .col(ColumnDef::new(SigningKeys::PrivatePem).text().not_null())
                    .col(micros(SigningKeys::CreatedAtMicros))
                    .to_owned(),
            )
            .await?;

        // The platform's own chain: events that belong to no organization.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHeads::Table)
                    .columns([AuditHeads::OrgId, AuditHeads::Seq, AuditHeads::Hash])
                    .values_panic([
                        "_platform".into(),
                        0i64.into(),
                        "0000000000000000000000000000000000000000000000000000000000000000".into(),
                    ])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SigningKeys::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            Groups::Table.into_iden(),
            RoleGrants::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(AuditHeads::Table)
                    .and_where(Expr::col(AuditHeads::OrgId).eq("_platform"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
