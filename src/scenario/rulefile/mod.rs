//! The rules file: its format, and its parsing and checking into a [`RuleSet`] (what
//! rules match and answer is in [`rules`](super::rules)).
//!
//! Rules live under the top-level `rules` key of the `--config` file (YAML or JSON; the
//! other keys are server settings and are skipped here). Each rule is:
//!
//! ```yaml
//! rules:
//!   - name: weather            # optional; needed for `x-mock-rule` and shown in the log
//!     priority: 10             # higher is tried first (default 0); ties go in file order
//!     match:                   # every given condition must hold; no `match` matches all
//!       endpoint: /chat/completions      # a path (with or without /v1), "POST /path", or a list
//!       operation: createChatCompletion  # an operation id, or a list
//!                                        # (a Realtime turn: endpoint /realtime, or
//!                                        #  operation realtime-websocket)
//!       model: gpt-4o                    # exact model id, or a list
//!       last_user_message: "(?i)weather" # regex, searched in the last user message
//!       system_prompt: "pirate"          # regex, searched in the system/developer prompt
//!       tools: true                      # whether the request offers tools
//!       headers: {x-tenant: "^acme$"}    # regex per request header (name case-insensitive)
//!       body: {/temperature: 0}          # JSON pointer -> value equality
//!     reply: {text: "Sunny, 21 °C."}     # one step, or:
//!     sequence: [{text: A}, {text: B}]   # the 1st call gets A, the 2nd B, ...
//!     after_sequence: repeat_last        # repeat_last (default) | cycle | stop
//! ```
//!
//! A step has at most one of:
//! - `text` and/or `tool_calls` (`[{name, arguments, id?}]`): the assistant's output, which
//!   then flows through the endpoint's normal behaviour (usage, streaming, ...); and/or
//!   `tool_results`, an object keyed by hosted tool type (`web_search`, `code_interpreter`,
//!   `image_generation`, ...) whose entry pins that tool's result (see each tool's module in
//!   `endpoints::responses::hosted`), so the tool acts with it;
//! - `body` (inline) or `body_file` (relative to the rules file; JSON, or YAML for
//!   `.yaml`/`.yml`), with an optional `status` (default 200): the whole answer;
//! - `error`: a preset name (`error: overloaded`) or `{status, type, code, message, param,
//!   headers}`; given `headers` replace the preset's;
//!
//! plus any latency and stream settings (`latency_ms`, `jitter_ms`, `ttft_ms`,
//! `chunk_interval_ms`, `chunk_tokens`, `stream_cut_after`, `stream_error_after`,
//! `stream_stall_after`, `stream_stall_ms`). A step with only those keeps the normal answer
//! and just delays or disturbs it. Every string of `text`, `tool_calls` arguments, `body`
//! and the error `message` is a [`template`](super::template).
//!
//! Any mistake (unknown key, bad regex, unknown operation or template variable, unreadable
//! body file, ...) is a [`RulesError`] naming the file, line and column.

use super::faults::{self, Failure};
use super::latency::Overrides;
use super::rules::{Action, AfterSequence, Matcher, Rule, RuleSet, Step, ToolCallTemplate};
use super::template::{Template, TemplateValue};
use crate::catalog::Catalog;
use crate::endpoints::realtime::turns::matchable_socket_operations;
use poem::http::{HeaderName, HeaderValue};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};
use serde_saphyr::Spanned;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// A mistake in the rules file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct RulesError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

impl RuleSet {
    /// Reads and compiles the `rules` of the file at `path`.
    pub fn load(path: &Path, catalog: &Catalog) -> Result<RuleSet, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read the file: {e}"),
        })?;
        RuleSet::parse(&text, path, catalog)
    }

    /// Compiles the `rules` of a config document; `path` names it in errors and anchors
    /// `body_file` paths.
    pub fn parse(text: &str, path: &Path, catalog: &Catalog) -> Result<RuleSet, RulesError> {
        let error = |line: u32, column: u32, message: String| RulesError {
            file: path.to_path_buf(),
            line,
            column,
            message,
        };
        let document: Document = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
            error(line, column, first_line(&e.to_string()))
        })?;
        let specs = document.rules.map(|r| r.value).unwrap_or_default();
        let base = path.parent().unwrap_or(Path::new("."));
        let mut rules = Vec::with_capacity(specs.len());
        let mut names = HashSet::new();
        for (index, spec) in specs.into_iter().enumerate() {
            let line = spec.referenced.line() as u32;
            let column = spec.referenced.column() as u32;
            let rule = compile_rule(index, spec.value, line, base, catalog).map_err(|e| {
                let (line, column) = e.at.unwrap_or((line, column));
                error(line, column, e.message)
            })?;
            if rule.named && !names.insert(rule.name.clone()) {
                return Err(error(
                    line,
                    column,
                    format!("rule name `{}` is used twice", rule.name),
                ));
            }
            rules.push(rule);
        }
        // A stable sort keeps file order within a priority.
        rules.sort_by_key(|rule| std::cmp::Reverse(rule.priority));
        Ok(RuleSet { rules })
    }
}

/// The first line of a multi-line parser message (the rest is a source snippet), without
/// the parser's own `error: line L column C:` prefix (the location is reported apart).
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((place, rest)) if place.contains(" column ") => rest.to_string(),
        _ => line.to_string(),
    }
}

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    rules: Option<Spanned<Vec<Spanned<RuleSpec>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: Option<String>,
    #[serde(default)]
    priority: i64,
    #[serde(rename = "match", default)]
    matcher: MatchSpec,
    reply: Option<Spanned<StepSpec>>,
    sequence: Option<Spanned<Vec<Spanned<StepSpec>>>>,
    #[serde(default)]
    after_sequence: AfterSequence,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MatchSpec {
    endpoint: Option<Spanned<OneOrMany>>,
    operation: Option<Spanned<OneOrMany>>,
    model: Option<OneOrMany>,
    last_user_message: Option<Spanned<String>>,
    system_prompt: Option<Spanned<String>>,
    tools: Option<bool>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    body: Option<Spanned<Map<String, Value>>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    text: Option<String>,
    tool_calls: Option<Vec<ToolCallSpec>>,
    tool_results: Option<Map<String, Value>>,
    body: Option<Value>,
    body_file: Option<String>,
    status: Option<u16>,
    error: Option<Value>,
    latency_ms: Option<u64>,
    jitter_ms: Option<u64>,
    ttft_ms: Option<u64>,
    chunk_interval_ms: Option<u64>,
    chunk_tokens: Option<usize>,
    stream_cut_after: Option<usize>,
    stream_error_after: Option<usize>,
    stream_stall_after: Option<usize>,
    stream_stall_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolCallSpec {
    name: String,
    #[serde(default)]
    arguments: Value,
    id: Option<String>,
}

/// A compile error, optionally at a more precise place than the rule.
struct Located {
    at: Option<(u32, u32)>,
    message: String,
}

fn at<T>(spanned: &Spanned<T>) -> Option<(u32, u32)> {
    Some((
        spanned.referenced.line() as u32,
        spanned.referenced.column() as u32,
    ))
}

fn fail<T>(place: Option<(u32, u32)>, message: String) -> Result<T, Located> {
    Err(Located { at: place, message })
}

fn compile_rule(
    index: usize,
    spec: RuleSpec,
    line: u32,
    base: &Path,
    catalog: &Catalog,
) -> Result<Rule, Located> {
    let label = match &spec.name {
        Some(name) => format!("rule `{name}`"),
        None => format!("rule #{}", index + 1),
    };
    let in_rule = |place: Option<(u32, u32)>, message: String| Located {
        at: place,
        message: format!("{label}: {message}"),
    };
    let matcher = compile_matcher(spec.matcher, catalog).map_err(|e| in_rule(e.at, e.message))?;
    let steps_spec: Vec<Spanned<StepSpec>> = match (spec.reply, spec.sequence) {
        (Some(reply), None) => vec![reply],
        (None, Some(sequence)) if !sequence.value.is_empty() => sequence.value,
        (None, Some(sequence)) => {
            return Err(in_rule(at(&sequence), "`sequence` is empty".into()));
        }
        (Some(_), Some(_)) => {
            return Err(in_rule(None, "give `reply` or `sequence`, not both".into()))
        }
        (None, None) => {
            return Err(in_rule(
                None,
                "give `reply: {...}` or `sequence: [...]` (what to answer)".into(),
            ))
        }
    };
    let mut steps = Vec::with_capacity(steps_spec.len());
    for step in steps_spec {
        let place = at(&step);
        steps.push(compile_step(step.value, base).map_err(|e| in_rule(e.at.or(place), e.message))?);
    }
    Ok(Rule {
        name: spec
            .name
            .clone()
            .unwrap_or_else(|| format!("#{}", index + 1)),
        named: spec.name.is_some(),
        priority: spec.priority,
        line,
        added: false,
        matcher,
        steps,
        after_sequence: spec.after_sequence,
    })
}

fn compile_regex(spanned: Spanned<String>, what: &str) -> Result<Regex, Located> {
    RegexBuilder::new(&spanned.value)
        .size_limit(1 << 20)
        .build()
        .or_else(|e| {
            fail(
                at(&spanned),
                format!(
                    "match.{what}: invalid regex: {}",
                    first_line(&e.to_string())
                ),
            )
        })
}

fn compile_matcher(spec: MatchSpec, catalog: &Catalog) -> Result<Matcher, Located> {
    let mut matcher = Matcher {
        models: spec.model.map(OneOrMany::into_vec),
        tools: spec.tools,
        ..Matcher::default()
    };
    if let Some(operation) = spec.operation {
        let place = at(&operation);
        let ids = operation.value.into_vec();
        for id in &ids {
            let socket = || matchable_socket_operations().any(|op| op.id == *id);
            if catalog.operation(id).is_none() && !socket() {
                return fail(
                    place,
                    format!("match.operation: no operation is called `{id}`"),
                );
            }
        }
        matcher.operations = Some(ids.into_iter().collect());
    }
    if let Some(endpoint) = spec.endpoint {
        let place = at(&endpoint);
        let mut ids = HashSet::new();
        for text in endpoint.value.into_vec() {
            let (method, path) = match text.trim().split_once(' ') {
                Some((method, path)) => (Some(method.to_ascii_uppercase()), path.trim()),
                None => (None, text.trim()),
            };
            let base = catalog.base_path.as_str();
            let path = path
                .strip_prefix(base)
                .filter(|rest| rest.starts_with('/'))
                .unwrap_or(path);
            let before = ids.len();
            // A Realtime socket's turns match its pseudo-operation (`/realtime`).
            let sockets: Vec<&crate::catalog::Operation> = matchable_socket_operations().collect();
            for op in catalog.operations.iter().chain(sockets) {
                if op.path == path && method.as_ref().is_none_or(|m| *m == op.method) {
                    ids.insert(op.id.clone());
                }
            }
            if ids.len() == before {
                return fail(
                    place,
                    format!(
                        "match.endpoint: no operation has the endpoint `{text}` (write the \
                         spec's path, e.g. `/chat/completions` or `GET /files/{{file_id}}`)"
                    ),
                );
            }
        }
        matcher.endpoints = Some(ids);
    }
    if let Some(regex) = spec.last_user_message {
        matcher.last_user_message = Some(compile_regex(regex, "last_user_message")?);
    }
    if let Some(regex) = spec.system_prompt {
        matcher.system_prompt = Some(compile_regex(regex, "system_prompt")?);
    }
    for (name, regex) in spec.headers {
        let place = at(&regex);
        let header =
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).or_else(|_| {
                fail(
                    place,
                    format!("match.headers: `{name}` is not a header name"),
                )
            })?;
        matcher
            .headers
            .push((header, compile_regex(regex, "headers")?));
    }
    if let Some(body) = spec.body {
        let place = at(&body);
        for (pointer, value) in body.value {
            if !(pointer.is_empty() || pointer.starts_with('/')) {
                return fail(
                    place,
                    format!("match.body: `{pointer}` is not a JSON pointer; write `/{pointer}`"),
                );
            }
            matcher.body.push((pointer, value));
        }
    }
    Ok(matcher)
}

fn compile_step(spec: StepSpec, base: &Path) -> Result<Step, Located> {
    let overrides = Overrides {
        latency_ms: spec.latency_ms,
        jitter_ms: spec.jitter_ms,
        ttft_ms: spec.ttft_ms,
        chunk_interval_ms: spec.chunk_interval_ms,
        chunk_tokens: spec.chunk_tokens,
        stream_cut_after: spec.stream_cut_after,
        stream_error_after: spec.stream_error_after,
        stream_stall_after: spec.stream_stall_after,
        stream_stall_ms: spec.stream_stall_ms,
    };
    if spec.chunk_tokens == Some(0) {
        return fail(None, "`chunk_tokens` must be at least 1".into());
    }
    let scripted = spec.text.is_some() || spec.tool_calls.is_some() || spec.tool_results.is_some();
    let whole = spec.body.is_some() || spec.body_file.is_some();
    let kinds = [scripted, whole, spec.error.is_some()];
    if kinds.iter().filter(|k| **k).count() > 1 {
        return fail(
            None,
            "a step gives at most one of `text`/`tool_calls`/`tool_results`, `body`/`body_file` \
             and `error`"
                .into(),
        );
    }
    if spec.status.is_some() && !whole {
        return fail(None, "`status` goes with `body` or `body_file`".into());
    }
    let template = |text: &str, what: &str| {
        Template::parse(text).or_else(|e| fail(None, format!("{what}: {e}")))
    };
    let action = if let Some(error) = spec.error {
        compile_error(&error)?
    } else if whole {
        let body = match (spec.body, spec.body_file) {
            (Some(body), None) => body,
            (None, Some(file)) => read_body_file(&base.join(&file), &file)?,
            _ => return fail(None, "give `body` or `body_file`, not both".into()),
        };
        let status = spec.status.unwrap_or(200);
        if !(100..=599).contains(&status) {
            return fail(None, format!("`status` {status} is not an HTTP status"));
        }
        Action::Body {
            status,
            body: TemplateValue::compile(&body).or_else(|e| fail(None, format!("body: {e}")))?,
        }
    } else {
        let text = spec
            .text
            .as_deref()
            .map(|text| template(text, "text"))
            .transpose()?;
        let mut tool_calls = Vec::new();
        for call in spec.tool_calls.unwrap_or_default() {
            let arguments = match call.arguments {
                Value::Null => Value::Object(Map::new()),
                other @ (Value::Object(_) | Value::String(_)) => other,
                _ => {
                    return fail(
                        None,
                        format!(
                            "tool_calls `{}`: `arguments` must be an object or a JSON string",
                            call.name
                        ),
                    )
                }
            };
            tool_calls.push(ToolCallTemplate {
                arguments: TemplateValue::compile(&arguments)
                    .or_else(|e| fail(None, format!("tool_calls `{}`: {e}", call.name)))?,
                name: call.name,
                id: call.id,
            });
        }
        let tool_results = spec
            .tool_results
            .map(|results| {
                TemplateValue::compile(&Value::Object(results))
                    .or_else(|e| fail(None, format!("tool_results: {e}")))
            })
            .transpose()?;
        Action::Behave {
            text,
            tool_calls,
            tool_results,
        }
    };
    Ok(Step { action, overrides })
}

fn read_body_file(path: &Path, shown: &str) -> Result<Value, Located> {
    let text = std::fs::read_to_string(path)
        .or_else(|e| fail(None, format!("body_file `{shown}`: cannot read it: {e}")))?;
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if yaml {
        serde_saphyr::from_str(&text).or_else(|e| {
            fail(
                None,
                format!("body_file `{shown}`: {}", first_line(&e.to_string())),
            )
        })
    } else {
        serde_json::from_str(&text)
            .or_else(|e| fail(None, format!("body_file `{shown}`: not valid JSON: {e}")))
    }
}

fn compile_error(spec: &Value) -> Result<Action, Located> {
    let presets = || crate::config::ERROR_PRESETS.join(", ");
    let fields = match spec {
        Value::String(name) => {
            return match faults::preset(name) {
                Some(Failure::ConnectionReset) => Ok(Action::ConnectionReset),
                Some(Failure::Error(error)) => Ok(Action::Error {
                    message: Template::parse(&error.error.message)
                        .or_else(|e| fail(None, format!("error: {e}")))?,
                    error,
                }),
                None => fail(
                    None,
                    format!(
                        "error: unknown preset `{name}`; the presets are {}",
                        presets()
                    ),
                ),
            }
        }
        Value::Object(fields) => fields,
        _ => {
            return fail(
                None,
                format!(
                "error: give a preset name ({}) or {{status, type, code, message, param, headers}}",
                presets()
            ),
            )
        }
    };
    for key in fields.keys() {
        if !matches!(
            key.as_str(),
            "status" | "type" | "code" | "message" | "param" | "headers"
        ) {
            return fail(
                None,
                format!("error: unknown field `{key}`; the fields are status, type, code, message, param and headers"),
            );
        }
    }
    let status = fields
        .get("status")
        .and_then(Value::as_u64)
        .filter(|s| (400..=599).contains(s))
        .ok_or_else(|| Located {
            at: None,
            message: "error: `status` (400-599) is required".into(),
        })? as u16;
    let mut simulated = faults::for_status(status);
    let text = |key: &str| -> Result<Option<Option<String>>, Located> {
        match fields.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => fail(None, format!("error: `{key}` must be a string or null")),
        }
    };
    if let Some(kind) = text("type")? {
        simulated.error.kind = kind.unwrap_or_default();
    }
    if let Some(code) = text("code")? {
        simulated.error.code = code;
    }
    if let Some(param) = text("param")? {
        simulated.error.param = param;
    }
    if let Some(message) = text("message")? {
        simulated.error.message = message.unwrap_or_default();
    }
    if let Some(headers) = fields.get("headers") {
        let Value::Object(headers) = headers else {
            return fail(
                None,
                "error: `headers` must be a mapping of names to values".into(),
            );
        };
        simulated.headers.clear();
        for (name, value) in headers {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return fail(None, format!("error: header `{name}` must be a scalar")),
            };
            if HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).is_err()
                || HeaderValue::from_str(&value).is_err()
            {
                return fail(
                    None,
                    format!("error: `{name}: {value}` is not a valid header"),
                );
            }
            simulated.headers.push((name.to_ascii_lowercase(), value));
        }
    }
    Ok(Action::Error {
        message: Template::parse(&simulated.error.message)
            .or_else(|e| fail(None, format!("error.message: {e}")))?,
        error: simulated,
    })
}

#[cfg(test)]
mod tests;
