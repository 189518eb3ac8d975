//! The process's tokio runtime for callers that are not async themselves (the Python
//! and Node bindings, the CLI): built lazily, and built anew in a child after `fork()`.
//!
//! A runtime's worker threads do not survive `fork()`: a child that used the parent's
//! runtime would hang. On a pid change the child builds its own runtime and forgets (never
//! drops) the parent's, whose threads do not exist in the child.
//!
//! [`get`] is on every call's path from the bindings, so it is one atomic load: a
//! `pthread_atfork` child handler clears the cached runtime, and only then (or the first
//! time) does a call take the lock and compare pids.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering};
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// The runtime of this process once built; null before, and in a child after `fork()`.
static CURRENT: AtomicPtr<Runtime> = AtomicPtr::new(std::ptr::null_mut());

/// The shared multi-thread runtime of this process.
///
/// ```
/// let rt = apigw_management::runtime::get();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub fn get() -> &'static Runtime {
    let rt = CURRENT.load(Ordering::Acquire);
    if !rt.is_null() {
        // SAFETY: CURRENT only ever holds a leaked (never freed) runtime.
        return unsafe { &*rt };
    }
    slow_get()
}

fn slow_get() -> &'static Runtime {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    let rt = match *slot {
        Some((owner, rt)) if owner == pid => rt,
        _ => {
            // A runtime from before a fork is leaked on purpose: dropping it would try to
            // join worker threads that do not exist in this process.
            let rt: &'static Runtime = Box::leak(Box::new(build()));
            *slot = Some((pid, rt));
            rt
        }
    };
    if watch_forks() {
        CURRENT.store(rt as *const Runtime as *mut Runtime, Ordering::Release);
    }
    rt
}

/// Registers (once) the handler that forgets the cached runtime in a forked child;
/// `false` where there is no such handler, so that every call compares pids.
#[cfg(unix)]
fn watch_forks() -> bool {
    extern "C" fn forget_in_child() {
        CURRENT.store(std::ptr::null_mut(), Ordering::Release);
    }
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    *REGISTERED
        .get_or_init(|| unsafe { libc::pthread_atfork(None, None, Some(forget_in_child)) } == 0)
}

#[cfg(not(unix))]
fn watch_forks() -> bool {
    false
}

fn build() -> Runtime {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("apigw-management")
        .enable_all()
        .build()
        .or_else(|_| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        })
        .expect("a tokio runtime (the OS refused to create threads and an event loop)")
}

/// Runs a future to completion on the shared runtime, blocking this thread.
///
/// Must not be called from inside an async context.
pub fn block_on<F: Future>(future: F) -> F::Output {
    get().block_on(future)
}

/// Spawns a future on the shared runtime.
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    get().spawn(future)
}
