//! The address register: the Czech address points a portal's
//! municipalities import from RÚIAN (`portico addresses import`), to find a
//! place by its address and the address nearest a place.
//!
//! The file is the one the ČÚZK publishes per municipality
//! (`<date>_OB_<code>_ADR.csv`): semicolons, a header line, Windows-1250
//! (a file re-saved as UTF-8 is read too), positions in S-JTSK (Křovák,
//! EPSG:5514, the register's positive Y and X), which the import converts
//! to WGS 84. Every line is checked before anything is written: a bad one
//! stops the import with its line number, and nothing changes. A later
//! edition of the same municipality updates the points it lists and keeps
//! those it no longer lists as retired, so what refers to one by its code
//! still finds it.

use std::collections::{BTreeMap, HashSet};

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::{PlatformError, now_micros};

pub(crate) mod address {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "addresses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: i64,
        pub municipality_code: i64,
        pub municipality: String,
        pub district: Option<String>,
        pub part: String,
        pub street: Option<String>,
        pub evidence: bool,
        pub house_number: i32,
        pub orientation_number: Option<i32>,
        pub orientation_letter: Option<String>,
        pub postcode: String,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub label: String,
        pub words: String,
        pub edition: i64,
        pub retired_in: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod edition {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "address_editions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub municipality_code: i64,
        pub municipality: String,
        pub source: String,
        pub file_sha256: String,
        pub imported_at_micros: i64,
        pub addresses: i64,
        pub added: i64,
        pub retired: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use portico_types::places::{Address, metres};

impl From<address::Model> for Address {
    fn from(m: address::Model) -> Address {
        let point = Point::from(&m);
        Address {
            code: m.code,
            number: point.number(),
            label: m.label,
            street: m.street,
            part: m.part,
            municipality: m.municipality,
            district: m.district,
            postcode: m.postcode,
            position: m.lat.zip(m.lon),
            retired: m.retired_in.is_some(),
        }
    }
}

/// An address point as a line of the file gives it.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    code: i64,
    municipality_code: i64,
    municipality: String,
    district: Option<String>,
    part: String,
    street: Option<String>,
    evidence: bool,
    house_number: i32,
    orientation_number: Option<i32>,
    orientation_letter: Option<String>,
    postcode: String,
    position: Option<(f64, f64)>,
}

impl From<&address::Model> for Point {
    fn from(m: &address::Model) -> Point {
        Point {
            code: m.code,
            municipality_code: m.municipality_code,
            municipality: m.municipality.clone(),
            district: m.district.clone(),
            part: m.part.clone(),
            street: m.street.clone(),
            evidence: m.evidence,
            house_number: m.house_number,
            orientation_number: m.orientation_number,
            orientation_letter: m.orientation_letter.clone(),
            postcode: m.postcode.clone(),
            position: m.lat.zip(m.lon),
        }
    }
}

impl Point {
    /// `567/53a`; `č. ev. 12`.
    fn number(&self) -> String {
        let mut n = if self.evidence {
            format!("č. ev. {}", self.house_number)
        } else {
            self.house_number.to_string()
        };
        if let Some(o) = self.orientation_number {
            n.push_str(&format!(
                "/{o}{}",
                self.orientation_letter.as_deref().unwrap_or("")
            ));
        }
        n
    }

    /// As the post writes it: the street (or, without streets, the part)
    /// and the number, the part where it is not the municipality's name,
    /// the postcode and the municipality.
    fn label(&self) -> String {
        let postcode = format!("{} {}", &self.postcode[..3], &self.postcode[3..]);
        match &self.street {
            Some(street) if self.part == self.municipality => format!(
                "{street} {}, {postcode} {}",
                self.number(),
                self.municipality
            ),
            Some(street) => format!(
                "{street} {}, {}, {postcode} {}",
                self.number(),
                self.part,
                self.municipality
            ),
            None => format!(
                "{} {}, {postcode} {}",
                self.part,
                self.number(),
                self.municipality
            ),
        }
    }

    /// What a search compares: the folded words of the label and the
    /// district, each after a space, so that ` w` finds a word beginning
    /// with `w`.
    fn words(&self, label: &str) -> String {
        let mut words = String::new();
        for w in portico_types::folding::words(label).chain(
            self.district
                .iter()
                .flat_map(|d| portico_types::folding::words(d)),
        ) {
            words.push(' ');
            words.push_str(&w);
        }
        words
    }

    fn model(&self, edition: i64) -> address::ActiveModel {
        let label = self.label();
        address::ActiveModel {
            code: Set(self.code),
            municipality_code: Set(self.municipality_code),
            municipality: Set(self.municipality.clone()),
            district: Set(self.district.clone()),
            part: Set(self.part.clone()),
            street: Set(self.street.clone()),
            evidence: Set(self.evidence),
            house_number: Set(self.house_number),
            orientation_number: Set(self.orientation_number),
            orientation_letter: Set(self.orientation_letter.clone()),
            postcode: Set(self.postcode.clone()),
            lat: Set(self.position.map(|p| p.0)),
            lon: Set(self.position.map(|p| p.1)),
            words: Set(self.words(&label)),
            label: Set(label),
            edition: Set(edition),
            retired_in: Set(None),
        }
    }
}

/// What is wrong with an address file, and on which line: in English and
/// in Czech.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {en}")]
pub struct AddressFileError {
    /// The line of the file, from 1 (the header).
    pub line: u64,
    /// What is wrong, in English.
    pub en: String,
    /// What is wrong, in Czech.
    pub cs: String,
}

impl AddressFileError {
    /// The whole message in `lang`.
    pub fn message(&self, lang: &str) -> String {
        if lang == "en" {
            self.to_string()
        } else {
            format!("řádek {}: {}", self.line, self.cs)
        }
    }
}

/// Why an import changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a valid address file.
    #[error(transparent)]
    File(#[from] AddressFileError),
    /// The database failed.
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> ImportError {
        ImportError::Platform(e.into())
    }
}

/// The columns the import reads, by their names in the header.
const COLUMNS: [&str; 14] = [
    "Kód ADM",
    "Kód obce",
    "Název obce",
    "Název MOMC",
    "Název části obce",
    "Název ulice",
    "Typ SO",
    "Číslo domovní",
    "Číslo orientační",
    "Znak čísla orientačního",
    "PSČ",
    "Souřadnice Y",
    "Souřadnice X",
    "Platí Od",
];

/// Where the Czech Republic is in S-JTSK's positive Y and X, with a margin.
const Y_RANGE: std::ops::RangeInclusive<f64> = 400_000.0..=950_000.0;
const X_RANGE: std::ops::RangeInclusive<f64> = 900_000.0..=1_250_000.0;

/// S-JTSK / Křovák East North (EPSG:5514) and the seven-parameter shift
/// to WGS 84 of EPSG:1623 (about a metre).
const KROVAK: &str = "+proj=krovak +lat_0=49.5 +lon_0=24.83333333333333 \
     +alpha=30.28813975277778 +k=0.9999 +x_0=0 +y_0=0 +ellps=bessel \
     +towgs84=570.8,85.7,462.8,4.998,1.587,5.261,3.56 +units=m +no_defs";
const WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";

/// Converts the register's S-JTSK (positive Y and X, as the file gives
/// them) to WGS 84 latitude and longitude in degrees.
pub struct Krovak {
    from: proj4rs::Proj,
    to: proj4rs::Proj,
}

impl Krovak {
    /// The conversion.
    pub fn new() -> Krovak {
        Krovak {
            from: proj4rs::Proj::from_proj_string(KROVAK).expect("the S-JTSK definition parses"),
            to: proj4rs::Proj::from_proj_string(WGS84).expect("the WGS 84 definition parses"),
        }
    }

    /// `(latitude, longitude)` of the register's `y` and `x`.
    pub fn to_wgs84(&self, y: f64, x: f64) -> Option<(f64, f64)> {
        // EPSG:5514 is east-north: both are the register's, negated.
        let mut p = (-y, -x, 0.0);
        proj4rs::transform::transform(&self.from, &self.to, &mut p).ok()?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        (lat.is_finite() && lon.is_finite()).then_some((lat, lon))
    }
}

impl Default for Krovak {
    fn default() -> Krovak {
        Krovak::new()
    }
}

/// The text of the file: UTF-8 when it is valid UTF-8 (a byte-order mark
/// dropped), Windows-1250 otherwise, as the ČÚZK publishes it.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => encoding_rs::WINDOWS_1250
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Every address point of the file, each line checked.
fn parse(bytes: &[u8]) -> Result<Vec<Point>, AddressFileError> {
    // Lines end in CR LF as published; the reader counts lines by LF alone.
    let text = decode(bytes).replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| AddressFileError {
        line: 1,
        en: format!("the header cannot be read: {e}"),
        cs: format!("záhlaví nelze přečíst: {e}"),
    })?;
    let width = header.len();
    let mut at = [0usize; COLUMNS.len()];
    for (i, name) in COLUMNS.iter().enumerate() {
        at[i] = header
            .iter()
            .position(|h| h.trim() == *name)
            .ok_or_else(|| AddressFileError {
                line: 1,
                en: format!(
                    "the column `{name}` is missing: this is not a RÚIAN address-points file \
                     (CSV, as the ČÚZK publishes it per municipality)"
                ),
                cs: format!(
                    "chybí sloupec `{name}`: nejde o soubor adresních míst RÚIAN \
                     (CSV, jak jej ČÚZK zveřejňuje po obcích)"
                ),
            })?;
    }
    let krovak = Krovak::new();
    let mut points = Vec::new();
    let mut seen: BTreeMap<i64, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| AddressFileError {
            line: e.position().map_or(0, |p| p.line()),
            en: format!("the line cannot be read: {e}"),
            cs: format!("řádek nelze přečíst: {e}"),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != width {
            return Err(AddressFileError {
                line,
                en: format!("{} fields where the header has {width}", record.len()),
                cs: format!("{} polí, záhlaví jich má {width}", record.len()),
            });
        }
        let field = |i: usize| record.get(at[i]).unwrap_or("").trim();
        let point = point(line, &field, &krovak)?;
        if let Some(first) = seen.insert(point.code, line) {
            return Err(AddressFileError {
                line,
                en: format!(
                    "the address point {} is on line {first} already",
                    point.code
                ),
                cs: format!("adresní místo {} už je na řádku {first}", point.code),
            });
        }
        points.push(point);
    }
    if points.is_empty() {
        return Err(AddressFileError {
            line: 1,
            en: "the file lists no address points".into(),
            cs: "soubor neobsahuje žádná adresní místa".into(),
        });
    }
    Ok(points)
}

/// One line's address point; `field(i)` is the value of `COLUMNS[i]`.
fn point<'a>(
    line: u64,
    field: &dyn Fn(usize) -> &'a str,
    krovak: &Krovak,
) -> Result<Point, AddressFileError> {
    let wrong = |i: usize, en: &str, cs: &str| AddressFileError {
        line,
        en: format!("`{}` {en}: `{}`", COLUMNS[i], field(i)),
        cs: format!("`{}` {cs}: `{}`", COLUMNS[i], field(i)),
    };
    let whole = |i: usize| -> Result<i64, AddressFileError> {
        field(i)
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                wrong(
                    i,
                    "is not a positive whole number",
                    "není kladné celé číslo",
                )
            })
    };
    let required = |i: usize| -> Result<String, AddressFileError> {
        let v = field(i);
        if v.is_empty() {
            Err(wrong(i, "is empty", "je prázdné"))
        } else {
            Ok(v.to_owned())
        }
    };
    let optional = |i: usize| Some(field(i).to_owned()).filter(|v| !v.is_empty());
    let evidence = match field(6) {
        "č.p." => false,
        "č.ev." => true,
        _ => {
            return Err(wrong(
                6,
                "must be `č.p.` or `č.ev.`",
                "musí být `č.p.` nebo `č.ev.`",
            ));
        }
    };
    let number = |i: usize| -> Result<i32, AddressFileError> {
        i32::try_from(whole(i)?).map_err(|_| wrong(i, "is too large", "je příliš velké"))
    };
    let orientation_number = if field(8).is_empty() {
        None
    } else {
        Some(number(8)?)
    };
    let orientation_letter = optional(9);
    if orientation_letter
        .as_deref()
        .is_some_and(|l| l.chars().count() != 1 || !l.chars().all(char::is_alphabetic))
        || (orientation_letter.is_some() && orientation_number.is_none())
    {
        return Err(wrong(
            9,
            "must be one letter after an orientation number",
            "musí být jedno písmeno za číslem orientačním",
        ));
    }
    let postcode = field(10);
    if postcode.len() != 5 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong(10, "must be five digits", "musí mít pět číslic"));
    }
    let position = match (field(11), field(12)) {
        ("", "") => None,
        (y, x) => {
            let coordinate = |i: usize, v: &str, range: &std::ops::RangeInclusive<f64>| {
                v.replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .map(f64::abs)
                    .filter(|c| range.contains(c))
                    .ok_or_else(|| {
                        wrong(
                            i,
                            "is not an S-JTSK coordinate in the Czech Republic",
                            "není souřadnice S-JTSK v České republice",
                        )
                    })
            };
            let (y, x) = (coordinate(11, y, &Y_RANGE)?, coordinate(12, x, &X_RANGE)?);
            Some(krovak.to_wgs84(y, x).ok_or_else(|| {
                wrong(
                    11,
                    "cannot be converted to WGS 84",
                    "nelze převést do WGS 84",
                )
            })?)
        }
    };
    Ok(Point {
        code: whole(0)?,
        municipality_code: whole(1)?,
        municipality: required(2)?,
        district: optional(3),
        part: required(4)?,
        street: optional(5),
        evidence,
        house_number: number(7)?,
        orientation_number,
        orientation_letter,
        postcode: postcode.to_owned(),
        position,
    })
}

/// What one import did to one municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edition {
    /// The edition's number, counted across the register.
    pub id: i64,
    /// The municipality's code (kód obce).
    pub municipality_code: i64,
    /// Its name.
    pub municipality: String,
    /// Address points the file lists.
    pub addresses: u64,
    /// Of them, those the register did not have.
    pub added: u64,
    /// Points an earlier edition listed and this one no longer does: kept, retired.
    pub retired: u64,
    /// The same file was the latest edition already: nothing changed.
    pub unchanged: bool,
}

/// Rows written per statement.
const ROWS_PER_INSERT: usize = 500;

/// Imports an address file (`source` names it in the editions), one
/// edition per municipality it lists, in one transaction: on any error
/// nothing changes.
pub async fn import(
    db: &DatabaseConnection,
    source: &str,
    bytes: &[u8],
) -> Result<Vec<Edition>, ImportError> {
    let points = parse(bytes)?;
    let sha = hex::encode(Sha256::digest(bytes));
    let mut by_municipality: BTreeMap<i64, Vec<Point>> = BTreeMap::new();
    for p in points {
        by_municipality
            .entry(p.municipality_code)
            .or_default()
            .push(p);
    }
    let txn = db.begin().await?;
    let mut editions = Vec::new();
    for (code, points) in by_municipality {
        editions.push(import_municipality(&txn, source, &sha, code, &points).await?);
    }
    txn.commit().await?;
    Ok(editions)
}

async fn import_municipality(
    txn: &impl ConnectionTrait,
    source: &str,
    sha: &str,
    code: i64,
    points: &[Point],
) -> Result<Edition, ImportError> {
    let municipality = points[0].municipality.clone();
    let latest = edition::Entity::find()
        .filter(edition::Column::MunicipalityCode.eq(code))
        .order_by_desc(edition::Column::Id)
        .one(txn)
        .await?;
    if let Some(latest) = latest.filter(|e| e.file_sha256 == sha) {
        return Ok(Edition {
            id: latest.id,
            municipality_code: code,
            municipality,
            addresses: points.len() as u64,
            added: 0,
            retired: 0,
            unchanged: true,
        });
    }
    let known: HashSet<i64> = address::Entity::find()
        .select_only()
        .column(address::Column::Code)
        .filter(address::Column::MunicipalityCode.eq(code))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let added = points.iter().filter(|p| !known.contains(&p.code)).count() as u64;
    let id = edition::Entity::insert(edition::ActiveModel {
        municipality_code: Set(code),
        municipality: Set(municipality.clone()),
        source: Set(source.chars().take(255).collect()),
        file_sha256: Set(sha.to_owned()),
        imported_at_micros: Set(now_micros()),
        addresses: Set(points.len() as i64),
        added: Set(added as i64),
        retired: Set(0),
        ..Default::default()
    })
    .exec(txn)
    .await?
    .last_insert_id;
    let update = OnConflict::column(address::Column::Code)
        .update_columns([
            address::Column::MunicipalityCode,
            address::Column::Municipality,
            address::Column::District,
            address::Column::Part,
            address::Column::Street,
            address::Column::Evidence,
            address::Column::HouseNumber,
            address::Column::OrientationNumber,
            address::Column::OrientationLetter,
            address::Column::Postcode,
            address::Column::Lat,
            address::Column::Lon,
            address::Column::Label,
            address::Column::Words,
            address::Column::Edition,
            address::Column::RetiredIn,
        ])
        .to_owned();
    for chunk in points.chunks(ROWS_PER_INSERT) {
        address::Entity::insert_many(chunk.iter().map(|p| p.model(id)))
            .on_conflict(update.clone())
            .exec_without_returning(txn)
            .await?;
    }
    let retired = address::Entity::update_many()
        .col_expr(
            address::Column::RetiredIn,
            sea_orm::sea_query::Expr::value(id),
        )
        .filter(address::Column::MunicipalityCode.eq(code))
        .filter(address::Column::Edition.ne(id))
        .filter(address::Column::RetiredIn.is_null())
        .exec(txn)
        .await?
        .rows_affected;
    edition::Entity::update_many()
        .col_expr(
            edition::Column::Retired,
            sea_orm::sea_query::Expr::value(retired as i64),
        )
        .filter(edition::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(Edition {
        id,
        municipality_code: code,
        municipality,
        addresses: points.len() as u64,
        added,
        retired,
        unchanged: false,
    })
}

/// How many current addresses a search looks at before it ranks them.
const SEARCH_CANDIDATES: u64 = 200;

/// The current addresses whose words begin with every word of `query`
/// (folded: `udolni 53` finds `Údolní 567/53`), best first: those where a
/// word of the query is a whole word of the address before those where it
/// only begins one; at most `limit`.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &str,
    limit: usize,
) -> Result<Vec<Address>, PlatformError> {
    let words: Vec<String> = portico_types::folding::words(query).take(8).collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut find = address::Entity::find().filter(address::Column::RetiredIn.is_null());
    for w in &words {
        find = find.filter(address::Column::Words.like(format!("% {w}%")));
    }
    let found = find
        .order_by_asc(address::Column::Label)
        .limit(SEARCH_CANDIDATES)
        .all(db)
        .await?;
    let score = |m: &address::Model| {
        let own: Vec<&str> = m.words.split(' ').collect();
        words
            .iter()
            .map(|w| usize::from(own.contains(&w.as_str())))
            .sum::<usize>()
    };
    let mut ranked: Vec<(usize, address::Model)> =
        found.into_iter().map(|m| (score(&m), m)).collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    Ok(ranked
        .into_iter()
        .take(limit)
        .map(|(_, m)| m.into())
        .collect())
}

/// The address with `code`, retired or not.
pub async fn by_code(
    db: &impl ConnectionTrait,
    code: i64,
) -> Result<Option<Address>, PlatformError> {
    Ok(address::Entity::find_by_id(code)
        .one(db)
        .await?
        .map(Address::from))
}

/// How far out [`nearest`] looks, in degrees of latitude: about 7 km.
const NEAREST_REACH: f64 = 0.064;

/// The current address nearest to a position, and how far it is in
/// metres; `None` when none is within about 7 km.
pub async fn nearest(
    db: &impl ConnectionTrait,
    latitude: f64,
    longitude: f64,
) -> Result<Option<(Address, f64)>, PlatformError> {
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return Ok(None);
    }
    // A box that grows fourfold until it holds a point; the nearest of the
    // box may still lie outside the circle it contains, so one more
    // growth settles it.
    let shrink = latitude.to_radians().cos().max(0.1);
    let mut reach = 0.001;
    let mut best: Option<(address::Model, f64)> = None;
    while reach <= NEAREST_REACH * 4.0 {
        let found = address::Entity::find()
            .filter(address::Column::RetiredIn.is_null())
            .filter(address::Column::Lat.between(latitude - reach, latitude + reach))
            .filter(
                address::Column::Lon
                    .between(longitude - reach / shrink, longitude + reach / shrink),
            )
            .limit(2_000)
            .all(db)
            .await?;
        for m in found {
            let (Some(lat), Some(lon)) = (m.lat, m.lon) else {
                continue;
            };
            let d = metres((latitude, longitude), (lat, lon));
            if best.as_ref().is_none_or(|(_, b)| d < *b) {
                best = Some((m, d));
            }
        }
        // The box's inscribed circle has the radius `reach` in degrees of
        // latitude: a point found within it is the nearest.
        if let Some((_, d)) = &best
            && *d <= reach * 111_000.0
        {
            break;
        }
        if reach > NEAREST_REACH {
            break;
        }
        reach *= 4.0;
    }
    Ok(best
        .filter(|(_, d)| *d <= NEAREST_REACH * 111_000.0)
        .map(|(m, d)| (m.into(), d)))
}

/// The box around every current address with a position: (south, west,
/// north, east) in WGS 84 degrees; `None` for an empty register.
pub async fn extent(
    db: &impl ConnectionTrait,
) -> Result<Option<(f64, f64, f64, f64)>, PlatformError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    type Bounds = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);
    let found: Option<Bounds> = address::Entity::find()
        .select_only()
        .expr(Expr::col(address::Column::Lat).min())
        .expr(Expr::col(address::Column::Lon).min())
        .expr(Expr::col(address::Column::Lat).max())
        .expr(Expr::col(address::Column::Lon).max())
        .filter(address::Column::RetiredIn.is_null())
        .into_tuple()
        .one(db)
        .await?;
    Ok(match found {
        Some((Some(s), Some(w), Some(n), Some(e))) => Some((s, w, n, e)),
        _ => None,
    })
}

/// The editions imported, newest first.
pub async fn editions(db: &impl ConnectionTrait) -> Result<Vec<EditionRecord>, PlatformError> {
    Ok(edition::Entity::find()
        .order_by_desc(edition::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| EditionRecord {
            id: e.id,
            municipality_code: e.municipality_code,
            municipality: e.municipality,
            source: e.source,
            imported_at_micros: e.imported_at_micros,
            addresses: e.addresses as u64,
            added: e.added as u64,
            retired: e.retired as u64,
        })
        .collect())
}

/// An edition as the register keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionRecord {
    /// Its number.
    pub id: i64,
    /// The municipality's code.
    pub municipality_code: i64,
    /// Its name.
    pub municipality: String,
    /// The file it came from.
    pub source: String,
    /// When, in microseconds since the Unix epoch.
    pub imported_at_micros: i64,
    /// Address points it listed.
    pub addresses: u64,
    /// Of them, new ones.
    pub added: u64,
    /// Points it retired.
    pub retired: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Kód ADM;Kód obce;Název obce;Kód MOMC;Název MOMC;Kód MOP;Název MOP;\
        Kód části obce;Název části obce;Kód ulice;Název ulice;Typ SO;Číslo domovní;\
        Číslo orientační;Znak čísla orientačního;PSČ;Souřadnice Y;Souřadnice X;Platí Od";

    fn file(lines: &[&str]) -> Vec<u8> {
        let text = std::iter::once(HEADER)
            .chain(lines.iter().copied())
            .collect::<Vec<_>>()
            .join("\r\n");
        encoding_rs::WINDOWS_1250.encode(&text).0.into_owned()
    }

    #[test]
    fn a_windows_1250_line_becomes_an_address_with_its_position() {
        let points = parse(&file(&[
            "19096101;582786;Brno;551082;Brno-střed;;;411981;Veveří;463370;Údolní;č.p.;567;53;;60200;598988.68;1160226.16;2023-06-30T00:00:00",
        ]))
        .expect("parses");
        let p = &points[0];
        assert_eq!(p.label(), "Údolní 567/53, Veveří, 602 00 Brno");
        let (lat, lon) = p.position.expect("has a position");
        assert!(
            metres((lat, lon), (49.19902, 16.59594)) < 3.0,
            "{lat} {lon}"
        );
    }

    #[test]
    fn a_building_without_a_street_is_addressed_by_its_part() {
        let points = parse(&file(&[
            "19311521;582786;Brno;551007;Brno-Bystrc;;;411566;Bystrc;;;č.ev.;12;;;63500;605311.84;1157075.60;2023-06-30T00:00:00",
        ]))
        .expect("parses");
        assert_eq!(points[0].label(), "Bystrc č. ev. 12, 635 00 Brno");
    }

    #[test]
    fn a_bad_line_is_named_with_what_is_wrong() {
        let e = parse(&file(&[
            "19096101;582786;Brno;551082;Brno-střed;;;411981;Veveří;463370;Údolní;č.p.;567;53;;60200;598988.68;1160226.16;2023-06-30T00:00:00",
            "19096119;582786;Brno;551082;Brno-střed;;;411981;Veveří;463370;Údolní;č.p.;245;15;;602;598635.71;1160533.93;2023-06-30T00:00:00",
        ]))
        .expect_err("refused");
        assert_eq!(e.line, 3, "{e}");
        assert_eq!(e.to_string(), "line 3: `PSČ` must be five digits: `602`");
        assert_eq!(e.message("cs"), "řádek 3: `PSČ` musí mít pět číslic: `602`");
        let e = parse(b"a;b\n1;2\n").expect_err("refused");
        assert_eq!(e.line, 1);
        assert!(e.to_string().contains("`Kód ADM` is missing"), "{e}");
    }
}
