//! Maintenance as a CMMS keeps it: plans by time or by meter reading that
//! give work orders when due, faults the staff report that the technician
//! accepts as work orders, each order with its checklist, and every
//! asset's maintenance history on its card.

use chrono::{Datelike, Duration};
use portico_sdk::audit;
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::recurrence::Schedule;
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, NoticeLevel, Outcome, Result, Stat, Table,
    TimelineEntry, View, calendar, numbers, segment,
};
use serde::{Deserialize, Serialize};

use crate::model::{self, ASSETS, Asset, Meter, Step, Stored, can, date_text};
use crate::places::{self, Errors};

/// The plans of preventive maintenance.
pub const PLANS: Collection = Collection::new("plans");
/// Work orders, and the faults reported before they become one.
pub const ORDERS: Collection = Collection::new("orders");

/// How many days before it is due a plan's work order is given.
const LEAD_DAYS: i64 = 7;
/// Work orders one list shows.
const LIST: u32 = 100;

/// What starts a plan's work.
pub mod trigger {
    /// Every so many days, weeks, months or years.
    pub const TIME: &str = "time";
    /// Every so many units on the asset's meter (hours, kilometres).
    pub const METER: &str = "meter";
}

/// Where a work order is.
pub mod order_state {
    /// Reported by the staff; the technician has not accepted it yet.
    pub const REQUESTED: &str = "requested";
    /// To be done.
    pub const OPEN: &str = "open";
    pub const DONE: &str = "done";
    /// A report the technician did not accept, with the reason.
    pub const REJECTED: &str = "rejected";
}

/// A plan of preventive maintenance of one asset.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Plan {
    /// The asset's inventory number, and how people name it.
    pub asset: String,
    pub asset_label: String,
    pub name: String,
    pub trigger: String,
    pub every: u32,
    /// For time: `day`, `week`, `month` or `year`; for a meter, its unit.
    pub unit: String,
    /// Time: the first day due, and the next.
    pub first: String,
    pub next: String,
    /// Meter: the reading the next work is due at.
    pub next_at: f64,
    pub checklist: Vec<String>,
    pub assignee: String,
    /// `active`, or `stopped`.
    pub state: String,
}

/// An item of a work order's checklist.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Check {
    pub item: String,
    pub done: bool,
}

/// A work order, or a fault reported that may become one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Order {
    /// `UDR-2026-000042`.
    pub number: String,
    /// The asset's inventory number (empty for a fault in a room), its
    /// name, and the key of the place.
    pub asset: String,
    pub asset_label: String,
    pub place: String,
    pub title: String,
    /// What the reporter wrote.
    pub text: String,
    /// `plan` or `request`, and the plan's id.
    pub source: String,
    pub plan: String,
    pub requested_by: String,
    /// The reporter's user id, to tell them how the fault ended.
    pub reporter: String,
    pub requested_on: String,
    pub due: String,
    pub state: String,
    pub assignee: String,
    pub checklist: Vec<Check>,
    pub done_on: String,
    pub done_by: String,
    /// What was done.
    pub work: String,
    pub cost: f64,
    pub reading: Option<f64>,
    pub reason: String,
    /// Photos and documents: the reporter's, and the technician's.
    pub files: Vec<Stored>,
    pub history: Vec<Step>,
}

impl Order {
    fn step(&mut self, ctx: &Context, what: &str, text: impl Into<String>) {
        self.history.push(Step::now(ctx.person(), what, text));
    }
}

pub fn can_maintain(ctx: &Context) -> bool {
    can(ctx, "maintain")
}

fn maintainer(ctx: &Context) -> Result<()> {
    if can_maintain(ctx) {
        return Ok(());
    }
    Err(Error::forbidden(ctx.tr(
        "Only the maintenance technician may do this.",
        "Toto smí jen technik údržby.",
    )))
}

pub fn order_state_name(ctx: &Context, s: &str) -> &'static str {
    match s {
        order_state::REQUESTED => ctx.tr("Reported, to accept", "Nahlášeno, k převzetí"),
        order_state::OPEN => ctx.tr("To be done", "K provedení"),
        order_state::DONE => ctx.tr("Done", "Hotovo"),
        _ => ctx.tr("Not accepted", "Nepřijato"),
    }
}

/// "every 12 months", "every 250 mth".
fn every_text(ctx: &Context, p: &Plan) -> String {
    let n = p.every;
    // Czech: každý měsíc, každé 3 měsíce, každých 6 měsíců.
    let forms: [&str; 4] = match p.unit.as_str() {
        "day" => ["day", "days", "den", "dny"],
        "week" => ["week", "weeks", "týden", "týdny"],
        "month" => ["month", "months", "měsíc", "měsíce"],
        "year" => ["year", "years", "rok", "roky"],
        unit => return format!("{} {n} {unit}", ctx.tr("every", "každých")),
    };
    let many = match p.unit.as_str() {
        "day" => "dní",
        "week" => "týdnů",
        "month" => "měsíců",
        _ => "let",
    };
    if !ctx.is_czech() {
        return if n == 1 {
            format!("every {}", forms[0])
        } else {
            format!("every {n} {}", forms[1])
        };
    }
    match n {
        1 => format!("každý {}", forms[2]),
        2..=4 => format!("každé {n} {}", forms[3]),
        _ => format!("každých {n} {many}"),
    }
}

/// The iCalendar rule of a plan by time.
fn schedule(p: &Plan) -> Option<Schedule> {
    let freq = match p.unit.as_str() {
        "day" => "DAILY",
        "week" => "WEEKLY",
        "month" => "MONTHLY",
        _ => "YEARLY",
    };
    let first = calendar::parse_date(&p.first)?;
    // A plan from the last day of a month keeps to the months' last days
    // (iCalendar would skip the months without a 31st).
    let last_day = (first + Duration::days(1)).day() == 1;
    let by_day = if last_day && matches!(freq, "MONTHLY" | "YEARLY") {
        if freq == "YEARLY" {
            format!(";BYMONTH={};BYMONTHDAY=-1", first.month())
        } else {
            ";BYMONTHDAY=-1".to_owned()
        }
    } else {
        String::new()
    };
    Schedule::parse(
        &format!("FREQ={freq};INTERVAL={}{by_day}", p.every.max(1)),
        first,
    )
    .ok()
}

/// The next number of a work order: `UDR-2026-000042`.
fn next_number() -> Result<String> {
    let year = calendar::today().format("%Y").to_string();
    let n = model::count(&format!("UDR-{year}"), || Ok(0))?;
    Ok(format!("UDR-{year}-{n:06}"))
}

/// A work order of plan `p`, due on `due`.
fn order_of(ctx: &Context, id: &str, p: &Plan, due: &str) -> Result<String> {
    let asset = model::asset(&p.asset)?;
    let mut o = Order {
        number: next_number()?,
        asset: p.asset.clone(),
        asset_label: p.asset_label.clone(),
        place: asset.data.place.clone(),
        title: p.name.clone(),
        source: "plan".into(),
        plan: id.into(),
        due: due.into(),
        state: order_state::OPEN.into(),
        assignee: p.assignee.clone(),
        checklist: p
            .checklist
            .iter()
            .map(|item| Check {
                item: item.clone(),
                done: false,
            })
            .collect(),
        ..Order::default()
    };
    if p.trigger == trigger::METER {
        let at = format!("{} {}", numbers::format(p.next_at, ctx.lang()), p.unit);
        o.step(ctx, "meter", at);
    } else {
        o.step(ctx, "planned", every_text(ctx, p));
    }
    ORDERS.insert(&o)?;
    audit::record(ctx, "assets.order-planned", &o.number, o.title.clone())?;
    Ok(o.number)
}

/// The daily job: each plan by time whose day comes within a week gets
/// its work order, and moves on to its next day.
pub fn run(ctx: &Context) -> Result<()> {
    let horizon = (calendar::today() + Duration::days(LEAD_DAYS)).to_string();
    let due = PLANS
        .find()
        .eq("trigger", trigger::TIME)
        .eq("state", "active")
        .le("next", &horizon)
        .sort("next")
        .fetch_all::<Plan>(5_000)?;
    for doc in due {
        // One plan that fails leaves the others their work.
        if let Err(e) = run_plan(ctx, doc) {
            portico_sdk::log::warn(format!("a maintenance plan gave no work order: {e}"));
        }
    }
    Ok(())
}

/// Gives plan `doc`'s work orders of each day due within the week (at
/// most a dozen: a plan left for long gives the latest), the plan moved
/// on first, so that two runs at once give them once. A plan of an asset
/// no longer held stops.
fn run_plan(ctx: &Context, doc: Document<Plan>) -> Result<()> {
    let horizon = (calendar::today() + Duration::days(LEAD_DAYS)).to_string();
    let mut p = doc.data;
    let held = model::asset(&p.asset).is_ok_and(|a| a.data.held == 1);
    let Some(rule) = schedule(&p).filter(|_| held) else {
        p.state = "stopped".into();
        return PLANS.update(&doc.id, doc.version, &p).map(drop);
    };
    let mut days = Vec::new();
    let mut next = calendar::parse_date(&p.next);
    while let Some(d) = next.filter(|d| d.to_string() <= horizon) {
        days.push(d.to_string());
        next = rule.next_from(d + Duration::days(1));
    }
    p.next = next.map(|d| d.to_string()).unwrap_or_default();
    if p.next.is_empty() {
        p.state = "stopped".into();
    }
    PLANS.update(&doc.id, doc.version, &p)?;
    let skip = days.len().saturating_sub(12);
    for day in &days[skip..] {
        order_of(ctx, &doc.id, &p, day)?;
    }
    Ok(())
}

/// The maintenance page: faults to accept, work to do, the plans, and
/// what was done lately.
pub fn home(ctx: &Context) -> Result<View> {
    let today = calendar::today().to_string();
    let orders = |state: &str, sort: &str| {
        ORDERS
            .find()
            .eq("state", state)
            .sort(sort)
            .limit(LIST)
            .fetch::<Order>()
    };
    let requested = orders(order_state::REQUESTED, "number")?.documents;
    let open = orders(order_state::OPEN, "due")?.documents;
    let done = ORDERS
        .find()
        .eq("state", order_state::DONE)
        .sort_desc("number")
        .limit(20)
        .fetch::<Order>()?
        .documents;
    let overdue = open.iter().filter(|o| o.data.due < today).count();
    let mut view = View::new(ctx.tr("Maintenance", "Údržba")).stats([
        Stat::new(
            ctx.tr("Faults to accept", "Závady k převzetí"),
            requested.len().to_string(),
        ),
        Stat::new(
            ctx.tr("Work orders to do", "Pracovní příkazy k provedení"),
            open.len().to_string(),
        ),
        Stat::new(ctx.tr("Overdue", "Po termínu"), overdue.to_string()),
    ]);
    if can(ctx, "report") {
        view = view.actions([Action::primary(
            ctx.tr("Report a fault", "Nahlásit závadu"),
            "/maintenance/report",
        )]);
    }
    view = view
        .table(
            order_table(
                ctx,
                ctx.tr("Faults reported", "Nahlášené závady"),
                &requested,
            )
            .empty_text(ctx.tr("No fault is waiting.", "Žádná závada nečeká.")),
        )
        .table(
            order_table(
                ctx,
                ctx.tr("Work orders to do", "Pracovní příkazy k provedení"),
                &open,
            )
            .empty_text(ctx.tr("No work is waiting.", "Žádná práce nečeká.")),
        );
    let plans = PLANS
        .find()
        .eq("state", "active")
        .sort("asset")
        .fetch_all::<Plan>(1_000)?;
    view = view
        .table(plan_table(ctx, &plans).empty_text(ctx.tr(
            "No plan yet: plan the maintenance of an asset from its card.",
            "Zatím žádný plán: údržbu majetku naplánujete z jeho karty.",
        )))
        .table(
            order_table(ctx, ctx.tr("Done lately", "Nedávno dokončeno"), &done)
                .empty_text(ctx.tr("Nothing done yet.", "Zatím nic nedokončeno.")),
        );
    Ok(view)
}

/// A table of work orders.
pub fn order_table(ctx: &Context, title: &str, orders: &[Document<Order>]) -> Table {
    let mut table = Table::new(title)
        .column(ctx.tr("Number", "Číslo"))
        .column(ctx.tr("Title", "Název"))
        .column(ctx.tr("Asset or place", "Majetek nebo místo"))
        .column(ctx.tr("Due", "Termín"))
        .column(ctx.tr("State", "Stav"));
    for o in orders {
        let d = &o.data;
        let what = if d.asset_label.is_empty() {
            model::path_of(&d.place)
        } else {
            d.asset_label.clone()
        };
        let when = if d.state == order_state::DONE {
            date_text(ctx, &d.done_on)
        } else {
            date_text(ctx, &d.due)
        };
        table = table.row([
            Cell::link(
                d.number.clone(),
                format!("/maintenance/orders/{}", segment(&o.id)),
            ),
            d.title.clone().into(),
            what.into(),
            when.into(),
            order_state_name(ctx, &d.state).into(),
        ]);
    }
    table
}

fn plan_table(ctx: &Context, plans: &[Document<Plan>]) -> Table {
    let mut table = Table::new(ctx.tr("Maintenance plans", "Plány údržby"))
        .column(ctx.tr("Plan", "Plán"))
        .column(ctx.tr("Asset", "Majetek"))
        .column(ctx.tr("How often", "Jak často"))
        .column(ctx.tr("Next", "Příště"));
    for p in plans {
        let d = &p.data;
        let next = if d.trigger == trigger::METER {
            format!("{} {}", numbers::format(d.next_at, ctx.lang()), d.unit)
        } else {
            date_text(ctx, &d.next)
        };
        let name: Cell = if can_maintain(ctx) {
            Cell::link(
                d.name.clone(),
                format!("/maintenance/plans/{}", segment(&p.id)),
            )
        } else {
            d.name.clone().into()
        };
        table = table.row([
            name,
            Cell::link(
                d.asset_label.clone(),
                format!("/assets/{}", segment(&d.asset)),
            ),
            every_text(ctx, d).into(),
            next.into(),
        ]);
    }
    table
}

/// What the asset's card shows of its maintenance: its meter, its plans
/// and its work orders, newest first.
pub fn on_card(ctx: &Context, a: &Asset, plans: &[Document<Plan>], mut view: View) -> Result<View> {
    let orders = ORDERS
        .find()
        .eq("asset", &a.card.number)
        .sort_desc("number")
        .limit(50)
        .fetch::<Order>()?
        .documents;
    if plans.is_empty() && orders.is_empty() && a.meter.is_none() {
        return Ok(view);
    }
    view = view.heading_at(2, ctx.tr("Maintenance", "Údržba"));
    if let Some(m) = &a.meter {
        view = view.key_values([(
            ctx.tr("Meter", "Stav měřidla").to_owned(),
            format!(
                "{} {} ({})",
                numbers::format(m.value, ctx.lang()),
                m.unit,
                date_text(ctx, &m.on)
            ),
        )]);
    }
    if !plans.is_empty() {
        view = view.table(plan_table(ctx, plans));
    }
    if !orders.is_empty() {
        view = view.table(order_table(
            ctx,
            ctx.tr("Maintenance history", "Historie údržby"),
            &orders,
        ));
    }
    Ok(view)
}

/// The active plans of asset `a`, the next due first: for its card.
pub fn plans_of(a: &Asset) -> Result<Vec<Document<Plan>>> {
    let mut plans: Vec<Document<Plan>> = PLANS
        .find()
        .eq("asset", &a.card.number)
        .fetch_all::<Plan>(100)?
        .into_iter()
        .filter(|p| p.data.state == "active")
        .collect();
    plans.sort_by(|x, y| x.data.next.cmp(&y.data.next));
    Ok(plans)
}

/// The asset's steps of maintenance, for its card.
pub fn actions(ctx: &Context, id: &str, a: &Asset, plans: &[Document<Plan>]) -> Vec<Action> {
    let mut out = Vec::new();
    if a.held == 0 {
        return out;
    }
    if can(ctx, "report") {
        out.push(Action::secondary(
            ctx.tr("Report a fault", "Nahlásit závadu"),
            format!("/maintenance/report?asset={}", segment(id)),
        ));
    }
    if can_maintain(ctx) {
        out.push(Action::secondary(
            ctx.tr("Plan maintenance", "Naplánovat údržbu"),
            format!("/maintenance/plans/new?asset={}", segment(id)),
        ));
        if a.meter.is_some() || plans.iter().any(|p| p.data.trigger == trigger::METER) {
            out.push(Action::secondary(
                ctx.tr("Enter a meter reading", "Zapsat stav měřidla"),
                format!("/maintenance/readings/{}", segment(id)),
            ));
        }
    }
    out
}

/// The form to report a fault of an asset, or in a place.
pub fn report_view(
    ctx: &Context,
    asset: Option<&str>,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let v = |name: &str| FormPost::shown(form, name, "");
    let f = |field: Field| field.error_among(errors);
    let action = match asset {
        Some(id) => format!("/maintenance/report?asset={}", segment(id)),
        None => "/maintenance/report".to_owned(),
    };
    let mut form_ = Form::new(action, ctx.tr("Report", "Nahlásit"));
    let mut view = View::new(ctx.tr("Report a fault", "Nahlásit závadu"));
    match asset {
        Some(id) => {
            let a = model::asset(id)?.data;
            view = view.text(format!(
                "{}: {} {}",
                ctx.tr("Asset", "Majetek"),
                a.card.number,
                a.card.name
            ));
        }
        None => {
            let mut choices = vec![(
                String::new(),
                ctx.tr("— choose —", "— vyberte —").to_owned(),
            )];
            choices.extend(places::choices()?);
            form_ = form_.field(f(Field::select("place", ctx.tr("Where", "Kde"), choices)
                .required()
                .selected([v("place")])));
        }
    }
    form_ = form_
        .field(f(Field::text(
            "title",
            ctx.tr("What is wrong, in brief", "Co je špatně, stručně"),
        )
        .required()
        .value(v("title"))))
        .field(f(Field::textarea("text", ctx.tr("Describe it", "Popis"))
            .value(v("text"))
            .help(ctx.tr(
                "Since when, how it shows, whether it is dangerous.",
                "Od kdy, jak se projevuje, zda hrozí nebezpečí.",
            ))))
        .field(f(Field::file(
            "photo",
            ctx.tr("Photo (optional)", "Fotografie (nepovinné)"),
        )
        .accept("image/jpeg,image/png,image/webp")));
    Ok(view.form(form_))
}

/// Reports a fault: it waits, numbered, for the technician.
pub fn report(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    if !can(ctx, "report") {
        return Err(Error::forbidden(ctx.tr(
            "You may not report faults here.",
            "Závady zde hlásit nemůžete.",
        )));
    }
    let asset = form.query("asset").filter(|a| !a.is_empty());
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let mut errors = Errors::new();
    let mut o = Order {
        title: text("title"),
        text: text("text"),
        source: "request".into(),
        state: order_state::REQUESTED.into(),
        requested_by: ctx.person(),
        reporter: ctx.actor(),
        requested_on: calendar::today().to_string(),
        ..Order::default()
    };
    match asset {
        Some(id) => {
            let a = model::asset(id)?;
            if a.data.held == 0 {
                return Err(Error::not_found(format!("asset {id} is no longer held")));
            }
            o.asset = a.data.card.number.clone();
            o.asset_label = format!("{} {}", a.data.card.number, a.data.card.name);
            o.place = a.data.place.clone();
        }
        None => {
            o.place = text("place");
            if !matches!(model::place_by_key(&o.place), Ok(Some(_))) {
                errors.push((
                    "place".into(),
                    ctx.tr(
                        "Choose the place from the list.",
                        "Vyberte místo ze seznamu.",
                    )
                    .into(),
                ));
            }
        }
    }
    written(ctx, &mut errors, "title", &o.title, 200);
    if o.text.chars().count() > 4_000 {
        errors.push((
            "text".into(),
            ctx.tr("At most 4,000 characters.", "Nejvýše 4 000 znaků.")
                .into(),
        ));
    }
    let photo = upload(ctx, form, "photo", &mut errors, false)?;
    if !errors.is_empty() {
        return Ok(Outcome::Show(report_view(ctx, asset, Some(form), &errors)?));
    }
    if let Some(p) = photo {
        o.files.push(p);
    }
    o.number = next_number()?;
    o.step(ctx, "reported", o.title.clone());
    let id = ORDERS.insert(&o)?.id;
    audit::record(ctx, "assets.fault-reported", &o.number, o.title.clone())?;
    Ok(Outcome::redirect_with(
        format!("/maintenance/orders/{}", segment(&id)),
        format!(
            "{} {}",
            ctx.tr(
                "Reported; the technician will take it over. Its number:",
                "Nahlášeno; technik údržby závadu převezme. Její číslo:"
            ),
            o.number
        ),
    ))
}

/// Requires `value`, at most `max` characters.
fn written(ctx: &Context, errors: &mut Errors, field: &str, value: &str, max: usize) {
    if value.is_empty() {
        errors.push((
            field.into(),
            ctx.tr("Fill this in.", "Vyplňte prosím.").into(),
        ));
    } else if value.chars().count() > max {
        errors.push((field.into(), model::too_long(ctx, max)));
    }
}

/// The file uploaded as `name`, stored, if one was: a photo (JPEG, PNG,
/// WebP), or also a PDF when `documents`; what its content says it is,
/// not what its name says.
pub fn upload(
    ctx: &Context,
    form: &FormPost,
    name: &str,
    errors: &mut Errors,
    documents: bool,
) -> Result<Option<Stored>> {
    let Some(file) = form.file(name).filter(|f| !f.content.is_empty()) else {
        return Ok(None);
    };
    let media = portico_sdk::files::media_type_of(&file.content);
    let taken = match media {
        Some("image/jpeg" | "image/png" | "image/webp") => true,
        Some("application/pdf") => documents,
        _ => false,
    };
    if file.content.len() > 10 << 20 {
        errors.push((
            name.into(),
            ctx.tr(
                "The file is larger than 10 MB.",
                "Soubor je větší než 10 MB.",
            )
            .into(),
        ));
        return Ok(None);
    }
    if !taken {
        errors.push((
            name.into(),
            if documents {
                ctx.tr(
                    "Attach a PDF, or a photo as JPEG, PNG or WebP.",
                    "Přiložte PDF, nebo fotografii ve formátu JPEG, PNG či WebP.",
                )
            } else {
                ctx.tr(
                    "Attach a photo as JPEG, PNG or WebP.",
                    "Přiložte fotografii ve formátu JPEG, PNG či WebP.",
                )
            }
            .into(),
        ));
        return Ok(None);
    }
    if !errors.is_empty() {
        return Ok(None);
    }
    let media = media.unwrap_or_default();
    let stored = portico_sdk::files::store(
        &file.filename,
        media,
        &file.content,
        portico_sdk::files::Mark::S,
        10,
    )?;
    Ok(Some(Stored {
        id: stored.id,
        name: file.filename.clone(),
        title: String::new(),
        media_type: media.into(),
        size: stored.size,
        on: calendar::today().to_string(),
        by: ctx.person(),
    }))
}

/// A work order's page, with the technician's next step.
pub fn order_view(
    ctx: &Context,
    id: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let doc = ORDERS.get::<Order>(id)?;
    let o = &doc.data;
    let mut facts: Vec<(String, String)> = vec![
        (ctx.tr("Number", "Číslo").into(), o.number.clone()),
        (
            ctx.tr("State", "Stav").into(),
            order_state_name(ctx, &o.state).into(),
        ),
    ];
    let mut fact = |label: &str, value: String| {
        if !value.is_empty() {
            facts.push((label.to_owned(), value));
        }
    };
    fact(ctx.tr("Asset", "Majetek"), o.asset_label.clone());
    fact(ctx.tr("Where", "Umístění"), model::path_of(&o.place));
    if !o.requested_by.is_empty() {
        fact(
            ctx.tr("Reported", "Nahlášeno"),
            format!("{}, {}", date_text(ctx, &o.requested_on), o.requested_by),
        );
    }
    fact(ctx.tr("Description", "Popis"), o.text.clone());
    fact(ctx.tr("Due", "Termín"), date_text(ctx, &o.due));
    fact(ctx.tr("Assigned to", "Provede"), o.assignee.clone());
    fact(
        ctx.tr("Done on", "Provedeno dne"),
        date_text(ctx, &o.done_on),
    );
    fact(ctx.tr("Done by", "Provedl(a)"), o.done_by.clone());
    fact(ctx.tr("Work done", "Provedená práce"), o.work.clone());
    if o.cost > 0.0 {
        fact(ctx.tr("Cost", "Náklady"), model::czk(ctx, o.cost));
    }
    if let Some(r) = o.reading {
        fact(
            ctx.tr("Meter reading", "Stav měřidla"),
            numbers::format(r, ctx.lang()),
        );
    }
    fact(
        ctx.tr("Why not accepted", "Důvod nepřijetí"),
        o.reason.clone(),
    );
    let mut view = View::new(format!("{} {}", o.number, o.title)).key_values(facts);
    let mut actions = vec![Action::secondary(
        ctx.tr("Maintenance", "Údržba"),
        "/maintenance",
    )];
    if !o.asset.is_empty() {
        actions.push(Action::secondary(
            ctx.tr("The asset's card", "Karta majetku"),
            format!("/assets/{}", segment(&o.asset)),
        ));
    }
    view = view.actions(actions);
    if !o.checklist.is_empty() && o.state != order_state::OPEN {
        let mut table = Table::new(ctx.tr("Checklist", "Kontrolní seznam"))
            .column(ctx.tr("Item", "Úkon"))
            .column(ctx.tr("Done", "Provedeno"));
        for c in &o.checklist {
            table = table.row([
                Cell::from(c.item.clone()),
                if c.done {
                    ctx.tr("Yes", "Ano")
                } else {
                    ctx.tr("No", "Ne")
                }
                .into(),
            ]);
        }
        view = view.table(table);
    }
    if !o.files.is_empty() {
        view = view.table(files_table(
            ctx,
            ctx.tr("Photos and documents", "Fotografie a dokumenty"),
            id,
            &o.files,
        ));
    }
    if can_maintain(ctx) {
        view = order_forms(ctx, id, o, form, errors, view);
    }
    let steps: Vec<TimelineEntry> = o
        .history
        .iter()
        .rev()
        .map(|s| {
            TimelineEntry::new(
                calendar::format_stamp(&s.at, ctx.lang()),
                step_name(ctx, &s.what),
            )
            .text(format!("{} ({})", s.text, s.by))
        })
        .collect();
    Ok(view
        .heading_at(2, ctx.tr("History", "Historie"))
        .timeline(steps))
}

fn step_name(ctx: &Context, what: &str) -> String {
    match what {
        "reported" => ctx.tr("Fault reported", "Závada nahlášena"),
        "planned" => ctx.tr("Given by the plan", "Vystaveno podle plánu"),
        "meter" => ctx.tr("Given by the meter", "Vystaveno podle měřidla"),
        "accepted" => ctx.tr("Accepted as a work order", "Převzato jako pracovní příkaz"),
        "rejected" => ctx.tr("Not accepted", "Nepřijato"),
        _ => ctx.tr("Done", "Hotovo"),
    }
    .to_owned()
}

/// A table of stored files, each opened from `/files/{owner}/{file}`.
pub fn files_table(ctx: &Context, title: &str, owner: &str, files: &[Stored]) -> Table {
    let mut table = Table::new(title)
        .column(ctx.tr("File", "Soubor"))
        .column(ctx.tr("Kind", "Druh"))
        .numeric_column(ctx.tr("Size (kB)", "Velikost (kB)"))
        .column(ctx.tr("Added", "Přidáno"));
    for f in files {
        let title = if f.title.is_empty() {
            &f.name
        } else {
            &f.title
        };
        table = table.row([
            Cell::link(
                title.clone(),
                format!("/files/{}/{}", segment(owner), segment(&f.id)),
            ),
            if f.media_type.starts_with("image/") {
                ctx.tr("Photo", "Fotografie")
            } else {
                ctx.tr("Document (PDF)", "Dokument (PDF)")
            }
            .into(),
            numbers::format((f.size as f64 / 1024.0).ceil(), ctx.lang()).into(),
            format!("{}, {}", date_text(ctx, &f.on), f.by).into(),
        ]);
    }
    table
}

/// The technician's forms on a work order: accept or reject a fault,
/// complete a work order.
fn order_forms(
    ctx: &Context,
    id: &str,
    o: &Order,
    form: Option<&FormPost>,
    errors: &Errors,
    mut view: View,
) -> View {
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let step = |name: &str| format!("/maintenance/orders/{}/{name}", segment(id));
    let week = (calendar::today() + Duration::days(LEAD_DAYS)).to_string();
    match o.state.as_str() {
        order_state::REQUESTED => {
            view = view
                .heading_at(
                    2,
                    ctx.tr("Accept as a work order", "Převzít jako pracovní příkaz"),
                )
                .form(
                    Form::new(step("accept"), ctx.tr("Accept", "Převzít"))
                        .field(f(Field::date("due", ctx.tr("Due", "Termín"))
                            .required()
                            .min(calendar::today().to_string())
                            .value(v("due", &week))))
                        .field(f(Field::text(
                            "assignee",
                            ctx.tr("Who does it", "Kdo provede"),
                        )
                        .value(v("assignee", &ctx.person()))))
                        .field(f(Field::textarea(
                            "checklist",
                            ctx.tr(
                                "Checklist, an item a line",
                                "Kontrolní seznam, úkon na řádek",
                            ),
                        )
                        .value(v("checklist", "")))),
                )
                .heading_at(2, ctx.tr("Do not accept", "Nepřijmout"))
                .form(
                    Form::new(step("reject"), ctx.tr("Do not accept", "Nepřijmout")).field(f(
                        Field::textarea("reason", ctx.tr("Why", "Důvod"))
                            .required()
                            .value(v("reason", "")),
                    )),
                );
        }
        order_state::OPEN => {
            let mut done = Form::new(step("done"), ctx.tr("Record as done", "Zapsat jako hotové"));
            if !o.checklist.is_empty() {
                let items: Vec<(String, String)> = o
                    .checklist
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i.to_string(), c.item.clone()))
                    .collect();
                let ticked: Vec<String> = form
                    .map(|p| p.all("checked").map(str::to_owned).collect())
                    .unwrap_or_default();
                done = done.field(f(Field::checkboxes(
                    "checked",
                    ctx.tr("Checklist", "Kontrolní seznam"),
                    items,
                )
                .selected(ticked)
                .help(ctx.tr(
                    "The work order is done only when every item is.",
                    "Pracovní příkaz je hotový, až když je proveden každý úkon.",
                ))));
            }
            done = done
                .field(f(Field::date(
                    "done_on",
                    ctx.tr("Done on", "Provedeno dne"),
                )
                .required()
                .max(calendar::today().to_string())
                .value(v("done_on", &calendar::today().to_string()))))
                .field(f(Field::textarea(
                    "work",
                    ctx.tr("Work done", "Provedená práce"),
                )
                .required()
                .value(v("work", ""))))
                .field(f(Field::number(
                    "cost",
                    ctx.tr("Cost (CZK)", "Náklady (Kč)"),
                )
                .min("0")
                .value(v("cost", ""))))
                .field(f(Field::number(
                    "reading",
                    ctx.tr("Meter reading (if it has one)", "Stav měřidla (má-li ho)"),
                )
                .min("0")
                .value(v("reading", ""))))
                .field(f(Field::file(
                    "file",
                    ctx.tr(
                        "Photo or report (optional)",
                        "Fotografie nebo protokol (nepovinné)",
                    ),
                )
                .accept("application/pdf,image/jpeg,image/png,image/webp")));
            view = view
                .heading_at(2, ctx.tr("Record the work", "Zapsat provedení"))
                .form(done);
        }
        _ => {}
    }
    view
}

/// A step of work order `id`: accept, reject, done.
pub fn take(ctx: &Context, id: &str, step: &str, form: &FormPost) -> Result<Outcome> {
    maintainer(ctx)?;
    let doc = ORDERS.get::<Order>(id)?;
    let mut o = doc.data.clone();
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let mut errors = Errors::new();
    let wanted = match step {
        "accept" | "reject" => order_state::REQUESTED,
        "done" => order_state::OPEN,
        other => return Err(Error::not_found(format!("no step {other}"))),
    };
    if o.state != wanted {
        return Ok(Outcome::Show(
            order_view(ctx, id, None, &Errors::new())?.notice(
                NoticeLevel::Warning,
                ctx.tr(
                    "Someone has taken this step already.",
                    "Tento krok už někdo provedl.",
                ),
            ),
        ));
    }
    let today = calendar::today();
    match step {
        "accept" => {
            match calendar::parse_date(&text("due")) {
                Some(d) if d >= today => o.due = d.to_string(),
                _ => errors.push((
                    "due".into(),
                    ctx.tr(
                        "The due day is today or later, as 2026-03-15.",
                        "Termín je dnes nebo později, ve tvaru 2026-03-15.",
                    )
                    .into(),
                )),
            }
            o.assignee = text("assignee");
            o.checklist = model::lines(&text("checklist"), 200)
                .into_iter()
                .map(|item| Check { item, done: false })
                .collect();
            if o.checklist.len() > 50 {
                errors.push((
                    "checklist".into(),
                    ctx.tr("At most 50 items.", "Nejvýše 50 úkonů.").into(),
                ));
            }
            if errors.is_empty() {
                o.state = order_state::OPEN.into();
                let due = date_text(ctx, &o.due);
                o.step(ctx, "accepted", due);
            }
        }
        "reject" => {
            o.reason = text("reason");
            written(ctx, &mut errors, "reason", &o.reason, 2_000);
            if errors.is_empty() {
                o.state = order_state::REJECTED.into();
                let reason = o.reason.clone();
                o.step(ctx, "rejected", reason);
            }
        }
        _ => {
            let ticked: Vec<usize> = form.all("checked").filter_map(|c| c.parse().ok()).collect();
            for (i, c) in o.checklist.iter_mut().enumerate() {
                c.done = ticked.contains(&i);
            }
            let left: Vec<&str> = o
                .checklist
                .iter()
                .filter(|c| !c.done)
                .map(|c| c.item.as_str())
                .collect();
            if !left.is_empty() {
                errors.push((
                    "checked".into(),
                    format!(
                        "{} {}",
                        ctx.tr("Not done yet:", "Ještě neprovedeno:"),
                        left.join("; ")
                    ),
                ));
            }
            match calendar::parse_date(&text("done_on")) {
                Some(d) if d <= today => o.done_on = d.to_string(),
                _ => errors.push((
                    "done_on".into(),
                    ctx.tr(
                        "The day is today or earlier, as 2026-03-15.",
                        "Den je dnes nebo dříve, ve tvaru 2026-03-15.",
                    )
                    .into(),
                )),
            }
            o.work = text("work");
            written(ctx, &mut errors, "work", &o.work, 4_000);
            o.cost = match amount(&text("cost")) {
                Some(n) => n,
                None => {
                    errors.push((
                        "cost".into(),
                        ctx.tr(
                            "The cost is an amount in CZK, e.g. 1 250.",
                            "Náklady jsou částka v Kč, např. 1 250.",
                        )
                        .into(),
                    ));
                    0.0
                }
            };
            let reading = text("reading");
            o.reading = None;
            if !reading.is_empty() {
                let last = model::asset(&o.asset).ok().and_then(|a| a.data.meter);
                match amount(&reading) {
                    Some(r) if let Some(back) = backwards(ctx, last.as_ref(), r) => {
                        errors.push(("reading".into(), back));
                    }
                    Some(r) if !o.asset.is_empty() => o.reading = Some(r),
                    _ => errors.push((
                        "reading".into(),
                        ctx.tr(
                            "A meter reading is a number, for an asset.",
                            "Stav měřidla je číslo, u majetku.",
                        )
                        .into(),
                    )),
                }
            }
            if let Some(file) = upload(ctx, form, "file", &mut errors, true)? {
                o.files.push(file);
            }
            if errors.is_empty() {
                o.state = order_state::DONE.into();
                o.done_by = ctx.person();
                let work = o.work.clone();
                o.step(ctx, "done", work);
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(order_view(ctx, id, Some(form), &errors)?));
    }
    ORDERS.update(id, doc.version, &o)?;
    audit::record(
        ctx,
        &format!("assets.order-{step}"),
        &o.number,
        o.title.clone(),
    )?;
    // The one who reported the fault hears how it ended.
    if !o.reporter.is_empty() && step != "accept" {
        portico_sdk::notify::send(
            portico_sdk::notify::To::User(&o.reporter),
            if step == "done" {
                "fault-done"
            } else {
                "fault-rejected"
            },
            &serde_json::json!({
                "number": o.number,
                "title": o.title,
                "asset": o.asset_label,
                "reported": o.requested_on,
                "work": o.work,
                "reason": o.reason,
                "path": format!("/maintenance/orders/{}", segment(id)),
            }),
        )?;
    }
    // What follows from the work done, once the order is: the meter's
    // reading (and the work it brings due), the asset's history.
    if let Some(r) = o.reading.filter(|_| step == "done") {
        read_meter(ctx, &o.asset, r, &o.done_on, None)?;
    }
    if step == "done" && !o.asset.is_empty() {
        let asset = model::asset(&o.asset)?;
        let mut a = asset.data;
        a.step(ctx, "maintained", format!("{} {}", o.number, o.title));
        ASSETS.update(&asset.id, asset.version, &a)?;
    }
    Ok(Outcome::redirect_with(
        format!("/maintenance/orders/{}", segment(id)),
        format!("{} {}", ctx.tr("Saved:", "Uloženo:"), o.number),
    ))
}

/// An amount as people write it (`1 250,50`); empty is zero.
fn amount(text: &str) -> Option<f64> {
    if text.trim().is_empty() {
        return Some(0.0);
    }
    numbers::parse(text).filter(|n| *n >= 0.0 && *n <= 1e12)
}

/// The form of a new plan of asset `asset`, or of plan `id`.
pub fn plan_view(
    ctx: &Context,
    asset: Option<&str>,
    id: Option<&str>,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let kept = match id {
        Some(id) => PLANS.get::<Plan>(id)?.data,
        None => {
            let a = model::asset(asset.unwrap_or_default())?;
            Plan {
                asset: a.data.card.number.clone(),
                asset_label: format!("{} {}", a.data.card.number, a.data.card.name),
                trigger: trigger::TIME.into(),
                every: 12,
                unit: "month".into(),
                first: (calendar::today() + Duration::days(30)).to_string(),
                state: "active".into(),
                ..Plan::default()
            }
        }
    };
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let action = match id {
        Some(id) => format!("/maintenance/plans/{}", segment(id)),
        None => format!("/maintenance/plans/new?asset={}", segment(&kept.asset)),
    };
    let time_unit = if kept.trigger == trigger::TIME {
        kept.unit.as_str()
    } else {
        "month"
    };
    let meter_unit = if kept.trigger == trigger::METER {
        kept.unit.as_str()
    } else {
        ""
    };
    let next_at = if kept.next_at > 0.0 {
        kept.next_at.to_string()
    } else {
        String::new()
    };
    let mut form_ = Form::new(action, ctx.tr("Save the plan", "Uložit plán"))
        .field(f(Field::text(
            "name",
            ctx.tr("What is done", "Co se provádí"),
        )
        .required()
        .value(v("name", &kept.name))
        .help(ctx.tr(
            "E.g. the yearly revision of the gas boiler.",
            "Např. roční revize plynového kotle.",
        ))))
        .field(f(Field::radio(
            "trigger",
            ctx.tr("When it is due", "Kdy je na řadě"),
            [
                (trigger::TIME, ctx.tr("After a time", "Po uplynutí doby")),
                (
                    trigger::METER,
                    ctx.tr(
                        "By the meter (hours, kilometres)",
                        "Podle měřidla (motohodiny, kilometry)",
                    ),
                ),
            ],
        )
        .required()
        .selected([v("trigger", &kept.trigger)])))
        .field(f(Field::number("every", ctx.tr("Every", "Každých"))
            .required()
            .min("1")
            .value(v("every", &kept.every.to_string()))))
        .field(f(Field::select(
            "unit",
            ctx.tr("Time unit", "Jednotka času"),
            [
                ("day", ctx.tr("days", "dní")),
                ("week", ctx.tr("weeks", "týdnů")),
                ("month", ctx.tr("months", "měsíců")),
                ("year", ctx.tr("years", "let")),
            ],
        )
        .selected([v("unit", time_unit)])
        .shown_when("trigger", [trigger::TIME])))
        .field(f(Field::date(
            "first",
            ctx.tr("First due on", "Poprvé dne"),
        )
        .value(v("first", &kept.first))
        .shown_when("trigger", [trigger::TIME])
        .required_when("trigger", [trigger::TIME])))
        .field(f(Field::text(
            "meter_unit",
            ctx.tr("The meter's unit", "Jednotka měřidla"),
        )
        .value(v("meter_unit", meter_unit))
        .help(ctx.tr(
            "E.g. mth for engine hours, km.",
            "Např. mth pro motohodiny, km.",
        ))
        .shown_when("trigger", [trigger::METER])
        .required_when("trigger", [trigger::METER])))
        .field(f(Field::number(
            "next_at",
            ctx.tr("First due at the reading", "Poprvé při stavu"),
        )
        .min("0")
        .value(v("next_at", &next_at))
        .shown_when("trigger", [trigger::METER])
        .required_when("trigger", [trigger::METER])))
        .field(f(Field::textarea(
            "checklist",
            ctx.tr(
                "Checklist, an item a line",
                "Kontrolní seznam, úkon na řádek",
            ),
        )
        .value(v("checklist", &kept.checklist.join("\n")))))
        .field(f(Field::text(
            "assignee",
            ctx.tr("Who does it", "Kdo provádí"),
        )
        .value(v("assignee", &kept.assignee))));
    if id.is_some() {
        form_ = form_.field(f(Field::checkboxes(
            "stop",
            ctx.tr("Stop", "Ukončit"),
            [(
                "yes",
                ctx.tr("The plan no longer applies", "Plán už neplatí"),
            )],
        )));
    }
    Ok(View::new(format!(
        "{}: {}",
        ctx.tr("Maintenance plan", "Plán údržby"),
        kept.asset_label
    ))
    .form(form_))
}

/// Saves a plan of asset `asset`, or plan `id`.
pub fn save_plan(
    ctx: &Context,
    asset: Option<&str>,
    id: Option<&str>,
    form: &FormPost,
) -> Result<Outcome> {
    maintainer(ctx)?;
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let edited = id.map(|id| PLANS.get::<Plan>(id)).transpose()?;
    let mut p = match &edited {
        Some(e) => e.data.clone(),
        None => {
            let a = model::asset(asset.unwrap_or_default())?;
            if a.data.held == 0 {
                return Err(Error::forbidden(ctx.tr(
                    "The organization no longer holds this asset.",
                    "Tento majetek už organizace nemá.",
                )));
            }
            Plan {
                asset: a.data.card.number.clone(),
                asset_label: format!("{} {}", a.data.card.number, a.data.card.name),
                state: "active".into(),
                ..Plan::default()
            }
        }
    };
    let mut errors = Errors::new();
    p.name = text("name");
    written(ctx, &mut errors, "name", &p.name, 200);
    p.trigger = text("trigger");
    match text("every").parse::<u32>() {
        Ok(n) if (1..=1_000_000).contains(&n) => p.every = n,
        _ => errors.push((
            "every".into(),
            ctx.tr("A whole number, 1 or more.", "Celé číslo, 1 nebo více.")
                .into(),
        )),
    }
    match p.trigger.as_str() {
        trigger::TIME => {
            p.unit = text("unit");
            if !matches!(p.unit.as_str(), "day" | "week" | "month" | "year") {
                errors.push((
                    "unit".into(),
                    ctx.tr("Choose the unit.", "Vyberte jednotku.").into(),
                ));
            }
            match calendar::parse_date(&text("first")) {
                Some(d) => {
                    let kept_first = edited.as_ref().map(|e| e.data.first.clone());
                    if kept_first.as_deref() != Some(&d.to_string()) {
                        p.first = d.to_string();
                        p.next = p.first.clone();
                    }
                }
                None => errors.push((
                    "first".into(),
                    ctx.tr(
                        "A plan by time needs its first day, as 2026-03-15.",
                        "Plán podle doby potřebuje první den, ve tvaru 2026-03-15.",
                    )
                    .into(),
                )),
            }
        }
        trigger::METER => {
            p.unit = text("meter_unit");
            written(ctx, &mut errors, "meter_unit", &p.unit, 20);
            match amount(&text("next_at")) {
                Some(n) if n > 0.0 => p.next_at = n,
                _ => errors.push((
                    "next_at".into(),
                    ctx.tr(
                        "A plan by the meter needs the reading it is first due at.",
                        "Plán podle měřidla potřebuje stav, při kterém je poprvé na řadě.",
                    )
                    .into(),
                )),
            }
        }
        _ => errors.push((
            "trigger".into(),
            ctx.tr("Choose when it is due.", "Vyberte, kdy je na řadě.")
                .into(),
        )),
    }
    p.checklist = model::lines(&text("checklist"), 200);
    if p.checklist.len() > 50 {
        errors.push((
            "checklist".into(),
            ctx.tr("At most 50 items.", "Nejvýše 50 úkonů.").into(),
        ));
    }
    p.assignee = text("assignee").chars().take(120).collect();
    if form.all("stop").any(|s| s == "yes") {
        p.state = "stopped".into();
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(plan_view(
            ctx,
            asset,
            id,
            Some(form),
            &errors,
        )?));
    }
    let saved = match &edited {
        Some(e) => PLANS.update(&e.id, e.version, &p)?,
        None => PLANS.insert(&p)?,
    };
    audit::record(ctx, "assets.plan-saved", &p.asset_label, p.name.clone())?;
    // A plan by time due within the week gives its work order at once.
    let horizon = (calendar::today() + Duration::days(LEAD_DAYS)).to_string();
    if p.trigger == trigger::TIME && p.state == "active" && p.next <= horizon {
        run_plan(ctx, saved)?;
    }
    Ok(Outcome::redirect_with(
        format!("/assets/{}", segment(&p.asset)),
        format!(
            "{} {}",
            ctx.tr("The plan is saved:", "Plán je uložen:"),
            p.name
        ),
    ))
}

/// The form of a meter reading of asset `id`.
pub fn reading_view(
    ctx: &Context,
    id: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let a = model::asset(id)?.data;
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let unit = meter_unit(&a)?;
    let mut view = View::new(format!(
        "{}: {} {}",
        ctx.tr("Meter reading", "Stav měřidla"),
        a.card.number,
        a.card.name
    ));
    if let Some(m) = &a.meter {
        view = view.text(format!(
            "{} {} {} ({})",
            ctx.tr("Last reading:", "Poslední stav:"),
            numbers::format(m.value, ctx.lang()),
            m.unit,
            date_text(ctx, &m.on)
        ));
    }
    let mut form_ = Form::new(
        format!("/maintenance/readings/{}", segment(id)),
        ctx.tr("Save the reading", "Uložit stav"),
    )
    .field(f(Field::number(
        "value",
        if unit.is_empty() {
            ctx.tr("New reading", "Nový stav měřidla").to_owned()
        } else {
            format!("{} ({unit})", ctx.tr("New reading", "Nový stav měřidla"))
        },
    )
    .required()
    .min("0")
    .value(v("value", ""))));
    if unit.is_empty() {
        form_ = form_.field(f(Field::text("unit", ctx.tr("Unit", "Jednotka"))
            .required()
            .value(v("unit", ""))
            .help(ctx.tr("E.g. mth, km.", "Např. mth, km."))));
    }
    form_ = form_.field(f(Field::date("on", ctx.tr("Read on", "Odečteno dne"))
        .required()
        .max(calendar::today().to_string())
        .value(v("on", &calendar::today().to_string()))));
    Ok(view.form(form_))
}

/// The unit of asset `a`'s meter: its last reading's, or its plan's.
fn meter_unit(a: &Asset) -> Result<String> {
    if let Some(m) = &a.meter {
        return Ok(m.unit.clone());
    }
    Ok(PLANS
        .find()
        .eq("asset", &a.card.number)
        .eq("trigger", trigger::METER)
        .limit(1)
        .fetch::<Plan>()?
        .documents
        .first()
        .map(|p| p.data.unit.clone())
        .unwrap_or_default())
}

/// Saves a meter reading of asset `id`.
pub fn reading(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    maintainer(ctx)?;
    if model::asset(id)?.data.held == 0 {
        return Err(Error::forbidden(ctx.tr(
            "The organization no longer holds this asset.",
            "Tento majetek už organizace nemá.",
        )));
    }
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let mut errors = Errors::new();
    let value = amount(&text("value")).filter(|_| !text("value").is_empty());
    let on = calendar::parse_date(&text("on")).filter(|d| *d <= calendar::today());
    if on.is_none() {
        errors.push((
            "on".into(),
            ctx.tr(
                "The day is today or earlier, as 2026-03-15.",
                "Den je dnes nebo dříve, ve tvaru 2026-03-15.",
            )
            .into(),
        ));
    }
    let unit = text("unit");
    let a = model::asset(id)?.data;
    if meter_unit(&a)?.is_empty() {
        written(ctx, &mut errors, "unit", &unit, 20);
    }
    let Some(value) = value else {
        errors.push((
            "value".into(),
            ctx.tr("The reading is a number.", "Stav je číslo.").into(),
        ));
        return Ok(Outcome::Show(reading_view(ctx, id, Some(form), &errors)?));
    };
    if let Some(back) = backwards(ctx, a.meter.as_ref(), value) {
        errors.push(("value".into(), back));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(reading_view(ctx, id, Some(form), &errors)?));
    }
    let on = on.map(|d| d.to_string()).unwrap_or_default();
    let given = read_meter(ctx, id, value, &on, Some(&unit))?;
    let mut message = format!("{} ", ctx.tr("The reading is saved.", "Stav je uložen."));
    if !given.is_empty() {
        message.push_str(&format!(
            "{} {}",
            ctx.tr("Work orders given:", "Vystavené pracovní příkazy:"),
            given.join(", ")
        ));
    }
    Ok(Outcome::redirect_with(
        format!("/assets/{}", segment(id)),
        message.trim().to_owned(),
    ))
}

/// Why `value` cannot be the meter's reading after `last`, if it cannot:
/// a meter does not go back.
fn backwards(ctx: &Context, last: Option<&Meter>, value: f64) -> Option<String> {
    let m = last.filter(|m| value < m.value)?;
    Some(format!(
        "{} {} {} ({}).",
        ctx.tr(
            "A meter does not go back; it last showed",
            "Měřidlo necouvá; naposledy ukazovalo"
        ),
        numbers::format(m.value, ctx.lang()),
        m.unit,
        date_text(ctx, &m.on)
    ))
}

/// Records reading `value` of asset `id`'s meter and gives the work
/// orders of the plans by the meter it reached; their numbers.
fn read_meter(
    ctx: &Context,
    id: &str,
    value: f64,
    on: &str,
    unit: Option<&str>,
) -> Result<Vec<String>> {
    let doc = model::asset(id)?;
    let mut a = doc.data;
    let unit = match (&a.meter, unit) {
        (Some(m), _) => m.unit.clone(),
        (None, Some(u)) if !u.is_empty() => u.to_owned(),
        _ => meter_unit(&a)?,
    };
    if a.meter.as_ref().is_some_and(|m| value < m.value) {
        return Ok(Vec::new());
    }
    a.meter = Some(Meter {
        unit: unit.clone(),
        value,
        on: on.into(),
    });
    a.step(ctx, "reading", format!("{value} {unit}"));
    ASSETS.update(&doc.id, doc.version, &a)?;
    audit::record(
        ctx,
        "assets.reading",
        &a.card.number,
        format!("{value} {unit}"),
    )?;
    let mut given = Vec::new();
    let plans = PLANS
        .find()
        .eq("asset", &a.card.number)
        .eq("trigger", trigger::METER)
        .eq("state", "active")
        .fetch_all::<Plan>(100)?;
    for doc in plans {
        let mut p = doc.data;
        if p.next_at > value {
            continue;
        }
        let due = (calendar::today() + Duration::days(LEAD_DAYS)).to_string();
        given.push(order_of(ctx, &doc.id, &p, &due)?);
        while p.next_at <= value {
            p.next_at += f64::from(p.every.max(1));
        }
        PLANS.update(&doc.id, doc.version, &p)?;
    }
    Ok(given)
}
