//! Where each chat is in a flow. The state is stored (as JSON, through
//! [`crate::dialogue_storage`]) after every step, so a restart or another bot replica picks
//! the conversation up where it was.

use neurocards_core::{JobKind, Prompt, VideoDuration};
use serde::{Deserialize, Serialize};

/// A chat's place in the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum State {
    /// In the menu, no flow open.
    #[default]
    Idle,
    /// Neurocard: waiting for the photo.
    NeurocardPhoto,
    /// Neurocard: photo received, waiting for the text.
    NeurocardText {
        /// Telegram file id of the photo.
        photo: String,
    },
    /// Reels: waiting for the idea.
    ReelsIdea,
    /// Reels: idea received, waiting for a first-frame photo or "skip".
    ReelsPhoto {
        /// The user's idea.
        idea: Prompt,
    },
    /// Everything gathered; the confirmation message is shown.
    Confirm(Draft),
    /// An admin's next message is the broadcast to preview.
    BroadcastDraft,
}

impl State {
    /// The flow this state belongs to, if any.
    pub fn flow(&self) -> Option<JobKind> {
        match self {
            State::Idle | State::BroadcastDraft => None,
            State::NeurocardPhoto | State::NeurocardText { .. } => Some(JobKind::Neurocard),
            State::ReelsIdea | State::ReelsPhoto { .. } => Some(JobKind::Reels),
            State::Confirm(draft) => Some(draft.kind),
        }
    }
}

/// A generation the user is about to pay for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// What to make.
    pub kind: JobKind,
    /// The user's text.
    pub prompt: Prompt,
    /// Telegram file id of the photo, if any.
    pub photo: Option<String>,
    /// The chosen length.
    pub duration: VideoDuration,
    /// The confirmation message now showing this draft: only its buttons act on it.
    #[serde(default)]
    pub confirmation: Option<i32>,
}
