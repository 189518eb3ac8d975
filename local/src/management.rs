//! The management API, `/{stage}/@connections/{id}`: PostToConnection, GetConnection and
//! DeleteConnection, with signature checks, the service's limits and injected faults.

use crate::answers::{self, Body};
use crate::faults::Fault;
use crate::registry::PostError;
use crate::server::{Dropped, Shared};
use crate::verify::Incoming;
use crate::wire::ServiceError;
use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::time::{Duration, SystemTime};

/// The largest message PostToConnection accepts.
pub const MAX_POST_BYTES: usize = 131_072;

/// Bodies up to this size are read whole before answering 413 (so the client reads the
/// answer instead of a reset); larger ones are answered at once.
const BODY_READ_CAP: usize = 4 << 20;

/// How long a post waits for its message to reach the socket before a `drop_after`
/// fault drops the HTTP connection.
const DELIVERY_WAIT: Duration = Duration::from_secs(5);

/// The connection id of `/{stage}/@connections/{id}` (`%40connections` too), decoded.
pub(crate) fn connection_id_of(path: &str, stage: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?.strip_prefix(stage)?;
    let rest = rest.strip_prefix('/')?;
    let (head, id) = rest.split_once('/')?;
    if head != "@connections" && !head.eq_ignore_ascii_case("%40connections") {
        return None;
    }
    if id.is_empty() || id.contains('/') {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(id)
        .decode_utf8()
        .ok()?
        .into_owned();
    (!decoded.is_empty()).then_some(decoded)
}

/// Answers one management request; `Err` drops the TCP connection without an answer.
pub(crate) async fn handle<B>(shared: &Shared, req: Request<B>) -> Result<Response<Body>, Dropped>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let _in_flight = shared.faults.enter();
    let Some(id) = connection_id_of(req.uri().path(), &shared.stage) else {
        return Ok(answers::error(&ServiceError::forbidden()));
    };
    let method = req.method().clone();
    if !matches!(method, Method::GET | Method::POST | Method::DELETE) {
        return Ok(answers::error(&ServiceError::forbidden()));
    }
    let raw_path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let headers = header_pairs(&req);
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_READ_CAP) {
        return Ok(answers::error(&too_large()));
    }
    let body = match Limited::new(req.into_body(), BODY_READ_CAP).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Ok(answers::error(&too_large()));
        }
        Err(_) => return Err(Dropped),
    };
    // The account's rate limit applies to every request, whatever its answer would be.
    if !shared.faults.admit() {
        tokio::time::sleep(shared.faults.fixed_latency()).await;
        return Ok(answers::error(&rate_exceeded()));
    }
    if let Some(verifier) = &shared.verifier {
        let incoming = Incoming {
            method: method.as_str(),
            raw_path: &raw_path,
            headers: &headers,
            body: &body,
        };
        if let Err(e) = verifier.verify(&incoming, SystemTime::now()) {
            return Ok(answers::error(&e));
        }
    }
    if method == Method::POST && body.len() > MAX_POST_BYTES {
        return Ok(answers::error(&too_large()));
    }
    let (fault, latency) = shared.faults.draw();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(answer) = fault_answer(fault)? {
        return Ok(answer);
    }
    let wait_for_delivery = fault == Fault::DropAfter;
    let answer = match method {
        Method::POST => post(shared, &id, body, wait_for_delivery).await,
        Method::GET => get(shared, &id),
        _ => delete(shared, &id),
    };
    if wait_for_delivery {
        return Err(Dropped);
    }
    Ok(answer)
}

/// Every header as received, as (name, value) text.
pub(crate) fn header_pairs<B>(req: &Request<B>) -> Vec<(String, String)> {
    req.headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The answer an injected fault gives in place of the operation's, if any; `Err` drops
/// the connection before anything is done.
fn fault_answer(fault: Fault) -> Result<Option<Response<Body>>, Dropped> {
    let error = match fault {
        Fault::Throttle => rate_exceeded(),
        Fault::ServerError => {
            ServiceError::new(500, "InternalServerErrorException", "Internal server error")
        }
        Fault::DropBefore => return Err(Dropped),
        Fault::None | Fault::DropAfter => return Ok(None),
    };
    Ok(Some(answers::error(&error)))
}

fn rate_exceeded() -> ServiceError {
    ServiceError::new(429, "LimitExceededException", "Rate exceeded")
}

fn too_large() -> ServiceError {
    ServiceError::new(413, "PayloadTooLargeException", "Request entity too large")
}

async fn post(shared: &Shared, id: &str, body: Bytes, wait_for_delivery: bool) -> Response<Body> {
    let Some(conn) = shared.connections.get(id) else {
        return answers::error(&ServiceError::gone());
    };
    let (ack, delivered) = if wait_for_delivery {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    match conn.post(body, shared.limits.client_buffer_bytes, ack) {
        Ok(()) => {
            if let Some(rx) = delivered {
                let _ = tokio::time::timeout(DELIVERY_WAIT, rx).await;
            }
            answers::success(200, Bytes::new())
        }
        Err(PostError::Gone) => answers::error(&ServiceError::gone()),
        Err(PostError::BufferFull) => answers::error(&ServiceError::new(
            429,
            "LimitExceededException",
            "Client side buffer is full",
        )),
    }
}

fn get(shared: &Shared, id: &str) -> Response<Body> {
    match shared.connections.get(id).filter(|c| c.is_accepted()) {
        Some(conn) => {
            let body = serde_json::json!({
                "connectedAt": apigw_management::format_timestamp(conn.connected_at),
                "identity": { "sourceIp": conn.source_ip, "userAgent": conn.user_agent },
                "lastActiveAt": apigw_management::format_timestamp(conn.last_active_at()),
            });
            answers::success(200, body.to_string())
        }
        None => answers::error(&ServiceError::gone()),
    }
}

fn delete(shared: &Shared, id: &str) -> Response<Body> {
    match shared.connections.get(id).filter(|c| c.is_accepted()) {
        Some(conn) => {
            shared.connections.remove(id);
            conn.request_close(1000, "Connection deleted");
            answers::success(204, Bytes::new())
        }
        None => answers::error(&ServiceError::gone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_connection_ids() {
        let id = |p: &str| connection_id_of(p, "prod");
        assert_eq!(id("/prod/@connections/abc%3D").as_deref(), Some("abc="));
        assert_eq!(id("/prod/%40connections/abc=").as_deref(), Some("abc="));
        assert_eq!(id("/prod/%40Connections/a").as_deref(), Some("a"));
        assert_eq!(id("/prod/@connections/a%2Fb").as_deref(), Some("a/b"));
        for bad in [
            "/dev/@connections/a",
            "/prod/@connections/",
            "/prod/@connections",
            "/prod/@connections/a/b",
            "/prod/connections/a",
            "/production/@connections/a",
            "/prod/@connections/%ff",
            "/",
        ] {
            assert_eq!(id(bad), None, "{bad}");
        }
    }
}
