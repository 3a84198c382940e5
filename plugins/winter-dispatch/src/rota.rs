//! The rota: who works a shift and who is on standby, when. The dispatcher
//! plans it week by week; while the weather service's warnings are in
//! force the dispatch names who is on standby to call out, and the log
//! keeps whom a warning found on standby.

use chrono::{Datelike, Days, NaiveDate, NaiveTime};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{
    Context, Field, Form, FormPost, Outcome, Page, Pager, Result, Table, View, folding,
};
use serde::{Deserialize, Serialize};

use crate::model::{
    actor, check_length, clock_in, local, log, now, tr_in, vehicles, when, when_in,
};
use crate::pages::{Errors, failed, moment, read_date, read_time};

pub const DUTIES: Collection = Collection::new("duties");

/// The longest a duty can be: a day, and the hour the clocks move back.
const LONGEST_S: i64 = 25 * 3600;
/// The most days one entry puts in the rota, a day at a time.
const MOST_DAYS: u64 = 14;
/// The most duties a week or the present shows.
const MOST_SHOWN: usize = 500;

/// A shift at work, or standby: reachable, and out within the hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Shift,
    Standby,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Shift, Kind::Standby];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Shift => "shift",
            Kind::Standby => "standby",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn name_in(self, cs: bool) -> &'static str {
        match self {
            Kind::Shift => tr_in(cs, "Shift", "Směna"),
            Kind::Standby => tr_in(cs, "Standby", "Pohotovost"),
        }
    }
}

/// What a person on duty does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Dispatcher,
    Driver,
    Foreman,
    Loader,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Driver, Role::Dispatcher, Role::Foreman, Role::Loader];

    pub fn code(self) -> &'static str {
        match self {
            Role::Dispatcher => "dispatcher",
            Role::Driver => "driver",
            Role::Foreman => "foreman",
            Role::Loader => "loader",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn name_in(self, cs: bool) -> &'static str {
        match self {
            Role::Dispatcher => tr_in(cs, "dispatcher", "dispečer"),
            Role::Driver => tr_in(cs, "driver", "řidič"),
            Role::Foreman => tr_in(cs, "road foreman", "cestmistr"),
            Role::Loader => tr_in(cs, "loader operator", "strojník"),
        }
    }
}

/// One person's duty, at most a day long.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Duty {
    pub person: String,
    /// The name folded (no case, no diacritics): finds their other duties.
    pub key: String,
    #[serde(default)]
    pub phone: String,
    pub role: Role,
    pub kind: Kind,
    /// The call sign of the vehicle they drive or serve, or empty.
    #[serde(default)]
    pub vehicle: String,
    /// From and until, in seconds since 1970.
    pub starts: i64,
    pub ends: i64,
    #[serde(default)]
    pub note: String,
    pub by: String,
}

impl Duty {
    /// `Jan Novák (driver, S-12)`, as the log names them (a phone number
    /// is not kept for ever).
    pub fn who_in(&self, cs: bool) -> String {
        let mut about = vec![self.role.name_in(cs).to_owned()];
        if !self.vehicle.is_empty() {
            about.push(self.vehicle.clone());
        }
        format!("{} ({})", self.person, about.join(", "))
    }

    /// `7. 12. 2026 6:00 – 8. 12. 2026 6:00`.
    fn span_in(&self, cs: bool) -> String {
        format!("{} – {}", when_in(cs, self.starts), when_in(cs, self.ends))
    }
}

/// Who is on duty at `at`: a shift, standby, or either (`None`).
pub fn on_duty(at: i64, kind: Option<Kind>) -> Result<Vec<Duty>> {
    let mut found: Vec<Duty> = DUTIES
        .find()
        .gt("ends", at)
        .le("starts", at)
        .gt("starts", at - LONGEST_S)
        .fetch_all::<Duty>(MOST_SHOWN)?
        .into_iter()
        .map(|d| d.data)
        .filter(|d| kind.is_none_or(|k| d.kind == k))
        .collect();
    found.sort_by(|a, b| {
        (a.kind == Kind::Standby, &a.person).cmp(&(b.kind == Kind::Standby, &b.person))
    });
    Ok(found)
}

/// Who is on duty now (`kind`: only those on a shift or on standby), as a
/// table for the dispatcher.
pub fn on_duty_table(ctx: &Context, caption: &str, kind: Option<Kind>) -> Result<Table> {
    let cs = ctx.is_czech();
    let mut t = Table::new(caption)
        .column(ctx.tr("Person", "Osoba"))
        .column(ctx.tr("Role", "Funkce"));
    if kind.is_none() {
        t = t.column(ctx.tr("Kind of duty", "Druh služby"));
    }
    t = t
        .column(ctx.tr("Vehicle", "Vozidlo"))
        .column(ctx.tr("Phone", "Telefon"))
        .column(ctx.tr("Until", "Do"))
        .empty_text(match kind {
            Some(Kind::Standby) => ctx.tr(
                "Nobody is on standby in the rota now.",
                "Podle rozpisu nyní nikdo nedrží pohotovost.",
            ),
            _ => ctx.tr(
                "Nobody is on duty in the rota now.",
                "Podle rozpisu nyní nikdo nemá službu.",
            ),
        });
    for d in on_duty(now(), kind)? {
        let mut row = vec![d.person.clone(), d.role.name_in(cs).to_owned()];
        if kind.is_none() {
            row.push(d.kind.name_in(cs).to_owned());
        }
        row.extend([d.vehicle.clone(), d.phone.clone(), when(ctx, d.ends)]);
        t = t.row(row);
    }
    Ok(t)
}

/// The Monday of the week `page` asks for (`?week=`, any day of it), or
/// of this week.
fn monday(page: Option<&Page>) -> NaiveDate {
    let day = page
        .and_then(|p| p.query("week"))
        .and_then(|w| portico_sdk::calendar::parse_date(w.trim()))
        .unwrap_or_else(portico_sdk::calendar::today);
    monday_of(day)
}

/// The Monday of the week of `day`.
fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(u64::from(day.weekday().num_days_from_monday()))
}

fn weekday_in(cs: bool, day: NaiveDate) -> &'static str {
    let i = day.weekday().num_days_from_monday() as usize;
    if cs {
        ["po", "út", "st", "čt", "pá", "so", "ne"][i]
    } else {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i]
    }
}

/// The duties of the week from `monday`, by their start.
fn week(monday: NaiveDate) -> Result<Vec<Document<Duty>>> {
    let midnight = |day| moment(day, NaiveTime::MIN).unwrap_or(0);
    let (from, until) = (midnight(monday), midnight(monday + Days::new(7)));
    DUTIES
        .find()
        .gt("ends", from)
        .lt("starts", until)
        .gt("starts", from - LONGEST_S)
        .sort("starts")
        .fetch_all::<Duty>(MOST_SHOWN)
}

/// A duty as a choice: `Mon 7 December 2026 06:00 · Standby · Jan Novák`.
fn label(ctx: &Context, d: &Duty) -> String {
    let cs = ctx.is_czech();
    let starts = local(d.starts)
        .map(|t| weekday_in(cs, t.date_naive()))
        .unwrap_or_default();
    format!(
        "{starts} {} · {} · {}",
        d.span_in(cs),
        d.kind.name_in(cs),
        d.person
    )
}

/// `/rota`: who is on duty now, the week's rota, and what to add or take
/// out of it.
pub fn page(
    ctx: &Context,
    page: Option<&Page>,
    form: Option<&FormPost>,
    errors: &[(&str, String)],
) -> Result<View> {
    let cs = ctx.is_czech();
    let mut view = failed(
        View::new(ctx.tr("Shifts and standby", "Směny a pohotovost")),
        ctx,
        errors,
    )
    .text(ctx.tr("Who works a shift and who is on standby, reachable and out within the hour. While a weather warning is in force, the dispatch shows who is on standby to call out.",
        "Kdo má směnu a kdo drží pohotovost – je k zastižení a do hodiny vyjede. Dokud platí výstraha ČHMÚ, dispečink ukazuje, koho z pohotovosti povolat.",
    ));
    let at = now();
    view = view.table(on_duty_table(
        ctx,
        ctx.tr("On duty now", "Nyní ve službě"),
        None,
    )?);
    let monday = form
        .and_then(|f| f.get("date"))
        .and_then(|d| portico_sdk::calendar::parse_date(d.trim()))
        .map_or_else(|| self::monday(page), monday_of);
    let sunday = monday + Days::new(6);
    let locale = ctx.locale();
    let span = format!(
        "{} – {}",
        portico_sdk::calendar::format_date(monday, locale),
        portico_sdk::calendar::format_date(sunday, locale)
    );
    let duties = week(monday)?;
    let mut t = Table::new(format!("{} {span}", ctx.tr("The rota", "Rozpis služeb")))
        .column(ctx.tr("Day", "Den"))
        .column(ctx.tr("From", "Od"))
        .column(ctx.tr("Until", "Do"))
        .column(ctx.tr("Kind of duty", "Druh služby"))
        .column(ctx.tr("Person", "Osoba"))
        .column(ctx.tr("Role", "Funkce"))
        .column(ctx.tr("Vehicle", "Vozidlo"))
        .column(ctx.tr("Phone", "Telefon"))
        .column(ctx.tr("Note", "Poznámka"))
        .empty_text(ctx.tr(
            "Nobody is in the rota for these days.",
            "Na tyto dny není v rozpisu nikdo.",
        ));
    for doc in &duties {
        let d = &doc.data;
        let (Some(starts), Some(ends)) = (local(d.starts), local(d.ends)) else {
            continue;
        };
        let day = starts.date_naive();
        t = t.row([
            format!(
                "{} {}",
                weekday_in(cs, day),
                portico_sdk::calendar::format_date(day, locale)
            ),
            clock_in(cs, starts),
            if ends.date_naive() == day {
                clock_in(cs, ends)
            } else {
                when(ctx, d.ends)
            },
            d.kind.name_in(cs).to_owned(),
            d.person.clone(),
            d.role.name_in(cs).to_owned(),
            d.vehicle.clone(),
            d.phone.clone(),
            d.note.clone(),
        ]);
    }
    let week_of = |d: NaiveDate| format!("/rota?week={}", d.format("%Y-%m-%d"));
    view = view.table(t).pager(
        Pager::new()
            .previous(week_of(monday - Days::new(7)))
            .next(week_of(monday + Days::new(7)))
            .summary(span),
    );

    // Adding.
    let value = |n: &str, d: &str| form.and_then(|f| f.get(n)).unwrap_or(d).to_owned();
    let fleet = vehicles()?;
    let add = Form::new("/rota", ctx.tr("Add to the rota", "Přidat do rozpisu"))
        .field(Field::text("person", ctx.tr("Name", "Jméno a příjmení"))
                .required()
                .value(value("person", "")).error_among(errors))
        .field(Field::text("phone", ctx.tr("Phone", "Telefon"))
                .autocomplete("off")
                .value(value("phone", "")).error_among(errors))
        .field(Field::select(
                "role",
                ctx.tr("Role", "Funkce"),
                Role::ALL.map(|r| (r.code(), r.name_in(cs))),
            )
            .required()
            .value(value("role", "driver")).error_among(errors))
        .field(Field::select(
                "kind",
                ctx.tr("Kind of duty", "Druh služby"),
                Kind::ALL.map(|k| (k.code(), k.name_in(cs))),
            )
            .required()
            .value(value("kind", "standby")).error_among(errors))
        .field(Field::select(
                "vehicle",
                ctx.tr("Vehicle", "Vozidlo"),
                fleet.iter().map(|v| {
                    (
                        v.data.code.clone(),
                        format!("{} {}", v.data.code, v.data.name),
                    )
                }),
            )
            .value(value("vehicle", "")).error_among(errors))
        .field(Field::date("date", ctx.tr("First day", "První den"))
                .required()
                .value(value(
                    "date",
                    &monday
                        .max(portico_sdk::calendar::today())
                        .format("%Y-%m-%d")
                        .to_string(),
                )).error_among(errors))
        .field(Field::text("from", ctx.tr("From (hh:mm)", "Od (hh:mm)"))
                .required()
                .pattern("[0-2]?[0-9]:[0-5][0-9]")
                .value(value("from", "6:00")).error_among(errors))
        .field(Field::text("until", ctx.tr("Until (hh:mm)", "Do (hh:mm)"))
                .required()
                .pattern("[0-2]?[0-9]:[0-5][0-9]")
                .value(value("until", "18:00"))
                .help(ctx.tr("An end not after the start is the next day's: 18:00 to 6:00 is a night shift.",
                    "Je-li konec stejný nebo dřívější než začátek, služba končí následující den (18:00–6:00 je noční).",
                )).error_among(errors))
        .field(Field::number("days", ctx.tr("Number of days", "Počet dní"))
                .required()
                .min("1")
                .max(MOST_DAYS.to_string())
                .value(value("days", "1"))
                .help(ctx.tr("The same hours on each of these days, from the first.",
                    "Stejné hodiny v každém z těchto dní, počínaje prvním.",
                )).error_among(errors))
        .field(Field::text("note", ctx.tr("Note", "Poznámka")).value(value("note", "")).error_among(errors));
    view = view
        .heading(ctx.tr("Add to the rota", "Přidat do rozpisu"))
        .form(add);

    // Taking out: what has not ended yet.
    let open: Vec<&Document<Duty>> = duties.iter().filter(|d| d.data.ends > at).collect();
    if !open.is_empty() {
        let remove = Form::new("/rota", ctx.tr("Take out of the rota", "Vyjmout z rozpisu")).field(
            Field::select(
                "duty",
                ctx.tr("Duty", "Služba"),
                open.iter().map(|d| (d.id.clone(), label(ctx, &d.data))),
            )
            .required()
            .help(ctx.tr(
                "A duty under way ends now; one that is over stays as evidence.",
                "Probíhající služba skončí nyní; skončená zůstává jako doklad.",
            ))
            .error_among(errors),
        );
        view = view
            .heading(ctx.tr("Take out of the rota", "Vyjmout z rozpisu"))
            .form(remove);
    }
    Ok(view)
}

/// A post to `/rota`: a duty taken out, or duties added.
pub fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    match form.get("duty") {
        Some(id) => take_out(ctx, id),
        None => add(ctx, form),
    }
}

fn add(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let field = |n: &str| form.get(n).unwrap_or_default().trim().to_owned();
    let (person, phone, vehicle, note) = (
        field("person"),
        field("phone"),
        field("vehicle"),
        field("note"),
    );
    let mut errors = Errors::new();
    check_length(ctx, &mut errors, "person", &person, true, 200);
    check_length(ctx, &mut errors, "note", &note, false, 500);
    if phone.chars().count() > 30
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-/()".contains(c))
    {
        errors.push((
            "phone",
            ctx.tr(
                "Write the phone number in digits, e.g. +420 777 123 456.",
                "Telefonní číslo napište číslicemi, např. +420 777 123 456.",
            )
            .into(),
        ));
    }
    let role = Role::parse(&field("role"));
    if role.is_none() {
        errors.push(("role", ctx.tr("Choose the role.", "Vyberte funkci.").into()));
    }
    let kind = Kind::parse(&field("kind"));
    if kind.is_none() {
        errors.push(("kind", ctx.tr("Choose the duty.", "Vyberte službu.").into()));
    }
    if !vehicle.is_empty() && !vehicles()?.iter().any(|v| v.data.code == vehicle) {
        errors.push((
            "vehicle",
            ctx.tr("No such vehicle.", "Vozidlo neexistuje.").into(),
        ));
    }
    let days = field("days")
        .parse::<u64>()
        .ok()
        .filter(|d| (1..=MOST_DAYS).contains(d));
    if days.is_none() {
        errors.push((
            "days",
            if ctx.is_czech() {
                format!("Zadejte počet dní od 1 do {MOST_DAYS}.")
            } else {
                format!("Give a number of days from 1 to {MOST_DAYS}.")
            },
        ));
    }
    let date = read_date(ctx, form, "date", &mut errors);
    let from = read_time(ctx, form, "from", &mut errors);
    let until = read_time(ctx, form, "until", &mut errors);
    let (Some(role), Some(kind), Some(days), Some(date), Some(from), Some(until), true) =
        (role, kind, days, date, from, until, errors.is_empty())
    else {
        return show(ctx, form, &errors);
    };
    let key = folding::fold(&person);
    let mut duties = Vec::new();
    for day in 0..days {
        let on = date + Days::new(day);
        // Until the same day's time, or the next day's when not after the
        // start; each day's own moments, as the clocks may move meanwhile.
        let next = if until > from { on } else { on + Days::new(1) };
        let (starts, ends) = (moment(on, from), moment(next, until));
        let (Some(starts), Some(ends)) = (starts, ends) else {
            let (field, day) = if starts.is_none() {
                ("from", on)
            } else {
                ("until", next)
            };
            let day = portico_sdk::calendar::format_date(day, ctx.locale());
            let said = if ctx.is_czech() {
                format!("{day} tento čas neexistuje (přechod na letní čas).")
            } else {
                format!("On {day} this time does not exist: the clocks move forward.")
            };
            return show(ctx, form, &[(field, said)]);
        };
        duties.push(Duty {
            person: person.clone(),
            key: key.clone(),
            phone: phone.clone(),
            role,
            kind,
            vehicle: vehicle.clone(),
            starts,
            ends,
            note: note.clone(),
            by: actor(ctx),
        });
    }
    // What is over already is not planned any more.
    let at = now();
    duties.retain(|d| d.ends > at);
    if duties.is_empty() {
        return refuse(
            ctx,
            form,
            "date",
            "These duties would be over already.",
            "Tyto služby by již skončily.",
        );
    }
    // Nobody in two places at once, and a vehicle with one driver.
    for d in &duties {
        if let Some(other) = overlapping(d, "key", &d.key)?.into_iter().next() {
            let cs = ctx.is_czech();
            return show(
                ctx,
                form,
                &[(
                    "person",
                    if cs {
                        format!(
                            "{} už má v té době službu: {} {}.",
                            d.person,
                            other.kind.name_in(cs).to_lowercase(),
                            other.span_in(cs)
                        )
                    } else {
                        format!(
                            "{} is on duty then already: {} {}.",
                            d.person,
                            other.kind.name_in(cs).to_lowercase(),
                            other.span_in(cs)
                        )
                    },
                )],
            );
        }
        if d.role == Role::Driver
            && !d.vehicle.is_empty()
            && let Some(other) = overlapping(d, "vehicle", &d.vehicle)?
                .into_iter()
                .find(|o| o.role == Role::Driver)
        {
            let cs = ctx.is_czech();
            return show(
                ctx,
                form,
                &[(
                    "vehicle",
                    if cs {
                        format!(
                            "Vozidlo {} má v té době už řidiče: {} {}.",
                            d.vehicle,
                            other.person,
                            other.span_in(cs)
                        )
                    } else {
                        format!(
                            "{} has a driver then already: {} {}.",
                            d.vehicle,
                            other.person,
                            other.span_in(cs)
                        )
                    },
                )],
            );
        }
    }
    for d in &duties {
        DUTIES.insert(d)?;
    }
    let (head, tail) = (&duties[0], &duties[duties.len() - 1]);
    let said = |cs: bool| {
        format!(
            "{}: {} – {} {}{}.",
            tr_in(cs, "Rota", "Rozpis"),
            head.who_in(cs),
            head.kind.name_in(cs).to_lowercase(),
            head.span_in(cs),
            if duties.len() > 1 {
                format!(
                    ", {} {}",
                    tr_in(cs, "every day until", "denně až do"),
                    when_in(cs, tail.ends)
                )
            } else {
                String::new()
            }
        )
    };
    log(ctx, "rota.added", "", &head.person, said(false), said(true))?;
    Ok(Outcome::redirect_with(
        format!("/rota?week={}", date.format("%Y-%m-%d")),
        if ctx.is_czech() {
            format!(
                "Přidáno do rozpisu: {} ({} × {}).",
                head.person,
                duties.len(),
                head.kind.name_in(true).to_lowercase()
            )
        } else {
            format!(
                "Added to the rota: {} ({} × {}).",
                head.person,
                duties.len(),
                head.kind.name_in(false).to_lowercase()
            )
        },
    ))
}

/// The duties of the same person (`field` = `key`) or vehicle that
/// overlap `d`.
fn overlapping(d: &Duty, field: &str, value: &str) -> Result<Vec<Duty>> {
    Ok(DUTIES
        .find()
        .eq(field, value)
        .lt("starts", d.ends)
        .gt("ends", d.starts)
        .limit(50)
        .fetch::<Duty>()?
        .documents
        .into_iter()
        .map(|o| o.data)
        .collect())
}

fn take_out(ctx: &Context, id: &str) -> Result<Outcome> {
    let doc = DUTIES.get::<Duty>(id)?;
    let at = now();
    let d = doc.data;
    if d.ends <= at {
        let errors: Errors = vec![(
            "duty",
            ctx.tr(
                "This duty is over: it stays in the rota as evidence.",
                "Tato služba již skončila: v rozpisu zůstává jako doklad.",
            )
            .into(),
        )];
        return Ok(Outcome::Show(page(ctx, None, None, &errors)?));
    }
    let under_way = d.starts < at;
    if under_way {
        let mut cut = d.clone();
        cut.ends = at;
        DUTIES.update(id, doc.version, &cut)?;
    } else {
        DUTIES.delete(id, doc.version)?;
    }
    let said = |cs: bool| {
        format!(
            "{}: {} – {} {} {}.",
            tr_in(cs, "Rota", "Rozpis"),
            d.who_in(cs),
            d.kind.name_in(cs).to_lowercase(),
            d.span_in(cs),
            if under_way {
                format!(
                    "{} {}",
                    tr_in(cs, "ended early at", "ukončena předčasně"),
                    when_in(cs, at)
                )
            } else {
                tr_in(cs, "taken out", "vyjmuta").to_owned()
            }
        )
    };
    log(ctx, "rota.removed", "", &d.person, said(false), said(true))?;
    let day = local(d.starts)
        .map(|t| t.date_naive().format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    Ok(Outcome::redirect_with(
        format!("/rota?week={day}"),
        format!(
            "{} {}",
            ctx.tr("Taken out of the rota:", "Vyjmuto z rozpisu:"),
            d.person
        ),
    ))
}

fn show(ctx: &Context, form: &FormPost, errors: &[(&str, String)]) -> Result<Outcome> {
    Ok(Outcome::Show(page(ctx, None, Some(form), errors)?))
}

fn refuse(
    ctx: &Context,
    form: &FormPost,
    field: &'static str,
    en: &str,
    cs: &str,
) -> Result<Outcome> {
    show(ctx, form, &[(field, ctx.tr(en, cs).into())])
}

/// Who is on standby at `at`, as the log names them in English and in
/// Czech: `On standby: Jan Novák (driver, S-12).`, or that nobody is.
pub fn standby_said(at: i64) -> Result<(String, String)> {
    let on = on_duty(at, Some(Kind::Standby))?;
    let said = |cs: bool| {
        if on.is_empty() {
            tr_in(
                cs,
                "Nobody is on standby in the rota.",
                "Podle rozpisu nikdo nedrží pohotovost.",
            )
            .to_owned()
        } else {
            format!(
                "{}: {}.",
                tr_in(cs, "On standby", "Pohotovost drží"),
                on.iter()
                    .map(|d| d.who_in(cs))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    Ok((said(false), said(true)))
}
