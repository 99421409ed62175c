//! Criterion benches for the request pipeline's CPU stages, per representative operation.
//!
//! For chat completions, responses, embeddings and a multipart file upload, each stage is
//! measured on its own, through the library's public API:
//!
//! - `validate/<op>`: [`validate::validate`] on the raw body (JSON parse or multipart
//!   decode, unknown-argument check, JSON Schema validation);
//! - `generate/<op>`: [`Endpoint::start`] (the generated instance, or an empty object for an
//!   endpoint that builds its whole answer) plus the endpoint's `shape`, i.e. everything that
//!   builds the answer as a `serde_json::Value`;
//! - `serialise/<op>`: `serde_json::to_vec` of that answer;
//! - `stream/chat`: the server-sent events of a streamed chat completion, encoded.
//!
//! Run with `cargo bench --bench pipeline` (add `-- validate/chat` to filter). The HTTP
//! stack around these stages is measured by `bench/load.sh`.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use openai_mock::catalog::{Catalog, Operation};
use openai_mock::endpoints::{Call, Endpoint, Options, Table};
use openai_mock::generate::{Generator, Rng};
use openai_mock::services::sse::Event;
use openai_mock::validate::{self, ValidRequest};
use std::hint::black_box;
use std::sync::Arc;

/// The Unix time stamped into generated answers (fixed, so runs are comparable).
const NOW: i64 = 1_750_000_000;

/// The multipart boundary of the upload case.
const BOUNDARY: &str = "----openai-mock-bench-boundary";

/// One representative request: which operation, and the bytes a client would send.
struct Case {
    name: &'static str,
    operation: &'static str,
    content_type: String,
    body: Bytes,
}

fn cases() -> Vec<Case> {
    let json = |name, operation, body: &str| Case {
        name,
        operation,
        content_type: "application/json".into(),
        body: Bytes::from(body.to_string()),
    };
    vec![
        json(
            "chat",
            "createChatCompletion",
            r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant that answers briefly."},{"role":"user","content":"Summarise the plot of Hamlet in two sentences for a reader who has never seen the play."}],"temperature":0.7,"max_tokens":200}"#,
        ),
        json(
            "responses",
            "createResponse",
            r#"{"model":"gpt-4o","instructions":"Answer in the voice of a patient teacher.","input":[{"role":"user","content":"Explain in a short paragraph why the sky looks blue during the day and red at sunset."}],"temperature":0.5,"max_output_tokens":300}"#,
        ),
        json(
            "embeddings",
            "createEmbedding",
            r#"{"model":"text-embedding-3-small","input":["The quick brown fox jumps over the lazy dog.","A journey of a thousand miles begins with a single step.","To be, or not to be, that is the question."],"dimensions":1536,"encoding_format":"base64"}"#,
        ),
        upload_case(),
    ]
}

/// `POST /files` with a 64 KiB JSONL file, as the SDKs send it.
fn upload_case() -> Case {
    let line = r#"{"messages":[{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris."}]}"#;
    let mut file = String::new();
    while file.len() < 64 * 1024 {
        file.push_str(line);
        file.push('\n');
    }
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"train.jsonl\"\r\n\
         Content-Type: application/jsonl\r\n\r\n{file}\r\n--{BOUNDARY}--\r\n"
    );
    Case {
        name: "upload",
        operation: "createFile",
        content_type: format!("multipart/form-data; boundary={BOUNDARY}"),
        body: Bytes::from(body),
    }
}

fn operation<'a>(catalog: &'a Catalog, id: &str) -> &'a Operation {
    catalog
        .operation(id)
        .unwrap_or_else(|| panic!("the catalog has no operation {id}"))
}

async fn validated(catalog: &Catalog, op: &Operation, case: &Case) -> ValidRequest {
    validate::validate(
        catalog,
        op,
        Vec::new(),
        None,
        Some(&case.content_type),
        case.body.clone(),
    )
    .await
    .unwrap_or_else(|e| panic!("the {} bench body is invalid: {e:?}", case.name))
}

/// The endpoint entry of `op`, as the pipeline looks it up.
fn entry(catalog: &Catalog, op: &Operation) -> &'static Endpoint {
    let index = catalog
        .operations
        .iter()
        .position(|other| std::ptr::eq(other, op))
        .unwrap_or_else(|| panic!("{} is not in the catalog", op.id));
    Table::new(catalog).entry(index)
}

static STORE: std::sync::LazyLock<openai_mock::store::Store> = std::sync::LazyLock::new(|| {
    openai_mock::store::Store::in_memory(openai_mock::store::Settings::default())
});

fn call<'a>(catalog: &'a Catalog, op: &'a Operation, request: &'a ValidRequest) -> Call<'a> {
    Call {
        catalog,
        op,
        request,
        script: None,
        options: Options::default(),
        store: &STORE,
        namespace: "bench",
        dispatch: None,
    }
}

/// The shaped JSON answer, as the pipeline builds it, for `endpoint` (looked up once, as the
/// server does at startup, not per request).
fn answer(catalog: &Catalog, endpoint: &Endpoint, call: &Call) -> serde_json::Value {
    let mut generator = Generator::new(&catalog.schemas, &catalog.fixtures, Rng::new(7), NOW);
    let mut answer = endpoint
        .start(catalog, call, &mut generator)
        .unwrap_or(serde_json::Value::Null);
    (endpoint.shape)(call, &mut answer, &mut generator);
    answer
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("cannot build a tokio runtime: {e}"))
}

fn bench_validate(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    catalog.schemas.warm_up();
    let rt = runtime();
    let mut group = c.benchmark_group("validate");
    for case in cases() {
        let op = operation(&catalog, case.operation);
        group.throughput(Throughput::Bytes(case.body.len() as u64));
        group.bench_function(case.name, |b| {
            b.iter(|| rt.block_on(validated(&catalog, op, black_box(&case))))
        });
    }
    group.finish();
}

fn bench_generate(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    let rt = runtime();
    let mut group = c.benchmark_group("generate");
    for case in cases() {
        let op = operation(&catalog, case.operation);
        let request = rt.block_on(validated(&catalog, op, &case));
        let endpoint = entry(&catalog, op);
        let call = call(&catalog, op, &request);
        group.bench_function(case.name, |b| {
            b.iter(|| answer(&catalog, endpoint, black_box(&call)))
        });
    }
    group.finish();
}

fn bench_serialise(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    let rt = runtime();
    let mut group = c.benchmark_group("serialise");
    for case in cases() {
        let op = operation(&catalog, case.operation);
        let request = rt.block_on(validated(&catalog, op, &case));
        let answer = answer(&catalog, entry(&catalog, op), &call(&catalog, op, &request));
        let size = serde_json::to_vec(&answer).map_or(0, |v| v.len());
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(case.name, |b| {
            b.iter(|| serde_json::to_vec(black_box(&answer)))
        });
    }
    group.finish();
}

fn bench_stream(c: &mut Criterion) {
    let catalog: Arc<Catalog> = Catalog::embedded();
    let rt = runtime();
    let mut case = cases().swap_remove(0);
    case.body =
        Bytes::from(String::from_utf8_lossy(&case.body).replacen('{', r#"{"stream":true,"#, 1));
    let op = operation(&catalog, case.operation);
    let request = rt.block_on(validated(&catalog, op, &case));
    let endpoint = entry(&catalog, op);
    let call = call(&catalog, op, &request);
    let answer = answer(&catalog, endpoint, &call);
    let stream = endpoint.stream;
    let count = stream(&call, Some(&answer)).map_or(0, |events| events.len());
    let mut group = c.benchmark_group("stream");
    group.throughput(Throughput::Elements(count as u64));
    group.bench_function("chat", |b| {
        b.iter(|| {
            stream(&call, Some(black_box(&answer)))
                .unwrap_or_default()
                .iter()
                .map(Event::encode)
                .collect::<String>()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_validate,
    bench_generate,
    bench_serialise,
    bench_stream
);
criterion_main!(benches);
