"""Simulated errors through the official SDK: exception classes, retries, rate limits."""

from __future__ import annotations

import math

import httpx
import openai
import pytest

MESSAGES = [{"role": "user", "content": "Say this is a test"}]


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (403, openai.PermissionDeniedError),
        (404, openai.NotFoundError),
        (409, openai.ConflictError),
        (422, openai.UnprocessableEntityError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_a_forced_status_raises_the_sdk_exception_for_it(client, status, exception):
    with pytest.raises(exception) as raised:
        client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, extra_headers={"x-mock-status": str(status)}
        )
    assert raised.value.status_code == status
    assert raised.value.type in ("invalid_request_error", "server_error", "requests")
    assert "simulated by openai-mock" in raised.value.body["message"]


def test_error_presets_by_header_and_by_rule(client):
    with pytest.raises(openai.InternalServerError) as raised:
        client.models.list(extra_headers={"x-mock-error": "overloaded"})
    assert raised.value.status_code == 503

    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "out of quota"}]
        )
    assert raised.value.code == "insufficient_quota"

    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "which model"}]
        )
    assert raised.value.code == "model_not_found"
    assert raised.value.body["message"] == (
        "The model `gpt-4o-mini` does not exist or you do not have access to it."
    )

    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, extra_headers={"x-mock-error": "connection_reset"}
        )


def test_the_sdk_retries_a_scripted_429_and_then_succeeds(client, mock):
    messages = [{"role": "user", "content": "retry me"}]

    completion = client.with_options(max_retries=2).chat.completions.create(
        model="gpt-4o", messages=messages
    )

    assert completion.choices[0].message.content == "Third time lucky."
    log = mock.requests(rule="flaky")
    assert [entry["status"] for entry in log] == [429, 429, 200]
    assert [entry["retry_count"] for entry in log] == [0, 1, 2]
    assert len({entry["conversation"] for entry in log}) == 1


def test_the_scripted_429_carries_the_retry_headers(client, mock):
    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "retry me"}])
    headers = raised.value.response.headers
    assert headers["retry-after-ms"] == "20"
    assert headers["retry-after"] == "1"
    assert raised.value.code == "rate_limit_exceeded"


def test_a_3_rpm_key_gets_a_429_on_the_4th_request_with_agreeing_headers(base_url, mock):
    limited = openai.OpenAI(base_url=f"{base_url}/v1", api_key="sk-limited", max_retries=0)
    for remaining in ("2", "1", "0"):
        raw = limited.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
        assert raw.headers["x-ratelimit-limit-requests"] == "3"
        assert raw.headers["x-ratelimit-remaining-requests"] == remaining
        raw.parse()

    with pytest.raises(openai.RateLimitError) as raised:
        limited.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    error = raised.value
    headers = error.response.headers
    assert error.code == "rate_limit_exceeded"
    assert error.type == "requests"
    assert "Limit 3, Used 3, Requested 1" in error.body["message"]
    assert headers["x-ratelimit-limit-requests"] == "3"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    # One request comes back every 20 s: the wait is at most that, and agrees across headers.
    retry_ms = int(headers["retry-after-ms"])
    assert 15_000 < retry_ms <= 20_000
    assert headers["retry-after"] == str(math.ceil(retry_ms / 1000))
    reset = headers["x-ratelimit-reset-requests"]
    assert reset.endswith("s") and ("m" in reset or float(reset[:-1]) * 1000 >= retry_ms)

    # Other keys are not limited.
    assert limited.with_options(api_key="sk-other").models.list().data
    assert [e["status"] for e in mock.requests(fault="rate_limit")] == [429]
