//! SigV4 verification of incoming requests, as the service does it: re-sign exactly the
//! headers listed in `SignedHeaders`, over the raw path as received, with `aws-sigv4`.

use crate::wire::ServiceError;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::date_time::{DateTime, Format};
use std::time::{Duration, SystemTime};

/// The pair the local gateway accepts when none is configured and the environment has
/// none: `AKIDLOCAL` / `local-secret`.
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIDLOCAL";
/// See [`DEFAULT_ACCESS_KEY_ID`].
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "local-secret";

/// How far a request's `X-Amz-Date` may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// The keys a server accepts.
#[derive(Clone)]
pub struct Verifier {
    access_key_id: String,
    secret_access_key: String,
    region: Option<String>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("region", &self.region)
            .finish()
    }
}

/// A request as received, for verification.
#[derive(Debug)]
pub struct Incoming<'a> {
    /// `POST`, `GET`, `DELETE`.
    pub method: &'a str,
    /// The raw path (and query) exactly as received.
    pub raw_path: &'a str,
    /// Every header as received (names in any case; repeated names allowed).
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

impl Verifier {
    /// Accepts requests signed with this key pair.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Verifier {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            region: None,
        }
    }

    /// Accepts only signatures scoped to `region`, as a regional endpoint does (without
    /// it, any region is accepted).
    ///
    /// ```
    /// use apigw_management_local::Verifier;
    ///
    /// let v = Verifier::new("AKIDLOCAL", "local-secret").region("eu-west-1");
    /// assert!(format!("{v:?}").contains("eu-west-1"));
    /// ```
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The pair from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, else the documented
    /// local pair.
    pub fn from_env() -> Self {
        match (
            std::env::var("AWS_ACCESS_KEY_ID")
                .ok()
                .filter(|v| !v.is_empty()),
            std::env::var("AWS_SECRET_ACCESS_KEY")
                .ok()
                .filter(|v| !v.is_empty()),
        ) {
            (Some(k), Some(s)) => Verifier::new(k, s),
            _ => Verifier::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY),
        }
    }

    /// The access key id accepted.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// Checks a request's signature against `now`; the error is the service's answer.
    pub fn verify(&self, req: &Incoming<'_>, now: SystemTime) -> Result<(), ServiceError> {
        let Some(auth) = header(req, "authorization") else {
            return Err(ServiceError::new(
                403,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ));
        };
        let parsed = parse_authorization(&auth).ok_or_else(|| {
            ServiceError::new(
                403,
                "IncompleteSignatureException",
                format!("Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization={auth}"),
            )
        })?;
        let scope = self.check_scope(&parsed.credential)?;
        let signed_at = check_date(req, &scope, now)?;
        check_host_signed(req, &parsed)?;
        let expected = self.expected_signature(req, &parsed, &scope, signed_at)?;
        if expected != parsed.signature {
            return Err(invalid_signature());
        }
        Ok(())
    }

    /// The credential scope `{key}/{date}/{region}/execute-api/aws4_request`, for our key.
    fn check_scope<'c>(&self, credential: &'c str) -> Result<Scope<'c>, ServiceError> {
        let scope: Vec<&str> = credential.split('/').collect();
        if scope.len() != 5 || scope[4] != "aws4_request" || scope[3] != apigw_management::SERVICE {
            return Err(ServiceError::new(
                403,
                "IncompleteSignatureException",
                format!(
                    "Credential should be scoped to a valid service and region: '{credential}'"
                ),
            ));
        }
        if self.region.as_deref().is_some_and(|r| r != scope[2]) {
            return Err(ServiceError::new(
                403,
                "InvalidSignatureException",
                "Credential should be scoped to a valid region. ",
            ));
        }
        if scope[0] != self.access_key_id {
            return Err(ServiceError::new(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        }
        Ok(Scope {
            date: scope[1],
            region: scope[2],
        })
    }

    /// The signature this request should carry, signed again with our secret.
    fn expected_signature(
        &self,
        req: &Incoming<'_>,
        parsed: &Authorization,
        scope: &Scope<'_>,
        signed_at: SystemTime,
    ) -> Result<String, ServiceError> {
        let mut owned: Vec<(String, String)> = Vec::new();
        for name in parsed.signed_headers.split(';') {
            if matches!(name, "x-amz-date" | "x-amz-security-token") {
                continue;
            }
            if let Some(v) = header(req, name) {
                owned.push((name.to_string(), v));
            }
        }
        let identity: Identity = aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            header(req, "x-amz-security-token"),
            None,
            "verifier",
        )
        .into();
        let mut settings = SigningSettings::default();
        settings.excluded_headers = Some(Vec::new());
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(scope.region)
            .name(apigw_management::SERVICE)
            .time(signed_at)
            .settings(settings)
            .build()
            .map_err(|_| invalid_signature())?
            .into();
        let signable = SignableRequest::new(
            req.method,
            req.raw_path,
            owned.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(req.body),
        )
        .map_err(|_| invalid_signature())?;
        Ok(sign(signable, &params)
            .map_err(|_| invalid_signature())?
            .signature()
            .to_string())
    }
}

/// The parts of a credential scope the checks after it use.
struct Scope<'c> {
    date: &'c str,
    region: &'c str,
}

/// A header's values, joined with `,` as signing does; `None` when absent.
fn header(req: &Incoming<'_>, name: &str) -> Option<String> {
    let values: Vec<&str> = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// The `X-Amz-Date`: present, matching the scope's day, and within the allowed skew.
fn check_date(
    req: &Incoming<'_>,
    scope: &Scope<'_>,
    now: SystemTime,
) -> Result<SystemTime, ServiceError> {
    let amz_date = header(req, "x-amz-date").unwrap_or_default();
    let Some(signed_at) = parse_amz_date(&amz_date) else {
        return Err(ServiceError::new(
            403,
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    if !amz_date.starts_with(scope.date) {
        return Err(ServiceError::new(
            403,
            "InvalidSignatureException",
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
                scope.date,
                &amz_date[..amz_date.len().min(8)]
            ),
        ));
    }
    check_skew(signed_at, now, &amz_date)?;
    Ok(signed_at)
}

/// The host is part of every signature; signing without it cannot be checked.
fn check_host_signed(req: &Incoming<'_>, parsed: &Authorization) -> Result<(), ServiceError> {
    if !parsed.signed_headers.split(';').any(|h| h == "host") || header(req, "host").is_none() {
        return Err(ServiceError::new(
            403,
            "InvalidSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(())
}

fn invalid_signature() -> ServiceError {
    ServiceError::new(
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service \
         documentation for details.",
    )
}

fn check_skew(signed_at: SystemTime, now: SystemTime, amz_date: &str) -> Result<(), ServiceError> {
    if signed_at + MAX_SKEW < now {
        return Err(ServiceError::new(
            403,
            "InvalidSignatureException",
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
                format_amz_date(now - MAX_SKEW),
                format_amz_date(now)
            ),
        ));
    }
    if signed_at > now + MAX_SKEW {
        return Err(ServiceError::new(
            403,
            "InvalidSignatureException",
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
                format_amz_date(now + MAX_SKEW),
                format_amz_date(now)
            ),
        ));
    }
    Ok(())
}

struct Authorization {
    credential: String,
    signed_headers: String,
    signature: String,
}

fn parse_authorization(auth: &str) -> Option<Authorization> {
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?.trim();
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Credential" => credential = Some(v.trim().to_string()),
            "SignedHeaders" => signed_headers = Some(v.trim().to_ascii_lowercase()),
            "Signature" => signature = Some(v.trim().to_string()),
            _ => {}
        }
    }
    Some(Authorization {
        credential: credential?,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}

/// `20261124T100000Z` → a time.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    DateTime::from_str(&iso, Format::DateTime)
        .ok()
        .and_then(|d| SystemTime::try_from(d).ok())
}

/// A time → `20261124T100000Z`.
pub fn format_amz_date(t: SystemTime) -> String {
    let iso = DateTime::from(t).fmt(Format::DateTime).unwrap_or_default();
    let digits: String = iso
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    format!("{digits}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn botocore_vectors_verify() {
        let raw = include_str!("../testdata/signing.json");
        let v: serde_json::Value = serde_json::from_str(raw).unwrap();
        let verifier = Verifier::new(
            v["access_key_id"].as_str().unwrap(),
            v["secret_access_key"].as_str().unwrap(),
        );
        let date = v["x_amz_date"].as_str().unwrap();
        let now = parse_amz_date(date).unwrap();
        assert_eq!(format_amz_date(now), date);
        let host = "abc123.execute-api.us-east-1.amazonaws.com";
        for case in v["cases"].as_array().unwrap() {
            let scope = format!(
                "{}/{}/us-east-1/execute-api/aws4_request",
                v["access_key_id"].as_str().unwrap(),
                &date[..8]
            );
            let mut headers = vec![
                ("Host".to_string(), host.to_string()),
                ("X-Amz-Date".to_string(), date.to_string()),
                (
                    "Authorization".to_string(),
                    format!(
                        "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={}, Signature={}",
                        case["signed_headers"].as_str().unwrap(),
                        case["signature"].as_str().unwrap()
                    ),
                ),
            ];
            if let Some(t) = case["session_token"].as_str() {
                headers.push(("X-Amz-Security-Token".into(), t.into()));
            }
            let body = case["body_utf8"].as_str().unwrap_or("");
            let incoming = Incoming {
                method: case["method"].as_str().unwrap(),
                raw_path: case["path_on_wire"].as_str().unwrap(),
                headers: &headers,
                body: body.as_bytes(),
            };
            verifier.verify(&incoming, now).unwrap();
            let later = now + Duration::from_secs(301);
            let e = verifier.verify(&incoming, later).unwrap_err();
            assert!(e.message.starts_with("Signature expired:"), "{}", e.message);
            assert!(e.message.ends_with(" - 5 min.)"), "{}", e.message);
            let e = verifier
                .verify(&incoming, now - Duration::from_secs(301))
                .unwrap_err();
            assert!(
                e.message.starts_with("Signature not yet current:"),
                "{}",
                e.message
            );
            let wrong = Verifier::new(v["access_key_id"].as_str().unwrap(), "wrong");
            let e = wrong.verify(&incoming, now).unwrap_err();
            assert_eq!(e.code, "InvalidSignatureException");
        }
    }
}

#[cfg(test)]
mod answers_like_the_service {
    use super::*;

    const KEY: &str = "AKIDVERIFY";
    const SECRET: &str = "verify-secret";

    /// The headers of a GET of `/prod/@connections/abc` signed for `region`, with
    /// `SignedHeaders` then replaced by `signed_headers` when given.
    fn signed(
        region: &str,
        signed_headers: Option<&str>,
        now: SystemTime,
    ) -> Vec<(String, String)> {
        let identity: Identity =
            aws_credential_types::Credentials::new(KEY, SECRET, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(apigw_management::SERVICE)
            .time(now)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let host = [("host", "127.0.0.1:9")];
        let req = SignableRequest::new(
            "GET",
            "/prod/@connections/abc",
            host.into_iter(),
            SignableBody::Bytes(b""),
        )
        .unwrap();
        let (instructions, _) = sign(req, &params).unwrap().into_parts();
        let mut headers = vec![("Host".to_string(), "127.0.0.1:9".to_string())];
        for (name, value) in instructions.headers() {
            let mut value = value.to_string();
            if let (Some(replacement), "authorization") = (signed_headers, name) {
                value = value.replace(
                    "SignedHeaders=host;x-amz-date",
                    &format!("SignedHeaders={replacement}"),
                );
            }
            headers.push((name.to_string(), value));
        }
        headers
    }

    fn verify(
        verifier: &Verifier,
        headers: &[(String, String)],
        now: SystemTime,
    ) -> Result<(), ServiceError> {
        let incoming = Incoming {
            method: "GET",
            raw_path: "/prod/@connections/abc",
            headers,
            body: b"",
        };
        verifier.verify(&incoming, now)
    }

    #[test]
    fn signed_headers_without_host_are_refused_with_403() {
        let now = SystemTime::now();
        let verifier = Verifier::new(KEY, SECRET);
        verify(&verifier, &signed("us-east-1", None, now), now).unwrap();
        for without_host in ["x-amz-date", "content-type;x-amz-date", ""] {
            let e = verify(
                &verifier,
                &signed("us-east-1", Some(without_host), now),
                now,
            )
            .unwrap_err();
            assert_eq!(
                (e.status, e.code),
                (403, "InvalidSignatureException"),
                "{without_host}: {}",
                e.message
            );
            assert!(e.message.contains("'Host'"), "{}", e.message);
        }
        // Host signed but absent from the request (HTTP/1.0 allows that).
        let mut no_host = signed("us-east-1", None, now);
        no_host.retain(|(n, _)| n != "Host");
        let e = verify(&verifier, &no_host, now).unwrap_err();
        assert_eq!((e.status, e.code), (403, "InvalidSignatureException"));
    }

    #[test]
    fn a_scope_for_another_region_is_refused_with_403() {
        let now = SystemTime::now();
        let verifier = Verifier::new(KEY, SECRET).region("us-east-1");
        verify(&verifier, &signed("us-east-1", None, now), now).unwrap();
        let e = verify(&verifier, &signed("eu-west-1", None, now), now).unwrap_err();
        assert_eq!((e.status, e.code), (403, "InvalidSignatureException"));
        assert!(e.message.contains("valid region"), "{}", e.message);
        // Without a region the gateway accepts any (one endpoint for every test's region).
        let any = Verifier::new(KEY, SECRET);
        verify(&any, &signed("eu-west-1", None, now), now).unwrap();
    }
}
