//! Criterion bench of what the pipeline costs around a trivial endpoint: one request handed to
//! the server's [`Pipeline`] as poem hands it over (no TCP, no HTTP parsing), through route,
//! authentication, body, validation, the endpoint's check, the scenario plan, the request log
//! and the standard headers, and the answer's body read back.
//!
//! - `overhead/models.list`: `GET /v1/models`, whose answer is prebuilt bytes, so what is
//!   measured is the pipeline alone;
//! - `overhead/models.retrieve`: `GET /v1/models/gpt-4o`, a path parameter and a small
//!   generated answer;
//! - `overhead/invalid chat`: a chat completion without `messages`, answered with the 400
//!   envelope after validation;
//! - `overhead/unknown route`: the 404 before authentication;
//! - `overhead/accounting`: what the usage accounting adds to each request of a key (one
//!   sample added to its per-minute totals), alone;
//! - `overhead/key lookup`: finding a request's key in the organization's index, alone.
//!
//! Run with `cargo bench --bench overhead`. `bench/load.sh` measures the same requests over
//! real connections; `bench/README.md` says how the two relate.

use criterion::{criterion_group, criterion_main, Criterion};
use openai_mock::catalog::Catalog;
use openai_mock::config::Config;
use openai_mock::scenario;
use openai_mock::server::{self, Pipeline, ServerInfo};
use openai_mock::store::org::usage::{Sample, Tally};
use openai_mock::store::{Settings as StoreSettings, Store};
use poem::http::Method;
use poem::{Endpoint, Request};
use std::hint::black_box;
use std::sync::Arc;

/// The pipeline of a server started with the default configuration, and its store.
fn pipeline() -> (Pipeline, Arc<Store>) {
    let config = Config::default();
    let catalog = Catalog::embedded();
    let scenarios = Arc::new(
        scenario::Engine::new(catalog.clone(), scenario::Settings::from_config(&config))
            .expect("the default scenario settings load"),
    );
    let store = Arc::new(Store::in_memory(StoreSettings::default()));
    let info = ServerInfo {
        base_urls: vec!["http://127.0.0.1:0/v1".into()],
        tls_cert: None,
        spec_file: None,
    };
    let settings = server::settings(&config, info, scenarios, store.clone());
    (Pipeline::new(catalog, settings), store)
}

/// A request as poem hands it to the pipeline.
fn request(method: Method, uri: &str, body: Option<&'static str>) -> Request {
    let builder = Request::builder()
        .method(method)
        .uri(uri.parse().expect("a valid URI"))
        .header("authorization", "Bearer sk-bench");
    match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(body),
        None => builder.finish(),
    }
}

fn overhead(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let (pipeline, store) = pipeline();
    let cases: [(&str, Method, &str, Option<&'static str>, u16); 4] = [
        ("models.list", Method::GET, "/v1/models", None, 200),
        (
            "models.retrieve",
            Method::GET,
            "/v1/models/gpt-4o",
            None,
            200,
        ),
        (
            "invalid chat",
            Method::POST,
            "/v1/chat/completions",
            Some(r#"{"model":"gpt-4o-mini"}"#),
            400,
        ),
        ("unknown route", Method::GET, "/v1/nowhere", None, 404),
    ];
    let mut group = c.benchmark_group("overhead");
    for (name, method, uri, body, status) in cases {
        // Once outside the timing: the operation's validator compiles on first use.
        let first = runtime
            .block_on(pipeline.call(request(method.clone(), uri, body)))
            .expect("an answer");
        assert_eq!(first.status().as_u16(), status, "{name}");
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let response = pipeline
                    .call(request(method.clone(), uri, body))
                    .await
                    .expect("an answer");
                let bytes = response.into_body().into_bytes().await.expect("a body");
                black_box(bytes.len())
            })
        });
    }
    // The key the requests above used, registered in open mode on its first request.
    let key = store
        .org()
        .find_key("sk-bench")
        .expect("the bench key is registered");
    let tally = Tally {
        input_tokens: 20,
        output_tokens: 9,
        ..Tally::default()
    };
    group.bench_function("accounting", |b| {
        b.iter(|| {
            store.org().account(black_box(&Sample {
                at_ms: 1_765_000_000_000,
                project_id: &key.project_id,
                key_id: &key.id,
                model: "gpt-4o-mini",
                endpoint: "/chat/completions",
                status: 200,
                latency_ms: 0.4,
                tally,
            }))
        })
    });
    group.bench_function("key lookup", |b| {
        b.iter(|| black_box(store.org().find_key(black_box("sk-bench"))))
    });
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
