//! The simulator: a world of principals and buckets ([`world`]) in an S3-faithful
//! store ([`store`]), served over HTTP ([`server`]) with SigV4 identities and policy
//! enforcement on every request ([`auth`]), S3's operations ([`ops`]), injected
//! faults ([`faults`]) and a request log ([`request_log`]).

pub mod auth;
pub mod faults;
pub mod ops;
pub mod request_log;
pub mod server;
pub mod store;
pub mod world;
