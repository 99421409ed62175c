//! Images and audio over real HTTP, checked with decoders from other projects than the
//! encoders that wrote them (zune-png, zune-jpeg and libwebp for images; symphonia for
//! audio): images decode at the requested size and format and their URLs download from the
//! mock; speech decodes in every format with a duration that follows the text;
//! transcripts come in every response format with their content types and timestamps;
//! the streams (partial images, speech SSE, transcript deltas) carry the same content.

use base64::Engine;
use openai_mock::catalog::Catalog;
use openai_mock::generate::media;
use openai_mock::{Config, MockServer};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

struct Mock {
    base: String,
    client: reqwest::Client,
    _server: MockServer,
}

async fn start() -> Mock {
    let running = MockServer::builder()
        .config(Config {
            port: 0,
            ..Config::default()
        })
        .start()
        .await;
    Mock {
        base: format!("http://{}/v1", running.address()),
        client: reqwest::Client::new(),
        _server: running,
    }
}

impl Mock {
    async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth("sk-test")
            .json(body)
            .send()
            .await
            .expect("answered")
    }

    async fn post_json(&self, path: &str, body: &Value) -> Value {
        let response = self.post(path, body).await;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.expect("json");
        assert_eq!(status, 200, "{answer}");
        answer
    }

    async fn post_form(&self, path: &str, form: Form) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth("sk-test")
            .multipart(form)
            .send()
            .await
            .expect("answered")
    }

    async fn speech(&self, body: Value) -> (String, Vec<u8>) {
        let response = self.post("/audio/speech", &body).await;
        assert_eq!(response.status(), 200);
        let content_type = header(&response, "content-type");
        (
            content_type,
            response.bytes().await.expect("bytes").to_vec(),
        )
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn assert_valid(operation: &str, stream: bool, body: &Value) {
    let catalog = Catalog::embedded();
    let op = catalog.operation(operation).expect("operation");
    let index = if stream {
        op.stream.expect("stream schema")
    } else {
        op.response.schema.expect("schema")
    };
    let validator = catalog.schemas.answer_validator(index).expect("validator");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{operation}: {errors:?}\n{body}");
}

/// The `data:` payloads of a server-sent event stream.
fn sse_events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|block| block.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).expect("event json"))
        .collect()
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ImageFormat {
    Png,
    Jpeg,
    WebP,
}

/// A decoded image: 8-bit samples, `channels` of them per pixel, row by row.
#[derive(PartialEq)]
struct Decoded {
    width: u32,
    height: u32,
    channels: usize,
    pixels: Vec<u8>,
}

impl Decoded {
    fn has_alpha(&self) -> bool {
        self.channels == 4
    }

    fn pixel(&self, x: u32, y: u32) -> &[u8] {
        let at = (y as usize * self.width as usize + x as usize) * self.channels;
        &self.pixels[at..at + self.channels]
    }
}

/// Decodes with zune-png, zune-jpeg or libwebp: other projects than the `png`,
/// `jpeg-encoder` and `image-webp` crates that the mock encodes with.
fn decode_image(bytes: &[u8], format: ImageFormat) -> Decoded {
    use zune_core::bytestream::ZCursor;
    let decoded = match format {
        ImageFormat::Png => {
            let mut decoder = zune_png::PngDecoder::new(ZCursor::new(bytes));
            let pixels = decoder.decode_raw().expect("the PNG decodes");
            let (width, height) = decoder.dimensions().expect("dimensions");
            let channels = decoder.colorspace().expect("colour space").num_components();
            Decoded {
                width: width as u32,
                height: height as u32,
                channels,
                pixels,
            }
        }
        ImageFormat::Jpeg => {
            let mut decoder = zune_jpeg::JpegDecoder::new(ZCursor::new(bytes));
            let pixels = decoder.decode().expect("the JPEG decodes");
            let info = decoder.info().expect("info");
            Decoded {
                width: u32::from(info.width),
                height: u32::from(info.height),
                channels: 3,
                pixels,
            }
        }
        ImageFormat::WebP => {
            let image = webp::Decoder::new(bytes)
                .decode()
                .expect("the WebP decodes");
            Decoded {
                width: image.width(),
                height: image.height(),
                channels: if image.is_alpha() { 4 } else { 3 },
                pixels: image.to_vec(),
            }
        }
    };
    assert_eq!(
        decoded.pixels.len(),
        decoded.width as usize * decoded.height as usize * decoded.channels,
        "{format:?}"
    );
    decoded
}

/// What symphonia reads from an audio file.
struct Heard {
    /// The sample rate of the track.
    rate: u32,
    /// The decoded duration; for Opus, which symphonia demuxes but cannot decode, the
    /// duration its Ogg reader finds (the last granule position less the pre-skip).
    seconds: f64,
    /// The decoded samples (empty for Opus).
    samples: Vec<i16>,
    /// The transcript found in the metadata symphonia read (ID3, Vorbis comments, RIFF
    /// INFO), through the mock's own [`media::read_transcript`].
    transcript: Option<String>,
}

/// Reads audio with symphonia, a different project from every encoder the mock uses.
fn decode_audio(bytes: Vec<u8>, extension: &str) -> Heard {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_OPUS};
    use symphonia::core::errors::Error;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::{Metadata, MetadataOptions};
    use symphonia::core::probe::Hint;
    fn tags(metadata: Option<Metadata<'_>>, into: &mut Vec<String>) {
        if let Some(mut metadata) = metadata {
            if let Some(revision) = metadata.skip_to_latest() {
                into.extend(
                    revision
                        .tags()
                        .iter()
                        .map(|t| format!("{}={}", t.key, t.value)),
                );
            }
        }
    }
    let source = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(extension);
    let mut probed = symphonia::default::get_probe()
        .format(
            &hint,
            source,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{extension}: {e}"));
    let mut found = Vec::new();
    tags(probed.metadata.get(), &mut found);
    let mut format = probed.format;
    let track = format.default_track().expect("a track").clone();
    let params = &track.codec_params;
    let rate = params.sample_rate.expect("a sample rate");
    let opus = params.codec == CODEC_TYPE_OPUS;
    let mut decoder = (!opus).then(|| {
        symphonia::default::get_codecs()
            .make(params, &DecoderOptions::default())
            .expect("a decoder")
    });
    let mut samples = Vec::new();
    loop {
        match format.next_packet() {
            Ok(packet) if packet.track_id() == track.id => match decoder.as_mut() {
                Some(decoder) => {
                    let decoded = decoder
                        .decode(&packet)
                        .unwrap_or_else(|e| panic!("{extension}: {e}"));
                    let mut buffer =
                        SampleBuffer::<i16>::new(decoded.capacity() as u64, *decoded.spec());
                    buffer.copy_interleaved_ref(decoded);
                    samples.extend_from_slice(buffer.samples());
                }
                // Opus: symphonia has no decoder, so check each packet's table of contents:
                // CELT-only fullband 20 ms mono frames.
                None => assert_eq!(packet.data[0], 0xF8, "{extension}: an Opus TOC"),
            },
            Ok(_) => {}
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => panic!("{extension}: {e}"),
        }
    }
    tags(Some(format.metadata()), &mut found);
    let seconds = if opus {
        let frames = params.n_frames.expect("the Ogg reader finds the length");
        (frames - u64::from(params.delay.unwrap_or(0))) as f64 / f64::from(rate)
    } else {
        samples.len() as f64 / f64::from(rate)
    };
    Heard {
        rate,
        seconds,
        samples,
        transcript: found
            .iter()
            .find_map(|tag| media::read_transcript(tag.as_bytes())),
    }
}

/// Parses a canonical WAV header: (channels, sample rate, bits per sample, data bytes).
/// Only a `LIST` chunk may follow the samples.
fn wav_header(bytes: &[u8]) -> (u16, u32, u16, u32) {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(
        u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize,
        bytes.len() - 8
    );
    assert_eq!(&bytes[8..16], b"WAVEfmt ");
    assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 1, "PCM");
    let channels = u16::from_le_bytes([bytes[22], bytes[23]]);
    let rate = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    let byte_rate = u32::from_le_bytes(bytes[28..32].try_into().unwrap());
    let bits = u16::from_le_bytes([bytes[34], bytes[35]]);
    assert_eq!(byte_rate, rate * u32::from(channels) * u32::from(bits) / 8);
    assert_eq!(&bytes[36..40], b"data");
    let data = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
    let rest = &bytes[44 + data as usize..];
    if !rest.is_empty() {
        assert_eq!(&rest[..4], b"LIST");
        let len = u32::from_le_bytes(rest[4..8].try_into().unwrap()) as usize;
        assert_eq!(len + 8, rest.len());
    }
    (channels, rate, bits, data)
}

const SENTENCE: &str = "The quick brown fox jumped over the lazy dog. ";

// ------------------------------------------------------------------------------ images

#[tokio::test]
async fn generated_pngs_decode_at_the_requested_size() {
    let mock = start().await;
    let answer = mock
        .post_json(
            "/images/generations",
            &json!({"prompt": "a lighthouse at dusk", "n": 3, "size": "512x512", "response_format": "b64_json"}),
        )
        .await;
    assert_valid("createImage", false, &answer);
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    let mut images = Vec::new();
    for item in data {
        let bytes = b64(item["b64_json"].as_str().unwrap());
        let decoded = decode_image(&bytes, ImageFormat::Png);
        assert_eq!((decoded.width, decoded.height), (512, 512));
        assert!(
            bytes.len() < 16_000,
            "a gradient compresses: {} bytes",
            bytes.len()
        );
        images.push(decoded.pixels);
    }
    assert_ne!(images[0], images[1], "n images differ");
    assert!(
        answer.get("size").is_none(),
        "dall-e answers carry no gpt-image fields"
    );
}

#[tokio::test]
async fn image_urls_download_from_the_mock_itself() {
    let mock = start().await;
    let request = json!({"prompt": "a red bicycle", "size": "256x256"});
    let answer = mock.post_json("/images/generations", &request).await;
    assert_valid("createImage", false, &answer);
    let url = answer["data"][0]["url"]
        .as_str()
        .expect("dall-e-2 answers with a url");
    assert!(url.starts_with(&mock.base), "{url} is served by the mock");
    let download = mock.client.get(url).send().await.expect("downloads");
    assert_eq!(download.status(), 200);
    assert_eq!(header(&download, "content-type"), "image/png");
    let downloaded = decode_image(&download.bytes().await.unwrap(), ImageFormat::Png);
    assert_eq!((downloaded.width, downloaded.height), (256, 256));
    let mut as_b64 = request;
    as_b64["response_format"] = json!("b64_json");
    let inline = mock.post_json("/images/generations", &as_b64).await;
    let inline = decode_image(
        &b64(inline["data"][0]["b64_json"].as_str().unwrap()),
        ImageFormat::Png,
    );
    assert!(downloaded == inline, "the url serves the same image");
    let missing = mock
        .client
        .get(format!("{}/images/generated/not-an-image.png", mock.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn gpt_image_honours_output_format_background_and_reports_usage() {
    let mock = start().await;
    for (format, size, expected_format) in [
        ("jpeg", "1024x1536", ImageFormat::Jpeg),
        ("webp", "1536x1024", ImageFormat::WebP),
        ("png", "1024x1024", ImageFormat::Png),
    ] {
        let answer = mock
            .post_json(
                "/images/generations",
                &json!({"prompt": "a calm sea", "model": "gpt-image-1", "size": size, "output_format": format, "quality": "low"}),
            )
            .await;
        assert_valid("createImage", false, &answer);
        let bytes = b64(answer["data"][0]["b64_json"]
            .as_str()
            .expect("gpt-image answers b64"));
        let decoded = decode_image(&bytes, expected_format);
        assert_eq!(format!("{}x{}", decoded.width, decoded.height), size);
        assert_eq!(answer["size"], size);
        assert_eq!(answer["output_format"], format);
        assert_eq!(answer["quality"], "low");
        assert_eq!(answer["background"], "opaque");
        let usage = &answer["usage"];
        assert_eq!(
            usage["output_tokens"],
            if size == "1024x1024" { 272 } else { 408 }
        );
        assert_eq!(
            usage["total_tokens"].as_u64().unwrap(),
            usage["input_tokens"].as_u64().unwrap() + usage["output_tokens"].as_u64().unwrap()
        );
    }
    let transparent = mock
        .post_json(
            "/images/generations",
            &json!({"prompt": "a logo", "model": "gpt-image-1", "background": "transparent"}),
        )
        .await;
    let decoded = decode_image(
        &b64(transparent["data"][0]["b64_json"].as_str().unwrap()),
        ImageFormat::Png,
    );
    assert!(decoded.has_alpha());
    assert_eq!(decoded.pixel(0, 0)[3], 255);
    assert_eq!(
        decoded.pixel(0, decoded.height - 1)[3],
        0,
        "fades to transparent"
    );
    assert_eq!(transparent["background"], "transparent");
}

#[tokio::test]
async fn jpeg_follows_the_png_gradient() {
    let mock = start().await;
    let request = |format: &str| json!({"prompt": "dawn", "model": "gpt-image-1", "size": "1024x1024", "output_format": format});
    let png = mock.post_json("/images/generations", &request("png")).await;
    let jpeg = mock
        .post_json("/images/generations", &request("jpeg"))
        .await;
    let png = decode_image(
        &b64(png["data"][0]["b64_json"].as_str().unwrap()),
        ImageFormat::Png,
    );
    let jpeg = decode_image(
        &b64(jpeg["data"][0]["b64_json"].as_str().unwrap()),
        ImageFormat::Jpeg,
    );
    for y in [4, 500, 1020] {
        let (a, b) = (png.pixel(10, y), jpeg.pixel(10, y));
        for c in 0..3 {
            assert!(
                (i32::from(a[c]) - i32::from(b[c])).abs() <= 6,
                "row {y}: {a:?} vs {b:?}"
            );
        }
    }
}

#[tokio::test]
async fn unsupported_sizes_and_dall_e_3_batches_are_rejected() {
    let mock = start().await;
    let response = mock
        .post(
            "/images/generations",
            &json!({"prompt": "x", "model": "dall-e-2", "size": "1536x1024"}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Invalid value: '1536x1024'. Supported values are: '256x256', '512x512', and '1024x1024'."
    );
    assert_eq!(body["error"]["param"], "size");
    let response = mock
        .post(
            "/images/generations",
            &json!({"prompt": "x", "model": "dall-e-3", "n": 2}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let newer = mock
        .post_json(
            "/images/generations",
            &json!({"prompt": "x", "model": "gpt-image-2", "size": "256x256"}),
        )
        .await;
    assert_valid("createImage", false, &newer);
    let decoded = decode_image(
        &b64(newer["data"][0]["b64_json"].as_str().unwrap()),
        ImageFormat::Png,
    );
    assert_eq!(
        (decoded.width, decoded.height),
        (256, 256),
        "an unknown model takes any size"
    );
    let dalle3 = mock
        .post_json("/images/generations", &json!({"prompt": "a cat", "model": "dall-e-3", "size": "1792x1024", "response_format": "b64_json"}))
        .await;
    assert!(dalle3["data"][0]["revised_prompt"]
        .as_str()
        .unwrap()
        .contains("a cat"));
    let decoded = decode_image(
        &b64(dalle3["data"][0]["b64_json"].as_str().unwrap()),
        ImageFormat::Png,
    );
    assert_eq!((decoded.width, decoded.height), (1792, 1024));
}

#[tokio::test]
async fn image_generation_streams_partial_images_then_the_completed_one() {
    let mock = start().await;
    let response = mock
        .post(
            "/images/generations",
            &json!({"prompt": "a forest", "model": "gpt-image-1", "stream": true, "partial_images": 2, "size": "1024x1536"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").starts_with("text/event-stream"));
    let events = sse_events(&response.text().await.unwrap());
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "image_generation.partial_image",
            "image_generation.partial_image",
            "image_generation.completed"
        ]
    );
    for (i, event) in events.iter().enumerate() {
        assert_valid("createImage", true, event);
        let decoded = decode_image(&b64(event["b64_json"].as_str().unwrap()), ImageFormat::Png);
        assert_eq!((decoded.width, decoded.height), (1024, 1536));
        if i < 2 {
            assert_eq!(event["partial_image_index"], i);
        }
    }
    let whole = mock
        .post_json(
            "/images/generations",
            &json!({"prompt": "a forest", "model": "gpt-image-1", "size": "1024x1536"}),
        )
        .await;
    assert_eq!(
        events[2]["b64_json"], whole["data"][0]["b64_json"],
        "the completed image is the final one"
    );
}

#[tokio::test]
async fn image_edits_stream_their_own_event_types() {
    let mock = start().await;
    let form = Form::new()
        .part(
            "image",
            Part::bytes(vec![1, 2, 3])
                .file_name("in.png")
                .mime_str("image/png")
                .unwrap(),
        )
        .text("prompt", "add a hat")
        .text("model", "gpt-image-1")
        .text("stream", "true")
        .text("partial_images", "1")
        .text("output_format", "webp");
    let response = mock.post_form("/images/edits", form).await;
    assert_eq!(response.status(), 200);
    let events = sse_events(&response.text().await.unwrap());
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["image_edit.partial_image", "image_edit.completed"]);
    for event in &events {
        assert_valid("createImageEdit", true, event);
        decode_image(&b64(event["b64_json"].as_str().unwrap()), ImageFormat::WebP);
    }
    assert_eq!(
        events[1]["usage"]["input_tokens_details"]["image_tokens"],
        765
    );
}

// ------------------------------------------------------------------------------ speech

#[tokio::test]
async fn speech_wav_is_valid_and_lasts_in_proportion_to_the_text() {
    let mock = start().await;
    let request = |text: String, speed: f64| json!({"model": "gpt-4o-mini-tts", "voice": "coral", "input": text, "response_format": "wav", "speed": speed});
    let (content_type, short) = mock.speech(request(SENTENCE.repeat(2), 1.0)).await;
    assert_eq!(content_type, "audio/wav");
    let (_, long) = mock.speech(request(SENTENCE.repeat(6), 1.0)).await;
    let (_, fast) = mock.speech(request(SENTENCE.repeat(6), 2.0)).await;
    let (channels, rate, bits, short_bytes) = wav_header(&short);
    assert_eq!((channels, rate, bits), (1, 24_000, 16));
    let (_, _, _, long_bytes) = wav_header(&long);
    let (_, _, _, fast_bytes) = wav_header(&fast);
    let ratio = f64::from(long_bytes) / f64::from(short_bytes);
    assert!(
        (ratio - 3.0).abs() < 0.05,
        "three times the text lasts three times as long: {ratio}"
    );
    let speedup = f64::from(long_bytes) / f64::from(fast_bytes);
    assert!((speedup - 2.0).abs() < 0.05, "speed 2 halves it: {speedup}");
    let seconds = f64::from(long_bytes) / 48_000.0;
    let characters = (SENTENCE.len() * 6) as f64;
    let at_speaking_rate = characters / openai_mock::endpoints::audio::CHARACTERS_PER_SECOND;
    assert!(
        seconds > 0.9 * at_speaking_rate && seconds < 1.3 * at_speaking_rate,
        "{seconds} s for {characters} characters"
    );
    let samples: Vec<i16> = short[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert!(
        samples.iter().any(|s| s.unsigned_abs() > 4000),
        "it is a tone, not silence"
    );
}

#[tokio::test]
async fn speech_decodes_in_every_format_with_its_content_type() {
    let mock = start().await;
    let body = |format: &str| json!({"model": "tts-1", "voice": "alloy", "input": SENTENCE.repeat(3), "response_format": format});
    let (_, wav) = mock.speech(body("wav")).await;
    let (_, _, _, data) = wav_header(&wav);
    let seconds = f64::from(data) / 48_000.0;
    let wav_samples: Vec<i16> = wav[44..44 + data as usize]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    for (format, extension, content_type) in [
        ("mp3", "mp3", "audio/mpeg"),
        ("aac", "aac", "audio/aac"),
        ("flac", "flac", "audio/flac"),
        ("wav", "wav", "audio/wav"),
        ("opus", "opus", "audio/ogg"),
    ] {
        let (sent_type, bytes) = mock.speech(body(format)).await;
        assert_eq!(sent_type, content_type);
        let heard = decode_audio(bytes, extension);
        let rate = if format == "opus" { 48_000 } else { 24_000 };
        assert_eq!(heard.rate, rate, "{format}");
        assert!(
            (heard.seconds - seconds).abs() < 0.1,
            "{format}: {} s, expected {seconds} s",
            heard.seconds
        );
        if matches!(format, "flac" | "wav") {
            assert!(heard.samples == wav_samples, "{format} is lossless");
        }
        // symphonia reads no ID3 tag before ADTS, and stops a WAV at its data chunk (the
        // LIST chunk follows it; `wav_header` checks that chunk's framing).
        if !matches!(format, "aac" | "wav") {
            assert_eq!(
                heard.transcript.as_deref(),
                Some(SENTENCE.repeat(3).as_str()),
                "{format}: the transcript is in metadata symphonia reads"
            );
        }
    }
    assert_eq!(
        media::read_transcript(&wav[44 + data as usize..]).as_deref(),
        Some(SENTENCE.repeat(3).as_str()),
        "the WAV's transcript is in the chunk after its samples"
    );
    let (pcm_type, pcm) = mock.speech(body("pcm")).await;
    assert_eq!(pcm_type, "audio/pcm");
    assert_eq!(pcm, wav[44..44 + data as usize], "pcm is the wav's samples");
    let (_, opus) = mock.speech(body("opus")).await;
    let last = opus.windows(4).rposition(|w| w == b"OggS").unwrap();
    assert_eq!(opus[last + 5] & 4, 4, "the last page ends the stream");
    let granule = u64::from_le_bytes(opus[last + 6..last + 14].try_into().unwrap());
    let opus_seconds = (granule - 312) as f64 / 48_000.0;
    assert!(
        (opus_seconds - seconds).abs() < 0.05,
        "{opus_seconds} vs {seconds}"
    );
}

#[tokio::test]
async fn speech_sse_deltas_join_into_the_audio_file() {
    let mock = start().await;
    let body = json!({"model": "gpt-4o-mini-tts", "voice": "alloy", "input": SENTENCE.repeat(4), "response_format": "wav"});
    let (_, whole) = mock.speech(body.clone()).await;
    let mut streamed = body;
    streamed["stream_format"] = json!("sse");
    let response = mock.post("/audio/speech", &streamed).await;
    assert!(header(&response, "content-type").starts_with("text/event-stream"));
    let events = sse_events(&response.text().await.unwrap());
    let (done, deltas) = events.split_last().unwrap();
    assert!(deltas.len() > 1, "the audio arrives in several deltas");
    let mut joined = Vec::new();
    for delta in deltas {
        assert_valid("createSpeech", true, delta);
        assert_eq!(delta["type"], "speech.audio.delta");
        joined.extend(b64(delta["audio"].as_str().unwrap()));
    }
    assert_eq!(joined, whole);
    assert_valid("createSpeech", true, done);
    assert_eq!(done["type"], "speech.audio.done");
    let usage = &done["usage"];
    let input_tokens = openai_mock::services::tokens::Encoding::O200k.count(&SENTENCE.repeat(4));
    assert_eq!(
        usage["input_tokens"], input_tokens,
        "o200k tokens of the input"
    );
    assert!(usage["output_tokens"].as_u64().unwrap() > 0);
}

// ------------------------------------------------------------------------------ transcripts

fn audio_form(model: &str, format: &str, wav: Vec<u8>) -> Form {
    Form::new()
        .part(
            "file",
            Part::bytes(wav)
                .file_name("speech.wav")
                .mime_str("audio/wav")
                .unwrap(),
        )
        .text("model", model.to_string())
        .text("response_format", format.to_string())
}

async fn some_speech(mock: &Mock, repeats: usize) -> Vec<u8> {
    let body = json!({"model": "tts-1", "voice": "alloy", "input": SENTENCE.repeat(repeats), "response_format": "wav"});
    mock.speech(body).await.1
}

/// Parses `HH:MM:SS,mmm` or `HH:MM:SS.mmm`.
fn seconds_of(stamp: &str) -> f64 {
    let parts: Vec<f64> = stamp
        .replace(',', ".")
        .split(':')
        .map(|p| p.parse().expect("number"))
        .collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

#[tokio::test]
async fn transcripts_come_in_every_format_with_their_content_types() {
    let mock = start().await;
    let wav = some_speech(&mock, 8).await;
    let (_, _, _, data) = wav_header(&wav);
    let duration = f64::from(data) / 48_000.0;

    let response = mock
        .post_form(
            "/audio/transcriptions",
            audio_form("whisper-1", "json", wav.clone()),
        )
        .await;
    assert_eq!(header(&response, "content-type"), "application/json");
    let plain: Value = response.json().await.unwrap();
    assert_valid("createTranscription", false, &plain);
    let text = plain["text"].as_str().unwrap().to_string();
    assert_eq!(
        text,
        SENTENCE.repeat(8).trim(),
        "the mock's own speech transcribes to its text"
    );
    let words = text.split_whitespace().count() as f64;
    assert_eq!(plain["usage"]["type"], "duration");

    let form = audio_form("whisper-1", "verbose_json", wav.clone())
        .text("timestamp_granularities[]", "word");
    let verbose: Value = mock
        .post_form("/audio/transcriptions", form)
        .await
        .json()
        .await
        .unwrap();
    assert_valid("createTranscription", false, &verbose);
    assert_eq!(verbose["text"], text.as_str(), "every format says the same");
    assert!(
        (verbose["duration"].as_f64().unwrap() - duration).abs() < 0.01,
        "the duration is read from the WAV"
    );
    let segments = verbose["segments"].as_array().unwrap();
    let mut previous_end = 0.0;
    for segment in segments {
        let (start, end) = (
            segment["start"].as_f64().unwrap(),
            segment["end"].as_f64().unwrap(),
        );
        assert!(
            (start - previous_end).abs() < 0.011 && end > start,
            "{segment}"
        );
        previous_end = end;
    }
    assert!((previous_end - duration).abs() < 0.02);
    assert_eq!(verbose["words"].as_array().unwrap().len() as f64, words);

    let response = mock
        .post_form(
            "/audio/transcriptions",
            audio_form("whisper-1", "text", wav.clone()),
        )
        .await;
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap().trim_end(), text);

    let response = mock
        .post_form(
            "/audio/transcriptions",
            audio_form("whisper-1", "srt", wav.clone()),
        )
        .await;
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; charset=utf-8"
    );
    let srt = response.text().await.unwrap();
    let cues: Vec<&str> = srt.trim_end().split("\n\n").collect();
    assert_eq!(cues.len(), segments.len());
    for (i, cue) in cues.iter().enumerate() {
        let lines: Vec<&str> = cue.lines().collect();
        assert_eq!(lines[0], (i + 1).to_string());
        let (start, end) = lines[1].split_once(" --> ").expect("a timing line");
        assert!(
            start.contains(',') && end.contains(','),
            "SRT uses commas: {}",
            lines[1]
        );
        assert!((seconds_of(start) - segments[i]["start"].as_f64().unwrap()).abs() < 0.002);
        assert!((seconds_of(end) - segments[i]["end"].as_f64().unwrap()).abs() < 0.002);
        assert_eq!(lines[2], segments[i]["text"].as_str().unwrap().trim());
    }

    let response = mock
        .post_form("/audio/transcriptions", audio_form("whisper-1", "vtt", wav))
        .await;
    assert_eq!(header(&response, "content-type"), "text/vtt; charset=utf-8");
    let vtt = response.text().await.unwrap();
    let mut blocks = vtt.trim_end().split("\n\n");
    assert_eq!(blocks.next(), Some("WEBVTT"));
    let timing = blocks.next().unwrap().lines().next().unwrap();
    assert!(timing.starts_with("00:00:00.000 --> 00:00:"), "{timing}");
}

#[tokio::test]
async fn other_audio_is_transcribed_from_the_script_at_speaking_pace() {
    let mock = start().await;
    // Ten seconds of 16 kHz stereo silence, written here: no transcript in its metadata.
    let (rate, channels, seconds) = (16_000u32, 2u16, 10u32);
    let data_len = rate * u32::from(channels) * 2 * seconds;
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&channels.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    wav.extend_from_slice(&(channels * 2).to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.resize(44 + data_len as usize, 0);
    let verbose: Value = mock
        .post_form(
            "/audio/transcriptions",
            audio_form("whisper-1", "verbose_json", wav),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_valid("createTranscription", false, &verbose);
    assert_eq!(verbose["duration"], 10.0, "read from the WAV header");
    let words = verbose["text"].as_str().unwrap().split_whitespace().count();
    assert!((18..=40).contains(&words), "{words} words in 10 s");
    let segments = verbose["segments"].as_array().unwrap();
    let last_end = segments.last().unwrap()["end"].as_f64().unwrap();
    assert!((last_end - 10.0).abs() < 0.02);
}

#[tokio::test]
async fn gpt_4o_transcriptions_count_tokens_and_refuse_subtitles() {
    let mock = start().await;
    let wav = some_speech(&mock, 2).await;
    let form = audio_form("gpt-4o-transcribe", "json", wav.clone()).text("include[]", "logprobs");
    let answer: Value = mock
        .post_form("/audio/transcriptions", form)
        .await
        .json()
        .await
        .unwrap();
    assert_valid("createTranscription", false, &answer);
    assert_eq!(answer["usage"]["type"], "tokens");
    let logprobs = answer["logprobs"]
        .as_array()
        .expect("logprobs were included");
    let joined: String = logprobs
        .iter()
        .map(|l| l["token"].as_str().unwrap())
        .collect();
    assert_eq!(joined, answer["text"].as_str().unwrap());
    let response = mock
        .post_form(
            "/audio/transcriptions",
            audio_form("gpt-4o-transcribe", "srt", wav),
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["param"], "response_format");
}

#[tokio::test]
async fn diarized_transcripts_label_speakers() {
    let mock = start().await;
    let wav = some_speech(&mock, 6).await;
    let form = audio_form("gpt-4o-transcribe-diarize", "diarized_json", wav)
        .text("known_speaker_names[]", "agent")
        .text("known_speaker_names[]", "customer");
    let answer: Value = mock
        .post_form("/audio/transcriptions", form)
        .await
        .json()
        .await
        .unwrap();
    assert_valid("createTranscription", false, &answer);
    let speakers: Vec<&str> = answer["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["speaker"].as_str().unwrap())
        .collect();
    assert!(speakers.len() >= 2);
    assert_eq!(&speakers[..2], ["agent", "customer"]);
}

#[tokio::test]
async fn transcription_streams_deltas_that_join_into_the_text() {
    let mock = start().await;
    let wav = some_speech(&mock, 4).await;
    let whole: Value = mock
        .post_form(
            "/audio/transcriptions",
            audio_form("gpt-4o-mini-transcribe", "json", wav.clone()),
        )
        .await
        .json()
        .await
        .unwrap();
    let form = audio_form("gpt-4o-mini-transcribe", "json", wav).text("stream", "true");
    let response = mock.post_form("/audio/transcriptions", form).await;
    assert!(header(&response, "content-type").starts_with("text/event-stream"));
    let events = sse_events(&response.text().await.unwrap());
    let (done, deltas) = events.split_last().unwrap();
    let mut joined = String::new();
    for delta in deltas {
        assert_valid("createTranscription", true, delta);
        assert_eq!(delta["type"], "transcript.text.delta");
        joined.push_str(delta["delta"].as_str().unwrap());
    }
    assert_valid("createTranscription", true, done);
    assert_eq!(done["type"], "transcript.text.done");
    assert_eq!(done["text"], joined.as_str());
    assert_eq!(done["text"], whole["text"]);
    assert_eq!(done["usage"], whole["usage"]);
}

#[tokio::test]
async fn translations_honour_their_response_formats() {
    let mock = start().await;
    let wav = some_speech(&mock, 3).await;
    let verbose: Value = mock
        .post_form(
            "/audio/translations",
            audio_form("whisper-1", "verbose_json", wav.clone()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_valid("createTranslation", false, &verbose);
    assert_eq!(verbose["language"], "english");
    assert!(!verbose["segments"].as_array().unwrap().is_empty());
    let response = mock
        .post_form("/audio/translations", audio_form("whisper-1", "vtt", wav))
        .await;
    assert_eq!(header(&response, "content-type"), "text/vtt; charset=utf-8");
    assert!(response
        .text()
        .await
        .unwrap()
        .starts_with("WEBVTT\n\n00:00:00.000 --> "));
}
