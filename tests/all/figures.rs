//! Figures that are true at scale: with far more records than a page may
//! read, the organization's home and the dashboards count every record,
//! and the complaints registry and Open311 filter and page in the store,
//! on SQLite and on PostgreSQL.
//!
//! The records are written straight into the store's table in batches,
//! shaped as the modules store them: the store's own path audits each
//! write, which would take minutes for this many.

use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, SubsecRound, Utc};
use portico_platform::records::{self, CollectionSchema, FieldType, Scope};
use portico_runtime::api::CallContext;
use portico_runtime::backend::CollectionRef;
use portico_tests::{TEST_CITY, TestDatabase, TestPortal};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::{HTML, JSON, get, json_of};

/// Notices on the board, nine in ten still posted: far more than the 500
/// the board once counted up to.
const NOTICES: usize = 100_000;

/// Reports, six in ten open: far more than the 10,000 the registry and
/// the dashboard once read.
const REPORTS: usize = 100_000;

/// The reports were filed over this many days up to now.
const SPAN_DAYS: i64 = 400;

const DEPARTMENTS: [&str; 7] = [
    "Building office",
    "Environment",
    "Finance",
    "Roads",
    "Social affairs",
    "Transport",
    "",
];

const CATEGORIES: [(&str, &str); 5] = [
    ("pothole", "Pothole"),
    ("lamp", "Broken street lamp"),
    ("litter", "Litter"),
    ("graffiti", "Graffiti"),
    ("bench", "Broken bench"),
];

/// Statuses in turn: six of ten open.
const STATUSES: [&str; 10] = [
    "new",
    "new",
    "acknowledged",
    "in-progress",
    "in-progress",
    "new",
    "resolved",
    "rejected",
    "duplicate",
    "resolved",
];

fn is_open(status: &str) -> bool {
    matches!(status, "new" | "acknowledged" | "in-progress")
}

/// The `i`-th notice: every tenth taken down, every tenth after it coming
/// down within a week, the rest posted for longer.
fn notice(i: usize, today: NaiveDate) -> Value {
    let until = match i % 10 {
        0 => today - Days::new(1 + (i % 300) as u64),
        1 => today + Days::new((i % 8) as u64),
        _ => today + Days::new(8 + (i % 400) as u64),
    };
    json!({
        "reference": format!("F/{i:06}/2026"),
        "title": format!("Notice {i:06}"),
        "department": DEPARTMENTS[i % DEPARTMENTS.len()],
        "published": (today - Days::new(10)).to_string(),
        "until": until.to_string(),
        "text": "Posted by the office as the law requires.",
        "taken_down": false,
    })
}

/// The `i`-th report, as version 0.3.0 stores it: the oldest first,
/// filed evenly over [`SPAN_DAYS`], each due 30 days after it was filed.
fn report(i: usize, now: DateTime<Utc>) -> Value {
    let status = STATUSES[i % STATUSES.len()];
    let (category, _) = CATEGORIES[(i / STATUSES.len()) % CATEGORIES.len()];
    let requested = filed_at(i, now);
    let resolve_days = (i % 20) as i64;
    let closed = if is_open(status) {
        String::new()
    } else {
        stamp(requested + chrono::Duration::days(resolve_days))
    };
    let mut doc = json!({
        "number": format!("2026-{i:06X}"),
        "category": category,
        "description": format!("Problem {i}"),
        "address": format!("Street {}", i % 977),
        "lat": 49.19 + (i % 100) as f64 * 0.0001,
        "long": 16.60 + (i % 100) as f64 * 0.0001,
        "source": "portal",
        "status": status,
        "unit": "Roads department",
        "requested": stamp(requested),
        "updated": stamp(requested),
        "closed": closed,
        "deadline": (requested + chrono::Duration::days(30)).date_naive().to_string(),
        "open": u8::from(is_open(status)),
        "filed": requested.timestamp(),
    });
    if status == "resolved" {
        doc["resolve_days"] = json!(resolve_days as f64);
    }
    doc
}

fn filed_at(i: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    let age = (REPORTS - i) as i64 * SPAN_DAYS * 86_400 / REPORTS as i64;
    now - chrono::Duration::seconds(age)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Writes `docs` into a module's collection in the test city: the first
/// through the store (which makes the collection), the rest in batched
/// inserts into the same table, with the indexed fields in the slots the
/// store gives them.
async fn load(portal: &TestPortal, module: &str, collection: &str, docs: Vec<Value>) {
    let loaded = portal.module(module);
    let schema = portico_host::services::schema(CollectionRef {
        name: collection,
        spec: &loaded.manifest().collections[collection],
    });
    let scope = Scope {
        org_id: TEST_CITY.into(),
        module_id: module.into(),
        actor: "test".into(),
    };
    let mut docs = docs.into_iter();
    let first = docs.next().expect("documents to load");
    records::insert(portal.db(), &scope, &schema, &first.to_string())
        .await
        .expect("the first document");
    let db = portal.db();
    let row = db
        .query_one(
            Query::select()
                .column(Alias::new("id"))
                .from(Alias::new("record_collections"))
                .and_where(Expr::col(Alias::new("org_id")).eq(TEST_CITY))
                .and_where(Expr::col(Alias::new("module_id")).eq(module))
                .and_where(Expr::col(Alias::new("name")).eq(collection)),
        )
        .await
        .expect("read the collection")
        .expect("the collection");
    let collection_id: i64 = row.try_get("", "id").expect("its id");
    let now = Utc::now().timestamp_micros();
    let columns: Vec<Alias> = portico_platform::records::RECORD_COLUMNS
        .iter()
        .copied()
        .map(Alias::new)
        .collect();
    // As many rows a statement as the engine takes bound values (SQLite
    // 32,766, PostgreSQL 65,535), 19 a row.
    let per_statement = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => 1_500,
        _ => 3_000,
    };
    let txn = db.begin().await.expect("a transaction");
    let docs: Vec<Value> = docs.collect();
    for batch in docs.chunks(per_statement) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new("records"))
            .columns(columns.clone());
        for doc in batch {
            let (text, numbers) = slots(&schema, doc);
            let mut values: Vec<Expr> = vec![
                Expr::val(collection_id),
                Expr::val(uuid::Uuid::now_v7().simple().to_string()),
                Expr::val(1_i64),
                Expr::val(false),
                Expr::val(doc.to_string()),
                Expr::val(now),
                Expr::val(now),
            ];
            let folded = text.clone().map(|t| records::folded_slot(t.as_deref()));
            values.extend(text.into_iter().map(Expr::val));
            values.extend(numbers.into_iter().map(Expr::val));
            values.extend(folded.into_iter().map(Expr::val));
            insert.values_panic(values);
        }
        txn.execute(&insert).await.expect("insert a batch");
    }
    // Their search words are taken as for documents a collection held
    // before its manifest searched it.
    txn.execute(
        &Query::update()
            .table(Alias::new("record_collections"))
            .value(Alias::new("search_fields"), Option::<String>::None)
            .and_where(Expr::col(Alias::new("id")).eq(collection_id))
            .to_owned(),
    )
    .await
    .expect("the words to take again");
    txn.commit().await.expect("commit the batches");
}

/// The slot values of `doc`: the n-th indexed text field in `s<n>`, the
/// n-th number field in `n<n>`, as the store keeps them.
fn slots(schema: &CollectionSchema, doc: &Value) -> ([Option<String>; 4], [Option<f64>; 4]) {
    let (mut text, mut numbers) = ([None, None, None, None], [None; 4]);
    let (mut t, mut n) = (0, 0);
    for field in &schema.fields {
        let value = doc.get(&field.name);
        match field.kind {
            FieldType::String => {
                text[t] = value.and_then(Value::as_str).map(str::to_owned);
                t += 1;
            }
            FieldType::Number => {
                numbers[n] = value.and_then(Value::as_f64);
                n += 1;
            }
        }
    }
    (text, numbers)
}

/// The figures a page shows, label to value, from its HTML.
fn figures(html: &str) -> Vec<(String, String)> {
    html.split("<li class=\"stat\">")
        .skip(1)
        .map(|item| {
            let inner = |class: &str| {
                let start = item
                    .find(&format!("<span class=\"{class}\">"))
                    .map(|s| s + class.len() + 15)
                    .unwrap_or(0);
                let mut depth = 0;
                let mut text = String::new();
                let mut in_tag = false;
                for (i, c) in item[start..].char_indices() {
                    let rest = &item[start + i..];
                    if rest.starts_with("</span>") && depth == 0 {
                        break;
                    }
                    match c {
                        '<' => {
                            in_tag = true;
                            if rest.starts_with("<span") {
                                depth += 1;
                            } else if rest.starts_with("</span") {
                                depth -= 1;
                            }
                        }
                        '>' => in_tag = false,
                        c if !in_tag => text.push(c),
                        _ => {}
                    }
                }
                text.trim().to_owned()
            };
            (inner("stat-label"), inner("stat-value"))
        })
        .collect()
}

fn figure<'a>(figures: &'a [(String, String)], label: &str) -> &'a str {
    figures
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no figure `{label}` in {figures:?}"))
}

fn block<'a>(view: &'a Value, kind: &str, caption: &str) -> &'a Value {
    view["blocks"]
        .as_array()
        .and_then(|b| {
            b.iter()
                .find(|b| b["type"] == kind && (caption.is_empty() || b["caption"] == caption))
        })
        .unwrap_or_else(|| panic!("no {kind} `{caption}` in {view}"))
}

/// The median and the 95th percentile of `n` timed GETs of `path`.
async fn timed(portal: &TestPortal, path: &str, accept: &str, n: usize) -> (Duration, Duration) {
    let app = portal.app();
    let mut times = Vec::new();
    for _ in 0..n {
        let start = Instant::now();
        let got = get(&app, path, accept).await;
        times.push(start.elapsed());
        assert_eq!(got.status, 200, "{path}: {}", got.body);
    }
    times.sort();
    (times[n / 2], times[(n * 95).div_ceil(100) - 1])
}

/// Complaints' categories, as a manager saves them.
async fn categories(portal: &TestPortal) {
    let lines: Vec<String> = CATEGORIES
        .iter()
        .map(|(code, name)| {
            json!({
                "code": code, "name": name, "unit": "Roads department",
                "deadline_days": 30, "attributes": [],
            })
            .to_string()
        })
        .collect();
    portal
        .import(TEST_CITY, "complaints", "categories", &lines.join("\n"))
        .await;
}

async fn figures_are_true_at_scale(database: TestDatabase) {
    let engine = database.engine;
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("complaints")
        .database(database)
        .build()
        .await;
    categories(&portal).await;
    let now = Utc::now().trunc_subsecs(0);
    let today = now.date_naive();
    let started = Instant::now();
    let notices: Vec<Value> = (0..NOTICES).map(|i| notice(i, today)).collect();
    let reports: Vec<Value> = (0..REPORTS).map(|i| report(i, now)).collect();
    load(&portal, "notice-board", "notices", notices.clone()).await;
    load(&portal, "complaints", "reports", reports.clone()).await;
    eprintln!(
        "{engine}: {NOTICES} notices and {REPORTS} reports loaded in {:.1?}",
        started.elapsed()
    );

    // What is true, from what was stored.
    let until = |n: &Value| n["until"].as_str().unwrap().to_owned();
    let (today_s, week) = (today.to_string(), (today + Days::new(7)).to_string());
    let posted = notices.iter().filter(|n| until(n) >= today_s).count();
    let ending = notices
        .iter()
        .filter(|n| until(n) >= today_s && until(n) <= week)
        .count();
    let status = |r: &Value| r["status"].as_str().unwrap().to_owned();
    let open = reports.iter().filter(|r| is_open(&status(r))).count();
    let overdue = reports
        .iter()
        .filter(|r| is_open(&status(r)) && r["deadline"].as_str().unwrap() < today_s.as_str())
        .count();
    let resolved: Vec<f64> = reports
        .iter()
        .filter_map(|r| r["resolve_days"].as_f64())
        .collect();
    let average = resolved.iter().sum::<f64>() / resolved.len() as f64;
    assert!(posted > 10_000 && open > 10_000, "above every old cap");

    // The home shows every module's figures, each as many as there are.
    let home = get(&portal.app(), "/", HTML).await;
    assert_eq!(home.status, 200, "{}", home.body);
    let shown = figures(&home.body);
    assert_eq!(figure(&shown, "Notices posted"), posted.to_string());
    assert_eq!(
        figure(&shown, "Coming down within a week"),
        ending.to_string()
    );
    assert_eq!(figure(&shown, "Open reports"), open.to_string());
    assert_eq!(figure(&shown, "Past their deadline"), overdue.to_string());
    assert_eq!(figure(&shown, "Closed"), (REPORTS - open).to_string());
    assert_eq!(
        figure(&shown, "Average time to resolve"),
        format!("{average:.1} days")
    );

    // Counted once, shown again from what was counted while nothing
    // changed; a write by another process over the same database (it
    // goes through the store, not this portal) shows at once.
    let again = figures(&get(&portal.app(), "/", HTML).await.body);
    assert_eq!(figure(&again, "Notices posted"), posted.to_string());
    let scope = Scope {
        org_id: TEST_CITY.into(),
        module_id: "notice-board".into(),
        actor: "test".into(),
    };
    let schema = portico_host::services::schema(CollectionRef {
        name: "notices",
        spec: &portal.module("notice-board").manifest().collections["notices"],
    });
    let other = portal.database.connect().await;
    records::insert(&other, &scope, &schema, &notice(1, today).to_string())
        .await
        .expect("another process posts a notice");
    let after = figures(&get(&portal.app(), "/", HTML).await.body);
    assert_eq!(
        figure(&after, "Notices posted"),
        (posted + 1).to_string(),
        "{engine}: the figure follows a write made elsewhere"
    );

    // The search finds one notice among all by its reference, and says
    // when more match a word than it ranks.
    let one = get(&portal.app(), "/search?q=f%2F001234", HTML).await;
    assert!(
        one.body.contains(">Notice 001234</a>") && one.body.contains("Found: 1"),
        "{engine}: {}",
        one.body
    );
    let many = get(&portal.app(), "/search?q=NOTICE", HTML).await;
    assert!(
        many.body.contains("Many entries match; the newest 200"),
        "{engine}: {}",
        many.body
    );

    // The complaints dashboard counts every status and category.
    let dashboard = json_of(&get(&portal.app(), "/m/complaints/dashboard", JSON).await);
    let by_status = block(&dashboard, "table", "Reports by status");
    for row in by_status["rows"].as_array().unwrap() {
        let label = row[0]["text"].as_str().unwrap();
        let key = match label {
            "In progress" => "in-progress".to_owned(),
            other => other.to_lowercase(),
        };
        let truth = reports.iter().filter(|r| status(r) == key).count();
        assert_eq!(row[1]["text"], truth.to_string(), "{label}: {by_status}");
    }
    let chart = block(&dashboard, "chart", "Reports by category");
    for (series, open_ones) in [(0, true), (1, false)] {
        let values: Vec<f64> = chart["series"][series]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let truth: Vec<f64> = CATEGORIES
            .iter()
            .map(|(code, name)| {
                let at = chart["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .position(|c| c == name)
                    .unwrap_or_else(|| panic!("{name} in {chart}"));
                let n = reports
                    .iter()
                    .filter(|r| r["category"] == *code && is_open(&status(r)) == open_ones)
                    .count();
                (at, n as f64)
            })
            .fold(vec![0.0; CATEGORIES.len()], |mut v, (at, n)| {
                v[at] = n;
                v
            });
        assert_eq!(values, truth, "{chart}");
    }

    // The registry shows a page of open reports, newest first, and the
    // next page continues where it ended; a category's closed reports
    // are a filter too.
    let registry = |path: String| {
        let portal = &portal;
        async move { json_of(&get(&portal.app(), &path, JSON).await) }
    };
    let first = registry("/m/complaints/?status=open".into()).await;
    let rows = |view: &Value| -> Vec<(String, String)> {
        block(view, "table", "")["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[0]["text"].as_str().unwrap().to_owned(),
                    r[4]["text"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let page_one = rows(&first);
    assert_eq!(page_one.len(), 50, "{first}");
    let open_labels = ["New", "Acknowledged", "In progress"];
    assert!(
        page_one
            .iter()
            .all(|(_, s)| open_labels.contains(&s.as_str())),
        "{page_one:?}"
    );
    let newest_open = (0..REPORTS)
        .rev()
        .find(|i| is_open(STATUSES[i % STATUSES.len()]))
        .unwrap();
    assert_eq!(page_one[0].0, format!("2026-{newest_open:06X}"));
    let next = block(&first, "pager", "")["next"]
        .as_str()
        .expect("a link to the next page")
        .to_owned();
    let next = if next.starts_with("/m/") {
        next
    } else {
        format!("/m/complaints{next}")
    };
    let second = registry(next.clone()).await;
    let page_two = rows(&second);
    assert_eq!(page_two.len(), 50, "{second}");
    assert!(
        page_two.iter().all(|r| !page_one.contains(r)),
        "{page_two:?}"
    );
    let lamps = registry("/m/complaints/?status=closed&category=lamp".into()).await;
    let closed_labels = ["Resolved", "Rejected", "Duplicate"];
    let lamp_rows = block(&lamps, "table", "")["rows"].as_array().unwrap();
    assert_eq!(lamp_rows.len(), 50, "{lamps}");
    assert!(
        lamp_rows
            .iter()
            .all(|r| r[1]["text"] == "Broken street lamp"
                && closed_labels.contains(&r[4]["text"].as_str().unwrap())),
        "{lamps}"
    );

    // Open311: the open potholes of 90 days long ago, newest first, at
    // most 1000; and the closed lamps and graffiti of one day, all.
    let (start, end) = (
        now - chrono::Duration::days(290),
        now - chrono::Duration::days(200),
    );
    let in_window = |r: &Value, from: DateTime<Utc>, to: DateTime<Utc>| {
        let t = r["filed"].as_i64().unwrap();
        t >= from.timestamp() && t <= to.timestamp()
    };
    let open311 = |query: String| {
        let portal = &portal;
        async move {
            let got = get(
                &portal.app(),
                &format!("/m/complaints/open311/v2/requests.json?{query}"),
                JSON,
            )
            .await;
            assert_eq!(got.status, 200, "{}", got.body);
            json_of(&got)
        }
    };
    let potholes = open311(format!(
        "service_code=pothole&status=open&start_date={}&end_date={}",
        stamp(start),
        stamp(end)
    ))
    .await;
    let potholes = potholes.as_array().unwrap();
    let truth = reports
        .iter()
        .filter(|r| r["category"] == "pothole" && is_open(&status(r)) && in_window(r, start, end))
        .count();
    assert!(truth > 1000, "{truth}");
    assert_eq!(potholes.len(), 1000);
    let times: Vec<&str> = potholes
        .iter()
        .map(|p| p["requested_datetime"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(times[0] <= stamp(end).as_str() && times[999] >= stamp(start).as_str());
    assert!(
        potholes
            .iter()
            .all(|p| p["service_code"] == "pothole" && p["status"] == "open")
    );
    let (day, day_end) = (
        now - chrono::Duration::days(250),
        now - chrono::Duration::days(249),
    );
    let closed_day = open311(format!(
        "service_code=lamp,graffiti&status=closed&start_date={}&end_date={}",
        stamp(day),
        stamp(day_end)
    ))
    .await;
    let truth = reports
        .iter()
        .filter(|r| {
            (r["category"] == "lamp" || r["category"] == "graffiti")
                && !is_open(&status(r))
                && in_window(r, day, day_end)
        })
        .count();
    assert!(truth > 0);
    assert_eq!(closed_day.as_array().unwrap().len(), truth, "{closed_day}");

    // How long the pages take at this size (a debug build).
    for (what, path, accept) in [
        ("home", "/", HTML),
        ("complaints dashboard", "/m/complaints/dashboard", HTML),
        ("registry, open", "/m/complaints/?status=open", HTML),
        ("registry, page 2", next.as_str(), HTML),
        (
            "notices by title",
            "/m/notice-board/?sort=title&order=asc",
            HTML,
        ),
    ] {
        let (median, p95) = timed(&portal, path, accept, 10).await;
        eprintln!("{engine}: {what} ({path}): median {median:.1?}, p95 {p95:.1?}");
    }

    // The night's job takes down every notice whose date passed in the
    // last 30 days, however many the archive holds before them (it took
    // 500 of the oldest, long taken down, and then nothing ever again),
    // each once; older ones stay in the archive unannounced.
    let since = (today - Days::new(30)).to_string();
    let due = notices
        .iter()
        .filter(|n| until(n) < today_s && until(n) >= since)
        .count();
    assert!(due > 500, "more than one page of the job: {due}");
    let take_down = || async {
        let ctx = CallContext {
            org_id: TEST_CITY.into(),
            principal: None,
            request_id: "test-take-down".into(),
            locale: "en".into(),
        };
        portal
            .module("notice-board")
            .run_job(&ctx, "take-down")
            .await
            .expect("the job runs");
        let count = |sql: &str| {
            let db = portal.db();
            let sql = sql.to_owned();
            async move {
                let row = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        db.get_database_backend(),
                        sql,
                    ))
                    .await
                    .expect("a count")
                    .expect("a row");
                row.try_get_by_index::<i64>(0).expect("a number")
            }
        };
        (
            count("SELECT COUNT(*) FROM records WHERE doc LIKE '%\"taken_down\":true%'").await,
            count("SELECT COUNT(*) FROM events WHERE topic = 'notice.taken-down'").await,
        )
    };
    assert_eq!(
        take_down().await,
        (due as i64, due as i64),
        "{engine}: taken down, and told, once each"
    );
    assert_eq!(
        take_down().await,
        (due as i64, due as i64),
        "{engine}: the next night finds nothing new"
    );
    portal.database.cleanup().await;
}

#[tokio::test]
async fn figures_count_every_record_on_sqlite() {
    figures_are_true_at_scale(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn figures_count_every_record_on_postgres() {
    figures_are_true_at_scale(TestDatabase::postgres().await).await;
}

/// A report stored by version 0.2.0, without the indexed fields 0.3.0 added.
fn earlier_report(number: &str, status: &str, requested: DateTime<Utc>) -> String {
    json!({
        "number": number, "category": "pothole", "description": "A hole",
        "address": "Kounicova 5", "source": "portal", "status": status,
        "unit": "Roads department", "requested": stamp(requested),
        "updated": stamp(requested), "deadline": (requested + chrono::Duration::days(30)).date_naive().to_string(),
        "closed": if is_open(status) { String::new() } else { stamp(requested + chrono::Duration::days(3)) },
    })
    .to_string()
}

#[tokio::test]
async fn the_upgrade_indexes_reports_stored_before_so_lists_and_open311_find_them() {
    let portal = TestPortal::builder().module("complaints").build().await;
    categories(&portal).await;
    let filed = Utc::now().trunc_subsecs(0) - chrono::Duration::days(2);
    let lines = [
        earlier_report("2026-0AAAA1", "new", filed),
        earlier_report("2026-0AAAA2", "resolved", filed),
    ]
    .join("\n");
    portal
        .import(TEST_CITY, "complaints", "reports", &lines)
        .await;
    // The figures count statuses, which every version indexed.
    let home = get(&portal.app(), "/", HTML).await;
    let shown = figures(&home.body);
    assert_eq!(figure(&shown, "Open reports"), "1");
    assert_eq!(figure(&shown, "Closed"), "1");

    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "test-upgrade".into(),
        locale: "en".into(),
    };
    portal
        .module("complaints")
        .migrate(&ctx, "0.2.0", portal.state.services.clone())
        .await
        .expect("the migration runs");

    // Written again, each is in the list of its kind, and Open311 finds
    // it by its date and status.
    for (status, number) in [("open", "2026-0AAAA1"), ("closed", "2026-0AAAA2")] {
        let list = get(
            &portal.app(),
            &format!("/m/complaints/?status={status}"),
            HTML,
        )
        .await;
        assert!(list.body.contains(number), "{status}: {}", list.body);
        let found = get(
            &portal.app(),
            &format!("/m/complaints/open311/v2/requests.json?status={status}"),
            JSON,
        )
        .await;
        let found = json_of(&found);
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    }
    let home = get(&portal.app(), "/", HTML).await;
    assert_eq!(
        figure(&figures(&home.body), "Average time to resolve"),
        "3.0 days"
    );
}
