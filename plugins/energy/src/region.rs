//! The region's view: each organization sends its buildings' year up the
//! tree (`energy.report`, the monthly job or the manager's button); the
//! founder keeps a document a building and one an organization, and its
//! energy manager ranks every building of every organization by kWh/m²,
//! sees the worst and the savings, and drills down to one building and its
//! meters.

use chrono::{Datelike, Duration, Months};
use portico_sdk::messages::{self, Message};
use portico_sdk::records::{Collection, Filters};
use portico_sdk::{Cell, Chart, Context, Error, Result, Stat, Table, View, orgs, segment};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::baseline;
use crate::model::{
    BUILDINGS, Baseline, Building, Carrier, DAYS, METERS, MODELS, Meter, Series, Temperatures,
    YearDays, month_start, next_month, num, use_name,
};

pub const REPORTS: Collection = Collection::new("reports");
pub const MEMBERS: Collection = Collection::new("members");
pub const KIND: &str = "energy.report";
/// The most buildings one report carries.
pub const MOST_BUILDINGS: usize = 200;

/// One meter in a report: its last 12 months.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeterYear {
    pub label: String,
    pub carrier: String,
    pub sub: bool,
    /// The first month, `YYYY-MM`.
    pub first_month: String,
    pub months: Vec<f64>,
    pub accepted: bool,
    #[serde(default)]
    pub cvrmse: Option<f64>,
    #[serde(default)]
    pub saved: Option<f64>,
}

/// One building in a report, as the founder keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildingYear {
    pub key: String,
    pub org: String,
    pub org_name: String,
    pub name: String,
    pub usage: String,
    pub area_m2: f64,
    /// The last 12 months' energy of its main meters (water aside), kWh.
    pub used: f64,
    /// kWh/m² of the 12 months; 0 without a floor area.
    pub intensity: f64,
    /// Weather-normalised savings of its accepted baselines, kWh.
    pub saved: f64,
    pub meters: Vec<MeterYear>,
}

/// An organization's totals at its founder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub org: String,
    pub org_name: String,
    pub buildings: usize,
    pub area_m2: f64,
    pub used: f64,
    pub saved: f64,
    pub received: String,
    /// The first of the 12 months, `YYYY-MM`.
    #[serde(default)]
    pub first_month: String,
    /// Meters with an accepted baseline: savings mean something only then.
    #[serde(default)]
    pub baselines: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The first of the 12 months, `YYYY-MM`.
    #[serde(default)]
    pub first_month: String,
    pub buildings: Vec<BuildingYear>,
}

/// Every document `find` finds, grouped by `key`: read a page (of the
/// find's limit) at a time.
fn grouped<T: serde::de::DeserializeOwned>(
    find: portico_sdk::records::Find,
    key: impl Fn(&T) -> String,
) -> Result<HashMap<String, Vec<T>>> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    for page in find.pages::<T>() {
        for d in page? {
            out.entry(key(&d.data)).or_default().push(d.data);
        }
    }
    Ok(out)
}

/// This organization's buildings: the 12 whole months before this one.
pub fn build() -> Result<Report> {
    let org = orgs::current()?;
    let today = portico_sdk::calendar::today();
    let first = month_start(today)
        .checked_sub_months(Months::new(12))
        .unwrap_or(today);
    // Everything read a page at a time, not a meter at a time: the
    // meters, their baselines, and their days of the years the months and
    // the savings reach (older years only for the rare meter that needs
    // them).
    let mut meters_of = grouped(METERS.find().limit(500), |m: &Meter| m.building.clone())?;
    let mut models = grouped(MODELS.find().limit(500), |b: &Baseline| b.meter.clone())?;
    let from_year = first.year() - 1;
    let mut years_of = grouped(
        DAYS.find().ge("year", from_year).limit(200),
        |y: &YearDays| y.meter.clone(),
    )?;
    let mut temps_of: HashMap<String, Temperatures> = HashMap::new();
    let mut buildings = Vec::new();
    for page in BUILDINGS.find().limit(200).pages::<Building>() {
        for b in page? {
            if buildings.len() == MOST_BUILDINGS {
                break;
            }
            if !temps_of.contains_key(&b.data.station) {
                temps_of.insert(b.data.station.clone(), Temperatures::of(&b.data.station)?);
            }
            let temps = &temps_of[&b.data.station];
            let mut meters = Vec::new();
            let (mut used, mut saved) = (0.0, 0.0);
            for m in meters_of.remove(&b.data.code).unwrap_or_default() {
                let model = models.remove(&m.label).and_then(|b| b.into_iter().next());
                let reaches_back = model
                    .as_ref()
                    .and_then(|bl| portico_sdk::calendar::parse_date(&bl.to))
                    .is_some_and(|to| to.year() < from_year);
                let series = if reaches_back {
                    Series::of(&m.label)?
                } else {
                    Series::from_years(years_of.remove(&m.label).unwrap_or_default())
                };
                let mut months = Vec::new();
                let mut month = first;
                for _ in 0..12 {
                    let next = next_month(month);
                    let mut d = month;
                    let mut sum = 0.0;
                    while d < next {
                        sum += series.get(d).unwrap_or(0.0);
                        d += Duration::days(1);
                    }
                    months.push(sum);
                    month = next;
                }
                if m.counted() {
                    used += months.iter().sum::<f64>();
                }
                let accepted = model.as_ref().is_some_and(|b| b.accepted);
                let fit = model.as_ref().and_then(|b| b.fit.clone());
                let saved_here = match (&model, &fit) {
                    (Some(bl), Some(f)) if bl.accepted => portico_sdk::calendar::parse_date(&bl.to)
                        .map(|to| baseline::savings(f, to, &series, temps).saved()),
                    _ => None,
                };
                // Water's savings are m³, a sub-meter's and a virtual
                // meter's are in the main meter's already.
                if m.counted() {
                    saved += saved_here.unwrap_or(0.0);
                }
                meters.push(MeterYear {
                    label: m.label.clone(),
                    carrier: m.carrier.clone(),
                    sub: m.role == "sub" || m.is_virtual(),
                    first_month: first.format("%Y-%m").to_string(),
                    months,
                    accepted,
                    cvrmse: fit.map(|f| f.cvrmse),
                    saved: saved_here,
                });
            }
            buildings.push(BuildingYear {
                key: format!("{}:{}", org.id, b.data.code),
                org: org.id.clone(),
                org_name: org.name.clone(),
                name: b.data.name.clone(),
                usage: b.data.usage.clone(),
                area_m2: b.data.area_m2,
                used,
                intensity: if b.data.area_m2 > 0.0 {
                    used / b.data.area_m2
                } else {
                    0.0
                },
                saved,
                meters,
            });
        }
    }
    Ok(Report {
        first_month: first.format("%Y-%m").to_string(),
        buildings,
    })
}

/// Sends this organization's report to its founder, where the module is
/// enabled there. Returns the founder's name.
pub fn send() -> Result<Option<String>> {
    let Some(founder) = orgs::ancestors()?
        .into_iter()
        .next()
        .filter(|o| o.module_enabled)
    else {
        return Ok(None);
    };
    let report = build()?;
    messages::send(&founder.id, KIND, &report)?;
    Ok(Some(founder.name))
}

/// A report from an organization directly below: its buildings replace
/// what it reported before.
pub fn receive(ctx: &Context, message: &Message) -> Result<()> {
    if message.kind != KIND {
        return Ok(());
    }
    let from = message.from_org.as_str();
    let child = orgs::child(ctx, from);
    let Some(child) = child else {
        return message.refuse(
            "energy.report-refused",
            "a report comes from an organization directly below",
        );
    };
    let Ok(report) = message.payload::<Report>() else {
        return message.refuse(
            "energy.report-refused",
            "the report is not one this version reads",
        );
    };
    // A report delivered late, after a newer one, changes nothing.
    let known = MEMBERS.find_by::<Member>("org", from)?;
    if known
        .as_ref()
        .is_some_and(|m| m.data.received > message.sent_at)
    {
        return Ok(());
    }
    let mut kept: std::collections::HashMap<String, (String, u64)> =
        std::collections::HashMap::new();
    for page in REPORTS
        .find()
        .eq("org", from)
        .limit(500)
        .pages::<BuildingYear>()
    {
        for d in page? {
            kept.insert(d.data.key.clone(), (d.id, d.version));
        }
    }
    let (mut area, mut used, mut saved, mut baselines) = (0.0, 0.0, 0.0, 0);
    let count = report.buildings.len().min(MOST_BUILDINGS);
    for mut b in report.buildings.into_iter().take(MOST_BUILDINGS) {
        // What the founder keeps is the sender's, whatever the report says.
        let local = b.key.rsplit(':').next().unwrap_or_default().to_owned();
        b.key = format!("{from}:{local}");
        b.org = from.to_owned();
        b.org_name = child.name.clone();
        area += b.area_m2;
        used += b.used;
        saved += b.saved;
        baselines += b.meters.iter().filter(|m| m.accepted).count();
        match kept.remove(&b.key) {
            Some((id, version)) => {
                REPORTS.update(&id, version, &b)?;
            }
            None => {
                REPORTS.insert(&b)?;
            }
        }
    }
    for (_, (id, version)) in kept {
        REPORTS.delete(&id, version)?;
    }
    let member = Member {
        org: from.to_owned(),
        org_name: child.name,
        buildings: count,
        area_m2: area,
        used,
        saved,
        received: message.sent_at.clone(),
        first_month: report.first_month,
        baselines,
    };
    match known {
        Some(d) => MEMBERS.update(&d.id, d.version, &member).map(drop)?,
        None => MEMBERS.insert(&member).map(drop)?,
    }
    Ok(())
}

/// The founder's overview of its organizations' buildings.
pub fn overview(ctx: &Context, page: &portico_sdk::Page) -> Result<View> {
    let mut members = MEMBERS.find().sort("org_name").fetch_all::<Member>(2_000)?;
    // As the reader sorted them (`?sort=…&order=desc`), by name by default.
    let sort = page
        .query("sort")
        .and_then(|s| {
            ["org", "buildings", "area", "used", "intensity", "saved"]
                .into_iter()
                .find(|k| *k == s)
        })
        .unwrap_or("org");
    let descending = page.query("order") == Some("desc");
    let by = |m: &Member| -> f64 {
        match sort {
            "buildings" => m.buildings as f64,
            "area" => m.area_m2,
            "used" => m.used,
            "intensity" if m.area_m2 > 0.0 => m.used / m.area_m2,
            "saved" => m.saved,
            _ => 0.0,
        }
    };
    if sort != "org" {
        members.sort_by(|a, b| by(&a.data).total_cmp(&by(&b.data)));
    }
    if descending {
        members.reverse();
    }
    let (mut buildings, mut area, mut used, mut saved, mut baselines) = (0, 0.0, 0.0, 0.0, 0);
    // The 12 months the reports cover (the latest report's).
    let period = members
        .iter()
        .map(|m| m.data.first_month.as_str())
        .max()
        .and_then(crate::model::month_of)
        .map_or_else(
            || ctx.tr("in 12 months", "za 12 měsíců").to_owned(),
            |first| {
                let last = first.checked_add_months(Months::new(11)).unwrap_or(first);
                format!(
                    "{} – {}",
                    crate::pages::month_label(ctx, first),
                    crate::pages::month_label(ctx, last)
                )
            },
        );
    let mut table = Table::new(ctx.tr("Organizations", "Organizace"))
        .sortable(ctx.tr("Organization", "Organizace"), "org", false)
        .sortable(ctx.tr("Buildings", "Budovy"), "buildings", true)
        .sortable(ctx.tr("Floor area (m²)", "Plocha (m²)"), "area", true)
        .sortable(format!("{} {period} (MWh)", ctx.tr("Energy", "Energie")), "used", true)
        .sortable("kWh/m²", "intensity", true)
        .sortable(ctx.tr("Saved (MWh)", "Ušetřeno (MWh)"), "saved", true)
        .sorted_by(sort, descending)
        .empty_text(ctx.tr("No organization has reported yet: each sends its buildings' year once a month, or when its energy manager sends it.",
            "Zatím žádná organizace nepodala hlášení: každá posílá rok svých budov jednou měsíčně, nebo když jej její energetický manažer odešle.",
        ));
    for m in &members {
        let m = &m.data;
        buildings += m.buildings;
        area += m.area_m2;
        used += m.used;
        saved += m.saved;
        table = table.row([
            Cell::from(m.org_name.clone()),
            m.buildings.to_string().into(),
            num(ctx, m.area_m2, 0).into(),
            num(ctx, m.used / 1000.0, 1).into(),
            if m.area_m2 > 0.0 {
                num(ctx, m.used / m.area_m2, 1)
            } else {
                "–".into()
            }
            .into(),
            if m.baselines > 0 {
                num(ctx, m.saved / 1000.0, 1)
            } else {
                "–".into()
            }
            .into(),
        ]);
        baselines += m.baselines;
    }
    let worst = REPORTS
        .find()
        .gt("intensity", 0)
        .sort_desc("intensity")
        .limit(20)
        .fetch::<BuildingYear>()?;
    let mut ranking = Table::new(ctx.tr(
        "The buildings of the highest kWh/m² (at most 20)",
        "Budovy s nejvyšší spotřebou na m² (nejvýše 20)",
    ))
    .column(ctx.tr("Building", "Budova"))
    .column(ctx.tr("Organization", "Organizace"))
    .column(ctx.tr("Use", "Účel"))
    .numeric_column("kWh/m²")
    .numeric_column(ctx.tr("Energy (MWh)", "Energie (MWh)"))
    .empty_text(ctx.tr("No building reported yet.", "Zatím žádná budova."));
    for b in worst.documents {
        let b = b.data;
        ranking = ranking.row([
            Cell::link(b.name.clone(), format!("/region/{}", segment(&b.key))),
            b.org_name.clone().into(),
            use_name(ctx, &b.usage).into(),
            num(ctx, b.intensity, 1).into(),
            num(ctx, b.used / 1000.0, 1).into(),
        ]);
    }
    Ok(View::new(ctx.tr(
        "Energy of the region's organizations",
        "Energie organizací kraje",
    ))
    .stats([
        Stat::new(
            ctx.tr("Organizations reporting", "Organizace s hlášením"),
            members.len().to_string(),
        ),
        Stat::new(ctx.tr("Buildings", "Budovy"), buildings.to_string()),
        Stat::new(
            format!("{} {period}", ctx.tr("Energy", "Energie")),
            format!("{} MWh", num(ctx, used / 1000.0, 1)),
        ),
        Stat::new(
            ctx.tr("Energy per m² (kWh/m²)", "Měrná spotřeba (kWh/m²)"),
            if area > 0.0 {
                num(ctx, used / area, 1)
            } else {
                "–".into()
            },
        ),
        Stat::new(
            ctx.tr(
                "Saved, weather-normalised",
                "Ušetřeno po normalizaci na počasí",
            ),
            if baselines > 0 {
                format!("{} MWh", num(ctx, saved / 1000.0, 1))
            } else {
                ctx.tr("– (no baseline yet)", "– (zatím bez referenčního modelu)")
                    .to_owned()
            },
        ),
    ])
    .table(ranking)
    .table(table))
}

/// One building of an organization below, with its meters' months.
pub fn building(ctx: &Context, key: &str) -> Result<View> {
    let Some(b) = REPORTS.find_by::<BuildingYear>("key", key)? else {
        return Err(Error::not_found(ctx.tr(
            "No such building in the reports.",
            "Taková budova v hlášeních není.",
        )));
    };
    let b = b.data;
    let first = portico_sdk::calendar::parse_date(&format!(
        "{}-01",
        b.meters.first().map_or("", |m| m.first_month.as_str())
    ));
    let labels: Vec<String> = (0..12)
        .scan(first, |m, _| {
            let this = *m;
            *m = m.map(next_month);
            Some(this.map_or_else(String::new, |d| {
                if ctx.is_czech() {
                    format!("{}/{}", d.month(), d.year())
                } else {
                    d.format("%b %Y").to_string()
                }
            }))
        })
        .collect();
    let mut chart = Chart::bar(
        ctx.tr(
            "Monthly energy by meter",
            "Energie po měsících podle měřidel",
        ),
        labels.clone(),
    )
    .unit("kWh");
    let mut table = Table::new(ctx.tr("Meters", "Měřidla"))
        .column(ctx.tr("Meter", "Měřidlo"))
        .column(ctx.tr("Carrier", "Nositel energie"))
        .numeric_column(ctx.tr("Last 12 months", "Za posledních 12 měsíců"))
        .column(ctx.tr("Baseline", "Referenční model"))
        .numeric_column("CV(RMSE)")
        .numeric_column(ctx.tr("Saved", "Ušetřeno"));
    // Energy only: water (m³) is in the table with its unit.
    let energy: Vec<&MeterYear> = b.meters.iter().filter(|m| m.carrier != "water").collect();
    for m in &energy {
        chart = chart.series(m.label.clone(), m.months.iter().map(|v| v.round()));
    }
    for m in &b.meters {
        let unit = if m.carrier == "water" { "m³" } else { "kWh" };
        table = table.row([
            if m.sub {
                format!("{} ({})", m.label, ctx.tr("sub-meter", "podružné"))
            } else {
                m.label.clone()
            },
            Carrier::parse(&m.carrier)
                .map_or_else(|| m.carrier.clone(), |c| c.name(ctx).to_owned()),
            format!("{} {unit}", num(ctx, m.months.iter().sum(), 0)),
            if m.accepted {
                ctx.tr("accepted", "přijat")
            } else {
                ctx.tr("none", "žádný")
            }
            .to_owned(),
            m.cvrmse
                .map_or_else(|| "–".into(), |c| format!("{} %", num(ctx, c * 100.0, 1))),
            m.saved.map_or_else(|| "–".into(), |s| num(ctx, s, 0)),
        ]);
    }
    let mut months = Table::new(ctx.tr(
        "Monthly energy by meter (kWh)",
        "Energie po měsících podle měřidel (kWh)",
    ))
    .column(ctx.tr("Month", "Měsíc"));
    for m in &energy {
        months = months.numeric_column(m.label.clone());
    }
    for (i, label) in labels.iter().enumerate() {
        let mut row = vec![label.clone()];
        row.extend(
            energy
                .iter()
                .map(|m| num(ctx, m.months.get(i).copied().unwrap_or(0.0), 0)),
        );
        months = months.row(row);
    }
    Ok(View::new(format!("{} – {}", b.name, b.org_name))
        .key_values([
            (
                ctx.tr("Organization", "Organizace").to_owned(),
                b.org_name.clone(),
            ),
            (ctx.tr("Use", "Účel").to_owned(), use_name(ctx, &b.usage)),
            (
                ctx.tr("Floor area", "Podlahová plocha").to_owned(),
                format!("{} m²", num(ctx, b.area_m2, 0)),
            ),
            (
                format!(
                    "{} {}",
                    ctx.tr("Energy", "Energie"),
                    labels
                        .first()
                        .zip(labels.last())
                        .map_or_else(String::new, |(a, z)| format!("{a} – {z}"))
                ),
                format!("{} MWh", num(ctx, b.used / 1000.0, 1)),
            ),
            ("kWh/m²".to_owned(), num(ctx, b.intensity, 1)),
            (
                ctx.tr(
                    "Saved, weather-normalised",
                    "Ušetřeno po normalizaci na počasí",
                )
                .to_owned(),
                if b.meters.iter().any(|m| m.accepted && !m.sub) {
                    format!("{} kWh", num(ctx, b.saved, 0))
                } else {
                    ctx.tr("– (no baseline yet)", "– (zatím bez referenčního modelu)")
                        .to_owned()
                },
            ),
        ])
        .table(table)
        .chart(chart)
        .table(months))
}
