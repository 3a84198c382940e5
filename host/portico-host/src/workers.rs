//! The host's background work: the event dispatcher, which delivers the
//! outbox to subscribed modules; the message courier, which hands the
//! messages modules send along the organization tree to the same module
//! in the receiving organization; the notification sender, which hands
//! e-mails and text messages to the mail server and the SMS gateway; the
//! connection courier, which sends what modules handed over for delivery
//! to outside systems, in order per connection, until each acknowledges;
//! and the scheduler, which runs the jobs modules declare, once per
//! organization that enabled them. All five are safe to run on several
//! replicas over one database: deliveries and messages are claimed with a
//! lease, job runs with a unique row per scheduled time, and a message's
//! receipt is kept with what its receiver wrote.
//!
//! The process that runs them (the web host, a test) gives them what they
//! need through [`Background`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Local};
use portico_platform::notifications::{self, Channel, Notification};
use portico_platform::{Retry, audit, connections, events, jobs, messages, modules};
use portico_runtime::api::{CallContext, Event, Message};
use portico_runtime::{CallError, CallErrorKind, Export, LoadedModule, ModuleRegistry};

use crate::services::{PlatformServices, rfc3339};

/// What the background work needs from the process it runs in.
pub trait Background: Clone + Send + Sync + 'static {
    /// The platform services.
    fn services(&self) -> &Arc<PlatformServices>;
    /// The modules serving now.
    fn registry(&self) -> Arc<ModuleRegistry>;
    /// Counts a background call of `module`'s `export` that ended with
    /// `result` after `took`, as the process counts its pages' calls.
    fn record_call(
        &self,
        module: &str,
        export: Export,
        result: Result<(), &CallErrorKind>,
        took: Duration,
    );
}

/// Runs `call`, a background call of `module`'s `export`, and counts it.
async fn timed<B: Background, T>(
    host: &B,
    module: &str,
    export: Export,
    call: impl Future<Output = Result<T, CallError>>,
) -> Result<T, CallError> {
    let start = Instant::now();
    let result = call.await;
    host.record_call(
        module,
        export,
        result.as_ref().map(drop).map_err(|e| &e.kind),
        start.elapsed(),
    );
    result
}

/// How the background work runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How often the outbox is polled when it was empty.
    pub poll: Duration,
    /// How long a claimed event delivery is not handed to another
    /// dispatcher: longer than a module call may take, and short, because
    /// it is how long the deliveries of a host that died wait.
    pub lease: Duration,
    /// The same for a claimed e-mail or text message: longer than the mail
    /// server or the gateway may take to answer.
    pub send_lease: Duration,
    /// Failed attempts after which a delivery is parked as dead.
    pub max_attempts: i32,
    /// The same for a request handed over to an outside system: more, so
    /// that, with the backoff capped at an hour, it is tried for about a
    /// day (a system down for a night still gets it).
    pub delivery_attempts: i32,
    /// The wait before the first retry; it doubles after each failure.
    pub backoff: Duration,
    /// How often the scheduler looks for due jobs.
    pub tick: Duration,
    /// This host's name in job leases.
    pub holder: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll: Duration::from_millis(250),
            lease: Duration::from_secs(15),
            send_lease: Duration::from_secs(60),
            max_attempts: 8,
            delivery_attempts: 30,
            backoff: Duration::from_secs(2),
            tick: Duration::from_millis(500),
            holder: format!(
                "{}:{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "portico".into()),
                std::process::id()
            ),
        }
    }
}

impl WorkerConfig {
    /// The defaults, with the event lease fitted to the calls' deadline.
    pub fn for_deadline(deadline: Duration) -> WorkerConfig {
        WorkerConfig {
            lease: deadline * 2 + Duration::from_secs(1),
            ..WorkerConfig::default()
        }
    }
}

/// Starts the dispatcher, the courier, the sender and the scheduler on the
/// current runtime.
pub fn spawn<B: Background>(host: &B, config: WorkerConfig) {
    let (s, c) = (host.clone(), config.clone());
    tokio::spawn(async move {
        drain("event dispatcher", c.poll, || dispatch_once(&s, &c)).await;
    });
    let (s, c) = (host.clone(), config.clone());
    tokio::spawn(async move {
        drain("message courier", c.poll, || courier_once(&s, &c)).await;
    });
    let (s, c) = (host.clone(), config.clone());
    tokio::spawn(async move {
        drain("notification sender", c.poll, || send_once(&s, &c)).await;
    });
    let (s, c) = (host.clone(), config.clone());
    tokio::spawn(async move {
        drain("connection courier", c.poll, || deliveries_once(&s, &c)).await;
    });
    let s = host.clone();
    tokio::spawn(async move {
        // A webhook's id is kept as long as its timestamp could pass the
        // check, and a good while more.
        loop {
            let db = s.services().platform().db();
            if let Err(e) =
                connections::forget_webhooks_older_than(db, Duration::from_secs(24 * 3600)).await
            {
                tracing::warn!(error = %e, "old webhook receipts could not be let go");
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
    tokio::spawn(run_scheduler(host.clone(), config));
}

/// Runs `once` for ever: straight again while it finds work, after `poll`
/// when it found none, and after a longer pause when the outbox cannot be read.
async fn drain<F, Fut>(what: &'static str, poll: Duration, mut once: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, portico_platform::PlatformError>>,
{
    loop {
        match once().await {
            Ok(0) => tokio::time::sleep(poll).await,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "{what} cannot read the outbox");
                tokio::time::sleep(poll * 4).await;
            }
        }
    }
}

fn job_context(org_id: &str, request_id: String) -> CallContext {
    CallContext {
        org_id: org_id.to_owned(),
        principal: None,
        request_id,
        locale: portico_runtime::manifest::PORTAL_LANGUAGE.into(),
    }
}

/// Claims the due deliveries and delivers each; returns how many it tried.
pub async fn dispatch_once<B: Background>(
    host: &B,
    config: &WorkerConfig,
) -> Result<usize, portico_platform::PlatformError> {
    let db = host.services().platform().db();
    let due = events::claim_due(db, 32, config.lease).await?;
    Ok(run_all(host, config, due, |host, config, d| async move {
        deliver(&host, &config, d).await
    })
    .await)
}

/// Runs `each` on every claimed item at once and waits for them all;
/// returns how many there were.
async fn run_all<B, T, F, Fut>(host: &B, config: &WorkerConfig, items: Vec<T>, each: F) -> usize
where
    B: Background,
    T: Send + 'static,
    F: Fn(B, WorkerConfig, T) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let n = items.len();
    let mut running = tokio::task::JoinSet::new();
    for item in items {
        running.spawn(each(host.clone(), config.clone(), item));
    }
    while running.join_next().await.is_some() {}
    n
}

async fn deliver<B: Background>(host: &B, config: &WorkerConfig, d: events::Delivery) {
    let db = host.services().platform().db();
    let result = match enabled_module(host, &d.org_id, &d.module_id).await {
        Err(why) => Err(why),
        Ok(module) => {
            let ctx = job_context(&d.org_id, format!("event-{}-{}", d.event_id, d.id));
            let event = Event {
                id: u64::try_from(d.event_id).unwrap_or_default(),
                topic: d.topic.clone(),
                payload: d.payload.clone(),
                source: d.source_module.clone(),
                published_at: rfc3339(d.published_at_micros),
            };
            timed(
                host,
                module.id(),
                Export::OnEvent,
                module.on_event(&ctx, event),
            )
            .await
            .map_err(|e: CallError| e.to_string())
        }
    };
    let outcome = match result {
        Ok(()) => events::delivered(db, d.id).await.map(|()| None),
        Err(why) => events::failed(db, &d, &why, config.max_attempts, config.backoff)
            .await
            .map(|retry| Some((why, retry))),
    };
    match outcome {
        Ok(None) => {
            tracing::debug!(event = d.event_id, module = %d.module_id, org = %d.org_id, "event delivered");
        }
        Ok(Some((why, Retry::After(wait)))) => {
            tracing::warn!(event = d.event_id, module = %d.module_id, org = %d.org_id, error = %why, retry_in = ?wait, "event delivery failed; will retry");
        }
        Ok(Some((why, Retry::Dead))) => {
            tracing::error!(event = d.event_id, module = %d.module_id, org = %d.org_id, error = %why, "event delivery failed too often; parked as dead");
        }
        Err(e) => {
            tracing::error!(event = d.event_id, error = %e, "cannot record the outcome of an event delivery; it will be delivered again");
        }
    }
}

/// Claims the due messages and delivers each; returns how many it tried.
pub async fn courier_once<B: Background>(
    host: &B,
    config: &WorkerConfig,
) -> Result<usize, portico_platform::PlatformError> {
    let db = host.services().platform().db();
    let due = messages::claim_due(db, 32, config.lease).await?;
    Ok(run_all(host, config, due, |host, config, m| async move {
        carry(&host, &config, m).await
    })
    .await)
}

async fn carry<B: Background>(host: &B, config: &WorkerConfig, m: messages::Message) {
    let db = host.services().platform().db();
    let result = match messages::was_received(db, &m).await {
        // Handled before (the host stopped between the receiver's commit
        // and this mark): marked, not handed over again.
        Ok(true) => Ok(()),
        Ok(false) => match enabled_module(host, &m.to_org, &m.module_id).await {
            Err(why) => Err(why),
            Ok(module) => {
                let ctx = job_context(&m.to_org, format!("message-{}", m.id));
                let message = Message {
                    id: u64::try_from(m.id).unwrap_or_default(),
                    kind: m.kind.clone(),
                    payload: m.payload.clone(),
                    from_org: m.from_org.clone(),
                    sent_at: rfc3339(m.sent_at_micros),
                };
                timed(
                    host,
                    module.id(),
                    Export::OnMessage,
                    module.on_message(&ctx, message),
                )
                .await
                .map_err(|e: CallError| e.to_string())
            }
        },
        Err(e) => Err(format!("cannot read whether it was received: {e}")),
    };
    let outcome = match result {
        Ok(()) => messages::delivered(db, m.id).await.map(|()| None),
        Err(why) => messages::failed(db, &m, &why, config.max_attempts, config.backoff)
            .await
            .map(|retry| Some((why, retry))),
    };
    match outcome {
        Ok(None) => {
            tracing::debug!(message = m.id, module = %m.module_id, from = %m.from_org, to = %m.to_org, "message delivered");
        }
        Ok(Some((why, Retry::After(wait)))) => {
            tracing::warn!(message = m.id, module = %m.module_id, to = %m.to_org, error = %why, retry_in = ?wait, "message delivery failed; will retry");
        }
        Ok(Some((why, Retry::Dead))) => {
            tracing::error!(message = m.id, module = %m.module_id, to = %m.to_org, error = %why, "message delivery failed too often; parked as dead");
        }
        Err(e) => {
            tracing::error!(message = m.id, error = %e, "cannot record the outcome of a message delivery; it will be delivered again");
        }
    }
}

/// Claims the head of each connection's line that is due, and sends each;
/// returns how many it tried.
pub async fn deliveries_once<B: Background>(
    host: &B,
    config: &WorkerConfig,
) -> Result<usize, portico_platform::PlatformError> {
    let db = host.services().platform().db();
    // Held for the connection's timeout and a few seconds more.
    let due = connections::claim_due(db, 32, Duration::from_secs(5)).await?;
    Ok(run_all(host, config, due, |host, config, d| async move {
        hand_over(&host, &config, d).await
    })
    .await)
}

/// Sends one delivery through its connection: acknowledged (2xx), it is
/// done; refused for good (a 4xx but 408, 425 and 429), it is dead at
/// once; otherwise it is tried again later, and dead after too many. The
/// outcome goes to the organization's audit chain. A courier whose lease
/// ran out meanwhile writes nothing: another holds the delivery.
async fn hand_over<B: Background>(host: &B, config: &WorkerConfig, d: connections::Delivery) {
    let services = host.services();
    let db = services.platform().db();
    let key = (d.org_id.clone(), d.module_id.clone(), d.connection.clone());
    let (why, status) = match services
        .connectors()
        .send(&key, &d.request, Some(&d.key))
        .await
    {
        Ok(a) if (200..300).contains(&a.status) => {
            match connections::delivered(db, &d, a.status).await {
                Ok(true) => {
                    note(
                        host,
                        &d,
                        "delivery.delivered",
                        serde_json::json!({ "status": a.status }),
                    )
                    .await;
                    tracing::debug!(delivery = d.id, connection = %d.connection, org = %d.org_id, "delivered");
                }
                Ok(false) => {
                    tracing::warn!(
                        delivery = d.id,
                        "a delivery's lease ran out while it was sent; another courier holds it"
                    );
                }
                Err(e) => {
                    tracing::error!(delivery = d.id, error = %e, "cannot mark a delivery as delivered; it will be sent again under its key");
                }
            }
            return;
        }
        Ok(a) => (format!("HTTP {}", a.status), Some(a.status)),
        Err(crate::connections::ConnectionError::Limited(_, wait)) => {
            // Not an attempt: sent once the connection's rate allows.
            if let Err(e) = connections::postpone(db, &d, wait).await {
                tracing::error!(delivery = d.id, error = %e, "cannot postpone a delivery");
            }
            return;
        }
        Err(e) => (e.to_string(), None),
    };
    let for_good = status.is_some_and(|s| (400..500).contains(&s) && !matches!(s, 408 | 425 | 429));
    let max_attempts = if for_good {
        d.attempts + 1
    } else {
        config.delivery_attempts
    };
    match connections::failed(db, &d, &why, status, max_attempts, config.backoff).await {
        Ok(Some(Retry::After(wait))) => {
            tracing::warn!(delivery = d.id, connection = %d.connection, org = %d.org_id, error = %why, retry_in = ?wait, "delivery failed; will retry");
        }
        Ok(Some(Retry::Dead)) => {
            tracing::error!(delivery = d.id, connection = %d.connection, org = %d.org_id, error = %why, "delivery refused for good or failed too often; parked as dead");
            note(
                host,
                &d,
                "delivery.dead",
                serde_json::json!({ "error": why }),
            )
            .await;
        }
        Ok(None) => {
            tracing::warn!(
                delivery = d.id,
                "a delivery's lease ran out while it was sent; another courier holds it"
            );
        }
        Err(e) => {
            tracing::error!(delivery = d.id, error = %e, "cannot record the outcome of a delivery; it will be sent again");
        }
    }
}

/// Writes what became of a delivery to its organization's audit chain, in
/// a transaction of its own.
async fn note<B: Background>(
    host: &B,
    d: &connections::Delivery,
    action: &str,
    mut detail: serde_json::Value,
) {
    detail["delivery"] = d.id.into();
    detail["key"] = d.key.clone().into();
    let written = audit::append_alone(
        host.services().platform().db(),
        &d.org_id,
        audit::Event {
            actor: format!("module:{}", d.module_id),
            module: d.module_id.clone(),
            action: action.to_owned(),
            subject: d.connection.clone(),
            detail,
        },
    );
    if let Err(e) = written.await {
        tracing::error!(delivery = d.id, error = %e, "what became of a delivery could not be audited");
    }
}

async fn enabled_module<B: Background>(
    host: &B,
    org_id: &str,
    module_id: &str,
) -> Result<Arc<LoadedModule>, String> {
    let module = host
        .registry()
        .get(module_id)
        .cloned()
        .ok_or_else(|| format!("the module `{module_id}` is not installed"))?;
    let org = host
        .services()
        .org(org_id)
        .await
        .map_err(|e| e.to_string())?;
    if !org.enabled.contains_key(module_id) {
        return Err(format!(
            "the module `{module_id}` is not enabled in `{org_id}`"
        ));
    }
    Ok(module)
}

/// Claims the due e-mails and text messages and sends each; returns how
/// many it tried.
pub async fn send_once<B: Background>(
    host: &B,
    config: &WorkerConfig,
) -> Result<usize, portico_platform::PlatformError> {
    let db = host.services().platform().db();
    let due = notifications::claim_due(db, 32, config.send_lease).await?;
    Ok(
        run_all(host, config, due, |host, config, message| async move {
            send(&host, &config, message).await
        })
        .await,
    )
}

async fn send<B: Background>(host: &B, config: &WorkerConfig, n: Notification) {
    let senders = host.services().senders();
    let result = match n.channel {
        Channel::Email => match &senders.email {
            Some(email) => email.send(&n.recipient, &n.subject, &n.body, &n.id).await,
            None => Err("no SMTP server is configured".into()),
        },
        Channel::Sms => match &senders.sms {
            Some(sms) => sms.send(&n.recipient, &n.body, &n.id).await,
            None => Err("no SMS gateway is configured".into()),
        },
        Channel::Inbox => Ok(()),
    };
    let db = host.services().platform().db();
    let outcome = match result {
        Ok(()) => notifications::sent(db, &n.id).await.map(|()| None),
        Err(why) => notifications::failed(db, &n, &why, config.max_attempts, config.backoff)
            .await
            .map(|retry| Some((why, retry))),
    };
    let channel = n.channel.name();
    match outcome {
        Ok(None) => {
            tracing::info!(notification = %n.id, org = %n.org_id, module = %n.module_id, channel, "notification sent");
        }
        Ok(Some((why, Retry::After(wait)))) => {
            tracing::warn!(notification = %n.id, org = %n.org_id, channel, error = %why, retry_in = ?wait, "sending a notification failed; will retry");
        }
        Ok(Some((why, Retry::Dead))) => {
            tracing::error!(notification = %n.id, org = %n.org_id, channel, error = %why, "sending a notification failed too often; it is marked failed");
        }
        Err(e) => {
            tracing::error!(notification = %n.id, error = %e, "cannot record the outcome of sending a notification; it will be sent again");
        }
    }
}

async fn run_scheduler<B: Background>(host: B, config: WorkerConfig) {
    let mut from = Local::now();
    loop {
        tokio::time::sleep(config.tick).await;
        let to = Local::now();
        if let Err(e) = schedule_once(&host, &config, from, to).await {
            tracing::error!(error = %e, "scheduler cannot read which organizations enabled which module");
            continue;
        }
        from = to;
    }
}

/// Runs every job whose scheduled time falls in (`from`, `to`], for every
/// organization that enabled its module, unless another host took the run.
/// When several times passed (the host was down or busy), only the latest runs.
pub async fn schedule_once<B: Background>(
    host: &B,
    config: &WorkerConfig,
    from: DateTime<Local>,
    to: DateTime<Local>,
) -> Result<(), portico_platform::PlatformError> {
    let db = host.services().platform().db();
    for module in host.registry().iter() {
        // The latest scheduled time of each job in the window; the
        // organizations are looked up only when some job is due.
        let due: Vec<(&str, DateTime<Local>)> = module
            .manifest()
            .jobs
            .iter()
            .filter_map(|job| {
                let slot = job.cron().ok()?.find_previous_occurrence(&to, true).ok()?;
                (slot > from).then_some((job.name.as_str(), slot))
            })
            .collect();
        if due.is_empty() {
            continue;
        }
        let orgs: Vec<String> = modules::enablements(db, None, Some(module.id()))
            .await?
            .into_iter()
            .filter(|e| e.enabled)
            .map(|e| e.org_id)
            .collect();
        for (job, slot) in due {
            for org in &orgs {
                let key = jobs::RunKey {
                    module_id: module.id().to_owned(),
                    job: job.to_owned(),
                    org_id: org.clone(),
                    slot_micros: slot.timestamp_micros(),
                };
                if !jobs::claim(db, &key, &config.holder).await? {
                    continue;
                }
                let host = host.clone();
                tokio::spawn(async move { run_job(&host, key).await });
            }
        }
    }
    Ok(())
}

async fn run_job<B: Background>(host: &B, key: jobs::RunKey) {
    let Some(module) = host.registry().get(&key.module_id).cloned() else {
        return;
    };
    let ctx = job_context(
        &key.org_id,
        format!("job-{}-{}-{}", key.module_id, key.job, key.slot_micros),
    );
    let run = module.run_job(&ctx, &key.job);
    let outcome = match timed(host, module.id(), Export::RunJob, run).await {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(module = %key.module_id, job = %key.job, org = %key.org_id, error = %e, "scheduled job failed");
            e.to_string()
        }
    };
    if let Err(e) = jobs::finish(host.services().platform().db(), &key, &outcome).await {
        tracing::error!(module = %key.module_id, job = %key.job, error = %e, "cannot record how a job run ended");
    }
}
