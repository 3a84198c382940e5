//! Loading modules: bad files are refused with the file and the problem
//! named, the rest load; compiled code is cached across restarts.

use portico_runtime::{CodeSource, EngineConfig, ModuleEngine, ModuleOptions, ModuleRegistry};
use portico_tests::{copy_module, engine, module_dir};

#[tokio::test]
async fn broken_modules_are_refused_by_name_and_the_others_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let modules = dir.path();
    copy_module("notice-board", &modules.join("notice-board"));
    copy_module("trapper", &modules.join("trapper"));

    // A component file that is not WebAssembly.
    copy_module("looper", &modules.join("garbage"));
    std::fs::write(
        modules.join("garbage/looper.wasm"),
        b"this is not a component",
    )
    .unwrap();
    // A truncated component.
    copy_module("memory-hog", &modules.join("truncated"));
    let wasm = modules.join("truncated/memory_hog.wasm");
    let bytes = std::fs::read(&wasm).unwrap();
    std::fs::write(&wasm, &bytes[..bytes.len() / 2]).unwrap();
    // A manifest that is not TOML, and one that breaks a rule.
    copy_module("sneaky", &modules.join("bad-toml"));
    std::fs::write(modules.join("bad-toml/module.toml"), "id = [unclosed").unwrap();
    copy_module("sneaky", &modules.join("bad-id"));
    let manifest = std::fs::read_to_string(modules.join("bad-id/module.toml")).unwrap();
    std::fs::write(
        modules.join("bad-id/module.toml"),
        manifest.replace("id = \"sneaky\"", "id = \"Sneaky Module\""),
    )
    .unwrap();
    // A manifest whose id does not match the component's own.
    copy_module("sneaky", &modules.join("impostor"));
    let manifest = std::fs::read_to_string(modules.join("impostor/module.toml")).unwrap();
    std::fs::write(
        modules.join("impostor/module.toml"),
        manifest.replace("id = \"sneaky\"", "id = \"payments\""),
    )
    .unwrap();

    let (registry, refused) =
        ModuleRegistry::load_dir(engine(), modules, &ModuleOptions::default()).await;
    let loaded: Vec<&str> = registry.iter().map(|m| m.id()).collect();
    assert_eq!(loaded, ["notice-board", "trapper"]);

    let message = |folder: &str| {
        refused
            .iter()
            .find(|e| e.path.starts_with(modules.join(folder)))
            .unwrap_or_else(|| panic!("{folder} is refused: {refused:?}"))
            .to_string()
    };
    let garbage = message("garbage");
    assert!(
        garbage.contains("garbage/looper.wasm") && garbage.contains("not a WebAssembly file"),
        "{garbage}"
    );
    let truncated = message("truncated");
    assert!(
        truncated.contains("truncated/memory_hog.wasm")
            && truncated.contains("not a valid component"),
        "{truncated}"
    );
    let bad_toml = message("bad-toml");
    assert!(
        bad_toml.contains("bad-toml/module.toml") && bad_toml.contains("line 1"),
        "{bad_toml}"
    );
    let bad_id = message("bad-id");
    assert!(
        bad_id.contains("bad-id/module.toml") && bad_id.contains("`id`"),
        "{bad_id}"
    );
    let impostor = message("impostor");
    assert!(
        impostor.contains("says it is sneaky@0.1.0 but the manifest says payments@0.1.0"),
        "{impostor}"
    );
    assert_eq!(refused.len(), 5, "{refused:#?}");
}

#[tokio::test]
async fn a_component_importing_what_the_host_does_not_provide_is_refused_before_it_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let engine = ModuleEngine::new(&EngineConfig {
        cache_dir: Some(cache.path().to_owned()),
        ..EngineConfig::default()
    })
    .unwrap();
    let refusal = async |name: &str, bytes: Vec<u8>| {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("vault.wasm"), bytes).unwrap();
        std::fs::write(
            folder.join("module.toml"),
            format!("schema = 1\nid = \"{name}\"\nversion = \"0.1.0\"\nname = \"Vault\"\ncomponent = \"vault.wasm\"\n"),
        )
        .unwrap();
        portico_runtime::load_module(&engine, &folder, &ModuleOptions::default())
            .await
            .err()
            .expect("refused")
            .to_string()
    };
    // An interface nobody links: named, with what a module may import.
    let e = refusal("vault", component_importing("acme:vault/secrets@1.0.0")).await;
    for says in [
        "vault/vault.wasm",
        "imports what Portico does not provide: `acme:vault/secrets@1.0.0`",
        "WASI 0.2",
    ] {
        assert!(e.contains(says), "{says}: {e}");
    }
    // WASI 0.3 is not 0.2.
    let e = refusal("vault-p3", component_importing("wasi:io/poll@0.3.0")).await;
    assert!(e.contains("`wasi:io/poll@0.3.0`"), "{e}");
    // A core module is not a component, and the refusal says what to do.
    let e = refusal("core", b"\0asm\x01\0\0\0".to_vec()).await;
    assert!(
        e.contains("not a component") && e.contains("wasm32-wasip2"),
        "{e}"
    );
    // Nothing was compiled, so nothing is cached.
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_module_refused_after_it_compiled_leaves_no_code_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let engine = ModuleEngine::new(&EngineConfig {
        cache_dir: Some(cache.path().to_owned()),
        ..EngineConfig::default()
    })
    .unwrap();
    // The component says it is `sneaky`; the manifest says otherwise.
    let folder = dir.path().join("impostor");
    copy_module("sneaky", &folder);
    let manifest = std::fs::read_to_string(folder.join("module.toml")).unwrap();
    std::fs::write(
        folder.join("module.toml"),
        manifest.replace("id = \"sneaky\"", "id = \"payments\""),
    )
    .unwrap();
    let e = portico_runtime::load_module(&engine, &folder, &ModuleOptions::default())
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("but the manifest says payments"), "{e}");
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
}

/// The smallest component that imports the interface `name` (an instance
/// with nothing in it), in the component model's binary format.
fn component_importing(name: &str) -> Vec<u8> {
    let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
    // The type section: one instance type, without declarations.
    bytes.extend([0x07, 0x03, 0x01, 0x42, 0x00]);
    // The import section: `name`, an instance of type 0.
    let mut import = vec![0x01, 0x00, u8::try_from(name.len()).unwrap()];
    import.extend(name.as_bytes());
    import.extend([0x05, 0x00]);
    bytes.push(0x0a);
    bytes.push(u8::try_from(import.len()).unwrap());
    bytes.extend(import);
    bytes
}

async fn load_board(engine: &ModuleEngine) -> portico_runtime::LoadedModule {
    portico_runtime::load_module(
        engine,
        &module_dir("notice-board"),
        &ModuleOptions::default(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn compiled_code_is_cached_so_a_restart_does_not_recompile() {
    let cache = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        cache_dir: Some(cache.path().to_owned()),
        ..EngineConfig::default()
    };
    let first = ModuleEngine::new(&config).unwrap();
    assert_eq!(load_board(&first).await.code_source(), CodeSource::Compiled);
    drop(first);
    // A new engine, as after a restart.
    let second = ModuleEngine::new(&config).unwrap();
    let m = load_board(&second).await;
    assert_eq!(m.code_source(), CodeSource::Cache);
    assert_eq!(m.describe().await.unwrap().id, "notice-board");
    // A corrupted cache entry is compiled again, not trusted. (Replaced,
    // as the host replaces its cache files: the loaded module runs from
    // the file it mapped, which must never be rewritten in place.)
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        let path = entry.unwrap().path();
        let garbage = path.with_extension("garbage");
        std::fs::write(&garbage, b"garbage").unwrap();
        std::fs::rename(&garbage, &path).unwrap();
    }
    assert_eq!(
        m.describe().await.unwrap().id,
        "notice-board",
        "the loaded module is unaffected"
    );
    assert_eq!(
        load_board(&second).await.code_source(),
        CodeSource::Compiled
    );
}
