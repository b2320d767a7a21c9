//! REQCONF.GLB: the requestor configuration every postoffice keeps in its GLB
//! directory: its Dir-Sync server, the requestor password, the sync numbers,
//! the last export and import request times, Import's four queue pointers, the
//! requested address types and the requestor options.
//!
//! Spec: `docs/formats/reqconf.md`. The size (exactly 512 bytes, KB Q77926,
//! Q123437, Q148705) and the list of contents are documented; the byte layout,
//! declared once in [`ReqConf`] (`glbtool layout reqconf` prints it), is
//! *reconstructed* (byte-packed, little-endian, like the 197-byte PROCESS
//! record whose odd size rules out padding).

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Serialize};

use crate::error::FieldFault;
use crate::fields::{Reserved, Stamp, Text};
use crate::fixed;
use crate::format::{Format, NoHeader, RecordSize};
use crate::layout::Value;

/// The documented size of REQCONF.GLB.
pub const REQCONF_LEN: usize = 512;

/// The value a queue pointer holds when it points nowhere; setting all four
/// pointers to it repairs a corrupt pointer (KB Q140462).
pub const NO_POINTER: i32 = -1;

/// The separator between address types in [`ReqConf::types`] (as in the
/// documented foreign Dir-Sync key `TYPES=PCM|CSI|profs`, KB Q118298).
pub const TYPE_SEPARATOR: char = '|';

/// Why the two name fields of the server are where they are.
const SERVER_NAME: &str = "field documented (KB Q96060); 10 characters + NUL from the 10-character limit on network and postoffice names (KB Q96001 error 20); its place is glbtool's choice";
/// Why the sync numbers are where they are.
const SYNC: &str = "field documented (KB Q96060); u32 from the up to 10-digit printing of sync numbers (KB Q110496, Q118298); its place is glbtool's choice";
/// Why the queue pointers are where they are.
const POINTER: &str = "field and -1 documented (KB Q140462); a signed 32-bit byte offset (-1 must fit, files may exceed 64 KB) and its place are glbtool's choice";
/// Why the local postoffice fields are where they are.
const LOCAL: &str = "no article says REQCONF.GLB holds the local postoffice: KB Q123437 and Q112301 repair a corrupt REQCONF.GLB by copying another postoffice's and resetting it, so it probably holds no load-bearing local identity. glbtool's samples write the local postoffice here to show LISTDS's heading; a file written by MS Mail may hold anything here, and glbtool never relies on it where the directory or other files name the postoffice";

fixed::fixed_struct! {
    /// The whole of REQCONF.GLB.
    #[derive(Debug, Clone, PartialEq, Eq, Default, BinRead, BinWrite, Serialize, Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct ReqConf in FIELDS {
        /// The Dir-Sync server's network name (Config, Dir-Sync, Requestor, Registration).
        pub server_network: Text<11> = (Text, "the Dir-Sync server's network, NUL-terminated, CP850",
            Reconstructed(SERVER_NAME)),
        /// The Dir-Sync server's postoffice name.
        pub server_postoffice: Text<11> = (Text, "the server's postoffice", Reconstructed(SERVER_NAME)),
        /// The requestor password the server expects (blank when none).
        pub password: Text<9> = (Text, "the requestor password, blank when none",
            Reconstructed("field documented (KB Q96060); 8 characters + NUL and plain CP850 text are a guess: the length limit is not in the KB, and MS Mail encrypts the password fields of MASTER.GLB and ACCESS.GLB (KB Q130322), so this one may be encrypted too; glbtool shows the stored bytes")),
        /// ReqSync: cumulative count of updates sent to the server (KB Q96060).
        pub reqsync: u32 = (Sync, "ReqSync", Reconstructed(SYNC)),
        /// SrvSync: cumulative count of updates received from the server (KB Q96060).
        pub srvsync: u32 = (Sync, "SrvSync", Reconstructed(SYNC)),
        /// Import count: Import requests made so far, the `I=` of ReqTx (KB Q96060, Q119452).
        pub impsync: u32 = (Sync, "import count",
            Reconstructed("field documented (KB Q96060, Q119452); u32 and its place are glbtool's choice")),
        /// When the last Export was requested (KB Q131681).
        pub last_export: Stamp = (Time, "last Export request, seconds since 1970 UTC",
            Reconstructed("field documented (KB Q131681); C time_t and its place are glbtool's choice")),
        /// When the last Import was requested (KB Q131681); 0 when never.
        pub last_import: Stamp = (Time, "last Import request; 0 when never",
            Reconstructed("as `last_export`")),
        /// Import's position in SRVTRANS.GLB, -1 for none (KB Q140462).
        pub srvtrans_pointer: i32 = (Pointer, "Import's position in SRVTRANS.GLB, -1 = none", Reconstructed(POINTER)),
        /// Import's position in USRTRANS.GLB, -1 for none (KB Q140462).
        pub usrtrans_pointer: i32 = (Pointer, "in USRTRANS.GLB", Reconstructed(POINTER)),
        /// Import's position in GWTRANS.GLB, -1 for none (KB Q140462).
        pub gwtrans_pointer: i32 = (Pointer, "in GWTRANS.GLB", Reconstructed(POINTER)),
        /// Import's position in NMETRANS.GLB, -1 for none (KB Q140462).
        pub nmetrans_pointer: i32 = (Pointer, "in NMETRANS.GLB", Reconstructed(POINTER)),
        /// Template exchange (Options): see [`template_options_meaning`].
        pub template_options: u16 = (Flag, "0 none, 1 receive (incoming), 2 send (outgoing), 3 both",
            Reconstructed("option documented (KB Q96060, Q134753); the codes follow Exchange's documented requestor attribute DXA-Template-Options (0 none, 1 incoming, 2 outgoing, 3 both, Exchange SDK schema); other values are kept and shown as unknown"),
            view = |o: &u16| Value::Code {
                raw: u64::from(*o),
                meaning: template_options_meaning(*o),
            }),
        /// The largest update the server may send in one reply before pacing
        /// (Options, Limit, KB Q133719); unit undocumented; 0 taken as no limit.
        pub size_limit: u32 = (Number, "Options, Limit",
            Reconstructed("option documented (KB Q133719); u32, \"0 = no limit\" and its place are glbtool's choice; the unit is not documented, glbtool shows the stored number")),
        /// The address types to receive, separated by `|` (Types).
        pub types: Text<128> = (Text, "requested address types separated by |, e.g. PCM|SNADS|X400|SMTP",
            Reconstructed("option documented (KB Q96060); the | separator follows the documented foreign Dir-Sync key TYPES=PCM|CSI|profs (KB Q118298); 127 characters hold every type MS Mail knows")),
        /// Where glbtool's samples keep this postoffice's own network
        /// (reconstructed, not documented: see `docs/formats/reqconf.md`;
        /// blank when unknown). Never relied on where the directory or other
        /// files name the postoffice.
        pub local_network: Text<11> = (Text, "glbtool's samples: this postoffice's own network", Reconstructed(LOCAL)),
        /// Where glbtool's samples keep this postoffice's own name
        /// (reconstructed, see `local_network`).
        pub local_postoffice: Text<11> = (Text, "glbtool's samples: this postoffice's own name", Reconstructed(LOCAL)),
        /// Bytes of unknown meaning, kept verbatim.
        #[serde(default)]
        pub reserved: Reserved<289> = (Unknown, "unknown", Unknown("nothing else is documented; shown in hex")),
    }
}

/// What a template-options code means (reconstructed codes, after Exchange's
/// documented DXA-Template-Options: 0 none, 1 incoming, 2 outgoing, 3 both).
pub fn template_options_meaning(code: u16) -> Option<&'static str> {
    match code {
        0 => Some("no template exchange"),
        1 => Some("receive templates (incoming)"),
        2 => Some("send templates (outgoing)"),
        3 => Some("send and receive templates"),
        _ => None,
    }
}

impl ReqConf {
    /// The Dir-Sync server as `NET/PO`, the way LISTDS prints it.
    pub fn server(&self, cp: crate::codepage::CodePage) -> String {
        format!(
            "{}/{}",
            self.server_network.decode(cp),
            self.server_postoffice.decode(cp)
        )
    }

    /// This postoffice as `NET/PO`, when REQCONF records it.
    pub fn local(&self, cp: crate::codepage::CodePage) -> Option<String> {
        let (n, p) = (
            self.local_network.decode(cp),
            self.local_postoffice.decode(cp),
        );
        (!n.is_empty() && !p.is_empty()).then(|| format!("{n}/{p}"))
    }

    /// The requested address types, in stored order, without empty entries.
    pub fn types_list(&self, cp: crate::codepage::CodePage) -> Vec<String> {
        split_types(&self.types.decode(cp))
    }

    /// The four queue pointers with the names of the files they point into.
    pub fn pointers(&self) -> [(&'static str, i32); 4] {
        [
            ("SRVTRANS.GLB", self.srvtrans_pointer),
            ("USRTRANS.GLB", self.usrtrans_pointer),
            ("GWTRANS.GLB", self.gwtrans_pointer),
            ("NMETRANS.GLB", self.nmetrans_pointer),
        ]
    }

    /// What `LISTDS -r -z` should do (a "local reset", KB Q96060):
    /// ReqSync, SrvSync and the import count become 0 (KB Q96060, Q119452);
    /// the four queue pointers become -1, which LISTDS 3.5 forgot to do
    /// (KB Q140462); the requested types, template options and size limit are
    /// cleared (KB Q180297: `-z` resets "all requestor information including
    /// any templates or gateway addresses", after which the administrator sets
    /// Types and Options again, KB Q96060). The last export and import times
    /// are kept (KB Q131681), and so is the server registration (only older
    /// LISTDS versions also cleared the server name, KB Q96060). The password
    /// is kept too: reconstructed, no article says what `-z` does to it.
    /// Unknown bytes are kept.
    pub fn reset(&mut self) {
        self.reqsync = 0;
        self.srvsync = 0;
        self.impsync = 0;
        self.srvtrans_pointer = NO_POINTER;
        self.usrtrans_pointer = NO_POINTER;
        self.gwtrans_pointer = NO_POINTER;
        self.nmetrans_pointer = NO_POINTER;
        self.types = Text::default();
        self.template_options = 0;
        self.size_limit = 0;
    }
}

/// Splits a `|`-separated type list, dropping empty entries.
pub fn split_types(s: &str) -> Vec<String> {
    s.split(TYPE_SEPARATOR)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The REQCONF.GLB layout: a 512-byte file with no records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReqConfFile;

impl Format for ReqConfFile {
    type Header = ReqConf;
    type Record = NoHeader;
    type Info<'a> = ();
    const HEADER_LEN: usize = REQCONF_LEN;
    const RECORD: RecordSize = RecordSize::None;

    fn size_rule() -> &'static str {
        "REQCONF.GLB is always exactly 512 bytes (KB Q77926, Q123437, Q148705)"
    }

    const SPEC: &'static str = "docs/formats/reqconf.md";

    fn header_fields() -> &'static [crate::layout::Field] {
        FIELDS
    }

    fn record_fields() -> &'static [crate::layout::Field] {
        &[]
    }

    fn decode_header(bytes: &[u8]) -> Result<ReqConf, FieldFault> {
        fixed::decode(bytes, FIELDS)
    }

    fn decode_record(_: &[u8], _: &mut NoHeader) -> Result<(), FieldFault> {
        Err(FieldFault::new(REQCONF_LEN, "records", Self::size_rule()))
    }

    fn encode_header(h: &ReqConf, out: &mut Vec<u8>) -> Result<(), FieldFault> {
        fixed::encode(h, out, FIELDS)
    }

    fn encode_record(_: &NoHeader, _: &mut Vec<u8>) -> Result<(), FieldFault> {
        Err(FieldFault::new(REQCONF_LEN, "records", Self::size_rule()))
    }
}

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

    fn bytes_of(h: &ReqConf) -> Vec<u8> {
        let doc = Document::<ReqConfFile> {
            kind: FileKind::Reqconf,
            header: Some(h.clone()),
            records: vec![],
            trailing: vec![],
        };
        doc.to_bytes().unwrap()
    }

    fn parse(b: &[u8]) -> crate::Result<Document<ReqConfFile>> {
        Document::<ReqConfFile>::from_bytes(b, FileKind::Reqconf, ReadOptions::default())
    }

    fn montgomery() -> ReqConf {
        ReqConf {
            server_network: text("POLYNOMIAL"),
            server_postoffice: text("MONTGOMERY"),
            reqsync: 17,
            srvsync: 80,
            impsync: 1,
            srvtrans_pointer: 0x0102_0304,
            usrtrans_pointer: 77,
            gwtrans_pointer: -1,
            nmetrans_pointer: 5,
            types: text("PCM|SNADS|X400|SMTP"),
            template_options: 3,
            size_limit: 500,
            last_export: Stamp(0x0A0B_0C0D),
            last_import: Stamp(9),
            ..ReqConf::default()
        }
    }

    #[test]
    fn the_file_is_exactly_the_documented_512_bytes() {
        assert_table_covers(FIELDS, 512);
        assert_eq!(bytes_of(&ReqConf::default()).len(), 512);
        assert_spans_cover(&montgomery(), FIELDS);
    }

    #[test]
    fn fields_the_admin_program_needs_lie_beyond_offset_100() {
        // KB Q123437: a REQCONF.GLB of 100 bytes or less cannot be used.
        let end_of_known = FIELDS
            .iter()
            .filter(|f| f.name != "reserved")
            .map(|f| f.start + f.len)
            .max()
            .unwrap();
        assert!(end_of_known > 100, "{end_of_known}");
    }

    #[test]
    fn offsets_hold_what_the_spec_says() {
        let b = bytes_of(&montgomery());
        assert_eq!(&b[0..11], b"POLYNOMIAL\0");
        assert_eq!(&b[11..22], b"MONTGOMERY\0");
        assert_eq!(&b[22..31], &[0; 9]);
        assert_eq!(&b[31..35], &17u32.to_le_bytes());
        assert_eq!(&b[35..39], &80u32.to_le_bytes());
        assert_eq!(&b[39..43], &1u32.to_le_bytes());
        assert_eq!(&b[43..47], &[0x0D, 0x0C, 0x0B, 0x0A]);
        assert_eq!(&b[47..51], &[9, 0, 0, 0]);
        assert_eq!(&b[51..55], &[4, 3, 2, 1]);
        assert_eq!(&b[55..59], &[77, 0, 0, 0]);
        assert_eq!(&b[59..63], &[0xFF; 4]);
        assert_eq!(&b[63..67], &[5, 0, 0, 0]);
        assert_eq!(&b[67..69], &[3, 0]);
        assert_eq!(&b[69..73], &500u32.to_le_bytes());
        assert_eq!(&b[73..93], b"PCM|SNADS|X400|SMTP\0");
        assert!(b[93..].iter().all(|&x| x == 0));
        let back = parse(&b).unwrap();
        assert_eq!(
            back.header
                .as_ref()
                .unwrap()
                .server(crate::codepage::CodePage::Cp850),
            "POLYNOMIAL/MONTGOMERY"
        );
        assert_eq!(
            back.header
                .unwrap()
                .types_list(crate::codepage::CodePage::Cp850),
            ["PCM", "SNADS", "X400", "SMTP"]
        );
    }

    #[test]
    fn wrong_sizes_are_size_errors_naming_512() {
        let b = bytes_of(&montgomery());
        for n in [0usize, 100, 511, 513, 1024] {
            let mut v = b.clone();
            v.resize(n, 0);
            match parse(&v) {
                Err(Error::Size { size, rule, .. }) => {
                    assert_eq!(size, n as u64);
                    assert!(rule.contains("512"), "{rule}");
                }
                other => panic!("{n} bytes: {other:?}"),
            }
        }
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = bytes_of(&montgomery());
        // Size unknown (a stream): the reader finds the end inside the header.
        let err = Reader::<ReqConfFile, _>::new(
            &b[..100],
            FileKind::Reqconf,
            None,
            ReadOptions::default(),
        )
        .err()
        .unwrap();
        let at = err.location().unwrap();
        assert_eq!((at.offset, at.field), (100, "types"));
        // Extra bytes after the header are reported too.
        let mut long = b.clone();
        long.push(0);
        let mut r = Reader::<ReqConfFile, _>::new(
            &long[..],
            FileKind::Reqconf,
            None,
            ReadOptions::default(),
        )
        .unwrap();
        assert!(matches!(r.next_record(), Err(Error::Size { .. })));
    }

    #[test]
    fn reset_clears_numbers_sets_pointers_to_minus_one_and_keeps_times_and_server() {
        let mut c = montgomery();
        c.reserved.0[10] = 0x5A;
        c.password = text("SECRET");
        c.reset();
        assert_eq!((c.reqsync, c.srvsync, c.impsync), (0, 0, 0));
        assert_eq!(
            (
                c.srvtrans_pointer,
                c.usrtrans_pointer,
                c.gwtrans_pointer,
                c.nmetrans_pointer
            ),
            (-1, -1, -1, -1)
        );
        assert_eq!(
            (c.last_export, c.last_import),
            (Stamp(0x0A0B_0C0D), Stamp(9))
        );
        assert_eq!(
            c.server(crate::codepage::CodePage::Cp850),
            "POLYNOMIAL/MONTGOMERY"
        );
        assert_eq!(c.password, text("SECRET"));
        assert!(c.types_list(crate::codepage::CodePage::Cp850).is_empty());
        assert_eq!(c.reserved.0[10], 0x5A);
        let b = bytes_of(&c);
        assert_eq!(&b[51..67], &[0xFF; 16]);
    }

    #[test]
    fn unknown_template_codes_round_trip() {
        assert_eq!(template_options_meaning(7), None);
        let mut c = montgomery();
        c.template_options = 0xBEEF;
        assert_eq!(parse(&bytes_of(&c)).unwrap().header.unwrap(), c);
    }

    fn arb_text<const N: usize>() -> impl Strategy<Value = Text<N>> {
        prop::collection::vec(any::<u8>(), N).prop_map(|v| Text(v.try_into().unwrap()))
    }

    prop_compose! {
        fn arb_reqconf()(
            names in (arb_text::<11>(), arb_text::<11>(), arb_text::<9>()),
            numbers in any::<(u32, u32, u32, u32, u32)>(),
            pointers in any::<(i32, i32, i32, i32)>(),
            options in any::<(u16, u32)>(),
            types in arb_text::<128>(),
            local in (arb_text::<11>(), arb_text::<11>()),
            reserved in prop::collection::vec(any::<u8>(), 289),
        ) -> ReqConf {
            ReqConf {
                server_network: names.0,
                server_postoffice: names.1,
                password: names.2,
                reqsync: numbers.0,
                srvsync: numbers.1,
                impsync: numbers.2,
                last_export: Stamp(numbers.3),
                last_import: Stamp(numbers.4),
                srvtrans_pointer: pointers.0,
                usrtrans_pointer: pointers.1,
                gwtrans_pointer: pointers.2,
                nmetrans_pointer: pointers.3,
                template_options: options.0,
                size_limit: options.1,
                types,
                local_network: local.0,
                local_postoffice: local.1,
                reserved: Reserved(reserved.try_into().unwrap()),
            }
        }
    }

    proptest! {
        #[test]
        fn any_512_bytes_parse_and_write_back_identically(b in prop::collection::vec(any::<u8>(), 512)) {
            let doc = parse(&b).unwrap();
            prop_assert_eq!(doc.to_bytes().unwrap(), b);
        }

        #[test]
        fn any_value_survives_bytes_and_json(c in arb_reqconf()) {
            let b = bytes_of(&c);
            prop_assert_eq!(b.len(), 512);
            let back = parse(&b).unwrap().header.unwrap();
            prop_assert_eq!(&back, &c);
            let json = serde_json::to_string(&c).unwrap();
            let from_json: ReqConf = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(from_json, c);
        }
    }
}
