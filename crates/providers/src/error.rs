//! The error every provider call returns: a class (what to do) and a detail (for the logs).

use crate::classify::ErrorClass;

/// A failed provider call. The detail never contains a key or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider}: {detail} ({})", class.as_str())]
pub struct ProviderError {
    /// Which service answered (`kie`, `openai`).
    pub provider: &'static str,
    /// What the caller should do.
    pub class: ErrorClass,
    /// What happened, for logs and the job's error message.
    pub detail: String,
}

impl ProviderError {
    /// A new error.
    pub fn new(provider: &'static str, class: ErrorClass, detail: impl Into<String>) -> Self {
        Self {
            provider,
            class,
            detail: detail.into(),
        }
    }
}
