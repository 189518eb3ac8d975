//! `Client` (blocking, releases the GIL) and `AsyncClient` (asyncio): one implementation
//! (`client_class!`) over one `apigw_management::Client`; they differ only in how a call's
//! core future is run (`Run`).

use crate::bridge::{self, LoopQueue};
use crate::convert::{self, Outcome};
use crate::errors;
use crate::logs;
use crate::options;
use apigw_management::{Client, runtime};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};
use std::future::Future;
use std::sync::RwLock;

/// The client of either class; `None` once closed.
struct Shared {
    client: RwLock<Option<Client>>,
}

impl Shared {
    fn new(client: Client) -> Self {
        Shared {
            client: RwLock::new(Some(client)),
        }
    }

    fn get(&self) -> PyResult<Client> {
        self.client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| PyRuntimeError::new_err("this client is closed"))
    }

    fn close(&self) {
        self.client
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }

    fn repr(&self, class: &str) -> String {
        match &*self.client.read().unwrap_or_else(|p| p.into_inner()) {
            Some(c) => format!(
                "{class}(endpoint='{}', region={})",
                c.endpoint(),
                c.region().map_or("None".to_string(), |r| format!("'{r}'"))
            ),
            None => format!("{class}(<closed>)"),
        }
    }
}

/// Runs a core future on the shared runtime with the GIL released.
pub(crate) fn block<F>(py: Python<'_>, future: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = Outcome> + Send,
{
    logs::refresh(py);
    let outcome = py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime::block_on(future)))
            .unwrap_or_else(|p| Outcome::Panicked(errors::panic_message(p.as_ref())))
    });
    outcome.into_py(py)
}

/// How a class runs a call's core future: to completion (`Client`), or as an asyncio
/// future (`AsyncClient`).
trait Run {
    fn run<'py, F>(&self, py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = Outcome> + Send + 'static;

    fn wrap(client: Client) -> Self;
}

/// A blocking client of the API Gateway Management API (`@connections`).
///
/// Every call releases the GIL for the whole network wait, and one client is safe to
/// share between threads (it pools its HTTP connections). Construction does no I/O.
///
/// endpoint: ``https://{api}.execute-api.{region}.amazonaws.com/{stage}``, a custom
/// domain with its base path, or ``http://127.0.0.1:PORT/{stage}`` (``wss://``/``ws://``
/// accepted). Default: ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``, then
/// ``AWS_ENDPOINT_URL``. credentials: ``(key, secret[, token])`` or a dict; default: the
/// AWS default chain. Times are in seconds; an option left at ``None`` takes the core's
/// default. Delivery is at least once: a post that may have been delivered (timeout
/// after sending, 502, 504) is retried unless ``retry_ambiguous=False``.
#[pyclass(frozen, module = "apigw_management", name = "Client")]
pub struct PyClient {
    shared: Shared,
}

impl Run for PyClient {
    fn run<'py, F>(&self, py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        block(py, future).map(|v| v.into_bound(py))
    }

    fn wrap(client: Client) -> Self {
        PyClient {
            shared: Shared::new(client),
        }
    }
}

/// The native half of ``apigw_management.AsyncClient``: each method returns an asyncio
/// future on the running loop (no thread per call).
///
/// Cancelling an await is safe: the request is abandoned where it is, so a cancelled
/// post may or may not have been delivered.
#[pyclass(frozen, module = "apigw_management._native", name = "AsyncClient")]
pub struct PyAsyncClient {
    shared: Shared,
    queues: LoopQueue,
}

impl Run for PyAsyncClient {
    fn run<'py, F>(&self, py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        logs::refresh(py);
        bridge::spawn(py, &self.queues, future)
    }

    fn wrap(client: Client) -> Self {
        PyAsyncClient {
            shared: Shared::new(client),
            queues: LoopQueue::default(),
        }
    }
}

/// The methods both classes share; `$class` is the name shown by `repr`, `$extra` the
/// methods of one class only.
macro_rules! client_class {
    ($ty:ident, $class:literal, { $($extra:tt)* }) => {
        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(
                signature = (endpoint = None, **options),
                text_signature = "(endpoint=None, *, region=None, credentials=None, profile=None, max_attempts=None, retry_base_delay=None, retry_ambiguous=None, connect_timeout=None, timeout=None, max_payload_bytes=None, proxy=None)"
            )]
            fn new(
                py: Python<'_>,
                endpoint: Option<&Bound<'_, PyAny>>,
                options: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                Ok(Self::wrap(options::build(py, endpoint, None, options)?))
            }

            /// A client for the API that sent a Lambda event (``requestContext.apiId`` and
            /// ``stage``; ``endpoint_style="domain_name"`` uses ``domainName`` instead).
            /// ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` overrides it (local tests).
            #[classmethod]
            #[pyo3(
                signature = (event, *, endpoint_style = "api_id", **options),
                text_signature = "(event, *, endpoint_style='api_id', region=None, credentials=None, profile=None, max_attempts=None, retry_base_delay=None, retry_ambiguous=None, connect_timeout=None, timeout=None, max_payload_bytes=None, proxy=None)"
            )]
            fn from_event(
                _cls: &Bound<'_, PyType>,
                py: Python<'_>,
                event: &Bound<'_, PyAny>,
                endpoint_style: &str,
                options: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                let style = options::event_style(py, endpoint_style)?;
                Ok(Self::wrap(options::build(py, None, Some((event, style)), options)?))
            }

            /// The endpoint URL requests go to.
            #[getter]
            fn endpoint(&self) -> PyResult<String> {
                Ok(self.shared.get()?.endpoint())
            }

            /// The signing region, when known without reading the shared config.
            #[getter]
            fn region(&self) -> PyResult<Option<String>> {
                Ok(self.shared.get()?.region().map(str::to_string))
            }

            /// The largest message this client sends.
            #[getter]
            fn max_payload_bytes(&self) -> PyResult<usize> {
                Ok(self.shared.get()?.max_payload_bytes())
            }

            /// Sends ``data`` (bytes, bytearray, memoryview or str) to a connection as one
            /// message; returns its ``ResponseMetadata``. Raises ``GoneException`` when the
            /// connection is closed.
            #[pyo3(signature = (connection_id, data))]
            fn post_to_connection<'py>(
                &self,
                py: Python<'py>,
                connection_id: &Bound<'py, PyAny>,
                data: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let id = convert::connection_id(connection_id)?;
                let data = convert::data(data)?;
                let client = self.shared.get()?;
                self.run(py, async move {
                    client.post_to_connection(&id, data).await.into()
                })
            }

            /// Describes a connection: a ``Connection`` with ``connected_at``,
            /// ``last_active_at`` (UTC datetimes), ``identity`` and ``metadata``.
            #[pyo3(signature = (connection_id))]
            fn get_connection<'py>(
                &self,
                py: Python<'py>,
                connection_id: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let id = convert::connection_id(connection_id)?;
                let client = self.shared.get()?;
                self.run(py, async move {
                    client.get_connection_with_metadata(&id).await.into()
                })
            }

            /// Closes a connection; returns its ``ResponseMetadata``.
            #[pyo3(signature = (connection_id))]
            fn delete_connection<'py>(
                &self,
                py: Python<'py>,
                connection_id: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let id = convert::connection_id(connection_id)?;
                let client = self.shared.get()?;
                self.run(py, async move { client.delete_connection(&id).await.into() })
            }

            /// Sends the same message to every connection, ``concurrency`` at a time, and
            /// returns a ``BroadcastResult`` (delivered count, gone ids, failures in input
            /// order). ``deadline`` (seconds) bounds the whole call; ``on_progress`` is
            /// called with a ``Progress`` after each connection's outcome. Raises only for
            /// what fails the whole call before sending (data too large, no credentials,
            /// no region).
            #[pyo3(
                signature = (connection_ids, data, *, concurrency = None, deadline = None, on_progress = None),
                text_signature = "($self, connection_ids, data, *, concurrency=None, deadline=None, on_progress=None)"
            )]
            fn broadcast<'py>(
                &self,
                py: Python<'py>,
                connection_ids: &Bound<'py, PyAny>,
                data: &Bound<'py, PyAny>,
                concurrency: Option<&Bound<'py, PyAny>>,
                deadline: Option<&Bound<'py, PyAny>>,
                on_progress: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let ids = options::connection_ids(connection_ids)?;
                let data = convert::data(data)?;
                let opts = options::broadcast_options(py, concurrency, deadline, on_progress)?;
                let client = self.shared.get()?;
                self.run(py, async move { client.broadcast(ids, data, opts).await.into() })
            }

            /// Sends each ``(connection_id, data)`` pair (an iterable of pairs, or a dict)
            /// its own message; the same rules as ``broadcast``. A message over the limit
            /// fails that connection only.
            #[pyo3(
                signature = (items, *, concurrency = None, deadline = None, on_progress = None),
                text_signature = "($self, items, *, concurrency=None, deadline=None, on_progress=None)"
            )]
            fn post_many<'py>(
                &self,
                py: Python<'py>,
                items: &Bound<'py, PyAny>,
                concurrency: Option<&Bound<'py, PyAny>>,
                deadline: Option<&Bound<'py, PyAny>>,
                on_progress: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let items = options::items(items)?;
                let opts = options::broadcast_options(py, concurrency, deadline, on_progress)?;
                let client = self.shared.get()?;
                self.run(py, async move { client.post_many(items, opts).await.into() })
            }

            /// Releases the connection pool; later calls raise ``RuntimeError``.
            fn close(&self) {
                self.shared.close();
            }

            fn __repr__(&self) -> String {
                self.shared.repr($class)
            }

            $($extra)*
        }
    };
}

client_class!(PyClient, "Client", {
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) {
        self.shared.close();
    }
});

client_class!(PyAsyncClient, "AsyncClient", {});
