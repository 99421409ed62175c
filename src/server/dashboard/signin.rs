//! Signing in and out: the form (a field labelled **Admin key** and a **Sign in** button),
//! the key check with its rate limit, and the one-time link printed at startup when no admin
//! key is configured.

use super::page::{html_response, layout, redirect, secure};
use super::session::{
    random_token, same_token, set_cookie, Role, Sessions, MAX_FAILED_ATTEMPTS, SESSION_COOKIE,
    SIGN_IN_COOKIE,
};
use maud::{html, Markup};
use poem::http::{header, StatusCode};
use poem::Response;
use std::collections::HashMap;
use std::net::IpAddr;

/// The sign-in page, with `error` shown above the form; sets the form's CSRF cookie.
pub fn form(status: StatusCode, error: Option<&str>, open: bool, secure_cookie: bool) -> Response {
    let token = random_token().unwrap_or_default();
    let mut response = html_response(status, page(&token, error, open));
    if let Ok(value) = set_cookie(SIGN_IN_COOKIE, &token, secure_cookie).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn page(token: &str, error: Option<&str>, open: bool) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            @if let Some(error) = error { p.error #sign-in-error role="alert" { (error) } }
            @if open {
                p.note { "No admin key is configured: open the one-time sign-in link the server \
                    printed at startup, or sign in with an admin key created through the API." }
            }
            form method="post" action="/dashboard/sign-in" {
                input type="hidden" name="csrf" value=(token);
                label for="admin-key" { "Admin key" }
                " "
                input #admin-key type="password" name="key" autocomplete="off" required;
                " "
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// What a sign-in attempt decided.
pub enum Attempt {
    /// The key is accepted with this role; the label names who signed in.
    Accepted(Role, String),
    /// The key is wrong.
    Rejected,
}

/// Handles `POST /dashboard/sign-in`: CSRF (the form's cookie), the rate limit, the key.
pub fn submit(
    sessions: &Sessions,
    form: &HashMap<String, String>,
    cookie_header: Option<&str>,
    client: IpAddr,
    check: impl Fn(&str) -> Attempt,
    open: bool,
    secure_cookie: bool,
) -> Response {
    let expected = super::session::cookie(cookie_header, SIGN_IN_COOKIE).unwrap_or("");
    let given = form.get("csrf").map_or("", String::as_str);
    if expected.is_empty() || !same_token(expected, given) {
        return super::page::error_page(
            StatusCode::FORBIDDEN,
            None,
            "The sign-in form's CSRF token is missing or wrong. Reload the sign-in page and try again.",
        );
    }
    if !sessions.may_try(client) {
        let message = format!(
            "Too many failed sign-in attempts ({MAX_FAILED_ATTEMPTS} a minute). Wait a minute and try again."
        );
        return form_with(StatusCode::TOO_MANY_REQUESTS, &message, open, secure_cookie);
    }
    let key = form.get("key").map_or("", |k| k.trim());
    match check(key) {
        Attempt::Accepted(role, who) => start(sessions, role, who, secure_cookie),
        Attempt::Rejected => {
            sessions.failed(client);
            form_with(
                StatusCode::UNAUTHORIZED,
                "Incorrect admin key. Check the key and try again.",
                open,
                secure_cookie,
            )
        }
    }
}

fn form_with(status: StatusCode, message: &str, open: bool, secure_cookie: bool) -> Response {
    form(status, Some(message), open, secure_cookie)
}

/// Starts a session and sends the browser to the overview with its cookie.
pub fn start(sessions: &Sessions, role: Role, who: String, secure_cookie: bool) -> Response {
    let Some(token) = sessions.start(role, who) else {
        return super::page::error_page(
            StatusCode::FORBIDDEN,
            None,
            "No session could be started (the system's random generator failed).",
        );
    };
    let mut response = redirect("/dashboard");
    for value in [
        set_cookie(SESSION_COOKIE, &token, secure_cookie),
        set_cookie(SIGN_IN_COOKIE, "", secure_cookie),
    ] {
        if let Ok(value) = value.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Ends the session and deletes its cookie.
pub fn sign_out(sessions: &Sessions, token: &str, secure_cookie: bool) -> Response {
    sessions.end(token);
    let mut response = redirect("/dashboard/sign-in");
    if let Ok(value) = set_cookie(SESSION_COOKIE, "", secure_cookie).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    secure(response)
}
