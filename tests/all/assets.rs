//! Property as a school's property clerk, a hospital's, the region's
//! approver and a school of another region use it: the structure of a
//! site down to a room, an asset entered with its card and a label whose
//! QR code a reader decodes, a surplus offer passed through the founder,
//! reserved by the hospital, approved, and the asset moved from one
//! register to the other with both audit chains; an offer nobody took,
//! written off; the pages in a browser.

use std::time::Duration;

use portico_platform::audit;
use portico_platform::organizations::Kind;
use portico_runtime::api::CallContext;
use portico_tests::TestPortal;
use portico_tests::browser::{Browser, Page};

const PASSWORD: &str = "correct horse battery staple";
const SCHOOL: &str = "/o/zs-a/m/assets";
const HOSPITAL: &str = "/o/nemocnice/m/assets";

/// Posts the form at `path` (under `base`) with `fields`; asserts it was
/// taken, and returns the id the redirect names under `under`.
async fn save(b: &Browser, base: &str, path: &str, fields: &[(&str, &str)], under: &str) -> String {
    let page = b
        .submit(&format!("{base}{path}"), &format!("{base}{path}"), fields)
        .await;
    assert_eq!(page.status, 303, "{path} {fields:?}: {}", page.body);
    page.redirected_id(&format!("{base}{under}"))
}

async fn post(b: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
    b.submit(path, path, fields).await
}

/// Posts to `path` with the CSRF token of the form at `form`: a form the
/// person was never shown.
async fn forge(b: &Browser, form: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = b.get(form).await.csrf();
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    b.post_form(path, &all).await
}

/// The text the QR code in a PNG screenshot says, as a reader decodes it.
fn qr_text(png_path: &std::path::Path) -> String {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let at = (y * w + x) * channels;
        let px = &buf[at..at + channels.min(3)];
        (px.iter().map(|&v| u32::from(v)).sum::<u32>() / px.len() as u32) as u8
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the label");
    grids[0].decode().expect("the QR code decodes").1
}

#[tokio::test(flavor = "multi_thread")]
async fn surplus_property_goes_from_a_school_to_a_hospital_with_the_founders_consent() {
    let portal = TestPortal::builder()
        .module("assets")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org(
            "nemocnice",
            Kind::Organization,
            Some("kraj"),
            Some("hospital"),
        )
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
                ("jana", &[("zs-a", "assets.clerk")]),
                ("petr", &[("nemocnice", "assets.clerk")]),
                ("olga", &[("kraj", "assets.approver")]),
                (
                    "eva",
                    &[("zs-x", "assets.clerk"), ("jiny-kraj", "assets.approver")],
                ),
            ],
        )
        .await;
    let [jana, petr, olga, eva] =
        ["jana", "petr", "olga", "eva"].map(|n| people.remove(n).unwrap().1);
    for b in [&jana, &petr, &olga, &eva] {
        b.get("/lang/cs").await;
    }

    // The school's site, down to a room.
    let site = save(
        &jana,
        SCHOOL,
        "/places/new",
        &[
            ("name", "Areál ZŠ Komenského"),
            ("address", "Komenského 12, 602 00 Brno"),
            ("parcel", "Veveří, 1234/5"),
            ("deed", "10001"),
        ],
        "/places/",
    )
    .await;
    let building = save(
        &jana,
        SCHOOL,
        &format!("/places/new?parent={site}"),
        &[
            ("name", "Hlavní budova"),
            ("code", "A"),
            ("parcel", "Veveří, 1234/6"),
        ],
        "/places/",
    )
    .await;
    let storey = save(
        &jana,
        SCHOOL,
        &format!("/places/new?parent={building}"),
        &[
            ("name", "1. nadzemní podlaží"),
            ("code", "1NP"),
            ("area", "640"),
        ],
        "/places/",
    )
    .await;
    let room = save(
        &jana,
        SCHOOL,
        &format!("/places/new?parent={storey}"),
        &[
            ("name", "Učebna fyziky"),
            ("code", "1.05"),
            ("area", "54,5"),
            ("purpose", "Odborná učebna"),
        ],
        "/places/",
    )
    .await;
    // A room is chosen by its key, as the form's list offers it.
    let room_key = portal
        .records("zs-a", "assets", "places")
        .await
        .into_iter()
        .find(|(id, _)| *id == room)
        .map(|(_, p)| p["key"].as_str().unwrap().to_owned())
        .unwrap();
    let structure = jana.get(&format!("{SCHOOL}/places")).await;
    assert!(
        structure.body.contains("Veveří, 1234/5, LV 10001"),
        "{}",
        structure.body
    );

    // An asset on the wrong account is refused, saying why.
    let card = [
        ("name", "Interaktivní tabule SMART"),
        ("account", "022"),
        ("cost", "25 000"),
        ("acquired", "2021-08-20"),
        ("in_use", "2021-09-01"),
        ("life_years", "8"),
        ("place", room_key.as_str()),
        ("responsible", "Mgr. Jana Dvořáková"),
        ("serial", "SB-885-2021-0042"),
    ];
    let refused = post(&jana, &format!("{SCHOOL}/assets/new"), &card).await;
    refused.assert_refused(&[
        "Na účet 022 patří samostatná hmotná movitá věc s oceněním vyšším než 40 000 Kč",
    ]);
    let mut card = card.to_vec();
    card[2] = ("cost", "89 900");
    let board = save(&jana, SCHOOL, "/assets/new", &card, "/assets/").await;
    let page = jana.get(&format!("{SCHOOL}/assets/{board}")).await;
    assert!(page.body.contains("022/000001"), "{}", page.body);
    assert!(
        page.body.contains(
            "Areál ZŠ Komenského › A Hlavní budova › 1NP 1. nadzemní podlaží › 1.05 Učebna fyziky"
        ),
        "{}",
        page.body
    );
    // 89,900 CZK over 8 years: 11,238 CZK a year.
    assert!(page.body.contains("11\u{a0}238 Kč ročně"), "{}", page.body);
    let in_room = jana.get(&format!("{SCHOOL}/places/{room}")).await;
    assert!(
        in_room.body.contains("Interaktivní tabule SMART"),
        "{}",
        in_room.body
    );
    let found = jana.get(&format!("{SCHOOL}/?q=interaktivni")).await;
    assert!(found.body.contains("022/000001"), "{}", found.body);

    // The label: a reader of its QR code lands on the card.
    let browser = portico_tests::chromium::Chromium::start(addr).await;
    browser.log_in("jana", PASSWORD).await;
    browser.set_size(1200, 700).await;
    browser.open(&format!("{SCHOOL}/labels/{board}")).await;
    browser.magnify_drawing(4).await;
    let shot = browser.screenshot("84-assets-label").await;
    let url = qr_text(&shot);
    assert_eq!(url, format!("http://{addr}{SCHOOL}/assets/{board}"));
    assert_eq!(
        Browser::new(addr)
            .get(&url[url.find("/o/").unwrap()..])
            .await
            .status,
        303,
        "a stranger is sent to log in"
    );

    // The school offers it; the hospital sees the offer, the other
    // region's school never does.
    let until = (portico_tests::today() + chrono::Duration::days(14)).to_string();
    let offered = post(
        &jana,
        &format!("{SCHOOL}/assets/{board}/offer"),
        &[
            ("until", &until),
            ("text", "Funkční, po výměně za novější model."),
        ],
    )
    .await;
    assert_eq!(offered.status, 303, "{}", offered.body);
    portal.settle().await;
    portal.settle().await;
    let market = petr.get(&format!("{HOSPITAL}/surplus")).await;
    assert!(
        market.body.contains("Interaktivní tabule SMART"),
        "{}",
        market.body
    );
    let elsewhere = eva.get("/o/zs-x/m/assets/surplus").await;
    assert!(
        !elsewhere.body.contains("Interaktivní tabule"),
        "{}",
        elsewhere.body
    );
    assert!(
        portal
            .documents("zs-x", "assets", "market")
            .await
            .is_empty()
    );
    let lots = portal.records("nemocnice", "assets", "market").await;
    assert_eq!(lots.len(), 1);
    let lot = &lots[0].0;
    assert_eq!(
        forge(
            &eva,
            "/o/zs-x/m/assets/assets/new",
            &format!("/o/zs-x/m/assets/surplus/{lot}/reserve"),
            &[("text", "Chceme ji")]
        )
        .await
        .status,
        404,
        "another founder's school cannot reserve what it was never offered"
    );
    assert!(
        !eva.get("/o/jiny-kraj/m/assets/region")
            .await
            .body
            .contains("Interaktivní")
    );

    // The hospital reserves it; the founder approves the transfer.
    let asked = post(
        &petr,
        &format!("{HOSPITAL}/surplus/{lot}/reserve"),
        &[("text", "Do zasedací místnosti oddělení vzdělávání.")],
    )
    .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    portal.settle().await;
    portal.settle().await;
    let school_card = jana.get(&format!("{SCHOOL}/assets/{board}")).await;
    assert!(
        school_card
            .body
            .contains("Rezervováno, čeká na zřizovatele"),
        "{}",
        school_card.body
    );
    let region = olga.get("/o/kraj/m/assets/region").await;
    let row = region.row_cells("Interaktivní tabule SMART");
    assert_eq!(row[1], "Organization zs-a", "{}", region.body);
    assert_eq!(row[4], "Organization nemocnice", "{}", region.body);
    let offers = portal.records("kraj", "assets", "offers").await;
    let decide = format!("/o/kraj/m/assets/region/{}/decide", offers[0].0);
    assert_eq!(
        forge(&jana, &format!("{SCHOOL}/assets/new"), &decide, &[])
            .await
            .status,
        403,
        "the school cannot approve"
    );
    let approved = post(&olga, &decide, &[("reason", "")]).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    // The school hands it over, then the hospital takes it in.
    for _ in 0..3 {
        portal.settle().await;
    }

    // Gone from the school's register, in the hospital's, with the protocol.
    let school = jana.get(&format!("{SCHOOL}/")).await;
    assert!(
        !school.body.contains("Interaktivní tabule"),
        "{}",
        school.body
    );
    let school_card = jana.get(&format!("{SCHOOL}/assets/{board}")).await;
    assert!(
        school_card.body.contains("Převedeno"),
        "{}",
        school_card.body
    );
    let protocol = school_card
        .body
        .split("PP-")
        .nth(1)
        .map(|rest| format!("PP-{}", &rest[..11]))
        .expect("the protocol's number on the card");
    let hospital = petr.get(&format!("{HOSPITAL}/")).await;
    let row = hospital.row_cells("Interaktivní tabule SMART");
    assert_eq!(
        row[0], "022/000001",
        "the hospital's own number: {}",
        hospital.body
    );
    let received = portal.documents("nemocnice", "assets", "assets").await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["origin"]["number"], protocol.as_str());
    assert_eq!(received[0]["cost"], 89_900.0);
    assert_eq!(
        portal.audited("zs-a", "022/000001").await,
        [
            "assets.entered",
            "assets.offered",
            "assets.reserved",
            "assets.transferred"
        ]
    );
    assert_eq!(
        portal.audited("nemocnice", "022/000001").await,
        ["assets.received"]
    );
    assert_eq!(
        portal.audited("kraj", "zs-a~022/000001").await,
        [
            "assets.offer-received",
            "assets.reservation-received",
            "assets.transfer-approved",
            "assets.transfer-handed"
        ]
    );
    for org in ["zs-a", "nemocnice", "kraj"] {
        assert!(
            matches!(
                audit::verify(portal.db(), org).await.unwrap(),
                audit::Verdict::Intact { .. }
            ),
            "{org}'s chain holds"
        );
    }

    // An offer nobody takes ends after its time; the school writes it off.
    let chairs = save(
        &jana,
        SCHOOL,
        "/assets/new",
        &[
            ("name", "Školní lavice (soubor 15 ks)"),
            ("account", "028"),
            ("cost", "36000"),
            ("acquired", "2012-08-01"),
            ("in_use", "2012-09-01"),
        ],
        "/assets/",
    )
    .await;
    let soon = (portico_tests::today() + chrono::Duration::days(1)).to_string();
    post(
        &jana,
        &format!("{SCHOOL}/assets/{chairs}/offer"),
        &[("until", &soon), ("text", "Opotřebené")],
    )
    .await;
    portal.settle().await;
    portal.settle().await;
    portal.clock().advance(Duration::from_secs(3 * 86_400));
    let job = CallContext {
        org_id: "kraj".into(),
        principal: None,
        request_id: "test-expire".into(),
        locale: "cs".into(),
    };
    portal
        .module("assets")
        .run_job(&job, "expire")
        .await
        .expect("the job expire");
    portal.settle().await;
    let chairs_card = jana.get(&format!("{SCHOOL}/assets/{chairs}")).await;
    assert!(
        chairs_card.body.contains("Bez zájmu organizací"),
        "{}",
        chairs_card.body
    );
    let hospital_market = petr.get(&format!("{HOSPITAL}/surplus")).await;
    assert!(
        !hospital_market.body.contains("Školní lavice"),
        "{}",
        hospital_market.body
    );
    let written = post(
        &jana,
        &format!("{SCHOOL}/assets/{chairs}/write-off"),
        &[
            ("date", &portico_tests::today().to_string()),
            ("reason", ""),
        ],
    )
    .await;
    written.assert_refused(&["Uveďte důvod"]);
    let today = (portico_tests::today() + chrono::Duration::days(3)).to_string();
    let written = post(
        &jana,
        &format!("{SCHOOL}/assets/{chairs}/write-off"),
        &[
            ("date", &today),
            ("reason", "Nepoužitelné, předáno k ekologické likvidaci."),
        ],
    )
    .await;
    assert_eq!(written.status, 303, "{}", written.body);
    assert!(
        portal
            .audited("zs-a", "028/000001")
            .await
            .contains(&"assets.written-off".to_owned())
    );

    // Every page, in both languages, on a desktop and a phone.
    let paths: Vec<String> = vec![
        format!("{SCHOOL}/"),
        format!("{SCHOOL}/places"),
        format!("{SCHOOL}/places/{room}"),
        format!("{SCHOOL}/places/new?parent={storey}"),
        format!("{SCHOOL}/assets/new"),
        format!("{SCHOOL}/assets/{board}"),
        format!("{SCHOOL}/assets/{chairs}"),
        format!("{SCHOOL}/surplus"),
        format!("{SCHOOL}/public"),
    ];
    browser.set_size(1280, 900).await;
    browser.check_pages("84-assets", &paths).await;
}
