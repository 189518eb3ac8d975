//! Core futures as asyncio futures, on the core's runtime (never a runtime of our own).
//!
//! Each call creates an asyncio future on the running loop and spawns the core future on
//! [`apigw_management::runtime`]. A finished task pushes its outcome (Rust data) onto a
//! per-loop queue; the first push into an empty queue wakes the loop, and `drain`
//! converts and resolves every queued future on the loop's thread. The wake-up is one
//! byte written to a socket the loop watches (`loop.add_reader`), so runtime threads
//! never take the GIL; on a loop without `add_reader` (Windows' proactor) they take it
//! once per batch for `call_soon_threadsafe`.
//!
//! Cancelling the asyncio future aborts the task: the request is dropped where it is, so
//! a cancelled post may or may not have been delivered.

use crate::convert::Outcome;
use crate::errors;
use apigw_management::runtime;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::future::Future;
#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::unix::io::AsRawFd;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// A future that turns a panic while polling into [`Outcome::Panicked`].
struct CatchUnwind<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future<Output = Outcome>> Future for CatchUnwind<F> {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let inner = self.inner.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(p) => p,
            Err(payload) => Poll::Ready(Outcome::Panicked(errors::panic_message(payload.as_ref()))),
        }
    }
}

/// The socket pair that wakes a loop: runtime threads write a byte to `tx`, the loop
/// reads `rx` (registered with `add_reader`) and drains the queue.
#[cfg(unix)]
struct Wake {
    tx: UnixStream,
    rx: UnixStream,
}

#[cfg(unix)]
impl Wake {
    fn new() -> std::io::Result<Self> {
        let (tx, rx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(Wake { tx, rx })
    }

    fn fd(&self) -> i32 {
        self.rx.as_raw_fd()
    }

    /// A full socket already holds a wake-up, so a refused write loses nothing.
    fn wake(&self) {
        let _ = (&self.tx).write(&[1]);
    }

    fn clear(&self) {
        let mut buf = [0u8; 64];
        while matches!((&self.rx).read(&mut buf), Ok(n) if n > 0) {}
    }
}

#[cfg(not(unix))]
struct Wake;

/// Finished calls waiting for their loop.
pub struct Queue {
    event_loop: Py<PyAny>,
    items: Mutex<Vec<(Py<PyAny>, Outcome)>>,
    scheduled: AtomicBool,
    /// `None`: the loop has no `add_reader`; wake it with `call_soon_threadsafe`.
    wake: Option<Wake>,
}

impl Queue {
    fn push(self: &Arc<Self>, future: Py<PyAny>, outcome: Outcome) {
        self.lock().push((future, outcome));
        if self.scheduled.swap(true, Ordering::SeqCst) {
            return;
        }
        #[cfg(unix)]
        if let Some(w) = &self.wake {
            w.wake();
            return;
        }
        // A runtime thread: it enters Python only through the exit gate.
        let scheduled = crate::exit::attach(|py| -> PyResult<()> {
            let drain = Py::new(
                py,
                Drain {
                    queue: self.clone(),
                },
            )?;
            self.event_loop
                .bind(py)
                .call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (drain,))?;
            Ok(())
        });
        if !matches!(scheduled, Some(Ok(()))) {
            // The loop is closed (or the interpreter is exiting): nobody awaits these.
            self.scheduled.store(false, Ordering::SeqCst);
            // pyo3 defers the decrefs of these futures until it is attached again.
            drop(std::mem::take(&mut *self.lock()));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Py<PyAny>, Outcome)>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Resolves every queued future; runs on the loop's thread.
#[pyclass(frozen, module = "apigw_management._native")]
struct Drain {
    queue: Arc<Queue>,
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Some(w) = &self.queue.wake {
            w.clear();
        }
        self.queue.scheduled.store(false, Ordering::SeqCst);
        let items = std::mem::take(&mut *self.queue.lock());
        for (future, outcome) in items {
            let future = future.bind(py);
            // A cancelled future is done: its outcome is dropped.
            match future
                .call_method0(pyo3::intern!(py, "done"))
                .and_then(|d| d.is_truthy())
            {
                Ok(false) => {}
                _ => continue,
            }
            let _ = match outcome.into_py(py) {
                Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,)),
                Err(err) => {
                    future.call_method1(pyo3::intern!(py, "set_exception"), (err.into_value(py),))
                }
            };
        }
    }
}

/// Aborts the task when its asyncio future is done (a no-op unless it was cancelled,
/// since a resolved future's task has finished).
#[pyclass(frozen, module = "apigw_management._native")]
struct Canceller {
    abort: tokio::task::AbortHandle,
}

#[pymethods]
impl Canceller {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.abort.abort();
    }
}

/// The queue of one asyncio loop, kept by an `AsyncClient` for the loop it last ran on.
#[derive(Default)]
pub struct LoopQueue {
    slot: Mutex<Option<Arc<Queue>>>,
}

impl LoopQueue {
    fn for_loop(&self, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Queue>> {
        let py = event_loop.py();
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(q) = slot.as_ref() {
            if q.event_loop.bind(py).is(event_loop) {
                return Ok(q.clone());
            }
            q.unwatch(py);
        }
        let q = Arc::new(Queue {
            event_loop: event_loop.clone().unbind(),
            items: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
            wake: watch(event_loop),
        });
        if q.wake.is_some() {
            let drain = Py::new(py, Drain { queue: q.clone() })?;
            #[cfg(unix)]
            if let Some(w) = &q.wake {
                event_loop.call_method1(pyo3::intern!(py, "add_reader"), (w.fd(), drain))?;
            }
        }
        *slot = Some(q.clone());
        Ok(q)
    }
}

/// A wake-up socket when the loop can watch one (`add_reader`).
#[cfg(unix)]
fn watch(event_loop: &Bound<'_, PyAny>) -> Option<Wake> {
    let wake = Wake::new().ok()?;
    // A probe: loops without readers (the proactor) raise NotImplementedError.
    let py = event_loop.py();
    let ok = event_loop
        .call_method1(pyo3::intern!(py, "remove_reader"), (wake.fd(),))
        .is_ok();
    ok.then_some(wake)
}

#[cfg(not(unix))]
fn watch(_event_loop: &Bound<'_, PyAny>) -> Option<Wake> {
    None
}

impl Queue {
    /// Stops the loop watching this queue's socket (the client moved to another loop);
    /// thread-safe, since that loop may run on another thread.
    fn unwatch(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Some(w) = &self.wake {
            let old = self.event_loop.bind(py);
            if old
                .call_method0(pyo3::intern!(py, "is_closed"))
                .and_then(|c| c.is_truthy())
                .unwrap_or(true)
            {
                return;
            }
            if let Ok(remove) = old.getattr(pyo3::intern!(py, "remove_reader")) {
                let _ =
                    old.call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (remove, w.fd()));
            }
        }
        #[cfg(not(unix))]
        let _ = py;
    }
}

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `asyncio.get_running_loop()`: raises `RuntimeError` outside a coroutine.
fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    GET_RUNNING_LOOP
        .get_or_try_init(py, || {
            py.import("asyncio")?
                .getattr("get_running_loop")
                .map(Bound::unbind)
        })?
        .bind(py)
        .call0()
}

/// Spawns `future` on the core's runtime and returns an asyncio future for its outcome.
pub fn spawn<'py, F>(py: Python<'py>, queues: &LoopQueue, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Outcome> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    crate::exit::reopen_for_this_thread();
    let queue = queues.for_loop(&event_loop)?;
    let py_future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let target = py_future.clone().unbind();
    let task = CatchUnwind {
        inner: Box::pin(future),
    };
    let handle = runtime::spawn(async move {
        let outcome = task.await;
        queue.push(target, outcome);
    });
    py_future.call_method1(
        pyo3::intern!(py, "add_done_callback"),
        (Canceller {
            abort: handle.abort_handle(),
        },),
    )?;
    Ok(py_future)
}
