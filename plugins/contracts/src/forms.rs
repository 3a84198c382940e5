//! The contract's form and the publication's: what they read, what they
//! refuse, and what saving does (settle, tell, audit, send up).

use chrono::NaiveDate;
use portico_sdk::audit;
use portico_sdk::files::{self, Mark};
use portico_sdk::records::Filters;
use portico_sdk::{
    Context, Error, Field, Form, FormPost, Outcome, Result, View, calendar, segment,
};

use crate::checks;
use crate::duty;
use crate::model::{
    CONTRACTS, Contract, EXEMPTIONS, LISTED, Listed, Party, Publication, Stored, clerk, date_text,
    parent_of,
};
use crate::rates;
use crate::region;

/// Errors of a refused form: the field, and what is wrong.
pub type Errors = Vec<(&'static str, String)>;

/// Signed contracts are kept ten years after they end (the records
/// schedule's usual period for contracts), and handed to the archive's
/// selection then.
const KEEP_YEARS: u32 = 10;
/// The largest document the host keeps.
const MAX_DOCUMENT: usize = 10 * 1024 * 1024;
/// The longest subject, and the most parties, a contract has.
const MAX_SUBJECT: usize = 2_000;
const MAX_PARTIES: usize = 20;
/// The longest of the other texts.
const MAX_TEXT: usize = 300;

fn amount(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The parties as the form's lines: `name; IČO; data box`.
fn party_lines(parties: &[Party]) -> String {
    parties
        .iter()
        .map(|p| {
            let mut line = p.name.clone();
            if !p.ico.is_empty() || !p.databox.is_empty() {
                line.push_str(&format!("; {}", p.ico));
            }
            if !p.databox.is_empty() {
                line.push_str(&format!("; {}", p.databox));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The contract's form, new (`kept` None) or to change, with `errors`.
pub fn contract_form(
    ctx: &Context,
    kept: Option<(&str, &Contract)>,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let empty = Contract::default();
    let c = kept.map_or(&empty, |(_, c)| c);
    let (action, title) = match kept {
        Some((id, c)) => (
            format!("/contracts/{}/edit", segment(id)),
            format!(
                "{} {}",
                ctx.tr("Change contract", "Změnit smlouvu"),
                c.number
            ),
        ),
        None => (
            "/new".to_owned(),
            ctx.tr("Enter a contract", "Zapsat smlouvu").to_owned(),
        ),
    };
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let mut people = vec![(
        String::new(),
        ctx.tr("Every clerk of the registry", "Všichni správci evidence")
            .to_owned(),
    )];
    people.extend(
        portico_sdk::people::holders("manage")?
            .into_iter()
            .map(|p| (p.user_id, p.name)),
    );
    let mut exemptions = vec![(
        String::new(),
        ctx.tr(
            "None: the duty follows from the value",
            "Žádná: povinnost se řídí hodnotou",
        )
        .to_owned(),
    )];
    exemptions.extend(
        EXEMPTIONS
            .iter()
            .map(|(code, en, cs)| ((*code).to_owned(), ctx.tr(en, cs).to_owned())),
    );
    let redacted = form.map_or(c.redacted, |f| f.get("redacted").is_some());
    let mut f = Form::new(action, ctx.tr("Save the contract", "Uložit smlouvu"))
        .field(
            Field::text("number", ctx.tr("Number", "Číslo smlouvy")).error_among(errors)
            .required()
            .value(v("number", &c.number))
            .help(ctx.tr("The organization's own number, e.g. SML/2026/015.",
                "Vlastní číslo organizace, např. SML/2026/015.",
            )),
        )
        .field(
            Field::textarea("subject", ctx.tr("Subject", "Předmět smlouvy")).error_among(errors)
            .required()
            .value(v("subject", &c.subject)),
        )
        .field(
            Field::textarea("parties", ctx.tr("Other parties", "Smluvní strany")).error_among(errors)
            .value(v("parties", &party_lines(&c.parties)))
            .help(ctx.tr("One party a line: the name; its IČO; its data box. A person without an IČO: the name alone.",
                "Každá strana na svém řádku: název; IČO; datová schránka. Osoba bez IČO: jen jméno.",
            )),
        )
        .field(
            Field::number(
                    "value_net",
                    ctx.tr("Value without VAT", "Hodnota bez DPH"),
                ).error_among(errors)
            .value(v("value_net", &amount(c.value_net)))
            .min("0"),
        )
        .field(
            Field::number("value_gross", ctx.tr("Value with VAT", "Hodnota s DPH")).error_among(errors)
            .value(v("value_gross", &amount(c.value_gross)))
            .min("0"),
        )
        .field(
            Field::text("currency", ctx.tr("Currency", "Měna")).error_among(errors)
                .value(v(
                    "currency",
                    if c.currency.is_empty() {
                        "CZK"
                    } else {
                        &c.currency
                    },
                ))
                .pattern("[A-Za-z]{3}")
                .help(ctx.tr("Its ISO code: CZK, EUR, USD.",
                    "Kód ISO: CZK, EUR, USD.",
                )),
        )
        .field(
            Field::number(
                    "rate",
                    ctx.tr("Exchange rate (CZK for one unit)",
                        "Kurz (Kč za jednotku)",
                    ),
                ).error_among(errors)
            .value(v("rate", &amount(c.rate)))
            .help(ctx.tr("For a foreign currency: the Czech National Bank's rate of the day of conclusion for one unit (divide a rate quoted for 100 units, as for HUF or JPY), which decides whether the duty applies. Left empty, it is asked of the bank when the administrator has set up the connection to it.",
                "U cizí měny: kurz ČNB ke dni uzavření za jednu jednotku (kurz uváděný za 100 jednotek, jako u HUF či JPY, vydělte stem), podle něhož se posoudí povinnost uveřejnění. Nevyplníte-li ho, zjistí se od ČNB, má-li správce nastaveno připojení k ní.",
            )),
        )
        .field(
            Field::text(
                    "no_value_reason",
                    ctx.tr("Why the value is not stated",
                        "Proč hodnota není uvedena",
                    ),
                ).error_among(errors)
            .value(v("no_value_reason", &c.no_value_reason)),
        )
        .field(
            Field::date("concluded", ctx.tr("Concluded on", "Datum uzavření")).error_among(errors)
            .required()
            .value(v("concluded", &c.concluded))
            .help(ctx.tr("The day the last party signed it.",
                "Den podpisu poslední smluvní stranou.",
            )),
        )
        .field(
            Field::date(
                    "valid_from",
                    ctx.tr("In effect from (as agreed)", "Účinnost od (sjednaná)"),
                ).error_among(errors)
            .value(v("valid_from", &c.valid_from)),
        )
        .field(
            Field::date("valid_to", ctx.tr("Valid until", "Platnost do")).error_among(errors)
            .value(v("valid_to", &c.valid_to))
            .help(ctx.tr("Empty: for an indefinite period.",
                "Prázdné: na dobu neurčitou.",
            )),
        )
        .field(
            Field::text(
                    "approved_by",
                    ctx.tr("Approved by (body, resolution)", "Schváleno (orgán, usnesení)"),
                ).error_among(errors)
            .value(v("approved_by", &c.approved_by))
            .help(ctx.tr("The body and its resolution, e.g. the council's resolution 1234/R45/2026.",
                "Orgán a jeho usnesení, např. usnesení rady č. 1234/R45/2026.",
            )),
        )
        .field(
            Field::text(
                    "parent",
                    ctx.tr("Amends the contract numbered",
                        "Dodatek ke smlouvě číslo",
                    ),
                ).error_among(errors)
            .value(v("parent", &c.parent)),
        )
        .field(
            Field::select(
                    "exemption",
                    ctx.tr("Exemption from the publication duty",
                        "Výjimka z povinnosti uveřejnění",
                    ),
                    exemptions,
                ).error_among(errors)
            .selected([v("exemption", &c.exemption)])
            .help(ctx.tr("Zákon 340/2015 Sb., § 3 odst. 2. A contract of 50,000 CZK without VAT or less is outside the duty by its value.",
                "Zákon 340/2015 Sb., § 3 odst. 2. Smlouva do 50 000 Kč bez DPH včetně je mimo povinnost svou hodnotou.",
            )),
        )
        .field(
            Field::text(
                    "exemption_note",
                    ctx.tr("Exemption: note", "Výjimka: poznámka"),
                ).error_among(errors)
            .value(v("exemption_note", &c.exemption_note)),
        )
        .field(
            Field::select(
                "responsible",
                ctx.tr("Told of its deadlines",
                    "Upozornění na lhůty dostává",
                ),
                people,
            ).error_among(errors)
            .selected([v("responsible", &c.responsible)]),
        )
        .field(
            Field::file(
                    "document",
                    ctx.tr("The signed contract (PDF)", "Podepsaná smlouva (PDF)"),
                ).error_among(errors)
            .accept("application/pdf")
            .help(match &c.document {
                Some(d) => format!(
                    "{} {}",
                    ctx.tr("Kept:", "Uložena:"),
                    d.name
                ),
                None => ctx.tr("Seen by the staff only.", "Vidí ji jen zaměstnanci.").to_owned(),
            }),
        )
        .field(
            Field::file(
                    "public_document",
                    ctx.tr("The version to publish (PDF)",
                        "Verze k uveřejnění (PDF)",
                    ),
                ).error_among(errors)
            .accept("application/pdf")
            .help(match &c.public_document {
                Some(d) => format!("{} {}", ctx.tr("Kept:", "Uložena:"), d.name),
                None => ctx.tr("With trade secrets and personal data redacted. Everyone may read it once it is published.",
                    "Se znečitelněným obchodním tajemstvím a osobními údaji. Po uveřejnění si ji může přečíst každý.",
                )
                .to_owned(),
            }),
        )
        .field(
            Field::checkboxes(
                "redacted",
                ctx.tr("Redacted", "Znečitelněno"),
                [(
                    "yes",
                    ctx.tr("Parts of the published version are redacted",
                        "Části uveřejněné verze jsou znečitelněné",
                    ),
                )],
            )
            .selected(if redacted { vec!["yes"] } else { vec![] }),
        )
        .field(
            Field::text(
                    "redaction_reason",
                    ctx.tr("Why they are redacted",
                        "Proč jsou znečitelněné",
                    ),
                ).error_among(errors)
            .value(v("redaction_reason", &c.redaction_reason))
            .help(ctx.tr("E.g. a trade secret (the unit prices), personal data (the signatures).",
                "Např. obchodní tajemství (jednotkové ceny), osobní údaje (podpisy).",
            )),
        );
    if kept.is_none() {
        f = f.button("cancel", ctx.tr("Back", "Zpět"));
    }
    Ok(View::new(title).form(f))
}

/// A document posted with the form: its field, file name and content.
type Posted = (&'static str, String, Vec<u8>);

/// Reads the contract's form over what is kept (`base`): what it holds,
/// with the documents posted, or the errors that refuse it.
fn read(
    ctx: &Context,
    form: &FormPost,
    base: Contract,
    own_id: Option<&str>,
) -> std::result::Result<(Contract, Vec<Posted>), Errors> {
    let mut errors: Errors = Vec::new();
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let mut c = base;
    c.number = text("number");
    c.subject = text("subject");
    if c.number.is_empty() {
        errors.push((
            "number",
            ctx.tr("Give the contract's number.", "Uveďte číslo smlouvy.")
                .into(),
        ));
    } else if let Ok(Some(other)) = CONTRACTS.find_by::<Contract>("number", &c.number)
        && Some(other.id.as_str()) != own_id
    {
        errors.push((
            "number",
            if ctx.is_czech() {
                format!("Smlouva číslo {} už v evidenci je.", c.number)
            } else {
                format!("Contract {} is in the registry already.", c.number)
            },
        ));
    }
    if c.subject.is_empty() {
        errors.push((
            "subject",
            ctx.tr("Give the subject.", "Uveďte předmět smlouvy.")
                .into(),
        ));
    }
    c.parties.clear();
    for (i, line) in form
        .get("parties")
        .unwrap_or_default()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let mut parts = line.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default().to_owned();
        let ico: String = parts
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let databox = parts.next().unwrap_or_default().to_lowercase();
        if !ico.chars().all(|c| c.is_ascii_digit()) {
            errors.push((
                "parties",
                if ctx.is_czech() {
                    format!("Řádek {}: IČO „{ico}“ má mít jen číslice.", i + 1)
                } else {
                    format!("Line {}: the IČO “{ico}” has digits only.", i + 1)
                },
            ));
        }
        c.parties.push(Party { name, ico, databox });
    }
    let mut number = |name: &'static str| -> Option<f64> {
        let t = text(name);
        if t.trim().is_empty() {
            return None;
        }
        match portico_sdk::numbers::parse(&t) {
            Some(v) if v >= 0.0 => Some(v),
            _ => {
                errors.push((
                    name,
                    ctx.tr(
                        "Give a number, zero or more.",
                        "Uveďte číslo větší nebo rovné nule.",
                    )
                    .into(),
                ));
                None
            }
        }
    };
    c.value_net = number("value_net");
    c.value_gross = number("value_gross");
    c.rate = number("rate");
    c.currency = text("currency").to_uppercase();
    if c.currency.is_empty() {
        c.currency = "CZK".into();
    }
    if c.currency.len() != 3 || !c.currency.chars().all(|ch| ch.is_ascii_alphabetic()) {
        errors.push((
            "currency",
            ctx.tr(
                "Write the currency's three-letter code, e.g. EUR.",
                "Napište třípísmenný kód měny, např. EUR.",
            )
            .into(),
        ));
    } else if c.currency != "CZK" && c.value_net.is_some() && !c.rate.is_some_and(|r| r > 0.0) {
        errors.push((
            "rate",
            ctx.tr(
                "Give the Czech National Bank's rate of the day of conclusion.",
                "Uveďte kurz ČNB ke dni uzavření.",
            )
            .into(),
        ));
    }
    c.no_value_reason = text("no_value_reason");
    for (name, required) in [
        ("concluded", true),
        ("valid_from", false),
        ("valid_to", false),
    ] {
        let t = text(name);
        let date = calendar::parse_date(&t);
        if date.is_none() && (required || !t.is_empty()) {
            errors.push((
                name,
                ctx.tr(
                    "Give a date, e.g. 2026-03-15.",
                    "Uveďte datum, např. 15. 3. 2026.",
                )
                .into(),
            ));
        }
        let kept = date.map(|d| d.to_string()).unwrap_or_default();
        match name {
            "concluded" => c.concluded = kept,
            "valid_from" => c.valid_from = kept,
            _ => c.valid_to = kept,
        }
    }
    c.approved_by = text("approved_by");
    c.parent = text("parent");
    if !c.parent.is_empty() && c.parent == c.number {
        errors.push((
            "parent",
            ctx.tr(
                "A contract does not amend itself.",
                "Smlouva nemůže být dodatkem sama k sobě.",
            )
            .into(),
        ));
    }
    c.exemption = text("exemption");
    if !c.exemption.is_empty() && !EXEMPTIONS.iter().any(|(code, _, _)| *code == c.exemption) {
        errors.push((
            "exemption",
            ctx.tr("Choose one of the list.", "Vyberte jednu ze seznamu.")
                .into(),
        ));
    }
    c.exemption_note = text("exemption_note");
    c.responsible = text("responsible");
    c.redacted = form.get("redacted").is_some();
    c.redaction_reason = text("redaction_reason");
    if c.subject.chars().count() > MAX_SUBJECT {
        errors.push((
            "subject",
            if ctx.is_czech() {
                format!("Předmět je delší než {MAX_SUBJECT} znaků.")
            } else {
                format!("The subject is longer than {MAX_SUBJECT} characters.")
            },
        ));
    }
    if c.parties.len() > MAX_PARTIES || c.parties.iter().any(|p| p.name.chars().count() > MAX_TEXT)
    {
        errors.push((
            "parties",
            if ctx.is_czech() {
                format!("Nejvýše {MAX_PARTIES} stran, každá s názvem do {MAX_TEXT} znaků.")
            } else {
                format!(
                    "At most {MAX_PARTIES} parties, each named in {MAX_TEXT} characters or fewer."
                )
            },
        ));
    }
    for (name, value) in [
        ("no_value_reason", &c.no_value_reason),
        ("approved_by", &c.approved_by),
        ("parent", &c.parent),
        ("exemption_note", &c.exemption_note),
        ("redaction_reason", &c.redaction_reason),
        ("number", &c.number),
    ] {
        if value.chars().count() > MAX_TEXT {
            errors.push((
                name,
                if ctx.is_czech() {
                    format!("Nejvýše {MAX_TEXT} znaků.")
                } else {
                    format!("At most {MAX_TEXT} characters.")
                },
            ));
        }
    }
    // Only a clerk of this organization is told of its deadlines.
    if !c.responsible.is_empty()
        && !portico_sdk::people::holders("manage")
            .is_ok_and(|people| people.iter().any(|p| p.user_id == c.responsible))
    {
        errors.push((
            "responsible",
            ctx.tr(
                "Choose one of the registry's clerks.",
                "Vyberte jednoho ze správců evidence.",
            )
            .into(),
        ));
    }
    let mut documents = Vec::new();
    for name in ["document", "public_document"] {
        let Some(file) = form.file(name).filter(|f| !f.content.is_empty()) else {
            continue;
        };
        if file.content.len() > MAX_DOCUMENT {
            errors.push((
                name,
                ctx.tr(
                    "The document is larger than 10 MB.",
                    "Dokument je větší než 10 MB.",
                )
                .into(),
            ));
        } else if files::media_type_of(&file.content) != Some("application/pdf") {
            errors.push((
                name,
                ctx.tr(
                    "Attach a PDF document.",
                    "Přiložte dokument ve formátu PDF.",
                )
                .into(),
            ));
        } else {
            documents.push((name, file.filename.clone(), file.content.clone()));
        }
    }
    if errors.is_empty() {
        Ok((c, documents))
    } else {
        Err(errors)
    }
}

/// A published contract is changed by an amendment, not by its form.
pub fn refuse_published(ctx: &Context, c: &Contract) -> Result<()> {
    if c.publication.is_none() {
        return Ok(());
    }
    Err(Error::Conflict(
        ctx.tr(
            "A published contract is not changed: enter an amendment that names it.",
            "Uveřejněná smlouva se nemění: zapište dodatek, který ji uvádí.",
        )
        .into(),
    ))
}

/// A foreign currency's rate the clerk left out, asked of the Czech
/// National Bank for the day of conclusion, before any data operation:
/// the rate found, or the error for the rate's field.
fn bank_rate(ctx: &Context, form: &FormPost) -> std::result::Result<Option<f64>, String> {
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let currency = text("currency").to_uppercase();
    let asked = currency.len() == 3
        && currency != "CZK"
        && text("rate").is_empty()
        && !text("value_net").is_empty();
    let Some(day) = calendar::parse_date(&text("concluded")).filter(|_| asked) else {
        return Ok(None);
    };
    let when = date_text(ctx, &day.to_string());
    match rates::of(&currency, day) {
        rates::Rate::Found(rate) => Ok(Some(rate)),
        rates::Rate::NotSetUp => Ok(None),
        rates::Rate::NotListed => Err(if ctx.is_czech() {
            format!("ČNB pro {when} neuvádí kurz měny {currency}; uveďte ho.")
        } else {
            format!("The Czech National Bank gives no rate of {currency} for {when}; give it.")
        }),
        rates::Rate::Failed(why) => Err(if ctx.is_czech() {
            format!("Kurz ČNB se nepodařilo zjistit ({why}); uveďte ho.")
        } else {
            format!("The Czech National Bank's rate could not be had ({why}); give it.")
        }),
    }
}

/// Saves the contract's form: a new contract (`id` None) or a change.
pub fn save(ctx: &Context, form: &FormPost, id: Option<&str>) -> Result<Outcome> {
    clerk(ctx)?;
    if form.button() == Some("cancel") {
        return Ok(Outcome::redirect("/"));
    }
    // The bank is asked first: a call out comes before the first data
    // operation of a call that writes.
    let bank = bank_rate(ctx, form);
    let filled;
    let form = match bank {
        Ok(Some(rate)) => {
            filled = form.clone().with("rate", rate.to_string());
            &filled
        }
        _ => form,
    };
    let kept = id.map(|id| CONTRACTS.get::<Contract>(id)).transpose()?;
    if let Some(doc) = &kept {
        refuse_published(ctx, &doc.data)?;
    }
    let base = kept.as_ref().map(|d| d.data.clone()).unwrap_or_default();
    let own_id = kept.as_ref().map(|d| d.id.as_str());
    let (mut c, documents) = match (read(ctx, form, base, own_id), bank) {
        (Ok(read), Ok(_)) => read,
        (read, bank) => {
            let mut errors = read.err().unwrap_or_default();
            // What the bank said says more than that a rate is missing.
            if let Err(e) = bank {
                errors.retain(|(f, _)| *f != "rate");
                errors.push(("rate", e));
            }
            return Ok(Outcome::Show(contract_form(
                ctx,
                kept.as_ref().map(|d| (d.id.as_str(), &d.data)),
                Some(form),
                &errors,
            )?));
        }
    };
    for (name, file_name, content) in documents {
        let mark = if name == "document" { Mark::A } else { Mark::S };
        let stored = files::store(&file_name, "application/pdf", &content, mark, KEEP_YEARS)?;
        let kept = Some(Stored {
            id: stored.id,
            name: stored.name,
            size: stored.size,
        });
        if name == "document" {
            c.document = kept;
        } else {
            c.public_document = kept;
        }
    }
    let today = calendar::today();
    let parent = parent_of(&c)?;
    c.settle(parent.as_ref(), today);
    // New dates, or a duty it did not have: its deadlines are told anew.
    if let Some(doc) = &kept
        && (doc.data.concluded != c.concluded || doc.data.duty != c.duty)
    {
        c.told.clear();
    }
    // A contract entered or changed late is told what is due at once: a
    // change before it is kept, a new contract once it has its id.
    let id = match &kept {
        Some(doc) => {
            duty::tell(&mut c, &doc.id, today)?;
            CONTRACTS.update(&doc.id, doc.version, &c)?;
            doc.id.clone()
        }
        None => {
            let new = CONTRACTS.insert(&c)?;
            let before = c.clone();
            duty::tell(&mut c, &new.id, today)?;
            if c != before {
                CONTRACTS.update(&new.id, new.version, &c)?;
            }
            new.id
        }
    };
    audit::record(
        ctx,
        if kept.is_some() {
            "contract.change"
        } else {
            "contract.enter"
        },
        &c.number,
        format!(
            "{} ({}); duty: {}; checks failed: {}",
            c.subject, c.state, c.duty, c.problems
        ),
    )?;
    let was = kept.as_ref().map_or("", |d| d.data.number.as_str());
    region::sync(&c, was)?;
    amendments_follow(&c.number)?;
    if !was.is_empty() && was != c.number {
        amendments_follow(was)?;
    }
    let message = match (c.problems, ctx.is_czech()) {
        (0, true) => format!("Smlouva {} je uložena.", c.number),
        (0, false) => format!("Contract {} is saved.", c.number),
        (n, true) => format!(
            "Smlouva {} je uložena; před uveřejněním je třeba opravit nesplněné kontroly: {n}.",
            c.number
        ),
        (n, false) => format!(
            "Contract {} is saved; before it is published, {n} failed checks must be put right.",
            c.number
        ),
    };
    Ok(Outcome::redirect_with(
        format!("/contracts/{}", segment(&id)),
        message,
    ))
}

/// The amendments of contract `number` settled again: whether they are
/// under the duty, and their checks, follow what it amends.
fn amendments_follow(number: &str) -> Result<()> {
    let amendments = CONTRACTS
        .find()
        .eq("parent", number)
        .limit(500)
        .fetch_all::<Contract>(5_000)?;
    if amendments.is_empty() {
        return Ok(());
    }
    let parent = CONTRACTS
        .find_by::<Contract>("number", number)?
        .map(|d| d.data);
    let today = calendar::today();
    for doc in amendments {
        let mut c = doc.data.clone();
        c.settle(parent.as_ref(), today);
        if c != doc.data {
            CONTRACTS.update(&doc.id, doc.version, &c)?;
            region::sync(&c, "")?;
        }
    }
    Ok(())
}

/// The form that records the publication in the contract register.
pub fn publication_form(ctx: &Context, id: &str, form: Option<&FormPost>, errors: &Errors) -> Form {
    let v = |name: &str| FormPost::shown(form, name, "");
    Form::new(
        format!("/contracts/{}/publish", segment(id)),
        ctx.tr("Record the publication", "Zaznamenat uveřejnění"),
    )
    .field(
        Field::date("date", ctx.tr("Published on", "Datum uveřejnění"))
            .error_among(errors)
            .required()
            .value(v("date"))
            .help(ctx.tr(
                "The day the register published it (its confirmation says so).",
                "Den, kdy ji registr uveřejnil (uvádí ho potvrzení).",
            )),
    )
    .field(
        Field::text(
            "contract_id",
            ctx.tr("The register's ID of the contract", "ID smlouvy v registru"),
        )
        .error_among(errors)
        .required()
        .value(v("contract_id"))
        .pattern("[0-9]{1,12}"),
    )
    .field(
        Field::text(
            "version_id",
            ctx.tr("The register's ID of the version", "ID verze v registru"),
        )
        .error_among(errors)
        .required()
        .value(v("version_id"))
        .pattern("[0-9]{1,12}"),
    )
}

/// Records the publication: refused while a check fails, after the three
/// months, or with a date before the conclusion or after today.
pub fn publish(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    clerk(ctx)?;
    let doc = CONTRACTS.get::<Contract>(id)?;
    let mut c = doc.data.clone();
    let today = calendar::today();
    let parent = parent_of(&c)?;
    c.settle(parent.as_ref(), today);
    let refuse = |errors: Errors| -> Result<Outcome> {
        let view = crate::pages::detail(ctx, id, Some((form, &errors)))?;
        Ok(Outcome::Show(view))
    };
    if c.publication.is_some() {
        return Err(Error::Conflict(
            ctx.tr(
                "Its publication is recorded already.",
                "Uveřejnění už je zaznamenáno.",
            )
            .into(),
        ));
    }
    let mut errors: Errors = Vec::new();
    if c.problems > 0 {
        let failed: Vec<String> = c.checks.iter().map(|p| checks::text(ctx, p)).collect();
        errors.push((
            "date",
            format!(
                "{} {}",
                ctx.tr(
                    "It cannot be published while checks fail:",
                    "Nelze ji uveřejnit, dokud neprojde kontrolami:",
                ),
                failed.join(" ")
            ),
        ));
    }
    let date = calendar::parse_date(form.get("date").unwrap_or_default().trim());
    match date {
        None => errors.push((
            "date",
            ctx.tr("Give the day it was published.", "Uveďte den uveřejnění.").into(),
        )),
        Some(d) if d > today => errors.push((
            "date",
            ctx.tr("The day of publication cannot be in the future.",
                "Den uveřejnění nemůže být v budoucnosti.",
            )
            .into(),
        )),
        Some(d) if c.concluded_date().is_some_and(|k| d < k) => errors.push((
            "date",
            if ctx.is_czech() {
                format!(
                    "Smlouva byla uzavřena {}, dříve ji nebylo možné uveřejnit.",
                    date_text(ctx, &c.concluded)
                )
            } else {
                format!(
                    "It was concluded {}: it cannot have been published before.",
                    date_text(ctx, &c.concluded)
                )
            },
        )),
        Some(d) if c.duty && c.cancels().is_some_and(|limit| d > limit) => errors.push((
            "date",
            ctx.tr("The three months to publish it had passed by then: it is deemed cancelled from the start, and the parties conclude it again.",
                "Tři měsíce na uveřejnění tehdy už uplynuly: platí, že smlouva je zrušena od počátku, a strany ji uzavřou znovu.",
            )
            .into(),
        )),
        Some(_) => {}
    }
    let ids: Vec<String> = ["contract_id", "version_id"]
        .iter()
        .map(|name| form.get(name).unwrap_or_default().trim().to_owned())
        .collect();
    for (name, value) in ["contract_id", "version_id"].iter().zip(&ids) {
        if value.is_empty() || value.len() > 12 || !value.chars().all(|ch| ch.is_ascii_digit()) {
            errors.push((
                name,
                ctx.tr(
                    "The register's identifiers are numbers, as its confirmation gives them.",
                    "Identifikátory registru jsou čísla, jak je uvádí jeho potvrzení.",
                )
                .into(),
            ));
        }
    }
    if !errors.is_empty() {
        return refuse(errors);
    }
    let date: NaiveDate = date.unwrap_or(today);
    c.publication = Some(Publication {
        date: date.to_string(),
        contract_id: ids[0].clone(),
        version_id: ids[1].clone(),
        recorded_by: ctx.actor(),
    });
    c.settle(parent.as_ref(), today);
    CONTRACTS.update(&doc.id, doc.version, &c)?;
    LISTED.insert(&Listed::of(&c))?;
    audit::record(
        ctx,
        "contract.publish",
        &c.number,
        format!(
            "published {date} in the contract register (contract {}, version {}){}",
            ids[0],
            ids[1],
            if c.late == 1 { ", late" } else { "" }
        ),
    )?;
    region::sync(&c, "")?;
    amendments_follow(&c.number)?;
    let message = match (c.late == 1, ctx.is_czech()) {
        (false, true) => format!("Uveřejnění smlouvy {} je zaznamenáno.", c.number),
        (false, false) => format!("The publication of contract {} is recorded.", c.number),
        (true, true) => format!(
            "Uveřejnění smlouvy {} je zaznamenáno, po lhůtě 30 dnů; účinná je ode dne uveřejnění.",
            c.number
        ),
        (true, false) => format!(
            "The publication of contract {} is recorded, after its 30 days; it takes effect from that day.",
            c.number
        ),
    };
    Ok(Outcome::redirect_with(
        format!("/contracts/{}", segment(id)),
        message,
    ))
}
