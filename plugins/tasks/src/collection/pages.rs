//! The pages of a data collection: the organization's form (drafts, checks
//! at each field, submitting it with the task), and the founder's answers
//! with how complete they are and one action that reminds the rest.

use portico_forms::definition::{Answers, Form, Kind};
use portico_forms::fields::{self, Drawing};
use portico_sdk::{
    Action, Cell, Context, Error, FormPost, NoticeLevel, Outcome, Result, Stat, Table, View,
    segment,
};

use super::{answers_shown, collecting, copies, fits, form_of, in_order};
use crate::flow::{self, Move};
use crate::model::{RECEIVED, Received, State, day, moment, now, received_of, task_of};

fn english(ctx: &Context) -> bool {
    !ctx.is_czech()
}

fn unlocked(_: &portico_forms::definition::FieldSpec) -> Option<String> {
    None
}

fn drawing(ctx: &Context) -> Drawing<'static> {
    Drawing {
        en: english(ctx),
        locked: &unlocked,
    }
}

fn may(ctx: &Context, permission: &str) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission(&format!("tasks.{permission}")))
}

/// Whether the principal may change this organization's answers: its
/// responsible person, or the worker the task is handed to while it is
/// with them.
fn may_edit(ctx: &Context, r: &Received) -> bool {
    may(ctx, "respond")
        || (r.state == State::Delegated
            && ctx
                .principal()
                .is_some_and(|p| p.user_id() == r.worker && p.has_permission("tasks.resolve")))
}

/// The states in which the organization's answers may change.
fn editable(state: State) -> bool {
    matches!(
        state,
        State::New | State::Accepted | State::Delegated | State::Resolved | State::Returned
    )
}

/// The answers of the fields shown, as a person reads them.
pub fn answered(ctx: &Context, form: &Form, answers: &Answers) -> Vec<(String, String)> {
    in_order(form)
        .into_iter()
        .filter(|f| form.shown(f, answers))
        .map(|f| {
            let shown = fields::shown_value(f, answers.get(&f.name), english(ctx));
            (f.title.clone(), shown)
        })
        .collect()
}

/// The founder's reason with the latest return, if the task was returned.
fn last_reason(r: &Received) -> Option<&str> {
    r.history
        .iter()
        .rev()
        .find(|s| s.state == State::Returned)
        .map(|s| s.note.as_str())
        .filter(|n| !n.is_empty())
}

/// The organization's form of a task that collects data: to fill in while
/// the task is with the organization; to read once it is submitted,
/// approved or declined. `answers` are those just posted, with `errors`
/// at their fields.
pub fn fill(
    ctx: &Context,
    task: &str,
    answers: Option<&Answers>,
    errors: &[(String, String)],
) -> Result<View> {
    if !(may(ctx, "respond") || may(ctx, "resolve")) {
        return Err(Error::forbidden(ctx.tr(
            "Only the organization's responsible people and workers see its tasks.",
            "Úkoly organizace vidí jen její odpovědné osoby a pracovníci.",
        )));
    }
    let r = received_of(task)?.data;
    let Some(def) = &r.form else {
        return Err(Error::not_found(ctx.tr(
            "This task has no form to fill in.",
            "Tento úkol nemá formulář k vyplnění.",
        )));
    };
    let form = form_of(def)?;
    let answers = answers.unwrap_or(&r.answers);
    let mut view = View::new(form.def.title.clone());
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr("The answers are saved as a draft. Correct the fields marked below before you submit.",
                "Odpovědi jsou uložené jako rozpracované. Před odevzdáním opravte označená pole.",
            ),
        );
    }
    match r.state {
        State::Submitted => {
            view = view.notice(
                NoticeLevel::Info,
                ctx.tr("Submitted to the founder: the answers cannot be changed while they wait for the decision.",
                    "Odevzdáno zřizovateli: dokud o odpovědích nerozhodne, nelze je měnit.",
                ),
            )
        }
        State::Closed => {
            view = view.notice(
                NoticeLevel::Success,
                ctx.tr("Approved by the founder: the answers are locked. Only the founder can open them again.",
                    "Schváleno zřizovatelem: odpovědi jsou uzamčené. Znovu je může otevřít jen zřizovatel.",
                ),
            )
        }
        State::Declined => {
            view = view.notice(
                NoticeLevel::Info,
                ctx.tr("The organization declined this task.",
                    "Organizace tento úkol odmítla.",
                ),
            )
        }
        State::Returned => {
            if let Some(reason) = last_reason(&r) {
                view = view.notice(
                    NoticeLevel::Warning,
                    format!(
                        "{} {reason}",
                        ctx.tr("Returned by the founder:", "Vráceno zřizovatelem:")
                    ),
                );
            }
        }
        _ => {}
    }
    let mut facts = vec![
        (ctx.tr("Task", "Úkol").to_owned(), r.title.clone()),
        (ctx.tr("Deadline", "Termín").to_owned(), day(ctx, &r.due)),
        (
            ctx.tr("State", "Stav").to_owned(),
            r.state.label(ctx).to_owned(),
        ),
    ];
    if !r.saved_at.is_empty() {
        facts.push((
            ctx.tr("Last saved", "Naposledy uloženo").to_owned(),
            format!("{} ({})", moment(ctx, &r.saved_at), r.saved_by),
        ));
    }
    view = view.key_values(facts);
    if !form.def.description.is_empty() {
        view = view.text(form.def.description.clone());
    }
    if editable(r.state) && may_edit(ctx, &r) {
        let how = drawing(ctx);
        let mut f = portico_sdk::Form::new(
            format!("/inbox/{}/form", segment(task)),
            ctx.tr("Save the draft", "Uložit rozpracované"),
        );
        for spec in in_order(&form)
            .into_iter()
            .filter(|f| form.shown(f, answers))
        {
            f = f.field(fields::draw(how, &form, spec, answers, errors));
        }
        if may(ctx, "respond") {
            f = f.button(
                "submit",
                ctx.tr("Submit to the founder", "Odevzdat zřizovateli"),
            );
        }
        view = view.form(f);
        if !may(ctx, "respond") {
            view = view.text(ctx.tr(
                "Save your answers; the organization's responsible person submits them.",
                "Odpovědi uložte; odevzdá je odpovědná osoba organizace.",
            ));
        }
    } else {
        view = view
            .heading(ctx.tr("Answers", "Odpovědi"))
            .key_values(answered(ctx, &form, answers));
    }
    Ok(view.actions([Action::secondary(
        ctx.tr("Back to the task", "Zpět na úkol"),
        format!("/inbox/{}", segment(task)),
    )]))
}

/// Saves the organization's answers as a draft, or (the "submit" button)
/// checks them whole and submits them with the task.
pub fn save(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let task = post.param("task").unwrap_or_default().to_owned();
    let doc = received_of(&task)?;
    let mut r = doc.data;
    let Some(def) = r.form.clone() else {
        return Err(Error::not_found(ctx.tr(
            "This task has no form to fill in.",
            "Tento úkol nemá formulář k vyplnění.",
        )));
    };
    if !may_edit(ctx, &r) {
        return Err(Error::forbidden(ctx.tr("Only the organization's responsible person, or the worker the task is handed to, may fill in its form.",
            "Formulář smí vyplnit jen odpovědná osoba organizace nebo pracovník, jemuž byl úkol předán.",
        )));
    }
    if !editable(r.state) {
        return Err(Error::Conflict(if ctx.is_czech() {
            format!(
                "Úkol je ve stavu „{}“: odpovědi nyní měnit nelze. Obnovte stránku.",
                r.state.cs()
            )
        } else {
            format!(
                "The task is \"{}\": its answers cannot be changed now. Reload the page.",
                r.state.en()
            )
        }));
    }
    let submitting = post.button() == Some("submit");
    if submitting && !may(ctx, "respond") {
        return Err(Error::forbidden(ctx.tr(
            "Only the organization's responsible person submits to the founder.",
            "Zřizovateli odevzdává jen odpovědná osoba organizace.",
        )));
    }
    let form = form_of(&def)?;
    let names: Vec<String> = form.fields.iter().map(|f| f.name.clone()).collect();
    let mut answers = r.answers.clone();
    let mut errors = Vec::new();
    let how = drawing(ctx);
    fields::read_posted(how, &form, &names, post, &mut answers, &mut errors)?;
    form.calculate(&mut answers);
    if !fits(&answers) {
        return Err(Error::Conflict(
            ctx.tr("Nothing was saved: the answers are too long together. Shorten the longest texts.",
                "Nic nebylo uloženo: odpovědi jsou dohromady příliš dlouhé. Zkraťte nejdelší texty.",
            )
            .to_owned(),
        ));
    }
    // A draft is checked where something is typed; a submission whole.
    let checked: Vec<String> = if submitting {
        names.clone()
    } else {
        names
            .iter()
            .filter(|n| {
                answers
                    .get(n.as_str())
                    .is_some_and(|v| !portico_forms::definition::is_empty(v))
            })
            .cloned()
            .collect()
    };
    for e in form.check(&checked, &answers, english(ctx)) {
        if !errors.iter().any(|(n, _)| *n == e.0) {
            errors.push(e);
        }
    }
    let back = format!("/inbox/{}", segment(&task));
    // A draft, or a submission with errors, is kept as a draft; a
    // submission goes with its move, which writes the answers.
    if !submitting || !errors.is_empty() {
        r.answers = answers;
        r.saved_at = now();
        r.saved_by = ctx.person();
        RECEIVED.update(&doc.id, doc.version, &r)?;
        if !errors.is_empty() {
            return Ok(Outcome::Show(fill(ctx, &task, Some(&r.answers), &errors)?));
        }
        return Ok(Outcome::redirect_with(
            format!("{back}/form"),
            ctx.tr("The draft is saved.", "Rozpracované odpovědi jsou uloženy."),
        ));
    }
    if r.state == State::New {
        flow::make_move(ctx, &task, Move::Accept, "", "", None)?;
    }
    flow::make_move(ctx, &task, Move::Submit, "", "", Some(answers))?;
    Ok(Outcome::redirect_with(
        back,
        ctx.tr(
            "The answers are submitted to the founder.",
            "Odpovědi jsou odevzdány zřizovateli.",
        ),
    ))
}

/// Whether an organization's copy counts as answered: submitted, or
/// approved.
fn answered_state(state: State) -> bool {
    matches!(state, State::Submitted | State::Closed)
}

/// How complete a collection is, from the states of its copies: answered
/// of all, as a whole percentage.
fn completeness(states: impl IntoIterator<Item = State>) -> (usize, usize, u32) {
    let (mut answered, mut all) = (0, 0);
    for state in states {
        all += 1;
        answered += usize::from(answered_state(state));
    }
    let percent = (answered * 100).checked_div(all).unwrap_or(0) as u32;
    (answered, all, percent)
}

/// "3 of 4 (75 %)" in the reader's language.
pub fn completeness_words(ctx: &Context, states: impl IntoIterator<Item = State>) -> String {
    let (answered, all, percent) = completeness(states);
    if ctx.is_czech() {
        format!("{answered} z {all} ({percent} %)")
    } else {
        format!("{answered} of {all} ({percent}%)")
    }
}

/// The founder's answers of a collection: how complete it is, the
/// reminder for those who have not submitted, each organization's answers,
/// and the downloads.
pub fn answers(ctx: &Context, task: &str) -> Result<View> {
    let (t, form) = collecting(ctx, task)?;
    let rows = copies(task)?;
    let count = |states: &[State]| {
        rows.iter()
            .filter(|s| states.contains(&s.state))
            .count()
            .to_string()
    };
    let waiting = rows.iter().filter(|s| s.state.open()).count();
    let columns = in_order(&form);
    let mut table = Table::new(ctx.tr("Answers", "Odpovědi"))
        .column(ctx.tr("Organization", "Organizace"))
        .column(ctx.tr("State", "Stav"));
    for f in &columns {
        table = if matches!(f.kind, Kind::Integer | Kind::Number) {
            table.numeric_column(f.title.clone())
        } else {
            table.column(f.title.clone())
        };
    }
    for s in &rows {
        let mut cells = vec![
            Cell::link(
                s.org_name.as_str(),
                format!("/sent/{}/{}", segment(task), segment(&s.org)),
            ),
            Cell::from(s.state.label(ctx)),
        ];
        for f in &columns {
            let shown = if answers_shown(s.state) {
                fields::shown_value(f, s.answers.get(&f.name), english(ctx))
            } else {
                String::new()
            };
            cells.push(Cell::from(shown));
        }
        table = table.row(cells);
    }
    let mut view = View::new(format!("{} — {}", t.title, ctx.tr("answers", "odpovědi")))
        .key_values([
            (ctx.tr("Deadline", "Termín").to_owned(), day(ctx, &t.due)),
            (
                ctx.tr("Completeness", "Úplnost").to_owned(),
                completeness_words(ctx, rows.iter().map(|s| s.state)),
            ),
        ])
        .stats([
            Stat::new(ctx.tr("Approved", "Schváleno"), count(&[State::Closed])),
            Stat::new(
                ctx.tr("Awaiting your decision", "Čeká na vaše rozhodnutí"),
                count(&[State::Submitted]),
            ),
            Stat::new(
                ctx.tr("Not submitted yet", "Dosud neodevzdáno"),
                waiting.to_string(),
            ),
            Stat::new(ctx.tr("Declined", "Odmítnuto"), count(&[State::Declined])),
        ]);
    if waiting > 0 {
        view = view.form(portico_sdk::Form::new(
            format!("/campaign/{}/remind", segment(task)),
            if ctx.is_czech() {
                format!("Připomenout organizacím, které neodevzdaly ({waiting})")
            } else {
                format!("Remind those who have not submitted ({waiting})")
            },
        ));
    }
    Ok(view.table(table).actions([
        Action::secondary(
            ctx.tr("Download CSV", "Stáhnout CSV"),
            format!("/campaign/{}/answers.csv", segment(task)),
        ),
        Action::secondary(
            ctx.tr("Download XLSX", "Stáhnout XLSX"),
            format!("/campaign/{}/answers.xlsx", segment(task)),
        ),
        Action::secondary(
            ctx.tr("The whole task", "Celý úkol"),
            format!("/sent/{}", segment(task)),
        ),
    ]))
}

/// Reminds every organization that has not submitted yet, with one action.
pub fn remind(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let task = post.param("task").unwrap_or_default().to_owned();
    task_of(&task)?;
    let n = flow::remind_late(ctx, &task)?;
    let said = match (n, ctx.is_czech()) {
        (0, false) => "Nobody to remind: every organization has submitted.".to_owned(),
        (0, true) => "Není komu připomínat: všechny organizace odevzdaly.".to_owned(),
        (1, false) => "1 organization is reminded.".to_owned(),
        (n, false) => format!("{n} organizations are reminded."),
        (1, true) => "Připomenuto 1 organizaci.".to_owned(),
        (n, true) => format!("Připomenuto {n} organizacím."),
    };
    Ok(Outcome::redirect_with(
        format!("/campaign/{}", segment(&task)),
        said,
    ))
}
