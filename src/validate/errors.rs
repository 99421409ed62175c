//! Turns a JSON Schema validation failure into the real API's 400 wording.
//!
//! The validator reports where an instance failed (`/messages/0/role`); the real API writes
//! that as `messages[0].role` and uses a fixed set of codes (`missing_required_parameter`,
//! `invalid_type`, `invalid_value`, ...). For `anyOf`, the branch that got furthest into
//! the instance is the one the caller most likely meant, so its error is reported.

use crate::error::ApiError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{JsonType, ValidationError};
use serde_json::Value;

/// The real API's name for a parameter at a JSON location: `messages[0].role`.
pub fn param_name(segments: &[String]) -> String {
    let mut out = String::new();
    for segment in segments {
        if segment.starts_with('[') || out.is_empty() {
            out.push_str(segment);
        } else {
            out.push('.');
            out.push_str(segment);
        }
    }
    out
}

fn location(error: &ValidationError<'_>) -> Vec<String> {
    error
        .instance_path()
        .iter()
        .map(|segment| match segment {
            LocationSegment::Property(name) => name.to_string(),
            LocationSegment::Index(i) => format!("[{i}]"),
        })
        .collect()
}

/// Picks the most useful error among `errors` and words it like the real API.
pub fn to_api_error<'a>(errors: impl Iterator<Item = ValidationError<'a>>) -> Option<ApiError> {
    let errors: Vec<ValidationError<'a>> = errors.collect();
    let best = deepest(&errors)?;
    Some(describe(best))
}

/// The error with the deepest instance path; ties keep the first.
fn deepest<'e, 'a: 'e>(
    errors: impl IntoIterator<Item = &'e ValidationError<'a>>,
) -> Option<&'e ValidationError<'a>> {
    let mut best: Option<(&ValidationError<'a>, usize)> = None;
    for error in errors {
        let depth = effective_depth(error);
        if best.is_none_or(|(_, d)| depth > d) {
            best = Some((error, depth));
        }
    }
    best.map(|(e, _)| e)
}

/// How far into the instance an error reaches, looking through `anyOf` branches.
fn effective_depth(error: &ValidationError<'_>) -> usize {
    let own = error.instance_path().iter().count() * 2 + usize::from(is_required(error));
    match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context
                .iter()
                .flat_map(|branch| branch.iter().map(effective_depth))
                .max()
                .unwrap_or(own)
                .max(own)
        }
        _ => own,
    }
}

fn is_required(error: &ValidationError<'_>) -> bool {
    matches!(error.kind(), ValidationErrorKind::Required { .. })
}

fn describe(error: &ValidationError<'_>) -> ApiError {
    let path = location(error);
    let param = param_name(&path);
    match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            describe_union(error, context, &param)
        }
        ValidationErrorKind::Required { property } => {
            let mut path = path;
            path.push(property.as_str().unwrap_or_default().to_string());
            ApiError::missing_parameter(&param_name(&path))
        }
        ValidationErrorKind::Type { kind } => {
            invalid_type(&param, expected_types(kind).as_slice(), error.instance())
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<Value> = options.as_array().cloned().unwrap_or_default();
            invalid_value(&param, error.instance(), &options)
        }
        ValidationErrorKind::Constant { expected_value } => invalid_value(
            &param,
            error.instance(),
            std::slice::from_ref(expected_value),
        ),
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            let what = number_word(error.instance());
            ApiError::invalid_request(format!(
                "Invalid '{param}': {what} above maximum value. Expected a value <= {limit}, but got {} instead.",
                error.instance()
            ))
            .with_param(&param)
            .with_code(format!("{what}_above_max_value"))
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            let what = number_word(error.instance());
            ApiError::invalid_request(format!(
                "Invalid '{param}': {what} below minimum value. Expected a value >= {limit}, but got {} instead.",
                error.instance()
            ))
            .with_param(&param)
            .with_code(format!("{what}_below_min_value"))
        }
        ValidationErrorKind::MaxLength { limit } => {
            let length = error.instance().as_str().map_or(0, |s| s.chars().count());
            ApiError::invalid_request(format!(
                "Invalid '{param}': string too long. Expected a string with maximum length {limit}, but got a string with length {length} instead."
            ))
            .with_param(&param)
            .with_code("string_above_max_length")
        }
        ValidationErrorKind::MinLength { limit } => {
            let length = error.instance().as_str().map_or(0, |s| s.chars().count());
            ApiError::invalid_request(format!(
                "Invalid '{param}': string too short. Expected a string with minimum length {limit}, but got a string with length {length} instead."
            ))
            .with_param(&param)
            .with_code("string_below_min_length")
        }
        ValidationErrorKind::MaxItems { limit } => {
            let length = error.instance().as_array().map_or(0, Vec::len);
            ApiError::invalid_request(format!(
                "Invalid '{param}': array too long. Expected an array with maximum length {limit}, but got an array with length {length} instead."
            ))
            .with_param(&param)
            .with_code("array_above_max_length")
        }
        ValidationErrorKind::MinItems { limit } => {
            let length = error.instance().as_array().map_or(0, Vec::len);
            let (what, code) = if length == 0 {
                ("empty array", "empty_array")
            } else {
                ("array too short", "array_below_min_length")
            };
            let got = if length == 0 {
                "an empty array".to_string()
            } else {
                format!("an array with length {length}")
            };
            ApiError::invalid_request(format!(
                "Invalid '{param}': {what}. Expected an array with minimum length {limit}, but got {got} instead."
            ))
            .with_param(&param)
            .with_code(code)
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let name = unexpected.first().cloned().unwrap_or_default();
            let mut path = path;
            path.push(name);
            let full = param_name(&path);
            ApiError::invalid_request(format!("Unknown parameter: '{full}'."))
                .with_param(&full)
                .with_code("unknown_parameter")
        }
        _ => ApiError::invalid_request(format!("Invalid value for '{param}': {error}."))
            .with_param(&param)
            .with_code("invalid_value"),
    }
}

/// Words a failed union. Each branch contributes its deepest error; among the deepest,
/// an error that is not a value mismatch wins (the branch matched the discriminator but
/// something inside is wrong). When every branch only rejected the same value, the accepted
/// types or values are merged into one message.
fn describe_union(
    error: &ValidationError<'_>,
    branches: &[Vec<ValidationError<'static>>],
    param: &str,
) -> ApiError {
    let bests: Vec<&ValidationError<'static>> = branches_meant(error, branches)
        .into_iter()
        .filter_map(|branch| deepest(branch.iter()))
        .collect();
    let Some(max) = bests.iter().map(|e| effective_depth(e)).max() else {
        return ApiError::invalid_request(format!("Invalid value for '{param}'."))
            .with_param(param)
            .with_code("invalid_value");
    };
    let top: Vec<&ValidationError<'static>> = bests
        .into_iter()
        .filter(|e| effective_depth(e) == max)
        .collect();
    let is_mismatch = |e: &ValidationError<'_>| {
        matches!(
            e.kind(),
            ValidationErrorKind::Type { .. }
                | ValidationErrorKind::Enum { .. }
                | ValidationErrorKind::Constant { .. }
        )
    };
    if let Some(inner) = top.iter().find(|e| !is_mismatch(e)) {
        return describe(inner);
    }
    let Some(first) = top.first() else {
        return describe(error);
    };
    let same_place = top
        .iter()
        .all(|e| e.instance_path() == first.instance_path());
    if !same_place {
        return describe(first);
    }
    let place = param_name(&location(first));
    let place = if place.is_empty() {
        param.to_string()
    } else {
        place
    };
    let mut types = Vec::new();
    let mut options = Vec::new();
    for e in &top {
        match e.kind() {
            ValidationErrorKind::Type { kind } => types.extend(expected_types(kind)),
            ValidationErrorKind::Enum { options: o } => {
                options.extend(o.as_array().cloned().unwrap_or_default())
            }
            ValidationErrorKind::Constant { expected_value } => {
                options.push((**expected_value).clone())
            }
            _ => {}
        }
    }
    let instance = first.instance();
    let type_matches = types.iter().any(|t| json_type_matches(*t, instance));
    if !options.is_empty()
        && (types.is_empty() || type_matches || options_match_type(&options, instance))
    {
        invalid_value(&place, instance, &options)
    } else {
        invalid_type(&place, &types, instance)
    }
}

/// The branches of a union whose discriminator the instance matches: no branch error says
/// that a fixed value of a direct property (`type: "function"`, `role: "tool"`) differs, or
/// that such a property is missing. The real API picks the branch by its discriminator and
/// reports what is wrong inside it (`Missing required parameter: 'tools[0].name'.`). When no
/// branch matches, every branch is kept and the rejected value is reported instead.
fn branches_meant<'b>(
    union: &ValidationError<'_>,
    branches: &'b [Vec<ValidationError<'static>>],
) -> Vec<&'b Vec<ValidationError<'static>>> {
    let base = location(union);
    let mut discriminators: Vec<String> = Vec::new();
    collect_discriminators(&base, branches, &mut discriminators);
    let meant: Vec<&Vec<ValidationError<'static>>> = branches
        .iter()
        .filter(|branch| branch_matches(&base, branch, &discriminators))
        .collect();
    if meant.is_empty() {
        branches.iter().collect()
    } else {
        meant
    }
}

/// The direct property that a fixed-value mismatch names, when `error` is one. A nullable
/// fixed value (`anyOf: [{enum: [item_reference]}, {type: null}]`) counts too.
fn fixed_value_mismatch(base: &[String], error: &ValidationError<'_>) -> Option<String> {
    let fixed = match error.kind() {
        ValidationErrorKind::Constant { .. } => true,
        ValidationErrorKind::Enum { options } => options.as_array().is_some_and(|o| o.len() == 1),
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            let here = location(error);
            let only_value_errors = context.iter().flatten().all(|inner| {
                location(inner) == here
                    && matches!(
                        inner.kind(),
                        ValidationErrorKind::Constant { .. }
                            | ValidationErrorKind::Enum { .. }
                            | ValidationErrorKind::Type { .. }
                    )
            });
            let some_fixed = context.iter().flatten().any(|inner| {
                matches!(inner.kind(), ValidationErrorKind::Constant { .. })
                    || matches!(inner.kind(), ValidationErrorKind::Enum { options }
                        if options.as_array().is_some_and(|o| o.len() == 1))
            });
            only_value_errors && some_fixed
        }
        _ => false,
    };
    let path = location(error);
    match path.split_last() {
        Some((last, parent)) if fixed && parent == base && !last.starts_with('[') => {
            Some(last.clone())
        }
        _ => None,
    }
}

fn collect_discriminators(
    base: &[String],
    branches: &[Vec<ValidationError<'static>>],
    into: &mut Vec<String>,
) {
    for error in branches.iter().flatten() {
        if let Some(name) = fixed_value_mismatch(base, error) {
            if !into.contains(&name) {
                into.push(name);
            }
        }
        if let ValidationErrorKind::AnyOf { context }
        | ValidationErrorKind::OneOfNotValid { context } = error.kind()
        {
            if location(error) == base {
                collect_discriminators(base, context, into);
            }
        }
    }
}

fn branch_matches(
    base: &[String],
    branch: &[ValidationError<'static>],
    discriminators: &[String],
) -> bool {
    branch.iter().all(|error| {
        if fixed_value_mismatch(base, error).is_some() {
            return false;
        }
        match error.kind() {
            // A discriminator that accepts several values (`web_search`, `web_search_preview`).
            ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. }
                if location(error).split_last().is_some_and(|(last, parent)| {
                    parent == base && discriminators.contains(last)
                }) =>
            {
                false
            }
            ValidationErrorKind::Required { property } if location(error) == base => {
                let name = property.as_str().unwrap_or_default();
                !discriminators.iter().any(|d| d == name)
            }
            // A union nested at the same place matches when one of its branches does.
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context }
                if location(error) == base =>
            {
                context
                    .iter()
                    .any(|inner| branch_matches(base, inner, discriminators))
            }
            _ => true,
        }
    })
}

/// Whether some allowed option has the same JSON type as the value sent.
fn options_match_type(options: &[Value], value: &Value) -> bool {
    options
        .iter()
        .any(|o| std::mem::discriminant(o) == std::mem::discriminant(value))
}

fn json_type_matches(t: JsonType, value: &Value) -> bool {
    match t {
        JsonType::Null => value.is_null(),
        JsonType::Boolean => value.is_boolean(),
        JsonType::Integer => value.is_i64() || value.is_u64(),
        JsonType::Number => value.is_number(),
        JsonType::String => value.is_string(),
        JsonType::Array => value.is_array(),
        JsonType::Object => value.is_object(),
    }
}

fn expected_types(kind: &TypeKind) -> Vec<JsonType> {
    match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set.iter().collect(),
    }
}

fn type_phrase(t: JsonType) -> &'static str {
    match t {
        JsonType::Null => "null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a decimal",
        JsonType::String => "a string",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
    }
}

fn value_phrase(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a decimal",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn number_word(value: &Value) -> &'static str {
    if value.is_f64() {
        "decimal"
    } else {
        "integer"
    }
}

fn invalid_type(param: &str, expected: &[JsonType], got: &Value) -> ApiError {
    let mut phrases: Vec<&str> = Vec::new();
    for t in expected {
        // A nullable field is described by its real type, as the real API does.
        if *t == JsonType::Null && expected.len() > 1 {
            continue;
        }
        let phrase = type_phrase(*t);
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    let shown = if param.is_empty() { "body" } else { param };
    ApiError::invalid_request(format!(
        "Invalid type for '{shown}': expected {}, but got {} instead.",
        join_or(&phrases),
        value_phrase(got)
    ))
    .with_param(param)
    .with_code("invalid_type")
}

fn invalid_value(param: &str, got: &Value, options: &[Value]) -> ApiError {
    let shown: Vec<String> = options
        .iter()
        .filter(|o| !o.is_null())
        .map(|o| {
            format!(
                "'{}'",
                o.as_str().map_or_else(|| o.to_string(), str::to_string)
            )
        })
        .collect::<Vec<_>>();
    let mut unique: Vec<String> = Vec::new();
    for s in shown {
        if !unique.contains(&s) {
            unique.push(s);
        }
    }
    let got = got.as_str().map_or_else(|| got.to_string(), str::to_string);
    ApiError::invalid_request(format!(
        "Invalid value: '{got}'. Supported values are: {}.",
        join_and(&unique)
    ))
    .with_param(param)
    .with_code("invalid_value")
}

fn join_with(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} {word} {b}"),
        [rest @ .., last] => format!("{}, {word} {last}", rest.join(", ")),
    }
}

fn join_and(items: &[String]) -> String {
    join_with(items, "and")
}

fn join_or(items: &[&str]) -> String {
    let owned: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    join_with(&owned, "or")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_written_like_the_real_api() {
        let segments = ["messages", "[0]", "role"].map(String::from);
        assert_eq!(param_name(&segments), "messages[0].role");
        assert_eq!(param_name(&["[2]".to_string()]), "[2]");
    }

    #[test]
    fn enum_values_are_listed_with_and() {
        let error = invalid_value(
            "messages[0].role",
            &Value::from("bogus"),
            &[
                Value::from("system"),
                Value::from("user"),
                Value::from("tool"),
            ],
        );
        assert_eq!(
            error.message,
            "Invalid value: 'bogus'. Supported values are: 'system', 'user', and 'tool'."
        );
    }
}
