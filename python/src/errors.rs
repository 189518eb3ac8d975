//! The core's [`Error`] as the Python exception classes of `apigw_management.exceptions`
//! (defined in Python: subclassable, picklable), and panics caught at the boundary.

use apigw_management::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};
use std::error::Error as _;

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The module that defines the exception classes.
fn exceptions(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    EXCEPTIONS
        .get_or_try_init(py, || {
            py.import("apigw_management.exceptions").map(Bound::unbind)
        })
        .map(|m| m.bind(py))
}

/// The class name an error kind maps to.
pub fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Gone => "GoneException",
        ErrorKind::Forbidden => "ForbiddenException",
        ErrorKind::LimitExceeded => "LimitExceededException",
        ErrorKind::PayloadTooLarge => "PayloadTooLargeException",
        ErrorKind::Service => "ServiceError",
        ErrorKind::Credentials => "CredentialsError",
        ErrorKind::Config => "ConfigError",
        ErrorKind::InvalidInput => "InvalidInputError",
        // Timeout, Connect, Tls, Protocol, and any kind added later.
        _ => "TransportError",
    }
}

/// The sources of an error, joined into one line (never a secret: the core's errors and
/// reqwest's carry none).
fn cause(err: &Error) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    (!parts.is_empty()).then(|| parts.join(": "))
}

/// Builds the exception instance for a core error.
pub fn to_exception<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    let module = exceptions(py)?;
    let class = module.getattr(class_name(err.kind()))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("kind", err.kind().as_str())?;
    kwargs.set_item("code", err.code())?;
    kwargs.set_item("status_code", err.status())?;
    kwargs.set_item("request_id", err.request_id())?;
    kwargs.set_item("attempts", err.attempts())?;
    kwargs.set_item("retryable", err.is_retryable())?;
    kwargs.set_item("total_retry_delay", err.total_retry_delay().as_secs_f64())?;
    kwargs.set_item("cause", cause(err))?;
    class.call((err.message(),), Some(&kwargs))
}

/// The `PyErr` to raise for a core error.
pub fn to_pyerr(py: Python<'_>, err: &Error) -> PyErr {
    match to_exception(py, err) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// An exception of class `name` from `apigw_management.exceptions` with just a message
/// (configuration problems found while converting arguments).
pub fn simple(py: Python<'_>, name: &str, kind: &str, message: String) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = exceptions(py)?.getattr(name)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("kind", kind)?;
        Ok(PyErr::from_value(class.call((message,), Some(&kwargs))?))
    };
    build().unwrap_or_else(|e| e)
}

/// A `ConfigError` for an option that cannot be converted.
pub fn config(py: Python<'_>, message: impl Into<String>) -> PyErr {
    simple(py, "ConfigError", "Config", message.into())
}

/// An `InvalidInputError` (a `ValueError`) for a call argument that cannot be converted.
pub fn invalid_input(py: Python<'_>, message: impl Into<String>) -> PyErr {
    simple(py, "InvalidInputError", "InvalidInput", message.into())
}

/// An `InvalidTypeError` (a `TypeError` and an `InvalidInputError`) for an argument or
/// option of the wrong type.
pub fn invalid_type(py: Python<'_>, message: impl Into<String>) -> PyErr {
    simple(py, "InvalidTypeError", "InvalidInput", message.into())
}

/// What a value of the right type but out of range is: a bad client option
/// (`ConfigError`) or a bad call argument (`InvalidInputError`).
#[derive(Clone, Copy, Debug)]
pub enum Bad {
    Option,
    Argument,
}

impl Bad {
    pub fn error(self, py: Python<'_>, message: impl Into<String>) -> PyErr {
        match self {
            Bad::Option => config(py, message),
            Bad::Argument => invalid_input(py, message),
        }
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// The exception raised for a panic in Rust code: an `ApiGatewayManagementError` (an
/// `Exception`), never pyo3's `PanicException` (a `BaseException`).
pub fn panic_error(py: Python<'_>, message: &str) -> PyErr {
    simple(
        py,
        "ApiGatewayManagementError",
        "Internal",
        format!("internal error in apigw_management (a bug; please report it): {message}"),
    )
}

/// Runs `f`, turning a panic into [`panic_error`].
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(panic_error(py, &panic_message(payload.as_ref()))),
    }
}
