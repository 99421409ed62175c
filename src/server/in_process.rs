//! [`MockServer`]: the mock inside a Rust test, on a free port, stopped when dropped.
//!
//! It is the same server the binary runs ([`bind`](super::bind)), started on the caller's
//! tokio runtime, so there is no process to spawn and no port to pick.

use super::{bind, Running};
use crate::config::Config;
use crate::scenario::log::ReceivedRequest;
use crate::scenario::RulesError;
use crate::store::org::{CreatedKey, KeyInfo, KeySpec};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// An openai-mock server running inside the test process, on `127.0.0.1` and a free port.
///
/// Point any OpenAI client at [`base_url`](MockServer::base_url). The server stops when the
/// handle is dropped.
///
/// ```
/// use openai_mock::MockServer;
/// use serde_json::{json, Value};
///
/// #[tokio::main]
/// async fn main() {
///     // Arrange: a mock on a free port.
///     let server = MockServer::start().await;
///
///     // Act: call it like the real API.
///     let response = reqwest::Client::new()
///         .post(format!("{}/chat/completions", server.base_url()))
///         .bearer_auth("sk-test")
///         .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}))
///         .send()
///         .await
///         .unwrap();
///
///     // Assert: a chat completion for the model that was asked for.
///     assert_eq!(response.status(), 200);
///     let completion: Value = response.json().await.unwrap();
///     assert_eq!(completion["object"], "chat.completion");
///     assert_eq!(completion["model"], "gpt-4o-mini");
/// }
/// ```
pub struct MockServer {
    running: Running,
}

impl MockServer {
    /// Starts a server with the defaults: plain HTTP on `127.0.0.1` and a free port, any
    /// non-empty API key accepted.
    ///
    /// # Panics
    ///
    /// If the server cannot start; use [`MockServerBuilder::try_start`] to handle that.
    pub async fn start() -> MockServer {
        MockServer::builder().start().await
    }

    /// A builder for a server with keys, a seed, HTTPS or a whole [`Config`].
    ///
    /// ```
    /// use openai_mock::MockServer;
    ///
    /// #[tokio::main]
    /// async fn main() {
    ///     // Arrange: only `sk-good` is accepted.
    ///     let server = MockServer::builder().api_key("sk-good").seed(7).start().await;
    ///
    ///     // Act: call with another key.
    ///     let response = reqwest::Client::new()
    ///         .get(format!("{}/models", server.base_url()))
    ///         .bearer_auth("sk-wrong-key-123")
    ///         .send()
    ///         .await
    ///         .unwrap();
    ///
    ///     // Assert: the real API's 401, with the key masked.
    ///     assert_eq!(response.status(), 401);
    ///     let body: serde_json::Value = response.json().await.unwrap();
    ///     assert_eq!(body["error"]["code"], "invalid_api_key");
    /// }
    /// ```
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::new()
    }

    /// The root URL, without `/v1`: `http://127.0.0.1:PORT` (`https://` when only HTTPS is
    /// served). Operations are served under it too, which is what SDK test suites expect.
    pub fn uri(&self) -> String {
        self.running.urls().into_iter().next().unwrap_or_default()
    }

    /// The root URL of every listener, plain HTTP first (what the binary prints on its
    /// `listening` lines).
    pub fn urls(&self) -> Vec<String> {
        self.running.urls()
    }

    /// The API base URL, for `OpenAI(base_url=...)`: [`uri`](MockServer::uri) + `/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.uri())
    }

    /// The address [`uri`](MockServer::uri) points at.
    pub fn address(&self) -> SocketAddr {
        match self.running.http_addr {
            Some(addr) => addr,
            None => self
                .running
                .https_addr()
                .unwrap_or(SocketAddr::from(([0; 4], 0))),
        }
    }

    /// The HTTPS root URL (`https://127.0.0.1:PORT`), when HTTPS is on.
    pub fn https_uri(&self) -> Option<String> {
        self.running.https_addr().map(|a| format!("https://{a}"))
    }

    /// The HTTPS API base URL (`https://127.0.0.1:PORT/v1`), when HTTPS is on.
    pub fn https_base_url(&self) -> Option<String> {
        self.https_uri().map(|uri| format!("{uri}/v1"))
    }

    /// The HTTPS certificate (PEM) for a client to trust, when HTTPS is on.
    pub fn tls_cert_pem(&self) -> Option<&str> {
        self.running.tls_cert_pem()
    }

    /// The file holding that certificate, when HTTPS is on.
    pub fn tls_cert_path(&self) -> Option<&Path> {
        self.running.tls_cert_path()
    }

    /// Client connections currently open, idle ones included.
    pub fn open_connections(&self) -> usize {
        self.running.open_connections()
    }

    /// The one-time dashboard sign-in link (`…/dashboard/sign-in/once?token=…`) when no
    /// admin key is configured, until it is used; `None` with an admin key (sign in with it
    /// at `/dashboard`).
    pub fn dashboard_sign_in_url(&self) -> Option<String> {
        self.running.dashboard_sign_in_url()
    }

    /// The requests this server answered, oldest first (the last 1,000), as
    /// `GET /__mock/requests` lists them: method, path, operation, the status the client
    /// saw (0 for a dropped connection), and what the scenario machinery did.
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() {
    /// let server = openai_mock::MockServer::start().await;
    /// reqwest::Client::new()
    ///     .get(format!("{}/models", server.base_url()))
    ///     .bearer_auth("sk-test")
    ///     .send()
    ///     .await
    ///     .unwrap();
    /// let requests = server.received_requests();
    /// assert_eq!(requests.len(), 1);
    /// assert_eq!(requests[0].operation.as_deref(), Some("listModels"));
    /// assert_eq!(requests[0].status, 200);
    /// # }
    /// ```
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.running.scenarios().log().entries()
    }

    /// Adds response rules while the server runs, in the `rules:` format of the rules file
    /// (see the README's Scenarios), and returns how many were added. They apply from the
    /// next request on, after the file's rules of the same priority, and survive a reload
    /// of the file.
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() {
    /// let server = openai_mock::MockServer::start().await;
    /// server
    ///     .rules("rules:\n  - match: {last_user_message: ping}\n    reply: {text: pong}\n")
    ///     .unwrap();
    /// let completion: serde_json::Value = reqwest::Client::new()
    ///     .post(format!("{}/chat/completions", server.base_url()))
    ///     .bearer_auth("sk-test")
    ///     .json(&serde_json::json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "ping"}]}))
    ///     .send()
    ///     .await
    ///     .unwrap()
    ///     .json()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(completion["choices"][0]["message"]["content"], "pong");
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A [`RulesError`] naming the line and the problem when the text is not valid rules;
    /// nothing is added then.
    pub fn rules(&self, yaml: &str) -> Result<usize, RulesError> {
        self.running.scenarios().add_rules(yaml)
    }

    /// Starts over, as `POST /__mock/reset` does: empties the store and the request log and
    /// resets rule sequences, rate-limit buckets and remembered conversations. Rules stay.
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() {
    /// let server = openai_mock::MockServer::start().await;
    /// reqwest::Client::new()
    ///     .get(format!("{}/models", server.base_url()))
    ///     .bearer_auth("sk-test")
    ///     .send()
    ///     .await
    ///     .unwrap();
    /// server.reset();
    /// assert!(server.received_requests().is_empty());
    /// # }
    /// ```
    pub fn reset(&self) {
        self.running.store().reset(None);
        self.running.scenarios().reset();
    }

    /// Creates an organization key (`sk-proj-…`), as `POST /__mock/keys` does: `spec` gives
    /// its name, project, expiry, rate limits and scopes. The secret is in the answer only.
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() {
    /// use openai_mock::{KeySpec, MockServer};
    /// let server = MockServer::start().await;
    /// let key = server
    ///     .create_key(KeySpec { name: "ci".into(), ..KeySpec::default() })
    ///     .unwrap();
    /// assert!(key.secret.starts_with("sk-proj-"));
    /// server.revoke_key(&key.info.id).unwrap();
    /// let answer = reqwest::Client::new()
    ///     .get(format!("{}/models", server.base_url()))
    ///     .bearer_auth(&key.secret)
    ///     .send()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(answer.status(), 401);
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The real API's kind of 400 body when the store is full.
    pub fn create_key(&self, spec: KeySpec) -> Result<CreatedKey, serde_json::Value> {
        self.running
            .store()
            .org()
            .create_key(&spec)
            .map_err(|e| e.body())
    }

    /// Every organization key (project, service-account and admin keys, and keys seen in
    /// open mode), with state, limits, last use and usage; never a secret.
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.running.store().org().list_keys()
    }

    /// Suspends the key `id` (refused with 401 until resumed); `None` when there is none.
    pub fn suspend_key(&self, id: &str) -> Option<KeyInfo> {
        self.running.store().org().suspend_key(id)
    }

    /// Resumes the suspended key `id`; `None` when there is none.
    pub fn resume_key(&self, id: &str) -> Option<KeyInfo> {
        self.running.store().org().resume_key(id)
    }

    /// Revokes the key `id`: refused with 401 from now on, whatever the server's key mode.
    /// The key as it was; `None` when there is none.
    pub fn revoke_key(&self, id: &str) -> Option<KeyInfo> {
        self.running.store().org().revoke_key(id)
    }

    /// Empties the objects that persist (files, uploads, vector stores, ...) of one
    /// namespace (an API key), as `POST /__mock/reset?namespace=KEY` does; `None` empties
    /// every namespace but leaves the request log and rules alone.
    pub fn reset_state(&self, namespace: Option<&str>) {
        self.running.store().reset(namespace);
    }

    /// Everything stored, as `GET /__mock/state` exports it: serialise it to keep a
    /// snapshot, and give it to [`MockServer::import_state`] to start a test from it.
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() {
    /// use serde_json::{json, Value};
    /// let server = openai_mock::MockServer::start().await;
    /// let file = reqwest::multipart::Form::new()
    ///     .text("purpose", "assistants")
    ///     .part("file", reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("a.txt"));
    /// reqwest::Client::new()
    ///     .post(format!("{}/files", server.base_url()))
    ///     .bearer_auth("sk-test")
    ///     .multipart(file)
    ///     .send()
    ///     .await
    ///     .unwrap();
    /// let snapshot = server.export_state();
    /// let again = openai_mock::MockServer::start().await;
    /// again.import_state(snapshot.clone()).unwrap();
    /// assert_eq!(again.export_state(), snapshot);
    /// # }
    /// ```
    pub fn export_state(&self) -> serde_json::Value {
        serde_json::to_value(self.running.store().export()).unwrap_or_default()
    }

    /// Replaces everything stored with a document [`MockServer::export_state`] (or
    /// `GET /__mock/state`) produced.
    ///
    /// # Errors
    ///
    /// The real API's kind of 400 body when the document is not a state export.
    pub fn import_state(&self, state: serde_json::Value) -> Result<(), serde_json::Value> {
        let snapshot = serde_json::from_value(state).map_err(|e| {
            crate::error::ApiError::invalid_request(format!("The state document is not valid: {e}"))
                .body()
        })?;
        self.running.store().import(snapshot).map_err(|e| e.body())
    }

    /// Stops the server gracefully: in-flight requests finish first. Dropping the handle
    /// instead stops it at once.
    pub async fn shutdown(self) -> io::Result<()> {
        self.running.shutdown().await
    }
}

/// Settings for a [`MockServer`], from [`MockServer::builder`].
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    config: Config,
}

impl Default for MockServerBuilder {
    fn default() -> MockServerBuilder {
        MockServerBuilder::new()
    }
}

impl MockServerBuilder {
    /// The defaults: plain HTTP on `127.0.0.1` and a free port.
    pub fn new() -> MockServerBuilder {
        MockServerBuilder {
            config: Config {
                host: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 0,
                ..Config::default()
            },
        }
    }

    /// Accepts this API key (call again for more); without any, every non-empty key is.
    pub fn api_key(mut self, key: impl Into<String>) -> MockServerBuilder {
        self.config.api_keys.push(key.into());
        self
    }

    /// Accepts this admin API key for the admin operations (call again for more).
    pub fn admin_api_key(mut self, key: impl Into<String>) -> MockServerBuilder {
        self.config.admin_api_keys.push(key.into());
        self
    }

    /// Seeds the generated bodies: the same request and seed give the same answer.
    pub fn seed(mut self, seed: u64) -> MockServerBuilder {
        self.config.seed = Some(seed);
        self
    }

    /// Also serves HTTPS on a free port, with a generated certificate for `localhost`,
    /// `127.0.0.1` and `::1` (see [`MockServer::tls_cert_pem`]).
    pub fn https(mut self, on: bool) -> MockServerBuilder {
        self.config.https_port = on.then_some(0);
        self
    }

    /// Serves HTTPS on a free port with this PEM certificate chain and key.
    pub fn tls_files(
        mut self,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> MockServerBuilder {
        self.config.https_port = Some(0);
        self.config.tls_cert = Some(cert.into());
        self.config.tls_key = Some(key.into());
        self
    }

    /// Replaces every setting with `config`, its host and ports included (use port `0` for a
    /// free one). Later builder calls adjust it.
    pub fn config(mut self, config: Config) -> MockServerBuilder {
        self.config = config;
        self
    }

    /// Starts the server.
    pub async fn try_start(self) -> io::Result<MockServer> {
        Ok(MockServer {
            running: bind(&self.config).await?,
        })
    }

    /// Starts the server.
    ///
    /// # Panics
    ///
    /// If it cannot start (a port in use, unreadable certificate files, ...).
    pub async fn start(self) -> MockServer {
        match self.try_start().await {
            Ok(server) => server,
            Err(error) => panic!("openai-mock could not start: {error}"),
        }
    }
}
