//! The spatial structure: sites, their buildings, the buildings' storeys
//! and the storeys' rooms, as IFC orders them; a room's page lists what
//! stands in it.

use portico_sdk::audit;
use portico_sdk::records::{Document, Filters};
use portico_sdk::{
    Action, Context, Error, Field, Form, FormPost, Outcome, Page, Pager, Result, Table, View,
    folding, numbers, segment,
};

use crate::model::{self, ASSETS, Asset, PLACES, Place, can, clerk, level, level_name};

pub type Errors = Vec<(String, String)>;

/// The event a building entered or changed is published under: its key,
/// name, code, address, floor area (m²) and path.
pub const BUILDING_TOPIC: &str = "assets.building";

/// The most places one organization's structure shows on one page.
const MAX_PLACES: usize = 5_000;
/// Assets a room's page lists at once.
const ROOM_PAGE: u32 = 100;

/// Every place, in the order of the tree.
pub fn all() -> Result<Vec<Document<Place>>> {
    PLACES.find().sort("key").fetch_all(MAX_PLACES)
}

/// The structure, as a table in the order of the tree.
pub fn structure(ctx: &Context) -> Result<View> {
    let places = all()?;
    let mut table = Table::new(ctx.tr(
        "Sites, buildings, storeys and rooms",
        "Areály, budovy, podlaží a místnosti",
    ))
    .column(ctx.tr("Place", "Místo"))
    .column(ctx.tr("Level", "Úroveň"))
    .column(ctx.tr("Parcel, title deed", "Parcela, list vlastnictví"))
    .numeric_column(ctx.tr("Area (m²)", "Plocha (m²)"))
    .empty_text(ctx.tr(
        "No site is entered yet. Start with the site, then its buildings.",
        "Zatím není zapsán žádný areál. Začněte areálem, pak jeho budovami.",
    ));
    for p in &places {
        let depth = p.data.key.matches('/').count();
        let indent = "\u{2003}".repeat(depth);
        let deed = match (p.data.parcel.as_str(), p.data.deed.as_str()) {
            ("", "") => String::new(),
            (parcel, "") => parcel.to_owned(),
            (parcel, deed) => format!("{parcel}, {} {deed}", ctx.tr("title deed", "LV")),
        };
        table = table.row([
            portico_sdk::Cell::link(
                format!("{indent}{}", p.data.label()),
                format!("/places/{}", segment(&p.id)),
            ),
            level_name(ctx, &p.data.kind).into(),
            deed.into(),
            area_text(ctx, p.data.area).into(),
        ]);
    }
    let mut view = View::new(ctx.tr("The structure of the property", "Struktura majetku"));
    if can(ctx, "manage") {
        view = view.actions([Action::primary(
            ctx.tr("Add a site", "Přidat areál"),
            "/places/new",
        )]);
    }
    Ok(view.table(table))
}

/// "Add a building", "Add a storey", "Add a room".
fn add_label(ctx: &Context, kind: &str) -> &'static str {
    match kind {
        level::SITE => ctx.tr("Add a site", "Přidat areál"),
        level::BUILDING => ctx.tr("Add a building", "Přidat budovu"),
        level::STOREY => ctx.tr("Add a storey", "Přidat podlaží"),
        _ => ctx.tr("Add a room", "Přidat místnost"),
    }
}

fn area_text(ctx: &Context, area: f64) -> String {
    if area > 0.0 {
        numbers::format(area, ctx.lang())
    } else {
        String::new()
    }
}

/// A place: what it is, what stands in it; for a room, its assets.
pub fn detail(ctx: &Context, id: &str, page: &Page) -> Result<View> {
    let doc = model::place(id)?;
    let p = &doc.data;
    let mut facts = vec![
        (
            ctx.tr("Level", "Úroveň").to_owned(),
            level_name(ctx, &p.kind).to_owned(),
        ),
        (ctx.tr("Where", "Kde").to_owned(), p.path.clone()),
    ];
    let mut fact = |label: &str, value: String| {
        if !value.is_empty() {
            facts.push((label.to_owned(), value));
        }
    };
    fact(ctx.tr("Address", "Adresa"), p.address.clone());
    fact(
        ctx.tr("Cadastral parcel", "Katastrální parcela"),
        p.parcel.clone(),
    );
    fact(
        ctx.tr("Title deed (LV)", "List vlastnictví"),
        p.deed.clone(),
    );
    fact(
        ctx.tr("Floor area (m²)", "Podlahová plocha (m²)"),
        area_text(ctx, p.area),
    );
    fact(ctx.tr("Used as", "Účel"), p.purpose.clone());
    let mut view = View::new(p.label()).key_values(facts);
    let mut actions = Vec::new();
    if can(ctx, "manage") {
        actions.push(Action::secondary(
            ctx.tr("Edit", "Upravit"),
            format!("/places/{}/edit", segment(id)),
        ));
        if let Some(below) = level::below(&p.kind) {
            actions.push(Action::secondary(
                add_label(ctx, below),
                format!("/places/new?parent={}", segment(id)),
            ));
        }
        if p.kind == level::SPACE || p.kind == level::BUILDING {
            actions.push(Action::primary(
                ctx.tr("Enter an asset here", "Zapsat sem majetek"),
                format!("/assets/new?place={}", segment(&p.key)),
            ));
        }
    }
    if !actions.is_empty() {
        view = view.actions(actions);
    }
    if let Some(below) = level::below(&p.kind) {
        let children: Vec<Document<Place>> = PLACES
            .find()
            .eq("parent", &p.key)
            .sort("key")
            .fetch_all(MAX_PLACES)?;
        let mut table = Table::new(level_name(ctx, below))
            .column(ctx.tr("Place", "Místo"))
            .numeric_column(ctx.tr("Area (m²)", "Plocha (m²)"))
            .empty_text(ctx.tr("Nothing entered yet.", "Zatím nic nezapsáno."));
        for c in &children {
            table = table.row([
                portico_sdk::Cell::link(c.data.label(), format!("/places/{}", segment(&c.id))),
                area_text(ctx, c.data.area).into(),
            ]);
        }
        view = view.table(table);
    }
    // What stands here, a page at a time.
    let found = ASSETS
        .find()
        .eq("place", &p.key)
        .sort("number")
        .limit(ROOM_PAGE)
        .after(page.query("after").map(str::to_owned))
        .fetch::<Asset>()?;
    if p.kind == level::SPACE || !found.documents.is_empty() {
        let mut table = crate::register::asset_table(
            ctx,
            ctx.tr("Assets placed here", "Majetek evidovaný na tomto místě"),
            &found.documents,
            false,
        );
        table = table.empty_text(ctx.tr(
            "No asset is placed here.",
            "Na tomto místě není evidován žádný majetek.",
        ));
        view = view.table(table);
        if let Some(next) = found.next_cursor {
            view = view.pager(Pager::new().next(format!(
                "/places/{}?after={}",
                segment(id),
                segment(&next)
            )));
        }
    }
    Ok(view)
}

/// The form of a new place below `parent`, or of place `id`.
pub fn form_view(
    ctx: &Context,
    parent: Option<&Document<Place>>,
    edited: Option<&Document<Place>>,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let kind = match (edited, parent) {
        (Some(e), _) => e.data.kind.clone(),
        (None, Some(p)) => level::below(&p.data.kind)
            .unwrap_or(level::SPACE)
            .to_owned(),
        (None, None) => level::SITE.to_owned(),
    };
    let kept = edited.map(|e| e.data.clone()).unwrap_or_default();
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let (action, title) = match (edited, parent) {
        (Some(e), _) => (
            format!("/places/{}/edit", segment(&e.id)),
            format!("{}: {}", ctx.tr("Edit", "Upravit"), e.data.label()),
        ),
        (None, Some(p)) => (
            format!("/places/new?parent={}", segment(&p.id)),
            format!("{} – {}", level_name(ctx, &kind), p.data.path),
        ),
        (None, None) => ("/places/new".to_owned(), level_name(ctx, &kind).to_owned()),
    };
    let mut form_ = Form::new(action, ctx.tr("Save", "Uložit"))
        .field(f(Field::text("name", ctx.tr("Name", "Název"))
            .required()
            .value(v("name", &kept.name))))
        .field(f(Field::text(
            "code",
            ctx.tr(
                "Code (a building's letter, a storey's 1NP, a room's number)",
                "Označení (písmeno budovy, podlaží 1NP, číslo místnosti)",
            ),
        )
        .value(v("code", &kept.code))));
    if kind == level::SITE || kind == level::BUILDING {
        form_ = form_
            .field(f(Field::text("address", ctx.tr("Address", "Adresa"))
                .value(v("address", &kept.address))))
            .field(f(Field::text(
                "parcel",
                ctx.tr(
                    "Cadastral area and parcel number",
                    "Katastrální území a číslo parcely",
                ),
            )
            .help(ctx.tr("For example: Veveří, 1234/5", "Například: Veveří, 1234/5"))
            .value(v("parcel", &kept.parcel))))
            .field(f(Field::text(
                "deed",
                ctx.tr("Title deed number (LV)", "Číslo listu vlastnictví"),
            )
            .pattern("[0-9]{1,6}")
            .value(v("deed", &kept.deed))));
    }
    if kind != level::SITE {
        let area = if kept.area > 0.0 {
            kept.area.to_string()
        } else {
            String::new()
        };
        form_ = form_.field(f(Field::number(
            "area",
            ctx.tr("Floor area (m²)", "Podlahová plocha (m²)"),
        )
        .min("0")
        .value(v("area", &area))));
    }
    if kind == level::SPACE {
        form_ = form_.field(f(Field::text(
            "purpose",
            ctx.tr("Used as (classroom, office…)", "Účel (učebna, kancelář…)"),
        )
        .value(v("purpose", &kept.purpose))));
    }
    Ok(View::new(title).form(form_))
}

/// Reads a place from the form onto `p`.
fn read(ctx: &Context, form: &FormPost, p: &mut Place) -> std::result::Result<(), Errors> {
    let mut errors = Errors::new();
    let text = |name: &str, max: usize, errors: &mut Errors| -> String {
        let t = form.get(name).unwrap_or_default().trim().to_owned();
        if t.chars().count() > max {
            errors.push((name.to_owned(), model::too_long(ctx, max)));
        }
        t
    };
    p.name = text("name", 120, &mut errors);
    if p.name.is_empty() {
        errors.push((
            "name".into(),
            ctx.tr("Give the place its name.", "Zadejte název místa.")
                .into(),
        ));
    }
    p.code = text("code", 20, &mut errors);
    p.address = text("address", 200, &mut errors);
    p.parcel = text("parcel", 120, &mut errors);
    p.deed = text("deed", 6, &mut errors);
    if !p.deed.chars().all(|c| c.is_ascii_digit()) {
        errors.push((
            "deed".into(),
            ctx.tr(
                "A title deed's number is digits only, e.g. 10001.",
                "Číslo listu vlastnictví tvoří jen číslice, např. 10001.",
            )
            .into(),
        ));
    }
    p.purpose = text("purpose", 120, &mut errors);
    let area = form
        .get("area")
        .unwrap_or_default()
        .trim()
        .replace(',', ".");
    p.area = if area.is_empty() {
        0.0
    } else {
        match area.parse::<f64>() {
            Ok(a) if (0.0..=10_000_000.0).contains(&a) => a,
            _ => {
                errors.push((
                    "area".into(),
                    ctx.tr(
                        "The area is a number of square metres, e.g. 54.5.",
                        "Plocha je počet metrů čtverečních, např. 54,5.",
                    )
                    .into(),
                ));
                0.0
            }
        }
    };
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Where a place stands: its path below `parent`.
fn placed(p: &mut Place, parent: Option<&Place>) {
    p.path = match parent {
        Some(up) => format!("{} › {}", up.path, p.label()),
        None => p.label(),
    };
}

/// A new place's key below `parent`: its code (or name) folded, with a
/// number added when a place of the same code stands there already.
fn new_key(p: &Place, parent: Option<&Place>) -> Result<String> {
    let own: String = folding::fold(if p.code.is_empty() { &p.name } else { &p.code })
        .chars()
        .map(|c| {
            if c == '/' || c.is_whitespace() {
                '-'
            } else {
                c
            }
        })
        .take(40)
        .collect();
    let base = match parent {
        Some(up) => format!("{}/{own}", up.key),
        None => own,
    };
    let mut key = base.clone();
    let mut n = 1;
    while PLACES.find_by::<Place>("key", &key)?.is_some() {
        n += 1;
        key = format!("{base}-{n}");
    }
    Ok(key)
}

/// Saves a new place, or changes one.
pub fn save(ctx: &Context, page_form: &FormPost, id: Option<&str>) -> Result<Outcome> {
    clerk(ctx)?;
    let edited = id.map(model::place).transpose()?;
    let parent = match &edited {
        Some(e) => model::place_by_key(&e.data.parent)?,
        None => match page_form.query("parent").filter(|p| !p.is_empty()) {
            Some(p) => Some(model::place(p)?),
            None => None,
        },
    };
    if let Some(up) = &parent
        && edited.is_none()
        && level::below(&up.data.kind).is_none()
    {
        return Err(Error::invalid(
            "parent",
            ctx.tr(
                "A room is not divided further.",
                "Místnost už nelze dále členit.",
            ),
        ));
    }
    let mut p = edited
        .as_ref()
        .map(|e| e.data.clone())
        .unwrap_or_else(|| Place {
            kind: parent
                .as_ref()
                .and_then(|up| level::below(&up.data.kind))
                .unwrap_or(level::SITE)
                .to_owned(),
            parent: parent
                .as_ref()
                .map(|up| up.data.key.clone())
                .unwrap_or_default(),
            ..Place::default()
        });
    if let Err(errors) = read(ctx, page_form, &mut p) {
        return Ok(Outcome::Show(form_view(
            ctx,
            parent.as_ref(),
            edited.as_ref(),
            Some(page_form),
            &errors,
        )?));
    }
    placed(&mut p, parent.as_ref().map(|d| &d.data));
    let saved_id = match &edited {
        Some(e) => {
            let moved = e.data.path != p.path;
            PLACES.update(&e.id, e.version, &p)?;
            if moved {
                replace_below(&p)?;
            }
            e.id.clone()
        }
        None => {
            p.key = new_key(&p, parent.as_ref().map(|d| &d.data))?;
            PLACES.insert(&p)?.id
        }
    };
    // A building is one register's: the organization's other modules (the
    // energy module's buildings) take it from here.
    if p.kind == level::BUILDING {
        portico_sdk::events::publish(
            BUILDING_TOPIC,
            &serde_json::json!({
                "key": p.key,
                "name": p.name,
                "code": p.code,
                "address": p.address,
                "area": p.area,
                "path": p.path,
            }),
        )?;
    }
    audit::record(
        ctx,
        if edited.is_some() {
            "assets.place-changed"
        } else {
            "assets.place-added"
        },
        &p.path,
        p.path.clone(),
    )?;
    Ok(Outcome::redirect_with(
        format!("/places/{}", segment(&saved_id)),
        ctx.tr("The place is saved.", "Místo je uloženo."),
    ))
}

/// After a place was renamed, the paths of the places below it follow.
fn replace_below(p: &Place) -> Result<()> {
    let children: Vec<Document<Place>> =
        PLACES.find().eq("parent", &p.key).fetch_all(MAX_PLACES)?;
    for c in children {
        let mut data = c.data;
        placed(&mut data, Some(p));
        PLACES.update(&c.id, c.version, &data)?;
        replace_below(&data)?;
    }
    Ok(())
}

/// The rooms (and other places) an asset can be placed in, as choices.
pub fn choices() -> Result<Vec<(String, String)>> {
    Ok(all()?
        .into_iter()
        .filter(|p| p.data.kind == level::SPACE || p.data.kind == level::BUILDING)
        .map(|p| (p.data.key, p.data.path))
        .collect())
}
