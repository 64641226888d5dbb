//! `/broadcast`: the admin sends the message, sees it as users will (a copy) with the
//! number of recipients, and confirms; the broadcast then runs in the background
//! ([`run_broadcasts`]), survives restarts through its progress in the store, and can be
//! stopped. One at a time.

use crate::actions::Action;
use crate::admin::AdminAction;
use crate::app::{BotApp, BotError};
use crate::keyboards;
use crate::state::State;
use crate::turn::Turn;
use neurocards_admin::broadcast::{BroadcastOutcome, BroadcastRunner, DEFAULT_RATE_PER_SECOND};
use neurocards_store::{BroadcastProgress, BroadcastStart};
use std::time::Duration;
use teloxide::types::{InlineKeyboardMarkup, Message, MessageId};
use tokio_util::sync::CancellationToken;

/// How often a runner looks for a broadcast started by another replica.
const LOOK_EVERY: Duration = Duration::from_secs(30);

fn stop_button() -> InlineKeyboardMarkup {
    keyboards::rows(vec![vec![(
        "⏹ Stop".to_owned(),
        Action::Admin(AdminAction::BroadcastStop),
    )]])
}

fn progress_line(progress: &BroadcastProgress) -> String {
    format!(
        "sent {}, blocked {}, failed {}, waiting {} (of {})",
        progress.sent,
        progress.blocked,
        progress.failed,
        progress.pending,
        progress.total()
    )
}

/// Asks for the message, or shows the running broadcast.
pub(super) async fn begin(turn: &Turn<'_>) -> Result<(), BotError> {
    let store = &turn.app.store;
    if let Some(running) = store.running_broadcast().await? {
        let progress = store.broadcast_progress(running.id).await?;
        let text = format!(
            "📣 Broadcast #{} is running: {}.",
            running.id,
            progress_line(&progress)
        );
        turn.say(text, Some(stop_button())).await?;
        return Ok(());
    }
    turn.set_state(State::BroadcastDraft).await?;
    turn.say(
        "📣 Send the message to broadcast: text, a photo or a video with a caption. /cancel to leave.",
        None,
    )
    .await?;
    Ok(())
}

/// Shows the draft as users will see it, with the audience and the buttons.
pub(super) async fn preview(turn: &Turn<'_>, message: &Message) -> Result<(), BotError> {
    turn.set_state(State::Idle).await?;
    let audience = turn.app.store.broadcast_audience().await?;
    if let Err(error) = turn
        .app
        .tg
        .copy_message(turn.chat, turn.chat, message.id)
        .await
    {
        turn.blocked_or(error).await?;
    }
    let markup = keyboards::rows(vec![
        vec![(
            format!("✅ Send to {audience} users"),
            Action::Admin(AdminAction::BroadcastGo(message.id.0)),
        )],
        vec![(
            "✖️ Discard".to_owned(),
            Action::Admin(AdminAction::BroadcastDiscard),
        )],
    ]);
    turn.say(
        format!(
            "⬆️ This is the broadcast. It goes to {audience} users who have not blocked the bot."
        ),
        Some(markup),
    )
    .await?;
    Ok(())
}

/// Starts the broadcast of the draft and wakes the runner.
pub(super) async fn start(
    turn: &Turn<'_>,
    message: MessageId,
    draft: i32,
) -> Result<Option<&'static str>, BotError> {
    let started = turn
        .app
        .store
        .start_broadcast(turn.user.id.0, turn.chat.0, i64::from(draft))
        .await?;
    match started {
        BroadcastStart::Started(broadcast, recipients) => {
            turn.app.broadcasts.notify_one();
            let text = format!(
                "📣 Broadcast #{} started to {recipients} users. I will report when it ends.",
                broadcast.id
            );
            turn.edit(message, text, Some(stop_button())).await?;
            Ok(None)
        }
        BroadcastStart::AlreadyRunning(_) => Ok(Some("A broadcast is already running")),
        BroadcastStart::Repeated(_) => Ok(Some("This message was broadcast already")),
    }
}

/// Drops the draft.
pub(super) async fn discard(
    turn: &Turn<'_>,
    message: MessageId,
) -> Result<Option<&'static str>, BotError> {
    turn.edit(message, "✖️ Broadcast discarded.", None).await?;
    Ok(None)
}

/// Stops the running broadcast; what was sent stays sent.
pub(super) async fn stop(
    turn: &Turn<'_>,
    message: MessageId,
) -> Result<Option<&'static str>, BotError> {
    let store = &turn.app.store;
    let Some(running) = store.running_broadcast().await? else {
        return Ok(Some("No broadcast is running"));
    };
    store.end_broadcast(running.id, "cancelled").await?;
    let progress = store.broadcast_progress(running.id).await?;
    let text = format!(
        "⏹ Broadcast #{} stopped: {}.",
        running.id,
        progress_line(&progress)
    );
    turn.edit(message, text, None).await?;
    Ok(None)
}

/// Runs broadcasts in the background until `shutdown`: the one left running by a previous
/// process first, then each one an admin starts (here or on another replica).
pub async fn run_broadcasts(app: BotApp, shutdown: CancellationToken) {
    let inner = &app.inner;
    let runner = BroadcastRunner::new(
        inner.store.clone(),
        inner.raw.clone(),
        DEFAULT_RATE_PER_SECOND,
    );
    loop {
        match runner.run(&shutdown).await {
            Ok(BroadcastOutcome::Interrupted) => return,
            Ok(outcome) => tracing::debug!(?outcome, "broadcast runner idle"),
            Err(error) => tracing::warn!(%error, "broadcast interrupted; retrying"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = inner.broadcasts.notified() => {}
            () = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}
