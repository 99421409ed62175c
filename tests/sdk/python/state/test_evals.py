"""Evals through the official SDK: evals and runs are stored; a run grades every datum of
its data source with the eval's testing criteria (string_check and text_similarity with
their real semantics), and moves queued -> in_progress -> completed, its counts appearing
only when it completes; output items hold each datum, its sample and the grader results.
Runs read JSONL files, inline content and stored chat completions, and can be canceled."""

import json

import openai
import pytest

from conftest import wait_until

ROWS = [
    {"item": {"answer": "Paris", "expected": "Paris"}},  # passes both
    {"item": {"answer": "paris", "expected": "Paris"}},  # eq fails, fuzzy 0.8 passes
    {"item": {"answer": "London", "expected": "Paris"}},  # fails both
    {"item": {"answer": "Berlin", "expected": "Berlin"}},  # passes both
]
CRITERIA = [
    {
        "type": "string_check",
        "name": "exact",
        "input": "{{item.answer}}",
        "reference": "{{item.expected}}",
        "operation": "eq",
    },
    {
        "type": "text_similarity",
        "name": "close",
        "input": "{{item.answer}}",
        "reference": "{{item.expected}}",
        "evaluation_metric": "fuzzy_match",
        "pass_threshold": 0.75,
    },
]
ITEM_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "expected": {"type": "string"}},
    "required": ["answer", "expected"],
}


def make_eval(client, criteria=CRITERIA, **kwargs):
    return client.evals.create(
        name="capitals",
        data_source_config={"type": "custom", "item_schema": ITEM_SCHEMA},
        testing_criteria=criteria,
        **kwargs,
    )


def finished(client, eval_id, run_id):
    seen = []

    def done():
        run = client.evals.runs.retrieve(run_id, eval_id=eval_id)
        if run.status not in seen:
            seen.append(run.status)
        if run.status != "completed":
            # Counts appear only with completion.
            assert run.result_counts.total == 0 and run.per_testing_criteria_results == []
        return run if run.status in ("completed", "failed", "canceled") else None

    run = wait_until(done)
    order = ["queued", "in_progress", "completed", "failed", "canceled"]
    assert seen == [s for s in order if s in seen], seen
    return run


def test_evals_are_stored_updated_listed_and_deleted(client, strict_client):
    created = make_eval(client, metadata={"team": "geo"})
    assert created.name == "capitals" and created.metadata == {"team": "geo"}
    assert [c.name for c in created.testing_criteria] == ["exact", "close"]
    assert created.testing_criteria[0].id.startswith("exact-")
    assert created.data_source_config.type == "custom"
    assert created.data_source_config.schema_["properties"]["item"] == ITEM_SCHEMA
    assert client.evals.retrieve(created.id).model_dump() == created.model_dump()
    updated = client.evals.update(created.id, name="capitals v2", metadata={"team": "maps"})
    assert (updated.name, updated.metadata) == ("capitals v2", {"team": "maps"})
    other = make_eval(client)
    assert [e.id for e in client.evals.list()] == [created.id, other.id]
    assert [e.id for e in client.evals.list(order="desc", limit=1).data] == [other.id]
    deleted = client.evals.delete(created.id)
    assert (deleted.deleted, deleted.eval_id) == (True, created.id)
    with pytest.raises(openai.NotFoundError):
        client.evals.retrieve(created.id)
    assert [e.id for e in client.evals.list()] == [other.id]
    with pytest.raises(openai.NotFoundError):
        strict_client.evals.retrieve("eval_never")


def test_a_run_over_a_jsonl_file_counts_its_data_exactly(client):
    lines = "".join(json.dumps(row) + "\n" for row in ROWS) + "this line is not json\n"
    file = client.files.create(file=("capitals.jsonl", lines.encode()), purpose="evals")
    ev = make_eval(client)
    run = client.evals.runs.create(
        ev.id, name="file run", data_source={"type": "jsonl", "source": {"type": "file_id", "id": file.id}}
    )
    assert run.status == "queued" and run.eval_id == ev.id and run.name == "file run"
    assert client.evals.runs.output_items.list(run.id, eval_id=ev.id).data == []
    run = finished(client, ev.id, run.id)
    assert run.status == "completed"
    counts = run.result_counts
    assert (counts.total, counts.passed, counts.failed, counts.errored) == (5, 2, 2, 1)
    per = {r.testing_criteria: (r.passed, r.failed) for r in run.per_testing_criteria_results}
    exact, close = (c.id for c in ev.testing_criteria)
    assert per == {exact: (2, 2), close: (3, 1)}
    assert run.per_model_usage == []

    items = client.evals.runs.output_items.list(run.id, eval_id=ev.id, limit=10)
    assert [i.datasource_item_id for i in items.data] == [0, 1, 2, 3, 4]
    assert [i.status for i in items.data] == ["pass", "fail", "fail", "pass", "error"]
    second = items.data[1]
    assert second.datasource_item == ROWS[1]["item"]
    scores = {r.name: (r.score, r.passed) for r in second.results}
    assert scores["exact"] == (0.0, False)
    assert scores["close"][1] and abs(scores["close"][0] - 0.8) < 1e-9
    assert items.data[4].sample.error.message
    failing = client.evals.runs.output_items.list(run.id, eval_id=ev.id, status="fail")
    assert [i.datasource_item_id for i in failing.data] == [1, 2]
    one = client.evals.runs.output_items.retrieve(second.id, eval_id=ev.id, run_id=run.id)
    assert one.model_dump() == second.model_dump()
    assert [r.id for r in client.evals.runs.list(ev.id)] == [run.id]
    assert [r.id for r in client.evals.runs.list(ev.id, status="completed")] == [run.id]
    assert client.evals.runs.list(ev.id, status="queued").data == []


def test_similarity_metrics_grade_inline_content(client):
    criteria = [
        {"type": "text_similarity", "name": m, "input": "{{item.answer}}", "reference": "{{item.expected}}",
         "evaluation_metric": m, "pass_threshold": 0.5}
        for m in ("bleu", "gleu", "meteor", "rouge_1", "rouge_l", "cosine")
    ]
    ev = make_eval(client, criteria=criteria)
    content = [
        {"item": {"answer": "the cat sat on the mat", "expected": "the cat sat on the mat"}},
        {"item": {"answer": "quarterly earnings rose", "expected": "the cat sat on the mat"}},
    ]
    run = client.evals.runs.create(
        ev.id, data_source={"type": "jsonl", "source": {"type": "file_content", "content": content}}
    )
    run = finished(client, ev.id, run.id)
    assert (run.result_counts.total, run.result_counts.passed, run.result_counts.failed) == (2, 1, 1)
    same, different = client.evals.runs.output_items.list(run.id, eval_id=ev.id).data
    # METEOR's fragmentation penalty keeps even an identical sentence just under 1.
    assert all(r.score > 0.99 and r.passed for r in same.results), same.results
    rouge = {r.name: r.score for r in different.results}
    assert rouge["rouge_1"] == 0.0 and rouge["bleu"] == 0.0


def test_a_run_over_stored_completions(client):
    stored = [
        client.chat.completions.create(
            model="gpt-4o-mini",
            store=True,
            metadata={"suite": "geo"},
            messages=[{"role": "user", "content": f"What is the capital of {country}?"}],
        )
        for country in ("France", "Japan")
    ]
    client.chat.completions.create(
        model="gpt-4.1", store=True, metadata={"suite": "geo"}, messages=[{"role": "user", "content": "Hi"}]
    )
    client.chat.completions.create(model="gpt-4o-mini", store=True, messages=[{"role": "user", "content": "Hi"}])
    ev = client.evals.create(
        name="stored",
        data_source_config={"type": "stored_completions", "metadata": {"suite": "geo"}},
        testing_criteria=[
            {"type": "string_check", "name": "model", "input": "{{item.model}}", "reference": "gpt-4o-mini",
             "operation": "eq"},
            {"type": "string_check", "name": "answered", "input": "{{sample.output_text}}", "reference": "",
             "operation": "ne"},
        ],
    )
    run = client.evals.runs.create(
        ev.id,
        data_source={
            "type": "completions",
            "source": {"type": "stored_completions", "model": "gpt-4o-mini", "metadata": {"suite": "geo"}},
        },
    )
    run = finished(client, ev.id, run.id)
    assert (run.result_counts.total, run.result_counts.passed) == (2, 2)
    items = client.evals.runs.output_items.list(run.id, eval_id=ev.id).data
    assert [i.datasource_item["id"] for i in items] == [c.id for c in stored]
    for item, completion in zip(items, stored):
        assert item.sample.output[0].content == completion.choices[0].message.content
        assert item.sample.usage.total_tokens == completion.usage.total_tokens


def test_a_sampled_run_counts_its_model_usage(client):
    ev = make_eval(client, criteria=[
        {"type": "string_check", "name": "mentions", "input": "{{sample.output_text}}",
         "reference": "{{item.expected}}", "operation": "ilike"},
    ])
    content = [{"item": {"answer": "", "expected": c}} for c in ("Paris", "Rome", "Madrid")]
    run = client.evals.runs.create(
        ev.id,
        data_source={
            "type": "completions",
            "model": "gpt-4o-mini",
            "input_messages": {"type": "template", "template": [
                {"role": "system", "content": "Answer in one word."},
                {"role": "user", "content": "Tell me about {{item.expected}}."},
            ]},
            "sampling_params": {"seed": 7, "max_completion_tokens": 40},
            "source": {"type": "file_content", "content": content},
        },
    )
    assert run.model == "gpt-4o-mini"
    run = finished(client, ev.id, run.id)
    items = client.evals.runs.output_items.list(run.id, eval_id=ev.id).data
    assert [i.sample.input[1].content for i in items] == [f"Tell me about {c}." for c in ("Paris", "Rome", "Madrid")]
    mentioned = sum(c.lower() in i.sample.output[0].content.lower() for i, c in zip(items, ("Paris", "Rome", "Madrid")))
    assert run.result_counts.passed == mentioned
    assert run.result_counts.failed == 3 - mentioned
    (usage,) = run.per_model_usage
    assert (usage.model_name, usage.invocation_count) == ("gpt-4o-mini", 3)
    assert usage.prompt_tokens == sum(i.sample.usage.prompt_tokens for i in items)
    assert usage.completion_tokens == sum(i.sample.usage.completion_tokens for i in items)
    assert all(i.sample.usage.completion_tokens <= 40 for i in items)


def test_cancel_and_delete_a_run(client, strict_client):
    ev = make_eval(client)
    source = {"type": "jsonl", "source": {"type": "file_content", "content": ROWS}}
    # A run completes within --lifecycle-ms; if a slow machine lets it finish before the
    # cancel arrives, that is the 400 for a finished run: try again with a new one.
    for _ in range(5):
        run = client.evals.runs.create(ev.id, data_source=source)
        try:
            canceled = client.evals.runs.cancel(run.id, eval_id=ev.id)
        except openai.BadRequestError:
            assert client.evals.runs.retrieve(run.id, eval_id=ev.id).status == "completed"
            continue
        break
    else:
        pytest.fail("every run completed before it could be canceled")
    assert canceled.status == "canceled"
    assert canceled.result_counts.total == 0
    # It stays canceled, and shows no output items.
    final = finished(client, ev.id, run.id)
    assert final.status == "canceled"
    assert client.evals.runs.output_items.list(run.id, eval_id=ev.id).data == []
    with pytest.raises(openai.BadRequestError):
        client.evals.runs.cancel(run.id, eval_id=ev.id)
    deleted = client.evals.runs.delete(run.id, eval_id=ev.id)
    assert (deleted.deleted, deleted.run_id) == (True, run.id)
    with pytest.raises(openai.NotFoundError):
        client.evals.runs.retrieve(run.id, eval_id=ev.id)
    with pytest.raises(openai.NotFoundError):
        strict_client.evals.runs.retrieve("evalrun_never", eval_id=ev.id)


def test_a_missing_file_fails_the_run_and_another_key_sees_nothing(client, other_client):
    ev = make_eval(client)
    run = client.evals.runs.create(
        ev.id, data_source={"type": "jsonl", "source": {"type": "file_id", "id": "file-never-uploaded"}}
    )
    failed = finished(client, ev.id, run.id)
    assert failed.status == "failed" and "file-never-uploaded" in failed.error.message
    assert other_client.evals.list().data == []
    assert other_client.evals.runs.list(ev.id).data == []
