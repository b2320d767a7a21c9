//! DOS code pages for the text stored in postoffice files.
//!
//! MS Mail keeps names in the postoffice's OEM code page (KB Q87432, Q156063
//! section 5.5): 850 for English and the Western European languages, 852 for
//! Czech, Hungarian and Polish, 866 for Russian, 737 for Greek, and the
//! double-byte 932 (Japanese), 936 and 950 (Chinese) and 949 (Korean) for the
//! Asian builds (`../shared/research/nme-usr-facts.md` section 1.3).
//!
//! glbtool reads and writes the single-byte ones, 850, 852, 866 and 737, and
//! also 437 (the original IBM PC set, offered although no article names it as
//! a postoffice code page). Their tables come from the `oem_cp` crate; each
//! defines all 256 byte values, so decoding and encoding are exact inverses and
//! text round-trips losslessly.
//!
//! The double-byte code pages are refused ([`refused`]): glbtool reads text
//! byte by byte, and the maintained crate for them (`encoding_rs`) does not
//! give an exact round trip (it decodes several byte pairs to one character
//! and replaces undecodable bytes with U+FFFD), so bytes would change.
//!
//! The code page travels as a value: in [`crate::format::ReadOptions`], in
//! the views and checks that decode names, and in the JSON module's functions,
//! whose serializer and deserializer carry it to the serde impls of text fields
//! (`fields::text_serde`); serde_json called directly on a text field uses 850.

use oem_cp::code_table::{
    DECODING_TABLE_CP437, DECODING_TABLE_CP737, DECODING_TABLE_CP850, DECODING_TABLE_CP852,
    DECODING_TABLE_CP866, ENCODING_TABLE_CP437, ENCODING_TABLE_CP737, ENCODING_TABLE_CP850,
    ENCODING_TABLE_CP852, ENCODING_TABLE_CP866,
};
use serde::{Deserialize, Serialize};

/// A DOS code page glbtool can read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Hash)]
#[serde(into = "u16", try_from = "u16")]
pub enum CodePage {
    /// Code page 850, Multilingual Latin 1: English and Western European
    /// postoffices (KB Q156063), MS Mail's default.
    #[default]
    Cp850,
    /// Code page 852, Latin 2: Czech, Hungarian and Polish postoffices (KB Q156063).
    Cp852,
    /// Code page 866, Cyrillic: Russian postoffices (KB Q156063).
    Cp866,
    /// Code page 737, Greek: Greek postoffices (KB Q156063).
    Cp737,
    /// Code page 437, the original IBM PC set: offered, although no article
    /// names it as a postoffice code page.
    Cp437,
}

/// The double-byte postoffice code pages of the Asian builds (KB Q156063):
/// 932 Japanese, 936 Simplified Chinese, 949 Korean, 950 Traditional Chinese.
pub const DOUBLE_BYTE: [u16; 4] = [932, 936, 949, 950];

/// Why a documented double-byte code page is refused.
pub fn refused(n: u16) -> String {
    format!(
        "code page {n} is a double-byte code page of MS Mail's Asian builds (KB Q156063); glbtool reads text one byte per character and keeps every byte, and no maintained crate decodes {n} with an exact byte-for-byte round trip (encoding_rs decodes several byte pairs to one character and replaces bytes it cannot decode), so glbtool does not read it: --format hex shows the bytes as they are (docs/formats/README.md, Code pages)"
    )
}

/// The code pages `--codepage` takes, for messages.
const NAMED: &str = "850, 852, 866, 737 or 437";

impl From<CodePage> for u16 {
    fn from(cp: CodePage) -> u16 {
        cp.number()
    }
}

impl TryFrom<u16> for CodePage {
    type Error = String;
    fn try_from(n: u16) -> Result<Self, String> {
        match n {
            850 => Ok(CodePage::Cp850),
            852 => Ok(CodePage::Cp852),
            866 => Ok(CodePage::Cp866),
            737 => Ok(CodePage::Cp737),
            437 => Ok(CodePage::Cp437),
            n if DOUBLE_BYTE.contains(&n) => Err(refused(n)),
            other => Err(format!(
                "code page {other} is not a postoffice code page glbtool reads (use {NAMED})"
            )),
        }
    }
}

impl std::str::FromStr for CodePage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let n: u16 = s
            .trim_start_matches("cp")
            .parse()
            .map_err(|_| format!("`{s}` is not a code page number (use {NAMED})"))?;
        CodePage::try_from(n)
    }
}

impl std::fmt::Display for CodePage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.number())
    }
}

impl CodePage {
    /// Every code page glbtool reads and writes.
    pub const ALL: &'static [CodePage] = &[
        CodePage::Cp850,
        CodePage::Cp852,
        CodePage::Cp866,
        CodePage::Cp737,
        CodePage::Cp437,
    ];

    /// The code page number.
    pub fn number(self) -> u16 {
        match self {
            CodePage::Cp850 => 850,
            CodePage::Cp852 => 852,
            CodePage::Cp866 => 866,
            CodePage::Cp737 => 737,
            CodePage::Cp437 => 437,
        }
    }

    /// True for the code pages KB Q156063 names for postoffices (all but 437).
    pub fn is_documented(self) -> bool {
        self != CodePage::Cp437
    }

    /// Decodes one byte.
    pub fn decode_byte(self, b: u8) -> char {
        if b < 0x80 {
            b as char
        } else {
            let table = match self {
                CodePage::Cp850 => &DECODING_TABLE_CP850,
                CodePage::Cp852 => &DECODING_TABLE_CP852,
                CodePage::Cp866 => &DECODING_TABLE_CP866,
                CodePage::Cp737 => &DECODING_TABLE_CP737,
                CodePage::Cp437 => &DECODING_TABLE_CP437,
            };
            table[(b - 0x80) as usize]
        }
    }

    /// Decodes bytes to a string. Never fails: every byte has a character.
    pub fn decode(self, bytes: &[u8]) -> String {
        if bytes.is_ascii() {
            // Fast path: ASCII is the same in every code page.
            return bytes.iter().map(|&b| b as char).collect();
        }
        bytes.iter().map(|&b| self.decode_byte(b)).collect()
    }

    /// Encodes one character, `None` when the code page has no such character.
    pub fn encode_char(self, c: char) -> Option<u8> {
        if (c as u32) < 0x80 {
            return Some(c as u8);
        }
        let table = match self {
            CodePage::Cp850 => &ENCODING_TABLE_CP850,
            CodePage::Cp852 => &ENCODING_TABLE_CP852,
            CodePage::Cp866 => &ENCODING_TABLE_CP866,
            CodePage::Cp737 => &ENCODING_TABLE_CP737,
            CodePage::Cp437 => &ENCODING_TABLE_CP437,
        };
        table.get(&c).copied()
    }

    /// Encodes a string, or names the first character the code page lacks.
    pub fn encode(self, s: &str) -> Result<Vec<u8>, char> {
        let mut out = Vec::with_capacity(s.len());
        for c in s.chars() {
            out.push(self.encode_char(c).ok_or(c)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_in_every_code_page() {
        for &cp in CodePage::ALL {
            let all: Vec<u8> = (0..=255u8).collect();
            let s = cp.decode(&all);
            assert_eq!(s.chars().count(), 256);
            assert_eq!(cp.encode(&s).unwrap(), all, "code page {cp}");
        }
    }

    #[test]
    fn accented_letters_differ_between_code_pages() {
        // 0x82 is e-acute in both; 0xD0 is eth in 850 but a box-drawing char in 437.
        assert_eq!(CodePage::Cp850.decode(&[0x82]), "é");
        assert_eq!(CodePage::Cp437.decode(&[0x82]), "é");
        assert_eq!(CodePage::Cp850.decode(&[0xD0]), "ð");
        assert_ne!(CodePage::Cp437.decode(&[0xD0]), "ð");
        assert_eq!(CodePage::Cp850.encode("€"), Err('€'));
    }

    #[test]
    fn the_documented_single_byte_code_pages_read_their_letters() {
        // KB Q156063: 852 Czech/Hungarian/Polish, 866 Russian, 737 Greek.
        assert_eq!("852".parse::<CodePage>().unwrap().decode(&[0xA5]), "ą");
        assert_eq!(
            "866".parse::<CodePage>().unwrap().decode(&[0x80, 0xAF]),
            "Ап"
        );
        assert_eq!("737".parse::<CodePage>().unwrap().decode(&[0x80]), "Α");
        assert_eq!(
            CodePage::Cp866.encode("Мир").unwrap(),
            vec![0x8C, 0xA8, 0xE0]
        );
        assert!(CodePage::ALL
            .iter()
            .all(|c| c.is_documented() || *c == CodePage::Cp437));
    }

    #[test]
    fn the_double_byte_code_pages_are_refused_saying_why() {
        for n in DOUBLE_BYTE {
            let e = CodePage::try_from(n).unwrap_err();
            assert!(e.contains("double-byte") && e.contains("KB Q156063"), "{e}");
            assert!(e.contains("round trip"), "{e}");
        }
        let e = "1252".parse::<CodePage>().unwrap_err();
        assert!(e.contains("850, 852, 866, 737 or 437"), "{e}");
    }

    #[test]
    fn all_lists_every_code_page_a_number_names() {
        let named: Vec<CodePage> = (0..=u16::MAX)
            .filter_map(|n| CodePage::try_from(n).ok())
            .collect();
        let mut all = CodePage::ALL.to_vec();
        all.sort_by_key(|c| c.number());
        assert_eq!(named, all);
    }
}
