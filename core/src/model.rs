//! What the service answers: `GetConnection`'s JSON and the error responses.

use crate::error::{Error, ErrorKind, Result};
use aws_smithy_types::date_time::{DateTime, Format};
use std::time::SystemTime;

/// A connection as `GetConnection` describes it. It may gain fields: build one with
/// [`Connection::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connection {
    /// When the client connected (UTC).
    pub connected_at: SystemTime,
    /// When the connection last sent or received a message (UTC).
    pub last_active_at: SystemTime,
    /// Who is connected.
    pub identity: Identity,
}

/// The connected client's source IP and User-Agent. It may gain fields: build one with
/// [`Identity::new`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// The client's IP address.
    pub source_ip: String,
    /// The client's `User-Agent` header (empty when it sent none).
    pub user_agent: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireConnection {
    connected_at: serde_json::Value,
    last_active_at: serde_json::Value,
    #[serde(default)]
    identity: Option<WireIdentity>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireIdentity {
    #[serde(default)]
    source_ip: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
}

impl Identity {
    /// An identity (for tests and fakes; the client builds them from responses).
    ///
    /// ```
    /// let who = apigw_management::Identity::new("127.0.0.1", "curl/8");
    /// assert_eq!(who.source_ip, "127.0.0.1");
    /// ```
    pub fn new(source_ip: impl Into<String>, user_agent: impl Into<String>) -> Self {
        Identity {
            source_ip: source_ip.into(),
            user_agent: user_agent.into(),
        }
    }
}

impl Connection {
    /// A connection (for tests and fakes; the client builds them from responses).
    ///
    /// ```
    /// use apigw_management::{Connection, Identity};
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let at = UNIX_EPOCH + Duration::from_secs(1_795_514_400);
    /// let c = Connection::new(at, at, Identity::new("127.0.0.1", ""));
    /// assert_eq!(c.identity.user_agent, "");
    /// ```
    pub fn new(connected_at: SystemTime, last_active_at: SystemTime, identity: Identity) -> Self {
        Connection {
            connected_at,
            last_active_at,
            identity,
        }
    }

    /// Parses a `GetConnection` body.
    pub(crate) fn from_json(body: &[u8]) -> Result<Connection> {
        let wire: WireConnection = serde_json::from_slice(body).map_err(|e| {
            Error::new(
                ErrorKind::Protocol,
                format!("GetConnection returned a body that is not the expected JSON: {e}"),
            )
        })?;
        let identity = wire.identity.unwrap_or(WireIdentity {
            source_ip: None,
            user_agent: None,
        });
        Ok(Connection {
            connected_at: parse_timestamp("connectedAt", &wire.connected_at)?,
            last_active_at: parse_timestamp("lastActiveAt", &wire.last_active_at)?,
            identity: Identity {
                source_ip: identity.source_ip.unwrap_or_default(),
                user_agent: identity.user_agent.unwrap_or_default(),
            },
        })
    }
}

/// An ISO 8601 string (`2026-11-24T10:00:00.000Z`) or epoch seconds.
fn parse_timestamp(field: &str, v: &serde_json::Value) -> Result<SystemTime> {
    let bad = || {
        Error::new(
            ErrorKind::Protocol,
            format!("GetConnection returned an invalid `{field}`: {v}"),
        )
    };
    let dt = match v {
        serde_json::Value::String(s) => DateTime::from_str(s, Format::DateTimeWithOffset)
            .or_else(|_| DateTime::from_str(s, Format::DateTime))
            .map_err(|_| bad())?,
        serde_json::Value::Number(n) => {
            let secs = n.as_f64().filter(|f| f.is_finite()).ok_or_else(bad)?;
            DateTime::from_fractional_secs(secs.trunc() as i64, secs.fract())
        }
        _ => return Err(bad()),
    };
    SystemTime::try_from(dt).map_err(|_| bad())
}

/// Formats a time as the service does: `2026-11-24T10:00:00.000Z`.
pub fn format_timestamp(t: SystemTime) -> String {
    let ms = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    };
    let s = DateTime::from_millis(ms)
        .fmt(Format::DateTime)
        .unwrap_or_default();
    // aws-smithy-types drops a zero fraction; the service always prints milliseconds.
    match s.find('.') {
        Some(dot) => {
            let frac = &s[dot + 1..s.len() - 1];
            format!("{}.{:0<3}Z", &s[..dot], &frac[..frac.len().min(3)])
        }
        None => format!("{}.000Z", &s[..s.len() - 1]),
    }
}

/// Parses an HTTP date (`Date`, `Retry-After`).
pub(crate) fn parse_http_date(s: &str) -> Option<SystemTime> {
    DateTime::from_str(s.trim(), Format::HttpDate)
        .ok()
        .and_then(|d| SystemTime::try_from(d).ok())
}

/// Builds the error for a non-success response.
pub(crate) fn service_error(
    status: u16,
    error_type_header: Option<&str>,
    request_id: Option<String>,
    body: &[u8],
) -> Error {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let json_str = |keys: &[&str]| -> Option<String> {
        let obj = json.as_ref()?.as_object()?;
        keys.iter()
            .find_map(|k| obj.get(*k).and_then(|v| v.as_str()).map(str::to_string))
    };
    let name = error_type_header
        .map(clean_error_name)
        .filter(|s| !s.is_empty())
        .or_else(|| json_str(&["__type", "code", "Code"]).map(|s| clean_error_name(&s)))
        .filter(|s| !s.is_empty());
    let kind = match name.as_deref() {
        Some("GoneException") => ErrorKind::Gone,
        Some("ForbiddenException" | "InvalidSignatureException" | "AccessDeniedException") => {
            ErrorKind::Forbidden
        }
        Some("LimitExceededException" | "TooManyRequestsException" | "ThrottlingException") => {
            ErrorKind::LimitExceeded
        }
        Some("PayloadTooLargeException") => ErrorKind::PayloadTooLarge,
        _ => match status {
            410 => ErrorKind::Gone,
            403 => ErrorKind::Forbidden,
            429 => ErrorKind::LimitExceeded,
            413 => ErrorKind::PayloadTooLarge,
            _ => ErrorKind::Service,
        },
    };
    let code = name.or_else(|| {
        Some(
            match kind {
                ErrorKind::Gone => "GoneException",
                ErrorKind::Forbidden => "ForbiddenException",
                ErrorKind::LimitExceeded => "LimitExceededException",
                ErrorKind::PayloadTooLarge => "PayloadTooLargeException",
                _ => return None,
            }
            .to_string(),
        )
    });
    let message = json_str(&["message", "Message", "errorMessage"])
        .or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            (json.is_none() && !text.is_empty() && text.len() <= 512).then(|| text.to_string())
        })
        .unwrap_or_else(|| default_message(kind, status));
    Error::service(kind, status, code, message, request_id)
}

/// `aws.protocol#GoneException:http://…` → `GoneException`.
fn clean_error_name(raw: &str) -> String {
    let before_colon = raw.split(':').next().unwrap_or("");
    let after_hash = before_colon.rsplit('#').next().unwrap_or("");
    after_hash.trim().to_string()
}

fn default_message(kind: ErrorKind, status: u16) -> String {
    match kind {
        ErrorKind::Gone => "the connection is gone".into(),
        ErrorKind::Forbidden => "forbidden".into(),
        ErrorKind::LimitExceeded => "limit exceeded".into(),
        ErrorKind::PayloadTooLarge => "payload too large".into(),
        _ => format!("the service answered HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parses_get_connection() {
        let body = br#"{"connectedAt":"2026-11-24T10:00:00.000Z","identity":{"sourceIp":"127.0.0.1","userAgent":"x"},"lastActiveAt":"2026-11-24T10:00:01.000Z"}"#;
        let c = Connection::from_json(body).unwrap();
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_514_400_000);
        assert_eq!(c.connected_at, t);
        assert_eq!(c.last_active_at, t + Duration::from_secs(1));
        assert_eq!(c.identity.source_ip, "127.0.0.1");
        assert_eq!(format_timestamp(t), "2026-11-24T10:00:00.000Z");
        assert_eq!(
            format_timestamp(t + Duration::from_millis(5)),
            "2026-11-24T10:00:00.005Z"
        );
    }

    #[test]
    fn malformed_get_connection_is_protocol_error() {
        for body in [
            &b"nope"[..],
            br#"{"connectedAt":"x","lastActiveAt":1}"#,
            b"[]",
        ] {
            let e = Connection::from_json(body).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Protocol);
        }
    }

    #[test]
    fn error_names_from_header_and_body() {
        let e = service_error(410, Some("GoneException:http://internal"), None, b"");
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Gone, Some("GoneException"))
        );
        let e = service_error(
            403,
            None,
            None,
            br#"{"__type":"x#InvalidSignatureException","message":"Signature expired"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        assert_eq!(e.code(), Some("InvalidSignatureException"));
        assert_eq!(e.message(), "Signature expired");
        let e = service_error(403, None, None, br#"{"message":"Forbidden"}"#);
        assert_eq!(e.code(), Some("ForbiddenException"));
        let e = service_error(500, None, Some("r1".into()), b"boom");
        assert_eq!(
            (e.kind(), e.code(), e.message()),
            (ErrorKind::Service, None, "boom")
        );
        assert_eq!(e.request_id(), Some("r1"));
    }
}
