//! Search that finds Czech words, on SQLite and on PostgreSQL: the portal's
//! search folds case and diacritics and takes each word as a beginning,
//! follows a document as it changes and goes, ranks a title's whole word
//! first; the record store's own equality and prefix fold alike.

use portico_platform::records::{self, Filter, FilterOp, Query, Scope};
use portico_runtime::backend::CollectionRef;
use portico_tests::{TEST_CITY, TestDatabase, TestPortal};

use crate::{HTML, get};

fn notice(reference: &str, title: &str, department: &str) -> String {
    serde_json::json!({
        "reference": reference,
        "title": title,
        "department": department,
        "published": "2026-11-30",
        "until": "2099-12-31",
        "text": "Vyvěšeno.",
        "taken_down": false,
    })
    .to_string()
}

/// The titles of the hits a search page lists, in order.
fn hits(body: &str) -> Vec<String> {
    body.split("<ul class=\"hits\">")
        .skip(1)
        .flat_map(|list| {
            let list = list.split("</ul>").next().unwrap_or_default();
            list.split("<li><a href=\"")
                .skip(1)
                .filter_map(|item| {
                    let title = item.split_once("\">")?.1;
                    Some(title.split("</a>").next()?.to_owned())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn czech_words_are_found(database: TestDatabase) {
    let engine = database.engine;
    let portal = TestPortal::builder()
        .module("notice-board")
        .database(database)
        .build()
        .await;
    let schema = portico_host::services::schema(CollectionRef {
        name: "notices",
        spec: &portal.module("notice-board").manifest().collections["notices"],
    });
    let scope = Scope {
        org_id: TEST_CITY.into(),
        module_id: "notice-board".into(),
        actor: "test".into(),
    };
    let db = portal.db();
    let put = |reference: &'static str, title: &'static str, department: &'static str| {
        let schema = schema.clone();
        let scope = scope.clone();
        async move {
            records::insert(db, &scope, &schema, &notice(reference, title, department))
                .await
                .expect("a notice")
        }
    };
    put("MMB/0001/2026", "Uzavírka ulice Údolní", "Odbor dopravy").await;
    let zabovresky = put(
        "MMB/0002/2026",
        "Oprava chodníku v Žabovřeskách",
        "Odbor dopravy",
    )
    .await;
    put("MMB/0003/2026", "Pronájem bytu", "Majetkový odbor Údolní").await;
    put("MMB/0004/2026", "Údolnímu výboru", "Kancelář starosty").await;

    let app = portal.app();
    let search = |q: &'static str| {
        let app = app.clone();
        async move {
            let page = get(&app, &format!("/search?q={q}"), HTML).await;
            assert_eq!(page.status, 200, "{engine} {q}: {}", page.body);
            hits(&page.body)
        }
    };
    // Whatever the case and the diacritics, a word or its beginning: the
    // title's whole word first, then a title's word that begins so, then
    // the department's.
    for q in ["udolni", "%C3%9ADOLN%C3%8D", "%C3%BAdol"] {
        let found = search(q).await;
        assert_eq!(found.len(), 3, "{engine} {q}: {found:?}");
        assert!(
            found.contains(&"Uzavírka ulice Údolní".to_owned()),
            "{engine} {q}: {found:?}"
        );
    }
    assert_eq!(
        search("udolni").await,
        ["Uzavírka ulice Údolní", "Údolnímu výboru", "Pronájem bytu"],
        "{engine}"
    );
    assert_eq!(
        search("ZABOVRESKY").await,
        ["Oprava chodníku v Žabovřeskách"],
        "{engine}"
    );
    // Every word must be found: two words narrow.
    assert_eq!(
        search("oprava+zabovr").await,
        ["Oprava chodníku v Žabovřeskách"]
    );
    assert!(search("oprava+udolni").await.is_empty(), "{engine}");
    // A reference number, as written.
    assert_eq!(
        search("MMB%2F0003%2F2026").await,
        ["Pronájem bytu"],
        "{engine}"
    );

    // A document's words follow it: changed, the old words no longer find
    // it; deleted, nothing does.
    let changed = records::update(
        db,
        &scope,
        &schema,
        &zabovresky.id,
        1,
        &notice("MMB/0002/2026", "Oprava chodníku v Líšni", "Odbor dopravy"),
    )
    .await
    .expect("changed");
    assert!(search("zabovresky").await.is_empty(), "{engine}");
    assert_eq!(search("LISNI").await, ["Oprava chodníku v Líšni"]);
    records::delete(db, &scope, &schema, &zabovresky.id, changed.version)
        .await
        .expect("deleted");
    assert!(search("lisni").await.is_empty(), "{engine}");

    // The store's own filters fold alike: equality and prefix.
    let find = |op: FilterOp, value: &str| Query {
        filters: vec![Filter {
            field: "title".into(),
            op,
            value: value.into(),
        }],
        limit: 10,
        ..Default::default()
    };
    let titles = |page: records::Page| -> Vec<String> {
        page.records
            .iter()
            .map(|r| r.data().unwrap()["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let equal = records::query(
        db,
        &scope,
        &schema,
        &find(FilterOp::Eq, "UZAVIRKA ULICE udolni"),
    )
    .await
    .expect("equality");
    assert_eq!(titles(equal), ["Uzavírka ulice Údolní"], "{engine}");
    let prefix = records::query(db, &scope, &schema, &find(FilterOp::Prefix, "udol"))
        .await
        .expect("prefix");
    assert_eq!(titles(prefix), ["Údolnímu výboru"], "{engine}");
    let exact = records::query(db, &scope, &schema, &find(FilterOp::Eq, "Pronájem bytu"))
        .await
        .expect("equality as written");
    assert_eq!(titles(exact), ["Pronájem bytu"], "{engine}");

    portal.database.cleanup().await;
}

#[tokio::test]
async fn czech_words_are_found_on_sqlite() {
    czech_words_are_found(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn czech_words_are_found_on_postgres() {
    czech_words_are_found(TestDatabase::postgres().await).await;
}
