"""Usage, costs and the audit log from real traffic, through openai-python's
`client.admin.organization` (usage, costs, audit_logs)."""

import time
import uuid

from conftest import client_for

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Count my tokens, please"}]}


def project_with_key(admin, name):
    project = admin.admin.organization.projects.create(name=f"{name}-{uuid.uuid4().hex[:8]}")
    account = admin.admin.organization.projects.service_accounts.create(project.id, name="svc")
    return project, client_for(account.api_key.value), account.api_key.id


def results(page):
    return [result for bucket in page.data for result in bucket.results]


def test_usage_counts_and_token_sums_equal_the_traffic(admin):
    project, client, key_id = project_with_key(admin, "usage")
    start = int(time.time()) - 60
    answers = [client.chat.completions.create(**CHAT) for _ in range(3)]
    embedding = client.embeddings.create(model="text-embedding-3-small", input="three words here")

    usage = admin.admin.organization.usage
    # The calls may straddle a minute (or day) boundary: sum over the buckets.
    page = usage.completions(
        start_time=start, bucket_width="1m", project_ids=[project.id], group_by=["project_id", "api_key_id", "model"]
    )
    rows = results(page)
    assert sum(r.num_model_requests for r in rows) == 3
    assert sum(r.input_tokens for r in rows) == sum(a.usage.prompt_tokens for a in answers)
    assert sum(r.output_tokens for r in rows) == sum(a.usage.completion_tokens for a in answers)
    assert {(r.project_id, r.api_key_id, r.model) for r in rows} == {(project.id, key_id, "gpt-4o-mini")}

    daily = results(usage.completions(start_time=start, project_ids=[project.id]))
    assert sum(r.num_model_requests for r in daily) == 3
    assert all(r.project_id is None for r in daily)

    embedded = results(usage.embeddings(start_time=start, project_ids=[project.id]))
    assert sum(r.num_model_requests for r in embedded) == 1
    assert sum(r.input_tokens for r in embedded) == embedding.usage.prompt_tokens

    assert results(usage.completions(start_time=start, project_ids=[project.id], models=["gpt-4o"])) == []
    assert results(usage.moderations(start_time=start, project_ids=[project.id])) == []


def test_usage_pages_through_its_buckets(admin):
    start = int(time.time()) - 3 * 3600
    usage = admin.admin.organization.usage
    first = usage.completions(start_time=start, bucket_width="1h", limit=2)
    assert len(first.data) == 2 and first.has_more
    second = usage.completions(start_time=start, bucket_width="1h", limit=2, page=first.next_page)
    assert second.data[0].start_time == first.data[1].end_time


def test_costs_are_above_zero_for_a_busy_project_and_exactly_zero_for_an_idle_one(admin):
    busy, client, _ = project_with_key(admin, "busy")
    idle, _, _ = project_with_key(admin, "idle")
    start = int(time.time()) - 60
    for _ in range(2):
        client.chat.completions.create(**CHAT)

    costs = admin.admin.organization.usage.costs
    busy_rows = results(costs(start_time=start, group_by=["project_id"], project_ids=[busy.id]))
    assert sum(r.amount.value for r in busy_rows) > 0
    assert all(r.project_id == busy.id and r.amount.currency == "usd" for r in busy_rows)
    idle_rows = results(costs(start_time=start, group_by=["project_id"], project_ids=[idle.id]))
    assert sum(r.amount.value for r in idle_rows) == 0

    items = results(costs(start_time=start, group_by=["line_item"], project_ids=[busy.id]))
    assert {r.line_item for r in items} == {"gpt-4o-mini, input", "gpt-4o-mini, output"}


def test_the_audit_log_lists_what_happened_and_its_filters_work(admin, control):
    org = admin.admin.organization
    before = int(time.time())
    project = org.projects.create(name=f"audited-{uuid.uuid4().hex[:8]}")
    account = org.projects.service_accounts.create(project.id, name="svc")
    org.projects.rate_limits.update_rate_limit("rl-gpt-4o", project_id=project.id, max_requests_per_1_minute=500)
    invite = org.invites.create(email="new@example.com", role="reader")
    org.users.update("user-abc", role="reader")
    admin_key = org.admin_api_keys.create(name="audited")
    org.admin_api_keys.delete(admin_key.id)

    events = org.audit_logs.list(limit=100).data
    kinds = {e.type for e in events}
    for kind in ["project.created", "service_account.created", "api_key.created", "api_key.deleted",
                 "rate_limit.updated", "invite.sent", "user.updated"]:
        assert kind in kinds, kind
    assert all(e.actor is not None and e.effective_at >= 0 for e in events)
    assert [e.effective_at for e in events] == sorted((e.effective_at for e in events), reverse=True)

    mine = org.audit_logs.list(project_ids=[project.id], limit=100).data
    assert {e.type for e in mine} == {"project.created", "service_account.created", "rate_limit.updated"}
    created = org.audit_logs.list(event_types=["service_account.created"], project_ids=[project.id]).data
    assert [e.type for e in created] == ["service_account.created"]
    assert created[0].model_dump()["service_account.created"]["id"] == account.id
    sent = org.audit_logs.list(event_types=["invite.sent"], limit=100).data
    assert any((e.model_dump().get("invite.sent") or {}).get("id") == invite.id for e in sent)
    assert org.audit_logs.list(effective_at={"gt": int(time.time()) + 3600}).data == []
    assert len(org.audit_logs.list(effective_at={"gte": before}, project_ids=[project.id]).data) == 3
    by_owner = org.audit_logs.list(actor_ids=["user-mockowner"], project_ids=[project.id]).data
    assert len(by_owner) == 3
    assert org.audit_logs.list(actor_ids=["user-nobody"], project_ids=[project.id]).data == []
