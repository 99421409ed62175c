//! The endpoint table: what each operation does beyond its schema.
//!
//! Each endpoint family is one module that declares the operations it serves, as
//! [`Endpoint`] entries: its checks, how it shapes the schema-valid answer, its stream
//! builder and its non-JSON bodies. [`Table::new`] resolves every operation of a catalog to
//! exactly one entry, specific or [`Endpoint::GENERIC`], once; the server then looks an
//! entry up by the operation's index. Operation ids are named only in these declarations.
//!
//! | module | operations |
//! |---|---|
//! | [`chat`] | chat completions, and stored ones (retrieve, list, messages, update, delete) |
//! | [`responses`] | `/responses`, its input-token count, and stored responses (retrieve, delete, cancel, input items) |
//! | [`conversations`] | conversations and their items |
//! | [`completions`] | legacy completions |
//! | [`embeddings`] | embeddings |
//! | [`moderations`] | moderations |
//! | [`images`] | image generation, edits and variations |
//! | [`audio`] | speech, transcriptions and translations |
//! | [`realtime`] | the Realtime WebSocket session's behaviour, and client secrets |
//! | [`models`] | listing, retrieving and deleting models |
//! | [`files`] | files: stored bytes, lists, downloads, deletes |
//! | [`uploads`] | uploads in parts, assembled into a file |
//! | [`containers`] | containers and the files in them |
//! | [`videos`] | video renders with a lifecycle, their content and remixes |
//! | [`batches`] | batches whose lines run through the server's own pipeline |
//! | [`vector_stores`] | vector stores, their files and file batches: chunking, embedding, search |
//! | [`fine_tuning`] | fine-tuning jobs, their events, checkpoints and models |
//! | [`assistants`] | assistants, threads, messages, runs with the tool loop and streams, run steps |
//! | [`evals`] | evals and their runs, graded over JSONL, stored completions or fresh samples |
//!
//! [`file_search`] is the `file_search` tool both the Assistants and Responses APIs use;
//! [`web_search`] is the web search both Chat Completions and Responses use.
//!
//! [`stored`] holds what the stateful families share (lookups with the real 404, list pages).

pub mod assistants;
pub mod audio;
pub mod batches;
pub mod chat;
pub mod completions;
pub mod containers;
pub mod conversations;
pub mod embeddings;
mod endpoint;
pub mod evals;
pub mod file_search;
pub mod files;
pub mod fine_tuning;
pub mod images;
pub mod models;
pub mod moderations;
pub mod organization;
pub mod realtime;
pub mod responses;
pub mod stored;
pub mod uploads;
pub mod vector_stores;
pub mod videos;
pub mod web_search;

pub use endpoint::{Call, Continuation, Dispatch, Endpoint, Options, Rendered, Subresponse};

use crate::catalog::Catalog;

/// Every specific entry, one per family behaviour.
const ENTRIES: &[&Endpoint] = &[
    &chat::ENDPOINT,
    &chat::stored::LIST,
    &chat::stored::RETRIEVE,
    &chat::stored::UPDATE,
    &chat::stored::DELETE,
    &chat::stored::MESSAGES_LIST,
    &responses::CREATE,
    &responses::INPUT_TOKENS,
    &responses::resource::RETRIEVE,
    &responses::resource::DELETE,
    &responses::resource::CANCEL,
    &responses::resource::INPUT_ITEMS,
    &conversations::CREATE,
    &conversations::RETRIEVE,
    &conversations::UPDATE,
    &conversations::DELETE,
    &conversations::items::LIST,
    &conversations::items::CREATE,
    &conversations::items::RETRIEVE,
    &conversations::items::DELETE,
    &completions::ENDPOINT,
    &embeddings::ENDPOINT,
    &moderations::ENDPOINT,
    &images::GENERATION,
    &images::EDIT,
    &images::VARIATION,
    &audio::SPEECH,
    &audio::TRANSCRIPTION,
    &audio::TRANSLATION,
    &realtime::CLIENT_SECRETS,
    &realtime::TRANSLATION_CLIENT_SECRETS,
    &realtime::ACCEPT_CALL,
    &models::LIST,
    &models::RETRIEVE,
    &models::DELETE,
    &files::CREATE,
    &files::LIST,
    &files::RETRIEVE,
    &files::DELETE,
    &files::CONTENT,
    &uploads::CREATE,
    &uploads::ADD_PART,
    &uploads::COMPLETE,
    &uploads::CANCEL,
    &containers::CREATE,
    &containers::LIST,
    &containers::RETRIEVE,
    &containers::DELETE,
    &containers::CREATE_FILE,
    &containers::LIST_FILES,
    &containers::RETRIEVE_FILE,
    &containers::DELETE_FILE,
    &containers::FILE_CONTENT,
    &videos::CREATE,
    &videos::REMIX,
    &videos::LIST,
    &videos::RETRIEVE,
    &videos::DELETE,
    &videos::CONTENT,
    &batches::CREATE,
    &batches::LIST,
    &batches::RETRIEVE,
    &batches::CANCEL,
    &vector_stores::CREATE,
    &vector_stores::LIST,
    &vector_stores::RETRIEVE,
    &vector_stores::MODIFY,
    &vector_stores::DELETE,
    &vector_stores::files::CREATE,
    &vector_stores::files::LIST,
    &vector_stores::files::RETRIEVE,
    &vector_stores::files::UPDATE,
    &vector_stores::files::DELETE,
    &vector_stores::files::CONTENT,
    &vector_stores::batches::CREATE,
    &vector_stores::batches::RETRIEVE,
    &vector_stores::batches::CANCEL,
    &vector_stores::batches::LIST_FILES,
    &vector_stores::search::SEARCH,
    &evals::CREATE,
    &evals::LIST,
    &evals::RETRIEVE,
    &evals::UPDATE,
    &evals::DELETE,
    &evals::runs::CREATE,
    &evals::runs::LIST,
    &evals::runs::RETRIEVE,
    &evals::runs::CANCEL,
    &evals::runs::DELETE,
    &evals::runs::ITEMS,
    &evals::runs::ITEM,
    &fine_tuning::CREATE,
    &fine_tuning::LIST,
    &fine_tuning::RETRIEVE,
    &fine_tuning::EVENTS,
    &fine_tuning::CHECKPOINTS,
    &fine_tuning::CANCEL,
    &fine_tuning::PAUSE,
    &fine_tuning::RESUME,
    &fine_tuning::CREATE_PERMISSION,
    &fine_tuning::LIST_PERMISSIONS,
    &fine_tuning::DELETE_PERMISSION,
    &assistants::CREATE,
    &assistants::LIST,
    &assistants::RETRIEVE,
    &assistants::MODIFY,
    &assistants::DELETE,
    &assistants::threads::CREATE,
    &assistants::threads::RETRIEVE,
    &assistants::threads::MODIFY,
    &assistants::threads::DELETE,
    &assistants::messages::CREATE,
    &assistants::messages::LIST,
    &assistants::messages::RETRIEVE,
    &assistants::messages::MODIFY,
    &assistants::messages::DELETE,
    &assistants::runs::CREATE,
    &assistants::runs::CREATE_AND_RUN,
    &assistants::runs::LIST,
    &assistants::runs::RETRIEVE,
    &assistants::runs::MODIFY,
    &assistants::runs::CANCEL,
    &assistants::runs::SUBMIT_TOOL_OUTPUTS,
    &assistants::steps::LIST,
    &assistants::steps::RETRIEVE,
];

/// Every specific entry: [`ENTRIES`] and the families that list their own.
fn all_entries() -> impl Iterator<Item = &'static Endpoint> {
    ENTRIES.iter().chain(organization::ENTRIES).copied()
}

/// The entry of operations no family declares (one address, so it can be told apart).
static GENERIC: Endpoint = Endpoint::GENERIC;

/// The entry of every operation of a catalog, by operation index.
pub struct Table {
    by_operation: Vec<&'static Endpoint>,
}

impl Table {
    /// Resolves each of `catalog`'s operations to its entry.
    pub fn new(catalog: &Catalog) -> Table {
        let by_operation = catalog
            .operations
            .iter()
            .map(|op| {
                all_entries()
                    .find(|entry| entry.ops.contains(&op.id.as_str()))
                    .unwrap_or(&GENERIC)
            })
            .collect();
        Table { by_operation }
    }

    /// The entry of the operation at `index`.
    pub fn entry(&self, index: usize) -> &'static Endpoint {
        self.by_operation.get(index).copied().unwrap_or(&GENERIC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn every_operation_resolves_to_exactly_one_entry() {
        let catalog = Catalog::embedded();
        let mut declared: BTreeMap<&str, usize> = BTreeMap::new();
        for entry in all_entries() {
            for op in entry.ops {
                *declared.entry(op).or_default() += 1;
            }
        }
        let twice: Vec<_> = declared.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "declared by two entries: {twice:?}");
        let missing: Vec<_> = declared
            .keys()
            .filter(|id| catalog.operation(id).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "declared but not in the spec: {missing:?}"
        );
        let table = Table::new(&catalog);
        assert_eq!(table.by_operation.len(), catalog.operations.len());
        let specific = (0..catalog.operations.len())
            .filter(|&i| !std::ptr::eq(table.entry(i), &GENERIC))
            .count();
        assert_eq!(specific, declared.len());
    }
}
