"""The OpenAI Agents SDK's RealtimeAgent against the mock's Realtime WebSocket: an agent
with a function tool completes a turn (the model calls the tool, the SDK sends its output
and asks for a response, the model answers from it).

The Realtime model connects to OPENAI_BASE_URL's `/realtime` over ws:// with the key from
OPENAI_API_KEY, as a user points it at any OpenAI-compatible server.
"""

import asyncio
import os

import pytest
from agents import function_tool, set_tracing_disabled
from agents.realtime import RealtimeAgent, RealtimeRunner
from conftest import WEATHER_PROMPT, weather_report

set_tracing_disabled(True)

CALLS: list[str] = []


@function_tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: The city to report on.
    """
    CALLS.append(city)
    return weather_report(city)


@pytest.mark.asyncio
async def test_a_realtime_agent_completes_a_turn_with_its_function_tool(base_url: str) -> None:
    agent = RealtimeAgent(
        name="Assistant",
        instructions="You answer questions about the weather.",
        tools=[get_weather],
    )
    runner = RealtimeRunner(
        starting_agent=agent,
        config={"model_settings": {"model_name": "gpt-realtime", "output_modalities": ["text"]}},
    )
    url = base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    session = await runner.run(
        model_config={"url": f"{url}/realtime?model=gpt-realtime",
                      "api_key": os.environ["OPENAI_API_KEY"]}
    )
    seen: list[str] = []
    answer = ""
    async with session:
        await session.send_message(WEATHER_PROMPT)

        async def turn() -> None:
            nonlocal answer
            tool_done = False
            async for event in session:
                seen.append(event.type)
                if event.type == "error":
                    raise AssertionError(f"the session reported an error: {event.error}")
                if event.type == "tool_end":
                    tool_done = True
                    assert event.output == weather_report("Paris")
                if event.type == "raw_model_event" and tool_done:
                    data = event.data
                    if getattr(data, "type", None) == "raw_server_event":
                        raw = data.data
                        if raw.get("type") == "response.done":
                            output = raw["response"]["output"]
                            if output and output[0]["type"] == "message":
                                answer = output[0]["content"][0].get("text") or output[0][
                                    "content"][0].get("transcript", "")
                                return

        await asyncio.wait_for(turn(), timeout=30)
    assert CALLS == ["Paris"], seen
    assert "tool_start" in seen and "tool_end" in seen
    assert "Paris" in answer or "22" in answer, answer
