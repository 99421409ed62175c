//! The audit log: events with the spec's types (`project.created`, `api_key.deleted`, ...),
//! each with an actor, the project it concerns and `effective_at`, stored in creation
//! order and queried with the filters of `GET /organization/audit_logs`.

use super::{mock_user, now_secs, Org, ORG};
use crate::store::Object;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// The stored kind of audit events.
pub const AUDIT_EVENT: &str = "audit_log";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Which events an audit query wants (every field empty or `None`: all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// Only these event types.
    pub event_types: Vec<String>,
    /// Only events about these projects.
    pub project_ids: Vec<String>,
    /// Only events by these actors (key or user ids).
    pub actor_ids: Vec<String>,
    /// Only events about these resources (the id in the event's payload).
    pub resource_ids: Vec<String>,
    /// `effective_at` at or after (Unix seconds).
    pub since: Option<i64>,
    /// `effective_at` at or before (Unix seconds).
    pub until: Option<i64>,
}

impl AuditQuery {
    fn matches(&self, event: &Value) -> bool {
        let text = |path: &[&str]| {
            path.iter()
                .try_fold(event, |v, k| v.get(*k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let kind = text(&["type"]).unwrap_or_default();
        let project = text(&["project", "id"]);
        let actor =
            text(&["actor", "api_key", "id"]).or_else(|| text(&["actor", "session", "user", "id"]));
        let resource = event
            .get(&kind)
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str);
        let at = event
            .get("effective_at")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let within = |list: &[String], value: Option<&str>| {
            list.is_empty() || value.is_some_and(|v| list.iter().any(|l| l == v))
        };
        within(&self.event_types, Some(&kind))
            && within(&self.project_ids, project.as_deref())
            && within(&self.actor_ids, actor.as_deref())
            && within(&self.resource_ids, resource)
            && self.since.is_none_or(|s| at >= s)
            && self.until.is_none_or(|u| at <= u)
    }
}

impl Org<'_> {
    /// Appends an audit event of `event_type` (a spec type such as `api_key.created`, or a
    /// mock-only one the dashboard records), done by the key `actor_key_id` (the mock's owner
    /// when `None`), about `project_id`, with `payload` under the event type's name. The
    /// event as stored; `Value::Null` when the store is full.
    pub fn record_audit(
        &self,
        event_type: &str,
        actor_key_id: Option<&str>,
        project_id: Option<&str>,
        payload: Value,
    ) -> Value {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = format!(
            "audit_log-{:x}{n:06}",
            super::keys::digest(&format!("{n}{}", crate::store::lifecycle::now_ms()))[0]
        );
        let actor = match actor_key_id {
            Some(key) => json!({"type": "api_key", "api_key": {
                "id": key, "type": "user", "user": {"id": super::MOCK_USER, "email": "owner@example.com"},
            }}),
            None => json!({"type": "session", "session": {
                "user": {"id": super::MOCK_USER, "email": mock_user()["email"]},
                "ip_address": "127.0.0.1",
            }}),
        };
        let mut event =
            json!({"id": id, "type": event_type, "effective_at": now_secs(), "actor": actor});
        if let Some(project) = project_id {
            let name = match self.store.get(ORG, super::PROJECT, project) {
                crate::store::Found::Live(o) => o.body.get("name").cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            };
            event["project"] = json!({"id": project, "name": name});
        }
        event[event_type] = payload;
        match self
            .store
            .create(ORG, Object::new(AUDIT_EVENT, &id, event.clone()))
        {
            Ok(_) => event,
            Err(_) => Value::Null,
        }
    }

    /// The audit events `query` wants, oldest first.
    pub fn audit(&self, query: &AuditQuery) -> Vec<Value> {
        self.store
            .list(ORG, AUDIT_EVENT, None)
            .iter()
            .map(|o| &o.body)
            .filter(|e| query.matches(e))
            .cloned()
            .collect()
    }
}
