//! The yearly stock-take (inventarizace, vyhláška č. 270/2010 Sb.): a
//! campaign of the organization for a year, with its commission; a list
//! of each place that holds assets, where the commission ticks what it
//! found, writes what it found besides and what stands elsewhere than the
//! register says; and the commission's sign-off, which puts the assets
//! found elsewhere where they stand and lists what is missing.

use std::collections::{HashMap, HashSet};

use portico_sdk::audit;
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, NoticeLevel, Outcome, Result, Table, View,
    calendar, segment,
};
use serde::{Deserialize, Serialize};

use crate::model::{self, ASSETS, Asset, can, czk, date_text};
use crate::places::Errors;

/// The campaigns, one a year.
pub const STOCKTAKES: Collection = Collection::new("stocktakes");
/// What the commission found in a place, one document a place counted.
pub const COUNTS: Collection = Collection::new("counts");

/// The most places and assets a campaign lists.
const MOST: usize = 20_000;

/// A campaign.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Stocktake {
    pub year: String,
    /// The day the state is found as of.
    pub as_of: String,
    pub chair: String,
    pub members: Vec<String>,
    /// `open`, or `signed`.
    pub state: String,
    pub opened_by: String,
    pub signed_by: String,
    pub signed_on: String,
    /// What the sign-off found.
    pub missing: Vec<Line>,
    pub moved: Vec<Line>,
    pub extra: Vec<String>,
    pub counted: u64,
}

/// An asset in a list of differences.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Line {
    pub id: String,
    pub number: String,
    pub name: String,
    /// Where the register had it, and (moved) where it was found, and
    /// that place's key.
    pub place: String,
    pub found: String,
    pub found_key: String,
    pub book_value: f64,
}

/// What the commission found in one place.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Count {
    pub campaign: String,
    pub place: String,
    pub path: String,
    pub expected: u64,
    /// The ids of the assets of the place found there.
    pub found: Vec<String>,
    pub missing: Vec<Line>,
    /// Assets of other places found here.
    pub moved: Vec<Line>,
    /// Things found here that are not in the register.
    pub extra: Vec<String>,
    pub by: String,
    pub on: String,
}

fn counter(ctx: &Context) -> Result<()> {
    if can(ctx, "count") {
        return Ok(());
    }
    Err(Error::forbidden(ctx.tr(
        "Only a member of the stock-take commission may do this.",
        "Toto smí jen člen inventarizační komise.",
    )))
}

fn subject(year: &str) -> String {
    format!("inventura-{year}")
}

/// The campaigns, and the form that opens one.
pub fn home(ctx: &Context, form: Option<&FormPost>, errors: &Errors) -> Result<View> {
    let all = STOCKTAKES
        .find()
        .sort_desc("year")
        .fetch_all::<Stocktake>(100)?;
    let mut table = Table::new(ctx.tr("Stock-takes by year", "Inventarizace podle let"))
        .column(ctx.tr("Year", "Rok"))
        .column(ctx.tr("As of", "Ke dni"))
        .column(ctx.tr("Chair of the commission", "Předseda komise"))
        .column(ctx.tr("State", "Stav"))
        .empty_text(ctx.tr("No stock-take yet.", "Zatím žádná inventarizace."));
    for s in &all {
        table = table.row([
            Cell::link(
                s.data.year.clone(),
                format!("/stocktake/{}", segment(&s.id)),
            ),
            date_text(ctx, &s.data.as_of).into(),
            s.data.chair.clone().into(),
            state_text(ctx, &s.data).into(),
        ]);
    }
    let mut view = View::new(ctx.tr("Stock-take", "Inventarizace"))
        .text(ctx.tr(
                        "Once a year the commission finds what the organization really holds, in every place, and compares it with the register (vyhláška č. 270/2010 Sb.).",
            "Jednou ročně komise zjistí skutečný stav majetku organizace na všech místech a porovná ho s evidencí (vyhláška č. 270/2010 Sb.).",
        ))
        .table(table);
    if can(ctx, "manage") {
        let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
        let f = |field: Field| field.error_among(errors);
        // The first year without a stock-take, from this one.
        let this: i32 = calendar::today()
            .format("%Y")
            .to_string()
            .parse()
            .unwrap_or(2026);
        let year = (this..this + 5)
            .map(|y| y.to_string())
            .find(|y| all.iter().all(|s| s.data.year != *y))
            .unwrap_or_else(|| this.to_string());
        view = view
            .heading_at(2, ctx.tr("Open a stock-take", "Zahájit inventarizaci"))
            .form(
                Form::new("/stocktake", ctx.tr("Open", "Zahájit"))
                    .field(f(Field::number("year", ctx.tr("Year", "Rok"))
                        .required()
                        .min("2000")
                        .max("2100")
                        .value(v("year", &year))))
                    .field(f(Field::date(
                        "as_of",
                        ctx.tr("The state as of", "Stav ke dni"),
                    )
                    .required()
                    .value(v("as_of", &format!("{year}-12-31")))))
                    .field(f(Field::text(
                        "chair",
                        ctx.tr("Chair of the commission", "Předseda inventarizační komise"),
                    )
                    .required()
                    .value(v("chair", ""))))
                    .field(f(Field::textarea(
                        "members",
                        ctx.tr(
                            "The other members, one a line",
                            "Další členové komise, jeden na řádek",
                        ),
                    )
                    .required()
                    .value(v("members", ""))
                    .help(ctx.tr(
                        "The commission has at least two members.",
                        "Komise má nejméně dva členy.",
                    )))),
            );
    }
    Ok(view)
}

fn state_text(ctx: &Context, s: &Stocktake) -> String {
    if s.state == "signed" {
        format!(
            "{} {}",
            ctx.tr("Signed off on", "Podepsáno dne"),
            date_text(ctx, &s.signed_on)
        )
    } else {
        ctx.tr("Under way", "Probíhá").to_owned()
    }
}

/// Opens a campaign.
pub fn open(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    model::clerk(ctx)?;
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let mut errors = Errors::new();
    let year = text("year");
    let y: i32 = year.parse().unwrap_or(0);
    if !(2000..=2100).contains(&y) {
        errors.push((
            "year".into(),
            ctx.tr("A year, e.g. 2026.", "Rok, např. 2026.").into(),
        ));
    } else if STOCKTAKES.find_by::<Stocktake>("year", &year)?.is_some() {
        errors.push((
            "year".into(),
            ctx.tr(
                "The stock-take of this year is already open.",
                "Inventarizace tohoto roku už je zahájena.",
            )
            .into(),
        ));
    }
    let as_of = calendar::parse_date(&text("as_of"));
    if as_of.is_none() {
        errors.push((
            "as_of".into(),
            ctx.tr(
                "Write the day as 2026-12-31.",
                "Den zapište jako 2026-12-31.",
            )
            .into(),
        ));
    }
    let chair = text("chair");
    let members = model::lines(&text("members"), 120);
    if chair.is_empty() || chair.chars().count() > 120 {
        errors.push((
            "chair".into(),
            ctx.tr(
                "Name the chair of the commission.",
                "Uveďte předsedu komise.",
            )
            .into(),
        ));
    }
    if members.is_empty() || members.len() > 20 {
        errors.push((
            "members".into(),
            ctx.tr(
                "The commission has at least two members: name at least one besides the chair.",
                "Komise má nejméně dva členy: uveďte kromě předsedy alespoň jednoho.",
            )
            .into(),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(home(ctx, Some(form), &errors)?));
    }
    let s = Stocktake {
        year: year.clone(),
        as_of: as_of.map(|d| d.to_string()).unwrap_or_default(),
        chair,
        members,
        state: "open".into(),
        opened_by: ctx.person(),
        ..Stocktake::default()
    };
    let id = STOCKTAKES.insert(&s)?.id;
    audit::record(
        ctx,
        "assets.stocktake-opened",
        &subject(&year),
        s.chair.clone(),
    )?;
    Ok(Outcome::redirect_with(
        format!("/stocktake/{}", segment(&id)),
        ctx.tr("The stock-take is open.", "Inventarizace je zahájena."),
    ))
}

/// Places, each with how many assets it holds.
type Held = Vec<(Document<model::Place>, u64)>;

/// The places holding assets, with how many each holds, in the order of
/// the tree; and how many assets are held without a place.
fn places_held() -> Result<(Held, u64)> {
    let mut held: HashMap<String, u64> = HashMap::new();
    for g in ASSETS.count_by("place").eq("held", 1).fetch()? {
        held.insert(g.key.unwrap_or_default(), g.count);
    }
    let unplaced = held.remove("").unwrap_or(0);
    let places = crate::places::all()?
        .into_iter()
        .filter_map(|p| held.get(&p.data.key).map(|n| (p.clone(), *n)))
        .collect();
    Ok((places, unplaced))
}

/// A campaign: each place and what was found there, the differences, and
/// the sign-off.
pub fn detail(ctx: &Context, id: &str, errors: &Errors) -> Result<View> {
    let doc = STOCKTAKES.get::<Stocktake>(id)?;
    let s = &doc.data;
    let counts = counts_of(id)?;
    let mut view = View::new(format!(
        "{} {}",
        ctx.tr("Stock-take", "Inventarizace"),
        s.year
    ))
    .key_values([
        (
            ctx.tr("As of", "Ke dni").to_owned(),
            date_text(ctx, &s.as_of),
        ),
        (
            ctx.tr("Commission", "Inventarizační komise").to_owned(),
            format!(
                "{} ({}), {}",
                s.chair,
                ctx.tr("chair", "předseda"),
                s.members.join(", ")
            ),
        ),
        (ctx.tr("State", "Stav").to_owned(), state_text(ctx, s)),
    ])
    .actions([Action::secondary(
        ctx.tr("All stock-takes", "Všechny inventarizace"),
        "/stocktake",
    )]);
    if s.state == "signed" {
        view = view.key_values([(
            ctx.tr("Assets found", "Nalezeno položek majetku")
                .to_owned(),
            s.counted.to_string(),
        )]);
        return Ok(differences(ctx, view, s));
    }
    let (places, unplaced) = places_held()?;
    let mut table = Table::new(ctx.tr("Inventory lists by place", "Inventurní soupisy podle míst"))
        .column(ctx.tr("Place", "Místo"))
        .numeric_column(ctx.tr("In the register", "V evidenci"))
        .numeric_column(ctx.tr("Found", "Nalezeno"))
        .numeric_column(ctx.tr("Missing", "Chybí"))
        .column(ctx.tr("Listed", "Sepsáno"))
        .empty_text(ctx.tr(
            "No asset stands in any place yet.",
            "Zatím nikde nestojí žádný majetek.",
        ));
    let mut left = 0;
    for (p, n) in &places {
        let c = counts.get(&p.data.key);
        if !listed(c, *n) {
            left += 1;
        }
        table = table.row([
            Cell::link(
                p.data.path.clone(),
                format!("/stocktake/{}/{}", segment(id), segment(&p.id)),
            ),
            n.to_string().into(),
            c.map_or_else(|| "—".to_owned(), |c| c.found.len().to_string())
                .into(),
            c.map_or_else(|| "—".to_owned(), |c| c.missing.len().to_string())
                .into(),
            match c {
                None => ctx.tr("Not yet", "Zatím ne").to_owned(),
                Some(c) if !listed(Some(c), *n) => ctx
                    .tr(
                        "The register changed since: list it again",
                        "Evidence se od té doby změnila: sepište znovu",
                    )
                    .to_owned(),
                Some(c) => format!("{}, {}", date_text(ctx, &c.on), c.by),
            }
            .into(),
        ]);
    }
    view = view.table(table);
    if unplaced > 0 {
        view = view.notice(
            NoticeLevel::Warning,
            format!(
                "{} {unplaced}",
                ctx.tr(
                    "Assets held without a place are on no list; place them first. Their number:",
                    "Majetek bez umístění není v žádném soupisu; nejdřív ho umístěte. Počet položek:",
                )
            ),
        );
    }
    if can(ctx, "count") {
        view = view.heading_at(2, ctx.tr("The commission's sign-off", "Podpis komise"));
        if left > 0 {
            view = view.notice(
                NoticeLevel::Info,
                format!(
                    "{} {left}",
                    ctx.tr(
                        "The commission signs off when every place is listed. Places left:",
                        "Komise podepíše, až bude sepsáno každé místo. Zbývá míst:",
                    )
                ),
            );
        } else {
            view = view.form(
                Form::new(format!("/stocktake/{}", segment(id)), ctx.tr("Sign off", "Podepsat"))
                    .field(Field::checkboxes(
                        "agreed",
                        ctx.tr("The commission", "Komise"),
                        [(
                            "yes",
                            ctx.tr(
                                "We have found the state in every place and agree with the lists",
                                "Zjistili jsme skutečný stav na všech místech a souhlasíme se soupisy",
                            ),
                        )],
                    )
                    .required()
                    .error_among(errors)),
            );
        }
    }
    Ok(view)
}

/// The differences a signed campaign found.
fn differences(ctx: &Context, view: View, s: &Stocktake) -> View {
    let missing = line_table(
        ctx,
        ctx.tr("Missing (shortages)", "Chybějící majetek (manka)"),
        ctx.tr("Nothing is missing.", "Nic nechybí."),
        &s.missing,
        false,
    );
    let moved = line_table(
        ctx,
        ctx.tr(
            "Found elsewhere (moved in the register)",
            "Nalezeno jinde (přemístěno v evidenci)",
        ),
        ctx.tr("Nothing was elsewhere.", "Nic nebylo jinde."),
        &s.moved,
        true,
    );
    let mut extra = Table::new(ctx.tr(
        "Found, not in the register (surpluses)",
        "Nalezeno, není v evidenci (přebytky)",
    ))
    .column(ctx.tr("What, and where", "Co a kde"))
    .empty_text(ctx.tr("No surplus.", "Žádné přebytky."));
    for e in &s.extra {
        extra = extra.row([Cell::from(e.clone())]);
    }
    view.table(missing).table(moved).table(extra)
}

/// A table of assets a campaign found missing, or found elsewhere when
/// `moved`: where the register had each, and its book value or where it
/// was found.
fn line_table(ctx: &Context, title: &str, empty: &str, lines: &[Line], moved: bool) -> Table {
    let mut table = Table::new(title)
        .column(ctx.tr("Inventory number", "Inventární číslo"))
        .column(ctx.tr("Name", "Název"))
        .column(ctx.tr("In the register", "Podle evidence"));
    table = if moved {
        table.column(ctx.tr("Found in", "Nalezeno v"))
    } else {
        table.numeric_column(ctx.tr("Book value", "Zůstatková cena"))
    };
    for l in lines {
        table = table.row([
            Cell::link(l.number.clone(), format!("/assets/{}", segment(&l.id))),
            l.name.clone().into(),
            l.place.clone().into(),
            if moved {
                l.found.clone()
            } else {
                czk(ctx, l.book_value)
            }
            .into(),
        ]);
    }
    table.empty_text(empty)
}

/// Whether a place holding `held` assets has its list, written for what
/// it holds now: an asset entered, moved in or out since asks for the
/// list again.
fn listed(c: Option<&Count>, held: u64) -> bool {
    c.is_some_and(|c| (c.found.len() + c.missing.len()) as u64 == held)
}

/// The list of the place of `key` in campaign `id`, once written.
fn count_of(id: &str, key: &str) -> Result<Option<Document<Count>>> {
    Ok(COUNTS
        .find()
        .eq("campaign", id)
        .eq("place", key)
        .limit(1)
        .fetch::<Count>()?
        .documents
        .into_iter()
        .next())
}

/// The counts of campaign `id`, by place key.
fn counts_of(id: &str) -> Result<HashMap<String, Count>> {
    Ok(COUNTS
        .find()
        .eq("campaign", id)
        .fetch_all::<Count>(MOST)?
        .into_iter()
        .map(|c| (c.data.place.clone(), c.data))
        .collect())
}

/// The inventory list of place `place` in campaign `id`.
pub fn list_view(
    ctx: &Context,
    id: &str,
    place: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let s = STOCKTAKES.get::<Stocktake>(id)?.data;
    let p = model::place(place)?.data;
    let kept = count_of(id, &p.key)?.map(|d| d.data);
    let assets = held_in(&p.key)?;
    let mut view = View::new(format!(
        "{}: {}",
        ctx.tr("Inventory list", "Inventurní soupis"),
        p.label()
    ))
    .key_values([
        (ctx.tr("Place", "Místo").to_owned(), p.path.clone()),
        (
            ctx.tr("Stock-take", "Inventarizace").to_owned(),
            format!(
                "{}, {} {}",
                s.year,
                ctx.tr("as of", "ke dni"),
                date_text(ctx, &s.as_of)
            ),
        ),
    ])
    .actions([Action::secondary(
        format!(
            "{} {}",
            ctx.tr("Back to the stock-take", "Zpět na inventarizaci"),
            s.year
        ),
        format!("/stocktake/{}", segment(id)),
    )]);
    if s.state == "signed" {
        return Ok(view.notice(
            NoticeLevel::Info,
            ctx.tr(
                "The stock-take is signed off; its lists no longer change.",
                "Inventarizace je podepsána; její soupisy se už nemění.",
            ),
        ));
    }
    if !can(ctx, "count") {
        let mut table = Table::new(ctx.tr("In the register", "V evidenci"))
            .column(ctx.tr("Inventory number", "Inventární číslo"))
            .column(ctx.tr("Name", "Název"));
        for a in &assets {
            table = table.row([a.data.card.number.clone(), a.data.card.name.clone()]);
        }
        return Ok(view.table(table));
    }
    let ticked: Vec<String> = match (form, &kept) {
        (Some(f), _) => f.all("found").map(str::to_owned).collect(),
        (None, Some(k)) => k.found.clone(),
        (None, None) => Vec::new(),
    };
    let kept_lines = |l: &[String]| l.join("\n");
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let moved_kept = kept
        .as_ref()
        .map(|k| k.moved.iter().map(|l| l.number.clone()).collect::<Vec<_>>())
        .unwrap_or_default();
    let extra_kept = kept.as_ref().map(|k| k.extra.clone()).unwrap_or_default();
    let choices: Vec<(String, String)> = assets
        .iter()
        .map(|a| {
            (
                a.id.clone(),
                format!("{} {}", a.data.card.number, a.data.card.name),
            )
        })
        .collect();
    view = view.text(ctx.tr(
        "Tick each asset the commission found here, and write down what else stands here.",
        "Zaškrtněte každou položku majetku, kterou komise zde našla, a dopište, co tu stojí navíc.",
    ));
    let mut form_ = Form::new(
        format!("/stocktake/{}/{}", segment(id), segment(place)),
        ctx.tr("Save the list", "Uložit soupis"),
    );
    if !choices.is_empty() {
        form_ = form_.field(f(Field::checkboxes(
            "found",
            ctx.tr("Found here", "Nalezeno zde"),
            choices,
        )
        .selected(ticked)));
    }
    form_ = form_
        .field(f(Field::textarea(
            "moved",
            ctx.tr("Assets from elsewhere found here", "Majetek odjinud nalezený zde"),
        )
        .value(v("moved", &kept_lines(&moved_kept)))
        .help(ctx.tr(
            "Their inventory numbers, one a line. The register moves them here when the commission signs off.",
            "Jejich inventární čísla, jedno na řádek. Po podpisu komise je evidence přemístí sem.",
        ))))
        .field(f(Field::textarea(
            "extra",
            ctx.tr("Found here, not in the register", "Nalezeno zde, není v evidenci"),
        )
        .value(v("extra", &kept_lines(&extra_kept)))
        .help(ctx.tr(
            "One thing a line, described so that it can be found.",
            "Jedna věc na řádek, popsaná tak, aby se dala najít.",
        ))));
    Ok(view.form(form_))
}

/// The assets held in the place of `key`.
fn held_in(key: &str) -> Result<Vec<Document<Asset>>> {
    ASSETS
        .find()
        .eq("place", key)
        .eq("held", 1)
        .sort("number")
        .fetch_all(MOST)
}

/// Saves the inventory list of place `place` in campaign `id`.
pub fn count(ctx: &Context, id: &str, place: &str, form: &FormPost) -> Result<Outcome> {
    counter(ctx)?;
    let s = STOCKTAKES.get::<Stocktake>(id)?.data;
    if s.state == "signed" {
        return Ok(Outcome::Show(list_view(
            ctx,
            id,
            place,
            None,
            &Errors::new(),
        )?));
    }
    let p = model::place(place)?.data;
    let assets = held_in(&p.key)?;
    let mut found: HashSet<String> = form.all("found").map(str::to_owned).collect();
    let as_of = calendar::parse_date(&s.as_of).unwrap_or_else(calendar::today);
    let line = |a: &Document<Asset>| Line {
        id: a.id.clone(),
        number: a.data.card.number.clone(),
        name: a.data.card.name.clone(),
        place: model::path_of(&a.data.place),
        found: p.path.clone(),
        found_key: p.key.clone(),
        book_value: model::book_value(&a.data.card, as_of),
    };
    let mut errors = Errors::new();
    let mut moved = Vec::new();
    let (mut unknown, mut gone) = (Vec::new(), Vec::new());
    for number in form.get("moved").unwrap_or_default().lines().map(str::trim) {
        if number.is_empty() {
            continue;
        }
        match ASSETS.find_by::<Asset>("number", number)? {
            Some(a) if a.data.held == 1 && a.data.place != p.key => moved.push(line(&a)),
            // Its own, written by its number: found here.
            Some(a) if a.data.held == 1 => {
                found.insert(a.id);
            }
            Some(_) => gone.push(number.to_owned()),
            None => unknown.push(number.to_owned()),
        }
    }
    for (numbers, en, cs) in [
        (
            &unknown,
            "Not in the register (write it among the things not in the register):",
            "Není v evidenci (zapište mezi věci, které v evidenci nejsou):",
        ),
        (
            &gone,
            "No longer held: transferred or written off:",
            "Organizace už je nemá, byly převedeny nebo vyřazeny:",
        ),
    ] {
        if !numbers.is_empty() {
            errors.push((
                "moved".into(),
                format!("{} {}", ctx.tr(en, cs), numbers.join(", ")),
            ));
        }
    }
    let extra = model::lines(form.get("extra").unwrap_or_default(), 200);
    if extra.len() > 200 || moved.len() > 500 {
        errors.push((
            "extra".into(),
            ctx.tr("At most 200 lines.", "Nejvýše 200 řádků.").into(),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(list_view(
            ctx,
            id,
            place,
            Some(form),
            &errors,
        )?));
    }
    let c = Count {
        campaign: id.into(),
        place: p.key.clone(),
        path: p.path.clone(),
        expected: assets.len() as u64,
        found: assets
            .iter()
            .filter(|a| found.contains(a.id.as_str()))
            .map(|a| a.id.clone())
            .collect(),
        missing: assets
            .iter()
            .filter(|a| !found.contains(a.id.as_str()))
            .map(line)
            .collect(),
        moved,
        extra,
        by: ctx.person(),
        on: calendar::today().to_string(),
    };
    match count_of(id, &p.key)? {
        Some(k) => COUNTS.update(&k.id, k.version, &c)?,
        None => COUNTS.insert(&c)?,
    };
    audit::record(
        ctx,
        "assets.counted",
        &subject(&s.year),
        format!(
            "{}: {}/{}, {} {}",
            p.path,
            c.found.len(),
            c.expected,
            c.missing.len(),
            ctx.tr("missing", "chybí")
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/stocktake/{}", segment(id)),
        format!("{} {}", ctx.tr("Listed:", "Sepsáno:"), p.path),
    ))
}

/// The commission signs campaign `id` off: what was found elsewhere moves
/// there in the register, what was found nowhere is listed as missing.
pub fn sign(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    counter(ctx)?;
    let doc = STOCKTAKES.get::<Stocktake>(id)?;
    let mut s = doc.data.clone();
    if s.state == "signed" {
        return Ok(Outcome::redirect(format!("/stocktake/{}", segment(id))));
    }
    if !form.all("agreed").any(|a| a == "yes") {
        let errors = vec![(
            "agreed".to_owned(),
            ctx.tr(
                "The commission signs by ticking its agreement.",
                "Komise podepisuje zaškrtnutím souhlasu.",
            )
            .to_owned(),
        )];
        return Ok(Outcome::Show(detail(ctx, id, &errors)?));
    }
    let counts = counts_of(id)?;
    let (places, _) = places_held()?;
    if places
        .iter()
        .any(|(p, n)| !listed(counts.get(&p.data.key), *n))
    {
        return Ok(Outcome::Show(detail(ctx, id, &Errors::new())?));
    }
    // Found is found, wherever: an asset ticked in one place or written
    // as moved to another is missing from neither; each asset once.
    let found: HashSet<&str> = counts
        .values()
        .flat_map(|c| c.found.iter().map(String::as_str))
        .collect();
    let mut moved: Vec<Line> = counts
        .values()
        .flat_map(|c| c.moved.iter())
        .filter(|l| !found.contains(l.id.as_str()))
        .cloned()
        .collect();
    moved.sort_by(|a, b| a.number.cmp(&b.number));
    moved.dedup_by(|a, b| a.id == b.id);
    let elsewhere: HashSet<&str> = counts
        .values()
        .flat_map(|c| c.moved.iter().map(|l| l.id.as_str()))
        .collect();
    let mut missing: Vec<Line> = counts
        .values()
        .flat_map(|c| c.missing.iter())
        .filter(|l| !found.contains(l.id.as_str()) && !elsewhere.contains(l.id.as_str()))
        .cloned()
        .collect();
    missing.sort_by(|a, b| a.number.cmp(&b.number));
    missing.dedup_by(|a, b| a.id == b.id);
    s.counted = (found.len() + moved.len()) as u64;
    s.extra = counts
        .values()
        .flat_map(|c| c.extra.iter().map(|e| format!("{}: {e}", c.path)))
        .collect();
    s.extra.sort();
    s.missing = missing;
    s.moved = moved;
    s.state = "signed".into();
    s.signed_by = ctx.person();
    s.signed_on = calendar::today().to_string();
    // Signed first, with its version: two signing at once sign once, and
    // the register is changed once.
    STOCKTAKES.update(id, doc.version, &s)?;
    // The register follows what the commission found, for what it still
    // holds.
    let year = format!("{} {}", ctx.tr("Stock-take", "Inventarizace"), s.year);
    for l in &s.moved {
        let doc = model::asset(&l.id)?;
        if doc.data.held == 0 || l.found_key.is_empty() {
            continue;
        }
        let mut a = doc.data;
        a.place.clone_from(&l.found_key);
        a.step(ctx, "moved", format!("{year}: {}", l.found));
        ASSETS.update(&doc.id, doc.version, &a)?;
    }
    for l in &s.missing {
        let doc = model::asset(&l.id)?;
        if doc.data.held == 0 {
            continue;
        }
        let mut a = doc.data;
        a.step(ctx, "missing", year.clone());
        ASSETS.update(&doc.id, doc.version, &a)?;
    }
    audit::record(
        ctx,
        "assets.stocktake-signed",
        &subject(&s.year),
        format!(
            "{} {}, {} {}, {} {}",
            s.counted,
            ctx.tr("found", "nalezeno"),
            s.missing.len(),
            ctx.tr("missing", "chybí"),
            s.extra.len(),
            ctx.tr("surplus", "přebytků")
        ),
    )?;
    Ok(Outcome::redirect_with(
        format!("/stocktake/{}", segment(id)),
        ctx.tr(
            "The stock-take is signed off.",
            "Inventarizace je podepsána.",
        ),
    ))
}
