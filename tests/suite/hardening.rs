//! Hardening: hostile or broken clients never take the server down or starve other clients.
//!
//! Each test attacks a real `openai-mock` process (so a crash or a stack overflow would show as
//! a dead process) and then checks that `GET /health` still answers. The one exception is the
//! task-leak test, which runs the server in-process to count its connections and the
//! runtime's tasks.

use crate::support::binary::{body_of, chat_body, raw_exchange, status_of, Spawned};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Posts `body` with `content_type` to `path` over a fresh HTTP/1.1 connection.
fn raw_post(server: &Spawned, path: &str, content_type: &str, body: &[u8]) -> String {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    raw_exchange(server.addr("http"), &request)
}

/// Asserts a raw answer is a 4xx carrying the API's error envelope.
fn assert_error_envelope(answer: &str, what: &str) -> serde_json::Value {
    let status = status_of(answer);
    assert!((400..500).contains(&status), "{what}: {answer:?}");
    let body: serde_json::Value = serde_json::from_str(body_of(answer))
        .unwrap_or_else(|e| panic!("{what}: the body is not JSON ({e}): {answer:?}"));
    assert!(body["error"]["message"].is_string(), "{what}: {body}");
    body
}

#[test]
fn malformed_http_is_refused_and_the_server_keeps_serving() {
    let server = Spawned::start(&["--port", "0"], 1);
    let long_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let attacks: Vec<(&str, Vec<u8>)> = vec![
        ("garbage request line", b"GARBAGE\r\n\r\n".to_vec()),
        ("binary junk", (0u8..=255).cycle().take(4096).collect()),
        (
            "unknown HTTP version",
            b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "bad header name",
            b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n".to_vec(),
        ),
        (
            "non-numeric content-length",
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
                .to_vec(),
        ),
        (
            "content-length and chunked together",
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\
              Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .to_vec(),
        ),
        (
            "bad chunk size",
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\
              Transfer-Encoding: chunked\r\n\r\nZZZ\r\nhello\r\n"
                .to_vec(),
        ),
        ("a 1 MiB header", long_header.into_bytes()),
        (
            "HTTP/2 preface then garbage frames",
            [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".as_slice(), &[0xff; 512]].concat(),
        ),
        ("a lone carriage return", b"\r".to_vec()),
    ];
    for (what, bytes) in attacks {
        let answer = raw_exchange(server.addr("http"), &bytes);
        let status = status_of(&answer);
        assert!(
            answer.is_empty() || (400..500).contains(&status) || !answer.starts_with("HTTP/1.1"),
            "{what}: {answer:?}"
        );
        server.assert_healthy();
    }
}

#[tokio::test]
async fn garbage_and_failed_handshakes_on_the_tls_port_leave_https_serving() {
    let server = Spawned::start(&["--port", "0", "--https-port", "0"], 3);
    let tls_addr = server.addr("https");
    let attacks: Vec<(&str, Vec<u8>)> = vec![
        (
            "plain HTTP on the TLS port",
            b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "random bytes",
            (0u8..=255).rev().cycle().take(8192).collect(),
        ),
        (
            "a truncated ClientHello",
            vec![
                0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
            ],
        ),
        (
            "an HTTP/2 preface without TLS",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        ),
    ];
    for (what, bytes) in attacks {
        let answer = tokio::task::spawn_blocking(move || raw_exchange(tls_addr, &bytes))
            .await
            .unwrap();
        assert!(!answer.contains("200 OK"), "{what}: {answer:?}");
    }
    // A client that does not trust the certificate fails its handshake.
    let untrusting = reqwest::Client::new();
    let refused = untrusting
        .get(format!("{}/health", server.https()))
        .send()
        .await;
    assert!(refused.is_err(), "an untrusted certificate was accepted");

    let client = server.tls_client().build().unwrap();
    let response = client
        .get(format!("{}/health", server.https()))
        .send()
        .await
        .expect("https still serves");
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    server.assert_healthy();
}

#[test]
fn slow_clients_are_disconnected_by_the_header_read_timeout() {
    let server = Spawned::start(
        &[
            "--port",
            "0",
            "--https-port",
            "0",
            "--header-read-timeout-secs",
            "1",
        ],
        3,
    );
    // Each client either sends nothing or dribbles bytes; the server must close on it long
    // before the client would have finished (generous bound: 20 s against a 1 s timeout).
    let cases: Vec<(&str, std::net::SocketAddr, Vec<u8>)> = vec![
        ("silent connection", server.addr("http"), Vec::new()),
        (
            "request head one byte at a time (slowloris)",
            server.addr("http"),
            b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: ".repeat(20),
        ),
        (
            "a partial HTTP/2 preface",
            server.addr("http"),
            b"PRI * HT".to_vec(),
        ),
        ("silent TLS connection", server.addr("https"), Vec::new()),
        (
            "a TLS handshake that stops",
            server.addr("https"),
            vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00],
        ),
    ];
    for (what, addr, dribble) in cases {
        let mut stream = TcpStream::connect(addr).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let started = Instant::now();
        let mut sent = 0;
        let closed = loop {
            if started.elapsed() > Duration::from_secs(20) {
                break false;
            }
            if sent < dribble.len() {
                if stream.write_all(&dribble[sent..=sent]).is_err() {
                    break true;
                }
                sent += 1;
            }
            let mut buf = [0u8; 1024];
            match stream.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => break true,
            }
        };
        assert!(closed, "{what}: still open after {:?}", started.elapsed());
        // The slowloris head would take over a minute to send: it must be cut short.
        if dribble.len() > 100 {
            assert!(
                sent < dribble.len(),
                "{what}: the whole dribble was accepted"
            );
        }
        server.assert_healthy();
    }
}

#[test]
fn invalid_utf8_in_path_query_and_body_gets_a_4xx_envelope() {
    let server = Spawned::start(&["--port", "0"], 1);
    let addr = server.addr("http");
    let get = |target: &[u8]| {
        let request = [
            b"GET ".as_slice(),
            target,
            b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\nConnection: close\r\n\r\n",
        ]
        .concat();
        raw_exchange(addr, &request)
    };
    // Raw bytes that are not UTF-8 in the request target: refused by the HTTP parser or
    // answered with an envelope, never a 5xx.
    for target in [b"/v1/models/\xff\xfe".as_slice(), b"/v1/files?limit=\xff"] {
        let answer = get(target);
        let status = status_of(&answer);
        assert!(
            answer.is_empty() || (400..500).contains(&status),
            "{answer:?}"
        );
        server.assert_healthy();
    }
    // Percent-encoded invalid UTF-8 reaches the router (which decodes path ids lossily, so
    // this is answered like any other id) and the validator (which refuses it).
    let answer = get(b"/v1/models/%FF%FE");
    assert!((200..500).contains(&status_of(&answer)), "{answer:?}");
    serde_json::from_str::<serde_json::Value>(body_of(&answer)).expect("a JSON answer");
    assert_error_envelope(&get(b"/v1/files?limit=%FF"), "percent-encoded query");
    assert_error_envelope(
        &get(b"/v1/files?order=%C3%28"),
        "percent-encoded query value",
    );
    server.assert_healthy();

    let json =
        b"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}";
    assert_error_envelope(
        &raw_post(&server, "/v1/chat/completions", "application/json", json),
        "JSON body",
    );
    let boundary = "XyZ";
    let multipart = [
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n")
            .as_bytes(),
        b"\xff\xfe\xfd",
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"a.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n{{}}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    ]
    .concat();
    assert_error_envelope(
        &raw_post(
            &server,
            "/v1/files",
            &format!("multipart/form-data; boundary={boundary}"),
            &multipart,
        ),
        "multipart text field",
    );
    server.assert_healthy();
}

#[test]
fn json_nested_ten_thousand_deep_gets_a_400_without_a_stack_overflow() {
    let server = Spawned::start(&["--port", "0"], 1);
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let bodies = [
        arrays.clone(),
        objects.clone(),
        format!(
            r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"x"}}],"metadata":{arrays}}}"#
        ),
        format!(r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":{objects}}}]}}"#),
    ];
    for body in bodies {
        let answer = raw_post(
            &server,
            "/v1/chat/completions",
            "application/json",
            body.as_bytes(),
        );
        assert_eq!(
            status_of(&answer),
            400,
            "{}",
            &answer[..answer.len().min(400)]
        );
        assert_error_envelope(&answer, "deep JSON");
        server.assert_healthy();
    }
}

#[test]
fn a_100_mb_body_gets_a_413_early_and_memory_stays_bounded() {
    const HUNDRED_MB: usize = 100 * 1024 * 1024;
    let server = Spawned::start(&["--port", "0"], 1);
    server.assert_healthy();
    // The validators compile in the background after startup: let memory settle first.
    let mut last = 0;
    for _ in 0..150 {
        std::thread::sleep(Duration::from_millis(200));
        let now = server.memory_kib("VmRSS").unwrap_or(0);
        if now.abs_diff(last) < 256 {
            break;
        }
        last = now;
    }
    let baseline_kib = server.memory_kib("VmHWM");

    // Declared length: answered before the body is sent at all.
    let mut stream = TcpStream::connect(server.addr("http")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: application/json\r\nContent-Length: {HUNDRED_MB}\r\n\r\n"
    )
    .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).expect("an answer before the body");
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert!(answer.contains("Request body too large"), "{answer}");
    drop(stream);
    server.assert_healthy();

    // Chunked, so no length is declared: the server stops reading at the limit.
    let mut stream = TcpStream::connect(server.addr("http")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut reader = stream.try_clone().unwrap();
    let read = std::thread::spawn(move || {
        let mut answer = Vec::new();
        let _ = reader.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    });
    write!(
        stream,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    let mut sent = 0;
    while sent < HUNDRED_MB {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&framed).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let answer = read.join().unwrap();
    assert_eq!(
        status_of(&answer),
        413,
        "{}",
        &answer[..answer.len().min(300)]
    );
    assert!(
        sent < HUNDRED_MB,
        "the server read all {sent} bytes before answering"
    );
    server.assert_healthy();

    // Peak memory grew by at most the 64 MiB limit plus slack, not by the 100 MB body.
    if let (Some(before), Some(after)) = (baseline_kib, server.memory_kib("VmHWM")) {
        let grown_mib = (after.saturating_sub(before)) / 1024;
        eprintln!("peak memory: {before} KiB before the 100 MB bodies, {after} KiB after");
        assert!(grown_mib < 96, "peak memory grew by {grown_mib} MiB");
    }
}

#[test]
fn a_large_upload_refused_before_its_body_is_read_still_gets_its_answer() {
    // An unknown path (404) and a missing key (401) are refused before the body is needed;
    // the server must still read the upload, so the client sees the answer, not a broken pipe.
    let server = Spawned::start(&["--port", "0"], 1);
    let body = vec![b'x'; 32 << 20];
    for (path, auth, status) in [
        (
            "/v1/no_such_uploads",
            "Authorization: Bearer sk-test\r\n",
            404,
        ),
        ("/v1/files", "", 401),
    ] {
        let mut stream = TcpStream::connect(server.addr("http")).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: multipart/form-data; \
             boundary=b\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream
            .write_all(&body)
            .unwrap_or_else(|e| panic!("{path}: the upload was cut off: {e}"));
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(status_of(&answer), status, "{path}: {answer:?}");
        assert_error_envelope(&answer, path);
    }
}

#[test]
fn a_multipart_body_with_ten_thousand_parts_gets_a_400() {
    let server = Spawned::start(&["--port", "0"], 1);
    let boundary = "b0undary";
    let mut body = String::new();
    for i in 0..10_000 {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"field{i}\"\r\n\r\nv\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let answer = raw_post(
        &server,
        "/v1/files",
        &format!("multipart/form-data; boundary={boundary}"),
        body.as_bytes(),
    );
    assert_eq!(status_of(&answer), 400, "{answer}");
    let error = assert_error_envelope(&answer, "10,000 parts");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("parts"),
        "{error}"
    );
    server.assert_healthy();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_do_not_slow_other_clients() {
    // A long header-read timeout, so the idle connections stay open while we measure.
    let server = Spawned::start(&["--port", "0", "--header-read-timeout-secs", "120"], 1);
    let url = format!("{}/v1/models", server.http());
    let client = reqwest::Client::new();
    let median_latency = || async {
        let mut samples = Vec::new();
        for _ in 0..25 {
            let started = Instant::now();
            let response = client
                .get(&url)
                .bearer_auth("sk-test")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap();
            samples.push(started.elapsed());
        }
        samples.sort();
        samples[samples.len() / 2]
    };
    median_latency().await; // warm up
    let before = median_latency().await;

    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(
            tokio::net::TcpStream::connect(server.addr("http"))
                .await
                .unwrap(),
        );
    }
    // The server holds them all, once its accept loop has taken them from the backlog
    // (a connect completes in the kernel before the server accepts it).
    let fd_dir = format!("/proc/{}/fd", server.child.id());
    let open_descriptors = || std::fs::read_dir(&fd_dir).map(Iterator::count).ok();
    if open_descriptors().is_some() {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut open = open_descriptors().unwrap_or(0);
        while open < 1000 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            open = open_descriptors().unwrap_or(0);
        }
        assert!(open >= 1000, "the server holds only {open} descriptors");
    }
    let during = median_latency().await;
    eprintln!("median GET /v1/models: {before:?} alone, {during:?} beside 1,000 idle connections");
    // Generous: exact numbers belong in the benchmarks.
    let allowed = before * 10 + Duration::from_millis(25);
    assert!(
        during <= allowed,
        "median latency {during:?} with 1,000 idle connections, {before:?} without"
    );
    drop(idle);
    server.assert_healthy();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disconnecting_mid_stream_leaves_no_task_behind() {
    let server = openai_mock::MockServer::start().await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let baseline_tasks = metrics.num_alive_tasks();
    let addr = server.address();
    let body = serde_json::to_vec(&chat_body(true)).unwrap();

    for _ in 0..20 {
        // HTTP/1.1: read the head and a few bytes of the stream, then vanish.
        let head = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body).await.unwrap();
        let mut first = [0u8; 64];
        let n = stream.read(&mut first).await.unwrap();
        assert!(first[..n].starts_with(b"HTTP/1.1 200"));
        drop(stream);

        // Mid-upload: half a body, then gone.
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body[..body.len() / 2]).await.unwrap();
        drop(stream);
    }
    // HTTP/2: streams cancelled after their first chunk, then the connection dropped.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for _ in 0..20 {
        let mut response = h2
            .post(format!("{}/chat/completions", server.base_url()))
            .bearer_auth("sk-test")
            .json(&chat_body(true))
            .send()
            .await
            .unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        let _first = response.chunk().await.unwrap();
        drop(response);
    }
    drop(h2);

    let deadline = Instant::now() + Duration::from_secs(20);
    while (server.open_connections() > 0 || metrics.num_alive_tasks() > baseline_tasks)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.open_connections(), 0, "connections left open");
    assert_eq!(
        metrics.num_alive_tasks(),
        baseline_tasks,
        "tasks outlived their clients"
    );
    let health = reqwest::get(format!("{}/health", server.uri()))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}
