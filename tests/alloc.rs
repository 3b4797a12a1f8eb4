//! The wasm builds' allocators (`ctl_packaging::alloc`), natively: the ops
//! module's `Pool` over std's allocator, the registry module's `Pages` over
//! pages taken from one reserved region. Random allocations, reallocations
//! and frees of every size class and beyond, each block filled with its own
//! pattern and checked when it is resized and freed, live blocks never
//! overlapping, freed blocks reused, and no memory left: a null block.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ctl_packaging::alloc::{Grow, Pages, Pool, LARGEST, PAGE};

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

/// 40,000 random steps on `a`: sizes from `size`, alignments from `aligns`.
fn random_use<A: GlobalAlloc>(a: &A, size: impl Fn(&mut Rng) -> usize, aligns: &[usize]) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut live: Vec<Block> = Vec::new();
    for step in 0..40_000u32 {
        match rng.below(10) {
            0..=4 => {
                let align = aligns[rng.below(aligns.len() as u64) as usize];
                let layout = Layout::from_size_align(size(&mut rng), align).unwrap();
                let at = if rng.below(4) == 0 {
                    let at = unsafe { a.alloc_zeroed(layout) };
                    assert!(
                        (0..layout.size()).all(|i| unsafe { *at.add(i) } == 0),
                        "step {step}: not zeroed"
                    );
                    at
                } else {
                    unsafe { a.alloc(layout) }
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
                b.at = unsafe { a.realloc(b.at, b.layout, new_size) };
                assert!(!b.at.is_null());
                assert_eq!(
                    b.at as usize % b.layout.align(),
                    0,
                    "step {step}: realloc misaligned"
                );
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
                unsafe { a.dealloc(b.at, b.layout) };
            }
            _ => {}
        }
        if step % 1000 == 0 {
            no_overlap(&live);
        }
    }
    for b in live.drain(..) {
        assert!(holds(&b, b.layout.size()));
        unsafe { a.dealloc(b.at, b.layout) };
    }
}

#[test]
fn random_use_keeps_every_block_whole_and_apart() {
    let pool = Pool::new(System);
    let size = |rng: &mut Rng| match rng.below(10) {
        0 => 1 + rng.below(4 * LARGEST as u64) as usize,
        _ => 1 + rng.below(LARGEST as u64 + 64) as usize,
    };
    random_use(&pool, size, &[1, 2, 4, 8, 16]);
}

/// Pages from one reserved region, as `memory.grow` hands them out (zeroed):
/// each grow continues where the last ended, until `limit` pages are out.
struct Region {
    base: *mut u8,
    used: Cell<usize>,
    limit: usize,
}

impl Region {
    fn new(limit: usize) -> Region {
        let layout = Layout::from_size_align(limit * PAGE, PAGE).unwrap();
        let base = unsafe { System.alloc_zeroed(layout) };
        assert!(!base.is_null());
        Region {
            base,
            used: Cell::new(0),
            limit,
        }
    }
}

impl Grow for &Region {
    unsafe fn grow(&self, pages: usize) -> *mut u8 {
        let used = self.used.get();
        if self.limit - used < pages {
            return std::ptr::null_mut();
        }
        self.used.set(used + pages);
        self.base.add(used * PAGE)
    }
}

#[test]
fn pages_keep_every_block_whole_apart_and_aligned() {
    let region = Region::new(8192);
    let pages = Pages::new(&region);
    // Mostly small blocks, some of several pages, alignments up to a page.
    let size = |rng: &mut Rng| match rng.below(20) {
        0 => 1 + rng.below(3 * PAGE as u64) as usize,
        1..=3 => 1 + rng.below(8192) as usize,
        _ => 1 + rng.below(LARGEST as u64) as usize,
    };
    random_use(&pages, size, &[1, 2, 4, 8, 16, 64, 4096, PAGE]);
    assert!(region.used.get() < region.limit, "freed blocks were reused");
}

#[test]
fn pages_reuse_a_freed_block_for_its_class_and_fail_without_memory() {
    let region = Region::new(4);
    let pages = Pages::new(&region);
    let a = reuse_in_class(&pages, 32);
    assert_eq!(a as usize % 32, 0, "a block is aligned to its class");
    unsafe {
        // Two pages' block, then one that does not fit in what is left.
        let big = Layout::from_size_align(2 * PAGE, 8).unwrap();
        assert!(!pages.alloc(big).is_null());
        assert!(pages.alloc(big).is_null(), "no memory: a null block");
        // More alignment than a page is refused, not given misaligned.
        assert!(pages
            .alloc(Layout::from_size_align(8, 2 * PAGE).unwrap())
            .is_null());
    }
}

/// Two blocks of 24 bytes apart; the first, freed, is what a block of 32
/// bytes aligned to `align` (the same class) gets; the second, grown within
/// the class, stays where it is. Returns the first.
fn reuse_in_class<A: GlobalAlloc>(a: &A, align: usize) -> *mut u8 {
    let small = Layout::from_size_align(24, 8).unwrap();
    let same_class = Layout::from_size_align(32, align).unwrap();
    unsafe {
        let first = a.alloc(small);
        let second = a.alloc(small);
        assert_ne!(first, second);
        a.dealloc(first, small);
        assert_eq!(a.alloc(same_class), first, "reused, last freed first");
        assert_eq!(a.realloc(second, small, 30), second);
        first
    }
}

#[test]
fn a_freed_block_is_the_next_of_its_class() {
    reuse_in_class(&Pool::new(System), 4);
}
