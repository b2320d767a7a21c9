//! How the serde impls of text fields receive a code page.
//!
//! Serde gives an impl no parameter for a value of its caller's, so the code
//! page travels with the serializer or deserializer itself. A text field
//! ([`Text`](super::Text), a queue record's `text`) (de)serializes as a
//! newtype struct under one of the private names below, the way serde_json
//! passes its `RawValue`. The JSON module's adapter (`json::cp_serde`), which
//! holds the document's code page as a field and wraps every nested value,
//! recognises the name:
//! - writing, it takes the field's raw bytes (the payload serializes as bytes
//!   for a serializer that is not human-readable, which the adapter's is) and
//!   writes the string or object decoded in its code page ([`Shape::write`]);
//! - reading, it calls the field's visitor with a sequence of two elements:
//!   the code page number, then the value ([`TextField::read`] gets both).
//!
//! Any other serializer or deserializer (serde_json called directly, a
//! `Debug` view, ...) sees an ordinary newtype struct: a human-readable format
//! gets the same forms in CP850, MS Mail's default code page; a compact one
//! the raw bytes. A document's own code page only reaches the text through
//! `glb_formats::json`, whose functions take it as an argument.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer, Error as _, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

use crate::codepage::CodePage;

/// The name a fixed text field serializes under.
const FIXED: &str = "$glb::text::fixed";
/// The name free text (every byte is text) serializes under.
const FREE: &str = "$glb::text::free";
/// The name every text field deserializes under.
pub(crate) const READ: &str = "$glb::text";

/// What a text field's bytes are, which decides its JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A fixed-width field ended by a NUL and padded with NULs ([`super::Text`]):
    /// a string, or `{"text", "raw"}` when not in canonical shape.
    Fixed,
    /// Text that is all its bytes (a queue record's `text`): a string.
    Free,
}

impl Shape {
    /// The shape a newtype-struct name stands for, if it is one of a text field.
    pub(crate) fn of_name(name: &str) -> Option<Shape> {
        match name {
            FIXED => Some(Shape::Fixed),
            FREE => Some(Shape::Free),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Shape::Fixed => FIXED,
            Shape::Free => FREE,
        }
    }

    /// Writes `raw` in this shape's JSON form, its text decoded with `cp`.
    pub(crate) fn write<S: Serializer>(
        self,
        raw: &[u8],
        cp: CodePage,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match self {
            Shape::Fixed => super::write_fixed(raw, cp, s),
            Shape::Free => s.serialize_str(&cp.decode(raw)),
        }
    }
}

/// Serializes a text field's raw bytes (see the module documentation).
pub(crate) fn serialize<S: Serializer>(raw: &[u8], shape: Shape, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_newtype_struct(shape.name(), &Payload { raw, shape })
}

/// The inside of a text field's newtype struct.
struct Payload<'a> {
    raw: &'a [u8],
    shape: Shape,
}

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            self.shape.write(self.raw, CodePage::Cp850, s)
        } else {
            s.serialize_bytes(self.raw)
        }
    }
}

/// A text field's way back from JSON.
pub(crate) trait TextField: Sized {
    /// Reads the JSON form, its text in code page `cp`.
    fn read<'de, D: Deserializer<'de>>(d: D, cp: CodePage) -> Result<Self, D::Error>;

    /// Takes the raw bytes a compact (not human-readable) format holds.
    fn from_raw(raw: Vec<u8>) -> Result<Self, String>;
}

/// Deserializes a text field (see the module documentation).
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: TextField>(d: D) -> Result<T, D::Error> {
    d.deserialize_newtype_struct(READ, TextVisitor(PhantomData))
}

struct TextVisitor<T>(PhantomData<T>);

impl<'de, T: TextField> Visitor<'de> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a text field")
    }

    /// Any deserializer but the JSON module's adapter.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        if d.is_human_readable() {
            T::read(d, CodePage::Cp850)
        } else {
            let raw = d.deserialize_byte_buf(RawBytes)?;
            T::from_raw(raw).map_err(D::Error::custom)
        }
    }

    /// The JSON module's adapter: the code page, then the value.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let missing = || A::Error::custom("a text field's code page and value");
        let cp: CodePage = seq.next_element()?.ok_or_else(missing)?;
        seq.next_element_seed(In(cp, PhantomData))?
            .ok_or_else(missing)
    }
}

/// Reads a text field's value in a code page.
struct In<T>(CodePage, PhantomData<T>);

impl<'de, T: TextField> DeserializeSeed<'de> for In<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::read(d, self.0)
    }
}

struct RawBytes;

impl Visitor<'_> for RawBytes {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the bytes of a text field")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }
}
