"""Fixtures for the behaviour round-trips through the official openai-python SDK.

tests/sdk_python_behaviour.rs starts the openai-mock binary on a free port and runs
pytest on this directory with OPENAI_BASE_URL (ending in /v1) and OPENAI_API_KEY set.
Test files: test_text_*.py (chat, responses, completions) and test_media_*.py
(embeddings, speech, ...). Use the `client` / `async_client` fixtures.
"""

import os

import pytest
from openai import AsyncOpenAI, OpenAI


def _base_url() -> str:
    url = os.environ.get("OPENAI_BASE_URL")
    if not url:
        pytest.exit("OPENAI_BASE_URL is not set; run through tests/sdk_python_behaviour.rs", 2)
    return url


@pytest.fixture
def client() -> OpenAI:
    return OpenAI(base_url=_base_url(), api_key=os.environ.get("OPENAI_API_KEY", "sk-test"), max_retries=0)


@pytest.fixture
def async_client() -> AsyncOpenAI:
    return AsyncOpenAI(base_url=_base_url(), api_key=os.environ.get("OPENAI_API_KEY", "sk-test"), max_retries=0)
