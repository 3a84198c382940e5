//! Methodical help (first-party, WIT 0.3.0) as its people use it: the
//! region's author publishes guidance in Markdown; every school receives
//! it and its reader is told; a search finds it with or without Czech
//! diacritics, in any case; a school asks, the region answers in the
//! thread; a changed version says what changed and replaces the copy;
//! raw HTML in the text never reaches the page; another school sees none
//! of the first one's questions. Every page passes axe in both languages
//! on a phone and a desktop.

use portico_platform::audit;
use portico_platform::organizations::Kind;
use portico_tests::TestPortal;
use portico_tests::browser::{Browser, Page};
use portico_tests::chromium::Chromium;

const PASSWORD: &str = "correct horse battery staple";
const KRAJ: &str = "/o/kraj/m/methodology";
const ZS_A: &str = "/o/zs-a/m/methodology";

const BODY: &str = "# Spisová služba\n\nKaždý dokument se **eviduje** v den doručení.\n\n- podací deník\n- spisový plán\n\nViz [zákon](https://www.zakonyprolidi.cz/cs/2004-499).\n\n<script>alert('x')</script>\n";

struct Region {
    portal: TestPortal,
    addr: std::net::SocketAddr,
    author: Browser,
    reader_a: Browser,
    reader_b: Browser,
}

async fn region() -> Region {
    let portal = TestPortal::builder()
        .module("methodology")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org("zs-b", Kind::Organization, Some("kraj"), Some("school"))
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                ("olga", &[("kraj", "methodology.author")]),
                ("jana", &[("zs-a", "methodology.reader")]),
                ("petr", &[("zs-b", "methodology.reader")]),
            ],
        )
        .await;
    let mut browser = |name| people.remove(name).expect("a person").1;
    let (author, reader_a, reader_b) = (browser("olga"), browser("jana"), browser("petr"));
    Region {
        portal,
        addr,
        author,
        reader_a,
        reader_b,
    }
}

impl Region {
    async fn settle(&self) {
        self.portal.settle().await;
    }
}

async fn submit(b: &Browser, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    b.submit(page, path, fields).await
}

/// The path the redirect leads to, without its confirmation.
fn path_of(page: &Page) -> String {
    let location = page.location();
    location.split('?').next().unwrap_or(location).to_owned()
}

/// Publishes the guidance; the article's key.
async fn publish(r: &Region) -> String {
    let write = format!("{KRAJ}/write");
    let empty = submit(&r.author, &write, &write, &[("title", "Spisová služba")]).await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    let done = submit(
        &r.author,
        &write,
        &write,
        &[
            ("title", "Jak vést spisovou službu"),
            ("category", "Spisová služba"),
            ("body", BODY),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    r.settle().await;
    path_of(&done).rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn guidance_reaches_every_school_is_found_without_diacritics_and_questions_are_answered() {
    let r = region().await;
    let key = publish(&r).await;

    // Each school has it, and its reader was told.
    let article = format!("{ZS_A}/articles/{key}");
    let page = r.reader_a.get(&article).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("eviduje"), "{}", page.body);
    assert!(page.body.contains("podací deník"), "{}", page.body);
    assert!(
        page.body
            .contains("https://www.zakonyprolidi.cz/cs/2004-499"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("<script>alert"),
        "raw HTML is dropped: {}",
        page.body
    );
    assert!(
        r.reader_b
            .get(&format!("/o/zs-b/m/methodology/articles/{key}"))
            .await
            .status
            == 200
    );
    let told = r.reader_a.get("/o/zs-a/inbox").await;
    assert!(
        told.body.contains("Jak vést spisovou službu"),
        "{}",
        told.body
    );

    // Search: with or without diacritics, in any case; the search box's
    // words become the address.
    for words in ["spisova sluzba", "SPISOVÁ", "Podací", "eviduje spisovy"] {
        let found = submit(&r.reader_a, ZS_A, ZS_A, &[("q", words)]).await;
        assert_eq!(found.status, 303, "{}", found.body);
        let list = r.reader_a.get(found.location()).await;
        assert!(
            list.body.contains("Jak vést spisovou službu"),
            "{words}: {}",
            list.body
        );
    }
    let none = r.reader_a.get(&format!("{ZS_A}/?q=rozpocet")).await;
    assert!(
        !none.body.contains("Jak vést spisovou službu"),
        "{}",
        none.body
    );

    // The school asks; the region answers; the school reads the answer.
    let asked = submit(
        &r.reader_a,
        &article,
        &format!("{article}/ask"),
        &[
            ("subject", "Elektronické dokumenty"),
            ("text", "Platí to i pro e-maily?"),
        ],
    )
    .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let question = path_of(&asked);
    let qkey = question.rsplit('/').next().unwrap().to_owned();
    r.settle().await;
    let list = r.author.get(&format!("{KRAJ}/questions")).await;
    assert!(
        list.body.contains("Elektronické dokumenty"),
        "{}",
        list.body
    );
    assert!(list.body.contains("Organization zs-a"), "{}", list.body);
    let asked_page = format!("{KRAJ}/asked/zs-a/{qkey}");
    let answered = submit(
        &r.author,
        &asked_page,
        &asked_page,
        &[("text", "Ano, e-maily s podpisem se evidují také.")],
    )
    .await;
    assert_eq!(answered.status, 303, "{}", answered.body);
    r.settle().await;
    let thread = r.reader_a.get(&question).await;
    assert!(
        thread.body.contains("e-maily s podpisem se evidují"),
        "{}",
        thread.body
    );
    let told = r.reader_a.get("/o/zs-a/inbox").await;
    assert!(
        told.body.contains("An answer: Elektronické dokumenty"),
        "{}",
        told.body
    );

    // The other school sees none of it.
    let foreign = r
        .reader_b
        .get(&format!("/o/zs-b/m/methodology/questions/{qkey}"))
        .await;
    assert_eq!(foreign.status, 404, "{}", foreign.body);
    let theirs = r.reader_b.get(&format!("{ZS_A}/questions/{qkey}")).await;
    assert!(matches!(theirs.status, 403 | 404), "{}", theirs.status);

    // A new version says what changed, and replaces every copy.
    let edit = format!("{KRAJ}/articles/{key}/edit");
    let no_change = submit(
        &r.author,
        &edit,
        &edit,
        &[
            ("title", "Jak vést spisovou službu"),
            ("category", "Spisová služba"),
            ("body", BODY),
        ],
    )
    .await;
    assert_eq!(
        no_change.status, 422,
        "what changed is asked for: {}",
        no_change.body
    );
    let changed = submit(
        &r.author,
        &edit,
        &edit,
        &[
            ("title", "Jak vést spisovou službu"),
            ("category", "Spisová služba"),
            (
                "body",
                &format!("{BODY}\nDatové zprávy se evidují automaticky.\n"),
            ),
            ("changed", "Doplněno evidování datových zpráv."),
        ],
    )
    .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    r.settle().await;
    let page = r.reader_a.get(&article).await;
    assert!(
        page.body.contains("Datové zprávy se evidují automaticky."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Doplněno evidování datových zpráv."),
        "{}",
        page.body
    );
    let versions = r
        .author
        .get(&format!("{KRAJ}/articles/{key}/versions"))
        .await;
    assert!(
        versions.body.contains("Doplněno evidování"),
        "{}",
        versions.body
    );

    // Both chains hold it, and verify.
    let kraj: Vec<String> = audit::entries(r.portal.db(), "kraj")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "guidance.published",
        "guidance.answered",
        "message.received",
    ] {
        assert!(kraj.iter().any(|x| x == a), "{a} in {kraj:?}");
    }
    for org in ["kraj", "zs-a"] {
        assert!(matches!(
            audit::verify(r.portal.db(), org).await.unwrap(),
            audit::Verdict::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn every_methodology_page_passes_the_accessibility_check_in_both_languages_on_a_phone_and_a_desktop()
 {
    let r = region().await;
    let key = publish(&r).await;
    let article = format!("{ZS_A}/articles/{key}");
    let asked = submit(
        &r.reader_a,
        &article,
        &format!("{article}/ask"),
        &[("subject", "Otázka"), ("text", "Jak?")],
    )
    .await;
    let question = path_of(&asked);
    let qkey = question.rsplit('/').next().unwrap().to_owned();
    r.settle().await;
    let pages: [(&str, Vec<String>); 2] = [
        (
            "olga",
            vec![
                format!("{KRAJ}/"),
                format!("{KRAJ}/write"),
                format!("{KRAJ}/articles/{key}"),
                format!("{KRAJ}/articles/{key}/versions"),
                format!("{KRAJ}/questions"),
                format!("{KRAJ}/asked/zs-a/{qkey}"),
            ],
        ),
        (
            "jana",
            vec![
                format!("{ZS_A}/?q=spisova"),
                article.clone(),
                format!("{ZS_A}/questions"),
                question.clone(),
            ],
        ),
    ];
    for (user, paths) in pages {
        let browser = Chromium::start(r.addr).await;
        browser.log_in(user, PASSWORD).await;
        browser
            .check_pages(&format!("63-methodology-{user}"), &paths)
            .await;
    }
}
