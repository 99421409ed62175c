//! Dashboard sessions: random session and CSRF tokens, the session cookie, the sign-in rate
//! limit and the one-time sign-in link used when no admin key is configured.
//!
//! Sessions live in memory only (a restart signs everyone out). Each has its own CSRF token,
//! which every form carries; the sign-in form, shown before any session exists, uses a
//! double-submit cookie instead.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a session lasts.
const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// At most this many sessions are kept (the oldest go first).
const MAX_SESSIONS: usize = 1000;
/// Failed sign-ins allowed per client address within [`ATTEMPT_WINDOW`].
pub const MAX_FAILED_ATTEMPTS: u32 = 5;
/// The window the sign-in limit counts failures in.
pub const ATTEMPT_WINDOW: Duration = Duration::from_secs(60);

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "om_session";
/// The sign-in form's double-submit CSRF cookie.
pub const SIGN_IN_COOKIE: &str = "om_signin";

/// What a signed-in user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Owner,
    /// Read-only: every page, no change.
    Reader,
}

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token every form of this session carries.
    pub csrf: String,
    /// What the session may do.
    pub role: Role,
    /// Who signed in, as shown in the header (a masked key or "sign-in link").
    pub who: String,
    started: Instant,
}

impl Session {
    /// Whether the session may change things.
    pub fn can_write(&self) -> bool {
        self.role == Role::Owner
    }
}

/// Sessions, sign-in attempts and the one-time link.
#[derive(Debug, Default)]
pub struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
    attempts: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    once: Mutex<Option<String>>,
}

/// 32 random bytes as 64 hex digits, from the operating system's generator.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for the dashboard: `HttpOnly`, `SameSite=Strict`, `Secure` over
/// HTTPS, scoped to `/dashboard`; an empty `value` deletes the cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool) -> String {
    let expiry = match value.is_empty() {
        true => "; Max-Age=0",
        false => "",
    };
    let secure = match secure {
        true => "; Secure",
        false => "",
    };
    format!("{name}={value}; Path=/dashboard; HttpOnly; SameSite=Strict{expiry}{secure}")
}

impl Sessions {
    /// Sessions with a one-time sign-in token when `one_time_link` is set.
    pub fn new(one_time_link: bool) -> Sessions {
        Sessions {
            once: Mutex::new(one_time_link.then(random_token).flatten()),
            ..Sessions::default()
        }
    }

    /// The one-time sign-in token, while unused.
    pub fn one_time_token(&self) -> Option<String> {
        self.once.lock().ok()?.clone()
    }

    /// Uses the one-time token: `true` (once) when `token` is it.
    pub fn use_one_time_token(&self, token: &str) -> bool {
        let Ok(mut once) = self.once.lock() else {
            return false;
        };
        match once.as_deref() {
            Some(expected) if same_token(expected, token) => {
                *once = None;
                true
            }
            _ => false,
        }
    }

    /// Starts a session; its cookie token.
    pub fn start(&self, role: Role, who: String) -> Option<String> {
        let token = random_token()?;
        let session = Session {
            csrf: random_token()?,
            role,
            who,
            started: Instant::now(),
        };
        let mut sessions = self.sessions.lock().ok()?;
        sessions.retain(|_, s| s.started.elapsed() < LIFETIME);
        if sessions.len() >= MAX_SESSIONS {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| s.started)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(token.clone(), session);
        Some(token)
    }

    /// The live session of a cookie token.
    pub fn get(&self, token: &str) -> Option<Session> {
        let sessions = self.sessions.lock().ok()?;
        sessions
            .get(token)
            .filter(|s| s.started.elapsed() < LIFETIME)
            .cloned()
    }

    /// Ends a session.
    pub fn end(&self, token: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(token);
        }
    }

    /// Whether `client` may try to sign in now (fewer than [`MAX_FAILED_ATTEMPTS`] failures
    /// in the current window).
    pub fn may_try(&self, client: IpAddr) -> bool {
        let Ok(attempts) = self.attempts.lock() else {
            return false;
        };
        match attempts.get(&client) {
            Some((since, failures)) if since.elapsed() < ATTEMPT_WINDOW => {
                *failures < MAX_FAILED_ATTEMPTS
            }
            _ => true,
        }
    }

    /// Counts a failed sign-in by `client`.
    pub fn failed(&self, client: IpAddr) {
        let Ok(mut attempts) = self.attempts.lock() else {
            return;
        };
        if attempts.len() > 10_000 {
            attempts.retain(|_, (since, _)| since.elapsed() < ATTEMPT_WINDOW);
        }
        let entry = attempts.entry(client).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= ATTEMPT_WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..63]));
    }

    #[test]
    fn cookies_are_read_and_written_strictly() {
        let header = Some("a=1; om_session=xyz; b=2");
        assert_eq!(cookie(header, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(header, "c"), None);
        let set = set_cookie(SESSION_COOKIE, "t", true);
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
        assert!(set.ends_with("; Secure"));
        assert!(!set_cookie(SESSION_COOKIE, "t", false).contains("Secure"));
    }

    #[test]
    fn sign_in_failures_are_limited_per_client() {
        let sessions = Sessions::new(false);
        let client: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..MAX_FAILED_ATTEMPTS {
            assert!(sessions.may_try(client));
            sessions.failed(client);
        }
        assert!(!sessions.may_try(client));
        assert!(sessions.may_try("127.0.0.2".parse().unwrap()));
    }

    #[test]
    fn the_one_time_link_works_once() {
        let sessions = Sessions::new(true);
        let token = sessions.one_time_token().unwrap();
        assert!(!sessions.use_one_time_token("wrong"));
        assert!(sessions.use_one_time_token(&token));
        assert!(!sessions.use_one_time_token(&token));
        assert!(sessions.one_time_token().is_none());
        let started = sessions.start(Role::Reader, "r".into()).unwrap();
        assert!(!sessions.get(&started).unwrap().can_write());
        sessions.end(&started);
        assert!(sessions.get(&started).is_none());
    }
}
