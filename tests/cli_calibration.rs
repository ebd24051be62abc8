//! `mmperf calibrate | measure | validate | refit | export | import` end to end on this machine, with tiny
//! workloads (the numbers are real but not asserted: the machine is shared), the SQLite store and its
//! failure cases (corrupt file, another database, NaN measurements, too little data).

#![cfg(not(target_arch = "wasm32"))]

#[path = "support/files.rs"]
mod files;

use std::process::{Command, Output};

fn mmperf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmperf"))
        .args(args)
        .env_remove("MMPERF_DB")
        .output()
        .expect("run mmperf")
}

fn ok(args: &[&str]) -> String {
    let out = mmperf(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = mmperf(args);
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
    err
}

const TWO: &str = r#"[{"model_name": "bert-base-uncased"}, {"model_name": "resnet-50"}]"#;
const THREE: &str = r#"[{"model_name": "all-MiniLM-L6-v2", "batch_size": 2}, {"model_name": "mobilenet-v2"}, {"model_name": "gpt2", "threads": 1}]"#;

#[test]
fn calibrate_measure_validate_refit_export_import() {
    let dir = files::scratch("calibration");
    let db = dir.join("m.sqlite").to_string_lossy().into_owned();
    let profile = dir.join("cpu.json").to_string_lossy().into_owned();
    // Nothing calibrated yet: measure says what to do.
    let two = files::write(&dir, "two.json", TWO);
    let e = fails(&["measure", &two, "--db", &db]);
    assert!(e.contains("mmperf calibrate"), "{e}");

    let out = mmperf(&["calibrate", "--quick", "--db", &db, "--out", &profile]);
    assert!(out.status.success());
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(progress.contains("GEMM") && progress.contains("GB/s"), "{progress}");
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    assert_eq!(p["id"], "cpu:calibrated");
    assert!(p["peak_tflops"]["fp32"].as_f64().unwrap() > 0.0);
    assert_eq!(p["serial_fraction"].as_f64(), Some(0.0));
    // A page fault costs something, and less than a millisecond.
    let fault = p["page_fault_us"].as_f64().unwrap();
    assert!(fault > 0.0 && fault < 1000.0, "page_fault_us {fault}");
    // Where sysfs gives the last-level cache, its size and one thread's read rate from it.
    let llc = p["llc_mb"].as_f64().unwrap();
    let llc_bw = p["llc_bandwidth_gbps"].as_f64().unwrap();
    if std::path::Path::new("/sys/devices/system/cpu/cpu0/cache/index0/size").exists() {
        assert!(llc >= 1.0 && llc_bw > 0.0, "llc_mb {llc}, llc_bandwidth_gbps {llc_bw}");
    } else {
        assert_eq!((llc, llc_bw), (0.0, 0.0));
    }

    let three = files::write(&dir, "three.json", THREE);
    for (k, w) in [&two, &three].into_iter().enumerate() {
        let text = ok(&[
            "measure",
            w,
            "--all-strategies",
            "--max-mflop",
            "2",
            "--repeat",
            "1",
            "--db",
            &db,
        ]);
        for s in
            ["parallel:", "sequential:", "batched:", "stored as measurement", "recommendation:"]
        {
            assert!(text.contains(s), "{s}: {text}");
        }
        // The recommendation's accuracy accumulates over the stored comparisons.
        assert!(text.contains(&format!("of {} comparisons", k + 1)), "{text}");
    }
    let json = ok(&[
        "measure",
        &two,
        "--strategy",
        "sequential",
        "--max-mflop",
        "2",
        "--repeat",
        "1",
        "--db",
        &db,
        "--json",
        "--hardware",
        &profile,
    ]);
    let runs: serde_json::Value = serde_json::from_str(&json).unwrap();
    let m = &runs[0];
    assert_eq!(m["strategy"], "sequential");
    assert!(m["measuredMakespanMs"].as_f64().unwrap() > 0.0);
    assert!(m["models"][0]["measuredMs"].as_f64().unwrap() > 0.0);
    assert!(m["models"][0]["model"]["chain"].is_array());

    // Two workloads with --all-strategies (every strategy and the core-split plans recommend weighs) and one
    // sequential run: 11 measurements.
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["validate", "--db", &db, "--json"])).unwrap();
    assert_eq!(v["measurements"], 11);
    assert_eq!(v["makespan"]["n"], 11);
    assert!(v["byStrategy"]["parallel"]["n"].as_u64().unwrap() >= 2);
    assert!(ok(&["validate", "--db", &db]).contains("refit due:"));

    let fit = ok(&["refit", "--db", &db]);
    assert!(fit.contains("v1 → v2 (v1 kept)") && fit.contains("held-out makespan error"), "{fit}");

    let export = ok(&["export", "--db", &db]);
    let e: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(e["measurements"].as_array().unwrap().len(), 11);
    let versions: Vec<u64> =
        e["profiles"].as_array().unwrap().iter().map(|p| p["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, vec![1, 2]);
    assert_eq!(e["fits"].as_array().unwrap().len(), 1);
    assert_eq!(e["comparisons"].as_array().unwrap().len(), 2);

    // Import into a fresh store: the same content.
    let file = files::write(&dir, "export.json", &export);
    let db2 = dir.join("copy.sqlite").to_string_lossy().into_owned();
    assert!(ok(&["import", &file, "--db", &db2]).contains("11 measurements"));
    let v2: serde_json::Value =
        serde_json::from_str(&ok(&["validate", "--db", &db2, "--json"])).unwrap();
    assert_eq!(v2["makespan"], v["makespan"]);

    // A NaN or negative measurement is rejected by name, and nothing of that import is written.
    let mut bad = e.clone();
    bad["measurements"][3]["models"][1]["measuredMs"] = serde_json::json!("NaN");
    let bad_file = files::write(&dir, "bad.json", &bad.to_string());
    let err = fails(&["import", &bad_file, "--db", &db2]);
    assert!(err.contains("measurements[3]") && err.contains("models[1].measured_ms"), "{err}");
    bad["measurements"][3]["models"][1]["measuredMs"] = serde_json::json!(-2.0);
    let err = fails(&["import", &files::write(&dir, "neg.json", &bad.to_string()), "--db", &db2]);
    assert!(err.contains("measured_ms"), "{err}");
    let still: serde_json::Value =
        serde_json::from_str(&ok(&["validate", "--db", &db2, "--json"])).unwrap();
    assert_eq!(still["measurements"], 11);
}

#[test]
fn a_corrupt_or_foreign_store_is_reported_and_left_untouched() {
    let dir = files::scratch("corrupt");
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    let path = dir.join("corrupt.sqlite");
    std::fs::write(&path, &junk).unwrap();
    let db = path.to_string_lossy().into_owned();
    let e = fails(&["validate", "--db", &db]);
    assert!(e.contains(&db) && e.contains("not an SQLite database"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), junk, "the file was changed");
    // An SQLite database of something else.
    let other = dir.join("other.sqlite");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let e = fails(&["validate", "--db", &other.to_string_lossy()]);
    assert!(e.contains("something else"), "{e}");
}

/// A scratch directory with a store that a quick calibration filled (`m.sqlite`) and the two-model workload
/// (`two.json`): (the directory, kept while the test runs; store path, workload path).
fn calibrated_store(test: &str) -> (files::Scratch, String, String) {
    let dir = files::scratch(test);
    let db = dir.join("m.sqlite").to_string_lossy().into_owned();
    ok(&["calibrate", "--quick", "--db", &db]);
    let two = files::write(&dir, "two.json", TWO);
    (dir, db, two)
}

#[test]
fn a_fit_from_one_measurement_is_refused() {
    let (_dir, db, two) = calibrated_store("onefit");
    ok(&[
        "measure",
        &two,
        "--strategy",
        "sequential",
        "--max-mflop",
        "1",
        "--repeat",
        "1",
        "--db",
        &db,
    ]);
    let e = fails(&["refit", "--db", &db]);
    assert!(e.contains("at least 2 measurements"), "{e}");
    let e = fails(&["measure", &two, "--strategy", "fastest", "--db", &db]);
    assert!(e.contains("--strategy"), "{e}");
}

/// The calibrated profile describes the machine (all-core rate, region cost on several cores) and keeps the
/// built-in runtime's kernel efficiency beside it; the numbers are not asserted beyond their ranges (the
/// machine is shared).
#[test]
fn the_calibrated_profile_separates_the_machine_from_the_builtin_runtime() {
    let dir = files::scratch("calibrated-fields");
    let db = dir.join("m.sqlite").to_string_lossy().into_owned();
    let file = dir.join("cpu.json").to_string_lossy().into_owned();
    let wasm_file = dir.join("wasm.json").to_string_lossy().into_owned();
    let out =
        mmperf(&["calibrate", "--quick", "--db", &db, "--out", &file, "--wasm-out", &wasm_file]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let progress = String::from_utf8_lossy(&out.stderr);
    for s in ["16×768×768", "1×768×3072", "concurrency", "parallel region", "fork-join", "IQR"]
    {
        assert!(progress.contains(s), "{s}: {progress}");
    }
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let all_core = p["all_core_rate"].as_f64().unwrap();
    assert!(all_core > 0.0 && all_core <= 1.0, "{all_core}");
    let cores = p["compute_units"].as_f64().unwrap();
    let overhead = p["kernel_overhead_us"].as_f64().unwrap();
    assert!(cores <= 1.0 || overhead > 0.0, "{overhead} µs on {cores} cores");
    let sources = p["sources"].to_string();
    let builtin = p["runtime_efficiency"]["builtin"].as_f64().unwrap();
    assert!(builtin > 0.0 && builtin <= 1.0, "{builtin}");
    // The built-in runner's fork-join, timed with its GEMMs' work, replaces the catalog's region cost for it.
    let region = p["runtime_region_us"]["builtin"].as_f64().unwrap();
    assert!(region.is_finite() && region >= 0.0, "{region}");
    assert!(sources.contains("runtime_region_us builtin"), "{sources}");
    assert_eq!(p["serial_fraction"].as_f64(), Some(0.0));
    assert_eq!(p["bandwidth_efficiency"].as_f64(), Some(1.0));
    assert!(p["per_unit_bandwidth_gbps"].as_f64().unwrap() > 0.0);
    assert!(sources.contains("matrixmultiply") && sources.contains("IQR"), "{sources}");
    // Co-runners cost what the concurrency probe and the bandwidth shares say, nothing on top.
    assert_eq!(p["interference_per_model"].as_f64(), Some(0.0));

    // The browser-page profile: the same machine with its peak scaled to WASM SIMD128, which is 4 lanes (with
    // FMA on two pipes: 16 FLOP/cycle) against a native 8 (SSE2), 16 (AVX, NEON), 32 (AVX2, Zen 4) or 64
    // (AVX-512 on two 512-bit units) FLOP/cycle: a ratio of 1, 1/2 or 1/4.
    let w: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&wasm_file).unwrap()).unwrap();
    assert_eq!(w["platform"], "wasm");
    assert_eq!(w["id"], "wasm:calibrated");
    assert_eq!(w["default_runtime"], "onnxruntime-web");
    // The native runner's fork-join does not carry over to a page.
    assert_eq!(w["runtime_region_us"], serde_json::json!({}));
    let ratio =
        w["peak_tflops"]["fp32"].as_f64().unwrap() / p["peak_tflops"]["fp32"].as_f64().unwrap();
    assert!([1.0, 0.5, 0.25].iter().any(|r| (ratio - r).abs() < 1e-9), "{ratio}");
    for same in ["memory_bandwidth_gbps", "compute_units", "all_core_rate", "gemm_tiles"] {
        assert_eq!(w[same], p[same], "{same}");
    }
    assert!(w["sources"]["wasm"].as_str().unwrap().contains("SIMD128"));
    // A page's memory is a wasm32 instance's.
    assert!(w["memory_capacity_mb"].as_f64().unwrap() <= 4096.0);
    let workload = dir.join("w.json").to_string_lossy().into_owned();
    std::fs::write(&workload, r#"[{"model_name": "all-MiniLM-L6-v2"}]"#).unwrap();
    let page = ok(&["predict", &workload, "--hardware", &wasm_file, "--json"]);
    assert!(page.contains("onnxruntime-web"), "{page}");
}

/// Two `mmperf measure` processes writing one store at the same moment both succeed and both runs are
/// stored (write-ahead log and a busy timeout instead of "database is locked").
#[test]
fn two_measure_processes_writing_one_store_at_once_lose_nothing() {
    let (_dir, db, two) = calibrated_store("concurrent");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_mmperf"))
            .args([
                "measure",
                &two,
                "--all-strategies",
                "--max-mflop",
                "1",
                "--repeat",
                "1",
                "--db",
                &db,
            ])
            .env_remove("MMPERF_DB")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start mmperf")
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().expect("wait for mmperf");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // Each run stores one measurement per plan (5 with splits on a multi-core machine, 3 on one core) and
    // one comparison; the export must hold both runs' worth.
    let export: serde_json::Value = serde_json::from_str(&ok(&["export", "--db", &db])).unwrap();
    let measurements = export["measurements"].as_array().unwrap().len();
    let comparisons = export["comparisons"].as_array().unwrap().len();
    assert_eq!(comparisons, 2, "{export}");
    assert!(measurements == 10 || measurements == 6, "{measurements} measurements");
}
