//! The token counts of long texts already counted ([`CountCache`]), so that a system prompt,
//! tool list or document that a test suite sends with every request is tokenized once.

use crate::generate::fnv1a;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

pub(super) static COUNTS: CountCache = CountCache {
    counts: Mutex::new(None),
};

/// The token counts of long texts already counted, by a 128-bit digest of the encoding and
/// the text (two independent 64-bit hashes, so a wrong count from a collision is not a
/// practical risk). Bounded: when full it starts again empty, which keeps the memory at a
/// few tens of KB and needs no eviction bookkeeping on the request path.
pub(super) struct CountCache {
    counts: Mutex<Option<HashMap<(u64, u64), usize>>>,
}

impl CountCache {
    /// Texts shorter than this are cheaper to encode than to hash and look up.
    pub(super) const MIN_BYTES: usize = 256;
    /// Entries kept before the cache starts again.
    const CAPACITY: usize = 2048;

    pub(super) fn key(encoding: u8, text: &str) -> (u64, u64) {
        let tag = [encoding];
        let mut sip = DefaultHasher::new();
        tag.hash(&mut sip);
        text.hash(&mut sip);
        (sip.finish(), fnv1a(&[&tag, text.as_bytes()]))
    }

    pub(super) fn get(&self, key: (u64, u64)) -> Option<usize> {
        let counts = self.counts.lock().ok()?;
        counts.as_ref()?.get(&key).copied()
    }

    pub(super) fn put(&self, key: (u64, u64), count: usize) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        let counts = counts.get_or_insert_with(HashMap::new);
        if counts.len() >= Self::CAPACITY {
            counts.clear();
        }
        counts.insert(key, count);
    }
}
