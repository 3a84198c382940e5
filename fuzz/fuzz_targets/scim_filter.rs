//! A SCIM filter (`GET /scim/v2/Users?filter=…`) and a PATCH path, as an
//! IDM sends them: parsing never panics, and a filter evaluates over any
//! JSON document. Input: the filter, then optionally NUL and a document.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../host/portico-web/src/scim/filter.rs"]
#[allow(dead_code)]
mod filter;
#[path = "../../host/portico-web/src/scim/schema.rs"]
#[allow(dead_code)]
mod schema;
mod scim;
mod stack;

use filter::AttrPath;
use schema::Resource;

fuzz_target!(|data: &[u8]| {
    let (text, doc) = scim::split(data);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let docs = match doc {
        Some(doc) => vec![doc],
        None => vec![scim::user(), scim::group()],
    };
    stack::with_stack(stack::HOST, || {
        let _ = filter::parse_patch_path(text);
        let _ = filter::parse_attr_path(text);
        let Ok(f) = filter::parse(text) else {
            return;
        };
        for doc in &docs {
            for resource in [Resource::User, Resource::Group] {
                f.matches(doc, &|p: &AttrPath| {
                    resource.case_exact(&p.attr, p.sub.as_deref())
                });
            }
        }
    });
});
