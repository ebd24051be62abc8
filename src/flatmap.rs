//! An ordered map kept as one sorted vector of pairs, for the crate's small maps (names to counts, a device's peaks
//! and sources, a pool's tensors). `BTreeMap` was compiled for 27 key and value types in the package's
//! wasm, each with its own node, search, navigation and insertion code, and each `collect()` into one with a
//! stable sort of its own: 124 KB of B-tree code and 8 of the 9 remaining copies of driftsort, of 1.7 MB
//! (`twiggy top` of an unstripped build, session 45). Here a lookup is a binary search over a slice, an
//! insertion a vector insertion, and building from pairs one sort through `crate::sorting`: a few hundred
//! bytes per type. An insertion moves the entries after it, so a map filled one insertion at a time must stay
//! small (names to counts, a pool's tensors, a profile's peaks); maps that grow with the input (an ONNX
//! graph's tensors and nodes, a workload's distinct models) and are only looked up are [`LookupMap`]s.
//!
//! It behaves as `BTreeMap` does where the crate uses it: iteration in key order, `insert` replaces and
//! returns the old value, and collecting pairs keeps the last value of equal keys. (`litemap`, the crate made
//! for flat maps, serializes an empty map as a JSON array rather than an object, and sorts with a stable
//! sort compiled per type when it collects.)

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Index;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A hash map for lookups only (FxHash: deterministic, no random seed), for maps that grow with the input;
/// never iterated where the order would reach a result.
pub type LookupMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;

/// A map in key order over a sorted `Vec<(K, V)>`, with no two equal keys.
#[derive(Clone, PartialEq)]
pub struct FlatMap<K, V> {
    pairs: Vec<(K, V)>,
}

impl<K, V> Default for FlatMap<K, V> {
    fn default() -> Self {
        Self { pairs: Vec::new() }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for FlatMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.pairs.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<K, V> FlatMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether it has no entry.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.pairs.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.pairs.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.pairs.iter().map(|(_, v)| v)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.pairs.clear();
    }
}

impl<K: Ord, V> FlatMap<K, V> {
    /// Where `key` is (`Ok`) or would go (`Err`).
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.pairs.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.pairs[i].1)
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.pairs[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it had.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.pairs[i].1, value)),
            Err(i) => {
                self.pairs.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.pairs.remove(i).1)
    }

    /// The place of `key`, to read or fill.
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let at = self.find(&key);
        Entry { map: self, key, at }
    }
}

/// A key's place in a [`FlatMap`] ([`FlatMap::entry`]).
pub struct Entry<'a, K, V> {
    map: &'a mut FlatMap<K, V>,
    key: K,
    at: Result<usize, usize>,
}

impl<'a, K, V> Entry<'a, K, V> {
    /// The key's value, `make()` put there first where it has none.
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.at {
            Ok(i) => i,
            Err(i) => {
                self.map.pairs.insert(i, (self.key, make()));
                i
            }
        };
        &mut self.map.pairs[i].1
    }

    /// The key's value, the default put there first where it has none.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for FlatMap<K, V> {
    /// The pairs in key order; of equal keys the last one's value is kept, as in a `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut pairs: Vec<(K, V)> = iter.into_iter().collect();
        if pairs.windows(2).any(|w| w[0].0.cmp(&w[1].0) != Ordering::Less) {
            crate::sorting::sort_by(&mut pairs, |a, b| a.0.cmp(&b.0));
            // Stable, so of equal keys the last in the input is last here: keep that one.
            let mut kept: Vec<(K, V)> = Vec::with_capacity(pairs.len());
            for pair in pairs {
                match kept.last_mut() {
                    Some(last) if last.0 == pair.0 => *last = pair,
                    _ => kept.push(pair),
                }
            }
            pairs = kept;
        }
        Self { pairs }
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for FlatMap<K, V> {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K, V> IntoIterator for FlatMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.pairs.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a FlatMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.pairs.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> Index<&Q> for FlatMap<K, V> {
    type Output = V;

    /// The value of `key`; panics where it has none, as a `BTreeMap` does.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry for the key")
    }
}

/// As a map (`{key: value}` in JSON), in key order.
impl<K: Serialize, V: Serialize> Serialize for FlatMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// From a map, as a `BTreeMap` is read: anything else is "expected a map", and of a repeated key the last
/// value is kept.
impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for FlatMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Visitor<'de> for Pairs<K, V> {
            type Value = FlatMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::with_capacity(access.size_hint().unwrap_or(0).min(4096));
                while let Some(pair) = access.next_entry()? {
                    pairs.push(pair);
                }
                Ok(pairs.into_iter().collect())
            }
        }
        deserializer.deserialize_map(Pairs(PhantomData))
    }
}

/// Declared in TypeScript as a `BTreeMap` is (`{ [key in K]?: V }`).
#[cfg(test)]
impl<K: ts_rs::TS, V: ts_rs::TS> ts_rs::TS for FlatMap<K, V> {
    type WithoutGenerics = <std::collections::BTreeMap<K, V> as ts_rs::TS>::WithoutGenerics;
    type OptionInnerType = <std::collections::BTreeMap<K, V> as ts_rs::TS>::OptionInnerType;
    fn ident(cfg: &ts_rs::Config) -> String {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::ident(cfg)
    }
    fn name(cfg: &ts_rs::Config) -> String {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::name(cfg)
    }
    fn inline(cfg: &ts_rs::Config) -> String {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::inline(cfg)
    }
    fn inline_flattened(cfg: &ts_rs::Config) -> String {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::inline_flattened(cfg)
    }
    fn visit_dependencies(v: &mut impl ts_rs::TypeVisitor)
    where
        Self: 'static,
    {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::visit_dependencies(v);
    }
    fn visit_generics(v: &mut impl ts_rs::TypeVisitor)
    where
        Self: 'static,
    {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::visit_generics(v);
    }
    fn decl(cfg: &ts_rs::Config) -> String {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::decl(cfg)
    }
    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::decl_concrete(cfg)
    }
    fn output_path() -> Option<std::path::PathBuf> {
        <std::collections::BTreeMap<K, V> as ts_rs::TS>::output_path()
    }
}

#[cfg(test)]
mod tests {
    use super::FlatMap;
    use crate::sorting::tests::lcg;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_as_a_btreemap_under_inserts_entries_removals_and_collects() {
        let mut seed = 3;
        let mut ours: FlatMap<String, u64> = FlatMap::new();
        let mut theirs: BTreeMap<String, u64> = BTreeMap::new();
        for step in 0..2_000u64 {
            let key = format!("k{}", lcg(&mut seed) % 97);
            match lcg(&mut seed) % 4 {
                0 => assert_eq!(ours.insert(key.clone(), step), theirs.insert(key, step)),
                1 => {
                    *ours.entry(key.clone()).or_default() += step;
                    *theirs.entry(key).or_default() += step;
                }
                2 => assert_eq!(ours.remove(key.as_str()), theirs.remove(key.as_str())),
                _ => assert_eq!(ours.get(key.as_str()), theirs.get(key.as_str())),
            }
        }
        assert_eq!(ours.iter().collect::<Vec<_>>(), theirs.iter().collect::<Vec<_>>());
        // Collecting keeps the last value of equal keys, in key order.
        let pairs: Vec<(u64, u64)> = (0..500).map(|i| (lcg(&mut seed) % 40, i)).collect();
        let ours: FlatMap<u64, u64> = pairs.iter().copied().collect();
        let theirs: BTreeMap<u64, u64> = pairs.into_iter().collect();
        assert_eq!(ours.into_iter().collect::<Vec<_>>(), theirs.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn reads_and_writes_json_as_a_btreemap_does() {
        let text = r#"{"b": 2.0, "a": 1.0, "b": 3.0}"#;
        let ours: FlatMap<String, f64> = serde_json::from_str(text).unwrap();
        let theirs: BTreeMap<String, f64> = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
        assert_eq!(serde_json::to_string(&FlatMap::<String, f64>::new()).unwrap(), "{}");
        for bad in [r#"[["a", 1.0]]"#, "3", r#"{"a": "x"}"#] {
            let ours = serde_json::from_str::<FlatMap<String, f64>>(bad).unwrap_err().to_string();
            let theirs =
                serde_json::from_str::<BTreeMap<String, f64>>(bad).unwrap_err().to_string();
            assert_eq!(ours, theirs, "{bad}");
        }
    }
}
