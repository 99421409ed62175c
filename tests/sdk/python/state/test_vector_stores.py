"""Vector stores through the official SDK: ingestion on a timeline, search by meaning,
attribute filters, file batches, deletes and isolation."""

import openai
import pytest

from conftest import wait_until

VOLCANOES = (
    "Volcanoes erupt when magma rises through the crust. Lava flows, ash clouds and "
    "pyroclastic flows follow an eruption. Basalt lava is runny; rhyolite magma is thick "
    "and explosive. Volcanologists watch seismic tremors and gas emissions to forecast "
    "eruptions of volcanoes such as Etna and Kilauea."
)
BAKING = (
    "Sourdough bread needs a starter of flour and water, fed daily. Knead the dough, let it "
    "rise overnight, shape the loaf, score the crust and bake it in a hot oven. Bakers weigh "
    "flour, water and salt; the oven spring depends on the starter's strength."
)
TAXES = (
    "Income tax returns are filed each year. Deductions, credits and allowances reduce the "
    "taxable income; an accountant keeps receipts and invoices for the audit. Capital gains "
    "and dividends are taxed at their own rates."
)
FAST = 20  # poll_interval_ms: the server's lifecycle is 300 ms


def upload(client, name: str, text: str):
    return client.files.create(file=(name, text.encode()), purpose="assistants")


def three_files(client):
    return [
        upload(client, "volcanoes.txt", VOLCANOES),
        upload(client, "baking.txt", BAKING),
        upload(client, "taxes.txt", TAXES),
    ]


def completed_store(client, file_ids, **kwargs):
    store = client.vector_stores.create(name="docs", file_ids=file_ids, **kwargs)
    return wait_until(lambda: (s := client.vector_stores.retrieve(store.id)).status == "completed" and s)


def test_ingestion_moves_from_in_progress_to_completed_with_true_counts(client):
    files = three_files(client)
    store = client.vector_stores.create(name="docs", file_ids=[f.id for f in files])
    assert store.status == "in_progress"
    assert store.file_counts.total == 3
    assert store.file_counts.in_progress == 3
    assert store.usage_bytes == 0
    assert store.last_active_at == store.created_at

    seen = []

    def done():
        s = client.vector_stores.retrieve(store.id)
        counts = s.file_counts
        assert counts.in_progress + counts.completed + counts.failed + counts.cancelled == counts.total == 3
        assert (s.status == "in_progress") == (counts.in_progress > 0)
        seen.append(s)
        return s.status == "completed" and s

    final = wait_until(done)
    assert final.file_counts.completed == 3
    assert final.usage_bytes == sum(f.bytes for f in files)
    # usage_bytes only ever grows, as files complete.
    usage = [s.usage_bytes for s in seen]
    assert usage == sorted(usage) and usage[-1] == final.usage_bytes
    listed = client.vector_stores.files.list(store.id, filter="completed")
    assert sorted(f.id for f in listed) == sorted(f.id for f in files)
    assert list(client.vector_stores.files.list(store.id, filter="in_progress")) == []
    assert [s.id for s in client.vector_stores.list()] == [store.id]


def test_search_ranks_the_file_that_answers_first(client):
    files = three_files(client)
    store = completed_store(client, [f.id for f in files])
    for query, expected in [
        ("how do volcanoes erupt lava and magma", "volcanoes.txt"),
        ("baking sourdough bread in the oven", "baking.txt"),
        ("tax deductions on my income tax return", "taxes.txt"),
    ]:
        results = client.vector_stores.search(store.id, query=query)
        assert results.data, query
        assert results.data[0].filename == expected, (query, [(r.filename, r.score) for r in results.data])
        scores = [r.score for r in results.data]
        assert scores == sorted(scores, reverse=True)
        assert all(0 <= s <= 1 for s in scores)
        top = results.data[0]
        assert top.content[0].type == "text"
        assert top.content[0].text in (VOLCANOES + BAKING + TAXES)
        assert results.search_query == [query]


def test_search_options_and_rewrite_query(client):
    files = three_files(client)
    store = completed_store(client, [f.id for f in files])
    one = client.vector_stores.search(store.id, query="volcano eruption", max_num_results=1)
    assert len(one.data) == 1
    everything = client.vector_stores.search(store.id, query="volcano eruption")
    assert len(everything.data) == 3
    cut = everything.data[0].score
    high = client.vector_stores.search(
        store.id, query="volcano eruption", ranking_options={"score_threshold": cut}
    )
    assert [r.file_id for r in high.data] == [everything.data[0].file_id]
    rewritten = client.vector_stores.search(store.id, query=["bread", "oven"], rewrite_query=True)
    assert rewritten.search_query == ["bread", "oven"]
    assert rewritten.data[0].filename == "baking.txt"


def test_static_chunking_and_file_content(client):
    text = " ".join(f"Sentence {i} talks about glaciers and ice sheets." for i in range(200))
    f = upload(client, "glaciers.txt", text)
    store = client.vector_stores.create(name="chunks")
    vs_file = client.vector_stores.files.create_and_poll(
        file_id=f.id,
        vector_store_id=store.id,
        chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}},
        poll_interval_ms=FAST,
    )
    assert vs_file.status == "completed"
    assert vs_file.chunking_strategy.static.max_chunk_size_tokens == 100
    assert vs_file.chunking_strategy.static.chunk_overlap_tokens == 20
    assert vs_file.usage_bytes == len(text)
    chunks = [c.text for c in client.vector_stores.files.content(f.id, vector_store_id=store.id)]
    assert len(chunks) > 10
    assert text.startswith(chunks[0]) and text.endswith(chunks[-1])
    assert all(c in text for c in chunks)
    # Auto chunking is 800 tokens with 400 of overlap.
    auto = client.vector_stores.files.create_and_poll(file_id=f.id, vector_store_id=completed_store(client, []).id, poll_interval_ms=FAST)
    assert auto.chunking_strategy.static.max_chunk_size_tokens == 800
    assert auto.chunking_strategy.static.chunk_overlap_tokens == 400


def test_an_overlap_over_half_the_chunk_is_refused(client):
    f = upload(client, "a.txt", "hello")
    store = client.vector_stores.create(name="x")
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.files.create(
            vector_store_id=store.id,
            file_id=f.id,
            chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 150}},
        )


def test_attributes_filter_search_and_updates_persist(client):
    volcano, baking, taxes = three_files(client)
    store = client.vector_stores.create(name="filters")
    for f, attributes in [
        (volcano, {"topic": "science", "year": 2021, "public": True}),
        (baking, {"topic": "food", "year": 2019, "public": True}),
        (taxes, {"topic": "money", "year": 2024, "public": False}),
    ]:
        client.vector_stores.files.create_and_poll(
            file_id=f.id, vector_store_id=store.id, attributes=attributes, poll_interval_ms=FAST
        )

    def names(filters):
        return {r.filename for r in client.vector_stores.search(store.id, query="anything at all", filters=filters).data}

    assert names({"type": "eq", "key": "topic", "value": "food"}) == {"baking.txt"}
    assert names({"type": "ne", "key": "topic", "value": "food"}) == {"volcanoes.txt", "taxes.txt"}
    assert names({"type": "gt", "key": "year", "value": 2020}) == {"volcanoes.txt", "taxes.txt"}
    assert names({"type": "lte", "key": "year", "value": 2021}) == {"volcanoes.txt", "baking.txt"}
    assert names({"type": "in", "key": "topic", "value": ["food", "money"]}) == {"baking.txt", "taxes.txt"}
    assert names({"type": "nin", "key": "topic", "value": ["food", "money"]}) == {"volcanoes.txt"}
    assert names(
        {
            "type": "and",
            "filters": [
                {"type": "eq", "key": "public", "value": True},
                {"type": "or", "filters": [{"type": "lt", "key": "year", "value": 2020}, {"type": "eq", "key": "topic", "value": "money"}]},
            ],
        }
    ) == {"baking.txt"}

    updated = client.vector_stores.files.update(taxes.id, vector_store_id=store.id, attributes={"topic": "food"})
    assert updated.attributes == {"topic": "food"}
    assert client.vector_stores.files.retrieve(taxes.id, vector_store_id=store.id).attributes == {"topic": "food"}
    assert names({"type": "eq", "key": "topic", "value": "food"}) == {"baking.txt", "taxes.txt"}
    hit = client.vector_stores.search(store.id, query="income tax", filters={"type": "eq", "key": "topic", "value": "food"}).data[0]
    assert hit.attributes == {"topic": "food"}


def test_file_batches_complete_and_list_their_files(client):
    files = three_files(client)
    store = client.vector_stores.create(name="batches")
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, file_ids=[f.id for f in files], poll_interval_ms=FAST
    )
    assert batch.status == "completed"
    assert batch.file_counts.completed == 3 and batch.file_counts.total == 3
    listed = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
    assert sorted(f.id for f in listed) == sorted(f.id for f in files)
    assert client.vector_stores.retrieve(store.id).file_counts.completed == 3
    again = client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id)
    assert again.file_counts == batch.file_counts
    results = client.vector_stores.search(store.id, query="sourdough starter")
    assert results.data[0].filename == "baking.txt"


def test_a_cancelled_batch_stops_its_files_in_progress(client):
    files = [upload(client, f"doc{i}.txt", f"Document number {i} about rivers.") for i in range(5)]
    store = client.vector_stores.create(name="cancel")
    batch = client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[f.id for f in files])
    cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert cancelled.status == "cancelled"
    counts = cancelled.file_counts
    assert counts.in_progress == 0
    assert counts.completed + counts.cancelled == counts.total == 5
    statuses = [f.status for f in client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)]
    assert statuses.count("cancelled") == counts.cancelled
    # Cancelled files never finish, and never reach search.
    hits = client.vector_stores.search(store.id, query="rivers", max_num_results=50).data
    assert len(hits) == counts.completed
    final = client.vector_stores.retrieve(store.id)
    assert final.file_counts.cancelled == counts.cancelled
    assert final.status == "completed"


def test_deleting_a_file_removes_its_chunks_and_usage(client):
    volcano, baking, _ = three_files(client)
    store = completed_store(client, [volcano.id, baking.id])
    assert store.usage_bytes == volcano.bytes + baking.bytes
    deleted = client.vector_stores.files.delete(volcano.id, vector_store_id=store.id)
    assert deleted.deleted and deleted.id == volcano.id
    after = client.vector_stores.retrieve(store.id)
    assert after.file_counts.total == 1 and after.usage_bytes == baking.bytes
    hits = client.vector_stores.search(store.id, query="volcano lava magma eruption").data
    assert {h.filename for h in hits} == {"baking.txt"}
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(volcano.id, vector_store_id=store.id)


def test_deleting_the_underlying_file_keeps_the_vector_store_working(client):
    volcano, baking, _ = three_files(client)
    store = completed_store(client, [volcano.id, baking.id])
    client.files.delete(volcano.id)
    hits = client.vector_stores.search(store.id, query="volcano lava magma eruption").data
    assert hits[0].filename == "volcanoes.txt"
    assert client.vector_stores.retrieve(store.id).file_counts.completed == 2
    # A deleted File cannot be added again.
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.create(vector_store_id=store.id, file_id=volcano.id)


def test_modify_and_expiry_are_coherent(client):
    store = client.vector_stores.create(name="old", expires_after={"anchor": "last_active_at", "days": 2})
    assert store.expires_after.days == 2
    assert store.expires_at == store.last_active_at + 2 * 86400
    changed = client.vector_stores.update(store.id, name="new", metadata={"team": "search"})
    assert changed.name == "new" and changed.metadata == {"team": "search"}
    assert changed.expires_at == changed.last_active_at + 2 * 86400
    again = client.vector_stores.retrieve(store.id)
    assert again.name == "new" and again.metadata == {"team": "search"}


def test_deleted_vector_stores_are_404_and_lists_are_per_key(client, other_client):
    store = client.vector_stores.create(name="mine")
    assert list(other_client.vector_stores.list()) == []
    deleted = client.vector_stores.delete(store.id)
    assert deleted.deleted and deleted.id == store.id
    with pytest.raises(openai.NotFoundError) as error:
        client.vector_stores.retrieve(store.id)
    assert store.id in str(error.value)
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.search(store.id, query="anything")
    assert list(client.vector_stores.list()) == []


def test_strict_ids_give_404_for_unknown_stores_and_files(strict_client):
    with pytest.raises(openai.NotFoundError) as error:
        strict_client.vector_stores.retrieve("vs_doesnotexist")
    assert "vs_doesnotexist" in str(error.value)
    with pytest.raises(openai.NotFoundError) as error:
        strict_client.vector_stores.create(name="x", file_ids=["file-doesnotexist"])
    assert "No such File object: file-doesnotexist" in str(error.value)
    store = strict_client.vector_stores.create(name="x")
    with pytest.raises(openai.NotFoundError):
        strict_client.vector_stores.files.retrieve("file-nope", vector_store_id=store.id)
    with pytest.raises(openai.NotFoundError):
        strict_client.vector_stores.file_batches.retrieve("vsfb_nope", vector_store_id=store.id)


def test_lenient_unknown_file_ids_fail_their_ingestion(client):
    store = client.vector_stores.create(name="lenient", file_ids=["file-neveruploaded"])
    final = wait_until(lambda: (s := client.vector_stores.retrieve(store.id)).status == "completed" and s)
    assert final.file_counts.failed == 1 and final.file_counts.total == 1
    vs_file = client.vector_stores.files.retrieve("file-neveruploaded", vector_store_id=store.id)
    assert vs_file.status == "failed"
    assert vs_file.last_error.code == "invalid_file"


def test_other_keys_cannot_see_a_store(client, other_client):
    f = upload(client, "volcanoes.txt", VOLCANOES)
    store = completed_store(client, [f.id])
    # The other key's lenient answer is generated, never the stored store.
    theirs = other_client.vector_stores.retrieve(store.id)
    assert theirs.name != "docs"
    assert list(other_client.vector_stores.list()) == []
    assert [s.id for s in client.vector_stores.list()] == [store.id]
