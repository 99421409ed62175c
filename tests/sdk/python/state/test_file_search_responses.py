"""The Responses file_search tool through the official SDK: a file_search_call item, then a
message composed from the uploaded file that holds the answer, citing it."""

from conftest import wait_until
from test_file_search_assistants import FACTS

QUESTION = "What is the capital of Zorbia?"


def setup_store(client):
    files = {name: client.files.create(file=(name, text.encode()), purpose="assistants") for name, text in FACTS.items()}
    store = client.vector_stores.create(name="facts", file_ids=[f.id for f in files.values()])
    wait_until(lambda: client.vector_stores.retrieve(store.id).status == "completed")
    for name, f in files.items():
        client.vector_stores.files.update(f.id, vector_store_id=store.id, attributes={"topic": name.split(".")[0]})
    return files, store


def citations(message):
    return [a for part in message.content for a in part.annotations if a.type == "file_citation"]


def test_the_answer_cites_the_file_that_holds_it(client):
    files, store = setup_store(client)
    tools = [{"type": "file_search", "vector_store_ids": [store.id]}]
    response = client.responses.create(model="gpt-4o", tools=tools, input=QUESTION)
    assert [item.type for item in response.output] == ["file_search_call", "message"]
    call, message = response.output
    assert call.id.startswith("fs_") and call.status == "completed"
    assert call.queries == [QUESTION] and call.results is None
    assert "Quillton" in response.output_text
    cited = citations(message)
    assert cited and {a.file_id for a in cited} == {files["zorbia.txt"].id}
    for a in cited:
        assert a.filename in FACTS and 0 < a.index <= len(response.output_text)
    assert response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens

    stored = client.responses.retrieve(response.id)
    assert stored.model_dump() == response.model_dump()


def test_results_are_included_with_scores_and_max_num_results_applies(client):
    files, store = setup_store(client)
    tools = [{"type": "file_search", "vector_store_ids": [store.id]}]
    response = client.responses.create(
        model="gpt-4o", tools=tools, input=QUESTION, include=["file_search_call.results"]
    )
    results = response.output[0].results
    assert len(results) >= 2
    assert results[0].file_id == files["zorbia.txt"].id and results[0].filename == "zorbia.txt"
    assert "Quillton" in results[0].text
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True) and 0 <= scores[-1] <= scores[0] <= 1
    plain = client.responses.create(model="gpt-4o", tools=tools, input=QUESTION)
    assert response.usage.input_tokens == plain.usage.input_tokens

    one = client.responses.create(
        model="gpt-4o",
        tools=[{"type": "file_search", "vector_store_ids": [store.id], "max_num_results": 1}],
        input=QUESTION,
        include=["file_search_call.results"],
    )
    assert len(one.output[0].results) == 1
    assert one.output[0].results[0].file_id == files["zorbia.txt"].id


def test_a_filter_that_excludes_the_file_changes_the_citation(client):
    files, store = setup_store(client)
    tool = {
        "type": "file_search",
        "vector_store_ids": [store.id],
        "filters": {"type": "ne", "key": "topic", "value": "zorbia"},
    }
    response = client.responses.create(
        model="gpt-4o", tools=[tool], tool_choice="required", input=QUESTION,
        include=["file_search_call.results"],
    )
    assert response.output[0].type == "file_search_call"
    assert all(r.file_id != files["zorbia.txt"].id for r in response.output[0].results)
    cited = {a.file_id for a in citations(response.output[-1])}
    assert files["zorbia.txt"].id not in cited
    assert "Quillton" not in response.output_text


def test_tool_choice_none_and_an_unrelated_question_skip_the_search(client):
    _, store = setup_store(client)
    tools = [{"type": "file_search", "vector_store_ids": [store.id]}]
    off = client.responses.create(model="gpt-4o", tools=tools, tool_choice="none", input=QUESTION)
    assert [item.type for item in off.output] == ["message"]
    forced = client.responses.create(
        model="gpt-4o", tools=tools, tool_choice={"type": "file_search"}, input=QUESTION
    )
    assert forced.output[0].type == "file_search_call"
    unrelated = client.responses.create(model="gpt-4o", tools=tools, input="Write a haiku about penguins.")
    assert [item.type for item in unrelated.output] == ["message"]


def test_streaming_gives_the_same_text_and_annotations(client):
    files, store = setup_store(client)
    tools = [{"type": "file_search", "vector_store_ids": [store.id]}]
    events = list(client.responses.create(model="gpt-4o", tools=tools, input=QUESTION, stream=True))
    kinds = [e.type for e in events]
    for kind in [
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.file_search_call.completed",
        "response.output_text.annotation.added",
    ]:
        assert kind in kinds
    assert kinds.index("response.file_search_call.completed") < kinds.index("response.output_text.delta")
    assert events[kinds.index("response.output_item.added")].item.type == "file_search_call"
    final = events[-1].response
    assert final.status == "completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == final.output_text and "Quillton" in text
    added = [e.annotation for e in events if e.type == "response.output_text.annotation.added"]
    assert [a["file_id"] if isinstance(a, dict) else a.file_id for a in added] == [
        a.file_id for a in citations(final.output[-1])
    ]
    assert {a.file_id for a in citations(final.output[-1])} == {files["zorbia.txt"].id}
    assert client.responses.retrieve(final.id).output_text == text
