//! The process's tokio runtime for callers that are not async themselves (the Python
//! and Node bindings, the CLI): built lazily, and built anew in a child after `fork()`.
//!
//! A runtime's worker threads do not survive `fork()`: a child that used the parent's
//! runtime would hang. On a pid change the child builds its own runtime and forgets (never
//! drops) the parent's, whose threads do not exist in the child.

use std::future::Future;
use std::sync::Mutex;
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// The shared multi-thread runtime of this process.
///
/// ```
/// let rt = apigw_management::runtime::get();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub fn get() -> &'static Runtime {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    match *slot {
        Some((owner, rt)) if owner == pid => rt,
        _ => {
            // A runtime from before a fork is leaked on purpose: dropping it would try to
            // join worker threads that do not exist in this process.
            let rt: &'static Runtime = Box::leak(Box::new(build()));
            *slot = Some((pid, rt));
            rt
        }
    }
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
