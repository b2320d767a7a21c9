//! DOS code pages for the text stored in postoffice files.
//!
//! MS Mail keeps names in the postoffice's OEM code page, code page 850 for the
//! English and Western European builds (`../shared/research/nme-usr-facts.md`
//! section 1.3, KB Q87432, Q156063). Code page 437 is selectable. The tables
//! come from the `oem_cp` crate; both code pages define all 256 byte values, so
//! decoding and encoding are exact inverses and text round-trips losslessly.
//!
//! JSON serialization of text fields needs to know the code page. Rather than
//! thread a parameter through every serde impl, the active code page is held in
//! a scoped thread-local set with [`scope`]; the default is 850.

use std::cell::Cell;

use oem_cp::code_table::{
    DECODING_TABLE_CP437, DECODING_TABLE_CP850, ENCODING_TABLE_CP437, ENCODING_TABLE_CP850,
};
use serde::{Deserialize, Serialize};

/// A DOS code page glbtool can read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Hash)]
#[serde(into = "u16", try_from = "u16")]
pub enum CodePage {
    /// Code page 850, Multilingual Latin 1: MS Mail's default.
    #[default]
    Cp850,
    /// Code page 437, the original IBM PC set.
    Cp437,
}

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
            437 => Ok(CodePage::Cp437),
            other => Err(format!(
                "code page {other} is not supported (use 850 or 437)"
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
            .map_err(|_| format!("`{s}` is not a code page number (use 850 or 437)"))?;
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
    pub const ALL: &'static [CodePage] = &[CodePage::Cp850, CodePage::Cp437];

    /// The code page number.
    pub fn number(self) -> u16 {
        match self {
            CodePage::Cp850 => 850,
            CodePage::Cp437 => 437,
        }
    }

    /// Decodes one byte.
    pub fn decode_byte(self, b: u8) -> char {
        if b < 0x80 {
            b as char
        } else {
            let table = match self {
                CodePage::Cp850 => &DECODING_TABLE_CP850,
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

thread_local! {
    static ACTIVE: Cell<CodePage> = const { Cell::new(CodePage::Cp850) };
}

/// The code page active on this thread (850 unless inside [`scope`]).
pub fn active() -> CodePage {
    ACTIVE.with(|a| a.get())
}

/// Runs `f` with `cp` as the active code page for JSON text conversion.
pub fn scope<T>(cp: CodePage, f: impl FnOnce() -> T) -> T {
    struct Restore(CodePage);
    impl Drop for Restore {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
        }
    }
    let _restore = Restore(ACTIVE.with(|a| a.replace(cp)));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_in_both_code_pages() {
        for cp in [CodePage::Cp850, CodePage::Cp437] {
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
    fn all_lists_every_code_page_a_number_names() {
        let named: Vec<CodePage> = (0..=u16::MAX)
            .filter_map(|n| CodePage::try_from(n).ok())
            .collect();
        let mut all = CodePage::ALL.to_vec();
        all.sort_by_key(|c| c.number());
        assert_eq!(named, all);
    }

    #[test]
    fn scope_restores_previous_code_page() {
        assert_eq!(active(), CodePage::Cp850);
        scope(CodePage::Cp437, || assert_eq!(active(), CodePage::Cp437));
        assert_eq!(active(), CodePage::Cp850);
    }
}
