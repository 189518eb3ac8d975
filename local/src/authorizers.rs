//! `REQUEST` authorizers on `$connect`: the identity sources they need, the event they
//! get, and what their answer means (an Allow policy and its `context`, a Deny, or an
//! `Unauthorized` error).

use crate::template::Authorizer;
use serde_json::{Map, Value, json};

/// What an authorizer decided.
#[derive(Debug, PartialEq)]
pub(crate) enum Decision {
    /// Allowed: `requestContext.authorizer` of this and later events.
    Allow(Value),
    /// Refused with this handshake status (401 Unauthorized, 403 Forbidden).
    Refuse(u16),
}

/// The identity sources `$connect` lacks, as API Gateway checks them before calling the
/// authorizer (any missing one refuses the handshake with 401).
pub(crate) fn missing_identity(a: &Authorizer, event: &Value) -> Option<String> {
    a.identity_sources
        .iter()
        .find(|source| identity_value(source, event).is_none())
        .cloned()
}

fn identity_value<'a>(source: &str, event: &'a Value) -> Option<&'a Value> {
    let source = source.trim();
    if let Some(name) = source.strip_prefix("route.request.header.") {
        let headers = event.get("headers")?.as_object()?;
        return headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v);
    }
    if let Some(name) = source.strip_prefix("route.request.querystring.") {
        return event.get("queryStringParameters")?.get(name);
    }
    if let Some(name) = source.strip_prefix("stageVariables.") {
        return event.get("stageVariables")?.get(name);
    }
    if let Some(path) = source.strip_prefix("context.") {
        return path
            .split('.')
            .try_fold(event.get("requestContext")?, |v, k| v.get(k));
    }
    None
}

/// The event a `REQUEST` authorizer receives for a `$connect` event.
pub(crate) fn request_event(connect: &Value, region: &str) -> Value {
    let ctx = &connect["requestContext"];
    let method_arn = format!(
        "arn:aws:execute-api:{region}:{}:{}/{}/$connect",
        crate::intrinsics::ACCOUNT_ID,
        ctx["apiId"].as_str().unwrap_or_default(),
        ctx["stage"].as_str().unwrap_or_default(),
    );
    let mut event = Map::new();
    event.insert("type".into(), "REQUEST".into());
    event.insert("methodArn".into(), method_arn.into());
    for key in [
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "stageVariables",
        "requestContext",
    ] {
        if let Some(v) = connect.get(key) {
            event.insert(key.into(), v.clone());
        }
    }
    Value::Object(event)
}

/// Reads an authorizer's answer: an Allow policy for `execute-api:Invoke` allows, with
/// `{principalId, …context}` as `requestContext.authorizer`; anything else is a Deny.
pub(crate) fn decide(answer: &Value) -> Decision {
    let statements = match answer.pointer("/policyDocument/Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    let effect = |s: &Value| {
        s.get("Effect")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let denied = statements.iter().any(|s| effect(s) == "deny");
    let allowed = statements.iter().any(|s| effect(s) == "allow");
    if denied || !allowed {
        return Decision::Refuse(403);
    }
    let mut ctx = Map::new();
    if let Some(p) = answer.get("principalId") {
        ctx.insert("principalId".into(), p.clone());
    }
    if let Some(Value::Object(extra)) = answer.get("context") {
        for (k, v) in extra {
            ctx.insert(k.clone(), v.clone());
        }
    }
    ctx.insert("integrationLatency".into(), json!(0));
    Decision::Allow(Value::Object(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(effect: &str) -> Value {
        json!({
            "principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": "arn:x"}
            ]},
            "context": {"team": "blue"}
        })
    }

    #[test]
    fn policies_allow_or_deny() {
        match decide(&policy("Allow")) {
            Decision::Allow(ctx) => {
                assert_eq!(ctx["principalId"], "user-1");
                assert_eq!(ctx["team"], "blue");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(decide(&policy("Deny")), Decision::Refuse(403));
        assert_eq!(decide(&json!({"principalId": "x"})), Decision::Refuse(403));
    }

    #[test]
    fn identity_sources_are_checked() {
        let a = Authorizer {
            name: "Auth".into(),
            function: "AuthFn".into(),
            identity_sources: vec![
                "route.request.header.Auth".into(),
                "route.request.querystring.token".into(),
            ],
        };
        let with = json!({"headers": {"auth": "x"}, "queryStringParameters": {"token": "t"}});
        assert_eq!(missing_identity(&a, &with), None);
        let without = json!({"headers": {"Auth": "x"}});
        assert_eq!(
            missing_identity(&a, &without).as_deref(),
            Some("route.request.querystring.token")
        );
    }
}
