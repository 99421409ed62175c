//! The organization's admin operations (`/organization/…`), answered from the store's
//! organization ([`crate::store::org`]): projects, users, invites, project users and
//! service accounts are stored ([`Family`], one table of what each stores and which audit
//! events it records); keys ([`keys`]) work and stop working for real; usage, costs, audit
//! logs and rate limits ([`reports`]) answer from real traffic.
//!
//! Unknown ids are lenient like everywhere else: they get the generated answer.

pub mod keys;
pub mod reports;

use super::stored::{page, path_param, set};
use super::{Call, Endpoint};
use crate::store::org::ORG;
use crate::store::{Found, Object};
use serde_json::{json, Value};

/// A stored family of organization objects.
pub struct Family {
    /// The stored kind (the API's `object`).
    pub kind: &'static str,
    /// The path parameter naming one object.
    pub param: &'static str,
    /// The path parameter naming the parent (the project), if any.
    pub parent: Option<&'static str>,
    /// Request fields copied into the stored object.
    pub fields: &'static [&'static str],
    /// The audit events of create, update and delete (`None`: not recorded).
    pub events: [Option<&'static str>; 3],
}

/// Projects.
pub const PROJECTS: Family = Family {
    kind: "organization.project",
    param: "project_id",
    parent: None,
    fields: &["name", "external_key_id"],
    events: [Some("project.created"), Some("project.updated"), None],
};
/// Organization users.
pub const USERS: Family = Family {
    kind: "organization.user",
    param: "user_id",
    parent: None,
    fields: &["role"],
    events: [None, Some("user.updated"), Some("user.deleted")],
};
/// Invites.
pub const INVITES: Family = Family {
    kind: "organization.invite",
    param: "invite_id",
    parent: None,
    fields: &["email", "role"],
    events: [Some("invite.sent"), None, Some("invite.deleted")],
};
/// A project's users.
pub const PROJECT_USERS: Family = Family {
    kind: "organization.project.user",
    param: "user_id",
    parent: Some("project_id"),
    fields: &["role"],
    events: [
        Some("user.added"),
        Some("user.updated"),
        Some("user.deleted"),
    ],
};
/// A project's service accounts.
pub const SERVICE_ACCOUNTS: Family = Family {
    kind: "organization.project.service_account",
    param: "service_account_id",
    parent: Some("project_id"),
    fields: &["name"],
    events: [
        Some("service_account.created"),
        Some("service_account.updated"),
        Some("service_account.deleted"),
    ],
};

/// The id of the key the request was made with, as audit events name their actor.
pub fn actor(call: &Call) -> Option<String> {
    call.store
        .org()
        .find_key(call.namespace)
        .map(|key| key.id.to_string())
}

fn parent<'a>(call: &'a Call, family: &Family) -> Option<&'a str> {
    family.parent.map(|p| path_param(call, p))
}

fn record(call: &Call, family: &Family, which: usize, id: &str, data: Value) {
    if let Some(event) = family.events[which] {
        let project = match family.parent {
            Some(p) => Some(path_param(call, p)),
            None if family.kind == PROJECTS.kind => Some(id),
            None => None,
        };
        let key = if which == 1 {
            "changes_requested"
        } else {
            "data"
        };
        call.store.org().record_audit(
            event,
            actor(call).as_deref(),
            project,
            json!({"id": id, key: data}),
        );
    }
}

fn copy_fields(call: &Call, family: &Family, answer: &mut Value) -> Value {
    let mut data = json!({});
    for field in family.fields {
        if let Some(value) = call.request.body.get(*field) {
            if answer.get(*field).is_some_and(|old| same_kind(old, value)) {
                set(answer, field, value.clone());
            }
            set(&mut data, field, value.clone());
        }
    }
    data
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b) || a.is_null()
}

/// Stores the generated answer of a create, with the request's fields, and records the
/// family's created event.
pub fn create(call: &Call, family: &Family, answer: &mut Value) {
    let data = copy_fields(call, family, answer);
    if family.kind == PROJECTS.kind {
        set(answer, "status", Value::from("active"));
        set(answer, "archived_at", Value::Null);
    }
    let Some(id) = answer.get("id").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let mut object = Object::new(family.kind, &id, answer.clone());
    object.parent = parent(call, family).map(str::to_string);
    if call.store.create(ORG, object).is_ok() {
        record(call, family, 0, &id, data);
    }
}

/// The stored object the path names, into `answer` (lenient: an unknown id keeps the
/// generated answer).
pub fn retrieve(call: &Call, family: &Family, answer: &mut Value) {
    if let Found::Live(object) = call
        .store
        .get(ORG, family.kind, path_param(call, family.param))
    {
        *answer = object.body.clone();
    }
}

/// A page of the stored objects (of the path's parent).
pub fn list(call: &Call, family: &Family, answer: &mut Value) {
    let items = call
        .store
        .list(ORG, family.kind, parent(call, family))
        .iter()
        .map(|o| o.body.clone())
        .collect();
    page(call, items, answer, "asc");
}

/// Changes the stored object with the request's fields and records the updated event.
pub fn modify(call: &Call, family: &Family, answer: &mut Value) {
    let id = path_param(call, family.param).to_string();
    let mut data = json!({});
    let updated = call.store.update(ORG, family.kind, &id, |object| {
        data = copy_fields(call, family, &mut object.body);
    });
    match updated {
        Some(object) => *answer = object.body.clone(),
        None => data = copy_fields(call, family, answer),
    }
    record(call, family, 1, &id, data);
}

/// Deletes the stored object and records the deleted event.
pub fn delete(call: &Call, family: &Family, answer: &mut Value) {
    let id = path_param(call, family.param).to_string();
    if call.store.delete(ORG, family.kind, &id).is_some() {
        record(call, family, 2, &id, json!({}));
    }
    set(answer, "id", Value::from(id));
    if answer.get("deleted").is_some() {
        set(answer, "deleted", Value::Bool(true));
    }
}

macro_rules! crud {
    ($name:ident, $op:literal, $family:ident, $action:ident) => {
        #[doc = concat!("`", $op, "`.")]
        pub const $name: Endpoint = Endpoint {
            ops: &[$op],
            shape: |call, answer, _| $action(call, &$family, answer),
            ..Endpoint::GENERIC
        };
    };
}

crud!(PROJECT_CREATE, "create-project", PROJECTS, create);
crud!(PROJECT_LIST, "list-projects", PROJECTS, list);
crud!(PROJECT_RETRIEVE, "retrieve-project", PROJECTS, retrieve);
crud!(PROJECT_MODIFY, "modify-project", PROJECTS, modify);
crud!(USER_LIST, "list-users", USERS, list);
crud!(USER_RETRIEVE, "retrieve-user", USERS, retrieve);
crud!(USER_MODIFY, "modify-user", USERS, modify);
crud!(USER_DELETE, "delete-user", USERS, delete);
crud!(INVITE_CREATE, "inviteUser", INVITES, create);
crud!(INVITE_LIST, "list-invites", INVITES, list);
crud!(INVITE_RETRIEVE, "retrieve-invite", INVITES, retrieve);
crud!(INVITE_DELETE, "delete-invite", INVITES, delete);
crud!(
    PROJECT_USER_CREATE,
    "create-project-user",
    PROJECT_USERS,
    create
);
crud!(PROJECT_USER_LIST, "list-project-users", PROJECT_USERS, list);
crud!(
    PROJECT_USER_RETRIEVE,
    "retrieve-project-user",
    PROJECT_USERS,
    retrieve
);
crud!(
    PROJECT_USER_MODIFY,
    "modify-project-user",
    PROJECT_USERS,
    modify
);
crud!(
    PROJECT_USER_DELETE,
    "delete-project-user",
    PROJECT_USERS,
    delete
);
crud!(
    SERVICE_ACCOUNT_LIST,
    "list-project-service-accounts",
    SERVICE_ACCOUNTS,
    list
);
crud!(
    SERVICE_ACCOUNT_RETRIEVE,
    "retrieve-project-service-account",
    SERVICE_ACCOUNTS,
    retrieve
);
crud!(
    SERVICE_ACCOUNT_MODIFY,
    "update-project-service-account",
    SERVICE_ACCOUNTS,
    modify
);

/// `POST /organization/projects/{project_id}/archive`.
pub const PROJECT_ARCHIVE: Endpoint = Endpoint {
    ops: &["archive-project"],
    shape: |call, answer, _| {
        let id = path_param(call, "project_id");
        let now = crate::store::org::now_secs();
        let updated = call.store.update(ORG, PROJECTS.kind, id, |o| {
            set(&mut o.body, "status", Value::from("archived"));
            set(&mut o.body, "archived_at", Value::from(now));
        });
        if let Some(object) = updated {
            *answer = object.body.clone();
            call.store.org().record_audit(
                "project.archived",
                actor(call).as_deref(),
                Some(id),
                json!({"id": id}),
            );
        }
    },
    ..Endpoint::GENERIC
};

/// Every entry of this family, for `ENTRIES`.
pub const ENTRIES: &[&Endpoint] = &[
    &PROJECT_CREATE,
    &PROJECT_LIST,
    &PROJECT_RETRIEVE,
    &PROJECT_MODIFY,
    &PROJECT_ARCHIVE,
    &USER_LIST,
    &USER_RETRIEVE,
    &USER_MODIFY,
    &USER_DELETE,
    &INVITE_CREATE,
    &INVITE_LIST,
    &INVITE_RETRIEVE,
    &INVITE_DELETE,
    &PROJECT_USER_CREATE,
    &PROJECT_USER_LIST,
    &PROJECT_USER_RETRIEVE,
    &PROJECT_USER_MODIFY,
    &PROJECT_USER_DELETE,
    &SERVICE_ACCOUNT_LIST,
    &SERVICE_ACCOUNT_RETRIEVE,
    &SERVICE_ACCOUNT_MODIFY,
    &keys::SERVICE_ACCOUNT_CREATE,
    &keys::SERVICE_ACCOUNT_DELETE,
    &keys::PROJECT_KEY_LIST,
    &keys::PROJECT_KEY_RETRIEVE,
    &keys::PROJECT_KEY_DELETE,
    &keys::ADMIN_KEY_CREATE,
    &keys::ADMIN_KEY_LIST,
    &keys::ADMIN_KEY_RETRIEVE,
    &keys::ADMIN_KEY_DELETE,
    &reports::USAGE,
    &reports::COSTS,
    &reports::AUDIT_LOGS,
    &reports::RATE_LIMITS_LIST,
    &reports::RATE_LIMIT_UPDATE,
];
