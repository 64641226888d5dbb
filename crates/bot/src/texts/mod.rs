//! Every text a user reads in the chat, one file per language. Handlers pick a [`Texts`]
//! with [`texts`] and fill its `{placeholders}` with [`fill`]; no handler holds a sentence.

mod en;
mod ru;

use neurocards_core::{JobKind, JobState, Language};

/// The chat's texts in one language. `{name}` marks a value filled in by [`fill`].
pub struct Texts {
    /// To a new user: `{name}`, `{credits}`.
    pub welcome_new: &'static str,
    /// To a returning user on /start: `{name}`.
    pub welcome_back: &'static str,
    /// The main menu: `{balance}`.
    pub menu: &'static str,
    /// /help: `{short}`, `{long}` (prices), `{support}`.
    pub help: &'static str,
    /// Where to turn when no support contact is configured.
    pub support_default: &'static str,
    /// The buy screen: `{balance}`, `{short}`, `{long}`, `{support}`.
    pub buy: &'static str,

    /// Button: a neurocard.
    pub button_neurocard: &'static str,
    /// Button: a Reels clip.
    pub button_reels: &'static str,
    /// Button: the cabinet.
    pub button_cabinet: &'static str,
    /// Button: buy credits.
    pub button_buy: &'static str,
    /// Button: help.
    pub button_help: &'static str,
    /// Button: back to the menu.
    pub button_menu: &'static str,
    /// Button: leave the flow.
    pub button_cancel: &'static str,
    /// Button: Reels without a photo.
    pub button_skip_photo: &'static str,
    /// Button: pay and start: `{cost}`.
    pub button_confirm: &'static str,
    /// Button: a duration: `{seconds}`, `{cost}`.
    pub button_duration: &'static str,
    /// Button: re-send a finished video: `{number}`, `{kind}`.
    pub button_resend: &'static str,
    /// Button: older history.
    pub button_older: &'static str,
    /// Button: newer history.
    pub button_newer: &'static str,
    /// Button under a video: another neurocard.
    pub button_again_neurocard: &'static str,
    /// Button under a video: another Reels clip.
    pub button_again_reels: &'static str,
    /// Button: switch to the other language.
    pub button_language: &'static str,

    /// Asks for the neurocard's photo.
    pub ask_photo: &'static str,
    /// Asks for the neurocard's text.
    pub ask_neurocard_text: &'static str,
    /// Asks for the Reels idea.
    pub ask_reels_idea: &'static str,
    /// Asks for the optional first-frame photo.
    pub ask_reels_photo: &'static str,

    /// A file that is not JPEG, PNG or WebP.
    pub photo_wrong_type: &'static str,
    /// A GIF, animated PNG or animated WebP.
    pub photo_animated: &'static str,
    /// Over 20 MB.
    pub photo_too_big: &'static str,
    /// Under 300 px on a side: `{width}`, `{height}`.
    pub photo_too_small: &'static str,
    /// A file we could not read as an image.
    pub photo_unreadable: &'static str,
    /// Something else than a photo where a photo is asked.
    pub expected_photo: &'static str,
    /// Something else than text where text is asked.
    pub expected_text: &'static str,
    /// An empty text.
    pub text_empty: &'static str,
    /// A text over 1000 characters: `{count}`.
    pub text_too_long: &'static str,

    /// The confirmation: `{kind}`, `{prompt}`, `{photo}`, `{seconds}`, `{cost}`, `{balance}`.
    pub confirm: &'static str,
    /// "with a photo" in the confirmation.
    pub with_photo: &'static str,
    /// "text only" in the confirmation.
    pub without_photo: &'static str,
    /// Not enough credits: `{cost}`, `{balance}`.
    pub not_enough_credits: &'static str,
    /// The progress message right after paying: `{kind}`, `{position}`, `{minutes}`.
    pub queued: &'static str,

    /// The cabinet: `{name}`, `{balance}`, `{done}`, `{active}`, `{failed}`, `{referrals}`,
    /// `{link}`, `{history}`.
    pub cabinet: &'static str,
    /// One history line: `{number}`, `{kind}`, `{state}`, `{date}`, `{prompt}`.
    pub history_line: &'static str,
    /// No generations yet.
    pub history_empty: &'static str,
    /// A finished video the user asked for again was not found.
    pub resend_missing: &'static str,
    /// Said after switching language.
    pub language_switched: &'static str,

    /// /cancel in a flow: `{what}`.
    pub cancelled: &'static str,
    /// /cancel outside any flow.
    pub nothing_to_cancel: &'static str,
    /// Neurocard flow name, for /cancel.
    pub flow_neurocard: &'static str,
    /// Reels flow name, for /cancel.
    pub flow_reels: &'static str,
    /// An unknown command.
    pub unknown_command: &'static str,
    /// Text or media outside any flow.
    pub outside_flow: &'static str,
    /// A photo outside any flow.
    pub photo_outside_flow: &'static str,
    /// A button of an old message.
    pub stale_button: &'static str,
    /// Too many updates in a short time.
    pub flood: &'static str,
    /// An operator added credits: `{credits}`, `{balance}`.
    pub credits_granted: &'static str,
    /// An operator took credits away: `{credits}`, `{balance}`.
    pub credits_corrected: &'static str,
    /// Something broke on our side.
    pub internal_error: &'static str,

    /// Kind names.
    pub kind_neurocard: &'static str,
    /// Kind names.
    pub kind_reels: &'static str,
    /// Job state names.
    pub state_queued: &'static str,
    /// Job state names.
    pub state_running: &'static str,
    /// Job state names.
    pub state_done: &'static str,
    /// Job state names.
    pub state_failed: &'static str,

    /// The command menu Telegram shows: (command, description).
    pub commands: &'static [(&'static str, &'static str)],
}

impl Texts {
    /// The name of a kind.
    pub fn kind(&self, kind: JobKind) -> &'static str {
        match kind {
            JobKind::Neurocard => self.kind_neurocard,
            JobKind::Reels => self.kind_reels,
        }
    }

    /// The name of a state.
    pub fn state(&self, state: JobState) -> &'static str {
        match state {
            JobState::Queued => self.state_queued,
            JobState::Running => self.state_running,
            JobState::Done => self.state_done,
            JobState::Failed => self.state_failed,
        }
    }
}

/// The texts of a language.
pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::Ru => &ru::TEXTS,
        Language::En => &en::TEXTS,
    }
}

/// Replaces each `{name}` of `template` by its value, in one pass: a value that itself
/// holds `{...}` (a user's prompt, say) is left as it is.
pub fn fill(template: &str, values: &[(&str, &(dyn std::fmt::Display + Sync))]) -> String {
    let mut text = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, value) = values.iter().find(|(n, _)| *n == name)?;
            Some((value, close))
        });
        match value {
            Some((value, close)) => {
                text.push_str(&value.to_string());
                rest = &after[close + 1..];
            }
            None => {
                text.push('{');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_every_placeholder() {
        assert_eq!(
            fill("{a} and {b}, {a}", &[("a", &1), ("b", &"two")]),
            "1 and two, 1"
        );
        assert_eq!(fill("{x} {unknown} {", &[("x", &"{x}")]), "{x} {unknown} {");
        assert_eq!(
            fill(
                "{prompt}: {cost}",
                &[("prompt", &"pay {cost}"), ("cost", &2)]
            ),
            "pay {cost}: 2"
        );
    }

    #[test]
    fn both_languages_fill_the_same_placeholders() {
        let pairs = |t: &Texts| {
            [
                t.welcome_new,
                t.menu,
                t.help,
                t.buy,
                t.confirm,
                t.not_enough_credits,
                t.queued,
                t.cabinet,
                t.history_line,
                t.text_too_long,
                t.photo_too_small,
                t.button_duration,
                t.button_resend,
                t.cancelled,
            ]
            .map(placeholders)
        };
        assert_eq!(pairs(&ru::TEXTS), pairs(&en::TEXTS));
        assert_eq!(ru::TEXTS.commands.len(), en::TEXTS.commands.len());
    }

    fn placeholders(text: &str) -> Vec<String> {
        let mut names: Vec<String> = text
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}
