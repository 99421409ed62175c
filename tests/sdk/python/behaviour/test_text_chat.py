"""Chat completions through the SDK: parse with Pydantic models, the stream helpers, tool
calls with parsed arguments, and an agent loop that feeds tool results back."""

import json
from typing import List, Literal

import openai
from openai import OpenAI
from pydantic import BaseModel

MODEL = "gpt-4o-2024-08-06"


class Person(BaseModel):
    name: str
    age: int
    hobbies: List[str]


class GetWeather(BaseModel):
    """Get the current weather for a city."""

    location: str
    unit: Literal["celsius", "fahrenheit"]


def test_parse_returns_the_pydantic_model(client: OpenAI) -> None:
    completion = client.chat.completions.parse(
        model=MODEL,
        messages=[{"role": "user", "content": "Extract: Alice Smith is 34 and enjoys chess."}],
        response_format=Person,
    )
    message = completion.choices[0].message
    assert isinstance(message.parsed, Person)
    assert message.parsed.name == "Alice Smith"
    assert message.parsed.age == 34
    assert len(message.parsed.hobbies) >= 1
    assert Person.model_validate_json(message.content or "") == message.parsed
    assert completion.usage is not None and completion.usage.prompt_tokens > 0


def test_parse_gives_parsed_tool_arguments(client: OpenAI) -> None:
    completion = client.chat.completions.parse(
        model=MODEL,
        messages=[{"role": "user", "content": "What's the weather in Oslo in fahrenheit?"}],
        tools=[openai.pydantic_function_tool(GetWeather)],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = (choice.message.tool_calls or [])[0]
    assert call.function.name == "GetWeather"
    assert call.function.parsed_arguments == GetWeather(location="Oslo", unit="fahrenheit")


def test_stream_helper_joins_into_the_non_streamed_answer(client: OpenAI) -> None:
    messages = [{"role": "user", "content": "How do bees make honey?"}]
    created = client.chat.completions.create(model=MODEL, messages=messages)
    deltas = []
    with client.chat.completions.stream(model=MODEL, messages=messages) as stream:
        for event in stream:
            if event.type == "content.delta":
                deltas.append(event.delta)
        final = stream.get_final_completion()
    assert len(deltas) > 3
    assert "".join(deltas) == created.choices[0].message.content
    assert final.choices[0].message.content == created.choices[0].message.content
    assert final.choices[0].finish_reason == "stop"
    assert "honey" in (final.choices[0].message.content or "")


def test_stream_helper_parses_structured_output_and_tool_calls(client: OpenAI) -> None:
    with client.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": "Bob Jones, 51, likes sailing and golf."}],
        response_format=Person,
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.parsed == Person.model_validate_json(final.choices[0].message.content or "")
    assert final.choices[0].message.parsed.name == "Bob Jones"

    done = []
    with client.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Lima, celsius please"}],
        tools=[openai.pydantic_function_tool(GetWeather)],
    ) as stream:
        for event in stream:
            if event.type == "tool_calls.function.arguments.done":
                done.append(event)
    assert len(done) == 1
    assert done[0].parsed_arguments == GetWeather(location="Lima", unit="celsius")


def test_raw_stream_with_usage_matches_the_answer(client: OpenAI) -> None:
    messages = [{"role": "user", "content": "Name a good book about the sea"}]
    created = client.chat.completions.create(model=MODEL, messages=messages, n=2)
    chunks = list(
        client.chat.completions.create(
            model=MODEL, messages=messages, n=2, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == []
    assert chunks[-1].usage == created.usage
    for index in range(2):
        text = "".join(
            c.choices[0].delta.content or "" for c in chunks if c.choices and c.choices[0].index == index
        )
        assert text == created.choices[index].message.content


def test_an_agent_loop_uses_the_tool_result(client: OpenAI) -> None:
    """The SDK 2.39.0 has no tool runner (no `run_tools` under `client.beta.chat.completions`
    or `client.chat.completions`), so this is the loop such a runner would run."""
    assert not hasattr(client.chat.completions, "run_tools")
    tools = [openai.pydantic_function_tool(GetWeather)]
    messages = [{"role": "user", "content": "Should I bring a coat to Oslo today?"}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=tools, tool_choice="required")
    calls = first.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["GetWeather"]
    arguments = GetWeather.model_validate_json(calls[0].function.arguments)
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append(
        {
            "role": "tool",
            "tool_call_id": calls[0].id,
            "content": json.dumps({"city": arguments.location, "temperature": -4, "sky": "overcast"}),
        }
    )
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=tools)
    answer = second.choices[0].message.content or ""
    assert second.choices[0].finish_reason == "stop"
    assert "-4" in answer and "overcast" in answer


def test_logprobs_and_limits_round_trip(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Describe autumn in Kyoto"}],
        logprobs=True,
        top_logprobs=2,
        max_completion_tokens=6,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "length"
    assert choice.logprobs is not None and choice.logprobs.content is not None
    assert "".join(t.token for t in choice.logprobs.content) == choice.message.content
    assert all(len(t.top_logprobs) == 2 for t in choice.logprobs.content)
    assert completion.usage is not None and completion.usage.completion_tokens == 6
