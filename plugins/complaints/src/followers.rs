//! Who is told of a report's public steps. A follower is a document of its
//! own, never part of the report, so requests to follow cannot fill a
//! report. Following takes a confirmed address: a request stores the
//! follower as waiting and mails a link; only the link's owner confirms
//! it, and only confirmed followers hear of steps. A report takes at most
//! [`PER_REPORT`] followers and an address follows at most [`PER_ADDRESS`]
//! reports, the requests still waiting counted; a request lapses after
//! a day unconfirmed (the morning job deletes it), and the same address is
//! not asked again about the same report within an hour. Every update
//! carries a link that stops them.

use chrono::{DateTime, Utc};
use portico_sdk::notify::To;
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result, segment};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{self, MOST, Report, english, now};

pub const FOLLOWERS: Collection = Collection::new("followers");

/// The most followers a report takes, its reporter and the requests
/// waiting for confirmation among them.
pub const PER_REPORT: usize = 100;

/// The most reports one address follows, the requests waiting among them
/// (reports it filed itself aside).
pub const PER_ADDRESS: usize = 20;

/// How long a request waits for its confirmation.
const CONFIRM_WITHIN_SECS: i64 = 24 * 3600;

/// How long before the same address is asked again about the same report.
const ASK_AGAIN_AFTER_SECS: i64 = 3600;

/// One address that follows, or asked to follow, one report. Personal data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Follower {
    /// The report's id.
    pub report: String,
    /// In lower case.
    pub email: String,
    /// The address's SHA-256 (hex), to find it by: an indexed field holds
    /// 200 characters, an address up to 254.
    pub email_key: String,
    /// SHA-256 (hex) of the token in the link that confirms; empty once
    /// confirmed, so the link works once.
    #[serde(default)]
    pub confirm: String,
    /// The token in the link, in every update, that stops them.
    pub unfollow: String,
    /// When the address was last asked to confirm (RFC 3339).
    #[serde(default)]
    pub asked: String,
    /// When the address confirmed (RFC 3339); empty while it waits.
    #[serde(default)]
    pub confirmed: String,
    /// The language the messages are written in: `cs` or `en`.
    pub lang: String,
    /// The report's reporter, who gave the address with the report.
    #[serde(default)]
    pub reporter: bool,
}

impl Follower {
    fn waiting(&self) -> bool {
        !self.confirm.is_empty()
    }

    /// Seconds since the address was last asked (a lot when unknown).
    fn since_asked(&self, now: &DateTime<Utc>) -> i64 {
        DateTime::parse_from_rfc3339(&self.asked)
            .map_or(i64::MAX, |t| (*now - t.with_timezone(&Utc)).num_seconds())
    }

    /// A request nobody confirmed in time.
    fn lapsed(&self, now: &DateTime<Utc>) -> bool {
        self.waiting() && self.since_asked(now) >= CONFIRM_WITHIN_SECS
    }

    fn en(&self) -> bool {
        self.lang == "en"
    }
}

fn language(en: bool) -> String {
    if en { "en" } else { "cs" }.to_owned()
}

/// A new random token: 32 bytes from WASI's random, in hex.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::internal(format!("no random numbers: {e}")))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 in hex: what is kept of a confirmation token (only whoever
/// holds the e-mail holds the token), and an address's key.
fn digest(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The path of the link that stops the messages of a follower.
pub fn unfollow_path(token: &str) -> String {
    format!("/unfollow/{}", segment(token))
}

fn of_report(id: &str) -> Result<Vec<Document<Follower>>> {
    FOLLOWERS.find().eq("report", id).fetch_all(MOST)
}

/// Makes the reporter of the report `id` a follower: they gave the address
/// with the report to hear of it. Returns the token that stops the
/// messages, for the receipt.
pub fn add_reporter(id: &str, email: &str, en: bool) -> Result<String> {
    let token = new_token()?;
    let email = email.trim().to_lowercase();
    FOLLOWERS.insert(&Follower {
        report: id.to_owned(),
        email_key: digest(&email),
        email,
        confirm: String::new(),
        unfollow: token.clone(),
        asked: String::new(),
        confirmed: now(),
        lang: language(en),
        reporter: true,
    })?;
    Ok(token)
}

/// Why a request to follow is refused, in the visitor's language.
fn refusal(en: bool, why: Refusal) -> String {
    match (why, en) {
        (Refusal::Closed, true) => "This report is closed: no more steps will follow.".into(),
        (Refusal::Closed, false) => "Toto hlášení je uzavřené: další kroky už nebudou.".into(),
        (Refusal::Full, true) => format!(
            "This report has as many followers as it can have ({PER_REPORT}). Its progress is on this page."
        ),
        (Refusal::Full, false) => format!(
            "Toto hlášení už má nejvíce sledujících, kolik může mít ({PER_REPORT}). Jeho průběh najdete na této stránce."
        ),
        (Refusal::Busy, true) => format!(
            "This address follows {PER_ADDRESS} reports already, the most one address may. Stop following one of them first: the link is in every update."
        ),
        (Refusal::Busy, false) => format!(
            "Tato adresa už sleduje {PER_ADDRESS} hlášení, víc jedna adresa nemůže. Nejprve některé přestaňte sledovat: odkaz je v každé zprávě."
        ),
        (Refusal::Asked, true) => "We sent a link to confirm to this address less than an hour ago. Open it from your mailbox (look among spam too), or ask again later.".into(),
        (Refusal::Asked, false) => "Na tuto adresu jsme před méně než hodinou poslali odkaz k potvrzení. Otevřete ho ve své schránce (podívejte se i do nevyžádané pošty), nebo požádejte znovu později.".into(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    Closed,
    Full,
    Busy,
    Asked,
}

/// Someone asks that `email` be told of the public steps of the report
/// `id`: a waiting follower is stored and asked to confirm. `Ok(Err(_))`
/// is a refusal to show at the e-mail field. An address that follows the
/// report already is answered alike and sent nothing, so the answer does
/// not tell who follows what.
pub fn request(
    ctx: &Context,
    id: &str,
    report: &Report,
    email: &str,
) -> Result<std::result::Result<(), String>> {
    let en = english(ctx);
    if !report.is_open() {
        return Ok(Err(refusal(en, Refusal::Closed)));
    }
    match admit(id, report, email, &of_report(id)?, Some(en))? {
        Ok(_) => Ok(Ok(())),
        Err(why) => Ok(Err(refusal(en, why))),
    }
}

/// Stores `email` as a waiting follower of the report `id` (`followers`
/// are its followers so far) within the limits, and asks it to confirm in
/// its language (`None`: unknown, so Czech, and no hour to wait before
/// asking again). Returns the follower stored, if one was.
fn admit(
    id: &str,
    report: &Report,
    email: &str,
    followers: &[Document<Follower>],
    lang: Option<bool>,
) -> Result<std::result::Result<Option<Document<Follower>>, Refusal>> {
    let now = Utc::now();
    let mine = followers.iter().find(|d| d.data.email == email);
    match mine {
        Some(d) if !d.data.waiting() => return Ok(Ok(None)),
        Some(d) if lang.is_some() && d.data.since_asked(&now) < ASK_AGAIN_AFTER_SECS => {
            return Ok(Err(Refusal::Asked));
        }
        _ => {}
    }
    let others = followers
        .iter()
        .filter(|d| d.data.email != email && !d.data.lapsed(&now))
        .count();
    if others >= PER_REPORT {
        return Ok(Err(Refusal::Full));
    }
    let followed = FOLLOWERS
        .find()
        .eq("email_key", digest(email))
        .fetch_all::<Follower>(MOST)?
        .into_iter()
        .filter(|d| d.data.report != id && !d.data.reporter && !d.data.lapsed(&now))
        .count();
    if followed >= PER_ADDRESS {
        return Ok(Err(Refusal::Busy));
    }
    let token = new_token()?;
    let follower = Follower {
        report: id.to_owned(),
        email: email.to_owned(),
        email_key: digest(email),
        confirm: digest(&token),
        unfollow: match mine {
            Some(d) => d.data.unfollow.clone(),
            None => new_token()?,
        },
        asked: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        confirmed: String::new(),
        lang: language(lang.unwrap_or(false)),
        reporter: false,
    };
    let stored = match mine {
        // A newer request replaces the older: only its link confirms.
        Some(d) => FOLLOWERS.update(&d.id, d.version, &follower)?,
        None => FOLLOWERS.insert(&follower)?,
    };
    ask(id, report, &follower, &token)?;
    Ok(Ok(Some(stored)))
}

/// Mails a waiting follower the link that confirms. Only the number and
/// the category are in it: nothing a stranger wrote reaches the address.
fn ask(id: &str, report: &Report, follower: &Follower, token: &str) -> Result<()> {
    let categories = model::categories()?;
    let data = serde_json::json!({
        "lang": language(follower.en()),
        "number": report.number,
        "category_en": model::category_name(&categories, &report.category, true),
        "category_cs": model::category_name(&categories, &report.category, false),
        "confirm_path": format!("/follow/{}", segment(token)),
        "report_path": format!("/reports/{}", segment(id)),
    });
    model::tell(To::Email(&follower.email), "follow-confirm", &data)
}

/// The follower whose confirmation link carries `token`, if it still waits.
fn waiting(token: &str) -> Result<Option<Document<Follower>>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let found = FOLLOWERS.find_by::<Follower>("confirm", digest(token))?;
    Ok(found.filter(|d| !d.data.lapsed(&Utc::now())))
}

/// The follower whose stop link carries `token`.
fn following(token: &str) -> Result<Option<Document<Follower>>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    FOLLOWERS.find_by::<Follower>("unfollow", token)
}

fn used_or_lapsed(en: bool) -> Error {
    Error::not_found(if en {
        "This link was used already, or it is older than 24 hours. Ask again on the report's page."
    } else {
        "Tento odkaz už byl použit, nebo je starší než 24 hodin. Požádejte znovu na stránce hlášení."
    })
}

fn no_longer(en: bool) -> Error {
    Error::not_found(if en {
        "This link no longer works: the address does not follow the report (any more)."
    } else {
        "Tento odkaz už neplatí: adresa hlášení (už) nesleduje."
    })
}

/// The report a follower follows, and its number.
fn report_of(follower: &Follower) -> Result<Report> {
    Ok(model::REPORTS.get::<Report>(&follower.report)?.data)
}

/// The page a confirmation link opens: what is confirmed, and the button.
/// (A page only shows: mail scanners open links, and must not confirm.)
pub fn confirm_page(ctx: &Context, token: &str) -> Result<portico_sdk::View> {
    let en = english(ctx);
    let Some(doc) = waiting(token)? else {
        return Err(used_or_lapsed(en));
    };
    let report = report_of(&doc.data)?;
    let t = |e: &'static str, c: &'static str| if en { e } else { c };
    Ok(portico_sdk::View::new(format!(
        "{} {}",
        t("Follow report", "Sledovat hlášení"),
        report.number
    ))
    .text(format!(
        "{} {} {} {}.",
        t("Confirm that", "Potvrďte, že na adresu"),
        doc.data.email,
        t(
            "is to be told by e-mail of every public step of report",
            "má e-mailem přicházet zpráva o každém veřejném kroku hlášení"
        ),
        report.number
    ))
    .form(portico_sdk::Form::new(
        format!("/follow/{}", segment(token)),
        t("Confirm", "Potvrdit"),
    )))
}

/// The confirmation: the follower is told of every public step from now on.
pub fn confirm(ctx: &Context, token: &str) -> Result<portico_sdk::Outcome> {
    let en = english(ctx);
    let Some(doc) = waiting(token)? else {
        return Err(used_or_lapsed(en));
    };
    let mut follower = doc.data;
    follower.confirm.clear();
    follower.confirmed = now();
    FOLLOWERS.update(&doc.id, doc.version, &follower)?;
    let report = report_of(&follower)?;
    Ok(portico_sdk::Outcome::redirect_with(
        format!("/reports/{}", segment(&follower.report)),
        if en {
            format!(
                "You follow report {}: every public step comes to your e-mail.",
                report.number
            )
        } else {
            format!(
                "Sledujete hlášení {}: o každém veřejném kroku vám přijde e-mail.",
                report.number
            )
        },
    ))
}

/// The page a stop link opens, with the button.
pub fn unfollow_page(ctx: &Context, token: &str) -> Result<portico_sdk::View> {
    let en = english(ctx);
    let Some(doc) = following(token)? else {
        return Err(no_longer(en));
    };
    let report = report_of(&doc.data)?;
    let t = |e: &'static str, c: &'static str| if en { e } else { c };
    Ok(portico_sdk::View::new(format!(
        "{} {}",
        t("Stop following report", "Přestat sledovat hlášení"),
        report.number
    ))
    .text(format!(
        "{} {} {} {}.",
        t("No more messages to", "Na adresu"),
        doc.data.email,
        t("about report", "už nebudou přicházet zprávy o hlášení"),
        report.number
    ))
    .form(portico_sdk::Form::new(
        unfollow_path(token),
        t("Stop the messages", "Zastavit zprávy"),
    )))
}

/// Stops the messages: the follower is deleted.
pub fn unfollow(ctx: &Context, token: &str) -> Result<portico_sdk::Outcome> {
    let en = english(ctx);
    let Some(doc) = following(token)? else {
        return Err(no_longer(en));
    };
    FOLLOWERS.delete(&doc.id, doc.version)?;
    let number = report_of(&doc.data).map(|r| r.number).unwrap_or_default();
    Ok(portico_sdk::Outcome::redirect_with(
        format!("/reports/{}", segment(&doc.data.report)),
        if en {
            format!("You no longer follow report {number}.")
        } else {
            format!("Hlášení {number} už nesledujete.")
        },
    ))
}

/// Tells the confirmed followers of the report `id` of a public step,
/// each in their language with their own stop link; a logged-in reporter
/// who left no address hears of it in the portal's inbox, in the language
/// they read the portal in (the host knows it).
pub fn tell(
    ctx: &Context,
    id: &str,
    report: &Report,
    category: (&str, &str),
    note: (&str, &str),
) -> Result<()> {
    for d in of_report(id)?.iter().filter(|d| !d.data.waiting()) {
        let mut data = report.template_data(id, category, d.data.en(), note);
        data["unfollow_path"] = unfollow_path(&d.data.unfollow).into();
        model::tell(To::Email(&d.data.email), "report-updated", &data)?;
    }
    if !report.reporter.is_empty() && report.contact.email.is_empty() {
        let mut data = report.template_data(id, category, english(ctx), note);
        data["unfollow_path"] = "".into();
        if let Some(fields) = data.as_object_mut() {
            fields.remove("lang");
        }
        model::tell(To::User(&report.reporter), "report-updated", &data)?;
    }
    Ok(())
}

/// How many follow the report `id`: (confirmed, waiting). Addresses a
/// report of 0.1.0 still holds count as waiting: nobody confirmed them.
pub fn count(id: &str, report: &Report) -> Result<(usize, usize)> {
    let now = Utc::now();
    let all = of_report(id)?;
    let confirmed = all.iter().filter(|d| !d.data.waiting()).count();
    let waiting = all
        .iter()
        .filter(|d| d.data.waiting() && !d.data.lapsed(&now))
        .count();
    Ok((confirmed, waiting + report.earlier_followers.len()))
}

/// A merged report's followers follow the report it was merged into
/// (beyond its limit: merging is the office's doing, not a stranger's).
pub fn move_to(from: &str, into: &str) -> Result<()> {
    let there: Vec<String> = of_report(into)?.into_iter().map(|d| d.data.email).collect();
    for d in of_report(from)? {
        if there.contains(&d.data.email) {
            FOLLOWERS.delete(&d.id, d.version)?;
        } else {
            let mut moved = d.data;
            moved.report = into.to_owned();
            FOLLOWERS.update(&d.id, d.version, &moved)?;
        }
    }
    Ok(())
}

/// Moves what version 0.1.0 kept inside the report `id` out of it: its
/// steps become documents of their own, in order; of its followers, whom
/// nobody confirmed, the reporter's own address follows on, and the others
/// of an open report are asked once to confirm (in Czech: their language
/// is unknown), within the limits. Leaves the report to be stored.
pub fn settle(id: &str, report: &mut Report) -> Result<()> {
    for mut step in std::mem::take(&mut report.earlier_steps) {
        step.report = id.to_owned();
        model::STEPS.insert(&step)?;
    }
    let earlier = std::mem::take(&mut report.earlier_followers);
    if earlier.is_empty() {
        return Ok(());
    }
    let reporter = report.contact.email.trim().to_lowercase();
    let mut known = of_report(id)?;
    let mut kept = 0;
    for email in earlier.iter().map(|e| e.trim().to_lowercase()) {
        if !model::is_email(&email) || known.iter().any(|d| d.data.email == email) {
            continue;
        }
        if email == reporter {
            add_reporter(id, &email, false)?;
            kept += 1;
            known = of_report(id)?;
        } else if report.is_open()
            && let Ok(Some(stored)) = admit(id, report, &email, &known, None)?
        {
            kept += 1;
            known.push(stored);
        }
    }
    let dropped = earlier.len() - kept;
    if dropped > 0 {
        portico_sdk::log::info(format!(
            "report {}: {dropped} earlier follower(s) left out (closed report or beyond the limits)",
            report.number
        ));
    }
    Ok(())
}

/// The morning job: requests nobody confirmed within a day are deleted
/// (an address nobody confirmed is not kept).
pub fn forget_lapsed() -> Result<()> {
    let now = Utc::now();
    let mut forgotten = 0;
    for d in FOLLOWERS
        .find()
        .gt("confirm", "")
        .fetch_all::<Follower>(MOST)?
        .into_iter()
        .filter(|d| d.data.lapsed(&now))
    {
        FOLLOWERS.delete(&d.id, d.version)?;
        forgotten += 1;
    }
    portico_sdk::log::info(format!(
        "follow requests: {forgotten} unconfirmed one(s) forgotten"
    ));
    Ok(())
}
