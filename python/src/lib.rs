//! The `apigw_management._native` extension: type conversion and error mapping over the
//! `apigw-management` core. No behaviour lives here (retries, validation, encoding and
//! broadcast are the core's).

// Functions fit on a screen (the threshold is in clippy.toml).
#![warn(clippy::too_many_lines)]

mod bridge;
mod client;
mod convert;
mod errors;
mod exit;
mod logs;
mod testing;

use pyo3::prelude::*;

/// The native part of `apigw_management`; import the package instead.
#[pymodule(gil_used = false)]
mod _native {
    #[pymodule_export]
    use crate::client::{PyAsyncClient, PyClient};
    #[pymodule_export]
    use crate::convert::{BroadcastResult, Connection, Identity};
    #[pymodule_export]
    use crate::testing::{PyLocalGateway, PyScriptServer};

    use pyo3::prelude::*;

    /// Panics inside the binding, for the tests that check that no panic reaches Python
    /// as `PanicException`: blocking (`mode="blocking"`), inside a core future
    /// (`"future"`, returns an awaitable), or while converting arguments (`"convert"`).
    #[pyfunction]
    fn _test_panic<'py>(py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyAny>> {
        crate::testing::test_panic(py, mode)
    }

    /// Panics in the core (`apigw_management::debug_panic`), debug builds only, for the
    /// tests that check that a Rust panic reaches Python as an ordinary exception:
    /// `mode="sync"` while holding the GIL, `"blocking"` on the path of `Client` calls
    /// (the core's runtime, GIL released), `"async"` on the path of `AsyncClient` calls
    /// (returns an awaitable).
    #[cfg(debug_assertions)]
    #[pyfunction]
    #[pyo3(signature = (mode = "sync"))]
    fn _debug_panic<'py>(py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyAny>> {
        crate::testing::debug_panic(py, mode)
    }

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        crate::exit::register(m)?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
