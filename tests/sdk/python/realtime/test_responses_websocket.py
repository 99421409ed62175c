"""The Responses API's WebSocket mode through `client.responses.connect`: the same events
as the same request over SSE, several responses on one socket, and errors as events."""

from openai import OpenAI

VOLATILE = {"id", "item_id", "created_at", "completed_at", "response_id", "call_id"}


def normalised(value):
    """`value` without the fields that differ between two runs of one request (ids, times)."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


def over_sse(client: OpenAI, **request) -> list:
    return [normalised(e.model_dump(exclude_none=True))
            for e in client.responses.create(stream=True, **request)]


def over_socket(connection, **request) -> list:
    connection.response.create(**request)
    events = []
    for event in connection:
        events.append(normalised(event.model_dump(exclude_none=True)))
        if event.type in ("response.completed", "response.failed", "response.incomplete", "error"):
            return events
    raise AssertionError("the socket closed before the response finished")


def test_responses_over_the_socket_equal_the_same_requests_over_sse(client: OpenAI) -> None:
    text = {"model": "gpt-4o", "input": "Write a haiku about the sea."}
    tools = {
        "model": "gpt-4o",
        "input": "What is the weather in Oslo?",
        "tools": [{"type": "function", "name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
    }
    structured = {
        "model": "gpt-4o",
        "input": "Give me a person.",
        "text": {"format": {"type": "json_schema", "name": "person", "strict": True, "schema": {
            "type": "object", "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"]}}},
    }
    with client.responses.connect() as connection:
        for request in (text, tools, structured):
            socket_events = over_socket(connection, **request)
            sse_events = over_sse(client, **request)
            assert [e["type"] for e in socket_events] == [e["type"] for e in sse_events]
            assert socket_events == sse_events
            assert socket_events[-1]["type"] == "response.completed"


def test_a_refused_request_is_an_error_event_and_the_socket_goes_on(client: OpenAI) -> None:
    with client.responses.connect() as connection:
        connection.response.create(model="gpt-4o", input="Hi", temperature=7)
        error = connection.recv().model_dump()
        assert error["type"] == "error"
        assert error["error"]["param"] == "temperature"
        assert error["error"]["type"] == "invalid_request_error"
        assert error["status"] == 400
        events = over_socket(connection, model="gpt-4o", input="Say hi")
        assert events[-1]["type"] == "response.completed"
