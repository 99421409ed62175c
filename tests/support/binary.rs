//! Runs the `openai-mock` binary built by this `cargo test` on ephemeral ports, reads the
//! addresses it prints, and talks to it with raw sockets or reqwest.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_openai-mock");

/// A running `openai-mock` process, killed on drop.
pub struct Spawned {
    pub child: Child,
    /// The stdout lines it printed at startup.
    pub lines: Vec<String>,
    /// Everything it wrote to stderr so far.
    stderr: Arc<Mutex<String>>,
    /// Set when stderr reached its end (the process exited).
    stderr_closed: Arc<AtomicBool>,
}

impl Spawned {
    /// Starts the binary with `args` (no `OPENAI_MOCK_*` variables from the caller's
    /// environment) and reads `startup_lines` stdout lines.
    pub fn start(args: &[&str], startup_lines: usize) -> Spawned {
        Spawned::start_with_env(args, &[], startup_lines)
    }

    /// Like [`Spawned::start`], with extra environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)], startup_lines: usize) -> Spawned {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars() {
            if name.starts_with("OPENAI_MOCK_") {
                command.env_remove(name);
            }
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the binary starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        let stderr_closed = Arc::new(AtomicBool::new(false));
        let closed = stderr_closed.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            closed.store(true, Ordering::SeqCst);
        });
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut lines = Vec::new();
        for _ in 0..startup_lines {
            let mut line = String::new();
            out.read_line(&mut line).expect("stdout readable");
            if line.is_empty() {
                let _ = child.wait();
                panic!(
                    "openai-mock {args:?} exited before printing its addresses; stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
            lines.push(line.trim_end().to_string());
        }
        // Keep draining stdout so the process never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = out.read_to_end(&mut sink);
        });
        Spawned {
            child,
            lines,
            stderr,
            stderr_closed,
        }
    }

    /// The URL of the `listening` line with this scheme (`http` or `https`).
    pub fn url(&self, scheme: &str) -> String {
        let prefix = format!("listening {scheme}://");
        self.lines
            .iter()
            .find_map(|l| {
                l.strip_prefix("listening ")
                    .filter(|_| l.starts_with(&prefix))
            })
            .unwrap_or_else(|| panic!("no {scheme} listener in {:?}", self.lines))
            .to_string()
    }

    /// The plain-HTTP root URL.
    pub fn http(&self) -> String {
        self.url("http")
    }

    /// The HTTPS root URL.
    pub fn https(&self) -> String {
        self.url("https")
    }

    /// The socket address of a listener.
    pub fn addr(&self, scheme: &str) -> SocketAddr {
        let url = self.url(scheme);
        url.split("://")
            .nth(1)
            .unwrap()
            .parse()
            .expect("a socket address")
    }

    /// The certificate path from the `tls-cert` line.
    pub fn cert_path(&self) -> PathBuf {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix("tls-cert "))
            .unwrap_or_else(|| panic!("no tls-cert line in {:?}", self.lines))
            .into()
    }

    /// The certificate PEM.
    pub fn cert_pem(&self) -> String {
        std::fs::read_to_string(self.cert_path()).expect("the certificate file exists")
    }

    /// A reqwest client trusting the generated certificate.
    pub fn tls_client(&self) -> reqwest::ClientBuilder {
        let cert = reqwest::Certificate::from_pem(self.cert_pem().as_bytes()).expect("PEM");
        reqwest::Client::builder().add_root_certificate(cert)
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits up to 10 s for stderr to contain `needle`; returns all of stderr either way.
    pub fn stderr_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.stderr();
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// All of stderr, once the process has exited and the pipe is drained (up to 10 s).
    pub fn final_stderr(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.stderr_closed.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stderr()
    }

    /// Sends a signal (`TERM`, `INT`, ...) to the process.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit, up to `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A kernel-reported memory figure of the process in KiB (`VmRSS`, `VmHWM`), on Linux.
    pub fn memory_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Asserts the server still answers `GET /health` over plain HTTP.
    pub fn assert_healthy(&self) {
        let addr = self.addr("http");
        let response = raw_exchange(
            addr,
            b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert!(
            response.starts_with("HTTP/1.1 200") && response.ends_with(r#"{"status":"ok"}"#),
            "/health after the attack answered: {response:?}\nstderr:\n{}",
            self.stderr()
        );
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `request` on a fresh connection and returns everything the server answered until it
/// closed the connection (or 10 s passed).
pub fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status code of a raw HTTP/1.1 answer (`0` when there is none).
pub fn status_of(answer: &str) -> u16 {
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// The body of a raw HTTP/1.1 answer without chunked encoding.
pub fn body_of(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

/// A chat completion request body.
pub fn chat_body(stream: bool) -> serde_json::Value {
    serde_json::json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Say hello"}],
        "stream": stream,
    })
}
