//! The official notice board (úřední deska): notices an office must post
//! publicly, each with the date it was posted and the date it comes down.
//! Notices are documents in the `notices` collection; staff post them with
//! a form, and a nightly job takes down those past their date. The office
//! is told of both by e-mail (setting `notify-email`), from the module's
//! own events, so a slow mail server never holds up posting. `lifecycle`
//! has a notice's life: posting (at once or from a date, with documents),
//! corrections, taking down early, and the certificate of posting.

mod lifecycle;

use portico_sdk::notify::{self, To};
use portico_sdk::records::{Aggregate, Collection, Document, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, Event, FormPost, Module, NoticeLevel, Outcome, Page, Pager,
    Request, Response, Result, Stat, Table, View, audit, events, log, segment, settings,
};
use serde::{Deserialize, Serialize};

struct NoticeBoard;

pub(crate) const NOTICES: Collection = Collection::new("notices");

/// One notice.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Notice {
    /// The reference number (číslo jednací), e.g. `MMB/0412/2026`.
    reference: String,
    title: String,
    #[serde(default)]
    department: String,
    /// YYYY-MM-DD
    published: String,
    /// YYYY-MM-DD; the last day the notice is posted.
    until: String,
    #[serde(default)]
    text: String,
    /// Set by the nightly job once the notice came down.
    #[serde(default)]
    taken_down: bool,
    /// Who posted it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    posted_by: String,
    /// Documents attached to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<lifecycle::Attachment>,
    /// The reference of the notice this one corrects.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    corrects: String,
    /// The references of the corrections posted of this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    corrected_by: Vec<String>,
    /// Set when it was taken down before its date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    withdrawn: Option<lifecycle::Withdrawal>,
}

/// How many days back the nightly job takes notices down. One further past
/// its date when the job first meets it (imported from an earlier board,
/// or the portal was off for longer) is in the archive by its date all
/// the same, but nobody is told of it: a month-old news is no news.
const TAKE_DOWN_DAYS: i64 = 30;

/// Posted notices on one page of the board.
const PAGE_SIZE: u32 = 20;

/// The fields readers may sort the posted notices by (all indexed).
const SORTABLE: [&str; 4] = ["until", "title", "department", "reference"];

/// How the reader asked the posted notices sorted: `?sort=…&order=…`,
/// by default the soonest to come down first.
fn sort_of(page: &Page) -> (&'static str, bool) {
    let field = page
        .query("sort")
        .and_then(|s| SORTABLE.into_iter().find(|f| *f == s))
        .unwrap_or("until");
    (field, page.query("order") == Some("desc"))
}

fn posted(today: &str) -> Result<Vec<Notice>> {
    let found = NOTICES
        .find()
        .ge("until", today)
        .sort("until")
        .limit(200)
        .fetch()?;
    Ok(found.documents.into_iter().map(|d| d.data).collect())
}

/// One page of the posted notices, as the reader sorted them, and the
/// cursor of the next page.
fn posted_page(today: &str, page: &Page) -> Result<(Vec<Notice>, Option<String>)> {
    let (field, descending) = sort_of(page);
    let find = NOTICES.find().ge("until", today);
    let find = if descending {
        find.sort_desc(field)
    } else {
        find.sort(field)
    };
    let found = find
        .limit(PAGE_SIZE)
        .after(page.query("cursor").map(str::to_owned))
        .fetch()?;
    Ok((
        found.documents.into_iter().map(|d| d.data).collect(),
        found.next_cursor,
    ))
}

fn archived(today: &str) -> Result<Vec<Notice>> {
    let found = NOTICES
        .find()
        .lt("until", today)
        .sort_desc("until")
        .limit(50)
        .fetch()?;
    Ok(found.documents.into_iter().map(|d| d.data).collect())
}

pub(crate) fn by_reference(reference: &str) -> Result<Document<Notice>> {
    NOTICES
        .find()
        .eq("reference", reference)
        .limit(1)
        .fetch()?
        .documents
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("no notice {reference}")))
}

/// Today's date as YYYY-MM-DD (UTC), from the host's wall clock.
pub(crate) fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil((secs / 86_400) as i64)
}

/// Days since 1970-01-01 as a civil date YYYY-MM-DD (proleptic Gregorian).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A date as the reader's language writes it (`2. 12. 2026`,
/// `2 December 2026`); the text as it is when it is not a date.
pub(crate) fn day(ctx: &Context, date: &str) -> String {
    portico_sdk::calendar::format_date_text(date, ctx.locale())
}

fn board(ctx: &Context, page: &Page) -> Result<View> {
    // The office's own title and intro, or the board's in the reader's
    // language.
    let title = settings::get("title")?
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| ctx.tr("Official notice board", "Úřední deska").to_owned());
    let intro = settings::get("intro")?
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| {
            ctx.tr("Notices posted by the office, as the law requires. Each stays posted until the date shown.",
                "Oznámení, která úřad vyvěšuje, jak ukládá zákon. Každé visí do uvedeného data.",
            )
            .to_owned()
        });
    let today = today();
    let ((posted, next), archived) = (posted_page(&today, page)?, archived(&today)?);
    let (sort, descending) = sort_of(page);

    // The posted notices (sortable) stay up until a date; the archived
    // ones were taken down on it.
    let table = |caption: &str, rows: &[Notice], sortable: bool| {
        let mut t = Table::new(caption);
        t = if sortable {
            t.sortable(ctx.tr("Notice", "Oznámení"), "title", false)
                .sortable(ctx.tr("Department", "Odbor"), "department", false)
                .column(ctx.tr("Posted", "Vyvěšeno"))
                .sortable(ctx.tr("Posted until", "Vyvěšeno do"), "until", false)
                .sorted_by(sort, descending)
        } else {
            t.column(ctx.tr("Notice", "Oznámení"))
                .column(ctx.tr("Department", "Odbor"))
                .column(ctx.tr("Posted", "Vyvěšeno"))
                .column(ctx.tr("Taken down", "Sejmuto"))
        }
        .empty_text(ctx.tr("No notices.", "Žádná oznámení."));
        for n in rows {
            t = t.row([
                Cell::link(
                    n.title.as_str(),
                    format!("/notices/{}", segment(&n.reference)),
                ),
                Cell::from(n.department.as_str()),
                Cell::from(day(ctx, &n.published)),
                Cell::from(day(ctx, &n.until)),
            ]);
        }
        t
    };

    let order = if descending { "desc" } else { "asc" };
    let mut view = View::new(title).text(intro);
    if ctx
        .principal()
        .is_some_and(|p| p.has_permission("notice-board.post"))
    {
        view = view.actions([Action::primary(
            ctx.tr("Post a notice", "Vyvěsit oznámení"),
            "/post",
        )]);
    }
    view = view.table(table(
        ctx.tr("Posted notices", "Vyvěšená oznámení"),
        &posted,
        true,
    ));
    let later_page = page.query("cursor").is_some();
    if later_page || next.is_some() {
        let mut pager = Pager::new();
        if later_page {
            pager = pager.previous(format!("/?sort={sort}&order={order}"));
        }
        if let Some(cursor) = next {
            pager = pager.next(format!(
                "/?sort={sort}&order={order}&cursor={}",
                segment(&cursor)
            ));
        }
        view = view.pager(pager);
    }
    Ok(view.heading(ctx.tr("Archive", "Archiv")).table(table(
        ctx.tr("Notices taken down", "Sejmutá oznámení"),
        &archived,
        false,
    )))
}

/// The board's part of the organization's dashboard: how many notices are
/// posted and how many come down within a week, counted by the store.
fn dashboard(ctx: &Context) -> Result<View> {
    let today = today();
    let week = date_after(&today, 7);
    let posted = Count::of(|by| NOTICES.count_by(by).ge("until", &today))?;
    let ending = Count::of(|by| NOTICES.count_by(by).ge("until", &today).le("until", &week))?;
    Ok(View::new(ctx.tr("Notice board", "Úřední deska")).stats([
        posted
            .stat(ctx, ctx.tr("Notices posted", "Vyvěšená oznámení"))
            .link("/"),
        ending
            .stat(ctx, ctx.tr("Coming down within a week", "Sejmutí do týdne"))
            .link("/?sort=until&order=asc"),
    ]))
}

/// The most groups the store's aggregate returns.
const MOST_GROUPS: usize = 1_000;

/// A figure the store counted in groups and added up. Grouped by the
/// date the filter is on, the store reads one index; past
/// [`MOST_GROUPS`] dates the store would leave groups out, so the count
/// is made again by department (a handful of values). Past as many
/// departments it is only a floor, and the page says so.
struct Count {
    n: u64,
    whole: bool,
}

impl Count {
    fn of(aggregate: impl Fn(&str) -> Aggregate) -> Result<Count> {
        let mut groups = aggregate("until").fetch()?;
        if groups.len() >= MOST_GROUPS {
            groups = aggregate("department").fetch()?;
        }
        Ok(Count {
            n: groups.iter().map(|g| g.count).sum(),
            whole: groups.len() < MOST_GROUPS,
        })
    }

    fn stat(&self, ctx: &Context, label: &str) -> Stat {
        if self.whole {
            return Stat::new(label, self.n.to_string());
        }
        Stat::new(label, format!("{}+", self.n)).detail(ctx.tr(
            "At least this many: the count stopped at 1,000 departments.",
            "Nejméně tolik: počítání se zastavilo na 1 000 odborech.",
        ))
    }
}

/// The date `days` after `date` (both YYYY-MM-DD); `date` when it cannot be read.
pub(crate) fn date_after(date: &str, days: i64) -> String {
    let parts: Vec<i64> = date.split('-').filter_map(|p| p.parse().ok()).collect();
    let [y, m, d] = parts[..] else {
        return date.to_owned();
    };
    // Days from civil and back (proleptic Gregorian), as `today` does.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    civil(era * 146_097 + doe - 719_468 + days)
}

fn notice(ctx: &Context, id: &str) -> Result<View> {
    let n = by_reference(id)
        .map_err(|e| match e {
            Error::NotFound(_) => Error::not_found(if ctx.is_czech() {
                format!("Oznámení {id} na desce není: mohlo být sejmuto, nebo je odkaz chybný.")
            } else {
                format!("There is no notice {id} on the board: it may have been taken down, or the link is wrong.")
            }),
            other => other,
        })?
        .data;
    let mut view = View::new(n.title.clone());
    let link = |reference: &str| format!("/notices/{}", segment(reference));
    if let Some(w) = &n.withdrawn {
        view = view.notice(
            NoticeLevel::Warning,
            format!(
                "{} {}. {} {}",
                ctx.tr("Taken down early on", "Sejmuto předčasně dne"),
                day(ctx, &w.on),
                ctx.tr("Reason:", "Důvod:"),
                w.reason
            ),
        );
    } else if n.until < today() {
        view = view.notice(
            NoticeLevel::Info,
            ctx.tr(
                "This notice has been taken down.",
                "Toto oznámení bylo sejmuto.",
            ),
        );
    }
    if !n.corrected_by.is_empty() {
        view = view.notice(
            NoticeLevel::Warning,
            format!(
                "{} {}",
                ctx.tr(
                    "This notice is corrected by notice",
                    "Toto oznámení opravuje oznámení"
                ),
                n.corrected_by.join(", ")
            ),
        );
    }
    let mut facts = vec![
        (ctx.tr("Reference", "Číslo jednací"), n.reference.clone()),
        (ctx.tr("Department", "Odbor"), n.department.clone()),
        (ctx.tr("Posted", "Vyvěšeno"), day(ctx, &n.published)),
        (
            if n.until < today() {
                ctx.tr("Taken down", "Sejmuto")
            } else {
                ctx.tr("Posted until", "Vyvěšeno do")
            },
            day(ctx, &n.until),
        ),
    ];
    if !n.corrects.is_empty() {
        facts.push((
            ctx.tr("Corrects notice", "Opravuje oznámení"),
            n.corrects.clone(),
        ));
    }
    view = view.key_values(facts).text(n.text.clone());
    let mut actions: Vec<Action> = n
        .corrects
        .is_empty()
        .then_some(())
        .into_iter()
        .flat_map(|()| n.corrected_by.iter())
        .map(|c| Action::secondary(format!("{} {c}", ctx.tr("Correction", "Oprava")), link(c)))
        .collect();
    if !n.corrects.is_empty() {
        actions.push(Action::secondary(
            format!(
                "{} {}",
                ctx.tr("The corrected notice", "Opravené oznámení"),
                n.corrects
            ),
            link(&n.corrects),
        ));
    }
    actions.extend(n.attachments.iter().map(|a| {
        Action::secondary(
            format!("{} ({} kB)", a.name, a.size.div_ceil(1024)),
            format!("{}/files/{}", link(&n.reference), segment(&a.id)),
        )
    }));
    actions.push(Action::secondary(
        ctx.tr("All notices", "Všechna oznámení"),
        "/",
    ));
    view = view.actions(actions);
    if lifecycle::editor(ctx) {
        let mut tools = vec![Action::secondary(
            ctx.tr("Certificate of posting", "Doložka o vyvěšení"),
            format!("{}/certificate", link(&n.reference)),
        )];
        if n.until >= today() && n.withdrawn.is_none() {
            tools.push(Action::secondary(
                ctx.tr("Post a correction", "Vyvěsit opravu"),
                format!("{}/correct", link(&n.reference)),
            ));
            tools.push(Action::danger(
                ctx.tr("Take down early", "Sejmout předčasně"),
                format!("{}/withdraw", link(&n.reference)),
            ));
        }
        view = view.actions(tools);
    }
    Ok(view)
}

impl Module for NoticeBoard {
    const ID: &'static str = "notice-board";
    const NAME: &'static str = "Official notice board";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        match page.pattern() {
            "/" => board(ctx, page),
            "/dashboard" => dashboard(ctx),
            "/notices/{id}" => notice(ctx, page.param("id").unwrap_or_default()),
            "/notices/{id}/withdraw" => {
                lifecycle::withdraw_form(ctx, page.param("id").unwrap_or_default(), None)
            }
            "/notices/{id}/correct" => {
                let original = by_reference(page.param("id").unwrap_or_default())?.data;
                lifecycle::post_form(ctx, None, &[], Some(&original))
            }
            "/notices/{id}/certificate" => {
                lifecycle::certificate(ctx, page.param("id").unwrap_or_default())
            }
            "/post" => lifecycle::post_form(ctx, None, &[], None),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let id = form.param("id").unwrap_or_default();
        match form.pattern() {
            "/post" => lifecycle::submit_post(ctx, form, None),
            "/notices/{id}/correct" => lifecycle::submit_post(ctx, form, Some(by_reference(id)?)),
            "/notices/{id}/withdraw" => lifecycle::withdraw(ctx, id, form),
            _ => Err(Error::not_found(format!("no form at {}", form.path()))),
        }
    }

    fn handle(_ctx: &Context, req: &Request) -> Result<Response> {
        if let (Some(id), Some(file)) = (req.param("id"), req.param("file")) {
            return lifecycle::attachment(id, file);
        }
        let today = today();
        let mut notices = posted(&today)?;
        if req.query("all").is_some() {
            notices.extend(archived(&today)?);
        }
        Ok(Response::json(&notices))
    }

    fn run_job(_ctx: &Context, job: &str) -> Result<()> {
        match job {
            "take-down" => {
                // The notices whose day came are posted first.
                let posted = lifecycle::post_scheduled()?;
                if posted > 0 {
                    log::info(format!("{posted} scheduled notices posted"));
                }
                // Every notice whose date passed within the window, page by
                // page: the board's archive grows by the thousands a year,
                // and its oldest were taken down long ago.
                let today = today();
                let since = date_after(&today, -TAKE_DOWN_DAYS);
                let mut n = 0;
                let due = NOTICES
                    .find()
                    .ge("until", &since)
                    .lt("until", &today)
                    .sort("until")
                    .limit(500);
                for page in due.pages::<Notice>() {
                    for d in page?.into_iter().filter(|d| !d.data.taken_down) {
                        let mut notice = d.data.clone();
                        notice.taken_down = true;
                        NOTICES.update(&d.id, d.version, &notice)?;
                        events::publish(
                            "notice.taken-down",
                            &serde_json::json!({ "id": d.id, "reference": notice.reference }),
                        )?;
                        n += 1;
                    }
                }
                if n > 0 {
                    audit::append(
                        "notice.take-down",
                        "notices",
                        &serde_json::json!({ "count": n }),
                    )?;
                }
                log::info(format!("{n} notices past their date taken down"));
                Ok(())
            }
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }

    fn on_event(_ctx: &Context, event: &Event) -> Result<()> {
        let template = match event.topic.as_str() {
            "notice.posted" => "notice-posted",
            "notice.taken-down" => "notice-taken-down",
            _ => return Ok(()),
        };
        let Some(office) = settings::get("notify-email")?.filter(|a| !a.trim().is_empty()) else {
            return Ok(());
        };
        let changed: NoticeEvent = event.payload()?;
        let notice = NOTICES.get::<Notice>(&changed.id)?.data;
        notify::send(To::Email(office.trim()), template, &notice)?;
        Ok(())
    }
}

/// The payload of `notice.posted` and `notice.taken-down`.
#[derive(Debug, Deserialize)]
struct NoticeEvent {
    id: String,
}

pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

portico_sdk::export!(NoticeBoard);
