//! The admin console through HTTP: who may use it, changes that need the
//! page's CSRF token, enabling for an organization and those below it,
//! settings checked against the manifest's schema.

use portico_platform::identity::users::UserKind;
use portico_platform::organizations::{self, Kind, NewOrganization};
use portico_platform::{audit, modules};
use portico_tests::browser::Browser;
use portico_tests::{TEST_CITY, TestPortal};

const PASSWORD: &str = "correct horse battery";

async fn org(portal: &TestPortal, id: &str, parent: Option<&str>) {
    organizations::create(
        portal.db(),
        "test",
        NewOrganization {
            id: id.into(),
            name: format!("Organizace {id}"),
            ico: None,
            kind: if parent.is_some() {
                Kind::Organization
            } else {
                Kind::City
            },
            parent_id: parent.map(str::to_owned),
            category: None,
            address: None,
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn organization_administrators_run_their_own_organizations_modules_only() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("ledger")
        .build()
        .await;
    org(&portal, "mesto", None).await;
    org(&portal, "zs-mesto", Some("mesto")).await;
    org(&portal, "jine-mesto", None).await;
    let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
    portal.grant(&admin, "mesto", "org-admin").await;
    portal.user("urednik", UserKind::Staff, PASSWORD).await;
    let addr = portal.serve().await;

    let anonymous = Browser::new(addr).get("/admin/orgs/mesto").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.location(),
        "/auth/login?next=%2Fadmin%2Forgs%2Fmesto"
    );

    let clerk = Browser::new(addr);
    assert_eq!(clerk.log_in("urednik", PASSWORD).await.status, 303);
    assert_eq!(clerk.get("/admin/orgs/mesto").await.status, 403);
    let overview = clerk.get("/admin").await;
    assert!(overview.body.contains("You administer no organization."));
    assert_eq!(clerk.get("/admin/modules").await.status, 403);

    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("spravce", PASSWORD).await.status, 303);
    let overview = browser.get("/admin").await;
    assert!(
        overview.body.contains("/admin/orgs/mesto"),
        "{}",
        overview.body
    );
    assert!(!overview.body.contains("/admin/orgs/jine-mesto"));
    assert_eq!(browser.get("/admin/orgs/jine-mesto").await.status, 403);
    assert_eq!(browser.get("/admin/modules").await.status, 200);
    assert_eq!(browser.get("/admin/orgs/nikde").await.status, 404);

    let page = browser.get("/admin/orgs/mesto/modules/ledger").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    let path = "/admin/orgs/mesto/modules/ledger";
    let forged = browser
        .post_form(path, &[("state", "enable"), ("children", "true")])
        .await;
    assert_eq!(forged.status, 403);
    let odd = browser
        .post_form(path, &[("_csrf", &csrf), ("state", "maybe")])
        .await;
    assert_eq!(odd.status, 400);
    assert!(
        odd.body
            .contains("`state` must be `enable` or `disable`, not `maybe`")
    );
    let enabled = browser
        .post_form(
            path,
            &[("_csrf", &csrf), ("state", "enable"), ("children", "true")],
        )
        .await;
    assert_eq!(enabled.status, 303, "{}", enabled.body);
    assert_eq!(enabled.location(), format!("{path}?done=enabled"));
    for (org, on) in [("mesto", true), ("zs-mesto", true), ("jine-mesto", false)] {
        let states = modules::enabled_modules(portal.db(), org).await.unwrap();
        assert_eq!(states.iter().any(|m| m == "ledger"), on, "{org}");
    }
    let trail = audit::entries(portal.db(), "zs-mesto").await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "module.enable" && e.actor == admin.id)
    );

    // Switching off is asked once more, saying what happens; nothing
    // changes until the administrator confirms.
    let asked = browser
        .post_form(path, &[("_csrf", &csrf), ("state", "disable")])
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    for expected in [
        "Switch off “Ledger”?",
        "its pages, its jobs and the messages to it stop there",
        "Nothing it keeps is deleted",
        "Keep it on",
        r#"name="confirm" value="yes""#,
    ] {
        assert!(asked.body.contains(expected), "{expected}: {}", asked.body);
    }
    assert!(
        modules::enabled_modules(portal.db(), "mesto")
            .await
            .unwrap()
            .iter()
            .any(|m| m == "ledger"),
        "still on until confirmed"
    );
    let off = browser
        .post_form(
            path,
            &[("_csrf", &csrf), ("state", "disable"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(off.status, 303, "{}", off.body);
    assert_eq!(off.location(), format!("{path}?done=disabled"));
    for (org, on) in [("mesto", false), ("zs-mesto", true)] {
        let states = modules::enabled_modules(portal.db(), org).await.unwrap();
        assert_eq!(states.iter().any(|m| m == "ledger"), on, "{org}");
    }
    // Switching on needs no second question.
    let on = browser
        .post_form(path, &[("_csrf", &csrf), ("state", "enable")])
        .await;
    assert_eq!(on.location(), format!("{path}?done=enabled"));

    // Settings are a form made from the manifest, checked against its
    // types; the error is at the field and nothing is saved.
    let page = browser.get(path).await;
    assert!(
        page.body
            .contains(r#"<label for="f-setting.largest-amount">Largest amount</label>"#),
        "{}",
        page.body
    );
    let bad = browser
        .post_form(
            path,
            &[
                ("_csrf", &csrf),
                ("setting.largest-amount", "a lot"),
                ("setting.strict", "true"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains(
            r#"<p class="error" id="f-setting.largest-amount-error">`a lot` is not a number: `largest-amount` takes a number from 0 to 1000000000</p>"#
        ),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains(r#"value="a lot""#),
        "what was typed is kept"
    );
    let unknown = browser
        .post_form(path, &[("_csrf", &csrf), ("setting.nope", "1")])
        .await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.body.contains("`nope` is not a setting of Ledger"));
    let stored = modules::enablements(portal.db(), Some("mesto"), Some("ledger"))
        .await
        .unwrap();
    assert!(stored.iter().all(|e| e.settings.is_empty()), "{stored:?}");

    let saved = browser
        .post_form(
            path,
            &[
                ("_csrf", &csrf),
                ("setting.largest-amount", "5000"),
                ("setting.strict", "true"),
            ],
        )
        .await;
    assert_eq!(saved.location(), format!("{path}?done=saved"));
    let page = browser.get(saved.location()).await;
    assert!(page.body.contains("The settings are saved."));
    assert!(page.body.contains(r#"value="5000""#));
    let _ = TEST_CITY;
}

#[tokio::test]
async fn a_platform_administrator_switches_a_tripped_module_back_on_and_it_is_audited() {
    let portal = TestPortal::builder()
        .module("trapper")
        .breaker_threshold(2)
        .build()
        .await;
    let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
    portal
        .grant(
            &admin,
            portico_platform::identity::roles::EVERY_ORG,
            portico_platform::identity::roles::PLATFORM_ADMIN,
        )
        .await;
    let addr = portal.serve().await;
    let anyone = Browser::new(addr);
    for _ in 0..2 {
        assert_eq!(anyone.get("/m/trapper/").await.status, 500);
    }
    assert_eq!(anyone.get("/m/trapper/?behave=1").await.status, 503);

    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("spravce", PASSWORD).await.status, 303);
    let catalog = browser.get("/admin/modules").await;
    // Switched off where it faulted, with a button for that organization.
    assert!(
        catalog.body.contains("serving, but switched off in")
            && catalog.body.contains(&format!("{TEST_CITY} (trapped"))
            && catalog
                .body
                .contains(&format!("Switch on Panics in every call in {TEST_CITY}")),
        "{}",
        catalog.body
    );
    // Two traps, and the call refused while it was off: counted as
    // refused, not as a call that ran (nor in the latency figure).
    assert!(
        catalog.body.contains("<dt>Calls</dt><dd>2</dd>")
            && catalog.body.contains("<dt>Faults</dt><dd>2</dd>")
            && catalog
                .body
                .contains("<dt>Refused (switched off or busy)</dt><dd>1</dd>"),
        "{}",
        catalog.body
    );
    let on = browser
        .post_form(
            "/admin/modules/trapper/switch-on",
            &[("_csrf", &catalog.csrf())],
        )
        .await;
    assert_eq!(on.status, 303, "{}", on.body);
    assert_eq!(anyone.get("/m/trapper/?behave=1").await.status, 200);
    let trail = audit::entries(portal.db(), audit::PLATFORM_CHAIN)
        .await
        .unwrap();
    assert!(
        trail.iter().any(|e| e.action == "module.switch-on"
            && e.subject == "trapper"
            && e.actor == admin.id)
    );
}

#[tokio::test]
async fn administrators_grant_roles_and_found_organizations_in_the_console() {
    let portal = TestPortal::builder().module("notice-board").build().await;
    org(&portal, "mesto", None).await;
    let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
    portal.grant(&admin, "mesto", "org-admin").await;
    let clerk = portal.user("urednik", UserKind::Staff, PASSWORD).await;
    portal.user("obcan", UserKind::Citizen, PASSWORD).await;
    let root = portal.user("koren", UserKind::Staff, PASSWORD).await;
    portal
        .grant(
            &root,
            portico_platform::identity::roles::EVERY_ORG,
            portico_platform::identity::roles::PLATFORM_ADMIN,
        )
        .await;
    let addr = portal.serve().await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("spravce", PASSWORD).await.status, 303);

    // The organization's page lists who holds which role.
    let page = browser.get("/admin/orgs/mesto").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("\">spravce</td>"), "{}", page.body);
    let csrf = page.csrf();
    let roles = "/admin/orgs/mesto/roles";

    // Granting a module's role to a clerk, as the form offers it.
    assert!(
        page.body
            .contains("<option value=\"notice-board.editor\">Notice board editor (Official notice board)</option>"),
        "{}",
        page.body
    );
    let forged = browser
        .post_form(
            roles,
            &[
                ("change", "grant"),
                ("username", "urednik"),
                ("role", "notice-board.editor"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let granted = browser
        .post_form(
            roles,
            &[
                ("_csrf", &csrf),
                ("change", "grant"),
                ("username", "urednik"),
                ("role", "notice-board.editor"),
            ],
        )
        .await;
    assert_eq!(granted.status, 303, "{}", granted.body);
    assert_eq!(granted.location(), "/admin/orgs/mesto?done=granted");
    // The role is shown by its label, not its code.
    let people = browser.get("/admin/orgs/mesto").await;
    assert!(
        people
            .body
            .contains("urednik – Notice board editor (Official notice board)"),
        "{}",
        people.body
    );
    assert!(
        !people.body.contains(">notice-board.editor<"),
        "{}",
        people.body
    );
    let held = portico_platform::identity::roles::roles_in(portal.db(), &clerk.id, "mesto")
        .await
        .unwrap();
    assert!(held.contains("notice-board.editor"), "{held:?}");
    let trail = audit::entries(portal.db(), "mesto").await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "role.grant" && e.actor == admin.id)
    );

    // Wrong input comes back at its field, typed values kept, nothing granted.
    let nobody = browser
        .post_form(
            roles,
            &[
                ("_csrf", &csrf),
                ("change", "grant"),
                ("username", "nikdo"),
                ("role", "org-admin"),
            ],
        )
        .await;
    assert_eq!(nobody.status, 422, "{}", nobody.body);
    assert!(
        nobody
            .body
            .contains("id=\"f-username-error\">There is no user `nikdo`."),
        "{}",
        nobody.body
    );
    assert!(nobody.body.contains("value=\"nikdo\""), "{}", nobody.body);
    let citizen = browser
        .post_form(
            roles,
            &[
                ("_csrf", &csrf),
                ("change", "grant"),
                ("username", "obcan"),
                ("role", "org-admin"),
            ],
        )
        .await;
    assert_eq!(citizen.status, 422, "{}", citizen.body);
    assert!(
        citizen.body.contains("only staff hold roles"),
        "{}",
        citizen.body
    );
    let odd_role = browser
        .post_form(
            roles,
            &[
                ("_csrf", &csrf),
                ("change", "grant"),
                ("username", "urednik"),
                ("role", "god"),
            ],
        )
        .await;
    assert_eq!(odd_role.status, 422);
    assert!(
        odd_role.body.contains("id=\"f-role-error\""),
        "{}",
        odd_role.body
    );

    // Revoking it again: asked once more, saying what follows; nothing
    // changes until confirmed.
    let asked = browser
        .post_form(
            roles,
            &[
                ("_csrf", &csrf),
                ("change", "revoke"),
                ("grant", "urednik notice-board.editor"),
            ],
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    for expected in [
        "Revoke the role “Notice board editor (Official notice board)”?",
        "User urednik (urednik) at once loses in Organizace mesto",
        "every permission the role gives",
        "Keep the role",
    ] {
        assert!(asked.body.contains(expected), "{expected}: {}", asked.body);
    }
    assert!(
        !portico_platform::identity::roles::roles_in(portal.db(), &clerk.id, "mesto")
            .await
            .unwrap()
            .is_empty(),
        "still held until confirmed"
    );
    let revoked = browser
        .post_form(
            roles,
            &[
                ("_csrf", &csrf),
                ("change", "revoke"),
                ("grant", "urednik notice-board.editor"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(revoked.location(), "/admin/orgs/mesto?done=revoked");
    let held = portico_platform::identity::roles::roles_in(portal.db(), &clerk.id, "mesto")
        .await
        .unwrap();
    assert!(held.is_empty(), "{held:?}");

    // An organization below: a bad IČO is refused at its field, then it is founded.
    let bad = browser
        .post_form(
            "/admin/orgs",
            &[
                ("_csrf", &csrf),
                ("parent", "mesto"),
                ("id", "zs-lipova"),
                ("name", "ZŠ Lipová"),
                ("kind", "organization"),
                ("ico", "12345678"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"f-ico-error\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"ZŠ Lipová\""), "{}", bad.body);
    assert!(
        organizations::get(portal.db(), "zs-lipova")
            .await
            .unwrap()
            .is_none()
    );
    let founded = browser
        .post_form(
            "/admin/orgs",
            &[
                ("_csrf", &csrf),
                ("parent", "mesto"),
                ("id", "zs-lipova"),
                ("name", "ZŠ Lipová"),
                ("kind", "organization"),
                ("ico", ""),
            ],
        )
        .await;
    assert_eq!(founded.status, 303, "{}", founded.body);
    assert_eq!(founded.location(), "/admin/orgs/zs-lipova?done=created");
    let created = organizations::get(portal.db(), "zs-lipova")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.parent_id.as_deref(), Some("mesto"));
    // Its administrator may not found a city at the top: that is a platform administrator's.
    let city = browser
        .post_form(
            "/admin/orgs",
            &[
                ("_csrf", &csrf),
                ("id", "nove-mesto"),
                ("name", "Nové Město"),
                ("kind", "city"),
            ],
        )
        .await;
    assert_eq!(city.status, 403);

    let root_browser = Browser::new(addr);
    assert_eq!(root_browser.log_in("koren", PASSWORD).await.status, 303);
    let overview = root_browser.get("/admin").await;
    assert!(
        overview.body.contains("New region or city"),
        "{}",
        overview.body
    );
    let city = root_browser
        .post_form(
            "/admin/orgs",
            &[
                ("_csrf", &overview.csrf()),
                ("id", "nove-mesto"),
                ("name", "Nové Město"),
                ("kind", "city"),
            ],
        )
        .await;
    assert_eq!(city.location(), "/admin/orgs/nove-mesto?done=created");
}

#[tokio::test]
async fn a_number_setting_outside_its_range_or_not_finite_is_refused_and_nothing_stored_changes() {
    let portal = TestPortal::builder().module("ledger").build().await;
    let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
    portal.grant(&admin, TEST_CITY, "org-admin").await;
    let addr = portal.serve().await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("spravce", PASSWORD).await.status, 303);
    let path = format!("/admin/orgs/{TEST_CITY}/modules/ledger");
    let stored = || async {
        modules::enablements(portal.db(), Some(TEST_CITY), Some("ledger"))
            .await
            .unwrap()[0]
            .settings
            .get("largest-amount")
            .cloned()
    };
    let post = |value: &'static str| {
        let browser = &browser;
        let path = path.clone();
        async move {
            let csrf = browser.get(&path).await.csrf();
            browser
                .post_form(
                    &path,
                    &[("_csrf", &csrf), ("setting.largest-amount", value)],
                )
                .await
        }
    };

    // A value in range is saved, and the field says what the range is.
    let saved = post("5000").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(stored().await.as_deref(), Some("5000"));
    let page = browser.get(&path).await;
    assert!(
        page.body.contains(r#"min="0""#) && page.body.contains(r#"max="1000000000""#),
        "{}",
        page.body
    );

    for (value, says) in [
        ("inf", "`inf` is not a finite number"),
        ("NaN", "`NaN` is not a finite number"),
        ("-Infinity", "`-Infinity` is not a finite number"),
        ("1e309", "`1e309` is not a finite number"),
        ("-5", "`-5` is less than 0"),
        ("1000000001", "`1000000001` is more than 1000000000"),
        ("lots", "`lots` is not a number"),
    ] {
        let refused = post(value).await;
        refused.assert_refused(&[
            "The settings were not saved.",
            &format!("{says}: `largest-amount` takes a number from 0 to 1000000000"),
        ]);
        assert_eq!(stored().await.as_deref(), Some("5000"), "{value}");
    }

    // In Czech too.
    browser.get("/lang/cs").await;
    post("-5").await.assert_refused(&[
        "Nastavení nebylo uloženo.",
        "`-5` je menší než 0: `largest-amount` přijímá číslo od 0 do 1000000000",
    ]);
    assert_eq!(stored().await.as_deref(), Some("5000"));
}

#[tokio::test]
async fn an_administrator_above_runs_the_organizations_below_until_a_platform_administrator_closes_one()
 {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("ledger")
        .build()
        .await;
    org(&portal, "kraj", None).await;
    org(&portal, "skola", Some("kraj")).await;
    org(&portal, "skola-jidelna", Some("skola")).await;
    org(&portal, "nemocnice", Some("kraj")).await;
    org(&portal, "jine-mesto", None).await;
    org(&portal, "jina-skola", Some("jine-mesto")).await;
    let region_admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
    portal.grant(&region_admin, "kraj", "org-admin").await;
    let root = portal.user("koren", UserKind::Staff, PASSWORD).await;
    portal.grant(&root, "*", "platform-admin").await;
    let addr = portal.serve().await;
    let region = Browser::new(addr);
    assert_eq!(region.log_in("spravce", PASSWORD).await.status, 303);
    // In a school, where they hold no role, their agenda leads to its console.
    let school = region.get("/o/skola/").await;
    assert!(
        school
            .body
            .contains("<a href=\"/o/skola/agenda\">My agenda</a>"),
        "{}",
        school.body
    );
    let agenda = region.get("/o/skola/agenda").await;
    assert!(
        agenda.body.contains("href=\"/admin/orgs/skola\""),
        "{}",
        agenda.body
    );
    let elsewhere = region.get("/o/jina-skola/").await;
    assert!(!elsewhere.body.contains("/agenda\""), "{}", elsewhere.body);

    // The region's administrator runs the region and everything below it,
    // and reads where the right comes from.
    let overview = region.get("/admin").await;
    for (org, listed) in [
        ("kraj", true),
        ("skola", true),
        ("skola-jidelna", true),
        ("nemocnice", true),
        ("jine-mesto", false),
        ("jina-skola", false),
    ] {
        assert_eq!(
            overview.body.contains(&format!("/admin/orgs/{org}\"")),
            listed,
            "{org}: {}",
            overview.body
        );
    }
    let school = region.get("/admin/orgs/skola").await;
    assert_eq!(school.status, 200, "{}", school.body);
    assert!(
        school
            .body
            .contains("as the administrator of Organizace kraj, above it"),
        "{}",
        school.body
    );
    assert!(!school.body.contains("Close to administration from above"));
    assert_eq!(region.get("/admin/orgs/jina-skola").await.status, 403);
    let path = "/admin/orgs/skola/modules/ledger";
    let csrf = region.get(path).await.csrf();
    let enabled = region
        .post_form(path, &[("_csrf", &csrf), ("state", "enable")])
        .await;
    assert_eq!(enabled.status, 303, "{}", enabled.body);
    let trail = audit::entries(portal.db(), "skola").await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "module.enable" && e.actor == region_admin.id)
    );

    // A platform administrator closes the school to administration from
    // above; the region's administrator no longer reaches it, nor its
    // canteen, and enabling "for those below" passes them by.
    let platform = Browser::new(addr);
    assert_eq!(platform.log_in("koren", PASSWORD).await.status, 303);
    let school = platform.get("/admin/orgs/skola").await;
    assert!(
        school.body.contains("as a platform administrator"),
        "{}",
        school.body
    );
    let closed = platform
        .post_form(
            "/admin/orgs/skola/above",
            &[("_csrf", &school.csrf()), ("closed", "true")],
        )
        .await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    let school = platform.get(closed.location()).await;
    assert!(
        school
            .body
            .contains("The administrators of the organizations above no longer administer it."),
        "{}",
        school.body
    );
    assert!(
        school.body.contains("may not administer it"),
        "{}",
        school.body
    );
    for org in ["skola", "skola-jidelna"] {
        assert_eq!(
            region.get(&format!("/admin/orgs/{org}")).await.status,
            403,
            "{org}"
        );
        assert_eq!(
            region
                .get(&format!("/admin/orgs/{org}/modules/ledger"))
                .await
                .status,
            403,
            "{org}"
        );
    }
    assert!(
        !region
            .get("/admin")
            .await
            .body
            .contains("/admin/orgs/skola\"")
    );
    let refused = region
        .post_form(
            "/admin/orgs/skola/above",
            &[("_csrf", &csrf), ("closed", "false")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let path = "/admin/orgs/kraj/modules/notice-board";
    let csrf = region.get(path).await.csrf();
    let enabled = region
        .post_form(
            path,
            &[("_csrf", &csrf), ("state", "enable"), ("children", "true")],
        )
        .await;
    assert_eq!(enabled.status, 303, "{}", enabled.body);
    for (org, on) in [
        ("kraj", true),
        ("nemocnice", true),
        ("skola", false),
        ("skola-jidelna", false),
    ] {
        let states = modules::enabled_modules(portal.db(), org).await.unwrap();
        assert_eq!(states.iter().any(|m| m == "notice-board"), on, "{org}");
    }
    let trail = audit::entries(portal.db(), "skola").await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "organization.close-to-above" && e.actor == root.id)
    );

    // Opened again from the command line, the region reaches it again.
    let (ok, out, err) = portico_tests::run_portico(&[
        "org",
        "open-to-above",
        "skola",
        "--database-url",
        &portal.database.url,
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("`skola` is open to administration from above"),
        "{out}"
    );
    assert_eq!(region.get("/admin/orgs/skola-jidelna").await.status, 200);
}
