//! The usage page: requests, tokens, errors and latency percentiles per minute over a
//! window, per project, key, model or endpoint, drawn as SVG charts; totals per group; and a
//! month-end projection at the window's rate.
//!
//! The numbers come from real traffic: the organization's per-minute usage aggregates and
//! costs (`crate::store::org`), which every answered request adds to. Until the organization
//! has accounted anything in the window (a server that only has a request log), the request
//! log's rows are used instead, without costs.

use super::chart::{line_chart, number, Series};
use super::page::layout;
use super::requests::Row;
use super::session::Session;
use crate::store::org::{BucketWidth, Totals, UsageQuery, UsageRow};
use crate::store::Store;
use maud::{html, Markup};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the charts split traffic by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The key's project.
    Project,
    /// The masked key.
    Key,
    /// The request's model.
    Model,
    /// The matched operation.
    Endpoint,
}

impl GroupBy {
    const ALL: [(GroupBy, &'static str); 4] = [
        (GroupBy::Project, "project"),
        (GroupBy::Key, "key"),
        (GroupBy::Model, "model"),
        (GroupBy::Endpoint, "endpoint"),
    ];

    /// The grouping a query parameter names (by model when unknown).
    pub fn parse(name: &str) -> GroupBy {
        GroupBy::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(GroupBy::Model, |(g, _)| *g)
    }

    /// The organization's `group_by` field for this grouping.
    fn field(self) -> &'static str {
        match self {
            GroupBy::Project => "project_id",
            GroupBy::Key => "api_key_id",
            GroupBy::Model => "model",
            GroupBy::Endpoint => "endpoint",
        }
    }

    fn name(self) -> &'static str {
        GroupBy::ALL
            .iter()
            .find(|(g, _)| *g == self)
            .map_or("model", |(_, n)| n)
    }
}

/// One group's traffic.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The project, key, model or endpoint.
    pub label: String,
    /// Requests per minute.
    pub requests: Vec<f64>,
    /// Tokens per minute.
    pub tokens: Vec<f64>,
    /// Failed requests per minute.
    pub errors: Vec<f64>,
    /// Input tokens in the window.
    pub input_tokens: u64,
    /// Output tokens in the window.
    pub output_tokens: u64,
}

/// Traffic over a window, per minute.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// Start of each minute (Unix ms).
    pub minutes: Vec<u64>,
    /// Traffic per group, largest first.
    pub groups: Vec<Group>,
    /// p50, p95 and p99 latency (ms) per minute.
    pub latency: [Vec<f64>; 3],
    /// Minutes in the window.
    pub window_minutes: u64,
    /// Dollars per project in the window (empty without the organization's costs).
    pub costs: Vec<(String, f64)>,
    /// Dollars since the start of the month.
    pub month_cost: f64,
    /// Where the numbers come from: `usage` (the organization's) or `request log`.
    pub source: &'static str,
}

impl Usage {
    /// The usage of `rows` in the `window_minutes` before `now_ms`, split by `by`;
    /// `project_of` names the project of a row.
    pub fn of(
        rows: &[Row],
        by: GroupBy,
        now_ms: u64,
        window_minutes: u64,
        project_of: &dyn Fn(&Row) -> String,
    ) -> Usage {
        let window_minutes = window_minutes.clamp(1, 24 * 60);
        let end = now_ms / 60_000 + 1;
        let start = end.saturating_sub(window_minutes);
        let n = (end - start) as usize;
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); n];
        for row in rows {
            let minute = row.at_ms / 60_000;
            if minute < start || minute >= end {
                continue;
            }
            let i = (minute - start) as usize;
            let label = match by {
                GroupBy::Project => project_of(row),
                GroupBy::Key => row.key.clone(),
                GroupBy::Model => row.model.clone(),
                GroupBy::Endpoint => row.operation.clone(),
            };
            let label = match label.is_empty() {
                true => "(none)".to_string(),
                false => label,
            };
            let group = groups.entry(label.clone()).or_insert_with(|| Group {
                label,
                requests: vec![0.0; n],
                tokens: vec![0.0; n],
                errors: vec![0.0; n],
                input_tokens: 0,
                output_tokens: 0,
            });
            group.requests[i] += 1.0;
            group.tokens[i] += row.tokens() as f64;
            group.errors[i] += f64::from(u8::from(row.is_error()));
            group.input_tokens += row.input_tokens;
            group.output_tokens += row.output_tokens;
            latencies[i].push(row.latency_ms);
        }
        let mut groups: Vec<Group> = groups.into_values().collect();
        groups.sort_by(|a, b| total(&b.requests).total_cmp(&total(&a.requests)));
        let percentile = |p: f64| -> Vec<f64> {
            latencies
                .iter()
                .map(|values| {
                    let mut values = values.clone();
                    values.sort_by(f64::total_cmp);
                    match values.len() {
                        0 => 0.0,
                        len => values[((len as f64 * p).ceil() as usize).clamp(1, len) - 1],
                    }
                })
                .collect()
        };
        Usage {
            minutes: (start..end).map(|m| m * 60_000).collect(),
            latency: [percentile(0.5), percentile(0.95), percentile(0.99)],
            groups,
            window_minutes,
            costs: Vec::new(),
            month_cost: 0.0,
            source: "request log",
        }
    }

    /// The organization's usage and costs in the `window_minutes` before `now_ms`, split by
    /// `by`, with keys and projects named.
    pub fn from_org(store: &Store, by: GroupBy, now_ms: u64, window_minutes: u64) -> Usage {
        let org = store.org();
        let window_minutes = window_minutes.clamp(1, 24 * 60);
        let end = (now_ms / 60_000 + 1) as i64 * 60;
        let start = end - window_minutes as i64 * 60;
        let query = |group: &str, from: i64, width: BucketWidth| UsageQuery {
            start_time: from,
            end_time: Some(end),
            bucket_width: width,
            group_by: vec![group.to_string()],
            ..UsageQuery::default()
        };
        let keys = org.list_keys();
        let projects = org.projects();
        let project_name = |id: &str| {
            projects
                .iter()
                .find(|p| p["id"] == id)
                .and_then(|p| p["name"].as_str())
                .map_or_else(|| id.to_string(), str::to_string)
        };
        let label = |row: &UsageRow| -> String {
            let text = match by {
                GroupBy::Project => row.project_id.as_deref().map(project_name),
                GroupBy::Key => row.api_key_id.as_deref().map(|id| {
                    keys.iter()
                        .find(|k| k.id == id && !k.name.is_empty())
                        .map_or_else(|| id.to_string(), |k| k.name.clone())
                }),
                GroupBy::Model => row.model.clone(),
                GroupBy::Endpoint => row.endpoint.clone(),
            };
            text.filter(|t| !t.is_empty())
                .unwrap_or_else(|| "(none)".into())
        };
        let buckets = org.usage(&query(by.field(), start, BucketWidth::Minute));
        let n = buckets.len();
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        let mut latency = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        for (i, bucket) in buckets.iter().enumerate() {
            let mut all = Totals::default();
            for row in &bucket.rows {
                let name = label(row);
                let group = groups.entry(name.clone()).or_insert_with(|| Group {
                    label: name,
                    requests: vec![0.0; n],
                    tokens: vec![0.0; n],
                    errors: vec![0.0; n],
                    input_tokens: 0,
                    output_tokens: 0,
                });
                let t = &row.totals;
                group.requests[i] += t.requests as f64;
                group.tokens[i] += (t.input_tokens + t.output_tokens) as f64;
                group.errors[i] += t.errors as f64;
                group.input_tokens += t.input_tokens;
                group.output_tokens += t.output_tokens;
                all.merge(t);
            }
            for (k, q) in [0.5, 0.95, 0.99].into_iter().enumerate() {
                latency[k][i] = all.latency_percentile_ms(q).unwrap_or(0.0);
            }
        }
        let mut costs: BTreeMap<String, f64> = BTreeMap::new();
        for row in org
            .costs(&query("project_id", start, BucketWidth::Day))
            .iter()
            .flat_map(|b| &b.rows)
        {
            let name = project_name(row.project_id.as_deref().unwrap_or(""));
            *costs.entry(name).or_default() += row.amount_usd;
        }
        let month_cost = org
            .costs(&query("project_id", month_start(now_ms), BucketWidth::Day))
            .iter()
            .flat_map(|b| &b.rows)
            .map(|r| r.amount_usd)
            .sum();
        let mut groups: Vec<Group> = groups.into_values().collect();
        groups.sort_by(|a, b| total(&b.requests).total_cmp(&total(&a.requests)));
        Usage {
            minutes: buckets.iter().map(|b| b.start_time as u64 * 1000).collect(),
            groups,
            latency,
            window_minutes,
            costs: costs.into_iter().collect(),
            month_cost,
            source: "usage",
        }
    }

    /// Dollars in the window.
    pub fn window_cost(&self) -> f64 {
        self.costs.iter().map(|(_, c)| c).sum()
    }

    /// Requests, tokens and errors in the window, all groups together.
    pub fn totals(&self) -> (f64, f64, f64) {
        self.groups.iter().fold((0.0, 0.0, 0.0), |(r, t, e), g| {
            (
                r + total(&g.requests),
                t + total(&g.tokens),
                e + total(&g.errors),
            )
        })
    }
}

fn total(values: &[f64]) -> f64 {
    values.iter().sum()
}

/// The start of the month of `now_ms` (UTC), in Unix seconds.
fn month_start(now_ms: u64) -> i64 {
    let now = (now_ms / 1000) as i64;
    let date = crate::generate::rfc3339(now);
    let day: i64 = date.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(1);
    now - now.rem_euclid(86_400) - (day - 1) * 86_400
}

/// Minutes left in the month of `now_ms` (UTC).
pub fn minutes_left_in_month(now_ms: u64) -> u64 {
    let date = crate::generate::rfc3339((now_ms / 1000) as i64);
    let year: i64 = date.get(0..4).and_then(|y| y.parse().ok()).unwrap_or(1970);
    let month: u32 = date.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let day: u64 = date.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(1);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month: u64 = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let minute_of_day = (now_ms / 60_000) % 1440;
    (days_in_month - day) * 1440 + (1440 - minute_of_day)
}

/// The usage page.
pub fn page(usage: &Usage, by: GroupBy, session: &Session, now_ms: u64) -> Markup {
    let labels: Vec<String> = usage
        .minutes
        .iter()
        .map(|m| super::page::utc(*m).get(11..16).unwrap_or("").to_string())
        .collect();
    let per = |pick: fn(&Group) -> &Vec<f64>| -> Vec<Series> {
        usage
            .groups
            .iter()
            .map(|g| Series {
                label: g.label.clone(),
                values: pick(g).clone(),
            })
            .collect()
    };
    let latency: Vec<Series> = ["p50", "p95", "p99"]
        .iter()
        .zip(&usage.latency)
        .map(|(label, values)| Series {
            label: (*label).to_string(),
            values: values.clone(),
        })
        .collect();
    let (requests, tokens, errors) = usage.totals();
    let scale = minutes_left_in_month(now_ms) as f64 / usage.window_minutes as f64;
    layout(
        "Usage",
        Some(session),
        html! {
            form.filter method="get" action="/dashboard/usage" {
                label { "Split by "
                    select name="by" {
                        @for (g, name) in GroupBy::ALL {
                            option value=(name) selected[g == by] { (name) }
                        }
                    }
                }
                label { "Window (minutes) " input name="window" type="number" min="1" max="1440" value=(usage.window_minutes); }
                button type="submit" { "Show" }
            }
            p #totals { "In the last " (usage.window_minutes) " minutes: "
                (number(requests)) " requests, " (number(tokens)) " tokens, " (number(errors)) " errors." }
            p #projection { "Month-end projection at this rate: "
                (number((requests * scale).round())) " more requests, "
                (number((tokens * scale).round())) " more tokens"
                @if usage.source == "usage" {
                    ", and $" (format!("{:.4}", usage.month_cost + usage.window_cost() * scale))
                    " for the month ($" (format!("{:.4}", usage.month_cost)) " so far)"
                }
                "." }
            p.note { "Source: " (usage.source) "." }
            @if !usage.costs.is_empty() {
                table #costs {
                    thead { tr { th { "Project" } th { "Cost in the window (USD)" } } }
                    tbody { @for (project, cost) in &usage.costs { tr { td { (project) } td { (format!("{cost:.6}")) } } } }
                }
            }
            (line_chart(&format!("Requests per minute by {}", by.name()), "requests", &labels, &per(|g| &g.requests)))
            (line_chart(&format!("Tokens per minute by {}", by.name()), "tokens", &labels, &per(|g| &g.tokens)))
            (line_chart(&format!("Errors per minute by {}", by.name()), "errors", &labels, &per(|g| &g.errors)))
            (line_chart("Latency percentiles", "ms", &labels, &latency))
            table #usage-table {
                thead { tr { th { (by.name()) } th { "Requests" } th { "Input tokens" } th { "Output tokens" } th { "Errors" } } }
                tbody {
                    @for g in &usage.groups {
                        tr { td { (g.label) } td { (number(total(&g.requests))) } td { (g.input_tokens) }
                             td { (g.output_tokens) } td { (number(total(&g.errors))) } }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at_ms: u64, model: &str, status: &str, latency_ms: f64) -> Row {
        Row {
            seq: 1,
            time: String::new(),
            at_ms,
            method: "POST".into(),
            path: "/v1/chat/completions".into(),
            status: status.into(),
            latency_ms,
            model: model.into(),
            input_tokens: 3,
            output_tokens: 4,
            key: "sk-ab****yz".into(),
            fired: String::new(),
            operation: "createChatCompletion".into(),
        }
    }

    #[test]
    fn traffic_is_bucketed_per_minute_and_group() {
        let now = 100 * 60_000 + 5;
        let rows = [
            row(now, "gpt-4o", "200", 10.0),
            row(now - 60_000, "gpt-4o", "429", 30.0),
            row(now, "o3", "200", 20.0),
            row(now - 3_600_000, "old", "200", 1.0),
        ];
        let usage = Usage::of(&rows, GroupBy::Model, now, 5, &|_| "p".into());
        assert_eq!(usage.minutes.len(), 5);
        assert_eq!(usage.groups[0].label, "gpt-4o");
        assert_eq!(usage.groups[0].requests[3..], [1.0, 1.0]);
        assert_eq!(usage.groups[0].errors[3..], [1.0, 0.0]);
        assert_eq!(usage.totals(), (3.0, 21.0, 1.0));
        assert_eq!(usage.latency[0][4], 10.0);
        assert_eq!(usage.latency[2][4], 20.0);
    }

    #[test]
    fn the_month_starts_on_its_first_day() {
        assert_eq!(
            month_start(1_796_601_600_000 + 5_000),
            1_796_601_600 - 6 * 86_400
        );
    }

    #[test]
    fn the_month_ends_on_its_last_day() {
        // 2026-12-07 00:00 UTC: 25 whole days (8th..31st = 24) plus the 7th.
        assert_eq!(minutes_left_in_month(1_796_601_600_000), 25 * 1440);
    }
}
