//! Data collection in the tasks module, as the region's people use it
//! through HTTP: an official sends a form to every school; a worker fills
//! in a draft, corrected at its fields; the director submits it whole;
//! the official sees how complete the collection is, reminds the school
//! that has not answered with one action, returns the answer once, then
//! approves it, which locks it, and opens it again; the answers come as
//! one table, CSV and XLSX (read back by openpyxl, an independent reader
//! from PyPI pinned in `.ci/spreadsheet-reader.txt`).

use std::process::Command;

use portico_sdk::calendar;
use portico_tests::browser::{Browser, Page};
use portico_tests::chromium::Chromium;

use super::tasks::{PASSWORD, Region, actions, linked_ids, region, submit};

/// The form the schools fill in: two counts, a choice and a note.
const FORM: &str = r##"{
  "title": "Pupils and teachers on 30 September",
  "schema": {
    "type": "object",
    "properties": {
      "pupils": { "type": "integer", "title": "Pupils", "minimum": 0 },
      "teachers": { "type": "integer", "title": "Teachers", "minimum": 0 },
      "meals": { "type": "string", "title": "School meals", "oneOf": [
        { "const": "own", "title": "Own kitchen" },
        { "const": "supplied", "title": "Supplied from outside" }
      ] },
      "note": { "type": "string", "title": "Note" }
    },
    "required": ["pupils", "teachers", "meals"]
  },
  "uischema": {
    "type": "VerticalLayout",
    "elements": [
      { "type": "Control", "scope": "#/properties/pupils" },
      { "type": "Control", "scope": "#/properties/teachers" },
      { "type": "Control", "scope": "#/properties/meals" },
      { "type": "Control", "scope": "#/properties/note", "options": { "multi": true } }
    ]
  }
}"##;

/// Sends the collection to every school; returns the task's key.
async fn send_collection(r: &Region, form: &str) -> Page {
    let due = calendar::today() + chrono::Days::new(10);
    r.official
        .submit(
            "/o/kraj/m/tasks/new",
            "/o/kraj/m/tasks/new",
            &[
                ("title", "Pupils and teachers"),
                (
                    "text",
                    "The numbers on 30 September, for the annual report.",
                ),
                ("due", &due.to_string()),
                ("form", form),
                ("to", "category"),
                ("category", "school"),
            ],
        )
        .await
}

/// Submits the school's answers to the founder: 412 pupils, `teachers`,
/// the meals `meals`.
async fn submit_answers(b: &Browser, form: &str, teachers: &str, meals: &str) {
    submit(
        b,
        form,
        form,
        &[
            ("pupils", "412"),
            ("teachers", teachers),
            ("meals", meals),
            ("_button", "submit"),
        ],
    )
    .await;
}

/// The Python of the venv that holds openpyxl.
fn spreadsheet_python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("SPREADSHEET_PYTHON") {
        return p.into();
    }
    let venv = portico_tests::repo_root().join("target/spreadsheet-venv/bin/python");
    assert!(
        venv.exists(),
        "openpyxl is not installed: run `cargo xtask test`, which installs it"
    );
    venv
}

/// The cells of a workbook's first sheet as openpyxl reads them.
fn read_workbook(bytes: &[u8]) -> serde_json::Value {
    let file = std::env::temp_dir().join(format!("portico-answers-{}.xlsx", std::process::id()));
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new(spreadsheet_python())
        .arg("-c")
        .arg(
            "import json, sys, openpyxl\n\
             sheet = openpyxl.load_workbook(sys.argv[1]).worksheets[0]\n\
             print(json.dumps({'title': sheet.title, 'frozen': sheet.freeze_panes,\n\
               'rows': [list(r) for r in sheet.iter_rows(values_only=True)]}))",
        )
        .arg(&file)
        .output()
        .expect("openpyxl's Python runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "openpyxl could not read the workbook: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[tokio::test]
async fn a_collection_is_filled_checked_submitted_reminded_returned_approved_locked_and_downloaded()
{
    let r = region().await;

    // A form the module cannot collect is refused at its field, and says
    // where; nothing is sent.
    let with_file = FORM.replace(
        r#""note": { "type": "string", "title": "Note" }"#,
        r#""note": { "type": "string", "title": "Note", "contentMediaType": "application/pdf" }"#,
    );
    let refused = send_collection(&r, &with_file).await;
    refused.assert_refused(&["schema.properties.note", "files cannot be collected"]);
    let broken = send_collection(&r, "{\"schema\": ").await;
    broken.assert_refused(&["The form definition cannot be used", "line 1"]);
    assert!(
        r.portal
            .documents("kraj", "tasks", "tasks")
            .await
            .is_empty()
    );

    let sent = send_collection(&r, FORM).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    r.portal.settle().await;
    let task = linked_ids(
        &r.director_a.get("/o/zs-a/m/tasks/").await.body,
        "/o/zs-a/m/tasks/inbox/",
    )[0]
    .clone();
    let inbox = format!("/o/zs-a/m/tasks/inbox/{task}");
    let form = format!("{inbox}/form");
    let shown = r.director_a.get(&inbox).await;
    assert!(shown.body.contains("Fill in the form"), "{}", shown.body);
    assert!(
        !shown.body.contains("What you submit"),
        "a collection is submitted from its form, not as text: {}",
        shown.body
    );

    // The director hands it to the worker, who fills in a draft: a count
    // that is not a number and one below its minimum are marked at their
    // fields, and what was typed is kept.
    submit(
        &r.director_a,
        &inbox,
        &format!("{inbox}/delegate"),
        &[("worker", &r.worker_id)],
    )
    .await;
    let draft = r.worker_a.get(&form).await;
    assert_eq!(draft.status, 200, "{}", draft.body);
    assert!(draft.body.contains("Save the draft"), "{}", draft.body);
    assert!(
        !draft.body.contains("Submit to the founder"),
        "the worker does not submit: {}",
        draft.body
    );
    let wrong = r
        .worker_a
        .submit(&form, &form, &[("pupils", "-5"), ("teachers", "thirty")])
        .await;
    wrong.assert_refused(&["Give a number.", "Give a number from 0 to"]);
    assert!(wrong.body.contains("thirty"), "{}", wrong.body);
    submit(
        &r.worker_a,
        &form,
        &form,
        &[("pupils", "412"), ("teachers", "31")],
    )
    .await;
    let forged = r
        .worker_a
        .submit(
            &form,
            &form,
            &[("pupils", "412"), ("teachers", "31"), ("_button", "submit")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    submit(
        &r.worker_a,
        &inbox,
        &format!("{inbox}/resolve"),
        &[("note", "Counted from the register.")],
    )
    .await;
    // Handed back, it is no longer the worker's to change.
    let after = r
        .worker_a
        .submit(&form, &form, &[("pupils", "1"), ("teachers", "1")])
        .await;
    assert_eq!(after.status, 403, "{}", after.body);

    // Another school's director reaches neither the form nor the answers.
    for path in [
        form.clone(),
        format!("/o/kraj/m/tasks/campaign/{task}"),
        format!("/o/kraj/m/tasks/campaign/{task}/answers.csv"),
    ] {
        let foreign = r.director_b.get(&path).await;
        assert!(
            matches!(foreign.status, 403 | 404),
            "{path}: {}",
            foreign.status
        );
    }

    // The director sees the worker's draft, and submits: the whole form
    // is checked first (the meals were left out), then it goes.
    let kept = r.director_a.get(&form).await;
    assert!(kept.body.contains("value=\"412\""), "{}", kept.body);
    assert!(kept.body.contains("vaclav"), "who saved it: {}", kept.body);
    let incomplete = r
        .director_a
        .submit(
            &form,
            &form,
            &[("pupils", "412"), ("teachers", "31"), ("_button", "submit")],
        )
        .await;
    incomplete.assert_refused(&["Fill this in.", "saved as a draft"]);
    submit_answers(&r.director_a, &form, "31", "own").await;
    r.portal.settle().await;
    let waiting = r.director_a.get(&form).await;
    assert!(
        waiting.body.contains("cannot be changed while they wait"),
        "{}",
        waiting.body
    );
    assert!(!waiting.body.contains("Save the draft"), "{}", waiting.body);
    let csrf = waiting.csrf();
    let meanwhile = r
        .director_a
        .post_form(
            &form,
            &[("_csrf", csrf.as_str()), ("pupils", "1"), ("teachers", "1")],
        )
        .await;
    assert_eq!(meanwhile.status, 409, "{}", meanwhile.body);

    // The official sees half of the schools answered, and reminds the
    // other with one action; only that one is told.
    let answers = format!("/o/kraj/m/tasks/campaign/{task}");
    let seen = r.official.get(&answers).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    for expected in ["1 of 2 (50%)", "412", "Own kitchen", "Organization zs-b"] {
        assert!(seen.body.contains(expected), "{expected}: {}", seen.body);
    }
    assert!(
        r.official
            .get(&format!("/o/kraj/m/tasks/sent/{task}"))
            .await
            .body
            .contains("Answers — 1 of 2 (50%)")
    );
    let reminded = submit(&r.official, &answers, &format!("{answers}/remind"), &[]).await;
    assert!(
        reminded.location().contains("1+organization+is+reminded"),
        "{}",
        reminded.location()
    );
    r.portal.settle().await;
    let told = r.director_b.get("/o/zs-b/inbox").await;
    assert!(
        told.body.contains("Reminder: Pupils and teachers"),
        "{}",
        told.body
    );
    assert!(
        !told.body.contains("UTC"),
        "times in Prague time: {}",
        told.body
    );
    assert!(
        !r.director_a
            .get("/o/zs-a/inbox")
            .await
            .body
            .contains("Připomínka / Reminder")
    );

    // Returned once with a reason: the school may change its answers.
    let judged = format!("/o/kraj/m/tasks/sent/{task}/zs-a");
    let detail = r.official.get(&judged).await;
    assert!(detail.body.contains("Own kitchen"), "{}", detail.body);
    submit(
        &r.official,
        &judged,
        &format!("{judged}/return"),
        &[("note", "Count the part-time teachers too.")],
    )
    .await;
    r.portal.settle().await;
    let again = r.director_a.get(&form).await;
    assert!(
        again.body.contains("Count the part-time teachers too."),
        "{}",
        again.body
    );
    submit(
        &r.director_a,
        &form,
        &form,
        &[
            ("pupils", "412"),
            ("teachers", "33"),
            ("meals", "own"),
            ("note", "=HYPERLINK(\"https://evil.example\")"),
            ("_button", "submit"),
        ],
    )
    .await;
    r.portal.settle().await;

    // Approved: locked at the school, which cannot post around the page.
    submit(&r.official, &judged, &format!("{judged}/accept"), &[]).await;
    r.portal.settle().await;
    let locked = r.director_a.get(&form).await;
    assert!(
        locked.body.contains("Approved by the founder"),
        "{}",
        locked.body
    );
    assert!(!locked.body.contains("Save the draft"), "{}", locked.body);
    assert!(locked.body.contains(">33<"), "{}", locked.body);
    let csrf = locked.csrf();
    let around = r
        .director_a
        .post_form(
            &form,
            &[("_csrf", csrf.as_str()), ("pupils", "1"), ("teachers", "1")],
        )
        .await;
    assert_eq!(around.status, 409, "{}", around.body);

    // The answers as one table: CSV, and XLSX as openpyxl reads it.
    let csv = r
        .official
        .get(&format!("/o/kraj/m/tasks/campaign/{task}/answers.csv"))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let rows = csv.csv_rows();
    assert_eq!(
        rows[0],
        [
            "Organization",
            "State",
            "Submitted on",
            "Pupils",
            "Teachers",
            "School meals",
            "Note"
        ]
    );
    let today = calendar::today().to_string();
    assert_eq!(
        rows[1],
        [
            "Organization zs-a",
            "Closed",
            today.as_str(),
            "412",
            "33",
            "Own kitchen",
            "'=HYPERLINK(\"https://evil.example\")"
        ]
    );
    assert_eq!(rows[2][..3], ["Organization zs-b", "New", ""]);
    let xlsx = r
        .official
        .get(&format!("/o/kraj/m/tasks/campaign/{task}/answers.xlsx"))
        .await;
    assert_eq!(xlsx.status, 200, "{}", xlsx.body);
    assert_eq!(
        xlsx.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        xlsx.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("Pupils-and-teachers.xlsx")
    );
    let book = read_workbook(&xlsx.bytes);
    assert_eq!(book["title"], "Answers");
    assert_eq!(book["frozen"], "A2", "the header row stays in view");
    let sheet = &book["rows"];
    assert_eq!(sheet[0], serde_json::json!(rows[0]));
    assert_eq!(
        sheet[1],
        serde_json::json!([
            "Organization zs-a",
            "Closed",
            today,
            412,
            33,
            "Own kitchen",
            "=HYPERLINK(\"https://evil.example\")"
        ]),
        "numbers are numbers, and text stays text"
    );
    assert_eq!(sheet[2][0], "Organization zs-b");

    // Opened again, with the reason: the school may change it.
    submit(
        &r.official,
        &judged,
        &format!("{judged}/reopen"),
        &[("note", "The register was corrected.")],
    )
    .await;
    r.portal.settle().await;
    let reopened = r.director_a.get(&form).await;
    assert!(
        reopened.body.contains("Save the draft"),
        "{}",
        reopened.body
    );
    assert!(
        reopened.body.contains("The register was corrected."),
        "{}",
        reopened.body
    );

    // Submitted again, the founder has the new answer to decide.
    submit_answers(&r.director_a, &form, "34", "own").await;
    r.portal.settle().await;
    let decided = r.official.get(&judged).await;
    assert!(decided.body.contains(">34<"), "{}", decided.body);
    assert!(
        decided.body.contains("Accept and close"),
        "{}",
        decided.body
    );

    for action in [
        "task.sent",
        "task.reminded",
        "task.returned",
        "task.closed",
        "task.reopened",
    ] {
        assert!(
            actions(&r, "kraj", action).await > 0,
            "{action} at the region"
        );
    }
    assert_eq!(actions(&r, "zs-b", "task.reminded").await, 1);
    assert_eq!(actions(&r, "zs-a", "task.reminded").await, 0);
}

/// The collection's pages as the official and the schools' directors see
/// them (an answer submitted, a form still to fill in) pass axe-core's WCAG 2.1 A/AA check in Czech and English, on
/// a 320 px phone and on a desktop; the screenshots land in
/// `target/screenshots/`.
#[tokio::test]
async fn every_collection_page_passes_the_accessibility_check_in_both_languages_on_a_phone_and_a_desktop()
 {
    let r = region().await;
    let sent = send_collection(&r, FORM).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    r.portal.settle().await;
    let task = linked_ids(
        &r.director_a.get("/o/zs-a/m/tasks/").await.body,
        "/o/zs-a/m/tasks/inbox/",
    )[0]
    .clone();
    let form = format!("/o/zs-a/m/tasks/inbox/{task}/form");
    submit_answers(&r.director_a, &form, "31", "supplied").await;
    r.portal.settle().await;
    let b_form = format!("/o/zs-b/m/tasks/inbox/{task}/form");
    let pages: [(&str, &str, Vec<String>); 3] = [
        (
            "olga",
            "official",
            vec![
                format!("/o/kraj/m/tasks/campaign/{task}"),
                format!("/o/kraj/m/tasks/sent/{task}/zs-a"),
            ],
        ),
        ("dana", "director", vec![form.clone()]),
        ("bohus", "other-director", vec![b_form]),
    ];
    for (user, who, paths) in pages {
        let browser = Chromium::start(r.addr).await;
        browser.log_in(user, PASSWORD).await;
        browser
            .check_pages(&format!("62-collection-{who}"), &paths)
            .await;
    }
}
