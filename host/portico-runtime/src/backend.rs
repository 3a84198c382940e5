//! What the host interfaces stand on. The runtime checks capabilities,
//! collections and topics against the manifest, fixes the organization and
//! module of every operation from the call, and hands the rest to these
//! traits, which the embedder implements over its database:
//! [`HostServices`] begins a call's unit of work, a [`Work`], which is one
//! narrow trait per capability.

use crate::api::ModuleError;
use crate::manifest::Collection;

/// Who a call's data operations act as and for.
#[derive(Debug, Clone)]
pub struct CallScope {
    /// The organization of the call.
    pub org_id: String,
    /// The calling module.
    pub module_id: String,
    /// Who acts, for the audit chain: the principal's user id, or
    /// `module:<id>` for jobs, events and anonymous visitors.
    pub actor: String,
    /// Whether the call may write (form submissions, non-GET API requests,
    /// jobs and events) or only read (pages, GET requests).
    pub writable: bool,
}

/// The platform services behind the host interfaces.
#[async_trait::async_trait]
pub trait HostServices: Send + Sync + 'static {
    /// The value an administrator set for `key` of `module` in `org_id`,
    /// if any. The runtime falls back to the manifest's default itself.
    async fn setting(&self, org_id: &str, module: &str, key: &str) -> Option<String>;

    /// Starts the unit of work of one call: every write made through it is
    /// kept only if the runtime commits it at the end of a successful call.
    async fn begin(&self, scope: CallScope) -> Result<Box<dyn Work>, ModuleError>;

    /// Where `module`'s pages of `org_id` are for someone who follows a
    /// link in a message, outside the portal: absolute when the embedder
    /// knows the portal's public address, a path from the portal's root
    /// otherwise. The `/o/<org>` form, so a link stays right whichever
    /// organization the portal later serves at its root.
    fn module_url(&self, org_id: &str, module: &str) -> String {
        format!("/o/{org_id}/m/{module}")
    }

    /// Sends `request` through the connection `connection` of `scope`'s
    /// module as set up in its organization, and gives the answer,
    /// whatever its status. `Forbidden` when the connection is not set up
    /// there; `Unavailable` when the system cannot be reached, does not
    /// answer in time, answers too much, or the rate limit is reached.
    async fn call_connection(
        &self,
        scope: &CallScope,
        connection: &str,
        request: &Outgoing,
    ) -> Result<Incoming, ModuleError> {
        let _ = (scope, request);
        Err(ModuleError::Forbidden(format!(
            "the connection `{connection}` is not set up: this host has no connections"
        )))
    }

    /// Writes to the audit chain of `scope`'s organization what the host
    /// refused the call (a message to an organization outside its line),
    /// in a transaction of its own: the refusal stays on record whether
    /// the call's own writes are kept or not. Called after the call's unit
    /// of work is committed or dropped.
    async fn audit_refusals(&self, scope: &CallScope, refusals: Vec<Refusal>) {
        for r in refusals {
            tracing::warn!(
                org = %scope.org_id,
                module = %scope.module_id,
                action = %r.action,
                subject = %r.subject,
                "refused, and not audited: the host has no audit chain"
            );
        }
    }
}

/// A request to a system outside the portal (see
/// [`HostServices::call_connection`]), shared with the platform.
pub use portico_types::Outgoing;

/// What an outside system answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The status.
    pub status: u16,
    /// Its headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Where a delivery through a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionDeliveryStatus {
    /// Not yet acknowledged.
    Waiting,
    /// Acknowledged.
    Delivered,
    /// Given up on.
    Dead,
}

/// A delivery through a connection, as a module sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionDelivery {
    /// Its id.
    pub id: u64,
    /// The connection.
    pub connection: String,
    /// Its idempotency key.
    pub key: String,
    /// Where it is.
    pub status: ConnectionDeliveryStatus,
    /// Failed attempts.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was handed over (RFC 3339).
    pub queued_at: String,
    /// When it arrived (RFC 3339).
    pub delivered_at: Option<String>,
}

/// What the host refused a call, for the audit chain (see
/// [`HostServices::audit_refusals`]).
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The audit action, e.g. `message.refused`.
    pub action: String,
    /// What was asked for, e.g. the organization a message was addressed to.
    pub subject: String,
    /// The particulars, a JSON object.
    pub detail: serde_json::Value,
}

/// A stored document, as modules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Its identifier.
    pub id: String,
    /// Its version.
    pub version: u64,
    /// The JSON document.
    pub data: String,
    /// When it was inserted (RFC 3339).
    pub created_at: String,
    /// When it was last changed (RFC 3339).
    pub updated_at: String,
}

/// How a filter compares, shared with the platform.
pub use portico_types::FilterOp;

/// A condition on one indexed field.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The field.
    pub field: String,
    /// The comparison.
    pub op: FilterOp,
    /// The value as text.
    pub value: String,
}

/// A query on one collection.
#[derive(Debug, Clone)]
pub struct RecordQuery {
    /// Conditions that must all hold.
    pub filters: Vec<Filter>,
    /// Sort field and whether descending.
    pub sort: Option<(String, bool)>,
    /// Without a sort: newest first.
    pub newest_first: bool,
    /// Page size.
    pub limit: u32,
    /// Where the last page ended.
    pub cursor: Option<String>,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct DocumentPage {
    /// The documents.
    pub documents: Vec<Document>,
    /// The next page's cursor.
    pub next_cursor: Option<String>,
}

/// One group of an aggregate.
#[derive(Debug, Clone)]
pub struct DocumentGroup {
    /// The group's value.
    pub key: Option<String>,
    /// How many.
    pub count: u64,
    /// The sum asked for.
    pub sum: Option<f64>,
}

/// A collection named by a module, resolved against its manifest.
#[derive(Debug, Clone, Copy)]
pub struct CollectionRef<'a> {
    /// The collection's name.
    pub name: &'a str,
    /// Its declaration in the manifest.
    pub spec: &'a Collection,
}

/// One call's unit of work: every operation of the call's host
/// interfaces, in one transaction, kept only when the runtime commits it at
/// the end of a successful call. One trait per capability, so that a new
/// host interface adds a trait of its own and touches none of the others.
#[async_trait::async_trait]
pub trait Work:
    Records + Audit + Events + Notify + Files + Orgs + Messages + People + Addresses + Connections
{
    /// Keeps every write of the call.
    async fn commit(self: Box<Self>) -> Result<(), ModuleError>;
}

/// `records`: the module's collections.
#[async_trait::async_trait]
pub trait Records: Send {
    /// `records.get`
    async fn get(&mut self, c: CollectionRef<'_>, id: &str) -> Result<Document, ModuleError>;
    /// `records.insert`
    async fn insert(&mut self, c: CollectionRef<'_>, data: &str) -> Result<Document, ModuleError>;
    /// `records.update`
    async fn update(
        &mut self,
        c: CollectionRef<'_>,
        id: &str,
        expected_version: u64,
        data: &str,
    ) -> Result<Document, ModuleError>;
    /// `records.delete`
    async fn delete(
        &mut self,
        c: CollectionRef<'_>,
        id: &str,
        expected_version: u64,
    ) -> Result<(), ModuleError>;
    /// `records.find`
    async fn query(
        &mut self,
        c: CollectionRef<'_>,
        q: RecordQuery,
    ) -> Result<DocumentPage, ModuleError>;
    /// `records.aggregate`
    async fn aggregate(
        &mut self,
        c: CollectionRef<'_>,
        filters: Vec<Filter>,
        group_by: &str,
        sum: Option<&str>,
    ) -> Result<Vec<DocumentGroup>, ModuleError>;
}

/// `audit`: the organization's audit chain.
#[async_trait::async_trait]
pub trait Audit: Send {
    /// `audit.append`; `detail` is a JSON object already checked.
    async fn audit(
        &mut self,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<(), ModuleError>;
}

/// `events`: what the module tells its organization's other modules.
#[async_trait::async_trait]
pub trait Events: Send {
    /// `events.publish`; the topic is already checked.
    async fn publish(&mut self, topic: &str, payload: &str) -> Result<(), ModuleError>;
}

/// `orgs`: the calling organization's line in the tree.
#[async_trait::async_trait]
pub trait Orgs: Send {
    /// The call's organization, the organizations above it and those below
    /// it, each with whether the calling module is enabled there. Nothing
    /// outside that line.
    async fn org_line(&mut self) -> Result<OrgLine, ModuleError>;
}

/// `messages`: the module's messages to itself in other organizations.
#[async_trait::async_trait]
pub trait Messages: Send {
    /// `messages.send`. The runtime has checked the kind, the payload, and
    /// that `to_org` is in the caller's line with the module enabled there
    /// (and audited a refusal itself); the embedder writes the message and
    /// audits it in the sender's chain, in the call's transaction.
    async fn send_message(
        &mut self,
        to_org: &str,
        kind: &str,
        payload: &str,
    ) -> Result<u64, ModuleError>;

    /// Notes that this call's module received `message` in the call's
    /// organization, and audits it there; the runtime does this first,
    /// before the module runs. `false` when it had been received already
    /// (a second call racing for it waits for the first to end): the
    /// module is then not called.
    async fn receive_message(&mut self, message: &crate::api::Message)
    -> Result<bool, ModuleError>;
}

/// `people`: who in the call's organization holds the module's roles.
#[async_trait::async_trait]
pub trait People: Send {
    /// The active users of the call's organization who hold one of `roles`
    /// (the calling module's, qualified, e.g. `tasks.worker`) there,
    /// directly or through a group; by name.
    async fn holders(&mut self, roles: &[String]) -> Result<Vec<Person>, ModuleError>;
}

/// `connections`: what of the module's connections goes with the call's
/// writes.
#[async_trait::async_trait]
pub trait Connections: Send {
    /// Hands `request` over for delivery through `connection` under `key`
    /// (or one the embedder makes); a key handed over before gives that
    /// delivery's id. `Forbidden` when the connection is not set up in
    /// the organization.
    async fn queue_delivery(
        &mut self,
        connection: &str,
        key: Option<&str>,
        request: &Outgoing,
    ) -> Result<u64, ModuleError>;
    /// The delivery `id` of the module in the organization.
    async fn delivery(&mut self, id: u64) -> Result<Option<ConnectionDelivery>, ModuleError>;
    /// Notes, first in the call's transaction, that `hook` was received:
    /// `false` when it had been received before.
    async fn receive_webhook(&mut self, hook: &crate::api::Webhook) -> Result<bool, ModuleError>;
}

/// `addresses`: the address register (public data, the same for every
/// organization).
#[async_trait::async_trait]
pub trait Addresses: Send {
    /// The current addresses whose words begin with every word of `query`,
    /// best first, at most `limit`.
    async fn search_addresses(
        &mut self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<Address>, ModuleError>;
    /// The current address nearest to a position, and how far it is in
    /// metres.
    async fn nearest_address(
        &mut self,
        latitude: f64,
        longitude: f64,
    ) -> Result<Option<(Address, f64)>, ModuleError>;
    /// The address with `code`, retired or not.
    async fn address(&mut self, code: i64) -> Result<Option<Address>, ModuleError>;
}

pub use portico_types::places::Address;

/// A user of the call's organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their id.
    pub user_id: String,
    /// Their name.
    pub name: String,
}

/// What kind of body an organization is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    /// A region: a root.
    Region,
    /// A city or municipality: a root.
    City,
    /// An organization founded by another.
    Organization,
    /// A unit of an organization.
    Unit,
}

/// An organization as a module sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: OrgKind,
    /// What it does (`school`, `hospital`…), if set.
    pub category: Option<String>,
    /// Its IČO.
    pub ico: Option<String>,
    /// Its address, on one line.
    pub address: Option<String>,
    /// The organization above it.
    pub parent: Option<String>,
    /// Whether the calling module is enabled there.
    pub module_enabled: bool,
}

/// The calling organization's line: itself, above it, below it.
#[derive(Debug, Clone)]
pub struct OrgLine {
    /// The call's organization.
    pub current: Organization,
    /// Those above it, the parent first.
    pub ancestors: Vec<Organization>,
    /// Those below it, each after its parent, siblings by name.
    pub descendants: Vec<Organization>,
}

impl OrgLine {
    /// The organization `id` if it is in the line.
    pub fn find(&self, id: &str) -> Option<&Organization> {
        std::iter::once(&self.current)
            .chain(&self.ancestors)
            .chain(&self.descendants)
            .find(|o| o.id == id)
    }
}

/// `notify`: messages to people.
#[async_trait::async_trait]
pub trait Notify: Send {
    /// `notify.send`, rendered from the manifest's template already.
    async fn notify(&mut self, message: Message) -> Result<String, ModuleError>;
    /// `notify.status`
    async fn notification(&mut self, id: &str) -> Result<Delivery, ModuleError>;
    /// The language the portal user `user_id` chose to read it in, if any:
    /// what a message to them is written in.
    async fn language_of(&mut self, user_id: &str) -> Result<Option<String>, ModuleError>;
}

/// `files`: the module's stored files.
#[async_trait::async_trait]
pub trait Files: Send {
    /// `files.store`
    async fn store_file(&mut self, file: NewFile) -> Result<FileInfo, ModuleError>;
    /// `files.info`
    async fn file_info(&mut self, id: &str) -> Result<FileInfo, ModuleError>;
    /// `files.read`
    async fn read_file(&mut self, id: &str) -> Result<Vec<u8>, ModuleError>;
    /// `files.delete`
    async fn delete_file(&mut self, id: &str) -> Result<(), ModuleError>;
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A portal user's inbox.
    User(String),
    /// An e-mail address.
    Email(String),
    /// A phone number.
    Phone(String),
}

/// A message rendered from a manifest template.
#[derive(Debug, Clone)]
pub struct Message {
    /// To whom.
    pub to: Recipient,
    /// The template's name.
    pub template: String,
    /// The rendered subject.
    pub subject: String,
    /// The rendered text (the SMS text for a phone).
    pub body: String,
}

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting to be sent.
    Queued,
    /// Sent.
    Sent,
    /// In the inbox.
    Delivered,
    /// Failed for good.
    Failed,
}

/// What the host knows of a message.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Where it is.
    pub status: DeliveryStatus,
    /// Failed attempts.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was sent (RFC 3339).
    pub sent_at: Option<String>,
    /// When it was read (RFC 3339).
    pub read_at: Option<String>,
}

/// A retention mark of the records schedule, shared with the platform.
pub use portico_types::RetentionMark;

/// A file to store.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Its name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its content.
    pub content: Vec<u8>,
    /// Its retention mark.
    pub mark: RetentionMark,
    /// Its retention period in years.
    pub years: u32,
}

/// A stored file.
#[derive(Debug, Clone)]
pub struct FileInfo {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size.
    pub size: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its retention mark.
    pub mark: RetentionMark,
    /// Kept until (RFC 3339).
    pub keep_until: String,
    /// Stored at (RFC 3339).
    pub created_at: String,
}

/// Host services with no stored settings and no data store: every setting
/// has its default, and data operations are `unavailable`.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultsOnly;

#[async_trait::async_trait]
impl HostServices for DefaultsOnly {
    async fn setting(&self, _org_id: &str, _module: &str, _key: &str) -> Option<String> {
        None
    }

    async fn begin(&self, _scope: CallScope) -> Result<Box<dyn Work>, ModuleError> {
        Err(ModuleError::Unavailable(
            "this host has no data store".into(),
        ))
    }
}
