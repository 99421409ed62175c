//! Object ids with the real API's prefixes (`chatcmpl-`, `resp_`, `file-`, ...).
//!
//! The prefix is chosen from the object's `object` field (`"thread.run"` -> `run_`), or for
//! typed items without one, from its `type` (`"function_call"` -> `fc_`).
//!
//! Ids are unique, unlike content: the server gives each request its own id source
//! ([`IdStream`], drawn in request order) and runs generation inside [`with_id_source`], so two
//! identical requests get the same content but different ids. Outside such a scope (unit
//! tests, benches) ids come from the content generator, deterministically.

use super::rng::{fnv1a, Rng};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// The id source of the request being generated on this thread, if any.
    static SOURCE: RefCell<Option<Rng>> = const { RefCell::new(None) };
}

/// One id source per request, in request order: reproducible from `seed` for the same
/// sequence of requests, and different between server processes when `seed` is random.
#[derive(Debug)]
pub struct IdStream {
    seed: u64,
    next: AtomicU64,
}

impl IdStream {
    /// A stream starting at `seed`.
    pub fn new(seed: u64) -> IdStream {
        IdStream {
            seed,
            next: AtomicU64::new(0),
        }
    }

    /// A seed nobody chose: the time, the process and an address, for runs without `--seed`.
    pub fn unseeded() -> IdStream {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let local = 0u8;
        let address = &local as *const u8 as usize;
        IdStream::new(fnv1a(&[
            &nanos.to_le_bytes(),
            &std::process::id().to_le_bytes(),
            &address.to_le_bytes(),
        ]))
    }

    /// The id source of the next request.
    pub fn next_source(&self) -> Rng {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Rng::new(fnv1a(&[b"ids", &self.seed.to_le_bytes(), &n.to_le_bytes()]))
    }
}

/// Runs `f` with `source` giving every id [`new_id`] makes on this thread; `source` advances.
pub fn with_id_source<R>(source: &mut Rng, f: impl FnOnce() -> R) -> R {
    struct Restore<'a> {
        source: &'a mut Rng,
        previous: Option<Rng>,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let used = SOURCE.with(|cell| cell.replace(self.previous.take()));
            if let Some(used) = used {
                *self.source = used;
            }
        }
    }
    let previous = SOURCE.with(|cell| cell.replace(Some(source.clone())));
    let _restore = Restore { source, previous };
    f()
}

/// Runs `f` with no request id source, so ids come from the content generator: for objects
/// that are the same in every answer (the items of a generated list, which pages name by id).
pub fn without_id_source<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Rng>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SOURCE.with(|cell| *cell.borrow_mut() = previous);
        }
    }
    let _restore = Restore(SOURCE.with(|cell| cell.borrow_mut().take()));
    f()
}

/// The id prefix the real API uses for objects whose `object` field is `object`.
pub fn prefix_for_object(object: &str) -> Option<&'static str> {
    Some(match object {
        "chat.completion" | "chat.completion.chunk" => "chatcmpl-",
        "text_completion" => "cmpl-",
        "response" => "resp_",
        "file" | "vector_store.file" => "file-",
        "assistant" => "asst_",
        "thread" => "thread_",
        "thread.message" => "msg_",
        "thread.run" => "run_",
        "thread.run.step" => "step_",
        "vector_store" => "vs_",
        "vector_store.file_batch" => "vsfb_",
        "batch" => "batch_",
        "fine_tuning.job" => "ftjob-",
        "fine_tuning.job.event" => "ftevent-",
        "fine_tuning.job.checkpoint" => "ftckpt_",
        "checkpoint.permission" => "cp_",
        "upload" => "upload_",
        "upload.part" => "part_",
        "eval" => "eval_",
        "eval.run" => "evalrun_",
        "eval.run.output_item" => "outputitem_",
        "container" => "cntr_",
        "container.file" => "cfile_",
        "conversation" => "conv_",
        "moderation" => "modr-",
        "organization.project" => "proj_",
        "organization.user" | "organization.project.user" => "user-",
        "organization.invite" => "invite-",
        "organization.project.api_key" | "organization.admin_api_key" => "key_",
        "organization.project.service_account" => "svc_acct_",
        "organization.certificate" | "organization.project.certificate" | "certificate" => "cert_",
        "realtime.session" | "realtime.transcription_session" => "sess_",
        "video" => "video_",
        "skill" => "skill_",
        "skill.version" => "skillver_",
        "group" => "group_",
        "role" => "role_",
        "chatkit.thread" => "cthr_",
        "chatkit.session" => "cksess_",
        "audio.voice" | "voice" => "voice_",
        "organization" => "org-",
        "audit_log" => "audit_log-",
        "chatkit.thread_item" => "cthi_",
        "realtime.call" => "rtc_",
        _ => return None,
    })
}

/// The id prefix of the object a field named `field` points to, when its name says so:
/// `id` fields are left to the object's own `object`/`type`, and `*_id` fields name theirs
/// (`output_file_id` -> `file-`, `assistant_id` -> `asst_`, `fine_tuning_job_id` -> `ftjob-`).
pub fn prefix_for_field(field: &str) -> Option<&'static str> {
    let stem = field.strip_suffix("_id")?;
    let object = match stem {
        s if s == "file" || s.ends_with("_file") => "file",
        "assistant" => "assistant",
        "thread" => "thread",
        "run" => "thread.run",
        "message" => "thread.message",
        "step" => "thread.run.step",
        "vector_store" => "vector_store",
        "batch" => "batch",
        "fine_tuning_job" => "fine_tuning.job",
        "checkpoint" | "fine_tuned_model_checkpoint" => "fine_tuning.job.checkpoint",
        "permission" => "checkpoint.permission",
        "upload" => "upload",
        "part" => "upload.part",
        "eval" => "eval",
        "output_item" => "eval.run.output_item",
        "container" => "container",
        "conversation" => "conversation",
        "response" | "previous_response" => "response",
        "project" => "organization.project",
        "user" | "actor_user" => "organization.user",
        "invite" => "organization.invite",
        "api_key" | "admin_api_key" | "key" => "organization.admin_api_key",
        "service_account" => "organization.project.service_account",
        "certificate" => "certificate",
        "session" => "realtime.session",
        "video" | "remixed_from_video" => "video",
        "skill" => "skill",
        "group" => "group",
        "role" => "role",
        "organization" | "org" => "organization",
        "voice" => "voice",
        "completion" => "chat.completion",
        "principal" => "organization.user",
        "resource" => "organization.project",
        _ => {
            return match stem {
                "call" | "tool_call" => Some("call_"),
                "request" => Some("req_"),
                "event" => Some("event_"),
                "connector" => Some("connector_"),
                "identity_provider" => Some("idp_"),
                "workspace" => Some("wksp_"),
                // `api_call_logging_project_id`, `actor_user_id`: the last words say it.
                _ => stem
                    .split_once('_')
                    .and_then(|(_, rest)| prefix_for_field(&format!("{rest}_id"))),
            };
        }
    };
    prefix_for_object(object)
}

/// The id prefix for typed items (Responses API output and conversation items).
pub fn prefix_for_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "message" => "msg_",
        "function_call" => "fc_",
        "function_call_output" => "fco_",
        "reasoning" => "rs_",
        "web_search_call" => "ws_",
        "file_search_call" => "fs_",
        "computer_call" => "cu_",
        "image_generation_call" => "ig_",
        "code_interpreter_call" => "ci_",
        "mcp_call" => "mcp_",
        "custom_tool_call" => "ctc_",
        "mcp_list_tools" => "mcpl_",
        "mcp_approval_request" => "mcpr_",
        _ => return None,
    })
}

/// A fresh id with `prefix`, in the shape the real API uses (24 random characters): from the
/// request's id source inside [`with_id_source`], else from `rng`.
pub fn new_id(rng: &mut Rng, prefix: &str) -> String {
    new_id_of_length(rng, prefix, 24)
}

/// [`new_id`] with `len` random characters.
pub fn new_id_of_length(rng: &mut Rng, prefix: &str, len: usize) -> String {
    let scoped = SOURCE.with(|cell| cell.borrow_mut().as_mut().map(|ids| ids.alphanumeric(len)));
    format!(
        "{prefix}{}",
        scoped.unwrap_or_else(|| rng.alphanumeric(len))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every prefix of the tables appears in an example id of the spec, except those the
    /// spec never shows (item kinds it has no example of), which the live API uses.
    #[test]
    fn every_prefix_is_one_the_spec_examples_use() {
        let spec = include_str!("../../spec/openapi.yml");
        let unexampled = ["fco_", "cu_", "ig_", "mcpr_", "rtc_", "ftevent-", "part_"];
        let objects = [
            "chat.completion",
            "text_completion",
            "response",
            "file",
            "assistant",
            "thread",
            "thread.message",
            "thread.run",
            "thread.run.step",
            "vector_store",
            "vector_store.file_batch",
            "batch",
            "fine_tuning.job",
            "fine_tuning.job.event",
            "fine_tuning.job.checkpoint",
            "checkpoint.permission",
            "upload",
            "upload.part",
            "eval",
            "eval.run",
            "eval.run.output_item",
            "container",
            "container.file",
            "conversation",
            "moderation",
            "organization.project",
            "organization.user",
            "organization.invite",
            "organization.admin_api_key",
            "organization.project.service_account",
            "certificate",
            "realtime.session",
            "video",
            "skill",
            "skill.version",
            "group",
            "role",
            "chatkit.thread",
            "chatkit.session",
            "voice",
            "organization",
            "audit_log",
            "chatkit.thread_item",
            "realtime.call",
        ];
        let types = [
            "message",
            "function_call",
            "function_call_output",
            "reasoning",
            "web_search_call",
            "file_search_call",
            "computer_call",
            "image_generation_call",
            "code_interpreter_call",
            "mcp_call",
            "custom_tool_call",
            "mcp_list_tools",
            "mcp_approval_request",
        ];
        let prefixes = objects
            .iter()
            .map(|o| prefix_for_object(o))
            .chain(types.iter().map(|t| prefix_for_type(t)));
        for prefix in prefixes {
            let prefix = prefix.expect("every listed kind has a prefix");
            if unexampled.contains(&prefix) {
                continue;
            }
            let shown = [
                format!("\"{prefix}"),
                format!(": {prefix}"),
                format!("/{prefix}"),
            ]
            .iter()
            .any(|quoted| spec.contains(quoted.as_str()));
            assert!(shown, "{prefix} appears in no example of the spec");
        }
        assert_eq!(prefix_for_field("output_file_id"), Some("file-"));
        assert_eq!(prefix_for_field("assistant_id"), Some("asst_"));
        assert_eq!(prefix_for_field("fine_tuning_job_id"), Some("ftjob-"));
        assert_eq!(prefix_for_field("id"), None);
    }

    #[test]
    fn ids_inside_a_scope_come_from_the_request_source_and_leave_content_alone() {
        let stream = IdStream::new(5);
        let (mut first, mut second) = (stream.next_source(), stream.next_source());
        let mut content = Rng::new(1);
        let a = with_id_source(&mut first, || new_id(&mut content, "resp_"));
        let b = with_id_source(&mut second, || new_id(&mut content, "resp_"));
        assert_ne!(a, b);
        assert_eq!(
            content.next_u64(),
            Rng::new(1).next_u64(),
            "content untouched"
        );
        let again = IdStream::new(5);
        let mut replay = again.next_source();
        assert_eq!(
            with_id_source(&mut replay, || new_id(&mut Rng::new(9), "resp_")),
            a
        );
        let outside = new_id(&mut Rng::new(1), "resp_");
        assert_eq!(
            outside,
            new_id(&mut Rng::new(1), "resp_"),
            "deterministic outside"
        );
    }
}
