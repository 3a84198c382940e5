//! The forms of a process, one a step: the plan and the call, a bid, an
//! award, the contract, its amendment, a payment, its end, and the
//! cancellation. Each step saved publishes a release.

use portico_sdk::audit;
use portico_sdk::records::Filters;
use portico_sdk::{Context, Error, Field, Form, FormPost, Outcome, Result, View, calendar, ico};
use portico_sdk::{orgs, segment, settings};

use crate::model::{
    Amendment, Award, Bid, CATEGORIES, CRITERIA, Deal, Enquiry, Kept, Lot, Milestone, PROCEDURES,
    PROCESSES, Payment, Process, RELEASES, Regime, clerk, czk, date_text, procedure, process,
    regime, status,
};
use crate::ocds::{self, tag};
use crate::region;

/// Errors of a refused form: the field, and what is wrong.
pub type Errors = Vec<(&'static str, String)>;

/// The longest title, and the longest of the other texts.
const MAX_TITLE: usize = 300;
const MAX_TEXT: usize = 4_000;
/// The most lots a process has.
const MAX_LOTS: usize = 50;
/// The most bids, answers, amendments (of the call, and of a contract) and
/// payments a process keeps: its document, and each release, stays small.
const MAX_BIDS: usize = 300;
const MAX_ANSWERS: usize = 100;
const MAX_AMENDMENTS: usize = 50;
const MAX_PAYMENTS: usize = 240;
/// The largest amount, CZK: a trillion.
const MAX_AMOUNT: f64 = 1e12;

/// The steps, by the last segment of their path.
pub const STEPS: [&str; 12] = [
    "edit",
    "publish",
    "answer",
    "bid",
    "award",
    "close",
    "contract",
    "amend",
    "pay",
    "milestone",
    "finish",
    "cancel",
];

/// What a form posted, read and checked field by field.
struct Read<'a> {
    ctx: &'a Context,
    form: &'a FormPost,
    errors: Errors,
}

impl<'a> Read<'a> {
    fn new(ctx: &'a Context, form: &'a FormPost) -> Self {
        Read {
            ctx,
            form,
            errors: Vec::new(),
        }
    }

    fn fail(&mut self, field: &'static str, en: &str, cs: &str) {
        if !self.errors.iter().any(|(f, _)| *f == field) {
            self.errors.push((field, self.ctx.tr(en, cs).to_owned()));
        }
    }

    fn text(&mut self, field: &'static str, required: bool, max: usize) -> String {
        let value = self.form.get(field).unwrap_or_default().trim().to_owned();
        if required && value.is_empty() {
            self.fail(field, "Fill this in.", "Vyplňte.");
        } else if value.chars().count() > max {
            let (en, cs) = (
                format!("Write at most {max} characters."),
                format!("Napište nejvýše {max} znaků."),
            );
            self.fail(field, &en, &cs);
        }
        value
    }

    /// An amount of CZK, not negative.
    fn amount(&mut self, field: &'static str, required: bool) -> Option<f64> {
        let raw = self
            .form
            .get(field)
            .unwrap_or_default()
            .trim()
            .replace([' ', '\u{a0}'], "");
        if raw.is_empty() {
            if required {
                self.fail(field, "Give the amount.", "Uveďte částku.");
            }
            return None;
        }
        match raw.replace(',', ".").parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..=MAX_AMOUNT).contains(&v) => Some(v),
            _ => {
                self.fail(
                    field,
                    "Give an amount in CZK, a number from zero to a trillion.",
                    "Uveďte částku v Kč, číslo od nuly do bilionu.",
                );
                None
            }
        }
    }

    /// A day, `YYYY-MM-DD`; not after today when `past`.
    fn date(&mut self, field: &'static str, required: bool, past: bool) -> String {
        let raw = self.form.get(field).unwrap_or_default().trim();
        if raw.is_empty() {
            if required {
                self.fail(field, "Give the date.", "Uveďte datum.");
            }
            return String::new();
        }
        match calendar::parse_date(raw) {
            Some(d) if past && d > calendar::today() => {
                self.fail(
                    field,
                    "The date cannot be in the future.",
                    "Datum nemůže být v budoucnosti.",
                );
                d.to_string()
            }
            Some(d) => d.to_string(),
            None => {
                self.fail(
                    field,
                    "Give a date as a day, month and year.",
                    "Uveďte datum jako den, měsíc a rok.",
                );
                String::new()
            }
        }
    }

    /// Refuses `field` when its list already holds `max`.
    fn room(&mut self, field: &'static str, len: usize, max: usize) {
        if len >= max {
            let (en, cs) = (
                format!("A process keeps at most {max} of these."),
                format!("Zakázka jich může mít nejvýše {max}."),
            );
            self.fail(field, &en, &cs);
        }
    }

    fn done<T>(self, value: T) -> std::result::Result<T, Errors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

fn amount_text(v: f64) -> String {
    if v == 0.0 {
        String::new()
    } else {
        v.to_string()
    }
}

fn lot_lines<'a>(lots: impl Iterator<Item = &'a Lot>) -> String {
    lots.map(|l| format!("{}; {}", l.title, l.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The publisher's prefix for Open Contracting IDs, when the administrator
/// set a valid one.
fn prefix(ctx: &Context) -> Result<String> {
    let set = settings::get("ocid-prefix")?.unwrap_or_default();
    let valid = set.len() == 11
        && set.starts_with("ocds-")
        && set[5..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if valid {
        return Ok(set);
    }
    Err(Error::invalid(
        "ocid-prefix",
        ctx.tr("The administrator has not set the organization's prefix of Open Contracting IDs (ocds- and six letters or digits, as the Open Contracting Partnership registered it): no process can be published without it.",
            "Správce nenastavil prefix identifikátorů Open Contracting (ocds- a šest písmen či číslic, jak ho zaregistrovalo Open Contracting Partnership): bez něj nelze zakázku zveřejnit.",
        ),
    ))
}

/// The form of the plan and the call: new (`kept` None) or to change.
pub fn process_form(
    ctx: &Context,
    kept: Option<(&str, &Process)>,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Form {
    let empty = Process::default();
    let p = kept.map_or(&empty, |(_, p)| p);
    let action = kept.map_or("/new".to_owned(), |(id, _)| {
        format!("/processes/{}/edit", segment(id))
    });
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let categories: Vec<(String, String)> = CATEGORIES
        .iter()
        .map(|(c, en, cs)| ((*c).to_owned(), ctx.tr(en, cs).to_owned()))
        .collect();
    let procedures: Vec<(String, String)> = PROCEDURES
        .iter()
        .map(|p| (p.code.to_owned(), ctx.tr(p.en, p.cs).to_owned()))
        .collect();
    let (estimate, lots) = if p.live_lots().count() > 1 {
        (String::new(), lot_lines(p.live_lots()))
    } else {
        (amount_text(p.estimate), String::new())
    };
    let mut out = Form::new(action, ctx.tr("Save", "Uložit"))
        .field(
            f(Field::text("title", ctx.tr("Title", "Název zakázky")))
                .required()
                .value(v("title", &p.title)),
        )
        .field(
            f(Field::textarea("description", ctx.tr("What is bought", "Předmět zakázky")))
                .value(v("description", &p.description)),
        )
        .field(
            f(Field::select("category", ctx.tr("Kind", "Druh"), categories))
                .selected([v("category", &p.category)]),
        )
        .field(
            f(Field::select("procedure", ctx.tr("Procedure", "Druh řízení"), procedures))
                .selected([v("procedure", &p.procedure)])
                .help(ctx.tr("A small-scale contract is under 2,000,000 CZK without VAT (works: 6,000,000); the simplified procedure is for contracts under the EU threshold (zákon č. 134/2016 Sb., §§ 25–27, 53).",
                    "Zakázka malého rozsahu je pod 2 000 000 Kč bez DPH (stavební práce 6 000 000 Kč); zjednodušené podlimitní řízení je pro zakázky pod evropským limitem (zákon č. 134/2016 Sb., §§ 25–27, 53).",
                )),
        )
        .field(
            f(Field::text(
                "justification",
                ctx.tr("Why without a published call", "Proč bez uveřejněné výzvy"),
            ))
            .value(v("justification", &p.justification))
            .help(ctx.tr("For a negotiated procedure without publication, invited suppliers or a direct award: the reason, e.g. the provision of the act.",
                "U jednacího řízení bez uveřejnění, oslovených dodavatelů či přímého zadání: důvod, např. ustanovení zákona.",
            )),
        )
        .field(
            f(Field::number(
                "estimate",
                ctx.tr("Estimated value without VAT, CZK", "Předpokládaná hodnota bez DPH, Kč"),
            ))
            .value(v("estimate", &estimate))
            .min("0"),
        )
        .field(
            f(Field::textarea("lots", ctx.tr("Lots", "Části zakázky")))
                .value(v("lots", &lots))
                .help(ctx.tr("When it is divided: a lot a line, its title; its estimated value without VAT. The value above is then their sum.",
                    "Je-li rozdělena: každá část na svém řádku, název; předpokládaná hodnota bez DPH. Hodnota výše je pak jejich součtem.",
                )),
        )
        .field(
            f(Field::select(
                "criteria",
                ctx.tr("How bids are evaluated", "Způsob hodnocení nabídek"),
                CRITERIA
                    .iter()
                    .map(|(c, en, cs)| ((*c).to_owned(), ctx.tr(en, cs).to_owned()))
                    .collect::<Vec<_>>(),
            ))
            .selected([v("criteria", &p.criteria)]),
        )
        .field(
            f(Field::text(
                "criteria_details",
                ctx.tr("The criteria and their weights", "Kritéria a jejich váhy"),
            ))
            .value(v("criteria_details", &p.criteria_details))
            .help(ctx.tr("E.g. price 70 %, term of delivery 30 %.",
                "Např. cena 70 %, lhůta dodání 30 %.",
            )),
        )
        .field(
            f(Field::text("cpv", ctx.tr("CPV code", "Kód CPV")))
                .value(v("cpv", &p.cpv))
                .pattern("[0-9]{8}-[0-9]")
                .help(ctx.tr("The main subject in the Common Procurement Vocabulary, e.g. 30213100-6 for portable computers.",
                    "Hlavní předmět podle společného slovníku pro veřejné zakázky, např. 30213100-6 pro přenosné počítače.",
                )),
        )
        .field(
            f(Field::text(
                "profile",
                ctx.tr("The procurement on the buyer's profile or in NEN",
                    "Zakázka na profilu zadavatele nebo v NEN",
                ),
            ))
            .value(v("profile", &p.profile))
            .help(ctx.tr("Its address, where the tender documents are: https://…",
                "Její adresa, kde je zadávací dokumentace: https://…",
            )),
        )
        .field(
            f(Field::textarea("rationale", ctx.tr("Why it is bought", "Zdůvodnění potřeby")))
                .value(v("rationale", &p.rationale)),
        )
        .field(
            f(Field::text("budget", ctx.tr("Paid from", "Zdroj financování")))
                .value(v("budget", &p.budget))
                .help(ctx.tr("E.g. the budget's heading, or a grant programme.",
                    "Např. položka rozpočtu nebo dotační program.",
                )),
        );
    if p.tendering() {
        out = out.field(
            f(Field::text(
                "change",
                ctx.tr("Why the call changes", "Důvod změny zadávacích podmínek"),
            ))
            .required()
            .value(v("change", "")),
        );
    }
    out
}

/// The lots the form gives, onto `p`'s: its lines, or one lot of the
/// title and estimate. A line keeps the id of the lot of its title (a
/// single lot keeps its id whatever its title becomes); a lot no line
/// names is cancelled once it was published (its id stays in the record),
/// else dropped.
fn read_lots(r: &mut Read, p: &Process, title: &str) -> Vec<Lot> {
    let lines = r.text("lots", false, MAX_TEXT * 4);
    let mut given: Vec<(String, f64)> = Vec::new();
    if lines.is_empty() {
        let estimate = r.amount("estimate", true).unwrap_or(0.0);
        given.push((title.to_owned(), estimate));
    }
    for (i, line) in lines.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let (title, value) = line.rsplit_once(';').unwrap_or((line, ""));
        let title = title.trim();
        match portico_sdk::numbers::parse(value) {
            Some(v)
                if (0.0..=MAX_AMOUNT).contains(&v)
                    && !title.is_empty()
                    && !given.iter().any(|(t, _)| t == title) =>
            {
                given.push((title.to_owned(), v));
            }
            _ => {
                let (en, cs) = (
                    format!(
                        "Line {}: write the lot's title, unlike the others'; its value in CZK.",
                        i + 1
                    ),
                    format!(
                        "Řádek {}: napište název části, odlišný od ostatních; její hodnotu v Kč.",
                        i + 1
                    ),
                );
                r.fail("lots", &en, &cs);
            }
        }
    }
    if given.len() > MAX_LOTS {
        let (en, cs) = (
            format!("At most {MAX_LOTS} lots."),
            format!("Nejvýše {MAX_LOTS} částí."),
        );
        r.fail("lots", &en, &cs);
    }
    let mut next = p
        .lots
        .iter()
        .filter_map(|l| l.id.strip_prefix("lot-")?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    let single = p.live_lots().count() == 1 && given.len() == 1;
    let mut lots: Vec<Lot> = Vec::new();
    for (title, value) in given {
        let kept = p
            .live_lots()
            .find(|l| (l.title == title || single) && !lots.iter().any(|n| n.id == l.id));
        lots.push(match kept {
            Some(l) => Lot {
                title,
                value,
                ..l.clone()
            },
            None => {
                next += 1;
                Lot {
                    id: format!("lot-{next}"),
                    title,
                    value,
                    ..Lot::default()
                }
            }
        });
    }
    for old in &p.lots {
        if !lots.iter().any(|l| l.id == old.id) && (!old.live() || p.releases > 0) {
            lots.push(Lot {
                status: "cancelled".into(),
                ..old.clone()
            });
        }
    }
    lots
}

/// The plan and the call read from the form onto `p`.
fn read_process(
    ctx: &Context,
    form: &FormPost,
    mut p: Process,
) -> std::result::Result<Process, Errors> {
    let before = p.clone();
    let mut r = Read::new(ctx, form);
    p.title = r.text("title", true, MAX_TITLE);
    p.description = r.text("description", false, MAX_TEXT);
    p.category = r.text("category", true, 20);
    if !CATEGORIES.iter().any(|(c, _, _)| *c == p.category) {
        r.fail(
            "category",
            "Choose what is bought.",
            "Vyberte druh zakázky.",
        );
    }
    p.procedure = r.text("procedure", true, 30);
    p.justification = r.text("justification", false, MAX_TEXT);
    p.rationale = r.text("rationale", false, MAX_TEXT);
    p.budget = r.text("budget", false, MAX_TITLE);
    p.criteria = r.text("criteria", false, 20);
    if !p.criteria.is_empty() && !CRITERIA.iter().any(|(c, _, _)| *c == p.criteria) {
        r.fail(
            "criteria",
            "Choose how the bids are evaluated.",
            "Vyberte způsob hodnocení nabídek.",
        );
    }
    p.criteria_details = r.text("criteria_details", false, MAX_TEXT);
    if p.criteria == "ratedCriteria" && p.criteria_details.is_empty() {
        r.fail(
            "criteria_details",
            "Name the criteria and their weights.",
            "Uveďte kritéria a jejich váhy.",
        );
    }
    p.cpv = r.text("cpv", false, 10);
    let cpv_ok = p.cpv.is_empty()
        || (p.cpv.len() == 10
            && p.cpv.as_bytes()[8] == b'-'
            && p.cpv
                .bytes()
                .enumerate()
                .all(|(i, c)| i == 8 || c.is_ascii_digit()));
    if !cpv_ok {
        r.fail(
            "cpv",
            "Write the CPV code as eight digits, a dash and the check digit: 30213100-6.",
            "Napište kód CPV jako osm číslic, pomlčku a kontrolní číslici: 30213100-6.",
        );
    }
    p.profile = r.text("profile", false, 500);
    let web = ["https://", "http://"];
    if !p.profile.is_empty() && !web.iter().any(|w| p.profile.starts_with(w)) {
        r.fail(
            "profile",
            "Give the web address, starting https://.",
            "Uveďte webovou adresu začínající https://.",
        );
    }
    // What a release published stays in the record: it can change, and
    // cannot be removed.
    if p.releases > 0 {
        let emptied = |field: &str| form.get(field).is_none_or(|v| v.trim().is_empty());
        for (field, was) in [
            ("criteria", &before.criteria),
            ("cpv", &before.cpv),
            ("profile", &before.profile),
        ] {
            if !was.is_empty() && emptied(field) {
                r.fail(
                    field,
                    "Once published, this can be changed but not removed.",
                    "Po zveřejnění lze údaj změnit, ne odstranit.",
                );
            }
        }
    }
    let title = p.title.clone();
    let lots = read_lots(&mut r, &p, &title);
    let bid_lots: Vec<&str> = p.bids.iter().map(|b| b.lot.as_str()).collect();
    if bid_lots
        .iter()
        .any(|l| !lots.iter().any(|n| n.id == *l && n.live()))
    {
        r.fail(
            "lots",
            "A lot with bids cannot be removed.",
            "Část, na kterou přišly nabídky, nelze odebrat.",
        );
    }
    p.lots = lots;
    let estimate: f64 = p.live_lots().map(|l| l.value).sum();
    match procedure(&p.procedure) {
        None => r.fail("procedure", "Choose the procedure.", "Vyberte druh řízení."),
        Some(proc) => {
            if let Ok(regime) = regime(&p.category, estimate)
                && !proc.regimes.contains(&regime)
            {
                let value = czk(ctx, estimate);
                let (en, cs) = (
                    format!(
                        "At {value} this is a contract {}: “{}” cannot be used for it.",
                        match regime {
                            Regime::Small => "of small scale",
                            Regime::Below => "below the EU threshold",
                            Regime::Above => "above the EU threshold",
                        },
                        proc.en
                    ),
                    format!(
                        "S hodnotou {value} jde o zakázku {}: druh řízení „{}“ pro ni nelze použít.",
                        match regime {
                            Regime::Small => "malého rozsahu",
                            Regime::Below => "podlimitní",
                            Regime::Above => "nadlimitní",
                        },
                        proc.cs
                    ),
                );
                r.fail("procedure", &en, &cs);
            }
            // Only a procedure without a published call is justified.
            if !matches!(proc.method, "limited" | "direct") {
                p.justification.clear();
            } else if p.justification.is_empty() {
                r.fail(
                    "justification",
                    "Say why the procedure has no published call.",
                    "Uveďte, proč je zakázka zadávána bez uveřejněné výzvy.",
                );
            }
        }
    }
    let change = if p.tendering() {
        r.text("change", true, MAX_TEXT)
    } else {
        String::new()
    };
    if !change.is_empty() {
        r.room("change", p.amendments.len(), MAX_AMENDMENTS);
        let n = p.amendments.len() + 1;
        p.amendments.push(Amendment {
            id: format!("tender-amendment-{n}"),
            date: calendar::today().to_string(),
            rationale: change,
            value: None,
        });
    }
    r.done(p)
}

/// Publishes the process as it now is as a release with `tags`, keeps it,
/// audits `action` and sends the figures up.
fn release(
    ctx: &Context,
    id: &str,
    version: u64,
    mut p: Process,
    tags: &[&str],
    action: &str,
    text: String,
) -> Result<Process> {
    p.settle();
    let org = orgs::current()?;
    p.releases += 1;
    p.updated = ocds::now();
    let release = ocds::release(&p, &org, p.releases, &p.updated, tags);
    // The release first, the process after: a process that cannot be kept
    // (changed meanwhile, say) takes its release back, and one that is
    // kept has its release.
    let kept = RELEASES.insert(&Kept {
        ocid: p.ocid.clone(),
        seq: p.releases,
        date: p.updated.clone(),
        action: action.to_owned(),
        release,
    })?;
    if let Err(e) = PROCESSES.update(id, version, &p) {
        RELEASES.delete(&kept.id, kept.version)?;
        return Err(e);
    }
    audit::record(ctx, action, &p.ocid, text)?;
    // The founder's figures catch up with the next change.
    if let Err(e) = region::sync() {
        portico_sdk::log::warn(format!("figures not sent up: {e}"));
    }
    Ok(p)
}

/// A step saved: published, and the process's page with what was done.
fn commit(
    ctx: &Context,
    id: &str,
    version: u64,
    p: Process,
    tags: &[&str],
    action: &str,
    text: String,
) -> Result<Outcome> {
    let p = release(ctx, id, version, p, tags, action, text)?;
    let message = if ctx.is_czech() {
        format!(
            "Uloženo a zveřejněno jako {}. vydání ({}).",
            p.releases,
            tags.join(", ")
        )
    } else {
        format!(
            "Saved, and published as release {} ({}).",
            p.releases,
            tags.join(", ")
        )
    };
    Ok(Outcome::redirect_with(
        format!("/processes/{}", segment(id)),
        message,
    ))
}

/// The job `publish`: processes imported (from the register used before,
/// say) without a release get their first, tagged with every stage they
/// reached, and their OCID when they have none. Without a prefix set, it
/// waits for one.
pub fn publish_imported(ctx: &Context) -> Result<()> {
    let Ok(prefix) = prefix(ctx) else {
        return Ok(());
    };
    let found = PROCESSES
        .find()
        .eq("releases", 0)
        .limit(100)
        .fetch::<Process>()?;
    for doc in found.documents {
        let mut p = doc.data;
        if p.ocid.is_empty() {
            p.ocid = format!("{prefix}-{}", doc.id);
        }
        // Handed over undivided: one lot, of the whole estimate.
        if p.lots.is_empty() {
            p.lots.push(Lot {
                id: "lot-1".into(),
                title: p.title.clone(),
                value: p.estimate,
                ..Lot::default()
            });
        }
        let mut tags = vec![match p.status.as_str() {
            status::PLANNING => tag::PLANNING,
            status::CANCELLED | status::UNSUCCESSFUL => tag::TENDER_CANCELLATION,
            _ => tag::TENDER,
        }];
        if !p.awards.is_empty() {
            tags.push(tag::AWARD);
        }
        if !p.deals.is_empty() {
            tags.push(tag::CONTRACT);
        }
        if p.deals.iter().any(|d| !d.payments.is_empty()) {
            tags.push(tag::IMPLEMENTATION);
        }
        let text = format!("{}: imported, first published", p.title);
        if let Err(e) = release(
            ctx,
            &doc.id,
            doc.version,
            p,
            &tags,
            "procurement.import",
            text,
        ) {
            portico_sdk::log::warn(format!("imported process {} not published: {e}", doc.id));
        }
    }
    Ok(())
}

/// A new process: planned, its call not yet out.
pub fn create(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    clerk(ctx)?;
    let prefix = prefix(ctx)?;
    let p =
        match read_process(
            ctx,
            form,
            Process {
                status: status::PLANNING.into(),
                ..Process::default()
            },
        ) {
            Ok(p) => p,
            Err(errors) => {
                return Ok(Outcome::Show(
                    View::new(ctx.tr("A new procurement", "Nová veřejná zakázka"))
                        .form(process_form(ctx, None, Some(form), &errors)),
                ));
            }
        };
    let new = PROCESSES.insert(&p)?;
    let mut p = p;
    p.ocid = format!("{prefix}-{}", new.id);
    let text = format!("{}: {}", p.title, p.procedure);
    commit(
        ctx,
        &new.id,
        new.version,
        p,
        &[tag::PLANNING],
        "procurement.plan",
        text,
    )
}

/// The form of a step of process `id`.
pub fn step_form(
    ctx: &Context,
    id: &str,
    p: &Process,
    step: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<Form> {
    let action = format!("/processes/{}/{step}", segment(id));
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let today = calendar::today().to_string();
    let lot_choices = || -> Vec<(String, String)> {
        p.open_lots()
            .map(|l| (l.id.clone(), l.title.clone()))
            .collect()
    };
    // The contracts in force, to choose one.
    let deal_field = || {
        let deals = p
            .deals
            .iter()
            .filter(|d| d.status == "active")
            .map(|d| {
                let supplier = p.supplier_of(d).map(|b| b.name.clone()).unwrap_or_default();
                (d.id.clone(), format!("{supplier} ({})", czk(ctx, d.value)))
            })
            .collect::<Vec<_>>();
        f(Field::radio("deal", ctx.tr("Contract", "Smlouva"), deals))
            .required()
            .selected([v("deal", "")])
    };
    Ok(match step {
        "edit" => process_form(ctx, Some((id, p)), form, errors),
        "publish" => Form::new(action, ctx.tr("Publish the call", "Uveřejnit výzvu"))
            .field(
                f(Field::date(
                    "start",
                    ctx.tr("Published on", "Uveřejněno dne"),
                ))
                .required()
                .value(v("start", &today)),
            )
            .field(
                f(Field::date(
                    "end",
                    ctx.tr("Last day for bids", "Konec lhůty pro podání nabídek"),
                ))
                .required()
                .value(v("end", "")),
            ),
        "answer" => Form::new(
            action,
            ctx.tr("Publish the clarification", "Uveřejnit vysvětlení"),
        )
        .field(
            f(Field::textarea(
                "question",
                ctx.tr(
                    "The request, without who made it",
                    "Znění žádosti, bez identifikace dodavatele",
                ),
            ))
            .required()
            .value(v("question", "")),
        )
        .field(
            f(Field::textarea(
                "answer",
                ctx.tr("The clarification", "Vysvětlení"),
            ))
            .required()
            .value(v("answer", "")),
        )
        .field(
            f(Field::date(
                "date",
                ctx.tr("Published on", "Uveřejněno dne"),
            ))
            .required()
            .value(v("date", &today)),
        ),
        "close" => Form::new(action, ctx.tr("Close the lot", "Uzavřít část"))
            .field(
                f(Field::radio(
                    "lot",
                    ctx.tr(
                        "The lot closed without an award",
                        "Část uzavřená bez výběru dodavatele",
                    ),
                    p.open_lots()
                        .map(|l| (l.id.clone(), l.title.clone()))
                        .collect::<Vec<_>>(),
                ))
                .required()
                .selected([v("lot", "")]),
            )
            .field(
                f(Field::text("reason", ctx.tr("Why", "Důvod")))
                    .required()
                    .value(v("reason", ""))
                    .help(ctx.tr(
                        "E.g. no bid came, or none met the conditions.",
                        "Např. nepřišla žádná nabídka nebo žádná nesplnila podmínky.",
                    )),
            ),
        "bid" => Form::new(action, ctx.tr("Record the bid", "Zapsat nabídku"))
            .field(
                f(Field::select("lot", ctx.tr("Lot", "Část"), lot_choices()))
                    .selected([v("lot", "")]),
            )
            .field(
                f(Field::text("name", ctx.tr("Bidder", "Dodavatel")))
                    .required()
                    .value(v("name", "")),
            )
            .field(
                f(Field::text("ico", ctx.tr("Bidder's IČO", "IČO dodavatele")))
                    .required()
                    .pattern("[0-9]{8}")
                    .value(v("ico", "")),
            )
            .field(
                f(Field::number(
                    "amount",
                    ctx.tr("Price without VAT, CZK", "Nabídková cena bez DPH, Kč"),
                ))
                .required()
                .min("0")
                .value(v("amount", "")),
            )
            .field(
                f(Field::date(
                    "received",
                    ctx.tr("Received on", "Doručena dne"),
                ))
                .required()
                .value(v("received", &today)),
            ),
        "award" => {
            let bids: Vec<(String, String)> = p
                .bids
                .iter()
                .filter(|b| p.open_lots().any(|l| l.id == b.lot))
                .map(|b| {
                    let lot = p.lot(&b.lot).map(|l| l.title.as_str()).unwrap_or_default();
                    (
                        b.id.clone(),
                        format!("{lot}: {} ({})", b.name, czk(ctx, b.amount)),
                    )
                })
                .collect();
            Form::new(action, ctx.tr("Award", "Vybrat dodavatele"))
                .field(
                    f(Field::radio(
                        "bid",
                        ctx.tr("The bid chosen", "Vybraná nabídka"),
                        bids,
                    ))
                    .required()
                    .selected([v("bid", "")]),
                )
                .field(
                    f(Field::textarea(
                        "evaluation",
                        ctx.tr("The evaluation", "Hodnocení nabídek"),
                    ))
                    .value(v("evaluation", ""))
                    .help(ctx.tr(
                        "The committee's conclusion: the order of the bids, and why this one.",
                        "Závěr komise: pořadí nabídek a proč tato.",
                    )),
                )
                .field(
                    f(Field::date("date", ctx.tr("Decided on", "Rozhodnuto dne")))
                        .required()
                        .value(v("date", &today)),
                )
        }
        "contract" => {
            let awards: Vec<(String, String)> = p
                .awards
                .iter()
                .filter(|a| a.status == "active" && p.deal_of(&a.id).is_none())
                .filter_map(|a| {
                    let b = p.bid(&a.bid)?;
                    let lot = p.lot(&a.lot).map(|l| l.title.as_str()).unwrap_or_default();
                    Some((a.id.clone(), format!("{lot}: {}", b.name)))
                })
                .collect();
            Form::new(action, ctx.tr("Record the contract", "Zapsat smlouvu"))
                .field(
                    f(Field::radio(
                        "award",
                        ctx.tr("For the award", "K výběru dodavatele"),
                        awards,
                    ))
                    .required()
                    .selected([v("award", "")]),
                )
                .field(
                    f(Field::date("signed", ctx.tr("Signed on", "Podepsána dne")))
                        .required()
                        .value(v("signed", &today)),
                )
                .field(
                    f(Field::date(
                        "start",
                        ctx.tr("Performance from", "Plnění od"),
                    ))
                    .value(v("start", "")),
                )
                .field(
                    f(Field::date("end", ctx.tr("Performance until", "Plnění do")))
                        .value(v("end", "")),
                )
                .field(
                    f(Field::number(
                        "value",
                        ctx.tr("Value without VAT, CZK", "Cena bez DPH, Kč"),
                    ))
                    .min("0")
                    .value(v("value", ""))
                    .help(ctx.tr(
                        "Left empty, the bid's price.",
                        "Nevyplníte-li, použije se nabídková cena.",
                    )),
                )
                .field(
                    f(Field::text(
                        "registry",
                        ctx.tr("Number in the contract registry", "Číslo v evidenci smluv"),
                    ))
                    .value(v("registry", "")),
                )
        }
        "amend" => Form::new(action, ctx.tr("Record the amendment", "Zapsat dodatek"))
            .field(deal_field())
            .field(
                f(Field::date("date", ctx.tr("Signed on", "Podepsán dne")))
                    .required()
                    .value(v("date", &today)),
            )
            .field(
                f(Field::text(
                    "rationale",
                    ctx.tr("What changes, and why", "Co se mění a proč"),
                ))
                .required()
                .value(v("rationale", "")),
            )
            .field(
                f(Field::number(
                    "value",
                    ctx.tr("New value without VAT, CZK", "Nová cena bez DPH, Kč"),
                ))
                .min("0")
                .value(v("value", ""))
                .help(ctx.tr(
                    "Left empty, the price does not change.",
                    "Nevyplníte-li, cena se nemění.",
                )),
            ),
        "pay" => Form::new(action, ctx.tr("Record the payment", "Zapsat platbu"))
            .field(deal_field())
            .field(
                f(Field::date("date", ctx.tr("Paid on", "Zaplaceno dne")))
                    .required()
                    .value(v("date", &today)),
            )
            .field(
                f(Field::number(
                    "amount",
                    ctx.tr("Amount without VAT, CZK", "Částka bez DPH, Kč"),
                ))
                .required()
                .min("0")
                .value(v("amount", "")),
            )
            .field(
                f(Field::text(
                    "invoice",
                    ctx.tr("Invoice number", "Číslo faktury"),
                ))
                .value(v("invoice", "")),
            ),
        "milestone" => Form::new(action, ctx.tr("Record the milestone", "Zapsat milník"))
            .field(deal_field())
            .field(
                f(Field::text(
                    "title",
                    ctx.tr("What is delivered", "Co se předává"),
                ))
                .required()
                .value(v("title", ""))
                .help(ctx.tr(
                    "A milestone with the title of one not yet met is met by it.",
                    "Milník se stejným názvem jako dosud nesplněný ho splní.",
                )),
            )
            .field(f(Field::date("due", ctx.tr("Due on", "Termín"))).value(v("due", "")))
            .field(
                f(Field::date("met", ctx.tr("Met on", "Splněno dne")))
                    .value(v("met", ""))
                    .help(ctx.tr(
                        "Left empty, the milestone waits.",
                        "Nevyplníte-li, milník čeká na splnění.",
                    )),
            ),
        "finish" => {
            Form::new(action, ctx.tr("Record its end", "Zapsat ukončení")).field(deal_field())
        }
        "cancel" => Form::new(action, ctx.tr("Cancel the procurement", "Zrušit zakázku"))
            .field(
                f(Field::radio(
                    "outcome",
                    ctx.tr("Why it ends", "Proč končí"),
                    [
                        (
                            status::UNSUCCESSFUL,
                            ctx.tr(
                                "No bid came, or none met the conditions",
                                "Nepřišla žádná nabídka nebo žádná nevyhověla",
                            ),
                        ),
                        (
                            status::CANCELLED,
                            ctx.tr("Cancelled for another reason", "Zrušeno z jiného důvodu"),
                        ),
                    ],
                ))
                .required()
                .selected([v("outcome", "")]),
            )
            .field(
                f(Field::text(
                    "reason",
                    ctx.tr("Why it is cancelled", "Důvod zrušení"),
                ))
                .required()
                .value(v("reason", "")),
            ),
        other => return Err(Error::not_found(format!("no step {other}"))),
    })
}

/// Whether `step` can be taken now, and why not.
pub fn refusal(ctx: &Context, p: &Process, step: &str) -> Option<&'static str> {
    let today = calendar::today().to_string();
    let active_deals = p.deals.iter().any(|d| d.status == "active");
    let awarded = p.awards.iter().any(|a| a.status == "active");
    let (ok, en, cs) = match step {
        "edit" => (
            matches!(p.status.as_str(), status::PLANNING | status::ACTIVE) && !awarded,
            "Once a supplier is chosen, or the procurement has ended, its call no longer changes.",
            "Po výběru dodavatele nebo po skončení zakázky se zadávací podmínky už nemění.",
        ),
        "publish" => (
            p.status == status::PLANNING,
            "The call is already out.",
            "Výzva už je uveřejněna.",
        ),
        "answer" => (
            p.tendering(),
            "Requests for clarification are answered while the procurement is being tendered.",
            "Na žádosti o vysvětlení se odpovídá, dokud běží zadávání.",
        ),
        "bid" if !p.tendering() => (
            false,
            "Bids are recorded while the procurement is being tendered.",
            "Nabídky se zapisují, dokud běží zadávání.",
        ),
        "bid" => (
            p.bids_due(&today) && p.open_lots().next().is_some(),
            "Bids are recorded from the last day for them, when they are opened, on the lots still open: until then they stay sealed, and who bid is not published.",
            "Nabídky se zapisují od posledního dne lhůty, kdy se otevírají, a jen do částí, které jsou stále otevřené: do té doby zůstávají zapečetěné a kdo je podal, se nezveřejňuje.",
        ),
        "award" => (
            p.tendering() && p.bids.iter().any(|b| p.open_lots().any(|l| l.id == b.lot)),
            "There is no bid on a lot still open.",
            "Na žádnou dosud otevřenou část není nabídka.",
        ),
        "close" => (
            p.tendering() && p.open_lots().next().is_some(),
            "No lot is still open.",
            "Žádná část nezůstává otevřená.",
        ),
        "contract" => (
            p.awards
                .iter()
                .any(|a| a.status == "active" && p.deal_of(&a.id).is_none()),
            "Every chosen supplier has its contract.",
            "Každý vybraný dodavatel už má smlouvu.",
        ),
        "amend" | "pay" | "milestone" | "finish" => (
            active_deals,
            "There is no contract in force.",
            "Není žádná smlouva v plnění.",
        ),
        "cancel" => (
            matches!(
                p.status.as_str(),
                status::PLANNING | status::ACTIVE | status::COMPLETE
            ) && p.deals.is_empty(),
            "A procurement can be cancelled until its contract is signed.",
            "Zakázku lze zrušit, dokud není uzavřena smlouva.",
        ),
        _ => return None,
    };
    if ok { None } else { Some(ctx.tr(en, cs)) }
}

/// Takes `step` of process `id` as the form says.
pub fn take(ctx: &Context, id: &str, step: &str, form: &FormPost) -> Result<Outcome> {
    clerk(ctx)?;
    let doc = process(id)?;
    if let Some(why) = refusal(ctx, &doc.data, step) {
        return Err(Error::invalid(step, why));
    }
    let p = doc.data.clone();
    let read = match step {
        "edit" => read_process(ctx, form, p).map(|p| {
            let tags = if p.tendering() {
                vec![tag::TENDER_AMENDMENT]
            } else {
                vec![tag::PLANNING_UPDATE]
            };
            let text = format!("{}: the call changed", p.title);
            (p, tags, "procurement.change", text)
        }),
        "publish" => publish(ctx, form, p),
        "answer" => answer(ctx, form, p),
        "close" => close(ctx, form, p),
        "bid" => bid(ctx, form, p),
        "award" => award(ctx, form, p),
        "contract" => contract(ctx, form, p),
        "amend" => amend(ctx, form, p),
        "pay" => pay(ctx, form, p),
        "milestone" => milestone(ctx, form, p),
        "finish" => finish(ctx, form, p),
        "cancel" => cancel(ctx, form, p),
        other => return Err(Error::not_found(format!("no step {other}"))),
    };
    match read {
        Ok((p, tags, action, text)) => commit(ctx, &doc.id, doc.version, p, &tags, action, text),
        Err(errors) => Ok(Outcome::Show(crate::pages::step_view(
            ctx,
            &doc.id,
            &doc.data,
            step,
            Some(form),
            &errors,
        )?)),
    }
}

type Step = std::result::Result<(Process, Vec<&'static str>, &'static str, String), Errors>;

fn publish(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    p.tender_start = r.date("start", true, false);
    p.tender_end = r.date("end", true, false);
    if !p.tender_start.is_empty() && !p.tender_end.is_empty() && p.tender_end < p.tender_start {
        r.fail(
            "end",
            "The last day for bids comes after the call is published.",
            "Lhůta pro nabídky končí až po uveřejnění výzvy.",
        );
    }
    p.status = status::ACTIVE.into();
    let text = format!("{}: the call is out until {}", p.title, p.tender_end);
    r.done((p, vec![tag::TENDER], "procurement.publish", text))
}

fn answer(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let question = r.text("question", true, MAX_TEXT);
    let answer = r.text("answer", true, MAX_TEXT);
    let date = r.date("date", true, true);
    r.room("question", p.enquiries.len(), MAX_ANSWERS);
    let n = p.enquiries.len() + 1;
    p.enquiries.push(Enquiry {
        id: format!("enquiry-{n}"),
        date,
        question,
        answer,
    });
    let text = format!("{}: question {n} answered", p.title);
    r.done((p, vec![tag::TENDER_UPDATE], "procurement.answer", text))
}

fn bid(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let lot = if p.live_lots().count() == 1 {
        p.live_lots()
            .next()
            .map(|l| l.id.clone())
            .unwrap_or_default()
    } else {
        r.text("lot", true, 30)
    };
    if p.lot(&lot).is_none() {
        r.fail("lot", "Choose the lot.", "Vyberte část.");
    }
    let name = r.text("name", true, MAX_TITLE);
    let ico_given = r.text("ico", true, 8);
    if !ico_given.is_empty() && !ico::is_valid(&ico_given) {
        r.fail(
            "ico",
            "This is not an IČO: eight digits whose last is the check digit.",
            "Toto není IČO: osm číslic, poslední je kontrolní.",
        );
    }
    if p.bids.iter().any(|b| b.lot == lot && b.ico == ico_given) {
        r.fail(
            "ico",
            "This bidder's bid on the lot is already recorded.",
            "Nabídka tohoto dodavatele na tuto část už je zapsána.",
        );
    }
    if !p.open_lots().any(|l| l.id == lot) && p.lot(&lot).is_some() {
        r.fail(
            "lot",
            "The lot is no longer open.",
            "Část už není otevřená.",
        );
    }
    let amount = r.amount("amount", true).unwrap_or(0.0);
    let received = r.date("received", true, true);
    if !received.is_empty() && (received < p.tender_start || received > p.tender_end) {
        let (en, cs) = (
            format!(
                "A bid counts when it comes while the call is out, from {} to {}.",
                date_text(ctx, &p.tender_start),
                date_text(ctx, &p.tender_end)
            ),
            format!(
                "Nabídka se počítá, přišla-li během lhůty, od {} do {}.",
                date_text(ctx, &p.tender_start),
                date_text(ctx, &p.tender_end)
            ),
        );
        r.fail("received", &en, &cs);
    }
    r.room("name", p.bids.len(), MAX_BIDS);
    let n = p.bids.len() + 1;
    let text = format!("{name} ({ico_given}) bid {amount} CZK");
    p.bids.push(Bid {
        id: format!("bid-{n}"),
        lot,
        name,
        ico: ico_given,
        amount,
        received,
    });
    r.done((p, vec![tag::TENDER_UPDATE], "procurement.bid", text))
}

fn award(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let chosen = r.text("bid", true, 30);
    let date = r.date("date", true, true);
    let evaluation = r.text("evaluation", false, MAX_TEXT);
    let Some(b) = p
        .bid(&chosen)
        .cloned()
        .filter(|b| p.open_lots().any(|l| l.id == b.lot))
    else {
        r.fail(
            "bid",
            "Choose a bid on a lot not yet awarded.",
            "Vyberte nabídku na dosud nezadanou část.",
        );
        return r.done((p, Vec::new(), "", String::new()));
    };
    let n = p.awards.len() + 1;
    p.awards.push(Award {
        id: format!("award-{n}"),
        lot: b.lot.clone(),
        bid: b.id.clone(),
        date,
        status: "active".into(),
        evaluation,
    });
    let text = format!("{} awarded to {} ({})", b.lot, b.name, b.ico);
    r.done((p, vec![tag::AWARD], "procurement.award", text))
}

fn contract(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let award = r.text("award", true, 30);
    let signed = r.date("signed", true, true);
    let start = r.date("start", false, false);
    let end = r.date("end", false, false);
    if !start.is_empty() && !end.is_empty() && end < start {
        r.fail(
            "end",
            "Performance cannot end before it starts.",
            "Konec plnění nesmí předcházet jeho začátku.",
        );
    }
    let value = r.amount("value", false);
    let registry = r.text("registry", false, 100);
    let Some(a) = p
        .awards
        .iter()
        .find(|a| a.id == award && a.status == "active" && p.deal_of(&a.id).is_none())
        .cloned()
    else {
        r.fail(
            "award",
            "Choose a supplier chosen who has no contract yet.",
            "Vyberte výběr dodavatele, ke kterému ještě není smlouva.",
        );
        return r.done((p, Vec::new(), "", String::new()));
    };
    if !signed.is_empty() && signed < a.date {
        let (en, cs) = (
            format!(
                "The contract can be signed only after the supplier was chosen (on {}).",
                date_text(ctx, &a.date)
            ),
            format!(
                "Smlouvu lze uzavřít až po výběru dodavatele (ze dne {}).",
                date_text(ctx, &a.date)
            ),
        );
        r.fail("signed", &en, &cs);
    }
    let value = value.unwrap_or_else(|| p.bid(&a.bid).map_or(0.0, |b| b.amount));
    let n = p.deals.len() + 1;
    p.deals.push(Deal {
        id: format!("contract-{n}"),
        award: a.id.clone(),
        signed,
        start,
        end,
        value,
        registry: registry.clone(),
        status: "active".into(),
        ..Deal::default()
    });
    let text = format!(
        "contract for {} signed, {value} CZK; registry {registry}",
        a.id
    );
    r.done((p, vec![tag::CONTRACT], "procurement.contract", text))
}

/// The active contract the form names.
fn deal_at(r: &mut Read, p: &Process) -> Option<usize> {
    let id = r.text("deal", true, 30);
    let at = p
        .deals
        .iter()
        .position(|d| d.id == id && d.status == "active");
    if at.is_none() {
        r.fail(
            "deal",
            "Choose a contract in force.",
            "Vyberte smlouvu v plnění.",
        );
    }
    at
}

fn amend(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let at = deal_at(&mut r, &p);
    let date = r.date("date", true, true);
    let rationale = r.text("rationale", true, MAX_TEXT);
    let value = r.amount("value", false);
    let Some(at) = at else {
        return r.done((p, Vec::new(), "", String::new()));
    };
    let d = &mut p.deals[at];
    if !date.is_empty() && date < d.signed {
        r.fail(
            "date",
            "An amendment cannot come before the contract.",
            "Dodatek nelze uzavřít před smlouvou.",
        );
    }
    r.room("rationale", d.amendments.len(), MAX_AMENDMENTS);
    let n = d.amendments.len() + 1;
    d.amendments.push(Amendment {
        id: format!("{}-amendment-{n}", d.id),
        date,
        rationale: rationale.clone(),
        value,
    });
    if let Some(v) = value {
        d.value = v;
    }
    let text = format!("{} amended: {rationale}", d.id);
    r.done((p, vec![tag::CONTRACT_AMENDMENT], "procurement.amend", text))
}

fn pay(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let at = deal_at(&mut r, &p);
    let date = r.date("date", true, true);
    let amount = r.amount("amount", true).unwrap_or(0.0);
    let invoice = r.text("invoice", false, 100);
    let Some(at) = at else {
        return r.done((p, Vec::new(), "", String::new()));
    };
    let d = &mut p.deals[at];
    r.room("amount", d.payments.len(), MAX_PAYMENTS);
    let n = d.payments.len() + 1;
    d.payments.push(Payment {
        id: format!("{}-payment-{n}", d.id),
        date,
        amount,
        invoice,
    });
    let text = format!("{} paid {amount} CZK", d.id);
    r.done((p, vec![tag::IMPLEMENTATION], "procurement.pay", text))
}

fn milestone(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let at = deal_at(&mut r, &p);
    let title = r.text("title", true, MAX_TITLE);
    let due = r.date("due", false, false);
    let met = r.date("met", false, true);
    let Some(at) = at else {
        return r.done((p, Vec::new(), "", String::new()));
    };
    let d = &mut p.deals[at];
    let text = match d
        .milestones
        .iter_mut()
        .find(|m| m.title == title && m.met.is_empty())
    {
        Some(m) => {
            if met.is_empty() {
                r.fail(
                    "met",
                    "Give the day it was met: it is already recorded.",
                    "Uveďte den splnění: milník už je zapsán.",
                );
            }
            m.met = met.clone();
            if !due.is_empty() {
                m.due = due;
            }
            format!("{}: {title} met {met}", d.id)
        }
        None => {
            if due.is_empty() && met.is_empty() {
                r.fail(
                    "due",
                    "Give the day it is due, or the day it was met.",
                    "Uveďte termín nebo den splnění.",
                );
            }
            r.room("title", d.milestones.len(), MAX_PAYMENTS);
            let n = d.milestones.len() + 1;
            d.milestones.push(Milestone {
                id: format!("{}-milestone-{n}", d.id),
                title: title.clone(),
                due,
                met,
            });
            format!("{}: milestone {title}", d.id)
        }
    };
    r.done((p, vec![tag::IMPLEMENTATION], "procurement.milestone", text))
}

fn finish(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let at = deal_at(&mut r, &p);
    let Some(at) = at else {
        return r.done((p, Vec::new(), "", String::new()));
    };
    p.deals[at].status = "terminated".into();
    let text = format!("{} ended", p.deals[at].id);
    r.done((
        p,
        vec![tag::CONTRACT_TERMINATION],
        "procurement.finish",
        text,
    ))
}

fn cancel(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let outcome = r.text("outcome", true, 20);
    let reason = r.text("reason", true, MAX_TEXT);
    if ![status::UNSUCCESSFUL, status::CANCELLED].contains(&outcome.as_str()) {
        r.fail("outcome", "Choose why it ends.", "Vyberte, proč končí.");
    } else if outcome == status::UNSUCCESSFUL && p.status == status::PLANNING {
        r.fail(
            "outcome",
            "A procurement whose call is not out received no bid: it is cancelled.",
            "Zakázka, jejíž výzva nebyla uveřejněna, nabídky nedostala: ruší se.",
        );
    }
    r.room("reason", p.amendments.len(), MAX_AMENDMENTS);
    let n = p.amendments.len() + 1;
    p.amendments.push(Amendment {
        id: format!("tender-amendment-{n}"),
        date: calendar::today().to_string(),
        rationale: reason.clone(),
        value: None,
    });
    // Suppliers chosen are chosen no more.
    let mut tags = vec![tag::TENDER_CANCELLATION];
    for a in p.awards.iter_mut().filter(|a| a.status == "active") {
        a.status = "cancelled".into();
        if !tags.contains(&tag::AWARD_CANCELLATION) {
            tags.push(tag::AWARD_CANCELLATION);
        }
    }
    p.status = outcome;
    let text = format!("{}: {reason}", p.status);
    r.done((p, tags, "procurement.cancel", text))
}

fn close(ctx: &Context, form: &FormPost, mut p: Process) -> Step {
    let mut r = Read::new(ctx, form);
    let lot = r.text("lot", true, 30);
    let reason = r.text("reason", true, MAX_TEXT);
    let Some(at) = p
        .lots
        .iter()
        .position(|l| l.id == lot && p.open_lots().any(|o| o.id == l.id))
    else {
        r.fail(
            "lot",
            "Choose a lot still open.",
            "Vyberte část, která je stále otevřená.",
        );
        return r.done((p, Vec::new(), "", String::new()));
    };
    p.lots[at].status = "unsuccessful".into();
    p.lots[at].reason = reason.clone();
    let text = format!("{} closed without an award: {reason}", p.lots[at].id);
    r.done((p, vec![tag::TENDER_UPDATE], "procurement.close", text))
}
