//! The HTTP runner shared by the fakes: an axum router on `127.0.0.1:0`, one task per
//! connection, and a way for a handler to drop its connection without answering (the
//! "connection reset" fault), which `axum::serve` cannot do.

use axum::Router;
use axum::response::Response;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower_service::Service;

/// A running server; dropping it stops accepting and closes open connections.
pub(crate) struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Server {
    /// Binds `127.0.0.1:0` and serves `router` until dropped.
    pub(crate) async fn start(router: Router) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (shutdown, rx) = watch::channel(false);
        tokio::spawn(accept_loop(listener, router, rx));
        Ok(Self { addr, shutdown })
    }

    /// `http://127.0.0.1:<port>` without a trailing slash.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A receiver that changes (or errors) when the server stops; background tasks watch it.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Put into every request's extensions: lets a handler close its connection unanswered.
#[derive(Clone, Default)]
pub(crate) struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    /// Closes the connection and never returns: the client sees a reset, not a response.
    pub(crate) async fn drop_connection(&self) -> Response {
        self.0.notify_one();
        std::future::pending().await
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "fake server: accept failed");
                    tokio::task::yield_now().await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let router = router.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let kill = ConnectionKill::default();
            let kill_for_requests = kill.clone();
            let service = hyper::service::service_fn(move |mut request| {
                request.extensions_mut().insert(kill_for_requests.clone());
                let mut router = router.clone();
                async move { router.call(request).await }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = kill.0.notified() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}
