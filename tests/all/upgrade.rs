//! Upgrading a module in a running portal, as a platform administrator
//! does it in the console: a signed package of a newer version migrates
//! every organization's records through its `migrate`, or nothing changes;
//! rolling back returns the older version and its records.
//!
//! `tally` 1.0.0 keeps amounts as typed text; `tally` 2.0.0 keeps cents
//! and its migration fails on an amount that is not one.

use portico_package::{Package, VendorKey};
use portico_platform::identity::roles;
use portico_platform::identity::users::UserKind;
use portico_platform::records::{Query, Scope};
use portico_platform::{audit, modules};
use portico_tests::browser::{Browser, Page, hidden_field};
use portico_tests::{TEST_CITY, TestDatabase, TestPortal, module_dir};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const OTHER: &str = "other-city";

/// Tally's `counts` in `org` as stored, with the unit of work that read
/// them (writable when asked) and the collection's schema.
async fn stored(
    portal: &TestPortal,
    org: &str,
    writable: bool,
) -> (
    portico_platform::Work,
    portico_platform::records::CollectionSchema,
    Vec<portico_platform::records::Record>,
) {
    let module = portal.module("tally");
    let schema = portico_host::services::schema(portico_runtime::backend::CollectionRef {
        name: "counts",
        spec: &module.manifest().collections["counts"],
    });
    let scope = Scope {
        org_id: org.into(),
        module_id: "tally".into(),
        actor: "test".into(),
    };
    let work = portal
        .state
        .services
        .platform()
        .begin(scope, writable)
        .await
        .unwrap();
    let query = Query {
        limit: 100,
        ..Query::default()
    };
    let records = work.query(&schema, &query).await.unwrap().records;
    (work, schema, records)
}

/// The documents of tally's `counts` in `org`, ordered by label.
async fn counts(portal: &TestPortal, org: &str) -> Vec<Value> {
    let mut docs = portal.documents(org, "tally", "counts").await;
    docs.sort_by_key(|d| d["label"].as_str().unwrap_or_default().to_owned());
    docs
}

/// Corrects the amount of the count labelled `label` in `org`.
async fn correct(portal: &TestPortal, org: &str, label: &str, amount: &str) {
    let (work, schema, records) = stored(portal, org, true).await;
    let doc = records
        .iter()
        .find(|r| r.data().unwrap()["label"] == label)
        .unwrap();
    let fixed = json!({ "label": label, "amount": amount }).to_string();
    work.update(&schema, &doc.id, doc.version, &fixed)
        .await
        .unwrap();
    work.commit().await.unwrap();
}

async fn installed_version(portal: &TestPortal) -> String {
    modules::installation(portal.db(), "tally")
        .await
        .unwrap()
        .unwrap()
        .version
}

#[tokio::test]
async fn an_upgrade_migrates_every_organization_or_nothing_and_rolls_back_with_the_records() {
    for database in TestDatabase::both().await {
        let engine = database.engine;
        let data = tempfile::tempdir().unwrap();
        let portal = TestPortal::builder()
            .module("tally")
            .org(OTHER)
            .database(database)
            .installing(data.path())
            .build()
            .await;
        // The vendor signs both versions; the portal trusts the vendor.
        let key = VendorKey::generate().unwrap();
        std::fs::create_dir_all(data.path().join("trust")).unwrap();
        std::fs::write(data.path().join("trust/Acme.pub"), key.public().to_hex()).unwrap();
        let v1 = Package::build(&module_dir("tally"), Some(&key)).unwrap();
        let v2 = Package::build(&module_dir("tally-2"), Some(&key)).unwrap();
        let unsigned = Package::build(&module_dir("tally-2"), None).unwrap();

        let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
        portal
            .grant(&admin, roles::EVERY_ORG, roles::PLATFORM_ADMIN)
            .await;
        portal
            .import(
                TEST_CITY,
                "tally",
                "counts",
                "{\"label\": \"Salt\", \"amount\": \"12.50\"}\n{\"label\": \"Pepper\", \"amount\": \"3\"}",
            )
            .await;
        portal
            .import(
                OTHER,
                "tally",
                "counts",
                "{\"label\": \"Grit\", \"amount\": \"twelve\"}",
            )
            .await;
        let addr = portal.serve().await;
        let citizen = Browser::new(addr);
        let page = citizen.get("/m/tally/").await;
        assert!(
            page.body.contains("Counts (version 1)") && page.body.contains("12.50"),
            "{engine}: {}",
            page.body
        );

        let browser = Browser::new(addr);
        assert_eq!(browser.log_in("spravce", PASSWORD).await.status, 303);
        let catalog = browser.get("/admin/modules").await;
        assert!(
            catalog.body.contains("enctype=\"multipart/form-data\"")
                && catalog.body.contains("type=\"file\""),
            "{engine}: {}",
            catalog.body
        );
        let csrf = catalog.csrf();
        let upload = |package: &[u8]| {
            let package = package.to_vec();
            let browser = &browser;
            let csrf = csrf.clone();
            async move {
                browser
                    .post_multipart(
                        "/admin/modules/install",
                        &[("_csrf", &csrf)],
                        ("package", "tally.portico", &package),
                    )
                    .await
            }
        };

        // The migration fails in the other city: it says where and why,
        // and nothing changed anywhere, the migrated city included.
        let salt_before = counts(&portal, TEST_CITY).await;
        let grit_before = counts(&portal, OTHER).await;
        let refused = upload(&v2).await;
        assert_eq!(refused.status, 422, "{engine}: {}", refused.body);
        for says in [
            "failed in City other-city (other-city)",
            "(Grit): `twelve` is not an amount",
            "1.0.0 keeps serving",
        ] {
            assert!(
                refused.body.contains(says),
                "{engine}: {says}: {}",
                refused.body
            );
        }
        assert_eq!(counts(&portal, TEST_CITY).await, salt_before, "{engine}");
        assert_eq!(counts(&portal, OTHER).await, grit_before, "{engine}");
        assert_eq!(installed_version(&portal).await, "1.0.0");
        assert!(
            citizen
                .get("/m/tally/")
                .await
                .body
                .contains("Counts (version 1)")
        );
        assert!(!data.path().join("modules-previous/tally").exists());
        assert!(
            !audit::entries(portal.db(), TEST_CITY)
                .await
                .unwrap()
                .iter()
                .any(|e| e.action == "module.upgrade")
        );

        // Neither the same version, nor an unsigned package.
        let same = upload(&v1).await;
        assert_eq!(same.status, 422);
        assert!(same.body.contains("which is not newer"), "{}", same.body);
        let not_signed = upload(&unsigned).await;
        assert_eq!(not_signed.status, 422);
        assert!(
            not_signed.body.contains("the package is not signed"),
            "{}",
            not_signed.body
        );

        // Once the amount is corrected, the upgrade goes through: every
        // record is kept, in the new shape, and 2.0.0 serves.
        correct(&portal, OTHER, "Grit", "12").await;
        let upgraded = upload(&v2).await;
        assert_eq!(upgraded.status, 303, "{engine}: {}", upgraded.body);
        assert_eq!(upgraded.location(), "/admin/modules?done=upgraded");
        assert_eq!(installed_version(&portal).await, "2.0.0");
        assert_eq!(
            counts(&portal, TEST_CITY).await,
            vec![
                json!({ "label": "Pepper", "cents": 300 }),
                json!({ "label": "Salt", "cents": 1250 })
            ],
            "{engine}"
        );
        assert_eq!(
            counts(&portal, OTHER).await,
            vec![json!({ "label": "Grit", "cents": 1200 })]
        );
        let page = citizen.get("/m/tally/").await;
        assert!(
            page.body.contains("Counts (version 2)")
                && page.body.contains("12.50")
                && page.body.contains("3.00"),
            "{engine}: {}",
            page.body
        );
        for org in [TEST_CITY, OTHER] {
            assert!(
                audit::entries(portal.db(), org)
                    .await
                    .unwrap()
                    .iter()
                    .any(|e| e.action == "module.upgrade" && e.actor == admin.id),
                "{engine}: {org}"
            );
        }
        assert!(
            audit::entries(portal.db(), audit::PLATFORM_CHAIN)
                .await
                .unwrap()
                .iter()
                .any(|e| e.action == "module.upgrade" && e.subject == "tally")
        );

        // A citizen counts with 2.0.0; rolling back would discard that,
        // so the console asks first.
        let form = citizen.get("/m/tally/").await;
        let counted = citizen
            .post_form(
                "/m/tally/",
                &[
                    ("_csrf", &form.csrf()),
                    ("label", "Tea"),
                    ("amount", "4.20"),
                ],
            )
            .await;
        assert_eq!(counted.status, 303, "{}", counted.body);
        let catalog = browser.get("/admin/modules").await;
        assert!(
            catalog.body.contains("Roll back Tally to 1.0.0"),
            "{}",
            catalog.body
        );
        let asked = browser
            .post_form(
                "/admin/modules/tally/rollback",
                &[("_csrf", &catalog.csrf())],
            )
            .await;
        assert_eq!(asked.status, 422);
        assert!(
            asked
                .body
                .contains("1 record(s) of tally were written since the upgrade to 2.0.0"),
            "{}",
            asked.body
        );
        assert_eq!(installed_version(&portal).await, "2.0.0");

        // One action rolls back: 1.0.0 serves the records as they were.
        let back = browser
            .post_form(
                "/admin/modules/tally/rollback",
                &[("_csrf", &catalog.csrf()), ("discard", "true")],
            )
            .await;
        assert_eq!(back.status, 303, "{engine}: {}", back.body);
        assert_eq!(installed_version(&portal).await, "1.0.0");
        assert_eq!(counts(&portal, TEST_CITY).await, salt_before, "{engine}");
        assert_eq!(
            counts(&portal, OTHER).await,
            vec![json!({ "label": "Grit", "amount": "12" })]
        );
        let page = citizen.get("/m/tally/").await;
        assert!(
            page.body.contains("Counts (version 1)") && !page.body.contains("Tea"),
            "{engine}: {}",
            page.body
        );
        assert!(
            audit::entries(portal.db(), OTHER)
                .await
                .unwrap()
                .iter()
                .any(|e| e.action == "module.rollback")
        );
        // There is nothing further back to return to.
        let catalog = browser.get("/admin/modules").await;
        assert!(!catalog.body.contains("Roll back"), "{}", catalog.body);
        let again = browser
            .post_form(
                "/admin/modules/tally/rollback",
                &[("_csrf", &catalog.csrf()), ("discard", "true")],
            )
            .await;
        assert_eq!(again.status, 422);
        assert!(again.body.contains("no earlier version"), "{}", again.body);

        let TestPortal { database, .. } = portal;
        database.cleanup().await;
    }
}

/// `bytes` as the console's upload form sends them, with `fields` beside.
async fn upload_with(browser: &Browser, fields: &[(&str, &str)], package: &[u8]) -> Page {
    let csrf = browser.get("/admin/modules").await.csrf();
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser
        .post_multipart(
            "/admin/modules/install",
            &all,
            ("package", "tally.portico", package),
        )
        .await
}

#[tokio::test]
async fn another_vendors_upgrade_is_refused_until_an_administrator_approves_the_change_of_vendor() {
    for database in TestDatabase::both().await {
        let engine = database.engine;
        let data = tempfile::tempdir().unwrap();
        let portal = TestPortal::builder()
            .database(database)
            .installing(data.path())
            .build()
            .await;
        // The portal trusts two vendors. Acme makes tally; Mallory, trusted
        // for a module of its own, signs a "newer tally" too.
        let acme = VendorKey::generate().unwrap();
        let mallory = VendorKey::generate().unwrap();
        std::fs::create_dir_all(data.path().join("trust")).unwrap();
        std::fs::write(data.path().join("trust/Acme.pub"), acme.public().to_hex()).unwrap();
        std::fs::write(
            data.path().join("trust/Mallory.pub"),
            mallory.public().to_hex(),
        )
        .unwrap();
        let (acme_key, mallory_key) = (acme.public().fingerprint(), mallory.public().fingerprint());
        let v1 = Package::build(&module_dir("tally"), Some(&acme)).unwrap();
        let v2_by_mallory = Package::build(&module_dir("tally-2"), Some(&mallory)).unwrap();

        let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
        portal
            .grant(&admin, roles::EVERY_ORG, roles::PLATFORM_ADMIN)
            .await;
        let addr = portal.serve().await;
        let browser = Browser::new(addr);
        assert_eq!(browser.log_in("spravce", PASSWORD).await.status, 303);

        // Acme's tally is installed and serves the city.
        let installed = upload_with(&browser, &[], &v1).await;
        assert_eq!(installed.status, 303, "{engine}: {}", installed.body);
        let enabled = modules::Change {
            enabled: Some(true),
            ..modules::Change::default()
        };
        portal
            .state
            .services
            .change(TEST_CITY, "tally", &enabled, "test")
            .await
            .unwrap();
        portal
            .import(
                TEST_CITY,
                "tally",
                "counts",
                "{\"label\": \"Salt\", \"amount\": \"12.50\"}",
            )
            .await;
        let citizen = Browser::new(addr);
        assert!(
            citizen
                .get("/m/tally/")
                .await
                .body
                .contains("Counts (version 1)")
        );
        // The catalog names the verified signer, not what the manifest says.
        let catalog = browser.get("/admin/modules").await;
        assert!(
            catalog
                .body
                .contains(&format!("<dd>Acme (key {acme_key})</dd>")),
            "{engine}: {}",
            catalog.body
        );
        assert!(!catalog.body.contains("Portico tests"), "{}", catalog.body);

        // Mallory's upgrade is refused before its code runs: both signers
        // are named, and the form offers the administrator the approval.
        let refused = upload_with(&browser, &[], &v2_by_mallory).await;
        refused.assert_refused(&[
            &format!("tally was installed from a package signed by Acme (key {acme_key})"),
            &format!("this package is signed by Mallory (key {mallory_key})"),
            &format!("Approve the change of vendor of tally from Acme (key {acme_key}) to Mallory (key {mallory_key})"),
        ]);
        assert_eq!(installed_version(&portal).await, "1.0.0", "{engine}");
        assert!(
            citizen
                .get("/m/tally/")
                .await
                .body
                .contains("Counts (version 1)")
        );
        assert_eq!(
            counts(&portal, TEST_CITY).await,
            vec![json!({ "label": "Salt", "amount": "12.50" })]
        );
        // In Czech too.
        let czech = Browser::new(addr);
        assert_eq!(czech.log_in("spravce", PASSWORD).await.status, 303);
        czech.get("/lang/cs").await;
        let odmitnuto = upload_with(&czech, &[], &v2_by_mallory).await;
        odmitnuto.assert_refused(&[
            &format!("Modul tally byl nainstalován z balíčku podepsaného dodavatelem Acme (klíč {acme_key})"),
            &format!("Schvaluji změnu dodavatele modulu tally z Acme (klíč {acme_key}) na Mallory (klíč {mallory_key})"),
        ]);

        // An approval of another signer than the package's does not do.
        let approval = hidden_field(&refused.body, "approved-signer").expect("the signer approved");
        let wrong = upload_with(
            &browser,
            &[
                ("approve-vendor-change", "true"),
                ("approved-signer", &acme.public().to_hex()),
            ],
            &v2_by_mallory,
        )
        .await;
        wrong.assert_refused(&["this package is signed by Mallory"]);
        assert_eq!(installed_version(&portal).await, "1.0.0", "{engine}");
        let platform_trail = || async {
            audit::entries(portal.db(), audit::PLATFORM_CHAIN)
                .await
                .unwrap()
        };
        assert!(
            !platform_trail()
                .await
                .iter()
                .any(|e| e.action == "module.vendor-change"),
            "{engine}"
        );

        // Approved: the upgrade goes through, and the approval is audited.
        let approved = upload_with(
            &browser,
            &[
                ("approve-vendor-change", "true"),
                ("approved-signer", &approval),
            ],
            &v2_by_mallory,
        )
        .await;
        assert_eq!(approved.status, 303, "{engine}: {}", approved.body);
        assert_eq!(installed_version(&portal).await, "2.0.0", "{engine}");
        assert!(
            citizen
                .get("/m/tally/")
                .await
                .body
                .contains("Counts (version 2)")
        );
        let trail = platform_trail().await;
        let change = trail
            .iter()
            .find(|e| e.action == "module.vendor-change")
            .unwrap_or_else(|| panic!("{engine}: {trail:?}"));
        assert_eq!(
            (change.actor.as_str(), change.subject.as_str()),
            (admin.id.as_str(), "tally")
        );
        let detail: Value = serde_json::from_str(&change.detail).unwrap();
        assert_eq!(change.module, "portico", "the host's own entry");
        assert_eq!(detail["from"]["vendor"], "Acme", "{detail}");
        assert_eq!(detail["from"]["fingerprint"], *acme_key, "{detail}");
        assert_eq!(detail["to"]["vendor"], "Mallory", "{detail}");
        assert_eq!(detail["to"]["key"], mallory.public().to_hex(), "{detail}");
        assert_eq!(detail["to"]["fingerprint"], *mallory_key, "{detail}");
        let catalog = browser.get("/admin/modules").await;
        assert!(
            catalog
                .body
                .contains(&format!("<dd>Mallory (key {mallory_key})</dd>")),
            "{engine}: {}",
            catalog.body
        );

        // Rolling back returns to Acme's version, bound to Acme again.
        let back = browser
            .post_form(
                "/admin/modules/tally/rollback",
                &[("_csrf", &catalog.csrf()), ("discard", "true")],
            )
            .await;
        assert_eq!(back.status, 303, "{engine}: {}", back.body);
        let catalog = browser.get("/admin/modules").await;
        assert!(
            catalog
                .body
                .contains(&format!("<dd>Acme (key {acme_key})</dd>")),
            "{engine}: {}",
            catalog.body
        );

        let TestPortal { database, .. } = portal;
        database.cleanup().await;
    }
}
