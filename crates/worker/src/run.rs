//! The worker loop: claim while there is room (`WORKER_CONCURRENCY`), run each job as a
//! task, and in the background renew leases, write the heartbeat and sweep stuck jobs.
//! On shutdown it stops claiming, lets every job reach a recorded point and release its
//! lease, then returns.

use crate::WorkerError;
use crate::context::Ctx;
use crate::job;
use crate::texts::FailureReason;
use neurocards_core::metrics::HealthLabels;
use neurocards_providers::KeyHealth;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub(crate) async fn run(
    ctx: Arc<Ctx>,
    concurrency: usize,
    shutdown: CancellationToken,
) -> Result<(), WorkerError> {
    let mut waiter = ctx.store.job_waiter().await?;
    if let Err(error) = ctx.storage.prepare().await {
        tracing::warn!(%error, "cannot create the storage folders");
    }
    let maintenance_stop = CancellationToken::new();
    let maintenance = tokio::spawn(maintain(ctx.clone(), maintenance_stop.clone()));
    let room = Arc::new(Semaphore::new(concurrency));
    let mut jobs = JoinSet::new();
    tracing::info!(owner = %ctx.options.owner, concurrency, "worker started");
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = room.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        while jobs.try_join_next().is_some() {}
        match ctx.store.claim(&ctx.options.owner, ctx.options.lease).await {
            Ok(Some(claimed)) => {
                let (ctx, shutdown) = (ctx.clone(), shutdown.clone());
                jobs.spawn(async move {
                    job::run(ctx, claimed, shutdown).await;
                    drop(permit);
                });
            }
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = waiter.wait(ctx.options.idle_poll) => {}
                }
            }
            Err(error) => {
                drop(permit);
                tracing::warn!(%error, "cannot claim; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    tracing::info!(in_flight = jobs.len(), "worker stopping; draining jobs");
    while jobs.join_next().await.is_some() {}
    maintenance_stop.cancel();
    let _ = maintenance.await;
    if let Err(error) = ctx.store.heartbeat(&ctx.options.owner, 0).await {
        tracing::debug!(%error, "last heartbeat failed");
    }
    tracing::info!("worker stopped");
    Ok(())
}

/// Lease renewal and heartbeat every `renew_every`; the sweeper every `sweep_every`.
async fn maintain(ctx: Arc<Ctx>, stop: CancellationToken) {
    let options = &ctx.options;
    let mut renew = tokio::time::interval(options.renew_every);
    let mut sweep = tokio::time::interval(options.sweep_every);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = renew.tick() => {
                ctx.leases.renew_all(&ctx.store, &options.owner, options.lease).await;
                update_health(&ctx).await;
                let in_flight = i64::try_from(ctx.leases.count()).unwrap_or(i64::MAX);
                if let Err(error) = ctx.store.heartbeat(&options.owner, in_flight).await {
                    tracing::warn!(%error, "heartbeat failed");
                }
            }
            _ = sweep.tick() => sweep_once(&ctx).await,
        }
    }
}

/// Sets the key and proxy health gauges from the shared rotation state.
async fn update_health(ctx: &Ctx) {
    let Some((keys, routes)) = &ctx.health else {
        return;
    };
    let mut counts = std::collections::BTreeMap::from([
        ("healthy", 0),
        ("cooling", 0),
        ("parked", 0),
        ("suspect", 0),
    ]);
    for (_, health) in keys.health().await {
        let name = match health {
            KeyHealth::Healthy => "healthy",
            KeyHealth::Cooling => "cooling",
            KeyHealth::Parked => "parked",
            KeyHealth::Suspect => "suspect",
        };
        *counts.entry(name).or_default() += 1;
    }
    for (health, count) in counts {
        ctx.metrics
            .provider_keys
            .get_or_create(&HealthLabels {
                health: health.to_owned(),
            })
            .set(count);
    }
    // Without proxies the pool holds one direct route, which is no proxy.
    let cooling = i64::try_from(routes.cooling_labels().await.len()).unwrap_or(0);
    let total = if ctx.proxies_configured {
        i64::try_from(routes.len()).unwrap_or(0)
    } else {
        0
    };
    for (health, count) in [("healthy", total - cooling), ("cooling", cooling)] {
        ctx.metrics
            .proxies
            .get_or_create(&HealthLabels {
                health: health.to_owned(),
            })
            .set(count);
    }
}

/// Fails (and refunds) stuck jobs and tells their users.
pub(crate) async fn sweep_once(ctx: &Ctx) {
    let failed = match ctx.store.sweep(ctx.worker_timeout).await {
        Ok(failed) => failed,
        Err(error) => {
            tracing::warn!(%error, "sweep failed");
            return;
        }
    };
    for stuck in failed {
        tracing::warn!(job = %stuck.id, "swept: failed and refunded");
        let language = job::language(ctx, &stuck).await;
        let reason = if stuck.attempts >= stuck.max_attempts {
            FailureReason::Internal
        } else {
            FailureReason::Timeout
        };
        job::tell_failure(ctx, &stuck, reason, language).await;
    }
}
