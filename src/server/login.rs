//! Failed logins slow down the address they come from.
//!
//! [`LoginThrottle`] counts recent failed `/login`s per IP address and says how
//! long the next attempt from that address waits before its password is
//! checked: nothing at first, then 250 ms doubling with each failure up to
//! 30 s ([`delay_after`]). Attempts from one address are spaced by that much
//! even when they arrive at once on many connections. A success clears the address; an address quiet for
//! 15 minutes is forgotten. It is pure: time comes in as `now`. The session
//! waits the delay on its own thread, so only that client waits, and stops
//! waiting when its connection ends (the server stopping, say).
//!
//! It lives in `ServerState` behind its own lock, which guards only these counts
//! and is held to read or bump one entry.
//!
//! [`check_name`] is the gate a session passes before it takes a name: a bare
//! name must not belong to an account (nor, with `--require-login`, be bare at
//! all); a password must come over TLS or from loopback, and match.
//! [`redacted`] keeps passwords out of the `--log-format http` output. No log
//! line here or anywhere holds a password.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::ServerState;
use super::accounts::{AccountError, verify_password};
use super::control::Control;
use crate::protocol::ErrorCode;
use crate::protocol::is_loopback;

/// Why a name was refused: the error code and its text.
pub(crate) type LoginRefusal = (ErrorCode, String);

/// Whether a password from `peer` would have crossed a network in clear: a
/// plain connection from anything but exactly 127.0.0.1 or ::1. (Other
/// 127.x addresses count as remote, which is the cautious reading and lets
/// tests stand one in for another host.)
pub(crate) fn is_insecure(encrypted: bool, peer: SocketAddr) -> bool {
    !encrypted && !is_loopback(peer.ip())
}

/// Decides whether `name` may be taken by this connection, given the
/// password sent with it (`/login`) or none (a bare name). Waits first when
/// the address has failed recently, unless the connection ends meanwhile.
/// Logs failures, never the password.
///
/// Every registration passes here on its session thread, and the account
/// lookup is among the deepest calls a session makes, so the bare-name path
/// is kept to small frames and the rest is out of line: a session keeps every
/// stack page it touches ("Stack depth" in `docs/architecture.md`).
pub(crate) fn check_name(
    shared: &ServerState,
    control: &Control,
    name: &str,
    password: Option<&str>,
) -> Result<(), LoginRefusal> {
    match password {
        None => check_bare_name(shared, control.peer, name),
        Some(password) => check_login(shared, control, name, password),
    }
}

/// A name sent without a password: refused when only accounts are admitted
/// or when it is an account's.
fn check_bare_name(shared: &ServerState, peer: SocketAddr, name: &str) -> Result<(), LoginRefusal> {
    if shared.config.require_login {
        return Err((
            ErrorCode::LoginRequired,
            "This server admits only accounts: /login <name> <password>.".into(),
        ));
    }
    if account_hash(shared, peer, name)?.is_some() {
        return Err(belongs_to_account(name));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn belongs_to_account(name: &str) -> LoginRefusal {
    (
        ErrorCode::LoginRequired,
        format!("{name} belongs to an account: /login {name} <password>, or choose another name."),
    )
}

/// `/login name password`: the password must match the account's.
#[inline(never)]
fn check_login(
    shared: &ServerState,
    control: &Control,
    name: &str,
    password: &str,
) -> Result<(), LoginRefusal> {
    let peer = control.peer;
    let delay = shared
        .login_throttle
        .lock()
        .reserve(peer.ip(), Instant::now());
    // A connection ended meanwhile (the server is stopping, say) is not
    // worth a password check: it is about to close. Checked again once a
    // check slot is free, since waiting for one can take a while.
    let ending = || control.ending.is_set();
    let waited = delay.is_zero() || control.ending.pause(delay);
    if !waited || ending() {
        return Err(not_checked());
    }
    let checked = match account_hash(shared, peer, name)? {
        Some(hash) => shared
            .password_checks
            .run(|| (!ending()).then(|| verify_password(password, &hash))),
        None => Some(false),
    };
    let Some(matches) = checked else {
        return Err(not_checked());
    };
    if matches {
        shared.login_throttle.lock().succeeded(peer.ip());
        log::info!("{peer}: logged in as {name}");
        return Ok(());
    }
    let failures = shared
        .login_throttle
        .lock()
        .failed(peer.ip(), Instant::now());
    log::warn!("{peer}: failed login as {name} ({failures} recent failures from this address)");
    Err((
        ErrorCode::LoginFailed,
        "Wrong name or password. Each failure makes the next try from your address wait longer."
            .into(),
    ))
}

#[cold]
fn not_checked() -> LoginRefusal {
    (
        ErrorCode::LoginFailed,
        "Not checked: the server is closing this connection.".into(),
    )
}

/// The password hash of the account called `name`, if any; `None` when the
/// server has no accounts.
#[inline(never)]
fn account_hash(
    shared: &ServerState,
    peer: SocketAddr,
    name: &str,
) -> Result<Option<String>, LoginRefusal> {
    let Some(accounts) = &shared.accounts else {
        return Ok(None);
    };
    accounts
        .lookup(name)
        .map_err(|error| accounts_unavailable(peer, &error))
}

/// The error code of a name refused because the accounts could not be
/// checked (their database is away).
pub(crate) const ACCOUNTS_UNCHECKED: &str = "not-stored";

#[cold]
#[inline(never)]
fn accounts_unavailable(peer: SocketAddr, error: &AccountError) -> LoginRefusal {
    log::error!("{peer}: cannot check accounts: {error}");
    // Not `login-required`: nothing says the name is an account's. The
    // code nodes use when their database is away (`across_nodes.rs`).
    (
        ErrorCode::Other(ACCOUNTS_UNCHECKED.into()),
        "The server cannot check accounts right now; try again in a moment.".to_owned(),
    )
}

/// `line` as it may be shown in a log: a `/login` line loses its password.
pub(crate) fn redacted(line: &str) -> Cow<'_, str> {
    let is_login = line
        .get(..7)
        .is_some_and(|start| start.eq_ignore_ascii_case("/login "));
    if !is_login {
        return Cow::Borrowed(line);
    }
    let name = line[7..]
        .trim_start_matches(' ')
        .split(' ')
        .next()
        .unwrap_or("");
    Cow::Owned(format!("/login {name} ********"))
}

/// The delay after the first failure; it doubles with each further one.
const FIRST_DELAY: Duration = Duration::from_millis(250);
/// The longest delay.
const MAX_DELAY: Duration = Duration::from_secs(30);
/// An address with no failure for this long starts again from zero.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Past this many addresses, forgotten ones are pruned on each failure.
const PRUNE_ABOVE: usize = 4096;
/// Password checks that may run at once. Each takes argon2's 19 MiB and tens
/// of milliseconds of CPU, so without a bound, many connections sending
/// `/login` together could exhaust the server's memory.
const MAX_PASSWORD_CHECKS: usize = 4;

/// Slots for password checks: a pool of [`MAX_PASSWORD_CHECKS`] tokens on a
/// channel. A session waits for a token on its own thread, so a queue of
/// logins slows the clients logging in and nobody else.
pub(crate) struct CheckSlots {
    give_back: crossbeam_channel::Sender<()>,
    take: crossbeam_channel::Receiver<()>,
}

impl Default for CheckSlots {
    fn default() -> CheckSlots {
        let (give_back, take) = crossbeam_channel::bounded(MAX_PASSWORD_CHECKS);
        for _ in 0..MAX_PASSWORD_CHECKS {
            let _ = give_back.send(());
        }
        CheckSlots { give_back, take }
    }
}

impl CheckSlots {
    /// Runs `check` once a slot is free.
    fn run<T>(&self, check: impl FnOnce() -> T) -> T {
        struct Slot<'a>(&'a crossbeam_channel::Sender<()>);
        impl Drop for Slot<'_> {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let _ = self.take.recv();
        let _slot = Slot(&self.give_back);
        check()
    }
}

/// How long an attempt waits after `failures` recent failures from its address.
pub(crate) fn delay_after(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let doublings = (failures - 1).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// The next attempt from this address may not start before this: attempts
    /// made at once queue up, so parallel connections do not multiply the rate.
    not_before: Instant,
}

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct LoginThrottle {
    failures: HashMap<IpAddr, Failures>,
}

impl LoginThrottle {
    /// Books an attempt from `ip` at `now`: returns how long it must wait
    /// before its password is checked. Attempts from one address are spaced
    /// by [`delay_after`] its recent failures, however many arrive at once.
    pub(crate) fn reserve(&mut self, ip: IpAddr, now: Instant) -> Duration {
        let Some(entry) = self.failures.get_mut(&ip) else {
            return Duration::ZERO;
        };
        if now.saturating_duration_since(entry.last) >= FORGET_AFTER {
            self.failures.remove(&ip);
            return Duration::ZERO;
        }
        let start = entry.not_before.max(now);
        entry.not_before = start + delay_after(entry.count);
        start - now
    }

    /// Records a failure from `ip`; returns how many recent ones it has.
    pub(crate) fn failed(&mut self, ip: IpAddr, now: Instant) -> u32 {
        if self.failures.len() > PRUNE_ABOVE {
            self.failures
                .retain(|_, f| now.saturating_duration_since(f.last) < FORGET_AFTER);
        }
        let entry = self.failures.entry(ip).or_insert(Failures {
            count: 0,
            last: now,
            not_before: now,
        });
        if now.saturating_duration_since(entry.last) >= FORGET_AFTER {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        let earliest = now + delay_after(entry.count);
        entry.not_before = entry.not_before.max(earliest);
        entry.count
    }

    /// A successful login from `ip` clears its failures.
    pub(crate) fn succeeded(&mut self, ip: IpAddr) {
        self.failures.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_checks_are_bounded() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let slots = CheckSlots::default();
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..4 * MAX_PASSWORD_CHECKS {
                scope.spawn(|| {
                    slots.run(|| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        // Stand-in for a hash's work, so checks overlap.
                        std::thread::sleep(Duration::from_millis(5));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                });
            }
        });
        let most = most.load(Ordering::SeqCst);
        assert!((1..=MAX_PASSWORD_CHECKS).contains(&most), "{most} at once");
    }

    #[test]
    fn passwords_are_redacted() {
        let check = |line: &str, shown: &str| assert_eq!(redacted(line), shown, "{line}");
        check("/login alice s3cret words", "/login alice ********");
        check("/LOGIN  alice s3cret", "/login alice ********");
        check("/login", "/login");
        check("hello /login alice x", "hello /login alice x");
        check("/msg bob hi", "/msg bob hi");
    }

    #[test]
    fn delays_grow_and_are_capped() {
        let check = |failures: u32, millis: u64| {
            assert_eq!(
                delay_after(failures),
                Duration::from_millis(millis),
                "{failures}"
            );
        };
        check(0, 0);
        check(1, 250);
        check(2, 500);
        check(3, 1000);
        check(5, 4000);
        check(8, 30_000);
        check(u32::MAX, 30_000);
    }

    #[test]
    fn per_address_cleared_by_success_and_forgotten_with_time() {
        let start = Instant::now();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let ms = Duration::from_millis;
        let mut throttle = LoginThrottle::default();
        assert_eq!(throttle.reserve(a, start), Duration::ZERO);
        assert_eq!(throttle.failed(a, start), 1);
        assert_eq!(throttle.failed(a, start), 2);
        assert_eq!(throttle.reserve(a, start), ms(500));
        assert_eq!(
            throttle.reserve(a, start),
            ms(1000),
            "queued behind the first"
        );
        assert_eq!(throttle.reserve(a, start + ms(1000)), ms(500));
        assert_eq!(
            throttle.reserve(b, start),
            Duration::ZERO,
            "other addresses"
        );
        let later = start + FORGET_AFTER;
        assert_eq!(throttle.reserve(a, later), Duration::ZERO, "forgotten");
        assert_eq!(throttle.failed(a, later), 1, "counting again from zero");
        throttle.succeeded(a);
        assert_eq!(throttle.reserve(a, later), Duration::ZERO);
    }
}
