//! Exports: the request log and usage as CSV and JSON, and a PDF usage report.
//!
//! CSV cells are quoted as RFC 4180 says, and a cell a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`) is prefixed with `'`, since key names and paths are
//! user text. The PDF is written with `pdf-writer` in the built-in Helvetica font, so no
//! font file is embedded or read.

use super::requests::Row;
use super::usage::Usage;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use serde_json::{json, Value};

/// One CSV line of `cells`.
fn csv_line(out: &mut String, cells: &[String]) {
    let quoted: Vec<String> = cells
        .iter()
        .map(|cell| {
            let cell = match cell.starts_with(['=', '+', '-', '@']) {
                true => format!("'{cell}"),
                false => cell.clone(),
            };
            format!("\"{}\"", cell.replace('"', "\"\""))
        })
        .collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

/// A CSV document: a heading line, then `rows`.
pub fn csv(headings: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    csv_line(
        &mut out,
        &headings.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    for row in rows {
        csv_line(&mut out, row);
    }
    out.into_bytes()
}

/// The request log's columns.
const REQUEST_COLUMNS: [&str; 13] = [
    "seq",
    "time",
    "method",
    "path",
    "status",
    "latency_ms",
    "model",
    "input_tokens",
    "output_tokens",
    "key",
    "fired",
    "operation",
    "at_ms",
];

/// The request log as CSV.
pub fn requests_csv(rows: &[Row]) -> Vec<u8> {
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.seq.to_string(),
                r.time.clone(),
                r.method.clone(),
                r.path.clone(),
                r.status.clone(),
                r.latency_ms.to_string(),
                r.model.clone(),
                r.input_tokens.to_string(),
                r.output_tokens.to_string(),
                r.key.clone(),
                r.fired.clone(),
                r.operation.clone(),
                r.at_ms.to_string(),
            ]
        })
        .collect();
    csv(&REQUEST_COLUMNS, &lines)
}

/// The request log as JSON.
pub fn requests_json(rows: &[Row]) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({"object": "list", "data": rows})).unwrap_or_default()
}

/// Usage totals per group: `[group, requests, input tokens, output tokens, errors]`.
fn usage_lines(usage: &Usage) -> Vec<Vec<String>> {
    usage
        .groups
        .iter()
        .map(|g| {
            vec![
                g.label.clone(),
                g.requests.iter().sum::<f64>().to_string(),
                g.input_tokens.to_string(),
                g.output_tokens.to_string(),
                g.errors.iter().sum::<f64>().to_string(),
            ]
        })
        .collect()
}

const USAGE_COLUMNS: [&str; 5] = [
    "group",
    "requests",
    "input_tokens",
    "output_tokens",
    "errors",
];

/// Usage totals per group as CSV.
pub fn usage_csv(usage: &Usage) -> Vec<u8> {
    csv(&USAGE_COLUMNS, &usage_lines(usage))
}

/// Usage (per minute and per group) as JSON.
pub fn usage_json(usage: &Usage) -> Vec<u8> {
    let value: Value = json!(usage);
    serde_json::to_vec_pretty(&value).unwrap_or_default()
}

/// The audit log as CSV: id, type, time, actor, project, and the event's own fields as JSON.
pub fn audit_csv(events: &[Value]) -> Vec<u8> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let lines: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let kind = text(&e["type"]);
            vec![
                text(&e["id"]),
                kind.clone(),
                text(&e["effective_at"]),
                text(&e["actor"]["type"]),
                text(&e["project"]["id"]),
                text(&e[kind.as_str()]),
            ]
        })
        .collect();
    csv(
        &[
            "id",
            "type",
            "effective_at",
            "actor",
            "project_id",
            "details",
        ],
        &lines,
    )
}

/// The audit log as JSON (the events as `GET /organization/audit_logs` lists them).
pub fn audit_json(events: &[Value]) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({"object": "list", "data": events})).unwrap_or_default()
}

/// Text the built-in font can show: ASCII, anything else as `?`.
fn pdf_text(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c.is_ascii() && !c.is_ascii_control() {
            true => c as u8,
            false => b'?',
        })
        .collect()
}

/// A PDF usage report: a title, the totals, a line per group; A4 pages of 50 lines.
pub fn usage_pdf(usage: &Usage, title: &str, generated: &str) -> Vec<u8> {
    let (requests, tokens, errors) = usage.totals();
    let mut lines = vec![
        format!(
            "Generated {generated} UTC; window of {} minutes",
            usage.window_minutes
        ),
        format!("Requests {requests}, tokens {tokens}, errors {errors}"),
        format!(
            "Cost in the window ${:.6}; this month so far ${:.6} (source: {})",
            usage.window_cost(),
            usage.month_cost,
            usage.source
        ),
        String::new(),
        USAGE_COLUMNS.join("  |  "),
    ];
    lines.extend(usage_lines(usage).iter().map(|l| l.join("  |  ")));
    let pages: Vec<&[String]> = lines.chunks(50).collect();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let font_name = Name(b"F1");
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(4 + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(font).base_font(Name(b"Helvetica"));
    for (i, chunk) in pages.iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
        page.parent(tree);
        page.contents(content_id);
        page.resources().fonts().pair(font_name, font);
        page.finish();
        let mut content = Content::new();
        content.begin_text();
        let mut y = 790.0;
        if i == 0 {
            content.set_font(font_name, 16.0);
            content.next_line(50.0, y);
            content.show(Str(&pdf_text(title)));
            content.end_text();
            content.begin_text();
            y -= 30.0;
        }
        content.set_font(font_name, 10.0);
        content.next_line(50.0, y);
        content.set_leading(14.0);
        for (k, line) in chunk.iter().enumerate() {
            if k > 0 {
                content.next_line_using_leading();
            }
            content.show(Str(&pdf_text(line)));
        }
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let text = String::from_utf8(csv(
            &["a"],
            &[vec!["=1+1".into()], vec!["say \"hi\"".into()]],
        ))
        .unwrap();
        assert_eq!(text, "\"a\"\r\n\"'=1+1\"\r\n\"say \"\"hi\"\"\"\r\n");
    }

    #[test]
    fn the_pdf_report_is_a_pdf() {
        let usage = Usage {
            minutes: vec![0],
            groups: Vec::new(),
            latency: [vec![0.0], vec![0.0], vec![0.0]],
            window_minutes: 60,
            costs: vec![("Default project".into(), 0.25)],
            month_cost: 1.0,
            source: "usage",
        };
        let pdf = usage_pdf(&usage, "Usage report é", "2026-12-07 00:00:00");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(12).any(|w| w == b"Usage report"));
        assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
    }
}
