//! NETWORK.GLB: the external networks and gateways a postoffice knows, one
//! 122-byte record each, not encrypted (KB Q77926, Q86625, Q87467). A
//! network's postoffices are listed in its `XTN\<xtn_hexid>.XTN`. Spec:
//! `docs/formats/network.md`; the layout is declared once, in
//! [`NetworkRecord`] (`glbtool layout network` prints it).

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Serialize};

use crate::fields::{Reserved, Text};
use crate::fixed;
use crate::hexid::Hexid;

/// Bytes per record (KB Q77926, Q86625).
pub const RECORD_LEN: usize = 122;

/// The documented network type codes (KB Q148666, Q103820). The code an
/// ordinary PC Mail network carries is not documented.
pub mod network_type {
    /// The MSMAIL (Mail Connection) record: its mailbag names the KEY and MBG
    /// of the native-format outgoing queue, its XTN field is empty (KB Q148666
    /// steps 5 and 6).
    pub const MSMAIL_CONNECTION: u8 = 0x10;
    /// An FFAPI gateway (PROXYNET) record ("service type equal to 100",
    /// KB Q103820): its XTN field names an XTN file whose records' mailbag
    /// hexids name the gateway's KEY, MBG, USR, TPL and INF files (KB Q148666
    /// steps 7 and 8).
    pub const FFAPI: u8 = 0x64;
}

/// What a network type code means; `None` for the undocumented codes.
pub fn network_type_meaning(code: u64) -> Option<&'static str> {
    match u8::try_from(code).ok()? {
        network_type::MSMAIL_CONNECTION => Some("MSMAIL connection"),
        network_type::FFAPI => Some("FFAPI gateway"),
        _ => None,
    }
}

fixed::fixed_struct! {
    /// One network or gateway.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, BinRead, BinWrite)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct NetworkRecord in FIELDS {
        /// 01 active, 00 deleted; other values are kept.
        pub status: u8 = (Flag, "01 active, 00 deleted; other values kept",
            Documented("KB Q148666"),
            view = fixed::status),
        /// The record type: see [`network_type`]; unknown codes are kept.
        #[serde(with = "crate::fields::hex_u8")]
        pub network_type: u8 = (Flag, "0x10 MSMAIL connection record (a mailbag, no XTN), 0x64 FFAPI gateway record (an XTN); other codes kept as stored",
            Documented("KB Q148666; the codes 0x10 and 0x64 KB Q148666, Q103820; the codes of other network kinds, an ordinary PC Mail network's among them, are unknown"),
            view = |t: &u8| fixed::code(*t, network_type_meaning)),
        /// The network (or gateway) name.
        pub name: Text<11> = (Text, "network name, NUL-terminated",
            Start("KB Q148666", "the next field starts at +13, and 10 characters + NUL fits the 10-character limit (KB Q123398)")),
        /// The hexid naming `XTN\<hexid>.XTN`, as text; empty in the MSMAIL
        /// connection record (KB Q148666).
        pub xtn_hexid: Text<20> = (Text, "the XTN file's hexid, 8 digits + NUL; empty in the MSMAIL connection record",
            Start("KB Q148666", "the gap to the next documented field")),
        /// The hexid of the mailbag (`<hexid>.KEY` and `.MBG`, an outgoing
        /// queue, KB Q148666), as text.
        pub mailbag_hexid: Text<9> = (Text, "the mailbag hexid (its KEY and MBG), 8 digits + NUL",
            Start("KB Q148666", "8 digits + NUL")),
        /// Unknown bytes, kept verbatim.
        #[serde(default)]
        pub reserved: Reserved<80> = (Unknown, "unknown",
            Unknown("probably the indirect mailbag, the indirect flag and other data; their offsets are unknown")),
    }
}

impl NetworkRecord {
    /// True when the status marks the record deleted (it stays in the file).
    pub fn is_deleted(&self) -> bool {
        self.status == fixed::DELETED
    }

    /// The meaning of the type code, `None` when undocumented.
    pub fn network_type_meaning(&self) -> Option<&'static str> {
        network_type_meaning(u64::from(self.network_type))
    }

    /// The XTN file's hexid, when the field holds 8 hex digits.
    pub fn xtn(&self) -> Option<Hexid> {
        Hexid::from_text(&self.xtn_hexid)
    }

    /// The mailbag hexid, when the field holds 8 hex digits.
    pub fn mailbag(&self) -> Option<Hexid> {
        Hexid::from_text(&self.mailbag_hexid)
    }
}

/// Derived facts shown under `info` in JSON.
#[derive(Debug, Serialize)]
pub struct NetworkInfo {
    /// The meaning of the status, `null` when unknown.
    pub status: Option<&'static str>,
    /// The meaning of the type, `null` when undocumented.
    pub network_type: Option<&'static str>,
    /// The XTN file listing this network's postoffices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xtn_file: Option<String>,
}

fn info(r: &NetworkRecord) -> NetworkInfo {
    NetworkInfo {
        status: fixed::status_meaning(u64::from(r.status)),
        network_type: r.network_type_meaning(),
        xtn_file: r.xtn().map(|h| format!("XTN/{h}.XTN")),
    }
}

/// The NETWORK.GLB format.
#[derive(Debug, Clone, Copy)]
pub struct Network;

fixed::fixed_format!(
    Network,
    record: NetworkRecord = FIELDS,
    info: NetworkInfo = |r: &NetworkRecord, _cp| Some(info(r)),
    derived: &[("status", "status"), ("network_type", "network_type"), ("xtn_file", "xtn_hexid")],
    rule: "NETWORK.GLB is a whole number of 122-byte records (KB Q77926, Q86625)",
    spec: "docs/formats/network.md",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepage::CodePage;
    use crate::fixed::testing;
    use crate::format::{Document, ReadOptions, Reader};
    use crate::kind::FileKind;
    use proptest::prelude::*;

    fn record(status: u8, ty: u8, name: &str, xtn: Option<u32>, mailbag: u32) -> NetworkRecord {
        NetworkRecord {
            status,
            network_type: ty,
            name: Text::encode(name, CodePage::Cp850).unwrap(),
            xtn_hexid: xtn.map(|x| Hexid(x).to_text()).unwrap_or_default(),
            mailbag_hexid: Hexid(mailbag).to_text(),
            reserved: Reserved::default(),
        }
    }

    fn bytes_of(records: &[NetworkRecord]) -> Vec<u8> {
        let mut doc = Document::<Network>::new(FileKind::Network);
        doc.records = records.to_vec();
        doc.to_bytes().unwrap()
    }

    /// Record 12 of the NETWORK.TMP that KB Q148666 dumps with DEBUG at
    /// 0x63E (file offset 0x53E): `01 10`, `MSMAIL`, zeros, and `0000002E`
    /// at 0x65F.
    fn kb_msmail_record() -> Vec<u8> {
        let mut b = vec![0u8; 122];
        b[0] = 0x01;
        b[1] = 0x10;
        b[2..8].copy_from_slice(b"MSMAIL");
        let mbg = 0x65F - 0x63E;
        b[mbg..mbg + 8].copy_from_slice(b"0000002E");
        b
    }

    #[test]
    fn the_kb_q148666_msmail_record_reads_as_the_kb_says() {
        // Steps 5 and 6: 01 active, 10 "an MSMAIL Connection type record", the
        // eight-digit hex ID following the name names 0000002E.KEY and .MBG,
        // the outgoing queue; the XTN field is empty.
        let doc = testing::bytes_round_trip::<Network>(FileKind::Network, &kb_msmail_record());
        let r = &doc.records[0];
        assert!(!r.is_deleted());
        assert_eq!(r.network_type, network_type::MSMAIL_CONNECTION);
        assert_eq!(r.network_type_meaning(), Some("MSMAIL connection"));
        assert_eq!(r.name.bytes(), b"MSMAIL");
        assert_eq!(r.xtn(), None);
        assert_eq!(r.mailbag(), Some(Hexid(0x2E)));
        // Step 7: 64 "indicates a FFAPI Gateway type record"; step 8: the hex ID
        // after the PROXYNET name names a <hex_id>.XTN file.
        let mut ffapi = kb_msmail_record();
        ffapi[1] = 0x64;
        ffapi[2..10].copy_from_slice(b"PROXYNET");
        ffapi[13..21].copy_from_slice(b"00000031");
        let doc = testing::bytes_round_trip::<Network>(FileKind::Network, &ffapi);
        assert_eq!(doc.records[0].network_type_meaning(), Some("FFAPI gateway"));
        assert_eq!(doc.records[0].xtn(), Some(Hexid(0x31)));
    }

    #[test]
    fn documented_offsets_hold_the_documented_fields() {
        // KB Q148666: +0 delete code, +1 type, +2 name, +13 XTN hexid, +33 MBG hexid.
        let b = bytes_of(&[
            record(1, 0x10, "MSMAIL", None, 0x2E),
            record(0, 0x64, "PROXYNET", Some(7), 9),
        ]);
        assert_eq!(b.len(), 2 * 122);
        assert_eq!(&b[..122], &kb_msmail_record()[..]);
        let net = &b[122..];
        assert_eq!(net[0], 0x00);
        assert_eq!(net[1], 0x64);
        assert_eq!(&net[2..10], b"PROXYNET");
        assert_eq!(&net[13..21], b"00000007");
        assert_eq!(&net[33..41], b"00000009");
    }

    #[test]
    fn field_table_covers_the_record() {
        testing::table_covers::<Network>(RECORD_LEN);
    }

    #[test]
    fn sizes_that_are_not_whole_records_name_122() {
        testing::wrong_sizes::<Network>(
            FileKind::Network,
            &bytes_of(&[record(1, 0x10, "N", Some(1), 2)]),
            RECORD_LEN,
        );
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = bytes_of(&[record(1, 0x10, "N", Some(1), 2)]);
        let mut r =
            Reader::<Network, _>::new(&b[..20], FileKind::Network, None, ReadOptions::default())
                .unwrap();
        let err = r.next_record().unwrap_err();
        let at = err.location().unwrap();
        assert_eq!((at.offset, at.record, at.field), (20, Some(0), "xtn_hexid"));
    }

    #[test]
    fn deleted_and_unknown_records_are_kept_and_flagged() {
        let mut odd = record(0, 0x22, "OLDNET", Some(3), 4);
        odd.reserved.0[79] = 0x5A;
        let b = bytes_of(&[odd, record(1, 0x10, "MSMAIL", None, 0x2E)]);
        let doc = testing::bytes_round_trip::<Network>(FileKind::Network, &b);
        let (old, conn) = (&doc.records[0], &doc.records[1]);
        assert!(old.is_deleted());
        assert_eq!(old.network_type_meaning(), None);
        assert_eq!(old.xtn(), Some(Hexid(3)));
        assert_eq!(info(old).xtn_file.as_deref(), Some("XTN/00000003.XTN"));
        assert!(!conn.is_deleted());
        assert_eq!(conn.network_type_meaning(), Some("MSMAIL connection"));
        assert_eq!(conn.xtn(), None);
        assert_eq!(conn.mailbag(), Some(Hexid(0x2E)));
    }

    fn any_record() -> impl Strategy<Value = NetworkRecord> {
        (
            any::<u8>(),
            any::<u8>(),
            any::<[u8; 11]>(),
            any::<[u8; 20]>(),
            any::<[u8; 9]>(),
            prop::collection::vec(any::<u8>(), 80),
        )
            .prop_map(
                |(status, network_type, name, xtn, mbg, reserved)| NetworkRecord {
                    status,
                    network_type,
                    name: Text(name),
                    xtn_hexid: Text(xtn),
                    mailbag_hexid: Text(mbg),
                    reserved: Reserved(reserved.try_into().unwrap()),
                },
            )
    }

    proptest! {
        #[test]
        fn any_records_round_trip(records in prop::collection::vec(any_record(), 0..6)) {
            testing::value_round_trip::<Network>(FileKind::Network, crate::format::NoHeader, records);
        }

        #[test]
        fn any_whole_records_of_bytes_round_trip(n in 0usize..4, seed in prop::collection::vec(any::<u8>(), 122 * 4)) {
            testing::bytes_round_trip::<Network>(FileKind::Network, &seed[..122 * n]);
        }
    }
}
