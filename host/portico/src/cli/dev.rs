//! `portico dev test FOLDER --script steps.json`: a built module folder
//! (from any language) in a throw-away portal on SQLite, driven by a
//! script of steps as given users, with the refusals and the read-back
//! (records, audit, notifications) of the Rust test kit, which it runs
//! on. No web server starts. Each step prints `ok` or what was expected
//! and what came; the command fails when a step did.
//!
//! ```json
//! { "orgs": ["brno"], "settings": { "greeting": "Ahoj" },
//!   "steps": [
//!     { "page": "/", "expect": { "contains": ["Nothing here yet."] } },
//!     { "as": "citizen:jana", "submit": "/", "fields": [["title", "Bench"]],
//!       "expect": { "redirect": "/" } },
//!     { "submit": "/", "fields": [["title", ""]], "expect": { "error": "invalid", "fields": ["title"] } },
//!     { "as": "staff:eva:clerk", "get": "/api/items", "expect": { "status": 200, "json": { "items": [] } } },
//!     { "job": "daily-tally" },
//!     { "records": "items", "expect": { "count": 1, "contains": ["Bench"] } },
//!     { "audit": true, "expect": { "contains": ["item.add"] } } ] }
//! ```

use std::path::Path;

use anyhow::Context as _;
use clap::Subcommand;
use portico_testkit::{CallErrorKind, Caller, Error, ModuleError, Outcome, TestHost};
use serde::Deserialize;
use serde_json::Value;

#[derive(Subcommand)]
pub(crate) enum DevCommand {
    /// Run a module folder in a throw-away portal, driven by a script.
    Test {
        /// The module folder: its `module.toml`, the built component and manuals.
        folder: std::path::PathBuf,
        /// The steps, as JSON (see `portico dev test --help` and the vendor guide).
        #[arg(long)]
        script: std::path::PathBuf,
    },
}

/// A script: the organizations (the first is where steps run unless a
/// step says otherwise), the module's settings, and the steps.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    #[serde(default)]
    orgs: Vec<String>,
    #[serde(default)]
    settings: std::collections::BTreeMap<String, String>,
    steps: Vec<Step>,
}

/// One step: who (`as`: `anonymous`, `citizen:ID` or `staff:ID:role,role`),
/// where (`org`), in which language (`lang`), one action, and what is
/// expected of it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    #[serde(rename = "as")]
    who: Option<String>,
    org: Option<String>,
    lang: Option<String>,
    page: Option<String>,
    submit: Option<String>,
    #[serde(default)]
    fields: Vec<(String, String)>,
    get: Option<String>,
    post: Option<String>,
    body: Option<Value>,
    job: Option<String>,
    event: Option<Event>,
    records: Option<String>,
    #[serde(default)]
    audit: bool,
    #[serde(default)]
    notifications: bool,
    #[serde(default)]
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    topic: String,
    #[serde(default)]
    payload: Value,
}

/// What a step must give. Without `error`, the step must succeed.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Texts the answer holds (a view, an API body, the documents, the
    /// audit entries or the notifications as JSON).
    #[serde(default)]
    contains: Vec<String>,
    /// Texts it does not hold.
    #[serde(default)]
    lacks: Vec<String>,
    /// Where a form post sends the user.
    redirect: Option<String>,
    /// An API answer's status.
    status: Option<u16>,
    /// An API answer's body as JSON, or the documents of `records`.
    json: Option<Value>,
    /// How many documents, audit entries or notifications.
    count: Option<usize>,
    /// The module's error (`invalid`, `not-found`, `forbidden`, `conflict`,
    /// `unavailable`, `internal`), `fault` (a trap, the deadline or the
    /// memory limit) or `refused` (the host's own refusal: no route, the
    /// wrong kind, not for this caller).
    error: Option<String>,
    /// The fields an `invalid` error names.
    #[serde(default)]
    fields: Vec<String>,
}

pub(crate) async fn run(command: DevCommand) -> anyhow::Result<()> {
    let DevCommand::Test { folder, script } = command;
    let text = std::fs::read_to_string(&script)
        .with_context(|| format!("cannot read {}", script.display()))?;
    let script: Script = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a script", script.display()))?;
    let host = start(&folder, &script).await?;
    let mut failed = 0;
    for (i, step) in script.steps.iter().enumerate() {
        let what = describe(step);
        match run_step(&host, step).await {
            Ok(()) => println!("ok    {:>3}  {what}", i + 1),
            Err(why) => {
                failed += 1;
                println!("FAIL  {:>3}  {what}\n            {why}", i + 1);
            }
        }
    }
    let total = script.steps.len();
    if failed > 0 {
        anyhow::bail!("{failed} of {total} steps failed");
    }
    println!("{total} steps, all ok");
    Ok(())
}

async fn start(folder: &Path, script: &Script) -> anyhow::Result<TestHost> {
    let mut builder = TestHost::builder();
    for org in &script.orgs {
        builder = builder.org(org);
    }
    for (key, value) in &script.settings {
        builder = builder.setting(key, value);
    }
    builder
        .build_from(folder)
        .await
        .with_context(|| format!("{} does not load", folder.display()))
}

fn describe(step: &Step) -> String {
    let action = if let Some(p) = &step.page {
        format!("page {p}")
    } else if let Some(p) = &step.submit {
        format!("submit {p}")
    } else if let Some(p) = &step.get {
        format!("GET {p}")
    } else if let Some(p) = &step.post {
        format!("POST {p}")
    } else if let Some(j) = &step.job {
        format!("job {j}")
    } else if let Some(e) = &step.event {
        format!("event {}", e.topic)
    } else if let Some(c) = &step.records {
        format!("records {c}")
    } else if step.audit {
        "audit".to_owned()
    } else if step.notifications {
        "notifications".to_owned()
    } else {
        "nothing".to_owned()
    };
    let who = step.who.as_deref().unwrap_or("anonymous");
    match &step.org {
        Some(org) => format!("{action} as {who} in {org}"),
        None => format!("{action} as {who}"),
    }
}

fn caller<'a>(host: &'a TestHost, step: &Step) -> Result<Caller<'a>, String> {
    let who = step.who.as_deref().unwrap_or("anonymous");
    let mut caller = match who.split(':').collect::<Vec<_>>().as_slice() {
        ["anonymous"] => host.anonymous(),
        ["citizen", id] => host.citizen(id),
        ["staff", id] => host.staff(id, &[]),
        ["staff", id, roles] => host.staff(id, &roles.split(',').collect::<Vec<_>>()),
        _ => {
            return Err(format!(
                "`as: {who}`: write anonymous, citizen:ID or staff:ID:role,role"
            ));
        }
    };
    if let Some(org) = &step.org {
        caller = caller.in_org(org);
    }
    if let Some(lang) = &step.lang {
        caller = caller.in_language(lang);
    }
    Ok(caller)
}

/// What an action gave: JSON to check texts in, and the parts some
/// expectations look at.
#[derive(Default)]
struct Got {
    json: Value,
    redirect: Option<String>,
    status: Option<u16>,
    count: Option<usize>,
}

async fn run_step(host: &TestHost, step: &Step) -> Result<(), String> {
    let c = caller(host, step)?;
    let got: Result<Got, Error> = if let Some(path) = &step.page {
        c.page(path).await.map(|view| Got {
            json: serde_json::to_value(view).unwrap_or_default(),
            ..Got::default()
        })
    } else if let Some(path) = &step.submit {
        let fields: Vec<(&str, &str)> = step
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        c.submit(path, &fields).await.map(|outcome| Got {
            redirect: match &outcome {
                Outcome::Redirect { to, .. } => Some(to.clone()),
                Outcome::Show { .. } => None,
            },
            json: serde_json::to_value(outcome).unwrap_or_default(),
            ..Got::default()
        })
    } else if let Some(path) = &step.get {
        c.get(path).await.map(answer)
    } else if let Some(path) = &step.post {
        c.post(path, step.body.as_ref().unwrap_or(&Value::Null))
            .await
            .map(answer)
    } else if let Some(job) = &step.job {
        host.run_job_in(&org(host, step), job)
            .await
            .map(|()| Got::default())
    } else if let Some(event) = &step.event {
        host.deliver(&event.topic, &event.payload)
            .await
            .map(|()| Got::default())
    } else if let Some(collection) = &step.records {
        if !host
            .module()
            .manifest()
            .collections
            .contains_key(collection)
        {
            return Err(format!(
                "the manifest declares no collection `{collection}`"
            ));
        }
        let docs = host.records_in(&org(host, step), collection).await;
        Ok(Got {
            count: Some(docs.len()),
            json: Value::Array(docs),
            ..Got::default()
        })
    } else if step.audit {
        let entries = host.audit().await;
        Ok(Got {
            count: Some(entries.len()),
            json: Value::Array(
                entries
                    .iter()
                    .map(|e| serde_json::json!({ "action": e.action, "actor": e.actor }))
                    .collect(),
            ),
            ..Got::default()
        })
    } else if step.notifications {
        let sent = host.notifications().await;
        Ok(Got {
            count: Some(sent.len()),
            json: serde_json::to_value(&sent).unwrap_or_default(),
            ..Got::default()
        })
    } else {
        return Err("the step has no action: page, submit, get, post, job, event, records, audit or notifications".into());
    };
    check(&step.expect, got)
}

fn org(host: &TestHost, step: &Step) -> String {
    step.org
        .clone()
        .unwrap_or_else(|| host.default_org().to_owned())
}

fn answer(response: portico_testkit::Response) -> Got {
    let json = serde_json::from_slice(&response.body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&response.body).into_owned()));
    Got {
        json,
        status: Some(response.status),
        ..Got::default()
    }
}

fn check(expect: &Expect, got: Result<Got, Error>) -> Result<(), String> {
    let got = match (got, &expect.error) {
        (Ok(got), None) => got,
        (Ok(got), Some(error)) => {
            return Err(format!(
                "expected `{error}`, but it succeeded: {}",
                got.json
            ));
        }
        (Err(e), None) => return Err(format!("expected success, got: {e}")),
        (Err(e), Some(error)) => return check_error(error, &expect.fields, &e),
    };
    let text = got.json.to_string();
    let mut wrong = Vec::new();
    for needle in &expect.contains {
        if !text.contains(needle.as_str()) {
            wrong.push(format!("expected `{needle}` in {text}"));
        }
    }
    for needle in &expect.lacks {
        if text.contains(needle.as_str()) {
            wrong.push(format!("did not expect `{needle}` in {text}"));
        }
    }
    if let Some(to) = &expect.redirect
        && got.redirect.as_ref() != Some(to)
    {
        wrong.push(format!("expected a redirect to {to}, got {text}"));
    }
    if let Some(status) = expect.status
        && got.status != Some(status)
    {
        wrong.push(format!("expected status {status}, got {:?}", got.status));
    }
    if let Some(json) = &expect.json
        && &got.json != json
    {
        wrong.push(format!("expected {json}, got {text}"));
    }
    if let Some(count) = expect.count
        && got.count != Some(count)
    {
        wrong.push(format!("expected {count}, got {:?} in {text}", got.count));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n            "))
    }
}

fn check_error(expected: &str, fields: &[String], e: &Error) -> Result<(), String> {
    let kind = match e {
        Error::Call(call) => match &call.kind {
            CallErrorKind::Module(m) => match m {
                ModuleError::Invalid(_) => "invalid",
                ModuleError::NotFound(_) => "not-found",
                ModuleError::Forbidden(_) => "forbidden",
                ModuleError::Conflict(_) => "conflict",
                ModuleError::Unavailable(_) => "unavailable",
                ModuleError::Internal(_) => "internal",
            },
            k if k.is_fault() => "fault",
            _ => "refused",
        },
        Error::Setup(_) => "setup",
        _ => "refused",
    };
    if kind != expected {
        return Err(format!("expected `{expected}`, got `{kind}`: {e}"));
    }
    let named: Vec<String> = e.field_errors().into_iter().map(|f| f.field).collect();
    let missing: Vec<&String> = fields.iter().filter(|f| !named.contains(f)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("expected errors at {missing:?}, got: {e}"))
    }
}
