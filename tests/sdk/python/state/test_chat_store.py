"""Stored chat completions through the official SDK: `store=True` keeps the completion
with its request messages and metadata; it can be retrieved exactly as answered, listed
with `model` and `metadata` filters and pagination, its messages listed, its metadata
updated, and deleted. `store` false or absent keeps nothing, and another key sees nothing."""

import os
import uuid

import openai
import pytest
from openai import OpenAI

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name three rivers in Europe."},
]


def create(client, model="gpt-4o-mini", **kwargs):
    return client.chat.completions.create(model=model, messages=MESSAGES, **kwargs)


def test_a_stored_completion_is_retrieved_exactly_as_answered(client):
    created = create(client, store=True, metadata={"topic": "rivers"})
    assert created.metadata == {"topic": "rivers"}
    retrieved = client.chat.completions.retrieve(created.id)
    assert retrieved.model_dump() == created.model_dump()
    assert retrieved.choices[0].message.content == created.choices[0].message.content


def test_a_streamed_stored_completion_keeps_the_assembled_answer(client):
    stream = create(client, store=True, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    retrieved = client.chat.completions.retrieve(chunks[0].id)
    assert retrieved.choices[0].message.content == text
    assert retrieved.usage.completion_tokens == chunks[-1].usage.completion_tokens


def test_list_filters_by_model_and_metadata_and_pages(client):
    a = create(client, store=True, metadata={"team": "red"})
    b = create(client, model="gpt-4.1", store=True, metadata={"team": "blue"})
    c = create(client, store=True, metadata={"team": "red", "tier": "1"})
    create(client)  # not stored
    create(client, store=False)
    everything = client.chat.completions.list()
    assert [x.id for x in everything.data] == [a.id, b.id, c.id]
    assert [x.id for x in client.chat.completions.list(model="gpt-4.1").data] == [b.id]
    red = client.chat.completions.list(metadata={"team": "red"})
    assert [x.id for x in red.data] == [a.id, c.id]
    tier = client.chat.completions.list(metadata={"team": "red", "tier": "1"})
    assert [x.id for x in tier.data] == [c.id]
    newest = client.chat.completions.list(order="desc", limit=2)
    assert [x.id for x in newest.data] == [c.id, b.id]
    assert newest.has_more
    first = client.chat.completions.list(limit=1)
    assert [x.id for x in first.data] == [a.id] and first.has_more
    rest = client.chat.completions.list(limit=5, after=a.id)
    assert [x.id for x in rest.data] == [b.id, c.id] and not rest.has_more
    assert [x.id for x in client.chat.completions.list(limit=1)] == [a.id, b.id, c.id]


def test_messages_lists_the_request_messages(client):
    created = client.chat.completions.create(
        model="gpt-4o-mini",
        store=True,
        messages=[
            *MESSAGES,
            {"role": "assistant", "content": "Danube, Rhine, Seine."},
            {"role": "user", "content": [{"type": "text", "text": "And in Asia?"}]},
        ],
    )
    messages = client.chat.completions.messages.list(created.id)
    assert [m.id for m in messages.data] == [f"{created.id}-{i}" for i in range(4)]
    assert [m.role for m in messages.data] == ["system", "user", "assistant", "user"]
    assert messages.data[1].content == "Name three rivers in Europe."
    assert messages.data[3].content == "And in Asia?"
    assert messages.data[3].content_parts[0].text == "And in Asia?"
    page = client.chat.completions.messages.list(created.id, limit=2, after=f"{created.id}-0")
    assert [m.id for m in page.data] == [f"{created.id}-1", f"{created.id}-2"]
    assert page.has_more
    newest = client.chat.completions.messages.list(created.id, order="desc", limit=1)
    assert [m.id for m in newest.data] == [f"{created.id}-3"]


def test_update_changes_only_the_metadata(client):
    created = create(client, store=True, metadata={"a": "1"})
    updated = client.chat.completions.update(created.id, metadata={"b": "2"})
    assert updated.metadata == {"b": "2"}
    assert updated.choices[0].message.content == created.choices[0].message.content
    assert client.chat.completions.retrieve(created.id).metadata == {"b": "2"}
    assert [x.id for x in client.chat.completions.list(metadata={"b": "2"}).data] == [created.id]
    assert client.chat.completions.list(metadata={"a": "1"}).data == []


def test_delete_makes_it_a_404(client, strict_client):
    created = create(client, store=True)
    deleted = client.chat.completions.delete(created.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "chat.completion.deleted")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.messages.list(created.id)
    assert client.chat.completions.list().data == []
    # Strict ids: a completion never stored is the real 404.
    with pytest.raises(openai.NotFoundError) as error:
        strict_client.chat.completions.retrieve("chatcmpl-never")
    assert "chatcmpl-never" in error.value.message


def test_unstored_completions_are_not_kept(client, strict_client):
    unstored = create(strict_client)
    explicit = create(strict_client, store=False)
    for completion in (unstored, explicit):
        with pytest.raises(openai.NotFoundError):
            strict_client.chat.completions.retrieve(completion.id)
    assert strict_client.chat.completions.list().data == []


def test_another_key_sees_nothing(strict_client):
    created = create(strict_client, store=True)
    other = OpenAI(base_url=os.environ["OPENAI_STRICT_BASE_URL"], api_key=f"sk-other-{uuid.uuid4().hex[:12]}", max_retries=0)
    assert other.chat.completions.list().data == []
    with pytest.raises(openai.NotFoundError):
        other.chat.completions.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        other.chat.completions.delete(created.id)
    assert strict_client.chat.completions.retrieve(created.id).id == created.id
