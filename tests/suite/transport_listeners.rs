//! Listeners: HTTP/1.1 and h2c on the plain port, h2 and HTTP/1.1 over TLS, the startup
//! lines, user-supplied certificates and graceful shutdown on signals.

use crate::support::binary::{chat_body, Spawned};
use std::process::Command;
use std::time::Duration;

/// Runs curl with `args`, returning (HTTP version, status, body); `None` without curl.
fn curl(args: &[&str]) -> Option<(String, u16, String)> {
    let output = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "-H",
            "Authorization: Bearer sk-test",
        ])
        .args(["-w", "\n%{http_version} %{http_code}"])
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (body, last) = text.rsplit_once('\n').expect("the -w line");
    let (version, status) = last.split_once(' ').expect("version and status");
    Some((
        version.to_string(),
        status.parse().unwrap(),
        body.to_string(),
    ))
}

#[test]
fn curl_gets_200_over_h2c_h2_and_http1_over_tls() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl is not installed; the reqwest tests below cover the same ground");
        return;
    }
    let server = Spawned::start(&["--port", "0", "--https-port", "0"], 3);
    let cert = server.cert_path();
    let cert = cert.to_str().unwrap();
    let plain = format!("{}/v1/models", server.http());
    let tls = format!("{}/v1/models", server.https());
    let tls_by_name = tls.replace("127.0.0.1", "localhost");

    let cases: [(&[&str], &str, &str); 4] = [
        (&["--http2-prior-knowledge"], plain.as_str(), "2"),
        (&["--cacert", cert, "--http2"], tls.as_str(), "2"),
        (&["--cacert", cert, "--http2"], tls_by_name.as_str(), "2"),
        (&["--cacert", cert, "--http1.1"], tls.as_str(), "1.1"),
    ];
    for (flags, url, version) in cases {
        let mut args = flags.to_vec();
        args.push(url);
        let (got_version, status, body) = curl(&args).expect("curl runs");
        assert_eq!(
            (got_version.as_str(), status),
            (version, 200),
            "{args:?}: {body}"
        );
        let models: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(models["object"], "list");
    }
}

#[tokio::test]
async fn reqwest_speaks_h2c_h2_and_http1_and_streams_over_each() {
    let server = Spawned::start(&["--port", "0", "--https-port", "0"], 3);
    let h2c = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let h2 = server.tls_client().build().unwrap();
    let h1_tls = server.tls_client().http1_only().build().unwrap();
    let h1 = reqwest::Client::new();
    let cases = [
        (&h2c, server.http(), reqwest::Version::HTTP_2),
        (&h2, server.https(), reqwest::Version::HTTP_2),
        (&h1_tls, server.https(), reqwest::Version::HTTP_11),
        (&h1, server.http(), reqwest::Version::HTTP_11),
    ];
    for (client, root, version) in cases {
        let response = client
            .post(format!("{root}/v1/chat/completions"))
            .bearer_auth("sk-test")
            .json(&chat_body(true))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{root} {version:?}");
        assert_eq!(response.version(), version, "{root}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let text = response.text().await.unwrap();
        assert!(text.contains("chat.completion.chunk"), "{text}");
        assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    }
}

#[test]
fn the_first_stdout_lines_state_the_bound_addresses() {
    let server = Spawned::start(&["--port", "0", "--https-port", "0"], 3);
    let [http, https, cert] = &server.lines[..] else {
        panic!("{:?}", server.lines)
    };
    assert!(http.starts_with("listening http://127.0.0.1:"), "{http}");
    assert!(https.starts_with("listening https://127.0.0.1:"), "{https}");
    assert!(cert.starts_with("tls-cert /"), "{cert}");
    assert_ne!(server.addr("http").port(), 0);
    assert_ne!(server.addr("https").port(), 0);
    assert!(server.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));

    let https_only = Spawned::start(&["--http", "false", "--https-port", "0"], 2);
    assert!(
        https_only.lines[0].starts_with("listening https://"),
        "{:?}",
        https_only.lines
    );
    assert!(
        https_only.lines[1].starts_with("tls-cert "),
        "{:?}",
        https_only.lines
    );

    let http_only = Spawned::start(&["--port", "0"], 1);
    assert!(http_only.lines[0].starts_with("listening http://"));
}

#[test]
fn serving_nothing_or_a_taken_port_fails_with_a_clear_message() {
    let output = Command::new(crate::support::binary::BIN)
        .args(["--http", "false"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing to serve"));

    let server = Spawned::start(&["--port", "0"], 1);
    let port = server.addr("http").port().to_string();
    let output = Command::new(crate::support::binary::BIN)
        .args(["--port", &port])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen for http on 127.0.0.1:{port}")),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_supplied_certificate_and_key_are_served() {
    let dir = std::env::temp_dir().join(format!("openai-mock-user-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();

    let server = Spawned::start(
        &[
            "--http",
            "false",
            "--https-port",
            "0",
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
        2,
    );
    assert_eq!(
        server.cert_path(),
        cert_path,
        "the supplied certificate's path is printed"
    );
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let url = format!("{}/health", server.https()).replace("127.0.0.1", "localhost");
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    drop(server);
    assert!(
        cert_path.exists(),
        "a supplied certificate is left in place"
    );

    // A key without its certificate is refused at startup.
    let output = Command::new(crate::support::binary::BIN)
        .args(["--port", "0", "--https-port", "0", "--tls-key"])
        .arg(&key_path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--tls-key needs --tls-cert"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_generated_certificate_can_be_written_where_asked() {
    let out = std::env::temp_dir().join(format!("openai-mock-out-{}.pem", std::process::id()));
    let server = Spawned::start(
        &[
            "--port",
            "0",
            "--https-port",
            "0",
            "--tls-cert-out",
            out.to_str().unwrap(),
        ],
        3,
    );
    assert_eq!(server.cert_path(), out);
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    drop(server);
    let _ = std::fs::remove_file(&out);
}

#[test]
fn sigterm_and_sigint_drain_in_flight_requests_then_exit_0() {
    use std::io::{Read, Write};
    for signal in ["TERM", "INT"] {
        let mut server = Spawned::start(&["--port", "0", "--https-port", "0"], 3);
        let cert = server.cert_path();
        // A request in flight: head and half the body sent.
        let body = serde_json::to_vec(&chat_body(false)).unwrap();
        let mut stream = std::net::TcpStream::connect(server.addr("http")).unwrap();
        write!(
            stream,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(&body[..10]).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        server.signal(signal);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "SIG{signal}: exited with a request in flight"
        );
        stream.write_all(&body[10..]).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "SIG{signal}: {answer}");
        let status = server
            .wait_exit(Duration::from_secs(20))
            .expect("the server exits after draining");
        assert!(
            status.success(),
            "SIG{signal}: {status:?}\n{}",
            server.final_stderr()
        );
        assert!(!cert.exists(), "the generated certificate was left behind");
    }
}

#[test]
fn the_drain_is_bounded_by_the_shutdown_timeout() {
    use std::io::Write;
    let mut server = Spawned::start(&["--port", "0", "--shutdown-timeout-secs", "1"], 1);
    // A request that never completes its body.
    let mut stream = std::net::TcpStream::connect(server.addr("http")).unwrap();
    write!(
        stream,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("TERM");
    let status = server
        .wait_exit(Duration::from_secs(20))
        .expect("the server gives up on the stuck request and exits");
    assert!(status.success(), "{status:?}");
    let stderr = server.final_stderr();
    assert!(stderr.contains("drain deadline passed"), "{stderr}");
}

#[tokio::test]
async fn the_generated_certificate_is_valid_for_ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here; skipping");
        return;
    }
    let server = Spawned::start(&["--host", "::1", "--port", "0", "--https-port", "0"], 3);
    assert!(
        server.https().starts_with("https://[::1]:"),
        "{}",
        server.https()
    );
    let response = server
        .tls_client()
        .build()
        .unwrap()
        .get(format!("{}/health", server.https()))
        .send()
        .await
        .expect("the certificate names ::1");
    assert_eq!(response.status(), 200);
}
