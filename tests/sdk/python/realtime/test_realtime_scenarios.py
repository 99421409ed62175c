"""Scenario rules on Realtime sockets, through `client.realtime.connect`.

The server runs with tests/sdk/realtime_rules.yaml (`--config`), whose rules match a
Realtime turn (`endpoint: /realtime`) by the user's last words.
"""

import json
import time

import httpx
import pytest
import websockets
from openai import OpenAI

from conftest import until


def say(connection, text: str) -> None:
    connection.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )
    until(connection, "conversation.item.done")


def text_session(connection, **session) -> None:
    until(connection, "session.created")
    connection.session.update(session={"type": "realtime", "output_modalities": ["text"], **session})
    until(connection, "session.updated")


def text_turn(connection, said: str) -> tuple:
    """A text turn after the user `said` something: its events, and the reply's text."""
    say(connection, said)
    connection.response.create()
    events = until(connection, "response.done")
    return events, "".join(e.delta for e in events if e.type == "response.output_text.delta")


def test_a_rule_scripts_the_reply_text(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        text_session(connection)
        events, text = text_turn(connection, "What is the secret word?")
        assert text == "The secret word is mango."
        assert events[-1].response.status == "completed"
        assert events[-1].response.output[0].content[0].text == text


def test_a_scripted_reply_is_spoken_in_audio(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        until(connection, "session.created")
        say(connection, "What is the secret word?")
        connection.response.create()
        events = until(connection, "response.done")
        transcript = "".join(
            e.delta for e in events if e.type == "response.output_audio_transcript.delta"
        )
        assert transcript == "The secret word is mango."
        assert any(e.type == "response.output_audio.delta" for e in events)


def test_a_rule_scripts_a_function_call(client: OpenAI) -> None:
    tool = {"type": "function", "name": "book_table", "description": "Books a table.",
            "parameters": {"type": "object", "properties": {
                "restaurant": {"type": "string"}, "people": {"type": "integer"}}}}
    with client.realtime.connect(model="gpt-realtime") as connection:
        text_session(connection, tools=[tool])
        say(connection, "Please book a table for four tonight.")
        connection.response.create()
        events = until(connection, "response.done")
        done = [e for e in events if e.type == "response.function_call_arguments.done"][0]
        assert done.name == "book_table"
        assert done.call_id == "call_booking_1"
        assert json.loads(done.arguments) == {"restaurant": "Chez Mock", "people": 4}
        deltas = "".join(
            e.delta for e in events if e.type == "response.function_call_arguments.delta"
        )
        assert deltas == done.arguments
        connection.conversation.item.create(
            item={"type": "function_call_output", "call_id": done.call_id,
                  "output": '{"confirmed": true}'}
        )
        until(connection, "conversation.item.done")
        connection.response.create()
        finished = until(connection, "response.done")[-1].response
        assert finished.status == "completed"
        assert finished.output[0].type == "message"
        assert finished.output[0].content[0].text == "Booked: a table for four at Chez Mock."


def test_a_rule_scripts_an_error_and_the_socket_stays_open(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        text_session(connection)
        say(connection, "Trigger an outage, please.")
        connection.send({"type": "response.create", "event_id": "evt_scripted_error"})
        events = until(connection, "response.done")
        kinds = [e.type for e in events]
        assert kinds == ["response.created", "error", "response.done"], kinds
        error = events[1].error
        assert error.type == "tokens"
        assert error.code == "rate_limit_exceeded"
        assert error.message == "Rate limit reached for gpt-realtime (scripted)."
        assert error.event_id == "evt_scripted_error"
        failed = events[2].response
        assert failed.status == "failed"
        assert failed.status_details.type == "failed"
        assert failed.status_details.error.code == "rate_limit_exceeded"
        say(connection, "What is the secret word?")
        connection.response.create()
        assert until(connection, "response.done")[-1].response.status == "completed"


def test_latency_holds_a_response_back_so_it_can_be_cancelled(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        text_session(connection)
        say(connection, "Take your time and tell me a long story.")
        connection.response.create()
        # `ttft_ms: 5000` holds the whole response back: the cancel arrives first.
        connection.response.cancel()
        events = until(connection, "response.done")
        assert [e.type for e in events] == ["response.done"]
        cancelled = events[0].response
        assert cancelled.status == "cancelled"
        assert cancelled.status_details.reason == "client_cancelled"
        assert all(item.status == "incomplete" for item in cancelled.output)
        # Nothing is left to cancel now.
        connection.send({"type": "response.cancel", "event_id": "evt_nothing"})
        error = until(connection, "error")[-1].error
        assert error.code == "response_cancel_not_active"


def test_paced_events_arrive_whole_and_in_order(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        text_session(connection)
        events, text = text_turn(connection, "Say it one word at a time.")
        assert text == "Slowly but surely."
        assert events[0].type == "response.created"
        assert connection.recv().type == "rate_limits.updated"


def test_a_fault_drops_the_connection_mid_response(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        text_session(connection)
        say(connection, "Drop the line after a few words.")
        connection.response.create()
        received = []
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as closed:
            while True:
                received.append(connection.recv().type)
        assert received == [
            "response.created", "response.output_item.added", "conversation.item.added",
        ], received
        # No close frame: the connection was simply dropped.
        assert closed.value.rcvd is None


def test_the_log_records_the_socket_and_its_events(client: OpenAI, base_url: str) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        text_session(connection)
        text_turn(connection, "What is the secret word?")
    root = base_url.removesuffix("/v1")
    entry = None
    for _ in range(100):
        entries = httpx.get(f"{root}/__mock/requests").json()["data"]
        sockets = [e for e in entries if e.get("operation") == "realtime-websocket"]
        entry = sockets[-1] if sockets else None
        if entry and entry["socket"].get("ended"):
            break
        time.sleep(0.02)
    assert entry is not None
    assert entry["status"] == 101
    assert entry["method"] == "GET"
    assert entry["path"] == "/v1/realtime"
    assert entry["model"] == "gpt-realtime"
    assert entry["key"].startswith("sk-") and "****" in entry["key"]
    assert entry["rule"] == "realtime-secret-word"
    socket = entry["socket"]
    assert socket["ended"] == "closed by the client"
    assert socket["client_events"] == 3
    kinds = [(e["from"], e["type"]) for e in socket["events"]]
    assert kinds[0] == ("server", "session.created")
    assert ("client", "session.update") in kinds
    assert ("client", "response.create") in kinds
    assert ("server", "response.done") in kinds
    assert socket["server_events"] == len([k for k in kinds if k[0] == "server"])


def test_a_sideband_socket_opens_the_session_its_call_was_accepted_with(client: OpenAI) -> None:
    client.realtime.calls.accept(
        "rtc_sideband_test", type="realtime", model="gpt-realtime-2025-08-28",
        instructions="You are Alex, the concierge.", output_modalities=["text"],
    )
    with client.realtime.connect(call_id="rtc_sideband_test") as connection:
        session = until(connection, "session.created")[-1].session
        assert session.model == "gpt-realtime-2025-08-28"
        assert session.instructions == "You are Alex, the concierge."
        assert session.output_modalities == ["text"]
    # A call never accepted opens a plain session.
    with client.realtime.connect(call_id="rtc_unknown") as connection:
        session = until(connection, "session.created")[-1].session
        assert session.instructions != "You are Alex, the concierge."
