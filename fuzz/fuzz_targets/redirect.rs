//! `next` after log-in, log-out or a change of language (anyone can put it
//! in a link): whatever it is, the browser is sent to a path on the portal.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../host/portico-web/src/redirect.rs"]
mod redirect;
mod stack;

const ORIGIN: &str = "https://portal.invalid";

fuzz_target!(|data: &[u8]| {
    let Ok(next) = std::str::from_utf8(data) else {
        return;
    };
    let to = stack::with_stack(stack::HOST, || redirect::local_path(Some(next)));
    // What a browser would read as another host, or drop and then read so.
    assert!(to.starts_with('/'), "{next:?} led to {to:?}");
    assert!(!to.starts_with("//"), "{next:?} led to {to:?}");
    let path = to.split(['?', '#']).next().unwrap_or_default();
    assert!(!path.contains('\\'), "{next:?} led to {to:?}");
    assert!(
        !to.chars().any(|c| c.is_control() || c.is_whitespace()),
        "{next:?} led to {to:?}"
    );
    let base = url::Url::parse(ORIGIN).expect("the origin");
    let resolved = base.join(&to).expect("a path resolves");
    assert_eq!(resolved.origin(), base.origin(), "{next:?} led to {to:?}");
    assert_eq!(resolved.host_str(), Some("portal.invalid"));
    assert!(resolved.username().is_empty() && resolved.password().is_none());
    // Given again, the path is kept as it is (or, grown by
    // percent-encoding past the length `next` may have, refused).
    let again = redirect::local_path(Some(&to));
    assert!(again == to || again == "/", "{to:?} led on to {again:?}");
});
