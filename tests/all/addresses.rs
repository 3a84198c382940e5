//! The address register, as an administrator imports it and as the map
//! asks it: a municipality's RÚIAN file as the ČÚZK publishes it
//! (Windows-1250, S-JTSK), found by folded words and by position, on
//! SQLite and on PostgreSQL; a later edition that adds and retires points;
//! a malformed one refused by its line with nothing changed; positions
//! that agree with PROJ (pyproj).

use std::path::{Path, PathBuf};

use portico_platform::addresses;
use portico_tests::{TestDatabase, repo_root, run_portico};

/// Brno's address points, a dozen of them, as the ČÚZK publishes a
/// municipality's file (the codes and positions are of the format, not
/// all of the register).
fn fixture() -> PathBuf {
    repo_root().join("tests/data/ruian/20261130_OB_582786_ADR.csv")
}

/// The fixture's lines, decoded from Windows-1250.
fn lines() -> Vec<String> {
    let bytes = std::fs::read(fixture()).expect("the fixture");
    let (text, _, bad) = encoding_rs::WINDOWS_1250.decode(&bytes);
    assert!(!bad, "the fixture is Windows-1250");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture is not UTF-8, as published"
    );
    text.lines().map(str::to_owned).collect()
}

/// Writes `lines` as a published file would be: Windows-1250, CRLF.
fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    let text = lines.join("\r\n") + "\r\n";
    std::fs::write(&path, encoding_rs::WINDOWS_1250.encode(&text).0).expect("written");
    path
}

/// Runs `portico addresses …` on `database`.
fn addresses_cli(args: &[&str], data: &Path, database: &TestDatabase) -> (bool, String, String) {
    let data = data.to_str().expect("a UTF-8 path");
    run_portico(
        &[
            &["addresses"],
            args,
            &["--data-dir", data, "--database-url", &database.url][..],
        ]
        .concat(),
    )
}

async fn the_register_is_imported_found_renewed_and_kept_whole(database: TestDatabase) {
    let engine = database.engine;
    let data = tempfile::tempdir().expect("a folder");
    let fixture = fixture();
    let (ok, out, err) = addresses_cli(
        &["import", fixture.to_str().expect("a path")],
        data.path(),
        &database,
    );
    assert!(ok, "{engine}: {err}");
    assert_eq!(
        out.trim(),
        "Brno (582786): edition 1 — 12 addresses, 12 new, 0 no longer listed (kept as retired).",
        "{engine}"
    );

    // Found as people type: no diacritics, any case, a street and a number.
    let find = |query: &str| {
        let (ok, out, err) = addresses_cli(&["find", query], data.path(), &database);
        assert!(ok, "{engine}: {err}");
        out.lines()
            .map(|l| l.split("  (").next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        find("udolni 53"),
        ["Údolní 567/53, Veveří, 602 00 Brno"],
        "{engine}"
    );
    assert_eq!(
        find("ŽABOVŘESKÁ 12"),
        ["Žabovřeská 1022/12, Žabovřesky, 616 00 Brno"],
        "{engine}"
    );
    assert_eq!(
        find("udol"),
        [
            "Údolní 245/15, Veveří, 602 00 Brno",
            "Údolní 246/17a, Veveří, 602 00 Brno",
            "Údolní 567/53, Veveří, 602 00 Brno",
        ],
        "{engine}"
    );
    assert_eq!(
        find("bystrc 12"),
        ["Bystrc č. ev. 12, 635 00 Brno"],
        "{engine}"
    );
    // A number finds every number it begins.
    assert_eq!(
        find("minska 6"),
        [
            "Minská 1096/60, Žabovřesky, 616 00 Brno",
            "Minská 1103/62, Žabovřesky, 616 00 Brno",
        ],
        "{engine}"
    );

    // The nearest address to a pin a few metres off the door.
    let (ok, out, err) =
        addresses_cli(&["nearest", "49.19905", "16.59590"], data.path(), &database);
    assert!(ok, "{engine}: {err}");
    assert!(
        out.starts_with("Údolní 567/53, Veveří, 602 00 Brno  (19096101, "),
        "{engine}: {out}"
    );
    let metres: f64 = out
        .rsplit(", ")
        .next()
        .and_then(|m| m.strip_suffix(" m away\n"))
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("{engine}: a distance in {out}"));
    assert!(metres < 10.0, "{engine}: {out}");

    // The next edition: Minská 62 is gone, Minská 64 is new, Kozí 4 has
    // a new postcode.
    let mut next: Vec<String> = lines()
        .into_iter()
        .filter(|l| !l.starts_with("19233644;"))
        .map(|l| {
            if l.starts_with("19100301;") {
                l.replace(";60200;", ";60300;")
            } else {
                l
            }
        })
        .collect();
    next.push(
        "19233652;582786;Brno;551198;Brno-Žabovřesky;;;412074;Žabovřesky;462969;Minská;\
         č.p.;1110;64;;61600;600094.10;1158650.02;2026-11-02T00:00:00"
            .to_owned(),
    );
    let second = write(data.path(), "20261231_OB_582786_ADR.csv", &next);
    let (ok, out, err) = addresses_cli(
        &["import", second.to_str().expect("a path")],
        data.path(),
        &database,
    );
    assert!(ok, "{engine}: {err}");
    assert_eq!(
        out.trim(),
        "Brno (582786): edition 2 — 12 addresses, 1 new, 1 no longer listed (kept as retired).",
        "{engine}"
    );
    assert_eq!(
        find("minska"),
        [
            "Minská 1096/60, Žabovřesky, 616 00 Brno",
            "Minská 1110/64, Žabovřesky, 616 00 Brno",
        ],
        "{engine}: the retired point is no longer offered"
    );
    assert_eq!(
        find("kozi 4"),
        ["Kozí 121/4, Brno-město, 603 00 Brno"],
        "{engine}"
    );
    let db = database.connect().await;
    let retired = addresses::by_code(&db, 19_233_644)
        .await
        .expect("read")
        .expect("what refers to a retired point still finds it");
    assert!(retired.retired, "{engine}");
    assert_eq!(retired.label, "Minská 1103/62, Žabovřesky, 616 00 Brno");

    // The same file again changes nothing.
    let (ok, out, _) = addresses_cli(
        &["import", second.to_str().expect("a path")],
        data.path(),
        &database,
    );
    assert!(ok, "{engine}");
    assert_eq!(
        out.trim(),
        "Brno (582786): edition 2 is this file already; nothing changed.",
        "{engine}"
    );

    // A third edition with a bad line: refused by its line, nothing changed.
    let mut bad = next.clone();
    bad.retain(|l| !l.starts_with("19233636;"));
    bad[5] = bad[5].replace(";598101.27;", ";5981O1.27;");
    let third = write(data.path(), "20270131_OB_582786_ADR.csv", &bad);
    let (ok, _, err) = addresses_cli(
        &["import", third.to_str().expect("a path")],
        data.path(),
        &database,
    );
    assert!(!ok, "{engine}: a malformed file is refused");
    assert!(
        err.contains("nothing changed")
            && err.contains(
                "line 6: `Souřadnice Y` is not an S-JTSK coordinate in the Czech Republic: `5981O1.27`"
            ),
        "{engine}: {err}"
    );
    assert_eq!(
        find("minska"),
        [
            "Minská 1096/60, Žabovřesky, 616 00 Brno",
            "Minská 1110/64, Žabovřesky, 616 00 Brno",
        ],
        "{engine}: the second edition stands"
    );
    assert_eq!(
        addresses::editions(&db).await.expect("read").len(),
        2,
        "{engine}"
    );

    // Not an address file at all.
    let other = data.path().join("people.csv");
    std::fs::write(&other, "name;email\r\nEva;eva@example.cz\r\n").expect("written");
    let (ok, _, err) = addresses_cli(
        &["import", other.to_str().expect("a path")],
        data.path(),
        &database,
    );
    assert!(!ok, "{engine}");
    assert!(
        err.contains(
            "line 1: the column `Kód ADM` is missing: this is not a RÚIAN address-points file"
        ),
        "{engine}: {err}"
    );
    db.close().await.ok();
    database.cleanup().await;
}

#[tokio::test]
async fn the_register_is_imported_found_renewed_and_kept_whole_on_sqlite() {
    the_register_is_imported_found_renewed_and_kept_whole(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn the_register_is_imported_found_renewed_and_kept_whole_on_postgres() {
    the_register_is_imported_found_renewed_and_kept_whole(TestDatabase::postgres().await).await;
}

/// The Python with pyproj (`.ci/geodesy-peers.txt`).
fn geodesy_python() -> PathBuf {
    let python = std::env::var_os("GEODESY_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/geodesy-venv/bin/python"));
    assert!(
        python.exists(),
        "pyproj is not installed at {}; run `cargo xtask test`, which installs .ci/geodesy-peers.txt",
        python.display()
    );
    python
}

#[tokio::test]
async fn positions_agree_with_proj() {
    let database = TestDatabase::sqlite();
    let db = database.connect().await;
    let bytes = std::fs::read(fixture()).expect("the fixture");
    addresses::import(&db, "fixture", &bytes)
        .await
        .expect("imported");
    // PROJ's own choice of the S-JTSK to WGS 84 transformation.
    let script = r#"
import json, sys
from pyproj import Transformer
t = Transformer.from_crs("EPSG:5514", "EPSG:4326", always_xy=True)
out = {}
with open(sys.argv[1], encoding="cp1250") as f:
    header = f.readline().rstrip("\r\n").split(";")
    code, y, x = header.index("Kód ADM"), header.index("Souřadnice Y"), header.index("Souřadnice X")
    for line in f:
        cells = line.rstrip("\r\n").split(";")
        lon, lat = t.transform(-float(cells[y]), -float(cells[x]))
        out[cells[code]] = [lat, lon]
print(json.dumps(out))
"#;
    let out = std::process::Command::new(geodesy_python())
        .args(["-c", script])
        .arg(fixture())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(theirs.len(), 12);
    for (code, at) in theirs {
        let ours = addresses::by_code(&db, code.parse().expect("a code"))
            .await
            .expect("read")
            .expect("imported");
        let (lat, lon) = ours.position.expect("a position");
        let (their_lat, their_lon) = (at[0].as_f64().expect("lat"), at[1].as_f64().expect("lon"));
        let apart = addresses::metres((lat, lon), (their_lat, their_lon));
        assert!(
            apart < 1.5,
            "{}: ours {lat} {lon}, PROJ's {their_lat} {their_lon}: {apart:.2} m apart",
            ours.label
        );
    }
}
