//! The integration tests of the Rust side, in one binary (one link of the crate): the
//! in-process server through real HTTP, and the release binary through its flags, listeners
//! and signals. The shared harness is `tests/support/`.

#[path = "../support/mod.rs"]
mod support;

mod answer_shape;
mod architecture;
mod behave_assistants;
mod behave_batches;
mod behave_chat;
mod behave_completions;
mod behave_embeddings;
mod behave_evals;
mod behave_media;
mod behave_models;
mod behave_realtime;
mod behave_responses;
mod behave_responses_file_search;
mod behave_responses_hosted;
mod behave_responses_store;
mod core_api;
mod dashboard;
mod hardening;
mod in_process;
mod key_order;
mod organization;
mod readme_examples;
mod realism;
mod realism_bytes;
mod realism_lists;
mod scenarios;
mod second_turn;
mod spec_at_startup;
mod state_file;
mod sweep;
mod sweep_generated;
mod sweep_regressions;
mod transport_config;
mod transport_config_precedence;
mod transport_early_answers;
mod transport_listeners;
mod transport_operations;
