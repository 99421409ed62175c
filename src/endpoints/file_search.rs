//! The `file_search` tool, shared by the Assistants and Responses APIs: searching the
//! namespace's vector stores and composing an answer that cites the files it used.
//!
//! - [`search`] ranks the chunks of every named vector store with the vector store search's
//!   own ranking and attribute filters (`vector_stores::search::rank`), merges them best
//!   first and keeps `max_num_results`. Each result is a search results page item:
//!   `{file_id, filename, score, attributes, content: [{type: "text", text}]}`.
//! - [`compose`] writes the answer from the best chunks: the sentence of the best chunk that
//!   shares the most words with the query, and the best sentence of the next file when its
//!   score is close to the best (within 10%). Each sentence carries a [`Citation`] at its
//!   end (a character index into the text, as clients index strings).
//!
//! How each API shows the citations:
//! - **Assistants** ([`Answer::with_markers`]): the message text holds a marker such as
//!   `【4:0†source】` after each cited sentence, and its annotations are
//!   `{type: "file_citation", text: marker, start_index, end_index, file_citation: {file_id}}`
//!   with the marker's character span.
//! - **Responses** ([`Answer::response_annotations`]): the text has no markers; the
//!   `output_text` annotations are `{type: "file_citation", file_id, filename, index}` with
//!   `index` the character position the citation applies at. The `file_search_call` output
//!   item is `{type: "file_search_call", id, status: "completed", queries: [query], results}`,
//!   where `results` (each `{file_id, filename, score, text, attributes}`, see
//!   [`response_results`]) is filled only when `include` holds `"file_search_call.results"`,
//!   and is `null` otherwise.

use super::vector_stores::search::{rank, Query};
use super::Call;
use crate::services::model::text::{is_stopword, words};
use serde_json::{json, Value};
use std::cmp::Ordering;

/// `max_num_results` when the tool does not say (the real default for GPT-4 models).
pub const DEFAULT_RESULTS: usize = 20;

/// One search, as the tools describe it.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    /// The vector stores searched.
    pub vector_store_ids: &'a [String],
    /// What the model searches for (the user's question).
    pub query: &'a str,
    /// The most results kept, over all the stores.
    pub max_num_results: usize,
    /// The lowest score kept (`ranking_options.score_threshold`).
    pub score_threshold: f32,
    /// An attribute filter in the vector store search format.
    pub filters: Option<&'a Value>,
}

/// The ranked results of `search` over the namespace's vector stores, best first (see the
/// module notes for their form). Stores that do not exist add nothing.
pub fn search(call: &Call, search: &Search) -> Vec<Value> {
    let texts = [search.query.to_string()];
    let query = Query {
        texts: &texts,
        limit: search.max_num_results,
        threshold: search.score_threshold,
        filter: search.filters,
    };
    let mut results: Vec<Value> = search
        .vector_store_ids
        .iter()
        .flat_map(|store| rank(call, store, &query))
        .collect();
    results.sort_by(|a, b| score(b).partial_cmp(&score(a)).unwrap_or(Ordering::Equal));
    results.truncate(search.max_num_results);
    results
}

fn score(result: &Value) -> f64 {
    result.get("score").and_then(Value::as_f64).unwrap_or(0.0)
}

fn text_of(result: &Value) -> String {
    result
        .get("content")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Results in the form of the Responses `file_search_call.results` entries:
/// `{file_id, filename, score, text, attributes}`.
pub fn response_results(results: &[Value]) -> Vec<Value> {
    results
        .iter()
        .map(|r| {
            json!({
                "file_id": r["file_id"],
                "filename": r["filename"],
                "score": r["score"],
                "text": text_of(r),
                "attributes": r.get("attributes").cloned().unwrap_or(json!({})),
            })
        })
        .collect()
}

/// Where an answer cites a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    /// The cited file.
    pub file_id: String,
    /// Its name.
    pub filename: String,
    /// Which search result (its rank, from 0) the cited sentence comes from.
    pub result: usize,
    /// The character position in the text the citation applies at (the sentence's end).
    pub index: usize,
}

/// An answer composed from search results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    /// The text, without citation markers.
    pub text: String,
    /// Its citations, in text order.
    pub citations: Vec<Citation>,
}

impl Answer {
    /// The Assistants form: the text with a `【{message}:{result}†source】` marker after each
    /// cited sentence, and its `file_citation` annotations (character spans of the markers).
    pub fn with_markers(&self, message: usize) -> (String, Vec<Value>) {
        let mut out = String::new();
        let mut annotations = Vec::new();
        let mut taken = 0;
        let chars: Vec<char> = self.text.chars().collect();
        for citation in &self.citations {
            let upto = citation.index.min(chars.len());
            out.extend(&chars[taken.min(upto)..upto]);
            taken = upto;
            let marker = format!("【{message}:{}†source】", citation.result);
            let start = out.chars().count();
            out.push_str(&marker);
            annotations.push(json!({
                "type": "file_citation",
                "text": marker,
                "start_index": start,
                "end_index": start + marker.chars().count(),
                "file_citation": {"file_id": citation.file_id},
            }));
        }
        out.extend(&chars[taken.min(chars.len())..]);
        (out, annotations)
    }

    /// The Responses form of the citations: `{type: "file_citation", file_id, filename,
    /// index}` for the unmarked text.
    pub fn response_annotations(&self) -> Vec<Value> {
        self.citations
            .iter()
            .map(|c| {
                json!({
                    "type": "file_citation",
                    "file_id": c.file_id,
                    "filename": c.filename,
                    "index": c.index,
                })
            })
            .collect()
    }
}

/// The answer to `query` from `results` (ranked best first), as the module notes describe;
/// a sentence saying nothing was found when there are no results.
pub fn compose(query: &str, results: &[Value]) -> Answer {
    let Some(best) = results.first() else {
        return Answer {
            text: "I could not find anything about that in the attached files.".into(),
            citations: Vec::new(),
        };
    };
    let keywords = keywords(query);
    let mut picked = vec![(0, best)];
    let best_file = best.get("file_id");
    if let Some((rank, next)) = results
        .iter()
        .enumerate()
        .find(|(_, r)| r.get("file_id") != best_file)
    {
        if score(next) >= score(best) * 0.9 {
            picked.push((rank, next));
        }
    }
    let mut answer = Answer::default();
    for (rank, result) in picked {
        let sentence = best_sentence(&text_of(result), &keywords);
        if sentence.is_empty() {
            continue;
        }
        if !answer.text.is_empty() {
            answer.text.push(' ');
        }
        answer.text.push_str(&sentence);
        answer.citations.push(Citation {
            file_id: result["file_id"].as_str().unwrap_or_default().to_string(),
            filename: result["filename"].as_str().unwrap_or_default().to_string(),
            result: rank,
            index: answer.text.chars().count(),
        });
    }
    answer
}

/// Whether `results` say anything about `query`: some result shares one of the query's
/// significant words (what decides whether a model would use the search it made).
pub fn relevant(query: &str, results: &[Value]) -> bool {
    let keywords = keywords(query);
    results.iter().any(|result| {
        let have: Vec<String> = words(&text_of(result).to_lowercase())
            .into_iter()
            .map(stem)
            .collect();
        keywords.iter().any(|k| have.contains(k))
    })
}

/// The query's significant words, lower-cased.
fn keywords(query: &str) -> Vec<String> {
    let mut out: Vec<String> = words(&query.to_lowercase())
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !is_stopword(w))
        .map(stem)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn stem(word: &str) -> String {
    let word = word.trim_end_matches("'s");
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= 3 && !word.ends_with("ss") => stem.to_string(),
        _ => word.to_string(),
    }
}

/// The sentence of `text` with the most of `keywords` (the first such), whitespace folded.
fn best_sentence(text: &str, keywords: &[String]) -> String {
    let mut best = (0, String::new());
    for sentence in sentences(text) {
        let lower = sentence.to_lowercase();
        let have: Vec<String> = words(&lower).into_iter().map(stem).collect();
        let hits = keywords.iter().filter(|k| have.contains(k)).count();
        if best.1.is_empty() || hits > best.0 {
            best = (hits, sentence);
        }
    }
    best.1
}

/// The sentences of `text`: split after `.`, `!` or `?` followed by whitespace, and at
/// blank lines; whitespace folded to single spaces.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        current.push(ch);
        let next_is_space = chars.peek().is_none_or(|c| c.is_whitespace());
        let blank_line = ch == '\n' && chars.peek() == Some(&'\n');
        if (matches!(ch, '.' | '!' | '?') && next_is_space) || blank_line {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(file: &str, score: f64, text: &str) -> Value {
        json!({"file_id": file, "filename": format!("{file}.txt"), "score": score,
               "attributes": {}, "content": [{"type": "text", "text": text}]})
    }

    #[test]
    fn the_answer_quotes_the_sentence_that_matches_and_cites_its_file() {
        let results = [
            result(
                "file-a",
                0.8,
                "Our office opens at nine. The capital of Zorbia is Quillton. Parking is free.",
            ),
            result("file-b", 0.3, "Bananas are yellow."),
        ];
        let answer = compose("What is the capital of Zorbia?", &results);
        assert_eq!(answer.text, "The capital of Zorbia is Quillton.");
        assert_eq!(answer.citations.len(), 1);
        assert_eq!(answer.citations[0].file_id, "file-a");
        assert_eq!(answer.citations[0].index, answer.text.chars().count());
        let (text, annotations) = answer.with_markers(0);
        assert_eq!(text, "The capital of Zorbia is Quillton.【0:0†source】");
        let start = annotations[0]["start_index"].as_u64().unwrap() as usize;
        let end = annotations[0]["end_index"].as_u64().unwrap() as usize;
        let marker: String = text.chars().skip(start).take(end - start).collect();
        assert_eq!(marker, annotations[0]["text"]);
        assert_eq!(annotations[0]["file_citation"]["file_id"], "file-a");
        let responses = answer.response_annotations();
        assert_eq!(responses[0]["index"], 34);
        assert_eq!(responses[0]["filename"], "file-a.txt");
    }

    #[test]
    fn a_close_second_file_is_cited_too() {
        let results = [
            result("file-a", 0.80, "Zorbia exports tin."),
            result("file-a", 0.78, "Zorbia has lakes."),
            result("file-b", 0.75, "Zorbia's capital is Quillton."),
        ];
        let answer = compose("Zorbia", &results);
        let cited: Vec<_> = answer
            .citations
            .iter()
            .map(|c| c.file_id.as_str())
            .collect();
        assert_eq!(cited, ["file-a", "file-b"]);
        assert_eq!(answer.citations[1].result, 2);
        let (text, annotations) = answer.with_markers(3);
        assert_eq!(
            text,
            "Zorbia exports tin.【3:0†source】 Zorbia's capital is Quillton.【3:2†source】"
        );
        assert_eq!(annotations.len(), 2);
    }

    #[test]
    fn results_are_relevant_when_they_share_a_significant_word() {
        let results = [result("file-a", 0.4, "The capitals of Zorbia.")];
        assert!(relevant("What is the capital of Zorbia?", &results));
        assert!(!relevant("Write a haiku about penguins.", &results));
        assert!(!relevant("What is the capital?", &[]));
    }

    #[test]
    fn no_results_is_said_plainly() {
        let answer = compose("anything", &[]);
        assert!(answer.citations.is_empty());
        assert!(answer.text.contains("could not find"));
        assert_eq!(answer.with_markers(0).0, answer.text);
    }
}
