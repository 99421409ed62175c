//! Tests of usage accounting, buckets and costs.

use super::*;
use crate::store::{Settings, Store};

fn sample<'a>(at_ms: u64, model: &'a str, latency_ms: f64) -> Sample<'a> {
    Sample {
        at_ms,
        project_id: "proj_a",
        key_id: "key_a",
        model,
        endpoint: "/chat/completions",
        status: 200,
        latency_ms,
        tally: Tally {
            input_tokens: 10,
            cached_tokens: 4,
            output_tokens: 5,
            ..Tally::default()
        },
    }
}

#[test]
fn a_chat_answer_and_a_speech_request_are_tallied() {
    let answer = json!({"usage": {"prompt_tokens": 9, "completion_tokens": 3,
        "prompt_tokens_details": {"cached_tokens": 2}}});
    let tally = Tally::of("/chat/completions", &json!({}), &answer);
    assert_eq!(
        (tally.input_tokens, tally.cached_tokens, tally.output_tokens),
        (9, 2, 3)
    );
    let speech = Tally::of("/audio/speech", &json!({"input": "héllo"}), &Value::Null);
    assert_eq!(speech.characters, 5);
    let images = Tally::of(
        "/images/generations",
        &json!({}),
        &json!({"data": [{}, {}]}),
    );
    assert_eq!(images.images, 2);
}

#[test]
fn requests_are_summed_per_minute_and_written_only_when_read() {
    let store = Store::in_memory(Settings::default());
    let org = store.org();
    let minute = 1_800_000_000_000 / 60_000 * 60_000;
    for latency in [3.0, 40.0, 900.0] {
        org.account(&sample(minute + 1_000, "gpt-4o-mini", latency));
    }
    org.account(&sample(minute + 61_000, "gpt-4o-mini", 3.0));
    assert!(
        store.list(ORG, USAGE_MINUTE, None).is_empty(),
        "nothing written yet"
    );
    let query = UsageQuery {
        start_time: (minute / 1000) as i64,
        end_time: Some((minute / 1000) as i64 + 120),
        bucket_width: BucketWidth::Minute,
        group_by: vec!["model".into()],
        ..UsageQuery::default()
    };
    let buckets = org.usage(&query);
    assert_eq!(buckets.len(), 2);
    let first = &buckets[0].rows[0];
    assert_eq!(first.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!((first.totals.requests, first.totals.input_tokens), (3, 30));
    assert_eq!(first.totals.latency_percentile_ms(0.5), Some(50.0));
    assert_eq!(first.totals.latency_percentile_ms(0.99), Some(1000.0));
    assert_eq!(buckets[1].rows[0].totals.requests, 1);
    assert_eq!(store.list(ORG, USAGE_MINUTE, None).len(), 2);
    // More traffic in a written minute is merged into it.
    org.account(&sample(minute + 2_000, "gpt-4o-mini", 3.0));
    assert_eq!(org.usage(&query)[0].rows[0].totals.requests, 4);
}

#[test]
fn costs_price_uncached_cached_and_output_tokens() {
    let totals = Totals {
        input_tokens: 1_000_000,
        cached_tokens: 400_000,
        output_tokens: 1_000_000,
        ..Totals::default()
    };
    let items: HashMap<String, f64> = line_items("gpt-4o-mini", &totals).into_iter().collect();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(items["gpt-4o-mini, input"], 0.6 * 0.15));
    assert!(close(items["gpt-4o-mini, cached input"], 0.4 * 0.075));
    assert!(close(items["gpt-4o-mini, output"], 0.60));
    assert!(line_items("gpt-4o-mini", &Totals::default()).is_empty());
}
