//! Queue-file samples (`docs/formats/queue.md`), from the documented texts.

use glb_formats::format::Document;
use glb_formats::queue::{Checksum, Queue, QueueRecord, ResyncHeader};
use glb_formats::{fields::Stamp, FileKind};

use super::LISTQ_DATE;
use crate::Sample;

/// The six transactions of the LISTQ sample in KB Q96060 (a requestor's
/// export), with their documented CRC values, which glbtool's checksum does
/// not reproduce (the original algorithm is unknown).
pub const LISTQ_SAMPLE: [(u16, u32, &str); 6] = [
    (0xFB16, 1, "R PCM:POLYNOMIAL/MONTGOMERY"),
    (
        0xB4A2,
        2,
        "A able is he who knows his limit\tPCM:POLYNOMIAL/MONTGOMERY/able",
    ),
    (0x2FC1, 3, "A apple\tPCM:POLYNOMIAL/MONTGOMERY/apple"),
    (0xD2CD, 4, "A Paul\tPCM:POLYNOMIAL/MONTGOMERY/paul"),
    (0x6D23, 5, "A Bryan\tPCM:POLYNOMIAL/MONTGOMERY/bryan"),
    (0x16F9, 6, "A Mark\tPCM:POLYNOMIAL/MONTGOMERY/mark"),
];

fn file(kind: FileKind, records: Vec<QueueRecord>) -> Vec<u8> {
    let mut doc = Document::<Queue>::new(kind);
    doc.records = records;
    doc.to_bytes().expect("sample records are valid")
}

fn at(day_offset: u32) -> Stamp {
    Stamp(LISTQ_DATE.0 + day_offset * 86_400)
}

/// The queue samples.
pub fn samples() -> Vec<Sample> {
    // The export keeps the documented CRC values, as a file written by MS Mail
    // would: glbtool's CRC-16/ARC does not reproduce them (algorithm unknown).
    let export: Vec<QueueRecord> = LISTQ_SAMPLE
        .iter()
        .map(|&(crc, sync, text)| {
            let mut r = QueueRecord::new(sync, LISTQ_DATE, text.as_bytes());
            r.checksum = Checksum::Stored(crc);
            r
        })
        .collect();
    // An MSTTRANS holding the exports of three requestors and later changes,
    // numbered by the server in arrival order.
    let mut mst = Vec::new();
    let mut n = 0;
    let mut push = |day: u32, text: &str| {
        n += 1;
        mst.push(QueueRecord::new(n, at(day), text.as_bytes()));
    };
    for &(_, _, text) in &LISTQ_SAMPLE {
        push(0, text);
    }
    push(0, "R PCM:POLYNOMIAL/TAYLOR");
    push(0, "A Brook Taylor\tPCM:POLYNOMIAL/TAYLOR/brook");
    push(0, "A Colin Maclaurin\tPCM:POLYNOMIAL/TAYLOR/colin");
    push(0, "A Taylor Sales\tSMTP:sales@taylor.example.com");
    push(1, "R PCM:POLYNOMIAL/LAGRANGE");
    push(1, "A Joseph-Louis Lagrange\tPCM:POLYNOMIAL/LAGRANGE/joseph");
    push(
        1,
        "A Fax Lagrange\tFAX:Joseph Lagrange~Turin~Lagrange~011 39 555 0100",
    );
    push(2, "M Paul\tPCM:POLYNOMIAL/MONTGOMERY/paul\r\n \tPaul Montgomery\tPCM:POLYNOMIAL/MONTGOMERY/paul");
    push(2, "D apple\tPCM:POLYNOMIAL/MONTGOMERY/apple");
    push(
        3,
        "A Brook Taylor Jr\tPROFS:PROFSGW/NODE1/brookjr\r\n- Phone:/(206) 635-7022",
    );
    let mst_bytes = file(FileKind::Msttrans, mst);
    // A RESYNC.GLB made the way IMPORT -S does (KB Q119449): the header, then
    // every address in the server's database.
    let mut resync = vec![QueueRecord::resync_header(
        ResyncHeader {
            impseq: 1,
            reqseq: 18,
            srvseq: 80,
        },
        at(4),
    )];
    for (i, &(_, _, text)) in LISTQ_SAMPLE.iter().enumerate() {
        resync.push(QueueRecord::new(i as u32 + 1, at(4), text.as_bytes()));
    }
    // The same file as Exchange's DXA made it before the GlobalMaxSeqInResync
    // fix (KB Q215505), for OCTOBER alone: its own numbers (ReqSync 12,
    // SrvSync 71, one import), below NOVEMBER's ReqSync 18 and the server's
    // SrvSync 80: IMPORT -Q gives `Fatal error 14` (validate: GLB014).
    let mut dxa = resync.clone();
    dxa[0] = QueueRecord::resync_header(
        ResyncHeader {
            impseq: 1,
            reqseq: 12,
            srvseq: 71,
        },
        at(4),
    );
    vec![
        Sample::new("samples/queue/empty/REQTRANS.GLB", Vec::new()),
        Sample::new(
            "samples/queue/acknowledged/REQTRANS.GLB",
            file(
                FileKind::Reqtrans,
                vec![QueueRecord::ack_dummy(17, LISTQ_DATE)],
            ),
        ),
        Sample::new(
            "samples/queue/podiag/REQTRANS.GLB",
            file(
                FileKind::Reqtrans,
                vec![QueueRecord::podiag_dummy(17, LISTQ_DATE)],
            ),
        ),
        Sample::new(
            "samples/queue/export/REQTRANS.GLB",
            file(FileKind::Reqtrans, export),
        ),
        Sample::new("samples/queue/server/MSTTRANS.GLB", mst_bytes),
        Sample::new(
            "samples/queue/resync/RESYNC.GLB",
            file(FileKind::Resync, resync),
        ),
        Sample::new(
            "samples/queue/dxa-resync/RESYNC.GLB",
            file(FileKind::Resync, dxa),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_single_record_sizes() {
        let s = samples();
        let size = |p: &str| s.iter().find(|x| x.path.ends_with(p)).unwrap().bytes.len();
        assert_eq!(size("empty/REQTRANS.GLB"), 0);
        assert_eq!(size("acknowledged/REQTRANS.GLB"), 49); // KB Q133428
        assert_eq!(size("podiag/REQTRANS.GLB"), 60); // KB Q110496
    }

    /// The LISTQ sample (KB Q96060) is the only public record-level data. The
    /// original checksum algorithm is unknown: glbtool's CRC-16/ARC must not be
    /// mistaken for it, so none of the six documented values may match.
    #[test]
    fn listq_vectors_are_known_unmatched_original_algorithm_unknown() {
        for (crc, sync, text) in LISTQ_SAMPLE {
            let r = QueueRecord::new(sync, LISTQ_DATE, text.as_bytes());
            assert_ne!(r.computed_checksum(), crc, "sync {sync}");
        }
        let s = samples();
        let export = &s
            .iter()
            .find(|x| x.path.ends_with("export/REQTRANS.GLB"))
            .unwrap()
            .bytes;
        let doc = glb_formats::Document::<Queue>::from_bytes(
            export,
            FileKind::Reqtrans,
            Default::default(),
        )
        .unwrap();
        let stored: Vec<u16> = doc.records.iter().map(|r| r.stored_checksum()).collect();
        assert_eq!(stored, vec![0xFB16, 0xB4A2, 0x2FC1, 0xD2CD, 0x6D23, 0x16F9]);
        assert!(doc.records.iter().all(|r| !r.checksum_ok()));
    }
}
