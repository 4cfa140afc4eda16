//! What a PutObject or UploadPart request claims about its bytes, checked as S3 checks
//! it (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>): one
//! `x-amz-checksum-*` value, sent as a header or as an aws-chunked trailer named by
//! `x-amz-trailer`, and the decoded length of an aws-chunked body. The checksums
//! themselves live in [`crate::sim::store::checksum`].
//!
//! Use: [`Claim::of`] on the request's headers before its body is read, a
//! [`Claim::hasher`] fed every byte of the body, then [`Claim::object`] (PutObject) or
//! [`Claim::part`] (UploadPart) once the body, and so its trailers, are in.

use hyper::HeaderMap;
use hyper::header::HeaderValue;
use s3s::dto::{ChecksumMode, ChecksumType};
use s3s::{S3Error, S3ErrorCode, S3Result, TrailingHeaders, s3_error};

use crate::sim::store::Object;
use crate::sim::store::checksum::{Algorithm, ChecksumKind, Digest, Digests, Hasher, ObjectChecksum, decode};

/// The checksum a request claims for its body.
#[derive(Debug, Clone, Default)]
pub(super) struct Claim {
    /// A value sent as a header.
    header: Option<(Algorithm, Digest)>,
    /// An algorithm whose value follows the body as an aws-chunked trailer.
    trailer: Option<Algorithm>,
    /// `x-amz-decoded-content-length` of an aws-chunked body.
    decoded_length: Option<u64>,
}

/// The headers a claim is read from, each its first value as `HeaderMap::get` gives
/// it, found in one pass over the request's headers rather than a lookup (a parse and
/// a hash of the name) each.
#[derive(Default)]
struct Sent<'h> {
    /// `x-amz-checksum-*`, in [`Algorithm::ALL`]'s order.
    checksums: [Option<&'h HeaderValue>; 5],
    trailer: Option<&'h HeaderValue>,
    sdk_algorithm: bool,
    content_sha256: Option<&'h HeaderValue>,
    decoded_length: Option<&'h HeaderValue>,
}

impl<'h> Sent<'h> {
    fn of(headers: &'h HeaderMap) -> Self {
        let mut sent = Self::default();
        for (name, value) in headers {
            let Some(rest) = name.as_str().strip_prefix("x-amz-") else {
                continue;
            };
            let slot = match rest {
                "trailer" => &mut sent.trailer,
                "content-sha256" => &mut sent.content_sha256,
                "decoded-content-length" => &mut sent.decoded_length,
                "sdk-checksum-algorithm" => {
                    sent.sdk_algorithm = true;
                    continue;
                }
                _ => match Algorithm::ALL.iter().position(|a| a.header() == name.as_str()) {
                    Some(i) => &mut sent.checksums[i],
                    None => continue,
                },
            };
            slot.get_or_insert(value);
        }
        sent
    }
}

impl Claim {
    /// Reads the claim from the headers: at most one `x-amz-checksum-*` value (header
    /// or trailer), each a well-formed digest, and an `x-amz-sdk-checksum-algorithm`
    /// only with a value to go with it.
    pub(super) fn of(headers: &HeaderMap) -> S3Result<Self> {
        let sent = Sent::of(headers);
        let mut header = None;
        let mut count = 0;
        for (a, v) in Algorithm::ALL.into_iter().zip(sent.checksums) {
            let Some(v) = v else { continue };
            count += 1;
            let digest = v
                .to_str()
                .ok()
                .and_then(|v| decode(a, v))
                .ok_or_else(|| invalid_value(a, "header"))?;
            header = Some((a, digest));
        }
        let trailer = match sent.trailer {
            None => None,
            Some(v) => {
                count += 1;
                let name = v.to_str().unwrap_or_default();
                Some(
                    Algorithm::parse(name)
                        .filter(|a| a.header().eq_ignore_ascii_case(name.trim()))
                        .ok_or_else(|| {
                            s3_error!(
                                InvalidRequest,
                                "The value specified in the x-amz-trailer header is not supported"
                            )
                        })?,
                )
            }
        };
        if count > 1 {
            return Err(s3_error!(
                InvalidRequest,
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
            ));
        }
        if count == 0 && sent.sdk_algorithm {
            return Err(s3_error!(
                InvalidRequest,
                "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."
            ));
        }
        let chunked = sent
            .content_sha256
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("STREAMING-"));
        let decoded_length = sent
            .decoded_length
            .filter(|_| chunked)
            .and_then(|v| v.to_str().ok()?.trim().parse().ok());
        Ok(Self {
            header,
            trailer,
            decoded_length,
        })
    }

    /// The algorithm the request claims a value of.
    pub(super) fn algorithm(&self) -> Option<Algorithm> {
        self.header.as_ref().map(|(a, _)| *a).or(self.trailer)
    }

    /// A hasher for a PutObject body: the claimed algorithm, which the object keeps,
    /// else the default CRC-64/NVME.
    pub(super) fn object_hasher(&self) -> Hasher {
        Hasher::new([self.algorithm().unwrap_or(Algorithm::Crc64Nvme)])
    }

    /// A hasher for an UploadPart body: the claimed algorithm and the one the part
    /// keeps, [`part_algorithm`]`(upload)`.
    pub(super) fn part_hasher(&self, upload: Option<(Algorithm, ChecksumKind)>) -> Hasher {
        Hasher::new(self.algorithm().into_iter().chain([part_algorithm(upload)]))
    }

    /// PutObject: the claim checked against the body's `len` bytes and their digests,
    /// and the object's full-object checksum: the claimed algorithm's, else the
    /// CRC-64/NVME S3 adds to uploads without one ("default data integrity
    /// protections" on the page above). The digests are an
    /// [`Claim::object_hasher`]'s.
    pub(super) fn object(
        &self,
        len: u64,
        digests: &Digests,
        trailers: Option<&TrailingHeaders>,
    ) -> S3Result<ObjectChecksum> {
        let algorithm = self.verify(len, digests, trailers)?.unwrap_or(Algorithm::Crc64Nvme);
        let digest = digests.get(algorithm).cloned().ok_or_else(not_computed)?;
        Ok(ObjectChecksum::full(algorithm, digest))
    }

    /// UploadPart of an upload created with `upload` (its algorithm and type): the
    /// claim checked against the part's bytes, and the part's digest of the upload's
    /// algorithm (CRC-64/NVME for an upload that named none). A composite upload wants
    /// each part's checksum of its algorithm; a full-object upload lets a part leave it
    /// out but not name another algorithm. An upload created without an algorithm takes
    /// a part checksum of any algorithm, checks it and keeps its own default, because
    /// current SDKs send CRC32 with every part whatever the upload was created with.
    /// The digests are a [`Claim::part_hasher`]'s.
    pub(super) fn part(
        &self,
        upload: Option<(Algorithm, ChecksumKind)>,
        len: u64,
        digests: &Digests,
        trailers: Option<&TrailingHeaders>,
    ) -> S3Result<(Algorithm, Digest)> {
        if let Some((expected, kind)) = upload {
            let actual = self.algorithm();
            if actual.is_some_and(|a| a != expected) || (actual.is_none() && kind == ChecksumKind::Composite) {
                return Err(s3_error!(
                    InvalidRequest,
                    "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                    expected.name().to_ascii_lowercase(),
                    actual.map_or("null".to_owned(), |a| a.name().to_ascii_lowercase())
                ));
            }
        }
        self.verify(len, digests, trailers)?;
        let algorithm = part_algorithm(upload);
        let digest = digests.get(algorithm).cloned().ok_or_else(not_computed)?;
        Ok((algorithm, digest))
    }

    /// Checks the decoded length and the claimed value; returns the claimed algorithm.
    fn verify(&self, len: u64, digests: &Digests, trailers: Option<&TrailingHeaders>) -> S3Result<Option<Algorithm>> {
        // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html: S3 answers
        // an aws-chunked body whose decoded bytes are not x-amz-decoded-content-length
        // with IncompleteBody.
        if let Some(declared) = self.decoded_length
            && declared != len
        {
            return Err(s3_error!(
                IncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP header"
            ));
        }
        let trailed;
        let (algorithm, claimed) = match (&self.header, self.trailer) {
            (Some((a, d)), _) => (*a, d),
            (None, Some(a)) => {
                trailed = trailer_value(a, trailers)?;
                (a, &trailed)
            }
            (None, None) => return Ok(None),
        };
        if digests.get(algorithm) != Some(claimed) {
            return Err(S3Error::with_message(
                S3ErrorCode::BadDigest,
                format!(
                    "The {} you specified did not match the calculated checksum.",
                    algorithm.name()
                ),
            ));
        }
        Ok(Some(algorithm))
    }
}

/// The algorithm a part of an upload created with `upload` keeps.
pub(super) fn part_algorithm(upload: Option<(Algorithm, ChecksumKind)>) -> Algorithm {
    upload.map_or(Algorithm::Crc64Nvme, |(a, _)| a)
}

/// The value of an aws-chunked trailer, which arrives after the body.
fn trailer_value(a: Algorithm, trailers: Option<&TrailingHeaders>) -> S3Result<Digest> {
    let value = trailers
        .and_then(|t| t.read(|h| h.get(a.header()).and_then(|v| v.to_str().ok()).map(str::to_owned)))
        .flatten()
        .ok_or_else(|| {
            // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
            let mut e = S3Error::with_message(
                S3ErrorCode::Custom("MalformedTrailerError".into()),
                "The request contained trailing data that was not well-formed or did not conform to our published schema.",
            );
            e.set_status_code(hyper::StatusCode::BAD_REQUEST);
            e
        })?;
    decode(a, &value).ok_or_else(|| invalid_value(a, "trailing header"))
}

fn invalid_value(a: Algorithm, place: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        format!("Value for {} {place} is invalid.", a.header()),
    )
}

fn not_computed() -> S3Error {
    s3_error!(InternalError, "a checksum the simulator needed was not computed")
}

/// The checksum a GET or HEAD answers with: only when asked (`x-amz-checksum-mode:
/// ENABLED`), never for a byte range (the stored checksum is not the range's), and for
/// a `partNumber` read the part's own checksum when the object kept its parts' (a
/// composite upload), the whole object's when the object is one part, else none
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>,
/// `x-amz-checksum-mode`).
pub(super) fn served(
    o: &Object,
    mode: Option<&ChecksumMode>,
    ranged: bool,
    part_number: Option<i32>,
) -> Option<ObjectChecksum> {
    if !mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED)) || ranged {
        return None;
    }
    let c = o.checksum()?;
    match (part_number, o.parts()) {
        (None, _) | (Some(1), None) => Some(c.clone()),
        (Some(n), Some(_)) if c.kind == ChecksumKind::Composite => c.part(u32::try_from(n).ok()?),
        _ => None,
    }
}

/// CreateMultipartUpload's `x-amz-checksum-algorithm` and `x-amz-checksum-type`: a type
/// needs an algorithm, full object is for CRCs only and composite is not for
/// CRC-64/NVME (the checksum types on the page above).
pub(super) fn upload_checksum(
    algorithm: Option<&str>,
    kind: Option<&str>,
) -> S3Result<Option<(Algorithm, ChecksumKind)>> {
    let algorithm = algorithm
        .map(|a| {
            Algorithm::parse(a).ok_or_else(|| {
                s3_error!(
                    InvalidRequest,
                    "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"
                )
            })
        })
        .transpose()?;
    let kind = kind
        .map(|k| {
            ChecksumKind::parse(k)
                .ok_or_else(|| s3_error!(InvalidRequest, "Value for x-amz-checksum-type header is invalid."))
        })
        .transpose()?;
    match (algorithm, kind) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(s3_error!(
            InvalidRequest,
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
        )),
        (Some(a), None) => Ok(Some((a, a.default_multipart_kind()))),
        (Some(a), Some(k)) => {
            let fits = match k {
                ChecksumKind::FullObject => a.supports_full_object_multipart(),
                ChecksumKind::Composite => a.supports_composite(),
            };
            if !fits {
                return Err(s3_error!(
                    InvalidRequest,
                    "The {} checksum type cannot be used with the {} checksum algorithm.",
                    k.name(),
                    a.name().to_ascii_lowercase()
                ));
            }
            Ok(Some((a, k)))
        }
    }
}

/// A checksum as an answer carries it: the algorithm's field set to the value.
pub(super) struct Fields {
    pub crc32: Option<String>,
    pub crc32c: Option<String>,
    pub crc64nvme: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    pub kind: Option<ChecksumType>,
}

impl Fields {
    /// The fields for `checksum` (none for `None`).
    pub(super) fn of(checksum: Option<&ObjectChecksum>) -> Self {
        let mut f = Self {
            crc32: None,
            crc32c: None,
            crc64nvme: None,
            sha1: None,
            sha256: None,
            kind: checksum.map(|c| ChecksumType::from_static(c.kind.name())),
        };
        if let Some(c) = checksum {
            let slot = match c.algorithm {
                Algorithm::Crc32 => &mut f.crc32,
                Algorithm::Crc32c => &mut f.crc32c,
                Algorithm::Crc64Nvme => &mut f.crc64nvme,
                Algorithm::Sha1 => &mut f.sha1,
                Algorithm::Sha256 => &mut f.sha256,
            };
            *slot = Some(c.value());
        }
        f
    }
}

/// Sets an output's `checksum_*` fields (and `checksum_type`, when it has one) from an
/// `Option<&ObjectChecksum>`.
macro_rules! set_checksum {
    ($out:expr, $checksum:expr) => {{
        let f = $crate::sim::ops::integrity::Fields::of($checksum);
        $out.checksum_crc32 = f.crc32;
        $out.checksum_crc32c = f.crc32c;
        $out.checksum_crc64nvme = f.crc64nvme;
        $out.checksum_sha1 = f.sha1;
        $out.checksum_sha256 = f.sha256;
        f.kind
    }};
}
pub(super) use set_checksum;

/// The checksums a CompleteMultipartUpload's `<Part>` names.
pub(super) fn completed_part_checksums(p: &s3s::dto::CompletedPart) -> Vec<(Algorithm, String)> {
    [
        (Algorithm::Crc32, &p.checksum_crc32),
        (Algorithm::Crc32c, &p.checksum_crc32c),
        (Algorithm::Crc64Nvme, &p.checksum_crc64nvme),
        (Algorithm::Sha1, &p.checksum_sha1),
        (Algorithm::Sha256, &p.checksum_sha256),
    ]
    .into_iter()
    .filter_map(|(a, v)| Some((a, v.clone()?)))
    .collect()
}

/// S3 stores an object sent aws-chunked without that encoding
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>): the token
/// is dropped from the Content-Encoding it keeps, and an encoding of only it is none.
pub(super) fn stored_content_encoding(sent: Option<String>) -> Option<String> {
    let sent = sent?;
    if !sent.to_ascii_lowercase().contains("aws-chunked") {
        return Some(sent);
    }
    let kept: Vec<&str> = sent
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::store::checksum::{digest, encode};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn code(e: &S3Error) -> String {
        e.code().as_str().to_owned()
    }

    fn digests_of(claim: &Claim, upload: Option<(Algorithm, ChecksumKind)>, bytes: &[u8]) -> Digests {
        let mut h = claim.part_hasher(upload);
        h.update(bytes);
        h.finish()
    }

    #[test]
    fn a_matching_header_is_the_objects_checksum_and_a_wrong_one_is_bad_digest() {
        let good = encode(&digest(Algorithm::Sha256, b"body"));
        let claim = Claim::of(&headers(&[("x-amz-checksum-sha256", &good)])).unwrap();
        let d = digests_of(&claim, None, b"body");
        let c = claim.object(4, &d, None).unwrap();
        assert_eq!((c.algorithm, c.value()), (Algorithm::Sha256, good));
        let d = digests_of(&claim, None, b"other");
        let e = claim.object(5, &d, None).unwrap_err();
        assert_eq!(code(&e), "BadDigest");
        assert_eq!(
            e.message(),
            Some("The SHA256 you specified did not match the calculated checksum.")
        );
    }

    #[test]
    fn no_claim_gets_the_default_crc64nvme() {
        let claim = Claim::of(&HeaderMap::new()).unwrap();
        let d = digests_of(&claim, None, b"x");
        let c = claim.object(1, &d, None).unwrap();
        assert_eq!(c.algorithm, Algorithm::Crc64Nvme);
        assert_eq!(c.digest, digest(Algorithm::Crc64Nvme, b"x"));
    }

    #[test]
    fn malformed_multiple_and_orphan_claims_are_invalid_requests() {
        for h in [
            headers(&[("x-amz-checksum-crc32", "AAAA")]),
            headers(&[("x-amz-checksum-crc32", "AAAAAA=="), ("x-amz-checksum-sha1", "x")]),
            headers(&[
                ("x-amz-checksum-crc32", "AAAAAA=="),
                ("x-amz-trailer", "x-amz-checksum-crc32"),
            ]),
            headers(&[("x-amz-sdk-checksum-algorithm", "CRC32")]),
            headers(&[("x-amz-trailer", "x-amz-meta-foo")]),
        ] {
            let e = Claim::of(&h).unwrap_err();
            assert_eq!(code(&e), "InvalidRequest", "{h:?}");
        }
    }

    #[test]
    fn a_declared_trailer_that_never_came_is_malformed() {
        let claim = Claim::of(&headers(&[("x-amz-trailer", "x-amz-checksum-crc32")])).unwrap();
        let d = digests_of(&claim, None, b"x");
        assert_eq!(code(&claim.object(1, &d, None).unwrap_err()), "MalformedTrailerError");
    }

    #[test]
    fn a_decoded_length_that_is_not_the_bodys_is_incomplete_body() {
        let claim = Claim::of(&headers(&[
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("x-amz-decoded-content-length", "9"),
        ]))
        .unwrap();
        let d = digests_of(&claim, None, b"x");
        assert_eq!(code(&claim.object(1, &d, None).unwrap_err()), "IncompleteBody");
        // Not aws-chunked: the header means nothing.
        let claim = Claim::of(&headers(&[("x-amz-decoded-content-length", "9")])).unwrap();
        assert!(claim.object(1, &d, None).is_ok());
    }

    #[test]
    fn parts_follow_the_uploads_algorithm_and_type() {
        let crc = encode(&digest(Algorithm::Crc32, b"part"));
        let with_crc = Claim::of(&headers(&[("x-amz-checksum-crc32", &crc)])).unwrap();
        let none = Claim::of(&HeaderMap::new()).unwrap();
        let composite = Some((Algorithm::Sha256, ChecksumKind::Composite));
        let full = Some((Algorithm::Crc32, ChecksumKind::FullObject));
        let d = |c: &Claim, u| digests_of(c, u, b"part");
        let e = with_crc.part(composite, 4, &d(&with_crc, composite), None).unwrap_err();
        assert_eq!(
            e.message(),
            Some("Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32")
        );
        let e = none.part(composite, 4, &d(&none, composite), None).unwrap_err();
        assert!(e.message().unwrap().ends_with("actual checksum Type: null"));
        // A full-object upload computes what the part left out.
        let (a, got) = none.part(full, 4, &d(&none, full), None).unwrap();
        assert_eq!((a, got), (Algorithm::Crc32, digest(Algorithm::Crc32, b"part")));
        // No algorithm at creation: any claim is checked, the default is kept.
        let (a, _) = with_crc.part(None, 4, &d(&with_crc, None), None).unwrap();
        assert_eq!(a, Algorithm::Crc64Nvme);
    }

    #[test]
    fn upload_types_fit_their_algorithms() {
        assert_eq!(
            upload_checksum(Some("CRC64NVME"), None).unwrap(),
            Some((Algorithm::Crc64Nvme, ChecksumKind::FullObject))
        );
        assert_eq!(
            upload_checksum(Some("crc32"), None).unwrap(),
            Some((Algorithm::Crc32, ChecksumKind::Composite))
        );
        let e = upload_checksum(Some("SHA256"), Some("FULL_OBJECT")).unwrap_err();
        assert_eq!(
            e.message(),
            Some("The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.")
        );
        assert!(upload_checksum(Some("CRC64NVME"), Some("COMPOSITE")).is_err());
        assert!(upload_checksum(None, Some("COMPOSITE")).is_err());
        assert!(upload_checksum(Some("MD5"), None).is_err());
    }

    #[test]
    fn reads_get_the_checksum_only_in_checksum_mode_and_only_for_what_it_covers() {
        let mut o = Object::from_bytes(bytes::Bytes::from_static(b"whole"), "111122223333");
        o.set_checksum(Some(ObjectChecksum::full(
            Algorithm::Crc32,
            digest(Algorithm::Crc32, b"whole"),
        )));
        let on = ChecksumMode::from_static(ChecksumMode::ENABLED);
        assert!(served(&o, None, false, None).is_none());
        assert_eq!(served(&o, Some(&on), false, None), o.checksum().cloned());
        assert!(served(&o, Some(&on), true, None).is_none());
        // Part 1 of a single-part object is the object.
        assert_eq!(served(&o, Some(&on), false, Some(1)), o.checksum().cloned());
        assert!(served(&o, Some(&on), false, Some(2)).is_none());
    }

    #[test]
    fn aws_chunked_is_not_a_stored_encoding() {
        assert_eq!(stored_content_encoding(Some("aws-chunked".into())), None);
        assert_eq!(
            stored_content_encoding(Some("aws-chunked, gzip".into())).as_deref(),
            Some("gzip")
        );
        assert_eq!(stored_content_encoding(Some("gzip".into())).as_deref(), Some("gzip"));
        assert_eq!(stored_content_encoding(None), None);
    }
}
