//! Shared tensors: named buffers several models use (one embedding table, one preprocessed image, identical
//! built-in weights), with the set of users as the reference count, byte accounting, and release (including
//! `GPUBuffer.destroy()`) when the last user lets go.

use crate::flatmap::FlatMap;

use wasm_bindgen::JsValue;
use web_sys::GpuBuffer;

/// One shared tensor.
pub struct Tensor {
    /// Bytes it holds (each buffer's size, summed).
    pub bytes: f64,
    /// Model ids holding a reference.
    pub users: FlatMap<String, ()>,
    /// GPU buffers shared by every user (one for user tensors; one per GEMM for built-in weights).
    pub gpu: Vec<GpuBuffer>,
    /// Host data, if it was given.
    pub data: JsValue,
    /// Removed when the last user releases it (built-in weights); user tensors created with
    /// `shareTensor` stay until `dropTensor` when nobody holds them.
    pub release_on_last: bool,
}

/// The registry, by name.
#[derive(Default)]
pub struct Registry {
    tensors: FlatMap<String, Tensor>,
}

impl Registry {
    /// Adds a tensor; an existing name is an error.
    pub fn insert(&mut self, name: &str, tensor: Tensor) -> Result<(), String> {
        if self.tensors.contains_key(name) {
            return Err(format!("a shared tensor named '{name}' already exists"));
        }
        self.tensors.insert(name.to_string(), tensor);
        Ok(())
    }

    /// The tensor, if present.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.get(name)
    }

    /// Adds `user` to the tensor's users (idempotent); returns the reference count.
    pub fn acquire(&mut self, name: &str, user: &str) -> Result<usize, String> {
        let t = self.tensors.get_mut(name).ok_or_else(|| self_missing(name))?;
        t.users.insert(user.to_string(), ());
        Ok(t.users.len())
    }

    /// Removes `user`; at zero users a `release_on_last` tensor is freed. Returns the remaining count.
    pub fn release(&mut self, name: &str, user: &str) -> Result<usize, String> {
        let t = self.tensors.get_mut(name).ok_or_else(|| self_missing(name))?;
        if t.users.remove(user).is_none() {
            return Err(format!("model '{user}' does not hold tensor '{name}'"));
        }
        let left = t.users.len();
        if left == 0 && t.release_on_last {
            self.free(name);
        }
        Ok(left)
    }

    /// Frees a tensor nobody holds; an error names the holders otherwise.
    pub fn drop_unused(&mut self, name: &str) -> Result<(), String> {
        let t = self.tensors.get(name).ok_or_else(|| self_missing(name))?;
        if !t.users.is_empty() {
            let users: Vec<&str> = t.users.keys().map(String::as_str).collect();
            return Err(format!("tensor '{name}' is still used by {}", users.join(", ")));
        }
        self.free(name);
        Ok(())
    }

    fn free(&mut self, name: &str) {
        if let Some(t) = self.tensors.remove(name) {
            for b in &t.gpu {
                b.destroy();
            }
        }
    }

    /// Every tensor, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Tensor)> {
        self.tensors.iter()
    }

    /// Frees everything.
    pub fn clear(&mut self) {
        let names: Vec<String> = self.tensors.keys().cloned().collect();
        for n in names {
            self.free(&n);
        }
    }
}

fn self_missing(name: &str) -> String {
    format!("no shared tensor named '{name}' (create it with shareTensor first)")
}
