"""Shared checks for the Python client suite (LangChain, OpenAI Agents SDK, LiteLLM).

run.sh starts the openai-mock binary on a free port and runs pytest here with only what a
user sets: OPENAI_BASE_URL (http://127.0.0.1:PORT/v1) and OPENAI_API_KEY, plus the offline
switches it documents (TIKTOKEN_CACHE_DIR, LITELLM_LOCAL_MODEL_COST_MAP,
OPENAI_AGENTS_DISABLE_TRACING). Each test checks what a user of the client would check.
"""

import json
import os

import jsonschema
import pytest

# The tool every flow offers, and a prompt the mock answers with a call to it: the mock
# calls a tool when the last user message names it (here, the word "weather").
WEATHER_PROMPT = "What is the weather in Paris? Use the tool."
UNITS = ("celsius", "fahrenheit")


def pytest_configure(config):
    missing = [v for v in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "TIKTOKEN_CACHE_DIR") if not os.environ.get(v)]
    if missing:
        pytest.exit(f"{', '.join(missing)} not set; run through tests/clients/python/run.sh", 2)


@pytest.fixture
def base_url() -> str:
    """The mock's OpenAI base URL, ending in /v1."""
    return os.environ["OPENAI_BASE_URL"]


def weather_report(city: str, unit: str = "celsius") -> str:
    """What the weather tool returns, in every flow."""
    degrees = "22°C" if unit == "celsius" else "72°F"
    return f"Sunny and {degrees} in {city}"


def assert_valid_arguments(arguments, schema: dict) -> dict:
    """Checks a tool call's arguments (a JSON string or an object) against the JSON schema the
    client sent for that tool; returns them as an object."""
    if isinstance(arguments, str):
        arguments = json.loads(arguments)
    assert isinstance(arguments, dict), f"tool arguments are not an object: {arguments!r}"
    jsonschema.validate(arguments, schema)
    return arguments


def assert_text(text) -> str:
    """Checks that an answer's text arrived: a string with something in it."""
    assert isinstance(text, str), f"answer text is {type(text).__name__}: {text!r}"
    assert text.strip(), "answer text is empty"
    return text
