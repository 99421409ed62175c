//! The server's settings, merged from flags, `OPENAI_MOCK_*` environment variables, a
//! `--config FILE` (YAML or JSON) and defaults, in that order of precedence.
//!
//! [`Config`] is one clap parser; every flag has an environment variable. The config file is
//! an object whose keys are the [`Config`] field names (`https_port: 8443`,
//! `api_keys: [sk-a, sk-b]`). [`Config::load_from`] parses flags and environment first, then
//! fills every setting that neither of them gave from the file, by handing those values back
//! to the same clap parser, so a file value is checked exactly like the flag would be. Unknown
//! file keys are an error; the key `rules` is reserved for response rules and passed over here.

mod faults;

pub use faults::{parse_mix_item, parse_rate, RateLimit, ERROR_PRESETS};

#[cfg(feature = "cli")]
use clap::builder::BoolishValueParser;
#[cfg(feature = "cli")]
use clap::parser::ValueSource;
#[cfg(feature = "cli")]
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use serde_json::{Map, Value};
use std::ffi::OsString;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Config-file keys that are not flags: read by other parts of the server, ignored here.
pub const RESERVED_FILE_KEYS: [&str; 1] = ["rules"];

/// A mock server for the OpenAI API, driven by OpenAI's OpenAPI document.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(Parser))]
#[cfg_attr(
    feature = "cli",
    command(name = "openai-mock", version, about, max_term_width = 100)
)]
pub struct Config {
    /// Read settings from a YAML or JSON file; flags and environment variables override it.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_CONFIG", value_name = "FILE")
    )]
    pub config: Option<PathBuf>,

    /// Serve this OpenAPI document (YAML or JSON) instead of the embedded one; it is compiled
    /// at startup, and a document that cannot be used stops the server.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_SPEC", value_name = "FILE")
    )]
    pub spec: Option<PathBuf>,

    /// Address to bind.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_HOST", default_value = "127.0.0.1")
    )]
    pub host: IpAddr,

    /// HTTP port (0 picks a free one). Also serves HTTP/2 with prior knowledge (h2c).
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_PORT", default_value_t = 4010)
    )]
    pub port: u16,

    /// Serve plain HTTP on --port; `false` leaves only HTTPS.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_HTTP", value_name = "BOOL", default_value_t = true,
          value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set))]
    pub http: bool,

    /// Serve HTTPS on this port (0 picks a free one); ALPN offers h2 and http/1.1.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_HTTPS_PORT", value_name = "PORT")
    )]
    pub https_port: Option<u16>,

    /// PEM certificate chain for HTTPS. Without it a self-signed localhost certificate is made.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_TLS_CERT", value_name = "FILE")
    )]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_TLS_KEY", value_name = "FILE")
    )]
    pub tls_key: Option<PathBuf>,

    /// Where to write the generated certificate (default: a new file in the temp directory).
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_TLS_CERT_OUT", value_name = "FILE")
    )]
    pub tls_cert_out: Option<PathBuf>,

    /// Restrict accepted API keys (repeatable). By default any non-empty key is accepted.
    #[cfg_attr(
        feature = "cli",
        arg(
            long = "api-key",
            env = "OPENAI_MOCK_API_KEYS",
            value_name = "KEY",
            value_delimiter = ','
        )
    )]
    pub api_keys: Vec<String>,

    /// Restrict accepted admin API keys (repeatable), for the admin-key operations.
    #[cfg_attr(
        feature = "cli",
        arg(
            long = "admin-api-key",
            env = "OPENAI_MOCK_ADMIN_API_KEYS",
            value_name = "KEY",
            value_delimiter = ','
        )
    )]
    pub admin_api_keys: Vec<String>,

    /// Seed for generated bodies (the same request and seed give the same content) and for ids
    /// (the same sequence of requests gives the same ids). Without it, content uses seed 0 and
    /// ids differ on every run.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_SEED", value_name = "SEED")
    )]
    pub seed: Option<u64>,

    /// Largest accepted request body, in bytes; larger bodies get a 413.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_MAX_BODY_BYTES", value_name = "BYTES", default_value_t = 64 * 1024 * 1024))]
    pub max_body_bytes: usize,

    /// Seconds to read and answer a request before a 408 (streams may run longer).
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_REQUEST_TIMEOUT_SECS", value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..)))]
    pub request_timeout_secs: u64,

    /// Seconds a client has for the TLS handshake and each request's headers.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_HEADER_READ_TIMEOUT_SECS", value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..)))]
    pub header_read_timeout_secs: u64,

    /// Seconds in-flight requests and streams get to finish after SIGINT or SIGTERM.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "OPENAI_MOCK_SHUTDOWN_TIMEOUT_SECS",
            value_name = "SECS",
            default_value_t = 10
        )
    )]
    pub shutdown_timeout_secs: u64,

    /// Answer CORS requests and preflights; `false` turns CORS off.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_CORS", value_name = "BOOL", default_value_t = true,
          value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set))]
    pub cors: bool,

    /// Allowed CORS origins (repeatable). By default any origin is allowed.
    #[cfg_attr(
        feature = "cli",
        arg(
            long = "cors-origin",
            env = "OPENAI_MOCK_CORS_ORIGINS",
            value_name = "ORIGIN",
            value_delimiter = ','
        )
    )]
    pub cors_origins: Vec<String>,

    /// Send embeddings as float arrays even when a request asks for `encoding_format: base64`,
    /// for clients that check answers strictly before decoding them (the strict clients of
    /// openai-python's own test suite reject the real API's base64 strings).
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_FLOAT_EMBEDDINGS", value_name = "BOOL", default_value_t = false,
          value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set))]
    pub float_embeddings: bool,

    // State (src/store/).
    /// Keep stored objects (files, uploads, vector stores, batches, ...) in this SQLite file:
    /// loaded at start, written behind within a second, flushed on SIGTERM or SIGINT. A file
    /// that is not a state file of this version stops the server and is left untouched.
    /// Without it, state lives in memory and is gone when the process exits.
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "OPENAI_MOCK_STATE_FILE", value_name = "PATH")
    )]
    pub state_file: Option<PathBuf>,

    /// Answer ids that were never created with the real API's 404 (`No such File object:
    /// file-abc`). By default an unknown id gets a generated object that reflects it, as the
    /// SDK suites expect; a deleted id is a 404 either way.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_STRICT_IDS", value_name = "BOOL", default_value_t = false,
          num_args = 0..=1, default_missing_value = "true",
          value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set))]
    pub strict_ids: bool,

    /// Largest total of stored bytes (file contents and objects); past it, a create gets a 400.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_STORE_MAX_BYTES", value_name = "BYTES", default_value_t = 1 << 30))]
    pub store_max_bytes: u64,

    /// Largest number of stored objects; past it, a create gets a 400.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "OPENAI_MOCK_STORE_MAX_OBJECTS",
            value_name = "COUNT",
            default_value_t = 100_000
        )
    )]
    pub store_max_objects: u64,

    /// How long background work (batches, vector store ingestion, fine-tuning, uploads' files)
    /// takes from creation to its final status, in milliseconds.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "OPENAI_MOCK_LIFECYCLE_MS",
            value_name = "MS",
            default_value_t = 1000
        )
    )]
    pub lifecycle_ms: u64,

    /// Log level; at info, one line per request.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_LOG_LEVEL", value_name = "LEVEL", value_enum, default_value_t = LogLevel::Info))]
    pub log_level: LogLevel,

    /// Log format. Logs go to stderr.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_LOG_FORMAT", value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text))]
    pub log_format: LogFormat,

    // Scenario control (src/scenario/): the `rules` of the --config file are read there.
    /// Share of API requests (0 to 1) that get an injected failure from --error-mix.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_ERROR_RATE", value_name = "RATE", default_value_t = 0.0,
          value_parser = parse_rate))]
    pub error_rate: f64,

    /// Failures --error-rate injects, as PRESET=WEIGHT (repeatable). Default: rate_limit_exceeded,
    /// server_error, overloaded and connection_reset, equally.
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_ERROR_MIX", value_name = "PRESET=WEIGHT", value_delimiter = ',',
          value_parser = parse_error_mix_item))]
    pub error_mix: Vec<String>,

    /// A rate limit, e.g. "key=sk-test model=gpt-4o rpm=3 tpm=10000" (repeatable; key and model
    /// optional). Several in the environment variable are separated by `;`.
    #[cfg_attr(feature = "cli", arg(long = "rate-limit", env = "OPENAI_MOCK_RATE_LIMITS", value_name = "LIMIT",
          value_delimiter = ';', value_parser = parse_rate_limit))]
    pub rate_limits: Vec<RateLimit>,

    /// Milliseconds to wait before every answer.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "OPENAI_MOCK_LATENCY_MS",
            value_name = "MS",
            default_value_t = 0
        )
    )]
    pub latency_ms: u64,

    /// Up to this many more milliseconds, drawn uniformly (seeded by --seed).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "OPENAI_MOCK_JITTER_MS",
            value_name = "MS",
            default_value_t = 0
        )
    )]
    pub jitter_ms: u64,

    /// Streams: milliseconds before the first event (time to first token).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "OPENAI_MOCK_TTFT_MS",
            value_name = "MS",
            default_value_t = 0
        )
    )]
    pub ttft_ms: u64,

    /// Streams: milliseconds between events.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            env = "OPENAI_MOCK_CHUNK_INTERVAL_MS",
            value_name = "MS",
            default_value_t = 0
        )
    )]
    pub chunk_interval_ms: u64,

    /// Streams: tokens per text delta (default: the endpoint's own grouping).
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_CHUNK_TOKENS", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..)))]
    pub chunk_tokens: Option<u64>,

    /// Ignore x-mock-* control headers (pass them through unread).
    #[cfg_attr(feature = "cli", arg(long, env = "OPENAI_MOCK_NO_CONTROL_HEADERS", value_name = "BOOL", default_value_t = false,
          num_args = 0..=1, default_missing_value = "true",
          value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set))]
    pub no_control_headers: bool,
}

#[cfg(feature = "cli")]
fn parse_error_mix_item(item: &str) -> Result<String, String> {
    parse_mix_item(item).map(|_| item.trim().to_string())
}

#[cfg(feature = "cli")]
fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    text.parse()
}

/// How much is logged. (Plain comments on the variants: doc comments would turn `--help`
/// into a page per value.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(ValueEnum))]
#[allow(missing_docs)]
pub enum LogLevel {
    // Everything, including per-connection events.
    Trace,
    // Connection errors and failed TLS handshakes too.
    Debug,
    // One line per request (the default).
    Info,
    // Only problems.
    Warn,
    // Only failures.
    Error,
}

impl LogLevel {
    /// The `tracing` level.
    pub fn as_tracing(self) -> tracing::Level {
        match self {
            LogLevel::Trace => tracing::Level::TRACE,
            LogLevel::Debug => tracing::Level::DEBUG,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Error => tracing::Level::ERROR,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(ValueEnum))]
#[allow(missing_docs)]
pub enum LogFormat {
    // Human-readable `key=value` lines.
    Text,
    // One JSON object per line, fields at the top level.
    Json,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Bad flags or environment, or `--help`/`--version` (call [`clap::Error::exit`]).
    #[cfg(feature = "cli")]
    #[error("{0}")]
    Cli(#[from] clap::Error),
    /// The `--config` file is unreadable or holds a bad setting.
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl Default for Config {
    /// The defaults alone: no flags, and no environment variables either. (The flags
    /// declare the same defaults; a test checks that they agree.)
    fn default() -> Config {
        Config {
            config: None,
            spec: None,
            host: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 4010,
            http: true,
            https_port: None,
            tls_cert: None,
            tls_key: None,
            tls_cert_out: None,
            api_keys: Vec::new(),
            admin_api_keys: Vec::new(),
            seed: None,
            max_body_bytes: 64 * 1024 * 1024,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            shutdown_timeout_secs: 10,
            cors: true,
            cors_origins: Vec::new(),
            float_embeddings: false,
            state_file: None,
            strict_ids: false,
            store_max_bytes: 1 << 30,
            store_max_objects: 100_000,
            lifecycle_ms: 1000,
            log_level: LogLevel::Info,
            log_format: LogFormat::Text,
            error_rate: 0.0,
            error_mix: Vec::new(),
            rate_limits: Vec::new(),
            latency_ms: 0,
            jitter_ms: 0,
            ttft_ms: 0,
            chunk_interval_ms: 0,
            chunk_tokens: None,
            no_control_headers: false,
        }
    }
}

#[cfg(feature = "cli")]
impl Config {
    /// The defaults as the flag declarations give them, with no environment.
    #[cfg(test)]
    fn flag_defaults() -> Config {
        use clap::builder::{OsStr, Resettable};
        let command = Config::command().mut_args(|arg| arg.env(Resettable::<OsStr>::Reset));
        let matches = command
            .try_get_matches_from(["openai-mock"])
            .expect("the flag defaults parse");
        Config::from_arg_matches(&matches).expect("the flag defaults fit the Config")
    }
}

#[cfg(feature = "cli")]
impl Config {
    /// Loads the configuration of this process: its arguments, environment and config file.
    pub fn load() -> Result<Config, ConfigError> {
        Config::load_from(std::env::args_os())
    }

    /// Loads a configuration from `args` (the program name first), the environment and the
    /// `--config` file they name. Precedence: flag > environment variable > file > default.
    ///
    /// ```
    /// use openai_mock::Config;
    /// let config = Config::load_from(["openai-mock", "--port", "0", "--seed", "7"]).unwrap();
    /// assert_eq!((config.port, config.seed), (0, Some(7)));
    /// ```
    pub fn load_from<I, T>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let command = Config::command();
        let matches = command.clone().try_get_matches_from(&args)?;
        let Some(path) = matches.get_one::<PathBuf>("config").cloned() else {
            return Ok(Config::from_arg_matches(&matches)?);
        };
        let file_error = |message: String| ConfigError::File {
            path: path.clone(),
            message,
        };
        let settings = read_file(&path).map_err(file_error)?;
        for (key, value) in &settings {
            if RESERVED_FILE_KEYS.contains(&key.as_str()) {
                continue;
            }
            let arg = command
                .get_arguments()
                .find(|arg| arg.get_id() == key.as_str() && is_file_key(arg.get_id().as_str()))
                .ok_or_else(|| file_error(unknown_key_message(key)))?;
            let given = matches!(
                matches.value_source(key),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            );
            let Some(long) = arg.get_long() else {
                continue;
            };
            if given {
                continue;
            }
            for value in flag_values(key, value).map_err(file_error)? {
                args.push(format!("--{long}={value}").into());
            }
        }
        let matches = command.try_get_matches_from(&args).map_err(|e| {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            file_error(first.trim_start_matches("error: ").to_string())
        })?;
        Ok(Config::from_arg_matches(&matches)?)
    }

    /// Every config-file key: the [`Config`] field names, plus the reserved `rules`.
    pub fn file_keys() -> Vec<String> {
        let command = Config::command();
        let mut keys: Vec<String> = command
            .get_arguments()
            .map(|arg| arg.get_id().to_string())
            .filter(|id| is_file_key(id))
            .collect();
        keys.extend(RESERVED_FILE_KEYS.iter().map(|k| k.to_string()));
        keys
    }
}

/// Whether a clap argument id may be set from the config file.
#[cfg(feature = "cli")]
fn is_file_key(id: &str) -> bool {
    !matches!(id, "config" | "help" | "version")
}

#[cfg(feature = "cli")]
fn unknown_key_message(key: &str) -> String {
    format!(
        "unknown key `{key}`; the keys are: {}",
        Config::file_keys().join(", ")
    )
}

/// Reads the file as an object of settings: JSON when it ends in `.json`, YAML otherwise.
#[cfg(feature = "cli")]
fn read_file(path: &Path) -> Result<Map<String, Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let is_json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    let document: Value = if is_json {
        serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))?
    } else {
        serde_saphyr::from_str(&text).map_err(|e| format!("not valid YAML: {e}"))?
    };
    match document {
        Value::Object(settings) => Ok(settings),
        Value::Null => Ok(Map::new()),
        _ => Err("the top level must be a mapping of settings, e.g. `port: 4010`".into()),
    }
}

/// The flag values a file setting stands for: one per list item, none for `null`.
#[cfg(feature = "cli")]
fn flag_values(key: &str, value: &Value) -> Result<Vec<String>, String> {
    let scalar = |value: &Value| match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(format!(
            "`{key}` must be a string, number, boolean or a list of them"
        )),
    };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "cli")]
    fn the_hand_written_defaults_are_the_flag_defaults() {
        assert_eq!(
            format!("{:?}", Config::default()),
            format!("{:?}", Config::flag_defaults())
        );
    }

    #[test]
    fn defaults_ignore_the_environment() {
        let config = Config::default();
        assert_eq!(config.port, 4010);
        assert!(config.http && config.cors);
        assert_eq!(config.https_port, None);
        assert_eq!(config.request_timeout_secs, 30);
        assert_eq!(config.max_body_bytes, 64 * 1024 * 1024);
        assert_eq!(config.log_format, LogFormat::Text);
    }

    #[test]
    fn every_file_key_names_a_field() {
        let keys = Config::file_keys();
        for key in [
            "host",
            "port",
            "https_port",
            "api_keys",
            "cors_origins",
            "rules",
        ] {
            assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
        }
        assert!(!keys.iter().any(|k| k == "config" || k == "help"));
    }

    #[test]
    fn file_values_become_flag_values() {
        assert_eq!(
            flag_values("port", &serde_json::json!(8080)).unwrap(),
            ["8080"]
        );
        assert_eq!(
            flag_values("api_keys", &serde_json::json!(["a", "b"])).unwrap(),
            ["a", "b"]
        );
        assert!(flag_values("port", &Value::Null).unwrap().is_empty());
        assert!(flag_values("port", &serde_json::json!({"a": 1}))
            .unwrap_err()
            .contains("`port`"));
    }
}
