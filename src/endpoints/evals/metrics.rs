//! The `text_similarity` grader's metrics, each a score in `[0, 1]` of a model output
//! against a reference: `fuzzy_match` (normalised Levenshtein similarity, from `strsim`),
//! `cosine` (of this server's embeddings), and the n-gram metrics `bleu`, `gleu`,
//! `meteor`, `rouge_1` … `rouge_5` and `rouge_l`.
//!
//! The n-gram metrics are written here: no crate in this build's reach computes them (the
//! lockfile has none, and the registry's search was unavailable to check for one), and each
//! is a few lines over shared n-gram counts. They follow the published definitions on
//! lower-cased word tokens:
//! - BLEU (Papineni et al., 2002): geometric mean of clipped 1- to 4-gram precisions times
//!   the brevity penalty, with add-one smoothing of the 2- to 4-gram precisions (Lin and
//!   Och, 2004) so that a short sentence without a 4-gram match is not scored 0;
//! - GLEU (Wu et al., 2016): the smaller of the 1- to 4-gram precision and recall;
//! - METEOR (Banerjee and Lavie, 2005, with NLTK's parameters α 0.9, β 3, γ 0.5): exact
//!   unigram matches only (no stemming or synonyms), the recall-weighted harmonic mean
//!   times the fragmentation penalty;
//! - ROUGE-N: the F1 of clipped n-gram overlap; ROUGE-L: the F1 of the longest common
//!   subsequence.

use crate::services::embedding;
use std::collections::HashMap;

/// The score of `output` against `reference` under `metric` (the API's
/// `evaluation_metric`); `None` for a metric this server does not know.
pub fn score(metric: &str, output: &str, reference: &str) -> Option<f64> {
    let hyp = tokens(output);
    let refs = tokens(reference);
    Some(match metric {
        "fuzzy_match" => strsim::normalized_levenshtein(output, reference),
        "cosine" => {
            let a = embedding::embed(output, EMBEDDING_DIMENSIONS, EMBEDDING_DIMENSIONS);
            let b = embedding::embed(reference, EMBEDDING_DIMENSIONS, EMBEDDING_DIMENSIONS);
            f64::from(embedding::cosine(&a, &b)).clamp(0.0, 1.0)
        }
        "bleu" => bleu(&hyp, &refs),
        "gleu" => gleu(&hyp, &refs),
        "meteor" => meteor(&hyp, &refs),
        "rouge_l" => rouge_l(&hyp, &refs),
        other => {
            let n = other.strip_prefix("rouge_")?.parse::<usize>().ok()?;
            if !(1..=5).contains(&n) {
                return None;
            }
            rouge_n(&hyp, &refs, n)
        }
    })
}

/// The embedding size `cosine` compares at (text-embedding-3-small's).
const EMBEDDING_DIMENSIONS: usize = 1536;

/// Lower-cased word tokens: runs of letters, digits and apostrophes.
fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The n-grams of `words`, with their counts.
fn ngrams(words: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    if n > 0 && words.len() >= n {
        for gram in words.windows(n) {
            *counts.entry(gram).or_insert(0) += 1;
        }
    }
    counts
}

/// The clipped overlap of `hyp`'s and `refs`'s n-grams, and how many each has.
fn overlap(hyp: &[String], refs: &[String], n: usize) -> (usize, usize, usize) {
    let h = ngrams(hyp, n);
    let r = ngrams(refs, n);
    let matched = h
        .iter()
        .map(|(gram, count)| (*count).min(r.get(gram).copied().unwrap_or(0)))
        .sum();
    (
        matched,
        hyp.len().saturating_sub(n - 1),
        refs.len().saturating_sub(n - 1),
    )
}

fn bleu(hyp: &[String], refs: &[String]) -> f64 {
    if hyp.is_empty() || refs.is_empty() {
        return 0.0;
    }
    let mut log_sum = 0.0;
    for n in 1..=4 {
        let (matched, total, _) = overlap(hyp, refs, n);
        let precision = if n == 1 {
            if matched == 0 {
                return 0.0;
            }
            matched as f64 / total as f64
        } else {
            (matched as f64 + 1.0) / (total as f64 + 1.0)
        };
        log_sum += precision.ln() / 4.0;
    }
    let (c, r) = (hyp.len() as f64, refs.len() as f64);
    let brevity = if c > r { 1.0 } else { (1.0 - r / c).exp() };
    (brevity * log_sum.exp()).clamp(0.0, 1.0)
}

fn gleu(hyp: &[String], refs: &[String]) -> f64 {
    let (mut matched, mut in_hyp, mut in_ref) = (0, 0, 0);
    for n in 1..=4 {
        let (m, h, r) = overlap(hyp, refs, n);
        matched += m;
        in_hyp += h;
        in_ref += r;
    }
    if in_hyp == 0 || in_ref == 0 {
        return 0.0;
    }
    (matched as f64 / in_hyp as f64).min(matched as f64 / in_ref as f64)
}

fn meteor(hyp: &[String], refs: &[String]) -> f64 {
    // Align each hypothesis word to the first unused equal reference word.
    let mut used = vec![false; refs.len()];
    let mut alignment: Vec<(usize, usize)> = Vec::new();
    for (i, word) in hyp.iter().enumerate() {
        if let Some(j) = (0..refs.len()).find(|&j| !used[j] && &refs[j] == word) {
            used[j] = true;
            alignment.push((i, j));
        }
    }
    let matches = alignment.len();
    if matches == 0 {
        return 0.0;
    }
    let precision = matches as f64 / hyp.len() as f64;
    let recall = matches as f64 / refs.len() as f64;
    let (alpha, beta, gamma) = (0.9, 3.0, 0.5);
    let fmean = precision * recall / (alpha * precision + (1.0 - alpha) * recall);
    // A chunk is a run of matches adjacent in both texts.
    let chunks = 1 + alignment
        .windows(2)
        .filter(|w| !(w[1].0 == w[0].0 + 1 && w[1].1 == w[0].1 + 1))
        .count();
    let penalty = gamma * (chunks as f64 / matches as f64).powf(beta);
    fmean * (1.0 - penalty)
}

fn f1(matched: usize, in_hyp: usize, in_ref: usize) -> f64 {
    if matched == 0 || in_hyp == 0 || in_ref == 0 {
        return 0.0;
    }
    let precision = matched as f64 / in_hyp as f64;
    let recall = matched as f64 / in_ref as f64;
    2.0 * precision * recall / (precision + recall)
}

fn rouge_n(hyp: &[String], refs: &[String], n: usize) -> f64 {
    let (matched, in_hyp, in_ref) = overlap(hyp, refs, n);
    f1(matched, in_hyp, in_ref)
}

fn rouge_l(hyp: &[String], refs: &[String]) -> f64 {
    // The longest common subsequence, one row of the table at a time.
    let mut row = vec![0usize; refs.len() + 1];
    for word in hyp {
        let mut diagonal = 0;
        for (j, other) in refs.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if word == other {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    f1(row[refs.len()], hyp.len(), refs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: [&str; 11] = [
        "fuzzy_match",
        "cosine",
        "bleu",
        "gleu",
        "meteor",
        "rouge_1",
        "rouge_2",
        "rouge_3",
        "rouge_4",
        "rouge_5",
        "rouge_l",
    ];

    #[test]
    fn identical_texts_score_one_and_disjoint_ones_nearly_zero() {
        let text = "the quick brown fox jumps over the lazy dog";
        for metric in METRICS {
            // METEOR's fragmentation penalty (one chunk of nine matches) keeps it under 1.
            let same = score(metric, text, text).unwrap();
            assert!(same > 0.99 && same <= 1.0, "{metric}: {same}");
            let other = score(metric, text, "stock markets rallied sharply on monday").unwrap();
            assert!(other < 0.6, "{metric}: {other}");
        }
        assert_eq!(score("rouge_9", text, text), None);
        assert_eq!(score("exact", text, text), None);
    }

    #[test]
    fn scores_follow_the_definitions() {
        let hyp = tokens("the cat sat on the mat");
        let refs = tokens("the cat is on the mat");
        // Unigrams: 5 of 6 match each way.
        assert!((rouge_n(&hyp, &refs, 1) - 5.0 / 6.0).abs() < 1e-9);
        // Bigrams: "the cat", "on the", "the mat" of 5 each way.
        assert!((rouge_n(&hyp, &refs, 2) - 3.0 / 5.0).abs() < 1e-9);
        // LCS "the cat on the mat" = 5 of 6.
        assert!((rouge_l(&hyp, &refs) - 5.0 / 6.0).abs() < 1e-9);
        // GLEU: matches 5+3+1+0 = 9 of 6+5+4+3 = 18 n-grams each way.
        assert!((gleu(&hyp, &refs) - 0.5).abs() < 1e-9);
        // BLEU: p1 5/6, p2 4/6, p3 2/5, p4 1/4 (smoothed), no brevity penalty.
        let expected = (5.0f64 / 6.0 * 4.0 / 6.0 * 2.0 / 5.0 * 1.0 / 4.0).powf(0.25);
        assert!((bleu(&hyp, &refs) - expected).abs() < 1e-9);
        // METEOR: 5 matches in 2 chunks ("the cat", "on the mat").
        // With precision = recall, the weighted harmonic mean is that value.
        let fmean = 5.0 / 6.0;
        let expected = fmean * (1.0 - 0.5 * (2.0f64 / 5.0).powi(3));
        assert!((meteor(&hyp, &refs) - expected).abs() < 1e-9);
        assert!(
            (score("fuzzy_match", "kitten", "sitting").unwrap() - (1.0 - 3.0 / 7.0)).abs() < 1e-9
        );
    }
}
