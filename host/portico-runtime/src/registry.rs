//! The modules a host serves: found in a modules folder (one sub-folder per
//! module with `module.toml` and its component), loaded one by one. A
//! module that cannot be loaded is refused with a message naming its file
//! and the problem; the others load regardless.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::ModuleEngine;
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::module::{LoadedModule, ModuleOptions};

/// A module folder or file that was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct LoadError {
    /// The file at fault (manifest or component).
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

/// The modules loaded into a host, by id.
#[derive(Default, Clone)]
pub struct ModuleRegistry {
    modules: BTreeMap<String, Arc<LoadedModule>>,
}

impl ModuleRegistry {
    /// Loads every module folder in `dir`. Returns the registry and what was refused.
    pub async fn load_dir(
        engine: &ModuleEngine,
        dir: &Path,
        options: &ModuleOptions,
    ) -> (ModuleRegistry, Vec<LoadError>) {
        let mut registry = ModuleRegistry::default();
        let mut refused = Vec::new();
        let mut folders = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect::<Vec<_>>(),
            Err(e) => {
                refused.push(LoadError {
                    path: dir.to_owned(),
                    message: format!("cannot read the modules folder: {e}"),
                });
                return (registry, refused);
            }
        };
        folders.sort();
        for folder in folders {
            match load_module(engine, &folder, options).await {
                Ok(module) => {
                    if registry.modules.contains_key(module.id()) {
                        refused.push(LoadError {
                            path: folder.join(MANIFEST_FILE),
                            message: format!(
                                "another folder already provides module `{}`",
                                module.id()
                            ),
                        });
                        continue;
                    }
                    tracing::info!(
                        module = %module.id(),
                        version = %module.manifest().version,
                        code = ?module.code_source(),
                        "module loaded"
                    );
                    registry.insert(module);
                }
                Err(e) => {
                    tracing::error!("module refused: {e}");
                    refused.push(e);
                }
            }
        }
        (registry, refused)
    }

    /// Adds a loaded module (replacing one with the same id).
    pub fn insert(&mut self, module: LoadedModule) {
        self.modules
            .insert(module.id().to_owned(), Arc::new(module));
    }

    /// Adds a module shared with another registry (replacing one with the same id).
    pub fn insert_shared(&mut self, module: Arc<LoadedModule>) {
        self.modules.insert(module.id().to_owned(), module);
    }

    /// The module with `id`.
    pub fn get(&self, id: &str) -> Option<&Arc<LoadedModule>> {
        self.modules.get(id)
    }

    /// Every module, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<LoadedModule>> {
        self.modules.values()
    }

    /// How many modules are loaded.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether no module is loaded.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

/// Loads the module in `folder`: reads and checks its manifest, compiles (or
/// loads from cache) its component, links it and checks its `describe`.
pub async fn load_module(
    engine: &ModuleEngine,
    folder: &Path,
    options: &ModuleOptions,
) -> Result<LoadedModule, LoadError> {
    let manifest_path = folder.join(MANIFEST_FILE);
    if !manifest_path.exists() {
        return Err(LoadError {
            path: folder.to_owned(),
            message: format!("no {MANIFEST_FILE} in the module folder"),
        });
    }
    let manifest = Manifest::from_file(&manifest_path).map_err(|e| LoadError {
        path: manifest_path.clone(),
        message: match e {
            crate::manifest::ManifestError::Read { source, .. } => source.to_string(),
            crate::manifest::ManifestError::Parse { message, .. } => message,
            crate::manifest::ManifestError::Invalid { field, message, .. } => {
                format!("`{field}` {message}")
            }
        },
    })?;
    let component_path = folder.join(&manifest.component);
    let at_component = |message: String| LoadError {
        path: component_path.clone(),
        message,
    };
    let bytes = std::fs::read(&component_path)
        .map_err(|e| at_component(format!("cannot read the component: {e}")))?;
    if !bytes.starts_with(b"\0asm") {
        return Err(at_component(
            "not a WebAssembly file (it does not start with the `\\0asm` magic bytes)".into(),
        ));
    }
    let (component, source) = engine.component(&bytes).map_err(at_component)?;
    LoadedModule::link(
        engine,
        manifest,
        folder.to_owned(),
        component,
        source,
        options,
    )
    .await
    .map_err(|e| {
        // Refused after it compiled: its code is no use to anyone.
        engine.forget(&bytes);
        at_component(e)
    })
}
