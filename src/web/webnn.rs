//! WebNN graphs for the built-in workloads, where a context can be created: the GEMM chain as one
//! `MLGraphBuilder` graph (`matmul` per GEMM; the chaining rule `X[r][c] = Y[r mod m'][c mod n']` as `tile`
//! then `slice`), weights as constants, run with the current spec's tensors (`createTensor`, `writeTensor`,
//! `dispatch`, `readTensor`) or, on older builds, `compute`. WebNN has no web-sys bindings, so everything
//! goes through reflection and every failure is a message, never a panic.

use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js::{call, get, settle};
use crate::catalog::detected::WebNnKind;
use crate::workload::Workload;

/// A compiled chain on one context.
pub struct NnChain {
    context: JsValue,
    graph: JsValue,
    input: Vec<f32>,
    in_shape: [u32; 2],
    out_shape: [u32; 2],
}

fn failed(what: &str, f: crate::catalog::detected::Failure) -> String {
    format!("{what}: {}: {}", f.name, f.message)
}

fn dict(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

fn shape(dims: [u32; 2]) -> JsValue {
    Array::of2(&dims[0].into(), &dims[1].into()).into()
}

/// A float32 operand descriptor in the current (`dataType`, `shape`) and older (`type`, `dimensions`) forms.
fn desc(dims: [u32; 2]) -> JsValue {
    dict(&[
        ("dataType", "float32".into()),
        ("shape", shape(dims)),
        ("type", "float32".into()),
        ("dimensions", shape(dims)),
    ])
}

async fn context(kind: WebNnKind, timeout_ms: u32) -> Result<JsValue, String> {
    let ml = get(&get(&js_sys::global(), "navigator"), "ml");
    if !ml.is_object() {
        return Err("navigator.ml is absent".to_string());
    }
    let (power, accelerated) = kind.options();
    let current = dict(&[("powerPreference", power.into()), ("accelerated", accelerated.into())]);
    let first = match call(&ml, "createContext", &Array::of1(&current)) {
        Ok(p) => settle(&p, timeout_ms).await,
        Err(f) => Err(f),
    };
    match first {
        Ok(c) if c.is_object() => Ok(c),
        _ => {
            let older = dict(&[("deviceType", kind.name().into())]);
            let p = call(&ml, "createContext", &Array::of1(&older))
                .map_err(|f| failed("createContext", f))?;
            settle(&p, timeout_ms).await.map_err(|f| failed("createContext", f))
        }
    }
}

impl NnChain {
    /// Creates a context of `kind` and builds the chain of `w` with its weights.
    pub async fn new(
        kind: WebNnKind,
        w: &Workload,
        weights: &[Vec<f32>],
        timeout_ms: u32,
    ) -> Result<NnChain, String> {
        let first = w.gemms.first().ok_or("an empty workload")?;
        let context = context(kind, timeout_ms).await?;
        let ctor = get(&js_sys::global(), "MLGraphBuilder")
            .dyn_into::<js_sys::Function>()
            .map_err(|_| "MLGraphBuilder is absent".to_string())?;
        let builder = Reflect::construct(&ctor, &Array::of1(&context))
            .map_err(|e| failed("new MLGraphBuilder", super::js::failure(&e)))?;
        let op = |name: &str, args: &Array| {
            call(&builder, name, args).map_err(|f| failed(&format!("builder.{name}"), f))
        };
        let in_shape = [first.m, first.k];
        let mut y = op("input", &Array::of2(&"x".into(), &desc(in_shape)))?;
        let mut prev: Option<[u32; 2]> = None;
        for (i, g) in w.gemms.iter().enumerate() {
            let mut x = y.clone();
            if let Some([pm, pn]) = prev {
                if [pm, pn] != [g.m, g.k] {
                    let reps = [g.m.div_ceil(pm), g.k.div_ceil(pn)];
                    if reps != [1, 1] {
                        x = op("tile", &Array::of2(&x, &shape(reps)))?;
                    }
                    x = op("slice", &Array::of3(&x, &shape([0, 0]), &shape([g.m, g.k])))?;
                }
            }
            let data = Float32Array::from(weights[i].as_slice());
            let wt = op("constant", &Array::of2(&desc([g.k, g.n]), &data))?;
            y = op("matmul", &Array::of2(&x, &wt))?;
            prev = Some([g.m, g.n]);
        }
        let last = w.gemms.last().ok_or("an empty workload")?;
        let built = op("build", &Array::of1(&dict(&[("y", y)])))?;
        let graph = settle(&built, timeout_ms).await.map_err(|f| failed("builder.build", f))?;
        Ok(NnChain { context, graph, input: w.input(), in_shape, out_shape: [last.m, last.n] })
    }

    /// One run: input written, graph dispatched, output read back.
    pub async fn run(&self, timeout_ms: u32) -> Result<Vec<f32>, String> {
        let ctx = &self.context;
        let input = Float32Array::from(self.input.as_slice());
        let out_len = self.out_shape[0] * self.out_shape[1];
        if get(ctx, "createTensor").is_function() {
            let tensor = |dims: [u32; 2], readable: bool| async move {
                let d = desc(dims);
                let _ = Reflect::set(&d, &"readable".into(), &readable.into());
                let _ = Reflect::set(&d, &"writable".into(), &(!readable).into());
                let p = call(ctx, "createTensor", &Array::of1(&d))
                    .map_err(|f| failed("createTensor", f))?;
                settle(&p, timeout_ms).await.map_err(|f| failed("createTensor", f))
            };
            let x = tensor(self.in_shape, false).await?;
            let y = tensor(self.out_shape, true).await?;
            call(ctx, "writeTensor", &Array::of2(&x, &input))
                .map_err(|f| failed("writeTensor", f))?;
            call(
                ctx,
                "dispatch",
                &Array::of3(&self.graph, &dict(&[("x", x.clone())]), &dict(&[("y", y.clone())])),
            )
            .map_err(|f| failed("dispatch", f))?;
            let p =
                call(ctx, "readTensor", &Array::of1(&y)).map_err(|f| failed("readTensor", f))?;
            let buffer = settle(&p, timeout_ms).await.map_err(|f| failed("readTensor", f))?;
            for t in [&x, &y] {
                let _ = call(t, "destroy", &Array::new());
            }
            Ok(Float32Array::new(&buffer).to_vec())
        } else {
            let out = Float32Array::new_with_length(out_len);
            let p = call(
                ctx,
                "compute",
                &Array::of3(
                    &self.graph,
                    &dict(&[("x", input.into())]),
                    &dict(&[("y", out.into())]),
                ),
            )
            .map_err(|f| failed("compute", f))?;
            let result = settle(&p, timeout_ms).await.map_err(|f| failed("compute", f))?;
            let y = get(&get(&result, "outputs"), "y");
            y.dyn_into::<Float32Array>()
                .map(|a| a.to_vec())
                .map_err(|_| "compute() returned no float32 output y".to_string())
        }
    }
}
