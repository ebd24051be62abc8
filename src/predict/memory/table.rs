//! Plain-text tables of memory advice, for the CLI and test logs.

use super::MemoryAdvice;
use std::fmt::Write;

impl MemoryAdvice {
    /// The breakdown and the ranked options as aligned text.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "strategy {} | peak {:.0} MB of {:.0} MB | overflow {:.0} MB | latency {:.2} ms | contexts {:.0} MB",
            self.strategy.name(),
            self.peak_mb,
            self.capacity_mb,
            self.overflow_mb,
            self.latency_ms,
            self.context_mb
        );
        let _ = writeln!(
            out,
            "{:<24} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "model", "prec", "weights", "activ", "kv", "workspace", "overhead", "shared", "held"
        );
        for m in &self.models {
            let _ = writeln!(
                out,
                "{:<24} {:>5} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
                m.name,
                m.precision.name(),
                m.weights_mb,
                m.activations_mb,
                m.kv_cache_mb,
                m.workspace_mb,
                m.runtime_overhead_mb,
                m.shared_mb,
                m.held_mb
            );
        }
        let _ = writeln!(
            out,
            "{:>3} {:<16} {:>10} {:>11}  description",
            "#", "option", "saved MB", "Δlatency ms"
        );
        let fit = self.fit_plan.iter().map(|f| &f.option);
        for (k, o) in self.options.iter().chain(fit).enumerate() {
            let saved = match o.estimated {
                true => format!("~{:.1}", o.saved_mb),
                false => format!("{:.1}", o.saved_mb),
            };
            let _ = writeln!(
                out,
                "{:>3} {:<16} {:>10} {:>+11.2}  {}",
                k + 1,
                o.kind.name(),
                saved,
                o.latency_delta_ms,
                o.description
            );
            if let Some(c) = &o.caveat {
                let _ = writeln!(out, "{:>43}caveat: {c}", "");
            }
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        out
    }
}
