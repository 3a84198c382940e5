//! The bindings of every supported version of `portico:plugin`, one module
//! per version, each converting into the host's model in [`crate::api`].
//! The generated code stays private to this crate. A released version's
//! module never changes; a new version adds a module and an [`ApiVersion`].

pub(crate) mod v0_1_0;
pub(crate) mod v0_2_0;

/// The version of `portico:plugin` a component was built against, read from
/// the `module` interface it exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    /// `portico:plugin@0.1.0`
    V0_1_0,
    /// `portico:plugin@0.2.0`
    V0_2_0,
}

impl ApiVersion {
    /// Every version this host serves, newest first.
    pub const SUPPORTED: [ApiVersion; 2] = [ApiVersion::V0_2_0, ApiVersion::V0_1_0];

    /// The version as written in WIT, e.g. `0.2.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V0_1_0 => "0.1.0",
            ApiVersion::V0_2_0 => "0.2.0",
        }
    }

    /// The name of the `module` interface a component of this version exports.
    pub(crate) fn module_export(self) -> &'static str {
        match self {
            ApiVersion::V0_1_0 => v0_1_0::MODULE_EXPORT,
            ApiVersion::V0_2_0 => v0_2_0::MODULE_EXPORT,
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
