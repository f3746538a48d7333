//! The one integration-test binary: each module tests the project from the
//! outside, against servers started in-process on 127.0.0.1:0.

mod bench_smoke;
