//! The open-files limit (`RLIMIT_NOFILE`): every WebSocket connection holds a socket, so
//! a process holding thousands of them checks the limit before it starts.

use std::io;

/// The soft and hard limits on open files of this process; `u64::MAX` for both where the
/// system sets no such limit (Windows).
///
/// ```
/// let (soft, hard) = apigw_management_local::open_files_limit().unwrap();
/// assert!(soft <= hard);
/// ```
pub fn open_files_limit() -> io::Result<(u64, u64)> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `getrlimit` writes into the struct we own and reads nothing else.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((lim.rlim_cur, lim.rlim_max))
    }
    #[cfg(not(unix))]
    Ok((u64::MAX, u64::MAX))
}

/// Makes sure this process may open `needed` files: raises the soft limit up to the hard
/// limit when it is lower, and otherwise fails with a message that says what to do.
///
/// Returns the limit in force.
///
/// ```
/// let limit = apigw_management_local::ensure_open_files(64, "64 sockets").unwrap();
/// assert!(limit >= 64);
/// # #[cfg(unix)] {
/// let err = apigw_management_local::ensure_open_files(u64::MAX, "too many sockets").unwrap_err();
/// assert!(err.to_string().contains("open files"));
/// # }
/// ```
pub fn ensure_open_files(needed: u64, what: &str) -> io::Result<u64> {
    let (soft, hard) = open_files_limit()?;
    if needed <= soft {
        return Ok(soft);
    }
    #[cfg(unix)]
    if needed <= hard {
        let lim = libc::rlimit {
            rlim_cur: hard,
            rlim_max: hard,
        };
        // SAFETY: `setrlimit` only reads the struct we pass.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0 {
            return Ok(hard);
        }
    }
    Err(io::Error::other(format!(
        "{what}: about {needed} open files are needed, but this process may open only {soft} \
         (hard limit {hard}, RLIMIT_NOFILE); use fewer connections or raise the limit \
         (`ulimit -n`) before starting"
    )))
}
