//! Shared setup: a world with one owner account and its bucket, started on loopback.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use s3_harness::{Simulator, World};

pub const OWNER: &str = "111122223333";
pub const OWNER_ROOT: &str = "root-111122223333";
pub const BUCKET: &str = "sim-bucket";
pub const REGION: &str = "eu-west-1";

pub async fn sim() -> Simulator {
    let mut world = World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("fresh world");
    Simulator::start(world).await.expect("bind 127.0.0.1:0")
}

pub fn owner(sim: &Simulator) -> Client {
    sim.client_in(s3_harness::Who::Identity(OWNER_ROOT), REGION)
        .expect("the owner's root identity exists")
}

pub async fn put(c: &Client, key: &str, body: &[u8]) {
    c.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

pub async fn get(c: &Client, key: &str) -> Vec<u8> {
    c.get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"))
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

/// The S3 error code of a failed SDK call.
pub fn code<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("<no service error: {err:?}>"))
}

/// The HTTP status of a failed SDK call.
pub fn status<E>(err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> u16 {
    err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)
}
