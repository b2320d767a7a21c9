//! XTN files: `XTN\<hexid>.XTN`, the postoffices of one network listed in
//! NETWORK.GLB (or the nodes of a SNADS, PROFS or OV gateway), one 698-byte
//! record each (KB Q77926, Q87467, Q86625, Q148666). A record's mailbag hexid
//! names the postoffice's `USR\<hexid>.USR`. Spec: `docs/formats/xtn.md`; the
//! layout is declared once, in [`XtnRecord`] (`glbtool layout xtn` prints it).

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Serialize};

use crate::fields::{Reserved, Text};
use crate::fixed;
use crate::hexid::Hexid;

/// Bytes per record (0x2BA; KB Q77926, Q128243).
pub const RECORD_LEN: usize = 698;
/// Offset of the indirect PO counter (KB Q86625: DEBUG addresses 0x389/0x38A).
pub const INDIRECT_COUNTER_OFFSET: usize = 0x289;

fixed::fixed_struct! {
    /// One postoffice (or gateway node) of a network.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, BinRead, BinWrite)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct XtnRecord in FIELDS {
        /// 01 active, 00 deleted; other values are kept.
        pub status: u8 = (Flag, "01 active, 00 deleted; other values kept",
            Documented("KB Q86625"),
            view = fixed::status),
        /// The postoffice name.
        pub postoffice: Text<11> = (Text, "postoffice name, NUL-terminated",
            Start("KB Q86625", "the mailbag starts at +12, and 10 characters + NUL fits the limit (KB Q123398)")),
        /// The postoffice's mailbag hexid, as text: names its `.USR`, `.MBG`, `.KEY`.
        pub mailbag_hexid: Text<9> = (Text, "8 hex digits + NUL",
            Start("KB Q148666", "8 hex digits + NUL")),
        /// Unknown bytes (routing, sign-on, connection and statistics data, per
        /// KB Q77926), kept verbatim.
        #[serde(default)]
        pub reserved: Reserved<628> = (Unknown, "unknown",
            Unknown("routing, sign-on and statistics data per KB Q77926; offsets unknown")),
        /// The 2-byte indirect PO counter (KB Q86625).
        pub indirect_counter: u16 = (Number, "the \"indirect PO counter\"",
            Documented("KB Q86625; little-endian per KB Q119563")),
        /// Unknown bytes, kept verbatim.
        #[serde(default)]
        pub reserved_tail: Reserved<47> = (Unknown, "unknown", Unknown("")),
    }
}

impl XtnRecord {
    /// True when the status marks the record deleted (it stays in the file).
    pub fn is_deleted(&self) -> bool {
        self.status == fixed::DELETED
    }

    /// The mailbag hexid, when the field holds 8 hex digits.
    pub fn mailbag(&self) -> Option<Hexid> {
        Hexid::from_text(&self.mailbag_hexid)
    }
}

/// Derived facts shown under `info` in JSON.
#[derive(Debug, Serialize)]
pub struct XtnInfo {
    /// The meaning of the status, `null` when unknown.
    pub status: Option<&'static str>,
    /// The user list of this postoffice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usr_file: Option<String>,
}

fn info(r: &XtnRecord) -> XtnInfo {
    XtnInfo {
        status: fixed::status_meaning(u64::from(r.status)),
        usr_file: r.mailbag().map(|h| format!("USR/{h}.USR")),
    }
}

/// The XTN record format.
#[derive(Debug, Clone, Copy)]
pub struct Xtn;

fixed::fixed_format!(
    Xtn,
    record: XtnRecord = FIELDS,
    info: XtnInfo = |r: &XtnRecord, _cp| Some(info(r)),
    derived: &[("status", "status"), ("usr_file", "mailbag_hexid")],
    rule: "XTN files are a whole number of 698-byte records (KB Q77926, Q128243)",
    spec: "docs/formats/xtn.md",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepage::CodePage;
    use crate::fixed::testing;
    use crate::format::{Document, ReadOptions, Reader};
    use crate::kind::FileKind;
    use proptest::prelude::*;

    fn record(status: u8, po: &str, mailbag: u32, counter: u16) -> XtnRecord {
        XtnRecord {
            status,
            postoffice: Text::encode(po, CodePage::Cp850).unwrap(),
            mailbag_hexid: Hexid(mailbag).to_text(),
            indirect_counter: counter,
            ..XtnRecord::default()
        }
    }

    fn bytes_of(records: &[XtnRecord]) -> Vec<u8> {
        let mut doc = Document::<Xtn>::new(FileKind::Xtn);
        doc.records = records.to_vec();
        doc.to_bytes().unwrap()
    }

    #[test]
    fn documented_offsets_hold_the_documented_fields() {
        let b = bytes_of(&[record(1, "TAYLOR", 8, 0x0102), record(0, "EULER", 10, 0)]);
        assert_eq!(b.len(), 2 * 698);
        // KB Q86625: delete code at 0, postoffice name from 1, counter at 0x289.
        assert_eq!(b[0], 0x01);
        assert_eq!(&b[1..8], b"TAYLOR\0");
        assert_eq!(&b[0x289..0x28B], &[0x02, 0x01]);
        // KB Q148666: "-d10C" shows the mailbag hexid as the first eight characters.
        assert_eq!(&b[0x10C - 0x100..0x10C - 0x100 + 8], b"00000008");
        assert_eq!(b[698], 0x00, "second record deleted");
        assert_eq!(&b[698 + 12..698 + 20], b"0000000A");
    }

    #[test]
    fn field_table_covers_the_record() {
        testing::table_covers::<Xtn>(RECORD_LEN);
        assert_eq!(INDIRECT_COUNTER_OFFSET, 649);
        let counter = FIELDS.iter().find(|f| f.name == "indirect_counter");
        assert_eq!(counter.map(|f| f.start), Some(INDIRECT_COUNTER_OFFSET));
    }

    #[test]
    fn sizes_that_are_not_whole_records_name_698() {
        testing::wrong_sizes::<Xtn>(
            FileKind::Xtn,
            &bytes_of(&[record(1, "P", 1, 0)]),
            RECORD_LEN,
        );
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = bytes_of(&[record(1, "P", 1, 0)]);
        let mut r =
            Reader::<Xtn, _>::new(&b[..650], FileKind::Xtn, None, ReadOptions::default()).unwrap();
        let err = r.next_record().unwrap_err();
        let at = err.location().unwrap();
        assert_eq!(
            (at.offset, at.record, at.field),
            (650, Some(0), "indirect_counter")
        );
    }

    #[test]
    fn deleted_records_and_unknown_bytes_are_kept() {
        let mut odd = record(0, "EULER", 10, 3);
        odd.reserved.0[0] = 0x11;
        odd.reserved_tail.0[46] = 0x22;
        let doc = testing::bytes_round_trip::<Xtn>(
            FileKind::Xtn,
            &bytes_of(&[record(1, "TAYLOR", 8, 0), odd]),
        );
        assert!(doc.records[1].is_deleted());
        assert_eq!(doc.records[1].mailbag(), Some(Hexid(10)));
        assert_eq!(doc.records[1].reserved_tail.0[46], 0x22);
        assert_eq!(
            info(&doc.records[0]).usr_file.as_deref(),
            Some("USR/00000008.USR")
        );
    }

    fn any_record() -> impl Strategy<Value = XtnRecord> {
        (
            any::<u8>(),
            any::<[u8; 11]>(),
            any::<[u8; 9]>(),
            prop::collection::vec(any::<u8>(), 628),
            any::<u16>(),
            prop::collection::vec(any::<u8>(), 47),
        )
            .prop_map(|(status, po, mbg, reserved, counter, tail)| XtnRecord {
                status,
                postoffice: Text(po),
                mailbag_hexid: Text(mbg),
                reserved: Reserved(reserved.try_into().unwrap()),
                indirect_counter: counter,
                reserved_tail: Reserved(tail.try_into().unwrap()),
            })
    }

    proptest! {
        #[test]
        fn any_records_round_trip(records in prop::collection::vec(any_record(), 0..4)) {
            testing::value_round_trip::<Xtn>(FileKind::Xtn, crate::format::NoHeader, records);
        }

        #[test]
        fn any_whole_records_of_bytes_round_trip(n in 0usize..3, seed in prop::collection::vec(any::<u8>(), 698 * 3)) {
            testing::bytes_round_trip::<Xtn>(FileKind::Xtn, &seed[..698 * n]);
        }
    }
}
