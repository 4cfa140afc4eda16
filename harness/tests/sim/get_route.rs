//! Plain GetObject requests are answered ahead of s3s by the simulator's own route.
//! Every answer must be the one s3s's operation gives: the same worlds (one forked
//! from the other, so times match), the same signed requests, one simulator with the
//! route and one without; same status, the same headers in the same order (but for
//! the date and request ids), the same body (errors but for request ids), the same
//! request-log record. Objects carry metadata (non-ASCII too), encodings, checksums
//! and parts; requests carry ranges, checksum mode, sub-resources, other signers and
//! other regions (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>).

use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use s3_harness::World;
use s3_harness::sim::store::checksum::{Algorithm, ObjectChecksum, digest};
use s3_harness::sim::store::{ObjKey, Object, PartLayout};
use s3_harness::sim::world::{Identity, IdentityKind};
use s3_policy::iam::Caller;

use crate::header_sigv4::{Case, Tamper, encode_path, signed};
use crate::support::{BUCKET, OWNER, REGION, last_record, same_answer, send_raw_parts, start_with};

const ROOT_KEY: &str = "AKIAROOT111122223333";
const ROOT_SECRET: &str = "root-secret-111122223333";
const READER_KEY: &str = "AKIAREADER0000000001";
const READER_SECRET: &str = "reader-secret";

/// A user who may read only keys starting with `a`.
const READER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
 "Resource":"arn:aws:s3:::sim-bucket/a*"}]}"#;

#[derive(Debug, Clone)]
struct Stored {
    key: String,
    size: usize,
    content_type: Option<&'static str>,
    encoding: Option<&'static str>,
    metadata: Vec<(&'static str, String)>,
    checksum: bool,
    parts: bool,
}

fn key_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ab/ é+~]{1,5}").expect("regex")
}

fn stored_strategy() -> impl Strategy<Value = Stored> {
    let meta_value = prop_oneof![
        Just("plain".to_owned()),
        Just("café".to_owned()),
        Just("é".repeat(30)),
        Just(String::new()),
    ];
    (
        key_text(),
        0..40usize,
        proptest::option::of(proptest::sample::select(&["text/csv", "application/x-parquet"][..])),
        proptest::option::of(Just("gzip")),
        proptest::collection::vec((proptest::sample::select(&["note", "owner-id"][..]), meta_value), 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(key, size, content_type, encoding, metadata, checksum, parts)| Stored {
                key,
                size,
                content_type,
                encoding,
                metadata,
                checksum,
                parts,
            },
        )
}

fn world(objects: &[Stored]) -> World {
    let mut world = World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("fresh world");
    let caller = Caller::from_arn("arn:aws:iam::111122223333:user/reader", "reader").expect("an ARN");
    world
        .add_identity(
            Identity::new("reader", IdentityKind::Declared, caller, READER_KEY, READER_SECRET)
                .with_policy(Some(READER_POLICY.to_owned())),
        )
        .expect("a new identity");
    for s in objects {
        let bytes: Vec<u8> = (0..s.size).map(|i| b'a' + (i % 26) as u8).collect();
        let mut o = Object::from_bytes(Bytes::from(bytes.clone()), OWNER);
        if let Some(t) = s.content_type {
            o.headers_mut().content_type = t.to_owned();
        }
        o.headers_mut().content_encoding = s.encoding.map(str::to_owned);
        for (name, value) in &s.metadata {
            o.headers_mut().metadata.insert((*name).to_owned(), value.clone());
        }
        if s.checksum {
            o.set_checksum(Some(ObjectChecksum::full(
                Algorithm::Crc32,
                digest(Algorithm::Crc32, &bytes),
            )));
        }
        if s.parts {
            o.set_parts(Some(PartLayout::Uniform { part_size: 8, count: 5 }));
        }
        world
            .store
            .put(BUCKET, ObjKey::parse(&s.key).expect("a key"), o)
            .expect("the bucket exists");
    }
    world
}

#[derive(Debug, Clone)]
struct Get {
    /// A stored key by index, or a key nothing holds.
    key: Option<prop::sample::Index>,
    range: Option<&'static str>,
    checksum_mode: Option<&'static str>,
    query: &'static str,
    reader: bool,
    region: &'static str,
    tamper: Tamper,
}

fn get_strategy() -> impl Strategy<Value = Get> {
    (
        prop_oneof![6 => any::<prop::sample::Index>().prop_map(Some), 1 => Just(None)],
        proptest::option::of(proptest::sample::select(
            &["bytes=0-4", "bytes=5-", "bytes=-3", "bytes=100-200", "bytes=3-1"][..],
        )),
        proptest::option::of(proptest::sample::select(&["ENABLED", "enabled"][..])),
        proptest::sample::select(&["", "", "", "?x-id=GetObject", "?partNumber=2", "?versionId=null"][..]),
        prop_oneof![4 => Just(false), 1 => Just(true)],
        prop_oneof![9 => Just(REGION), 1 => Just("us-west-2")],
        prop_oneof![9 => Just(Tamper::Nothing), 1 => Just(Tamper::Signature)],
    )
        .prop_map(|(key, range, checksum_mode, query, reader, region, tamper)| Get {
            key,
            range,
            checksum_mode,
            query,
            reader,
            region,
            tamper,
        })
}

fn case(objects: &[Stored], g: &Get) -> Case {
    let key = match (&g.key, objects.is_empty()) {
        (Some(i), false) => objects[i.index(objects.len())].key.clone(),
        _ => "no such key".to_owned(),
    };
    let mut headers = Vec::new();
    if let Some(r) = g.range {
        headers.push(("range".to_owned(), r.to_owned()));
    }
    if let Some(m) = g.checksum_mode {
        headers.push(("x-amz-checksum-mode".to_owned(), m.to_owned()));
    }
    let (access_key, secret) = if g.reader {
        (READER_KEY, READER_SECRET)
    } else {
        (ROOT_KEY, ROOT_SECRET)
    };
    Case {
        method: "GET",
        target: format!("/{BUCKET}/{}{}", encode_path(&key, true), g.query),
        headers,
        payload: "UNSIGNED-PAYLOAD".to_owned(),
        body: Vec::new(),
        access_key: access_key.to_owned(),
        secret: secret.to_owned(),
        region: g.region.to_owned(),
        skew: 0,
        tamper: g.tamper,
    }
}

#[test]
fn the_get_route_answers_as_s3s_does() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    let (reads, refusals) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    runner
        .run(
            &(
                proptest::collection::vec(stored_strategy(), 0..8),
                proptest::collection::vec(get_strategy(), 1..8),
            ),
            |(objects, gets)| {
                let w = world(&objects);
                let (fast, slow) = rt.block_on(async {
                    (
                        start_with(w.fork(), |o| o.direct_get = true).await,
                        start_with(w, |o| o.direct_get = false).await,
                    )
                });
                for g in &gets {
                    let c = case(&objects, g);
                    let (a, b) = rt.block_on(async {
                        let a = send_raw_parts(signed(&fast, &c)).await;
                        let b = send_raw_parts(signed(&slow, &c)).await;
                        (a, b)
                    });
                    if same_answer(&a, &b, &c)? {
                        reads.set(reads.get() + 1);
                    } else {
                        refusals.set(refusals.get() + 1);
                    }
                    prop_assert_eq!(last_record(&fast), last_record(&slow), "record of {:?}", c);
                }
                rt.block_on(async {
                    fast.shutdown().await;
                    slow.shutdown().await;
                });
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let (reads, refusals) = (reads.get(), refusals.get());
    assert!(reads > 0 && refusals > 0, "reads {reads}, refusals {refusals}");
}

/// A plain read as a client sees it through the route: the bytes, the content type,
/// metadata encoded as s3s encodes non-ASCII values (RFC 2047), and the checksum asked
/// for with `x-amz-checksum-mode`.
#[test]
fn a_plain_read_through_the_route() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let objects = vec![Stored {
            key: "a/file.csv".to_owned(),
            size: 12,
            content_type: Some("text/csv"),
            encoding: None,
            metadata: vec![("note", "café".to_owned())],
            checksum: true,
            parts: false,
        }];
        let sim = start_with(world(&objects), |o| o.direct_get = true).await;
        let c = Case {
            method: "GET",
            target: format!("/{BUCKET}/a/file.csv?x-id=GetObject"),
            headers: vec![("x-amz-checksum-mode".to_owned(), "ENABLED".to_owned())],
            payload: "UNSIGNED-PAYLOAD".to_owned(),
            body: Vec::new(),
            access_key: READER_KEY.to_owned(),
            secret: READER_SECRET.to_owned(),
            region: REGION.to_owned(),
            skew: 0,
            tamper: Tamper::Nothing,
        };
        let (status, h, body) = send_raw_parts(signed(&sim, &c)).await;
        assert_eq!(status, 200);
        assert_eq!(&body[..], b"abcdefghijkl");
        assert_eq!(h["content-type"], "text/csv");
        assert_eq!(h["x-amz-meta-note"], "=?UTF-8?B?Y2Fmw6k=?=");
        assert!(h.contains_key("x-amz-checksum-crc32"));
        assert_eq!(h["content-length"], "12");
        sim.shutdown().await;
    });
}
