//! Route events: `$connect`, `$disconnect` and `$default` as API Gateway delivers them to
//! a Lambda proxy integration, sent to an in-process handler and/or an integration URL.

use crate::template_api::TemplateApi;
use futures_util::FutureExt;
use serde_json::{Map, Value, json};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The future an [`EventHandler`] returns: the integration's answer.
pub type EventFuture = Pin<Box<dyn Future<Output = Value> + Send + 'static>>;

/// An in-process route integration: takes a complete API Gateway WebSocket proxy event
/// and answers as a Lambda proxy integration does (`{"statusCode": 200}`; a missing
/// `statusCode`, or `null`, counts as 200). A non-2xx answer to `$connect` rejects the
/// connection with that status.
///
/// ```
/// use apigw_management_local::{EventHandler, handler_fn};
/// use serde_json::json;
///
/// let handler: EventHandler = handler_fn(|event| async move {
///     let allowed = event["queryStringParameters"]["token"] == "secret";
///     json!({ "statusCode": if allowed { 200 } else { 401 } })
/// });
/// ```
pub type EventHandler = Arc<dyn Fn(Value) -> EventFuture + Send + Sync>;

/// Wraps an async closure as an [`EventHandler`].
pub fn handler_fn<F, Fut>(f: F) -> EventHandler
where
    F: Fn(Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Value> + Send + 'static,
{
    Arc::new(move |event| Box::pin(f(event)))
}

/// API Gateway's integration timeout.
const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(29);

/// What an integration answered.
#[derive(Debug)]
pub(crate) struct RouteAnswer {
    /// The `statusCode` (or the HTTP status of a failed integration call).
    pub status: u16,
    /// The answer's `headers` (the `$connect` answer may choose a subprotocol).
    pub headers: Vec<(String, String)>,
    /// A message for the client (a route response, or the service's error frame).
    pub reply: Option<String>,
}

impl RouteAnswer {
    fn ok() -> Self {
        RouteAnswer::status(200)
    }

    /// An answer with only a status.
    pub(crate) fn status(status: u16) -> Self {
        RouteAnswer {
            status,
            headers: Vec::new(),
            reply: None,
        }
    }

    /// A success that sends `message` back to the client.
    pub(crate) fn reply(message: String) -> Self {
        RouteAnswer {
            reply: Some(message),
            ..RouteAnswer::status(200)
        }
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Reads a Lambda proxy answer.
    pub(crate) fn from_value(v: &Value) -> Self {
        let status = match v.get("statusCode") {
            None | Some(Value::Null) => 200,
            Some(s) => s
                .as_u64()
                .or_else(|| s.as_str().and_then(|t| t.trim().parse().ok()))
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| (100..600).contains(n))
                .unwrap_or(502),
        };
        let headers = v
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        RouteAnswer {
            status,
            headers,
            reply: None,
        }
    }
}

/// Where route events go.
pub(crate) struct Router {
    handler: Option<EventHandler>,
    integration: Option<(reqwest::Client, String)>,
    template: Option<Arc<TemplateApi>>,
}

impl Router {
    pub(crate) fn new(handler: Option<EventHandler>, integration_url: Option<String>) -> Self {
        let integration = integration_url.and_then(|url| {
            let client = reqwest::Client::builder()
                .timeout(INTEGRATION_TIMEOUT)
                .no_proxy()
                .build();
            match client {
                Ok(c) => Some((c, url)),
                Err(e) => {
                    tracing::warn!("integration URL disabled: {e}");
                    None
                }
            }
        });
        Router {
            handler,
            integration,
            template: None,
        }
    }

    /// Sends every event to a template's API instead.
    pub(crate) fn with_template(mut self, template: Option<Arc<TemplateApi>>) -> Self {
        self.template = template;
        self
    }

    /// True when events go somewhere.
    pub(crate) fn is_active(&self) -> bool {
        self.handler.is_some() || self.integration.is_some() || self.template.is_some()
    }

    /// Delivers an event to the handler, then to the integration URL; the first non-2xx
    /// answer wins. With neither, every event is accepted.
    pub(crate) async fn deliver(&self, event: Value) -> RouteAnswer {
        if let Some(t) = &self.template {
            return t.deliver(event).await;
        }
        let mut answer = RouteAnswer::ok();
        if let Some(h) = &self.handler {
            // A handler that panics answers 500, as a failed Lambda does.
            let call = std::panic::catch_unwind(AssertUnwindSafe(|| h(event.clone())));
            let value = match call {
                Ok(fut) => AssertUnwindSafe(fut).catch_unwind().await.ok(),
                Err(_) => None,
            };
            answer = value.map_or(RouteAnswer::status(500), |v| RouteAnswer::from_value(&v));
            if !answer.is_success() {
                return answer;
            }
        }
        if let Some((client, url)) = &self.integration {
            let sent = client
                .post(url)
                .header("content-type", "application/json")
                .body(event.to_string())
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!("integration {url}: {e}");
                    return RouteAnswer::status(500);
                }
            };
            let status = resp.status().as_u16();
            if !(200..300).contains(&status) {
                return RouteAnswer::status(status);
            }
            let body = resp.bytes().await.unwrap_or_default();
            answer = match serde_json::from_slice::<Value>(&body) {
                Ok(v) if v.is_object() => RouteAnswer::from_value(&v),
                _ => RouteAnswer::ok(),
            };
        }
        answer
    }
}

/// What every event of one connection shares.
#[derive(Clone, Debug)]
pub(crate) struct EventSource {
    pub api_id: Arc<str>,
    pub domain_name: Arc<str>,
    pub stage: Arc<str>,
    pub connection_id: String,
    pub connected_at: SystemTime,
    pub source_ip: String,
    pub user_agent: String,
}

impl EventSource {
    fn request_context(&self, route_key: &str, event_type: &str) -> Map<String, Value> {
        let now = SystemTime::now();
        let request_id = crate::ids::new_connection_id();
        let mut ctx = Map::new();
        ctx.insert("routeKey".into(), route_key.into());
        ctx.insert("eventType".into(), event_type.into());
        ctx.insert("extendedRequestId".into(), request_id.clone().into());
        ctx.insert("requestTime".into(), request_time(now).into());
        ctx.insert("messageDirection".into(), "IN".into());
        ctx.insert("stage".into(), (*self.stage).into());
        ctx.insert("connectedAt".into(), epoch_millis(self.connected_at).into());
        ctx.insert("requestTimeEpoch".into(), epoch_millis(now).into());
        ctx.insert(
            "identity".into(),
            json!({ "sourceIp": self.source_ip, "userAgent": self.user_agent }),
        );
        ctx.insert("requestId".into(), request_id.into());
        ctx.insert("domainName".into(), (*self.domain_name).into());
        ctx.insert("connectionId".into(), self.connection_id.clone().into());
        ctx.insert("apiId".into(), (*self.api_id).into());
        ctx
    }

    /// `$connect`: the handshake's headers and query string.
    pub(crate) fn connect_event(&self, headers: &[(String, String)], query: Option<&str>) -> Value {
        let mut event = Map::new();
        let (single, multi) = header_maps(headers);
        event.insert("headers".into(), single);
        event.insert("multiValueHeaders".into(), multi);
        if let Some((single, multi)) = query.and_then(query_maps) {
            event.insert("queryStringParameters".into(), single);
            event.insert("multiValueQueryStringParameters".into(), multi);
        }
        event.insert(
            "requestContext".into(),
            Value::Object(self.request_context("$connect", "CONNECT")),
        );
        event.insert("isBase64Encoded".into(), false.into());
        Value::Object(event)
    }

    /// `$default`: a message from the client.
    pub(crate) fn message_event(&self, body: &str) -> Value {
        let mut ctx = self.request_context("$default", "MESSAGE");
        ctx.insert("messageId".into(), crate::ids::new_connection_id().into());
        json!({ "requestContext": ctx, "body": body, "isBase64Encoded": false })
    }

    /// `$disconnect`, with the close code and reason.
    pub(crate) fn disconnect_event(&self, code: u16, reason: &str) -> Value {
        let mut ctx = self.request_context("$disconnect", "DISCONNECT");
        ctx.insert("disconnectStatusCode".into(), code.into());
        ctx.insert("disconnectReason".into(), reason.into());
        let host = vec![("Host".to_string(), self.domain_name.to_string())];
        let (single, multi) = header_maps(&host);
        json!({
            "headers": single,
            "multiValueHeaders": multi,
            "requestContext": ctx,
            "isBase64Encoded": false,
        })
    }
}

/// `headers` (repeated names joined with `,`) and `multiValueHeaders`.
fn header_maps(headers: &[(String, String)]) -> (Value, Value) {
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in headers {
        let list = multi
            .entry(title_case(name))
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.push(value.clone().into());
        }
    }
    let single = multi
        .iter()
        .map(|(k, v)| {
            let joined = v
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            (k.clone(), Value::String(joined))
        })
        .collect();
    (Value::Object(single), Value::Object(multi))
}

/// `queryStringParameters` (the last value of a repeated name) and
/// `multiValueQueryStringParameters`; `None` for an empty query.
fn query_maps(query: &str) -> Option<(Value, Value)> {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k), decode(v));
        single.insert(k.clone(), v.clone().into());
        if let Value::Array(list) = multi.entry(k).or_insert_with(|| Value::Array(Vec::new())) {
            list.push(v.into());
        }
    }
    (!single.is_empty()).then_some((Value::Object(single), Value::Object(multi)))
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `sec-websocket-key` → `Sec-Websocket-Key` (HTTP/1 header names arrive lowercased).
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Milliseconds since the epoch.
pub(crate) fn epoch_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `09/Feb/2024:18:11:43 +0000`, as `requestTime` is written.
fn request_time(t: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = epoch_millis(t) / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month as usize - 1) % 12],
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31) (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> EventSource {
        EventSource {
            api_id: "abc1234567".into(),
            domain_name: "127.0.0.1:9".into(),
            stage: "prod".into(),
            connection_id: "V-M0CclhjoECETA=".into(),
            connected_at: UNIX_EPOCH + Duration::from_millis(1_707_502_303_419),
            source_ip: "127.0.0.1".into(),
            user_agent: "test".into(),
        }
    }

    #[test]
    fn request_time_has_the_service_format() {
        let t = UNIX_EPOCH + Duration::from_secs(1_707_502_303);
        assert_eq!(request_time(t), "09/Feb/2024:18:11:43 +0000");
        assert_eq!(request_time(UNIX_EPOCH), "01/Jan/1970:00:00:00 +0000");
    }

    #[test]
    fn connect_event_has_every_field() {
        let headers = vec![
            ("host".to_string(), "127.0.0.1:9".to_string()),
            ("sec-websocket-protocol".to_string(), "a".to_string()),
            ("sec-websocket-protocol".to_string(), "b".to_string()),
        ];
        let e = source().connect_event(&headers, Some("token=s%20t&x=1&x=2"));
        let ctx = &e["requestContext"];
        for field in [
            "routeKey",
            "eventType",
            "connectionId",
            "apiId",
            "domainName",
            "stage",
            "requestId",
            "extendedRequestId",
            "messageDirection",
            "connectedAt",
            "requestTimeEpoch",
            "identity",
            "requestTime",
        ] {
            assert!(!ctx[field].is_null(), "{field}");
        }
        assert_eq!(ctx["routeKey"], "$connect");
        assert_eq!(ctx["eventType"], "CONNECT");
        assert_eq!(ctx["connectedAt"], 1_707_502_303_419u64);
        assert_eq!(e["headers"]["Sec-Websocket-Protocol"], "a,b");
        assert_eq!(
            e["multiValueHeaders"]["Sec-Websocket-Protocol"],
            json!(["a", "b"])
        );
        assert_eq!(e["queryStringParameters"]["token"], "s t");
        assert_eq!(e["multiValueQueryStringParameters"]["x"], json!(["1", "2"]));
        assert_eq!(e["isBase64Encoded"], false);
        let e = source().connect_event(&headers, None);
        assert!(e.get("queryStringParameters").is_none());
    }

    #[test]
    fn message_and_disconnect_events() {
        let e = source().message_event("hi");
        assert_eq!(e["body"], "hi");
        assert_eq!(e["requestContext"]["eventType"], "MESSAGE");
        assert_eq!(
            e["requestContext"]["messageId"].as_str().map(str::len),
            Some(16)
        );
        let e = source().disconnect_event(1001, "Going away");
        assert_eq!(e["requestContext"]["disconnectStatusCode"], 1001);
        assert_eq!(e["requestContext"]["disconnectReason"], "Going away");
        assert_eq!(e["requestContext"]["routeKey"], "$disconnect");
    }

    #[test]
    fn answers_are_read_as_lambda_proxy_answers() {
        assert!(RouteAnswer::from_value(&Value::Null).is_success());
        assert!(RouteAnswer::from_value(&json!({"body": "x"})).is_success());
        assert_eq!(
            RouteAnswer::from_value(&json!({"statusCode": 401})).status,
            401
        );
        assert_eq!(
            RouteAnswer::from_value(&json!({"statusCode": "403"})).status,
            403
        );
        assert_eq!(
            RouteAnswer::from_value(&json!({"statusCode": "x"})).status,
            502
        );
    }
}
