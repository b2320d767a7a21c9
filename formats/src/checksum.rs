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

/// Checksum of several byte slices taken in order, as if concatenated.
pub fn checksum_parts(parts: &[&[u8]]) -> u16 {
    let mut digest = ALGORITHM.digest();
    for p in parts {
        digest.update(p);
    }
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
}
