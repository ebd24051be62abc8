//! The serving simulator's only source of randomness: xoshiro256** seeded through SplitMix64, written here
//! so that the same seed gives bit-identical traffic natively and in wasm, with no dependency.

/// SplitMix64 step (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014): spreads
/// any seed, 0 included, over the whole 64-bit range, which xoshiro needs for its state.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rng {
    s: [u64; 4],
}

/// 2⁻⁵³: turns the top 53 bits of a draw into a double in [0, 1) without rounding.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

impl Rng {
    /// Generator for one `stream` (one model) of a run with `seed`: each model draws from its own
    /// stream, so adding a model or changing the policy never changes another model's arrivals.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut mix = stream;
        let mut state = seed ^ splitmix64(&mut mix);
        let s = [
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
        ];
        Rng { s }
    }

    /// Next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * UNIT
    }

    /// Exponentially distributed with `mean` (inverse transform). The uniform is taken in (0, 1] so the
    /// logarithm is always finite.
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        let u = ((self.next_u64() >> 11) + 1) as f64 * UNIT;
        -mean * u.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_stream_repeat() {
        let mut a = Rng::new(7, 1);
        let mut b = Rng::new(7, 1);
        let mut c = Rng::new(7, 2);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn exponential_has_the_requested_mean() {
        // 100,000 draws: the standard error of the mean is 1/√100000 ≈ 0.32 % of the mean.
        let mut r = Rng::new(1, 0);
        let n = 100_000;
        let mean = (0..n).map(|_| r.exponential(2.0)).sum::<f64>() / n as f64;
        assert!((mean - 2.0).abs() < 0.02, "{mean}");
    }

    #[test]
    fn unit_stays_in_range() {
        let mut r = Rng::new(0, 0);
        assert!((0..10_000).map(|_| r.unit()).all(|u| (0.0..1.0).contains(&u)));
    }
}
