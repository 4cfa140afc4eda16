//! One copy of each distinct set of object headers: a million objects PUT by one
//! client with the same content type share one [`Headers`] instead of a million.

use std::collections::HashSet;
use std::sync::Arc;

use super::object::{Headers, Object};

/// Distinct headers kept for sharing. Bounded, so that objects with ever-new user
/// metadata do not grow the pool: past it, new headers are kept by their object only.
const POOLED_HEADERS: usize = 1024;

// foldhash rather than SipHash: every PUT looks its headers up, and the pool is
// bounded, so a flood of colliding keys has nowhere to grow.
#[derive(Debug, Clone, Default)]
pub(super) struct HeaderPool(HashSet<Arc<Headers>, foldhash::fast::RandomState>);

impl HeaderPool {
    /// Points `object` at the pooled copy of its headers, pooling them if new.
    pub(super) fn share(&mut self, object: &mut Object) {
        let headers = object.shared_headers();
        match self.0.get(&**headers) {
            Some(pooled) if !Arc::ptr_eq(pooled, headers) => *headers = Arc::clone(pooled),
            Some(_) => {}
            None if self.0.len() < POOLED_HEADERS => {
                self.0.insert(Arc::clone(headers));
            }
            None => {}
        }
    }

    /// As [`share`](Self::share), for an object not yet shared with anyone else.
    pub(super) fn share_arc(&mut self, object: &mut Arc<Object>) {
        if let Some(o) = Arc::get_mut(object) {
            self.share(o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_headers_are_held_once() {
        let mut pool = HeaderPool::default();
        let mut a = Object::sized(1, "111122223333");
        let mut b = Object::sized(2, "111122223333");
        pool.share(&mut a);
        pool.share(&mut b);
        assert!(Arc::ptr_eq(a.shared_headers(), b.shared_headers()));
        let mut c = Object::sized(2, "444455556666");
        pool.share(&mut c);
        assert!(!Arc::ptr_eq(a.shared_headers(), c.shared_headers()));
        assert_eq!(c.headers().owner, "444455556666");
    }

    #[test]
    fn the_pool_stops_growing_at_its_bound() {
        let mut pool = HeaderPool::default();
        for i in 0..POOLED_HEADERS + 10 {
            let mut o = Object::sized(1, "111122223333");
            o.headers_mut().metadata.insert("n".to_owned(), i.to_string());
            pool.share(&mut o);
            assert_eq!(o.headers().metadata.get("n"), Some(&i.to_string()));
        }
        assert_eq!(pool.0.len(), POOLED_HEADERS);
    }
}
