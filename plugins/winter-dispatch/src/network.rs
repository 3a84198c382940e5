//! The network: sections imported from GeoJSON, the tiles that find the
//! section a vehicle is on, and the matching itself.
//!
//! The network is cut into tiles of 0.05° of latitude by 0.075° of
//! longitude (about 5.5 by 5.4 km in Czechia). A tile's document holds the
//! stretches of every section that come within 200 m of it (the most the
//! matching distance may be set to), so a position is matched by reading
//! one document: the tile it lies in. Sections keep what lists show; their
//! geometry is a shape of its own.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use geo::{Distance, Euclidean, Haversine, Length, LineString, Point, Simplify};
use portico_sdk::records::Document;
use portico_sdk::{Result, events};
use serde::{Deserialize, Serialize};

use crate::model::{
    MOST_SECTIONS, Piece, ROUTES, Route, SECTIONS, SHAPES, Section, Shape, TILES, Tile, Treatment,
    all_sections,
};

/// The most sections one file brings: what one call stores in time.
pub const MOST_A_FILE: usize = 5_000;

const TILE_LAT: f64 = 0.05;
const TILE_LON: f64 = 0.075;
/// How far around a tile its sections reach: the largest matching distance.
const TILE_PAD_M: f64 = 200.0;
const M_PER_DEG_LAT: f64 = 110_574.0;
const M_PER_DEG_LON: f64 = 111_320.0;

/// The tile a position lies in.
pub fn tile_of(lat: f64, lon: f64) -> (i32, i32) {
    (
        (lon / TILE_LON).floor() as i32,
        (lat / TILE_LAT).floor() as i32,
    )
}

pub fn tile_key((x, y): (i32, i32)) -> String {
    format!("{x}:{y}")
}

/// A section read from the file, before it is stored.
pub struct Imported {
    pub section: Section,
    pub lines: Vec<Vec<[f64; 2]>>,
    pub route_name: String,
}

/// Why a file was refused, in both languages.
pub struct Refusal {
    pub en: String,
    pub cs: String,
}

fn refuse(en: String, cs: String) -> Refusal {
    Refusal { en, cs }
}

/// Reads a network from a GeoJSON FeatureCollection: one feature per
/// section, a LineString or MultiLineString in WGS 84, with the
/// properties `code`, `road`, `name`, `owner`, `priority` (I, II, III or
/// 1–3; 0 or `none` for a section not maintained), `treatment`
/// (`chemical`, `inert`, `plough`) and optionally `route` and
/// `route_name` and `orp` (the `CISORP` code). The first problem is named by the feature's number and
/// code; nothing is stored then.
pub fn parse(text: &str) -> std::result::Result<Vec<Imported>, Refusal> {
    let geojson: geojson::GeoJson = text.parse().map_err(|e| {
        refuse(
            format!("This is not GeoJSON: {e}"),
            format!("Nejde o GeoJSON (podrobnosti: {e})."),
        )
    })?;
    let geojson::GeoJson::FeatureCollection(collection) = geojson else {
        return Err(refuse(
            "Give a FeatureCollection: one feature per road section.".into(),
            "Zadejte FeatureCollection: jeden prvek (feature) na úsek silnice.".into(),
        ));
    };
    let n = collection.features.len();
    if n == 0 {
        return Err(refuse(
            "The file holds no section.".into(),
            "Soubor neobsahuje žádný úsek.".into(),
        ));
    }
    if n > MOST_A_FILE {
        return Err(refuse(
            format!(
                "The file holds {n} sections; import at most 5,000 at a time: split the network, e.g. by ORP or by route."
            ),
            format!(
                "Soubor obsahuje {n} úseků; najednou lze importovat nejvýše 5 000: rozdělte síť, např. podle ORP nebo okruhů."
            ),
        ));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(collection.features.len());
    for (i, feature) in collection.features.iter().enumerate() {
        let n = i + 1;
        let prop = |key: &str| -> Option<String> {
            match feature.property(key)? {
                serde_json::Value::String(s) => Some(s.trim().to_owned()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
            .filter(|v| !v.is_empty())
        };
        let Some(code) = prop("code") else {
            return Err(refuse(
                format!("Feature {n} has no `code` in its properties."),
                format!("Prvek {n} nemá ve vlastnostech `code` (kód úseku)."),
            ));
        };
        if code.chars().count() > 40 {
            return Err(refuse(
                format!("Feature {n}: the code `{code}` is longer than 40 characters."),
                format!("Prvek {n}: kód `{code}` je delší než 40 znaků."),
            ));
        }
        if let Some(earlier) = seen.insert(code.clone(), n) {
            return Err(refuse(
                format!("Feature {n}: the code `{code}` is also feature {earlier}'s."),
                format!("Prvek {n}: kód `{code}` má už prvek {earlier}."),
            ));
        }
        let named = |en: &str, cs: &str| {
            refuse(
                format!("Feature {n} ({code}): {en}"),
                format!("Prvek {n} ({code}): {cs}"),
            )
        };
        let priority = match prop("priority")
            .as_deref()
            .map(str::to_uppercase)
            .as_deref()
        {
            Some("I" | "1") => 1,
            Some("II" | "2") => 2,
            Some("III" | "3") => 3,
            Some("0" | "NONE" | "NEUDRŽOVANÝ" | "NEUDRZOVANY") => 0,
            _ => {
                return Err(named(
                    "`priority` must be I, II or III (or 1–3), or 0 for a section not maintained.",
                    "`priority` musí být I, II nebo III (či 1–3), nebo 0 pro neudržovaný úsek.",
                ));
            }
        };
        let treatment = match prop("treatment") {
            None if priority == 0 => Treatment::Plough,
            None => {
                return Err(named(
                    "`treatment` is missing: chemical, inert or plough.",
                    "chybí `treatment`: chemical, inert nebo plough.",
                ));
            }
            Some(t) => Treatment::parse(&t).ok_or_else(|| {
                named(
                    &format!("`treatment` `{t}` is not chemical, inert or plough."),
                    &format!("`treatment` `{t}` není chemical, inert ani plough."),
                )
            })?,
        };
        let lines = match feature.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::Value::LineString(line)) => vec![line.clone()],
            Some(geojson::Value::MultiLineString(lines)) => lines.clone(),
            _ => {
                return Err(named(
                    "the geometry is not a LineString or a MultiLineString.",
                    "geometrie není LineString ani MultiLineString.",
                ));
            }
        };
        let mut kept = Vec::new();
        for line in &lines {
            let points: Option<Vec<[f64; 2]>> = line
                .iter()
                .map(|p| match p.as_slice() {
                    [lon, lat, ..]
                        if (-180.0..=180.0).contains(lon) && (-90.0..=90.0).contains(lat) =>
                    {
                        Some([*lon, *lat])
                    }
                    _ => None,
                })
                .collect();
            match points {
                Some(points) if points.len() >= 2 && points.len() <= 5_000 => kept.push(points),
                _ => {
                    return Err(named(
                        "a line needs 2 to 5,000 points of longitude and latitude in degrees (WGS 84).",
                        "čára musí mít 2 až 5 000 bodů (zeměpisná délka a šířka ve stupních, WGS 84).",
                    ));
                }
            }
        }
        let length_m = length(&kept);
        let text = |key: &str, most: usize| prop(key).map(|v| v.chars().take(most).collect());
        let road: String = text("road", 60).unwrap_or_default();
        let name: String = text("name", 200).unwrap_or_default();
        let route: String = text("route", 40).unwrap_or_default();
        out.push(Imported {
            section: Section {
                code,
                road,
                name,
                owner: text("owner", 200).unwrap_or_default(),
                priority,
                treatment,
                route,
                orp: text("orp", 10).unwrap_or_default(),
                length_m,
                middle: kept.first().and_then(|l| l.get(l.len() / 2)).copied(),
                outline: outline(&kept),
                bbox: bbox(&kept),
                last_treated: None,
            },
            lines: kept,
            route_name: text("route_name", 200).unwrap_or_default(),
        });
    }
    Ok(out)
}

fn line_string(line: &[[f64; 2]]) -> LineString<f64> {
    line.iter().map(|p| (p[0], p[1])).collect()
}

/// A section's length in metres, along the earth's surface.
pub fn length(lines: &[Vec<[f64; 2]>]) -> f64 {
    lines
        .iter()
        .map(|l| Haversine.length(&line_string(l)))
        .sum()
}

/// What an import did.
pub struct Imports {
    pub added: usize,
    pub changed: usize,
    pub routes: usize,
}

/// `lines` simplified (Ramer–Douglas–Peucker) to within about 20 m, then
/// to at most 64 points a line, coordinates to a micro-degree.
fn outline(lines: &[Vec<[f64; 2]>]) -> Vec<Vec<[f64; 2]>> {
    lines
        .iter()
        .map(|l| {
            let simple: Vec<[f64; 2]> = line_string(l)
                .simplify(0.0002)
                .points()
                .map(|p| [micro(p.x()), micro(p.y())])
                .collect();
            let step = simple.len().div_ceil(64).max(1);
            let last = simple.last().copied();
            let mut kept: Vec<[f64; 2]> = simple.into_iter().step_by(step).collect();
            if kept.last().copied() != last
                && let Some(end) = last
            {
                kept.push(end);
            }
            kept
        })
        .collect()
}

/// The box that holds `lines`: west, south, east, north.
fn bbox(lines: &[Vec<[f64; 2]>]) -> Option<[f64; 4]> {
    let mut points = lines.iter().flatten();
    let first = points.next()?;
    Some(
        points.fold([first[0], first[1], first[0], first[1]], |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        }),
    )
}

/// A coordinate kept to a micro-degree (about 10 cm).
fn micro(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Stores the sections read from a file: a section whose code is known
/// is replaced (when it was last treated kept), a new one added; sections
/// the file does not name stay as they are. The tiles the file reaches
/// are built again (all of them when they were not in step with the
/// network), so that a file costs what it holds, not what the network does.
pub fn store(imported: Vec<Imported>) -> std::result::Result<Imports, StoreError> {
    let existing: HashMap<String, Document<Section>> = all_sections()?
        .into_iter()
        .map(|d| (d.data.code.clone(), d))
        .collect();
    let added = imported
        .iter()
        .filter(|i| !existing.contains_key(&i.section.code))
        .count();
    if existing.len() + added > MOST_SECTIONS {
        return Err(StoreError::TooMany(existing.len()));
    }
    let shapes: HashMap<String, Document<Shape>> = SHAPES
        .find()
        .fetch_all::<Shape>(MOST_SECTIONS)?
        .into_iter()
        .map(|d| (d.data.code.clone(), d))
        .collect();
    let known_routes: HashMap<String, Document<Route>> = ROUTES
        .find()
        .fetch_all::<Route>(2_000)?
        .into_iter()
        .map(|d| (d.data.code.clone(), d))
        .collect();
    // Whether the tiles are those of the network as it is: then only the
    // tiles this file reaches are built again.
    let in_step = shapes.is_empty() || tiles_in_step()?;
    let mut written: Vec<Shape> = Vec::with_capacity(imported.len());
    let mut replaced: Vec<Shape> = Vec::new();
    let mut new_routes: BTreeMap<String, String> = BTreeMap::new();
    let mut done = Imports {
        added,
        changed: imported.len() - added,
        routes: 0,
    };
    for Imported {
        mut section,
        lines,
        route_name,
    } in imported
    {
        if !section.route.is_empty() {
            let name = new_routes.entry(section.route.clone()).or_default();
            if name.is_empty() {
                *name = route_name;
            }
        }
        let lines: Vec<Vec<[f64; 2]>> = lines
            .into_iter()
            .map(|l| l.into_iter().map(|p| [micro(p[0]), micro(p[1])]).collect())
            .collect();
        let shape = Shape {
            net: 1,
            code: section.code.clone(),
            checksum: lines.iter().flatten().map(|p| p[0] + p[1]).sum(),
            lines,
        };
        match shapes.get(&section.code) {
            Some(doc) => {
                SHAPES.update(&doc.id, doc.version, &shape)?;
                replaced.push(doc.data.clone());
            }
            None => {
                SHAPES.insert(&shape)?;
            }
        }
        written.push(shape);
        match existing.get(&section.code) {
            Some(doc) => {
                section.last_treated = doc.data.last_treated;
                SECTIONS.update(&doc.id, doc.version, &section)?;
            }
            None => {
                SECTIONS.insert(&section)?;
            }
        }
    }
    for (code, name) in new_routes {
        let name = if name.is_empty() { code.clone() } else { name };
        match known_routes.get(&code) {
            Some(doc) if doc.data.name == name || name == code => {}
            Some(doc) => {
                ROUTES.update(&doc.id, doc.version, &Route { code, name })?;
                done.routes += 1;
            }
            None => {
                ROUTES.insert(&Route { code, name })?;
                done.routes += 1;
            }
        }
    }
    // Out of step (sections came in another way), the file's tiles are
    // built now and the rest by the `tiles` job, a page of shapes a call.
    update_tiles(&written, &replaced, in_step)?;
    Ok(done)
}

/// Why sections were not stored.
pub enum StoreError {
    /// The network would grow past its most; it holds this many.
    TooMany(usize),
    Host(portico_sdk::Error),
}

impl From<portico_sdk::Error> for StoreError {
    fn from(e: portico_sdk::Error) -> Self {
        StoreError::Host(e)
    }
}

/// Lines of `[longitude, latitude]`.
type Lines = Vec<Vec<[f64; 2]>>;

/// The tiles a stretch from `a` to `b` comes within reach of.
fn tiles_near(a: [f64; 2], b: [f64; 2]) -> impl Iterator<Item = (i32, i32)> {
    let lat = (a[1] + b[1]) / 2.0;
    let pad_lat = TILE_PAD_M / M_PER_DEG_LAT;
    let pad_lon = TILE_PAD_M / (M_PER_DEG_LON * lat.to_radians().cos().max(0.1));
    let (x0, y0) = tile_of(a[1].min(b[1]) - pad_lat, a[0].min(b[0]) - pad_lon);
    let (x1, y1) = tile_of(a[1].max(b[1]) + pad_lat, a[0].max(b[0]) + pad_lon);
    (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
}

/// The topic of the steps that build every tile again, one call each.
pub const REBUILD: &str = "winter-dispatch.tiles";
/// The tiles cleared, or the shapes added, in one step.
const A_STEP: u32 = 300;
/// How long a rebuild may take before the job starts another.
const REBUILD_STALE_S: i64 = 1_800;

/// Where a rebuild of every tile is: the network it builds (its
/// fingerprint), and whether the old tiles are cleared and which shapes
/// are added.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rebuild {
    pub fingerprint: String,
    pub cleared: bool,
    pub cursor: Option<String>,
}

/// The job: when the tiles are out of step with the network (sections
/// loaded with `portico records import`, or imported while out of step),
/// starts building them all again, a step a call, unless a rebuild of
/// this network is under way.
pub fn keep_tiles() -> Result<()> {
    let now = fingerprint()?;
    let meta = tile(META)?;
    if let Some(m) = &meta {
        let running =
            m.data.building == now && crate::model::now() - m.data.since < REBUILD_STALE_S;
        if m.data.fingerprint == now || running {
            return Ok(());
        }
    }
    mark(
        meta,
        Tile {
            tile: META.to_owned(),
            pieces: Vec::new(),
            fingerprint: String::new(),
            building: now.clone(),
            since: crate::model::now(),
        },
    )?;
    events::publish(
        REBUILD,
        &Rebuild {
            fingerprint: now,
            cleared: false,
            cursor: None,
        },
    )
}

/// One step of a rebuild: clears a page of the old tiles, or adds a page
/// of shapes to the new ones (each tile keeps a section's stretches once,
/// so a step delivered twice does no harm); the last records the network
/// the tiles are in step with. A step of a rebuild a newer one replaced
/// does nothing.
pub fn rebuild_step(step: &Rebuild) -> Result<()> {
    let Some(meta) = tile(META)? else {
        return Ok(());
    };
    if meta.data.building != step.fingerprint {
        return Ok(());
    }
    if !step.cleared {
        let page = TILES.find().limit(A_STEP + 1).fetch::<Tile>()?.documents;
        let old: Vec<_> = page.into_iter().filter(|d| d.data.tile != META).collect();
        let more = old.len() >= A_STEP as usize;
        for d in old.into_iter().take(A_STEP as usize) {
            TILES.delete(&d.id, d.version)?;
        }
        return events::publish(
            REBUILD,
            &Rebuild {
                cleared: !more,
                ..step.clone()
            },
        );
    }
    let page = SHAPES
        .find()
        .limit(A_STEP)
        .after(step.cursor.clone())
        .fetch::<Shape>()?;
    let shapes: Vec<Shape> = page.documents.into_iter().map(|d| d.data).collect();
    update_tiles(&shapes, &[], false)?;
    match page.next_cursor {
        Some(next) => events::publish(
            REBUILD,
            &Rebuild {
                cursor: Some(next),
                ..step.clone()
            },
        ),
        None => mark(
            Some(meta),
            Tile {
                tile: META.to_owned(),
                fingerprint: step.fingerprint.clone(),
                ..Tile::default()
            },
        ),
    }
}

/// Writes the meta tile.
fn mark(known: Option<Document<Tile>>, meta: Tile) -> Result<()> {
    match known {
        Some(d) => TILES.update(&d.id, d.version, &meta).map(drop),
        None => TILES.insert(&meta).map(drop),
    }
}

/// The tiles `shapes` reach, each with the stretches of each shape.
fn cut(shapes: &[Shape]) -> BTreeMap<(i32, i32), BTreeMap<String, Lines>> {
    let mut tiles: BTreeMap<(i32, i32), BTreeMap<String, Lines>> = BTreeMap::new();
    for shape in shapes {
        for line in &shape.lines {
            for pair in line.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                for t in tiles_near(a, b) {
                    let runs = tiles
                        .entry(t)
                        .or_default()
                        .entry(shape.code.clone())
                        .or_default();
                    // A stretch that goes on from the last one extends it.
                    match runs.last_mut() {
                        Some(run) if run.last() == Some(&a) => run.push(b),
                        _ => runs.push(vec![a, b]),
                    }
                }
            }
        }
    }
    tiles
}

/// Builds again only the tiles that `written` (shapes stored now) and
/// `replaced` (what they replaced) reach, keeping the other sections'
/// stretches in them (a shape written twice is kept once). When the tiles
/// were `in_step` with the network before, records that they still are.
fn update_tiles(written: &[Shape], replaced: &[Shape], in_step: bool) -> Result<()> {
    let mut fresh = cut(written);
    let codes: HashSet<&str> = written.iter().map(|s| s.code.as_str()).collect();
    let reached: BTreeSet<(i32, i32)> = fresh
        .keys()
        .copied()
        .chain(cut(replaced).into_keys())
        .collect();
    for key in reached {
        let known = tile(&tile_key(key))?;
        let mut pieces: BTreeMap<String, Lines> = known
            .as_ref()
            .map(|d| {
                d.data
                    .pieces
                    .iter()
                    .filter(|p| !codes.contains(p.c.as_str()))
                    .map(|p| (p.c.clone(), p.l.clone()))
                    .collect()
            })
            .unwrap_or_default();
        pieces.extend(fresh.remove(&key).unwrap_or_default());
        let tile = Tile {
            tile: tile_key(key),
            pieces: pieces.into_iter().map(|(c, l)| Piece { c, l }).collect(),
            ..Tile::default()
        };
        match (known, tile.pieces.is_empty()) {
            (Some(d), true) => TILES.delete(&d.id, d.version)?,
            (Some(d), false) => TILES.update(&d.id, d.version, &tile).map(drop)?,
            (None, true) => {}
            (None, false) => TILES.insert(&tile).map(drop)?,
        }
    }
    if !in_step {
        return Ok(());
    }
    mark(
        tile(META)?,
        Tile {
            tile: META.to_owned(),
            fingerprint: fingerprint()?,
            ..Tile::default()
        },
    )
}

/// The tile `key` (`x:y`, or `meta`), if it is kept.
fn tile(key: &str) -> Result<Option<Document<Tile>>> {
    TILES.find_by::<Tile>("tile", key)
}

/// Whether the tiles were built from the network as it is now.
fn tiles_in_step() -> Result<bool> {
    let Some(meta) = tile(META)? else {
        return Ok(false);
    };
    Ok(meta.data.fingerprint == fingerprint()?)
}

/// The tile that says which network the tiles were built from.
const META: &str = "meta";

/// The shapes the tiles were built from: how many, and the sum of their
/// checksums.
fn fingerprint() -> Result<String> {
    let (mut n, mut sum) = (0, 0.0);
    for g in SHAPES.count_by("net").sum("checksum").fetch()? {
        n += g.count;
        sum += g.sum.unwrap_or(0.0);
    }
    Ok(format!("{n}:{sum:.6}"))
}

/// Finds sections by their position: each position's tile read once.
#[derive(Default)]
pub struct Matcher {
    tiles: HashMap<(i32, i32), Vec<Piece>>,
}

impl Matcher {
    /// The code of the section nearest to the position within `within`
    /// metres.
    pub fn nearest(&mut self, lat: f64, lon: f64, within: f64) -> Result<Option<String>> {
        let key = tile_of(lat, lon);
        let pieces = match self.tiles.entry(key) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => new.insert(
                tile(&tile_key(key))?
                    .map(|d| d.data.pieces)
                    .unwrap_or_default(),
            ),
        };
        // Metres around the position: near enough to flat at a few hundred metres.
        let kx = M_PER_DEG_LON * lat.to_radians().cos();
        let origin = Point::new(0.0, 0.0);
        let mut best: Option<(&Piece, f64)> = None;
        for piece in pieces.iter() {
            for line in &piece.l {
                let local: LineString<f64> = line
                    .iter()
                    .map(|p| ((p[0] - lon) * kx, (p[1] - lat) * M_PER_DEG_LAT))
                    .collect();
                let d = Euclidean.distance(&origin, &local);
                if d <= within && best.is_none_or(|(_, b)| d < b) {
                    best = Some((piece, d));
                }
            }
        }
        Ok(best.map(|(p, _)| p.c.clone()))
    }
}
