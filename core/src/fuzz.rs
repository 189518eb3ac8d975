//! Property tests: the parsers that take outside data never panic, whatever they get.
//! Each property runs `CASES` generated inputs (`PROPTEST_CASES` overrides it).

use crate::endpoint::{Endpoint, EventEndpoint, encode_connection_id, endpoint_from_event};
use crate::model::{Connection, service_error};
use crate::retry::parse_retry_after;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range an HTTP date can write.
const FIRST_HTTP_DATE: i64 = -62_135_596_800;
const LAST_HTTP_DATE: i64 = 253_402_300_799;

/// An IMF-fixdate (`Tue, 24 Nov 2026 10:00:00 GMT`) for `secs` since the epoch, written
/// here from the civil calendar (days to y/m/d as in Hinnant's `civil_from_days`), not
/// by the parser's own library.
fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[month as usize - 1],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn instant(secs: i64) -> SystemTime {
    let d = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH + d
    } else {
        UNIX_EPOCH - d
    }
}

/// Seconds since the epoch across the whole HTTP-date range, its ends and the days
/// calendars get wrong (leap days, year ends, the epoch itself) weighted in.
fn http_date_secs() -> impl Strategy<Value = i64> {
    prop_oneof![
        FIRST_HTTP_DATE..=LAST_HTTP_DATE,
        Just(FIRST_HTTP_DATE),
        Just(LAST_HTTP_DATE),
        Just(0),
        Just(-1),
        Just(951_782_400),   // 2000-02-29
        Just(4_107_456_000), // 2100-02-28, 2100 is no leap year
        Just(1_798_675_199), // 2026-12-31T23:59:59
        -100_000i64..100_000,
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn http_dates_parse_to_their_instant(secs in http_date_secs()) {
        let text = http_date(secs);
        prop_assert_eq!(crate::model::parse_http_date(&text), Some(instant(secs)), "{}", text);
    }

    #[test]
    fn retry_after_dates_wait_until_then_within_the_cap(
        now in 0i64..4_000_000_000,
        ahead in prop_oneof![-1_000_000i64..1_000_000, -30i64..30, Just(i64::MIN / 4)],
    ) {
        let at = (now + ahead).clamp(FIRST_HTTP_DATE, LAST_HTTP_DATE);
        let want = Duration::from_secs((at - now).clamp(0, 20) as u64);
        prop_assert_eq!(parse_retry_after(&http_date(at), instant(now)), Some(want));
    }

    #[test]
    fn http_dates_with_a_field_out_of_range_are_refused(
        secs in 0i64..4_000_000_000,
        field in 0usize..4,
        bad in prop_oneof![Just("32"), Just("99"), Just("-1"), Just("")],
    ) {
        // `Tue, 24 Nov 2026 10:00:00 GMT`: day, then hour, minute, second.
        let text = http_date(secs);
        let (head, time) = text.split_at(17);
        let mut parts: Vec<String> = time.trim_end_matches(" GMT").split(':').map(String::from).collect();
        let broken = if field == 0 {
            format!("{}{bad}{}", &head[..5], &text[7..])
        } else {
            parts[field - 1] = if bad == "32" { "61".into() } else { bad.to_string() };
            format!("{head}{} GMT", parts.join(":"))
        };
        prop_assert_eq!(crate::model::parse_http_date(&broken), None, "{}", broken);
        let _ = parse_retry_after(&broken, instant(secs));
    }

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
