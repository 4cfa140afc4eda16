//! Object keys as S3 holds them: opaque UTF-8 strings ordered by their bytes.

use std::borrow::Borrow;
use std::fmt;

/// S3's limit on a key's length in bytes
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html>).
pub const MAX_KEY_BYTES: usize = 1024;

/// An object key.
///
/// - Any non-empty UTF-8 string of at most [`MAX_KEY_BYTES`] bytes; no normalisation:
///   `a`, `a/`, `a//b` and `a/./b` are distinct keys.
/// - Ordered by bytes (which is `str`'s order), and borrowable as `[u8]` so that a
///   listing can start at a byte position that is not itself valid UTF-8.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey(Box<str>);

impl ObjKey {
    /// Checks S3's rules for a key.
    pub fn parse(key: &str) -> Result<Self, KeyError> {
        Self::from_string(key.to_owned())
    }

    /// As [`parse`](Self::parse), taking the string instead of copying it.
    pub fn from_string(key: String) -> Result<Self, KeyError> {
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLong(key.len()));
        }
        Ok(Self(key.into_boxed_str()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<[u8]> for ObjKey {
    fn borrow(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for ObjKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ObjKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a string cannot be an S3 object key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key is empty.
    #[error("an object key cannot be empty")]
    Empty,
    /// The key is longer than [`MAX_KEY_BYTES`]; holds its length in bytes.
    #[error("an object key is at most 1024 bytes; this one has {0}")]
    TooLong(usize),
}

/// The smallest byte string greater than every string that starts with `prefix`, or
/// `None` when there is none (the prefix is empty or all `0xFF`).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut succ = prefix.to_vec();
    while let Some(last) = succ.pop() {
        if last < 0xFF {
            succ.push(last + 1);
            return Some(succ);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_by_bytes() {
        let mut keys: Vec<ObjKey> = ["a/b", "a", "a/", "a//b", "A", "é", "z", "a b", "a+b"]
            .iter()
            .map(|k| ObjKey::parse(k).unwrap())
            .collect();
        keys.sort();
        let got: Vec<&str> = keys.iter().map(ObjKey::as_str).collect();
        assert_eq!(got, ["A", "a", "a b", "a+b", "a/", "a//b", "a/b", "z", "é"]);
    }

    #[test]
    fn key_limits_follow_s3() {
        assert_eq!(ObjKey::parse(""), Err(KeyError::Empty));
        assert!(ObjKey::parse(&"k".repeat(1024)).is_ok());
        assert_eq!(ObjKey::parse(&"k".repeat(1025)), Err(KeyError::TooLong(1025)));
        // 512 two-byte characters are 1024 bytes.
        assert!(ObjKey::parse(&"é".repeat(512)).is_ok());
        assert!(ObjKey::parse(&"é".repeat(513)).is_err());
    }

    #[test]
    fn successor_skips_the_whole_prefix() {
        assert_eq!(prefix_successor(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(prefix_successor(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b""), None);
    }
}
