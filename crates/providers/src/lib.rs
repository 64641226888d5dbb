//! The outside services that make videos and prompts, behind narrow interfaces.
//!
//! - [`VideoProvider`]: submit a generation, ask how it is going, upload an input photo;
//!   [`kie::KieClient`] implements it for KIE's Kling models.
//! - [`enhancer::PromptEnhancer`]: an OpenAI-compatible chat completion that turns a user's
//!   idea into a video prompt, with a template as the fallback.
//! - [`classify`]: the one place that decides what an HTTP status, a KIE envelope code or a
//!   transport error means (retry, rotate the key, give up and refund).
//! - [`keys::KeyRing`] and [`proxies::ProxyPool`]: rotation with cool-downs, in process or
//!   shared through Redis (via `neurocards-ephemeral`).

pub mod classify;
pub mod enhancer;
pub mod error;
pub mod keys;
pub mod kie;
pub mod proxies;
pub mod video;

pub use classify::ErrorClass;
pub use enhancer::{Enhanced, PromptEnhancer};
pub use error::ProviderError;
pub use keys::{KeyHealth, KeyRing};
pub use kie::KieClient;
pub use proxies::ProxyPool;
pub use video::{Submitted, TaskRef, TaskStatus, VideoProvider, VideoRequest};
