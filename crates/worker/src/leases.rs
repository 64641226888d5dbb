//! The leases this worker holds, renewed together by one background loop (a job waiting
//! on the provider costs no task of its own for that). A lease that cannot be renewed was
//! lost: the job's token is cancelled and its task stops without touching the job again.

use neurocards_store::{JobId, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Held leases and the token that tells each job's task its lease is gone.
#[derive(Clone, Default)]
pub(crate) struct Leases {
    held: Arc<Mutex<HashMap<JobId, CancellationToken>>>,
}

/// Drops the job from the renewal loop when its task ends, however it ends.
pub(crate) struct Held {
    leases: Leases,
    job: JobId,
    /// Cancelled when the lease is lost.
    pub(crate) lost: CancellationToken,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.leases.lock().remove(&self.job);
    }
}

impl Leases {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, CancellationToken>> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts renewing the lease on `job`.
    pub(crate) fn hold(&self, job: JobId) -> Held {
        let lost = CancellationToken::new();
        self.lock().insert(job, lost.clone());
        Held {
            leases: self.clone(),
            job,
            lost,
        }
    }

    /// How many jobs this worker holds.
    pub(crate) fn count(&self) -> usize {
        self.lock().len()
    }

    /// Renews every held lease; cancels the jobs whose lease was lost.
    pub(crate) async fn renew_all(&self, store: &Store, owner: &str, lease: Duration) {
        let held: Vec<(JobId, CancellationToken)> = self
            .lock()
            .iter()
            .map(|(job, token)| (*job, token.clone()))
            .collect();
        for (job, lost) in held {
            match store.renew_lease(job, owner, lease).await {
                Ok(true) => {}
                Ok(false) => {
                    // Finished in the meantime, or taken by another worker after expiry.
                    if self.lock().remove(&job).is_some() {
                        tracing::warn!(job = %job, "lease lost; stopping the job here");
                        lost.cancel();
                    }
                }
                Err(error) => tracing::warn!(job = %job, %error, "cannot renew a lease"),
            }
        }
    }
}
