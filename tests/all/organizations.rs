//! The organization tree, on SQLite and on PostgreSQL, through the platform
//! services and through `portico org`.

use portico_platform::PlatformError;
use portico_platform::organizations::{self, Kind, NewOrganization};
use portico_tests::{TestDatabase, run_portico};

fn new(
    id: &str,
    name: &str,
    kind: Kind,
    parent: Option<&str>,
    ico: Option<&str>,
) -> NewOrganization {
    NewOrganization {
        id: id.into(),
        name: name.into(),
        ico: ico.map(Into::into),
        kind,
        parent_id: parent.map(Into::into),
        category: None,
        address: None,
    }
}

#[tokio::test]
async fn organizations_form_a_checked_tree_on_both_engines() {
    for test_db in TestDatabase::both().await {
        let engine = test_db.engine;
        let db = test_db.connect().await;
        // Migrating again changes nothing.
        portico_platform::migrate(&db).await.unwrap();

        organizations::create(
            &db,
            "test",
            new(
                "jmk",
                "Jihomoravský kraj",
                Kind::Region,
                None,
                Some("70888337"),
            ),
        )
        .await
        .unwrap();
        organizations::create(
            &db,
            "test",
            new(
                "nemocnice-znojmo",
                "Nemocnice Znojmo",
                Kind::Organization,
                Some("jmk"),
                Some("00092584"),
            ),
        )
        .await
        .unwrap();
        organizations::create(
            &db,
            "test",
            new(
                "ssz-brno",
                "Správa silnic Brno",
                Kind::Organization,
                Some("jmk"),
                None,
            ),
        )
        .await
        .unwrap();
        organizations::create(
            &db,
            "test",
            new(
                "chirurgie",
                "Chirurgie",
                Kind::Unit,
                Some("nemocnice-znojmo"),
                None,
            ),
        )
        .await
        .unwrap();

        let tree: Vec<(usize, String)> = organizations::tree(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|(depth, o)| (depth, o.id))
            .collect();
        assert_eq!(
            tree,
            [
                (0, "jmk".to_owned()),
                (1, "nemocnice-znojmo".to_owned()),
                (2, "chirurgie".to_owned()),
                (1, "ssz-brno".to_owned()),
            ],
            "{engine}"
        );

        // Bad input names the field, and nothing is stored.
        let refused = [
            (
                new("x1", "X", Kind::Organization, Some("jmk"), Some("70888338")),
                "ico",
                "check digit",
            ),
            (
                new("x2", "X", Kind::Organization, Some("nowhere"), None),
                "parent",
                "no organization `nowhere`",
            ),
            (
                new("x3", "X", Kind::Unit, Some("jmk"), None),
                "kind",
                "a unit stands under an organization",
            ),
            (
                new("x4", "X", Kind::Organization, None, None),
                "kind",
                "needs a parent",
            ),
            (
                new("X 5", "X", Kind::Region, None, None),
                "id",
                "lower-case",
            ),
            (
                new("x6", "   ", Kind::Region, None, None),
                "name",
                "1 to 300",
            ),
        ];
        for (input, field, words) in refused {
            match organizations::create(&db, "test", input).await {
                Err(PlatformError::Invalid { field: f, message }) => {
                    assert_eq!(f, field, "{engine}: {message}");
                    assert!(message.contains(words), "{engine}: {message}");
                }
                other => panic!("{engine}: expected `{field}` to be refused, got {other:?}"),
            }
        }
        for (input, words) in [
            (
                new("jmk", "Again", Kind::Region, None, None),
                "already exists",
            ),
            (
                new(
                    "x7",
                    "Same IČO",
                    Kind::Organization,
                    Some("jmk"),
                    Some("00092584"),
                ),
                "already used by `nemocnice-znojmo`",
            ),
        ] {
            match organizations::create(&db, "test", input).await {
                Err(PlatformError::Conflict(message)) => {
                    assert!(message.contains(words), "{engine}: {message}")
                }
                other => panic!("{engine}: expected a conflict, got {other:?}"),
            }
        }
        assert_eq!(organizations::list(&db).await.unwrap().len(), 4, "{engine}");
        db.close().await.ok();
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn portico_org_creates_and_lists_on_sqlite_and_postgres() {
    for test_db in TestDatabase::both().await {
        let data = tempfile::tempdir().unwrap();
        let data_dir = data.path().to_str().unwrap().to_owned();
        let mut at: Vec<&str> = vec!["--data-dir", &data_dir];
        if test_db.engine == "postgres" {
            at.extend(["--database-url", &test_db.url]);
        }
        let run = |args: &[&str]| run_portico(&[args, &at].concat());

        let (ok, out, err) = run(&[
            "org",
            "create",
            "brno",
            "--name",
            "Statutární město Brno",
            "--kind",
            "city",
            "--ico",
            "44992785",
        ]);
        assert!(ok, "{err}");
        assert!(out.contains("Created city `brno`"), "{out}");
        let (ok, _, err) = run(&[
            "org",
            "create",
            "zs-lesna",
            "--name",
            "ZŠ Lesná",
            "--parent",
            "brno",
        ]);
        assert!(ok, "{err}");

        let (ok, _, err) = run(&[
            "org", "create", "bad", "--name", "Bad", "--parent", "brno", "--ico", "44992786",
        ]);
        assert!(!ok);
        assert!(
            err.starts_with("error: `ico`") && err.contains("check digit"),
            "{err}"
        );
        assert!(
            !err.contains("backtrace") && err.lines().count() == 1,
            "one line: {err}"
        );

        let (ok, out, err) = run(&["org", "list"]);
        assert!(ok, "{err}");
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "Statutární město Brno (brno, city), IČO 44992785",
                "  ZŠ Lesná (zs-lesna, organization)"
            ],
            "{}",
            test_db.engine
        );
        if test_db.engine == "sqlite" {
            assert!(
                data.path().join("portico.db").exists(),
                "the embedded default lives in the data folder"
            );
        }
        test_db.cleanup().await;
    }
}
