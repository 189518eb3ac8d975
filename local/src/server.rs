//! The listener: one port for WebSocket handshakes and the management API, HTTP/1.1
//! through hyper, each request routed to [`websocket`](crate::websocket) or
//! [`management`](crate::management).

use crate::answers::{self, Body};
use crate::events::Router;
use crate::faults::FaultSchedule;
use crate::registry::Connections;
use crate::verify::Verifier;
use crate::{management, websocket};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Limits applied to every connection.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    pub idle_timeout: Duration,
    pub max_duration: Duration,
    pub client_buffer_bytes: usize,
}

/// What every request of one gateway shares.
pub(crate) struct Shared {
    pub stage: Arc<str>,
    pub api_id: Arc<str>,
    pub domain_name: Arc<str>,
    pub verifier: Option<Verifier>,
    pub connections: Connections,
    pub faults: FaultSchedule,
    pub router: Router,
    pub limits: Limits,
    pub stop: watch::Receiver<bool>,
    /// TLS on the same port (template mode): a connection starting with a TLS
    /// handshake is served through it.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// A request answered by dropping its TCP connection (an injected fault, or a body that
/// could not be read).
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped")
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections until the gateway stops.
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut stop = shared.stop.clone();
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors, most likely: wait instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        match shared.tls.clone() {
            Some(tls) => {
                tokio::spawn(serve_tls_or_plain(stream, peer, shared.clone(), tls));
            }
            None => {
                tokio::spawn(serve(stream, peer, shared.clone()));
            }
        }
    }
}

/// Serves TLS when the client's first byte starts a TLS handshake (0x16), else HTTP.
async fn serve_tls_or_plain(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    tls: tokio_rustls::TlsAcceptor,
) {
    let mut first = [0u8; 1];
    let mut stop = shared.stop.clone();
    let peeked = tokio::select! {
        _ = stop.changed() => return,
        peeked = stream.peek(&mut first) => peeked,
    };
    if !matches!(peeked, Ok(1)) || first[0] != 0x16 {
        return serve(stream, peer, shared).await;
    }
    let accepted = tokio::select! {
        _ = stop.changed() => return,
        accepted = tls.accept(stream) => accepted,
    };
    match accepted {
        Ok(stream) => serve(stream, peer, shared).await,
        Err(e) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
    }
}

async fn serve<S>(stream: S, peer: SocketAddr, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut stop = shared.stop.clone();
    let service = {
        let shared = shared.clone();
        service_fn(move |req: Request<Incoming>| {
            let shared = shared.clone();
            async move { route(shared, req, peer).await }
        })
    };
    let conn = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::select! {
        _ = stop.changed() => {}
        _ = conn => {}
    }
}

async fn route(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, Dropped> {
    if websocket::is_upgrade(&req) {
        return Ok(websocket::handshake(shared, req, peer.ip().to_string()).await);
    }
    if websocket::is_stage_path(req.uri().path(), &shared.stage) {
        return Ok(answers::status_only(426));
    }
    management::handle(&shared, req).await
}
