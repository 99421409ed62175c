//! Alerts: thresholds on requests, tokens, cost or error rate, for all traffic, a key or a
//! project, over a window of minutes. A crossing (the value reaching the threshold after
//! being below it) shows on the alerts page and the overview, is recorded in the audit log
//! (`alert.triggered`, a mock-only event type) and, when the alert has a webhook URL, is
//! POSTed there as JSON.
//!
//! An alert's settings are stored in the organization's namespace of the store (kind
//! [`ALERT`]), so they persist with `--state-file` and travel with export and import; whether
//! it fires and its latest crossings are kept in memory. Alerts are checked every
//! [`CHECK_INTERVAL`] by a task the server starts (and when the alerts page is read), from
//! the organization's usage and costs, so the hot path pays nothing for them. Webhooks are
//! plain `http://` URLs, posted with a 5-second limit; the outcome is kept with the crossing.

use super::page::{csrf_field, layout, utc};
use super::session::Session;
use crate::store::org::{BucketWidth, KeyInfo, UsageQuery, ORG};
use crate::store::{Object, Store};
use maud::{html, Markup};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How often the server checks the alerts.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// Crossings kept per alert.
const KEPT_CROSSINGS: usize = 20;
/// At most this many alerts.
const MAX_ALERTS: usize = 100;
/// The store kind of an alert's settings (in the organization's namespace).
pub const ALERT: &str = "dashboard.alert";

/// What an alert measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Requests in the window.
    Requests,
    /// Input plus output tokens in the window.
    Tokens,
    /// Dollars in the window.
    Cost,
    /// Failed requests, as a percentage of requests in the window.
    ErrorRate,
}

impl Metric {
    const ALL: [(Metric, &'static str, &'static str); 4] = [
        (Metric::Requests, "requests", "Requests"),
        (Metric::Tokens, "tokens", "Tokens"),
        (Metric::Cost, "cost", "Cost (USD)"),
        (Metric::ErrorRate, "error_rate", "Error rate (%)"),
    ];

    fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.iter().find(|m| m.1 == name).map(|m| m.0)
    }

    fn name(self) -> &'static str {
        Metric::ALL.iter().find(|m| m.0 == self).map_or("", |m| m.1)
    }
}

/// One crossing.
#[derive(Debug, Clone)]
pub struct Crossing {
    /// When (Unix ms).
    pub at_ms: u64,
    /// The value that reached the threshold.
    pub value: f64,
    /// What the webhook answered (`-` without one).
    pub webhook: String,
}

/// One alert.
#[derive(Debug, Clone)]
pub struct Alert {
    /// Its number.
    pub id: u64,
    /// What it measures.
    pub metric: Metric,
    /// `all`, `key:ID` or `project:ID`.
    pub scope: String,
    /// The value that fires it.
    pub threshold: f64,
    /// Minutes the value is summed over.
    pub window_minutes: u64,
    /// Where crossings are POSTed.
    pub webhook: Option<String>,
    /// Whether the value is at or above the threshold now.
    pub firing: bool,
    /// The value at the last check.
    pub value: f64,
    /// The latest crossings, newest last.
    pub crossings: Vec<Crossing>,
}

impl Alert {
    /// The metric's name (`requests`, `tokens`, `cost`, `error_rate`).
    pub fn metric_name(&self) -> &'static str {
        self.metric.name()
    }
}

/// A crossing to post to a webhook.
pub struct Delivery {
    /// The alert's number.
    pub alert: u64,
    /// The URL.
    pub url: String,
    /// The JSON to post.
    pub body: Value,
}

/// The dashboard's alerts.
#[derive(Debug, Default)]
pub struct Alerts {
    list: Mutex<Vec<Alert>>,
}

impl Alerts {
    /// Every alert, as stored (after a restart, an import or a reset too).
    pub fn all(&self, store: &Store) -> Vec<Alert> {
        self.list
            .lock()
            .map(|mut list| {
                sync(&mut list, store);
                list.clone()
            })
            .unwrap_or_default()
    }

    /// Adds an alert from the form; the message for a wrong field.
    pub fn add(&self, store: &Store, form: &HashMap<String, String>) -> Result<(), String> {
        let field = |name: &str| form.get(name).map_or("", |v| v.trim());
        let metric = Metric::parse(field("metric")).ok_or("Choose a metric.")?;
        let threshold: f64 = field("threshold")
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite() && *t >= 0.0)
            .ok_or("Threshold must be a number of at least 0.")?;
        let window_minutes: u64 = field("window_minutes")
            .parse()
            .ok()
            .filter(|w| (1..=43_200).contains(w))
            .ok_or("Window must be between 1 and 43200 minutes.")?;
        let scope = match field("scope") {
            "" | "all" => "all".to_string(),
            s if s.starts_with("key:") || s.starts_with("project:") => s.to_string(),
            _ => return Err("Choose what the alert watches.".into()),
        };
        let webhook = match field("webhook") {
            "" => None,
            url if target(url).is_some() => Some(url.to_string()),
            _ => return Err("The webhook must be an http:// URL with a host.".into()),
        };
        let mut list = self
            .list
            .lock()
            .map_err(|_| "The alerts are unavailable.")?;
        sync(&mut list, store);
        if list.len() >= MAX_ALERTS {
            return Err(format!("At most {MAX_ALERTS} alerts."));
        }
        let id = list.iter().map(|a| a.id).max().unwrap_or(0) + 1;
        let alert = Alert {
            id,
            metric,
            scope,
            threshold,
            window_minutes,
            webhook,
            firing: false,
            value: 0.0,
            crossings: Vec::new(),
        };
        store
            .create(ORG, Object::new(ALERT, &stored_id(id), settings(&alert)))
            .map_err(|e| e.message)?;
        list.push(alert);
        Ok(())
    }

    /// Removes alert `id`.
    pub fn remove(&self, store: &Store, id: u64) {
        store.delete(ORG, ALERT, &stored_id(id));
        if let Ok(mut list) = self.list.lock() {
            list.retain(|a| a.id != id);
        }
    }

    /// Measures every alert now; records crossings (in the audit log too) and returns the
    /// webhook posts they call for.
    pub fn check(&self, store: &Store, now_ms: u64) -> Vec<Delivery> {
        let Ok(mut list) = self.list.lock() else {
            return Vec::new();
        };
        sync(&mut list, store);
        let mut deliveries = Vec::new();
        for alert in list.iter_mut() {
            alert.value = measure(store, alert, now_ms);
            let crossed = alert.value >= alert.threshold;
            if crossed && !alert.firing {
                let body = json!({
                    "object": "dashboard.alert",
                    "alert_id": alert.id,
                    "metric": alert.metric.name(),
                    "scope": alert.scope,
                    "threshold": alert.threshold,
                    "value": alert.value,
                    "window_minutes": alert.window_minutes,
                    "at": now_ms / 1000,
                });
                let project = alert.scope.strip_prefix("project:");
                store
                    .org()
                    .record_audit("alert.triggered", None, project, body.clone());
                alert.crossings.push(Crossing {
                    at_ms: now_ms,
                    value: alert.value,
                    webhook: match &alert.webhook {
                        Some(_) => "sending".into(),
                        None => "-".into(),
                    },
                });
                if alert.crossings.len() > KEPT_CROSSINGS {
                    alert.crossings.remove(0);
                }
                if let Some(url) = &alert.webhook {
                    deliveries.push(Delivery {
                        alert: alert.id,
                        url: url.clone(),
                        body,
                    });
                }
            }
            alert.firing = crossed;
        }
        deliveries
    }

    /// Notes what a webhook answered for the alert's latest crossing.
    pub fn delivered(&self, alert: u64, outcome: String) {
        if let Ok(mut list) = self.list.lock() {
            if let Some(crossing) = list
                .iter_mut()
                .find(|a| a.id == alert)
                .and_then(|a| a.crossings.last_mut())
            {
                crossing.webhook = outcome;
            }
        }
    }

    /// The alerts firing now.
    pub fn firing(&self, store: &Store) -> Vec<Alert> {
        self.all(store).into_iter().filter(|a| a.firing).collect()
    }
}

/// The store id of alert `id`.
fn stored_id(id: u64) -> String {
    format!("alert_{id}")
}

/// What the store keeps of an alert: its settings.
fn settings(alert: &Alert) -> Value {
    json!({
        "id": alert.id,
        "metric": alert.metric.name(),
        "scope": alert.scope,
        "threshold": alert.threshold,
        "window_minutes": alert.window_minutes,
        "webhook": alert.webhook,
    })
}

/// An alert from its stored settings, not firing yet (`None` for a record it cannot read).
fn from_settings(body: &Value) -> Option<Alert> {
    Some(Alert {
        id: body.get("id")?.as_u64()?,
        metric: Metric::parse(body.get("metric")?.as_str()?)?,
        scope: body.get("scope")?.as_str()?.to_string(),
        threshold: body.get("threshold")?.as_f64()?,
        window_minutes: body.get("window_minutes")?.as_u64()?,
        webhook: body
            .get("webhook")
            .and_then(Value::as_str)
            .map(str::to_string),
        firing: false,
        value: 0.0,
        crossings: Vec::new(),
    })
}

/// Makes `list` the stored alerts, in creation order: an alert still stored keeps its state
/// in memory (firing, crossings), a new one (a restart, an import) starts quiet, and one no
/// longer stored (a reset) goes.
fn sync(list: &mut Vec<Alert>, store: &Store) {
    let stored: Vec<Alert> = store
        .list(ORG, ALERT, None)
        .iter()
        .filter_map(|o| from_settings(&o.body))
        .collect();
    let unchanged =
        stored.len() == list.len() && stored.iter().zip(list.iter()).all(|(s, l)| s.id == l.id);
    if unchanged {
        return;
    }
    let mut previous = std::mem::take(list);
    *list = stored
        .into_iter()
        .map(
            |alert| match previous.iter().position(|p| p.id == alert.id) {
                Some(at) => previous.swap_remove(at),
                None => alert,
            },
        )
        .collect();
}

/// The alert's value over its window, from the organization's usage and costs.
fn measure(store: &Store, alert: &Alert, now_ms: u64) -> f64 {
    let now = (now_ms / 1000) as i64;
    let mut query = UsageQuery {
        start_time: now - alert.window_minutes as i64 * 60,
        end_time: Some(now + 1),
        bucket_width: BucketWidth::parse("1m").unwrap_or_default(),
        ..UsageQuery::default()
    };
    if let Some(key) = alert.scope.strip_prefix("key:") {
        query.api_key_ids = vec![key.to_string()];
    }
    if let Some(project) = alert.scope.strip_prefix("project:") {
        query.project_ids = vec![project.to_string()];
    }
    let org = store.org();
    if alert.metric == Metric::Cost {
        return org
            .costs(&query)
            .iter()
            .flat_map(|b| &b.rows)
            .map(|r| r.amount_usd)
            .sum();
    }
    let (mut requests, mut errors, mut tokens) = (0u64, 0u64, 0u64);
    for row in org.usage(&query).iter().flat_map(|b| &b.rows) {
        requests += row.totals.requests;
        errors += row.totals.errors;
        tokens += row.totals.input_tokens + row.totals.output_tokens;
    }
    match alert.metric {
        Metric::Requests => requests as f64,
        Metric::Tokens => tokens as f64,
        Metric::ErrorRate if requests > 0 => errors as f64 * 100.0 / requests as f64,
        _ => 0.0,
    }
}

/// `(host:port, path)` of an `http://` URL.
fn target(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains(['@', ' ']) || path.contains([' ', '\r', '\n']) {
        return None;
    }
    let authority = match authority.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => authority.to_string(),
        _ => format!("{authority}:80"),
    };
    Some((authority, path.to_string()))
}

/// POSTs `body` to `url` (plain HTTP/1.1, 5 s at most); what the webhook answered.
pub async fn post(url: &str, body: &Value) -> String {
    let Some((authority, path)) = target(url) else {
        return "not an http:// URL".into();
    };
    let host = authority
        .rsplit_once(':')
        .map_or(authority.as_str(), |h| h.0);
    let payload = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nUser-Agent: openai-mock-dashboard\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&authority).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut head = vec![0u8; 256];
        let n = stream.read(&mut head).await?;
        Ok::<String, std::io::Error>(String::from_utf8_lossy(&head[..n]).into_owned())
    };
    match tokio::time::timeout(Duration::from_secs(5), exchange).await {
        Ok(Ok(head)) => head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .map_or_else(|| "no answer".into(), |s| format!("HTTP {s}")),
        Ok(Err(e)) => format!("failed: {e}"),
        Err(_) => "timed out".into(),
    }
}

/// A readable name of an alert's scope.
fn scope_label(scope: &str, keys: &[KeyInfo], projects: &[Value]) -> String {
    if let Some(id) = scope.strip_prefix("key:") {
        let name = keys.iter().find(|k| k.id == id).map_or(id, |k| &k.name);
        return format!("key {name}");
    }
    if let Some(id) = scope.strip_prefix("project:") {
        let name = projects
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["name"].as_str())
            .unwrap_or(id);
        return format!("project {name}");
    }
    "all traffic".into()
}

/// The alerts page.
pub fn page(
    alerts: &[Alert],
    keys: &[KeyInfo],
    projects: &[Value],
    session: &Session,
    error: Option<&str>,
) -> Markup {
    layout(
        "Alerts",
        Some(session),
        html! {
            @if let Some(error) = error { p.error role="alert" { (error) } }
            @for alert in alerts.iter().filter(|a| a.firing) {
                p.error.firing role="alert" { "Alert " (alert.id) " is firing: " (alert.metric.name()) " "
                    (alert.value) " ≥ " (alert.threshold) " for " (scope_label(&alert.scope, keys, projects)) "." }
            }
            @if session.can_write() {
                h2 { "Add alert" }
                form.create method="post" action="/dashboard/alerts" {
                    (csrf_field(session))
                    label for="alert-metric" { "Metric" }
                    select #alert-metric name="metric" {
                        @for (_, name, label) in Metric::ALL { option value=(name) { (label) } }
                    }
                    label for="alert-scope" { "Watch" }
                    select #alert-scope name="scope" {
                        option value="all" { "All traffic" }
                        @for p in projects { @if let Some(id) = p["id"].as_str() {
                            option value=(format!("project:{id}")) { "Project " (p["name"].as_str().unwrap_or(id)) }
                        } }
                        @for k in keys { option value=(format!("key:{}", k.id)) { "Key " (k.name) } }
                    }
                    label for="alert-threshold" { "Threshold" } input #alert-threshold name="threshold" required;
                    label for="alert-window" { "Window (minutes)" } input #alert-window name="window_minutes" type="number" min="1" value="60";
                    label for="alert-webhook" { "Webhook URL" } input #alert-webhook name="webhook" placeholder="http://127.0.0.1:9000/hook";
                    button type="submit" { "Add alert" }
                }
            }
            table #alerts {
                thead { tr { th { "#" } th { "Metric" } th { "Watches" } th { "Threshold" } th { "Window" }
                    th { "Now" } th { "State" } th { "Crossings" } th { "Webhook" } @if session.can_write() { th {} } } }
                tbody {
                    @for alert in alerts {
                        tr data-alert-id=(alert.id) {
                            td { (alert.id) } td { (alert.metric.name()) }
                            td { (scope_label(&alert.scope, keys, projects)) }
                            td { (alert.threshold) } td { (alert.window_minutes) " min" }
                            td { (format!("{:.2}", alert.value)) }
                            td { @if alert.firing { "firing" } @else { "ok" } }
                            td { @for c in &alert.crossings { (utc(c.at_ms)) ": " (format!("{:.2}", c.value)) " (webhook " (c.webhook) ")" br; } }
                            td { (alert.webhook.as_deref().unwrap_or("-")) }
                            @if session.can_write() {
                                td { form.inline method="post" action=(format!("/dashboard/alerts/{}/delete", alert.id)) {
                                    (csrf_field(session)) button type="submit" { "Delete" } } }
                            }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::form_of as form;

    #[test]
    fn webhook_urls_must_be_plain_http_with_a_host() {
        assert_eq!(
            target("http://127.0.0.1:9000/hook"),
            Some(("127.0.0.1:9000".into(), "/hook".into()))
        );
        assert_eq!(
            target("http://example.test"),
            Some(("example.test:80".into(), "/".into()))
        );
        assert_eq!(target("https://x/"), None);
        assert_eq!(target("http://a b/"), None);
    }

    fn store() -> Store {
        Store::in_memory(crate::store::Settings::default())
    }

    #[test]
    fn the_form_is_checked_before_an_alert_is_added() {
        let (alerts, store) = (Alerts::default(), store());
        let good = [
            ("metric", "requests"),
            ("threshold", "2"),
            ("window_minutes", "5"),
        ];
        assert!(alerts.add(&store, &form(&good)).is_ok());
        let mut bad = form(&good);
        bad.insert("threshold".into(), "-1".into());
        assert!(alerts.add(&store, &bad).unwrap_err().contains("Threshold"));
        bad = form(&good);
        bad.insert("webhook".into(), "ftp://x".into());
        assert!(alerts.add(&store, &bad).unwrap_err().contains("webhook"));
        assert_eq!(alerts.all(&store).len(), 1);
        alerts.remove(&store, 1);
        assert!(alerts.all(&store).is_empty());
    }

    #[test]
    fn alerts_live_in_the_store_and_keep_their_state_in_memory() {
        let (alerts, store) = (Alerts::default(), store());
        let requests = [
            ("metric", "requests"),
            ("threshold", "0"),
            ("window_minutes", "5"),
            ("scope", "project:proj_x"),
            ("webhook", "http://127.0.0.1:9/hook"),
        ];
        let cost = [
            ("metric", "cost"),
            ("threshold", "1.5"),
            ("window_minutes", "60"),
        ];
        alerts.add(&store, &form(&requests)).unwrap();
        alerts.add(&store, &form(&cost)).unwrap();
        // A threshold of 0 is crossed at once; the crossing stays while the alert is stored.
        assert_eq!(alerts.check(&store, 1_000_000).len(), 1);
        assert!(alerts.all(&store)[0].firing);

        // A restart: a new dashboard over the same store finds both, as they were set.
        let restarted = Alerts::default();
        let found = restarted.all(&store);
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].id, found[0].metric, found[0].scope.as_str()),
            (1, Metric::Requests, "project:proj_x")
        );
        assert_eq!(found[0].webhook.as_deref(), Some("http://127.0.0.1:9/hook"));
        assert_eq!((found[1].metric, found[1].threshold), (Metric::Cost, 1.5));
        assert!(!found[0].firing && found[0].crossings.is_empty());

        // Removing one leaves the other; a reset of the store takes the rest.
        alerts.remove(&store, 1);
        assert_eq!(restarted.all(&store).len(), 1);
        assert_eq!(alerts.all(&store)[0].id, 2);
        store.reset(None);
        assert!(alerts.all(&store).is_empty());
    }
}
