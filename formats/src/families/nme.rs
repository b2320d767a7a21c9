//! NME files: the address lists of a postoffice. `NME\ADMIN.NME` is the
//! postoffice address list (POL) and `ADMINSHD.NME` its identical shadow,
//! `GAL.NME` the global address list, `<hexid>.NME` a user's personal address
//! list (PAL), `<gw>.NME` a gateway's name list. All share one 45-byte record
//! (KB Q77926, Q85647, Q86375). Spec: `docs/formats/nme.md`; the layout is
//! declared once, in [`NmeRecord`] (`glbtool layout nme` prints it).
//!
//! A GAL can hold more than 500,000 names (KB Q86375): read it with
//! [`Reader`](crate::format::Reader), which streams in constant memory.

use std::cmp::Ordering;

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Serialize};

use crate::fields::Text;
use crate::fixed;
use crate::hexid::Hexid;
use crate::netpo;

/// Bytes per record (KB Q77926, Q106510, Q112881, Q135932, Q86375).
pub const RECORD_LEN: usize = 45;
/// Offset of the friendly name: 39 bytes before the hexid (KB Q119563).
pub const NAME_OFFSET: usize = 2;
/// Offset of the hexid: the last 4 bytes of the record (KB Q119563).
pub const HEXID_OFFSET: usize = 41;
/// The documented distance from the start of the name to the hexid (KB Q119563: "add hex 27").
pub const NAME_TO_HEXID: usize = 0x27;

/// The alias type codes: 2 and 4 documented (KB Q107767), 0 from KB Q85647,
/// 1 glbtool's reading.
pub mod entry_type {
    /// A record whose type was corrupted to 0 (KB Q85647).
    pub const CORRUPT: u16 = 0;
    /// A local user of this postoffice: glbtool's reading, not documented
    /// (KB Q107767 names only 2 and 4; its records are linked to ACCESS2.GLB
    /// by their TID).
    pub const LOCAL_USER: u16 = 1;
    /// An external user; the pointer is its record's byte offset in NETPO.GLB (KB Q107767).
    pub const EXTERNAL_USER: u16 = 2;
    /// A postoffice group; the pointer is a byte offset into ADMIN.GRP and the
    /// TID names its `.MEM` file (KB Q107767).
    pub const GROUP: u16 = 4;
}

/// What an entry type code means; `None` for codes the documentation does not name.
pub fn entry_type_meaning(code: u64) -> Option<&'static str> {
    match u16::try_from(code).ok()? {
        entry_type::CORRUPT => Some("corrupt"),
        entry_type::LOCAL_USER => Some("local user"),
        entry_type::EXTERNAL_USER => Some("external user"),
        entry_type::GROUP => Some("group"),
        _ => None,
    }
}

fixed::fixed_struct! {
    /// One address-list entry.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, BinRead, BinWrite)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct NmeRecord in FIELDS {
        /// The alias type: see [`entry_type`]; unknown codes are kept.
        pub entry_type: u16 = (Flag, "alias type: 2 external user, 4 group, 0 corrupt, 1 local user (glbtool's reading); other values kept",
            Reconstructed("codes 2 and 4 documented (KB Q107767), 0 as the sign of corruption (KB Q85647); 1 for a local user is glbtool's reading, no article gives it. Place and width: the name starts at +2 (documented), which leaves two bytes before it, read as one little-endian number; whether byte +1 is a separate flag is unknown"),
            view = |t: &u16| fixed::code(*t, entry_type_meaning)),
        /// The friendly name (alias, full name), at most 30 characters.
        pub name: Text<31> = (Text, "friendly name, NUL-terminated, CP850",
            Start("KB Q119563: 41 - 39 = 2", "30 characters (KB Q104869) plus the NUL; bytes after the NUL are kept")),
        /// The address's TID (tuple identifier, KB Q87404); for a group also
        /// the name of its `MEM\<tid>.MEM` file; for a local user the link to
        /// its ACCESS2.GLB record (KB Q107767's diagram labels that link TID).
        #[serde(with = "crate::fields::hex_u32")]
        pub tid: u32 = (Number, "the address's TID; a group's MEM file name; a local user's link to ACCESS2.GLB",
            Reconstructed("a record holds a TID (KB Q107767, Q87404); bytes 33-40 hold the TID and the pointer in an order no article gives; glbtool puts the TID first")),
        /// Byte offset of the entry's data in another file: NETPO.GLB for an
        /// external user, ADMIN.GRP for a group (KB Q107767). What a local
        /// user's pointer holds is not documented.
        pub pointer: u32 = (Pointer, "byte offset into NETPO.GLB (type 2) or ADMIN.GRP (type 4)",
            Reconstructed("meaning documented for types 2 and 4 (KB Q107767); place: see `tid`")),
        /// The user's hexid.
        pub hexid: Hexid = (Number, "the user's hexid",
            Documented("KB Q119563: the last 4 bytes, least-significant byte first")),
    }
}

impl NmeRecord {
    /// True when the type code is 0, the documented sign of a corrupt record (KB Q85647).
    pub fn is_corrupt(&self) -> bool {
        self.entry_type == entry_type::CORRUPT
    }

    /// The meaning of the type code, `None` when undocumented.
    pub fn entry_type_meaning(&self) -> Option<&'static str> {
        entry_type_meaning(u64::from(self.entry_type))
    }

    /// The file the pointer points into, for the types whose pointer is
    /// documented (KB Q107767): NETPO.GLB for an external user, ADMIN.GRP for
    /// a group. A local user's record is linked to its ACCESS2.GLB record by
    /// its TID (KB Q107767's diagram), not by the pointer.
    pub fn pointer_target(&self) -> Option<&'static str> {
        match self.entry_type {
            entry_type::EXTERNAL_USER => Some("NETPO.GLB"),
            entry_type::GROUP => Some("ADMIN.GRP"),
            _ => None,
        }
    }

    /// For an external user: the index of the NETPO.GLB record the pointer
    /// designates, if it is the offset of a whole record.
    pub fn netpo_record(&self) -> Option<u64> {
        if self.entry_type == entry_type::EXTERNAL_USER {
            netpo::record_index(self.pointer)
        } else {
            None
        }
    }
}

/// Derived facts shown under `info` in JSON.
#[derive(Debug, Serialize)]
pub struct NmeInfo {
    /// The meaning of the entry type, `null` when undocumented.
    pub entry_type: Option<&'static str>,
    /// The file the pointer points into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer_into: Option<&'static str>,
    /// For an external user: the NETPO.GLB record index the pointer designates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netpo_record: Option<u64>,
}

fn info(r: &NmeRecord) -> NmeInfo {
    NmeInfo {
        entry_type: r.entry_type_meaning(),
        pointer_into: r.pointer_target(),
        netpo_record: r.netpo_record(),
    }
}

/// The NME record format.
#[derive(Debug, Clone, Copy)]
pub struct Nme;

fixed::fixed_format!(
    Nme,
    record: NmeRecord = FIELDS,
    info: NmeInfo = |r: &NmeRecord, _cp| Some(info(r)),
    derived: &[("entry_type", "entry_type"), ("pointer_into", "entry_type"), ("netpo_record", "pointer")],
    rule: "NME files are a whole number of 45-byte records (KB Q77926, Q135932)",
    spec: "docs/formats/nme.md",
);

/// glbtool's approximation of the GAL's name order, for checking that a GAL
/// is sorted (KB Q86375: sorted on the full name, duplicates allowed). The
/// real collation table, C850SORT.GLB, differs per language package and its
/// algorithm is not documented (KB Q134953), so this is a *reconstruction*:
/// the names are decoded with the postoffice's code page (850 by default) and
/// compared character by character after Unicode upper-casing, so `bryan`
/// and `Bryan` are equal and `é` equals `É`. It agrees with any case-blind
/// collation on plain ASCII names; accented letters sort after `Z` here,
/// where C850SORT.GLB may place them next to their base letter.
pub fn gal_order(a: &Text<31>, b: &Text<31>, cp: crate::codepage::CodePage) -> Ordering {
    folded(a, cp).cmp(folded(b, cp))
}

/// The sort key [`gal_order`] compares, computed once (for sorting many
/// names with `sort_by_cached_key`): `gal_key(a).cmp(&gal_key(b))` equals
/// `gal_order(a, b)`.
pub fn gal_key(name: &Text<31>, cp: crate::codepage::CodePage) -> Vec<char> {
    folded(name, cp).collect()
}

/// The characters of a name, decoded and upper-cased, without allocating.
fn folded(t: &Text<31>, cp: crate::codepage::CodePage) -> impl Iterator<Item = char> + '_ {
    t.bytes()
        .iter()
        .flat_map(move |&byte| cp.decode_byte(byte).to_uppercase())
}

/// The index of the first record that sorts before its predecessor under
/// [`gal_order`], `None` when the records are in order.
pub fn first_out_of_order<'a>(
    records: impl IntoIterator<Item = &'a NmeRecord>,
    cp: crate::codepage::CodePage,
) -> Option<u64> {
    let mut prev: Option<&NmeRecord> = None;
    for (i, r) in records.into_iter().enumerate() {
        if let Some(p) = prev {
            if gal_order(&p.name, &r.name, cp) == Ordering::Greater {
                return Some(i as u64);
            }
        }
        prev = Some(r);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepage::CodePage;
    use crate::fixed::testing;
    use crate::format::{Document, Format, ReadOptions, Reader};
    use crate::kind::FileKind;
    use proptest::prelude::*;

    fn record(entry_type: u16, name: &str, tid: u32, pointer: u32, hexid: u32) -> NmeRecord {
        NmeRecord {
            entry_type,
            name: Text::encode(name, CodePage::Cp850).unwrap(),
            tid,
            pointer,
            hexid: Hexid(hexid),
        }
    }

    fn bytes_of(records: &[NmeRecord]) -> Vec<u8> {
        let mut doc = Document::<Nme>::new(FileKind::Nme);
        doc.records = records.to_vec();
        doc.to_bytes().unwrap()
    }

    #[test]
    fn name_and_hexid_sit_where_the_documentation_says() {
        let b = bytes_of(&[record(1, "Andr\u{e9} Weil", 0x0101, 0x45, 0x0302_0100)]);
        assert_eq!(b.len(), 45, "KB Q77926: 45-byte records");
        // KB Q119563: the last 4 bytes hold the hexid, least-significant byte first ...
        assert_eq!(&b[41..45], &[0x00, 0x01, 0x02, 0x03]);
        // ... and they start hex 27 (39) bytes after the start of the full name.
        let name_at = b.windows(4).position(|w| w == b"Andr").unwrap();
        assert_eq!(name_at, NAME_OFFSET);
        assert_eq!(name_at + 0x27, b.len() - 4);
        // CP850: e-acute is 0x82.
        assert_eq!(&b[2..12], b"Andr\x82 Weil");
        assert_eq!(b[12], 0, "NUL-terminated");
        // KB Q107767 type code, in the 2 bytes before the name.
        assert_eq!(&b[0..2], &[1, 0]);
        // Reconstructed places of the TID and the pointer.
        assert_eq!(&b[33..37], &0x0101u32.to_le_bytes());
        assert_eq!(&b[37..41], &0x45u32.to_le_bytes());
    }

    #[test]
    fn a_thirty_character_name_fits_and_thirty_one_do_not() {
        // KB Q104869: at most 30 characters. LISTQ's "able is he who knows his limit" is 30.
        let t = Text::<31>::encode("able is he who knows his limit", CodePage::Cp850).unwrap();
        assert_eq!(t.bytes().len(), 30);
        assert!(Text::<31>::encode("able is he who knows his limits", CodePage::Cp850).is_err());
    }

    #[test]
    fn field_table_covers_the_record() {
        testing::table_covers::<Nme>(RECORD_LEN);
        assert_eq!(HEXID_OFFSET - NAME_OFFSET, NAME_TO_HEXID);
        assert_eq!(HEXID_OFFSET + 4, RECORD_LEN);
    }

    #[test]
    fn sizes_that_are_not_whole_records_name_45() {
        let one = bytes_of(&[record(1, "Bryan", 1, 0, 4)]);
        testing::wrong_sizes::<Nme>(FileKind::Nme, &one, RECORD_LEN);
        // An empty list is valid (a fresh gateway list is 0 bytes, KB Q102300).
        assert!(
            Document::<Nme>::from_bytes(&[], FileKind::Nme, ReadOptions::default())
                .unwrap()
                .records
                .is_empty()
        );
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = bytes_of(&[record(1, "Bryan", 1, 0, 4), record(1, "Mark", 2, 69, 5)]);
        let cut = &b[..45 + 35];
        let mut reader =
            Reader::<Nme, _>::new(cut, FileKind::Nme, None, ReadOptions::default()).unwrap();
        assert!(reader.next_record().unwrap().is_some());
        let err = reader.next_record().unwrap_err();
        let at = err.location().expect("a format error");
        assert_eq!((at.offset, at.record, at.field), (80, Some(1), "tid"));
        assert!(err.to_string().contains("45-byte"), "{err}");
    }

    #[test]
    fn corrupt_and_unknown_types_are_kept_and_flagged() {
        let records = [
            record(0, "Bad", 7, 0, 9),
            record(3, "Mac", 8, 0, 10),
            record(2, "Ext", 9, 47, 8),
        ];
        let doc = testing::bytes_round_trip::<Nme>(FileKind::Nme, &bytes_of(&records));
        assert_eq!(doc.records.len(), 3);
        assert!(doc.records[0].is_corrupt());
        assert_eq!(doc.records[0].entry_type_meaning(), Some("corrupt"));
        assert_eq!(doc.records[1].entry_type_meaning(), None);
        assert_eq!(doc.records[1].entry_type, 3);
        assert_eq!(doc.records[2].netpo_record(), Some(1));
        assert_eq!(
            Nme::info(&doc.records[2], crate::codepage::CodePage::Cp850)
                .unwrap()
                .pointer_into,
            Some("NETPO.GLB")
        );
    }

    #[test]
    fn gal_order_folds_case_of_the_decoded_names() {
        let sorted = [
            record(1, "able is he", 1, 0, 1),
            record(1, "Andr\u{e9} Weil", 1, 0, 1),
            record(1, "Bryan", 1, 0, 1),
            record(1, "bryan", 1, 0, 1),
        ];
        assert_eq!(
            first_out_of_order(&sorted, crate::codepage::CodePage::Cp850),
            None
        );
        let unsorted = [record(1, "Mark", 1, 0, 1), record(1, "Bryan", 1, 0, 1)];
        assert_eq!(
            first_out_of_order(&unsorted, crate::codepage::CodePage::Cp850),
            Some(1)
        );
        // CP850 0x82 is é and 0x90 is É: equal once upper-cased, though the
        // bytes differ (a byte comparison would put 0x90 after 0x82).
        let accented = [
            record(1, "Andr\u{c9} Weil", 1, 0, 1),
            record(1, "Andr\u{e9} Weil", 1, 0, 1),
            record(1, "Andr\u{c9} Weil", 1, 0, 1),
        ];
        assert_eq!(
            first_out_of_order(&accented, crate::codepage::CodePage::Cp850),
            None
        );
        assert_eq!(
            gal_order(
                &accented[0].name,
                &accented[1].name,
                crate::codepage::CodePage::Cp850
            ),
            Ordering::Equal
        );
        // The cached key orders exactly as the comparison does.
        let names = [&sorted[..], &unsorted[..], &accented[..]].concat();
        for a in &names {
            for b in &names {
                assert_eq!(
                    gal_key(&a.name, crate::codepage::CodePage::Cp850)
                        .cmp(&gal_key(&b.name, crate::codepage::CodePage::Cp850)),
                    gal_order(&a.name, &b.name, crate::codepage::CodePage::Cp850)
                );
            }
        }
    }

    #[test]
    fn a_large_gal_streams_in_constant_memory() {
        // KB Q86375: a GAL can hold more than 500,000 names. Feed 500,001
        // records from a generator so the file never exists in memory.
        struct Gal {
            left: u64,
            rec: [u8; RECORD_LEN],
            pos: usize,
        }
        impl std::io::Read for Gal {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let mut n = 0;
                while n < buf.len() && self.left > 0 {
                    let take = (RECORD_LEN - self.pos).min(buf.len() - n);
                    buf[n..n + take].copy_from_slice(&self.rec[self.pos..self.pos + take]);
                    n += take;
                    self.pos += take;
                    if self.pos == RECORD_LEN {
                        self.pos = 0;
                        self.left -= 1;
                    }
                }
                Ok(n)
            }
        }
        let count = 500_001u64;
        let rec: [u8; RECORD_LEN] = bytes_of(&[record(2, "Gauss", 1, 4, 8)]).try_into().unwrap();
        let src = Gal {
            left: count,
            rec,
            pos: 0,
        };
        let mut reader =
            Reader::<Nme, _>::new(src, FileKind::Nme, Some(count * 45), ReadOptions::default())
                .unwrap();
        let mut n = 0;
        while let Some(r) = reader.next_record().unwrap() {
            assert_eq!(r.raw.len(), RECORD_LEN);
            n += 1;
        }
        assert_eq!(n, count);
    }

    fn any_record() -> impl Strategy<Value = NmeRecord> {
        (
            any::<u16>(),
            any::<[u8; 31]>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(|(entry_type, name, tid, pointer, hexid)| NmeRecord {
                entry_type,
                name: Text(name),
                tid,
                pointer,
                hexid: Hexid(hexid),
            })
    }

    proptest! {
        #[test]
        fn any_records_round_trip(records in prop::collection::vec(any_record(), 0..8)) {
            testing::value_round_trip::<Nme>(FileKind::Nme, crate::format::NoHeader, records);
        }

        #[test]
        fn any_whole_records_of_bytes_round_trip(n in 0usize..6, seed in prop::collection::vec(any::<u8>(), 45 * 6)) {
            testing::bytes_round_trip::<Nme>(FileKind::Nme, &seed[..45 * n]);
        }
    }
}
