//! Configuration-file samples (`docs/formats/reqconf.md`, `srvconf.md`,
//! `process.md`): the POLYNOMIAL network of KB Q96060, with MONTGOMERY as the
//! Dir-Sync server. Every time is the documented local time stored as UTC.

use glb_formats::fields::{Stamp, Text};
use glb_formats::format::{Document, Format};
use glb_formats::process::{schedule, ProcessKind, ProcessRecord, WINDOW_ADMIN_32};
use glb_formats::reqconf::{ReqConf, ReqConfFile, NO_POINTER};
use glb_formats::srvconf::{RequestorRecord, SrvConfFile, SrvConfHeader};
use glb_formats::{CodePage, FileKind};

use crate::Sample;

/// A time given as its UTC calendar fields.
pub fn utc(y: i16, mo: i8, d: i8, h: i8, mi: i8, s: i8) -> Stamp {
    let ts = jiff::civil::date(y, mo, d)
        .at(h, mi, s, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("a valid UTC time")
        .timestamp();
    Stamp(u32::try_from(ts.as_second()).expect("inside the 32-bit range"))
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::encode(s, CodePage::Cp850).expect("sample text fits its field")
}

/// One line of the LISTDS `-s` sample of KB Q96060: requestor name, ReqSync,
/// SrvSync, Last Cycle and the last-update time.
pub struct ListdsRecord {
    /// `Requestor name:`.
    pub name: &'static str,
    /// `ReqSync =`.
    pub reqsync: u32,
    /// `SrvSync =`.
    pub srvsync: u32,
    /// `Last Cycle =`.
    pub last_cycle: u32,
    /// `Last update received`, as (year, month, day, hour, minute, second).
    pub last_update: (i16, i8, i8, i8, i8, i8),
}

/// `Highest SrvSync is 80, Current Dirsync Cycle is 11` (KB Q96060).
pub const LISTDS_HIGHEST_SRVSYNC: u32 = 80;
/// See [`LISTDS_HIGHEST_SRVSYNC`].
pub const LISTDS_CYCLE: u32 = 11;

/// The three `Server Requestor Record`s of the LISTDS `-s` sample (KB Q96060).
pub const LISTDS_RECORDS: [ListdsRecord; 3] = [
    ListdsRecord {
        name: "PCM:POLYNOMIAL/MONTGOMERY",
        reqsync: 17,
        srvsync: 80,
        last_cycle: 11,
        last_update: (1994, 2, 18, 13, 11, 58),
    },
    ListdsRecord {
        name: "PCM:POLYNOMIAL/NOVEMBER",
        reqsync: 18,
        srvsync: 0,
        last_cycle: 9,
        last_update: (1994, 2, 17, 8, 52, 45),
    },
    ListdsRecord {
        name: "PCM:POLYNOMIAL/OCTOBER",
        reqsync: 12,
        srvsync: 71,
        last_cycle: 9,
        last_update: (1994, 2, 17, 8, 52, 45),
    },
];

fn bytes<F: Format>(kind: FileKind, header: F::Header, records: Vec<F::Record>) -> Vec<u8> {
    Document::<F> {
        kind,
        header: Some(header),
        records,
        trailing: Vec::new(),
    }
    .to_bytes()
    .expect("sample values are valid")
}

/// The server's SRVCONF.GLB: the LISTDS `-s` sample exactly, plus values the
/// sample does not show (chosen: administrator mailbox `ADMIN`, Keep Updates
/// 14 days, import count 1, types, and a password on OCTOBER).
fn srvconf() -> Vec<u8> {
    let header = SrvConfHeader {
        highest_srvsync: LISTDS_HIGHEST_SRVSYNC,
        cycle: LISTDS_CYCLE,
        admin_mailbox: text("ADMIN"),
        keep_updates: 14,
        ..SrvConfHeader::default()
    };
    let passwords = ["", "", "OCTOBER"];
    let types = ["PCM|SNADS|X400|SMTP", "PCM", "PCM|SNADS"];
    let records = LISTDS_RECORDS
        .iter()
        .zip(passwords.iter().zip(types))
        .map(|(l, (password, types))| {
            let (y, mo, d, h, mi, s) = l.last_update;
            RequestorRecord {
                name: text(l.name),
                password: text(password),
                reqsync: l.reqsync,
                srvsync: l.srvsync,
                impsync: 1,
                last_cycle: l.last_cycle,
                last_update: utc(y, mo, d, h, mi, s),
                types: text(types),
                ..RequestorRecord::default()
            }
        })
        .collect();
    bytes::<SrvConfFile>(FileKind::Srvconf, header, records)
}

/// MONTGOMERY's own REQCONF.GLB (the LISTDS `-r` sample: server
/// POLYNOMIAL/MONTGOMERY, ReqSync 17, SrvSync 80), with chosen values for
/// what the sample does not show.
pub fn montgomery_reqconf() -> ReqConf {
    ReqConf {
        server_network: text("POLYNOMIAL"),
        server_postoffice: text("MONTGOMERY"),
        reqsync: 17,
        srvsync: 80,
        impsync: 1,
        last_export: utc(1994, 2, 14, 9, 0, 0),
        last_import: Stamp(0),
        srvtrans_pointer: NO_POINTER,
        usrtrans_pointer: NO_POINTER,
        gwtrans_pointer: NO_POINTER,
        nmetrans_pointer: NO_POINTER,
        template_options: 3,
        size_limit: 0,
        types: text("PCM|SNADS|X400|SMTP"),
        local_network: text("POLYNOMIAL"),
        local_postoffice: text("MONTGOMERY"),
        ..ReqConf::default()
    }
}

/// NOVEMBER's REQCONF.GLB after `listds -r -z`: before the reset it had a
/// corrupt USRTRANS pointer (the KB Q140462 case).
pub fn november_reset_reqconf() -> ReqConf {
    let mut c = ReqConf {
        server_network: text("POLYNOMIAL"),
        server_postoffice: text("MONTGOMERY"),
        reqsync: 18,
        srvsync: 0,
        impsync: 1,
        last_export: utc(1994, 2, 16, 17, 30, 0),
        last_import: utc(1994, 2, 10, 11, 5, 0),
        srvtrans_pointer: NO_POINTER,
        usrtrans_pointer: 0x0000_1234,
        gwtrans_pointer: NO_POINTER,
        nmetrans_pointer: NO_POINTER,
        template_options: 1,
        types: text("PCM"),
        local_network: text("POLYNOMIAL"),
        local_postoffice: text("NOVEMBER"),
        ..ReqConf::default()
    };
    c.reset();
    c
}

/// A requestor's PROCESS.GLB: the T1 record of the DSSCHED dump in KB
/// Q148718 (Fri Dec 22 16:30:00 1995, 8-hour window) and a T3 the same
/// evening (chosen).
fn requestor_process() -> Vec<ProcessRecord> {
    let mut t3 = ProcessRecord::scheduled(
        2,
        ProcessKind::RequestorProcesses,
        utc(1995, 12, 22, 22, 0, 0),
        WINDOW_ADMIN_32,
        0,
    );
    t3.comment = text("Process updates after the server's T2");
    vec![
        ProcessRecord::scheduled(
            1,
            ProcessKind::RequestorSends,
            utc(1995, 12, 22, 16, 30, 0),
            WINDOW_ADMIN_32,
            0,
        ),
        t3,
    ]
}

/// The server's PROCESS.GLB behind the DSSCHED sample of KB Q96060: T1 Sat
/// Feb 26 13:45, T3 Mon Feb 28 15:00, T2 Mon Feb 28 14:55 (1994), in that
/// record order, with ADMIN 3.2's 8-hour window.
fn server_process() -> Vec<ProcessRecord> {
    [
        (ProcessKind::RequestorSends, utc(1994, 2, 26, 13, 45, 0)),
        (ProcessKind::RequestorProcesses, utc(1994, 2, 28, 15, 0, 0)),
        (ProcessKind::ServerProcess, utc(1994, 2, 28, 14, 55, 0)),
    ]
    .into_iter()
    .zip(1..)
    .map(|((kind, at), id)| ProcessRecord::scheduled(id, kind, at, WINDOW_ADMIN_32, 0))
    .collect()
}

fn process_bytes(records: Vec<ProcessRecord>) -> Vec<u8> {
    schedule(records)
        .to_bytes()
        .expect("sample values are valid")
}

/// The configuration samples.
pub fn samples() -> Vec<Sample> {
    let reqconf = |c: ReqConf| bytes::<ReqConfFile>(FileKind::Reqconf, c, Vec::new());
    vec![
        Sample::new("samples/config/server/SRVCONF.GLB", srvconf()),
        Sample::new(
            "samples/config/server/REQCONF.GLB",
            reqconf(montgomery_reqconf()),
        ),
        Sample::new(
            "samples/config/server/PROCESS.GLB",
            process_bytes(server_process()),
        ),
        Sample::new(
            "samples/config/requestor/PROCESS.GLB",
            process_bytes(requestor_process()),
        ),
        Sample::new(
            "samples/config/reset/REQCONF.GLB",
            reqconf(november_reset_reqconf()),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use glb_formats::format::ReadOptions;
    use glb_formats::json::{self, Style};
    use glb_formats::process::ProcessFile;
    use glb_formats::Reader;

    fn sample(path: &str) -> Vec<u8> {
        samples()
            .into_iter()
            .find(|s| s.path.ends_with(path))
            .unwrap()
            .bytes
    }

    #[test]
    fn documented_sizes() {
        assert_eq!(sample("server/SRVCONF.GLB").len(), 1024 + 3 * 1024);
        assert_eq!(sample("server/REQCONF.GLB").len(), 512);
        assert_eq!(sample("reset/REQCONF.GLB").len(), 512);
        assert_eq!(sample("server/PROCESS.GLB").len(), 512 + 3 * 197);
        assert_eq!(sample("requestor/PROCESS.GLB").len(), 512 + 2 * 197);
    }

    #[test]
    fn the_listds_sample_times_are_the_documented_ones() {
        // Fri Feb 18 13:11:58 1994 read as UTC.
        assert_eq!(utc(1994, 2, 18, 13, 11, 58), Stamp(761_577_118));
        let doc = Document::<SrvConfFile>::from_bytes(
            &sample("server/SRVCONF.GLB"),
            FileKind::Srvconf,
            ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(doc.records[0].last_update.rfc3339(), "1994-02-18T13:11:58Z");
        assert_eq!(doc.records[2].last_update.rfc3339(), "1994-02-17T08:52:45Z");
    }

    #[test]
    fn the_reset_sample_is_reset() {
        let c = november_reset_reqconf();
        assert_eq!((c.reqsync, c.srvsync, c.impsync), (0, 0, 0));
        assert_eq!(c.pointers().map(|p| p.1), [-1; 4]);
        assert_eq!(
            c.server(glb_formats::CodePage::Cp850),
            "POLYNOMIAL/MONTGOMERY"
        );
        assert_eq!(c.last_import, utc(1994, 2, 10, 11, 5, 0));
    }

    fn json_round_trip<F: Format>(path: &str, kind: FileKind) {
        let b = sample(path);
        let mut reader =
            Reader::<F, _>::new(&b[..], kind, Some(b.len() as u64), ReadOptions::default())
                .unwrap();
        let mut text = Vec::new();
        json::write(&mut reader, &mut text, Style::Document, CodePage::Cp850).unwrap();
        let (back, _) =
            json::build::<F, _, _>(&text[..], kind, Vec::new(), CodePage::Cp850).unwrap();
        assert_eq!(back, b, "{path}");
    }

    #[test]
    fn every_config_sample_round_trips_through_json() {
        json_round_trip::<SrvConfFile>("server/SRVCONF.GLB", FileKind::Srvconf);
        json_round_trip::<ReqConfFile>("server/REQCONF.GLB", FileKind::Reqconf);
        json_round_trip::<ReqConfFile>("reset/REQCONF.GLB", FileKind::Reqconf);
        json_round_trip::<ProcessFile>("server/PROCESS.GLB", FileKind::Process);
        json_round_trip::<ProcessFile>("requestor/PROCESS.GLB", FileKind::Process);
    }
}
