//! Reading JSON strictly and within bounds, for `build`.
//!
//! - [`StrictValue`] builds a `serde_json::Value` but refuses a duplicate key
//!   (serde_json keeps the last value silently, jq and Python keep the last
//!   or the first: a document whose readers disagree is refused).
//! - [`Guarded`] wraps the input and stops reading, with an error, once the
//!   value being read has taken more bytes than its [`Budget`] allows. The
//!   builder gives each record, header and key its own budget before reading
//!   it, so no value (a 300 MB `text`, a 48 MB `info`) is ever held whole:
//!   it is refused as soon as it is too long, before serde_json has
//!   allocated for more than the budget.
//!
//! serde_json has no per-value length limit, and the crates that stream JSON
//! token by token would mean writing the model conversion twice, so the
//! limit is enforced here, on the bytes serde_json reads.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value read into a `serde_json::Value`, refusing duplicate keys
/// and more values (nodes) than the counter allows: a value's memory is then
/// bounded by its bytes (the [`Budget`]) and its node count, whatever its
/// shape (`[0,0,0,...]` takes 32 bytes of memory per 2 bytes of JSON).
pub struct StrictValue<'n>(pub &'n Cell<u64>);

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        let left = self.0.get();
        if left == 0 {
            return Err(D::Error::custom(TOO_MANY));
        }
        self.0.set(left - 1);
        d.deserialize_any(StrictVisitor(self.0))
    }
}

/// The message when a value holds more nodes than its counter allows.
pub const TOO_MANY: &str =
    "more JSON values (array elements, object members) than any value of a glbtool document holds";

struct StrictVisitor<'n>(&'n Cell<u64>);

impl<'de> Visitor<'de> for StrictVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        StrictValue(self.0).deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element_seed(StrictValue(self.0))? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            // Refused while reading the value, so that the error's path ends
            // with the key.
            let v = map.next_value_seed(Unless {
                duplicate: m.contains_key(&k).then_some(&*k),
                nodes: self.0,
            })?;
            m.insert(k, v);
        }
        Ok(Value::Object(m))
    }
}

/// A strict value, or the duplicate-key error when its key was seen before.
struct Unless<'k, 'n> {
    duplicate: Option<&'k str>,
    nodes: &'n Cell<u64>,
}

impl<'de> DeserializeSeed<'de> for Unless<'_, '_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.duplicate {
            Some(k) => Err(D::Error::custom(duplicate(k))),
            None => StrictValue(self.nodes).deserialize(d),
        }
    }
}

/// The message for a key that occurs twice in one object.
pub fn duplicate(key: &str) -> String {
    format!(
        "duplicate key `{key}`: JSON readers disagree on which of the two values counts, so glbtool refuses it"
    )
}

/// Reads one value strictly, of at most `nodes` values; on failure the
/// path inside it and the deserializer's error (kept whole, so that a caller
/// reading one line of a stream can restate where it happened).
pub fn read_value<'de, D: Deserializer<'de>>(
    d: D,
    nodes: &Cell<u64>,
) -> Result<Value, (String, D::Error)> {
    let mut track = serde_path_to_error::Track::new();
    StrictValue(nodes)
        .deserialize(serde_path_to_error::Deserializer::new(d, &mut track))
        .map_err(|e| (path_suffix(&track.path().to_string()), e))
}

/// `.a.b[2]` from serde_path_to_error's `a.b[2]` (empty for the value itself).
pub fn path_suffix(inner: &str) -> String {
    if inner.is_empty() || inner == "." {
        String::new()
    } else if inner.starts_with('[') {
        inner.to_string()
    } else {
        format!(".{inner}")
    }
}

/// How many more bytes the value being read may take.
#[derive(Debug, Default)]
pub struct Budget {
    pos: Cell<u64>,
    limit: Cell<u64>,
    tripped: Cell<bool>,
}

/// The marker of the error [`Guarded`] returns when a budget runs out.
pub const OVER_BUDGET: &str = "glbtool: JSON value longer than allowed";

impl Budget {
    /// A budget for the value about to be read: `bytes` from here (and a
    /// few bytes' slack for the parser looking one byte ahead).
    pub fn allow(&self, bytes: u64) {
        self.limit.set(self.pos.get().saturating_add(bytes + 16));
        self.tripped.set(false);
    }

    /// True when reading stopped because the budget ran out.
    pub fn tripped(&self) -> bool {
        self.tripped.get()
    }

    /// Bytes read so far.
    #[cfg(test)]
    pub fn position(&self) -> u64 {
        self.pos.get()
    }
}

/// A reader that stops at the [`Budget`]'s limit.
pub struct Guarded<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R> Guarded<R> {
    /// Wraps `inner`; the budget starts at `first` bytes.
    pub fn new(inner: R, first: u64) -> (Self, Rc<Budget>) {
        let budget = Rc::new(Budget::default());
        budget.allow(first);
        (
            Guarded {
                inner,
                budget: Rc::clone(&budget),
            },
            budget,
        )
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let b = &self.budget;
        let room = b.limit.get().saturating_sub(b.pos.get());
        if room == 0 && !buf.is_empty() {
            b.tripped.set(true);
            return Err(io::Error::other(OVER_BUDGET));
        }
        let take = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..take])?;
        b.pos.set(b.pos.get() + n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth_with_their_path() {
        let n = Cell::new(100);
        let ok = read_value(
            &mut serde_json::Deserializer::from_str(r#"{"a": {"b": [1, {"c": 2}]}}"#),
            &n,
        );
        assert_eq!(ok.unwrap()["a"]["b"][1]["c"], 2);
        let (path, msg) = read_value(
            &mut serde_json::Deserializer::from_str(r#"{"a": {"b": [1, {"c": 2, "c": 3}]}}"#),
            &n,
        )
        .unwrap_err();
        assert_eq!(path, ".a.b[1].c");
        assert!(msg.to_string().contains("duplicate key `c`"), "{msg}");
    }

    #[test]
    fn a_value_of_too_many_nodes_is_refused() {
        let zeros = format!("[{}0]", "0,".repeat(1000));
        let n = Cell::new(500);
        let (path, msg) =
            read_value(&mut serde_json::Deserializer::from_str(&zeros), &n).unwrap_err();
        assert!(msg.to_string().starts_with(TOO_MANY), "{msg}");
        assert_eq!(path, "[499]", "the array takes one of the 500");
        assert!(read_value(
            &mut serde_json::Deserializer::from_str(&zeros),
            &Cell::new(1002)
        )
        .is_ok());
    }

    #[test]
    fn the_guard_stops_a_long_value_early() {
        let long = format!("\"{}\"", "x".repeat(1 << 20));
        let (reader, budget) = Guarded::new(long.as_bytes(), 1000);
        let mut de = serde_json::Deserializer::from_reader(reader);
        let err = read_value(&mut de, &Cell::new(10)).unwrap_err();
        assert!(budget.tripped(), "{err:?}");
        assert!(budget.position() < 2000, "read {} bytes", budget.position());
    }
}
