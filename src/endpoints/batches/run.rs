//! Running a batch: reading its input file into lines (or the `errors.data` entries that
//! fail it), sending each line through the server's pipeline, and storing the answers as
//! the output and error files in the real API's line formats.

use super::super::files::store_file;
use super::super::{Call, Subresponse};
use crate::generate::{new_id, Generator};
use serde_json::{json, Value};
use std::collections::HashSet;

/// One request of a batch's input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The client's id for the request, unique in the file.
    pub custom_id: String,
    /// The path it is sent to (the batch's `endpoint`).
    pub url: String,
    /// The request body.
    pub body: Value,
}

/// One entry of a failed batch's `errors.data`.
pub fn batch_error(code: &str, message: String, param: Option<&str>, line: Option<usize>) -> Value {
    json!({"code": code, "message": message, "param": param, "line": line})
}

/// The lines of an input file for a batch on `endpoint`, or why the batch fails: every line
/// must be a JSON object with a `custom_id` (unique), `method` `POST`, `url` equal to the
/// batch's endpoint and a `body` object.
pub fn read(bytes: &[u8], endpoint: &str) -> Result<Vec<Line>, Vec<Value>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![batch_error(
            "invalid_file_format",
            "The input file is not UTF-8 text, so it is not JSONL.".into(),
            None,
            None,
        )]);
    };
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (index, text) in text.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        match read_line(text, endpoint, &mut seen) {
            Ok(line) => lines.push(line),
            Err((code, message, param)) => {
                errors.push(batch_error(code, message, param, Some(index + 1)))
            }
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.push(batch_error(
            "empty_file",
            "The input file has no requests.".into(),
            None,
            None,
        ));
    }
    match errors.is_empty() {
        true => Ok(lines),
        false => Err(errors),
    }
}

type LineError = (&'static str, String, Option<&'static str>);

fn read_line(text: &str, endpoint: &str, seen: &mut HashSet<String>) -> Result<Line, LineError> {
    let value: Value = serde_json::from_str(text).map_err(|_| {
        (
            "invalid_json_line",
            "This line is not parseable as valid JSON.".to_string(),
            None,
        )
    })?;
    let Some(object) = value.as_object() else {
        return Err((
            "invalid_json_line",
            "This line is not a JSON object.".to_string(),
            None,
        ));
    };
    let field = |name: &'static str| -> Result<&Value, LineError> {
        object.get(name).filter(|v| !v.is_null()).ok_or((
            "missing_required_parameter",
            format!("Missing required parameter: '{name}'."),
            Some(name),
        ))
    };
    let text_field = |name: &'static str| -> Result<&str, LineError> {
        field(name)?.as_str().ok_or((
            "invalid_type",
            format!("Invalid type for '{name}': expected a string."),
            Some(name),
        ))
    };
    let custom_id = text_field("custom_id")?;
    let method = text_field("method")?;
    if method != "POST" {
        return Err((
            "invalid_value",
            format!("Invalid value: '{method}'. Supported values are: 'POST'."),
            Some("method"),
        ));
    }
    let url = text_field("url")?;
    if url != endpoint {
        return Err((
            "invalid_url",
            format!(
                "The URL provided for this request ('{url}') does not match the batch \
                 endpoint ('{endpoint}')."
            ),
            Some("url"),
        ));
    }
    let body = field("body")?;
    if !body.is_object() {
        return Err((
            "invalid_type",
            "Invalid type for 'body': expected an object.".to_string(),
            Some("body"),
        ));
    }
    if !seen.insert(custom_id.to_string()) {
        return Err((
            "duplicate_custom_id",
            "The custom_id for this request is a duplicate of another request. The custom_id \
             parameter must be unique for each request in a batch."
                .to_string(),
            Some("custom_id"),
        ));
    }
    Ok(Line {
        custom_id: custom_id.to_string(),
        url: url.to_string(),
        body: body.clone(),
    })
}

/// What a batch's lines answered.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Lines of the output file: the requests answered with a 2xx.
    pub output: Vec<Value>,
    /// Lines of the error file: the others.
    pub errors: Vec<Value>,
    /// The batch's `usage`: the tokens of every answer, added up.
    pub usage: Value,
    /// The first `model` the lines name.
    pub model: Option<String>,
}

impl Results {
    /// How many requests the batch holds.
    pub fn total(&self) -> usize {
        self.output.len() + self.errors.len()
    }
}

/// Sends every line through the server's pipeline as the batch's creator.
pub fn run(call: &Call, lines: &[Line], generator: &mut Generator) -> Results {
    let mut results = Results::default();
    let mut usage = Usage::default();
    for line in lines {
        if results.model.is_none() {
            results.model = line.body["model"].as_str().map(str::to_string);
        }
        let answer = match call.dispatch {
            Some(dispatch) => {
                dispatch.dispatch("POST", &line.url, line.body.clone(), call.namespace)
            }
            None => Subresponse::Dropped,
        };
        let id = new_id(&mut generator.rng, "batch_req_");
        match answer {
            Subresponse::Answered {
                status,
                body,
                request_id,
            } => {
                let ok = (200..300).contains(&status);
                if ok {
                    usage.add(&body["usage"]);
                }
                let out = json!({
                    "id": id,
                    "custom_id": line.custom_id,
                    "response": {"status_code": status, "request_id": request_id, "body": body},
                    "error": null,
                });
                match ok {
                    true => results.output.push(out),
                    false => results.errors.push(out),
                }
            }
            Subresponse::Dropped => results.errors.push(json!({
                "id": id,
                "custom_id": line.custom_id,
                "response": null,
                "error": {
                    "code": "server_error",
                    "message": "The request was dropped before it was answered.",
                },
            })),
        }
    }
    results.usage = usage.value();
    results
}

/// Token counts added up over a batch's answers (chat's `prompt_tokens`/`completion_tokens`
/// and `/responses`' `input_tokens`/`output_tokens` alike).
#[derive(Debug, Default)]
struct Usage {
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
    total: u64,
}

impl Usage {
    fn add(&mut self, usage: &Value) {
        let n = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| usage.pointer(k).and_then(Value::as_u64))
                .unwrap_or(0)
        };
        let input = n(&["/prompt_tokens", "/input_tokens"]);
        let output = n(&["/completion_tokens", "/output_tokens"]);
        self.input += input;
        self.output += output;
        self.cached += n(&[
            "/prompt_tokens_details/cached_tokens",
            "/input_tokens_details/cached_tokens",
        ]);
        self.reasoning += n(&[
            "/completion_tokens_details/reasoning_tokens",
            "/output_tokens_details/reasoning_tokens",
        ]);
        self.total += usage
            .get("total_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(input + output);
    }

    fn value(&self) -> Value {
        json!({
            "input_tokens": self.input,
            "input_tokens_details": {"cached_tokens": self.cached},
            "output_tokens": self.output,
            "output_tokens_details": {"reasoning_tokens": self.reasoning},
            "total_tokens": self.total,
        })
    }
}

/// The result files of a batch, by id (`None` when it has no such lines).
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// The output file.
    pub output: Option<String>,
    /// The error file.
    pub error: Option<String>,
}

impl Files {
    /// The ids of the files that exist.
    pub fn ids(&self) -> Vec<String> {
        self.output.iter().chain(&self.error).cloned().collect()
    }
}

/// Stores the output file (when a line succeeded) and the error file (when one did not) of
/// batch `batch_id`, purpose `batch_output`.
pub fn store_files(
    call: &Call,
    generator: &mut Generator,
    batch_id: &str,
    results: &Results,
    expires_after: Option<&Value>,
) -> Files {
    let mut store = |kind: &str, lines: &[Value]| -> Option<String> {
        if lines.is_empty() {
            return None;
        }
        let mut bytes = Vec::new();
        for line in lines {
            bytes.extend(serde_json::to_vec(line).unwrap_or_default());
            bytes.push(b'\n');
        }
        let name = format!("{batch_id}_{kind}.jsonl");
        let file = store_file(call, generator, &name, "batch_output", bytes, expires_after);
        file.get("id").and_then(Value::as_str).map(str::to_string)
    };
    Files {
        output: store("output", &results.output),
        error: store("error", &results.errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: &str = "/v1/chat/completions";

    fn line(custom_id: &str) -> String {
        format!(
            r#"{{"custom_id": "{custom_id}", "method": "POST", "url": "{CHAT}", "body": {{"model": "gpt-4o"}}}}"#
        )
    }

    #[test]
    fn well_formed_lines_are_read_in_order() {
        let text = format!("{}\n\n{}\n", line("a"), line("b"));
        let lines = read(text.as_bytes(), CHAT).unwrap();
        let ids: Vec<_> = lines.iter().map(|l| l.custom_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(lines[0].body, json!({"model": "gpt-4o"}));
    }

    #[test]
    fn each_malformed_line_is_an_error_naming_its_line() {
        let text = [
            line("a"),
            "not json".to_string(),
            line("a"),
            line("c").replace(CHAT, "/v1/embeddings"),
            line("d").replace("POST", "GET"),
            r#"{"method": "POST", "url": "/v1/chat/completions", "body": {}}"#.to_string(),
        ]
        .join("\n");
        let errors = read(text.as_bytes(), CHAT).unwrap_err();
        let codes: Vec<_> = errors
            .iter()
            .map(|e| (e["code"].as_str().unwrap(), e["line"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            codes,
            [
                ("invalid_json_line", 2),
                ("duplicate_custom_id", 3),
                ("invalid_url", 4),
                ("invalid_value", 5),
                ("missing_required_parameter", 6),
            ]
        );
        assert_eq!(errors[4]["param"], "custom_id");
    }

    #[test]
    fn an_empty_file_has_no_requests() {
        let errors = read(b"\n \n", CHAT).unwrap_err();
        assert_eq!(errors[0]["code"], "empty_file");
    }

    #[test]
    fn usage_adds_chat_and_responses_counts() {
        let mut usage = Usage::default();
        usage.add(&json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}));
        usage.add(
            &json!({"input_tokens": 1, "output_tokens": 2, "total_tokens": 3,
            "output_tokens_details": {"reasoning_tokens": 1}}),
        );
        usage.add(&json!({"prompt_tokens": 5, "total_tokens": 5}));
        let value = usage.value();
        assert_eq!(value["input_tokens"], 9);
        assert_eq!(value["output_tokens"], 6);
        assert_eq!(value["total_tokens"], 15);
        assert_eq!(value["output_tokens_details"]["reasoning_tokens"], 1);
    }
}
