//! The web dashboard through real HTTP (the browser flows are in `tests/dashboard/`, run by
//! `tests/external/dashboard_browser.rs`): sign-in and its limits, CSRF, the CSP, the request
//! log with escaped bodies, the live view, exports and the one-time link.

use openai_mock::MockServer;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use reqwest::{redirect, Client, Response};
use serde_json::json;

const ADMIN: &str = "sk-admin-dashboard-test";

fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `name=value` of cookie `name` set by `response`.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The value of the hidden `csrf` field of a page.
fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[start..start + 64].to_string()
}

/// Signs in with `key`: the sign-in answer and the cookie header to send after.
async fn sign_in(server: &MockServer, key: &str) -> (Response, String) {
    let client = client();
    let form = client
        .get(format!("{}/dashboard/sign-in", server.uri()))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&form, "om_signin").unwrap();
    let token = csrf_of(&form.text().await.unwrap());
    let pair = cookie.split(';').next().unwrap().to_string();
    let answer = client
        .post(format!("{}/dashboard/sign-in", server.uri()))
        .header("cookie", &pair)
        .form(&[("csrf", token.as_str()), ("key", key)])
        .send()
        .await
        .unwrap();
    let session = set_cookie(&answer, "om_session")
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_default();
    (answer, session)
}

async fn get(server: &MockServer, path: &str, cookie: &str) -> Response {
    client()
        .get(format!("{}{path}", server.uri()))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signing_in_needs_the_admin_key_and_sets_a_strict_cookie() {
    let server = MockServer::builder().admin_api_key(ADMIN).start().await;
    assert!(server.dashboard_sign_in_url().is_none());
    let first = get(&server, "/dashboard", "").await;
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()[LOCATION], "/dashboard/sign-in");
    let form = get(&server, "/dashboard/sign-in", "").await;
    let csp = form.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let page = form.text().await.unwrap();
    assert!(page.contains(">Admin key</label>") && page.contains(">Sign in</button>"));

    let (wrong, session) = sign_in(&server, "sk-wrong").await;
    assert_eq!(wrong.status(), 401);
    assert!(session.is_empty());
    assert!(wrong.text().await.unwrap().contains("Incorrect admin key"));

    let (right, session) = sign_in(&server, ADMIN).await;
    assert_eq!(right.status(), 303);
    let cookie = set_cookie(&right, "om_session").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let overview = get(&server, "/dashboard", &session).await;
    assert_eq!(overview.status(), 200);
    assert!(overview.text().await.unwrap().contains("Sign out"));
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited() {
    let server = MockServer::builder().admin_api_key(ADMIN).start().await;
    for _ in 0..5 {
        assert_eq!(sign_in(&server, "sk-wrong").await.0.status(), 401);
    }
    let (limited, _) = sign_in(&server, ADMIN).await;
    assert_eq!(limited.status(), 429);
    assert!(limited
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-in attempts"));
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let server = MockServer::builder().admin_api_key(ADMIN).start().await;
    let (_, session) = sign_in(&server, ADMIN).await;
    let sign_out = client()
        .post(format!("{}/dashboard/sign-out", server.uri()))
        .header("cookie", &session)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(sign_out.status(), 403);
    assert_eq!(get(&server, "/dashboard", &session).await.status(), 200);
    // Without the form's cookie, signing in is refused too.
    let no_cookie = client()
        .post(format!("{}/dashboard/sign-in", server.uri()))
        .form(&[("key", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(no_cookie.status(), 403);
}

#[tokio::test]
async fn the_request_log_shows_requests_with_escaped_bodies() {
    let server = MockServer::builder().admin_api_key(ADMIN).start().await;
    let chat = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "<script>alert(1)</script>"}]});
    let answer = client()
        .post(format!("{}/chat/completions", server.base_url()))
        .bearer_auth("sk-proj-dashboardtest1234")
        .json(&chat)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: serde_json::Value = answer.json().await.unwrap();
    let tokens = answer["usage"]["total_tokens"].as_u64().unwrap();
    let (_, session) = sign_in(&server, ADMIN).await;
    let list = get(
        &server,
        "/dashboard/requests?status=2xx&path=chat",
        &session,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(list.contains("/v1/chat/completions"), "{list}");
    let masked = format!("sk-pr{}34", "*".repeat(18));
    assert!(list.contains(&masked), "{list}");
    assert!(list.contains(&format!("<td>{tokens}</td>")), "{list}");
    assert!(!list.contains("sk-proj-dashboardtest1234"));
    let none = get(&server, "/dashboard/requests?status=5xx", &session).await;
    assert!(!none.text().await.unwrap().contains("/v1/chat/completions"));
    let seq = server.received_requests()[0].seq;
    let detail = get(&server, &format!("/dashboard/requests/{seq}"), &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!detail.contains("<script>alert"));
    assert!(detail.contains("chat.completion"));
    let csv = get(&server, "/dashboard/export/requests.csv", &session).await;
    assert!(csv.text().await.unwrap().contains("/v1/chat/completions"));
    let pdf = get(&server, "/dashboard/export/usage.pdf", &session).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let usage = get(&server, "/dashboard/usage?by=model", &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        usage.contains("data-series=\"gpt-4o-mini\" data-total=\"1\""),
        "{usage}"
    );
}

#[tokio::test]
async fn the_live_view_streams_new_requests() {
    let server = MockServer::builder().admin_api_key(ADMIN).start().await;
    let (_, session) = sign_in(&server, ADMIN).await;
    let mut events = get(&server, "/dashboard/live/events?after=0", &session).await;
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    client()
        .get(format!("{}/models", server.base_url()))
        .bearer_auth("sk-test")
        .send()
        .await
        .unwrap();
    let chunk = events.chunk().await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(text.starts_with("event: request\ndata: "), "{text}");
    assert!(text.contains("/v1/models"), "{text}");
}

#[tokio::test]
async fn without_an_admin_key_a_one_time_link_signs_in_once() {
    let server = MockServer::start().await;
    let link = server.dashboard_sign_in_url().unwrap();
    let path = link.strip_prefix(&server.uri()).unwrap();
    let first = get(&server, path, "").await;
    assert_eq!(first.status(), 303);
    let session = set_cookie(&first, "om_session").unwrap();
    let session = session.split(';').next().unwrap();
    assert_eq!(get(&server, "/dashboard", session).await.status(), 200);
    assert_eq!(get(&server, path, "").await.status(), 403);
    assert!(server.dashboard_sign_in_url().is_none());
}

/// POSTs `form` (with the session's CSRF token unless `csrf` is false) to a dashboard path.
async fn post(
    server: &MockServer,
    path: &str,
    session: &str,
    form: &[(&str, &str)],
    csrf: bool,
) -> Response {
    let page = get(server, "/dashboard/keys", session)
        .await
        .text()
        .await
        .unwrap();
    let token = csrf_of(&page);
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    if csrf {
        fields.push(("csrf", token.as_str()));
    }
    client()
        .post(format!("{}{path}", server.uri()))
        .header("cookie", session)
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// The text between `start` and the next `end` in `page`, after `start`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = page.find(start)? + start.len();
    let to = page[from..].find(end)? + from;
    Some(&page[from..to])
}

#[tokio::test]
async fn keys_are_created_once_shown_and_changed_through_confirmed_forms() {
    let server = MockServer::builder().admin_api_key(ADMIN).start().await;
    let (_, session) = sign_in(&server, ADMIN).await;
    let name = "<script>alert('key')</script>";
    let created = post(
        &server,
        "/dashboard/keys",
        &session,
        &[("name", name), ("rpm", "5"), ("expires_in_seconds", "3600")],
        true,
    )
    .await;
    assert_eq!(created.status(), 201);
    let page = created.text().await.unwrap();
    let secret = between(&page, "id=\"new-secret\">", "<")
        .unwrap()
        .to_string();
    assert!(secret.starts_with("sk-proj-"), "{secret}");
    assert!(page.contains("&lt;script&gt;alert('key')&lt;/script&gt;"));
    assert!(!page.contains("<script>alert"));

    let list = get(&server, "/dashboard/keys", &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&secret), "the secret shows again");
    assert!(list.contains("rpm 5"), "{list}");
    let id = between(&list, "data-key-id=\"", "\"").unwrap().to_string();

    // Each action has its confirmation page, with its own form.
    let confirm = get(&server, &format!("/dashboard/keys/{id}/revoke"), &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("cannot be undone") && confirm.contains("name=\"csrf\""));

    // Without the token nothing changes.
    let refused = post(
        &server,
        &format!("/dashboard/keys/{id}/suspend"),
        &session,
        &[],
        false,
    )
    .await;
    assert_eq!(refused.status(), 403);
    let list = get(&server, "/dashboard/keys", &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("state-active"), "{list}");

    let suspended = post(
        &server,
        &format!("/dashboard/keys/{id}/suspend"),
        &session,
        &[],
        true,
    )
    .await;
    assert_eq!(suspended.status(), 303);
    let list = get(&server, "/dashboard/keys", &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("state-suspended"), "{list}");
    let resumed = post(
        &server,
        &format!("/dashboard/keys/{id}/resume"),
        &session,
        &[],
        true,
    )
    .await;
    assert_eq!(resumed.status(), 303);
    let revoked = post(
        &server,
        &format!("/dashboard/keys/{id}/revoke"),
        &session,
        &[],
        true,
    )
    .await;
    assert_eq!(revoked.status(), 303);
    let list = get(&server, "/dashboard/keys", &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&format!("data-key-id=\"{id}\"")) || list.contains("state-revoked"));

    // The audit log export lists what happened.
    let audit = get(&server, "/dashboard/export/audit.json", &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        audit.contains("api_key.created") && audit.contains("api_key.deleted"),
        "{audit}"
    );
    assert!(!audit.contains(&secret));
}

#[tokio::test]
async fn alerts_are_checked_and_shown_when_crossed() {
    let server = MockServer::builder().admin_api_key(ADMIN).start().await;
    let (_, session) = sign_in(&server, ADMIN).await;
    let bad = post(
        &server,
        "/dashboard/alerts",
        &session,
        &[
            ("metric", "requests"),
            ("threshold", "x"),
            ("window_minutes", "5"),
        ],
        true,
    )
    .await;
    assert_eq!(bad.status(), 400);
    let added = post(
        &server,
        "/dashboard/alerts",
        &session,
        &[
            ("metric", "requests"),
            ("threshold", "0"),
            ("window_minutes", "5"),
            ("scope", "all"),
        ],
        true,
    )
    .await;
    assert_eq!(added.status(), 303);
    let page = get(&server, "/dashboard/alerts", &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("is firing"), "{page}");
    let audit = get(&server, "/dashboard/export/audit.csv", &session)
        .await
        .text()
        .await
        .unwrap();
    assert!(audit.contains("alert.triggered"), "{audit}");
}
