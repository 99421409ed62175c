//! The external suites, in one binary: the official SDKs' own test suites, our SDK
//! round-trips (Python and Node) and the Python client frameworks (LangChain, OpenAI Agents
//! SDK, LiteLLM) against the release binary, and the spec-refresh tool on
//! the pinned upstream document. Each test provisions its environment under `target/`
//! (cached between runs) through `tests/support/`.

#[path = "../support/mod.rs"]
mod support;

mod clients_async_openai;
mod clients_node_ai_sdk;
mod clients_python;
mod dashboard_browser;
mod refresh_spec;
mod sdk_node_conformance;
mod sdk_node_realtime;
mod sdk_python;
mod sdk_python_behaviour;
mod sdk_python_overlay;
mod sdk_python_realtime;
mod sdk_python_scenarios;
mod sdk_python_state;
mod transport_sdk_https;
