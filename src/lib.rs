//! # openai-mock
//!
//! A fast, strict mock server for the OpenAI API, driven by OpenAI's own OpenAPI document.
//!
//! ## In Rust tests
//!
//! [`MockServer::start`] runs the mock inside the test process on a free port; point any
//! OpenAI client at [`MockServer::base_url`]. It stops when dropped, so tests can run in
//! parallel, each with its own server. [`MockServer::builder`] sets keys, a seed, HTTPS or a
//! whole [`Config`].
//!
//! ```
//! # #[tokio::main]
//! # async fn main() {
//! let server = openai_mock::MockServer::start().await;
//! let models: serde_json::Value = reqwest::Client::new()
//!     .get(format!("{}/models", server.base_url()))
//!     .bearer_auth("sk-test")
//!     .send()
//!     .await
//!     .unwrap()
//!     .json()
//!     .await
//!     .unwrap();
//! assert_eq!(models["object"], "list");
//! # }
//! ```
//!
//! ## Inside
//!
//! `build.rs` compiles the pinned spec into a catalog embedded in the binary. The modules
//! are layers: each uses only the layers above it in this table (a test reads every
//! `crate::` path and fails on a backward one or a cycle; see ARCHITECTURE.md).
//!
//! | layer | owns |
//! |---|---|
//! | [`config`], [`error`] | settings from flags, environment and file; the OpenAI error envelope |
//! | [`catalog`] | the compiled spec: operations by index, routes, schemas |
//! | [`validate`] | request → validated path, query and body (JSON, multipart, forms) |
//! | [`generate`] | schema-valid instances, fixtures, reflection, ids, media files |
//! | [`services`] | tokenizers, the conversation reader, the simulated model, SSE |
//! | [`endpoints`] | the endpoint table: one module per family, declaring its operations |
//! | [`scenario`] | rules, control headers, faults, rate limits, latency, the request log |
//! | [`server`] | listeners, TLS, the request pipeline, the in-process [`MockServer`] |

pub mod catalog;
pub mod config;
pub mod endpoints;
pub mod error;
pub mod generate;
pub mod scenario;
pub mod server;
pub mod services;
pub mod validate;

pub use catalog::Catalog;
pub use config::Config;
pub use error::{mask_key, ApiError};
pub use generate::rfc3339;
pub use server::{MockServer, MockServerBuilder};
