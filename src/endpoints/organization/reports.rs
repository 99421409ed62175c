//! What the organization reports from real traffic: `/organization/usage/*` (bucketed,
//! grouped and filtered as asked, with exact counts), `/organization/costs` (priced with
//! the one price table), `/organization/audit_logs` (with its filters) and the projects'
//! rate limits (changing one is enforced at once).

use super::super::stored::{page, path_param};
use super::super::Endpoint;
use super::actor;
use crate::endpoints::Call;
use crate::store::org::{AuditQuery, BucketWidth, Totals, UsageQuery, UsageRow};
use serde_json::{json, Map, Value};

/// The strings of query parameter `name` (one value or an array).
fn strings(call: &Call, name: &str) -> Vec<String> {
    match call.request.query.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn integer(call: &Call, name: &str) -> Option<i64> {
    let value = call.request.query.get(name)?;
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// The usage query the request's parameters describe.
fn usage_query(call: &Call, endpoints: &[&str]) -> UsageQuery {
    UsageQuery {
        start_time: integer(call, "start_time").unwrap_or(0),
        end_time: integer(call, "end_time"),
        bucket_width: call
            .request
            .query
            .get("bucket_width")
            .and_then(Value::as_str)
            .and_then(BucketWidth::parse)
            .unwrap_or_default(),
        group_by: strings(call, "group_by"),
        project_ids: strings(call, "project_ids"),
        api_key_ids: strings(call, "api_key_ids"),
        models: strings(call, "models"),
        endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
    }
}

/// The usage family an operation's path names, its result `object`, and the endpoints it
/// counts.
fn family(path: &str) -> (&'static str, &'static [&'static str]) {
    match path.rsplit('/').next().unwrap_or("") {
        "completions" => (
            "completions",
            &["/chat/completions", "/completions", "/responses"],
        ),
        "embeddings" => ("embeddings", &["/embeddings"]),
        "moderations" => ("moderations", &["/moderations"]),
        "images" => ("images", &["/images"]),
        "audio_speeches" => ("audio_speeches", &["/audio/speech"]),
        "audio_transcriptions" => (
            "audio_transcriptions",
            &["/audio/transcriptions", "/audio/translations"],
        ),
        "vector_stores" => ("vector_stores", &["/vector_stores"]),
        "code_interpreter_sessions" => ("code_interpreter_sessions", &["/containers"]),
        "file_search_calls" => (
            "file_search_calls",
            &["/vector_stores/{vector_store_id}/search"],
        ),
        _ => ("web_search_calls", &["/web_search"]),
    }
}

/// One usage result as the spec's `Usage…Result` for `family`.
fn result(family: &str, row: &UsageRow) -> Value {
    let t: &Totals = &row.totals;
    let mut out = Map::new();
    out.insert(
        "object".into(),
        Value::from(format!("organization.usage.{family}.result")),
    );
    let numbers: Vec<(&str, u64)> = match family {
        "completions" => vec![
            ("input_tokens", t.input_tokens),
            ("input_cached_tokens", t.cached_tokens),
            ("output_tokens", t.output_tokens),
            ("input_audio_tokens", 0),
            ("output_audio_tokens", 0),
            ("num_model_requests", t.requests),
        ],
        "embeddings" | "moderations" => vec![
            ("input_tokens", t.input_tokens),
            ("num_model_requests", t.requests),
        ],
        "images" => vec![("images", t.images), ("num_model_requests", t.requests)],
        "audio_speeches" => vec![
            ("characters", t.characters),
            ("num_model_requests", t.requests),
        ],
        "audio_transcriptions" => vec![
            ("seconds", t.audio_seconds),
            ("num_model_requests", t.requests),
        ],
        "vector_stores" => vec![("usage_bytes", 0)],
        "code_interpreter_sessions" => vec![("num_sessions", t.requests)],
        _ => vec![("num_model_requests", t.requests)],
    };
    for (name, value) in numbers {
        out.insert(name.into(), Value::from(value));
    }
    out.insert("project_id".into(), json!(row.project_id));
    if !matches!(family, "vector_stores" | "code_interpreter_sessions") {
        out.insert("api_key_id".into(), json!(row.api_key_id));
        out.insert("model".into(), json!(row.model));
        out.insert("user_id".into(), Value::Null);
    }
    if family == "completions" {
        out.insert("batch".into(), Value::Null);
    }
    Value::Object(out)
}

/// The page of buckets the query's `limit` and `page` (a bucket offset) ask for, into the
/// `UsageResponse` envelope.
fn paged(call: &Call, buckets: Vec<Value>, width: BucketWidth, answer: &mut Value) {
    let default = match width {
        BucketWidth::Day => 7,
        BucketWidth::Hour => 24,
        BucketWidth::Minute => 60,
    };
    let limit = integer(call, "limit").map_or(default, |l| l.clamp(1, 10_000) as usize);
    let offset = call
        .request
        .query
        .get("page")
        .and_then(Value::as_str)
        .and_then(|p| p.strip_prefix("page_"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let total = buckets.len();
    let data: Vec<Value> = buckets.into_iter().skip(offset).take(limit).collect();
    let next = offset + data.len();
    let has_more = next < total;
    *answer = json!({
        "object": "page",
        "data": data,
        "has_more": has_more,
        "next_page": if has_more { Value::from(format!("page_{next}")) } else { Value::Null },
    });
}

fn usage(call: &Call, answer: &mut Value) {
    let (family, endpoints) = family(&call.op.path);
    let query = usage_query(call, endpoints);
    let buckets = call
        .store
        .org()
        .usage(&query)
        .into_iter()
        .map(|b| {
            json!({
                "object": "bucket", "start_time": b.start_time, "end_time": b.end_time,
                "results": b.rows.iter().map(|r| result(family, r)).collect::<Vec<_>>(),
            })
        })
        .collect();
    paged(call, buckets, query.bucket_width, answer);
}

/// `GET /organization/usage/*`: usage from the traffic the mock answered.
pub const USAGE: Endpoint = Endpoint {
    ops: &[
        "usage-completions",
        "usage-embeddings",
        "usage-moderations",
        "usage-images",
        "usage-audio-speeches",
        "usage-audio-transcriptions",
        "usage-vector-stores",
        "usage-code-interpreter-sessions",
        "usage-file-search-calls",
        "usage-web-search-calls",
    ],
    shape: |call, answer, _| usage(call, answer),
    ..Endpoint::GENERIC
};

fn costs(call: &Call, answer: &mut Value) {
    let mut query = usage_query(call, &[]);
    query.bucket_width = BucketWidth::Day;
    let buckets = call
        .store
        .org()
        .costs(&query)
        .into_iter()
        .map(|b| {
            let results: Vec<Value> = b
                .rows
                .iter()
                .map(|r| {
                    json!({
                        "object": "organization.costs.result",
                        "amount": {"value": r.amount_usd, "currency": "usd"},
                        "line_item": r.line_item, "project_id": r.project_id,
                    })
                })
                .collect();
            json!({
                "object": "bucket", "start_time": b.start_time, "end_time": b.end_time,
                "results": results,
            })
        })
        .collect();
    paged(call, buckets, BucketWidth::Day, answer);
}

/// `GET /organization/costs`: the usage priced with the one price table.
pub const COSTS: Endpoint = Endpoint {
    ops: &["usage-costs"],
    shape: |call, answer, _| costs(call, answer),
    ..Endpoint::GENERIC
};

fn audit_logs(call: &Call, answer: &mut Value) {
    let effective = call.request.query.get("effective_at");
    let bound = |k: &str| {
        let value = effective.and_then(|e| e.get(k))?;
        value
            .as_i64()
            .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
    };
    let query = AuditQuery {
        event_types: strings(call, "event_types[]"),
        project_ids: strings(call, "project_ids[]"),
        actor_ids: strings(call, "actor_ids[]"),
        resource_ids: strings(call, "resource_ids[]"),
        since: bound("gte").or_else(|| bound("gt").map(|t| t + 1)),
        until: bound("lte").or_else(|| bound("lt").map(|t| t - 1)),
    };
    let events = call.store.org().audit(&query);
    // The real API lists the newest first.
    page(call, events, answer, "desc");
    for key in ["first_id", "last_id"] {
        if answer.get(key).is_some_and(Value::is_null) {
            if let Some(map) = answer.as_object_mut() {
                map.remove(key);
            }
        }
    }
}

/// `GET /organization/audit_logs`: what happened, newest first, filtered.
pub const AUDIT_LOGS: Endpoint = Endpoint {
    ops: &["list-audit-logs"],
    shape: |call, answer, _| audit_logs(call, answer),
    ..Endpoint::GENERIC
};

/// `GET /organization/projects/{project_id}/rate_limits`.
pub const RATE_LIMITS_LIST: Endpoint = Endpoint {
    ops: &["list-project-rate-limits"],
    shape: |call, answer, _| {
        let limits = call
            .store
            .org()
            .project_rate_limits(path_param(call, "project_id"));
        page(call, limits, answer, "asc");
    },
    ..Endpoint::GENERIC
};

/// `POST /organization/projects/{project_id}/rate_limits/{rate_limit_id}`: enforced at
/// once for the project's keys.
pub const RATE_LIMIT_UPDATE: Endpoint = Endpoint {
    ops: &["update-project-rate-limits"],
    shape: |call, answer, _| {
        let updated = call.store.org().update_project_rate_limit(
            path_param(call, "project_id"),
            path_param(call, "rate_limit_id"),
            &call.request.body,
            actor(call).as_deref(),
        );
        if let Ok(body) = updated {
            *answer = body;
        }
    },
    ..Endpoint::GENERIC
};
