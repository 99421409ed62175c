//! The request log pages: the latest requests with a filter (status, path, key), one
//! request's detail with its request and response bodies, and the rows the live view
//! (server-sent events) and the exports share.
//!
//! Rows are derived when read: tokens come from the logged answer's `usage`, the status
//! shows `reset` or `stalled` for injected connection faults.

use super::page::{layout, utc};
use super::session::Session;
use crate::scenario::log::{ReceivedRequest, RequestLog};
use maud::{html, Markup};
use serde::Serialize;
use serde_json::Value;

/// How many rows the list shows.
const SHOWN: usize = 200;

/// One request as the dashboard shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The log's number for it.
    pub seq: u64,
    /// When it arrived (UTC).
    pub time: String,
    /// Unix milliseconds of its arrival.
    pub at_ms: u64,
    /// HTTP method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// The status, or `reset` / `stalled`.
    pub status: String,
    /// Milliseconds until the answer's head.
    pub latency_ms: f64,
    /// The request's model.
    pub model: String,
    /// Input tokens of the answer's `usage`.
    pub input_tokens: u64,
    /// Output tokens of the answer's `usage`.
    pub output_tokens: u64,
    /// The masked key.
    pub key: String,
    /// The rule or fault that fired.
    pub fired: String,
    /// The matched operation.
    pub operation: String,
}

impl Row {
    /// The row of a logged request.
    pub fn of(entry: &ReceivedRequest) -> Row {
        let (input_tokens, output_tokens) = usage_tokens(&entry.bodies.response);
        let trace = &entry.trace;
        let status = match (&trace.delivery, entry.status) {
            (_, 0) => "reset".to_string(),
            (Some(delivery), _) if delivery.starts_with("stalled") => "stalled".to_string(),
            (Some(delivery), _) if delivery.starts_with("reset") => "reset".to_string(),
            (_, status) => status.to_string(),
        };
        let fired = [
            trace.rule.as_ref().map(|r| format!("rule {r}")),
            trace.fault.as_ref().map(|f| format!("fault {f}")),
            trace.delivery.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        Row {
            seq: entry.seq,
            time: utc(entry.at_ms),
            at_ms: entry.at_ms,
            method: entry.method.clone(),
            path: entry.path.clone(),
            status,
            latency_ms: (entry.duration_ms * 10.0).round() / 10.0,
            model: trace.model.clone().unwrap_or_default(),
            input_tokens,
            output_tokens,
            key: entry.key.clone().unwrap_or_default(),
            fired,
            operation: entry.operation.clone().unwrap_or_default(),
        }
    }

    /// Input plus output tokens.
    pub fn tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    /// Whether the request failed (4xx, 5xx, a dropped or stalled connection).
    pub fn is_error(&self) -> bool {
        self.status.parse::<u16>().map_or(true, |s| s >= 400)
    }

    /// The cells the table and the live view show, in column order.
    pub fn cells(&self) -> [String; 9] {
        [
            self.time.clone(),
            self.method.clone(),
            self.path.clone(),
            self.status.clone(),
            format!("{} ms", self.latency_ms),
            self.model.clone(),
            self.tokens().to_string(),
            self.key.clone(),
            self.fired.clone(),
        ]
    }
}

/// The column headings, in the order of [`Row::cells`].
const COLUMNS: [&str; 9] = [
    "Time", "Method", "Path", "Status", "Latency", "Model", "Tokens", "Key", "Fired",
];

/// Input and output tokens of an answer's `usage` (Chat Completions or Responses naming).
fn usage_tokens(body: &[u8]) -> (u64, u64) {
    if body.is_empty() {
        return (0, 0);
    }
    let Ok(answer) = serde_json::from_slice::<Value>(body) else {
        return (0, 0);
    };
    let usage = &answer["usage"];
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| usage.get(*name).and_then(Value::as_u64))
            .unwrap_or(0)
    };
    let input = get(&["prompt_tokens", "input_tokens"]);
    let output = get(&["completion_tokens", "output_tokens"]);
    match (input, output) {
        (0, 0) => (get(&["total_tokens"]), 0),
        pair => pair,
    }
}

/// The request-log filter: a status (`200`, `4xx`, `reset`), a path part and a key part.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Status, or class like `4xx`.
    pub status: String,
    /// Part of the path.
    pub path: String,
    /// Part of the masked key.
    pub key: String,
}

impl Filter {
    /// The filter of a query string.
    pub fn from_query(query: Option<&str>) -> Filter {
        let mut filter = Filter::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let value = value.trim().to_string();
            match name.as_ref() {
                "status" => filter.status = value,
                "path" => filter.path = value,
                "key" => filter.key = value,
                _ => {}
            }
        }
        filter
    }

    /// Whether `row` passes.
    pub fn accepts(&self, row: &Row) -> bool {
        let status_ok = match self.status.as_bytes() {
            [] => true,
            [class, b'x', b'x'] => row.status.as_bytes().first() == Some(class),
            _ => row.status == self.status,
        };
        status_ok && row.path.contains(&self.path) && row.key.contains(&self.key)
    }

    /// The filter as a query string (for the live view's address).
    pub fn to_query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("status", &self.status)
            .append_pair("path", &self.path)
            .append_pair("key", &self.key)
            .finish()
    }
}

/// Every logged request passing `filter`, newest first.
pub fn rows(log: &RequestLog, filter: &Filter) -> Vec<Row> {
    let mut rows: Vec<Row> = log
        .entries()
        .iter()
        .map(Row::of)
        .filter(|row| filter.accepts(row))
        .collect();
    rows.reverse();
    rows
}

/// The request log page.
pub fn list(log: &RequestLog, session: &Session, filter: &Filter) -> Markup {
    let rows = rows(log, filter);
    let last = log.entries_after(0).last().map_or(0, |e| e.seq);
    let live = format!("/dashboard/live/events?after={last}&{}", filter.to_query());
    layout(
        "Requests",
        Some(session),
        html! {
            form.filter method="get" action="/dashboard/requests" {
                label { "Status " input name="status" value=(filter.status) placeholder="200, 4xx, reset"; }
                label { "Path " input name="path" value=(filter.path) placeholder="/v1/chat"; }
                label { "Key " input name="key" value=(filter.key) placeholder="sk-pr"; }
                button type="submit" { "Filter" }
            }
            p { span #live-status { "Live updates need JavaScript; reload to refresh." } " "
                span #live-count data-count=(rows.len()) { (rows.len()) " requests" } }
            table #log data-live=(live) {
                thead { tr { @for column in COLUMNS { th { (column) } } } }
                tbody {
                    @for row in rows.iter().take(SHOWN) {
                        tr {
                            @for (i, cell) in row.cells().iter().enumerate() {
                                @if i == 0 {
                                    td { a href=(format!("/dashboard/requests/{}", row.seq)) { (cell) } }
                                } @else {
                                    td { (cell) }
                                }
                            }
                        }
                    }
                }
            }
            @if rows.len() > SHOWN { p { "Showing the latest " (SHOWN) "; export for all." } }
        },
    )
}

/// One request's detail, with its bodies (pretty-printed when JSON).
pub fn detail(entry: &ReceivedRequest, session: &Session) -> Markup {
    let row = Row::of(entry);
    let bodies = &entry.bodies;
    layout(
        &format!("Request {}", row.seq),
        Some(session),
        html! {
            dl {
                @for (name, value) in COLUMNS.iter().zip(row.cells()) {
                    dt { (name) } dd { (value) }
                }
                dt { "Operation" } dd { (row.operation) }
                dt { "Request id" } dd { (entry.request_id) }
            }
            @if let Some(socket) = &entry.socket {
                h2 { "Socket" }
                p #socket-summary {
                    (socket.client_events) " client events, " (socket.server_events) " server events"
                    @if let Some(ended) = &socket.ended { "; ended: " (ended) }
                }
                ol #socket-events {
                    @for event in &socket.events { li { (event.from) ": " (event.kind) } }
                }
            }
            h2 { "Request body" @if bodies.request_truncated { " (first part)" } }
            pre #request-body { (pretty(&bodies.request)) }
            h2 { "Response body" @if bodies.response_truncated { " (first part)" } }
            pre #response-body { @if bodies.response.is_empty() { "(not JSON: a stream or bytes)" } @else { (pretty(&bodies.response)) } }
            p { a href="/dashboard/requests" { "Back to the log" } }
        },
    )
}

/// A body as text: pretty JSON when it parses, else lossy UTF-8.
fn pretty(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::log::Bodies;

    fn entry(status: u16, response: &str) -> ReceivedRequest {
        ReceivedRequest {
            seq: 3,
            status,
            path: "/v1/chat/completions".into(),
            key: Some("sk-pr****yz".into()),
            bodies: Bodies {
                response: bytes::Bytes::from(response.to_string()),
                ..Bodies::default()
            },
            ..ReceivedRequest::default()
        }
    }

    #[test]
    fn rows_read_tokens_and_faults_from_the_log() {
        let row = Row::of(&entry(
            200,
            r#"{"usage":{"prompt_tokens":5,"completion_tokens":7}}"#,
        ));
        assert_eq!(
            (row.input_tokens, row.output_tokens, row.tokens()),
            (5, 7, 12)
        );
        assert_eq!(Row::of(&entry(0, "")).status, "reset");
        assert!(Row::of(&entry(0, "")).is_error());
        assert!(!row.is_error());
    }

    #[test]
    fn the_filter_matches_status_classes_paths_and_keys() {
        let row = Row::of(&entry(429, "{}"));
        let filter = |q| Filter::from_query(Some(q));
        assert!(filter("status=4xx&path=chat&key=sk-pr").accepts(&row));
        assert!(filter("status=429").accepts(&row));
        assert!(!filter("status=2xx").accepts(&row));
        assert!(!filter("path=embeddings").accepts(&row));
        assert!(!filter("key=sk-zz").accepts(&row));
    }
}
