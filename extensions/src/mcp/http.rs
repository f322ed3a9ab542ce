//! Streamable HTTP on loopback: rmcp's service behind a bearer-token check, on hyper.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::{ServeError, server::Handler, token};

/// The path clients post to (Playwright MCP and most servers use `/mcp`).
const PATH: &str = "/mcp";

fn plain(status: StatusCode, text: &'static str) -> Response<BoxBody<Bytes, Infallible>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())).boxed());
    *response.status_mut() = status;
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

pub(super) async fn serve(
    handler: Handler,
    address: SocketAddr,
    token: String,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Bind { address, source })?;
    let port = listener
        .local_addr()
        .map(|bound| bound.port())
        .unwrap_or(address.port());
    // A page in a browser may post to loopback (DNS rebinding, or plain cross-site requests):
    // the Host must be this machine's, and an Origin, when a browser sends one, a loopback one.
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts([
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ])
        .with_allowed_origins([
            "http://localhost:*".to_owned(),
            "http://127.0.0.1:*".to_owned(),
            "http://[::1]:*".to_owned(),
        ])
        .enforce_origin_validation();
    let service = StreamableHttpService::new(
        move || Ok(handler.for_new_session()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let token: Arc<str> = token.into();
    tracing::info!(%address, "MCP server listening");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                continue;
            }
        };
        let (service, token) = (service.clone(), token.clone());
        tokio::spawn(async move {
            let answer = hyper::service::service_fn(move |request: Request<Incoming>| {
                let (service, token) = (service.clone(), token.clone());
                async move {
                    if request.uri().path() != PATH {
                        return Ok::<_, Infallible>(plain(
                            StatusCode::NOT_FOUND,
                            "not found: the MCP endpoint is /mcp\n",
                        ));
                    }
                    let authorization = request
                        .headers()
                        .get(header::AUTHORIZATION)
                        .map(|value| value.as_bytes());
                    if !token::authorizes(authorization, &token) {
                        return Ok(plain(
                            StatusCode::UNAUTHORIZED,
                            "a bearer token is required: the one kept in clef/mcp-token in the data folder\n",
                        ));
                    }
                    Ok(service.handle(request).await)
                }
            });
            if let Err(error) = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), answer)
                .await
            {
                tracing::debug!(%error, "MCP connection ended");
            }
        });
    }
}
