//! Domain types and configuration shared by every NeuroCards part.
//!
//! Values are parsed at the edge (environment, Telegram updates) into types that cannot
//! hold invalid data, so the rest of the code can trust them.

pub mod callbacks;
pub mod clock;
pub mod config;
pub mod domain;
pub mod metrics;
pub mod pricing;
pub mod secret;

pub use clock::{Clock, ManualClock, SystemClock};
pub use domain::{JobKind, JobState, Language, Prompt, PromptError, UserId};
pub use pricing::{Duration as VideoDuration, PriceTable};
pub use secret::Secret;
