//! Objects that persist: the one store every stateful endpoint uses.
//!
//! Objects are kept by namespace (the API key that created them), kind (`file`, `upload`,
//! `vector_store`, ...) and id. A [`Store`] holds them in a [`Backend`] ([`Memory`] by
//! default) and, with `--state-file`, writes every change behind to SQLite
//! ([`persist`]), at most [`persist::FLUSH_EVERY`] later, so a `kill -9` loses at most that
//! much and a clean shutdown ([`Store::flush`]) nothing.
//!
//! Deleting an object leaves a tombstone, so an id that was created and then deleted is a
//! 404 even where unknown ids are answered leniently. Limits on total bytes and on object
//! count refuse a create with a clear 400; nothing is evicted.
//!
//! Lifecycles (batches, ingestion, fine-tuning) are stored as a timeline of stages
//! ([`lifecycle`]): what a client sees is the object as of now, so status, timestamps and
//! counts change together without a thread per object.

pub mod lifecycle;
mod memory;
pub mod org;
pub mod persist;

pub use memory::Memory;

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One stored object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// What it is: `file`, `upload`, `vector_store`, `vector_store.file`, `batch`, ...
    pub kind: String,
    /// Its id, as clients see it (`file-…`).
    pub id: String,
    /// The object it belongs to (a vector store for its files, an upload for its parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Creation order within the store, for lists.
    #[serde(default)]
    pub seq: u64,
    /// The API object, as retrieve returns it (before any lifecycle stage applies).
    pub body: Value,
    /// Content bytes (a file's content, an upload part).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "base64_bytes"
    )]
    pub bytes: Option<Vec<u8>>,
    /// State clients never see directly: a lifecycle's stages, chunks, ...
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub extra: Value,
}

impl Object {
    /// An object of `kind` with `id` and `body`, nothing else.
    pub fn new(kind: &str, id: &str, body: Value) -> Object {
        Object {
            kind: kind.to_string(),
            id: id.to_string(),
            parent: None,
            seq: 0,
            body,
            bytes: None,
            extra: Value::Null,
        }
    }

    /// What the object costs against `--store-max-bytes`.
    pub fn size(&self) -> u64 {
        let body = self.body.to_string().len() + self.extra.to_string().len();
        (body + self.bytes.as_ref().map_or(0, Vec::len)) as u64
    }
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The stored object.
    Live(Arc<Object>),
    /// The object existed and was deleted.
    Deleted,
    /// Nothing with this id was ever created in this namespace.
    Unknown,
}

/// Where objects are kept. [`Memory`] is the one backend today; a shared one (Redis,
/// PostgreSQL) would implement the same calls so that several replicas see one state (see
/// `ARCHITECTURE.md`).
pub trait Backend: Send + Sync {
    /// The object `kind`/`id` of `namespace`.
    fn get(&self, namespace: &str, kind: &str, id: &str) -> Found;
    /// Stores `object`, replacing one with the same kind and id.
    fn put(&self, namespace: &str, object: Object);
    /// Changes the stored object in place; `None` when it is not live.
    fn update(
        &self,
        namespace: &str,
        kind: &str,
        id: &str,
        change: &mut dyn FnMut(&mut Object),
    ) -> Option<Arc<Object>>;
    /// Deletes the object, leaving a tombstone when it was live; the object then.
    fn delete(&self, namespace: &str, kind: &str, id: &str) -> Option<Arc<Object>>;
    /// Marks `kind`/`id` deleted whether or not it is stored (a thing that lives elsewhere,
    /// such as a trained model, and is now gone); removes the object if there is one.
    fn tombstone(&self, namespace: &str, kind: &str, id: &str);
    /// The live objects of `kind` (of `parent`, when given), in creation order.
    fn list(&self, namespace: &str, kind: &str, parent: Option<&str>) -> Vec<Arc<Object>>;
    /// Empties one namespace, or everything.
    fn clear(&self, namespace: Option<&str>);
    /// Everything, for export and persistence.
    fn snapshot(&self) -> Snapshot;
    /// Replaces everything with `snapshot`.
    fn restore(&self, snapshot: Snapshot);
    /// Total bytes and count of the live objects.
    fn usage(&self) -> (u64, u64);
}

/// The whole store as data: what `GET /__mock/state` exports and `PUT` imports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The format of this document.
    #[serde(default = "snapshot_version")]
    pub version: u32,
    /// Each namespace's objects and tombstones.
    #[serde(default)]
    pub namespaces: std::collections::BTreeMap<String, NamespaceSnapshot>,
}

/// One namespace of a [`Snapshot`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamespaceSnapshot {
    /// Live objects, in creation order.
    #[serde(default)]
    pub objects: Vec<Object>,
    /// Deleted objects, as `kind/id`.
    #[serde(default)]
    pub deleted: Vec<String>,
}

/// The version of [`Snapshot`] documents and of the state file's schema.
pub const FORMAT_VERSION: u32 = 1;

fn snapshot_version() -> u32 {
    FORMAT_VERSION
}

/// Limits on what the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest total of stored bytes (bodies and contents).
    pub max_bytes: u64,
    /// Largest number of live objects.
    pub max_objects: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 1 << 30,
            max_objects: 100_000,
        }
    }
}

/// How a store behaves: its limits, its ids and the pace of its lifecycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Limits on what is kept.
    pub limits: Limits,
    /// Unknown ids get the real API's 404 (`--strict-ids`) instead of a generated object.
    pub strict_ids: bool,
    /// How long background work takes from creation to its final status.
    pub lifecycle_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            limits: Limits::default(),
            strict_ids: false,
            lifecycle_ms: 1000,
        }
    }
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The state file cannot be used; the message names the file and the reason.
    #[error("state file {path}: {reason}")]
    StateFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The store: a backend, limits, and the optional state file.
pub struct Store {
    backend: Box<dyn Backend>,
    persistence: Option<persist::Writer>,
    next_seq: AtomicU64,
    org: org::OrgState,
    /// How the store behaves.
    pub settings: Settings,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("settings", &self.settings)
            .field("persistent", &self.persistence.is_some())
            .finish()
    }
}

impl Store {
    /// An empty store in memory.
    pub fn in_memory(settings: Settings) -> Store {
        Store {
            backend: Box::new(Memory::default()),
            persistence: None,
            next_seq: AtomicU64::new(1),
            org: org::OrgState::default(),
            settings,
        }
    }

    /// A store kept in the SQLite file at `path`: its contents are loaded, and every change
    /// is written behind. A file that is not a state file of this version is refused, never
    /// overwritten.
    pub fn open(path: &Path, settings: Settings) -> Result<Store, StoreError> {
        let (writer, snapshot) = persist::Writer::open(path)?;
        let store = Store {
            persistence: Some(writer),
            ..Store::in_memory(settings)
        };
        store.load(snapshot);
        Ok(store)
    }

    fn load(&self, snapshot: Snapshot) {
        let last = snapshot
            .namespaces
            .values()
            .flat_map(|ns| ns.objects.iter().map(|o| o.seq))
            .max()
            .unwrap_or(0);
        self.next_seq.store(last + 1, Ordering::SeqCst);
        self.backend.restore(snapshot);
        self.org.reindex(self);
    }

    /// The object `kind`/`id` of `namespace`.
    pub fn get(&self, namespace: &str, kind: &str, id: &str) -> Found {
        self.backend.get(namespace, kind, id)
    }

    /// The live object, or the 404 the real API gives for `what` (`File`, `VectorStore`)
    /// when it was deleted, or when it is unknown and ids are strict. `Ok(None)` means
    /// unknown and lenient: answer with a generated object.
    pub fn lookup(
        &self,
        namespace: &str,
        kind: &str,
        id: &str,
        what: &str,
    ) -> Result<Option<Arc<Object>>, ApiError> {
        match self.get(namespace, kind, id) {
            Found::Live(object) => Ok(Some(object)),
            Found::Deleted => Err(not_found(what, id)),
            Found::Unknown if self.settings.strict_ids => Err(not_found(what, id)),
            Found::Unknown => Ok(None),
        }
    }

    /// Whether `extra_bytes` more (in one new object) fit the limits; the real API's kind of
    /// 400 naming the limit when they do not.
    pub fn check_room(&self, extra_bytes: u64) -> Result<(), ApiError> {
        let (bytes, count) = self.backend.usage();
        if count + 1 > self.settings.limits.max_objects {
            return Err(ApiError::invalid_request(format!(
                "The mock's store is full: it holds {count} objects, the limit set by \
                 --store-max-objects ({}). Delete objects or reset the store.",
                self.settings.limits.max_objects
            ))
            .with_code("store_limit_exceeded"));
        }
        if bytes + extra_bytes > self.settings.limits.max_bytes {
            return Err(ApiError::invalid_request(format!(
                "The mock's store is full: {bytes} bytes are stored and this object needs \
                 {extra_bytes} more, over the limit set by --store-max-bytes ({}). Delete \
                 objects or reset the store.",
                self.settings.limits.max_bytes
            ))
            .with_code("store_limit_exceeded"));
        }
        Ok(())
    }

    /// Stores a new object (refused when over a limit), giving it the next creation order.
    pub fn create(&self, namespace: &str, mut object: Object) -> Result<Arc<Object>, ApiError> {
        self.check_room(object.size())?;
        object.seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        self.backend.put(namespace, object.clone());
        self.persist(namespace, &object.kind, &object.id);
        Ok(Arc::new(object))
    }

    /// Changes a live object in place.
    pub fn update(
        &self,
        namespace: &str,
        kind: &str,
        id: &str,
        mut change: impl FnMut(&mut Object),
    ) -> Option<Arc<Object>> {
        let updated = self.backend.update(namespace, kind, id, &mut change);
        if updated.is_some() {
            self.persist(namespace, kind, id);
        }
        updated
    }

    /// Deletes a stored object; it is a 404 from now on. An id that was never created stays
    /// unknown (no tombstone).
    pub fn delete(&self, namespace: &str, kind: &str, id: &str) -> Option<Arc<Object>> {
        let deleted = self.backend.delete(namespace, kind, id);
        if deleted.is_some() {
            self.persist(namespace, kind, id);
        }
        deleted
    }

    /// Marks `kind`/`id` deleted, stored or not: it is a 404 from now on.
    pub fn tombstone(&self, namespace: &str, kind: &str, id: &str) {
        self.backend.tombstone(namespace, kind, id);
        self.persist(namespace, kind, id);
    }

    /// The live objects of `kind` (of `parent`), in creation order.
    pub fn list(&self, namespace: &str, kind: &str, parent: Option<&str>) -> Vec<Arc<Object>> {
        self.backend.list(namespace, kind, parent)
    }

    /// Empties one namespace, or everything (`POST /__mock/reset`).
    pub fn reset(&self, namespace: Option<&str>) {
        self.backend.clear(namespace);
        if let Some(writer) = &self.persistence {
            writer.send(persist::Change::Clear(namespace.map(str::to_string)));
        }
        if namespace.is_none() || namespace == Some(org::ORG) {
            self.org.forget_pending();
            self.org.reindex(self);
        }
    }

    /// Everything stored (`GET /__mock/state`).
    pub fn export(&self) -> Snapshot {
        self.org().flush();
        self.backend.snapshot()
    }

    /// Replaces everything with `snapshot` (`PUT /__mock/state`).
    pub fn import(&self, snapshot: Snapshot) -> Result<(), ApiError> {
        if snapshot.version != FORMAT_VERSION {
            return Err(ApiError::invalid_request(format!(
                "Unsupported state version {}: this server reads version {FORMAT_VERSION}.",
                snapshot.version
            ))
            .with_param("version"));
        }
        self.load(snapshot.clone());
        if let Some(writer) = &self.persistence {
            writer.send(persist::Change::Replace(Box::new(snapshot)));
        }
        Ok(())
    }

    /// Writes every pending change to the state file and waits for it (a clean shutdown).
    pub fn flush(&self) {
        self.org().flush();
        if let Some(writer) = &self.persistence {
            writer.flush();
        }
    }

    fn persist(&self, namespace: &str, kind: &str, id: &str) {
        let Some(writer) = &self.persistence else {
            return;
        };
        let change = match self.backend.get(namespace, kind, id) {
            Found::Live(object) => persist::Change::Put(namespace.to_string(), object),
            _ => persist::Change::Delete(namespace.to_string(), kind.to_string(), id.to_string()),
        };
        writer.send(change);
    }
}

/// The real API's 404 for an object that does not exist: `No such File object: file-abc`.
pub fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::invalid_request(format!("No such {what} object: {id}"))
        .with_status(404)
        .with_param("id")
}

mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => {
                s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_was_created_is_found_listed_and_after_delete_is_gone() {
        let store = Store::in_memory(Settings::default());
        let file = Object::new("file", "file-1", json!({"id": "file-1"}));
        store.create("sk-a", file).unwrap();
        assert!(matches!(
            store.get("sk-a", "file", "file-1"),
            Found::Live(_)
        ));
        assert_eq!(store.get("sk-b", "file", "file-1"), Found::Unknown);
        assert_eq!(store.list("sk-a", "file", None).len(), 1);
        assert!(store.delete("sk-a", "file", "file-1").is_some());
        assert_eq!(store.get("sk-a", "file", "file-1"), Found::Deleted);
        assert!(store.list("sk-a", "file", None).is_empty());
        let error = store.lookup("sk-a", "file", "file-1", "File").unwrap_err();
        assert_eq!(error.message, "No such File object: file-1");
        assert_eq!(error.status, 404);
    }

    #[test]
    fn unknown_ids_are_lenient_unless_strict() {
        let lenient = Store::in_memory(Settings::default());
        assert_eq!(
            lenient.lookup("ns", "file", "file-x", "File").unwrap(),
            None
        );
        let strict = Store::in_memory(Settings {
            strict_ids: true,
            ..Settings::default()
        });
        assert!(strict.lookup("ns", "file", "file-x", "File").is_err());
    }

    #[test]
    fn a_create_past_a_limit_is_refused_and_nothing_is_evicted() {
        let limits = Limits {
            max_bytes: 1 << 20,
            max_objects: 2,
        };
        let store = Store::in_memory(Settings {
            limits,
            ..Settings::default()
        });
        for id in ["a", "b"] {
            store
                .create("ns", Object::new("file", id, json!({})))
                .unwrap();
        }
        let error = store
            .create("ns", Object::new("file", "c", json!({})))
            .unwrap_err();
        assert!(
            error.message.contains("--store-max-objects (2)"),
            "{}",
            error.message
        );
        assert_eq!(store.list("ns", "file", None).len(), 2);
    }

    #[test]
    fn export_then_import_gives_the_same_state() {
        let store = Store::in_memory(Settings::default());
        let mut file = Object::new("file", "file-1", json!({"id": "file-1"}));
        file.bytes = Some(b"hello".to_vec());
        store.create("ns", file).unwrap();
        store
            .create("ns", Object::new("file", "file-2", json!({})))
            .unwrap();
        store.delete("ns", "file", "file-2");
        let exported = store.export();
        let text = serde_json::to_string(&exported).unwrap();
        let other = Store::in_memory(Settings::default());
        other.import(serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(other.export(), exported);
        assert_eq!(other.get("ns", "file", "file-2"), Found::Deleted);
        let created = other
            .create("ns", Object::new("file", "file-3", json!({})))
            .unwrap();
        let imported = exported.namespaces["ns"]
            .objects
            .iter()
            .map(|o| o.seq)
            .max();
        assert!(
            Some(created.seq) > imported,
            "creation order continues after an import"
        );
    }
}
