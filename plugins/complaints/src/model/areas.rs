//! Areas of the municipality (city districts, the road administration's
//! sections…), each with the unit that deals with what is reported inside
//! it. An administrator imports them as GeoJSON (polygons, as a GIS exports
//! them); a report with a position inside one goes to its unit, and the
//! inbox filters by area.

use geo::Contains;
use portico_sdk::Result;
use portico_sdk::records::Collection;
use serde::{Deserialize, Serialize};

/// The areas, in the order they were imported (the first that holds a
/// position takes it).
pub const AREAS: Collection = Collection::new("areas");

/// The most areas one import may hold.
pub const MOST_AREAS: usize = 200;

/// An area and who deals with what is reported inside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Area {
    /// Its name, e.g. `Brno-střed`: the inbox filters by it.
    pub name: String,
    /// The unit that deals with reports inside it.
    pub unit: String,
    /// The unit's mailbox: reminders of near deadlines go there.
    #[serde(default)]
    pub email: String,
    /// Its order in the import.
    pub order: u32,
    /// Its polygons, each a list of rings (the outer ring first, then
    /// holes), each ring a list of (longitude, latitude).
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

impl Area {
    /// Whether the area holds the position.
    pub fn holds(&self, lat: f64, lon: f64) -> bool {
        let point = geo::Point::new(lon, lat);
        self.polygons.iter().any(|rings| {
            let mut rings = rings.iter().map(|r| geo::LineString::from(r.clone()));
            let Some(outer) = rings.next() else {
                return false;
            };
            geo::Polygon::new(outer, rings.collect()).contains(&point)
        })
    }
}

/// Every area, in the order they were imported.
pub fn areas() -> Result<Vec<Area>> {
    let mut all: Vec<Area> = AREAS
        .find()
        .fetch_all::<Area>(MOST_AREAS)?
        .into_iter()
        .map(|d| d.data)
        .collect();
    all.sort_by_key(|a| a.order);
    Ok(all)
}

/// The first area that holds the position.
pub fn area_at(areas: &[Area], lat: f64, lon: f64) -> Option<&Area> {
    areas.iter().find(|a| a.holds(lat, lon))
}

/// The areas of a GeoJSON FeatureCollection: each feature a Polygon or
/// MultiPolygon with the properties `name` and `unit` (and `email`). What is wrong is named by the feature's number, in English
/// or Czech.
pub fn parse(text: &str, en: bool) -> std::result::Result<Vec<Area>, String> {
    let t = |e: String, c: String| if en { e } else { c };
    let geojson: geojson::GeoJson = text.parse().map_err(|e| {
        t(
            format!("This is not GeoJSON: {e}"),
            format!("Nejde o GeoJSON: {e}"),
        )
    })?;
    let geojson::GeoJson::FeatureCollection(collection) = geojson else {
        return Err(t(
            "Give a FeatureCollection: one feature per area.".into(),
            "Zadejte FeatureCollection: jeden prvek (feature) na oblast.".into(),
        ));
    };
    if collection.features.is_empty() || collection.features.len() > MOST_AREAS {
        return Err(t(
            format!("Give from 1 to {MOST_AREAS} areas."),
            format!("Zadejte 1 až {MOST_AREAS} oblastí."),
        ));
    }
    let mut areas = Vec::new();
    for (i, feature) in collection.features.iter().enumerate() {
        let n = i + 1;
        let text = |key: &str| {
            feature
                .property(key)
                .and_then(|v| v.as_str())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(name) = text("name") else {
            return Err(t(
                format!("Area {n} has no `name` in its properties."),
                format!("Oblast {n} nemá ve vlastnostech `name`."),
            ));
        };
        let Some(unit) = text("unit") else {
            return Err(t(
                format!("Area {n} ({name}) has no `unit` in its properties."),
                format!("Oblast {n} ({name}) nemá ve vlastnostech `unit`."),
            ));
        };
        let email = text("email").unwrap_or_default();
        if !email.is_empty() && !super::is_email(&email) {
            return Err(t(
                format!("Area {n} ({name}): `{email}` is not an e-mail address."),
                format!("Oblast {n} ({name}): `{email}` není e-mailová adresa."),
            ));
        }
        let polygons = match feature.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::Value::Polygon(rings)) => vec![rings.clone()],
            Some(geojson::Value::MultiPolygon(polygons)) => polygons.clone(),
            _ => {
                return Err(t(
                    format!("Area {n} ({name}) is not a Polygon or a MultiPolygon."),
                    format!("Oblast {n} ({name}) není Polygon ani MultiPolygon."),
                ));
            }
        };
        let mut kept = Vec::new();
        for rings in polygons {
            let mut out = Vec::new();
            for ring in rings {
                let points: Option<Vec<(f64, f64)>> = ring
                    .iter()
                    .map(|p| match p.as_slice() {
                        [lon, lat, ..]
                            if (-180.0..=180.0).contains(lon) && (-90.0..=90.0).contains(lat) =>
                        {
                            Some((*lon, *lat))
                        }
                        _ => None,
                    })
                    .collect();
                match points {
                    Some(points) if points.len() >= 4 => out.push(points),
                    _ => {
                        return Err(t(
                            format!(
                                "Area {n} ({name}): a ring needs at least four positions of longitude and latitude in degrees (WGS 84)."
                            ),
                            format!(
                                "Oblast {n} ({name}): obrys potřebuje nejméně čtyři polohy ze zeměpisné délky a šířky ve stupních (WGS 84)."
                            ),
                        ));
                    }
                }
            }
            kept.push(out);
        }
        if areas.iter().any(|a: &Area| a.name == name) {
            return Err(t(
                format!("Area {n}: another area is named `{name}` already."),
                format!("Oblast {n}: jiná oblast už se jmenuje `{name}`."),
            ));
        }
        areas.push(Area {
            name,
            unit,
            email,
            order: i as u32,
            polygons: kept,
        });
    }
    Ok(areas)
}

/// Puts `areas` in place of those there were.
pub fn replace(areas: &[Area]) -> Result<()> {
    for d in AREAS.find().fetch_all::<Area>(MOST_AREAS * 2)? {
        AREAS.delete(&d.id, d.version)?;
    }
    for a in areas {
        AREAS.insert(a)?;
    }
    Ok(())
}

/// The area named `name`, if there is one.
pub fn named<'a>(areas: &'a [Area], name: &str) -> Option<&'a Area> {
    areas.iter().find(|a| a.name == name)
}
