"""Speech, transcripts and images through the official SDK, checked with the standard
library's own decoders (`wave`, `zlib`)."""

import base64
import io
import struct
import wave
import zlib

import httpx

SENTENCE = "The quick brown fox jumped over the lazy dog. "


def png_size_and_pixels(data: bytes):
    """Parses a PNG with zlib: (width, height, decompressed scanline bytes, channels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, header = 8, b"", None
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour, *_ = header
    channels = {2: 3, 6: 4}[colour]
    return width, height, zlib.decompress(idat), channels


def test_speech_streams_a_wav_whose_length_follows_the_text(client, tmp_path):
    frames = []
    for repeats in (2, 4):
        with client.audio.speech.with_streaming_response.create(
            model="gpt-4o-mini-tts", voice="alloy", input=SENTENCE * repeats, response_format="wav"
        ) as response:
            assert response.headers["content-type"] == "audio/wav"
            path = tmp_path / f"speech{repeats}.wav"
            response.stream_to_file(path)
        with wave.open(str(path)) as audio:
            assert (audio.getnchannels(), audio.getframerate(), audio.getsampwidth()) == (1, 24000, 2)
            frames.append(audio.getnframes())
    assert abs(frames[1] / frames[0] - 2.0) < 0.05, frames


def test_speech_formats_have_their_content_types(client):
    for response_format, content_type, magic in [
        ("mp3", "audio/mpeg", b"\xff\xf3"),
        ("flac", "audio/flac", b"fLaC"),
        ("opus", "audio/ogg", b"OggS"),
        ("aac", "audio/aac", b"\xff\xf1"),
    ]:
        speech = client.audio.speech.create(model="tts-1", voice="nova", input="Hello there.", response_format=response_format)
        assert speech.response.headers["content-type"] == content_type
        content = speech.content
        if content.startswith(b"ID3"):  # MP3 and AAC carry the text in an ID3v2 tag first
            size = 0
            for byte in content[6:10]:
                size = (size << 7) | (byte & 0x7F)
            content = content[10 + size :]
        assert content.startswith(magic), response_format


def test_transcriptions_in_every_format(client):
    wav = client.audio.speech.create(model="tts-1", voice="alloy", input=SENTENCE * 5, response_format="wav").content
    with wave.open(io.BytesIO(wav)) as audio:
        duration = audio.getnframes() / audio.getframerate()
    verbose = client.audio.transcriptions.create(
        file=("speech.wav", wav), model="whisper-1", response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
    assert abs(verbose.duration - duration) < 0.01
    assert verbose.text == (SENTENCE * 5).strip(), "the mock's own speech transcribes to its input"
    assert verbose.segments[0].start == 0 and abs(verbose.segments[-1].end - duration) < 0.02
    assert [w.word for w in verbose.words][:2] == verbose.text.split()[:2]
    text = client.audio.transcriptions.create(file=("speech.wav", wav), model="whisper-1", response_format="text")
    assert isinstance(text, str) and text.strip() == verbose.text
    srt = client.audio.transcriptions.create(file=("speech.wav", wav), model="whisper-1", response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> ")
    vtt = client.audio.translations.create(file=("speech.wav", wav), model="whisper-1", response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    plain = client.audio.transcriptions.create(file=("speech.wav", wav), model="gpt-4o-transcribe")
    assert plain.text == verbose.text and plain.usage.type == "tokens"


def test_transcription_stream_deltas_join_into_the_text(client):
    wav = client.audio.speech.create(model="tts-1", voice="alloy", input=SENTENCE * 3, response_format="wav").content
    stream = client.audio.transcriptions.create(file=("speech.wav", wav), model="gpt-4o-mini-transcribe", stream=True)
    events = list(stream)
    deltas = [e.delta for e in events if e.type == "transcript.text.delta"]
    assert events[-1].type == "transcript.text.done"
    assert "".join(deltas) == events[-1].text
    assert len(deltas) > 1


def test_images_generate_pngs_at_the_requested_size(client):
    result = client.images.generate(model="gpt-image-1", prompt="a paper boat", size="1024x1536", n=2)
    assert result.size == "1024x1536" and result.output_format == "png"
    for image in result.data:
        width, height, pixels, channels = png_size_and_pixels(base64.b64decode(image.b64_json))
        assert (width, height) == (1024, 1536)
        assert len(pixels) == (width * channels + 1) * height


def test_image_urls_download_from_the_mock(client):
    result = client.images.generate(model="dall-e-2", prompt="a kite", size="256x256", response_format="url")
    downloaded = httpx.get(result.data[0].url)
    assert downloaded.headers["content-type"] == "image/png"
    width, height, _, _ = png_size_and_pixels(downloaded.content)
    assert (width, height) == (256, 256)


def test_image_edit_stream_sends_partial_images(client):
    stream = client.images.edit(
        image=("in.png", b"\x89PNG placeholder"), prompt="add stars", model="gpt-image-1", stream=True, partial_images=2
    )
    events = list(stream)
    assert [e.type for e in events] == ["image_edit.partial_image"] * 2 + ["image_edit.completed"]
    for event in events:
        width, height, _, _ = png_size_and_pixels(base64.b64decode(event.b64_json))
        assert (width, height) == (1024, 1024)
