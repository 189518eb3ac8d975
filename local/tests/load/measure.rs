//! Process-wide figures for the load tests: resident memory and open files.

/// A size from the environment, or its default.
pub fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of this process, in KiB. Panics when it cannot be read: a figure of
/// 0 would make every "memory stayed flat" check pass.
pub fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no resident size in /proc/self/statm: {statm:?}"));
    assert!(pages > 0, "/proc/self/statm reports no resident memory");
    pages * 4
}

/// Open file descriptors of this process. Panics when they cannot be listed.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count()
}

/// Gives freed memory back to the OS, so that RSS shows what is still held.
pub fn trim() {
    // SAFETY: malloc_trim only releases free memory of the allocator.
    unsafe { libc::malloc_trim(0) };
}
