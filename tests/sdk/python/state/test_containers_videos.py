"""Containers (and their files) and video renders keep their objects, bytes and status."""

import openai
import pytest

from conftest import wait_until


def test_a_container_holds_the_files_it_was_given_and_those_uploaded_into_it(client):
    source = client.files.create(file=("data.csv", b"a,b\n1,2\n"), purpose="user_data")
    container = client.containers.create(name="analysis", file_ids=[source.id])
    assert container.id.startswith("cntr_")
    assert (container.name, container.status) == ("analysis", "running")
    assert container.expires_after.anchor == "last_active_at"
    assert client.containers.retrieve(container.id).model_dump() == container.model_dump()
    assert [c.id for c in client.containers.list()] == [container.id]

    [copied] = client.containers.files.list(container.id).data
    assert (copied.path, copied.bytes, copied.source) == ("/mnt/data/data.csv", 8, "user")
    assert client.containers.files.content.retrieve(copied.id, container_id=container.id).read() == b"a,b\n1,2\n"

    uploaded = client.containers.files.create(container.id, file=("notes.txt", b"hello container"))
    assert uploaded.id.startswith("cfile_") and uploaded.container_id == container.id
    assert uploaded.path == "/mnt/data/notes.txt"
    listed = [f.id for f in client.containers.files.list(container.id)]
    assert listed == [uploaded.id, copied.id]
    retrieved = client.containers.files.retrieve(uploaded.id, container_id=container.id)
    assert retrieved.model_dump() == uploaded.model_dump()
    assert client.containers.files.content.retrieve(uploaded.id, container_id=container.id).read() == b"hello container"

    client.containers.files.delete(uploaded.id, container_id=container.id)
    with pytest.raises(openai.NotFoundError):
        client.containers.files.retrieve(uploaded.id, container_id=container.id)
    assert [f.id for f in client.containers.files.list(container.id)] == [copied.id]

    client.containers.delete(container.id)
    with pytest.raises(openai.NotFoundError) as raised:
        client.containers.retrieve(container.id)
    assert raised.value.body["message"] == f"No such Container object: {container.id}"
    with pytest.raises(openai.NotFoundError):
        client.containers.files.retrieve(copied.id, container_id=container.id)
    assert client.containers.list().data == []


def test_containers_are_per_key_and_strict_ids_404(client, other_client, strict_client):
    container = client.containers.create(name="mine")
    assert other_client.containers.list().data == []
    with pytest.raises(openai.NotFoundError) as raised:
        strict_client.containers.retrieve("cntr_neverCreated")
    assert raised.value.body["message"] == "No such Container object: cntr_neverCreated"
    with pytest.raises(openai.NotFoundError):
        strict_client.containers.create(name="x", file_ids=["file-neverCreated"])
    assert client.containers.retrieve(container.id).name == "mine"


def test_a_video_renders_in_real_time_and_its_content_downloads_once_completed(client):
    video = client.videos.create(prompt="A lighthouse at dusk", seconds="8", size="1280x720")
    assert video.id.startswith("video_")
    assert (video.status, video.progress, video.completed_at) == ("queued", 0, None)
    assert (video.seconds, video.size, video.model) == ("8", "1280x720", "sora-2")
    with pytest.raises(openai.BadRequestError):
        client.videos.download_content(video.id)

    seen = set()

    def finished():
        current = client.videos.retrieve(video.id)
        seen.add(current.status)
        # Status, progress and timestamps always agree.
        if current.status == "completed":
            assert current.progress == 100 and current.completed_at >= current.created_at
            assert current.expires_at > current.completed_at
        else:
            assert current.completed_at is None and current.progress < 100
        return current if current.status == "completed" else None

    done = wait_until(finished)
    assert "completed" in seen
    content = client.videos.download_content(video.id).read()
    assert content[4:8] == b"ftyp", "an mp4 file"
    assert client.videos.download_content(video.id).read() == content, "the same bytes each time"
    thumbnail = client.videos.download_content(video.id, variant="thumbnail").read()
    assert thumbnail[:4] == b"RIFF" and thumbnail[8:12] == b"WEBP"

    remix = client.videos.remix(video.id, prompt="The same lighthouse at dawn")
    assert remix.remixed_from_video_id == video.id
    assert (remix.status, remix.seconds, remix.size) == ("queued", "8", "1280x720")
    assert [v.id for v in client.videos.list()] == [remix.id, done.id]

    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.deleted) == (video.id, True)
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id)


def test_answers_tell_the_sdk_when_to_poll_again(client):
    video = client.videos.with_raw_response.create(prompt="A short clip")
    poll_after = int(video.headers["openai-poll-after-ms"])
    assert 0 < poll_after <= 300
