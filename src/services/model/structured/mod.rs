//! Instances of client-supplied JSON Schemas: structured outputs and tool arguments.
//!
//! The schemas here come from the request (`response_format.json_schema.schema`,
//! `text.format.schema`, a function's `parameters`), not from the spec, so they are walked
//! on their own: local `$ref`s (`#`, `#/$defs/...`, `#/definitions/...`) resolve inside the
//! schema itself. The instance is valid against the schema and reads like an answer to the
//! conversation:
//! - strings are chosen from the field name and the [`Context`]: place-like fields take a
//!   name from the message ("Paris"), query-like fields take the topic, prose fields take
//!   the reply, `name` takes a name from the message;
//! - numbers take the numbers written in the message, in order, when they fit the bounds;
//! - an `enum` value mentioned in the message is preferred;
//! - `pattern` is satisfied by a string generated from the regular expression itself.
//!
//! Recursion is bounded: past [`MAX_DEPTH`] objects keep only required properties, arrays
//! keep only `minItems` items and unions prefer a non-recursive branch.
//!
//! The parts: `schema_walk` (the walk over a schema: `$ref`, `allOf`, unions, enums,
//! objects and arrays), `field_values` (strings and numbers chosen from a field's name
//! and the conversation), `quoted` (the quoted values of the message, each to the field its
//! leading words name), `scalars` (numbers within bounds, strings within formats,
//! lengths and patterns) and `json_mode` (the keys a prompt names, for `json_object`
//! output).

mod field_values;
mod json_mode;
mod quoted;
mod scalars;
mod schema_walk;

/// Strings that match a `pattern` (the generator's, shared with the spec's schemas).
pub use crate::generate::sample_regex;
pub use field_values::{is_place_field, PLACE_FIELDS};
pub use json_mode::json_mode_schema;

use super::text::Context;
use crate::generate::Rng;
use serde_json::Value;

/// Depth after which only what the schema requires is generated.
pub const MAX_DEPTH: usize = 8;

/// Depth at which generation gives up (`null`), whatever the schema says: self-referencing
/// `allOf`s and `$ref` chains end here.
const GIVE_UP_DEPTH: usize = MAX_DEPTH * 4;

/// The most items, properties or characters one generated value gets.
pub const MAX_SIZE: usize = 10_000;

/// The total size (values plus string characters) of one instance. Past it, arrays and
/// objects stop growing and further values are `null`, so an absurd `minItems` or
/// `minLength` cannot exhaust the server (the instance is then invalid, not endless).
pub const OUTPUT_BUDGET: usize = 200_000;

/// Generates instances of one client-supplied schema.
pub struct Instances<'a> {
    root: &'a Value,
    context: &'a Context,
    reply: &'a str,
    now: i64,
    numbers: Vec<f64>,
    names: Vec<String>,
    /// The quoted values of the last user message, and which a field has taken.
    quotes: Vec<quoted::Quote>,
    quotes_used: Vec<bool>,
    remaining: usize,
    /// The random source for choices the context does not decide.
    pub rng: Rng,
}

impl<'a> Instances<'a> {
    /// A generator for `root`, using `context` for wording and `reply` for prose fields.
    pub fn new(
        root: &'a Value,
        context: &'a Context,
        reply: &'a str,
        now: i64,
        rng: Rng,
    ) -> Instances<'a> {
        Instances {
            root,
            context,
            reply,
            now,
            numbers: context.numbers(),
            names: context.proper_nouns(),
            quotes: quoted::quotes(&context.last_user),
            quotes_used: Vec::new(),
            remaining: OUTPUT_BUDGET,
            rng,
        }
    }

    /// Uses `names` instead of the names found in the message (one call per place).
    pub fn with_names(mut self, names: Vec<String>) -> Instances<'a> {
        self.names = names;
        self
    }

    /// An instance of the whole schema.
    ///
    /// ```
    /// use openai_mock::services::model::structured::Instances;
    /// use openai_mock::services::model::text::Context;
    /// use openai_mock::generate::Rng;
    /// use serde_json::json;
    /// let schema = json!({"type": "object", "properties": {"city": {"type": "string"}},
    ///                     "required": ["city"], "additionalProperties": false});
    /// let context = Context::from_user("What's the weather in Lisbon?");
    /// let value = Instances::new(&schema, &context, "", 0, Rng::new(1)).instance();
    /// assert_eq!(value, json!({"city": "Lisbon"}));
    /// ```
    pub fn instance(&mut self) -> Value {
        self.value(self.root, "", 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(super) fn instance(schema: &Value, message: &str) -> Value {
        let context = Context::from_user(message);
        Instances::new(
            schema,
            &context,
            "A short reply.",
            1_700_000_000,
            Rng::new(3),
        )
        .instance()
    }

    pub(super) fn assert_valid(schema: &Value, value: &Value) {
        let validator = jsonschema::validator_for(schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{value} is invalid: {errors:?}");
    }

    #[test]
    fn constrained_schemas_give_valid_instances() {
        let schemas = [
            json!({"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"}),
            json!({"type": "string", "minLength": 40, "maxLength": 45}),
            json!({"type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 12}),
            json!({"type": "number", "minimum": 0.1, "maximum": 0.3, "multipleOf": 0.1}),
            json!({"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]},
                   "minItems": 3, "uniqueItems": true}),
            json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}],
                   "items": false}),
            json!({"anyOf": [{"type": "null"}, {"type": "object", "properties": {
                   "x": {"type": ["integer", "null"]}}, "required": ["x"]}]}),
            json!({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}},
                   "required": ["a"]}, {"properties": {"b": {"const": 4}}, "required": ["b"]}]}),
            json!({"type": "object", "additionalProperties": {"type": "integer"},
                   "minProperties": 2}),
            json!({"$defs": {"node": {"type": "object", "properties": {
                     "value": {"type": "string"},
                     "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                     "required": ["value", "children"], "additionalProperties": false}},
                   "$ref": "#/$defs/node"}),
            json!({"type": "object", "properties": {"when": {"type": "string", "format": "date-time"},
                   "id": {"type": "string", "format": "uuid"}}, "required": ["when", "id"]}),
        ];
        for schema in &schemas {
            let value = instance(schema, "Plan a trip to Rome for 4 people");
            assert_valid(schema, &value);
        }
    }
}
