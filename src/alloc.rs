//! The allocator of the WebAssembly builds ([`Pool`]): blocks of up to
//! [`LARGEST`] bytes come from eight size classes (8, 16, … 1,024 bytes),
//! each with a list of its freed blocks, carved from 64 KiB chunks; anything
//! larger (or aligned to more than 8) goes to the allocator underneath. That
//! is the ops module's allocator.
//!
//! [`Pages`] is the API, read and writers modules' allocator, and the one
//! under the ops module's pool; no module has dlmalloc. Blocks of every power of two
//! from 8 bytes up, each class with its list of freed blocks, carved from
//! pages of the wasm memory ([`Grow`]). Its code is a small part of
//! dlmalloc's, which V8 compiles on the first allocation of every command,
//! and what a short command or a page validating registries asks of it
//! (strings, vectors that double) fits its classes.
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
            _ => moved(self, block, layout, new_size),
        }
    }
}

/// `block` (of `layout`) moved to a new block of `new_size` bytes from `a`:
/// what a reallocation does when the block cannot stay where it is.
///
/// # Safety
/// As for [`GlobalAlloc::realloc`].
unsafe fn moved<A: GlobalAlloc>(a: &A, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    let moved = a.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
    if !moved.is_null() {
        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
        a.dealloc(block, layout);
    }
    moved
}

// The wasm32 builds run on one thread (no `atomics` target feature), so the
// pool's state is never reached from two at once.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl<A: GlobalAlloc> Sync for Pool<A> {}

/// The size of a wasm memory page, what [`Grow`] hands out.
pub const PAGE: usize = 64 << 10;
/// The smallest block of [`Pages`]: 8 bytes (class 3).
const SMALLEST_PAGES_CLASS: u32 = 3;

/// Fresh memory for [`Pages`], in whole pages.
pub trait Grow {
    /// `pages` new pages, the address of the first (aligned to [`PAGE`]),
    /// or null when there is no more memory. New pages hold zeros, as
    /// `memory.grow`'s do ([`Pages`] hands them out as zeroed blocks).
    ///
    /// # Safety
    /// No other call into this source runs at the same time.
    unsafe fn grow(&self, pages: usize) -> *mut u8;
}

/// The wasm linear memory itself (`memory.grow` on memory 0).
#[cfg(target_arch = "wasm32")]
pub struct Memory;

#[cfg(target_arch = "wasm32")]
impl Grow for Memory {
    unsafe fn grow(&self, pages: usize) -> *mut u8 {
        match core::arch::wasm32::memory_grow(0, pages) {
            usize::MAX => ptr::null_mut(),
            old => (old * PAGE) as *mut u8,
        }
    }
}

/// Blocks of the powers of two from 8 bytes up, carved from pages of `G`:
/// each class keeps a list of its freed blocks, and a block needs no header.
/// A block rounds up to its class (at most twice its size); a freed block
/// is kept for its class, never handed back or merged. Each block is
/// aligned to its size, up to [`PAGE`]; an alignment above a page fails
/// (a null block).
pub struct Pages<G> {
    grow: G,
    state: UnsafeCell<PagesState>,
}

struct PagesState {
    /// Per class (by its power of two), the last freed block; each free
    /// block holds the address of the one freed before it.
    free: [*mut u8; usize::BITS as usize],
    /// The unused part of the pages grown last.
    next: *mut u8,
    end: *mut u8,
}

/// The class of a [`Pages`] block for `layout`: the power of two of its size.
fn page_class(layout: Layout) -> Option<u32> {
    let size = layout
        .size()
        .max(layout.align())
        .max(1 << SMALLEST_PAGES_CLASS);
    size.checked_next_power_of_two().map(usize::trailing_zeros)
}

impl<G: Grow> Pages<G> {
    pub const fn new(grow: G) -> Pages<G> {
        Pages {
            grow,
            state: UnsafeCell::new(PagesState {
                free: [ptr::null_mut(); usize::BITS as usize],
                next: ptr::null_mut(),
                end: ptr::null_mut(),
            }),
        }
    }
}

unsafe impl<G: Grow> GlobalAlloc for Pages<G> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let state = &mut *self.state.get();
        let Some(c) = page_class(layout) else {
            return ptr::null_mut();
        };
        if layout.align() > PAGE {
            return ptr::null_mut();
        }
        let head = state.free[c as usize];
        if !head.is_null() {
            state.free[c as usize] = *head.cast::<*mut u8>();
            return head;
        }
        // Every block is aligned to its size (up to a page), so a freed one
        // serves any request of its class whatever the alignment asked.
        let size = 1usize << c;
        let align = size.min(PAGE);
        let end = state.end as usize;
        if let Some(at) = (state.next as usize).checked_add(align - 1) {
            let at = at & !(align - 1);
            if at <= end && end - at >= size {
                state.next = (at + size) as *mut u8;
                return at as *mut u8;
            }
        }
        // The rest of the pages grown last (less than this block) stays
        // unused; fresh pages are aligned to a page.
        let pages = size.div_ceil(PAGE);
        let fresh = self.grow.grow(pages);
        if !fresh.is_null() {
            state.next = fresh.add(size);
            state.end = fresh.add(pages * PAGE);
        }
        fresh
    }

    // A block carved from pages comes from Grow zeroed and was never handed
    // out: only a freed block, reused, is cleared. (A file read into a
    // zeroed buffer, `vec![0; n]`, then costs no pass over its bytes.)
    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let reused =
            page_class(layout).is_some_and(|c| !(*self.state.get()).free[c as usize].is_null());
        let block = self.alloc(layout);
        if reused && !block.is_null() {
            ptr::write_bytes(block, 0, layout.size());
        }
        block
    }

    #[inline(never)]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let state = &mut *self.state.get();
        if let Some(c) = page_class(layout) {
            *block.cast::<*mut u8>() = state.free[c as usize];
            state.free[c as usize] = block;
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        if page_class(layout) == page_class(new_layout) {
            return block;
        }
        moved(self, block, layout, new_size)
    }
}

// One thread, as for the pool above.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl<G: Grow> Sync for Pages<G> {}

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
