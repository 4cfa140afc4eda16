//! ListObjectsV2 and ListObjects across pages, with and without a delimiter.

use crate::support::*;

/// 2,500 keys: 50 "directories" of 50 files each.
async fn seeded() -> (s3_harness::Simulator, aws_sdk_s3::Client, Vec<String>) {
    let sim = sim().await;
    let mut keys = Vec::new();
    {
        let mut objects = Vec::new();
        for d in 0..50 {
            for f in 0..50 {
                let key = format!("t/dir{d:02}/file{f:02}.csv");
                objects.push((
                    s3_harness::sim::store::ObjKey::parse(&key).unwrap(),
                    s3_harness::sim::store::Object::from_bytes(bytes::Bytes::from_static(b"x"), OWNER),
                ));
                keys.push(key);
            }
        }
        sim.world().store.put_all(BUCKET, objects).unwrap();
    }
    keys.sort();
    let c = owner(&sim);
    (sim, c, keys)
}

#[tokio::test]
async fn flat_listing_of_2500_keys_pages_by_1000_with_continuation_tokens() {
    let (sim, c, keys) = seeded().await;
    let mut got = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let out = c
            .list_objects_v2()
            .bucket(BUCKET)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages.push((out.key_count(), out.is_truncated()));
        got.extend(out.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        token = out.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        pages,
        [
            (Some(1000), Some(true)),
            (Some(1000), Some(true)),
            (Some(500), Some(false))
        ]
    );
    assert_eq!(got, keys);
    assert_eq!(sim.requests().counts().get("ListObjectsV2"), Some(&3));
}

#[tokio::test]
async fn the_sdk_paginator_sees_every_key_once() {
    let (_sim, c, keys) = seeded().await;
    let mut pages = c.list_objects_v2().bucket(BUCKET).max_keys(333).into_paginator().send();
    let mut got = Vec::new();
    while let Some(page) = pages.next().await {
        got.extend(
            page.unwrap()
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    assert_eq!(got, keys);
}

#[tokio::test]
async fn delimiter_listing_pages_common_prefixes() {
    let (_sim, c, _) = seeded().await;
    let mut prefixes = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix("t/")
            .delimiter("/")
            .max_keys(20)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        assert!(out.contents().is_empty());
        assert_eq!(out.key_count(), Some(out.common_prefixes().len() as i32));
        prefixes.extend(
            out.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        token = out.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let expected: Vec<String> = (0..50).map(|d| format!("t/dir{d:02}/")).collect();
    assert_eq!(prefixes, expected);
}

#[tokio::test]
async fn start_after_and_max_keys_caps() {
    let (_sim, c, keys) = seeded().await;
    let out = c
        .list_objects_v2()
        .bucket(BUCKET)
        .start_after(&keys[2400])
        .send()
        .await
        .unwrap();
    let got: Vec<&str> = out.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(got, keys[2401..].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.start_after(), Some(keys[2400].as_str()));
    // max-keys above 1000 is served as 1000.
    let out = c.list_objects_v2().bucket(BUCKET).max_keys(5000).send().await.unwrap();
    assert_eq!(out.key_count(), Some(1000));
    assert_eq!(out.is_truncated(), Some(true));
    let out = c.list_objects_v2().bucket(BUCKET).max_keys(0).send().await.unwrap();
    assert_eq!((out.key_count(), out.is_truncated()), (Some(0), Some(false)));
}

#[tokio::test]
async fn bad_continuation_token_is_invalid_argument() {
    let (_sim, c, _) = seeded().await;
    let err = c
        .list_objects_v2()
        .bucket(BUCKET)
        .continuation_token("!!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
}

#[tokio::test]
async fn list_objects_v1_markers() {
    let (_sim, c, keys) = seeded().await;
    // Without a delimiter there is no NextMarker; the client continues from the last key.
    let out = c.list_objects().bucket(BUCKET).max_keys(1000).send().await.unwrap();
    assert_eq!(out.is_truncated(), Some(true));
    assert_eq!(out.next_marker(), None);
    let last = out.contents().last().and_then(|o| o.key()).unwrap().to_owned();
    assert_eq!(last, keys[999]);
    let out = c.list_objects().bucket(BUCKET).marker(&last).send().await.unwrap();
    assert_eq!(out.contents().first().and_then(|o| o.key()), Some(keys[1000].as_str()));
    // With a delimiter, NextMarker is the last common prefix.
    let out = c
        .list_objects()
        .bucket(BUCKET)
        .prefix("t/")
        .delimiter("/")
        .max_keys(10)
        .send()
        .await
        .unwrap();
    assert_eq!(out.next_marker(), Some("t/dir09/"));
    let out = c
        .list_objects()
        .bucket(BUCKET)
        .prefix("t/")
        .delimiter("/")
        .marker("t/dir09/")
        .max_keys(10)
        .send()
        .await
        .unwrap();
    assert_eq!(out.common_prefixes().first().and_then(|p| p.prefix()), Some("t/dir10/"));
}

#[tokio::test]
async fn a_and_a_slash_b_coexist() {
    let sim = sim().await;
    let c = owner(&sim);
    for k in ["a", "a/", "a/b", "a//b"] {
        put(&c, k, k.as_bytes()).await;
    }
    let out = c.list_objects_v2().bucket(BUCKET).delimiter("/").send().await.unwrap();
    let keys: Vec<&str> = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<&str> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["a"]);
    assert_eq!(prefixes, ["a/"]);
    let out = c
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("a/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<&str> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["a/", "a/b"]);
    assert_eq!(prefixes, ["a//"]);
}

/// A continuation token S3 never issued is refused with 400 InvalidArgument, even when
/// it is well-formed base64 (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>,
/// `continuation-token`).
#[tokio::test]
async fn a_token_never_issued_is_refused() {
    let (_sim, c, _keys) = seeded().await;
    for token in ["dC9kaXIwMS9maWxlMDAuY3N2", "not a token"] {
        let err = c
            .list_objects_v2()
            .bucket(BUCKET)
            .continuation_token(token)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidArgument", "{token}");
    }
}
