//! The Dir-Sync transaction queues: REQTRANS, SRVTRANS, MSTTRANS, RESYNC,
//! USRTRANS, NMETRANS, GWTRANS, SRVUPDS, REQUPDS and Import's temporary
//! IUSRTRAN, INMETRAN and IGWTRANS. All share one record format (KB Q119449:
//! RESYNC.GLB has the record format of SRVTRANS.GLB).
//!
//! Spec: `docs/formats/queue.md`. The byte layout is *reconstructed*; it meets
//! every documented constraint (0-byte empty queue, 49-byte acknowledged
//! REQTRANS, 60-byte PODIAG REQTRANS, per-record checksum, date stamp and sync
//! number, text in Import format ended by a NUL). It is declared once: the
//! fixed part in `Fixed`, the text and its terminator in [`RECORD_FIELDS`]
//! (`glbtool layout reqtrans` prints it).

use std::io::Cursor;

use binrw::{BinRead, BinWrite};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::checksum::{checksum_pair, checksum_parts};
use crate::codepage::CodePage;
use crate::error::FieldFault;
use crate::fields::{Reserved, Stamp};
use crate::format::{Format, RecordSize};
use crate::import::{self, Transaction};
use crate::layout::{Annotate, Field, Provenance, Role, Span, Value};

/// Bytes of a record that are not text: the 24-byte fixed part and the NUL.
pub const OVERHEAD: usize = 25;
/// Offset of the text.
pub const TEXT_OFFSET: usize = 24;
/// The largest record the 16-bit length field allows.
pub const MAX_RECORD: usize = u16::MAX as usize;
/// The longest text a record can hold.
pub const MAX_TEXT: usize = MAX_RECORD - OVERHEAD;

/// Text of the dummy transaction REQMAIN keeps at T3 (reconstructed: the real
/// text is not documented; 24 characters make the documented 49-byte file).
pub const ACK_DUMMY_TEXT: &str = "# Last confirmed ReqSync";
/// Text of the record PODIAG installs (documented, KB Q110496).
pub const PODIAG_DUMMY_TEXT: &str = "# Dummy record installed by PODIAG.";

crate::fixed::fixed_struct! {
    /// The fixed leading part of a record.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, BinRead, BinWrite)]
    #[brw(little)]
    struct Fixed in FIXED_FIELDS {
        length: u16 = (Length, "whole record in bytes, 25 + text length",
            Reconstructed("a length prefix lets a reader skip a record and detect truncation; 16 bits suffice for any transaction")),
        checksum: u16 = (Checksum, "CRC-16/ARC over every other byte of the record",
            Reconstructed("each transaction carries a checksum that LISTQ prints as 4 hex digits (KB Q96060); its place, its coverage and the algorithm are glbtool's choice")),
        sync: u32 = (Sync, "the transaction's sync number",
            Reconstructed("each transaction carries a sync number (KB Q96060); 32 bits from the 10-digit printing (KB Q110496, Q118298); its place is glbtool's choice")),
        date_stamp: Stamp = (Time, "seconds since 1970-01-01 UTC",
            Reconstructed("each transaction carries a date stamp printed like C ctime() (KB Q96060); C time_t and its place are glbtool's choice")),
        reserved: Reserved<12> = (Unknown, "unknown (glbtool writes zeros)",
            Unknown("the documented sizes (49 and 60 bytes for one record with 24- and 35-character texts, KB Q133428, Q110496) leave 24 bytes of fixed part; 12 of them are unassigned")),
    }
}

/// Where the variable text's terminator lies in [`RECORD_FIELDS`]: right after
/// the text, whose width varies (`glbtool layout` prints `+24+n`).
pub const AFTER_TEXT: usize = usize::MAX;

/// The record's fields: the fixed part, the text (as wide as the record
/// leaves, at least 0 bytes) and its NUL terminator.
pub const RECORD_FIELDS: &[Field] = &record_fields();

const fn record_fields() -> [Field; 7] {
    let mut out = [Field::EMPTY; 7];
    let mut i = 0;
    while i < FIXED_FIELDS.len() {
        out[i] = FIXED_FIELDS[i];
        i += 1;
    }
    out[5] = Field {
        start: TEXT_OFFSET,
        len: usize::MAX - TEXT_OFFSET,
        name: "text",
        ty: "text (n bytes)",
        role: Role::Text,
        note: "the transaction in Import format, lines joined by CR LF",
        provenance: Provenance::Reconstructed("the text is an Import-file transaction (KB Q96060), in the postoffice's OEM code page (CP850 in English and Western European builds, KB Q156063, Q87432); its place after a 24-byte fixed part follows from the documented 49- and 60-byte files; CR LF between lines is glbtool's choice"),
    };
    out[6] = Field {
        start: AFTER_TEXT,
        len: 1,
        name: "terminator",
        ty: "u8",
        role: Role::Terminator,
        note: "0x00",
        provenance: Provenance::Documented("KB Q110496 shows a <00> right after the text"),
    };
    out
}

impl Fixed {
    /// Reads the fixed part from the front of `bytes`.
    ///
    /// This is the hot path of every queue reader, so the fields are taken
    /// straight from their offsets rather than through binrw's reader (about
    /// five times quicker); the binrw derive stays the definition of the
    /// layout, used for writing, and a property test checks both readings
    /// agree on every input.
    fn from_bytes(bytes: &[u8]) -> Result<Fixed, FieldFault> {
        let Some(b) = bytes.first_chunk::<TEXT_OFFSET>() else {
            return Fixed::read(&mut Cursor::new(bytes)).map_err(|e| {
                FieldFault::new(0, "length", format!("unreadable record header: {e}"))
            });
        };
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut reserved = [0u8; 12];
        reserved.copy_from_slice(&b[12..24]);
        Ok(Fixed {
            length: u16_at(0),
            checksum: u16_at(2),
            sync: u32_at(4),
            date_stamp: Stamp(u32_at(8)),
            reserved: Reserved(reserved),
        })
    }
}

/// A stored checksum, or (in JSON given to `build`) a request to compute it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Checksum {
    /// The value stored in the file.
    Stored(u16),
    /// Compute glbtool's checksum when writing.
    #[default]
    Auto,
}

impl Serialize for Checksum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Checksum::Stored(v) => s.serialize_str(&format!("{v:04X}")),
            Checksum::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for Checksum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Checksum::Auto);
        }
        let digits = !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_hexdigit());
        digits
            .then(|| u16::from_str_radix(&s, 16).ok())
            .flatten()
            .map(Checksum::Stored)
            .ok_or_else(|| {
                D::Error::custom(format!(
                    "expected 4 hex digits such as \"FB16\", or \"auto\"; got {s:?}"
                ))
            })
    }
}

/// One queue record: a transaction with its checksum, sync number and date stamp.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct QueueRecord {
    /// The stored checksum (in JSON: computed when left out, or `"auto"`).
    #[serde(default)]
    pub checksum: Checksum,
    /// The sync number.
    pub sync: u32,
    /// When the entry was placed in the file.
    pub date_stamp: Stamp,
    /// Unknown bytes, kept verbatim.
    #[serde(default)]
    pub reserved: Reserved<12>,
    /// The transaction text, without the NUL terminator.
    #[serde(with = "cp_text")]
    pub text: Vec<u8>,
}

/// Serde for raw text bytes: JSON in the document's code page through
/// `glb_formats::json`, in CP850 through serde_json called directly (see
/// `fields::text_serde`).
pub mod cp_text {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use crate::codepage::CodePage;
    use crate::fields::text_serde::{self, Shape, TextField};

    /// As a string.
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        text_serde::serialize(b, Shape::Free, s)
    }

    /// From a string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        text_serde::deserialize::<_, Free>(d).map(|f| f.0)
    }

    struct Free(Vec<u8>);

    impl TextField for Free {
        fn read<'de, D: Deserializer<'de>>(d: D, cp: CodePage) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            cp.encode(&s).map(Free).map_err(|c| {
                D::Error::custom(format!("character {c:?} does not exist in code page {cp}"))
            })
        }

        fn from_raw(raw: Vec<u8>) -> Result<Self, String> {
            Ok(Free(raw))
        }
    }
}

/// The numbers in the RESYNC.GLB header transaction (KB Q119449).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResyncHeader {
    /// Import count to store in the requestor's REQCONF.
    pub impseq: u32,
    /// ReqSync to store: the largest over all SRVCONF requestor records.
    pub reqseq: u32,
    /// SrvSync to store: the server postoffice's own SRVCONF record.
    pub srvseq: u32,
}

const RESYNC_PREFIX: &str = "# RESYNC ";

impl ResyncHeader {
    /// The header's text (reconstructed encoding: a `#` transaction, harmless
    /// to readers that do not know it, with the three numbers as 10-digit
    /// fields in the `SRVSEQ=0000000644` style of Dir-Sync messages, KB Q118298).
    pub fn text(&self) -> String {
        format!(
            "{RESYNC_PREFIX}IMPSEQ={:010} REQSEQ={:010} SRVSEQ={:010}",
            self.impseq, self.reqseq, self.srvseq
        )
    }

    /// Recognises a header text in exactly the canonical form.
    pub fn from_text(text: &[u8]) -> Option<ResyncHeader> {
        let rest = text.strip_prefix(RESYNC_PREFIX.as_bytes())?;
        if rest.len() != 3 * 17 + 2 {
            return None;
        }
        let field = |at: usize, key: &[u8]| -> Option<u32> {
            let f = rest.get(at..at + 17)?;
            if &f[..7] != key || !f[7..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(&f[7..]).ok()?.parse().ok()
        };
        if rest[17] != b' ' || rest[35] != b' ' {
            return None;
        }
        Some(ResyncHeader {
            impseq: field(0, b"IMPSEQ=")?,
            reqseq: field(18, b"REQSEQ=")?,
            srvseq: field(36, b"SRVSEQ=")?,
        })
    }
}

impl ResyncHeader {
    /// Recognises a header text written the way Import reads numbers: `#`,
    /// `RESYNC` and the three `KEY=number` fields in this order, in any
    /// letter case, with any spacing (also around `=`) and any digit count
    /// (1 to 10 digits, at most 4,294,967,295). The canonical form is one of
    /// them; [`ResyncHeader::text`] writes it.
    pub fn parse_loose(text: &[u8]) -> Option<ResyncHeader> {
        let mut at = 0;
        let skip = |at: &mut usize| {
            while text.get(*at).is_some_and(|b| *b == b' ' || *b == b'\t') {
                *at += 1;
            }
        };
        let word = |at: &mut usize, w: &[u8]| -> Option<()> {
            let got = text.get(*at..*at + w.len())?;
            got.eq_ignore_ascii_case(w).then(|| *at += w.len())
        };
        word(&mut at, b"#")?;
        skip(&mut at);
        word(&mut at, b"RESYNC")?;
        let mut numbers = [0u32; 3];
        for (n, key) in numbers
            .iter_mut()
            .zip([&b"IMPSEQ"[..], b"REQSEQ", b"SRVSEQ"])
        {
            let before = at;
            skip(&mut at);
            if at == before {
                return None; // fields are separated by blanks
            }
            word(&mut at, key)?;
            skip(&mut at);
            word(&mut at, b"=")?;
            skip(&mut at);
            let digits = text[at..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 || digits > 10 {
                return None;
            }
            *n = std::str::from_utf8(&text[at..at + digits])
                .ok()?
                .parse()
                .ok()?;
            at += digits;
        }
        skip(&mut at);
        (at == text.len()).then_some(ResyncHeader {
            impseq: numbers[0],
            reqseq: numbers[1],
            srvseq: numbers[2],
        })
    }
}

/// What a record's text means.
// A short-lived value returned by `QueueRecord::payload`, never stored in
// bulk: boxing the transaction would only add an allocation per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload<'a> {
    /// A RESYNC.GLB header transaction.
    ResyncHeader(ResyncHeader),
    /// Any other transaction (including `#` dummies).
    Transaction(Transaction<'a>),
}

impl QueueRecord {
    /// A record with `text`, checksum computed.
    pub fn new(sync: u32, date_stamp: Stamp, text: &[u8]) -> QueueRecord {
        let mut r = QueueRecord {
            checksum: Checksum::Auto,
            sync,
            date_stamp,
            reserved: Reserved::default(),
            text: text.to_vec(),
        };
        r.checksum = Checksum::Stored(r.computed_checksum());
        r
    }

    /// The REQMAIN dummy that keeps the last confirmed ReqSync (49 bytes).
    pub fn ack_dummy(reqsync: u32, date_stamp: Stamp) -> QueueRecord {
        QueueRecord::new(reqsync, date_stamp, ACK_DUMMY_TEXT.as_bytes())
    }

    /// The record PODIAG installs (60 bytes).
    pub fn podiag_dummy(reqsync: u32, date_stamp: Stamp) -> QueueRecord {
        QueueRecord::new(reqsync, date_stamp, PODIAG_DUMMY_TEXT.as_bytes())
    }

    /// A RESYNC.GLB header record (sync number 0).
    pub fn resync_header(h: ResyncHeader, date_stamp: Stamp) -> QueueRecord {
        QueueRecord::new(0, date_stamp, h.text().as_bytes())
    }

    /// The record's size on disk.
    pub fn len_on_disk(&self) -> usize {
        OVERHEAD + self.text.len()
    }

    /// The checksum glbtool's algorithm gives for this record.
    pub fn computed_checksum(&self) -> u16 {
        let len = (self.len_on_disk().min(MAX_RECORD) as u16).to_le_bytes();
        let mut fixed = [0u8; 20];
        fixed[..4].copy_from_slice(&self.sync.to_le_bytes());
        fixed[4..8].copy_from_slice(&self.date_stamp.0.to_le_bytes());
        fixed[8..].copy_from_slice(&self.reserved.0);
        checksum_parts(&[&len, &fixed, &self.text, &[0]])
    }

    /// The stored checksum (the computed one when `Auto`).
    pub fn stored_checksum(&self) -> u16 {
        match self.checksum {
            Checksum::Stored(v) => v,
            Checksum::Auto => self.computed_checksum(),
        }
    }

    /// True when the stored checksum matches glbtool's algorithm.
    pub fn checksum_ok(&self) -> bool {
        self.stored_checksum() == self.computed_checksum()
    }

    /// What the text means, with a transaction's text in code page `cp`.
    pub fn payload(&self, cp: CodePage) -> Payload<'_> {
        match ResyncHeader::from_text(&self.text) {
            Some(h) => Payload::ResyncHeader(h),
            None => Payload::Transaction(import::parse(&self.text, cp)),
        }
    }

    /// The RESYNC header numbers, if this record is a header transaction.
    pub fn resync_header_numbers(&self) -> Option<ResyncHeader> {
        ResyncHeader::from_text(&self.text)
    }
}

/// True when `text` is no transaction Import would apply: a `#` line (the
/// reconstructed REQMAIN dummy and PODIAG's, KB Q110496), or text Import's
/// grammar rejects (a problem other than the `[ 16]` warning). REQMAIN's
/// dummy, which keeps the last confirmed ReqSync (KB Q96060, Q133428), has
/// undocumented text: REQTRANS.GLB's first record of this kind is taken as
/// that dummy (by `validate` and by `patch-seq --renumber-from`).
pub fn not_a_transaction(text: &[u8]) -> bool {
    // Which issues a text has does not depend on the code page.
    let t = import::parse(text, CodePage::default());
    t.command == import::Command::Comment || t.issues.iter().any(|i| i.message != 16)
}

/// The checksum glbtool's algorithm gives for a record's bytes as stored:
/// the CRC of every byte but the checksum field itself. Equal to
/// [`QueueRecord::computed_checksum`] of the record those bytes decode to, and
/// quicker when the bytes are at hand (two contiguous runs instead of four
/// pieces).
pub fn checksum_of_stored(raw: &[u8]) -> u16 {
    checksum_pair(raw.get(..2).unwrap_or(raw), raw.get(4..).unwrap_or(&[]))
}

impl Annotate for QueueRecord {
    fn spans(&self, cp: crate::codepage::CodePage, out: &mut Vec<Span>) {
        let n = self.text.len();
        let f = RECORD_FIELDS;
        out.push(Span::of(&f[0], Value::Unsigned(self.len_on_disk() as u64)));
        out.push(Span::of(
            &f[1],
            Value::Checksum {
                stored: self.stored_checksum(),
                computed: self.computed_checksum(),
            },
        ));
        out.push(Span::of(&f[2], Value::Unsigned(u64::from(self.sync))));
        out.push(Span::of(&f[3], Value::Time(self.date_stamp)));
        out.push(Span::of(&f[4], Value::Bytes));
        out.push(Span::sized(&f[5], n, Value::Text(cp.decode(&self.text))));
        out.push(Span {
            start: TEXT_OFFSET + n,
            ..Span::of(&f[6], Value::Unsigned(0))
        });
    }
}

/// Derived facts shown under `info` in JSON.
#[derive(Debug, Serialize)]
pub struct QueueInfo<'a> {
    /// Record size on disk.
    pub length: usize,
    /// Whether the stored checksum matches glbtool's CRC-16/ARC.
    pub checksum_ok: bool,
    /// The checksum glbtool computes.
    pub checksum_computed: String,
    /// The RESYNC header numbers, when this is a header transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resync_header: Option<ResyncHeader>,
    /// The parsed transaction, with at most [`INFO_ISSUES`] of its issues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<Transaction<'a>>,
    /// How many issues the transaction has, when more than [`INFO_ISSUES`]
    /// (`validate` lists them all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_count: Option<usize>,
}

/// The most issues `info.transaction` lists: a 64 KB text of empty lines
/// has tens of thousands, which would make one record's JSON megabytes long.
pub const INFO_ISSUES: usize = 100;

/// The queue record format.
#[derive(Debug, Clone, Copy)]
pub struct Queue;

impl Format for Queue {
    type Header = crate::format::NoHeader;
    type Record = QueueRecord;
    type Info<'a> = QueueInfo<'a>;
    const HEADER_LEN: usize = 0;
    const RECORD: RecordSize = RecordSize::Prefixed {
        min: OVERHEAD,
        max: MAX_RECORD,
    };

    fn size_rule() -> &'static str {
        "a queue file is a sequence of whole records, each 25 bytes plus its text (reconstructed layout, docs/formats/queue.md)"
    }

    const SPEC: &'static str = "docs/formats/queue.md";

    fn header_fields() -> &'static [Field] {
        &[]
    }

    fn record_fields() -> &'static [Field] {
        RECORD_FIELDS
    }

    fn decode_header(_: &[u8]) -> Result<Self::Header, FieldFault> {
        Ok(crate::format::NoHeader)
    }

    fn decode_record(bytes: &[u8], out: &mut QueueRecord) -> Result<(), FieldFault> {
        // The reader hands over exactly `length` bytes, at least OVERHEAD long.
        let fixed = Fixed::from_bytes(bytes)?;
        let n = bytes.len();
        if usize::from(fixed.length) != n {
            return Err(FieldFault::new(
                0,
                "length",
                format!(
                    "length field {} disagrees with the {n} bytes read",
                    fixed.length
                ),
            ));
        }
        let last = bytes[n - 1];
        if last != 0 {
            return Err(FieldFault::new(
                n - 1,
                "terminator",
                format!("the record's last byte is 0x{last:02x}, not the NUL that ends the text; the length field is probably corrupt"),
            ));
        }
        out.checksum = Checksum::Stored(fixed.checksum);
        out.sync = fixed.sync;
        out.date_stamp = fixed.date_stamp;
        out.reserved = fixed.reserved;
        out.text.clear();
        out.text.extend_from_slice(&bytes[TEXT_OFFSET..n - 1]);
        Ok(())
    }

    fn encode_header(_: &Self::Header, _: &mut Vec<u8>) -> Result<(), FieldFault> {
        Ok(())
    }

    fn encode_record(r: &QueueRecord, out: &mut Vec<u8>) -> Result<(), FieldFault> {
        if r.text.len() > MAX_TEXT {
            return Err(FieldFault::new(
                TEXT_OFFSET,
                "text",
                format!(
                    "text is {} bytes, a record holds at most {MAX_TEXT}",
                    r.text.len()
                ),
            ));
        }
        let fixed = Fixed {
            length: r.len_on_disk() as u16,
            checksum: r.stored_checksum(),
            sync: r.sync,
            date_stamp: r.date_stamp,
            reserved: r.reserved,
        };
        let start = out.len();
        let mut cur = Cursor::new(std::mem::take(out));
        cur.set_position(start as u64);
        fixed
            .write(&mut cur)
            .map_err(|e| FieldFault::new(0, "length", format!("cannot encode: {e}")))?;
        *out = cur.into_inner();
        out.extend_from_slice(&r.text);
        out.push(0);
        Ok(())
    }

    fn derived_from(key: &str) -> &'static str {
        match key {
            "length" | "issue_count" => "text",
            "resync_header" => {
                "text` (or leave `text` out to have it written from `info.resync_header`"
            }
            "transaction" => {
                "text` (or leave `text` out to have it written from `info.transaction`"
            }
            "checksum_ok" => "checksum",
            "checksum_computed" => "sync, date_stamp, reserved and text",
            _ => "the record's stored fields",
        }
    }

    fn sealed(r: &QueueRecord) -> Option<bool> {
        Some(r.checksum_ok())
    }

    fn reseal(r: &mut QueueRecord) {
        r.checksum = Checksum::Stored(r.computed_checksum());
    }

    fn normalize(kind: crate::kind::FileKind, r: &mut QueueRecord) -> Option<String> {
        if kind != crate::kind::FileKind::Resync || ResyncHeader::from_text(&r.text).is_some() {
            return None;
        }
        let h = ResyncHeader::parse_loose(&r.text)?;
        r.text = h.text().into_bytes();
        Some(format!(
            "RESYNC header written in glbtool's form `{}`",
            h.text()
        ))
    }

    fn from_structured(
        stored: &mut serde_json::Map<String, serde_json::Value>,
        info: &serde_json::Value,
        cp: CodePage,
    ) -> Result<Option<&'static str>, (String, String)> {
        structured::complete(stored, info, cp)
    }

    fn info(r: &QueueRecord, cp: CodePage) -> Option<QueueInfo<'_>> {
        let computed = r.computed_checksum();
        let (resync_header, mut transaction) = match r.payload(cp) {
            Payload::ResyncHeader(h) => (Some(h), None),
            Payload::Transaction(t) => (None, Some(t)),
        };
        let issues = transaction.as_ref().map_or(0, |t| t.issues.len());
        let issue_count = (issues > INFO_ISSUES).then_some(issues);
        if let Some(t) = transaction.as_mut() {
            t.issues.truncate(INFO_ISSUES);
        }
        Some(QueueInfo {
            length: r.len_on_disk(),
            checksum_ok: r.stored_checksum() == computed,
            checksum_computed: format!("{computed:04X}"),
            resync_header,
            transaction,
            issue_count,
        })
    }
}

/// A queue record's `text` written from the structured form under `info`
/// when the JSON document leaves `text` out (`docs/json.md`).
mod structured {
    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::ResyncHeader;
    use crate::codepage::CodePage;
    use crate::import::{self, Address, Command, Layout, ModifyTarget, TemplateInfo, Transaction};

    type Refusal = (String, String);

    fn refuse(path: &str, message: impl Into<String>) -> Refusal {
        (path.to_string(), message.into())
    }

    /// Fills `text` from `info.resync_header` or `info.transaction`.
    pub fn complete(
        stored: &mut Map<String, Value>,
        info: &Value,
        cp: CodePage,
    ) -> Result<Option<&'static str>, Refusal> {
        if stored.contains_key("text") {
            return Ok(None);
        }
        if let Some(h) = info.get("resync_header") {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Numbers {
                impseq: u32,
                reqseq: u32,
                srvseq: u32,
            }
            let n: Numbers = serde_json::from_value(h.clone())
                .map_err(|e| refuse("info.resync_header", e.to_string()))?;
            let h = ResyncHeader {
                impseq: n.impseq,
                reqseq: n.reqseq,
                srvseq: n.srvseq,
            };
            stored.insert("text".into(), Value::String(h.text()));
            return Ok(Some("text written from info.resync_header"));
        }
        if let Some(t) = info.get("transaction") {
            let text = transaction_text(cp, t)?;
            stored.insert("text".into(), Value::String(text));
            return Ok(Some("text written from info.transaction"));
        }
        Ok(None)
    }

    /// Bytes of a JSON string in code page `cp`.
    fn bytes(cp: CodePage, v: &Value, path: &str) -> Result<Vec<u8>, Refusal> {
        let s = v
            .as_str()
            .ok_or_else(|| refuse(path, "expected a string"))?;
        cp.encode(s).map_err(|c| {
            refuse(
                path,
                format!("character {c:?} does not exist in code page {cp}"),
            )
        })
    }

    /// `"TYPE:body"`, or `{"type": "PCM", "address": "NET/PO/MBX"}` as dumped
    /// (`type_written: false` writes the body alone).
    fn address(cp: CodePage, v: &Value, path: &str) -> Result<Vec<u8>, Refusal> {
        if v.is_string() {
            return bytes(cp, v, path);
        }
        let body = bytes(
            cp,
            v.get("address").ok_or_else(|| {
                refuse(
                    path,
                    "an address needs `address` (the part after the colon)",
                )
            })?,
            &format!("{path}.address"),
        )?;
        let written = v
            .get("type_written")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let mut out = Vec::new();
        if written {
            let ty = v
                .get("type")
                .ok_or_else(|| refuse(path, "an address needs `type` (PCM, SMTP, ...)"))?;
            out = bytes(cp, ty, &format!("{path}.type"))?;
            out.push(b':');
        }
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn layout(v: Option<&Value>, path: &str) -> Result<Layout, Refusal> {
        match v.map(|v| v.as_str()) {
            None | Some(Some("columns")) => Ok(Layout::Columns),
            Some(Some("tabs")) => Ok(Layout::Tabs),
            _ => Err(refuse(path, "expected \"columns\" or \"tabs\"")),
        }
    }

    /// The text of a transaction given as its structured form, in the
    /// documented layout (KB Q96001: alias from column 3, address from
    /// column 34; or `"layout": "tabs"`). Every field given must agree with
    /// what the written text parses to, so nothing given is lost.
    fn transaction_text(cp: CodePage, t: &Value) -> Result<String, Refusal> {
        const AT: &str = "info.transaction";
        let command = match t.get("command").and_then(Value::as_str) {
            Some("A") => Command::Add,
            Some("D") => Command::Delete,
            Some("M") => Command::Modify,
            Some("R") => Command::Replace,
            Some("T") => Command::Template,
            Some("#") => Command::Comment,
            _ => {
                return Err(refuse(
                    &format!("{AT}.command"),
                    "expected one of \"A\", \"D\", \"M\", \"R\", \"T\", \"#\"",
                ))
            }
        };
        let lay = layout(t.get("layout"), &format!("{AT}.layout"))?;
        let alias = t
            .get("alias")
            .map(|v| bytes(cp, v, &format!("{AT}.alias")))
            .transpose()?;
        let addr = t
            .get("address")
            .map(|v| address(cp, v, &format!("{AT}.address")))
            .transpose()?;
        let new = match t.get("new") {
            Some(n) => Some((
                bytes(
                    cp,
                    n.get("alias").unwrap_or(&Value::Null),
                    &format!("{AT}.new.alias"),
                )?,
                address(
                    cp,
                    n.get("address").unwrap_or(&Value::Null),
                    &format!("{AT}.new.address"),
                )?,
                layout(n.get("layout"), &format!("{AT}.new.layout"))?,
            )),
            None => None,
        };
        let mut info = Vec::new();
        for (i, line) in t
            .get("template")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("{AT}.template[{i}]");
            info.push((
                bytes(
                    cp,
                    line.get("prompt").unwrap_or(&Value::Null),
                    &format!("{at}.prompt"),
                )?,
                bytes(
                    cp,
                    line.get("value").unwrap_or(&Value::Null),
                    &format!("{at}.value"),
                )?,
            ));
        }
        let mut defs = Vec::new();
        for (i, d) in t
            .get("template_definition")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            defs.push(bytes(cp, d, &format!("{AT}.template_definition[{i}]"))?);
        }
        let comment = t
            .get("comment")
            .map(|v| bytes(cp, v, &format!("{AT}.comment")))
            .transpose()?;
        let parsed_address = addr.as_deref().map(Address::parse);
        let tx = Transaction {
            command,
            layout: lay,
            alias: alias.as_deref(),
            address: parsed_address,
            modify_target: new.as_ref().map(|(a, ad, l)| ModifyTarget {
                layout: *l,
                alias: a,
                address: Address::parse(ad),
            }),
            template_info: info
                .iter()
                .map(|(p, v)| TemplateInfo {
                    prompt: p,
                    value: v,
                })
                .collect(),
            template_defs: defs.iter().map(Vec::as_slice).collect(),
            comment: comment.as_deref(),
            issues: Vec::new(),
            codepage: cp,
        };
        let text = tx.to_text();
        if text.is_empty() {
            return Err(refuse(AT, "this transaction has no text form"));
        }
        // Everything given must be what the written text says.
        let back = serde_json::to_value(import::parse(&text, cp)).unwrap_or(Value::Null);
        let mut given = t.clone();
        // An address given as one string has no parts to compare.
        if given.get("address").is_some_and(Value::is_string) {
            given.as_object_mut().map(|m| m.remove("address"));
        }
        if let Some(n) = given.get_mut("new") {
            if n.get("address").is_some_and(Value::is_string) {
                n.as_object_mut().map(|m| m.remove("address"));
            }
        }
        if let Some((path, given, got)) = crate::json::first_difference(&given, &back) {
            return Err(refuse(
                &format!("{AT}{path}"),
                format!(
                    "{given} does not follow from the transaction's other fields (its text would say {got}); write `text` instead"
                ),
            ));
        }
        Ok(cp.decode(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Document, ReadOptions};
    use crate::kind::FileKind;

    fn bytes_of(records: &[QueueRecord]) -> Vec<u8> {
        let doc = Document::<Queue> {
            kind: FileKind::Reqtrans,
            header: Some(crate::format::NoHeader),
            records: records.to_vec(),
            trailing: vec![],
        };
        doc.to_bytes().unwrap()
    }

    #[test]
    fn documented_sizes_of_the_single_record_files() {
        // KB Q133428: an acknowledged REQTRANS holding only the dummy is 49 bytes.
        assert_eq!(bytes_of(&[QueueRecord::ack_dummy(17, Stamp(0))]).len(), 49);
        // KB Q110496: the PODIAG-made REQTRANS with its one record is 60 bytes.
        assert_eq!(
            bytes_of(&[QueueRecord::podiag_dummy(17, Stamp(0))]).len(),
            60
        );
        // An empty queue is 0 bytes.
        assert!(bytes_of(&[]).is_empty());
    }

    #[test]
    fn layout_places_fields_where_the_spec_says() {
        let r = QueueRecord::new(0x01020304, Stamp(0x0A0B0C0D), b"R PCM:N/P");
        let b = bytes_of(std::slice::from_ref(&r));
        assert_eq!(&b[0..2], &(b.len() as u16).to_le_bytes());
        assert_eq!(&b[2..4], &r.computed_checksum().to_le_bytes());
        assert_eq!(&b[4..8], &[4, 3, 2, 1]);
        assert_eq!(&b[8..12], &[0x0D, 0x0C, 0x0B, 0x0A]);
        assert_eq!(&b[12..24], &[0; 12]);
        assert_eq!(&b[24..33], b"R PCM:N/P");
        assert_eq!(b[33], 0);
    }

    #[test]
    fn parse_then_write_gives_the_same_bytes() {
        let mut odd = QueueRecord::new(
            5,
            Stamp(765_720_832),
            b"A Paul\tPCM:POLYNOMIAL/MONTGOMERY/paul",
        );
        odd.reserved.0[3] = 0xAB;
        odd.checksum = Checksum::Stored(0x1234);
        let b = bytes_of(&[odd, QueueRecord::ack_dummy(6, Stamp(1))]);
        let doc =
            Document::<Queue>::from_bytes(&b, FileKind::Reqtrans, ReadOptions::default()).unwrap();
        assert_eq!(doc.records.len(), 2);
        assert!(!doc.records[0].checksum_ok());
        assert!(doc.records[1].checksum_ok());
        assert_eq!(doc.to_bytes().unwrap(), b);
    }

    proptest::proptest! {
        #[test]
        fn fixed_part_reads_as_binrw_reads_it(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let ours = Fixed::from_bytes(&bytes);
            let theirs = Fixed::read(&mut Cursor::new(&bytes[..]));
            match (ours, theirs) {
                (Ok(a), Ok(b)) => proptest::prop_assert_eq!(a, b),
                (Err(a), Err(_)) => proptest::prop_assert_eq!(a.field, "length"),
                (a, b) => proptest::prop_assert!(false, "{:?} vs {:?}", a, b),
            }
        }
    }

    #[test]
    fn checksum_of_stored_bytes_equals_the_records_checksum() {
        for text in [&b""[..], b"R PCM:N/P", &[b'x'; 100][..]] {
            let mut r = QueueRecord::new(0xDEAD_BEEF, Stamp(0x0102_0304), text);
            r.reserved.0[5] = 0x77;
            r.checksum = Checksum::Stored(0x1234);
            let b = bytes_of(std::slice::from_ref(&r));
            assert_eq!(checksum_of_stored(&b), r.computed_checksum());
            assert_ne!(checksum_of_stored(&b), 0x1234);
        }
    }

    #[test]
    fn corrupt_length_names_offset_record_and_field() {
        let mut b = bytes_of(&[
            QueueRecord::ack_dummy(1, Stamp(0)),
            QueueRecord::ack_dummy(2, Stamp(0)),
        ]);
        b[49] = 5; // second record's length: below the 24-byte minimum
        let err = Document::<Queue>::from_bytes(&b, FileKind::Reqtrans, ReadOptions::default())
            .unwrap_err();
        let at = err.location().expect("a format error");
        assert_eq!((at.offset, at.record, at.field), (49, Some(1), "length"));
        let msg = err.to_string();
        assert!(msg.contains("record 1"), "{msg}");
    }

    #[test]
    fn missing_nul_is_reported_on_the_terminator() {
        let mut b = bytes_of(&[QueueRecord::ack_dummy(1, Stamp(0))]);
        b[48] = b'!';
        let err = Document::<Queue>::from_bytes(&b, FileKind::Reqtrans, ReadOptions::default())
            .unwrap_err();
        let at = err.location().unwrap();
        assert_eq!(
            (at.offset, at.record, at.field),
            (48, Some(0), "terminator")
        );
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = bytes_of(&[QueueRecord::ack_dummy(1, Stamp(0))]);
        let err =
            Document::<Queue>::from_bytes(&b[..10], FileKind::Reqtrans, ReadOptions::default())
                .unwrap_err();
        let at = err.location().unwrap();
        assert_eq!((at.offset, at.field), (10, "date_stamp"));
        // Salvage keeps the cut record as trailing bytes and writes them back.
        let doc = Document::<Queue>::from_bytes(
            &b[..10],
            FileKind::Reqtrans,
            ReadOptions {
                salvage: true,
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(doc.records.len(), 0);
        assert_eq!(doc.trailing.len(), 10);
        assert_eq!(doc.to_bytes().unwrap(), &b[..10]);
    }

    #[test]
    fn resync_header_text_round_trips_and_is_recognised() {
        let h = ResyncHeader {
            impseq: 2,
            reqseq: 18,
            srvseq: 80,
        };
        let r = QueueRecord::resync_header(h, Stamp(0));
        assert_eq!(r.resync_header_numbers(), Some(h));
        assert_eq!(
            ResyncHeader::from_text(b"# RESYNC IMPSEQ=2 REQSEQ=18 SRVSEQ=80"),
            None
        );
        assert!(matches!(
            r.payload(crate::codepage::CodePage::Cp850),
            Payload::ResyncHeader(_)
        ));
    }
}
