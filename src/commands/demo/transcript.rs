//! The demo's printout: what the user did and everything the bot sent, with timings.

use neurocards_testkit::telegram::{MediaSource, Sent};
use neurocards_testkit::{FakeTelegram, media};
use std::time::Instant;

/// Prints a chat as it grows.
pub struct Transcript<'a> {
    telegram: &'a FakeTelegram,
    chat: i64,
    printed: usize,
    started: Instant,
}

impl<'a> Transcript<'a> {
    pub fn new(telegram: &'a FakeTelegram, chat: i64, started: Instant) -> Self {
        Self {
            telegram,
            chat,
            printed: 0,
            started,
        }
    }

    fn stamp(&self) -> String {
        format!("[{:6.2} s]", self.started.elapsed().as_secs_f64())
    }

    /// What the user did.
    pub fn user(&self, action: &str) {
        println!("{} 👤 user: {action}", self.stamp());
    }

    /// Prints the bot's entries not printed yet.
    pub fn catch_up(&mut self) {
        let sent = self.telegram.sent(self.chat);
        for entry in sent.iter().skip(self.printed) {
            println!("{} 🤖 bot:  {}", self.stamp(), self.describe(entry));
        }
        self.printed = sent.len();
    }

    fn describe(&self, entry: &Sent) -> String {
        let mut line = match entry.method.as_str() {
            "sendMessage" => String::new(),
            "editMessageText" => format!("(edits message #{}) ", entry.message_id),
            other => format!("({other}) "),
        };
        if let Some(media) = &entry.media {
            let how = match &media.source {
                MediaSource::Upload { .. } => "uploaded".to_owned(),
                MediaSource::Url(_) => "by URL".to_owned(),
                MediaSource::FileId(_) => "re-sent by file_id, no upload".to_owned(),
            };
            let facts = self
                .telegram
                .file_bytes(&media.file_id)
                .map(|bytes| match media::mp4_info(&bytes) {
                    Some(info) => format!(
                        "{} KB, {}×{}, {:.1} s",
                        bytes.len() / 1024,
                        info.width,
                        info.height,
                        info.duration_secs
                    ),
                    None => format!("{} KB", bytes.len() / 1024),
                })
                .unwrap_or_default();
            line += &format!("🎬 {:?} [{facts}, {how}] ", media.kind);
        }
        line += &entry.text().replace('\n', "\n                    ");
        let buttons: Vec<String> = entry
            .buttons
            .iter()
            .flatten()
            .map(|b| format!("[{}]", b.text))
            .collect();
        if !buttons.is_empty() {
            line += &format!("\n                    {}", buttons.join(" "));
        }
        line
    }
}
