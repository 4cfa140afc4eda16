//! ETags as S3 computes them: the MD5 of the bytes for a single-part upload, the MD5
//! of the parts' MD5s with `-N` for a multipart upload
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html>, `ETag`).

use md5::{Digest, Md5};

/// Hex MD5 of `bytes`, unquoted.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// The multipart ETag from the parts' raw MD5 digests: `hex(md5(d1 || d2 ...))-N`.
pub fn multipart_etag(part_digests: &[[u8; 16]]) -> String {
    let mut h = Md5::new();
    for d in part_digests {
        h.update(d);
    }
    format!("{}-{}", hex::encode(h.finalize()), part_digests.len())
}

/// Raw MD5 digest of `n` zero bytes, hashed in fixed-size chunks.
fn zeros_digest(n: u64) -> [u8; 16] {
    static CHUNK: [u8; 64 * 1024] = [0; 64 * 1024];
    let mut h = Md5::new();
    let mut left = n;
    while left > 0 {
        let take = left.min(CHUNK.len() as u64) as usize;
        h.update(&CHUNK[..take]);
        left -= take as u64;
    }
    h.finalize().into()
}

/// The aws CLI's default multipart threshold and part size (8 MiB).
pub const CLI_PART_SIZE: u64 = 8 * 1024 * 1024;

/// The ETag of a sized object (zeros that are never stored).
///
/// Up to [`CLI_PART_SIZE`] it is the MD5 of the zeros, as for a single PUT. Above it,
/// the object is taken to have been uploaded the way the aws CLI uploads large files,
/// in 8 MiB parts, so its ETag is the multipart one: this keeps a 5 GB sized object
/// cheap (two part digests, not 5 GB of hashing) and matches what a customer's bucket
/// shows for such files.
pub fn sized_etag(size: u64) -> String {
    if size <= CLI_PART_SIZE {
        return hex::encode(zeros_digest(size));
    }
    let full = zeros_digest(CLI_PART_SIZE);
    let parts = size.div_ceil(CLI_PART_SIZE);
    let rest = size - (parts - 1) * CLI_PART_SIZE;
    let last = if rest == CLI_PART_SIZE {
        full
    } else {
        zeros_digest(rest)
    };
    let mut digests = vec![full; (parts - 1) as usize];
    digests.push(last);
    multipart_etag(&digests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_known_values() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn small_sized_objects_hash_their_zeros() {
        assert_eq!(sized_etag(0), md5_hex(b""));
        assert_eq!(sized_etag(100_000), md5_hex(&vec![0; 100_000]));
    }

    #[test]
    fn large_sized_objects_have_a_multipart_etag() {
        let size = 2 * CLI_PART_SIZE + 5;
        let full: [u8; 16] = Md5::digest(vec![0u8; CLI_PART_SIZE as usize]).into();
        let last: [u8; 16] = Md5::digest([0u8; 5]).into();
        assert_eq!(sized_etag(size), multipart_etag(&[full, full, last]));
        assert!(sized_etag(size).ends_with("-3"));
    }
}
