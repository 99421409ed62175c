"""LangChain (langchain-openai) against the mock: ChatOpenAI on Chat Completions and on the
Responses API, tools, structured output, and OpenAIEmbeddings.

Every client is built the way the README's "Works with" section shows: no base URL or key
in code, both come from OPENAI_BASE_URL and OPENAI_API_KEY.
"""

from typing import Literal

import pytest
from conftest import UNITS, WEATHER_PROMPT, assert_text, assert_valid_arguments, weather_report
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from pydantic import BaseModel, Field


@tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather for a city."""
    return weather_report(city, unit)


WEATHER_SCHEMA = convert_to_openai_tool(get_weather)["function"]["parameters"]


class CityRecord(BaseModel):
    """A record about a city."""

    name: str = Field(description="The city's name")
    country: str = Field(description="The country it is in")
    population: int = Field(ge=0, description="Number of inhabitants")
    climate: Literal["oceanic", "continental", "mediterranean", "tropical"]
    landmarks: list[str] = Field(description="Famous places to visit")


def chat(**kwargs) -> ChatOpenAI:
    return ChatOpenAI(model="gpt-4o", max_retries=0, **kwargs)


def run_tool_loop(llm) -> tuple[AIMessage, AIMessage]:
    """The manual tool loop of LangChain's docs: ask, run each requested tool, send the
    ToolMessages back, get the final answer. Returns (first reply, final reply)."""
    messages = [HumanMessage(WEATHER_PROMPT)]
    first = llm.invoke(messages)
    messages.append(first)
    for call in first.tool_calls:
        assert call["name"] == "get_weather", call
        messages.append(ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"]))
    return first, llm.invoke(messages)


def assert_weather_calls(reply: AIMessage) -> None:
    assert reply.tool_calls, f"no tool call for {WEATHER_PROMPT!r}: {reply!r}"
    for call in reply.tool_calls:
        args = assert_valid_arguments(call["args"], WEATHER_SCHEMA)
        assert args["city"].strip()
        assert args.get("unit", "celsius") in UNITS
        assert call["id"], "a tool call without an id cannot be answered"


def test_invoke_returns_text():
    reply = chat().invoke("Say hello in one short sentence.")
    assert isinstance(reply, AIMessage)
    assert_text(reply.content)
    assert reply.response_metadata["finish_reason"] == "stop"
    assert reply.usage_metadata["input_tokens"] > 0
    assert reply.usage_metadata["output_tokens"] > 0


def test_stream_delivers_text_in_chunks():
    chunks = list(chat(stream_usage=True).stream("Tell me about Paris."))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert sum(1 for c in chunks if c.content) > 1, "the text did not arrive in several chunks"
    whole = chunks[0]
    for c in chunks[1:]:
        whole += c
    assert_text(whole.content)
    assert whole.response_metadata.get("finish_reason") == "stop"
    assert whole.usage_metadata and whole.usage_metadata["total_tokens"] > 0


def test_bind_tools_manual_loop_ends_in_an_answer():
    first, final = run_tool_loop(chat().bind_tools([get_weather]))
    assert_weather_calls(first)
    assert first.response_metadata["finish_reason"] == "tool_calls"
    assert not final.tool_calls, f"the model called tools again after their results: {final.tool_calls}"
    assert_text(final.content)
    assert final.response_metadata["finish_reason"] == "stop"


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_structured_output_validates(method):
    structured = chat().with_structured_output(CityRecord, method=method, include_raw=True)
    out = structured.invoke("Describe Paris as a city record.")
    assert out["parsing_error"] is None, out["parsing_error"]
    record = out["parsed"]
    assert isinstance(record, CityRecord)
    # Validate again from the wire form, as a user persisting the object would.
    again = CityRecord.model_validate_json(record.model_dump_json())
    assert again.name.strip() and again.country.strip()
    assert again.population >= 0


def test_responses_api_with_tools():
    llm = chat(use_responses_api=True).bind_tools([get_weather])
    first, final = run_tool_loop(llm)
    assert_weather_calls(first)
    assert not final.tool_calls, f"the model called tools again after their results: {final.tool_calls}"
    assert_text(final.text)
    assert final.response_metadata.get("status") == "completed"


def test_responses_api_invoke_and_stream():
    llm = chat(use_responses_api=True)
    assert_text(llm.invoke("Say hello in one short sentence.").text)
    chunks = list(llm.stream("Tell me about Paris."))
    whole = chunks[0]
    for c in chunks[1:]:
        whole += c
    assert sum(1 for c in chunks if c.text) > 1, "the text did not arrive in several chunks"
    assert_text(whole.text)


@pytest.mark.parametrize(
    ("model", "dimensions", "expected"),
    [("text-embedding-3-small", None, 1536), ("text-embedding-3-large", None, 3072), ("text-embedding-3-small", 256, 256)],
)
def test_embeddings_have_the_model_dimension(model, dimensions, expected):
    # Defaults otherwise: LangChain tokenizes with tiktoken (from the seeded offline cache)
    # and sends token ids, as it does for every user.
    embeddings = OpenAIEmbeddings(model=model, dimensions=dimensions, max_retries=0)
    query = embeddings.embed_query("What is the capital of France?")
    docs = embeddings.embed_documents(["Paris is the capital of France.", "Berlin is in Germany.", "Rome"])
    assert len(query) == expected
    assert [len(d) for d in docs] == [expected] * 3
    assert all(isinstance(x, float) for x in query)
    assert any(x != 0.0 for x in query)
    # Different texts, different vectors.
    assert docs[0] != docs[1]


def test_embeddings_without_tokenizing_send_strings():
    embeddings = OpenAIEmbeddings(model="text-embedding-3-small", check_embedding_ctx_length=False, max_retries=0)
    docs = embeddings.embed_documents(["first text", "second text"])
    assert [len(d) for d in docs] == [1536, 1536]


async def test_astream_assembles_tool_calls_from_chunks():
    llm = chat().bind_tools([get_weather])
    whole = None
    async for chunk in llm.astream(WEATHER_PROMPT):
        whole = chunk if whole is None else whole + chunk
    assert whole is not None
    assert whole.tool_call_chunks, "no tool call arrived in the stream"
    assert not whole.invalid_tool_calls, whole.invalid_tool_calls
    assert_weather_calls(whole)


@pytest.mark.parametrize("responses_api", [False, True], ids=["chat", "responses"])
def test_history_with_tool_calls_over_three_turns(responses_api):
    """The second and third turns: LangChain sends its own history back (AIMessages with
    tool calls, ToolMessages, earlier answers), which the mock accepts as the real API does."""
    llm = chat(use_responses_api=responses_api).bind_tools([get_weather])
    messages = [HumanMessage(WEATHER_PROMPT)]
    first = llm.invoke(messages)
    assert_weather_calls(first)
    messages.append(first)
    for call in first.tool_calls:
        messages.append(ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"]))
    second = llm.invoke(messages)
    assert_text(second.text() if callable(getattr(second, "text", None)) else second.content)
    messages += [second, HumanMessage("Thanks! And what should I wear there?")]
    third = llm.invoke(messages)
    assert third.content
