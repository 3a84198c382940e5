//! A SCIM PATCH body (`PATCH /scim/v2/Users/{id}`), as an IDM sends it,
//! applied to a user and a group: it never panics. Input: the body, then
//! optionally NUL and the document to patch.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../host/portico-web/src/scim/filter.rs"]
#[allow(dead_code)]
mod filter;
#[path = "../../host/portico-web/src/scim/patch.rs"]
#[allow(dead_code)]
mod patch;
#[path = "../../host/portico-web/src/scim/schema.rs"]
#[allow(dead_code)]
mod schema;
mod scim;
mod stack;

use schema::Resource;

fuzz_target!(|data: &[u8]| {
    let (body, doc) = scim::split(data);
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    stack::with_stack(stack::HOST, || {
        for (resource, start) in [
            (Resource::User, scim::user()),
            (Resource::Group, scim::group()),
        ] {
            let mut doc = doc.clone().unwrap_or(start);
            let _ = patch::apply(resource, &mut doc, &body);
        }
    });
});
