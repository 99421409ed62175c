//! Criterion benches for the store, through real HTTP against an in-process server:
//!
//! - `state/files.create 1 KB`: a multipart upload of 1 KB, stored;
//! - `state/files.retrieve`: a stored file read back;
//! - `state/files.list of 1,000`: a page of 100 from a namespace holding 1,000 files;
//! - `state/models.list (stateless)`: the same client and server on a stateless operation,
//!   the reference the stateful rows are read against.
//!
//! Run with `cargo bench --bench state`. Each figure includes the client (reqwest) and the
//! loopback HTTP round trip, so compare rows with each other, not with `benches/pipeline.rs`.

use criterion::{criterion_group, criterion_main, Criterion};
use openai_mock::MockServer;
use serde_json::Value;
use std::hint::black_box;

fn upload_form(bytes: usize) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("purpose", "assistants")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![b'a'; bytes]).file_name("bench.txt"),
        )
}

fn bench_files(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = runtime.block_on(MockServer::start());
    let base = server.base_url();
    let http = reqwest::Client::new();
    let create = |key: &'static str| {
        let http = http.clone();
        let url = format!("{base}/files");
        async move {
            let file: Value = http
                .post(url)
                .bearer_auth(key)
                .multipart(upload_form(1024))
                .send()
                .await
                .expect("the upload is answered")
                .json()
                .await
                .expect("a file object");
            file["id"].as_str().unwrap_or_default().to_string()
        }
    };
    let mut group = c.benchmark_group("state");
    group.bench_function("files.create 1 KB", |b| {
        b.to_async(&runtime).iter(|| create("sk-bench-create"))
    });
    // Start over, so the other rows do not pay for the files created above.
    server.reset_state(None);
    let id = runtime.block_on(create("sk-bench-retrieve"));
    let retrieve_url = format!("{base}/files/{id}");
    group.bench_function("files.retrieve", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer = http
                .get(&retrieve_url)
                .bearer_auth("sk-bench-retrieve")
                .send()
                .await
                .expect("answered");
            black_box(answer.bytes().await.expect("a body"))
        })
    });
    runtime.block_on(async {
        for _ in 0..1_000 {
            create("sk-bench-list").await;
        }
    });
    let list_url = format!("{base}/files?limit=100");
    group.bench_function("files.list of 1,000", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer = http
                .get(&list_url)
                .bearer_auth("sk-bench-list")
                .send()
                .await
                .expect("answered");
            black_box(answer.bytes().await.expect("a body"))
        })
    });
    let models_url = format!("{base}/models");
    group.bench_function("models.list (stateless)", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer = http
                .get(&models_url)
                .bearer_auth("sk-bench-models")
                .send()
                .await
                .expect("answered");
            black_box(answer.bytes().await.expect("a body"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_files);
criterion_main!(benches);
