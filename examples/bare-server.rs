//! The bare reference server for `bench/load.sh`: the ceiling of this HTTP stack.
//!
//! It runs on the same stack as openai-mock (poem's `Server` over a tokio multi-thread
//! runtime, HTTP/1.1 and h2c on one port), reads every request body in full, and answers
//! every request with the same fixed 1.3 KB chat-completion JSON. Everything openai-mock
//! does on top of that (routing, auth, validation, generation, behaviour, headers, logs)
//! is what the load script's "ratio" column measures.
//!
//! ```text
//! cargo run --release --example bare-server -- [PORT]     # PORT 0 (default) picks a free one
//! ```
//!
//! Like openai-mock, the first stdout line is `listening http://ADDR`.

use poem::http::{header, StatusCode};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Body, Endpoint, Request, Response, Server};
use std::io::Write;
use std::net::SocketAddr;

/// The fixed answer: a realistic non-streamed chat completion of about 1.3 KB.
const CHAT_COMPLETION: &str = r#"{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"The image shows a wooden boardwalk path running through a lush green field or meadow. The sky is bright blue with some scattered clouds, giving the scene a serene and peaceful atmosphere. Trees and shrubs are visible in the background. The boardwalk invites a walk through the tall grass, and the light suggests a late afternoon in summer, with long soft shadows and warm colours across the whole landscape.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1117,"completion_tokens":46,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_fc9f1d7035","metadata":{"benchmark":"bare reference server","purpose":"the ceiling of the poem and hyper stack on this machine","padding":"............................................................................................................................................................................................................."}}"#;

/// Reads the body and answers with [`CHAT_COMPLETION`].
struct Bare;

impl Endpoint for Bare {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let _body = req.take_body().into_bytes().await?;
        Ok(Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_bytes(bytes::Bytes::from_static(
                CHAT_COMPLETION.as_bytes(),
            ))))
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|e| std::io::Error::other(format!("bad port {arg:?}: {e}")))?,
        None => 0,
    };
    let acceptor = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .into_acceptor()
        .await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the listener has no socket address"))?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening http://{addr}")?;
    stdout.flush()?;
    Server::new_with_acceptor(acceptor).run(Bare).await
}

#[cfg(test)]
mod tests {
    use super::CHAT_COMPLETION;

    #[test]
    fn the_fixed_answer_is_a_1_3_kb_chat_completion() {
        let value: serde_json::Value = serde_json::from_str(CHAT_COMPLETION).unwrap();
        assert_eq!(value["object"], "chat.completion");
        assert!(
            (1250..=1400).contains(&CHAT_COMPLETION.len()),
            "{}",
            CHAT_COMPLETION.len()
        );
    }
}
