//! The figures of an organization's procurement, counted by the record
//! store; sent up the tree on every change (`procurement.figures`), and
//! the founder's overview of what its organizations sent.

use std::collections::BTreeMap;

use portico_sdk::messages::{self, Message};
use portico_sdk::records::{Collection, Filters};
use portico_sdk::{Cell, Context, Result, Stat, Table, View, orgs};
use serde::{Deserialize, Serialize};

use crate::model::{PROCESSES, czk, status};

pub const MEMBERS: Collection = Collection::new("members");
pub const KIND: &str = "procurement.figures";

/// The standard's methods, and their names.
pub const METHODS: [(&str, &str, &str); 4] = [
    ("open", "Open to any supplier", "Otevřená soutěž"),
    (
        "selective",
        "Selective, after qualification",
        "Soutěž s předběžným výběrem",
    ),
    (
        "limited",
        "Limited to suppliers invited",
        "Oslovení vybraných dodavatelů",
    ),
    ("direct", "Direct award", "Přímé zadání"),
];

/// What a method's processes, or all of them, come to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    pub processes: u64,
    /// Processes with a lot awarded.
    pub awarded: u64,
    /// Of them, those where a lot awarded had a single bid.
    pub single_bid: u64,
    pub estimated_czk: f64,
    pub awarded_czk: f64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.processes += other.processes;
        self.awarded += other.awarded;
        self.single_bid += other.single_bid;
        self.estimated_czk += other.estimated_czk;
        self.awarded_czk += other.awarded_czk;
    }
}

/// An organization's procurement in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Figures {
    /// By the standard's method.
    pub methods: BTreeMap<String, Counts>,
    pub all: Counts,
    /// Open and selective processes: only where suppliers compete does a
    /// single bid say the competition failed.
    pub competitive: Counts,
    pub tendering: u64,
    pub cancelled: u64,
}

/// This organization's figures.
pub fn figures() -> Result<Figures> {
    let mut f = Figures::default();
    fn method(f: &mut Figures, key: Option<String>) -> &mut Counts {
        f.methods.entry(key.unwrap_or_default()).or_default()
    }
    for g in PROCESSES.count_by("method").sum("estimate").fetch()? {
        let m = method(&mut f, g.key);
        m.processes = g.count;
        m.estimated_czk = g.sum.unwrap_or(0.0);
    }
    for g in PROCESSES
        .count_by("method")
        .gt("bidders", 0)
        .sum("awarded")
        .fetch()?
    {
        let m = method(&mut f, g.key);
        m.awarded = g.count;
        m.awarded_czk = g.sum.unwrap_or(0.0);
    }
    for g in PROCESSES.count_by("method").eq("bidders", 1).fetch()? {
        method(&mut f, g.key).single_bid = g.count;
    }
    let mut all = Counts::default();
    for m in f.methods.values() {
        all.add(m);
    }
    f.all = all;
    let mut competitive = Counts::default();
    for (method, m) in &f.methods {
        if crate::model::competitive(method) {
            competitive.add(m);
        }
    }
    f.competitive = competitive;
    for g in PROCESSES.count_by("status").fetch()? {
        match g.key.as_deref() {
            Some(status::ACTIVE) => f.tendering = g.count,
            Some(status::CANCELLED | status::UNSUCCESSFUL) => f.cancelled += g.count,
            _ => {}
        }
    }
    Ok(f)
}

/// What the founder keeps of an organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub org: String,
    pub org_name: String,
    pub figures: Figures,
    pub sent_at: String,
}

/// Sends the figures to the founder, when it runs the module too.
pub fn sync() -> Result<()> {
    let Some(founder) = orgs::ancestors()?
        .into_iter()
        .next()
        .filter(|o| o.module_enabled)
    else {
        return Ok(());
    };
    messages::send(&founder.id, KIND, &figures()?)?;
    Ok(())
}

/// Figures from an organization directly below.
pub fn receive(ctx: &Context, message: &Message) -> Result<()> {
    if message.kind != KIND {
        return Ok(());
    }
    let from = message.from_org.as_str();
    let Some(child) = orgs::child(ctx, from) else {
        return message.refuse(
            "procurement.refused",
            "figures come from an organization directly below",
        );
    };
    let Ok(figures) = message.payload::<Figures>() else {
        return message.refuse(
            "procurement.refused",
            "the figures are not ones this version reads",
        );
    };
    let member = Member {
        org: from.to_owned(),
        org_name: child.name,
        figures,
        sent_at: message.sent_at.clone(),
    };
    match MEMBERS.find_by::<Member>("org", from)? {
        // What was sent before and delivered after a newer one changes nothing.
        Some(d) if d.data.sent_at > member.sent_at => Ok(()),
        Some(d) => MEMBERS.update(&d.id, d.version, &member).map(drop),
        None => MEMBERS.insert(&member).map(drop),
    }
}

/// The share `n` of `of`, in per cent.
pub fn share(ctx: &Context, n: u64, of: u64) -> String {
    if of == 0 {
        return "–".to_owned();
    }
    let pct = (n as f64 * 1000.0 / of as f64).round() / 10.0;
    format!("{} %", portico_sdk::numbers::format(pct, ctx.lang()))
}

/// The founder's overview: every organization's figures, and their sum.
pub fn overview(ctx: &Context) -> Result<View> {
    let members = MEMBERS.find().sort("org_name").fetch_all::<Member>(5_000)?;
    let mut all = Counts::default();
    for m in &members {
        all.add(&m.data.figures.all);
    }
    let tendering: u64 = members.iter().map(|m| m.data.figures.tendering).sum();
    let mut competitive = Counts::default();
    for m in &members {
        competitive.add(&m.data.figures.competitive);
    }
    let mut table = Table::new(ctx.tr("Organizations", "Organizace"))
        .column(ctx.tr("Organization", "Organizace"))
        .numeric_column(ctx.tr("Processes", "Zakázky"))
        .numeric_column(ctx.tr("Tendering", "V zadávání"))
        .numeric_column(ctx.tr("Awarded", "Zadané"))
        .numeric_column(ctx.tr(
            "Competitions awarded on a single bid",
            "Soutěže s jedinou nabídkou",
        ))
        .numeric_column(ctx.tr("Direct awards", "Přímá zadání"))
        .numeric_column(ctx.tr("Estimated value", "Předpokládaná hodnota"))
        .numeric_column(ctx.tr("Awarded value", "Hodnota zadaných"))
        .empty_text(ctx.tr(
            "No organization founded by this one has sent its figures yet.",
            "Žádná zřizovaná organizace zatím údaje neposlala.",
        ));
    for m in &members {
        let f = &m.data.figures;
        table = table.row([
            Cell::from(m.data.org_name.clone()),
            f.all.processes.to_string().into(),
            f.tendering.to_string().into(),
            f.all.awarded.to_string().into(),
            format!(
                "{} / {} ({})",
                f.competitive.single_bid,
                f.competitive.awarded,
                share(ctx, f.competitive.single_bid, f.competitive.awarded)
            )
            .into(),
            f.methods
                .get("direct")
                .map_or(0, |m| m.processes)
                .to_string()
                .into(),
            czk(ctx, f.all.estimated_czk).into(),
            czk(ctx, f.all.awarded_czk).into(),
        ]);
    }
    Ok(
        View::new(ctx.tr("Procurement of the organizations", "Zakázky organizací"))
            .stats([
                Stat::new(
                    ctx.tr("Organizations", "Organizace"),
                    members.len().to_string(),
                ),
                Stat::new(ctx.tr("Processes", "Zakázky"), all.processes.to_string()),
                Stat::new(ctx.tr("Tendering", "V zadávání"), tendering.to_string()),
                Stat::new(
                    ctx.tr(
                        "Competitions awarded on a single bid",
                        "Soutěže zadané s jedinou nabídkou",
                    ),
                    share(ctx, competitive.single_bid, competitive.awarded),
                )
                .detail(format!(
                    "{} / {}",
                    competitive.single_bid, competitive.awarded
                )),
                Stat::new(
                    ctx.tr("Awarded value", "Hodnota zadaných"),
                    czk(ctx, all.awarded_czk),
                ),
            ])
            .table(table),
    )
}
