"""Keys and access through the real admin API (openai-python's `client.admin`): service
accounts, project API keys, admin keys, project rate limits, and the mock-only
/__mock/keys controls (expiry, suspend/resume/revoke, scopes)."""

import time
import uuid

import openai
import pytest

from conftest import client_for

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}


def new_project(admin, name="proj"):
    return admin.admin.organization.projects.create(name=f"{name}-{uuid.uuid4().hex[:8]}")


def mock_key(control, **spec):
    answer = control.post("/__mock/keys", json={"name": "test key", **spec})
    assert answer.status_code == 200, answer.text
    return answer.json()


def assert_invalid_key(error, *words):
    assert error.value.status_code == 401
    body = error.value.body
    assert body["code"] == "invalid_api_key", body
    for word in words:
        assert word in body["message"], body["message"]


def test_a_service_account_key_works_and_gets_401_once_deleted(admin):
    project = new_project(admin)
    accounts = admin.admin.organization.projects.service_accounts
    account = accounts.create(project.id, name="deployer")
    secret = account.api_key.value
    assert secret.startswith("sk-svcacct-")
    client = client_for(secret)
    assert client.chat.completions.create(**CHAT).object == "chat.completion"

    keys = admin.admin.organization.projects.api_keys.list(project.id).data
    [key] = keys
    assert key.id == account.api_key.id
    assert secret not in key.redacted_value and key.redacted_value.startswith("sk-svcacct...")
    assert key.redacted_value.endswith(secret[-4:])
    assert key.last_used_at is not None and key.last_used_at >= key.created_at
    assert key.owner.service_account.id == account.id

    deleted = accounts.delete(account.id, project_id=project.id)
    assert deleted.deleted is True
    with pytest.raises(openai.AuthenticationError) as error:
        client.chat.completions.create(**CHAT)
    assert_invalid_key(error, "Incorrect API key provided")
    assert secret not in error.value.body["message"]


def test_a_project_key_is_retrieved_then_deleted_for_real(admin, control):
    project = new_project(admin)
    created = mock_key(control, project_id=project.id, name="ci")
    assert created["key"].startswith("sk-proj-")
    api_keys = admin.admin.organization.projects.api_keys
    key = api_keys.retrieve(created["id"], project_id=project.id)
    assert key.name == "ci" and key.redacted_value == created["redacted_value"]
    assert key.last_used_at is None
    client_for(created["key"]).models.list()
    assert api_keys.retrieve(created["id"], project_id=project.id).last_used_at is not None
    assert api_keys.delete(created["id"], project_id=project.id).deleted is True
    with pytest.raises(openai.AuthenticationError) as error:
        client_for(created["key"]).models.list()
    assert_invalid_key(error)
    assert api_keys.list(project.id).data == []


def test_an_admin_key_created_through_the_api_works_until_deleted(admin):
    created = admin.admin.organization.admin_api_keys.create(name="rotation")
    assert created.value.startswith("sk-admin-")
    assert created.redacted_value.startswith("sk-admin...") and created.value not in created.redacted_value
    rotated = openai.OpenAI(
        base_url=str(admin.base_url), api_key="sk-unused", admin_api_key=created.value, max_retries=0
    )
    project = rotated.admin.organization.projects.create(name="made with the new key")
    assert project.name == "made with the new key"
    listed = [k.id for k in admin.admin.organization.admin_api_keys.list().data]
    assert created.id in listed
    assert "value" not in admin.admin.organization.admin_api_keys.retrieve(created.id).model_dump()

    stranger = openai.OpenAI(
        base_url=str(admin.base_url), api_key="sk-unused", admin_api_key="sk-admin-unknown", max_retries=0
    )
    with pytest.raises(openai.AuthenticationError):
        stranger.admin.organization.projects.list()

    assert admin.admin.organization.admin_api_keys.delete(created.id).deleted is True
    with pytest.raises(openai.AuthenticationError) as error:
        rotated.admin.organization.projects.list()
    assert_invalid_key(error)


def test_a_project_rate_limit_of_two_per_minute_refuses_the_third_call(admin, control):
    project = new_project(admin)
    limits = admin.admin.organization.projects.rate_limits
    listed = limits.list_rate_limits(project.id).data
    mini = next(limit for limit in listed if limit.model == "gpt-4o-mini")
    updated = limits.update_rate_limit(mini.id, project_id=project.id, max_requests_per_1_minute=2)
    assert updated.max_requests_per_1_minute == 2
    again = next(l for l in limits.list_rate_limits(project.id).data if l.model == "gpt-4o-mini")
    assert again.max_requests_per_1_minute == 2

    client = client_for(mock_key(control, project_id=project.id)["key"])
    remaining = []
    for _ in range(2):
        raw = client.chat.completions.with_raw_response.create(**CHAT)
        assert raw.headers["x-ratelimit-limit-requests"] == "2"
        remaining.append(raw.headers["x-ratelimit-remaining-requests"])
    assert remaining == ["1", "0"]
    with pytest.raises(openai.RateLimitError) as error:
        client.chat.completions.create(**CHAT)
    headers = error.value.response.headers
    assert headers["x-ratelimit-limit-requests"] == "2"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert int(headers["retry-after"]) >= 1
    assert error.value.body["code"] == "rate_limit_exceeded"
    # Another model of the same project is not limited.
    client.chat.completions.create(**{**CHAT, "model": "gpt-4o"})


def test_a_key_that_expires_in_two_seconds_works_at_once_and_not_three_seconds_later(control):
    created = mock_key(control, expires_in_seconds=2)
    client = client_for(created["key"])
    client.models.list()
    time.sleep(3)
    with pytest.raises(openai.AuthenticationError) as error:
        client.models.list()
    assert_invalid_key(error, "expired")
    listed = {k["id"]: k for k in control.get("/__mock/keys").json()["data"]}
    assert listed[created["id"]]["state"] == "expired"


def test_a_suspended_key_is_refused_until_resumed_and_a_revoked_one_for_good(control):
    created = mock_key(control)
    client = client_for(created["key"])
    client.models.list()
    assert control.post(f"/__mock/keys/{created['id']}/suspend").json()["state"] == "suspended"
    with pytest.raises(openai.AuthenticationError) as error:
        client.models.list()
    assert_invalid_key(error)
    assert control.post(f"/__mock/keys/{created['id']}/resume").json()["state"] == "active"
    client.models.list()
    assert control.delete(f"/__mock/keys/{created['id']}").status_code == 200
    with pytest.raises(openai.AuthenticationError):
        client.models.list()
    assert created["id"] not in [k["id"] for k in control.get("/__mock/keys").json()["data"]]


def test_a_key_outside_its_scopes_gets_missing_scopes(control):
    client = client_for(mock_key(control, scopes=["api.model.read"])["key"])
    client.models.list()
    with pytest.raises(openai.AuthenticationError) as error:
        client.chat.completions.create(**CHAT)
    message = error.value.body["message"]
    assert message.startswith("You have insufficient permissions for this operation.")
    assert "Missing scopes: api.model.request" in message


def test_a_key_first_seen_in_open_mode_is_registered_in_the_default_project(admin, key, client):
    client.models.list()
    keys = list(admin.admin.organization.projects.api_keys.list("proj_default"))
    assert any(k.redacted_value.endswith(key[-2:]) and k.last_used_at for k in keys)
    assert all(key not in k.redacted_value for k in keys)
    project = next(p for p in admin.admin.organization.projects.list() if p.id == "proj_default")
    assert project.name == "Default project"
