//! Criterion bench for `vector_stores.search` over 10,000 stored chunks: ten files of 1,000
//! chunks each (static chunking, 100 tokens, no overlap), ingested once through the
//! endpoint's own create; then the search endpoint's `shape` (query embedding, one dot
//! product per chunk, top 10, the page built) is measured on its own.
//!
//! Run with `cargo bench --bench vector_search`.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use openai_mock::catalog::{Catalog, Operation};
use openai_mock::endpoints::{vector_stores, Call, Options};
use openai_mock::generate::{self, Generator, Rng};
use openai_mock::store::{Object, Settings, Store};
use openai_mock::validate::{self, ValidRequest};
use serde_json::{json, Value};
use std::hint::black_box;

const NOW: i64 = 1_750_000_000;
const NAMESPACE: &str = "bench";
const FILES: usize = 10;
const CHUNKS_PER_FILE: usize = 1000;

/// Topics the files are about, so the ranking has work to do.
const TOPICS: [&str; 5] = [
    "volcanoes erupt lava and ash while magma rises through the crust",
    "sourdough bread rises overnight and bakes in a hot oven",
    "income tax returns list deductions credits and allowances",
    "glaciers carve valleys as ice sheets advance and retreat",
    "football teams score goals in the league final",
];

fn operation<'a>(catalog: &'a Catalog, id: &str) -> &'a Operation {
    catalog
        .operation(id)
        .unwrap_or_else(|| panic!("the catalog has no operation {id}"))
}

fn request(catalog: &Catalog, op: &Operation, path: &[(&str, &str)], body: &Value) -> ValidRequest {
    let path = path
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let body = Bytes::from(body.to_string());
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(validate::validate(
            catalog,
            op,
            path,
            None,
            Some("application/json"),
            body,
        ))
        .unwrap_or_else(|e| panic!("invalid bench request for {}: {e:?}", op.id))
}

fn run(catalog: &Catalog, store: &Store, op: &Operation, request: &ValidRequest) -> Value {
    let call = Call {
        catalog,
        op,
        request,
        script: None,
        options: Options::default(),
        store,
        namespace: NAMESPACE,
        dispatch: None,
    };
    let mut generator = Generator::new(&catalog.schemas, &catalog.fixtures, Rng::new(7), NOW);
    let mut answer =
        generate::json_response(catalog, op, request, &mut generator).unwrap_or(Value::Null);
    let shape = if op.id == "searchVectorStore" {
        vector_stores::search::SEARCH.shape
    } else {
        vector_stores::CREATE.shape
    };
    shape(&call, &mut answer, &mut generator);
    answer
}

fn bench_search(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    let store = Store::in_memory(Settings {
        lifecycle_ms: 0,
        ..Settings::default()
    });
    let mut file_ids = Vec::new();
    for i in 0..FILES {
        // Sentences of about 17 tokens; 100-token chunks without overlap.
        let topic = TOPICS[i % TOPICS.len()];
        let sentence = format!("Document {i} sentence explains how {topic}. ");
        let text = sentence.repeat(CHUNKS_PER_FILE * 100 / 17 + 5);
        let id = format!("file-bench{i}");
        let mut file = Object::new(
            "file",
            &id,
            json!({"id": id, "filename": format!("doc{i}.txt")}),
        );
        file.bytes = Some(text.into_bytes());
        store.create(NAMESPACE, file).expect("room for the file");
        file_ids.push(id);
    }
    let create = operation(&catalog, "createVectorStore");
    let body = json!({
        "name": "bench",
        "file_ids": file_ids,
        "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 0}},
    });
    let created = run(
        &catalog,
        &store,
        create,
        &request(&catalog, create, &[], &body),
    );
    let id = created["id"]
        .as_str()
        .expect("a vector store id")
        .to_string();
    let chunks: usize = store
        .list(NAMESPACE, vector_stores::FILE_KIND, Some(&id))
        .iter()
        .map(|f| vector_stores::files::chunks(f).count())
        .sum();
    assert!(chunks >= 10_000, "only {chunks} chunks were stored");
    let search = operation(&catalog, "searchVectorStore");
    let query = request(
        &catalog,
        search,
        &[("vector_store_id", &id)],
        &json!({"query": "how do glaciers carve valleys"}),
    );
    let first = run(&catalog, &store, search, &query);
    assert_eq!(first["data"].as_array().map(Vec::len), Some(10));
    c.bench_function("vector_stores.search/10k_chunks", |b| {
        b.iter(|| run(&catalog, &store, search, black_box(&query)))
    });
}

criterion_group!(benches, bench_search);
criterion_main!(benches);
