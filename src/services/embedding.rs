//! The mock's semantic embedding model: deterministic unit-length vectors in which texts that
//! share words point the same way, so similarity searches are meaningful. `/embeddings`
//! answers with these vectors, and vector stores embed their chunks and queries with them.
//!
//! A text's vector is a sum of hashed features:
//!
//! - every word (lower-cased, split on anything not alphanumeric) adds ±weight at a few
//!   positions chosen by its hash, some of them always within the first 64 dimensions so that
//!   short `dimensions` still see every word; common English function words weigh little;
//! - the character trigrams of each word add a smaller weight, so `embedding` and
//!   `embeddings` are close too;
//! - a fixed dense direction shared by every text is added (about a tenth of the length),
//!   as real embeddings have: unrelated texts have a small positive cosine similarity.
//!
//! Shortened vectors are the full vector's prefix, renormalised, as with the v3 models.

use crate::generate::{fnv1a, Rng};

/// Positions each feature touches across the whole vector.
const SPREAD_POSITIONS: usize = 12;
/// Positions each feature touches within the first [`HEAD`] dimensions.
const HEAD_POSITIONS: usize = 4;
/// The prefix every feature also reaches, so short `dimensions` keep every word.
const HEAD: usize = 64;
/// Length of a word's trigrams together, relative to the word itself.
const TRIGRAM_WEIGHT: f32 = 0.8;
/// Length of the shared direction relative to the features' length.
const SHARED_WEIGHT: f32 = 0.3;

/// Words that carry little meaning; they count a fifth of an ordinary word.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "for", "from", "has", "have",
    "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "so", "that", "the", "their",
    "there", "these", "this", "to", "was", "we", "were", "what", "which", "with", "you", "your",
];

/// The unit-length embedding of `text`: the first `dimensions` of a `full`-sized vector,
/// renormalised.
///
/// ```
/// use openai_mock::services::embedding::{cosine, embed};
/// let cat = embed("The cat sat on the mat", 1536, 1536);
/// let kitten = embed("A cat sleeping on a mat", 1536, 1536);
/// let stocks = embed("Quarterly earnings beat analyst forecasts", 1536, 1536);
/// assert!(cosine(&cat, &kitten) > cosine(&cat, &stocks));
/// assert!((cosine(&cat, &cat) - 1.0).abs() < 1e-5);
/// ```
pub fn embed(text: &str, full: usize, dimensions: usize) -> Vec<f32> {
    let full = full.max(1);
    let mut vector = vec![0f32; full];
    let features = features(text);
    let head = HEAD.min(full);
    for (feature, weight) in &features {
        let mut rng = Rng::new(fnv1a(&[b"embedding-feature", feature.as_bytes()]));
        for i in 0..SPREAD_POSITIONS + HEAD_POSITIONS {
            let bits = rng.next_u64();
            let range = if i < SPREAD_POSITIONS { full } else { head };
            let position = (bits >> 1) as usize % range;
            let sign = if bits & 1 == 0 { 1.0 } else { -1.0 };
            vector[position] += sign * weight;
        }
    }
    let feature_norm = norm(&vector).max(f32::MIN_POSITIVE);
    let shared_scale = SHARED_WEIGHT * feature_norm / (full as f32).sqrt();
    // Uniform in ±√3 has unit variance, so the shared part's length is `shared_scale·√n`.
    let cached = SHARED_DIRECTION.len().min(full);
    for (value, direction) in vector.iter_mut().zip(SHARED_DIRECTION.iter()) {
        *value += shared_scale * direction * 3f32.sqrt();
    }
    if full > cached {
        let mut shared = shared_source();
        for _ in 0..cached {
            shared.next_u64();
        }
        for value in &mut vector[cached..] {
            *value += shared_scale * shared_component(&mut shared) * 3f32.sqrt();
        }
    }
    vector.truncate(dimensions.clamp(1, full));
    let length = norm(&vector);
    if length > 0.0 {
        for value in &mut vector {
            *value /= length;
        }
    } else {
        vector[0] = 1.0;
    }
    vector
}

/// How many components of the shared direction are computed once, at first use: the
/// largest model's size.
const SHARED_CACHED: usize = 3072;

/// The first [`SHARED_CACHED`] components of the shared direction (before scaling): the
/// same for every text and every vector size, so computed once instead of per embedding.
static SHARED_DIRECTION: std::sync::LazyLock<Vec<f32>> = std::sync::LazyLock::new(|| {
    let mut shared = shared_source();
    (0..SHARED_CACHED)
        .map(|_| shared_component(&mut shared))
        .collect()
});

/// The random source of the shared direction's components, in order.
fn shared_source() -> Rng {
    Rng::new(fnv1a(&[b"embedding-shared-direction"]))
}

/// The next component of the shared direction, uniform in [-1, 1).
fn shared_component(shared: &mut Rng) -> f32 {
    let unit = (shared.next_u64() >> 11) as f32 / (1u64 << 53) as f32; // [0, 1)
    unit * 2.0 - 1.0
}

/// Cosine similarity of two vectors of the same length.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let lengths = norm(a) * norm(b);
    if lengths > 0.0 {
        dot / lengths
    } else {
        0.0
    }
}

/// The Euclidean length of a vector.
pub fn norm(vector: &[f32]) -> f32 {
    vector.iter().map(|x| x * x).sum::<f32>().sqrt()
}

/// The weighted features of `text`: words and their character trigrams.
fn features(text: &str) -> Vec<(String, f32)> {
    let mut weights: std::collections::BTreeMap<String, f32> = Default::default();
    let lower = text.to_lowercase();
    let words = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    for word in words {
        let weight = if FUNCTION_WORDS.contains(&word) {
            0.2
        } else {
            1.0
        };
        *weights.entry(format!("w:{word}")).or_default() += weight;
        let padded: Vec<char> = format!("<{word}>").chars().collect();
        let trigrams = padded.len().saturating_sub(2);
        for window in padded.windows(3) {
            let trigram: String = window.iter().collect();
            *weights.entry(format!("t:{trigram}")).or_default() +=
                TRIGRAM_WEIGHT * weight / (trigrams.max(1) as f32).sqrt();
        }
    }
    if weights.is_empty() {
        // No words (punctuation, symbols): the text itself is the only feature.
        weights.insert(format!("s:{}", text.trim()), 1.0);
    }
    // Repeats count less than new words: 1 + ln(count), scaled by the feature's weight.
    weights
        .into_iter()
        .map(|(feature, total)| {
            let damped = if total > 1.0 { 1.0 + total.ln() } else { total };
            (feature, damped)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_unit_length_at_every_size() {
        for dimensions in [1, 2, 64, 256, 1536] {
            let vector = embed("hello world", 1536, dimensions);
            assert_eq!(vector.len(), dimensions);
            assert!(
                (norm(&vector) - 1.0).abs() < 1e-4,
                "{dimensions}: {}",
                norm(&vector)
            );
        }
    }

    #[test]
    fn shortened_vectors_are_renormalised_prefixes() {
        let full = embed("shortening keeps the prefix", 3072, 3072);
        let short = embed("shortening keeps the prefix", 3072, 256);
        let prefix = &full[..256];
        assert!((cosine(prefix, &short) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn the_cached_shared_direction_continues_past_its_cache() {
        let mut shared = shared_source();
        let direct: Vec<f32> = (0..SHARED_CACHED + 8)
            .map(|_| shared_component(&mut shared))
            .collect();
        assert_eq!(&direct[..SHARED_CACHED], &SHARED_DIRECTION[..]);
        // A size past the cache: its prefix is the cached size's vector, up to scale.
        let long = embed("past the cache", SHARED_CACHED + 8, SHARED_CACHED + 8);
        let short = embed("past the cache", SHARED_CACHED + 8, SHARED_CACHED);
        assert!((cosine(&long[..SHARED_CACHED], &short) - 1.0).abs() < 1e-5);
        assert!((norm(&long) - 1.0).abs() < 1e-4);
    }

    #[test]
    fn word_forms_are_closer_than_unrelated_words() {
        let a = embed("embedding", 1536, 1536);
        let b = embed("embeddings", 1536, 1536);
        let c = embed("volcano", 1536, 1536);
        assert!(cosine(&a, &b) > cosine(&a, &c) + 0.2);
    }
}
