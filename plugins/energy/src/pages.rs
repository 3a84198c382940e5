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
    Temperatures, USES, baseline, date, date_text, month_of, month_start, next_month, num,
    unit_name, use_name, year_sums,
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
    let mut table = Table::new(ctx.tr("Buildings", "Budovy"))
        .column(ctx.tr("Building", "Budova"))
        .column(ctx.tr("Use", "Účel"))
        .numeric_column(ctx.tr("Floor area (m²)", "Podlahová plocha (m²)"))
        .numeric_column(format!(
            "{} {year} (MWh)",
            ctx.tr("Energy in", "Energie v roce")
        ))
        .numeric_column(format!("kWh/m² {year}"))
        .column(ctx.tr("Energy certificate (PENB)", "PENB"))
        .empty_text(ctx.tr(
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
    let mut view = View::new(ctx.tr("Energy management", "Energetický management")).stats([
        Stat::new(ctx.tr("Buildings", "Budovy"), buildings.len().to_string()),
        Stat::new(
            ctx.tr("Floor area", "Podlahová plocha"),
            format!("{} m²", num(ctx, area_total, 0)),
        ),
        Stat::new(
            format!("{} {year}", ctx.tr("Energy in", "Energie v roce")),
            format!("{} MWh", num(ctx, use_total / 1000.0, 1)),
        ),
    ]);
    let founds = portico_sdk::orgs::descendants(None, None)?
        .iter()
        .any(|o| o.module_enabled);
    if founds {
        view = view.actions([Action::primary(
            ctx.tr(
                "Energy of the organizations below",
                "Energie podřízených organizací",
            ),
            "/region",
        )]);
    }
    if can_manage(ctx) {
        view = view.actions([
            Action::primary(ctx.tr("Add a building", "Přidat budovu"), "/buildings/new"),
            Action::secondary(
                ctx.tr("Weather stations", "Meteorologické stanice"),
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
                if ctx.is_czech() {
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
    let mut table = Table::new(ctx.tr("Final energy use a year against the 1.9 % a year cut (EU 2023/1791, art. 6)",
        "Konečná spotřeba energie po letech proti snížení o 1,9 % ročně (směrnice EU 2023/1791, čl. 6)",
    ))
    .column(ctx.tr("Year", "Rok"))
    .numeric_column(ctx.tr("Energy (MWh)", "Energie (MWh)"))
    .numeric_column(ctx.tr("Change from the year before (the same meters)",
        "Změna oproti předchozímu roku (stejná měřidla)",
    ))
    .column(ctx.tr("Target: 1.9 % less", "Cíl: o 1,9 % méně"));
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
                    ctx.tr("met", "splněno")
                } else {
                    ctx.tr("not met", "nesplněno")
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
        return ctx.tr("none", "není").to_owned();
    }
    match portico_sdk::calendar::parse_date(&b.penb_expires) {
        Some(d) => format!(
            "{} ({} {})",
            b.penb,
            if d < portico_sdk::calendar::today() {
                ctx.tr("expired on", "platnost skončila")
            } else {
                ctx.tr("valid until", "platný do")
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
        property: String::new(),
    };
    let b = kept.unwrap_or(&empty);
    // A building of the property register is named and placed there.
    let from_property = !b.property.is_empty();
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
    let mut f = Form::new(action, ctx.tr("Save", "Uložit"));
    if kept.is_none() {
        f = f.field(
            Field::text(
                "code",
                ctx.tr(
                    "Code (the asset register's number)",
                    "Kód (číslo v evidenci majetku)",
                ),
            )
            .value(FormPost::shown(form, "code", ""))
            .help(ctx.tr(
                "Meters and reports name the building by it; left empty, one is given.",
                "Měřidla a hlášení budovu označují tímto kódem; zůstane-li prázdný, přidělí se.",
            ))
            .error_among(errors),
        );
    }
    let mut name = Field::text("name", ctx.tr("Name", "Název"))
        .required()
        .value(FormPost::shown(form, "name", &b.name))
        .error_among(errors);
    let mut address = Field::text("address", ctx.tr("Address", "Adresa"))
        .value(FormPost::shown(form, "address", &b.address));
    if from_property {
        let kept_there = ctx.tr(
            "Kept in the property register: change it there.",
            "Tento údaj vede evidence majetku: změňte ho tam.",
        );
        name = name.read_only().help(kept_there);
        address = address.read_only().help(kept_there);
    } else if kept.is_none() {
        name = name.help(ctx.tr(
            "The buildings of the property register come here by themselves; add here only a building that is not there.",
            "Budovy z evidence majetku sem přicházejí samy; zde přidejte jen budovu, která tam není.",
        ));
    }
    Ok(f.field(name)
        .field(address)
        .field(
            Field::new(
                "contact",
                ctx.tr(
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
                ctx.tr(
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
                ctx.tr("Use", "Účel"),
                USES.iter().map(|u| (u.0, ctx.tr(u.1, u.2))),
            )
            .selected([FormPost::shown(form, "usage", &b.usage)]),
        )
        .field(
            Field::select(
                "penb",
                ctx.tr(
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
                ctx.tr("The certificate is valid until", "PENB platí do"),
            )
            .value(FormPost::shown(form, "penb_expires", &b.penb_expires))
            .error_among(errors),
        )
        .field(
            Field::select(
                "station",
                ctx.tr("Weather station", "Meteorologická stanice"),
                station_choices,
            )
            .selected([FormPost::shown(form, "station", &b.station)])
            .help(ctx.tr(
                "Its daily mean temperatures drive the baselines of the building's meters.",
                "Její denní průměrné teploty vstupují do referenčních modelů měřidel budovy.",
            )),
        ))
}

pub fn new_building(ctx: &Context, form: Option<&FormPost>, errors: &Errors) -> Result<View> {
    Ok(
        View::new(ctx.tr("Add a building", "Přidat budovu")).form(building_form(
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
        ctx.tr("none", "žádná").to_owned()
    } else {
        crate::model::station_by_code(&b.station)
            .map(|s| s.data.name)
            .unwrap_or_default()
    };
    let mut view = View::new(b.name.clone()).key_values([
        (ctx.tr("Address", "Adresa").to_owned(), b.address.clone()),
        (ctx.tr("Use", "Účel").to_owned(), use_name(ctx, &b.usage)),
        (
            ctx.tr("Floor area", "Podlahová plocha").to_owned(),
            format!("{} m²", num(ctx, b.area_m2, 0)),
        ),
        (
            ctx.tr("Energy certificate (PENB)", "PENB").to_owned(),
            penb_text(ctx, &b),
        ),
        (
            ctx.tr("Weather station", "Meteorologická stanice")
                .to_owned(),
            station,
        ),
    ]);
    if !b.property.is_empty() {
        view = view.key_values([(
            ctx.tr("Kept in", "Vedeno v").to_owned(),
            ctx.tr("the property register", "evidenci majetku")
                .to_owned(),
        )]);
    }
    let meters = METERS
        .find()
        .eq("building", id)
        .limit(200)
        .fetch::<Meter>()?;
    let mut table = Table::new(ctx.tr("Meters", "Měřidla"))
        .column(ctx.tr("Meter", "Měřidlo"))
        .column(ctx.tr("Carrier", "Nositel energie"))
        .column(ctx.tr("Unit", "Jednotka"))
        .column(ctx.tr("Baseline", "Referenční model"))
        .empty_text(ctx.tr("No meters yet.", "Zatím žádná měřidla."));
    for m in &meters.documents {
        let model = match baseline(&m.data.label)? {
            Some(d) if d.data.accepted => ctx.tr("accepted", "přijat").to_owned(),
            Some(_) => ctx.tr("refused", "odmítnut").to_owned(),
            None => ctx.tr("not fitted", "nesestaven").to_owned(),
        };
        let mut label = m.data.label.clone();
        if m.data.role == "sub" {
            label = format!("{label} ({})", ctx.tr("sub-meter", "podružné"));
        } else if m.data.is_virtual() {
            label = format!("{label} ({})", ctx.tr("virtual", "virtuální"));
        }
        table = table.row([
            Cell::link(label, format!("/meters/{}", segment(&m.data.label))),
            m.data.carrier().name(ctx).into(),
            unit_name(&m.data.unit).to_owned().into(),
            model.into(),
        ]);
    }
    view = view.table(table).actions([Action::secondary(
        ctx.tr(
            "Every day of every meter (CSV, for an audit)",
            "Každý den každého měřidla (CSV pro audit)",
        ),
        format!("/buildings/{}/days.csv", segment(id)),
    )]);
    view = indicators(ctx, view, &b, &meters.documents)?;
    if can_manage(ctx) {
        view = view
            .heading(ctx.tr("Add a meter", "Přidat měřidlo"))
            .form(meter_form(ctx, id, form, errors))
            .heading(ctx.tr("Change the building", "Upravit budovu"))
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
    let mut table = Table::new(ctx.tr(
        "Energy performance indicators (ISO 50006)",
        "Ukazatele energetické náročnosti (ISO 50006)",
    ))
    .column(ctx.tr("Year", "Rok"))
    .numeric_column(ctx.tr("Energy (MWh)", "Energie (MWh)"))
    .numeric_column("kWh/m²")
    .numeric_column(ctx.tr(
        "Heating: gas and heat (MWh)",
        "Vytápění: plyn a teplo (MWh)",
    ))
    .numeric_column(ctx.tr("Degree days (19/13 °C)", "Denostupně (19/13 °C)"))
    .numeric_column(ctx.tr("Heating kWh per degree day", "kWh vytápění na denostupeň"))
    .numeric_column(ctx.tr("Days metered (%)", "Dní s měřením (%)"));
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
        ctx.tr("Add the meter", "Přidat měřidlo"),
    )
    .field(Field::text(
            "label",
            ctx.tr("Meter code (EAN, EIC or the organization's own)",
                "Označení měřidla (EAN, EIC nebo vlastní)",
            ),
        )
        .required()
        .value(FormPost::shown(form, "label", "")).error_among(errors))
    .field(
        Field::select(
            "carrier",
            ctx.tr("Carrier", "Nositel energie"),
            CARRIERS.iter().map(|c| (c.code(), c.name(ctx))),
        )
        .selected([FormPost::shown(form, "carrier", "electricity")]),
    )
    .field(Field::select(
            "unit",
            ctx.tr("Unit of the readings", "Jednotka odečtů"),
            units.iter().map(|u| (*u, unit_name(u))),
        )
        .selected([FormPost::shown(form, "unit", "kWh")]).error_among(errors))
    .field(
        Field::radio(
            "role",
            ctx.tr("Meter type", "Druh měřidla"),
            [
                ("main", ctx.tr("Main meter", "Hlavní měřidlo")),
                ("sub", ctx.tr("Sub-meter", "Podružné měřidlo")),
                (
                    "virtual",
                    ctx.tr("Virtual meter (sums and differences of others)",
                        "Virtuální měřidlo (součty a rozdíly jiných)",
                    ),
                ),
            ],
        )
        .selected([FormPost::shown(form, "role", "main")]),
    )
    .field(Field::textarea(
            "parts",
            ctx.tr("Virtual meter: its parts", "Virtuální měřidlo: jeho části"),
        )
        .value(FormPost::shown(form, "parts", ""))
        .help(ctx.tr("A line each: + or − and a meter's code of the same carrier, e.g. the gas main less the kitchen: “+ 27ZG600000000001” and “− KUCHYNE-PLYN”. Its use counts in no total.",
            "Na každý řádek + nebo − a označení měřidla téhož nositele, např. hlavní plynoměr bez kuchyně: „+ 27ZG600000000001“ a „− KUCHYNE-PLYN“. Jeho spotřeba se nezapočítává do žádného součtu.",
        )).error_among(errors))
    .field(Field::number(
            "kwh_per_m3",
            ctx.tr("Gas: calorific value (kWh/m³)",
                "Plyn: spalné teplo (kWh/m³)",
            ),
        )
        .value(FormPost::shown(form, "kwh_per_m3", "10.55"))
        .help(ctx.tr("The distributor's calorific value times the volume correction, as on the invoice.",
            "Spalné teplo krát přepočítávací součinitel objemu, jak je uvádí faktura distributora.",
        )).error_among(errors))
    .field(Field::number(
            "digits",
            ctx.tr("Number of register digits (to detect roll-over)",
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
        (ctx.tr("Building", "Budova").to_owned(), b.name.clone()),
        (
            ctx.tr("Carrier", "Nositel energie").to_owned(),
            m.carrier().name(ctx).to_owned(),
        ),
        if m.is_virtual() {
            (
                ctx.tr("Virtual meter, made of", "Virtuální měřidlo složené z")
                    .to_owned(),
                crate::virtual_meters::lines(&m.parts).replace('\n', " "),
            )
        } else {
            (
                ctx.tr("Unit of the readings", "Jednotka odečtů").to_owned(),
                unit_name(&m.unit).to_owned(),
            )
        },
        (
            ctx.tr("Data", "Data").to_owned(),
            match (series.first(), series.last()) {
                (Some(f), Some(l)) => format!("{} – {}", date(ctx, f), date(ctx, l)),
                _ => ctx.tr("none yet", "zatím žádná").to_owned(),
            },
        ),
    ];
    if m.role == "sub" {
        facts.push((
            ctx.tr("Meter type", "Druh měřidla").to_owned(),
            ctx.tr(
                "sub-meter (counts in no total)",
                "podružné (nezapočítává se do součtů)",
            )
            .to_owned(),
        ));
    }
    let mut view = View::new(format!("{} – {}", m.label, b.name)).key_values(facts);

    // The baseline.
    let model = baseline(id)?.map(|d| d.data);
    view = view.heading(ctx.tr(
        "Baseline (CalTRACK daily method)",
        "Referenční model (denní metoda CalTRACK)",
    ));
    match &model {
        None => view = view.text(ctx.tr("Not fitted yet.", "Zatím nesestaven.")),
        Some(bl) => {
            view = baseline_block(ctx, view, bl, &series, &temps, measure).actions([
                Action::secondary(
                    ctx.tr("Baseline (CSV)", "Referenční model (CSV)"),
                    format!("/meters/{}/baseline.csv", segment(id)),
                ),
            ])
        }
    }
    if can_manage(ctx) {
        view = view.form(
            Form::new(format!("/meters/{}", segment(id)), ctx.tr("Fit the baseline", "Sestavit referenční model"))
                .field(Field::date("baseline_end", ctx.tr("Last day of the baseline", "Poslední den referenčního období"))
                        .value(FormPost::shown(form, "baseline_end", &m.baseline_end))
                        .help(ctx.tr("The baseline covers the 365 days ending on this day; leave it empty to use the last day with data.",
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
            .heading(ctx.tr("Import readings", "Import odečtů"))
            .form(
                Form::new(format!("/meters/{}/import", segment(id)), ctx.tr("Import", "Importovat")).field(
                    Field::file("readings", ctx.tr("Readings (CSV)", "Odečty (CSV)"))
                            .required()
                            .accept(".csv,text/csv,text/plain")
                            .help(ctx.tr("A line per interval (2024-01-31 00:15;1,25) or per day (2024-01-31;30,5), in the meter's unit, as the distributor or the gateway exports them. A bad line is named and nothing is stored; a file imported again replaces the same intervals.",
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
        .heading(ctx.tr("Enter a reading", "Zadat odečet"))
        .form(
            Form::new(
                format!("/meters/{}/reading", segment(id)),
                ctx.tr("Save the reading", "Uložit odečet"),
            )
            .field(
                Field::date("date", ctx.tr("Date", "Datum"))
                    .required()
                    .value(FormPost::shown(
                        form,
                        "date",
                        &portico_sdk::calendar::today().to_string(),
                    ))
                    .error_among(errors),
            )
            .field(
                Field::number("reading", ctx.tr("Counter reading", "Stav počítadla"))
                    .required()
                    .min("0")
                    .value(FormPost::shown(form, "reading", ""))
                    .error_among(errors),
            )
            .field(Field::checkboxes(
                "new_counter",
                ctx.tr("Meter replaced", "Výměna měřidla"),
                [(
                    "1",
                    ctx.tr(
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
    let mut table = Table::new(ctx.tr("Calorific value by period", "Spalné teplo po obdobích"))
        .column(ctx.tr("From", "Od"))
        .numeric_column(ctx.tr("Calorific value (kWh/m³)", "Spalné teplo (kWh/m³)"));
    table = table.row([
        ctx.tr("the first reading", "od prvního odečtu").to_owned(),
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
            ctx.tr("Set the calorific value", "Nastavit spalné teplo"),
        )
        .field(Field::date("from", ctx.tr("From", "Od"))
                .required()
                .value(FormPost::shown(form, "from", "")).error_among(errors))
        .field(Field::number(
                "kwh_per_m3",
                ctx.tr("Calorific value (kWh/m³)", "Spalné teplo (kWh/m³)"),
            )
            .required()
            .value(FormPost::shown(form, "kwh_per_m3", ""))
            .help(ctx.tr("The distributor's figure for the period, as on the invoice (the calorific value times the volume correction). The days of the period already kept are converted again; the nightly refit fits the baseline to them.",
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
            if ctx.is_czech() {
                cs.clone()
            } else {
                en.clone()
            },
        );
    } else if !en.is_empty() {
        view = view.notice(
            NoticeLevel::Info,
            if ctx.is_czech() {
                cs.clone()
            } else {
                en.clone()
            },
        );
    }
    let Some(fit) = &bl.fit else { return view };
    let kind = match fit.kind {
        Kind::InterceptOnly => ctx.tr("intercept only", "jen absolutní člen"),
        Kind::HddOnly => ctx.tr("heating degree days", "denostupně vytápění"),
        Kind::CddOnly => ctx.tr("cooling degree days", "denostupně chlazení"),
        Kind::CddHdd => ctx.tr(
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
            ctx.tr("Period", "Období").to_owned(),
            format!("{} – {}", period(&bl.from), period(&bl.to)),
        ),
        (ctx.tr("Model", "Model").to_owned(), kind.to_owned()),
        (
            ctx.tr("Base use a day", "Základní denní spotřeba")
                .to_owned(),
            format!("{} {measure}", num(ctx, fit.intercept, 2)),
        ),
    ];
    if fit.heating_bp.is_some() {
        facts.push((
            ctx.tr("Heating balance point", "Bod zlomu vytápění")
                .to_owned(),
            bp(fit.heating_bp),
        ));
        facts.push((
            ctx.tr(
                "Heating: use a degree day",
                "Vytápění: spotřeba na denostupeň",
            )
            .to_owned(),
            format!("{} {measure}/K", num(ctx, fit.beta_hdd * 1.8, 3)),
        ));
    }
    if fit.cooling_bp.is_some() {
        facts.push((
            ctx.tr("Cooling balance point", "Bod zlomu chlazení")
                .to_owned(),
            bp(fit.cooling_bp),
        ));
        facts.push((
            ctx.tr(
                "Cooling: use a degree day",
                "Chlazení: spotřeba na denostupeň",
            )
            .to_owned(),
            format!("{} {measure}/K", num(ctx, fit.beta_cdd * 1.8, 3)),
        ));
    }
    facts.push((
        ctx.tr("Days fitted", "Dní v modelu").to_owned(),
        fit.n.to_string(),
    ));
    facts.push((
        ctx.tr("Extreme days (kept)", "Extrémní dny (ponechány)")
            .to_owned(),
        bl.extreme_days.to_string(),
    ));
    view = view.key_values(facts);
    view = view.stats([
        Stat::new("R²", num(ctx, fit.r_squared, 3)),
        Stat::new(
            ctx.tr("Adjusted R²", "Upravené R²"),
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
        return view.text(ctx.tr(
            "No days after the baseline yet: savings show once readings after it come in.",
            "Zatím žádné dny po referenčním období: úspory se ukážou s odečty po něm.",
        ));
    };
    let band = s.band.map_or_else(String::new, |b| {
        format!(" ± {} {measure} (90 %)", num(ctx, b, 0))
    });
    view.heading(format!(
        "{} {} – {}",
        ctx.tr(
            "Savings, weather-normalised,",
            "Úspory po normalizaci na počasí,"
        ),
        date(ctx, from),
        date(ctx, to)
    ))
    .stats([
        Stat::new(
            ctx.tr("The baseline predicts", "Referenční model předpovídá"),
            format!("{} {measure}", num(ctx, s.predicted, 0)),
        ),
        Stat::new(
            ctx.tr("Used", "Spotřebováno"),
            format!("{} {measure}", num(ctx, s.used, 0)),
        ),
        Stat::new(
            ctx.tr("Saved", "Ušetřeno"),
            format!("{} {measure}{band}", num(ctx, s.saved(), 0)),
        )
        .detail(format!(
            "{} ({} {})",
            pct(ctx, s.fraction()),
            s.days,
            ctx.tr("days", "dní")
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
    let mut table = Table::new(ctx.tr("Monthly consumption", "Spotřeba po měsících"))
        .column(ctx.tr("Month", "Měsíc"))
        .numeric_column(format!("{} ({measure})", ctx.tr("Used", "Spotřebováno")))
        .numeric_column(format!(
            "{} ({measure})",
            ctx.tr("Baseline", "Referenční model")
        ))
        .numeric_column(ctx.tr("Mean temperature (°C)", "Průměrná teplota (°C)"))
        .numeric_column(ctx.tr("Days with data", "Dní s daty"));
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
            label = format!("{label} ({})", ctx.tr("so far", "zatím"));
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
        ctx.tr("Monthly consumption", "Spotřeba po měsících"),
        labels,
    )
    .unit(measure)
    .series(ctx.tr("Used", "Spotřebováno"), used);
    if fit.is_some() {
        chart = chart.series(
            ctx.tr(
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
    let mut table = Table::new(ctx.tr("Weather stations", "Meteorologické stanice"))
        .column(ctx.tr("Station", "Stanice"))
        .column(ctx.tr("Code", "Kód"))
        .column(ctx.tr("WSI (fetched from ČHMÚ)", "WSI (stahování z ČHMÚ)"))
        .empty_text(ctx.tr("No stations yet.", "Zatím žádné stanice."));
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
        View::new(ctx.tr("Weather stations", "Meteorologické stanice"))
            .table(table)
            .heading(ctx.tr("Add a station", "Přidat stanici"))
            .form(
                Form::new("/stations", ctx.tr("Add", "Přidat"))
                    .field(
                        Field::text(
                            "code",
                            ctx.tr(
                                "Station code (e.g. the ČHMÚ's P1PRUZ01)",
                                "Kód stanice (např. ČHMÚ P1PRUZ01)",
                            ),
                        )
                        .required()
                        .value(FormPost::shown(form, "code", ""))
                        .error_among(errors),
                    )
                    .field(
                        Field::text("name", ctx.tr("Name", "Název"))
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
    let mut table = Table::new(ctx.tr(
        "Monthly heating degree days (19/13 °C)",
        "Denostupně vytápění po měsících (19/13 °C)",
    ))
    .column(ctx.tr("Month", "Měsíc"))
    .numeric_column(ctx.tr("Mean temperature (°C)", "Průměrná teplota (°C)"))
    .numeric_column(ctx.tr("Heating days", "Otopné dny"))
    .numeric_column(ctx.tr("Degree days (K·day)", "Denostupně (K·den)"))
    .numeric_column(ctx.tr("Days with data", "Dní s daty"));
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
                ctx.tr(
                    "Monthly heating degree days (19/13 °C)",
                    "Denostupně vytápění po měsících (19/13 °C)",
                ),
                labels,
            )
            .unit(ctx.tr("K·day", "K·den"))
            .series(ctx.tr("Degree days", "Denostupně"), degree_days),
        );
    }
    let a_year_ago = month_start(today)
        .checked_sub_months(Months::new(12))
        .unwrap_or(today);
    Ok(view
        .table(table.empty_text(ctx.tr("No temperatures yet.", "Zatím žádné teploty.")))
        .heading(ctx.tr("Fetch from ČHMÚ", "Stáhnout z ČHMÚ"))
        .text(ctx.tr("The daily mean temperatures of the Czech Hydrometeorological Institute's open data, through the connection `chmi`. Once the station's identifier is known, every morning fetches this month and the one before.",
            "Průměrné denní teploty z otevřených dat Českého hydrometeorologického ústavu přes připojení `chmi`. Je-li identifikátor stanice znám, každé ráno se stáhne tento a předchozí měsíc.",
        ))
        .form(
            Form::new(format!("/stations/{}/fetch", segment(id)), ctx.tr("Fetch", "Stáhnout"))
                .field(Field::text("wsi", ctx.tr("The station's WIGOS identifier (WSI)", "Identifikátor stanice WIGOS (WSI)"))
                        .required()
                        .value(FormPost::shown(form, "wsi", &s.wsi))
                        .help(ctx.tr("As in ČHMÚ's list of stations, e.g. 0-20000-0-11723 for Brno-Tuřany.", "Jak jej uvádí seznam stanic ČHMÚ, např. 0-20000-0-11723 pro Brno-Tuřany.")).error_among(errors))
                .field(Field::text("from", ctx.tr("From month (YYYY-MM)", "Od měsíce (RRRR-MM)"))
                        .required()
                        .pattern("[0-9]{4}-[0-9]{2}")
                        .value(FormPost::shown(form, "from", &a_year_ago.format("%Y-%m").to_string()))
                        .help(ctx.tr("The months from this one to the current one, at most 36.", "Měsíce od tohoto do současného, nejvýše 36.")).error_among(errors)),
        )
        .heading(ctx.tr("Import temperatures", "Import teplot"))
        .form(
            Form::new(format!("/stations/{}", segment(id)), ctx.tr("Import", "Importovat")).field(Field::file("temperatures", ctx.tr("Temperatures (CSV, °C)", "Teploty (CSV, °C)"))
                    .required()
                    .accept(".csv,text/csv,text/plain")
                    .help(ctx.tr("A line per hour (2024-01-31 14:00;-2,5) or a daily mean per day (2024-01-31;-1,2). A day's mean is made of its hours when at least 12 came.",
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
            labels.push(if ctx.is_czech() {
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
        ctx.tr(
            "The last days against the baseline",
            "Poslední dny proti referenčnímu modelu",
        ),
        labels,
    )
    .unit(measure)
    .series(ctx.tr("Used", "Spotřebováno"), used)
    .series(ctx.tr("Baseline", "Referenční model"), predicted)
    .series(ctx.tr("Upper limit (95 %)", "Horní mez (95 %)"), upper)
    .series(ctx.tr("Lower limit (95 %)", "Dolní mez (95 %)"), lower);
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
            .numeric_column(format!("{} ({measure})", ctx.tr("Used", "Spotřebováno")))
            .numeric_column(format!(
                "{} ({measure})",
                ctx.tr("Baseline", "Referenční model")
            ))
    };
    let mut table = outside(
        ctx.tr("Days outside the baseline", "Dny mimo referenční model"),
        ctx.tr("Day", "Den"),
    )
    .empty_text(ctx.tr("None found.", "Žádné nenalezeny."));
    let mut months = outside(
        ctx.tr(
            "Whole months outside the baseline",
            "Celé měsíce mimo referenční model",
        ),
        ctx.tr("Month", "Měsíc"),
    )
    .numeric_column(format!(
        "{} ({measure})",
        ctx.tr("Interval (95 %) ±", "Interval (95 %) ±")
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
    if ctx.is_czech() {
        format!("{}/{}", month.month(), month.year())
    } else {
        month.format("%b %Y").to_string()
    }
}
