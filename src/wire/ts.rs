//! The TypeScript of every data shape the JS API takes or returns, generated from the DTOs of this module
//! (`ts-rs` derives, compiled in test builds only) and from the domain enums' names, so that a DTO and its
//! declaration cannot drift. `src/web/generated.d.ts` is the output; the package includes it in its `.d.ts`
//! (`web/types.rs`). A native test (`native/typescript.rs`, which may touch files) fails when the file is stale
//! and rewrites it when run with `MMPERF_UPDATE_TS=1`.
//!
//! Compiled in test builds only (the module is declared under `cfg(test)`).
//!
//! Inputs accept a second spelling for some keys (serde aliases, which `ts-rs` does not see): each input's
//! aliases are read from its deserializer's field list and written beside the key they stand for, with its
//! type; a camelCase alias is matched to its snake_case key by name, any other alias needs an entry in
//! [`OTHER_ALIASES`], and the test fails on an alias it cannot place.

use std::collections::BTreeSet;

use serde::de::{DeserializeOwned, Visitor};
use ts_rs::{Config, TS};

use crate::calibrate::metrics::Direction;
use crate::catalog::arch::OpClass;
use crate::catalog::hardware::Concurrency;
use crate::catalog::{ModelType, Precision};
use crate::plan::route::Backend;
use crate::plan::Goal;
use crate::predict::coldstart::WeightSource;
use crate::predict::memory::OptionKind;
use crate::predict::multi::{Residency, Strategy};
use crate::predict::single::Bound;
use crate::run::Status;

mod decl;

use decl::{Alias, Declaration, Field};

/// The generated file, from the crate's root.
pub(crate) const FILE: &str = "src/web/generated.d.ts";

/// Aliases that are not the camelCase spelling of their key: (type, key, its other spellings).
const OTHER_ALIASES: &[(&str, &str, &[&str])] = &[
    ("ModelEntry", "model_name", &["name"]),
    ("ModelEntry", "architecture", &["arch"]),
    ("ModelEntry", "attention", &["attn_implementation", "attnImplementation"]),
    ("ArchitectureSpec", "hidden", &["hidden_size", "hiddenSize", "d_model"]),
    ("ArchitectureSpec", "heads", &["num_heads", "numHeads"]),
    ("ArchitectureSpec", "ffn", &["intermediate_size", "intermediateSize"]),
    ("ArchitectureSpec", "vocab", &["vocab_size", "vocabSize"]),
    ("WorkloadObject", "constraints", &["resourceConstraints", "resource_constraints"]),
];

/// [`OTHER_ALIASES`] one alias a row: (type, alias, key).
fn other_aliases() -> Vec<Alias> {
    let rows = OTHER_ALIASES.iter();
    rows.flat_map(|(ty, key, aliases)| aliases.iter().map(move |a| (*ty, *a, *key))).collect()
}

/// The file's first line.
const HEADER: &str = "// Generated from the crate's DTOs by `src/wire/ts.rs` \
    (MMPERF_UPDATE_TS=1 cargo test --lib typescript). Do not edit.\n";

/// Collects declarations in the order they are asked for.
struct Gen {
    cfg: Config,
    decls: Vec<Declaration>,
    referenced: BTreeSet<String>,
}

impl Gen {
    fn new() -> Self {
        let cfg = Config::default().with_large_int("number");
        Gen { cfg, decls: Vec::new(), referenced: BTreeSet::new() }
    }

    /// A string union of a domain enum's names.
    fn names<'a>(
        &mut self,
        name: &str,
        doc: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> &mut Self {
        let values: Vec<String> = names.into_iter().map(|n| format!("\"{n}\"")).collect();
        self.named(name, doc, &values.join(" | "))
    }

    /// A type expression with a name.
    fn named(&mut self, name: &str, doc: &str, expr: &str) -> &mut Self {
        self.push(Declaration::union(name, Some(doc.to_owned()), expr.to_owned()))
    }

    /// An output (or an input without aliases).
    fn shape<T: TS + 'static>(&mut self) -> &mut Self {
        let decl = self.declaration::<T>();
        self.push(decl)
    }

    /// An output with fields the JS layer attaches to it after serialising (JS values such as outputs):
    /// (key, type, doc), the key ending in `?` when optional.
    fn shape_plus<T: TS + 'static>(&mut self, attached: &[(&str, &str, &str)]) -> &mut Self {
        let mut decl = self.declaration::<T>();
        for (key, ty, doc) in attached {
            let (key, optional) = key.strip_suffix('?').map_or((*key, false), |k| (k, true));
            let doc = vec![(*doc).to_owned()];
            decl.fields.push(Field { doc, key: key.to_owned(), optional, ty: (*ty).to_owned() });
        }
        self.push(decl)
    }

    /// An output whose struct flattens `base`'s (declared before): written as extending it.
    fn shape_extending<T: TS + 'static>(&mut self, base: &str) -> &mut Self {
        let mut decl = self.declaration::<T>();
        let base = self.decls.iter().find(|d| d.name == base).expect("the base is declared first");
        decl.extend(base).unwrap_or_else(|e| panic!("{e}"));
        self.push(decl)
    }

    /// An input: its aliases written beside their keys.
    fn input<T: TS + DeserializeOwned + 'static>(&mut self) -> &mut Self {
        let mut decl = self.declaration::<T>();
        decl.add_aliases(&deserializer_fields::<T>(), &other_aliases())
            .unwrap_or_else(|e| panic!("{e}"));
        self.push(decl)
    }

    fn declaration<T: TS + 'static>(&mut self) -> Declaration {
        self.referenced.extend(T::dependencies(&self.cfg).into_iter().map(|d| d.ts_name));
        Declaration::parse(&T::decl(&self.cfg), T::docs())
    }

    fn push(&mut self, decl: Declaration) -> &mut Self {
        self.decls.push(decl);
        self
    }

    /// The file's text; panics when a name is declared twice, or referenced and not declared.
    fn finish(self) -> String {
        let declared = self.declared_once();
        let missing: Vec<&String> =
            self.referenced.iter().filter(|r| !declared.contains(*r)).collect();
        assert!(missing.is_empty(), "referenced but not declared: {missing:?}");
        let decls = self.decls.iter().map(|d| format!("\n{}", d.render()));
        std::iter::once(HEADER.to_owned()).chain(decls).collect()
    }

    /// The names declared; panics when one is declared twice.
    fn declared_once(&self) -> BTreeSet<String> {
        let mut declared = BTreeSet::new();
        let twice: Vec<&Declaration> =
            self.decls.iter().filter(|d| !declared.insert(d.name.clone())).collect();
        assert!(
            twice.is_empty(),
            "declared twice: {:?}",
            twice.iter().map(|d| &d.name).collect::<Vec<_>>()
        );
        declared
    }
}

/// The keys a type's deserializer accepts, aliases included (serde passes them to `deserialize_struct`).
fn deserializer_fields<T: DeserializeOwned>() -> Vec<&'static str> {
    let probe = Probe::default();
    let _ = T::deserialize(&probe);
    probe.0.take()
}

/// A deserializer that records the field list it is asked for and fails.
#[derive(Default)]
struct Probe(std::cell::RefCell<Vec<&'static str>>);

impl<'de> serde::Deserializer<'de> for &Probe {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("probe"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.borrow_mut().extend_from_slice(fields);
        Err(serde::de::Error::custom("probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// `ModelRun.outputs`, attached in JS.
const OUTPUTS: &str =
    "What the executor resolved to (user executors), or the output array (built-in workloads).";

/// `StrategyComparison.runs`, attached in JS.
const RUNS: &str = "The runs, one per strategy, with their outputs.";

/// Every shape of the JS API, in the order of the file: by topic, as the `wire` files are.
const TOPICS: [fn(&mut Gen); 18] = [
    model_vocabulary,
    plan_vocabulary,
    workload,
    graph,
    hardware,
    prediction,
    schedule,
    recommendation,
    coldstart,
    serve,
    memory,
    route,
    pool_inputs,
    pool_runs,
    records,
    reports,
    browser,
    accelerators,
];

/// The file's text.
pub(crate) fn generate() -> String {
    let mut g = Gen::new();
    TOPICS.iter().for_each(|topic| topic(&mut g));
    g.finish()
}

/// A string union of an enum's names, from its `ALL` and `name()`, under the enum's name or another.
macro_rules! names {
    ($g:expr, $ty:ident, $doc:expr) => {
        names!($g, $ty as stringify!($ty), $doc)
    };
    ($g:expr, $ty:ident as $name:expr, $doc:expr) => {
        $g.names($name, $doc, $ty::ALL.map($ty::name))
    };
}

fn model_vocabulary(g: &mut Gen) {
    names!(g, ModelType, "Kinds of model.");
    names!(g, Precision, "Number formats.");
    names!(g, Concurrency, "How a device runs models at once.");
    names!(g, OpClass, "Kinds of operator in a model's graph.");
}

fn plan_vocabulary(g: &mut Gen) {
    names!(g, Strategy, "Ways to run the models together.");
    names!(g, Goal, "What a recommendation optimises.");
    names!(g, Bound, "What dominated a model's time.");
    names!(g, Residency, "Whether weights stay loaded between runs.");
    names!(g, WeightSource, "Where a cold start reads the weights from.");
    names!(g, OptionKind as "MemoryOptionKind", "Kinds of memory-saving option.");
}

fn workload(g: &mut Gen) {
    use super::*;
    let sharing = "Partial<Record<ModelType, SharingRule>>";
    g.input::<ArchDto>()
        .input::<graph::OpDto>()
        .input::<graph::GraphDto>()
        .input::<ModelEntryDto>();
    g.input::<ConstraintsDto>().input::<WorkloadObjectDto>().input::<SharingRuleDto>();
    g.named("SharingConfig", "The seed's sharing table, by model type.", sharing);
}

fn graph(g: &mut Gen) {
    use super::graph::*;
    g.input::<DescribeOptionsDto>().shape::<GraphInputDto>().shape::<DimDto>();
    g.shape::<DescriptionDto>();
}

fn hardware(g: &mut Gen) {
    use super::*;
    g.input::<TileDto>().input::<HardwareProfileDto>();
    g.shape::<CatalogModelDto>().shape::<DeviceDto>();
}

fn prediction(g: &mut Gen) {
    use super::*;
    g.shape::<TotalMetricsDto>().shape::<MemoryBreakdownDto>().shape::<IndividualDto>();
    g.shape::<NamedValueDto>().shape::<ContentionDto>().shape::<PairDto>().shape::<SharingDto>();
}

fn schedule(g: &mut Gen) {
    use super::*;
    g.shape::<TimelineDto>().shape::<MemoryPointDto>().shape::<ScheduleDto>().shape::<PoolDto>();
    g.shape::<PlanDto>().shape::<DeviceEnergyDto>().shape::<EnergyDto>().shape::<PredictionDto>();
}

fn recommendation(g: &mut Gen) {
    use super::*;
    g.shape::<AlternativeDto>().shape::<RecommendationDto>();
}

fn coldstart(g: &mut Gen) {
    use super::*;
    g.input::<ColdStartOptionsDto>().shape::<ModelColdStartDto>();
    g.shape::<StrategyColdStartDto>().shape::<ColdStartDto>();
}

fn serve(g: &mut Gen) {
    use super::*;
    g.input::<ServeOptionsDto>().shape::<LatencyDto>().shape::<ModelServeDto>().shape::<ServeDto>();
}

fn memory(g: &mut Gen) {
    use super::*;
    g.shape::<ModelMemoryDto>().shape::<MemoryOptionDto>().shape::<FitPlanDto>();
    g.shape::<MemoryAdviceDto>();
}

fn route(g: &mut Gen) {
    use super::route::*;
    let backends = "Where a model runs in the browser (transformers.js device strings).";
    let browsers = crate::catalog::browsers::all();
    names!(g, Backend as "RouteBackend", backends);
    g.names("BrowserId", "Browsers the catalog describes.", browsers.iter().map(|b| b.id));
    g.shape::<AlternativeDto>().shape::<RouteMemoryDto>().shape::<RouteDecisionDto>();
    g.shape::<BrowserRouteDto>().shape::<BrowserOptionDto>().shape::<BrowserRecommendationDto>();
}

fn pool_inputs(g: &mut Gen) {
    use super::pool::*;
    g.named("PoolBackend", "Backend names the pool routes to.", "RouteBackend");
    names!(g, RunsOn, "Where a registered model's work runs.");
    names!(g, Status as "RunStatus", "How a model's run ended.");
    g.names("StorageBackend", "Where the pool keeps its records.", ["indexeddb", "memory"]);
    g.input::<PoolOptionsDto>().input::<ExecuteOptionsDto>().input::<WorkloadOptionsDto>();
}

fn pool_runs(g: &mut Gen) {
    use super::pool::*;
    g.shape::<WorkloadShapeDto>().shape::<RegisteredDto>().shape::<AttemptDto>();
    g.shape::<CheckDto>().shape_plus::<ModelRunDto>(&[("outputs?", "unknown", OUTPUTS)]);
    g.shape::<AutoDto>().shape::<PoolRunDto>();
    g.shape::<TensorMemoryDto>().shape::<ModelMemoryDto>().shape::<PoolMemoryDto>();
}

fn records(g: &mut Gen) {
    use super::calibration::*;
    use super::pool::{StorageDto, WriteErrorDto};
    g.shape::<MeasuredModelDto>().shape::<MeasurementDto>().shape::<StoredProfile>();
    g.shape::<StoredFit>().shape::<ComparisonRecord>().shape::<Export>();
    g.shape::<WriteErrorDto>().shape::<StorageDto>();
}

fn reports(g: &mut Gen) {
    use super::calibration::*;
    use super::pool::{AccuracyDto, ComparisonDto, RankedDto};
    names!(g, Direction as "TrendDirection", "Whether recent predictions got better.");
    g.shape::<ErrorStatsDto>().shape::<TrendDto>().shape::<ValidationDto>().shape::<FitDto>();
    g.shape::<RankedDto>().shape::<AccuracyDto>();
    g.shape_plus::<ComparisonDto>(&[("runs", "PoolRun[]", RUNS)]);
    g.named(
        "WasmGemmOptions",
        "`measureWasmGemm` options: seconds to spend (default 2, at most 60) and the profile to start from (a target string or a profile object; default the `wasm` catalog device).",
        "{ seconds?: number; hardware?: string | HardwareProfile }",
    );
    g.shape::<FigureDto>().shape::<WasmGemmDto>();
}

fn browser(g: &mut Gen) {
    use super::capabilities::*;
    use super::detected::DetectedProfileDto;
    g.shape::<FailureDto>().shape::<SourceDto>().shape::<BrowserDto>().shape::<WasmDto>();
    g.shape::<ScopeDto>().shape::<CapabilitiesDto>();
    g.shape_extending::<DetectedProfileDto>("CatalogDevice");
}

fn accelerators(g: &mut Gen) {
    use super::capabilities::*;
    g.shape::<LimitsDto>().shape::<AdapterDto>().shape::<AdapterProbeDto>().shape::<WebGpuDto>();
    g.shape::<OpSupportDto>().shape::<KindDto>().shape::<FormDto>().shape::<ContextDto>();
    g.shape::<WebNnDto>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declaration_is_parsed_and_rendered_with_its_docs_and_aliases() {
        let decl = Declaration::parse(
            "type Entry = { \n/**\n * The name.\n */\nmodel_name?: string, dims: { [key in string]: number }, \"kind\": \"a, b\", };",
            Some("/**\n * One entry.\n */\n".to_owned()),
        );
        assert_eq!(decl.name, "Entry");
        assert_eq!(
            decl.fields,
            vec![
                Field {
                    doc: vec!["The name.".into()],
                    key: "model_name".into(),
                    optional: true,
                    ty: "string".into()
                },
                Field {
                    doc: vec![],
                    key: "dims".into(),
                    optional: false,
                    ty: "{ [key in string]: number }".into()
                },
                Field {
                    doc: vec![],
                    key: "\"kind\"".into(),
                    optional: false,
                    ty: "\"a, b\"".into()
                },
            ]
        );
        let mut with_aliases = decl.clone();
        let accepted = ["model_name", "modelName", "name", "dims", "kind"];
        with_aliases.add_aliases(&accepted, &[("Entry", "name", "model_name")]).unwrap();
        assert_eq!(
            with_aliases.render(),
            "/** One entry. */\nexport interface Entry {\n  /** The name. */\n  model_name?: string;\n  modelName?: string;\n  name?: string;\n  dims: { [key in string]: number };\n  \"kind\": \"a, b\";\n}\n"
        );
    }

    #[test]
    fn an_alias_without_a_place_or_a_listed_alias_not_accepted_is_an_error() {
        let decl = Declaration::parse("type Entry = { model_name?: string, };", None);
        let unplaced = decl.clone().add_aliases(&["model_name", "label"], &[]);
        assert_eq!(
            unplaced.unwrap_err(),
            "Entry accepts the alias \"label\": add it to OTHER_ALIASES with the key it stands for"
        );
        let unaccepted =
            decl.clone().add_aliases(&["model_name"], &[("Entry", "name", "model_name")]);
        assert_eq!(
            unaccepted.unwrap_err(),
            "OTHER_ALIASES lists \"name\" of Entry, which Entry does not accept"
        );
    }

    #[test]
    fn a_flattened_struct_is_written_as_extending_its_base_and_must_hold_all_of_it() {
        let base = Declaration::parse("type Base = { id: string, name: string, };", None);
        let mut derived =
            Declaration::parse("type Derived = { base: string, id: string, name: string, };", None);
        derived.extend(&base).unwrap();
        assert_eq!(
            derived.render(),
            "export interface Derived extends Base {\n  base: string;\n}\n"
        );
        let mut partial = Declaration::parse("type Partial = { id: string, };", None);
        assert_eq!(
            partial.extend(&base).unwrap_err(),
            "Partial lacks Base.name, so it does not extend it"
        );
    }
}
