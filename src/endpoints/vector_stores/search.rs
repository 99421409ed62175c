//! `POST /vector_stores/{vector_store_id}/search`: the chunks of a store's completed files,
//! ranked by cosine similarity to the query's embedding (the best over the queries, when
//! there are several), keeping files whose attributes pass `filters`, scores at or above
//! `ranking_options.score_threshold`, and the best `max_num_results` (10 by default).
//!
//! Vectors are stored unit length, so a score is one dot product per chunk, read straight
//! from the file's bytes; only the chunks that make the page have their text copied.
//! Filters: a comparison (`eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in`, `nin`) of attribute
//! `key` with `value`, or a compound (`and`, `or`) of filters. An attribute a file does not
//! have passes only `ne` and `nin`. `gt`..`lte` compare numbers with numbers and strings
//! with strings (ISO dates order as strings); any other pair fails.

use super::files::{self, at, chunks, filename};
use super::ingest::{self, DIMENSIONS};
use super::{find, touch};
use crate::endpoints::{Call, Endpoint};
use crate::error::ApiError;
use crate::generate::Generator;
use crate::store::lifecycle;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// `max_num_results` when the request does not say.
pub const DEFAULT_RESULTS: usize = 10;

/// `POST /vector_stores/{vector_store_id}/search`.
pub const SEARCH: Endpoint = Endpoint {
    ops: &["searchVectorStore"],
    check,
    shape: search,
    ..Endpoint::GENERIC
};

fn check(call: &Call) -> Result<(), ApiError> {
    find(call)?;
    if let Some(filter) = call.request.body.get("filters") {
        check_filter(filter, "filters")?;
    }
    Ok(())
}

/// Refuses `in`/`nin` without an array, and ordering comparisons with a boolean or array.
pub fn check_filter(filter: &Value, param: &str) -> Result<(), ApiError> {
    let kind = filter.get("type").and_then(Value::as_str).unwrap_or("eq");
    if let Some(items) = filter.get("filters").and_then(Value::as_array) {
        for (i, item) in items.iter().enumerate() {
            check_filter(item, &format!("{param}.filters[{i}]"))?;
        }
        return Ok(());
    }
    let value = filter.get("value").unwrap_or(&Value::Null);
    let fits = match kind {
        "in" | "nin" => value.is_array(),
        "gt" | "gte" | "lt" | "lte" => value.is_number() || value.is_string(),
        _ => !value.is_array(),
    };
    if fits {
        return Ok(());
    }
    Err(ApiError::invalid_request(format!(
        "Invalid value for '{param}.value': the '{kind}' comparison does not accept {value}."
    ))
    .with_param(format!("{param}.value"))
    .with_code("invalid_value"))
}

/// The query's strings.
fn queries(body: &Value) -> Vec<String> {
    match body.get("query") {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// One scored chunk: which file (index into the candidates), which chunk, how close.
#[derive(Debug, Clone, Copy)]
struct Hit {
    file: usize,
    chunk: usize,
    score: f32,
}

fn search(call: &Call, answer: &mut Value, generator: &mut Generator) {
    let Ok(Some(store)) = find(call) else {
        return;
    };
    let body = &call.request.body;
    let queries = queries(body);
    let limit = body
        .get("max_num_results")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_RESULTS, |n| n as usize);
    let threshold = body
        .get("ranking_options")
        .and_then(|r| r.get("score_threshold"))
        .and_then(Value::as_f64)
        .unwrap_or(0.0) as f32;
    let query = Query {
        texts: &queries,
        limit,
        threshold,
        filter: body.get("filters"),
    };
    let data = rank(call, &store.id, &query);
    touch(call, &store.id, generator.now());
    *answer = json!({
        "object": "vector_store.search_results.page",
        "search_query": queries,
        "data": data,
        "has_more": false,
        "next_page": null,
    });
}

/// What a search asks: its query strings, how many results at most, the lowest score kept,
/// and the attribute filter.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// The query strings; a chunk scores its best match among them.
    pub texts: &'a [String],
    /// The most results returned.
    pub limit: usize,
    /// The lowest score kept.
    pub threshold: f32,
    /// The attribute filter (a comparison or compound), when there is one.
    pub filter: Option<&'a Value>,
}

/// The best chunks of vector store `store_id`'s completed files for `query`, best first:
/// each `{file_id, filename, score, attributes, content: [{type: text, text}]}`, the items of
/// a search results page. Used by the search endpoint and by the `file_search` tools.
pub fn rank(call: &Call, store_id: &str, query: &Query) -> Vec<Value> {
    let (limit, threshold, filter) = (query.limit, query.threshold, query.filter);
    let now = lifecycle::now_ms();
    let candidates: Vec<_> = call
        .store
        .list(call.namespace, files::KIND, Some(store_id))
        .into_iter()
        .map(|file| {
            let shown = at(&file, now);
            (file, shown)
        })
        .filter(|(_, shown)| shown["status"] == "completed")
        .filter(|(_, shown)| {
            filter.is_none_or(|f| matches(f, shown.get("attributes").and_then(Value::as_object)))
        })
        .collect();
    let vectors: Vec<Vec<f32>> = query.texts.iter().map(|q| ingest::vector(q)).collect();
    let mut hits = Vec::new();
    for (index, (file, _)) in candidates.iter().enumerate() {
        let bytes = file.bytes.as_deref().unwrap_or_default();
        for (chunk, stored) in bytes.chunks_exact(DIMENSIONS * 4).enumerate() {
            let score = vectors
                .iter()
                .map(|query| dot(query, stored))
                .fold(0f32, f32::max)
                .clamp(0.0, 1.0);
            if score >= threshold {
                hits.push(Hit {
                    file: index,
                    chunk,
                    score,
                });
            }
        }
    }
    let best = |a: &Hit, b: &Hit| b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal);
    if hits.len() > limit && limit > 0 {
        hits.select_nth_unstable_by(limit - 1, best);
        hits.truncate(limit);
    }
    hits.truncate(limit);
    hits.sort_by(|a, b| {
        best(a, b)
            .then(a.file.cmp(&b.file))
            .then(a.chunk.cmp(&b.chunk))
    });
    hits.iter()
        .filter_map(|hit| {
            let (file, shown) = candidates.get(hit.file)?;
            let text = chunks(file).nth(hit.chunk)?;
            Some(json!({
                "file_id": shown.get("id").cloned().unwrap_or(Value::Null),
                "filename": filename(file),
                "score": f64::from(hit.score),
                "attributes": shown.get("attributes").cloned().unwrap_or(json!({})),
                "content": [{"type": "text", "text": text}],
            }))
        })
        .collect()
}

/// The dot product of a query and a stored vector (little-endian `f32` bytes).
fn dot(query: &[f32], stored: &[u8]) -> f32 {
    query
        .iter()
        .zip(stored.chunks_exact(4))
        .map(|(q, b)| q * f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .sum()
}

/// Whether attributes pass a filter (comparison or compound).
pub fn matches(filter: &Value, attributes: Option<&Map<String, Value>>) -> bool {
    let kind = filter.get("type").and_then(Value::as_str).unwrap_or("eq");
    if let Some(items) = filter.get("filters").and_then(Value::as_array) {
        return match kind {
            "or" => items.iter().any(|f| matches(f, attributes)),
            _ => items.iter().all(|f| matches(f, attributes)),
        };
    }
    let key = filter.get("key").and_then(Value::as_str).unwrap_or("");
    let value = filter.get("value").unwrap_or(&Value::Null);
    let Some(actual) = attributes.and_then(|a| a.get(key)) else {
        return matches!(kind, "ne" | "nin");
    };
    let member = || {
        value
            .as_array()
            .is_some_and(|items| items.iter().any(|item| same(actual, item)))
    };
    match kind {
        "eq" => same(actual, value),
        "ne" => !same(actual, value),
        "in" => member(),
        "nin" => !member(),
        _ => order(actual, value).is_some_and(|o| match kind {
            "gt" => o == Ordering::Greater,
            "gte" => o != Ordering::Less,
            "lt" => o == Ordering::Less,
            "lte" => o != Ordering::Greater,
            _ => false,
        }),
    }
}

/// Equality, with numbers compared by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// How `a` orders against `b`: numbers with numbers, strings with strings.
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn comparisons_follow_the_spec() {
        let a = attributes(json!({"author": "Ann", "year": 2021, "draft": false}));
        let check = |filter: Value| matches(&filter, Some(&a));
        assert!(check(
            json!({"type": "eq", "key": "author", "value": "Ann"})
        ));
        assert!(!check(
            json!({"type": "eq", "key": "author", "value": "Bob"})
        ));
        assert!(check(
            json!({"type": "ne", "key": "author", "value": "Bob"})
        ));
        assert!(check(json!({"type": "eq", "key": "year", "value": 2021.0})));
        assert!(check(json!({"type": "gt", "key": "year", "value": 2020})));
        assert!(!check(json!({"type": "gt", "key": "year", "value": 2021})));
        assert!(check(json!({"type": "gte", "key": "year", "value": 2021})));
        assert!(check(json!({"type": "lt", "key": "year", "value": 2022})));
        assert!(check(json!({"type": "lte", "key": "year", "value": 2021})));
        assert!(!check(json!({"type": "lt", "key": "author", "value": 3})));
        assert!(check(
            json!({"type": "in", "key": "author", "value": ["Ann", "Bob"]})
        ));
        assert!(check(
            json!({"type": "nin", "key": "author", "value": ["Bob"]})
        ));
        assert!(check(json!({"type": "eq", "key": "draft", "value": false})));
        assert!(!check(json!({"type": "eq", "key": "missing", "value": 1})));
        assert!(check(json!({"type": "ne", "key": "missing", "value": 1})));
    }

    #[test]
    fn compounds_nest() {
        let a = attributes(json!({"author": "Ann", "year": 2021}));
        let filter = json!({"type": "and", "filters": [
            {"type": "eq", "key": "author", "value": "Ann"},
            {"type": "or", "filters": [
                {"type": "lt", "key": "year", "value": 2000},
                {"type": "gte", "key": "year", "value": 2020},
            ]},
        ]});
        assert!(matches(&filter, Some(&a)));
        let b = attributes(json!({"author": "Ann", "year": 2010}));
        assert!(!matches(&filter, Some(&b)));
        assert!(!matches(&filter, None));
    }

    #[test]
    fn the_document_that_answers_scores_highest() {
        let docs = [
            "Volcanoes erupt when magma rises through the crust; lava and ash follow.",
            "Sourdough bread needs a starter; knead the dough and bake it in a hot oven.",
            "Income tax returns list deductions and credits that reduce taxable income.",
        ];
        let stored: Vec<Vec<u8>> = docs
            .iter()
            .map(|d| {
                ingest::vector(d)
                    .iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect()
            })
            .collect();
        for (query, expected) in [("lava eruption", 0), ("baking bread", 1), ("income tax", 2)] {
            let q = ingest::vector(query);
            let scores: Vec<f32> = stored.iter().map(|s| dot(&q, s)).collect();
            let best = (0..3).max_by(|&a, &b| scores[a].total_cmp(&scores[b]));
            assert_eq!(best, Some(expected), "{query}: {scores:?}");
        }
    }

    #[test]
    fn filters_of_the_wrong_shape_are_refused() {
        assert!(check_filter(&json!({"type": "in", "key": "a", "value": "x"}), "filters").is_err());
        assert!(
            check_filter(&json!({"type": "gt", "key": "a", "value": true}), "filters").is_err()
        );
        assert!(check_filter(&json!({"type": "eq", "key": "a", "value": 1}), "filters").is_ok());
    }
}
