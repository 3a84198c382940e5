//! The binding of an installed module to the vendor's key that signed
//! it: the refusal of a package signed by another key (`VendorChange`),
//! a platform administrator's approval of that change (`VendorApproval`),
//! what an install found the module bound to (`Binding`), a signer as
//! people read it, and the audit entry of an approved change.

use portico_package::PublicKey;
use portico_platform::audit;
use portico_platform::modules::Signer;
use portico_platform::records::Scope;

/// A package of an installed module, signed by another key than the one
/// the module is bound to.
#[derive(Debug, Clone)]
pub struct VendorChange {
    /// The module's id.
    pub module_id: String,
    /// Who signed the installed version.
    pub installed: Signer,
    /// Who signed the package.
    pub offered: Signer,
}

impl VendorChange {
    /// What the refusal says, in `lang`.
    pub fn message(&self, lang: &str) -> String {
        let id = &self.module_id;
        let cs = lang == "cs";
        let installed = match (&self.installed.key, cs) {
            (Some(_), false) => format!(
                "{id} was installed from a package signed by {}",
                describe(&self.installed, lang)
            ),
            (Some(_), true) => format!(
                "Modul {id} byl nainstalován z balíčku podepsaného dodavatelem {}",
                describe(&self.installed, lang)
            ),
            (None, false) => format!("{id} was installed from an unsigned package"),
            (None, true) => format!("Modul {id} byl nainstalován z nepodepsaného balíčku"),
        };
        let offered = match (&self.offered.key, cs) {
            (Some(_), false) => format!(
                "this package is signed by {}",
                describe(&self.offered, lang)
            ),
            (Some(_), true) => format!(
                "tento balíček podepsal dodavatel {}",
                describe(&self.offered, lang)
            ),
            (None, false) => "this package is not signed".to_owned(),
            (None, true) => "tento balíček není podepsán".to_owned(),
        };
        let rule = if cs {
            "Modul povyšuje jen ten, kdo jej nainstaloval (tentýž klíč), pokud změnu dodavatele \
             výslovně neschválí správce platformy."
        } else {
            "A module is upgraded only with packages signed by the key that installed it, \
             unless a platform administrator approves the change of vendor explicitly."
        };
        format!("{installed}; {offered}. {rule}")
    }

    /// What an administrator approves, in `lang`.
    pub fn approval(&self, lang: &str) -> String {
        let (id, from, to) = (
            &self.module_id,
            describe(&self.installed, lang),
            describe(&self.offered, lang),
        );
        if lang == "cs" {
            format!("Schvaluji změnu dodavatele modulu {id} z {from} na {to}")
        } else {
            format!("Approve the change of vendor of {id} from {from} to {to}")
        }
    }
}

impl std::fmt::Display for VendorChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message("en"))
    }
}

/// A signer as people read it: the vendor and the key's fingerprint.
pub fn describe(signer: &Signer, lang: &str) -> String {
    match &signer.key {
        Some(key) => format!(
            "{} ({} {})",
            signer.vendor,
            if lang == "cs" { "klíč" } else { "key" },
            fingerprint(key)
        ),
        None if lang == "cs" => "nepodepsaný balíček".to_owned(),
        None => "an unsigned package".to_owned(),
    }
}

/// The fingerprint of a key kept in hex (the hex itself, were it damaged).
pub(super) fn fingerprint(key_hex: &str) -> String {
    PublicKey::parse(key_hex).map_or_else(|| key_hex.to_owned(), |k| k.fingerprint())
}

/// How an approval names the signer it approves: its key in hex, or
/// `unsigned`.
pub fn signer_id(signer: &Signer) -> String {
    signer
        .key
        .clone()
        .unwrap_or_else(|| portico_package::UNSIGNED.to_owned())
}

/// Whether a platform administrator approved that a package's signer
/// replaces the one an installed module is bound to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum VendorApproval {
    /// Not approved: a package signed by another key is refused.
    #[default]
    Refused,
    /// Approved for whoever signed the package at hand (the command line,
    /// whose operator names the file).
    ThisPackage,
    /// Approved for this signer only (see [`signer_id`]): the console's
    /// form names the signer its administrator was asked about.
    Signer(String),
}

impl VendorApproval {
    pub(super) fn approves(&self, signer: &Signer) -> bool {
        match self {
            VendorApproval::Refused => false,
            VendorApproval::ThisPackage => true,
            VendorApproval::Signer(id) => *id == signer_id(signer),
        }
    }
}

/// What an installation was bound to before this install or upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// Nothing: a new module, or one whose signer was never recorded.
    New,
    /// The same key that signed the package.
    Same,
    /// Another signer; a platform administrator approved the change.
    Changed(Signer),
}

/// Writes an approved change of `module_id`'s vendor into the platform's
/// chain, as the host's entry, with the work that makes it.
pub(super) async fn audit_vendor_change(
    work: &mut portico_platform::Work,
    actor: &str,
    module_id: &str,
    from: &Signer,
    to: &Signer,
    from_version: Option<&str>,
    version: &str,
) -> Result<(), portico_platform::PlatformError> {
    let signer = |s: &Signer| {
        serde_json::json!({
            "vendor": s.vendor,
            "key": s.key,
            "fingerprint": s.key.as_deref().map(fingerprint),
        })
    };
    let detail = serde_json::json!({
        "from": signer(from),
        "to": signer(to),
        "from_version": from_version,
        "version": version,
    });
    work.enter(Scope {
        org_id: audit::PLATFORM_CHAIN.to_owned(),
        module_id: audit::HOST.to_owned(),
        actor: actor.to_owned(),
    });
    work.audit("module.vendor-change", module_id, detail)
        .await
        .map(drop)
}
