//! Warnings in and alerts out. The weather service's CAP feed is read
//! through the `chmi` connection by a job, kept when it concerns the
//! region's ORP (its `CISORP` geocodes), and each new warning puts the
//! dispatch on standby. The dispatcher's road-condition alerts go to the
//! integrated rescue system as CAP 1.2 through the `rescue` connection,
//! delivered until it acknowledges them; updates and cancellations refer
//! to what they replace.

use portico_sdk::connections::{self, DeliveryStatus, Outgoing};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, NoticeLevel, Outcome, Result, Table, View,
    segment, settings,
};
use serde::{Deserialize, Serialize};

use crate::cap::{self, AlertOut, InfoOut};
use crate::model::{Section, actor, log, now, when, when_in};
use crate::pages::Errors;

pub const WARNINGS: Collection = Collection::new("warnings");
pub const ALERTS: Collection = Collection::new("alerts");

/// A warning of the weather service for the region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Warning {
    /// The alert's identifier and the warning's event code.
    pub key: String,
    pub identifier: String,
    pub sender: String,
    pub event_cs: String,
    pub event_en: String,
    pub headline_cs: String,
    pub headline_en: String,
    pub severity: String,
    pub onset: Option<i64>,
    pub expires: Option<i64>,
    /// The region's ORP it concerns.
    pub orp: Vec<String>,
    pub received: i64,
    /// When it was updated or cancelled by a later message.
    #[serde(default)]
    pub ended: Option<i64>,
}

impl Warning {
    pub fn active(&self, at: i64) -> bool {
        self.ended.is_none() && self.expires.is_none_or(|e| e > at)
    }
}

/// The region's ORP codes (`CISORP`), from the settings.
fn orp_codes() -> Result<Vec<String>> {
    Ok(settings::get("orp-codes")?
        .unwrap_or_default()
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The job: reads the feed, keeps what is new for the region.
pub fn poll(ctx: &Context) -> Result<()> {
    let path = settings::get("warnings-path")?
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "/data/XOCZ50_OKPR.xml".to_owned());
    // The outside system first: no write may wait for it.
    let feed = connections::call("chmi", &Outgoing::get(path.trim()))?;
    if !feed.is_success() {
        return Err(Error::Unavailable(format!(
            "the weather service answered {}",
            feed.status
        )));
    }
    let alert = cap::read(&feed.text())
        .map_err(|e| Error::Unavailable(format!("the weather service's feed: {e}")))?;
    let ours = orp_codes()?;
    let now = now();
    let was_on_standby = standby(now)?.is_some();
    // What this message updates or cancels ends.
    for reference in &alert.references {
        let identifier = reference.split(',').nth(1).unwrap_or(reference);
        for doc in WARNINGS
            .find()
            .eq("identifier", identifier)
            .fetch_all::<Warning>(100)?
        {
            if doc.data.ended.is_none() {
                let mut w = doc.data;
                w.ended = Some(now);
                WARNINGS.update(&doc.id, doc.version, &w)?;
            }
        }
    }
    if alert.msg_type == "Cancel" {
        return Ok(());
    }
    let mut new = 0;
    let czech: Vec<_> = alert
        .infos
        .iter()
        .filter(|i| i.language.to_lowercase().starts_with("cs"))
        .collect();
    for info in czech {
        let orp: Vec<String> = info
            .orp
            .iter()
            .filter(|c| ours.contains(c))
            .cloned()
            .collect();
        if orp.is_empty() {
            continue;
        }
        let code = if info.event_code.is_empty() {
            &info.event
        } else {
            &info.event_code
        };
        let key = format!("{}#{code}", alert.identifier);
        if WARNINGS
            .find()
            .eq("key", &key)
            .limit(1)
            .fetch::<Warning>()?
            .documents
            .is_empty()
        {
            let english = alert.infos.iter().find(|i| {
                i.language.to_lowercase().starts_with("en")
                    && (i.event_code == info.event_code && !info.event_code.is_empty()
                        || i.orp == info.orp && i.onset == info.onset)
            });
            let w = Warning {
                key,
                identifier: alert.identifier.clone(),
                sender: alert.sender.clone(),
                event_cs: info.event.clone(),
                event_en: english.map_or_else(|| info.event.clone(), |e| e.event.clone()),
                headline_cs: info.headline.clone(),
                headline_en: english.map_or_else(|| info.headline.clone(), |e| e.headline.clone()),
                severity: info.severity.clone(),
                onset: info.onset,
                expires: info.expires,
                orp,
                received: now,
                ended: None,
            };
            WARNINGS.insert(&w)?;
            new += 1;
            let span = |cs: bool| {
                format!(
                    "{} – {}",
                    w.onset.map_or_else(String::new, |t| when_in(cs, t)),
                    w.expires.map_or_else(String::new, |t| when_in(cs, t))
                )
            };
            log(
                ctx,
                "warning.received",
                "",
                &w.key,
                format!(
                    "Weather warning: {} ({}), {}.",
                    w.event_en,
                    level_name(&w.severity, false),
                    span(false)
                ),
                format!(
                    "Výstraha ČHMÚ: {} ({}), {}.",
                    w.event_cs,
                    level_name(&w.severity, true),
                    span(true)
                ),
            )?;
        }
    }
    if new > 0 && !was_on_standby {
        let (en, cs) = crate::rota::standby_said(now)?;
        log(
            ctx,
            "standby.opened",
            "",
            &alert.identifier,
            format!("Standby: a weather warning for the region arrived. {en}"),
            format!("Pohotovost: přišla výstraha ČHMÚ pro region. {cs}"),
        )?;
    }
    Ok(())
}

/// The warnings in force, if any: the dispatch is on standby since the
/// first of them arrived.
pub fn standby(at: i64) -> Result<Option<Vec<Warning>>> {
    let recent = WARNINGS
        .find()
        .sort_desc("received")
        .limit(100)
        .fetch::<Warning>()?
        .documents;
    let active: Vec<Warning> = recent
        .into_iter()
        .map(|d| d.data)
        .filter(|w| w.active(at))
        .collect();
    Ok((!active.is_empty()).then_some(active))
}

/// The standby notice and the warnings in force, for the dispatcher.
pub fn standby_view(ctx: &Context, mut view: View) -> Result<View> {
    let at = now();
    let Some(active) = standby(at)? else {
        return Ok(view);
    };
    let since = active.iter().map(|w| w.received).min().unwrap_or(at);
    view = view.notice(
        NoticeLevel::Warning,
        format!(
            "{} {}",
            ctx.tr("Standby since", "Pohotovost od"),
            when(ctx, since)
        ),
    );
    let cs = ctx.is_czech();
    let mut t = Table::new(ctx.tr("Weather warnings in force", "Platné výstrahy ČHMÚ"))
        .column(ctx.tr("Warning", "Výstraha"))
        .column(ctx.tr("Level", "Stupeň"))
        .column(ctx.tr("From", "Od"))
        .column(ctx.tr("Until", "Do"))
        .column(ctx.tr("ORP", "ORP"));
    for w in &active {
        t = t.row([
            if cs { &w.headline_cs } else { &w.headline_en }.clone(),
            level_name(&w.severity, cs),
            w.onset.map_or_else(String::new, |o| when(ctx, o)),
            w.expires.map_or_else(String::new, |e| when(ctx, e)),
            w.orp.join(", "),
        ]);
    }
    view = view.table(t);
    Ok(view.table(crate::rota::on_duty_table(
        ctx,
        ctx.tr(
            "On standby now, to call out",
            "Kdo drží pohotovost – koho povolat",
        ),
        Some(crate::rota::Kind::Standby),
    )?))
}

/// A road-condition alert the dispatcher issued, with every message
/// sent about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alert {
    pub number: String,
    /// The first message's identifier (indexed).
    pub identifier: String,
    pub kind: String,
    pub severity: String,
    pub headline_cs: String,
    pub headline_en: String,
    pub description_cs: String,
    pub description_en: String,
    /// The sections it concerns (codes).
    pub sections: Vec<String>,
    pub area_cs: String,
    pub area_en: String,
    pub polygon: Vec<[f64; 2]>,
    pub orp: Vec<String>,
    pub messages: Vec<Sent>,
    #[serde(default)]
    pub cancelled: Option<i64>,
}

/// One CAP message sent about an alert.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sent {
    /// Who it was sent as (the setting may change later).
    #[serde(default)]
    pub sender: String,
    pub identifier: String,
    pub msg_type: String,
    pub sent: i64,
    pub delivery: u64,
    pub by: String,
}

const KINDS: [(&str, &str, &str); 3] = [
    ("closure", "Road closed", "Uzavírka silnice"),
    (
        "calamity",
        "Severe disruption on the roads",
        "Kalamitní stav na silnicích",
    ),
    ("hazard", "Dangerous road conditions", "Zhoršená sjízdnost"),
];

const SEVERITIES: [(&str, &str, &str); 4] = [
    ("Extreme", "Extreme", "Mimořádná"),
    ("Severe", "Severe", "Vysoká"),
    ("Moderate", "Moderate", "Střední"),
    ("Minor", "Minor", "Nízká"),
];

/// The weather service's level of danger of a CAP severity, by its colour
/// as the ČHMÚ and Meteoalarm show it (the code when unknown).
const LEVELS: [(&str, &str, &str); 4] = [
    (
        "Extreme",
        "red, extreme danger",
        "červená, extrémní stupeň nebezpečí",
    ),
    (
        "Severe",
        "orange, high danger",
        "oranžová, vysoký stupeň nebezpečí",
    ),
    (
        "Moderate",
        "yellow, low danger",
        "žlutá, nízký stupeň nebezpečí",
    ),
    (
        "Minor",
        "green, no particular danger",
        "zelená, bez zvláštního nebezpečí",
    ),
];

fn level_name(severity: &str, cs: bool) -> String {
    LEVELS.iter().find(|k| k.0 == severity).map_or_else(
        || severity.to_owned(),
        |k| if cs { k.2 } else { k.1 }.to_owned(),
    )
}

/// A CAP severity in the reader's language (the code when unknown).
fn severity_name(code: &str, cs: bool) -> String {
    SEVERITIES.iter().find(|k| k.0 == code).map_or_else(
        || code.to_owned(),
        |k| if cs { k.2 } else { k.1 }.to_owned(),
    )
}

fn kind_name(code: &str, cs: bool) -> &'static str {
    KINDS
        .iter()
        .find(|k| k.0 == code)
        .map_or("", |k| if cs { k.2 } else { k.1 })
}

/// `/alerts`: the alerts sent, and a new one.
pub fn list(ctx: &Context, form: Option<&FormPost>, errors: &[(&str, String)]) -> Result<View> {
    let mut view = View::new(ctx.tr("Alerts to the rescue system", "Výstrahy pro IZS"));
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was sent; see the fields below.",
                "Nic nebylo odesláno; opravte pole níže.",
            ),
        );
    }
    view = standby_view(ctx, view)?;
    let cs = ctx.is_czech();
    let mut t = Table::new(ctx.tr("Alerts", "Výstrahy"))
        .column(ctx.tr("Alert", "Výstraha"))
        .column(ctx.tr("Sections", "Úseky"))
        .column(ctx.tr("Issued", "Vydána"))
        .column(ctx.tr("State", "Stav"))
        .empty_text(ctx.tr("No alert yet.", "Zatím žádná výstraha."));
    for d in ALERTS
        .find()
        .newest_first()
        .limit(100)
        .fetch::<Alert>()?
        .documents
    {
        let a = &d.data;
        t = t.row([
            Cell::link(
                format!(
                    "{} {}",
                    a.number,
                    if cs { &a.headline_cs } else { &a.headline_en }
                ),
                format!("/alerts/{}", segment(&d.id)),
            ),
            a.sections.join(", ").into(),
            a.messages
                .first()
                .map_or_else(String::new, |m| when(ctx, m.sent))
                .into(),
            if a.cancelled.is_some() {
                ctx.tr("cancelled", "odvolána")
            } else {
                ctx.tr("in force", "platí")
            }
            .into(),
        ]);
    }
    view = view.table(t);
    let value = |n: &str| form.and_then(|f| f.get(n)).unwrap_or_default().to_owned();
    let f = Form::new(
        "/alerts",
        ctx.tr("Send to the rescue system", "Odeslat do IZS"),
    )
    .field(
        Field::select(
            "kind",
            ctx.tr("What happened", "Druh výstrahy"),
            KINDS.map(|k| (k.0, if cs { k.2 } else { k.1 })),
        )
        .required()
        .selected([value("kind")])
        .error_among(errors),
    )
    .field(
        Field::select(
            "severity",
            ctx.tr("Severity", "Závažnost"),
            SEVERITIES.map(|k| (k.0, if cs { k.2 } else { k.1 })),
        )
        .required()
        .selected([if value("severity").is_empty() {
            "Severe".to_owned()
        } else {
            value("severity")
        }])
        .error_among(errors),
    )
    .field(
        Field::text("sections", ctx.tr("Sections (codes)", "Úseky (kódy)"))
            .required()
            .value(value("sections"))
            .help(ctx.tr(
                "Separated by commas, e.g. II/602-01, II/523-01",
                "Oddělené čárkami, např. II/602-01, II/523-01",
            ))
            .error_among(errors),
    )
    .field(
        Field::text("headline_cs", ctx.tr("Headline in Czech", "Titulek česky"))
            .required()
            .value(value("headline_cs"))
            .error_among(errors),
    )
    .field(
        Field::text(
            "headline_en",
            ctx.tr("Headline in English", "Titulek anglicky"),
        )
        .required()
        .value(value("headline_en"))
        .error_among(errors),
    )
    .field(
        Field::textarea(
            "description_cs",
            ctx.tr("What and where, in Czech", "Co a kde, česky"),
        )
        .value(value("description_cs"))
        .error_among(errors),
    )
    .field(
        Field::textarea(
            "description_en",
            ctx.tr("What and where, in English", "Co a kde, anglicky"),
        )
        .value(value("description_en"))
        .error_among(errors),
    );
    Ok(view.heading(ctx.tr("A new alert", "Nová výstraha")).form(f))
}

/// Reads the alert form: the kind, severity, texts and sections.
fn read(ctx: &Context, form: &FormPost, errors: &mut Errors) -> Result<Option<Alert>> {
    let field = |n: &str| form.get(n).unwrap_or_default().trim().to_owned();
    let kind = field("kind");
    if !KINDS.iter().any(|k| k.0 == kind) {
        errors.push((
            "kind",
            ctx.tr("Choose what happened.", "Vyberte, o co jde.").into(),
        ));
    }
    let severity = field("severity");
    if !SEVERITIES.iter().any(|k| k.0 == severity) {
        errors.push((
            "severity",
            ctx.tr("Choose the severity.", "Vyberte závažnost.").into(),
        ));
    }
    for (n, most) in [
        ("headline_cs", 160),
        ("headline_en", 160),
        ("description_cs", 4_000),
        ("description_en", 4_000),
    ] {
        crate::model::check_length(ctx, errors, n, &field(n), n.starts_with("headline"), most);
    }
    let mut sections: Vec<Document<Section>> = Vec::new();
    let codes: Vec<String> = field("sections")
        .split(',')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if codes.is_empty() || codes.len() > 50 {
        errors.push((
            "sections",
            ctx.tr("Give 1 to 50 section codes.", "Zadejte 1 až 50 kódů úseků.")
                .into(),
        ));
    }
    for code in codes.iter().take(50) {
        match crate::model::section_by_code(code)? {
            Some(s) => sections.push(s),
            None => {
                errors.push((
                    "sections",
                    if ctx.is_czech() {
                        format!("Úsek {code} v síti není.")
                    } else {
                        format!("The network has no section {code}.")
                    },
                ));
                break;
            }
        }
    }
    if !errors.is_empty() {
        return Ok(None);
    }
    let names = sections
        .iter()
        .map(|s| format!("{} {}", s.data.code, s.data.name).trim().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let mut orp: Vec<String> = Vec::new();
    for s in &sections {
        if !s.data.orp.is_empty() && !orp.contains(&s.data.orp) {
            orp.push(s.data.orp.clone());
        }
    }
    if orp.is_empty() {
        orp = orp_codes()?;
    }
    Ok(Some(Alert {
        number: String::new(),
        identifier: String::new(),
        kind,
        severity,
        headline_cs: field("headline_cs"),
        headline_en: field("headline_en"),
        description_cs: field("description_cs"),
        description_en: field("description_en"),
        area_cs: names.clone(),
        area_en: names,
        polygon: cap::ring_around(
            sections
                .iter()
                .filter_map(|s| s.data.bbox)
                .flat_map(|b| [[b[0], b[1]], [b[2], b[3]]]),
            200.0,
        ),
        sections: sections.into_iter().map(|s| s.data.code).collect(),
        orp,
        messages: Vec::new(),
        cancelled: None,
    }))
}

fn sender(ctx: &Context) -> Result<String> {
    Ok(settings::get("cap-sender")?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && !s.contains([' ', ',', '<', '&']))
        .unwrap_or_else(|| format!("winter-dispatch@{}", ctx.org_id())))
}

/// Sends one message about `alert` and records it.
fn send(ctx: &Context, alert: &mut Alert, msg_type: &str) -> Result<()> {
    let sender = sender(ctx)?;
    let sent = now();
    let identifier = if alert.messages.is_empty() {
        alert.identifier.clone()
    } else {
        format!("{}.{}", alert.identifier, alert.messages.len() + 1)
    };
    let references: Vec<String> = alert
        .messages
        .iter()
        .map(|m| {
            let by = if m.sender.is_empty() {
                &sender
            } else {
                &m.sender
            };
            format!("{by},{},{}", m.identifier, cap::moment(m.sent))
        })
        .collect();
    let name = settings::get("cap-sender-name")?
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Správa silnic – dispečink zimní údržby".to_owned());
    let cancelled = msg_type == "Cancel";
    let (head_cs, head_en) = if cancelled {
        (
            format!("Odvoláno: {}", alert.headline_cs),
            format!("Cancelled: {}", alert.headline_en),
        )
    } else {
        (alert.headline_cs.clone(), alert.headline_en.clone())
    };
    let xml = cap::write(&AlertOut {
        identifier: &identifier,
        sender: &sender,
        sender_name: &name,
        sent,
        msg_type,
        references: &references,
        severity: &alert.severity,
        expires: None,
        infos: [
            InfoOut {
                language: "cs-CZ",
                event: kind_name(&alert.kind, true),
                headline: &head_cs,
                description: &alert.description_cs,
                instruction: if cancelled { "" } else { "Zvolte jinou trasu." },
                area: &alert.area_cs,
            },
            InfoOut {
                language: "en-GB",
                event: kind_name(&alert.kind, false),
                headline: &head_en,
                description: &alert.description_en,
                instruction: if cancelled { "" } else { "Take another route." },
                area: &alert.area_en,
            },
        ],
        polygon: &alert.polygon,
        orp: &alert.orp,
    });
    let path = settings::get("rescue-path")?
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "/cap".to_owned());
    let delivery = connections::deliver(
        "rescue",
        &Outgoing::post(path.trim()).body("application/cap+xml", xml),
        Some(&identifier),
    )?;
    alert.messages.push(Sent {
        sender,
        identifier,
        msg_type: msg_type.to_owned(),
        sent,
        delivery,
        by: actor(ctx),
    });
    Ok(())
}

/// A refusal of the rescue connection, said on the form.
fn unsent(ctx: &Context, e: &Error) -> String {
    match e {
        Error::Forbidden(_) => ctx.tr("The connection to the rescue system is not set up: an administrator sets up `rescue` on the module's page in the console. Nothing was sent.",
            "Spojení s IZS není nastaveno: správce nastaví spojení `rescue` na stránce modulu v konzoli. Nic nebylo odesláno.",
        )
        .to_owned(),
        _ => ctx.tr("The alert could not be handed over for sending; nothing was sent. Try again, or tell the administrator.",
            "Výstrahu se nepodařilo předat k odeslání; nic nebylo odesláno. Zkuste to znovu, nebo to oznamte správci.",
        )
        .to_owned(),
    }
}

/// Issues a new alert.
pub fn issue(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let mut errors = Errors::new();
    let Some(mut alert) = read(ctx, form, &mut errors)? else {
        return Ok(Outcome::Show(list(ctx, Some(form), &errors)?));
    };
    // The identifier is the delivery's key: never one already given.
    let (number, year, n) = crate::model::next_number(ALERTS, 3)?;
    alert.number = number;
    alert.identifier = format!("{}.winter.{year}.{n:03}", ctx.org_id());
    if let Err(e) = send(ctx, &mut alert, "Alert") {
        let errors: Errors = vec![("kind", unsent(ctx, &e))];
        return Ok(Outcome::Show(list(ctx, Some(form), &errors)?));
    }
    let doc = ALERTS.insert(&alert)?;
    log(
        ctx,
        "alert.issued",
        "",
        &alert.identifier,
        format!(
            "Alert {} to the rescue system: {} ({}).",
            alert.number,
            alert.headline_en,
            alert.sections.join(", ")
        ),
        format!(
            "Výstraha {} pro IZS: {} ({}).",
            alert.number,
            alert.headline_cs,
            alert.sections.join(", ")
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/alerts/{}", segment(&doc.id)),
        ctx.tr(
            "The alert is on its way to the rescue system.",
            "Výstraha byla předána k odeslání do IZS.",
        ),
    ))
}

/// `/alerts/{id}`: an alert, what was sent about it and whether it arrived.
pub fn page(ctx: &Context, id: &str, errors: &[(&str, String)]) -> Result<View> {
    let doc = ALERTS.get::<Alert>(id)?;
    let a = &doc.data;
    let cs = ctx.is_czech();
    let mut view = View::new(format!(
        "{} {} – {}",
        ctx.tr("Alert", "Výstraha"),
        a.number,
        if cs { &a.headline_cs } else { &a.headline_en }
    ));
    if let Some((_, e)) = errors.first() {
        view = view.notice(NoticeLevel::Error, e.clone());
    }
    view = view.key_values([
        (
            ctx.tr("What happened", "Druh výstrahy"),
            kind_name(&a.kind, cs).to_owned(),
        ),
        (
            ctx.tr("Severity", "Závažnost"),
            severity_name(&a.severity, cs),
        ),
        (
            ctx.tr("Sections", "Úseky"),
            if cs { &a.area_cs } else { &a.area_en }.clone(),
        ),
        (ctx.tr("ORP", "ORP"), a.orp.join(", ")),
        (
            ctx.tr("State", "Stav"),
            a.cancelled.map_or_else(
                || ctx.tr("in force", "platí").to_owned(),
                |c| format!("{} {}", ctx.tr("cancelled", "odvolána"), when(ctx, c)),
            ),
        ),
    ]);
    let mut t = Table::new(ctx.tr("Messages to the rescue system", "Zprávy pro IZS"))
        .column(ctx.tr("Message", "Zpráva"))
        .column(ctx.tr("Kind", "Druh"))
        .column(ctx.tr("Sent", "Odesláno"))
        .column(ctx.tr("Delivered", "Doručeno"));
    for m in &a.messages {
        let state = match connections::delivery(m.delivery) {
            Ok(d) => match d.status {
                DeliveryStatus::Delivered => format!(
                    "{} {}",
                    ctx.tr("yes,", "ano,"),
                    d.delivered_at.map_or_else(String::new, |t| {
                        portico_sdk::calendar::format_stamp(&t, ctx.locale())
                    })
                ),
                DeliveryStatus::Waiting => format!(
                    "{} ({} {})",
                    ctx.tr("not yet", "zatím ne"),
                    ctx.tr("attempts:", "pokusů:"),
                    d.attempts
                ),
                DeliveryStatus::Dead => ctx
                    .tr(
                        "given up: an administrator can send it again",
                        "nedoručeno, pokusy vyčerpány: správce ji může odeslat znovu",
                    )
                    .to_owned(),
            },
            Err(_) => "—".to_owned(),
        };
        let kind = match m.msg_type.as_str() {
            "Alert" => ctx.tr("Alert", "Výstraha"),
            "Update" => ctx.tr("Update", "Aktualizace"),
            _ => ctx.tr("Cancellation", "Odvolání"),
        };
        t = t.row([
            m.identifier.clone(),
            kind.to_owned(),
            when(ctx, m.sent),
            state,
        ]);
    }
    view = view.table(t);
    if a.cancelled.is_none() {
        let path = format!("/alerts/{}", segment(id));
        view = view.form(
            Form::new(&path, ctx.tr("Send an update", "Odeslat aktualizaci"))
                .field(
                    Field::select(
                        "severity",
                        ctx.tr("Severity", "Závažnost"),
                        SEVERITIES.map(|k| (k.0, if cs { k.2 } else { k.1 })),
                    )
                    .selected([a.severity.clone()]),
                )
                .field(
                    Field::textarea(
                        "description_cs",
                        ctx.tr("What and where, in Czech", "Co a kde, česky"),
                    )
                    .value(a.description_cs.clone()),
                )
                .field(
                    Field::textarea(
                        "description_en",
                        ctx.tr("What and where, in English", "Co a kde, anglicky"),
                    )
                    .value(a.description_en.clone()),
                )
                .button("cancel", ctx.tr("Cancel the alert", "Odvolat výstrahu")),
        );
    }
    Ok(view.actions([Action::secondary(
        ctx.tr("All alerts", "Všechny výstrahy"),
        "/alerts",
    )]))
}

/// Updates or cancels an alert.
pub fn change(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    let doc = ALERTS.get::<Alert>(id)?;
    let mut a = doc.data;
    if a.cancelled.is_some() {
        return Err(Error::Conflict(
            ctx.tr("This alert is cancelled.", "Tato výstraha je odvolána.")
                .into(),
        ));
    }
    let cancel = form.button() == Some("cancel");
    if !cancel {
        if let Some(s) = form
            .get("severity")
            .filter(|s| SEVERITIES.iter().any(|k| k.0 == *s))
        {
            a.severity = s.to_owned();
        }
        for (n, slot) in [
            ("description_cs", &mut a.description_cs),
            ("description_en", &mut a.description_en),
        ] {
            let v = form.get(n).unwrap_or_default().trim();
            if v.chars().count() <= 4_000 {
                *slot = v.to_owned();
            }
        }
    }
    let msg_type = if cancel { "Cancel" } else { "Update" };
    if let Err(e) = send(ctx, &mut a, msg_type) {
        let errors: Errors = vec![("kind", unsent(ctx, &e))];
        return Ok(Outcome::Show(page(ctx, id, &errors)?));
    }
    if cancel {
        a.cancelled = Some(now());
    }
    ALERTS.update(id, doc.version, &a)?;
    log(
        ctx,
        if cancel {
            "alert.cancelled"
        } else {
            "alert.updated"
        },
        "",
        &a.identifier,
        format!(
            "Alert {} {} to the rescue system.",
            a.number,
            if cancel { "cancelled" } else { "updated" }
        ),
        format!(
            "Výstraha {} pro IZS {}.",
            a.number,
            if cancel {
                "odvolána"
            } else {
                "aktualizována"
            }
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/alerts/{}", segment(id)),
        if cancel {
            ctx.tr(
                "The cancellation is on its way to the rescue system.",
                "Odvolání bylo předáno k odeslání do IZS.",
            )
        } else {
            ctx.tr(
                "The update is on its way to the rescue system.",
                "Aktualizace byla předána k odeslání do IZS.",
            )
        },
    ))
}
