//! The narrow interface of a video generation service, so a second provider (the official
//! Kling API) can stand beside KIE later.

use crate::error::ProviderError;
use bytes::Bytes;
use neurocards_core::JobKind;

/// One video to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoRequest {
    /// Neurocard (image-to-video) or Reels (text- or image-to-video).
    pub kind: JobKind,
    /// The prompt for the video model.
    pub prompt: String,
    /// The first frame, as a URL the provider can fetch (never a Telegram file URL).
    pub image_url: Option<String>,
    /// Length in seconds (5 or 10).
    pub duration_s: u32,
    /// `16:9` or `9:16`.
    pub aspect_ratio: String,
    /// Where the provider reports completion, when we have a public URL.
    pub callback_url: Option<String>,
}

/// A task the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// What to store and later ask about.
    pub task: TaskRef,
}

/// Enough to ask about a task again, even from another process after a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRef {
    /// The provider's task id.
    pub task_id: String,
    /// Which account (key fingerprint) owns the task; status is asked with that key.
    pub account: Option<String>,
}

impl TaskRef {
    /// The provider column of the job row: `kie` or `kie:<key fingerprint>`.
    pub fn provider_tag(&self, provider: &str) -> String {
        match &self.account {
            Some(account) => format!("{provider}:{account}"),
            None => provider.to_owned(),
        }
    }

    /// Rebuilds a reference from the stored provider column and task id.
    pub fn from_stored(provider_tag: Option<&str>, task_id: &str) -> TaskRef {
        let account = provider_tag
            .and_then(|tag| tag.split_once(':'))
            .map(|(_, account)| account.to_owned())
            .filter(|account| !account.is_empty());
        TaskRef {
            task_id: task_id.to_owned(),
            account,
        }
    }
}

/// Where a task is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskStatus {
    /// Waiting, queuing or generating.
    Pending {
        /// The provider's state name.
        state: String,
    },
    /// Done; the video is at these URLs (the first is used).
    Succeeded {
        /// Result URLs.
        urls: Vec<String>,
    },
    /// The provider gave up on the task.
    Failed {
        /// What failed, classified (always terminal).
        error: ProviderError,
    },
}

/// A video generation service.
#[async_trait::async_trait]
pub trait VideoProvider: Send + Sync {
    /// The short name stored with each job (`kie`).
    fn name(&self) -> &'static str;

    /// Uploads an input photo; returns a URL the provider can read.
    async fn upload_input(
        &self,
        bytes: Bytes,
        file_name: &str,
        mime: &str,
    ) -> Result<String, ProviderError>;

    /// Creates the generation task (this is what costs money).
    async fn submit(&self, request: &VideoRequest) -> Result<Submitted, ProviderError>;

    /// Asks where a task is.
    async fn status(&self, task: &TaskRef) -> Result<TaskStatus, ProviderError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_refs_round_trip_through_the_provider_column() {
        let task = TaskRef {
            task_id: "t1".into(),
            account: Some("ab12".into()),
        };
        let tag = task.provider_tag("kie");
        assert_eq!(tag, "kie:ab12");
        assert_eq!(TaskRef::from_stored(Some(&tag), "t1"), task);
        assert_eq!(TaskRef::from_stored(Some("kie"), "t1").account, None);
        assert_eq!(TaskRef::from_stored(None, "t1").account, None);
    }
}
