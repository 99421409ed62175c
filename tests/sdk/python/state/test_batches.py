"""Batches through the official SDK: the lines of a batch run through the server's own
pipeline, so each output body says what a direct call with the same body says; the batch
moves validating -> in_progress -> finalizing -> completed with its timestamps, counts and
files appearing only as it gets there."""

import json

import openai
import pytest

from conftest import wait_until

CHAT = "/v1/chat/completions"
EMBEDDINGS = "/v1/embeddings"
STAGES = ["validating", "in_progress", "finalizing", "completed"]


def jsonl(lines) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def line(custom_id: str, url: str, body: dict) -> dict:
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def upload(client, lines, purpose="batch"):
    return client.files.create(file=("input.jsonl", jsonl(lines)), purpose=purpose)


def assert_coherent(batch):
    """Timestamps, counts and files exist exactly for the stages the batch has reached."""
    if batch.status in STAGES:
        reached = STAGES[: STAGES.index(batch.status) + 1]
        for stage in STAGES[1:]:
            assert (getattr(batch, f"{stage}_at") is not None) == (stage in reached), batch
        assert batch.failed_at is None and batch.cancelled_at is None
        done = batch.status == "completed"
        assert (batch.output_file_id is not None or batch.error_file_id is not None) == done
        counts = batch.request_counts
        if batch.status == "validating":
            assert (counts.total, counts.completed, counts.failed) == (0, 0, 0)
        if batch.status in ("finalizing", "completed"):
            assert counts.completed + counts.failed == counts.total
    stamps = [batch.created_at, batch.in_progress_at, batch.finalizing_at, batch.completed_at]
    present = [s for s in stamps if s is not None]
    assert present == sorted(present)


def run_to_completion(client, batch):
    seen = []

    def done():
        current = client.batches.retrieve(batch.id)
        assert_coherent(current)
        if current.status not in seen:
            seen.append(current.status)
        return current if current.status == "completed" else None

    finished = wait_until(done)
    # Polling may skip a stage, never reorder them.
    assert seen == [s for s in STAGES if s in seen]
    return finished


def read_lines(client, file_id):
    return [json.loads(l) for l in client.files.content(file_id).text.splitlines() if l.strip()]


def test_a_chat_batch_answers_what_direct_calls_answer(client):
    bodies = {
        "greet": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}]},
        "count": {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Count to three."}],
            "max_tokens": 40,
        },
        "bad": {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"},
    }
    file = upload(client, [line(cid, CHAT, body) for cid, body in bodies.items()])
    batch = client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    assert batch.status == "validating" and batch.object == "batch"
    assert batch.input_file_id == file.id and batch.endpoint == CHAT
    assert_coherent(batch)

    done = run_to_completion(client, batch)
    counts = done.request_counts
    assert (counts.total, counts.completed, counts.failed) == (3, 2, 1)
    assert done.model == "gpt-4o-mini"
    assert done.usage is not None and done.usage.total_tokens > 0

    output = {l["custom_id"]: l for l in read_lines(client, done.output_file_id)}
    assert sorted(output) == ["count", "greet"]
    for custom_id, result in output.items():
        assert result["id"].startswith("batch_req_") and result["error"] is None
        response = result["response"]
        assert response["status_code"] == 200 and response["request_id"].startswith("req_")
        raw = client.chat.completions.with_raw_response.create(**bodies[custom_id])
        direct = raw.http_response.json()
        body = response["body"]
        assert body["object"] == "chat.completion" and body["model"] == direct["model"]
        assert [c["message"] for c in body["choices"]] == [c["message"] for c in direct["choices"]]
        assert body["usage"] == direct["usage"]

    errors = read_lines(client, done.error_file_id)
    assert [e["custom_id"] for e in errors] == ["bad"]
    assert errors[0]["response"]["status_code"] == 400
    with pytest.raises(openai.BadRequestError) as direct_error:
        client.chat.completions.create(**bodies["bad"])
    assert errors[0]["response"]["body"]["error"] == direct_error.value.body

    output_file = client.files.retrieve(done.output_file_id)
    assert output_file.purpose == "batch_output"
    assert output_file.filename == f"{done.id}_output.jsonl"


def test_an_embeddings_batch_gives_the_direct_vectors(client):
    bodies = [
        {"model": "text-embedding-3-small", "input": "first", "encoding_format": "float"},
        {"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float"},
    ]
    file = upload(client, [line(f"e{i}", EMBEDDINGS, b) for i, b in enumerate(bodies)])
    batch = client.batches.create(input_file_id=file.id, endpoint=EMBEDDINGS, completion_window="24h")
    done = run_to_completion(client, batch)
    assert (done.request_counts.completed, done.request_counts.failed) == (2, 0)
    assert done.error_file_id is None
    results = {l["custom_id"]: l["response"]["body"] for l in read_lines(client, done.output_file_id)}
    for i, body in enumerate(bodies):
        direct = client.embeddings.create(**body)
        assert [d["embedding"] for d in results[f"e{i}"]["data"]] == [d.embedding for d in direct.data]


def wait_failed(client, batch):
    def failed():
        current = client.batches.retrieve(batch.id)
        assert current.status in ("validating", "failed"), current.status
        assert (current.failed_at is None) == (current.status == "validating")
        assert current.in_progress_at is None and current.completed_at is None
        assert current.output_file_id is None and current.error_file_id is None
        return current if current.status == "failed" else None

    return wait_until(failed)


def test_an_input_file_that_does_not_exist_fails_the_batch(client):
    batch = client.batches.create(input_file_id="file-never-uploaded", endpoint=CHAT, completion_window="24h")
    assert batch.status == "validating"
    failed = wait_failed(client, batch)
    assert "file-never-uploaded" in failed.errors.data[0].message


def test_malformed_lines_fail_the_batch_naming_each_line(client):
    good = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    lines = [
        line("a", CHAT, good),
        line("a", CHAT, good),
        line("b", EMBEDDINGS, {"model": "text-embedding-3-small", "input": "x"}),
        {"method": "POST", "url": CHAT, "body": good},
    ]
    file = upload(client, lines)
    failed = wait_failed(client, client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h"))
    assert [(e.code, e.line) for e in failed.errors.data] == [
        ("duplicate_custom_id", 2),
        ("invalid_url", 3),
        ("missing_required_parameter", 4),
    ]
    assert failed.request_counts.total == 0


def test_a_file_of_another_purpose_is_refused(client):
    file = client.files.create(file=("notes.txt", b"hello"), purpose="user_data")
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    assert refused.value.body["param"] == "input_file_id"
    assert "purpose 'batch'" in refused.value.body["message"]


def test_cancel_moves_through_cancelling_to_cancelled(client):
    file = upload(client, [line("one", CHAT, {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})])
    # A batch finishes within --lifecycle-ms; if a slow machine lets it finish before the
    # cancel arrives, that is the 400 for a finished batch: try again with a new one.
    for _ in range(5):
        batch = client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
        try:
            cancelling = client.batches.cancel(batch.id)
        except openai.BadRequestError as finished:
            assert client.batches.retrieve(batch.id).status == "completed"
            assert "completed" in finished.body["message"]
            continue
        break
    else:
        pytest.fail("every batch completed before it could be cancelled")
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    assert cancelling.cancelled_at is None
    cancelled = wait_until(lambda: (b := client.batches.retrieve(batch.id)).status == "cancelled" and b)
    assert cancelled.cancelled_at >= cancelled.cancelling_at
    assert cancelled.completed_at is None and cancelled.output_file_id is None
    with pytest.raises(openai.BadRequestError) as again:
        client.batches.cancel(batch.id)
    assert "cancelled" in again.value.body["message"]


def test_a_completed_batch_cannot_be_cancelled(client):
    file = upload(client, [line("one", EMBEDDINGS, {"model": "text-embedding-3-small", "input": "x"})])
    batch = client.batches.create(input_file_id=file.id, endpoint=EMBEDDINGS, completion_window="24h")
    run_to_completion(client, batch)
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.cancel(batch.id)
    assert "completed" in refused.value.body["message"]


def test_list_shows_the_namespace_batches_newest_first(client, other_client):
    file = upload(client, [line("one", EMBEDDINGS, {"model": "text-embedding-3-small", "input": "x"})])
    ids = [
        client.batches.create(input_file_id=file.id, endpoint=EMBEDDINGS, completion_window="24h").id
        for _ in range(3)
    ]
    page = client.batches.list()
    assert [b.id for b in page.data] == ids[::-1]
    after = client.batches.list(after=ids[2], limit=1)
    assert [b.id for b in after.data] == [ids[1]] and after.has_more
    assert other_client.batches.list().data == []
    # Another key sees neither the batches nor the input file: its batch cannot read it.
    theirs = other_client.batches.create(input_file_id=file.id, endpoint=EMBEDDINGS, completion_window="24h")
    assert wait_failed(other_client, theirs).errors.data[0].param == "input_file_id"
    assert other_client.batches.retrieve(ids[0]).input_file_id != file.id
    assert theirs.id not in [b.id for b in client.batches.list().data]


def test_strict_ids_give_the_real_404s(strict_client):
    with pytest.raises(openai.NotFoundError) as missing:
        strict_client.batches.retrieve("batch_nope")
    assert missing.value.body["message"] == "No such Batch object: batch_nope"
    with pytest.raises(openai.NotFoundError) as no_file:
        strict_client.batches.create(input_file_id="file-nope", endpoint=CHAT, completion_window="24h")
    assert no_file.value.body["message"] == "No such File object: file-nope"
    with pytest.raises(openai.NotFoundError):
        strict_client.batches.cancel("batch_nope")


def test_a_deleted_input_file_is_a_404(client):
    file = upload(client, [line("one", EMBEDDINGS, {"model": "text-embedding-3-small", "input": "x"})])
    client.files.delete(file.id)
    with pytest.raises(openai.NotFoundError) as gone:
        client.batches.create(input_file_id=file.id, endpoint=EMBEDDINGS, completion_window="24h")
    assert gone.value.body["message"] == f"No such File object: {file.id}"
