//! HTTP answers shaped as the service shapes them: `x-amzn-RequestId` and `Date` on every
//! answer, `x-amzn-ErrorType` and a JSON body on errors.

use crate::wire::{ServiceError, request_id};
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use std::time::SystemTime;

/// The body type of every answer.
pub(crate) type Body = Full<Bytes>;

/// A success answer with a JSON (or empty) body.
pub(crate) fn success(status: u16, body: impl Into<Bytes>) -> Response<Body> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    stamp(&mut resp);
    resp
}

/// The answer for a service error.
pub(crate) fn error(e: &ServiceError) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(e.body())));
    *resp.status_mut() =
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    stamp(&mut resp);
    if let Ok(v) = HeaderValue::from_str(e.code) {
        resp.headers_mut().insert("x-amzn-ErrorType", v);
    }
    resp
}

/// An answer with no body and only a status (a rejected WebSocket handshake).
pub(crate) fn status_only(status: u16) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    stamp(&mut resp);
    resp
}

fn stamp(resp: &mut Response<Body>) {
    let headers = resp.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-amzn-RequestId", v);
    }
    let date = aws_smithy_types::DateTime::from(SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .unwrap_or_default();
    if let Ok(v) = HeaderValue::from_str(&date) {
        headers.insert("date", v);
    }
}
