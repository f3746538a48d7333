//! The numeric replies the IRC front sends, by name.
//!
//! Names follow the modern IRC client protocol document (modern.ircdocs.horse)
//! and irctest's `numerics.py`, so a test failure and the code use the same
//! words. Each is the three-digit command of a [`super::Message`]; the first
//! parameter of a numeric is always the client's nick (`*` before it has one).
//! Only the replies issue 17 asks for are here; add others as the front needs
//! them.

// Registration
/// `001`: Registration is complete: `<nick> :Welcome ...`.
pub const RPL_WELCOME: &str = "001";
/// `002`: The server's name and version.
pub const RPL_YOURHOST: &str = "002";
/// `003`: When the server was started.
pub const RPL_CREATED: &str = "003";
/// `004`: Server name, version, user modes, channel modes.
pub const RPL_MYINFO: &str = "004";
/// `005`: What the server supports (`TOKEN[=value] ... :are supported by this server`).
pub const RPL_ISUPPORT: &str = "005";

// Modes and users
/// `221`: The client's own user modes.
pub const RPL_UMODEIS: &str = "221";
/// `251`: `LUSERS`: users and servers on the network.
pub const RPL_LUSERCLIENT: &str = "251";
/// `252`: `LUSERS`: operators online.
pub const RPL_LUSEROP: &str = "252";
/// `253`: `LUSERS`: connections not yet registered.
pub const RPL_LUSERUNKNOWN: &str = "253";
/// `254`: `LUSERS`: channels formed.
pub const RPL_LUSERCHANNELS: &str = "254";
/// `255`: `LUSERS`: clients and servers on this server.
pub const RPL_LUSERME: &str = "255";
/// `265`: `LUSERS`: current and most local users.
pub const RPL_LOCALUSERS: &str = "265";
/// `266`: `LUSERS`: current and most global users.
pub const RPL_GLOBALUSERS: &str = "266";

/// `302`: `USERHOST`: `nick=+user@host` for each user asked about.
pub const RPL_USERHOST: &str = "302";

// Away
/// `303`: `ISON`: which of the nicks asked about are online.
pub const RPL_ISON: &str = "303";
/// `351`: `VERSION`: the server's version and name.
pub const RPL_VERSION: &str = "351";
/// `371`: One line of `INFO`.
pub const RPL_INFO: &str = "371";
/// `374`: The end of `INFO`.
pub const RPL_ENDOFINFO: &str = "374";
/// `391`: `TIME`: the server's time.
pub const RPL_TIME: &str = "391";
/// `301`: The target of a message or `WHOIS` is away, with its message.
pub const RPL_AWAY: &str = "301";
/// `305`: `AWAY` with no message: no longer away.
pub const RPL_UNAWAY: &str = "305";
/// `306`: `AWAY` with a message: now away.
pub const RPL_NOWAWAY: &str = "306";

// WHOIS and WHO
/// `311`: `WHOIS`: nick, user, host and real name.
pub const RPL_WHOISUSER: &str = "311";
/// `312`: `WHOIS`: the server the user is on.
pub const RPL_WHOISSERVER: &str = "312";
/// `313`: `WHOIS`: the user is an operator.
pub const RPL_WHOISOPERATOR: &str = "313";
/// `314`: `WHOWAS`: a past user's nick, user, host and real name.
pub const RPL_WHOWASUSER: &str = "314";
/// `315`: The end of a `WHO` reply.
pub const RPL_ENDOFWHO: &str = "315";
/// `316`: Reserved by RFC 1459 and never sent by modern servers; named so the range is whole.
pub const RPL_WHOISCHANOP: &str = "316";
/// `317`: `WHOIS`: seconds idle and sign-on time.
pub const RPL_WHOISIDLE: &str = "317";
/// `318`: The end of a `WHOIS` reply.
pub const RPL_ENDOFWHOIS: &str = "318";
/// `319`: `WHOIS`: the channels the user is in.
pub const RPL_WHOISCHANNELS: &str = "319";
/// `352`: `WHO`: one user.
pub const RPL_WHOREPLY: &str = "352";

// LIST, modes, topics, names
/// `321`: The start of a `LIST` reply.
pub const RPL_LISTSTART: &str = "321";
/// `322`: `LIST`: one channel, its visible member count and topic.
pub const RPL_LIST: &str = "322";
/// `323`: The end of a `LIST` reply.
pub const RPL_LISTEND: &str = "323";
/// `324`: A channel's modes (`MODE #channel`).
pub const RPL_CHANNELMODEIS: &str = "324";
/// `329`: When a channel was created, sent after 324.
pub const RPL_CREATIONTIME: &str = "329";
/// `331`: The channel has no topic.
pub const RPL_NOTOPIC: &str = "331";
/// `332`: The channel's topic.
pub const RPL_TOPIC: &str = "332";
/// `333`: Who set the topic, and when.
pub const RPL_TOPICWHOTIME: &str = "333";
/// `353`: `NAMES`: some of a channel's members.
pub const RPL_NAMREPLY: &str = "353";
/// `366`: The end of a `NAMES` reply.
pub const RPL_ENDOFNAMES: &str = "366";
/// `367`: One entry of a channel's ban list.
pub const RPL_BANLIST: &str = "367";
/// `368`: The end of a channel's ban list (`MODE #channel b`).
pub const RPL_ENDOFBANLIST: &str = "368";

// MOTD
/// `372`: One line of the message of the day.
pub const RPL_MOTD: &str = "372";
/// `375`: The start of the message of the day.
pub const RPL_MOTDSTART: &str = "375";
/// `376`: The end of the message of the day.
pub const RPL_ENDOFMOTD: &str = "376";

// Errors
/// `401`: No such nick (or channel) as the target.
pub const ERR_NOSUCHNICK: &str = "401";
/// `403`: No such channel, or not a valid channel name.
pub const ERR_NOSUCHCHANNEL: &str = "403";
/// `404`: The message cannot be sent to the channel.
pub const ERR_CANNOTSENDTOCHAN: &str = "404";
/// `405`: Joining would exceed the client's channel limit.
pub const ERR_TOOMANYCHANNELS: &str = "405";
/// `407`: More targets in one line than `TARGMAX` allows; nothing was sent.
pub const ERR_TOOMANYTARGETS: &str = "407";
/// `409`: `PING` or `PONG` without its parameter.
pub const ERR_NOORIGIN: &str = "409";
/// `410`: A `CAP` subcommand the server does not know.
pub const ERR_INVALIDCAPCMD: &str = "410";
/// `411`: A message command without a target.
pub const ERR_NORECIPIENT: &str = "411";
/// `412`: A message command without text.
pub const ERR_NOTEXTTOSEND: &str = "412";
/// `417`: The line was too long (IRCv3: over 4094 bytes of client tags, or over 512 without them).
pub const ERR_INPUTTOOLONG: &str = "417";
/// `421`: The command is not known.
pub const ERR_UNKNOWNCOMMAND: &str = "421";
/// `422`: There is no message of the day.
pub const ERR_NOMOTD: &str = "422";
/// `431`: `NICK` without a nick.
pub const ERR_NONICKNAMEGIVEN: &str = "431";
/// `432`: The nick is not a valid one.
pub const ERR_ERRONEUSNICKNAME: &str = "432";
/// `433`: The nick is taken (IRC and native names share one namespace).
pub const ERR_NICKNAMEINUSE: &str = "433";
/// `437`: A resource is unavailable right now and the client may try again:
/// a nick that cannot be checked (nodes sharing a database that is away), or
/// a channel whose history could not be read.
pub const ERR_UNAVAILRESOURCE: &str = "437";
/// `441`: The user named is not in that channel.
pub const ERR_USERNOTINCHANNEL: &str = "441";
/// `442`: The client is not in that channel.
pub const ERR_NOTONCHANNEL: &str = "442";
/// `447`: The nick cannot be changed.
pub const ERR_NONICKCHANGE: &str = "447";
/// `451`: The command needs registration first.
pub const ERR_NOTREGISTERED: &str = "451";
/// `461`: The command has too few parameters.
pub const ERR_NEEDMOREPARAMS: &str = "461";
/// `462`: `USER` or `PASS` after registration.
pub const ERR_ALREADYREGISTERED: &str = "462";
/// `464`: The `PASS` password is wrong.
pub const ERR_PASSWDMISMATCH: &str = "464";
/// `471`: The channel is full (`+l`).
pub const ERR_CHANNELISFULL: &str = "471";
/// `472`: The mode character is not known.
pub const ERR_UNKNOWNMODE: &str = "472";
/// `473`: The channel is invite-only (`+i`).
pub const ERR_INVITEONLYCHAN: &str = "473";
/// `474`: The client is banned from the channel (`+b`).
pub const ERR_BANNEDFROMCHAN: &str = "474";
/// `475`: The channel key is wrong (`+k`).
pub const ERR_BADCHANNELKEY: &str = "475";
/// `476`: The channel mask is not valid.
pub const ERR_BADCHANMASK: &str = "476";
/// `477`: The channel needs a logged-in account (`ERR_NOCHANMODES` in RFC 2812).
pub const ERR_NEEDREGGEDNICK: &str = "477";
/// `482`: The command needs channel operator rights.
pub const ERR_CHANOPRIVSNEEDED: &str = "482";
/// `501`: A user mode letter the server does not know.
pub const ERR_UMODEUNKNOWNFLAG: &str = "501";
/// `502`: User modes of someone else.
pub const ERR_USERSDONTMATCH: &str = "502";

// SASL (IRCv3 sasl)
/// `900`: Now logged in as an account.
pub const RPL_LOGGEDIN: &str = "900";
/// `901`: Now logged out.
pub const RPL_LOGGEDOUT: &str = "901";
/// `902`: The account is locked or held.
pub const ERR_NICKLOCKED: &str = "902";
/// `903`: SASL authentication succeeded.
pub const RPL_SASLSUCCESS: &str = "903";
/// `904`: SASL authentication failed.
pub const ERR_SASLFAIL: &str = "904";
/// `905`: An `AUTHENTICATE` line was over 400 bytes.
pub const ERR_SASLTOOLONG: &str = "905";
/// `906`: The client aborted SASL (`AUTHENTICATE *`).
pub const ERR_SASLABORTED: &str = "906";
/// `907`: SASL after already logging in.
pub const ERR_SASLALREADY: &str = "907";
/// `908`: The SASL mechanisms the server offers.
pub const RPL_SASLMECHS: &str = "908";

/// Every numeric above, for tests that check the table.
#[cfg(test)]
pub(crate) const ALL: &[&str] = &[
    RPL_WELCOME,
    RPL_YOURHOST,
    RPL_CREATED,
    RPL_MYINFO,
    RPL_ISUPPORT,
    RPL_UMODEIS,
    RPL_LUSERCLIENT,
    RPL_LUSEROP,
    RPL_LUSERUNKNOWN,
    RPL_LUSERCHANNELS,
    RPL_LUSERME,
    RPL_LOCALUSERS,
    RPL_GLOBALUSERS,
    RPL_USERHOST,
    RPL_ISON,
    RPL_VERSION,
    RPL_INFO,
    RPL_ENDOFINFO,
    RPL_TIME,
    RPL_AWAY,
    RPL_UNAWAY,
    RPL_NOWAWAY,
    RPL_WHOISUSER,
    RPL_WHOISSERVER,
    RPL_WHOISOPERATOR,
    RPL_WHOWASUSER,
    RPL_ENDOFWHO,
    RPL_WHOISCHANOP,
    RPL_WHOISIDLE,
    RPL_ENDOFWHOIS,
    RPL_WHOISCHANNELS,
    RPL_WHOREPLY,
    RPL_LISTSTART,
    RPL_LIST,
    RPL_LISTEND,
    RPL_CHANNELMODEIS,
    RPL_CREATIONTIME,
    RPL_NOTOPIC,
    RPL_TOPIC,
    RPL_TOPICWHOTIME,
    RPL_NAMREPLY,
    RPL_ENDOFNAMES,
    RPL_BANLIST,
    RPL_ENDOFBANLIST,
    RPL_MOTD,
    RPL_MOTDSTART,
    RPL_ENDOFMOTD,
    ERR_NOSUCHNICK,
    ERR_NOSUCHCHANNEL,
    ERR_CANNOTSENDTOCHAN,
    ERR_TOOMANYCHANNELS,
    ERR_TOOMANYTARGETS,
    ERR_NOORIGIN,
    ERR_INVALIDCAPCMD,
    ERR_NORECIPIENT,
    ERR_NOTEXTTOSEND,
    ERR_INPUTTOOLONG,
    ERR_UNKNOWNCOMMAND,
    ERR_NOMOTD,
    ERR_NONICKNAMEGIVEN,
    ERR_ERRONEUSNICKNAME,
    ERR_NICKNAMEINUSE,
    ERR_UNAVAILRESOURCE,
    ERR_USERNOTINCHANNEL,
    ERR_NOTONCHANNEL,
    ERR_NONICKCHANGE,
    ERR_NOTREGISTERED,
    ERR_NEEDMOREPARAMS,
    ERR_ALREADYREGISTERED,
    ERR_PASSWDMISMATCH,
    ERR_CHANNELISFULL,
    ERR_UNKNOWNMODE,
    ERR_INVITEONLYCHAN,
    ERR_BANNEDFROMCHAN,
    ERR_BADCHANNELKEY,
    ERR_BADCHANMASK,
    ERR_NEEDREGGEDNICK,
    ERR_CHANOPRIVSNEEDED,
    ERR_UMODEUNKNOWNFLAG,
    ERR_USERSDONTMATCH,
    RPL_LOGGEDIN,
    RPL_LOGGEDOUT,
    ERR_NICKLOCKED,
    RPL_SASLSUCCESS,
    ERR_SASLFAIL,
    ERR_SASLTOOLONG,
    ERR_SASLABORTED,
    ERR_SASLALREADY,
    RPL_SASLMECHS,
];
