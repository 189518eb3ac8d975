//! Route selection: a WebSocket API's `RouteSelectionExpression` (`$request.body.action`)
//! evaluated on a client's message, with `$default` as the fallback.

use serde_json::Value;

/// The route key a message selects: the expression's value when a route has that key,
/// else `$default` when there is one, else `None` (the client is told "Forbidden").
///
/// The expression is a template of `$request.body.PATH` (or `${request.body.PATH}`)
/// selectors and literal text; a message that is not JSON, or lacks a selected field,
/// selects `$default`.
pub(crate) fn select<'a>(
    expression: &str,
    body: &str,
    has_route: impl Fn(&str) -> bool,
) -> Option<std::borrow::Cow<'a, str>> {
    if let Some(key) = evaluate(expression, body)
        && has_route(&key)
    {
        return Some(key.into());
    }
    has_route("$default").then_some("$default".into())
}

/// The expression's value for `body`, if every selector found a string or number.
fn evaluate(expression: &str, body: &str) -> Option<String> {
    let json: Value = serde_json::from_str(body).ok()?;
    let mut out = String::new();
    let mut rest = expression;
    loop {
        let braced = rest.find("${request.body.");
        let bare = rest.find("$request.body.");
        let (start, skip, braces) = match (braced, bare) {
            (Some(b), Some(p)) if b <= p => (b, "${request.body.".len(), true),
            (_, Some(p)) => (p, "$request.body.".len(), false),
            (Some(b), None) => (b, "${request.body.".len(), true),
            (None, None) => break,
        };
        out.push_str(&rest[..start]);
        let after = &rest[start + skip..];
        let end = if braces {
            after.find('}')?
        } else {
            after
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(after.len())
        };
        let path = after[..end].trim_end_matches('.');
        out.push_str(&lookup(&json, path)?);
        rest = &after[end + usize::from(braces)..];
    }
    out.push_str(rest);
    Some(out)
}

fn lookup(json: &Value, path: &str) -> Option<String> {
    let v = path.split('.').try_fold(json, |v, key| v.get(key))?;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(keys: &'static [&'static str]) -> impl Fn(&str) -> bool {
        move |k| keys.contains(&k)
    }

    #[test]
    fn selects_by_the_expression_then_default() {
        let r = routes(&["send", "$default", "a-b"]);
        let pick = |e: &str, b: &str| select(e, b, &r).map(|c| c.into_owned());
        assert_eq!(
            pick("$request.body.action", r#"{"action":"send"}"#).as_deref(),
            Some("send")
        );
        assert_eq!(
            pick("$request.body.m.kind", r#"{"m":{"kind":"send"}}"#).as_deref(),
            Some("send")
        );
        assert_eq!(
            pick(
                "${request.body.x}-${request.body.y}",
                r#"{"x":"a","y":"b"}"#
            )
            .as_deref(),
            Some("a-b")
        );
        assert_eq!(
            pick("$request.body.action", r#"{"action":"other"}"#).as_deref(),
            Some("$default")
        );
        assert_eq!(
            pick("$request.body.action", "not json").as_deref(),
            Some("$default")
        );
        let none = routes(&["send"]);
        assert_eq!(
            select("$request.body.action", r#"{"action":"x"}"#, &none),
            None
        );
        assert_eq!(
            select("$request.body.action", r#"{"action":"send"}"#, &none).as_deref(),
            Some("send")
        );
    }
}
