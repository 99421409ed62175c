"""LiteLLM against the mock: completion, streaming acompletion, embedding and responses, with
`openai/...` model names and `api_base` pointing at the mock (the key from OPENAI_API_KEY).

LITELLM_LOCAL_MODEL_COST_MAP=True (from run.sh) keeps LiteLLM from fetching its model cost
map from the internet at import.
"""

import os

import litellm
import pytest
from conftest import UNITS, WEATHER_PROMPT, assert_text, assert_valid_arguments

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city"},
                "unit": {"type": "string", "enum": list(UNITS)},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


@pytest.fixture
def api(base_url) -> dict:
    """The arguments that point a LiteLLM call at the mock."""
    return {"api_base": base_url, "api_key": os.environ["OPENAI_API_KEY"], "num_retries": 0}


def test_completion_returns_text(api):
    response = litellm.completion(
        model="openai/gpt-4o", messages=[{"role": "user", "content": "Say hello in one short sentence."}], **api
    )
    choice = response.choices[0]
    assert_text(choice.message.content)
    assert choice.message.role == "assistant"
    assert choice.finish_reason == "stop"
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0


def test_environment_alone_points_litellm_at_the_mock():
    # No api_base / api_key: LiteLLM reads OPENAI_BASE_URL and OPENAI_API_KEY.
    response = litellm.completion(
        model="openai/gpt-4o", messages=[{"role": "user", "content": "Say hello."}], num_retries=0
    )
    assert_text(response.choices[0].message.content)


def test_completion_tool_loop(api):
    messages = [{"role": "user", "content": WEATHER_PROMPT}]
    first = litellm.completion(model="openai/gpt-4o", messages=messages, tools=[WEATHER_TOOL], **api)
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls, f"no tool call for {WEATHER_PROMPT!r}"
    messages.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls:
        assert call.function.name == "get_weather"
        args = assert_valid_arguments(call.function.arguments, WEATHER_TOOL["function"]["parameters"])
        messages.append({"role": "tool", "tool_call_id": call.id, "content": f"Sunny in {args['city']}"})
    final = litellm.completion(model="openai/gpt-4o", messages=messages, tools=[WEATHER_TOOL], **api)
    assert not final.choices[0].message.tool_calls
    assert_text(final.choices[0].message.content)


async def test_acompletion_streams_text(api):
    stream = await litellm.acompletion(
        model="openai/gpt-4o",
        messages=[{"role": "user", "content": "Tell me about Paris."}],
        stream=True,
        stream_options={"include_usage": True},
        **api,
    )
    chunks = [chunk async for chunk in stream]
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 1, "the text did not arrive in several chunks"
    assert_text("".join(pieces))
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    # LiteLLM's own reassembly agrees with the deltas.
    rebuilt = litellm.stream_chunk_builder(chunks)
    assert rebuilt.choices[0].message.content == "".join(pieces)


@pytest.mark.parametrize(("dimensions", "expected"), [(None, 1536), (256, 256)])
def test_embedding_has_the_model_dimension(api, dimensions, expected):
    extra = {} if dimensions is None else {"dimensions": dimensions}
    response = litellm.embedding(
        model="openai/text-embedding-3-small", input=["Paris is in France.", "Rome is in Italy."], **extra, **api
    )
    vectors = [d["embedding"] for d in response.data]
    assert [len(v) for v in vectors] == [expected, expected]
    assert all(isinstance(x, float) for x in vectors[0])
    assert vectors[0] != vectors[1]
    assert response.usage.prompt_tokens > 0


def test_responses_returns_text(api):
    response = litellm.responses(model="openai/gpt-4o", input="Say hello in one short sentence.", **api)
    assert response.status == "completed"
    messages = [item for item in response.output if item.type == "message"]
    assert messages, f"no message in the output: {response.output}"
    text = "".join(part.text for part in messages[0].content if part.type == "output_text")
    assert_text(text)
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0


# LiteLLM puts its cost estimate into the usage it re-serialises (its own model, not the
# answer's): pydantic warns about that dict.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
async def test_aresponses_streams_events(api):
    stream = await litellm.aresponses(model="openai/gpt-4o", input="Tell me about Paris.", stream=True, **api)
    events = [event async for event in stream]
    kinds = [str(getattr(e.type, "value", e.type)) for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed", kinds
    deltas = [e.delta for e, kind in zip(events, kinds) if kind == "response.output_text.delta"]
    assert len(deltas) > 1, "the text did not arrive in several deltas"
    completed = events[-1].response
    done_text = "".join(
        part.text for item in completed.output if item.type == "message" for part in item.content if part.type == "output_text"
    )
    assert_text(done_text)
    assert "".join(deltas) == done_text
