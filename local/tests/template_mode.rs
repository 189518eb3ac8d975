//! Template mode end to end: the API of `tests/fixtures/template/template.yaml` served
//! with its Node and Python handlers in worker processes, reached by real WebSocket
//! clients over `ws://` and `wss://` (trusting the CA the gateway generated).

use apigw_management_local::{LocalGateway, Running, Template};
use futures_util::{SinkExt, StreamExt};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(20);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/template")
}

async fn gateway() -> Running {
    let t = Template::load(&fixture().join("template.yaml"), &[], None, "eu-west-1").unwrap();
    LocalGateway::builder()
        .template(t)
        .verify(false)
        .start()
        .await
        .unwrap()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(g: &Running, query: &str) -> Result<Ws, u16> {
    let url = format!("{}?{query}", g.ws_url());
    match tokio_tungstenite::connect_async(url).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("handshake failed: {e}"),
    }
}

async fn next_text<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message")
        {
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("no message: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorizer_decides_the_handshake_and_its_context_reaches_later_events() {
    let g = gateway().await;
    assert_eq!(connect(&g, "token=bad").await.err(), Some(403), "Deny");
    assert_eq!(
        connect(&g, "token=nobody").await.err(),
        Some(401),
        "Unauthorized"
    );
    assert_eq!(
        connect(&g, "other=1").await.err(),
        Some(401),
        "no identity source"
    );
    assert_eq!(g.connection_count(), 0);
    let mut ws = connect(&g, "token=good").await.expect("allowed");
    ws.send(Message::text(r#"{"action":"echo","n":1}"#))
        .await
        .unwrap();
    let seen: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(seen["routeKey"], "echo");
    assert_eq!(seen["eventType"], "MESSAGE");
    assert_eq!(seen["authorizer"]["principalId"], "user-good");
    assert_eq!(seen["authorizer"]["team"], "blue");
    assert_eq!(seen["stageVariables"]["color"], "blue");
    assert_eq!(seen["body"], r#"{"action":"echo","n":1}"#);
    assert_eq!(seen["isBase64Encoded"], false);
    assert_eq!(seen["functionName"], "EchoFunction");
    assert_eq!(seen["lambdaName"], "EchoFunction");
    assert_eq!(seen["greeting"], "hello", "Globals and Parameters");
    assert_eq!(seen["table"], "unused", "Ref to a resource not emulated");
    assert_eq!(seen["region"], "eu-west-1");
    let remaining = seen["remaining"].as_u64().unwrap();
    assert!(remaining > 0 && remaining <= 5000, "{remaining}");
    assert_eq!(seen["messageId"].as_str().map(str::len), Some(16));
    assert_eq!(seen["requestId"].as_str().map(str::len), Some(36));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_route_handlers_reach_both_endpoint_forms_over_tls() {
    let g = gateway().await;
    let mut ws = connect(&g, "token=good").await.unwrap();
    ws.send(Message::text("plain text")).await.unwrap();
    let mut got = vec![next_text(&mut ws).await, next_text(&mut ws).await];
    got.sort();
    assert_eq!(got, ["api:plain text", "domain:plain text"]);
    ws.send(Message::text(r#"{"action":"pypost"}"#))
        .await
        .unwrap();
    let mut got = vec![next_text(&mut ws).await, next_text(&mut ws).await];
    got.sort();
    assert_eq!(got, ["py-api", "py-domain"], "from Python");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_and_timeouts_answer_internal_server_error_and_the_gateway_goes_on() {
    let g = gateway().await;
    let mut ws = connect(&g, "token=good").await.unwrap();
    let id = g.connection_ids().pop().unwrap();
    for action in ["crash", "slow", "crash"] {
        ws.send(Message::text(format!(r#"{{"action":"{action}"}}"#)))
            .await
            .unwrap();
        let frame: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
        assert_eq!(frame["message"], "Internal server error", "{action}");
        assert_eq!(frame["connectionId"], id.as_str());
        assert!(frame["requestId"].is_string());
    }
    ws.send(Message::text(r#"{"action":"echo"}"#))
        .await
        .unwrap();
    let seen: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(seen["routeKey"], "echo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_clients_connect_with_the_printed_ca() {
    let g = gateway().await;
    let ca = g.ca_file().expect("a CA in template mode");
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(g.addr()).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("the gateway's certificate is trusted through its CA");
    let url = format!("{}?token=good", g.wss_url().unwrap());
    let request = url.into_client_request().unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(request, tls).await.unwrap();
    ws.send(Message::text(r#"{"action":"echo"}"#))
        .await
        .unwrap();
    let seen: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(seen["routeKey"], "echo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_handler_file_is_picked_up_on_the_next_event() {
    let dir = std::env::temp_dir().join(format!("apigw-template-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let handler = dir.join("app.py");
    let write = |text: &str| {
        let body = format!("def handler(event, context):\n    return {{'body': '{text}'}}\n");
        std::fs::write(&handler, body).unwrap();
    };
    write("first");
    let template = "Resources:
  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}}
  Route: {Type: AWS::ApiGatewayV2::Route, Properties: {RouteKey: say, Target: integrations/Integ}}
  Reply: {Type: AWS::ApiGatewayV2::RouteResponse, Properties: {RouteId: !Ref Route, RouteResponseKey: $default}}
  Integ: {Type: AWS::ApiGatewayV2::Integration, Properties: {IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn}}
  Fn: {Type: AWS::Serverless::Function, Properties: {CodeUri: ., Handler: app.handler, Runtime: python3.12}}
";
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    let t = Template::load(&dir.join("template.yaml"), &[], None, "us-east-1").unwrap();
    let g = LocalGateway::builder().template(t).start().await.unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(g.ws_url()).await.unwrap();
    ws.send(Message::text(r#"{"action":"say"}"#)).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "first");
    write("second");
    ws.send(Message::text(r#"{"action":"say"}"#)).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "second");
    // No route matches and there is no $default: the service's Forbidden frame.
    ws.send(Message::text(r#"{"action":"other"}"#))
        .await
        .unwrap();
    let frame: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(frame["message"], "Forbidden");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_connect_handler_refuses_the_handshake_and_the_gateway_goes_on() {
    let dir = std::env::temp_dir().join(format!("apigw-template-connect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let handler = "def handler(event, context):\n    if event['queryStringParameters']['who'] == 'crash':\n        raise ValueError('no')\n    return {'statusCode': 200}\n";
    std::fs::write(dir.join("app.py"), handler).unwrap();
    let template = "Resources:
  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}}
  Route: {Type: AWS::ApiGatewayV2::Route, Properties: {RouteKey: $connect, Target: integrations/Integ}}
  Integ: {Type: AWS::ApiGatewayV2::Integration, Properties: {IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn}}
  Fn: {Type: AWS::Serverless::Function, Properties: {CodeUri: ., Handler: app.handler, Runtime: python3.12}}
";
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    let t = Template::load(&dir.join("template.yaml"), &[], None, "us-east-1").unwrap();
    let g = LocalGateway::builder().template(t).start().await.unwrap();
    assert_eq!(connect(&g, "who=crash").await.err(), Some(500));
    assert_eq!(g.connection_count(), 0);
    let _ws = connect(&g, "who=ok")
        .await
        .expect("the next handshake is served");
    assert_eq!(g.connection_count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_templates_get_one_line_errors() {
    let dir = fixture();
    let load = |text: &str| Template::from_str(text, &dir, &[], None, "us-east-1").unwrap_err();
    let api = "  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.a}}\n";
    let cases = [
        ("Resources: [", "not YAML or JSON"),
        ("Resources: {}", "expected one AWS::ApiGatewayV2::Api"),
        (
            &format!(
                "Resources:\n{api}  R: {{Type: AWS::ApiGatewayV2::Route, Properties: {{RouteKey: x, Target: integrations/I}}}}\n  I: {{Type: AWS::ApiGatewayV2::Integration, Properties: {{IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt F.Arn}}}}\n  F: {{Type: AWS::Serverless::Function, Properties: {{CodeUri: node/, Handler: missing.handler, Runtime: nodejs20.x}}}}\n"
            ),
            "function F: handler file",
        ),
        (
            &format!(
                "Resources:\n{api}  R: {{Type: AWS::ApiGatewayV2::Route, Properties: {{RouteKey: x, Target: integrations/I}}}}\n  I: {{Type: AWS::ApiGatewayV2::Integration, Properties: {{IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt F.Arn}}}}\n  F: {{Type: AWS::Serverless::Function, Properties: {{CodeUri: node/, Handler: crash.handler, Runtime: go1.x}}}}\n"
            ),
            "function F: Runtime go1.x is not supported",
        ),
        (
            &format!(
                "Resources:\n{api}  R: {{Type: AWS::ApiGatewayV2::Route, Properties: {{RouteKey: !Ref Nope, Target: integrations/I}}}}\n"
            ),
            "resource R: Ref to Nope",
        ),
        (
            "Parameters: {P: {Type: String}}\nResources: {}",
            "parameter P has no Default",
        ),
    ];
    for (text, expected) in cases {
        let e = load(text);
        assert!(e.contains(expected), "{e:?} should say {expected:?}");
        assert!(!e.contains('\n'), "one line: {e:?}");
    }
}

#[test]
fn the_fixture_reads_as_an_api() {
    let t = Template::load(
        &fixture().join("template.yaml"),
        &[("Greeting".into(), "hi".into())],
        None,
        "eu-west-1",
    )
    .unwrap();
    assert_eq!(t.stage, "test");
    assert_eq!(t.route_selection, "$request.body.action");
    let keys: Vec<&str> = t.routes.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["$connect", "$default", "crash", "echo", "pypost", "slow"]
    );
    assert!(t.routes["echo"].responds);
    assert!(!t.routes["crash"].responds);
    let auth = t.routes["$connect"].authorizer.as_ref().unwrap();
    assert_eq!(auth.function, "AuthFunction");
    assert_eq!(auth.identity_sources, ["route.request.querystring.token"]);
    assert_eq!(t.functions["EchoFunction"].environment["GREETING"], "hi");
    assert_eq!(t.functions["SlowFunction"].timeout, Duration::from_secs(1));
    assert_eq!(t.functions["EchoFunction"].timeout, Duration::from_secs(5));
    assert_eq!(t.not_emulated, ["Table (AWS::DynamoDB::Table)"]);
}
