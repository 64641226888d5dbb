//! The schema: which handler an update goes to. Reads like the menu —
//! commands first, then button presses, then whatever the chat's flow is waiting for.

use crate::actions::Action;
use crate::admin;
use crate::app::{BotError, Inner};
use crate::flood::{self, Verdict};
use crate::flows::{cabinet, generate, menu};
use crate::state::State;
use crate::turn::Turn;
use neurocards_core::{JobKind, Language};
use neurocards_store::NewUser;
use teloxide::prelude::*;
use teloxide::types::{Message, Update, UpdateKind, User};

pub(crate) async fn route(app: &Inner, update: Update) -> Result<(), BotError> {
    match update.kind {
        UpdateKind::Message(message) => {
            app.metrics.update_handled("message");
            on_message(app, message).await
        }
        UpdateKind::CallbackQuery(query) => {
            app.metrics.update_handled("callback_query");
            on_callback(app, query).await
        }
        UpdateKind::Error(value) => {
            app.metrics.update_handled("unparsed");
            tracing::warn!(update = update.id.0, keys = ?value.as_object().map(|o| o.keys().collect::<Vec<_>>()), "an update teloxide cannot parse");
            Ok(())
        }
        _ => {
            app.metrics.update_handled("other");
            Ok(())
        }
    }
}

/// Records the contact (free credits on the first one) and builds the turn; `None` when
/// the user is flooding.
async fn begin<'a>(
    app: &'a Inner,
    chat: ChatId,
    from: &User,
    referral_code: Option<String>,
) -> Result<Option<Turn<'a>>, BotError> {
    let user_id = i64::try_from(from.id.0).unwrap_or(i64::MAX);
    let verdict = flood::check(&app.shared, app.settings.flood, user_id).await;
    let contact = NewUser {
        id: neurocards_core::UserId(user_id),
        username: from.username.clone(),
        full_name: from.full_name(),
        language: from
            .language_code
            .as_deref()
            .and_then(Language::from_telegram_code),
        referral_code,
    };
    if verdict == Verdict::Ignore {
        return Ok(None);
    }
    let recorded = app
        .store
        .upsert_user(&contact, app.settings.free_credits)
        .await?;
    let turn = Turn::new(app, chat, recorded.user, recorded.is_new);
    if verdict == Verdict::Warn {
        turn.say(turn.t.flood, None).await?;
        return Ok(None);
    }
    Ok(Some(turn))
}

async fn on_message(app: &Inner, message: Message) -> Result<(), BotError> {
    let Some(from) = message.from.as_ref().filter(|_| message.chat.is_private()) else {
        return Ok(());
    };
    let command = message.text().and_then(parse_command);
    let referral = match &command {
        Some(("start", payload)) => payload.strip_prefix("ref_").map(str::to_owned),
        _ => None,
    };
    let Some(turn) = begin(app, message.chat.id, from, referral).await? else {
        return Ok(());
    };
    match command {
        Some(("start", _)) => menu::start(&turn).await,
        Some(("menu", _)) => menu::leave_to_menu(&turn).await,
        Some(("help", _)) => menu::help(&turn).await,
        Some(("cabinet", _)) => cabinet::open(&turn).await,
        Some(("cancel", _)) => menu::cancel(&turn).await,
        Some((name, args)) => {
            if admin::command(&turn, &message, name, args).await? {
                return Ok(());
            }
            menu::unknown_command(&turn).await
        }
        None => match turn.state().await? {
            State::BroadcastDraft if admin::is_admin(&turn) => {
                admin::broadcast_draft(&turn, &message).await
            }
            state => generate::on_message(&turn, &message, state).await,
        },
    }
}

/// `/name payload` (also `/name@bot payload`) → (name, payload).
fn parse_command(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('/')?;
    let (head, payload) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = head.split('@').next().unwrap_or(head);
    Some((name, payload.trim()))
}

async fn on_callback(app: &Inner, query: CallbackQuery) -> Result<(), BotError> {
    let Some(pressed) = query.message.as_ref() else {
        app.tg.answer_callback(query.id, None).await?;
        return Ok(());
    };
    let (chat, message) = (pressed.chat().id, pressed.id());
    let action = query.data.as_deref().and_then(Action::parse);
    let notice = match action.filter(|_| pressed.chat().is_private()) {
        Some(action) => match begin(app, chat, &query.from, None).await {
            Ok(Some(turn)) => on_action(&turn, action, message).await,
            Ok(None) => Ok(None),
            Err(error) => Err(error),
        },
        None => Ok(None),
    };
    // Answered whatever happened, so the button's spinner always stops.
    let text = notice.as_ref().ok().copied().flatten();
    if let Err(error) = app.tg.answer_callback(query.id, text).await {
        tracing::debug!(%error, "answerCallbackQuery failed");
    }
    notice.map(|_| ())
}

/// Runs a button's action; returns a short notice for the callback answer.
async fn on_action(
    turn: &Turn<'_>,
    action: Action,
    message: teloxide::types::MessageId,
) -> Result<Option<&'static str>, BotError> {
    match action {
        Action::Generate(kind) => generate::begin(turn, kind).await.map(|()| None),
        Action::Menu => menu::leave_to_menu(turn).await.map(|()| None),
        Action::Cabinet(None) => cabinet::open(turn).await.map(|()| None),
        Action::Cabinet(Some(page)) => cabinet::page(turn, message, page).await.map(|()| None),
        Action::Language(language) => cabinet::switch_language(turn, message, language).await,
        Action::Resend(job) => cabinet::resend(turn, job).await,
        Action::Buy => menu::buy(turn).await.map(|()| None),
        Action::Help => menu::help(turn).await.map(|()| None),
        Action::Cancel => menu::cancel(turn).await.map(|()| None),
        Action::SkipPhoto => generate::skip_photo(turn).await,
        Action::Duration(duration) => generate::choose_duration(turn, message, duration).await,
        Action::Confirm => generate::confirm(turn, message).await,
        Action::Admin(action) => admin::action(turn, action, message).await,
    }
}

/// The flow a kind starts with, for the "again" buttons and the menu.
pub(crate) fn first_step(kind: JobKind) -> State {
    match kind {
        JobKind::Neurocard => State::NeurocardPhoto,
        JobKind::Reels => State::ReelsIdea,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_command;

    #[test]
    fn commands_and_payloads() {
        assert_eq!(parse_command("/start ref_abc"), Some(("start", "ref_abc")));
        assert_eq!(parse_command("/menu@neuro_bot"), Some(("menu", "")));
        assert_eq!(parse_command("hello"), None);
    }
}
