//! The pages of a snapshot's memory that a run writes, learned once from a
//! warm-up run and faulted in ahead of every later run in a few calls.
//!
//! A run starts from a copy-on-write mapping of its snapshot's image and
//! faults in every page it touches, one at a time. A Python hello writes
//! some 300 pages scattered over the image (new objects land in the
//! allocator's free chunks wherever they are), and reads ten times as many;
//! in a server with more than one thread each write after a read also
//! costs a TLB shootdown on every other core running it. Measured on 2
//! cores, the faults were more than half of a hello's time.
//! `MADV_POPULATE_WRITE` makes the written pages the run's own in one
//! system call per range before the guest runs: no traps, no shootdowns.
//! Pages only read are left to fault in on demand (the kernel maps 16 at a
//! time around each), which measured faster than populating them all; a
//! run that touches other pages still faults them in as before.
//!
//! Linux only; elsewhere nothing is learned and nothing is prefaulted.

/// A run of pages to make the instance's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageRange {
    first: usize,
    count: usize,
}

/// The pages to make present and writable before a run, as ranges.
#[derive(Debug, Clone, Default)]
pub struct WorkingSet {
    ranges: Vec<PageRange>,
}

/// The most a working set may hold: a warm-up that wrote more than this (it
/// should not) is not worth copying ahead of every run.
const MAX_WRITTEN_PAGES: usize = 16 << 20 >> 12;

impl WorkingSet {
    /// Pages in the set.
    pub fn pages(&self) -> usize {
        self.ranges.iter().map(|range| range.count).sum()
    }

    /// The pages of `memory` written so far (this instance's own copies,
    /// no longer the image's), or `None` where the kernel does not say.
    pub fn observe(memory: &[u8]) -> Option<Self> {
        let entries = platform::page_entries(memory)?;
        let mut ranges: Vec<PageRange> = Vec::new();
        for (page, entry) in entries.into_iter().enumerate() {
            if entry != Some(true) {
                continue;
            }
            match ranges.last_mut() {
                Some(last) if last.first + last.count == page => last.count += 1,
                _ => ranges.push(PageRange {
                    first: page,
                    count: 1,
                }),
            }
        }
        let set = Self { ranges };
        (set.pages() <= MAX_WRITTEN_PAGES).then_some(set)
    }

    /// Makes the set's pages of `memory` present. `memory` is a guest's
    /// linear memory while the guest is not running.
    pub fn prefault(&self, memory: *mut u8, len: usize) {
        for range in &self.ranges {
            platform::populate(memory, len, range);
        }
    }
}

/// Minor page faults of the calling thread so far, where the platform
/// counts them per thread (Linux).
pub fn minor_faults() -> Option<u64> {
    platform::minor_faults()
}

#[cfg(target_os = "linux")]
mod platform {
    use std::io::{Read, Seek, SeekFrom};

    use super::PageRange;

    const PAGE: usize = 4096;
    const PRESENT: u64 = 1 << 63;
    /// A page of a file, or shared: for a copy-on-write image, not yet
    /// written by this instance.
    const FILE_OR_SHARED: u64 = 1 << 61;

    /// For each page of `memory`: `Some(true)` written, `Some(false)` only
    /// read, `None` not present; from `/proc/self/pagemap`.
    pub(super) fn page_entries(memory: &[u8]) -> Option<Vec<Option<bool>>> {
        let start = memory.as_ptr() as usize;
        if !start.is_multiple_of(PAGE) {
            return None;
        }
        let pages = memory.len() / PAGE;
        let mut raw = vec![0u8; pages * 8];
        let mut pagemap = std::fs::File::open("/proc/self/pagemap").ok()?;
        pagemap
            .seek(SeekFrom::Start((start / PAGE * 8) as u64))
            .ok()?;
        pagemap.read_exact(&mut raw).ok()?;
        Some(
            raw.chunks_exact(8)
                .map(|bytes| {
                    let entry = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
                    (entry & PRESENT != 0).then_some(entry & FILE_OR_SHARED == 0)
                })
                .collect(),
        )
    }

    pub(super) fn minor_faults() -> Option<u64> {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `getrusage` fills the struct it is given, which is large
        // enough, and nothing else.
        let usage = unsafe {
            if libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) != 0 {
                return None;
            }
            usage.assume_init()
        };
        u64::try_from(usage.ru_minflt).ok()
    }

    pub(super) fn populate(memory: *mut u8, len: usize, range: &PageRange) {
        let offset = range.first * PAGE;
        let bytes = range.count * PAGE;
        if offset.saturating_add(bytes) > len {
            return;
        }
        // SAFETY: the range lies within the guest's linear memory (checked
        // above), which stays mapped while its store lives, and nothing
        // reads or writes it meanwhile (the guest is not running).
        // Populating faults pages in without changing what they hold; on a
        // kernel before 5.14 it fails with EINVAL and the guest faults them
        // in itself, as it would have anyway.
        unsafe {
            libc::madvise(memory.add(offset).cast(), bytes, libc::MADV_POPULATE_WRITE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use super::PageRange;

    pub(super) fn page_entries(_memory: &[u8]) -> Option<Vec<Option<bool>>> {
        None
    }

    pub(super) fn minor_faults() -> Option<u64> {
        None
    }

    pub(super) fn populate(_memory: *mut u8, _len: usize, _range: &PageRange) {}
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn observes_the_written_pages_of_a_memory() {
        let pages = 8;
        let mut memory = vec![0u8; (pages + 1) * 4096];
        let offset = memory.as_ptr().align_offset(4096);
        let memory = &mut memory[offset..offset + pages * 4096];
        memory[0] = 1;
        memory[4096] = 1;
        memory[3 * 4096] = 1;
        let set = WorkingSet::observe(memory).expect("Linux reports its pages");
        assert!(set.pages() >= 3, "{set:?}");
        assert!(
            set.ranges
                .iter()
                .all(|range| range.first + range.count <= pages)
        );
    }
}
