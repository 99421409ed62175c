"""The OpenAI Agents SDK's hosted tools against the mock: agents with WebSearchTool,
CodeInterpreterTool and ImageGenerationTool run end to end (Runner.run and Runner.run_streamed),
the tool's call item in the run's new items, and a final answer that uses its result.

Tracing export is off (set_tracing_disabled): it would send traces to the real API.
"""

import base64

import pytest
from agents import (
    Agent,
    CodeInterpreterTool,
    ImageGenerationTool,
    ModelSettings,
    Runner,
    ToolCallItem,
    WebSearchTool,
    set_tracing_disabled,
)

set_tracing_disabled(True)

# The SDK keeps one AsyncOpenAI client for the process, bound to the event loop that first
# used it: the tests (of both agents files) share one session loop, as an application would.
pytestmark = pytest.mark.asyncio(loop_scope="session")


def _calls(result, kind: str) -> list:
    items = [item.raw_item for item in result.new_items if isinstance(item, ToolCallItem)]
    return [raw for raw in items if getattr(raw, "type", None) == kind]


async def test_hosted_web_search_agent_answers_with_cited_sources() -> None:
    agent = Agent(name="Researcher", instructions="Search the web and cite your sources.",
                  tools=[WebSearchTool(search_context_size="low")], model="gpt-4o")
    result = await Runner.run(agent, "What is the latest news about AI models?")
    (call,) = _calls(result, "web_search_call")
    assert call.status == "completed"
    assert call.action.type == "search"
    assert "https://" in result.final_output


async def test_hosted_code_interpreter_agent_runs_code_in_a_container() -> None:
    agent = Agent(name="Analyst", instructions="Use Python for every calculation.",
                  tools=[CodeInterpreterTool(tool_config={"type": "code_interpreter",
                                                          "container": {"type": "auto"}})],
                  model="gpt-4o", model_settings=ModelSettings(tool_choice="required"))
    result = await Runner.run(agent, "Calculate 21 * 2.")
    (call,) = _calls(result, "code_interpreter_call")
    assert call.code == "result = 21 * 2\nprint(result)"
    assert call.container_id.startswith("cntr_")
    assert "42" in result.final_output


async def test_hosted_image_generation_agent_streams_a_real_image() -> None:
    agent = Agent(name="Artist", instructions="Draw what the user asks for.",
                  tools=[ImageGenerationTool(tool_config={"type": "image_generation", "size": "1024x1024",
                                                         "partial_images": 1})],
                  model="gpt-4o")
    result = Runner.run_streamed(agent, "Draw a small sailing boat.")
    kinds = [event.data.type async for event in result.stream_events() if event.type == "raw_response_event"]
    assert "response.image_generation_call.partial_image" in kinds
    (call,) = _calls(result, "image_generation_call")
    assert base64.b64decode(call.result).startswith(b"\x89PNG")
    assert "sailing boat" in result.final_output
