//! The test cluster: it starts, gives each test an empty database, and
//! leaves nothing behind.

use std::net::TcpStream;

use crate::support::{PgCluster, shared_postgres};

#[test]
fn a_cluster_serves_empty_databases_and_leaves_nothing_when_dropped() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    let url = cluster.database();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "a fresh database is empty");
    assert_ne!(cluster.database(), url, "each call a new database");
    drop(client);
    let (dir, port) = (cluster.path().to_owned(), cluster.port);
    drop(cluster);
    assert!(!dir.exists(), "{} is removed", dir.display());
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on {port} any more"
    );
}

#[test]
fn the_shared_cluster_is_started_once() {
    let Some(first) = shared_postgres() else {
        return;
    };
    let second = shared_postgres().unwrap();
    assert_eq!(first.port, second.port);
    postgres::Client::connect(&first.database(), postgres::NoTls).expect("connect");
}
