"""The OpenAI Agents SDK (openai-agents) against the mock: an agent with a function tool run
with Runner.run and Runner.run_streamed, and a handoff between two agents.

The SDK's default model is the Responses API; the client comes from OPENAI_BASE_URL and
OPENAI_API_KEY. Tracing export is off (OPENAI_AGENTS_DISABLE_TRACING=1 from run.sh, and
set_tracing_disabled here): it would send traces to the real API.
"""

from typing import Literal

import pytest
from agents import (
    Agent,
    HandoffCallItem,
    HandoffOutputItem,
    MessageOutputItem,
    Runner,
    ToolCallItem,
    ToolCallOutputItem,
    function_tool,
    set_tracing_disabled,
)
from conftest import UNITS, WEATHER_PROMPT, assert_text, assert_valid_arguments, weather_report
from openai.types.responses import ResponseTextDeltaEvent
from pydantic import BaseModel, Field

set_tracing_disabled(True)

# The SDK keeps one AsyncOpenAI client for the process, bound to the event loop that first
# used it: the tests (of both agents files) share one session loop, as an application would.
pytestmark = pytest.mark.asyncio(loop_scope="session")

CALLS: list[tuple[str, str]] = []


@function_tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather for a city.

    Args:
        city: The city to report on.
        unit: The temperature unit.
    """
    CALLS.append((city, unit))
    return weather_report(city, unit)


def weather_agent(name: str = "Assistant") -> Agent:
    return Agent(
        name=name,
        instructions="Answer weather questions briefly, using the get_weather tool.",
        handoff_description="Answers questions about the weather",
        tools=[get_weather],
        model="gpt-4o",
    )


def assert_tool_ran_then_answered(items: list, final_output) -> None:
    """The run called get_weather with schema-valid arguments, ran it, and finished with an
    assistant message."""
    calls = [i for i in items if isinstance(i, ToolCallItem)]
    outputs = [i for i in items if isinstance(i, ToolCallOutputItem)]
    assert calls, f"no tool call in the run: {[type(i).__name__ for i in items]}"
    for call in calls:
        assert call.raw_item.name == "get_weather"
        args = assert_valid_arguments(call.raw_item.arguments, get_weather.params_json_schema)
        assert args["city"].strip()
        assert args.get("unit", "celsius") in UNITS
    assert len(outputs) == len(calls)
    assert all(o.output.startswith("Sunny and") for o in outputs), [o.output for o in outputs]
    assert isinstance(items[-1], MessageOutputItem), "the run did not end with a message"
    assert_text(final_output)


async def test_runner_run_calls_the_tool_and_answers():
    CALLS.clear()
    result = await Runner.run(weather_agent(), WEATHER_PROMPT)
    assert_tool_ran_then_answered(result.new_items, result.final_output)
    assert CALLS and CALLS[0][0].strip(), "the function tool did not run"
    assert result.last_agent.name == "Assistant"
    assert sum(r.usage.total_tokens for r in result.raw_responses) > 0


async def test_runner_run_streamed_delivers_deltas_and_the_tool_loop():
    CALLS.clear()
    result = Runner.run_streamed(weather_agent(), "What is the weather in Tokyo? Use the tool.")
    deltas: list[str] = []
    item_events: list[str] = []
    async for event in result.stream_events():
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
            deltas.append(event.data.delta)
        elif event.type == "run_item_stream_event":
            item_events.append(event.name)
    assert result.is_complete
    assert_tool_ran_then_answered(result.new_items, result.final_output)
    assert CALLS, "the function tool did not run"
    assert "tool_called" in item_events and "tool_output" in item_events, item_events
    assert "message_output_created" in item_events, item_events
    assert len(deltas) > 1, "the answer did not stream in several deltas"
    assert "".join(deltas) == result.final_output


async def test_handoff_moves_the_conversation_to_the_specialist():
    specialist = weather_agent("Weather agent")
    triage = Agent(
        name="Triage agent",
        instructions="Hand weather questions off to the weather agent.",
        handoffs=[specialist],
        model="gpt-4o",
    )
    result = await Runner.run(triage, "What is the weather in Rome?")
    kinds = [type(i).__name__ for i in result.new_items]
    handoffs = [i for i in result.new_items if isinstance(i, HandoffCallItem)]
    assert handoffs, f"no handoff: {kinds}"
    assert handoffs[0].raw_item.name == "transfer_to_weather_agent"
    transferred = [i for i in result.new_items if isinstance(i, HandoffOutputItem)]
    assert transferred and transferred[0].source_agent is triage and transferred[0].target_agent is specialist
    assert result.last_agent is specialist, f"the run ended with {result.last_agent.name}"
    final_message = [i for i in result.new_items if isinstance(i, MessageOutputItem)][-1]
    assert final_message.agent is specialist
    assert_text(result.final_output)


class CityRecord(BaseModel):
    """A record about a city."""

    name: str
    country: str
    population: int = Field(ge=0)
    landmarks: list[str]


async def test_output_type_gives_a_validated_object():
    agent = Agent(name="Archivist", instructions="Describe cities as records.", output_type=CityRecord, model="gpt-4o")
    result = await Runner.run(agent, "Describe Paris as a city record.")
    record = result.final_output
    assert isinstance(record, CityRecord), f"final output is {type(record).__name__}: {record!r}"
    assert record.name.strip() and record.country.strip()
    assert CityRecord.model_validate_json(record.model_dump_json()) == record


def memory_agent() -> Agent:
    return Agent(name="Assistant", instructions="Reply briefly.", model="gpt-4o")


async def test_previous_response_id_carries_the_conversation_over_two_runs():
    first = await Runner.run(memory_agent(), "Hello! My name is Ada.")
    assert first.last_response_id
    second = await Runner.run(
        memory_agent(), "What is my name?", previous_response_id=first.last_response_id
    )
    assert "Ada" in second.final_output


async def test_a_stored_conversation_carries_the_context_over_two_runs():
    from openai import AsyncOpenAI

    client = AsyncOpenAI()
    conversation = await client.conversations.create()
    await Runner.run(memory_agent(), "My favourite colour is teal.", conversation_id=conversation.id)
    second = await Runner.run(
        memory_agent(), "What is my favourite colour?", conversation_id=conversation.id
    )
    assert "teal" in second.final_output
    items = await client.conversations.items.list(conversation.id, order="asc")
    roles = [getattr(item, "role", None) for item in items.data]
    assert roles == ["user", "assistant", "user", "assistant"]


async def test_runner_over_three_turns_keeps_the_history():
    """Three turns with Runner.run, each fed the previous result's to_input_list() plus a new
    user message: tool calls, their outputs and answers go back as input items."""
    CALLS.clear()
    agent = weather_agent()
    result = await Runner.run(agent, WEATHER_PROMPT)
    assert_tool_ran_then_answered(result.new_items, result.final_output)
    for follow_up in ["And what is the weather in Oslo?", "Thanks, which of the two is warmer?"]:
        history = result.to_input_list() + [{"role": "user", "content": follow_up}]
        result = await Runner.run(agent, history)
        assert_text(result.final_output)
    assert len(CALLS) >= 2, CALLS
