//! The TypeScript of every data shape the JS API takes or returns, generated from the DTOs of this module
//! (`ts-rs` derives, compiled in test builds only) and from the domain enums' names, so that a DTO and its
//! declaration cannot drift. `src/web/generated.d.ts` is the output; the package includes it in its `.d.ts`
//! (`web/types.rs`). The test below fails when the file is stale and rewrites it when run with
//! `MMPERF_UPDATE_TS=1`.
//!
//! Compiled in test builds only (the module is declared under `cfg(test)`); its tests are the file's check.
//!
//! Inputs accept a second spelling for some keys (serde aliases, which `ts-rs` does not see): each input's
//! aliases are read from its deserializer's field list and written beside the key they stand for, with its
//! type; a camelCase alias is matched to its snake_case key by name, any other alias needs an entry in
//! [`OTHER_ALIASES`], and the test fails on an alias it cannot place.

use std::collections::BTreeSet;

use serde::de::{DeserializeOwned, Visitor};
use ts_rs::{Config, TS};

mod decl;

use decl::{Declaration, Field};

/// The generated file, from the crate's root.
const FILE: &str = "src/web/generated.d.ts";

/// Aliases that are not the camelCase spelling of their key: (type, alias, key).
const OTHER_ALIASES: &[(&str, &str, &str)] = &[
    ("ModelEntry", "name", "model_name"),
    ("ArchitectureSpec", "hidden_size", "hidden"),
    ("ArchitectureSpec", "hiddenSize", "hidden"),
    ("ArchitectureSpec", "d_model", "hidden"),
    ("ArchitectureSpec", "num_heads", "heads"),
    ("ArchitectureSpec", "numHeads", "heads"),
    ("ArchitectureSpec", "intermediate_size", "ffn"),
    ("ArchitectureSpec", "intermediateSize", "ffn"),
    ("ArchitectureSpec", "vocab_size", "vocab"),
    ("ArchitectureSpec", "vocabSize", "vocab"),
    ("ModelEntry", "arch", "architecture"),
    ("WorkloadObject", "resourceConstraints", "constraints"),
    ("WorkloadObject", "resource_constraints", "constraints"),
];

/// Collects declarations in the order they are asked for.
struct Gen {
    cfg: Config,
    out: String,
    declared: BTreeSet<String>,
    referenced: BTreeSet<String>,
}

impl Gen {
    fn new() -> Self {
        let mut out = String::from(
            "// Generated from the crate's DTOs by `src/wire/ts.rs` (MMPERF_UPDATE_TS=1 cargo test --lib wire::ts)."
        );
        out.push_str(" Do not edit.\n");
        Gen {
            cfg: Config::default().with_large_int("number"),
            out,
            declared: BTreeSet::new(),
            referenced: BTreeSet::new(),
        }
    }

    /// A string union of a domain enum's names.
    fn names<'a>(
        &mut self,
        name: &str,
        doc: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> &mut Self {
        let values: Vec<String> = names.into_iter().map(|n| format!("\"{n}\"")).collect();
        let decl = Declaration::union(name, Some(doc.to_owned()), values.join(" | "));
        self.push(decl)
    }

    /// A type expression with a name.
    fn named(&mut self, name: &str, doc: &str, expr: &str) -> &mut Self {
        let decl = Declaration::union(name, Some(doc.to_owned()), expr.to_owned());
        self.push(decl)
    }

    /// An output (or an input without aliases).
    fn shape<T: TS + 'static>(&mut self) -> &mut Self {
        let decl = self.declaration::<T>();
        self.push(decl)
    }

    /// An output with fields the JS layer attaches to it after serialising (JS values such as outputs):
    /// (key, type, doc).
    fn shape_plus<T: TS + 'static>(&mut self, attached: &[(&str, &str, &str)]) -> &mut Self {
        let mut decl = self.declaration::<T>();
        for (key, ty, doc) in attached {
            let (key, optional) = key.strip_suffix('?').map_or((*key, false), |k| (k, true));
            let doc = vec![(*doc).to_owned()];
            decl.fields.push(Field { doc, key: key.to_owned(), optional, ty: (*ty).to_owned() });
        }
        self.push(decl)
    }

    /// An input: its aliases written beside their keys.
    fn input<T: TS + DeserializeOwned + 'static>(&mut self) -> &mut Self {
        let mut decl = self.declaration::<T>();
        let accepted = deserializer_fields::<T>();
        if let Err(e) = decl.add_aliases(&accepted, OTHER_ALIASES) {
            panic!("{e}");
        }
        self.push(decl)
    }

    fn declaration<T: TS + 'static>(&mut self) -> Declaration {
        for dep in T::dependencies(&self.cfg) {
            self.referenced.insert(dep.ts_name);
        }
        Declaration::parse(&T::decl(&self.cfg), T::docs())
    }

    fn push(&mut self, decl: Declaration) -> &mut Self {
        assert!(self.declared.insert(decl.name.clone()), "{} declared twice", decl.name);
        self.out.push('\n');
        self.out.push_str(&decl.render());
        self
    }

    /// The file's text; panics when a declared type names one that is not declared.
    fn finish(self) -> String {
        let missing: Vec<&String> = self.referenced.difference(&self.declared).collect();
        assert!(missing.is_empty(), "referenced but not declared: {missing:?}");
        self.out
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

/// Every shape of the JS API, in the order of the file.
fn generate() -> String {
    let mut g = Gen::new();
    vocabulary(&mut g);
    workload(&mut g);
    results(&mut g);
    route(&mut g);
    pool(&mut g);
    capabilities(&mut g);
    g.finish()
}

fn vocabulary(g: &mut Gen) {
    use crate::catalog::arch::OpClass;
    use crate::catalog::hardware::Concurrency;
    use crate::catalog::{ModelType, Precision};
    use crate::plan::Goal;
    use crate::predict::coldstart::WeightSource;
    use crate::predict::memory::OptionKind;
    use crate::predict::multi::{Residency, Strategy};
    use crate::predict::single::Bound;
    g.names("ModelType", "Kinds of model.", ModelType::ALL.map(ModelType::name))
        .names("Precision", "Number formats.", Precision::ALL.map(Precision::name))
        .names("Strategy", "Ways to run the models together.", Strategy::ALL.map(Strategy::name))
        .names("Goal", "What a recommendation optimises.", Goal::ALL.map(Goal::name))
        .names(
            "Concurrency",
            "How a device runs models at once.",
            Concurrency::ALL.map(Concurrency::name),
        )
        .names("Bound", "What dominated a model's time.", Bound::ALL.map(Bound::name))
        .names(
            "Residency",
            "Whether weights stay loaded between runs.",
            Residency::ALL.map(Residency::name),
        )
        .names(
            "WeightSource",
            "Where a cold start reads the weights from.",
            WeightSource::ALL.map(WeightSource::name),
        )
        .names(
            "MemoryOptionKind",
            "Kinds of memory-saving option.",
            OptionKind::ALL.map(OptionKind::name),
        )
        .names("OpClass", "Kinds of operator in a model's graph.", OpClass::ALL.map(OpClass::name));
}

fn workload(g: &mut Gen) {
    use super::graph::*;
    use super::*;
    g.input::<ArchDto>()
        .input::<OpDto>()
        .input::<GraphDto>()
        .input::<ModelEntryDto>()
        .input::<ConstraintsDto>()
        .input::<WorkloadObjectDto>()
        .input::<TileDto>()
        .input::<HardwareProfileDto>()
        .input::<SharingRuleDto>()
        .named(
            "SharingConfig",
            "The seed's sharing table, by model type.",
            "Partial<Record<ModelType, SharingRule>>",
        )
        .input::<DescribeOptionsDto>()
        .shape::<GraphInputDto>()
        .shape::<DimDto>()
        .shape::<DescriptionDto>();
}

fn results(g: &mut Gen) {
    use super::*;
    g.shape::<TotalMetricsDto>()
        .shape::<MemoryBreakdownDto>()
        .shape::<IndividualDto>()
        .shape::<NamedValueDto>()
        .shape::<ContentionDto>()
        .shape::<PairDto>()
        .shape::<SharingDto>()
        .shape::<TimelineDto>()
        .shape::<MemoryPointDto>()
        .shape::<ScheduleDto>()
        .shape::<PoolDto>()
        .shape::<PlanDto>()
        .shape::<DeviceEnergyDto>()
        .shape::<EnergyDto>()
        .shape::<PredictionDto>()
        .shape::<AlternativeDto>()
        .shape::<RecommendationDto>()
        .input::<ColdStartOptionsDto>()
        .shape::<ModelColdStartDto>()
        .shape::<StrategyColdStartDto>()
        .shape::<ColdStartDto>()
        .input::<ServeOptionsDto>()
        .shape::<LatencyDto>()
        .shape::<ModelServeDto>()
        .shape::<ServeDto>()
        .shape::<ModelMemoryDto>()
        .shape::<MemoryOptionDto>()
        .shape::<FitPlanDto>()
        .shape::<MemoryAdviceDto>()
        .shape::<CatalogModelDto>()
        .shape::<DeviceDto>();
}

fn route(g: &mut Gen) {
    use super::route::*;
    use crate::plan::route::Backend;
    let browsers = crate::catalog::browsers::all();
    g.names(
        "RouteBackend",
        "Where a model runs in the browser (transformers.js device strings).",
        Backend::ALL.map(Backend::name),
    )
    .names("BrowserId", "Browsers the catalog describes.", browsers.iter().map(|b| b.id))
    .shape::<AlternativeDto>()
    .shape::<RouteMemoryDto>()
    .shape::<RouteDecisionDto>()
    .shape::<BrowserRouteDto>()
    .shape::<BrowserOptionDto>()
    .shape::<BrowserRecommendationDto>();
}

fn pool(g: &mut Gen) {
    use super::calibration::*;
    use super::pool::*;
    use crate::calibrate::metrics::Direction;
    use crate::run::Status;
    let outputs =
        "What the executor resolved to (user executors), or the output array (built-in workloads).";
    let runs = "The runs, one per strategy, with their outputs.";
    g.named("PoolBackend", "Backend names the pool routes to.", "RouteBackend")
        .names("RunsOn", "Where a registered model's work runs.", RunsOn::ALL.map(RunsOn::name))
        .names("RunStatus", "How a model's run ended.", Status::ALL.map(Status::name))
        .names("StorageBackend", "Where the pool keeps its records.", ["indexeddb", "memory"])
        .names(
            "TrendDirection",
            "Whether recent predictions got better.",
            Direction::ALL.map(Direction::name),
        )
        .input::<PoolOptionsDto>()
        .input::<ExecuteOptionsDto>()
        .input::<WorkloadOptionsDto>()
        .shape::<WorkloadShapeDto>()
        .shape::<RegisteredDto>()
        .shape::<AttemptDto>()
        .shape::<CheckDto>()
        .shape_plus::<ModelRunDto>(&[("outputs?", "unknown", outputs)])
        .shape::<AutoDto>()
        .shape::<PoolRunDto>()
        .shape::<TensorMemoryDto>()
        .shape::<ModelMemoryDto>()
        .shape::<PoolMemoryDto>()
        .shape::<MeasuredModelDto>()
        .shape::<MeasurementDto>()
        .shape::<ErrorStatsDto>()
        .shape::<TrendDto>()
        .shape::<ValidationDto>()
        .shape::<FitDto>()
        .shape::<StoredProfile>()
        .shape::<StoredFit>()
        .shape::<ComparisonRecord>()
        .shape::<Export>()
        .shape::<WriteErrorDto>()
        .shape::<StorageDto>()
        .shape::<RankedDto>()
        .shape::<AccuracyDto>()
        .shape_plus::<ComparisonDto>(&[("runs", "PoolRun[]", runs)]);
}

fn capabilities(g: &mut Gen) {
    use super::capabilities::*;
    use super::detected::DetectedProfileDto;
    g.shape::<FailureDto>()
        .shape::<SourceDto>()
        .shape::<BrowserDto>()
        .shape::<LimitsDto>()
        .shape::<AdapterDto>()
        .shape::<AdapterProbeDto>()
        .shape::<WebGpuDto>()
        .shape::<OpSupportDto>()
        .shape::<KindDto>()
        .shape::<FormDto>()
        .shape::<ContextDto>()
        .shape::<WebNnDto>()
        .shape::<WasmDto>()
        .shape::<ScopeDto>()
        .shape::<CapabilitiesDto>()
        .shape::<DetectedProfileDto>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typescript_matches_the_dtos() {
        let text = generate();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
        if std::env::var_os("MMPERF_UPDATE_TS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stored == text,
            "{FILE} is stale: run MMPERF_UPDATE_TS=1 cargo test --lib wire::ts and review the diff"
        );
    }

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
}
