//! What a field means: the one table that picks a free string by the field's name, the
//! object it sits in and its format, so generated answers read like the real API's (people's
//! names and emails, project and key names, file names, mime types, languages, countries,
//! currencies, models, cursors, error messages) instead of echoing the field name.
//!
//! Ids are not chosen here: `ids.rs` owns the prefixes, and [`id_for`] only decides which
//! prefix a field's id carries.

use super::ids::{self, prefix_for_field, prefix_for_object};
use super::rng::Rng;

/// Terminal statuses and the timestamp only they set (a `completed` object has a
/// `completed_at` and no `failed_at`).
pub const TERMINAL_STAMPS: [(&str, &str); 4] = [
    ("completed", "completed_at"),
    ("failed", "failed_at"),
    ("cancelled", "cancelled_at"),
    ("expired", "expired_at"),
];

/// Statuses under which an object may carry an `error` or `last_error`.
pub const ERROR_STATUSES: [&str; 5] = ["failed", "incomplete", "expired", "cancelled", "error"];

/// Where a string is being generated: its field, the property holding its object (`owner`
/// for `owner.name`), the nearest component schema (`AdminApiKey`) and its `format`.
#[derive(Debug, Clone, Copy)]
pub struct Context<'c> {
    /// The field's own name (the singular of an array's name for its items).
    pub field: &'c str,
    /// The name of the property whose object holds the field, or "".
    pub parent: &'c str,
    /// The component schema being generated, or "".
    pub component: &'c str,
}

/// What kind of value a field takes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// One of these, chosen at random.
    OneOf(&'static [&'static str]),
    /// An id with this prefix.
    Id(&'static str),
    /// A person's full name.
    Person,
    /// A file name.
    FileName,
    /// A fine-tuned model name.
    FineTuned,
    /// A fine-tuned checkpoint's model name.
    Checkpoint,
    /// An opaque page cursor.
    Cursor,
    /// A redacted secret key.
    Redacted,
    /// A secret value (a client secret, a new key).
    Secret,
    /// A PEM certificate.
    Pem,
    /// A person's email address.
    Email,
}

const PEOPLE: &[&str] = &[
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Barbara Liskov",
    "Edsger Dijkstra",
];
const SENTENCES: &[&str] = &[
    "Your order #1042 shipped on Monday and should arrive by Thursday.",
    "The quarterly report shows revenue up 12% over the previous quarter.",
    "Paris is the capital of France and its most populous city.",
    "The meeting has moved to 3 pm tomorrow in the large conference room.",
];
const ERRORS: &[&str] = &[
    "The training file contains a line that is not valid JSON.",
    "The request could not be completed because the input file was empty.",
    "The job was stopped because the organization exceeded its quota.",
];
const FILES: &[&str] = &[
    "support_faq.pdf",
    "training_data.jsonl",
    "quarterly_report.txt",
    "product_catalog.md",
];
const PROJECTS: &[&str] = &["Customer support bot", "Data pipeline", "Internal tools"];
const KEYS: &[&str] = &["Production key", "CI pipeline key", "Staging key"];
const GENERIC_NAMES: &[&str] = &["Support assistant", "Quarterly report", "Onboarding guide"];
/// A valid, empty 8 kHz mono 16-bit WAV file, base64-encoded: audio `data` that decodes.
const SILENT_WAV: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";
const PERMISSIONS: &[&str] = &["api.model.read", "api.files.write", "api.responses.write"];

/// The table: `(field, hint, kind)`. A row applies when its field matches and its hint is
/// empty or found (case-insensitively) in the parent property's or the component's name;
/// the first applying row wins, so rows with hints come before the field's catch-all.
const TABLE: &[(&str, &str, Kind)] = &[
    ("name", "user", Kind::Person),
    ("name", "owner", Kind::Person),
    ("name", "actor", Kind::Person),
    ("name", "member", Kind::Person),
    ("name", "invite", Kind::Person),
    ("name", "key", Kind::OneOf(KEYS)),
    (
        "name",
        "service_account",
        Kind::OneOf(&["deploy-bot", "ci-runner"]),
    ),
    (
        "name",
        "serviceaccount",
        Kind::OneOf(&["deploy-bot", "ci-runner"]),
    ),
    ("name", "project", Kind::OneOf(PROJECTS)),
    (
        "name",
        "group",
        Kind::OneOf(&["Data Science", "Platform Engineering"]),
    ),
    (
        "name",
        "role",
        Kind::OneOf(&["Project Viewer", "Billing Admin"]),
    ),
    (
        "name",
        "vector",
        Kind::OneOf(&["Support knowledge base", "Product docs"]),
    ),
    (
        "name",
        "assistant",
        Kind::OneOf(&["Math Tutor", "Support Agent"]),
    ),
    (
        "name",
        "certificate",
        Kind::OneOf(&["Production mTLS certificate"]),
    ),
    (
        "name",
        "skill",
        Kind::OneOf(&["Spreadsheet analyst", "PDF summarizer"]),
    ),
    ("name", "file", Kind::FileName),
    ("name", "attachment", Kind::FileName),
    (
        "name",
        "function",
        Kind::OneOf(&["get_weather", "lookup_order"]),
    ),
    (
        "name",
        "tool",
        Kind::OneOf(&["get_weather", "lookup_order"]),
    ),
    ("name", "eval", Kind::OneOf(&["Support answer quality"])),
    ("name", "container", Kind::OneOf(&["Data analysis sandbox"])),
    (
        "name",
        "connector",
        Kind::OneOf(&["Google Drive", "SharePoint"]),
    ),
    ("name", "", Kind::OneOf(GENERIC_NAMES)),
    // A tool namespace is an identifier (inputs require `^[a-zA-Z0-9_-]+$`).
    (
        "namespace",
        "",
        Kind::OneOf(&["billing_tools", "weather_tools"]),
    ),
    ("display_name", "", Kind::Person),
    (
        "connector_name",
        "",
        Kind::OneOf(&["Google Drive", "SharePoint"]),
    ),
    (
        "group_name",
        "",
        Kind::OneOf(&["Data Science", "Platform Engineering"]),
    ),
    ("role_name", "", Kind::OneOf(&["Owner", "Reader"])),
    ("filename", "", Kind::FileName),
    ("file_name", "", Kind::FileName),
    (
        "title",
        "",
        Kind::OneOf(&["Refund policy question", "Trip itinerary"]),
    ),
    ("role", "", Kind::OneOf(&["owner", "member"])),
    (
        "resource_type",
        "",
        Kind::OneOf(&["api.organization", "api.project"]),
    ),
    ("principal_type", "", Kind::OneOf(&["user", "group"])),
    (
        "description",
        "role",
        Kind::OneOf(&["Can view usage and manage API keys."]),
    ),
    (
        "description",
        "",
        Kind::OneOf(&["Answers customer questions from the FAQ."]),
    ),
    ("permission", "", Kind::OneOf(PERMISSIONS)),
    ("permissions_added", "", Kind::OneOf(PERMISSIONS)),
    ("permissions_removed", "", Kind::OneOf(PERMISSIONS)),
    ("scope", "", Kind::OneOf(PERMISSIONS)),
    ("service_tier", "", Kind::OneOf(&["default"])),
    ("message", "error", Kind::OneOf(ERRORS)),
    ("error_message", "", Kind::OneOf(ERRORS)),
    ("message", "", Kind::OneOf(SENTENCES)),
    (
        "code",
        "error",
        Kind::OneOf(&["invalid_training_file", "server_error"]),
    ),
    ("code", "", Kind::OneOf(&["invalid_request"])),
    (
        "error_code",
        "",
        Kind::OneOf(&["invalid_request", "rate_limit_exceeded"]),
    ),
    ("param", "", Kind::OneOf(&["training_file", "model"])),
    ("created_by", "", Kind::Id("user-")),
    ("next_page", "", Kind::Cursor),
    ("next", "", Kind::Cursor),
    (
        "allowed_ip",
        "",
        Kind::OneOf(&["203.0.113.0/24", "198.51.100.7/32"]),
    ),
    (
        "ip_address",
        "",
        Kind::OneOf(&["203.0.113.7", "198.51.100.24"]),
    ),
    ("redacted_value", "", Kind::Redacted),
    ("value", "", Kind::Secret),
    ("type", "owner", Kind::OneOf(&["user"])),
    ("type", "actor", Kind::OneOf(&["session"])),
    ("type", "turn_detection", Kind::OneOf(&["server_vad"])),
    (
        "technical_level",
        "",
        Kind::OneOf(&["intermediate", "expert"]),
    ),
    (
        "developer_persona",
        "",
        Kind::OneOf(&["backend engineer", "data scientist"]),
    ),
    ("language", "", Kind::OneOf(&["en", "fr", "de"])),
    ("country", "", Kind::OneOf(&["US", "FR", "JP"])),
    ("currency", "", Kind::OneOf(&["usd"])),
    ("training_file", "", Kind::Id("file-")),
    ("validation_file", "", Kind::Id("file-")),
    ("result_file", "", Kind::Id("file-")),
    ("project", "wandb", Kind::OneOf(&["support-bot-finetune"])),
    ("entity", "", Kind::OneOf(&["openai-mock-team"])),
    ("tag", "", Kind::OneOf(&["production", "v2"])),
    ("project", "", Kind::Id("proj_")),
    ("input", "grader", Kind::OneOf(&["{{sample.output_text}}"])),
    ("reference", "", Kind::OneOf(&["{{item.reference_answer}}"])),
    (
        "input",
        "",
        Kind::OneOf(&["What is the capital of France?"]),
    ),
    (
        "prompt",
        "",
        Kind::OneOf(&["Expect names of products and order numbers."]),
    ),
    (
        "instructions",
        "",
        Kind::OneOf(&["You are a helpful assistant."]),
    ),
    ("fine_tuned_model", "", Kind::FineTuned),
    ("fine_tuned_model_checkpoint", "", Kind::Checkpoint),
    ("usage_dashboard_visibility", "", Kind::OneOf(&["enabled"])),
    ("threads_ui_visibility", "", Kind::OneOf(&["enabled"])),
    ("api_call_logging", "", Kind::OneOf(&["enabled"])),
    ("mime_type", "", Kind::OneOf(&["text/plain"])),
    ("version", "", Kind::OneOf(&["1"])),
    ("latest_version", "", Kind::OneOf(&["2"])),
    ("default_version", "", Kind::OneOf(&["1"])),
    ("certificate", "", Kind::Pem),
    ("content", "certificate", Kind::Pem),
    ("voice", "", Kind::OneOf(&["alloy", "verse"])),
    (
        "endpoint",
        "",
        Kind::OneOf(&["/v1/chat/completions", "/v1/responses"]),
    ),
    ("completion_window", "", Kind::OneOf(&["24h"])),
    ("tool_choice", "", Kind::OneOf(&["auto"])),
    ("status", "", Kind::OneOf(&["completed"])),
    ("object", "owner", Kind::OneOf(&["organization.user"])),
    ("object", "errors", Kind::OneOf(&["list"])),
    ("object", "list", Kind::OneOf(&["list"])),
    (
        "object",
        "deletedrole",
        Kind::OneOf(&["role.assignment.deleted"]),
    ),
    (
        "object",
        "transcription",
        Kind::OneOf(&["realtime.transcription_session"]),
    ),
    ("object", "realtime", Kind::OneOf(&["realtime.session"])),
    ("object", "container", Kind::OneOf(&["container"])),
    ("user", "", Kind::Id("user_")),
    (
        "allowed_domain",
        "",
        Kind::OneOf(&["pypi.org", "files.pythonhosted.org"]),
    ),
    ("recipient", "", Kind::Email),
    ("subject_prefix", "", Kind::OneOf(&["[OpenAI spend alert]"])),
    ("client_secret", "", Kind::Secret),
    ("issuer", "", Kind::OneOf(&["OpenAI"])),
    (
        "python_grader_server_error_type",
        "",
        Kind::OneOf(&["timeout"]),
    ),
    (
        "sampled_model_name",
        "",
        Kind::OneOf(&["gpt-4o-mini-2024-07-18"]),
    ),
    ("model_name", "", Kind::OneOf(&["gpt-4o-mini-2024-07-18"])),
    ("input_audio_format", "", Kind::OneOf(&["pcm16"])),
    ("output_audio_format", "", Kind::OneOf(&["pcm16"])),
    ("purpose", "", Kind::OneOf(&["assistants", "batch"])),
    (
        "token",
        "",
        Kind::OneOf(&["Paris", " is", " the", " capital"]),
    ),
    ("data", "audio", Kind::OneOf(&[SILENT_WAV])),
    (
        "refusal",
        "",
        Kind::OneOf(&["I'm sorry, but I can't help with that request."]),
    ),
    ("testing_criteria", "", Kind::OneOf(&["Answer is correct"])),
    ("label", "", Kind::OneOf(&["correct", "incorrect"])),
    ("passing_label", "", Kind::OneOf(&["correct"])),
    ("agent_name", "", Kind::OneOf(&["Support agent"])),
    ("finish_reason", "", Kind::OneOf(&["stop"])),
    ("mode", "", Kind::OneOf(&["auto"])),
    ("output_text", "", Kind::OneOf(SENTENCES)),
    (
        "search_query",
        "",
        Kind::OneOf(&["refund policy for damaged items"]),
    ),
    (
        "query",
        "",
        Kind::OneOf(&["refund policy for damaged items"]),
    ),
    ("type", "", Kind::OneOf(&["text"])),
    ("text", "", Kind::OneOf(SENTENCES)),
    ("content", "", Kind::OneOf(SENTENCES)),
    ("transcript", "", Kind::OneOf(SENTENCES)),
    ("output", "", Kind::OneOf(SENTENCES)),
    ("summary", "", Kind::OneOf(SENTENCES)),
];

/// A realistic string for the field of `context`, when the table knows what it means.
pub fn string_for(context: Context, rng: &mut Rng) -> Option<String> {
    let parent = context.parent.to_ascii_lowercase();
    let component = context.component.to_ascii_lowercase();
    let kind = TABLE.iter().find_map(|(field, hint, kind)| {
        let applies = *field == context.field
            && (hint.is_empty() || parent.contains(hint) || component.contains(hint));
        applies.then_some(*kind)
    })?;
    Some(match kind {
        Kind::OneOf(options) => pick(rng, options).to_string(),
        Kind::Id(prefix) => ids::new_id(rng, prefix),
        Kind::Person => pick(rng, PEOPLE).to_string(),
        Kind::FileName => pick(rng, FILES).to_string(),
        Kind::FineTuned => format!(
            "ft:gpt-4o-mini-2024-07-18:openai-mock::{}",
            rng.alphanumeric(8)
        ),
        Kind::Checkpoint => format!(
            "ft:gpt-4o-mini-2024-07-18:openai-mock::{}:ckpt-step-{}",
            rng.alphanumeric(8),
            10 * (1 + rng.below(20))
        ),
        Kind::Cursor => format!("page_{}", rng.alphanumeric(24)),
        Kind::Redacted => format!("sk-admin-...{}", rng.alphanumeric(4)),
        Kind::Secret => format!("ek_{}", rng.alphanumeric(32)),
        Kind::Email => email(rng),
        Kind::Pem => format!(
            "-----BEGIN CERTIFICATE-----\nMIIB{}\n-----END CERTIFICATE-----",
            rng.alphanumeric(60)
        ),
    })
}

/// An email address for a person's name (`Ada Lovelace` -> `ada.lovelace@example.com`).
pub fn email_for(name: &str) -> String {
    let local: String = name
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(".");
    format!("{local}@example.com")
}

/// A random person's email address.
pub fn email(rng: &mut Rng) -> String {
    email_for(pick(rng, PEOPLE))
}

/// The prefix of an id in field `field` of the context's object: a `*_id` field names what it
/// points to; an `id` field takes the prefix of the property holding it (`project.id`) or of
/// the component (`AuditLog` -> `audit_log-`). `None` when nothing says.
pub fn id_for(context: Context) -> Option<&'static str> {
    if context.field != "id" {
        return prefix_for_field(context.field);
    }
    let component = snake_case(context.component);
    let found = [context.parent, component.as_str()]
        .into_iter()
        .filter(|name| !name.is_empty())
        .find_map(|name| {
            prefix_for_field(&format!("{name}_id")).or_else(|| prefix_for_object(name))
        });
    found
}

/// A file name whose extension fits `purpose` (`batch` and fine-tuning files are JSONL).
pub fn file_name_for_purpose(purpose: &str, rng: &mut Rng) -> String {
    match purpose {
        "batch" | "batch_output" => "batch_requests.jsonl".into(),
        "fine-tune" | "fine-tune-results" => "training_data.jsonl".into(),
        "vision" => "product_photo.png".into(),
        "evals" => "eval_items.jsonl".into(),
        "user_data" => "customer_notes.pdf".into(),
        _ => pick(
            rng,
            &["support_faq.pdf", "product_catalog.md", "handbook.txt"],
        )
        .into(),
    }
}

/// The mime type of a file name, by its extension.
pub fn mime_type_of(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "jsonl" => "application/jsonl",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "md" => "text/markdown",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "csv" => "text/csv",
        "py" => "text/x-python",
        _ => "text/plain",
    }
}

fn pick<'s>(rng: &mut Rng, options: &[&'s str]) -> &'s str {
    options
        .get(rng.below(options.len() as u64) as usize)
        .copied()
        .unwrap_or_default()
}

/// `AuditLogActor` -> `audit_log_actor`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'c>(field: &'c str, parent: &'c str, component: &'c str) -> Context<'c> {
        Context {
            field,
            parent,
            component,
        }
    }

    #[test]
    fn the_table_reads_the_field_in_its_place() {
        let mut rng = Rng::new(3);
        let person = string_for(at("name", "user", "AuditLog"), &mut rng).unwrap_or_default();
        assert!(PEOPLE.contains(&person.as_str()), "{person}");
        let key = string_for(at("name", "", "AdminApiKey"), &mut rng).unwrap_or_default();
        assert!(KEYS.contains(&key.as_str()), "{key}");
        assert_eq!(id_for(at("id", "project", "AuditLog")), Some("proj_"));
        assert_eq!(id_for(at("id", "", "AuditLog")), Some("audit_log-"));
        assert_eq!(id_for(at("output_file_id", "", "Batch")), Some("file-"));
        assert_eq!(email_for("Ada Lovelace"), "ada.lovelace@example.com");
        assert_eq!(mime_type_of("training_data.jsonl"), "application/jsonl");
        assert!(string_for(at("unheard_of", "", ""), &mut rng).is_none());
    }
}
