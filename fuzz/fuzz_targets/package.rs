//! A module package file as a vendor ships it and an administrator
//! uploads it (console or CLI): reading and verifying never panic,
//! whatever the bytes.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use portico_package::{Package, PublicKey, TrustStore};

mod stack;

/// A store that trusts the key the seed `corpus/package/signed` is signed
/// with, so that inputs mutated from it get past the key and the
/// signature to the file list and the manifest.
static TRUST: LazyLock<TrustStore> = LazyLock::new(|| {
    let mut trust = TrustStore::default();
    let key = PublicKey::parse("d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737")
        .expect("the seeds' key");
    trust.add("Portico tests", key);
    trust
});

fuzz_target!(|data: &[u8]| {
    stack::with_stack(stack::HOST, || {
        if let Ok(package) = Package::read(data) {
            let _ = package.verify(&TRUST);
        }
        if let Ok(package) = Package::read(data) {
            let _ = package.verify_or_accept_unsigned(&TRUST);
        }
    });
});
