//! The organization tree: a region or a city at the root, the organizations
//! it founds (schools, hospitals, road administration…) and their units.
//! Each organization is a tenant: modules are enabled per organization and
//! see only its data.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use crate::{PlatformError, audit};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub ico: Option<String>,
        pub kind: String,
        pub parent_id: Option<String>,
        pub created_at: DateTimeUtc,
        pub category: Option<String>,
        pub address: Option<String>,
        pub closed_to_above: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What kind of body an organization is; it decides where it may stand in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A region (kraj): a root.
    Region,
    /// A city or municipality: a root.
    City,
    /// An organization founded by a region, a city or another organization.
    Organization,
    /// A unit (department, branch) of an organization.
    Unit,
}

impl Kind {
    /// The kind's name as stored and typed.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Region => "region",
            Kind::City => "city",
            Kind::Organization => "organization",
            Kind::Unit => "unit",
        }
    }

    /// Parses a kind's name.
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Region, Kind::City, Kind::Organization, Kind::Unit]
            .into_iter()
            .find(|k| k.name() == s)
    }

    fn may_stand_under(self, parent: Option<Kind>) -> Result<(), String> {
        match (self, parent) {
            (Kind::Region | Kind::City, None) => Ok(()),
            (Kind::Region | Kind::City, Some(p)) => Err(format!(
                "a {} is a root of the tree and has no parent, but a {} was given",
                self.name(),
                p.name()
            )),
            (Kind::Organization | Kind::Unit, None) => {
                Err(format!("a {} needs a parent", self.name()))
            }
            (Kind::Organization, Some(Kind::Unit)) => {
                Err("an organization cannot stand under a unit".into())
            }
            (Kind::Unit, Some(Kind::Region | Kind::City)) => Err(
                "a unit stands under an organization, not directly under a region or city".into(),
            ),
            _ => Ok(()),
        }
    }
}

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    /// Stable identifier used in addresses and by modules, e.g. `jmk-nemocnice-znojmo`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its identification number (IČO), 8 digits with a valid check digit.
    pub ico: Option<String>,
    /// Region, city, organization or unit.
    pub kind: Kind,
    /// The organization above it.
    pub parent_id: Option<String>,
    /// What it does, e.g. `school`, `hospital`: a lower-case word or words
    /// joined by dashes, set by its administrator.
    pub category: Option<String>,
    /// Its postal address, on one line.
    pub address: Option<String>,
    /// Whether a platform administrator closed it to administration from
    /// above: the administrators of the organizations above it do not
    /// administer it, nor anything below it.
    pub closed_to_above: bool,
}

impl From<entity::Model> for Organization {
    fn from(m: entity::Model) -> Self {
        Organization {
            kind: Kind::parse(&m.kind).unwrap_or(Kind::Organization),
            id: m.id,
            name: m.name,
            ico: m.ico,
            parent_id: m.parent_id,
            category: m.category,
            address: m.address,
            closed_to_above: m.closed_to_above,
        }
    }
}

/// What is needed to create an organization.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    /// Identifier: 2 to 64 lower-case letters, digits and dashes.
    pub id: String,
    /// Name.
    pub name: String,
    /// IČO, if it has one (spaces are ignored).
    pub ico: Option<String>,
    /// Kind.
    pub kind: Kind,
    /// Parent's id; required for organizations and units.
    pub parent_id: Option<String>,
    /// What it does, e.g. `school` (see [`check_category`]).
    pub category: Option<String>,
    /// Its postal address, on one line.
    pub address: Option<String>,
}

/// Checks what an organization does: a lower-case word, or words joined by
/// dashes (`school`, `social-services`), as modules filter by it.
pub fn check_category(category: &str) -> Result<String, String> {
    let c = category.trim();
    let ok = (2..=64).contains(&c.len())
        && c.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        });
    if ok {
        Ok(c.to_owned())
    } else {
        Err(format!(
            "`{category}` must be lower-case words of letters and digits joined by dashes, e.g. `school` or `social-services`"
        ))
    }
}

/// Checks an IČO: eight digits whose last is the weighted mod-11 check digit.
pub fn check_ico(ico: &str) -> Result<String, String> {
    let digits: String = ico.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{ico}` must be 8 digits"));
    }
    let expected = portico_types::ico::expected_check_digit(&digits).unwrap_or(10);
    if !portico_types::ico::is_valid(&digits) {
        return Err(format!(
            "`{ico}` has a wrong check digit (expected {expected} at the end)"
        ));
    }
    Ok(digits)
}

fn check_id(id: &str) -> Result<(), String> {
    let ok = (2..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{id}` must be 2 to 64 lower-case letters, digits and dashes, starting with a letter"
        ))
    }
}

/// Creates an organization after checking every field, starts its audit
/// chain and records the creation in it, all in one transaction. `actor`
/// is who does it (a user id or `cli:<name>`).
pub async fn create(
    db: &DatabaseConnection,
    actor: &str,
    new: NewOrganization,
) -> Result<Organization, PlatformError> {
    check_id(&new.id).map_err(|m| PlatformError::invalid("id", m))?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 300 {
        return Err(PlatformError::invalid(
            "name",
            "must be 1 to 300 characters",
        ));
    }
    let ico = new
        .ico
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(check_ico)
        .transpose()
        .map_err(|m| PlatformError::invalid("ico", m))?;
    let category = new
        .category
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(check_category)
        .transpose()
        .map_err(|m| PlatformError::invalid("category", m))?;
    let address = new
        .address
        .as_deref()
        .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|a| !a.is_empty());
    if address.as_ref().is_some_and(|a| a.chars().count() > 300) {
        return Err(PlatformError::invalid(
            "address",
            "must be at most 300 characters",
        ));
    }
    let parent =
        match &new.parent_id {
            None => None,
            Some(pid) => Some(get(db, pid).await?.ok_or_else(|| {
                PlatformError::invalid("parent", format!("no organization `{pid}`"))
            })?),
        };
    new.kind
        .may_stand_under(parent.as_ref().map(|p| p.kind))
        .map_err(|m| PlatformError::invalid("kind", m))?;
    if get(db, &new.id).await?.is_some() {
        return Err(PlatformError::Conflict(format!(
            "organization `{}` already exists",
            new.id
        )));
    }
    if let Some(ico) = &ico
        && let Some(other) = entity::Entity::find()
            .filter(entity::Column::Ico.eq(ico.as_str()))
            .one(db)
            .await?
    {
        return Err(PlatformError::Conflict(format!(
            "IČO {ico} is already used by `{}`",
            other.id
        )));
    }
    let txn = crate::begin_write(db).await?;
    let model = entity::ActiveModel {
        id: Set(new.id),
        name: Set(name),
        ico: Set(ico),
        kind: Set(new.kind.name().to_owned()),
        parent_id: Set(new.parent_id),
        created_at: Set(chrono::Utc::now()),
        category: Set(category),
        address: Set(address),
        closed_to_above: Set(false),
    }
    .insert(&txn)
    .await?;
    audit::start_chain(&txn, &model.id).await?;
    audit::append(
        &txn,
        &model.id,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: "organization.create".into(),
            subject: model.id.clone(),
            detail: serde_json::json!({
                "name": model.name,
                "ico": model.ico,
                "kind": model.kind,
                "parent": model.parent_id,
                "category": model.category,
                "address": model.address,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(org = %model.id, kind = %model.kind, "organization created");
    Ok(model.into())
}

/// The organization with `id`.
pub async fn get(db: &DatabaseConnection, id: &str) -> Result<Option<Organization>, PlatformError> {
    Ok(entity::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .map(Into::into))
}

/// Every organization, by id.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Organization>, PlatformError> {
    Ok(entity::Entity::find()
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Every organization in tree order (each followed by its children, by
/// name), with its depth (0 for a root).
pub async fn tree(db: &impl ConnectionTrait) -> Result<Vec<(usize, Organization)>, PlatformError> {
    let all = list(db).await?;
    let mut children: HashMap<Option<String>, Vec<Organization>> = HashMap::new();
    for org in all {
        children.entry(org.parent_id.clone()).or_default().push(org);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    let mut out = Vec::new();
    let mut stack: Vec<(usize, Organization)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|o| (0, o))
        .collect();
    while let Some((depth, org)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(org.id.clone())) {
            stack.extend(kids.into_iter().rev().map(|k| (depth + 1, k)));
        }
        out.push((depth, org));
    }
    Ok(out)
}

/// An organization's line in the tree: itself, those above it and those
/// below it. What a module may see of the tree (`orgs`), and where its
/// messages may go.
#[derive(Debug, Clone)]
pub struct Line {
    /// The organization.
    pub current: Organization,
    /// Those above it, the parent first.
    pub ancestors: Vec<Organization>,
    /// Those below it in tree order: each after its parent, siblings by name.
    pub descendants: Vec<Organization>,
}

/// The line of organization `id`; `None` if there is no such organization.
pub async fn line(db: &impl ConnectionTrait, id: &str) -> Result<Option<Line>, PlatformError> {
    let mut tree = tree(db).await?;
    let Some(at) = tree.iter().position(|(_, o)| o.id == id) else {
        return Ok(None);
    };
    // In tree order, what stands below an organization is the run after
    // it that is deeper than it.
    let depth = tree[at].0;
    let below = tree[at + 1..]
        .iter()
        .take_while(|(d, _)| *d > depth)
        .count();
    let descendants: Vec<Organization> =
        tree.drain(at + 1..at + 1 + below).map(|(_, o)| o).collect();
    let current = tree.remove(at).1;
    let by_id: HashMap<&str, &Organization> =
        tree.iter().map(|(_, o)| (o.id.as_str(), o)).collect();
    let mut ancestors = Vec::new();
    let mut up = current.parent_id.as_deref();
    while let Some(parent) = up.and_then(|p| by_id.get(p)) {
        ancestors.push((*parent).clone());
        up = parent.parent_id.as_deref();
    }
    Ok(Some(Line {
        current,
        ancestors,
        descendants,
    }))
}

/// Closes `id` to administration from above, or opens it again, audited
/// in its chain. Only a platform administrator may (the caller checks).
pub async fn set_closed_to_above(
    db: &DatabaseConnection,
    actor: &str,
    id: &str,
    closed: bool,
) -> Result<(), PlatformError> {
    let Some(org) = entity::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Err(PlatformError::NotFound(format!("no organization `{id}`")));
    };
    if org.closed_to_above == closed {
        return Ok(());
    }
    let txn = crate::begin_write(db).await?;
    let mut row: entity::ActiveModel = org.into();
    row.closed_to_above = Set(closed);
    row.update(&txn).await?;
    audit::append(
        &txn,
        id,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: if closed {
                "organization.close-to-above"
            } else {
                "organization.open-to-above"
            }
            .into(),
            subject: id.to_owned(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The organizations an administrator of `id` administers besides `id`:
/// those below it, except any closed to administration from above and
/// everything below such a one.
pub async fn administered_below(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Vec<Organization>, PlatformError> {
    Ok(match line(db, id).await? {
        None => Vec::new(),
        Some(line) => {
            let mut closed: Vec<String> = Vec::new();
            line.descendants
                .into_iter()
                .filter(|o| {
                    let shut = o.closed_to_above
                        || o.parent_id.as_ref().is_some_and(|p| closed.contains(p));
                    if shut {
                        closed.push(o.id.clone());
                    }
                    !shut
                })
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ico_check_digit() {
        // Real IČOs: Jihomoravský kraj, Statutární město Brno.
        assert_eq!(check_ico("70888337").as_deref(), Ok("70888337"));
        assert_eq!(check_ico("449 92 785").as_deref(), Ok("44992785"));
        assert!(check_ico("70888338").unwrap_err().contains("check digit"));
        assert!(check_ico("7088833").unwrap_err().contains("8 digits"));
        assert!(check_ico("7088833x").unwrap_err().contains("8 digits"));
    }

    #[test]
    fn where_kinds_may_stand() {
        assert!(Kind::Region.may_stand_under(None).is_ok());
        assert!(
            Kind::Organization
                .may_stand_under(Some(Kind::Region))
                .is_ok()
        );
        assert!(Kind::Unit.may_stand_under(Some(Kind::Organization)).is_ok());
        assert!(Kind::Unit.may_stand_under(Some(Kind::Unit)).is_ok());
        assert!(Kind::Unit.may_stand_under(Some(Kind::City)).is_err());
        assert!(Kind::Organization.may_stand_under(None).is_err());
        assert!(Kind::City.may_stand_under(Some(Kind::Region)).is_err());
    }
}
