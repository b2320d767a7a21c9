//! Property tests for the queue format: value -> bytes -> value, and accepted
//! bytes -> value -> identical bytes, and JSON -> bytes.
//!
//! The last two properties are the pattern for every family: a strategy for
//! the family's records, then the generic checks of
//! `glb_formats::invariants` (the same ones the fuzz targets run).

use glb_formats::fields::{Reserved, Stamp};
use glb_formats::format::{Document, NoHeader, ReadOptions};
use glb_formats::invariants;
use glb_formats::json::{self, Style};
use glb_formats::queue::{Checksum, Queue, QueueRecord};
use glb_formats::{CodePage, FileKind, Reader};
use proptest::prelude::*;

fn record() -> impl Strategy<Value = QueueRecord> {
    (
        any::<Option<u16>>(),
        any::<u32>(),
        any::<u32>(),
        any::<[u8; 12]>(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(crc, sync, date, reserved, text)| {
            let mut r = QueueRecord {
                checksum: Checksum::Auto,
                sync,
                date_stamp: Stamp(date),
                reserved: Reserved(reserved),
                text,
            };
            r.checksum = Checksum::Stored(crc.unwrap_or_else(|| r.computed_checksum()));
            r
        })
}

fn to_bytes(records: &[QueueRecord]) -> Vec<u8> {
    Document::<Queue> {
        kind: FileKind::Msttrans,
        header: Some(NoHeader),
        records: records.to_vec(),
        trailing: vec![],
    }
    .to_bytes()
    .unwrap()
}

proptest! {
    #[test]
    fn value_bytes_value(records in proptest::collection::vec(record(), 0..20)) {
        let bytes = to_bytes(&records);
        let doc = Document::<Queue>::from_bytes(&bytes, FileKind::Msttrans, ReadOptions::default()).unwrap();
        prop_assert_eq!(doc.records, records);
    }

    #[test]
    fn accepted_bytes_round_trip(records in proptest::collection::vec(record(), 1..8), cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        // Damage a valid file (a truncation and a bit flip) and check that
        // whatever the parser accepts is written back identically.
        let mut bytes = to_bytes(&records);
        let i = flip.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep);
        for salvage in [false, true] {
            if let Ok(doc) = Document::<Queue>::from_bytes(&bytes, FileKind::Msttrans, ReadOptions { salvage, ..ReadOptions::default() }) {
                prop_assert_eq!(doc.to_bytes().unwrap(), bytes.clone());
            }
        }
    }

    #[test]
    fn random_bytes_never_panic_and_round_trip_when_accepted(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for salvage in [false, true] {
            if let Ok(doc) = Document::<Queue>::from_bytes(&bytes, FileKind::Srvtrans, ReadOptions { salvage, ..ReadOptions::default() }) {
                prop_assert_eq!(doc.to_bytes().unwrap(), bytes.clone());
            }
        }
    }

    #[test]
    fn json_round_trip(records in proptest::collection::vec(record(), 0..10), cp in prop_oneof![Just(CodePage::Cp850), Just(CodePage::Cp437)]) {
        let bytes = to_bytes(&records);
        let mut reader = Reader::<Queue, _>::new(&bytes[..], FileKind::Msttrans, Some(bytes.len() as u64), ReadOptions::default()).unwrap();
        let mut text = Vec::new();
        json::write(&mut reader, &mut text, Style::Document, cp).unwrap();
        let (back, _) = json::build::<Queue, _, _>(&text[..], FileKind::Msttrans, Vec::new(), cp).unwrap();
        prop_assert_eq!(back, bytes);
    }

    /// Damaged files (bytes changed, then cut) meet every reading invariant.
    #[test]
    fn damaged_files_meet_every_invariant(
        records in proptest::collection::vec(record(), 0..6),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = to_bytes(&records);
        for (at, b) in edits {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let outcome = invariants::parsed_bytes::<Queue>(&bytes, FileKind::Msttrans);
        prop_assert!(outcome.is_ok(), "{:?}", outcome);
    }

    /// Written values meet write-read-write.
    #[test]
    fn written_values_meet_write_read_write(records in proptest::collection::vec(record(), 0..8)) {
        let doc = Document::<Queue> {
            kind: FileKind::Srvtrans,
            header: Some(NoHeader),
            records,
            trailing: vec![],
        };
        let outcome = invariants::written_value(&doc);
        prop_assert!(outcome.is_ok(), "{:?}", outcome);
    }
}
