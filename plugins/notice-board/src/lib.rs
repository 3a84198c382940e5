//! The official notice board (úřední deska): notices an office must post
//! publicly, each with the date it was posted and the date it comes down.
//! The notices come from the module's settings for the organization.

use portico_sdk::{
    Action, Cell, Context, Error, Module, NoticeLevel, Page, Request, Response, Result, Table,
    View, log, segment, settings,
};
use serde::{Deserialize, Serialize};

struct NoticeBoard;

/// One notice as an administrator enters it in the settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Notice {
    id: String,
    title: String,
    #[serde(default)]
    department: String,
    /// YYYY-MM-DD
    published: String,
    /// YYYY-MM-DD; the last day the notice is posted.
    until: String,
    #[serde(default)]
    text: String,
}

fn notices() -> Result<Vec<Notice>> {
    Ok(settings::get_json::<Vec<Notice>>("notices")?.unwrap_or_default())
}

/// Chooses the Czech or English wording by the user's language.
fn tr<'a>(ctx: &Context, en: &'a str, cs: &'a str) -> &'a str {
    if ctx.locale().starts_with("cs") {
        cs
    } else {
        en
    }
}

/// Today's date as YYYY-MM-DD (UTC), from the host's wall clock.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian calendar).
    let z = (secs / 86_400) as i64 + 719_468;
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

fn board(ctx: &Context) -> Result<View> {
    let title = settings::get("title")?.unwrap_or_default();
    let intro = settings::get("intro")?.unwrap_or_default();
    let today = today();
    let (posted, archived): (Vec<_>, Vec<_>) =
        notices()?.into_iter().partition(|n| n.until >= today);

    let table = |caption: &str, rows: &[Notice]| {
        let mut t = Table::new(caption)
            .column(tr(ctx, "Notice", "Oznámení"))
            .column(tr(ctx, "Department", "Odbor"))
            .column(tr(ctx, "Posted", "Vyvěšeno"))
            .column(tr(ctx, "Until", "Sejmuto"))
            .empty_text(tr(ctx, "No notices.", "Žádná oznámení."));
        for n in rows {
            t = t.row([
                Cell::link(n.title.as_str(), format!("/notices/{}", segment(&n.id))),
                Cell::from(n.department.as_str()),
                Cell::from(n.published.as_str()),
                Cell::from(n.until.as_str()),
            ]);
        }
        t
    };

    Ok(View::new(title)
        .text(intro)
        .table(table(
            tr(ctx, "Posted notices", "Vyvěšená oznámení"),
            &posted,
        ))
        .heading(tr(ctx, "Archive", "Archiv"))
        .table(table(
            tr(ctx, "Notices taken down", "Sejmutá oznámení"),
            &archived,
        )))
}

fn notice(ctx: &Context, id: &str) -> Result<View> {
    let n = notices()?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| Error::not_found(format!("no notice {id}")))?;
    let mut view = View::new(n.title.clone());
    if n.until < today() {
        view = view.notice(
            NoticeLevel::Info,
            tr(
                ctx,
                "This notice has been taken down.",
                "Toto oznámení bylo sejmuto.",
            ),
        );
    }
    Ok(view
        .key_values([
            (tr(ctx, "Reference", "Číslo jednací"), n.id.as_str()),
            (tr(ctx, "Department", "Odbor"), n.department.as_str()),
            (tr(ctx, "Posted", "Vyvěšeno"), n.published.as_str()),
            (tr(ctx, "Until", "Sejmuto"), n.until.as_str()),
        ])
        .text(n.text)
        .actions([Action::secondary(
            tr(ctx, "All notices", "Všechna oznámení"),
            "/",
        )]))
}

impl Module for NoticeBoard {
    const ID: &'static str = "notice-board";
    const NAME: &'static str = "Official notice board";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        match page.pattern() {
            "/" => board(ctx),
            "/notices/{id}" => notice(ctx, page.param("id").unwrap_or_default()),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn handle(_ctx: &Context, req: &Request) -> Result<Response> {
        let today = today();
        let posted: Vec<Notice> = notices()?
            .into_iter()
            .filter(|n| req.query("all").is_some() || n.until >= today)
            .collect();
        Ok(Response::json(&posted))
    }

    fn run_job(_ctx: &Context, job: &str) -> Result<()> {
        match job {
            "report-expired" => {
                let today = today();
                let expired = notices()?.iter().filter(|n| n.until < today).count();
                log::info(format!(
                    "{expired} notices are past their date and taken down"
                ));
                Ok(())
            }
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }
}

portico_sdk::export!(NoticeBoard);
