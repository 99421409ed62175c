"""Conversations through the official SDK: create with items and metadata, retrieve,
update, delete; items listed (newest first), added, retrieved and deleted; and each
responses.create(conversation=...) reads the conversation as context and appends its input
and output items to it."""

import openai
import pytest

MODEL = "gpt-4o-mini"


def texts(items):
    return [part.text for item in items for part in (getattr(item, "content", None) or [])]


def test_conversation_crud(client):
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "Hello there"}],
        metadata={"topic": "demo"},
    )
    assert conversation.id.startswith("conv_")
    assert conversation.metadata == {"topic": "demo"}
    assert client.conversations.retrieve(conversation.id).model_dump() == conversation.model_dump()
    updated = client.conversations.update(conversation.id, metadata={"topic": "changed"})
    assert updated.metadata == {"topic": "changed"}
    assert client.conversations.retrieve(conversation.id).metadata == {"topic": "changed"}
    deleted = client.conversations.delete(conversation.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (conversation.id, True, "conversation.deleted")
    with pytest.raises(openai.NotFoundError) as caught:
        client.conversations.retrieve(conversation.id)
    assert caught.value.body["message"] == f"Conversation with id '{conversation.id}' not found."


def test_items_are_listed_added_retrieved_and_deleted(client):
    conversation = client.conversations.create(
        items=[{"role": "user", "content": f"first {i}"} for i in range(3)]
    )
    listed = client.conversations.items.list(conversation.id)
    assert texts(listed.data) == ["first 2", "first 1", "first 0"]
    added = client.conversations.items.create(
        conversation.id,
        items=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "more"}]}],
    )
    assert texts(added.data) == ["more"]
    new_id = added.data[0].id
    assert new_id.startswith("msg_")
    assert client.conversations.items.retrieve(new_id, conversation_id=conversation.id).id == new_id
    ascending = client.conversations.items.list(conversation.id, order="asc", limit=2)
    assert texts(ascending.data) == ["first 0", "first 1"] and ascending.has_more
    every = [item.id for item in client.conversations.items.list(conversation.id, order="asc", limit=2)]
    assert len(every) == 4 and every[-1] == new_id
    after_delete = client.conversations.items.delete(new_id, conversation_id=conversation.id)
    assert after_delete.id == conversation.id
    assert texts(client.conversations.items.list(conversation.id).data) == ["first 2", "first 1", "first 0"]
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(new_id, conversation_id=conversation.id)


def test_responses_in_a_conversation_read_and_grow_it(client):
    conversation = client.conversations.create()
    assert client.conversations.items.list(conversation.id).data == []
    first = client.responses.create(model=MODEL, input="My name is Ada.", conversation=conversation.id)
    assert first.conversation.id == conversation.id
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [item.role for item in items] == ["user", "assistant"]
    assert texts(items) == ["My name is Ada.", first.output_text]
    second = client.responses.create(
        model=MODEL, input="What is my name?", conversation={"id": conversation.id}
    )
    assert "Ada" in second.output_text
    assert second.usage.input_tokens > first.usage.input_tokens
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert texts(items) == ["My name is Ada.", first.output_text, "What is my name?", second.output_text]
    assert [item.id for item in items][-1] == second.output[-1].id


def test_an_unknown_conversation_is_a_404_when_ids_are_strict(strict_client):
    with pytest.raises(openai.NotFoundError):
        strict_client.responses.create(model=MODEL, input="Hi", conversation="conv_nope")
    with pytest.raises(openai.NotFoundError):
        strict_client.conversations.items.list("conv_nope")


def test_another_key_sees_none_of_it(client, other_client, strict_client):
    conversation = strict_client.conversations.create(items=[{"role": "user", "content": "secret"}])
    other = openai.OpenAI(base_url=strict_client.base_url, api_key="sk-someone-else", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        other.conversations.retrieve(conversation.id)
    with pytest.raises(openai.NotFoundError):
        other.conversations.items.list(conversation.id)
    mine = client.conversations.create(items=[{"role": "user", "content": "secret"}])
    assert "secret" not in texts(other_client.conversations.items.list(mine.id).data)
