//! Creating, listing, suspending, resuming and revoking the organization's keys (the
//! [`Org`] calls over [`super::keys`]): each change is stored, indexed at once for the hot
//! path, and recorded in the audit log.

use super::keys::{
    digest, entry_of, hex, redact, revoked_entry, unhex, CreatedKey, KeyEntry, KeyInfo, KeyKind,
    KeyLimits, KeySpec, KeyState, ADMIN_KEY, PROJECT_KEY, REVOKED_KEY,
};
use super::{now_secs, Org, ORG};
use crate::error::ApiError;
use crate::store::Object;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// What a key object needs besides its API body.
struct NewKey<'s> {
    kind: KeyKind,
    name: &'s str,
    project_id: Option<&'s str>,
    owner: Value,
    expires_at: Option<i64>,
    limits: KeyLimits,
    scopes: &'s [String],
    seen: bool,
    role: &'s str,
}

impl Org<'_> {
    /// Every key (project, service-account and admin keys), oldest first.
    pub fn list_keys(&self) -> Vec<KeyInfo> {
        let usage = self.usage_by_key();
        let mut keys: Vec<KeyInfo> = [PROJECT_KEY, ADMIN_KEY]
            .into_iter()
            .flat_map(|kind| self.store.list(ORG, kind, None))
            .filter_map(|object| self.info(&object, &usage))
            .collect();
        keys.sort_by_key(|k| k.created_at);
        keys
    }

    /// The key with id `id`.
    pub fn key(&self, id: &str) -> Option<KeyInfo> {
        let object = self.key_object(id)?;
        self.info(&object, &self.usage_by_key())
    }

    fn key_object(&self, id: &str) -> Option<Arc<Object>> {
        [PROJECT_KEY, ADMIN_KEY]
            .into_iter()
            .find_map(|kind| match self.store.get(ORG, kind, id) {
                crate::store::Found::Live(object) => Some(object),
                _ => None,
            })
    }

    fn info(&self, object: &Object, usage: &HashMap<String, super::Totals>) -> Option<KeyInfo> {
        let (hash, entry) = entry_of(object)?;
        let live = self.state.keys.find_hash(&hash);
        let last_used_at = live.as_ref().and_then(|e| e.last_used());
        let body = &object.body;
        Some(KeyInfo {
            id: object.id.clone(),
            name: body
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            kind: entry.kind,
            project_id: object.parent.clone(),
            state: entry.state_at(now_secs()),
            redacted_value: entry.redacted.clone(),
            created_at: body.get("created_at").and_then(Value::as_i64).unwrap_or(0),
            last_used_at,
            expires_at: entry.expires_at,
            limits: entry.limits,
            scopes: entry.scopes.clone(),
            role: entry.role.clone(),
            usage: usage.get(&object.id).cloned().unwrap_or_default(),
        })
    }

    /// Creates a project key (`sk-proj-…`) as `spec` says, in its project (the default
    /// project when none is named), and records `api_key.created`.
    ///
    /// # Errors
    ///
    /// The store's 400 when it is full.
    pub fn create_key(&self, spec: &KeySpec) -> Result<CreatedKey, ApiError> {
        let project = match spec.project_id.as_deref() {
            Some(id) => id.to_string(),
            None => self.default_project()?,
        };
        let name = if spec.name.is_empty() {
            "Secret key"
        } else {
            spec.name.as_str()
        };
        let expires_at = spec
            .expires_in_seconds
            .map(|s| now_secs().saturating_add(s as i64));
        let created = self.new_key(
            "sk-proj-",
            NewKey {
                kind: KeyKind::Project,
                name,
                project_id: Some(&project),
                owner: json!({"type": "user", "user": super::mock_user()}),
                expires_at,
                limits: spec.limits,
                scopes: &spec.scopes,
                seen: false,
                role: "member",
            },
        )?;
        self.record_audit(
            "api_key.created",
            None,
            Some(&project),
            json!({"id": created.info.id, "data": {"scopes": spec.scopes}}),
        );
        Ok(created)
    }

    /// Creates a service account's key (`sk-svcacct-…`) in `project_id`, owned by
    /// `service_account` (its API object).
    ///
    /// # Errors
    ///
    /// The store's 400 when it is full.
    pub fn create_service_account_key(
        &self,
        project_id: &str,
        name: &str,
        service_account: Value,
    ) -> Result<CreatedKey, ApiError> {
        self.new_key(
            "sk-svcacct-",
            NewKey {
                kind: KeyKind::ServiceAccount,
                name,
                project_id: Some(project_id),
                owner: json!({"type": "service_account", "service_account": service_account}),
                expires_at: None,
                limits: KeyLimits::default(),
                scopes: &[],
                seen: false,
                role: "member",
            },
        )
    }

    /// Creates an admin key (`sk-admin-…`) with `role` (`owner`, or `reader` for a
    /// read-only dashboard), and records `api_key.created`.
    ///
    /// # Errors
    ///
    /// The store's 400 when it is full.
    pub fn create_admin_key(
        &self,
        name: &str,
        expires_in_seconds: Option<u64>,
        role: &str,
    ) -> Result<CreatedKey, ApiError> {
        let created = self.new_key(
            "sk-admin-",
            NewKey {
                kind: KeyKind::Admin,
                name,
                project_id: None,
                owner: json!({
                    "type": "user", "object": "organization.user", "id": super::MOCK_USER,
                    "name": "Mock Owner", "created_at": 0, "role": "owner",
                }),
                expires_at: expires_in_seconds.map(|s| now_secs().saturating_add(s as i64)),
                limits: KeyLimits::default(),
                scopes: &[],
                seen: false,
                role,
            },
        )?;
        self.record_audit(
            "api_key.created",
            None,
            None,
            json!({"id": created.info.id, "data": {"scopes": []}}),
        );
        Ok(created)
    }

    fn new_key(&self, prefix: &str, new: NewKey) -> Result<CreatedKey, ApiError> {
        let secret = self.state.keys.secret(prefix);
        let (_, created) = self.store_key(&secret, new)?;
        Ok(CreatedKey {
            info: created,
            secret,
        })
    }

    /// Stores a key for `secret` and indexes it.
    fn store_key(&self, secret: &str, new: NewKey) -> Result<(Arc<KeyEntry>, KeyInfo), ApiError> {
        let hash = digest(secret);
        let hex_hash = hex(&hash);
        let id = format!("key_{}", &hex_hash[..16]);
        let now = now_secs();
        let redacted_value = redact(secret);
        let (kind, body) = match new.kind {
            KeyKind::Admin => (
                ADMIN_KEY,
                json!({
                    "object": ADMIN_KEY, "id": id, "name": new.name,
                    "redacted_value": redacted_value, "created_at": now,
                    "expires_at": new.expires_at, "last_used_at": null, "owner": new.owner,
                }),
            ),
            _ => (
                PROJECT_KEY,
                json!({
                    "object": PROJECT_KEY, "id": id, "name": new.name,
                    "redacted_value": redacted_value, "created_at": now,
                    "last_used_at": null, "owner_project_access": "active", "owner": new.owner,
                }),
            ),
        };
        let mut object = Object::new(kind, &id, body);
        object.parent = new.project_id.map(str::to_string);
        object.extra = json!({
            "hash": hex_hash, "kind": new.kind, "state": KeyState::Active,
            "expires_at": new.expires_at, "limits": new.limits, "scopes": new.scopes,
            "seen": new.seen, "role": new.role,
        });
        let stored = self.store.create(ORG, object)?;
        let (_, entry) = entry_of(&stored).ok_or_else(|| ApiError::invalid_request("key"))?;
        let entry = self.state.keys.insert(hash, entry);
        let info = self
            .info(&stored, &HashMap::new())
            .ok_or_else(|| ApiError::invalid_request("key"))?;
        Ok((entry, info))
    }

    /// Registers `secret`, seen for the first time in open mode, as a key of the default
    /// project, so its traffic is attributed. Called once per new key.
    pub fn register_seen(&self, secret: &str) -> Option<Arc<KeyEntry>> {
        if let Some(entry) = self.state.keys.find(secret) {
            return Some(entry);
        }
        let project = self.default_project().ok()?;
        let (entry, _) = self
            .store_key(
                secret,
                NewKey {
                    kind: KeyKind::Project,
                    name: "Key seen in open mode",
                    project_id: Some(&project),
                    owner: json!({"type": "user", "user": super::mock_user()}),
                    expires_at: None,
                    limits: KeyLimits::default(),
                    scopes: &[],
                    seen: true,
                    role: "member",
                },
            )
            .ok()?;
        Some(entry)
    }

    /// Suspends the key `id`: it is refused until resumed.
    pub fn suspend_key(&self, id: &str) -> Option<KeyInfo> {
        self.set_key_state(id, KeyState::Suspended)
    }

    /// Resumes a suspended key.
    pub fn resume_key(&self, id: &str) -> Option<KeyInfo> {
        self.set_key_state(id, KeyState::Active)
    }

    fn set_key_state(&self, id: &str, state: KeyState) -> Option<KeyInfo> {
        let object = self.key_object(id)?;
        let updated = self.store.update(ORG, &object.kind, id, |o| {
            if let Some(extra) = o.extra.as_object_mut() {
                extra.insert("state".into(), json!(state));
            }
        })?;
        let (hash, entry) = entry_of(&updated)?;
        if let Some(old) = self.state.keys.find_hash(&hash) {
            if let Some(at) = old.last_used() {
                entry.touch(at);
            }
        }
        self.state.keys.insert(hash, entry);
        self.record_audit(
            "api_key.updated",
            None,
            updated.parent.as_deref(),
            json!({"id": id, "changes_requested": {"scopes": []}}),
        );
        self.info(&updated, &self.usage_by_key())
    }

    /// Revokes (deletes) the key `id`: it is refused from now on, in every mode, and
    /// `api_key.deleted` is recorded. The key as it was, or `None` when there is none.
    pub fn revoke_key(&self, id: &str) -> Option<KeyInfo> {
        let object = self.key_object(id)?;
        let info = self.info(&object, &self.usage_by_key());
        let hash = object
            .extra
            .get("hash")
            .and_then(Value::as_str)?
            .to_string();
        self.store.delete(ORG, &object.kind, id);
        let revoked = Object::new(REVOKED_KEY, &hash, json!({"key_id": id}));
        // A full store still revokes: the index refuses the key until the next restart.
        let _ = self.store.create(ORG, revoked);
        if let Some(hash) = unhex(&hash) {
            self.state.keys.insert(hash, revoked_entry(id));
        }
        self.record_audit(
            "api_key.deleted",
            None,
            object.parent.as_deref(),
            json!({"id": id}),
        );
        info
    }

    /// The stored API object of key `id`, with its last use as of now.
    pub fn key_body(&self, id: &str) -> Option<Value> {
        let object = self.key_object(id)?;
        let mut body = object.body.clone();
        if let Some(info) = self.info(&object, &HashMap::new()) {
            if let Some(map) = body.as_object_mut() {
                map.insert("last_used_at".into(), json!(info.last_used_at));
            }
        }
        Some(body)
    }

    /// Writes each key's last use into its stored object (on export and flush).
    pub(super) fn flush_last_used(&self) {
        for entry in self.state.keys.entries() {
            let Some(at) = entry.last_used() else {
                continue;
            };
            let kind = if entry.kind == KeyKind::Admin {
                ADMIN_KEY
            } else {
                PROJECT_KEY
            };
            let stored = match self.store.get(ORG, kind, &entry.id) {
                crate::store::Found::Live(o) => o.body.get("last_used_at").and_then(Value::as_i64),
                _ => continue,
            };
            if stored != Some(at) {
                self.store.update(ORG, kind, &entry.id, |o| {
                    if let Some(map) = o.body.as_object_mut() {
                        map.insert("last_used_at".into(), json!(at));
                    }
                });
            }
        }
    }
}
