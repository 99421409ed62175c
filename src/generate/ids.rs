//! Object ids with the real API's prefixes (`chatcmpl-`, `resp_`, `file-`, ...).
//!
//! The prefix is chosen from the object's `object` field (`"thread.run"` -> `run_`), or for
//! typed items without one, from its `type` (`"function_call"` -> `fc_`).

use super::rng::Rng;

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
        _ => return None,
    })
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
        _ => return None,
    })
}

/// A fresh id with `prefix`, in the shape the real API uses (24+ random characters).
pub fn new_id(rng: &mut Rng, prefix: &str) -> String {
    format!("{prefix}{}", rng.alphanumeric(24))
}
