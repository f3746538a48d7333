//! The datagrams of the UDP transport: parsing and encoding, nothing else.
//!
//! A datagram is ASCII words separated by single spaces; a `DATA` datagram
//! ends with one protocol line (the rest of the datagram, without LF):
//!
//! ```text
//! OPEN <nonce>                 client: open a session
//! TOKEN <nonce> <token>        server: the session's token, answering OPEN
//! DATA <token> <seq> <line>    either way: one line, numbered from 1
//! ACK <token> <cum> [<seq>]    either way: every DATA up to cum arrived, and seq
//! KEEP <token>                 client: still here (the server answers ACK)
//! CLOSE <token>                either way: the session is over
//! ```
//!
//! Parsing never allocates and refuses anything else with a
//! [`DatagramError`]; receivers ignore such datagrams.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use rustls::crypto::SecureRandom;

/// A session's token: 128 random bits, written as 32 lower-case hex digits.
/// Every datagram of a session after `OPEN` carries it, so a datagram with a
/// forged source address cannot speak for a client without knowing it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token([u8; 16]);

impl Token {
    /// A fresh token from the system's secure random source.
    pub fn random() -> Token {
        Token(random_bytes())
    }

    /// The token with these bytes (for tests).
    pub fn from_bytes(bytes: [u8; 16]) -> Token {
        Token(bytes)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// Only a prefix, so a token never ends up whole in a log.
impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({:02x}{:02x}..)", self.0[0], self.0[1])
    }
}

impl FromStr for Token {
    type Err = DatagramError;

    fn from_str(text: &str) -> Result<Token, DatagramError> {
        let bytes = text.as_bytes();
        if bytes.len() != 32 {
            return Err(DatagramError::BadToken);
        }
        let mut token = [0u8; 16];
        for (out, pair) in token.iter_mut().zip(bytes.chunks_exact(2)) {
            *out = hex(pair[0])? << 4 | hex(pair[1])?;
        }
        Ok(Token(token))
    }
}

fn hex(digit: u8) -> Result<u8, DatagramError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        _ => Err(DatagramError::BadToken),
    }
}

/// A fresh `OPEN` nonce: 32 hex digits from the secure random source.
pub fn random_nonce() -> String {
    Token::random().to_string()
}

/// Random bytes from rustls's provider (ring), which the crate already uses
/// for TLS: no second source of randomness to trust.
fn random_bytes() -> [u8; 16] {
    static SOURCE: OnceLock<&'static dyn SecureRandom> = OnceLock::new();
    let source = SOURCE.get_or_init(|| rustls::crypto::ring::default_provider().secure_random);
    let mut bytes = [0u8; 16];
    source
        .fill(&mut bytes)
        .expect("the system's random source failed");
    bytes
}

/// The longest `OPEN` nonce.
pub const MAX_NONCE: usize = 32;

/// One datagram. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datagram<'a> {
    /// Client: open a session. The nonce (1 to 32 ASCII letters and digits)
    /// matches the answer to the request and makes a repeated `OPEN` harmless.
    Open { nonce: &'a str },
    /// Server: the token of the session opened by the `OPEN` with `nonce`.
    Token { nonce: &'a str, token: Token },
    /// One protocol line, `seq` counting from 1 in each direction.
    Data {
        token: Token,
        seq: u64,
        line: &'a [u8],
    },
    /// Every `DATA` numbered up to `cum` arrived, and so did `seq` if given.
    Ack {
        token: Token,
        cum: u64,
        seq: Option<u64>,
    },
    /// Client: still here. The server answers with an `ACK`.
    Keep { token: Token },
    /// The session is over.
    Close { token: Token },
}

/// Why a datagram was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DatagramError {
    #[error("unknown datagram kind")]
    UnknownKind,
    #[error("missing or extra fields")]
    Fields,
    #[error("the token is not 32 lower-case hex digits")]
    BadToken,
    #[error("the nonce is not 1 to 32 letters and digits")]
    BadNonce,
    #[error("a sequence number is not a decimal number")]
    BadNumber,
}

impl<'a> Datagram<'a> {
    /// Parses one datagram's bytes.
    pub fn parse(bytes: &'a [u8]) -> Result<Datagram<'a>, DatagramError> {
        let (kind, rest) = split_word(bytes);
        match kind {
            b"DATA" => {
                let (token, rest) = split_word(rest.ok_or(DatagramError::Fields)?);
                let (seq, line) = split_word(rest.ok_or(DatagramError::Fields)?);
                // The space before the line is required, even before an
                // empty one: one spelling per datagram.
                let line = line.ok_or(DatagramError::Fields)?;
                let seq = number(seq)?;
                if seq == 0 {
                    return Err(DatagramError::BadNumber);
                }
                Ok(Datagram::Data {
                    token: token_of(token)?,
                    seq,
                    line,
                })
            }
            b"ACK" => match words::<4>(rest)? {
                [token, cum, seq, None] => Ok(Datagram::Ack {
                    token: token_of(token.ok_or(DatagramError::Fields)?)?,
                    cum: number(cum.ok_or(DatagramError::Fields)?)?,
                    seq: seq.map(number).transpose()?,
                }),
                _ => Err(DatagramError::Fields),
            },
            b"OPEN" => match words::<2>(rest)? {
                [Some(nonce), None] => Ok(Datagram::Open {
                    nonce: nonce_of(nonce)?,
                }),
                _ => Err(DatagramError::Fields),
            },
            b"TOKEN" => match words::<3>(rest)? {
                [Some(nonce), Some(token), None] => Ok(Datagram::Token {
                    nonce: nonce_of(nonce)?,
                    token: token_of(token)?,
                }),
                _ => Err(DatagramError::Fields),
            },
            b"KEEP" | b"CLOSE" => match words::<2>(rest)? {
                [Some(token), None] => {
                    let token = token_of(token)?;
                    Ok(if kind == b"KEEP" {
                        Datagram::Keep { token }
                    } else {
                        Datagram::Close { token }
                    })
                }
                _ => Err(DatagramError::Fields),
            },
            _ => Err(DatagramError::UnknownKind),
        }
    }

    /// The datagram's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48);
        match self {
            Datagram::Open { nonce } => out.extend_from_slice(format!("OPEN {nonce}").as_bytes()),
            Datagram::Token { nonce, token } => {
                out.extend_from_slice(format!("TOKEN {nonce} {token}").as_bytes())
            }
            Datagram::Data { token, seq, line } => {
                out.reserve(line.len());
                out.extend_from_slice(format!("DATA {token} {seq} ").as_bytes());
                out.extend_from_slice(line);
            }
            Datagram::Ack {
                token,
                cum,
                seq: Some(seq),
            } => out.extend_from_slice(format!("ACK {token} {cum} {seq}").as_bytes()),
            Datagram::Ack {
                token,
                cum,
                seq: None,
            } => out.extend_from_slice(format!("ACK {token} {cum}").as_bytes()),
            Datagram::Keep { token } => out.extend_from_slice(format!("KEEP {token}").as_bytes()),
            Datagram::Close { token } => out.extend_from_slice(format!("CLOSE {token}").as_bytes()),
        }
        out
    }

    /// The session token the datagram carries (all but `OPEN`).
    pub fn token(&self) -> Option<Token> {
        match self {
            Datagram::Open { .. } => None,
            Datagram::Token { token, .. }
            | Datagram::Data { token, .. }
            | Datagram::Ack { token, .. }
            | Datagram::Keep { token }
            | Datagram::Close { token } => Some(*token),
        }
    }
}

/// The first word and, if a space followed it, the rest after that space.
fn split_word(bytes: &[u8]) -> (&[u8], Option<&[u8]>) {
    match bytes.iter().position(|&b| b == b' ') {
        Some(space) => (&bytes[..space], Some(&bytes[space + 1..])),
        None => (bytes, None),
    }
}

/// Up to `N - 1` words of `rest`; the last slot is `Some` when more followed.
fn words<const N: usize>(rest: Option<&[u8]>) -> Result<[Option<&[u8]>; N], DatagramError> {
    let mut out = [None; N];
    let mut rest = rest;
    for slot in &mut out {
        let Some(bytes) = rest else { break };
        let (word, next) = split_word(bytes);
        if word.is_empty() {
            return Err(DatagramError::Fields);
        }
        *slot = Some(word);
        rest = next;
    }
    if rest.is_some() {
        return Err(DatagramError::Fields);
    }
    Ok(out)
}

fn token_of(word: &[u8]) -> Result<Token, DatagramError> {
    std::str::from_utf8(word)
        .map_err(|_| DatagramError::BadToken)?
        .parse()
}

fn nonce_of(word: &[u8]) -> Result<&str, DatagramError> {
    let valid = (1..=MAX_NONCE).contains(&word.len()) && word.iter().all(u8::is_ascii_alphanumeric);
    if !valid {
        return Err(DatagramError::BadNonce);
    }
    Ok(std::str::from_utf8(word).expect("ASCII"))
}

/// A decimal number in its one spelling: no sign, no leading zero.
fn number(word: &[u8]) -> Result<u64, DatagramError> {
    let canonical = word == b"0" || word.first().is_some_and(|&d| d != b'0');
    if !canonical || word.len() > 20 || !word.iter().all(u8::is_ascii_digit) {
        return Err(DatagramError::BadNumber);
    }
    std::str::from_utf8(word)
        .expect("digits")
        .parse()
        .map_err(|_| DatagramError::BadNumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "00112233445566778899aabbccddeeff";

    fn token() -> Token {
        TOKEN.parse().unwrap()
    }

    #[test]
    fn every_kind_round_trips() {
        let all = [
            Datagram::Open { nonce: "n0nce" },
            Datagram::Token {
                nonce: "n0nce",
                token: token(),
            },
            Datagram::Data {
                token: token(),
                seq: 7,
                line: b"hello world: /x",
            },
            Datagram::Data {
                token: token(),
                seq: 1,
                line: b"",
            },
            Datagram::Ack {
                token: token(),
                cum: 0,
                seq: Some(3),
            },
            Datagram::Ack {
                token: token(),
                cum: u64::MAX,
                seq: None,
            },
            Datagram::Keep { token: token() },
            Datagram::Close { token: token() },
        ];
        for datagram in all {
            let bytes = datagram.encode();
            assert_eq!(Datagram::parse(&bytes), Ok(datagram.clone()), "{bytes:?}");
        }
    }

    #[test]
    fn the_wire_form_is_readable() {
        let data = Datagram::Data {
            token: token(),
            seq: 12,
            line: b"hi there",
        };
        assert_eq!(
            data.encode(),
            format!("DATA {TOKEN} 12 hi there").as_bytes()
        );
        assert_eq!(token().to_string(), TOKEN);
        assert_eq!(format!("{:?}", token()), "Token(0011..)");
    }

    #[test]
    fn refuses_what_is_not_a_datagram() {
        let bad: &[(&[u8], DatagramError)] = &[
            (b"", DatagramError::UnknownKind),
            (b"data x 1 hi", DatagramError::UnknownKind),
            (b"OPEN", DatagramError::Fields),
            (b"OPEN a b", DatagramError::Fields),
            (b"OPEN a-b", DatagramError::BadNonce),
            (
                b"OPEN 012345678901234567890123456789012",
                DatagramError::BadNonce,
            ),
            (
                b"KEEP 00112233445566778899AABBCCDDEEFF",
                DatagramError::BadToken,
            ),
            (b"KEEP 0011", DatagramError::BadToken),
            (b"DATA", DatagramError::Fields),
            (
                b"DATA 00112233445566778899aabbccddeeff",
                DatagramError::Fields,
            ),
            (
                b"DATA 00112233445566778899aabbccddeeff 0 hi",
                DatagramError::BadNumber,
            ),
            (
                b"DATA 00112233445566778899aabbccddeeff +1 hi",
                DatagramError::BadNumber,
            ),
            (
                b"DATA 00112233445566778899aabbccddeeff 99999999999999999999 x",
                DatagramError::BadNumber,
            ),
            (
                b"DATA 00112233445566778899aabbccddeeff 07 x",
                DatagramError::BadNumber,
            ),
            (
                b"ACK 00112233445566778899aabbccddeeff",
                DatagramError::Fields,
            ),
            (
                b"ACK 00112233445566778899aabbccddeeff 1 2 3",
                DatagramError::Fields,
            ),
            (
                b"ACK 00112233445566778899aabbccddeeff  1",
                DatagramError::Fields,
            ),
            (
                b"CLOSE 00112233445566778899aabbccddeeff ",
                DatagramError::Fields,
            ),
        ];
        for (bytes, error) in bad {
            assert_eq!(
                Datagram::parse(bytes),
                Err(*error),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    /// Found by the `udp_datagram` fuzz target: `DATA <token> <seq>` without
    /// the space parsed as an empty line, which encodes with the space.
    #[test]
    fn fuzz_regression_data_without_the_space_before_its_line() {
        let bare = format!("DATA {TOKEN} 550");
        assert_eq!(Datagram::parse(bare.as_bytes()), Err(DatagramError::Fields));
        let empty = format!("DATA {TOKEN} 550 ");
        let parsed = Datagram::parse(empty.as_bytes()).unwrap();
        assert_eq!(parsed.encode(), empty.as_bytes());
    }

    #[test]
    fn a_data_line_is_the_rest_verbatim() {
        let bytes = format!("DATA {TOKEN} 3  two  spaces \r\n");
        let Ok(Datagram::Data { line, .. }) = Datagram::parse(bytes.as_bytes()) else {
            panic!("not data");
        };
        assert_eq!(line, b" two  spaces \r\n");
    }

    #[test]
    fn random_tokens_differ() {
        assert_ne!(Token::random(), Token::random());
        assert_eq!(random_nonce().len(), 32);
    }
}
