//! Real WebGPU work for the built-in workloads: one device for the whole pool (a WebGPU device has one queue,
//! so every model's work goes through it), a 16×16-tiled WGSL matmul, and per model a prepared chain of
//! dispatches ([`GpuChain`]) that reads its result back so timings include the whole round trip.
//!
//! The shader implements exactly the chaining rule of [`crate::workload`] (input row `r mod m_prev`, column
//! `c mod n_prev`), so its output is compared with [`crate::workload::run_cpu`].

use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    gpu_buffer_usage as usage, gpu_map_mode, GpuAdapter, GpuAutoLayoutMode, GpuBindGroup,
    GpuBindGroupDescriptor, GpuBindGroupEntry, GpuBindGroupLayout, GpuBuffer, GpuBufferDescriptor,
    GpuComputePipeline, GpuComputePipelineDescriptor, GpuDevice, GpuErrorFilter,
    GpuProgrammableStage, GpuQueue, GpuShaderModuleDescriptor,
};

use super::js::{failure, get, settle};
use crate::catalog::models::ChainGemm;
use crate::workload::Workload;

/// Tile edge of the matmul shader (workgroup 16×16).
pub const TILE: u32 = 16;

const SHADER: &str = r#"
struct Dims { m: u32, k: u32, n: u32, pm: u32, pn: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> d: Dims;
@group(0) @binding(1) var<storage, read> prev: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
var<workgroup> ta: array<array<f32, 16>, 16>;
var<workgroup> tb: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) l: vec3u, @builtin(workgroup_id) g: vec3u) {
  let row = g.y * 16u + l.y;
  let col = g.x * 16u + l.x;
  var acc = 0.0;
  let tiles = (d.k + 15u) / 16u;
  for (var t = 0u; t < tiles; t++) {
    let ak = t * 16u + l.x;
    if (row < d.m && ak < d.k) {
      ta[l.y][l.x] = prev[(row % d.pm) * d.pn + (ak % d.pn)];
    } else {
      ta[l.y][l.x] = 0.0;
    }
    let bk = t * 16u + l.y;
    if (bk < d.k && col < d.n) {
      tb[l.y][l.x] = w[bk * d.n + col];
    } else {
      tb[l.y][l.x] = 0.0;
    }
    workgroupBarrier();
    for (var i = 0u; i < 16u; i++) {
      acc += ta[l.y][i] * tb[i][l.x];
    }
    workgroupBarrier();
  }
  if (row < d.m && col < d.n) {
    y[row * d.n + col] = acc;
  }
}
"#;

/// The pool's WebGPU device with the matmul pipeline.
pub struct Gpu {
    device: GpuDevice,
    queue: GpuQueue,
    pipeline: GpuComputePipeline,
    layout: GpuBindGroupLayout,
    /// `maxStorageBufferBindingSize` granted to the device, bytes.
    pub max_binding: f64,
    /// `maxComputeWorkgroupsPerDimension`.
    pub max_workgroups: f64,
}

fn js_message(e: &JsValue) -> String {
    let f = failure(e);
    format!("{}: {}", f.name, f.message)
}

impl Gpu {
    /// Requests a `high-performance` adapter and a device with the adapter's largest buffer limits.
    pub async fn open(timeout_ms: u32) -> Result<Gpu, String> {
        let navigator = get(&js_sys::global(), "navigator");
        let gpu = get(&navigator, "gpu");
        if !gpu.is_object() {
            return Err(
                "navigator.gpu is absent (WebGPU not available in this browser or context)".into(),
            );
        }
        let options = Object::new();
        let _ = Reflect::set(&options, &"powerPreference".into(), &"high-performance".into());
        let request = super::js::call(&gpu, "requestAdapter", &Array::of1(&options))
            .map_err(|f| format!("{}: {}", f.name, f.message))?;
        let adapter = settle(&request, timeout_ms)
            .await
            .map_err(|f| format!("requestAdapter: {}: {}", f.name, f.message))?;
        let adapter: GpuAdapter = adapter
            .dyn_into()
            .map_err(|_| "requestAdapter() returned null: no WebGPU adapter".to_string())?;
        let limits = get(&adapter, "limits");
        let required = Object::new();
        for key in ["maxStorageBufferBindingSize", "maxBufferSize"] {
            let v = get(&limits, key);
            if v.as_f64().is_some() {
                let _ = Reflect::set(&required, &key.into(), &v);
            }
        }
        let descriptor = Object::new();
        let _ = Reflect::set(&descriptor, &"requiredLimits".into(), &required);
        let request = super::js::call(&adapter, "requestDevice", &Array::of1(&descriptor))
            .map_err(|f| format!("{}: {}", f.name, f.message))?;
        let device: GpuDevice = settle(&request, timeout_ms)
            .await
            .map_err(|f| format!("requestDevice: {}: {}", f.name, f.message))?
            .dyn_into()
            .map_err(|_| "requestDevice() did not return a GPUDevice".to_string())?;
        let module = device.create_shader_module(&GpuShaderModuleDescriptor::new(SHADER));
        let stage = GpuProgrammableStage::new(&module);
        stage.set_entry_point("main");
        let pipeline = device.create_compute_pipeline(
            &GpuComputePipelineDescriptor::new_with_gpu_auto_layout_mode(
                GpuAutoLayoutMode::Auto,
                &stage,
            ),
        );
        let layout = pipeline.get_bind_group_layout(0);
        let dl = get(&device, "limits");
        Ok(Gpu {
            queue: device.queue(),
            max_binding: get(&dl, "maxStorageBufferBindingSize").as_f64().unwrap_or(134_217_728.0),
            max_workgroups: get(&dl, "maxComputeWorkgroupsPerDimension")
                .as_f64()
                .unwrap_or(65_535.0),
            device,
            pipeline,
            layout,
        })
    }

    /// The device, for user executors.
    pub fn device(&self) -> &GpuDevice {
        &self.device
    }

    /// A storage buffer holding `data`.
    pub fn upload(&self, data: &[f32]) -> Result<GpuBuffer, String> {
        let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        let size = (bytes.len().max(4) as f64 / 4.0).ceil() * 4.0;
        if size > self.max_binding {
            return Err(format!(
                "a {size} B tensor exceeds this device's maxStorageBufferBindingSize ({} B)",
                self.max_binding
            ));
        }
        let buffer = self.buffer(size, usage::STORAGE | usage::COPY_DST)?;
        self.queue
            .write_buffer_with_u32_and_u8_slice(&buffer, 0, &bytes)
            .map_err(|e| js_message(&e))?;
        Ok(buffer)
    }

    /// A storage buffer of `size` bytes holding `bytes` (zeros when empty), for shared tensors.
    pub fn upload_bytes(&self, bytes: &[u8], size: f64) -> Result<GpuBuffer, String> {
        let padded = (size / 4.0).ceil() * 4.0;
        if padded > self.max_binding {
            return Err(format!(
                "a {size} B tensor exceeds this device's maxStorageBufferBindingSize ({} B)",
                self.max_binding
            ));
        }
        let buffer = self.buffer(padded, usage::STORAGE | usage::COPY_DST | usage::COPY_SRC)?;
        if !bytes.is_empty() {
            let mut data = bytes.to_vec();
            data.resize(padded as usize, 0);
            self.queue
                .write_buffer_with_u32_and_u8_slice(&buffer, 0, &data)
                .map_err(|e| js_message(&e))?;
        }
        Ok(buffer)
    }

    fn buffer(&self, size: f64, usage: u32) -> Result<GpuBuffer, String> {
        self.device
            .create_buffer(&GpuBufferDescriptor::new_with_f64(size, usage))
            .map_err(|e| js_message(&e))
    }

    /// Runs `f` inside validation and out-of-memory error scopes; an error in either fails the call.
    async fn checked<T>(&self, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        self.device.push_error_scope(GpuErrorFilter::OutOfMemory);
        self.device.push_error_scope(GpuErrorFilter::Validation);
        let out = f();
        let mut errors = Vec::new();
        for _ in 0..2 {
            match JsFuture::from(self.device.pop_error_scope()).await {
                Ok(e) if e.is_object() => {
                    errors.push(get(&e, "message").as_string().unwrap_or_default())
                }
                Ok(_) => {}
                Err(e) => errors.push(js_message(&e)),
            }
        }
        let value = out?;
        if errors.is_empty() {
            Ok(value)
        } else {
            Err(format!("WebGPU error: {}", errors.join("; ")))
        }
    }
}

/// One model's prepared chain: buffers and bind groups built once, dispatched per run.
pub struct GpuChain {
    gemms: Vec<ChainGemm>,
    binds: Vec<GpuBindGroup>,
    owned: Vec<GpuBuffer>,
    last: GpuBuffer,
    readback: GpuBuffer,
    out_bytes: f64,
}

impl GpuChain {
    /// Builds the chain of `w` with its weight buffers (`weights[i]` for GEMM `i`, possibly shared with other
    /// models) and its seeded input.
    pub async fn new(gpu: &Gpu, w: &Workload, weights: &[GpuBuffer]) -> Result<GpuChain, String> {
        let largest = w.largest_buffer_bytes();
        if largest > gpu.max_binding {
            return Err(format!(
                "its largest tensor ({largest} B) exceeds maxStorageBufferBindingSize ({} B)",
                gpu.max_binding
            ));
        }
        for g in &w.gemms {
            let groups = f64::from(g.m.div_ceil(TILE)).max(f64::from(g.n.div_ceil(TILE)));
            if groups > gpu.max_workgroups {
                return Err(format!(
                    "a {}×{} output needs {groups} workgroups per dimension, over the limit of {}",
                    g.m, g.n, gpu.max_workgroups
                ));
            }
        }
        let input = gpu.upload(&w.input())?;
        gpu.checked(|| {
            let out_max =
                w.gemms.iter().map(|g| 4.0 * f64::from(g.m) * f64::from(g.n)).fold(4.0, f64::max);
            let storage = usage::STORAGE | usage::COPY_SRC;
            let ping = [gpu.buffer(out_max, storage)?, gpu.buffer(out_max, storage)?];
            let mut owned = vec![input.clone(), ping[0].clone(), ping[1].clone()];
            let mut binds = Vec::with_capacity(w.gemms.len());
            let mut prev = (input.clone(), w.gemms[0].m, w.gemms[0].k);
            for (i, g) in w.gemms.iter().enumerate() {
                let dims: Vec<u8> = [g.m, g.k, g.n, prev.1, prev.2, 0, 0, 0]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect();
                let uniform = gpu.buffer(32.0, usage::UNIFORM | usage::COPY_DST)?;
                gpu.queue
                    .write_buffer_with_u32_and_u8_slice(&uniform, 0, &dims)
                    .map_err(|e| js_message(&e))?;
                let out = &ping[i % 2];
                let entries = [
                    GpuBindGroupEntry::new_with_gpu_buffer(0, &uniform),
                    GpuBindGroupEntry::new_with_gpu_buffer(1, &prev.0),
                    GpuBindGroupEntry::new_with_gpu_buffer(2, &weights[i]),
                    GpuBindGroupEntry::new_with_gpu_buffer(3, out),
                ];
                binds.push(
                    gpu.device
                        .create_bind_group(&GpuBindGroupDescriptor::new(&entries, &gpu.layout)),
                );
                owned.push(uniform);
                prev = (out.clone(), g.m, g.n);
            }
            let out_bytes = 4.0 * w.output_len() as f64;
            let readback = gpu.buffer(out_bytes, usage::MAP_READ | usage::COPY_DST)?;
            owned.push(readback.clone());
            Ok(GpuChain { gemms: w.gemms.clone(), binds, owned, last: prev.0, readback, out_bytes })
        })
        .await
    }

    /// Bytes of the buffers this chain owns (input, two ping-pong outputs, uniforms, read-back).
    pub fn owned_bytes(&self) -> f64 {
        self.owned.iter().map(GpuBuffer::size).sum()
    }

    /// One run: every GEMM dispatched in one compute pass, one submit, the result read back.
    pub async fn run(&self, gpu: &Gpu) -> Result<Vec<f32>, String> {
        let encoder = gpu.device.create_command_encoder();
        let pass = encoder.begin_compute_pass();
        pass.set_pipeline(&gpu.pipeline);
        for (g, bind) in self.gemms.iter().zip(&self.binds) {
            pass.set_bind_group(0, Some(bind));
            pass.dispatch_workgroups_with_workgroup_count_y(g.n.div_ceil(TILE), g.m.div_ceil(TILE));
        }
        pass.end();
        encoder
            .copy_buffer_to_buffer_with_f64_and_f64_and_f64(
                &self.last,
                0.0,
                &self.readback,
                0.0,
                self.out_bytes,
            )
            .map_err(|e| js_message(&e))?;
        gpu.queue.submit(&[encoder.finish()]);
        JsFuture::from(self.readback.map_async(gpu_map_mode::READ))
            .await
            .map_err(|e| format!("reading the result back failed: {}", js_message(&e)))?;
        let range = self.readback.get_mapped_range().map_err(|e| js_message(&e))?;
        let out = Float32Array::new(&range).to_vec();
        self.readback.unmap();
        Ok(out)
    }

    /// Frees the chain's own buffers (not the weights, which the tensor registry owns).
    pub fn destroy(&self) {
        for b in &self.owned {
            b.destroy();
        }
    }
}
