//! ETags as S3 computes them: the MD5 of the bytes for a single-part upload, the MD5
//! of the parts' MD5s with `-N` for a multipart upload
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html>, `ETag`).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use md5::{Digest, Md5};

/// An object's ETag, kept as the 16 bytes of its digest and its parts count (20 bytes
/// instead of a 32-to-38-character string on every object): every ETag the simulator
/// makes is an MD5, bare for a single-part object or with `-N` for a multipart one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ETag {
    digest: [u8; 16],
    /// 0 for a single-part object.
    parts: u32,
}

impl ETag {
    /// A single-part object's ETag: the MD5 of its bytes.
    pub fn single(md5: [u8; 16]) -> Self {
        Self { digest: md5, parts: 0 }
    }

    /// The ETag of `bytes` uploaded in one PUT.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self::single(Md5::digest(bytes).into())
    }

    /// A multipart object's ETag: the MD5 of its parts' digests, with its parts count.
    pub fn multipart(digest: [u8; 16], parts: u32) -> Self {
        Self { digest, parts }
    }

    /// Reads `hex` or `hex-N` (unquoted), as [`Display`](fmt::Display) writes it.
    pub fn parse(text: &str) -> Option<Self> {
        let (hex_part, parts) = match text.split_once('-') {
            Some((h, n)) if !n.starts_with('+') => (h, n.parse::<u32>().ok().filter(|n| *n > 0)?),
            Some(_) => return None,
            None => (text, 0),
        };
        let mut digest = [0u8; 16];
        hex::decode_to_slice(hex_part, &mut digest).ok()?;
        Some(Self { digest, parts })
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut hex_text = [0u8; 32];
        // Cannot fail: the buffer is exactly twice the digest's length.
        if hex::encode_to_slice(self.digest, &mut hex_text).is_err() {
            return Err(fmt::Error);
        }
        f.write_str(std::str::from_utf8(&hex_text).map_err(|_| fmt::Error)?)?;
        if self.parts > 0 {
            write!(f, "-{}", self.parts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl PartialEq<str> for ETag {
    fn eq(&self, other: &str) -> bool {
        Self::parse(other).is_some_and(|e| e == *self)
    }
}

impl PartialEq<&str> for ETag {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

/// Hex MD5 of `bytes`, unquoted.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// The multipart ETag from the parts' raw MD5 digests: `hex(md5(d1 || d2 ...))-N`.
pub fn multipart_etag(part_digests: &[[u8; 16]]) -> ETag {
    let mut h = Md5::new();
    for d in part_digests {
        h.update(d);
    }
    ETag::multipart(
        h.finalize().into(),
        u32::try_from(part_digests.len()).unwrap_or(u32::MAX),
    )
}

/// Raw MD5 digest of `n` zero bytes, hashed in fixed-size chunks.
fn zeros_digest(n: u64) -> [u8; 16] {
    static CHUNK: [u8; 64 * 1024] = [0; 64 * 1024];
    let mut h = Md5::new();
    let mut left = n;
    while left > 0 {
        let take = usize::try_from(left.min(CHUNK.len() as u64)).unwrap_or(CHUNK.len());
        h.update(&CHUNK[..take]);
        left -= take as u64;
    }
    h.finalize().into()
}

/// [`zeros_digest`] remembered: a scenario's sized objects share a few sizes (and every
/// large one the same part size), so each distinct size is hashed once per process.
/// Bounded: past [`DIGEST_CACHE_ENTRIES`] sizes, new ones are hashed and not kept.
fn cached_zeros_digest(n: u64) -> [u8; 16] {
    static CACHE: OnceLock<Mutex<HashMap<u64, [u8; 16]>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(d) = cache.lock().unwrap_or_else(PoisonError::into_inner).get(&n) {
        return *d;
    }
    let d = zeros_digest(n);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() < DIGEST_CACHE_ENTRIES {
        cache.insert(n, d);
    }
    d
}

const DIGEST_CACHE_ENTRIES: usize = 4096;

/// The aws CLI's default multipart threshold and part size (8 MiB).
pub const CLI_PART_SIZE: u64 = 8 * 1024 * 1024;

/// S3's largest object: 5 TiB
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>).
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;

/// S3's most parts in one multipart upload
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>).
pub const MAX_PARTS: u64 = 10_000;

/// The part size the aws CLI uploads an object of `size` bytes with: 8 MiB, doubled
/// until the upload needs at most [`MAX_PARTS`] parts (s3transfer's
/// `ChunksizeAdjuster`).
pub fn cli_part_size(size: u64) -> u64 {
    let mut part = CLI_PART_SIZE;
    while size.div_ceil(part) > MAX_PARTS {
        part *= 2;
    }
    part
}

/// The ETag of a sized object (zeros that are never stored), a pure function of its
/// size.
///
/// Up to [`CLI_PART_SIZE`] it is the MD5 of the zeros, as for a single PUT. Above it,
/// the object is taken to have been uploaded the way the aws CLI uploads large files,
/// in parts of [`cli_part_size`], so its ETag is the multipart one and matches what a
/// customer's bucket shows for such files. Every full part has the same digest, so the
/// cost is one hash of a part and one of the remainder, whatever the size, and both are
/// remembered across objects.
pub fn sized_etag(size: u64) -> ETag {
    if size <= CLI_PART_SIZE {
        return ETag::single(cached_zeros_digest(size));
    }
    let part = cli_part_size(size);
    let full = cached_zeros_digest(part);
    let parts = size.div_ceil(part);
    let rest = size - (parts - 1) * part;
    let last = if rest == part { full } else { cached_zeros_digest(rest) };
    // md5(d1 || ... || dN) of N equal digests and the last: fed to the hasher, not
    // collected.
    let mut h = Md5::new();
    for _ in 1..parts {
        h.update(full);
    }
    h.update(last);
    ETag::multipart(h.finalize().into(), u32::try_from(parts).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_written_as_s3_writes_them() {
        assert_eq!(ETag::of_bytes(b"hello").to_string(), "5d41402abc4b2a76b9719d911017c592");
        let multipart = ETag::multipart([0xab; 16], 3);
        assert_eq!(multipart.to_string(), format!("{}-3", "ab".repeat(16)));
        assert_eq!(format!("{multipart:?}"), format!("\"{}-3\"", "ab".repeat(16)));
        assert_eq!(ETag::of_bytes(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn only_md5_etags_parse() {
        for bad in [
            "",
            "abc",
            "5d41402abc4b2a76b9719d911017c59",
            "5d41402abc4b2a76b9719d911017c592-",
            "5d41402abc4b2a76b9719d911017c592-0",
            "5d41402abc4b2a76b9719d911017c592-+3",
            "zz41402abc4b2a76b9719d911017c592",
        ] {
            assert_eq!(ETag::parse(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn an_etag_reads_back_as_written(digest: [u8; 16], parts in proptest::option::of(1u32..)) {
            let etag = parts.map_or(ETag::single(digest), |n| ETag::multipart(digest, n));
            proptest::prop_assert_eq!(ETag::parse(&etag.to_string()), Some(etag));
        }
    }

    #[test]
    fn md5_of_known_values() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn small_sized_objects_hash_their_zeros() {
        assert_eq!(sized_etag(0).to_string(), md5_hex(b""));
        assert_eq!(sized_etag(100_000).to_string(), md5_hex(&vec![0; 100_000]));
    }

    #[test]
    fn large_sized_objects_have_a_multipart_etag() {
        let size = 2 * CLI_PART_SIZE + 5;
        let full: [u8; 16] = Md5::digest(vec![0u8; CLI_PART_SIZE as usize]).into();
        let last: [u8; 16] = Md5::digest([0u8; 5]).into();
        assert_eq!(sized_etag(size), multipart_etag(&[full, full, last]));
        assert!(sized_etag(size).to_string().ends_with("-3"));
    }

    #[test]
    fn sized_etags_follow_the_cli_part_size_past_ten_thousand_parts() {
        assert_eq!(cli_part_size(CLI_PART_SIZE * MAX_PARTS), CLI_PART_SIZE);
        assert_eq!(cli_part_size(CLI_PART_SIZE * MAX_PARTS + 1), 2 * CLI_PART_SIZE);
        assert_eq!(cli_part_size(MAX_OBJECT_SIZE), 128 * CLI_PART_SIZE);
        let size = 3 * 16 * 1024 * 1024 * 1024 + 7; // 48 GiB + 7: 8 MiB parts
        assert!(sized_etag(size).to_string().ends_with("-6145"), "{}", sized_etag(size));
        let size = 100 * 1024 * 1024 * 1024; // 100 GiB: 16 MiB parts
        assert!(sized_etag(size).to_string().ends_with("-6400"), "{}", sized_etag(size));
    }

    #[test]
    fn the_sized_etag_is_the_multipart_etag_of_its_parts() {
        let size = CLI_PART_SIZE * MAX_PARTS + 3;
        let part = 2 * CLI_PART_SIZE;
        let full: [u8; 16] = Md5::digest(vec![0u8; part as usize]).into();
        let parts = size.div_ceil(part);
        let last: [u8; 16] = Md5::digest(vec![0u8; (size - (parts - 1) * part) as usize]).into();
        let mut digests = vec![full; parts as usize - 1];
        digests.push(last);
        assert_eq!(sized_etag(size), multipart_etag(&digests));
    }
}
