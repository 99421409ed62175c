//! The bytes of files nobody uploaded (an id asked for under lenient ids): content that fits
//! the file's name and purpose, chosen from the id, so a file's metadata and its content agree
//! however often either is asked for.
//!
//! JSONL batch requests (`batch`), chat-formatted training examples (`fine-tune`), eval items
//! (`evals`), Markdown and plain text (`assistants`), CSV and Python (container files), a
//! one-page PDF and a PNG picture.

use super::picture::{png, Picture};
use crate::generate::meaning::file_name_for_purpose;
use crate::generate::{fnv1a, Rng};
use serde_json::json;

/// A file nobody uploaded, as the Files API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Its `purpose`.
    pub purpose: &'static str,
    /// Its file name (a container file's: its name under `/mnt/data/`).
    pub name: String,
    /// Its content; `bytes` is its length.
    pub bytes: Vec<u8>,
}

/// The purposes a file nobody uploaded may have.
const PURPOSES: [&str; 5] = ["assistants", "batch", "fine-tune", "user_data", "vision"];

/// The names a container file nobody created may have.
const CONTAINER_NAMES: [&str; 4] = [
    "quarterly_revenue.csv",
    "analysis.py",
    "summary.md",
    "chart.png",
];

/// The file with id `id` in the Files API: its purpose, name and content, from the id.
pub fn file(id: &str) -> Document {
    let mut rng = Rng::new(fnv1a(&[b"file", id.as_bytes()]));
    let purpose = PURPOSES[rng.below(PURPOSES.len() as u64) as usize];
    let name = file_name_for_purpose(purpose, &mut rng);
    let bytes = content(&name, purpose);
    Document {
        purpose,
        name,
        bytes,
    }
}

/// The container file with id `id`: its name and content, from the id.
pub fn container_file(id: &str) -> Document {
    let mut rng = Rng::new(fnv1a(&[b"container.file", id.as_bytes()]));
    let name = CONTAINER_NAMES[rng.below(CONTAINER_NAMES.len() as u64) as usize].to_string();
    let bytes = content(&name, "user_data");
    Document {
        purpose: "user_data",
        name,
        bytes,
    }
}

/// Content that fits a file named `name` with `purpose`.
pub fn content(name: &str, purpose: &str) -> Vec<u8> {
    let extension = name.rsplit('.').next().unwrap_or("");
    match (extension, purpose) {
        ("jsonl", "batch") => jsonl(batch_request),
        ("jsonl", "batch_output") => jsonl(batch_output),
        ("jsonl", "evals") => jsonl(eval_item),
        ("jsonl", _) => jsonl(training_example),
        ("csv", _) => CSV.as_bytes().to_vec(),
        ("py", _) => PYTHON.as_bytes().to_vec(),
        ("md", _) => MARKDOWN.as_bytes().to_vec(),
        ("pdf", _) => pdf(PDF_TEXT),
        ("png" | "jpg" | "jpeg", _) => png(&Picture {
            width: 64,
            height: 48,
            top: [40, 90, 160, 255],
            bottom: [230, 180, 90, 255],
            alpha: false,
        }),
        _ => TEXT.as_bytes().to_vec(),
    }
}

const QUESTIONS: [(&str, &str); 3] = [
    (
        "What is the capital of France?",
        "The capital of France is Paris.",
    ),
    (
        "How many days are in a leap year?",
        "A leap year has 366 days.",
    ),
    (
        "Translate 'good morning' into Spanish.",
        "'Good morning' in Spanish is 'buenos días'.",
    ),
];

/// One JSON line per question, as `line` writes it.
fn jsonl(line: fn(usize, &str, &str) -> serde_json::Value) -> Vec<u8> {
    let mut out = String::new();
    for (n, (question, answer)) in QUESTIONS.iter().enumerate() {
        out.push_str(&line(n + 1, question, answer).to_string());
        out.push('\n');
    }
    out.into_bytes()
}

fn batch_request(n: usize, question: &str, _: &str) -> serde_json::Value {
    json!({
        "custom_id": format!("request-{n}"),
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question}]},
    })
}

fn batch_output(n: usize, _: &str, answer: &str) -> serde_json::Value {
    json!({
        "id": format!("batch_req_{n:024}"),
        "custom_id": format!("request-{n}"),
        "response": {
            "status_code": 200,
            "request_id": format!("req_{n:032}"),
            "body": {
                "object": "chat.completion",
                "model": "gpt-4o-mini",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": answer},
                    "finish_reason": "stop",
                }],
            },
        },
        "error": null,
    })
}

fn training_example(_: usize, question: &str, answer: &str) -> serde_json::Value {
    json!({"messages": [
        {"role": "system", "content": "You are a concise, helpful assistant."},
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer},
    ]})
}

fn eval_item(_: usize, question: &str, answer: &str) -> serde_json::Value {
    json!({"item": {"input": question, "ground_truth": answer}})
}

const CSV: &str = "quarter,region,revenue_usd,units\n\
2025-Q1,North America,1284000,5120\n\
2025-Q1,Europe,962500,3870\n\
2025-Q2,North America,1351200,5390\n\
2025-Q2,Europe,1010300,4015\n";

const PYTHON: &str = "import csv\n\n\
with open(\"/mnt/data/quarterly_revenue.csv\") as f:\n\
    rows = list(csv.DictReader(f))\n\n\
total = sum(int(r[\"revenue_usd\"]) for r in rows)\n\
print(f\"Total revenue: {total:,} USD\")\n";

const MARKDOWN: &str = "# Product catalog\n\n\
## Trail Runner 2\n\nA lightweight running shoe with a grippy outsole, for muddy trails.\n\n\
## Summit Jacket\n\nA waterproof shell that packs into its own pocket.\n";

const TEXT: &str = "Employee handbook\n\n\
Working hours are flexible between 8:00 and 18:00. Expense reports are due by the fifth \
working day of each month. Questions go to the people team.\n";

const PDF_TEXT: &str = "Customer notes: renewal due in March; prefers email contact.";

/// A one-page PDF showing `text`, with a correct cross-reference table.
fn pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{object}\nendobj\n", n + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        out.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_fit_their_purpose_and_are_the_same_for_the_same_id() {
        for n in 0..40 {
            let id = format!("file-{n}");
            let doc = file(&id);
            assert_eq!(doc, file(&id));
            match doc.purpose {
                "batch" | "fine-tune" => {
                    assert!(doc.name.ends_with(".jsonl"));
                    for line in std::str::from_utf8(&doc.bytes).unwrap().lines() {
                        serde_json::from_str::<serde_json::Value>(line).unwrap();
                    }
                }
                "vision" => assert!(doc.bytes.starts_with(b"\x89PNG")),
                "user_data" => assert!(doc.bytes.starts_with(b"%PDF-")),
                _ => assert!(std::str::from_utf8(&doc.bytes).is_ok()),
            }
        }
    }

    #[test]
    fn the_pdf_cross_reference_points_at_its_objects() {
        let bytes = pdf("Hello");
        let text = std::str::from_utf8(&bytes).unwrap();
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[start..].starts_with("xref"));
        for (n, line) in text[start..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(text[offset..].starts_with(&format!("{} 0 obj", n + 1)));
        }
    }
}
