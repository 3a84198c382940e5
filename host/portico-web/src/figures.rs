//! The blocks that draw: charts and maps as inline SVG, with the same
//! numbers and places as text beside them (a table, a list), so a screen
//! reader or a page without styles loses nothing. Every text is escaped by
//! maud; coordinates are numbers we computed, never module text.

use maud::{Markup, html};
use portico_runtime::api::{Chart, ChartKind, LineMap, Map, MapPoint, TimelineEntry};

use crate::render::{Shell, module_href, tr};

const WIDTH: f64 = 640.0;
const CHART_HEIGHT: f64 = 260.0;
const MAP_HEIGHT: f64 = 360.0;
/// Series beyond this many share colours (the stylesheet has six).
const PALETTE: usize = 6;

/// A number as people read it in `lang`: at most two decimals, written
/// as the language writes it (`52 830,5`, `52,830.5`).
pub(crate) fn number(lang: &str, v: f64) -> String {
    portico_types::written::number((v * 100.0).round() / 100.0, lang)
}

/// The smallest of 1, 2, 5 × 10ⁿ at or above `v`, so axis labels are round.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * magnitude)
}

fn value_of(series: &portico_runtime::api::Series, i: usize) -> Option<f64> {
    series.values.get(i).copied().filter(|v| v.is_finite())
}

/// A bar or line chart, its legend, and its numbers as a table.
pub(crate) fn chart(lang: &str, chart: &Chart) -> Markup {
    let (left, right, top, bottom) = (56.0, 12.0, 12.0, 44.0);
    let plot_w = WIDTH - left - right;
    let plot_h = CHART_HEIGHT - top - bottom;
    let finite = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite());
    let whole = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .all(|v| v.fract() == 0.0);
    let (lo, most) = finite.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let lo = if lo < 0.0 { -nice_ceiling(-lo) } else { 0.0 };
    // Counts are whole: their axis steps by a whole round number (four
    // steps of 1, 2, 5, 10 …); other values get a round top.
    let hi = if whole && lo == 0.0 {
        nice_ceiling((most / 4.0).ceil().max(1.0)) * 4.0
    } else {
        nice_ceiling(most)
    };
    let y = |v: f64| top + plot_h * (hi - v) / (hi - lo);
    let n = chart.categories.len().max(1);
    let band = plot_w / n as f64;
    let x_mid = |i: usize| left + band * (i as f64 + 0.5);
    // Every k-th category label, so labels never overlap.
    let label_every = (n as f64 / 12.0).ceil().max(1.0) as usize;
    let unit = chart.unit.as_deref().unwrap_or("");
    let ticks: Vec<f64> = (0..=4).map(|i| lo + (hi - lo) * i as f64 / 4.0).collect();
    let bar_w = band * 0.8 / chart.series.len().max(1) as f64;
    html! {
        figure.chart {
            figcaption { (chart.caption) @if !unit.is_empty() { " (" (unit) ")" } }
            // On a phone the chart keeps a readable size and scrolls in
            // its own box, which takes the keyboard's focus.
            div.figure-scroll tabindex="0" role="region" aria-label=(chart.caption) {
                svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {CHART_HEIGHT}"))
                    role="img" aria-label=(chart.caption) {
                    @for t in &ticks {
                        line.grid x1=(left) x2=(WIDTH - right) y1=(y(*t)) y2=(y(*t)) {}
                        text.axis x=(left - 6.0) y=(y(*t) + 4.0) text-anchor="end" { (number(lang, *t)) }
                    }
                    line.axis-line x1=(left) x2=(WIDTH - right) y1=(y(0.0)) y2=(y(0.0)) {}
                    @for (i, c) in chart.categories.iter().enumerate() {
                        @if i % label_every == 0 {
                            text.axis x=(x_mid(i)) y=(CHART_HEIGHT - bottom + 18.0) text-anchor="middle" {
                                (c.chars().take(14).collect::<String>())
                            }
                        }
                    }
                    @match chart.kind {
                        ChartKind::Bar => {
                            @for (s, series) in chart.series.iter().enumerate() {
                                @for i in 0..chart.categories.len() {
                                    @if let Some(v) = value_of(series, i) {
                                        @let x = left + band * i as f64 + band * 0.1 + bar_w * s as f64;
                                        @let (y0, y1) = (y(v.max(0.0)), y(v.min(0.0)));
                                        rect class=(format!("bar series-{}", s % PALETTE))
                                            x=(format!("{x:.1}")) y=(format!("{y0:.1}"))
                                            width=(format!("{:.1}", bar_w.max(1.0))) height=(format!("{:.1}", (y1 - y0).max(0.5))) {
                                            title { (chart.categories[i]) " – " (series.name) ": " (number(lang, v)) " " (unit) }
                                        }
                                    }
                                }
                            }
                        }
                        ChartKind::Line => {
                            @for (s, series) in chart.series.iter().enumerate() {
                                @let points: Vec<String> = (0..chart.categories.len())
                                    .filter_map(|i| value_of(series, i).map(|v| format!("{:.1},{:.1}", x_mid(i), y(v))))
                                    .collect();
                                polyline class=(format!("line series-{}", s % PALETTE)) points=(points.join(" ")) {}
                                @for i in 0..chart.categories.len() {
                                    @if let Some(v) = value_of(series, i) {
                                        circle class=(format!("dot series-{}", s % PALETTE))
                                            cx=(format!("{:.1}", x_mid(i))) cy=(format!("{:.1}", y(v))) r="3.5" {
                                            title { (chart.categories[i]) " – " (series.name) ": " (number(lang, v)) " " (unit) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            ul.legend {
                @for (s, series) in chart.series.iter().enumerate() {
                    li { span class=(format!("swatch series-{}", s % PALETTE)) aria-hidden="true" {} (series.name) }
                }
            }
            details {
                summary { (tr(lang, "The data as a table", "Data jako tabulka")) }
                div.table-wrap tabindex="0" role="region" aria-label=(chart.caption) {
                    table {
                        caption { (chart.caption) }
                        thead { tr {
                            th scope="col" { (tr(lang, "Category", "Kategorie")) }
                            @for series in &chart.series { th.num scope="col" { (series.name) } }
                        } }
                        tbody {
                            @for (i, c) in chart.categories.iter().enumerate() {
                                tr {
                                    th scope="row" { (c) }
                                    @for series in &chart.series {
                                        td.num { (number(lang, series.values.get(i).copied().unwrap_or(f64::NAN))) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn valid_place(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
}

fn degrees(lang: &str, lat: f64, lon: f64) -> String {
    let ns = if lat >= 0.0 {
        tr(lang, "N", "s. š.")
    } else {
        tr(lang, "S", "j. š.")
    };
    let ew = if lon >= 0.0 {
        tr(lang, "E", "v. d.")
    } else {
        tr(lang, "W", "z. d.")
    };
    let f = |v: f64| {
        let s = format!("{:.5}", v.abs());
        if lang == "cs" { s.replace('.', ",") } else { s }
    };
    format!("{}° {ns}, {}° {ew}", f(lat), f(lon))
}

/// A map of places: a plan drawn here, and the list of the places with
/// their positions, which is the map's text alternative. Where the portal
/// has a tile source, the figure carries it (`data-tiles`) and the list its
/// positions, and the map library draws a slippy map in the plan's place.
pub(crate) fn map(base: &str, shell: &Shell, map: &Map) -> Markup {
    let lang = shell.lang.as_str();
    let valid = placed(&map.points);
    let plan = Plan::around(valid.iter().map(|&(_, lat, lon)| (lat, lon)));
    let drawn = (!valid.is_empty()).then(|| markers(&plan, &map.points, &valid));
    map_figure(
        shell,
        "map",
        &map.caption,
        drawn,
        places_list(base, lang, &map.points),
    )
}

/// A map's figure: its caption, the plan (when it has something to
/// draw), then `rest` (the key, the text alternative). Where the portal
/// has a tile source and there is a plan, the figure carries the source
/// for the map library, which draws a slippy map in the plan's place.
fn map_figure(
    shell: &Shell,
    class: &str,
    caption: &str,
    plan: Option<Markup>,
    rest: Markup,
) -> Markup {
    let lang = shell.lang.as_str();
    let tiles = shell.map_attribution.as_deref().filter(|_| plan.is_some());
    html! {
        figure class=(class) data-tiles=[tiles.map(|_| "/tiles/{z}/{x}/{y}")] data-attribution=[tiles]
            data-zoom-in=[tiles.map(|_| tr(lang, "Zoom in", "Přiblížit"))]
            data-zoom-out=[tiles.map(|_| tr(lang, "Zoom out", "Oddálit"))]
            data-close=[tiles.map(|_| tr(lang, "Close", "Zavřít"))]
            data-label=[tiles.map(|_| caption)] {
            figcaption { (caption) }
            @if let Some(plan) = plan {
                svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {MAP_HEIGHT}"))
                    role="img" aria-label=(caption) {
                    rect.map-plane x="0" y="0" width=(WIDTH) height=(MAP_HEIGHT) {}
                    (plan)
                }
            }
            (rest)
        }
    }
}

/// The numbered markers of the places with a valid position (`placed`).
fn markers(plan: &Plan, points: &[MapPoint], placed: &[(usize, f64, f64)]) -> Markup {
    html! {
        @for &(i, lat, lon) in placed {
            @let (x, y) = plan.project(lat, lon);
            g.marker {
                title { (i + 1) ". " (points[i].label) }
                circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="11" {}
                text x=(format!("{x:.1}")) y=(format!("{:.1}", y + 4.0)) text-anchor="middle" { (i + 1) }
            }
        }
    }
}

/// The places with a valid position: their index, latitude, longitude.
fn placed(points: &[MapPoint]) -> Vec<(usize, f64, f64)> {
    points
        .iter()
        .enumerate()
        .filter(|(_, p)| valid_place(p.latitude, p.longitude))
        .map(|(i, p)| (i, p.latitude, p.longitude))
        .collect()
}

/// A map's places as text, each with its position (for the map library)
/// and a link to it on OpenStreetMap: the map's text alternative.
fn places_list(base: &str, lang: &str, points: &[MapPoint]) -> Markup {
    html! {
        ol.places {
            @for p in points {
                @let place = valid_place(p.latitude, p.longitude);
                li data-lat=[place.then(|| format!("{:.6}", p.latitude))]
                    data-lon=[place.then(|| format!("{:.6}", p.longitude))] {
                    @match p.link.as_deref().and_then(|h| module_href(base, h)) {
                        Some(url) => a href=(url) { (p.label) },
                        None => (p.label),
                    }
                    @if place {
                        " — " (degrees(lang, p.latitude, p.longitude)) " "
                        a.external href=(format!(
                            "https://www.openstreetmap.org/?mlat={:.6}&mlon={:.6}#map=17/{:.6}/{:.6}",
                            p.latitude, p.longitude, p.latitude, p.longitude
                        )) { (tr(lang, "(OpenStreetMap)", "(OpenStreetMap)")) }
                    } @else {
                        " — " (tr(lang, "no valid position", "bez platné polohy"))
                    }
                }
            }
        }
    }
}

/// The plan a map is drawn on: the box of its places, scaled into the
/// figure, longitude shrunk towards the poles.
struct Plan {
    cx: f64,
    cy: f64,
    shrink: f64,
    scale: f64,
}

impl Plan {
    fn around(places: impl Iterator<Item = (f64, f64)>) -> Plan {
        let (min_lat, max_lat, min_lon, max_lon) = places.fold(
            (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
            |(a, b, c, d), (lat, lon)| (a.min(lat), b.max(lat), c.min(lon), d.max(lon)),
        );
        // Longitude degrees shrink towards the poles.
        let mid_lat = (min_lat + max_lat) / 2.0;
        let shrink = mid_lat.to_radians().cos().max(0.1);
        let span_x = ((max_lon - min_lon) * shrink).max(0.005);
        let span_y = (max_lat - min_lat).max(0.005);
        let pad = 28.0;
        Plan {
            cx: (min_lon + max_lon) / 2.0,
            cy: mid_lat,
            shrink,
            scale: ((WIDTH - 2.0 * pad) / span_x).min((MAP_HEIGHT - 2.0 * pad) / span_y),
        }
    }

    fn project(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            WIDTH / 2.0 + (lon - self.cx) * self.shrink * self.scale,
            MAP_HEIGHT / 2.0 - (lat - self.cy) * self.scale,
        )
    }
}

/// The most styles a line map's key may have (each a colour and a dash).
const LINE_STYLES: usize = 8;
/// The most points a line map draws; the lines past them are listed only.
const MOST_LINE_POINTS: usize = 20_000;

/// Lines on a map with its key, and places: an SVG plan with each line in
/// its style's colour and dash, the key, and the lines and places listed
/// as text (the map's text alternative). With a tile source, the map
/// library draws them on a slippy map in the plan's place.
pub(crate) fn line_map(base: &str, shell: &Shell, map: &LineMap) -> Markup {
    let lang = shell.lang.as_str();
    let mut budget = MOST_LINE_POINTS;
    // The lines drawn: their valid points, within the budget.
    let drawn: Vec<(usize, Vec<(f64, f64)>)> = map
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let points: Vec<(f64, f64)> = l
                .points
                .iter()
                .copied()
                .filter(|&(lat, lon)| valid_place(lat, lon))
                .collect();
            (points.len() >= 2 && points.len() <= budget).then(|| {
                budget -= points.len();
                (i, points)
            })
        })
        .collect();
    let places = placed(&map.points);
    let plan = Plan::around(
        drawn
            .iter()
            .flat_map(|(_, pts)| pts.iter().copied())
            .chain(places.iter().map(|&(_, lat, lon)| (lat, lon))),
    );
    // Which drawn line each line is, if it was drawn.
    let mut drawn_at: Vec<Option<usize>> = vec![None; map.lines.len()];
    for (d, (i, _)) in drawn.iter().enumerate() {
        drawn_at[*i] = Some(d);
    }
    let style = |s: u32| (s as usize) % LINE_STYLES;
    let entry = |s: u32| map.legend.get(s as usize).map_or("", String::as_str);
    let drawing = (!drawn.is_empty() || !places.is_empty()).then(|| {
        html! {
            @for (i, pts) in &drawn {
                @let line = &map.lines[*i];
                @let at: Vec<String> = pts.iter().map(|&(lat, lon)| {
                    let (x, y) = plan.project(lat, lon);
                    format!("{x:.1},{y:.1}")
                }).collect();
                polyline class=(format!("road road-{}", style(line.style))) points=(at.join(" ")) {
                    title { (line.label) }
                }
            }
            (markers(&plan, &map.points, &places))
        }
    });
    let rest = html! {
        @if !map.legend.is_empty() {
            ul.legend aria-label=(tr(lang, "Key", "Legenda")) {
                @for (s, label) in map.legend.iter().enumerate().take(LINE_STYLES) {
                    li {
                        svg.swatch xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 12" width="40" height="12" aria-hidden="true" {
                            line class=(format!("road road-{s}")) x1="2" y1="6" x2="38" y2="6" {}
                        }
                        " " (label)
                    }
                }
            }
        }
        ol.lines {
            @for (i, line) in map.lines.iter().enumerate() {
                @let shown = drawn_at[i].map(|d| &drawn[d]);
                li data-line=[shown.map(|(_, pts)| pts.iter().map(|(lat, lon)| format!("{lat:.6},{lon:.6}")).collect::<Vec<_>>().join(" "))]
                    data-style=[shown.map(|_| style(line.style))] {
                    @match line.link.as_deref().and_then(|h| module_href(base, h)) {
                        Some(url) => a href=(url) { (line.label) },
                        None => (line.label),
                    }
                    @if !entry(line.style).is_empty() {
                        " — " (entry(line.style))
                    }
                    @if shown.is_none() {
                        " — " (tr(lang, "not drawn", "nezakresleno"))
                    }
                }
            }
        }
        @if !map.points.is_empty() {
            (places_list(base, lang, &map.points))
        }
    };
    map_figure(shell, "map line-map", &map.caption, drawing, rest)
}

/// A date or date and time as people read it in `lang`; the text as given
/// when it is neither.
fn when(lang: &str, s: &str) -> (Option<String>, String) {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        let shown = crate::render::moment(t.to_utc(), lang);
        return (Some(t.to_rfc3339()), shown);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let shown = portico_types::written::date(d, lang);
        return (Some(d.format("%Y-%m-%d").to_string()), shown);
    }
    (None, s.to_owned())
}

/// Dated entries as an ordered list, each with a machine-readable `<time>`.
pub(crate) fn timeline(base: &str, lang: &str, items: &[TimelineEntry]) -> Markup {
    html! {
        ol.timeline {
            @for e in items {
                @let (datetime, shown) = when(lang, &e.when);
                li {
                    @match datetime {
                        Some(dt) => time datetime=(dt) { (shown) },
                        None => span.when { (shown) },
                    }
                    " "
                    strong {
                        @match e.link.as_deref().and_then(|h| module_href(base, h)) {
                            Some(url) => a href=(url) { (e.title) },
                            None => (e.title),
                        }
                    }
                    @if let Some(text) = &e.text { p { (text) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number("en", 42.0), "42");
        assert_eq!(number("en", 3.5), "3.5");
        assert_eq!(number("cs", 3.25), "3,25");
        assert_eq!(number("en", f64::NAN), "–");
        assert_eq!(nice_ceiling(37.0), 50.0);
        assert_eq!(nice_ceiling(101.0), 200.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }

    #[test]
    fn dates_are_shown_in_the_reader_s_language() {
        assert_eq!(when("cs", "2026-11-27").1, "27. 11. 2026");
        assert_eq!(when("en", "2026-11-27").1, "27 November 2026");
        assert_eq!(
            when("en", "2026-11-27T14:05:00+01:00").1,
            "27 November 2026, 14:05"
        );
        // Told in UTC, shown in Prague time (summer and winter).
        assert_eq!(when("cs", "2026-07-01T10:00:00Z").1, "1. 7. 2026 12:00");
        assert_eq!(when("cs", "2026-12-01T10:00:00Z").1, "1. 12. 2026 11:00");
        assert_eq!(when("en", "next week"), (None, "next week".into()));
    }

    /// A line of `n` points going east from Jihlava.
    fn line(n: usize, label: &str, style: u32) -> portico_runtime::api::MapLine {
        portico_runtime::api::MapLine {
            points: (0..n).map(|i| (49.4, 15.5 + i as f64 * 0.001)).collect(),
            label: label.into(),
            link: None,
            style,
        }
    }

    #[test]
    fn a_line_map_draws_each_line_in_its_style_and_lists_what_it_could_not_draw() {
        let shell = Shell::plain("Portal", "cs", "/");
        let mut bad = line(3, "Bez polohy", 1);
        bad.points[1] = (123.0, 15.5);
        bad.points.truncate(2);
        let map = LineMap {
            caption: "Pořadí údržby".into(),
            legend: vec!["Pořadí I".into(), "Pořadí II".into()],
            lines: vec![
                line(10, "II/602-01", 0),
                line(MOST_LINE_POINTS, "Celý kraj", 1),
                bad,
            ],
            points: Vec::new(),
        };
        let html = line_map("/m/winter-dispatch", &shell, &map).into_string();
        // The first line is drawn in its style; the one past the budget
        // and the one with one valid point are listed, not drawn.
        assert_eq!(html.matches("<polyline").count(), 1, "{html}");
        assert!(html.contains(r#"<polyline class="road road-0""#), "{html}");
        assert!(html.contains("II/602-01 — Pořadí I"), "{html}");
        assert!(
            html.contains("Celý kraj — Pořadí II — nezakresleno"),
            "{html}"
        );
        assert!(
            html.contains("Bez polohy — Pořadí II — nezakresleno"),
            "{html}"
        );
        // The key names each style beside its sample.
        assert!(
            html.contains(r#"<ul class="legend" aria-label="Legenda">"#),
            "{html}"
        );
        assert_eq!(
            html.matches(r#"<line class="road road-"#).count(),
            2,
            "{html}"
        );
    }
}
