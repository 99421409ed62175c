//! Output items sent back as input: which fields of a Responses output item the server assigns,
//! derived from the spec, and input copies of the output item schemas with those fields
//! optional.
//!
//! The spec models most input items as `…ItemParam` twins of output items (the input union
//! `Item` lists `FunctionShellCallItemParam` where the output union `OutputItem` lists
//! `FunctionShellCall`), and each twin pair shows which fields the server assigns: they are
//! required on output and optional on input. For other item types (`OutputMessage`,
//! `FunctionToolCall`, `ReasoningItem`, the built-in tool calls) `Item` names the output schema
//! itself, so it requires `id` and `status` on input, which the real API does not: clients
//! build history from their own message objects and drop those fields.
//!
//! [`relax`] learns the output-only fields from the twin pairs (a field counts when at least
//! [`MIN_TWINS`] pairs agree, which keeps a field one tool happens to compute, such as a shell
//! call's `environment`, out), and points `Item` at `<Name>__input` copies of the schemas it
//! uses directly that require them (output schemas, and input-only ones an overlay patch made
//! stricter), with those fields no longer required. Content parts have no twins
//! in the spec; [`CONTENT_OUTPUT_ONLY`] names their one sampling detail (`logprobs` of an
//! `output_text` part), made optional in copies of the content schemas nested in those items.
//! Response schemas are untouched: answers still carry every field.
//!
//! It depends on `serde_json` and `std` only, because the build script includes the compiler.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The union of items a response outputs.
const OUTPUT_UNION: &str = "OutputItem";
/// The union of items a request may send (inside `InputItem`).
const INPUT_UNION: &str = "Item";
/// How many twin pairs must agree that a field is server-assigned.
pub const MIN_TWINS: usize = 3;
/// Fields of content parts (nested in output items) that only sampling produces.
pub const CONTENT_OUTPUT_ONLY: &[&str] = &["logprobs"];
/// The suffix of the input copies' component names.
pub const SUFFIX: &str = "__input";
const PREFIX: &str = "#/components/schemas/";

/// The output-only fields the spec's twin pairs show, and the input copies made; see the
/// module note. Does nothing to a document without the two unions.
pub fn relax(doc: &mut Value) -> BTreeSet<String> {
    let Some(schemas) = doc.pointer("/components/schemas") else {
        return BTreeSet::new();
    };
    let outputs = branches(schemas, OUTPUT_UNION);
    let inputs = branches(schemas, INPUT_UNION);
    let fields = output_only(schemas, &outputs, &inputs);
    let mut copies: BTreeMap<String, Value> = BTreeMap::new();
    let mut needs_memo: BTreeMap<String, bool> = BTreeMap::new();
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    // Every branch `Item` names, not only the output schemas: an input-only item (a custom
    // tool's output) can be made to require `id` and `status` by an overlay patch that types
    // its output form, and clients never send those either.
    for name in &inputs {
        let Some(schema) = schemas.get(name) else {
            continue;
        };
        let mut copy = schema.clone();
        let dropped = drop_required(&mut copy, |field| fields.contains(field));
        let nested = rewrite_refs(&mut copy, schemas, &mut needs_memo, &mut copies);
        if dropped || nested {
            renamed.insert(name.clone(), format!("{name}{SUFFIX}"));
            copies.insert(format!("{name}{SUFFIX}"), copy);
        }
    }
    let Some(map) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return fields;
    };
    if let Some(list) = map
        .get_mut(INPUT_UNION)
        .and_then(|union| union.get_mut("oneOf"))
        .and_then(Value::as_array_mut)
    {
        for branch in list {
            let target = ref_name(branch).and_then(|name| renamed.get(name)).cloned();
            if let Some(target) = target {
                branch["$ref"] = Value::String(format!("{PREFIX}{target}"));
            }
        }
    }
    map.extend(copies);
    fields
}

/// The component names a union's `oneOf` (or `anyOf`) branches refer to.
fn branches(schemas: &Value, union: &str) -> Vec<String> {
    let Some(schema) = schemas.get(union) else {
        return Vec::new();
    };
    schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|branch| ref_name(branch).map(str::to_string))
        .collect()
}

fn ref_name(value: &Value) -> Option<&str> {
    value.get("$ref")?.as_str()?.strip_prefix(PREFIX)
}

/// A component's required fields and properties, through `$ref` and `allOf`.
fn flat(
    schemas: &Value,
    schema: &Value,
    depth: usize,
) -> (BTreeSet<String>, BTreeMap<String, Value>) {
    let mut required = BTreeSet::new();
    let mut properties = BTreeMap::new();
    if depth > 8 {
        return (required, properties);
    }
    if let Some(target) = ref_name(schema).and_then(|name| schemas.get(name)) {
        return flat(schemas, target, depth + 1);
    }
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = name.as_str() {
            required.insert(name.to_string());
        }
    }
    if let Some(map) = schema.get("properties").and_then(Value::as_object) {
        for (name, value) in map {
            properties.insert(name.clone(), value.clone());
        }
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (more_required, more_properties) = flat(schemas, part, depth + 1);
        required.extend(more_required);
        properties.extend(more_properties);
    }
    (required, properties)
}

/// The `type` discriminator value of an item component (`enum`, `const` or `default`).
fn type_value(schemas: &Value, name: &str) -> Option<String> {
    let schema = schemas.get(name)?;
    let (_, properties) = flat(schemas, schema, 0);
    let mut kind = properties.get("type")?;
    if let Some(target) = ref_name(kind).and_then(|name| schemas.get(name)) {
        kind = target;
    }
    let value = kind
        .get("enum")
        .and_then(|values| values.get(0))
        .or_else(|| kind.get("const"))
        .or_else(|| kind.get("default"))?;
    value.as_str().map(str::to_string)
}

/// Fields that at least [`MIN_TWINS`] (output item, input twin) pairs with the same `type`
/// require on output and not on input.
fn output_only(schemas: &Value, outputs: &[String], inputs: &[String]) -> BTreeSet<String> {
    let mut inputs_by_type: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for name in inputs {
        if let Some(kind) = type_value(schemas, name) {
            inputs_by_type.entry(kind).or_default().push(name);
        }
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for output in outputs {
        let Some(kind) = type_value(schemas, output) else {
            continue;
        };
        let Some(schema) = schemas.get(output) else {
            continue;
        };
        let (out_required, _) = flat(schemas, schema, 0);
        for input in inputs_by_type.get(&kind).into_iter().flatten() {
            if *input == output {
                continue;
            }
            let Some(twin) = schemas.get(input.as_str()) else {
                continue;
            };
            let (in_required, _) = flat(schemas, twin, 0);
            for field in out_required.difference(&in_required) {
                *counts.entry(field.clone()).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .filter(|(field, count)| *count >= MIN_TWINS && field != "type")
        .map(|(field, _)| field)
        .collect()
}

/// Removes the fields `drop` picks from `schema`'s `required`; whether any went.
fn drop_required(schema: &mut Value, drop: impl Fn(&str) -> bool) -> bool {
    let Some(list) = schema.get_mut("required").and_then(Value::as_array_mut) else {
        return false;
    };
    let before = list.len();
    list.retain(|field| !field.as_str().is_some_and(&drop));
    list.len() != before
}

/// Points every `$ref` inside `value` that leads to a content schema requiring a
/// [`CONTENT_OUTPUT_ONLY`] field at its input copy (made once, in `copies`); whether any did.
fn rewrite_refs(
    value: &mut Value,
    schemas: &Value,
    memo: &mut BTreeMap<String, bool>,
    copies: &mut BTreeMap<String, Value>,
) -> bool {
    match value {
        Value::Object(map) => {
            let mut changed = false;
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(PREFIX))
            {
                let name = name.to_string();
                if needs_copy(&name, schemas, memo, &mut BTreeSet::new()) {
                    let copy_name = format!("{name}{SUFFIX}");
                    if !copies.contains_key(&copy_name) {
                        copies.insert(copy_name.clone(), Value::Null);
                        let mut copy = schemas.get(&name).cloned().unwrap_or(Value::Null);
                        drop_required(&mut copy, |field| CONTENT_OUTPUT_ONLY.contains(&field));
                        rewrite_refs(&mut copy, schemas, memo, copies);
                        copies.insert(copy_name.clone(), copy);
                    }
                    map.insert("$ref".into(), Value::String(format!("{PREFIX}{copy_name}")));
                    changed = true;
                }
            }
            for (key, child) in map.iter_mut() {
                if key != "$ref" {
                    changed |= rewrite_refs(child, schemas, memo, copies);
                }
            }
            changed
        }
        Value::Array(list) => {
            let mut changed = false;
            for child in list {
                changed |= rewrite_refs(child, schemas, memo, copies);
            }
            changed
        }
        _ => false,
    }
}

/// Whether component `name` requires a [`CONTENT_OUTPUT_ONLY`] field or refers to one that
/// does.
fn needs_copy(
    name: &str,
    schemas: &Value,
    memo: &mut BTreeMap<String, bool>,
    visiting: &mut BTreeSet<String>,
) -> bool {
    if let Some(known) = memo.get(name) {
        return *known;
    }
    if !visiting.insert(name.to_string()) {
        return false;
    }
    let Some(schema) = schemas.get(name) else {
        return false;
    };
    let direct = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|field| {
            field
                .as_str()
                .is_some_and(|f| CONTENT_OUTPUT_ONLY.contains(&f))
        });
    let mut refs = Vec::new();
    collect_refs(schema, &mut refs);
    let answer = direct
        || refs
            .iter()
            .any(|child| needs_copy(child, schemas, memo, visiting));
    memo.insert(name.to_string(), answer);
    answer
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = ref_name(value) {
                out.push(name.to_string());
            }
            for child in map.values() {
                collect_refs(child, out);
            }
        }
        Value::Array(list) => list.iter().for_each(|child| collect_refs(child, out)),
        _ => {}
    }
}
