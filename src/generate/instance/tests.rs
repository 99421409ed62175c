//! The generator's own tests, over a small schema document: varied instances cover the
//! schema and stay valid, `allOf` parts agree on nullability, and required names, patterns
//! and maps are honoured.

use super::Generator;
use crate::catalog::SchemaStore;
use crate::generate::Rng;
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// A store whose `x-targets` are `targets`, with components `P1` (a nullable `x`) and `P2`
/// (the same `x`, not nullable), as `top_logprobs` is in the spec's model properties.
fn store(targets: Vec<Value>) -> SchemaStore {
    let count = targets.len();
    let root = json!({
        "components": {"schemas": {
            "P1": {"type": "object", "properties": {"x": {"anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 20},
                {"type": "null"}
            ]}}},
            "P2": {"type": "object", "properties": {
                "x": {"type": "integer", "minimum": 0, "maximum": 20}
            }},
        }},
        "x-targets": targets,
    });
    SchemaStore::new(root, (0..count).collect())
}

/// `count` varied instances of target `index`, each checked against it.
fn varied_instances(store: &SchemaStore, index: usize, count: u64) -> Vec<Value> {
    let fixtures = Map::new();
    let validator = store.validator(index).expect("compiles");
    (0..count)
        .map(|seed| {
            let mut generator = Generator::new(store, &fixtures, Rng::new(seed), 0).varied();
            let value = generator.generate(store.target(index));
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "seed {seed}: {value} is invalid: {errors:?}"
            );
            value
        })
        .collect()
}

#[test]
fn varied_instances_cover_branches_enum_values_and_optional_properties() {
    let store = store(vec![json!({
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"type": "string", "enum": ["a", "b", "c"]},
            "shape": {"anyOf": [
                {"type": "object", "required": ["type"], "properties": {"type": {"const": "circle"}}},
                {"type": "object", "required": ["type"], "properties": {"type": {"const": "square"}}},
                {"type": "null"}
            ]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "flag": {"type": "boolean"}
        }
    })]);
    let values = varied_instances(&store, 0, 200);
    let seen = |pointer: &str| -> HashSet<String> {
        values
            .iter()
            .filter_map(|v| v.pointer(pointer))
            .map(Value::to_string)
            .collect()
    };
    assert_eq!(seen("/kind").len(), 3, "every enum value");
    assert_eq!(seen("/shape/type").len(), 2, "every object branch");
    assert!(values
        .iter()
        .any(|v| v["shape"].is_null() && v.get("shape").is_some()));
    assert!(values.iter().any(|v| v.get("shape").is_none()), "left out");
    assert_eq!(seen("/flag").len(), 2, "both booleans");
    let lengths: HashSet<usize> = values
        .iter()
        .filter_map(|v| v["tags"].as_array().map(Vec::len))
        .collect();
    assert!(lengths.contains(&0) && lengths.contains(&3), "{lengths:?}");
    let texts: HashSet<&str> = values
        .iter()
        .filter_map(|v| v["tags"][0].as_str())
        .collect();
    assert!(texts.contains(""), "empty strings too");
}

#[test]
fn the_default_generator_makes_the_same_choices_for_every_seed() {
    let store = store(vec![json!({
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["a", "b", "c"]},
            "shape": {"anyOf": [{"type": "null"}, {"type": "string"}, {"type": "integer"}]},
            "flag": {"type": "boolean"}
        }
    })]);
    let fixtures = Map::new();
    let first = Generator::new(&store, &fixtures, Rng::new(0), 0).generate(store.target(0));
    assert_eq!(
        (&first["kind"], &first["flag"]),
        (&json!("a"), &json!(false))
    );
    let shape = first["shape"].as_str().unwrap_or_default();
    assert!(shape.starts_with("shape ") && shape != "shape", "{shape}");
    for seed in 1..20 {
        let mut generator = Generator::new(&store, &fixtures, Rng::new(seed), 0);
        assert_eq!(generator.generate(store.target(0)), first);
    }
}

#[test]
fn all_of_parts_never_leave_a_null_where_one_part_forbids_it() {
    // Either order, and nested under another `allOf` whose own part allows null again.
    let store = store(vec![
        json!({"allOf": [{"$ref": "#/components/schemas/P1"}, {"$ref": "#/components/schemas/P2"}]}),
        json!({"allOf": [{"$ref": "#/components/schemas/P2"}, {"$ref": "#/components/schemas/P1"}]}),
        json!({"allOf": [
            {"allOf": [{"$ref": "#/components/schemas/P1"}, {"$ref": "#/components/schemas/P2"}]},
            {"type": "object", "properties": {
                "x": {"type": ["integer", "null"], "minimum": 0, "maximum": 20}
            }}
        ]}),
    ]);
    for index in 0..3 {
        let values = varied_instances(&store, index, 200);
        assert!(values.iter().any(|v| v["x"].is_i64()), "target {index}");
    }
}

#[test]
fn a_required_name_the_schema_does_not_declare_is_still_filled() {
    let store = store(vec![json!({
        "type": "object",
        "required": ["type", "call_id"],
        "properties": {"type": {"const": "local_shell_call_output"}}
    })]);
    for value in varied_instances(&store, 0, 20) {
        assert!(value["call_id"].is_string(), "{value}");
    }
    let fixtures = Map::new();
    let mut generator = Generator::new(&store, &fixtures, Rng::new(1), 0);
    let value = generator.generate(store.target(0));
    assert!(value["call_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("call_")));
}

#[test]
fn strings_match_their_pattern() {
    let store = store(vec![json!({
        "type": "object",
        "required": ["tunnel_id", "name"],
        "properties": {
            "tunnel_id": {"type": "string", "pattern": "^tunnel_[a-z0-9]{32}$"},
            "name": {"type": "string", "minLength": 1, "pattern": "^[a-zA-Z0-9_-]+$"}
        }
    })]);
    // Default mode too: a generated answer honours the pattern.
    let fixtures = Map::new();
    let mut generator = Generator::new(&store, &fixtures, Rng::new(3), 0);
    let value = generator.generate(store.target(0));
    assert!(
        store.validator(0).expect("compiles").is_valid(&value),
        "{value}"
    );
    varied_instances(&store, 0, 100);
}

#[test]
fn only_a_declared_map_gets_entries() {
    let store = store(vec![json!({"type": "object", "properties": {
        "metadata": {"type": "object", "maxProperties": 16,
                     "additionalProperties": {"type": "string", "maxLength": 512}},
        "options": {"type": "object"}
    }})]);
    let values = varied_instances(&store, 0, 100);
    assert!(values.iter().any(|v| v["metadata"]["key_1"].is_string()));
    assert!(values
        .iter()
        .all(|v| v.get("options").is_none_or(|o| o == &json!({}))));
}
