//! NETPO.GLB: the external addresses that POL and PAL records point to. A
//! 4-byte header (the delete chain, KB Q110100), then 43-byte records each
//! giving a network, postoffice and mailbox name (KB Q77926, Q107767,
//! Q175694). GALNETPO.GLB (and REBUILD's temporary TMPNETPO.GLB) does the
//! same for the GAL; its first 4 bytes are what REBUILD reads, with the first
//! record, to determine its next TID (KB Q135486), not a delete chain, so it
//! is a format of its own ([`Galnetpo`]) with the same records. Spec:
//! `docs/formats/netpo.md`; the layouts are declared once, in
//! [`NetpoHeader`], [`GalnetpoHeader`] and [`NetpoRecord`] (`glbtool layout
//! netpo`, `glbtool layout galnetpo`).
//!
//! NME pointers are absolute byte offsets into this file, header included
//! ([`record_offset`]).

use std::io::{Read, Seek, SeekFrom};

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::fields::Text;
use crate::fixed;
use crate::format::Format;
use crate::hexid::Hexid;
use crate::kind::FileKind;

/// Bytes of the file header (KB Q77926, Q110223, Q175694).
pub const HEADER_LEN: usize = 4;
/// Bytes per record (KB Q77926, Q110223, Q175694).
pub const RECORD_LEN: usize = 43;

/// The absolute byte offset of record `index`, as NME pointers store it
/// (4 + 43 × index); `None` when it does not fit the 32-bit pointer.
pub fn record_offset(index: u64) -> Option<u32> {
    let off = index
        .checked_mul(RECORD_LEN as u64)?
        .checked_add(HEADER_LEN as u64)?;
    u32::try_from(off).ok()
}

/// The record index an absolute offset designates, `None` when the offset
/// is not the start of a record.
pub fn record_index(offset: u32) -> Option<u64> {
    let rel = u64::from(offset).checked_sub(HEADER_LEN as u64)?;
    (rel % RECORD_LEN as u64 == 0).then_some(rel / RECORD_LEN as u64)
}

fixed::fixed_struct! {
    /// The file header.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, BinRead, BinWrite)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct NetpoHeader in HEADER_FIELDS {
        /// The delete-chain pointer (KB Q110100); 0 when no record is free.
        pub delete_chain: u32 = (Pointer, "the delete chain, 0 when no record is chained",
            Documented("KB Q77926, Q110223: a 4-byte header, 4 zero bytes when reset; KB Q110100: NETPO.GLB's delete chain pointer, default 0, which glbtool reads as this header; little-endian per KB Q119563")),
    }
}

fixed::fixed_struct! {
    /// GALNETPO.GLB's first 4 bytes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, BinRead, BinWrite)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct GalnetpoHeader in GAL_HEADER_FIELDS {
        /// What REBUILD reads, with the first record, to determine the TID it
        /// hands out next (KB Q135486); its encoding is not documented.
        pub tid_source: u32 = (Number, "read by REBUILD, with the first record, to determine the next new TID",
            Documented("KB Q135486: REBUILD reads the first 4 bytes and the first record of GALNETPO.GLB to determine the new TID; how they encode it is not documented, glbtool shows them as a little-endian u32")),
    }
}

fixed::fixed_struct! {
    /// One external address.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, BinRead, BinWrite)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct NetpoRecord in FIELDS {
        /// 1 active, 0 deleted; other values are kept.
        pub status: u16 = (Flag, "1 active, 0 deleted; other values kept",
            Reconstructed("records are marked deleted (KB Q112904); width and place are the facts file's arrangement \"validity flag u16\""),
            view = fixed::status),
        /// The address's TID.
        #[serde(with = "crate::fields::hex_u32")]
        pub tid: u32 = (Number, "the address's TID",
            Reconstructed("NETPO.GLB holds TIDs (KB Q107767, Q122689); the field order is glbtool's choice")),
        /// The network name.
        pub network: Text<11> = (Text, "network name, NUL-terminated",
            Reconstructed("a record gives the network name (KB Q107767); 10 characters + NUL from the 10-character limit (KB Q123398); the order is glbtool's choice")),
        /// The postoffice name.
        pub postoffice: Text<11> = (Text, "postoffice name, NUL-terminated",
            Reconstructed("as `network`")),
        /// The mailbox name.
        pub mailbox: Text<11> = (Text, "mailbox name, NUL-terminated",
            Reconstructed("as `network`")),
        /// The hexid of this postoffice's definition here (its `<hexid>.USR`).
        pub mailbag: Hexid = (Number, "hexid of this postoffice's definition here (its `<hexid>.USR`)",
            Reconstructed("the \"local mailbag number\" of the external postoffice (KB Q107767); u32 little-endian and its place are glbtool's choice")),
    }
}

impl NetpoRecord {
    /// True when the status marks the record deleted (it stays in the file).
    pub fn is_deleted(&self) -> bool {
        self.status == u16::from(fixed::DELETED)
    }

    /// `NETWORK/POSTOFFICE/MAILBOX`, decoded with code page `cp`.
    pub fn address(&self, cp: crate::codepage::CodePage) -> String {
        format!(
            "{}/{}/{}",
            self.network.decode(cp),
            self.postoffice.decode(cp),
            self.mailbox.decode(cp)
        )
    }
}

/// Derived facts shown under `info` in JSON.
#[derive(Debug, Serialize)]
pub struct NetpoInfo {
    /// The meaning of the status, `null` when unknown.
    pub status: Option<&'static str>,
    /// `NETWORK/POSTOFFICE/MAILBOX`.
    pub address: String,
}

/// The derived facts of a record, NETPO.GLB's and GALNETPO.GLB's alike.
fn info(r: &NetpoRecord, cp: crate::codepage::CodePage) -> Option<NetpoInfo> {
    Some(NetpoInfo {
        status: fixed::status_meaning(u64::from(r.status)),
        address: r.address(cp),
    })
}

/// The stored fields each derived fact comes from.
const DERIVED: &[(&str, &str)] = &[
    ("status", "status"),
    ("address", "network, postoffice and mailbox"),
];

/// The NETPO.GLB format.
#[derive(Debug, Clone, Copy)]
pub struct Netpo;

fixed::fixed_format!(
    Netpo,
    header: NetpoHeader = HEADER_FIELDS,
    record: NetpoRecord = FIELDS,
    info: NetpoInfo = info,
    derived: DERIVED,
    rule: "NETPO.GLB is a 4-byte header followed by a whole number of 43-byte records (KB Q77926, Q110223)",
    spec: "docs/formats/netpo.md",
);

/// The GALNETPO.GLB format (also REBUILD's temporary TMPNETPO.GLB): 4 bytes,
/// then NETPO.GLB's records.
#[derive(Debug, Clone, Copy)]
pub struct Galnetpo;

fixed::fixed_format!(
    Galnetpo,
    header: GalnetpoHeader = GAL_HEADER_FIELDS,
    record: NetpoRecord = FIELDS,
    info: NetpoInfo = info,
    derived: DERIVED,
    rule: "glbtool reads GALNETPO.GLB as its first 4 bytes (KB Q135486) followed by a whole number of 43-byte records like NETPO.GLB's (reconstructed: no article gives GALNETPO.GLB's record size)",
    spec: "docs/formats/netpo.md",
);

/// Reads single records by the byte offsets NME pointers hold, without
/// reading the whole file (a GALNETPO.GLB grows with the GAL).
#[derive(Debug)]
pub struct Lookup<R> {
    src: R,
    size: u64,
    kind: FileKind,
    buf: Vec<u8>,
}

impl<R: Read + Seek> Lookup<R> {
    /// Looks records up in `src`, a file of `size` bytes.
    pub fn new(src: R, size: u64) -> Self {
        Lookup {
            src,
            size,
            kind: FileKind::Netpo,
            buf: vec![0; RECORD_LEN],
        }
    }

    /// Reads `kind`'s records (NETPO.GLB or GALNETPO.GLB, as named).
    pub fn with_kind(mut self, kind: FileKind) -> Self {
        self.kind = kind;
        self
    }

    /// The record that starts at byte offset `pointer`; `None` when no whole
    /// record starts there.
    pub fn get(&mut self, pointer: u32) -> Result<Option<NetpoRecord>, Error> {
        let Some(index) = record_index(pointer) else {
            return Ok(None);
        };
        let start = u64::from(pointer);
        if start + RECORD_LEN as u64 > self.size {
            return Ok(None);
        }
        let kind = self.kind;
        let io = |e| Error::io(format!("reading {kind} at offset {start}"), e);
        self.src.seek(SeekFrom::Start(start)).map_err(io)?;
        self.src.read_exact(&mut self.buf).map_err(io)?;
        let mut r = NetpoRecord::default();
        Netpo::decode_record(&self.buf, &mut r).map_err(|f| f.at(kind, start, Some(index)))?;
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepage::CodePage;
    use crate::fixed::testing;
    use crate::format::{Document, ReadOptions};
    use crate::kind::FileKind;
    use proptest::prelude::*;

    fn text(s: &str) -> Text<11> {
        Text::encode(s, CodePage::Cp850).unwrap()
    }

    fn record(status: u16, net: &str, po: &str, mbx: &str) -> NetpoRecord {
        NetpoRecord {
            status,
            tid: 0x7F67_697F,
            network: text(net),
            postoffice: text(po),
            mailbox: text(mbx),
            mailbag: Hexid(8),
        }
    }

    fn bytes_of(chain: u32, records: &[NetpoRecord]) -> Vec<u8> {
        Document::<Netpo> {
            kind: FileKind::Netpo,
            header: Some(NetpoHeader {
                delete_chain: chain,
            }),
            records: records.to_vec(),
            trailing: vec![],
        }
        .to_bytes()
        .unwrap()
    }

    #[test]
    fn an_empty_file_is_the_four_zero_bytes() {
        // KB Q110223, Q112904, Q175694.
        assert_eq!(bytes_of(0, &[]), vec![0; 4]);
        let doc = testing::bytes_round_trip::<Netpo>(FileKind::Netpo, &[0; 4]);
        assert!(doc.records.is_empty());
    }

    #[test]
    fn header_then_43_byte_records_at_the_offsets_nme_pointers_use() {
        let b = bytes_of(
            47,
            &[
                record(1, "POLYNOMIAL", "TAYLOR", "BROOK"),
                record(0, "POLYNOMIAL", "TAYLOR", "COLIN"),
            ],
        );
        assert_eq!(b.len(), 4 + 2 * 43);
        assert_eq!(&b[0..4], &47u32.to_le_bytes());
        assert_eq!(record_offset(0), Some(4));
        assert_eq!(record_offset(1), Some(47));
        assert_eq!(record_index(47), Some(1));
        assert_eq!(record_index(46), None);
        assert_eq!(record_index(3), None);
        assert_eq!(record_offset(u64::MAX), None);
        let second = &b[47..90];
        assert_eq!(&second[28..33], b"COLIN");
        assert_eq!(&second[6..16], b"POLYNOMIAL");
        assert_eq!(second[16], 0);
    }

    #[test]
    fn field_table_covers_the_record() {
        testing::table_covers::<Netpo>(RECORD_LEN);
    }

    #[test]
    fn sizes_that_are_not_whole_records_name_43() {
        let one = bytes_of(0, &[record(1, "N", "P", "M")]);
        testing::wrong_sizes::<Netpo>(FileKind::Netpo, &one, RECORD_LEN);
        // Shorter than the header: still a size error naming the rule.
        let err = Document::<Netpo>::from_bytes(&[0, 0], FileKind::Netpo, ReadOptions::default())
            .unwrap_err();
        assert!(err.to_string().contains("43-byte"), "{err}");
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = bytes_of(0, &[record(1, "N", "P", "M")]);
        // Streamed without a known size, so the cut shows as a truncation.
        let mut r = crate::format::Reader::<Netpo, _>::new(
            &b[..24],
            FileKind::Netpo,
            None,
            ReadOptions::default(),
        )
        .unwrap();
        let err = r.next_record().unwrap_err();
        let at = err.location().unwrap();
        assert_eq!(
            (at.offset, at.record, at.field),
            (24, Some(0), "postoffice")
        );
    }

    #[test]
    fn deleted_records_are_kept_and_flagged() {
        let b = bytes_of(47, &[record(1, "N", "P", "A"), record(0, "N", "P", "B")]);
        let doc = testing::bytes_round_trip::<Netpo>(FileKind::Netpo, &b);
        assert_eq!(doc.records.len(), 2);
        assert!(!doc.records[0].is_deleted());
        assert!(doc.records[1].is_deleted());
        assert_eq!(
            Netpo::info(&doc.records[1], crate::codepage::CodePage::Cp850)
                .unwrap()
                .status,
            Some("deleted")
        );
        assert_eq!(
            doc.records[1].address(crate::codepage::CodePage::Cp850),
            "N/P/B"
        );
    }

    #[test]
    fn lookup_reads_the_record_a_pointer_designates() {
        let b = bytes_of(
            90,
            &[
                record(1, "N", "P", "A"),
                record(1, "N", "Q", "B"),
                record(0, "N", "P", "C"),
            ],
        );
        let mut l = Lookup::new(std::io::Cursor::new(&b), b.len() as u64);
        assert_eq!(
            l.get(47)
                .unwrap()
                .unwrap()
                .address(crate::codepage::CodePage::Cp850),
            "N/Q/B"
        );
        assert!(l.get(90).unwrap().unwrap().is_deleted());
        assert_eq!(
            l.get(4)
                .unwrap()
                .unwrap()
                .address(crate::codepage::CodePage::Cp850),
            "N/P/A"
        );
        assert_eq!(l.get(48).unwrap(), None, "not the start of a record");
        assert_eq!(l.get(133).unwrap(), None, "past the end");
        assert_eq!(l.get(0).unwrap(), None, "the header");
    }

    fn any_record() -> impl Strategy<Value = NetpoRecord> {
        (
            any::<u16>(),
            any::<u32>(),
            any::<[u8; 11]>(),
            any::<[u8; 11]>(),
            any::<[u8; 11]>(),
            any::<u32>(),
        )
            .prop_map(|(status, tid, n, p, m, mb)| NetpoRecord {
                status,
                tid,
                network: Text(n),
                postoffice: Text(p),
                mailbox: Text(m),
                mailbag: Hexid(mb),
            })
    }

    proptest! {
        #[test]
        fn any_records_round_trip(chain in any::<u32>(), records in prop::collection::vec(any_record(), 0..8)) {
            testing::value_round_trip::<Netpo>(FileKind::Netpo, NetpoHeader { delete_chain: chain }, records);
        }

        #[test]
        fn any_whole_records_of_bytes_round_trip(n in 0usize..6, seed in prop::collection::vec(any::<u8>(), 4 + 43 * 6)) {
            testing::bytes_round_trip::<Netpo>(FileKind::Netpo, &seed[..4 + 43 * n]);
        }
    }
}
