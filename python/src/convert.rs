//! Type conversion between Python values and the core's: data, ids, seconds, events, and
//! the result classes (`Connection`, `Identity`, `BroadcastResult`).

use crate::errors::{self, Bad};
use apigw_management::Error;
use bytes::Bytes;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use std::time::{Duration, SystemTime};

/// The Python type name of a value, for error messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// A `str` as UTF-8; a lone surrogate (not encodable) is `bad`'s error, naming the
/// argument or option.
pub fn text(s: &Bound<'_, PyString>, name: &str, bad: Bad) -> PyResult<String> {
    s.to_cow().map(|c| c.into_owned()).map_err(|e| {
        bad.error(
            s.py(),
            format!("{name} must be valid Unicode text (it cannot be encoded as UTF-8: {e})"),
        )
    })
}

/// Data as Rust-owned bytes, copied while the GIL is held: `bytes`, `bytearray`,
/// `memoryview`, or `str` (UTF-8).
pub fn data(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Bytes::from(text(s, "data", Bad::Argument)?.into_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    if obj.cast::<PyMemoryView>().is_ok() {
        // abi3 below 3.11 has no buffer API: `tobytes()` copies in C order.
        let b = obj.call_method0(pyo3::intern!(obj.py(), "tobytes"))?;
        let b = b.cast::<PyBytes>()?;
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    Err(errors::invalid_type(
        obj.py(),
        format!(
            "data must be bytes, bytearray, memoryview or str, not {}",
            type_name(obj)
        ),
    ))
}

/// A connection id: a `str` (its checks are the core's).
pub fn connection_id(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => text(s, "connection_id", Bad::Argument),
        Err(_) => Err(errors::invalid_type(
            obj.py(),
            format!("connection_id must be str, not {}", type_name(obj)),
        )),
    }
}

/// A whole number from 0 to `max` (an `int`, or a `float` with no fraction). A value of
/// another type is an `InvalidTypeError`; a negative, fractional, non-finite or too
/// large one is `bad`'s error. Both name the option.
pub fn count(
    py: Python<'_>,
    name: &str,
    v: &Bound<'_, PyAny>,
    max: u64,
    bad: Bad,
) -> PyResult<u64> {
    let out_of_range = || {
        let shown = v.str().map_or_else(|_| "?".into(), |s| s.to_string());
        bad.error(
            py,
            format!("{name} must be a whole number from 0 to {max}, not {shown}"),
        )
    };
    if v.is_instance_of::<PyBool>() {
        return Err(errors::invalid_type(
            py,
            format!("{name} must be an int, not bool"),
        ));
    }
    if v.is_instance_of::<PyFloat>() {
        let f: f64 = v.extract()?;
        if f.is_finite() && f.fract() == 0.0 && f >= 0.0 && f <= max as f64 {
            return Ok(f as u64);
        }
        return Err(out_of_range());
    }
    if !v.is_instance_of::<PyInt>() {
        return Err(errors::invalid_type(
            py,
            format!("{name} must be an int, not {}", type_name(v)),
        ));
    }
    // An int beyond i128 does not even extract: out of range too.
    match v.extract::<i128>() {
        Ok(n) if (0..=i128::from(max)).contains(&n) => Ok(n as u64),
        _ => Err(out_of_range()),
    }
}

/// Seconds (int or float) as a `Duration`. A value of another type is an
/// `InvalidTypeError`; a negative, NaN, infinite or unrepresentably large one is `bad`'s
/// error. Both name the option.
pub fn seconds(py: Python<'_>, name: &str, obj: &Bound<'_, PyAny>, bad: Bad) -> PyResult<Duration> {
    if obj.is_instance_of::<PyBool>()
        || !(obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>())
    {
        return Err(errors::invalid_type(
            py,
            format!(
                "{name} must be a number of seconds (int or float), not {}",
                type_name(obj)
            ),
        ));
    }
    let shown = || obj.str().map_or_else(|_| "?".into(), |s| s.to_string());
    // An int too large for a float does not extract: out of range too.
    let secs: Option<f64> = obj.extract().ok();
    secs.and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            bad.error(
                py,
                format!(
                    "{name} must be a finite, non-negative number of seconds, not {}",
                    shown()
                ),
            )
        })
}

/// A Python event (dicts, lists, str, numbers, bools, None) as JSON. Values of other
/// types become `null`.
pub fn json(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<serde_json::Value> {
    use serde_json::Value;
    if depth > 64 {
        return Err(PyValueError::new_err("the event is nested too deeply"));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(text(s, "event", Bad::Argument)?));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return Ok(Value::Null);
    }
    if obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        return Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let Ok(k) = k.cast::<PyString>() else {
                continue;
            };
            map.insert(k.to_cow()?.into_owned(), json(&v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for v in obj.try_iter()? {
            out.push(json(&v?, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    Ok(Value::Null)
}

/// Who is connected: the client's source IP and User-Agent.
#[pyclass(frozen, module = "apigw_management", get_all, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The client's IP address.
    pub source_ip: String,
    /// The client's `User-Agent` header ("" when it sent none).
    pub user_agent: String,
}

#[pymethods]
impl Identity {
    #[new]
    #[pyo3(signature = (source_ip, user_agent = String::new()))]
    fn new(source_ip: String, user_agent: String) -> Self {
        Identity {
            source_ip,
            user_agent,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Identity(source_ip={}, user_agent={})",
            PyString::new(py, &self.source_ip).repr()?,
            PyString::new(py, &self.user_agent).repr()?
        ))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let me = slf.get();
        (
            slf.get_type(),
            (me.source_ip.clone(), me.user_agent.clone()),
        )
            .into_pyobject(slf.py())
    }
}

/// A connection as `get_connection` describes it. The times are timezone-aware UTC
/// `datetime`s.
#[pyclass(frozen, module = "apigw_management", get_all)]
pub struct Connection {
    /// When the client connected (UTC).
    pub connected_at: Py<PyAny>,
    /// When the connection last sent or received a message (UTC).
    pub last_active_at: Py<PyAny>,
    /// The client's source IP and User-Agent.
    pub identity: Py<Identity>,
    /// The response's metadata (``None`` for a `Connection` built by hand).
    pub metadata: Option<Py<ResponseMetadata>>,
}

#[pymethods]
impl Connection {
    #[new]
    #[pyo3(signature = (connected_at, last_active_at, identity, metadata = None))]
    fn new(
        connected_at: Py<PyAny>,
        last_active_at: Py<PyAny>,
        identity: Py<Identity>,
        metadata: Option<Py<ResponseMetadata>>,
    ) -> Self {
        Connection {
            connected_at,
            last_active_at,
            identity,
            metadata,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Connection(connected_at={}, last_active_at={}, identity={})",
            self.connected_at.bind(py).repr()?,
            self.last_active_at.bind(py).repr()?,
            self.identity.get().__repr__(py)?,
        ))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<Connection>() else {
            return Ok(false);
        };
        let o = other.get();
        Ok(self.connected_at.bind(py).eq(o.connected_at.bind(py))?
            && self.last_active_at.bind(py).eq(o.last_active_at.bind(py))?
            && self.identity.get() == o.identity.get())
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let me = slf.get();
        let py = slf.py();
        (
            slf.get_type(),
            (
                me.connected_at.clone_ref(py),
                me.last_active_at.clone_ref(py),
                me.identity.clone_ref(py),
                me.metadata.as_ref().map(|m| m.clone_ref(py)),
            ),
        )
            .into_pyobject(py)
    }
}

fn datetime(py: Python<'_>, t: SystemTime) -> PyResult<Py<PyAny>> {
    Ok(t.into_pyobject(py)?.into_any().unbind())
}

/// What a successful call's response said besides its result: ``status_code``,
/// ``request_id`` (``x-amzn-RequestId``), ``attempts`` (requests sent, the successful one
/// included) and ``retry_delay`` (seconds waited between attempts).
#[pyclass(frozen, module = "apigw_management", get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct ResponseMetadata {
    /// The HTTP status (200, or 204 for a delete).
    pub status_code: u16,
    /// The response's ``x-amzn-RequestId``, when it had one.
    pub request_id: Option<String>,
    /// Requests sent, the successful one included.
    pub attempts: u32,
    /// Seconds spent waiting between attempts.
    pub retry_delay: f64,
}

#[pymethods]
impl ResponseMetadata {
    #[new]
    #[pyo3(signature = (status_code, request_id = None, attempts = 1, retry_delay = 0.0))]
    fn new(status_code: u16, request_id: Option<String>, attempts: u32, retry_delay: f64) -> Self {
        ResponseMetadata {
            status_code,
            request_id,
            attempts,
            retry_delay,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let request_id = match &self.request_id {
            Some(r) => PyString::new(py, r).repr()?.to_string(),
            None => "None".into(),
        };
        Ok(format!(
            "ResponseMetadata(status_code={}, request_id={request_id}, attempts={}, retry_delay={})",
            self.status_code, self.attempts, self.retry_delay
        ))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let me = slf.get();
        (
            slf.get_type(),
            (
                me.status_code,
                me.request_id.clone(),
                me.attempts,
                me.retry_delay,
            ),
        )
            .into_pyobject(slf.py())
    }
}

/// The Python `ResponseMetadata` for the core's.
pub fn metadata(
    py: Python<'_>,
    m: apigw_management::ResponseMetadata,
) -> PyResult<Py<ResponseMetadata>> {
    Py::new(
        py,
        ResponseMetadata {
            status_code: m.status,
            request_id: m.request_id,
            attempts: m.attempts,
            retry_delay: m.total_retry_delay.as_secs_f64(),
        },
    )
}

/// The Python `Connection` for the core's, with its response's metadata.
pub fn connection(
    py: Python<'_>,
    c: apigw_management::Connection,
    m: apigw_management::ResponseMetadata,
) -> PyResult<Py<Connection>> {
    let identity = Py::new(
        py,
        Identity {
            source_ip: c.identity.source_ip,
            user_agent: c.identity.user_agent,
        },
    )?;
    Py::new(
        py,
        Connection {
            connected_at: datetime(py, c.connected_at)?,
            last_active_at: datetime(py, c.last_active_at)?,
            identity,
            metadata: Some(metadata(py, m)?),
        },
    )
}

/// What `broadcast` and `post_many` did: every connection counted once, in input order.
///
/// `delivered` is the number of messages delivered, `gone` the ids that answered 410
/// (closed connections: drop them), `failed` a list of `(connection_id, exception)` for
/// every other failure. It is true (and `ok`) when nothing failed; gone connections are
/// not failures.
#[pyclass(frozen, module = "apigw_management", get_all)]
pub struct BroadcastResult {
    /// Messages delivered.
    pub delivered: usize,
    /// Connections that are gone (410), in input order.
    pub gone: Py<PyList>,
    /// `(connection_id, exception)` for every other failure, in input order.
    pub failed: Py<PyList>,
}

#[pymethods]
impl BroadcastResult {
    #[new]
    #[pyo3(signature = (delivered = 0, gone = None, failed = None))]
    fn new(
        py: Python<'_>,
        delivered: usize,
        gone: Option<Py<PyList>>,
        failed: Option<Py<PyList>>,
    ) -> Self {
        BroadcastResult {
            delivered,
            gone: gone.unwrap_or_else(|| PyList::empty(py).unbind()),
            failed: failed.unwrap_or_else(|| PyList::empty(py).unbind()),
        }
    }

    /// True when nothing failed (gone connections are not failures).
    #[getter]
    fn ok(&self, py: Python<'_>) -> bool {
        self.failed.bind(py).is_empty()
    }

    fn __bool__(&self, py: Python<'_>) -> bool {
        self.ok(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "BroadcastResult(delivered={}, gone={}, failed={})",
            self.delivered,
            self.gone.bind(py).len(),
            self.failed.bind(py).len()
        )
    }
}

/// The Python `BroadcastResult` for the core's.
pub fn broadcast_result(
    py: Python<'_>,
    r: apigw_management::BroadcastResult,
) -> PyResult<Py<BroadcastResult>> {
    let gone = PyList::new(py, r.gone)?;
    let failed = PyList::empty(py);
    for (id, err) in &r.failed {
        failed.append((id, errors::to_exception(py, err)?))?;
    }
    Py::new(
        py,
        BroadcastResult {
            delivered: r.delivered,
            gone: gone.unbind(),
            failed: failed.unbind(),
        },
    )
}

/// The counts so far of a `broadcast` or `post_many`, given to ``on_progress``.
#[pyclass(frozen, module = "apigw_management", get_all, eq)]
#[derive(Clone, PartialEq, Eq)]
pub struct Progress {
    /// Connections whose outcome is known.
    pub done: usize,
    /// Connections in the call.
    pub total: usize,
    /// Messages delivered.
    pub delivered: usize,
    /// Connections that answered 410.
    pub gone: usize,
    /// Connections that failed otherwise.
    pub failed: usize,
}

#[pymethods]
impl Progress {
    fn __repr__(&self) -> String {
        format!(
            "Progress(done={}, total={}, delivered={}, gone={}, failed={})",
            self.done, self.total, self.delivered, self.gone, self.failed
        )
    }
}

/// Calls a Python progress callback from the core's thread. An exception it raises is
/// reported through `sys.unraisablehook` and does not stop the broadcast.
pub fn report_progress(f: &Py<PyAny>, p: &apigw_management::Progress) {
    let progress = Progress {
        done: p.done,
        total: p.total,
        delivered: p.delivered,
        gone: p.gone,
        failed: p.failed,
    };
    crate::exit::attach(|py| {
        if let Err(e) = f.bind(py).call1((progress,)) {
            e.write_unraisable(py, Some(f.bind(py)));
        }
    });
}

/// What a core call produced, converted to Python once the GIL is held.
pub enum Outcome {
    Metadata(apigw_management::ResponseMetadata),
    Connection(
        apigw_management::Connection,
        apigw_management::ResponseMetadata,
    ),
    Broadcast(apigw_management::BroadcastResult),
    Failed(Error),
    Panicked(String),
}

impl Outcome {
    /// The value to return, or the exception to raise.
    pub fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            Outcome::Metadata(m) => Ok(metadata(py, m)?.into_any()),
            Outcome::Connection(c, m) => Ok(connection(py, c, m)?.into_any()),
            Outcome::Broadcast(r) => Ok(broadcast_result(py, r)?.into_any()),
            Outcome::Failed(e) => Err(errors::to_pyerr(py, &e)),
            Outcome::Panicked(m) => Err(errors::panic_error(py, &m)),
        }
    }
}

impl From<apigw_management::Result<apigw_management::ResponseMetadata>> for Outcome {
    fn from(r: apigw_management::Result<apigw_management::ResponseMetadata>) -> Self {
        r.map_or_else(Outcome::Failed, Outcome::Metadata)
    }
}

impl
    From<
        apigw_management::Result<(
            apigw_management::Connection,
            apigw_management::ResponseMetadata,
        )>,
    > for Outcome
{
    fn from(
        r: apigw_management::Result<(
            apigw_management::Connection,
            apigw_management::ResponseMetadata,
        )>,
    ) -> Self {
        r.map_or_else(Outcome::Failed, |(c, m)| Outcome::Connection(c, m))
    }
}

impl From<apigw_management::Result<apigw_management::BroadcastResult>> for Outcome {
    fn from(r: apigw_management::Result<apigw_management::BroadcastResult>) -> Self {
        r.map_or_else(Outcome::Failed, Outcome::Broadcast)
    }
}
