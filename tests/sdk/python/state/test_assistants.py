"""Assistants, threads, messages, runs (the function-tool loop), run steps, cancel and
streaming runs, through the official SDK against the lenient and the strict server."""

import json

import time

import openai
import pytest
from openai import AssistantEventHandler

from conftest import wait_until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def text_of(message) -> str:
    return "".join(part.text.value for part in message.content if part.type == "text")


def test_assistant_crud_and_list(client):
    created = client.beta.assistants.create(model="gpt-4o", name="Helper", instructions="Be brief.", tools=[WEATHER])
    assert created.id.startswith("asst_")
    got = client.beta.assistants.retrieve(created.id)
    assert got == created
    assert got.tools[0].function.name == "get_weather"
    updated = client.beta.assistants.update(created.id, name="Renamed", metadata={"team": "a"})
    assert updated.name == "Renamed" and updated.metadata == {"team": "a"}
    assert updated.instructions == "Be brief."
    other = client.beta.assistants.create(model="gpt-4o-mini")
    listed = [a.id for a in client.beta.assistants.list()]
    assert listed == [other.id, created.id]
    assert [a.id for a in client.beta.assistants.list(order="asc", limit=1).data] == [created.id]
    deleted = client.beta.assistants.delete(created.id)
    assert deleted.deleted and deleted.id == created.id
    with pytest.raises(openai.NotFoundError) as error:
        client.beta.assistants.retrieve(created.id)
    assert error.value.body["message"] == f"No assistant found with id '{created.id}'."
    assert [a.id for a in client.beta.assistants.list()] == [other.id]


def test_thread_with_messages(client):
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "Hello there"}, {"role": "user", "content": "Second"}],
        metadata={"k": "v"},
    )
    assert client.beta.threads.retrieve(thread.id) == thread
    listed = client.beta.threads.messages.list(thread.id, order="asc")
    assert [text_of(m) for m in listed] == ["Hello there", "Second"]
    third = client.beta.threads.messages.create(thread.id, role="user", content="Third")
    assert third.thread_id == thread.id and third.status == "completed"
    assert client.beta.threads.messages.retrieve(third.id, thread_id=thread.id) == third
    ids = [m.id for m in client.beta.threads.messages.list(thread.id)]
    assert ids[0] == third.id and len(ids) == 3
    page = client.beta.threads.messages.list(thread.id, order="asc", after=ids[2], limit=1).data
    assert [m.id for m in page] == [ids[1]]
    page = client.beta.threads.messages.list(thread.id, before=ids[1])
    assert [m.id for m in page] == [third.id]
    changed = client.beta.threads.messages.update(third.id, thread_id=thread.id, metadata={"x": "1"})
    assert changed.metadata == {"x": "1"}
    client.beta.threads.messages.delete(third.id, thread_id=thread.id)
    assert len(client.beta.threads.messages.list(thread.id).data) == 2
    assert client.beta.threads.update(thread.id, metadata={"k": "w"}).metadata == {"k": "w"}
    assert client.beta.threads.delete(thread.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.retrieve(thread.id)


def test_function_tool_loop_with_polling(client):
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What's the weather in Paris?"}])
    started = time.monotonic()
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=50)
    assert run.status == "requires_action"
    assert run.started_at is not None and run.completed_at is None and run.usage is None
    assert run.expires_at == run.created_at + 600
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [c.function.name for c in calls] == ["get_weather"]
    assert json.loads(calls[0].function.arguments)["city"] == "Paris"
    # Only the calls asked for are accepted.
    with pytest.raises(openai.BadRequestError) as error:
        client.beta.threads.runs.submit_tool_outputs(
            run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": "call_unknown", "output": "x"}]
        )
    assert "Expected tool outputs for call_ids" in error.value.body["message"]
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id)
    assert [s.type for s in steps] == ["tool_calls"]
    assert steps.data[0].status == "in_progress"
    assert steps.data[0].step_details.tool_calls[0].function.output is None

    output = json.dumps({"temperature": 21, "condition": "sunny"})
    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": calls[0].id, "output": output}],
        poll_interval_ms=50,
    )
    assert time.monotonic() - started < 10
    assert done.status == "completed"
    assert done.required_action is None and done.expires_at is None
    assert done.completed_at >= done.started_at >= done.created_at
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens > 0
    answer = client.beta.threads.messages.list(thread.id, run_id=run.id).data
    assert len(answer) == 1 and answer[0].role == "assistant" and answer[0].run_id == run.id
    assert "21" in text_of(answer[0]) and "sunny" in text_of(answer[0])

    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert [s.status for s in steps] == ["completed", "completed"]
    assert steps[0].step_details.tool_calls[0].function.output == output
    assert steps[1].step_details.message_creation.message_id == answer[0].id
    assert client.beta.threads.runs.steps.retrieve(steps[1].id, thread_id=thread.id, run_id=run.id) == steps[1]
    assert [r.id for r in client.beta.threads.runs.list(thread.id)] == [run.id]
    # A finished run takes no more outputs and cannot be cancelled.
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.cancel(run_id=run.id, thread_id=thread.id)


def test_a_plain_run_completes_with_an_answer(client):
    assistant = client.beta.assistants.create(model="gpt-4o", instructions="You are a pirate.")
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": 'Say "ahoy matey"'}]},
        poll_interval_ms=50,
    )
    assert run.status == "completed" and run.usage.completion_tokens > 0
    messages = client.beta.threads.messages.list(run.thread_id).data
    assert [m.role for m in messages] == ["assistant", "user"]
    assert text_of(messages[0]) == "ahoy matey"
    updated = client.beta.threads.runs.update(run.id, thread_id=run.thread_id, metadata={"a": "b"})
    assert updated.metadata == {"a": "b"} and updated.status == "completed"


def test_max_completion_tokens_makes_the_run_incomplete(client):
    words = " ".join(f"word{i}" for i in range(400))
    thread = client.beta.threads.create(messages=[{"role": "user", "content": f'Say "{words}"'}])
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, max_completion_tokens=256, poll_interval_ms=50
    )
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_completion_tokens"
    assert run.usage.completion_tokens == 256
    message = client.beta.threads.messages.list(thread.id, run_id=run.id).data[0]
    assert message.status == "incomplete" and message.incomplete_details.reason == "max_tokens"
    assert words.startswith(text_of(message)) and text_of(message) != words


def test_cancel(client):
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Weather in Rome?"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "queued" and run.started_at is None
    cancelling = client.beta.threads.runs.cancel(run_id=run.id, thread_id=thread.id)
    assert cancelling.status == "cancelling"
    done = wait_until(
        lambda: (r := client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)).status == "cancelled" and r
    )
    assert done.cancelled_at is not None and done.completed_at is None and done.required_action is None
    time.sleep(0.4)
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "cancelled"
    assert client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data == []
    with pytest.raises(openai.BadRequestError) as error:
        client.beta.threads.runs.cancel(run_id=run.id, thread_id=thread.id)
    assert "Cannot cancel run with status 'cancelled'" in error.value.body["message"]


def test_streaming_run_deltas_join_into_the_stored_message(client):
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Tell me about tide pools"}])
    events = []

    class Handler(AssistantEventHandler):
        def on_event(self, event):
            events.append(event.event)

    deltas = []
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id, event_handler=Handler()) as stream:
        for text in stream.text_deltas:
            deltas.append(text)
        final = stream.get_final_run()
        final_messages = stream.get_final_messages()
    assert final.status == "completed"
    stored = client.beta.threads.messages.list(thread.id, run_id=final.id).data[0]
    assert "".join(deltas) == text_of(stored) != ""
    assert final_messages[0].id == stored.id and text_of(final_messages[0]) == text_of(stored)
    assert client.beta.threads.runs.retrieve(final.id, thread_id=thread.id) == final
    assert events[:3] == ["thread.run.created", "thread.run.queued", "thread.run.in_progress"]
    assert events[-4:] == ["thread.message.completed", "thread.run.step.completed", "thread.run.completed", "done"] or events[-3:] == [
        "thread.message.completed",
        "thread.run.step.completed",
        "thread.run.completed",
    ]


def test_streaming_tool_loop(client):
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What's the weather in Oslo?"}])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        stream.until_done()
        run = stream.current_run
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    with client.beta.threads.runs.submit_tool_outputs_stream(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": call.id, "output": "rainy, 7 degrees"}]
    ) as stream:
        text = "".join(stream.text_deltas)
        final = stream.get_final_run()
    assert final.status == "completed"
    assert "rainy, 7 degrees" in text
    stored = client.beta.threads.messages.list(thread.id, run_id=run.id).data[0]
    assert text_of(stored) == text


def test_key_a_objects_are_invisible_to_key_b(client, other_client):
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    assert [a.id for a in other_client.beta.assistants.list()] == []
    assert other_client.beta.threads.messages.list(thread.id).data == []
    assert other_client.beta.assistants.retrieve(assistant.id).id == assistant.id  # lenient: generated


def test_strict_ids_give_the_real_404s(strict_client):
    with pytest.raises(openai.NotFoundError) as error:
        strict_client.beta.threads.retrieve("thread_missing")
    assert error.value.body["message"] == "No thread found with id 'thread_missing'."
    thread = strict_client.beta.threads.create()
    with pytest.raises(openai.NotFoundError) as error:
        strict_client.beta.threads.runs.retrieve("run_missing", thread_id=thread.id)
    assert error.value.body["message"] == "No run found with id 'run_missing'."
    with pytest.raises(openai.NotFoundError) as error:
        strict_client.beta.threads.runs.create(thread_id=thread.id, assistant_id="asst_missing")
    assert error.value.body["message"] == "No assistant found with id 'asst_missing'."
    with pytest.raises(openai.NotFoundError):
        strict_client.beta.threads.messages.retrieve("msg_missing", thread_id=thread.id)
    assistant = strict_client.beta.assistants.create(model="gpt-4o")
    run = strict_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=50)
    assert run.status == "completed"
    with pytest.raises(openai.NotFoundError):
        strict_client.beta.threads.runs.steps.retrieve("step_missing", thread_id=thread.id, run_id=run.id)
