"""Stream pacing and stream faults through the official SDK. Timings are checked with
generous bounds only; exact numbers belong to the benchmarks."""

from __future__ import annotations

import time

import httpx
import openai
import pytest


def test_a_paced_stream_waits_for_the_first_token_and_between_chunks(client):
    started = time.monotonic()
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "slow stream"}], stream=True
    )
    arrivals = []
    text = ""
    for chunk in stream:
        arrivals.append(time.monotonic())
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content

    assert text == "One two three four five six seven eight."
    ttft = arrivals[0] - started
    assert 0.3 <= ttft < 10
    # 60 ms between events: the span of the events is at least half the planned total.
    span = arrivals[-1] - arrivals[0]
    assert span >= 0.5 * 0.06 * (len(arrivals) - 1)
    assert len(arrivals) >= 10  # one token per chunk, plus role and finish chunks


def test_control_headers_pace_any_stream(client):
    started = time.monotonic()
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Tell me about rivers"}],
        stream=True,
        extra_headers={"x-mock-ttft-ms": "200", "x-mock-chunk-tokens": "2"},
    )
    first = next(iter(stream))
    assert time.monotonic() - started >= 0.2
    assert first.object == "chat.completion.chunk"
    rest = list(stream)
    assert rest


def test_an_error_event_mid_stream_raises_an_api_error(client):
    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "break the stream"}], stream=True
        ):
            received.append(chunk)
    assert len(received) == 3
    assert "simulated by openai-mock" in raised.value.message


def test_a_cut_stream_ends_without_a_complete_body(client):
    received = []
    with pytest.raises(httpx.RemoteProtocolError):
        for chunk in client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "cut the stream"}], stream=True
        ):
            received.append(chunk)
    assert len(received) == 3
