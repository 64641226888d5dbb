//! The nouns of the product: users, generation kinds and states, prompts, languages.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A Telegram user id (also the private chat id with that user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a generation produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// A photo animated into an educational video card (image-to-video).
    Neurocard,
    /// A vertical 9:16 clip from a text idea, optionally from a first-frame photo.
    Reels,
}

impl JobKind {
    /// Both kinds, in menu order.
    pub const ALL: [JobKind; 2] = [JobKind::Neurocard, JobKind::Reels];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Neurocard => "neurocard",
            JobKind::Reels => "reels",
        }
    }

    /// The aspect ratio the video is made in.
    pub fn aspect_ratio(self) -> &'static str {
        match self {
            JobKind::Neurocard => "16:9",
            JobKind::Reels => "9:16",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the known values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{value}'")]
pub struct UnknownName {
    what: &'static str,
    value: String,
}

impl FromStr for JobKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "neurocard" => Ok(JobKind::Neurocard),
            "reels" => Ok(JobKind::Reels),
            _ => Err(UnknownName {
                what: "job kind",
                value: s.to_owned(),
            }),
        }
    }
}

/// Where a generation job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Paid for, waiting for a worker.
    Queued,
    /// Held by a worker under a lease.
    Running,
    /// Delivered to the user.
    Done,
    /// Ended without a video; refunded.
    Failed,
}

impl JobState {
    /// Every state, in life order.
    pub const ALL: [JobState; 4] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// True once the job can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "job state",
                value: s.to_owned(),
            })
    }
}

/// The language of the texts a user reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Russian, the default audience.
    #[default]
    Ru,
    /// English.
    En,
}

impl Language {
    /// The stored name and Telegram language code.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Ru => "ru",
            Language::En => "en",
        }
    }

    /// The language for a Telegram `language_code` ("en-US", "ru", "uk" ...), if we speak it.
    pub fn from_telegram_code(code: &str) -> Option<Language> {
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "ru" | "uk" | "be" | "kk" => Some(Language::Ru),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

impl FromStr for Language {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ru" => Ok(Language::Ru),
            "en" => Ok(Language::En),
            _ => Err(UnknownName {
                what: "language",
                value: s.to_owned(),
            }),
        }
    }
}

/// The longest user text a generation accepts.
pub const PROMPT_MAX_CHARS: usize = 1000;

/// A user's text for a generation: trimmed, 1 to 1000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt(String);

/// Why a text is not a usable prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    /// Nothing but white space.
    #[error("the text is empty")]
    Empty,
    /// Longer than [`PROMPT_MAX_CHARS`].
    #[error("the text has {0} characters, more than 1000")]
    TooLong(usize),
}

impl Prompt {
    /// Parses a user's text.
    pub fn parse(text: &str) -> Result<Prompt, PromptError> {
        let trimmed = text.trim();
        let chars = trimmed.chars().count();
        if chars == 0 {
            Err(PromptError::Empty)
        } else if chars > PROMPT_MAX_CHARS {
            Err(PromptError::TooLong(chars))
        } else {
            Ok(Prompt(trimmed.to_owned()))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_bounds() {
        assert_eq!(Prompt::parse("  \n "), Err(PromptError::Empty));
        assert_eq!(Prompt::parse(" cat ").map(|p| p.0), Ok("cat".to_owned()));
        let long = "я".repeat(1001);
        assert_eq!(Prompt::parse(&long), Err(PromptError::TooLong(1001)));
        assert!(Prompt::parse(&"я".repeat(1000)).is_ok());
    }

    #[test]
    fn names_round_trip() {
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(kind));
        }
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        }
        assert!("paused".parse::<JobState>().is_err());
    }

    #[test]
    fn telegram_language_codes() {
        assert_eq!(Language::from_telegram_code("en-US"), Some(Language::En));
        assert_eq!(Language::from_telegram_code("ru"), Some(Language::Ru));
        assert_eq!(Language::from_telegram_code("de"), None);
    }
}
