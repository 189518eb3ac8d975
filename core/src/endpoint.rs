//! Endpoint parsing (once, at `build()`), connection-id encoding, and endpoints built
//! from a Lambda event.

use crate::error::{Error, Result};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Environment variables consulted, in order, when no endpoint is given (as boto3 and
/// the AWS SDK for JavaScript v3 do).
pub const ENDPOINT_ENV_VARS: [&str; 2] = [
    "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
    "AWS_ENDPOINT_URL",
];

/// Everything but RFC 3986 unreserved characters is encoded: one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A parsed endpoint: what every request needs, computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// `host` or `host:port`, lowercase, without a default port.
    pub authority: String,
    /// The stage or base path, `""` or `/prod`, without a trailing slash.
    pub base_path: String,
    /// The region named by an `execute-api.{region}.amazonaws.com` host.
    pub host_region: Option<String>,
}

impl Endpoint {
    /// Parses an endpoint URL (`https://`, `http://`, `wss://`, `ws://`).
    pub fn parse(raw: &str) -> Result<Endpoint> {
        let s = raw.trim();
        let shown = redact_userinfo(raw);
        let bad = |why: &str| Error::config(format!("invalid endpoint {shown:?}: {why}"));
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        let (scheme_raw, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("no scheme (expected https://, http://, wss:// or ws://)"))?;
        let scheme = match scheme_raw.to_ascii_lowercase().as_str() {
            "https" | "wss" => "https",
            "http" | "ws" => "http",
            other => {
                return Err(bad(&format!(
                    "unsupported scheme {other:?} (expected https, http, wss or ws)"
                )));
            }
        };
        if rest.contains('?') {
            return Err(bad("a query string is not allowed"));
        }
        if rest.contains('#') {
            return Err(bad("a fragment is not allowed"));
        }
        if let Some(c) = rest.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(&format!("it contains the character {c:?}")));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("user information (`user@`) is not allowed"));
        }
        let (host, port) = split_host_port(authority).map_err(|why| bad(&why))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let host = host.to_ascii_lowercase();
        let default_port = if scheme == "https" { 443 } else { 80 };
        let authority = match port {
            Some(p) if p != default_port => format!("{host}:{p}"),
            _ => host.clone(),
        };
        let mut base = path.trim_end_matches('/');
        for suffix in ["/@connections", "/%40connections"] {
            let bytes = base.as_bytes();
            // Compared as bytes: the cut then falls on the ASCII '/' of the suffix.
            if bytes.len() >= suffix.len()
                && bytes[bytes.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
            {
                base = base[..base.len() - suffix.len()].trim_end_matches('/');
            }
        }
        Ok(Endpoint {
            scheme,
            host_region: region_from_host(&host),
            authority,
            base_path: base.to_string(),
        })
    }

    /// The path prefix (no scheme or host) that an encoded connection id is appended to.
    pub fn path_prefix(&self) -> String {
        format!("{}/@connections/", self.base_path)
    }

    /// The endpoint as a URL, for display.
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.base_path)
    }
}

/// `url` with any user name and password replaced by `***`, for messages and `Debug`.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_string(),
    }
}

fn split_host_port(authority: &str) -> std::result::Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or("an IPv6 host is missing its closing ']'")?;
        let host = &authority[..end + 2];
        let after = &rest[end + 1..];
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return Err(format!("unexpected {after:?} after the IPv6 host")),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("invalid port {p:?}"))?,
        ),
    };
    if host.contains(':') && !host.starts_with('[') {
        return Err(format!("invalid host {host:?}"));
    }
    Ok((host, port))
}

/// `{api}.execute-api.{region}.amazonaws.com(.cn)` → `region`.
fn region_from_host(host: &str) -> Option<String> {
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let (_, after) = rest.split_once(".execute-api.")?;
    (!after.is_empty() && !after.contains('.')).then(|| after.to_string())
}

/// Checks a connection id and percent-encodes it as one path segment.
pub(crate) fn encode_connection_id(id: &str) -> Result<String> {
    if id.is_empty() {
        return Err(Error::invalid_input("connection id is empty"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid_input(format!(
            "connection id {id:?} is not a valid path segment"
        )));
    }
    Ok(utf8_percent_encode(id, SEGMENT).to_string())
}

/// Reads the endpoint from the `AWS_ENDPOINT_URL_*` environment variables.
pub(crate) fn endpoint_from_env() -> Option<String> {
    ENDPOINT_ENV_VARS
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

/// Which URL [`endpoint_from_event`] builds from a Lambda event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventEndpoint {
    /// `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: right behind a
    /// custom domain too.
    #[default]
    ApiId,
    /// `https://{domainName}/{stage}`, as given in the event.
    DomainName,
}

/// Builds the management endpoint from an API Gateway WebSocket event
/// (`requestContext.apiId`/`domainName` and `stage`).
///
/// The region is `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION` (Lambda sets
/// `AWS_REGION`). A missing field is an `InvalidInput` error naming it.
///
/// ```
/// use apigw_management::{endpoint_from_event, EventEndpoint};
///
/// let event = serde_json::json!({
///     "requestContext": {"apiId": "abc123", "stage": "prod", "domainName": "ws.example.com"}
/// });
/// let url = endpoint_from_event(&event, EventEndpoint::ApiId, Some("eu-west-1")).unwrap();
/// assert_eq!(url, "https://abc123.execute-api.eu-west-1.amazonaws.com/prod");
/// let url = endpoint_from_event(&event, EventEndpoint::DomainName, None).unwrap();
/// assert_eq!(url, "https://ws.example.com/prod");
/// ```
pub fn endpoint_from_event(
    event: &serde_json::Value,
    style: EventEndpoint,
    region: Option<&str>,
) -> Result<String> {
    if !event.is_object() {
        return Err(Error::invalid_input(
            "the event must be an object with a `requestContext`",
        ));
    }
    let ctx = event
        .get("requestContext")
        .filter(|c| c.is_object())
        .ok_or_else(|| Error::invalid_input("the event has no `requestContext` object"))?;
    let field = |name: &str| -> Result<&str> {
        match ctx.get(name) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s),
            Some(serde_json::Value::String(_)) => Err(Error::invalid_input(format!(
                "the event's `requestContext.{name}` is empty"
            ))),
            Some(_) => Err(Error::invalid_input(format!(
                "the event's `requestContext.{name}` is not a string"
            ))),
            None => Err(Error::invalid_input(format!(
                "the event has no `requestContext.{name}`"
            ))),
        }
    };
    let stage = field("stage")?;
    let stage = utf8_percent_encode(stage, SEGMENT);
    match style {
        EventEndpoint::ApiId => {
            let api = field("apiId")?;
            let region = match region {
                Some(r) if !r.is_empty() => r.to_string(),
                _ => env_region().ok_or_else(|| {
                    Error::config(
                        "no region for the event's endpoint: pass a region or set AWS_REGION",
                    )
                })?,
            };
            let suffix = dns_suffix(&region);
            Ok(format!(
                "https://{api}.execute-api.{region}.{suffix}/{stage}"
            ))
        }
        EventEndpoint::DomainName => Ok(format!("https://{}/{stage}", field("domainName")?)),
    }
}

/// The DNS suffix of a region's partition: `amazonaws.com.cn` in China, the ISO
/// partitions' own, else `amazonaws.com`.
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else {
        "amazonaws.com"
    }
}

/// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
pub(crate) fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Endpoint {
        Endpoint::parse(s).unwrap()
    }

    #[test]
    fn schemes_and_paths() {
        let e = ok("wss://abc.execute-api.eu-west-1.amazonaws.com/prod/");
        assert_eq!(e.scheme, "https");
        assert_eq!(e.base_path, "/prod");
        assert_eq!(e.host_region.as_deref(), Some("eu-west-1"));
        let e = ok("ws://127.0.0.1:8080/dev/@connections");
        assert_eq!(e.scheme, "http");
        assert_eq!(e.authority, "127.0.0.1:8080");
        assert_eq!(e.base_path, "/dev");
        assert_eq!(e.url(), "http://127.0.0.1:8080/dev");
        assert_eq!(e.path_prefix(), "/dev/@connections/");
        let e = ok("HTTPS://Example.COM:443");
        assert_eq!(e.authority, "example.com");
        assert_eq!(e.base_path, "");
        let e = ok("https://x.execute-api.cn-north-1.amazonaws.com.cn/a/b/%40connections/");
        assert_eq!(e.base_path, "/a/b");
        assert_eq!(e.host_region.as_deref(), Some("cn-north-1"));
        assert_eq!(ok("http://[::1]:9000/p").authority, "[::1]:9000");
    }

    #[test]
    fn bad_endpoints_name_the_problem() {
        for (s, why) in [
            ("", "empty"),
            ("example.com/prod", "no scheme"),
            ("ftp://example.com", "unsupported scheme"),
            ("https:///prod", "no host"),
            ("https://h/p?x=1", "query"),
            ("https://h/p#f", "fragment"),
            ("https://h:99999/p", "invalid port"),
            ("https://u@h/p", "user information"),
            ("https://h/p q", "character"),
        ] {
            let e = Endpoint::parse(s).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Config);
            assert!(e.message().contains(why), "{s}: {e}");
        }
    }

    #[test]
    fn ids_are_one_segment() {
        assert_eq!(encode_connection_id("a/b+c=").unwrap(), "a%2Fb%2Bc%3D");
        assert_eq!(encode_connection_id("ünï=").unwrap(), "%C3%BCn%C3%AF%3D");
        assert_eq!(encode_connection_id("with space").unwrap(), "with%20space");
        assert!(encode_connection_id("").is_err());
        assert!(encode_connection_id("..").is_err());
    }

    #[test]
    fn event_endpoints_use_the_partition_of_the_region() {
        let ev = serde_json::json!({"requestContext": {"apiId": "abc123", "stage": "prod"}});
        let url = |r: &str| endpoint_from_event(&ev, EventEndpoint::ApiId, Some(r)).unwrap();
        assert_eq!(
            url("cn-north-1"),
            "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod"
        );
        assert_eq!(
            url("cn-northwest-1"),
            "https://abc123.execute-api.cn-northwest-1.amazonaws.com.cn/prod"
        );
        assert_eq!(
            url("us-gov-west-1"),
            "https://abc123.execute-api.us-gov-west-1.amazonaws.com/prod"
        );
        assert_eq!(
            url("us-iso-east-1"),
            "https://abc123.execute-api.us-iso-east-1.c2s.ic.gov/prod"
        );
        // The built endpoint gives its region back.
        let e = ok(&url("cn-north-1"));
        assert_eq!(e.host_region.as_deref(), Some("cn-north-1"));
    }

    #[test]
    fn user_information_never_shows() {
        let e = Endpoint::parse(
            "https://admin:s3cret-pass@abc.execute-api.us-east-1.amazonaws.com/prod",
        )
        .unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("user information"), "{e}");
        let e = Endpoint::parse("ftp://admin:s3cret-pass@host/prod").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert_eq!(
            redact_userinfo("http://u:p@proxy:8080/x@y"),
            "http://***@proxy:8080/x@y"
        );
        assert_eq!(redact_userinfo("http://proxy:8080"), "http://proxy:8080");
        let e = crate::transport::proxy_matcher("socks5://u:s3cret-pass@proxy:1080").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let e = crate::transport::proxy_matcher("http://u:s3cret-pass@pro xy").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let builder = crate::Client::builder().endpoint("https://u:s3cret-pass@host/prod");
        assert!(!format!("{builder:?}").contains("s3cret"));
        let e = builder.build().unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    #[test]
    fn event_missing_fields_are_named() {
        let ev = serde_json::json!({"requestContext": {"apiId": "a"}});
        let e = endpoint_from_event(&ev, EventEndpoint::ApiId, Some("us-east-1")).unwrap_err();
        assert!(e.message().contains("requestContext.stage"), "{e}");
        let e = endpoint_from_event(&serde_json::json!(1), EventEndpoint::ApiId, None).unwrap_err();
        assert!(e.message().contains("requestContext"), "{e}");
    }
}
