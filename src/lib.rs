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
//! `crate::` path and fails on a backward one or a cycle; see `ARCHITECTURE.md`). They are
//! private: the public surface is the re-exports below. (The `internals` feature makes them
//! public for this crate's own tests and benches; it is not a stable API.)
//!
//! | layer | owns |
//! |---|---|
//! | `config`, `error` | settings from flags, environment and file; the OpenAI error envelope |
//! | `catalog` | the compiled spec: operations by index, routes, schemas |
//! | `validate` | request → validated path, query and body (JSON, multipart, forms) |
//! | `generate` | schema-valid instances, fixtures, reflection, ids, media files |
//! | `services` | tokenizers, the conversation reader, the simulated model, SSE |
//! | `store` | objects that persist: namespaces, lifecycles, the SQLite state file |
//! | `endpoints` | the endpoint table: one module per family, declaring its operations |
//! | `scenario` | rules, control headers, faults, rate limits, latency, the request log |
//! | `server` | listeners, TLS, the request pipeline, the in-process [`MockServer`] |

#![warn(missing_docs)]
// Without `internals`, items the crate's own tests and benches reach through that feature
// (test helpers, re-exports for them) look unused.
#![cfg_attr(not(feature = "internals"), allow(dead_code, unused_imports))]

#[cfg(feature = "internals")]
pub mod catalog;
#[cfg(not(feature = "internals"))]
pub(crate) mod catalog;
#[cfg(feature = "internals")]
pub mod config;
#[cfg(not(feature = "internals"))]
pub(crate) mod config;
#[cfg(feature = "internals")]
pub mod endpoints;
#[cfg(not(feature = "internals"))]
pub(crate) mod endpoints;
#[cfg(feature = "internals")]
pub mod error;
#[cfg(not(feature = "internals"))]
pub(crate) mod error;
#[cfg(feature = "internals")]
pub mod generate;
#[cfg(not(feature = "internals"))]
pub(crate) mod generate;
#[cfg(feature = "internals")]
pub mod scenario;
#[cfg(not(feature = "internals"))]
pub(crate) mod scenario;
#[cfg(feature = "internals")]
pub mod server;
#[cfg(not(feature = "internals"))]
pub(crate) mod server;
#[cfg(feature = "internals")]
pub mod services;
#[cfg(not(feature = "internals"))]
pub(crate) mod services;
#[cfg(feature = "internals")]
pub mod store;
#[cfg(not(feature = "internals"))]
pub(crate) mod store;
#[cfg(feature = "internals")]
pub mod validate;
#[cfg(not(feature = "internals"))]
pub(crate) mod validate;

pub use config::{Config, ConfigError, LogFormat, LogLevel, RateLimit};
pub use scenario::log::ReceivedRequest;
pub use scenario::{RulesError, Trace};
pub use server::{MockServer, MockServerBuilder};
pub use store::org::{CreatedKey, KeyInfo, KeyKind, KeyLimits, KeySpec, KeyState};
