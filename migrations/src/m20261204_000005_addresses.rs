//! The address register: the Czech address points (RÚIAN) a portal's
//! municipalities import, for finding a place by its address and the
//! address of a place.
//!
//! - `address_editions`: each import of a municipality's file, in order.
//! - `addresses`: one row per address point, keyed by its RÚIAN code (kód
//!   adresního místa), which stays the same across editions: a row is
//!   updated by a later edition, and one a later edition no longer lists
//!   is kept with the edition that retired it, so what refers to it still
//!   finds it. `words` is the folded text searched (lower case, no
//!   diacritics, each word preceded by a space); `lat` and `lon` the WGS 84
//!   position converted from the register's S-JTSK.

use sea_orm_migration::prelude::*;

use crate::columns::{id_col, index, micros, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AddressEditions {
    Table,
    Id,
    MunicipalityCode,
    Municipality,
    Source,
    FileSha256,
    ImportedAtMicros,
    Addresses,
    Added,
    Retired,
}

#[derive(DeriveIden)]
enum Addresses {
    Table,
    Code,
    MunicipalityCode,
    Municipality,
    District,
    Part,
    Street,
    Evidence,
    HouseNumber,
    OrientationNumber,
    OrientationLetter,
    Postcode,
    Lat,
    Lon,
    Label,
    Words,
    Edition,
    RetiredIn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AddressEditions::Table)
                    .col(id_col(AddressEditions::Id))
                    .col(
                        ColumnDef::new(AddressEditions::MunicipalityCode)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(AddressEditions::Municipality, 200))
                    .col(text(AddressEditions::Source, 255))
                    .col(text(AddressEditions::FileSha256, 64))
                    .col(micros(AddressEditions::ImportedAtMicros))
                    .col(
                        ColumnDef::new(AddressEditions::Addresses)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AddressEditions::Added)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AddressEditions::Retired)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Addresses::Table)
                    .col(
                        ColumnDef::new(Addresses::Code)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Addresses::MunicipalityCode)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(Addresses::Municipality, 200))
                    .col(ColumnDef::new(Addresses::District).string_len(200))
                    .col(text(Addresses::Part, 200))
                    .col(ColumnDef::new(Addresses::Street).string_len(200))
                    .col(ColumnDef::new(Addresses::Evidence).boolean().not_null())
                    .col(ColumnDef::new(Addresses::HouseNumber).integer().not_null())
                    .col(ColumnDef::new(Addresses::OrientationNumber).integer())
                    .col(ColumnDef::new(Addresses::OrientationLetter).string_len(1))
                    .col(text(Addresses::Postcode, 5))
                    .col(ColumnDef::new(Addresses::Lat).double())
                    .col(ColumnDef::new(Addresses::Lon).double())
                    .col(text(Addresses::Label, 400))
                    .col(text(Addresses::Words, 400))
                    .col(ColumnDef::new(Addresses::Edition).big_integer().not_null())
                    .col(ColumnDef::new(Addresses::RetiredIn).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "addresses_municipality",
                Addresses::Table,
                [Addresses::MunicipalityCode],
            ))
            .await?;
        manager
            .create_index(index(
                "addresses_position",
                Addresses::Table,
                [Addresses::Lat, Addresses::Lon],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Addresses::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AddressEditions::Table).to_owned())
            .await
    }
}
