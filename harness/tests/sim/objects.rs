//! Object operations: PUT/GET/HEAD/DELETE, ranges, copies, multipart, odd keys.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};

use crate::support::*;

#[tokio::test]
async fn put_get_head_delete_round_trip_with_md5_etag() {
    let sim = sim().await;
    let c = owner(&sim);
    let out = c
        .put_object()
        .bucket(BUCKET)
        .key("a/b.csv")
        .content_type("text/csv")
        .metadata("origin", "test")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.e_tag(), Some("\"5d41402abc4b2a76b9719d911017c592\""));
    assert_eq!(get(&c, "a/b.csv").await, b"hello");
    let head = c.head_object().bucket(BUCKET).key("a/b.csv").send().await.unwrap();
    assert_eq!(head.content_length(), Some(5));
    assert_eq!(head.content_type(), Some("text/csv"));
    assert_eq!(
        head.metadata().and_then(|m| m.get("origin")).map(String::as_str),
        Some("test")
    );
    assert!(head.last_modified().is_some());
    c.delete_object().bucket(BUCKET).key("a/b.csv").send().await.unwrap();
    let err = c.get_object().bucket(BUCKET).key("a/b.csv").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    // Deleting a missing key succeeds on an unversioned bucket.
    c.delete_object().bucket(BUCKET).key("a/b.csv").send().await.unwrap();
}

#[tokio::test]
async fn default_content_type_is_binary_octet_stream() {
    let sim = sim().await;
    let c = owner(&sim);
    // The SDK always sends a Content-Type; a presigned PUT from a bare client sends none.
    let url = c
        .put_object()
        .bucket(BUCKET)
        .key("x")
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let (status, _) = crate::regions::raw("PUT", url.uri(), &[], b"1").await;
    assert_eq!(status, 200);
    let head = c.head_object().bucket(BUCKET).key("x").send().await.unwrap();
    assert_eq!(head.content_type(), Some("binary/octet-stream"));
}

/// https://www.rfc-editor.org/rfc/rfc9110#section-14.2: S3 ignores a Range it cannot
/// parse. (A header-signed request keeps s3s's 400: see ARCHITECTURE.md.)
#[tokio::test]
async fn unparseable_unsigned_range_is_ignored() {
    let sim = sim().await;
    let c = owner(&sim);
    put(&c, "r", b"0123456789").await;
    let url = c
        .get_object()
        .bucket(BUCKET)
        .key("r")
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    for bad in ["bytes=5-2", "bytes=0-1,4-5", "items=0-1"] {
        let (status, body) = crate::regions::raw("GET", url.uri(), &[("range", bad)], b"").await;
        assert_eq!((status, body.as_str()), (200, "0123456789"), "{bad}");
    }
    let (status, body) = crate::regions::raw("GET", url.uri(), &[("range", "bytes=1-2")], b"").await;
    assert_eq!((status, body.as_str()), (206, "12"));
}

#[tokio::test]
async fn odd_keys_round_trip_through_put_list_get() {
    let sim = sim().await;
    let c = owner(&sim);
    let keys = [
        "with space/a b.csv",
        "plus+sign",
        "percent%20literal",
        "hash#and?question",
        "unicode/café/日本.csv",
        "double//slash",
        "a",
        "a/",
        "a/b",
        "trailing space ",
        "tilde~and=equals&amp",
    ];
    for k in keys {
        put(&c, k, k.as_bytes()).await;
    }
    for k in keys {
        assert_eq!(get(&c, k).await, k.as_bytes(), "{k}");
    }
    let listed: Vec<String> = c
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    let mut expected: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    // With encoding-type=url, keys come back percent-encoded (space as `+`).
    let encoded: Vec<String> = c
        .list_objects_v2()
        .bucket(BUCKET)
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    assert!(encoded.contains(&"with+space/a+b.csv".to_owned()), "{encoded:?}");
    assert!(encoded.contains(&"plus%2Bsign".to_owned()), "{encoded:?}");
    assert!(encoded.contains(&"percent%2520literal".to_owned()), "{encoded:?}");
    assert!(
        encoded.contains(&"unicode/caf%C3%A9/%E6%97%A5%E6%9C%AC.csv".to_owned()),
        "{encoded:?}"
    );
    let decoded: Vec<String> = encoded
        .iter()
        .map(|k| {
            percent_encoding::percent_decode_str(&k.replace('+', " "))
                .decode_utf8()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(decoded, expected);
}

#[tokio::test]
async fn every_range_form() {
    let sim = sim().await;
    let c = owner(&sim);
    put(&c, "r", b"0123456789").await;
    let range = |r: &'static str| {
        let c = c.clone();
        async move {
            let out = c.get_object().bucket(BUCKET).key("r").range(r).send().await;
            out.map(|o| (o.content_range().map(str::to_owned), o.content_length()))
        }
    };
    assert_eq!(
        range("bytes=2-5").await.unwrap(),
        (Some("bytes 2-5/10".into()), Some(4))
    );
    assert_eq!(range("bytes=7-").await.unwrap(), (Some("bytes 7-9/10".into()), Some(3)));
    assert_eq!(range("bytes=-3").await.unwrap(), (Some("bytes 7-9/10".into()), Some(3)));
    // An end past the object is clamped; a suffix longer than the object is all of it.
    assert_eq!(
        range("bytes=8-100").await.unwrap(),
        (Some("bytes 8-9/10".into()), Some(2))
    );
    assert_eq!(
        range("bytes=-100").await.unwrap(),
        (Some("bytes 0-9/10".into()), Some(10))
    );
    // A start at or past the end is 416 InvalidRange.
    let err = range("bytes=10-").await.unwrap_err();
    assert_eq!(code(&err), "InvalidRange");
    assert_eq!(status(&err), 416);
    let body = c
        .get_object()
        .bucket(BUCKET)
        .key("r")
        .range("bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(body.body.collect().await.unwrap().into_bytes().as_ref(), b"2345");
}

/// A tail read (suffix range) of an empty object is 200 with no body, as S3 answers it
/// (readers such as Trino and object_store's S3 client depend on it), while a range
/// that starts at byte 0 of an empty object is 416 InvalidRange
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>, `Range`).
#[tokio::test]
async fn ranges_of_an_empty_object() {
    let sim = sim().await;
    let c = owner(&sim);
    put(&c, "empty", b"").await;
    let tail = c
        .get_object()
        .bucket(BUCKET)
        .key("empty")
        .range("bytes=-8")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.content_range(), None);
    assert_eq!(tail.content_length(), Some(0));
    assert!(tail.body.collect().await.unwrap().into_bytes().is_empty());
    let head = c
        .head_object()
        .bucket(BUCKET)
        .key("empty")
        .range("bytes=-8")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(0));
    let err = c
        .get_object()
        .bucket(BUCKET)
        .key("empty")
        .range("bytes=0-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRange");
    assert_eq!(status(&err), 416);
}

#[tokio::test]
async fn copy_object_and_copy_onto_itself() {
    let sim = sim().await;
    let c = owner(&sim);
    put(&c, "src", b"data").await;
    c.copy_object()
        .bucket(BUCKET)
        .key("dst")
        .copy_source(format!("{BUCKET}/src"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "dst").await, b"data");
    let err = c
        .copy_object()
        .bucket(BUCKET)
        .key("src")
        .copy_source(format!("{BUCKET}/src"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    let err = c
        .copy_object()
        .bucket(BUCKET)
        .key("d2")
        .copy_source(format!("{BUCKET}/missing"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
}

#[tokio::test]
async fn delete_objects_reports_each_key() {
    let sim = sim().await;
    let c = owner(&sim);
    put(&c, "d/1", b"1").await;
    put(&c, "d/2", b"2").await;
    let ids = ["d/1", "d/2", "d/missing"].map(|k| ObjectIdentifier::builder().key(k).build().unwrap());
    let out = c
        .delete_objects()
        .bucket(BUCKET)
        .delete(Delete::builder().set_objects(Some(ids.to_vec())).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 3);
    let left = c.list_objects_v2().bucket(BUCKET).prefix("d/").send().await.unwrap();
    assert_eq!(left.key_count(), Some(0));
}

/// Starts a multipart upload of `key` and uploads `bodies` as parts 1, 2, ...
async fn upload_parts(c: &aws_sdk_s3::Client, key: &str, bodies: Vec<Vec<u8>>) -> (String, Vec<CompletedPart>) {
    let id = c
        .create_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let mut parts = Vec::new();
    for (n, body) in (1..).zip(bodies) {
        let out = c
            .upload_part()
            .bucket(BUCKET)
            .key(key)
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    (id, parts)
}

async fn complete(c: &aws_sdk_s3::Client, key: &str, id: &str, parts: Vec<CompletedPart>) -> Result<String, String> {
    c.complete_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .map(|done| done.e_tag().unwrap_or_default().trim_matches('"').to_owned())
        .map_err(|e| code(&e))
}

#[tokio::test]
async fn multipart_upload_has_a_multipart_etag_and_checks_parts() {
    let sim = sim().await;
    let c = owner(&sim);
    let p1 = vec![b'a'; 5 * 1024 * 1024];
    let p2 = b"tail".to_vec();
    let (id, parts) = upload_parts(&c, "big", vec![p1.clone(), p2.clone()]).await;
    // Out of order is refused.
    let reversed = vec![parts[1].clone(), parts[0].clone()];
    assert_eq!(
        complete(&c, "big", &id, reversed).await,
        Err("InvalidPartOrder".to_owned())
    );
    let etag = complete(&c, "big", &id, parts).await.unwrap();
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    h.update(Md5::digest(&p1));
    h.update(Md5::digest(&p2));
    assert_eq!(etag, format!("{}-2", hex::encode(h.finalize())));
    let body = get(&c, "big").await;
    assert_eq!(body.len(), p1.len() + 4);
    assert!(body.ends_with(b"tail"));
    // The upload is gone.
    let err = c
        .abort_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
}

#[tokio::test]
async fn small_non_last_part_is_entity_too_small() {
    let sim = sim().await;
    let c = owner(&sim);
    let (id, parts) = upload_parts(&c, "k", vec![b"xx".to_vec(), b"xx".to_vec()]).await;
    let err = complete(&c, "k", &id, parts).await.unwrap_err();
    assert_eq!(err, "EntityTooSmall");
}

/// ListMultipartUploads and ListParts page as S3 pages them
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html>): uploads by key
/// then start, continued from NextKeyMarker/NextUploadIdMarker; parts by number,
/// continued from NextPartNumberMarker.
#[tokio::test]
async fn uploads_and_parts_are_listed_page_by_page() {
    let sim = sim().await;
    let c = owner(&sim);
    let (first_b, _) = upload_parts(&c, "up/b", vec![vec![1; 10], vec![2; 20], vec![3; 30]]).await;
    let (_, _) = upload_parts(&c, "up/a", vec![vec![1; 5]]).await;
    let (second_b, _) = upload_parts(&c, "up/b", vec![]).await;
    upload_parts(&c, "other/c", vec![]).await;

    let page = c
        .list_multipart_uploads()
        .bucket(BUCKET)
        .prefix("up/")
        .max_uploads(2)
        .send()
        .await
        .unwrap();
    let listed: Vec<(&str, &str)> = page
        .uploads()
        .iter()
        .map(|u| (u.key().unwrap_or(""), u.upload_id().unwrap_or("")))
        .collect();
    assert_eq!(listed[0].0, "up/a");
    assert_eq!(listed[1], ("up/b", first_b.as_str()));
    assert_eq!(page.is_truncated(), Some(true));
    let rest = c
        .list_multipart_uploads()
        .bucket(BUCKET)
        .prefix("up/")
        .max_uploads(2)
        .key_marker(page.next_key_marker().unwrap())
        .upload_id_marker(page.next_upload_id_marker().unwrap())
        .send()
        .await
        .unwrap();
    let listed: Vec<&str> = rest.uploads().iter().filter_map(|u| u.upload_id()).collect();
    assert_eq!(listed, [second_b.as_str()]);
    assert_eq!(rest.is_truncated(), Some(false));
    let grouped = c
        .list_multipart_uploads()
        .bucket(BUCKET)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = grouped.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["other/", "up/"]);
    assert!(grouped.uploads().is_empty());

    let parts = c
        .list_parts()
        .bucket(BUCKET)
        .key("up/b")
        .upload_id(&first_b)
        .max_parts(2)
        .send()
        .await
        .unwrap();
    let sizes: Vec<(Option<i32>, Option<i64>)> = parts.parts().iter().map(|p| (p.part_number(), p.size())).collect();
    assert_eq!(sizes, [(Some(1), Some(10)), (Some(2), Some(20))]);
    assert_eq!(parts.is_truncated(), Some(true));
    assert_eq!(parts.next_part_number_marker(), Some("2"));
    let last = c
        .list_parts()
        .bucket(BUCKET)
        .key("up/b")
        .upload_id(&first_b)
        .part_number_marker("2")
        .send()
        .await
        .unwrap();
    assert_eq!(last.parts().len(), 1);
    assert_eq!(
        last.parts()[0].e_tag(),
        Some(format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest([3u8; 30]))).as_str())
    );
    assert_eq!(last.is_truncated(), Some(false));

    let err = c
        .list_parts()
        .bucket(BUCKET)
        .key("up/b")
        .upload_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
}

/// GET and HEAD with `partNumber` read one part of a multipart object, 206 with its
/// range and `x-amz-mp-parts-count`; a single-part object is its one part; a number past
/// the last part is 416 InvalidPartNumber
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>, `partNumber`).
#[tokio::test]
async fn part_number_reads_one_part() {
    let sim = sim().await;
    let c = owner(&sim);
    let p1 = vec![b'a'; 5 * 1024 * 1024];
    let (id, parts) = upload_parts(&c, "mp", vec![p1.clone(), b"tail".to_vec()]).await;
    complete(&c, "mp", &id, parts).await.unwrap();
    let second = c
        .get_object()
        .bucket(BUCKET)
        .key("mp")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(second.parts_count(), Some(2));
    assert_eq!(second.content_length(), Some(4));
    let total = p1.len() + 4;
    assert_eq!(
        second.content_range(),
        Some(format!("bytes {}-{}/{total}", p1.len(), total - 1).as_str())
    );
    assert_eq!(second.body.collect().await.unwrap().into_bytes().as_ref(), b"tail");
    let head = c
        .head_object()
        .bucket(BUCKET)
        .key("mp")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(p1.len() as i64));
    assert_eq!(head.parts_count(), Some(2));
    let err = c
        .get_object()
        .bucket(BUCKET)
        .key("mp")
        .part_number(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&err).as_str(), status(&err)), ("InvalidPartNumber", 416));
    let err = c
        .get_object()
        .bucket(BUCKET)
        .key("mp")
        .part_number(1)
        .range("bytes=0-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&err).as_str(), status(&err)), ("InvalidRequest", 400));

    put(&c, "single", b"0123456789").await;
    let whole = c
        .get_object()
        .bucket(BUCKET)
        .key("single")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!((whole.parts_count(), whole.content_length()), (Some(1), Some(10)));
    let err = c
        .get_object()
        .bucket(BUCKET)
        .key("single")
        .part_number(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPartNumber");
}

/// A sized object above 8 MiB has the parts the aws CLI would have uploaded: a
/// multipart downloader reads each once.
#[tokio::test]
async fn a_sized_object_has_its_cli_parts() {
    let mut world = s3_harness::World::new();
    world.add_bucket(BUCKET, REGION, OWNER).unwrap();
    let size = 20 * 1024 * 1024 + 3;
    world
        .store
        .put(
            BUCKET,
            s3_harness::sim::store::ObjKey::parse("z").unwrap(),
            s3_harness::sim::store::Object::sized(size, OWNER),
        )
        .unwrap();
    let sim = s3_harness::Simulator::start(world).await.unwrap();
    let c = owner(&sim);
    let last = c
        .head_object()
        .bucket(BUCKET)
        .key("z")
        .part_number(3)
        .send()
        .await
        .unwrap();
    assert_eq!(last.parts_count(), Some(3));
    assert_eq!(last.content_length(), Some(4 * 1024 * 1024 + 3));
    assert!(last.e_tag().is_some_and(|e| e.ends_with("-3\"")), "{:?}", last.e_tag());
}
