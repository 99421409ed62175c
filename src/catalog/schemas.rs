//! The normalised schemas: lookups for the generator and compiled validators for requests.
//!
//! All schemas live in one root document (`components.schemas` plus the inline `x-targets`
//! the operations point at) registered once in a `jsonschema` registry under [`ROOT_URI`].
//! A validator for target `N` is built from `{"$ref": "<ROOT_URI>#/x-targets/N"}` the first
//! time it is needed and cached for the life of the process, so request handling never
//! compiles a schema twice. [`SchemaStore::warm_up`] compiles the ones requests are checked
//! against ahead of time; the server does not call it (benchmarks do).
//!
//! Memory is the constraint here: the root document takes about 5 MB as a `Value`, and a
//! compiled validator up to 1.5 MB (a response schema such as `Response` pulls in every
//! output item type; all request validators together take about 18 MB). So the registry
//! borrows the root rather than holding a second copy, the server compiles a validator only
//! when its operation is first called (chat completions: about 9 ms, once), and the
//! response-schema validators, which only tests use, are never compiled by the server.
//!
//! Two kinds of validator exist. Requests are checked with `format` as an annotation, as
//! the spec's formats are descriptive and the real API's own checks on them (a URL that
//! does not load) are not schema errors. What the mock sends is checked with `format`
//! asserted ([`SchemaStore::answer_validator`], [`SchemaStore::answer_validator_at`]): an
//! answer's `uri` field holds a URI even when the request's did not, so reflection never
//! copies `""` into one.

use jsonschema::{Draft, Registry, Validator};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The URI under which the root schema document is registered.
pub const ROOT_URI: &str = "urn:openai-mock:schemas";

/// The normalised schema document and its lazily compiled validators.
pub struct SchemaStore {
    root: &'static Value,
    components: &'static Map<String, Value>,
    registry: Registry<'static>,
    targets: Vec<OnceLock<Compiled>>,
    answer_targets: Vec<OnceLock<Compiled>>,
    request_targets: Vec<usize>,
    by_pointer: Mutex<HashMap<(String, Formats), Compiled>>,
    /// Answer validators of top-level properties, by target and name.
    properties: Mutex<HashMap<usize, HashMap<String, Placed>>>,
}

/// A compiled validator, or `None` for a schema that did not compile.
pub type Compiled = Option<Arc<Validator>>;

/// The validator of a property, or `None` where the schema does not place the property
/// (it belongs to one branch of a union, or is not declared).
pub type Placed = Option<Compiled>;

/// Whether a validator asserts `format` (answers) or reads it as an annotation (requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Formats {
    Annotate,
    Assert,
}

impl SchemaStore {
    /// The store over `root`, whose targets `request_targets` (query and body schemas) are
    /// the ones [`SchemaStore::warm_up`] compiles. The root lives as long as the process,
    /// like the embedded catalog it comes from, so the registry can borrow it.
    pub(crate) fn new(root: Value, request_targets: Vec<usize>) -> SchemaStore {
        let root: &'static Value = Box::leak(Box::new(root));
        static NO_COMPONENTS: OnceLock<Map<String, Value>> = OnceLock::new();
        let components = root
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(Value::as_object)
            .unwrap_or_else(|| NO_COMPONENTS.get_or_init(Map::new));
        let count = root
            .get("x-targets")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(ROOT_URI, root)
            .and_then(|builder| builder.prepare())
            .unwrap_or_else(|e| panic!("embedded schema document is invalid: {e}"));
        SchemaStore {
            root,
            components,
            registry,
            targets: (0..count).map(|_| OnceLock::new()).collect(),
            answer_targets: (0..count).map(|_| OnceLock::new()).collect(),
            request_targets,
            by_pointer: Mutex::new(HashMap::new()),
            properties: Mutex::new(HashMap::new()),
        }
    }

    /// The root document (`components.schemas` and `x-targets`).
    pub fn root(&self) -> &Value {
        self.root
    }

    /// The schema of target `index`.
    pub fn target(&self, index: usize) -> &Value {
        static EMPTY: Value = Value::Null;
        self.root
            .get("x-targets")
            .and_then(|targets| targets.get(index))
            .unwrap_or(&EMPTY)
    }

    /// A component schema by name.
    pub fn component(&self, name: &str) -> Option<&Value> {
        self.components.get(name)
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
            let pointer = reference.strip_prefix(ROOT_URI).unwrap_or(reference);
            let pointer = pointer.strip_prefix('#').unwrap_or(pointer);
            // Every reference the catalog holds names a component; look it up directly
            // rather than walking (and unescaping) a JSON pointer on the request path.
            let component = pointer
                .strip_prefix("/components/schemas/")
                .filter(|n| !n.contains(['/', '~']));
            let target = match component {
                Some(n) => self.components.get(n),
                None => self.root.pointer(pointer),
            };
            match target {
                Some(target) => {
                    name = pointer.strip_prefix("/components/schemas/");
                    current = target;
                }
                None => break,
            }
        }
        (current, name)
    }

    /// Visits `schema` and then, depth first, each branch of its `allOf`, `anyOf` and
    /// `oneOf` (in that order, references resolved), at most `max_depth` levels down. Stops
    /// at the first visit that returns `Some`, and returns that.
    pub fn walk<'a, T>(
        &'a self,
        schema: &'a Value,
        max_depth: usize,
        visit: &mut impl FnMut(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let (schema, _) = self.resolve(schema);
        if let Some(found) = visit(schema) {
            return Some(found);
        }
        if max_depth == 0 {
            return None;
        }
        ["allOf", "anyOf", "oneOf"]
            .iter()
            .filter_map(|key| schema.get(*key).and_then(Value::as_array))
            .flatten()
            .find_map(|branch| self.walk(branch, max_depth - 1, visit))
    }

    /// The compiled validator for target `index` (`None` if it failed to compile), reading
    /// `format` as an annotation: the check requests get.
    pub fn validator(&self, index: usize) -> Option<&Validator> {
        self.targets
            .get(index)?
            .get_or_init(|| self.compile(&format!("#/x-targets/{index}"), Formats::Annotate))
            .as_deref()
    }

    /// The compiled validator for target `index` with `format` asserted: the check for
    /// what the mock sends (answers and events).
    pub fn answer_validator(&self, index: usize) -> Option<&Validator> {
        self.answer_targets
            .get(index)?
            .get_or_init(|| self.compile(&format!("#/x-targets/{index}"), Formats::Assert))
            .as_deref()
    }

    /// The compiled validator for any JSON pointer into the root document, such as
    /// `/components/schemas/Model/properties/id`, reading `format` as an annotation.
    /// Cached after the first call.
    pub fn validator_at(&self, pointer: &str) -> Option<Arc<Validator>> {
        self.cached_at(pointer, Formats::Annotate)
    }

    /// [`SchemaStore::validator_at`] with `format` asserted, for parts of an answer.
    pub fn answer_validator_at(&self, pointer: &str) -> Option<Arc<Validator>> {
        self.cached_at(pointer, Formats::Assert)
    }

    /// The answer validator (`format` asserted) of top-level property `name` of target
    /// `index`'s object schema, following `$ref`s and `allOf` parts; `None` where the schema
    /// does not place the property (it is declared in one branch of a union only, or not
    /// at all). Cached by target and name, so an answer's fields are checked without
    /// walking the schema again.
    pub fn answer_property_validator(&self, index: usize, name: &str) -> Placed {
        let mut cache = self.properties.lock().unwrap_or_else(|p| p.into_inner());
        let by_name = cache.entry(index).or_default();
        if let Some(placed) = by_name.get(name) {
            return placed.clone();
        }
        let placed = self
            .property_pointer(&format!("/x-targets/{index}"), name, 0)
            .map(|pointer| self.compile(&format!("#{pointer}"), Formats::Assert));
        by_name.insert(name.to_string(), placed.clone());
        placed
    }

    /// The JSON pointer of property `name` of the object schema at `pointer`, following
    /// `$ref`s and `allOf` parts (only those are certain to describe the whole object; an
    /// `anyOf` branch may not be the one an instance took).
    fn property_pointer(&self, pointer: &str, name: &str, depth: usize) -> Option<String> {
        if depth > 6 {
            return None;
        }
        let schema = self.root.pointer(pointer)?;
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let reference = reference.strip_prefix(ROOT_URI).unwrap_or(reference);
            let target = reference.strip_prefix('#').unwrap_or(reference);
            return self.property_pointer(target, name, depth + 1);
        }
        if schema.get("properties").and_then(|p| p.get(name)).is_some() {
            let escaped = name.replace('~', "~0").replace('/', "~1");
            return Some(format!("{pointer}/properties/{escaped}"));
        }
        let parts = schema.get("allOf").and_then(Value::as_array)?;
        (0..parts.len())
            .find_map(|i| self.property_pointer(&format!("{pointer}/allOf/{i}"), name, depth + 1))
    }

    fn cached_at(&self, pointer: &str, formats: Formats) -> Option<Arc<Validator>> {
        let mut cache = self.by_pointer.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry((pointer.to_string(), formats))
            .or_insert_with(|| self.compile(&format!("#{pointer}"), formats))
            .clone()
    }

    /// Compiles the validators of every query and request body now, so the first requests
    /// do not pay for them. Response-schema validators still compile on first use.
    pub fn warm_up(&self) {
        for &index in &self.request_targets {
            let _ = self.validator(index);
        }
    }

    /// The number of inline schema targets.
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }

    fn compile(&self, fragment: &str, formats: Formats) -> Option<Arc<Validator>> {
        let schema = json!({ "$ref": format!("{ROOT_URI}{fragment}") });
        match jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .should_validate_formats(formats == Formats::Assert)
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
