//! Lists that behave: one page of a list, as `limit`, `order`, `after` and `before` ask
//! ([`page_window`], shared with the stored lists of the endpoints), and the generated lists
//! of operations nothing stores ([`fill_list`]).
//!
//! A generated list is a page of a virtual sequence of [`SEQUENCE_LENGTH`] items, each made
//! from a seed of its own (the operation, its path ids, the query's filters and the item's
//! place), with ids taken from that seed rather than from the request's id source. So the
//! same request gives the same page, `after=<last_id>` continues a page where it ended, and
//! `has_more` is true exactly when items remain. Items are created an hour apart, the last
//! one now.

use super::instance::Generator;
use super::rng::{fnv1a, Rng};
use super::{ids, stamp_times, DEFAULT_LIST_LENGTH, MAX_LIST_LENGTH};
use crate::catalog::{Catalog, Operation};
use crate::validate::{fields, ValidRequest};
use serde_json::Value;

/// How many items the virtual sequence of a generated, paginated list holds in all.
pub const SEQUENCE_LENGTH: usize = 7;

/// Seconds between the creation of neighbouring items of a generated list.
const SPACING: i64 = 3_600;

/// The query parameters that move through a list rather than choose it.
const CURSORS: [&str; 4] = ["limit", "order", "after", "before"];

/// One page of `items` (given in creation order) as `query` asks: `order` (else
/// `default_order`; `desc` lists newest first), the items after the `after` id, the `limit`
/// items just before the `before` id, at most `limit` items (all when it is absent). A
/// cursor that names no item is ignored. Returns the page and whether items remain past it.
pub fn page_window<T>(
    mut items: Vec<T>,
    id_of: impl Fn(&T) -> Option<&str>,
    query: &Value,
    default_order: &str,
) -> (Vec<T>, bool) {
    let order = query
        .get("order")
        .and_then(Value::as_str)
        .unwrap_or(default_order);
    if order == "desc" {
        items.reverse();
    }
    let at = |items: &[T], key: &str| {
        let cursor = query.get(key).and_then(Value::as_str)?;
        items.iter().position(|i| id_of(i) == Some(cursor))
    };
    let limit = query
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |l| l as usize);
    if let Some(end) = at(&items, "before") {
        items.truncate(end);
        if let Some(start) = at(&items, "after") {
            items.drain(..=start);
        }
        // The page just before the cursor: its last `limit` items.
        let more = items.len() > limit;
        let skip = items.len().saturating_sub(limit);
        items.drain(..skip);
        return (items, more);
    }
    if let Some(start) = at(&items, "after") {
        items.drain(..=start);
    }
    let more = items.len() > limit;
    items.truncate(limit);
    (items, more)
}

/// Gives a list envelope its items and consistent `first_id`/`last_id`/`has_more`: a page
/// of the operation's virtual sequence when the operation is paginated (takes `after`),
/// else `limit` items (or [`DEFAULT_LIST_LENGTH`]) with distinct ids.
pub(super) fn fill_list<'a>(
    catalog: &'a Catalog,
    op: &Operation,
    schema: &'a Value,
    body: &mut Value,
    request: &ValidRequest,
    generator: &mut Generator<'a>,
) {
    let Some(object) = body.as_object_mut() else {
        return;
    };
    let is_list = object.get("data").is_some_and(Value::is_array)
        && (object.get("object").and_then(Value::as_str) == Some("list")
            || object.contains_key("has_more"));
    if !is_list {
        return;
    }
    let store = &catalog.schemas;
    let Some(item_schema) =
        fields::property(store, schema, "data").and_then(|data| fields::items(store, data))
    else {
        return;
    };
    let paginated = op
        .params
        .iter()
        .any(|p| p.location == "query" && p.name == "after");
    let (items, more) = if paginated {
        let sequence = Sequence::new(op, request, generator.now());
        sequence.page(item_schema, request, generator)
    } else {
        let wanted = request
            .query
            .get("limit")
            .and_then(Value::as_u64)
            .map_or(DEFAULT_LIST_LENGTH, |l| l as usize)
            .min(MAX_LIST_LENGTH);
        let items = (0..wanted)
            .map(|_| {
                let mut item = generator.generate(item_schema);
                stamp_times(&mut item, generator.now());
                item
            })
            .collect();
        (items, false)
    };
    let id_of = |item: Option<&Value>| item.and_then(|i| i.get("id")).cloned();
    for (key, item) in [("first_id", items.first()), ("last_id", items.last())] {
        if let Some(id) = id_of(item) {
            if object.get(key).is_some_and(Value::is_string) {
                object.insert(key.into(), id);
            }
        }
    }
    if object.get("has_more").is_some_and(Value::is_boolean) {
        object.insert("has_more".into(), Value::Bool(more));
    }
    object.insert("data".into(), Value::Array(items));
}

/// The virtual sequence of one generated list.
struct Sequence<'r> {
    seed: u64,
    now: i64,
    request: &'r ValidRequest,
}

impl<'r> Sequence<'r> {
    /// The sequence `request` lists: the same for every page of the same list.
    fn new(op: &Operation, request: &'r ValidRequest, now: i64) -> Sequence<'r> {
        let mut key = op.id.clone();
        for (name, value) in &request.path {
            key.push_str(&format!("\n{name}={value}"));
        }
        let mut filters: Vec<(&String, String)> = request
            .query
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(name, _)| !CURSORS.contains(&name.as_str()))
            .map(|(name, value)| (name, value.to_string()))
            .collect();
        filters.sort();
        for (name, value) in filters {
            key.push_str(&format!("\n{name}={value}"));
        }
        Sequence {
            seed: fnv1a(&[b"list", key.as_bytes()]),
            now,
            request,
        }
    }

    /// The seed of item `index` (in creation order).
    fn item_seed(&self, index: usize) -> u64 {
        fnv1a(&[&self.seed.to_le_bytes(), &index.to_le_bytes()])
    }

    /// Item `index`: generated from its own seed, created `SPACING` seconds after the one
    /// before, its id `id`, and the path's ids in the fields named like them.
    fn item<'a>(
        &self,
        index: usize,
        id: Option<&str>,
        schema: &'a Value,
        generator: &Generator<'a>,
    ) -> Value {
        let age = (SEQUENCE_LENGTH - 1 - index) as i64 * SPACING;
        let now = self.now - age;
        let mut fork = generator.fork(Rng::new(self.item_seed(index)), now);
        let mut item = ids::without_id_source(|| fork.generate(schema));
        stamp_times(&mut item, now);
        if let Some(map) = item.as_object_mut() {
            if let (Some(id), Some(Value::String(_))) = (id, map.get("id")) {
                map.insert("id".into(), Value::String(id.to_string()));
            }
            for (name, value) in &self.request.path {
                if map.get(name).is_some_and(Value::is_string) {
                    map.insert(name.clone(), Value::String(value.clone()));
                }
            }
        }
        item
    }

    /// The page `request` asks for, and whether items remain past it.
    fn page<'a>(
        &self,
        schema: &'a Value,
        request: &ValidRequest,
        generator: &Generator<'a>,
    ) -> (Vec<Value>, bool) {
        // The first item shows the shape of the list's ids: a prefix and random characters.
        let probe = self.item(0, None, schema, generator);
        let template = probe.get("id").and_then(Value::as_str).unwrap_or("");
        let cut = template.rfind(['_', '-']).map_or(0, |at| at + 1);
        let (prefix, tail) = template.split_at(cut);
        let ids: Vec<Option<String>> = (0..SEQUENCE_LENGTH)
            .map(|index| {
                (!tail.is_empty()).then(|| {
                    let mut rng = Rng::new(self.item_seed(index) ^ 0x1d5);
                    format!("{prefix}{}", rng.alphanumeric(tail.len()))
                })
            })
            .collect();
        let (window, more) = page_window(
            ids.iter().enumerate().collect(),
            |(_, id): &(usize, &Option<String>)| id.as_deref(),
            &request.query,
            "desc",
        );
        let items = window
            .into_iter()
            .map(|(index, id)| self.item(index, id.as_deref(), schema, generator))
            .collect();
        (items, more)
    }
}
