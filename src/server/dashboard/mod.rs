//! The web dashboard at `/dashboard`, served by the same binary: sign-in, the request log
//! (with a live view), keys, usage charts, alerts and exports.
//!
//! | module | owns |
//! |---|---|
//! | `session` | sessions, CSRF tokens, cookies, the sign-in rate limit, the one-time link |
//! | `page` | the page frame, the security headers (CSP), redirects and error pages |
//! | `signin` | the sign-in form and its checks, sign-out |
//! | `requests` | the request log list, filter and detail; the rows the other parts share |
//! | `live` | the server-sent events of the live view |
//! | `usage`, `chart` | the usage page and its server-drawn SVG charts |
//! | `keys` | the keys page: list, create (secret shown once), suspend, resume, revoke |
//! | `alerts` | thresholds, their crossings, the audit event and the webhook |
//! | `export` | CSV, JSON and the PDF report |
//! | `assets/` | the embedded stylesheet and script |
//!
//! **Templates: `maud`.** Pages are Rust expressions checked at compile time, with every
//! interpolated value HTML-escaped unless marked otherwise (we never do), and the markup sits
//! next to the data it renders. `askama` would add a templates folder and a second syntax
//! for the same guarantees; `maud` is two small crates and needs no build-time file access.
//!
//! **Security.** Every answer carries a CSP with no inline script (see `page`); every form
//! carries the session's CSRF token, and a POST without it is refused with 403 before
//! anything is read or changed; the session cookie is `HttpOnly` and `SameSite=Strict`
//! (`Secure` over HTTPS). When no admin key is configured, the dashboard answers only on
//! loopback and the way in is the one-time link the binary prints at startup.

mod alerts;
mod chart;
mod export;
mod keys;
mod live;
mod page;
mod requests;
mod session;
mod signin;
mod usage;

use super::auth::Keys;
use super::body::RequestBody;
use crate::config::Config;
use crate::scenario::log::unix_ms;
use crate::scenario::Engine;
use crate::store::org::{AuditQuery, KeyKind, KeyState};
use crate::store::Store;
use maud::html;
use page::{error_page, html_response, layout, redirect};
use poem::http::{header, Method, StatusCode};
use poem::{Body, Request, Response};
use session::{cookie, same_token, Role, Session, Sessions, SESSION_COOKIE};
use signin::Attempt;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Weak};

/// What the dashboard reads: the request log, the store and the configured keys.
pub struct Sources<'a> {
    /// The scenario engine (its request log).
    pub scenarios: &'a Arc<Engine>,
    /// The objects that persist.
    pub store: &'a Store,
    /// The configured keys.
    pub keys: &'a Keys,
}

/// The dashboard's own state: sessions and the sign-in mode.
#[derive(Debug)]
pub struct Dashboard {
    sessions: Sessions,
    /// No admin key is configured: loopback only, one-time link.
    open: bool,
    alerts: alerts::Alerts,
}

/// Whether `path` is the dashboard's.
pub fn serves(path: &str) -> bool {
    path == "/dashboard" || path.starts_with("/dashboard/")
}

/// The embedded stylesheet and script, by file name.
fn asset(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "dashboard.css" => Some(("text/css", include_str!("assets/dashboard.css"))),
        "dashboard.js" => Some(("text/javascript", include_str!("assets/dashboard.js"))),
        _ => None,
    }
}

/// A request as the dashboard sees it.
struct Visit<'a> {
    req: &'a Request,
    method: &'a Method,
    rest: &'a str,
    cookies: Option<&'a str>,
    client: IpAddr,
    https: bool,
}

impl Dashboard {
    /// The dashboard for `config` (open, with a one-time link, when no admin key is set).
    pub fn new(config: &Config) -> Dashboard {
        let open = config.admin_api_keys.is_empty();
        Dashboard {
            sessions: Sessions::new(open),
            open,
            alerts: alerts::Alerts::default(),
        }
    }

    /// Checks the alerts every [`alerts::CHECK_INTERVAL`] while both the dashboard and the
    /// store live, posting crossings to their webhooks.
    pub fn watch_alerts(dashboard: Weak<Dashboard>, store: Weak<Store>) {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(alerts::CHECK_INTERVAL).await;
                let (Some(dashboard), Some(store)) = (dashboard.upgrade(), store.upgrade()) else {
                    return;
                };
                dashboard.check_alerts(&store);
            }
        });
    }

    /// Measures the alerts now and posts new crossings to their webhooks (in the background).
    fn check_alerts(self: &Arc<Self>, store: &Store) {
        if self.alerts.all(store).is_empty() {
            return;
        }
        for delivery in self.alerts.check(store, unix_ms()) {
            let dashboard = Arc::downgrade(self);
            tokio::spawn(async move {
                let outcome = alerts::post(&delivery.url, &delivery.body).await;
                if let Some(dashboard) = dashboard.upgrade() {
                    dashboard.alerts.delivered(delivery.alert, outcome);
                }
            });
        }
    }

    /// The one-time sign-in token, while unused (only when no admin key is configured).
    pub fn one_time_token(&self) -> Option<String> {
        self.sessions.one_time_token()
    }

    /// The answer to a request under `/dashboard`.
    pub async fn answer(
        self: &Arc<Self>,
        sources: Sources<'_>,
        req: &Request,
        body: &mut RequestBody,
    ) -> Response {
        let client = req
            .remote_addr()
            .as_socket_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        if self.open && !client.is_loopback() {
            return error_page(
                StatusCode::NOT_FOUND,
                None,
                "The dashboard answers only on loopback when no admin key is configured.",
            );
        }
        let path = req.uri().path();
        let visit = Visit {
            req,
            method: req.method(),
            rest: path.strip_prefix("/dashboard").unwrap_or(""),
            cookies: req
                .headers()
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok()),
            client,
            https: req.scheme().as_str() == "https",
        };
        if let Some(name) = visit.rest.strip_prefix("/static/") {
            return match (visit.method, asset(name)) {
                (&Method::GET, Some((content_type, text))) => page::secure(
                    Response::builder()
                        .header(header::CONTENT_TYPE, content_type)
                        .body(Body::from_bytes(bytes::Bytes::from_static(text.as_bytes()))),
                ),
                _ => error_page(StatusCode::NOT_FOUND, None, "No such file."),
            };
        }
        let form = match *visit.method {
            Method::POST => match body.read().await {
                Ok(bytes) => form_urlencoded::parse(&bytes).into_owned().collect(),
                Err(_) => {
                    return error_page(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        None,
                        "The form is too large.",
                    )
                }
            },
            _ => HashMap::new(),
        };
        match (visit.method, visit.rest) {
            (&Method::GET, "/sign-in") => {
                return signin::form(StatusCode::OK, None, self.open, visit.https)
            }
            (&Method::POST, "/sign-in") => {
                let check = |key: &str| self.check_key(&sources, key);
                return signin::submit(
                    &self.sessions,
                    &form,
                    visit.cookies,
                    visit.client,
                    check,
                    self.open,
                    visit.https,
                );
            }
            (&Method::GET, "/sign-in/once") => return self.one_time(&visit),
            _ => {}
        }
        let token = cookie(visit.cookies, SESSION_COOKIE).unwrap_or("");
        let Some(session) = self.sessions.get(token) else {
            return match *visit.method {
                Method::GET => redirect("/dashboard/sign-in"),
                _ => error_page(StatusCode::FORBIDDEN, None, "Sign in first."),
            };
        };
        if *visit.method == Method::POST {
            let given = form.get("csrf").map_or("", String::as_str);
            if !same_token(&session.csrf, given) {
                return error_page(
                    StatusCode::FORBIDDEN,
                    Some(&session),
                    "The form's CSRF token is missing or wrong; nothing was changed.",
                );
            }
            if visit.rest == "/sign-out" {
                return signin::sign_out(&self.sessions, token, visit.https);
            }
            if !session.can_write() {
                return error_page(
                    StatusCode::FORBIDDEN,
                    Some(&session),
                    "This session is read-only; nothing was changed.",
                );
            }
        }
        if *visit.method == Method::POST {
            return self.change(&sources, visit.rest, &session, &form);
        }
        self.page(&sources, &visit, &session)
    }

    /// What a POST changes (the session may write and its CSRF token is checked).
    fn change(
        self: &Arc<Self>,
        sources: &Sources<'_>,
        rest: &str,
        session: &Session,
        form: &HashMap<String, String>,
    ) -> Response {
        let org = sources.store.org();
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["keys"] => {
                let created = keys::spec_of(form).and_then(|spec| {
                    org.create_key(&spec)
                        .map_err(|e| format!("The key was not created: {}", e.message))
                });
                let (status, created, error) = match created {
                    Ok(created) => (StatusCode::CREATED, Some(created), None),
                    Err(error) => (StatusCode::BAD_REQUEST, None, Some(error)),
                };
                let markup = keys::page(
                    &org.list_keys(),
                    &org.projects(),
                    session,
                    created.as_ref(),
                    error.as_deref(),
                );
                html_response(status, markup)
            }
            ["keys", id, action] => {
                let done = match keys::Action::parse(action) {
                    Some(keys::Action::Suspend) => org.suspend_key(id),
                    Some(keys::Action::Resume) => org.resume_key(id),
                    Some(keys::Action::Revoke) => org.revoke_key(id),
                    None => None,
                };
                match done {
                    Some(_) => redirect("/dashboard/keys"),
                    None => error_page(StatusCode::NOT_FOUND, Some(session), "No such key."),
                }
            }
            ["alerts"] => match self.alerts.add(sources.store, form) {
                Ok(()) => {
                    self.check_alerts(sources.store);
                    redirect("/dashboard/alerts")
                }
                Err(error) => html_response(
                    StatusCode::BAD_REQUEST,
                    alerts::page(
                        &self.alerts.all(sources.store),
                        &org.list_keys(),
                        &org.projects(),
                        session,
                        Some(&error),
                    ),
                ),
            },
            ["alerts", id, "delete"] => {
                self.alerts.remove(sources.store, id.parse().unwrap_or(0));
                redirect("/dashboard/alerts")
            }
            _ => error_page(StatusCode::NOT_FOUND, Some(session), "No such page."),
        }
    }

    /// The pages behind the sign-in.
    fn page(
        self: &Arc<Self>,
        sources: &Sources<'_>,
        visit: &Visit<'_>,
        session: &Session,
    ) -> Response {
        let query = visit.req.uri().query();
        let log = sources.scenarios.log();
        let org = sources.store.org();
        let ok = |markup| html_response(StatusCode::OK, markup);
        match (visit.method, visit.rest) {
            (&Method::GET, "/keys") => ok(keys::page(
                &org.list_keys(),
                &org.projects(),
                session,
                None,
                None,
            )),
            (&Method::GET, "/alerts") => {
                self.check_alerts(sources.store);
                ok(alerts::page(
                    &self.alerts.all(sources.store),
                    &org.list_keys(),
                    &org.projects(),
                    session,
                    None,
                ))
            }
            (&Method::GET, rest) if rest.starts_with("/keys/") => {
                let parts: Vec<&str> = rest["/keys/".len()..].split('/').collect();
                let found = match parts.as_slice() {
                    [id, action] => keys::Action::parse(action).zip(org.key(id)),
                    _ => None,
                };
                match found {
                    Some((action, key)) => ok(keys::confirm(&key, action, session)),
                    None => error_page(StatusCode::NOT_FOUND, Some(session), "No such key."),
                }
            }
            (&Method::GET, "" | "/") => ok(overview(
                sources,
                session,
                &self.alerts.firing(sources.store),
            )),
            (&Method::GET, "/requests") => ok(requests::list(
                log,
                session,
                &requests::Filter::from_query(query),
            )),
            (&Method::GET, "/live/events") => {
                let after = param(query, "after").and_then(|a| a.parse().ok());
                live::events(
                    sources.scenarios.clone(),
                    requests::Filter::from_query(query),
                    after.unwrap_or(0),
                )
            }
            (&Method::GET, "/usage") => {
                let (usage, by) = usage_of(sources, query);
                ok(usage::page(&usage, by, session, unix_ms()))
            }
            (&Method::GET, "/export") => ok(export_page(session)),
            (&Method::GET, rest) if rest.starts_with("/export/") => {
                export_file(sources, &rest["/export/".len()..], query)
            }
            (&Method::GET, rest) if rest.starts_with("/requests/") => {
                match rest["/requests/".len()..]
                    .parse()
                    .ok()
                    .and_then(|seq| log.entry(seq))
                {
                    Some(entry) => ok(requests::detail(&entry, session)),
                    None => error_page(
                        StatusCode::NOT_FOUND,
                        Some(session),
                        "That request is no longer in the log.",
                    ),
                }
            }
            _ => error_page(StatusCode::NOT_FOUND, Some(session), "No such page."),
        }
    }

    /// What an admin key may do on the dashboard, if it is one: a configured admin key is
    /// an owner; an active admin key created through the API has its role (`reader` is
    /// read-only).
    fn check_key(&self, sources: &Sources<'_>, key: &str) -> Attempt {
        if key.is_empty() {
            return Attempt::Rejected;
        }
        let who = crate::error::mask_key(key);
        if sources
            .keys
            .admin_api_keys
            .iter()
            .any(|k| same_token(k, key))
        {
            return Attempt::Accepted(Role::Owner, who);
        }
        let now = crate::store::org::now_secs();
        match sources.store.org().find_key(key) {
            Some(entry)
                if entry.kind == KeyKind::Admin && entry.state_at(now) == KeyState::Active =>
            {
                let role = match entry.role.as_str() {
                    "reader" => Role::Reader,
                    _ => Role::Owner,
                };
                Attempt::Accepted(role, who)
            }
            _ => Attempt::Rejected,
        }
    }

    /// `GET /dashboard/sign-in/once?token=…`: the startup link, good once.
    fn one_time(&self, visit: &Visit<'_>) -> Response {
        let token = param(visit.req.uri().query(), "token").unwrap_or_default();
        match self.open && self.sessions.use_one_time_token(&token) {
            true => signin::start(
                &self.sessions,
                Role::Owner,
                "sign-in link".into(),
                visit.https,
            ),
            false => error_page(
                StatusCode::FORBIDDEN,
                None,
                "This sign-in link is not valid (it works once).",
            ),
        }
    }
}

/// The first value of query parameter `name`.
fn param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The usage the query asks for (`by`, `window` in minutes) and its grouping: the
/// organization's, or the request log's while the organization has none in the window.
fn usage_of(sources: &Sources<'_>, query: Option<&str>) -> (usage::Usage, usage::GroupBy) {
    let by = usage::GroupBy::parse(&param(query, "by").unwrap_or_default());
    let window = param(query, "window")
        .and_then(|w| w.parse().ok())
        .unwrap_or(60);
    let accounted = usage::Usage::from_org(sources.store, by, unix_ms(), window);
    if accounted.totals().0 > 0.0 {
        return (accounted, by);
    }
    let rows = requests::rows(sources.scenarios.log(), &requests::Filter::default());
    let project = |_: &requests::Row| "Default project".to_string();
    let usage = usage::Usage::of(&rows, by, unix_ms(), window, &project);
    (usage, by)
}

/// The overview: counts, firing alerts and where to go.
fn overview(sources: &Sources<'_>, session: &Session, firing: &[alerts::Alert]) -> maud::Markup {
    let rows = requests::rows(sources.scenarios.log(), &requests::Filter::default());
    let errors = rows.iter().filter(|r| r.is_error()).count();
    let tokens: u64 = rows.iter().map(requests::Row::tokens).sum();
    layout(
        "Overview",
        Some(session),
        html! {
            @for alert in firing {
                p.error.firing role="alert" { "Alert " (alert.id) " is firing (" (alert.metric_name()) " "
                    (alert.value) " ≥ " (alert.threshold) "): see " a href="/dashboard/alerts" { "Alerts" } "." }
            }
            p #summary { (rows.len()) " requests in the log, " (errors) " failed, " (tokens) " tokens." }
            ul {
                li { a href="/dashboard/requests" { "Request log" } " (live)" }
                li { a href="/dashboard/keys" { "Keys" } }
                li { a href="/dashboard/usage" { "Usage and costs" } }
                li { a href="/dashboard/alerts" { "Alerts" } }
                li { a href="/dashboard/export" { "Export" } }
            }
        },
    )
}

/// The export page: one link per file.
fn export_page(session: &Session) -> maud::Markup {
    let files = [
        ("requests.csv", "Request log (CSV)"),
        ("requests.json", "Request log (JSON)"),
        ("usage.csv", "Usage (CSV)"),
        ("usage.json", "Usage (JSON)"),
        ("usage.pdf", "Usage report (PDF)"),
        ("audit.csv", "Audit log (CSV)"),
        ("audit.json", "Audit log (JSON)"),
    ];
    layout(
        "Export",
        Some(session),
        html! {
            ul { @for (file, label) in files { li { a href=(format!("/dashboard/export/{file}")) { (label) } } } }
        },
    )
}

/// An export file.
fn export_file(sources: &Sources<'_>, name: &str, query: Option<&str>) -> Response {
    let rows = || {
        requests::rows(
            sources.scenarios.log(),
            &requests::Filter::from_query(query),
        )
    };
    let (content_type, bytes) = match name {
        "requests.csv" => ("text/csv", export::requests_csv(&rows())),
        "requests.json" => ("application/json", export::requests_json(&rows())),
        "usage.csv" => ("text/csv", export::usage_csv(&usage_of(sources, query).0)),
        "usage.json" => (
            "application/json",
            export::usage_json(&usage_of(sources, query).0),
        ),
        "audit.csv" => (
            "text/csv",
            export::audit_csv(&sources.store.org().audit(&AuditQuery::default())),
        ),
        "audit.json" => (
            "application/json",
            export::audit_json(&sources.store.org().audit(&AuditQuery::default())),
        ),
        "usage.pdf" => (
            "application/pdf",
            export::usage_pdf(
                &usage_of(sources, query).0,
                "openai-mock usage report",
                &page::utc(unix_ms()),
            ),
        ),
        _ => return error_page(StatusCode::NOT_FOUND, None, "No such export."),
    };
    page::download(content_type, name, bytes)
}

/// A submitted form of `pairs`, for the page modules' tests.
#[cfg(test)]
fn form_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
