//! The register: its search, the asset cards, entering and changing an
//! asset, and its printable QR label.

use std::collections::HashMap;

use chrono::NaiveDate;
use portico_sdk::audit;
use portico_sdk::records::{Document, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, Outcome, Page, Pager, Request, Response,
    Result, Stat, Table, TimelineEntry, View, calendar, folding, numbers, segment,
};
use qrcode::{Color, QrCode};

use crate::model::{
    self, ACCOUNTS, ASSETS, Asset, Card, account_name, book_value, can, charged, clerk, czk,
    date_text, depreciated, state, state_name, yearly,
};
use crate::places::{self, Errors};

/// Assets one page of the register or of a search shows.
const PAGE: u32 = 50;

/// The register: its figures, the search, and the assets held.
pub fn home(ctx: &Context, page: &Page) -> Result<View> {
    let q = page.query("q").unwrap_or_default().trim().to_owned();
    let (mut held, mut cost) = (0, 0.0);
    for g in ASSETS.count_by("held").sum("cost").fetch()? {
        if g.key.as_deref() == Some("1") {
            held = g.count;
            cost = g.sum.unwrap_or(0.0);
        }
    }
    let mut on_offer = 0;
    for g in ASSETS.count_by("state").fetch()? {
        if matches!(
            g.key.as_deref(),
            Some(state::OFFERED | state::RESERVED | state::UNCLAIMED | state::PUBLIC)
        ) {
            on_offer += g.count;
        }
    }
    let mut view = View::new(ctx.tr("Property", "Majetek"))
        .stats([
            Stat::new(ctx.tr("Assets held", "Evidovaný majetek"), held.to_string()),
            Stat::new(ctx.tr("Acquisition cost", "Pořizovací cena"), czk(ctx, cost)),
            Stat::new(
                ctx.tr("Surplus on offer", "Nabízený nepotřebný majetek"),
                on_offer.to_string(),
            )
            .link("/surplus"),
        ])
        .form(
            Form::new("/", ctx.tr("Search", "Hledat")).field(
                Field::text("q", ctx.tr("Inventory number or name", "Inventární číslo nebo název"))
                    .value(q.clone())
                    .help(ctx.tr(
                        "An inventory number, or the start of its name: with or without diacritics, in any case.",
                        "Inventární číslo, nebo začátek názvu: s diakritikou i bez ní, velkými i malými písmeny.",
                    )),
            ),
        );
    let mut actions = vec![
        Action::secondary(
            ctx.tr("Sites, buildings and rooms", "Areály, budovy a místnosti"),
            "/places",
        ),
        Action::secondary(ctx.tr("Maintenance", "Údržba"), "/maintenance"),
        Action::secondary(ctx.tr("Stock-take", "Inventarizace"), "/stocktake"),
    ];
    if can(ctx, "manage") {
        actions.insert(
            0,
            Action::primary(ctx.tr("Enter an asset", "Zapsat majetek"), "/assets/new"),
        );
    }
    view = view.actions(actions);
    let after = page.query("after").map(str::to_owned);
    let (title, found) = if q.is_empty() {
        (
            ctx.tr("Assets held", "Evidovaný majetek").to_owned(),
            ASSETS
                .find()
                .eq("held", 1)
                .sort("number")
                .limit(PAGE)
                .after(after)
                .fetch::<Asset>()?,
        )
    } else {
        (
            format!("{} „{q}“", ctx.tr("Found for", "Nalezeno pro")),
            search(&q, after)?,
        )
    };
    let table = asset_table(ctx, &title, &found.documents, true).empty_text(if q.is_empty() {
        ctx.tr(
            "No asset is entered yet.",
            "Zatím není zapsán žádný majetek.",
        )
    } else {
        ctx.tr(
            "Nothing found. Try the inventory number, or fewer letters of the name.",
            "Nic nenalezeno. Zkuste inventární číslo, nebo méně písmen z názvu.",
        )
    });
    view = view.table(table);
    if let Some(next) = found.next_cursor {
        let q_part = if q.is_empty() {
            String::new()
        } else {
            format!("q={}&", segment(&q))
        };
        view = view.pager(Pager::new().next(format!("/?{q_part}after={}", segment(&next))));
    }
    Ok(view)
}

/// Assets whose inventory number, or whose name, starts with `q`.
fn search(q: &str, after: Option<String>) -> Result<portico_sdk::records::Found<Asset>> {
    let by_number = q.starts_with(|c: char| c.is_ascii_digit());
    let find = if by_number {
        ASSETS.find().prefix("number", q).sort("number")
    } else {
        ASSETS.find().prefix("key", folding::fold(q)).sort("key")
    };
    find.limit(PAGE).after(after).fetch()
}

/// A table of assets, with where each stands when `placed`.
pub fn asset_table(ctx: &Context, title: &str, assets: &[Document<Asset>], placed: bool) -> Table {
    let mut table = Table::new(title).column(ctx.tr("Inventory number", "Inventární číslo"));
    table = table.column(ctx.tr("Name", "Název"));
    if placed {
        table = table.column(ctx.tr("Where", "Umístění"));
    }
    table = table
        .numeric_column(ctx.tr("Acquisition cost", "Pořizovací cena"))
        .column(ctx.tr("State", "Stav"));
    let mut paths: HashMap<String, String> = HashMap::new();
    for a in assets {
        let mut cells: Vec<Cell> = vec![
            Cell::link(
                a.data.card.number.clone(),
                format!("/assets/{}", segment(&a.id)),
            ),
            a.data.card.name.clone().into(),
        ];
        if placed {
            let path = if a.data.place.is_empty() {
                String::new()
            } else {
                paths
                    .entry(a.data.place.clone())
                    .or_insert_with(|| model::path_of(&a.data.place))
                    .clone()
            };
            cells.push(path.into());
        }
        cells.push(czk(ctx, a.data.card.cost).into());
        cells.push(state_name(ctx, &a.data.state).into());
        table = table.row(cells);
    }
    table
}

/// An asset's card.
pub fn detail(ctx: &Context, id: &str) -> Result<View> {
    let doc = model::asset(id)?;
    let a = &doc.data;
    let c = &a.card;
    let today = calendar::today();
    let where_ = if a.place.is_empty() {
        ctx.tr("Not placed", "Neumístěno").to_owned()
    } else {
        model::path_of(&a.place)
    };
    let mut facts: Vec<(String, String)> = vec![
        (
            ctx.tr("Inventory number", "Inventární číslo").into(),
            c.number.clone(),
        ),
        (
            ctx.tr("State", "Stav").into(),
            state_name(ctx, &a.state).into(),
        ),
        (
            ctx.tr("Account", "Účet").into(),
            account_name(ctx, &c.account),
        ),
        (
            ctx.tr("Acquisition cost", "Pořizovací cena").into(),
            czk(ctx, c.cost),
        ),
        (
            ctx.tr("Acquired", "Datum pořízení").into(),
            date_text(ctx, &c.acquired),
        ),
        (
            ctx.tr("Put into use", "Uvedeno do užívání").into(),
            date_text(ctx, &c.in_use),
        ),
    ];
    if depreciated(&c.account) && c.life_years > 0 {
        facts.push((
            ctx.tr("Depreciation plan", "Odpisový plán").into(),
            format!(
                "{} {}, {} {}",
                c.life_years,
                years(ctx, c.life_years),
                czk(ctx, yearly(c)),
                ctx.tr("a year", "ročně"),
            ),
        ));
        facts.push((
            ctx.tr("Depreciation charged", "Oprávky").into(),
            czk(ctx, charged(c, today)),
        ));
    }
    facts.push((
        ctx.tr("Book value", "Zůstatková cena").into(),
        czk(ctx, book_value(c, today)),
    ));
    if a.held == 1 {
        facts.push((ctx.tr("Where", "Umístění").into(), where_));
    }
    let mut fact = |label: &str, value: &str| {
        if !value.is_empty() {
            facts.push((label.to_owned(), value.to_owned()));
        }
    };
    fact(ctx.tr("Responsible", "Odpovědná osoba"), &a.responsible);
    fact(ctx.tr("Serial number", "Výrobní číslo"), &c.serial);
    fact(ctx.tr("Note", "Poznámka"), &c.note);
    if !a.offer_until.is_empty() && a.state == state::OFFERED {
        fact(
            ctx.tr("Offered until", "Nabízeno do"),
            &date_text(ctx, &a.offer_until),
        );
    }
    if a.state == state::RESERVED {
        fact(ctx.tr("Reserved by", "Rezervovala"), &a.reserved_by);
    }
    fact(ctx.tr("Written off", "Vyřazení"), &a.write_off);
    let mut view = View::new(format!("{} {}", c.number, c.name)).key_values(facts);
    let mut actions = crate::surplus::actions(ctx, id, a);
    let plans = crate::maintenance::plans_of(a)?;
    actions.extend(crate::maintenance::actions(ctx, id, a, &plans));
    if a.held == 1 && can(ctx, "manage") {
        actions.push(Action::secondary(
            ctx.tr("Photos and documents", "Fotografie a dokumenty"),
            format!("/assets/{}/files", segment(id)),
        ));
    }
    view = view.actions(actions);
    if !a.files.is_empty() {
        view = view.table(crate::maintenance::files_table(
            ctx,
            ctx.tr("Photos and documents", "Fotografie a dokumenty"),
            id,
            &a.files,
        ));
    }
    view = crate::maintenance::on_card(ctx, a, &plans, view)?;
    for (title, p) in [
        (ctx.tr("Received from", "Převzato od"), &a.origin),
        (
            ctx.tr("Transferred to", "Převedeno organizaci"),
            &a.transfer,
        ),
    ] {
        if let Some(p) = p {
            view = view
                .heading_at(
                    2,
                    format!(
                        "{title}: {}",
                        if a.origin.as_ref() == Some(p) {
                            &p.from_name
                        } else {
                            &p.to_name
                        }
                    ),
                )
                .key_values(protocol_facts(ctx, p));
        }
    }
    let steps: Vec<TimelineEntry> = a
        .history
        .iter()
        .rev()
        .map(|s| {
            TimelineEntry::new(
                calendar::format_stamp(&s.at, ctx.lang()),
                step_name(ctx, &s.what),
            )
            .text(s.text.clone())
        })
        .collect();
    if !steps.is_empty() {
        view = view
            .heading_at(2, ctx.tr("History", "Historie"))
            .timeline(steps);
    }
    Ok(view)
}

/// "years, straight-line", in the number `n` asks for.
fn years(ctx: &Context, n: u32) -> &'static str {
    match n {
        1 => ctx.tr("year, straight-line", "rok, rovnoměrně"),
        2..=4 => ctx.tr("years, straight-line", "roky, rovnoměrně"),
        _ => ctx.tr("years, straight-line", "let, rovnoměrně"),
    }
}

/// What a transfer protocol says.
pub fn protocol_facts(ctx: &Context, p: &model::Protocol) -> Vec<(String, String)> {
    vec![
        (
            ctx.tr("Transfer protocol", "Předávací protokol").into(),
            p.number.clone(),
        ),
        (ctx.tr("Date", "Datum").into(), date_text(ctx, &p.date)),
        (ctx.tr("From", "Předávající").into(), p.from_name.clone()),
        (ctx.tr("To", "Přejímající").into(), p.to_name.clone()),
        (
            ctx.tr(
                "With the consent of the founder",
                "Se souhlasem zřizovatele",
            )
            .into(),
            format!("{} ({})", p.founder, p.approved_by),
        ),
        (
            ctx.tr("Inventory number there", "Inventární číslo u předávajícího")
                .into(),
            p.card.number.clone(),
        ),
        (
            ctx.tr("Acquisition cost", "Pořizovací cena").into(),
            czk(ctx, p.card.cost),
        ),
        (
            ctx.tr("Book value", "Zůstatková cena").into(),
            czk(ctx, p.book_value),
        ),
    ]
}

fn step_name(ctx: &Context, what: &str) -> String {
    match what {
        "entered" => ctx.tr("Entered", "Zapsáno"),
        "changed" => ctx.tr("Card changed", "Karta změněna"),
        "moved" => ctx.tr("Moved", "Přemístěno"),
        "offered" => ctx.tr("Offered as surplus", "Nabídnut jako nepotřebný"),
        "withdrawn" => ctx.tr("Offer withdrawn", "Nabídka stažena"),
        "reserved" => ctx.tr("Reserved", "Rezervováno"),
        "refused" => ctx.tr(
            "Transfer refused by the founder",
            "Převod zřizovatel neschválil",
        ),
        "unclaimed" => ctx.tr("No organization wanted it", "Bez zájmu organizací"),
        "public" => ctx.tr("Offered to the public", "Nabídnuto veřejnosti"),
        "kept" => ctx.tr("Kept in use", "Ponecháno v užívání"),
        "transferred" => ctx.tr("Transferred", "Převedeno"),
        "received" => ctx.tr("Received", "Převzato"),
        "written-off" => ctx.tr("Written off", "Vyřazeno"),
        "maintained" => ctx.tr("Maintained", "Údržba provedena"),
        "reading" => ctx.tr("Meter read", "Odečet měřidla"),
        "missing" => ctx.tr(
            "Not found at the stock-take",
            "Při inventarizaci nenalezeno",
        ),
        "files" => ctx.tr("Photos and documents", "Fotografie a dokumenty"),
        other => other,
    }
    .to_owned()
}

/// The form of a new asset, or of asset `id`'s card.
pub fn form_view(
    ctx: &Context,
    edited: Option<&Document<Asset>>,
    place: Option<&str>,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let kept = edited.map(|e| e.data.clone()).unwrap_or_default();
    let c = &kept.card;
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let number = |n: f64| {
        if n > 0.0 {
            n.to_string()
        } else {
            String::new()
        }
    };
    let life = if c.life_years > 0 {
        c.life_years.to_string()
    } else {
        String::new()
    };
    let today = calendar::today().to_string();
    let (action, title) = match edited {
        Some(e) => (
            format!("/assets/{}/edit", segment(&e.id)),
            format!("{}: {}", ctx.tr("Edit", "Upravit"), c.number),
        ),
        None => (
            "/assets/new".to_owned(),
            ctx.tr("Enter an asset", "Zapsat majetek").to_owned(),
        ),
    };
    let mut account = Field::select(
        "account",
        ctx.tr("Account", "Účet"),
        ACCOUNTS.iter().map(|a| (a.0, ctx.tr(a.2, a.3))),
    )
    .required()
    .selected([v("account", if c.account.is_empty() { "022" } else { &c.account })])
    .help(ctx.tr(
        "Separate movable things costing more than 40,000 CZK go on 022, cheaper ones on 028 (vyhláška č. 410/2009 Sb.). The account gives the inventory number.",
        "Samostatné hmotné movité věci s oceněním vyšším než 40 000 Kč patří na účet 022, levnější na 028 (vyhláška č. 410/2009 Sb.). Podle účtu se přidělí inventární číslo.",
    ));
    if edited.is_some() {
        account = account.read_only();
    }
    let choices = places::choices()?;
    let place_kept = place.map(str::to_owned).unwrap_or(kept.place.clone());
    let form_ = Form::new(action, ctx.tr("Save", "Uložit"))
        .field(f(Field::text("name", ctx.tr("Name", "Název")).required().value(v("name", &c.name))))
        .field(f(account))
        .field(f(Field::number("cost", ctx.tr("Acquisition cost (CZK)", "Pořizovací cena (Kč)")).required().min("0").value(v("cost", &number(c.cost)))))
        .field(f(Field::date("acquired", ctx.tr("Acquired", "Datum pořízení")).required().max(today.clone()).value(v("acquired", &c.acquired))))
        .field(f(Field::date("in_use", ctx.tr("Put into use", "Uvedeno do užívání")).max(today).value(v("in_use", &c.in_use))))
        .field(f(Field::number("life_years", ctx.tr("Years of useful life (depreciation plan)", "Doba použitelnosti v letech (odpisový plán)")).min("1").max("100").value(v("life_years", &life)).help(ctx.tr(
            "For assets depreciated (013, 021, 022): depreciation is straight-line, monthly from the month after the asset was put into use.",
            "U odpisovaného majetku (013, 021, 022): odpisuje se rovnoměrně, měsíčně od měsíce následujícího po uvedení do užívání.",
        ))))
        .field(f(Field::select("place", ctx.tr("Where it stands", "Umístění"), choices).selected([v("place", &place_kept)])))
        .field(f(Field::text("responsible", ctx.tr("Responsible person", "Odpovědná osoba")).value(v("responsible", &kept.responsible))))
        .field(f(Field::text("serial", ctx.tr("Serial number", "Výrobní číslo")).value(v("serial", &c.serial))))
        .field(f(Field::textarea("note", ctx.tr("Note", "Poznámka")).value(v("note", &c.note))));
    Ok(View::new(title).form(form_))
}

/// Reads a card from the form onto `a`.
fn read(
    ctx: &Context,
    form: &FormPost,
    a: &mut Asset,
    new: bool,
) -> std::result::Result<(), Errors> {
    let mut errors = Errors::new();
    let mut err = |field: &str, text: &str| errors.push((field.to_owned(), text.to_owned()));
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let c = &mut a.card;
    c.name = text("name");
    if c.name.is_empty() {
        err(
            "name",
            ctx.tr("Give the asset its name.", "Zadejte název majetku."),
        );
    } else if c.name.chars().count() > 200 {
        err(
            "name",
            ctx.tr(
                "The name is at most 200 characters.",
                "Název má nejvýše 200 znaků.",
            ),
        );
    }
    if new {
        c.account = text("account");
        if !ACCOUNTS.iter().any(|x| x.0 == c.account) {
            err(
                "account",
                ctx.tr(
                    "Choose the account from the list.",
                    "Vyberte účet ze seznamu.",
                ),
            );
        }
    }
    match numbers::parse(&text("cost")) {
        Some(n) if n > 0.0 && n <= 1e12 => c.cost = (n * 100.0).round() / 100.0,
        _ => err(
            "cost",
            ctx.tr(
                "The acquisition cost is an amount in CZK above zero, e.g. 52 400.",
                "Pořizovací cena je částka v Kč větší než nula, např. 52 400.",
            ),
        ),
    }
    if c.account == "022" && c.cost > 0.0 && c.cost <= 40_000.0 {
        err("cost", ctx.tr(
            "Account 022 is for a separate movable thing costing more than 40,000 CZK; this one is small tangible fixed property, account 028.",
            "Na účet 022 patří samostatná hmotná movitá věc s oceněním vyšším než 40 000 Kč; tato je drobný dlouhodobý hmotný majetek, účet 028.",
        ));
    }
    if c.account == "028" && c.cost > 40_000.0 {
        err("cost", ctx.tr(
            "Small tangible fixed property costs at most 40,000 CZK; at this cost the asset goes on account 022.",
            "Drobný dlouhodobý hmotný majetek má ocenění nejvýše 40 000 Kč; při této ceně patří majetek na účet 022.",
        ));
    }
    let today = calendar::today();
    let day = |name: &str, err: &mut dyn FnMut(&str, &str)| -> Option<NaiveDate> {
        let t = text(name);
        if t.is_empty() {
            return None;
        }
        match calendar::parse_date(&t) {
            Some(d) if d <= today => Some(d),
            Some(_) => {
                err(
                    name,
                    ctx.tr(
                        "The day cannot be in the future.",
                        "Den nemůže být v budoucnosti.",
                    ),
                );
                None
            }
            None => {
                err(
                    name,
                    ctx.tr(
                        "Write the day as 2026-03-15.",
                        "Den zapište jako 2026-03-15.",
                    ),
                );
                None
            }
        }
    };
    let acquired = day("acquired", &mut err);
    let in_use = day("in_use", &mut err);
    if acquired.is_none() && text("acquired").is_empty() {
        err(
            "acquired",
            ctx.tr("Give the day it was acquired.", "Zadejte datum pořízení."),
        );
    }
    if let (Some(a), Some(u)) = (acquired, in_use)
        && u < a
    {
        err(
            "in_use",
            ctx.tr(
                "It was put into use before it was acquired.",
                "Uvedení do užívání předchází pořízení.",
            ),
        );
    }
    c.acquired = acquired.map(|d| d.to_string()).unwrap_or_default();
    c.in_use = in_use.map(|d| d.to_string()).unwrap_or_default();
    let life = text("life_years");
    c.life_years = 0;
    if depreciated(&c.account) {
        match life.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => c.life_years = n,
            _ if life.is_empty() && c.in_use.is_empty() => {}
            _ => err(
                "life_years",
                ctx.tr(
                    "An asset depreciated needs its useful life: whole years, 1 to 100.",
                    "Odpisovaný majetek potřebuje dobu použitelnosti: celé roky, 1 až 100.",
                ),
            ),
        }
    }
    c.serial = text("serial");
    c.note = text("note");
    a.responsible = text("responsible");
    for (name, value, max) in [
        ("serial", &c.serial, 100),
        ("note", &c.note, 2000),
        ("responsible", &a.responsible, 120),
    ] {
        if value.chars().count() > max {
            err(name, &model::too_long(ctx, max));
        }
    }
    let place = text("place");
    if !place.is_empty() && !matches!(model::place_by_key(&place), Ok(Some(_))) {
        err(
            "place",
            ctx.tr(
                "Choose the place from the list.",
                "Vyberte místo ze seznamu.",
            ),
        );
    }
    a.place = place;
    a.key = folding::fold(&a.card.name);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Enters a new asset, or changes asset `id`'s card.
pub fn save(ctx: &Context, form: &FormPost, id: Option<&str>) -> Result<Outcome> {
    clerk(ctx)?;
    let edited = id.map(model::asset).transpose()?;
    if let Some(e) = &edited
        && e.data.held == 0
    {
        return Err(Error::forbidden(ctx.tr(
            "The organization no longer holds this asset.",
            "Tento majetek už organizace nemá.",
        )));
    }
    if let Some(e) = &edited
        && (e.data.state == state::OFFERED || e.data.state == state::RESERVED)
    {
        return Err(Error::forbidden(ctx.tr(
            "The card of an asset on offer does not change: withdraw the offer first.",
            "Karta nabízeného majetku se nemění: nejdřív stáhněte nabídku.",
        )));
    }
    let mut a = edited
        .as_ref()
        .map(|e| e.data.clone())
        .unwrap_or_else(|| Asset::new(Card::default()));
    if let Err(errors) = read(ctx, form, &mut a, edited.is_none()) {
        return Ok(Outcome::Show(form_view(
            ctx,
            edited.as_ref(),
            None,
            Some(form),
            &errors,
        )?));
    }
    let path_of = model::path_of;
    let (id, number) = match &edited {
        Some(e) => {
            if e.data.place != a.place {
                a.step(ctx, "moved", path_of(&a.place));
            } else {
                a.step(ctx, "changed", String::new());
            }
            ASSETS.update(&e.id, e.version, &a)?;
            audit::record(ctx, "assets.changed", &a.card.number, a.card.name.clone())?;
            (e.id.clone(), a.card.number.clone())
        }
        None => {
            a.card.number = model::next_number(&a.card.account)?;
            let text = match a.place.as_str() {
                "" => String::new(),
                p => path_of(p),
            };
            a.step(ctx, "entered", text);
            let id = ASSETS.insert(&a)?.id;
            audit::record(
                ctx,
                "assets.entered",
                &a.card.number,
                format!("{}, {}", a.card.name, a.card.cost),
            )?;
            (id, a.card.number.clone())
        }
    };
    Ok(Outcome::redirect_with(
        format!("/assets/{}", segment(&id)),
        format!("{} {number}", ctx.tr("Saved:", "Uloženo:")),
    ))
}

/// The asset's label: its QR code, leading to its card, beside the
/// organization, its inventory number and name; 70 × 36 mm, to print on
/// a label sheet.
pub fn label(ctx: &Context, req: &Request, id: &str) -> Result<Response> {
    let doc = model::asset(id)?;
    let a = &doc.data;
    let url = format!(
        "{}/o/{}/m/assets/assets/{}",
        req.origin(),
        ctx.org_id(),
        segment(id)
    );
    let code = QrCode::new(url.as_bytes())
        .map_err(|e| Error::internal(format!("no QR code for {url}: {e}")))?;
    // The dark modules as one path, in the code's own units, with the
    // quiet zone of four modules around it.
    let w = code.width();
    let mut modules = String::new();
    for (i, colour) in code.to_colors().into_iter().enumerate() {
        if colour == Color::Dark {
            modules.push_str(&format!("M{} {}h1v1h-1z", i % w + 4, i / w + 4));
        }
    }
    let side = w + 8;
    let org = portico_sdk::orgs::current()
        .map(|o| o.name)
        .unwrap_or_default();
    // The text beside the code, in lines that fit the label.
    let lines = wrap(&a.card.name, 21, 2);
    let name = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            format!(
                r#"<text x="36" y="{}" font-size="2.6">{}</text>"#,
                19.0 + 3.5 * i as f64,
                xml(line)
            )
        })
        .collect::<String>();
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="70mm" height="36mm" viewBox="0 0 70 36" font-family="sans-serif">
<title>{title}</title>
<rect x="0" y="0" width="70" height="36" fill="white" stroke="black" stroke-width="0.2"/>
<svg x="1" y="1" width="34" height="34" viewBox="0 0 {side} {side}"><path d="{modules}" fill="black" shape-rendering="crispEdges"/></svg>
<text x="36" y="6" font-size="2.4">{org}</text>
<text x="36" y="13.5" font-size="5" font-weight="bold">{number}</text>
{name}
<text x="36" y="28" font-size="2.4">{account}</text>
<text x="36" y="32" font-size="2.4">{acquired}</text>
</svg>
"#,
        title = xml(&format!("{} {}", a.card.number, a.card.name)),
        org = xml(&wrap(&org, 24, 1).concat()),
        number = xml(&a.card.number),
        account = xml(&format!("{} {}", ctx.tr("Account", "Účet"), a.card.account)),
        acquired = xml(&format!(
            "{} {}",
            ctx.tr("Acquired", "Pořízeno"),
            date_text(ctx, &a.card.acquired)
        )),
    );
    Ok(Response::inline_file(
        "image/svg+xml",
        &format!("label-{}.svg", a.card.number.replace('/', "-")),
        body.into_bytes(),
    ))
}

/// `text` in at most `lines` lines of at most `width` characters, broken
/// between words; what does not fit ends in an ellipsis.
fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut words = text.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
            if out.len() == lines {
                let last = out.last_mut().expect("a line");
                let kept: String = last.chars().take(width - 1).collect();
                *last = format!("{kept}…");
                return out;
            }
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        if words.peek().is_none() {
            break;
        }
    }
    if !line.is_empty() {
        if line.chars().count() > width {
            line = format!("{}…", line.chars().take(width - 1).collect::<String>());
        }
        out.push(line);
    }
    out
}

/// Text as XML writes it.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The page of asset `id`'s photos and documents: add one, or take off
/// those added by mistake.
pub fn files_view(
    ctx: &Context,
    id: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let a = model::asset(id)?.data;
    let f = |field: Field| field.error_among(errors);
    let action = format!("/assets/{}/files", segment(id));
    let mut view = View::new(format!(
        "{}: {} {}",
        ctx.tr("Photos and documents", "Fotografie a dokumenty"),
        a.card.number,
        a.card.name
    ))
    .actions([Action::secondary(
        ctx.tr("Back to the card", "Zpět na kartu"),
        format!("/assets/{}", segment(id)),
    )]);
    if !a.files.is_empty() {
        view = view
            .table(crate::maintenance::files_table(
                ctx,
                ctx.tr("On the card", "Na kartě"),
                id,
                &a.files,
            ))
            .form(
                Form::new(
                    action.clone(),
                    ctx.tr("Take the ticked off the card", "Odebrat zaškrtnuté z karty"),
                )
                .field(Field::checkboxes(
                    "remove",
                    ctx.tr("Files to take off the card", "Soubory k odebrání z karty"),
                    a.files.iter().map(|s| {
                        (
                            s.id.clone(),
                            if s.title.is_empty() {
                                s.name.clone()
                            } else {
                                s.title.clone()
                            },
                        )
                    }),
                )),
            );
    }
    Ok(view
        .heading_at(
            2,
            ctx.tr("Add a photo or document", "Přidat fotografii nebo dokument"),
        )
        .form(
            Form::new(action, ctx.tr("Add", "Přidat"))
                .field(f(Field::text("title", ctx.tr("Title", "Název"))
                    .value(FormPost::shown(form, "title", ""))
                    .help(ctx.tr(
                        "E.g. warranty certificate, user manual, revision report.",
                        "Např. záruční list, návod k obsluze, revizní zpráva.",
                    ))))
                .field(f(Field::file(
                    "file",
                    ctx.tr("Photo or document", "Fotografie nebo dokument"),
                )
                .required()
                .accept("application/pdf,image/jpeg,image/png,image/webp")
                .help(ctx.tr(
                    "A PDF, or a photo as JPEG, PNG or WebP; at most 10 MB.",
                    "PDF, nebo fotografie ve formátu JPEG, PNG či WebP; nejvýše 10 MB.",
                )))),
        ))
}

/// Adds a photo or document to asset `id`'s card, or takes some off.
pub fn save_files(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    clerk(ctx)?;
    let doc = model::asset(id)?;
    let mut a = doc.data;
    if a.held == 0 {
        return Err(Error::forbidden(ctx.tr(
            "The organization no longer holds this asset.",
            "Tento majetek už organizace nemá.",
        )));
    }
    let mut errors = Errors::new();
    let title: String = form
        .get("title")
        .unwrap_or_default()
        .trim()
        .chars()
        .take(200)
        .collect();
    let added = crate::maintenance::upload(ctx, form, "file", &mut errors, true)?;
    let remove: Vec<&str> = form.all("remove").collect();
    // The form that adds posts a title; the one that takes off does not.
    let adding = form.get("title").is_some();
    if adding && added.is_none() && errors.is_empty() {
        errors.push((
            "file".into(),
            ctx.tr(
                "Choose the file to add.",
                "Vyberte soubor, který chcete přidat.",
            )
            .into(),
        ));
    }
    if a.files.len() >= 30 && added.is_some() {
        errors.push((
            "file".into(),
            ctx.tr(
                "A card keeps at most 30 files.",
                "Karta nese nejvýše 30 souborů.",
            )
            .into(),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(files_view(ctx, id, Some(form), &errors)?));
    }
    if !adding && remove.is_empty() {
        return Ok(Outcome::redirect(format!("/assets/{}/files", segment(id))));
    }
    // Files taken off the card stay in the organization's files for their
    // retention period; only the card forgets them.
    let before = a.files.len();
    a.files.retain(|s| !remove.contains(&s.id.as_str()));
    let mut text = Vec::new();
    if a.files.len() < before {
        text.push(format!("-{}", before - a.files.len()));
    }
    if let Some(mut s) = added {
        s.title = title;
        text.push(if s.title.is_empty() {
            s.name.clone()
        } else {
            s.title.clone()
        });
        a.files.push(s);
    }
    let text = text.join(", ");
    a.step(ctx, "files", text.clone());
    ASSETS.update(&doc.id, doc.version, &a)?;
    audit::record(ctx, "assets.files", &a.card.number, text)?;
    Ok(Outcome::redirect_with(
        format!("/assets/{}", segment(id)),
        ctx.tr("Saved.", "Uloženo."),
    ))
}

/// A photo or document of an asset or of a work order, as it was stored.
pub fn file(owner: &str, file: &str) -> Result<Response> {
    let files = match model::asset(owner) {
        Ok(a) => a.data.files,
        Err(_) => {
            crate::maintenance::ORDERS
                .get::<crate::maintenance::Order>(owner)?
                .data
                .files
        }
    };
    let found = files
        .into_iter()
        .find(|s| s.id == file)
        .ok_or_else(|| Error::not_found(format!("{owner} has no file {file}")))?;
    Ok(Response::inline_file(
        &found.media_type,
        &found.name,
        portico_sdk::files::read(&found.id)?,
    ))
}
