//! Core futures as asyncio futures, on the core's runtime (never a runtime of our own).
//!
//! Each call creates an asyncio future on the running loop and spawns the core future on
//! [`apigw_management::runtime`]. A finished task pushes its outcome (Rust data) onto a
//! per-loop queue; the first push into an empty queue schedules one `drain` on the loop
//! with `call_soon_threadsafe`, and `drain` converts and resolves every queued future on
//! the loop's thread. Runtime threads take the GIL once per batch, not once per call.
//!
//! Cancelling the asyncio future aborts the task: the request is dropped where it is, so
//! a cancelled post may or may not have been delivered.

use crate::convert::Outcome;
use crate::errors;
use apigw_management::runtime;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::future::Future;
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

/// Finished calls waiting for their loop.
pub struct Queue {
    event_loop: Py<PyAny>,
    items: Mutex<Vec<(Py<PyAny>, Outcome)>>,
    scheduled: AtomicBool,
}

impl Queue {
    fn push(self: &Arc<Self>, future: Py<PyAny>, outcome: Outcome) {
        self.lock().push((future, outcome));
        if self.scheduled.swap(true, Ordering::SeqCst) {
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
    fn for_loop(&self, event_loop: &Bound<'_, PyAny>) -> Arc<Queue> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(q) = slot.as_ref()
            && q.event_loop.bind(event_loop.py()).is(event_loop)
        {
            return q.clone();
        }
        let q = Arc::new(Queue {
            event_loop: event_loop.clone().unbind(),
            items: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
        });
        *slot = Some(q.clone());
        q
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
    let queue = queues.for_loop(&event_loop);
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
