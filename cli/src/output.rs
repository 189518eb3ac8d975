//! Printing results as the AWS CLI does: JSON indented by four spaces, or text with one
//! line of scalars per object; timestamps in ISO 8601 with a `+00:00` offset.

use crate::args::Output;
use apigw_management::Connection;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::SystemTime;

/// `2026-11-24T10:00:00.123Z` → `2026-11-24T10:00:00.123000+00:00` (the AWS CLI's
/// `iso8601` format; no fraction when it is zero).
pub fn aws_timestamp(t: SystemTime) -> String {
    let s = apigw_management::format_timestamp(t);
    let base = s.trim_end_matches('Z');
    match base.split_once('.') {
        Some((secs, "000")) => format!("{secs}+00:00"),
        Some((secs, ms)) => format!("{secs}.{ms}000+00:00"),
        None => format!("{base}+00:00"),
    }
}

/// GetConnection's output.
pub fn connection(c: &Connection) -> Value {
    json!({
        "ConnectedAt": aws_timestamp(c.connected_at),
        "Identity": {
            "SourceIp": c.identity.source_ip,
            "UserAgent": c.identity.user_agent,
        },
        "LastActiveAt": aws_timestamp(c.last_active_at),
    })
}

/// JSON with four-space indentation.
pub fn pretty(v: &Value) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    match v.serialize(&mut ser) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => v.to_string(),
    }
}

/// The AWS CLI's text output: an object's scalars on one line (keys sorted), each nested
/// object on a line of its own headed by its key in capitals.
pub fn text(v: &Value) -> String {
    let mut lines = Vec::new();
    text_lines(None, v, &mut lines);
    lines.join("\n")
}

fn text_lines(name: Option<&str>, v: &Value, lines: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut scalars: Vec<String> = name.map(|n| n.to_uppercase()).into_iter().collect();
            for k in &keys {
                if let Some(s) = scalar(&map[*k]) {
                    scalars.push(s);
                }
            }
            if scalars.len() > usize::from(name.is_some()) {
                lines.push(scalars.join("\t"));
            }
            for k in keys {
                if scalar(&map[k]).is_none() {
                    text_lines(Some(k), &map[k], lines);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match scalar(item) {
                    Some(s) => lines.push(match name {
                        Some(n) => format!("{}\t{s}", n.to_uppercase()),
                        None => s,
                    }),
                    None => text_lines(name, item, lines),
                }
            }
        }
        other => lines.extend(scalar(other)),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("None".into()),
        _ => None,
    }
}

/// Prints a result in the chosen format.
pub fn print(v: &Value, format: Output) {
    match format {
        Output::Json => println!("{}", pretty(v)),
        Output::Text => println!("{}", text(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigw_management::Identity;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn connections_print_as_the_aws_cli_prints_them() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_514_400_000);
        let c = Connection::new(
            t,
            t + Duration::from_millis(1_250),
            Identity::new("127.0.0.1", "curl/8"),
        );
        let v = connection(&c);
        assert_eq!(v["ConnectedAt"], "2026-11-24T10:00:00+00:00");
        assert_eq!(v["LastActiveAt"], "2026-11-24T10:00:01.250000+00:00");
        assert!(pretty(&v).contains("\n    \"Identity\": {\n        \"SourceIp\""));
        assert_eq!(
            text(&v),
            "2026-11-24T10:00:00+00:00\t2026-11-24T10:00:01.250000+00:00\nIDENTITY\t127.0.0.1\tcurl/8"
        );
    }
}
