"""Fixtures for the WebSocket round-trips through the official openai-python SDK.

tests/external/sdk_python_realtime.rs starts an openai-mock binary that accepts only
OPENAI_API_KEY (`--api-key`) and runs pytest on this directory with OPENAI_BASE_URL
(ending in /v1) and OPENAI_API_KEY set. The SDK needs the `websockets` package
(requirements-*.txt).
"""

import base64
import math
import os
import struct

import pytest
from openai import OpenAI


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set; run through tests/external/sdk_python_realtime.rs", 2)
    return value


@pytest.fixture
def base_url() -> str:
    return _env("OPENAI_BASE_URL")


@pytest.fixture
def client(base_url: str) -> OpenAI:
    return OpenAI(base_url=base_url, api_key=_env("OPENAI_API_KEY"), max_retries=0)


def until(connection, kind: str, limit: int = 2000) -> list:
    """The events received up to and including the first of type `kind`."""
    events = []
    for _ in range(limit):
        event = connection.recv()
        events.append(event)
        if event.type == kind:
            return events
    raise AssertionError(f"no {kind} within {limit} events: {[e.type for e in events][-20:]}")


def pcm16(samples) -> bytes:
    return b"".join(struct.pack("<h", max(-32768, min(32767, int(s)))) for s in samples)


def speech_like(seconds: float, rate: int = 24000) -> list:
    """A voiced sound: a 180 Hz tone with harmonics and a syllable-rate envelope."""
    out = []
    for i in range(int(seconds * rate)):
        t = i / rate
        envelope = 0.6 + 0.4 * math.sin(2 * math.pi * 4 * t)
        tone = sum(math.sin(2 * math.pi * 180 * k * t) / k for k in (1, 2, 3))
        out.append(6000 * envelope * tone)
    return out


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
