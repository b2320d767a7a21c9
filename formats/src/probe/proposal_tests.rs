//! A proposal is a declaration a contributor can paste: the one probe makes
//! for a file written here is pasted below, compiles as a family's
//! `fixed_struct!`, lays its fields where probe found them, and reads the
//! file's records with binrw.

use binrw::BinRead;

use super::*;
use crate::fields::{Stamp, Text};
use crate::fixed::{self, fixed_struct};

/// 24 records of 32 bytes: a counter from 500, a time stamp an hour apart,
/// a name, a CRC-32/ISO-HDLC over the 28 bytes before it.
fn file() -> Vec<u8> {
    let alg = checksum::algorithm("CRC-32/ISO-HDLC").unwrap();
    let names = [
        "Ada Lovelace",
        "Emmy Noether",
        "Carl Gauss",
        "Sofia Kovalevskaya",
        "Niels Abel",
        "Kurt Godel",
    ];
    let mut out = Vec::new();
    let mut seed = 7u32;
    for i in 0..24u32 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let mut r = [0u8; 32];
        r[0..4].copy_from_slice(&(500 + i).to_le_bytes());
        r[4..8].copy_from_slice(&(765_720_832 + 3_600 * i + (seed >> 20)).to_le_bytes());
        let n = names[(seed >> 16) as usize % names.len()].as_bytes();
        r[8..8 + n.len()].copy_from_slice(n);
        let c = checksum::compute(alg, &[&r[..28]]) as u32;
        r[28..32].copy_from_slice(&c.to_le_bytes());
        out.extend_from_slice(&r);
    }
    out
}

fn proposal() -> Layout {
    let bytes = file();
    probe(
        &Sample {
            bytes: &bytes,
            size: bytes.len() as u64,
            kind: None,
            siblings: &[],
        },
        &Options::default(),
    )
    .proposal
}

/// What `glbtool probe` printed for [`file`] (its text view shows the same).
const PRINTED: &str = r#"// proposal: 32-byte records.
fixed_struct! {
    /// One record.
    pub struct Record in FIELDS {
        pub counter: u32 = (Sync, "+1 per record", Reconstructed("glbtool probe, high confidence: +1 per record in 23 of 23 steps, 500 to 523")),
        pub time: Stamp = (Time, "seconds since 1970 (C time_t)", Reconstructed("glbtool probe, high confidence: 24 of 24 values read as C time_t dates between 1985 and 2010, within 0 days of each other")),
        pub text: Text<20> = (Text, "text", Reconstructed("glbtool probe, high confidence: text or NULs in all 24 records, ended by a NUL")),
        pub checksum: u32 = (Checksum, "CRC-32/ISO-HDLC over bytes +0..+28, stored LE", Reconstructed("glbtool probe, high confidence: CRC-32/ISO-HDLC over bytes +0..+28, stored LE reproduces it in all 24 records tested")),
    }
}
"#;

// The same, pasted, with the derives a family adds (binrw reads it).
#[rustfmt::skip]
mod pasted {
    use super::*;
    #[allow(unused_imports)]
    use crate::layout::Provenance::*;

    // proposal: 32-byte records.
    fixed_struct! {
        /// One record.
        #[derive(Debug, BinRead)]
        #[brw(little)]
        pub struct Record in FIELDS {
            pub counter: u32 = (Sync, "+1 per record", Reconstructed("glbtool probe, high confidence: +1 per record in 23 of 23 steps, 500 to 523")),
            pub time: Stamp = (Time, "seconds since 1970 (C time_t)", Reconstructed("glbtool probe, high confidence: 24 of 24 values read as C time_t dates between 1985 and 2010, within 0 days of each other")),
            pub text: Text<20> = (Text, "text", Reconstructed("glbtool probe, high confidence: text or NULs in all 24 records, ended by a NUL")),
            pub checksum: u32 = (Checksum, "CRC-32/ISO-HDLC over bytes +0..+28, stored LE", Reconstructed("glbtool probe, high confidence: CRC-32/ISO-HDLC over bytes +0..+28, stored LE reproduces it in all 24 records tested")),
        }
    }

    /// The table the macro made (private to the module it is pasted in).
    pub fn fields() -> &'static fixed::FieldTable {
        FIELDS
    }
}

#[test]
fn a_proposal_pasted_into_a_family_reads_the_file() {
    assert_eq!(proposal().declaration(), PRINTED);
    // The table the macro builds lays the fields where the file has them.
    let at: Vec<(&str, usize, usize)> = pasted::fields()
        .iter()
        .map(|f| (f.name, f.start, f.len))
        .collect();
    assert_eq!(
        at,
        [
            ("counter", 0, 4),
            ("time", 4, 4),
            ("text", 8, 20),
            ("checksum", 28, 4)
        ]
    );
    assert_eq!(fixed::table_len(pasted::fields()), 32);
    // And the struct reads every record as it was written.
    let bytes = file();
    let alg = checksum::algorithm("CRC-32/ISO-HDLC").unwrap();
    for (i, r) in bytes.chunks(32).enumerate() {
        let rec: pasted::Record = fixed::decode(r, pasted::fields()).unwrap();
        assert_eq!(rec.counter, 500 + i as u32);
        assert!((765_720_832..765_720_832 + 25 * 3_600).contains(&rec.time.0));
        assert!(rec.text.0[0].is_ascii_uppercase());
        assert_eq!(u64::from(rec.checksum), checksum::compute(alg, &[&r[..28]]));
    }
}
