//! Winter road maintenance for a road administration: the network of
//! sections in priority order I–III with their response times, routes,
//! vehicles whose units report positions and work, events the dispatcher
//! opens and gives routes out in, what was treated within its response
//! time, and the dispatcher's log kept as evidence.
//!
//! - `model`: what is kept, times, settings, the log.
//! - `network`: the GeoJSON import, the tiles, matching a position.
//! - `units`: the API vehicle units report to.
//! - `coverage`: an event's coverage by priority and the sections late.
//! - `alerts`: the weather service's warnings in, alerts to the rescue
//!   system out; `cap` reads and writes CAP 1.2.
//! - `rota`: who works a shift and who is on standby, when.
//! - `pages`: what each person sees.

mod alerts;
mod cap;
mod coverage;
mod model;
mod network;
mod pages;
mod rota;
mod units;

use portico_sdk::records::Filters;
use portico_sdk::{
    Context, Error, FormPost, Module, Outcome, Page, Request, Response, Result, View, segment,
};

use model::{Assignment, EVENTS, Event, Kind, VEHICLES, Vehicle, actor, log, now, when_in};
use pages::Errors;

struct WinterDispatch;

/// The most late sections an event keeps in its summary once closed.
const MOST_LATE_KEPT: usize = 200;

fn param<'a>(page: &'a Page, name: &str) -> &'a str {
    page.param(name).unwrap_or_default()
}

fn dispatcher(ctx: &Context) -> Result<()> {
    match ctx.principal() {
        Some(p) if p.has_permission("winter-dispatch.dispatch") => Ok(()),
        _ => Err(Error::forbidden(
            ctx.tr("Only a dispatcher may do this.", "Toto smí jen dispečer."),
        )),
    }
}

impl Module for WinterDispatch {
    const ID: &'static str = "winter-dispatch";
    const NAME: &'static str = "Winter road maintenance";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        match page.pattern() {
            "/" => pages::public(ctx, page),
            "/sections/{id}" => pages::section(ctx, param(page, "id")),
            "/network" => pages::network(ctx, &[]),
            "/network/sections/{id}" => pages::edit_section(ctx, param(page, "id"), None, &[]),
            "/vehicles" => pages::fleet(ctx, None, &[]),
            "/vehicles/{id}" => pages::vehicle(ctx, param(page, "id"), None, &[]),
            "/events" => pages::events(ctx, None, &[]),
            "/events/{id}" => pages::event(ctx, param(page, "id"), &[]),
            "/events/{id}/coverage" => pages::coverage(ctx, param(page, "id")),
            // Closing is a button on the event's page.
            "/events/{id}/close" => pages::event(ctx, param(page, "id"), &[]),
            "/season" => pages::season(ctx, page),
            "/log" => pages::log(ctx, page),
            "/rota" => rota::page(ctx, Some(page), None, &[]),
            "/alerts" => alerts::list(ctx, None, &[]),
            "/alerts/{id}" => alerts::page(ctx, param(page, "id"), &[]),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let id = form.param("id").unwrap_or_default();
        match form.pattern() {
            "/" => {
                let q = form.get("q").unwrap_or_default().trim();
                Ok(Outcome::redirect(if q.is_empty() {
                    "/".to_owned()
                } else {
                    format!("/?q={}", segment(q))
                }))
            }
            "/network" => import(ctx, form),
            "/network/sections/{id}" => change_section(ctx, id, form),
            "/vehicles" => save_vehicle(ctx, None, form),
            "/vehicles/{id}" => save_vehicle(ctx, Some(id), form),
            "/events" => open_event(ctx, form),
            "/events/{id}" => match form.button() {
                Some("release") => release(ctx, id, form),
                _ if form.get("entry").is_some() => write_entry(ctx, id, form),
                _ => assign(ctx, id, form),
            },
            "/events/{id}/close" => close(ctx, id),
            "/rota" => {
                dispatcher(ctx)?;
                rota::submit(ctx, form)
            }
            "/alerts" => alerts::issue(ctx, form),
            "/alerts/{id}" => alerts::change(ctx, id, form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        match req.pattern() {
            "/api/v1/positions" => units::positions(ctx, req),
            other => Err(Error::not_found(format!("no API at {other}"))),
        }
    }

    fn on_event(_ctx: &Context, event: &portico_sdk::Event) -> Result<()> {
        match event.topic.as_str() {
            network::REBUILD => network::rebuild_step(&event.payload()?),
            _ => Ok(()),
        }
    }

    fn run_job(ctx: &Context, job: &str) -> Result<()> {
        match job {
            "warnings" => alerts::poll(ctx),
            "tiles" => network::keep_tiles(),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }
}

/// Imports sections from a GeoJSON file.
fn import(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let refuse = |message: String| -> Result<Outcome> {
        let errors: Errors = vec![("network", message)];
        Ok(Outcome::Show(pages::network(ctx, &errors)?))
    };
    let Some(file) = form.file("network").filter(|f| !f.content.is_empty()) else {
        return refuse(
            ctx.tr("Choose a GeoJSON file.", "Vyberte soubor GeoJSON.")
                .into(),
        );
    };
    let Ok(text) = std::str::from_utf8(&file.content) else {
        return refuse(
            ctx.tr(
                "The file is not text in UTF-8.",
                "Soubor není text v kódování UTF-8.",
            )
            .into(),
        );
    };
    let imported = match network::parse(text) {
        Ok(i) => i,
        Err(r) => return refuse(if ctx.is_czech() { r.cs } else { r.en }),
    };
    let count = imported.len();
    let done = match network::store(imported) {
        Ok(done) => done,
        Err(network::StoreError::Host(e)) => return Err(e),
        Err(network::StoreError::TooMany(held)) => {
            return refuse(if ctx.is_czech() {
                format!(
                    "Síť obsahuje {held} úseků; s úseky z tohoto souboru by jich bylo více než 20 000."
                )
            } else {
                format!(
                    "The network holds {held} sections; with the new ones of this file it would hold more than {}.",
                    model::MOST_SECTIONS
                )
            });
        }
    };
    log(
        ctx,
        "network.imported",
        "",
        &file.filename,
        format!(
            "Network imported from {}: {} sections added, {} replaced.",
            file.filename, done.added, done.changed
        ),
        format!(
            "Síť importována ze souboru {}: přidáno úseků {}, nahrazeno {}.",
            file.filename, done.added, done.changed
        ),
    )?;
    Ok(Outcome::redirect_with(
        "/network",
        if ctx.is_czech() {
            format!(
                "Importováno úseků: {count} (nových {}, nahrazených {}); okruhů nových nebo změněných: {}.",
                done.added, done.changed, done.routes
            )
        } else {
            format!(
                "{count} sections imported ({} new, {} replaced); {} routes new or renamed.",
                done.added, done.changed, done.routes
            )
        },
    ))
}

fn change_section(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    let doc = model::SECTIONS.get::<model::Section>(id)?;
    let mut errors = Errors::new();
    let priority = form
        .get("priority")
        .and_then(|p| p.parse::<u8>().ok())
        .filter(|p| *p <= 3);
    if priority.is_none() {
        errors.push((
            "priority",
            ctx.tr("Choose the priority.", "Vyberte pořadí.").into(),
        ));
    }
    let treatment = form.get("treatment").and_then(model::Treatment::parse);
    if treatment.is_none() {
        errors.push((
            "treatment",
            ctx.tr("Choose the treatment.", "Vyberte ošetření.").into(),
        ));
    }
    let route = form.get("route").unwrap_or_default().trim().to_owned();
    if !route.is_empty() && pages::route_of(&route)?.is_none() {
        errors.push((
            "route",
            ctx.tr("No such route.", "Takový okruh není.").into(),
        ));
    }
    let name = form.get("name").unwrap_or_default().trim().to_owned();
    model::check_length(ctx, &mut errors, "name", &name, false, 200);
    let (Some(priority), Some(treatment), true) = (priority, treatment, errors.is_empty()) else {
        return Ok(Outcome::Show(pages::edit_section(
            ctx,
            id,
            Some(form),
            &errors,
        )?));
    };
    let mut s = doc.data;
    let before = (s.priority, s.treatment, s.route.clone());
    s.priority = priority;
    s.treatment = treatment;
    s.route = route;
    s.name = name;
    model::SECTIONS.update(id, doc.version, &s)?;
    log(
        ctx,
        "section.changed",
        "",
        &s.code,
        format!(
            "Section {} changed: priority {} → {}, treatment {} → {}, route `{}` → `{}`.",
            s.code,
            model::priority_name_in(false, before.0),
            model::priority_name_in(false, s.priority),
            before.1.name_in(false),
            s.treatment.name_in(false),
            before.2,
            s.route
        ),
        format!(
            "Úsek {} změněn: pořadí {} → {}, způsob údržby {} → {}, okruh `{}` → `{}`.",
            s.code,
            model::priority_name_in(true, before.0),
            model::priority_name_in(true, s.priority),
            before.1.name_in(true),
            s.treatment.name_in(true),
            before.2,
            s.route
        ),
    )?;
    Ok(Outcome::redirect_with(
        "/network",
        format!("{} {}", ctx.tr("Saved:", "Uloženo:"), s.code),
    ))
}

fn save_vehicle(ctx: &Context, id: Option<&str>, form: &FormPost) -> Result<Outcome> {
    let field = |n: &str| form.get(n).unwrap_or_default().trim().to_owned();
    let (code, name, plate, crew) = (field("code"), field("name"), field("plate"), field("crew"));
    let mut errors = Errors::new();
    model::check_length(ctx, &mut errors, "code", &code, true, 20);
    model::check_length(ctx, &mut errors, "name", &name, true, 200);
    model::check_length(ctx, &mut errors, "plate", &plate, false, 200);
    model::check_length(ctx, &mut errors, "crew", &crew, false, 200);
    let same = VEHICLES
        .find()
        .eq("code", &code)
        .limit(2)
        .fetch::<Vehicle>()?;
    if same.documents.iter().any(|d| Some(d.id.as_str()) != id) {
        errors.push((
            "code",
            ctx.tr(
                "Another vehicle has this call sign.",
                "Tento volací znak už má jiné vozidlo.",
            )
            .into(),
        ));
    }
    let unit = form.get("unit").unwrap_or_default().trim().to_owned();
    if !unit.is_empty()
        && let Some(other) = model::vehicle_of_unit(&unit)?.filter(|d| Some(d.id.as_str()) != id)
    {
        errors.push((
            "unit",
            if ctx.is_czech() {
                format!("Tato jednotka už hlásí za vozidlo {}.", other.data.code)
            } else {
                format!("This unit reports for {} already.", other.data.code)
            },
        ));
    }
    let show = |errors: &Errors| -> Result<Outcome> {
        Ok(Outcome::Show(match id {
            Some(id) => pages::vehicle(ctx, id, Some(form), errors)?,
            None => pages::fleet(ctx, Some(form), errors)?,
        }))
    };
    if !errors.is_empty() {
        return show(&errors);
    }
    match id {
        Some(id) => {
            let doc = VEHICLES.get::<Vehicle>(id)?;
            // A unit is paired only with one that has reported (or unpaired).
            if !unit.is_empty()
                && unit != doc.data.unit
                && !model::UNITS
                    .find()
                    .eq("unit", &unit)
                    .limit(1)
                    .fetch::<model::Unit>()?
                    .documents
                    .iter()
                    .any(|_| true)
            {
                return show(&vec![(
                    "unit",
                    ctx.tr(
                        "No such unit has reported.",
                        "Tato jednotka zatím nehlásila polohu.",
                    )
                    .into(),
                )]);
            }
            let paired = unit != doc.data.unit;
            // Paired, a unit is no longer waiting.
            for waiting in model::UNITS
                .find()
                .eq("unit", &unit)
                .limit(5)
                .fetch::<model::Unit>()?
                .documents
            {
                model::UNITS.delete(&waiting.id, waiting.version)?;
            }
            let mut v = doc.data;
            v.code = code;
            v.name = name;
            v.plate = plate;
            v.crew = crew;
            v.unit = unit;
            VEHICLES.update(id, doc.version, &v)?;
            if paired {
                log(
                    ctx,
                    "vehicle.paired",
                    &v.event,
                    &v.code,
                    if v.unit.is_empty() {
                        format!("Vehicle {}: its unit unpaired.", v.code)
                    } else {
                        format!("Vehicle {}: a unit paired to report for it.", v.code)
                    },
                    if v.unit.is_empty() {
                        format!("Vozidlo {}: jednotka odpárována.", v.code)
                    } else {
                        format!(
                            "Vozidlo {}: spárována jednotka, která za něj hlásí.",
                            v.code
                        )
                    },
                )?;
            }
            Ok(Outcome::redirect_with(
                "/vehicles",
                format!("{} {}", ctx.tr("Saved:", "Uloženo:"), v.code),
            ))
        }
        None => {
            let v = Vehicle {
                code,
                name,
                plate,
                crew,
                unit: String::new(),
                event: String::new(),
                route: String::new(),
                since: 0,
                last: None,
            };
            let doc = VEHICLES.insert(&v)?;
            log(
                ctx,
                "vehicle.added",
                "",
                &v.code,
                format!("Vehicle {} added: {}.", v.code, v.name),
                format!("Přidáno vozidlo {}: {}.", v.code, v.name),
            )?;
            Ok(Outcome::redirect_with(
                format!("/vehicles/{}", segment(&doc.id)),
                ctx.tr("The vehicle is added. Pair its unit here once it has reported.",
                    "Vozidlo je přidáno. Jeho jednotku zde spárujete, jakmile poprvé nahlásí polohu.",
                ),
            ))
        }
    }
}

fn open_event(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    dispatcher(ctx)?;
    let mut errors = Errors::new();
    let kind = form.get("kind").and_then(Kind::parse);
    if kind.is_none() {
        errors.push((
            "kind",
            ctx.tr("Choose what happened.", "Vyberte, o co jde.").into(),
        ));
    }
    let started = pages::read_start(ctx, form, &mut errors);
    let note = form.get("note").unwrap_or_default().trim().to_owned();
    model::check_length(ctx, &mut errors, "note", &note, false, 2_000);
    let (Some(kind), Some(started), true) = (kind, started, errors.is_empty()) else {
        return Ok(Outcome::Show(pages::events(ctx, Some(form), &errors)?));
    };
    let (number, _, _) = model::next_number(EVENTS, 2)?;
    let event = Event {
        number: number.clone(),
        kind,
        note,
        started,
        closed: None,
        open: 1,
        opened_by: actor(ctx),
        assignments: Vec::new(),
        summary: None,
    };
    let doc = EVENTS.insert(&event)?;
    log(
        ctx,
        "event.opened",
        &number,
        &number,
        format!(
            "Event {number} opened: {}, from {}. {}",
            kind.name_in(false),
            when_in(false, started),
            event.note
        ),
        format!(
            "Zahájen zásah {number}: {}, od {}. {}",
            kind.name_in(true),
            when_in(true, started),
            event.note
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/events/{}", segment(&doc.id)),
        format!("{} {number}", ctx.tr("Event opened:", "Zásah zahájen:")),
    ))
}

/// The event's page again, with what is wrong in `field`.
fn refused_on_event(
    ctx: &Context,
    id: &str,
    field: &'static str,
    en: &str,
    cs: &str,
) -> Result<Outcome> {
    let errors: Errors = vec![(field, ctx.tr(en, cs).into())];
    Ok(Outcome::Show(pages::event(ctx, id, &errors)?))
}

fn assign(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    dispatcher(ctx)?;
    let doc = pages::open_event(ctx, id)?;
    let route = form.get("route").unwrap_or_default();
    let mut errors = Errors::new();
    let route = pages::route_of(route)?;
    if route.is_none() {
        errors.push(("route", ctx.tr("Choose a route.", "Vyberte okruh.").into()));
    }
    let vehicle = match form.get("vehicle").filter(|v| !v.is_empty()) {
        Some(v) => Some(VEHICLES.get::<Vehicle>(v)?),
        None => None,
    };
    if vehicle.is_none() {
        errors.push((
            "vehicle",
            ctx.tr("Choose a vehicle.", "Vyberte vozidlo.").into(),
        ));
    }
    let (Some(route), Some(vehicle), true) = (route, vehicle, errors.is_empty()) else {
        return Ok(Outcome::Show(pages::event(ctx, id, &errors)?));
    };
    let number = doc.data.number.clone();
    if !vehicle.data.event.is_empty() && vehicle.data.event != number {
        return refused_on_event(
            ctx,
            id,
            "vehicle",
            "This vehicle works in another event: release it there first.",
            "Toto vozidlo pracuje v jiném zásahu: nejdříve ho tam uvolněte.",
        );
    }
    let mut v = vehicle.data;
    v.event = number.clone();
    v.route = route.data.code.clone();
    v.since = doc.data.started;
    VEHICLES.update(&vehicle.id, vehicle.version, &v)?;
    let mut e = doc.data;
    e.assignments.push(Assignment {
        route: route.data.code.clone(),
        vehicle: vehicle.id.clone(),
        vehicle_code: v.code.clone(),
        at: now(),
        by: actor(ctx),
    });
    EVENTS.update(id, doc.version, &e)?;
    log(
        ctx,
        "route.assigned",
        &number,
        &v.code,
        format!(
            "Route {} ({}) assigned to {}.",
            route.data.code, route.data.name, v.code
        ),
        format!(
            "Okruh {} ({}) přidělen vozidlu {}.",
            route.data.code, route.data.name, v.code
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/events/{}", segment(id)),
        format!(
            "{} {} → {}",
            ctx.tr("Assigned:", "Přiděleno:"),
            route.data.code,
            v.code
        ),
    ))
}

fn release(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    dispatcher(ctx)?;
    let number = pages::open_event(ctx, id)?.data.number;
    let vehicle = VEHICLES.get::<Vehicle>(form.get("vehicle").unwrap_or_default())?;
    if vehicle.data.event != number {
        return refused_on_event(
            ctx,
            id,
            "vehicle",
            "This vehicle does not work in this event.",
            "Toto vozidlo v tomto zásahu nepracuje.",
        );
    }
    let mut v = vehicle.data;
    v.event.clear();
    v.route.clear();
    VEHICLES.update(&vehicle.id, vehicle.version, &v)?;
    log(
        ctx,
        "vehicle.released",
        &number,
        &v.code,
        format!("Vehicle {} released from the event.", v.code),
        format!("Vozidlo {} uvolněno ze zásahu.", v.code),
    )?;
    Ok(Outcome::redirect_with(
        format!("/events/{}", segment(id)),
        format!("{} {}", ctx.tr("Released:", "Uvolněno:"), v.code),
    ))
}

fn write_entry(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    dispatcher(ctx)?;
    let doc = pages::open_event(ctx, id)?;
    let text = form.get("entry").unwrap_or_default().trim().to_owned();
    if text.is_empty() || text.chars().count() > 4_000 {
        return refused_on_event(
            ctx,
            id,
            "entry",
            "Write 1 to 4,000 characters.",
            "Napište 1 až 4 000 znaků.",
        );
    }
    log(
        ctx,
        "log.entry",
        &doc.data.number,
        &doc.data.number,
        text.clone(),
        text,
    )?;
    Ok(Outcome::redirect_with(
        format!("/events/{}", segment(id)),
        ctx.tr("Written in the log.", "Zapsáno do deníku."),
    ))
}

fn close(ctx: &Context, id: &str) -> Result<Outcome> {
    dispatcher(ctx)?;
    let doc = pages::open_event(ctx, id)?;
    let at = now();
    let mut e = doc.data;
    let mut summary = coverage::of(&e, at)?;
    summary.late.truncate(MOST_LATE_KEPT);
    e.open = 0;
    e.closed = Some(at);
    let first = summary.shares.first().map_or(1.0, coverage::Share::on_time);
    e.summary = Some(summary);
    EVENTS.update(id, doc.version, &e)?;
    let working = VEHICLES
        .find()
        .eq("event", &e.number)
        .fetch_all::<Vehicle>(model::MOST_VEHICLES)?;
    for v in working {
        let mut data = v.data;
        data.event.clear();
        data.route.clear();
        VEHICLES.update(&v.id, v.version, &data)?;
    }
    let share = |cs: bool| {
        portico_sdk::numbers::format(
            (first * 1000.0).round() / 10.0,
            if cs { "cs" } else { "en" },
        )
    };
    log(
        ctx,
        "event.closed",
        &e.number,
        &e.number,
        format!(
            "Event {} closed at {}; priority I treated on time: {} %.",
            e.number,
            when_in(false, at),
            share(false)
        ),
        format!(
            "Zásah {} ukončen {}; I. pořadí ošetřeno včas: {} %.",
            e.number,
            when_in(true, at),
            share(true)
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/events/{}/coverage", segment(id)),
        ctx.tr("The event is closed.", "Zásah je ukončen."),
    ))
}

portico_sdk::export!(WinterDispatch);
