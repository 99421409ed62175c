//! The organization: projects, keys, rate limits, usage and audit events, kept in one
//! organization-wide namespace of the store ([`ORG`]), so they persist with `--state-file`
//! and export/import like every other object (ordinary objects stay per API key).
//!
//! [`Org`] (from [`Store::org`]) is the one API over it, used by the admin endpoints, the
//! `/__mock/keys` controls, `MockServer` and the dashboard: list, create, suspend, resume
//! and revoke keys ([`keys`]), query usage and costs ([`usage`]), query and append audit
//! events ([`audit`]), and read or change project rate limits ([`limits`]).
//!
//! The hot path never writes the store: a key is checked with one lookup in the in-memory
//! [`keys::KeyIndex`] (rebuilt from the store when it is loaded or reset), and each request
//! is added to in-memory per-minute aggregates ([`usage::Accounting`]) that are written to
//! the store when usage is read, exported or flushed.

pub mod audit;
pub mod keys;
pub mod limits;
pub mod usage;

pub use audit::AuditQuery;
pub use keys::{CreatedKey, KeyEntry, KeyInfo, KeyKind, KeyLimits, KeySpec, KeyState};
pub use usage::{
    Bucket, BucketWidth, CostBucket, CostRow, Sample, Tally, Totals, UsageBucket, UsageQuery,
    UsageRow,
};

use super::{lifecycle, Found, Object, Store};
use crate::error::ApiError;
use serde_json::{json, Value};
use std::sync::Arc;

/// The store namespace of the organization's objects.
pub const ORG: &str = "__organization";
/// The stored kind of projects.
pub const PROJECT: &str = "organization.project";
/// The id of the project keys seen in open mode belong to.
pub const DEFAULT_PROJECT: &str = "proj_default";
/// The id of the mock's one organization owner (the actor of dashboard and mock actions).
pub const MOCK_USER: &str = "user-mockowner";

/// The organization's state that lives in memory beside the store: the key index, the
/// enforced rate limits and the usage not yet written.
#[derive(Debug, Default)]
pub struct OrgState {
    keys: keys::KeyIndex,
    limits: limits::LimitIndex,
    accounting: usage::Accounting,
}

/// The organization API over a store (see the module notes).
#[derive(Clone, Copy)]
pub struct Org<'a> {
    store: &'a Store,
    state: &'a OrgState,
}

/// Now, in Unix seconds.
pub fn now_secs() -> i64 {
    (lifecycle::now_ms() / 1000) as i64
}

/// The mock's organization owner, as a user object.
pub fn mock_user() -> Value {
    json!({"id": MOCK_USER, "email": "owner@example.com", "name": "Mock Owner", "object": "organization.user", "created_at": 0, "role": "owner"})
}

impl OrgState {
    /// Rebuilds the in-memory indexes from what `store` holds.
    pub(super) fn reindex(&self, store: &Store) {
        let keys: Vec<Arc<Object>> = [keys::PROJECT_KEY, keys::ADMIN_KEY]
            .into_iter()
            .flat_map(|kind| store.list(ORG, kind, None))
            .collect();
        let revoked = store.list(ORG, keys::REVOKED_KEY, None);
        self.keys.rebuild(&keys, &revoked);
        self.limits
            .rebuild(&store.list(ORG, limits::RATE_LIMIT, None));
    }

    /// Forgets the usage not yet written (a reset of everything).
    pub(super) fn forget_pending(&self) {
        self.accounting.clear();
    }
}

impl<'a> Org<'a> {
    pub(super) fn new(store: &'a Store, state: &'a OrgState) -> Org<'a> {
        Org { store, state }
    }

    /// The store this organization lives in.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// The key whose secret is `secret`, if the organization knows it (created, seen in
    /// open mode, or revoked). One hash and one map lookup.
    pub fn find_key(&self, secret: &str) -> Option<Arc<KeyEntry>> {
        self.state.keys.find(secret)
    }

    /// Writes what is only in memory (usage aggregates, keys' last use) to the store.
    pub fn flush(&self) {
        self.flush_usage();
        self.flush_last_used();
    }

    /// The default project's id, creating it (`project.created`) when it does not exist.
    ///
    /// # Errors
    ///
    /// The store's 400 when it is full.
    pub fn default_project(&self) -> Result<String, ApiError> {
        if matches!(
            self.store.get(ORG, PROJECT, DEFAULT_PROJECT),
            Found::Live(_)
        ) {
            return Ok(DEFAULT_PROJECT.to_string());
        }
        self.create_project(DEFAULT_PROJECT, "Default project")?;
        Ok(DEFAULT_PROJECT.to_string())
    }

    /// Stores a project `id` named `name` and records `project.created`.
    ///
    /// # Errors
    ///
    /// The store's 400 when it is full.
    pub fn create_project(&self, id: &str, name: &str) -> Result<Value, ApiError> {
        let body = json!({
            "id": id, "object": PROJECT, "name": name, "created_at": now_secs(),
            "archived_at": null, "status": "active",
        });
        self.store
            .create(ORG, Object::new(PROJECT, id, body.clone()))?;
        self.record_audit(
            "project.created",
            None,
            Some(id),
            json!({"id": id, "data": {"name": name, "title": name}}),
        );
        Ok(body)
    }

    /// The stored projects, oldest first.
    pub fn projects(&self) -> Vec<Value> {
        self.store
            .list(ORG, PROJECT, None)
            .iter()
            .map(|o| o.body.clone())
            .collect()
    }
}

impl Store {
    /// The organization: keys, projects, rate limits, usage, costs and audit events.
    pub fn org(&self) -> Org<'_> {
        Org::new(self, &self.org)
    }
}
