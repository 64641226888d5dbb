//! The Telegram side of NeuroCards: everything a user sees in the chat.

pub mod dialogue_storage;
