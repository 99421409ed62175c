//! Coherence rules, written once per kind of object and applied to every generated object
//! wherever it appears (an answer, a list item, a nested object, an event): a `status`
//! agrees with its terminal timestamps and with `error`/`last_error`, counts and usage totals
//! add up, a file's name fits its `purpose` and its mime type its name, and a person's email
//! fits their name. A value is only ever removed where the schema makes it optional, or
//! nulled where it admits `null`, so the object stays valid.

use super::{keyword, required_of, Generator};
use crate::generate::meaning::{self, ERROR_STATUSES, TERMINAL_STAMPS};
use serde_json::{Map, Value};

impl<'a> Generator<'a> {
    /// Applies the coherence rules to a generated object of schema `schema`.
    pub(super) fn cohere(&mut self, schema: &'a Value, object: &mut Map<String, Value>) {
        if let Some(status) = object
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_owned)
        {
            for (terminal, stamp) in TERMINAL_STAMPS {
                let set = object.get(stamp).is_some_and(|v| !v.is_null());
                if status == terminal && !set && self.declared(schema, stamp, 0).is_some() {
                    object.insert(stamp.into(), Value::from(self.now));
                } else if status != terminal && set {
                    self.clear(schema, object, stamp);
                }
            }
            if !ERROR_STATUSES.contains(&status.as_str()) {
                for field in ["error", "last_error"] {
                    if object.get(field).is_some_and(|v| !v.is_null()) {
                        self.clear(schema, object, field);
                    }
                }
            }
        }
        add_up(object);
        if let Some(purpose) = object.get("purpose").and_then(Value::as_str) {
            if object.get("filename").is_some_and(Value::is_string) {
                let name = meaning::file_name_for_purpose(purpose, &mut self.rng);
                object.insert("filename".into(), Value::String(name));
            }
        }
        let file_name = ["filename", "name"]
            .iter()
            .find_map(|k| object.get(*k).and_then(Value::as_str))
            .filter(|n| n.contains('.'))
            .map(meaning::mime_type_of);
        if let (Some(mime), Some(Value::String(_))) = (file_name, object.get("mime_type")) {
            object.insert("mime_type".into(), Value::String(mime.into()));
        }
        if let (Some(name), Some(Value::String(_))) = (
            object.get("name").and_then(Value::as_str),
            object.get("email"),
        ) {
            let email = meaning::email_for(name);
            object.insert("email".into(), Value::String(email));
        }
    }

    /// Nulls `field` where its schema admits `null`, else removes it where it is optional.
    fn clear(&self, schema: &'a Value, object: &mut Map<String, Value>, field: &str) {
        let nullable = self
            .declared(schema, field, 0)
            .is_some_and(|property| self.admits_null(property, 0));
        if nullable {
            object.insert(field.into(), Value::Null);
        } else if !self.required_anywhere(schema, field, 0) {
            object.remove(field);
        }
    }

    /// Whether `schema` or one of its `allOf` parts requires `field`.
    fn required_anywhere(&self, schema: &'a Value, field: &str, depth: usize) -> bool {
        let (schema, _) = self.store.resolve(schema);
        required_of(Some(schema)).contains(&field)
            || (depth < 6
                && keyword(schema, "allOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|part| self.required_anywhere(part, field, depth + 1)))
    }
}

/// Totals equal the sum of their parts: `file_counts`, `request_counts`, token usage.
fn add_up(object: &mut Map<String, Value>) {
    let n = |o: &Map<String, Value>, k: &str| o.get(k).and_then(Value::as_i64);
    if object.get("total").is_some_and(Value::is_i64) {
        let parts: Vec<i64> = ["in_progress", "completed", "failed", "cancelled"]
            .iter()
            .filter_map(|k| n(object, k))
            .collect();
        if parts.len() >= 2 {
            object.insert("total".into(), Value::from(parts.iter().sum::<i64>()));
        }
    }
    if object.get("total_tokens").is_some_and(Value::is_i64) {
        let total = match (n(object, "input_tokens"), n(object, "output_tokens")) {
            (Some(i), Some(o)) => Some(i + o),
            _ => match (n(object, "prompt_tokens"), n(object, "completion_tokens")) {
                (Some(p), Some(c)) => Some(p + c),
                (Some(p), None) => Some(p),
                _ => None,
            },
        };
        if let Some(total) = total {
            object.insert("total_tokens".into(), Value::from(total));
        }
    }
}
