//! Field types shared by every format: fixed-width text, unknown bytes, time
//! stamps.
//!
//! Each type keeps the exact bytes read from disk, so writing a parsed value
//! gives back the identical bytes, and offers a JSON form that is readable when
//! the bytes are in their usual shape and exact when they are not.

use std::io::{Read, Seek, Write};

use binrw::{BinRead, BinResult, BinWrite, Endian};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codepage::CodePage;

#[path = "text_serde.rs"]
pub(crate) mod text_serde;

// ---------------------------------------------------------------------------
// Fixed-width, NUL-padded text
// ---------------------------------------------------------------------------

/// A fixed-width text field of `N` bytes: text in the file's code page, ended
/// by a NUL and padded with NULs.
///
/// The raw bytes are kept, so bytes after the terminating NUL (left over from a
/// longer earlier value, or garbage) survive a round trip. In JSON a field in
/// canonical shape (at most `N - 1` text bytes, no embedded NUL, zero padding)
/// is a plain string; any other shape is an object `{"text": ..., "raw": hex}`
/// whose `raw` holds all `N` bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Text<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Text([0; N])
    }
}

impl<const N: usize> Text<N> {
    /// The largest number of characters the field holds (one byte is kept for the NUL).
    pub const MAX_CHARS: usize = N - 1;

    /// The bytes before the first NUL.
    pub fn bytes(&self) -> &[u8] {
        before_nul(&self.0)
    }

    /// The text decoded with `cp`.
    pub fn decode(&self, cp: CodePage) -> String {
        cp.decode(self.bytes())
    }

    /// True when the field has no NUL at all (text fills every byte).
    pub fn unterminated(&self) -> bool {
        !self.0.contains(&0)
    }

    /// True when the field is in canonical shape (see the type documentation).
    pub fn is_canonical(&self) -> bool {
        canonical(&self.0)
    }

    /// Builds a canonical field from raw text bytes, or says why it does not fit.
    pub fn from_bytes(text: &[u8]) -> Result<Self, String> {
        if text.len() > Self::MAX_CHARS {
            return Err(format!(
                "text is {} bytes, the field holds at most {}",
                text.len(),
                Self::MAX_CHARS
            ));
        }
        if text.contains(&0) {
            return Err("text contains a NUL byte".into());
        }
        let mut raw = [0u8; N];
        raw[..text.len()].copy_from_slice(text);
        Ok(Text(raw))
    }

    /// Builds a canonical field from a string in code page `cp`.
    pub fn encode(s: &str, cp: CodePage) -> Result<Self, String> {
        let bytes = cp
            .encode(s)
            .map_err(|c| format!("character {c:?} does not exist in code page {cp}"))?;
        Self::from_bytes(&bytes)
    }
}

impl<const N: usize> std::fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_canonical() {
            write!(f, "{:?}", self.decode(CodePage::Cp850))
        } else {
            write!(f, "Text(raw {})", hex::encode(self.0))
        }
    }
}

impl<const N: usize> BinRead for Text<N> {
    type Args<'a> = ();
    fn read_options<R: Read + Seek>(r: &mut R, _: Endian, _: ()) -> BinResult<Self> {
        let mut raw = [0u8; N];
        r.read_exact(&mut raw)?;
        Ok(Text(raw))
    }
}

impl<const N: usize> BinWrite for Text<N> {
    type Args<'a> = ();
    fn write_options<W: Write + Seek>(&self, w: &mut W, _: Endian, _: ()) -> BinResult<()> {
        w.write_all(&self.0)?;
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextObject {
    #[serde(default)]
    text: Option<String>,
    raw: String,
}

/// The bytes of a fixed field before the first NUL.
fn before_nul(raw: &[u8]) -> &[u8] {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    &raw[..end]
}

/// True when a fixed field's bytes are in canonical shape: a NUL, then only NULs.
fn canonical(raw: &[u8]) -> bool {
    match raw.iter().position(|&b| b == 0) {
        Some(end) => raw[end..].iter().all(|&b| b == 0),
        None => false,
    }
}

/// The JSON form of a fixed field's bytes, its text decoded with `cp`
/// ([`text_serde::Shape::Fixed`]).
fn write_fixed<S: Serializer>(raw: &[u8], cp: CodePage, s: S) -> Result<S::Ok, S::Error> {
    let text = cp.decode(before_nul(raw));
    if canonical(raw) {
        s.serialize_str(&text)
    } else {
        TextObject {
            text: Some(text),
            raw: hex::encode(raw),
        }
        .serialize(s)
    }
}

/// JSON in the document's code page through `glb_formats::json`, in CP850
/// through serde_json called directly (see `machinery/text_serde.rs`).
impl<const N: usize> Serialize for Text<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        text_serde::serialize(&self.0, text_serde::Shape::Fixed, s)
    }
}

/// JSON in the document's code page through `glb_formats::json`, in CP850
/// through serde_json called directly (see `machinery/text_serde.rs`).
impl<'de, const N: usize> Deserialize<'de> for Text<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        text_serde::deserialize(d)
    }
}

impl<const N: usize> text_serde::TextField for Text<N> {
    fn read<'de, D: Deserializer<'de>>(d: D, cp: CodePage) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Plain(String),
            Object(TextObject),
        }
        match Either::deserialize(d).map_err(|_| {
            D::Error::custom(format!(
                "expected a string of at most {} characters, or an object {{\"raw\": \"<{} bytes as hex>\"}}",
                N - 1,
                N
            ))
        })? {
            Either::Plain(s) => Text::encode(&s, cp).map_err(D::Error::custom),
            Either::Object(o) => {
                let bytes = hex::decode(&o.raw)
                    .map_err(|e| D::Error::custom(format!("`raw` is not hex: {e}")))?;
                let t = Self::from_raw(bytes).map_err(D::Error::custom)?;
                if let Some(text) = o.text {
                    let decoded = t.decode(cp);
                    if text != decoded {
                        return Err(D::Error::custom(format!(
                            "`text` {text:?} disagrees with `raw` (which decodes to {decoded:?}); edit one of them, or drop `text`"
                        )));
                    }
                }
                Ok(t)
            }
        }
    }

    fn from_raw(bytes: Vec<u8>) -> Result<Self, String> {
        let raw: [u8; N] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("`raw` holds {} bytes, the field is {N}", b.len()))?;
        Ok(Text(raw))
    }
}

// ---------------------------------------------------------------------------
// Unknown bytes
// ---------------------------------------------------------------------------

/// `N` bytes whose meaning is unknown, kept verbatim.
///
/// JSON form: the bytes as lowercase hex with trailing zero bytes left out, so
/// an all-zero field is `""`. Reading pads the hex with zero bytes to `N`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Reserved<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for Reserved<N> {
    fn default() -> Self {
        Reserved([0; N])
    }
}

impl<const N: usize> Reserved<N> {
    /// True when every byte is zero.
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }
}

impl<const N: usize> std::fmt::Debug for Reserved<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reserved({})", trimmed_hex(&self.0))
    }
}

impl<const N: usize> BinRead for Reserved<N> {
    type Args<'a> = ();
    fn read_options<R: Read + Seek>(r: &mut R, _: Endian, _: ()) -> BinResult<Self> {
        let mut raw = [0u8; N];
        r.read_exact(&mut raw)?;
        Ok(Reserved(raw))
    }
}

impl<const N: usize> BinWrite for Reserved<N> {
    type Args<'a> = ();
    fn write_options<W: Write + Seek>(&self, w: &mut W, _: Endian, _: ()) -> BinResult<()> {
        w.write_all(&self.0)?;
        Ok(())
    }
}

/// Hex of `bytes` with trailing zero bytes left out.
pub fn trimmed_hex(bytes: &[u8]) -> String {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    hex::encode(&bytes[..end])
}

impl<const N: usize> Serialize for Reserved<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&trimmed_hex(&self.0))
    }
}

impl<'de, const N: usize> Deserialize<'de> for Reserved<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = hex::decode(&s).map_err(|e| {
            D::Error::custom(format!(
                "expected hex (trailing zero bytes may be left out): {e}"
            ))
        })?;
        if bytes.len() > N {
            return Err(D::Error::custom(format!(
                "holds {} bytes, the field is {N}",
                bytes.len()
            )));
        }
        let mut raw = [0u8; N];
        raw[..bytes.len()].copy_from_slice(&bytes);
        Ok(Reserved(raw))
    }
}

/// Serde helpers for a `Vec<u8>` of unknown bytes as full hex (nothing trimmed).
pub mod hex_bytes {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Serializes as lowercase hex.
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    /// Deserializes from hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(&s).map_err(|e| D::Error::custom(format!("expected hex: {e}")))
    }
}

// ---------------------------------------------------------------------------
// Time stamps
// ---------------------------------------------------------------------------

/// A 32-bit time stamp: seconds since 1970-01-01 00:00:00 UTC, the C `time_t`
/// that LISTQ and LISTDS print with `ctime()` (reconstructed encoding; see
/// `docs/formats/queue.md`).
///
/// JSON form: an RFC 3339 UTC string such as `"1994-04-07T12:13:52Z"`; every
/// 32-bit value maps to exactly one such string, so the form is lossless. An
/// integer is accepted on input too.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BinRead, BinWrite)]
#[brw(little)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Stamp(pub u32);

impl std::fmt::Debug for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stamp({} = {})", self.0, self.rfc3339())
    }
}

impl Stamp {
    /// The instant this stamp denotes.
    pub fn timestamp(self) -> jiff::Timestamp {
        // Every u32 second count is inside jiff's range, so this cannot fail.
        jiff::Timestamp::from_second(i64::from(self.0)).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// RFC 3339 in UTC, e.g. `1994-04-07T12:13:52Z`.
    pub fn rfc3339(self) -> String {
        self.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// Parses an RFC 3339 string (any offset) into a stamp, if it is inside
    /// the 32-bit range and can be stored exactly: a stamp holds whole
    /// seconds, and no leap second (`:60`), so both are refused rather than
    /// rounded.
    pub fn parse(s: &str) -> Result<Stamp, String> {
        if leap_second(s) {
            return Err(format!(
                "`{s}` is a leap second (:60), which a 32-bit time stamp cannot hold; use :59 or the next minute's :00"
            ));
        }
        let ts: jiff::Timestamp = s.parse().map_err(|e| {
            format!("`{s}` is not an RFC 3339 time such as 1994-04-07T12:13:52Z: {e}")
        })?;
        if ts.subsec_nanosecond() != 0 {
            return Err(format!(
                "`{s}` has a fraction of a second, which a time stamp cannot hold (it counts whole seconds)"
            ));
        }
        let secs = ts.as_second();
        u32::try_from(secs).map(Stamp).map_err(|_| {
            format!("`{s}` is outside 1970-01-01..2106-02-07, the range of a 32-bit time stamp")
        })
    }
}

/// True when the time of day in an RFC 3339 string has the second 60
/// (`...T23:59:60Z`), which parsers silently turn into :59.
fn leap_second(s: &str) -> bool {
    let b = s.as_bytes();
    // YYYY-MM-DDTHH:MM:SS: the seconds are at 17..19 after a ':' at 16.
    b.len() >= 19
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b[16] == b':'
        && &b[17..19] == b"60"
}

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u32_or_text(
            d,
            "expected an RFC 3339 UTC time such as \"1994-04-07T12:13:52Z\", or seconds since 1970 as a 32-bit integer",
            |s| Stamp::parse(s).map(|t| t.0),
        )
        .map(Stamp)
    }
}

/// Serde for a 32-bit number shown in hex in the text views (TIDs): 8
/// upper-case hex digits in JSON, such as `"0000012C"`; on input also an
/// integer, or 1 to 8 hex digits with or without `0x`.
pub mod hex_u32 {
    use serde::{Deserializer, Serializer};

    /// As 8 upper-case hex digits.
    pub fn serialize<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:08X}"))
    }

    /// From hex digits or an integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        super::u32_or_text(
            d,
            "expected 8 hex digits such as \"0000012C\", or a 32-bit integer",
            |s| super::parse_hex(s, 8).map(|v| v as u32),
        )
    }
}

/// Serde for a one-byte code shown in hex in the text views (NETWORK.GLB's
/// `network_type`, `0x64`): `"0x64"` in JSON; on input also an integer.
pub mod hex_u8 {
    use serde::{de::Error as _, Deserializer, Serializer};

    /// As `0x` and 2 upper-case hex digits.
    pub fn serialize<S: Serializer>(v: &u8, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{v:02X}"))
    }

    /// From `0x64`, `64` (hex digits) or an integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        let v = super::u32_or_text(
            d,
            "expected a one-byte code in hex such as \"0x64\", or an integer 0 to 255",
            |s| super::parse_hex(s, 2).map(|v| v as u32),
        )?;
        u8::try_from(v)
            .map_err(|_| D::Error::custom(format!("{v} does not fit in one byte (0 to 255)")))
    }
}

/// Parses 1 to `digits` hex digits, optionally after `0x`.
fn parse_hex(s: &str, digits: usize) -> Result<u64, String> {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if h.is_empty() || h.len() > digits || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`{s}` is not a hex number of at most {digits} digits"
        ));
    }
    u64::from_str_radix(h, 16).map_err(|e| format!("`{s}`: {e}"))
}

/// Deserializes a 32-bit value written either as an integer or as a string
/// that `parse` understands; `expecting` is the message for anything else.
pub fn u32_or_text<'de, D: Deserializer<'de>>(
    d: D,
    expecting: &str,
    parse: impl FnOnce(&str) -> Result<u32, String>,
) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        N(u32),
        S(String),
    }
    match Either::deserialize(d).map_err(|_| D::Error::custom(expecting))? {
        Either::N(n) => Ok(n),
        Either::S(s) => parse(&s).map_err(D::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_is_a_plain_json_string() {
        let t = Text::<11>::encode("MONTGOMERY", CodePage::Cp850).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"MONTGOMERY\"");
        let back: Text<11> = serde_json::from_str("\"MONTGOMERY\"").unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn garbage_after_nul_survives_json() {
        let mut raw = [0u8; 6];
        raw[..3].copy_from_slice(b"ABC");
        raw[4] = 0x7f;
        let t = Text(raw);
        assert!(!t.is_canonical());
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("\"raw\""), "{json}");
        let back: Text<6> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, raw);
    }

    #[test]
    fn text_too_long_is_refused_with_the_limit() {
        let err = Text::<11>::encode("ABCDEFGHIJK", CodePage::Cp850).unwrap_err();
        assert!(err.contains("at most 10"), "{err}");
    }

    #[test]
    fn reserved_trims_trailing_zeros_and_pads_back() {
        let r = Reserved::<5>([1, 0, 2, 0, 0]);
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"010002\"");
        let back: Reserved<5> = serde_json::from_str("\"010002\"").unwrap();
        assert_eq!(back, r);
        assert!(serde_json::from_str::<Reserved<2>>("\"010203\"").is_err());
    }

    #[test]
    fn stamp_json_is_exact_for_extremes() {
        for v in [0u32, 1, 765_720_832, u32::MAX] {
            let s = Stamp(v);
            let json = serde_json::to_string(&s).unwrap();
            let back: Stamp = serde_json::from_str(&json).unwrap();
            assert_eq!(back, s, "{json}");
        }
        assert_eq!(Stamp(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert!(Stamp::parse("1960-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn stamps_that_cannot_be_stored_exactly_are_refused() {
        // jiff would read :60 as :59 and drop the fraction: both are refused.
        let leap = Stamp::parse("1994-06-30T23:59:60Z").unwrap_err();
        assert!(leap.contains("leap second"), "{leap}");
        let frac = Stamp::parse("1994-04-07T12:13:52.5Z").unwrap_err();
        assert!(frac.contains("fraction"), "{frac}");
        assert!(Stamp::parse("1994-04-07T12:13:52.000Z").is_ok());
        assert_eq!(
            Stamp::parse("1994-04-07T14:13:52+02:00").unwrap(),
            Stamp::parse("1994-04-07T12:13:52Z").unwrap()
        );
        let json: Result<Stamp, _> = serde_json::from_str("4294967296");
        assert!(json.is_err(), "out of the 32-bit range");
        let json: Result<Stamp, _> = serde_json::from_str("1.5");
        assert!(json.is_err(), "not a whole number of seconds");
    }

    #[test]
    fn hex_numbers_read_both_forms() {
        #[derive(Deserialize, Serialize, Debug, PartialEq)]
        struct T {
            #[serde(with = "hex_u32")]
            tid: u32,
            #[serde(with = "hex_u8")]
            code: u8,
        }
        let t = T {
            tid: 300,
            code: 0x64,
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"tid":"0000012C","code":"0x64"}"#
        );
        for json in [
            r#"{"tid":"0000012C","code":"0x64"}"#,
            r#"{"tid":300,"code":100}"#,
            r#"{"tid":"12c","code":"64"}"#,
            r#"{"tid":"0x12C","code":"0x64"}"#,
        ] {
            assert_eq!(serde_json::from_str::<T>(json).unwrap(), t, "{json}");
        }
        for bad in [
            r#"{"tid":"00000012C","code":1}"#,
            r#"{"tid":"xyz","code":1}"#,
            r#"{"tid":-1,"code":1}"#,
            r#"{"tid":1,"code":256}"#,
            r#"{"tid":1,"code":"0x100"}"#,
        ] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
    }
}
