//! Schema-driven instances: a deterministic, schema-valid value for any schema.
//!
//! The walk follows `$ref`s (using a fixture from `fixtures/` when one exists for that
//! component), merges `allOf`, picks one `anyOf` branch, fills every declared property, and
//! chooses leaf values from the field name and format, so ids carry real prefixes and
//! timestamps are current. Recursion is bounded: past [`MAX_DEPTH`] only required
//! properties are filled and arrays stay empty. A string with a `pattern` matches it.
//!
//! By default the choices are stable (the first union branch, the first enum value, every
//! property, one array item), so an answer reads the same for the same seed. A
//! [`Generator::varied`] generator draws those choices from its random source instead, so
//! instances made with different seeds cover optional properties, every union branch and
//! enum value, empty and longer arrays, and map entries: what a property-based test of the
//! whole spec sends as requests.

mod all_of;
mod coherence;
mod scalars;
#[cfg(test)]
mod tests;

pub use scalars::rfc3339;

use super::ids;
use super::rng::Rng;
use crate::catalog::SchemaStore;
use serde_json::{Map, Value};

/// Model ids used where the schema wants a model object.
const MODELS: [&str; 4] = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini"];

/// Depth after which the generator fills only what the schema requires.
pub const MAX_DEPTH: usize = 10;

/// Generates instances of schemas from one store.
pub struct Generator<'a> {
    store: &'a SchemaStore,
    fixtures: &'a Map<String, Value>,
    /// The random source; public so behaviours can draw from the same sequence.
    pub rng: Rng,
    now: i64,
    stack: Vec<&'a str>,
    /// The property names leading to the value being generated.
    path: Vec<&'a str>,
    varied: bool,
}

impl<'a> Generator<'a> {
    /// A generator drawing from `rng`, stamping times with `now` (Unix seconds).
    pub fn new(
        store: &'a SchemaStore,
        fixtures: &'a Map<String, Value>,
        rng: Rng,
        now: i64,
    ) -> Generator<'a> {
        Generator {
            store,
            fixtures,
            rng,
            now,
            stack: Vec::new(),
            path: Vec::new(),
            varied: false,
        }
    }

    /// The same generator in varied mode: optional properties, union branches, enum values,
    /// array lengths, map entries, booleans and numbers are drawn from the random source,
    /// so instances made with different seeds exercise different parts of a schema. Made
    /// for generating requests; answers keep the stable choices of the default mode.
    pub fn varied(mut self) -> Generator<'a> {
        self.varied = true;
        self
    }

    /// A generator over the same schemas and fixtures, in the same mode, drawing from `rng`
    /// and stamping times with `now`: for objects made from a seed of their own.
    pub fn fork(&self, rng: Rng, now: i64) -> Generator<'a> {
        Generator {
            store: self.store,
            fixtures: self.fixtures,
            rng,
            now,
            stack: Vec::new(),
            path: Vec::new(),
            varied: self.varied,
        }
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.rng.below(n) == 0
    }

    /// An instance of `schema`.
    pub fn generate(&mut self, schema: &'a Value) -> Value {
        self.value(schema, "", 0, false)
    }

    /// An instance of `schema` using only required properties and empty arrays.
    pub fn generate_minimal(&mut self, schema: &'a Value) -> Value {
        self.value(schema, "", 0, true)
    }

    /// The current time the generator stamps into `created` fields.
    pub fn now(&self) -> i64 {
        self.now
    }

    fn value(&mut self, schema: &'a Value, field: &str, depth: usize, minimal: bool) -> Value {
        let minimal = minimal || depth > MAX_DEPTH;
        if let Some(reference) = keyword(schema, "$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or_default();
            if let Some(fixture) = self.fixtures.get(name) {
                return self.fixture_instance(fixture);
            }
            let (target, component) = self.store.resolve(schema);
            let component = component.unwrap_or(name);
            let repeats = self.stack.iter().filter(|n| **n == component).count();
            self.stack.push(component);
            let value = self.value(target, field, depth + 1, minimal || repeats >= 1);
            self.stack.pop();
            return value;
        }
        if let Some(constant) = keyword(schema, "const") {
            return constant.clone();
        }
        if let Some(options) = keyword(schema, "enum").and_then(Value::as_array) {
            if self.varied && !options.is_empty() {
                let pick = self.rng.below(options.len() as u64) as usize;
                return options[pick].clone();
            }
            if let Some(first) = options.iter().find(|o| !o.is_null()).or(options.first()) {
                return first.clone();
            }
        }
        if let Some(branches) = keyword(schema, "allOf").and_then(Value::as_array) {
            // Parts of an object are merged; a non-object part (an enum or union under
            // `allOf`, next to a nullability marker) is the value itself.
            let mut merged = Map::new();
            for branch in branches {
                match self.value(branch, field, depth + 1, minimal) {
                    Value::Object(part) => self.merge_part(&mut merged, branch, part),
                    Value::Null => {}
                    other => return other,
                }
            }
            let own = self.object(schema, depth, minimal);
            self.merge_part(&mut merged, schema, own);
            if self.varied {
                self.settle_nulls(branches, &mut merged, depth, minimal);
            }
            return self.finish_object(schema, merged);
        }
        if let (Some(branches), Some(_)) = (
            keyword(schema, "anyOf").and_then(Value::as_array),
            keyword(schema, "properties"),
        ) {
            // An object whose `anyOf` only says which properties are required together
            // (`image_url` or `file_id`): fill one branch's and leave the others out.
            let pick = if self.varied {
                self.rng.below(branches.len() as u64) as usize
            } else {
                0
            };
            let wanted = required_of(branches.get(pick));
            let excluded: Vec<&str> = branches
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != pick)
                .flat_map(|(_, b)| required_of(Some(b)))
                .filter(|name| !wanted.contains(name))
                .collect();
            let object = self.object_with(schema, depth, minimal, &wanted, &excluded);
            return self.finish_object(schema, object);
        }
        if let Some(branches) = keyword(schema, "anyOf").and_then(Value::as_array) {
            if let Some(branch) = self.pick_branch(branches) {
                return self.value(branch, field, depth + 1, minimal);
            }
            return Value::Null;
        }
        let kind = match keyword(schema, "type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(types)) if self.varied && self.one_in(8) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t == "null")
                .or_else(|| types.iter().filter_map(Value::as_str).next())
                .unwrap_or("null"),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ if keyword(schema, "properties").is_some() => "object",
            _ if keyword(schema, "items").is_some() => "array",
            _ => "",
        };
        match kind {
            "object" => {
                let object = self.object(schema, depth, minimal);
                self.finish_object(schema, object)
            }
            "array" => self.array(schema, field, depth, minimal),
            "string" => Value::String(self.string(schema, field)),
            "integer" => self.integer(schema, field),
            "number" => self.number(schema, field),
            "boolean" if self.varied => Value::Bool(self.one_in(2)),
            "boolean" => Value::Bool(
                keyword(schema, "default")
                    .and_then(Value::as_bool)
                    .unwrap_or(matches!(field, "deleted" | "success" | "ok")),
            ),
            "null" => Value::Null,
            // An unconstrained schema: any JSON value will do; an empty object reads best.
            _ => keyword(schema, "default")
                .cloned()
                .unwrap_or(Value::Object(Map::new())),
        }
    }

    /// Prefers a branch that is not `null` and does not recurse into a component already
    /// being generated: the first such one, or a random one when varied (and then `null`
    /// one time in eight, where the union allows it).
    fn pick_branch(&mut self, branches: &'a [Value]) -> Option<&'a Value> {
        if self.varied {
            let open: Vec<&'a Value> = branches
                .iter()
                .filter(|b| is_open(&self.stack, b))
                .collect();
            if let Some(null) = branches.iter().find(|b| is_null(b)) {
                if open.is_empty() || self.one_in(8) {
                    return Some(null);
                }
            }
            if !open.is_empty() {
                return Some(open[self.rng.below(open.len() as u64) as usize]);
            }
        }
        branches
            .iter()
            .find(|b| is_open(&self.stack, b))
            .or_else(|| branches.iter().find(|b| !is_null(b)))
            .or(branches.first())
    }

    fn object(&mut self, schema: &'a Value, depth: usize, minimal: bool) -> Map<String, Value> {
        self.object_with(schema, depth, minimal, &[], &[])
    }

    /// Fills an object's properties: all of them, or only the required ones (plus
    /// `also_required`) when minimal; never those in `excluded`.
    fn object_with(
        &mut self,
        schema: &'a Value,
        depth: usize,
        minimal: bool,
        also_required: &[&str],
        excluded: &[&str],
    ) -> Map<String, Value> {
        let mut out = Map::with_capacity(
            keyword(schema, "properties")
                .and_then(Value::as_object)
                .map_or(0, Map::len),
        );
        let mut required = required_of(Some(schema));
        required.extend_from_slice(also_required);
        if let Some(properties) = keyword(schema, "properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let name_str = name.as_str();
                if excluded.contains(&name_str) && !required.contains(&name_str) {
                    continue;
                }
                if minimal && !required.contains(&name_str) {
                    continue;
                }
                if self.varied && !required.contains(&name_str) && self.one_in(2) {
                    continue;
                }
                self.path.push(name);
                let value = self.value(property, name, depth + 1, minimal);
                self.path.pop();
                out.insert(name.clone(), value);
            }
        } else if self.varied && !minimal {
            self.map_entries(schema, depth, &mut out);
        }
        // A required name the schema never declares (`call_id` of a local shell call
        // output) takes any value; a string read from the name is the likeliest.
        for name in required {
            if !out.contains_key(name) && self.declared(schema, name, 0).is_none() {
                let value = Value::String(self.string(&Value::Null, name));
                out.insert(name.to_string(), value);
            }
        }
        out
    }

    /// Up to two entries of a map (an object with no declared properties but an explicit
    /// `additionalProperties`), valid against that schema, within `maxProperties`.
    fn map_entries(&mut self, schema: &'a Value, depth: usize, out: &mut Map<String, Value>) {
        let values = match keyword(schema, "additionalProperties") {
            Some(Value::Bool(true)) => &Value::Bool(true),
            Some(values @ Value::Object(_)) => values,
            _ => return,
        };
        let most = keyword(schema, "maxProperties")
            .and_then(Value::as_u64)
            .unwrap_or(2)
            .min(2);
        for n in 0..self.rng.below(most + 1) {
            let key = format!("key_{}", n + 1);
            let value = match values {
                Value::Object(_) => self.value(values, &key, depth + 1, false),
                _ => Value::String(format!("value {}", n + 1)),
            };
            out.insert(key, value);
        }
    }

    /// A fixture, with a fresh id of the same prefix so that created objects differ.
    fn fixture_instance(&mut self, fixture: &Value) -> Value {
        let mut value = fixture.clone();
        let prefix = value
            .get("object")
            .and_then(Value::as_str)
            .and_then(ids::prefix_for_object);
        if let (Some(prefix), Some(Value::String(id))) = (prefix, value.get_mut("id")) {
            if id.starts_with(prefix) {
                *id = ids::new_id(&mut self.rng, prefix);
            }
        }
        value
    }

    /// Gives a generated object a realistic id once its `object`/`type` is known, and makes
    /// it coherent (see `coherence.rs`).
    fn finish_object(&mut self, schema: &'a Value, mut object: Map<String, Value>) -> Value {
        if !self.varied {
            self.cohere(schema, &mut object);
        }
        if object.get("id").is_some_and(Value::is_string) {
            let prefix = object
                .get("object")
                .and_then(Value::as_str)
                .and_then(ids::prefix_for_object)
                .or_else(|| {
                    object
                        .get("type")
                        .and_then(Value::as_str)
                        .and_then(ids::prefix_for_type)
                });
            if let Some(prefix) = prefix {
                object.insert(
                    "id".into(),
                    Value::String(ids::new_id(&mut self.rng, prefix)),
                );
            } else if object.get("object").and_then(Value::as_str) == Some("model") {
                let model = MODELS[self.rng.below(MODELS.len() as u64) as usize];
                object.insert("id".into(), Value::String(model.into()));
            }
        }
        Value::Object(object)
    }

    fn array(&mut self, schema: &'a Value, field: &str, depth: usize, minimal: bool) -> Value {
        let min = keyword(schema, "minItems")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let max = keyword(schema, "maxItems")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let count = if minimal {
            min
        } else if self.varied {
            let most = max.min(min.max(1) + 2).max(min);
            min + self.rng.below((most - min + 1) as u64) as usize
        } else {
            min.max(1).min(max)
        };
        let Some(items) = keyword(schema, "items") else {
            return Value::Array(Vec::new());
        };
        let singular = field.strip_suffix('s').unwrap_or(field);
        Value::Array(
            (0..count)
                .map(|_| self.value(items, singular, depth + 1, minimal))
                .collect(),
        )
    }
}

/// Whether a union branch is `{"type": "null"}`.
fn is_null(branch: &Value) -> bool {
    keyword(branch, "type").and_then(Value::as_str) == Some("null")
}

/// Whether a union branch is neither `null` nor a reference to a component already being
/// generated (`stack`).
fn is_open(stack: &[&str], branch: &Value) -> bool {
    let recurses = keyword(branch, "$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .is_some_and(|name| stack.contains(&name));
    !is_null(branch) && !recurses
}

/// The `required` names of a schema.
fn required_of(schema: Option<&Value>) -> Vec<&str> {
    schema
        .and_then(|s| keyword(s, "required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The value of keyword `name` in `schema`. Schemas are small objects, and the walk asks
/// each node for about ten keywords, so scanning the few entries beats hashing the name.
fn keyword<'v>(schema: &'v Value, name: &str) -> Option<&'v Value> {
    let Value::Object(map) = schema else {
        return None;
    };
    if map.len() > 8 {
        return map.get(name);
    }
    map.iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}
