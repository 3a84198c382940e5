//! The founder's overview of its organizations' contract registries: 300
//! organizations have sent 50,000 contracts up; the region's official
//! opens the overview (`contracts_founder_overview_p95_ms`, bar ≤ 100 ms)
//! and one organization's contracts
//! (`contracts_founder_organization_p95_ms`).

use std::time::Instant;

use portico_platform::identity::users::UserKind;
use portico_tests::browser::Browser;
use portico_tests::{TEST_CITY, TestPortal};
use serde_json::json;

use crate::{PASSWORD, bar, p95, print, size};

pub async fn founder_overview() {
    let orgs = size(300, 4);
    let contracts = size(50_000, 80);
    let portal = TestPortal::builder().module("contracts").build().await;
    let addr = portal.serve().await;
    let official = portal.user("olga", UserKind::Staff, PASSWORD).await;
    portal.grant(&official, TEST_CITY, "contracts.reader").await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("olga", PASSWORD).await.status, 303);
    let states = ["published", "published", "published", "outside", "pending"];
    let (mut received, mut members) = (String::new(), String::new());
    let mut totals = vec![[0u64; 4]; orgs];
    for n in 0..contracts {
        let o = n % orgs;
        let org = format!("org-{o:03}");
        let state = states[n % states.len()];
        let day = 1 + n % 28;
        let month = 1 + (n / 28) % 12;
        let concluded = format!("2026-{month:02}-{day:02}");
        let problems = u32::from(n % 17 == 0);
        let value = 20_000.0 + (n * 7919 % 900) as f64 * 1_000.0;
        totals[o][0] += 1;
        match state {
            "pending" => totals[o][1] += 1,
            "published" => totals[o][2] += 1,
            _ => {}
        }
        totals[o][3] += u64::from(problems);
        let number = format!("SML/2026/{n:05}");
        received.push_str(&json!({
            "key": format!("{org}~{number}"), "org": org, "org_name": format!("Organizace {o:03}"),
            "state": state, "problems": problems, "concluded": concluded, "sent_at": "2026-12-01T06:00:00Z",
            "contract": {
                "number": number, "subject": format!("Dodávka a služby č. {n}"),
                "parties": [{"name": "Dodavatel-Example s.r.o.", "ico": "25317075", "databox": ""}],
                "value_net": value, "value_gross": value * 1.21, "currency": "CZK",
                "concluded": concluded, "state": state, "duty": state != "outside",
                "problems": problems, "value_czk": value,
                "checks": if problems == 1 { json!([{"code": "document", "arg": ""}]) } else { json!([]) },
            },
        }).to_string());
        received.push('\n');
    }
    for (o, t) in totals.iter().enumerate() {
        members.push_str(
            &json!({
                "org": format!("org-{o:03}"), "org_name": format!("Organizace {o:03}"),
                "received": "2026-12-01T06:00:00Z",
                "totals": {"contracts": t[0], "pending": t[1], "published": t[2], "failing": t[3]},
            })
            .to_string(),
        );
        members.push('\n');
    }
    portal
        .import(TEST_CITY, "contracts", "received", &received)
        .await;
    portal
        .import(TEST_CITY, "contracts", "members", &members)
        .await;
    for (path, figure, bar_ms) in [
        (
            "/m/contracts/region",
            "contracts_founder_overview_p95_ms",
            Some(100.0),
        ),
        (
            "/m/contracts/region?org=org-001",
            "contracts_founder_organization_p95_ms",
            None,
        ),
    ] {
        let mut times = Vec::new();
        for i in 0..size(200, 5) {
            let start = Instant::now();
            let page = browser.get(path).await;
            times.push(start.elapsed());
            assert_eq!(page.status, 200, "{}", page.body);
            if i == 0 {
                let last = format!("Organizace {:03}", orgs - 1);
                assert!(
                    page.body.contains(&last) || path.contains("org="),
                    "every organization listed"
                );
                assert!(page.body.contains("SML/2026/"), "contracts listed");
            }
        }
        let p = p95(times);
        print(figure, p, "ms");
        if let Some(ms) = bar_ms {
            bar(figure, p <= ms, "≤ 100 ms");
        }
    }
}
