//! Methodical help: the founder's departments publish guidance (articles
//! in Markdown, in categories, each change a new version with what
//! changed) to the organizations below, which receive each version as a
//! message and are told of it; organizations ask questions, the founder
//! answers, both ways in a thread. Search finds Czech words regardless of
//! case and diacritics.
//!
//! - `model`: what is kept, the messages, folding, Markdown.
//! - `pages`: the list and search, an article, writing, questions.

mod model;
mod pages;

use portico_sdk::notify::{self, To};
use portico_sdk::orgs;
use portico_sdk::{
    Context, Error, FormPost, Message, Module, Outcome, Page, Result, View, audit, messages,
    people, segment,
};
use serde_json::json;

use model::{
    ARTICLES, Article, COPIES, MOST_BODY, MOST_POST, Note, Post, QUESTIONS, Question, VERSIONS,
    article_of, copy_of, new_key, now, question_of,
};

struct Methodology;

type Errors = Vec<(&'static str, String)>;

fn length(ctx: &Context, errors: &mut Errors, name: &'static str, value: &str, most: usize) {
    if value.is_empty() {
        errors.push((name, ctx.tr("Fill this in.", "Vyplňte prosím.").to_owned()));
    } else if value.chars().count() > most {
        errors.push((
            name,
            if ctx.is_czech() {
                format!("Použijte nejvýše {most} znaků.")
            } else {
                format!("Use at most {most} characters.")
            },
        ));
    }
}

/// Publishes a new article, or a new version of `key`; every organization
/// below with the module receives it.
fn publish(ctx: &Context, form: &FormPost, key: Option<&str>) -> Result<Outcome> {
    let field = |n: &str| form.get(n).unwrap_or_default().trim().to_owned();
    let (title, category, body, changed) = (
        field("title"),
        field("category"),
        field("body"),
        field("changed"),
    );
    let mut errors = Errors::new();
    length(ctx, &mut errors, "title", &title, 200);
    length(ctx, &mut errors, "category", &category, 100);
    length(ctx, &mut errors, "body", &body, MOST_BODY);
    let existing = match key {
        Some(k) => Some(article_of(k)?.ok_or_else(|| Error::not_found(format!("no article {k}")))?),
        None => None,
    };
    if existing.is_some() {
        length(ctx, &mut errors, "changed", &changed, 2_000);
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(pages::write(ctx, key, Some(form), &errors)?));
    }
    let me = orgs::current()?;
    let article = Article {
        key: key.map_or_else(new_key, str::to_owned),
        title,
        category,
        body,
        version: existing.as_ref().map_or(1, |d| d.data.version + 1),
        changed,
        author: ctx.person(),
        published_at: now(),
        founder: me.id.clone(),
        founder_name: me.name.clone(),
    };
    match &existing {
        Some(d) => {
            ARTICLES.update(&d.id, d.version, &article)?;
        }
        None => {
            ARTICLES.insert(&article)?;
        }
    }
    VERSIONS.insert(&article)?;
    audit::append(
        "guidance.published",
        &article.key,
        &json!({ "title": article.title, "version": article.version }),
    )?;
    let note = Note::Published {
        article: article.clone(),
    };
    let below: Vec<_> = orgs::descendants(None, None)?
        .into_iter()
        .filter(|o| o.module_enabled)
        .collect();
    for o in &below {
        messages::send(&o.id, note.kind(), &note)?;
    }
    let said = if ctx.is_czech() {
        format!(
            "Metodika je vydána; dostalo ji organizací: {}.",
            below.len()
        )
    } else {
        format!(
            "The guidance is published to {} organizations below.",
            below.len()
        )
    };
    Ok(Outcome::redirect_with(
        format!("/articles/{}", segment(&article.key)),
        said,
    ))
}

/// An organization asks (about an article, or a further message of its
/// question); the founder answers.
fn ask(ctx: &Context, form: &FormPost, key: Option<&str>, article: &str) -> Result<Outcome> {
    let subject = form.get("subject").unwrap_or_default().trim().to_owned();
    let text = form.get("text").unwrap_or_default().trim().to_owned();
    let mut errors = Errors::new();
    if key.is_none() {
        length(ctx, &mut errors, "subject", &subject, 200);
    }
    length(ctx, &mut errors, "text", &text, MOST_POST);
    let Some(founder) = orgs::ancestors()?
        .into_iter()
        .next()
        .filter(|o| o.module_enabled)
    else {
        return Err(Error::Conflict(
            ctx.tr(
                "Your founder does not run methodical help here; there is nobody to ask.",
                "Váš zřizovatel metodickou pomoc nevede; není koho se zeptat.",
            )
            .to_owned(),
        ));
    };
    if !errors.is_empty() {
        return Ok(Outcome::Show(match key {
            Some(k) => pages::question(ctx, k, &errors)?,
            None => pages::article(ctx, article, &errors)?,
        }));
    }
    let me = orgs::current()?;
    let post = Post {
        at: now(),
        by: ctx.person(),
        org: me.name.clone(),
        text,
    };
    let found = match key {
        Some(k) => Some(
            question_of(k, &me.id)?.ok_or_else(|| Error::not_found(format!("no question {k}")))?,
        ),
        None => None,
    };
    let (key, subject) = match found {
        Some(d) => {
            let mut q = d.data;
            if q.posts.len() >= 200 {
                return Err(Error::Conflict(
                    ctx.tr("This thread is full.", "Toto vlákno je plné.")
                        .to_owned(),
                ));
            }
            q.posts.push(post.clone());
            q.posts.sort_by(|a, b| a.at.cmp(&b.at));
            q.answered = "no".into();
            QUESTIONS.update(&d.id, d.version, &q)?;
            (q.key, q.subject)
        }
        None => {
            let q = Question {
                key: new_key(),
                org: me.id.clone(),
                org_name: me.name.clone(),
                subject,
                article: article.to_owned(),
                posts: vec![post.clone()],
                answered: "no".into(),
            };
            QUESTIONS.insert(&q)?;
            (q.key, q.subject)
        }
    };
    let note = Note::Asked {
        key: key.clone(),
        subject,
        article: article.to_owned(),
        post,
    };
    messages::send(&founder.id, note.kind(), &note)?;
    audit::append("guidance.asked", &key, &json!({ "founder": founder.id }))?;
    Ok(Outcome::redirect_with(
        format!("/questions/{}", segment(&key)),
        ctx.tr(
            "Your question is sent to the founder.",
            "Dotaz je odeslán zřizovateli.",
        ),
    ))
}

fn answer(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let org = form.param("org").unwrap_or_default().to_owned();
    let key = form.param("key").unwrap_or_default().to_owned();
    let text = form.get("text").unwrap_or_default().trim().to_owned();
    let mut errors = Errors::new();
    length(ctx, &mut errors, "text", &text, MOST_POST);
    if !errors.is_empty() {
        return Ok(Outcome::Show(pages::asked(ctx, &org, &key, &errors)?));
    }
    let doc = question_of(&key, &org)?
        .filter(|d| d.data.org != ctx.org_id())
        .ok_or_else(|| Error::not_found(format!("no question {key} from below")))?;
    let mut q = doc.data;
    let post = Post {
        at: now(),
        by: ctx.person(),
        org: orgs::current()?.name,
        text,
    };
    q.posts.push(post.clone());
    q.posts.sort_by(|a, b| a.at.cmp(&b.at));
    q.answered = "yes".into();
    QUESTIONS.update(&doc.id, doc.version, &q)?;
    let note = Note::Answered {
        key: key.clone(),
        post,
    };
    messages::send(&org, note.kind(), &note)?;
    audit::append("guidance.answered", &key, &json!({ "org": org }))?;
    Ok(Outcome::redirect_with(
        format!("/asked/{}/{}", segment(&org), segment(&key)),
        ctx.tr("The answer is sent.", "Odpověď je odeslána."),
    ))
}

fn tell(permission: &str, template: &str, data: &serde_json::Value) -> Result<()> {
    for p in people::holders(permission)? {
        notify::send(To::User(&p.user_id), template, data)?;
    }
    Ok(())
}

fn receive(ctx: &Context, message: &Message) -> Result<()> {
    let from = message.from_org.as_str();
    let above = || -> Result<bool> { Ok(orgs::ancestors()?.iter().any(|o| o.id == from)) };
    let child = || -> Result<bool> { Ok(orgs::child(ctx, from).is_some()) };
    match message.payload::<Note>()? {
        Note::Published { mut article } => {
            if !above()? {
                return message.refuse(
                    "guidance.message-refused",
                    "guidance comes from an organization above",
                );
            }
            article.founder = from.to_owned();
            article.founder_name = orgs::get(from)?.name;
            // A copy is its founder's: another organization above cannot
            // replace it by sending the same key.
            let existing = copy_of(&article.key)?;
            if existing.as_ref().is_some_and(|d| d.data.founder != from) {
                return message.refuse(
                    "guidance.message-refused",
                    "an article is changed only by the organization that published it",
                );
            }
            if existing
                .as_ref()
                .is_some_and(|d| d.data.version >= article.version)
            {
                return Ok(());
            }
            let data = json!({
                "title": article.title,
                "founder": article.founder_name,
                "changed": article.changed,
                "path": format!("/articles/{}", segment(&article.key)),
            });
            match existing {
                Some(d) => {
                    COPIES.update(&d.id, d.version, &article)?;
                }
                None => {
                    COPIES.insert(&article)?;
                }
            }
            tell("read", "guidance-published", &data)?;
        }
        Note::Asked {
            key,
            subject,
            article,
            post,
        } => {
            if !child()? {
                return message.refuse(
                    "guidance.message-refused",
                    "a question comes from an organization directly below",
                );
            }
            let org_name = orgs::get(from)?.name;
            match question_of(&key, from)? {
                Some(d) => {
                    let mut q = d.data;
                    if q.posts
                        .iter()
                        .any(|p| p.at == post.at && p.text == post.text)
                    {
                        return Ok(());
                    }
                    q.posts.push(post.clone());
                    q.posts.sort_by(|a, b| a.at.cmp(&b.at));
                    q.answered = "no".into();
                    QUESTIONS.update(&d.id, d.version, &q)?;
                }
                None => {
                    QUESTIONS.insert(&Question {
                        key: key.clone(),
                        org: from.to_owned(),
                        org_name: org_name.clone(),
                        subject: subject.clone(),
                        article,
                        posts: vec![post.clone()],
                        answered: "no".into(),
                    })?;
                }
            }
            tell(
                "publish",
                "guidance-question",
                &json!({
                    "subject": subject,
                    "org": org_name,
                    "by": post.by,
                    "text": post.text,
                    "path": format!("/asked/{}/{}", segment(from), segment(&key)),
                }),
            )?;
        }
        Note::Answered { key, post } => {
            if orgs::ancestors()?.first().is_none_or(|o| o.id != from) {
                return message.refuse(
                    "guidance.message-refused",
                    "an answer comes from the founder",
                );
            }
            let Some(d) = question_of(&key, ctx.org_id())? else {
                return message.refuse(
                    "guidance.message-refused",
                    "no such question of this organization",
                );
            };
            let mut q = d.data;
            if q.posts
                .iter()
                .any(|p| p.at == post.at && p.text == post.text)
            {
                return Ok(());
            }
            q.posts.push(post.clone());
            q.posts.sort_by(|a, b| a.at.cmp(&b.at));
            q.answered = "yes".into();
            QUESTIONS.update(&d.id, d.version, &q)?;
            tell(
                "read",
                "guidance-answer",
                &json!({
                    "subject": q.subject,
                    "org": post.org,
                    "by": post.by,
                    "text": post.text,
                    "path": format!("/questions/{}", segment(&key)),
                }),
            )?;
        }
    }
    Ok(())
}

impl Module for Methodology {
    const ID: &'static str = "methodology";
    const NAME: &'static str = "Methodical help";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        let param = |name: &str| page.param(name).unwrap_or_default();
        match page.pattern() {
            "/" => pages::list(ctx, page),
            "/articles/{key}" | "/articles/{key}/ask" => pages::article(ctx, param("key"), &[]),
            "/articles/{key}/versions" => pages::versions(ctx, param("key")),
            "/write" => pages::write(ctx, None, None, &[]),
            "/articles/{key}/edit" => pages::write(ctx, Some(param("key")), None, &[]),
            "/questions" => pages::questions(ctx),
            "/questions/{key}" => pages::question(ctx, param("key"), &[]),
            "/asked/{org}/{key}" => pages::asked(ctx, param("org"), param("key"), &[]),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let param = |name: &str| form.param(name).unwrap_or_default();
        match form.pattern() {
            // The search: the words as the page's address.
            "/" => Ok(Outcome::redirect(format!(
                "/?q={}",
                segment(form.get("q").unwrap_or_default().trim())
            ))),
            "/write" => publish(ctx, form, None),
            "/articles/{key}/edit" => publish(ctx, form, Some(param("key"))),
            "/articles/{key}/ask" => ask(ctx, form, None, param("key")),
            "/questions/{key}" => ask(ctx, form, Some(param("key")), ""),
            "/asked/{org}/{key}" => answer(ctx, form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn on_message(ctx: &Context, message: &Message) -> Result<()> {
        receive(ctx, message)
    }
}

portico_sdk::export!(Methodology);
