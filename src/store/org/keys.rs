//! API keys of the organization: project keys (`sk-proj-…`), service-account keys
//! (`sk-svcacct-…`), admin keys (`sk-admin-…`) and the keys seen in open mode.
//!
//! A key is stored once, as the API object its list and retrieve show, with the SHA-256 of
//! its secret (never the secret) and its mock-only settings (state, expiry, limits, scopes)
//! in `extra`. The hot path never reads the store: [`KeyIndex`] maps each secret's hash to
//! a [`KeyEntry`] and is rebuilt from the store whenever the store is loaded or reset. A
//! revoked key leaves a `revoked_key` object (its hash) so it stays refused after a restart.

use super::{now_secs, Org, ORG};
use crate::error::{mask_key, ApiError};
use crate::generate::{fnv1a, Rng};
use crate::store::Object;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The stored kind of project and service-account keys.
pub const PROJECT_KEY: &str = "organization.project.api_key";
/// The stored kind of admin keys.
pub const ADMIN_KEY: &str = "organization.admin_api_key";
/// The stored kind of a revoked key's hash.
pub const REVOKED_KEY: &str = "revoked_key";

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// A project key (`sk-proj-…`), or a key first seen in open mode.
    Project,
    /// A service account's key (`sk-svcacct-…`).
    ServiceAccount,
    /// An admin key (`sk-admin-…`), for the `/organization/…` operations.
    Admin,
}

/// Whether a key is accepted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Accepted.
    Active,
    /// Refused until resumed.
    Suspended,
    /// Past its expiry: refused for good.
    Expired,
    /// Deleted: refused for good.
    Revoked,
}

/// Per-key rate limits (mock-only): requests and tokens per minute, and the burst a
/// bucket holds (`rpm` when not given).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLimits {
    /// Requests per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm: Option<u64>,
    /// Tokens per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpm: Option<u64>,
    /// Requests a full bucket holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u64>,
}

/// What a new key is to be (`POST /__mock/keys`, the dashboard's form).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeySpec {
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The project it belongs to (the default project when absent).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Seconds until it expires (never when absent).
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
    /// Its rate limits.
    #[serde(flatten)]
    pub limits: KeyLimits,
    /// API scopes (`api.model.request`) or endpoint groups (`chat`, `files`) it may call;
    /// every operation when empty.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A key as listings show it (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyInfo {
    /// Its id (`key_…`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub kind: KeyKind,
    /// Its project (`None` for admin keys).
    pub project_id: Option<String>,
    /// Whether it is accepted now.
    pub state: KeyState,
    /// The secret's start and end (`sk-proj...abcd`).
    pub redacted_value: String,
    /// When it was created (Unix seconds).
    pub created_at: i64,
    /// When it was last used (Unix seconds).
    pub last_used_at: Option<i64>,
    /// When it expires (Unix seconds).
    pub expires_at: Option<i64>,
    /// Its rate limits.
    pub limits: KeyLimits,
    /// Its scopes (empty: all).
    pub scopes: Vec<String>,
    /// An admin key's role (`owner` or `reader`); `member` otherwise.
    pub role: String,
    /// Requests and tokens it has been used for.
    pub usage: super::Totals,
}

/// A key just created: its listing and its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatedKey {
    /// The key as listings show it.
    pub info: KeyInfo,
    /// The secret (`sk-proj-…`); it is not kept.
    pub secret: String,
}

/// A key as the hot path knows it.
#[derive(Debug)]
pub struct KeyEntry {
    /// Its id.
    pub id: Arc<str>,
    /// What it is for.
    pub kind: KeyKind,
    /// Its project (empty for admin keys).
    pub project_id: Arc<str>,
    /// Its state when stored (expiry is checked on use).
    pub state: KeyState,
    /// When it expires (Unix seconds).
    pub expires_at: Option<i64>,
    /// Its rate limits.
    pub limits: KeyLimits,
    /// Its scopes (empty: all).
    pub scopes: Vec<String>,
    /// Whether it was registered on first use in open mode (not created through the API).
    pub seen: bool,
    /// An admin key's role.
    pub role: String,
    /// The secret's start and end, for logs.
    pub redacted: String,
    last_used: AtomicI64,
}

impl KeyEntry {
    /// Its state at `now` (Unix seconds): an active key past its expiry is expired.
    pub fn state_at(&self, now: i64) -> KeyState {
        match (self.state, self.expires_at) {
            (KeyState::Active, Some(at)) if now >= at => KeyState::Expired,
            (state, _) => state,
        }
    }

    /// When it was last used (Unix seconds), if ever.
    pub fn last_used(&self) -> Option<i64> {
        Some(self.last_used.load(Ordering::Relaxed)).filter(|t| *t > 0)
    }

    /// Notes a use at `now`.
    pub fn touch(&self, now: i64) {
        self.last_used.store(now, Ordering::Relaxed);
    }

    /// Whether the key may call an operation that needs `scope` (`api.model.request`) in
    /// endpoint group `group` (`chat`).
    pub fn allows(&self, scope: &str, group: &str) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|s| s == scope || s == group)
    }
}

/// Secrets' hashes to keys, in memory.
#[derive(Debug, Default)]
pub struct KeyIndex {
    by_hash: RwLock<HashMap<[u8; 32], Arc<KeyEntry>>>,
    generated: AtomicU64,
}

/// The SHA-256 of a secret.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The secret's start and end as the real API shows them: `sk-proj...abcd`.
pub fn redact(secret: &str) -> String {
    let prefix = ["sk-proj-", "sk-svcacct-", "sk-admin-"]
        .into_iter()
        .find(|p| secret.starts_with(p))
        .map(|p| p.trim_end_matches('-'));
    let chars: Vec<char> = secret.chars().collect();
    match prefix {
        Some(prefix) if chars.len() > prefix.len() + 8 => {
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("{prefix}...{tail}")
        }
        _ => mask_key(secret),
    }
}

impl KeyIndex {
    /// The key with this secret.
    pub fn find(&self, secret: &str) -> Option<Arc<KeyEntry>> {
        let hash = digest(secret);
        self.by_hash.read().ok()?.get(&hash).cloned()
    }

    /// Replaces the index with the keys stored in `objects` (key objects and revoked
    /// hashes), keeping what was known of last use.
    pub(super) fn rebuild(&self, keys: &[Arc<Object>], revoked: &[Arc<Object>]) {
        let mut map = HashMap::new();
        for object in keys {
            if let Some((hash, entry)) = entry_of(object) {
                map.insert(hash, Arc::new(entry));
            }
        }
        for object in revoked {
            if let Some(hash) = unhex(&object.id) {
                let id = object.body.get("key_id").and_then(Value::as_str);
                map.insert(hash, Arc::new(revoked_entry(id.unwrap_or(""))));
            }
        }
        if let Ok(mut index) = self.by_hash.write() {
            for (hash, entry) in &map {
                if let (Some(old), None) = (index.get(hash), entry.last_used()) {
                    if let Some(at) = old.last_used() {
                        entry.touch(at);
                    }
                }
            }
            *index = map;
        }
    }

    fn insert(&self, hash: [u8; 32], entry: KeyEntry) -> Arc<KeyEntry> {
        let entry = Arc::new(entry);
        if let Ok(mut index) = self.by_hash.write() {
            index.insert(hash, entry.clone());
        }
        entry
    }

    /// Every key entry (for flushing last use).
    pub(super) fn entries(&self) -> Vec<Arc<KeyEntry>> {
        self.by_hash
            .read()
            .map(|index| index.values().cloned().collect())
            .unwrap_or_default()
    }

    /// A new secret with `prefix`: 48 characters nobody can guess from the seed.
    fn secret(&self, prefix: &str) -> String {
        let n = self.generated.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = fnv1a(&[&nanos.to_le_bytes(), &n.to_le_bytes(), b"secret"]);
        let mut rng = Rng::new(seed ^ u64::from(std::process::id()));
        format!("{prefix}{}", rng.alphanumeric(48))
    }
}

fn revoked_entry(id: &str) -> KeyEntry {
    KeyEntry {
        id: id.into(),
        kind: KeyKind::Project,
        project_id: "".into(),
        state: KeyState::Revoked,
        expires_at: None,
        limits: KeyLimits::default(),
        scopes: Vec::new(),
        seen: false,
        role: String::new(),
        redacted: String::new(),
        last_used: AtomicI64::new(0),
    }
}

/// A stored key object's hash and entry.
fn entry_of(object: &Object) -> Option<([u8; 32], KeyEntry)> {
    let extra = &object.extra;
    let hash = unhex(extra.get("hash")?.as_str()?)?;
    let state = serde_json::from_value(extra.get("state")?.clone()).ok()?;
    let kind = serde_json::from_value(extra.get("kind")?.clone()).ok()?;
    let limits = serde_json::from_value(extra.get("limits").cloned().unwrap_or(json!({})))
        .unwrap_or_default();
    let scopes = serde_json::from_value(extra.get("scopes").cloned().unwrap_or(json!([])))
        .unwrap_or_default();
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Some((
        hash,
        KeyEntry {
            id: object.id.as_str().into(),
            kind,
            project_id: object.parent.as_deref().unwrap_or("").into(),
            state,
            expires_at: extra.get("expires_at").and_then(Value::as_i64),
            limits,
            scopes,
            seen: extra.get("seen").and_then(Value::as_bool).unwrap_or(false),
            role: text(extra, "role"),
            redacted: text(&object.body, "redacted_value"),
            last_used: AtomicI64::new(
                object
                    .body
                    .get("last_used_at")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
            ),
        },
    ))
}

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
        let live = self.state.keys.by_hash.read().ok()?.get(&hash).cloned();
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
                    "last_used_at": null, "owner_project_access": "all", "owner": new.owner,
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

impl KeyIndex {
    fn find_hash(&self, hash: &[u8; 32]) -> Option<Arc<KeyEntry>> {
        self.by_hash.read().ok()?.get(hash).cloned()
    }
}
