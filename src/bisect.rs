//! Bisection for the model's monotone equations (a power-limited clock, a cube root in the simulator, a
//! published row's exact factor): halvings of an interval, multiplications and comparisons only, so the same
//! bits natively and in wasm.

/// The interval `[lo, hi]` after `halvings` halvings of it, each keeping the half whose lower end `above`
/// rejects: `above(x)` is true where `x` lies above the root (a predicate false at `lo` and true at `hi`).
#[inline]
pub fn bisect(mut lo: f64, mut hi: f64, halvings: u32, above: impl Fn(f64) -> bool) -> (f64, f64) {
    for _ in 0..halvings {
        let mid = 0.5 * (lo + hi);
        if above(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::bisect;

    #[test]
    fn narrows_to_the_root_from_below_and_keeps_it_bracketed() {
        // The square root of 2 in [1, 2]: 48 halvings leave an interval of 2^-48 around it.
        let (lo, hi) = bisect(1.0, 2.0, 48, |x| x * x > 2.0);
        assert!(lo * lo <= 2.0 && hi * hi > 2.0);
        assert!(hi - lo <= 2f64.powi(-48));
        // No halving: the interval as given.
        assert_eq!(bisect(0.0, 1.0, 0, |_| true), (0.0, 1.0));
    }
}
