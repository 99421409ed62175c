//! The state file (`--state-file`) through the binary: what a clean shutdown and a `kill -9`
//! keep, and how a file that cannot be used stops the server without being touched. Also the
//! store's limits, through an in-process server.

use crate::support::binary::{Spawned, BIN};
use openai_mock::{Config, MockServer};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A fresh path for a state file named `name` (nothing there yet).
fn state_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("openai-mock-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn start(path: &Path) -> Spawned {
    let file = path.to_str().unwrap();
    Spawned::start(&["--port", "0", "--state-file", file], 1)
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Uploads `content` as `name`; the file object.
async fn upload(server: &Spawned, name: &str, content: &[u8]) -> Value {
    let form = reqwest::multipart::Form::new()
        .text("purpose", "assistants")
        .part(
            "file",
            reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_string()),
        );
    client()
        .post(format!("{}/v1/files", server.http()))
        .bearer_auth("sk-state")
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get(server: &Spawned, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}/v1{path}", server.http()))
        .bearer_auth("sk-state")
        .send()
        .await
        .unwrap()
}

/// The file as the restarted server has it: its object and its bytes.
async fn kept(server: &Spawned, id: &str) -> (Value, Vec<u8>) {
    let object = get(server, &format!("/files/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let bytes = get(server, &format!("/files/{id}/content"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    (object, bytes)
}

#[tokio::test]
async fn a_clean_shutdown_keeps_everything() {
    let path = state_path("clean.sqlite");
    let mut server = start(&path);
    let first = upload(&server, "one.txt", b"first file").await;
    let second = upload(&server, "two.bin", &[0, 159, 146, 150]).await;
    let deleted = upload(&server, "three.txt", b"deleted").await;
    let id = deleted["id"].as_str().unwrap();
    let answer = client()
        .delete(format!("{}/v1/files/{id}", server.http()))
        .bearer_auth("sk-state")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(15)).is_some());

    let server = start(&path);
    assert_eq!(
        kept(&server, first["id"].as_str().unwrap()).await,
        (first.clone(), b"first file".to_vec())
    );
    assert_eq!(
        kept(&server, second["id"].as_str().unwrap()).await,
        (second.clone(), vec![0, 159, 146, 150])
    );
    assert_eq!(get(&server, &format!("/files/{id}")).await.status(), 404);
    let listed: Value = get(&server, "/files?order=asc").await.json().await.unwrap();
    assert_eq!(listed["data"], serde_json::json!([first, second]));
}

#[tokio::test]
async fn kill_9_loses_at_most_the_last_second() {
    let path = state_path("killed.sqlite");
    let server = start(&path);
    let file = upload(&server, "survivor.txt", b"written before the kill").await;
    // The contract is "at most one second lost": a write older than that is on disk.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    server.signal("KILL");
    drop(server);

    let server = start(&path);
    assert_eq!(
        kept(&server, file["id"].as_str().unwrap()).await,
        (file, b"written before the kill".to_vec())
    );
}

/// Runs the binary on a state file that cannot be used: it must stop with an error naming
/// the file and the reason, and leave the file as it was.
fn refused(path: &Path) -> String {
    let before = std::fs::read(path).unwrap();
    let output = Command::new(BIN)
        .args(["--port", "0", "--state-file", path.to_str().unwrap()])
        .env_remove("OPENAI_MOCK_STATE_FILE")
        .output()
        .unwrap();
    assert!(!output.status.success(), "the server started on a bad file");
    assert!(output.stdout.is_empty(), "nothing may listen");
    assert_eq!(std::fs::read(path).unwrap(), before, "the file was changed");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        stderr.contains(&path.display().to_string()),
        "the error does not name the file: {stderr}"
    );
    stderr
}

#[test]
fn a_corrupt_state_file_stops_the_server_and_is_left_alone() {
    let path = state_path("corrupt.sqlite");
    std::fs::write(&path, b"SQLite format 3\0but then nothing that makes sense").unwrap();
    let stderr = refused(&path);
    assert!(
        stderr.contains("not a readable SQLite database"),
        "{stderr}"
    );

    let other = state_path("other-app.sqlite");
    let connection = rusqlite::Connection::open(&other).unwrap();
    connection
        .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(connection);
    let stderr = refused(&other);
    assert!(stderr.contains("not an openai-mock state file"), "{stderr}");
}

#[tokio::test]
async fn a_state_file_of_another_version_stops_the_server() {
    let path = state_path("future.sqlite");
    let mut server = start(&path);
    upload(&server, "x.txt", b"x").await;
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(15)).is_some());
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute(
            "UPDATE openai_mock_meta SET value = '2' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    drop(connection);
    let stderr = refused(&path);
    assert!(stderr.contains("schema version 2"), "{stderr}");
}

#[tokio::test]
async fn a_create_past_a_store_limit_gets_a_400_naming_the_limit() {
    let server = MockServer::builder()
        .config(Config {
            port: 0,
            store_max_objects: 2,
            ..Config::default()
        })
        .start()
        .await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut last = Value::Null;
    for i in 0..3 {
        let form = reqwest::multipart::Form::new()
            .text("purpose", "assistants")
            .part(
                "file",
                reqwest::multipart::Part::bytes(vec![b'x'; 10]).file_name(format!("{i}.txt")),
            );
        let answer = http
            .post(format!("{}/files", server.base_url()))
            .bearer_auth("sk-limit")
            .multipart(form)
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
        last = answer.json().await.unwrap();
    }
    assert_eq!(statuses, [200, 200, 400]);
    let message = last["error"]["message"].as_str().unwrap();
    assert!(message.contains("--store-max-objects (2)"), "{message}");
    assert_eq!(last["error"]["type"], "invalid_request_error");
    let listed: Value = http
        .get(format!("{}/files", server.base_url()))
        .bearer_auth("sk-limit")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        2,
        "nothing evicted"
    );
}
