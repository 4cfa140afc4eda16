//! Plain ListObjectsV2 requests take the simulator's own listing route, which writes a
//! page straight into its XML body. Every answer must be the one s3s's operation gives:
//! the same worlds (one forked from the other, so times match), the same signed
//! requests, one simulator with the route and one without; same status, same
//! `Content-Type`, the same body byte for byte (errors but for request ids), the same
//! request-log record. Pages are followed through their continuation tokens.
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>)

use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use s3_harness::World;
use s3_harness::sim::store::{ObjKey, Object};
use s3_harness::sim::world::{Identity, IdentityKind};
use s3_policy::iam::Caller;

use crate::header_sigv4::{Case, Tamper, normalised, query_encode, signed};
use crate::support::{BUCKET, OWNER, REGION, last_record, send_raw_parts, start_with};

const ROOT_KEY: &str = "AKIAROOT111122223333";
const ROOT_SECRET: &str = "root-secret-111122223333";
const LISTER_KEY: &str = "AKIALISTER0000000001";
const LISTER_SECRET: &str = "lister-secret";
const OTHER_OWNER: &str = "444455556666";

/// A user who may list only under prefixes starting with `a`
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>).
const LISTER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket",
 "Resource":"arn:aws:s3:::sim-bucket","Condition":{"StringLike":{"s3:prefix":"a*"}}}]}"#;

fn world(keys: &[(String, usize, bool)]) -> World {
    let mut world = World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("fresh world");
    let caller = Caller::from_arn("arn:aws:iam::111122223333:user/lister", "lister").expect("an ARN");
    world
        .add_identity(
            Identity::new("lister", IdentityKind::Declared, caller, LISTER_KEY, LISTER_SECRET)
                .with_policy(Some(LISTER_POLICY.to_owned())),
        )
        .expect("a new identity");
    for (key, size, other_owner) in keys {
        let owner = if *other_owner { OTHER_OWNER } else { OWNER };
        world
            .store
            .put(
                BUCKET,
                ObjKey::parse(key).expect("a key"),
                Object::from_bytes(Bytes::from(vec![b'x'; *size]), owner),
            )
            .expect("the bucket exists");
    }
    world
}

#[derive(Debug, Clone)]
struct Query {
    bucket: &'static str,
    params: Vec<(&'static str, String)>,
    /// Appended to the query as is.
    extra: &'static str,
    lister: bool,
}

fn key_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ab/=&<'\" +é%]{1,6}").expect("regex")
}

fn keys_strategy() -> impl Strategy<Value = Vec<(String, usize, bool)>> {
    proptest::collection::vec((key_text(), 0..40usize, any::<bool>()), 0..30)
}

fn query_strategy() -> impl Strategy<Value = Query> {
    // Mostly well-formed values, so that most requests list; now and then one s3s
    // refuses or the route leaves to s3s.
    let opt = |good: &'static [&'static str], bad: &'static [&'static str]| {
        prop_oneof![
            3 => Just(None),
            4 => proptest::sample::select(good).prop_map(Some),
            1 => proptest::sample::select(bad).prop_map(Some),
        ]
    };
    (
        proptest::option::of(proptest::string::string_regex("[ab/=&<'\" é%]{0,3}").expect("regex")),
        opt(&["/", "=", "&", "ab"], &[""]),
        opt(&["0", "1", "2", "3", "7", "1000", "1001"], &["-1", "x"]),
        proptest::option::of(key_text()),
        opt(&["url"], &["URL", "bogus"]),
        opt(&["true", "false"], &["TRUE"]),
        proptest::sample::select(&["", "", "", "", "", "&x-id=ListObjectsV2", "&prefix=a", "&versions"][..]),
        prop_oneof![19 => Just(BUCKET), 1 => Just("no-such-bucket")],
        prop_oneof![6 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(prefix, delimiter, max_keys, start_after, encoding, owner, extra, bucket, lister)| {
                let mut params = Vec::new();
                let mut add = |name, value: Option<String>| {
                    if let Some(v) = value {
                        params.push((name, v));
                    }
                };
                add("prefix", prefix);
                add("delimiter", delimiter.map(str::to_owned));
                add("max-keys", max_keys.map(str::to_owned));
                add("start-after", start_after);
                add("encoding-type", encoding.map(str::to_owned));
                add("fetch-owner", owner.map(str::to_owned));
                Query {
                    bucket,
                    params,
                    extra,
                    lister,
                }
            },
        )
}

fn case(q: &Query, token: Option<&str>) -> Case {
    let mut target = format!("/{}?list-type=2", q.bucket);
    for (name, value) in &q.params {
        target.push_str(&format!("&{name}={}", query_encode(value)));
    }
    if let Some(t) = token {
        target.push_str(&format!("&continuation-token={}", query_encode(t)));
    }
    target.push_str(q.extra);
    let (access_key, secret) = if q.lister {
        (LISTER_KEY, LISTER_SECRET)
    } else {
        (ROOT_KEY, ROOT_SECRET)
    };
    Case {
        method: "GET",
        target,
        headers: Vec::new(),
        payload: "UNSIGNED-PAYLOAD".to_owned(),
        body: Vec::new(),
        access_key: access_key.to_owned(),
        secret: secret.to_owned(),
        region: REGION.to_owned(),
        skew: 0,
        tamper: Tamper::Nothing,
    }
}

fn next_token(body: &str) -> Option<String> {
    let start = body.find("<NextContinuationToken>")? + "<NextContinuationToken>".len();
    let len = body[start..].find('<')?;
    Some(body[start..start + len].to_owned())
}

#[test]
fn the_listing_route_answers_as_s3s_does() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    let pages = std::cell::Cell::new(0u32);
    let refusals = std::cell::Cell::new(0u32);
    runner
        .run(
            &(keys_strategy(), proptest::collection::vec(query_strategy(), 1..5)),
            |(keys, queries)| {
                let w = world(&keys);
                let (fast, slow) = rt.block_on(async {
                    (
                        start_with(w.fork(), |o| o.direct_list_pages = true).await,
                        start_with(w, |o| o.direct_list_pages = false).await,
                    )
                });
                for q in &queries {
                    let mut token = None;
                    for _ in 0..4 {
                        let c = case(q, token.as_deref());
                        let (a, b) = rt.block_on(async {
                            let a = send_raw_parts(signed(&fast, &c)).await;
                            let b = send_raw_parts(signed(&slow, &c)).await;
                            (a, b)
                        });
                        prop_assert_eq!(a.0, b.0, "status of {:?}", c.target);
                        prop_assert_eq!(
                            a.1.get("content-type"),
                            b.1.get("content-type"),
                            "content type of {:?}",
                            c.target
                        );
                        let (body_a, body_b) = (String::from_utf8_lossy(&a.2), String::from_utf8_lossy(&b.2));
                        if a.0 == 200 {
                            prop_assert_eq!(&body_a, &body_b, "body of {:?}", c.target);
                            pages.set(pages.get() + 1);
                        } else {
                            prop_assert_eq!(normalised(&body_a), normalised(&body_b), "error of {:?}", c.target);
                            refusals.set(refusals.get() + 1);
                        }
                        prop_assert_eq!(last_record(&fast), last_record(&slow), "record of {:?}", c.target);
                        token = next_token(&body_a);
                        if token.is_none() {
                            break;
                        }
                    }
                }
                rt.block_on(async {
                    fast.shutdown().await;
                    slow.shutdown().await;
                });
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    // The cases reach both pages and refusals.
    let (pages, refusals) = (pages.get(), refusals.get());
    assert!(pages > 0 && refusals > 0, "pages {pages}, refusals {refusals}");
}
