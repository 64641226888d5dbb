//! The callback data of every inline button the bot sends, parsed into [`Action`]s. The
//! names DESIGN.md fixes come from `neurocards_core::callbacks`; anything that does not
//! parse is answered and ignored.

use crate::admin::AdminAction;
use neurocards_core::callbacks::{
    AGAIN_NEUROCARD, AGAIN_REELS, BACK_TO_MENU, GENERATE_NEUROCARD, GENERATE_REELS,
};
use neurocards_core::{JobKind, Language, VideoDuration};
use neurocards_store::JobId;

/// What a button press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Start a flow (`generate_*` from the menu, `again:*` under a video).
    Generate(JobKind),
    /// The main menu.
    Menu,
    /// The cabinet: `None` opens it as a new message, `Some(page)` turns its history to a
    /// page of ten (0 = newest) in place.
    Cabinet(Option<u32>),
    /// Prices and how to top up.
    Buy,
    /// Help.
    Help,
    /// Reels without a first-frame photo.
    SkipPhoto,
    /// Pick a length in the confirmation.
    Duration(VideoDuration),
    /// Pay and queue the draft.
    Confirm,
    /// Leave the flow.
    Cancel,
    /// Send a finished video again, by its file id.
    Resend(JobId),
    /// Switch the texts' language.
    Language(Language),
    /// An operator's button (admins only).
    Admin(AdminAction),
}

const CABINET: &str = "cabinet";
const BUY: &str = "buy";
const HELP: &str = "help";
const SKIP_PHOTO: &str = "skip_photo";
const CONFIRM: &str = "confirm";
const CANCEL: &str = "cancel";

impl Action {
    /// Parses callback data; `None` for anything we never sent.
    pub fn parse(data: &str) -> Option<Action> {
        let action = match data {
            GENERATE_NEUROCARD | AGAIN_NEUROCARD => Action::Generate(JobKind::Neurocard),
            GENERATE_REELS | AGAIN_REELS => Action::Generate(JobKind::Reels),
            BACK_TO_MENU => Action::Menu,
            CABINET => Action::Cabinet(None),
            BUY => Action::Buy,
            HELP => Action::Help,
            SKIP_PHOTO => Action::SkipPhoto,
            CONFIRM => Action::Confirm,
            CANCEL => Action::Cancel,
            _ => {
                let (name, value) = data.split_once(':')?;
                match name {
                    "cabinet" => Action::Cabinet(Some(value.parse().ok()?)),
                    "duration" => {
                        Action::Duration(VideoDuration::from_seconds(value.parse().ok()?)?)
                    }
                    "resend" => Action::Resend(JobId(value.parse().ok()?)),
                    "lang" => Action::Language(value.parse().ok()?),
                    "adm" => Action::Admin(AdminAction::parse(value)?),
                    _ => return None,
                }
            }
        };
        Some(action)
    }

    /// The callback data of this action (at most 64 bytes, as Telegram requires).
    pub fn data(self) -> String {
        match self {
            Action::Generate(JobKind::Neurocard) => GENERATE_NEUROCARD.to_owned(),
            Action::Generate(JobKind::Reels) => GENERATE_REELS.to_owned(),
            Action::Menu => BACK_TO_MENU.to_owned(),
            Action::Cabinet(None) => CABINET.to_owned(),
            Action::Cabinet(Some(page)) => format!("cabinet:{page}"),
            Action::Buy => BUY.to_owned(),
            Action::Help => HELP.to_owned(),
            Action::SkipPhoto => SKIP_PHOTO.to_owned(),
            Action::Duration(duration) => format!("duration:{}", duration.seconds()),
            Action::Confirm => CONFIRM.to_owned(),
            Action::Cancel => CANCEL.to_owned(),
            Action::Resend(job) => format!("resend:{job}"),
            Action::Language(language) => format!("lang:{}", language.as_str()),
            Action::Admin(action) => format!("adm:{}", action.data()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips() {
        let actions = [
            Action::Generate(JobKind::Neurocard),
            Action::Generate(JobKind::Reels),
            Action::Menu,
            Action::Cabinet(None),
            Action::Cabinet(Some(0)),
            Action::Cabinet(Some(3)),
            Action::Buy,
            Action::Help,
            Action::SkipPhoto,
            Action::Duration(VideoDuration::S10),
            Action::Confirm,
            Action::Cancel,
            Action::Resend(JobId(42)),
            Action::Language(Language::En),
            Action::Admin(AdminAction::Refresh),
            Action::Admin(AdminAction::Charts),
            Action::Admin(AdminAction::BroadcastGo(77)),
            Action::Admin(AdminAction::BroadcastDiscard),
            Action::Admin(AdminAction::BroadcastStop),
        ];
        for action in actions {
            assert_eq!(Action::parse(&action.data()), Some(action), "{action:?}");
        }
    }

    #[test]
    fn design_names_and_garbage() {
        assert_eq!(
            Action::parse("again:reels"),
            Some(Action::Generate(JobKind::Reels))
        );
        assert_eq!(Action::parse("back_to_menu"), Some(Action::Menu));
        for junk in ["", "x", "duration:7", "resend:abc", "lang:de", "cabinet:-1"] {
            assert_eq!(Action::parse(junk), None, "{junk}");
        }
    }
}
