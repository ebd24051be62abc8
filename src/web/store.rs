//! The browser measurement store: IndexedDB (database `multimodel-perf` by default) with the same content
//! as the native SQLite file: profile versions, measurements and fits, each kept as the JSON text the
//! native store and `export` use. When IndexedDB is missing, blocked or over quota the pool keeps working
//! in memory and says so; nothing measured in the session is dropped. Failures come back as a [`StoreError`],
//! which tells an origin over its storage quota apart from every other failure.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js::failure;

#[wasm_bindgen(inline_js = r#"
export function idb_open(name) {
  return new Promise((resolve, reject) => {
    const factory = globalThis.indexedDB;
    if (!factory || typeof factory.open !== 'function') {
      reject(new Error('indexedDB is not available in this context'));
      return;
    }
    let req;
    try { req = factory.open(name, 2); } catch (e) { reject(e); return; }
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const store of ['profiles', 'measurements', 'fits', 'comparisons']) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store, { autoIncrement: true });
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('indexedDB.open failed'));
    req.onblocked = () => reject(new Error('indexedDB.open is blocked by another tab holding an older version'));
  });
}

export function idb_add(db, store, text) {
  return new Promise((resolve, reject) => {
    let tx;
    try { tx = db.transaction(store, 'readwrite'); } catch (e) { reject(e); return; }
    const req = tx.objectStore(store).add(text);
    let key = null;
    req.onsuccess = () => { key = req.result; };
    tx.oncomplete = () => resolve(key);
    tx.onerror = () => reject(tx.error || req.error || new Error('write failed'));
    tx.onabort = () => reject(tx.error || new Error('write aborted (quota exceeded?)'));
  });
}

export function idb_all(db, store) {
  return new Promise((resolve, reject) => {
    let tx;
    try { tx = db.transaction(store, 'readonly'); } catch (e) { reject(e); return; }
    const req = tx.objectStore(store).getAll();
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('read failed'));
  });
}

export function idb_clear(db) {
  return new Promise((resolve, reject) => {
    let tx;
    const all = ['profiles', 'measurements', 'fits', 'comparisons'];
    try { tx = db.transaction(all, 'readwrite'); } catch (e) { reject(e); return; }
    for (const s of all) tx.objectStore(s).clear();
    tx.oncomplete = () => resolve(true);
    tx.onerror = () => reject(tx.error || new Error('clear failed'));
  });
}
"#)]
extern "C" {
    fn idb_open(name: &str) -> Promise;
    fn idb_add(db: &JsValue, store: &str, text: &str) -> Promise;
    fn idb_all(db: &JsValue, store: &str) -> Promise;
    fn idb_clear(db: &JsValue) -> Promise;
}

/// Why IndexedDB refused an operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The origin is over its storage quota: the browser aborted the write (`QuotaExceededError`) and
    /// nothing of it was stored.
    #[error("the origin is over its storage quota (QuotaExceededError) writing to IndexedDB store \"{store}\"")]
    QuotaExceeded {
        /// The object store written to.
        store: &'static str,
    },
    /// Any other failure, with the exception's name and message as the browser gave them.
    #[error("{name}: {message}")]
    Failed {
        /// `InvalidStateError`, `UnknownError`, …
        name: String,
        /// The browser's message.
        message: String,
    },
}

impl StoreError {
    /// The exception's name (`QuotaExceededError` for [`StoreError::QuotaExceeded`]).
    pub fn name(&self) -> &str {
        match self {
            Self::QuotaExceeded { .. } => QUOTA_EXCEEDED,
            Self::Failed { name, .. } => name,
        }
    }

    /// Reads a rejection of `store`'s operation: a `QuotaExceededError` by its name (its message is often
    /// empty), anything else as it came.
    fn from_js(e: &JsValue, store: &'static str) -> StoreError {
        let f = failure(e);
        if f.name == QUOTA_EXCEEDED {
            StoreError::QuotaExceeded { store }
        } else {
            StoreError::Failed { name: f.name, message: f.message }
        }
    }
}

/// The `DOMException` name of a write over the origin's quota.
const QUOTA_EXCEEDED: &str = "QuotaExceededError";

/// An open IndexedDB database.
pub struct Idb {
    db: JsValue,
}

/// The object stores.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Profile versions.
    Profiles,
    /// Measurements.
    Measurements,
    /// Fits.
    Fits,
    /// Strategy comparisons.
    Comparisons,
}

impl Kind {
    /// The object store's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Profiles => "profiles",
            Self::Measurements => "measurements",
            Self::Fits => "fits",
            Self::Comparisons => "comparisons",
        }
    }
}

impl Idb {
    /// Opens (creating) the database, or says why it cannot.
    pub async fn open(name: &str) -> Result<Idb, StoreError> {
        let db =
            JsFuture::from(idb_open(name)).await.map_err(|e| StoreError::from_js(&e, "(open)"))?;
        Ok(Idb { db })
    }

    /// Adds one JSON text; on any failure nothing of it is stored.
    pub async fn add(&self, kind: Kind, text: &str) -> Result<(), StoreError> {
        JsFuture::from(idb_add(&self.db, kind.name(), text))
            .await
            .map(|_| ())
            .map_err(|e| StoreError::from_js(&e, kind.name()))
    }

    /// Every JSON text of a store, in insertion order.
    pub async fn all(&self, kind: Kind) -> Result<Vec<String>, StoreError> {
        let v = JsFuture::from(idb_all(&self.db, kind.name()))
            .await
            .map_err(|e| StoreError::from_js(&e, kind.name()))?;
        Ok(Array::from(&v).iter().filter_map(|x| x.as_string()).collect())
    }

    /// Empties every store.
    pub async fn clear(&self) -> Result<(), StoreError> {
        JsFuture::from(idb_clear(&self.db))
            .await
            .map(|_| ())
            .map_err(|e| StoreError::from_js(&e, "(all stores)"))
    }
}
