//! The pool's validation and self-calibration: every fully successful run is recorded as a measurement
//! (kept in memory and in IndexedDB), `validate` reports the prediction error, `refit` refits the pool's
//! device profiles from those measurements (held-out check, previous version kept) and later predictions use
//! the refitted profiles; `compareStrategies` runs every strategy and checks the recommendation. The JSON is
//! the same as the native store's (`mmperf export` / `import`). A record whose IndexedDB write fails (over
//! quota, say) stays in memory, is counted as unsaved with the typed reason, and is written again before
//! the next record, so the store catches up once it accepts writes.

use crate::flatmap::FlatMap;
use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::super::store::{Idb, Kind, StoreError};
use super::{from_js, get, is_absent, js_error, to_js, ResourcePool, State};
use crate::calibrate::wasm::profile_from_wasm_gemm;
use crate::calibrate::{self, Measurement};
use crate::catalog::hardware::{DeviceProfile, Platform};
use crate::error::Error;
use crate::wire;
use crate::wire::calibration::{
    accuracy, measurement_dto, measurement_from_dto, ComparisonRecord, Export, FitDto,
    MeasurementDto, StoredFit, StoredProfile, ValidationDto, WasmGemmDto, FORMAT,
};
use crate::wire::pool::{AccuracyDto, ComparisonDto, RankedDto, StorageDto, WriteErrorDto};
use crate::Goal;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "MeasurementRecord[]")]
    pub type MeasurementRecordsJs;
    #[wasm_bindgen(typescript_type = "ValidationReport")]
    pub type ValidationReportJs;
    #[wasm_bindgen(typescript_type = "StorageState")]
    pub type StorageStateJs;
    #[wasm_bindgen(typescript_type = "MeasurementExport")]
    pub type MeasurementExportJs;
    #[wasm_bindgen(typescript_type = "MeasurementRecord")]
    pub type MeasurementRecordArg;
    #[wasm_bindgen(typescript_type = "MeasurementExport")]
    pub type MeasurementExportArg;
    #[wasm_bindgen(typescript_type = "{ threshold?: number; window?: number; hardware?: string }")]
    pub type ValidateOptionsArg;
    #[wasm_bindgen(typescript_type = "{ hardware?: string }")]
    pub type RefitOptionsArg;
    #[wasm_bindgen(typescript_type = "{ goal?: Goal; timeoutMs?: number }")]
    pub type CompareOptionsArg;
}

/// The pool's measurements, profile versions and storage.
pub struct Calibration {
    measurements: Vec<Measurement>,
    profiles: Vec<StoredProfile>,
    fits: Vec<StoredFit>,
    comparisons: Vec<ComparisonRecord>,
    /// Newest refitted profile per id: used instead of the derived one.
    pub calibrated: FlatMap<String, DeviceProfile>,
    idb: Option<Rc<Idb>>,
    backend: &'static str,
    name: String,
    /// Why the store could not be opened or read.
    warning: Option<String>,
    /// Records (store, JSON text) whose write failed, oldest first: in memory only until written.
    unsaved: Vec<(Kind, String)>,
    /// Why the last write failed; cleared when every unsaved record is written.
    write_error: Option<StoreError>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Calibration {
    /// Opens the store (`storage` = `indexeddb`, the default, or `memory`) and loads what it holds.
    pub async fn open(storage: Option<&str>, name: Option<&str>) -> Result<Calibration, JsError> {
        let name = name.unwrap_or("multimodel-perf").to_string();
        let mut c = Calibration {
            measurements: Vec::new(),
            profiles: Vec::new(),
            fits: Vec::new(),
            comparisons: Vec::new(),
            calibrated: FlatMap::new(),
            idb: None,
            backend: "memory",
            name: name.clone(),
            warning: None,
            unsaved: Vec::new(),
            write_error: None,
        };
        match storage.unwrap_or("indexeddb") {
            "memory" => return Ok(c),
            "indexeddb" => {}
            other => {
                return Err(js_error(Error::invalid(
                    "options.storage",
                    other,
                    "indexeddb or memory",
                )))
            }
        }
        c.backend = "indexeddb";
        let idb = match Idb::open(&name).await {
            Ok(db) => db,
            Err(e) => {
                c.warning = Some(format!(
                    "IndexedDB is unavailable ({e}): measurements are kept in memory for this session only"
                ));
                return Ok(c);
            }
        };
        let mut skipped = 0;
        c.profiles =
            read_all(&idb, Kind::Profiles, &mut skipped, |t| serde_json::from_str(t).ok()).await;
        c.measurements = read_all(&idb, Kind::Measurements, &mut skipped, |t| {
            serde_json::from_str::<MeasurementDto>(t)
                .ok()
                .and_then(|d| measurement_from_dto(d, "stored measurement").ok())
        })
        .await;
        c.fits = read_all(&idb, Kind::Fits, &mut skipped, |t| serde_json::from_str(t).ok()).await;
        c.comparisons =
            read_all(&idb, Kind::Comparisons, &mut skipped, |t| serde_json::from_str(t).ok()).await;
        if skipped > 0 {
            c.warning =
                Some(format!("{skipped} stored records could not be read and were skipped"));
        }
        c.rebuild_calibrated();
        c.idb = Some(Rc::new(idb));
        Ok(c)
    }

    fn rebuild_calibrated(&mut self) {
        self.calibrated.clear();
        let mut newest: FlatMap<String, u32> = FlatMap::new();
        for p in &self.profiles {
            if newest.get(&p.id).is_none_or(|v| p.version > *v) {
                if let Ok(profile) = DeviceProfile::try_from(p.profile.clone()) {
                    newest.insert(p.id.clone(), p.version);
                    self.calibrated.insert(p.id.clone(), profile);
                }
            }
        }
    }

    /// Stores `new` as the next version of profile `id` (the derived `base` first, as version 1, when none
    /// is stored yet) and makes it the one predictions use. Returns the records to persist and the versions
    /// it went from and to.
    fn add_version(
        &mut self,
        id: &str,
        base: &DeviceProfile,
        new: &DeviceProfile,
        note: String,
    ) -> (Vec<(Kind, String)>, u32, u32) {
        let mut writes = Vec::new();
        let from = self.version_of(id);
        if from == 0 {
            let derived = StoredProfile {
                id: id.to_string(),
                version: 1,
                created_ms: now_ms(),
                note: "derived from the detected capabilities".to_string(),
                profile: wire::HardwareProfileDto::from(base),
            };
            writes.push((Kind::Profiles, serde_json::to_string(&derived).unwrap_or_default()));
            self.profiles.push(derived);
        }
        let (from, to) = (from.max(1), from.max(1) + 1);
        let stored = StoredProfile {
            id: id.to_string(),
            version: to,
            created_ms: now_ms(),
            note,
            profile: wire::HardwareProfileDto::from(new),
        };
        writes.push((Kind::Profiles, serde_json::to_string(&stored).unwrap_or_default()));
        self.profiles.push(stored);
        self.calibrated.insert(id.to_string(), new.clone());
        (writes, from, to)
    }

    fn version_of(&self, id: &str) -> u32 {
        self.profiles.iter().filter(|p| p.id == id).map(|p| p.version).max().unwrap_or(0)
    }

    /// The storage warning, if any: why the store could not be opened or read, and why records are unsaved.
    pub fn warning_text(&self) -> Option<String> {
        let unsaved = self.write_error.as_ref().map(|e| {
            format!(
                "IndexedDB write failed ({e}): {} record(s) kept in memory only, written again before the next record",
                self.unsaved.len()
            )
        });
        match (self.warning.clone(), unsaved) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        }
    }

    fn storage_dto(&self) -> StorageDto {
        StorageDto {
            backend: self.backend,
            name: self.name.clone(),
            persistent: self.idb.is_some() && self.unsaved.is_empty(),
            warning: self.warning_text(),
            unsaved: self.unsaved.len(),
            write_error: self
                .write_error
                .as_ref()
                .map(|e| WriteErrorDto { name: e.name().to_string(), message: e.to_string() }),
            measurements: self.measurements.len(),
            profiles: self.profiles.len(),
            fits: self.fits.len(),
        }
    }
}

/// Every record of a store that `parse` reads; the others are counted in `skipped`.
async fn read_all<T>(
    idb: &Idb,
    kind: Kind,
    skipped: &mut usize,
    parse: impl Fn(&str) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    for text in idb.all(kind).await.unwrap_or_default() {
        match parse(&text) {
            Some(v) => out.push(v),
            None => *skipped += 1,
        }
    }
    out
}

/// Writes the unsaved records, then `text`, to the store, in that order; returns whether all were written.
/// A failed write keeps that record and the ones after it as unsaved, with the error (each stays in memory).
async fn persist(state: &Rc<RefCell<State>>, kind: Kind, text: String) -> bool {
    let (idb, queue) = {
        let mut s = state.borrow_mut();
        let c = &mut s.calibration;
        let Some(idb) = c.idb.clone() else {
            return false;
        };
        let mut queue = std::mem::take(&mut c.unsaved);
        queue.push((kind, text));
        (idb, queue)
    };
    let mut queue = queue.into_iter();
    while let Some((kind, text)) = queue.next() {
        if let Err(e) = idb.add(kind, &text).await {
            let mut s = state.borrow_mut();
            let c = &mut s.calibration;
            // Writes that started meanwhile queued theirs behind ours: keep the session's order.
            let later = std::mem::take(&mut c.unsaved);
            c.unsaved = std::iter::once((kind, text)).chain(queue).chain(later).collect();
            c.write_error = Some(e);
            return false;
        }
    }
    let mut s = state.borrow_mut();
    if s.calibration.unsaved.is_empty() {
        s.calibration.write_error = None;
    }
    true
}

/// Records a measurement (validated) in memory and in the store; returns whether it was persisted.
pub async fn record(state: &Rc<RefCell<State>>, m: Measurement) -> Result<bool, Error> {
    m.validate()?;
    let text = serde_json::to_string(&measurement_dto(&m, None)).unwrap_or_default();
    state.borrow_mut().calibration.measurements.push(m);
    Ok(persist(state, Kind::Measurements, text).await)
}

fn options(v: &JsValue) -> JsValue {
    if is_absent(v) {
        js_sys::Object::new().into()
    } else {
        v.clone()
    }
}

/// The refit of `options.hardware` (default: the profile with the most measurements) on half of its
/// measurements, checked on the other half: the fit, the profile's id and its stored version (0: none yet).
fn refit_on_half(s: &State, o: &JsValue) -> Result<(calibrate::Fit, String, u32), JsError> {
    let c = &s.calibration;
    let id = match get(o, "hardware").as_string() {
        Some(h) => h,
        None => {
            let mut counts: FlatMap<&str, usize> = FlatMap::new();
            for m in &c.measurements {
                *counts.entry(m.hardware.as_str()).or_default() += 1;
            }
            counts.into_iter().max_by_key(|(_, n)| *n).map(|(h, _)| h.to_string()).ok_or_else(
                || {
                    js_error(Error::invalid(
                        "measurements",
                        0,
                        "at least 2 measurements: run the pool first",
                    ))
                },
            )?
        }
    };
    let profile = c
        .calibrated
        .get(&id)
        .cloned()
        .or_else(|| s.profiles().into_iter().find(|p| p.id == id))
        .or_else(|| {
            c.measurements.iter().flat_map(|m| m.profiles.iter()).find(|p| p.id == id).cloned()
        })
        .ok_or_else(|| {
            js_error(Error::invalid(
                "options.hardware",
                &id,
                "the id of a profile the measurements used",
            ))
        })?;
    let mine: Vec<Measurement> =
        c.measurements.iter().filter(|m| m.hardware == id).cloned().collect();
    let (train, test) = calibrate::split_half(&mine);
    let fit = calibrate::refit(&profile, &train, &test).map_err(js_error)?;
    Ok((fit, id, c.version_of(&profile.id)))
}

#[wasm_bindgen]
impl ResourcePool {
    /// Every measurement the pool holds (its runs, imported and added ones), oldest first.
    pub fn measurements(&self) -> Result<MeasurementRecordsJs, JsError> {
        let s = self.state.borrow();
        let list: Vec<MeasurementDto> =
            s.calibration.measurements.iter().map(|m| measurement_dto(m, None)).collect();
        Ok(to_js(&list)?.unchecked_into())
    }

    /// Where measurements are kept, how many, and any storage warning.
    #[wasm_bindgen(getter)]
    pub fn storage(&self) -> Result<StorageStateJs, JsError> {
        Ok(to_js(&self.state.borrow().calibration.storage_dto())?.unchecked_into())
    }

    /// Adds a measurement taken elsewhere (e.g. your own framework's timings); rejected with the field
    /// named when a time is NaN, negative or zero.
    #[wasm_bindgen(js_name = addMeasurement, unchecked_return_type = "Promise<StorageState>")]
    pub fn add_measurement(&self, measurement: MeasurementRecordArg) -> js_sys::Promise {
        let state = self.state.clone();
        let v: JsValue = measurement.into();
        wasm_bindgen_futures::future_to_promise(async move {
            let dto: MeasurementDto = from_js(&v, "measurement")?;
            let m = measurement_from_dto(dto, "measurement").map_err(js_error)?;
            record(&state, m).await.map_err(js_error)?;
            let out = to_js(&state.borrow().calibration.storage_dto())?;
            Ok(out)
        })
    }

    /// Prediction error over the measurements: per metric, profile, strategy and model, the trend, and
    /// whether a refit is due (`threshold`, default 0.15; `window`, default 10).
    pub fn validate(
        &self,
        options: Option<ValidateOptionsArg>,
    ) -> Result<ValidationReportJs, JsError> {
        let o = self::options(&options.map_or(JsValue::UNDEFINED, Into::into));
        let threshold =
            get(&o, "threshold").as_f64().unwrap_or(calibrate::metrics::DEFAULT_THRESHOLD);
        if !(threshold.is_finite() && threshold > 0.0) {
            return Err(js_error(Error::invalid(
                "options.threshold",
                threshold,
                "a positive fraction such as 0.15",
            )));
        }
        let window =
            get(&o, "window").as_f64().unwrap_or(calibrate::metrics::DEFAULT_WINDOW as f64);
        if !(window.is_finite() && window >= 1.0) {
            return Err(js_error(Error::invalid("options.window", window, "a whole number ≥ 1")));
        }
        let hardware = get(&o, "hardware").as_string();
        let s = self.state.borrow();
        let ms: Vec<Measurement> = s
            .calibration
            .measurements
            .iter()
            .filter(|m| hardware.as_ref().is_none_or(|h| &m.hardware == h))
            .cloned()
            .collect();
        let v = calibrate::validate(&ms, threshold, window as usize);
        Ok(to_js(&ValidationDto::from(&v))?.unchecked_into())
    }

    /// Refits a profile (`hardware`, default: the one with the most measurements) on half of its
    /// measurements, checks it on the other half, keeps the previous version, and predicts with the new one
    /// from now on. Rejects with the reason when there is too little data.
    #[wasm_bindgen(unchecked_return_type = "Promise<FitReport>")]
    pub fn refit(&self, options: Option<RefitOptionsArg>) -> js_sys::Promise {
        let state = self.state.clone();
        let o = self::options(&options.map_or(JsValue::UNDEFINED, Into::into));
        wasm_bindgen_futures::future_to_promise(async move {
            let (fit, id, _) = refit_on_half(&state.borrow(), &o)?;
            let report = FitDto::from(&fit);
            let report_json = serde_json::to_value(&report).unwrap_or_default();
            let writes = {
                let mut s = state.borrow_mut();
                let c = &mut s.calibration;
                let note = format!("refit on {} measurements", fit.train);
                let (mut writes, from, to) = c.add_version(&id, &fit.previous, &fit.fitted, note);
                let fit_record = StoredFit {
                    created_ms: now_ms(),
                    profile: id.clone(),
                    from_version: from,
                    to_version: to,
                    report: report_json,
                };
                writes.push((Kind::Fits, serde_json::to_string(&fit_record).unwrap_or_default()));
                c.fits.push(fit_record);
                writes
            };
            for (kind, text) in writes {
                persist(&state, kind, text).await;
            }
            Ok(to_js(&report)?)
        })
    }

    /// Measures this page's WebAssembly GEMM as `measureWasmGemm` does (`options.seconds`, default 2) and
    /// makes the pool's WASM profiles (this thread's and the workers') from it: peak fp32 = cores × the large
    /// GEMM's rate ÷ 0.75, onnxruntime-web's kernel efficiency its measured ratio to that GEMM. Each becomes a
    /// new stored version (kept in IndexedDB like a refit's), which later predictions, `validate` and `refit`
    /// start from (`options.hardware` is not read: the pool's own profiles are the bases). Resolves to the
    /// measurement; its `hardware` is the workers' new profile.
    #[wasm_bindgen(js_name = measureWasm, unchecked_return_type = "Promise<WasmGemmMeasurement>")]
    pub fn measure_wasm(
        &self,
        options: Option<super::super::gemm::WasmGemmOptionsArg>,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let o = self::options(&options.map_or(JsValue::UNDEFINED, Into::into));
        wasm_bindgen_futures::future_to_promise(async move {
            let seconds = super::super::gemm::seconds_option(&o)?;
            let bases: Vec<DeviceProfile> = state
                .borrow()
                .profiles()
                .into_iter()
                .filter(|p| p.platform == Platform::Wasm)
                .collect();
            if bases.is_empty() {
                return Err(js_error(Error::invalid(
                    "capabilities.wasm",
                    "unavailable",
                    "a page that runs WebAssembly (the pool has no WASM profile to measure)",
                ))
                .into());
            }
            let (g, elapsed_s) = super::super::gemm::measure_timed(seconds).await;
            let mut writes = Vec::new();
            let mut last = None;
            {
                let mut s = state.borrow_mut();
                let c = &mut s.calibration;
                for base in bases {
                    let mut p = profile_from_wasm_gemm(&base, &g).map_err(js_error)?;
                    p.id = base.id.clone();
                    p.name = base.name.clone();
                    let note = format!(
                        "measureWasm: tuned GEMM {:.1} GFLOP/s (512×768×768), {:.1} (16×768×768) on one thread of this page",
                        g.large.median, g.small.median
                    );
                    writes.extend(c.add_version(&p.id, &base, &p, note).0);
                    last = Some(p);
                }
            }
            for (kind, text) in writes {
                persist(&state, kind, text).await;
            }
            match last {
                Some(profile) => Ok(to_js(&WasmGemmDto::new(&g, elapsed_s, &profile))?),
                None => Err(js_error(Error::invalid(
                    "capabilities.wasm",
                    "unavailable",
                    "a page that runs WebAssembly",
                ))
                .into()),
            }
        })
    }

    /// Everything held (profile versions, measurements, fits): the same JSON as `mmperf export`.
    #[wasm_bindgen(js_name = exportMeasurements)]
    pub fn export_measurements(&self) -> Result<MeasurementExportJs, JsError> {
        let s = self.state.borrow();
        let c = &s.calibration;
        let e = Export {
            format: FORMAT.to_string(),
            profiles: c.profiles.clone(),
            measurements: c.measurements.iter().map(|m| measurement_dto(m, None)).collect(),
            fits: c.fits.clone(),
            comparisons: c.comparisons.clone(),
        };
        Ok(to_js(&e)?.unchecked_into())
    }

    /// Adds an export's content (from `exportMeasurements` or `mmperf export`), all validated first.
    #[wasm_bindgen(js_name = importMeasurements, unchecked_return_type = "Promise<StorageState>")]
    pub fn import_measurements(&self, export: MeasurementExportArg) -> js_sys::Promise {
        let state = self.state.clone();
        let v: JsValue = export.into();
        wasm_bindgen_futures::future_to_promise(async move {
            let e: Export = from_js(&v, "export")?;
            if e.format != FORMAT {
                return Err(js_error(Error::invalid("export.format", &e.format, FORMAT)).into());
            }
            let mut ms = Vec::new();
            for (i, m) in e.measurements.into_iter().enumerate() {
                ms.push(
                    measurement_from_dto(m, &format!("export.measurements[{i}]"))
                        .map_err(js_error)?,
                );
            }
            for (i, p) in e.profiles.iter().enumerate() {
                DeviceProfile::try_from(p.profile.clone()).map_err(|x| {
                    js_error(Error::invalid(
                        format!("export.profiles[{i}]"),
                        "rejected",
                        x.to_string(),
                    ))
                })?;
            }
            for m in ms {
                record(&state, m).await.map_err(js_error)?;
            }
            let mut writes = Vec::new();
            {
                let mut s = state.borrow_mut();
                let c = &mut s.calibration;
                for mut p in e.profiles {
                    p.version = c.version_of(&p.id) + 1;
                    writes.push((Kind::Profiles, serde_json::to_string(&p).unwrap_or_default()));
                    c.profiles.push(p);
                }
                for f in e.fits {
                    writes.push((Kind::Fits, serde_json::to_string(&f).unwrap_or_default()));
                    c.fits.push(f);
                }
                for r in e.comparisons {
                    writes.push((Kind::Comparisons, serde_json::to_string(&r).unwrap_or_default()));
                    c.comparisons.push(r);
                }
                c.rebuild_calibrated();
            }
            for (kind, text) in writes {
                persist(&state, kind, text).await;
            }
            let out = to_js(&state.borrow().calibration.storage_dto())?;
            Ok(out)
        })
    }

    /// Forgets every measurement, profile version and fit, in memory and in the store.
    #[wasm_bindgen(js_name = clearMeasurements, unchecked_return_type = "Promise<StorageState>")]
    pub fn clear_measurements(&self) -> js_sys::Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let idb = {
                let mut s = state.borrow_mut();
                let c = &mut s.calibration;
                c.measurements.clear();
                c.profiles.clear();
                c.fits.clear();
                c.comparisons.clear();
                c.calibrated.clear();
                c.unsaved.clear();
                c.write_error = None;
                c.idb.clone()
            };
            if let Some(db) = idb {
                if let Err(e) = db.clear().await {
                    state.borrow_mut().calibration.warning =
                        Some(format!("IndexedDB clear failed: {e}"));
                }
            }
            let out = to_js(&state.borrow().calibration.storage_dto())?;
            Ok(out)
        })
    }

    /// Runs `ids` with every strategy (parallel, sequential, batched), ranks them by the measured `goal`
    /// metric (throughput: makespan; latency: mean time to each result) and says whether the
    /// recommendation was the measured best, and by how much it lost when it was not.
    #[wasm_bindgen(js_name = compareStrategies, unchecked_return_type = "Promise<StrategyComparison>")]
    pub fn compare_strategies(
        &self,
        ids: Option<super::ModelIdsArg>,
        options: Option<CompareOptionsArg>,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let ids: JsValue = ids.map_or(JsValue::UNDEFINED, Into::into);
        let o = self::options(&options.map_or(JsValue::UNDEFINED, Into::into));
        wasm_bindgen_futures::future_to_promise(async move {
            let goal_name = get(&o, "goal").as_string().unwrap_or_else(|| "throughput".to_string());
            let goal = Goal::parse("options.goal", &goal_name).map_err(js_error)?;
            let timeout = get(&o, "timeoutMs");
            let recommended = super::recommended_strategy(&state, &ids, goal)?;
            let runs = js_sys::Array::new();
            let mut ranked = Vec::new();
            for strategy in ["parallel", "sequential", "batched"] {
                let opts = js_sys::Object::new();
                let _ = Reflect::set(&opts, &"strategy".into(), &JsValue::from_str(strategy));
                if !is_absent(&timeout) {
                    let _ = Reflect::set(&opts, &"timeoutMs".into(), &timeout);
                }
                let (run, outputs) = super::run_plan(&state, &ids, &opts.into()).await?;
                let totals = &run.prediction.total_metrics;
                let (measured, predicted) = match goal {
                    Goal::Latency => (
                        run.models.iter().map(|m| m.end_ms).sum::<f64>()
                            / run.models.len().max(1) as f64,
                        totals.mean_latency,
                    ),
                    _ => (run.makespan_ms, totals.combined_latency),
                };
                runs.push(&super::run_js(&run, &outputs)?);
                ranked.push((strategy, measured, predicted));
            }
            crate::sorting::sort_by(&mut ranked, |a, b| a.1.total_cmp(&b.1));
            let best = ranked[0];
            let rec = ranked.iter().find(|r| r.0 == recommended).copied().unwrap_or(best);
            let hit = rec.0 == best.0;
            let loss = if hit { 0.0 } else { rec.1 / best.1 - 1.0 };
            let models: Vec<String> = {
                let s = state.borrow();
                super::select(&s, &ids)?
                    .into_iter()
                    .map(|k| s.models[k].spec.name.clone())
                    .collect()
            };
            let record = ComparisonRecord {
                created_ms: now_ms(),
                goal: goal.name().to_string(),
                models,
                recommended: recommended.to_string(),
                measured_best: best.0.to_string(),
                loss,
            };
            let text = serde_json::to_string(&record).unwrap_or_default();
            state.borrow_mut().calibration.comparisons.push(record);
            persist(&state, Kind::Comparisons, text).await;
            let (hits, comparisons, mean_loss) = accuracy(&state.borrow().calibration.comparisons);
            let out = to_js(&ComparisonDto {
                goal: goal.name(),
                ranked: ranked
                    .iter()
                    .map(|&(strategy, measured, predicted)| RankedDto {
                        strategy,
                        measured,
                        predicted,
                    })
                    .collect(),
                recommended,
                measured_best: best.0,
                hit,
                loss,
                accuracy: AccuracyDto { hits, comparisons, mean_loss_when_missed: mean_loss },
            })?;
            let _ = Reflect::set(&out, &"runs".into(), &runs);
            Ok(out)
        })
    }
}
