//! The founder's overview of organizations × tasks, and every copy as CSV.

use super::*;

/// Organizations on one page of the overview.
const ROWS: usize = 50;
/// Tasks, newest deadline first, as the overview's columns.
const COLUMNS: u32 = 40;

/// The founder's overview: organizations × tasks, each cell the state
/// (and lateness); filtered by category and state, paged by organization.
pub fn overview(ctx: &Context, page: &Page) -> Result<View> {
    let today = today();
    let category = page.query("category").filter(|c| !c.is_empty());
    let only = page.query("state").and_then(State::parse);
    let late_only = page.query("state") == Some("late");
    let from: usize = page.query("from").and_then(|f| f.parse().ok()).unwrap_or(0);
    let below: Vec<_> = orgs::descendants(None, None)?
        .into_iter()
        .filter(|o| o.module_enabled)
        .collect();
    let categories: BTreeSet<String> = below.iter().filter_map(|o| o.category.clone()).collect();
    let shown: Vec<_> = below
        .iter()
        .filter(|o| category.is_none() || o.category.as_deref() == category)
        .collect();
    let rows: Vec<_> = shown.iter().skip(from).take(ROWS).collect();
    let tasks = TASKS
        .find()
        .sort_desc("due")
        .limit(COLUMNS)
        .fetch::<Task>()?
        .documents;
    // The page's organizations' copies of the column tasks: one indexed
    // query per organization, however many tasks the years have added.
    let mut cells: BTreeMap<(String, String), Sent> = BTreeMap::new();
    if let Some(oldest) = tasks.last().map(|t| t.data.due.clone()) {
        let keys: BTreeSet<&str> = tasks.iter().map(|t| t.data.key.as_str()).collect();
        for o in &rows {
            for d in SENT
                .find()
                .eq("org", &o.id)
                .ge("due", &oldest)
                .fetch_all::<Sent>(MOST)?
            {
                if keys.contains(d.data.task.as_str()) {
                    cells.insert((d.data.org.clone(), d.data.task.clone()), d.data);
                }
            }
        }
    }
    let (mut on_time, mut late, mut returned) = (0, 0, 0);
    for s in cells.values() {
        if s.late_days(today) > 0 || (!s.submitted_on.is_empty() && s.submitted_on > s.due) {
            late += 1;
        } else if matches!(s.state, State::Submitted | State::Closed) {
            on_time += 1;
        }
        if s.returns > 0 {
            returned += 1;
        }
    }
    let shown_here = ctx.tr("Of the organizations shown", "U zobrazených organizací");
    let mut view = View::new(ctx.tr("Overview of tasks", "Přehled plnění úkolů")).stats([
        Stat::new(
            ctx.tr("Submitted on time", "Odevzdáno včas"),
            on_time.to_string(),
        )
        .detail(shown_here),
        Stat::new(ctx.tr("Late", "Po termínu"), late.to_string()).detail(shown_here),
        Stat::new(
            ctx.tr("Returned at least once", "Alespoň jednou vráceno"),
            returned.to_string(),
        )
        .detail(shown_here),
    ]);
    let mut states: Vec<(String, String)> = vec![
        (String::new(), ctx.tr("Any", "Jakýkoli").to_owned()),
        ("late".into(), ctx.tr("Late", "Po termínu").to_owned()),
    ];
    states.extend(
        State::ALL
            .iter()
            .map(|s| (s.key().to_owned(), s.label(ctx).to_owned())),
    );
    let mut cats: Vec<(String, String)> = vec![(
        String::new(),
        ctx.tr("Every kind", "Všechny druhy").to_owned(),
    )];
    cats.extend(
        categories
            .iter()
            .map(|c| (c.clone(), category_label(ctx, c))),
    );
    view = view.form(
        Form::new("/overview", ctx.tr("Filter", "Filtrovat"))
            .field(
                Field::select(
                    "category",
                    ctx.tr("Kind of organization", "Druh organizace"),
                    cats,
                )
                .selected([category.unwrap_or("")]),
            )
            .field(
                Field::select("state", ctx.tr("State", "Stav"), states)
                    .selected([page.query("state").unwrap_or("")]),
            ),
    );
    let mut table = Table::new(ctx.tr("Organizations and tasks", "Organizace a úkoly"))
        .column(ctx.tr("Organization", "Organizace"));
    for t in &tasks {
        table = table.column(format!("{} ({})", t.data.title, day(ctx, &t.data.due)));
    }
    table = table.empty_text(ctx.tr(
        "No organization below has this module enabled.",
        "Žádná organizace pod námi nemá tento modul zapnutý.",
    ));
    for o in &rows {
        let mut row = vec![Cell::from(o.name.as_str())];
        let mut any = only.is_none() && !late_only;
        for t in &tasks {
            match cells.get(&(o.id.clone(), t.data.key.clone())) {
                Some(s) => {
                    let days = s.late_days(today);
                    if only == Some(s.state) || (late_only && days > 0) {
                        any = true;
                    }
                    let text = if days > 0 {
                        format!("{} ({})", s.state.label(ctx), lateness(ctx, days))
                    } else {
                        s.state.label(ctx).to_owned()
                    };
                    row.push(Cell::link(
                        text,
                        format!("/sent/{}/{}", segment(&t.data.key), segment(&o.id)),
                    ));
                }
                None => row.push(Cell::from("—")),
            }
        }
        if any {
            table = table.row(row);
        }
    }
    view = view.table(table);
    if from > 0 || from + ROWS < shown.len() {
        let query = |at: usize| {
            format!(
                "/overview?category={}&state={}&from={at}",
                segment(category.unwrap_or("")),
                segment(page.query("state").unwrap_or(""))
            )
        };
        let mut pager = Pager::new().summary(format!(
            "{}–{} / {}",
            from + 1,
            (from + ROWS).min(shown.len()),
            shown.len()
        ));
        if from > 0 {
            pager = pager.previous(query(from.saturating_sub(ROWS)));
        }
        if from + ROWS < shown.len() {
            pager = pager.next(query(from + ROWS));
        }
        view = view.pager(pager);
    }
    Ok(view.actions([Action::secondary(
        ctx.tr("Download as CSV", "Stáhnout jako CSV"),
        "/export.csv",
    )]))
}

/// Every organization's progress on every task, as CSV.
pub fn export_csv() -> Result<Response> {
    use portico_sdk::csv::{self, Cell as C};
    let today = today();
    let mut out = csv::Writer::new();
    out.row([
        "task",
        "title",
        "due",
        "org",
        "organization",
        "state",
        "submitted_on",
        "late_working_days",
        "returns",
    ])?;
    for page in SENT.find().sort("due").limit(500).pages::<Sent>() {
        for d in page? {
            let s = d.data;
            out.row([
                C::from(&s.task),
                C::from(&s.title),
                C::from(&s.due),
                C::from(&s.org),
                C::from(&s.org_name),
                C::from(s.state.key()),
                C::from(&s.submitted_on),
                C::from(s.late_days(today).to_string()),
                C::from(s.returns.to_string()),
            ])?;
        }
    }
    out.into_response("tasks.csv")
}
