//! The additional checksums S3 keeps with an object and its parts
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>):
//! the five algorithms, the two checksum types, and how a multipart object's checksum
//! is derived from its parts' checksums. Hashing is s3s's (`s3s::checksum` and
//! `s3s::crypto`); combining CRCs of adjacent byte runs is crc-fast's.

use std::sync::Arc;

use base64::Engine as _;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::Checksum as _;

/// A checksum algorithm S3 accepts in `x-amz-checksum-*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// CRC-32 (ISO-HDLC).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME, S3's default since its default integrity protections.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl Algorithm {
    /// Every algorithm, in the order S3 lists them.
    pub const ALL: [Self; 5] = [Self::Crc32, Self::Crc32c, Self::Crc64Nvme, Self::Sha1, Self::Sha256];

    /// The name S3 uses in `x-amz-checksum-algorithm` and in its messages (`CRC32`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The header (and trailer) carrying a value: `x-amz-checksum-crc32`.
    pub fn header(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm a name (`CRC32`, any case) or header name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let name = s
            .get(..14)
            .filter(|p| p.eq_ignore_ascii_case("x-amz-checksum"))
            .map_or(s, |_| s[14..].trim_start_matches('-'));
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// How many bytes a digest has.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// CRCs can be combined across parts into a checksum of the whole object; SHAs
    /// cannot, so a multipart upload with a SHA has only a composite checksum.
    pub fn supports_full_object_multipart(self) -> bool {
        matches!(self, Self::Crc32 | Self::Crc32c | Self::Crc64Nvme)
    }

    /// CRC-64/NVME has no composite form.
    pub fn supports_composite(self) -> bool {
        self != Self::Crc64Nvme
    }

    /// The checksum type a multipart upload gets when it names this algorithm and no
    /// type: full object for CRC-64/NVME, composite for the others.
    pub fn default_multipart_kind(self) -> ChecksumKind {
        if self.supports_composite() {
            ChecksumKind::Composite
        } else {
            ChecksumKind::FullObject
        }
    }

    fn crc(self) -> Option<crc_fast::CrcAlgorithm> {
        match self {
            Self::Crc32 => Some(crc_fast::CrcAlgorithm::Crc32IsoHdlc),
            Self::Crc32c => Some(crc_fast::CrcAlgorithm::Crc32Iscsi),
            Self::Crc64Nvme => Some(crc_fast::CrcAlgorithm::Crc64Nvme),
            Self::Sha1 | Self::Sha256 => None,
        }
    }
}

/// How an object's checksum covers its bytes (`x-amz-checksum-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumKind {
    /// A checksum of all the bytes, as one PUT or a CRC combined across parts.
    FullObject,
    /// The checksum of the parts' checksums, shown as `BASE64-N`.
    Composite,
}

impl ChecksumKind {
    /// `FULL_OBJECT` or `COMPOSITE`.
    pub fn name(self) -> &'static str {
        match self {
            Self::FullObject => "FULL_OBJECT",
            Self::Composite => "COMPOSITE",
        }
    }

    /// The type a name (`FULL_OBJECT`, `COMPOSITE`, any case) stands for.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::FullObject, Self::Composite]
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// A raw digest (the bytes whose base64 the headers carry).
pub type Digest = Box<[u8]>;

/// The checksum stored with an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChecksum {
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// Its type.
    pub kind: ChecksumKind,
    /// The digest: of the bytes (full object) or of the parts' digests (composite).
    pub digest: Digest,
    /// A multipart object's parts' digests of this algorithm, in part order, when the
    /// upload kept them (a composite upload, or a CRC upload whose parts were checked):
    /// a read of one part by `partNumber` returns that part's.
    pub parts: Option<Arc<[Digest]>>,
}

impl ObjectChecksum {
    /// A full-object checksum of one PUT's bytes.
    pub fn full(algorithm: Algorithm, digest: Digest) -> Self {
        Self {
            algorithm,
            kind: ChecksumKind::FullObject,
            digest,
            parts: None,
        }
    }

    /// The header value: base64 of the digest, with `-N` (the parts count) for a
    /// composite checksum.
    pub fn value(&self) -> String {
        let b64 = encode(&self.digest);
        match (&self.parts, self.kind) {
            (Some(parts), ChecksumKind::Composite) => format!("{b64}-{}", parts.len()),
            _ => b64,
        }
    }

    /// The checksum of part `number` (from 1), when the object kept its parts'.
    pub fn part(&self, number: u32) -> Option<ObjectChecksum> {
        let i = usize::try_from(number.checked_sub(1)?).ok()?;
        let digest = self.parts.as_ref()?.get(i)?.clone();
        Some(Self::full(self.algorithm, digest))
    }
}

/// Base64 as the `x-amz-checksum-*` headers carry digests.
pub fn encode(digest: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The digest a header value carries, when it is base64 of the algorithm's digest
/// length.
pub fn decode(algorithm: Algorithm, value: &str) -> Option<Digest> {
    let raw = base64::engine::general_purpose::STANDARD.decode(value.trim()).ok()?;
    (raw.len() == algorithm.digest_len()).then(|| raw.into_boxed_slice())
}

/// Computes the digests of some algorithms in one pass over the bytes.
pub struct Hasher {
    inner: ChecksumHasher,
}

impl Hasher {
    /// A hasher for each of `algorithms` (repeats are computed once).
    pub fn new(algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        let mut inner = ChecksumHasher::default();
        for a in algorithms {
            match a {
                Algorithm::Crc32 => inner.crc32 = Some(s3s::crypto::Crc32::new()),
                Algorithm::Crc32c => inner.crc32c = Some(s3s::crypto::Crc32c::new()),
                Algorithm::Crc64Nvme => inner.crc64nvme = Some(s3s::crypto::Crc64Nvme::new()),
                Algorithm::Sha1 => inner.sha1 = Some(s3s::crypto::Sha1::new()),
                Algorithm::Sha256 => inner.sha256 = Some(s3s::crypto::Sha256::new()),
            }
        }
        Self { inner }
    }

    /// Feeds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
    }

    /// The digests, one per algorithm asked for.
    pub fn finish(self) -> Digests {
        // Each hasher's own bytes: `ChecksumHasher::finalize` writes them as base64,
        // which would only be decoded again here.
        fn bytes(out: impl AsRef<[u8]>) -> Digest {
            out.as_ref().into()
        }
        let ChecksumHasher {
            crc32,
            crc32c,
            crc64nvme,
            sha1,
            sha256,
            ..
        } = self.inner;
        // In the order of `Algorithm::ALL`.
        Digests([
            crc32.map(|h| bytes(h.finalize())),
            crc32c.map(|h| bytes(h.finalize())),
            crc64nvme.map(|h| bytes(h.finalize())),
            sha1.map(|h| bytes(h.finalize())),
            sha256.map(|h| bytes(h.finalize())),
        ])
    }
}

/// The digests a [`Hasher`] computed, one slot per algorithm in the order of
/// [`Algorithm::ALL`].
#[derive(Debug, Clone, Default)]
pub struct Digests([Option<Digest>; 5]);

impl Digests {
    /// The digest of `algorithm`, if it was computed.
    pub fn get(&self, algorithm: Algorithm) -> Option<&Digest> {
        let slot = Algorithm::ALL.iter().position(|a| *a == algorithm)?;
        self.0.get(slot)?.as_ref()
    }
}

/// The digest of `bytes` under one algorithm.
pub fn digest(algorithm: Algorithm, bytes: &[u8]) -> Digest {
    let mut h = Hasher::new([algorithm]);
    h.update(bytes);
    h.finish().get(algorithm).cloned().unwrap_or_default()
}

/// The checksum of a multipart object from its parts' digests (`(digest, size)` in part
/// order), as S3 computes it: composite is the algorithm's digest of the concatenated
/// part digests, shown with `-N`; full object is the CRC of all the bytes, which a CRC
/// lets one combine from the parts' CRCs and sizes without reading the bytes again.
/// `None` when the type cannot be computed for the algorithm (a full-object SHA).
pub fn of_parts(algorithm: Algorithm, kind: ChecksumKind, parts: &[(Digest, u64)]) -> Option<ObjectChecksum> {
    let digest = match kind {
        ChecksumKind::Composite => {
            let mut h = Hasher::new([algorithm]);
            for (d, _) in parts {
                h.update(d);
            }
            h.finish().get(algorithm)?.clone()
        }
        ChecksumKind::FullObject => {
            let crc = algorithm.crc()?;
            let width = algorithm.digest_len();
            let mut whole = crc_value(&digest(algorithm, b""));
            for (d, size) in parts {
                whole = crc_fast::checksum_combine(crc, whole, crc_value(d), *size);
            }
            whole.to_be_bytes()[8 - width..].into()
        }
    };
    Some(ObjectChecksum {
        algorithm,
        kind,
        digest,
        parts: Some(parts.iter().map(|(d, _)| d.clone()).collect()),
    })
}

/// A CRC digest (big-endian, 4 or 8 bytes) as a number.
fn crc_value(d: &[u8]) -> u64 {
    d.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_the_published_check_values() {
        // The CRC catalogue's check values, of b"123456789".
        let check = b"123456789";
        assert_eq!(hex::encode(digest(Algorithm::Crc32, check)), "cbf43926");
        assert_eq!(hex::encode(digest(Algorithm::Crc32c, check)), "e3069283");
        assert_eq!(hex::encode(digest(Algorithm::Crc64Nvme, check)), "ae8b14860a799888");
        assert_eq!(
            hex::encode(digest(Algorithm::Sha1, b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            encode(&digest(Algorithm::Sha256, b"")),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn names_and_headers_parse_back() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.name()), Some(a));
            assert_eq!(Algorithm::parse(a.header()), Some(a));
            assert_eq!(Algorithm::parse(&a.name().to_lowercase()), Some(a));
        }
        assert_eq!(Algorithm::parse("md5"), None);
        assert_eq!(ChecksumKind::parse("full_object"), Some(ChecksumKind::FullObject));
    }

    #[test]
    fn decode_wants_the_digest_length() {
        assert!(decode(Algorithm::Crc32, "AAAAAA==").is_some());
        assert!(decode(Algorithm::Crc32, "AAAAAAAA").is_none());
        assert!(decode(Algorithm::Crc32, "not base64!").is_none());
    }

    fn parts_of(algorithm: Algorithm, chunks: &[&[u8]]) -> Vec<(Digest, u64)> {
        chunks.iter().map(|c| (digest(algorithm, c), c.len() as u64)).collect()
    }

    #[test]
    fn a_full_object_crc_of_parts_is_the_crc_of_all_the_bytes() {
        let chunks: [&[u8]; 3] = [b"first part ", b"", b"and the last"];
        let all: Vec<u8> = chunks.concat();
        for a in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let c = of_parts(a, ChecksumKind::FullObject, &parts_of(a, &chunks)).unwrap();
            assert_eq!(c.digest, digest(a, &all), "{a:?}");
            assert_eq!(c.value(), encode(&digest(a, &all)), "no -N on a full-object value");
        }
        assert!(
            of_parts(
                Algorithm::Sha256,
                ChecksumKind::FullObject,
                &parts_of(Algorithm::Sha256, &chunks)
            )
            .is_none()
        );
    }

    #[test]
    fn a_composite_checksum_hashes_the_part_digests_and_counts_the_parts() {
        let chunks: [&[u8]; 2] = [b"one", b"two"];
        let parts = parts_of(Algorithm::Sha256, &chunks);
        let c = of_parts(Algorithm::Sha256, ChecksumKind::Composite, &parts).unwrap();
        let joined: Vec<u8> = parts.iter().flat_map(|(d, _)| d.iter().copied()).collect();
        assert_eq!(c.value(), format!("{}-2", encode(&digest(Algorithm::Sha256, &joined))));
        assert_eq!(c.part(2).unwrap().digest, digest(Algorithm::Sha256, b"two"));
        assert!(c.part(3).is_none() && c.part(0).is_none());
    }
}
