//! Where a browser may be sent after log-in, log-out or a change of
//! language: a path on this portal, nothing else. The `next` parameter
//! comes from anyone (a link in a phishing mail), so it is parsed as a
//! browser would resolve it, against the portal's own origin, and only a
//! result on that same origin is kept; anything else sends the browser
//! to `/`.
//!
//! Browsers drop TAB and line breaks from a URL and read `\` as `/`, so
//! `/\t/evil.example/` or `/\evil.example` lead elsewhere although they
//! start with one slash: any control character or white space refuses the
//! value outright, and the resolution (by the `url` crate, which follows
//! the WHATWG URL standard browsers follow) takes care of the rest.

/// The origin `next` is resolved against; never shown, never fetched.
const ORIGIN: &str = "https://portal.invalid";

/// A path on this portal (with its query and fragment) to go to, or `/`.
pub fn local_path(next: Option<&str>) -> String {
    next.and_then(resolve).unwrap_or_else(|| "/".to_owned())
}

fn resolve(next: &str) -> Option<String> {
    if !next.starts_with('/')
        || next.len() > 2048
        || next.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return None;
    }
    let base = url::Url::parse(ORIGIN).ok()?;
    let url = base.join(next).ok()?;
    if url.origin() != base.origin() || url.username() != "" || url.password().is_some() {
        return None;
    }
    let mut path = url.path().to_owned();
    if path.starts_with("//") {
        return None;
    }
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    if let Some(f) = url.fragment() {
        path.push('#');
        path.push_str(f);
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    /// Payloads from public open-redirect lists, each of which some
    /// browser or some parser takes to another host.
    const ELSEWHERE: &[&str] = &[
        "//evil.example",
        "//evil.example/",
        "///evil.example",
        "////evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r/evil.example/",
        "/ /evil.example",
        "/\u{0}/evil.example",
        "/\u{b}/evil.example",
        "/\u{a0}/evil.example",
        "/\u{3000}/evil.example",
        "https://evil.example",
        "http:evil.example",
        "https:/evil.example",
        "//evil.example@portal.invalid",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.example",
        "",
        " /m/x",
    ];

    #[test]
    fn known_open_redirect_payloads_lead_home() {
        for payload in ELSEWHERE {
            let to = local_path(Some(payload));
            assert!(
                to.starts_with('/') && !to.starts_with("//") && !to.contains('\\'),
                "{payload:?} led to {to:?}"
            );
            let resolved = url::Url::parse("https://portal.invalid")
                .unwrap()
                .join(&to)
                .unwrap();
            assert_eq!(
                resolved.host_str(),
                Some("portal.invalid"),
                "{payload:?} led to {to:?}"
            );
        }
    }

    #[test]
    fn paths_on_the_portal_are_kept() {
        assert_eq!(local_path(Some("/m/notice-board/")), "/m/notice-board/");
        assert_eq!(
            local_path(Some("/o/brno/m/forms/?step=2#top")),
            "/o/brno/m/forms/?step=2#top"
        );
        assert_eq!(local_path(Some("/m/a/../b")), "/m/b");
        assert_eq!(local_path(Some("/hledat?q=%C5%BE")), "/hledat?q=%C5%BE");
        assert_eq!(local_path(Some("/úřad")), "/%C3%BA%C5%99ad");
        assert_eq!(local_path(None), "/");
    }
}
