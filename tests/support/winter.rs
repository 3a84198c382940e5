//! Road networks for the winter dispatch: sections as GeoJSON, as a road
//! administration exports them, and positions on them.

use serde_json::json;

/// One road section of a network to import.
pub struct Section {
    pub code: String,
    pub road: String,
    pub name: String,
    /// `I`, `II`, `III`, or `0` for a section not maintained.
    pub priority: &'static str,
    pub treatment: &'static str,
    pub route: String,
    /// The `CISORP` code of its ORP, or empty.
    pub orp: String,
    /// `[longitude, latitude]` in WGS 84.
    pub line: Vec<[f64; 2]>,
}

impl Section {
    /// A straight section from `from` going east by `km` kilometres, with
    /// a point every 250 m.
    pub fn east(code: &str, from: [f64; 2], km: f64) -> Section {
        let steps = ((km * 4.0).round() as usize).max(1);
        let per_km_lon = 1.0 / (111.32 * from[1].to_radians().cos());
        let line = (0..=steps)
            .map(|i| [from[0] + per_km_lon * km * i as f64 / steps as f64, from[1]])
            .collect();
        Section {
            code: code.to_owned(),
            road: code.split('-').next().unwrap_or(code).to_owned(),
            name: format!("Section {code}"),
            priority: "II",
            treatment: "chemical",
            route: String::new(),
            orp: String::new(),
            line,
        }
    }

    /// The point `km` kilometres along the section (it runs east).
    pub fn at_km(&self, km: f64) -> [f64; 2] {
        let from = self.line[0];
        let per_km_lon = 1.0 / (111.32 * from[1].to_radians().cos());
        [from[0] + per_km_lon * km, from[1]]
    }
}

/// The network as a GeoJSON FeatureCollection.
pub fn geojson(sections: &[Section]) -> String {
    let features: Vec<_> = sections
        .iter()
        .map(|s| {
            json!({
                "type": "Feature",
                "properties": {
                    "code": s.code, "road": s.road, "name": s.name, "owner": "Kraj Vysočina",
                    "priority": s.priority, "treatment": s.treatment,
                    "route": s.route, "orp": s.orp, "route_name": format!("Jihlava {}", s.route),
                },
                "geometry": { "type": "LineString", "coordinates": s.line },
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

/// A region's network of `n` sections: rows of 1.5 km sections 1 km
/// apart, around Jihlava, priorities I–III in turn, 20 sections a route.
pub fn region(n: usize) -> Vec<Section> {
    const PER_ROW: usize = 100;
    (0..n)
        .map(|i| {
            let (row, col) = (i / PER_ROW, i % PER_ROW);
            let lat = 49.0 + row as f64 * (1.0 / 110.574);
            let lon = 15.0 + col as f64 * 1.6 / (111.32 * lat.to_radians().cos());
            let mut s = Section::east(&format!("R{row:03}-{col:03}"), [lon, lat], 1.5);
            s.priority = ["I", "II", "III"][i % 3];
            s.route = format!("O{:03}", i / 20);
            s
        })
        .collect()
}
