//! Keys through the admin API: service accounts (whose creation returns a working
//! `sk-svcacct-…` key), project API keys (listed with their `redacted_value` and last use,
//! deleted for real) and admin keys (created, listed, deleted; a new one works on the admin
//! operations, a deleted one stops).

use super::super::stored::{page, path_param, set};
use super::super::Endpoint;
use super::{actor, Family, SERVICE_ACCOUNTS};
use crate::endpoints::Call;
use crate::store::org::{keys::PROJECT_KEY, KeyKind, ORG};
use crate::store::Object;
use serde_json::{json, Value};

fn project_keys(call: &Call) -> Vec<Value> {
    let org = call.store.org();
    let project = path_param(call, "project_id");
    org.list_keys()
        .into_iter()
        .filter(|k| k.kind != KeyKind::Admin && k.project_id.as_deref() == Some(project))
        .filter_map(|k| org.key_body(&k.id))
        .collect()
}

fn admin_keys(call: &Call) -> Vec<Value> {
    let org = call.store.org();
    org.list_keys()
        .into_iter()
        .filter(|k| k.kind == KeyKind::Admin)
        .filter_map(|k| org.key_body(&k.id))
        .collect()
}

/// `POST /organization/projects/{project_id}/service_accounts`: the service account, stored,
/// with a new working key (its secret shown this once).
pub const SERVICE_ACCOUNT_CREATE: Endpoint = Endpoint {
    ops: &["create-project-service-account"],
    shape: |call, answer, _| {
        let family: &Family = &SERVICE_ACCOUNTS;
        let project = path_param(call, "project_id").to_string();
        if let Some(name) = call.request.body.get("name").filter(|n| n.is_string()) {
            set(answer, "name", name.clone());
        }
        let Some(id) = answer.get("id").and_then(Value::as_str).map(str::to_string) else {
            return;
        };
        let name = answer
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let role = answer.get("role").cloned().unwrap_or(Value::from("member"));
        let account = json!({
            "object": family.kind, "id": id, "name": name, "role": role,
            "created_at": answer.get("created_at").cloned().unwrap_or(json!(0)),
        });
        let mut object = Object::new(family.kind, &id, account.clone());
        object.parent = Some(project.clone());
        if call.store.create(ORG, object).is_err() {
            return;
        }
        let org = call.store.org();
        let Ok(created) = org.create_service_account_key(&project, "Secret key", account) else {
            return;
        };
        set(
            answer,
            "api_key",
            json!({
                "object": "organization.project.service_account.api_key",
                "value": created.secret, "name": created.info.name,
                "created_at": created.info.created_at, "id": created.info.id,
            }),
        );
        org.record_audit(
            "service_account.created",
            actor(call).as_deref(),
            Some(&project),
            json!({"id": id, "data": {"role": role}}),
        );
    },
    ..Endpoint::GENERIC
};

/// `DELETE …/service_accounts/{service_account_id}`: the account and its keys are gone (its
/// keys get 401 from now on).
pub const SERVICE_ACCOUNT_DELETE: Endpoint = Endpoint {
    ops: &["delete-project-service-account"],
    shape: |call, answer, _| {
        let id = path_param(call, "service_account_id").to_string();
        let org = call.store.org();
        let owned: Vec<String> = call
            .store
            .list(ORG, PROJECT_KEY, Some(path_param(call, "project_id")))
            .iter()
            .filter(|k| {
                k.body
                    .pointer("/owner/service_account/id")
                    .and_then(Value::as_str)
                    == Some(id.as_str())
            })
            .map(|k| k.id.clone())
            .collect();
        for key in owned {
            org.revoke_key(&key);
        }
        super::delete(call, &SERVICE_ACCOUNTS, answer);
    },
    ..Endpoint::GENERIC
};

/// `GET /organization/projects/{project_id}/api_keys`.
pub const PROJECT_KEY_LIST: Endpoint = Endpoint {
    ops: &["list-project-api-keys"],
    shape: |call, answer, _| page(call, project_keys(call), answer, "asc"),
    ..Endpoint::GENERIC
};

/// `GET /organization/projects/{project_id}/api_keys/{api_key_id}`.
pub const PROJECT_KEY_RETRIEVE: Endpoint = Endpoint {
    ops: &["retrieve-project-api-key"],
    shape: |call, answer, _| {
        if let Some(body) = call.store.org().key_body(path_param(call, "api_key_id")) {
            *answer = body;
        }
    },
    ..Endpoint::GENERIC
};

fn revoke(call: &Call, param: &str, answer: &mut Value) {
    let id = path_param(call, param).to_string();
    call.store.org().revoke_key(&id);
    set(answer, "id", Value::from(id));
    set(answer, "deleted", Value::Bool(true));
}

/// `DELETE /organization/projects/{project_id}/api_keys/{api_key_id}`: the key gets 401 from
/// now on.
pub const PROJECT_KEY_DELETE: Endpoint = Endpoint {
    ops: &["delete-project-api-key"],
    shape: |call, answer, _| revoke(call, "api_key_id", answer),
    ..Endpoint::GENERIC
};

/// `POST /organization/admin_api_keys`: a working admin key, its secret shown this once.
pub const ADMIN_KEY_CREATE: Endpoint = Endpoint {
    ops: &["admin-api-keys-create"],
    shape: |call, answer, _| {
        let body = &call.request.body;
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("Admin key");
        let expires = body.get("expires_in_seconds").and_then(Value::as_u64);
        let org = call.store.org();
        let Ok(created) = org.create_admin_key(name, expires, "owner") else {
            return;
        };
        if let Some(stored) = org.key_body(&created.info.id) {
            *answer = stored;
            set(answer, "value", Value::from(created.secret));
        }
    },
    ..Endpoint::GENERIC
};

/// `GET /organization/admin_api_keys`.
pub const ADMIN_KEY_LIST: Endpoint = Endpoint {
    ops: &["admin-api-keys-list"],
    shape: |call, answer, _| page(call, admin_keys(call), answer, "asc"),
    ..Endpoint::GENERIC
};

/// `GET /organization/admin_api_keys/{key_id}`.
pub const ADMIN_KEY_RETRIEVE: Endpoint = Endpoint {
    ops: &["admin-api-keys-get"],
    shape: |call, answer, _| {
        if let Some(body) = call.store.org().key_body(path_param(call, "key_id")) {
            *answer = body;
        }
    },
    ..Endpoint::GENERIC
};

/// `DELETE /organization/admin_api_keys/{key_id}`: the key stops working at once.
pub const ADMIN_KEY_DELETE: Endpoint = Endpoint {
    ops: &["admin-api-keys-delete"],
    shape: |call, answer, _| revoke(call, "key_id", answer),
    ..Endpoint::GENERIC
};
