//! SRVCONF.GLB: the Dir-Sync server's configuration, kept only on the server
//! postoffice: a 1024-byte header (the highest SrvSync, the current cycle, the
//! report mailbox and Keep Updates) and one 1024-byte block per registered
//! requestor (its name, password, sync numbers, last cycle and last update).
//!
//! Spec: `docs/formats/srvconf.md`. The sizes (1024 + 1024 per requestor,
//! KB Q77926, Q148705, Q96060) and the contents are documented; the byte
//! layout is *reconstructed* (byte-packed, little-endian). The header follows
//! the layout written after the SCONFIX conversion (SRVMAIN 3.2.14, ADMIN
//! 3.2.13, LISTDS 3.2.1, KB Q111703), in which the administrator mailbox field
//! holds a full 10-character mailbox name. Both layouts are declared once,
//! in [`SrvConfHeader`] and [`RequestorRecord`] (`glbtool layout srvconf`
//! prints them).

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Serialize};

use crate::fields::{Reserved, Stamp, Text};
use crate::fixed;

/// The documented size of the header and of each requestor block.
pub const BLOCK_LEN: usize = 1024;

/// Why a number of a requestor record is where it is.
const RECORD_NUMBER: &str = "field documented (KB Q96060); u32 and its place are glbtool's choice";

fixed::fixed_struct! {
    /// The SRVCONF.GLB header.
    #[derive(Debug, Clone, PartialEq, Eq, Default, BinRead, BinWrite, Serialize, Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct SrvConfHeader in HEADER_FIELDS {
        /// "Highest SrvSync": the number of the last entry in MSTTRANS.GLB (KB Q96060).
        pub highest_srvsync: u32 = (Sync, "Highest SrvSync, the last MSTTRANS number",
            Reconstructed("field documented (KB Q96060); u32 and first place are glbtool's choice (KB Q120449's corrupted \"first 6 bytes\" fit it but do not decide the widths)")),
        /// "Current Dirsync Cycle" (KB Q96060).
        pub cycle: u32 = (Number, "current Dir-Sync cycle", Reconstructed(RECORD_NUMBER)),
        /// The mailbox that receives Dir-Sync reports (Server, Options, Administrator;
        /// KB Q125511, Q111703); blank when none.
        pub admin_mailbox: Text<11> = (Text, "the mailbox that receives reports, blank when none",
            Reconstructed("field documented (KB Q125511, Q111703); 10 characters + NUL right before Keep Updates, the post-SCONFIX layout glbtool infers from KB Q111703 (see the spec page)")),
        /// Keep Updates: how long MSTTRANS.GLB entries are kept, in days (KB Q108067, Q257740).
        pub keep_updates: u16 = (Number, "Keep Updates, in days",
            Reconstructed("field documented (KB Q96060, Q111703), counted in days (KB Q108067 \"update window days\", Q257740); u16 and its place are glbtool's choice")),
        /// Bytes of unknown meaning, kept verbatim.
        #[serde(default)]
        pub reserved: Reserved<1003> = (Unknown, "unknown", Unknown("")),
    }
}

fixed::fixed_struct! {
    /// One registered requestor.
    #[derive(Debug, Clone, PartialEq, Eq, Default, BinRead, BinWrite, Serialize, Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct RequestorRecord in RECORD_FIELDS {
        /// The requestor as `TYPE:NET/PO`, e.g. `PCM:POLYNOMIAL/MONTGOMERY` (KB Q96060).
        pub name: Text<32> = (Text, "TYPE:NET/PO, e.g. PCM:POLYNOMIAL/MONTGOMERY",
            Reconstructed("field and form documented (KB Q96060); 31 characters + NUL (a type, :, 10-character network, /, 10-character postoffice) and its place are glbtool's choice")),
        /// The requestor's Dir-Sync password; blank makes the server accept any (KB Q125917).
        pub password: Text<9> = (Text, "8 characters + NUL, blank = accept any",
            Reconstructed("field documented (KB Q125917); width and plain-text storage are glbtool's guess, as in REQCONF.GLB")),
        /// The server's copy of the requestor's ReqSync (KB Q96060).
        pub reqsync: u32 = (Sync, "the server's copy of the requestor's ReqSync", Reconstructed(RECORD_NUMBER)),
        /// The server's copy of the requestor's SrvSync (KB Q96060).
        pub srvsync: u32 = (Sync, "the server's copy of the requestor's SrvSync", Reconstructed(RECORD_NUMBER)),
        /// Import requests received from this requestor (the `I=` of SrvTx, KB Q96060).
        pub impsync: u32 = (Sync, "Import requests received (the I= of SrvTx)",
            Reconstructed("SrvTx echoes an import count (KB Q96060) and Exchange's requestor object keeps DXA-Imp-Seq (KB Q152231); that SRVCONF.GLB stores it, its width and its place are glbtool's choice")),
        /// The last cycle the requestor took part in (KB Q96060).
        pub last_cycle: u32 = (Number, "the last cycle the requestor took part in", Reconstructed(RECORD_NUMBER)),
        /// When the requestor's last update arrived (KB Q96060).
        pub last_update: Stamp = (Time, "when its last update arrived, seconds since 1970 UTC",
            Reconstructed("field documented (KB Q96060); C time_t and its place are glbtool's choice")),
        /// The address types the requestor receives, separated by `|`.
        pub types: Text<128> = (Text, "address types the requestor receives, |-separated",
            Reconstructed("after Exchange's DXA-Types requestor attribute and the foreign TYPES= key (KB Q118298); that SRVCONF.GLB stores it, its width and its place are glbtool's choice")),
        /// Bytes of unknown meaning, kept verbatim.
        #[serde(default)]
        pub reserved: Reserved<835> = (Unknown, "unknown", Unknown("")),
    }
}

impl RequestorRecord {
    /// The address type before the colon (`PCM`), if the name has one.
    pub fn address_type(&self, cp: crate::codepage::CodePage) -> Option<String> {
        let name = self.name.decode(cp);
        name.split_once(':').map(|(t, _)| t.to_string())
    }

    /// The `NET/PO` part of the name (everything after the first colon, or the
    /// whole name when it has none).
    pub fn net_po(&self, cp: crate::codepage::CodePage) -> String {
        let name = self.name.decode(cp);
        match name.split_once(':') {
            Some((_, rest)) => rest.to_string(),
            None => name,
        }
    }

    /// True when this is the record of the requestor `name`: `TYPE:NET/PO` is
    /// compared with the whole record name, `NET/PO` with its postoffice part;
    /// letter case and surrounding blanks do not matter (MS Mail names are
    /// case-insensitive).
    pub fn is_named(&self, name: &str, cp: crate::codepage::CodePage) -> bool {
        let want = name.trim();
        let have = if want.contains(':') {
            self.name.decode(cp)
        } else {
            self.net_po(cp)
        };
        have.trim().eq_ignore_ascii_case(want)
    }

    /// The address types the requestor receives.
    pub fn types_list(&self, cp: crate::codepage::CodePage) -> Vec<String> {
        crate::reqconf::split_types(&self.types.decode(cp))
    }
}

/// The most requestor records glbtool holds from one SRVCONF.GLB: 10,000
/// (about 10 MB). Every record is checked on its own, however many there
/// are; the checks across files (validate, doctor), `patch-seq
/// --from-srvconf` and `resync` need the records together, and take a file
/// with more as too large (a Dir-Sync server has one record per registered
/// requestor postoffice).
pub const MAX_HELD: usize = 10_000;

/// The error for a SRVCONF.GLB holding `records` requestor records, more
/// than [`MAX_HELD`] (`None`: more, how many is not known).
pub fn too_many(records: Option<u64>, needed_for: &str) -> crate::Error {
    let held = match records {
        Some(n) => format!("holds {n} requestor records"),
        None => format!("holds more than {MAX_HELD} requestor records"),
    };
    crate::Error::Limit {
        message: format!(
            "SRVCONF.GLB {held}, more than the {MAX_HELD} glbtool holds to {needed_for}; a Dir-Sync server has one record per registered requestor postoffice (KB Q77926, Q96060), so the file is most likely damaged (glbtool validate checks each record)"
        ),
    }
}

/// Reads a SRVCONF.GLB record by record: its header and requestor records,
/// holding at most [`MAX_HELD`] of them (one more is [`too_many`], for
/// `needed_for`).
pub fn read_held<R: std::io::Read>(
    src: R,
    size: Option<u64>,
    needed_for: &str,
) -> crate::Result<(SrvConfHeader, Vec<RequestorRecord>)> {
    use crate::format::{ReadOptions, Reader};
    let mut reader =
        Reader::<SrvConfFile, R>::new(src, crate::FileKind::Srvconf, size, ReadOptions::default())?;
    let mut records = Vec::new();
    while let Some(r) = reader.next_record()? {
        if records.len() == MAX_HELD {
            // One too many: the size tells how many there are, when known.
            let n = size.map(|s| s.saturating_sub(1024) / 1024);
            return Err(too_many(n, needed_for));
        }
        records.push(r.record.clone());
    }
    let header = reader.header().cloned().unwrap_or_default();
    Ok((header, records))
}

/// True when a requestor record's bytes are all zero: it holds no name and
/// no number, whatever the (reconstructed) layout.
pub fn is_blank(raw: &[u8]) -> bool {
    raw.iter().all(|&b| b == 0)
}

/// The index of the first record of the requestor `name` ([`RequestorRecord::is_named`]),
/// the records' names read in code page `cp`.
pub fn position_of(
    records: &[RequestorRecord],
    name: &str,
    cp: crate::codepage::CodePage,
) -> Option<usize> {
    records.iter().position(|r| r.is_named(name, cp))
}

/// Derived facts about a requestor record, shown under `info` in JSON.
#[derive(Debug, Serialize)]
pub struct RequestorInfo {
    /// The `NET/PO` part of the name.
    pub postoffice: String,
}

/// The SRVCONF.GLB layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrvConfFile;

fixed::fixed_format!(
    SrvConfFile,
    header: SrvConfHeader = HEADER_FIELDS,
    record: RequestorRecord = RECORD_FIELDS,
    info: RequestorInfo = |r: &RequestorRecord, cp| Some(RequestorInfo { postoffice: r.net_po(cp) }),
    derived: &[("postoffice", "name")],
    rule: "SRVCONF.GLB is a 1024-byte header plus one 1024-byte record per registered requestor, so its size is divisible by 1024 (KB Q77926, Q148705)",
    spec: "docs/formats/srvconf.md",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepage::CodePage;
    use crate::error::Error;
    use crate::fixed::testing::{assert_spans_cover, assert_table_covers};
    use crate::format::{Document, ReadOptions, Reader};
    use crate::kind::FileKind;
    use proptest::prelude::*;

    fn text<const N: usize>(s: &str) -> Text<N> {
        Text::encode(s, CodePage::Cp850).unwrap()
    }

    fn doc(header: SrvConfHeader, records: Vec<RequestorRecord>) -> Document<SrvConfFile> {
        Document {
            kind: FileKind::Srvconf,
            header: Some(header),
            records,
            trailing: vec![],
        }
    }

    fn parse(b: &[u8]) -> crate::Result<Document<SrvConfFile>> {
        Document::<SrvConfFile>::from_bytes(b, FileKind::Srvconf, ReadOptions::default())
    }

    fn header() -> SrvConfHeader {
        SrvConfHeader {
            highest_srvsync: 80,
            cycle: 11,
            admin_mailbox: text("ADMINISTRA"),
            keep_updates: 14,
            ..SrvConfHeader::default()
        }
    }

    fn montgomery() -> RequestorRecord {
        RequestorRecord {
            name: text("PCM:POLYNOMIAL/MONTGOMERY"),
            password: text("PASSWORD"),
            reqsync: 17,
            srvsync: 80,
            impsync: 2,
            last_cycle: 11,
            last_update: Stamp(761_577_118),
            types: text("PCM"),
            ..RequestorRecord::default()
        }
    }

    #[test]
    fn header_and_record_are_the_documented_1024_bytes() {
        assert_table_covers(HEADER_FIELDS, 1024);
        assert_table_covers(RECORD_FIELDS, 1024);
        assert_spans_cover(&header(), HEADER_FIELDS);
        assert_spans_cover(&montgomery(), RECORD_FIELDS);
        let b = doc(header(), vec![montgomery(), montgomery(), montgomery()])
            .to_bytes()
            .unwrap();
        assert_eq!(b.len(), 1024 + 3 * 1024);
    }

    #[test]
    fn offsets_hold_what_the_spec_says() {
        let b = doc(header(), vec![montgomery()]).to_bytes().unwrap();
        assert_eq!(&b[0..4], &80u32.to_le_bytes());
        assert_eq!(&b[4..8], &11u32.to_le_bytes());
        // A 10-character mailbox fits with its NUL and leaves Keep Updates alone
        // (the post-SCONFIX layout, KB Q111703).
        assert_eq!(&b[8..19], b"ADMINISTRA\0");
        assert_eq!(&b[19..21], &14u16.to_le_bytes());
        assert!(b[21..1024].iter().all(|&x| x == 0));
        let r = &b[1024..];
        assert_eq!(&r[0..26], b"PCM:POLYNOMIAL/MONTGOMERY\0");
        assert_eq!(&r[32..41], b"PASSWORD\0");
        assert_eq!(&r[41..45], &17u32.to_le_bytes());
        assert_eq!(&r[45..49], &80u32.to_le_bytes());
        assert_eq!(&r[49..53], &2u32.to_le_bytes());
        assert_eq!(&r[53..57], &11u32.to_le_bytes());
        assert_eq!(&r[57..61], &761_577_118u32.to_le_bytes());
        assert_eq!(&r[61..65], b"PCM\0");
        assert!(r[65..].iter().all(|&x| x == 0));
        let back = parse(&b).unwrap();
        assert_eq!(
            back.records[0].net_po(crate::codepage::CodePage::Cp850),
            "POLYNOMIAL/MONTGOMERY"
        );
        assert_eq!(
            back.records[0]
                .address_type(crate::codepage::CodePage::Cp850)
                .as_deref(),
            Some("PCM")
        );
        assert_eq!(
            back.header
                .unwrap()
                .admin_mailbox
                .decode(crate::codepage::CodePage::Cp850),
            "ADMINISTRA"
        );
    }

    #[test]
    fn a_name_without_a_type_is_its_own_net_po() {
        let r = RequestorRecord {
            name: text("NET/PO"),
            ..RequestorRecord::default()
        };
        assert_eq!(r.net_po(crate::codepage::CodePage::Cp850), "NET/PO");
        assert_eq!(r.address_type(crate::codepage::CodePage::Cp850), None);
    }

    #[test]
    fn sizes_not_divisible_by_1024_are_size_errors_naming_1024() {
        let b = doc(header(), vec![montgomery()]).to_bytes().unwrap();
        for n in [0usize, 512, 1023, 1025, 2047, 2049] {
            let mut v = b.clone();
            v.resize(n, 0);
            match parse(&v) {
                Err(Error::Size { size, rule, .. }) => {
                    assert_eq!(size, n as u64);
                    assert!(rule.contains("1024"), "{rule}");
                }
                other => panic!("{n} bytes: {other:?}"),
            }
        }
        // A header alone is a valid server with no requestors.
        assert_eq!(parse(&b[..1024]).unwrap().records.len(), 0);
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = doc(header(), vec![montgomery(), montgomery()])
            .to_bytes()
            .unwrap();
        let cut = &b[..2048 + 50];
        let mut r =
            Reader::<SrvConfFile, _>::new(cut, FileKind::Srvconf, None, ReadOptions::default())
                .unwrap();
        assert!(r.next_record().unwrap().is_some());
        let err = r.next_record().unwrap_err();
        let at = err.location().unwrap();
        assert_eq!((at.offset, at.record, at.field), (2098, Some(1), "impsync"));
        let err = Reader::<SrvConfFile, _>::new(
            &b[..10],
            FileKind::Srvconf,
            None,
            ReadOptions::default(),
        )
        .err()
        .unwrap();
        assert_eq!(err.location().unwrap().field, "admin_mailbox");
    }

    fn arb_text<const N: usize>() -> impl Strategy<Value = Text<N>> {
        prop::collection::vec(any::<u8>(), N).prop_map(|v| Text(v.try_into().unwrap()))
    }

    prop_compose! {
        fn arb_header()(n in any::<(u32, u32, u16)>(), mailbox in arb_text::<11>(),
                        reserved in prop::collection::vec(any::<u8>(), 1003)) -> SrvConfHeader {
            SrvConfHeader {
                highest_srvsync: n.0,
                cycle: n.1,
                admin_mailbox: mailbox,
                keep_updates: n.2,
                reserved: Reserved(reserved.try_into().unwrap()),
            }
        }
    }

    prop_compose! {
        fn arb_record()(name in arb_text::<32>(), password in arb_text::<9>(),
                        n in any::<(u32, u32, u32, u32, u32)>(), types in arb_text::<128>(),
                        reserved in prop::collection::vec(any::<u8>(), 835)) -> RequestorRecord {
            RequestorRecord {
                name,
                password,
                reqsync: n.0,
                srvsync: n.1,
                impsync: n.2,
                last_cycle: n.3,
                last_update: Stamp(n.4),
                types,
                reserved: Reserved(reserved.try_into().unwrap()),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_bytes_of_a_valid_size_write_back_identically(
            b in (0usize..4).prop_flat_map(|n| prop::collection::vec(any::<u8>(), 1024 * (n + 1)))
        ) {
            let d = parse(&b).unwrap();
            prop_assert_eq!(d.records.len(), b.len() / 1024 - 1);
            prop_assert_eq!(d.to_bytes().unwrap(), b);
        }

        #[test]
        fn any_value_survives_bytes_and_json(h in arb_header(), records in prop::collection::vec(arb_record(), 0..4)) {
            let d = doc(h, records);
            let back = parse(&d.to_bytes().unwrap()).unwrap();
            prop_assert_eq!(&back, &d);
            for r in &d.records {
                let json = serde_json::to_string(r).unwrap();
                prop_assert_eq!(&serde_json::from_str::<RequestorRecord>(&json).unwrap(), r);
            }
            let json = serde_json::to_string(d.header.as_ref().unwrap()).unwrap();
            prop_assert_eq!(serde_json::from_str::<SrvConfHeader>(&json).unwrap(), d.header.unwrap());
        }
    }
}
