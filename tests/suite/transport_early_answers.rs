//! Answers sent before the request body is read (404, 405, 401, 413, `/__mock/…`) never
//! break an HTTP/1.1 keep-alive connection: within `--max-body-bytes` the server reads and
//! discards the rest of the body first; past it, it answers with `Connection: close` and
//! closes cleanly (the client reads the whole answer, then end of stream, never a reset).
//!
//! Every test drives one raw `TcpStream` by hand, so a server that closes the connection
//! makes the next write or read fail.

use openai_mock::{Config, MockServer};
use serde_json::Value;
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The multipart boundary of every upload here.
const BOUNDARY: &str = "early-answer-boundary";

/// One answer read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// The `error` object of the OpenAI envelope (panics when the body is not one).
    fn error(&self) -> Value {
        let body: Value = serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&self.body));
        });
        let error = body["error"].clone();
        for field in ["message", "type", "param", "code"] {
            assert!(error.get(field).is_some(), "no {field} in {body}");
        }
        error
    }
}

/// One HTTP/1.1 connection written by hand (or its read half).
struct Connection<S> {
    stream: BufReader<S>,
}

impl Connection<TcpStream> {
    async fn open(addr: SocketAddr) -> Connection<TcpStream> {
        let stream = TcpStream::connect(addr).await.expect("connects");
        stream.set_nodelay(true).expect("nodelay");
        Connection {
            stream: BufReader::new(stream),
        }
    }

    /// Writes a request (head, then the whole body) and reads its answer.
    async fn exchange(&mut self, head: &str, body: &[u8], round: usize) -> Answer {
        let stream = self.stream.get_mut();
        if let Err(e) = stream.write_all(head.as_bytes()).await {
            panic!("round {round}: writing the head failed: {e}");
        }
        if let Err(e) = stream.write_all(body).await {
            panic!("round {round}: writing the body failed (the connection broke): {e}");
        }
        match self.read_answer().await {
            Ok(answer) => answer,
            Err(e) => panic!("round {round}: reading the answer failed: {e}"),
        }
    }
}

impl<S: AsyncRead + Unpin> Connection<S> {
    /// Reads one answer with a `content-length` body.
    async fn read_answer(&mut self) -> std::io::Result<Answer> {
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        if line.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection instead of answering",
            ));
        }
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').expect("a header line");
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        let mut answer = Answer {
            status,
            headers,
            body: Vec::new(),
        };
        let length: usize = match answer.status {
            204 | 304 => 0,
            _ => answer
                .header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no content-length: {answer:?}")),
        };
        answer.body = vec![0; length];
        self.stream.read_exact(&mut answer.body).await?;
        Ok(answer)
    }

    /// Reads what follows an answer: `Ok(0)` is a clean end of stream.
    async fn read_rest(&mut self) -> std::io::Result<usize> {
        let mut rest = Vec::new();
        self.stream.read_to_end(&mut rest).await
    }
}

/// A `multipart/form-data` upload with a `purpose` field and a `file` of `size` bytes.
fn multipart(size: usize) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend((0..size).map(|i| b"abcdefghijklmnopqrstuvwxyz\n"[i % 27]));
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").into_bytes());
    body
}

/// The head of a multipart request of `length` bytes, with `extra` header lines.
fn head(method: &str, path: &str, length: usize, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {length}\r\n{extra}\r\n"
    )
}

async fn server_with(config: Config) -> MockServer {
    MockServer::builder()
        .config(Config { port: 0, ..config })
        .start()
        .await
}

#[tokio::test]
async fn two_hundred_uploads_to_an_unknown_path_get_404s_on_one_connection() {
    let server = server_with(Config::default()).await;
    let body = multipart(3 * 1024 * 1024);
    let head = head(
        "POST",
        "/v1/nope/upload",
        body.len(),
        "Authorization: Bearer sk-test\r\n",
    );
    let mut connection = Connection::open(server.address()).await;
    for round in 0..200 {
        let answer = connection.exchange(&head, &body, round).await;
        assert_eq!(answer.status, 404, "round {round}: {answer:?}");
        assert!(!answer.closes(), "round {round}: {answer:?}");
        let error = answer.error();
        assert_eq!(error["message"], "Invalid URL (POST /v1/nope/upload)");
        assert_eq!(error["type"], "invalid_request_error");
        assert!(answer.header("x-request-id").is_some());
    }
    assert_eq!(server.open_connections(), 1);
    let requests = server.received_requests();
    assert_eq!(requests.len(), 200);
    assert!(requests.iter().all(|r| r.status == 404));
}

#[tokio::test]
async fn wrong_and_missing_keys_get_401s_on_one_connection() {
    let server = MockServer::builder().api_key("sk-right").start().await;
    let body = multipart(2 * 1024 * 1024);
    let wrong = head(
        "POST",
        "/v1/files",
        body.len(),
        "Authorization: Bearer sk-wrong-key-123\r\n",
    );
    let missing = head("POST", "/v1/files", body.len(), "");
    let mut connection = Connection::open(server.address()).await;
    for round in 0..40 {
        let answer = connection.exchange(&wrong, &body, round).await;
        assert_eq!(answer.status, 401, "round {round}: {answer:?}");
        assert!(!answer.closes(), "round {round}: {answer:?}");
        assert_eq!(answer.error()["code"], "invalid_api_key");

        let answer = connection.exchange(&missing, &body, round).await;
        assert_eq!(answer.status, 401, "round {round}: {answer:?}");
        assert!(!answer.closes(), "round {round}: {answer:?}");
        let error = answer.error();
        assert_eq!(error["code"], Value::Null);
        assert!(error["message"]
            .as_str()
            .unwrap()
            .starts_with("You didn't provide an API key."));
    }
    assert_eq!(server.open_connections(), 1);
}

#[tokio::test]
async fn a_wrong_method_gets_405s_on_one_connection() {
    let server = server_with(Config::default()).await;
    let body = multipart(2 * 1024 * 1024);
    let head = head(
        "PUT",
        "/v1/files",
        body.len(),
        "Authorization: Bearer sk-test\r\n",
    );
    let mut connection = Connection::open(server.address()).await;
    for round in 0..40 {
        let answer = connection.exchange(&head, &body, round).await;
        assert_eq!(answer.status, 405, "round {round}: {answer:?}");
        assert!(!answer.closes(), "round {round}: {answer:?}");
        let error = answer.error();
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid method for URL (PUT /v1/files)"),
            "{error}"
        );
        assert_eq!(error["type"], "invalid_request_error");
    }
    assert_eq!(server.open_connections(), 1);
}

#[tokio::test]
async fn chunked_uploads_and_control_calls_keep_the_connection() {
    let server = server_with(Config::default()).await;
    let upload = multipart(1024 * 1024);
    let mut chunked = Vec::new();
    for piece in upload.chunks(100_000) {
        chunked.extend(format!("{:x}\r\n", piece.len()).into_bytes());
        chunked.extend(piece);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    let chunked_head = format!(
        "POST /v1/nope/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    // `/__mock/reset` takes no body, so it answers without reading this one.
    let reset_head = head("POST", "/__mock/reset", upload.len(), "");
    let mut connection = Connection::open(server.address()).await;
    for round in 0..20 {
        let answer = connection.exchange(&chunked_head, &chunked, round).await;
        assert_eq!(answer.status, 404, "round {round}: {answer:?}");
        assert!(!answer.closes(), "round {round}: {answer:?}");
        assert_eq!(answer.error()["type"], "invalid_request_error");

        let answer = connection.exchange(&reset_head, &upload, round).await;
        assert_eq!(answer.status, 200, "round {round}: {answer:?}");
        assert!(!answer.closes(), "round {round}: {answer:?}");
    }
    assert_eq!(server.open_connections(), 1);
}

#[tokio::test]
async fn fault_rules_answer_uploads_on_one_connection() {
    let server = server_with(Config::default()).await;
    server
        .rules(
            "rules:\n  - match: {endpoint: /files}\n    reply:\n      error: {status: 503, \
             type: server_error, message: overloaded on purpose}\n",
        )
        .unwrap();
    let body = multipart(2 * 1024 * 1024);
    let head = head(
        "POST",
        "/v1/files",
        body.len(),
        "Authorization: Bearer sk-test\r\n",
    );
    let mut connection = Connection::open(server.address()).await;
    for round in 0..20 {
        let answer = connection.exchange(&head, &body, round).await;
        assert_eq!(answer.status, 503, "round {round}: {answer:?}");
        assert!(!answer.closes(), "round {round}: {answer:?}");
        assert_eq!(answer.error()["message"], "overloaded on purpose");
    }
    assert_eq!(server.open_connections(), 1);
}

#[tokio::test]
async fn cors_preflights_keep_the_connection_unless_they_carry_a_body() {
    let server = server_with(Config::default()).await;
    let preflight = |length: usize| {
        format!(
            "OPTIONS /v1/files HTTP/1.1\r\nHost: localhost\r\nOrigin: https://app.example\r\n\
             Access-Control-Request-Method: POST\r\nContent-Length: {length}\r\n\r\n"
        )
    };
    let mut connection = Connection::open(server.address()).await;
    for round in 0..5 {
        let answer = connection.exchange(&preflight(0), b"", round).await;
        assert_eq!(answer.status, 204, "round {round}: {answer:?}");
        assert!(!answer.closes(), "round {round}: {answer:?}");
    }
    // A body on a preflight is not read: the answer closes the connection, cleanly.
    let body = vec![b'x'; 64 * 1024];
    let answer = connection.exchange(&preflight(body.len()), &body, 5).await;
    assert_eq!(answer.status, 204, "{answer:?}");
    assert!(answer.closes(), "{answer:?}");
    assert_eq!(connection.read_rest().await.expect("a clean close"), 0);
}

#[tokio::test]
async fn a_declared_body_over_the_limit_gets_its_413_then_a_clean_close() {
    const LIMIT: usize = 256 * 1024;
    let server = server_with(Config {
        max_body_bytes: LIMIT,
        ..Config::default()
    })
    .await;
    let body = multipart(8 * 1024 * 1024);
    let head = head(
        "POST",
        "/v1/files",
        body.len(),
        "Authorization: Bearer sk-test\r\n",
    );
    let (mut connection, writer) = send_while_reading(&server, head, body).await;
    let answer = connection
        .read_answer()
        .await
        .expect("the whole 413 answer");
    assert_eq!(answer.status, 413, "{answer:?}");
    assert!(answer.closes(), "{answer:?}");
    let error = answer.error();
    assert_eq!(
        error["message"],
        format!("Request body too large: the limit is {LIMIT} bytes.")
    );
    assert_eq!(error["type"], "invalid_request_error");
    // Then a clean end of stream: no further bytes, no reset.
    assert_eq!(connection.read_rest().await.expect("a clean close"), 0);
    // The body the client went on sending was absorbed, not refused with a reset.
    let write = writer.await.unwrap().expect("the whole body is written");
    drop(write);
}

#[tokio::test]
async fn a_chunked_body_past_the_limit_gets_its_answer_then_a_clean_close() {
    const LIMIT: usize = 256 * 1024;
    let server = server_with(Config {
        max_body_bytes: LIMIT,
        ..Config::default()
    })
    .await;
    let upload = multipart(8 * 1024 * 1024);
    let mut body = Vec::new();
    for piece in upload.chunks(64 * 1024) {
        body.extend(format!("{:x}\r\n", piece.len()).into_bytes());
        body.extend(piece);
        body.extend(b"\r\n");
    }
    body.extend(b"0\r\n\r\n");
    let head = format!(
        "POST /v1/nope/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    let (mut connection, writer) = send_while_reading(&server, head, body).await;
    let answer = connection
        .read_answer()
        .await
        .expect("the whole 404 answer");
    // Past the limit the body is not drained: the unknown path is still answered, and the
    // connection closes after it.
    assert_eq!(answer.status, 404, "{answer:?}");
    assert!(answer.closes(), "{answer:?}");
    assert_eq!(
        answer.error()["message"],
        "Invalid URL (POST /v1/nope/upload)"
    );
    assert_eq!(connection.read_rest().await.expect("a clean close"), 0);
    drop(writer.await.unwrap().expect("the whole body is written"));
}

#[tokio::test]
async fn an_early_answer_to_expect_100_continue_closes_without_asking_for_the_body() {
    let server = server_with(Config::default()).await;
    let mut connection = Connection::open(server.address()).await;
    let head = head(
        "POST",
        "/v1/nope/upload",
        3 * 1024 * 1024,
        "Authorization: Bearer sk-test\r\nExpect: 100-continue\r\n",
    );
    connection
        .stream
        .get_mut()
        .write_all(head.as_bytes())
        .await
        .unwrap();
    let answer = connection.read_answer().await.expect("an answer");
    assert_eq!(answer.status, 404, "{answer:?}");
    assert!(answer.closes(), "{answer:?}");
    assert_eq!(connection.read_rest().await.expect("a clean close"), 0);
}

/// Opens a connection and sends `head` and `body` from a task of their own, so the client
/// writes its whole body while it reads the answer, as HTTP clients do. The task gives the
/// write half back, or the error that cut the upload short.
async fn send_while_reading(
    server: &MockServer,
    head: String,
    body: Vec<u8>,
) -> (
    Connection<tokio::net::tcp::OwnedReadHalf>,
    tokio::task::JoinHandle<std::io::Result<tokio::net::tcp::OwnedWriteHalf>>,
) {
    let stream = TcpStream::connect(server.address()).await.unwrap();
    let (read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        write.write_all(&body).await?;
        write.flush().await?;
        Ok::<_, std::io::Error>(write)
    });
    let connection = Connection {
        stream: BufReader::new(read),
    };
    (connection, writer)
}
