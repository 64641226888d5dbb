//! The inline keyboards, built from [`Action`]s so every button's data parses back.

use crate::actions::Action;
use crate::state::Draft;
use crate::texts::{Texts, fill};
use neurocards_core::{JobKind, PriceTable, VideoDuration};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

fn button(label: impl Into<String>, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, action.data())
}

/// The main menu: both kinds, the cabinet, credits, help.
pub fn main_menu(t: &Texts) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([
        vec![
            button(t.button_neurocard, Action::Generate(JobKind::Neurocard)),
            button(t.button_reels, Action::Generate(JobKind::Reels)),
        ],
        vec![
            button(t.button_cabinet, Action::Cabinet(None)),
            button(t.button_buy, Action::Buy),
        ],
        vec![button(t.button_help, Action::Help)],
    ])
}

/// Only "back to the menu".
pub fn back_to_menu(t: &Texts) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[button(t.button_menu, Action::Menu)]])
}

/// Only "cancel", under a question of a flow.
pub fn cancel(t: &Texts) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[button(t.button_cancel, Action::Cancel)]])
}

/// Reels' first-frame question: skip or cancel.
pub fn reels_photo(t: &Texts) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([
        [button(t.button_skip_photo, Action::SkipPhoto)],
        [button(t.button_cancel, Action::Cancel)],
    ])
}

/// The confirmation: the lengths with their prices (the chosen one marked), pay, cancel.
pub fn confirm(t: &Texts, draft: &Draft, prices: &PriceTable) -> InlineKeyboardMarkup {
    let durations = VideoDuration::ALL.map(|duration| {
        let label = fill(
            t.button_duration,
            &[
                ("seconds", &duration.seconds()),
                ("cost", &prices.cost(draft.kind, duration)),
            ],
        );
        let label = if duration == draft.duration {
            format!("● {label}")
        } else {
            label
        };
        button(label, Action::Duration(duration))
    });
    let cost = prices.cost(draft.kind, draft.duration);
    InlineKeyboardMarkup::new([
        durations.to_vec(),
        vec![button(
            fill(t.button_confirm, &[("cost", &cost)]),
            Action::Confirm,
        )],
        vec![button(t.button_cancel, Action::Cancel)],
    ])
}

/// Not enough credits: how to get more, or back to the menu.
pub fn not_enough_credits(t: &Texts) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([
        [button(t.button_buy, Action::Buy)],
        [button(t.button_menu, Action::Menu)],
    ])
}

/// Under a video: the same kind again, or the menu.
pub fn after_video(t: &Texts, kind: JobKind) -> InlineKeyboardMarkup {
    let again = match kind {
        JobKind::Neurocard => t.button_again_neurocard,
        JobKind::Reels => t.button_again_reels,
    };
    InlineKeyboardMarkup::new([
        [InlineKeyboardButton::callback(
            again,
            neurocards_core::callbacks::again(kind),
        )],
        [button(t.button_menu, Action::Menu)],
    ])
}

/// Plain buttons, one row each, for screens built elsewhere (the cabinet).
pub fn rows(rows: Vec<Vec<(String, Action)>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.into_iter().map(|row| {
        row.into_iter()
            .map(|(label, action)| button(label, action))
            .collect::<Vec<_>>()
    }))
}
