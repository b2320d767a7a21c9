//! The document's code page, handed to the serde impls of text fields.
//!
//! [`Cp`] wraps a serializer or deserializer (and every serializer state,
//! visitor, access and seed below it) together with the code page, so the code
//! page reaches a text field at any depth as a value. At a text field (the
//! private newtype-struct names of `fields::text_serde`) it decodes or encodes
//! with that code page; everything else is passed on unchanged, so the JSON is
//! byte for byte what serde_json writes and reads.
//!
//! Written here rather than taken from a crate: `serde_context` keeps its
//! context in a thread-local, `serde_state` is an unmaintained fork of serde,
//! and `context_deserialize` covers only reading, through a trait of its own
//! on every type. The pattern is serde_json's own for `RawValue`.
//!
//! Limitation: when *reading*, serde buffers the content of `#[serde(flatten)]`
//! fields and of untagged or internally tagged enums without the deserializer,
//! so a text field inside one would be read in CP850. No model read from JSON
//! has one (a test of `build` with code page 437 would see it).

use std::fmt::{self, Display};

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::ser::{
    self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct,
    SerializeStructVariant, SerializeTuple, SerializeTupleStruct, SerializeTupleVariant,
    Serializer,
};

use crate::codepage::CodePage;
use crate::fields::text_serde::{self, Shape};

/// `inner` (a value to serialize, a serializer or deserializer, or one of
/// their states, visitors, accesses or seeds) with the code page of the
/// document's text.
pub(super) struct Cp<T> {
    inner: T,
    cp: CodePage,
}

impl<T> Cp<T> {
    pub(super) fn new(inner: T, cp: CodePage) -> Self {
        Cp { inner, cp }
    }

    fn wrap<U>(&self, inner: U) -> Cp<U> {
        Cp { inner, cp: self.cp }
    }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// A value whose text fields serialize in the code page.
impl<T: ?Sized + Serialize> Serialize for Cp<&T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.inner.serialize(self.wrap(s))
    }
}

macro_rules! forward_ser {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.inner.$method($($arg),*)
        }
    )*};
}

impl<S: Serializer> Serializer for Cp<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Cp<S::SerializeSeq>;
    type SerializeTuple = Cp<S::SerializeTuple>;
    type SerializeTupleStruct = Cp<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Cp<S::SerializeTupleVariant>;
    type SerializeMap = Cp<S::SerializeMap>;
    type SerializeStruct = Cp<S::SerializeStruct>;
    type SerializeStructVariant = Cp<S::SerializeStructVariant>;

    forward_ser! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&Cp::new(v, self.cp))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        match Shape::of_name(name) {
            Some(shape) => v.serialize(TextBytes {
                inner: self.inner,
                cp: self.cp,
                shape,
            }),
            None => self
                .inner
                .serialize_newtype_struct(name, &Cp::new(v, self.cp)),
        }
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        let v = Cp::new(v, self.cp);
        self.inner
            .serialize_newtype_variant(name, index, variant, &v)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Ok(Cp::new(self.inner.serialize_seq(len)?, self.cp))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        Ok(Cp::new(self.inner.serialize_tuple(len)?, self.cp))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Ok(Cp::new(
            self.inner.serialize_tuple_struct(name, len)?,
            self.cp,
        ))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let state = self
            .inner
            .serialize_tuple_variant(name, index, variant, len)?;
        Ok(Cp::new(state, self.cp))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(Cp::new(self.inner.serialize_map(len)?, self.cp))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(Cp::new(self.inner.serialize_struct(name, len)?, self.cp))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let state = self
            .inner
            .serialize_struct_variant(name, index, variant, len)?;
        Ok(Cp::new(state, self.cp))
    }

    fn collect_str<T: ?Sized + Display>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(v)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// The serializer states: each element, field, key and value in the code page.
macro_rules! ser_state {
    ($($trait:ident { $($method:ident($($key:ident: $kty:ty)?);)* })*) => {$(
        impl<S: $trait> $trait for Cp<S> {
            type Ok = S::Ok;
            type Error = S::Error;
            $(
                fn $method<T: ?Sized + Serialize>(
                    &mut self,
                    $($key: $kty,)?
                    v: &T,
                ) -> Result<(), S::Error> {
                    self.inner.$method($($key,)? &Cp::new(v, self.cp))
                }
            )*
            fn end(self) -> Result<S::Ok, S::Error> {
                self.inner.end()
            }
        }
    )*};
}

ser_state! {
    SerializeSeq { serialize_element(); }
    SerializeTuple { serialize_element(); }
    SerializeTupleStruct { serialize_field(); }
    SerializeTupleVariant { serialize_field(); }
    SerializeMap { serialize_key(); serialize_value(); }
    SerializeStruct { serialize_field(key: &'static str); }
    SerializeStructVariant { serialize_field(key: &'static str); }
}

/// Takes a text field's raw bytes (its payload serializes as bytes for a
/// serializer that is not human-readable) and writes them in the code page.
struct TextBytes<S> {
    inner: S,
    cp: CodePage,
    shape: Shape,
}

/// What a text field's payload cannot be: it is only ever its bytes.
fn not_bytes<E: ser::Error>() -> E {
    E::custom("a text field's payload must be its bytes")
}

macro_rules! refuse_ser {
    ($($method:ident($($ty:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<$ret, S::Error> {
            Err(not_bytes())
        }
    )*};
}

impl<S: Serializer> Serializer for TextBytes<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_bytes(self, raw: &[u8]) -> Result<S::Ok, S::Error> {
        self.shape.write(raw, self.cp, self.inner)
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    refuse_ser! {
        serialize_bool(bool) -> S::Ok;
        serialize_i8(i8) -> S::Ok;
        serialize_i16(i16) -> S::Ok;
        serialize_i32(i32) -> S::Ok;
        serialize_i64(i64) -> S::Ok;
        serialize_u8(u8) -> S::Ok;
        serialize_u16(u16) -> S::Ok;
        serialize_u32(u32) -> S::Ok;
        serialize_u64(u64) -> S::Ok;
        serialize_f32(f32) -> S::Ok;
        serialize_f64(f64) -> S::Ok;
        serialize_char(char) -> S::Ok;
        serialize_str(&str) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(&'static str) -> S::Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> S::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_bytes())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_bytes())
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_bytes())
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

macro_rules! forward_de {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let visitor = self.wrap(visitor);
            self.inner.$method($($arg,)* visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Cp<D> {
    type Error = D::Error;

    forward_de! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if name == text_serde::READ {
            visitor.visit_seq(CodePageThen {
                cp: Some(self.cp),
                value: Some(self.inner),
            })
        } else {
            let visitor = self.wrap(visitor);
            self.inner.deserialize_newtype_struct(name, visitor)
        }
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// What a text field's visitor is given: the code page, then the value.
struct CodePageThen<D> {
    cp: Option<CodePage>,
    value: Option<D>,
}

impl<'de, D: Deserializer<'de>> SeqAccess<'de> for CodePageThen<D> {
    type Error = D::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, D::Error> {
        if let Some(cp) = self.cp.take() {
            let number: de::value::U16Deserializer<D::Error> = cp.number().into_deserializer();
            return seed.deserialize(number).map(Some);
        }
        self.value.take().map(|d| seed.deserialize(d)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.cp.is_some()) + usize::from(self.value.is_some()))
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Cp<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        let d = self.wrap(d);
        self.inner.visit_some(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        let d = self.wrap(d);
        self.inner.visit_newtype_struct(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let seq = self.wrap(seq);
        self.inner.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let map = self.wrap(map);
        self.inner.visit_map(map)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        let data = self.wrap(data);
        self.inner.visit_enum(data)
    }
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Cp<T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        let d = self.wrap(d);
        self.inner.deserialize(d)
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Cp<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let seed = self.wrap(seed);
        self.inner.next_element_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Cp<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let seed = self.wrap(seed);
        self.inner.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        let seed = self.wrap(seed);
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Cp<A> {
    type Error = A::Error;
    type Variant = Cp<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let seed = self.wrap(seed);
        let (value, variant) = self.inner.variant_seed(seed)?;
        Ok((value, Cp::new(variant, self.cp)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Cp<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        let seed = self.wrap(seed);
        self.inner.newtype_variant_seed(seed)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let visitor = self.wrap(visitor);
        self.inner.tuple_variant(len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let visitor = self.wrap(visitor);
        self.inner.struct_variant(fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};
    use serde_json::{json, Value};

    use super::*;
    use crate::fields::Text;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Name {
        name: Text<8>,
        #[serde(with = "crate::queue::cp_text")]
        line: Vec<u8>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Holder {
        Names(Option<Vec<Name>>),
        Pair {
            first: Option<Name>,
            short: BTreeMap<String, Text<4>>,
        },
        Tuple(Text<4>, u8),
    }

    /// 0x9B and 0xE0 are `¢` and `α` in code page 437, `Ы` and `р` in 866, `ø` and `Ó` in 850.
    fn holders() -> Vec<Holder> {
        let name = || Name {
            name: Text(*b"P\x9B\xE0L\0\0\0\0"),
            line: b"A \x9B\xE0".to_vec(),
        };
        vec![
            Holder::Names(Some(vec![name(), name()])),
            Holder::Pair {
                first: Some(name()),
                short: BTreeMap::from([("odd".to_string(), Text(*b"\xE0\0\x01\0"))]),
            },
            Holder::Tuple(Text(*b"\x9B\0\0\0"), 7),
        ]
    }

    /// The JSON of [`holders`] written by hand, `a` and `b` being how the
    /// code page decodes 0x9B and 0xE0.
    fn expected(a: &str, b: &str) -> Value {
        let name = json!({"name": format!("P{a}{b}L"), "line": format!("A {a}{b}")});
        json!([
            {"Names": [name, name]},
            {"Pair": {"first": name, "short": {"odd": {"text": b, "raw": "e0000100"}}}},
            {"Tuple": [a, 7]},
        ])
    }

    #[test]
    fn text_at_any_depth_is_written_and_read_in_the_adapters_code_page() {
        for (cp, a, b) in [
            (CodePage::Cp437, "\u{a2}", "\u{3b1}"),
            (CodePage::Cp866, "\u{42b}", "\u{440}"),
            (CodePage::Cp850, "\u{f8}", "\u{d3}"),
        ] {
            let json = serde_json::to_value(Cp::new(&holders(), cp)).unwrap();
            assert_eq!(json, expected(a, b), "code page {cp}");
            let back = Vec::<Holder>::deserialize(Cp::new(json.clone(), cp)).unwrap();
            assert_eq!(back, holders(), "code page {cp}");
            // The same text through the streaming serializer and deserializer.
            let text = serde_json::to_string(&Cp::new(&holders(), cp)).unwrap();
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), json);
            let mut de = serde_json::Deserializer::from_str(&text);
            assert_eq!(
                Vec::<Holder>::deserialize(Cp::new(&mut de, cp)).unwrap(),
                holders()
            );
        }
    }

    #[test]
    fn serde_json_on_its_own_uses_code_page_850() {
        let json = serde_json::to_value(holders()).unwrap();
        assert_eq!(json, expected("\u{f8}", "\u{d3}"));
        assert_eq!(
            serde_json::from_value::<Vec<Holder>>(json).unwrap(),
            holders()
        );
    }

    #[test]
    fn a_character_the_code_page_lacks_is_refused_at_any_depth() {
        let json = expected("\u{f8}", "\u{d3}");
        let err = Vec::<Holder>::deserialize(Cp::new(json, CodePage::Cp437)).unwrap_err();
        assert!(
            err.to_string().contains("does not exist in code page 437"),
            "{err}"
        );
    }
}
