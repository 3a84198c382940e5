//! The demo region `cargo xtask run` sets up beside the city: a region with
//! four organizations below it (a school, a hospital, social services, the
//! road administration), the tasks module enabled in each, the people who
//! work with it, tasks in every state they can be in, and a data collection
//! some organizations have answered. The road administration also runs
//! the winter dispatch: a network north and west of Brno, three vehicles,
//! a weather warning in force and a snowfall under way. The school, the
//! hospital and the home manage their buildings' energy: three winters
//! of readings, and the region's copy of their last reports.

use std::path::Path;
use std::process::Command;

use crate::{Result, status};

/// The demo region's id.
pub const REGION: &str = "jmk-example";

/// The organizations below the region: id, name, category, address.
const BELOW: [(&str, &str, &str, &str); 4] = [
    (
        "zs-komenskeho-example",
        "Základní škola Komenského-Example",
        "school",
        "Komenského 12, 602 00 Brno",
    ),
    (
        "nemocnice-example",
        "Nemocnice Vyškov-Example",
        "hospital",
        "Purkyňova 36, 682 01 Vyškov",
    ),
    (
        "domov-seniory-example",
        "Domov pro seniory Kyjov-Example",
        "social-services",
        "Strážovská 1094, 697 01 Kyjov",
    ),
    (
        "silnice-example",
        "Správa a údržba silnic-Example",
        "road-administration",
        "Žerotínovo náměstí 3, 601 82 Brno",
    ),
];

/// The region's people: user name, name, organization, role.
pub const PEOPLE: [(&str, &str, &str, &str); 3] = [
    (
        "urednik",
        "Ing. Olga Nováková (odbor školství kraje)",
        REGION,
        "tasks.official",
    ),
    (
        "reditelka",
        "Mgr. Dana Svobodová (ředitelka školy)",
        "zs-komenskeho-example",
        "tasks.director",
    ),
    (
        "pracovnik",
        "Václav Dvořák (hospodář školy)",
        "zs-komenskeho-example",
        "tasks.worker",
    ),
];

/// The road administration, which runs the winter dispatch.
const ROADS: &str = "silnice-example";

/// Its dispatcher: user name, name.
pub const DISPATCHER: (&str, &str) = ("dispecer", "Jan Horák (dispečer zimní údržby)");

/// Sets the region up, unless it exists. `portico` runs the built CLI on
/// the demo's data folder; `create_user` makes an account and returns its id.
pub fn set_up(
    root: &Path,
    portico: &dyn Fn(&[&str]) -> Command,
    create_user: &dyn Fn(&str, &str, &str) -> Result<String>,
) -> Result {
    let orgs = portico(&["org", "list"])
        .output()
        .map_err(|e| format!("cannot run portico: {e}"))?;
    if String::from_utf8_lossy(&orgs.stdout).contains(&format!("({REGION},")) {
        return Ok(());
    }
    eprintln!("setting up the demo region `{REGION}`");
    status(&mut portico(&[
        "org",
        "create",
        REGION,
        "--name",
        "Jihomoravský kraj-Example",
        "--kind",
        "region",
        "--ico",
        "70888337",
        "--address",
        "Žerotínovo náměstí 449/3, 601 82 Brno",
    ]))?;
    for (id, name, category, address) in BELOW {
        status(&mut portico(&[
            "org",
            "create",
            id,
            "--name",
            name,
            "--kind",
            "organization",
            "--parent",
            REGION,
            "--category",
            category,
            "--address",
            address,
        ]))?;
    }
    for org in std::iter::once(REGION).chain(BELOW.iter().map(|b| b.0)) {
        for module in ["tasks", "org-registry", "methodology"] {
            status(&mut portico(&["plugin", "enable", module, "--org", org]))?;
        }
    }
    let mut ids = Vec::new();
    for (username, name, org, role) in PEOPLE {
        ids.push(create_user(username, name, "staff")?);
        status(&mut portico(&[
            "role", "grant", username, role, "--org", org,
        ]))?;
    }
    // The region's other modules, where each is enabled, with settings.
    let all = [REGION, BELOW[0].0, BELOW[1].0, BELOW[2].0];
    let enabled: [(&str, &[&str], &[&str]); 5] = [
        ("winter-dispatch", &[ROADS], &[]),
        ("energy", &all, &[]),
        ("contracts", &all[..3], &[]),
        // Property: the region approves transfers between its organizations.
        ("assets", &all, &[]),
        // Procurement, published under a demo prefix of Open Contracting IDs.
        (
            "procurement",
            &all[..3],
            &["--set", "ocid-prefix=ocds-demo01"],
        ),
    ];
    for (module, orgs, settings) in enabled {
        for org in orgs {
            let mut args = vec!["plugin", "enable", module, "--org", org];
            args.extend_from_slice(settings);
            status(&mut portico(&args))?;
        }
    }
    create_user(DISPATCHER.0, DISPATCHER.1, "staff")?;
    for (username, role, org) in [
        (DISPATCHER.0, "winter-dispatch.manager", ROADS),
        ("urednik", "org-registry.approver", REGION),
        ("urednik", "tasks.approver", REGION),
        ("urednik", "methodology.author", REGION),
        ("urednik", "energy.manager", REGION),
        ("urednik", "contracts.reader", REGION),
        ("urednik", "assets.approver", REGION),
        ("urednik", "procurement.reader", REGION),
        ("reditelka", "methodology.reader", BELOW[0].0),
        ("reditelka", "org-registry.editor", BELOW[0].0),
        ("reditelka", "energy.manager", BELOW[0].0),
        ("reditelka", "contracts.clerk", BELOW[0].0),
        ("reditelka", "assets.clerk", BELOW[0].0),
        ("reditelka", "procurement.clerk", BELOW[0].0),
        ("pracovnik", "assets.clerk", BELOW[0].0),
    ] {
        status(&mut portico(&[
            "role", "grant", username, role, "--org", org,
        ]))?;
    }
    let dir = root.join("target/demo-region");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let records = Records::new(&ids[0], PEOPLE[0].1, &ids[2], PEOPLE[2].1);
    let mut files: Vec<_> = records
        .files()
        .into_iter()
        .map(|(org, collection, lines)| (org, "tasks", collection, lines))
        .collect();
    files.extend(registry_files());
    files.extend(guidance_files(PEOPLE[0].1));
    files.extend(winter_files());
    files.extend(energy_files());
    files.extend(contract_files());
    files.extend(procurement_files());
    files.extend(asset_files());
    files.extend(approval_files(
        (&ids[0], PEOPLE[0].1),
        (&ids[1], PEOPLE[1].1),
    ));
    for (org, module, collection, lines) in files {
        let path = dir.join(format!("{org}-{module}-{collection}.jsonl"));
        std::fs::write(&path, lines.join("\n") + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        status(&mut portico(&[
            "records",
            "import",
            &path.to_string_lossy(),
            "--org",
            org,
            "--module",
            module,
            "--collection",
            collection,
        ]))?;
    }
    Ok(())
}

/// A road section of the demo network: code, road, name, priority,
/// treatment, route, line of `[longitude, latitude]`.
type Section = (
    &'static str,
    &'static str,
    &'static str,
    u8,
    &'static str,
    &'static str,
    &'static [[f64; 2]],
);

/// Now, in seconds since 1970.
fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Metres along a line of `[longitude, latitude]` (haversine).
fn metres(line: &[[f64; 2]]) -> f64 {
    line.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let (la, lb) = (a[1].to_radians(), b[1].to_radians());
            let dlat = lb - la;
            let dlon = (b[0] - a[0]).to_radians();
            let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
            2.0 * 6_371_008.8 * h.sqrt().asin()
        })
        .sum()
}

/// The winter dispatch's demo: a network of twelve sections on three
/// routes north and west of Brno (and a forest lane not maintained),
/// three vehicles, the weather service's warning of snow drifts, and a
/// snowfall that began five hours ago: route O1 treated on time, the
/// priority I section of route O2 late, the rest still within its time.
fn winter_files() -> Vec<(&'static str, &'static str, &'static str, Vec<String>)> {
    let network: [Section; 13] = [
        (
            "II/385-01",
            "II/385",
            "Kuřim – Čebín",
            1,
            "chemical",
            "O1",
            &[[16.531, 49.298], [16.505, 49.306], [16.476, 49.314]],
        ),
        (
            "II/385-02",
            "II/385",
            "Čebín – Tišnov",
            1,
            "chemical",
            "O1",
            &[[16.476, 49.314], [16.452, 49.331], [16.424, 49.349]],
        ),
        (
            "III/3851-01",
            "III/3851",
            "Čebín – Malhostovice",
            3,
            "inert",
            "O1",
            &[[16.476, 49.314], [16.489, 49.330], [16.497, 49.338]],
        ),
        (
            "III/3852-01",
            "III/3852",
            "Kuřim – Lipůvka",
            2,
            "chemical",
            "O1",
            &[[16.531, 49.298], [16.549, 49.326], [16.556, 49.338]],
        ),
        (
            "II/386-01",
            "II/386",
            "Ostrovačice – Veverské Knínice",
            1,
            "chemical",
            "O2",
            &[[16.408, 49.211], [16.398, 49.226], [16.399, 49.238]],
        ),
        (
            "II/386-02",
            "II/386",
            "Veverské Knínice – Rosice",
            2,
            "chemical",
            "O2",
            &[[16.399, 49.238], [16.392, 49.210], [16.388, 49.182]],
        ),
        (
            "III/3943-01",
            "III/3943",
            "Rosice – Zbýšov",
            3,
            "inert",
            "O2",
            &[[16.388, 49.182], [16.365, 49.170], [16.350, 49.155]],
        ),
        (
            "III/3944-01",
            "III/3944",
            "Rosice – Tetčice",
            3,
            "inert",
            "O2",
            &[[16.388, 49.182], [16.402, 49.175], [16.407, 49.170]],
        ),
        (
            "II/152-01",
            "II/152",
            "Troubsko – Střelice",
            1,
            "chemical",
            "O3",
            &[[16.512, 49.175], [16.506, 49.162], [16.500, 49.150]],
        ),
        (
            "II/152-02",
            "II/152",
            "Střelice – Silůvky",
            2,
            "chemical",
            "O3",
            &[[16.500, 49.150], [16.480, 49.120], [16.470, 49.102]],
        ),
        (
            "III/15283-01",
            "III/15283",
            "Střelice – Radostice",
            3,
            "plough",
            "O3",
            &[[16.500, 49.150], [16.478, 49.140], [16.465, 49.131]],
        ),
        (
            "III/15282-01",
            "III/15282",
            "Troubsko – Ostopovice",
            2,
            "chemical",
            "O3",
            &[[16.512, 49.175], [16.530, 49.164], [16.543, 49.160]],
        ),
        (
            "MK-12",
            "MK",
            "Lesní cesta Babí lom",
            0,
            "plough",
            "",
            &[[16.585, 49.332], [16.593, 49.340]],
        ),
    ];
    let routes = [
        ("O1", "Kuřim a Tišnov"),
        ("O2", "Rosice"),
        ("O3", "Střelice"),
    ];
    let now = now_s();
    let began = now - 5 * 3_600;
    let year = &date(0)[..4];
    let number = format!("{year}/01");
    let treated_at = |code: &str| match code {
        "II/385-01" => Some(began + 50 * 60),
        "II/385-02" => Some(began + 95 * 60),
        "III/3852-01" => Some(began + 130 * 60),
        "II/386-01" => Some(began + 220 * 60),
        "II/152-01" => Some(began + 70 * 60),
        _ => None,
    };
    let mut sections = Vec::new();
    let mut shapes = Vec::new();
    let mut treated = Vec::new();
    for (code, road, name, priority, treatment, route, line) in network {
        let length = metres(line);
        let last = treated_at(code);
        let coordinates: Vec<String> = line
            .iter()
            .map(|p| format!("[{},{}]", p[0], p[1]))
            .collect();
        let lons = line.iter().map(|p| p[0]);
        let lats = line.iter().map(|p| p[1]);
        let bbox = [
            lons.clone().fold(f64::MAX, f64::min),
            lats.clone().fold(f64::MAX, f64::min),
            lons.fold(f64::MIN, f64::max),
            lats.fold(f64::MIN, f64::max),
        ];
        let middle = line[line.len() / 2];
        sections.push(format!(
            r#"{{"code":{},"road":{},"name":{},"owner":"Jihomoravský kraj-Example","priority":{priority},"treatment":{},"route":{},"orp":"6202","length_m":{length:.1},"middle":[{},{}],"outline":[[{}]],"bbox":[{},{},{},{}],"last_treated":{}}}"#,
            q(code),
            q(road),
            q(name),
            q(treatment),
            q(route),
            middle[0],
            middle[1],
            coordinates.join(","),
            bbox[0],
            bbox[1],
            bbox[2],
            bbox[3],
            last.map_or("null".to_owned(), |t| t.to_string()),
        ));
        shapes.push(format!(
            r#"{{"net":1,"code":{},"lines":[[{}]],"checksum":{}}}"#,
            q(code),
            coordinates.join(","),
            line.iter().map(|p| p[0] + p[1]).sum::<f64>(),
        ));
        if let Some(at) = last {
            treated.push(format!(
                r#"{{"event":{},"section":{},"priority":{priority},"length_m":{length:.1},"first":{at},"last":{at},"passes":3,"noted":{at},"outline":[[{}]]}}"#,
                q(&number),
                q(code),
                coordinates.join(","),
            ));
        }
    }
    let vehicles = [
        ("S-01", "Tatra 815 se sypačem a radlicí", "2B8 4511", "O1", [16.452, 49.331]),
        ("S-02", "MAN TGS se sypačem", "3B1 0923", "O2", [16.395, 49.220]),
        ("S-03", "Multicar M31 s radlicí", "7B4 2260", "O3", [16.490, 49.135]),
    ]
    .map(|(code, name, plate, route, at)| {
        format!(
            r#"{{"code":{},"name":{},"plate":{},"crew":"","unit":"","event":{},"route":{},"since":{began},"last":{{"at":{},"lat":{},"lon":{},"work":"salting","section":""}}}}"#,
            q(code),
            q(name),
            q(plate),
            q(&number),
            q(route),
            now - 120,
            at[1],
            at[0],
        )
    });
    let assignments: Vec<String> = vehicles
        .iter()
        .zip(routes)
        .map(|(_, (route, _))| {
            format!(
                r#"{{"route":{},"vehicle":"","vehicle_code":{},"at":{},"by":{}}}"#,
                q(route),
                q(&format!("S-0{}", &route[1..])),
                began + 10 * 60,
                q(DISPATCHER.1),
            )
        })
        .collect();
    let event = format!(
        r#"{{"number":{},"kind":"snowfall","note":"Sněžení 5–10 cm, ČHMÚ výstraha na sněhové jazyky.","started":{began},"closed":null,"open":1,"opened_by":{},"assignments":[{}]}}"#,
        q(&number),
        q(DISPATCHER.1),
        assignments.join(","),
    );
    let warning = format!(
        r#"{{"key":"demo-chmi#SJ","identifier":"demo-chmi","sender":"operator@chmi.cz","event_cs":"Sněhové jazyky","event_en":"Snow drifts","headline_cs":"Sněhové jazyky na silnicích","headline_en":"Snow drifts on the roads","severity":"Moderate","onset":{},"expires":{},"orp":["6202"],"received":{}}}"#,
        began - 3_600,
        now + 10 * 3_600,
        began - 3_000,
    );
    let entry = |at: i64, kind: &str, event: &str, en: &str, cs: &str| {
        format!(
            r#"{{"at":{at},"by":{},"kind":{},"event":{},"en":{},"cs":{}}}"#,
            q(DISPATCHER.1),
            q(kind),
            q(event),
            q(en),
            q(cs),
        )
    };
    let log = vec![
        entry(
            began - 3_000,
            "warning.received",
            "",
            "Weather warning: Snow drifts (yellow, low danger).",
            "Výstraha ČHMÚ: Sněhové jazyky (žlutá, nízký stupeň nebezpečí).",
        ),
        entry(
            began - 3_000,
            "standby.opened",
            "",
            "Standby: a weather warning for the region arrived.",
            "Pohotovost: přišla výstraha ČHMÚ pro region.",
        ),
        entry(
            began,
            "event.opened",
            &number,
            &format!("Event {number} opened: Snowfall."),
            &format!("Zahájen zásah {number}: Sněžení."),
        ),
        entry(
            began + 600,
            "route.assigned",
            &number,
            "Route O1 (Kuřim a Tišnov) assigned to S-01.",
            "Okruh O1 (Kuřim a Tišnov) přidělen vozidlu S-01.",
        ),
        entry(
            began + 600,
            "route.assigned",
            &number,
            "Route O2 (Rosice) assigned to S-02.",
            "Okruh O2 (Rosice) přidělen vozidlu S-02.",
        ),
        entry(
            began + 600,
            "route.assigned",
            &number,
            "Route O3 (Střelice) assigned to S-03.",
            "Okruh O3 (Střelice) přidělen vozidlu S-03.",
        ),
        entry(
            began + 7_200,
            "log.entry",
            &number,
            "S-02 stuck behind a lorry at Veverské Knínice; police informed.",
            "S-02 stojí za kamionem u Veverských Knínic; informována policie.",
        ),
    ];
    // The rota: the three drivers on a twelve-hour shift since the
    // event began, the dispatcher on shift, a driver and a loader operator
    // on standby (`key` is the name as the module folds it).
    let duties: Vec<String> = [
        ("Karel Dvořák", "karel dvorak", "+420 602 111 201", "driver", "shift", "S-01", 12),
        ("Pavel Černý", "pavel cerny", "+420 602 111 202", "driver", "shift", "S-02", 12),
        ("Lucie Marková", "lucie markova", "+420 602 111 203", "driver", "shift", "S-03", 12),
        ("Jiří Pokorný", "jiri pokorny", "+420 602 111 210", "dispatcher", "shift", "", 12),
        ("Martin Veselý", "martin vesely", "+420 602 111 204", "driver", "standby", "", 24),
        ("Tomáš Kučera", "tomas kucera", "+420 602 111 205", "loader", "standby", "", 24),
    ]
    .iter()
    .map(|(person, key, phone, role, kind, vehicle, hours)| {
        let starts = began - 3_600;
        format!(
            r#"{{"person":{},"key":{},"phone":{},"role":{},"kind":{},"vehicle":{},"starts":{starts},"ends":{},"note":"","by":{}}}"#,
            q(person),
            q(key),
            q(phone),
            q(role),
            q(kind),
            q(vehicle),
            starts + hours * 3_600,
            q(DISPATCHER.1),
        )
    })
    .collect();
    vec![
        (ROADS, "winter-dispatch", "duties", duties),
        (ROADS, "winter-dispatch", "sections", sections),
        (ROADS, "winter-dispatch", "shapes", shapes),
        (
            ROADS,
            "winter-dispatch",
            "routes",
            routes
                .iter()
                .map(|(c, n)| format!(r#"{{"code":{},"name":{}}}"#, q(c), q(n)))
                .collect(),
        ),
        (ROADS, "winter-dispatch", "vehicles", vehicles.to_vec()),
        (ROADS, "winter-dispatch", "events", vec![event]),
        (ROADS, "winter-dispatch", "treated", treated),
        (ROADS, "winter-dispatch", "warnings", vec![warning]),
        (ROADS, "winter-dispatch", "log", log),
    ]
}

/// Each organization's profile in the registry: IČO, director, phone.
const PROFILES: [(&str, &str, &str); 4] = [
    ("62157124", "Mgr. Dana Svobodová", "+420 541 000 101"),
    ("70993416", "MUDr. Petr Král", "+420 517 000 102"),
    ("00559075", "Bc. Eva Horáková", "+420 518 000 103"),
    ("45135631", "Ing. Tomáš Beneš", "+420 541 000 104"),
];

/// The registry's demo: every organization's profile (and the region's
/// copy of it), and the hospital's change of director waiting for the
/// region's approval.
fn registry_files() -> Vec<(&'static str, &'static str, &'static str, Vec<String>)> {
    let mut files = Vec::new();
    let mut register = Vec::new();
    for ((org, name, _, address), (ico, director, phone)) in BELOW.iter().zip(PROFILES) {
        let facts = format!(
            r#"{{"legal_form":"příspěvková organizace","ico":{},"address":{},"director":{},"director_from":"2023-08-01","phone":{},"web":{}}}"#,
            q(ico),
            q(address),
            q(director),
            q(phone),
            q(&format!("https://{org}.example.cz")),
        );
        files.push((
            *org,
            "org-registry",
            "profile",
            vec![format!(r#"{{"facts":{facts}}}"#)],
        ));
        register.push(format!(
            r#"{{"org":{},"name":{},"facts":{facts}}}"#,
            q(org),
            q(name)
        ));
    }
    files.push((REGION, "org-registry", "register", register));
    let request = format!(
        r#"{{"key":"demo-reditel","org":"nemocnice-example","org_name":"Nemocnice Vyškov-Example","changes":[{{"field":"director","old":"MUDr. Petr Král","new":"MUDr. Jana Malá, Ph.D."}},{{"field":"director_from","old":"2023-08-01","new":{}}}],"state":"pending","asked_by":"Vedení organizace","asked_at":{}}}"#,
        q(&date(14)),
        q(&format!("{} 09:30", date(-1))),
    );
    files.push((
        "nemocnice-example",
        "org-registry",
        "requests",
        vec![request.clone()],
    ));
    files.push((REGION, "org-registry", "requests", vec![request]));
    files
}

/// The region's methodical guidance (two articles, one in its second
/// version), copied to every organization below, and the school's
/// question with the region's answer.
fn guidance_files(author: &str) -> Vec<(&'static str, &'static str, &'static str, Vec<String>)> {
    let article = |key: &str,
                   title: &str,
                   category: &str,
                   body: &str,
                   version: u32,
                   changed: &str,
                   days: i64| {
        format!(
            r#"{{"key":{},"title":{},"category":{},"body":{},"version":{version},"changed":{},"author":{},"published_at":{},"founder":{},"founder_name":"Jihomoravský kraj-Example"}}"#,
            q(key),
            q(title),
            q(category),
            q(body),
            q(changed),
            q(author),
            q(&format!("{} 09:00", date(days))),
            q(REGION),
        )
    };
    let spis = article(
        "demo-spisova-sluzba",
        "Jak vést spisovou službu",
        "Spisová služba",
        "# Evidence dokumentů\n\nKaždý doručený dokument se eviduje v den doručení v elektronickém systému spisové služby.\n\n- podací deník\n- spisový a skartační plán\n- datové zprávy se evidují automaticky\n\nViz [zákon č. 499/2004 Sb.](https://www.zakonyprolidi.cz/cs/2004-499).",
        2,
        "Doplněno evidování datových zpráv.",
        -3,
    );
    let rozpocet = article(
        "demo-rozpocet",
        "Sestavení rozpočtu příspěvkové organizace",
        "Hospodaření",
        "# Termíny\n\nNávrh rozpočtu na příští rok předložte zřizovateli do 30. září.\n\n# Střednědobý výhled\n\nVýhled se sestavuje na dva roky následující po roce rozpočtu.",
        1,
        "",
        -10,
    );
    let mut files = vec![(
        REGION,
        "methodology",
        "articles",
        vec![spis.clone(), rozpocet.clone()],
    )];
    for (org, ..) in BELOW {
        files.push((
            org,
            "methodology",
            "copies",
            vec![spis.clone(), rozpocet.clone()],
        ));
    }
    let question = |answered: &str| {
        format!(
            r#"{{"key":"demo-dotaz","org":"zs-komenskeho-example","org_name":"Základní škola Komenského-Example","subject":"Evidence e-mailů","article":"demo-spisova-sluzba","posts":[{{"at":{},"by":"Mgr. Dana Svobodová (ředitelka školy)","org":"Základní škola Komenského-Example","text":"Evidujeme i e-maily bez elektronického podpisu?"}},{{"at":{},"by":{},"org":"Jihomoravský kraj-Example","text":"Ano, pokud jsou adresovány škole a týkají se její činnosti."}}],"answered":{}}}"#,
            q(&format!("{} 11:20", date(-2))),
            q(&format!("{} 08:45", date(-1))),
            q(author),
            q(answered),
        )
    };
    files.push((
        BELOW[0].0,
        "methodology",
        "questions",
        vec![question("yes")],
    ));
    files.push((REGION, "methodology", "questions", vec![question("yes")]));
    files
}

/// The region's approval flow, offered to every organization below, and
/// the school's request for a new roof waiting for the official.
fn approval_files(
    official: (&str, &str),
    director: (&str, &str),
) -> Vec<(&'static str, &'static str, &'static str, Vec<String>)> {
    let flow_name = "Investice nad 500 000 Kč";
    let official_json = format!(
        r#"{{"user_id":{},"name":{}}}"#,
        q(official.0),
        q(official.1)
    );
    let flow = format!(
        r#"{{"key":"demo-investice","name":{},"approvers":[{official_json}],"order":"sequential","rule":{{"rule":"all"}}}}"#,
        q(flow_name)
    );
    let mut files = vec![(REGION, "tasks", "flows", vec![flow])];
    for (org, ..) in BELOW {
        files.push((
            org,
            "tasks",
            "offered",
            vec![format!(
                r#"{{"founder":{},"flows":[["demo-investice",{}]]}}"#,
                q(REGION),
                q(flow_name)
            )],
        ));
    }
    let request = |steps: &str| {
        format!(
            r#"{{"key":"demo-strecha","org":"zs-komenskeho-example","org_name":"Základní škola Komenského-Example","flow":"demo-investice","flow_name":{},"title":"Oprava střechy tělocvičny","text":"Střecha tělocvičny zatéká; nabídka zhotovitele zní na 1 240 000 Kč s DPH. Žádáme o schválení investice z fondu investic.","submitter":{{"user_id":{},"name":{}}},"submitted_at":{},"outcome":"pending","steps":{steps},"note":""}}"#,
            q(flow_name),
            q(director.0),
            q(director.1),
            q(&format!("{} 10:00", date(-1))),
        )
    };
    files.push((BELOW[0].0, "tasks", "approvals", vec![request("[]")]));
    files.push((
        REGION,
        "tasks",
        "approvals",
        vec![request(&format!(
            r#"[{{"approver":{official_json},"asked":{official_json}}}]"#
        ))],
    ));
    files
}

/// The states a demo task is in at an organization, and the path there.
fn path_to(state: &str) -> &'static [&'static str] {
    match state {
        "new" => &["new"],
        "accepted" => &["new", "accepted"],
        "declined" => &["new", "declined"],
        "delegated" => &["new", "accepted", "delegated"],
        "resolved" => &["new", "accepted", "delegated", "resolved"],
        "submitted" => &["new", "accepted", "submitted"],
        "returned" => &["new", "accepted", "submitted", "returned"],
        _ => &[
            "new",
            "accepted",
            "delegated",
            "resolved",
            "submitted",
            "closed",
        ],
    }
}

/// A JSON string.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Today plus `days`, as YYYY-MM-DD (UTC).
fn date(days: i64) -> String {
    let (year, month, day) = civil(today() + days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Today, in days since 1970 (UTC).
fn today() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i64::try_from(now / 86_400).unwrap_or(0)
}

/// A demo contract: organization, number, subject, the other party and its
/// IČO, the value without VAT, the day it was concluded and published
/// (days from today), its exemption, and what was told of its deadlines.
type DemoContract = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    i64,
    Option<i64>,
    &'static str,
    &'static [&'static str],
);

/// The school's and the hospital's contracts: published, waiting (one
/// past its 30 days), outside the duty by value and by exemption.
const DEMO_CONTRACTS: [DemoContract; 7] = [
    (
        "zs-komenskeho-example",
        "SML/2026/014",
        "Dodávka výpočetní techniky do učebny informatiky",
        "Počítače Morava-Example s.r.o.",
        "25317075",
        412_000.0,
        -60,
        Some(-52),
        "",
        &[],
    ),
    (
        "zs-komenskeho-example",
        "SML/2026/021",
        "Revize hromosvodů a elektroinstalace tělocvičny",
        "Elektro Znojmo-Example s.r.o.",
        "45698121",
        68_000.0,
        -22,
        None,
        "",
        &["20"],
    ),
    (
        "zs-komenskeho-example",
        "SML/2026/017",
        "Servis a pravidelné revize výtahu",
        "Výtahy Brno-Example a.s.",
        "26187451",
        150_000.0,
        -40,
        None,
        "",
        &["20", "25", "breach"],
    ),
    (
        "zs-komenskeho-example",
        "SML/2026/024",
        "Nákup učebnic pro první stupeň",
        "Učebnice Praha-Example s.r.o.",
        "47912553",
        42_000.0,
        -10,
        None,
        "",
        &[],
    ),
    (
        "nemocnice-example",
        "SML/2026/101",
        "Dodávka zdravotnického materiálu na rok 2027",
        "MedSupply-Example a.s.",
        "60234181",
        1_250_000.0,
        -80,
        Some(-41),
        "",
        &["20", "25", "breach"],
    ),
    (
        "nemocnice-example",
        "SML/2026/112",
        "Darovací smlouva: dar na vybavení dětského oddělení",
        "Jan Dvořák",
        "",
        80_000.0,
        -15,
        None,
        "natural-person",
        &[],
    ),
    (
        "nemocnice-example",
        "SML/2026/118",
        "Praní a opravy nemocničního prádla",
        "Prádelna Vyškov-Example s.r.o.",
        "06112340",
        890_000.0,
        -8,
        None,
        "",
        &[],
    ),
];

/// The demo contracts, and the region's copies of them with each
/// organization's totals, as the registry keeps them.
fn contract_files() -> Vec<(&'static str, &'static str, &'static str, Vec<String>)> {
    let mut files = Vec::new();
    let mut received = Vec::new();
    let mut members = Vec::new();
    for (org, org_name, _, _) in &BELOW[..2] {
        let (mut lines, mut listed) = (Vec::new(), Vec::new());
        let (mut pending, mut overdue, mut published, mut late_published, mut outside) =
            (0, 0, 0, 0, 0);
        let (mut failing, mut published_czk) = (0, 0.0);
        for (o, number, subject, party, ico, value, concluded, on, exemption, told) in
            DEMO_CONTRACTS
        {
            if o != *org {
                continue;
            }
            let duty = exemption.is_empty() && value > 50_000.0;
            let late = duty && on.map_or(-concluded > 30, |p| p - concluded > 30);
            let state = match (on, duty) {
                (Some(_), _) => "published",
                (None, false) => "outside",
                (None, true) => "pending",
            };
            // Demo contracts come without their PDFs: one waiting shows
            // the check it fails until a clerk attaches its version.
            let checks = if state == "pending" {
                "[{\"code\":\"document\",\"arg\":\"\"}]"
            } else {
                "[]"
            };
            match state {
                "published" => {
                    // As the portal's search finds it.
                    listed.push(format!(
                        "{{\"number\":{},\"title\":{},\"subject\":{},\"parties\":{}}}",
                        q(number),
                        q(&format!("{number}: {subject}")),
                        q(subject),
                        q(&format!("{party} {ico}")),
                    ));
                    published += 1;
                    published_czk += value;
                    late_published += i32::from(late);
                }
                "pending" => {
                    pending += 1;
                    overdue += i32::from(late);
                    failing += 1;
                }
                _ => outside += 1,
            }
            let publication = on.map_or("null".to_owned(), |p| {
                format!(
                    "{{\"date\":\"{}\",\"contract_id\":\"{}\",\"version_id\":\"{}\",\"recorded_by\":\"demo\"}}",
                    date(p),
                    31_000_000 - concluded,
                    34_000_000 - concluded
                )
            });
            let contract = format!(
                "{{\"number\":{},\"subject\":{},\"parties\":[{{\"name\":{},\"ico\":\"{ico}\",\"databox\":\"\"}}],\"value_net\":{value},\"value_gross\":{},\"currency\":\"CZK\",\"concluded\":\"{}\",\"approved_by\":{},\"exemption\":\"{exemption}\",\"publication\":{publication},\"told\":[{}],\"state\":\"{state}\",\"duty\":{duty},\"checks\":{checks},\"problems\":{},\"late\":{},\"value_czk\":{value}}}",
                q(number),
                q(subject),
                q(party),
                value * 1.21,
                date(concluded),
                q(&format!("ředitel(ka) {org_name}")),
                told.iter().map(|t| q(t)).collect::<Vec<_>>().join(","),
                u8::from(state == "pending"),
                u8::from(late),
            );
            received.push(format!(
                "{{\"key\":{},\"org\":\"{org}\",\"org_name\":{},\"state\":\"{state}\",\"problems\":{},\"concluded\":\"{}\",\"sent_at\":\"{}T06:00:00Z\",\"contract\":{contract}}}",
                q(&format!("{org}~{number}")),
                q(org_name),
                u8::from(state == "pending"),
                date(concluded),
                date(0),
            ));
            lines.push(contract);
        }
        members.push(format!(
            "{{\"org\":\"{org}\",\"org_name\":{},\"received\":\"{}T06:00:00Z\",\"totals\":{{\"contracts\":{},\"pending\":{pending},\"overdue\":{overdue},\"published\":{published},\"published_late\":{late_published},\"outside\":{outside},\"cancelled\":0,\"failing\":{failing},\"published_czk\":{published_czk}}}}}",
            q(org_name),
            date(0),
            lines.len(),
        ));
        files.push((*org, "contracts", "contracts", lines));
        files.push((*org, "contracts", "listed", listed));
    }
    files.push((REGION, "contracts", "received", received));
    files.push((REGION, "contracts", "members", members));
    files
}

/// The demo's procurement, as the register used before would hand it
/// over: the processes without their releases, which the module's job
/// `publish` publishes within a minute of the portal starting.
fn procurement_files() -> Vec<(&'static str, &'static str, &'static str, Vec<String>)> {
    let bid = |id: &str, name: &str, ico: &str, amount: u32, received: i64| {
        format!(
            "{{\"id\":\"{id}\",\"lot\":\"lot-1\",\"name\":{},\"ico\":\"{ico}\",\"amount\":{amount},\"received\":\"{}\"}}",
            q(name),
            date(received)
        )
    };
    let lot = |title: &str, value: u32| {
        format!(
            "[{{\"id\":\"lot-1\",\"title\":{},\"value\":{value}}}]",
            q(title)
        )
    };
    let award = |day: i64| {
        format!(
            "[{{\"id\":\"award-1\",\"lot\":\"lot-1\",\"bid\":\"bid-1\",\"date\":\"{}\",\"status\":\"active\"}}]",
            date(day)
        )
    };
    let school = vec![
        // Its time for bids ended today: two bids opened, a request for
        // clarification answered, the supplier not chosen yet.
        format!(
            "{{\"releases\":0,\"title\":\"Interaktivní tabule do učeben\",\"description\":\"Pět interaktivních tabulí s instalací a zaškolením.\",\"category\":\"goods\",\"procedure\":\"small-call\",\"rationale\":\"Obnova vybavení učeben prvního stupně\",\"budget\":\"Rozpočet školy, investiční fond\",\"status\":\"active\",\"tender_start\":\"{}\",\"tender_end\":\"{}\",\"lots\":{},\"bids\":[{},{}],\"enquiries\":[{{\"id\":\"enquiry-1\",\"date\":\"{}\",\"question\":\"Je součástí dodávky i odvoz starých tabulí?\",\"answer\":\"Ano, odvoz a ekologická likvidace jsou součástí plnění.\"}}]}}",
            date(-20),
            date(0),
            lot("Interaktivní tabule do učeben", 640_000),
            bid(
                "bid-1",
                "Počítače Morava-Example s.r.o.",
                "25317075",
                598_000,
                -2
            ),
            bid(
                "bid-2",
                "Učebnice Praha-Example s.r.o.",
                "47912553",
                615_500,
                -1
            ),
            date(-3),
        ),
        // Awarded, its contract in the contract registry.
        format!(
            "{{\"releases\":0,\"title\":\"Výpočetní technika do učebny informatiky\",\"category\":\"goods\",\"procedure\":\"small-call\",\"status\":\"complete\",\"tender_start\":\"{}\",\"tender_end\":\"{}\",\"lots\":{},\"bids\":[{},{}],\"awards\":{},\"deals\":[{{\"id\":\"contract-1\",\"award\":\"award-1\",\"signed\":\"{}\",\"start\":\"{}\",\"value\":412000,\"registry\":\"SML/2026/014\",\"status\":\"active\"}}]}}",
            date(-90),
            date(-70),
            lot("Výpočetní technika do učebny informatiky", 450_000),
            bid(
                "bid-1",
                "Počítače Morava-Example s.r.o.",
                "25317075",
                412_000,
                -72
            ),
            bid(
                "bid-2",
                "Elektro Znojmo-Example s.r.o.",
                "45698121",
                436_000,
                -71
            ),
            award(-64),
            date(-60),
            date(-55),
        ),
    ];
    let hospital = vec![
        // Awarded on a single bid, amended, partly paid.
        format!(
            "{{\"releases\":0,\"title\":\"Servis zdravotnické techniky\",\"category\":\"services\",\"procedure\":\"simplified\",\"status\":\"complete\",\"tender_start\":\"{}\",\"tender_end\":\"{}\",\"lots\":{},\"bids\":[{}],\"awards\":{},\"deals\":[{{\"id\":\"contract-1\",\"award\":\"award-1\",\"signed\":\"{}\",\"start\":\"{}\",\"end\":\"{}\",\"value\":2450000,\"status\":\"active\",\"amendments\":[{{\"id\":\"contract-1-amendment-1\",\"date\":\"{}\",\"rationale\":\"Rozšíření o servis nového rentgenu\",\"value\":2450000}}],\"payments\":[{{\"id\":\"contract-1-payment-1\",\"date\":\"{}\",\"amount\":204000,\"invoice\":\"FV-2026-0412\"}}]}}]}}",
            date(-150),
            date(-120),
            lot("Servis zdravotnické techniky", 2_600_000),
            bid(
                "bid-1",
                "Výtahy Brno-Example a.s.",
                "26187451",
                2_310_000,
                -121
            ),
            award(-110),
            date(-100),
            date(-95),
            date(635),
            date(-20),
            date(-10),
        ),
        // Planned, its call not out yet.
        format!(
            "{{\"releases\":0,\"title\":\"Dodávky zdravotnického materiálu na rok 2027\",\"category\":\"goods\",\"procedure\":\"simplified\",\"rationale\":\"Plán nákupů na rok 2027\",\"status\":\"planning\",\"lots\":{}}}",
            lot("Dodávky zdravotnického materiálu na rok 2027", 3_900_000),
        ),
    ];
    vec![
        (BELOW[0].0, "procurement", "processes", school),
        (BELOW[1].0, "procurement", "processes", hospital),
    ]
}

/// A demo asset: inventory number, name, account, cost, acquired (days
/// from today), years of useful life, the key of its room, who answers
/// for it.
type DemoAsset = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    i64,
    u32,
    &'static str,
    &'static str,
);

/// A demo place: key, parent key, level, code, name, address, parcel,
/// title deed, area.
type DemoPlace = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
);

/// The school's site, down to its rooms.
const SCHOOL_PLACES: [DemoPlace; 10] = [
    (
        "zsk",
        "",
        "site",
        "",
        "Areál ZŠ Komenského",
        "Komenského 12, 602 00 Brno",
        "Veveří, 2157",
        "1030",
        0.0,
    ),
    (
        "zsk/a",
        "zsk",
        "building",
        "A",
        "Hlavní budova",
        "Komenského 12, 602 00 Brno",
        "Veveří, 2157 (č. p. 1245)",
        "1030",
        0.0,
    ),
    (
        "zsk/a/1np",
        "zsk/a",
        "storey",
        "1NP",
        "1. nadzemní podlaží",
        "",
        "",
        "",
        820.0,
    ),
    (
        "zsk/a/1np/1.05",
        "zsk/a/1np",
        "space",
        "1.05",
        "Učebna fyziky",
        "",
        "",
        "",
        58.5,
    ),
    (
        "zsk/a/1np/1.12",
        "zsk/a/1np",
        "space",
        "1.12",
        "Sborovna",
        "",
        "",
        "",
        42.0,
    ),
    (
        "zsk/a/2np",
        "zsk/a",
        "storey",
        "2NP",
        "2. nadzemní podlaží",
        "",
        "",
        "",
        790.0,
    ),
    (
        "zsk/a/2np/2.03",
        "zsk/a/2np",
        "space",
        "2.03",
        "Učebna informatiky",
        "",
        "",
        "",
        64.0,
    ),
    (
        "zsk/b",
        "zsk",
        "building",
        "B",
        "Tělocvična",
        "Komenského 12a, 602 00 Brno",
        "Veveří, 2158",
        "1030",
        0.0,
    ),
    (
        "zsk/b/1np",
        "zsk/b",
        "storey",
        "1NP",
        "1. nadzemní podlaží",
        "",
        "",
        "",
        560.0,
    ),
    (
        "zsk/b/1np/b1.01",
        "zsk/b/1np",
        "space",
        "B1.01",
        "Sportovní hala",
        "",
        "",
        "",
        540.0,
    ),
];

/// The school's assets; the fourth is offered to the region's
/// organizations, the fifth reserved by the hospital.
const SCHOOL_ASSETS: [DemoAsset; 8] = [
    (
        "022/000001",
        "Interaktivní tabule SMART Board 7086",
        "022",
        89_900.0,
        -1_560,
        8,
        "zsk/a/1np/1.05",
        "Mgr. Petra Malá",
    ),
    (
        "022/000002",
        "Server Dell PowerEdge T150",
        "022",
        74_500.0,
        -700,
        5,
        "zsk/a/2np/2.03",
        "Václav Dvořák",
    ),
    (
        "022/000003",
        "Klavír Petrof P 118",
        "022",
        168_000.0,
        -4_200,
        30,
        "zsk/a/1np/1.12",
        "Mgr. Dana Svobodová",
    ),
    (
        "022/000004",
        "Dataprojektor Epson EB-2250U",
        "022",
        46_800.0,
        -2_150,
        6,
        "zsk/a/2np/2.03",
        "Václav Dvořák",
    ),
    (
        "022/000005",
        "Kopírovací stroj Canon imageRUNNER 2630i",
        "022",
        58_900.0,
        -1_900,
        6,
        "zsk/a/1np/1.12",
        "Václav Dvořák",
    ),
    (
        "028/000001",
        "Sestava měřicích čidel Vernier (fyzika)",
        "028",
        34_600.0,
        -900,
        0,
        "zsk/a/1np/1.05",
        "Mgr. Petra Malá",
    ),
    (
        "028/000002",
        "Notebook Lenovo ThinkPad E14",
        "028",
        21_990.0,
        -420,
        0,
        "zsk/a/1np/1.12",
        "Mgr. Dana Svobodová",
    ),
    (
        "013/000001",
        "Školní informační systém (licence)",
        "013",
        96_000.0,
        -1_100,
        4,
        "",
        "Václav Dvořák",
    ),
];

/// The region's organizations' property and the surplus offers in flight:
/// the school's projector offered to the hospital and the home, its
/// copier reserved by the hospital and waiting for the region; the
/// school's maintenance plans, a work order done and a fault waiting,
/// and its stock-take of the year under way.
fn asset_files() -> Vec<(&'static str, &'static str, &'static str, Vec<String>)> {
    let (school, school_name) = (BELOW[0].0, BELOW[0].1);
    let (hospital, hospital_name) = (BELOW[1].0, BELOW[1].1);
    let places = SCHOOL_PLACES
        .iter()
        .map(|(key, parent, kind, code, name, address, parcel, deed, area)| {
            let path: Vec<String> = SCHOOL_PLACES
                .iter()
                .filter(|p| key.starts_with(p.0) && (key.len() == p.0.len() || key.as_bytes()[p.0.len()] == b'/'))
                .map(|p| if p.3.is_empty() { p.4.to_owned() } else { format!("{} {}", p.3, p.4) })
                .collect();
            format!(
                "{{\"key\":{},\"parent\":{},\"kind\":{},\"code\":{},\"name\":{},\"path\":{},\"address\":{},\"parcel\":{},\"deed\":{},\"area\":{area}}}",
                q(key), q(parent), q(kind), q(code), q(name), q(&path.join(" › ")), q(address), q(parcel), q(deed)
            )
        })
        .collect();
    let card = |a: &DemoAsset| {
        format!(
            "\"number\":{},\"name\":{},\"account\":{},\"cost\":{},\"acquired\":{},\"in_use\":{},\"life_years\":{}",
            q(a.0),
            q(a.1),
            q(a.2),
            a.3,
            q(&date(a.4)),
            q(&date(a.4 + 10)),
            a.5
        )
    };
    // The offers' book values: straight-line, by whole months used.
    let book = |a: &DemoAsset| {
        let months = (-a.4 - 10) / 30;
        let charged = (a.3 / f64::from(a.5 * 12) * months as f64).round().min(a.3);
        a.3 - charged
    };
    let offer_until = date(20);
    let (offered, reserved) = (&SCHOOL_ASSETS[3], &SCHOOL_ASSETS[4]);
    let projector = "Funkční, svítivost 5 000 lm; učebna dostala nový interaktivní displej.";
    let copier = "Plně funkční, 412 000 výtisků; nahrazen tiskárnou s čipovými kartami.";
    let purpose = "Pro sekretariát oddělení vzdělávání a výzkumu.";
    let school_assets = SCHOOL_ASSETS
        .iter()
        .map(|a| {
            let (state, extra) = if a.0 == offered.0 {
                ("offered", format!(",\"offer_until\":{},\"offer_text\":{}", q(&offer_until), q(projector)))
            } else if a.0 == reserved.0 {
                ("reserved", format!(",\"offer_until\":{},\"offer_text\":{},\"reserved_by\":{}", q(&offer_until), q(copier), q(hospital_name)))
            } else {
                ("in-use", String::new())
            };
            format!(
                "{{{},\"key\":{},\"place\":{},\"responsible\":{},\"state\":\"{state}\",\"held\":1{extra},\"history\":[{{\"at\":\"{}T08:00:00Z\",\"what\":\"entered\",\"text\":\"\",\"by\":\"system\"}}]}}",
                card(a), q(&fold(a.1)), q(a.6), q(a.7), date(a.4)
            )
        })
        .collect();
    let offer = |a: &DemoAsset, text: &str, state: &str, by: Option<(&str, &str)>| {
        let (by_org, by_name) = by.unwrap_or(("", ""));
        format!(
            "{{\"key\":\"{school}~{}\",\"org\":\"{school}\",\"org_name\":{},\"card\":{{{}}},\"book_value\":{},\"text\":{},\"until\":{},\"state\":\"{state}\",\"by_org\":\"{by_org}\",\"by_name\":{},\"purpose\":{}}}",
            a.0,
            q(school_name),
            card(a),
            book(a),
            q(text),
            q(&offer_until),
            q(by_name),
            q(if by.is_some() { purpose } else { "" })
        )
    };
    let lot = |a: &DemoAsset, text: &str, state: &str| {
        format!(
            "{{\"key\":\"{school}~{}\",\"from_name\":{},\"card\":{{{}}},\"book_value\":{},\"text\":{},\"until\":{},\"state\":\"{state}\"}}",
            a.0,
            q(school_name),
            card(a),
            book(a),
            q(text),
            q(&offer_until)
        )
    };
    let hospital_assets = [
        ("022/000001", "Ultrazvukový přístroj Mindray DC-40", "022", 1_240_000.0, -1_300, 8),
        ("022/000002", "Sterilizátor parní MELAG Vacuklav 43", "022", 312_000.0, -2_400, 10),
        ("028/000001", "Pojízdný stolek instrumentační", "028", 14_800.0, -600, 0),
    ]
    .iter()
    .map(|(number, name, account, cost, acquired, life)| {
        format!(
            "{{\"number\":{},\"name\":{},\"account\":{},\"cost\":{cost},\"acquired\":{},\"in_use\":{},\"life_years\":{life},\"key\":{},\"place\":\"\",\"state\":\"in-use\",\"held\":1}}",
            q(number), q(name), q(account), q(&date(*acquired)), q(&date(acquired + 5)), q(&fold(name))
        )
    })
    .collect();
    // Maintenance: the piano tuned twice a year (last done a while ago),
    // the server's UPS checked yearly, and a fault a teacher reported.
    let year = &date(0)[..4];
    let plan = |asset: &DemoAsset,
                name: &str,
                every: u32,
                first: i64,
                next: i64,
                checklist: &str| {
        format!(
            "{{\"asset\":{},\"asset_label\":{},\"name\":{},\"trigger\":\"time\",\"every\":{every},\"unit\":\"month\",\"first\":{},\"next\":{},\"checklist\":[{checklist}],\"assignee\":\"Václav Dvořák\",\"state\":\"active\"}}",
            q(asset.0),
            q(&format!("{} {}", asset.0, asset.1)),
            q(name),
            q(&date(first)),
            q(&date(next))
        )
    };
    let (server, piano, laptop) = (&SCHOOL_ASSETS[1], &SCHOOL_ASSETS[2], &SCHOOL_ASSETS[6]);
    let plans = vec![
        plan(
            piano,
            "Ladění klavíru",
            6,
            -170,
            10,
            "\"Ladění\",\"Kontrola mechaniky a kladívek\"",
        ),
        plan(
            server,
            "Kontrola záložního zdroje a zálohování",
            12,
            -325,
            40,
            "\"Test baterií UPS\",\"Obnova zálohy na zkoušku\"",
        ),
    ];
    let orders = vec![
        format!(
            "{{\"number\":\"UDR-{year}-000001\",\"asset\":{},\"asset_label\":{},\"place\":{},\"title\":\"Ladění klavíru\",\"source\":\"plan\",\"due\":{},\"state\":\"done\",\"assignee\":\"Václav Dvořák\",\"checklist\":[{{\"item\":\"Ladění\",\"done\":true}},{{\"item\":\"Kontrola mechaniky a kladívek\",\"done\":true}}],\"done_on\":{},\"done_by\":\"Václav Dvořák\",\"work\":\"Naladěno na 440 Hz, seřízena mechanika.\",\"cost\":1800}}",
            q(piano.0),
            q(&format!("{} {}", piano.0, piano.1)),
            q(piano.6),
            q(&date(-170)),
            q(&date(-168))
        ),
        format!(
            "{{\"number\":\"UDR-{year}-000002\",\"asset\":{},\"asset_label\":{},\"place\":{},\"title\":\"Nefungují klávesy E a R\",\"text\":\"Od pondělí nereagují, polití nevylučuji.\",\"source\":\"request\",\"requested_by\":\"Mgr. Dana Svobodová\",\"state\":\"requested\"}}",
            q(laptop.0),
            q(&format!("{} {}", laptop.0, laptop.1)),
            q(laptop.6)
        ),
    ];
    vec![
        (school, "assets", "places", places),
        (school, "assets", "assets", school_assets),
        (school, "assets", "plans", plans),
        (school, "assets", "orders", orders),
        (
            school,
            "assets",
            "counters",
            vec![format!("{{\"account\":\"UDR-{year}\",\"last\":2}}")],
        ),
        (
            school,
            "assets",
            "stocktakes",
            vec![format!(
                "{{\"year\":\"{year}\",\"as_of\":\"{year}-12-31\",\"chair\":\"Mgr. Dana Svobodová\",\"members\":[\"Václav Dvořák\",\"Mgr. Petra Malá\"],\"state\":\"open\",\"opened_by\":\"Mgr. Dana Svobodová\"}}"
            )],
        ),
        (hospital, "assets", "assets", hospital_assets),
        (
            REGION,
            "assets",
            "offers",
            vec![
                offer(offered, projector, "open", None),
                offer(
                    reserved,
                    copier,
                    "reserved",
                    Some((hospital, hospital_name)),
                ),
            ],
        ),
        (
            hospital,
            "assets",
            "market",
            vec![
                lot(offered, projector, "open"),
                lot(reserved, copier, "reserved"),
            ],
        ),
        (
            BELOW[2].0,
            "assets",
            "market",
            vec![lot(offered, projector, "open")],
        ),
    ]
}

/// `text` lower case, without diacritics, as the modules' search keys are.
fn fold(text: &str) -> String {
    const FROM: &str = "áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ";
    const TO: &str = "acdeeinorstuuyzacdeeinorstuuyz";
    text.chars()
        .map(|c| {
            FROM.chars()
                .position(|f| f == c)
                .and_then(|i| TO.chars().nth(i))
                .unwrap_or(c)
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The date of a day since 1970: year, month, day.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since 1970 of a date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A demo task.
struct DemoTask {
    key: &'static str,
    title: &'static str,
    text: &'static str,
    output: &'static str,
    /// Its deadline, in days from today.
    due: i64,
    /// The organizations it went to, and its state at each.
    to: &'static [(&'static str, &'static str)],
    /// The form it collects (JSON), if it collects data, and each
    /// organization's answers (a JSON object) so far.
    form: &'static str,
    answers: &'static [(&'static str, &'static str)],
}

/// The demo's data collection: staff and wages on 30 September.
const STAFF_FORM: &str = r##"{"code":"zamestnanci","title":"Zaměstnanci a mzdy k 30. 9.","description":"Údaje za celou organizaci včetně doplňkové činnosti.","schema":{"type":"object","properties":{"employees":{"type":"integer","title":"Počet zaměstnanců (fyzické osoby)","minimum":0},"fte":{"type":"number","title":"Přepočtené úvazky","minimum":0},"wage":{"type":"integer","title":"Průměrná hrubá mzda (Kč)","minimum":0},"vacancies":{"type":"string","title":"Neobsazená místa","oneOf":[{"const":"none","title":"Žádná"},{"const":"some","title":"Jedno až tři"},{"const":"many","title":"Více než tři"}]},"note":{"type":"string","title":"Poznámka"}},"required":["employees","fte","wage","vacancies"]},"uischema":{"type":"VerticalLayout","elements":[{"type":"Control","scope":"#/properties/employees"},{"type":"Control","scope":"#/properties/fte"},{"type":"Control","scope":"#/properties/wage"},{"type":"Control","scope":"#/properties/vacancies"},{"type":"Control","scope":"#/properties/note","options":{"multi":true}}]}}"##;

/// The demo's tasks, in every state between them.
const TASKS: [DemoTask; 4] = [
    DemoTask {
        key: "demo-hospodareni",
        title: "Čtvrtletní zpráva o hospodaření",
        text: "Zašlete zprávu o hospodaření za uplynulé čtvrtletí: výnosy, náklady, výsledek a komentář k odchylkám od rozpočtu.",
        output: "Zpráva o hospodaření (text) s komentářem k odchylkám.",
        due: 12,
        to: &[
            ("zs-komenskeho-example", "delegated"),
            ("nemocnice-example", "submitted"),
            ("domov-seniory-example", "new"),
            ("silnice-example", "accepted"),
        ],
        form: "",
        answers: &[],
    },
    DemoTask {
        key: "demo-inventura",
        title: "Inventura majetku k 31. prosinci",
        text: "Proveďte řádnou inventarizaci majetku a závazků a zašlete inventarizační zprávu.",
        output: "Inventarizační zpráva podepsaná předsedou komise.",
        due: -4,
        to: &[
            ("zs-komenskeho-example", "closed"),
            ("nemocnice-example", "returned"),
            ("domov-seniory-example", "declined"),
            ("silnice-example", "new"),
        ],
        form: "",
        answers: &[],
    },
    DemoTask {
        key: "demo-bozp",
        title: "Roční prověrka BOZP",
        text: "Proveďte roční prověrku bezpečnosti a ochrany zdraví při práci a zašlete zápis.",
        output: "Zápis z prověrky a plán odstranění závad.",
        due: 25,
        to: &[
            ("zs-komenskeho-example", "resolved"),
            ("silnice-example", "submitted"),
        ],
        form: "",
        answers: &[],
    },
    DemoTask {
        key: "demo-zamestnanci",
        title: "Sběr dat: zaměstnanci a mzdy k 30. září",
        text: "Vyplňte formulář s počtem zaměstnanců, přepočtenými úvazky a průměrnou mzdou k 30. září; údaje kraj použije do výroční zprávy o příspěvkových organizacích.",
        output: "Vyplněný formulář.",
        due: 9,
        to: &[
            ("zs-komenskeho-example", "submitted"),
            ("nemocnice-example", "closed"),
            ("domov-seniory-example", "new"),
            ("silnice-example", "accepted"),
        ],
        form: STAFF_FORM,
        answers: &[
            (
                "zs-komenskeho-example",
                r#"{"employees":48,"fte":44.5,"wage":41250,"vacancies":"some","note":"Dvě místa asistentů pedagoga jsou neobsazená."}"#,
            ),
            (
                "nemocnice-example",
                r#"{"employees":612,"fte":587.3,"wage":52830,"vacancies":"many"}"#,
            ),
            ("silnice-example", r#"{"employees":203,"fte":198.0}"#),
        ],
    },
];

/// What a step's note says in the demo.
fn note_of(step: &str, worker_name: &str) -> &'static str {
    match step {
        "declined" => "Inventuru v našem zařízení provádí zřizovatel sám, úkol se nás netýká.",
        "submitted" => "Zasíláme požadované podklady v termínu.",
        "returned" => "Chybí přehled drobného majetku; doplňte jej prosím.",
        "resolved" => "Podklady jsou připraveny ke kontrole ředitelkou.",
        "delegated" if !worker_name.is_empty() => "předáno hospodáři školy",
        _ => "",
    }
}

struct Records {
    official: String,
    official_name: String,
    worker: String,
    worker_name: String,
}

impl Records {
    fn new(official: &str, official_name: &str, worker: &str, worker_name: &str) -> Records {
        Records {
            official: official.into(),
            official_name: official_name.into(),
            worker: worker.into(),
            worker_name: worker_name.into(),
        }
    }

    /// (organization, collection, JSON lines).
    fn files(&self) -> Vec<(&'static str, &'static str, Vec<String>)> {
        let mut tasks = Vec::new();
        let mut sent = Vec::new();
        let mut received: Vec<(&'static str, Vec<String>)> =
            BELOW.iter().map(|b| (b.0, Vec::new())).collect();
        for DemoTask {
            key,
            title,
            text,
            output,
            due,
            to,
            form,
            answers,
        } in TASKS
        {
            let due = date(due);
            let addressees: Vec<String> = to.iter().map(|(org, _)| q(org)).collect();
            // The form, and the answers, where there are any: JSON as it is.
            let form = if form.is_empty() {
                String::new()
            } else {
                format!(r#","form":{form}"#)
            };
            let answers_of = |org: &str| {
                answers
                    .iter()
                    .find(|(o, _)| *o == org)
                    .map_or("{}", |(_, a)| *a)
            };
            tasks.push(format!(
                r#"{{"key":{},"title":{},"text":{},"priority":"normal","due":{},"official":{},"official_name":{},"output":{},"addressees":[{}],"series":""{form},"created_by":{},"created_at":{}}}"#,
                q(key),
                q(title),
                q(text),
                q(&due),
                q(&self.official),
                q(&self.official_name),
                q(output),
                addressees.join(","),
                q(&self.official_name),
                q(&format!("{} 09:00", date(-20))),
            ));
            for (org, state) in to {
                let org_name = BELOW.iter().find(|b| b.0 == *org).map_or("", |b| b.1);
                let delegated = path_to(state).contains(&"delegated");
                let (worker, worker_name) = if delegated {
                    (self.worker.as_str(), self.worker_name.as_str())
                } else {
                    ("", "")
                };
                let steps: Vec<String> = path_to(state)
                    .iter()
                    .enumerate()
                    .map(|(n, step)| {
                        let by = if matches!(*step, "new" | "returned" | "closed") {
                            self.official_name.as_str()
                        } else if *step == "resolved" {
                            worker_name
                        } else {
                            "Vedení organizace"
                        };
                        format!(
                            r#"{{"at":{},"by":{},"state":{},"note":{}}}"#,
                            q(&format!("{} {:02}:00", date(-15 + 2 * n as i64), 8 + n)),
                            q(by),
                            q(step),
                            q(note_of(step, worker_name)),
                        )
                    })
                    .collect();
                let submitted = path_to(state).contains(&"submitted");
                let answer = if submitted && form.is_empty() {
                    note_of("submitted", "")
                } else {
                    ""
                };
                let (sent_answers, held) = if form.is_empty() {
                    (String::new(), String::new())
                } else {
                    let a = answers_of(org);
                    let saved = if a == "{}" {
                        r#","saved_at":"","saved_by":"""#.to_owned()
                    } else {
                        format!(
                            r#","saved_at":{},"saved_by":"Vedení organizace""#,
                            q(&format!("{} 11:20", date(-2)))
                        )
                    };
                    (
                        if submitted {
                            format!(r#","answers":{a}"#)
                        } else {
                            String::new()
                        },
                        format!(r#"{form},"answers":{a}{saved}"#),
                    )
                };
                let returns = usize::from(*state == "returned");
                let thread = if *org == "nemocnice-example" && key == "demo-hospodareni" {
                    format!(
                        r#"[{{"at":{},"by":"Vedení organizace","org":{},"text":"Máme do zprávy zahrnout i doplňkovou činnost?"}},{{"at":{},"by":{},"org":"Jihomoravský kraj-Example","text":"Ano, v samostatném oddílu."}}]"#,
                        q(&format!("{} 10:15", date(-3))),
                        q(org_name),
                        q(&format!("{} 13:40", date(-2))),
                        q(&self.official_name),
                    )
                } else {
                    "[]".to_owned()
                };
                sent.push(format!(
                    r#"{{"task":{},"org":{},"org_name":{},"title":{},"due":{},"state":{},"submitted_on":{},"returns":{returns},"escalated":false,"answer":{}{sent_answers},"history":[{}],"thread":{thread}}}"#,
                    q(key),
                    q(org),
                    q(org_name),
                    q(title),
                    q(&due),
                    q(state),
                    q(if submitted { &due } else { "" }),
                    q(answer),
                    steps.join(","),
                ));
                let line = format!(
                    r#"{{"task":{},"founder":{},"founder_name":"Jihomoravský kraj-Example","title":{},"text":{},"priority":"normal","due":{},"output":{},"official_name":{},"state":{},"worker":{},"worker_name":{},"answer":{}{held},"history":[{}],"thread":{thread},"reminded":false,"escalated":false}}"#,
                    q(key),
                    q(REGION),
                    q(title),
                    q(text),
                    q(&due),
                    q(output),
                    q(&self.official_name),
                    q(state),
                    q(worker),
                    q(worker_name),
                    q(answer),
                    steps.join(","),
                );
                if let Some((_, lines)) = received.iter_mut().find(|(o, _)| o == org) {
                    lines.push(line);
                }
            }
        }
        let mut files = vec![(REGION, "tasks", tasks), (REGION, "sent", sent)];
        files.extend(
            received
                .into_iter()
                .filter(|(_, lines)| !lines.is_empty())
                .map(|(org, lines)| (org, "received", lines)),
        );
        files
    }
}

/// A demo building: organization, code, name, address, floor area, use,
/// certificate class and expiry, and its meters: code, carrier, unit, use
/// a day, heating per degree below 15.5 °C (kWh a day), and whether it is
/// used on weekends.
type DemoBuilding = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str, f64, f64)],
);

/// The weather station of the demo's buildings.
const STATION: (&str, &str) = ("B2BTUR01", "Brno, Tuřany (ČHMÚ)");

/// The first day of the demo's readings: three winters ago.
const ENERGY_FROM: (i64, i64, i64) = (2023, 9, 1);

const DEMO_BUILDINGS: [DemoBuilding; 4] = [
    (
        "zs-komenskeho-example",
        "ZS-01",
        "ZŠ Komenského – hlavní budova",
        "Komenského 12, 602 00 Brno",
        4_200.0,
        "school",
        "D",
        "2027-02-28",
        &[
            ("EAN 859182400111000101", "electricity", "kWh", 520.0, 0.0),
            ("EIC 27ZG600Z0001001A", "gas", "kWh", 180.0, 210.0),
            ("Vodoměr ZS-01", "water", "m3", 9.0, 0.0),
        ],
    ),
    (
        "nemocnice-example",
        "NV-A",
        "Pavilon A – lůžková část",
        "Purkyňova 36, 682 01 Vyškov",
        12_400.0,
        "hospital",
        "C",
        "2031-05-31",
        &[
            ("EAN 859182400122000201", "electricity", "kWh", 3_900.0, 0.0),
            ("Teplo NV-A", "heat", "kWh", 1_900.0, 610.0),
        ],
    ),
    (
        "nemocnice-example",
        "NV-B",
        "Pavilon B – ambulance",
        "Purkyňova 36, 682 01 Vyškov",
        6_300.0,
        "hospital",
        "E",
        "2028-10-31",
        &[
            ("EAN 859182400122000202", "electricity", "kWh", 1_450.0, 0.0),
            ("Teplo NV-B", "heat", "kWh", 700.0, 420.0),
        ],
    ),
    (
        "domov-seniory-example",
        "DS-01",
        "Domov pro seniory Kyjov",
        "Strážovská 1094, 697 01 Kyjov",
        3_100.0,
        "social",
        "C",
        "2029-03-31",
        &[
            ("EAN 859182400133000301", "electricity", "kWh", 610.0, 0.0),
            ("EIC 27ZG600Z0003001C", "gas", "kWh", 420.0, 160.0),
        ],
    ),
];

/// A number that looks random but is the same every time, in [-1, 1].
fn wobble(n: i64) -> f64 {
    let x = (n.wrapping_mul(2_654_435_761) ^ (n >> 7)).rem_euclid(10_007);
    x as f64 / 5_003.5 - 1.0
}

/// Brno's daily mean temperature on a day since 1970, °C.
fn brno_temperature(day: i64) -> f64 {
    let (year, _, _) = civil(day);
    let doy = (day - days_from_civil(year, 1, 1)) as f64;
    // Weather comes in spells of a few days.
    let spell = (wobble(day / 4) + wobble(day / 4 + 1)) * 2.5;
    10.4 + 10.9 * (2.0 * std::f64::consts::PI * (doy - 108.0) / 365.25).sin()
        + spell
        + wobble(day) * 1.5
}

/// A meter's use on a day: its base (less on weekends and in a school's
/// holidays), heating by the degrees below 15.5 °C, a little noise; the
/// school's new windows (from September 2025) cut its heating by 18 %.
fn demo_use(building: &str, usage: &str, meter: (f64, f64), day: i64) -> f64 {
    let (base, heating) = meter;
    let (_, month, _) = civil(day);
    let weekend = (day + 3).rem_euclid(7) >= 5;
    let mut b = base;
    if usage == "school" && (weekend || month == 7 || month == 8) {
        b *= 0.35;
    } else if usage != "hospital" && usage != "social" && weekend {
        b *= 0.6;
    }
    let windows = building == "ZS-01" && day >= days_from_civil(2025, 9, 1);
    let h = heating * (15.5 - brno_temperature(day)).max(0.0) * if windows { 0.82 } else { 1.0 };
    ((b + h) * (1.0 + wobble(day * 31 + (base as i64)) * 0.06) * 10.0).round() / 10.0
}

/// The energy demo: a station with three winters of temperatures in each
/// organization, its buildings and meters with their days up to
/// yesterday, and the region's copy of each organization's last report
/// (the 12 months before this one).
fn energy_files() -> Vec<(&'static str, &'static str, &'static str, Vec<String>)> {
    let first = days_from_civil(ENERGY_FROM.0, ENERGY_FROM.1, ENERGY_FROM.2);
    let last = today() - 1;
    let (this_year, this_month, _) = civil(today());
    let report_from = if this_month == 1 {
        days_from_civil(this_year - 1, 1, 1)
    } else {
        days_from_civil(this_year - 1, this_month, 1)
    };
    let report_to = days_from_civil(this_year, this_month, 1);
    let years = civil(first).0..=civil(last).0;
    let year_days = |year: i64, value: &dyn Fn(i64) -> Option<f64>| -> Vec<String> {
        let start = days_from_civil(year, 1, 1);
        (start..days_from_civil(year + 1, 1, 1))
            .map(|d| {
                if d < first || d > last {
                    "null".to_owned()
                } else {
                    value(d).map_or_else(|| "null".to_owned(), |v| format!("{v:.3}"))
                }
            })
            .collect()
    };
    let mut files = Vec::new();
    let mut reports = Vec::new();
    let mut members: Vec<(&str, &str, usize, f64, f64)> = Vec::new();
    for (org, org_name, _, _) in BELOW.iter().take(3) {
        let mut temps = Vec::new();
        for year in years.clone() {
            temps.push(format!(
                "{{\"key\":\"{}:{year}\",\"station\":\"{}\",\"year\":{year},\"t\":[{}]}}",
                STATION.0,
                STATION.0,
                year_days(year, &|d| Some((brno_temperature(d) * 10.0).round() / 10.0)).join(",")
            ));
        }
        let (mut buildings, mut meters, mut days) = (Vec::new(), Vec::new(), Vec::new());
        let (mut count, mut area_sum, mut used_sum) = (0, 0.0, 0.0);
        for (_, code, name, address, area, usage, penb, expires, its_meters) in
            DEMO_BUILDINGS.iter().filter(|b| b.0 == *org)
        {
            buildings.push(format!(
                "{{\"code\":{},\"name\":{},\"address\":{},\"area_m2\":{area},\"usage\":\"{usage}\",\"penb\":\"{penb}\",\"penb_expires\":\"{expires}\",\"station\":\"{}\",\"property\":{}}}",
                q(code),
                q(name),
                q(address),
                STATION.0,
                // The school's main building is the property register's.
                q(if *code == "ZS-01" { "zsk/a" } else { "" })
            ));
            let mut used = 0.0;
            let mut meter_reports = Vec::new();
            for (label, carrier, unit, base, heating) in its_meters.iter() {
                meters.push(format!(
                    "{{\"building\":{},\"label\":{},\"carrier\":\"{carrier}\",\"unit\":\"{unit}\",\"role\":\"main\"}}",
                    q(code),
                    q(label)
                ));
                let value = |d: i64| Some(demo_use(code, usage, (*base, *heating), d));
                for year in years.clone() {
                    let v = year_days(year, &value);
                    let total: f64 = v.iter().filter_map(|x| x.parse::<f64>().ok()).sum();
                    let known = v.iter().filter(|x| *x != "null").count();
                    days.push(format!(
                        "{{\"key\":{},\"meter\":{},\"year\":{year},\"v\":[{}],\"est\":[],\"total\":{total:.3},\"known\":{known},\"building\":{},\"counted\":{}}}",
                        q(&format!("{label}:{year}")),
                        q(label),
                        v.join(","),
                        q(code),
                        u8::from(*carrier != "water")
                    ));
                }
                let mut months = Vec::new();
                let mut month_start = report_from;
                while month_start < report_to {
                    let (y, m, _) = civil(month_start);
                    let next = if m == 12 {
                        days_from_civil(y + 1, 1, 1)
                    } else {
                        days_from_civil(y, m + 1, 1)
                    };
                    let sum: f64 = (month_start..next)
                        .filter_map(|d| value(d).filter(|_| d <= last))
                        .sum();
                    months.push(format!("{sum:.1}"));
                    month_start = next;
                }
                if *carrier != "water" {
                    used += months
                        .iter()
                        .filter_map(|x| x.parse::<f64>().ok())
                        .sum::<f64>();
                }
                let (fy, fm, _) = civil(report_from);
                meter_reports.push(format!(
                    "{{\"label\":{},\"carrier\":\"{carrier}\",\"sub\":false,\"first_month\":\"{fy:04}-{fm:02}\",\"months\":[{}],\"accepted\":false,\"cvrmse\":null,\"saved\":null}}",
                    q(label),
                    months.join(",")
                ));
            }
            count += 1;
            area_sum += area;
            used_sum += used;
            reports.push(format!(
                "{{\"key\":\"{org}:{code}\",\"org\":\"{org}\",\"org_name\":{},\"name\":{},\"usage\":\"{usage}\",\"area_m2\":{area},\"used\":{used:.1},\"intensity\":{:.3},\"saved\":0,\"meters\":[{}]}}",
                q(org_name),
                q(name),
                used / area,
                meter_reports.join(",")
            ));
        }
        members.push((org, org_name, count, area_sum, used_sum));
        files.push((
            *org,
            "energy",
            "stations",
            vec![format!(
                "{{\"code\":\"{}\",\"name\":{}}}",
                STATION.0,
                q(STATION.1)
            )],
        ));
        files.push((*org, "energy", "temps", temps));
        files.push((*org, "energy", "buildings", buildings));
        files.push((*org, "energy", "meters", meters));
        files.push((*org, "energy", "days", days));
    }
    let (ry, rm, _) = civil(report_to);
    let (fy, fm, _) = civil(report_from);
    let members = members
        .into_iter()
        .map(|(org, name, count, area, used)| {
            format!(
                "{{\"org\":\"{org}\",\"org_name\":{},\"buildings\":{count},\"area_m2\":{area},\"used\":{used:.1},\"saved\":0,\"received\":\"{ry:04}-{rm:02}-01T04:00:00Z\",\"first_month\":\"{fy:04}-{fm:02}\",\"baselines\":0}}",
                q(name)
            )
        })
        .collect();
    files.push((REGION, "energy", "reports", reports));
    files.push((REGION, "energy", "members", members));
    files
}
