//! Measured quantities as calibration reports them (platform-free): a figure is the median of its last
//! samples with their spread, and stops sampling once that spread is small. `mmperf calibrate` (natively)
//! and `measureWasmGemm` (in a page) use the same rules.

use crate::catalog::hardware::GemmTile;
use crate::catalog::models::ChainGemm;

/// The large GEMM shape calibration times (m×k×n: a 512-token encoder layer's projection).
pub const LARGE_GEMM: ChainGemm = ChainGemm { m: 512, k: 768, n: 768 };
/// The small GEMM shape calibration times (16 rows: a few tokens).
pub const SMALL_GEMM: ChainGemm = ChainGemm { m: 16, k: 768, n: 768 };

/// A figure stops sampling once the relative IQR of its last window of samples is below this. Chosen from
/// repeated runs on the 2-core development VM: GEMM and bandwidth figures settle within 1-2 % in a few
/// hundred ms when the machine is quiet; 2.5 % leaves room for a busy neighbour without sampling forever.
pub const TARGET_SPREAD: f64 = 0.025;
/// Efficiency of the catalog's large CPU tile (64×256 at 0.75, `hardware::CPU_TILES`): the calibrated peak
/// is the measured large-GEMM 1-thread rate divided by it, so that the profile's tiles reproduce the rate.
pub const LARGE_TILE_EFFICIENCY: f64 = 0.75;

/// FLOPs of one GEMM of shape `g`.
pub fn gemm_flops(g: ChainGemm) -> f64 {
    2.0 * f64::from(g.m) * f64::from(g.k) * f64::from(g.n)
}

/// The tiles a calibrated profile gets from its measured large and small GEMM rates (any unit): the catalog's
/// large tile (64×256) at [`LARGE_TILE_EFFICIENCY`], which the peak is set to reproduce, and the small tile
/// (16×64) at the efficiency that reproduces the small GEMM (16 rows: one small tile high, no padding),
/// kept within (0, 1]: at least 0.01 so a broken sample cannot make a tile cost without bound.
pub fn calibrated_tiles(large: f64, small: f64) -> Vec<GemmTile> {
    vec![
        GemmTile { m: 64, n: 256, efficiency: LARGE_TILE_EFFICIENCY },
        GemmTile {
            m: 16,
            n: 64,
            efficiency: (LARGE_TILE_EFFICIENCY * small / large).clamp(0.01, 1.0),
        },
    ]
}

/// One measured quantity: the median of its stable samples and their spread (all zero: not measured).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figure {
    /// Median of the reported window.
    pub median: f64,
    /// Smallest sample of the window.
    pub min: f64,
    /// Largest sample of the window.
    pub max: f64,
    /// Interquartile range of the window relative to its median, %.
    pub iqr_pct: f64,
    /// Samples taken in all.
    pub samples: usize,
    /// Whether the window settled under the target spread before the time cap.
    pub stable: bool,
}

impl Figure {
    /// The figure of the last `window` of `all` samples (`mmperf bench` passes all of them).
    pub fn of(all: &[f64], window: usize) -> Figure {
        let mut w: Vec<f64> = all[all.len().saturating_sub(window)..].to_vec();
        crate::sorting::sort_by(&mut w, f64::total_cmp);
        let median = quantile(&w, 0.5);
        let iqr = relative_iqr(&w);
        Figure {
            median,
            min: w.first().copied().unwrap_or(0.0),
            max: w.last().copied().unwrap_or(0.0),
            iqr_pct: 100.0 * iqr,
            samples: all.len(),
            stable: w.len() >= window && iqr < TARGET_SPREAD,
        }
    }

    /// `median (IQR x %, min–max, n samples)` with `digits` decimals.
    pub fn show(&self, digits: usize) -> String {
        format!(
            "{:.d$} (IQR {:.1} %, {:.d$}–{:.d$}, {} samples{})",
            self.median,
            self.iqr_pct,
            self.min,
            self.max,
            self.samples,
            if self.stable { "" } else { ", time cap" },
            d = digits
        )
    }
}

/// Linear-interpolated quantile of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let x = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo as f64)
}

/// Interquartile range of sorted values relative to their median (0 for a zero median).
pub fn relative_iqr(sorted: &[f64]) -> f64 {
    let m = quantile(sorted, 0.5).abs();
    if m == 0.0 {
        return 0.0;
    }
    (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / m
}

#[cfg(test)]
mod tests {
    use super::{quantile, relative_iqr, Figure};

    #[test]
    fn quantiles_interpolate_and_the_iqr_is_relative_to_the_median() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.25), 2.0);
        assert!((relative_iqr(&v) - 2.0 / 3.0).abs() < 1e-12);
        let f = Figure::of(&[9.0, 1.0, 1.0, 1.0], 3);
        assert_eq!((f.median, f.iqr_pct, f.samples, f.stable), (1.0, 0.0, 4, true));
    }
}
