//! Test servers from `apigw-management-local`, for `apigw_management.testing`.

use apigw_management::runtime;
use apigw_management_local::{ScriptServer, Verifier};
use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::Mutex;

/// The scripted server the test vectors replay against: answers the management API
/// from a script (JSON text) and records every request it received.
///
/// ScriptServer(script_json, access_key_id="AKIDLOCAL", secret_access_key="local-secret")
#[pyclass(frozen, module = "apigw_management._native", name = "ScriptServer")]
pub struct PyScriptServer {
    server: Mutex<Option<ScriptServer>>,
    endpoint: String,
}

#[pymethods]
impl PyScriptServer {
    #[new]
    #[pyo3(signature = (script_json, access_key_id = "AKIDLOCAL", secret_access_key = "local-secret"))]
    fn new(
        py: Python<'_>,
        script_json: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> PyResult<Self> {
        let verifier = Verifier::new(access_key_id, secret_access_key);
        let script = script_json.to_owned();
        let server = py
            .detach(|| runtime::block_on(ScriptServer::start_json(&script, verifier)))
            .map_err(|e| PyOSError::new_err(format!("cannot start the script server: {e}")))?;
        Ok(PyScriptServer {
            endpoint: server.endpoint(),
            server: Mutex::new(Some(server)),
        })
    }

    /// ``http://127.0.0.1:PORT/{stage}``.
    #[getter]
    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// Every request received so far, as JSON text (a list of objects with ``method``,
    /// ``path``, ``connection_id``, ``headers``, ``body``, ``signature_error``).
    fn requests_json(&self) -> PyResult<String> {
        let guard = self.server.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(s) => Ok(s.requests_json()),
            None => Err(PyRuntimeError::new_err("the server is stopped")),
        }
    }

    /// Stops the server and closes its connections.
    fn stop(&self) {
        if let Some(s) = self.server.lock().unwrap_or_else(|p| p.into_inner()).take() {
            s.stop();
            // Dropped inside the runtime: its tasks end on their own.
            let _guard = runtime::get().enter();
            drop(s);
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) {
        self.stop();
    }
}

/// Calls a Python route handler with an event; its answer as JSON (`None` → 200).
fn call_handler(handler: &Py<PyAny>, event: serde_json::Value) -> serde_json::Value {
    let failed = || serde_json::json!({ "statusCode": 500 });
    crate::exit::attach(|py| {
        let call = || -> PyResult<serde_json::Value> {
            let loads = py.import("json")?.getattr("loads")?;
            let event = loads.call1((event.to_string(),))?;
            let answer = handler.bind(py).call1((event,))?;
            if answer.is_none() {
                return Ok(serde_json::json!({ "statusCode": 200 }));
            }
            crate::convert::json(&answer, 0)
        };
        call().unwrap_or_else(|e| {
            e.print(py);
            failed()
        })
    })
    .unwrap_or_else(failed)
}

fn io_error(e: std::io::Error) -> PyErr {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        pyo3::exceptions::PyValueError::new_err(e.to_string())
    } else {
        PyOSError::new_err(e.to_string())
    }
}

/// The local API Gateway WebSocket stand-in (use `apigw_management.testing.LocalGateway`,
/// which adds WebSocket test clients).
#[pyclass(frozen, module = "apigw_management._native", name = "LocalGateway")]
pub struct PyLocalGateway {
    running: Mutex<Option<std::sync::Arc<apigw_management_local::Running>>>,
    endpoint: String,
    ws_url: String,
    port: u16,
    stage: String,
    api_id: String,
    access_key_id: String,
    secret_access_key: String,
    wss_url: Option<String>,
    ca_file: Option<String>,
}

impl PyLocalGateway {
    fn running(&self) -> PyResult<std::sync::Arc<apigw_management_local::Running>> {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| PyRuntimeError::new_err("the local gateway is stopped"))
    }
}

#[pymethods]
impl PyLocalGateway {
    #[new]
    #[pyo3(signature = (
        *, port = 0, stage = None, verify = true, credentials = None, integration_url = None,
        handler = None, faults_json = None, idle_timeout = None, max_duration = None,
        client_buffer_bytes = None, api_id = None, template = None, parameter_overrides = None,
        env_vars = None, region = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        port: u16,
        stage: Option<String>,
        verify: bool,
        credentials: Option<(String, String)>,
        integration_url: Option<String>,
        handler: Option<Py<PyAny>>,
        faults_json: Option<String>,
        idle_timeout: Option<f64>,
        max_duration: Option<f64>,
        client_buffer_bytes: Option<usize>,
        api_id: Option<String>,
        template: Option<std::path::PathBuf>,
        parameter_overrides: Option<Vec<(String, String)>>,
        env_vars: Option<std::path::PathBuf>,
        region: Option<String>,
    ) -> PyResult<Self> {
        let seconds = |name: &str, s: f64| {
            std::time::Duration::try_from_secs_f64(s).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "{name} must be a positive number of seconds"
                ))
            })
        };
        let mut b = apigw_management_local::LocalGateway::builder()
            .port(port)
            .verify(verify);
        if let Some(s) = stage {
            b = b.stage(s);
        }
        if let Some((k, s)) = credentials {
            b = b.credentials(k, s);
        }
        if let Some(u) = integration_url {
            b = b.integration_url(u);
        }
        if let Some(f) = faults_json {
            b = b.faults(apigw_management_local::Faults::from_json(&f).map_err(io_error)?);
        }
        if let Some(t) = idle_timeout {
            b = b.idle_timeout(seconds("idle_timeout", t)?);
        }
        if let Some(t) = max_duration {
            b = b.max_duration(seconds("max_duration", t)?);
        }
        if let Some(n) = client_buffer_bytes {
            b = b.client_buffer_bytes(n);
        }
        if let Some(a) = api_id {
            b = b.api_id(a);
        }
        if let Some(h) = handler {
            let h = std::sync::Arc::new(h);
            b = b.handler_fn(move |event| {
                let h = h.clone();
                async move {
                    tokio::task::spawn_blocking(move || call_handler(&h, event))
                        .await
                        .unwrap_or_else(|_| serde_json::json!({ "statusCode": 500 }))
                }
            });
        }
        if let Some(path) = template {
            let region = region
                .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
                .unwrap_or_else(|| "us-east-1".to_string());
            let overrides = parameter_overrides.unwrap_or_default();
            let t = apigw_management_local::Template::load(
                &path,
                &overrides,
                env_vars.as_deref(),
                &region,
            )
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
            b = b.template(t);
        }
        let running = py
            .detach(|| runtime::block_on(b.start()))
            .map_err(io_error)?;
        Ok(PyLocalGateway {
            wss_url: running.wss_url(),
            ca_file: running.ca_file().map(|p| p.display().to_string()),
            endpoint: running.endpoint(),
            ws_url: running.ws_url(),
            port: running.port(),
            stage: running.stage().to_string(),
            api_id: running.api_id().to_string(),
            access_key_id: running.access_key_id().to_string(),
            secret_access_key: running.secret_access_key().to_string(),
            running: Mutex::new(Some(std::sync::Arc::new(running))),
        })
    }

    /// The management API endpoint: ``http://127.0.0.1:PORT/{stage}``.
    #[getter]
    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// Where WebSocket clients connect: ``ws://127.0.0.1:PORT/{stage}``.
    #[getter]
    fn ws_url(&self) -> String {
        self.ws_url.clone()
    }

    /// Template mode: ``wss://127.0.0.1:PORT/{stage}`` (else None).
    #[getter]
    fn wss_url(&self) -> Option<String> {
        self.wss_url.clone()
    }

    /// Template mode: the generated CA's PEM file, for ``wss://`` clients (else None).
    #[getter]
    fn ca_file(&self) -> Option<String> {
        self.ca_file.clone()
    }

    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    #[getter]
    fn stage(&self) -> String {
        self.stage.clone()
    }

    #[getter]
    fn api_id(&self) -> String {
        self.api_id.clone()
    }

    /// The key pair requests must be signed with (local test keys).
    #[getter]
    fn credentials(&self) -> (String, String) {
        (self.access_key_id.clone(), self.secret_access_key.clone())
    }

    /// Open connections, oldest first: dicts with ``connection_id``, ``connected_at``,
    /// ``last_active_at`` (UTC datetimes), ``source_ip``, ``user_agent``.
    fn connections<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyList>> {
        let list = pyo3::types::PyList::empty(py);
        for c in self.running()?.connections() {
            let d = pyo3::types::PyDict::new(py);
            d.set_item("connection_id", c.connection_id)?;
            d.set_item("connected_at", c.connected_at.into_pyobject(py)?)?;
            d.set_item("last_active_at", c.last_active_at.into_pyobject(py)?)?;
            d.set_item("source_ip", c.source_ip)?;
            d.set_item("user_agent", c.user_agent)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// The ids of the open connections, oldest first.
    fn connection_ids(&self) -> PyResult<Vec<String>> {
        Ok(self.running()?.connection_ids())
    }

    /// The number of open connections.
    fn connection_count(&self) -> PyResult<usize> {
        Ok(self.running()?.connection_count())
    }

    /// Waits (GIL released) until at least ``n`` connections are open; False on timeout.
    #[pyo3(signature = (n, timeout = 5.0))]
    fn wait_for_connections(&self, py: Python<'_>, n: usize, timeout: f64) -> PyResult<bool> {
        let running = self.running()?;
        let timeout = std::time::Duration::try_from_secs_f64(timeout).map_err(|_| {
            pyo3::exceptions::PyValueError::new_err("timeout must be a positive number of seconds")
        })?;
        Ok(py.detach(|| runtime::block_on(running.wait_for_connections(n, timeout))))
    }

    /// Closes a connection from the server side; False if it is not open.
    fn disconnect(&self, connection_id: &str) -> PyResult<bool> {
        Ok(self.running()?.disconnect(connection_id))
    }

    /// Replaces the injected faults (JSON: ``{"seed", "throttle", "server_error",
    /// "drop_before", "drop_after", "latency_ms", "latency_jitter_ms", "rate_limit",
    /// "burst"}``).
    fn set_faults_json(&self, faults_json: &str) -> PyResult<()> {
        let faults = apigw_management_local::Faults::from_json(faults_json).map_err(io_error)?;
        self.running()?.set_faults(faults).map_err(io_error)
    }

    /// The faults in force, as JSON.
    fn faults_json(&self) -> PyResult<String> {
        Ok(self.running()?.faults().to_json())
    }

    /// Stops accepting and closes every client (1001). Idempotent.
    fn stop(&self, py: Python<'_>) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(r) = running {
            r.stop();
            py.detach(|| {
                let _guard = runtime::get().enter();
                drop(r);
            });
        }
    }

    /// True once stopped.
    #[getter]
    fn stopped(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }
}

static PANIC_QUEUES: std::sync::LazyLock<crate::bridge::LoopQueue> =
    std::sync::LazyLock::new(crate::bridge::LoopQueue::default);

/// See `_native._test_panic`.
pub fn test_panic<'py>(py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyAny>> {
    fn boom() -> crate::convert::Outcome {
        panic!("deliberate panic for a test")
    }
    match mode {
        "future" => crate::bridge::spawn(py, &PANIC_QUEUES, async { boom() }),
        "blocking" => {
            let outcome = py.detach(|| {
                std::panic::catch_unwind(|| runtime::block_on(async { boom() })).unwrap_or_else(
                    |p| crate::convert::Outcome::Panicked(crate::errors::panic_message(p.as_ref())),
                )
            });
            Ok(outcome.into_py(py)?.into_bound(py))
        }
        _ => crate::errors::guard(py, || {
            let _ = boom();
            Ok(py.None().into_bound(py))
        }),
    }
}

/// See `_native._debug_panic`.
#[cfg(debug_assertions)]
pub fn debug_panic<'py>(py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyAny>> {
    fn boom() -> crate::convert::Outcome {
        apigw_management::debug_panic()
    }
    match mode {
        "sync" => crate::errors::guard(py, || -> PyResult<Bound<'py, PyAny>> {
            boom().into_py(py).map(|v| v.into_bound(py))
        }),
        "blocking" => crate::client::block(py, async { boom() }).map(|v| v.into_bound(py)),
        "async" => crate::bridge::spawn(py, &PANIC_QUEUES, async { boom() }),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "mode must be \"sync\", \"blocking\" or \"async\", not {other:?}"
        ))),
    }
}
