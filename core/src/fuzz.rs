//! Property tests: the parsers that take outside data never panic, whatever they get.
//! Each property runs `CASES` generated inputs (`PROPTEST_CASES` overrides it).

use crate::endpoint::{Endpoint, EventEndpoint, encode_connection_id, endpoint_from_event};
use crate::model::{Connection, service_error};
use crate::retry::parse_retry_after;
use proptest::prelude::*;
use serde_json::{Value, json};

const CASES: u32 = 4096;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES),
        ..ProptestConfig::default()
    }
}

/// Strings shaped like endpoints, with every kind of damage.
fn endpoint_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just(""),
        Just("https://"),
        Just("http://"),
        Just("wss://"),
        Just("ws://"),
        Just("HTTPS://"),
        Just("ftp://"),
        Just("://"),
        Just("https:/"),
    ];
    let host = prop_oneof![
        Just("abc.execute-api.eu-west-1.amazonaws.com".to_string()),
        Just("[::1]".to_string()),
        Just("[::1".to_string()),
        Just("127.0.0.1".to_string()),
        "[a-z0-9.:@\\[\\]-]{0,30}",
        any::<String>(),
    ];
    let port = prop_oneof![Just(String::new()), "(:[0-9]{0,7})", Just(":".to_string())];
    let path = prop_oneof![
        Just(String::new()),
        "(/[a-z@%0-9?#]{0,8}){0,4}/?",
        any::<String>()
    ];
    (scheme, host, port, path).prop_map(|(s, h, p, path)| format!("{s}{h}{p}{path}"))
}

/// JSON values of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::from),
        Just(Value::from("2026-11-24T10:00:00.000Z")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("requestContext".to_string()),
                    Just("apiId".to_string()),
                    Just("stage".to_string()),
                    Just("domainName".to_string()),
                    Just("connectedAt".to_string()),
                    Just("lastActiveAt".to_string()),
                    Just("identity".to_string()),
                    Just("sourceIp".to_string()),
                    Just("message".to_string()),
                    Just("__type".to_string()),
                    "[a-zA-Z_]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn endpoint_parse_never_panics(s in endpoint_like()) {
        if let Ok(e) = Endpoint::parse(&s) {
            // What parses yields a URL that parses the same way again.
            prop_assert_eq!(Endpoint::parse(&e.url()).ok(), Some(e));
        }
    }

    #[test]
    fn arbitrary_endpoint_strings_never_panic(s in any::<String>()) {
        let _ = Endpoint::parse(&s);
    }

    #[test]
    fn connection_ids_encode_to_one_segment(id in any::<String>()) {
        if let Ok(enc) = encode_connection_id(&id) {
            prop_assert!(!enc.contains('/'));
            let decoded = percent_encoding::percent_decode_str(&enc).decode_utf8().unwrap();
            prop_assert_eq!(decoded, id.as_str());
        }
    }

    #[test]
    fn error_responses_never_panic(
        status in 100u16..600,
        header in proptest::option::of(any::<String>()),
        body in prop_oneof![
            any::<Vec<u8>>(),
            any_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        ],
    ) {
        let e = service_error(status, header.as_deref(), None, &body);
        prop_assert_eq!(e.status(), Some(status));
        let _ = e.to_string();
    }

    #[test]
    fn get_connection_bodies_never_panic(
        body in prop_oneof![
            any::<Vec<u8>>(),
            any_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            (any_json(), any_json()).prop_map(|(a, b)| serde_json::to_vec(
                &json!({"connectedAt": a, "lastActiveAt": b, "identity": {"sourceIp": "1.2.3.4"}})
            ).unwrap()),
            (any::<i64>(), any::<String>()).prop_map(|(n, s)| serde_json::to_vec(
                &json!({"connectedAt": n, "lastActiveAt": s})
            ).unwrap()),
        ],
    ) {
        let _ = Connection::from_json(&body);
    }

    #[test]
    fn lambda_events_never_panic(event in any_json(), region in proptest::option::of("[a-z0-9-]{0,12}")) {
        for style in [EventEndpoint::ApiId, EventEndpoint::DomainName] {
            let _ = endpoint_from_event(&event, style, region.as_deref());
        }
        let wrapped = json!({"requestContext": event});
        let _ = endpoint_from_event(&wrapped, EventEndpoint::ApiId, Some("us-east-1"));
    }

    #[test]
    fn dates_never_panic(s in any::<String>()) {
        let _ = parse_retry_after(&s, std::time::SystemTime::now());
        let _ = crate::model::parse_http_date(&s);
    }
}
