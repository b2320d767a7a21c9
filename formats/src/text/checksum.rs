//! The record checksum glbtool writes and checks.
//!
//! Each queue record carries a 16-bit checksum (documented: KB Q96060, LISTQ
//! `-c`), but the original algorithm and the bytes it covers are unknown: no
//! common CRC-16 over the LISTQ sample texts reproduces the sample values (see
//! `../shared/research/dirsync-facts.md` section 1(b)). glbtool therefore uses
//! a standard CRC of its own choosing, CRC-16/ARC (polynomial 0x8005 reflected,
//! initial value 0, no final XOR: the CRC of the DOS ARC and LHA archivers),
//! through the `crc` crate with a 16-slice table. This is *reconstructed*:
//! files written by MS Mail will not match it, which `validate` reports as one
//! warning rather than as corruption.

use crc::{Crc, Table, CRC_16_ARC};

/// The algorithm, with a slice-by-16 table for speed.
pub const ALGORITHM: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_ARC);

/// The catalogue name of the algorithm, as written in the docs.
pub const ALGORITHM_NAME: &str = "CRC-16/ARC";

/// Inputs up to this many bytes are gathered into one block on the stack (see
/// [`checksum_parts`]); longer ones are fed to the digest piece by piece.
const GATHER: usize = 240;

// Leading zero bytes leave a CRC whose register starts at 0 unchanged; the
// gathering in `checksum_parts` relies on it.
const _: () = assert!(CRC_16_ARC.init == 0 && CRC_16_ARC.refin);

/// Checksum of several byte slices taken in order, as if concatenated.
///
/// The table-driven CRC does 16 bytes per step and the rest one by one, so
/// short pieces are slow. For inputs of up to 240 bytes (nearly every queue
/// record) the pieces are therefore copied into one block, preceded by as
/// many zero bytes as make its length a multiple of 16: with an initial value
/// of 0 leading zeros do not change a CRC, and every byte then goes through
/// the 16-byte step.
pub fn checksum_parts(parts: &[&[u8]]) -> u16 {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total <= GATHER {
        let mut block = [0u8; GATHER + 16];
        let mut at = (16 - total % 16) % 16;
        let start = at;
        for p in parts {
            block[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        debug_assert_eq!((at - start, at % 16), (total, 0));
        return ALGORITHM.checksum(&block[..at]);
    }
    let mut digest = ALGORITHM.digest();
    for p in parts {
        digest.update(p);
    }
    digest.finalize()
}

/// Checksum of `a` followed by `b`, as [`checksum_parts`]`(&[a, b])` gives
/// it, with a short `a` (a record's length field) before a long `b` (the rest
/// of the record).
///
/// Only a head of at most 32 bytes is copied: leading zeros (which do not
/// change a CRC whose register starts at 0), `a`, and as many bytes of `b`
/// as leave the rest of `b` a whole number of 16-byte steps. No byte then
/// goes through the one-by-one loop, and nothing long is copied.
pub fn checksum_pair(a: &[u8], b: &[u8]) -> u16 {
    if a.len() > 16 {
        return checksum_parts(&[a, b]);
    }
    let take = b.len() % 16;
    let pad = (16 - (a.len() + take) % 16) % 16;
    let mut head = [0u8; 48];
    let len = pad + a.len() + take;
    head[pad..pad + a.len()].copy_from_slice(a);
    head[pad + a.len()..len].copy_from_slice(&b[..take]);
    let mut digest = ALGORITHM.digest();
    digest.update(&head[..len]);
    digest.update(&b[take..]);
    digest.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_check_value() {
        // The catalogue check value of CRC-16/ARC over "123456789".
        assert_eq!(checksum_parts(&[b"123456789"]), 0xBB3D);
        assert_eq!(checksum_parts(&[b"1234", b"56789"]), 0xBB3D);
    }

    #[test]
    fn gathered_and_streamed_checksums_agree_at_every_length() {
        let data: Vec<u8> = (0..600u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in 0..data.len() {
            let whole = &data[..len];
            let mut digest = ALGORITHM.digest();
            digest.update(whole);
            let streamed = digest.finalize();
            let cut = len / 3;
            assert_eq!(checksum_parts(&[whole]), streamed, "length {len}");
            assert_eq!(
                checksum_parts(&[&whole[..cut], b"", &whole[cut..]]),
                streamed,
                "length {len}"
            );
            for short in 0..whole.len().min(20) {
                let (a, b) = whole.split_at(short);
                assert_eq!(checksum_pair(a, b), streamed, "length {len}, split {short}");
            }
        }
    }
}
