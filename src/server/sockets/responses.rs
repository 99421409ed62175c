//! The Responses API's WebSocket mode. Each `response.create` event is the body of a
//! `POST /v1/responses` (without `type` and `stream_id`, with `stream: true`), sent through
//! the server's own pipeline with the socket's key: validation, the endpoint, scenario
//! rules, faults, latency and the request log all apply, and the frames are exactly the
//! events the same request gets over SSE (each with the request's `stream_id`, when it
//! has one). Responses run one after another on one socket. A refused request is one
//! `error` event (`ResponseWsError`: its HTTP status and the error envelope's `error`).

use super::super::pipeline::Pipeline;
use super::activity::Activity;
use super::{binary_refused, next_frame, Frame};
use crate::error::ApiError;
use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use poem::http::{header, Method};
use poem::web::websocket::{Message, WebSocketStream};
use poem::Request;
use serde_json::{json, Value};

/// [`run`], boxed: its future sends requests through the pipeline whose own future
/// contains this one, so the type is named here to end the cycle.
pub(super) fn start(
    socket: WebSocketStream,
    pipeline: Pipeline,
    key: Option<String>,
    activity: Activity,
) -> BoxFuture<'static, ()> {
    Box::pin(run(socket, pipeline, key, activity))
}

/// Runs one Responses socket to its end; `key` is the socket's API key.
async fn run(
    socket: WebSocketStream,
    pipeline: Pipeline,
    key: Option<String>,
    mut activity: Activity,
) {
    let (sink, mut stream) = socket.split();
    let mut sink = Logged {
        sink,
        activity: &mut activity,
    };
    let ended = loop {
        sink.activity.flush();
        let text = match next_frame(&mut stream, &mut sink.sink).await {
            Frame::Gone => break "closed by the client",
            Frame::Broken(_) => break "frame too large",
            Frame::Text(text) => text,
            Frame::Binary => {
                sink.activity.client("");
                if !sink.send(error_frame(&binary_refused(), None)).await {
                    break "gone";
                }
                continue;
            }
        };
        sink.activity.client(&text);
        let (body, stream_id) = match request_body(&text) {
            Ok(parts) => parts,
            Err(error) => {
                if !sink.send(error_frame(&error, None)).await {
                    break "gone";
                }
                continue;
            }
        };
        if !forward(
            &pipeline,
            key.as_deref(),
            body,
            stream_id.as_deref(),
            &mut sink,
        )
        .await
        {
            break "dropped";
        }
    };
    activity.end(ended);
}

/// The socket's sending half, logging each frame it sends.
struct Logged<'a, S> {
    sink: S,
    activity: &'a mut Activity,
}

impl<S: futures_util::Sink<Message> + Unpin> Logged<'_, S> {
    /// Sends `text`; `false` when the socket is gone.
    async fn send(&mut self, text: String) -> bool {
        self.activity.server_text(&text);
        self.sink.send(Message::Text(text)).await.is_ok()
    }
}

/// The `POST /v1/responses` body of a client frame, and its `stream_id`.
fn request_body(text: &str) -> Result<(Value, Option<String>), ApiError> {
    let mut event: Value = serde_json::from_str(text).map_err(|error| {
        ApiError::invalid_request(format!(
            "Invalid JSON in the event: {error}. Each event must be one JSON object."
        ))
        .with_code("invalid_json")
    })?;
    let Some(object) = event.as_object_mut() else {
        return Err(
            ApiError::invalid_request("The event must be a JSON object.")
                .with_code("invalid_event"),
        );
    };
    match object.remove("type") {
        Some(Value::String(kind)) if kind == "response.create" => {}
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_string);
            return Err(ApiError::invalid_request(format!(
                "Invalid value: '{shown}'. Supported values are: 'response.create'."
            ))
            .with_param("type")
            .with_code("invalid_value"));
        }
        None => {
            return Err(ApiError::invalid_request("The 'type' field is missing.")
                .with_param("type")
                .with_code("missing_required_parameter"))
        }
    }
    let stream_id = match object.remove("stream_id") {
        Some(Value::String(id)) => Some(id),
        _ => None,
    };
    if object.get("background").and_then(Value::as_bool) == Some(true) {
        return Err(ApiError::invalid_request(
            "Background responses are not supported over WebSocket.",
        )
        .with_param("background")
        .with_code("invalid_value"));
    }
    object.insert("stream".into(), Value::Bool(true));
    Ok((event, stream_id))
}

/// Sends `body` through the pipeline and its answer down the socket; `false` when the
/// socket is gone.
async fn forward<S>(
    pipeline: &Pipeline,
    key: Option<&str>,
    body: Value,
    stream_id: Option<&str>,
    sink: &mut Logged<'_, S>,
) -> bool
where
    S: futures_util::Sink<Message> + Unpin,
{
    let mut request = Request::builder()
        .method(Method::POST)
        .uri_str("/v1/responses")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let request = request.body(body.to_string());
    let response = match poem::Endpoint::call(pipeline, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    let status = response.status().as_u16();
    let is_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_stream {
        let body = response.into_body().into_bytes().await.unwrap_or_default();
        let envelope: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut frame = json!({"type": "error", "status": status,
            "error": envelope.get("error").cloned().unwrap_or(json!({
                "type": "server_error", "code": null, "param": null,
                "message": "The server had an error while processing your request."}))});
        if let Some(id) = stream_id {
            frame["stream_id"] = json!(id);
        }
        return sink.send(frame.to_string()).await;
    }
    let mut body = std::pin::pin!(response.into_body().into_bytes_stream());
    let mut pending = String::new();
    while let Some(chunk) = body.next().await {
        let Ok(chunk): Result<bytes::Bytes, _> = chunk else {
            // The stream broke off (a fault): so does the socket.
            return false;
        };
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let block: String = pending.drain(..end + 2).collect();
            if let Some(frame) = frame_of(&block, stream_id) {
                if !sink.send(frame).await {
                    return false;
                }
            }
        }
    }
    true
}

/// The frame for one SSE block: its `data`, with the `stream_id` added.
fn frame_of(block: &str, stream_id: Option<&str>) -> Option<String> {
    let data: Vec<&str> = block
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|data| data.strip_prefix(' ').unwrap_or(data))
        .collect();
    let data = data.join("\n");
    if data.is_empty() || data == "[DONE]" {
        return None;
    }
    match (stream_id, serde_json::from_str::<Value>(&data)) {
        (Some(id), Ok(mut event)) if event.is_object() => {
            event["stream_id"] = json!(id);
            Some(event.to_string())
        }
        _ => Some(data),
    }
}

/// An `error` frame for a refused client event.
fn error_frame(error: &ApiError, stream_id: Option<&str>) -> String {
    let mut frame =
        json!({"type": "error", "status": error.status, "error": error.body()["error"]});
    if let Some(id) = stream_id {
        frame["stream_id"] = json!(id);
    }
    frame.to_string()
}
