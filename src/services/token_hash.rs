//! The hashing of the token tables, shared by `build.rs`, which writes them, and
//! [`super::tokens`], which reads them (`build.rs` includes this file with `#[path]`), so
//! the two can never disagree.

/// The low bits of a hash slot that hold `rank + 1`; the high bits hold a tag of the hash.
pub const RANK_BITS: u32 = 18;

/// The hash of a token's bytes (64-bit FNV-1a, folded).
pub fn token_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^ (hash >> 29)
}
