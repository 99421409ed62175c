"""Fixtures for the state round-trips through the official openai-python SDK.

tests/external/sdk_python_state.rs starts two openai-mock binaries (lenient ids, and
--strict-ids), both with --lifecycle-ms 300 and --admin-api-key OPENAI_ADMIN_KEY, and runs
pytest on this directory with OPENAI_BASE_URL and OPENAI_STRICT_BASE_URL (ending in /v1).

Every test gets its own API key, so its objects live in a namespace of their own: tests
never see each other's files, whatever order they run in.
"""

import os
import time
import uuid

import httpx
import pytest
from openai import OpenAI


def _url(name: str) -> str:
    url = os.environ.get(name)
    if not url:
        pytest.exit(f"{name} is not set; run through tests/external/sdk_python_state.rs", 2)
    return url


@pytest.fixture
def key() -> str:
    return f"sk-state-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def client(key: str) -> OpenAI:
    return OpenAI(base_url=_url("OPENAI_BASE_URL"), api_key=key, max_retries=0)


@pytest.fixture
def other_client() -> OpenAI:
    """A client with another key: another namespace."""
    return OpenAI(base_url=_url("OPENAI_BASE_URL"), api_key=f"sk-other-{uuid.uuid4().hex[:12]}", max_retries=0)


@pytest.fixture
def strict_client(key: str) -> OpenAI:
    return OpenAI(base_url=_url("OPENAI_STRICT_BASE_URL"), api_key=key, max_retries=0)


@pytest.fixture
def admin() -> OpenAI:
    """A client with the servers' configured admin key, for the /organization/ operations."""
    return OpenAI(
        base_url=_url("OPENAI_BASE_URL"),
        api_key="sk-unused",
        admin_api_key=_url("OPENAI_ADMIN_KEY"),
        max_retries=0,
    )


def client_for(secret: str) -> OpenAI:
    """A client of the lenient server using `secret` as its API key."""
    return OpenAI(base_url=_url("OPENAI_BASE_URL"), api_key=secret, max_retries=0)


@pytest.fixture
def control() -> httpx.Client:
    """The lenient server's root, for the /__mock/ control endpoints."""
    root = _url("OPENAI_BASE_URL").removesuffix("/v1")
    with httpx.Client(base_url=root, timeout=30) as http:
        yield http


def wait_until(check, timeout: float = 10.0, every: float = 0.05):
    """Polls `check()` until it returns a truthy value, or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not done after {timeout} s: {value!r}")
        time.sleep(every)
