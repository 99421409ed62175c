//! The list part of the realism sweep: a list operation that takes cursors is paged through
//! as a client pages it, and what it shows must be one stable sequence: pages of `limit`
//! items that continue each other through `after` without overlap or gap and add up to the
//! whole list, `has_more` true exactly while items remain, `before` giving the items just
//! before its cursor, `order=asc` the reverse of `order=desc`, and the same page for the
//! same request.

use crate::sweep::{read, request, Sweep};
use openai_mock::catalog::Operation;
use serde_json::Value;

/// The page size the walk uses.
const PAGE: usize = 2;

/// The most pages the walk follows before it calls the list endless.
const MOST_PAGES: usize = 60;

/// What paging through one list found.
#[derive(Default)]
pub(crate) struct Paged {
    /// How many items the whole list held (0 when it could not be paged).
    pub(crate) items: usize,
    /// How many pages were fetched.
    pub(crate) pages: usize,
    /// The invariants that did not hold.
    pub(crate) violations: Vec<String>,
}

/// One page: its ids and `has_more`, or why it could not be read.
struct Page {
    ids: Vec<String>,
    has_more: Option<bool>,
}

/// Whether `op` takes query parameter `name`.
fn takes(op: &Operation, name: &str) -> bool {
    op.params
        .iter()
        .any(|p| p.location == "query" && p.name == name)
}

/// `url` with `extra` added to its query.
fn with_query(url: &str, extra: &str) -> String {
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}{extra}")
}

async fn fetch(sweep: &Sweep, op: &Operation, url: &str, out: &mut Paged) -> Option<Page> {
    out.pages += 1;
    let response = request(sweep, op, url, None).send().await.ok()?;
    let (status, _, bytes) = read(response).await;
    if !status.is_success() {
        out.violations.push(format!("{url} answered {status}"));
        return None;
    }
    let body: Value = serde_json::from_slice(&bytes).ok()?;
    let data = body.get("data")?.as_array()?;
    let ids: Vec<String> = data
        .iter()
        .filter_map(|item| item.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    if ids.len() != data.len() {
        return None;
    }
    Some(Page {
        ids,
        has_more: body.get("has_more").and_then(Value::as_bool),
    })
}

/// Pages through the list `op` answers at `url` (with its path ids, without cursors).
pub(crate) async fn page_through(sweep: &Sweep, op: &Operation, url: &str) -> Paged {
    let mut out = Paged::default();
    if op.method != "GET" || !takes(op, "after") || !takes(op, "limit") {
        return out;
    }
    let Some(all) = fetch(sweep, op, &with_query(url, "limit=100"), &mut out).await else {
        return out;
    };
    if all.ids.len() <= PAGE {
        // Too short to page through (an empty stored list).
        return out;
    }
    out.items = all.ids.len();
    if all.has_more == Some(true) {
        out.violations
            .push(format!("has_more with all {} items shown", all.ids.len()));
    }
    // Forward, page by page.
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MOST_PAGES {
        let mut page_url = with_query(url, &format!("limit={PAGE}"));
        if let Some(after) = &cursor {
            page_url = with_query(&page_url, &format!("after={after}"));
        }
        let Some(page) = fetch(sweep, op, &page_url, &mut out).await else {
            return out;
        };
        if page.ids.len() > PAGE {
            out.violations
                .push(format!("{} items for limit {PAGE}", page.ids.len()));
        }
        if let Some(repeated) = page.ids.iter().find(|id| seen.contains(id)) {
            out.violations
                .push(format!("{repeated} shown again after {cursor:?}"));
            return out;
        }
        seen.extend(page.ids.iter().cloned());
        let remain = seen.len() < all.ids.len();
        if page.has_more != Some(remain) {
            out.violations.push(format!(
                "has_more {:?} with {} of {} items shown",
                page.has_more,
                seen.len(),
                all.ids.len()
            ));
        }
        if !remain || page.ids.is_empty() || page.has_more != Some(true) {
            break;
        }
        cursor = page.ids.last().cloned();
    }
    if seen != all.ids {
        let shared = seen
            .iter()
            .zip(&all.ids)
            .take_while(|(a, b)| a == b)
            .count();
        out.violations.push(format!(
            "pages show {} items, the list {}; they agree on the first {shared}",
            seen.len(),
            all.ids.len()
        ));
    }
    // The same request, the same page.
    let first = with_query(url, &format!("limit={PAGE}"));
    let again = fetch(sweep, op, &first, &mut out).await;
    if again.map(|p| p.ids).as_deref() != Some(&all.ids[..PAGE]) {
        out.violations
            .push("the first page differs when asked again".into());
    }
    // Backward: the items just before a cursor.
    if takes(op, "before") {
        let last = all.ids.len() - 1;
        let url = with_query(url, &format!("limit=1&before={}", all.ids[last]));
        let page = fetch(sweep, op, &url, &mut out).await;
        if page.map(|p| p.ids).as_deref() != Some(&all.ids[last - 1..last]) {
            out.violations
                .push("before does not give the item just before it".into());
        }
    }
    // Both orders, one sequence.
    if takes(op, "order") {
        let asc = fetch(sweep, op, &with_query(url, "limit=100&order=asc"), &mut out).await;
        let desc = fetch(
            sweep,
            op,
            &with_query(url, "limit=100&order=desc"),
            &mut out,
        )
        .await;
        match (asc, desc) {
            (Some(asc), Some(mut desc)) => {
                desc.ids.reverse();
                if asc.ids != desc.ids {
                    out.violations
                        .push("order=asc is not order=desc reversed".into());
                }
            }
            _ => out.violations.push("order could not be read".into()),
        }
    }
    out
}
