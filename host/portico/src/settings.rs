//! Module settings kept in the data folder: `settings/<module-id>.toml`, a
//! table of values by key. Values are checked against the module's manifest
//! when the host starts; a bad value is reported and its default used.

use std::collections::HashMap;
use std::path::Path;

use portico_runtime::HostServices;
use portico_runtime::manifest::Manifest;

/// Settings read from the data folder, by module and key.
#[derive(Debug, Default)]
pub struct SettingsFiles {
    values: HashMap<String, HashMap<String, String>>,
}

impl SettingsFiles {
    /// Reads the settings of every module in `manifests` from `dir`.
    pub fn load<'a>(
        dir: &Path,
        manifests: impl IntoIterator<Item = &'a Manifest>,
    ) -> SettingsFiles {
        let mut values = HashMap::new();
        for manifest in manifests {
            let path = dir.join(format!("{}.toml", manifest.id));
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let table: toml::Table = match toml::from_str(&text) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(file = %path.display(), error = %e, "settings file ignored");
                    continue;
                }
            };
            let mut module = HashMap::new();
            for (key, value) in table {
                let Some(spec) = manifest.settings.get(&key) else {
                    tracing::error!(file = %path.display(), key, "the module declares no such setting; ignored");
                    continue;
                };
                let value = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                match spec.check(&value) {
                    Ok(()) => {
                        module.insert(key, value);
                    }
                    Err(e) => {
                        tracing::error!(file = %path.display(), key, error = %e, "setting ignored; its default applies")
                    }
                }
            }
            values.insert(manifest.id.clone(), module);
        }
        SettingsFiles { values }
    }
}

impl HostServices for SettingsFiles {
    fn setting(&self, _org_id: &str, module: &str, key: &str) -> Option<String> {
        self.values.get(module)?.get(key).cloned()
    }
}
