//! PROCESS.GLB: the Dir-Sync schedule every postoffice keeps, which Dispatch
//! polls to start `NSDA -RT` (T1), `NSDA -S` (T2, server only) and `NSDA -RR`
//! (T3). A 512-byte header of unknown meaning, then one 197-byte record per
//! scheduled run, one per process and weekday (KB Q77926, Q197407).
//!
//! Spec: `docs/formats/process.md`. The sizes and the contents (as the
//! DSSCHED record dump shows them, KB Q148718) are documented; the byte
//! layout, declared once in [`ProcessHeader`] and [`ProcessRecord`]
//! (`glbtool layout process` prints it), is *reconstructed*, byte-packed and
//! little-endian (197 is odd, so the record cannot have been padded for
//! alignment).

use binrw::{BinRead, BinWrite};
use serde::{Deserialize, Serialize};

use crate::fields::{Reserved, Stamp, Text};
use crate::fixed;
use crate::format::Document;
use crate::kind::FileKind;
use crate::layout::Value;

/// The documented size of the header.
pub const HEADER_LEN: usize = 512;
/// The documented size of a record.
pub const RECORD_LEN: usize = 197;
/// One week in seconds: what Dispatch adds after each run (KB Q96060, Q135352).
pub const WEEK_SECONDS: u32 = 604_800;
/// The run window ADMIN 3.2 and later write: 8 hours (KB Q119590, Q148718).
pub const WINDOW_ADMIN_32: u32 = 8 * 3600;
/// The run window ADMIN 3.0 wrote: 4 hours (KB Q119590).
pub const WINDOW_ADMIN_30: u32 = 4 * 3600;

/// The three Dir-Sync processes Dispatch starts (KB Q96060).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessKind {
    /// T1: the requestor sends its updates (`NSDA -RT`).
    RequestorSends,
    /// T2: the server processes updates (`NSDA -S`), on the server only.
    ServerProcess,
    /// T3: the requestor processes the server's updates (`NSDA -RR`).
    RequestorProcesses,
}

impl ProcessKind {
    /// All three, in T1, T2, T3 order.
    pub const ALL: [ProcessKind; 3] = [
        ProcessKind::RequestorSends,
        ProcessKind::ServerProcess,
        ProcessKind::RequestorProcesses,
    ];

    /// The kind a stored code denotes (reconstructed codes 1, 2, 3).
    pub fn from_code(code: u8) -> Option<ProcessKind> {
        match code {
            1 => Some(ProcessKind::RequestorSends),
            2 => Some(ProcessKind::ServerProcess),
            3 => Some(ProcessKind::RequestorProcesses),
            _ => None,
        }
    }

    /// The stored code.
    pub fn code(self) -> u8 {
        match self {
            ProcessKind::RequestorSends => 1,
            ProcessKind::ServerProcess => 2,
            ProcessKind::RequestorProcesses => 3,
        }
    }

    /// `T1`, `T2` or `T3`, as in DSSCHED text files (KB Q96060).
    pub fn tag(self) -> &'static str {
        match self {
            ProcessKind::RequestorSends => "T1",
            ProcessKind::ServerProcess => "T2",
            ProcessKind::RequestorProcesses => "T3",
        }
    }

    /// The command Dispatch runs (KB Q96060).
    pub fn command(self) -> &'static str {
        match self {
            ProcessKind::RequestorSends => "NSDA -RT",
            ProcessKind::ServerProcess => "NSDA -S",
            ProcessKind::RequestorProcesses => "NSDA -RR",
        }
    }

    /// DSSCHED's description of the process (KB Q96060, Q148718).
    pub fn description(self) -> &'static str {
        match self {
            ProcessKind::RequestorSends => "Requestor sends updates (Dispatch runs NSDA -RT)",
            ProcessKind::ServerProcess => "Server process (Dispatch runs NSDA -S)",
            ProcessKind::RequestorProcesses => {
                "Requestor processes updates (Dispatch runs NSDA -RR)"
            }
        }
    }
}

/// Why a documented time of a record is where it is.
const TIME: &str = "field documented (KB Q148718); C time_t and its place are glbtool's choice";

fixed::fixed_struct! {
    /// The PROCESS.GLB header: 512 bytes whose meaning is not documented.
    #[derive(Debug, Clone, PartialEq, Eq, Default, BinRead, BinWrite, Serialize, Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct ProcessHeader in HEADER_FIELDS {
        /// The whole header, kept verbatim.
        #[serde(default)]
        pub reserved: Reserved<512> = (Unknown, "unknown",
            Unknown("size documented (KB Q77926); a new postoffice's PROCESS.GLB is exactly this header (KB Q135868)")),
    }
}

fixed::fixed_struct! {
    /// One scheduled run of one process.
    #[derive(Debug, Clone, PartialEq, Eq, Default, BinRead, BinWrite, Serialize, Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[brw(little)]
    #[serde(deny_unknown_fields)]
    pub struct ProcessRecord in RECORD_FIELDS {
        /// The record's ID (DSSCHED prints `ID = 1`, KB Q148718).
        pub id: u16 = (Number, "the record's ID (ID = 1)",
            Reconstructed("field documented (KB Q148718); u16 and its place are glbtool's choice")),
        /// Which process: see [`ProcessKind::from_code`]; other codes are kept.
        pub process: u8 = (Flag, "1 = T1 NSDA -RT, 2 = T2 NSDA -S, 3 = T3 NSDA -RR",
            Reconstructed("the three processes documented (KB Q96060, Q148718); the codes follow the T1/T2/T3 numbering; other codes are kept and shown as unknown"),
            view = |c: &u8| Value::Code {
                raw: u64::from(*c),
                meaning: ProcessKind::from_code(*c).map(ProcessKind::description),
            }),
        /// "Current time to run" (KB Q148718).
        pub run_at: Stamp = (Time, "current time to run, seconds since 1970 UTC", Reconstructed(TIME)),
        /// "Run window" in seconds: 4 hours from ADMIN 3.0, 8 hours from 3.2+ (KB Q119590).
        pub window_seconds: u32 = (Number, "the run window (14400 from ADMIN 3.0, 28800 from 3.2+)",
            Reconstructed("field and values documented (KB Q119590, Q148718: \"8 hours (28800 seconds)\"); u32 and its place are glbtool's choice")),
        /// "Time after which this process will not run" (KB Q148718): run_at + window.
        pub deadline: Stamp = (Time, "time after which this process will not run = run_at + window",
            Reconstructed("field documented (KB Q148718, whose values differ by exactly the window); stored rather than computed, C time_t and its place are glbtool's choice")),
        /// "This instance next runs on" (KB Q148718): run_at + one week.
        pub next_run: Stamp = (Time, "this instance next runs on = run_at + 604,800",
            Reconstructed("field documented (KB Q148718, Q96060: Dispatch keeps the next time to run and copies it into the current time); C time_t and its place are glbtool's choice")),
        /// glbtool's reconstruction, which may not exist in MS Mail's files: a
        /// time zone in seconds west of UTC like the MS C `timezone` variable.
        /// KB Q96060 says the TZ is incorporated into the time written to
        /// PROCESS.GLB; it does not place a separate zone field.
        pub tz_offset: i32 = (Number, "glbtool's time-zone field, seconds west of UTC",
            Reconstructed("KB Q96060 says ADMIN and DSSCHED incorporate TZ into the time written to PROCESS.GLB (as a C time_t does) and that Dispatch adds \"the stored time zone\"; no article gives a separate zone field. This field, its unit (seconds west of UTC, as MS C's timezone) and its place are glbtool's reconstruction, and it may not exist")),
        /// "Process comment" (KB Q148718; DSSCHED prints `<null>` when empty).
        pub comment: Text<81> = (Text, "process comment, 80 characters + NUL; DSSCHED prints <null> when empty",
            Reconstructed("field documented (KB Q148718); width (one screen line) and place are glbtool's choice")),
        /// Bytes of unknown meaning, kept verbatim.
        #[serde(default)]
        pub reserved: Reserved<93> = (Unknown, "unknown",
            Unknown("it may hold, for example, the command line, which is not documented")),
    }
}

impl ProcessRecord {
    /// The process this record runs, when the code is one of the documented three.
    pub fn kind(&self) -> Option<ProcessKind> {
        ProcessKind::from_code(self.process)
    }

    /// A new record the way ADMIN 3.2 writes one: deadline = run_at + window,
    /// next run = run_at + one week (KB Q96060, Q148718). Times beyond 2106
    /// saturate at the largest 32-bit time.
    pub fn scheduled(
        id: u16,
        kind: ProcessKind,
        run_at: Stamp,
        window_seconds: u32,
        tz_offset: i32,
    ) -> ProcessRecord {
        let mut r = ProcessRecord {
            id,
            process: kind.code(),
            window_seconds,
            tz_offset,
            ..ProcessRecord::default()
        };
        r.set_run_at(run_at);
        r
    }

    /// Moves the run time and recomputes the deadline and the next run time.
    pub fn set_run_at(&mut self, run_at: Stamp) {
        self.run_at = run_at;
        self.deadline = Stamp(run_at.0.saturating_add(self.window_seconds));
        self.next_run = Stamp(run_at.0.saturating_add(WEEK_SECONDS));
    }
}

/// Derived facts about a record, shown under `info` in JSON.
#[derive(Debug, Serialize)]
pub struct ProcessInfo {
    /// `T1`, `T2` or `T3`.
    pub tag: &'static str,
    /// The command Dispatch runs.
    pub command: &'static str,
    /// DSSCHED's description.
    pub description: &'static str,
}

/// The PROCESS.GLB layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessFile;

fixed::fixed_format!(
    ProcessFile,
    header: ProcessHeader = HEADER_FIELDS,
    record: ProcessRecord = RECORD_FIELDS,
    info: ProcessInfo = |r: &ProcessRecord, _cp| r.kind().map(|k| ProcessInfo {
        tag: k.tag(),
        command: k.command(),
        description: k.description(),
    }),
    derived: &[("tag", "process"), ("command", "process"), ("description", "process")],
    rule: "PROCESS.GLB is a 512-byte header plus 197 bytes per record (KB Q77926)",
    spec: "docs/formats/process.md",
);

/// A PROCESS.GLB holding `records` after an all-zero header.
pub fn schedule(records: Vec<ProcessRecord>) -> Document<ProcessFile> {
    Document {
        kind: FileKind::Process,
        header: Some(ProcessHeader::default()),
        records,
        trailing: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepage::CodePage;
    use crate::error::Error;
    use crate::fixed::testing::{assert_spans_cover, assert_table_covers};
    use crate::format::{Format, ReadOptions, Reader};
    use proptest::prelude::*;

    fn parse(b: &[u8]) -> crate::Result<Document<ProcessFile>> {
        Document::<ProcessFile>::from_bytes(b, FileKind::Process, ReadOptions::default())
    }

    /// Fri Dec 22 16:30:00 1995 (KB Q148718), read as UTC.
    const DEC_22_1995_1630: u32 = 819_649_800;

    #[test]
    fn sizes_are_the_documented_512_and_197() {
        assert_table_covers(HEADER_FIELDS, 512);
        assert_table_covers(RECORD_FIELDS, 197);
        assert_spans_cover(&ProcessRecord::default(), RECORD_FIELDS);
        assert_spans_cover(&ProcessHeader::default(), HEADER_FIELDS);
        assert_eq!(schedule(vec![]).to_bytes().unwrap().len(), 512);
        // A server scheduling T1, T2 and T3 daily has 21 records.
        assert_eq!(
            schedule(vec![ProcessRecord::default(); 21])
                .to_bytes()
                .unwrap()
                .len(),
            4649
        );
    }

    #[test]
    fn scheduled_derives_deadline_and_next_run_like_the_dssched_dump() {
        // KB Q148718: run Fri Dec 22 16:30:00 1995, 8-hour window, will not run
        // after Sat Dec 23 00:30:00 1995, next runs Fri Dec 29 16:30:00 1995.
        let dec_22 = jiff::civil::date(1995, 12, 22)
            .at(16, 30, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap();
        assert_eq!(dec_22.timestamp().as_second(), i64::from(DEC_22_1995_1630));
        let r = ProcessRecord::scheduled(
            1,
            ProcessKind::RequestorSends,
            Stamp(DEC_22_1995_1630),
            WINDOW_ADMIN_32,
            0,
        );
        assert_eq!(r.window_seconds, 28_800);
        assert_eq!(r.deadline.rfc3339(), "1995-12-23T00:30:00Z");
        assert_eq!(r.next_run.rfc3339(), "1995-12-29T16:30:00Z");
        assert_eq!(
            r.kind().unwrap().description(),
            "Requestor sends updates (Dispatch runs NSDA -RT)"
        );
        let late = ProcessRecord::scheduled(
            1,
            ProcessKind::ServerProcess,
            Stamp(u32::MAX - 5),
            28_800,
            0,
        );
        assert_eq!(
            (late.deadline, late.next_run),
            (Stamp(u32::MAX), Stamp(u32::MAX))
        );
    }

    #[test]
    fn offsets_hold_what_the_spec_says() {
        let mut r = ProcessRecord::scheduled(
            0x0102,
            ProcessKind::RequestorProcesses,
            Stamp(0x0A0B_0C0D),
            28_800,
            28_800,
        );
        r.comment = Text::encode("weekday run", CodePage::Cp850).unwrap();
        r.reserved.0[92] = 0xEE;
        let mut header = ProcessHeader::default();
        header.reserved.0[0] = 0x42;
        header.reserved.0[511] = 0x43;
        let d = Document {
            header: Some(header),
            ..schedule(vec![r.clone()])
        };
        let b = d.to_bytes().unwrap();
        assert_eq!((b[0], b[511]), (0x42, 0x43));
        let x = &b[512..];
        assert_eq!(x.len(), 197);
        assert_eq!(&x[0..2], &[0x02, 0x01]);
        assert_eq!(x[2], 3);
        assert_eq!(&x[3..7], &[0x0D, 0x0C, 0x0B, 0x0A]);
        assert_eq!(&x[7..11], &28_800u32.to_le_bytes());
        assert_eq!(&x[11..15], &(0x0A0B_0C0Du32 + 28_800).to_le_bytes());
        assert_eq!(&x[15..19], &(0x0A0B_0C0Du32 + 604_800).to_le_bytes());
        assert_eq!(&x[19..23], &28_800i32.to_le_bytes());
        assert_eq!(&x[23..35], b"weekday run\0");
        assert_eq!(x[196], 0xEE);
        assert_eq!(parse(&b).unwrap(), d);
    }

    #[test]
    fn unknown_process_codes_are_kept() {
        let r = ProcessRecord {
            process: 9,
            ..ProcessRecord::default()
        };
        assert_eq!(r.kind(), None);
        assert!(ProcessFile::info(&r, crate::codepage::CodePage::Cp850).is_none());
        assert_eq!(
            parse(&schedule(vec![r.clone()]).to_bytes().unwrap())
                .unwrap()
                .records,
            vec![r]
        );
        for k in ProcessKind::ALL {
            assert_eq!(ProcessKind::from_code(k.code()), Some(k));
        }
    }

    #[test]
    fn wrong_sizes_are_size_errors_naming_197() {
        let b = schedule(vec![ProcessRecord::default(); 2])
            .to_bytes()
            .unwrap();
        for n in [0usize, 100, 511, 513, 512 + 196, 512 + 198, b.len() - 1] {
            let mut v = b.clone();
            v.resize(n, 0);
            match parse(&v) {
                Err(Error::Size { size, rule, .. }) => {
                    assert_eq!(size, n as u64);
                    assert!(rule.contains("197") && rule.contains("512"), "{rule}");
                }
                other => panic!("{n} bytes: {other:?}"),
            }
        }
    }

    #[test]
    fn truncation_names_the_field_it_cuts() {
        let b = schedule(vec![ProcessRecord::default(); 2])
            .to_bytes()
            .unwrap();
        let mut r = Reader::<ProcessFile, _>::new(
            &b[..512 + 197 + 30],
            FileKind::Process,
            None,
            ReadOptions::default(),
        )
        .unwrap();
        assert!(r.next_record().unwrap().is_some());
        let at = r.next_record().unwrap_err().location().cloned().unwrap();
        assert_eq!(
            (at.offset, at.record, at.field),
            (512 + 197 + 30, Some(1), "comment")
        );
    }

    fn arb_record() -> impl Strategy<Value = ProcessRecord> {
        prop::collection::vec(any::<u8>(), RECORD_LEN).prop_map(|b| {
            // Build through explicit fields rather than the decoder under test.
            let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
            ProcessRecord {
                id: u16::from_le_bytes([b[0], b[1]]),
                process: b[2],
                run_at: Stamp(u32_at(3)),
                window_seconds: u32_at(7),
                deadline: Stamp(u32_at(11)),
                next_run: Stamp(u32_at(15)),
                tz_offset: u32_at(19) as i32,
                comment: Text(b[23..104].try_into().unwrap()),
                reserved: Reserved(b[104..].try_into().unwrap()),
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_bytes_of_a_valid_size_write_back_identically(
            b in (0usize..5).prop_flat_map(|n| prop::collection::vec(any::<u8>(), 512 + 197 * n))
        ) {
            let d = parse(&b).unwrap();
            prop_assert_eq!(d.records.len(), (b.len() - 512) / 197);
            prop_assert_eq!(d.to_bytes().unwrap(), b);
        }

        #[test]
        fn any_value_survives_bytes_and_json(
            header in prop::collection::vec(any::<u8>(), 512),
            records in prop::collection::vec(arb_record(), 0..5),
        ) {
            let d = Document {
                header: Some(ProcessHeader { reserved: Reserved(header.try_into().unwrap()) }),
                ..schedule(records)
            };
            prop_assert_eq!(&parse(&d.to_bytes().unwrap()).unwrap(), &d);
            for r in &d.records {
                let json = serde_json::to_string(r).unwrap();
                prop_assert_eq!(&serde_json::from_str::<ProcessRecord>(&json).unwrap(), r);
            }
            let json = serde_json::to_string(d.header.as_ref().unwrap()).unwrap();
            prop_assert_eq!(serde_json::from_str::<ProcessHeader>(&json).unwrap(), d.header.unwrap());
        }
    }
}
