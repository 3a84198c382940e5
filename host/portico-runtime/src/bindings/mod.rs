//! The bindings of every supported version of `portico:plugin`, one module
//! per version, each calling its own exports and converting what they
//! take and give into the host's model in [`crate::api`]. [`Exports`] is
//! one variant per version: the call lifecycle (`module.rs`) calls it
//! without knowing versions. The generated code stays private to this
//! crate. A released version's module never changes; a new version adds a
//! module, an [`ApiVersion`] and an [`Exports`] variant.

use wasmtime::Store;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, Lift, Lower,
};

use crate::api::{self, ModuleError};
use crate::host::CallState;

pub(crate) mod v0_1_0;
pub(crate) mod v0_2_0;
pub(crate) mod v0_3_0;
pub(crate) mod v0_4_0;
pub(crate) mod v0_5_0;

/// What a call of an export gives: a trap or fault of the call (outer), or
/// the module's own answer (inner).
pub(crate) type Answer<T> = wasmtime::Result<Result<T, ModuleError>>;

/// Where each export of a module is, resolved once at load, in the version
/// of `portico:plugin` it was built against.
pub(crate) enum Exports {
    /// `portico:plugin@0.1.0`
    V0_1_0(v0_1_0::Exports),
    /// `portico:plugin@0.2.0`
    V0_2_0(v0_2_0::Exports),
    /// `portico:plugin@0.3.0`
    V0_3_0(v0_3_0::Exports),
    /// `portico:plugin@0.4.0`
    V0_4_0(v0_4_0::Exports),
    /// `portico:plugin@0.5.0`
    V0_5_0(v0_5_0::Exports),
}

impl Exports {
    /// The exports of the newest version whose `module` interface the
    /// component exports.
    pub(crate) fn find(component: &Component) -> Result<Exports, String> {
        let (version, interface) = ApiVersion::SUPPORTED
            .into_iter()
            .find_map(|v| Some((v, component.get_export_index(None, v.module_export())?)))
            .ok_or_else(|| {
                let known: Vec<&str> = ApiVersion::SUPPORTED
                    .iter()
                    .map(|v| v.module_export())
                    .collect();
                format!(
                    "the component exports none of the module interfaces this host serves ({})",
                    known.join(", ")
                )
            })?;
        let export = version.module_export();
        let find = |name: &str| {
            component
                .get_export_index(Some(&interface), name)
                .ok_or_else(|| format!("the component's {export} has no `{name}`"))
        };
        Ok(match version {
            ApiVersion::V0_1_0 => Exports::V0_1_0(v0_1_0::Exports::find(find)?),
            ApiVersion::V0_2_0 => Exports::V0_2_0(v0_2_0::Exports::find(find)?),
            ApiVersion::V0_3_0 => Exports::V0_3_0(v0_3_0::Exports::find(find)?),
            ApiVersion::V0_4_0 => Exports::V0_4_0(v0_4_0::Exports::find(find)?),
            ApiVersion::V0_5_0 => Exports::V0_5_0(v0_5_0::Exports::find(find)?),
        })
    }

    /// The version the module was built against.
    pub(crate) fn version(&self) -> ApiVersion {
        match self {
            Exports::V0_1_0(_) => ApiVersion::V0_1_0,
            Exports::V0_2_0(_) => ApiVersion::V0_2_0,
            Exports::V0_3_0(_) => ApiVersion::V0_3_0,
            Exports::V0_4_0(_) => ApiVersion::V0_4_0,
            Exports::V0_5_0(_) => ApiVersion::V0_5_0,
        }
    }

    /// The exports whose types have not changed since 0.4.0.
    fn since_v0_4_0(&self) -> Option<&v0_4_0::Exports> {
        match self {
            Exports::V0_4_0(e) => Some(e),
            Exports::V0_5_0(e) => Some(&e.earlier),
            _ => None,
        }
    }

    /// The exports whose types have not changed since 0.3.0.
    fn since_v0_3_0(&self) -> Option<&v0_3_0::Exports> {
        match self {
            Exports::V0_1_0(_) | Exports::V0_2_0(_) => None,
            Exports::V0_3_0(e) => Some(e),
            _ => self.since_v0_4_0().map(|e| &e.earlier),
        }
    }

    /// The exports whose types have not changed since 0.2.0.
    fn since_v0_2_0(&self) -> Option<&v0_2_0::Exports> {
        match self {
            Exports::V0_1_0(_) => None,
            Exports::V0_2_0(e) => Some(e),
            _ => self.since_v0_3_0().map(|e| &e.earlier),
        }
    }

    /// The exports whose types have not changed since 0.1.0.
    fn unchanged(&self) -> &v0_1_0::Exports {
        match self {
            Exports::V0_1_0(e) => e,
            Exports::V0_2_0(e) => &e.unchanged,
            Exports::V0_3_0(e) => &e.earlier.unchanged,
            Exports::V0_4_0(e) => &e.earlier.earlier.unchanged,
            Exports::V0_5_0(e) => &e.earlier.earlier.earlier.unchanged,
        }
    }

    /// Checks the type of every export once, at load: a call then checks
    /// only its own.
    pub(crate) fn check(
        &self,
        pre: &wasmtime::component::InstancePre<CallState>,
    ) -> Result<(), String> {
        let typed = match self {
            Exports::V0_1_0(_) => v0_1_0::PortalModulePre::new(pre.clone()).map(drop),
            Exports::V0_2_0(_) => v0_2_0::PortalModulePre::new(pre.clone()).map(drop),
            Exports::V0_3_0(_) => v0_3_0::PortalModulePre::new(pre.clone()).map(drop),
            Exports::V0_4_0(_) => v0_4_0::generated::PortalModulePre::new(pre.clone()).map(drop),
            Exports::V0_5_0(_) => v0_5_0::generated::PortalModulePre::new(pre.clone()).map(drop),
        };
        let version = self.version();
        typed.map_err(|e| {
            format!(
                "the component's {} does not match portico:plugin@{version}: {e:#}",
                version.module_export()
            )
        })
    }

    /// `describe`
    pub(crate) async fn describe(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<api::ModuleInfo> {
        self.unchanged().describe(store, instance).await
    }

    /// `render`
    pub(crate) async fn render(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        route: api::RouteMatch,
    ) -> Answer<api::View> {
        if let Exports::V0_5_0(e) = self {
            return e.render(store, instance, ctx, route).await;
        }
        match (self.since_v0_4_0(), self.since_v0_2_0()) {
            (Some(e), _) => e.render(store, instance, ctx, route).await,
            (_, Some(e)) => e.render(store, instance, ctx, route).await,
            (_, None) => self.unchanged().render(store, instance, ctx, route).await,
        }
    }

    /// `submit`
    pub(crate) async fn submit(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        form: api::FormPost,
    ) -> Answer<api::Outcome> {
        if let Exports::V0_5_0(e) = self {
            return e.submit(store, instance, ctx, form).await;
        }
        match (self.since_v0_4_0(), self.since_v0_2_0()) {
            (Some(e), _) => e.submit(store, instance, ctx, form).await,
            (_, Some(e)) => e.submit(store, instance, ctx, form).await,
            (_, None) => self.unchanged().submit(store, instance, ctx, form).await,
        }
    }

    /// `handle`
    pub(crate) async fn handle(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        req: api::Request,
    ) -> Answer<api::Response> {
        self.unchanged().handle(store, instance, ctx, req).await
    }

    /// `run-job`
    pub(crate) async fn run_job(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        job: &str,
    ) -> Answer<()> {
        self.unchanged().run_job(store, instance, ctx, job).await
    }

    /// `on-event`
    pub(crate) async fn on_event(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        event: api::Event,
    ) -> Answer<()> {
        self.unchanged().on_event(store, instance, ctx, event).await
    }

    /// Whether the module has a `migrate` (0.2.0 on).
    pub(crate) fn migrates(&self) -> bool {
        self.since_v0_2_0().is_some()
    }

    /// `migrate`; a 0.1.0 module has nothing to migrate.
    pub(crate) async fn migrate(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        from: &str,
    ) -> Answer<()> {
        match self.since_v0_2_0() {
            None => Ok(Ok(())),
            Some(e) => e.migrate(store, instance, ctx, from).await,
        }
    }

    /// `on-message`; a module built before 0.3.0 receives no messages.
    pub(crate) async fn on_message(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        message: api::Message,
    ) -> Answer<()> {
        match self.since_v0_3_0() {
            Some(e) => e.on_message(store, instance, ctx, message).await,
            None => Ok(Err(ModuleError::NotFound(format!(
                "the module is built against portico:plugin@{} and receives no messages",
                self.version()
            )))),
        }
    }

    /// Whether the module has an `on-webhook` (0.5.0 on).
    pub(crate) fn receives_webhooks(&self) -> bool {
        matches!(self, Exports::V0_5_0(_))
    }

    /// `on-webhook`; a module built before 0.5.0 receives no webhooks.
    pub(crate) async fn on_webhook(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        hook: api::Webhook,
    ) -> Answer<()> {
        match self {
            Exports::V0_5_0(e) => e.on_webhook(store, instance, ctx, hook).await,
            _ => Ok(Err(ModuleError::NotFound(format!(
                "the module is built against portico:plugin@{} and receives no webhooks",
                self.version()
            )))),
        }
    }
}

/// Calls the export at `index` with `params`, checking its type first.
async fn call<P, R>(
    store: &mut Store<CallState>,
    instance: &Instance,
    index: &ComponentExportIndex,
    params: P,
) -> wasmtime::Result<R>
where
    P: ComponentNamedList + Lower + Send + Sync,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    let f = instance.get_typed_func::<P, R>(&mut *store, index)?;
    f.call_async(&mut *store, params).await
}

/// The version of `portico:plugin` a component was built against, read from
/// the `module` interface it exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    /// `portico:plugin@0.1.0`
    V0_1_0,
    /// `portico:plugin@0.2.0`
    V0_2_0,
    /// `portico:plugin@0.3.0`
    V0_3_0,
    /// `portico:plugin@0.4.0`
    V0_4_0,
    /// `portico:plugin@0.5.0`
    V0_5_0,
}

impl ApiVersion {
    /// Every version this host serves, newest first.
    pub const SUPPORTED: [ApiVersion; 5] = [
        ApiVersion::V0_5_0,
        ApiVersion::V0_4_0,
        ApiVersion::V0_3_0,
        ApiVersion::V0_2_0,
        ApiVersion::V0_1_0,
    ];

    /// The version as written in WIT, e.g. `0.2.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V0_1_0 => "0.1.0",
            ApiVersion::V0_2_0 => "0.2.0",
            ApiVersion::V0_3_0 => "0.3.0",
            ApiVersion::V0_4_0 => "0.4.0",
            ApiVersion::V0_5_0 => "0.5.0",
        }
    }

    /// The name of the `module` interface a component of this version exports.
    pub(crate) fn module_export(self) -> &'static str {
        match self {
            ApiVersion::V0_1_0 => v0_1_0::MODULE_EXPORT,
            ApiVersion::V0_2_0 => v0_2_0::MODULE_EXPORT,
            ApiVersion::V0_3_0 => v0_3_0::MODULE_EXPORT,
            ApiVersion::V0_4_0 => v0_4_0::MODULE_EXPORT,
            ApiVersion::V0_5_0 => v0_5_0::MODULE_EXPORT,
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
