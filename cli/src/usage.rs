//! What this process has used: CPU time (`getrusage`) and resident memory.

use std::time::Duration;

/// User plus system CPU time of this process so far (`getrusage`); `None` off Unix.
#[cfg(unix)]
pub fn cpu_time() -> Option<Duration> {
    // SAFETY: an all-zero `rusage` is a valid value; `getrusage` fills the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    Some(tv(usage.ru_utime) + tv(usage.ru_stime))
}

/// User plus system CPU time of this process so far: not measured off Unix.
#[cfg(not(unix))]
pub fn cpu_time() -> Option<Duration> {
    None
}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`); `None` elsewhere.
#[cfg(unix)]
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: `sysconf` has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// Resident memory of this process: not measured off Unix.
#[cfg(not(unix))]
pub fn resident_bytes() -> Option<u64> {
    None
}
