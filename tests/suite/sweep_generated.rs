//! The whole-spec property check: every operation answers at least [`PER_OPERATION`]
//! distinct generated requests, each valid against the operation's own request schemas,
//! with a 2xx whose body validates against the response schema (or whose events validate
//! against the event schema, when the request asked for a stream).
//!
//! Requests come from the spec through the varied generator (`Generator::varied`), seeded
//! from the operation id and the seed number, so optional properties, union branches, enum
//! values, array lengths, map entries, empty strings, query parameters and path ids differ
//! from one request to the next, and every run sends the same requests. [`SEEDS`] seeds are
//! tried per operation (set `OPENAI_MOCK_SWEEP_SEEDS` for a deeper run by hand); duplicates
//! are sent once, except for operations with fewer distinct requests than that
//! ([`FEW_REQUESTS`], and those that take no input at all). Answers are checked with `format`
//! asserted, requests as the mock checks them (`format` as an annotation), so a request may
//! say `"image_url": ""` and its answer must still hold a URI there.
//!
//! A generated body or query that fails its own request schema is a generator defect and
//! fails the test. A 4xx is accepted only where the mock deliberately refuses what the real
//! API refuses beyond the schema ([`DELIBERATE`]); such requests do not count towards
//! [`PER_OPERATION`]. A form (multipart or url-encoded) has no way to say `null`, `[]` or
//! `{}`, so a generated form body whose required field is one of those cannot be sent as
//! generated; those are counted and bounded ([`UNSENDABLE_ONE_IN`]).
//!
//! All failures are gathered into one assertion message: operation, seed, the first schema
//! errors, and trimmed request and answer bodies. `sweep_regressions` pins, one request
//! each, the defects this sweep found.

use crate::sweep::{
    content_type_of, event_errors, form_fields, query_string, request, request_errors,
    schema_errors, start, Sweep,
};
use futures_util::StreamExt;
use openai_mock::catalog::{Catalog, Operation};
use openai_mock::endpoints::models::known_ids;
use openai_mock::generate::{fnv1a, new_id, Generator, Rng};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

/// Distinct requests per operation that must come back 2xx and schema-valid.
const PER_OPERATION: usize = 20;
/// Seeds tried per operation (most give a new request; the rest are duplicates or
/// deliberate refusals).
const SEEDS: u64 = 100;
/// The time stamped into generated timestamps (`created_after`, ...).
const NOW: i64 = 1_700_000_000;
/// Operations checked at the same time.
const CONCURRENCY: usize = 4;
/// At most one generated request in this many may be a form body that cannot be sent as
/// generated (about one in 4,000 is).
const UNSENDABLE_ONE_IN: usize = 500;

/// A refusal beyond the schema that the mock makes on purpose, as the real API does.
struct Refusal {
    /// The operations that refuse.
    ops: &'static [&'static str],
    /// Words of the error message.
    words: &'static str,
    /// The error's `param`: one of these (any when empty).
    params: &'static [&'static str],
    /// Why a schema-valid request is refused.
    why: &'static str,
}

/// The refusals a generated request may meet; any other 4xx fails the test.
const DELIBERATE: &[Refusal] = &[
    Refusal {
        ops: &[
            "createMessage",
            "createThread",
            "createThreadAndRun",
            "createRun",
        ],
        words: "Expected a valid URL",
        params: &[],
        why: "an image part whose URL is not a URL",
    },
    Refusal {
        ops: &["createChatCompletion"],
        words: "'tool_calls'",
        params: &[],
        why: "a `tool` message that answers no call, or calls left unanswered",
    },
    Refusal {
        ops: &["createResponse", "beta_createResponse"],
        words: "No tool call found for",
        params: &["input"],
        why: "a tool output item whose call is not in the input",
    },
    Refusal {
        ops: &["createResponse", "beta_createResponse"],
        words: "could not be verified",
        params: &[],
        why: "encrypted reasoning content the mock did not make",
    },
    Refusal {
        ops: &[
            "createChatCompletion",
            "createResponse",
            "beta_createResponse",
        ],
        words: "Invalid schema for",
        params: &[],
        why: "a strict schema outside the supported subset",
    },
    Refusal {
        ops: &["createEmbedding"],
        words: "'$.input' is invalid",
        params: &[],
        why: "an empty string among the inputs",
    },
    Refusal {
        ops: &["createEmbedding"],
        words: "does not support specifying dimensions",
        params: &[],
        why: "`dimensions` with text-embedding-ada-002",
    },
    Refusal {
        ops: &["createChatCompletion"],
        words: "must contain the word 'json'",
        params: &[],
        why: "`json_object` output without the word json in the messages",
    },
    Refusal {
        ops: &["createResponse", "beta_createResponse"],
        words: "must contain the word 'json'",
        params: &["input"],
        why: "`json_object` output without the word json in the input",
    },
    Refusal {
        ops: &["createResponse", "beta_createResponse"],
        words: "Background mode requires `store` to be true",
        params: &["background"],
        why: "`background: true` with `store: false`",
    },
    Refusal {
        ops: &[
            "createChatCompletion",
            "createResponse",
            "beta_createResponse",
        ],
        words: "is only allowed when 'tools' are specified",
        params: &["tool_choice"],
        why: "a `tool_choice` without `tools`",
    },
    Refusal {
        ops: &[
            "createChatCompletion",
            "createResponse",
            "beta_createResponse",
        ],
        words: "no tool named",
        params: &["tool_choice", "function_call"],
        why: "a `tool_choice` (or `function_call`) naming a tool the request does not define",
    },
    Refusal {
        ops: &["createModeration"],
        words: "Image inputs are not supported by the model",
        params: &["input"],
        why: "an image input for a text-only moderation model",
    },
    Refusal {
        ops: &["createTranscription"],
        words: "is not compatible with model",
        params: &["response_format"],
        why: "a `response_format` the transcription model does not offer",
    },
    Refusal {
        ops: &["createImage", "createImageEdit", "createImageVariation"],
        words: "Supported values are",
        params: &["size"],
        why: "a `size` the image model does not offer",
    },
    Refusal {
        ops: &["createImage", "createImageEdit", "createImageVariation"],
        words: "The size must be 'auto' or WIDTHxHEIGHT",
        params: &["size"],
        why: "a `size` that is not WIDTHxHEIGHT",
    },
    Refusal {
        ops: &["createImage"],
        words: "You must provide n=1 for this model",
        params: &["n"],
        why: "more than one image from dall-e-3",
    },
    Refusal {
        ops: &["createFile"],
        words: "Invalid file format for",
        params: &["file"],
        why: "a `batch` or `fine-tune` file that is not chat-formatted JSONL",
    },
    Refusal {
        ops: &["createFineTuningJob"],
        words: "is not available for fine-tuning or does not exist",
        params: &["model"],
        why: "a model that cannot be fine-tuned",
    },
    Refusal {
        ops: &[
            "createVectorStore",
            "createVectorStoreFile",
            "createVectorStoreFileBatch",
        ],
        words: "The overlap must not exceed half of max_chunk_size_tokens",
        params: &["chunking_strategy"],
        why: "a static chunking overlap above half the chunk size",
    },
    Refusal {
        ops: &["searchVectorStore"],
        words: "comparison does not accept",
        params: &[],
        why: "a filter comparing with a value of a type its comparison does not take",
    },
];

/// Operations that take input, but fewer than [`PER_OPERATION`] distinct requests of it:
/// they are sent every generated request, repeats included.
const FEW_REQUESTS: &[(&str, &str)] = &[(
    "update-organization-data-retention",
    "the body is one `retention_type` of four",
)];

/// One generated request.
struct Case {
    seed: u64,
    url: String,
    body: Option<(String, Value)>,
}

impl Case {
    /// What identifies the request, for distinctness.
    fn key(&self) -> String {
        format!("{} {:?}", self.url, self.body)
    }

    /// The request, trimmed, for failure messages.
    fn shown(&self) -> String {
        let body = self
            .body
            .as_ref()
            .map_or_else(String::new, |(_, body)| body.to_string());
        format!("{} {}", self.url, trim(&body, 300))
    }
}

fn trim(text: &str, most: usize) -> String {
    match text.char_indices().nth(most) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// The generator for part `part` (path, query, body) of request `seed` of `op`.
fn generator<'a>(catalog: &'a Catalog, op: &Operation, seed: u64, part: &str) -> Generator<'a> {
    static NO_FIXTURES: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let rng = Rng::new(fnv1a(&[
        op.id.as_bytes(),
        part.as_bytes(),
        &seed.to_le_bytes(),
    ]));
    Generator::new(
        &catalog.schemas,
        NO_FIXTURES.get_or_init(Map::new),
        rng,
        NOW,
    )
    .varied()
}

/// Whether `op` has at least [`PER_OPERATION`] distinct requests: it takes something (path
/// parameters, query parameters or a body) and is not one of [`FEW_REQUESTS`]. One that
/// takes nothing is sent the same request every time.
fn has_distinct_requests(catalog: &Catalog, op: &Operation) -> bool {
    let query = catalog.schemas.target(op.query);
    if FEW_REQUESTS.iter().any(|(id, _)| *id == op.id) {
        return false;
    }
    op.params.iter().any(|p| p.location == "path")
        || query
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
        || op.body.is_some()
}

/// Why request `seed` of `op` could not be built.
enum Unbuilt {
    /// The generator made a request its own schema rejects.
    Invalid(String),
    /// A form body whose required field is `null`, `[]` or `{}`, which a form cannot carry.
    Unsendable,
}

/// Request `seed` of `op`.
fn build(sweep: &Sweep, op: &Operation, seed: u64) -> Result<Case, Unbuilt> {
    let catalog = &sweep.catalog;
    let mut path = op.path.clone();
    let mut ids = generator(catalog, op, seed, "path");
    for param in op.params.iter().filter(|p| p.location == "path") {
        // Models are looked up: retrieve a known one, delete a fine-tuned one.
        let value = match (param.name.as_str(), op.method.as_str()) {
            ("model", "DELETE") => format!(
                "ft:gpt-4o-mini-2024-07-18:openai-mock::{}",
                ids.rng.alphanumeric(8)
            ),
            ("model", _) => {
                let known = known_ids(catalog);
                known[ids.rng.below(known.len() as u64) as usize].clone()
            }
            (name, _) => {
                let stem = name.strip_suffix("_id").unwrap_or(name);
                new_id(&mut ids.rng, &format!("{stem}_"))
            }
        };
        path = path.replace(&format!("{{{}}}", param.name), &value);
    }
    let query = generator(catalog, op, seed, "query").generate(catalog.schemas.target(op.query));
    let mut problems = request_errors(catalog, op.query, &query);
    let query = query_string(&query);
    let url = match query.is_empty() {
        true => format!("{}{path}", sweep.base),
        false => format!("{}{path}?{query}", sweep.base),
    };
    let mut unsendable = false;
    let body = op.body.as_ref().and_then(|body| {
        // Operations that take several media types get each in turn.
        let media = body
            .content
            .get(seed as usize % body.content.len().max(1))?;
        let schema = catalog.schemas.target(media.schema);
        let value = generator(catalog, op, seed, "body").generate(schema);
        problems.extend(request_errors(catalog, media.schema, &value));
        if media.media_type != "application/json" {
            unsendable = loses_required_field(catalog, media.schema, &value);
        }
        Some((media.media_type.clone(), value))
    });
    let case = Case { seed, url, body };
    if !problems.is_empty() {
        return Err(Unbuilt::Invalid(format!(
            "generated request is invalid: {}\n    request: {}",
            problems.join("; "),
            case.shown()
        )));
    }
    if unsendable {
        return Err(Unbuilt::Unsendable);
    }
    Ok(case)
}

/// Whether encoding `body` as a form drops a field its schema requires.
fn loses_required_field(catalog: &Catalog, schema: usize, body: &Value) -> bool {
    let (resolved, _) = catalog.schemas.resolve(catalog.schemas.target(schema));
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let sent: HashSet<String> = form_fields(catalog, schema, body)
        .into_iter()
        .map(|(name, _, _)| name.split('[').next().unwrap_or_default().to_string())
        .collect();
    required
        .iter()
        .any(|name| body.get(*name).is_some() && !sent.contains(*name))
}

/// What came back for one request.
enum Verdict {
    /// A 2xx that checked out.
    Valid,
    /// A deliberate refusal listed in [`DELIBERATE`], and why.
    Refused(&'static str),
    /// Anything else, described.
    Failed(String),
}

async fn check(sweep: &Sweep, op: &Operation, case: &Case) -> Verdict {
    let response = match request(sweep, op, &case.url, case.body.as_ref())
        .send()
        .await
    {
        Ok(response) => response,
        Err(e) => return Verdict::Failed(format!("not answered: {e}")),
    };
    let status = response.status();
    let content_type = content_type_of(&response);
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => return Verdict::Failed(format!("{status}, body not read: {e}")),
    };
    let text = String::from_utf8_lossy(&bytes);
    if !status.is_success() {
        let error = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .map(|v| v["error"].clone())
            .unwrap_or_default();
        let message = error["message"].as_str().unwrap_or_default();
        let param = error["param"].as_str();
        let deliberate = DELIBERATE.iter().find(|refusal| {
            refusal.ops.contains(&op.id.as_str())
                && message.contains(refusal.words)
                && (refusal.params.is_empty() || param.is_some_and(|p| refusal.params.contains(&p)))
        });
        if let Some(refusal) = deliberate.filter(|_| status.is_client_error()) {
            return Verdict::Refused(refusal.why);
        }
        return Verdict::Failed(format!("{status}: {}", trim(&text, 300)));
    }
    if content_type.starts_with("text/event-stream") {
        let errors = event_errors(&sweep.catalog, op, &text);
        return match errors.is_empty() {
            true => Verdict::Valid,
            false => Verdict::Failed(trim(&errors.join("\n    "), 600)),
        };
    }
    match (
        content_type.starts_with("application/json"),
        op.response.schema,
    ) {
        (true, Some(schema)) => {
            let body: Value = match serde_json::from_slice(&bytes) {
                Ok(body) => body,
                Err(e) => return Verdict::Failed(format!("not JSON: {e}")),
            };
            let errors = schema_errors(&sweep.catalog, schema, &body);
            match errors.is_empty() {
                true => Verdict::Valid,
                false => Verdict::Failed(format!(
                    "{}\n    answer: {}",
                    errors.join("; "),
                    trim(&body.to_string(), 400)
                )),
            }
        }
        // No body declared (a 204 and the like).
        _ if op.response.content_type.is_none() => Verdict::Valid,
        // A binary or text rendering (audio, images, srt, vtt, text).
        _ if bytes.is_empty() || content_type.is_empty() => {
            Verdict::Failed(format!("empty {content_type:?} answer"))
        }
        _ => Verdict::Valid,
    }
}

/// What one operation's requests gave.
#[derive(Default)]
struct Tally {
    generated: usize,
    valid: usize,
    refused: BTreeMap<&'static str, usize>,
    unsendable: usize,
    failures: Vec<String>,
}

async fn check_operation(sweep: &Sweep, op: &Operation) -> Tally {
    let mut tally = Tally::default();
    let mut seen = HashSet::new();
    let what = format!("{} {} ({})", op.method, op.path, op.id);
    let distinct = has_distinct_requests(&sweep.catalog, op);
    let seeds = std::env::var("OPENAI_MOCK_SWEEP_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(SEEDS);
    for seed in 0..seeds {
        tally.generated += 1;
        let case = match build(sweep, op, seed) {
            Ok(case) => case,
            Err(Unbuilt::Invalid(problem)) => {
                tally
                    .failures
                    .push(format!("{what} seed {seed}: {problem}"));
                continue;
            }
            Err(Unbuilt::Unsendable) => {
                tally.unsendable += 1;
                continue;
            }
        };
        if !seen.insert(case.key()) && distinct {
            continue;
        }
        match check(sweep, op, &case).await {
            Verdict::Valid => tally.valid += 1,
            Verdict::Refused(why) => *tally.refused.entry(why).or_default() += 1,
            Verdict::Failed(why) => tally.failures.push(format!(
                "{what} seed {}: {why}\n    request: {}",
                case.seed,
                case.shown()
            )),
        }
    }
    if tally.valid < PER_OPERATION {
        tally.failures.push(format!(
            "{what}: only {} requests checked out in {seeds} seeds \
             ({} refused on purpose, {} not sendable as a form)",
            tally.valid,
            tally.refused.values().sum::<usize>(),
            tally.unsendable
        ));
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_generated_valid_requests_with_schema_valid_answers() {
    let sweep = start().await;
    let operations = &sweep.catalog.operations;
    let tallies: Vec<Tally> = futures_util::stream::iter(operations)
        .map(|op| check_operation(&sweep, op))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let valid: usize = tallies.iter().map(|t| t.valid).sum();
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for (why, count) in tallies.iter().flat_map(|t| &t.refused) {
        *reasons.entry(why).or_default() += count;
    }
    let refused: usize = reasons.values().sum();
    let unsendable: usize = tallies.iter().map(|t| t.unsendable).sum();
    let generated: usize = tallies.iter().map(|t| t.generated).sum();
    let failures: Vec<&str> = tallies
        .iter()
        .flat_map(|t| &t.failures)
        .map(String::as_str)
        .collect();
    let fewest = tallies.iter().map(|t| t.valid).min().unwrap_or(0);
    eprintln!(
        "{} operations: {generated} requests generated, {valid} checked out (at least \
         {fewest} each), {refused} refused on purpose, {unsendable} not sendable as a form",
        operations.len()
    );
    for (why, count) in &reasons {
        eprintln!("  refused {count}: {why}");
    }
    assert_eq!(operations.len(), 288);
    assert!(
        failures.is_empty(),
        "{} failures ({valid} requests checked out, {refused} refused on purpose, \
         {unsendable} not sendable as a form):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        unsendable * UNSENDABLE_ONE_IN <= generated,
        "{unsendable} of {generated} generated requests were form bodies that could not be sent"
    );
    assert!(valid >= operations.len() * PER_OPERATION);
}
