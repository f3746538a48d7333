//! A lossy relay between UDP clients and the server, inside the test.
//!
//! Clients send to [`LossyRelay::addr`]; the relay forwards each client's
//! datagrams to the server from a socket of its own for that client (so the
//! server sees one address per client) and the server's answers back. Each
//! datagram, either way, is dropped with one chance in five, duplicated with
//! one in twenty, and held back a random 0 to 30 ms, so later datagrams often
//! overtake earlier ones. A seeded generator makes every run different in
//! detail but the same in measure; the counts show the relay really did its
//! damage.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

const FRONT: Token = Token(0);
const LOSS_PERCENT: u64 = 20;
const DUPLICATE_PERCENT: u64 = 5;
const MAX_DELAY_MS: u64 = 30;

/// What the relay did to the traffic.
#[derive(Default)]
pub struct Damage {
    pub forwarded: AtomicU64,
    pub dropped: AtomicU64,
    pub duplicated: AtomicU64,
    /// Datagrams sent after one that arrived later than they did.
    pub reordered: AtomicU64,
}

pub struct LossyRelay {
    pub addr: SocketAddr,
    pub damage: Arc<Damage>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LossyRelay {
    pub fn start(server: SocketAddr, seed: u64) -> LossyRelay {
        let front = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).expect("bind relay");
        let addr = front.local_addr().unwrap();
        let damage = Arc::new(Damage::default());
        let stop = Arc::new(AtomicBool::new(false));
        let relay = Relay {
            server,
            front,
            clients: HashMap::new(),
            by_token: HashMap::new(),
            held: Vec::new(),
            rng: seed | 1,
            damage: damage.clone(),
            sent_order: 0,
        };
        let flag = stop.clone();
        let thread = thread::Builder::new()
            .name("lossy-relay".into())
            .spawn(move || relay.run(&flag))
            .unwrap();
        LossyRelay {
            addr,
            damage,
            stop,
            thread: Some(thread),
        }
    }

    /// "forwarded N, dropped N, duplicated N, reordered N".
    pub fn report(&self) -> String {
        let d = &self.damage;
        format!(
            "forwarded {}, dropped {}, duplicated {}, reordered {}",
            d.forwarded.load(Ordering::Relaxed),
            d.dropped.load(Ordering::Relaxed),
            d.duplicated.load(Ordering::Relaxed),
            d.reordered.load(Ordering::Relaxed)
        )
    }
}

impl Drop for LossyRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Where a held datagram goes.
#[derive(Clone, Copy)]
enum Route {
    /// To the server, from this client's upstream socket.
    Up(Token),
    /// To this client, from the front socket.
    Down(SocketAddr),
}

struct Held {
    at: Instant,
    route: Route,
    bytes: Vec<u8>,
    /// The order it arrived in, to count overtaking.
    order: u64,
}

struct Relay {
    server: SocketAddr,
    front: UdpSocket,
    /// Each client's address and its upstream socket.
    clients: HashMap<SocketAddr, Token>,
    by_token: HashMap<Token, (SocketAddr, UdpSocket)>,
    held: Vec<Held>,
    rng: u64,
    damage: Arc<Damage>,
    /// The arrival order of the last datagram sent on.
    sent_order: u64,
}

impl Relay {
    fn run(mut self, stop: &AtomicBool) {
        let mut poll = Poll::new().unwrap();
        poll.registry()
            .register(&mut self.front, FRONT, Interest::READABLE)
            .unwrap();
        let mut events = Events::with_capacity(64);
        let mut buf = vec![0u8; 65_536];
        let mut arrivals = 0u64;
        while !stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            let next = self.held.iter().map(|h| h.at).min();
            let timeout = next
                .map_or(Duration::from_millis(50), |at| {
                    at.saturating_duration_since(now)
                })
                .min(Duration::from_millis(50));
            poll.poll(&mut events, Some(timeout)).unwrap();
            for event in &events {
                loop {
                    let received = if event.token() == FRONT {
                        self.front.recv_from(&mut buf)
                    } else {
                        let (_, socket) = &self.by_token[&event.token()];
                        socket.recv_from(&mut buf)
                    };
                    let Ok((len, from)) = received else { break };
                    arrivals += 1;
                    let route = if event.token() == FRONT {
                        Route::Up(self.upstream_for(from, &poll))
                    } else {
                        Route::Down(self.by_token[&event.token()].0)
                    };
                    self.damage(route, &buf[..len], arrivals);
                }
            }
            self.release(Instant::now());
        }
    }

    fn upstream_for(&mut self, client: SocketAddr, poll: &Poll) -> Token {
        if let Some(token) = self.clients.get(&client) {
            return *token;
        }
        let token = Token(self.clients.len() + 1);
        let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        socket.connect(self.server).unwrap();
        poll.registry()
            .register(&mut socket, token, Interest::READABLE)
            .unwrap();
        self.clients.insert(client, token);
        self.by_token.insert(token, (client, socket));
        token
    }

    /// xorshift64: small, seeded, good enough to decide a datagram's fate.
    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn delay(&mut self) -> Duration {
        Duration::from_millis(self.next() % (MAX_DELAY_MS + 1))
    }

    fn damage(&mut self, route: Route, bytes: &[u8], order: u64) {
        if self.chance(LOSS_PERCENT) {
            self.damage.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let copies = if self.chance(DUPLICATE_PERCENT) {
            self.damage.duplicated.fetch_add(1, Ordering::Relaxed);
            2
        } else {
            1
        };
        for _ in 0..copies {
            let at = Instant::now() + self.delay();
            self.held.push(Held {
                at,
                route,
                bytes: bytes.to_vec(),
                order,
            });
        }
    }

    fn release(&mut self, now: Instant) {
        let (mut due, later): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.at <= now);
        self.held = later;
        due.sort_by_key(|h| h.at);
        for held in due {
            if held.order < self.sent_order {
                self.damage.reordered.fetch_add(1, Ordering::Relaxed);
            }
            self.sent_order = self.sent_order.max(held.order);
            self.damage.forwarded.fetch_add(1, Ordering::Relaxed);
            let _ = match held.route {
                Route::Up(token) => self.by_token[&token].1.send(&held.bytes),
                Route::Down(client) => self.front.send_to(&held.bytes, client),
            };
        }
    }
}
