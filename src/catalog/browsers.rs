//! Browser profiles as data: which ML backends Chrome, Edge, Firefox and Safari offer by default, on which
//! operating systems, with the public source of each fact.
//!
//! Facts come from `shared/REFERENCE-FACTS.md` (WebNN and WebGPU status, browser runtimes); the reliability mark
//! there (A, B, C, U) is repeated where a fact is not from a primary source. `plan::route::recommend_browser`
//! turns a profile into the capabilities a typical laptop would report in that browser and routes a workload
//! through them. No per-browser dispatch-overhead difference is modelled: none was found in a public source,
//! so every browser uses the same catalog device profiles.

/// Desktop operating systems the recommendation compares.
pub const DESKTOP_OSES: [&str; 4] = ["Windows", "macOS", "Linux", "ChromeOS"];

/// What one browser offers for running models by default (no flags, no origin-trial token).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrowserProfile {
    /// Short id: `chrome`, `edge`, `firefox`, `safari`.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Desktop operating systems the browser exists on.
    pub oses: &'static [&'static str],
    /// First version with WebGPU on by default.
    pub webgpu_since: &'static str,
    /// Operating systems where WebGPU is on by default (desktop).
    pub webgpu_oses: &'static [&'static str],
    /// WebGPU status in a sentence, with the source.
    pub webgpu_note: &'static str,
    /// Whether WebNN (`navigator.ml`) is on by default.
    pub webnn_default: bool,
    /// WebNN status in a sentence, with the source.
    pub webnn_note: &'static str,
    /// Whether the `shader-f16` feature is known to be exposed where the GPU supports it.
    pub shader_f16: bool,
    /// `shader-f16` status in a sentence.
    pub shader_f16_note: &'static str,
    /// WebAssembly SIMD and threads (threads need cross-origin isolation in every browser).
    pub wasm_note: &'static str,
    /// Per-browser dispatch overhead: none sourced, so none is modelled.
    pub dispatch_note: &'static str,
    /// Sources of the facts above.
    pub sources: &'static [&'static str],
}

impl BrowserProfile {
    /// Whether WebGPU is on by default on `os`.
    pub fn webgpu_on(&self, os: &str) -> bool {
        self.webgpu_oses.contains(&os)
    }
}

const WASM_NOTE: &str = "WebAssembly 128-bit SIMD and threads are supported by every current version; threads \
     need SharedArrayBuffer, which browsers expose only to cross-origin isolated pages (COOP/COEP headers).";
const NO_DISPATCH_DIFF: &str =
    "No public measurement of a per-browser WebGPU dispatch-overhead difference was \
     found; every browser uses the same catalog device profile.";
const WEBNN_NOT_SHIPPED: &str =
    "WebNN is not shipped by default in any browser per the newest material found \
     (mid/late 2026); whether it shipped later is unverified.";

const CHROMIUM_SOURCES: &[&str] = &[
    "WebGPU default in Chrome/Edge 113 (May 2023) on Windows, macOS, ChromeOS; Android Chrome 121 (U) \
     (REFERENCE-FACTS, WebNN and WebGPU status, B)",
    "WebNN Intent to Experiment Dec 2025, origin trial M146-M148 announced Feb 2026 then delayed \
     (blink-dev, go.mail-archive.com msg15857/15933, B)",
];

const ALL: [BrowserProfile; 4] = [
    BrowserProfile {
        id: "chrome",
        name: "Google Chrome",
        oses: &["Windows", "macOS", "Linux", "ChromeOS"],
        webgpu_since: "113",
        webgpu_oses: &["Windows", "macOS", "ChromeOS"],
        webgpu_note: "WebGPU on by default since Chrome 113 (May 2023) on Windows, macOS and ChromeOS; not by \
             default on Linux per the material found.",
        webnn_default: false,
        webnn_note: "WebNN only behind a flag or an origin trial (M146-M148, delayed); not on by default.",
        shader_f16: true,
        shader_f16_note: "shader-f16 is exposed where the GPU supports it (Chrome 120, \"What's New in WebGPU \
             (Chrome 120)\", U here: not in REFERENCE-FACTS).",
        wasm_note: WASM_NOTE,
        dispatch_note: NO_DISPATCH_DIFF,
        sources: CHROMIUM_SOURCES,
    },
    BrowserProfile {
        id: "edge",
        name: "Microsoft Edge",
        oses: &["Windows", "macOS", "Linux"],
        webgpu_since: "113",
        webgpu_oses: &["Windows", "macOS"],
        webgpu_note: "Chromium-based: WebGPU on by default since Edge 113 on Windows and macOS; not by default on \
             Linux per the material found.",
        webnn_default: false,
        webnn_note: "WebNN only behind a flag or the Chromium origin trial; not on by default.",
        shader_f16: true,
        shader_f16_note: "As Chrome (same Dawn implementation): shader-f16 where the GPU supports it (U).",
        wasm_note: WASM_NOTE,
        dispatch_note: NO_DISPATCH_DIFF,
        sources: CHROMIUM_SOURCES,
    },
    BrowserProfile {
        id: "firefox",
        name: "Firefox",
        oses: &["Windows", "macOS", "Linux"],
        webgpu_since: "141",
        webgpu_oses: &["Windows"],
        webgpu_note: "WebGPU on by default since Firefox 141 (22 Jul 2025) on Windows only; macOS, Linux and \
             Android were announced for \"the coming months\" (later versions unverified).",
        webnn_default: false,
        webnn_note: "Mozilla's standards position on WebNN is positive (plans to implement); not shipped.",
        shader_f16: false,
        shader_f16_note: "shader-f16 support unverified: assumed absent, so fp16 models are predicted with fp32 \
             weights on WebGPU.",
        wasm_note: WASM_NOTE,
        dispatch_note: NO_DISPATCH_DIFF,
        sources: &[
            "WebGPU default in Firefox 141 on Windows (REFERENCE-FACTS, WebNN and WebGPU status, B)",
            "Firefox standards position on WebNN: positive (REFERENCE-FACTS, B)",
        ],
    },
    BrowserProfile {
        id: "safari",
        name: "Safari",
        oses: &["macOS"],
        webgpu_since: "26",
        webgpu_oses: &["macOS"],
        webgpu_note: "WebGPU on by default since Safari 26 (fall 2025) on macOS, iOS, iPadOS and visionOS.",
        webnn_default: false,
        webnn_note: "WebKit has given no signal on WebNN.",
        shader_f16: false,
        shader_f16_note: "shader-f16 support unverified: assumed absent, so fp16 models are predicted with fp32 \
             weights on WebGPU.",
        wasm_note: WASM_NOTE,
        dispatch_note: NO_DISPATCH_DIFF,
        sources: &[
            "WebGPU default in Safari 26 (REFERENCE-FACTS, WebNN and WebGPU status, B)",
            "WebKit: no signal on WebNN (REFERENCE-FACTS, B)",
        ],
    },
];

/// Every browser profile, in a fixed order (Chrome, Edge, Firefox, Safari).
pub fn all() -> Vec<BrowserProfile> {
    ALL.to_vec()
}

/// The profile whose id or name matches `name` (case-insensitive; `Google Chrome`, `Microsoft Edge`,
/// `HeadlessChrome` and `Chromium` map to the Chromium profiles).
pub fn find(name: &str) -> Option<BrowserProfile> {
    let key = name.trim().to_ascii_lowercase();
    let id = match key.as_str() {
        "google chrome" | "headlesschrome" | "chromium" => "chrome",
        "microsoft edge" => "edge",
        other => other,
    };
    ALL.iter().find(|b| b.id == id).copied()
}

/// The sentence about WebNN shared by all profiles.
pub fn webnn_status() -> &'static str {
    WEBNN_NOT_SHIPPED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_consistent() {
        for b in all() {
            assert!(b.webgpu_oses.iter().all(|os| b.oses.contains(os)), "{}", b.id);
            assert!(b.oses.iter().all(|os| DESKTOP_OSES.contains(os)), "{}", b.id);
            assert!(!b.sources.is_empty());
        }
        assert_eq!(find("Microsoft Edge").map(|b| b.id), Some("edge"));
        assert!(find("lynx").is_none());
    }
}
