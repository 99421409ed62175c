//! What an endpoint entry is: [`Endpoint`] (the behaviour of the operations it declares),
//! [`Call`] (one request as an endpoint sees it) and the generic behaviour every operation
//! without an entry of its own gets ([`Endpoint::GENERIC`]), and [`Dispatch`], the way an
//! endpoint sends a request through the server's own pipeline (a batch's lines).

use crate::catalog::{Catalog, Operation};
use crate::error::ApiError;
use crate::generate::media::{self, Media};
use crate::generate::{self, Generator, Rng};
use crate::services::model::script::Scripted;
use crate::services::sse::Event;
use crate::store::Store;
use crate::validate::ValidRequest;
use bytes::Bytes;
use serde_json::{Map, Value};

/// Server settings that change what endpoints answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Answer base64 embedding requests with float arrays (`--float-embeddings`).
    pub float_embeddings: bool,
}

/// One validated request, as an endpoint sees it.
pub struct Call<'a> {
    /// The compiled spec.
    pub catalog: &'a Catalog,
    /// The operation called.
    pub op: &'a Operation,
    /// The validated request.
    pub request: &'a ValidRequest,
    /// Assistant output a scenario rule scripted for this request: the text endpoints answer
    /// with it instead of composing their own.
    pub script: Option<&'a Scripted>,
    /// Server settings.
    pub options: Options,
    /// Objects that persist.
    pub store: &'a Store,
    /// Whose objects this request sees: the API key's namespace of the store.
    pub namespace: &'a str,
    /// The server's pipeline, for requests an endpoint sends on a client's behalf (`None`
    /// outside a server: benches, unit tests).
    pub dispatch: Option<&'a dyn Dispatch>,
}

/// Sends a request through the server's own pipeline, as if the client had sent it directly:
/// route, validation, the endpoint's checks, the scenario engine's plan and the answer. The
/// server implements it; endpoints (batches) hold it as a trait object, since they sit
/// below the server.
pub trait Dispatch: Sync {
    /// `method url` (`/v1/...` or without the base path) with the JSON `body`, sent with
    /// `api_key` (whose namespace the request works in). A plan's latency is not waited for.
    fn dispatch(&self, method: &str, url: &str, body: Value, api_key: &str) -> Subresponse;
}

/// What a request sent through [`Dispatch`] got back.
#[derive(Debug, Clone, PartialEq)]
pub enum Subresponse {
    /// An answer: its status and JSON body (an error envelope for errors), and the request
    /// id it was given.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The JSON body (`null` when the operation answers with no JSON).
        body: Value,
        /// The `x-request-id` the answer would carry.
        request_id: String,
    },
    /// No answer: a scenario fault dropped the connection.
    Dropped,
}

/// A body that is not JSON: what an endpoint sends instead of its JSON answer when the
/// request asks for another format (transcripts as `text`, `srt` or `vtt`), or when the
/// answer is stored bytes (a file's content).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The `content-type` to send.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

/// How a request continues an earlier conversation, for the scenario engine's sequences.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Continuation<'a> {
    /// A stored conversation, by id (`conversation` of `/responses`).
    Conversation(&'a str),
    /// The conversation an earlier answer belongs to, by that answer's id
    /// (`previous_response_id`).
    Answer(&'a str),
}

/// The behaviour of the operations an endpoint family declares. Every catalog operation
/// resolves to exactly one entry (see [`super::Table`]); fields left as in
/// [`Endpoint::GENERIC`] keep the schema-driven behaviour.
pub struct Endpoint {
    /// The operation ids this entry serves (the only place they are named).
    pub ops: &'static [&'static str],
    /// Refuses a schema-valid request the real endpoint would still refuse (an unknown
    /// model, an unsupported size, ...), before any answer is built.
    pub check: fn(&Call) -> Result<(), ApiError>,
    /// The request fields that decide what the answer says: generation is seeded with them
    /// instead of the raw body, so `stream`, `stop` or `max_tokens` change how the answer is
    /// delivered, not what it is.
    pub content_fields: Option<&'static [&'static str]>,
    /// Makes the generated, schema-valid answer say what the endpoint would say.
    pub shape: fn(&Call, &mut Value, &mut Generator),
    /// Whether the request asks for a streamed answer.
    pub wants_stream: fn(&Call) -> bool,
    /// The events of a streamed answer, given the (shaped) JSON answer when there is one;
    /// `None` sends one event of each variant the spec lists.
    pub stream: fn(&Call, Option<&Value>) -> Option<Vec<Event>>,
    /// Whether an injected mid-stream error is a typed `error` event (as `/responses` sends)
    /// rather than `data: {"error": ...}`.
    pub typed_stream_errors: bool,
    /// A non-JSON rendering of the answer, when the request asks for one.
    pub render: fn(&Call, &Value) -> Option<Rendered>,
    /// The body of an operation whose answer is not JSON (audio, images, archives, SDP).
    pub bytes: fn(&Call, &mut Rng) -> Media,
    /// How a request continues an earlier conversation; `Some` also makes the scenario
    /// engine remember which conversation each answer belongs to.
    pub continuation: Option<for<'a> fn(&'a ValidRequest) -> Option<Continuation<'a>>>,
    /// Whether answers are stored objects with a lifecycle that clients poll: the answer
    /// then carries `openai-poll-after-ms`, the time until its next stage (looked up in the
    /// store by the answer's `object`, as the store kind, and `id`).
    pub polled: bool,
    /// The JSON answer as bytes, when it is the same for every request of this call's kind
    /// (the model list of a namespace without fine-tuned models): serialised once and sent
    /// as it is, with no generation or serialisation per request. `None` builds the answer.
    pub prebuilt: fn(&Call) -> Option<Bytes>,
    /// Whether `shape` builds the whole JSON answer itself: it then starts from an empty
    /// object instead of a generated instance, so no schema generation runs for the request
    /// and the answer carries only the fields the endpoint puts there (not the optional ones
    /// a generated instance has and the real API does not send). See [`Endpoint::start`].
    pub whole_answer: bool,
}

impl Endpoint {
    /// The schema-driven behaviour: no extra checks, the generated answer as it is, the
    /// spec's streams, and media of the declared type.
    pub const GENERIC: Endpoint = Endpoint {
        ops: &[],
        check: |_| Ok(()),
        content_fields: None,
        shape: |_, _, _| {},
        wants_stream: |call| call.op.stream.is_some() && call.request.wants_stream(),
        stream: |_, _| None,
        typed_stream_errors: false,
        render: |_, _| None,
        bytes: media_of_declared_type,
        continuation: None,
        polled: false,
        prebuilt: |_| None,
        whole_answer: false,
    };

    /// The JSON answer `shape` starts from (`None` when the spec declares no body): an empty
    /// object for an endpoint that builds its [`whole_answer`](Endpoint::whole_answer), else
    /// the generated, reflected instance of the response schema.
    pub fn start<'a>(
        &self,
        catalog: &'a Catalog,
        call: &Call,
        generator: &mut Generator<'a>,
    ) -> Option<Value> {
        if self.whole_answer {
            return call.op.response.schema.map(|_| Value::Object(Map::new()));
        }
        generate::json_response(catalog, call.op, call.request, generator)
    }
}

/// The declared media type's body: the thumbnail variant when `?variant=thumbnail` asks for
/// it (a JPEG for `?variant=spritesheet`, as the real API sends), an SDP answer for WebRTC
/// call creation, else a real file of the type.
fn media_of_declared_type(call: &Call, rng: &mut Rng) -> Media {
    let declared = call.op.response.content_type.as_deref().unwrap_or("");
    if declared == "application/sdp" {
        return Media {
            content_type: "application/sdp",
            bytes: sdp_answer(rng).into_bytes(),
        };
    }
    let wanted = call.request.query.get("variant").and_then(Value::as_str);
    let chosen = match wanted {
        Some("thumbnail") => call
            .op
            .response
            .content_types
            .iter()
            .find(|t| t.starts_with("image/"))
            .map_or(declared, String::as_str),
        Some("spritesheet") => "image/jpeg",
        _ => declared,
    };
    media::for_media_type(chosen)
}

/// A minimal SDP answer for WebRTC call creation.
fn sdp_answer(rng: &mut Rng) -> String {
    let session = rng.next_u64() % 1_000_000_000;
    format!(
        "v=0\r\no=- {session} 2 IN IP4 127.0.0.1\r\ns=openai-mock\r\nt=0 0\r\n\
         a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n\
         a=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n"
    )
}
