//! The JSON boundary: the only serde types in the crate. Inputs accept snake_case and camelCase keys and are
//! validated into domain types (`TryFrom`-style functions that name the field on error); outputs are
//! camelCase with the seed's names (`totalMetrics.combinedThroughput`, …). The CLI and the WebAssembly
//! package both print these, so their numbers are identical.
//!
//! One file per topic: inputs (`workload`, `device` for hardware profiles, `capabilities`, `graph` for ONNX
//! descriptions), outputs (`prediction`, `recommendation`, `coldstart`, `serve`, `memory`, `catalog`, `trace`,
//! `route`, `detected`), and the stores' and pools' records (`calibration`, `pool`, `real`, `bench`). The
//! topics that were here first are re-exported at `wire::`; each imports what it uses, the helpers below
//! (`count`, `positive`, `malformed`, `r4`, `lenient`) through `super::`.
//!
//! Conversions: inputs by `TryFrom<XDto>` (validated, naming the field), outputs by `From<&X>`; the few that
//! need a second argument (a field path, a store id, a request beside its report) are functions.

use serde::Serialize;

use crate::error::{Error, Result};

pub mod bench;
pub mod calibration;
pub mod capabilities;
pub mod detected;
pub mod graph;
pub mod pool;
pub mod published;
pub mod real;
pub mod route;
pub mod tape;
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod ts;

/// JSON has no NaN or infinity. JavaScript callers' non-finite numbers reach the JSON parser as the strings
/// `"NaN"`, `"Infinity"` and `"-Infinity"` (the wasm layer writes them so) and are read back as numbers, so
/// that validation rejects them by field name like any other bad number.
pub mod lenient {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Number(f64),
        Text(String),
    }

    fn convert<E: serde::de::Error>(n: Num) -> Result<f64, E> {
        match n {
            Num::Number(x) => Ok(x),
            Num::Text(s) => match s.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(E::custom(format!("expected a number, found the string \"{other}\""))),
            },
        }
    }

    /// An optional number, or one of those strings.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<Num>::deserialize(d)?.map(convert).transpose()
    }

    /// A number, or one of those strings.
    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        convert(Num::deserialize(d)?)
    }
}

mod catalog;
mod coldstart;
mod device;
mod memory;
mod prediction;
mod recommendation;
mod serve;
mod trace;
mod workload;

pub use catalog::*;
pub use coldstart::*;
pub use device::*;
pub use memory::*;
pub use prediction::*;
pub use recommendation::*;
pub use serve::*;
pub use trace::*;
pub use workload::*;

/// An optional whole number in `min..=max`, or an error naming `field` (written out only for the error).
pub(crate) fn count(
    field: impl std::fmt::Display,
    v: Option<f64>,
    min: f64,
    max: f64,
) -> Result<Option<u32>> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && x.fract() == 0.0 && x >= min && x <= max => Ok(Some(x as u32)),
        Some(x) => {
            Err(Error::invalid(field.to_string(), x, format!("an integer from {min} to {max}")))
        }
    }
}

/// An optional number in `(0, max]`, or an error naming `field` (written out only for the error).
pub(crate) fn positive(
    field: impl std::fmt::Display,
    v: Option<f64>,
    max: f64,
) -> Result<Option<f64>> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && x > 0.0 && x <= max => Ok(Some(x)),
        Some(x) => {
            Err(Error::invalid(field.to_string(), x, format!("a positive number up to {max}")))
        }
    }
}

/// `parent.key` as a field path in errors, written only when an error names it (a model entry's fields are
/// checked on every call, and almost never fail).
#[derive(Clone, Copy)]
pub(crate) struct FieldPath<'a>(pub &'a dyn std::fmt::Display, pub &'a str);

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

pub(crate) fn malformed(what: &str, e: serde_json::Error) -> Error {
    Error::Malformed { what: what.to_string(), detail: e.to_string() }
}

pub(crate) fn r4(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e4).round() / 1e4
    } else {
        0.0
    }
}

/// Pretty JSON of any output DTO.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_and_camel_case_keys_are_both_accepted() {
        let a =
            parse_workload(r#"[{"model_name":"gpt2","batch_size":2,"output_tokens":8}]"#).unwrap();
        let b =
            parse_workload(r#"{"models":[{"modelName":"gpt2","batchSize":2,"outputTokens":8}]}"#)
                .unwrap();
        assert_eq!(a.workload, b.workload);
    }

    #[test]
    fn bad_numbers_name_the_field() {
        for (json, field) in [
            (r#"[{"model_name":"gpt2","batch_size":0}]"#, "models[0].batch_size"),
            (r#"[{"model_name":"gpt2","batch_size":2.5}]"#, "models[0].batch_size"),
            (
                r#"[{"model_name":"gpt2"},{"model_name":"gpt2","sequence_length":-3}]"#,
                "models[1].sequence_length",
            ),
            (
                r#"{"models":[{"model_name":"gpt2"}],"constraints":{"max_memory":-1}}"#,
                "constraints.max_memory",
            ),
            (
                r#"{"models":[{"model_name":"gpt2"}],"constraints":{"max_compute":1.5}}"#,
                "constraints.max_compute",
            ),
            (r#"[{"model_name":"gpt2","precision":"fp12"}]"#, "models[0].precision"),
            (r#"[{"batch_size":1}]"#, "models[0].model_name"),
        ] {
            let err = parse_workload(json).unwrap_err().to_string();
            assert!(err.contains(field), "{json}: {err}");
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = parse_workload(r#"[{"model_name":"gpt2","bogus":1}]"#).unwrap_err().to_string();
        assert!(err.contains("unknown field `bogus`") && err.contains("batch_size"), "{err}");
        let err = parse_workload(r#""gpt2""#).unwrap_err().to_string();
        assert!(err.contains("an array of model entries"), "{err}");
    }

    #[test]
    fn non_finite_numbers_written_as_strings_are_named() {
        let err = parse_workload(r#"[{"model_name":"gpt2","batch_size":"NaN"}]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("models[0].batch_size: NaN"), "{err}");
        let err = parse_workload(r#"[{"model_name":"gpt2","audio_seconds":"-Infinity"}]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("models[0].audio_seconds: -inf"), "{err}");
        let err = parse_workload(r#"[{"model_name":"gpt2","batch_size":"four"}]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a number"), "{err}");
    }

    #[test]
    fn malformed_json_is_reported_with_position() {
        let err = parse_workload("[{\"model_name\": }").unwrap_err().to_string();
        assert!(err.starts_with("malformed workload") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn custom_hardware_overrides_a_base() {
        let d = parse_hardware(
            r#"{"base":"cuda:a100-40gb","memory_capacity_mb":20000,"id":"cuda:a100-mig-3g"}"#,
        )
        .unwrap();
        assert_eq!(d.memory_capacity_mb, 20000.0);
        assert_eq!(d.peak_tflops.fp16, 312.0);
        let err =
            parse_hardware(r#"{"base":"cuda","bandwidth_efficiency":2}"#).unwrap_err().to_string();
        assert!(err.contains("hardware.bandwidth_efficiency"), "{err}");
    }

    #[test]
    fn a_runtime_may_beat_the_calibrated_gemm_by_up_to_four_times() {
        // onnxruntime-web's small GEMMs ran 1.2-1.3x the page's tuned GEMM (bench/web/gemm.mjs).
        let d = parse_hardware(r#"{"base":"wasm","runtime_efficiency":{"ort-web":1.25}}"#).unwrap();
        assert_eq!(d.runtime_efficiency, vec![("onnxruntime-web".to_string(), 1.25)]);
        for bad in ["0", "4.5", "-1"] {
            let json =
                format!(r#"{{"base":"wasm","runtime_efficiency":{{"onnxruntime-web":{bad}}}}}"#);
            let err = parse_hardware(&json).unwrap_err().to_string();
            assert!(err.contains("hardware.runtime_efficiency.onnxruntime-web"), "{err}");
            assert!(err.contains("at most 4"), "{err}");
        }
    }

    #[test]
    fn an_npus_vector_unit_share_is_read_written_and_bounded() {
        let catalog = parse_hardware(r#"{"base":"qnn:x-elite-npu"}"#).unwrap();
        assert!(catalog.vector_unit_share > 0.0);
        let d = parse_hardware(r#"{"base":"qnn:x-elite-npu","vector_unit_share":0.01}"#).unwrap();
        assert_eq!(d.vector_unit_share, 0.01);
        let back = serde_json::to_value(crate::wire::device::HardwareProfileDto::from(&d)).unwrap();
        assert_eq!(back["vector_unit_share"], 0.01);
        // 0 turns the DSPs off: every kernel at the device's rate.
        let off = parse_hardware(r#"{"base":"qnn:x-elite-npu","vector_unit_share":0}"#).unwrap();
        assert_eq!(off.vector_unit_share, 0.0);
        for bad in ["-0.1", "1.5"] {
            let json = format!(r#"{{"base":"qnn:x-elite-npu","vector_unit_share":{bad}}}"#);
            let err = parse_hardware(&json).unwrap_err().to_string();
            assert!(err.contains("hardware.vector_unit_share"), "{err}");
            assert!(err.contains("from 0 to 1"), "{err}");
        }
        // CPUs and concurrent-kernel GPUs compute norms with everything else: no DSPs apart to give them.
        for base in ["cpu", "cuda:a100-40gb"] {
            let json = format!(r#"{{"base":"{base}","vector_unit_share":0.01}}"#);
            let err = parse_hardware(&json).unwrap_err().to_string();
            assert!(err.contains("hardware.vector_unit_share"), "{err}");
            assert!(err.contains("serial_queue"), "{err}");
            let zero = format!(r#"{{"base":"{base}","vector_unit_share":0}}"#);
            assert_eq!(parse_hardware(&zero).unwrap().vector_unit_share, 0.0);
        }
    }

    #[test]
    fn a_gpus_fp32_tile_gain_is_read_written_and_bounded() {
        // Catalog: the GPUs with one FP32 pipe per SM sub-partition have it, the doubled-FP32 ones and CPUs not.
        assert_eq!(parse_hardware(r#"{"base":"cuda:v100"}"#).unwrap().fp32_tile_gain, 1.25);
        assert_eq!(parse_hardware(r#"{"base":"cuda:l4"}"#).unwrap().fp32_tile_gain, 1.0);
        assert_eq!(parse_hardware(r#"{"base":"cpu"}"#).unwrap().fp32_tile_gain, 1.0);
        assert_a_gain_is_read_written_and_bounded("cuda:t4", "fp32_tile_gain", 1.1, |d| {
            d.fp32_tile_gain
        });
    }

    /// A GPU tile gain `field` set to `value` on the catalog's `base`: read into the profile (`get`), its own
    /// value dropping the base device's source for the catalog's, written back, and refused (naming the field)
    /// at 0, below 0 and above 4.
    fn assert_a_gain_is_read_written_and_bounded(
        base: &str,
        field: &str,
        value: f64,
        get: fn(&crate::catalog::hardware::DeviceProfile) -> f64,
    ) {
        let d = parse_hardware(&format!(r#"{{"base":"{base}","{field}":{value}}}"#)).unwrap();
        assert_eq!(get(&d), value);
        assert!(d.sources.iter().all(|(k, _)| k != field), "{:?}", d.sources);
        let back = serde_json::to_value(crate::wire::device::HardwareProfileDto::from(&d)).unwrap();
        assert_eq!(back[field], value);
        for bad in ["0", "-1", "4.5"] {
            let json = format!(r#"{{"base":"{base}","{field}":{bad}}}"#);
            let err = parse_hardware(&json).unwrap_err().to_string();
            assert!(err.contains(&format!("hardware.{field}")), "{err}");
            assert!(err.contains("positive number up to 4"), "{err}");
        }
    }

    #[test]
    fn a_gpus_int8_tile_gain_is_read_written_and_bounded() {
        // Catalog: every CUDA or ROCm GPU with an INT8 peak has it, with its source; an NPU and a CPU not.
        for gpu in ["cuda:t4", "cuda:h100-sxm", "rocm:mi250"] {
            let d = parse_hardware(&format!(r#"{{"base":"{gpu}"}}"#)).unwrap();
            assert_eq!(d.int8_tile_gain, crate::catalog::hardware::GPU_INT8_TILE_GAIN, "{gpu}");
            assert!(d.sources.iter().any(|(k, _)| k == "int8_tile_gain"), "{gpu}");
        }
        assert_eq!(parse_hardware(r#"{"base":"qnn:x-elite-npu"}"#).unwrap().int8_tile_gain, 1.0);
        assert_eq!(parse_hardware(r#"{"base":"cpu"}"#).unwrap().int8_tile_gain, 1.0);
        assert_a_gain_is_read_written_and_bounded("cuda:l4", "int8_tile_gain", 0.8, |d| {
            d.int8_tile_gain
        });
    }

    #[test]
    fn a_measured_region_cost_names_its_runtime_and_stays_in_range() {
        let d = parse_hardware(r#"{"base":"cpu","runtime_region_us":{"builtin":119.3}}"#).unwrap();
        assert_eq!(d.runtime_region_us, vec![("builtin".to_string(), 119.3)]);
        let back = serde_json::to_value(crate::wire::device::HardwareProfileDto::from(&d)).unwrap();
        assert_eq!(back["runtime_region_us"]["builtin"], 119.3);
        for (runtime, us, says) in [
            ("builtin", "-1", "from 0 to 10000"),
            ("builtin", "20000", "from 0 to 10000"),
            ("tensorflow", "10", "tensorrt"),
        ] {
            let json = format!(r#"{{"base":"cpu","runtime_region_us":{{"{runtime}":{us}}}}}"#);
            let err = parse_hardware(&json).unwrap_err().to_string();
            assert!(err.contains(&format!("hardware.runtime_region_us.{runtime}")), "{err}");
            assert!(err.contains(says), "{err}");
        }
    }
}
