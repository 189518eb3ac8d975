//! After `fork()`, a client used in the parent keeps working in the child: the child
//! builds its own runtime and connection pool instead of hanging on the parent's.
#![cfg(unix)]

use apigw_management::{Client, Credentials, runtime};
use apigw_management_local::{Script, ScriptServer, ScriptedResponse, Verifier};
use std::time::{Duration, Instant};

#[test]
fn client_works_in_a_forked_child() {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut script = Script::default();
    script.responses.insert(
        "*".into(),
        vec![ScriptedResponse {
            status: 200,
            ..Default::default()
        }],
    );
    let srv = server_rt
        .block_on(ScriptServer::start(
            script,
            Verifier::new("AKIDLOCAL", "local-secret"),
        ))
        .unwrap();
    let client = Client::builder()
        .endpoint(srv.endpoint())
        .region("us-east-1")
        .credentials(Credentials::new("AKIDLOCAL", "local-secret", None))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // The parent's runtime and pool exist (and hold a kept-alive connection) before the fork.
    runtime::block_on(client.post_to_connection("parent=", "before fork")).unwrap();

    // SAFETY: the child only uses the client and then leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = runtime::block_on(client.post_to_connection("child=", "from the child")).is_ok();
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut status = 0;
    loop {
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        if Instant::now() > deadline {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the child hung after fork");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status}"
    );
    // The parent still works too.
    runtime::block_on(client.post_to_connection("parent=", "after fork")).unwrap();
    let ids: Vec<_> = srv
        .requests()
        .into_iter()
        .filter_map(|r| r.connection_id)
        .collect();
    assert_eq!(ids, ["parent=", "child=", "parent="]);
}
