//! SigV4 for service `execute-api`, through `aws-sigv4`.

use crate::error::{Error, ErrorKind, Result};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use sha2::{Digest, Sha256};
use std::time::SystemTime;

/// The service name that API Gateway's management API is signed for.
pub const SERVICE: &str = "execute-api";

/// SHA-256 of the empty body, lowercase hex.
pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Lowercase hex SHA-256 of a body: computed once per call, reused by every attempt.
pub(crate) fn payload_hash(body: &[u8]) -> String {
    if body.is_empty() {
        return EMPTY_SHA256.to_string();
    }
    hex::encode(Sha256::digest(body))
}

/// The headers to add to a request: `(name, value)` pairs (`authorization`,
/// `x-amz-date`, and `x-amz-security-token` with a session token).
pub(crate) fn sign_headers(
    identity: &Identity,
    region: &str,
    method: &str,
    authority: &str,
    path_and_query: &str,
    payload_sha256: &str,
    time: SystemTime,
) -> Result<Vec<(&'static str, String)>> {
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| {
            Error::new(ErrorKind::Credentials, "cannot build signing parameters").with_source(e)
        })?
        .into();
    let request = SignableRequest::new(
        method,
        path_and_query,
        std::iter::once(("host", authority)),
        SignableBody::Precomputed(payload_sha256.to_string()),
    )
    .map_err(|e| Error::invalid_input("the request cannot be signed").with_source(e))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| Error::new(ErrorKind::Credentials, "signing failed").with_source(e))?
        .into_parts();
    let (headers, _) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name(), h.value().to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, encode_connection_id};

    /// Known answers computed with botocore (`shared/signing-vectors.json`).
    #[test]
    fn matches_botocore_signing_vectors() {
        let raw = include_str!("../testdata/signing.json");
        let v: serde_json::Value = serde_json::from_str(raw).unwrap();
        let endpoint = Endpoint::parse(v["endpoint"].as_str().unwrap()).unwrap();
        let date = v["x_amz_date"].as_str().unwrap();
        let time = aws_smithy_types::DateTime::from_str(
            &format!(
                "{}-{}-{}T{}:{}:{}Z",
                &date[0..4],
                &date[4..6],
                &date[6..8],
                &date[9..11],
                &date[11..13],
                &date[13..15]
            ),
            aws_smithy_types::date_time::Format::DateTime,
        )
        .unwrap();
        let cases = v["cases"].as_array().unwrap();
        assert!(cases.len() >= 5);
        for case in cases {
            let id = case["connection_id"].as_str().unwrap();
            let path = format!(
                "{}{}",
                endpoint.path_prefix(),
                encode_connection_id(id).unwrap()
            );
            assert_eq!(path, case["path_on_wire"].as_str().unwrap(), "{id}");
            let token = case["session_token"].as_str().map(str::to_string);
            let identity: Identity = aws_credential_types::Credentials::new(
                v["access_key_id"].as_str().unwrap(),
                v["secret_access_key"].as_str().unwrap(),
                token,
                None,
                "test",
            )
            .into();
            let body = case["body_utf8"].as_str().unwrap_or("");
            let headers = sign_headers(
                &identity,
                v["region"].as_str().unwrap(),
                case["method"].as_str().unwrap(),
                &endpoint.authority,
                &path,
                &payload_hash(body.as_bytes()),
                SystemTime::try_from(time).unwrap(),
            )
            .unwrap();
            let auth = &headers
                .iter()
                .find(|(n, _)| *n == "authorization")
                .unwrap()
                .1;
            let expected = case["signature"].as_str().unwrap();
            assert!(
                auth.ends_with(&format!("Signature={expected}")),
                "{id} {}: {auth}",
                case["method"]
            );
            let signed = case["signed_headers"].as_str().unwrap();
            assert!(auth.contains(&format!("SignedHeaders={signed},")), "{auth}");
        }
    }
}
