//! Stand-ins for browser globals in wasm tests: `Shadow` replaces `navigator[key]` for one test (an own
//! property shadows the prototype getter) and `script` evaluates a function body to a JS value.

use wasm_bindgen::{JsCast, JsValue};

/// Replaces `navigator[key]` for the duration of one test (an own property shadows the prototype getter).
pub struct Shadow(&'static str);

impl Shadow {
    pub fn new(key: &'static str, value: &JsValue) -> Shadow {
        let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
        let descriptor = js_sys::Object::new();
        js_sys::Reflect::set(&descriptor, &"value".into(), value).unwrap();
        js_sys::Reflect::set(&descriptor, &"configurable".into(), &true.into()).unwrap();
        js_sys::Reflect::define_property(
            navigator.unchecked_ref::<js_sys::Object>(),
            &key.into(),
            &descriptor,
        )
        .unwrap();
        Shadow(key)
    }
}

impl Drop for Shadow {
    fn drop(&mut self) {
        let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
        let _ = js_sys::Reflect::delete_property(
            navigator.unchecked_ref::<js_sys::Object>(),
            &self.0.into(),
        );
    }
}

pub fn script(body: &str) -> JsValue {
    js_sys::Function::new_no_args(body).call0(&JsValue::NULL).unwrap()
}
