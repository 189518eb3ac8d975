//! CloudFormation templates as JSON values: the YAML reader (with the short tags `!Ref`,
//! `!Sub`, `!GetAtt`, `!Join`, …) and the intrinsic functions template mode evaluates
//! (`Ref`, `Fn::Sub` in both forms, `Fn::Join`, `Fn::GetAtt`, `Fn::Select`, `Fn::Split`,
//! `Fn::If`, pseudo parameters).

use serde_json::{Map, Value};
use std::collections::HashMap;

/// The account id every ARN of template mode carries.
pub(crate) const ACCOUNT_ID: &str = "123456789012";

/// Reads a template written in YAML or JSON (JSON is YAML) into JSON, the short tags
/// turned into their long forms (`!Ref X` → `{"Ref": "X"}`).
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    let yaml: serde_norway::Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    from_yaml(yaml)
}

fn from_yaml(v: serde_norway::Value) -> Result<Value, String> {
    use serde_norway::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => b.into(),
        Y::Number(n) => serde_json::to_value(&n).map_err(|e| e.to_string())?,
        Y::String(s) => s.into(),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(from_yaml).collect::<Result<_, _>>()?)
        }
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(format!("a mapping key is not a string: {other:?}")),
                };
                out.insert(key, from_yaml(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let name = tagged.tag.to_string();
            let name = name.trim_start_matches('!');
            let value = from_yaml(tagged.value)?;
            let (key, value) = match (name, value) {
                ("Ref", v) => ("Ref".to_string(), v),
                ("Condition", v) => ("Condition".to_string(), v),
                ("GetAtt", Value::String(s)) => {
                    let parts: Vec<Value> = match s.split_once('.') {
                        Some((a, b)) => vec![a.into(), b.into()],
                        None => vec![s.into()],
                    };
                    ("Fn::GetAtt".to_string(), Value::Array(parts))
                }
                (other, v) => (format!("Fn::{other}"), v),
            };
            let mut out = Map::new();
            out.insert(key, value);
            Value::Object(out)
        }
    })
}

/// What `Ref` and `Fn::GetAtt` resolve to.
pub(crate) struct Scope {
    /// Parameters (defaults, then overrides) and pseudo parameters.
    pub params: HashMap<String, Value>,
    /// `Ref` of each resource (a function's name, an API's id, …).
    pub refs: HashMap<String, String>,
    /// `Fn::GetAtt` of each resource and attribute (`Function.Arn`).
    pub attrs: HashMap<(String, String), String>,
    /// The `Conditions` section (evaluated when `Fn::If` or `Condition` asks).
    pub conditions: Map<String, Value>,
}

impl Scope {
    /// The pseudo parameters for `region`.
    pub(crate) fn new(region: &str) -> Self {
        let mut params = HashMap::new();
        for (k, v) in [
            ("AWS::Region", region),
            ("AWS::AccountId", ACCOUNT_ID),
            ("AWS::Partition", "aws"),
            ("AWS::URLSuffix", "amazonaws.com"),
            ("AWS::StackName", "local"),
            (
                "AWS::StackId",
                "arn:aws:cloudformation:local:123456789012:stack/local/local",
            ),
        ] {
            params.insert(k.to_string(), Value::String(v.to_string()));
        }
        params.insert("AWS::NotificationARNs".into(), Value::Array(Vec::new()));
        Scope {
            params,
            refs: HashMap::new(),
            attrs: HashMap::new(),
            conditions: Map::new(),
        }
    }

    /// Evaluates every intrinsic function in `v`; `AWS::NoValue` removes its key.
    pub(crate) fn resolve(&self, v: &Value) -> Result<Value, String> {
        match v {
            Value::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|i| self.resolve(i))
                    .filter(|r| !matches!(r, Ok(Value::Null)))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Object(map) if map.len() == 1 => {
                let (k, arg) = map.iter().next().ok_or("empty")?;
                if k == "Ref" || k.starts_with("Fn::") {
                    return self.function(k, arg);
                }
                self.resolve_map(map)
            }
            Value::Object(map) => self.resolve_map(map),
            other => Ok(other.clone()),
        }
    }

    fn resolve_map(&self, map: &Map<String, Value>) -> Result<Value, String> {
        let mut out = Map::new();
        for (k, v) in map {
            let r = self.resolve(v)?;
            if !r.is_null() || v.is_null() {
                out.insert(k.clone(), r);
            }
        }
        Ok(Value::Object(out))
    }

    fn function(&self, name: &str, arg: &Value) -> Result<Value, String> {
        match name {
            "Ref" => self.reference(&self.string(arg)?),
            "Fn::GetAtt" => {
                let parts = match self.resolve(arg)? {
                    Value::Array(p) => p,
                    Value::String(s) => s.splitn(2, '.').map(Value::from).collect(),
                    _ => return Err("Fn::GetAtt takes [resource, attribute]".into()),
                };
                let (Some(Value::String(r)), Some(Value::String(a))) =
                    (parts.first(), parts.get(1))
                else {
                    return Err("Fn::GetAtt takes [resource, attribute]".into());
                };
                Ok(Value::String(self.attribute(r, a)))
            }
            "Fn::Sub" => self.sub(arg),
            "Fn::Join" => {
                let Value::Array(parts) = arg else {
                    return Err("Fn::Join takes [delimiter, [values]]".into());
                };
                let (Some(Value::String(delim)), Some(list)) = (parts.first(), parts.get(1)) else {
                    return Err("Fn::Join takes [delimiter, [values]]".into());
                };
                let Value::Array(items) = self.resolve(list)? else {
                    return Err("Fn::Join's second argument is not a list".into());
                };
                let strings = items
                    .iter()
                    .map(|i| self.string(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::String(strings.join(delim)))
            }
            "Fn::Select" => {
                let Value::Array(parts) = arg else {
                    return Err("Fn::Select takes [index, [values]]".into());
                };
                let index = parts
                    .first()
                    .map(|i| self.resolve(i))
                    .transpose()?
                    .and_then(|i| i.as_u64().or_else(|| i.as_str()?.parse().ok()))
                    .ok_or("Fn::Select's index is not a number")?;
                let list = parts.get(1).map(|l| self.resolve(l)).transpose()?;
                list.as_ref()
                    .and_then(|l| l.get(usize::try_from(index).ok()?))
                    .cloned()
                    .ok_or_else(|| format!("Fn::Select's index {index} is out of range"))
            }
            "Fn::Split" => {
                let Value::Array(parts) = arg else {
                    return Err("Fn::Split takes [delimiter, string]".into());
                };
                let (Some(Value::String(delim)), Some(s)) = (parts.first(), parts.get(1)) else {
                    return Err("Fn::Split takes [delimiter, string]".into());
                };
                let s = self.string(s)?;
                Ok(Value::Array(
                    s.split(delim.as_str()).map(Value::from).collect(),
                ))
            }
            "Fn::If" => {
                let Value::Array(parts) = arg else {
                    return Err("Fn::If takes [condition, then, else]".into());
                };
                let cond = parts.first().and_then(Value::as_str).unwrap_or_default();
                let value = self.condition(cond, 0)?;
                let branch = parts.get(if value { 1 } else { 2 }).unwrap_or(&Value::Null);
                self.resolve(branch)
            }
            other => Err(format!("the intrinsic function {other} is not supported")),
        }
    }

    /// The value of the condition `name` (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
    /// `Condition`).
    fn condition(&self, name: &str, depth: usize) -> Result<bool, String> {
        let expr = self
            .conditions
            .get(name)
            .ok_or_else(|| format!("no condition {name}"))?;
        self.truth(expr, depth + 1)
            .map_err(|e| format!("condition {name}: {e}"))
    }

    fn truth(&self, expr: &Value, depth: usize) -> Result<bool, String> {
        if depth > 32 {
            return Err("conditions nest too deep (a cycle?)".into());
        }
        let (op, arg) = expr
            .as_object()
            .and_then(|m| m.iter().next())
            .ok_or("a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition")?;
        let list = || arg.as_array().cloned().unwrap_or_default();
        match op.as_str() {
            "Condition" => self.condition(arg.as_str().unwrap_or_default(), depth),
            "Fn::Equals" => match list().as_slice() {
                [a, b] => Ok(self.resolve(a)? == self.resolve(b)?),
                _ => Err("Fn::Equals takes two values".into()),
            },
            "Fn::Not" => match list().as_slice() {
                [c] => Ok(!self.truth(c, depth + 1)?),
                _ => Err("Fn::Not takes one condition".into()),
            },
            "Fn::And" => list()
                .iter()
                .try_fold(true, |acc, c| Ok(acc && self.truth(c, depth + 1)?)),
            "Fn::Or" => list()
                .iter()
                .try_fold(false, |acc, c| Ok(acc || self.truth(c, depth + 1)?)),
            other => Err(format!("{other} is not a condition function")),
        }
    }

    /// A value that must be a string (numbers and booleans are written out).
    fn string(&self, v: &Value) -> Result<String, String> {
        match self.resolve(v)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!("expected a string, found {other}")),
        }
    }

    fn reference(&self, name: &str) -> Result<Value, String> {
        if name == "AWS::NoValue" {
            return Ok(Value::Null);
        }
        if let Some(v) = self.params.get(name) {
            return Ok(v.clone());
        }
        self.refs
            .get(name)
            .map(|r| Value::String(r.clone()))
            .ok_or_else(|| format!("Ref to {name}, which is neither a parameter nor a resource"))
    }

    fn attribute(&self, resource: &str, attr: &str) -> String {
        self.attrs
            .get(&(resource.to_string(), attr.to_string()))
            .cloned()
            .unwrap_or_else(|| format!("{resource}.{attr}"))
    }

    /// `Fn::Sub`: a string with `${Name}` / `${Resource.Attr}` / `${!Literal}`, or
    /// `[string, {variables}]`.
    fn sub(&self, arg: &Value) -> Result<Value, String> {
        let (template, vars) = match arg {
            Value::String(s) => (s.as_str(), Map::new()),
            Value::Array(parts) => {
                let Some(Value::String(s)) = parts.first() else {
                    return Err("Fn::Sub takes a string or [string, {variables}]".into());
                };
                let vars = match parts.get(1).map(|v| self.resolve(v)).transpose()? {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                (s.as_str(), vars)
            }
            _ => return Err("Fn::Sub takes a string or [string, {variables}]".into()),
        };
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("Fn::Sub: unclosed ${{ in {template:?}"))?;
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(name) {
                out.push_str(&self.string(v)?);
            } else if let Some((r, a)) = name.split_once('.')
                && !self.params.contains_key(name)
            {
                out.push_str(&self.attribute(r, a));
            } else {
                out.push_str(&self.string(&self.reference(name)?)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Value::String(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        let mut s = Scope::new("eu-west-1");
        s.params.insert("Table".into(), json!("chat"));
        s.refs.insert("Fn1".into(), "local-Fn1".into());
        s.attrs.insert(
            ("Fn1".into(), "Arn".into()),
            "arn:aws:lambda:eu-west-1:123456789012:function:Fn1".into(),
        );
        s
    }

    #[test]
    fn short_tags_become_long_forms() {
        let v =
            parse("a: !Ref X\nb: !GetAtt F.Arn\nc: !Sub 'x-${X}'\nd: !Join ['/', [a, !Ref X]]\n")
                .unwrap();
        assert_eq!(v["a"], json!({"Ref": "X"}));
        assert_eq!(v["b"], json!({"Fn::GetAtt": ["F", "Arn"]}));
        assert_eq!(v["c"], json!({"Fn::Sub": "x-${X}"}));
        assert_eq!(v["d"], json!({"Fn::Join": ["/", ["a", {"Ref": "X"}]]}));
    }

    #[test]
    fn intrinsics_resolve() {
        let s = scope();
        let r = |v: Value| s.resolve(&v).unwrap();
        assert_eq!(r(json!({"Ref": "Table"})), "chat");
        assert_eq!(r(json!({"Ref": "AWS::Region"})), "eu-west-1");
        assert_eq!(
            r(json!({"Fn::Sub": "arn:${AWS::Region}:${Fn1.Arn}/${!Keep}"})),
            "arn:eu-west-1:arn:aws:lambda:eu-west-1:123456789012:function:Fn1/${Keep}"
        );
        assert_eq!(
            r(json!({"Fn::Sub": ["${A}-${Table}", {"A": {"Ref": "Fn1"}}]})),
            "local-Fn1-chat"
        );
        assert_eq!(
            r(json!({"Fn::Join": ["/", ["integrations", {"Ref": "Fn1"}]]})),
            "integrations/local-Fn1"
        );
        assert_eq!(r(json!({"Fn::Select": [1, ["a", "b"]]})), "b");
        assert_eq!(
            r(json!({"Fn::Select": ["0", {"Fn::Split": [",", "x,y"]}]})),
            "x"
        );
        assert_eq!(
            r(json!({"k": {"Ref": "AWS::NoValue"}, "j": 1})),
            json!({"j": 1})
        );
        assert!(
            s.resolve(&json!({"Ref": "Nope"}))
                .unwrap_err()
                .contains("Nope")
        );
        assert!(
            s.resolve(&json!({"Fn::Cidr": []}))
                .unwrap_err()
                .contains("Fn::Cidr")
        );
    }
}
