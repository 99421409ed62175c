//! Token counting with the real tokenizers, `o200k_base` and `cl100k_base`.
//!
//! This module owns tokenisation: which encoding a model uses ([`Encoding::for_model`]), and an
//! exact reimplementation of tiktoken's `encode_ordinary` (split the text with the encoding's
//! regex, then byte-pair merge each piece) and of its decoding.
//!
//! The vocabularies are tables that `build.rs` generates from `tiktoken-rs` itself
//! (`$OUT_DIR/o200k_base.bpe` and `cl100k_base.bpe`; the layout is described at
//! `write_token_tables` in `build.rs`): rank order offsets into one byte blob, plus an
//! open-addressing hash table from bytes to rank. They are embedded with `include_bytes!` and
//! read in place, so they stay in the binary's read-only data and only the pages a request
//! touches become resident. The split patterns are tiktoken-rs's too (`$OUT_DIR/*.pat`),
//! rewritten without look-ahead for the `regex` crate's DFA (see `token_pattern`) and
//! each compiled once, on first use.
//!
//! `o200k_base` serves the gpt-4o, gpt-4.1, gpt-5 and o-series families; `cl100k_base`
//! serves gpt-4, gpt-3.5 and the embedding models.

use super::token_counts::{CountCache, COUNTS};
use super::token_hash::{token_hash, RANK_BITS};
use super::token_pattern::{lookahead_end, without_lookahead};
use regex::Regex;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

/// The tokenizer family a model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `o200k_base`.
    O200k,
    /// `cl100k_base`.
    Cl100k,
}

impl Encoding {
    /// The encoding for a model id (unknown models use `o200k_base`, the current default).
    ///
    /// ```
    /// use openai_mock::services::tokens::Encoding;
    /// assert_eq!(Encoding::for_model("gpt-4o-mini"), Encoding::O200k);
    /// assert_eq!(Encoding::for_model("gpt-3.5-turbo"), Encoding::Cl100k);
    /// assert_eq!(Encoding::for_model("text-embedding-3-small"), Encoding::Cl100k);
    /// ```
    pub fn for_model(model: &str) -> Encoding {
        let model = model.strip_prefix("ft:").unwrap_or(model);
        let cl100k = (model.starts_with("gpt-4")
            && !model.starts_with("gpt-4o")
            && !model.starts_with("gpt-4.1")
            && !model.starts_with("gpt-4.5"))
            || model.starts_with("gpt-3.5")
            || model.starts_with("text-embedding")
            || model.starts_with("davinci")
            || model.starts_with("babbage");
        if cl100k {
            Encoding::Cl100k
        } else {
            Encoding::O200k
        }
    }

    fn bpe(self) -> &'static Bpe {
        match self {
            Encoding::O200k => &O200K,
            Encoding::Cl100k => &CL100K,
        }
    }

    /// The token ids of `text` (special tokens are treated as plain text).
    ///
    /// ```
    /// use openai_mock::services::tokens::Encoding;
    /// assert_eq!(Encoding::O200k.encode("hello world"), [24912, 2375]);
    /// assert_eq!(Encoding::Cl100k.encode("hello world"), [15339, 1917]);
    /// ```
    pub fn encode(self, text: &str) -> Vec<u32> {
        self.bpe().encode(text)
    }

    /// The text of `tokens`; ids the table does not know are skipped and invalid UTF-8 is
    /// replaced.
    ///
    /// ```
    /// use openai_mock::services::tokens::Encoding;
    /// let tokens = Encoding::Cl100k.encode("Say this is a test");
    /// assert_eq!(Encoding::Cl100k.decode(&tokens), "Say this is a test");
    /// ```
    pub fn decode(self, tokens: &[u32]) -> String {
        let table = &self.bpe().table;
        let mut bytes = Vec::with_capacity(tokens.len() * 4);
        for &token in tokens {
            if let Some(piece) = table.bytes(token) {
                bytes.extend_from_slice(piece);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The bytes of `tokens`, or `None` if the table does not know one of them (special
    /// tokens such as `<|endoftext|>` decode to their text, as in tiktoken).
    ///
    /// ```
    /// use openai_mock::services::tokens::Encoding;
    /// assert_eq!(Encoding::Cl100k.decode_bytes(&[15339, 1917]), Some(b"hello world".to_vec()));
    /// assert_eq!(Encoding::Cl100k.decode_bytes(&[100257]), Some(b"<|endoftext|>".to_vec()));
    /// assert_eq!(Encoding::Cl100k.decode_bytes(&[15339, 100256]), None);
    /// ```
    pub fn decode_bytes(self, tokens: &[u32]) -> Option<Vec<u8>> {
        let table = &self.bpe().table;
        let mut bytes = Vec::with_capacity(tokens.len() * 4);
        for &token in tokens {
            bytes.extend_from_slice(table.bytes(token)?);
        }
        Some(bytes)
    }

    /// The number of tokens in `text`. Long texts are counted once: test suites send the
    /// same system prompt, tool list or document with every request, so their counts are
    /// remembered (see `token_counts`).
    pub fn count(self, text: &str) -> usize {
        if text.len() < CountCache::MIN_BYTES {
            return self.encode(text).len();
        }
        let key = CountCache::key(self as u8, text);
        if let Some(count) = COUNTS.get(key) {
            return count;
        }
        let count = self.encode(text).len();
        COUNTS.put(key, count);
        count
    }

    /// The byte offset in `text` where each token of `text` ends, in order. A token that ends
    /// inside a character has an offset that is not a character boundary.
    ///
    /// ```
    /// use openai_mock::services::tokens::Encoding;
    /// assert_eq!(Encoding::O200k.token_ends("hello world"), [5, 11]);
    /// ```
    pub fn token_ends(self, text: &str) -> Vec<usize> {
        let bpe = self.bpe();
        let mut end = 0;
        bpe.encode(text)
            .into_iter()
            .map(|token| {
                end += bpe.table.bytes(token).map_or(0, <[u8]>::len);
                end
            })
            .collect()
    }

    /// The text of each token of `text`, in order (joined, they give `text` back).
    pub fn pieces(self, text: &str) -> Vec<String> {
        let bpe = self.bpe();
        let tokens = bpe.encode(text);
        let mut out = Vec::with_capacity(tokens.len());
        let mut pending = Vec::new();
        for token in tokens {
            if let Some(bytes) = bpe.table.bytes(token) {
                pending.extend_from_slice(bytes);
            }
            // A token may end inside a multi-byte character; keep it until it completes.
            if let Ok(piece) = std::str::from_utf8(&pending) {
                out.push(piece.to_string());
                pending.clear();
            }
        }
        if !pending.is_empty() {
            out.push(String::from_utf8_lossy(&pending).into_owned());
        }
        out
    }
}

static O200K: Bpe = Bpe {
    table: Table::parse(include_bytes!(concat!(env!("OUT_DIR"), "/o200k_base.bpe"))),
    pattern: include_str!(concat!(env!("OUT_DIR"), "/o200k_base.pat")),
    regex: OnceLock::new(),
};

static CL100K: Bpe = Bpe {
    table: Table::parse(include_bytes!(concat!(env!("OUT_DIR"), "/cl100k_base.bpe"))),
    pattern: include_str!(concat!(env!("OUT_DIR"), "/cl100k_base.pat")),
    regex: OnceLock::new(),
};

/// Pieces at least this long are merged with a heap (O(n log n)) instead of by rescanning
/// the parts after each merge (O(n²), but faster for the short pieces that are the norm).
const LONG_PIECE: usize = 100;

/// One encoding: its token table and its split pattern.
struct Bpe {
    table: Table,
    pattern: &'static str,
    /// `pattern` rewritten by `without_lookahead` and compiled; `None` if that fails (the
    /// tokens tests show it does not), in which case the whole text is one piece.
    regex: OnceLock<Option<Regex>>,
}

impl Bpe {
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| Regex::new(&without_lookahead(self.pattern)?).ok())
            .as_ref()
    }

    /// tiktoken's `encode_ordinary`: the pieces the split pattern finds (text between
    /// matches is skipped, as in tiktoken), each byte-pair merged.
    fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        let mut scratch = Scratch::default();
        let Some(regex) = self.regex() else {
            self.encode_piece(text.as_bytes(), &mut out, &mut scratch);
            return out;
        };
        let mut at = 0;
        while let Some(found) = regex.find_at(text, at) {
            let end = lookahead_end(text, found.start(), found.end());
            if end <= at {
                break; // no progress: impossible, every alternative takes a character
            }
            if let Some(piece) = text.get(found.start()..end) {
                self.encode_piece(piece.as_bytes(), &mut out, &mut scratch);
            }
            at = end;
        }
        out
    }

    /// Appends the tokens of one piece: the piece's own token if it is one, else the result of
    /// merging its bytes pairwise, always the adjacent pair whose bytes have the lowest rank
    /// (the leftmost on a tie), until no adjacent pair is a token.
    fn encode_piece(&self, piece: &[u8], out: &mut Vec<u32>, scratch: &mut Scratch) {
        if piece.is_empty() {
            return;
        }
        if let Some(rank) = self.table.rank(piece) {
            out.push(rank);
        } else if piece.len() < LONG_PIECE {
            self.merge_short(piece, out, scratch);
        } else {
            self.merge_long(piece, out);
        }
    }

    /// The rank of `piece[from..to]`, or `u32::MAX` if it is not a token.
    fn rank_of(&self, piece: &[u8], from: usize, to: usize) -> u32 {
        piece
            .get(from..to)
            .and_then(|bytes| self.table.rank(bytes))
            .unwrap_or(u32::MAX)
    }

    /// Appends the rank of each part of `piece` between consecutive `bounds`.
    fn emit(&self, piece: &[u8], bounds: impl Iterator<Item = (usize, usize)>, out: &mut Vec<u32>) {
        for (from, to) in bounds {
            // Every single byte is a token, so every part is one; skip the impossible.
            let rank = self.rank_of(piece, from, to);
            if rank != u32::MAX {
                out.push(rank);
            }
        }
    }

    /// The merge for short pieces: after each merge, rescan the (few) parts for the best pair.
    fn merge_short(&self, piece: &[u8], out: &mut Vec<u32>, scratch: &mut Scratch) {
        // Part `i` is `piece[starts[i]..starts[i + 1]]` (the last start is `piece.len()`);
        // `pair[i]` is the rank of parts `i` and `i + 1` joined, `u32::MAX` if not a token.
        let Scratch { starts, pair } = scratch;
        starts.clear();
        starts.extend(0..=piece.len());
        pair.clear();
        pair.extend((0..piece.len()).map(|i| self.rank_of(piece, i, i + 2)));
        loop {
            let mut best = (u32::MAX, 0);
            for (i, &rank) in pair.iter().enumerate() {
                if rank < best.0 {
                    best = (rank, i);
                }
            }
            let (rank, i) = best;
            if rank == u32::MAX {
                break;
            }
            // Join parts i and i + 1, then re-rank the pairs that now end or start at part i.
            starts.remove(i + 1);
            pair.remove(i + 1);
            let joined = |at: usize| match (starts.get(at), starts.get(at + 2)) {
                (Some(&from), Some(&to)) => self.rank_of(piece, from, to),
                _ => u32::MAX,
            };
            let after = joined(i);
            if let Some(slot) = pair.get_mut(i) {
                *slot = after;
            }
            if i > 0 {
                let before = joined(i - 1);
                if let Some(slot) = pair.get_mut(i - 1) {
                    *slot = before;
                }
            }
        }
        self.emit(piece, starts.windows(2).map(|w| (w[0], w[1])), out);
    }

    /// The merge for long pieces: candidate pairs wait in a min-heap keyed by (rank, start),
    /// parts form a linked list, and stale candidates are dropped when they surface.
    fn merge_long(&self, piece: &[u8], out: &mut Vec<u32>) {
        let len = piece.len();
        // For the part starting at byte `i` (while it exists): `end[i]` is where it ends,
        // `prev[i]` where the part before it starts, and `pair[i]` the rank of it joined with
        // the next part (`u32::MAX` if that is not a token, if there is no next part, or once
        // the part has been merged into the one before it).
        let mut end: Vec<usize> = (1..=len).collect();
        let mut prev: Vec<usize> = (0..len).map(|i| i.saturating_sub(1)).collect();
        let mut pair: Vec<u32> = (0..len).map(|i| self.rank_of(piece, i, i + 2)).collect();
        let mut heap: BinaryHeap<Reverse<(u32, usize)>> = pair
            .iter()
            .enumerate()
            .filter(|(_, &rank)| rank != u32::MAX)
            .map(|(i, &rank)| Reverse((rank, i)))
            .collect();
        while let Some(Reverse((rank, start))) = heap.pop() {
            if pair.get(start) != Some(&rank) {
                continue; // stale: the part has changed or is gone
            }
            let Some(&right) = end.get(start) else { break };
            let Some(&right_end) = end.get(right) else {
                break;
            };
            // Join the part at `start` with the one at `right`.
            end[start] = right_end;
            pair[right] = u32::MAX;
            pair[start] = u32::MAX;
            if let Some(&next_end) = end.get(right_end) {
                prev[right_end] = start;
                let rank = self.rank_of(piece, start, next_end);
                if rank != u32::MAX {
                    pair[start] = rank;
                    heap.push(Reverse((rank, start)));
                }
            }
            if start > 0 {
                let before = prev[start];
                let rank = self.rank_of(piece, before, right_end);
                pair[before] = rank;
                if rank != u32::MAX {
                    heap.push(Reverse((rank, before)));
                }
            }
        }
        let mut parts = Vec::new();
        let mut at = 0;
        while let Some(&to) = end.get(at) {
            parts.push((at, to));
            at = to;
        }
        self.emit(piece, parts.into_iter(), out);
    }
}

/// Buffers for [`Bpe::merge_short`], reused across the pieces of one text.
#[derive(Default)]
struct Scratch {
    starts: Vec<usize>,
    pair: Vec<u32>,
}

/// A token table generated by `build.rs`, read in place (see the module comment).
struct Table {
    data: &'static [u8],
    /// `slots - 1` (the slot count is a power of two).
    mask: usize,
    /// Byte positions in `data` of the offsets, the hash slots and the blob.
    offsets_at: usize,
    slots_at: usize,
    blob_at: usize,
}

impl Table {
    /// Reads the header; a malformed table fails the build (this runs at compile time).
    const fn parse(data: &'static [u8]) -> Table {
        assert!(data.len() >= 16, "token table too short");
        assert!(
            data[0] == b'B' && data[1] == b'P' && data[2] == b'E' && data[3] == b'1',
            "not a token table"
        );
        let ranks = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
        let slots = u32::from_le_bytes([data[8], data[9], data[10], data[11]]) as usize;
        let blob_len = u32::from_le_bytes([data[12], data[13], data[14], data[15]]) as usize;
        assert!(
            slots.is_power_of_two() && slots >= 2 * ranks,
            "bad slot count"
        );
        let offsets_at = 16;
        let slots_at = offsets_at + 4 * (ranks + 1);
        let blob_at = slots_at + 4 * slots;
        assert!(
            blob_at + blob_len == data.len(),
            "token table size mismatch"
        );
        Table {
            data,
            mask: slots - 1,
            offsets_at,
            slots_at,
            blob_at,
        }
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let bytes = self.data.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?))
    }

    /// The bytes of token `rank`, if there is such a token.
    fn bytes(&self, rank: u32) -> Option<&'static [u8]> {
        let at = self.offsets_at.checked_add(4 * rank as usize)?;
        if at >= self.slots_at {
            return None;
        }
        let from = self.u32_at(at)? as usize;
        let to = self.u32_at(at + 4)? as usize;
        let bytes = self
            .data
            .get(self.blob_at.checked_add(from)?..self.blob_at.checked_add(to)?)?;
        (!bytes.is_empty()).then_some(bytes)
    }

    /// The rank of the ordinary token whose bytes are `bytes`.
    fn rank(&self, bytes: &[u8]) -> Option<u32> {
        let hash = token_hash(bytes);
        let tag = (hash >> (64 - (32 - RANK_BITS))) as u32;
        let mut slot = hash as usize & self.mask;
        for _ in 0..=self.mask {
            let entry = self.u32_at(self.slots_at + 4 * slot)?;
            if entry == 0 {
                return None;
            }
            // Compare the bytes only when the tag (the hash's top bits) matches.
            if entry >> RANK_BITS == tag {
                let rank = (entry & ((1 << RANK_BITS) - 1)).checked_sub(1)?;
                if self.bytes(rank) == Some(bytes) {
                    return Some(rank);
                }
            }
            slot = (slot + 1) & self.mask;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_counted_once_and_alike_for_each_encoding() {
        let text = "You are a helpful assistant that answers in French. ".repeat(20);
        for encoding in [Encoding::O200k, Encoding::Cl100k] {
            let exact = encoding.encode(&text).len();
            assert_eq!(encoding.count(&text), exact);
            assert_eq!(encoding.count(&text), exact, "the remembered count");
        }
        assert_ne!(
            Encoding::O200k.count("\u{4e2d}\u{6587}".repeat(200).as_str()),
            0
        );
        let longer = format!("{text}!");
        assert_eq!(
            Encoding::O200k.count(&longer),
            Encoding::O200k.encode(&longer).len()
        );
    }

    /// Texts that exercise every branch of both split patterns and both merge strategies.
    fn corpus() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            " ",
            "a",
            "\n",
            "Hello, world! This is a test of the tokenizer; it has prose in it.",
            "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX.",
            "fn main() {\n    let x: Vec<u32> = (0..10).map(|i| i * 2).collect();\n    println!(\"{x:?}\");\n}\n",
            "def f(a, b=3, *args, **kw):\n\treturn {'a': a, \"b\": [b, None]}  # comment\r\n",
            "12345678 3.14159 1,000,000 -42 0x1F 2026-11-22T07:54:24Z 1e-9 ١٢٣ ⅣⅫ",
            "many     spaces      and\n\n\n\nnewlines\r\n\r\n  \t \n",
            "trailing whitespace   ",
            "trailing newlines\n\n",
            "   leading spaces",
            "don't I'LL we've they're she'd you'M it'S He'd WE'VE o'clock rock'n'roll '",
            "?!?!... --- !!! ;;; ::: ''' \"\"\" ((())) [[[]]] {{{}}} <<<>>> /// \\\\\\ |||",
            "emoji 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ ✨✨✨",
            "中文文本，包含标点符号。日本語のテキストです。한국어 텍스트입니다.",
            "النص العربي مع علامات الترقيم، وأرقام ١٢٣٤.",
            "עברית ורוסский текст, Ελληνικά, हिन्दी पाठ, ภาษาไทย",
            "combining: e\u{301} a\u{308} n\u{303} Z\u{351}\u{34d}a\u{36b}\u{352}l\u{34b}g\u{33c}o\u{32f}",
            "mixedScriptsΑβγ中文abc123дефGHI",
            "CamelCaseIdentifier snake_case_identifier SCREAMING_CASE kebab-case",
            "https://example.com/path?query=1&other=two#frag user@example.org",
            "\u{feff}\u{200b}\u{00a0}non\u{00a0}breaking\u{2028}line\u{2029}para",
            "tabs\tand\tbackspaces\u{8}and\u{0}nulls",
            "<|endoftext|> <|fim_prefix|> special tokens are plain text here",
            // Whitespace runs before a non-space give back their last character (`(?!\S)`).
            "a  b   c\t\td \t e\u{3000}\u{3000}f\u{a0}\u{a0}g  (h)  12  'x  \u{2028}\u{2028}y",
            "  \n  x \r\n\t z\n\n  \t",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Long pieces (the heap merge): runs of letters, spaces, digits, punctuation, CJK.
        texts.push("a".repeat(300));
        texts.push("ab".repeat(150));
        texts.push(" ".repeat(257));
        texts.push(format!("x{}y", " ".repeat(500)));
        texts.push("\n".repeat(200));
        texts.push("7".repeat(301));
        texts.push("!?".repeat(120));
        texts.push("中文".repeat(120));
        texts.push("😀".repeat(60));
        texts.push("Pneumonoultramicroscopicsilicovolcanoconiosis".repeat(5));
        texts.push(generated(20 * 1024));
        texts
    }

    /// Deterministic pseudo-random text of about `len` bytes from a mix of fragments.
    fn generated(len: usize) -> String {
        let fragments = [
            "the",
            " quick",
            " brown",
            "fox",
            " jumps",
            "over",
            "lazy",
            "dog",
            " ",
            "  ",
            "\n",
            "\n\n",
            "\t",
            ",",
            ".",
            "!",
            "?",
            "'s",
            "'LL",
            "don't",
            "123",
            "4567",
            "89",
            "中文",
            "日本語",
            "한국어",
            "العربية",
            "русский",
            "😀",
            "👍🏽",
            "e\u{301}",
            "(",
            ")",
            "{",
            "}",
            "=>",
            "::",
            "//",
            "#",
            "$",
            "%",
            "_",
            "-",
            "CamelCase",
            "ALLCAPS",
            "x",
            "zzzzzzzzzzzz",
            "   \n  ",
            "\r\n",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut text = String::with_capacity(len + 32);
        while text.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(fragments[(state % fragments.len() as u64) as usize]);
        }
        text
    }

    fn check(encoding: Encoding, reference: &tiktoken_rs::CoreBPE) {
        for text in corpus() {
            let ours = encoding.encode(&text);
            assert_eq!(
                ours,
                reference.encode_ordinary(&text),
                "{encoding:?} encodes {text:?} differently from tiktoken-rs"
            );
            assert_eq!(encoding.decode(&ours), text, "{encoding:?} round trip");
            assert_eq!(encoding.count(&text), ours.len());
            let pieces = encoding.pieces(&text);
            assert_eq!(pieces.concat(), text, "{encoding:?} pieces of {text:?}");
            assert!(pieces.len() <= ours.len());
        }
    }

    #[test]
    fn split_patterns_are_rewritten_without_look_around() {
        for bpe in [&O200K, &CL100K] {
            let rewritten = without_lookahead(bpe.pattern);
            assert!(rewritten.as_deref().is_some_and(|p| !p.contains("(?!")));
            assert!(bpe.regex().is_some(), "{rewritten:?} does not compile");
        }
        assert_eq!(lookahead_end("   x", 0, 3), 2);
        assert_eq!(lookahead_end(" x", 0, 1), 1);
        assert_eq!(lookahead_end("x   ", 1, 4), 4);
        assert_eq!(lookahead_end("\n\n x", 0, 3), 3);
    }

    #[test]
    fn o200k_matches_tiktoken() {
        check(Encoding::O200k, tiktoken_rs::o200k_base_singleton());
    }

    #[test]
    fn cl100k_matches_tiktoken() {
        check(Encoding::Cl100k, tiktoken_rs::cl100k_base_singleton());
    }

    /// Both merge strategies give the same tokens, on pieces of lengths around the switch
    /// (the corpus checks each against tiktoken-rs on the pieces the regex makes).
    #[test]
    fn short_and_long_merges_agree() {
        let text = generated(4096).replace([' ', '\n', '\t', '\r'], "");
        let bpe = Encoding::O200k.bpe();
        for len in [2, 3, 17, 99, 100, 101, 255, 1000] {
            let Some(piece) = (0..=len).rev().find_map(|n| text.get(..n)) else {
                continue;
            };
            let (mut short, mut long) = (Vec::new(), Vec::new());
            bpe.merge_short(piece.as_bytes(), &mut short, &mut Scratch::default());
            bpe.merge_long(piece.as_bytes(), &mut long);
            assert_eq!(short, long, "merges of {piece:?}");
        }
    }

    #[test]
    fn tables_know_every_byte_and_decode_specials() {
        for encoding in [Encoding::O200k, Encoding::Cl100k] {
            let table = &encoding.bpe().table;
            for byte in 0..=255u8 {
                let rank = table.rank(&[byte]);
                assert!(rank.is_some(), "{encoding:?} has no token for byte {byte}");
                assert_eq!(rank.and_then(|r| table.bytes(r)), Some(&[byte][..]));
            }
        }
        assert_eq!(
            Encoding::O200k.decode_bytes(&[199999, 200018]),
            Some(b"<|endoftext|><|endofprompt|>".to_vec())
        );
        assert_eq!(Encoding::O200k.decode_bytes(&[200000]), None);
        assert_eq!(
            Encoding::O200k.decode(&[24912, 200000, 4_000_000, 2375]),
            "hello world"
        );
        // Special tokens decode but are never produced by encoding.
        assert_eq!(Encoding::Cl100k.bpe().table.rank(b"<|endoftext|>"), None);
    }
}
