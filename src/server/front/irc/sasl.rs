//! `AUTHENTICATE` (IRCv3 `sasl`, mechanism `PLAIN`): logging in to one of
//! the server's accounts before registering, as native `/login` does.
//!
//! The password is checked by the hub port ([`IrcHub::log_in`]), with the
//! native rules: over TLS or from this machine only, failures slowed down
//! per address. A client that logged in as an account must register with
//! that account's name as its nick (`902` otherwise): here a name is the
//! account.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::protocol::irc::Message;
use crate::protocol::irc::numeric::{
    ERR_SASLABORTED, ERR_SASLALREADY, ERR_SASLFAIL, ERR_SASLTOOLONG, RPL_LOGGEDIN, RPL_SASLMECHS,
    RPL_SASLSUCCESS,
};

use super::HOST;
use super::port::{IrcHub, LoginRefusal};
use super::reply::{Out, Replier};

/// Where a connection is in SASL.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum Sasl {
    /// Not begun (or aborted, or failed).
    #[default]
    Idle,
    /// `AUTHENTICATE PLAIN` was sent: the credentials come next.
    Plain,
    /// Logged in as this account.
    LoggedIn(String),
}

impl Sasl {
    /// The account logged in as, if any.
    pub(crate) fn account(&self) -> Option<&str> {
        match self {
            Sasl::LoggedIn(account) => Some(account),
            _ => None,
        }
    }

    /// Handles `AUTHENTICATE <param>` before registration.
    pub(crate) fn handle(
        &mut self,
        param: Option<&str>,
        hub: &mut impl IrcHub,
        to: Replier<'_>,
        out: &mut Out,
    ) {
        let Some(param) = param else {
            return;
        };
        if self.account().is_some() {
            out.numeric(
                to,
                ERR_SASLALREADY,
                &["You have already authenticated using SASL"],
            );
            return;
        }
        if param == "*" {
            *self = Sasl::Idle;
            out.numeric(to, ERR_SASLABORTED, &["SASL authentication aborted"]);
            return;
        }
        match self {
            Sasl::Idle if param.eq_ignore_ascii_case("PLAIN") => {
                *self = Sasl::Plain;
                out.send(to.server, Message::new("AUTHENTICATE", vec!["+"]));
            }
            Sasl::Idle => {
                out.numeric(
                    to,
                    RPL_SASLMECHS,
                    &["PLAIN", "are available SASL mechanisms"],
                );
                out.numeric(to, ERR_SASLFAIL, &["SASL authentication failed"]);
            }
            Sasl::Plain => self.credentials(param, hub, to, out),
            Sasl::LoggedIn(_) => {}
        }
    }

    fn credentials(&mut self, param: &str, hub: &mut impl IrcHub, to: Replier<'_>, out: &mut Out) {
        *self = Sasl::Idle;
        if param.len() >= 400 {
            // Credentials this long would come in several lines: not for PLAIN.
            out.numeric(to, ERR_SASLTOOLONG, &["SASL message too long"]);
            return;
        }
        let Some((account, password)) = plain(param) else {
            out.numeric(
                to,
                ERR_SASLFAIL,
                &["SASL authentication failed: malformed PLAIN"],
            );
            return;
        };
        match hub.log_in(&account, &password) {
            Ok(name) => {
                let mask = format!("{name}!{name}@{HOST}");
                let text = format!("You are now logged in as {name}");
                out.numeric(to, RPL_LOGGEDIN, &[&mask, &name, &text]);
                out.numeric(to, RPL_SASLSUCCESS, &["SASL authentication successful"]);
                *self = Sasl::LoggedIn(name);
            }
            Err(LoginRefusal::Insecure) => {
                let why = "SASL authentication failed: use TLS (passwords travel in clear only from this machine)";
                out.numeric(to, ERR_SASLFAIL, &[why]);
            }
            Err(LoginRefusal::Failed) => {
                out.numeric(to, ERR_SASLFAIL, &["SASL authentication failed"]);
            }
        }
    }
}

/// The account and password of a PLAIN message (`authzid NUL authcid NUL
/// password`, base64); the authorization id, if given, must be the account.
fn plain(param: &str) -> Option<(String, String)> {
    let bytes = STANDARD.decode(param).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split('\0');
    let (authzid, authcid, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || authcid.is_empty() {
        return None;
    }
    if !authzid.is_empty() && !authzid.eq_ignore_ascii_case(authcid) {
        return None;
    }
    Some((authcid.to_owned(), password.to_owned()))
}
