//! The allocator of the WebAssembly builds ([`Pool`]): blocks of up to
//! [`LARGEST`] bytes come from eight size classes (8, 16, … 1,024 bytes),
//! each with a list of its freed blocks, carved from 64 KiB chunks; anything
//! larger (or aligned to more than 8) goes to the allocator underneath (std's
//! dlmalloc on wasm32).
//!
//! Why: a command allocates and frees many small values (a Dockerfile's
//! words and instructions, a registry's strings), and V8 runs the module in
//! its baseline tier, where every instruction of dlmalloc's bins, splitting
//! and coalescing costs. Here a small allocation is a pop from a list or a
//! bump of a pointer, and a free a push (docs/performance.md). The price: a
//! block rounds up to its class (at most twice its size), and a freed small
//! block is kept for its class, never handed back.
//!
//! No threads: the wasm32 builds have one (no `atomics`); the state is not
//! shared.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr;

/// The largest block a size class holds, in bytes.
pub const LARGEST: usize = 1024;
/// The classes: 8 << 0 … 8 << 7 bytes.
const CLASSES: usize = 8;
/// The alignment every class block has.
const ALIGN: usize = 8;
/// What a refill takes from the allocator underneath.
const CHUNK: usize = 64 << 10;

/// Size classes over `A`, the allocator of everything else.
pub struct Pool<A> {
    under: A,
    state: UnsafeCell<State>,
}

struct State {
    /// Per class, the last freed block; each free block holds the address
    /// of the one freed before it.
    free: [*mut u8; CLASSES],
    /// The unused part of the current chunk.
    next: *mut u8,
    end: *mut u8,
}

/// The class of a block of `size` bytes aligned to `align`, if it has one.
fn class(size: usize, align: usize) -> Option<usize> {
    if size > LARGEST || align > ALIGN {
        return None;
    }
    let size = size.max(8);
    // The smallest power of two that holds `size`, from 8 (class 0) on.
    Some((usize::BITS - (size - 1).leading_zeros()) as usize - 3)
}

impl<A: GlobalAlloc> Pool<A> {
    pub const fn new(under: A) -> Pool<A> {
        Pool {
            under,
            state: UnsafeCell::new(State {
                free: [ptr::null_mut(); CLASSES],
                next: ptr::null_mut(),
                end: ptr::null_mut(),
            }),
        }
    }

    /// A block of class `c`: a freed one, else the next of the chunk.
    ///
    /// # Safety
    /// No other call into this pool runs at the same time.
    unsafe fn take(&self, c: usize) -> *mut u8 {
        let state = &mut *self.state.get();
        let head = state.free[c];
        if !head.is_null() {
            state.free[c] = *head.cast::<*mut u8>();
            return head;
        }
        let size = 8 << c;
        if (state.end as usize) - (state.next as usize) < size {
            // The rest of the chunk (less than a block) stays unused.
            let chunk = self
                .under
                .alloc(Layout::from_size_align_unchecked(CHUNK, ALIGN));
            if chunk.is_null() {
                return chunk;
            }
            state.next = chunk;
            state.end = chunk.add(CHUNK);
        }
        let block = state.next;
        state.next = block.add(size);
        block
    }

    /// Give a block of class `c` back to its list.
    ///
    /// # Safety
    /// `block` came from [`Pool::take`] with the same class and is not used
    /// any more; no other call into this pool runs at the same time.
    unsafe fn give(&self, block: *mut u8, c: usize) {
        let state = &mut *self.state.get();
        *block.cast::<*mut u8>() = state.free[c];
        state.free[c] = block;
    }
}

unsafe impl<A: GlobalAlloc> GlobalAlloc for Pool<A> {
    // Out of line: called from every allocation in the module, whose size
    // (and compile time in V8) it would otherwise grow at each.
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout.size(), layout.align()) {
            Some(c) => self.take(c),
            None => self.under.alloc(layout),
        }
    }

    // Out of line: called from every allocation in the module, whose size
    // (and compile time in V8) it would otherwise grow at each.
    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class(layout.size(), layout.align()) {
            Some(c) => {
                let block = self.take(c);
                if !block.is_null() {
                    ptr::write_bytes(block, 0, layout.size());
                }
                block
            }
            None => self.under.alloc_zeroed(layout),
        }
    }

    // Out of line: called from every allocation in the module, whose size
    // (and compile time in V8) it would otherwise grow at each.
    #[inline(never)]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class(layout.size(), layout.align()) {
            Some(c) => self.give(block, c),
            None => self.under.dealloc(block, layout),
        }
    }

    // Out of line: called from every allocation in the module, whose size
    // (and compile time in V8) it would otherwise grow at each.
    #[inline(never)]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = class(layout.size(), layout.align());
        let new = class(new_size, layout.align());
        match (old, new) {
            (Some(a), Some(b)) if a == b => block,
            (None, None) => self.under.realloc(block, layout, new_size),
            _ => {
                let moved = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
                if !moved.is_null() {
                    ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
                moved
            }
        }
    }
}

// The wasm32 builds run on one thread (no `atomics` target feature), so the
// pool's state is never reached from two at once.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl<A: GlobalAlloc> Sync for Pool<A> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_the_powers_of_two_from_eight_to_the_largest() {
        let cases = [
            (1, 0),
            (8, 0),
            (9, 1),
            (16, 1),
            (17, 2),
            (512, 6),
            (513, 7),
            (1024, 7),
        ];
        for (size, c) in cases {
            assert_eq!(class(size, 8), Some(c), "{size}");
            assert!(8 << c >= size);
        }
        assert_eq!(class(1025, 8), None);
        assert_eq!(class(8, 16), None);
        assert_eq!(class(0, 1), Some(0));
    }
}
