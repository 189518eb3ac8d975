//! The keyword options of `Client` and `AsyncClient` and the arguments of their calls,
//! parsed into the core's builder and options. A wrong type is an `InvalidTypeError`
//! naming the option; values are checked by the core.

use crate::convert;
use crate::errors::{self, Bad};
use crate::logs;
use apigw_management::{BroadcastOptions, Client, ClientBuilder, Credentials, EventEndpoint};
use bytes::Bytes;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
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

pub fn build(
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

pub fn event_style(py: Python<'_>, style: &str) -> PyResult<EventEndpoint> {
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

pub fn connection_ids(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
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

pub fn items(v: &Bound<'_, PyAny>) -> PyResult<Vec<(String, Bytes)>> {
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

/// `concurrency` (a whole number; 0 is the core's error), `deadline` (seconds) and
/// `on_progress` (a callable given a `Progress` after each connection's outcome).
pub fn broadcast_options(
    py: Python<'_>,
    concurrency: Option<&Bound<'_, PyAny>>,
    deadline: Option<&Bound<'_, PyAny>>,
    on_progress: Option<&Bound<'_, PyAny>>,
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
    if let Some(f) = on_progress.filter(|f| !f.is_none()) {
        if !f.is_callable() {
            return Err(errors::invalid_type(
                py,
                format!(
                    "on_progress must be callable, not {}",
                    convert::type_name(f)
                ),
            ));
        }
        let f = f.clone().unbind();
        o = o.on_progress(move |p| convert::report_progress(&f, p));
    }
    Ok(o)
}
