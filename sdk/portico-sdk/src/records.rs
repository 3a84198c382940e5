//! Documents in the collections the manifest declares, of the organization
//! of the call. Needs `records` in the manifest's `capabilities` and the
//! collection under `[collections.<name>]`.
//!
//! The host scopes every operation to the organization and the module of
//! the call. Pages and GET requests only read; write in a form submission,
//! a POST request, a job or an event handler. A call's writes are kept only
//! if it succeeds.
//!
//! ```no_run
//! use portico_sdk::records::{Collection, Filters};
//! # #[derive(serde::Serialize, serde::Deserialize)]
//! # struct Notice { title: String, until: String }
//! # fn f() -> portico_sdk::Result<()> {
//! const NOTICES: Collection = Collection::new("notices");
//!
//! let stored = NOTICES.insert(&Notice { title: "Road closed".into(), until: "2026-12-31".into() })?;
//! let current = NOTICES
//!     .find()
//!     .ge("until", "2026-11-21")
//!     .sort("until")
//!     .limit(20)
//!     .fetch::<Notice>()?;
//! # Ok(()) }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wit::portico::plugin0_1_0::records as wit;
use crate::{Error, Result};

/// A stored document with its data parsed into `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Document<T> {
    /// Its identifier, assigned by the host.
    pub id: String,
    /// Its version; pass it to [`Collection::update`] and [`Collection::delete`].
    pub version: u64,
    /// The data.
    pub data: T,
    /// When it was inserted (RFC 3339, UTC).
    pub created_at: String,
    /// When it was last changed (RFC 3339, UTC).
    pub updated_at: String,
}

fn parse<T: DeserializeOwned>(d: wit::Document) -> Result<Document<T>> {
    let data = serde_json::from_str(&d.data).map_err(|e| {
        Error::internal(format!("document {} is not the shape expected: {e}", d.id))
    })?;
    Ok(Document {
        id: d.id,
        version: d.version,
        data,
        created_at: d.created_at,
        updated_at: d.updated_at,
    })
}

fn to_json<T: Serialize>(data: &T) -> Result<String> {
    serde_json::to_string(data).map_err(|e| Error::internal(format!("cannot encode: {e}")))
}

/// A collection declared in the manifest.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    name: &'static str,
}

impl Collection {
    /// The collection `name`, as the manifest declares it.
    pub const fn new(name: &'static str) -> Collection {
        Collection { name }
    }

    /// The document `id`; [`Error::NotFound`] when there is none.
    pub fn get<T: DeserializeOwned>(&self, id: &str) -> Result<Document<T>> {
        parse(wit::get(self.name, id)?)
    }

    /// Stores a new document.
    pub fn insert<T: Serialize + DeserializeOwned>(&self, data: &T) -> Result<Document<T>> {
        parse(wit::insert(self.name, &to_json(data)?)?)
    }

    /// Stores a new document given as JSON text, e.g. a request body passed
    /// through; the host checks it and answers `invalid` naming the field.
    pub fn insert_json(&self, json: &str) -> Result<Document<serde_json::Value>> {
        parse(wit::insert(self.name, json)?)
    }

    /// Replaces the document `id` if it is still at `expected_version`;
    /// [`Error::Conflict`] when someone changed it meanwhile.
    pub fn update<T: Serialize + DeserializeOwned>(
        &self,
        id: &str,
        expected_version: u64,
        data: &T,
    ) -> Result<Document<T>> {
        parse(wit::update(
            self.name,
            id,
            expected_version,
            &to_json(data)?,
        )?)
    }

    /// Deletes the document `id` if it is still at `expected_version`.
    pub fn delete(&self, id: &str, expected_version: u64) -> Result<()> {
        Ok(wit::delete(self.name, id, expected_version)?)
    }

    /// Starts a query.
    pub fn find(&self) -> Find {
        Find {
            collection: self.name,
            filters: Vec::new(),
            sort: None,
            newest_first: false,
            limit: 50,
            cursor: None,
        }
    }

    /// The first document whose indexed field `field` equals `value`, if
    /// any: a document looked up by its key.
    pub fn find_by<T: DeserializeOwned>(
        &self,
        field: &str,
        value: impl ToString,
    ) -> Result<Option<Document<T>>> {
        Ok(self
            .find()
            .eq(field, value)
            .limit(1)
            .fetch::<T>()?
            .documents
            .into_iter()
            .next())
    }

    /// Counts documents grouped by the indexed field `field`.
    pub fn count_by(&self, field: &str) -> Aggregate {
        Aggregate {
            collection: self.name,
            filters: Vec::new(),
            group_by: field.to_owned(),
            sum: None,
        }
    }
}

/// Conditions on indexed fields, shared by [`Find`] and [`Aggregate`].
pub trait Filters: Sized {
    #[doc(hidden)]
    fn filters(&mut self) -> &mut Vec<wit::Filter>;

    #[doc(hidden)]
    fn push(mut self, field: &str, op: wit::Op, value: String) -> Self {
        self.filters().push(wit::Filter {
            field: field.to_owned(),
            op,
            value,
        });
        self
    }

    /// `field` equals `value` (text, or a number written as text).
    fn eq(self, field: &str, value: impl ToString) -> Self {
        self.push(field, wit::Op::Eq, value.to_string())
    }
    /// `field` is less than `value`.
    fn lt(self, field: &str, value: impl ToString) -> Self {
        self.push(field, wit::Op::Lt, value.to_string())
    }
    /// `field` is at most `value`.
    fn le(self, field: &str, value: impl ToString) -> Self {
        self.push(field, wit::Op::Le, value.to_string())
    }
    /// `field` is greater than `value`.
    fn gt(self, field: &str, value: impl ToString) -> Self {
        self.push(field, wit::Op::Gt, value.to_string())
    }
    /// `field` is at least `value`.
    fn ge(self, field: &str, value: impl ToString) -> Self {
        self.push(field, wit::Op::Ge, value.to_string())
    }
    /// The text `field` starts with `value`.
    fn prefix(self, field: &str, value: impl ToString) -> Self {
        self.push(field, wit::Op::Prefix, value.to_string())
    }
}

/// A query being built; run it with [`Find::fetch`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Find {
    collection: &'static str,
    filters: Vec<wit::Filter>,
    sort: Option<wit::Sort>,
    newest_first: bool,
    limit: u32,
    cursor: Option<String>,
}

impl Filters for Find {
    fn filters(&mut self) -> &mut Vec<wit::Filter> {
        &mut self.filters
    }
}

/// One page of a query's results.
#[derive(Debug, Clone)]
pub struct Found<T> {
    /// The documents, in order.
    pub documents: Vec<Document<T>>,
    /// Pass to [`Find::after`] for the next page; `None` after the last.
    pub next_cursor: Option<String>,
}

impl Find {
    /// Smallest first by the indexed field `field` (documents without it are left out).
    pub fn sort(mut self, field: &str) -> Self {
        self.sort = Some(wit::Sort {
            field: field.to_owned(),
            descending: false,
        });
        self
    }

    /// Largest first by the indexed field `field`.
    pub fn sort_desc(mut self, field: &str) -> Self {
        self.sort = Some(wit::Sort {
            field: field.to_owned(),
            descending: true,
        });
        self
    }

    /// Newest first (when not sorted by a field).
    pub fn newest_first(mut self) -> Self {
        self.newest_first = true;
        self
    }

    /// At most `n` documents per page (1 to 500; 50 unless set).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = n;
        self
    }

    /// The page after the one that returned `cursor`.
    pub fn after(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Runs the query.
    pub fn fetch<T: DeserializeOwned>(self) -> Result<Found<T>> {
        let page = wit::find(
            self.collection,
            &wit::Query {
                filters: self.filters,
                sort: self.sort,
                newest_first: self.newest_first,
                limit: self.limit,
                cursor: self.cursor,
            },
        )?;
        Ok(Found {
            documents: page
                .documents
                .into_iter()
                .map(parse)
                .collect::<Result<_>>()?,
            next_cursor: page.next_cursor,
        })
    }

    /// Runs the query page after page (500 documents each) and returns
    /// every document, at most `max`: for the lists and figures a module
    /// builds from all of a collection.
    pub fn fetch_all<T: DeserializeOwned>(self, max: usize) -> Result<Vec<Document<T>>> {
        let mut all = Vec::new();
        for page in self.limit(500).pages::<T>() {
            all.extend(page?);
            if all.len() >= max {
                break;
            }
        }
        all.truncate(max);
        Ok(all)
    }

    /// The query's results page after page, each of [`Find::limit`]
    /// documents, from the page [`Find::after`] names: for a job or a
    /// migration that walks a whole collection, or a list that reads on
    /// until it has enough. A page that fails ends the walk with its error.
    ///
    /// ```no_run
    /// # use portico_sdk::records::Collection;
    /// # #[derive(serde::Deserialize, serde::Serialize)] struct Report { open: bool }
    /// # const REPORTS: Collection = Collection::new("reports");
    /// # fn job() -> portico_sdk::Result<()> {
    /// for page in REPORTS.find().limit(200).pages::<Report>() {
    ///     for doc in page? {
    ///         // …
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages<T: DeserializeOwned>(self) -> Pages<T> {
        Pages {
            cursor: self.cursor.clone(),
            find: Some(self),
            kind: std::marker::PhantomData,
        }
    }
}

/// A query's results page after page; see [`Find::pages`].
#[derive(Debug)]
#[must_use]
pub struct Pages<T> {
    /// `None` once the last page was read, or one failed.
    find: Option<Find>,
    cursor: Option<String>,
    kind: std::marker::PhantomData<fn() -> T>,
}

impl<T> Pages<T> {
    /// The cursor of the page after those read so far, for a "next page"
    /// link; `None` once the last page was read.
    pub fn next_cursor(&self) -> Option<&str> {
        self.find.as_ref().and(self.cursor.as_deref())
    }
}

impl<T: DeserializeOwned> Iterator for Pages<T> {
    type Item = Result<Vec<Document<T>>>;

    fn next(&mut self) -> Option<Self::Item> {
        let find = self.find.take()?;
        match find.clone().after(self.cursor.take()).fetch::<T>() {
            Ok(page) => {
                if page.next_cursor.is_some() {
                    self.find = Some(find);
                    self.cursor = page.next_cursor;
                }
                Some(Ok(page.documents))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// One group of an aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The grouping field's value; `None` for documents without one.
    pub key: Option<String>,
    /// How many documents.
    pub count: u64,
    /// The sum asked for with [`Aggregate::sum`].
    pub sum: Option<f64>,
}

/// A count (and sum) by group being built; run it with [`Aggregate::fetch`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Aggregate {
    collection: &'static str,
    filters: Vec<wit::Filter>,
    group_by: String,
    sum: Option<String>,
}

impl Filters for Aggregate {
    fn filters(&mut self) -> &mut Vec<wit::Filter> {
        &mut self.filters
    }
}

impl Aggregate {
    /// Also sums the indexed number field `field` in each group.
    pub fn sum(mut self, field: &str) -> Self {
        self.sum = Some(field.to_owned());
        self
    }

    /// Runs it: the groups, largest count first.
    pub fn fetch(self) -> Result<Vec<Group>> {
        Ok(wit::aggregate(
            self.collection,
            &self.filters,
            &self.group_by,
            self.sum.as_deref(),
        )?
        .into_iter()
        .map(|g| Group {
            key: g.key,
            count: g.count,
            sum: g.sum,
        })
        .collect())
    }
}
