//! What calibration reads about the machine rather than measures: the vector ISA and its datasheet FP32
//! peak, the last-level cache's size, and how busy other processes kept the cores meanwhile (Linux /proc and
//! sysfs; defaults elsewhere).

use std::time::Instant;

/// The vector ISA the tuned GEMM dispatches to and its FP32 FLOP per cycle per core.
#[derive(Debug, Clone, PartialEq)]
pub struct Isa {
    /// What was detected, e.g. "AVX-512 (Zen 4: 2×256-bit FMA)".
    pub name: String,
    /// FP32 FLOP per cycle per core (FMA = 2).
    pub flops_per_cycle: f64,
    /// The same for WebAssembly's 128-bit SIMD on this core: 4 lanes × 2 (relaxed-SIMD FMA) × the FMA pipes,
    /// or 4 lanes × an add and a multiply pipe without FMA.
    pub simd128_flops_per_cycle: f64,
    /// Clock the peak is taken at (cpufreq's maximum, else /proc/cpuinfo's current), MHz.
    pub mhz: Option<f64>,
    /// Width of the FMA datapath, bits (512 with two 512-bit pipes, 256 where 512-bit instructions are split
    /// over 256-bit pipes or AVX2 is the widest; 0 otherwise).
    pub fma_bits: u32,
    /// `intel`, `amd`, or empty (`/proc/cpuinfo`'s `vendor_id`).
    pub vendor: &'static str,
}

impl Isa {
    /// One core's FP32 peak, GFLOP/s (unknown without a clock).
    pub fn peak_gflops(&self) -> Option<f64> {
        self.mhz.map(|m| m * 1e-3 * self.flops_per_cycle)
    }
}

fn cpuinfo_field(info: &str, key: &str) -> Option<String> {
    info.lines()
        .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// FP32 FLOP/cycle per core: FMA ports × lanes × 2 (Intel 64 and IA-32 Optimization Reference Manual,
/// AMD Software Optimization Guides for family 17h/19h/1Ah). Intel AVX-512 parts with two 512-bit FMA units
/// (Xeon Gold/Platinum, Sapphire Rapids) and Zen 5 reach 64; Zen 4 splits 512-bit ops over its two 256-bit
/// FMA pipes (32), as AVX2 parts with two FMA ports do; AVX without FMA issues one add and one multiply of
/// 8 lanes (16); SSE2 of 4 (8). Intel parts with one 512-bit unit reach 32: the figure is an upper bound.
pub(super) fn detect_isa() -> Isa {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let vendor_id = cpuinfo_field(&info, "vendor_id").unwrap_or_default();
    let amd = vendor_id == "AuthenticAMD";
    let vendor = match vendor_id.as_str() {
        "AuthenticAMD" => "amd",
        "GenuineIntel" => "intel",
        _ => "",
    };
    let family: u32 = cpuinfo_field(&info, "cpu family").and_then(|f| f.parse().ok()).unwrap_or(0);
    let (name, fpc, simd128) = isa_flops(amd, family);
    let max_khz = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok());
    let mhz = max_khz
        .map(|k| k / 1e3)
        .or_else(|| cpuinfo_field(&info, "cpu MHz").and_then(|m| m.parse().ok()))
        .filter(|m: &f64| *m > 0.0);
    // Two FMA pipes per core on every part listed in `isa_flops`: the datapath is the FLOP per cycle over
    // 2 pipes × 2 FLOP per FMA lane × 32 bits per FP32 lane (no FMA: no FMA datapath to compare with).
    let fma_bits = if fpc >= 32.0 { (fpc / 4.0 * 32.0) as u32 } else { 0 };
    Isa {
        name: name.to_string(),
        flops_per_cycle: fpc,
        simd128_flops_per_cycle: simd128,
        mhz,
        fma_bits,
        vendor,
    }
}

#[cfg(target_arch = "x86_64")]
fn isa_flops(amd: bool, family: u32) -> (&'static str, f64, f64) {
    if std::arch::is_x86_feature_detected!("avx512f") {
        if amd && family < 0x1a {
            ("AVX-512 (Zen 4: 2×256-bit FMA pipes)", 32.0, 16.0)
        } else {
            ("AVX-512 (2×512-bit FMA)", 64.0, 16.0)
        }
    } else if std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("avx2")
    {
        ("AVX2 + FMA (2×256-bit FMA)", 32.0, 16.0)
    } else if std::arch::is_x86_feature_detected!("avx") {
        ("AVX (256-bit add + mul)", 16.0, 8.0)
    } else {
        ("SSE2 (128-bit add + mul)", 8.0, 8.0)
    }
}

/// NEON: 4 FP32 lanes, FMA, two pipes on Neoverse N1/V1-class cores (Apple cores have four: a lower bound).
#[cfg(not(target_arch = "x86_64"))]
fn isa_flops(_amd: bool, _family: u32) -> (&'static str, f64, f64) {
    if cfg!(target_arch = "aarch64") {
        ("NEON (2×128-bit FMA)", 16.0, 16.0)
    } else {
        ("scalar", 2.0, 2.0)
    }
}

/// The last-level cache's size (Linux sysfs; 32 MB when unknown).
pub(super) fn last_level_cache_bytes() -> usize {
    last_level_cache().unwrap_or(32 << 20)
}

/// The last-level cache's size as Linux's sysfs gives it (the largest cache of cpu0), if it does.
pub(super) fn last_level_cache() -> Option<usize> {
    caches().into_iter().map(|(_, size)| size).max()
}

/// The second-level cache's size as Linux's sysfs gives it (cpu0's), if it does.
pub(super) fn second_level_cache() -> Option<usize> {
    caches().into_iter().filter(|&(level, _)| level == 2).map(|(_, size)| size).max()
}

/// cpu0's caches as Linux's sysfs lists them: (level, bytes).
fn caches() -> Vec<(u32, usize)> {
    let base = "/sys/devices/system/cpu/cpu0/cache";
    let read =
        |i: usize, what: &str| std::fs::read_to_string(format!("{base}/index{i}/{what}")).ok();
    (0..8)
        .filter_map(|i| {
            let level = read(i, "level")?.trim().parse().ok()?;
            let size = read(i, "size")?;
            let size = size.trim();
            let (num, mult) = match size.strip_suffix('K') {
                Some(n) => (n, 1 << 10),
                None => (size.strip_suffix('M').unwrap_or(size), 1 << 20),
            };
            Some((level, num.parse::<usize>().ok()? * mult))
        })
        .collect()
}

/// Other processes' load above which calibrate warns (cores kept busy on average): a tenth of a core is
/// background noise (daemons, a shell); half a core already takes a 2-core machine's second thread away often.
pub(super) const BUSY_CORES: f64 = 0.3;

/// CPU time of the whole machine and of this process at the start, in clock ticks (Linux /proc; zeros
/// elsewhere).
pub(super) struct Load {
    at: Instant,
    machine: u64,
    own: u64,
}

impl Load {
    fn ticks() -> (u64, u64) {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
        let cpu: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        let idle = cpu.get(3).unwrap_or(&0) + cpu.get(4).unwrap_or(&0);
        let machine = cpu.iter().take(8).sum::<u64>().saturating_sub(idle);
        let own_stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // Fields 14 and 15 (utime, stime), counted after the command name's closing parenthesis.
        let own = own_stat.rsplit_once(')').map_or(0, |(_, rest)| {
            rest.split_whitespace().skip(11).take(2).filter_map(|v| v.parse::<u64>().ok()).sum()
        });
        (machine, own)
    }

    pub(super) fn start() -> Load {
        let (machine, own) = Load::ticks();
        Load { at: Instant::now(), machine, own }
    }

    /// Cores other processes kept busy on average since the start. Ticks are USER_HZ, 100 per second on
    /// Linux (`sysconf(_SC_CLK_TCK)`, fixed by the kernel ABI for /proc).
    pub(super) fn others_cores(&self) -> f64 {
        let (machine, own) = Load::ticks();
        let others =
            machine.saturating_sub(self.machine).saturating_sub(own.saturating_sub(self.own));
        others as f64 / 100.0 / self.at.elapsed().as_secs_f64().max(1e-3)
    }
}
