//! The live view: `GET /dashboard/live/events` streams each new request-log row as a
//! server-sent event (`event: request`), so the request log page grows while traffic flows.
//!
//! The stream polls the log twice a second for entries numbered above the last one sent, so
//! the hot path pays nothing for it (no channel, no subscriber list); a comment line every
//! 15 s keeps idle connections open through proxies.

use super::page::secure;
use super::requests::{Filter, Row};
use crate::scenario::Engine;
use bytes::Bytes;
use futures_util::stream;
use poem::http::header;
use poem::{Body, Response};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// How often the stream looks for new entries.
const POLL: Duration = Duration::from_millis(500);
/// Polls between keep-alive comments.
const KEEP_ALIVE_POLLS: u32 = 30;

/// The event stream of rows passing `filter`, numbered above `after`.
pub fn events(scenarios: Arc<Engine>, filter: Filter, after: u64) -> Response {
    let state = (scenarios, filter, after);
    let events = stream::unfold(state, |(scenarios, filter, mut after)| async move {
        let mut idle = 0;
        loop {
            tokio::time::sleep(POLL).await;
            let text = new_rows(&scenarios, &filter, &mut after);
            idle += 1;
            if !text.is_empty() || idle >= KEEP_ALIVE_POLLS {
                let text = match text.is_empty() {
                    true => ": keep-alive\n\n".to_string(),
                    false => text,
                };
                let chunk = Ok::<Bytes, std::io::Error>(Bytes::from(text));
                return Some((chunk, (scenarios, filter, after)));
            }
        }
    });
    secure(
        Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(Body::from_bytes_stream(events)),
    )
}

/// The events for entries numbered above `after` that pass `filter`; moves `after` on.
fn new_rows(scenarios: &Engine, filter: &Filter, after: &mut u64) -> String {
    let entries = scenarios.log().entries_after(*after);
    *after = entries.last().map_or(*after, |e| e.seq);
    let mut text = String::new();
    for row in entries
        .iter()
        .map(Row::of)
        .filter(|row| filter.accepts(row))
    {
        let data = json!({
            "seq": row.seq,
            "href": format!("/dashboard/requests/{}", row.seq),
            "cells": row.cells(),
        });
        text.push_str("event: request\ndata: ");
        text.push_str(&data.to_string());
        text.push_str("\n\n");
    }
    text
}
