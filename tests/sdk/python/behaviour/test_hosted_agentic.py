"""The agentic built-in tools of /responses through the SDK (issue 23, part B): MCP (listing,
calls, approvals), computer use, shell and local shell, apply_patch, and custom tools with a
grammar. For each: the prompt that calls for it, the forced tool_choice, the streamed form
(the events join into the final items), and the follow-up turn that sends the output back."""

import json
import re

from openai import OpenAI

MODEL = "gpt-4.1"
SCREENSHOT = {"type": "computer_screenshot", "image_url": "data:image/png;base64,iVBORw0KGgo="}


def _stream(client: OpenAI, **kwargs):
    """The events of a streamed create and its final response."""
    with client.responses.stream(**kwargs) as stream:
        events = list(stream)
        final = stream.get_final_response()
    return events, final


def _done_items(events) -> list:
    return [e.item.model_dump() for e in events if e.type == "response.output_item.done"]


# MCP


DEEPWIKI = {"type": "mcp", "server_label": "deepwiki", "server_url": "https://mcp.deepwiki.com/mcp"}


def test_mcp_lists_tools_calls_one_and_answers_with_its_output(client: OpenAI) -> None:
    response = client.responses.create(
        model=MODEL, tools=[{**DEEPWIKI, "require_approval": "never"}],
        input="Ask a question about the openai/openai-python repository: which transports does it use?")
    kinds = [item.type for item in response.output]
    assert kinds == ["mcp_list_tools", "mcp_call", "message"], kinds
    listing, call, message = response.output
    assert [t.name for t in listing.tools] == ["read_wiki_structure", "read_wiki_contents", "ask_question"]
    assert listing.error is None
    assert call.name == "ask_question" and call.server_label == "deepwiki"
    arguments = json.loads(call.arguments)
    schema = listing.tools[2].input_schema
    assert set(arguments) == set(schema["required"]) and all(isinstance(v, str) for v in arguments.values())
    assert call.output and call.error is None and call.approval_request_id is None
    assert "ask_question" in message.content[0].text
    assert response.usage.output_tokens > 0


def test_mcp_needs_approval_by_default_and_the_approval_runs_the_call(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, tools=[DEEPWIKI],
                                    input="Ask a question about the openai/openai-python repository")
    assert [i.type for i in first.output] == ["mcp_list_tools", "mcp_approval_request"]
    request = first.output[1]
    assert request.name == "ask_question" and json.loads(request.arguments)
    approved = client.responses.create(
        model=MODEL, tools=[DEEPWIKI], previous_response_id=first.id,
        input=[{"type": "mcp_approval_response", "approval_request_id": request.id, "approve": True}])
    # The server was listed in the first turn; the approved call runs with the same arguments.
    assert [i.type for i in approved.output] == ["mcp_call", "message"]
    call = approved.output[0]
    assert call.approval_request_id == request.id and call.arguments == request.arguments
    assert call.output

    declined = client.responses.create(
        model=MODEL, tools=[DEEPWIKI], previous_response_id=first.id,
        input=[{"type": "mcp_approval_response", "approval_request_id": request.id, "approve": False}])
    assert [i.type for i in declined.output] == ["message"]
    assert "not approved" in declined.output_text


def test_mcp_per_tool_approval_allowed_tools_and_forced_choice(client: OpenAI) -> None:
    tool = {**DEEPWIKI, "allowed_tools": ["read_wiki_structure"],
            "require_approval": {"never": {"tool_names": ["read_wiki_structure"]}}}
    forced = client.responses.create(model=MODEL, tools=[tool], input="Tell me a joke",
                                     tool_choice={"type": "mcp", "server_label": "deepwiki"})
    assert [i.type for i in forced.output] == ["mcp_list_tools", "mcp_call", "message"]
    assert forced.output[1].name == "read_wiki_structure"
    none = client.responses.create(model=MODEL, tools=[tool], input="Ask about the repo", tool_choice="none")
    assert [i.type for i in none.output] == ["message"]


def test_mcp_unreachable_server_gives_the_error_item(client: OpenAI) -> None:
    tool = {"type": "mcp", "server_label": "down", "server_url": "https://down.invalid/mcp",
            "require_approval": "never"}
    response = client.responses.create(model=MODEL, tools=[tool], input="Search the docs")
    assert [i.type for i in response.output] == ["mcp_list_tools", "message"]
    assert response.output[0].error and "'down'" in response.output[0].error
    assert response.output[0].tools == []


def test_mcp_streams_listing_and_call_events(client: OpenAI) -> None:
    events, final = _stream(client, model=MODEL, tools=[{**DEEPWIKI, "require_approval": "never"}],
                            input="Ask a question about the openai/openai-python repository")
    types = [e.type for e in events]
    for kind in ["response.mcp_list_tools.in_progress", "response.mcp_list_tools.completed",
                 "response.mcp_call.in_progress", "response.mcp_call_arguments.done",
                 "response.mcp_call.completed"]:
        assert kind in types, kind
    deltas = "".join(e.delta for e in events if e.type == "response.mcp_call_arguments.delta")
    call = next(i for i in final.output if i.type == "mcp_call")
    assert deltas == call.arguments
    done = _done_items(events)
    assert [i["type"] for i in done] == [i.type for i in final.output]
    assert done[:2] == [item.model_dump() for item in final.output[:2]]
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == final.output_text


# Shell and local shell


def test_shell_call_then_its_output_gives_a_message_using_it(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, tools=[{"type": "shell"}], input="Please list the files here")
    assert [i.type for i in first.output] == ["shell_call"]
    call = first.output[0]
    assert call.action.commands == ["ls -la"]
    second = client.responses.create(
        model=MODEL, tools=[{"type": "shell"}], previous_response_id=first.id,
        input=[{"type": "shell_call_output", "call_id": call.call_id, "output": [
            {"stdout": "README.md\nsetup.py\n", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}]}])
    assert [i.type for i in second.output] == ["message"]
    assert "README.md" in second.output_text


def test_shell_forced_none_and_streamed_commands(client: OpenAI) -> None:
    forced = client.responses.create(model=MODEL, tools=[{"type": "shell"}], input="Tell me a joke",
                                     tool_choice="required")
    assert [i.type for i in forced.output] == ["shell_call"]
    none = client.responses.create(model=MODEL, tools=[{"type": "shell"}], input="list the files",
                                   tool_choice="none")
    assert [i.type for i in none.output] == ["message"]
    events, final = _stream(client, model=MODEL, tools=[{"type": "shell"}],
                            input="list the files and the git status")
    commands = [e.command for e in events if e.type == "response.shell_call_command.done"]
    assert commands == final.output[0].action.commands == ["ls -la", "git status"]
    assert _done_items(events) == [item.model_dump() for item in final.output]


def test_local_shell_call_round_trip(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, tools=[{"type": "local_shell"}], input="Show README.md")
    call = first.output[0]
    assert call.type == "local_shell_call"
    assert call.action.command == ["bash", "-lc", "cat README.md"]
    second = client.responses.create(
        model=MODEL, tools=[{"type": "local_shell"}], previous_response_id=first.id,
        input=[{"type": "local_shell_call_output", "call_id": call.call_id, "output": "# Hello project"}])
    assert "Hello project" in second.output_text


# apply_patch


def test_apply_patch_edits_the_named_file_and_its_output_continues(client: OpenAI) -> None:
    tools = [{"type": "apply_patch"}]
    first = client.responses.create(model=MODEL, tools=tools, input='Add the line "import os" to app.py')
    call = first.output[0]
    assert call.type == "apply_patch_call"
    assert call.operation.type == "update_file" and call.operation.path == "app.py"
    assert call.operation.diff == "@@\n+import os\n"
    created = client.responses.create(model=MODEL, tools=tools, input="Create a new file hello.py")
    assert created.output[0].operation.type == "create_file"
    assert all(line.startswith("+") for line in created.output[0].operation.diff.splitlines())
    second = client.responses.create(
        model=MODEL, tools=tools, previous_response_id=first.id,
        input=[{"type": "apply_patch_call_output", "call_id": call.call_id, "status": "completed",
                "output": "Updated app.py"}])
    assert [i.type for i in second.output] == ["message"] and "Updated app.py" in second.output_text
    events, final = _stream(client, model=MODEL, tools=tools, input="Delete old.txt")
    assert final.output[0].operation.type == "delete_file"
    assert _done_items(events) == [item.model_dump() for item in final.output]


# Computer use


COMPUTER = {"type": "computer_use_preview", "display_width": 1024, "display_height": 768,
            "environment": "browser"}


def test_computer_loop_runs_the_plan_then_answers(client: OpenAI) -> None:
    prompt = 'Open bing.com and search for "otters"'
    response = client.responses.create(model=MODEL, tools=[COMPUTER], input=prompt, truncation="auto")
    actions = []
    for _ in range(10):
        if response.output[0].type != "computer_call":
            break
        call = response.output[0]
        assert call.pending_safety_checks == []
        actions.append(call.action.type)
        if call.action.type in ("click",):
            assert 0 <= call.action.x < 1024 and 0 <= call.action.y < 768
        response = client.responses.create(
            model=MODEL, tools=[COMPUTER], previous_response_id=response.id, truncation="auto",
            input=[{"type": "computer_call_output", "call_id": call.call_id, "output": SCREENSHOT}])
    assert actions == ["screenshot", "click", "type", "keypress"]
    assert [i.type for i in response.output] == ["message"]


def test_computer_safety_checks_must_be_acknowledged(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, tools=[COMPUTER], input="Log in to my bank and click pay")
    call = first.output[0]
    assert call.pending_safety_checks and call.pending_safety_checks[0].code == "sensitive_domain"
    ignored = client.responses.create(
        model=MODEL, tools=[COMPUTER], previous_response_id=first.id,
        input=[{"type": "computer_call_output", "call_id": call.call_id, "output": SCREENSHOT}])
    assert [i.type for i in ignored.output] == ["message"] and "safety check" in ignored.output_text
    checks = [c.model_dump() for c in call.pending_safety_checks]
    acknowledged = client.responses.create(
        model=MODEL, tools=[COMPUTER], previous_response_id=first.id,
        input=[{"type": "computer_call_output", "call_id": call.call_id, "output": SCREENSHOT,
                "acknowledged_safety_checks": checks}])
    assert acknowledged.output[0].type == "computer_call"


def test_computer_ga_tool_forced_and_streamed(client: OpenAI) -> None:
    events, final = _stream(client, model=MODEL, tools=[{"type": "computer"}], input="Tell me a joke",
                            tool_choice="required")
    call = final.output[0]
    assert call.type == "computer_call" and call.actions[0].type == "screenshot"
    assert _done_items(events) == [item.model_dump() for item in final.output]


# Custom tools with a grammar


SQL = r'''
start: "SELECT " columns " FROM " TABLE [" WHERE " condition] ";"
columns: "*" | COLUMN ("," COLUMN)*
condition: COLUMN " = " /[0-9]+/
COLUMN: /[a-z_]+/
TABLE: "users" | "orders"
'''
SQL_SHAPE = re.compile(r"SELECT (\*|[a-z_]+(,[a-z_]+)*) FROM (users|orders)( WHERE [a-z_]+ = [0-9]+)?;")


def test_custom_tool_input_follows_a_lark_grammar_and_streams(client: OpenAI) -> None:
    tool = {"type": "custom", "name": "run_sql", "description": "Run a SQL query",
            "format": {"type": "grammar", "syntax": "lark", "definition": SQL}}
    events, final = _stream(client, model=MODEL, tools=[tool], input="Query the orders where id = 4 with sql",
                            tool_choice={"type": "custom", "name": "run_sql"})
    call = final.output[0]
    assert call.type == "custom_tool_call"
    assert SQL_SHAPE.fullmatch(call.input), call.input
    assert "orders" in call.input
    deltas = "".join(e.delta for e in events if e.type == "response.custom_tool_call_input.delta")
    assert deltas == call.input
    second = client.responses.create(
        model=MODEL, tools=[tool], previous_response_id=final.id,
        input=[{"type": "custom_tool_call_output", "id": "ctco_1", "status": "completed", "call_id": call.call_id,
                "output": "3 rows"}])
    assert "3 rows" in second.output_text


def test_custom_tool_input_matches_a_regex_grammar(client: OpenAI) -> None:
    pattern = r"[A-Z]{3}-[0-9]{4}"
    tool = {"type": "custom", "name": "ticket", "description": "Open a ticket",
            "format": {"type": "grammar", "syntax": "regex", "definition": pattern}}
    response = client.responses.create(model=MODEL, tools=[tool], input="Open a ticket", tool_choice="required")
    assert re.fullmatch(pattern, response.output[0].input), response.output[0].input


# Tool search and deferred tools


DEFERRED = {"type": "function", "name": "get_weather", "description": "Current weather for a city",
            "defer_loading": True,
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                           "additionalProperties": False}}


def test_server_tool_search_finds_the_deferred_tool_and_the_call_uses_it(client: OpenAI) -> None:
    response = client.responses.create(model=MODEL, tools=[{"type": "tool_search"}, DEFERRED],
                                       input="What's the weather in Paris?")
    kinds = [i.type for i in response.output]
    assert kinds == ["tool_search_call", "tool_search_output", "function_call"], kinds
    found = response.output[1]
    assert found.execution == "server" and [t.name for t in found.tools] == ["get_weather"]
    assert response.output[2].name == "get_weather"
    assert json.loads(response.output[2].arguments)["city"] == "Paris"


def test_client_tool_search_waits_for_the_clients_results(client: OpenAI) -> None:
    tools = [{"type": "tool_search", "execution": "client"}, DEFERRED]
    first = client.responses.create(model=MODEL, tools=tools, input="What's the weather in Paris?")
    assert [i.type for i in first.output] == ["tool_search_call"]
    search = first.output[0]
    assert search.execution == "client" and search.call_id
    second = client.responses.create(
        model=MODEL, tools=tools, previous_response_id=first.id,
        input=[{"type": "tool_search_output", "call_id": search.call_id, "execution": "client",
                "tools": [DEFERRED]}])
    assert [i.type for i in second.output] == ["function_call"]
