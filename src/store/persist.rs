//! The state file (`--state-file PATH`): an SQLite database (WAL mode) that the store writes
//! behind.
//!
//! Changes go over a channel to one writer thread, which commits them in one transaction at
//! most [`FLUSH_EVERY`] after the first of them, so a `kill -9` loses at most that much; a
//! clean shutdown calls [`Writer::flush`] and loses nothing. On open, a file that is not an
//! SQLite database, lacks our tables, or carries another schema version stops the server
//! with an error naming the file and the reason. Such a file is never written to.

use super::{NamespaceSnapshot, Object, Snapshot, StoreError, FORMAT_VERSION};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest a change waits before it is committed.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// What the store tells the writer.
pub enum Change {
    /// An object was created or changed.
    Put(String, Arc<Object>),
    /// An object was deleted (namespace, kind, id).
    Delete(String, String, String),
    /// One namespace, or everything, was emptied.
    Clear(Option<String>),
    /// Everything was replaced by an import.
    Replace(Box<Snapshot>),
    /// Commit now and say when done.
    Flush(Sender<()>),
}

/// The handle to the writer thread.
pub struct Writer {
    changes: Sender<Change>,
}

impl Writer {
    /// Opens (or creates) the state file, checks it, reads what it holds and starts the
    /// writer thread.
    pub fn open(path: &Path) -> Result<(Writer, Snapshot), StoreError> {
        let refuse = |reason: String| StoreError::StateFile {
            path: path.to_path_buf(),
            reason,
        };
        let existing = path.metadata().map(|m| m.len() > 0).unwrap_or(false);
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| refuse(format!("cannot open it: {e}")))?;
        if existing {
            check(&connection).map_err(refuse)?;
        }
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "NORMAL"))
            .map_err(|e| refuse(format!("cannot set WAL mode: {e}")))?;
        if !existing {
            create_schema(&connection).map_err(|e| refuse(format!("cannot create it: {e}")))?;
        }
        let snapshot = read(&connection).map_err(|e| refuse(format!("cannot read it: {e}")))?;
        let (changes, receiver) = mpsc::channel();
        let file = path.to_path_buf();
        std::thread::Builder::new()
            .name("openai-mock-state".into())
            .spawn(move || write_behind(connection, receiver, file))
            .map_err(|e| refuse(format!("cannot start its writer: {e}")))?;
        Ok((Writer { changes }, snapshot))
    }

    /// Queues a change.
    pub fn send(&self, change: Change) {
        // The writer only stops when this handle is dropped.
        let _ = self.changes.send(change);
    }

    /// Commits everything queued so far, and waits for it.
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        if self.changes.send(Change::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(Duration::from_secs(30));
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Why an existing file is not a state file this build can use, if it is not.
fn check(connection: &Connection) -> Result<(), String> {
    let quick: String = connection
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|e| format!("it is not a readable SQLite database ({e})"))?;
    if quick != "ok" {
        return Err(format!("the database is damaged ({quick})"));
    }
    let has_meta: Option<String> = connection
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'openai_mock_meta'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| format!("it is not a readable SQLite database ({e})"))?;
    if has_meta.is_none() {
        return Err(
            "it is an SQLite database, but not an openai-mock state file (no openai_mock_meta table)"
                .into(),
        );
    }
    let version: Option<String> = connection
        .query_row(
            "SELECT value FROM openai_mock_meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| format!("cannot read its schema version ({e})"))?;
    match version.as_deref().and_then(|v| v.parse::<u32>().ok()) {
        Some(FORMAT_VERSION) => Ok(()),
        Some(other) => Err(format!(
            "it was written with schema version {other}, and this build of openai-mock reads \
             version {FORMAT_VERSION}; use the openai-mock that wrote it, or another file"
        )),
        None => Err("it has no readable schema version".into()),
    }
}

fn create_schema(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(&format!(
        "BEGIN;
         CREATE TABLE openai_mock_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         INSERT INTO openai_mock_meta VALUES ('schema_version', '{FORMAT_VERSION}');
         INSERT INTO openai_mock_meta VALUES ('written_by', 'openai-mock {}');
         CREATE TABLE objects (
             namespace TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
             seq INTEGER NOT NULL, parent TEXT, body TEXT NOT NULL, bytes BLOB, extra TEXT,
             PRIMARY KEY (namespace, kind, id));
         CREATE TABLE deleted (
             namespace TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
             PRIMARY KEY (namespace, kind, id));
         COMMIT;",
        env!("CARGO_PKG_VERSION")
    ))
}

fn read(connection: &Connection) -> rusqlite::Result<Snapshot> {
    let mut snapshot = Snapshot {
        version: FORMAT_VERSION,
        ..Snapshot::default()
    };
    let mut objects = connection.prepare(
        "SELECT namespace, kind, id, seq, parent, body, bytes, extra FROM objects ORDER BY seq",
    )?;
    let rows = objects.query_map([], |row| {
        let body: String = row.get(5)?;
        let extra: Option<String> = row.get(7)?;
        let parse = |text: &str, column: usize| {
            serde_json::from_str(text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    column,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        };
        Ok((
            row.get::<_, String>(0)?,
            Object {
                kind: row.get(1)?,
                id: row.get(2)?,
                seq: row.get::<_, i64>(3)?.max(0) as u64,
                parent: row.get(4)?,
                body: parse(&body, 5)?,
                bytes: row.get(6)?,
                extra: match extra {
                    Some(text) => parse(&text, 7)?,
                    None => serde_json::Value::Null,
                },
            },
        ))
    })?;
    for row in rows {
        let (namespace, object) = row?;
        namespace_of(&mut snapshot, namespace).objects.push(object);
    }
    let mut deleted = connection.prepare("SELECT namespace, kind, id FROM deleted")?;
    let rows = deleted.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (namespace, kind, id) = row?;
        namespace_of(&mut snapshot, namespace)
            .deleted
            .push(format!("{kind}/{id}"));
    }
    Ok(snapshot)
}

fn namespace_of(snapshot: &mut Snapshot, name: String) -> &mut NamespaceSnapshot {
    snapshot.namespaces.entry(name).or_default()
}

/// The writer thread: waits for a change, gathers what else arrives within
/// [`FLUSH_EVERY`], and commits it all in one transaction.
fn write_behind(mut connection: Connection, changes: Receiver<Change>, file: PathBuf) {
    while let Ok(first) = changes.recv() {
        let deadline = Instant::now() + FLUSH_EVERY;
        let mut batch = vec![first];
        let mut closed = false;
        while !batch.iter().any(|c| matches!(c, Change::Flush(_))) {
            match changes.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(change) => batch.push(change),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        // Flushes that arrived together all wait for this one commit.
        let mut waiting = Vec::new();
        if let Err(error) = commit(&mut connection, batch, &mut waiting) {
            tracing::error!(file = %file.display(), %error, "cannot write the state file");
        }
        for done in waiting {
            let _ = done.send(());
        }
        if closed {
            break;
        }
    }
}

fn commit(
    connection: &mut Connection,
    batch: Vec<Change>,
    waiting: &mut Vec<Sender<()>>,
) -> rusqlite::Result<()> {
    let tx = connection.transaction()?;
    for change in batch {
        match change {
            Change::Put(namespace, object) => put(&tx, &namespace, &object)?,
            Change::Delete(namespace, kind, id) => {
                tx.execute(
                    "DELETE FROM objects WHERE namespace = ?1 AND kind = ?2 AND id = ?3",
                    params![namespace, kind, id],
                )?;
                tx.execute(
                    "INSERT OR IGNORE INTO deleted VALUES (?1, ?2, ?3)",
                    params![namespace, kind, id],
                )?;
            }
            Change::Clear(Some(namespace)) => {
                tx.execute("DELETE FROM objects WHERE namespace = ?1", [&namespace])?;
                tx.execute("DELETE FROM deleted WHERE namespace = ?1", [&namespace])?;
            }
            Change::Clear(None) => {
                tx.execute_batch("DELETE FROM objects; DELETE FROM deleted;")?;
            }
            Change::Replace(snapshot) => {
                tx.execute_batch("DELETE FROM objects; DELETE FROM deleted;")?;
                for (namespace, saved) in &snapshot.namespaces {
                    for object in &saved.objects {
                        put(&tx, namespace, object)?;
                    }
                    for entry in &saved.deleted {
                        if let Some((kind, id)) = entry.rsplit_once('/') {
                            tx.execute(
                                "INSERT OR IGNORE INTO deleted VALUES (?1, ?2, ?3)",
                                params![namespace, kind, id],
                            )?;
                        }
                    }
                }
            }
            Change::Flush(done) => waiting.push(done),
        }
    }
    tx.commit()
}

fn put(tx: &rusqlite::Transaction<'_>, namespace: &str, object: &Object) -> rusqlite::Result<()> {
    let extra = (!object.extra.is_null()).then(|| object.extra.to_string());
    tx.execute(
        "INSERT OR REPLACE INTO objects (namespace, kind, id, seq, parent, body, bytes, extra)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            namespace,
            object.kind,
            object.id,
            object.seq as i64,
            object.parent,
            object.body.to_string(),
            object.bytes,
            extra
        ],
    )?;
    tx.execute(
        "DELETE FROM deleted WHERE namespace = ?1 AND kind = ?2 AND id = ?3",
        params![namespace, object.kind, object.id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("openai-mock-persist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn what_is_written_is_read_back() {
        let path = temp("roundtrip.sqlite");
        let (writer, empty) = Writer::open(&path).unwrap();
        assert!(empty.namespaces.is_empty());
        let mut object = Object::new("file", "file-1", json!({"id": "file-1"}));
        object.bytes = Some(vec![0, 1, 2]);
        object.seq = 4;
        writer.send(Change::Put("ns".into(), Arc::new(object.clone())));
        writer.send(Change::Delete("ns".into(), "file".into(), "file-0".into()));
        drop(writer);
        let (_writer, snapshot) = Writer::open(&path).unwrap();
        let ns = &snapshot.namespaces["ns"];
        assert_eq!(ns.objects, vec![object]);
        assert_eq!(ns.deleted, vec!["file/file-0".to_string()]);
    }

    #[test]
    fn a_file_that_is_not_a_state_file_is_refused_and_left_alone() {
        let path = temp("garbage.sqlite");
        std::fs::write(&path, b"this is not a database, and it must survive").unwrap();
        let error = Writer::open(&path).err().unwrap().to_string();
        assert!(error.contains("garbage.sqlite"), "{error}");
        assert!(error.contains("not a readable SQLite database"), "{error}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"this is not a database, and it must survive"
        );
    }

    #[test]
    fn another_schema_version_is_refused() {
        let path = temp("future.sqlite");
        drop(Writer::open(&path).unwrap());
        let connection = Connection::open(&path).unwrap();
        connection
            .execute(
                "UPDATE openai_mock_meta SET value = '99' WHERE key = 'schema_version'",
                [],
            )
            .unwrap();
        drop(connection);
        let error = Writer::open(&path).err().unwrap().to_string();
        assert!(error.contains("schema version 99"), "{error}");
    }
}
