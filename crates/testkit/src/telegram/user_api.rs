//! The simulated user: Rust calls (not HTTP) that make a user write to the bot, send media,
//! press inline buttons and pay, each becoming an update for `getUpdates` or the webhook.

use super::TgState;
use super::files::photo_sizes;
use super::state::{MediaKind, StoredMessage, UserProfile, inline_buttons};
use super::updates::push_update;
use crate::media;
use crate::util::{random_id, unix_now};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// What an injection produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injected {
    /// The update's `update_id`.
    pub update_id: i64,
    /// The user's new message, for message updates.
    pub message_id: Option<i64>,
    /// The query id, for callback and pre-checkout queries.
    pub query_id: Option<String>,
    /// The `file_id` of the media sent (the largest size of a photo).
    pub file_id: Option<String>,
}

/// Why an injection was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InjectError {
    /// The chat has no message with that id.
    #[error("chat {chat_id} has no message {message_id}")]
    NoSuchMessage {
        /// The chat.
        chat_id: i64,
        /// The id looked for.
        message_id: i64,
    },
    /// The message has no inline button with that callback data.
    #[error("message {message_id} has no button with callback_data {data:?}; it has {available:?}")]
    NoSuchButton {
        /// The message.
        message_id: i64,
        /// The data looked for.
        data: String,
        /// The callback data the message offers.
        available: Vec<String>,
    },
    /// The bytes are not an image the fake can read.
    #[error("not a JPEG/PNG/GIF/WEBP image")]
    NotAnImage,
}

/// A simulated Telegram user talking to the bot in a private chat (chat id = user id).
#[derive(Clone)]
pub struct SimUser {
    state: Arc<TgState>,
    profile: UserProfile,
}

impl SimUser {
    pub(crate) fn new(state: Arc<TgState>, id: i64) -> Self {
        let profile = state
            .lock()
            .users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| UserProfile::new(id));
        let user = Self { state, profile };
        user.save();
        user
    }

    fn save(&self) {
        self.state
            .lock()
            .users
            .insert(self.profile.id, self.profile.clone());
    }

    /// Sets the first name.
    pub fn first_name(mut self, name: &str) -> Self {
        self.profile.first_name = name.to_owned();
        self.save();
        self
    }

    /// Sets the last name.
    pub fn last_name(mut self, name: &str) -> Self {
        self.profile.last_name = Some(name.to_owned());
        self.save();
        self
    }

    /// Sets the username (without `@`).
    pub fn username(mut self, name: &str) -> Self {
        self.profile.username = Some(name.to_owned());
        self.save();
        self
    }

    /// Sets the IETF language tag Telegram reports (`"ru"`, `"en"`); `None` removes it.
    pub fn language_code(mut self, code: Option<&str>) -> Self {
        self.profile.language_code = code.map(str::to_owned);
        self.save();
        self
    }

    /// The user id (also the private chat id).
    pub fn id(&self) -> i64 {
        self.profile.id
    }

    /// The `User` object as Telegram sends it.
    pub fn user_json(&self) -> Value {
        self.profile.user_json()
    }

    /// Adds a user message with `fields` to the chat and queues the update.
    fn inject_message(&self, fields: Map<String, Value>) -> Injected {
        let chat_id = self.profile.id;
        let mut inner = self.state.lock();
        let message_id = inner.next_message_id(chat_id);
        let mut message = json!({
            "message_id": message_id,
            "from": self.profile.user_json(),
            "chat": inner.chat_json(chat_id),
            "date": unix_now(),
        });
        if let Some(object) = message.as_object_mut() {
            object.extend(fields);
        }
        inner.chat(chat_id).messages.insert(
            message_id,
            StoredMessage {
                json: message.clone(),
                from_bot: false,
            },
        );
        let update_id = push_update(&self.state, &mut inner, "message", message);
        Injected {
            update_id,
            message_id: Some(message_id),
            query_id: None,
            file_id: None,
        }
    }

    /// Sends text; a leading `/command` gets its `bot_command` entity, like in Telegram.
    pub fn send_text(&self, text: &str) -> Injected {
        let mut fields = Map::new();
        fields.insert("text".into(), json!(text));
        if text.starts_with('/') {
            let command_len = text
                .split_whitespace()
                .next()
                .map(|c| c.encode_utf16().count())
                .unwrap_or(0);
            fields.insert(
                "entities".into(),
                json!([{ "type": "bot_command", "offset": 0, "length": command_len }]),
            );
        }
        self.inject_message(fields)
    }

    /// Sends `/command` or `/command payload`.
    pub fn send_command(&self, command: &str, payload: Option<&str>) -> Injected {
        let command = command.trim_start_matches('/');
        match payload {
            Some(p) => self.send_text(&format!("/{command} {p}")),
            None => self.send_text(&format!("/{command}")),
        }
    }

    /// Sends the stock photo ([`media::JPEG`]) in three real sizes (90, 320, 640 px wide).
    pub fn send_photo(&self, caption: Option<&str>) -> Injected {
        let sizes = {
            let mut inner = self.state.lock();
            let entries = [
                (media::JPEG_90, 90, 68),
                (media::JPEG_320, 320, 240),
                (media::JPEG, 640, 480),
            ];
            let ids: Vec<String> = entries
                .iter()
                .map(|(bytes, w, h)| {
                    let mut object = Map::new();
                    object.insert("width".into(), json!(w));
                    object.insert("height".into(), json!(h));
                    inner.store_file(MediaKind::Photo, Bytes::from_static(bytes), "jpg", object)
                })
                .collect();
            let sizes = Value::Array(
                ids.iter()
                    .filter_map(|id| inner.files.get(id).map(|f| f.object.clone()))
                    .collect(),
            );
            for id in &ids {
                if let Some(f) = inner.files.get_mut(id) {
                    f.object = sizes.clone();
                }
            }
            sizes
        };
        self.inject_media("photo", sizes, caption)
    }

    /// Sends any image as a photo (sizes are computed, every size serves these bytes).
    pub fn send_photo_bytes(
        &self,
        bytes: &[u8],
        caption: Option<&str>,
    ) -> Result<Injected, InjectError> {
        let (width, height) = media::image_dimensions(bytes).ok_or(InjectError::NotAnImage)?;
        let sizes = photo_sizes(
            &mut self.state.lock(),
            Bytes::copy_from_slice(bytes),
            width,
            height,
        );
        Ok(self.inject_media("photo", sizes, caption))
    }

    /// Sends a file as a document (e.g. a PNG "sent as file", a GIF, a PDF).
    pub fn send_document(
        &self,
        bytes: &[u8],
        file_name: &str,
        mime_type: &str,
        caption: Option<&str>,
    ) -> Injected {
        let mut object = Map::new();
        object.insert("file_name".into(), json!(file_name));
        object.insert("mime_type".into(), json!(mime_type));
        let extension = file_name.rsplit('.').next().unwrap_or("bin").to_owned();
        let object = self.store(MediaKind::Document, bytes, &extension, object);
        self.inject_media("document", object, caption)
    }

    /// Sends a sticker (a 512x512 WEBP).
    pub fn send_sticker(&self) -> Injected {
        let mut object = Map::new();
        object.insert("type".into(), json!("regular"));
        object.insert("width".into(), json!(512));
        object.insert("height".into(), json!(512));
        object.insert("is_animated".into(), json!(false));
        object.insert("is_video".into(), json!(false));
        object.insert("emoji".into(), json!("👍"));
        let object = self.store(MediaKind::Sticker, media::WEBP, "webp", object);
        self.inject_media("sticker", object, None)
    }

    /// Sends a one-second voice message (OGG/Opus).
    pub fn send_voice(&self) -> Injected {
        let mut object = Map::new();
        object.insert("duration".into(), json!(1));
        object.insert("mime_type".into(), json!("audio/ogg"));
        let object = self.store(MediaKind::Voice, media::OGG_VOICE, "oga", object);
        self.inject_media("voice", object, None)
    }

    fn store(
        &self,
        kind: MediaKind,
        bytes: &[u8],
        extension: &str,
        object: Map<String, Value>,
    ) -> Value {
        let mut inner = self.state.lock();
        let id = inner.store_file(kind, Bytes::copy_from_slice(bytes), extension, object);
        inner
            .files
            .get(&id)
            .map(|f| f.object.clone())
            .unwrap_or_default()
    }

    fn inject_media(&self, field: &str, object: Value, caption: Option<&str>) -> Injected {
        let mut fields = Map::new();
        if let Some(c) = caption {
            fields.insert("caption".into(), json!(c));
        }
        // A photo is an array of sizes, largest last.
        let file_id = object
            .as_array()
            .and_then(|sizes| sizes.last())
            .unwrap_or(&object)
            .get("file_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        fields.insert(field.into(), object);
        Injected {
            file_id,
            ..self.inject_message(fields)
        }
    }

    /// Presses the inline button with `callback_data == data` on bot message `message_id`.
    pub fn press(&self, message_id: i64, data: &str) -> Result<Injected, InjectError> {
        let chat_id = self.profile.id;
        let message = {
            let inner = self.state.lock();
            inner
                .chats
                .get(&chat_id)
                .and_then(|c| c.messages.get(&message_id))
                .map(|m| m.json.clone())
        };
        let message = message.ok_or(InjectError::NoSuchMessage {
            chat_id,
            message_id,
        })?;
        let buttons = inline_buttons(message.get("reply_markup"));
        let available: Vec<String> = buttons
            .iter()
            .flatten()
            .filter_map(|b| b.callback_data.clone())
            .collect();
        if !available.iter().any(|d| d == data) {
            return Err(InjectError::NoSuchButton {
                message_id,
                data: data.to_owned(),
                available,
            });
        }
        Ok(self.press_raw(message_id, data))
    }

    /// A callback query with any `data`, for stale or forged presses; if the message is gone
    /// the query carries an inaccessible message (`date` 0), as Telegram does.
    pub fn press_raw(&self, message_id: i64, data: &str) -> Injected {
        let chat_id = self.profile.id;
        let mut inner = self.state.lock();
        let message = inner
            .chats
            .get(&chat_id)
            .and_then(|c| c.messages.get(&message_id))
            .map(|m| m.json.clone())
            .unwrap_or_else(
                || json!({ "chat": inner.chat_json(chat_id), "message_id": message_id, "date": 0 }),
            );
        let query_id = format!("{}{}", chat_id.unsigned_abs(), random_id(8));
        inner.open_callbacks.insert(query_id.clone(), chat_id);
        let query = json!({
            "id": query_id,
            "from": self.profile.user_json(),
            "message": message,
            "chat_instance": format!("{}", chat_id.unsigned_abs() * 7 + 1),
            "data": data,
        });
        let update_id = push_update(&self.state, &mut inner, "callback_query", query);
        Injected {
            update_id,
            message_id: Some(message_id),
            query_id: Some(query_id),
            file_id: None,
        }
    }

    /// The user confirms a payment: a `pre_checkout_query` the bot must answer within 10 s.
    pub fn pre_checkout(&self, currency: &str, total_amount: u32, payload: &str) -> Injected {
        let mut inner = self.state.lock();
        let query_id = format!("{}{}", self.profile.id.unsigned_abs(), random_id(10));
        inner
            .open_pre_checkouts
            .insert(query_id.clone(), self.profile.id);
        let query = json!({
            "id": query_id,
            "from": self.profile.user_json(),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
        });
        let update_id = push_update(&self.state, &mut inner, "pre_checkout_query", query);
        Injected {
            update_id,
            message_id: None,
            query_id: Some(query_id),
            file_id: None,
        }
    }

    /// The payment went through: a `successful_payment` service message.
    pub fn successful_payment(&self, currency: &str, total_amount: u32, payload: &str) -> Injected {
        let mut fields = Map::new();
        fields.insert(
            "successful_payment".into(),
            json!({
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": format!("stxFake{}", random_id(24)),
                "provider_payment_charge_id": if currency == "XTR" { String::new() } else { random_id(16) },
            }),
        );
        self.inject_message(fields)
    }
}
