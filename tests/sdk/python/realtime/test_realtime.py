"""Realtime sessions over the WebSocket through `client.realtime.connect`."""

import base64
import time

import httpx
import pytest
from openai import OpenAI

from conftest import b64, pcm16, speech_like, until


def test_a_text_turn(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        created = connection.recv()
        assert created.type == "session.created"
        assert created.session.model == "gpt-realtime"
        connection.session.update(
            session={"type": "realtime", "output_modalities": ["text"], "instructions": "Be brief."}
        )
        updated = until(connection, "session.updated")[-1]
        assert updated.session.output_modalities == ["text"]
        assert updated.session.instructions == "Be brief."
        connection.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": 'Reply with "Hello from the mock"'}],
            }
        )
        added = until(connection, "conversation.item.done")
        assert added[0].type == "conversation.item.added"
        connection.response.create()
        events = until(connection, "response.done")
        kinds = [e.type for e in events]
        assert kinds[0] == "response.created"
        for kind in (
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
        ):
            assert kind in kinds, kinds
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        assert text == "Hello from the mock"
        done = events[-1].response
        assert done.status == "completed"
        assert done.output[0].content[0].text == text
        assert done.usage.output_token_details.text_tokens > 0
        assert done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens
        assert connection.recv().type == "rate_limits.updated"


def test_an_audio_turn_decodes_to_audio_of_a_plausible_length(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        until(connection, "session.created")
        connection.conversation.item.create(
            item={"type": "message", "role": "user",
                  "content": [{"type": "input_text", "text": "Tell me about the ocean tides."}]}
        )
        connection.response.create()
        events = until(connection, "response.done")
        audio = b"".join(
            base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
        )
        transcript = "".join(
            e.delta for e in events if e.type == "response.output_audio_transcript.delta"
        )
        done = [e for e in events if e.type == "response.output_audio_transcript.done"][0]
        assert transcript == done.transcript and transcript
        seconds = len(audio) / 2 / 24000
        words = len(transcript.split())
        # Spoken English runs at 2 to 4 words a second.
        assert words / 4 <= seconds <= words / 1.5 + 1, (seconds, words)
        usage = events[-1].response.usage
        assert usage.output_token_details.audio_tokens > 0
        assert events[-1].response.output[0].content[0].type == "output_audio"

        # The same turn in G.711 μ-law: one byte a sample at 8 kHz, the same duration.
        connection.session.update(
            session={"type": "realtime", "audio": {"output": {"format": {"type": "audio/pcmu"}}}}
        )
        until(connection, "session.updated")
        connection.response.create(response={"conversation": "none", "input": [
            {"type": "message", "role": "user",
             "content": [{"type": "input_text", "text": "Tell me about the ocean tides."}]}]})
        events = until(connection, "response.done")
        ulaw = b"".join(
            base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
        )
        assert abs(len(ulaw) / 8000 - seconds) < 0.05
        assert events[-1].response.audio.output.format.type == "audio/pcmu"


def test_a_server_vad_turn_from_speech_between_silences(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        until(connection, "session.created")
        connection.session.update(session={
            "type": "realtime",
            "output_modalities": ["text"],
            "audio": {"input": {
                "transcription": {"model": "gpt-4o-transcribe"},
                "turn_detection": {"type": "server_vad", "silence_duration_ms": 300},
            }},
        })
        until(connection, "session.updated")
        audio = pcm16([0] * 12000) + pcm16(speech_like(1.5)) + pcm16([0] * 24000)
        step = 4800  # 100 ms of PCM16
        for start in range(0, len(audio), step):
            connection.input_audio_buffer.append(audio=b64(audio[start:start + step]))
        events = until(connection, "response.done")
        kinds = [e.type for e in events]
        started = events[kinds.index("input_audio_buffer.speech_started")]
        stopped = events[kinds.index("input_audio_buffer.speech_stopped")]
        # Speech runs from 500 ms to 2000 ms; the start includes the 300 ms prefix padding.
        assert started.audio_start_ms == 200
        assert 1950 <= stopped.audio_end_ms <= 2050
        assert kinds.index("input_audio_buffer.committed") > kinds.index(
            "input_audio_buffer.speech_stopped")
        committed = events[kinds.index("input_audio_buffer.committed")]
        transcribed = events[kinds.index("conversation.item.input_audio_transcription.completed")]
        assert transcribed.item_id == committed.item_id == started.item_id
        assert transcribed.transcript
        assert events[-1].response.status == "completed"


def test_a_function_call_turn_finished_with_its_output(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        until(connection, "session.created")
        connection.session.update(session={
            "type": "realtime",
            "output_modalities": ["text"],
            "tools": [{
                "type": "function",
                "name": "get_weather",
                "description": "Current weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]},
            }],
        })
        until(connection, "session.updated")
        connection.conversation.item.create(item={
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "What is the weather in Paris?"}]})
        connection.response.create()
        events = until(connection, "response.done")
        done = [e for e in events if e.type == "response.function_call_arguments.done"][0]
        deltas = "".join(e.delta for e in events
                         if e.type == "response.function_call_arguments.delta")
        assert done.name == "get_weather" and deltas == done.arguments
        assert "Paris" in done.arguments
        assert events[-1].response.output[0].type == "function_call"
        connection.conversation.item.create(item={
            "type": "function_call_output", "call_id": done.call_id,
            "output": '{"temperature_c": 18, "sky": "clear"}'})
        until(connection, "conversation.item.done")
        connection.response.create()
        events = until(connection, "response.done")
        answer = events[-1].response.output[0]
        assert answer.type == "message"
        assert "18" in answer.content[0].text


def test_an_invalid_event_gets_an_error_and_the_socket_stays_open(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        until(connection, "session.created")
        connection.send({"type": "conversation.item.create", "event_id": "evt_bad_1"})
        error = connection.recv()
        assert error.type == "error"
        assert error.error.type == "invalid_request_error"
        assert error.error.event_id == "evt_bad_1"
        assert error.error.param == "item"
        assert error.error.code == "missing_required_parameter"
        connection.send({"type": "session.frobnicate", "event_id": "evt_bad_2"})
        error = connection.recv()
        assert error.error.code == "invalid_value" and error.error.param == "type"
        connection.input_audio_buffer.commit(event_id="evt_bad_3")
        error = connection.recv()
        assert error.error.code == "input_audio_buffer_commit_empty"
        assert error.error.event_id == "evt_bad_3"
        connection.session.update(session={"type": "realtime", "instructions": "Still here."})
        assert until(connection, "session.updated")[-1].session.instructions == "Still here."


def test_wrong_keys_and_models_get_the_http_error_before_the_upgrade(base_url: str) -> None:
    from websockets.exceptions import InvalidStatus

    wrong = OpenAI(base_url=base_url, api_key="sk-wrong-key", max_retries=0)
    with pytest.raises(InvalidStatus) as refused:
        with wrong.realtime.connect(model="gpt-realtime"):
            pass
    assert refused.value.response.status_code == 401
    assert b"invalid_api_key" in refused.value.response.body


def test_unknown_models_are_refused_with_404(client: OpenAI) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        with client.realtime.connect(model="no-such-model"):
            pass
    assert refused.value.response.status_code == 404
    assert b"model_not_found" in refused.value.response.body


def test_an_ephemeral_client_secret_works_until_it_expires(client: OpenAI, base_url: str) -> None:
    from websockets.exceptions import InvalidStatus

    secret = client.realtime.client_secrets.create(
        session={"type": "realtime", "model": "gpt-realtime", "instructions": "From the secret."}
    )
    assert secret.value.startswith("ek_")
    ephemeral = OpenAI(base_url=base_url, api_key=secret.value, max_retries=0)
    with ephemeral.realtime.connect(model="gpt-realtime") as connection:
        created = connection.recv()
        assert created.type == "session.created"
        assert created.session.instructions == "From the secret."

    short = client.realtime.client_secrets.create(
        expires_after={"anchor": "created_at", "seconds": 10},
        session={"type": "realtime", "model": "gpt-realtime"},
    )
    time.sleep(max(0.0, short.expires_at - time.time()) + 1.0)
    expired = OpenAI(base_url=base_url, api_key=short.value, max_retries=0)
    with pytest.raises(InvalidStatus) as refused:
        with expired.realtime.connect(model="gpt-realtime"):
            pass
    assert refused.value.response.status_code == 401
