//! Configuration from the environment, as a Lambda has it: credentials through the
//! default chain and the endpoint from `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`.
//! One test in this binary: it sets process-wide variables.

use apigw_management::{Client, ErrorKind};
use apigw_management_local::{Script, ScriptServer, ScriptedResponse, Verifier};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_credentials_region_and_endpoint() {
    let mut script = Script::default();
    script.responses.insert(
        "*".into(),
        vec![ScriptedResponse {
            status: 200,
            ..Default::default()
        }],
    );
    let srv = ScriptServer::start(script, Verifier::new("AKIDENV", "env-secret"))
        .await
        .unwrap();
    let empty_home = std::env::temp_dir().join(format!("apigw-env-test-{}", std::process::id()));
    std::fs::create_dir_all(&empty_home).unwrap();
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("HOME", &empty_home);
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        std::env::remove_var("AWS_SECRET_ACCESS_KEY");
        std::env::remove_var("AWS_SESSION_TOKEN");
        std::env::remove_var("AWS_REGION");
        std::env::remove_var("AWS_DEFAULT_REGION");
        std::env::remove_var("AWS_ENDPOINT_URL");
        std::env::remove_var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        std::env::remove_var("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        std::env::remove_var("AWS_WEB_IDENTITY_TOKEN_FILE");
        std::env::set_var("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", srv.endpoint());
    }

    // No endpoint anywhere but the variable; no region at all: a clear error at first use.
    let c = Client::builder().build().unwrap();
    assert_eq!(c.endpoint(), srv.endpoint());
    let e = c.post_to_connection("a=", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.message().contains("AWS_REGION"), "{e}");
    assert_eq!(e.attempts(), 0);

    // A region, but no credentials anywhere: a Credentials error naming the sources.
    unsafe { std::env::set_var("AWS_REGION", "us-east-1") };
    let c = Client::builder().build().unwrap();
    let e = c.post_to_connection("a=", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials, "{e}");
    assert_eq!((e.attempts(), e.status()), (0, None));
    for source in [
        "environment",
        "profile",
        "web identity",
        "container",
        "instance metadata",
    ] {
        assert!(e.message().contains(source), "{source} missing from {e}");
    }
    assert!(srv.requests().is_empty());

    // Credentials from the environment, through the default chain.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDENV");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "env-secret");
    }
    let c = Client::builder().build().unwrap();
    c.post_to_connection("a=", "from the environment")
        .await
        .unwrap();
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].signature_error, None);
    assert!(
        reqs[0]
            .header("authorization")
            .unwrap()
            .contains("AKIDENV/")
    );
    let _ = std::fs::remove_dir_all(&empty_home);
}
