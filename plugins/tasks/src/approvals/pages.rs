//! The pages of approvals: the overview each person needs (what waits
//! for my decision, our requests, the flows), a new request, the
//! approver's one screen, the founder's flows and the approvers' absences.

use portico_sdk::calendar;
use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, NoticeLevel, Outcome as Done, Result,
    Table, View, audit, messages, orgs, people, segment,
};
use serde_json::json;

use super::deciding;
use super::{
    ABSENCES, APPROVALS, Absence, Approval, Approver, FLOWS, Flow, Note, OFFERED, Offered, Order,
    Outcome, Rule, approval_of,
};
use crate::model::{new_key, now};

fn can(ctx: &Context, permission: &str) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission(&format!("tasks.{permission}")))
}

fn me(ctx: &Context) -> Result<Approver> {
    let p = ctx
        .principal()
        .ok_or_else(|| Error::forbidden(ctx.tr("Log in first.", "Nejprve se přihlaste.")))?;
    Ok(Approver {
        user_id: p.user_id().to_owned(),
        name: p.name().to_owned(),
    })
}

fn errors_at<'a>(errors: &'a [(&str, String)], name: &str) -> Option<&'a String> {
    errors.iter().find(|(n, _)| *n == name).map(|(_, e)| e)
}

/// What waits for my decision, our requests, and the founder's settings.
pub fn overview(ctx: &Context) -> Result<View> {
    let mut view = View::new(ctx.tr("Approvals", "Schvalování"));
    let here = ctx.org_id().to_owned();
    if can(ctx, "approve") {
        let me = me(ctx)?;
        let waiting: Vec<Approval> = APPROVALS
            .find()
            .eq("outcome", Outcome::Pending.key())
            .limit(500)
            .fetch::<Approval>()?
            .documents
            .into_iter()
            .map(|d| d.data)
            .filter(|a| a.org != here)
            .filter(|a| {
                a.steps.iter().any(|s| {
                    s.decision.is_none()
                        && s.asked.as_ref().is_some_and(|w| w.user_id == me.user_id)
                })
            })
            .collect();
        let mut t = Table::new(ctx.tr("Waiting for my decision", "Čeká na mé rozhodnutí"))
            .column(ctx.tr("Request", "Žádost"))
            .column(ctx.tr("Organization", "Organizace"))
            .column(ctx.tr("Flow", "Postup"))
            .empty_text(ctx.tr("Nothing waits for you.", "Nic na vás nečeká."));
        for a in &waiting {
            t = t.row([
                Cell::link(
                    a.title.as_str(),
                    format!("/approvals/{}/{}", segment(&a.org), segment(&a.key)),
                ),
                Cell::from(a.org_name.as_str()),
                Cell::from(a.flow_name.as_str()),
            ]);
        }
        view = view.table(t);
    }
    if can(ctx, "respond") {
        let ours = APPROVALS
            .find()
            .eq("org", &here)
            .newest_first()
            .limit(100)
            .fetch::<Approval>()?
            .documents;
        let mut t = Table::new(ctx.tr("Our requests", "Naše žádosti"))
            .column(ctx.tr("Request", "Žádost"))
            .column(ctx.tr("Flow", "Postup"))
            .column(ctx.tr("State", "Stav"))
            .empty_text(ctx.tr("No request yet.", "Zatím žádná žádost."));
        for d in &ours {
            t = t.row([
                Cell::link(
                    d.data.title.as_str(),
                    format!("/requests/{}", segment(&d.data.key)),
                ),
                Cell::from(d.data.flow_name.as_str()),
                Cell::from(d.data.outcome.label(ctx)),
            ]);
        }
        view = view.table(t).actions([Action::primary(
            ctx.tr("New request for approval", "Nová žádost o schválení"),
            "/approvals/new",
        )]);
    }
    let mut settings = Vec::new();
    if can(ctx, "assign") {
        settings.push(Action::secondary(
            ctx.tr("Approval flows", "Schvalovací postupy"),
            "/approvals/flows",
        ));
    }
    if can(ctx, "approve") {
        settings.push(Action::secondary(
            ctx.tr("Absences and substitutes", "Nepřítomnost a zástupci"),
            "/approvals/absences",
        ));
    }
    if !settings.is_empty() {
        view = view.actions(settings);
    }
    Ok(view)
}

/// The form of a new request; the founder's flows to choose from.
pub fn new_request(
    ctx: &Context,
    form: Option<&FormPost>,
    errors: &[(&str, String)],
) -> Result<View> {
    let offered = OFFERED
        .find()
        .limit(1)
        .fetch::<Offered>()?
        .documents
        .into_iter()
        .next()
        .map(|d| d.data);
    let value = |n: &str| form.and_then(|f| f.get(n)).unwrap_or_default().to_owned();
    let with = |f: Field, n: &str| {
        let f = f.value(value(n));
        match errors_at(errors, n) {
            Some(e) => f.error(e.clone()),
            None => f,
        }
    };
    let mut view = View::new(ctx.tr("New request for approval", "Nová žádost o schválení"));
    let Some(offered) = offered.filter(|o| !o.flows.is_empty()) else {
        return Ok(view.notice(
            NoticeLevel::Info,
            ctx.tr(
                "Your founder has set up no approval flow yet.",
                "Váš zřizovatel zatím nenastavil žádný schvalovací postup.",
            ),
        ));
    };
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was sent; see the fields below.",
                "Nic nebylo odesláno; opravte pole níže.",
            ),
        );
    }
    let mut flow = Field::select(
        "flow",
        ctx.tr("Flow", "Postup"),
        offered.flows.iter().map(|(k, n)| (k.as_str(), n.as_str())),
    )
    .required()
    .selected([value("flow")]);
    if let Some(e) = errors_at(errors, "flow") {
        flow = flow.error(e.clone());
    }
    Ok(view.form(
        Form::new(
            "/approvals/new",
            ctx.tr("Submit for approval", "Odeslat ke schválení"),
        )
        .field(flow)
        .field(with(
            Field::text(
                "title",
                ctx.tr("What is to be approved", "Co má být schváleno"),
            )
            .required(),
            "title",
        ))
        .field(with(
            Field::textarea(
                "text",
                ctx.tr("The request in full", "Žádost v plném znění"),
            )
            .required(),
            "text",
        )),
    ))
}

/// Sends a new request up to the founder.
pub fn submit_request(ctx: &Context, form: &FormPost) -> Result<Done> {
    let field = |n: &str| form.get(n).unwrap_or_default().trim().to_owned();
    let offered = OFFERED
        .find()
        .limit(1)
        .fetch::<Offered>()?
        .documents
        .into_iter()
        .next()
        .map(|d| d.data)
        .unwrap_or_default();
    let mut errors = Vec::new();
    let fill = ctx.tr("Fill this in.", "Vyplňte prosím.").to_owned();
    let flow = field("flow");
    let Some((_, flow_name)) = offered.flows.iter().find(|(k, _)| *k == flow).cloned() else {
        errors.push((
            "flow",
            ctx.tr(
                "Choose one of the founder's flows.",
                "Vyberte jeden z postupů zřizovatele.",
            )
            .to_owned(),
        ));
        return Ok(Done::Show(new_request(ctx, Some(form), &errors)?));
    };
    for (n, most) in [("title", 200), ("text", crate::model::MOST_TEXT)] {
        let v = field(n);
        if v.is_empty() {
            errors.push((n, fill.clone()));
        } else if v.chars().count() > most {
            errors.push((
                n,
                if ctx.is_czech() {
                    format!("Použijte nejvýše {most} znaků.")
                } else {
                    format!("Use at most {most} characters.")
                },
            ));
        }
    }
    if !errors.is_empty() {
        return Ok(Done::Show(new_request(ctx, Some(form), &errors)?));
    }
    let here = orgs::current()?;
    let approval = Approval {
        key: new_key(),
        org: here.id,
        org_name: here.name,
        flow,
        flow_name,
        title: field("title"),
        text: field("text"),
        submitter: me(ctx)?,
        submitted_at: now(),
        outcome: Outcome::Pending,
        steps: Vec::new(),
        note: String::new(),
    };
    APPROVALS.insert(&approval)?;
    audit::append(
        "approval.submitted",
        &approval.key,
        &json!({ "founder": offered.founder }),
    )?;
    let key = approval.key.clone();
    let up = Note::Requested { approval };
    messages::send(&offered.founder, up.kind(), &up)?;
    Ok(Done::redirect_with(
        format!("/requests/{}", segment(&key)),
        ctx.tr(
            "Sent to the founder for approval.",
            "Odesláno zřizovateli ke schválení.",
        ),
    ))
}

/// The organization's own request and its outcome.
pub fn own_request(ctx: &Context, key: &str) -> Result<View> {
    if !(can(ctx, "respond") || can(ctx, "resolve")) {
        return Err(Error::forbidden(ctx.tr(
            "Only the organization's people see its requests.",
            "Žádosti organizace vidí jen její lidé.",
        )));
    }
    let a = approval_of(key, ctx.org_id())?.data;
    let mut view = View::new(a.title.clone()).key_values([
        (
            ctx.tr("State", "Stav").to_owned(),
            a.outcome.label(ctx).to_owned(),
        ),
        (ctx.tr("Flow", "Postup").to_owned(), a.flow_name.clone()),
        (
            ctx.tr("Submitted by", "Podal(a)").to_owned(),
            a.submitter.name.clone(),
        ),
    ]);
    view = view.text(a.text.clone());
    if !a.note.is_empty() {
        view = view
            .heading(ctx.tr("The approvers' notes", "Poznámky schvalovatelů"))
            .text(a.note.clone());
    }
    Ok(view.actions([Action::secondary(
        ctx.tr("All approvals", "Všechna schvalování"),
        "/approvals",
    )]))
}

/// The approver's one screen: the request whole, each approver's part,
/// and the decision when it is theirs to make.
pub fn one_screen(ctx: &Context, key: &str, org: &str, errors: &[(&str, String)]) -> Result<View> {
    let a = approval_of(key, org)?.data;
    if a.org == ctx.org_id() {
        return Err(Error::not_found(format!("no approval {key} from below")));
    }
    let mut view = View::new(a.title.clone());
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was decided; see the field below.",
                "Nic nebylo rozhodnuto; opravte pole níže.",
            ),
        );
    }
    view = view
        .key_values([
            (
                ctx.tr("State", "Stav").to_owned(),
                a.outcome.label(ctx).to_owned(),
            ),
            (
                ctx.tr("Organization", "Organizace").to_owned(),
                a.org_name.clone(),
            ),
            (
                ctx.tr("Submitted by", "Podal(a)").to_owned(),
                a.submitter.name.clone(),
            ),
            (ctx.tr("Flow", "Postup").to_owned(), a.flow_name.clone()),
        ])
        .text(a.text.clone());
    let mut t = Table::new(ctx.tr("Approvers", "Schvalovatelé"))
        .column(ctx.tr("Approver", "Schvalovatel"))
        .column(ctx.tr("Asked", "Dotázán(a)"))
        .column(ctx.tr("Decision", "Rozhodnutí"))
        .column(ctx.tr("Note", "Poznámka"));
    for s in &a.steps {
        let asked = match &s.asked {
            Some(w) if w.user_id != s.approver.user_id => {
                format!("{} ({})", w.name, ctx.tr("substitute", "zástup"))
            }
            Some(w) => w.name.clone(),
            None => String::new(),
        };
        let decision = match s.decision {
            Some(true) => format!("{} — {}", ctx.tr("Approved", "Schváleno"), s.decided_by),
            Some(false) => format!("{} — {}", ctx.tr("Rejected", "Zamítnuto"), s.decided_by),
            None => String::new(),
        };
        t = t.row([
            Cell::from(s.approver.name.as_str()),
            Cell::from(asked),
            Cell::from(decision),
            Cell::from(s.note.as_str()),
        ]);
    }
    view = view.table(t);
    let mine = ctx.principal().is_some_and(|p| {
        a.outcome == Outcome::Pending
            && a.steps.iter().any(|s| {
                s.decision.is_none() && s.asked.as_ref().is_some_and(|w| w.user_id == p.user_id())
            })
    });
    if mine {
        let path = |action: &str| format!("/approvals/{}/{}/{action}", segment(org), segment(key));
        let mut note = Field::textarea(
            "note",
            ctx.tr(
                "Note (a rejection needs one)",
                "Poznámka (zamítnutí ji vyžaduje)",
            ),
        );
        if let Some(e) = errors_at(errors, "note") {
            note = note.error(e.clone());
        }
        view = view.form(
            Form::new(path("decide"), ctx.tr("Approve", "Schválit"))
                .field(note)
                .button("reject", ctx.tr("Reject", "Zamítnout")),
        );
    }
    Ok(view.actions([Action::secondary(
        ctx.tr("All approvals", "Všechna schvalování"),
        "/approvals",
    )]))
}

/// The approver's decision posted.
pub fn decide(ctx: &Context, form: &FormPost) -> Result<Done> {
    let key = form.param("key").unwrap_or_default().to_owned();
    let org = form.param("org").unwrap_or_default().to_owned();
    let reject = form.button() == Some("reject");
    let note = form.get("note").unwrap_or_default().trim().to_owned();
    if reject && note.is_empty() {
        let errors = [(
            "note",
            ctx.tr("Say why you reject it.", "Uveďte, proč žádost zamítáte.")
                .to_owned(),
        )];
        return Ok(Done::Show(one_screen(ctx, &key, &org, &errors)?));
    }
    if note.chars().count() > 2_000 {
        let errors = [(
            "note",
            ctx.tr(
                "Use at most 2,000 characters.",
                "Použijte nejvýše 2 000 znaků.",
            )
            .to_owned(),
        )];
        return Ok(Done::Show(one_screen(ctx, &key, &org, &errors)?));
    }
    deciding::decide(ctx, &key, &org, !reject, &note)?;
    Ok(Done::redirect_with(
        "/approvals",
        if reject {
            ctx.tr("Rejected.", "Zamítnuto.")
        } else {
            ctx.tr("Approved.", "Schváleno.")
        },
    ))
}

/// The founder's flows, and the form of a new one.
pub fn flows(ctx: &Context, form: Option<&FormPost>, errors: &[(&str, String)]) -> Result<View> {
    let all = FLOWS.find().limit(200).fetch::<Flow>()?.documents;
    let mut t = Table::new(ctx.tr("Approval flows", "Schvalovací postupy"))
        .column(ctx.tr("Flow", "Postup"))
        .column(ctx.tr("Approvers", "Schvalovatelé"))
        .column(ctx.tr("Order", "Pořadí"))
        .column(ctx.tr("Decides", "Rozhoduje"))
        .empty_text(ctx.tr("No flow yet.", "Zatím žádný postup."));
    for d in &all {
        let f = &d.data;
        t = t.row([
            Cell::from(f.name.as_str()),
            Cell::from(
                f.approvers
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::from(match f.order {
                Order::Sequential => ctx.tr("One after another", "Postupně"),
                Order::Parallel => ctx.tr("All at once", "Souběžně"),
            }),
            Cell::from(match f.rule {
                Rule::Any => ctx.tr("Any one", "Kterýkoli").to_owned(),
                Rule::All => ctx.tr("All", "Všichni").to_owned(),
                Rule::Quorum { of } => format!("{} {of}", ctx.tr("Quorum:", "Kvórum:")),
            }),
        ]);
    }
    let approvers = people::holders("approve")?;
    let value = |n: &str| form.and_then(|f| f.get(n)).unwrap_or_default().to_owned();
    let err = |f: Field, n: &str| match errors_at(errors, n) {
        Some(e) => f.error(e.clone()),
        None => f,
    };
    let mut view = View::new(ctx.tr("Approval flows", "Schvalovací postupy")).table(t);
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "The flow was not saved; see the fields below.",
                "Postup nebyl uložen; opravte pole níže.",
            ),
        );
    }
    Ok(view.heading(ctx.tr("A new flow", "Nový postup")).form(
        Form::new("/approvals/flows", ctx.tr("Save the flow", "Uložit postup"))
            .field(err(
                Field::text("name", ctx.tr("Name", "Název"))
                    .required()
                    .value(value("name")),
                "name",
            ))
            .field(err(
                Field::checkboxes(
                    "approvers",
                    ctx.tr(
                        "Approvers (one after another: in the order listed)",
                        "Schvalovatelé (postupně: v uvedeném pořadí)",
                    ),
                    approvers
                        .iter()
                        .map(|p| (p.user_id.as_str(), p.name.as_str())),
                )
                .selected(
                    form.map(|f| f.all("approvers").map(str::to_owned).collect::<Vec<_>>())
                        .unwrap_or_default(),
                ),
                "approvers",
            ))
            .field(
                Field::radio(
                    "order",
                    ctx.tr("Order", "Pořadí"),
                    [
                        ("sequential", ctx.tr("One after another", "Postupně")),
                        ("parallel", ctx.tr("All at once", "Souběžně")),
                    ],
                )
                .selected([form.and_then(|f| f.get("order")).unwrap_or("sequential")]),
            )
            .field(
                Field::radio(
                    "rule",
                    ctx.tr("Decides", "Rozhoduje"),
                    [
                        ("all", ctx.tr("All approve", "Schválí všichni")),
                        ("any", ctx.tr("Any one approves", "Schválí kterýkoli")),
                        ("quorum", ctx.tr("A quorum approves", "Schválí kvórum")),
                    ],
                )
                .selected([form.and_then(|f| f.get("rule")).unwrap_or("all")]),
            )
            .field(err(
                Field::number(
                    "quorum",
                    ctx.tr("Quorum (for a quorum)", "Kvórum (při volbě kvóra)"),
                )
                .min("1")
                .value(value("quorum")),
                "quorum",
            )),
    ))
}

/// A new flow posted; the organizations below are told of the flows.
pub fn save_flow(ctx: &Context, form: &FormPost) -> Result<Done> {
    let name = form.get("name").unwrap_or_default().trim().to_owned();
    let holders = people::holders("approve")?;
    let mut approvers = Vec::new();
    for id in form.all("approvers") {
        if let Some(p) = holders.iter().find(|p| p.user_id == id) {
            approvers.push(super::Approver {
                user_id: p.user_id.clone(),
                name: p.name.clone(),
            });
        }
    }
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push((
            "name",
            ctx.tr(
                "Name the flow (at most 200 characters).",
                "Pojmenujte postup (nejvýše 200 znaků).",
            )
            .to_owned(),
        ));
    }
    if approvers.is_empty() {
        errors.push((
            "approvers",
            ctx.tr(
                "Choose at least one approver.",
                "Vyberte alespoň jednoho schvalovatele.",
            )
            .to_owned(),
        ));
    }
    let rule = match form.get("rule").unwrap_or("all") {
        "any" => Rule::Any,
        "quorum" => match form
            .get("quorum")
            .and_then(|q| q.trim().parse::<u32>().ok())
        {
            Some(of) if of >= 1 && (of as usize) <= approvers.len() => Rule::Quorum { of },
            _ => {
                errors.push((
                    "quorum",
                    ctx.tr(
                        "A quorum is a number from 1 to the number of approvers.",
                        "Kvórum je číslo od 1 do počtu schvalovatelů.",
                    )
                    .to_owned(),
                ));
                Rule::All
            }
        },
        _ => Rule::All,
    };
    if !errors.is_empty() {
        return Ok(Done::Show(flows(ctx, Some(form), &errors)?));
    }
    let order = if form.get("order") == Some("parallel") {
        Order::Parallel
    } else {
        Order::Sequential
    };
    let flow = Flow {
        key: new_key(),
        name,
        approvers,
        order,
        rule,
    };
    FLOWS.insert(&flow)?;
    audit::append(
        "approval.flow-saved",
        &flow.key,
        &json!({ "name": flow.name }),
    )?;
    deciding::offer_flows()?;
    Ok(Done::redirect_with(
        "/approvals/flows",
        ctx.tr(
            "The flow is saved; the organizations below can submit to it.",
            "Postup je uložen; organizace pod vámi do něj mohou podávat žádosti.",
        ),
    ))
}

/// The approvers' absences, and the form to set one's own.
pub fn absences(ctx: &Context, form: Option<&FormPost>, errors: &[(&str, String)]) -> Result<View> {
    let today = calendar::today().to_string();
    let current = ABSENCES
        .find()
        .ge("until", &today)
        .sort("until")
        .limit(200)
        .fetch::<Absence>()?
        .documents;
    let mut t = Table::new(ctx.tr(
        "Absences now and to come",
        "Současné a budoucí nepřítomnosti",
    ))
    .column(ctx.tr("Approver", "Schvalovatel"))
    .column(ctx.tr("Substitute", "Zástupce"))
    .column(ctx.tr("From", "Od"))
    .column(ctx.tr("Until", "Do"))
    .empty_text(ctx.tr("Nobody is away.", "Nikdo není nepřítomen."));
    let holders = people::holders("approve")?;
    let name_of = |id: &str| {
        holders
            .iter()
            .find(|p| p.user_id == id)
            .map_or(id.to_owned(), |p| p.name.clone())
    };
    for d in &current {
        let a = &d.data;
        let day = |s: &str| calendar::format_date_text(s, ctx.locale());
        t = t.row([
            Cell::from(name_of(&a.user_id)),
            Cell::from(a.substitute.name.as_str()),
            Cell::from(day(&a.from)),
            Cell::from(day(&a.until)),
        ]);
    }
    let me = me(ctx)?;
    let value = |n: &str| form.and_then(|f| f.get(n)).unwrap_or_default().to_owned();
    let err = |f: Field, n: &str| match errors_at(errors, n) {
        Some(e) => f.error(e.clone()),
        None => f,
    };
    let mut view =
        View::new(ctx.tr("Absences and substitutes", "Nepřítomnost a zástupci")).table(t);
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was saved; see the fields below.",
                "Nic nebylo uloženo; opravte pole níže.",
            ),
        );
    }
    Ok(view
        .heading(ctx.tr("I will be away", "Budu nepřítomen/nepřítomna"))
        .form(
            Form::new("/approvals/absences", ctx.tr("Save", "Uložit"))
                .field(err(
                    Field::select(
                        "substitute",
                        ctx.tr("Who decides in my place", "Kdo rozhoduje místo mě"),
                        holders
                            .iter()
                            .filter(|p| p.user_id != me.user_id)
                            .map(|p| (p.user_id.as_str(), p.name.as_str())),
                    )
                    .required()
                    .selected([value("substitute")]),
                    "substitute",
                ))
                .field(err(
                    Field::date("from", ctx.tr("From", "Od"))
                        .required()
                        .value(value("from")),
                    "from",
                ))
                .field(err(
                    Field::date("until", ctx.tr("Until", "Do"))
                        .required()
                        .value(value("until")),
                    "until",
                )),
        ))
}

/// An approver's absence posted.
pub fn save_absence(ctx: &Context, form: &FormPost) -> Result<Done> {
    let me = me(ctx)?;
    let field = |n: &str| form.get(n).unwrap_or_default().trim().to_owned();
    let holders = people::holders("approve")?;
    let mut errors = Vec::new();
    let substitute = holders
        .iter()
        .find(|p| p.user_id == field("substitute") && p.user_id != me.user_id);
    if substitute.is_none() {
        errors.push((
            "substitute",
            ctx.tr("Choose another approver.", "Vyberte jiného schvalovatele.")
                .to_owned(),
        ));
    }
    let (from, until) = (
        calendar::parse_date(&field("from")),
        calendar::parse_date(&field("until")),
    );
    for (n, d) in [("from", from), ("until", until)] {
        if d.is_none() {
            errors.push((
                n,
                ctx.tr("Use the form YYYY-MM-DD.", "Zadejte ve tvaru RRRR-MM-DD.")
                    .to_owned(),
            ));
        }
    }
    if let (Some(f), Some(u)) = (from, until)
        && u < f
    {
        errors.push((
            "until",
            ctx.tr(
                "The absence ends before it begins.",
                "Nepřítomnost končí dřív, než začne.",
            )
            .to_owned(),
        ));
    }
    let (Some(substitute), Some(from), Some(until), true) =
        (substitute, from, until, errors.is_empty())
    else {
        return Ok(Done::Show(absences(ctx, Some(form), &errors)?));
    };
    ABSENCES.insert(&Absence {
        user_id: me.user_id,
        substitute: super::Approver {
            user_id: substitute.user_id.clone(),
            name: substitute.name.clone(),
        },
        from: from.to_string(),
        until: until.to_string(),
    })?;
    Ok(Done::redirect_with(
        "/approvals/absences",
        ctx.tr(
            "Your absence is saved; your substitute is asked in your place.",
            "Nepřítomnost je uložena; místo vás bude dotázán váš zástupce.",
        ),
    ))
}
