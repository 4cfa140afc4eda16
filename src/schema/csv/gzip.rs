//! Gzip samples: as much text as a (possibly cut) gzip prefix decodes to.

use std::io::{ErrorKind, Read};

use flate2::read::MultiGzDecoder;

use super::MAX_DECOMPRESSED;
use crate::error::Error;
use crate::schema::is_gzip_magic;

/// Decompresses as much of `bytes` as decodes, up to [`MAX_DECOMPRESSED`].
///
/// Returns the text and whether it is the whole of the object's content. A stream that stops
/// mid-way after producing output is what a ranged GET of a `.gz` object looks like, so it is
/// not an error; only a stream that yields nothing is ([`Error::CorruptGzip`]).
pub(super) fn gunzip(bytes: &[u8], complete: bool, warnings: &mut Vec<String>) -> Result<(Vec<u8>, bool), Error> {
    if !is_gzip_magic(bytes) {
        return Err(Error::NotGzip);
    }
    let mut out = Vec::new();
    // Multi-member: concatenated gzip members (e.g. from `cat a.gz b.gz`) are one valid
    // stream per RFC 1952 section 2.2.
    let result = MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out);
    let capped = out.len() > MAX_DECOMPRESSED;
    out.truncate(MAX_DECOMPRESSED);
    match result {
        // A clean end is the end of the content only if the compressed bytes were the whole
        // object: a prefix may end exactly at a member boundary.
        Ok(_) => Ok((out, complete && !capped)),
        Err(e) if out.is_empty() => Err(Error::CorruptGzip { message: e.to_string() }),
        Err(e) => {
            // `UnexpectedEof` is the stream running out of input: expected for a prefix.
            // Anything else (corrupt deflate data, bad CRC, garbage after a member) or running
            // out in a whole object is worth telling the user about.
            if complete || e.kind() != ErrorKind::UnexpectedEof {
                warnings.push(format!(
                    "gzip stream stops after {} decompressed bytes ({e}); inferring from those",
                    out.len()
                ));
            }
            Ok((out, false))
        }
    }
}
