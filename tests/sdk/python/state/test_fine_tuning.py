"""Fine-tuning through the official SDK: a job trains on an uploaded file, reports events,
checkpoints and a result file, and yields a model that answers, is listed, and once deleted
is a 404 everywhere. Bad files fail the job; cancel, pause/resume, permissions, strict ids
and isolation per key."""

import json

import openai
import pytest

from conftest import wait_until


def _example(i: int) -> dict:
    return {
        "messages": [
            {"role": "system", "content": "You answer like a pirate."},
            {"role": "user", "content": f"What is {i} plus {i}?"},
            {"role": "assistant", "content": f"Arr, that be {2 * i}, matey."},
        ]
    }


def _upload(client, n: int = 12, lines=None):
    lines = lines if lines is not None else [json.dumps(_example(i)) for i in range(n)]
    return client.files.create(
        file=("train.jsonl", ("\n".join(lines) + "\n").encode()), purpose="fine-tune"
    )


def _finished(client, job_id):
    job = client.fine_tuning.jobs.retrieve(job_id)
    return job if job.status in ("succeeded", "failed", "cancelled") else None


def test_a_job_trains_a_model_that_answers_and_can_be_deleted(client):
    training = _upload(client)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=training.id, suffix="pirate"
    )
    assert job.id.startswith("ftjob-")
    assert job.status == "validating_files"
    assert job.fine_tuned_model is None and job.finished_at is None
    assert job.model == "gpt-4o-mini-2024-07-18"
    assert job.hyperparameters.n_epochs == 8  # about 100 examples seen: 100 // 12
    assert job.hyperparameters.batch_size == 1
    assert job.method.type == "supervised"
    assert job.method.supervised.hyperparameters.n_epochs == 8

    done = wait_until(lambda: _finished(client, job.id))
    assert done.status == "succeeded"
    assert done.error is None
    assert done.finished_at >= done.created_at
    model = done.fine_tuned_model
    parts = model.split(":")
    assert parts[:4] == ["ft", "gpt-4o-mini-2024-07-18", "personal", "pirate"], model
    assert len(parts) == 5 and parts[4]
    assert done.trained_tokens > 0 and done.trained_tokens % 8 == 0

    # The result file: one CSV row per step (12 examples x 8 epochs, batch 1).
    assert len(done.result_files) == 1
    result = client.files.retrieve(done.result_files[0])
    assert result.purpose == "fine-tune-results"
    rows = client.files.content(result.id).text.strip().splitlines()
    assert rows[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(rows) == 1 + 12 * 8
    assert client.fine_tuning.jobs.retrieve(job.id).result_files == done.result_files

    events = client.fine_tuning.jobs.list_events(job.id, limit=1000).data
    messages = [e.message for e in events]
    assert messages[0] == "The job has successfully completed"  # newest first
    assert f"Validating training file: {training.id}" in messages
    assert "Fine-tuning job started" in messages
    metrics = [e for e in events if e.type == "metrics"]
    assert len(metrics) == 12 * 8
    assert metrics[0].data["step"] == 96 and metrics[0].data["total_steps"] == 96

    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [96, 84, 72]
    assert checkpoints[0].fine_tuned_model_checkpoint == model
    assert checkpoints[1].fine_tuned_model_checkpoint == f"{model}:ckpt-step-84"
    assert all(c.id.startswith("ftckpt_") and c.fine_tuning_job_id == job.id for c in checkpoints)
    assert checkpoints[0].metrics.train_loss is not None

    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}])
    assert reply.model == model and reply.choices[0].message.content
    response = client.responses.create(model=model, input="Hi")
    assert response.output_text

    retrieved = client.models.retrieve(model)
    assert retrieved.id == model and retrieved.owned_by == done.organization_id
    assert model in [m.id for m in client.models.list().data]

    deleted = client.models.delete(model)
    assert deleted.deleted is True
    assert model not in [m.id for m in client.models.list().data]
    with pytest.raises(openai.NotFoundError) as error:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}])
    assert error.value.body["message"] == f"The model `{model}` does not exist or you do not have access to it."
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve(model)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=model, input="Hi")


def test_the_model_is_not_there_before_the_job_succeeds(client):
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=_upload(client).id)
    listed = client.fine_tuning.jobs.list().data
    assert [j.id for j in listed] == [job.id]
    done = wait_until(lambda: _finished(client, job.id))
    assert done.fine_tuned_model.split(":")[3] == ""  # no suffix: an empty segment


def test_too_few_examples_make_the_job_fail(client):
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=_upload(client, n=5).id)
    done = wait_until(lambda: _finished(client, job.id))
    assert done.status == "failed"
    assert done.fine_tuned_model is None
    assert done.error.code == "invalid_n_examples"
    assert done.error.param == "training_file"
    assert done.error.message == "Training file has 5 example(s), but must have at least 10 examples"
    assert done.result_files == []
    levels = [e.level for e in client.fine_tuning.jobs.list_events(job.id).data]
    assert levels[0] == "error"


def test_a_file_in_the_wrong_format_for_the_method_makes_the_job_fail(client):
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=_upload(client).id,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
    )
    assert job.method.dpo.hyperparameters.beta == 0.2
    done = wait_until(lambda: _finished(client, job.id))
    assert done.status == "failed"
    assert done.error.code == "invalid_training_file"
    assert "Line 1" in done.error.message


def test_an_unknown_training_file_fails_the_job_leniently_and_is_404_when_strict(client, strict_client):
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-nope")
    done = wait_until(lambda: _finished(client, job.id))
    assert done.status == "failed" and done.error.param == "training_file"
    with pytest.raises(openai.NotFoundError) as error:
        strict_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-nope")
    assert error.value.body["message"] == "No such File object: file-nope"
    with pytest.raises(openai.NotFoundError):
        strict_client.fine_tuning.jobs.retrieve("ftjob-nope")


def test_an_unknown_model_or_a_file_of_another_purpose_is_refused(client):
    training = _upload(client)
    with pytest.raises(openai.BadRequestError) as error:
        client.fine_tuning.jobs.create(model="gpt-nonexistent", training_file=training.id)
    assert error.value.body["message"] == "Model gpt-nonexistent is not available for fine-tuning or does not exist."
    assert error.value.body["param"] == "model"
    other = client.files.create(file=("notes.txt", b"hello"), purpose="assistants")
    with pytest.raises(openai.BadRequestError) as error:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=other.id)
    assert error.value.body["param"] == "training_file"


def test_cancel_stops_the_job_and_no_model_appears(client):
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=_upload(client).id)
    raw = client.fine_tuning.jobs.with_raw_response.cancel(job.id)
    assert "openai-poll-after-ms" not in raw.headers  # nothing is left to happen
    cancelled = raw.parse()
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)
    # Stays cancelled past the time it would have finished.
    done = wait_until(lambda: _finished(client, job.id))
    assert done.status == "cancelled" and done.fine_tuned_model is None
    import time

    time.sleep(0.5)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    assert all(not m.id.startswith("ft:") for m in client.models.list().data)


def test_pause_and_resume(client):
    # 100 examples x 1 epoch: a long enough run to catch it running.
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=_upload(client, n=100).id,
        hyperparameters={"n_epochs": 1},
    )
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.resume(job.id)
    wait_until(lambda: client.fine_tuning.jobs.retrieve(job.id).status in ("running", "succeeded"), every=0.01)
    try:
        paused = client.fine_tuning.jobs.pause(job.id)
    except openai.BadRequestError:
        pytest.skip("the job finished before it could be paused")
    assert paused.status == "paused"
    import time

    time.sleep(0.5)  # longer than the whole run: a paused job does not finish
    still = client.fine_tuning.jobs.retrieve(job.id)
    assert still.status == "paused" and still.fine_tuned_model is None
    resumed = client.fine_tuning.jobs.resume(job.id)
    assert resumed.status == "queued"
    done = wait_until(lambda: _finished(client, job.id))
    assert done.status == "succeeded"
    messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=1000).data]
    assert "Fine-tuning job paused" in messages and "Fine-tuning job resumed" in messages
    assert done.finished_at >= still.created_at


def test_checkpoint_permissions_are_kept(client):
    name = "ft:gpt-4o-mini-2024-07-18:personal:x:abc12345"
    created = client.fine_tuning.checkpoints.permissions.create(name, project_ids=["proj_a", "proj_b"])
    assert [p.project_id for p in created.data] == ["proj_a", "proj_b"]
    listed = client.fine_tuning.checkpoints.permissions.list(name)
    assert [p.project_id for p in listed.data] == ["proj_b", "proj_a"]
    only = client.fine_tuning.checkpoints.permissions.list(name, project_id="proj_a")
    assert [p.id for p in only.data] == [created.data[0].id]
    gone = client.fine_tuning.checkpoints.permissions.delete(created.data[0].id, fine_tuned_model_checkpoint=name)
    assert gone.deleted is True
    assert [p.project_id for p in client.fine_tuning.checkpoints.permissions.list(name).data] == ["proj_b"]
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.checkpoints.permissions.delete(created.data[0].id, fine_tuned_model_checkpoint=name)


def test_another_key_sees_neither_the_job_nor_the_model(client, other_client):
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=_upload(client).id)
    done = wait_until(lambda: _finished(client, job.id))
    assert other_client.fine_tuning.jobs.list().data == []
    assert done.fine_tuned_model not in [m.id for m in other_client.models.list().data]
    assert other_client.fine_tuning.jobs.list_events(job.id).data == []
    assert other_client.fine_tuning.jobs.checkpoints.list(job.id).data == []
