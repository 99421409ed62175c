//! # openai-mock
//!
//! A fast, strict mock server for the OpenAI API, driven by OpenAI's own OpenAPI document.
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
//! | the error envelope | [`error`] |

pub mod behave;
pub mod catalog;
pub mod config;
pub mod error;
pub mod generate;
pub mod server;
pub mod stream;
pub mod validate;

pub use catalog::Catalog;
pub use config::Config;
pub use error::{mask_key, ApiError};
pub use generate::rfc3339;
