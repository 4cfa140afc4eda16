//! A bucket's keys: the stored ones, and virtual key spaces that are never expanded.
//!
//! A virtual key space holds keys that all share one object (a sized object, a fixture):
//! a pattern of a billion keys costs its description, not a billion entries. Stored
//! keys shadow virtual ones (a PUT on a virtual key stores it, its neighbours stay
//! virtual); deleting a virtual key leaves a tombstone. A later space shadows an
//! earlier one, as a later object of a scenario overwrites an earlier one.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::iter::Peekable;
use std::ops::Bound;
use std::sync::Arc;

use super::key::ObjKey;
use super::keyspace::{Cursor, KeySpace};
use super::listing::Source;
use super::object::Object;

/// Keys of a space, all holding one object.
#[derive(Debug, Clone)]
pub struct VirtualKeys {
    /// The keys.
    pub space: Arc<KeySpace>,
    /// What each of them holds.
    pub object: Object,
}

/// Every key of a bucket (module docs).
#[derive(Debug, Clone, Default)]
pub(super) struct Keys {
    /// Objects are shared: a world's keys of one source hold one record, and a read
    /// takes a reference, not a copy.
    stored: BTreeMap<ObjKey, Arc<Object>>,
    spaces: Vec<VirtualKeys>,
    /// Virtual keys deleted (and not stored since).
    tombstones: BTreeSet<ObjKey>,
}

impl Keys {
    /// The object under `key`.
    pub(super) fn get(&self, key: &[u8]) -> Option<&Object> {
        self.stored.get(key).map(|o| &**o).or_else(|| self.virtual_object(key))
    }

    fn virtual_object(&self, key: &[u8]) -> Option<&Object> {
        if self.spaces.is_empty() || self.tombstones.contains(key) {
            return None;
        }
        self.spaces
            .iter()
            .rev()
            .find(|v| v.space.contains(key))
            .map(|v| &v.object)
    }

    /// The stored object under `key`, shared.
    pub(super) fn get_stored(&self, key: &[u8]) -> Option<&Arc<Object>> {
        self.stored.get(key)
    }

    /// Stores `object` under `key`; what the key held before, if it was stored.
    pub(super) fn insert(&mut self, key: ObjKey, object: Arc<Object>) -> Option<Arc<Object>> {
        if !self.tombstones.is_empty() {
            self.tombstones.remove(&key);
        }
        self.stored.insert(key, object)
    }

    /// Stores many objects (loading a world), later ones winning on a repeated key as
    /// with one insert after another. Built as a map of their own and appended, which
    /// packs the tree's nodes full where ascending inserts leave them about half full.
    pub(super) fn extend(&mut self, objects: impl IntoIterator<Item = (ObjKey, Arc<Object>)>) {
        let mut added: BTreeMap<ObjKey, Arc<Object>> = objects.into_iter().collect();
        if !self.tombstones.is_empty() {
            for key in added.keys() {
                self.tombstones.remove(key);
            }
        }
        self.stored.append(&mut added);
    }

    /// Adds a virtual key space over every key before it: stored keys it holds are
    /// replaced by its object.
    pub(super) fn add_space(&mut self, keys: VirtualKeys) {
        self.stored.retain(|k, _| !keys.space.contains(k.as_str().as_bytes()));
        self.tombstones.retain(|k| !keys.space.contains(k.as_str().as_bytes()));
        self.spaces.push(keys);
    }

    /// Removes `key`; the stored object removed, if it was stored. A virtual key is
    /// gone too: it leaves a tombstone.
    pub(super) fn remove(&mut self, key: &str) -> Option<Arc<Object>> {
        let removed = self.stored.remove(key.as_bytes());
        if self.virtual_object(key.as_bytes()).is_some()
            && let Ok(key) = ObjKey::parse(key)
        {
            self.tombstones.insert(key);
        }
        removed
    }

    /// Whether the bucket holds no key.
    pub(super) fn is_empty(&self) -> bool {
        self.walk(b"").next().is_none()
    }

    /// How many keys, and how many bytes they hold. Exact unless two key spaces share
    /// keys (those are counted once per space).
    pub(super) fn totals(&self) -> (u128, u128) {
        let mut count = self.stored.len() as u128;
        let mut bytes: u128 = self.stored.values().map(|o| u128::from(o.size)).sum();
        for v in &self.spaces {
            let hidden = self
                .tombstones
                .iter()
                .filter(|k| v.space.contains(k.as_str().as_bytes()))
                .count()
                + self
                    .stored
                    .keys()
                    .filter(|k| v.space.contains(k.as_str().as_bytes()))
                    .count();
            let live = v.space.count().saturating_sub(hidden as u128);
            count = count.saturating_add(live);
            bytes = bytes.saturating_add(live.saturating_mul(u128::from(v.object.size)));
        }
        (count, bytes)
    }
}

impl Source<Object> for Keys {
    fn walk(&self, from: &[u8]) -> Box<dyn Iterator<Item = (Cow<'_, ObjKey>, &Object)> + '_> {
        if self.spaces.is_empty() {
            return Box::new(
                self.stored
                    .range::<[u8], _>((Bound::Included(from), Bound::Unbounded))
                    .map(|(k, v)| (Cow::Borrowed(k), &**v)),
            );
        }
        Box::new(Merge {
            stored: self
                .stored
                .range::<[u8], _>((Bound::Included(from), Bound::Unbounded))
                .peekable(),
            spaces: self.spaces.iter().map(|v| (v.space.cursor(from), &v.object)).collect(),
            tombstones: &self.tombstones,
        })
    }
}

/// Stored keys and every space's keys merged in byte order, each key once: a stored
/// key over any space's, a later space's over an earlier one's, a tombstone over all
/// spaces'.
struct Merge<'s> {
    stored: Peekable<std::collections::btree_map::Range<'s, ObjKey, Arc<Object>>>,
    spaces: Vec<(Cursor<'s>, &'s Object)>,
    tombstones: &'s BTreeSet<ObjKey>,
}

impl<'s> Iterator for Merge<'s> {
    type Item = (Cow<'s, ObjKey>, &'s Object);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // The space with the smallest next key; among equal ones the last, which wins.
            let mut least: Option<(&[u8], usize)> = None;
            for (i, (keys, _)) in self.spaces.iter_mut().enumerate() {
                if let Some(k) = keys.peek()
                    && least.is_none_or(|(l, _)| k <= l)
                {
                    least = Some((k, i));
                }
            }
            let stored_first = match (self.stored.peek(), least) {
                (Some((k, _)), Some((l, _))) => k.as_str().as_bytes() <= l,
                (Some(_), None) => true,
                (None, _) => false,
            };
            let space = least.map(|(_, i)| i);
            if stored_first {
                let (key, object) = self.stored.next()?;
                self.step_spaces_past(key.as_str().as_bytes());
                return Some((Cow::Borrowed(key), &**object));
            }
            let (keys, object) = &mut self.spaces[space?];
            let object = *object;
            let key = keys.take()?;
            self.step_spaces_past(&key);
            if self.tombstones.contains(key.as_slice()) {
                continue;
            }
            // A space only holds keys that were valid when it was made.
            let Ok(key) = String::from_utf8(key)
                .map_err(drop)
                .and_then(|k| ObjKey::from_string(k).map_err(drop))
            else {
                continue;
            };
            return Some((Cow::Owned(key), object));
        }
    }
}

impl Merge<'_> {
    /// Moves every space past `key`, the key just listed. One step is enough: every
    /// space was looked at to find the least key, none was below it, and each space's
    /// keys strictly increase. No space seeks its following key until the listing asks
    /// for it (a delimiter page asks for one key per common prefix, then seeks
    /// elsewhere).
    fn step_spaces_past(&mut self, key: &[u8]) {
        for (keys, _) in &mut self.spaces {
            keys.step_past(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::sim::store::keyspace::Piece;
    use crate::sim::store::listing::{Entry, ListQuery, list};

    /// A small space over `[ab/]` text and numbers, or `None` when the space refuses it.
    fn space() -> impl Strategy<Value = Option<KeySpace>> {
        let segment = prop_oneof![
            prop::collection::vec("[ab/]{1,2}", 1..3).prop_map(|items| {
                let mut by_len: BTreeMap<usize, Vec<String>> = BTreeMap::new();
                for i in items {
                    by_len.entry(i.len()).or_default().push(i);
                }
                by_len
                    .into_values()
                    .filter_map(|i| Piece::strings(i).ok())
                    .collect::<Vec<_>>()
            }),
            (0u64..30, 0u64..30, 1u64..4, 0usize..3).prop_map(|(a, b, step, pad)| Piece::numbers(a, b, step, pad)),
        ];
        prop::collection::vec(segment, 1..4).prop_map(|segments| KeySpace::new(segments).ok())
    }

    #[derive(Debug, Clone)]
    enum Op {
        Space(Option<KeySpace>, u64),
        Put(String, u64),
        Delete(String),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (space(), 1u64..1000).prop_map(|(s, size)| Op::Space(s, size)),
            ("[ab/0-9]{1,5}", 1000u64..2000).prop_map(|(k, size)| Op::Put(k, size)),
            "[ab/0-9]{1,5}".prop_map(Op::Delete),
        ]
    }

    fn page_names(page: &crate::sim::store::Page<'_, Object>) -> Vec<(String, u64)> {
        page.entries
            .iter()
            .map(|e| match e {
                Entry::Object(k, o) => (k.to_string(), o.size),
                Entry::CommonPrefix(p) => (format!("{p}*"), 0),
            })
            .collect()
    }

    proptest! {
        /// Key spaces, puts and deletes in any order list as the same keys stored one by
        /// one, for any prefix, delimiter and page size; lookups and counts agree too.
        #[test]
        fn virtual_keys_list_as_their_keys_materialised(
            ops in prop::collection::vec(op(), 1..12),
            prefix in "[ab/0-9]{0,2}",
            delimiter in prop::option::of(prop_oneof!["/", "b", "1"]),
            page in 1usize..7,
            probes in prop::collection::vec("[ab/0-9]{1,5}", 1..10),
        ) {
            let mut keys = Keys::default();
            let mut plain: BTreeMap<ObjKey, Object> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Space(None, _) => {}
                    Op::Space(Some(space), size) => {
                        let object = Object::sized(size, "111122223333");
                        for k in space.keys_from(b"") {
                            let k = String::from_utf8(k).unwrap_or_default();
                            if let Ok(k) = ObjKey::parse(&k) {
                                plain.insert(k, object.clone());
                            }
                        }
                        keys.add_space(VirtualKeys { space: Arc::new(space), object });
                    }
                    Op::Put(k, size) => {
                        let k = ObjKey::parse(&k).unwrap();
                        let object = Object::sized(size, "111122223333");
                        plain.insert(k.clone(), object.clone());
                        keys.insert(k, Arc::new(object));
                    }
                    Op::Delete(k) => {
                        plain.remove(k.as_bytes());
                        keys.remove(&k);
                    }
                }
            }
            let mut from: Option<Vec<u8>> = None;
            for _ in 0..200 {
                let q = ListQuery { prefix: &prefix, delimiter: delimiter.as_deref(), from: from.as_deref(), max_keys: page };
                let (got, want) = (list(&keys, q), list(&plain, q));
                prop_assert_eq!(page_names(&got), page_names(&want));
                prop_assert_eq!(got.truncated, want.truncated);
                prop_assert_eq!(&got.resume_from, &want.resume_from);
                if !got.truncated {
                    break;
                }
                from = got.resume_from.clone();
            }
            for p in probes {
                prop_assert_eq!(keys.get(p.as_bytes()).map(|o| o.size), plain.get(p.as_bytes()).map(|o| o.size));
            }
            prop_assert_eq!(keys.is_empty(), plain.is_empty());
        }
    }
}
