//! The minimum and maximum of two `f64`s as one compare and a select. `f64::min` and `f64::max` ignore a NaN
//! operand, which WebAssembly's `f64.min`/`f64.max` instructions do not, so on wasm32 they compile to calls of
//! libm's `fmin`/`fmax`: in the package's build (opt-level "z") `fmin` and `fmax` took 2.0 % and 1.8 % of the
//! self time of a 50-model CPU prediction in node (`node --cpu-prof` of an unstripped build, session 21), plus
//! the calls. The hot loops of the predictor and the simulator use these instead; they are always inlined
//! (at opt-level "z" a call of its own would cost what the select saves).
//!
//! Both equal the standard ones whenever `b` is not NaN (a NaN `a` gives `b`, as `f64::min` does); every
//! caller passes a bound or a number computed from finite inputs as `b`.

/// `a.min(b)` for a `b` that is not NaN.
#[inline(always)]
pub fn min(a: f64, b: f64) -> f64 {
    if a <= b {
        a
    } else {
        b
    }
}

/// `a.max(b)` for a `b` that is not NaN.
#[inline(always)]
pub fn max(a: f64, b: f64) -> f64 {
    if a >= b {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::{max, min};

    #[test]
    fn equal_the_standard_minimum_and_maximum_unless_the_bound_is_nan() {
        let values =
            [f64::NEG_INFINITY, -3.5, -0.0, 0.0, 1e-12, 1.0, 2.5, 1e300, f64::INFINITY, f64::NAN];
        for &a in &values {
            for &b in values.iter().filter(|b| !b.is_nan()) {
                // == (not bits): IEEE lets either zero be the minimum of -0 and +0.
                assert!(min(a, b) == a.min(b), "min({a}, {b})");
                assert!(max(a, b) == a.max(b), "max({a}, {b})");
            }
        }
    }
}
