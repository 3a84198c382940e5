//! What each person sees: the public maintenance order and when a road
//! was treated; the network for its manager; vehicles, events, their live
//! state, coverage, the season and the log for the dispatcher.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Europe::Prague;
use portico_sdk::records::{Document, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, LineMap, Map, NoticeLevel, Page, Pager,
    Result, Stat, Table, TimelineEntry, View, folding, numbers, segment,
};

use crate::coverage::{self, Summary};
use crate::model::{
    EVENTS, Entry, Event, Kind, LOG, POSITIONS, ROUTES, Route, SECTIONS, Section, TREATED, Treated,
    Treatment, UNITS, Unit, VEHICLES, Vehicle, by_priority, km, now, open_events, priority_label,
    priority_name, response_hours, routes, vehicles, when,
};

pub type Errors = Vec<(&'static str, String)>;

pub fn failed(view: View, ctx: &Context, errors: &[(&str, String)]) -> View {
    if errors.is_empty() {
        view
    } else {
        view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was saved; see the fields below.",
                "Nic nebylo uloženo; opravte pole níže.",
            ),
        )
    }
}

fn percent(ctx: &Context, share: f64) -> String {
    format!(
        "{} %",
        numbers::format((share * 1000.0).round() / 10.0, ctx.locale())
    )
}

/// Lengths of the network by priority (index 0: not maintained).
fn lengths_by_priority() -> Result<[f64; 4]> {
    Ok(by_priority(
        &SECTIONS.count_by("priority").sum("length_m").fetch()?,
    ))
}

fn event_title(ctx: &Context, e: &Event) -> String {
    format!(
        "{} {} – {}",
        ctx.tr("Event", "Zásah"),
        e.number,
        e.kind.name(ctx)
    )
}

/// `/`: the maintenance order and when a road was treated; `?q=` finds
/// a road, a street or a section.
pub fn public(ctx: &Context, page: &Page) -> Result<View> {
    let mut view = View::new(ctx.tr("Winter road maintenance", "Zimní údržba silnic")).text(ctx.tr("Roads are treated in order of priority: I first, within the response time of each priority from the start of a snowfall or black ice; sections not maintained in winter are not treated. Find your road or street to see when it was last treated.",
        "Silnice se udržují v pořadí důležitosti: nejdříve I. pořadí, každé pořadí do své lhůty od začátku sněžení nebo náledí; na neudržovaných úsecích se zimní údržba neprovádí. Vyhledejte svou silnici nebo ulici a uvidíte, kdy byla naposledy ošetřena.",
    ));
    if let Some(e) = open_events()?.into_iter().next() {
        view = view.notice(
            NoticeLevel::Warning,
            format!(
                "{}: {} {}",
                e.data.kind.name(ctx),
                ctx.tr(
                    "winter maintenance has been under way since",
                    "zimní údržba probíhá od"
                ),
                when(ctx, e.data.started)
            ),
        );
    }
    let hours = response_hours()?;
    let lengths = lengths_by_priority()?;
    view = view.stats((1..=3).map(|p| {
        Stat::new(priority_label(ctx, p as u8), km(ctx, lengths[p])).detail(format!(
            "{} {} h",
            ctx.tr("response time", "lhůta"),
            numbers::format(hours[p - 1], ctx.locale())
        ))
    }));
    let q = page.query("q").unwrap_or_default().trim().to_owned();
    view = view.form(
        Form::new("/", ctx.tr("Find", "Hledat")).field(
            Field::text(
                "q",
                ctx.tr("Road, street or place", "Silnice, ulice nebo místo"),
            )
            .value(q.clone())
            .help(ctx.tr("E.g. II/152 or Rosice", "Např. II/152 nebo Rosice")),
        ),
    );
    let (sections, next) = if q.is_empty() {
        let found = SECTIONS
            .find()
            .gt("priority", 0)
            .sort("priority")
            .limit(50)
            .after(page.query("after").map(str::to_owned))
            .fetch::<Section>()?;
        (found.documents, found.next_cursor)
    } else {
        (search(&q)?, None)
    };
    let caption = if q.is_empty() {
        ctx.tr("Sections in order of maintenance", "Úseky v pořadí údržby")
            .to_owned()
    } else {
        format!(
            "{} “{q}”",
            ctx.tr("Sections matching", "Úseky odpovídající")
        )
    };
    view = view.table(sections_table(ctx, &caption, &sections, "/sections/"));
    if let Some(next) = next {
        view = view.pager(Pager::new().next(format!("/?after={}", segment(&next))));
    }
    Ok(view.line_map(network_map(
        ctx,
        ctx.tr("Sections on this page", "Úseky na této stránce"),
        &sections,
    )))
}

/// `sections` on a map, each in the style of its priority, linked to its
/// page.
fn network_map(ctx: &Context, caption: &str, sections: &[Document<Section>]) -> LineMap {
    let legend = (1..=3)
        .map(|p| priority_label(ctx, p))
        .chain([ctx.tr("Not maintained", "Neudržovaný úsek").to_owned()]);
    let mut map = LineMap::new(caption, legend);
    for d in sections {
        let s = &d.data;
        let style = if s.priority == 0 {
            3
        } else {
            u32::from(s.priority) - 1
        };
        for line in &s.outline {
            map = map.linked_line(
                line.iter().map(|p| (p[1], p[0])),
                format!("{} {}", s.code, s.name),
                style,
                format!("/sections/{}", segment(&d.id)),
            );
        }
    }
    map
}

/// Sections whose code, road or name holds every word of `q`, the first
/// 50 in order of maintenance. Sections are small (their geometry is
/// apart), so reading the network's 20,000 at most stays cheap.
fn search(q: &str) -> Result<Vec<Document<Section>>> {
    let words: Vec<String> = folding::fold(q)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut found: Vec<_> = crate::model::all_sections()?
        .into_iter()
        .filter(|d| {
            let folded = d.data.folded();
            words.iter().all(|w| folded.contains(w.as_str()))
        })
        .collect();
    found.sort_by_key(|d| (d.data.priority == 0, d.data.priority, d.data.code.clone()));
    found.truncate(50);
    Ok(found)
}

fn sections_table(
    ctx: &Context,
    caption: &str,
    sections: &[Document<Section>],
    link: &str,
) -> Table {
    let mut t = Table::new(caption)
        .column(ctx.tr("Section", "Úsek"))
        .column(ctx.tr("Road", "Silnice"))
        .column(ctx.tr("Priority", "Pořadí"))
        .column(ctx.tr("Treatment", "Způsob údržby"))
        .numeric_column(ctx.tr("Length", "Délka"))
        .column(ctx.tr("Last treated", "Naposledy ošetřeno"))
        .empty_text(ctx.tr("No section found.", "Žádný úsek nenalezen."));
    for d in sections {
        let s = &d.data;
        t = t.row([
            Cell::link(
                format!("{} {}", s.code, s.name),
                format!("{link}{}", segment(&d.id)),
            ),
            s.road.clone().into(),
            priority_name(ctx, s.priority).into(),
            if s.priority == 0 {
                "—".into()
            } else {
                s.treatment.name(ctx).into()
            },
            km(ctx, s.length_m).into(),
            s.last_treated
                .map_or_else(|| "—".to_owned(), |t| when(ctx, t))
                .into(),
        ]);
    }
    t
}

/// `/sections/{id}`: one section, for anyone.
pub fn section(ctx: &Context, id: &str) -> Result<View> {
    let doc = SECTIONS.get::<Section>(id)?;
    let s = &doc.data;
    let hours = response_hours()?;
    let mut rows: Vec<(String, String)> = vec![
        (ctx.tr("Code", "Kód").into(), s.code.clone()),
        (ctx.tr("Road", "Silnice").into(), s.road.clone()),
        (ctx.tr("Owner", "Vlastník").into(), s.owner.clone()),
        (ctx.tr("Length", "Délka").into(), km(ctx, s.length_m)),
        (
            ctx.tr("Priority", "Pořadí").into(),
            priority_name(ctx, s.priority).into(),
        ),
    ];
    if (1..=3).contains(&s.priority) {
        rows.push((
            ctx.tr("Response time", "Lhůta").into(),
            format!(
                "{} h {}",
                numbers::format(hours[usize::from(s.priority - 1)], ctx.locale()),
                ctx.tr(
                    "from the start of a snowfall or black ice",
                    "od začátku sněžení nebo náledí"
                )
            ),
        ));
        rows.push((
            ctx.tr("Treatment", "Způsob údržby").into(),
            s.treatment.name(ctx).into(),
        ));
    }
    if !s.route.is_empty() {
        rows.push((ctx.tr("Route", "Okruh").into(), s.route.clone()));
    }
    rows.push((
        ctx.tr("Last treated", "Naposledy ošetřeno").into(),
        s.last_treated.map_or_else(
            || ctx.tr("not recorded", "nezaznamenáno").to_owned(),
            |t| when(ctx, t),
        ),
    ));
    let mut view = View::new(format!("{} {}", s.code, s.name)).key_values(rows);
    if s.priority == 0 {
        view = view.notice(
            NoticeLevel::Info,
            ctx.tr(
                "This section is not maintained in winter: drive with care.",
                "Tento úsek se v zimě neudržuje: jezděte opatrně.",
            ),
        );
    }
    if !s.outline.is_empty() {
        view = view.line_map(network_map(
            ctx,
            ctx.tr("Where it is", "Poloha úseku"),
            std::slice::from_ref(&doc),
        ));
    }
    Ok(view.actions([Action::secondary(
        ctx.tr("All sections", "Všechny úseky"),
        "/",
    )]))
}

/// `/network`: the import and the routes, for the network's manager.
pub fn network(ctx: &Context, errors: &[(&str, String)]) -> Result<View> {
    let lengths = lengths_by_priority()?;
    let mut view = failed(
        View::new(ctx.tr("Road network", "Silniční síť")),
        ctx,
        errors,
    );
    view = view.stats(
        (1..=3)
            .map(|p| Stat::new(priority_label(ctx, p as u8), km(ctx, lengths[p])))
            .chain([Stat::new(
                ctx.tr("Not maintained", "Neudržované úseky"),
                km(ctx, lengths[0]),
            )]),
    );
    view = view.form(
        Form::new("/network", ctx.tr("Import", "Importovat")).field(Field::file("network", ctx.tr("Sections (GeoJSON)", "Úseky (GeoJSON)"))
                .required()
                .accept(".geojson,.json,application/geo+json,application/json")
                .help(ctx.tr("A FeatureCollection of LineStrings in WGS 84, one per section, with the properties code, road, name, owner, priority (I, II, III, or 0 for not maintained), treatment (chemical, inert, plough), route and route_name. A section whose code is known is replaced; the others stay.",
                    "FeatureCollection čar (LineString) ve WGS 84, jedna na úsek, s vlastnostmi code, road, name, owner, priority (I, II, III, nebo 0 pro neudržovaný), treatment (chemical, inert, plough), route a route_name. Úsek se známým kódem se nahradí; ostatní zůstanou.",
                )).error_among(errors)),
    );
    let counts = SECTIONS.count_by("route").sum("length_m").fetch()?;
    let mut t = Table::new(ctx.tr("Routes", "Okruhy"))
        .column(ctx.tr("Route", "Okruh"))
        .column(ctx.tr("Name", "Název"))
        .numeric_column(ctx.tr("Sections", "Úseků"))
        .numeric_column(ctx.tr("Length", "Délka"))
        .empty_text(ctx.tr(
            "No route yet: import the network.",
            "Zatím žádný okruh: importujte síť.",
        ));
    for r in routes()? {
        let g = counts
            .iter()
            .find(|g| g.key.as_deref() == Some(r.data.code.as_str()));
        t = t.row([
            r.data.code.clone(),
            r.data.name.clone(),
            g.map_or(0, |g| g.count).to_string(),
            km(ctx, g.and_then(|g| g.sum).unwrap_or(0.0)),
        ]);
    }
    view = view.table(t);
    let found = SECTIONS.find().sort("code").limit(500).fetch::<Section>()?;
    let mut sections = sections_table(
        ctx,
        ctx.tr(
            "Sections (to change one, choose it)",
            "Úseky (úsek změníte jeho výběrem)",
        ),
        &found.documents,
        "/network/sections/",
    );
    if found.next_cursor.is_some() {
        sections = sections.empty_text("");
        view = view.text(ctx.tr(
            "The first 500 sections by code; find others on the public page.",
            "Prvních 500 úseků podle kódu; další najdete na veřejné stránce.",
        ));
    }
    Ok(view.table(sections))
}

/// `/network/sections/{id}`: change a section.
pub fn edit_section(
    ctx: &Context,
    id: &str,
    form: Option<&FormPost>,
    errors: &[(&str, String)],
) -> Result<View> {
    let doc = SECTIONS.get::<Section>(id)?;
    let s = &doc.data;
    let value = |n: &str, now: String| form.and_then(|f| f.get(n)).map_or(now, str::to_owned);
    let mut f = Form::new(
        format!("/network/sections/{}", segment(id)),
        ctx.tr("Save", "Uložit"),
    )
    .field(
        Field::text("name", ctx.tr("Name", "Název"))
            .value(value("name", s.name.clone()))
            .error_among(errors),
    )
    .field(
        Field::select(
            "priority",
            ctx.tr("Priority", "Pořadí"),
            (0..=3).map(|p| (p.to_string(), priority_name(ctx, p).to_owned())),
        )
        .required()
        .selected([value("priority", s.priority.to_string())])
        .error_among(errors),
    )
    .field(
        Field::select(
            "treatment",
            ctx.tr("Treatment", "Způsob údržby"),
            Treatment::ALL.map(|t| (t.code(), t.name(ctx))),
        )
        .required()
        .selected([value("treatment", s.treatment.code().to_owned())])
        .error_among(errors),
    );
    let choices: Vec<_> = routes()?
        .into_iter()
        .map(|r| {
            (
                r.data.code.clone(),
                format!("{} {}", r.data.code, r.data.name),
            )
        })
        .collect();
    f = f.field(
        Field::select("route", ctx.tr("Route", "Okruh"), choices)
            .selected([value("route", s.route.clone())])
            .error_among(errors),
    );
    let view = View::new(format!("{} {}", s.code, s.name)).key_values([
        (ctx.tr("Road", "Silnice"), s.road.clone()),
        (ctx.tr("Length", "Délka"), km(ctx, s.length_m)),
    ]);
    Ok(failed(view, ctx, errors)
        .form(f)
        .actions([Action::secondary(
            ctx.tr("Road network", "Silniční síť"),
            "/network",
        )]))
}

/// `/vehicles`: the fleet, units waiting to be paired, a new vehicle.
pub fn fleet(ctx: &Context, form: Option<&FormPost>, errors: &[(&str, String)]) -> Result<View> {
    let mut view = failed(View::new(ctx.tr("Vehicles", "Vozidla")), ctx, errors);
    let mut t = Table::new(ctx.tr("Vehicles", "Vozidla"))
        .column(ctx.tr("Call sign", "Volací znak"))
        .column(ctx.tr("Vehicle", "Vozidlo"))
        .column(ctx.tr("Crew", "Osádka"))
        .column(ctx.tr("Unit", "Jednotka"))
        .column(ctx.tr("Route now", "Okruh nyní"))
        .column(ctx.tr("Last report", "Poslední hlášení"))
        .empty_text(ctx.tr("No vehicle yet.", "Zatím žádné vozidlo."));
    for d in vehicles()? {
        let v = &d.data;
        t = t.row([
            Cell::link(v.code.clone(), format!("/vehicles/{}", segment(&d.id))),
            format!("{} {}", v.name, v.plate).trim().to_owned().into(),
            v.crew.clone().into(),
            if v.unit.is_empty() {
                ctx.tr("not paired", "nespárována").into()
            } else {
                ctx.tr("paired", "spárována").into()
            },
            v.route.clone().into(),
            last_report(ctx, v).into(),
        ]);
    }
    view = view.table(t);
    let waiting = waiting_units()?;
    if !waiting.is_empty() {
        let mut u = Table::new(ctx.tr(
            "Units that reported without a vehicle (pair each on its vehicle's page)",
            "Jednotky, které hlásily bez vozidla (spárujte je na stránce vozidla)",
        ))
        .column(ctx.tr("Unit", "Jednotka"))
        .column(ctx.tr("Last tried", "Naposledy hlásila"));
        for w in &waiting {
            u = u.row([w.data.name.clone(), when(ctx, w.data.seen)]);
        }
        view = view.table(u);
    }
    let value = |n: &str| form.and_then(|f| f.get(n)).unwrap_or_default().to_owned();
    Ok(view
        .heading(ctx.tr("A new vehicle", "Nové vozidlo"))
        .form(vehicle_form(
            ctx,
            "/vehicles",
            ctx.tr("Add the vehicle", "Přidat vozidlo"),
            &value,
            errors,
            None,
        )))
}

fn last_report(ctx: &Context, v: &Vehicle) -> String {
    v.last.as_ref().map_or_else(
        || "—".to_owned(),
        |l| {
            let place = if l.section.is_empty() {
                ctx.tr("off the network", "mimo síť").to_owned()
            } else {
                l.section.clone()
            };
            format!("{} · {} · {place}", when(ctx, l.at), l.work.name(ctx))
        },
    )
}

/// Units that reported and no vehicle has.
/// (A unit leaves the list when it is paired.)
fn waiting_units() -> Result<Vec<Document<Unit>>> {
    UNITS.find().fetch_all::<Unit>(200)
}

fn vehicle_form(
    ctx: &Context,
    action: &str,
    submit: &str,
    value: &dyn Fn(&str) -> String,
    errors: &[(&str, String)],
    units: Option<(Vec<(String, String)>, String)>,
) -> Form {
    let mut f = Form::new(action, submit)
        .field(
            Field::text("code", ctx.tr("Call sign", "Volací znak"))
                .required()
                .value(value("code"))
                .help(ctx.tr("E.g. S-12", "Např. S-12"))
                .error_among(errors),
        )
        .field(
            Field::text("name", ctx.tr("Vehicle", "Vozidlo"))
                .required()
                .value(value("name"))
                .help(ctx.tr(
                    "E.g. Tatra 815 with a spreader and a plough",
                    "Např. Tatra 815 se sypačem a radlicí",
                ))
                .error_among(errors),
        )
        .field(
            Field::text("plate", ctx.tr("Registration plate", "Registrační značka"))
                .value(value("plate"))
                .error_among(errors),
        )
        .field(
            Field::text("crew", ctx.tr("Crew", "Osádka"))
                .value(value("crew"))
                .error_among(errors),
        );
    if let Some((choices, current)) = units {
        f = f.field(Field::select("unit", ctx.tr("Unit that reports for it", "Jednotka, která za něj hlásí"), choices)
                .selected([current])
                .help(ctx.tr("A unit appears here once it has reported with its API token (permission winter-dispatch.report); choose none to unpair it.",
                    "Jednotka se zde objeví, jakmile poprvé nahlásí polohu se svým tokenem API (oprávnění winter-dispatch.report); prázdná volba ji odpáruje.",
                )).error_among(errors));
    }
    f
}

/// `/vehicles/{id}`: change a vehicle, pair its unit.
pub fn vehicle(
    ctx: &Context,
    id: &str,
    form: Option<&FormPost>,
    errors: &[(&str, String)],
) -> Result<View> {
    let doc = VEHICLES.get::<Vehicle>(id)?;
    let v = &doc.data;
    let current = |n: &str| -> String {
        match n {
            "code" => v.code.clone(),
            "name" => v.name.clone(),
            "plate" => v.plate.clone(),
            "crew" => v.crew.clone(),
            _ => String::new(),
        }
    };
    let value = |n: &str| {
        form.and_then(|f| f.get(n))
            .map_or_else(|| current(n), str::to_owned)
    };
    let mut choices = Vec::new();
    if !v.unit.is_empty() {
        choices.push((
            v.unit.clone(),
            ctx.tr("the unit paired now", "nyní spárovaná jednotka")
                .to_owned(),
        ));
    }
    choices.extend(waiting_units()?.into_iter().map(|u| {
        (
            u.data.unit.clone(),
            format!(
                "{} ({} {})",
                u.data.name,
                ctx.tr("reported", "hlásila"),
                when(ctx, u.data.seen)
            ),
        )
    }));
    let mut view = failed(View::new(format!("{} {}", v.code, v.name)), ctx, errors).key_values([
        (
            ctx.tr("Last report", "Poslední hlášení"),
            last_report(ctx, v),
        ),
        (ctx.tr("Route now", "Okruh nyní"), v.route.clone()),
    ]);
    if let Some(l) = &v.last {
        view = view.map(
            Map::new(ctx.tr("Where it last was", "Poslední známá poloha")).point(
                l.lat,
                l.lon,
                v.code.clone(),
            ),
        );
    }
    Ok(view
        .form(vehicle_form(
            ctx,
            &format!("/vehicles/{}", segment(id)),
            ctx.tr("Save", "Uložit"),
            &value,
            errors,
            Some((
                choices,
                form.and_then(|f| f.get("unit"))
                    .map_or_else(|| v.unit.clone(), str::to_owned),
            )),
        ))
        .actions([Action::secondary(
            ctx.tr("Vehicles", "Vozidla"),
            "/vehicles",
        )]))
}

/// `/events`: open and past events, and a new one.
pub fn events(ctx: &Context, form: Option<&FormPost>, errors: &[(&str, String)]) -> Result<View> {
    let mut view = failed(
        View::new(ctx.tr("Winter events", "Zásahy zimní údržby")),
        ctx,
        errors,
    );
    view = crate::alerts::standby_view(ctx, view)?;
    let found = EVENTS
        .find()
        .sort_desc("started")
        .limit(50)
        .fetch::<Event>()?;
    let mut t = Table::new(ctx.tr("Events", "Zásahy"))
        .column(ctx.tr("Event", "Zásah"))
        .column(ctx.tr("Began", "Začátek"))
        .column(ctx.tr("Ended", "Konec"))
        .column(ctx.tr("Priority I on time", "I. pořadí včas"))
        .empty_text(ctx.tr("No event yet.", "Zatím žádný zásah."));
    for d in &found.documents {
        let e = &d.data;
        t = t.row([
            Cell::link(event_title(ctx, e), format!("/events/{}", segment(&d.id))),
            when(ctx, e.started).into(),
            e.closed
                .map_or_else(
                    || ctx.tr("under way", "probíhá").to_owned(),
                    |c| when(ctx, c),
                )
                .into(),
            e.summary
                .as_ref()
                .and_then(|s| s.shares.first())
                .map_or_else(|| "—".to_owned(), |s| percent(ctx, s.on_time()))
                .into(),
        ]);
    }
    view = view.table(t);
    let value = |n: &str, d: String| form.and_then(|f| f.get(n)).map_or(d, str::to_owned);
    let now = Prague
        .timestamp_opt(now(), 0)
        .single()
        .unwrap_or_else(|| Prague.timestamp_opt(0, 0).unwrap());
    let f = Form::new("/events", ctx.tr("Open the event", "Zahájit zásah"))
        .field(
            Field::select(
                "kind",
                ctx.tr("What happened", "Druh situace"),
                Kind::ALL.map(|k| (k.code(), k.name(ctx))),
            )
            .required()
            .selected([value("kind", "snowfall".into())])
            .error_among(errors),
        )
        .field(
            Field::date("date", ctx.tr("Date it began", "Datum začátku"))
                .required()
                .value(value("date", now.format("%Y-%m-%d").to_string()))
                .error_among(errors),
        )
        .field(
            Field::text(
                "time",
                ctx.tr("Time it began (hh:mm)", "Čas začátku (hh:mm)"),
            )
            .required()
            .pattern("[0-2]?[0-9]:[0-5][0-9]")
            .value(value("time", now.format("%H:%M").to_string()))
            .help(ctx.tr(
                "When the snowfall or black ice began: the response times count from here.",
                "Kdy začalo sněžení nebo náledí: od té chvíle běží lhůty pro ošetření.",
            ))
            .error_among(errors),
        )
        .field(
            Field::textarea("note", ctx.tr("Note", "Poznámka"))
                .value(value("note", String::new()))
                .error_among(errors),
        );
    Ok(view.heading(ctx.tr("A new event", "Nový zásah")).form(f))
}

/// The date in the field `name`, or an error there.
pub fn read_date(
    ctx: &Context,
    form: &FormPost,
    name: &'static str,
    errors: &mut Errors,
) -> Option<NaiveDate> {
    let date = portico_sdk::calendar::parse_date(form.get(name).unwrap_or_default().trim());
    if date.is_none() {
        errors.push((name, ctx.tr("Give the date.", "Zadejte datum.").into()));
    }
    date
}

/// The time of day in the field `name` (`4:30`, `16:30`), or an error there.
pub fn read_time(
    ctx: &Context,
    form: &FormPost,
    name: &'static str,
    errors: &mut Errors,
) -> Option<NaiveTime> {
    let time = NaiveTime::parse_from_str(form.get(name).unwrap_or_default().trim(), "%H:%M").ok();
    if time.is_none() {
        errors.push((
            name,
            ctx.tr(
                "Give the time as 4:30 or 16:30.",
                "Zadejte čas jako 4:30 nebo 16:30.",
            )
            .into(),
        ));
    }
    time
}

/// `time` on `date` in Europe/Prague, in seconds since 1970; none in the
/// hour the clocks skip in spring (the earlier of an hour that repeats).
pub fn moment(date: NaiveDate, time: NaiveTime) -> Option<i64> {
    Prague
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.timestamp())
}

/// Reads the moment of the new-event form, in Europe/Prague.
pub fn read_start(ctx: &Context, form: &FormPost, errors: &mut Errors) -> Option<i64> {
    let date = read_date(ctx, form, "date", errors);
    let time = read_time(ctx, form, "time", errors);
    let Some(at) = moment(date?, time?) else {
        errors.push((
            "time",
            ctx.tr(
                "This time does not exist that day: the clocks moved forward.",
                "Tento čas ten den neexistuje: hodiny se posunuly dopředu.",
            )
            .into(),
        ));
        return None;
    };
    let now = now();
    if at > now + 300 {
        errors.push((
            "time",
            ctx.tr(
                "The start cannot be in the future.",
                "Začátek nemůže být v budoucnosti.",
            )
            .into(),
        ));
        None
    } else if at < now - 2 * 86_400 {
        errors.push((
            "date",
            ctx.tr(
                "The start can be at most two days back.",
                "Začátek může být nejvýše dva dny zpět.",
            )
            .into(),
        ));
        None
    } else {
        Some(at)
    }
}

/// `/events/{id}`: an event live: what is treated, where the vehicles
/// are, the routes given out.
pub fn event(ctx: &Context, id: &str, errors: &[(&str, String)]) -> Result<View> {
    let doc = EVENTS.get::<Event>(id)?;
    let e = &doc.data;
    let mut view = failed(View::new(event_title(ctx, e)), ctx, errors);
    let mut facts = vec![
        (ctx.tr("Began", "Začátek"), when(ctx, e.started)),
        (
            ctx.tr("Ended", "Konec"),
            e.closed.map_or_else(
                || ctx.tr("under way", "probíhá").to_owned(),
                |c| when(ctx, c),
            ),
        ),
        (ctx.tr("Opened by", "Zahájil"), e.opened_by.clone()),
    ];
    if !e.note.is_empty() {
        facts.push((ctx.tr("Note", "Poznámka"), e.note.clone()));
    }
    view = view.key_values(facts);
    // What is treated, against the network, by priority.
    let totals = lengths_by_priority()?;
    let treated = by_priority(
        &TREATED
            .count_by("priority")
            .eq("event", &e.number)
            .sum("length_m")
            .fetch()?,
    );
    view = view.stats((1..=3).map(|p| {
        Stat::new(
            format!(
                "{} – {}",
                ctx.tr("Treated", "Ošetřeno"),
                priority_label(ctx, p as u8)
            ),
            percent(
                ctx,
                if totals[p] > 0.0 {
                    treated[p] / totals[p]
                } else {
                    0.0
                },
            ),
        )
        .detail(format!("{} / {}", km(ctx, treated[p]), km(ctx, totals[p])))
    }));
    view = view.actions([
        Action::primary(
            ctx.tr("Response times met", "Plnění lhůt"),
            format!("/events/{}/coverage", segment(id)),
        ),
        Action::secondary(
            ctx.tr("The event's log", "Deník zásahu"),
            format!("/log?event={}", segment(&e.number)),
        ),
    ]);
    // What the event treated, and the vehicles in it, on a map.
    let working = VEHICLES
        .find()
        .eq("event", &e.number)
        .fetch_all::<Vehicle>(crate::model::MOST_VEHICLES)?;
    let mut map = treated_map(ctx, e)?;
    let mut t = Table::new(ctx.tr("Vehicles in the event", "Vozidla v zásahu"))
        .column(ctx.tr("Vehicle", "Vozidlo"))
        .column(ctx.tr("Route", "Okruh"))
        .column(ctx.tr("Last report", "Poslední hlášení"))
        .empty_text(ctx.tr(
            "No vehicle has a route yet.",
            "Zatím žádné vozidlo nemá okruh.",
        ));
    for d in &working {
        let v = &d.data;
        if let Some(l) = &v.last {
            map = map.linked_point(
                l.lat,
                l.lon,
                format!("{} · {}", v.code, l.work.name(ctx)),
                format!("/vehicles/{}", segment(&d.id)),
            );
        }
        t = t.row([
            Cell::link(v.code.clone(), format!("/vehicles/{}", segment(&d.id))),
            v.route.clone().into(),
            last_report(ctx, v).into(),
        ]);
    }
    if !map.is_empty() {
        view = view.line_map(map);
    }
    view = view.table(t);
    if e.open == 1 {
        view = view.table(crate::rota::on_duty_table(
            ctx,
            ctx.tr("On duty now", "Nyní ve službě"),
            None,
        )?);
        let fleet = vehicles()?;
        let assign = Form::new(
            format!("/events/{}", segment(id)),
            ctx.tr("Assign the route", "Přidělit okruh"),
        )
        .field(
            Field::select(
                "route",
                ctx.tr("Route", "Okruh"),
                routes()?.into_iter().map(|r: Document<Route>| {
                    (
                        r.data.code.clone(),
                        format!("{} {}", r.data.code, r.data.name),
                    )
                }),
            )
            .required()
            .error_among(errors),
        )
        .field(
            Field::select(
                "vehicle",
                ctx.tr("Vehicle", "Vozidlo"),
                fleet
                    .iter()
                    .map(|v| (v.id.clone(), format!("{} {}", v.data.code, v.data.name))),
            )
            .required()
            .error_among(errors),
        )
        .button("release", ctx.tr("Release the vehicle", "Uvolnit vozidlo"));
        view = view.heading(ctx.tr("Routes", "Okruhy")).form(assign);
        let note = Form::new(
            format!("/events/{}", segment(id)),
            ctx.tr("Write in the log", "Zapsat do deníku"),
        )
        .field(
            Field::textarea(
                "entry",
                ctx.tr(
                    "Decision, message or report",
                    "Rozhodnutí, zpráva nebo hlášení",
                ),
            )
            .required()
            .error_among(errors),
        );
        let close = Form::new(
            format!("/events/{}/close", segment(id)),
            ctx.tr("Close the event", "Ukončit zásah"),
        );
        view = view
            .heading(ctx.tr("The log", "Deník"))
            .form(note)
            .form(close);
    }
    let mut a = Table::new(ctx.tr("Routes given out", "Přidělené okruhy"))
        .column(ctx.tr("When", "Kdy"))
        .column(ctx.tr("Route", "Okruh"))
        .column(ctx.tr("Vehicle", "Vozidlo"))
        .column(ctx.tr("By", "Kdo"));
    for s in e.assignments.iter().rev() {
        a = a.row([
            when(ctx, s.at),
            s.route.clone(),
            s.vehicle_code.clone(),
            s.by.clone(),
        ]);
    }
    Ok(view.table(a))
}

/// The most treated sections an event's map draws.
const MOST_DRAWN: usize = 2_000;
/// The points an event's map spends on its lines (the host draws 20,000).
const LINE_POINTS: usize = 18_000;

/// The sections `e` treated, within their response time or after it, each
/// at most once (two vehicles may have recorded one at once).
fn treated_map(ctx: &Context, e: &Event) -> Result<LineMap> {
    let hours = response_hours()?;
    let mut first: HashMap<&str, &Treated> = HashMap::new();
    let treated = TREATED
        .find()
        .eq("event", &e.number)
        .fetch_all::<Treated>(MOST_DRAWN)?;
    // As coverage counts: from the event's start.
    for d in treated.iter().filter(|d| d.data.first >= e.started) {
        first
            .entry(d.data.section.as_str())
            .and_modify(|t| {
                if d.data.first < t.first {
                    *t = &d.data;
                }
            })
            .or_insert(&d.data);
    }
    let mut sections: Vec<&Treated> = first.into_values().collect();
    sections.sort_by_key(|t| (t.first, t.section.as_str()));
    let lines = sections.iter().map(|t| t.outline.len()).sum::<usize>();
    // A long night's lines share the budget: each thinned alike.
    let most = (LINE_POINTS / lines.max(1)).max(2);
    let mut caption = ctx
        .tr(
            "Sections treated and where the vehicles are",
            "Ošetřené úseky a poloha vozidel",
        )
        .to_owned();
    if treated.len() == MOST_DRAWN {
        caption.push_str(ctx.tr(" (the first 2,000 sections)", " (prvních 2 000 úseků)"));
    }
    let mut map = LineMap::new(
        caption,
        [
            ctx.tr("Treated within the response time", "Ošetřeno ve lhůtě"),
            ctx.tr("Treated after the response time", "Ošetřeno po lhůtě"),
        ],
    );
    for t in sections {
        let Some(h) = hours.get(usize::from(t.priority).wrapping_sub(1)) else {
            continue;
        };
        let late = t.first > e.started + (h * 3600.0).round() as i64;
        let link = if t.section_id.is_empty() {
            format!("/?q={}", segment(&t.section))
        } else {
            format!("/sections/{}", segment(&t.section_id))
        };
        for line in &t.outline {
            map = map.linked_line(
                thin(line, most).map(|p| (p[1], p[0])),
                format!("{} · {}", t.section, when(ctx, t.first)),
                u32::from(late),
                link.clone(),
            );
        }
    }
    Ok(map)
}

/// At most `most` (two or more) of `line`'s points, evenly, with its ends.
fn thin(line: &[[f64; 2]], most: usize) -> impl Iterator<Item = [f64; 2]> + '_ {
    let n = line.len();
    let keep = n.min(most.max(2));
    (0..keep).map(move |i| {
        if keep < 2 {
            line[i]
        } else {
            line[i * (n - 1) / (keep - 1)]
        }
    })
}

/// `/events/{id}/coverage`.
pub fn coverage(ctx: &Context, id: &str) -> Result<View> {
    let doc = EVENTS.get::<Event>(id)?;
    let e = &doc.data;
    let summary = match &e.summary {
        Some(s) => s.clone(),
        None => coverage::of(e, now())?,
    };
    let mut view = View::new(format!("{} – {}", ctx.tr("Response times met", "Plnění lhůt"), event_title(ctx, e)))
        .text(format!(
            "{} {}. {}",
            ctx.tr("As of", "Stav k"),
            when(ctx, summary.at),
            ctx.tr("A section is on time when a vehicle treated it within its priority's response time from the event's start.",
                "Úsek je ošetřen včas, když ho vozidlo ošetřilo ve lhůtě jeho pořadí od začátku zásahu.",
            )
        ));
    view = coverage_view(ctx, view, &summary);
    let material = POSITIONS
        .count_by("material")
        .eq("event", &e.number)
        .sum("amount_kg")
        .fetch()?;
    let mut m = Table::new(ctx.tr("Material spread", "Rozprostřený materiál"))
        .column(ctx.tr("Material", "Materiál"))
        .numeric_column(ctx.tr("Amount", "Množství"))
        .empty_text(ctx.tr("None reported.", "Nic nehlášeno."));
    for g in material {
        let Some(name) = g.key.filter(|k| !k.is_empty()) else {
            continue;
        };
        m = m.row([
            name,
            format!(
                "{} t",
                numbers::format((g.sum.unwrap_or(0.0) / 100.0).round() / 10.0, ctx.locale())
            ),
        ]);
    }
    Ok(view.table(m).actions([Action::secondary(
        ctx.tr("Back to the event", "Zpět k zásahu"),
        format!("/events/{}", segment(id)),
    )]))
}

fn coverage_view(ctx: &Context, mut view: View, s: &Summary) -> View {
    let mut t = Table::new(ctx.tr("Response times met by priority", "Plnění lhůt podle pořadí"))
        .column(ctx.tr("Priority", "Pořadí"))
        .numeric_column(ctx.tr("Response time", "Lhůta"))
        .numeric_column(ctx.tr("Length", "Délka"))
        .numeric_column(ctx.tr("On time", "Včas"))
        .numeric_column(ctx.tr("Late", "Pozdě"))
        .numeric_column(ctx.tr("Not yet treated", "Dosud neošetřeno"))
        .numeric_column(ctx.tr("Sections late", "Úseků po lhůtě"));
    for share in &s.shares {
        t = t.row([
            priority_name(ctx, share.priority).to_owned(),
            format!("{} h", numbers::format(share.hours, ctx.locale())),
            km(ctx, share.total_m),
            format!(
                "{} ({})",
                percent(ctx, share.on_time()),
                km(ctx, share.on_time_m)
            ),
            km(ctx, share.late_m),
            km(ctx, share.waiting_m),
            share.late.to_string(),
        ]);
    }
    view = view.table(t);
    let mut late = Table::new(ctx.tr("Sections late", "Úseky po lhůtě"))
        .column(ctx.tr("Section", "Úsek"))
        .column(ctx.tr("Priority", "Pořadí"))
        .column(ctx.tr("Route", "Okruh"))
        .column(ctx.tr("Deadline", "Konec lhůty"))
        .column(ctx.tr("Treated", "Ošetřeno"))
        .empty_text(ctx.tr(
            "None: every section was treated on time.",
            "Žádné: všechny úseky byly ošetřeny včas.",
        ));
    for l in &s.late {
        late = late.row([
            Cell::link(
                format!("{} {}", l.code, l.name),
                format!("/sections/{}", segment(&l.section)),
            ),
            priority_name(ctx, l.priority).into(),
            l.route.clone().into(),
            when(ctx, l.deadline).into(),
            l.treated
                .map_or_else(
                    || ctx.tr("not yet", "dosud ne").to_owned(),
                    |t| when(ctx, t),
                )
                .into(),
        ]);
    }
    view.table(late)
}

/// `/season`: the events of a winter season (1 October to 30 April).
pub fn season(ctx: &Context, page: &Page) -> Result<View> {
    let today = portico_sdk::calendar::today();
    use chrono::Datelike;
    let default = if today.month() >= 7 {
        today.year()
    } else {
        today.year() - 1
    };
    let year = page
        .query("from")
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(default);
    let start = |y: i32, m: u32, d: u32| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| {
                Prague
                    .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
                    .earliest()
            })
            .map_or(0, |t| t.timestamp())
    };
    let (from, to) = (start(year, 7, 1), start(year + 1, 7, 1));
    let events = EVENTS
        .find()
        .ge("started", from)
        .lt("started", to)
        .sort("started")
        .fetch_all::<Event>(1_000)?;
    let mut view = View::new(format!(
        "{} {}/{}",
        ctx.tr("Winter maintenance season", "Sezóna zimní údržby"),
        year,
        (year + 1) % 100
    ));
    let mut t = Table::new(ctx.tr("Events of the season", "Zásahy období"))
        .column(ctx.tr("Event", "Zásah"))
        .column(ctx.tr("Began", "Začátek"))
        .numeric_column(ctx.tr("Hours", "Počet hodin"))
        .numeric_column(ctx.tr("I on time", "I. včas"))
        .numeric_column(ctx.tr("II on time", "II. včas"))
        .numeric_column(ctx.tr("III on time", "III. včas"))
        .numeric_column(ctx.tr("Sections late", "Úseků po lhůtě"))
        .empty_text(ctx.tr("No event in this season.", "V tomto období žádný zásah."));
    let mut hours_all = 0.0;
    for d in &events {
        let e = &d.data;
        let hours = (e.closed.unwrap_or_else(now) - e.started) as f64 / 3600.0;
        hours_all += hours;
        let share = |p: usize| {
            e.summary
                .as_ref()
                .and_then(|s| s.shares.get(p))
                .map_or_else(|| "—".to_owned(), |s| percent(ctx, s.on_time()))
        };
        t = t.row([
            Cell::link(
                event_title(ctx, e),
                format!("/events/{}/coverage", segment(&d.id)),
            ),
            when(ctx, e.started).into(),
            numbers::format((hours * 10.0).round() / 10.0, ctx.locale()).into(),
            share(0).into(),
            share(1).into(),
            share(2).into(),
            e.summary
                .as_ref()
                .map_or_else(
                    || "—".to_owned(),
                    |s| s.shares.iter().map(|s| s.late).sum::<u32>().to_string(),
                )
                .into(),
        ]);
    }
    view = view
        .stats([
            Stat::new(ctx.tr("Events", "Počet zásahů"), events.len().to_string()),
            Stat::new(
                ctx.tr("Hours of maintenance", "Hodin údržby"),
                numbers::format(hours_all.round(), ctx.locale()),
            ),
        ])
        .table(t);
    let mut pager = Pager::new()
        .previous(format!("/season?from={}", year - 1))
        .summary(format!("{year}/{}", (year + 1) % 100));
    if year < default {
        pager = pager.next(format!("/season?from={}", year + 1));
    }
    Ok(view.pager(pager))
}

/// `/log`: the dispatcher's log, newest first; `?event=` one event's.
pub fn log(ctx: &Context, page: &Page) -> Result<View> {
    let mut find = LOG
        .find()
        .sort_desc("at")
        .limit(100)
        .after(page.query("after").map(str::to_owned));
    let event = page.query("event").unwrap_or_default();
    if !event.is_empty() {
        find = find.eq("event", event);
    }
    let found = find.fetch::<Entry>()?;
    let title = if event.is_empty() {
        ctx.tr("The dispatcher's log", "Deník dispečera").to_owned()
    } else {
        let e = EVENTS
            .find_by::<Event>("number", event)?
            .ok_or_else(|| Error::not_found(format!("no event {event}")))?;
        format!(
            "{} – {}",
            ctx.tr("The log", "Deník"),
            event_title(ctx, &e.data)
        )
    };
    let mut view = View::new(title).text(ctx.tr("Every decision, assignment, report and message, as it was written; nothing here can be changed. Each entry is also on the organization's audit chain.",
        "Každé rozhodnutí, přidělení, hlášení a zpráva tak, jak byly zapsány; nic zde nelze změnit. Každý záznam je také v auditní stopě organizace.",
    ));
    let cs = ctx.is_czech();
    view = view.timeline(found.documents.iter().map(|d| {
        let e = &d.data;
        TimelineEntry::new(
            crate::model::rfc3339(e.at),
            if cs { e.cs.clone() } else { e.en.clone() },
        )
        .text(e.by.clone())
    }));
    if let Some(next) = found.next_cursor {
        let mut to = format!("/log?after={}", segment(&next));
        if !event.is_empty() {
            to.push_str(&format!("&event={}", segment(event)));
        }
        view = view.pager(Pager::new().next(to));
    }
    Ok(view)
}

/// The route of `code`, if the network has it.
pub fn route_of(code: &str) -> Result<Option<Document<Route>>> {
    ROUTES.find_by::<Route>("code", code)
}

/// The event `id` as the dispatcher may change it: open.
pub fn open_event(ctx: &Context, id: &str) -> Result<Document<Event>> {
    let doc = EVENTS.get::<Event>(id)?;
    if doc.data.open != 1 {
        return Err(Error::Conflict(
            ctx.tr("This event is closed.", "Tento zásah je ukončen.")
                .into(),
        ));
    }
    Ok(doc)
}
