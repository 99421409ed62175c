//! Compiles `spec/openapi.yml` (and `fixtures/*.json`) into the compact run-time catalog.
//!
//! The catalog is one JSON document written to `$OUT_DIR/catalog.json` and embedded in the
//! binary with `include_bytes!`, so the server never reads or normalises the spec at run time.
//! It holds:
//!
//! - `operations`: one entry per path + method, with the parameters, request media types and
//!   the chosen success response, each schema given as an index into `schemas.x-targets`;
//! - `schemas`: one JSON Schema (draft 2020-12) root document holding the normalised
//!   `components.schemas` and the inline schemas the operations point at (`x-targets`);
//! - `fixtures`: our hand-written example objects, keyed by component schema name.
//!
//! The compiling itself (overlay, normalisation, operations) lives in
//! `src/catalog/compile.rs`, included here with `#[path]` so that `--spec FILE` at startup
//! compiles a document exactly as the build does.
//!
//! Both the stripped pinned spec and the raw upstream document are accepted.
//!
//! It also writes the token tables of `src/services/tokens.rs` (see [`write_token_tables`]):
//! `$OUT_DIR/o200k_base.bpe` and `cl100k_base.bpe`, generated from `tiktoken-rs` itself, and
//! the matching split patterns `o200k_base.pat` and `cl100k_base.pat`.

#[path = "src/catalog/compile.rs"]
mod compile;

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

const SPEC_PATH: &str = "spec/openapi.yml";
const FIXTURES_DIR: &str = "fixtures";
const OVERLAY_PATH: &str = "spec/overlay.json";

fn main() {
    println!("cargo:rerun-if-changed=spec");
    println!("cargo:rerun-if-changed={FIXTURES_DIR}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/catalog/compile.rs");
    if let Err(message) = run() {
        eprintln!("\nerror: openai-mock could not compile its spec catalog\n  {message}\n");
        std::process::exit(1);
    }
    if let Err(message) = write_token_tables() {
        eprintln!("\nerror: openai-mock could not write its token tables\n  {message}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let text =
        std::fs::read_to_string(SPEC_PATH).map_err(|e| format!("cannot read {SPEC_PATH}: {e}"))?;
    let mut doc: Value =
        // OpenAPI 3.1 is YAML 1.2: only `true`/`false` are booleans (`required: [x, y]`).
        serde_saphyr::from_str_with_options(&text, serde_saphyr::options! { strict_booleans: true })
            .map_err(|e| format!("{SPEC_PATH} is not valid YAML: {e}"))?;
    if let Ok(text) = std::fs::read_to_string(OVERLAY_PATH) {
        let overlay: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{OVERLAY_PATH} is not valid JSON: {e}"))?;
        compile::apply_overlay(&mut doc, &overlay, OVERLAY_PATH, compile::Fit::Strict)?;
    }
    let catalog = compile::compile(&doc).map_err(|e| format!("{SPEC_PATH}: {e}"))?;
    let fixtures = load_fixtures(&catalog)?;
    let mut catalog = catalog;
    catalog["fixtures"] = fixtures;
    let out_dir = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR is not set: {e}"))?;
    let out = Path::new(&out_dir).join("catalog.json");
    let bytes = serde_json::to_vec(&catalog).map_err(|e| format!("cannot serialise: {e}"))?;
    std::fs::write(&out, bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))
}

/// Reads `fixtures/*.json`: each file maps component schema names to example objects.
fn load_fixtures(catalog: &Value) -> Result<Value, String> {
    let mut fixtures = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir(FIXTURES_DIR) else {
        return Ok(json!({}));
    };
    let mut files: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for file in files {
        if file.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let entries: Map<String, Value> = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a JSON object: {e}", file.display()))?;
        if let Some(name) = compile::unknown_fixture(catalog, entries.keys()) {
            return Err(format!(
                "{}: `{name}` is not a schema in components.schemas",
                file.display()
            ));
        }
        for (name, value) in entries {
            if fixtures.insert(name.clone(), value).is_some() {
                return Err(format!(
                    "{}: fixture `{name}` is defined twice",
                    file.display()
                ));
            }
        }
    }
    Ok(json!(fixtures))
}

/// The split pattern of `cl100k_base`: `tiktoken-rs` passes it to `CoreBPE::new` inside
/// `cl100k_base()` but does not export it (unlike `O200K_BASE_PAT_STR`), so it is repeated
/// here verbatim from tiktoken-rs 0.12 `src/tiktoken_ext/openai_public.rs`. The equivalence
/// tests in `src/services/tokens.rs` compare every encoding with tiktoken-rs's own.
const CL100K_BASE_PAT_STR: &str = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s";

/// Writes the compact token tables read by `src/services/tokens.rs`, one per encoding, built from
/// tiktoken-rs's own `CoreBPE` so that they are exactly its vocabulary:
///
/// - `$OUT_DIR/<name>.bpe`, little-endian throughout:
///   - header: `b"BPE1"`, then u32 `n` (ranks, the highest known rank + 1), u32 `slots` (a
///     power of two, at least `2 * n`), u32 `blob_len`;
///   - `n + 1` u32 offsets into the blob: rank `r` is the bytes `blob[off[r]..off[r + 1]]`;
///     ranks that do not exist are empty, special tokens (`<|endoftext|>`, ...) keep their text
///     so that decoding matches `CoreBPE::decode_bytes`;
///   - `slots` u32 entries of an open-addressing (linear probing) hash table from bytes to
///     rank: 0 for an empty slot, else `rank + 1` in the low [`RANK_BITS`] bits and the top
///     bits of `token_hash(bytes)` above them (a tag that lets most misses skip comparing
///     bytes); the first slot tried is `token_hash(bytes) & (slots - 1)`. Only ordinary tokens
///     are entered, so gaps and special tokens can never match;
///   - the blob: every rank's bytes, concatenated in rank order;
/// - `$OUT_DIR/<name>.pat`: the regex that splits text into pieces before the merges.
fn write_token_tables() -> Result<(), String> {
    let out_dir = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR is not set: {e}"))?;
    let out_dir = Path::new(&out_dir);
    let o200k = tiktoken_rs::o200k_base().map_err(|e| format!("tiktoken-rs o200k_base: {e}"))?;
    write_token_table(&o200k, &out_dir.join("o200k_base.bpe"))?;
    write_file(
        &out_dir.join("o200k_base.pat"),
        tiktoken_rs::O200K_BASE_PAT_STR.as_bytes(),
    )?;
    drop(o200k);
    let cl100k = tiktoken_rs::cl100k_base().map_err(|e| format!("tiktoken-rs cl100k_base: {e}"))?;
    write_token_table(&cl100k, &out_dir.join("cl100k_base.bpe"))?;
    write_file(
        &out_dir.join("cl100k_base.pat"),
        CL100K_BASE_PAT_STR.as_bytes(),
    )
}

#[path = "src/services/token_hash.rs"]
mod token_hash;
use token_hash::{token_hash, RANK_BITS};

/// Writes one `.bpe` table (the layout is described at [`write_token_tables`]).
fn write_token_table(bpe: &tiktoken_rs::CoreBPE, out: &Path) -> Result<(), String> {
    // Special tokens are decodable but are never the result of `encode_ordinary`.
    let mut special = std::collections::HashSet::new();
    for text in bpe.special_tokens() {
        match bpe.encode_with_special_tokens(text).as_slice() {
            [rank] => special.insert(*rank),
            _ => return Err(format!("special token {text} is not one rank")),
        };
    }
    // Every rank up to the highest one that decodes; stop after a long run of unknown ranks.
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    let mut misses = 0u32;
    let mut rank = 0u32;
    while misses < 1 << 16 {
        match bpe.decode_bytes(&[rank]) {
            Ok(bytes) if !bytes.is_empty() => {
                tokens.resize(rank as usize, Vec::new());
                tokens.push(bytes);
                misses = 0;
            }
            _ => misses += 1,
        }
        rank = rank.checked_add(1).ok_or("the rank space is exhausted")?;
    }
    let n = tokens.len();
    if n >= (1 << RANK_BITS) - 1 {
        return Err(format!("{n} ranks do not fit in {RANK_BITS} bits"));
    }
    let slots = (2 * n).next_power_of_two();
    let blob_len: usize = tokens.iter().map(Vec::len).sum();
    let u32_of = |value: usize, what: &str| {
        u32::try_from(value).map_err(|_| format!("{what} ({value}) does not fit in a u32"))
    };

    let mut table = vec![0u32; slots];
    let mask = slots - 1;
    for (rank, bytes) in tokens.iter().enumerate() {
        if bytes.is_empty() || special.contains(&u32_of(rank, "rank")?) {
            continue;
        }
        let hash = token_hash(bytes);
        let tag = (hash >> (64 - (32 - RANK_BITS))) as u32;
        let mut slot = hash as usize & mask;
        while table[slot] != 0 {
            let other = (table[slot] & ((1 << RANK_BITS) - 1)) as usize - 1;
            if tokens[other] == *bytes {
                return Err(format!("two ranks have the bytes {bytes:?}"));
            }
            slot = (slot + 1) & mask;
        }
        table[slot] = (tag << RANK_BITS) | u32_of(rank + 1, "rank")?;
    }

    let mut data = Vec::with_capacity(16 + 4 * (n + 1 + slots) + blob_len);
    data.extend_from_slice(b"BPE1");
    for value in [n, slots, blob_len] {
        data.extend_from_slice(&u32_of(value, "table size")?.to_le_bytes());
    }
    let mut offset = 0usize;
    data.extend_from_slice(&0u32.to_le_bytes());
    for bytes in &tokens {
        offset += bytes.len();
        data.extend_from_slice(&u32_of(offset, "blob offset")?.to_le_bytes());
    }
    for entry in &table {
        data.extend_from_slice(&entry.to_le_bytes());
    }
    for bytes in &tokens {
        data.extend_from_slice(bytes);
    }
    write_file(out, &data)
}

/// Writes `bytes` to `path`.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
