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
//! Pages only read are mapped ahead (`MADV_POPULATE_READ`) only in
//! instances prepared before their request (`engine/prepared.rs`): on the
//! request path, letting them fault in (the kernel maps 16 at a time
//! around each) measured as fast. A run that touches other pages still
//! faults them in as before.
//!
//! Linux only; elsewhere nothing is learned and nothing is prefaulted.

/// A run of pages to make the instance's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageRange {
    first: usize,
    count: usize,
}

/// The pages a run touched, as ranges: those it wrote, to make present and
/// writable before every run, and those it only read, to map ahead of runs
/// that nothing waits for.
#[derive(Debug, Clone, Default)]
pub struct WorkingSet {
    written: Vec<PageRange>,
    read: Vec<PageRange>,
}

/// The most a working set may hold: a warm-up that wrote more than this (it
/// should not) is not worth copying ahead of every run.
const MAX_WRITTEN_PAGES: usize = 16 << 20 >> 12;

/// Read pages this close together are mapped in one call: the pages
/// between cost less to map than a call does.
const READ_GAP_PAGES: usize = 16;

impl WorkingSet {
    /// Pages written, in the set.
    pub fn pages(&self) -> usize {
        self.written.iter().map(|range| range.count).sum()
    }

    /// Separate ranges of written pages, in the set.
    pub fn written_ranges(&self) -> usize {
        self.written.len()
    }

    /// The pages of `memory` present so far, split into those written (this
    /// instance's own copies, no longer the image's) and those only read;
    /// `None` where the kernel does not say.
    pub fn observe(memory: &[u8]) -> Option<Self> {
        let mut set = Self::default();
        for (page, entry) in platform::page_entries(memory)?.into_iter().enumerate() {
            match entry {
                Some(true) => extend(&mut set.written, page, 0),
                Some(false) => extend(&mut set.read, page, READ_GAP_PAGES),
                None => {}
            }
        }
        (set.pages() <= MAX_WRITTEN_PAGES).then_some(set)
    }

    /// Makes the written pages of `memory` present and the instance's own.
    /// `memory` is a guest's linear memory while the guest is not running.
    pub fn prefault(&self, memory: *mut u8, len: usize) {
        for range in &self.written {
            platform::populate(memory, len, range, Access::Write);
        }
    }

    /// Maps the pages a run only reads, so that it does not fault on them;
    /// for an instance made ahead of its run (on the request path, letting
    /// them fault in measured as fast).
    pub fn prefault_reads(&self, memory: *mut u8, len: usize) {
        for range in &self.read {
            platform::populate(memory, len, range, Access::Read);
        }
    }
}

/// Adds `page` to the last range of `ranges` when it is at most `gap` pages
/// past its end (taking the pages between along), or starts a new one.
fn extend(ranges: &mut Vec<PageRange>, page: usize, gap: usize) {
    match ranges.last_mut() {
        Some(last) if page <= last.first + last.count + gap => {
            last.count = page + 1 - last.first;
        }
        _ => ranges.push(PageRange {
            first: page,
            count: 1,
        }),
    }
}

/// How a populated page will be used.
#[derive(Debug, Clone, Copy)]
enum Access {
    Read,
    Write,
}

/// Minor page faults of the calling thread so far, where the platform
/// counts them per thread (Linux).
pub fn minor_faults() -> Option<u64> {
    platform::minor_faults()
}

#[cfg(target_os = "linux")]
mod platform {
    use std::io::{Read, Seek, SeekFrom};

    use super::{Access, PageRange};

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

    pub(super) fn populate(memory: *mut u8, len: usize, range: &PageRange, access: Access) {
        let offset = range.first * PAGE;
        let bytes = range.count * PAGE;
        if offset.saturating_add(bytes) > len {
            return;
        }
        let advice = match access {
            Access::Read => libc::MADV_POPULATE_READ,
            Access::Write => libc::MADV_POPULATE_WRITE,
        };
        // SAFETY: the range lies within the guest's linear memory (checked
        // above), which stays mapped while its store lives, and nothing
        // reads or writes it meanwhile (the guest is not running).
        // Populating faults pages in without changing what they hold; on a
        // kernel before 5.14 it fails with EINVAL and the guest faults them
        // in itself, as it would have anyway.
        unsafe {
            libc::madvise(memory.add(offset).cast(), bytes, advice);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use super::{Access, PageRange};

    pub(super) fn page_entries(_memory: &[u8]) -> Option<Vec<Option<bool>>> {
        None
    }

    pub(super) fn minor_faults() -> Option<u64> {
        None
    }

    pub(super) fn populate(_memory: *mut u8, _len: usize, _range: &PageRange, _access: Access) {}
}

#[cfg(test)]
mod ranges {
    use super::*;

    fn ranges_of(pages: &[usize], gap: usize) -> Vec<(usize, usize)> {
        let mut ranges = Vec::new();
        for &page in pages {
            extend(&mut ranges, page, gap);
        }
        ranges
            .iter()
            .map(|range| (range.first, range.count))
            .collect()
    }

    #[test]
    fn written_pages_make_exact_ranges() {
        assert_eq!(ranges_of(&[1, 2, 3, 7, 9], 0), [(1, 3), (7, 1), (9, 1)]);
    }

    #[test]
    fn read_pages_close_together_make_one_range() {
        assert_eq!(ranges_of(&[1, 2, 10, 40], 16), [(1, 10), (40, 1)]);
    }
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
            set.written
                .iter()
                .all(|range| range.first + range.count <= pages)
        );
    }
}
