//! Token counting with the real tokenizers (`tiktoken-rs`, tables embedded in the binary).
//!
//! `o200k_base` serves the gpt-4o, gpt-4.1, gpt-5 and o-series families; `cl100k_base`
//! serves gpt-4, gpt-3.5 and the embedding models. Each table is built once, on first use.

use tiktoken_rs::CoreBPE;

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
    /// use openai_mock::behave::tokens::Encoding;
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

    fn bpe(self) -> &'static CoreBPE {
        match self {
            Encoding::O200k => tiktoken_rs::o200k_base_singleton(),
            Encoding::Cl100k => tiktoken_rs::cl100k_base_singleton(),
        }
    }

    /// The token ids of `text` (special tokens are treated as plain text).
    pub fn encode(self, text: &str) -> Vec<u32> {
        self.bpe().encode_ordinary(text)
    }

    /// The text of `tokens`; ids the table does not know are skipped and invalid UTF-8 is
    /// replaced.
    ///
    /// ```
    /// use openai_mock::behave::tokens::Encoding;
    /// let tokens = Encoding::Cl100k.encode("Say this is a test");
    /// assert_eq!(Encoding::Cl100k.decode(&tokens), "Say this is a test");
    /// ```
    pub fn decode(self, tokens: &[u32]) -> String {
        let bpe = self.bpe();
        let mut bytes = Vec::with_capacity(tokens.len() * 4);
        for token in tokens {
            if let Ok(piece) = bpe.decode_bytes(&[*token]) {
                bytes.extend_from_slice(&piece);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The number of tokens in `text`.
    pub fn count(self, text: &str) -> usize {
        self.encode(text).len()
    }

    /// The text of each token of `text`, in order (joined, they give `text` back).
    pub fn pieces(self, text: &str) -> Vec<String> {
        let bpe = self.bpe();
        let tokens = bpe.encode_ordinary(text);
        let mut out = Vec::with_capacity(tokens.len());
        let mut pending = Vec::new();
        for token in tokens {
            if let Ok(bytes) = bpe.decode_bytes(&[token]) {
                pending.extend_from_slice(&bytes);
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
