//! The normalised schemas: lookups for the generator and compiled validators for requests.
//!
//! All schemas live in one root document (`components.schemas` plus the inline `x-targets`
//! the operations point at) registered once in a `jsonschema` registry under [`ROOT_URI`].
//! A validator for target `N` is built from `{"$ref": "<ROOT_URI>#/x-targets/N"}` the first
//! time it is needed and cached for the life of the process, so request handling never
//! compiles a schema twice. [`SchemaStore::warm_up`] compiles them all ahead of time.

use jsonschema::{Draft, Registry, Validator};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The URI under which the root schema document is registered.
pub const ROOT_URI: &str = "urn:openai-mock:schemas";

/// The normalised schema document and its lazily compiled validators.
pub struct SchemaStore {
    root: Value,
    registry: Registry<'static>,
    targets: Vec<OnceLock<Option<Arc<Validator>>>>,
    by_pointer: Mutex<HashMap<String, Option<Arc<Validator>>>>,
}

impl SchemaStore {
    pub(crate) fn new(root: Value) -> SchemaStore {
        let count = root
            .get("x-targets")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(ROOT_URI, root.clone())
            .and_then(|builder| builder.prepare())
            .unwrap_or_else(|e| panic!("embedded schema document is invalid: {e}"));
        SchemaStore {
            root,
            registry,
            targets: (0..count).map(|_| OnceLock::new()).collect(),
            by_pointer: Mutex::new(HashMap::new()),
        }
    }

    /// The root document (`components.schemas` and `x-targets`).
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// The schema of target `index`.
    pub fn target(&self, index: usize) -> &Value {
        static EMPTY: Value = Value::Null;
        self.root
            .pointer(&format!("/x-targets/{index}"))
            .unwrap_or(&EMPTY)
    }

    /// A component schema by name.
    pub fn component(&self, name: &str) -> Option<&Value> {
        self.root.get("components")?.get("schemas")?.get(name)
    }

    /// Follows `$ref`s until reaching a schema that is not a bare reference. Returns the
    /// schema and, when the last hop went through a component, that component's name.
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
        let mut current = schema;
        let mut name = None;
        for _ in 0..32 {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let pointer = reference
                .trim_start_matches(ROOT_URI)
                .trim_start_matches('#');
            match self.root.pointer(pointer) {
                Some(target) => {
                    name = pointer.strip_prefix("/components/schemas/");
                    current = target;
                }
                None => break,
            }
        }
        (current, name)
    }

    /// The compiled validator for target `index` (`None` if it failed to compile).
    pub fn validator(&self, index: usize) -> Option<&Validator> {
        self.targets
            .get(index)?
            .get_or_init(|| self.compile(&format!("#/x-targets/{index}")))
            .as_deref()
    }

    /// The compiled validator for any JSON pointer into the root document, such as
    /// `/components/schemas/Model/properties/id`. Cached after the first call.
    pub fn validator_at(&self, pointer: &str) -> Option<Arc<Validator>> {
        let mut cache = self.by_pointer.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(pointer.to_string())
            .or_insert_with(|| self.compile(&format!("#{pointer}")))
            .clone()
    }

    /// Compiles every target validator now, so the first requests do not pay for it.
    pub fn warm_up(&self) {
        for index in 0..self.targets.len() {
            let _ = self.validator(index);
        }
    }

    /// The number of inline schema targets.
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }

    fn compile(&self, fragment: &str) -> Option<Arc<Validator>> {
        let schema = json!({ "$ref": format!("{ROOT_URI}{fragment}") });
        match jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .build(&schema)
        {
            Ok(validator) => Some(Arc::new(validator)),
            Err(error) => {
                tracing::warn!(%fragment, %error, "schema does not compile; not validating it");
                None
            }
        }
    }
}
