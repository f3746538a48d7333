//! `/msg <name> <text>`: a private message, and what the sender is told
//! when it cannot be read at once: nobody by that name is online on any
//! node (`ERROR no-such-user`), its node is not answering (`ERROR
//! not-stored`, `server/across_nodes.rs`), or its IRC user is away (an
//! `INFO` line with the away message, as an IRC sender gets `301`; the
//! message is delivered all the same).

use super::ClientSession;
use crate::hub::message::Audience;
use crate::protocol::{ErrorCode, ServerLine};
use crate::server::across_nodes::{self, Recipient};

impl ClientSession {
    pub(super) fn private(&self, to: &str, text: &str) {
        let name = match across_nodes::find_recipient(&self.shared, to) {
            Recipient::Online(name) => name,
            Recipient::Nowhere => {
                return self.error(
                    ErrorCode::NoSuchUser,
                    format!("Nobody called {to} is online. /who lists who is."),
                );
            }
            Recipient::Unknown(why) => {
                return self.error(ErrorCode::Other("not-stored".into()), why);
            }
        };
        self.post(Audience::Private(name.clone()), text);
        if let Some(away) = self.shared.irc.users.away(&name) {
            self.reply(&ServerLine::Info {
                text: format!("{name} is away ({away}), and will read your message later."),
            });
        }
    }
}
