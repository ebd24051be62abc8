//! The tape: how a result crosses from WebAssembly to JavaScript in one call. Converting a result value by
//! value through `serde-wasm-bindgen` crosses the boundary once or more per field (an object, a property set,
//! a number or string boxed for JavaScript), and for the package's small calls that was most of their time
//! (`node --cpu-prof` of predict with 3 models on `cuda:a100-40gb`, session 24: 36 % in the conversion, 10 %
//! in string decoding, 13 % predicting). Here serde writes the value into flat arrays instead, and the
//! package's JavaScript (`web::decode_tape`) builds the objects from them in one call:
//!
//! - `ops`: the value's shape, depth first: [`op::NULL`], [`op::FALSE`], [`op::TRUE`], [`op::NUMBER`] (the next
//!   number of `nums`), [`op::STRING`] then the string's index, [`op::ARRAY`] then its elements and [`END`],
//!   [`op::OBJECT`] then `key, value` pairs and [`END`], or [`op::SHAPED`], a shape's index (or [`END`] for
//!   none), then the same. A key is a field name's index in the [`Keys`] the JavaScript side holds, or
//!   [`DYNAMIC_KEY`] plus a string's index (a map's keys);
//! - `nums`: every number, in order;
//! - `text` and `ends`: every string, one after another, and where each ends in UTF-16 code units (what
//!   JavaScript's `slice` counts);
//! - the field names the JavaScript side has not seen yet ([`Keys::unsent`]), which it keeps, so a name crosses
//!   once per page (or worker) and every object of a shape gets its properties in one order, from the same
//!   strings;
//! - the shapes of the structs of [`SHAPED_FIELDS`] fields or more ([`Keys::unsent_shapes`]): their field names
//!   in order, sent once like the names. The JavaScript side keeps, per shape, an object with those
//!   properties (made by `JSON.parse`), and builds each object of the shape as a copy of it (`{...template}`)
//!   whose properties it then sets. Built property by property from `{}`, V8 turns an object of 20 properties
//!   or more into a dictionary (measured in node 20: 20 of 20 objects of 20-45 properties, 110-135 ns a
//!   property set, against 33-38 ns below 20 and 36 ns for a copy of the template), and so also every read
//!   of it in the caller's code; the copy keeps the template's fast layout.
//!
//! The value it builds is the one serde-wasm-bindgen's `Serializer::json_compatible()` builds (structs and
//! string-keyed maps as plain objects, sequences and tuples as arrays, `None` and `()` as `null`, unit
//! variants as their names, other variants as `{variant: value}`, bytes as arrays of numbers, integers of
//! 2^53 or more an error), except two things no result of the package holds: 128-bit integers (a `BigInt`
//! there, an error here) and a map key in an `Option` (a string there, an error here). The wasm tests check
//! the two deep-equal on predictions, recommendations and the catalogs.

use std::fmt::Display;

use serde::ser::{self, Serialize};

/// Ends an array or an object in `ops`.
pub const END: u32 = u32::MAX;
/// Set on a key that is a string of the tape (a map's key), not a field name of [`Keys`].
pub const DYNAMIC_KEY: u32 = 1 << 31;

/// The codes of `ops`.
pub mod op {
    /// `null` (`None`, `()`, unit structs).
    pub const NULL: u32 = 0;
    /// `false`.
    pub const FALSE: u32 = 1;
    /// `true`.
    pub const TRUE: u32 = 2;
    /// The next number of `nums`.
    pub const NUMBER: u32 = 3;
    /// A string: the next op is its index.
    pub const STRING: u32 = 4;
    /// An array: its elements follow, then [`super::END`].
    pub const ARRAY: u32 = 5;
    /// An object: `key, value` pairs follow, then [`super::END`].
    pub const OBJECT: u32 = 6;
    /// An object made from a shape's template: the shape's index (or [`super::END`] for none) follows, then
    /// `key, value` pairs (the shape's names, in its order) and [`super::END`].
    pub const SHAPED: u32 = 7;
}

/// The fewest fields of a struct sent as [`op::SHAPED`] (V8 keeps an object built property by property fast
/// up to 19; from 16 the template costs no more: a buffer of the encoding, not a model constant).
pub const SHAPED_FIELDS: usize = 16;

/// JavaScript's largest safe integer, 2^53 − 1: integers beyond it have no exact JS number.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A value written for JavaScript (the module documentation says how).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tape {
    /// The shape.
    pub ops: Vec<u32>,
    /// The numbers.
    pub nums: Vec<f64>,
    /// The strings, one after another.
    pub text: String,
    /// Where each string of `text` ends, in UTF-16 code units.
    pub ends: Vec<u32>,
    /// `text`'s length in UTF-16 code units.
    units: u32,
    /// The structs being written, innermost last.
    frames: Vec<Frame>,
}

/// A struct being written: where its shape's index goes in `ops` (`None`: an [`op::OBJECT`]), the shape it
/// is written as and how many of its names have matched it, or the names recorded for a shape not seen yet.
#[derive(Debug, Clone, PartialEq)]
struct Frame {
    slot: Option<usize>,
    shape: ShapeMatch,
    fields: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum ShapeMatch {
    /// Written as shape `id` as long as the names match it.
    Known(u32),
    /// A new shape, from this struct's key (its name's address and length, its number of fields): its names.
    Recording((usize, usize, usize), Vec<u32>),
    /// The names differ from the shape's: written without one.
    Plain,
}

impl Tape {
    /// Empties the tape, keeping its buffers (a page's calls reuse one).
    pub fn clear(&mut self) {
        self.ops.clear();
        self.nums.clear();
        self.text.clear();
        self.ends.clear();
        self.units = 0;
        self.frames.clear();
    }

    /// Adds `s` to the strings; its index.
    pub fn push_str(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        let units = if s.is_ascii() { s.len() } else { s.encode_utf16().count() };
        self.units += units as u32;
        self.ends.push(self.units);
        (self.ends.len() - 1) as u32
    }

    /// The strings, in order (what the JavaScript side slices `text` into).
    #[cfg(test)]
    pub fn strings(&self) -> Vec<String> {
        let units: Vec<u16> = self.text.encode_utf16().collect();
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let s = String::from_utf16_lossy(&units[start..end as usize]);
                start = end as usize;
                s
            })
            .collect()
    }
}

/// The field names of every tape written so far, by index, and how many of them the JavaScript side has.
#[derive(Debug, Default)]
pub struct Keys {
    names: Vec<&'static str>,
    /// Index by the name's address and length (a name is a `&'static str` of a serde derive), hashed with
    /// FxHash (two words: SipHash cost more than the rest of the tape).
    ids: crate::flatmap::LookupMap<(usize, usize), u32>,
    /// `after[k]`: the name that followed name `k` last time (a struct's fields come in one order, so this
    /// finds most names without hashing); `u32::MAX` where none has yet.
    after: Vec<u32>,
    /// The name looked up last.
    last: u32,
    sent: usize,
    /// Each shape's names (their indices), one shape after another, and where each ends.
    shape_names: Vec<u32>,
    shape_ends: Vec<u32>,
    /// Each shape's struct (its name's address and length, its number of fields), by index: a few wide
    /// structs, looked up in order.
    shape_keys: Vec<(usize, usize, usize)>,
    shapes_sent: usize,
}

impl Keys {
    fn id(&mut self, name: &'static str) -> u32 {
        let guess = self.after.get(self.last as usize).copied().unwrap_or(u32::MAX);
        let id = match self.names.get(guess as usize) {
            Some(g) if std::ptr::eq(*g, name) => guess,
            _ => {
                let names = &mut self.names;
                let id =
                    *self.ids.entry((name.as_ptr() as usize, name.len())).or_insert_with(|| {
                        names.push(name);
                        (names.len() - 1) as u32
                    });
                if let Some(a) = self.after.get_mut(self.last as usize) {
                    *a = id;
                }
                self.after.resize(self.names.len(), u32::MAX);
                id
            }
        };
        self.last = id;
        id
    }

    /// How many names the JavaScript side has been sent, and the names it has not.
    pub fn unsent(&self) -> (usize, &[&'static str]) {
        (self.sent, &self.names[self.sent..])
    }

    /// How many shapes the JavaScript side has been sent, and the ones it has not, each as its number of
    /// names then their indices.
    pub fn unsent_shapes(&self) -> (usize, Vec<u32>) {
        let mut out = Vec::new();
        let mut start = self.shape_ends[..self.shapes_sent].last().map_or(0, |&e| e as usize);
        for &end in &self.shape_ends[self.shapes_sent..] {
            out.push(end - start as u32);
            out.extend_from_slice(&self.shape_names[start..end as usize]);
            start = end as usize;
        }
        (self.shapes_sent, out)
    }

    /// The shape of the struct `key` (its name's address and length, its number of fields).
    fn shape_of(&self, key: (usize, usize, usize)) -> Option<u32> {
        self.shape_keys.iter().position(|k| *k == key).map(|i| i as u32)
    }

    /// Shape `id`'s names, in order.
    fn shape(&self, id: u32) -> &[u32] {
        let end = self.shape_ends[id as usize] as usize;
        let start = if id == 0 { 0 } else { self.shape_ends[id as usize - 1] as usize };
        &self.shape_names[start..end]
    }

    /// Every name and shape has been sent.
    pub fn mark_sent(&mut self) {
        self.sent = self.names.len();
        self.shapes_sent = self.shape_ends.len();
    }

    /// The JavaScript side has none of the names and shapes (its module was loaded afresh): all go with the
    /// next tape.
    pub fn forget_sent(&mut self) {
        self.sent = 0;
        self.shapes_sent = 0;
    }

    /// Name `id`.
    #[cfg(test)]
    pub fn name(&self, id: u32) -> Option<&'static str> {
        self.names.get(id as usize).copied()
    }
}

/// Why a value has no tape.
#[derive(Debug, Clone, PartialEq)]
pub struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Writes `value` as a tape, its field names indexed in `keys`.
#[cfg(test)]
pub fn encode<T: Serialize + ?Sized>(value: &T, keys: &mut Keys) -> Result<Tape, Error> {
    let mut tape = Tape::default();
    encode_into(value, keys, &mut tape)?;
    Ok(tape)
}

/// Writes `value` as a tape into `tape` (emptied first, its buffers reused), its field names indexed in `keys`.
pub fn encode_into<T: Serialize + ?Sized>(
    value: &T,
    keys: &mut Keys,
    tape: &mut Tape,
) -> Result<(), Error> {
    tape.clear();
    value.serialize(&mut Writer { tape, keys })
}

struct Writer<'t> {
    tape: &'t mut Tape,
    keys: &'t mut Keys,
}

impl Writer<'_> {
    fn number(&mut self, v: f64) {
        self.tape.ops.push(op::NUMBER);
        self.tape.nums.push(v);
    }

    fn string(&mut self, s: &str) {
        let id = self.tape.push_str(s);
        self.tape.ops.extend([op::STRING, id]);
    }

    fn key(&mut self, name: &'static str) {
        let id = self.keys.id(name);
        self.tape.ops.push(id);
    }

    /// A struct's field name: written, and matched against (or recorded for) the struct's shape.
    #[inline(never)]
    fn field(&mut self, name: &'static str) {
        let id = self.keys.id(name);
        self.tape.ops.push(id);
        let Some(frame) = self.tape.frames.last_mut() else { return };
        match &mut frame.shape {
            ShapeMatch::Known(shape) => {
                if self.keys.shape(*shape).get(frame.fields) != Some(&id) {
                    frame.shape = ShapeMatch::Plain;
                }
            }
            ShapeMatch::Recording(_, names) => names.push(id),
            ShapeMatch::Plain => {}
        }
        frame.fields += 1;
    }

    /// Opens a struct of `len` fields named `name`: an [`op::SHAPED`] object from `SHAPED_FIELDS` fields on.
    #[inline(never)]
    fn open_struct(&mut self, name: &'static str, len: usize) {
        if len < SHAPED_FIELDS {
            self.tape.ops.push(op::OBJECT);
            self.tape.frames.push(Frame { slot: None, shape: ShapeMatch::Plain, fields: 0 });
            return;
        }
        let key = (name.as_ptr() as usize, name.len(), len);
        let shape = match self.keys.shape_of(key) {
            Some(id) => ShapeMatch::Known(id),
            None => ShapeMatch::Recording(key, Vec::with_capacity(len)),
        };
        self.tape.ops.extend([op::SHAPED, END]);
        let slot = Some(self.tape.ops.len() - 1);
        self.tape.frames.push(Frame { slot, shape, fields: 0 });
    }

    /// Closes the innermost struct: its shape's index goes in its slot where every name matched it (a new
    /// shape is kept first).
    #[inline(never)]
    fn close_struct(&mut self) {
        self.end();
        let Some(Frame { slot: Some(slot), shape, fields }) = self.tape.frames.pop() else {
            return;
        };
        let id = match shape {
            ShapeMatch::Known(id) if self.keys.shape(id).len() == fields => id,
            ShapeMatch::Recording(key, names) => match self.keys.shape_of(key) {
                // A struct of the key nested in this one was kept first.
                Some(id) if self.keys.shape(id) == names => id,
                Some(_) => return,
                None => {
                    let keys = &mut *self.keys;
                    keys.shape_names.extend_from_slice(&names);
                    keys.shape_ends.push(keys.shape_names.len() as u32);
                    keys.shape_keys.push(key);
                    (keys.shape_ends.len() - 1) as u32
                }
            },
            _ => return,
        };
        self.tape.ops[slot] = id;
    }

    /// `{variant: …`: the caller writes the value and the closing [`END`].
    fn open_variant(&mut self, variant: &'static str) {
        self.tape.ops.push(op::OBJECT);
        self.key(variant);
    }

    fn end(&mut self) {
        self.tape.ops.push(END);
    }
}

type Res = Result<(), Error>;

/// Numbers every value of which JavaScript holds exactly: as an `f64`.
macro_rules! as_number {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Res {
            self.serialize_f64(f64::from(v))
        }
    )*};
}

/// What no object key is: [`MapKey`] refuses it.
macro_rules! not_keys {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, _v: $ty) -> Result<String, Error> {
            not_a_string_key()
        }
    )*};
}

impl<'a, 'k> ser::Serializer for &'a mut Writer<'k> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Res {
        self.tape.ops.push(if v { op::TRUE } else { op::FALSE });
        Ok(())
    }
    as_number! {
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_f32(f32),
    }
    fn serialize_i64(self, v: i64) -> Res {
        if v.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(Error(format!("{v} can't be represented as a JavaScript number")));
        }
        self.serialize_f64(v as f64)
    }
    fn serialize_u64(self, v: u64) -> Res {
        if v > MAX_SAFE_INTEGER {
            return Err(Error(format!("{v} can't be represented as a JavaScript number")));
        }
        self.serialize_f64(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Res {
        self.number(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Res {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Res {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        self.tape.ops.push(op::ARRAY);
        for &b in v {
            self.number(f64::from(b));
        }
        self.end();
        Ok(())
    }
    fn serialize_none(self) -> Res {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Res {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Res {
        self.tape.ops.push(op::NULL);
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Res {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Res {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Res {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Res {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.end();
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self, Error> {
        self.tape.ops.push(op::ARRAY);
        Ok(self)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, Error> {
        self.open_variant(variant);
        self.tape.ops.push(op::ARRAY);
        Ok(self)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self, Error> {
        self.tape.ops.push(op::OBJECT);
        Ok(self)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self, Error> {
        self.open_struct(name, len);
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, Error> {
        self.open_variant(variant);
        self.open_struct(variant, 0);
        Ok(self)
    }
}

/// The compounds written element by element (`$method` is the trait's name for adding one), and how many
/// [`END`]s close them: an array, and for a variant the `{variant: …}` around it too.
macro_rules! elements {
    ($($compound:ident :: $method:ident closes $n:literal;)*) => {$(
        impl ser::$compound for &mut Writer<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Res {
                value.serialize(&mut **self)
            }
            fn end(self) -> Res {
                for _ in 0..$n {
                    Writer::end(self);
                }
                Ok(())
            }
        }
    )*};
}

elements! {
    SerializeSeq::serialize_element closes 1;
    SerializeTuple::serialize_element closes 1;
    SerializeTupleStruct::serialize_field closes 1;
    SerializeTupleVariant::serialize_field closes 2;
}

impl ser::SerializeMap for &mut Writer<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Res {
        let key = key.serialize(MapKey)?;
        let id = self.tape.push_str(&key);
        self.tape.ops.push(DYNAMIC_KEY | id);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Res {
        value.serialize(&mut **self)
    }
    fn end(self) -> Res {
        Writer::end(self);
        Ok(())
    }
}

/// The compounds written field by field under their names, and what more than the struct's [`END`] closes
/// them: for a variant the `{variant: …}` around it.
macro_rules! fields {
    ($($compound:ident $(then $more:ident)?;)*) => {$(
        impl ser::$compound for &mut Writer<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Res {
                self.field(key);
                value.serialize(&mut **self)
            }
            fn end(self) -> Res {
                self.close_struct();
                $(Writer::$more(self);)?
                Ok(())
            }
        }
    )*};
}

fields! {
    SerializeStruct;
    SerializeStructVariant then end;
}

/// A map's key: a string (an object's keys are strings), or an error naming what it was.
struct MapKey;

fn not_a_string_key<T>() -> Result<T, Error> {
    Err(Error("Map key is not a string and cannot be an object key".to_string()))
}

impl ser::Serializer for MapKey {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    not_keys! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64), serialize_f32(f32),
        serialize_f64(f64), serialize_bytes(&[u8]),
    }
    fn serialize_none(self) -> Result<String, Error> {
        not_a_string_key()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<String, Error> {
        not_a_string_key()
    }
    fn serialize_unit(self) -> Result<String, Error> {
        not_a_string_key()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        not_a_string_key()
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        not_a_string_key()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        not_a_string_key()
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        not_a_string_key()
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        not_a_string_key()
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        not_a_string_key()
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        not_a_string_key()
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        not_a_string_key()
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        not_a_string_key()
    }
}

/// Reads a tape back as the JavaScript decoder does (`web::decode_tape`), into a JSON value: what the native
/// tests compare with `serde_json`'s own.
#[cfg(test)]
pub(crate) fn decode(tape: &Tape, keys: &Keys) -> serde_json::Value {
    use serde_json::Value;
    fn value(
        ops: &[u32],
        p: &mut usize,
        nums: &mut std::slice::Iter<'_, f64>,
        strs: &[String],
        keys: &Keys,
    ) -> Value {
        let code = ops[*p];
        *p += 1;
        match code {
            op::NULL => Value::Null,
            op::FALSE => Value::Bool(false),
            op::TRUE => Value::Bool(true),
            op::NUMBER => {
                let n = *nums.next().expect("a number for every NUMBER");
                serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
            }
            op::STRING => {
                *p += 1;
                Value::String(strs[ops[*p - 1] as usize].clone())
            }
            op::ARRAY => {
                let mut out = Vec::new();
                while ops[*p] != END {
                    out.push(value(ops, p, nums, strs, keys));
                }
                *p += 1;
                Value::Array(out)
            }
            op::OBJECT | op::SHAPED => {
                let mut out = serde_json::Map::new();
                // As the JavaScript does: a copy of the shape's template (its names, each `null`), whose
                // properties the pairs then set.
                if code == op::SHAPED {
                    let shape = ops[*p];
                    *p += 1;
                    if shape != END {
                        for &k in keys.shape(shape) {
                            out.insert(
                                keys.name(k).expect("a known field name").into(),
                                Value::Null,
                            );
                        }
                    }
                }
                loop {
                    let k = ops[*p];
                    *p += 1;
                    if k == END {
                        return Value::Object(out);
                    }
                    let key = if k & DYNAMIC_KEY != 0 {
                        strs[(k ^ DYNAMIC_KEY) as usize].clone()
                    } else {
                        keys.name(k).expect("a known field name").to_string()
                    };
                    out.insert(key, value(ops, p, nums, strs, keys));
                }
            }
            other => panic!("unknown op {other}"),
        }
    }
    let strs = tape.strings();
    let mut nums = tape.nums.iter();
    let mut p = 0;
    let v = value(&tape.ops, &mut p, &mut nums, &strs, keys);
    assert_eq!(p, tape.ops.len(), "the whole tape is one value");
    assert!(nums.next().is_none(), "every number is read");
    v
}

/// `v` with every number as a float, as JavaScript holds them (`serde_json` keeps integers apart).
#[cfg(test)]
pub(crate) fn as_js_numbers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(as_js_numbers).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, as_js_numbers(v))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::{as_js_numbers, decode, encode, Keys, Tape, END};
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Inner {
        model_name: String,
        latency_ms: f64,
        threads: u32,
        tags: Vec<&'static str>,
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(u8, bool),
        Struct { a: Option<i64> },
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Outer {
        inner: Vec<Inner>,
        by_name: BTreeMap<String, f64>,
        missing: Option<f64>,
        unit: (),
        pair: (f64, String),
        shapes: Vec<Shape>,
        yes: bool,
        bytes: serde_bytes_like::Bytes,
    }

    /// Bytes through `serialize_bytes`, without a crate for it.
    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    fn sample() -> Outer {
        Outer {
            inner: vec![
                Inner { model_name: "bert".into(), latency_ms: 1.5, threads: 2, tags: vec!["a"] },
                // Not ASCII: its end is counted in UTF-16 code units (é is one, 🚀 two).
                Inner {
                    model_name: "modèle 🚀".into(),
                    latency_ms: -0.0,
                    threads: 0,
                    tags: vec![],
                },
            ],
            by_name: [("x".to_string(), 1.0), ("ÿ key".to_string(), 2.5)].into_iter().collect(),
            missing: None,
            unit: (),
            pair: (3.25, "p".into()),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(1, false),
                Shape::Struct { a: Some(-(1 << 53) + 1) },
                Shape::Struct { a: None },
            ],
            yes: true,
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
        }
    }

    #[test]
    fn a_tape_reads_back_as_the_json_value_of_the_same_result() {
        let mut keys = Keys::default();
        let tape = encode(&sample(), &mut keys).unwrap();
        let json = as_js_numbers(serde_json::to_value(sample()).unwrap());
        assert_eq!(as_js_numbers(decode(&tape, &keys)), json);
        // Field names are kept once, however many objects use them.
        let (sent, unsent) = keys.unsent();
        assert_eq!(sent, 0);
        assert_eq!(unsent.iter().filter(|k| **k == "modelName").count(), 1);
        assert_eq!(tape.strings()[..3], ["bert", "a", "modèle 🚀"]);
    }

    #[test]
    fn names_cross_once_and_go_again_after_the_javascript_side_forgets_them() {
        let mut keys = Keys::default();
        encode(&sample(), &mut keys).unwrap();
        let all = keys.unsent().1.len();
        assert!(all > 10, "{all}");
        keys.mark_sent();
        let again = encode(&sample(), &mut keys).unwrap();
        assert_eq!(keys.unsent(), (all, &[][..]), "no new names the second time");
        let json = as_js_numbers(serde_json::to_value(sample()).unwrap());
        assert_eq!(as_js_numbers(decode(&again, &keys)), json);
        keys.forget_sent();
        assert_eq!(keys.unsent().0, 0);
        assert_eq!(keys.unsent().1.len(), all);
    }

    #[test]
    fn a_name_has_one_index_whatever_order_fields_come_in() {
        #[derive(Serialize)]
        struct Xy {
            x: u8,
            y: u8,
        }
        #[derive(Serialize)]
        struct Yx {
            y: u8,
            x: u8,
            z: u8,
        }
        let mut keys = Keys::default();
        let mut ids = std::collections::HashMap::new();
        let names: [&'static str; 3] = ["x", "y", "z"];
        for _ in 0..3 {
            for name in [0, 1, 2, 1, 0, 0].map(|i| names[i]) {
                let id = keys.id(name);
                assert_eq!(*ids.entry(name).or_insert(id), id, "{name}");
                assert_eq!(keys.name(id), Some(name));
            }
        }
        let value = (Xy { x: 1, y: 2 }, Yx { y: 3, x: 4, z: 5 }, Xy { x: 6, y: 7 });
        let tape = encode(&value, &mut keys).unwrap();
        let json = as_js_numbers(serde_json::to_value(&value).unwrap());
        assert_eq!(as_js_numbers(decode(&tape, &keys)), json);
    }

    /// A struct of `SHAPED_FIELDS` fields (`f0` to `f15`), and one of the same name and number of fields whose
    /// last name differs or is missing.
    mod wide {
        use serde::ser::{Serialize, SerializeStruct, Serializer};
        pub const NAMES: [&str; 17] = [
            "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13",
            "f14", "f15", "other",
        ];
        pub struct Wide(pub f64, pub Option<Box<Wide>>);
        impl Serialize for Wide {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct("Wide", super::super::SHAPED_FIELDS)?;
                for name in &NAMES[..15] {
                    st.serialize_field(name, &self.0)?;
                }
                st.serialize_field("f15", &self.1)?;
                st.end()
            }
        }
        /// Named `Wide` and said to have as many fields too: with `other` for `f15`, or (`short`) without it.
        pub struct Other(pub f64, pub bool);
        impl Serialize for Other {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct("Wide", super::super::SHAPED_FIELDS)?;
                for name in &NAMES[..15] {
                    st.serialize_field(name, &self.0)?;
                }
                if !self.1 {
                    st.serialize_field("other", &self.0)?;
                }
                st.end()
            }
        }
    }

    /// The shape slot of every [`super::op::SHAPED`] object of `tape`, in order.
    fn shape_slots(tape: &Tape) -> Vec<u32> {
        use super::op;
        fn walk(ops: &[u32], p: &mut usize, out: &mut Vec<u32>) {
            let code = ops[*p];
            *p += 1;
            match code {
                op::STRING => *p += 1,
                op::ARRAY => {
                    while ops[*p] != END {
                        walk(ops, p, out);
                    }
                    *p += 1;
                }
                op::OBJECT | op::SHAPED => {
                    if code == op::SHAPED {
                        out.push(ops[*p]);
                        *p += 1;
                    }
                    while ops[*p] != END {
                        *p += 1;
                        walk(ops, p, out);
                    }
                    *p += 1;
                }
                _ => {}
            }
        }
        let (mut p, mut out) = (0, Vec::new());
        walk(&tape.ops, &mut p, &mut out);
        assert_eq!(p, tape.ops.len());
        out
    }

    #[test]
    fn a_wide_structs_shape_crosses_once_and_every_object_of_it_is_made_from_its_template() {
        use super::SHAPED_FIELDS;
        use wide::{Other, Wide};
        let value = vec![Wide(1.0, Some(Box::new(Wide(2.0, None)))), Wide(3.0, None)];
        let mut keys = Keys::default();
        let tape = encode(&value, &mut keys).unwrap();
        let json = as_js_numbers(serde_json::to_value(&value).unwrap());
        assert_eq!(as_js_numbers(decode(&tape, &keys)), json);
        // One shape, its names in the struct's order, each object of it pointing at it.
        let (sent, shapes) = keys.unsent_shapes();
        assert_eq!(sent, 0);
        assert_eq!(shapes[0] as usize, SHAPED_FIELDS);
        assert_eq!(shapes.len(), 1 + SHAPED_FIELDS);
        let names: Vec<_> = shapes[1..].iter().map(|&k| keys.name(k).unwrap()).collect();
        assert_eq!(names, wide::NAMES[..16]);
        assert_eq!(shape_slots(&tape), [0, 0, 0]);
        keys.mark_sent();
        let again = encode(&value, &mut keys).unwrap();
        assert_eq!(keys.unsent_shapes(), (1, vec![]));
        assert_eq!(again.ops, tape.ops);
        // The same struct name and number of fields with another name, or a field fewer: no template (a copy
        // of it would hold a name the object has not).
        let others = (Other(4.0, false), Other(5.0, true), Wide(6.0, None));
        let tape = encode(&others, &mut keys).unwrap();
        let json = as_js_numbers(serde_json::to_value(&others).unwrap());
        assert_eq!(as_js_numbers(decode(&tape, &keys)), json);
        assert_eq!(shape_slots(&tape), [END, END, 0]);
        // A narrow struct is a plain object; a module loaded afresh gets every shape again.
        assert!(shape_slots(&encode(&sample(), &mut keys).unwrap()).is_empty());
        keys.forget_sent();
        assert_eq!(keys.unsent_shapes().0, 0);
        assert_eq!(keys.unsent_shapes().1.len(), 1 + SHAPED_FIELDS);
    }

    #[test]
    fn what_javascript_cannot_hold_is_an_error_not_a_wrong_value() {
        let mut keys = Keys::default();
        let big = encode(&(1u64 << 53), &mut keys).unwrap_err();
        assert!(big.to_string().contains("can't be represented as a JavaScript number"), "{big}");
        assert!(encode(&i64::MIN, &mut keys).is_err());
        assert_eq!(encode(&((1u64 << 53) - 1), &mut keys).unwrap().nums, [9007199254740991.0]);
        let map: BTreeMap<u32, f64> = [(1, 2.0)].into_iter().collect();
        let err = encode(&map, &mut keys).unwrap_err();
        assert!(err.to_string().contains("not a string"), "{err}");
    }

    #[test]
    fn arrays_and_objects_close_with_the_end_marker_and_nothing_else_does() {
        let mut keys = Keys::default();
        let tape: Tape = encode(&vec![vec![1.0f64], vec![]], &mut keys).unwrap();
        assert_eq!(tape.ops, [5, 5, 3, END, 5, END, END]);
        assert_eq!(tape.nums, [1.0]);
    }
}
