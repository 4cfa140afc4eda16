//! Pure work over a slice split across the machine's cores, results in input order.
//!
//! Discovery of a large listing (hundreds of thousands of keys) is CPU work the connector
//! otherwise does on one core while the others idle; everything it runs here is a pure
//! function of its chunk, so the split changes when the result is ready, never what it is.

use std::num::NonZeroUsize;

/// How many chunks to split into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    /// One chunk per core, each of at least this many items (fewer items: one chunk, no thread).
    PerCore { min_chunk: usize },
    /// Exactly this many chunks (at most one per item): tests compare splits with it.
    #[cfg_attr(not(test), allow(dead_code))]
    Chunks(usize),
}

impl Width {
    fn chunks(self, items: usize) -> usize {
        let n = match self {
            Width::PerCore { min_chunk } => {
                let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
                cores.min(items / min_chunk.max(1))
            }
            Width::Chunks(n) => n.min(items),
        };
        n.max(1)
    }
}

/// `f` over consecutive chunks of `items`, each chunk on its own scoped thread (one chunk
/// runs on the caller's thread); the results in chunk order. A panic in `f` is re-raised.
pub(crate) fn map_chunks<T, R, F>(items: &[T], width: Width, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let chunks = width.chunks(items.len());
    if chunks == 1 {
        return vec![f(items)];
    }
    let size = items.len().div_ceil(chunks);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.chunks(size).map(|chunk| scope.spawn(move || f(chunk))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_back_in_order_and_cover_every_item() {
        let items: Vec<u32> = (0..1000).collect();
        for width in [
            Width::Chunks(1),
            Width::Chunks(3),
            Width::Chunks(7),
            Width::Chunks(5000),
        ] {
            let parts = map_chunks(&items, width, <[u32]>::to_vec);
            assert_eq!(parts.concat(), items, "{width:?}");
        }
        assert_eq!(map_chunks(&items, Width::Chunks(4), <[u32]>::len), vec![250; 4]);
    }

    #[test]
    fn small_inputs_stay_on_the_callers_thread() {
        let caller = std::thread::current().id();
        let ids = map_chunks(&[1, 2, 3], Width::PerCore { min_chunk: 100 }, |_| {
            std::thread::current().id()
        });
        assert_eq!(ids, vec![caller]);
        assert_eq!(map_chunks::<u8, usize, _>(&[], Width::Chunks(4), <[u8]>::len), vec![0]);
    }
}
