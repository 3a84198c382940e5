//! A citizen's own account, as a person uses it: registering from the
//! log-in page, the confirmation e-mail from a real SMTP server on
//! loopback, a forgotten password set again by an e-mailed link; and what
//! a stranger learns from these pages (nothing) and how fast they may try.

use portico_tests::TestPortal;
use portico_tests::browser::Browser;
use portico_tests::peers::{ReceivedMail, SmtpSink};

const PASSWORD: &str = "Mohelnice-2026";
const NEW_PASSWORD: &str = "Lanskroun-2027";

/// The path of the link in a message (`http://127.0.0.1:…/auth/…`).
fn link_in(mail: &ReceivedMail) -> String {
    let text = mail.text();
    let start = text.find("/auth/").expect("a link in the message");
    text[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// What the portal sent `to` since the last look, oldest first.
async fn mail_to(
    portal: &TestPortal,
    smtp: &SmtpSink,
    to: &str,
    seen: &mut usize,
) -> Vec<ReceivedMail> {
    portal.settle().await;
    let all = smtp.received();
    let new = all[*seen..].to_vec();
    *seen = all.len();
    new.into_iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .collect()
}

#[tokio::test]
async fn a_citizen_registers_confirms_the_address_and_sets_a_forgotten_password_again() {
    let smtp = SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("ledger")
        .smtp(&smtp.url())
        .build()
        .await;
    let addr = portal.serve().await;
    let mut seen = 0;
    let jana = "jana.novakova@example.cz";

    // From the log-in page to the form.
    let browser = Browser::new(addr);
    let login = browser.get("/auth/login").await;
    assert!(
        login.body.contains("href=\"/auth/register\"")
            && login.body.contains("href=\"/auth/reset\""),
        "{}",
        login.body
    );
    // Mistakes are named at their fields, nothing is stored or sent.
    let wrong = browser
        .submit(
            "/auth/register",
            "/auth/register",
            &[
                ("name", ""),
                ("email", "jana@"),
                ("password", "short"),
                ("again", "short"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    for (field, message) in [
        ("r-name", "Enter your name."),
        ("r-email", "Enter an e-mail address"),
        ("r-password", "Choose a password of at least 10 characters."),
    ] {
        assert!(
            wrong.body.contains(&format!("id=\"{field}-error\"")) && wrong.body.contains(message),
            "{field}: {}",
            wrong.body
        );
    }
    assert!(mail_to(&portal, &smtp, jana, &mut seen).await.is_empty());

    let done = browser
        .submit(
            "/auth/register",
            "/auth/register",
            &[
                ("name", "Jana Nováková"),
                ("email", jana),
                ("password", PASSWORD),
                ("again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("We sent a message to"), "{}", done.body);

    // Not yet: the address is not confirmed, and the page says what to do.
    let early = browser.log_in(jana, PASSWORD).await;
    assert_eq!(early.status, 403, "{}", early.body);
    assert!(
        early.body.contains("Confirm your e-mail address first"),
        "{}",
        early.body
    );

    let mails = mail_to(&portal, &smtp, jana, &mut seen).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0]
            .subject()
            .starts_with("Confirm your e-mail address")
    );
    assert!(
        mails[0].text().contains("Hello Jana Nováková"),
        "{}",
        mails[0].text()
    );
    let confirm = link_in(&mails[0]);
    assert!(confirm.starts_with("/auth/confirm/"), "{confirm}");
    // Opening the link changes nothing (mail scanners open links too); the
    // button does.
    let page = browser.get(&confirm).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(browser.log_in(jana, PASSWORD).await.status, 403);
    let confirmed = browser.submit(&confirm, &confirm, &[]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(
        confirmed.body.contains("Your address is confirmed"),
        "{}",
        confirmed.body
    );
    let again = browser.submit(&confirm, &confirm, &[]).await;
    assert_eq!(again.status, 410, "a link works once: {}", again.body);
    assert_eq!(browser.log_in(jana, PASSWORD).await.status, 303);
    let me = browser.get_json("/auth/me").await;
    assert_eq!(me.json()["kind"], "citizen", "{}", me.body);
    assert_eq!(me.json()["display_name"], "Jana Nováková");
    let her = me.json()["id"].as_str().expect("her id").to_owned();

    // She gave an address to be reached at: what a module tells her comes
    // to her inbox and by e-mail. She turns the e-mail off on her page;
    // the next message reaches her inbox only.
    let tell = |title: &'static str| {
        let body = serde_json::json!({
            "to": { "user": her },
            "template": "receipt",
            "data": { "name": "Jana Nováková", "title": title, "id": "12/2026" },
        })
        .to_string();
        let portal = &portal;
        async move {
            let got = crate::call(portal, "POST", "/m/ledger/api/notify", &body).await;
            assert_eq!(got.status, 201, "{}", got.body);
        }
    };
    tell("Road closure").await;
    let mails = mail_to(&portal, &smtp, jana, &mut seen).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].text().contains("Road closure"),
        "{}",
        mails[0].text()
    );
    let mine = browser.get("/auth/me").await;
    assert!(
        mine.body
            .contains("id=\"n-email\" type=\"checkbox\" name=\"email\" value=\"1\" checked"),
        "{}",
        mine.body
    );
    let saved = browser
        .post_form("/auth/notices", &[("_csrf", mine.csrf().as_str())])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        browser.get_json("/auth/me").await.json()["notify_email"],
        false
    );
    tell("Water outage").await;
    assert!(mail_to(&portal, &smtp, jana, &mut seen).await.is_empty());
    let inbox = browser.get("/inbox").await;
    assert!(
        inbox.body.contains("Road closure") && inbox.body.contains("Water outage"),
        "{}",
        inbox.body
    );

    // Someone registers her address again: the page is the same, no second
    // account is made, and she is told she has one.
    let stranger = Browser::new(addr);
    let twice = stranger
        .submit(
            "/auth/register",
            "/auth/register",
            &[
                ("name", "Someone"),
                ("email", jana),
                ("password", "Someone-else-1"),
                ("again", "Someone-else-1"),
            ],
        )
        .await;
    assert_eq!(twice.status, 200);
    assert!(
        twice.body.contains("We sent a message to"),
        "{}",
        twice.body
    );
    let mails = mail_to(&portal, &smtp, jana, &mut seen).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0]
            .subject()
            .starts_with("You already have an account")
    );
    assert_eq!(stranger.log_in(jana, "Someone-else-1").await.status, 401);

    // She forgets her password. Asked for her address and for one nobody
    // uses, the page answers the same; only she gets a message.
    let forgetful = Browser::new(addr);
    let asked = forgetful
        .submit("/auth/reset", "/auth/reset", &[("email", jana)])
        .await;
    let nobody = forgetful
        .submit(
            "/auth/reset",
            "/auth/reset",
            &[("email", "nobody@example.cz")],
        )
        .await;
    assert_eq!((asked.status, nobody.status), (200, 200));
    assert_eq!(
        asked
            .body
            .replace(jana, "…")
            .split("<main")
            .nth(1)
            .map(|m| m.split("</main>").next()),
        nobody
            .body
            .replace("nobody@example.cz", "…")
            .split("<main")
            .nth(1)
            .map(|m| m.split("</main>").next()),
        "the two answers differ"
    );
    let mails = mail_to(&portal, &smtp, jana, &mut seen).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        smtp.received()
            .iter()
            .all(|m| !m.to.contains(&"nobody@example.cz".to_owned()))
    );
    let reset = link_in(&mails[0]);
    assert!(reset.starts_with("/auth/reset/"), "{reset}");

    // A weak password is refused at the field and the link still works.
    let weak = forgetful
        .submit(&reset, &reset, &[("password", "short"), ("again", "short")])
        .await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert!(
        weak.body.contains("id=\"n-password-error\""),
        "{}",
        weak.body
    );
    let set = forgetful
        .submit(
            &reset,
            &reset,
            &[("password", NEW_PASSWORD), ("again", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert!(
        set.body.contains("Your new password is set"),
        "{}",
        set.body
    );
    // Her session elsewhere ended; the old password no longer works, the
    // new one does; the link works once.
    assert_eq!(browser.get_json("/auth/me").await.status, 401);
    assert_eq!(forgetful.log_in(jana, PASSWORD).await.status, 401);
    assert_eq!(forgetful.log_in(jana, NEW_PASSWORD).await.status, 303);
    assert_eq!(Browser::new(addr).get(&reset).await.status, 410);

    // A guessed link is no link.
    assert_eq!(
        Browser::new(addr).get("/auth/reset/guess").await.status,
        410
    );

    // Nobody fills a mailbox or tries addresses quickly: the forms answer
    // 429 after ten requests a minute from one address.
    let hammer = Browser::new(addr);
    let form = hammer.get("/auth/reset").await;
    let csrf = form.csrf();
    let mut statuses = Vec::new();
    for i in 0..12 {
        let email = format!("someone{i}@example.cz");
        let page = hammer
            .post_form(
                "/auth/reset",
                &[("_csrf", csrf.as_str()), ("email", &email)],
            )
            .await;
        statuses.push(page.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}
