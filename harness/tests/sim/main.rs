//! The simulator through aws-sdk-s3 over real HTTP and HTTPS: one binary, one module per area.

mod support;

mod auth;
mod bodies;
mod buckets;
mod connections;
mod faults;
mod get_route;
mod header_sigv4;
mod integrity;
mod limits;
mod list_route;
mod listing;
mod objects;
mod policies;
mod put_route;
mod read;
mod read_parquet;
mod regions;
mod resync;
mod transport;
mod world;
