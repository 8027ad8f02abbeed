//! How many allocation arenas glibc's `malloc` may make.
//!
//! glibc gives threads that allocate at the same time arenas of their
//! own, up to eight per core, and keeps memory freed in an arena for that
//! arena. The server's threads are many and short-lived (a blocking thread
//! per shell builtin, tokio's and wasmtime's workers), so under a long
//! mixed load its anonymous memory kept growing with no data of ours
//! growing: 102 to 150 MiB over a three-minute soak (`cargo xtask soak`,
//! 20 sessions), against 81 to 87 MiB with one arena per core. So the
//! server asks for one per core, unless the operator chose already
//! (`MALLOC_ARENA_MAX`). Other platforms' allocators are left alone.

/// Caps glibc's arenas at one per core (at least two); call it before
/// any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = i32::try_from(cores).unwrap_or(i32::MAX).max(2);
    // SAFETY: mallopt only sets a parameter of the allocator; no memory
    // is handed over, and no other thread allocates yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

/// Other allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit() {}
