"""Response rules driven through the official SDK: multi-turn scripts, templated bodies,
scripted text through the normal behaviour, structured outputs."""

from __future__ import annotations

import json
import time

import openai
import pydantic

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "book_hotel",
            "description": "Book a hotel.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "nights": {"type": "integer"}},
                "required": ["city", "nights"],
            },
        },
    },
]


def assistant_turn(message) -> dict:
    """The assistant message to send back in the next turn."""
    return {
        "role": "assistant",
        "content": message.content,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for call in message.tool_calls or []
        ],
    }


def test_a_three_turn_chat_agent_gets_its_scripted_answers_in_order(client, mock):
    messages = [
        {"role": "system", "content": "You are a travel agent."},
        {"role": "user", "content": "Plan a weekend in Paris for me."},
    ]

    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert (call.id, call.function.name) == ("call_weather_1", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    messages += [
        assistant_turn(choice.message),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature_c": 21}'},
    ]

    second = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    (call,) = second.choices[0].message.tool_calls
    assert call.function.name == "book_hotel"
    assert json.loads(call.function.arguments) == {"city": "Paris", "nights": 2}
    assert call.id.startswith("call_") and call.id != "call_weather_1"
    messages += [
        assistant_turn(second.choices[0].message),
        {"role": "tool", "tool_call_id": call.id, "content": '{"booked": true}'},
    ]

    third = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    assert third.choices[0].finish_reason == "stop"
    assert third.choices[0].message.content == "Booked 2 nights in Paris. Expect sunshine, around 21 °C."
    assert third.choices[0].message.tool_calls is None
    assert third.usage.completion_tokens > 5

    log = mock.requests(rule="travel-agent")
    assert [entry["step"] for entry in log] == [0, 1, 2]
    assert len({entry["conversation"] for entry in log}) == 1

    # Another conversation starts its own script.
    fresh = client.chat.completions.create(
        model="gpt-4o",
        messages=[messages[0], {"role": "user", "content": "Plan a week in Rome."}],
        tools=TOOLS,
    )
    assert fresh.choices[0].message.tool_calls[0].function.name == "get_weather"


def test_a_three_turn_responses_agent_follows_previous_response_id(client, mock):
    tools = [
        {
            "type": "function",
            "name": t["function"]["name"],
            "parameters": t["function"]["parameters"],
            "strict": False,
        }
        for t in TOOLS
    ]
    instructions = "You are a travel agent."

    first = client.responses.create(
        model="gpt-4o", instructions=instructions, input="Plan three days in Lisbon.", tools=tools
    )
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Lisbon"}

    second = client.responses.create(
        model="gpt-4o",
        instructions=instructions,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"temperature_c": 24}'}],
        tools=tools,
    )
    (call,) = [item for item in second.output if item.type == "function_call"]
    assert call.name == "book_hotel"
    assert json.loads(call.arguments) == {"city": "Lisbon", "nights": 3}

    third = client.responses.create(
        model="gpt-4o",
        instructions=instructions,
        previous_response_id=second.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"booked": true}'}],
        tools=tools,
    )
    assert third.output_text == "Booked 3 nights in Lisbon."
    assert [entry["step"] for entry in mock.requests(rule="responses-agent")] == [0, 1, 2]


def test_a_templated_body_renders_the_request(client):
    before = int(time.time())
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hello there"}],
        metadata={"user": "u-42"},
        extra_headers={"x-scenario": "templated"},
    )
    assert completion.choices[0].message.content == "You said: hello there (user u-42)"
    assert completion.model == "gpt-4o-mini"
    assert completion.id.startswith("chatcmpl-")
    assert before - 1 <= completion.created <= int(time.time()) + 1


def test_scripted_text_flows_through_usage_limits_and_streaming(client):
    messages = [{"role": "user", "content": "script me"}]
    plain = client.chat.completions.create(model="gpt-4o", messages=messages)
    text = "The scripted answer, word for word."
    assert plain.choices[0].message.content == text
    assert plain.choices[0].finish_reason == "stop"

    stream = client.chat.completions.create(
        model="gpt-4o", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == text
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens

    cut = client.chat.completions.create(model="gpt-4o", messages=messages, max_tokens=3)
    assert cut.choices[0].finish_reason == "length"
    assert text.startswith(cut.choices[0].message.content)
    assert cut.usage.completion_tokens == 3

    # The same rule answers /responses and the legacy completions endpoint too.
    response = client.responses.create(model="gpt-4o", input="script me")
    assert response.output_text == text
    legacy = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="script me")
    assert legacy.choices[0].text.startswith("The scripted answer")


class Weather(pydantic.BaseModel):
    city: str
    temperature_c: int


def test_structured_outputs_parse_the_scripted_json(client):
    completion = client.chat.completions.parse(
        model="gpt-4o",
        messages=[{"role": "user", "content": "weather as json"}],
        response_format=Weather,
    )
    assert completion.choices[0].message.parsed == Weather(city="Paris", temperature_c=21)


def test_control_headers_choose_a_rule_and_add_latency(client, mock):
    started = time.monotonic()
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "anything at all"}],
        extra_headers={"x-mock-rule": "scripted-text", "x-mock-latency-ms": "250"},
    )
    assert time.monotonic() - started >= 0.25
    assert completion.choices[0].message.content == "The scripted answer, word for word."
    assert mock.requests(rule="scripted-text")[-1]["path"] == "/v1/chat/completions"
