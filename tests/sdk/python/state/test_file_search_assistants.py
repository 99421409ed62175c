"""The Assistants file_search tool through the official SDK: the answer comes from the
uploaded file that holds it, and its message cites that file."""

import pytest

from conftest import wait_until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FACTS = {
    "zorbia.txt": (
        "Zorbia is a small island nation in the northern sea. The capital of Zorbia is Quillton, "
        "a harbour city of forty thousand people. Zorbia exports tin and smoked herring."
    ),
    "gardening.txt": (
        "Tomatoes need full sun and deep watering twice a week. Prune the side shoots of "
        "tomato plants and stake them before the fruit sets."
    ),
    "trains.txt": (
        "The night train from Vienna to Rome leaves at eight in the evening. Sleeper cabins "
        "have two or four berths, and breakfast is served before arrival."
    ),
}
INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"


def setup_store(client):
    files = {name: client.files.create(file=(name, text.encode()), purpose="assistants") for name, text in FACTS.items()}
    store = client.vector_stores.create(name="facts", file_ids=[f.id for f in files.values()])
    wait_until(lambda: client.vector_stores.retrieve(store.id).status == "completed")
    return files, store


def test_the_answer_cites_the_file_that_holds_it(client):
    files, store = setup_store(client)
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What is the capital of Zorbia?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=50)
    assert run.status == "completed"
    message = client.beta.threads.messages.list(thread.id, run_id=run.id).data[0]
    text = message.content[0].text
    assert "Quillton" in text.value
    citations = [a for a in text.annotations if a.type == "file_citation"]
    assert citations and {a.file_citation.file_id for a in citations} == {files["zorbia.txt"].id}
    for a in citations:
        assert text.value[a.start_index : a.end_index] == a.text
        assert a.text.startswith("【") and a.text.endswith("†source】")

    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    search = steps[0].step_details.tool_calls[0]
    assert search.type == "file_search" and not search.file_search.results
    with_results = client.beta.threads.runs.steps.retrieve(
        steps[0].id, thread_id=thread.id, run_id=run.id, include=[INCLUDE]
    )
    results = with_results.step_details.tool_calls[0].file_search.results
    assert results[0].file_id == files["zorbia.txt"].id and results[0].file_name == "zorbia.txt"
    assert 0 <= results[-1].score <= results[0].score <= 1
    assert "Quillton" in results[0].content[0].text


def test_thread_resources_and_another_question(client):
    files, store = setup_store(client)
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[{"type": "file_search"}])
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={
            "messages": [{"role": "user", "content": "When does the night train to Rome leave?"}],
            "tool_resources": {"file_search": {"vector_store_ids": [store.id]}},
        },
        poll_interval_ms=50,
    )
    assert run.status == "completed"
    message = client.beta.threads.messages.list(run.thread_id, run_id=run.id).data[0]
    text = message.content[0].text
    assert "eight in the evening" in text.value
    assert {a.file_citation.file_id for a in text.annotations} == {files["trains.txt"].id}
