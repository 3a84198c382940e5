//! An organization's own pages, which its administrator writes for the
//! public: its contacts and office hours (shown in every page's footer),
//! its accessibility statement, which every Czech public body publishes
//! (zákon č. 99/2019 Sb.), how it handles personal data, and its emblem
//! and colour in the page header. Each page is
//! a set of named fields; the web layer decides which fields a page has
//! and how it reads. Every change is audited in the organization's chain.

use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Set, Statement};

use crate::{PlatformError, audit, now_micros};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_pages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub page: String,
        pub body: String,
        pub updated_at_micros: i64,
        pub updated_by: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The pages an organization writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgPage {
    /// Contacts and office hours.
    Contacts,
    /// The accessibility statement.
    Accessibility,
    /// Personal data: who handles it, how, and whom to ask.
    Privacy,
    /// The organization's emblem (a file id) and colour.
    Brand,
}

impl OrgPage {
    /// Every page of text, in the order an administrator fills them.
    pub const ALL: [OrgPage; 3] = [OrgPage::Contacts, OrgPage::Accessibility, OrgPage::Privacy];

    /// The page's name, as stored and in addresses.
    pub fn name(self) -> &'static str {
        match self {
            OrgPage::Contacts => "contacts",
            OrgPage::Accessibility => "accessibility",
            OrgPage::Privacy => "privacy",
            OrgPage::Brand => "brand",
        }
    }

    /// The page named `name`.
    pub fn parse(name: &str) -> Option<OrgPage> {
        OrgPage::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The contrast of the colour `#rrggbb` against white, as WCAG 2.1
/// measures it (1 to 21); `None` when it is no such colour.
pub fn contrast_with_white(colour: &str) -> Option<f64> {
    let hex = colour.strip_prefix('#')?;
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).ok()?) / 255.0;
        Some(if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        })
    };
    let luminance = 0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?;
    Some(1.05 / (luminance + 0.05))
}

/// A page as its administrator last wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// The fields, by name.
    pub fields: BTreeMap<String, String>,
    /// When it was written (µs since the epoch).
    pub updated_at_micros: i64,
    /// Who wrote it (a user id).
    pub updated_by: String,
}

impl Written {
    /// The field `name`, trimmed; empty when it is not filled.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }

    /// The text `name_<lang>` (`text_cs`, `text_en`); when it is empty,
    /// the other language's, with that language's tag to mark it by.
    pub fn in_language(&self, name: &str, lang: &str) -> (&str, Option<&'static str>) {
        let own = self.field(&format!("{name}_{lang}"));
        if !own.is_empty() {
            return (own, None);
        }
        ["cs", "en"]
            .into_iter()
            .filter(|other| *other != lang)
            .map(|other| (self.field(&format!("{name}_{other}")), Some(other)))
            .find(|(text, _)| !text.is_empty())
            .unwrap_or(("", None))
    }
}

/// The page `page` of `org_id`, if its administrator wrote it.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    org_id: &str,
    page: OrgPage,
) -> Result<Option<Written>, PlatformError> {
    let Some(row) = entity::Entity::find_by_id((org_id.to_owned(), page.name().to_owned()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Written {
        fields: serde_json::from_str(&row.body).unwrap_or_default(),
        updated_at_micros: row.updated_at_micros,
        updated_by: row.updated_by,
    }))
}

/// Writes the page `page` of `org_id` as `actor` (a user id), replacing
/// what it said; audited as `org.page` with the names of the fields that
/// changed.
pub async fn put(
    db: &DatabaseConnection,
    actor: &str,
    org_id: &str,
    page: OrgPage,
    fields: BTreeMap<String, String>,
) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let before = get(&txn, org_id, page).await?.unwrap_or_default();
    let changed: Vec<&str> = fields
        .iter()
        .filter(|(k, v)| before.fields.get(*k) != Some(v))
        .map(|(k, _)| k.as_str())
        .chain(
            before
                .fields
                .keys()
                .filter(|k| !fields.contains_key(*k))
                .map(String::as_str),
        )
        .collect();
    let detail = serde_json::json!({ "page": page.name(), "changed": changed });
    entity::Entity::insert(entity::ActiveModel {
        org_id: Set(org_id.to_owned()),
        page: Set(page.name().to_owned()),
        body: Set(serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into())),
        updated_at_micros: Set(now_micros()),
        updated_by: Set(actor.to_owned()),
    })
    .on_conflict(
        OnConflict::columns([entity::Column::OrgId, entity::Column::Page])
            .update_columns([
                entity::Column::Body,
                entity::Column::UpdatedAtMicros,
                entity::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::append(
        &txn,
        org_id,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: "org.page".to_owned(),
            subject: page.name().to_owned(),
            detail,
        },
    )
    .await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Hosts that cache the organization's contacts forget them when
        // this commits, as they forget a change of its modules.
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [crate::modules::CHANGES_CHANNEL.into(), org_id.into()],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::contrast_with_white;

    #[test]
    fn contrast_is_measured_as_wcag_does() {
        let ratio = |c| (contrast_with_white(c).unwrap() * 10.0).round() / 10.0;
        assert_eq!(ratio("#000000"), 21.0);
        assert_eq!(ratio("#ffffff"), 1.0);
        assert_eq!(ratio("#0b4f8a"), 8.4);
        assert!(contrast_with_white("#777777").unwrap() < 4.5);
        assert!(contrast_with_white("#767676").unwrap() >= 4.5);
        assert!(contrast_with_white("#12345").is_none());
        assert!(contrast_with_white("red").is_none());
    }
}
