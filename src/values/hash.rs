//! The hash of every map keyed by input (ids, `ARG` and `ENV` names, stage
//! names, paths): SipHash-1-3 with keys the host draws for each process.
//!
//! std's maps hash with SipHash-1-3 too, but on wasm32-unknown-unknown std has
//! no randomness and its keys are fixed: anyone can compute offline which
//! names land in one bucket, and a file of such names makes every insert scan
//! all the others before it (seconds for a Dockerfile of 1 MiB). With keys
//! nobody outside the process knows, no file can be made to collide.
//!
//! The keys are set once by the wasm facade ([`set_keys`], from
//! `Math.random()`: the reader of a registry or a Dockerfile never sees the
//! process's random numbers). Until then, and in native builds that never
//! set them, they are zero, which makes [`Keyed`] hash exactly as std's
//! `DefaultHasher` does (the test below holds the two equal).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A map keyed by input.
pub type Map<K, V> = HashMap<K, V, Keyed>;
/// A set of input.
pub type Set<T> = HashSet<T, Keyed>;

static K0: AtomicU64 = AtomicU64::new(0);
static K1: AtomicU64 = AtomicU64::new(0);

/// Set the keys of every [`Keyed`] hasher built from now on. Maps built
/// before keep theirs (a map's hasher is made when the map is).
pub fn set_keys(k0: u64, k1: u64) {
    K0.store(k0, Ordering::Relaxed);
    K1.store(k1, Ordering::Relaxed);
}

/// Builds [`Sip13`] hashers with the keys of the moment it is made.
#[derive(Clone, Copy, Debug)]
pub struct Keyed {
    k0: u64,
    k1: u64,
}

impl Default for Keyed {
    fn default() -> Keyed {
        Keyed {
            k0: K0.load(Ordering::Relaxed),
            k1: K1.load(Ordering::Relaxed),
        }
    }
}

impl Keyed {
    /// Hashers with these keys, whatever [`set_keys`] said.
    pub fn with_keys(k0: u64, k1: u64) -> Keyed {
        Keyed { k0, k1 }
    }
}

impl BuildHasher for Keyed {
    type Hasher = Sip13;
    fn build_hasher(&self) -> Sip13 {
        Sip13::new(self.k0, self.k1)
    }
}

/// SipHash-1-3 (one compression round per 8 bytes, three to finish).
#[derive(Clone, Debug)]
pub struct Sip13 {
    v: [u64; 4],
    /// The bytes written since the last whole 8, in their low bytes.
    tail: u64,
    ntail: usize,
    length: usize,
}

impl Sip13 {
    fn new(k0: u64, k1: u64) -> Sip13 {
        Sip13 {
            v: [
                k0 ^ 0x736f_6d65_7073_6575,
                k1 ^ 0x646f_7261_6e64_6f6d,
                k0 ^ 0x6c79_6765_6e65_7261,
                k1 ^ 0x7465_6462_7974_6573,
            ],
            tail: 0,
            ntail: 0,
            length: 0,
        }
    }

    #[inline(always)]
    fn round(&mut self) {
        let [mut v0, mut v1, mut v2, mut v3] = self.v;
        v0 = v0.wrapping_add(v1);
        v1 = v1.rotate_left(13) ^ v0;
        v0 = v0.rotate_left(32);
        v2 = v2.wrapping_add(v3);
        v3 = v3.rotate_left(16) ^ v2;
        v0 = v0.wrapping_add(v3);
        v3 = v3.rotate_left(21) ^ v0;
        v2 = v2.wrapping_add(v1);
        v1 = v1.rotate_left(17) ^ v2;
        v2 = v2.rotate_left(32);
        self.v = [v0, v1, v2, v3];
    }

    #[inline(always)]
    fn compress(&mut self, m: u64) {
        self.v[3] ^= m;
        self.round();
        self.v[0] ^= m;
    }
}

/// Up to 8 bytes as a little-endian number.
#[inline(always)]
fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

impl Hasher for Sip13 {
    fn write(&mut self, bytes: &[u8]) {
        self.length = self.length.wrapping_add(bytes.len());
        let mut rest = bytes;
        if self.ntail != 0 {
            let take = (8 - self.ntail).min(rest.len());
            self.tail |= le(&rest[..take]) << (8 * self.ntail);
            self.ntail += take;
            rest = &rest[take..];
            if self.ntail < 8 {
                return;
            }
            self.compress(self.tail);
            self.tail = 0;
            self.ntail = 0;
        }
        let mut words = rest.chunks_exact(8);
        for word in &mut words {
            self.compress(le(word));
        }
        let last = words.remainder();
        self.tail = le(last);
        self.ntail = last.len();
    }

    fn finish(&self) -> u64 {
        let mut s = self.clone();
        s.compress(((self.length as u64 & 0xff) << 56) | self.tail);
        s.v[2] ^= 0xff;
        s.round();
        s.round();
        s.round();
        s.v[0] ^ s.v[1] ^ s.v[2] ^ s.v[3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, DefaultHasher, Hash};

    /// xorshift64*: the same sequence every run.
    fn rng(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    #[test]
    fn with_zero_keys_it_is_std_default_hasher() {
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for n in 0..2000 {
            // Values written in pieces of every length, as keys hash.
            let mut ours = Sip13::new(0, 0);
            let mut std = DefaultHasher::new();
            for _ in 0..(n % 5) {
                let len = (rng(&mut state) % 40) as usize;
                let piece: Vec<u8> = (0..len).map(|_| rng(&mut state) as u8).collect();
                ours.write(&piece);
                std.write(&piece);
            }
            assert_eq!(ours.finish(), std.finish(), "case {n}");
        }
        let keyed = Keyed::with_keys(0, 0);
        for key in [
            "",
            "a",
            "NODE_VERSION",
            "ops/packaging/services/api.Dockerfile",
        ] {
            assert_eq!(keyed.hash_one(key), std_hash(key), "{key:?}");
            assert_eq!(keyed.hash_one((key, 7usize)), std_hash((key, 7usize)));
        }
    }

    fn std_hash<T: Hash>(value: T) -> u64 {
        let mut h = DefaultHasher::new();
        value.hash(&mut h);
        h.finish()
    }

    /// Names that all land in one bucket of a 4,096-bucket table with the
    /// zero keys (as anyone can find for std's fixed keys) spread out with
    /// other keys.
    #[test]
    fn names_made_to_collide_for_known_keys_spread_under_other_keys() {
        let zero = Keyed::with_keys(0, 0);
        let mask = 4095;
        let colliding: Vec<String> = (0u64..)
            .map(|i| format!("ARG_{i}"))
            .filter(|name| zero.hash_one(name.as_str()) & mask == 0)
            .take(300)
            .collect();
        let keyed = Keyed::with_keys(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
        let buckets: std::collections::BTreeSet<u64> = colliding
            .iter()
            .map(|name| keyed.hash_one(name.as_str()) & mask)
            .collect();
        assert!(buckets.len() > 280, "{} buckets of 300", buckets.len());
    }

    #[test]
    fn maps_take_the_keys_set_when_they_are_made() {
        let before = Keyed::default();
        set_keys(1, 2);
        let after = Keyed::default();
        set_keys(0, 0);
        assert_eq!(before.hash_one("x"), Keyed::with_keys(0, 0).hash_one("x"));
        assert_eq!(after.hash_one("x"), Keyed::with_keys(1, 2).hash_one("x"));
        assert_ne!(before.hash_one("x"), after.hash_one("x"));
    }
}
