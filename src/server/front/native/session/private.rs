//! `/msg <name> <text>`: a private message, and what the sender is told
//! when it cannot be read at once: nobody by that name is online
//! (`ERROR no-such-user`), or its IRC user is away (an `INFO` line with the
//! away message, as an IRC sender gets `301`; the message is delivered all
//! the same).

use super::ClientSession;
use crate::hub::message::Audience;
use crate::protocol::{ErrorCode, ServerLine};

impl ClientSession {
    pub(super) fn private(&self, to: &str, text: &str) {
        let Some(name) = self.shared.locked(|registry| registry.online_name(to)) else {
            return self.error(
                ErrorCode::NoSuchUser,
                format!("Nobody called {to} is online. /who lists who is."),
            );
        };
        self.post(Audience::Private(name.clone()), text);
        if let Some(away) = self.shared.irc.users.away(&name) {
            self.reply(&ServerLine::Info {
                text: format!("{name} is away ({away}), and will read your message later."),
            });
        }
    }
}
