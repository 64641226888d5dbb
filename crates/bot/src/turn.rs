//! One update's context: who wrote, in which language, and the few things every handler
//! does — read and write the chat's state, send, edit. A user who blocked the bot is
//! recorded and the send is dropped; an edit that changes nothing is not an error.

use crate::app::{BotError, Inner};
use crate::dialogue_storage::DialogueStorageError;
use crate::keyboards;
use crate::state::State;
use crate::texts::{Texts, fill, texts};
use neurocards_core::Language;
use neurocards_store::User;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::dispatching::dialogue::Storage;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId};

/// What a handler works with.
pub(crate) struct Turn<'a> {
    pub app: &'a Inner,
    pub chat: ChatId,
    pub user: User,
    /// True on the user's very first contact.
    pub is_new: bool,
    pub t: &'static Texts,
}

impl<'a> Turn<'a> {
    pub fn new(app: &'a Inner, chat: ChatId, user: User, is_new: bool) -> Turn<'a> {
        let language = user.language.unwrap_or(app.settings.default_language);
        Turn {
            app,
            chat,
            user,
            is_new,
            t: texts(language),
        }
    }

    /// The user's language.
    pub fn language(&self) -> Language {
        self.user
            .language
            .unwrap_or(self.app.settings.default_language)
    }

    /// The chat's stored state (`Idle` when none).
    /// A state stored by an older version that no longer parses counts as `Idle` (and is
    /// dropped), so an upgrade never locks a chat.
    pub async fn state(&self) -> Result<State, BotError> {
        match Storage::<State>::get_dialogue(self.app.dialogues.clone(), self.chat).await {
            Ok(stored) => Ok(stored.unwrap_or_default()),
            Err(DialogueStorageError::Format(error)) => {
                tracing::warn!(%error, chat = self.chat.0, "a stored dialogue state does not parse; starting over");
                self.set_state(State::Idle).await?;
                Ok(State::Idle)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Stores the chat's state; `Idle` removes it.
    pub async fn set_state(&self, state: State) -> Result<(), BotError> {
        if state == State::Idle {
            Storage::<State>::remove_dialogue(self.app.dialogues.clone(), self.chat).await?;
        } else {
            Storage::update_dialogue(self.app.dialogues.clone(), self.chat, state).await?;
        }
        Ok(())
    }

    /// Sends a message; `None` when the user blocked the bot.
    pub async fn say(
        &self,
        text: impl Into<String>,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<Option<MessageId>, BotError> {
        match self
            .app
            .tg
            .send_message(self.chat, text.into(), markup)
            .await
        {
            Ok(message) => Ok(Some(message.id)),
            Err(error) => self.blocked_or(error).await.map(|()| None),
        }
    }

    /// Replaces a message's text and buttons.
    pub async fn edit(
        &self,
        message: MessageId,
        text: impl Into<String>,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<(), BotError> {
        match self
            .app
            .tg
            .edit_text(self.chat, message, text.into(), markup)
            .await
        {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(error) => self.blocked_or(error).await,
        }
    }

    /// A blocked bot is a fact to record, not a failure of the update.
    pub async fn blocked_or(&self, error: RequestError) -> Result<(), BotError> {
        match error {
            RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated) => {
                self.app.store.mark_blocked(self.user.id).await?;
                Ok(())
            }
            other => Err(other.into()),
        }
    }

    /// Sends `intro` (if any) followed by the menu with the balance, in one message. The
    /// balance is the one read with this update's contact: no handler that shows the menu
    /// moves credits first.
    pub async fn menu(&self, intro: Option<&str>) -> Result<(), BotError> {
        let menu = fill(self.t.menu, &[("balance", &self.user.balance)]);
        let text = match intro {
            Some(intro) => format!("{intro}\n\n{menu}"),
            None => menu,
        };
        self.say(text, Some(keyboards::main_menu(self.t))).await?;
        Ok(())
    }
}
