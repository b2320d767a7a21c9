//! USR files: `USR\<hexid>.USR`, the users and groups of one externally
//! defined postoffice (or gateway node), named by that postoffice's mailbag
//! hexid (KB Q77926, Q134228). Records are 53 bytes (KB Q77926, Q126592,
//! Q103291). Spec: `docs/formats/usr.md`. Only the size is documented; the
//! layout, declared once in [`UsrRecord`] (`glbtool layout usr` prints it),
//! is reconstructed.

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Serialize};

use crate::fields::{Reserved, Text};
use crate::fixed;

/// Bytes per record (KB Q77926, Q126592, Q103291).
pub const RECORD_LEN: usize = 53;

fixed::fixed_struct! {
    /// One user or group of an external postoffice.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, BinRead, BinWrite)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct UsrRecord in FIELDS {
        /// 01 active, 00 deleted; other values are kept.
        pub status: u8 = (Flag, "01 active, 00 deleted; other values kept",
            Reconstructed("NETWORK.GLB and XTN records start with this delete code (KB Q148666, Q86625), and deleted records are kept in place in the files Dir-Sync maintains (KB Q87465); USR files are written by the same programs"),
            view = fixed::status),
        /// The mailbox name on the external postoffice.
        pub mailbox: Text<11> = (Text, "mailbox name, NUL-terminated",
            Reconstructed("10 characters (KB Q123398) plus the NUL; mailbox before name because the Remote client's packed directory, generated from the USR files, lists each user as \"10 B of mailbox plus 30 B of name\" in that order (KB Q103291, Q117713)")),
        /// The friendly name.
        pub name: Text<31> = (Text, "friendly name, NUL-terminated, CP850",
            Reconstructed("30 characters (KB Q104869) plus the NUL, as in NME records")),
        /// The address's TID.
        #[serde(with = "crate::fields::hex_u32")]
        pub tid: u32 = (Number, "the address's TID",
            Reconstructed("every address has a TID (KB Q87404) and adding a USR entry to the POL copies it into ADMIN.NME and NETPO.GLB (KB Q101140, Q175694), which both carry TIDs")),
        /// Unknown bytes, kept verbatim.
        #[serde(default)]
        pub reserved: Reserved<6> = (Unknown, "unknown",
            Unknown("the remaining bytes; the facts file counts about 9-10 bytes unexplained after mailbox, name and flag")),
    }
}

impl UsrRecord {
    /// True when the status marks the record deleted (it stays in the file).
    pub fn is_deleted(&self) -> bool {
        self.status == fixed::DELETED
    }
}

/// Derived facts shown under `info` in JSON.
#[derive(Debug, Serialize)]
pub struct UsrInfo {
    /// The meaning of the status, `null` when unknown.
    pub status: Option<&'static str>,
}

fn info(r: &UsrRecord) -> UsrInfo {
    UsrInfo {
        status: fixed::status_meaning(u64::from(r.status)),
    }
}

/// The USR record format.
#[derive(Debug, Clone, Copy)]
pub struct Usr;

fixed::fixed_format!(
    Usr,
    record: UsrRecord = FIELDS,
    info: UsrInfo = |r: &UsrRecord, _cp| Some(info(r)),
    derived: &[("status", "status")],
    rule: "USR files are a whole number of 53-byte records (KB Q77926, Q126592)",
    spec: "docs/formats/usr.md",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepage::CodePage;
    use crate::fixed::testing;
    use crate::format::{Document, ReadOptions, Reader};
    use crate::kind::FileKind;
    use proptest::prelude::*;

    fn record(status: u8, mailbox: &str, name: &str) -> UsrRecord {
        UsrRecord {
            status,
            mailbox: Text::encode(mailbox, CodePage::Cp850).unwrap(),
            name: Text::encode(name, CodePage::Cp850).unwrap(),
            tid: 0x0102_0304,
            reserved: Reserved::default(),
        }
    }

    fn bytes_of(records: &[UsrRecord]) -> Vec<u8> {
        let mut doc = Document::<Usr>::new(FileKind::Usr);
        doc.records = records.to_vec();
        doc.to_bytes().unwrap()
    }

    #[test]
    fn records_are_53_bytes_with_the_chosen_layout() {
        let b = bytes_of(&[record(1, "PAUL", "Paul Montgomery")]);
        assert_eq!(b.len(), 53);
        assert_eq!(b[0], 1);
        assert_eq!(&b[1..6], b"PAUL\0");
        assert_eq!(&b[12..28], b"Paul Montgomery\0");
        assert_eq!(&b[43..47], &[4, 3, 2, 1]);
        assert_eq!(&b[47..], &[0; 6]);
    }

    #[test]
    fn field_table_covers_the_record() {
        testing::table_covers::<Usr>(RECORD_LEN);
    }

    #[test]
    fn sizes_that_are_not_whole_records_name_53() {
        testing::wrong_sizes::<Usr>(FileKind::Usr, &bytes_of(&[record(1, "A", "B")]), RECORD_LEN);
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = bytes_of(&[record(1, "A", "B")]);
        let mut r =
            Reader::<Usr, _>::new(&b[..45], FileKind::Usr, None, ReadOptions::default()).unwrap();
        let err = r.next_record().unwrap_err();
        let at = err.location().unwrap();
        assert_eq!((at.offset, at.record, at.field), (45, Some(0), "tid"));
    }

    #[test]
    fn deleted_records_and_unknown_bytes_are_kept() {
        let mut odd = record(0, "APPLE", "apple");
        odd.reserved.0[5] = 0xEE;
        let b = bytes_of(&[record(1, "ABLE", "able"), odd, record(7, "X", "x")]);
        let doc = testing::bytes_round_trip::<Usr>(FileKind::Usr, &b);
        assert!(doc.records[1].is_deleted());
        assert_eq!(doc.records[1].reserved.0[5], 0xEE);
        assert_eq!(info(&doc.records[1]).status, Some("deleted"));
        assert_eq!(info(&doc.records[2]).status, None);
    }

    fn any_record() -> impl Strategy<Value = UsrRecord> {
        (
            any::<u8>(),
            any::<[u8; 11]>(),
            any::<[u8; 31]>(),
            any::<u32>(),
            any::<[u8; 6]>(),
        )
            .prop_map(|(status, mailbox, name, tid, reserved)| UsrRecord {
                status,
                mailbox: Text(mailbox),
                name: Text(name),
                tid,
                reserved: Reserved(reserved),
            })
    }

    proptest! {
        #[test]
        fn any_records_round_trip(records in prop::collection::vec(any_record(), 0..8)) {
            testing::value_round_trip::<Usr>(FileKind::Usr, crate::format::NoHeader, records);
        }

        #[test]
        fn any_whole_records_of_bytes_round_trip(n in 0usize..6, seed in prop::collection::vec(any::<u8>(), 53 * 6)) {
            testing::bytes_round_trip::<Usr>(FileKind::Usr, &seed[..53 * n]);
        }
    }
}
