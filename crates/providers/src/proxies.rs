//! Outbound proxy rotation: one HTTP client per proxy, round-robin over the ones not
//! cooling down. A proxy that refuses the connection or answers 403/407 rests for
//! `PROXY_COOLDOWN` (in Redis when shared, so every worker avoids it). No proxies → direct.

use neurocards_core::config::Proxy;
use neurocards_ephemeral::Ephemeral;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How long connecting may take before the route counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One way out: a client (through a proxy, or direct) and its label for logs.
#[derive(Clone, Debug)]
pub struct Route {
    /// `host:port` of the proxy, or `direct`.
    pub label: String,
    /// The client that goes this way.
    pub client: reqwest::Client,
    via_proxy: bool,
}

impl Route {
    /// True when this route goes through a proxy.
    pub fn via_proxy(&self) -> bool {
        self.via_proxy
    }
}

/// Why the pool could not be built.
#[derive(Debug, thiserror::Error)]
#[error("proxy {label}: cannot build an HTTP client")]
pub struct ProxyPoolError {
    /// The proxy at fault.
    pub label: String,
    /// Why.
    #[source]
    pub source: reqwest::Error,
}

/// The routes outbound provider calls take. Cheap to clone.
#[derive(Clone)]
pub struct ProxyPool {
    inner: Arc<Inner>,
}

struct Inner {
    routes: Vec<Route>,
    next: AtomicUsize,
    state: Ephemeral,
    cooldown: Duration,
}

fn cool_key(label: &str) -> String {
    format!("proxy-cool:{label}")
}

impl ProxyPool {
    /// A client per proxy (or one direct client when `proxies` is empty).
    pub fn new(
        proxies: &[Proxy],
        cooldown: Duration,
        state: Ephemeral,
    ) -> Result<ProxyPool, ProxyPoolError> {
        let routes = if proxies.is_empty() {
            let client = base_client().build().map_err(|source| ProxyPoolError {
                label: "direct".into(),
                source,
            })?;
            vec![Route {
                label: "direct".into(),
                client,
                via_proxy: false,
            }]
        } else {
            proxies
                .iter()
                .map(|proxy| {
                    let label = proxy.label();
                    let client = reqwest::Proxy::all(proxy.url())
                        .and_then(|p| base_client().proxy(p).build())
                        .map_err(|source| ProxyPoolError {
                            label: label.clone(),
                            source: source.without_url(),
                        })?;
                    Ok(Route {
                        label,
                        client,
                        via_proxy: true,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(ProxyPool {
            inner: Arc::new(Inner {
                routes,
                next: AtomicUsize::new(0),
                state,
                cooldown,
            }),
        })
    }

    /// Direct connections only (tests, or no proxies configured).
    pub fn direct() -> ProxyPool {
        // Building a plain client only fails when TLS cannot initialise: a broken build.
        Self::new(&[], Duration::from_secs(1), Ephemeral::local())
            .unwrap_or_else(|e| panic!("cannot build an HTTP client: {e}"))
    }

    /// How many routes there are.
    pub fn len(&self) -> usize {
        self.inner.routes.len()
    }

    /// Always false: there is at least the direct route.
    pub fn is_empty(&self) -> bool {
        self.inner.routes.is_empty()
    }

    /// The next route not cooling down; when all are, the one that comes back first.
    pub async fn pick(&self) -> Route {
        let routes = &self.inner.routes;
        if routes.len() == 1 {
            return routes[0].clone();
        }
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let mut soonest: Option<(Duration, usize)> = None;
        for offset in 0..routes.len() {
            let index = (start + offset) % routes.len();
            match self.cooling(&routes[index]).await {
                None => return routes[index].clone(),
                Some(left) => {
                    if soonest.is_none_or(|(best, _)| left < best) {
                        soonest = Some((left, index));
                    }
                }
            }
        }
        let index = soonest.map(|(_, index)| index).unwrap_or(0);
        routes[index].clone()
    }

    /// Rests a route that failed (a direct route never rests: there is no other way out).
    pub async fn fail(&self, route: &Route) {
        if !route.via_proxy {
            return;
        }
        tracing::warn!(proxy = %route.label, cooldown_s = self.inner.cooldown.as_secs(), "proxy failed; cooling down");
        if let Err(error) = self
            .inner
            .state
            .cool_down(&cool_key(&route.label), self.inner.cooldown)
            .await
        {
            tracing::warn!(%error, "cannot record a proxy cool-down");
        }
    }

    /// Labels of the routes cooling down now.
    pub async fn cooling_labels(&self) -> Vec<String> {
        let mut labels = Vec::new();
        for route in &self.inner.routes {
            if self.cooling(route).await.is_some() {
                labels.push(route.label.clone());
            }
        }
        labels
    }

    /// Sends a request, built afresh for each route tried, moving on from proxies that fail
    /// (refused connection, 403, 407). Returns the answer and the route that gave it.
    pub async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(reqwest::Response, Route), (reqwest::Error, Route)> {
        let tries = self.len().max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let route = self.pick().await;
            let last = attempt >= tries;
            match build(&route.client).send().await {
                Ok(response)
                    if route.via_proxy
                        && matches!(response.status().as_u16(), 403 | 407)
                        && !last =>
                {
                    self.fail(&route).await;
                }
                Ok(response) => {
                    if route.via_proxy && matches!(response.status().as_u16(), 403 | 407) {
                        self.fail(&route).await;
                    }
                    return Ok((response, route));
                }
                Err(error) if route.via_proxy && error.is_connect() => {
                    self.fail(&route).await;
                    if last {
                        return Err((error.without_url(), route));
                    }
                }
                Err(error) => return Err((error.without_url(), route)),
            }
        }
    }

    async fn cooling(&self, route: &Route) -> Option<Duration> {
        if !route.via_proxy {
            return None;
        }
        match self.inner.state.cooling(&cool_key(&route.label)).await {
            Ok(left) => left,
            Err(error) => {
                tracing::warn!(%error, "cannot read a proxy cool-down; using the proxy");
                None
            }
        }
    }
}

fn base_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(60))
}
