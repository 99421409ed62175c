//! Command-line flags and `OPENAI_MOCK_*` environment variables, merged into one [`Config`].

use clap::Parser;
use std::net::IpAddr;

/// A mock server for the OpenAI API, driven by OpenAI's OpenAPI document.
#[derive(Debug, Clone, Parser)]
#[command(name = "openai-mock", version, about)]
pub struct Config {
    /// Address to bind.
    #[arg(long, env = "OPENAI_MOCK_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// HTTP port (0 picks a free one). Also serves HTTP/2 with prior knowledge.
    #[arg(long, env = "OPENAI_MOCK_PORT", default_value_t = 4010)]
    pub port: u16,

    /// Restrict accepted API keys (repeatable). By default any non-empty key is accepted.
    #[arg(long = "api-key", env = "OPENAI_MOCK_API_KEYS", value_delimiter = ',')]
    pub api_keys: Vec<String>,

    /// Restrict accepted admin API keys (repeatable), for the admin-key operations.
    #[arg(
        long = "admin-api-key",
        env = "OPENAI_MOCK_ADMIN_API_KEYS",
        value_delimiter = ','
    )]
    pub admin_api_keys: Vec<String>,

    /// Seed for generated bodies: the same request and seed give the same answer.
    #[arg(long, env = "OPENAI_MOCK_SEED", default_value_t = 0)]
    pub seed: u64,

    /// Largest accepted request body, in bytes; larger bodies get a 413.
    #[arg(long, env = "OPENAI_MOCK_MAX_BODY_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Send embeddings as float arrays even when a request asks for `encoding_format: base64`,
    /// for clients that check answers strictly before decoding them (the strict clients of
    /// openai-python's own test suite reject the real API's base64 strings).
    #[arg(long, env = "OPENAI_MOCK_FLOAT_EMBEDDINGS", value_name = "BOOL", default_value_t = false,
          value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub float_embeddings: bool,

    /// Log level: trace, debug, info, warn or error.
    #[arg(long, env = "OPENAI_MOCK_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

impl Default for Config {
    fn default() -> Config {
        Config::parse_from(["openai-mock"])
    }
}
