//! Strict schemas: a `json_schema` format or a function tool with `strict: true` must use the
//! subset of JSON Schema that Structured Outputs supports. The root is an object; every object
//! sets `additionalProperties: false` and lists every property in `required`; keywords outside
//! the subset are refused; objects nest at most [`MAX_DEPTH`] levels and hold at most
//! [`MAX_PROPERTIES`] properties in all; at most [`MAX_ENUM_VALUES`] enum values in all, an
//! enum of more than [`LARGE_ENUM`] values at most [`MAX_LARGE_ENUM_TEXT`] characters of
//! values, and at most [`MAX_TEXT`] characters of names, enum values and consts in all.
//!
//! Errors name the schema (`Invalid schema for response_format 'name': ...` or
//! `Invalid schema for function 'name': ...`) and the place inside it as the real API does, a
//! Python tuple of keys (`In context=('properties', 'address'), ...`).

use crate::error::ApiError;
use serde_json::Value;

/// The deepest object nesting a strict schema may have.
pub const MAX_DEPTH: usize = 10;
/// The most object properties a strict schema may have, counted over all its objects.
pub const MAX_PROPERTIES: usize = 5000;

/// Keywords outside the supported subset.
const UNSUPPORTED: &[&str] = &[
    "allOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
];

/// Which schema is checked: its kind and name for the message, and the error's param and code.
struct Subject<'a> {
    kind: &'static str,
    name: &'a str,
    param: String,
    code: Option<&'static str>,
}

impl Subject<'_> {
    fn fail(&self, detail: String) -> ApiError {
        let error = ApiError::invalid_request(format!(
            "Invalid schema for {} '{}': {detail}",
            self.kind, self.name
        ))
        .with_param(self.param.clone());
        match self.code {
            Some(code) => error.with_code(code),
            None => error,
        }
    }
}

/// Checks a Chat Completions body's strict `response_format` and strict function tools.
pub fn chat(body: &Value, lenient: bool) -> Result<(), ApiError> {
    if let Some(format) = body
        .get("response_format")
        .filter(|f| f.get("type").and_then(Value::as_str) == Some("json_schema"))
        .and_then(|f| f.get("json_schema"))
    {
        if is_strict(format) {
            let subject = Subject {
                kind: "response_format",
                name: format.get("name").and_then(Value::as_str).unwrap_or(""),
                param: "response_format".into(),
                code: None,
            };
            check(&subject, format.get("schema"), lenient)?;
        }
    }
    for (index, tool) in tools(body).enumerate() {
        let Some(function) = tool.get("function").filter(|f| is_strict(f)) else {
            continue;
        };
        let subject = Subject {
            kind: "function",
            name: function.get("name").and_then(Value::as_str).unwrap_or(""),
            param: format!("tools[{index}].function.parameters"),
            code: Some("invalid_function_parameters"),
        };
        check(&subject, function.get("parameters"), lenient)?;
    }
    Ok(())
}

/// Checks a Responses body's strict `text.format` and strict function tools.
pub fn responses(body: &Value, lenient: bool) -> Result<(), ApiError> {
    if let Some(format) = body
        .pointer("/text/format")
        .filter(|f| f.get("type").and_then(Value::as_str) == Some("json_schema"))
    {
        if is_strict(format) {
            let subject = Subject {
                kind: "response_format",
                name: format.get("name").and_then(Value::as_str).unwrap_or(""),
                param: "text.format.schema".into(),
                code: Some("invalid_json_schema"),
            };
            check(&subject, format.get("schema"), lenient)?;
        }
    }
    for (index, tool) in tools(body).enumerate() {
        if tool.get("type").and_then(Value::as_str) != Some("function") || !is_strict(tool) {
            continue;
        }
        let subject = Subject {
            kind: "function",
            name: tool.get("name").and_then(Value::as_str).unwrap_or(""),
            param: format!("tools[{index}].parameters"),
            code: Some("invalid_function_parameters"),
        };
        check(&subject, tool.get("parameters"), lenient)?;
    }
    Ok(())
}

fn tools(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn is_strict(holder: &Value) -> bool {
    holder.get("strict").and_then(Value::as_bool) == Some(true)
}

/// A step of a place inside a schema: a key or an index.
#[derive(Clone)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The real API's rendering of a place: a Python tuple (`()`, `('items',)`, `('a', 0)`).
fn context(path: &[Step<'_>]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|step| match step {
            Step::Key(key) => format!("'{key}'"),
            Step::Index(index) => index.to_string(),
        })
        .collect();
    match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    }
}

/// Keywords that make an object a JSON Schema; a strict schema with none of them is a
/// placeholder, which lenient mode lets through.
const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "allOf",
    "oneOf",
    "$ref",
    "$defs",
    "definitions",
    "enum",
    "const",
];

fn check(subject: &Subject<'_>, schema: Option<&Value>, lenient: bool) -> Result<(), ApiError> {
    let Some(schema) = schema else {
        return Ok(());
    };
    let placeholder = schema
        .as_object()
        .is_some_and(|map| !SCHEMA_KEYWORDS.iter().any(|k| map.contains_key(*k)));
    if lenient && placeholder {
        return Ok(());
    }
    let kind = schema.get("type");
    if kind.and_then(Value::as_str) != Some("object") {
        let got = kind.map_or_else(|| "None".to_string(), |k| k.to_string());
        return Err(subject.fail(format!(
            "schema must be a JSON Schema of 'type: \"object\"', got 'type: {got}'."
        )));
    }
    let mut totals = Totals::default();
    walk(subject, schema, &mut Vec::new(), 0, &mut totals)
}

/// What a strict schema holds in all, against the size limits.
#[derive(Default)]
struct Totals {
    /// Object properties.
    properties: usize,
    /// Enum values.
    enum_values: usize,
    /// Characters of property names, definition names, enum values and consts.
    text: usize,
}

/// The most enum values a strict schema may hold in all.
pub const MAX_ENUM_VALUES: usize = 1000;
/// An enum with more than this many values ...
pub const LARGE_ENUM: usize = 250;
/// ... may hold at most this many characters of values.
pub const MAX_LARGE_ENUM_TEXT: usize = 15_000;
/// The most characters of names, enum values and consts a strict schema may hold in all.
pub const MAX_TEXT: usize = 120_000;

/// Counts the enum values and names of `map` into `totals`, refusing past the limits.
fn count_text(
    subject: &Subject<'_>,
    map: &serde_json::Map<String, Value>,
    path: &[Step<'_>],
    totals: &mut Totals,
) -> Result<(), ApiError> {
    let text_of = |value: &Value| value.as_str().map_or(0, |s| s.chars().count());
    if let Some(values) = map.get("enum").and_then(Value::as_array) {
        totals.enum_values += values.len();
        if totals.enum_values > MAX_ENUM_VALUES {
            return Err(subject.fail(format!(
                "In context={}, the schema has more than {MAX_ENUM_VALUES} enum values in all.",
                context(path)
            )));
        }
        let length: usize = values.iter().map(text_of).sum();
        if values.len() > LARGE_ENUM && length > MAX_LARGE_ENUM_TEXT {
            return Err(subject.fail(format!(
                "In context={}, an enum of more than {LARGE_ENUM} values may hold at most \
                 {MAX_LARGE_ENUM_TEXT} characters of values; it holds {length}.",
                context(path)
            )));
        }
        totals.text += length;
    }
    totals.text += map.get("const").map_or(0, text_of);
    for container in ["properties", "$defs", "definitions"] {
        if let Some(names) = map.get(container).and_then(Value::as_object) {
            totals.text += names.keys().map(|k| k.chars().count()).sum::<usize>();
        }
    }
    if totals.text > MAX_TEXT {
        return Err(subject.fail(format!(
            "In context={}, the schema's names, enum values and consts hold more than \
             {MAX_TEXT} characters in all.",
            context(path)
        )));
    }
    Ok(())
}

fn is_object(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(kind)) => kind == "object",
        Some(Value::Array(kinds)) => kinds.iter().any(|k| k == "object"),
        _ => schema.get("properties").is_some(),
    }
}

fn walk<'a>(
    subject: &Subject<'_>,
    schema: &'a Value,
    path: &mut Vec<Step<'a>>,
    depth: usize,
    totals: &mut Totals,
) -> Result<(), ApiError> {
    let Some(map) = schema.as_object() else {
        return Ok(());
    };
    count_text(subject, map, path, totals)?;
    if let Some(keyword) = UNSUPPORTED.iter().find(|k| map.contains_key(**k)) {
        return Err(subject.fail(format!(
            "In context={}, '{keyword}' is not permitted.",
            context(path)
        )));
    }
    let mut depth = depth;
    if is_object(schema) {
        depth += 1;
        if depth > MAX_DEPTH {
            return Err(subject.fail(format!(
                "In context={}, the schema nests objects {depth} levels deep, more than the \
                 {MAX_DEPTH} levels allowed.",
                context(path)
            )));
        }
        if map.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Err(subject.fail(format!(
                "In context={}, 'additionalProperties' is required to be supplied and to be \
                 false.",
                context(path)
            )));
        }
        let keys: Vec<&str> = map
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let missing = keys.iter().find(|key| !required.contains(key));
        if map.get("required").is_some_and(|r| !r.is_array()) || missing.is_some() {
            return Err(subject.fail(format!(
                "In context={}, 'required' is required to be supplied and to be an array \
                 including every key in properties. Missing '{}'.",
                context(path),
                missing.copied().unwrap_or("")
            )));
        }
        if let Some(extra) = required.iter().find(|name| !keys.contains(name)) {
            return Err(subject.fail(format!(
                "In context={}, 'required' is required to be supplied and to be an array \
                 including every key in properties. Extra required key '{extra}' supplied.",
                context(path)
            )));
        }
        totals.properties += keys.len();
        if totals.properties > MAX_PROPERTIES {
            return Err(subject.fail(format!(
                "In context={}, the schema has more than {MAX_PROPERTIES} object properties.",
                context(path)
            )));
        }
    }
    for container in ["properties", "$defs", "definitions"] {
        for (key, child) in map
            .get(container)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            path.extend([Step::Key(container), Step::Key(key)]);
            walk(subject, child, path, depth, totals)?;
            path.truncate(path.len() - 2);
        }
    }
    if let Some(items) = map.get("items").filter(|items| items.is_object()) {
        path.push(Step::Key("items"));
        walk(subject, items, path, depth, totals)?;
        path.pop();
    }
    for (index, branch) in map
        .get("anyOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        path.extend([Step::Key("anyOf"), Step::Index(index)]);
        walk(subject, branch, path, depth, totals)?;
        path.truncate(path.len() - 2);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn format(schema: Value) -> Value {
        json!({"response_format": {"type": "json_schema",
            "json_schema": {"name": "step", "strict": true, "schema": schema}}})
    }

    #[test]
    fn every_property_is_required_and_objects_are_closed() {
        let open = format(
            json!({"type": "object", "properties": {"x": {"type": "string"}},
            "required": ["x"]}),
        );
        assert_eq!(
            chat(&open, false).unwrap_err().message,
            "Invalid schema for response_format 'step': In context=(), 'additionalProperties' \
             is required to be supplied and to be false."
        );
        let missing = format(json!({"type": "object", "additionalProperties": false,
            "properties": {"x": {"type": "string"}, "y": {"type": "object",
                "properties": {"z": {"type": "integer"}}, "additionalProperties": false}},
            "required": ["x", "y"]}));
        assert_eq!(
            chat(&missing, false).unwrap_err().message,
            "Invalid schema for response_format 'step': In context=('properties', 'y'), \
             'required' is required to be supplied and to be an array including every key in \
             properties. Missing 'z'."
        );
    }

    #[test]
    fn enum_and_text_limits_are_enforced() {
        let enum_of = |count: usize, width: usize| {
            let values: Vec<String> = (0..count).map(|i| format!("{i:0width$}")).collect();
            format(json!({"type": "object", "additionalProperties": false,
                "properties": {"code": {"type": "string", "enum": values}},
                "required": ["code"]}))
        };
        assert!(chat(&enum_of(1000, 4), false).is_ok());
        assert!(chat(&enum_of(1001, 4), false)
            .unwrap_err()
            .message
            .contains("more than 1000 enum values"));
        assert!(chat(&enum_of(300, 60), false)
            .unwrap_err()
            .message
            .contains("at most 15000 characters"));
        assert!(chat(&enum_of(200, 60), false).is_ok());
    }

    #[test]
    fn unsupported_keywords_and_a_non_object_root_are_refused() {
        let keyword = format(json!({"type": "object", "additionalProperties": false,
            "properties": {"tags": {"type": "array", "items": {"type": "string", "minLength": 2}}},
            "required": ["tags"]}));
        assert!(chat(&keyword, false).unwrap_err().message.ends_with(
            "In context=('properties', 'tags', 'items'), 'minLength' is not permitted."
        ));
        let array = format(json!({"type": "array", "items": {"type": "string"}}));
        assert!(chat(&array, false)
            .unwrap_err()
            .message
            .contains("got 'type: \"array\"'"));
        let lenient = json!({"response_format": {"type": "json_schema",
            "json_schema": {"name": "step", "schema": {"type": "object"}}}});
        assert!(chat(&lenient, false).is_ok());
        let placeholder = json!({"response_format": {"type": "json_schema",
            "json_schema": {"name": "name", "strict": true, "schema": {"foo": "bar"}}}});
        assert!(chat(&placeholder, true).is_ok());
        assert!(chat(&placeholder, false).is_err());
    }

    #[test]
    fn strict_tools_name_their_parameters() {
        let body = json!({"tools": [{"type": "function", "function": {"name": "get_weather",
            "strict": true, "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}}, "additionalProperties": false}}}]});
        let error = chat(&body, false).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("tools[0].function.parameters"));
        assert_eq!(error.code.as_deref(), Some("invalid_function_parameters"));
        let deep = (0..11).fold(json!({"type": "string"}), |inner, _| {
            json!({"type": "object",
            "properties": {"a": inner}, "required": ["a"], "additionalProperties": false})
        });
        let body = json!({"text": {"format": {"type": "json_schema", "name": "deep",
            "strict": true, "schema": deep}}});
        let error = responses(&body, false).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("text.format.schema"));
        assert!(error.message.contains("more than the 10 levels allowed"));
    }
}
