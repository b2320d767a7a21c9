//! Hexids: the 32-bit numbers that name a postoffice's per-object files.
//!
//! Every local user, every externally defined postoffice and every gateway
//! queue gets a number from the `nmailbag` counter in CONTROL.GLB; written as
//! 8 hexadecimal digits it names that object's files (`<hexid>.MBG`, `.KEY`,
//! `.USR`, `.NME`, `.XTN`, ...) (KB Q99419, Q134228, Q77926, Q87388). Stored as
//! a number it is a little-endian `u32` (KB Q119563); stored as text it is 8
//! upper-case hex digits, NUL-terminated (KB Q148666). Spec:
//! `docs/formats/postoffice.md`.

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fields::{u32_or_text, Text};

/// A hexid: a mailbag / object number.
///
/// JSON form: the 8-digit upper-case hex string, e.g. `"0000002E"`; a plain
/// integer is accepted on input too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BinRead, BinWrite)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[brw(little)]
pub struct Hexid(pub u32);

impl Hexid {
    /// Parses exactly 8 hex digits (either case, as file names on a
    /// lower-case copy of a volume may be).
    pub fn parse(s: &str) -> Result<Hexid, String> {
        Hexid::from_digits(s.as_bytes()).ok_or_else(|| {
            format!("`{s}` is not a hexid: a hexid is exactly 8 hexadecimal digits, such as 0000002E (KB Q148666)")
        })
    }

    /// Parses exactly 8 hex digits given as bytes; `None` for anything else.
    pub fn from_digits(digits: &[u8]) -> Option<Hexid> {
        if digits.len() != 8 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        // Eight ASCII hex digits are valid UTF-8 and fit a u32.
        let s = std::str::from_utf8(digits).ok()?;
        u32::from_str_radix(s, 16).ok().map(Hexid)
    }

    /// The hexid stored in a text field (the bytes before its NUL), if they
    /// are exactly 8 hex digits.
    pub fn from_text<const N: usize>(t: &Text<N>) -> Option<Hexid> {
        Hexid::from_digits(t.bytes())
    }

    /// The hexid of a file name such as `0000002E.USR` or `xtn/0000000a.xtn`:
    /// its stem must be exactly 8 hex digits.
    pub fn from_file_name(name: &str) -> Option<Hexid> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
        Hexid::from_digits(stem.as_bytes())
    }

    /// The text form: 8 upper-case hex digits.
    pub fn digits(self) -> String {
        format!("{:08X}", self.0)
    }

    /// A text field holding the 8 digits and NUL padding (`N` must be at least 9).
    pub fn to_text<const N: usize>(self) -> Text<N> {
        let mut raw = [0u8; N];
        let digits = self.digits();
        let n = digits.len().min(N.saturating_sub(1));
        raw[..n].copy_from_slice(&digits.as_bytes()[..n]);
        Text(raw)
    }
}

impl std::fmt::Display for Hexid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:08X}", self.0)
    }
}

impl std::str::FromStr for Hexid {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Hexid::parse(s)
    }
}

impl Serialize for Hexid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.digits())
    }
}

impl<'de> Deserialize<'de> for Hexid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u32_or_text(
            d,
            "expected a hexid: 8 hex digits such as \"0000002E\", or a 32-bit integer",
            |s| Hexid::parse(s).map(|h| h.0),
        )
        .map(Hexid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_is_eight_upper_case_digits() {
        // The NETWORK.GLB dump in KB Q148666 shows "0000002E".
        assert_eq!(Hexid(0x2E).to_string(), "0000002E");
        assert_eq!(Hexid::parse("0000002E"), Ok(Hexid(0x2E)));
        assert_eq!(Hexid::parse("0000002e"), Ok(Hexid(0x2E)));
        assert_eq!(Hexid::parse("FFFFFFFF"), Ok(Hexid(u32::MAX)));
        for bad in ["2E", "000000002E", "0000002G", "+000002E", ""] {
            let err = Hexid::parse(bad).unwrap_err();
            assert!(err.contains("8 hexadecimal digits"), "{bad}: {err}");
        }
    }

    #[test]
    fn stored_number_is_little_endian() {
        // KB Q119563: DEBUG shows 00 01 02 03 for the hexid 03020100.
        let h = Hexid::read(&mut std::io::Cursor::new([0u8, 1, 2, 3])).unwrap();
        assert_eq!(h.to_string(), "03020100");
    }

    #[test]
    fn text_field_and_file_names() {
        let t: Text<9> = Hexid(0x2E).to_text();
        assert_eq!(&t.0, b"0000002E\0");
        assert_eq!(Hexid::from_text(&t), Some(Hexid(0x2E)));
        assert_eq!(Hexid::from_text(&Text::<9>::default()), None);
        assert_eq!(
            Hexid::from_file_name("po/USR/0000000A.USR"),
            Some(Hexid(10))
        );
        assert_eq!(Hexid::from_file_name("nme\\0000000a.nme"), Some(Hexid(10)));
        assert_eq!(Hexid::from_file_name("ADMIN.NME"), None);
        assert_eq!(Hexid::from_file_name("TMP00003.NME"), None);
    }

    #[test]
    fn json_is_the_digit_string() {
        assert_eq!(serde_json::to_string(&Hexid(0x2E)).unwrap(), "\"0000002E\"");
        assert_eq!(
            serde_json::from_str::<Hexid>("\"0000002E\"").unwrap(),
            Hexid(0x2E)
        );
        assert_eq!(serde_json::from_str::<Hexid>("46").unwrap(), Hexid(0x2E));
        assert!(serde_json::from_str::<Hexid>("\"2E\"").is_err());
    }
}
