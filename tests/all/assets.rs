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

/// Enters a place at the school through its form, below `parent` (a
/// place's id) or at the top; its id.
async fn place(b: &Browser, parent: Option<&str>, fields: &[(&str, &str)]) -> String {
    let path = match parent {
        Some(parent) => format!("/places/new?parent={parent}"),
        None => "/places/new".to_owned(),
    };
    save(b, SCHOOL, &path, fields, "/places/").await
}

/// The key of the school's place `id`: what the forms' lists choose.
async fn place_key(portal: &TestPortal, id: &str) -> String {
    portal
        .records("zs-a", "assets", "places")
        .await
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, p)| p["key"].as_str().unwrap().to_owned())
        .unwrap()
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

/// A region with a school and a hospital, and another region with its
/// school.
async fn region() -> TestPortal {
    TestPortal::builder()
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
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn surplus_property_goes_from_a_school_to_a_hospital_with_the_founders_consent() {
    let portal = region().await;
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
    let site = place(
        &jana,
        None,
        &[
            ("name", "Areál ZŠ Komenského"),
            ("address", "Komenského 12, 602 00 Brno"),
            ("parcel", "Veveří, 1234/5"),
            ("deed", "10001"),
        ],
    )
    .await;
    let building = place(
        &jana,
        Some(&site),
        &[
            ("name", "Hlavní budova"),
            ("code", "A"),
            ("parcel", "Veveří, 1234/6"),
        ],
    )
    .await;
    let storey = place(
        &jana,
        Some(&building),
        &[
            ("name", "1. nadzemní podlaží"),
            ("code", "1NP"),
            ("area", "640"),
        ],
    )
    .await;
    let room = place(
        &jana,
        Some(&storey),
        &[
            ("name", "Učebna fyziky"),
            ("code", "1.05"),
            ("area", "54,5"),
            ("purpose", "Odborná učebna"),
        ],
    )
    .await;
    // A room is chosen by its key, as the form's list offers it.
    let room_key = place_key(&portal, &room).await;
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
    post(
        &jana,
        &format!("{SCHOOL}/assets/{chairs}/write-off"),
        &[("date", "2000-01-01"), ("reason", "Rozbité.")],
    )
    .await
    .assert_refused(&["ne před pořízením majetku"]);
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

/// A photo of `width` × `height` pixels, as a camera's PNG.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height * 3).map(|i| (i % 251) as u8).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// Posts the form at `path` with one file, with the CSRF token of the
/// page the form is on.
async fn upload(
    b: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> Page {
    let csrf = b.get(path).await.csrf();
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    b.post_multipart(path, &all, file).await
}

/// The id of the document of `collection` in `org` whose `field` is `value`.
async fn id_where(
    portal: &TestPortal,
    org: &str,
    collection: &str,
    field: &str,
    value: &str,
) -> String {
    portal
        .records(org, "assets", collection)
        .await
        .into_iter()
        .find(|(_, d)| d[field].as_str() == Some(value))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no {collection} with {field} {value}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_school_maintains_its_property_and_its_commission_signs_the_stock_take_off() {
    let portal = region().await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                ("jana", &[("zs-a", "assets.clerk")]),
                ("karel", &[("zs-a", "assets.technician")]),
                ("lucie", &[("zs-a", "assets.reader")]),
                ("monika", &[("zs-a", "assets.commission")]),
                ("eva", &[("zs-x", "assets.clerk")]),
            ],
        )
        .await;
    let [jana, karel, lucie, monika, eva] =
        ["jana", "karel", "lucie", "monika", "eva"].map(|n| people.remove(n).unwrap().1);
    for b in [&jana, &karel, &lucie, &monika, &eva] {
        b.get("/lang/cs").await;
    }
    let today = portico_tests::today();
    let year = today.format("%Y").to_string();

    // A building with three rooms, and what stands in them.
    let site = place(&jana, None, &[("name", "Areál ZŠ")]).await;
    let building = place(
        &jana,
        Some(&site),
        &[("name", "Hlavní budova"), ("code", "A")],
    )
    .await;
    let storey = place(
        &jana,
        Some(&building),
        &[("name", "Přízemí"), ("code", "1NP")],
    )
    .await;
    let mut rooms = Vec::new();
    for (code, name) in [
        ("0.01", "Kotelna"),
        ("1.05", "Učebna fyziky"),
        ("0.02", "Garáž"),
    ] {
        rooms.push(place(&jana, Some(&storey), &[("name", name), ("code", code)]).await);
    }
    let (boiler_room, classroom, garage) = (
        place_key(&portal, &rooms[0]).await,
        place_key(&portal, &rooms[1]).await,
        place_key(&portal, &rooms[2]).await,
    );
    let asset = async |name: &str, account: &str, cost: &str, room: &str| {
        save(
            &jana,
            SCHOOL,
            "/assets/new",
            &[
                ("name", name),
                ("account", account),
                ("cost", cost),
                ("acquired", "2022-05-10"),
                ("in_use", "2022-06-01"),
                ("life_years", "10"),
                ("place", room),
            ],
            "/assets/",
        )
        .await
    };
    let boiler = asset("Plynový kotel Viadrus", "022", "180 000", &boiler_room).await;
    let projector = asset("Projektor Epson", "022", "48 500", &classroom).await;
    let chair = asset("Kancelářská židle", "028", "3 900", &classroom).await;
    let tractor = asset("Zahradní traktor Stiga", "022", "65 000", &garage).await;

    // The tractor's warranty on its card; a text file named .pdf is not one.
    let files_page = format!("{SCHOOL}/assets/{tractor}/files");
    let refused = upload(
        &jana,
        &files_page,
        &[("title", "Záruční list")],
        ("file", "zaruka.pdf", b"jen text, zadne PDF"),
    )
    .await;
    refused.assert_refused(&["Přiložte PDF, nebo fotografii ve formátu JPEG, PNG či WebP."]);
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let taken = upload(
        &jana,
        &files_page,
        &[("title", "Záruční list")],
        ("file", "zaruka.pdf", pdf),
    )
    .await;
    assert_eq!(taken.status, 303, "{}", taken.body);
    let card = jana.get(&format!("{SCHOOL}/assets/{tractor}")).await;
    assert!(card.body.contains("Záruční list"), "{}", card.body);
    let file_id = portal
        .records("zs-a", "assets", "assets")
        .await
        .into_iter()
        .find(|(id, _)| *id == tractor)
        .map(|(_, a)| a["files"][0]["id"].as_str().unwrap().to_owned())
        .unwrap();
    let opened = lucie
        .get(&format!("{SCHOOL}/files/{tractor}/{file_id}"))
        .await;
    assert_eq!(opened.status, 200);
    assert_eq!(opened.header("content-type"), "application/pdf");
    // Another region's clerk reaches neither the school's file nor, by
    // its id, anything in her own school.
    for path in [
        format!("{SCHOOL}/files/{tractor}/{file_id}"),
        format!("/o/zs-x/m/assets/files/{tractor}/{file_id}"),
    ] {
        let page = eva.get(&path).await;
        assert!(matches!(page.status, 403 | 404), "{path}: {}", page.status);
    }

    // The boiler's yearly revision, first due in three days: its work
    // order is given at once, and the plan moves on a year.
    let first = (today + chrono::Duration::days(3)).to_string();
    let saved = post(
        &karel,
        &format!("{SCHOOL}/maintenance/plans/new?asset={boiler}"),
        &[
            ("name", "Roční revize plynového kotle"),
            ("trigger", "time"),
            ("every", "12"),
            ("unit", "month"),
            ("first", &first),
            (
                "checklist",
                "Kontrola těsnosti\nMěření spalin\nVyčištění hořáku",
            ),
            ("assignee", "Karel Novák"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let orders = portal.documents("zs-a", "assets", "orders").await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["number"], format!("UDR-{year}-000001"));
    assert_eq!(orders[0]["due"], first);
    assert_eq!(orders[0]["checklist"].as_array().unwrap().len(), 3);
    let plans = portal.documents("zs-a", "assets", "plans").await;
    let next_year = (today + chrono::Duration::days(3))
        .checked_add_months(chrono::Months::new(12))
        .unwrap()
        .to_string();
    assert_eq!(plans[0]["next"], next_year);
    // The morning job gives nothing twice.
    let job = CallContext {
        org_id: "zs-a".into(),
        principal: None,
        request_id: "test-maintenance".into(),
        locale: "cs".into(),
    };
    portal
        .module("assets")
        .run_job(&job, "maintenance")
        .await
        .expect("the job maintenance");
    assert_eq!(portal.documents("zs-a", "assets", "orders").await.len(), 1);

    // The tractor's service every 100 engine hours: nothing at 80, a
    // meter never goes back, a work order at 130.
    let saved = post(
        &karel,
        &format!("{SCHOOL}/maintenance/plans/new?asset={tractor}"),
        &[
            ("name", "Servis traktoru"),
            ("trigger", "meter"),
            ("every", "100"),
            ("meter_unit", "mth"),
            ("next_at", "100"),
            ("checklist", "Výměna oleje\nNabroušení nože"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let reading = format!("{SCHOOL}/maintenance/readings/{tractor}");
    let on = today.to_string();
    let at80 = post(&karel, &reading, &[("value", "80"), ("on", &on)]).await;
    assert_eq!(at80.status, 303, "{}", at80.body);
    assert_eq!(portal.documents("zs-a", "assets", "orders").await.len(), 1);
    post(&karel, &reading, &[("value", "60"), ("on", &on)])
        .await
        .assert_refused(&["Měřidlo necouvá; naposledy ukazovalo 80 mth"]);
    let at130 = post(&karel, &reading, &[("value", "130"), ("on", &on)]).await;
    assert_eq!(at130.status, 303, "{}", at130.body);
    let orders = portal.documents("zs-a", "assets", "orders").await;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[1]["title"], "Servis traktoru");
    assert_eq!(orders[1]["number"], format!("UDR-{year}-000002"));
    let plans = portal.documents("zs-a", "assets", "plans").await;
    assert_eq!(plans[1]["next_at"], 200.0);

    // A teacher reports the projector's fault from its card, with a photo.
    let card = lucie.get(&format!("{SCHOOL}/assets/{projector}")).await;
    let report = format!("{SCHOOL}/maintenance/report?asset={projector}");
    assert!(
        card.body
            .contains(&format!("/maintenance/report?asset={projector}")),
        "{}",
        card.body
    );
    let reported = upload(
        &lucie,
        &report,
        &[
            ("title", "Projektor nesvítí"),
            ("text", "Po zapnutí bliká červená kontrolka."),
        ],
        ("photo", "projektor.png", &photo(40, 30)),
    )
    .await;
    assert_eq!(reported.status, 303, "{}", reported.body);
    let fault = reported.redirected_id(&format!("{SCHOOL}/maintenance/orders/"));
    let shown = lucie
        .get(&format!("{SCHOOL}/maintenance/orders/{fault}"))
        .await;
    assert!(
        shown.body.contains(&format!("UDR-{year}-000003")),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("Nahlášeno, k převzetí"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("projektor.png"), "{}", shown.body);
    // The technician finds it in his agenda; the teacher cannot accept it,
    // nor can another region's clerk.
    let agenda = karel.get("/o/zs-a/agenda").await;
    assert!(
        agenda.body.contains("Nahlášené závady k převzetí"),
        "{}",
        agenda.body
    );
    let accept = format!("{SCHOOL}/maintenance/orders/{fault}/accept");
    let due = (today + chrono::Duration::days(2)).to_string();
    let fields = [
        ("due", due.as_str()),
        ("checklist", "Výměna lampy\nVyčištění filtru"),
    ];
    let teacher = forge(
        &lucie,
        &format!("{SCHOOL}/maintenance/orders/{fault}"),
        &accept,
        &fields,
    )
    .await;
    assert_eq!(teacher.status, 403, "{}", teacher.body);
    let stranger = forge(&eva, "/o/zs-x/m/assets/maintenance", &accept, &fields).await;
    assert!(matches!(stranger.status, 403 | 404), "{}", stranger.status);
    let theirs = forge(
        &eva,
        "/o/zs-x/m/assets/maintenance",
        &format!("/o/zs-x/m/assets/maintenance/orders/{fault}/accept"),
        &fields,
    )
    .await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    let accepted = post(&karel, &accept, &fields).await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    // Done only when every item of the checklist is.
    let done = format!("{SCHOOL}/maintenance/orders/{fault}/done");
    post(
        &karel,
        &done,
        &[
            ("checked", "0"),
            ("done_on", &on),
            ("work", "Vyměněna lampa."),
            ("cost", "2 450"),
        ],
    )
    .await
    .assert_refused(&["Ještě neprovedeno: Vyčištění filtru"]);
    let finished = post(
        &karel,
        &done,
        &[
            ("checked", "0"),
            ("checked", "1"),
            ("done_on", &on),
            ("work", "Vyměněna lampa, vyčištěn filtr."),
            ("cost", "2 450"),
        ],
    )
    .await;
    assert_eq!(finished.status, 303, "{}", finished.body);
    // The teacher hears it in her inbox.
    let inbox = lucie.get("/o/zs-a/inbox").await;
    assert!(
        inbox.body.contains(&format!(
            "Vaše hlášení UDR-{year}-000003 je vyřízeno: Projektor nesvítí"
        )),
        "{}",
        inbox.body
    );
    let card = lucie.get(&format!("{SCHOOL}/assets/{projector}")).await;
    let row = card.row_cells(&format!("UDR-{year}-000003"));
    assert_eq!(row[1], "Projektor nesvítí", "{row:?}");
    assert_eq!(row[4], "Hotovo", "{row:?}");
    assert_eq!(
        portal.audited("zs-a", &format!("UDR-{year}-000003")).await,
        [
            "assets.fault-reported",
            "assets.order-accept",
            "assets.order-done"
        ]
    );

    // A weekly check from today gives the work of each day within the
    // week ahead: today's and the next week's.
    let weekly = post(
        &karel,
        &format!("{SCHOOL}/maintenance/plans/new?asset={projector}"),
        &[
            ("name", "Kontrola filtru projektoru"),
            ("trigger", "time"),
            ("every", "1"),
            ("unit", "week"),
            ("first", &on),
        ],
    )
    .await;
    assert_eq!(weekly.status, 303, "{}", weekly.body);
    let dues: Vec<String> = portal
        .documents("zs-a", "assets", "orders")
        .await
        .into_iter()
        .filter(|o| o["title"] == "Kontrola filtru projektoru")
        .map(|o| o["due"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        dues,
        [on.clone(), (today + chrono::Duration::days(7)).to_string()]
    );
    let card = karel.get(&format!("{SCHOOL}/assets/{projector}")).await;
    assert!(card.body.contains("každý týden"), "{}", card.body);

    // The stock-take: the clerk opens it, the commission counts.
    let opened = post(
        &jana,
        &format!("{SCHOOL}/stocktake"),
        &[
            ("year", &year),
            ("as_of", &format!("{year}-12-31")),
            ("chair", "Mgr. Jana Dvořáková"),
            ("members", "Karel Novák\nMonika Malá"),
        ],
    )
    .await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    let campaign = opened.redirected_id(&format!("{SCHOOL}/stocktake/"));
    post(
        &jana,
        &format!("{SCHOOL}/stocktake"),
        &[
            ("year", &year),
            ("as_of", &format!("{year}-12-31")),
            ("chair", "Někdo"),
            ("members", "Jiný"),
        ],
    )
    .await
    .assert_refused(&["Inventarizace tohoto roku už je zahájena."]);
    let list = |room: &str| format!("{SCHOOL}/stocktake/{campaign}/{room}");
    // The commission's pages while it counts, in both languages, on a
    // desktop and a phone.
    let browser = portico_tests::chromium::Chromium::start(addr).await;
    browser.log_in("jana", PASSWORD).await;
    browser
        .check_pages(
            "85-assets-count",
            &[format!("{SCHOOL}/stocktake/{campaign}"), list(&rooms[1])],
        )
        .await;
    // The classroom: the chair is not there; a notice board nobody entered is.
    let counted = post(
        &monika,
        &list(&rooms[1]),
        &[
            ("found", projector.as_str()),
            ("extra", "Nástěnka korková bez inventárního čísla"),
        ],
    )
    .await;
    assert_eq!(counted.status, 303, "{}", counted.body);
    // The boiler room: the boiler, and the chair from the classroom.
    post(
        &monika,
        &list(&rooms[0]),
        &[("found", boiler.as_str()), ("moved", "999/999999")],
    )
    .await
    .assert_refused(&["Není v evidenci", "999/999999"]);
    let counted = post(
        &monika,
        &list(&rooms[0]),
        &[("found", boiler.as_str()), ("moved", "028/000001")],
    )
    .await;
    assert_eq!(counted.status, 303, "{}", counted.body);
    // Not signed while the garage is not counted.
    let campaign_page = format!("{SCHOOL}/stocktake/{campaign}");
    let early = forge(
        &monika,
        &campaign_page,
        &campaign_page,
        &[("agreed", "yes")],
    )
    .await;
    assert!(early.body.contains("Zbývá míst: 1"), "{}", early.body);
    // The garage is empty: the tractor is missing.
    // The projector, ticked in its classroom, is written here too by
    // mistake: found is found, it is neither moved nor missing.
    let counted = post(
        &monika,
        &list(&rooms[2]),
        &[("extra", ""), ("moved", "022/000002")],
    )
    .await;
    assert_eq!(counted.status, 303, "{}", counted.body);
    // A trimmer entered in the garage after its list was written: the
    // garage is listed again before the sign-off.
    let trimmer = asset("Křovinořez Stihl", "028", "12 900", &garage).await;
    let stale = forge(
        &monika,
        &campaign_page,
        &campaign_page,
        &[("agreed", "yes")],
    )
    .await;
    assert!(stale.body.contains("Zbývá míst: 1"), "{}", stale.body);
    assert!(
        stale
            .body
            .contains("Evidence se od té doby změnila: sepište znovu"),
        "{}",
        stale.body
    );
    let counted = post(
        &monika,
        &list(&rooms[2]),
        &[("found", trimmer.as_str()), ("moved", "022/000002")],
    )
    .await;
    assert_eq!(counted.status, 303, "{}", counted.body);
    post(&monika, &campaign_page, &[])
        .await
        .assert_refused(&["Komise podepisuje zaškrtnutím souhlasu."]);
    let signed = post(&monika, &campaign_page, &[("agreed", "yes")]).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let result = monika.get(&campaign_page).await;
    let missing = result.row_cells("022/000003");
    assert_eq!(missing[1], "Zahradní traktor Stiga", "{missing:?}");
    let moved = result.row_cells("028/000001");
    assert!(moved[3].contains("Kotelna"), "{moved:?}");
    assert!(!result.body.contains("Projektor Epson"), "{}", result.body);
    assert!(
        result
            .body
            .contains("Nástěnka korková bez inventárního čísla"),
        "{}",
        result.body
    );
    // The register follows what the commission found.
    let chair_card = jana.get(&format!("{SCHOOL}/assets/{chair}")).await;
    assert!(
        chair_card.body.contains("0.01 Kotelna"),
        "{}",
        chair_card.body
    );
    assert_eq!(
        portal.audited("zs-a", &format!("inventura-{year}")).await,
        [
            "assets.stocktake-opened",
            "assets.counted",
            "assets.counted",
            "assets.counted",
            "assets.counted",
            "assets.stocktake-signed"
        ]
    );
    let not_clerk = forge(
        &monika,
        &format!("{SCHOOL}/stocktake"),
        &format!("{SCHOOL}/stocktake"),
        &[("year", "2030")],
    )
    .await;
    assert_eq!(not_clerk.status, 403, "{}", not_clerk.body);

    // Every new page, in both languages, on a desktop and a phone.
    let order = id_where(&portal, "zs-a", "orders", "title", "Servis traktoru").await;
    let plan = id_where(
        &portal,
        "zs-a",
        "plans",
        "name",
        "Roční revize plynového kotle",
    )
    .await;
    let paths: Vec<String> = vec![
        format!("{SCHOOL}/maintenance"),
        format!("{SCHOOL}/maintenance/orders/{order}"),
        format!("{SCHOOL}/maintenance/orders/{fault}"),
        format!("{SCHOOL}/maintenance/report"),
        format!("{SCHOOL}/maintenance/plans/{plan}"),
        format!("{SCHOOL}/maintenance/readings/{tractor}"),
        format!("{SCHOOL}/assets/{boiler}"),
        format!("{SCHOOL}/assets/{tractor}/files"),
        format!("{SCHOOL}/stocktake"),
        format!("{SCHOOL}/stocktake/{campaign}"),
    ];
    browser.check_pages("85-assets-upkeep", &paths).await;
}

/// The buildings of the property register are the energy module's: a
/// school's clerk enters a building once, and the energy manager finds it
/// among the buildings whose meters they read; renamed in the register,
/// it is renamed there; the energy manager keeps its use, certificate and
/// energy reference area, not its name.
#[tokio::test(flavor = "multi_thread")]
async fn one_register_of_buildings_for_property_and_energy() {
    let portal = TestPortal::builder()
        .module("assets")
        .module("energy")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                ("jana", &[("zs-a", "assets.clerk")]),
                ("eva", &[("zs-a", "energy.manager")]),
            ],
        )
        .await;
    let [jana, eva] = ["jana", "eva"].map(|n| people.remove(n).unwrap().1);
    for b in [&jana, &eva] {
        b.get("/lang/cs").await;
    }
    let at_once = portico_host::workers::WorkerConfig {
        backoff: Duration::ZERO,
        ..Default::default()
    };
    let site = place(&jana, None, &[("name", "Areál ZŠ")]).await;
    let building_fields = [
        ("name", "Hlavní budova"),
        ("code", "A"),
        ("address", "Komenského 12, 602 00 Brno"),
        ("area", "1850"),
    ];
    let building = place(&jana, Some(&site), &building_fields).await;
    place(
        &jana,
        Some(&building),
        &[("name", "Přízemí"), ("code", "1NP")],
    )
    .await;
    portal.dispatch(&at_once).await;
    let buildings = portal.documents("zs-a", "energy", "buildings").await;
    assert_eq!(
        buildings.len(),
        1,
        "the building, not its site or storey: {buildings:?}"
    );
    assert_eq!(buildings[0]["name"], "A Hlavní budova");
    assert_eq!(buildings[0]["address"], "Komenského 12, 602 00 Brno");
    assert_eq!(buildings[0]["area_m2"], 1850.0);
    let code = buildings[0]["code"].as_str().unwrap().to_owned();
    let energy = eva.get("/o/zs-a/m/energy/").await;
    assert!(energy.body.contains("A Hlavní budova"), "{}", energy.body);
    let page = eva.get(&format!("/o/zs-a/m/energy/buildings/{code}")).await;
    assert!(page.body.contains("evidenci majetku"), "{}", page.body);

    // Renamed and measured again in the register: the same building.
    let mut changed = building_fields.to_vec();
    changed[0] = ("name", "Pavilon učeben");
    changed[3] = ("area", "1920");
    let edited = post(&jana, &format!("{SCHOOL}/places/{building}/edit"), &changed).await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    portal.dispatch(&at_once).await;
    let buildings = portal.documents("zs-a", "energy", "buildings").await;
    assert_eq!(buildings.len(), 1, "{buildings:?}");
    assert_eq!(buildings[0]["code"], code.as_str());
    assert_eq!(buildings[0]["name"], "A Pavilon učeben");
    // The energy reference area, once set, is the energy manager's: the
    // register's floor area was only its first guess.
    assert_eq!(buildings[0]["area_m2"], 1850.0);

    // The energy manager sets its use; its name stays the register's.
    let saved = post(
        &eva,
        &format!("/o/zs-a/m/energy/buildings/{code}"),
        &[
            ("name", "Jiný název"),
            ("address", "Jinde 1"),
            ("area_m2", "1920"),
            ("usage", "school"),
            ("penb", "C"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let buildings = portal.documents("zs-a", "energy", "buildings").await;
    assert_eq!(buildings[0]["name"], "A Pavilon učeben");
    assert_eq!(buildings[0]["address"], "Komenského 12, 602 00 Brno");
    assert_eq!(buildings[0]["usage"], "school");
    assert_eq!(buildings[0]["penb"], "C");
}
