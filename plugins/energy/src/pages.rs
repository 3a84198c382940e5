//! What the energy manager and the caretakers see.

use chrono::{Datelike, Duration, Months, NaiveDate};
use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Cell, Chart, Context, Field, Form, FormPost, NoticeLevel, Result, Stat, Table, View,
    segment,
};

use crate::baseline::{self, Savings};
use crate::caltrack::{Fit, Kind, celsius};
use crate::model::{
    ANOMALIES, BUILDINGS, Baseline, Building, CARRIERS, METERS, Meter, STATIONS, Series, Station,
    Temperatures, USES, baseline, cs_of, date, date_text, month_of, month_start, next_month, num,
    tr, unit_name, use_name, year_sums,
};

/// Errors of a refused form: the field, and what is wrong.
pub type Errors = Vec<(&'static str, String)>;

fn can_manage(ctx: &Context) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission("energy.manage"))
}

pub fn home(ctx: &Context) -> Result<View> {
    let buildings = BUILDINGS.find().sort("name").fetch_all::<Building>(5_000)?;
    let year = portico_sdk::calendar::today().year() - 1;
    let totals = year_sums(year, "building", "total")?;
    let mut table = Table::new(tr(ctx, "Buildings", "Budovy"))
        .column(tr(ctx, "Building", "Budova"))
        .column(tr(ctx, "Use", "Účel"))
        .numeric_column(tr(ctx, "Floor area (m²)", "Podlahová plocha (m²)"))
        .numeric_column(format!(
            "{} {year} (MWh)",
            tr(ctx, "Energy in", "Energie v roce")
        ))
        .numeric_column(format!("kWh/m² {year}"))
        .column(tr(ctx, "Energy certificate (PENB)", "PENB"))
        .empty_text(tr(
            ctx,
            "No buildings yet. Add the organization's buildings, then their meters.",
            "Zatím žádné budovy. Přidejte budovy organizace a potom jejich měřidla.",
        ));
    let mut area_total = 0.0;
    let mut use_total = 0.0;
    for b in &buildings {
        let used = totals.get(&b.data.code).copied().unwrap_or(0.0);
        area_total += b.data.area_m2;
        use_total += used;
        let intensity = if b.data.area_m2 > 0.0 {
            num(ctx, used / b.data.area_m2, 1)
        } else {
            "–".into()
        };
        table = table.row([
            Cell::link(
                b.data.name.clone(),
                format!("/buildings/{}", segment(&b.data.code)),
            ),
            use_name(ctx, &b.data.usage).into(),
            num(ctx, b.data.area_m2, 0).into(),
            num(ctx, used / 1000.0, 1).into(),
            intensity.into(),
            penb_text(ctx, &b.data).into(),
        ]);
    }
    let mut view = View::new(tr(ctx, "Energy management", "Energetický management")).stats([
        Stat::new(tr(ctx, "Buildings", "Budovy"), buildings.len().to_string()),
        Stat::new(
            tr(ctx, "Floor area", "Podlahová plocha"),
            format!("{} m²", num(ctx, area_total, 0)),
        ),
        Stat::new(
            format!("{} {year}", tr(ctx, "Energy in", "Energie v roce")),
            format!("{} MWh", num(ctx, use_total / 1000.0, 1)),
        ),
    ]);
    let founds = portico_sdk::orgs::descendants(None, None)?
        .iter()
        .any(|o| o.module_enabled);
    if founds {
        view = view.actions([Action::primary(
            tr(
                ctx,
                "Energy of the organizations below",
                "Energie podřízených organizací",
            ),
            "/region",
        )]);
    }
    if can_manage(ctx) {
        view = view.actions([
            Action::primary(tr(ctx, "Add a building", "Přidat budovu"), "/buildings/new"),
            Action::secondary(
                tr(ctx, "Weather stations", "Meteorologické stanice"),
                "/stations",
            ),
        ]);
        let founder = portico_sdk::orgs::ancestors()?
            .into_iter()
            .next()
            .filter(|o| o.module_enabled);
        if let Some(founder) = founder {
            view = view.form(Form::new(
                "/",
                if cs_of(ctx) {
                    format!(
                        "Odeslat zřizovateli ({}) údaje za posledních 12 měsíců",
                        founder.name
                    )
                } else {
                    format!("Send the last 12 months to {}", founder.name)
                },
            ));
        }
    }
    let view = view.table(table);
    tracker(ctx, view, year)
}

/// The EU Energy Efficiency Directive's duty (2023/1791, art. 6): a
/// public body's final energy use falls by at least 1.9 % a year. Each of
/// the last four calendar years against the one before, as metered (not
/// weather-normalised), water aside; the change over the meters metered
/// on at least 90 % of the days of both years, so that a meter added or
/// gone is no rise or fall.
fn tracker(ctx: &Context, view: View, last: i32) -> Result<View> {
    let mut years = Vec::new();
    for year in last - 4..=last {
        years.push((year, meter_years(year)?));
    }
    let mut table = Table::new(tr(
        ctx,
        "Final energy use a year against the 1.9 % a year cut (EU 2023/1791, art. 6)",
        "Konečná spotřeba energie po letech proti snížení o 1,9 % ročně (směrnice EU 2023/1791, čl. 6)",
    ))
    .column(tr(ctx, "Year", "Rok"))
    .numeric_column(tr(ctx, "Energy (MWh)", "Energie (MWh)"))
    .numeric_column(tr(
        ctx,
        "Change from the year before (the same meters)",
        "Změna oproti předchozímu roku (stejná měřidla)",
    ))
    .column(tr(ctx, "Target: 1.9 % less", "Cíl: o 1,9 % méně"));
    let mut rows = 0;
    for pair in years.windows(2) {
        let ((before_year, before), (year, now)) = (&pair[0], &pair[1]);
        let used: f64 = now.values().map(|m| m.0).sum();
        if used <= 0.0 {
            continue;
        }
        let whole = |y: i32, known: f64| known >= crate::model::days_in_year(y) as f64 * 0.9;
        let (mut then, mut same) = (0.0, 0.0);
        for (meter, (total, known)) in now {
            if let Some((b_total, b_known)) = before.get(meter)
                && whole(*year, *known)
                && whole(*before_year, *b_known)
            {
                then += b_total;
                same += total;
            }
        }
        let (change, met) = if then > 0.0 {
            let change = (same - then) / then;
            (
                format!("{} %", num(ctx, change * 100.0, 1)),
                if change <= -0.019 {
                    tr(ctx, "met", "splněno")
                } else {
                    tr(ctx, "not met", "nesplněno")
                },
            )
        } else {
            ("–".to_owned(), "–")
        };
        table = table.row([
            year.to_string(),
            num(ctx, used / 1000.0, 1),
            change,
            met.to_owned(),
        ]);
        rows += 1;
    }
    Ok(if rows == 0 { view } else { view.table(table) })
}

/// Each counted meter's year: its use and its days with a use.
fn meter_years(year: i32) -> Result<std::collections::HashMap<String, (f64, f64)>> {
    let known = year_sums(year, "meter", "known")?;
    Ok(year_sums(year, "meter", "total")?
        .into_iter()
        .map(|(meter, total)| {
            let days = known.get(&meter).copied().unwrap_or(0.0);
            (meter, (total, days))
        })
        .collect())
}

fn penb_text(ctx: &Context, b: &Building) -> String {
    if b.penb.is_empty() {
        return tr(ctx, "none", "není").to_owned();
    }
    match portico_sdk::calendar::parse_date(&b.penb_expires) {
        Some(d) => format!(
            "{} ({} {})",
            b.penb,
            if d < portico_sdk::calendar::today() {
                tr(ctx, "expired on", "platnost skončila")
            } else {
                tr(ctx, "valid until", "platný do")
            },
            date(ctx, d)
        ),
        None => b.penb.clone(),
    }
}

pub fn building_form(
    ctx: &Context,
    action: &str,
    kept: Option<&Building>,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<Form> {
    let empty = Building {
        code: String::new(),
        name: String::new(),
        address: String::new(),
        area_m2: 0.0,
        usage: "office".into(),
        penb: String::new(),
        penb_expires: String::new(),
        station: String::new(),
        contact: String::new(),
        penb_reminded: String::new(),
    };
    let b = kept.unwrap_or(&empty);
    let area = if b.area_m2 > 0.0 {
        b.area_m2.to_string()
    } else {
        String::new()
    };
    let stations = STATIONS.find().sort("code").limit(200).fetch::<Station>()?;
    let mut station_choices: Vec<(String, String)> = Vec::new();
    station_choices.extend(stations.documents.iter().map(|s| {
        (
            s.data.code.clone(),
            format!("{} – {}", s.data.code, s.data.name),
        )
    }));
    let penb = ["A", "B", "C", "D", "E", "F", "G"];
    let mut f = Form::new(action, tr(ctx, "Save", "Uložit"));
    if kept.is_none() {
        f = f.field(
            Field::text(
                "code",
                tr(
                    ctx,
                    "Code (the asset register's number)",
                    "Kód (číslo v evidenci majetku)",
                ),
            )
            .value(FormPost::shown(form, "code", ""))
            .help(tr(
                ctx,
                "Meters and reports name the building by it; left empty, one is given.",
                "Měřidla a hlášení budovu označují tímto kódem; zůstane-li prázdný, přidělí se.",
            ))
            .error_among(errors),
        );
    }
    Ok(f.field(
        Field::text("name", tr(ctx, "Name", "Název"))
            .required()
            .value(FormPost::shown(form, "name", &b.name))
            .error_among(errors),
    )
    .field(
        Field::text("address", tr(ctx, "Address", "Adresa"))
            .value(FormPost::shown(form, "address", &b.address)),
    )
    .field(
        Field::new(
            "contact",
            tr(
                ctx,
                "Told of anomalies and the certificate's expiry (e-mail)",
                "Komu hlásit odchylky a konec platnosti PENB (e-mail)",
            ),
            portico_sdk::FieldKind::Email,
        )
        .value(FormPost::shown(form, "contact", &b.contact))
        .error_among(errors),
    )
    .field(
        Field::number(
            "area_m2",
            tr(
                ctx,
                "Energy reference floor area (m²)",
                "Energeticky vztažná plocha (m²)",
            ),
        )
        .min("0")
        .value(FormPost::shown(form, "area_m2", &area))
        .error_among(errors),
    )
    .field(
        Field::select(
            "usage",
            tr(ctx, "Use", "Účel"),
            USES.iter().map(|u| (u.0, tr(ctx, u.1, u.2))),
        )
        .selected([FormPost::shown(form, "usage", &b.usage)]),
    )
    .field(
        Field::select(
            "penb",
            tr(
                ctx,
                "Energy performance certificate class (PENB)",
                "Klasifikační třída PENB",
            ),
            penb.iter().map(|c| (*c, *c)),
        )
        .selected([FormPost::shown(form, "penb", &b.penb)]),
    )
    .field(
        Field::date(
            "penb_expires",
            tr(ctx, "The certificate is valid until", "PENB platí do"),
        )
        .value(FormPost::shown(form, "penb_expires", &b.penb_expires))
        .error_among(errors),
    )
    .field(
        Field::select(
            "station",
            tr(ctx, "Weather station", "Meteorologická stanice"),
            station_choices,
        )
        .selected([FormPost::shown(form, "station", &b.station)])
        .help(tr(
            ctx,
            "Its daily mean temperatures drive the baselines of the building's meters.",
            "Její denní průměrné teploty vstupují do referenčních modelů měřidel budovy.",
        )),
    ))
}

pub fn new_building(ctx: &Context, form: Option<&FormPost>, errors: &Errors) -> Result<View> {
    Ok(
        View::new(tr(ctx, "Add a building", "Přidat budovu")).form(building_form(
            ctx,
            "/buildings/new",
            None,
            form,
            errors,
        )?),
    )
}

pub fn building(ctx: &Context, id: &str, form: Option<&FormPost>, errors: &Errors) -> Result<View> {
    let b = crate::model::building_by_code(id)?.data;
    let station = if b.station.is_empty() {
        tr(ctx, "none", "žádná").to_owned()
    } else {
        crate::model::station_by_code(&b.station)
            .map(|s| s.data.name)
            .unwrap_or_default()
    };
    let mut view = View::new(b.name.clone()).key_values([
        (tr(ctx, "Address", "Adresa").to_owned(), b.address.clone()),
        (tr(ctx, "Use", "Účel").to_owned(), use_name(ctx, &b.usage)),
        (
            tr(ctx, "Floor area", "Podlahová plocha").to_owned(),
            format!("{} m²", num(ctx, b.area_m2, 0)),
        ),
        (
            tr(ctx, "Energy certificate (PENB)", "PENB").to_owned(),
            penb_text(ctx, &b),
        ),
        (
            tr(ctx, "Weather station", "Meteorologická stanice").to_owned(),
            station,
        ),
    ]);
    let meters = METERS
        .find()
        .eq("building", id)
        .limit(200)
        .fetch::<Meter>()?;
    let mut table = Table::new(tr(ctx, "Meters", "Měřidla"))
        .column(tr(ctx, "Meter", "Měřidlo"))
        .column(tr(ctx, "Carrier", "Nositel energie"))
        .column(tr(ctx, "Unit", "Jednotka"))
        .column(tr(ctx, "Baseline", "Referenční model"))
        .empty_text(tr(ctx, "No meters yet.", "Zatím žádná měřidla."));
    for m in &meters.documents {
        let model = match baseline(&m.data.label)? {
            Some(d) if d.data.accepted => tr(ctx, "accepted", "přijat").to_owned(),
            Some(_) => tr(ctx, "refused", "odmítnut").to_owned(),
            None => tr(ctx, "not fitted", "nesestaven").to_owned(),
        };
        let mut label = m.data.label.clone();
        if m.data.role == "sub" {
            label = format!("{label} ({})", tr(ctx, "sub-meter", "podružné"));
        } else if m.data.is_virtual() {
            label = format!("{label} ({})", tr(ctx, "virtual", "virtuální"));
        }
        table = table.row([
            Cell::link(label, format!("/meters/{}", segment(&m.data.label))),
            m.data.carrier().name(ctx).into(),
            unit_name(&m.data.unit).to_owned().into(),
            model.into(),
        ]);
    }
    view = view.table(table).actions([Action::secondary(
        tr(
            ctx,
            "Every day of every meter (CSV, for an audit)",
            "Každý den každého měřidla (CSV pro audit)",
        ),
        format!("/buildings/{}/days.csv", segment(id)),
    )]);
    view = indicators(ctx, view, &b, &meters.documents)?;
    if can_manage(ctx) {
        view = view
            .heading(tr(ctx, "Add a meter", "Přidat měřidlo"))
            .form(meter_form(ctx, id, form, errors))
            .heading(tr(ctx, "Change the building", "Upravit budovu"))
            .form(building_form(
                ctx,
                &format!("/buildings/{}", segment(id)),
                Some(&b),
                form.filter(|f| f.get("name").is_some()),
                errors,
            )?);
    }
    Ok(view)
}

/// The building's energy performance indicators (ISO 50006) of its last
/// three calendar years: energy, kWh/m², and the heating carriers' use per
/// Czech heating degree day, which takes the winter's cold out.
fn indicators(
    ctx: &Context,
    view: View,
    b: &Building,
    meters: &[portico_sdk::records::Document<Meter>],
) -> Result<View> {
    let this_year = portico_sdk::calendar::today().year();
    let heating: std::collections::HashSet<&str> = meters
        .iter()
        .filter(|m| {
            m.data.counted()
                && matches!(
                    m.data.carrier(),
                    crate::model::Carrier::Gas | crate::model::Carrier::Heat
                )
        })
        .map(|m| m.data.label.as_str())
        .collect();
    let years = crate::model::DAYS
        .find()
        .eq("building", &b.code)
        .eq("counted", 1)
        .fetch_all::<crate::model::YearDays>(1_000)?;
    let temps = Temperatures::of(&b.station)?;
    let mut table = Table::new(tr(
        ctx,
        "Energy performance indicators (ISO 50006)",
        "Ukazatele energetické náročnosti (ISO 50006)",
    ))
    .column(tr(ctx, "Year", "Rok"))
    .numeric_column(tr(ctx, "Energy (MWh)", "Energie (MWh)"))
    .numeric_column("kWh/m²")
    .numeric_column(tr(
        ctx,
        "Heating: gas and heat (MWh)",
        "Vytápění: plyn a teplo (MWh)",
    ))
    .numeric_column(tr(ctx, "Degree days (19/13 °C)", "Denostupně (19/13 °C)"))
    .numeric_column(tr(
        ctx,
        "Heating kWh per degree day",
        "kWh vytápění na denostupeň",
    ))
    .numeric_column(tr(ctx, "Days metered (%)", "Dní s měřením (%)"));
    let mut rows = 0;
    for year in this_year - 3..this_year {
        let of_year: Vec<&crate::model::YearDays> = years
            .iter()
            .map(|d| &d.data)
            .filter(|y| y.year == year)
            .collect();
        if of_year.is_empty() {
            continue;
        }
        let energy: f64 = of_year.iter().map(|y| y.total).sum();
        let heat: f64 = of_year
            .iter()
            .filter(|y| heating.contains(y.meter.as_str()))
            .map(|y| y.total)
            .sum();
        let known: u32 = of_year.iter().map(|y| y.known).sum();
        let whole = (crate::model::days_in_year(year) * of_year.len()) as f64;
        let (mut dd, mut dd_days) = (0.0, 0);
        let mut d = NaiveDate::from_yo_opt(year, 1).unwrap_or_default();
        while d.year() == year {
            if let Some(t) = temps.get(d) {
                dd += czech_degree_days(t);
                dd_days += 1;
            }
            d += Duration::days(1);
        }
        // Per degree day only with the year's temperatures whole.
        let per_dd =
            if heat > 0.0 && dd > 0.0 && dd_days >= crate::model::days_in_year(year) * 9 / 10 {
                num(ctx, heat / dd, 1)
            } else {
                "–".to_owned()
            };
        table = table.row([
            year.to_string(),
            num(ctx, energy / 1000.0, 1),
            if b.area_m2 > 0.0 {
                num(ctx, energy / b.area_m2, 1)
            } else {
                "–".to_owned()
            },
            num(ctx, heat / 1000.0, 1),
            if dd_days > 0 {
                num(ctx, dd, 0)
            } else {
                "–".to_owned()
            },
            per_dd,
            num(ctx, f64::from(known) / whole * 100.0, 0),
        ]);
        rows += 1;
    }
    Ok(if rows == 0 { view } else { view.table(table) })
}

/// Every day of every meter of a building, with the day's temperature and
/// what the meter's accepted baseline predicts for it: what an auditor
/// recomputes the indicators and the savings from.
pub fn building_days_csv(id: &str) -> Result<portico_sdk::Response> {
    use portico_sdk::csv::{Cell as C, Writer};
    let b = crate::model::building_by_code(id)?.data;
    let mut meters = METERS.find().eq("building", id).fetch_all::<Meter>(1_000)?;
    meters.sort_by(|a, b| a.data.label.cmp(&b.data.label));
    let temps = Temperatures::of(&b.station)?;
    let mut out = Writer::new();
    out.row(
        [
            "building",
            "meter",
            "carrier",
            "role",
            "unit",
            "date",
            "use",
            "estimated",
            "temperature_c",
            "baseline_prediction",
        ]
        .map(C::text),
    )?;
    for m in &meters {
        let m = &m.data;
        let series = Series::of(&m.label)?;
        let fit = baseline(&m.label)?
            .filter(|d| d.data.accepted)
            .and_then(|d| d.data.fit);
        let (Some(first), Some(last)) = (series.first(), series.last()) else {
            continue;
        };
        let mut d = first;
        while d <= last {
            if let Some(used) = series.get(d) {
                let t = temps.get(d);
                let predicted = fit.as_ref().zip(t).map(|(f, t)| {
                    f.predict_day(crate::caltrack::fahrenheit(t), crate::model::day_length(d))
                });
                out.row([
                    C::text(&b.code),
                    C::text(&m.label),
                    C::text(&m.carrier),
                    C::text(if m.role.is_empty() { "main" } else { &m.role }),
                    C::text(m.carrier().measure()),
                    C::text(d.to_string()),
                    C::from(used),
                    C::from(u8::from(series.estimated(d))),
                    C::from(t),
                    C::from(predicted),
                ])?;
            }
            d += Duration::days(1);
        }
    }
    out.into_response(&format!(
        "days-{}.csv",
        b.code.replace(|c: char| !c.is_alphanumeric(), "-")
    ))
}

fn meter_form(ctx: &Context, building: &str, form: Option<&FormPost>, errors: &Errors) -> Form {
    let units = ["kWh", "MWh", "m3", "GJ"];
    Form::new(
        format!("/buildings/{}/meters", segment(building)),
        tr(ctx, "Add the meter", "Přidat měřidlo"),
    )
    .field(Field::text(
            "label",
            tr(
                ctx,
                "Meter code (EAN, EIC or the organization's own)",
                "Označení měřidla (EAN, EIC nebo vlastní)",
            ),
        )
        .required()
        .value(FormPost::shown(form, "label", "")).error_among(errors))
    .field(
        Field::select(
            "carrier",
            tr(ctx, "Carrier", "Nositel energie"),
            CARRIERS.iter().map(|c| (c.code(), c.name(ctx))),
        )
        .selected([FormPost::shown(form, "carrier", "electricity")]),
    )
    .field(Field::select(
            "unit",
            tr(ctx, "Unit of the readings", "Jednotka odečtů"),
            units.iter().map(|u| (*u, unit_name(u))),
        )
        .selected([FormPost::shown(form, "unit", "kWh")]).error_among(errors))
    .field(
        Field::radio(
            "role",
            tr(ctx, "Meter type", "Druh měřidla"),
            [
                ("main", tr(ctx, "Main meter", "Hlavní měřidlo")),
                ("sub", tr(ctx, "Sub-meter", "Podružné měřidlo")),
                (
                    "virtual",
                    tr(
                        ctx,
                        "Virtual meter (sums and differences of others)",
                        "Virtuální měřidlo (součty a rozdíly jiných)",
                    ),
                ),
            ],
        )
        .selected([FormPost::shown(form, "role", "main")]),
    )
    .field(Field::textarea(
            "parts",
            tr(ctx, "Virtual meter: its parts", "Virtuální měřidlo: jeho části"),
        )
        .value(FormPost::shown(form, "parts", ""))
        .help(tr(
            ctx,
            "A line each: + or − and a meter's code of the same carrier, e.g. the gas main less the kitchen: “+ 27ZG600000000001” and “− KUCHYNE-PLYN”. Its use counts in no total.",
            "Na každý řádek + nebo − a označení měřidla téhož nositele, např. hlavní plynoměr bez kuchyně: „+ 27ZG600000000001“ a „− KUCHYNE-PLYN“. Jeho spotřeba se nezapočítává do žádného součtu.",
        )).error_among(errors))
    .field(Field::number(
            "kwh_per_m3",
            tr(
                ctx,
                "Gas: calorific value (kWh/m³)",
                "Plyn: spalné teplo (kWh/m³)",
            ),
        )
        .value(FormPost::shown(form, "kwh_per_m3", "10.55"))
        .help(tr(
            ctx,
            "The distributor's calorific value times the volume correction, as on the invoice.",
            "Spalné teplo krát přepočítávací součinitel objemu, jak je uvádí faktura distributora.",
        )).error_among(errors))
    .field(Field::number(
            "digits",
            tr(
                ctx,
                "Number of register digits (to detect roll-over)",
                "Počet číslic počítadla (pro rozpoznání přetočení)",
            ),
        )
        .min("0")
        .max("12")
        .value(FormPost::shown(form, "digits", "")).error_among(errors))
}

pub fn meter(ctx: &Context, id: &str, form: Option<&FormPost>, errors: &Errors) -> Result<View> {
    let m = crate::model::meter_by_code(id)?.data;
    let b = crate::model::building_by_code(&m.building)?.data;
    let series = Series::of(id)?;
    let temps = Temperatures::of(&b.station)?;
    let measure = m.carrier().measure();
    let mut facts = vec![
        (tr(ctx, "Building", "Budova").to_owned(), b.name.clone()),
        (
            tr(ctx, "Carrier", "Nositel energie").to_owned(),
            m.carrier().name(ctx).to_owned(),
        ),
        if m.is_virtual() {
            (
                tr(ctx, "Virtual meter, made of", "Virtuální měřidlo složené z").to_owned(),
                crate::virtual_meters::lines(&m.parts).replace('\n', " "),
            )
        } else {
            (
                tr(ctx, "Unit of the readings", "Jednotka odečtů").to_owned(),
                unit_name(&m.unit).to_owned(),
            )
        },
        (
            tr(ctx, "Data", "Data").to_owned(),
            match (series.first(), series.last()) {
                (Some(f), Some(l)) => format!("{} – {}", date(ctx, f), date(ctx, l)),
                _ => tr(ctx, "none yet", "zatím žádná").to_owned(),
            },
        ),
    ];
    if m.role == "sub" {
        facts.push((
            tr(ctx, "Meter type", "Druh měřidla").to_owned(),
            tr(
                ctx,
                "sub-meter (counts in no total)",
                "podružné (nezapočítává se do součtů)",
            )
            .to_owned(),
        ));
    }
    let mut view = View::new(format!("{} – {}", m.label, b.name)).key_values(facts);

    // The baseline.
    let model = baseline(id)?.map(|d| d.data);
    view = view.heading(tr(
        ctx,
        "Baseline (CalTRACK daily method)",
        "Referenční model (denní metoda CalTRACK)",
    ));
    match &model {
        None => view = view.text(tr(ctx, "Not fitted yet.", "Zatím nesestaven.")),
        Some(bl) => {
            view = baseline_block(ctx, view, bl, &series, &temps, measure).actions([
                Action::secondary(
                    tr(ctx, "Baseline (CSV)", "Referenční model (CSV)"),
                    format!("/meters/{}/baseline.csv", segment(id)),
                ),
            ])
        }
    }
    if can_manage(ctx) {
        view = view.form(
            Form::new(format!("/meters/{}", segment(id)), tr(ctx, "Fit the baseline", "Sestavit referenční model"))
                .field(Field::date("baseline_end", tr(ctx, "Last day of the baseline", "Poslední den referenčního období"))
                        .value(FormPost::shown(form, "baseline_end", &m.baseline_end))
                        .help(tr(
                            ctx,
                            "The baseline covers the 365 days ending on this day; leave it empty to use the last day with data.",
                            "Referenční období je 365 dní končících tímto dnem. Nevyplníte-li, použije se poslední den s daty.",
                        )).error_among(errors))

        );
    }

    if let Some(bl) = model.as_ref().filter(|b| b.accepted) {
        view = recent_days(ctx, view, id, bl, &series, &temps, measure)?;
    }
    // Months: use against what the baseline predicts.
    view = months(
        ctx,
        view,
        &series,
        &temps,
        model.as_ref().and_then(|b| b.fit.as_ref()),
        measure,
    );

    if m.carrier() == crate::model::Carrier::Gas && m.unit == "m3" {
        view = calorific_block(ctx, view, id, &m, form, errors);
    }
    if m.is_virtual() {
        return Ok(view);
    }
    if can_manage(ctx) {
        view = view
            .heading(tr(ctx, "Import readings", "Import odečtů"))
            .form(
                Form::new(format!("/meters/{}/import", segment(id)), tr(ctx, "Import", "Importovat")).field(
                    Field::file("readings", tr(ctx, "Readings (CSV)", "Odečty (CSV)"))
                            .required()
                            .accept(".csv,text/csv,text/plain")
                            .help(tr(
                                ctx,
                                "A line per interval (2024-01-31 00:15;1,25) or per day (2024-01-31;30,5), in the meter's unit, as the distributor or the gateway exports them. A bad line is named and nothing is stored; a file imported again replaces the same intervals.",
                                "Řádek za interval (2024-01-31 00:15;1,25) nebo za den (2024-01-31;30,5) v jednotce měřidla, jak je exportuje distributor nebo brána. Chybný řádek se vypíše a neuloží se nic; znovu importovaný soubor nahradí tytéž intervaly.",
                            )).error_among(errors),
                ),
            );
    }
    let reads = ctx
        .principal()
        .is_some_and(|p| p.has_permission("energy.read") || p.has_permission("energy.manage"));
    if !reads {
        return Ok(view);
    }
    view = view
        .heading(tr(ctx, "Enter a reading", "Zadat odečet"))
        .form(
            Form::new(
                format!("/meters/{}/reading", segment(id)),
                tr(ctx, "Save the reading", "Uložit odečet"),
            )
            .field(
                Field::date("date", tr(ctx, "Date", "Datum"))
                    .required()
                    .value(FormPost::shown(
                        form,
                        "date",
                        &portico_sdk::calendar::today().to_string(),
                    ))
                    .error_among(errors),
            )
            .field(
                Field::number("reading", tr(ctx, "Counter reading", "Stav počítadla"))
                    .required()
                    .min("0")
                    .value(FormPost::shown(form, "reading", ""))
                    .error_among(errors),
            )
            .field(Field::checkboxes(
                "new_counter",
                tr(ctx, "Meter replaced", "Výměna měřidla"),
                [(
                    "1",
                    tr(
                        ctx,
                        "This is the first reading of a new meter",
                        "Toto je první stav nového měřidla",
                    ),
                )],
            )),
        );
    Ok(view)
}

/// Gas in m³: the calorific values by period, and the form for the next.
fn calorific_block(
    ctx: &Context,
    view: View,
    id: &str,
    m: &Meter,
    form: Option<&FormPost>,
    errors: &Errors,
) -> View {
    let mut table = Table::new(tr(
        ctx,
        "Calorific value by period",
        "Spalné teplo po obdobích",
    ))
    .column(tr(ctx, "From", "Od"))
    .numeric_column(tr(ctx, "Calorific value (kWh/m³)", "Spalné teplo (kWh/m³)"));
    table = table.row([
        tr(ctx, "the first reading", "od prvního odečtu").to_owned(),
        num(ctx, m.kwh_per_m3, 3),
    ]);
    for c in &m.calorific {
        table = table.row([date_text(ctx, &c.from), num(ctx, c.kwh_per_m3, 3)]);
    }
    let view = view.table(table);
    if !can_manage(ctx) {
        return view;
    }
    view.form(
        Form::new(
            format!("/meters/{}/calorific", segment(id)),
            tr(ctx, "Set the calorific value", "Nastavit spalné teplo"),
        )
        .field(Field::date("from", tr(ctx, "From", "Od"))
                .required()
                .value(FormPost::shown(form, "from", "")).error_among(errors))
        .field(Field::number(
                "kwh_per_m3",
                tr(ctx, "Calorific value (kWh/m³)", "Spalné teplo (kWh/m³)"),
            )
            .required()
            .value(FormPost::shown(form, "kwh_per_m3", ""))
            .help(tr(
                ctx,
                "The distributor's figure for the period, as on the invoice (the calorific value times the volume correction). The days of the period already kept are converted again; the nightly refit fits the baseline to them.",
                "Údaj distributora za období, jak ho uvádí faktura (spalné teplo krát přepočítávací součinitel objemu). Již uložené dny období se přepočtou; noční přepočet k nim sestaví referenční model znovu.",
            )).error_among(errors)),
    )
}

fn pct(ctx: &Context, fraction: f64) -> String {
    format!("{} %", num(ctx, fraction * 100.0, 1))
}

fn baseline_block(
    ctx: &Context,
    mut view: View,
    bl: &Baseline,
    series: &Series,
    temps: &Temperatures,
    measure: &str,
) -> View {
    let (en, cs) = (&bl.reason_en, &bl.reason_cs);
    if !bl.accepted {
        view = view.notice(
            NoticeLevel::Warning,
            if cs_of(ctx) { cs.clone() } else { en.clone() },
        );
    } else if !en.is_empty() {
        view = view.notice(
            NoticeLevel::Info,
            if cs_of(ctx) { cs.clone() } else { en.clone() },
        );
    }
    let Some(fit) = &bl.fit else { return view };
    let kind = match fit.kind {
        Kind::InterceptOnly => tr(ctx, "intercept only", "jen absolutní člen"),
        Kind::HddOnly => tr(ctx, "heating degree days", "denostupně vytápění"),
        Kind::CddOnly => tr(ctx, "cooling degree days", "denostupně chlazení"),
        Kind::CddHdd => tr(
            ctx,
            "heating and cooling degree days",
            "denostupně vytápění i chlazení",
        ),
    };
    let bp = |b: Option<i32>| {
        b.map_or_else(
            || "–".to_owned(),
            |b| format!("{} °C ({b} °F)", num(ctx, celsius(b as f64), 1)),
        )
    };
    let period = |d: &str| {
        portico_sdk::calendar::parse_date(d).map_or_else(|| d.to_owned(), |d| date(ctx, d))
    };
    let mut facts = vec![
        (
            tr(ctx, "Period", "Období").to_owned(),
            format!("{} – {}", period(&bl.from), period(&bl.to)),
        ),
        (tr(ctx, "Model", "Model").to_owned(), kind.to_owned()),
        (
            tr(ctx, "Base use a day", "Základní denní spotřeba").to_owned(),
            format!("{} {measure}", num(ctx, fit.intercept, 2)),
        ),
    ];
    if fit.heating_bp.is_some() {
        facts.push((
            tr(ctx, "Heating balance point", "Bod zlomu vytápění").to_owned(),
            bp(fit.heating_bp),
        ));
        facts.push((
            tr(
                ctx,
                "Heating: use a degree day",
                "Vytápění: spotřeba na denostupeň",
            )
            .to_owned(),
            format!("{} {measure}/K", num(ctx, fit.beta_hdd * 1.8, 3)),
        ));
    }
    if fit.cooling_bp.is_some() {
        facts.push((
            tr(ctx, "Cooling balance point", "Bod zlomu chlazení").to_owned(),
            bp(fit.cooling_bp),
        ));
        facts.push((
            tr(
                ctx,
                "Cooling: use a degree day",
                "Chlazení: spotřeba na denostupeň",
            )
            .to_owned(),
            format!("{} {measure}/K", num(ctx, fit.beta_cdd * 1.8, 3)),
        ));
    }
    facts.push((
        tr(ctx, "Days fitted", "Dní v modelu").to_owned(),
        fit.n.to_string(),
    ));
    facts.push((
        tr(ctx, "Extreme days (kept)", "Extrémní dny (ponechány)").to_owned(),
        bl.extreme_days.to_string(),
    ));
    view = view.key_values(facts);
    view = view.stats([
        Stat::new("R²", num(ctx, fit.r_squared, 3)),
        Stat::new(
            tr(ctx, "Adjusted R²", "Upravené R²"),
            num(ctx, fit.r_squared_adj, 3),
        ),
        Stat::new("CV(RMSE)", pct(ctx, fit.cvrmse)),
        Stat::new("NMBE", format!("{} %", num(ctx, fit.nmbe * 100.0, 2))),
    ]);
    if bl.accepted
        && let Some(to) = portico_sdk::calendar::parse_date(&bl.to)
    {
        let s = baseline::savings(fit, to, series, temps);
        view = savings_block(ctx, view, &s, measure);
    }
    view
}

fn savings_block(ctx: &Context, view: View, s: &Savings, measure: &str) -> View {
    let (Some(from), Some(to)) = (s.from, s.to) else {
        return view.text(tr(
            ctx,
            "No days after the baseline yet: savings show once readings after it come in.",
            "Zatím žádné dny po referenčním období: úspory se ukážou s odečty po něm.",
        ));
    };
    let band = s.band.map_or_else(String::new, |b| {
        format!(" ± {} {measure} (90 %)", num(ctx, b, 0))
    });
    view.heading(format!(
        "{} {} – {}",
        tr(
            ctx,
            "Savings, weather-normalised,",
            "Úspory po normalizaci na počasí,"
        ),
        date(ctx, from),
        date(ctx, to)
    ))
    .stats([
        Stat::new(
            tr(ctx, "The baseline predicts", "Referenční model předpovídá"),
            format!("{} {measure}", num(ctx, s.predicted, 0)),
        ),
        Stat::new(
            tr(ctx, "Used", "Spotřebováno"),
            format!("{} {measure}", num(ctx, s.used, 0)),
        ),
        Stat::new(
            tr(ctx, "Saved", "Ušetřeno"),
            format!("{} {measure}{band}", num(ctx, s.saved(), 0)),
        )
        .detail(format!(
            "{} ({} {})",
            pct(ctx, s.fraction()),
            s.days,
            tr(ctx, "days", "dní")
        )),
    ])
}

/// The last 24 months of use, with what the baseline predicts for their
/// weather, as a chart and as the table beside it.
fn months(
    ctx: &Context,
    view: View,
    series: &Series,
    temps: &Temperatures,
    fit: Option<&Fit>,
    measure: &str,
) -> View {
    let Some(last) = series.last() else {
        return view;
    };
    let first = month_start(last)
        .checked_sub_months(Months::new(23))
        .unwrap_or(last)
        .max(month_start(series.first().unwrap_or(last)));
    let mut labels = Vec::new();
    let mut used = Vec::new();
    let mut predicted = Vec::new();
    let mut table = Table::new(tr(ctx, "Monthly consumption", "Spotřeba po měsících"))
        .column(tr(ctx, "Month", "Měsíc"))
        .numeric_column(format!("{} ({measure})", tr(ctx, "Used", "Spotřebováno")))
        .numeric_column(format!(
            "{} ({measure})",
            tr(ctx, "Baseline", "Referenční model")
        ))
        .numeric_column(tr(ctx, "Mean temperature (°C)", "Průměrná teplota (°C)"))
        .numeric_column(tr(ctx, "Days with data", "Dní s daty"));
    let mut month = first;
    while month <= last {
        let next = next_month(month);
        let (mut u, mut p, mut t, mut n, mut nt) = (0.0, 0.0, 0.0, 0, 0);
        let mut d = month;
        while d < next {
            let used = series.get(d);
            if let Some(v) = used {
                u += v;
                n += 1;
            }
            if let Some(c) = temps.get(d) {
                t += c;
                nt += 1;
                // What the baseline predicts for the days that were metered.
                if let (Some(f), Some(_)) = (fit, used) {
                    p += f.predict_day(crate::caltrack::fahrenheit(c), crate::model::day_length(d));
                }
            }
            d += Duration::days(1);
        }
        let mut label = month_label(ctx, month);
        if next > last + Duration::days(1) {
            label = format!("{label} ({})", tr(ctx, "so far", "zatím"));
        }
        labels.push(label.clone());
        used.push((u * 10.0).round() / 10.0);
        predicted.push((p * 10.0).round() / 10.0);
        table = table.row([
            label,
            num(ctx, u, 0),
            if fit.is_some() {
                num(ctx, p, 0)
            } else {
                "–".into()
            },
            if nt > 0 {
                num(ctx, t / nt as f64, 1)
            } else {
                "–".into()
            },
            n.to_string(),
        ]);
        month = next;
    }
    let mut chart = Chart::bar(
        tr(ctx, "Monthly consumption", "Spotřeba po měsících"),
        labels,
    )
    .unit(measure)
    .series(tr(ctx, "Used", "Spotřebováno"), used);
    if fit.is_some() {
        chart = chart.series(
            tr(
                ctx,
                "Baseline for the month's weather",
                "Referenční model pro počasí měsíce",
            ),
            predicted,
        );
    }
    view.chart(chart).table(table)
}

pub fn stations(ctx: &Context, form: Option<&FormPost>, errors: &Errors) -> Result<View> {
    let found = STATIONS.find().sort("code").limit(200).fetch::<Station>()?;
    let mut table = Table::new(tr(ctx, "Weather stations", "Meteorologické stanice"))
        .column(tr(ctx, "Station", "Stanice"))
        .column(tr(ctx, "Code", "Kód"))
        .column(tr(ctx, "WSI (fetched from ČHMÚ)", "WSI (stahování z ČHMÚ)"))
        .empty_text(tr(ctx, "No stations yet.", "Zatím žádné stanice."));
    for s in found.documents {
        table = table.row([
            Cell::link(
                s.data.name.clone(),
                format!("/stations/{}", segment(&s.data.code)),
            ),
            s.data.code.clone().into(),
            if s.data.wsi.is_empty() {
                "–".to_owned()
            } else {
                s.data.wsi.clone()
            }
            .into(),
        ]);
    }
    Ok(
        View::new(tr(ctx, "Weather stations", "Meteorologické stanice"))
            .table(table)
            .heading(tr(ctx, "Add a station", "Přidat stanici"))
            .form(
                Form::new("/stations", tr(ctx, "Add", "Přidat"))
                    .field(
                        Field::text(
                            "code",
                            tr(
                                ctx,
                                "Station code (e.g. the ČHMÚ's P1PRUZ01)",
                                "Kód stanice (např. ČHMÚ P1PRUZ01)",
                            ),
                        )
                        .required()
                        .value(FormPost::shown(form, "code", ""))
                        .error_among(errors),
                    )
                    .field(
                        Field::text("name", tr(ctx, "Name", "Název"))
                            .required()
                            .value(FormPost::shown(form, "name", ""))
                            .error_among(errors),
                    ),
            ),
    )
}

/// Heating degree days by the Czech method: each day of mean temperature
/// below 13 °C counts 19 °C minus it (ČSN 38 3350, vyhl. 194/2007 Sb.).
pub fn czech_degree_days(t: f64) -> f64 {
    if t < 13.0 { 19.0 - t } else { 0.0 }
}

pub fn station(ctx: &Context, id: &str, form: Option<&FormPost>, errors: &Errors) -> Result<View> {
    let s = crate::model::station_by_code(id)?.data;
    let temps = Temperatures::of(id)?;
    let today = portico_sdk::calendar::today();
    let mut table = Table::new(tr(
        ctx,
        "Monthly heating degree days (19/13 °C)",
        "Denostupně vytápění po měsících (19/13 °C)",
    ))
    .column(tr(ctx, "Month", "Měsíc"))
    .numeric_column(tr(ctx, "Mean temperature (°C)", "Průměrná teplota (°C)"))
    .numeric_column(tr(ctx, "Heating days", "Otopné dny"))
    .numeric_column(tr(ctx, "Degree days (K·day)", "Denostupně (K·den)"))
    .numeric_column(tr(ctx, "Days with data", "Dní s daty"));
    let (mut labels, mut degree_days) = (Vec::new(), Vec::new());
    let mut month = NaiveDate::from_ymd_opt(today.year() - 3, 1, 1).unwrap_or(today);
    while month <= today {
        let next = next_month(month);
        let (mut sum, mut n, mut heating, mut dd) = (0.0, 0, 0, 0.0);
        let mut d = month;
        while d < next {
            if let Some(t) = temps.get(d) {
                sum += t;
                n += 1;
                let x = czech_degree_days(t);
                if x > 0.0 {
                    heating += 1;
                    dd += x;
                }
            }
            d += Duration::days(1);
        }
        if n > 0 {
            labels.push(month_label(ctx, month));
            degree_days.push(dd.round());
            table = table.row([
                month_label(ctx, month),
                num(ctx, sum / n as f64, 1),
                heating.to_string(),
                num(ctx, dd, 0),
                n.to_string(),
            ]);
        }
        month = next;
    }
    let mut view = View::new(format!("{} – {}", s.code, s.name));
    if !labels.is_empty() {
        view = view.chart(
            Chart::bar(
                tr(
                    ctx,
                    "Monthly heating degree days (19/13 °C)",
                    "Denostupně vytápění po měsících (19/13 °C)",
                ),
                labels,
            )
            .unit(tr(ctx, "K·day", "K·den"))
            .series(tr(ctx, "Degree days", "Denostupně"), degree_days),
        );
    }
    let a_year_ago = month_start(today)
        .checked_sub_months(Months::new(12))
        .unwrap_or(today);
    Ok(view
        .table(table.empty_text(tr(ctx, "No temperatures yet.", "Zatím žádné teploty.")))
        .heading(tr(ctx, "Fetch from ČHMÚ", "Stáhnout z ČHMÚ"))
        .text(tr(
            ctx,
            "The daily mean temperatures of the Czech Hydrometeorological Institute's open data, through the connection `chmi`. Once the station's identifier is known, every morning fetches this month and the one before.",
            "Průměrné denní teploty z otevřených dat Českého hydrometeorologického ústavu přes připojení `chmi`. Je-li identifikátor stanice znám, každé ráno se stáhne tento a předchozí měsíc.",
        ))
        .form(
            Form::new(format!("/stations/{}/fetch", segment(id)), tr(ctx, "Fetch", "Stáhnout"))
                .field(Field::text("wsi", tr(ctx, "The station's WIGOS identifier (WSI)", "Identifikátor stanice WIGOS (WSI)"))
                        .required()
                        .value(FormPost::shown(form, "wsi", &s.wsi))
                        .help(tr(ctx, "As in ČHMÚ's list of stations, e.g. 0-20000-0-11723 for Brno-Tuřany.", "Jak jej uvádí seznam stanic ČHMÚ, např. 0-20000-0-11723 pro Brno-Tuřany.")).error_among(errors))
                .field(Field::text("from", tr(ctx, "From month (YYYY-MM)", "Od měsíce (RRRR-MM)"))
                        .required()
                        .pattern("[0-9]{4}-[0-9]{2}")
                        .value(FormPost::shown(form, "from", &a_year_ago.format("%Y-%m").to_string()))
                        .help(tr(ctx, "The months from this one to the current one, at most 36.", "Měsíce od tohoto do současného, nejvýše 36.")).error_among(errors)),
        )
        .heading(tr(ctx, "Import temperatures", "Import teplot"))
        .form(
            Form::new(format!("/stations/{}", segment(id)), tr(ctx, "Import", "Importovat")).field(Field::file("temperatures", tr(ctx, "Temperatures (CSV, °C)", "Teploty (CSV, °C)"))
                    .required()
                    .accept(".csv,text/csv,text/plain")
                    .help(tr(
                        ctx,
                        "A line per hour (2024-01-31 14:00;-2,5) or a daily mean per day (2024-01-31;-1,2). A day's mean is made of its hours when at least 12 came.",
                        "Řádek za hodinu (2024-01-31 14:00;-2,5) nebo denní průměr za den (2024-01-31;-1,2). Denní průměr se spočte z hodin, přišlo-li jich alespoň 12.",
                    )).error_among(errors)),
        ))
}

/// The last 60 days after the baseline: each day's use against the
/// baseline's prediction and its 95 % interval, and the days found out of
/// it.
fn recent_days(
    ctx: &Context,
    view: View,
    id: &str,
    bl: &Baseline,
    series: &Series,
    temps: &Temperatures,
    measure: &str,
) -> Result<View> {
    let (Some(fit), Some(end), Some(last)) = (
        bl.fit.as_ref(),
        portico_sdk::calendar::parse_date(&bl.to),
        series.last(),
    ) else {
        return Ok(view);
    };
    let Some(half) = crate::alerts::interval(fit) else {
        return Ok(view);
    };
    if last <= end {
        return Ok(view);
    }
    let from = (last - Duration::days(59)).max(end + Duration::days(1));
    let (mut labels, mut used, mut predicted, mut upper, mut lower) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut d = from;
    while d <= last {
        if let (Some(u), Some(t)) = (series.get(d), temps.get(d)) {
            let p = fit.predict_day(crate::caltrack::fahrenheit(t), crate::model::day_length(d));
            labels.push(if cs_of(ctx) {
                format!("{}. {}.", d.day(), d.month())
            } else {
                d.format("%-d %b").to_string()
            });
            let round = |x: f64| (x * 10.0).round() / 10.0;
            used.push(round(u));
            predicted.push(round(p));
            upper.push(round(p + half));
            lower.push(round((p - half).max(0.0)));
        }
        d += Duration::days(1);
    }
    let chart = Chart::line(
        tr(
            ctx,
            "The last days against the baseline",
            "Poslední dny proti referenčnímu modelu",
        ),
        labels,
    )
    .unit(measure)
    .series(tr(ctx, "Used", "Spotřebováno"), used)
    .series(tr(ctx, "Baseline", "Referenční model"), predicted)
    .series(tr(ctx, "Upper limit (95 %)", "Horní mez (95 %)"), upper)
    .series(tr(ctx, "Lower limit (95 %)", "Dolní mez (95 %)"), lower);
    // The latest 20 days and 20 months: a month sorts before its days.
    let found = ANOMALIES
        .find()
        .eq("meter", id)
        .sort_desc("date")
        .limit(400)
        .fetch::<crate::alerts::Anomaly>()?;
    let (mut days_shown, mut months_shown) = (0, 0);
    // The days, and the months, each with its use and the baseline's.
    let outside = |title: &str, first: &str| {
        Table::new(title)
            .column(first)
            .numeric_column(format!("{} ({measure})", tr(ctx, "Used", "Spotřebováno")))
            .numeric_column(format!(
                "{} ({measure})",
                tr(ctx, "Baseline", "Referenční model")
            ))
    };
    let mut table = outside(
        tr(
            ctx,
            "Days outside the baseline",
            "Dny mimo referenční model",
        ),
        tr(ctx, "Day", "Den"),
    )
    .empty_text(tr(ctx, "None found.", "Žádné nenalezeny."));
    let mut months = outside(
        tr(
            ctx,
            "Whole months outside the baseline",
            "Celé měsíce mimo referenční model",
        ),
        tr(ctx, "Month", "Měsíc"),
    )
    .numeric_column(format!(
        "{} ({measure})",
        tr(ctx, "Interval (95 %) ±", "Interval (95 %) ±")
    ));
    let mut any_month = false;
    for a in found.documents {
        let a = a.data;
        let shown = if a.month {
            &mut months_shown
        } else {
            &mut days_shown
        };
        *shown += 1;
        if *shown > 20 {
            continue;
        }
        if a.month {
            months = months.row([
                month_of(&a.date).map_or_else(|| a.date.clone(), |m| month_label(ctx, m)),
                num(ctx, a.used, 0),
                num(ctx, a.predicted, 0),
                num(ctx, a.limit, 0),
            ]);
            any_month = true;
            continue;
        }
        table = table.row([
            date_text(ctx, &a.date),
            num(ctx, a.used, 1),
            num(ctx, a.predicted, 1),
        ]);
    }
    let view = view.chart(chart).table(table);
    Ok(if any_month { view.table(months) } else { view })
}

/// A month as the reader's language writes it: `12/2025`, `Dec 2025`.
pub fn month_label(ctx: &Context, month: NaiveDate) -> String {
    if cs_of(ctx) {
        format!("{}/{}", month.month(), month.year())
    } else {
        month.format("%b %Y").to_string()
    }
}
