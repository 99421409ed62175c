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
//! `build.rs` compiles the pinned spec into a catalog embedded in the binary. A request then
//! flows through one pipeline, one module per stage:
//!
//! | stage | module |
//! |---|---|
//! | route, look up schemas | [`catalog`] |
//! | authenticate, serve | [`server`] |
//! | validate path, query and body | [`validate`] |
//! | generate a schema-valid body | [`generate`] |
//! | behave like the endpoint | [`behave`] |
//! | stream server-sent events | [`stream`] |
//! | rules, faults, rate limits, latency | [`scenario`] |
//! | the error envelope | [`error`] |

pub mod behave;
pub mod catalog;
pub mod config;
pub mod error;
pub mod generate;
pub mod scenario;
pub mod server;
pub mod stream;
pub mod validate;

pub use catalog::Catalog;
pub use config::Config;
pub use error::{mask_key, ApiError};
pub use generate::rfc3339;
pub use server::{MockServer, MockServerBuilder};
