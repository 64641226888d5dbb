//! The Telegram side of NeuroCards: everything a user sees in the chat.
//!
//! [`BotApp::handle`] takes one update to completion — records the contact, moves the
//! chat's flow ([`state::State`], stored so a restart continues it), answers — and never
//! waits on a generation: confirming a video charges and queues it in one store call and
//! the worker does the rest. Updates arrive by [`polling::run`] or by the HTTP server's
//! webhook route ([`BotApp::handle_json`]).
//!
//! Layout: [`router`] routes, [`flows`] hold one module per flow, [`texts`] every sentence
//! in Russian and English, [`keyboards`] and [`actions`] the buttons and their data.

pub mod actions;
pub mod admin;
mod app;
pub mod dialogue_storage;
pub mod flood;
mod flows;
pub mod keyboards;
pub mod outbox;
pub mod photo;
pub mod polling;
mod router;
pub mod state;
pub mod texts;
mod turn;

pub use app::{BotApp, BotError, BotSettings};
pub use outbox::Pacing;
