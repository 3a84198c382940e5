//! Maps: the map library the portal serves from itself, the tiles it
//! passes on from the source the administrator set, and the address
//! register as the map's script asks it.
//!
//! - `/assets/map/…`: Leaflet and its clustering, from the npm registry
//!   through the lock file (`assets/map`, embedded by the build), and the
//!   portal's own `portico-map.js`, which turns a map's list of places
//!   into a slippy map. Without script, the list and its positions stay.
//! - `/tiles/{z}/{x}/{y}`: the tiles of `--map-tiles` (an
//!   OpenStreetMap-style URL template, or the ČÚZK's WMTS in Web
//!   Mercator), fetched by the host and kept in memory: browsers load
//!   nothing from another site, which keeps the policy `img-src 'self'`
//!   and tells no tile server who looks at what.
//! - `/addresses/search?q=`, `/addresses/nearest?lat=&lon=` and
//!   `/addresses/extent`: the address register (JSON), for the map's
//!   address search, the address nearest a pin, and where a map with no
//!   pin yet starts.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portico_platform::addresses;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Window;

/// Where the tiles come from, as the administrator set it.
#[derive(Debug, Clone)]
pub struct TileSource {
    /// A URL template with `{z}`, `{x}` and `{y}`, e.g.
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`.
    pub template: String,
    /// Whose map it is, shown on it: e.g. `© OpenStreetMap contributors`.
    pub attribution: String,
}

impl TileSource {
    /// A source from a template, checked: http(s), and each of `{z}`,
    /// `{x}`, `{y}` once.
    pub fn new(template: &str, attribution: &str) -> Result<TileSource, String> {
        let lower = template.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(format!("`{template}` is not an http(s) URL"));
        }
        for part in ["{z}", "{x}", "{y}"] {
            if template.matches(part).count() != 1 {
                return Err(format!("`{template}` must hold {part} once"));
            }
        }
        let attribution = if attribution.trim().is_empty() {
            if lower.contains("openstreetmap") {
                "© OpenStreetMap contributors".to_owned()
            } else if lower.contains("cuzk") {
                "© ČÚZK".to_owned()
            } else {
                return Err(format!(
                    "say whose map `{template}` is with --map-attribution"
                ));
            }
        } else {
            attribution.trim().to_owned()
        };
        Ok(TileSource {
            template: template.to_owned(),
            attribution,
        })
    }

    fn url(&self, z: u8, x: u32, y: u32) -> String {
        self.template
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    }
}

/// The deepest zoom the portal serves.
pub(crate) const MAX_ZOOM: u8 = 19;
/// The largest tile taken from the source.
const MAX_TILE_BYTES: usize = 1 << 20;
/// What the tiles kept in memory may weigh.
const CACHE_BYTES: u64 = 64 << 20;
/// Tiles one client may ask for a minute: panning a city map takes a few
/// hundred.
const TILES_PER_MINUTE: u32 = 1_200;

/// The tiles fetched and kept, and who asked for how many.
pub(crate) struct Tiles {
    source: TileSource,
    client: reqwest::Client,
    cache: moka::future::Cache<(u8, u32, u32), Tile>,
    asked: Window<IpAddr>,
}

#[derive(Clone)]
struct Tile {
    content_type: HeaderValue,
    body: Bytes,
}

impl Tiles {
    pub(crate) fn new(source: TileSource, public_url: Option<&str>) -> Tiles {
        let agent = format!(
            "Portico/{} ({})",
            env!("CARGO_PKG_VERSION"),
            public_url.unwrap_or("a Portico portal")
        );
        Tiles {
            source,
            client: reqwest::Client::builder()
                .user_agent(agent)
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("the tile client builds"),
            cache: moka::future::Cache::builder()
                .weigher(|_, t: &Tile| u32::try_from(t.body.len()).unwrap_or(u32::MAX))
                .max_capacity(CACHE_BYTES)
                .time_to_live(Duration::from_secs(24 * 3600))
                .build(),
            asked: Window::of(Duration::from_secs(60)),
        }
    }

    pub(crate) fn attribution(&self) -> &str {
        &self.source.attribution
    }

    async fn fetch(&self, z: u8, x: u32, y: u32) -> Result<Tile, String> {
        let url = self.source.url(z, x, y);
        let mut response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url}: {}", response.status()));
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            // Pictures only: a tile served from the portal's own origin
            // must never be a document (an SVG could carry script).
            .filter(|v| {
                matches!(
                    v.to_str()
                        .unwrap_or_default()
                        .split(';')
                        .next()
                        .map(str::trim),
                    Some("image/png" | "image/jpeg" | "image/webp")
                )
            })
            .cloned()
            .ok_or_else(|| format!("{url}: not a PNG, JPEG or WebP image"))?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_TILE_BYTES {
                return Err(format!("{url}: larger than {MAX_TILE_BYTES} bytes"));
            }
        }
        Ok(Tile {
            content_type,
            body: body.into(),
        })
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/map/leaflet.js", get(|| asset(JS, LEAFLET_JS)))
        .route("/assets/map/leaflet.css", get(|| asset(CSS, LEAFLET_CSS)))
        .route(
            "/assets/map/markercluster.js",
            get(|| asset(JS, MARKERCLUSTER_JS)),
        )
        .route(
            "/assets/map/markercluster.css",
            get(|| asset(CSS, MARKERCLUSTER_CSS)),
        )
        .route(
            "/assets/map/markercluster-default.css",
            get(|| asset(CSS, MARKERCLUSTER_DEFAULT_CSS)),
        )
        .route(
            "/assets/map/portico-map.js",
            get(|| asset(JS, PORTICO_MAP_JS)),
        )
        .route("/tiles/{z}/{x}/{y}", get(tile))
        .route("/addresses/search", get(search))
        .route("/addresses/nearest", get(nearest))
        .route("/addresses/extent", get(extent))
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const LEAFLET_JS: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/map/node_modules/leaflet/dist/leaflet.js"
));
const LEAFLET_CSS: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/map/node_modules/leaflet/dist/leaflet.css"
));
const MARKERCLUSTER_JS: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/map/node_modules/leaflet.markercluster/dist/leaflet.markercluster.js"
));
const MARKERCLUSTER_CSS: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/map/node_modules/leaflet.markercluster/dist/MarkerCluster.css"
));
const MARKERCLUSTER_DEFAULT_CSS: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/map/node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css"
));
const PORTICO_MAP_JS: &[u8] = include_bytes!("../assets/portico-map.js");

async fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn tile(
    State(state): State<AppState>,
    Path((z, x, y)): Path<(u8, u32, String)>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Response {
    let Some(tiles) = state.tiles.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // `7.png` as Leaflet's templates write it, or `7`.
    let y = y.strip_suffix(".png").unwrap_or(&y);
    let Ok(y) = y.parse::<u32>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if z > MAX_ZOOM || u64::from(x) >= 1 << z || u64::from(y) >= 1 << z {
        return StatusCode::NOT_FOUND.into_response();
    }
    let client = crate::client::address(
        &state.config.trusted_proxies,
        connect.map(|c| c.0.0),
        &headers,
    );
    if !tiles.asked.allow(client, TILES_PER_MINUTE) {
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "60")]).into_response();
    }
    let fetched = tiles
        .cache
        .try_get_with((z, x, y), tiles.fetch(z, x, y))
        .await;
    match fetched {
        Ok(t) => (
            [
                (header::CONTENT_TYPE, t.content_type),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
            ],
            t.body,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "a map tile could not be fetched");
            StatusCode::BAD_GATEWAY.into_response()
        }
    }
}

/// A register that cannot be read: logged, and a 500 without the cause.
fn register_failed(e: portico_platform::PlatformError) -> StatusCode {
    tracing::error!(error = %e, "the address register cannot be read");
    StatusCode::INTERNAL_SERVER_ERROR
}

/// An address as the map's script reads it.
#[derive(Serialize)]
struct Found {
    code: i64,
    label: String,
    lat: Option<f64>,
    lon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metres: Option<f64>,
}

impl Found {
    fn of(a: addresses::Address, metres: Option<f64>) -> Found {
        Found {
            code: a.code,
            label: a.label,
            lat: a.position.map(|p| p.0),
            lon: a.position.map(|p| p.1),
            metres: metres.map(f64::round),
        }
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
}

/// Addresses a lookup returns at most.
const FOUND_AT_MOST: usize = 8;

async fn search(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, StatusCode> {
    let found = addresses::search(state.services.platform().db(), &query.q, FOUND_AT_MOST)
        .await
        .map_err(register_failed)?;
    let found: Vec<Found> = found.into_iter().map(|a| Found::of(a, None)).collect();
    Ok(axum::Json(found).into_response())
}

#[derive(Deserialize)]
struct NearestQuery {
    lat: f64,
    lon: f64,
}

async fn nearest(
    State(state): State<AppState>,
    Query(at): Query<NearestQuery>,
) -> Result<Response, StatusCode> {
    let found = addresses::nearest(state.services.platform().db(), at.lat, at.lon)
        .await
        .map_err(register_failed)?;
    match found {
        Some((a, metres)) => Ok(axum::Json(Found::of(a, Some(metres))).into_response()),
        None => Err(StatusCode::NOT_FOUND),
    }
}

/// Where the register's addresses lie, for a map with no pin yet:
/// `{"south", "west", "north", "east"}`; 404 for an empty register.
async fn extent(State(state): State<AppState>) -> Result<Response, StatusCode> {
    let found = addresses::extent(state.services.platform().db())
        .await
        .map_err(register_failed)?;
    let (south, west, north, east) = found.ok_or(StatusCode::NOT_FOUND)?;
    Ok(axum::Json(serde_json::json!({
        "south": south, "west": west, "north": north, "east": east
    }))
    .into_response())
}

/// The tiles, when the administrator set a source.
pub(crate) type SharedTiles = Option<Arc<Tiles>>;
