//! The contract registry as a school's clerk, the region's official and the
//! public use it: the publication duty of the contract register (zákon
//! 340/2015 Sb.) with the clock moved through its 30 days and three
//! months, warnings told once on days 20 and 25, the breach, the
//! cancellation, all audited; the checks that hold a contract back until
//! it passes them; the founder seeing its schools' contracts and another
//! region seeing none; the public list with the redacted version only.

use std::time::Duration;

use chrono::{Months, NaiveDate};
use portico_platform::audit;
use portico_platform::connections::{Credential, Setup};
use portico_platform::organizations::Kind;
use portico_runtime::api::CallContext;
use portico_tests::browser::{Browser, Page};
use portico_tests::outside::Outside;
use portico_tests::{TEST_CITY, TestPortal, today};

const PASSWORD: &str = "correct horse battery staple";
/// A PDF's first bytes are what the registry looks at.
const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

/// A day of the last nineteen whose 30 days and three months end on a working
/// day (Tuesday to Thursday, no holiday), so that no deadline moves.
fn conclusion_day() -> NaiveDate {
    use chrono::{Datelike, Weekday};
    let plain = |d: NaiveDate| {
        matches!(d.weekday(), Weekday::Tue | Weekday::Wed | Weekday::Thu)
            && ![
                (1, 1),
                (5, 1),
                (5, 8),
                (7, 5),
                (7, 6),
                (9, 28),
                (10, 28),
                (11, 17),
                (12, 24),
                (12, 25),
                (12, 26),
            ]
            .contains(&(d.month(), d.day()))
    };
    (0..19)
        .map(|back| today() - chrono::Duration::days(back))
        .find(|c| {
            plain(*c + chrono::Duration::days(30))
                && c.checked_add_months(Months::new(3)).is_some_and(plain)
        })
        .expect("a day in nineteen")
}

/// Posts the contract form at `base` (`/new` or a contract's `/edit`),
/// with the version to publish attached when `pdf`.
async fn enter(b: &Browser, base: &str, page: &str, fields: &[(&str, &str)], pdf: bool) -> Page {
    let form = b.get(&format!("{base}{page}")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    if pdf {
        b.post_multipart(
            &format!("{base}{page}"),
            &all,
            ("public_document", "smlouva-anonymizovana.pdf", PDF),
        )
        .await
    } else {
        b.post_form(&format!("{base}{page}"), &all).await
    }
}

/// The contract's id in the redirect to its page.
fn id_of(page: &Page, base: &str) -> String {
    page.redirected_id(&format!("{base}/contracts/"))
}

async fn run_duty(portal: &TestPortal, org: &str) {
    let ctx = CallContext {
        org_id: org.into(),
        principal: None,
        request_id: "test-duty".into(),
        locale: "cs".into(),
    };
    portal
        .module("contracts")
        .run_job(&ctx, "duty")
        .await
        .unwrap_or_else(|e| panic!("duty in {org}: {e:?}"));
    portal.settle().await;
}

/// Records the publication of contract `id` as published on `date`.
async fn publish(b: &Browser, base: &str, id: &str, date: &str, version: &str) -> Page {
    b.submit(
        &format!("{base}/contracts/{id}"),
        &format!("{base}/contracts/{id}/publish"),
        &[
            ("date", date),
            ("contract_id", "31234567"),
            ("version_id", version),
        ],
    )
    .await
}

/// How many messages in the person's inbox have `subject` in them.
async fn in_inbox(b: &Browser, org: &str, subject: &str) -> usize {
    let inbox = b.get(&format!("/o/{org}/inbox")).await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    inbox.body.matches(subject).count()
}

/// A school's clerk enters contracts; the clock moves through the duty's
/// deadlines; each is told once, audited, and seen by the region's
/// official; a region of another founder sees none of it.
#[tokio::test]
async fn the_publication_duty_runs_its_course_and_the_founder_sees_it() {
    let portal = TestPortal::builder()
        .module("contracts")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org("jiny-kraj", Kind::Region, None, None)
        .tree_org(
            "zs-x",
            Kind::Organization,
            Some("jiny-kraj"),
            Some("school"),
        )
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                ("jana", &[("zs-a", "contracts.clerk")]),
                ("olga", &[("kraj", "contracts.reader")]),
                ("petr", &[("jiny-kraj", "contracts.clerk")]),
            ],
        )
        .await;
    let (jana_id, jana) = people.remove("jana").unwrap();
    let olga = people.remove("olga").unwrap().1;
    let petr = people.remove("petr").unwrap().1;
    for b in [&jana, &olga, &petr] {
        b.get("/lang/cs").await;
    }
    let base = "/o/zs-a/m/contracts";
    let concluded = conclusion_day();
    let concluded_text = concluded.to_string();
    let c = concluded_text.as_str();
    let contract =
        |number: &'static str, value: &'static str, extra: &[(&'static str, &'static str)]| {
            let mut fields = vec![
                ("number", number),
                ("subject", "Dodávka a montáž žaluzií do učeben"),
                ("parties", "Stínící technika Brno s.r.o.; 70888337; abc12de"),
                ("value_net", value),
            ];
            fields.extend_from_slice(extra);
            fields
        };
    // Over 50,000 CZK: under the duty, told to Jana.
    let mut fields = contract("SML/2026/001", "60000", &[]);
    fields.extend([("concluded", c), ("responsible", jana_id.as_str())]);
    let one = id_of(&enter(&jana, base, "/new", &fields, true).await, base);
    // 50,000 exactly is not more than 50,000: outside the duty.
    let mut fields = contract("SML/2026/002", "50000", &[]);
    fields.push(("concluded", c));
    let two = id_of(&enter(&jana, base, "/new", &fields, true).await, base);
    // Exempt, whatever its value.
    let mut fields = contract("SML/2026/003", "200000", &[("exemption", "natural-person")]);
    fields.push(("concluded", c));
    id_of(&enter(&jana, base, "/new", &fields, true).await, base);
    // 2,500 EUR at 25 CZK is 62,500 CZK: under the duty; told to every
    // clerk (no one named). Without a rate, it cannot be judged: refused.
    let mut fields = contract("SML/2026/004", "2500", &[("currency", "EUR")]);
    fields.push(("concluded", c));
    enter(&jana, base, "/new", &fields, true)
        .await
        .assert_refused(&["Uveďte kurz ČNB ke dni uzavření."]);
    fields.push(("rate", "25"));
    let four = id_of(&enter(&jana, base, "/new", &fields, true).await, base);
    let page = jana.get(&format!("{base}/contracts/{two}")).await;
    assert!(
        page.body.contains("ne: do 50 000 Kč bez DPH včetně"),
        "{}",
        page.body
    );
    let page = jana.get(&format!("{base}/contracts/{four}")).await;
    assert!(page.body.contains("62\u{a0}500 Kč"), "{}", page.body);
    let home = jana.get(&format!("{base}/?state=pending")).await;
    assert!(home.body.contains("SML/2026/001") && home.body.contains("SML/2026/004"));
    assert!(!home.body.contains("SML/2026/002") && !home.body.contains("SML/2026/003"));

    // The clock, moved to a day after the conclusion, as the module counts.
    let mut moved = 0i64;
    let mut to_day = |day: i64| {
        let target = (concluded + chrono::Duration::days(day) - today()).num_days();
        assert!(target >= moved, "the clock only moves forward");
        portal.clock().advance(days((target - moved) as u64));
        moved = target;
        (concluded + chrono::Duration::days(day)).to_string()
    };
    let warning = "uveřejněte ji do";
    to_day(19);
    run_duty(&portal, "zs-a").await;
    assert_eq!(
        in_inbox(&jana, "zs-a", warning).await,
        0,
        "nothing before day 20"
    );
    to_day(20);
    run_duty(&portal, "zs-a").await;
    run_duty(&portal, "zs-a").await;
    assert_eq!(
        in_inbox(&jana, "zs-a", "Smlouva SML/2026/001: uveřejněte ji do").await,
        1,
        "warned once on day 20"
    );
    assert_eq!(in_inbox(&jana, "zs-a", warning).await, 2, "001 and 004");
    to_day(25);
    run_duty(&portal, "zs-a").await;
    assert_eq!(
        in_inbox(&jana, "zs-a", warning).await,
        4,
        "warned again on day 25"
    );

    // 004 is published on day 26, in time.
    let on = to_day(26);
    let done = publish(&jana, base, &four, &on, "34567890").await;
    assert_eq!(done.status, 303, "{}", done.body);

    // Day 30 is the last day; on day 31 the 30 days of 001 have passed.
    to_day(30);
    run_duty(&portal, "zs-a").await;
    assert_eq!(
        in_inbox(&jana, "zs-a", "uplynulo 30 dní").await,
        0,
        "day 30 is in time"
    );
    to_day(31);
    run_duty(&portal, "zs-a").await;
    assert_eq!(
        in_inbox(&jana, "zs-a", "Smlouva SML/2026/001: uplynulo 30 dní").await,
        1
    );
    assert_eq!(
        in_inbox(&jana, "zs-a", "uplynulo 30 dní").await,
        1,
        "004 was published in time"
    );
    let page = jana.get(&format!("{base}/contracts/{one}")).await;
    assert!(page.body.contains("po lhůtě"), "{}", page.body);

    // The region's official sees the school's registry.
    let overview = olga.get("/o/kraj/m/contracts/region").await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    let body = &overview.body;
    assert!(body.contains("SML/2026/001"), "{body}");
    // Contracts, to be published, past the 30 days, cancelled, failing.
    assert_eq!(
        &overview.row_cells("/region?org=zs-a")[1..6],
        ["4", "1", "1", "0", "0"],
        "{body}"
    );
    // The other region's clerk sees no school of this region.
    let theirs = petr.get("/o/jiny-kraj/m/contracts/region").await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    assert!(!theirs.body.contains("SML/2026/001"), "{}", theirs.body);
    for path in [
        format!("{base}/contracts/{one}"),
        "/o/kraj/m/contracts/region".to_owned(),
        "/o/kraj/m/contracts/region.csv".to_owned(),
    ] {
        let into = petr.get(&path).await;
        assert!(
            into.status == 403 || into.status == 404,
            "{path}: {}: {}",
            into.status,
            into.body
        );
    }

    // Three months: the last day still in time, then cancelled from the
    // start.
    let limit = concluded.checked_add_months(Months::new(3)).unwrap();
    let last = (limit - concluded).num_days();
    let last_day = to_day(last);
    run_duty(&portal, "zs-a").await;
    let cancelled = "Smlouva SML/2026/001: platí, že je zrušena od počátku";
    assert_eq!(
        in_inbox(&jana, "zs-a", cancelled).await,
        0,
        "the last day is in time"
    );
    let after = to_day(last + 1);
    run_duty(&portal, "zs-a").await;
    run_duty(&portal, "zs-a").await;
    assert_eq!(in_inbox(&jana, "zs-a", cancelled).await, 1);
    let page = jana.get(&format!("{base}/contracts/{one}")).await;
    assert!(page.body.contains("zrušena od počátku"), "{}", page.body);
    let overview = olga.get("/o/kraj/m/contracts/region").await;
    assert_eq!(
        &overview.row_cells("/region?org=zs-a")[1..6],
        ["4", "0", "0", "1", "0"],
        "{}",
        overview.body
    );
    // A publication of today's date would be too late: refused, and it
    // says why. One on the last day, recorded late, counts: late, in
    // effect from then.
    publish(&jana, base, &one, &after, "34567891")
        .await
        .assert_refused(&["Tři měsíce na uveřejnění tehdy už uplynuly"]);
    let done = publish(&jana, base, &one, &last_day, "34567891").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = jana.get(&format!("{base}/contracts/{one}")).await;
    assert!(page.body.contains("po lhůtě"), "{}", page.body);
    let effective = chrono::NaiveDate::parse_from_str(&last_day, "%Y-%m-%d").unwrap();
    let effective = portico_types::written::date(effective, "cs");
    assert!(
        page.body.contains(&effective),
        "in effect from {effective}: {}",
        page.body
    );

    assert_eq!(
        portal.audited("zs-a", "SML/2026/001").await,
        [
            "contract.enter",
            "duty.warning",
            "duty.warning",
            "duty.breach",
            "duty.cancelled",
            "contract.publish"
        ]
    );
    assert_eq!(
        portal.audited("zs-a", "SML/2026/004").await,
        [
            "contract.enter",
            "duty.warning",
            "duty.warning",
            "contract.publish"
        ]
    );
    assert_eq!(
        portal.audited("zs-a", "SML/2026/003").await,
        ["contract.enter"]
    );
    assert!(matches!(
        audit::verify(portal.db(), "zs-a").await.unwrap(),
        audit::Verdict::Intact { .. }
    ));
    portal.settle().await;
    let overview = olga.get("/o/kraj/m/contracts/region").await;
    assert_eq!(
        &overview.row_cells("/region?org=zs-a")[1..6],
        ["4", "0", "0", "0", "0"],
        "{}",
        overview.body
    );
    let detail = olga
        .get("/o/kraj/m/contracts/region/contract?key=zs-a~SML/2026/001")
        .await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(detail.body.contains("po lhůtě"), "{}", detail.body);
    // A contract given a new number is kept under it at the founder, and
    // no longer under the old one.
    let mut fields = contract("SML/2026/002A", "50000", &[]);
    fields.push(("concluded", c));
    let renamed = enter(
        &jana,
        base,
        &format!("/contracts/{two}/edit"),
        &fields,
        false,
    )
    .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    portal.settle().await;
    let csv = olga.get("/o/kraj/m/contracts/region.csv").await;
    let rows = csv.csv_rows();
    assert_eq!(rows.len(), 5, "the header and four contracts: {}", csv.body);
    assert!(
        rows.iter().any(|r| r[1] == "SML/2026/001" && r[17] == "1"),
        "late: {}",
        csv.body
    );
    assert!(rows.iter().any(|r| r[1] == "SML/2026/002A"), "{}", csv.body);
    assert!(!rows.iter().any(|r| r[1] == "SML/2026/002"), "{}", csv.body);
}

/// A contract failing the auditors' checks is saved and shown with each,
/// and cannot be published until it passes; published, the public reads
/// it and its redacted version, and nothing else.
#[tokio::test]
async fn checks_hold_a_contract_back_and_the_public_reads_what_is_published() {
    let portal = TestPortal::builder().module("contracts").build().await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[("jana", &[(TEST_CITY, "contracts.clerk")])],
        )
        .await;
    let jana = people.remove("jana").unwrap().1;
    jana.get("/lang/cs").await;
    let base = "/m/contracts";
    let tomorrow = (today() + chrono::Duration::days(1)).to_string();

    // A value that is not a number: refused on its field, nothing kept.
    let refused = enter(
        &jana,
        base,
        "/new",
        &[
            ("number", "SML/2026/010"),
            ("subject", "Servis kotelny"),
            ("concluded", &tomorrow),
            ("value_net", "padesát tisíc"),
        ],
        false,
    )
    .await;
    refused.assert_refused(&["Uveďte číslo větší nebo rovné nule."]);
    let csv = jana.get(&format!("{base}/contracts.csv")).await;
    assert_eq!(csv.csv_rows().len(), 1, "only the header: {}", csv.body);

    // Saved with what the auditors would find.
    let saved = enter(
        &jana,
        base,
        "/new",
        &[
            ("number", "SML/2026/010"),
            ("subject", "Servis kotelny"),
            ("parties", "Teplo Jihlava a.s.; 70888338"),
            ("concluded", &tomorrow),
            ("parent", "SML/2025/099"),
            ("redacted", "yes"),
        ],
        false,
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let id = id_of(&saved, base);
    let page = jana.get(&format!("{base}/contracts/{id}")).await;
    for check in [
        "70888338 není platné IČO: nesouhlasí kontrolní číslice.",
        "je v budoucnosti.",
        "Chybí hodnota i důvod, proč není uvedena.",
        "Mění smlouvu SML/2025/099, která v evidenci není.",
        "Chybí verze k uveřejnění",
        "Části jsou znečitelněné a chybí důvod.",
    ] {
        assert!(page.body.contains(check), "{check}: {}", page.body);
    }
    let tried = publish(&jana, base, &id, &today().to_string(), "34567890").await;
    tried.assert_refused(&["Nelze ji uveřejnit, dokud neprojde kontrolami:"]);

    // Put right: the parent entered and published, the rest corrected.
    let parent = enter(
        &jana,
        base,
        "/new",
        &[
            ("number", "SML/2025/099"),
            ("subject", "Servisní smlouva na kotelnu"),
            ("parties", "Teplo Jihlava a.s.; 70888337"),
            ("concluded", &today().to_string()),
            ("value_net", "480000"),
            ("value_gross", "580800"),
            ("approved_by", "Rada kraje, usnesení č. 1234/R45/2026"),
        ],
        true,
    )
    .await;
    let parent = id_of(&parent, base);
    let done = publish(&jana, base, &parent, &today().to_string(), "34567800").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let fixed = enter(
        &jana,
        base,
        &format!("/contracts/{id}/edit"),
        &[
            ("number", "SML/2026/010"),
            ("subject", "Servis kotelny: dodatek č. 1"),
            ("parties", "Teplo Jihlava a.s.; 70888337"),
            ("concluded", &today().to_string()),
            ("value_net", "12000"),
            ("parent", "SML/2025/099"),
            ("redacted", "yes"),
            ("redaction_reason", "obchodní tajemství: jednotkové ceny"),
        ],
        true,
    )
    .await;
    assert_eq!(fixed.status, 303, "{}", fixed.body);
    let page = jana.get(&format!("{base}/contracts/{id}")).await;
    assert!(
        page.body
            .contains("Prošla všemi kontrolami před uveřejněním."),
        "{}",
        page.body
    );
    // 12,000 CZK, but an amendment of a contract under the duty.
    assert!(
        page.body.contains("ano: uveřejnit do 30 dnů"),
        "{}",
        page.body
    );
    let done = publish(&jana, base, &id, &today().to_string(), "34567801").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let parent_page = jana.get(&format!("{base}/contracts/{parent}")).await;
    assert!(
        parent_page.body.contains("Servis kotelny: dodatek č. 1"),
        "listed as its amendment"
    );

    // The public: the list, the contract, its published version; not the
    // signed one, and nothing unpublished.
    let public = Browser::new(addr);
    public.get("/lang/cs").await;
    let list = public.get(&format!("{base}/published")).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("SML/2026/010") && list.body.contains("SML/2025/099"));
    let shown = public.get(&format!("{base}/published/{id}")).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("obchodní tajemství: jednotkové ceny"));
    assert!(
        shown
            .body
            .contains("https://smlouvy.gov.cz/smlouva/34567801")
    );
    // The portal's search finds it by a word of its subject, and its link
    // (by number) opens it.
    let found = public.get("/search?q=kotelny").await;
    assert_eq!(found.status, 200, "{}", found.body);
    let link = format!("{base}/published/SML%2F2026%2F010");
    assert!(found.body.contains(&link), "{}", found.body);
    let by_number = public.get(&link).await;
    assert_eq!(by_number.status, 200, "{}", by_number.body);
    assert!(by_number.body.contains("Servis kotelny: dodatek č. 1"));
    let document = public.get(&format!("{base}/published/{id}/document")).await;
    assert_eq!(document.status, 200);
    assert_eq!(document.header("content-type"), "application/pdf");
    let staff_only = public.get(&format!("{base}/contracts/{id}")).await;
    assert_ne!(staff_only.status, 200, "the registry is for the staff");
    let staff_page = jana.get(&format!("{base}/contracts/{id}")).await;
    let file = staff_page
        .body
        .split(&format!("{base}/contracts/{id}/files/"))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the kept document")
        .to_owned();
    let kept = format!("{base}/contracts/{id}/files/{file}");
    assert_eq!(jana.get(&kept).await.status, 200, "the clerk reads it");
    assert_ne!(public.get(&kept).await.status, 200, "the public does not");
    let draft = enter(
        &jana,
        base,
        "/new",
        &[
            ("number", "SML/2026/011"),
            ("subject", "Nákup lavic"),
            ("parties", "Nábytek Tábor s.r.o.; 70888337"),
            ("concluded", &today().to_string()),
            ("value_net", "90000"),
        ],
        true,
    )
    .await;
    let draft = id_of(&draft, base);
    let none = public.get("/search?q=lavic").await;
    assert!(
        !none.body.contains("/m/contracts/published/"),
        "what is not published is not found: {}",
        none.body
    );
    assert_eq!(
        public
            .get(&format!("{base}/published/{draft}"))
            .await
            .status,
        404
    );
    assert_eq!(
        public
            .get(&format!("{base}/published/{draft}/document"))
            .await
            .status,
        404
    );
    // Text that a spreadsheet would run as a formula is written as text.
    let formula = enter(
        &jana,
        base,
        "/new",
        &[
            ("number", "SML/2026/012"),
            ("subject", "=HYPERLINK(\"https://example.com\")"),
            ("concluded", &today().to_string()),
            ("value_net", "1000"),
        ],
        false,
    )
    .await;
    assert_eq!(formula.status, 303, "{}", formula.body);
    let all = jana.get(&format!("{base}/contracts.csv")).await;
    assert!(
        all.csv_rows()
            .iter()
            .any(|r| r[0] == "SML/2026/012" && r[1] == "'=HYPERLINK(\"https://example.com\")"),
        "{}",
        all.body
    );
    let csv = public.get(&format!("{base}/published.csv")).await;
    let rows = csv.csv_rows();
    assert_eq!(rows.len(), 3, "the header and two published: {}", csv.body);
    assert!(
        rows.iter()
            .any(|r| r[0] == "SML/2026/010" && r[4] == "12000")
    );
    assert!(!csv.body.contains("SML/2026/011"));

    // A foreign currency without its rate: the Czech National Bank's of
    // the day of conclusion, through the connection the administrator
    // set up (the bank's daily file, a rate per 1 or per 100 units).
    let cnb = Outside::start(0).await;
    cnb.serve(
        "/cs/financni-trhy/devizovy-trh/kurzy-devizoveho-trhu/kurzy-devizoveho-trhu/denni_kurz.txt",
        "text/plain; charset=utf-8",
        "04.12.2026 #235\nzemě|měna|množství|kód|kurz\nEMU|euro|1|EUR|25,325\nMaďarsko|forint|100|HUF|6,123\n",
    );
    portico_platform::connections::set(
        portal.db(),
        TEST_CITY,
        "contracts",
        "cnb",
        &Setup::with(Some(cnb.url("")), Credential::None),
        "test",
    )
    .await
    .unwrap();
    let day = today().to_string();
    for (number, value, currency, czk) in [
        ("SML/2026/013", "3000", "EUR", "75\u{a0}975 Kč"),
        ("SML/2026/014", "1000000", "HUF", "61\u{a0}230 Kč"),
    ] {
        let saved = enter(
            &jana,
            base,
            "/new",
            &[
                ("number", number),
                ("subject", "Licence softwaru"),
                ("parties", "Software-Example GmbH"),
                ("concluded", &day),
                ("value_net", value),
                ("currency", currency),
            ],
            true,
        )
        .await;
        let page = jana.get(saved.location()).await;
        assert!(page.body.contains(czk), "{czk}: {}", page.body);
    }
    let asked = format!("date={}", today().format("%d.%m.%Y"));
    assert!(
        cnb.received()
            .iter()
            .all(|r| r.query.as_deref() == Some(asked.as_str())),
        "the day of conclusion asked: {:?}",
        cnb.received()
            .iter()
            .map(|r| r.query.clone())
            .collect::<Vec<_>>()
    );
    enter(
        &jana,
        base,
        "/new",
        &[
            ("number", "SML/2026/015"),
            ("subject", "Licence softwaru"),
            ("concluded", &day),
            ("value_net", "500"),
            ("currency", "XYZ"),
        ],
        true,
    )
    .await
    .assert_refused(&["neuvádí kurz měny XYZ; uveďte ho."]);

    // In English, the same page in the reader's language.
    jana.get("/lang/en").await;
    let page = jana.get(&format!("{base}/contracts/{draft}")).await;
    assert!(page.body.contains("publish by"), "{}", page.body);
    assert!(page.body.contains("90,000 CZK"), "{}", page.body);
}

/// Every page of the registry is accessible, in Czech and English, on a
/// desktop and a 320 px phone.
#[tokio::test]
async fn the_registry_pages_are_accessible() {
    let portal = TestPortal::builder()
        .module("contracts")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[(
                "jana",
                &[("zs-a", "contracts.clerk"), ("kraj", "contracts.clerk")],
            )],
        )
        .await;
    let jana = people.remove("jana").unwrap().1;
    let base = "/o/zs-a/m/contracts";
    let saved = enter(
        &jana,
        base,
        "/new",
        &[
            ("number", "SML/2026/021"),
            ("subject", "Revize elektroinstalace tělocvičny"),
            ("parties", "Elektro Znojmo s.r.o.; 70888337; abc12de"),
            ("concluded", &today().to_string()),
            ("value_net", "84000"),
            ("value_gross", "101640"),
        ],
        true,
    )
    .await;
    let published = id_of(&saved, base);
    let done = publish(&jana, base, &published, &today().to_string(), "34567890").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let waiting = enter(
        &jana,
        base,
        "/new",
        &[
            ("number", "SML/2026/022"),
            ("subject", "Úklidové služby"),
            ("parties", "Čisto s.r.o.; 70888338"),
            ("concluded", &today().to_string()),
        ],
        false,
    )
    .await;
    let waiting = id_of(&waiting, base);
    portal.settle().await;
    let paths: Vec<String> = vec![
        format!("{base}/"),
        format!("{base}/new"),
        format!("{base}/contracts/{waiting}"),
        format!("{base}/contracts/{published}"),
        format!("{base}/contracts/{waiting}/edit"),
        format!("{base}/published"),
        format!("{base}/published/{published}"),
        "/o/kraj/m/contracts/region".to_owned(),
        "/o/kraj/m/contracts/region?org=zs-a".to_owned(),
        "/o/kraj/m/contracts/region/contract?key=zs-a~SML/2026/022".to_owned(),
    ];
    let browser = portico_tests::chromium::Chromium::start(addr).await;
    browser.log_in("jana", PASSWORD).await;
    browser.check_pages("82-contracts", &paths).await;
}
