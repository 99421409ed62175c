"""Files, uploads and the store's control endpoints, through the official SDK."""

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest


def upload(client, name: str, content: bytes, purpose: str = "assistants", **extra):
    return client.files.create(file=(name, content), purpose=purpose, **extra)


def test_a_file_is_retrieved_listed_and_downloaded_as_it_was_uploaded(client):
    content = bytes(range(256)) * 3 + b"\x00tail"
    created = upload(client, "blob.bin", content)
    assert created.id.startswith("file-")
    assert created.object == "file"
    assert created.bytes == len(content)
    assert created.filename == "blob.bin"
    assert created.purpose == "assistants"
    assert created.status == "processed"

    retrieved = client.files.retrieve(created.id)
    assert retrieved.model_dump() == created.model_dump()
    assert [f.id for f in client.files.list()] == [created.id]
    assert client.files.content(created.id).content == content


def test_lists_filter_by_purpose_and_page_newest_first(client):
    ids = [upload(client, f"n{i}.txt", f"note {i}".encode()).id for i in range(5)]
    batch = upload(client, "lines.jsonl", b'{"custom_id": "a", "method": "POST", "url": "/v1/embeddings", "body": {}}\n', "batch")

    everything = [f.id for f in client.files.list()]
    assert everything == [batch.id, *reversed(ids)]
    assert [f.id for f in client.files.list(purpose="batch")] == [batch.id]
    assert [f.id for f in client.files.list(order="asc")] == [*ids, batch.id]

    first = client.files.list(limit=2)
    assert [f.id for f in first.data] == everything[:2]
    assert first.has_more is True
    # The SDK follows the cursor through every page.
    assert [f.id for f in client.files.list(limit=2)] == everything


def test_expires_after_sets_expires_at(client):
    created = upload(client, "short.txt", b"x", expires_after={"anchor": "created_at", "seconds": 3600})
    assert created.expires_at == created.created_at + 3600
    assert client.files.retrieve(created.id).expires_at == created.expires_at


def test_a_deleted_file_is_gone_in_both_id_modes(client, strict_client):
    for each in (client, strict_client):
        created = upload(each, "gone.txt", b"bye")
        deleted = each.files.delete(created.id)
        assert (deleted.id, deleted.deleted) == (created.id, True)
        with pytest.raises(openai.NotFoundError) as raised:
            each.files.retrieve(created.id)
        assert raised.value.body["message"] == f"No such File object: {created.id}"
        with pytest.raises(openai.NotFoundError):
            each.files.content(created.id)
        with pytest.raises(openai.NotFoundError):
            each.files.delete(created.id)
        assert [f.id for f in each.files.list()] == []


def test_unknown_ids_are_generated_by_default_and_404_with_strict_ids(client, strict_client):
    # Lenient (the default): an id never created gets a generated object that reflects it.
    assert client.files.retrieve("file-neverCreated123").id == "file-neverCreated123"
    with pytest.raises(openai.NotFoundError) as raised:
        strict_client.files.retrieve("file-neverCreated123")
    assert raised.value.status_code == 404
    assert raised.value.body["message"] == "No such File object: file-neverCreated123"
    # Lists hold exactly what was stored, in both modes.
    assert client.files.list().data == []
    assert strict_client.files.list().data == []


def test_each_key_sees_only_its_own_files(client, other_client, strict_client):
    mine = upload(client, "mine.txt", b"private")
    assert [f.id for f in other_client.files.list()] == []
    # Another key does not get the stored bytes (lenient mode invents content).
    assert other_client.files.content(mine.id).content != b"private"
    # The strict server is another process: nothing of the lenient one is there.
    with pytest.raises(openai.NotFoundError):
        strict_client.files.retrieve(mine.id)


def test_batch_and_fine_tune_files_are_checked_like_the_real_api(client):
    with pytest.raises(openai.BadRequestError) as raised:
        upload(client, "lines.txt", b"{}\n", "batch")
    assert raised.value.body["message"] == "Invalid file format for Batch API. Must be .jsonl"
    with pytest.raises(openai.BadRequestError) as raised:
        upload(client, "lines.jsonl", b"{not json}\n", "batch")
    assert "Line 1 is not valid JSON" in raised.value.body["message"]
    with pytest.raises(openai.BadRequestError) as raised:
        upload(client, "train.jsonl", b'{"prompt": "a", "completion": "b"}\n', "fine-tune")
    assert "Line 1 is not a training example" in raised.value.body["message"]
    chat = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert upload(client, "train.jsonl", (json.dumps(chat) + "\n").encode(), "fine-tune").purpose == "fine-tune"
    assert [f.purpose for f in client.files.list()] == ["fine-tune"]


def test_an_upload_assembles_its_parts_in_the_order_given(client):
    parts = [b"alpha-" * 100, b"beta-" * 50, b"gamma"]
    content = b"".join(parts)
    created = client.uploads.create(bytes=len(content), filename="big.txt", mime_type="text/plain", purpose="assistants")
    assert created.status == "pending" and created.file is None
    assert created.expires_at > created.created_at
    added = [client.uploads.parts.create(created.id, data=part) for part in parts]
    assert all(p.upload_id == created.id and p.id.startswith("part_") for p in added)
    # Parts can arrive in any order; the completion names the order.
    done = client.uploads.complete(created.id, part_ids=[p.id for p in added], md5=hashlib.md5(content).hexdigest())
    assert done.status == "completed"
    assert done.file.bytes == len(content) and done.file.filename == "big.txt"
    assert client.files.content(done.file.id).content == content
    assert client.files.retrieve(done.file.id).model_dump() == done.file.model_dump()
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(created.id, data=b"late")


def test_an_upload_refuses_a_wrong_size_or_checksum_and_can_be_cancelled(client):
    created = client.uploads.create(bytes=10, filename="x.txt", mime_type="text/plain", purpose="assistants")
    part = client.uploads.parts.create(created.id, data=b"12345")
    with pytest.raises(openai.BadRequestError) as raised:
        client.uploads.complete(created.id, part_ids=[part.id])
    assert "add up to 5 bytes" in raised.value.body["message"]
    second = client.uploads.parts.create(created.id, data=b"67890")
    with pytest.raises(openai.BadRequestError) as raised:
        client.uploads.complete(created.id, part_ids=[part.id, second.id], md5="0" * 32)
    assert raised.value.body["param"] == "md5"
    cancelled = client.uploads.cancel(created.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.uploads.complete(created.id, part_ids=[part.id, second.id])
    assert client.files.list().data == []


def test_fifty_parallel_uploads_and_deletes_lose_nothing(client):
    def upload_one(i):
        return upload(client, f"p{i}.txt", f"parallel {i}".encode()).id

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(upload_one, range(50)))
    assert len(set(ids)) == 50
    assert sorted(f.id for f in client.files.list()) == sorted(ids)
    doomed, kept = ids[:25], ids[25:]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(client.files.delete, doomed))
    assert all(r.deleted for r in results)
    assert sorted(f.id for f in client.files.list()) == sorted(kept)
    for i, file_id in enumerate(ids[25:], start=25):
        assert client.files.content(file_id).content == f"parallel {i}".encode()


def test_reset_export_and_import(client, other_client, key, control):
    mine = upload(client, "keep.txt", b"snapshot me")
    theirs = upload(other_client, "theirs.txt", b"other namespace")

    exported = control.get("/__mock/state", params={"namespace": key}).json()
    assert list(exported["namespaces"]) == [key]
    [stored] = exported["namespaces"][key]["objects"]
    assert stored["id"] == mine.id

    # Resetting one namespace leaves the others alone.
    assert control.post("/__mock/reset", params={"namespace": key}).json()["reset"] is True
    assert client.files.list().data == []
    assert [f.id for f in other_client.files.list()] == [theirs.id]

    # Importing puts back exactly what was exported (and replaces everything else).
    imported = control.put("/__mock/state", json=exported)
    assert imported.status_code == 200, imported.text
    assert client.files.retrieve(mine.id).model_dump() == mine.model_dump()
    assert client.files.content(mine.id).content == b"snapshot me"
    assert other_client.files.list().data == []

    bad = control.put("/__mock/state", content=b"{not json")
    assert bad.status_code == 400
    assert bad.json()["error"]["type"] == "invalid_request_error"
    assert client.files.retrieve(mine.id).id == mine.id, "a bad import changes nothing"

