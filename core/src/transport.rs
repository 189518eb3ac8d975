//! HTTP/1.1 to the one endpoint of a client, on `hyper-util`'s pooled client:
//! keep-alive, TCP_NODELAY, rustls (aws-lc-rs) with the system's roots, and an HTTP(S)
//! proxy from the options or the environment. A request goes out exactly as signed.

use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind};
use bytes::Bytes;
use http::header::{HOST, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client as Pool;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;

/// The largest response body read (GetConnection and error bodies are a few hundred bytes).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the transport needs from the client's options.
pub(crate) struct Options<'a> {
    pub endpoint: &'a Endpoint,
    pub proxy: Option<&'a str>,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub user_agent: &'a str,
    pub danger_accept_invalid_certs: bool,
}

/// A response: status, headers and the whole (small) body.
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A failed exchange, and whether the request may have reached the server.
pub(crate) struct Failure {
    pub error: Error,
    pub written: bool,
}

/// The connection pool of one client for its endpoint.
pub(crate) struct Http {
    pool: PoolKind,
    scheme: Scheme,
    authority: Authority,
    host: HeaderValue,
    user_agent: HeaderValue,
    /// `Proxy-Authorization` for requests forwarded in absolute form.
    proxy_auth: Option<HeaderValue>,
    timeout: Duration,
    endpoint: String,
}

enum PoolKind {
    Plain(Pool<Timed<Connector>, Tracked>),
    Tls(Pool<Timed<hyper_rustls::HttpsConnector<Connector>>, Tracked>),
}

impl Http {
    /// Builds the pool; reads the system's root certificates for an `https` endpoint.
    pub fn new(o: &Options<'_>) -> Result<Http, Error> {
        let e = o.endpoint;
        let endpoint = e.url();
        let https = e.scheme == "https";
        let authority: Authority = e.authority.parse().map_err(|err| {
            Error::config(format!("invalid endpoint host {:?}", e.authority)).with_source(err)
        })?;
        let dst: Uri = format!("{}://{}/", e.scheme, e.authority)
            .parse()
            .map_err(|err| {
                Error::config(format!("invalid endpoint {endpoint:?}")).with_source(err)
            })?;
        let matcher = match o.proxy {
            Some(url) => proxy_matcher(url)?,
            None => Matcher::from_env(),
        };
        let route = match matcher.intercept(&dst) {
            None => Route::Direct,
            Some(i) if https => Route::Tunnel {
                proxy: i.uri().clone(),
                auth: i.basic_auth().cloned(),
            },
            Some(i) => Route::Forward {
                proxy: i.uri().clone(),
            },
        };
        let proxy_auth = match (&route, matcher.intercept(&dst)) {
            (Route::Forward { .. }, Some(i)) => i.basic_auth().cloned(),
            _ => None,
        };
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(o.connect_timeout));
        let connector = Connector {
            tcp,
            route: Arc::new(route),
        };
        let mut builder = Pool::builder(TokioExecutor::new());
        builder
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new());
        let pool = if https {
            let tls = tls_config(o.danger_accept_invalid_certs)?;
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_only()
                .enable_http1()
                .wrap_connector(connector);
            PoolKind::Tls(builder.build(Timed::new(https, o.connect_timeout)))
        } else {
            PoolKind::Plain(builder.build(Timed::new(connector, o.connect_timeout)))
        };
        Ok(Http {
            pool,
            scheme: if https { Scheme::HTTPS } else { Scheme::HTTP },
            host: HeaderValue::from_str(&e.authority)
                .map_err(|err| Error::config("invalid endpoint host").with_source(err))?,
            authority,
            user_agent: HeaderValue::from_str(o.user_agent)
                .map_err(|err| Error::config("invalid user agent").with_source(err))?,
            proxy_auth,
            timeout: o.timeout,
            endpoint,
        })
    }

    /// Sends one request with the signed headers, within the per-attempt timeout.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        signed: Vec<(&'static str, String)>,
        body: Bytes,
    ) -> Result<Response, Failure> {
        let uri = Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(
                PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(path.as_bytes())).map_err(
                    |e| Failure {
                        error: Error::invalid_input("the connection id makes an invalid path")
                            .with_source(e),
                        written: false,
                    },
                )?,
            )
            .build()
            .map_err(|e| Failure {
                error: Error::invalid_input("invalid request URI").with_source(e),
                written: false,
            })?;
        // An empty body is never polled: such a request counts as written once sent.
        let sent = Arc::new(AtomicBool::new(body.is_empty()));
        let mut req = Request::new(Tracked {
            inner: Full::new(body),
            sent: sent.clone(),
        });
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        let h = req.headers_mut();
        h.insert(HOST, self.host.clone());
        h.insert(USER_AGENT, self.user_agent.clone());
        if let Some(auth) = &self.proxy_auth {
            h.insert(http::header::PROXY_AUTHORIZATION, auth.clone());
        }
        for (name, value) in signed {
            let value = HeaderValue::try_from(value).map_err(|e| Failure {
                error: Error::invalid_input("a signed header is not valid").with_source(e),
                written: false,
            })?;
            h.insert(HeaderName::from_static(name), value);
        }
        let exchange = async {
            let resp = match &self.pool {
                PoolKind::Plain(p) => p.request(req).await,
                PoolKind::Tls(p) => p.request(req).await,
            }
            .map_err(|e| self.request_failure(e, sent.load(Ordering::Acquire)))?;
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| self.body_failure(e))?
                .to_bytes();
            Ok(Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(r) => r,
            // Before the body was sent, nothing of the request reached the endpoint.
            Err(_) => Err(Failure {
                error: Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "no complete response from {} within {:?}",
                        self.endpoint, self.timeout
                    ),
                ),
                written: sent.load(Ordering::Acquire),
            }),
        }
    }

    fn request_failure(&self, e: hyper_util::client::legacy::Error, sent: bool) -> Failure {
        let chain = chain_text(&e);
        let endpoint = &self.endpoint;
        // A connection closed during the TLS handshake sent nothing: safe to retry.
        let cut = find_source::<std::io::Error>(&e).is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
            )
        });
        if e.is_connect() {
            let error = if !cut
                && ["certificate", "tls", "handshake", "unknownissuer"]
                    .iter()
                    .any(|w| chain.contains(w))
            {
                Error::new(
                    ErrorKind::Tls,
                    format!(
                        "TLS with {endpoint} failed (the certificate is not trusted, or the handshake failed)"
                    ),
                )
            } else if chain.contains("timed out")
                || chain.contains("timeout")
                || find_source::<std::io::Error>(&e)
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            {
                Error::new(
                    ErrorKind::Timeout,
                    format!("could not connect to {endpoint} in time"),
                )
            } else {
                Error::new(
                    ErrorKind::Connect,
                    format!("could not connect to {endpoint}"),
                )
            };
            return Failure {
                error: error.with_source(e),
                written: false,
            };
        }
        let hyper = find_source::<hyper::Error>(&e);
        if hyper.is_some_and(|h| h.is_parse() || h.is_parse_status()) {
            return Failure {
                error: Error::new(
                    ErrorKind::Protocol,
                    format!("{endpoint} answered with a malformed HTTP response"),
                )
                .with_source(e),
                written: true,
            };
        }
        Failure {
            error: Error::new(
                ErrorKind::Connect,
                format!("the connection to {endpoint} closed before a complete response"),
            )
            .with_source(e),
            written: sent,
        }
    }

    fn body_failure(&self, e: BoxError) -> Failure {
        let error = if e.is::<http_body_util::LengthLimitError>() {
            Error::new(
                ErrorKind::Protocol,
                format!("the response body is larger than {MAX_RESPONSE_BYTES} bytes"),
            )
        } else {
            Error::new(
                ErrorKind::Connect,
                format!(
                    "the connection to {} broke while reading the response",
                    self.endpoint
                ),
            )
        };
        Failure {
            error: error.with_source(e),
            written: true,
        }
    }
}

fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = String::new();
    let mut cur = Some(e);
    while let Some(c) = cur {
        s.push_str(&c.to_string().to_ascii_lowercase());
        s.push(' ');
        cur = c.source();
    }
    s
}

fn find_source<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let Some(t) = c.downcast_ref::<T>() {
            return Some(t);
        }
        cur = c.source();
    }
    None
}

/// Checks a proxy URL; `NO_PROXY` from the environment still applies.
pub(crate) fn proxy_matcher(url: &str) -> Result<Matcher, Error> {
    let shown = crate::endpoint::redact_userinfo(url);
    let parsed: Uri = url
        .parse()
        .map_err(|e| Error::config(format!("invalid proxy URL {shown:?}")).with_source(e))?;
    if !matches!(parsed.scheme_str(), Some("http" | "https")) || parsed.host().is_none() {
        return Err(Error::config(format!(
            "invalid proxy URL {shown:?}: expected http://host:port"
        )));
    }
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .unwrap_or_default();
    Ok(Matcher::builder().all(url.to_string()).no(no_proxy).build())
}

/// A request body that records when the connection starts sending it: until then, the
/// request has not been written.
struct Tracked {
    inner: Full<Bytes>,
    sent: Arc<AtomicBool>,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        self.sent.store(true, Ordering::Release);
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Bounds a connector's whole connect (DNS, TCP, a proxy's tunnel, TLS) by
/// `connect_timeout`.
#[derive(Clone)]
struct Timed<C> {
    inner: C,
    timeout: Duration,
}

impl<C> Timed<C> {
    fn new(inner: C, timeout: Duration) -> Self {
        Timed { inner, timeout }
    }
}

impl<C> tower_service::Service<Uri> for Timed<C>
where
    C: tower_service::Service<Uri, Error = BoxError>,
    C::Future: Send + 'static,
    C::Response: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connect = self.inner.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, connect).await {
                Ok(r) => r,
                Err(_) => Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connect timed out",
                )) as BoxError),
            }
        })
    }
}

/// How connections reach the endpoint.
enum Route {
    Direct,
    /// `CONNECT` through a proxy, then TLS end to end.
    Tunnel {
        proxy: Uri,
        auth: Option<HeaderValue>,
    },
    /// Plain HTTP through a proxy: requests in absolute form.
    Forward {
        proxy: Uri,
    },
}

/// TCP to the endpoint, or to or through its proxy.
#[derive(Clone)]
struct Connector {
    tcp: HttpConnector,
    route: Arc<Route>,
}

impl tower_service::Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut tcp = self.tcp.clone();
        let route = self.route.clone();
        Box::pin(async move {
            match &*route {
                Route::Direct => Ok(Stream {
                    io: tcp.call(dst).await?,
                    forwarded: false,
                }),
                Route::Forward { proxy } => Ok(Stream {
                    io: tcp.call(proxy.clone()).await?,
                    forwarded: true,
                }),
                Route::Tunnel { proxy, auth } => {
                    let mut tunnel =
                        hyper_util::client::legacy::connect::proxy::Tunnel::new(proxy.clone(), tcp);
                    if let Some(a) = auth {
                        tunnel = tunnel.with_auth(a.clone());
                    }
                    Ok(Stream {
                        io: tunnel.call(dst).await?,
                        forwarded: false,
                    })
                }
            }
        })
    }
}

/// A TCP stream that tells the pool whether requests go in absolute form.
struct Stream {
    io: TokioIo<TcpStream>,
    forwarded: bool,
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forwarded)
    }
}

impl hyper::rt::Read for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

/// rustls with aws-lc-rs and the system's root certificates; or, only when asked
/// explicitly, a verifier that accepts any certificate.
fn tls_config(danger_accept_invalid_certs: bool) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Tls, "cannot set up TLS").with_source(e))?;
    let config = if danger_accept_invalid_certs {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(Error::new(
                ErrorKind::Tls,
                "no trusted root certificates found on this system (SSL_CERT_FILE / SSL_CERT_DIR)",
            ));
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(config)
}

/// Accepts every certificate: `danger_accept_invalid_certs(true)` only.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
