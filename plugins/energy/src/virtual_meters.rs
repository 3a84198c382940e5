//! Virtual meters: a meter whose use a day is the sum and difference of
//! other meters' (a building's heating as the gas main less the kitchen's
//! sub-meter; a site's supply points summed). Its days are written
//! whenever a part's are, from the days every part has a use for; a day
//! any part only estimated is estimated.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use portico_sdk::Result;
use portico_sdk::records::Filters;

use crate::model::{METERS, Meter, Part, Series, write_marked};

/// What is wrong with a line of parts, in both languages.
pub struct Wrong {
    pub en: String,
    pub cs: String,
}

/// Reads the parts a line each: a sign (`+`, or `-`, `−`, `–` for minus;
/// none is `+`) and
/// a meter's code. Each must be a meter of `carrier`, not virtual itself,
/// and named once.
pub fn parse(text: &str, carrier: &str) -> Result<std::result::Result<Vec<Part>, Wrong>> {
    let mut parts: Vec<Part> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let n = i + 1;
        let (sign, code) = match line.chars().next() {
            Some('+') => (1, &line[1..]),
            Some('-') => (-1, &line[1..]),
            Some(c @ ('−' | '–')) => (-1, &line[c.len_utf8()..]),
            _ => (1, line),
        };
        let code = code.trim();
        let wrong = |en: String, cs: String| Ok(Err(Wrong { en, cs }));
        let Some(meter) = METERS.find_by::<Meter>("label", code)?.map(|d| d.data) else {
            return wrong(
                format!("line {n}: there is no meter {code}"),
                format!("řádek {n}: měřidlo {code} neexistuje"),
            );
        };
        if meter.is_virtual() {
            return wrong(
                format!("line {n}: {code} is virtual itself; name the meters it is made of"),
                format!("řádek {n}: {code} je samo virtuální; uveďte měřidla, z nichž se skládá"),
            );
        }
        if meter.carrier != carrier {
            return wrong(
                format!("line {n}: {code} measures another carrier"),
                format!("řádek {n}: {code} měří jiný nositel energie"),
            );
        }
        if parts.iter().any(|p| p.meter == meter.label) {
            return wrong(
                format!("line {n}: {code} is named twice"),
                format!("řádek {n}: {code} je uvedeno dvakrát"),
            );
        }
        parts.push(Part {
            meter: meter.label,
            sign,
        });
    }
    if parts.is_empty() {
        return Ok(Err(Wrong {
            en: "Name at least one meter, a line each: + or − and its code.".into(),
            cs: "Uveďte alespoň jedno měřidlo, na každý řádek + nebo − a jeho označení.".into(),
        }));
    }
    Ok(Ok(parts))
}

/// The parts as a line each, as the form takes them.
pub fn lines(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| format!("{} {}", if p.sign < 0 { "−" } else { "+" }, p.meter))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes the virtual meter's `days` from its parts' (each of them that
/// every part has a use for). Returns the days written as metered, and
/// how many were written in all.
pub fn compute(
    meter: &Meter,
    days: impl IntoIterator<Item = NaiveDate>,
) -> Result<(Vec<NaiveDate>, usize)> {
    let parts = meter
        .parts
        .iter()
        .map(|p| Ok((f64::from(p.sign), Series::of(&p.meter)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut written = BTreeMap::new();
    'day: for day in days {
        let (mut sum, mut est) = (0.0, false);
        for (sign, series) in &parts {
            let Some(v) = series.get(day) else {
                continue 'day;
            };
            sum += sign * v;
            est |= series.estimated(day);
        }
        written.insert(day, (sum, est));
    }
    write_marked(meter, &written)?;
    let metered = written
        .iter()
        .filter(|(_, (_, est))| !est)
        .map(|(d, _)| *d)
        .collect();
    Ok((metered, written.len()))
}

/// Every day of the virtual meter, from the first day a part has to the
/// last. Returns how many days it has.
pub fn compute_all(meter: &Meter) -> Result<usize> {
    let (mut first, mut last) = (None::<NaiveDate>, None::<NaiveDate>);
    for p in &meter.parts {
        let s = Series::of(&p.meter)?;
        first = s.first().into_iter().chain(first).min();
        last = s.last().into_iter().chain(last).max();
    }
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(0);
    };
    let days = (0..=(last - first).num_days()).map(|i| first + Duration::days(i));
    Ok(compute(meter, days)?.1)
}

/// After a meter's `days` were written: each virtual meter it is a part
/// of follows, and its days are checked against its baseline.
pub fn follow(part: &Meter, days: &[NaiveDate]) -> Result<()> {
    if part.is_virtual() || days.is_empty() {
        return Ok(());
    }
    let virtuals = METERS
        .find()
        .eq("role", "virtual")
        .fetch_all::<Meter>(1_000)?;
    for v in virtuals {
        if v.data.parts.iter().any(|p| p.meter == part.label) {
            let (written, _) = compute(&v.data, days.iter().copied())?;
            crate::alerts::check(&v.data, &written)?;
        }
    }
    Ok(())
}
