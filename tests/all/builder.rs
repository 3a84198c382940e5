//! The form builder as officials use it, and the form it makes as a
//! citizen fills it in: an official builds a three-step form with a
//! condition and a calculation without writing JSON, previews it and
//! publishes it; a citizen fills it in a real browser with the fields
//! appearing as they answer, checks the answers, sends, and keeps a PDF
//! receipt, whose text an independent reader (pypdf) reads back. Without
//! script, the same form works step by step; a draft is published only
//! when it changed; an imported definition is refused in Czech, naming
//! the field.

use std::path::PathBuf;

use portico_platform::identity::users::UserKind;
use portico_tests::browser::Browser;
use portico_tests::chromium::Chromium;
use portico_tests::{TEST_CITY, TestPortal, catalog, repo_root};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const BASE: &str = "/m/smart-forms";
const FORM: &str = "/m/smart-forms/design/poplatek-ze-psa";

/// A portal with smart forms, a designer and a citizen.
async fn portal() -> TestPortal {
    let portal = TestPortal::builder().module("smart-forms").build().await;
    let designer = portal.user("petr", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&designer, TEST_CITY, "smart-forms.designer")
        .await;
    portal.user("jana", UserKind::Citizen, PASSWORD).await;
    portal
}

/// Runs `script` in the page and gives back what it returns.
async fn js(b: &Chromium, script: &str) -> Value {
    b.client
        .execute(script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Sets the select `id` to `value`, as a person picks an option.
async fn pick(b: &Chromium, id: &str, value: &str) {
    js(
        b,
        &format!(
            "const s = document.getElementById('{id}'); s.value = '{value}';
             if (s.value !== '{value}') throw new Error('no option {value} in {id}');
             s.dispatchEvent(new Event('change', {{bubbles: true}}));"
        ),
    )
    .await;
}

/// Whether the element `id` is shown.
async fn shown(b: &Chromium, id: &str) -> bool {
    js(
        b,
        &format!(
            "const e = document.getElementById('{id}'); return !!e && e.offsetParent !== null;"
        ),
    )
    .await
        == Value::Bool(true)
}

/// Adds a field from the builder's page and opens its own page.
async fn add_field(b: &Chromium, question: &str, kind: &str, step: usize) {
    b.open(FORM).await;
    b.fill("Otázka", question).await;
    pick(b, "f-kind", kind).await;
    pick(b, "f-step", &step.to_string()).await;
    b.press("Přidat pole").await;
    b.text_with("Uložit pole").await;
}

/// The Python with pypdf (`.ci/pdf-reader.txt`).
fn pdf_python() -> PathBuf {
    let python = std::env::var_os("PDF_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/pdf-venv/bin/python"));
    assert!(
        python.exists(),
        "pypdf is not installed at {}; run `cargo xtask test`, which installs .ci/pdf-reader.txt",
        python.display()
    );
    python
}

/// The text pypdf reads out of a PDF, its spaces made one.
fn pdf_text(pdf: &[u8], name: &str) -> String {
    let path = repo_root().join(format!("target/screenshots/{name}.pdf"));
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("the folder");
    std::fs::write(&path, pdf).expect("the PDF is written");
    let out = std::process::Command::new(pdf_python())
        .args([
            "-c",
            "import sys, pypdf\nr = pypdf.PdfReader(sys.argv[1])\nprint('\\n'.join(p.extract_text() for p in r.pages))",
        ])
        .arg(&path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "pypdf cannot read the receipt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn an_official_builds_a_three_step_form_and_a_citizen_fills_it_in_checks_it_and_keeps_the_receipt()
 {
    let portal = portal().await;
    let addr = portal.serve().await;
    let english = catalog::english_texts();

    // The official, in Czech at a desktop's width.
    let b = Chromium::start(addr).await;
    b.set_size(1366, 900).await;
    b.log_in("petr", PASSWORD).await;
    b.open("/lang/cs").await;
    b.open(&format!("{BASE}/design")).await;
    b.fill("Název", "Poplatek ze psa").await;
    b.click_css("#f-access-1").await;
    b.press("Založit formulář").await;
    b.text_with("Formulář je založen jako návrh").await;
    assert_eq!(b.path().await.split('?').next(), Some(FORM));
    for step in ["Psi", "Souhlas"] {
        b.fill("Název kroku", step).await;
        b.press("Přidat krok").await;
        b.text_with(&format!(": {step}")).await;
    }

    // Step 1: who keeps the dog; a senior's card, asked only of a senior.
    add_field(&b, "Kdo psa drží", "choice", 0).await;
    b.fill("Možnosti, každá na řádek", "Občan\nSenior nad 65 let")
        .await;
    b.click_css("#f-required").await;
    b.press("Uložit pole").await;
    b.text_with("Pole je uloženo v návrhu.").await;
    add_field(&b, "Číslo průkazu seniora", "text", 0).await;
    pick(&b, "f-shown_when", "kdo_psa_drzi=senior-nad-65-let").await;
    pick(&b, "f-required_when", "kdo_psa_drzi=senior-nad-65-let").await;
    b.check_step("builder-cs-1366-01-field", "cs", &english)
        .await;
    b.press("Uložit pole").await;
    b.text_with("zobrazeno, když Kdo psa drží = Senior nad 65 let")
        .await;

    // Step 2: the number of dogs, and the fee worked out from it.
    add_field(&b, "Počet psů", "integer", 1).await;
    b.click_css("#f-required").await;
    b.fill("Nejmenší hodnota", "1").await;
    b.fill("Největší hodnota", "5").await;
    b.press("Uložit pole").await;
    add_field(&b, "Poplatek (Kč)", "number", 1).await;
    pick(&b, "f-operation", "product").await;
    b.click_css("input[name=operands][value=pocet_psu]").await;
    b.fill("Vynásobit číslem", "1500").await;
    b.press("Uložit pole").await;
    b.text_with("součin Počet psů × 1500").await;

    // Step 3: the consent.
    add_field(&b, "Souhlasím se zpracováním údajů", "consent", 2).await;
    b.click_css("#f-required").await;
    b.press("Uložit pole").await;
    b.text_with("Krok 3: Souhlas").await;
    b.check_step("builder-cs-1366-02-draft", "cs", &english)
        .await;
    let draft = b.text().await;
    assert!(draft.contains("Formulář zatím není zveřejněn"), "{draft}");

    // The preview, exactly as the citizen will see it; nothing is sent.
    b.follow("Náhled").await;
    b.text_with("Náhled návrhu").await;
    assert!(!shown(&b, "f-cislo_prukazu_seniora").await);
    b.click_css("#f-kdo_psa_drzi-1").await;
    assert!(
        shown(&b, "f-cislo_prukazu_seniora").await,
        "shown as answered"
    );
    b.fill("Číslo průkazu seniora", "S-123456").await;
    b.check_step("builder-cs-1366-03-preview", "cs", &english)
        .await;
    b.press("Další").await;
    b.fill("Počet psů", "3").await;
    b.text_with("Poplatek").await;
    assert_eq!(
        js(&b, "return document.getElementById('f-poplatek_kc').value").await,
        "4500"
    );
    b.press("Další").await;
    b.click_css("#f-souhlasim_se_zpracovanim_udaju").await;
    b.press("Zkontrolovat odpovědi").await;
    b.text_with("kontrola odpovědí").await;
    b.press("Ukončit náhled").await;
    b.text_with("Náhled skončil").await;

    // Published once; the same draft again makes no new version.
    b.press("Zveřejnit").await;
    b.text_with("Verze 1 je zveřejněna.").await;
    b.press("Zveřejnit").await;
    b.text_with("Od verze 1 se nic nezměnilo").await;

    // The citizen, in Czech on a phone.
    let c = Chromium::start(addr).await;
    c.set_size(320, 640).await;
    c.log_in("jana", PASSWORD).await;
    c.open("/lang/cs").await;
    c.open(&format!("{BASE}/fill/poplatek-ze-psa")).await;
    c.text_with("Kdo psa drží").await;
    assert!(!shown(&c, "f-cislo_prukazu_seniora").await, "not asked yet");
    c.click_css("#f-kdo_psa_drzi-0").await;
    assert!(!shown(&c, "f-cislo_prukazu_seniora").await);
    c.click_css("#f-kdo_psa_drzi-1").await;
    assert!(
        shown(&c, "f-cislo_prukazu_seniora").await,
        "asked of a senior"
    );
    let required = js(
        &c,
        "return document.querySelector('label[for=f-cislo_prukazu_seniora] .required').offsetParent !== null",
    )
    .await;
    assert_eq!(required, true, "and required of one");
    c.fill("Číslo průkazu seniora", "S-654321").await;
    c.check_step("builder-cs-320-04-step-1", "cs", &english)
        .await;
    c.press("Další").await;
    c.fill("Počet psů", "2").await;
    // The fee shows its result as the number changes, not a formula.
    c.text_with("Poplatek").await;
    assert_eq!(
        js(&c, "return document.getElementById('f-poplatek_kc').value").await,
        "3000"
    );
    c.check_step("builder-cs-320-05-step-2", "cs", &english)
        .await;
    c.press("Další").await;
    c.click_css("#f-souhlasim_se_zpracovanim_udaju").await;
    c.press("Zkontrolovat odpovědi").await;
    let check = c.text_with("kontrola odpovědí").await;
    for answer in ["Senior nad 65 let", "S-654321", "3000", "ano"] {
        assert!(check.contains(answer), "{answer} in {check}");
    }
    c.check_step("builder-cs-320-06-check", "cs", &english)
        .await;
    c.press("Odeslat").await;
    let sent = c.text_with("Co jste odeslali").await;
    let number: String = {
        let at = sent.find("F-").expect("the number");
        sent[at..at + 13].to_owned()
    };
    c.check_step("builder-cs-320-07-sent", "cs", &english).await;

    // The receipt, downloaded as the citizen's browser does.
    let href = js(
        &c,
        "return document.querySelector('a[href$=\"receipt.pdf\"]').getAttribute('href')",
    )
    .await;
    let bytes = c
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b))));",
            vec![href.clone()],
        )
        .await
        .expect("the receipt downloads");
    let pdf: Vec<u8> = bytes
        .as_array()
        .expect("bytes")
        .iter()
        .map(|b| b.as_u64().unwrap_or_default() as u8)
        .collect();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = pdf_text(&pdf, "builder-receipt");
    assert!(
        text.contains(&format!("Potvrzení o podání {number}")) && text.contains("Poplatek ze psa"),
        "{text}"
    );
    // Each answer after its question, as the citizen gave it.
    for (question, answer) in [
        ("Kdo psa drží", "Senior nad 65 let"),
        ("Číslo průkazu seniora", "S-654321"),
        ("Počet psů", "2"),
        ("Poplatek (Kč)", "3000"),
        ("Souhlasím se zpracováním údajů", "ano"),
    ] {
        let at = text
            .find(question)
            .unwrap_or_else(|| panic!("`{question}` in the receipt: {text}"));
        assert!(
            text[at + question.len()..].trim_start().starts_with(answer),
            "`{question}` answered `{answer}` in the receipt: {text}"
        );
    }
    // Another person does not get it.
    let stranger = Browser::new(addr);
    let page = stranger.get(href.as_str().expect("a link")).await;
    assert_ne!(page.status, 200);
}

/// The definition of a small form with a condition, as a power user
/// writes it.
fn definition() -> Value {
    json!({
        "code": "kacirna",
        "title": "Kácení dřevin",
        "access": "public",
        "schema": {
            "type": "object",
            "properties": {
                "druh": {"type": "string", "title": "Druh", "oneOf": [
                    {"const": "strom", "title": "Strom"},
                    {"const": "ker", "title": "Keř"}
                ]},
                "obvod": {"type": "integer", "title": "Obvod kmene (cm)"},
                "jmeno": {"type": "string", "title": "Jméno"}
            },
            "required": ["druh", "jmeno"],
            "allOf": [{"if": {"properties": {"druh": {"const": "strom"}}, "required": ["druh"]},
                       "then": {"required": ["obvod"]}}]
        },
        "uischema": {"type": "VerticalLayout", "elements": [
            {"type": "Control", "scope": "#/properties/druh"},
            {"type": "Control", "scope": "#/properties/obvod",
             "rule": {"effect": "SHOW", "condition": {"scope": "#/properties/druh", "schema": {"const": "strom"}}}},
            {"type": "Control", "scope": "#/properties/jmeno"}
        ]}
    })
}

#[tokio::test]
async fn without_script_a_condition_shows_its_question_first_publishing_needs_a_change_and_errors_are_czech()
 {
    let portal = portal().await;
    let addr = portal.serve().await;
    let staff = Browser::new(addr);
    staff.log_in("petr", PASSWORD).await;
    let design = format!("{BASE}/design");

    // An import refused in Czech, naming the field.
    let mut bad = definition();
    bad["schema"]["properties"]["obvod"]["type"] = json!("pocet");
    staff.get("/lang/cs").await;
    let refused = staff
        .submit(&design, &design, &[("definition", &bad.to_string())])
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains(
            "schema.properties.obvod.type: `pocet` není jedno z string, integer, number, boolean, array"
        ),
        "{}",
        refused.body
    );
    let broken = staff
        .submit(&design, &design, &[("definition", "{\"code\": ")])
        .await;
    assert!(
        broken
            .body
            .contains("definition: není definice: na řádku 1"),
        "{}",
        broken.body
    );
    staff.get("/lang/en").await;

    // Published once; the same definition again is no new version.
    let text = definition().to_string();
    for _ in 0..2 {
        let published = staff
            .submit(&design, &design, &[("definition", &text)])
            .await;
        assert_eq!(published.status, 303, "{}", published.body);
    }
    let builder = staff.get(&format!("{BASE}/design/kacirna")).await;
    assert!(
        builder
            .body
            .contains("The draft is the same as the published version 1."),
        "{}",
        builder.body
    );

    // The builder changes the draft only: citizens still get version 1.
    let field = format!("{BASE}/design/kacirna/fields/jmeno");
    let saved = staff
        .submit(
            &field,
            &field,
            &[
                ("title", "Jméno a příjmení"),
                ("required", "true"),
                ("step", "0"),
                ("position", "2"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let public = Browser::new(addr);
    let form = public.get(&format!("{BASE}/public/kacirna")).await;
    assert!(
        form.body.contains(">Jméno<") || form.body.contains("Jméno <"),
        "{}",
        form.body
    );
    assert!(!form.body.contains("Jméno a příjmení"));
    let builder = staff.get(&format!("{BASE}/design/kacirna")).await;
    assert!(
        builder
            .body
            .contains("The draft has changes that are not published"),
        "{}",
        builder.body
    );
    let published = staff
        .submit(
            &format!("{BASE}/design/kacirna"),
            &format!("{BASE}/design/kacirna"),
            &[("_do", "publish")],
        )
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    assert!(
        staff
            .get(published.location())
            .await
            .body
            .contains("Version 2 is published."),
    );

    // Without script: the tree's girth is hidden until asked for, then
    // shown as a question, not as an error; the trunk is then required.
    let form = public.get(&format!("{BASE}/public/kacirna")).await;
    assert!(
        form.body.contains("data-shown-when=\"{&quot;field&quot;:&quot;druh&quot;,&quot;values&quot;:[&quot;strom&quot;]}\""),
        "{}",
        form.body
    );
    assert!(
        form.body
            .contains("<script src=\"/assets/portico-form.js\" defer>")
    );
    let posted = public
        .submit(
            &format!("{BASE}/public/kacirna"),
            &format!("{BASE}/public/kacirna"),
            &[("druh", "strom"), ("jmeno", "Jan Novák"), ("_shown", "")],
        )
        .await;
    assert!(
        posted
            .body
            .contains("Your answers brought up a further question")
            && !posted.body.contains("Fill this in.")
            && posted.body.contains("id=\"f-obvod\"")
            && !posted.body.contains("hidden data-shown-when"),
        "{}",
        posted.body
    );
    let shown = portico_tests::browser::hidden_field(&posted.body, "_shown");
    assert_eq!(shown.as_deref(), Some("obvod"));
    // Asked once, the girth is then required of a tree.
    let again = public
        .submit(
            &format!("{BASE}/public/kacirna"),
            &format!("{BASE}/public/kacirna"),
            &[
                ("druh", "strom"),
                ("jmeno", "Jan Novák"),
                ("_shown", "obvod"),
            ],
        )
        .await;
    again.assert_refused(&["Fill this in."]);
    let sent = public
        .submit(
            &format!("{BASE}/public/kacirna"),
            &format!("{BASE}/public/kacirna"),
            &[("druh", "strom"), ("obvod", "120"), ("jmeno", "Jan Novák")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    // What was sent, by the link given; its receipt; a wrong key finds nothing.
    let receipt = public.get(sent.location()).await;
    assert!(
        receipt.body.contains("What you sent") && receipt.body.contains("Jan Novák"),
        "{}",
        receipt.body
    );
    let path = sent
        .location()
        .split('?')
        .next()
        .expect("a path")
        .to_owned();
    let pdf = public.get(&format!("{path}/receipt.pdf")).await;
    assert_eq!(pdf.status, 200);
    let wrong = format!("{}x", path);
    assert_eq!(public.get(&wrong).await.status, 404);
}

#[tokio::test]
async fn life_situations_are_nested_and_ordered_by_picking_not_by_typing_keys() {
    let portal = portal().await;
    let addr = portal.serve().await;
    let staff = Browser::new(addr);
    staff.log_in("petr", PASSWORD).await;
    let edit = format!("{BASE}/situations-edit");
    let add = |title: &'static str, parent: &'static str, place: &'static str| {
        let staff = &staff;
        let edit = edit.clone();
        async move {
            let saved = staff
                .submit(
                    &edit,
                    &edit,
                    &[
                        ("editing", ""),
                        ("title", title),
                        ("text", ""),
                        ("parent", parent),
                        ("place", place),
                    ],
                )
                .await;
            assert_eq!(saved.status, 303, "{}", saved.body);
        }
    };
    add("Bydlení a stěhování", "", "0").await;
    add("Doprava", "", "1").await;
    // Nested under a situation picked from the tree.
    add("Parkování v zóně", "doprava", "0").await;
    // Doprava moved before Bydlení.
    let moved = staff
        .submit(
            &format!("{edit}?key=doprava"),
            &edit,
            &[
                ("editing", "doprava"),
                ("title", "Doprava"),
                ("text", "Auto, parkování, MHD."),
                ("parent", ""),
                ("place", "0"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let tree = staff.get(&edit).await.body;
    let order: Vec<usize> = [
        ">Doprava</a>",
        ">· Parkování v zóně</a>",
        ">Bydlení a stěhování</a>",
    ]
    .iter()
    .map(|t| tree.find(t).unwrap_or_else(|| panic!("{t} in {tree}")))
    .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{tree}");
    // Citizens see the same order.
    let home = Browser::new(addr).get(&format!("{BASE}/")).await.body;
    assert!(
        home.find(">Doprava<").expect("Doprava")
            < home.find(">Bydlení a stěhování<").expect("Bydlení"),
        "{home}"
    );
    let under = Browser::new(addr)
        .get(&format!("{BASE}/situations/doprava"))
        .await
        .body;
    assert!(under.contains("Parkování v zóně"), "{under}");
}
