//! A Portico module package: one file per module version that holds its
//! manifest, its component, its user manuals, and its vendor's Ed25519
//! signature over all of them.
//!
//! The file is a tar archive. `portico-package.toml` lists every other file
//! with its SHA-256 and names the vendor's public key; `portico-package.sig`
//! is the vendor's signature over the exact bytes of that list. So a
//! package is intact when the signature verifies with a key the portal
//! trusts and every file matches its listed hash, with no file missing and
//! none added. Each check that fails says which one, and which file.
//!
//! ```no_run
//! use portico_package::{Package, TrustStore, VendorKey};
//! let key = VendorKey::generate()?;
//! let bytes = Package::build(std::path::Path::new("target/modules/notice-board"), Some(&key))?;
//! let mut trust = TrustStore::default();
//! trust.add("Portico", key.public());
//! let package = Package::read(&bytes)?;
//! let verified = package.verify(&trust)?;
//! println!("{} {} signed by {}", verified.id, verified.version, verified.vendor);
//! # Ok::<(), portico_package::PackageError>(())
//! ```

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The file that lists the package's contents (signed).
pub const CONTENTS: &str = "portico-package.toml";
/// The file that holds the signature over [`CONTENTS`].
pub const SIGNATURE: &str = "portico-package.sig";
/// The file name ending of a package.
pub const EXTENSION: &str = "portico";
/// The package format this crate reads and writes.
pub const FORMAT: u32 = 1;
/// The vendor named for an unsigned package (development mode).
pub const UNSIGNED: &str = "unsigned";
/// The largest package, in bytes.
pub const MAX_PACKAGE_BYTES: u64 = 64 << 20;

/// Why a package cannot be built, read or trusted.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The package has no signature and the portal is not in development mode.
    #[error(
        "the package is not signed; only a host in development mode installs unsigned packages"
    )]
    Unsigned,
    /// The signing key is not in the trust store.
    #[error(
        "the package is signed by key {fingerprint}, which this portal does not trust (add the vendor's key with `portico trust add`)"
    )]
    UntrustedKey {
        /// The key's fingerprint.
        fingerprint: String,
    },
    /// The signature does not match the list of contents.
    #[error(
        "the signature does not match the package's list of contents: it was altered after signing"
    )]
    BadSignature,
    /// A file differs from what the vendor signed.
    #[error("`{file}` was altered: its SHA-256 is {actual}, the vendor signed {signed}")]
    Altered {
        /// The file.
        file: String,
        /// Its hash now.
        actual: String,
        /// The hash the vendor signed.
        signed: String,
    },
    /// A file the vendor signed is not in the package.
    #[error("`{0}` is signed but missing from the package")]
    Missing(String),
    /// A file is in the package that the vendor did not sign.
    #[error("`{0}` is in the package but the vendor did not sign it")]
    Unlisted(String),
    /// The archive cannot be read, or holds something a package may not.
    #[error("the package cannot be read: {0}")]
    Malformed(String),
    /// A file of the module folder cannot be read, or a key file is wrong.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl PackageError {
    fn file(path: &Path, message: impl std::fmt::Display) -> PackageError {
        PackageError::File {
            path: path.to_owned(),
            message: message.to_string(),
        }
    }
}

/// A vendor's signing key (the secret half stays with the vendor).
pub struct VendorKey(SigningKey);

impl VendorKey {
    /// A new random key.
    pub fn generate() -> Result<VendorKey, PackageError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| PackageError::Malformed(format!("no randomness for a new key: {e}")))?;
        Ok(VendorKey(SigningKey::from_bytes(&secret)))
    }

    /// The key in a key file: its secret as 64 hex digits.
    pub fn read(path: &Path) -> Result<VendorKey, PackageError> {
        let text = std::fs::read_to_string(path).map_err(|e| PackageError::file(path, e))?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                PackageError::file(path, "is not a vendor key (64 hexadecimal digits)")
            })?;
        Ok(VendorKey(SigningKey::from_bytes(&bytes)))
    }

    /// The secret as a key file holds it. Keep it out of logs and repositories.
    pub fn secret_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The public half, which portals trust.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
}

/// A vendor's public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// The key from 64 hex digits.
    pub fn parse(text: &str) -> Option<PublicKey> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok().map(PublicKey)
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// A short name for the key: the first 16 hex digits of its SHA-256.
    pub fn fingerprint(&self) -> String {
        hex::encode(&Sha256::digest(self.0.to_bytes())[..8])
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

/// The vendors' keys a portal trusts, each with the vendor's name.
#[derive(Debug, Default, Clone)]
pub struct TrustStore {
    keys: Vec<(String, PublicKey)>,
}

impl TrustStore {
    /// Trusts `key` as `vendor`'s.
    pub fn add(&mut self, vendor: &str, key: PublicKey) {
        self.keys.retain(|(_, k)| *k != key);
        self.keys.push((vendor.to_owned(), key));
    }

    /// The vendor `key` is trusted as.
    pub fn vendor_of(&self, key: &PublicKey) -> Option<&str> {
        self.keys
            .iter()
            .find(|(_, k)| k == key)
            .map(|(v, _)| v.as_str())
    }

    /// Every trusted key.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &PublicKey)> {
        self.keys.iter().map(|(v, k)| (v.as_str(), k))
    }

    /// The store kept in `dir`: one `<vendor>.pub` file per key, holding
    /// the key in hex. A missing folder is an empty store.
    pub fn load(dir: &Path) -> Result<TrustStore, PackageError> {
        let mut store = TrustStore::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(store);
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pub"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|e| PackageError::file(&path, e))?;
            let key = PublicKey::parse(&text).ok_or_else(|| {
                PackageError::file(&path, "is not a public key (64 hexadecimal digits)")
            })?;
            let vendor = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            store.add(&vendor, key);
        }
        Ok(store)
    }
}

/// What `portico-package.toml` says: the format, the key, and every file's hash.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    format: u32,
    /// The vendor's public key, hex.
    key: String,
    /// File name → SHA-256, hex.
    files: BTreeMap<String, String>,
}

/// The parts of the manifest a package needs to name itself.
#[derive(Debug, Deserialize)]
struct ManifestHead {
    id: String,
    version: String,
    component: String,
}

/// A package as read from its file, not yet trusted.
#[derive(Debug)]
pub struct Package {
    files: BTreeMap<String, Vec<u8>>,
    contents: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
}

/// A package whose signature and files check out.
#[derive(Debug)]
pub struct Verified {
    /// The module's id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// The vendor the key is trusted as (`unsigned` in development mode).
    pub vendor: String,
    /// The signing key's fingerprint, if signed.
    pub fingerprint: Option<String>,
    /// The signing key, if signed: what an installed module is bound to.
    pub key: Option<PublicKey>,
    /// The module's files: the manifest, the component, the manuals.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Verified {
    /// Writes the module's files into `dir` (which must not exist yet).
    pub fn unpack(&self, dir: &Path) -> Result<(), PackageError> {
        std::fs::create_dir_all(dir).map_err(|e| PackageError::file(dir, e))?;
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(|e| PackageError::file(&path, e))?;
        }
        Ok(())
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `name` may be a file of a package: one plain file name.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl Package {
    /// Packs a built module folder (its `module.toml`, the component it
    /// names, and its `manual*.md`), signed with `key` (unsigned without).
    pub fn build(module_dir: &Path, key: Option<&VendorKey>) -> Result<Vec<u8>, PackageError> {
        Package::build_with(module_dir, None, key)
    }

    /// Packs a module crate built for wasm32-wasip2: its `module.toml` and
    /// manuals from `crate_dir`, the component from `component` (the
    /// build's output, e.g. `target/wasm32-wasip2/release/<component>`).
    pub fn build_crate(
        crate_dir: &Path,
        component: &Path,
        key: Option<&VendorKey>,
    ) -> Result<Vec<u8>, PackageError> {
        Package::build_with(crate_dir, Some(component), key)
    }

    /// The component the manifest in `module_dir` names.
    pub fn component_name(module_dir: &Path) -> Result<String, PackageError> {
        let manifest_path = module_dir.join("module.toml");
        let manifest =
            std::fs::read(&manifest_path).map_err(|e| PackageError::file(&manifest_path, e))?;
        let head: ManifestHead = toml::from_str(&String::from_utf8_lossy(&manifest))
            .map_err(|e| PackageError::file(&manifest_path, e))?;
        Ok(head.component)
    }

    fn build_with(
        module_dir: &Path,
        component: Option<&Path>,
        key: Option<&VendorKey>,
    ) -> Result<Vec<u8>, PackageError> {
        let manifest_path = module_dir.join("module.toml");
        let manifest =
            std::fs::read(&manifest_path).map_err(|e| PackageError::file(&manifest_path, e))?;
        let head: ManifestHead = toml::from_str(&String::from_utf8_lossy(&manifest))
            .map_err(|e| PackageError::file(&manifest_path, e))?;
        let mut names = vec!["module.toml".to_owned(), head.component.clone()];
        let entries =
            std::fs::read_dir(module_dir).map_err(|e| PackageError::file(module_dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("manual") && name.ends_with(".md") {
                names.push(name);
            }
        }
        names.sort();
        names.dedup();
        let mut files = BTreeMap::new();
        for name in names {
            if !plain_name(&name) {
                return Err(PackageError::file(
                    &module_dir.join(&name),
                    "a package holds plain file names only (letters, digits, `.`, `-`, `_`)",
                ));
            }
            let path = match component {
                Some(built) if name == head.component => built.to_owned(),
                _ => module_dir.join(&name),
            };
            let bytes = std::fs::read(&path).map_err(|e| PackageError::file(&path, e))?;
            files.insert(name, bytes);
        }
        let mut builder = tar::Builder::new(Vec::new());
        let mut append = |name: &str, bytes: &[u8]| {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, name, bytes)
                .map_err(|e| PackageError::Malformed(e.to_string()))
        };
        if let Some(key) = key {
            let contents = Contents {
                format: FORMAT,
                key: key.public().to_hex(),
                files: files
                    .iter()
                    .map(|(n, b)| (n.clone(), sha256_hex(b)))
                    .collect(),
            };
            let text =
                toml::to_string(&contents).map_err(|e| PackageError::Malformed(e.to_string()))?;
            let signature = key.0.sign(text.as_bytes());
            append(CONTENTS, text.as_bytes())?;
            append(SIGNATURE, hex::encode(signature.to_bytes()).as_bytes())?;
        }
        for (name, bytes) in &files {
            append(name, bytes)?;
        }
        builder
            .into_inner()
            .map_err(|e| PackageError::Malformed(e.to_string()))
    }

    /// Reads a package file's archive (nothing is trusted yet).
    pub fn read(bytes: &[u8]) -> Result<Package, PackageError> {
        if bytes.len() as u64 > MAX_PACKAGE_BYTES {
            return Err(PackageError::Malformed(format!(
                "it is larger than {} MiB",
                MAX_PACKAGE_BYTES >> 20
            )));
        }
        let mut archive = tar::Archive::new(bytes);
        let mut files = BTreeMap::new();
        let (mut contents, mut signature) = (None, None);
        let entries = archive
            .entries()
            .map_err(|e| PackageError::Malformed(e.to_string()))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| PackageError::Malformed(e.to_string()))?;
            let name = entry
                .path()
                .map_err(|e| PackageError::Malformed(e.to_string()))?
                .to_string_lossy()
                .into_owned();
            if entry.header().entry_type() != tar::EntryType::Regular || !plain_name(&name) {
                return Err(PackageError::Malformed(format!(
                    "`{name}` is not a plain file; a package holds plain files only"
                )));
            }
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(|e| PackageError::Malformed(format!("`{name}`: {e}")))?;
            let slot = match name.as_str() {
                CONTENTS => &mut contents,
                SIGNATURE => &mut signature,
                _ => {
                    if files.insert(name.clone(), data).is_some() {
                        return Err(PackageError::Malformed(format!("`{name}` is in it twice")));
                    }
                    continue;
                }
            };
            if slot.replace(data).is_some() {
                return Err(PackageError::Malformed(format!("`{name}` is in it twice")));
            }
        }
        if !files.contains_key("module.toml") {
            return Err(PackageError::Malformed("it holds no `module.toml`".into()));
        }
        Ok(Package {
            files,
            contents,
            signature,
        })
    }

    /// Checks the signature against `trust` and every file against what
    /// was signed.
    pub fn verify(self, trust: &TrustStore) -> Result<Verified, PackageError> {
        let (Some(contents), Some(signature)) = (&self.contents, &self.signature) else {
            return Err(PackageError::Unsigned);
        };
        let listed: Contents = toml::from_str(&String::from_utf8_lossy(contents))
            .map_err(|_| PackageError::BadSignature)?;
        let key = PublicKey::parse(&listed.key).ok_or(PackageError::BadSignature)?;
        let vendor = trust
            .vendor_of(&key)
            .ok_or_else(|| PackageError::UntrustedKey {
                fingerprint: key.fingerprint(),
            })?
            .to_owned();
        let signature: [u8; 64] = hex::decode(String::from_utf8_lossy(signature).trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(PackageError::BadSignature)?;
        key.0
            .verify_strict(contents, &Signature::from_bytes(&signature))
            .map_err(|_| PackageError::BadSignature)?;
        if listed.format != FORMAT {
            return Err(PackageError::Malformed(format!(
                "it is in package format {}, this host reads format {FORMAT}",
                listed.format
            )));
        }
        for (name, signed) in &listed.files {
            let Some(bytes) = self.files.get(name) else {
                return Err(PackageError::Missing(name.clone()));
            };
            let actual = sha256_hex(bytes);
            if &actual != signed {
                return Err(PackageError::Altered {
                    file: name.clone(),
                    actual,
                    signed: signed.clone(),
                });
            }
        }
        if let Some(extra) = self.files.keys().find(|n| !listed.files.contains_key(*n)) {
            return Err(PackageError::Unlisted(extra.clone()));
        }
        self.into_verified(vendor, Some(key))
    }

    /// Accepts the package without a signature: for a host in development
    /// mode only. A signed package is still checked in full.
    pub fn verify_or_accept_unsigned(self, trust: &TrustStore) -> Result<Verified, PackageError> {
        if self.contents.is_none() && self.signature.is_none() {
            return self.into_verified(UNSIGNED.into(), None);
        }
        self.verify(trust)
    }

    fn into_verified(
        self,
        vendor: String,
        key: Option<PublicKey>,
    ) -> Result<Verified, PackageError> {
        let manifest = self
            .files
            .get("module.toml")
            .map(|b| String::from_utf8_lossy(b));
        let head: ManifestHead = toml::from_str(manifest.as_deref().unwrap_or(""))
            .map_err(|e| PackageError::Malformed(format!("its module.toml: {e}")))?;
        if !self.files.contains_key(&head.component) {
            return Err(PackageError::Missing(head.component));
        }
        Ok(Verified {
            id: head.id,
            version: head.version,
            vendor,
            fingerprint: key.map(|k| k.fingerprint()),
            key,
            files: self.files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a folder");
        std::fs::write(
            dir.path().join("module.toml"),
            "schema = 1\nid = \"demo\"\nversion = \"1.2.3\"\nname = \"Demo\"\ncomponent = \"demo.wasm\"\n",
        )
        .expect("write");
        std::fs::write(dir.path().join("demo.wasm"), b"\0asm not really").expect("write");
        std::fs::write(dir.path().join("manual.md"), "# Demo\n").expect("write");
        std::fs::write(dir.path().join("notes.txt"), "not packed").expect("write");
        dir
    }

    #[test]
    fn a_signed_package_verifies_with_a_trusted_key_only() {
        let dir = module_dir();
        let key = VendorKey::generate().expect("a key");
        let bytes = Package::build(dir.path(), Some(&key)).expect("packed");
        let mut trust = TrustStore::default();
        let untrusted = Package::read(&bytes).expect("read").verify(&trust);
        assert!(
            matches!(untrusted, Err(PackageError::UntrustedKey { ref fingerprint }) if *fingerprint == key.public().fingerprint()),
            "{untrusted:?}"
        );
        trust.add("Demo s.r.o.", key.public());
        let ok = Package::read(&bytes)
            .expect("read")
            .verify(&trust)
            .expect("verified");
        assert_eq!((ok.id.as_str(), ok.version.as_str()), ("demo", "1.2.3"));
        assert_eq!(ok.vendor, "Demo s.r.o.");
        let names: Vec<&str> = ok.files.keys().map(String::as_str).collect();
        assert_eq!(names, ["demo.wasm", "manual.md", "module.toml"]);
    }

    #[test]
    fn every_changed_byte_is_found() {
        let dir = module_dir();
        let key = VendorKey::generate().expect("a key");
        let bytes = Package::build(dir.path(), Some(&key)).expect("packed");
        let mut trust = TrustStore::default();
        trust.add("Demo", key.public());
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[i] ^= 0x01;
            if let Ok(p) = Package::read(&altered)
                && let Ok(v) = p.verify(&trust)
            {
                // Only bytes no file's content covers (tar padding, header
                // fields the archive does not use) may change unnoticed.
                let same = Package::read(&bytes)
                    .expect("read")
                    .verify(&trust)
                    .expect("ok");
                assert_eq!(v.files, same.files, "byte {i} changed a file unnoticed");
            }
        }
    }

    #[test]
    fn unsigned_packages_need_development_mode() {
        let dir = module_dir();
        let bytes = Package::build(dir.path(), None).expect("packed");
        let trust = TrustStore::default();
        assert!(matches!(
            Package::read(&bytes).expect("read").verify(&trust),
            Err(PackageError::Unsigned)
        ));
        let dev = Package::read(&bytes)
            .expect("read")
            .verify_or_accept_unsigned(&trust)
            .expect("accepted in development mode");
        assert_eq!(dev.vendor, "unsigned");
    }
}
