//! Pages with ten modules, and the store at scale: record inserts and
//! queries through a module over 1,000,000 records, the portal's search
//! through 1,000,000 notices, and `audit verify` of 1,000,000 entries
//! (2,000 of each in a smoke run).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use portico_tests::{TEST_CITY, TestDatabase, TestPortal, demo_notices};

use crate::{get_p95, page, page_body, print, request, size};

/// The modules of the page bench: every built one, ten in all.
const TEN_MODULES: [&str; 10] = [
    "notice-board",
    "ledger",
    "contacts",
    "opening-hours",
    "city-news",
    "hostile",
    "sneaky",
    "looper",
    "trapper",
    "memory-hog",
];

/// Portal pages as a browser gets them (HTML, shell and navigation
/// assembled from ten enabled modules), one after another through the
/// router: the server's time per page, p95 (the bar is 50 ms).
pub async fn portal_pages() {
    let mut builder = TestPortal::builder();
    for m in TEN_MODULES {
        builder = builder.module(m);
    }
    let portal = builder.build().await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    let app = portal.app();
    for (name, path, shows) in [
        ("notice board", "/m/notice-board/", "Posted notices"),
        ("dashboard", "/", "Notices posted"),
        ("search", "/search?q=projedn", "Found: 1"),
        ("contacts", "/m/contacts/", "Registry office"),
        ("manual", "/help/notice-board", "For editors"),
        ("log-in", "/auth/login", "Password"),
    ] {
        let body = page_body(&app, path).await;
        assert!(body.contains(shows), "{path}: {body}");
        if path.contains("/m/") {
            assert!(
                body.contains("Opening hours"),
                "the navigation of ten modules: {body}"
            );
        }
        // Warm: compiled code cached, pool filled, caches read.
        for _ in 0..size(50, 5) {
            assert_eq!(page(&app, path).await, 200, "{path}");
        }
        let mut times = Vec::new();
        for _ in 0..size(1_000, 20) {
            let start = Instant::now();
            let status = page(&app, path).await;
            times.push(start.elapsed());
            assert_eq!(status, 200, "{path}");
        }
        times.sort();
        print(
            &format!("page p95 with 10 modules ({name})"),
            times[times.len() * 95 / 100].as_secs_f64() * 1000.0,
            "ms",
        );
    }
}

/// `audit verify` over a chain of 1,000,000 entries (2,000 in a smoke run).
pub async fn audit_verify(test_db: TestDatabase) {
    use portico_platform::audit::{self, Entry, Verdict};
    use portico_platform::organizations::{self, Kind, NewOrganization};
    use sea_orm::ConnectionTrait;

    let entries: i64 = size(1_000_000, 2_000);
    let db = test_db.connect().await;
    organizations::create(
        &db,
        "bench",
        NewOrganization {
            id: "bench".into(),
            name: "Bench".into(),
            ico: None,
            kind: Kind::City,
            parent_id: None,
            category: None,
            address: None,
        },
    )
    .await
    .expect("an organization");
    let Verdict::Intact { mut head, .. } = audit::verify(&db, "bench").await.expect("verify")
    else {
        panic!("a fresh chain verifies");
    };
    // A valid chain, written in bulk (appending one by one would measure
    // transactions, not verification).
    let start = Instant::now();
    let mut values = Vec::with_capacity(2_000);
    for seq in 2..=entries {
        let mut e = Entry {
            org_id: "bench".into(),
            seq,
            at_micros: 1_790_000_000_000_000 + seq,
            actor: "user:bench".into(),
            module: "notice-board".into(),
            action: "notice.publish".into(),
            subject: format!("MMB/{seq}/2026"),
            detail: format!(r#"{{"title":"Notice {seq}"}}"#),
            prev_hash: head.clone(),
            hash: String::new(),
        };
        e.hash = audit::hash_of(&e);
        head = e.hash.clone();
        values.push(format!(
            "('bench',{},{},'{}','{}','{}','{}','{}','{}','{}')",
            e.seq,
            e.at_micros,
            e.actor,
            e.module,
            e.action,
            e.subject,
            e.detail,
            e.prev_hash,
            e.hash
        ));
        if values.len() == 2_000 || seq == entries {
            db.execute_unprepared(&format!(
                "INSERT INTO audit_entries (org_id, seq, at_micros, actor, module, action, subject, detail, prev_hash, hash) VALUES {}",
                values.join(",")
            ))
            .await
            .expect("bulk insert");
            values.clear();
        }
    }
    db.execute_unprepared(&format!(
        "UPDATE audit_heads SET seq = {entries}, hash = '{head}' WHERE org_id = 'bench'"
    ))
    .await
    .expect("head");
    eprintln!(
        "audit: {entries} entries written to {} in {:?}",
        test_db.engine,
        start.elapsed()
    );

    let start = Instant::now();
    let verdict = audit::verify(&db, "bench").await.expect("verify");
    let took = start.elapsed();
    assert!(
        matches!(
            verdict,
            Verdict::Intact { entries: e, .. } if e == entries
        ),
        "{verdict:?}"
    );
    print(
        &format!("audit_verify_1m_{}", test_db.engine),
        took.as_secs_f64(),
        "s",
    );
    db.close().await.ok();
    test_db.cleanup().await;
}

/// Record inserts per second through a module call, and the p95 of a
/// filtered query through a module over 1,000,000 records.
pub async fn records_bench(test_db: TestDatabase) {
    use sea_orm::ConnectionTrait;

    let engine = test_db.engine;
    let portal = TestPortal::builder()
        .module("ledger")
        .database(test_db)
        .build()
        .await;
    let app = portal.app();

    // Inserts: 16 clients at once, each insert one module call and one
    // transaction (document, slots, audit entry).
    let inserts = size(2_000, 50);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (app, next) = (app.clone(), next.clone());
        clients.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= inserts as u64 {
                    return;
                }
                let body = format!(r#"{{"title":"Entry {i}","kind":"fee","amount":{i}}}"#);
                let status = request(&app, "POST", "/m/ledger/api/raw/entries", body).await;
                assert_eq!(status, 201);
            }
        });
    }
    while clients.join_next().await.is_some() {}
    let took = start.elapsed();
    print(
        &format!("record_insert_{engine}"),
        inserts as f64 / took.as_secs_f64(),
        "inserts/s",
    );

    // A collection of 1,000,000 records, written in bulk beside the ones above.
    let total = size(1_000_000, 2_000);
    let db = portal.db();
    let collection: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM record_collections WHERE module_id = 'ledger' AND name = 'entries'",
        ))
        .await
        .expect("the collection")
        .expect("a row")
        .try_get("", "id")
        .expect("its id");
    let start = Instant::now();
    let mut values = Vec::with_capacity(5_000);
    for i in 0..total {
        let kind = format!("kind-{}", i % 20);
        let amount = (i * 7919) % 100_000;
        let title = format!("Entry {i}");
        let id = uuid::Uuid::now_v7();
        values.push(format!(
            "({collection},'{id}',1,false,'{{\"title\":\"{title}\",\"kind\":\"{kind}\",\"amount\":{amount}}}',1790000000000000,1790000000000000,'{kind}','{title}','entry {i}',{amount})"
        ));
        if values.len() == 5_000 || i + 1 == total {
            db.execute_unprepared(&format!(
                "INSERT INTO records (collection_id, id, version, deleted, doc, created_at_micros, updated_at_micros, s0, s1, f1, n0) VALUES {}",
                values.join(",")
            ))
            .await
            .expect("bulk insert");
            values.clear();
        }
    }
    let analyze = if engine == "postgres" {
        "ANALYZE records"
    } else {
        "ANALYZE"
    };
    db.execute_unprepared(analyze).await.expect("analyze");
    eprintln!(
        "records: {total} written to {engine} in {:?}",
        start.elapsed()
    );

    // Filtered queries through the module: one kind, an amount range,
    // sorted by amount, a page of 50, each with other values; and a
    // selective one: one title, sorted by amount.
    let filtered = (0..size(300, 20)).map(|q| {
        format!(
            "/m/ledger/api/find/entries?f=kind,eq,kind-{}&f=amount,ge,{}&sort=amount&limit=50",
            q % 20,
            (q * 331) % 90_000
        )
    });
    print(
        &format!("record_query_p95_1m_{engine}"),
        get_p95(&app, filtered).await,
        "ms",
    );
    let lookups = (0..size(300, 20)).map(|q| {
        format!(
            "/m/ledger/api/find/entries?f=title,eq,Entry%20{}&sort=amount&limit=50",
            q * 3331
        )
    });
    print(
        &format!("record_lookup_p95_1m_{engine}"),
        get_p95(&app, lookups).await,
        "ms",
    );
    portal.database.cleanup().await;
}

/// Words of the search bench's notices: what a city's board is made of.
const KINDS: [&str; 8] = [
    "Oznámení",
    "Veřejná vyhláška",
    "Rozhodnutí",
    "Výzva",
    "Usnesení",
    "Informace",
    "Záměr",
    "Nařízení",
];
const SUBJECTS: [&str; 12] = [
    "uzavírce",
    "prodeji",
    "pronájmu",
    "opravě",
    "výstavbě",
    "kácení",
    "přerušení dodávky vody",
    "zimní údržbě",
    "změně územního plánu",
    "konání zasedání",
    "vyvěšení",
    "dražbě",
];
const PLACES: [&str; 40] = [
    "Údolní",
    "Žabovřesky",
    "Kounicova",
    "Veveří",
    "Křenová",
    "Štýřice",
    "Líšeň",
    "Řečkovice",
    "Bystrc",
    "Komín",
    "Jundrov",
    "Bohunice",
    "Starý Lískovec",
    "Nový Lískovec",
    "Medlánky",
    "Ivanovice",
    "Jehnice",
    "Ořešín",
    "Útěchov",
    "Vinohrady",
    "Slatina",
    "Tuřany",
    "Chrlice",
    "Holásky",
    "Komárov",
    "Horní Heršpice",
    "Dolní Heršpice",
    "Přízřenice",
    "Černovice",
    "Židenice",
    "Husovice",
    "Lesná",
    "Soběšice",
    "Obřany",
    "Maloměřice",
    "Kohoutovice",
    "Pisárky",
    "Stránice",
    "Trnitá",
    "Zábrdovice",
];
const DEPARTMENTS: [&str; 6] = [
    "Odbor dopravy",
    "Odbor životního prostředí",
    "Stavební úřad",
    "Majetkový odbor",
    "Odbor školství",
    "Kancelář starosty",
];

/// The portal's search over 1,000,000 notices of one board (2,000 in a
/// smoke run): the p95 of a two-word query as a person types it, without
/// diacritics, through the search page.
pub async fn search_bench(test_db: TestDatabase) {
    use portico_platform::records;
    use portico_types::folding::fold;
    use sea_orm::ConnectionTrait;

    let engine = test_db.engine;
    let portal = TestPortal::builder()
        .module("notice-board")
        .database(test_db)
        .build()
        .await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    let app = portal.app();
    let db = portal.db();
    let collection: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM record_collections \
             WHERE module_id = 'notice-board' AND name = 'notices'",
        ))
        .await
        .expect("the collection")
        .expect("a row")
        .try_get("", "id")
        .expect("its id");
    // Written in bulk, then the words taken by the host as when a manifest
    // starts searching a collection that holds documents already.
    let total = size(1_000_000, 2_000);
    let start = Instant::now();
    let mut values = Vec::with_capacity(5_000);
    for i in 0..total {
        let title = format!(
            "{} o {} {} č. {}",
            KINDS[i % KINDS.len()],
            SUBJECTS[(i / 8) % SUBJECTS.len()],
            PLACES[(i * 7 + i / 96) % PLACES.len()],
            i % 997
        );
        let department = DEPARTMENTS[i % DEPARTMENTS.len()];
        let reference = format!("MMB/{i}/2026");
        let id = uuid::Uuid::now_v7().simple();
        let doc = serde_json::json!({
            "reference": reference, "title": title, "department": department,
            "posted": "2026-11-02", "until": "2026-12-31", "body": "",
        });
        values.push(format!(
            "({collection},'{id}',1,false,'{doc}',1790000000000000,1790000000000000,\
             '{reference}','2026-12-31','{department}','{title}','{}','{}','{}')",
            fold(&reference),
            fold(department),
            fold(&title),
        ));
        if values.len() == 5_000 || i + 1 == total {
            db.execute_unprepared(&format!(
                "INSERT INTO records (collection_id, id, version, deleted, doc, \
                 created_at_micros, updated_at_micros, s0, s1, s2, s3, f0, f2, f3) VALUES {}",
                values.join(",")
            ))
            .await
            .expect("bulk insert");
            values.clear();
        }
    }
    db.execute_unprepared("UPDATE record_collections SET search_fields = NULL")
        .await
        .expect("the words to take again");
    let loaded = portal.module("notice-board");
    let manifest = loaded.manifest();
    let schema = portico_host::services::schema(portico_runtime::backend::CollectionRef {
        name: "notices",
        spec: &manifest.collections["notices"],
    });
    let written = start.elapsed();
    records::ensure_search_indexes(db, "notice-board", &schema)
        .await
        .expect("the words taken");
    let analyze = if engine == "postgres" {
        "ANALYZE records; ANALYZE record_search"
    } else {
        "ANALYZE"
    };
    db.execute_unprepared(analyze).await.expect("analyze");
    eprintln!(
        "search: {total} notices written to {engine} in {written:?}, their words taken in {:?}",
        start.elapsed() - written
    );
    // A place and a subject as a person types them: lower case, without
    // diacritics, the subject cut short.
    let body = page_body(&app, "/search?q=udolni+uzavir").await;
    assert!(body.contains("Údolní"), "{body}");
    let queries = (0..size(300, 20)).map(|q| {
        let place = fold(PLACES[(q * 13) % PLACES.len()]).replace(' ', "+");
        let subject: String = fold(SUBJECTS[q % SUBJECTS.len()]).chars().take(5).collect();
        format!("/search?q={place}+{subject}")
    });
    let figure = format!("search_p95_1m_{engine}");
    let p95 = get_p95(&app, queries).await;
    print(&figure, p95, "ms");
    crate::bar(&figure, p95 <= 50.0, "≤ 50 ms");
    portal.database.cleanup().await;
}
