//! A citizen's own account, as a person uses it: registering from the
//! log-in page, the confirmation e-mail from a real SMTP server on
//! loopback, a forgotten password set again by an e-mailed link; and what
//! a stranger learns from these pages (nothing) and how fast they may try;
//! a phone confirmed by the code a real SMS gateway on loopback received,
//! and messages then told by text message too.

use portico_platform::identity::users::UserKind;
use portico_tests::TestPortal;
use portico_tests::browser::Browser;
use portico_tests::peers::{ReceivedMail, SmsSink, SmtpSink};

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

/// Registers `email` and confirms it through the e-mailed link; the
/// browser is logged in as them.
async fn registered(
    portal: &TestPortal,
    smtp: &SmtpSink,
    browser: &Browser,
    email: &str,
    seen: &mut usize,
) {
    let sent = browser
        .submit(
            "/auth/register",
            "/auth/register",
            &[
                ("name", "Jana Nováková"),
                ("email", email),
                ("password", PASSWORD),
                ("again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = link_in(&mail_to(portal, smtp, email, seen).await[0]);
    assert_eq!(browser.submit(&link, &link, &[]).await.status, 200);
    assert_eq!(browser.log_in(email, PASSWORD).await.status, 303);
}

#[tokio::test]
async fn a_citizen_renames_themselves_moves_to_a_new_address_and_deletes_the_account() {
    let smtp = SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("ledger")
        .smtp(&smtp.url())
        .build()
        .await;
    let addr = portal.serve().await;
    let mut seen = 0;
    let (old, new) = ("jana@example.cz", "jana.novakova@posta.example.cz");
    let jana = Browser::new(addr);
    registered(&portal, &smtp, &jana, old, &mut seen).await;

    // The name, at once.
    let renamed = jana
        .submit(
            "/auth/me",
            "/auth/profile/name",
            &[("name", "Jana Dvořáková")],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let me = jana.get("/auth/me").await;
    assert!(me.body.contains("Jana Dvořáková"), "{}", me.body);

    // A new address: nothing changes until its link is opened.
    let wrong = jana
        .submit(
            "/auth/me",
            "/auth/profile/email",
            &[("email", new), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status, 422, "the password is asked again");
    let asked = jana
        .submit(
            "/auth/me",
            "/auth/profile/email",
            &[("email", new), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains(new), "{}", asked.body);
    assert!(
        jana.get("/auth/me").await.body.contains(old),
        "unchanged so far"
    );
    let mails = mail_to(&portal, &smtp, new, &mut seen).await;
    assert_eq!(mails.len(), 1);
    let link = link_in(&mails[0]);
    assert!(link.starts_with("/auth/email/"), "{link}");
    // Opening it shows a button only; pressing it changes the address,
    // and the old address is told.
    let shown = jana.get(&link).await;
    assert!(
        shown.body.contains("Confirm the new address"),
        "{}",
        shown.body
    );
    assert!(jana.get("/auth/me").await.body.contains(old));
    // Opened in another browser, logged in as nobody: the old address is
    // told all the same.
    let elsewhere = Browser::new(addr);
    let confirmed = elsewhere.submit(&link, &link, &[]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(confirmed.body.contains(new));
    let told = mail_to(&portal, &smtp, old, &mut seen).await;
    assert_eq!(told.len(), 1, "the old address is told");
    assert!(told[0].text().contains(new), "{}", told[0].text());
    // The link works once; the user name followed the address.
    assert_eq!(elsewhere.submit(&link, &link, &[]).await.status, 410);
    let again = Browser::new(addr);
    assert_eq!(
        again.log_in(old, PASSWORD).await.status,
        401,
        "the old name no longer logs in"
    );
    assert_eq!(again.log_in(new, PASSWORD).await.status, 303);

    // Another account's address cannot be taken: its owner is told,
    // and the person asking sees the same page as ever.
    let petr = Browser::new(addr);
    registered(&portal, &smtp, &petr, "petr@example.cz", &mut seen).await;
    let asked = petr
        .submit(
            "/auth/me",
            "/auth/profile/email",
            &[("email", new), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(asked.status, 200);
    let mails = mail_to(&portal, &smtp, new, &mut seen).await;
    assert_eq!(mails.len(), 1);
    assert!(
        !mails[0].text().contains("/auth/email/"),
        "no link to take it"
    );

    // Deleting: the password is asked again; then the account is gone.
    let wrong = jana
        .submit(
            "/auth/me",
            "/auth/delete",
            &[("password", "not the password"), ("understood", "1")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong
            .body
            .contains("The password is wrong; the account stays.")
    );
    let deleted = jana
        .submit(
            "/auth/me",
            "/auth/delete",
            &[("password", PASSWORD), ("understood", "1")],
        )
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert_eq!(deleted.location(), "/auth/deleted");
    assert!(
        jana.get("/auth/deleted")
            .await
            .body
            .contains("Your account is deleted")
    );
    assert_eq!(
        jana.get("/auth/me").await.status,
        303,
        "logged out: the session is gone"
    );
    assert_eq!(again.get("/auth/me").await.status, 303, "everywhere");
    assert_eq!(Browser::new(addr).log_in(new, PASSWORD).await.status, 401);
    let users = portico_platform::identity::users::list(portal.db())
        .await
        .expect("users");
    let gone = users
        .iter()
        .find(|u| u.username.starts_with("deleted-"))
        .expect("kept as an id, for the records the law keeps");
    assert!(gone.email.is_none() && !gone.active && !gone.has_password);
    assert_eq!(gone.display_name, "—");
    assert!(
        !users
            .iter()
            .any(|u| u.display_name.contains("Dvořáková") || u.email.as_deref() == Some(new)),
        "nothing that names her is left"
    );
    // Her address is free for a new account.
    let later = Browser::new(addr);
    registered(&portal, &smtp, &later, new, &mut seen).await;
}

#[tokio::test]
async fn a_staff_account_is_neither_renamed_moved_nor_deleted_by_its_holder() {
    let smtp = SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("ledger")
        .smtp(&smtp.url())
        .build()
        .await;
    let clerk = portal
        .user(
            "clerk",
            portico_platform::identity::users::UserKind::Staff,
            PASSWORD,
        )
        .await;
    let browser = Browser::new(portal.serve().await);
    assert_eq!(browser.log_in("clerk", PASSWORD).await.status, 303);
    let me = browser.get("/auth/me").await;
    assert!(
        !me.body.contains("/auth/delete") && !me.body.contains("/auth/profile/email"),
        "the forms are not offered"
    );
    // Posted all the same: refused, and the account stays as it was.
    for (path, fields) in [
        (
            "/auth/delete",
            vec![("password", PASSWORD), ("understood", "1")],
        ),
        (
            "/auth/profile/email",
            vec![("email", "clerk@elsewhere.example"), ("password", PASSWORD)],
        ),
        ("/auth/profile/name", vec![("name", "Somebody else")]),
    ] {
        let refused = browser.submit("/auth/me", path, &fields).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
    }
    let kept = portico_platform::identity::users::get(portal.db(), &clerk.id)
        .await
        .expect("read")
        .expect("the account is there");
    assert!(kept.active && kept.username == "clerk" && kept.display_name != "Somebody else");
    assert!(smtp.received().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_citizen_confirms_a_phone_by_its_code_and_is_then_told_of_things_by_text_message() {
    let gateway = SmsSink::start(0).await;
    let portal = TestPortal::builder()
        .module("ledger")
        .sms(&gateway.url(), None)
        .build()
        .await;
    let jana = portal.user("jana", UserKind::Citizen, PASSWORD).await;
    let addr = portal.serve().await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("jana", PASSWORD).await.status, 303);
    let me = browser.get("/auth/me").await;
    assert!(me.body.contains("id=\"p-phone\""), "{}", me.body);

    // A number without its country code is refused, saying how to write it.
    let bad = browser
        .submit(
            "/auth/me",
            "/auth/profile/phone",
            &[("phone", "601 234 567"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("+420 601 234 567"), "{}", bad.body);

    // The code goes to the phone; nothing changes until it is typed back.
    let asked = browser
        .submit(
            "/auth/me",
            "/auth/profile/phone",
            &[("phone", "+420 601 234 567"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    portal.settle().await;
    let texts = gateway.received();
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].body["to"], "+420601234567");
    let text = texts[0].body["text"].as_str().expect("a text").to_owned();
    let code: String = text
        .split_whitespace()
        .find(|w| {
            w.trim_end_matches('.').len() == 6
                && w.trim_end_matches('.').chars().all(|c| c.is_ascii_digit())
        })
        .expect("six digits in the message")
        .trim_end_matches('.')
        .to_owned();
    let me = browser.get_json("/auth/me").await.json();
    assert_eq!(me["phone"], serde_json::Value::Null);
    let page = browser.get("/auth/me").await;
    assert!(
        page.body
            .contains("The code from the text message to +420601234567"),
        "{}",
        page.body
    );
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let refused = browser
        .submit("/auth/me", "/auth/profile/phone/code", &[("code", wrong)])
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("The code is wrong"),
        "{}",
        refused.body
    );
    let confirmed = browser
        .submit("/auth/me", "/auth/profile/phone/code", &[("code", &code)])
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    assert_eq!(
        browser.get_json("/auth/me").await.json()["phone"],
        "+420601234567"
    );
    // Used once: the same code confirms nothing again.
    let again = browser
        .submit("/auth/me", "/auth/profile/phone/code", &[("code", &code)])
        .await;
    assert_eq!(again.status, 422);

    // Told by text message too, once she asks for it.
    let notify = |user: String| {
        let portal = &portal;
        async move {
            let body = serde_json::json!({
                "to": { "user": user },
                "template": "receipt",
                "data": { "name": "Jana", "title": "Road closure", "id": "12/2026" },
            })
            .to_string();
            let got = crate::call(portal, "POST", "/m/ledger/api/notify", &body).await;
            assert_eq!(got.status, 201, "{}", got.body);
            portal.settle().await;
        }
    };
    notify(jana.id.clone()).await;
    assert_eq!(
        gateway.received().len(),
        1,
        "the inbox only, until she asks"
    );
    let saved = browser
        .submit("/auth/me", "/auth/notices", &[("sms", "1")])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        browser.get_json("/auth/me").await.json()["notify_sms"],
        true
    );
    notify(jana.id.clone()).await;
    let texts = gateway.received();
    assert_eq!(texts.len(), 2, "and by text message");
    assert_eq!(texts[1].body["to"], "+420601234567");
    assert!(
        texts[1].body["text"]
            .as_str()
            .is_some_and(|t| t.contains("Road closure")),
        "{:?}",
        texts[1].body
    );

    // Without the phone, no more texts.
    let removed = browser
        .submit("/auth/me", "/auth/profile/phone/remove", &[])
        .await;
    assert_eq!(removed.status, 303);
    notify(jana.id).await;
    assert_eq!(gateway.received().len(), 2);
    assert_eq!(
        browser.get_json("/auth/me").await.json()["notify_sms"],
        false
    );

    // Changes to one's own account are counted too: a burst is stopped.
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(
            browser
                .submit("/auth/me", "/auth/notices", &[])
                .await
                .status,
        );
    }
    assert_eq!(statuses[0], 303);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}
