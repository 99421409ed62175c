"""Stored responses through the official SDK: retrieve gives back the response exactly as
it was answered (streamed ones too), input_items lists what was sent, delete makes it a
404; previous_response_id rebuilds the conversation (the reply remembers, and usage counts
every earlier turn); background responses move queued -> in_progress -> completed on the
lifecycle timer, can be cancelled, and their streams resumed with starting_after."""

import openai
import pytest

from conftest import wait_until

MODEL = "gpt-4o-mini"


def test_retrieve_gives_back_the_response_as_it_was_answered(client):
    created = client.responses.create(model=MODEL, input="Tell me about tide pools.")
    assert created.store is True
    again = client.responses.retrieve(created.id)
    assert again.model_dump() == created.model_dump()


def test_a_streamed_response_is_stored_as_its_completed_event(client):
    events = list(client.responses.create(model=MODEL, input="Describe a lighthouse.", stream=True))
    assert events[-1].type == "response.completed"
    final = events[-1].response
    assert client.responses.retrieve(final.id).model_dump() == final.model_dump()


def test_input_items_are_listed_newest_first_and_paginated(client):
    sent = [{"role": "user", "content": f"note {i}"} for i in range(5)]
    created = client.responses.create(model=MODEL, input=sent)
    items = client.responses.input_items.list(created.id)
    texts = [item.content[0].text for item in items.data]
    assert texts == [f"note {i}" for i in reversed(range(5))]
    assert all(item.id.startswith("msg_") and item.status == "completed" for item in items.data)
    ascending = client.responses.input_items.list(created.id, order="asc", limit=2)
    assert [i.content[0].text for i in ascending.data] == ["note 0", "note 1"]
    assert ascending.has_more is True
    everything = [i.content[0].text for i in client.responses.input_items.list(created.id, order="asc", limit=2)]
    assert everything == [f"note {i}" for i in range(5)]
    after = client.responses.input_items.list(created.id, order="asc", after=ascending.data[-1].id)
    assert [i.content[0].text for i in after.data] == ["note 2", "note 3", "note 4"]


def test_delete_makes_a_response_a_404(client, strict_client):
    for c in (client, strict_client):
        created = c.responses.create(model=MODEL, input="Something to forget.")
        assert c.responses.delete(created.id) is None
        with pytest.raises(openai.NotFoundError) as caught:
            c.responses.retrieve(created.id)
        assert caught.value.body["message"] == f"Response with id '{created.id}' not found."
        with pytest.raises(openai.NotFoundError):
            c.responses.input_items.list(created.id)


def test_store_false_keeps_nothing(strict_client):
    created = strict_client.responses.create(model=MODEL, input="Off the record.", store=False)
    assert created.store is False
    with pytest.raises(openai.NotFoundError):
        strict_client.responses.retrieve(created.id)


def test_previous_response_id_remembers_earlier_turns(client):
    first = client.responses.create(model=MODEL, input="Hi! My name is Ada.", instructions="Be terse.")
    second = client.responses.create(model=MODEL, input="What is my name?", previous_response_id=first.id)
    assert "Ada" in second.output_text
    assert second.previous_response_id == first.id
    # Earlier instructions are not carried over.
    assert second.instructions is None
    third = client.responses.create(
        model=MODEL, input="And do you remember my name?", previous_response_id=second.id
    )
    assert "Ada" in third.output_text


def test_input_tokens_count_every_earlier_turn(client):
    first = client.responses.create(model=MODEL, input="My favourite colour is teal.")
    second = client.responses.create(
        model=MODEL, input="What is my favourite colour?", previous_response_id=first.id
    )
    assert "teal" in second.output_text
    alone = client.responses.create(model=MODEL, input="What is my favourite colour?")
    assert second.usage.input_tokens > alone.usage.input_tokens
    assert second.usage.input_tokens > first.usage.input_tokens
    # The whole context, sent explicitly, counts the same.
    whole = [
        {"role": "user", "content": "My favourite colour is teal."},
        {"role": "assistant", "content": first.output_text},
        {"role": "user", "content": "What is my favourite colour?"},
    ]
    counted = client.responses.input_tokens.count(model=MODEL, input=whole)
    assert second.usage.input_tokens == counted.input_tokens
    chained = client.responses.input_tokens.count(
        model=MODEL, input="What is my favourite colour?", previous_response_id=first.id
    )
    assert chained.input_tokens == counted.input_tokens


def test_an_unknown_previous_response_is_a_404_when_ids_are_strict(client, strict_client):
    with pytest.raises(openai.NotFoundError) as caught:
        strict_client.responses.create(model=MODEL, input="Hi", previous_response_id="resp_nope")
    assert caught.value.body["message"] == "Previous response with id 'resp_nope' not found."
    assert caught.value.body["param"] == "previous_response_id"
    # Lenient ids: no earlier context.
    reply = client.responses.create(model=MODEL, input="Hi", previous_response_id="resp_nope")
    assert reply.status == "completed"


def test_previous_response_id_and_conversation_together_are_refused(client):
    first = client.responses.create(model=MODEL, input="Hello")
    conversation = client.conversations.create()
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODEL, input="Hi", previous_response_id=first.id, conversation=conversation.id
        )
    assert "Mutually exclusive parameters" in caught.value.body["message"]


def test_background_needs_store(client):
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model=MODEL, input="Hi", background=True, store=False)


def test_a_background_response_is_queued_then_completes(client):
    created = client.responses.create(model=MODEL, input="Write a haiku about snow.", background=True)
    assert created.status == "queued"
    assert created.background is True
    assert created.output == [] and created.usage is None
    seen = []

    def done():
        current = client.responses.retrieve(created.id)
        if current.status not in seen:
            seen.append(current.status)
        if current.status != "completed":
            assert current.output == [] and current.completed_at is None
        return current if current.status == "completed" else None

    finished = wait_until(done)
    assert seen[-1] == "completed" and set(seen) <= {"queued", "in_progress", "completed"}
    assert finished.output_text and finished.usage.output_tokens > 0
    assert finished.completed_at >= finished.created_at


def cancel_soon(client):
    """A background response cancelled before it finishes; on a machine too slow to cancel
    within the lifecycle, another try (the server runs with --lifecycle-ms 300)."""
    for _ in range(5):
        created = client.responses.create(model=MODEL, input="A long story, please.", background=True)
        try:
            return created, client.responses.cancel(created.id)
        except openai.BadRequestError:
            continue
    raise AssertionError("no background response could be cancelled before it finished")


def test_a_background_response_can_be_cancelled_until_it_finishes(client):
    created, cancelled = cancel_soon(client)
    assert cancelled.status == "cancelled" and cancelled.id == created.id
    assert cancelled.output == []
    assert client.responses.retrieve(created.id).status == "cancelled"
    # It stays cancelled once the lifecycle would have ended.
    finished = client.responses.create(model=MODEL, input="Quick one.", background=True)
    wait_until(lambda: client.responses.retrieve(finished.id).status == "completed")
    assert client.responses.retrieve(created.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(finished.id)
    foreground = client.responses.create(model=MODEL, input="Not in the background.")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.cancel(foreground.id)
    assert caught.value.body["message"] == "Cannot cancel a synchronous response."


def test_a_background_stream_resumes_after_a_sequence_number(client):
    stream = client.responses.create(
        model=MODEL, input="Tell me about owls.", background=True, stream=True
    )
    events = list(stream)
    assert events[0].type == "response.created" and events[0].response.status == "queued"
    assert events[-1].type == "response.completed"
    response_id = events[-1].response.id
    resumed = list(client.responses.retrieve(response_id, stream=True, starting_after=3))
    assert [e.sequence_number for e in resumed] == [e.sequence_number for e in events[4:]]
    assert [e.type for e in resumed] == [e.type for e in events[4:]]
    assert client.responses.retrieve(response_id).model_dump() == events[-1].response.model_dump()


def test_another_key_sees_none_of_it(client, other_client):
    created = client.responses.create(model=MODEL, input="My name is Zed.")
    follow_up = other_client.responses.create(
        model=MODEL, input="What is my name?", previous_response_id=created.id
    )
    # The other namespace has no such response: lenient mode answers without context.
    assert "Zed" not in follow_up.output_text
    assert other_client.responses.retrieve(created.id).model_dump() != created.model_dump()
    listed = other_client.responses.input_items.list(created.id)
    texts = [part.text for item in listed.data for part in (getattr(item, "content", None) or [])]
    assert "My name is Zed." not in texts
