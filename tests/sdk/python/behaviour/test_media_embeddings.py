"""Embeddings, moderations and models through the official SDK.

`client.embeddings.create` asks for base64 by default and decodes it; the vectors must
come back as unit-length float lists whose similarities rank related texts first.
"""

import math

import openai
import pytest


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_embeddings_create_decodes_base64_into_unit_vectors(client):
    raw = client.embeddings.with_raw_response.create(model="text-embedding-3-small", input="hello world")
    assert b'"embedding":"' in raw.http_response.content, "the SDK asked for base64 and got a string"
    response = raw.parse()
    vector = response.data[0].embedding
    assert len(vector) == 1536
    assert abs(math.sqrt(sum(x * x for x in vector)) - 1.0) < 1e-4
    assert response.usage.prompt_tokens == 2
    assert response.model == "text-embedding-3-small"


def test_embeddings_rank_related_texts_first(client):
    documents = [
        "Invoices are emailed on the first business day of each month.",
        "Our hiking trail guide covers mountain routes and safety tips.",
        "Refunds for cancelled orders arrive within five business days.",
    ]
    indexed = client.embeddings.create(model="text-embedding-3-large", input=documents, dimensions=256)
    assert [len(d.embedding) for d in indexed.data] == [256, 256, 256]
    query = client.embeddings.create(model="text-embedding-3-large", input="When will my refund arrive?", dimensions=256)
    scores = [cosine(query.data[0].embedding, d.embedding) for d in indexed.data]
    assert max(range(3), key=scores.__getitem__) == 2, scores


def test_float_and_base64_encodings_agree(client):
    as_float = client.embeddings.create(model="text-embedding-3-small", input="agree", encoding_format="float")
    as_base64 = client.embeddings.create(model="text-embedding-3-small", input="agree")
    assert as_float.data[0].embedding == pytest.approx(as_base64.data[0].embedding, abs=1e-7)


def test_ada_002_rejects_dimensions(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.embeddings.create(model="text-embedding-ada-002", input="hi", dimensions=64)
    assert raised.value.body["message"] == "This model does not support specifying dimensions."


def test_moderations_flag_by_keyword_and_pass_benign_text(client):
    result = client.moderations.create(
        model="omni-moderation-latest",
        input=["I will stab you.", "Could you recommend a good book about gardening?"],
    )
    violent, benign = result.results
    assert violent.flagged and violent.categories.violence
    assert violent.category_scores.violence > 0.5
    assert not benign.flagged
    assert max(benign.category_scores.model_dump().values()) < 0.01


def test_moderations_judge_image_inputs(client):
    result = client.moderations.create(
        model="omni-moderation-latest",
        input=[{"type": "image_url", "image_url": {"url": "https://example.com/nude-photo.jpg"}}],
    )
    only = result.results[0]
    assert only.categories.sexual
    assert only.category_applied_input_types.sexual == ["image"]


def test_models_list_retrieve_and_delete(client):
    ids = [model.id for model in client.models.list()]
    for expected in ("gpt-4o", "text-embedding-3-small", "whisper-1", "dall-e-3", "tts-1"):
        assert expected in ids
    assert client.models.retrieve("whisper-1").id == "whisper-1"
    with pytest.raises(openai.NotFoundError) as raised:
        client.models.retrieve("gpt-imaginary")
    assert raised.value.code == "model_not_found"
    deleted = client.models.delete("ft:gpt-4o-mini:acme::abc123")
    assert deleted.deleted and deleted.id == "ft:gpt-4o-mini:acme::abc123"
