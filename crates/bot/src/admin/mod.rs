//! The operator's side of the chat, for the ids in `ADMIN_IDS` only (anyone else gets the
//! ordinary "unknown command" answer): the dashboard with charts, credit grants, user
//! look-ups and broadcasts. Operators read English.

mod broadcast;
mod dashboard;
mod grant;

pub use broadcast::run_broadcasts;

use crate::app::BotError;
use crate::turn::Turn;
use teloxide::types::{Message, MessageId};

/// What an admin button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    /// Redraw the dashboard.
    Refresh,
    /// Send the charts.
    Charts,
    /// Start broadcasting the message with this id (in the admin's chat).
    BroadcastGo(i32),
    /// Drop the broadcast draft.
    BroadcastDiscard,
    /// Stop the running broadcast.
    BroadcastStop,
}

impl AdminAction {
    /// Parses the part after `adm:`.
    pub fn parse(data: &str) -> Option<AdminAction> {
        Some(match data {
            "refresh" => AdminAction::Refresh,
            "charts" => AdminAction::Charts,
            "bc:discard" => AdminAction::BroadcastDiscard,
            "bc:stop" => AdminAction::BroadcastStop,
            other => AdminAction::BroadcastGo(other.strip_prefix("bc:go:")?.parse().ok()?),
        })
    }

    /// The part after `adm:`.
    pub fn data(self) -> String {
        match self {
            AdminAction::Refresh => "refresh".to_owned(),
            AdminAction::Charts => "charts".to_owned(),
            AdminAction::BroadcastGo(message) => format!("bc:go:{message}"),
            AdminAction::BroadcastDiscard => "bc:discard".to_owned(),
            AdminAction::BroadcastStop => "bc:stop".to_owned(),
        }
    }
}

/// True when the user of this turn may use the admin commands.
pub(crate) fn is_admin(turn: &Turn<'_>) -> bool {
    turn.app.settings.admin_ids.contains(&turn.user.id.0)
}

/// An admin command; `false` when it is not one (or the user is no admin).
pub(crate) async fn command(
    turn: &Turn<'_>,
    message: &Message,
    name: &str,
    args: &str,
) -> Result<bool, BotError> {
    if !is_admin(turn) {
        return Ok(false);
    }
    match name {
        "admin" => dashboard::show(turn).await?,
        "grant" => grant::grant(turn, message.id, args).await?,
        "user" => grant::show_user(turn, args).await?,
        "broadcast" => broadcast::begin(turn).await?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// An admin button; ignored (with a notice) for anyone else.
pub(crate) async fn action(
    turn: &Turn<'_>,
    action: AdminAction,
    message: MessageId,
) -> Result<Option<&'static str>, BotError> {
    if !is_admin(turn) {
        return Ok(Some(turn.t.stale_button));
    }
    match action {
        AdminAction::Refresh => dashboard::refresh(turn, message).await,
        AdminAction::Charts => dashboard::charts(turn).await,
        AdminAction::BroadcastGo(draft) => broadcast::start(turn, message, draft).await,
        AdminAction::BroadcastDiscard => broadcast::discard(turn, message).await,
        AdminAction::BroadcastStop => broadcast::stop(turn, message).await,
    }
}

/// The message an admin sent to be broadcast.
pub(crate) async fn broadcast_draft(turn: &Turn<'_>, message: &Message) -> Result<(), BotError> {
    broadcast::preview(turn, message).await
}
