//! ListObjectsV2 and ListObjects (v1): one listing path, two wire shapes. Both decode
//! their request into one [`Listing`], read one page from the store, and differ only in
//! where the page resumes (a continuation token or a marker) and which fields answer.

use base64::Engine as _;
use s3s::dto::{
    CommonPrefix, ETag, EncodingType, ListObjectsInput, ListObjectsOutput, ListObjectsV2Input, ListObjectsV2Output,
    ObjectStorageClass, Owner,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::{SimS3, list_xml, owner, ts};
use crate::sim::store::listing::{self, Entry, ListQuery};
use crate::sim::store::{ObjKey, Object};

/// S3's largest page (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>).
const LIST_MAX_KEYS: i32 = 1000;

/// One listing request, decoded.
struct Listing<'a> {
    bucket: &'a str,
    prefix: &'a str,
    delimiter: Option<&'a str>,
    from: Option<Vec<u8>>,
    max_keys: usize,
    encode: bool,
    with_owner: bool,
}

/// One page, in wire form.
struct Listed {
    contents: Vec<s3s::dto::Object>,
    prefixes: Vec<CommonPrefix>,
    truncated: bool,
    resume_from: Option<Vec<u8>>,
    last_entry_name: Option<String>,
}

impl Listing<'_> {
    /// The store's question for this listing.
    fn query(&self) -> ListQuery<'_> {
        ListQuery {
            prefix: self.prefix,
            delimiter: self.delimiter,
            from: self.from.as_deref(),
            max_keys: self.max_keys,
        }
    }
}

fn list(sim: &SimS3, l: &Listing<'_>) -> S3Result<Listed> {
    Ok(sim.store().list(l.bucket, l.query(), |page| {
        let mut contents = Vec::with_capacity(page.entries.len());
        let mut prefixes = Vec::new();
        let mut owners = Owners::default();
        for e in &page.entries {
            match e {
                Entry::Object(k, o) => {
                    let owner = l.with_owner.then(|| owners.of(&o.headers().owner));
                    contents.push(list_object(k, o, l.encode, owner));
                }
                Entry::CommonPrefix(p) => prefixes.push(CommonPrefix {
                    prefix: Some(encoded(l.encode, p)),
                }),
            }
        }
        Listed {
            contents,
            prefixes,
            truncated: page.truncated,
            resume_from: page.resume_from.clone(),
            last_entry_name: page.last_entry_name().map(str::to_owned),
        }
    })?)
}

/// A ListObjectsV2 request decoded into one listing, and whether it asked for
/// URL-encoded names.
fn v2_listing(input: &ListObjectsV2Input) -> S3Result<(Listing<'_>, bool)> {
    let from = match (&input.continuation_token, &input.start_after) {
        (Some(t), _) => Some(decode_token(t)?),
        (None, Some(sa)) if !sa.is_empty() => Some(listing::after(sa)),
        _ => None,
    };
    let encode = check_encoding(input.encoding_type.as_ref())?;
    let listing = Listing {
        bucket: &input.bucket,
        prefix: input.prefix.as_deref().unwrap_or(""),
        delimiter: input.delimiter.as_deref(),
        from,
        max_keys: max_keys(input.max_keys)?,
        encode,
        with_owner: input.fetch_owner == Some(true),
    };
    Ok((listing, encode))
}

pub(super) async fn list_objects_v2(
    sim: &SimS3,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let input = req.input;
    let (listing, encode) = v2_listing(&input)?;
    let page = list(sim, &listing)?;
    let key_count = i32::try_from(page.contents.len() + page.prefixes.len()).unwrap_or(i32::MAX);
    Ok(S3Response::new(ListObjectsV2Output {
        // Before `name` takes the bucket out of the input the listing borrows.
        prefix: Some(encoded(encode, listing.prefix)),
        name: Some(input.bucket),
        max_keys: Some(input.max_keys.unwrap_or(LIST_MAX_KEYS)),
        key_count: Some(key_count),
        continuation_token: input.continuation_token,
        is_truncated: Some(page.truncated),
        next_continuation_token: page.resume_from.as_deref().map(encode_token),
        contents: (!page.contents.is_empty()).then_some(page.contents),
        common_prefixes: (!page.prefixes.is_empty()).then_some(page.prefixes),
        delimiter: input.delimiter.map(|d| encoded(encode, &d)),
        encoding_type: input.encoding_type,
        start_after: input.start_after.map(|s| encoded(encode, &s)),
        ..Default::default()
    }))
}

/// ListObjectsV2's answer body written straight from the store's page: the bytes s3s
/// serialises for [`list_objects_v2`]'s output, without building the output first.
/// (s3s formats each key's LastModified through a format description and escapes
/// through a generic writer; at 1,000 keys a page that is most of a listing's cost.)
pub(crate) fn list_objects_v2_body(sim: &SimS3, input: &ListObjectsV2Input) -> S3Result<Vec<u8>> {
    let (l, encode) = v2_listing(input)?;
    Ok(sim.store().list(l.bucket, l.query(), |page| {
        let next_token = page.resume_from.as_deref().map(encode_token);
        let mut owners = Owners::default();
        list_xml::v2(
            &list_xml::V2Head {
                input,
                encode,
                max_keys: input.max_keys.unwrap_or(LIST_MAX_KEYS),
                next_token: next_token.as_deref(),
            },
            page,
            |account| l.with_owner.then(|| owners.of(account)),
        )
    })?)
}

pub(super) async fn list_objects(
    sim: &SimS3,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let input = req.input;
    let prefix = input.prefix.clone().unwrap_or_default();
    let encode = check_encoding(input.encoding_type.as_ref())?;
    let page = list(
        sim,
        &Listing {
            bucket: &input.bucket,
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            from: input.marker.as_deref().filter(|m| !m.is_empty()).map(listing::after),
            max_keys: max_keys(input.max_keys)?,
            encode,
            with_owner: true,
        },
    )?;
    // NextMarker is returned only with a delimiter; without one, clients continue
    // from the last key (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html).
    let with_delimiter = input.delimiter.as_deref().is_some_and(|d| !d.is_empty());
    let next_marker = page.last_entry_name.filter(|_| page.truncated && with_delimiter);
    Ok(S3Response::new(ListObjectsOutput {
        name: Some(input.bucket),
        prefix: Some(encoded(encode, &prefix)),
        marker: Some(input.marker.map(|m| encoded(encode, &m)).unwrap_or_default()),
        max_keys: Some(input.max_keys.unwrap_or(LIST_MAX_KEYS)),
        is_truncated: Some(page.truncated),
        contents: (!page.contents.is_empty()).then_some(page.contents),
        common_prefixes: (!page.prefixes.is_empty()).then_some(page.prefixes),
        delimiter: input.delimiter.map(|d| encoded(encode, &d)),
        next_marker: next_marker.map(|m| encoded(encode, &m)),
        encoding_type: input.encoding_type,
        ..Default::default()
    }))
}

fn list_object(k: &ObjKey, o: &Object, encode: bool, owner: Option<Owner>) -> s3s::dto::Object {
    s3s::dto::Object {
        key: Some(encoded(encode, k.as_str())),
        size: Some(i64::try_from(o.size).unwrap_or(i64::MAX)),
        e_tag: Some(ETag::Strong(o.etag.to_string())),
        last_modified: Some(ts(o.last_modified())),
        storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
        owner,
        ..Default::default()
    }
}

/// The `Owner` elements of one page: a page's objects mostly share one owner, and
/// its canonical id costs two MD5s, so each distinct owner is built once per page.
#[derive(Default)]
struct Owners<'p> {
    seen: Vec<(&'p str, Owner)>,
}

impl<'p> Owners<'p> {
    fn of(&mut self, account: &'p str) -> Owner {
        if let Some((_, o)) = self.seen.iter().find(|(a, _)| *a == account) {
            return o.clone();
        }
        let o = owner(account);
        // A page holds at most 1,000 objects; a few owners at most in practice, and
        // a bounded scan whatever happens.
        if self.seen.len() < 16 {
            self.seen.push((account, o.clone()));
        }
        o
    }
}

pub(super) fn encoded(encode: bool, s: &str) -> String {
    if encode { url_encode_key(s) } else { s.to_owned() }
}

/// Percent-encodes a key for `encoding-type=url` as S3 does: unreserved characters
/// and `/` stay, a space becomes `+`, everything else is `%XX` of its UTF-8 bytes
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>,
/// `EncodingType`; a space as `+` and `+` as `%2B` as S3 answers).
pub fn url_encode_key(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(s, KEEP)
        .to_string()
        .replace(' ', "+")
}

pub(super) fn max_keys(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        None => Ok(LIST_MAX_KEYS as usize),
        Some(n) => {
            usize::try_from(n.min(LIST_MAX_KEYS)).map_err(|_| s3_error!(InvalidArgument, "max-keys cannot be negative"))
        }
    }
}

pub(super) fn check_encoding(e: Option<&EncodingType>) -> S3Result<bool> {
    match e {
        None => Ok(false),
        Some(e) if e.as_str() == EncodingType::URL => Ok(true),
        Some(_) => Err(s3_error!(
            InvalidArgument,
            "Invalid Encoding Method specified in Request"
        )),
    }
}

/// Continuation tokens are opaque to clients; ours carry where the next page starts
/// and a check of it, so that a token S3 never issued is refused as S3 refuses it
/// (400 InvalidArgument) rather than read as a position.
fn encode_token(from: &[u8]) -> String {
    let mut raw = from.to_vec();
    raw.extend_from_slice(&token_check(from));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_token(token: &str) -> S3Result<Vec<u8>> {
    let invalid = || s3_error!(InvalidArgument, "The continuation token provided is incorrect");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let split = raw.len().checked_sub(TOKEN_CHECK_LEN).ok_or_else(invalid)?;
    let (from, check) = raw.split_at(split);
    if check != token_check(from) {
        return Err(invalid());
    }
    Ok(from.to_vec())
}

const TOKEN_CHECK_LEN: usize = 8;

/// An integrity check, not a secret: it tells a token we wrote from any other string.
fn token_check(from: &[u8]) -> [u8; TOKEN_CHECK_LEN] {
    use md5::Digest as _;
    let mut h = md5::Md5::new();
    h.update(b"s3-harness continuation token v1\0");
    h.update(from);
    let digest = h.finalize();
    let mut out = [0; TOKEN_CHECK_LEN];
    out.copy_from_slice(&digest[..TOKEN_CHECK_LEN]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_builds_each_owner_once_and_answers_each_its_own() {
        let mut owners = Owners::default();
        let a = owners.of("111122223333");
        assert_eq!(owners.of("111122223333"), a);
        assert_eq!(a, owner("111122223333"));
        let b = owners.of("444455556666");
        assert_eq!(b, owner("444455556666"));
        assert_ne!(a, b);
        assert_eq!(owners.seen.len(), 2);
        let accounts: Vec<String> = (0..100).map(|i| format!("{i:012}")).collect();
        for account in &accounts {
            assert_eq!(owners.of(account), owner(account));
        }
        assert_eq!(owners.seen.len(), 16, "the memo is bounded");
    }

    #[test]
    fn url_encoding_matches_s3() {
        assert_eq!(url_encode_key("a b.txt"), "a+b.txt");
        assert_eq!(url_encode_key("a+b.txt"), "a%2Bb.txt");
        assert_eq!(url_encode_key("100%.csv"), "100%25.csv");
        assert_eq!(url_encode_key("한글/x.txt"), "%ED%95%9C%EA%B8%80/x.txt");
        assert_eq!(url_encode_key("date=2025-01-01/"), "date%3D2025-01-01/");
    }

    #[test]
    fn tokens_round_trip() {
        let from = b"a/\xe2\x82";
        assert_eq!(decode_token(&encode_token(from)).unwrap(), from);
        assert_eq!(decode_token(&encode_token(b"")).unwrap(), b"");
        assert!(decode_token("not a token!").is_err());
        // Valid base64 that we never issued (issue 9: it used to be read as a position).
        let garbage = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"data/users/part-0.csv");
        assert!(decode_token(&garbage).is_err());
        assert!(decode_token("").is_err());
    }
}
