//! The wasm builds' allocator (`ctl_packaging::alloc::Pool`), natively over
//! std's: random allocations, reallocations and frees of every size class
//! and beyond, each block filled with its own pattern and checked when it
//! is resized and freed, live blocks never overlapping, freed blocks reused.

use std::alloc::{GlobalAlloc, Layout, System};

use ctl_packaging::alloc::{Pool, LARGEST};

/// xorshift64*: the same sequence every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Block {
    at: *mut u8,
    layout: Layout,
    tag: u8,
}

fn fill(b: &Block) {
    for i in 0..b.layout.size() {
        unsafe { *b.at.add(i) = b.tag.wrapping_add(i as u8) };
    }
}

fn holds(b: &Block, len: usize) -> bool {
    (0..len).all(|i| unsafe { *b.at.add(i) } == b.tag.wrapping_add(i as u8))
}

fn no_overlap(live: &[Block]) {
    let mut spans: Vec<(usize, usize)> = live
        .iter()
        .map(|b| (b.at as usize, b.at as usize + b.layout.size()))
        .collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        assert!(
            w[0].1 <= w[1].0,
            "blocks overlap: {:?} and {:?}",
            w[0],
            w[1]
        );
    }
}

#[test]
fn random_use_keeps_every_block_whole_and_apart() {
    let pool = Pool::new(System);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut live: Vec<Block> = Vec::new();
    let size = |rng: &mut Rng| match rng.below(10) {
        0 => 1 + rng.below(4 * LARGEST as u64) as usize,
        _ => 1 + rng.below(LARGEST as u64 + 64) as usize,
    };
    for step in 0..40_000u32 {
        match rng.below(10) {
            0..=4 => {
                let align = [1, 2, 4, 8, 16][rng.below(5) as usize];
                let layout = Layout::from_size_align(size(&mut rng), align).unwrap();
                let at = if rng.below(4) == 0 {
                    let at = unsafe { pool.alloc_zeroed(layout) };
                    assert!(
                        (0..layout.size()).all(|i| unsafe { *at.add(i) } == 0),
                        "step {step}: not zeroed"
                    );
                    at
                } else {
                    unsafe { pool.alloc(layout) }
                };
                assert!(!at.is_null());
                assert_eq!(at as usize % align, 0, "step {step}: misaligned");
                let b = Block {
                    at,
                    layout,
                    tag: step as u8,
                };
                fill(&b);
                live.push(b);
            }
            5..=6 if !live.is_empty() => {
                let i = rng.below(live.len() as u64) as usize;
                let b = &mut live[i];
                let new_size = size(&mut rng);
                let keep = b.layout.size().min(new_size);
                b.at = unsafe { pool.realloc(b.at, b.layout, new_size) };
                assert!(!b.at.is_null());
                assert!(holds(b, keep), "step {step}: realloc lost bytes");
                b.layout = Layout::from_size_align(new_size, b.layout.align()).unwrap();
                fill(b);
            }
            _ if !live.is_empty() => {
                let b = live.swap_remove(rng.below(live.len() as u64) as usize);
                assert!(
                    holds(&b, b.layout.size()),
                    "step {step}: a block changed while live"
                );
                unsafe { pool.dealloc(b.at, b.layout) };
            }
            _ => {}
        }
        if step % 1000 == 0 {
            no_overlap(&live);
        }
    }
    for b in live.drain(..) {
        assert!(holds(&b, b.layout.size()));
        unsafe { pool.dealloc(b.at, b.layout) };
    }
}

#[test]
fn a_freed_block_is_the_next_of_its_class() {
    let pool = Pool::new(System);
    let small = Layout::from_size_align(24, 8).unwrap();
    let same_class = Layout::from_size_align(32, 4).unwrap();
    unsafe {
        let a = pool.alloc(small);
        let b = pool.alloc(small);
        assert_ne!(a, b);
        pool.dealloc(a, small);
        assert_eq!(pool.alloc(same_class), a, "reused, last freed first");
        // Growing within the class keeps the block where it is.
        assert_eq!(pool.realloc(b, small, 30), b);
    }
}
