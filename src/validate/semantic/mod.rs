//! Semantic checks after the schema: refusals the real API makes that no JSON Schema can
//! express, one small module per rule, each with the real API's wording, `param` and `code`.
//!
//! - [`pairing`]: a Chat Completions `tool` message answers a call of the assistant message
//!   before it; a Responses tool output's `call_id` names a call in the input or the chain;
//! - [`ordering`]: an assistant message with `tool_calls` is followed by a `tool` message for
//!   each call before any other message;
//! - [`strict_schema`]: `json_schema` formats and function tools with `strict: true` require
//!   every property, forbid additional properties, and use only the supported subset of JSON
//!   Schema within its nesting and size limits.
//!
//! They read only the request body (plus, for pairing, items the caller found elsewhere), so
//! the endpoints call them from their `check` with one line. They are on by default, as in
//! the real API; lenient mode (without `--strict-ids`, the default) relaxes one thing: a
//! strict schema that is no JSON Schema at all (a placeholder such as `{"foo": "bar"}`, which
//! the official SDKs' own test suites send) is let through instead of refused.

pub mod ordering;
pub mod pairing;
pub mod strict_schema;

use crate::error::ApiError;
use serde_json::Value;

/// The semantic checks of a Chat Completions request body, in the order the real API makes
/// them: the schemas first, then the message order, then the tool-call pairing. With
/// `lenient`, placeholder schemas pass (see the module note).
pub fn chat(body: &Value, lenient: bool) -> Result<(), ApiError> {
    strict_schema::chat(body, lenient)?;
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    ordering::chat(messages)?;
    pairing::chat(messages)
}

/// The semantic checks of a Responses request body. `earlier` holds the items that come
/// before its `input` (the stored chain of `previous_response_id`, the conversation's
/// items); `None` when they exist but cannot be read, which skips the pairing rule.
/// `lenient` as for [`chat`].
pub fn responses(body: &Value, earlier: Option<&[Value]>, lenient: bool) -> Result<(), ApiError> {
    strict_schema::responses(body, lenient)?;
    if let Some(earlier) = earlier {
        let input = body
            .get("input")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        pairing::responses(input, earlier)?;
    }
    Ok(())
}
