//! CAP 1.2 (OASIS Common Alerting Protocol): the weather service's
//! warnings read, the road-condition alerts to the rescue system written.

use chrono::TimeZone;
use chrono_tz::Europe::Prague;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

const NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// A moment as CAP writes it: `2026-12-05T04:10:00+01:00`, no fraction.
pub fn moment(at: i64) -> String {
    Prague
        .timestamp_opt(at, 0)
        .single()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_default()
}

/// One `info` block of a warning as read: in one language.
#[derive(Debug, Clone, Default)]
pub struct InfoIn {
    pub language: String,
    pub event: String,
    pub event_code: String,
    pub severity: String,
    pub onset: Option<i64>,
    pub expires: Option<i64>,
    pub headline: String,
    /// The `CISORP` codes of its areas.
    pub orp: Vec<String>,
}

/// A CAP alert as read.
#[derive(Debug, Clone, Default)]
pub struct AlertIn {
    pub identifier: String,
    pub sender: String,
    pub msg_type: String,
    /// The identifiers it refers to (`sender,identifier,sent` each).
    pub references: Vec<String>,
    pub infos: Vec<InfoIn>,
}

fn child_text(node: roxmltree::Node, name: &str) -> String {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
        .and_then(|c| c.text())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn parse_moment(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// Reads a CAP 1.2 (or 1.1) alert; `Err` says what is wrong.
pub fn read(xml: &str) -> Result<AlertIn, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not XML: {e}"))?;
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or_default();
    if root.tag_name().name() != "alert" || !ns.starts_with("urn:oasis:names:tc:emergency:cap:1.") {
        return Err(format!(
            "not a CAP alert: the root is `{}` in `{ns}`",
            root.tag_name().name()
        ));
    }
    let mut alert = AlertIn {
        identifier: child_text(root, "identifier"),
        sender: child_text(root, "sender"),
        msg_type: child_text(root, "msgType"),
        references: child_text(root, "references")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        infos: Vec::new(),
    };
    if alert.identifier.is_empty() {
        return Err("the alert has no identifier".into());
    }
    for info in root
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "info")
    {
        let mut i = InfoIn {
            language: child_text(info, "language"),
            event: child_text(info, "event"),
            severity: child_text(info, "severity"),
            onset: parse_moment(&child_text(info, "onset")),
            expires: parse_moment(&child_text(info, "expires")),
            headline: child_text(info, "headline"),
            ..InfoIn::default()
        };
        if let Some(code) = info
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == "eventCode")
        {
            i.event_code = child_text(code, "value");
        }
        for area in info
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "area")
        {
            for geocode in area
                .children()
                .filter(|c| c.is_element() && c.tag_name().name() == "geocode")
            {
                if child_text(geocode, "valueName") == "CISORP" {
                    i.orp.push(child_text(geocode, "value"));
                }
            }
        }
        alert.infos.push(i);
    }
    Ok(alert)
}

/// What a road-condition alert says, in one language.
pub struct InfoOut<'a> {
    /// `cs-CZ` or `en-GB`.
    pub language: &'a str,
    pub event: &'a str,
    pub headline: &'a str,
    pub description: &'a str,
    pub instruction: &'a str,
    pub area: &'a str,
}

/// A road-condition alert to write.
pub struct AlertOut<'a> {
    pub identifier: &'a str,
    pub sender: &'a str,
    pub sender_name: &'a str,
    pub sent: i64,
    /// `Alert`, `Update` or `Cancel`.
    pub msg_type: &'a str,
    /// `sender,identifier,sent` of each message it updates or cancels.
    pub references: &'a [String],
    /// `Minor`, `Moderate`, `Severe` or `Extreme`.
    pub severity: &'a str,
    pub expires: Option<i64>,
    pub infos: [InfoOut<'a>; 2],
    /// A closed ring of `[longitude, latitude]`.
    pub polygon: &'a [[f64; 2]],
    /// The `CISORP` codes of the area.
    pub orp: &'a [String],
}

/// The alert as CAP 1.2 XML.
pub fn write(a: &AlertOut) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let _ = alert(&mut w, a);
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn alert(w: &mut Writer<Vec<u8>>, a: &AlertOut) -> std::io::Result<()> {
    w.create_element("alert")
        .with_attribute(("xmlns", NS))
        .write_inner_content(|w| {
            text(w, "identifier", a.identifier)?;
            text(w, "sender", a.sender)?;
            text(w, "sent", &moment(a.sent))?;
            text(w, "status", "Actual")?;
            text(w, "msgType", a.msg_type)?;
            text(w, "scope", "Public")?;
            if !a.references.is_empty() {
                text(w, "references", &a.references.join(" "))?;
            }
            for info in &a.infos {
                w.create_element("info").write_inner_content(|w| {
                    text(w, "language", info.language)?;
                    text(w, "category", "Transport")?;
                    text(w, "event", info.event)?;
                    text(
                        w,
                        "responseType",
                        if a.msg_type == "Cancel" {
                            "AllClear"
                        } else {
                            "Avoid"
                        },
                    )?;
                    text(
                        w,
                        "urgency",
                        if a.msg_type == "Cancel" {
                            "Past"
                        } else {
                            "Immediate"
                        },
                    )?;
                    text(w, "severity", a.severity)?;
                    text(w, "certainty", "Observed")?;
                    if let Some(expires) = a.expires {
                        text(w, "expires", &moment(expires))?;
                    }
                    text(w, "senderName", a.sender_name)?;
                    text(w, "headline", info.headline)?;
                    if !info.description.is_empty() {
                        text(w, "description", info.description)?;
                    }
                    if !info.instruction.is_empty() {
                        text(w, "instruction", info.instruction)?;
                    }
                    w.create_element("area").write_inner_content(|w| {
                        text(w, "areaDesc", info.area)?;
                        if a.polygon.len() >= 4 {
                            let ring: Vec<String> = a
                                .polygon
                                .iter()
                                .map(|p| format!("{:.5},{:.5}", p[1], p[0]))
                                .collect();
                            text(w, "polygon", &ring.join(" "))?;
                        }
                        for code in a.orp {
                            w.create_element("geocode").write_inner_content(|w| {
                                text(w, "valueName", "CISORP")?;
                                text(w, "value", code)
                            })?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

/// The ring around `points` (each `[longitude, latitude]`), `pad_m` metres
/// out: the box that holds them, closed.
pub fn ring_around(points: impl Iterator<Item = [f64; 2]>, pad_m: f64) -> Vec<[f64; 2]> {
    let (mut w, mut s, mut e, mut n) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in points {
        w = w.min(p[0]);
        e = e.max(p[0]);
        s = s.min(p[1]);
        n = n.max(p[1]);
    }
    if w > e {
        return Vec::new();
    }
    let pad_lat = pad_m / 110_574.0;
    let pad_lon = pad_m / (111_320.0 * ((s + n) / 2.0).to_radians().cos().max(0.1));
    let (w, s, e, n) = (w - pad_lon, s - pad_lat, e + pad_lon, n + pad_lat);
    vec![[w, s], [e, s], [e, n], [w, n], [w, s]]
}
