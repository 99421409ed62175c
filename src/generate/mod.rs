//! Schema-driven response bodies: fixtures, a deterministic generator, reflection and ids.
//!
//! [`Generator`] makes a schema-valid instance of any schema; [`json_response`] turns it into
//! the answer for one operation: lists are pages of a stable sequence (`list.rs`), path ids
//! and valid request fields are reflected, and `created`/`created_at` carry the current time. Endpoints that
//! echo request fields themselves ask [`echo_fits`] first, so an echo never breaks the
//! response schema either.

mod ids;
mod instance;
mod list;
pub mod meaning;
pub mod media;
mod reflect;
mod regex_sample;
mod rng;

pub use ids::{
    new_id, new_id_of_length, prefix_for_field, prefix_for_object, prefix_for_type, with_id_source,
    IdStream,
};
pub use instance::{rfc3339, Generator, MAX_DEPTH};
pub use list::{page_window, SEQUENCE_LENGTH};
pub use regex_sample::sample_regex;
pub use rng::{fnv1a, Rng};

use crate::catalog::{Catalog, Operation};
use crate::validate::ValidRequest;
use serde_json::Value;

/// How many items an unpaginated generated list holds when the client gives no `limit`.
pub const DEFAULT_LIST_LENGTH: usize = 2;
/// The most items a generated list holds.
pub const MAX_LIST_LENGTH: usize = 100;

/// The JSON body answering `request` for `op`, or `None` when the spec declares no body.
pub fn json_response<'a>(
    catalog: &'a Catalog,
    op: &Operation,
    request: &ValidRequest,
    generator: &mut Generator<'a>,
) -> Option<Value> {
    let target = op.response.schema?;
    let schema = catalog.schemas.target(target);
    let mut body = generator.generate(schema);
    list::fill_list(catalog, op, schema, &mut body, request, generator);
    reflect::reflect(
        &catalog.schemas,
        target,
        &mut body,
        request,
        catalog.id_param(op),
    );
    reflect::upload(request, &mut body);
    stamp_times(&mut body, generator.now());
    Some(body)
}

/// Whether an endpoint may echo request value `value` as top-level field `name` of `op`'s
/// answer: it is valid there against the response schema, with `format` asserted (a
/// request's `"server_url": ""` is not a URI). A field whose place the schema does not
/// pin down (inside one branch of a union) is not checked.
pub fn echo_fits(catalog: &Catalog, op: &Operation, name: &str, value: &Value) -> bool {
    op.response
        .schema
        .and_then(|target| reflect::fits(&catalog.schemas, target, name, value))
        != Some(false)
}

/// One event of each variant `op`'s event schema lists, in spec order: the stream of an
/// operation whose endpoint builds none of its own.
pub fn variant_events<'a>(
    catalog: &'a Catalog,
    op: &Operation,
    generator: &mut Generator<'a>,
) -> Vec<Value> {
    let Some(index) = op.stream else {
        return Vec::new();
    };
    let store = &catalog.schemas;
    let (schema, _) = store.resolve(store.target(index));
    let variants: Vec<&Value> = match schema.get("anyOf").and_then(Value::as_array) {
        Some(branches) => branches.iter().collect(),
        None => vec![schema],
    };
    variants
        .into_iter()
        .map(|variant| generator.generate(variant))
        .collect()
}

/// Moves an answer's story to now: its top-level timestamps (`created` and the `*_at`
/// integers) shift together so the latest of them that is not an expiry is now. Generated
/// stamps are all now already; a fixture's keep their order and spacing (a batch created,
/// started, finalised and completed minutes apart, expiring a day later).
fn stamp_times(body: &mut Value, now: i64) {
    let Value::Object(object) = body else {
        return;
    };
    let is_stamp = |key: &str| key == "created" || key.ends_with("_at");
    let latest = object
        .iter()
        .filter(|(key, _)| is_stamp(key) && !key.starts_with("expire"))
        .filter_map(|(_, value)| value.as_i64())
        .max();
    let Some(shift) = latest.map(|latest| now.saturating_sub(latest)) else {
        return;
    };
    for (key, value) in object.iter_mut() {
        if let Some(stamp) = value.as_i64().filter(|_| is_stamp(key)) {
            *value = Value::from(stamp.saturating_add(shift));
        }
    }
}
