//! Errors cross to JS as a rejected `Error` whose message is a marker followed by a JSON
//! object; `node/errors.js` turns it into the matching error class (one mapping table,
//! in JS).

use apigw_management::{Error as CoreError, ErrorKind};
use serde::Serialize;

/// Starts the message of every structured error.
pub(crate) const MARK: &str = "\u{1}apigw-management:";

/// What JS needs to build its error object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorInfo<'a> {
    kind: &'a str,
    code: Option<&'a str>,
    message: String,
    status: Option<u16>,
    request_id: Option<&'a str>,
    attempts: u32,
    retryable: bool,
    total_retry_delay: f64,
}

/// The JSON of a core error (also used for each failed connection of a broadcast).
pub(crate) fn error_json(e: &CoreError) -> String {
    // Service errors keep the service's message; others carry their cause, which is what
    // a reader of a transport failure needs.
    let message = if e.kind().is_service() || e.kind() == ErrorKind::InvalidInput {
        e.message().to_string()
    } else {
        let full = e.to_string();
        match full.split_once(" error: ") {
            Some((_, rest)) => rest.to_string(),
            None => full,
        }
    };
    let info = ErrorInfo {
        kind: e.kind().as_str(),
        code: e.code(),
        message,
        status: e.status(),
        request_id: e.request_id(),
        attempts: e.attempts(),
        retryable: e.is_retryable(),
        total_retry_delay: e.total_retry_delay().as_secs_f64() * 1000.0,
    };
    serde_json::to_string(&info).unwrap_or_else(|_| {
        r#"{"kind":"Protocol","message":"the error could not be encoded","attempts":0,"retryable":false,"totalRetryDelay":0}"#.into()
    })
}

/// A core error as a rejection value.
pub(crate) fn to_napi(e: &CoreError) -> napi::Error {
    encoded(error_json(e))
}

/// An error raised by the binding itself (a conversion), with no request sent.
pub(crate) fn local(kind: &str, message: impl Into<String>) -> napi::Error {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Local<'a> {
        kind: &'a str,
        message: String,
        attempts: u32,
        retryable: bool,
        total_retry_delay: f64,
    }
    let json = serde_json::to_string(&Local {
        kind,
        message: message.into(),
        attempts: 0,
        retryable: false,
        total_retry_delay: 0.0,
    })
    .unwrap_or_default();
    encoded(json)
}

/// A panic caught at the boundary (a bug): an ordinary error of kind `Internal`, never an
/// abort and never a promise left unsettled.
pub(crate) fn panicked(payload: &(dyn std::any::Any + Send)) -> napi::Error {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    };
    local(
        "Internal",
        format!("internal error in apigw-management (a bug; please report it): {text}"),
    )
}

/// The call was aborted through its `AbortSignal`.
pub(crate) fn aborted() -> napi::Error {
    local("Aborted", "the operation was aborted")
}

fn encoded(json: String) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("{MARK}{json}"))
}
