//! `/images/generations`, `/images/edits` and `/images/variations`: real images.
//!
//! Each image is a vertical two-colour gradient whose colours come from a hash of the
//! prompt, the model, the size and the image's index, so the same request draws the same
//! images and `n` images differ from each other. The size is the requested one (`auto`
//! means 1024x1024), the format is `output_format` for the gpt-image models and PNG
//! otherwise, and `background: transparent` keeps an alpha channel.
//!
//! - `response_format: b64_json` carries the encoded file; `url` (the default for the
//!   dall-e models; gpt-image models default to `b64_json`, like the real API) points at
//!   `GET /v1/images/generated/{W}x{H}-{top}-{bottom}[-alpha].{png,jpeg,webp}` on the mock
//!   itself, whose image is drawn from the URL alone ([`image_at`]), so clients can download
//!   it from the same server.
//! - gpt-image answers carry `size`, `quality`, `background`, `output_format` and a token
//!   `usage` (text tokens of the prompt, 765 image tokens per input image, and the
//!   published output-token counts per quality and size); dall-e answers do not, and
//!   dall-e-3 adds a `revised_prompt`.
//! - With `stream: true`, generations and edits send `partial_images` partial-image events
//!   (gradients that converge on the final colours) and a `completed` event per image.
//! - Sizes a known model does not offer are rejected like the real API; dall-e-3 takes
//!   only `n: 1`. A model the mock does not know takes any `WxH` up to 4096 pixels a side.

use crate::endpoints::endpoint::Endpoint;
use crate::error::ApiError;
use crate::generate::media::{self, Picture};
use crate::generate::{fnv1a, Rng};
use crate::services::sse::typed_events;
use crate::services::tokens::Encoding;
use crate::validate::ValidRequest;
use base64::Engine;
use serde_json::{json, Value};

/// The largest side accepted for a model the mock does not know.
pub const MAX_SIDE: u32 = 4096;
/// The path (under the base path) that serves generated image URLs.
pub const URL_PREFIX: &str = "/images/generated/";
/// Image tokens counted for each input image of an edit (a 1024x1024 image in 4 tiles).
const INPUT_IMAGE_TOKENS: u64 = 765;

/// What one request asks for, with the model's defaults applied.
struct Request<'a> {
    model: &'a str,
    prompt: &'a str,
    width: u32,
    height: u32,
    n: u64,
    format: &'static str,
    as_url: bool,
    alpha: bool,
    quality: &'static str,
    input_images: u64,
}

/// Which image operation a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `POST /images/generations`.
    Generation,
    /// `POST /images/edits`.
    Edit,
    /// `POST /images/variations`.
    Variation,
}

/// `POST /images/generations`.
pub const GENERATION: Endpoint = Endpoint {
    ops: &["createImage"],
    check: |call| check(Kind::Generation, call.request),
    shape: |call, answer, _| shape(Kind::Generation, call.request, answer),
    stream: |call, _| Some(typed_events(&stream_events(Kind::Generation, call.request))),
    ..Endpoint::GENERIC
};

/// `POST /images/edits`.
pub const EDIT: Endpoint = Endpoint {
    ops: &["createImageEdit"],
    check: |call| check(Kind::Edit, call.request),
    shape: |call, answer, _| shape(Kind::Edit, call.request, answer),
    stream: |call, _| Some(typed_events(&stream_events(Kind::Edit, call.request))),
    ..Endpoint::GENERIC
};

/// `POST /images/variations`.
pub const VARIATION: Endpoint = Endpoint {
    ops: &["createImageVariation"],
    check: |call| check(Kind::Variation, call.request),
    shape: |call, answer, _| shape(Kind::Variation, call.request, answer),
    ..Endpoint::GENERIC
};

fn is_gpt_image(model: &str) -> bool {
    model.starts_with("gpt-image") || model.starts_with("chatgpt-image")
}

/// The sizes a known model offers, or `None` for a model the mock does not know (newer
/// gpt-image models included: the SDK's own tests send `gpt-image-2` with `256x256`).
fn supported_sizes(kind: Kind, model: &str) -> Option<&'static [&'static str]> {
    match model {
        "dall-e-2" => Some(&["256x256", "512x512", "1024x1024"]),
        "dall-e-3" if kind == Kind::Generation => Some(&["1024x1024", "1792x1024", "1024x1792"]),
        "gpt-image-1" | "gpt-image-1-mini" | "gpt-image-1.5" | "chatgpt-image-latest" => {
            Some(&["1024x1024", "1536x1024", "1024x1536", "auto"])
        }
        _ => None,
    }
}

fn default_model(kind: Kind) -> &'static str {
    match kind {
        Kind::Edit => "gpt-image-1.5",
        Kind::Generation | Kind::Variation => "dall-e-2",
    }
}

fn model(kind: Kind, body: &Value) -> &str {
    body.get("model")
        .and_then(Value::as_str)
        .unwrap_or(default_model(kind))
}

/// Rejects sizes the model does not offer and `n > 1` for dall-e-3.
pub fn check(kind: Kind, request: &ValidRequest) -> Result<(), ApiError> {
    let body = &request.body;
    let model = model(kind, body);
    if let Some(size) = body.get("size").and_then(Value::as_str) {
        match supported_sizes(kind, model) {
            Some(sizes) if !sizes.contains(&size) => {
                return Err(invalid_size(size, sizes));
            }
            None if size != "auto" && parse_size(size).is_none() => {
                return Err(ApiError::invalid_request(format!(
                    "Invalid value: '{size}'. The size must be 'auto' or WIDTHxHEIGHT with \
                     sides from 1 to {MAX_SIDE} pixels."
                ))
                .with_param("size")
                .with_code("invalid_value"));
            }
            _ => {}
        }
    }
    if model == "dall-e-3" && body.get("n").and_then(Value::as_u64).unwrap_or(1) > 1 {
        return Err(
            ApiError::invalid_request("You must provide n=1 for this model.").with_param("n"),
        );
    }
    Ok(())
}

fn invalid_size(size: &str, sizes: &[&str]) -> ApiError {
    let quoted: Vec<String> = sizes.iter().map(|s| format!("'{s}'")).collect();
    let listed = match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, and {last}", rest.join(", ")),
        _ => quoted.join(""),
    };
    ApiError::invalid_request(format!(
        "Invalid value: '{size}'. Supported values are: {listed}."
    ))
    .with_param("size")
    .with_code("invalid_value")
}

/// `"1024x768"` -> `(1024, 768)`, when both sides are within 1..=[`MAX_SIDE`].
fn parse_size(size: &str) -> Option<(u32, u32)> {
    let (w, h) = size.split_once('x')?;
    let (w, h): (u32, u32) = (w.parse().ok()?, h.parse().ok()?);
    ((1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h)).then_some((w, h))
}

fn read(kind: Kind, request: &ValidRequest) -> Request<'_> {
    let body = &request.body;
    let model = model(kind, body);
    let gpt_image = is_gpt_image(model);
    let (width, height) = body
        .get("size")
        .and_then(Value::as_str)
        .and_then(parse_size)
        .unwrap_or((1024, 1024));
    let format = match body.get("output_format").and_then(Value::as_str) {
        Some("jpeg") if gpt_image => "jpeg",
        Some("webp") if gpt_image => "webp",
        _ => "png",
    };
    let as_url = match body.get("response_format").and_then(Value::as_str) {
        Some(format) => format == "url",
        None => !gpt_image,
    };
    let quality = match body.get("quality").and_then(Value::as_str) {
        Some("low") => "low",
        Some("high" | "hd") => "high",
        _ => "medium",
    };
    let input_images = match kind {
        Kind::Edit => match (body.get("image"), body.get("images")) {
            (Some(Value::Array(images)), _) | (_, Some(Value::Array(images))) => {
                images.len() as u64
            }
            _ => 1,
        },
        Kind::Variation => 1,
        Kind::Generation => 0,
    };
    Request {
        model,
        prompt: body.get("prompt").and_then(Value::as_str).unwrap_or(""),
        width,
        height,
        n: body
            .get("n")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .clamp(1, 10),
        format,
        as_url,
        alpha: gpt_image
            && body.get("background").and_then(Value::as_str) == Some("transparent")
            && format != "jpeg",
        quality,
        input_images,
    }
}

/// The `index`th picture of a request.
fn picture(request: &Request, index: u64) -> Picture {
    let mut rng = Rng::new(fnv1a(&[
        b"image",
        request.model.as_bytes(),
        request.prompt.as_bytes(),
        &request.width.to_le_bytes(),
        &request.height.to_le_bytes(),
        &index.to_le_bytes(),
    ]));
    let mut colour = |alpha: u8| {
        let bits = rng.next_u64().to_le_bytes();
        [bits[0], bits[1], bits[2], alpha]
    };
    let top = colour(255);
    let bottom = colour(if request.alpha { 0 } else { 255 });
    Picture {
        width: request.width,
        height: request.height,
        top,
        bottom,
        alpha: request.alpha,
    }
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The path (after the base path) of the URL that serves `picture` as `format`.
pub fn url_path(picture: &Picture, format: &str) -> String {
    let hex = |c: [u8; 4]| c.iter().map(|b| format!("{b:02x}")).collect::<String>();
    format!(
        "{URL_PREFIX}{}x{}-{}-{}{}.{format}",
        picture.width,
        picture.height,
        hex(picture.top),
        hex(picture.bottom),
        if picture.alpha { "-alpha" } else { "" },
    )
}

/// The image served at a generated URL's file name (`1024x1024-aabbccff-112233ff.png`),
/// or `None` when the name is not one the mock hands out.
pub fn image_at(name: &str) -> Option<media::Media> {
    let (stem, format) = name.rsplit_once('.')?;
    if !matches!(format, "png" | "jpeg" | "webp") {
        return None;
    }
    let mut parts = stem.split('-');
    let (width, height) = parse_size(parts.next()?)?;
    let colour = |hex: &str| -> Option<[u8; 4]> {
        if hex.len() != 8 {
            return None;
        }
        let value = u32::from_str_radix(hex, 16).ok()?;
        Some(value.to_be_bytes())
    };
    let top = colour(parts.next()?)?;
    let bottom = colour(parts.next()?)?;
    let alpha = match parts.next() {
        None => false,
        Some("alpha") => true,
        Some(_) => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    let picture = Picture {
        width,
        height,
        top,
        bottom,
        alpha,
    };
    Some(media::image(format, &picture))
}

/// Fills `data` with `n` real images of the requested size and format.
pub fn shape(kind: Kind, request: &ValidRequest, answer: &mut Value) {
    let wanted = read(kind, request);
    let origin = request.origin.as_deref().unwrap_or("http://localhost");
    let data: Vec<Value> = (0..wanted.n)
        .map(|index| {
            let picture = picture(&wanted, index);
            let mut image = if wanted.as_url {
                json!({ "url": format!("{origin}/v1{}", url_path(&picture, wanted.format)) })
            } else {
                json!({ "b64_json": base64(&media::image(wanted.format, &picture).bytes) })
            };
            if wanted.model == "dall-e-3" {
                image["revised_prompt"] = json!(revised_prompt(wanted.prompt));
            }
            image
        })
        .collect();
    let Value::Object(object) = answer else {
        return;
    };
    object.insert("data".into(), Value::Array(data));
    for key in ["background", "output_format", "size", "quality", "usage"] {
        object.remove(key);
    }
    if is_gpt_image(wanted.model) {
        let size = format!("{}x{}", wanted.width, wanted.height);
        if matches!(size.as_str(), "1024x1024" | "1024x1536" | "1536x1024") {
            object.insert("size".into(), json!(size));
        }
        object.insert("quality".into(), json!(wanted.quality));
        let background = if wanted.alpha {
            "transparent"
        } else {
            "opaque"
        };
        object.insert("background".into(), json!(background));
        object.insert("output_format".into(), json!(wanted.format));
        object.insert("usage".into(), usage(&wanted, true));
    }
}

/// The prompt as a model would rewrite it for the image model.
pub fn revised_prompt(prompt: &str) -> String {
    let prompt = prompt.trim().trim_end_matches('.');
    format!("A detailed, high-quality illustration of {prompt}, with balanced composition and soft, natural lighting.")
}

/// Output tokens per image: the published counts for the square and the portrait or
/// landscape sizes, scaled by area for other sizes.
fn output_tokens(request: &Request) -> u64 {
    let square = request.width == request.height;
    let per_image: u64 = match (request.quality, square) {
        ("low", true) => 272,
        ("low", false) => 408,
        ("high", true) => 4160,
        ("high", false) => 6240,
        (_, true) => 1056,
        (_, false) => 1584,
    };
    let area = u64::from(request.width) * u64::from(request.height);
    let reference = if square { 1024 * 1024 } else { 1024 * 1536 };
    (per_image * area / reference).max(16)
}

fn usage(request: &Request, with_output_details: bool) -> Value {
    let text_tokens = Encoding::O200k.count(request.prompt) as u64;
    let image_tokens = request.input_images * INPUT_IMAGE_TOKENS;
    let output = output_tokens(request) * request.n;
    let mut usage = json!({
        "input_tokens": text_tokens + image_tokens,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
        "output_tokens": output,
        "total_tokens": text_tokens + image_tokens + output,
    });
    if with_output_details {
        usage["output_tokens_details"] = json!({"image_tokens": output, "text_tokens": 0});
    }
    usage
}

/// The `step`th of `partials` partial images of `finished`: partial images start grey and
/// converge on the final colours.
fn partial_picture(finished: &Picture, step: u64, partials: u64) -> Picture {
    let mut partial = finished.clone();
    let weight = (step + 1) as i32;
    let total = (partials + 1) as i32;
    for colour in [&mut partial.top, &mut partial.bottom] {
        for channel in colour.iter_mut().take(3) {
            *channel = (128 + (*channel as i32 - 128) * weight / total) as u8;
        }
    }
    partial
}

/// One image drawn for a generation body, base64-encoded, with the settings it was drawn
/// with (as gpt-image answers name them).
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// The encoded image, base64.
    pub b64: String,
    /// `WxH`.
    pub size: String,
    /// `low`, `medium` or `high`.
    pub quality: &'static str,
    /// `transparent` or `opaque`.
    pub background: &'static str,
    /// `png`, `jpeg` or `webp`.
    pub output_format: &'static str,
    /// The partial images (base64) before it, `partials` of them.
    pub partials: Vec<String>,
}

/// The first image `POST /images/generations` draws for `body` (the same pixels), with
/// `partials` partial images; for the `image_generation` tool of `/responses`.
pub fn draw(body: &Value, partials: u64) -> Drawn {
    let request = ValidRequest {
        body: body.clone(),
        ..ValidRequest::default()
    };
    let wanted = read(Kind::Generation, &request);
    let finished = picture(&wanted, 0);
    let partials = partials.min(3);
    Drawn {
        b64: base64(&media::image(wanted.format, &finished).bytes),
        size: format!("{}x{}", wanted.width, wanted.height),
        quality: wanted.quality,
        background: if wanted.alpha {
            "transparent"
        } else {
            "opaque"
        },
        output_format: wanted.format,
        partials: (0..partials)
            .map(|step| {
                let partial = partial_picture(&finished, step, partials);
                base64(&media::image(wanted.format, &partial).bytes)
            })
            .collect(),
    }
}

/// The streamed events of a generation or edit: for each image, `partial_images` partial
/// images, then the completed one.
pub fn stream_events(kind: Kind, request: &ValidRequest) -> Vec<Value> {
    let wanted = read(kind, request);
    let kind = if kind == Kind::Edit {
        "image_edit"
    } else {
        "image_generation"
    };
    let partials = request
        .body
        .get("partial_images")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(3);
    let size = format!("{}x{}", wanted.width, wanted.height);
    let size = if matches!(size.as_str(), "1024x1024" | "1024x1536" | "1536x1024") {
        size
    } else {
        "auto".to_string()
    };
    let background = if wanted.alpha {
        "transparent"
    } else {
        "opaque"
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut events = Vec::new();
    for index in 0..wanted.n {
        let finished = picture(&wanted, index);
        for step in 0..partials {
            let partial = partial_picture(&finished, step, partials);
            let bytes = media::image(wanted.format, &partial).bytes;
            events.push(json!({
                "type": format!("{kind}.partial_image"),
                "b64_json": base64(&bytes),
                "created_at": now,
                "size": size,
                "quality": wanted.quality,
                "background": background,
                "output_format": wanted.format,
                "partial_image_index": step,
            }));
        }
        let single = Request { n: 1, ..wanted };
        let bytes = media::image(wanted.format, &finished).bytes;
        events.push(json!({
            "type": format!("{kind}.completed"),
            "b64_json": base64(&bytes),
            "created_at": now,
            "size": size,
            "quality": wanted.quality,
            "background": background,
            "output_format": wanted.format,
            "usage": usage(&single, false),
        }));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_urls_round_trip_to_the_same_image() {
        let picture = Picture {
            width: 300,
            height: 200,
            top: [1, 2, 3, 255],
            bottom: [200, 100, 50, 0],
            alpha: true,
        };
        let path = url_path(&picture, "png");
        let name = path.strip_prefix(URL_PREFIX).unwrap();
        assert_eq!(image_at(name).unwrap().bytes, media::png(&picture));
        assert!(image_at("300x200-010203ff.png").is_none());
        assert!(image_at("300x200-010203ff-c8643200-extra.png").is_none());
        assert!(image_at("99999x1-010203ff-c8643200.png").is_none());
    }

    #[test]
    fn size_errors_list_the_supported_values() {
        let error = invalid_size("300x300", &["256x256", "512x512", "1024x1024"]);
        assert_eq!(
            error.message,
            "Invalid value: '300x300'. Supported values are: '256x256', '512x512', and '1024x1024'."
        );
    }
}
