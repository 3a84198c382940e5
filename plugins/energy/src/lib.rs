//! Energy management for an organization's buildings: meters and their
//! readings, weather stations, a baseline per meter by the CalTRACK daily
//! method and the weather-normalised savings it shows.
//!
//! - `model`: what is kept.
//! - `import`: the files of readings and temperatures.
//! - `readings`: readings into days (intervals, counters).
//! - `caltrack`: the daily method.
//! - `baseline`: a meter's baseline, its acceptance and its savings.
//! - `virtual_meters`: meters made of others' sums and differences.
//! - `weather`: temperatures fetched from the weather service.
//! - `alerts`: anomalies and certificates told.
//! - `region`: the buildings' year sent up the tree, and the founder's view.
//! - `pages`: what people see.

mod alerts;
mod baseline;
mod caltrack;
mod import;
mod model;
mod pages;
mod readings;
mod region;
mod virtual_meters;
mod weather;

use portico_sdk::{
    Context, Error, FormPost, Module, Outcome, Page, Request, Response, Result, View, csv, segment,
};
use serde::{Deserialize, Serialize};

use model::{
    BUILDINGS, Building, Carrier, CounterReading, METERS, Meter, STATIONS, Station, audit, manager,
};
use pages::Errors;

struct Energy;

/// Meters fitted a call when the nightly job refits them all.
const FITS_A_CALL: usize = 25;
const FIT_TOPIC: &str = "energy.fit";

fn param<'a>(page: &'a Page, name: &str) -> &'a str {
    page.param(name).unwrap_or_default()
}

impl Module for Energy {
    const ID: &'static str = "energy";
    const NAME: &'static str = "Energy management";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        match page.pattern() {
            "/" => pages::home(ctx),
            "/buildings/new" => pages::new_building(ctx, None, &[].into()),
            "/buildings/{id}" | "/buildings/{id}/meters" => {
                pages::building(ctx, param(page, "id"), None, &Vec::new())
            }
            "/meters/{id}"
            | "/meters/{id}/import"
            | "/meters/{id}/reading"
            | "/meters/{id}/calorific" => pages::meter(ctx, param(page, "id"), None, &Vec::new()),
            "/stations" => pages::stations(ctx, None, &Vec::new()),
            "/stations/{id}" | "/stations/{id}/fetch" => {
                pages::station(ctx, param(page, "id"), None, &Vec::new())
            }
            "/region" => region::overview(ctx, page),
            "/region/{key}" => region::building(ctx, param(page, "key")),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let id = form.param("id").unwrap_or_default();
        match form.pattern() {
            "/" => report(ctx),
            "/buildings/new" => save_building(ctx, None, form),
            "/buildings/{id}" => save_building(ctx, Some(id), form),
            "/buildings/{id}/meters" => add_meter(ctx, id, form),
            "/meters/{id}" => fit(ctx, id, form),
            "/meters/{id}/import" => import_readings(ctx, id, form),
            "/meters/{id}/reading" => enter_reading(ctx, id, form),
            "/meters/{id}/calorific" => set_calorific(ctx, id, form),
            "/stations" => add_station(ctx, form),
            "/stations/{id}" => import_temperatures(ctx, id, form),
            "/stations/{id}/fetch" => fetch_temperatures(ctx, id, form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        match req.pattern() {
            "/meters/{id}/baseline.csv" => baseline_csv(ctx, req.param("id").unwrap_or_default()),
            "/buildings/{id}/days.csv" => {
                pages::building_days_csv(req.param("id").unwrap_or_default())
            }
            "/api/v1/readings" => gateway(req),
            other => Err(Error::not_found(format!("no API at {other}"))),
        }
    }

    fn run_job(_ctx: &Context, job: &str) -> Result<()> {
        match job {
            "baselines" => refit_all(),
            "penb" => alerts::penb_reminders(),
            "weather" => weather::daily(),
            "report" => region::send().map(drop),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }

    fn on_message(ctx: &Context, message: &portico_sdk::messages::Message) -> Result<()> {
        region::receive(ctx, message)
    }

    fn on_event(_ctx: &Context, event: &portico_sdk::Event) -> Result<()> {
        // One register of buildings: the property register's come here.
        if event.topic == model::PROPERTY_TOPIC && event.source == "assets" {
            return model::take_building(&event.payload()?);
        }
        // Only the module's own steps: another module cannot start a refit.
        if event.source != Self::ID {
            return Ok(());
        }
        if event.topic == weather::TOPIC {
            return weather::step(&event.payload()?);
        }
        if event.topic == FIT_TOPIC {
            let batch: Batch = event.payload()?;
            let mut fitter = baseline::Fitter::new()?;
            for code in batch.meters {
                // A meter deleted meanwhile, or one whose building is
                // gone, is nothing to fit; the rest of the batch goes on.
                if let Ok(meter) = model::meter_by_code(&code)
                    && let Err(e) = fitter.fit(&meter.data)
                {
                    portico_sdk::log::warn(format!("meter {code} not fitted: {e}"));
                }
            }
        }
        Ok(())
    }
}

/// The manager sends the buildings' year to the founder now.
fn report(ctx: &Context) -> Result<Outcome> {
    manager(ctx)?;
    let Some(founder) = region::send()? else {
        return Err(Error::Conflict(
            ctx.tr(
                "No organization above has energy management enabled.",
                "Žádná nadřízená organizace nemá zapnutý energetický management.",
            )
            .into(),
        ));
    };
    audit(
        ctx,
        "report.sent",
        "",
        format!("The buildings' year sent to {founder}."),
    )?;
    Ok(Outcome::redirect_with(
        "/",
        if ctx.is_czech() {
            format!("Hlášení odesláno: {founder}.")
        } else {
            format!("The report is sent to {founder}.")
        },
    ))
}

#[derive(Serialize, Deserialize)]
struct Batch {
    meters: Vec<String>,
}

/// The nightly refit: every meter, a batch a call, through the module's
/// own events so that no call runs long and pages are served meanwhile.
fn refit_all() -> Result<()> {
    let mut batch = Vec::new();
    for page in METERS.find().limit(500).pages::<Meter>() {
        for doc in page? {
            batch.push(doc.data.label);
            if batch.len() == FITS_A_CALL {
                portico_sdk::events::publish(
                    FIT_TOPIC,
                    &Batch {
                        meters: std::mem::take(&mut batch),
                    },
                )?;
            }
        }
    }
    if !batch.is_empty() {
        portico_sdk::events::publish(FIT_TOPIC, &Batch { meters: batch })?;
    }
    Ok(())
}

/// A gas meter's calorific value (`kwh_per_m3`), when it is a plausible
/// one: between 5 and 15 kWh/m³.
fn calorific_value(form: &FormPost) -> Option<f64> {
    number(form, "kwh_per_m3")
        .flatten()
        .filter(|v| *v > 5.0 && *v < 15.0)
}

fn number(form: &FormPost, name: &str) -> Option<Option<f64>> {
    let text = form.get(name).unwrap_or_default().trim().replace(',', ".");
    if text.is_empty() {
        return Some(None);
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Some)
}

fn save_building(ctx: &Context, id: Option<&str>, form: &FormPost) -> Result<Outcome> {
    manager(ctx)?;
    let mut errors: Errors = Vec::new();
    let name = form.get("name").unwrap_or_default().trim().to_owned();
    if name.is_empty() {
        errors.push((
            "name",
            ctx.tr("Name the building.", "Vyplňte název budovy.").into(),
        ));
    }
    let area = number(form, "area_m2");
    if area.is_none() {
        errors.push((
            "area_m2",
            ctx.tr(
                "The floor area is a number of m², e.g. 1250.",
                "Plocha je počet m², např. 1250.",
            )
            .into(),
        ));
    }
    let expires = form
        .get("penb_expires")
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !expires.is_empty() && portico_sdk::calendar::parse_date(&expires).is_none() {
        errors.push((
            "penb_expires",
            ctx.tr("A date, e.g. 2031-05-31.", "Datum, např. 2031-05-31.")
                .into(),
        ));
    }
    let station = form.get("station").unwrap_or_default().to_owned();
    if !station.is_empty() && model::station_by_code(&station).is_err() {
        errors.push((
            "station",
            ctx.tr("No such station.", "Taková stanice není.").into(),
        ));
    }
    let contact = form.get("contact").unwrap_or_default().trim().to_owned();
    let looks_like_mail =
        contact.contains('@') && !contact.contains(char::is_whitespace) && contact.len() <= 254;
    if !contact.is_empty() && !looks_like_mail {
        errors.push((
            "contact",
            ctx.tr(
                "An e-mail address, e.g. energie@kraj.cz.",
                "E-mailová adresa, např. energie@kraj.cz.",
            )
            .into(),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(match id {
            Some(id) => pages::building(ctx, id, Some(form), &errors)?,
            None => pages::new_building(ctx, Some(form), &errors)?,
        }));
    }
    let usage = form.get("usage").unwrap_or("other");
    let code = match id {
        Some(id) => id.to_owned(),
        None => {
            let given = form.get("code").unwrap_or_default().trim().to_owned();
            if given.is_empty() {
                portico_sdk::spoken_number("B-", |c| Ok(model::building_by_code(c).is_ok()))?
            } else if model::building_by_code(&given).is_ok() {
                let errors: Errors = vec![(
                    "code",
                    ctx.tr(
                        "A building of this code is already here.",
                        "Budova s tímto kódem už je zavedena.",
                    )
                    .into(),
                )];
                return Ok(Outcome::Show(pages::new_building(
                    ctx,
                    Some(form),
                    &errors,
                )?));
            } else {
                given
            }
        }
    };
    let building = Building {
        code,
        name: name.clone(),
        address: form.get("address").unwrap_or_default().trim().to_owned(),
        area_m2: area.flatten().unwrap_or(0.0),
        usage: if model::USES.iter().any(|u| u.0 == usage) {
            usage.into()
        } else {
            "other".into()
        },
        penb: form
            .get("penb")
            .filter(|p| ["A", "B", "C", "D", "E", "F", "G"].contains(p))
            .unwrap_or_default()
            .to_owned(),
        penb_expires: expires,
        station,
        contact,
        penb_reminded: String::new(),
        property: String::new(),
    };
    let id = match id {
        Some(id) => {
            let kept = model::building_by_code(id)?;
            let mut building = building;
            // The property register's building keeps its name and address.
            if !kept.data.property.is_empty() {
                building.property.clone_from(&kept.data.property);
                building.name.clone_from(&kept.data.name);
                building.address.clone_from(&kept.data.address);
            }
            if kept.data.penb_expires == building.penb_expires {
                building.penb_reminded = kept.data.penb_reminded.clone();
            }
            BUILDINGS.update(&kept.id, kept.version, &building)?;
            id.to_owned()
        }
        None => BUILDINGS.insert(&building)?.data.code,
    };
    audit(
        ctx,
        "building.saved",
        &id,
        format!("Building saved: {name}."),
    )?;
    Ok(Outcome::redirect_with(
        format!("/buildings/{}", segment(&id)),
        ctx.tr("The building is saved.", "Budova je uložena."),
    ))
}

fn add_meter(ctx: &Context, building: &str, form: &FormPost) -> Result<Outcome> {
    manager(ctx)?;
    model::building_by_code(building)?;
    let mut errors: Errors = Vec::new();
    let label = form.get("label").unwrap_or_default().trim().to_owned();
    if label.is_empty() {
        errors.push((
            "label",
            ctx.tr(
                "Name the meter (its EAN or EIC).",
                "Vyplňte označení měřidla (EAN nebo EIC).",
            )
            .into(),
        ));
    } else if model::meter_by_code(&label).is_ok() {
        errors.push((
            "label",
            ctx.tr(
                "A meter of this code is already here.",
                "Měřidlo s tímto označením už je zavedeno.",
            )
            .into(),
        ));
    }
    let carrier =
        Carrier::parse(form.get("carrier").unwrap_or_default()).unwrap_or(Carrier::Electricity);
    let role = form
        .get("role")
        .filter(|r| matches!(*r, "sub" | "virtual"))
        .unwrap_or("main");
    // A virtual meter counts in what the module keeps, kWh or m³.
    let unit = if role == "virtual" {
        carrier.measure().replace('³', "3")
    } else {
        form.get("unit").unwrap_or("kWh").to_owned()
    };
    let parts = if role == "virtual" {
        match virtual_meters::parse(form.get("parts").unwrap_or_default(), carrier.code())? {
            Ok(parts) => parts,
            Err(wrong) => {
                errors.push(("parts", if ctx.is_czech() { wrong.cs } else { wrong.en }));
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    if !carrier.units().contains(&unit.as_str()) {
        errors.push((
            "unit",
            if ctx.is_czech() {
                format!(
                    "{} se měří v: {}.",
                    carrier.name(ctx),
                    carrier.units().join(", ").replace("m3", "m³")
                )
            } else {
                format!(
                    "{} is counted in {}.",
                    carrier.name(ctx),
                    carrier.units().join(", ").replace("m3", "m³")
                )
            },
        ));
    }
    let kwh_per_m3 = calorific_value(form);
    let gas_m3 = carrier == Carrier::Gas && unit == "m3";
    if gas_m3 && kwh_per_m3.is_none() {
        errors.push((
            "kwh_per_m3",
            ctx.tr(
                "Gas in m³ needs its calorific value, between 5 and 15 kWh/m³ (about 10.5).",
                "Plyn v m³ potřebuje spalné teplo mezi 5 a 15 kWh/m³ (obvykle kolem 10,5).",
            )
            .into(),
        ));
    }
    let digits = form.get("digits").unwrap_or_default().trim();
    let digits = if digits.is_empty() {
        Some(0)
    } else {
        digits.parse::<u32>().ok().filter(|d| *d <= 12)
    };
    if digits.is_none() {
        errors.push((
            "digits",
            ctx.tr(
                "A whole number of digits, up to 12.",
                "Celý počet číslic, nejvýše 12.",
            )
            .into(),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(pages::building(
            ctx,
            building,
            Some(form),
            &errors,
        )?));
    }
    let meter = Meter {
        building: building.to_owned(),
        label: label.clone(),
        carrier: carrier.code().into(),
        unit,
        role: role.into(),
        kwh_per_m3: if gas_m3 {
            kwh_per_m3.unwrap_or(0.0)
        } else {
            0.0
        },
        digits: digits.unwrap_or(0),
        baseline_end: String::new(),
        calorific: Vec::new(),
        parts,
    };
    let id = METERS.insert(&meter)?.data.label;
    audit(
        ctx,
        "meter.added",
        &id,
        if meter.is_virtual() {
            format!(
                "Virtual meter {label} added to building {building}: {}.",
                virtual_meters::lines(&meter.parts).replace('\n', " ")
            )
        } else {
            format!("Meter {label} added to building {building}.")
        },
    )?;
    let message = if meter.is_virtual() {
        let days = virtual_meters::compute_all(&meter)?;
        if ctx.is_czech() {
            format!("Virtuální měřidlo je přidáno; dní spočtených z jeho částí: {days}.")
        } else {
            format!("The virtual meter is added; {days} days computed from its parts.")
        }
    } else {
        ctx.tr(
            "The meter is added: import its readings.",
            "Měřidlo je přidáno: importujte jeho odečty.",
        )
        .to_owned()
    };
    Ok(Outcome::redirect_with(
        format!("/meters/{}", segment(&id)),
        message,
    ))
}

fn fit(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    manager(ctx)?;
    let kept = model::meter_by_code(id)?;
    let end = form
        .get("baseline_end")
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !end.is_empty() && portico_sdk::calendar::parse_date(&end).is_none() {
        let errors: Errors = vec![(
            "baseline_end",
            ctx.tr("A date, e.g. 2025-08-31.", "Datum, např. 2025-08-31.")
                .into(),
        )];
        return Ok(Outcome::Show(pages::meter(ctx, id, Some(form), &errors)?));
    }
    let mut meter = kept.data.clone();
    if meter.baseline_end != end {
        meter.baseline_end = end;
        METERS.update(&kept.id, kept.version, &meter)?;
    }
    let b = baseline::Fitter::new()?.fit(&meter)?;
    audit(
        ctx,
        "baseline.fitted",
        id,
        format!(
            "Baseline of meter {} fitted ({} – {}): {}.",
            kept.data.label,
            b.from,
            b.to,
            if b.accepted { "accepted" } else { "refused" }
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/meters/{}", segment(id)),
        if b.accepted {
            ctx.tr(
                "The baseline is fitted and accepted.",
                "Referenční model je sestaven a přijat.",
            )
            .to_owned()
        } else if ctx.is_czech() {
            format!("Referenční model nebyl přijat: {}", b.reason_cs)
        } else {
            format!("The baseline was not accepted: {}", b.reason_en)
        },
    ))
}

fn refusals(ctx: &Context, refused: &[import::Refusal]) -> String {
    let named: Vec<String> = refused
        .iter()
        .take(import::MOST_NAMED)
        .map(|r| {
            if ctx.is_czech() {
                format!("řádek {}: {}", r.line, r.cs)
            } else {
                format!("line {}: {}", r.line, r.en)
            }
        })
        .collect();
    let more = refused.len().saturating_sub(import::MOST_NAMED);
    let tail = if more == 0 {
        String::new()
    } else if ctx.is_czech() {
        format!("; a dalších {more}")
    } else {
        format!("; and {more} more")
    };
    if ctx.is_czech() {
        format!("Nic nebylo uloženo. {}{tail}.", named.join("; "))
    } else {
        format!("Nothing was stored. {}{tail}.", named.join("; "))
    }
}

fn file_text<'a>(
    ctx: &Context,
    form: &'a FormPost,
    field: &str,
) -> std::result::Result<&'a str, String> {
    let Some(file) = form.file(field).filter(|f| !f.content.is_empty()) else {
        return Err(ctx.tr("Choose a CSV file.", "Vyberte soubor CSV.").into());
    };
    std::str::from_utf8(&file.content).map_err(|_| {
        ctx.tr("The file is not text in UTF-8 (save it from the spreadsheet as CSV UTF-8).", "Soubor není text v kódování UTF-8 (uložte jej z tabulkového procesoru jako CSV UTF-8).").into()
    })
}

/// A virtual meter has no readings of its own.
fn no_readings(ctx: &Context) -> Error {
    Error::Conflict(
        ctx.tr(
            "A virtual meter has no readings of its own: its use is computed from its parts.",
            "Virtuální měřidlo nemá vlastní odečty: jeho spotřeba se počítá z jeho částí.",
        )
        .into(),
    )
}

fn import_readings(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    manager(ctx)?;
    let meter = model::meter_by_code(id)?.data;
    if meter.is_virtual() {
        return Err(no_readings(ctx));
    }
    let refuse = |message: String| -> Result<Outcome> {
        let errors: Errors = vec![("readings", message)];
        Ok(Outcome::Show(pages::meter(ctx, id, None, &errors)?))
    };
    let text = match file_text(ctx, form, "readings") {
        Ok(t) => t,
        Err(e) => return refuse(e),
    };
    let parsed = match import::parse(text, false) {
        Ok(p) => p,
        Err(refused) => return refuse(refusals(ctx, &refused)),
    };
    if readings::too_fine(&parsed.rows) {
        return refuse(
            ctx.tr("The intervals are shorter than 5 minutes: sum them to quarter-hours (or 5 minutes) first.",
                "Intervaly jsou kratší než 5 minut: nejprve je sečtěte na čtvrthodiny (nebo 5 minut).",
            )
            .into(),
        );
    }
    let stored = readings::store(&meter, &parsed.rows)?;
    audit(
        ctx,
        "readings.imported",
        id,
        format!(
            "Readings of meter {} imported: {} lines, {} days.",
            meter.label,
            parsed.rows.len(),
            stored.days
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/meters/{}", segment(id)),
        stored_message(ctx, parsed.rows.len(), &stored),
    ))
}

fn stored_message(ctx: &Context, lines: usize, s: &readings::Stored) -> String {
    let list = |days: &[chrono::NaiveDate]| {
        let mut shown: Vec<String> = days.iter().take(5).map(|d| model::date(ctx, *d)).collect();
        if days.len() > 5 {
            shown.push("…".into());
        }
        shown.join(", ")
    };
    let mut parts = vec![if ctx.is_czech() {
        format!("Importováno řádků: {lines}; dní se spotřebou: {}.", s.days)
    } else {
        format!("{lines} lines imported; {} days with their use.", s.days)
    }];
    if !s.partial.is_empty() {
        parts.push(if ctx.is_czech() {
            format!(
                "Neúplné dny (bez spotřeby, dokud nepřijdou zbylé intervaly): {} ({}).",
                s.partial.len(),
                list(&s.partial)
            )
        } else {
            format!(
                "Days not whole (no use until the rest of their intervals come): {} ({}).",
                s.partial.len(),
                list(&s.partial)
            )
        });
    }
    if !s.gaps.is_empty() {
        parts.push(if ctx.is_czech() {
            format!(
                "Mezery bez odečtů: {} dní ({}).",
                s.gaps.len(),
                list(&s.gaps)
            )
        } else {
            format!(
                "Gaps without readings: {} days ({}).",
                s.gaps.len(),
                list(&s.gaps)
            )
        });
    }
    if !s.extreme.is_empty() {
        parts.push(if ctx.is_czech() {
            format!("Nepravděpodobně vysoká spotřeba (nad mediánem o trojnásobek mezikvartilového rozpětí), zkontrolujte: {} dní ({}).", s.extreme.len(), list(&s.extreme))
        } else {
            format!("Implausibly high use (above the median by three interquartile ranges), check: {} days ({}).", s.extreme.len(), list(&s.extreme))
        });
    }
    if s.told.days > 0 {
        let n = s.told.days;
        parts.push(if ctx.is_czech() {
            format!("Dní mimo interval předpovědi referenčního modelu: {n} (ohlášeno).")
        } else {
            format!("Days outside the baseline's prediction interval: {n} (reported).")
        });
    }
    if s.told.months > 0 {
        let n = s.told.months;
        parts.push(if ctx.is_czech() {
            format!("Celých měsíců mimo interval předpovědi referenčního modelu: {n} (ohlášeno).")
        } else {
            format!("Whole months outside the baseline's prediction interval: {n} (reported).")
        });
    }
    parts.join(" ")
}

fn enter_reading(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    let Some(p) = ctx
        .principal()
        .filter(|p| p.has_permission("energy.read") || p.has_permission("energy.manage"))
    else {
        return Err(Error::forbidden(ctx.tr(
            "Only a caretaker or the energy manager may enter readings.",
            "Odečty smí zadávat jen správce budovy nebo energetický manažer.",
        )));
    };
    let by = p.name().to_owned();
    let meter = model::meter_by_code(id)?.data;
    if meter.is_virtual() {
        return Err(no_readings(ctx));
    }
    let mut errors: Errors = Vec::new();
    let date = form.get("date").unwrap_or_default().trim().to_owned();
    match portico_sdk::calendar::parse_date(&date) {
        None => errors.push((
            "date",
            ctx.tr("A date, e.g. 2025-01-31.", "Datum, např. 2025-01-31.")
                .into(),
        )),
        Some(d) if d > portico_sdk::calendar::today() => errors.push((
            "date",
            ctx.tr("The date is in the future.", "Datum je v budoucnosti.")
                .into(),
        )),
        Some(_) => {}
    }
    let reading = number(form, "reading").flatten();
    if reading.is_none() {
        errors.push((
            "reading",
            ctx.tr(
                "The counter's reading, a number of zero or more.",
                "Stav počítadla, číslo nula nebo větší.",
            )
            .into(),
        ));
    }
    if errors.is_empty() {
        let entry = CounterReading {
            meter: id.to_owned(),
            date: date.clone(),
            reading: reading.unwrap_or(0.0),
            new_counter: form.all("new_counter").any(|v| v == "1"),
            by,
        };
        match readings::counter(&meter, entry)? {
            Ok(used) => {
                audit(
                    ctx,
                    "reading.entered",
                    id,
                    format!(
                        "Counter of meter {} read {date}: {}.",
                        meter.label,
                        reading.unwrap_or(0.0)
                    ),
                )?;
                let unit = model::unit_name(&meter.unit);
                return Ok(Outcome::redirect_with(
                    format!("/meters/{}", segment(id)),
                    match used {
                        Some(u) if ctx.is_czech() => format!(
                            "Odečet uložen; spotřeba od minulého odečtu {} {unit}.",
                            model::num(ctx, u, 3)
                        ),
                        Some(u) => format!(
                            "The reading is saved; {} {unit} used since the one before.",
                            model::num(ctx, u, 3)
                        ),
                        None => ctx
                            .tr(
                                "The reading is saved: the use shows from the next one.",
                                "Odečet uložen: spotřeba se ukáže od příštího.",
                            )
                            .to_owned(),
                    },
                ));
            }
            Err(readings::CounterError::NotAfter { date: before }) => {
                let before = model::date_text(ctx, &before);
                errors.push((
                    "date",
                    if ctx.is_czech() {
                        format!("Poslední odečet je z {before}: nový musí být pozdější.")
                    } else {
                        format!("The last reading is of {before}: a new one must be later.")
                    },
                ));
            }
            Err(readings::CounterError::Lower {
                previous,
                date: before,
            }) => {
                let before = model::date_text(ctx, &before);
                errors.push((
                "reading",
                if ctx.is_czech() {
                    format!("Stav je nižší než minulý ({} z {before}). Byl-li měřič vyměněn, zaškrtněte výměnu; přetéká-li počítadlo, zadejte u měřidla počet jeho číslic.", model::num(ctx, previous, 3))
                } else {
                    format!("The reading is lower than the one before ({} of {before}). If the meter was replaced, tick the replacement; if the counter rolls over, set its digits on the meter.", model::num(ctx, previous, 3))
                },
            ));
            }
        }
    }
    Ok(Outcome::Show(pages::meter(ctx, id, Some(form), &errors)?))
}

fn add_station(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    manager(ctx)?;
    let code = form.get("code").unwrap_or_default().trim().to_owned();
    let name = form.get("name").unwrap_or_default().trim().to_owned();
    let mut errors: Errors = Vec::new();
    if code.is_empty() {
        errors.push((
            "code",
            ctx.tr("Give the station's code.", "Vyplňte kód stanice.")
                .into(),
        ));
    } else if model::station_by_code(&code).is_ok() {
        errors.push((
            "code",
            ctx.tr(
                "A station of this code is already here.",
                "Stanice s tímto kódem už je zavedena.",
            )
            .into(),
        ));
    }
    if name.is_empty() {
        errors.push((
            "name",
            ctx.tr("Name the station.", "Vyplňte název stanice.").into(),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(pages::stations(ctx, Some(form), &errors)?));
    }
    let id = STATIONS
        .insert(&Station {
            code,
            name,
            wsi: String::new(),
        })?
        .data
        .code;
    Ok(Outcome::redirect_with(
        format!("/stations/{}", segment(&id)),
        ctx.tr(
            "The station is added: import its temperatures.",
            "Stanice je přidána: importujte její teploty.",
        ),
    ))
}

fn import_temperatures(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    manager(ctx)?;
    let station = model::station_by_code(id)?.data;
    let refuse = |message: String| -> Result<Outcome> {
        let errors: Errors = vec![("temperatures", message)];
        Ok(Outcome::Show(pages::station(ctx, id, None, &errors)?))
    };
    let text = match file_text(ctx, form, "temperatures") {
        Ok(t) => t,
        Err(e) => return refuse(e),
    };
    let parsed = match import::parse(text, true) {
        Ok(p) => p,
        Err(refused) => return refuse(refusals(ctx, &refused)),
    };
    let implausible: Vec<import::Refusal> = parsed
        .rows
        .iter()
        .filter(|(_, _, t)| !(-50.0..=50.0).contains(t))
        .map(|(line, _, t)| import::Refusal {
            line: *line,
            en: format!("{t} °C is not a temperature of this world"),
            cs: format!("{t} °C není teplota tohoto světa"),
        })
        .collect();
    if !implausible.is_empty() {
        return refuse(refusals(ctx, &implausible));
    }
    let (means, short) = import::daily_means(&parsed.rows);
    weather::kept(id, &means)?;
    audit(
        ctx,
        "temperatures.imported",
        id,
        format!(
            "Temperatures of station {} imported: {} days.",
            station.code,
            means.len()
        ),
    )?;
    let mut message = if ctx.is_czech() {
        format!("Importováno dní s průměrnou teplotou: {}.", means.len())
    } else {
        format!("{} days with their mean temperature imported.", means.len())
    };
    if !short.is_empty() {
        message.push_str(&if ctx.is_czech() {
            format!(
                " Dny s méně než 12 hodinami (bez průměru): {}.",
                short.len()
            )
        } else {
            format!(" Days with fewer than 12 hours (no mean): {}.", short.len())
        });
    }
    Ok(Outcome::redirect_with(
        format!("/stations/{}", segment(id)),
        message,
    ))
}

/// Gas in m³: the calorific value from a day on; what the period's days
/// hold is converted again.
fn set_calorific(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    manager(ctx)?;
    let kept = model::meter_by_code(id)?;
    let meter = kept.data.clone();
    if meter.carrier() != Carrier::Gas || meter.unit != "m3" {
        return Err(Error::Conflict(
            ctx.tr(
                "Only a gas meter counting m³ has a calorific value.",
                "Spalné teplo má jen plynoměr měřící m³.",
            )
            .into(),
        ));
    }
    let mut errors: Errors = Vec::new();
    let from = portico_sdk::calendar::parse_date(form.get("from").unwrap_or_default().trim());
    if from.is_none() {
        errors.push((
            "from",
            ctx.tr(
                "The period's first day, e.g. 2025-01-01.",
                "První den období, např. 2025-01-01.",
            )
            .into(),
        ));
    }
    let value = calorific_value(form);
    if value.is_none() {
        errors.push((
            "kwh_per_m3",
            ctx.tr(
                "A calorific value between 5 and 15 kWh/m³ (about 10.5), as on the invoice.",
                "Spalné teplo mezi 5 a 15 kWh/m³ (obvykle kolem 10,5), jak ho uvádí faktura.",
            )
            .into(),
        ));
    }
    let (Some(from), Some(value), true) = (from, value, errors.is_empty()) else {
        return Ok(Outcome::Show(pages::meter(ctx, id, Some(form), &errors)?));
    };
    let changed = readings::set_calorific(kept, from, value)?;
    audit(
        ctx,
        "calorific.set",
        id,
        format!(
            "Calorific value of meter {} from {from}: {value} kWh/m³; {changed} days converted again.",
            meter.label
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/meters/{}", segment(id)),
        if ctx.is_czech() {
            format!(
                "Spalné teplo od {} je {} kWh/m³; přepočteno dní: {changed}.",
                model::date(ctx, from),
                model::num(ctx, value, 3)
            )
        } else {
            format!(
                "The calorific value from {} is {} kWh/m³; {changed} days converted again.",
                model::date(ctx, from),
                model::num(ctx, value, 3)
            )
        },
    ))
}

/// The manager fetches a station's months from the weather service: the
/// months from the one given to this one, asked before anything is read
/// or written here.
fn fetch_temperatures(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    manager(ctx)?;
    let mut errors: Errors = Vec::new();
    let wsi = form.get("wsi").unwrap_or_default().trim().to_owned();
    if !weather::is_wsi(&wsi) {
        errors.push((
            "wsi",
            ctx.tr(
                "The station's WIGOS identifier at ČHMÚ, e.g. 0-20000-0-11723.",
                "Identifikátor WIGOS stanice u ČHMÚ, např. 0-20000-0-11723.",
            )
            .into(),
        ));
    }
    let today = portico_sdk::calendar::today();
    let from = portico_sdk::calendar::parse_date(&format!(
        "{}-01",
        form.get("from").unwrap_or_default().trim()
    ))
    .filter(|f| *f <= today);
    if from.is_none() {
        errors.push((
            "from",
            ctx.tr(
                "The first month to fetch, e.g. 2025-01, not in the future.",
                "První měsíc ke stažení, např. 2025-01; nesmí být v budoucnosti.",
            )
            .into(),
        ));
    }
    let Some(from) = from.filter(|_| errors.is_empty()) else {
        return Ok(Outcome::Show(pages::station(ctx, id, Some(form), &errors)?));
    };
    let months = weather::months(from, today);
    // The outside system first: no data operation may wait for it.
    let got = match weather::fetch(&weather::path()?, &wsi, &months) {
        Ok(got) => got,
        Err(Error::Forbidden(_)) => {
            let errors: Errors = vec![(
                "wsi",
                ctx.tr("The connection to the weather service is not set up: an administrator sets up `chmi` on the module's page in the console. Nothing was fetched.",
                    "Připojení k meteorologické službě není nastaveno: správce nastaví `chmi` na stránce modulu v administraci. Nic nebylo staženo.",
                )
                .into(),
            )];
            return Ok(Outcome::Show(pages::station(ctx, id, Some(form), &errors)?));
        }
        Err(e) => return Err(e),
    };
    let kept = model::station_by_code(id)?;
    // A WSI the service knows nothing of is not kept for the mornings.
    if kept.data.wsi != wsi && !got.means.is_empty() {
        let mut station = kept.data.clone();
        station.wsi = wsi.clone();
        STATIONS.update(&kept.id, kept.version, &station)?;
    }
    weather::kept(id, &got.means)?;
    audit(
        ctx,
        "temperatures.fetched",
        id,
        format!(
            "Temperatures of station {id} fetched from ČHMÚ ({wsi}): {} days of {} months.",
            got.means.len(),
            months.len()
        ),
    )?;
    let month = |m: &chrono::NaiveDate| pages::month_label(ctx, *m);
    let mut message = if ctx.is_czech() {
        format!("Staženo dní s průměrnou teplotou: {}.", got.means.len())
    } else {
        format!(
            "{} days with their mean temperature fetched.",
            got.means.len()
        )
    };
    if !got.missing.is_empty() {
        let named: Vec<String> = got
            .missing
            .iter()
            .map(|(m, status)| format!("{} ({status})", month(m)))
            .collect();
        message.push_str(&if ctx.is_czech() {
            format!(" Měsíce, které služba neposkytla: {}.", named.join(", "))
        } else {
            format!(" Months the service did not provide: {}.", named.join(", "))
        });
    }
    if !got.unreadable.is_empty() {
        let named: Vec<String> = got.unreadable.iter().map(month).collect();
        message.push_str(&if ctx.is_czech() {
            format!(
                " Měsíce v nečitelném tvaru (nejsou to otevřená data ČHMÚ v JSON): {}.",
                named.join(", ")
            )
        } else {
            format!(
                " Months in a form not understood (not ČHMÚ's open data JSON): {}.",
                named.join(", ")
            )
        });
    }
    Ok(Outcome::redirect_with(
        format!("/stations/{}", segment(id)),
        message,
    ))
}

/// The meter's baseline for an audit: the model's parameters and fit, and
/// what it says of the reporting period.
fn baseline_csv(ctx: &Context, id: &str) -> Result<Response> {
    let meter = model::meter_by_code(id)?.data;
    let building = model::building_by_code(&meter.building)?.data;
    let Some(b) = model::baseline(id)?.map(|d| d.data) else {
        return Err(Error::not_found(ctx.tr(
            "The meter has no baseline yet.",
            "Měřidlo zatím nemá referenční model.",
        )));
    };
    let mut out = csv::Writer::new();
    let text = |s: &str| csv::Cell::text(s);
    let row = |out: &mut csv::Writer, k: &str, v: String| out.row([text(k), text(&v)]);
    row(&mut out, "building", building.name.clone())?;
    row(&mut out, "meter", meter.label.clone())?;
    row(&mut out, "method", "CalTRACK 2.0 daily".into())?;
    row(&mut out, "baseline_from", b.from.clone())?;
    row(&mut out, "baseline_to", b.to.clone())?;
    row(&mut out, "accepted", b.accepted.to_string())?;
    row(&mut out, "reason", b.reason_en.clone())?;
    if let Some(f) = &b.fit {
        row(&mut out, "model_type", f.kind.code().into())?;
        row(&mut out, "intercept", format!("{:e}", f.intercept))?;
        row(&mut out, "beta_hdd_per_degF", format!("{:e}", f.beta_hdd))?;
        row(&mut out, "beta_cdd_per_degF", format!("{:e}", f.beta_cdd))?;
        row(
            &mut out,
            "heating_balance_point_degF",
            f.heating_bp.map(|b| b.to_string()).unwrap_or_default(),
        )?;
        row(
            &mut out,
            "cooling_balance_point_degF",
            f.cooling_bp.map(|b| b.to_string()).unwrap_or_default(),
        )?;
        row(&mut out, "r_squared", format!("{:e}", f.r_squared))?;
        row(&mut out, "r_squared_adj", format!("{:e}", f.r_squared_adj))?;
        row(&mut out, "cvrmse_adj", format!("{:e}", f.cvrmse))?;
        row(&mut out, "nmbe", format!("{:e}", f.nmbe))?;
        row(&mut out, "days", f.n.to_string())?;
        if let Some(to) = portico_sdk::calendar::parse_date(&b.to) {
            let series = model::Series::of(id)?;
            let temps = model::Temperatures::of(&building.station)?;
            let s = baseline::savings(f, to, &series, &temps);
            row(&mut out, "reporting_days", s.days.to_string())?;
            row(
                &mut out,
                "reporting_predicted",
                format!("{:e}", s.predicted),
            )?;
            row(&mut out, "reporting_used", format!("{:e}", s.used))?;
            row(
                &mut out,
                "savings_fsu_band_90",
                s.band.map(|b| format!("{b:e}")).unwrap_or_default(),
            )?;
        }
    }
    out.into_response(&format!(
        "baseline-{}.csv",
        meter.label.replace(|c: char| !c.is_alphanumeric(), "-")
    ))
}

#[derive(Deserialize)]
struct GatewayReading {
    /// RFC 3339, the interval's start; or a date for a day's use.
    at: String,
    value: f64,
}

#[derive(Deserialize)]
struct GatewayPost {
    meter: String,
    readings: Vec<GatewayReading>,
}

/// A meter gateway posts interval readings (an API token with
/// `energy.gateway`).
fn gateway(req: &Request) -> Result<Response> {
    let post: GatewayPost = req.json()?;
    let meter = model::meter_by_code(&post.meter)?.data;
    if meter.is_virtual() {
        return Ok(Response::json(&serde_json::json!({
            "error": format!("meter {} is virtual: its use is computed from its parts", meter.label)
        }))
        .status(409));
    }
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    for (i, r) in post.readings.iter().enumerate() {
        let when = if let Some(d) = portico_sdk::calendar::parse_date(&r.at) {
            Some(import::When::Day(d))
        } else {
            chrono::DateTime::parse_from_rfc3339(&r.at)
                .ok()
                .map(|t| import::When::At(t.timestamp()))
        };
        match when {
            Some(_) if !r.value.is_finite() || r.value < 0.0 => refused.push(format!(
                "readings[{i}].value: {} is not a use of zero or more",
                r.value
            )),
            Some(w) => rows.push((i + 1, w, r.value)),
            None => refused.push(format!(
                "readings[{i}].at: \"{}\" is not RFC 3339 nor a date",
                r.at
            )),
        }
    }
    if readings::too_fine(&rows) {
        refused.push(
            "readings: intervals shorter than 5 minutes; sum them to 5 or 15 minutes".to_owned(),
        );
    }
    if !refused.is_empty() {
        return Ok(Response::json(&serde_json::json!({ "error": "invalid readings; nothing was stored", "problems": refused })).status(422));
    }
    let stored = readings::store(&meter, &rows)?;
    Ok(Response::json(&serde_json::json!({
        "stored": rows.len(),
        "days": stored.days,
        "partial_days": stored.partial.len(),
        "anomalies": stored.told.days,
        "anomalous_months": stored.told.months,
    })))
}

portico_sdk::export!(Energy);
