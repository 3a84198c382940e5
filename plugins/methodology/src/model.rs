//! What is kept: the founder's articles and their versions, the copies an
//! organization received, questions with their answers; the messages;
//! Czech folding for search; Markdown as the structure of a page.

use portico_sdk::calendar;
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result, View};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

pub const ARTICLES: Collection = Collection::new("articles");
pub const VERSIONS: Collection = Collection::new("versions");
pub const COPIES: Collection = Collection::new("copies");
pub const QUESTIONS: Collection = Collection::new("questions");

/// The most characters of an article's text, and of a message.
pub const MOST_BODY: usize = 50_000;
pub const MOST_POST: usize = 4_000;

/// Now, as histories keep it.
pub use portico_sdk::calendar::stamp as now;

/// A moment (`YYYY-MM-DD HH:MM`) as the reader's language writes it.
pub fn when(ctx: &Context, at: &str) -> String {
    calendar::format_stamp(at, ctx.locale())
}

/// Text as search compares it: lower case, without diacritics
/// (`Spisová služba` and `spisova sluzba` fold alike).
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// An article: the founder's, or an organization's copy of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Article {
    pub key: String,
    pub title: String,
    pub category: String,
    /// Markdown.
    pub body: String,
    pub version: u32,
    /// What changed in this version (empty for the first).
    #[serde(default)]
    pub changed: String,
    pub author: String,
    pub published_at: String,
    /// Who published it: the founder's name (on a copy).
    #[serde(default)]
    pub founder: String,
    #[serde(default)]
    pub founder_name: String,
}

/// One message of a question's thread.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Post {
    pub at: String,
    pub by: String,
    pub org: String,
    pub text: String,
}

/// A question: the organization's, or the founder's copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Question {
    pub key: String,
    /// The organization that asks.
    pub org: String,
    pub org_name: String,
    pub subject: String,
    /// The article it is about, if any.
    #[serde(default)]
    pub article: String,
    pub posts: Vec<Post>,
    /// `yes` once the founder answered the last message, else `no`.
    pub answered: String,
}

/// The messages between the founder and its organizations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Note {
    /// Down: an article, new or changed.
    Published { article: Article },
    /// Up: a question, or a further message of one.
    Asked {
        key: String,
        subject: String,
        article: String,
        post: Post,
    },
    /// Down: the founder's answer.
    Answered { key: String, post: Post },
}

impl Note {
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Published { .. } => "guidance.published",
            Note::Asked { .. } => "guidance.asked",
            Note::Answered { .. } => "guidance.answered",
        }
    }
}

fn first<T: serde::de::DeserializeOwned>(found: Vec<Document<T>>) -> Option<Document<T>> {
    found.into_iter().next()
}

/// The founder's article `key`.
pub fn article_of(key: &str) -> Result<Option<Document<Article>>> {
    ARTICLES.find_by::<Article>("key", key)
}

/// The copy of the article `key` received from above.
pub fn copy_of(key: &str) -> Result<Option<Document<Article>>> {
    COPIES.find_by::<Article>("key", key)
}

/// The article `key` as this organization reads it: its own, or a copy.
pub fn readable(key: &str) -> Result<Article> {
    if let Some(d) = article_of(key)? {
        return Ok(d.data);
    }
    copy_of(key)?
        .map(|d| d.data)
        .ok_or_else(|| Error::not_found(format!("no article {key}")))
}

/// The question `key` of organization `org`.
pub fn question_of(key: &str, org: &str) -> Result<Option<Document<Question>>> {
    Ok(first(
        QUESTIONS
            .find()
            .eq("key", key)
            .eq("org", org)
            .limit(1)
            .fetch::<Question>()?
            .documents,
    ))
}

pub use portico_sdk::random_key as new_key;

/// Markdown as page structure: headings stay headings, paragraphs and
/// list items become text (a link as its text and address). Raw HTML is
/// dropped: nothing of it reaches the page.
pub fn markdown(mut view: View, body: &str) -> View {
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    let mut text = String::new();
    let mut link: Option<String> = None;
    let mut in_item = false;
    for event in Parser::new(body) {
        match event {
            Event::Start(Tag::Item) => {
                in_item = true;
                text.push_str("• ");
            }
            Event::Start(Tag::Link { dest_url, .. }) => link = Some(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = link.take() {
                    text.push_str(&format!(" ({url})"));
                }
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(if in_item { ' ' } else { '\n' }),
            Event::End(TagEnd::Heading(level)) => {
                let level = match level {
                    HeadingLevel::H1 | HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    _ => 4,
                };
                view = view.heading_at(level, std::mem::take(&mut text).trim());
            }
            Event::End(TagEnd::Paragraph | TagEnd::CodeBlock) if !in_item => {
                let t = std::mem::take(&mut text);
                if !t.trim().is_empty() {
                    view = view.text(t.trim());
                }
            }
            Event::End(TagEnd::Item) => {
                in_item = false;
                let t = std::mem::take(&mut text);
                view = view.text(t.trim());
            }
            _ => {}
        }
    }
    if !text.trim().is_empty() {
        view = view.text(text.trim());
    }
    view
}
