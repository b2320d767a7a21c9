//! The simulator's random numbers: ChaCha8 from the `rand` crate, seeded from
//! `--seed`, so a network depends only on its parameters.
//!
//! Only the raw 64-bit output of the generator is used (a stream cipher's
//! output is fixed by its definition); ranges are derived here, so a change in
//! `rand`'s range sampling can never change a generated network.

use rand::rngs::ChaCha8Rng;
use rand::{Rng as _, SeedableRng};

/// A deterministic random source.
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// The generator for `seed` (the seed's little-endian bytes, zero-padded
    /// to ChaCha's 32-byte key).
    pub fn new(seed: u64) -> Rng {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        Rng(ChaCha8Rng::from_seed(key))
    }

    /// A number in `0..n` (`n` > 0), by widening multiplication.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0)");
        ((u128::from(self.0.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_different_seed_different_numbers() {
        let draw = |seed| {
            let mut r = Rng::new(seed);
            (0..32).map(|_| r.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }

    #[test]
    fn ranges_stay_inside_and_cover() {
        let mut r = Rng::new(7);
        let mut seen = [false; 5];
        for _ in 0..500 {
            let v = r.between(3, 7);
            assert!((3..=7).contains(&v));
            seen[v - 3] = true;
        }
        assert!(seen.iter().all(|&s| s), "{seen:?}");
    }
}
