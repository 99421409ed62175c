//! How the parts of an `allOf` combine into one object: later parts narrow earlier ones,
//! a `null` from a nullable part never hides another part's value, and a property one part
//! declares nullable but another does not gets a non-null value.

use super::{keyword, Generator};
use serde_json::{Map, Value};

impl<'a> Generator<'a> {
    /// Adds the properties generated for `allOf` part `schema` to the object so far. A later
    /// part's value replaces an earlier one (a part may narrow a property), except that a
    /// `null` never replaces a value, and a value for a property the part only requires
    /// (declared by another part) never replaces that part's.
    pub(super) fn merge_part(
        &self,
        merged: &mut Map<String, Value>,
        schema: &'a Value,
        part: Map<String, Value>,
    ) {
        for (key, value) in part {
            if let Some(existing) = merged.get(&key) {
                let keeps = (value.is_null() && !existing.is_null())
                    || self.declared(schema, &key, 0).is_none();
                if keeps {
                    continue;
                }
            }
            merged.insert(key, value);
        }
    }

    /// Replaces a `null` one `allOf` part chose for a property that another part declares
    /// without allowing `null` (`top_logprobs`: nullable in one part, an integer in the
    /// other), with a value of that other part's property schema.
    pub(super) fn settle_nulls(
        &mut self,
        parts: &'a [Value],
        merged: &mut Map<String, Value>,
        depth: usize,
        minimal: bool,
    ) {
        let nulls: Vec<String> = merged
            .iter()
            .filter(|(_, value)| value.is_null())
            .map(|(key, _)| key.clone())
            .collect();
        for key in nulls {
            let mut declarations = Vec::new();
            for part in parts {
                self.declarations(part, &key, 0, &mut declarations);
            }
            let strict = declarations
                .into_iter()
                .find(|property| !self.admits_null(property, 0));
            if let Some(property) = strict {
                let value = self.value(property, &key, depth + 1, minimal);
                merged.insert(key, value);
            }
        }
    }

    /// The schema an object schema (or its `allOf` parts) declares for property `name`.
    pub(super) fn declared(
        &self,
        schema: &'a Value,
        name: &str,
        depth: usize,
    ) -> Option<&'a Value> {
        let mut found = Vec::new();
        self.declarations(schema, name, depth, &mut found);
        found.first().copied()
    }

    /// Every schema an object schema and its `allOf` parts declare for property `name`.
    fn declarations(&self, schema: &'a Value, name: &str, depth: usize, out: &mut Vec<&'a Value>) {
        let (schema, _) = self.store.resolve(schema);
        if let Some(property) = keyword(schema, "properties").and_then(|p| p.get(name)) {
            out.push(property);
        }
        if depth > 6 {
            return;
        }
        for part in keyword(schema, "allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.declarations(part, name, depth + 1, out);
        }
    }

    /// Whether `null` is valid against `schema`.
    pub(super) fn admits_null(&self, schema: &Value, depth: usize) -> bool {
        let (schema, _) = self.store.resolve(schema);
        if depth > 8 {
            return true;
        }
        if let Some(options) = keyword(schema, "enum").and_then(Value::as_array) {
            return options.contains(&Value::Null);
        }
        if let Some(constant) = keyword(schema, "const") {
            return constant.is_null();
        }
        let parts = |key: &str| keyword(schema, key).and_then(Value::as_array);
        if let Some(branches) = parts("anyOf") {
            return branches.iter().any(|b| self.admits_null(b, depth + 1));
        }
        if let Some(branches) = parts("allOf") {
            return branches.iter().all(|b| self.admits_null(b, depth + 1));
        }
        match keyword(schema, "type") {
            Some(Value::String(kind)) => kind == "null",
            Some(Value::Array(kinds)) => kinds.iter().any(|k| k == "null"),
            _ => true,
        }
    }
}
