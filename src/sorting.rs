//! Stable sorting through one compiled sort. The standard library's stable sort is generic over the element
//! and the comparison, so each `sort_by` or `sort_by_key` of the crate was compiled again in full (driftsort
//! with its merges, small sorts and pivot choice, about 4 KB of wasm each): 30 copies, 138 KB of the
//! package's 1.8 MB of code and data (`twiggy top` of an unstripped build, session 45). These sort a list of
//! positions instead, with one comparison through a function pointer, so the sort itself is compiled once;
//! what stays generic per caller is the comparison's closure and the few lines that move the elements into
//! their sorted places.
//!
//! The order is the standard library's: stable, elements that compare equal keep their order, so the
//! results are the same in any build and for any input order a caller has already made canonical. Native
//! builds, where size matters less than the few per cent this costs (`mmperf bench`: recommend 50 models cpu
//! 97 -> 102 µs, predict 50 models cpu 26.8 -> 28.7 µs), call the standard sort directly.

use std::cmp::Ordering;

/// Sorts `v` stably by `compare`, as `<[T]>::sort_by` does.
#[cfg(target_arch = "wasm32")]
pub fn sort_by<T>(v: &mut [T], compare: impl FnMut(&T, &T) -> Ordering) {
    by_positions(v, compare);
}

/// Sorts `v` stably by `compare`, as `<[T]>::sort_by` does.
#[cfg(not(target_arch = "wasm32"))]
pub fn sort_by<T>(v: &mut [T], compare: impl FnMut(&T, &T) -> Ordering) {
    v.sort_by(compare);
}

/// [`sort_by`] through the one compiled sort of positions.
#[cfg(any(target_arch = "wasm32", test))]
fn by_positions<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..v.len()).collect();
    sort_positions(&mut order, &mut |a, b| compare(&v[a], &v[b]));
    permute(v, &mut order);
}

/// Sorts `v` stably by the key `key` gives each element, as `<[T]>::sort_by_key` does.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably in its natural order, as `<[T]>::sort` does.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The one compiled sort: positions, stably, by a comparison of the elements at them.
#[cfg(any(target_arch = "wasm32", test))]
#[inline(never)]
fn sort_positions(order: &mut [usize], compare: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// Moves the element at `order[i]` to `i`, for every `i`, following each cycle of the permutation once
/// (`order` is spent: each position is marked as placed by pointing at itself).
#[cfg(any(target_arch = "wasm32", test))]
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    for start in 0..v.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start || from == at {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::by_positions;

    /// A small deterministic generator (no randomness in the core's tests either).
    pub(crate) fn lcg(seed: &mut u64) -> u64 {
        *seed =
            seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        *seed >> 33
    }

    #[test]
    fn orders_as_the_standard_stable_sort_with_ties_kept_in_order() {
        let mut seed = 7;
        for len in [0usize, 1, 2, 3, 5, 17, 64, 257, 1_000] {
            // Keys with many ties, each tagged with its position, so stability is visible.
            let items: Vec<(u64, usize)> = (0..len).map(|i| (lcg(&mut seed) % 7, i)).collect();
            let mut ours = items.clone();
            let mut std = items.clone();
            by_positions(&mut ours, |a, b| a.0.cmp(&b.0));
            std.sort_by_key(|e| e.0);
            assert_eq!(ours, std, "length {len}");
            let mut ours = items.clone();
            let mut std = items;
            by_positions(&mut ours, |a, b| b.0.cmp(&a.0));
            std.sort_by_key(|e| std::cmp::Reverse(e.0));
            assert_eq!(ours, std, "length {len}, descending");
        }
    }

    #[test]
    fn moves_owned_elements_without_losing_or_repeating_any() {
        let mut seed = 11;
        let mut names: Vec<String> =
            (0..300).map(|i| format!("{}-{i}", lcg(&mut seed) % 50)).collect();
        let mut expected = names.clone();
        expected.sort();
        by_positions(&mut names, String::cmp);
        assert_eq!(names, expected);
    }
}
