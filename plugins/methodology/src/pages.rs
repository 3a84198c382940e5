//! The pages: the guidance by category and its search, an article and
//! its versions, writing one, and the questions on both sides.

use std::collections::BTreeMap;

use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, NoticeLevel, Page, Result, Table,
    TimelineEntry, View, segment,
};

use crate::model::{
    ARTICLES, Article, COPIES, QUESTIONS, Question, VERSIONS, article_of, fold, markdown,
    question_of, readable, when,
};

fn can_publish(ctx: &Context) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission("methodology.publish"))
}

/// Every article this organization reads: its own and those from above.
fn all_articles() -> Result<Vec<Article>> {
    let mut all: Vec<Article> = ARTICLES
        .find()
        .fetch_all::<Article>(2_000)?
        .into_iter()
        .map(|d| d.data)
        .collect();
    all.extend(
        COPIES
            .find()
            .fetch_all::<Article>(2_000)?
            .into_iter()
            .map(|d| d.data),
    );
    Ok(all)
}

/// The guidance by category, or what a search found.
pub fn list(ctx: &Context, page: &Page) -> Result<View> {
    let q = page.query("q").unwrap_or_default().trim().to_owned();
    let mut view = View::new(ctx.tr("Methodical help", "Metodická pomoc")).form(
        Form::new("/", ctx.tr("Search", "Hledat")).field(
            Field::text("q", ctx.tr("Search the guidance", "Hledat v metodikách"))
                .value(q.clone())
                .help(ctx.tr(
                    "Czech words are found with or without diacritics, in any case.",
                    "Česká slova se najdou s diakritikou i bez ní, velkými i malými písmeny.",
                )),
        ),
    );
    let mut actions = Vec::new();
    if can_publish(ctx) {
        actions.push(Action::primary(
            ctx.tr("Write guidance", "Napsat metodiku"),
            "/write",
        ));
    }
    actions.push(Action::secondary(
        ctx.tr("Questions", "Dotazy"),
        "/questions",
    ));
    view = view.actions(actions);
    let all = all_articles()?;
    let table = |caption: &str, rows: &[&Article]| {
        let mut t = Table::new(caption)
            .column(ctx.tr("Guidance", "Metodika"))
            .column(ctx.tr("From", "Od"))
            .column(ctx.tr("Version", "Verze"))
            .column(ctx.tr("Published", "Vydáno"))
            .empty_text(ctx.tr("Nothing found.", "Nic nenalezeno."));
        for a in rows {
            t = t.row([
                Cell::link(a.title.as_str(), format!("/articles/{}", segment(&a.key))),
                Cell::from(a.founder_name.as_str()),
                Cell::from(a.version.to_string()),
                Cell::from(when(ctx, &a.published_at)),
            ]);
        }
        t
    };
    if !q.is_empty() {
        let words: Vec<String> = fold(&q).split_whitespace().map(str::to_owned).collect();
        let found: Vec<&Article> = all
            .iter()
            .filter(|a| {
                let text = fold(&format!("{} {} {}", a.title, a.category, a.body));
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .collect();
        let caption = if ctx.is_czech() {
            format!("Nalezeno pro „{q}“: {}", found.len())
        } else {
            format!("Found for \"{q}\": {}", found.len())
        };
        return Ok(view.table(table(&caption, &found)));
    }
    let mut by_category: BTreeMap<&str, Vec<&Article>> = BTreeMap::new();
    for a in &all {
        by_category.entry(a.category.as_str()).or_default().push(a);
    }
    if by_category.is_empty() {
        return Ok(view.text(ctx.tr("No guidance yet.", "Zatím žádná metodika.")));
    }
    for (category, mut rows) in by_category {
        rows.sort_by(|a, b| a.title.cmp(&b.title));
        view = view.table(table(category, &rows));
    }
    Ok(view)
}

/// An article, and the way to ask about it.
pub fn article(ctx: &Context, key: &str, errors: &[(&str, String)]) -> Result<View> {
    let a = readable(key)?;
    let mut view = View::new(a.title.clone()).key_values([
        (
            ctx.tr("Category", "Kategorie").to_owned(),
            a.category.clone(),
        ),
        (
            ctx.tr("From", "Od").to_owned(),
            format!("{} ({})", a.founder_name, a.author),
        ),
        (ctx.tr("Version", "Verze").to_owned(), a.version.to_string()),
        (
            ctx.tr("Published", "Vydáno").to_owned(),
            when(ctx, &a.published_at),
        ),
    ]);
    if !a.changed.is_empty() {
        view = view.notice(
            NoticeLevel::Info,
            format!(
                "{} {}",
                ctx.tr("What changed:", "Co se změnilo:"),
                a.changed
            ),
        );
    }
    view = markdown(view, &a.body);
    let own = article_of(key)?.is_some();
    let mut actions = vec![Action::secondary(
        ctx.tr("All guidance", "Všechny metodiky"),
        "/",
    )];
    if own {
        actions.push(Action::secondary(
            ctx.tr("Versions", "Verze"),
            format!("/articles/{}/versions", segment(key)),
        ));
        if can_publish(ctx) {
            actions.push(Action::primary(
                ctx.tr("Change it", "Změnit"),
                format!("/articles/{}/edit", segment(key)),
            ));
        }
    } else {
        if !errors.is_empty() {
            view = view.notice(
                NoticeLevel::Error,
                ctx.tr(
                    "The question was not sent; see the fields below.",
                    "Dotaz nebyl odeslán; opravte pole níže.",
                ),
            );
        }
        view = view
            .heading(ctx.tr("Ask the founder", "Zeptat se zřizovatele"))
            .form(
                Form::new(
                    format!("/articles/{}/ask", segment(key)),
                    ctx.tr("Send the question", "Odeslat dotaz"),
                )
                .field(
                    Field::text("subject", ctx.tr("Subject", "Předmět"))
                        .required()
                        .value(a.title.clone())
                        .error_among(errors),
                )
                .field(
                    Field::textarea("text", ctx.tr("Your question", "Váš dotaz"))
                        .required()
                        .error_among(errors),
                ),
            );
    }
    Ok(view.actions(actions))
}

/// Every version of the founder's article, newest first.
pub fn versions(ctx: &Context, key: &str) -> Result<View> {
    let a = article_of(key)?
        .ok_or_else(|| Error::not_found(format!("no article {key}")))?
        .data;
    let all = VERSIONS
        .find()
        .eq("key", key)
        .limit(500)
        .fetch::<Article>()?
        .documents;
    let mut entries: Vec<TimelineEntry> = all
        .iter()
        .map(|d| {
            let v = &d.data;
            let said = if v.changed.is_empty() {
                ctx.tr("First version.", "První verze.").to_owned()
            } else {
                v.changed.clone()
            };
            TimelineEntry::new(
                when(ctx, &v.published_at),
                format!(
                    "{} {} — {}",
                    ctx.tr("Version", "Verze"),
                    v.version,
                    v.author
                ),
            )
            .text(said)
        })
        .collect();
    entries.reverse();
    Ok(
        View::new(format!("{} — {}", a.title, ctx.tr("versions", "verze")))
            .timeline(entries)
            .actions([Action::secondary(
                ctx.tr("The guidance", "Metodika"),
                format!("/articles/{}", segment(key)),
            )]),
    )
}

/// The form of new guidance, or of a new version of `key`.
pub fn write(
    ctx: &Context,
    key: Option<&str>,
    form: Option<&FormPost>,
    errors: &[(&str, String)],
) -> Result<View> {
    let current = match key {
        Some(k) => Some(
            article_of(k)?
                .ok_or_else(|| Error::not_found(format!("no article {k}")))?
                .data,
        ),
        None => None,
    };
    let value = |n: &str, now: &str| {
        form.and_then(|f| f.get(n))
            .map_or_else(|| now.to_owned(), str::to_owned)
    };
    let (title, category, body) = current.as_ref().map_or(("", "", ""), |a| {
        (a.title.as_str(), a.category.as_str(), a.body.as_str())
    });
    let mut view = View::new(if current.is_some() {
        ctx.tr("Change the guidance", "Změnit metodiku")
    } else {
        ctx.tr("Write guidance", "Napsat metodiku")
    });
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was published; see the fields below.",
                "Nic nebylo vydáno; opravte pole níže.",
            ),
        );
    }
    let action = match key {
        Some(k) => format!("/articles/{}/edit", segment(k)),
        None => "/write".to_owned(),
    };
    let mut f = Form::new(
        action,
        ctx.tr(
            "Publish to the organizations below",
            "Vydat organizacím pod námi",
        ),
    )
    .field(
        Field::text("title", ctx.tr("Title", "Název"))
            .required()
            .value(value("title", title))
            .error_among(errors),
    )
    .field(
        Field::text("category", ctx.tr("Category", "Kategorie"))
            .required()
            .value(value("category", category))
            .error_among(errors),
    )
    .field(
        Field::textarea(
            "body",
            ctx.tr(
                "Text (Markdown: # headings, - lists, [links](https://…))",
                "Text (Markdown: # nadpisy, - seznamy, [odkazy](https://…))",
            ),
        )
        .required()
        .value(value("body", body))
        .error_among(errors),
    );
    if current.is_some() {
        f = f.field(
            Field::textarea("changed", ctx.tr("What changed", "Co se změnilo"))
                .required()
                .value(value("changed", ""))
                .error_among(errors),
        );
    }
    Ok(view.form(f))
}

/// Questions: those from below (the founder's), and our own.
pub fn questions(ctx: &Context) -> Result<View> {
    let here = ctx.org_id();
    let mut view = View::new(ctx.tr("Questions", "Dotazy"));
    let all: Vec<Question> = QUESTIONS
        .find()
        .newest_first()
        .limit(500)
        .fetch::<Question>()?
        .documents
        .into_iter()
        .map(|d| d.data)
        .collect();
    if can_publish(ctx) {
        let mut t = Table::new(ctx.tr(
            "Questions from the organizations below",
            "Dotazy organizací pod námi",
        ))
        .column(ctx.tr("Subject", "Předmět"))
        .column(ctx.tr("Organization", "Organizace"))
        .column(ctx.tr("Answered", "Zodpovězeno"))
        .empty_text(ctx.tr("No question.", "Žádný dotaz."));
        let mut from_below: Vec<&Question> = all.iter().filter(|q| q.org != here).collect();
        from_below.sort_by_key(|q| q.answered == "yes");
        for q in from_below {
            t = t.row([
                Cell::link(
                    q.subject.as_str(),
                    format!("/asked/{}/{}", segment(&q.org), segment(&q.key)),
                ),
                Cell::from(q.org_name.as_str()),
                Cell::from(if q.answered == "yes" {
                    ctx.tr("Yes", "Ano")
                } else {
                    ctx.tr("Not yet", "Zatím ne")
                }),
            ]);
        }
        view = view.table(t);
    }
    let mut t = Table::new(ctx.tr("Our questions", "Naše dotazy"))
        .column(ctx.tr("Subject", "Předmět"))
        .column(ctx.tr("Answered", "Zodpovězeno"))
        .empty_text(ctx.tr(
            "No question yet. Ask from the guidance it is about.",
            "Zatím žádný dotaz. Zeptejte se z metodiky, které se týká.",
        ));
    for q in all.iter().filter(|q| q.org == here) {
        t = t.row([
            Cell::link(
                q.subject.as_str(),
                format!("/questions/{}", segment(&q.key)),
            ),
            Cell::from(if q.answered == "yes" {
                ctx.tr("Yes", "Ano")
            } else {
                ctx.tr("Not yet", "Zatím ne")
            }),
        ]);
    }
    Ok(view.table(t))
}

fn thread(ctx: &Context, view: View, q: &Question) -> View {
    view.timeline(q.posts.iter().map(|p| {
        TimelineEntry::new(when(ctx, &p.at), format!("{} ({})", p.by, p.org)).text(p.text.clone())
    }))
}

/// Our question and its thread, with a further message.
pub fn question(ctx: &Context, key: &str, errors: &[(&str, String)]) -> Result<View> {
    let q = question_of(key, ctx.org_id())?
        .ok_or_else(|| Error::not_found(format!("no question {key}")))?
        .data;
    let mut view = thread(ctx, View::new(q.subject.clone()), &q);
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was sent; see the field below.",
                "Nic nebylo odesláno; opravte pole níže.",
            ),
        );
    }
    Ok(view
        .form(
            Form::new(
                format!("/questions/{}", segment(key)),
                ctx.tr("Send", "Odeslat"),
            )
            .field(
                Field::textarea("text", ctx.tr("A further message", "Další zpráva"))
                    .required()
                    .error_among(errors),
            ),
        )
        .actions([Action::secondary(
            ctx.tr("All questions", "Všechny dotazy"),
            "/questions",
        )]))
}

/// A question from below, with the founder's answer.
pub fn asked(ctx: &Context, org: &str, key: &str, errors: &[(&str, String)]) -> Result<View> {
    let q = question_of(key, org)?
        .filter(|d| d.data.org != ctx.org_id())
        .ok_or_else(|| Error::not_found(format!("no question {key} from below")))?
        .data;
    let mut view = View::new(format!("{} — {}", q.subject, q.org_name));
    if !q.article.is_empty()
        && let Ok(a) = readable(&q.article)
    {
        view = view.actions([Action::secondary(
            a.title,
            format!("/articles/{}", segment(&q.article)),
        )]);
    }
    view = thread(ctx, view, &q);
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was sent; see the field below.",
                "Nic nebylo odesláno; opravte pole níže.",
            ),
        );
    }
    Ok(view
        .form(
            Form::new(
                format!("/asked/{}/{}", segment(org), segment(key)),
                ctx.tr("Send the answer", "Odeslat odpověď"),
            )
            .field(
                Field::textarea("text", ctx.tr("Answer", "Odpověď"))
                    .required()
                    .error_among(errors),
            ),
        )
        .actions([Action::secondary(
            ctx.tr("All questions", "Všechny dotazy"),
            "/questions",
        )]))
}
