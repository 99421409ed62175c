//! The `code_interpreter` tool of `POST /responses`: a `code_interpreter_call` with Python
//! code for the request, run in a container, followed by a message with its result.
//!
//! - The tool acts when `tool_choice` forces it or, with `"auto"`, when the prompt asks to
//!   calculate, plot, chart, run code or make a CSV; never with `"none"`. `max_tool_calls`
//!   and `parallel_tool_calls` apply (`hosted::may_act`).
//! - The container is the tool's `container` id, or, for `{"type": "auto"}`, the container
//!   of an earlier call in the conversation when it still exists, else a new one created in
//!   the store (with the tool's `file_ids` copied in), as `POST /containers` would.
//! - What the code does ([`Task`]): a chart request saves a real PNG bar chart of the
//!   prompt's numbers (`chart.png`), a CSV request writes a real CSV (`data.csv`), both as
//!   files of the container (source `assistant`) that
//!   `GET /containers/{id}/files/{file_id}/content` serves, cited in the message with a
//!   `container_file_citation` on the `sandbox:` link; otherwise the code computes with the
//!   prompt's numbers (sum and mean, or the one operation written between two of them).
//! - `outputs` holds the printed `logs` with `include: ["code_interpreter_call.outputs"]`,
//!   else `null`.
//! - A scenario rule's `tool_results.code_interpreter` pins the run: `code`, `logs` and an
//!   optional `file` (`{name, content}`, content as text) written to the container and cited;
//!   the tool then acts whatever the prompt (unless `tool_choice` forbids it), and a scripted
//!   `text` replaces the composed one.
//! - A `code_interpreter_call` sent back after the last user message is not run again.

use super::reply::{rewrite, Reply};
use super::{earlier, included, mentions, turn};
use crate::endpoints::containers;
use crate::endpoints::endpoint::Call;
use crate::generate::media;
use crate::generate::{new_id, Rng};
use crate::services::model::arithmetic;
use crate::services::model::text::Context;
use serde_json::{json, Value};

/// The tool types this module serves.
pub const TYPES: &[&str] = &["code_interpreter"];

/// Phrases that make a prompt call for code when `tool_choice` is `auto`.
const CUES: &[&str] = &[
    "calculate",
    "compute",
    "plot",
    "chart",
    "graph",
    "run code",
    "run this",
    "execute",
    "python",
    "csv",
    "spreadsheet",
    "code interpreter",
    "average of",
    "mean of",
    "standard deviation",
];

/// What the code does.
#[derive(Debug, Clone, PartialEq)]
enum Task {
    /// Saves a bar chart of the values.
    Chart(Vec<f64>),
    /// Writes the values as a CSV.
    Csv(Vec<f64>),
    /// Computes with the values; the operation (`add`, ...) when one is written.
    Compute(Vec<f64>, Option<&'static str>),
}

/// The code, what it prints, and the file it writes (name and bytes).
struct Run {
    code: String,
    logs: String,
    file: Option<(String, Vec<u8>)>,
    /// The message's text without the file link.
    summary: String,
}

/// Rewrites `answer` (the shaped response for `body`, the request with its earlier turns)
/// as the module notes say; leaves it alone when the tool does not act.
pub fn apply(call: &Call, body: &Value, answer: &mut Value, rng: &mut Rng) {
    let Some(turn) = turn(call, body, answer, TYPES, "code_interpreter_call") else {
        return;
    };
    if !turn.wanted(CUES) {
        return;
    }
    let now = answer
        .get("created_at")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let Some(container_id) = container(call, body, turn.tool, now, rng) else {
        return;
    };
    let run = match turn.pinned {
        Some(pinned) => pinned_run(pinned),
        None => run(&task(&turn.context)),
    };
    let mut text = run.summary.clone();
    let mut annotations = Vec::new();
    if let Some((name, bytes)) = run.file {
        let file = containers::put_file(call, rng, now, &container_id, &name, bytes, "assistant");
        text.push_str(" You can download it here: ");
        let start = text.chars().count();
        text.push_str(&format!("[{name}](sandbox:/mnt/data/{name})"));
        annotations.push(json!({
            "type": "container_file_citation",
            "container_id": container_id,
            "file_id": file["id"],
            "filename": name,
            "start_index": start,
            "end_index": text.chars().count(),
        }));
    }
    let outputs = if included(body, "code_interpreter_call.outputs") {
        json!([{"type": "logs", "logs": run.logs}])
    } else {
        Value::Null
    };
    let item = json!({
        "id": new_id(rng, "ci_"),
        "type": "code_interpreter_call",
        "status": "completed",
        "container_id": container_id,
        "code": run.code,
        "outputs": outputs,
    });
    let model = answer.get("model").and_then(Value::as_str).unwrap_or("");
    let read = crate::services::tokens::Encoding::for_model(model).count(&run.logs);
    let reply = Reply {
        body,
        text,
        annotations,
        read,
    }
    .scripted(call);
    rewrite(answer, turn.position, vec![item], &reply, rng);
}

/// The container the call runs in, as the module notes say.
fn container(call: &Call, body: &Value, tool: &Value, now: i64, rng: &mut Rng) -> Option<String> {
    match tool.get("container") {
        Some(Value::String(id)) => Some(id.clone()),
        other => {
            let reused = earlier(body, "code_interpreter_call")
                .into_iter()
                .filter_map(|item| item.get("container_id").and_then(Value::as_str))
                .find(|id| containers::exists(call, id));
            if let Some(id) = reused {
                return Some(id.to_string());
            }
            let files = other
                .and_then(|c| c.get("file_ids"))
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            containers::create_for_tool(call, rng, now, files)
        }
    }
}

/// The run a rule pinned.
fn pinned_run(pinned: &Value) -> Run {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or("").to_string();
    let file = pinned.get("file").and_then(|file| {
        let name = file.get("name").and_then(Value::as_str)?;
        Some((name.to_string(), text(file.get("content")).into_bytes()))
    });
    let logs = text(pinned.get("logs"));
    Run {
        code: text(pinned.get("code")),
        summary: if logs.trim().is_empty() {
            "The code ran.".into()
        } else {
            format!("The code printed: {}", logs.trim())
        },
        logs,
        file,
    }
}

/// What the prompt asks the code to do.
fn task(context: &Context) -> Task {
    let prompt = &context.last_user;
    let numbers = context.numbers();
    if mentions(prompt, &["plot", "chart", "graph", "histogram", "visuali"]) {
        let values = if numbers.is_empty() {
            vec![3.0, 7.0, 5.0, 9.0]
        } else {
            numbers
        };
        return Task::Chart(values);
    }
    if mentions(prompt, &["csv", "spreadsheet"]) {
        let values = if numbers.is_empty() {
            vec![1.0, 2.0, 3.0]
        } else {
            numbers
        };
        return Task::Csv(values);
    }
    let operation = arithmetic::operation_names(prompt).first().copied();
    Task::Compute(numbers, operation.filter(|_| context.numbers().len() == 2))
}

/// A number as Python prints it (`3`, `2.5`, `4.0` for a float that is whole).
fn python(value: f64, float: bool) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        if float {
            format!("{value:.1}")
        } else {
            format!("{}", value as i64)
        }
    } else {
        format!("{value}")
    }
}

/// `values` as a Python list literal.
fn list(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|v| python(*v, false)).collect();
    format!("[{}]", items.join(", "))
}

/// The code of `task`, what it prints and writes.
fn run(task: &Task) -> Run {
    match task {
        Task::Chart(values) => {
            let labels: Vec<String> = (1..=values.len()).map(|i| format!("\"{i}\"")).collect();
            Run {
                code: format!(
                    "import matplotlib.pyplot as plt\n\nvalues = {}\nlabels = [{}]\n\n\
                     plt.figure(figsize=(6.4, 4.8))\nplt.bar(labels, values, color=\"#4c72b0\")\n\
                     plt.tight_layout()\nplt.savefig(\"/mnt/data/chart.png\")\n\
                     print(\"Saved /mnt/data/chart.png\")",
                    list(values),
                    labels.join(", ")
                ),
                logs: "Saved /mnt/data/chart.png\n".into(),
                file: Some(("chart.png".into(), media::bar_chart(values))),
                summary: format!("I plotted the {} values as a bar chart.", values.len()),
            }
        }
        Task::Csv(values) => {
            let mut csv = String::from("row,value\n");
            for (index, value) in values.iter().enumerate() {
                csv.push_str(&format!("{},{}\n", index + 1, python(*value, false)));
            }
            Run {
                code: format!(
                    "import csv\n\nvalues = {}\n\nwith open(\"/mnt/data/data.csv\", \"w\", newline=\"\") as f:\n    \
                     writer = csv.writer(f)\n    writer.writerow([\"row\", \"value\"])\n    \
                     for i, v in enumerate(values, start=1):\n        writer.writerow([i, v])\n\n\
                     print(f\"Wrote {{len(values)}} rows to /mnt/data/data.csv\")",
                    list(values)
                ),
                logs: format!("Wrote {} rows to /mnt/data/data.csv\n", values.len()),
                file: Some(("data.csv".into(), csv.into_bytes())),
                summary: format!("I wrote the {} values to a CSV file.", values.len()),
            }
        }
        Task::Compute(values, Some(operation)) if values.len() == 2 => {
            let (a, b) = (values[0], values[1]);
            let (symbol, result, float) = match *operation {
                "multiply" => ("*", a * b, false),
                "subtract" => ("-", a - b, false),
                "divide" => ("/", if b == 0.0 { f64::NAN } else { a / b }, true),
                "power" => ("**", a.powf(b), false),
                _ => ("+", a + b, false),
            };
            let float = float || values.iter().any(|v| v.fract() != 0.0);
            let shown = if result.is_nan() {
                "ZeroDivisionError: division by zero".to_string()
            } else {
                python(result, float)
            };
            Run {
                code: format!(
                    "result = {} {symbol} {}\nprint(result)",
                    python(a, false),
                    python(b, false)
                ),
                logs: format!("{shown}\n"),
                file: None,
                summary: format!("The result is {shown}."),
            }
        }
        Task::Compute(values, _) => {
            let values = if values.is_empty() {
                vec![1.0, 2.0, 3.0]
            } else {
                values.clone()
            };
            let sum: f64 = values.iter().sum();
            let mean = sum / values.len() as f64;
            let float = values.iter().any(|v| v.fract() != 0.0);
            let (sum, mean) = (python(sum, float), python(mean, true));
            Run {
                code: format!(
                    "values = {}\ntotal = sum(values)\nmean = total / len(values)\n\
                     print(\"sum:\", total)\nprint(\"mean:\", mean)",
                    list(&values)
                ),
                logs: format!("sum: {sum}\nmean: {mean}\n"),
                file: None,
                summary: format!("The sum is {sum} and the mean is {mean}."),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_decides_the_code() {
        let task_of = |prompt: &str| task(&Context::from_user(prompt));
        assert_eq!(
            task_of("Plot a chart of 3, 8 and 5"),
            Task::Chart(vec![3.0, 8.0, 5.0])
        );
        assert!(matches!(task_of("Make a CSV of 1, 2"), Task::Csv(_)));
        let product = run(&task_of("Calculate 12 * 4"));
        assert_eq!(product.logs, "48\n");
        assert_eq!(product.code, "result = 12 * 4\nprint(result)");
        let stats = run(&task_of("Compute the mean of 2, 4 and 9"));
        assert_eq!(stats.logs, "sum: 15\nmean: 5.0\n");
        let chart = run(&task_of("plot 1 2 3"));
        let (name, bytes) = chart.file.unwrap();
        assert_eq!(name, "chart.png");
        assert!(bytes.starts_with(b"\x89PNG"));
    }
}
