//! `Client` (blocking, releases the GIL) and `AsyncClient` (asyncio), both thin wrappers
//! over one `apigw_management::Client`.

use crate::bridge::{self, LoopQueue};
use crate::convert::{self, Outcome};
use crate::errors::{self, Bad};
use crate::logs;
use apigw_management::{
    BroadcastOptions, Client, ClientBuilder, Credentials, EventEndpoint, runtime,
};
use bytes::Bytes;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use std::future::Future;
use std::sync::RwLock;
use std::time::Duration;

/// The options both clients take, after the endpoint.
const OPTIONS: &[&str] = &[
    "region",
    "credentials",
    "profile",
    "max_attempts",
    "retry_base_delay",
    "retry_ambiguous",
    "connect_timeout",
    "timeout",
    "max_payload_bytes",
    "proxy",
];

fn opt_string(py: Python<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if v.is_none() {
        return Ok(None);
    }
    match v.cast::<PyString>() {
        Ok(s) => convert::text(s, name, Bad::Option).map(Some),
        Err(_) => Err(errors::invalid_type(
            py,
            format!("{name} must be str or None, not {}", convert::type_name(v)),
        )),
    }
}

/// `(key, secret[, token])`, a dict, or an object with `access_key`/`secret_key`/`token`
/// (botocore's credentials).
fn credentials(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Option<Credentials>> {
    if v.is_none() {
        return Ok(None);
    }
    let text = |name: &str, x: Option<Bound<'_, PyAny>>| -> PyResult<Option<String>> {
        match x {
            None => Ok(None),
            Some(x) => opt_string(py, name, &x),
        }
    };
    let (key, secret, token) = if let Ok(d) = v.cast::<PyDict>() {
        let get = |names: &[&str]| -> PyResult<Option<Bound<'_, PyAny>>> {
            for n in names {
                if let Some(x) = d.get_item(n)? {
                    return Ok(Some(x));
                }
            }
            Ok(None)
        };
        (
            text(
                "access_key_id",
                get(&["aws_access_key_id", "access_key_id", "AccessKeyId"])?,
            )?,
            text(
                "secret_access_key",
                get(&[
                    "aws_secret_access_key",
                    "secret_access_key",
                    "SecretAccessKey",
                ])?,
            )?,
            text(
                "session_token",
                get(&["aws_session_token", "session_token", "SessionToken"])?,
            )?,
        )
    } else if v.is_instance_of::<PyTuple>() || v.is_instance_of::<PyList>() {
        let n = v.len()?;
        if !(2..=3).contains(&n) {
            return Err(errors::config(
                py,
                format!(
                    "credentials must be (access_key_id, secret_access_key[, session_token]), got {n} items"
                ),
            ));
        }
        (
            text("access_key_id", Some(v.get_item(0)?))?,
            text("secret_access_key", Some(v.get_item(1)?))?,
            text(
                "session_token",
                if n == 3 { Some(v.get_item(2)?) } else { None },
            )?,
        )
    } else if v.hasattr("access_key")? && v.hasattr("secret_key")? {
        (
            text("access_key", Some(v.getattr("access_key")?))?,
            text("secret_key", Some(v.getattr("secret_key")?))?,
            text("token", v.getattr("token").ok())?,
        )
    } else {
        return Err(errors::invalid_type(
            py,
            format!(
                "credentials must be None, a (access_key_id, secret_access_key[, session_token]) tuple or a dict, not {}",
                convert::type_name(v)
            ),
        ));
    };
    let (Some(key), Some(secret)) = (key, secret) else {
        return Err(errors::config(
            py,
            "credentials need both an access key id and a secret access key",
        ));
    };
    Ok(Some(Credentials::new(key, secret, token)))
}

/// Applies the keyword options to a builder; unknown names are a `TypeError`.
fn apply_options(
    py: Python<'_>,
    mut b: ClientBuilder,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<ClientBuilder> {
    let Some(options) = options else {
        return Ok(b);
    };
    for (k, v) in options.iter() {
        let name: String = k.extract()?;
        if v.is_none() && name != "credentials" {
            continue;
        }
        match name.as_str() {
            "region" => {
                if let Some(r) = opt_string(py, "region", &v)? {
                    b = b.region(r)
                }
            }
            "profile" => {
                if let Some(p) = opt_string(py, "profile", &v)? {
                    b = b.profile(p)
                }
            }
            "proxy" => {
                if let Some(p) = opt_string(py, "proxy", &v)? {
                    b = b.proxy(p)
                }
            }
            "credentials" => {
                if let Some(c) = credentials(py, &v)? {
                    b = b.credentials(c)
                }
            }
            "max_attempts" => {
                let n = convert::count(py, "max_attempts", &v, u32::MAX.into(), Bad::Option)?;
                b = b.max_attempts(n as u32)
            }
            "max_payload_bytes" => {
                let max = u64::try_from(usize::MAX).unwrap_or(u64::MAX);
                let n = convert::count(py, "max_payload_bytes", &v, max, Bad::Option)?;
                b = b.max_payload_bytes(n as usize)
            }
            "retry_ambiguous" => match v.cast::<pyo3::types::PyBool>() {
                Ok(flag) => b = b.retry_ambiguous(flag.is_true()),
                Err(_) => {
                    return Err(errors::invalid_type(
                        py,
                        format!(
                            "retry_ambiguous must be a bool, not {}",
                            convert::type_name(&v)
                        ),
                    ));
                }
            },
            "retry_base_delay" => {
                b = b.retry_base_delay(convert::seconds(py, "retry_base_delay", &v, Bad::Option)?)
            }
            "connect_timeout" => {
                b = b.connect_timeout(convert::seconds(py, "connect_timeout", &v, Bad::Option)?)
            }
            "timeout" => b = b.timeout(convert::seconds(py, "timeout", &v, Bad::Option)?),
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument '{name}' (options: endpoint, {})",
                    OPTIONS.join(", ")
                )));
            }
        }
    }
    Ok(b)
}

fn build(
    py: Python<'_>,
    endpoint: Option<&Bound<'_, PyAny>>,
    event: Option<(&Bound<'_, PyAny>, EventEndpoint)>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Client> {
    errors::guard(py, || {
        let mut b = Client::builder().on_attempt(logs::hook());
        if let Some(e) = endpoint
            && let Some(url) = opt_string(py, "endpoint", e)?
        {
            b = b.endpoint(url);
        }
        b = apply_options(py, b, options)?;
        if let Some((event, style)) = event {
            let value = convert::json(event, 0)?;
            b = b
                .endpoint_from_event(&value, style)
                .map_err(|e| errors::to_pyerr(py, &e))?;
        }
        b.build().map_err(|e| errors::to_pyerr(py, &e))
    })
}

fn event_style(py: Python<'_>, style: &str) -> PyResult<EventEndpoint> {
    match style {
        "api_id" => Ok(EventEndpoint::ApiId),
        "domain_name" => Ok(EventEndpoint::DomainName),
        other => Err(errors::config(
            py,
            format!("endpoint_style must be \"api_id\" or \"domain_name\", not {other:?}"),
        )),
    }
}

fn deadline(py: Python<'_>, v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    match v {
        Some(v) if !v.is_none() => Ok(Some(convert::seconds(py, "deadline", v, Bad::Argument)?)),
        _ => Ok(None),
    }
}

fn connection_ids(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if v.is_instance_of::<PyString>() || v.is_instance_of::<pyo3::types::PyBytes>() {
        return Err(errors::invalid_type(
            v.py(),
            format!(
                "connection_ids must be an iterable of str, not a single {}",
                convert::type_name(v)
            ),
        ));
    }
    let mut out = Vec::with_capacity(v.len().unwrap_or(0));
    for id in v.try_iter()? {
        out.push(convert::connection_id(&id?)?);
    }
    Ok(out)
}

fn items(v: &Bound<'_, PyAny>) -> PyResult<Vec<(String, Bytes)>> {
    let iter = match v.cast::<PyDict>() {
        Ok(d) => d.items().into_any(),
        Err(_) => v.clone(),
    };
    let mut out = Vec::with_capacity(iter.len().unwrap_or(0));
    for pair in iter.try_iter()? {
        let pair = pair?;
        let bad = || {
            errors::invalid_type(
                pair.py(),
                format!(
                    "post_many items must be (connection_id, data) pairs, not {}",
                    convert::type_name(&pair)
                ),
            )
        };
        if !(pair.is_instance_of::<PyTuple>() || pair.is_instance_of::<PyList>())
            || pair.len()? != 2
        {
            return Err(bad());
        }
        out.push((
            convert::connection_id(&pair.get_item(0)?)?,
            convert::data(&pair.get_item(1)?)?,
        ));
    }
    Ok(out)
}

/// `concurrency` (a whole number; 0 is the core's error) and `deadline` (seconds).
fn broadcast_options(
    py: Python<'_>,
    concurrency: Option<&Bound<'_, PyAny>>,
    deadline: Option<&Bound<'_, PyAny>>,
) -> PyResult<BroadcastOptions> {
    let mut o = BroadcastOptions::default();
    if let Some(c) = concurrency.filter(|c| !c.is_none()) {
        let max = u64::try_from(usize::MAX).unwrap_or(u64::MAX);
        let n = convert::count(py, "concurrency", c, max, Bad::Argument)?;
        o = o.concurrency(n as usize);
    }
    if let Some(d) = self::deadline(py, deadline)? {
        o = o.deadline(d);
    }
    Ok(o)
}

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

/// A blocking client of the API Gateway Management API (`@connections`).
///
/// Every call releases the GIL for the whole network wait, and one client is safe to
/// share between threads (it pools its HTTP connections). Construction does no I/O.
///
/// endpoint: ``https://{api}.execute-api.{region}.amazonaws.com/{stage}``, a custom
/// domain with its base path, or ``http://127.0.0.1:PORT/{stage}`` (``wss://``/``ws://``
/// accepted). Default: ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``, then
/// ``AWS_ENDPOINT_URL``. credentials: ``(key, secret[, token])`` or a dict; default: the
/// AWS default chain. Times are in seconds. Delivery is at least once: a post that may
/// have been delivered (timeout after sending, 502, 504) is retried unless
/// ``retry_ambiguous=False``.
#[pyclass(frozen, module = "apigw_management", name = "Client")]
pub struct PyClient {
    shared: Shared,
}

#[pymethods]
impl PyClient {
    #[new]
    #[pyo3(
        signature = (endpoint = None, **options),
        text_signature = "(endpoint=None, *, region=None, credentials=None, profile=None, max_attempts=3, retry_base_delay=0.1, retry_ambiguous=True, connect_timeout=3.0, timeout=10.0, max_payload_bytes=131072, proxy=None)"
    )]
    fn new(
        py: Python<'_>,
        endpoint: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(PyClient {
            shared: Shared::new(build(py, endpoint, None, options)?),
        })
    }

    /// A client for the API that sent a Lambda event (``requestContext.apiId`` and
    /// ``stage``; ``endpoint_style="domain_name"`` uses ``domainName`` instead).
    /// ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` overrides it (local tests).
    #[classmethod]
    #[pyo3(
        signature = (event, *, endpoint_style = "api_id", **options),
        text_signature = "(event, *, endpoint_style='api_id', region=None, credentials=None, profile=None, max_attempts=3, retry_base_delay=0.1, retry_ambiguous=True, connect_timeout=3.0, timeout=10.0, max_payload_bytes=131072, proxy=None)"
    )]
    fn from_event(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        endpoint_style: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let style = event_style(py, endpoint_style)?;
        Ok(PyClient {
            shared: Shared::new(build(py, None, Some((event, style)), options)?),
        })
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
    /// message. Raises ``GoneException`` when the connection is closed.
    #[pyo3(signature = (connection_id, data))]
    fn post_to_connection(
        &self,
        py: Python<'_>,
        connection_id: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let id = convert::connection_id(connection_id)?;
        let data = convert::data(data)?;
        let client = self.shared.get()?;
        block(py, async move {
            client.post_to_connection(&id, data).await.into()
        })
    }

    /// Describes a connection: a ``Connection`` with ``connected_at``,
    /// ``last_active_at`` (UTC datetimes) and ``identity``.
    #[pyo3(signature = (connection_id))]
    fn get_connection(
        &self,
        py: Python<'_>,
        connection_id: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let id = convert::connection_id(connection_id)?;
        let client = self.shared.get()?;
        block(py, async move { client.get_connection(&id).await.into() })
    }

    /// Closes a connection.
    #[pyo3(signature = (connection_id))]
    fn delete_connection(
        &self,
        py: Python<'_>,
        connection_id: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let id = convert::connection_id(connection_id)?;
        let client = self.shared.get()?;
        block(
            py,
            async move { client.delete_connection(&id).await.into() },
        )
    }

    /// Sends the same message to every connection, ``concurrency`` at a time, and
    /// returns a ``BroadcastResult`` (delivered count, gone ids, failures in input
    /// order). ``deadline`` (seconds) bounds the whole call. Raises only for what fails
    /// the whole call before sending (data too large, no credentials, no region).
    #[pyo3(
        signature = (connection_ids, data, *, concurrency = None, deadline = None),
        text_signature = "($self, connection_ids, data, *, concurrency=64, deadline=None)"
    )]
    fn broadcast(
        &self,
        py: Python<'_>,
        connection_ids: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        concurrency: Option<&Bound<'_, PyAny>>,
        deadline: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let ids = self::connection_ids(connection_ids)?;
        let data = convert::data(data)?;
        let opts = broadcast_options(py, concurrency, deadline)?;
        let client = self.shared.get()?;
        block(
            py,
            async move { client.broadcast(ids, data, opts).await.into() },
        )
    }

    /// Sends each ``(connection_id, data)`` pair (an iterable of pairs, or a dict) its
    /// own message; the same rules as ``broadcast``. A message over the limit fails that
    /// connection only.
    #[pyo3(
        signature = (items, *, concurrency = None, deadline = None),
        text_signature = "($self, items, *, concurrency=64, deadline=None)"
    )]
    fn post_many(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        concurrency: Option<&Bound<'_, PyAny>>,
        deadline: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let items = self::items(items)?;
        let opts = broadcast_options(py, concurrency, deadline)?;
        let client = self.shared.get()?;
        block(
            py,
            async move { client.post_many(items, opts).await.into() },
        )
    }

    /// Releases the connection pool; later calls raise ``RuntimeError``.
    fn close(&self) {
        self.shared.close();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) {
        self.shared.close();
    }

    fn __repr__(&self) -> String {
        self.shared.repr("Client")
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

impl PyAsyncClient {
    fn spawn<'py, F>(&self, py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        logs::refresh(py);
        bridge::spawn(py, &self.queues, future)
    }
}

#[pymethods]
impl PyAsyncClient {
    #[new]
    #[pyo3(
        signature = (endpoint = None, **options),
        text_signature = "(endpoint=None, *, region=None, credentials=None, profile=None, max_attempts=3, retry_base_delay=0.1, retry_ambiguous=True, connect_timeout=3.0, timeout=10.0, max_payload_bytes=131072, proxy=None)"
    )]
    fn new(
        py: Python<'_>,
        endpoint: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(PyAsyncClient {
            shared: Shared::new(build(py, endpoint, None, options)?),
            queues: LoopQueue::default(),
        })
    }

    /// A client for the API that sent a Lambda event; see ``Client.from_event``.
    #[classmethod]
    #[pyo3(
        signature = (event, *, endpoint_style = "api_id", **options),
        text_signature = "(event, *, endpoint_style='api_id', region=None, credentials=None, profile=None, max_attempts=3, retry_base_delay=0.1, retry_ambiguous=True, connect_timeout=3.0, timeout=10.0, max_payload_bytes=131072, proxy=None)"
    )]
    fn from_event(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        endpoint_style: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let style = event_style(py, endpoint_style)?;
        Ok(PyAsyncClient {
            shared: Shared::new(build(py, None, Some((event, style)), options)?),
            queues: LoopQueue::default(),
        })
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

    /// Sends ``data`` to a connection as one message (awaitable).
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
        self.spawn(py, async move {
            client.post_to_connection(&id, data).await.into()
        })
    }

    /// Describes a connection (awaitable of ``Connection``).
    #[pyo3(signature = (connection_id))]
    fn get_connection<'py>(
        &self,
        py: Python<'py>,
        connection_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = convert::connection_id(connection_id)?;
        let client = self.shared.get()?;
        self.spawn(py, async move { client.get_connection(&id).await.into() })
    }

    /// Closes a connection (awaitable).
    #[pyo3(signature = (connection_id))]
    fn delete_connection<'py>(
        &self,
        py: Python<'py>,
        connection_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = convert::connection_id(connection_id)?;
        let client = self.shared.get()?;
        self.spawn(
            py,
            async move { client.delete_connection(&id).await.into() },
        )
    }

    /// Sends the same message to every connection (awaitable of ``BroadcastResult``);
    /// see ``Client.broadcast``.
    #[pyo3(
        signature = (connection_ids, data, *, concurrency = None, deadline = None),
        text_signature = "($self, connection_ids, data, *, concurrency=64, deadline=None)"
    )]
    fn broadcast<'py>(
        &self,
        py: Python<'py>,
        connection_ids: &Bound<'py, PyAny>,
        data: &Bound<'py, PyAny>,
        concurrency: Option<&Bound<'py, PyAny>>,
        deadline: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ids = self::connection_ids(connection_ids)?;
        let data = convert::data(data)?;
        let opts = broadcast_options(py, concurrency, deadline)?;
        let client = self.shared.get()?;
        self.spawn(
            py,
            async move { client.broadcast(ids, data, opts).await.into() },
        )
    }

    /// Sends each ``(connection_id, data)`` pair its own message (awaitable of
    /// ``BroadcastResult``); see ``Client.post_many``.
    #[pyo3(
        signature = (items, *, concurrency = None, deadline = None),
        text_signature = "($self, items, *, concurrency=64, deadline=None)"
    )]
    fn post_many<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        concurrency: Option<&Bound<'py, PyAny>>,
        deadline: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let items = self::items(items)?;
        let opts = broadcast_options(py, concurrency, deadline)?;
        let client = self.shared.get()?;
        self.spawn(
            py,
            async move { client.post_many(items, opts).await.into() },
        )
    }

    /// Releases the connection pool; later calls raise ``RuntimeError``.
    fn close(&self) {
        self.shared.close();
    }

    fn __repr__(&self) -> String {
        self.shared.repr("AsyncClient")
    }
}
