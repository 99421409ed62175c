"""Fixtures for the official-SDK scenario tests.

The mock runs with `--config config.yaml` (this directory) at $OPENAI_MOCK_BASE_URL
(`http://HOST:PORT`); tests/sdk_python_scenarios.rs starts it and runs this suite.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

import httpx
import openai
import pytest

BASE_URL = os.environ.get("OPENAI_MOCK_BASE_URL", "").rstrip("/")


class Mock:
    """The mock's inspection endpoints (`/__mock/...`)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def reset(self) -> None:
        response = self.http.post("/__mock/reset")
        response.raise_for_status()

    def requests(self, **where: Any) -> list[dict[str, Any]]:
        """Logged requests whose fields equal `where`, oldest first."""
        response = self.http.get("/__mock/requests")
        response.raise_for_status()
        entries = response.json()["data"]
        return [e for e in entries if all(e.get(k) == v for k, v in where.items())]


@pytest.fixture(scope="session")
def base_url() -> str:
    if not BASE_URL:
        pytest.fail("OPENAI_MOCK_BASE_URL is not set; run through tests/sdk_python_scenarios.rs")
    return BASE_URL


@pytest.fixture
def mock(base_url: str) -> Iterator[Mock]:
    mock = Mock(base_url)
    mock.reset()
    yield mock
    mock.http.close()


@pytest.fixture
def client(base_url: str, mock: Mock) -> Iterator[openai.OpenAI]:
    """An SDK client that does not retry (tests that want retries ask for them)."""
    with openai.OpenAI(base_url=f"{base_url}/v1", api_key="sk-test", max_retries=0) as client:
        yield client
