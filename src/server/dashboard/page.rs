//! The dashboard's page frame and answers: the layout every page shares (navigation, the
//! signed-in user, the sign-out form), HTML answers with the security headers, redirects and
//! the error page.
//!
//! Every dashboard answer carries a `Content-Security-Policy` that allows scripts and styles
//! only from the binary's own embedded files (no inline script, no inline style, no other
//! origin), forbids framing, and sends no referrer (the one-time sign-in link carries a token).

use super::session::Session;
use maud::{html, Markup, DOCTYPE};
use poem::http::{header, HeaderValue, StatusCode};
use poem::{Body, Response};

/// The policy every dashboard answer carries.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// Adds the security headers every dashboard answer carries.
pub fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// An HTML answer.
pub fn html_response(status: StatusCode, markup: Markup) -> Response {
    secure(
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from_string(markup.into_string())),
    )
}

/// A `303 See Other` to `location`.
pub fn redirect(location: &str) -> Response {
    secure(
        Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, location)
            .body(Body::empty()),
    )
}

/// A file download (or inline view) with its content type.
pub fn download(content_type: &'static str, filename: &str, bytes: Vec<u8>) -> Response {
    secure(
        Response::builder()
            .header(header::CONTENT_TYPE, content_type)
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            )
            .body(Body::from_vec(bytes)),
    )
}

/// A page that says what went wrong.
pub fn error_page(status: StatusCode, session: Option<&Session>, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    html_response(
        status,
        layout(title, session, html! { p.error role="alert" { (message) } }),
    )
}

/// The frame of every page: head (embedded stylesheet and script), navigation when signed
/// in, and `body`.
pub fn layout(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · openai-mock" }
                link rel="stylesheet" href="/dashboard/static/dashboard.css";
                script src="/dashboard/static/dashboard.js" defer {}
            }
            body {
                header {
                    strong { "openai-mock" }
                    @if let Some(session) = session {
                        nav {
                            a href="/dashboard" { "Overview" }
                            a href="/dashboard/requests" { "Requests" }
                            a href="/dashboard/keys" { "Keys" }
                            a href="/dashboard/usage" { "Usage" }
                            a href="/dashboard/alerts" { "Alerts" }
                            a href="/dashboard/export" { "Export" }
                        }
                        span.who {
                            (session.who)
                            @if !session.can_write() { " (read-only)" }
                        }
                        form method="post" action="/dashboard/sign-out" {
                            (csrf_field(session))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden CSRF field every form of a session carries.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// Time as `YYYY-MM-DD HH:MM:SS` UTC, from Unix milliseconds.
pub fn utc(ms: u64) -> String {
    crate::generate::rfc3339((ms / 1000) as i64)
        .replace('T', " ")
        .replace('Z', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_796_601_600_000), "2026-12-07 00:00:00");
    }

    #[test]
    fn user_text_is_escaped_and_the_policy_allows_no_inline_script() {
        let page = layout("<script>x</script>", None, html! {}).into_string();
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!CSP.contains("unsafe-inline"));
        assert!(CSP.contains("script-src 'self'"));
    }
}
