//! Usage from real traffic: every answered request is added to in-memory aggregates per
//! minute, project, key, model and endpoint ([`Accounting`]: one short lock, no store
//! write), which are written to the store as `usage_minute` objects when usage is read,
//! exported or flushed. Queries ([`UsageQuery`]) bucket and group them as
//! `/organization/usage/*` and `/organization/costs` do.

use super::{Org, ORG};
use crate::services::prices;
use crate::store::{Found, Object};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The stored kind of one minute's aggregate.
pub const USAGE_MINUTE: &str = "usage_minute";

/// Upper bounds (ms) of the latency histogram's buckets; the last one is open.
pub const LATENCY_BOUNDS_MS: [f64; 15] = [
    1.0,
    2.0,
    5.0,
    10.0,
    20.0,
    50.0,
    100.0,
    200.0,
    500.0,
    1000.0,
    2000.0,
    5000.0,
    10000.0,
    30000.0,
    f64::INFINITY,
];

/// Pending aggregates beyond which a request writes them to the store itself.
const MAX_PENDING: usize = 20_000;

/// What one answer used, read from its `usage` (and its request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Input tokens (cached included).
    pub input_tokens: u64,
    /// Cached input tokens.
    pub cached_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Images made.
    pub images: u64,
    /// Seconds of audio transcribed.
    pub audio_seconds: u64,
    /// Characters spoken.
    pub characters: u64,
}

impl Tally {
    /// What the answer `answer` to a request to `path` with `body` used.
    pub fn of(path: &str, body: &Value, answer: &Value) -> Tally {
        let usage = answer.get("usage");
        let number = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| {
                    k.split('.')
                        .try_fold(usage?, |v, part| v.get(part))
                        .and_then(Value::as_u64)
                })
                .unwrap_or(0)
        };
        let mut tally = Tally {
            input_tokens: number(&["prompt_tokens", "input_tokens"]),
            cached_tokens: number(&[
                "prompt_tokens_details.cached_tokens",
                "input_tokens_details.cached_tokens",
            ]),
            output_tokens: number(&["completion_tokens", "output_tokens"]),
            ..Tally::default()
        };
        if path.starts_with("/images") {
            tally.images = answer
                .get("data")
                .and_then(Value::as_array)
                .map_or(0, |d| d.len() as u64);
        } else if path.starts_with("/audio/speech") {
            tally.characters = body
                .get("input")
                .and_then(Value::as_str)
                .map_or(0, |t| t.chars().count() as u64);
        } else if path.starts_with("/audio/") {
            let seconds = answer
                .get("duration")
                .and_then(Value::as_f64)
                .or_else(|| usage.and_then(|u| u.get("seconds")).and_then(Value::as_f64));
            tally.audio_seconds = seconds.map_or(0, |s| s.ceil() as u64);
        }
        tally
    }
}

/// Sums over some requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Requests.
    pub requests: u64,
    /// Requests answered with an error status (400 and above).
    pub errors: u64,
    /// Input tokens (cached included).
    pub input_tokens: u64,
    /// Cached input tokens.
    pub cached_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Images made.
    pub images: u64,
    /// Seconds of audio transcribed.
    pub audio_seconds: u64,
    /// Characters spoken.
    pub characters: u64,
    /// Latency histogram: requests per bucket of [`LATENCY_BOUNDS_MS`].
    #[serde(default)]
    pub latency: Vec<u64>,
}

impl Totals {
    fn add_sample(&mut self, sample: &Sample) {
        self.requests += 1;
        self.errors += u64::from(sample.status >= 400);
        let t = &sample.tally;
        self.input_tokens += t.input_tokens;
        self.cached_tokens += t.cached_tokens;
        self.output_tokens += t.output_tokens;
        self.images += t.images;
        self.audio_seconds += t.audio_seconds;
        self.characters += t.characters;
        if self.latency.len() != LATENCY_BOUNDS_MS.len() {
            self.latency.resize(LATENCY_BOUNDS_MS.len(), 0);
        }
        let at = LATENCY_BOUNDS_MS
            .iter()
            .position(|b| sample.latency_ms <= *b)
            .unwrap_or(LATENCY_BOUNDS_MS.len() - 1);
        self.latency[at] += 1;
    }

    /// Adds `other` to these sums.
    pub fn merge(&mut self, other: &Totals) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.input_tokens += other.input_tokens;
        self.cached_tokens += other.cached_tokens;
        self.output_tokens += other.output_tokens;
        self.images += other.images;
        self.audio_seconds += other.audio_seconds;
        self.characters += other.characters;
        if self.latency.len() < other.latency.len() {
            self.latency.resize(other.latency.len(), 0);
        }
        for (mine, theirs) in self.latency.iter_mut().zip(&other.latency) {
            *mine += theirs;
        }
    }

    /// The latency (ms, a bucket's upper bound) under which a share `q` (0.5, 0.95, 0.99)
    /// of the requests were answered; `None` without requests.
    pub fn latency_percentile_ms(&self, q: f64) -> Option<f64> {
        let total: u64 = self.latency.iter().sum();
        if total == 0 {
            return None;
        }
        let wanted = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (count, bound) in self.latency.iter().zip(LATENCY_BOUNDS_MS) {
            seen += count;
            if seen >= wanted {
                return Some(if bound.is_finite() { bound } else { 30000.0 });
            }
        }
        None
    }
}

/// One answered request, as accounting sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// When it arrived (Unix ms).
    pub at_ms: u64,
    /// Its key's project.
    pub project_id: &'a str,
    /// Its key's id.
    pub key_id: &'a str,
    /// The model asked for (empty when none).
    pub model: &'a str,
    /// The operation's path (`/chat/completions`).
    pub endpoint: &'a str,
    /// The answer's status.
    pub status: u16,
    /// Milliseconds to answer.
    pub latency_ms: f64,
    /// What the answer used.
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Slot {
    minute: u64,
    project: String,
    key: String,
    model: String,
    endpoint: String,
}

/// A [`Slot`] by reference: the request path looks its slot up with this, and allocates the
/// owned strings only for a slot's first request. Its derived `Hash` equals `Slot`'s (a
/// `String` hashes as its `str`).
#[derive(Hash)]
struct SlotRef<'a> {
    minute: u64,
    project: &'a str,
    key: &'a str,
    model: &'a str,
    endpoint: &'a str,
}

impl hashbrown::Equivalent<Slot> for SlotRef<'_> {
    fn equivalent(&self, slot: &Slot) -> bool {
        self.minute == slot.minute
            && self.project == slot.project
            && self.key == slot.key
            && self.model == slot.model
            && self.endpoint == slot.endpoint
    }
}

impl Slot {
    fn id(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.minute, self.project, self.key, self.model, self.endpoint
        )
    }
}

/// Aggregates not yet written to the store.
#[derive(Debug, Default)]
pub struct Accounting {
    pending: Mutex<hashbrown::HashMap<Slot, Totals>>,
}

impl Accounting {
    fn add(&self, sample: &Sample) -> bool {
        let slot = SlotRef {
            minute: sample.at_ms / 60_000,
            project: sample.project_id,
            key: sample.key_id,
            model: sample.model,
            endpoint: sample.endpoint,
        };
        let Ok(mut pending) = self.pending.lock() else {
            return false;
        };
        match pending.get_mut(&slot) {
            Some(totals) => totals.add_sample(sample),
            None => {
                let owned = Slot {
                    minute: slot.minute,
                    project: slot.project.to_string(),
                    key: slot.key.to_string(),
                    model: slot.model.to_string(),
                    endpoint: slot.endpoint.to_string(),
                };
                pending.entry(owned).or_default().add_sample(sample);
            }
        }
        pending.len() > MAX_PENDING
    }

    fn take(&self) -> hashbrown::HashMap<Slot, Totals> {
        self.pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    pub(super) fn clear(&self) {
        drop(self.take());
    }
}

/// How wide a usage bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BucketWidth {
    /// One minute (`1m`).
    Minute,
    /// One hour (`1h`).
    Hour,
    /// One day (`1d`, the default).
    #[default]
    Day,
}

impl BucketWidth {
    /// The width named `1m`, `1h` or `1d`.
    pub fn parse(text: &str) -> Option<BucketWidth> {
        match text {
            "1m" => Some(BucketWidth::Minute),
            "1h" => Some(BucketWidth::Hour),
            "1d" => Some(BucketWidth::Day),
            _ => None,
        }
    }

    /// Its length in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            BucketWidth::Minute => 60,
            BucketWidth::Hour => 3600,
            BucketWidth::Day => 86_400,
        }
    }
}

/// What a usage (or costs) query wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageQuery {
    /// Start (Unix seconds, inclusive).
    pub start_time: i64,
    /// End (Unix seconds, exclusive); now when `None`.
    pub end_time: Option<i64>,
    /// Bucket width.
    pub bucket_width: BucketWidth,
    /// Fields to group by: `project_id`, `api_key_id`, `model`, `endpoint` (and, for
    /// costs, `line_item`).
    pub group_by: Vec<String>,
    /// Only these projects (all when empty).
    pub project_ids: Vec<String>,
    /// Only these keys (all when empty).
    pub api_key_ids: Vec<String>,
    /// Only these models (all when empty).
    pub models: Vec<String>,
    /// Only endpoints whose path starts with one of these (all when empty).
    pub endpoints: Vec<String>,
}

/// One group's sums in a bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UsageRow {
    /// The project, when grouped by it.
    pub project_id: Option<String>,
    /// The key, when grouped by it.
    pub api_key_id: Option<String>,
    /// The model, when grouped by it.
    pub model: Option<String>,
    /// The endpoint path, when grouped by it.
    pub endpoint: Option<String>,
    /// The sums.
    pub totals: Totals,
}

/// One time bucket of usage or costs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bucket<R> {
    /// Start (Unix seconds).
    pub start_time: i64,
    /// End (Unix seconds).
    pub end_time: i64,
    /// One row per group with usage or a cost (none when the bucket is idle).
    pub rows: Vec<R>,
}

/// One time bucket of usage.
pub type UsageBucket = Bucket<UsageRow>;

/// One time bucket of costs.
pub type CostBucket = Bucket<CostRow>;

/// One priced line in a costs bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CostRow {
    /// The project, when grouped by it.
    pub project_id: Option<String>,
    /// The line item (`gpt-4o-mini, input`), when grouped by it.
    pub line_item: Option<String>,
    /// US dollars.
    pub amount_usd: f64,
}

/// A stored aggregate: its slot fields and sums.
struct Stored {
    minute: i64,
    project: String,
    key: String,
    model: String,
    endpoint: String,
    totals: Totals,
}

fn stored(object: &Object) -> Option<Stored> {
    let body = &object.body;
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    Some(Stored {
        minute: body.get("minute")?.as_i64()?,
        project: text("project_id"),
        key: text("api_key_id"),
        model: text("model"),
        endpoint: text("endpoint"),
        totals: serde_json::from_value(body.get("totals")?.clone()).ok()?,
    })
}

impl UsageQuery {
    fn wants(&self, s: &Stored) -> bool {
        let within = |list: &[String], v: &str| list.is_empty() || list.iter().any(|l| l == v);
        within(&self.project_ids, &s.project)
            && within(&self.api_key_ids, &s.key)
            && within(&self.models, &s.model)
            && (self.endpoints.is_empty()
                || self
                    .endpoints
                    .iter()
                    .any(|e| s.endpoint.starts_with(e.as_str())))
    }

    fn grouped(&self, field: &str, value: &str) -> Option<String> {
        self.group_by
            .iter()
            .any(|g| g == field)
            .then(|| value.to_string())
    }

    /// The bucket starts from `start_time` to the end, at most `max` of them.
    fn starts(&self, max: usize) -> Vec<i64> {
        let width = self.bucket_width.seconds();
        let end = self.end_time.unwrap_or_else(|| super::now_secs() + 1);
        let start = self.start_time - self.start_time.rem_euclid(width);
        let mut starts = Vec::new();
        let mut at = Some(start);
        while let Some(now) = at.filter(|s| *s < end && starts.len() < max) {
            starts.push(now);
            at = now.checked_add(width);
        }
        starts
    }
}

impl Org<'_> {
    /// Adds one answered request to the usage aggregates (the hot path: one lock, no store
    /// write).
    pub fn account(&self, sample: &Sample) {
        if self.state.accounting.add(sample) {
            self.flush_usage();
        }
    }

    /// Writes the pending aggregates to the store.
    pub fn flush_usage(&self) {
        for (slot, totals) in self.state.accounting.take() {
            let id = slot.id();
            let merged = self.store.update(ORG, USAGE_MINUTE, &id, |o| {
                let mut sums: Totals = o
                    .body
                    .get("totals")
                    .and_then(|t| serde_json::from_value(t.clone()).ok())
                    .unwrap_or_default();
                sums.merge(&totals);
                o.body["totals"] = json!(sums);
            });
            if merged.is_none() {
                let body = json!({
                    "minute": slot.minute * 60, "project_id": slot.project,
                    "api_key_id": slot.key, "model": slot.model, "endpoint": slot.endpoint,
                    "totals": totals,
                });
                // A full store drops this minute's usage rather than failing the request.
                let _ = self.store.create(ORG, Object::new(USAGE_MINUTE, &id, body));
            }
        }
    }

    fn stored_usage(&self, query: &UsageQuery) -> Vec<Stored> {
        self.flush_usage();
        self.store
            .list(ORG, USAGE_MINUTE, None)
            .iter()
            .filter_map(|o| stored(o))
            .filter(|s| query.wants(s))
            .collect()
    }

    /// The stored usage `query` wants, one [`Bucket`] per width from its start to its end,
    /// each with the rows `rows_of` makes of that bucket's aggregates.
    fn bucketed<R>(
        &self,
        query: &UsageQuery,
        rows_of: impl Fn(&mut dyn Iterator<Item = &Stored>) -> Vec<R>,
    ) -> Vec<Bucket<R>> {
        let width = query.bucket_width.seconds();
        let stored = self.stored_usage(query);
        query
            .starts(10_000)
            .into_iter()
            .map(|start| {
                let end = start.saturating_add(width);
                let mut within = stored
                    .iter()
                    .filter(|s| s.minute >= start && s.minute < end);
                Bucket {
                    start_time: start,
                    end_time: end,
                    rows: rows_of(&mut within),
                }
            })
            .collect()
    }

    /// Usage as `query` asks: one bucket per width from its start to its end (idle ones
    /// empty), each with a row per group.
    pub fn usage(&self, query: &UsageQuery) -> Vec<UsageBucket> {
        self.bucketed(query, |within| {
            let mut groups: BTreeMap<[Option<String>; 4], Totals> = BTreeMap::new();
            for s in within {
                let key = [
                    query.grouped("project_id", &s.project),
                    query.grouped("api_key_id", &s.key),
                    query.grouped("model", &s.model),
                    query.grouped("endpoint", &s.endpoint),
                ];
                groups.entry(key).or_default().merge(&s.totals);
            }
            groups
                .into_iter()
                .map(
                    |([project_id, api_key_id, model, endpoint], totals)| UsageRow {
                        project_id,
                        api_key_id,
                        model,
                        endpoint,
                        totals,
                    },
                )
                .collect()
        })
    }

    /// Costs as `query` asks (grouped by `project_id` and/or `line_item`), priced with
    /// [`prices`]: one bucket per width, each with a row per group that cost something.
    pub fn costs(&self, query: &UsageQuery) -> Vec<CostBucket> {
        self.bucketed(query, |within| {
            let mut groups: BTreeMap<(Option<String>, Option<String>), f64> = BTreeMap::new();
            for s in within {
                for (item, amount) in line_items(&s.model, &s.totals) {
                    let key = (
                        query.grouped("project_id", &s.project),
                        query.grouped("line_item", &item),
                    );
                    *groups.entry(key).or_default() += amount;
                }
            }
            groups
                .into_iter()
                .map(|((project_id, line_item), amount_usd)| CostRow {
                    project_id,
                    line_item,
                    amount_usd,
                })
                .collect()
        })
    }

    /// Each key's usage so far, by key id.
    pub fn usage_by_key(&self) -> HashMap<String, Totals> {
        let mut out: HashMap<String, Totals> = HashMap::new();
        for s in self.stored_usage(&UsageQuery::default()) {
            out.entry(s.key).or_default().merge(&s.totals);
        }
        out
    }

    /// The stored aggregate `id`, if any (for tests and the dashboard's detail views).
    pub fn usage_minute(&self, id: &str) -> Option<Arc<Object>> {
        match self.store.get(ORG, USAGE_MINUTE, id) {
            Found::Live(o) => Some(o),
            _ => None,
        }
    }
}

/// The priced line items of `totals` for `model`: (`model, input`, dollars), ...
pub fn line_items(model: &str, totals: &Totals) -> Vec<(String, f64)> {
    let price = prices::price(model);
    let per_million = |n: u64, p: f64| n as f64 * p / 1_000_000.0;
    let uncached = totals.input_tokens.saturating_sub(totals.cached_tokens);
    let model = if model.is_empty() { "other" } else { model };
    [
        ("input", per_million(uncached, price.input)),
        (
            "cached input",
            per_million(totals.cached_tokens, price.cached),
        ),
        ("output", per_million(totals.output_tokens, price.output)),
        ("images", totals.images as f64 * price.image),
        (
            "characters",
            per_million(totals.characters, price.characters),
        ),
        ("audio", totals.audio_seconds as f64 / 60.0 * price.minute),
    ]
    .into_iter()
    .filter(|(_, amount)| *amount > 0.0)
    .map(|(what, amount)| (format!("{model}, {what}"), amount))
    .collect()
}

#[cfg(test)]
mod tests;
