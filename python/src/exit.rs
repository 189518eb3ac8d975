//! Runtime threads entering Python, and the interpreter's exit.
//!
//! The core's runtime threads outlive the interpreter (the runtime is never shut down).
//! A thread that waits for the GIL once `Py_FinalizeEx` has begun is ended by CPython
//! with `pthread_exit` (3.12 and older), and that forced unwind through Rust frames
//! aborts the process ("Fatal Python error: Aborted" after the script finished). A
//! thread can wait for the GIL in the middle of a call, too: `call_soon_threadsafe`
//! releases it to write to the loop's self-pipe.
//!
//! So runtime threads enter Python only through [`attach`], and an `atexit` hook (the
//! last Python code before finalization; registered when the extension is imported, so
//! it runs after the hooks of anything imported later) closes the gate and waits, with
//! the GIL released, for the threads inside to leave. After that no runtime thread
//! enters Python: completions are dropped (their decrefs deferred by pyo3), as for a
//! closed loop.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;

/// How long the exit hook waits for threads inside Python: far more than a
/// `call_soon_threadsafe` or a log record takes. Past it the interpreter exits anyway.
const EXIT_WAIT: Duration = Duration::from_secs(2);

struct Gate {
    /// The process the counts are for: after `fork()` the parent's threads are gone.
    pid: u32,
    /// Runtime threads inside [`attach`].
    inside: usize,
    /// The thread that ran the exit hook, once it has run.
    closed_by: Option<ThreadId>,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    pid: 0,
    inside: 0,
    closed_by: None,
});
static LEFT: Condvar = Condvar::new();
/// Whether the exit hook has run (a hint for the hot path of [`reopen_for_this_thread`]).
static CLOSED: AtomicBool = AtomicBool::new(false);

fn gate() -> MutexGuard<'static, Gate> {
    let mut g = GATE.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    if g.pid != pid {
        *g = Gate {
            pid,
            inside: 0,
            closed_by: None,
        };
    }
    g
}

/// Leaves the gate on drop (also when `f` panics).
struct Inside;

impl Drop for Inside {
    fn drop(&mut self) {
        let mut g = gate();
        g.inside = g.inside.saturating_sub(1);
        if g.inside == 0 {
            LEFT.notify_all();
        }
    }
}

/// `Python::try_attach` for threads that are not Python's (the runtime's): `None`
/// once the interpreter is exiting, without touching it.
pub fn attach<F, R>(f: F) -> Option<R>
where
    F: for<'py> FnOnce(Python<'py>) -> R,
{
    let _inside = {
        let mut g = gate();
        if g.closed_by.is_some() {
            return None;
        }
        g.inside += 1;
        Inside
    };
    Python::try_attach(f)
}

/// Called (attached) as a Python thread starts an async call. An `atexit` hook
/// registered before this package was imported runs after ours; if it makes calls on
/// the exiting thread, reopen the gate so that they complete rather than hang (the
/// race this module closes is then back for that one program's last calls).
pub fn reopen_for_this_thread() {
    if !CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut g = gate();
    if g.closed_by == Some(std::thread::current().id()) {
        g.closed_by = None;
    }
}

/// The `atexit` hook: closes the gate, then waits (GIL released) for the threads inside.
#[pyfunction]
fn _close_runtime_gate(py: Python<'_>) {
    py.detach(|| {
        let mut g = gate();
        g.closed_by = Some(std::thread::current().id());
        CLOSED.store(true, Ordering::Relaxed);
        let _ = LEFT
            .wait_timeout_while(g, EXIT_WAIT, |g| g.inside > 0)
            .unwrap_or_else(|p| p.into_inner());
    });
}

/// Registers the exit hook; called once, as the extension is imported.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let hook = wrap_pyfunction!(_close_runtime_gate, py)?;
    py.import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}
