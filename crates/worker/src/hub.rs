//! Wakes the task waiting on a job when the provider's callback arrives (the HTTP route
//! calls [`CallbackHub::notify`]). A callback that arrives before the task waits is kept
//! as a permit, so it is never lost; polling remains the fallback either way.

use neurocards_store::JobId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The jobs of this process that wait for a provider callback. Cheap to clone.
#[derive(Clone, Default)]
pub struct CallbackHub {
    waiting: Arc<Mutex<HashMap<JobId, Arc<Notify>>>>,
}

/// A job's place in the hub; leaving it (drop) unregisters the job.
pub(crate) struct Registration {
    hub: CallbackHub,
    job: JobId,
    notify: Arc<Notify>,
}

impl Registration {
    /// Resolves when the job's callback arrives (or arrived since registration).
    pub(crate) async fn notified(&self) {
        self.notify.notified().await;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.lock().remove(&self.job);
    }
}

impl CallbackHub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Arc<Notify>>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes the job's task; false when no task of this process holds the job.
    pub fn notify(&self, job: JobId) -> bool {
        match self.lock().get(&job) {
            Some(notify) => {
                notify.notify_one();
                true
            }
            None => false,
        }
    }

    /// The hub as the HTTP server's job waker (`neurocards_web::JobWaker`).
    pub fn job_waker(&self) -> Arc<dyn Fn(JobId) + Send + Sync> {
        let hub = self.clone();
        Arc::new(move |job| {
            hub.notify(job);
        })
    }

    pub(crate) fn register(&self, job: JobId) -> Registration {
        let notify = Arc::new(Notify::new());
        self.lock().insert(job, notify.clone());
        Registration {
            hub: self.clone(),
            job,
            notify,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_callback_before_the_wait_is_not_lost() {
        let hub = CallbackHub::default();
        assert!(!hub.notify(JobId(1)));
        let registration = hub.register(JobId(1));
        (hub.job_waker())(JobId(1));
        tokio::time::timeout(Duration::from_secs(1), registration.notified())
            .await
            .expect("woken");
        drop(registration);
        assert!(!hub.notify(JobId(1)));
    }
}
