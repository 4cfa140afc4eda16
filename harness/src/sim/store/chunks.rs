//! Bytes held as a list of segments shared by reference: how received bodies and
//! uploaded parts are kept.
//!
//! A received body is copied once, as it arrives, into segments of at most
//! [`SEGMENT`] bytes whose allocations are exactly their length (the request's
//! Content-Length says how much is coming), so a stored object does not keep the
//! server's read buffers alive and is never collected into a buffer that doubles as it
//! grows. A completed multipart upload is the list of its parts' segments (`Bytes`
//! clones), so completion copies nothing, and a range read is a run of segment slices.

use std::sync::Arc;

use bytes::Bytes;

/// The largest segment a received body is cut into: large enough that a 5 GiB body is
/// a few thousand segments, small enough that a segment's allocation is never much
/// larger than what it holds.
pub const SEGMENT: usize = 1 << 20;

/// The first segment of a body of unknown length; later ones double up to [`SEGMENT`],
/// so that a small body of unknown length does not reserve a full segment.
const FIRST_UNKNOWN_SEGMENT: usize = 8 << 10;

/// Bytes as an ordered list of segments; clones share them.
#[derive(Debug, Clone, Default)]
pub struct Chunks(Arc<Segments>);

#[derive(Debug, Default)]
struct Segments {
    /// Never an empty segment.
    parts: Vec<Bytes>,
    /// `starts[i]` is the offset of `parts[i + 1]` (the first part starts at 0), so
    /// that a body of one segment, the common case, keeps no offsets at all.
    starts: Vec<u64>,
    len: u64,
    /// Bytes allocated for the segments (see [`Chunks::capacity`]).
    capacity: u64,
}

impl Chunks {
    /// One segment of bytes made elsewhere (their allocation is counted as their length).
    pub fn from_bytes(bytes: Bytes) -> Self {
        let mut s = Segments::default();
        s.push(bytes.clone(), bytes.len() as u64);
        Self(Arc::new(s))
    }

    /// The bytes of `lists` one after the other, sharing their segments.
    pub fn concat<'a>(lists: impl IntoIterator<Item = &'a Chunks>) -> Self {
        let mut s = Segments::default();
        for list in lists {
            s.capacity += list.0.capacity;
            s.parts.reserve(list.0.parts.len());
            s.starts.reserve(list.0.parts.len());
            for part in &list.0.parts {
                s.push(part.clone(), 0);
            }
        }
        Self(Arc::new(s))
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.0.len
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// The bytes allocated to hold the segments: for a received body, the capacity of
    /// each segment when it was sealed (equal to the length when the length was
    /// declared); segments made elsewhere count their length.
    pub fn capacity(&self) -> u64 {
        self.0.capacity
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[Bytes] {
        &self.0.parts
    }

    /// The single segment holding every byte, if there is at most one.
    pub fn as_single(&self) -> Option<Bytes> {
        match self.0.parts.as_slice() {
            [] => Some(Bytes::new()),
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// Bytes `start..end` (`end <= len`) as slices of the segments, without copying.
    pub fn range(&self, start: u64, end: u64) -> Slices {
        let end = end.min(self.len());
        // The parts after the first that start at or before `start`: the index of the
        // part holding it.
        let index = self.0.starts.partition_point(|s| *s <= start);
        Slices {
            chunks: self.clone(),
            index,
            pos: start.min(end),
            end,
        }
    }
}

impl Segments {
    fn push(&mut self, bytes: Bytes, capacity: u64) {
        self.capacity += capacity;
        if bytes.is_empty() {
            return;
        }
        if !self.parts.is_empty() {
            self.starts.push(self.len);
        }
        self.len += bytes.len() as u64;
        self.parts.push(bytes);
    }
}

/// An iterator over slices of a [`Chunks`] range; owns a share of the segments, so a
/// response body can hold it.
#[derive(Debug, Clone)]
pub struct Slices {
    chunks: Chunks,
    index: usize,
    pos: u64,
    end: u64,
}

impl Iterator for Slices {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        if self.pos >= self.end {
            return None;
        }
        let part = self.chunks.0.parts.get(self.index)?;
        let part_start = match self.index.checked_sub(1) {
            None => 0,
            Some(i) => *self.chunks.0.starts.get(i)?,
        };
        let from = usize::try_from(self.pos - part_start).ok()?;
        let to = usize::try_from((self.end - part_start).min(part.len() as u64)).ok()?;
        self.pos = part_start + to as u64;
        self.index += 1;
        Some(part.slice(from..to))
    }
}

/// Builds a [`Chunks`] from bytes as they arrive, copying each byte once into segments
/// sized from the declared length.
#[derive(Debug)]
pub struct ChunksBuilder {
    done: Segments,
    current: Vec<u8>,
    declared: Option<u64>,
}

impl ChunksBuilder {
    /// A builder for a body that says it is `declared` bytes long (`None`: unknown).
    pub fn new(declared: Option<u64>) -> Self {
        Self {
            done: Segments::default(),
            current: Vec::new(),
            declared,
        }
    }

    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        self.done.len + self.current.len() as u64
    }

    /// Whether nothing has been received.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `data`, copying it.
    pub fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.current.len() == self.current.capacity() {
                self.seal();
                self.current = Vec::with_capacity(self.next_segment_size());
            }
            let room = self.current.capacity() - self.current.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.current.extend_from_slice(now);
            data = rest;
        }
    }

    /// The bytes received, as segments.
    pub fn finish(mut self) -> Chunks {
        // Only a body longer than declared, or of unknown length, leaves room behind.
        self.current.shrink_to_fit();
        self.seal();
        Chunks(Arc::new(self.done))
    }

    fn seal(&mut self) {
        if self.current.is_empty() {
            return;
        }
        let segment = std::mem::take(&mut self.current);
        let capacity = segment.capacity() as u64;
        self.done.push(Bytes::from(segment), capacity);
    }

    /// The rest of the declared length, capped at [`SEGMENT`]; without a declared length
    /// (or past it), a size that doubles with what has arrived.
    fn next_segment_size(&self) -> usize {
        let len = self.len();
        match self.declared {
            Some(total) if total > len => usize::try_from(total - len).map_or(SEGMENT, |n| n.min(SEGMENT)),
            _ => usize::try_from(len)
                .unwrap_or(SEGMENT)
                .clamp(FIRST_UNKNOWN_SEGMENT, SEGMENT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn built(data: &[u8], declared: Option<u64>, pieces: &[usize]) -> Chunks {
        let mut b = ChunksBuilder::new(declared);
        let mut rest = data;
        let mut sizes = pieces.iter().copied().cycle();
        while !rest.is_empty() {
            let n = sizes.next().unwrap_or(1).clamp(1, rest.len());
            let (now, later) = rest.split_at(n);
            b.push(now);
            rest = later;
        }
        b.finish()
    }

    fn joined(slices: Slices) -> Vec<u8> {
        slices.flat_map(|b| b.to_vec()).collect()
    }

    #[test]
    fn a_declared_small_body_is_one_segment_of_exactly_its_length() {
        // A request arrives in a larger read buffer (hyper's is 8 KiB and up); the
        // stored body must not keep that buffer alive.
        let buffer = Bytes::from(vec![7u8; 8192]);
        let body = buffer.slice(100..1124);
        let mut b = ChunksBuilder::new(Some(1024));
        b.push(&body);
        let chunks = b.finish();
        assert_eq!(chunks.len(), 1024);
        assert_eq!(chunks.capacity(), 1024);
        let single = chunks.as_single().expect("one segment");
        let inside = buffer.as_ptr_range();
        assert!(
            !inside.contains(&single.as_ptr()),
            "the body still points into the read buffer"
        );
    }

    #[test]
    fn a_body_of_unknown_length_is_trimmed_to_its_length() {
        let chunks = built(&[1u8; 3000], None, &[700]);
        assert_eq!(chunks.len(), 3000);
        assert_eq!(chunks.capacity(), 3000);
        let big = built(&vec![1u8; 3 * SEGMENT + 5], None, &[65536]);
        assert_eq!(big.capacity(), big.len());
        assert!(big.segments().iter().all(|s| s.len() <= SEGMENT));
    }

    #[test]
    fn a_declared_large_body_is_cut_into_bounded_segments() {
        let len = 2 * SEGMENT + 10;
        let chunks = built(&vec![3u8; len], Some(len as u64), &[100_000, 7]);
        let sizes: Vec<usize> = chunks.segments().iter().map(Bytes::len).collect();
        assert_eq!(sizes, [SEGMENT, SEGMENT, 10]);
        assert_eq!(chunks.capacity(), len as u64);
    }

    #[test]
    fn concatenation_shares_segments() {
        let a = built(b"hello ", Some(6), &[6]);
        let b = built(b"world", Some(5), &[2]);
        let empty = ChunksBuilder::new(Some(0)).finish();
        let all = Chunks::concat([&a, &empty, &b]);
        assert_eq!(all.len(), 11);
        assert_eq!(joined(all.range(0, 11)), b"hello world");
        assert_eq!(all.segments()[0].as_ptr(), a.segments()[0].as_ptr());
        assert_eq!(joined(all.range(11, 11)), b"");
        assert_eq!(joined(empty.range(0, 0)), b"");
    }

    proptest! {
        /// Any range of a body cut into any segments reads back the same bytes.
        #[test]
        fn ranges_across_segments_read_back(
            data in proptest::collection::vec(any::<u8>(), 0..4000),
            pieces in proptest::collection::vec(1usize..500, 1..8),
            split_at in proptest::collection::vec(0usize..4000, 0..6),
            a in 0usize..4001,
            b in 0usize..4001,
        ) {
            // Parts built separately and concatenated, as a completed upload is.
            let mut cuts: Vec<usize> = split_at.into_iter().map(|c| c.min(data.len())).collect();
            cuts.push(0);
            cuts.push(data.len());
            cuts.sort_unstable();
            let parts: Vec<Chunks> = cuts
                .windows(2)
                .map(|w| built(&data[w[0]..w[1]], Some((w[1] - w[0]) as u64), &pieces))
                .collect();
            let all = Chunks::concat(&parts);
            prop_assert_eq!(all.len(), data.len() as u64);
            let (start, end) = (a.min(b).min(data.len()), a.max(b).min(data.len()));
            prop_assert_eq!(joined(all.range(start as u64, end as u64)), &data[start..end]);
        }
    }
}
