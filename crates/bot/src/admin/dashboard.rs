//! `/admin`: the dashboard (the same text as `neurocards admin stats`, plus the KIE keys)
//! with a refresh button, and the charts as PNG photos.

use crate::actions::Action;
use crate::admin::AdminAction;
use crate::app::BotError;
use crate::keyboards;
use crate::turn::Turn;
use neurocards_admin::{dashboard_charts, key_reports, render_dashboard, render_keys};
use teloxide::types::{InlineKeyboardMarkup, InputFile, MessageId};

async fn render(turn: &Turn<'_>) -> Result<(String, InlineKeyboardMarkup), BotError> {
    let board = turn.app.store.dashboard().await?;
    let mut text = format!("📊 Dashboard\n\n{}", render_dashboard(&board));
    if let Some(kie) = &turn.app.kie {
        text.push_str(&render_keys(&key_reports(kie).await));
    }
    let markup = keyboards::rows(vec![vec![
        ("🔄 Refresh".to_owned(), Action::Admin(AdminAction::Refresh)),
        ("📈 Charts".to_owned(), Action::Admin(AdminAction::Charts)),
    ]]);
    Ok((text, markup))
}

/// The dashboard as a new message.
pub(super) async fn show(turn: &Turn<'_>) -> Result<(), BotError> {
    let (text, markup) = render(turn).await?;
    turn.say(text, Some(markup)).await?;
    Ok(())
}

/// The dashboard redrawn in place.
pub(super) async fn refresh(
    turn: &Turn<'_>,
    message: MessageId,
) -> Result<Option<&'static str>, BotError> {
    let (text, markup) = render(turn).await?;
    turn.edit(message, text, Some(markup)).await?;
    Ok(Some("Updated"))
}

/// Generations, new users and failures per day, as photos.
pub(super) async fn charts(turn: &Turn<'_>) -> Result<Option<&'static str>, BotError> {
    let charts = match dashboard_charts(&turn.app.store).await {
        Ok(charts) => charts,
        Err(error) => {
            tracing::error!(%error, "cannot draw the charts");
            return Ok(Some("The charts cannot be drawn now"));
        }
    };
    for (title, png) in charts {
        let sent = turn
            .app
            .tg
            .send_photo(
                turn.chat,
                InputFile::memory(png).file_name("chart.png"),
                title.to_owned(),
            )
            .await;
        if let Err(error) = sent {
            turn.blocked_or(error).await?;
        }
    }
    Ok(None)
}
