"""The second turn through the SDK: output items sent back as input, the semantic checks the
real API makes after the schema (one test per rule), reasoning summaries and encrypted
reasoning, predicted outputs, and arguments taken from plain prompts. Each of the five
problems of issue 22 has a regression test here (marked "problem N")."""

import json

import openai
import pytest
from openai import OpenAI

MODEL = "gpt-4.1"

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "City and region"}},
            "required": ["location"],
        },
    },
}


def _refused(call) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        call()
    return caught.value


# Problem 1: output items sent back as input.


def test_problem_1_output_items_go_back_without_output_only_fields(client: OpenAI) -> None:
    tool = {"type": "function", "name": "get_weather", "description": "Weather for a city",
            "parameters": WEATHER["function"]["parameters"]}
    first = client.responses.create(model="o4-mini", input="What's the weather in Paris?", tools=[tool],
                                    reasoning={"summary": "auto"}, include=["reasoning.encrypted_content"],
                                    store=False)
    call = next(item for item in first.output if item.type == "function_call")
    history = [{"role": "user", "content": "What's the weather in Paris?"}]
    for item in first.output:
        sent = item.model_dump(exclude_none=True)
        if item.type != "reasoning":
            sent.pop("id", None)
        sent.pop("status", None)
        history.append(sent)
    history.append({"type": "function_call_output", "call_id": call.call_id, "output": "Sunny, 21 C"})
    second = client.responses.create(model="o4-mini", input=history, tools=[tool], store=False)
    assert second.output_text
    history += [{"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": second.output_text, "annotations": []}]},
                {"role": "user", "content": "And tomorrow?"}]
    third = client.responses.create(model=MODEL, input=history, tools=[tool])
    assert third.status == "completed"


def test_a_malformed_item_names_the_field(client: OpenAI) -> None:
    error = _refused(lambda: client.responses.create(
        model=MODEL, input=[{"type": "function_call", "call_id": "call_1", "name": "f", "arguments": 5}]))
    assert error.body["param"] == "input[0].arguments"


# Problem 2: the semantic checks, one test per rule.


def test_rule_chat_tool_message_must_answer_a_call(client: OpenAI) -> None:
    error = _refused(lambda: client.chat.completions.create(model=MODEL, messages=[
        {"role": "user", "content": "hi"},
        {"role": "tool", "tool_call_id": "call_1", "content": "1"}]))
    assert error.body["param"] == "messages.[1].role"
    assert "must be a response to a preceeding message with 'tool_calls'" in error.body["message"]


def test_rule_chat_tool_call_id_must_match(client: OpenAI) -> None:
    error = _refused(lambda: client.chat.completions.create(model=MODEL, messages=[
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                              "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_2", "content": "1"}]))
    assert error.body["param"] == "messages.[2].tool_call_id"
    assert error.body["message"] == (
        "Invalid parameter: 'tool_call_id' of 'call_2' not found in 'tool_calls' of previous message.")


def test_rule_responses_function_output_needs_its_call(client: OpenAI) -> None:
    error = _refused(lambda: client.responses.create(
        model=MODEL, input=[{"type": "function_call_output", "call_id": "call_9", "output": "1"}]))
    assert error.body["message"] == "No tool call found for function call output with call_id call_9."
    assert error.body["param"] == "input"


def test_rule_every_tool_call_is_answered_before_the_next_message(client: OpenAI) -> None:
    error = _refused(lambda: client.chat.completions.create(model=MODEL, messages=[
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                              "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "user", "content": "well?"}]))
    assert error.body["param"] == "messages.[1].role"
    assert error.body["message"].endswith("did not have response messages: call_1")


def test_rule_strict_format_requires_every_property(client: OpenAI) -> None:
    error = _refused(lambda: client.chat.completions.create(model=MODEL, messages=[
        {"role": "user", "content": "hi"}], response_format={"type": "json_schema", "json_schema": {
            "name": "step", "strict": True, "schema": {
                "type": "object", "additionalProperties": False,
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["a"]}}}))
    assert error.body["param"] == "response_format"
    assert error.body["message"] == (
        "Invalid schema for response_format 'step': In context=(), 'required' is required to be supplied "
        "and to be an array including every key in properties. Missing 'b'.")


def test_rule_strict_tool_forbids_additional_properties(client: OpenAI) -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "strict": True, "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    error = _refused(lambda: client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], tools=[tool]))
    assert error.body["param"] == "tools[0].function.parameters"
    assert error.body["code"] == "invalid_function_parameters"
    assert "'additionalProperties' is required to be supplied and to be false." in error.body["message"]


def test_rule_strict_schema_keywords_and_nesting(client: OpenAI) -> None:
    schema = {"type": "object", "additionalProperties": False, "required": ["tags"],
              "properties": {"tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}}}
    error = _refused(lambda: client.responses.create(model=MODEL, input="hi", text={"format": {
        "type": "json_schema", "name": "tagged", "strict": True, "schema": schema}}))
    assert error.body["param"] == "text.format.schema"
    assert "In context=('properties', 'tags'), 'uniqueItems' is not permitted." in error.body["message"]
    deep = {"type": "string"}
    for _ in range(11):
        deep = {"type": "object", "properties": {"a": deep}, "required": ["a"], "additionalProperties": False}
    error = _refused(lambda: client.responses.create(model=MODEL, input="hi", text={"format": {
        "type": "json_schema", "name": "deep", "strict": True, "schema": deep}}))
    assert "more than the 10 levels allowed" in error.body["message"]


def test_strict_schemas_that_follow_the_rules_pass(client: OpenAI) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}],
                                                response_format={"type": "json_schema", "json_schema": {
                                                    "name": "step", "strict": True, "schema": {
                                                        "type": "object", "additionalProperties": False,
                                                        "properties": {"a": {"type": "string"}},
                                                        "required": ["a"]}}})
    assert "a" in json.loads(completion.choices[0].message.content)


# Problem 3: reasoning.


def test_problem_3_summaries_have_several_parts_and_stream_them(client: OpenAI) -> None:
    concise = client.responses.create(model="o4-mini", input="Why is the sky blue?",
                                      reasoning={"summary": "concise", "effort": "low"})
    detailed = client.responses.create(model="o4-mini", input="Why is the sky blue?",
                                       reasoning={"summary": "detailed", "effort": "high"})
    parts = lambda r: next(i for i in r.output if i.type == "reasoning").summary  # noqa: E731
    assert len(parts(concise)) == 1
    assert len(parts(detailed)) == 4
    assert detailed.usage.output_tokens_details.reasoning_tokens > 0
    added = []
    with client.responses.stream(model="o4-mini", input="Why is the sky blue?",
                                 reasoning={"summary": "detailed"}) as stream:
        for event in stream:
            if event.type == "response.reasoning_summary_part.added":
                added.append(event.summary_index)
    assert added == [0, 1, 2]


def test_problem_3_encrypted_reasoning_round_trips_and_tampering_is_refused(client: OpenAI) -> None:
    first = client.responses.create(model="o4-mini", input="Plan a picnic", store=False,
                                    include=["reasoning.encrypted_content"])
    reasoning = next(item for item in first.output if item.type == "reasoning")
    assert reasoning.encrypted_content
    item = reasoning.model_dump(exclude_none=True)
    again = client.responses.create(model="o4-mini", store=False, input=[item, {"role": "user", "content": "More"}])
    assert again.status == "completed"
    item["encrypted_content"] = "A" + item["encrypted_content"][1:]
    error = _refused(lambda: client.responses.create(model="o4-mini", store=False,
                                                     input=[item, {"role": "user", "content": "More"}]))
    assert error.body["code"] == "invalid_encrypted_content"


# Problem 4: predicted outputs.


def test_problem_4_an_edit_reuses_the_prediction(client: OpenAI) -> None:
    code = "def greet(name):\n    return 'hello ' + name\n"
    completion = client.chat.completions.create(
        model="gpt-4o", prediction={"type": "content", "content": code},
        messages=[{"role": "user", "content": "Rename greet to welcome in this code:\n" + code}])
    assert completion.choices[0].message.content == code.replace("greet", "welcome")
    details = completion.usage.completion_tokens_details
    assert details.accepted_prediction_tokens > 0
    assert details.rejected_prediction_tokens >= 1


# Problem 5: arguments from plain prompts.


def test_problem_5_a_place_with_its_region_is_one_call(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, tools=[WEATHER], messages=[{"role": "user", "content": "What's the weather in San Francisco, CA?"}])
    calls = completion.choices[0].message.tool_calls
    assert len(calls) == 1
    assert json.loads(calls[0].function.arguments) == {"location": "San Francisco, CA"}


def test_problem_5_numbers_go_to_the_calculator(client: OpenAI) -> None:
    multiply = {"type": "function", "function": {"name": "multiply", "description": "Multiply two integers",
                                                 "parameters": {"type": "object", "properties": {
                                                     "a": {"type": "integer"}, "b": {"type": "integer"}},
                                                     "required": ["a", "b"]}}}
    completion = client.chat.completions.create(
        model=MODEL, tools=[multiply], messages=[{"role": "user", "content": "what's 5 * 4"}])
    calls = completion.choices[0].message.tool_calls
    assert calls and len(calls) == 1
    assert json.loads(calls[0].function.arguments) == {"a": 5, "b": 4}


def test_problem_5_several_places_are_parallel_calls(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, tools=[WEATHER], messages=[{"role": "user", "content": "Weather in Paris and Tokyo?"}])
    calls = completion.choices[0].message.tool_calls
    assert [json.loads(c.function.arguments)["location"] for c in calls] == ["Paris", "Tokyo"]


def test_problem_5_quoted_values_go_to_the_parameters_they_name(client: OpenAI) -> None:
    create_issue = {"type": "function", "function": {
        "name": "create_issue", "description": "Open an issue in the tracker",
        "parameters": {"type": "object", "properties": {
            "title": {"type": "string"}, "body": {"type": "string"}, "assignee": {"type": "string"}},
            "required": ["title", "body"]}}}
    completion = client.chat.completions.create(model=MODEL, tools=[create_issue], messages=[{
        "role": "user",
        "content": 'Create an issue titled "Login fails on Safari" with the body "Sign in twice, then reload." for Grace',
    }])
    calls = completion.choices[0].message.tool_calls
    assert calls and len(calls) == 1
    arguments = json.loads(calls[0].function.arguments)
    assert arguments["title"] == "Login fails on Safari"
    assert arguments["body"] == "Sign in twice, then reload."
