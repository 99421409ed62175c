//! API keys of the organization: project keys (`sk-proj-…`), service-account keys
//! (`sk-svcacct-…`), admin keys (`sk-admin-…`) and the keys seen in open mode.
//!
//! A key is stored once, as the API object its list and retrieve show, with the SHA-256 of
//! its secret (never the secret) and its mock-only settings (state, expiry, limits, scopes)
//! in `extra`. The hot path never reads the store: [`KeyIndex`] maps each secret's hash to
//! a [`KeyEntry`] and is rebuilt from the store whenever the store is loaded or reset. A
//! revoked key leaves a `revoked_key` object (its hash) so it stays refused after a restart.
//! Creating, listing and changing keys is in `super::key_admin`.

use crate::error::mask_key;
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

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn unhex(text: &str) -> Option<[u8; 32]> {
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

    pub(super) fn insert(&self, hash: [u8; 32], entry: KeyEntry) -> Arc<KeyEntry> {
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
    pub(super) fn secret(&self, prefix: &str) -> String {
        let n = self.generated.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = fnv1a(&[&nanos.to_le_bytes(), &n.to_le_bytes(), b"secret"]);
        let mut rng = Rng::new(seed ^ u64::from(std::process::id()));
        format!("{prefix}{}", rng.alphanumeric(48))
    }
}

pub(super) fn revoked_entry(id: &str) -> KeyEntry {
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
pub(super) fn entry_of(object: &Object) -> Option<([u8; 32], KeyEntry)> {
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

impl KeyIndex {
    /// The key with this hash.
    pub(super) fn find_hash(&self, hash: &[u8; 32]) -> Option<Arc<KeyEntry>> {
        self.by_hash.read().ok()?.get(hash).cloned()
    }
}
