//! /start with the welcome, the main menu, /help, the credits screen, /cancel and unknown
//! commands.

use crate::app::BotError;
use crate::keyboards;
use crate::state::State;
use crate::texts::fill;
use crate::turn::Turn;
use neurocards_core::JobKind;
use teloxide::types::{FileId, InputFile};

/// `/start`: a new user is welcomed (with the welcome video when configured); everyone
/// leaves any open flow and sees the menu.
pub(crate) async fn start(turn: &Turn<'_>) -> Result<(), BotError> {
    turn.set_state(State::Idle).await?;
    let name = turn.user.full_name.clone();
    if !turn.is_new {
        let greeting = fill(turn.t.welcome_back, &[("name", &name)]);
        return turn.menu(Some(&greeting)).await;
    }
    let welcome = fill(
        turn.t.welcome_new,
        &[
            ("name", &name),
            ("credits", &turn.app.settings.free_credits),
        ],
    );
    if !send_welcome_video(turn, &welcome).await? {
        turn.say(welcome, None).await?;
    }
    turn.menu(None).await
}

/// The welcome video with `caption`: by `WELCOME_VIDEO_FILE_ID`, or uploaded once from
/// `WELCOME_VIDEO_PATH` and then re-sent by the file id cached in the database. Returns
/// false when no video is configured or it cannot be sent (the text goes alone then).
async fn send_welcome_video(turn: &Turn<'_>, caption: &str) -> Result<bool, BotError> {
    let settings = &turn.app.settings;
    let (cache_key, by_id) = match (
        &settings.welcome_video_file_id,
        &settings.welcome_video_path,
    ) {
        (Some(file_id), _) => (None, Some(file_id.clone())),
        (None, Some(path)) => {
            let key = format!("welcome_video_file_id:{}", path.display());
            let cached = turn.app.store.setting(&key).await?;
            (Some(key), cached)
        }
        (None, None) => return Ok(false),
    };
    if let Some(file_id) = by_id {
        let video = InputFile::file_id(FileId(file_id));
        let sent = turn
            .app
            .tg
            .send_video(turn.chat, video, caption.to_owned(), None)
            .await;
        match sent {
            Ok(_) => return Ok(true),
            Err(error) => {
                turn.blocked_or(error).await.or_else(|error| {
                    tracing::warn!(%error, "the welcome video cannot be sent by its file id");
                    Ok::<(), BotError>(())
                })?;
                if cache_key.is_none() {
                    return Ok(false);
                }
            }
        }
    }
    let (Some(key), Some(path)) = (cache_key, &settings.welcome_video_path) else {
        return Ok(false);
    };
    let uploaded = turn
        .app
        .tg
        .send_video(
            turn.chat,
            InputFile::file(path.clone()),
            caption.to_owned(),
            None,
        )
        .await;
    match uploaded {
        Ok(message) => {
            if let Some(video) = message.video() {
                turn.app.store.set_setting(&key, &video.file.id.0).await?;
            }
            Ok(true)
        }
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "the welcome video cannot be uploaded");
            Ok(false)
        }
    }
}

/// `/menu` and the menu button: leaves any open flow and shows the menu.
pub(crate) async fn leave_to_menu(turn: &Turn<'_>) -> Result<(), BotError> {
    if turn.state().await? != State::Idle {
        turn.set_state(State::Idle).await?;
    }
    turn.menu(None).await
}

fn support(turn: &Turn<'_>) -> String {
    turn.app
        .settings
        .support_contact
        .clone()
        .unwrap_or_else(|| turn.t.support_default.to_owned())
}

fn prices(turn: &Turn<'_>) -> (i64, i64) {
    let prices = turn.app.settings.prices;
    (
        prices.cost(JobKind::Neurocard, neurocards_core::VideoDuration::S5),
        prices.cost(JobKind::Neurocard, neurocards_core::VideoDuration::S10),
    )
}

/// `/help`: what the bot does, prices, support.
pub(crate) async fn help(turn: &Turn<'_>) -> Result<(), BotError> {
    info(turn, turn.t.help).await
}

/// The credits screen: balance, prices, how to get more.
pub(crate) async fn buy(turn: &Turn<'_>) -> Result<(), BotError> {
    info(turn, turn.t.buy).await
}

/// A screen of facts (prices, support, balance) with the way back to the menu.
async fn info(turn: &Turn<'_>, template: &str) -> Result<(), BotError> {
    let (short, long) = prices(turn);
    let text = fill(
        template,
        &[
            ("balance", &turn.user.balance),
            ("short", &short),
            ("long", &long),
            ("support", &support(turn)),
        ],
    );
    turn.say(text, Some(keyboards::back_to_menu(turn.t)))
        .await?;
    Ok(())
}

/// `/cancel` and the cancel button: leaves the flow (nothing paid is touched) and says what
/// was left.
pub(crate) async fn cancel(turn: &Turn<'_>) -> Result<(), BotError> {
    let state = turn.state().await?;
    if state == State::BroadcastDraft {
        turn.set_state(State::Idle).await?;
        return turn.menu(Some("✖️ Broadcast discarded.")).await;
    }
    let Some(kind) = state.flow() else {
        return turn.menu(Some(turn.t.nothing_to_cancel)).await;
    };
    turn.set_state(State::Idle).await?;
    let what = match kind {
        JobKind::Neurocard => turn.t.flow_neurocard,
        JobKind::Reels => turn.t.flow_reels,
    };
    turn.menu(Some(&fill(turn.t.cancelled, &[("what", &what)])))
        .await
}

/// A command we do not have (admin commands included, for anyone not an admin).
pub(crate) async fn unknown_command(turn: &Turn<'_>) -> Result<(), BotError> {
    turn.menu(Some(turn.t.unknown_command)).await
}
