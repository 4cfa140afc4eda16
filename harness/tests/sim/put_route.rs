//! Plain PutObject requests are answered ahead of s3s by the simulator's own route.
//! Every answer must be the one s3s's operation gives: the same worlds (one forked
//! from the other), the same signed uploads, one simulator with the route and one
//! without; same status, the same headers in the same order (but for the date and
//! request ids), the same body (errors but for request ids), the same request-log
//! record, and the same stored object (bytes, ETag, content headers, metadata,
//! checksum). Uploads carry content types, right and wrong Content-MD5s and CRC32
//! checksums, metadata (plain, encoded, empty), headers the route leaves to s3s,
//! streamed payloads, other signers and other regions
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>).

use base64::Engine as _;
use futures::TryStreamExt as _;
use md5::Digest as _;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use s3_harness::sim::store::checksum::{Algorithm, digest, encode};
use s3_harness::sim::world::{Identity, IdentityKind};
use s3_harness::{Simulator, World};
use s3_policy::iam::Caller;
use sha2::Digest as _;

use crate::header_sigv4::{Case, Tamper, encode_path, signed};
use crate::support::{BUCKET, OWNER, REGION, last_record, same_answer, send_raw_parts, start_with};

const ROOT_KEY: &str = "AKIAROOT111122223333";
const ROOT_SECRET: &str = "root-secret-111122223333";
const WRITER_KEY: &str = "AKIAWRITER0000000001";
const WRITER_SECRET: &str = "writer-secret";

/// A user who may write only keys starting with `a`.
const WRITER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject",
 "Resource":"arn:aws:s3:::sim-bucket/a*"}]}"#;

fn world() -> World {
    let mut world = World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("fresh world");
    let caller = Caller::from_arn("arn:aws:iam::111122223333:user/writer", "writer").expect("an ARN");
    world
        .add_identity(
            Identity::new("writer", IdentityKind::Declared, caller, WRITER_KEY, WRITER_SECRET)
                .with_policy(Some(WRITER_POLICY.to_owned())),
        )
        .expect("a new identity");
    world
}

#[derive(Debug, Clone)]
struct Put {
    key: String,
    body: Vec<u8>,
    streamed: bool,
    content_type: Option<&'static str>,
    /// 0: none, 1: right, 2: wrong.
    md5: u8,
    /// 0: none, 1: right, 2: wrong, 3: right with its algorithm named.
    crc32: u8,
    meta: Option<&'static str>,
    extra: Option<(&'static str, &'static str)>,
    query: &'static str,
    writer: bool,
    region: &'static str,
    tamper: Tamper,
}

fn put_strategy() -> impl Strategy<Value = Put> {
    (
        (
            proptest::string::string_regex("[ab/ é+~]{1,5}").expect("regex"),
            proptest::collection::vec(any::<u8>(), 0..64),
            prop_oneof![6 => Just(false), 1 => Just(true)],
            proptest::option::of(proptest::sample::select(&["text/csv", "application/octet-stream"][..])),
            prop_oneof![4 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
            prop_oneof![3 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8), 2 => Just(3u8)],
        ),
        (
            proptest::option::of(proptest::sample::select(&["plain note", "=?UTF-8?B?Y2Fmw6k=?="][..])),
            prop_oneof![
                6 => Just(None),
                1 => Just(Some(("x-amz-acl", "private"))),
                1 => Just(Some(("x-amz-storage-class", "STANDARD"))),
                1 => Just(Some(("cache-control", "no-cache"))),
            ],
            proptest::sample::select(&["", "", "", "?x-id=PutObject", "?acl"][..]),
            prop_oneof![4 => Just(false), 1 => Just(true)],
            prop_oneof![9 => Just(REGION), 1 => Just("us-west-2")],
            prop_oneof![9 => Just(Tamper::Nothing), 1 => Just(Tamper::Signature)],
        ),
    )
        .prop_map(
            |((key, body, streamed, content_type, md5, crc32), (meta, extra, query, writer, region, tamper))| Put {
                key,
                body,
                streamed,
                content_type,
                md5,
                crc32,
                meta,
                extra,
                query,
                writer,
                region,
                tamper,
            },
        )
}

fn case(p: &Put) -> Case {
    let mut headers = Vec::new();
    if let Some(t) = p.content_type {
        headers.push(("content-type".to_owned(), t.to_owned()));
    }
    let b64 = &base64::engine::general_purpose::STANDARD;
    match p.md5 {
        1 => headers.push(("content-md5".to_owned(), b64.encode(md5::Md5::digest(&p.body)))),
        2 => headers.push(("content-md5".to_owned(), b64.encode(md5::Md5::digest(b"other")))),
        _ => {}
    }
    let crc = |bytes: &[u8]| encode(digest(Algorithm::Crc32, bytes).as_ref());
    match p.crc32 {
        1 => headers.push(("x-amz-checksum-crc32".to_owned(), crc(&p.body))),
        2 => headers.push(("x-amz-checksum-crc32".to_owned(), crc(b"other"))),
        3 => {
            headers.push(("x-amz-checksum-crc32".to_owned(), crc(&p.body)));
            headers.push(("x-amz-sdk-checksum-algorithm".to_owned(), "CRC32".to_owned()));
        }
        _ => {}
    }
    if let Some(m) = p.meta {
        headers.push(("x-amz-meta-note".to_owned(), m.to_owned()));
    }
    if let Some((k, v)) = p.extra {
        headers.push((k.to_owned(), v.to_owned()));
    }
    let (access_key, secret) = if p.writer {
        (WRITER_KEY, WRITER_SECRET)
    } else {
        (ROOT_KEY, ROOT_SECRET)
    };
    let payload = if p.streamed {
        "UNSIGNED-PAYLOAD".to_owned()
    } else {
        hex::encode(sha2::Sha256::digest(&p.body))
    };
    Case {
        method: "PUT",
        target: format!("/{BUCKET}/{}{}", encode_path(&p.key, true), p.query),
        headers,
        payload,
        body: p.body.clone(),
        access_key: access_key.to_owned(),
        secret: secret.to_owned(),
        region: p.region.to_owned(),
        skew: 0,
        tamper: p.tamper,
    }
}

/// What the store holds under `key`, as far as it does not depend on the time.
async fn stored(sim: &Simulator, key: &str) -> Option<(String, u64, String, Vec<u8>)> {
    let o = sim.world().store.get(BUCKET, key).ok()?;
    let bytes: Vec<bytes::Bytes> = o
        .body
        .stream_range(o.size, 0, o.size)
        .await
        .expect("a stored body streams")
        .try_collect()
        .await
        .expect("a stored body reads");
    let detail = format!("{:?} {:?}", o.headers(), o.checksum().map(|c| c.value()));
    Some((o.etag.to_string(), o.size, detail, bytes.concat()))
}

#[test]
fn the_put_route_answers_as_s3s_does() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    let (stores, refusals) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    runner
        .run(&proptest::collection::vec(put_strategy(), 1..6), |puts| {
            let w = world();
            let (fast, slow) = rt.block_on(async {
                (
                    start_with(w.fork(), |o| o.direct_put = true).await,
                    start_with(w, |o| o.direct_put = false).await,
                )
            });
            for p in &puts {
                let c = case(p);
                let (a, b) = rt.block_on(async {
                    let a = send_raw_parts(signed(&fast, &c)).await;
                    let b = send_raw_parts(signed(&slow, &c)).await;
                    (a, b)
                });
                let stored_ok = same_answer(&a, &b, &c)?;
                prop_assert_eq!(last_record(&fast), last_record(&slow), "record of {:?}", c);
                let (sa, sb) = rt.block_on(async { (stored(&fast, &p.key).await, stored(&slow, &p.key).await) });
                prop_assert_eq!(sa, sb, "stored object of {:?}", c);
                if stored_ok {
                    stores.set(stores.get() + 1);
                } else {
                    refusals.set(refusals.get() + 1);
                }
            }
            rt.block_on(async {
                fast.shutdown().await;
                slow.shutdown().await;
            });
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let (stores, refusals) = (stores.get(), refusals.get());
    assert!(stores > 0 && refusals > 0, "stores {stores}, refusals {refusals}");
}
