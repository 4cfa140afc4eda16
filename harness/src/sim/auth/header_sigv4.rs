//! A SigV4 check of header-signed requests ahead of s3s, with signing keys cached.
//!
//! s3s derives the signing key (four HMACs) on every request; AWS SDKs derive it once
//! per secret, date, region and service and keep it, and so does this check. It only
//! ever *accepts*: a request it verifies loses its `Authorization` header and carries
//! a [`VerifiedSigV4`] in its extensions instead, so s3s treats it as unsigned while
//! the access gate and the operations still know who signed it. Everything else
//! (presigned URLs, aws-chunked and other streaming payloads, a body it cannot hash
//! here, POST forms, SigV2, odd or repeated headers, a clock outside the allowed
//! skew, a signature that does not match) reaches s3s untouched, so every error a
//! client sees is still the one s3s writes.
//!
//! What is signed and how follows
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html> and
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>; the
//! canonical request is built exactly as s3s 0.14 builds it for the requests accepted
//! here (which are those whose path and query are already in canonical form, so the
//! two can only agree).

use std::sync::Mutex;

use hmac::{Hmac, KeyInit, Mac};
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{HeaderMap, Method, Uri, Version};
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

use crate::sim::world::World;

/// The identity a header signature proved, for the gate and the operations (s3s sees
/// such a request as unsigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigV4 {
    /// The access key id that signed.
    pub access_key: String,
    /// The region of the credential scope.
    pub region: String,
}

/// What the check knows about the body it is handed: the bytes when the front has
/// read them whole, nothing when the body streams on (an object upload).
#[derive(Debug, Clone, Copy)]
pub enum BodyView<'a> {
    /// The whole body.
    Whole(&'a [u8]),
    /// Not read yet.
    Streaming,
}

/// The request parts the check reads.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The method.
    pub method: &'a Method,
    /// The request target as sent (path and query still percent-encoded).
    pub uri: &'a Uri,
    /// The HTTP version (HTTP/2 carries the host elsewhere; left to s3s).
    pub version: Version,
    /// The headers as sent.
    pub headers: &'a HeaderMap,
    /// The body, if read.
    pub body: BodyView<'a>,
}

/// How far a request's date may be from the server's clock: s3s's default
/// (`presigned_url_max_skew_time_secs`, 15 minutes, which S3 uses too:
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/RESTAuthentication.html#RESTAuthenticationTimeStamp>),
/// less a margin so that a request near the edge is left to s3s's own check.
const MAX_SKEW_SECS: i64 = 900 - 5;

/// How many signing keys are kept. One per identity in use and UTC day and region is
/// what a run needs; a full cache drops its oldest key.
const MAX_KEYS: usize = 32;

/// `"".sha256()`, the payload hash of a request without a body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

type HmacSha256 = Hmac<Sha256>;

struct CachedKey {
    access_key: String,
    date: [u8; 8],
    region: String,
    secret: String,
    /// HMAC keyed with the signing key, cloned for each request.
    mac: HmacSha256,
}

/// Signing keys by (access key, date, region), service `s3`; a key is used only while
/// the identity's secret is the one it was derived from.
#[derive(Default)]
pub struct SigningKeys {
    keys: Mutex<Vec<CachedKey>>,
}

impl SigningKeys {
    /// The HMAC keyed with the signing key of this scope.
    fn mac(&self, access_key: &str, date: &[u8; 8], region: &str, secret: &str) -> Option<HmacSha256> {
        let found =
            |k: &&CachedKey| k.access_key == access_key && &k.date == date && k.region == region && k.secret == secret;
        if let Ok(keys) = self.keys.lock()
            && let Some(k) = keys.iter().find(found)
        {
            return Some(k.mac.clone());
        }
        let mac = HmacSha256::new_from_slice(&signing_key(secret, date, region)).ok()?;
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= MAX_KEYS {
                keys.remove(0);
            }
            keys.push(CachedKey {
                access_key: access_key.to_owned(),
                date: *date,
                region: region.to_owned(),
                secret: secret.to_owned(),
                mac: mac.clone(),
            });
        }
        Some(mac)
    }

    /// How many keys are kept (for tests of the bound).
    pub fn len(&self) -> usize {
        self.keys.lock().map_or(0, |k| k.len())
    }

    /// Whether no key is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut m = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    m.update(data);
    m.finalize().into_bytes().into()
}

/// `kSigning` for service `s3`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key>).
fn signing_key(secret: &str, date: &[u8; 8], region: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac(&k_secret, date);
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, b"s3");
    hmac(&k_service, b"aws4_request")
}

/// The fast check: the world's secrets and the signing keys derived from them.
pub struct HeaderSigV4 {
    keys: SigningKeys,
}

impl Default for HeaderSigV4 {
    fn default() -> Self {
        Self::new()
    }
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl HeaderSigV4 {
    /// A check with an empty key cache.
    pub fn new() -> Self {
        Self {
            keys: SigningKeys::default(),
        }
    }

    /// The signing keys kept.
    pub fn keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// The identity `req` was signed by, when its header signature is one this check
    /// handles and it verifies against `world`'s secrets at `now`; `None` leaves the
    /// request to s3s.
    pub fn verify(&self, world: &World, req: &RequestView<'_>, now: time::OffsetDateTime) -> Option<VerifiedSigV4> {
        if !matches!(req.version, Version::HTTP_10 | Version::HTTP_11) {
            return None;
        }
        if *req.method == Method::POST
            && req
                .headers
                .get_all(CONTENT_TYPE)
                .iter()
                .any(|v| v.as_bytes().to_ascii_lowercase().windows(9).any(|w| w == b"multipart"))
        {
            return None;
        }
        let auth = parse_authorization(unique(req.headers, &AUTHORIZATION)?)?;
        let amz_date = unique(req.headers, &s3s::header::X_AMZ_DATE)?;
        let request_time = parse_amz_date(amz_date)?;
        if auth.date != &amz_date[..8] || (now - request_time).whole_seconds().abs() > MAX_SKEW_SECS {
            return None;
        }
        let payload = payload_hash(req)?;
        let identity = world.identity_by_access_key(auth.access_key)?;

        let canonical_hash = CANONICAL.with_borrow_mut(|canonical| {
            canonical.clear();
            if canonical.capacity() > MAX_KEPT_CANONICAL {
                *canonical = String::with_capacity(CANONICAL_CAPACITY);
            }
            canonical.push_str(req.method.as_str());
            canonical.push('\n');
            canonical_path(canonical, req.uri.path())?;
            canonical.push('\n');
            canonical_query(canonical, req.uri.query())?;
            canonical.push('\n');
            canonical_headers(canonical, req.headers, auth.signed_headers)?;
            canonical.push('\n');
            canonical.push_str(auth.signed_headers);
            canonical.push('\n');
            canonical.push_str(payload);
            Some(Sha256::digest(canonical.as_bytes()))
        })?;
        let mut canonical_hex = [0_u8; 64];
        hex::encode_to_slice(canonical_hash, &mut canonical_hex).ok()?;

        let date: [u8; 8] = auth.date.as_bytes().try_into().ok()?;
        let mut mac = self
            .keys
            .mac(auth.access_key, &date, auth.region, identity.secret_key())?;
        // The string to sign, fed to the MAC as it is written.
        for part in [
            b"AWS4-HMAC-SHA256\n".as_slice(),
            amz_date.as_bytes(),
            b"\n",
            auth.date.as_bytes(),
            b"/",
            auth.region.as_bytes(),
            b"/s3/aws4_request\n",
            &canonical_hex,
        ] {
            mac.update(part);
        }
        let mut claimed = [0_u8; 32];
        hex::decode_to_slice(auth.signature, &mut claimed).ok()?;
        mac.verify_slice(&claimed).ok()?;
        Some(VerifiedSigV4 {
            access_key: auth.access_key.to_owned(),
            region: auth.region.to_owned(),
        })
    }
}

thread_local! {
    /// The buffer each request's canonical request is written into before it is
    /// hashed, kept per thread rather than allocated per request.
    static CANONICAL: std::cell::RefCell<String> = std::cell::RefCell::new(String::with_capacity(CANONICAL_CAPACITY));
}

/// Room for a usual canonical request (an SDK's has half a kilobyte or so).
const CANONICAL_CAPACITY: usize = 1024;

/// The largest canonical buffer kept for the next request: one that grew past it for
/// an unusually large request is let go.
const MAX_KEPT_CANONICAL: usize = 16 * 1024;

/// The header's only value, as text.
pub(crate) fn unique(headers: &HeaderMap, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    let mut all = headers.get_all(name).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

pub(crate) fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/s3/aws4_request,
/// SignedHeaders=a;b;c, Signature=<64 hex>` as SDKs write it (comma and at most one
/// space between the parts), nothing else.
fn parse_authorization(header: &str) -> Option<Authorization<'_>> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256 Credential=")?;
    let (credential, rest) = rest.split_once(',')?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let rest = rest.strip_prefix("SignedHeaders=")?;
    let (signed_headers, rest) = rest.split_once(',')?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let signature = rest.strip_prefix("Signature=")?;
    if !is_lower_hex(signature, 64) {
        return None;
    }
    let mut parts = split_at_byte(credential, b'/');
    let access_key = parts.next()?;
    let date = parts.next()?;
    let region = parts.next()?;
    if parts.next()? != "s3" || parts.next()? != "aws4_request" || parts.next().is_some() {
        return None;
    }
    let key_ok = !access_key.is_empty() && access_key.bytes().all(|b| b.is_ascii_alphanumeric());
    let date_ok = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
    // s3s takes the scope's region as the request's and refuses one outside [a-z0-9-].
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(key_ok && date_ok && region_ok) {
        return None;
    }
    // Names in ascending order, each once: the order the canonical request lists them.
    let mut previous: Option<&str> = None;
    for name in split_at_byte(signed_headers, b';') {
        let name_ok = !name.is_empty()
            && name != "authorization"
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok || previous.is_some_and(|p| p >= name) {
            return None;
        }
        previous = Some(name);
    }
    Some(Authorization {
        access_key,
        date,
        region,
        signed_headers,
        signature,
    })
}

/// `s` split at each `sep` (an ASCII byte), as `str::split` splits it. The pieces
/// here (header names, a credential's parts) are a few bytes each, which a plain scan
/// finds sooner than `str::split`'s search does.
fn split_at_byte(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    debug_assert!(sep.is_ascii());
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = current.get(i + 1..);
                current.get(..i)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// `YYYYMMDDTHHMMSSZ`, a real date and time.
fn parse_amz_date(s: &str) -> Option<time::OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u16> {
        let part = b.get(r)?;
        part.iter()
            .try_fold(0u16, |n, &c| c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0')))
    };
    let year = i32::from(digits(0..4)?);
    let month = time::Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?;
    let day = u8::try_from(digits(6..8)?).ok()?;
    let hour = u8::try_from(digits(9..11)?).ok()?;
    let minute = u8::try_from(digits(11..13)?).ok()?;
    let second = u8::try_from(digits(13..15)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(date.with_hms(hour, minute, second).ok()?.assume_utc())
}

/// The payload hash the canonical request ends with, when this check can stand in
/// for s3s's handling of it: `UNSIGNED-PAYLOAD` with a known length, or the SHA-256
/// of a body read whole, which must be that body's (s3s would check it as the body
/// is read). Streaming payloads and hashes of a body still to come are s3s's.
fn payload_hash<'r>(req: &RequestView<'r>) -> Option<&'r str> {
    let claimed = unique(req.headers, &s3s::header::X_AMZ_CONTENT_SHA256)?;
    let declared = match req.headers.get(CONTENT_LENGTH) {
        None => None,
        Some(v) => {
            let v = v.to_str().ok()?;
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(v.parse::<u64>().ok()?)
        }
    };
    if claimed == "UNSIGNED-PAYLOAD" {
        return match (req.body, declared) {
            (BodyView::Whole(_), _) | (BodyView::Streaming, Some(_)) => Some(claimed),
            (BodyView::Streaming, None) => None,
        };
    }
    if !is_lower_hex(claimed, 64) {
        return None;
    }
    let BodyView::Whole(bytes) = req.body else {
        return None;
    };
    if declared.is_some_and(|n| n != bytes.len() as u64) {
        return None;
    }
    let matches = if bytes.is_empty() {
        claimed == EMPTY_SHA256
    } else {
        let mut hashed = [0_u8; 64];
        hex::encode_to_slice(Sha256::digest(bytes), &mut hashed).is_ok() && hashed == claimed.as_bytes()
    };
    matches.then_some(claimed)
}

/// Whether `b` is left as is by SigV4's URI encoding.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// SigV4's URI encoding of `input` (each byte but the unreserved ones as `%XX`,
/// upper-case; `/` kept unless `encode_slash`).
fn uri_encode(out: &mut String, input: &str, encode_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let kept = |b: u8| unreserved(b) || (b == b'/' && !encode_slash);
    // Runs of kept bytes are copied whole. Every kept byte is ASCII, so each run
    // starts and ends on a character boundary and the splits below always succeed.
    let mut rest = input;
    while !rest.is_empty() {
        let run = rest.bytes().position(|b| !kept(b)).unwrap_or(rest.len());
        let Some((copied, escaped)) = rest.split_at_checked(run) else {
            return;
        };
        out.push_str(copied);
        let end = escaped.bytes().position(kept).unwrap_or(escaped.len());
        for &b in &escaped.as_bytes()[..end] {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        rest = escaped.get(end..).unwrap_or_default();
    }
}

/// Whether every `%` in `s` starts a `%XX` escape.
fn escapes_well_formed(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'%'
            || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// The canonical URI: the decoded path encoded again, `/` kept (S3 does not normalise
/// the path, and neither do SDKs signing for it).
fn canonical_path(out: &mut String, raw: &str) -> Option<()> {
    if !escapes_well_formed(raw) {
        return None;
    }
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    uri_encode(out, &decoded, false);
    Some(())
}

/// The canonical query string, for a query every name and value of which is already
/// written canonically (then it is the query's pairs sorted by name; `name` alone is
/// `name=`). Any other query (a `+`, a lower-case or needless escape, a repeated or
/// empty parameter, a presigned or SigV2 signature) is s3s's to judge.
fn canonical_query(out: &mut String, query: Option<&str>) -> Option<()> {
    let Some(query) = query else { return Some(()) };
    // One parameter (`x-id=GetObject`, as SDKs send on object requests) needs no
    // sorting, and so no list.
    if !query.contains('&') {
        push_pair(out, canonical_pair(query)?);
        return Some(());
    }
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for pair in query.split('&') {
        pairs.push(canonical_pair(pair)?);
    }
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    if pairs.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    for (i, pair) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_pair(out, pair);
    }
    Some(())
}

/// `name=value`, as the canonical query lists a parameter.
fn push_pair(out: &mut String, (name, value): (&str, &str)) {
    out.push_str(name);
    out.push('=');
    out.push_str(value);
}

/// A query parameter's name and value (`name` alone is `name=`), when both are written
/// canonically and the parameter is no signature.
fn canonical_pair(pair: &str) -> Option<(&str, &str)> {
    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
    if name.is_empty() || !is_canonical_component(name) || !is_canonical_component(value) {
        return None;
    }
    if matches!(
        name,
        "Signature" | "X-Amz-Signature" | "X-Amz-Credential" | "AWSAccessKeyId"
    ) {
        return None;
    }
    Some((name, value))
}

/// Whether `raw` decodes (UTF-8) to a string whose SigV4 encoding is `raw` itself.
fn is_canonical_component(raw: &str) -> bool {
    // Unreserved characters only (what most parameters are, `x-id=GetObject` among
    // them): each encodes as itself.
    if raw.bytes().all(unreserved) {
        return true;
    }
    if raw.contains('+') || !escapes_well_formed(raw) {
        return false;
    }
    let Ok(decoded) = percent_decode_str(raw).decode_utf8() else {
        return false;
    };
    let mut encoded = String::with_capacity(raw.len());
    uri_encode(&mut encoded, &decoded, true);
    encoded == raw
}

/// `name:value\n` for each signed header (value trimmed, inner runs of white space
/// as one space), each present once with a text value.
fn canonical_headers(out: &mut String, headers: &HeaderMap, signed: &str) -> Option<()> {
    // One pass over the request's headers finds each signed header's value, rather
    // than parsing and hashing every signed name for a lookup of its own. The names are
    // each given once (the Authorization parse checked).
    let mut names = [""; MAX_SIGNED_HEADERS];
    let mut count = 0;
    for name in split_at_byte(signed, b';') {
        *names.get_mut(count)? = name;
        count += 1;
    }
    let names = &names[..count];
    let mut values: [Option<&hyper::header::HeaderValue>; MAX_SIGNED_HEADERS] = [None; MAX_SIGNED_HEADERS];
    for (name, value) in headers {
        // Lengths first: most of a request's headers are unsigned, and a name of
        // another length is no match without comparing its bytes.
        let name = name.as_str();
        if let Some(i) = names.iter().position(|n| n.len() == name.len() && *n == name)
            && values[i].replace(value).is_some()
        {
            // A signed header sent more than once is s3s's to judge.
            return None;
        }
    }
    for (name, value) in names.iter().zip(values) {
        let value = value?;
        let bytes = value.as_bytes();
        out.push_str(name);
        out.push(':');
        // SigV4 trims a value and folds its runs of spaces into one; most values
        // (dates, hashes, hosts) are visible ASCII with nothing to fold, written as
        // they are after one look at their bytes.
        if written_as_is(bytes) {
            out.push_str(std::str::from_utf8(bytes).ok()?);
        } else {
            let mut first = true;
            for word in value.to_str().ok()?.split_whitespace() {
                if !first {
                    out.push(' ');
                }
                out.push_str(word);
                first = false;
            }
        }
        out.push('\n');
    }
    Some(())
}

/// Whether a header value is its own canonical form: visible ASCII and single spaces,
/// none at either end. Folds without an early exit, which the compiler turns into
/// checks of many bytes at once (values such as user agents run to a hundred bytes).
fn written_as_is(bytes: &[u8]) -> bool {
    let visible = bytes.iter().fold(true, |ok, &b| ok & matches!(b, b' '..=b'~'));
    let next = bytes.get(1..).unwrap_or_default();
    let doubled = bytes
        .iter()
        .zip(next)
        .fold(false, |any, (&a, &b)| any | ((a == b' ') & (b == b' ')));
    visible && !doubled && bytes.first() != Some(&b' ') && bytes.last() != Some(&b' ')
}

/// The most signed headers the check reads; a request signing more is s3s's to check.
const MAX_SIGNED_HEADERS: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OWNER: &str = "111122223333";
    /// What SDKs percent-encode in a path: all but the unreserved characters and `/`.
    const PATH_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    const QUERY_SET: &percent_encoding::AsciiSet = &PATH_SET.add(b'/');
    const REGION: &str = "eu-west-1";

    fn world() -> World {
        let mut w = World::new();
        w.add_bucket("bkt", REGION, OWNER).expect("fresh world");
        w
    }

    /// A request signed by aws-sigv4 (the SDKs' signer) as the owner's root.
    fn signed(
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        payload: &str,
        secret: &str,
        at: std::time::SystemTime,
    ) -> hyper::Request<()> {
        let url = format!("http://127.0.0.1:9000{target}");
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(target)
            .header("host", "127.0.0.1:9000")
            .header("x-amz-content-sha256", payload);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b.body(()).expect("a request");
        let identity =
            aws_credential_types::Credentials::new(format!("AKIAROOT{OWNER}"), secret, None, None, "t").into();
        let mut settings = aws_sigv4::http_request::SigningSettings::default();
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name("s3")
            .time(at)
            .settings(settings)
            .build()
            .expect("params")
            .into();
        let pairs: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().expect("text").to_owned()))
            .collect();
        let signable = aws_sigv4::http_request::SignableRequest::new(
            method,
            url,
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            aws_sigv4::http_request::SignableBody::Precomputed(payload.to_owned()),
        )
        .expect("signable");
        let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
            .expect("signs")
            .into_parts();
        instructions.apply_to_request_http1x(&mut req);
        req
    }

    fn check(req: &hyper::Request<()>, body: BodyView<'_>, world: &World, sig: &HeaderSigV4) -> Option<VerifiedSigV4> {
        let view = RequestView {
            method: req.method(),
            uri: req.uri(),
            version: Version::HTTP_11,
            headers: req.headers(),
            body,
        };
        sig.verify(world, &view, time::OffsetDateTime::now_utc())
    }

    proptest! {
        /// Requests signed as SDKs sign them, with paths and queries in canonical form,
        /// verify; the key is derived once and then reused.
        #[test]
        fn what_sdks_sign_verifies(
            key in "[A-Za-z0-9 ~+()!é/._-]{1,16}",
            prefix in "[A-Za-z0-9 ~+/é_-]{0,8}",
            note in "[a-z]{1,4}( {1,3}[a-z]{1,4}){0,2}",
            list in any::<bool>(),
            unsigned in any::<bool>(),
        ) {
            let w = world();
            let sig = HeaderSigV4::new();
            let target = if list {
                format!("/bkt?list-type=2&prefix={}", percent_encoding::utf8_percent_encode(&prefix, QUERY_SET))
            } else {
                format!("/bkt/{}", percent_encoding::utf8_percent_encode(&key, PATH_SET))
            };
            let payload = if unsigned { "UNSIGNED-PAYLOAD" } else { EMPTY_SHA256 };
            let note = format!(" {note} ");
            let req = signed("GET", &target, &[("x-amz-meta-note", &note)], payload, &format!("root-secret-{OWNER}"), std::time::SystemTime::now());
            let verified = check(&req, BodyView::Whole(b""), &w, &sig);
            prop_assert_eq!(
                verified,
                Some(VerifiedSigV4 { access_key: format!("AKIAROOT{OWNER}"), region: REGION.to_owned() })
            );
            prop_assert!(check(&req, BodyView::Whole(b""), &w, &sig).is_some());
            prop_assert_eq!(sig.keys().len(), 1);
        }

        /// A query of one parameter (as SDKs send `x-id=GetObject`) verifies when it
        /// is written canonically, and is left to s3s when an escape is needless or
        /// lower-case, as with several parameters.
        #[test]
        fn one_parameter_queries_verify_when_canonical(
            name in "[A-Za-z0-9 ~+é_-]{1,8}",
            value in proptest::option::of("[A-Za-z0-9 ~+/é_-]{0,8}"),
        ) {
            let w = world();
            let sig = HeaderSigV4::new();
            let secret = format!("root-secret-{OWNER}");
            let encoded_name = percent_encoding::utf8_percent_encode(&name, QUERY_SET).to_string();
            let query = match &value {
                Some(v) => format!("{encoded_name}={}", percent_encoding::utf8_percent_encode(v, QUERY_SET)),
                None => encoded_name.clone(),
            };
            let req = signed("GET", &format!("/bkt/k?{query}"), &[], EMPTY_SHA256, &secret, std::time::SystemTime::now());
            prop_assert!(check(&req, BodyView::Whole(b""), &w, &sig).is_some(), "{}", query);
            // The same parameter with its first letter needlessly escaped.
            if let Some(i) = query.find(|c: char| c.is_ascii_alphanumeric()) {
                let escaped = format!("{}%{:02X}{}", &query[..i], query.as_bytes()[i], &query[i + 1..]);
                let mut odd = req.clone();
                *odd.uri_mut() = format!("/bkt/k?{escaped}").parse().expect("a target");
                prop_assert!(check(&odd, BodyView::Whole(b""), &w, &sig).is_none(), "{}", escaped);
            }
        }
    }

    #[test]
    fn tampered_requests_are_left_to_s3s() {
        let w = world();
        let sig = HeaderSigV4::new();
        let secret = format!("root-secret-{OWNER}");
        let now = std::time::SystemTime::now();
        let ok = signed("GET", "/bkt/k", &[("x-amz-meta-a", "1")], EMPTY_SHA256, &secret, now);
        assert!(check(&ok, BodyView::Whole(b""), &w, &sig).is_some());

        let wrong_secret = signed("GET", "/bkt/k", &[], EMPTY_SHA256, "nope", now);
        assert!(check(&wrong_secret, BodyView::Whole(b""), &w, &sig).is_none());

        let mut tampered = ok.clone();
        tampered
            .headers_mut()
            .insert("x-amz-meta-a", "2".parse().expect("value"));
        assert!(check(&tampered, BodyView::Whole(b""), &w, &sig).is_none());

        let mut unsigned_added = ok.clone();
        unsigned_added
            .headers_mut()
            .insert("x-other", "2".parse().expect("value"));
        assert!(check(&unsigned_added, BodyView::Whole(b""), &w, &sig).is_some());

        // A body that is not the one hashed, or one still streaming.
        assert!(check(&ok, BodyView::Whole(b"x"), &w, &sig).is_none());
        assert!(check(&ok, BodyView::Streaming, &w, &sig).is_none());

        let skewed = signed(
            "GET",
            "/bkt/k",
            &[],
            EMPTY_SHA256,
            &secret,
            now - std::time::Duration::from_secs(1000),
        );
        assert!(check(&skewed, BodyView::Whole(b""), &w, &sig).is_none());

        let streaming = signed("PUT", "/bkt/k", &[], "STREAMING-UNSIGNED-PAYLOAD-TRAILER", &secret, now);
        assert!(check(&streaming, BodyView::Streaming, &w, &sig).is_none());

        // UNSIGNED-PAYLOAD on a streaming body needs a declared length.
        let unsigned = signed(
            "PUT",
            "/bkt/k",
            &[("content-length", "3")],
            "UNSIGNED-PAYLOAD",
            &secret,
            now,
        );
        assert!(check(&unsigned, BodyView::Streaming, &w, &sig).is_some());
        let mut no_length = unsigned.clone();
        no_length.headers_mut().remove(CONTENT_LENGTH);
        assert!(check(&no_length, BodyView::Streaming, &w, &sig).is_none());
    }

    proptest! {
        /// Splitting at a byte gives what `str::split` gives, empty pieces included.
        #[test]
        fn splitting_at_a_byte_is_str_split(s in "[a-z;/é]{0,12}", sep in proptest::sample::select(vec![b';', b'/'])) {
            let ours: Vec<&str> = split_at_byte(&s, sep).collect();
            let std: Vec<&str> = s.split(char::from(sep)).collect();
            prop_assert_eq!(ours, std);
        }

        /// The run-at-a-time URI encoding is SigV4's byte-at-a-time definition.
        #[test]
        fn uri_encoding_escapes_byte_by_byte(s in "[a-zA-Z0-9/ %~._é€-]{0,16}", encode_slash in any::<bool>()) {
            let mut ours = String::new();
            uri_encode(&mut ours, &s, encode_slash);
            let mut defined = String::new();
            for &b in s.as_bytes() {
                if unreserved(b) || (b == b'/' && !encode_slash) {
                    defined.push(char::from(b));
                } else {
                    defined.push_str(&format!("%{b:02X}"));
                }
            }
            prop_assert_eq!(ours, defined);
        }

        /// A value is written as it is exactly when trimming it and folding its
        /// spaces changes nothing and it is visible ASCII.
        #[test]
        fn values_written_as_is_need_no_folding(s in "[a-z \t\x7fé]{0,12}") {
            let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
            let visible = s.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
            prop_assert_eq!(written_as_is(s.as_bytes()), visible && folded == s);
        }
    }

    #[test]
    fn parses_the_header_sdks_write() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, \
                 SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        assert_eq!(
            parse_authorization(h),
            Some(Authorization {
                access_key: "AKIDEXAMPLE",
                date: "20150830",
                region: "us-east-1",
                signed_headers: "host;x-amz-content-sha256;x-amz-date",
                signature: "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            })
        );
    }

    #[test]
    fn leaves_other_headers_to_s3s() {
        let sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        for h in [
            // another service, unsorted or repeated names, upper-case signature, SigV4A
            format!(
                "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/sts/aws4_request, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date;host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature={}",
                sig.to_uppercase()
            ),
            format!(
                "AWS4-ECDSA-P256-SHA256 Credential=AK/20150830/s3/aws4_request, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AK/20150830/US-EAST-1/s3/aws4_request, SignedHeaders=host, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=, Signature={sig}"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request,  SignedHeaders=host, Signature={sig}"
            ),
        ] {
            assert_eq!(parse_authorization(&h), None, "{h}");
        }
    }

    #[test]
    fn amz_dates_must_be_real() {
        assert!(parse_amz_date("20150830T123600Z").is_some());
        for d in [
            "20150230T123600Z",
            "20150830T246000Z",
            "20150830 123600Z",
            "2015083T123600Z",
            "20150830T12360aZ",
        ] {
            assert!(parse_amz_date(d).is_none(), "{d}");
        }
    }

    /// The signing key of the worked example in
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>
    /// (secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, 20150830, us-east-1), for
    /// service `iam` there; here computed for `s3` and checked against the same
    /// derivation done step by step.
    #[test]
    fn signing_key_is_the_documented_derivation() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), b"20150830");
        let k_region = hmac(&k_date, b"us-east-1");
        let k_service = hmac(&k_region, b"s3");
        let k_signing = hmac(&k_service, b"aws4_request");
        assert_eq!(signing_key(secret, b"20150830", "us-east-1"), k_signing);
        assert_ne!(signing_key(secret, b"20150831", "us-east-1"), k_signing);
    }

    #[test]
    fn the_key_cache_is_bounded() {
        let keys = SigningKeys::default();
        for i in 0..(MAX_KEYS + 10) {
            let region = format!("r-{i}");
            assert!(keys.mac("AK", b"20150830", &region, "secret").is_some());
        }
        assert_eq!(keys.len(), MAX_KEYS);
    }

    #[test]
    fn canonical_components() {
        for ok in ["abc", "a%2Fb", "%E2%82%AC", "", "list-type", "2"] {
            assert!(is_canonical_component(ok), "{ok}");
        }
        for bad in ["a+b", "a/b", "a%2fb", "%41", "a b", "%", "%E2%82", "a=b"] {
            assert!(!is_canonical_component(bad), "{bad}");
        }
        let mut out = String::new();
        assert!(canonical_query(&mut out, Some("prefix=a%2F&list-type=2&delimiter=%2F")).is_some());
        assert_eq!(out, "delimiter=%2F&list-type=2&prefix=a%2F");
        let mut out = String::new();
        assert!(canonical_query(&mut out, Some("uploads")).is_some());
        assert_eq!(out, "uploads=");
        for q in ["a=1&a=2", "a=1&&b=2", "", "X-Amz-Signature=abc"] {
            assert!(canonical_query(&mut String::new(), Some(q)).is_none(), "{q}");
        }
    }

    #[test]
    fn canonical_paths() {
        let mut out = String::new();
        assert!(canonical_path(&mut out, "/b/a%20b/%E2%82%AC~x").is_some());
        assert_eq!(out, "/b/a%20b/%E2%82%AC~x");
        let mut out = String::new();
        assert!(canonical_path(&mut out, "/b/a+b(1)").is_some());
        assert_eq!(out, "/b/a%2Bb%281%29");
        assert!(canonical_path(&mut String::new(), "/b/%zz").is_none());
        assert!(canonical_path(&mut String::new(), "/b/%FF").is_none());
    }
}
