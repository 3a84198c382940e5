//! The Open Contracting Data Standard 1.1: a process as a release, the
//! releases of a process merged into its record (`compiledRelease`,
//! `versionedRelease`) by the standard's merge rules, and the packages.

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Europe::Prague;
use indexmap::IndexMap;
use portico_sdk::orgs::Organization;
use serde_json::{Map, Value, json};

use crate::model::{Lot, Process, procedure};

/// The standard's version the packages declare.
pub const VERSION: &str = "1.1";

/// What a release says changed (the standard's release tags).
pub mod tag {
    pub const PLANNING: &str = "planning";
    pub const PLANNING_UPDATE: &str = "planningUpdate";
    pub const TENDER: &str = "tender";
    pub const TENDER_AMENDMENT: &str = "tenderAmendment";
    pub const TENDER_UPDATE: &str = "tenderUpdate";
    pub const TENDER_CANCELLATION: &str = "tenderCancellation";
    pub const AWARD: &str = "award";
    pub const AWARD_CANCELLATION: &str = "awardCancellation";
    pub const CONTRACT: &str = "contract";
    pub const CONTRACT_AMENDMENT: &str = "contractAmendment";
    pub const IMPLEMENTATION: &str = "implementation";
    pub const CONTRACT_TERMINATION: &str = "contractTermination";
}

/// Now, as the standard's moments are kept: UTC to the second, which
/// sorts as text.
pub fn now() -> String {
    portico_sdk::calendar::now()
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A Czech organization's identifier in the org-id.guide list.
pub fn party_id(ico: &str) -> String {
    format!("CZ-ICO-{ico}")
}

/// The buying organization as a party: by its IČO, or by its own id in
/// the portal when it has none.
fn buyer_ref(buyer: &Organization) -> Value {
    let id = buyer
        .ico
        .as_deref()
        .map_or_else(|| buyer.id.clone(), party_id);
    json!({ "id": id, "name": buyer.name })
}

fn czk(amount: f64) -> Value {
    json!({ "amount": amount, "currency": "CZK" })
}

/// A day as a moment of Europe/Prague: its first second, or its last.
pub fn moment(day: &str, end: bool) -> Value {
    let Ok(date) = day.parse::<NaiveDate>() else {
        return Value::Null;
    };
    let time = if end {
        NaiveTime::from_hms_opt(23, 59, 59)
    } else {
        NaiveTime::from_hms_opt(0, 0, 0)
    }
    .unwrap_or_default();
    match Prague.from_local_datetime(&date.and_time(time)).earliest() {
        Some(t) => Value::String(t.to_rfc3339()),
        None => Value::Null,
    }
}

/// A text, or null when it is empty: a text cleared is cleared in the
/// record too, and the standard counts an empty text as a fault.
fn text(s: &str) -> Value {
    if s.trim().is_empty() {
        Value::Null
    } else {
        Value::String(s.to_owned())
    }
}

/// Inserts `value` unless it is an empty array.
fn put_list(obj: &mut Map<String, Value>, key: &str, value: Vec<Value>) {
    if !value.is_empty() {
        obj.insert(key.to_owned(), Value::Array(value));
    }
}

/// The process as it now is, as release number `seq`, published at
/// `date` with `tags`.
pub fn release(p: &Process, buyer: &Organization, seq: u32, date: &str, tags: &[&str]) -> Value {
    let buyer_ref = buyer_ref(buyer);
    let mut parties = Vec::new();
    let mut buyer_party = buyer_ref.clone();
    buyer_party["roles"] = json!(["buyer", "procuringEntity", "payer"]);
    if let Some(ico) = &buyer.ico {
        buyer_party["identifier"] =
            json!({ "scheme": "CZ-ICO", "id": ico, "legalName": buyer.name });
    }
    parties.push(buyer_party);
    // Each bidder once, in the order its first bid came.
    let mut bidders: Vec<(&str, &str)> = Vec::new();
    for b in &p.bids {
        if !bidders.iter().any(|(ico, _)| *ico == b.ico) {
            bidders.push((&b.ico, &b.name));
        }
    }
    let winners: Vec<&str> = p
        .awards
        .iter()
        .filter(|a| a.status == "active")
        .filter_map(|a| p.bid(&a.bid))
        .map(|b| b.ico.as_str())
        .collect();
    for (ico, name) in &bidders {
        let mut roles = vec!["tenderer"];
        if winners.contains(ico) {
            roles.extend(["supplier", "payee"]);
        }
        parties.push(json!({
            "id": party_id(ico),
            "name": name,
            "identifier": { "scheme": "CZ-ICO", "id": ico, "legalName": name },
            "roles": roles,
        }));
    }
    let reference = |ico: &str, name: &str| json!({ "id": party_id(ico), "name": name });

    let mut tender = Map::new();
    tender.insert("id".into(), json!(format!("{}-tender", p.ocid)));
    tender.insert("title".into(), json!(p.title));
    tender.insert("description".into(), text(&p.description));
    tender.insert("status".into(), json!(p.status));
    tender.insert("procuringEntity".into(), buyer_ref.clone());
    tender.insert("value".into(), czk(p.estimate));
    if let Some(proc) = procedure(&p.procedure) {
        tender.insert("procurementMethod".into(), json!(proc.method));
        tender.insert("procurementMethodDetails".into(), json!(proc.cs));
    }
    tender.insert("procurementMethodRationale".into(), text(&p.justification));
    tender.insert("mainProcurementCategory".into(), json!(p.category));
    if !p.criteria.is_empty() {
        tender.insert("awardCriteria".into(), json!(p.criteria));
        tender.insert("awardCriteriaDetails".into(), text(&p.criteria_details));
    }
    if !p.cpv.is_empty() {
        tender.insert(
            "items".into(),
            json!([{
                "id": "1",
                "description": p.title,
                "classification": { "scheme": "CPV", "id": p.cpv },
            }]),
        );
    }
    if !p.profile.is_empty() {
        tender.insert(
            "documents".into(),
            json!([{
                "id": "profile",
                "documentType": "tenderNotice",
                "title": "Zakázka na profilu zadavatele",
                "url": p.profile,
                "language": "cs",
            }]),
        );
    }
    if !p.tender_start.is_empty() {
        tender.insert(
            "tenderPeriod".into(),
            json!({
                "startDate": moment(&p.tender_start, false),
                "endDate": moment(&p.tender_end, true),
            }),
        );
    }
    if !p.bids.is_empty() {
        tender.insert("numberOfTenderers".into(), json!(bidders.len()));
        put_list(
            &mut tender,
            "tenderers",
            bidders
                .iter()
                .map(|(ico, name)| reference(ico, name))
                .collect(),
        );
    }
    // The lots extension's fields, a lot removed kept as cancelled: a
    // record never forgets an id.
    {
        put_list(
            &mut tender,
            "lots",
            p.lots
                .iter()
                .map(|l| json!({ "id": l.id, "title": l.title, "value": czk(l.value), "status": lot_status(p, l) }))
                .collect(),
        );
    }
    // The enquiries extension's fields.
    put_list(
        &mut tender,
        "enquiries",
        p.enquiries
            .iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "description": e.question,
                    "answer": e.answer,
                    "dateAnswered": moment(&e.date, false),
                })
            })
            .collect(),
    );
    put_list(
        &mut tender,
        "amendments",
        p.amendments
            .iter()
            .map(
                |a| json!({ "id": a.id, "date": moment(&a.date, false), "rationale": a.rationale }),
            )
            .collect(),
    );

    let awards = p
        .awards
        .iter()
        .map(|a| {
            let lot = p.lot(&a.lot);
            let mut award = json!({
                "id": a.id,
                "title": lot.map(|l| l.title.clone()).unwrap_or_else(|| p.title.clone()),
                "status": a.status,
                "date": moment(&a.date, false),
            });
            if let Some(b) = p.bid(&a.bid) {
                award["value"] = czk(b.amount);
                award["suppliers"] = json!([reference(&b.ico, &b.name)]);
            }
            award["relatedLots"] = json!([a.lot]);
            if !a.evaluation.is_empty() {
                award["description"] = json!(a.evaluation);
            }
            award
        })
        .collect();

    let contracts = p
        .deals
        .iter()
        .map(|d| {
            let award = p.awards.iter().find(|a| a.id == d.award);
            let lot = award.and_then(|a| p.lot(&a.lot));
            let mut contract = json!({
                "id": d.id,
                "awardID": d.award,
                "title": lot.map(|l| l.title.clone()).unwrap_or_else(|| p.title.clone()),
                "status": d.status,
                "value": czk(d.value),
                "dateSigned": moment(&d.signed, false),
            });
            let mut period = Map::new();
            if !d.start.is_empty() {
                period.insert("startDate".into(), moment(&d.start, false));
            }
            if !d.end.is_empty() {
                period.insert("endDate".into(), moment(&d.end, true));
            }
            if !period.is_empty() {
                contract["period"] = Value::Object(period);
            }
            if !d.registry.is_empty() {
                contract["description"] =
                    json!(format!("Smlouva č. {} v evidenci smluv zadavatele", d.registry));
            }
            let obj = contract.as_object_mut().expect("an object");
            put_list(
                obj,
                "amendments",
                d.amendments
                    .iter()
                    .map(|a| json!({ "id": a.id, "date": moment(&a.date, false), "rationale": a.rationale }))
                    .collect(),
            );
            let payee = award
                .and_then(|a| p.bid(&a.bid))
                .map(|b| reference(&b.ico, &b.name));
            let transactions: Vec<Value> = d
                .payments
                .iter()
                .map(|pay| {
                    let mut t = json!({
                        "id": pay.id,
                        "date": moment(&pay.date, false),
                        "value": czk(pay.amount),
                        "payer": buyer_ref,
                    });
                    if let Some(payee) = &payee {
                        t["payee"] = payee.clone();
                    }
                    t
                })
                .collect();
            let milestones: Vec<Value> = d
                .milestones
                .iter()
                .map(|m| {
                    let mut milestone = json!({
                        "id": m.id,
                        "title": m.title,
                        "type": "delivery",
                        "status": if m.met.is_empty() { "scheduled" } else { "met" },
                    });
                    if !m.due.is_empty() {
                        milestone["dueDate"] = moment(&m.due, true);
                    }
                    if !m.met.is_empty() {
                        milestone["dateMet"] = moment(&m.met, false);
                    }
                    milestone
                })
                .collect();
            let mut implementation = Map::new();
            put_list(&mut implementation, "transactions", transactions);
            put_list(&mut implementation, "milestones", milestones);
            if !implementation.is_empty() {
                obj.insert("implementation".into(), Value::Object(implementation));
            }
            contract
        })
        .collect();

    let mut release = Map::new();
    release.insert("ocid".into(), json!(p.ocid));
    release.insert("id".into(), json!(format!("{}-{seq:03}", p.ocid)));
    release.insert("date".into(), json!(date));
    release.insert("tag".into(), json!(tags));
    release.insert("initiationType".into(), json!("tender"));
    release.insert("language".into(), json!("cs"));
    release.insert("parties".into(), Value::Array(parties));
    release.insert("buyer".into(), buyer_ref);
    release.insert(
        "planning".into(),
        json!({
            "rationale": text(&p.rationale),
            "budget": { "description": text(&p.budget), "amount": czk(p.estimate) },
        }),
    );
    release.insert("tender".into(), Value::Object(tender));
    put_list(&mut release, "awards", awards);
    put_list(&mut release, "contracts", contracts);
    Value::Object(release)
}

/// A lot's status in the lots extension.
fn lot_status(p: &Process, lot: &Lot) -> &'static str {
    if !lot.live() {
        "cancelled"
    } else if p.award_of(&lot.id).is_some() {
        "complete"
    } else if lot.status == "unsuccessful" {
        "unsuccessful"
    } else {
        match p.status.as_str() {
            "cancelled" => "cancelled",
            "unsuccessful" => "unsuccessful",
            "planning" => "planning",
            _ => "active",
        }
    }
}

/// The arrays the release schema merges whole, not by the `id` of their
/// objects (its `wholeListMerge`, and arrays of other than objects), by
/// their path without the positions; and the fields it leaves out of a
/// merged release (`omitWhenMerged`).
const WHOLE: [&str; 21] = [
    "parties/additionalIdentifiers",
    "parties/roles",
    "buyer/additionalIdentifiers",
    "tender/procuringEntity/additionalIdentifiers",
    "tender/items/additionalClassifications",
    "tender/additionalProcurementCategories",
    "tender/submissionMethod",
    "tender/tenderers/additionalIdentifiers",
    "tender/amendments/changes",
    "tender/amendment/changes",
    "awards/suppliers/additionalIdentifiers",
    "awards/items/additionalClassifications",
    "awards/amendments/changes",
    "awards/amendment/changes",
    "contracts/items/additionalClassifications",
    "contracts/implementation/transactions/payer/additionalIdentifiers",
    "contracts/implementation/transactions/payee/additionalIdentifiers",
    "contracts/relatedProcesses/relationship",
    "contracts/amendments/changes",
    "contracts/amendment/changes",
    "relatedProcesses/relationship",
];
const OMITTED: [&str; 3] = ["id", "date", "tag"];

/// A step of a path into a release: a field, or an object of an array by
/// its `id` (when it has none, a key of its own, and no `id` is set).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Step {
    Field(String),
    Item { key: String, has_id: bool },
}

type Flat = IndexMap<Vec<Step>, Value>;

/// Every value of `value` by its path, arrays of objects by their `id`s.
fn flatten(value: &Value, path: &mut Vec<Step>, rule: &str, out: &mut Flat, fresh: &mut u64) {
    let entries: Vec<(Step, String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let rule = if rule.is_empty() {
                    k.clone()
                } else {
                    format!("{rule}/{k}")
                };
                (Step::Field(k.clone()), rule, v)
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let step = match item.get("id") {
                    Some(Value::String(s)) => Step::Item {
                        key: s.clone(),
                        has_id: true,
                    },
                    Some(other) => Step::Item {
                        key: other.to_string(),
                        has_id: true,
                    },
                    None => {
                        *fresh += 1;
                        Step::Item {
                            key: format!("\u{0}{fresh}"),
                            has_id: false,
                        }
                    }
                };
                (step, rule.to_owned(), item)
            })
            .collect(),
        _ => return,
    };
    for (step, rule, v) in entries {
        if path.is_empty() && OMITTED.contains(&rule.as_str()) {
            continue;
        }
        path.push(step);
        let whole = WHOLE.contains(&rule.as_str())
            || !(v.is_object() || v.is_array())
            || v.as_array()
                .is_some_and(|a| a.iter().any(|i| !i.is_object()));
        if whole {
            out.insert(path.clone(), v.clone());
        } else if v.as_object().is_some_and(|o| !o.is_empty())
            || v.as_array().is_some_and(|a| !a.is_empty())
        {
            flatten(v, path, &rule, out, fresh);
        }
        path.pop();
    }
}

/// A merged release being built: fields by name, arrays of objects by
/// their keys, in the order they first appeared.
enum Node {
    Object(IndexMap<String, Node>),
    Array(Vec<(String, Node)>),
    Leaf(Value),
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k, v.into_value()))
                    .collect(),
            ),
            Node::Array(items) => {
                Value::Array(items.into_iter().map(|(_, v)| v.into_value()).collect())
            }
            Node::Leaf(v) => v,
        }
    }
}

/// The merged release the paths make, without the nulls.
fn unflatten(flat: Flat) -> Value {
    let mut root = Node::Object(IndexMap::new());
    for (path, value) in flat {
        let mut node = &mut root;
        for (i, step) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            node = match (step, node) {
                (Step::Item { key, has_id }, Node::Array(items)) => {
                    let at = match items.iter().position(|(k, _)| k == key) {
                        Some(at) => at,
                        None => {
                            let mut fields = IndexMap::new();
                            if *has_id {
                                fields.insert(
                                    "id".to_owned(),
                                    Node::Leaf(Value::String(key.clone())),
                                );
                            }
                            items.push((key.clone(), Node::Object(fields)));
                            items.len() - 1
                        }
                    };
                    &mut items[at].1
                }
                (Step::Field(name), Node::Object(fields)) => {
                    if !fields.contains_key(name) {
                        if last {
                            if !value.is_null() {
                                fields.insert(name.clone(), Node::Leaf(value.clone()));
                            }
                            break;
                        }
                        let child = match path[i + 1] {
                            Step::Item { .. } => Node::Array(Vec::new()),
                            Step::Field(_) => Node::Object(IndexMap::new()),
                        };
                        fields.insert(name.clone(), child);
                    }
                    match fields.get_mut(name) {
                        Some(child) => child,
                        None => break,
                    }
                }
                // A path through a value of another kind: an earlier
                // release disagrees with a later one; the earlier stays.
                _ => break,
            };
        }
    }
    root.into_value()
}

/// The releases of one process in the order the standard merges them: by
/// `date`, those of the same moment as they were published.
fn in_order(releases: &[Value]) -> Vec<&Value> {
    let mut sorted: Vec<&Value> = releases.iter().collect();
    sorted.sort_by(|a, b| {
        let date = |r: &Value| {
            r.get("date")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        date(a).cmp(&date(b))
    });
    sorted
}

fn flat_of(release: &Value, fresh: &mut u64) -> Flat {
    let mut flat = Flat::new();
    flatten(release, &mut Vec::new(), "", &mut flat, fresh);
    flat
}

fn field(name: &str) -> Vec<Step> {
    vec![Step::Field(name.to_owned())]
}

/// The latest of everything the releases say.
pub fn compiled(releases: &[Value]) -> Value {
    let mut fresh = 0;
    let mut data = Flat::new();
    data.insert(field("tag"), json!(["compiled"]));
    for r in in_order(releases) {
        let ocid = r.get("ocid").cloned().unwrap_or(Value::Null);
        let date = r.get("date").cloned().unwrap_or(Value::Null);
        let id = format!(
            "{}-{}",
            ocid.as_str().unwrap_or_default(),
            date.as_str().unwrap_or_default()
        );
        data.insert(field("id"), Value::String(id));
        data.insert(field("date"), date);
        data.insert(field("ocid"), ocid);
        data.extend(flat_of(r, &mut fresh));
    }
    unflatten(data)
}

/// Every value the releases said, each with the release that said it.
pub fn versioned(releases: &[Value]) -> Value {
    let mut fresh = 0;
    let mut data = Flat::new();
    let ocid_path = field("ocid");
    for r in in_order(releases) {
        let mut flat = flat_of(r, &mut fresh);
        flat.shift_remove(&ocid_path);
        data.insert(
            ocid_path.clone(),
            r.get("ocid").cloned().unwrap_or(Value::Null),
        );
        for (path, value) in flat {
            let history = data.entry(path).or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(versions) = history else {
                continue;
            };
            if versions.last().and_then(|v| v.get("value")) == Some(&value) {
                continue;
            }
            versions.push(json!({
                "releaseID": r.get("id"),
                "releaseDate": r.get("date"),
                "releaseTag": r.get("tag"),
                "value": value,
            }));
        }
    }
    unflatten(data)
}

/// The record of a process: its releases, and them merged.
pub fn record(ocid: &str, releases: Vec<Value>) -> Value {
    json!({
        "ocid": ocid,
        "compiledRelease": compiled(&releases),
        "versionedRelease": versioned(&releases),
        "releases": releases,
    })
}

/// Who publishes: the organization, by its IČO.
pub fn publisher(org: &Organization) -> Value {
    let mut publisher = json!({ "name": org.name });
    if let Some(ico) = &org.ico {
        publisher["scheme"] = json!("CZ-ICO");
        publisher["uid"] = json!(ico);
    }
    publisher
}

/// A package of `key` (`releases` or `records`) at `uri`.
pub fn package(
    uri: &str,
    org: &Organization,
    published: &str,
    key: &str,
    items: Vec<Value>,
) -> Value {
    json!({
        "uri": uri,
        "version": VERSION,
        "publishedDate": published,
        "publisher": publisher(org),
        key: items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str, date: &str, body: Value) -> Value {
        let mut r = json!({ "ocid": "ocds-abc123-1", "id": id, "date": date, "tag": ["tender"] });
        for (k, v) in body.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    }

    #[test]
    fn objects_in_arrays_merge_by_id_and_nulls_clear() {
        let one = r(
            "1",
            "2026-01-01T00:00:00Z",
            json!({ "tender": { "title": "A", "description": "x" },
                    "parties": [{ "id": "p1", "name": "One", "roles": ["buyer"] }] }),
        );
        let two = r(
            "2",
            "2026-01-02T00:00:00Z",
            json!({ "tender": { "description": null },
                    "parties": [{ "id": "p2", "name": "Two" }, { "id": "p1", "roles": ["buyer", "payer"] }] }),
        );
        let c = compiled(&[two.clone(), one.clone()]);
        assert_eq!(c["id"], "ocds-abc123-1-2026-01-02T00:00:00Z");
        assert_eq!(c["tag"], json!(["compiled"]));
        assert_eq!(c["tender"], json!({ "title": "A" }));
        assert_eq!(
            c["parties"],
            json!([{ "id": "p1", "name": "One", "roles": ["buyer", "payer"] }, { "id": "p2", "name": "Two" }])
        );
        let v = versioned(&[one, two]);
        assert_eq!(v["ocid"], "ocds-abc123-1");
        assert!(v.get("id").is_none() && v.get("tag").is_none());
        let d = v["tender"]["description"].as_array().unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[1]["value"], Value::Null);
        assert_eq!(d[1]["releaseID"], "2");
        assert_eq!(v["tender"]["title"].as_array().unwrap().len(), 1);
        assert_eq!(v["parties"][0]["id"], "p1");
        assert_eq!(v["parties"][0]["roles"].as_array().unwrap().len(), 2);
    }
}
