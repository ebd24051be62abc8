//! The tuned GEMM calibration times (`mmperf calibrate` natively, `measureWasmGemm` in a page): the
//! `matrixmultiply` crate's `sgemm`, whose microkernels are chosen for the target (AVX-512, AVX2+FMA or AVX
//! at run time on x86-64, NEON on AArch64, SIMD128 on WebAssembly built with `+simd128`).

use crate::catalog::models::ChainGemm;

/// `c = a · b` on this thread with the tuned kernel: `a` is m×k row-major, `b` k×n with row stride `ldb`,
/// `c` m×n row-major.
///
/// Never inlined: a WebAssembly engine starts a module on baseline code and swaps in optimised code only at
/// a function's next call (V8 replaces no running frame), so a timing loop whose GEMMs were inlined into it
/// would keep its baseline code.
#[inline(never)]
pub fn sgemm(g: ChainGemm, a: &[f32], b: &[f32], ldb: usize, c: &mut [f32]) {
    let (m, k, n) = (g.m as usize, g.k as usize, g.n as usize);
    // Not user input: the shapes are the calibration's. A real assert, not a debug one: it is what makes the
    // call below sound.
    assert!(
        a.len() >= m * k
            && c.len() >= m * n
            && n <= ldb
            && (k == 0 || b.len() >= (k - 1) * ldb + n),
        "sgemm operands too short for {m}×{k}×{n}"
    );
    // The crate's one unsafe block (`unsafe_code` is denied everywhere else, Cargo.toml [lints]).
    // SAFETY: the assert keeps every element matrixmultiply addresses (row < m, column < n, depth < k with
    // these strides) inside the three slices; `c` is a distinct `&mut`, so it aliases neither input.
    #[allow(unsafe_code)]
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            ldb as isize,
            1,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// The `i`-th matrix of `len` elements in `buffer` (cycling).
pub fn window(buffer: &[f32], len: usize, i: usize) -> &[f32] {
    let count = (buffer.len() / len.max(1)).max(1);
    let start = (i % count) * len;
    buffer.get(start..start + len).unwrap_or(buffer)
}
