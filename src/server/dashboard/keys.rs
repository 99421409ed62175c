//! The keys page: every key with its project, state, times, limits and usage; the
//! **Create key** form (name, project, expiry, rpm, tpm, burst), which shows the new secret
//! once; and **Suspend**, **Resume** and **Revoke**, each through a confirmation page (a form
//! of its own, so confirming works without JavaScript).
//!
//! Keys live in the organization (`crate::store::org`); this page only reads and calls it.
//! The secret is shown only in the answer to the creating POST; every other page shows the
//! redacted value.

use super::page::{csrf_field, layout, utc};
use super::session::Session;
use crate::store::org::{CreatedKey, KeyInfo, KeyKind, KeyLimits, KeySpec, KeyState};
use maud::{html, Markup};
use serde_json::Value;
use std::collections::HashMap;

/// A change a row's button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Refuse the key until resumed.
    Suspend,
    /// Accept a suspended key again.
    Resume,
    /// Refuse the key for good.
    Revoke,
}

impl Action {
    /// The action a path segment names.
    pub fn parse(name: &str) -> Option<Action> {
        match name {
            "suspend" => Some(Action::Suspend),
            "resume" => Some(Action::Resume),
            "revoke" => Some(Action::Revoke),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Revoke => "revoke",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Action::Suspend => "Suspend",
            Action::Resume => "Resume",
            Action::Revoke => "Revoke",
        }
    }

    /// What the confirmation page says the action does.
    fn effect(self) -> &'static str {
        match self {
            Action::Suspend => "Requests with it get 401 until it is resumed.",
            Action::Resume => "It is accepted again.",
            Action::Revoke => "Requests with it get 401 from now on. This cannot be undone.",
        }
    }

    /// Whether the action applies to a key in `state`.
    fn applies(self, state: KeyState) -> bool {
        match self {
            Action::Suspend => state == KeyState::Active,
            Action::Resume => state == KeyState::Suspended,
            Action::Revoke => true,
        }
    }
}

fn state_name(state: KeyState) -> &'static str {
    match state {
        KeyState::Active => "active",
        KeyState::Suspended => "suspended",
        KeyState::Expired => "expired",
        KeyState::Revoked => "revoked",
    }
}

fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Project => "project",
        KeyKind::ServiceAccount => "service account",
        KeyKind::Admin => "admin",
    }
}

/// A key spec from the create form; the message for a field that is not a number.
pub fn spec_of(form: &HashMap<String, String>) -> Result<KeySpec, String> {
    let number = |field: &str, label: &str| -> Result<Option<u64>, String> {
        match form.get(field).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => text
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("{label} must be a whole number, not '{text}'.")),
        }
    };
    let name = form.get("name").map_or("", |n| n.trim()).to_string();
    if name.chars().count() > 200 {
        return Err("Name must be at most 200 characters.".into());
    }
    Ok(KeySpec {
        name,
        project_id: form
            .get("project_id")
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty()),
        expires_in_seconds: number("expires_in_seconds", "Expires in")?,
        limits: KeyLimits {
            rpm: number("rpm", "RPM")?,
            tpm: number("tpm", "TPM")?,
            burst: number("burst", "Burst")?,
        },
        scopes: Vec::new(),
    })
}

fn time(secs: Option<i64>) -> String {
    secs.map_or_else(|| "never".into(), |s| utc(s.max(0) as u64 * 1000))
}

fn limits(limits: &KeyLimits) -> String {
    let part = |name: &str, v: Option<u64>| v.map(|v| format!("{name} {v}"));
    let parts: Vec<String> = [
        part("rpm", limits.rpm),
        part("tpm", limits.tpm),
        part("burst", limits.burst),
    ]
    .into_iter()
    .flatten()
    .collect();
    match parts.is_empty() {
        true => "project's".into(),
        false => parts.join(", "),
    }
}

/// The keys page; `created` is shown (with its secret) right after the create form's POST.
pub fn page(
    keys: &[KeyInfo],
    projects: &[Value],
    session: &Session,
    created: Option<&CreatedKey>,
    error: Option<&str>,
) -> Markup {
    let project_name = |id: &str| -> String {
        projects
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["name"].as_str())
            .map_or_else(|| id.to_string(), str::to_string)
    };
    layout(
        "Keys",
        Some(session),
        html! {
            @if let Some(error) = error { p.error role="alert" { (error) } }
            @if let Some(created) = created {
                section #created {
                    p { "Key " strong { (created.info.name) } " created. Copy its secret now: it is not shown again." }
                    p.secret #new-secret { (created.secret) }
                }
            }
            @if session.can_write() {
                h2 { "Create key" }
                form.create method="post" action="/dashboard/keys" {
                    (csrf_field(session))
                    label for="key-name" { "Name" } input #key-name name="name" maxlength="200";
                    label for="key-project" { "Project" }
                    select #key-project name="project_id" {
                        option value="" { "Default project" }
                        @for p in projects {
                            @if let Some(id) = p["id"].as_str() {
                                option value=(id) { (p["name"].as_str().unwrap_or(id)) }
                            }
                        }
                    }
                    label for="key-expiry" { "Expires in (seconds)" } input #key-expiry name="expires_in_seconds" type="number" min="1";
                    label for="key-rpm" { "RPM" } input #key-rpm name="rpm" type="number" min="1";
                    label for="key-tpm" { "TPM" } input #key-tpm name="tpm" type="number" min="1";
                    label for="key-burst" { "Burst" } input #key-burst name="burst" type="number" min="1";
                    button type="submit" { "Create key" }
                }
            }
            h2 { "Keys" }
            table #keys {
                thead { tr {
                    th { "Name" } th { "Kind" } th { "Project" } th { "State" } th { "Key" }
                    th { "Created" } th { "Last used" } th { "Expires" } th { "Limits" }
                    th { "Requests" } th { "Tokens" }
                    @if session.can_write() { th { "Actions" } }
                } }
                tbody {
                    @for key in keys {
                        tr data-key-id=(key.id) data-key-name=(key.name) {
                            td.name { (key.name) }
                            td { (kind_name(key.kind)) }
                            td { (key.project_id.as_deref().map(project_name).unwrap_or_default()) }
                            td class=(format!("state-{}", state_name(key.state))) { (state_name(key.state)) }
                            td { code { (key.redacted_value) } }
                            td { (time(Some(key.created_at))) }
                            td { (time(key.last_used_at)) }
                            td { (time(key.expires_at)) }
                            td { (limits(&key.limits)) }
                            td { (key.usage.requests) }
                            td { (key.usage.input_tokens + key.usage.output_tokens) }
                            @if session.can_write() {
                                td {
                                    @for action in [Action::Suspend, Action::Resume, Action::Revoke] {
                                        @if action.applies(key.state) {
                                            a href=(format!("/dashboard/keys/{}/{}", key.id, action.name())) { (action.label()) }
                                            " "
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The confirmation page of `action` on `key`.
pub fn confirm(key: &KeyInfo, action: Action, session: &Session) -> Markup {
    let title = format!("{} key {}?", action.label(), key.name);
    layout(
        &title,
        Some(session),
        html! {
            p { "Key " code { (key.redacted_value) } " (" (state_name(key.state)) "). " (action.effect()) }
            form method="post" action=(format!("/dashboard/keys/{}/{}", key.id, action.name())) {
                (csrf_field(session))
                button.danger[action == Action::Revoke] type="submit" { (action.label()) }
                " "
                a href="/dashboard/keys" { "Cancel" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::form_of as form;

    #[test]
    fn the_form_becomes_a_key_spec() {
        let spec = spec_of(&form(&[
            ("name", " ci "),
            ("rpm", "2"),
            ("expires_in_seconds", ""),
            ("project_id", ""),
        ]))
        .unwrap();
        assert_eq!(spec.name, "ci");
        assert_eq!(spec.limits.rpm, Some(2));
        assert_eq!((spec.expires_in_seconds, spec.project_id), (None, None));
        let error = spec_of(&form(&[("tpm", "lots")])).unwrap_err();
        assert!(error.contains("TPM") && error.contains("lots"));
    }

    #[test]
    fn actions_apply_to_the_states_they_change() {
        assert!(Action::Suspend.applies(KeyState::Active));
        assert!(!Action::Suspend.applies(KeyState::Suspended));
        assert!(Action::Resume.applies(KeyState::Suspended));
        assert!(Action::Revoke.applies(KeyState::Expired));
        assert_eq!(Action::parse("revoke"), Some(Action::Revoke));
        assert_eq!(Action::parse("delete"), None);
    }
}
