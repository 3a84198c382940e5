//! Public procurement as a city's procurement clerk, the public, a
//! region's official and the Open Contracting tools use it: twenty-two
//! processes taken through their steps by HTTP, each step a release; the
//! packages checked by the Open Contracting Partnership's libcoveocds and
//! their records merged again by ocdsmerge; the procedures a value allows;
//! the statistics; the founder's overview; the pages in a browser.

use std::collections::BTreeSet;
use std::process::Command;

use portico_platform::organizations::Kind;
use portico_runtime::api::CallContext;
use portico_tests::TestPortal;
use portico_tests::browser::{Browser, Page};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";
const PREFIX: &str = "ocds-x7p3k2";
/// Statutární město Brno.
const BRNO_ICO: &str = "44992785";

/// An IČO: seven digits and the check digit they give.
fn ico(base: u32) -> String {
    let digits = format!("{:07}", base % 10_000_000);
    let check =
        portico_types::ico::expected_check_digit(&format!("{digits}0")).expect("seven digits");
    format!("{digits}{check}")
}

/// Takes `step` of the process at `base/processes/id`.
async fn step(b: &Browser, base: &str, id: &str, step: &str, fields: &[(&str, &str)]) -> Page {
    let path = format!("{base}/processes/{id}/{step}");
    b.submit(&path, &path, fields).await
}

async fn done(b: &Browser, base: &str, id: &str, name: &str, fields: &[(&str, &str)]) {
    let page = step(b, base, id, name, fields).await;
    assert_eq!(page.status, 303, "{name} of {id}: {}", page.body);
}

/// Plans a process; its id.
async fn plan(b: &Browser, base: &str, fields: &[(&str, &str)]) -> String {
    let page = b
        .submit(&format!("{base}/new"), &format!("{base}/new"), fields)
        .await;
    assert_eq!(page.status, 303, "{fields:?}: {}", page.body);
    page.redirected_id(&format!("{base}/processes/"))
}

/// The radio value of the bid of `name` on a process's award form.
fn choice(body: &str, name: &str, label: &str) -> String {
    let at = body
        .find(label)
        .unwrap_or_else(|| panic!("{label} in {body}"));
    let before = &body[..at];
    let start = before
        .rfind(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("a {name} choice before {label}"));
    let rest = &before[start + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_two_processes_publish_open_contracting_data_the_standards_tools_accept() {
    let portal = TestPortal::builder()
        .module("procurement")
        .tree_org("brno", Kind::City, None, None)
        .ico("brno", BRNO_ICO)
        .setting("procurement", "ocid-prefix", PREFIX)
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[("jana", &[("brno", "procurement.clerk")])],
        )
        .await;
    let jana = people.remove("jana").unwrap().1;
    jana.get("/lang/cs").await;
    let base = "/o/brno/m/procurement";

    // What a value does not allow is refused, in Czech, with nothing kept.
    let refused = jana
        .submit(
            &format!("{base}/new"),
            &format!("{base}/new"),
            &[
                ("title", "Rekonstrukce kotelny"),
                ("category", "goods"),
                ("procedure", "small-direct"),
                ("justification", "Spěch"),
                ("estimate", "3000000"),
            ],
        )
        .await;
    refused.assert_refused(&[
        "jde o zakázku podlimitní: druh řízení „Zakázka malého rozsahu, přímé zadání“ pro ni nelze použít.",
    ]);

    let categories = ["goods", "services", "works"];
    let today = portico_tests::today().to_string();
    let day = |n: i64| {
        (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap() + chrono::Duration::days(n))
            .to_string()
    };
    // The calls went out twenty days ago; today is the last day for bids,
    // when they are opened.
    let (start, end) = (day(-20), today.clone());
    let mut ids = Vec::new();
    for i in 0..22u32 {
        let category = categories[i as usize % 3];
        let title = format!(
            "Zakázka {i}: {}",
            ["Notebooky pro školy", "Úklid budov", "Oprava chodníků"][i as usize % 3]
        );
        // Small ones go directly or to invited suppliers; larger ones are open.
        // Works are small-scale up to 6,000,000 CZK, the rest up to 2,000,000.
        let large = if category == "works" { 3 } else { 1 };
        let (procedure, value, justification) = match i % 4 {
            0 => (
                "small-direct",
                180_000,
                "Zakázka malého rozsahu, § 27 a § 31 zákona",
            ),
            1 => (
                "small-invited",
                950_000,
                "Oslovení tří dodavatelů podle směrnice",
            ),
            2 => ("simplified", 3_200_000 * large, ""),
            _ => ("open", 4_800_000 * large, ""),
        };
        let lots = if i % 4 >= 2 && i % 5 == 2 {
            format!("Budova A; {}\nBudova B; {}", value / 2, value / 2)
        } else {
            String::new()
        };
        let (criteria, criteria_details) = if i % 4 == 3 {
            ("ratedCriteria", "Cena 70 %, lhůta dokončení 30 %")
        } else {
            ("priceOnly", "")
        };
        let (value, lots) = (value.to_string(), lots.as_str());
        let value = value.as_str();
        let id = plan(
            &jana,
            base,
            &[
                ("title", &title),
                ("description", "Podrobnosti v zadávací dokumentaci."),
                ("category", category),
                ("procedure", procedure),
                ("justification", justification),
                ("estimate", value),
                ("lots", lots),
                ("rationale", "Obnova vybavení podle plánu investic"),
                ("budget", "Rozpočet města, § 3113"),
                ("criteria", criteria),
                ("criteria_details", criteria_details),
                ("cpv", "45233142-6"),
                (
                    "profile",
                    "https://nen.nipez.cz/verejne-zakazky/p:vz:query=N006-26-V00012345",
                ),
            ],
        )
        .await;
        done(
            &jana,
            base,
            &id,
            "publish",
            &[("start", &start), ("end", &end)],
        )
        .await;
        if i % 6 == 5 {
            done(
                &jana,
                base,
                &id,
                "edit",
                &[
                    ("title", &format!("{title} (upraveno)")),
                    ("category", category),
                    ("procedure", procedure),
                    ("justification", justification),
                    ("estimate", value),
                    ("lots", lots),
                    ("criteria", criteria),
                    ("criteria_details", criteria_details),
                    ("cpv", "45233142-6"),
                    (
                        "profile",
                        "https://nen.nipez.cz/verejne-zakazky/p:vz:query=N006-26-V00012345",
                    ),
                    ("change", "Prodloužení lhůty a upřesnění množství"),
                ],
            )
            .await;
        }
        if i % 7 == 3 {
            // No bid came.
            done(
                &jana,
                base,
                &id,
                "cancel",
                &[
                    ("outcome", "unsuccessful"),
                    ("reason", "Nebyla podána žádná nabídka"),
                ],
            )
            .await;
            ids.push(id);
            continue;
        }
        let page = jana.get(&format!("{base}/processes/{id}/bid")).await;
        let lot_ids: Vec<String> = if lots.is_empty() {
            vec![String::new()]
        } else {
            vec![
                choice_option(&page.body, "Budova A"),
                choice_option(&page.body, "Budova B"),
            ]
        };
        if i == 1 {
            // An IČO whose check digit is wrong is refused at its field.
            step(
                &jana,
                base,
                &id,
                "bid",
                &[
                    ("name", "Omyl s.r.o."),
                    ("ico", "12345678"),
                    ("amount", "1000"),
                    ("received", &today),
                ],
            )
            .await
            .assert_refused(&["Toto není IČO: osm číslic, poslední je kontrolní."]);
        }
        // One bid on every third process, else two or three.
        let bidders = if i % 3 == 0 { 1 } else { 2 + i % 2 };
        for lot in &lot_ids {
            for k in 0..bidders {
                let amount = (900_000 + 10_000 * k + 1_000 * i).to_string();
                done(
                    &jana,
                    base,
                    &id,
                    "bid",
                    &[
                        ("lot", lot),
                        ("name", &format!("Dodavatel {k} s.r.o.")),
                        ("ico", &ico(2_707_400 + k)),
                        ("amount", &amount),
                        ("received", &today),
                    ],
                )
                .await;
            }
        }
        // Of the second process's two lots, one is closed without an award.
        let awarded = if i == 2 { 1 } else { lot_ids.len() };
        for _ in 0..awarded {
            let page = jana.get(&format!("{base}/processes/{id}/award")).await;
            let bid = choice(&page.body, "bid", "Dodavatel 0 s.r.o.");
            done(
                &jana,
                base,
                &id,
                "award",
                &[
                    ("bid", &bid),
                    ("date", &today),
                    ("evaluation", "Nejnižší nabídková cena; pořadí podle ceny"),
                ],
            )
            .await;
        }
        if i == 2 {
            let page = jana.get(&format!("{base}/processes/{id}/close")).await;
            let lot = choice(&page.body, "lot", "Budova B");
            done(
                &jana,
                base,
                &id,
                "close",
                &[
                    ("lot", &lot),
                    ("reason", "Žádná nabídka nesplnila podmínky"),
                ],
            )
            .await;
        }
        if i % 8 == 7 {
            // Awarded, its contract not signed yet; the seventh is cancelled
            // before it is.
            if i == 7 {
                done(
                    &jana,
                    base,
                    &id,
                    "cancel",
                    &[
                        ("outcome", "cancelled"),
                        ("reason", "Zastupitelstvo neschválilo financování"),
                    ],
                )
                .await;
            }
            ids.push(id);
            continue;
        }
        for _ in 0..awarded {
            let page = jana.get(&format!("{base}/processes/{id}/contract")).await;
            let award = choice(&page.body, "award", "Dodavatel 0 s.r.o.");
            done(
                &jana,
                base,
                &id,
                "contract",
                &[
                    ("award", &award),
                    ("signed", &today),
                    ("start", &today),
                    ("end", &day(90)),
                    ("registry", &format!("SML/2026/{i:03}")),
                ],
            )
            .await;
        }
        let page = jana.get(&format!("{base}/processes/{id}/pay")).await;
        let deal = choice(&page.body, "deal", "Dodavatel 0 s.r.o.");
        if i % 2 == 0 {
            done(
                &jana,
                base,
                &id,
                "amend",
                &[
                    ("deal", &deal),
                    ("date", &today),
                    ("rationale", "Vícepráce podle § 222 odst. 4"),
                    ("value", "990000"),
                ],
            )
            .await;
        }
        for n in 0..(1 + i % 2) {
            done(
                &jana,
                base,
                &id,
                "pay",
                &[
                    ("deal", &deal),
                    ("date", &today),
                    ("amount", "300000"),
                    ("invoice", &format!("FV-{i}-{n}")),
                ],
            )
            .await;
        }
        if i % 2 == 1 {
            // A handover due in a month; every fourth is met today.
            let due = day(30);
            let milestone = [
                ("deal", deal.as_str()),
                ("title", "Předání díla"),
                ("due", &due),
            ];
            done(&jana, base, &id, "milestone", &milestone).await;
            if i % 4 == 1 {
                let met = [
                    ("deal", deal.as_str()),
                    ("title", "Předání díla"),
                    ("met", &today),
                ];
                done(&jana, base, &id, "milestone", &met).await;
            }
        }
        if i % 3 == 0 {
            done(&jana, base, &id, "finish", &[("deal", &deal)]).await;
        }
        ids.push(id);
    }

    // A process handed over by the register used before: the job gives it
    // its OCID and a first release with every stage it reached.
    portal
        .import(
            "brno",
            "procurement",
            "processes",
            &serde_json::json!({
                "releases": 0,
                "title": "Servis zdravotnické techniky",
                "category": "services",
                "procedure": "simplified",
                "status": "complete",
                "tender_start": "2026-06-01",
                "tender_end": "2026-06-30",
                "lots": [{ "id": "lot-1", "title": "Servis zdravotnické techniky", "value": 2_600_000 }],
                "bids": [{ "id": "bid-1", "lot": "lot-1", "name": "Servis Morava s.r.o.", "ico": ico(2_707_499), "amount": 2_310_000, "received": "2026-06-29" }],
                "awards": [{ "id": "award-1", "lot": "lot-1", "bid": "bid-1", "date": "2026-07-10", "status": "active" }],
                "deals": [{ "id": "contract-1", "award": "award-1", "signed": "2026-07-20", "value": 2_310_000, "status": "active",
                            "payments": [{ "id": "contract-1-payment-1", "date": "2026-09-30", "amount": 192_500, "invoice": "FV-9" }] }],
            })
            .to_string(),
        )
        .await;
    let job = |org: &str| CallContext {
        org_id: org.into(),
        principal: None,
        request_id: "test-publish".into(),
        locale: "cs".into(),
    };
    for _ in 0..2 {
        portal
            .module("procurement")
            .run_job(&job("brno"), "publish")
            .await
            .expect("the job publish");
    }

    // Everything is public: the bulk downloads, and each process's packages.
    let public = Browser::new(addr);
    let dir = tempfile::tempdir().unwrap();
    let releases = public.get(&format!("{base}/ocds/releases.json")).await;
    assert_eq!(releases.status, 200, "{}", releases.body);
    let records = public.get(&format!("{base}/ocds/records.json")).await;
    assert_eq!(records.status, 200, "{}", records.body);
    std::fs::write(dir.path().join("releases.json"), &releases.body).unwrap();
    std::fs::write(dir.path().join("records.json"), &records.body).unwrap();
    let all = releases.json();
    // The bulk download by year: this year's is all of it, another's none.
    let year = &today[..4];
    let this_year = public
        .get(&format!("{base}/ocds/releases.json?year={year}"))
        .await
        .json();
    assert_eq!(this_year["releases"], all["releases"]);
    let before = public
        .get(&format!("{base}/ocds/releases.json?year=1999"))
        .await
        .json();
    assert_eq!(before["releases"], serde_json::json!([]));
    let wrong = public
        .get(&format!("{base}/ocds/records.json?year=letos"))
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let records = records.json();
    assert_eq!(records["records"].as_array().unwrap().len(), 23);
    // Published once, however often the job ran.
    let imported: Vec<&Value> = records["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["compiledRelease"]["tender"]["title"] == "Servis zdravotnické techniky")
        .collect();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0]["releases"].as_array().unwrap().len(), 1);
    assert_eq!(
        imported[0]["releases"][0]["tag"],
        serde_json::json!(["tender", "award", "contract", "implementation"])
    );
    for (n, record) in records["records"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .take(3)
    {
        let ocid = record["ocid"].as_str().unwrap();
        for kind in ["releases", "records"] {
            let one = public.get(&format!("{base}/ocds/{kind}/{ocid}")).await;
            assert_eq!(one.status, 200, "{}", one.body);
            std::fs::write(dir.path().join(format!("{kind}-{n}.json")), &one.body).unwrap();
        }
    }
    let out = Command::new(portico_tests::peer_python(
        "OCDS_PYTHON",
        "ocds-venv",
        "libcoveocds",
    ))
    .arg(portico_tests::repo_root().join("tests/data/ocds/check.py"))
    .arg(dir.path())
    .output()
    .expect("the OCDS tools run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("the tools' report");
    assert_eq!(report["problems"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["records"], 23 + 3, "{report:#}");

    // Every step said what it was, every party is a Czech organization by
    // its IČO, and every process is the city's.
    let releases = all["releases"].as_array().unwrap();
    assert!(releases.len() >= 22 * 4, "{} releases", releases.len());
    let tags: BTreeSet<&str> = releases
        .iter()
        .flat_map(|r| {
            r["tag"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
        })
        .collect();
    for tag in [
        "planning",
        "tender",
        "tenderAmendment",
        "tenderUpdate",
        "tenderCancellation",
        "award",
        "awardCancellation",
        "contract",
        "contractAmendment",
        "implementation",
        "contractTermination",
    ] {
        assert!(tags.contains(tag), "no {tag} release: {tags:?}");
    }
    for r in releases {
        assert!(
            r["ocid"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{PREFIX}-"))
        );
        assert_eq!(r["buyer"]["id"], format!("CZ-ICO-{BRNO_ICO}"));
        for party in r["parties"].as_array().unwrap() {
            assert_eq!(party["identifier"]["scheme"], "CZ-ICO", "{party}");
        }
    }
    assert_eq!(all["publisher"]["uid"], BRNO_ICO);

    // A lot closed without an award is unsuccessful in the record; the
    // other was awarded. The cancelled process's award is cancelled too.
    let compiled = |title: &str| {
        records["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["compiledRelease"])
            .find(|c| c["tender"]["title"].as_str().unwrap().starts_with(title))
            .unwrap_or_else(|| panic!("{title}"))
            .clone()
    };
    let two = compiled("Zakázka 2:");
    let statuses: Vec<&str> = two["tender"]["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["complete", "unsuccessful"], "{two}");
    assert_eq!(two["tender"]["status"], "complete");
    let one = compiled("Zakázka 1:");
    let milestone = &one["contracts"][0]["implementation"]["milestones"][0];
    assert_eq!(milestone["status"], "met", "{one}");
    assert_eq!(
        one["awards"][0]["description"],
        "Nejnižší nabídková cena; pořadí podle ceny"
    );
    assert_eq!(
        one["tender"]["items"][0]["classification"]["id"],
        "45233142-6"
    );
    let seven = compiled("Zakázka 7:");
    assert_eq!(seven["tender"]["status"], "cancelled");
    assert_eq!(seven["awards"][0]["status"], "cancelled", "{seven}");

    // The clerk's statistics: of the open competitions awarded (eight,
    // the imported one with them), four on a single bid.
    let stats = jana.get(&format!("{base}/statistics")).await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert!(
        stats.body.contains("Soutěže zadané s jedinou nabídkou"),
        "{}",
        stats.body
    );
    assert!(stats.body.contains("4 / 8"), "{}", stats.body);
    assert!(stats.body.contains("50 %"), "{}", stats.body);
    assert_eq!(ids.len(), 22);
}

/// The option value of the lot titled `label` on a bid form.
fn choice_option(body: &str, label: &str) -> String {
    let at = body
        .find(&format!(">{label}<"))
        .unwrap_or_else(|| panic!("{label} in {body}"));
    let before = &body[..at];
    let start = before.rfind("value=\"").unwrap();
    let rest = &before[start + 7..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Publishes the call of process `id` for bids today only, records the
/// bid of `name` and chooses it.
async fn awarded_on_one_bid(
    b: &Browser,
    base: &str,
    id: &str,
    name: &str,
    ico: &str,
    amount: &str,
) {
    let today = portico_tests::today().to_string();
    done(
        b,
        base,
        id,
        "publish",
        &[("start", &today), ("end", &today)],
    )
    .await;
    let bid = [
        ("name", name),
        ("ico", ico),
        ("amount", amount),
        ("received", &today),
    ];
    done(b, base, id, "bid", &bid).await;
    let page = b.get(&format!("{base}/processes/{id}/award")).await;
    let bid = choice(&page.body, "bid", name);
    done(b, base, id, "award", &[("bid", &bid), ("date", &today)]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_founder_sees_its_schools_procurement_and_the_pages_are_accessible() {
    let portal = TestPortal::builder()
        .module("procurement")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org("jiny-kraj", Kind::Region, None, None)
        .tree_org(
            "zs-x",
            Kind::Organization,
            Some("jiny-kraj"),
            Some("school"),
        )
        .setting("procurement", "ocid-prefix", PREFIX)
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                (
                    "jana",
                    &[
                        ("zs-a", "procurement.clerk"),
                        ("kraj", "procurement.reader"),
                    ],
                ),
                ("olga", &[("kraj", "procurement.reader")]),
                ("petr", &[("jiny-kraj", "procurement.reader")]),
            ],
        )
        .await;
    let jana = people.remove("jana").unwrap().1;
    let olga = people.remove("olga").unwrap().1;
    let petr = people.remove("petr").unwrap().1;
    for b in [&jana, &olga, &petr] {
        b.get("/lang/cs").await;
    }
    let base = "/o/zs-a/m/procurement";
    let today = portico_tests::today().to_string();
    // A direct award with a single bid, and an open call still out.
    let direct = plan(
        &jana,
        base,
        &[
            ("title", "Tonery do tiskáren"),
            ("category", "goods"),
            ("procedure", "small-direct"),
            ("justification", "Zakázka malého rozsahu do 200 000 Kč"),
            ("estimate", "120000"),
        ],
    )
    .await;
    awarded_on_one_bid(
        &jana,
        base,
        &direct,
        "Kancelář Plus s.r.o.",
        &ico(2_707_411),
        "118000",
    )
    .await;
    // A competition that drew a single bid.
    let windows = plan(
        &jana,
        base,
        &[
            ("title", "Výměna oken tělocvičny"),
            ("category", "works"),
            ("procedure", "simplified"),
            ("estimate", "8000000"),
        ],
    )
    .await;
    awarded_on_one_bid(
        &jana,
        base,
        &windows,
        "Okna Brno s.r.o.",
        &ico(2_707_412),
        "7650000",
    )
    .await;
    // A call still out: its bids stay sealed until its last day.
    let open = plan(
        &jana,
        base,
        &[
            ("title", "Rekonstrukce školní jídelny"),
            ("category", "works"),
            ("procedure", "simplified"),
            ("estimate", "9500000"),
        ],
    )
    .await;
    let later = (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap()
        + chrono::Duration::days(10))
    .to_string();
    done(
        &jana,
        base,
        &open,
        "publish",
        &[("start", &today), ("end", &later)],
    )
    .await;
    let early = jana.get(&format!("{base}/processes/{open}/bid")).await;
    assert!(
        early.body.contains("do té doby zůstávají zapečetěné"),
        "{}",
        early.body
    );
    assert!(!early.body.contains("name=\"ico\""), "{}", early.body);
    portal.settle().await;

    // The region sees the school's figures: three processes, two awarded,
    // the competition on a single bid; the other region does not.
    let region = olga.get("/o/kraj/m/procurement/region").await;
    assert_eq!(region.status, 200, "{}", region.body);
    // Processes, tendering, awarded, single bid, direct awards, estimated, awarded value.
    let row = region.row_cells("Organization zs-a");
    assert_eq!(
        &row[1..6],
        ["3", "1", "2", "1 / 1 (100 %)", "1"],
        "{}",
        region.body
    );
    assert_eq!(
        row[7].replace('\u{a0}', " "),
        "7 768 000 Kč",
        "{}",
        region.body
    );
    let other = petr.get("/o/jiny-kraj/m/procurement/region").await;
    assert!(!other.body.contains("Organization zs-a"), "{}", other.body);
    assert_eq!(
        petr.get(&format!("{base}/processes/{open}")).await.status,
        403
    );

    // The public reads the call, by its OCID.
    let ocid = portal
        .documents("zs-a", "procurement", "processes")
        .await
        .into_iter()
        .map(|d| d["ocid"].as_str().unwrap().to_owned())
        .find(|o| o.ends_with(&open))
        .expect("the call's OCID");
    let public = Browser::new(addr);
    let page = public.get(&format!("{base}/public/{ocid}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Rekonstrukce školní jídelny"),
        "{}",
        page.body
    );

    let paths: Vec<String> = vec![
        format!("{base}/"),
        format!("{base}/new"),
        format!("{base}/processes/{direct}"),
        format!("{base}/processes/{open}"),
        format!("{base}/processes/{open}/bid"),
        format!("{base}/processes/{open}/answer"),
        format!("{base}/processes/{direct}/contract"),
        format!("{base}/statistics"),
        format!("{base}/public"),
        format!("{base}/public/{ocid}"),
        "/o/kraj/m/procurement/region".to_owned(),
    ];
    let browser = portico_tests::chromium::Chromium::start(addr).await;
    browser.log_in("jana", PASSWORD).await;
    browser.check_pages("83-procurement", &paths).await;
}
