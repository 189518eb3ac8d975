//! One debug line per attempt on the `logging` logger `apigw_management`, through the
//! core's `on_attempt` hook. `logging` is never imported by this package: when the
//! application has not imported it, or the logger is not enabled for DEBUG, the hook
//! costs one atomic load.

use apigw_management::{AttemptHook, AttemptInfo};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the logger was enabled for DEBUG when a call last started.
static DEBUG: AtomicBool = AtomicBool::new(false);
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

const LEVEL_DEBUG: i32 = 10;

/// Re-reads the logger's level; called (with the GIL) as each call starts.
pub fn refresh(py: Python<'_>) {
    let enabled = (|| -> PyResult<bool> {
        let logger = match LOGGER.get(py) {
            Some(l) => l.bind(py),
            None => {
                let modules = py.import("sys")?.getattr("modules")?;
                let modules = modules.cast::<PyDict>()?;
                let Some(logging) = modules.get_item("logging")? else {
                    return Ok(false);
                };
                let logger = logging.call_method1("getLogger", ("apigw_management",))?;
                LOGGER.get_or_init(py, || logger.unbind()).bind(py)
            }
        };
        logger
            .call_method1(pyo3::intern!(py, "isEnabledFor"), (LEVEL_DEBUG,))?
            .is_truthy()
    })()
    .unwrap_or(false);
    DEBUG.store(enabled, Ordering::Relaxed);
}

/// The hook every client is built with.
pub fn hook() -> AttemptHook {
    Arc::new(|info: &AttemptInfo<'_>| {
        if !DEBUG.load(Ordering::Relaxed) {
            return;
        }
        let outcome = match (info.error, info.status) {
            (Some(e), _) => e.to_string(),
            (None, Some(s)) => format!("HTTP {s}"),
            (None, None) => "ok".to_string(),
        };
        let millis = info.elapsed.as_secs_f64() * 1000.0;
        crate::exit::attach(|py| {
            if let Some(logger) = LOGGER.get(py) {
                let _ = logger.bind(py).call_method1(
                    pyo3::intern!(py, "debug"),
                    (
                        "%s %s attempt %d: %s (%.1f ms)",
                        info.operation,
                        info.connection_id,
                        info.attempt,
                        outcome,
                        millis,
                    ),
                );
            }
        });
    })
}
