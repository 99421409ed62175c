"""The OpenAI Agents SDK with a HostedMCPTool against the mock: the server's tools are listed,
the call waits for approval (the on_approval_request callback approves or rejects it), and
the agent finishes with a message that uses the call's output; plus ShellTool and
ApplyPatchTool loops with fake local executors.

Runs with the rest of the client suite (run.sh); tracing export is off.
"""

import json

import pytest
from agents import (
    Agent,
    ApplyPatchTool,
    HostedMCPTool,
    MCPApprovalRequestItem,
    MCPApprovalResponseItem,
    MCPListToolsItem,
    Runner,
    ShellTool,
    ToolCallItem,
    ToolCallOutputItem,
    set_tracing_disabled,
)
from agents.editor import ApplyPatchOperation, ApplyPatchResult
from conftest import assert_text

set_tracing_disabled(True)
pytestmark = pytest.mark.asyncio(loop_scope="session")

PROMPT = "Ask a question about the openai/openai-python repository: which transports does it use?"
DEEPWIKI = {"type": "mcp", "server_label": "deepwiki", "server_url": "https://mcp.deepwiki.com/mcp",
            "require_approval": "always"}


def mcp_agent(decisions: list, approve: bool) -> Agent:
    def on_approval(request):
        decisions.append((request.data.name, json.loads(request.data.arguments)))
        return {"approve": approve} if approve else {"approve": False, "reason": "not today"}

    return Agent(name="Researcher", instructions="Answer questions about repositories.", model="gpt-4o",
                 tools=[HostedMCPTool(tool_config=DEEPWIKI, on_approval_request=on_approval)])


async def test_hosted_mcp_with_approval_runs_the_call_and_answers() -> None:
    decisions: list = []
    result = await Runner.run(mcp_agent(decisions, approve=True), PROMPT)
    kinds = [type(item).__name__ for item in result.new_items]
    assert isinstance(result.new_items[0], MCPListToolsItem), kinds
    assert any(isinstance(item, MCPApprovalRequestItem) for item in result.new_items), kinds
    assert any(isinstance(item, MCPApprovalResponseItem) for item in result.new_items), kinds
    assert decisions and decisions[0][0] == "ask_question"
    assert set(decisions[0][1]) == {"repoName", "question"}
    calls = [item.raw_item for item in result.new_items
             if isinstance(item, ToolCallItem) and getattr(item.raw_item, "type", "") == "mcp_call"]
    assert calls and calls[0].output and calls[0].approval_request_id
    assert "ask_question" in assert_text(result.final_output)


async def test_hosted_mcp_rejection_gives_a_message_without_the_call() -> None:
    decisions: list = []
    result = await Runner.run(mcp_agent(decisions, approve=False), PROMPT)
    assert decisions
    assert not [item for item in result.new_items
                if isinstance(item, ToolCallItem) and getattr(item.raw_item, "type", "") == "mcp_call"]
    assert "not approved" in assert_text(result.final_output)


async def test_hosted_mcp_streamed_run_reaches_the_same_answer() -> None:
    decisions: list = []
    result = Runner.run_streamed(mcp_agent(decisions, approve=True), PROMPT)
    names = [event.name async for event in result.stream_events() if event.type == "run_item_stream_event"]
    assert "mcp_list_tools" in names and "mcp_approval_requested" in names
    assert decisions and "ask_question" in assert_text(result.final_output)


class FakeShell:
    """Runs nothing: answers `ls -la` with a fixed listing."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    def __call__(self, request) -> str:
        self.commands.extend(request.data.action.commands)
        return "README.md\nsetup.py"


async def test_shell_tool_loop_with_a_fake_executor() -> None:
    shell = FakeShell()
    agent = Agent(name="Operator", instructions="Use the shell.", model="gpt-4o",
                  tools=[ShellTool(executor=shell)])
    result = await Runner.run(agent, "Please list the files here")
    assert shell.commands == ["ls -la"]
    assert any(isinstance(item, ToolCallOutputItem) for item in result.new_items)
    assert "README.md" in assert_text(result.final_output)


class FakeEditor:
    """Applies nothing: records the operations."""

    def __init__(self) -> None:
        self.operations: list[ApplyPatchOperation] = []

    def create_file(self, operation: ApplyPatchOperation) -> ApplyPatchResult:
        self.operations.append(operation)
        return ApplyPatchResult(output=f"Created {operation.path}")

    def update_file(self, operation: ApplyPatchOperation) -> ApplyPatchResult:
        self.operations.append(operation)
        return ApplyPatchResult(output=f"Updated {operation.path}")

    def delete_file(self, operation: ApplyPatchOperation) -> ApplyPatchResult:
        self.operations.append(operation)
        return ApplyPatchResult(output=f"Deleted {operation.path}")


async def test_apply_patch_tool_loop_with_a_fake_editor() -> None:
    editor = FakeEditor()
    agent = Agent(name="Editor", instructions="Edit files.", model="gpt-4o",
                  tools=[ApplyPatchTool(editor=editor)])
    result = await Runner.run(agent, 'Add the line "import os" to app.py')
    assert [(op.type, op.path, op.diff) for op in editor.operations] == [
        ("update_file", "app.py", "@@\n+import os\n")]
    assert "Updated app.py" in assert_text(result.final_output)
