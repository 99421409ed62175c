"""The Responses API through the SDK: parse with a Pydantic model, output_text, the stream
helper, function calls answered with function_call_output, and input token counting."""

import json
from typing import List

import openai
from openai import OpenAI
from pydantic import BaseModel

MODEL = "gpt-4.1"


class Recipe(BaseModel):
    title: str
    ingredients: List[str]
    minutes: int


class SearchFlights(BaseModel):
    """Search flights between two cities."""

    origin: str
    destination: str
    passengers: int


def test_parse_returns_the_pydantic_model(client: OpenAI) -> None:
    response = client.responses.parse(model=MODEL, input="Give me a quick pancake recipe", text_format=Recipe)
    assert isinstance(response.output_parsed, Recipe)
    assert Recipe.model_validate_json(response.output_text) == response.output_parsed
    assert response.output_parsed.minutes >= 1
    assert response.usage is not None and response.usage.input_tokens > 0


def test_output_text_echoes_and_reasoning(client: OpenAI) -> None:
    response = client.responses.create(
        model="o4-mini",
        instructions="Answer like a ship's captain.",
        input="How do lighthouses work?",
        metadata={"run": "sdk"},
        reasoning={"effort": "low", "summary": "auto"},
    )
    assert "lighthouses" in response.output_text
    assert response.instructions == "Answer like a ship's captain."
    assert response.metadata == {"run": "sdk"}
    assert [item.type for item in response.output] == ["reasoning", "message"]
    assert response.usage is not None and response.usage.output_tokens_details.reasoning_tokens > 0


def test_stream_helper_gives_the_same_response(client: OpenAI) -> None:
    created = client.responses.create(model=MODEL, input="Why is the ocean salty?")
    types = []
    deltas = []
    with client.responses.stream(model=MODEL, input="Why is the ocean salty?") as stream:
        for event in stream:
            types.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "".join(deltas) == created.output_text == final.output_text
    # Same content, but each response is a new object with its own id.
    assert final.id.startswith("resp_") and final.id != created.id


def test_function_call_round_trip_with_previous_response_id(client: OpenAI) -> None:
    tools = [openai.pydantic_function_tool(SearchFlights)]
    tool = {"type": "function", "name": "SearchFlights", "parameters": tools[0]["function"]["parameters"], "strict": True}
    first = client.responses.create(model=MODEL, tools=[tool], input="Find flights from Boston to Denver for 2")
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1
    arguments = SearchFlights.model_validate_json(calls[0].arguments)
    assert arguments == SearchFlights(origin="Boston", destination="Denver", passengers=2)
    second = client.responses.create(
        model=MODEL,
        tools=[tool],
        previous_response_id=first.id,
        input=[
            {"role": "user", "content": "Find flights from Boston to Denver for 2"},
            {"type": "function_call_output", "call_id": calls[0].call_id, "output": json.dumps({"cheapest": 149})},
        ],
    )
    assert second.previous_response_id == first.id
    assert "149" in second.output_text


def test_input_tokens_match_usage(client: OpenAI) -> None:
    body = {"model": MODEL, "instructions": "Be brief.", "input": "Summarise the plot of Hamlet"}
    response = client.responses.create(**body)
    counted = client.responses.input_tokens.count(**body)
    assert counted.input_tokens == response.usage.input_tokens
