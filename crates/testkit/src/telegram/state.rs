//! What the Telegram fake remembers: chats and their messages, the update queue, stored
//! files, the transcript of everything the bot sent, answered queries and call counters.

use super::faults::Faults;
use crate::util::random_id;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The bot's own account, as `getMe` reports it.
#[derive(Clone, Debug)]
pub(crate) struct BotAccount {
    pub id: i64,
    pub username: String,
    pub first_name: String,
}

impl BotAccount {
    pub(crate) fn user_json(&self) -> Value {
        json!({
            "id": self.id,
            "is_bot": true,
            "first_name": self.first_name,
            "username": self.username,
        })
    }
}

/// A simulated Telegram user.
#[derive(Clone, Debug)]
pub(crate) struct UserProfile {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

impl UserProfile {
    pub(crate) fn new(id: i64) -> Self {
        Self {
            id,
            first_name: format!("User{id}"),
            last_name: None,
            username: None,
            language_code: Some("en".into()),
        }
    }

    pub(crate) fn user_json(&self) -> Value {
        let mut user = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(v) = &self.last_name {
            user["last_name"] = json!(v);
        }
        if let Some(v) = &self.username {
            user["username"] = json!(v);
        }
        if let Some(v) = &self.language_code {
            user["language_code"] = json!(v);
        }
        user
    }
}

/// One inline button as the bot sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    /// The label.
    pub text: String,
    /// `callback_data`, for callback buttons.
    pub callback_data: Option<String>,
    /// `url`, for link buttons.
    pub url: Option<String>,
}

/// What kind of media a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `photo` (an array of sizes).
    Photo,
    /// `video`.
    Video,
    /// `document`.
    Document,
    /// `sticker`.
    Sticker,
    /// `voice`.
    Voice,
    /// `animation`.
    Animation,
}

impl MediaKind {
    /// The message field name (`"video"`, ...).
    pub fn field(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
            MediaKind::Voice => "voice",
            MediaKind::Animation => "animation",
        }
    }

    /// The name Telegram uses in "can't use file of type X" errors.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            MediaKind::Photo => "Photo",
            MediaKind::Video => "Video",
            MediaKind::Document => "Document",
            MediaKind::Sticker => "Sticker",
            MediaKind::Voice => "Voice",
            MediaKind::Animation => "Animation",
        }
    }

    /// The folder of `file_path`, as on the real server.
    pub(crate) fn folder(self) -> &'static str {
        match self {
            MediaKind::Photo => "photos",
            MediaKind::Video => "videos",
            MediaKind::Document => "documents",
            MediaKind::Sticker => "stickers",
            MediaKind::Voice => "voice",
            MediaKind::Animation => "animations",
        }
    }
}

/// How the bot supplied a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaSource {
    /// Uploaded in a multipart body.
    Upload {
        /// The part's file name.
        file_name: Option<String>,
        /// Bytes uploaded.
        size: usize,
    },
    /// An http(s) URL the fake downloaded.
    Url(String),
    /// A `file_id` already known to the fake.
    FileId(String),
}

/// The media of a sent message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMedia {
    /// Photo, video, document, ...
    pub kind: MediaKind,
    /// The `file_id` of the resulting message's file (the largest size for photos).
    pub file_id: String,
    /// How it was supplied.
    pub source: MediaSource,
}

/// One thing the bot did to a chat: a message sent, edited or deleted.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The Bot API method (`sendMessage`, `editMessageText`, `deleteMessage`, ...).
    pub method: String,
    /// The chat.
    pub chat_id: i64,
    /// The message created, or the one edited/deleted.
    pub message_id: i64,
    /// Text or caption as the user sees it (HTML tags removed when `parse_mode` is HTML).
    pub text: Option<String>,
    /// `parse_mode` as sent.
    pub parse_mode: Option<String>,
    /// Inline keyboard rows.
    pub buttons: Vec<Vec<Button>>,
    /// Reply keyboard rows (button labels), when a reply keyboard was sent.
    pub reply_keyboard: Option<Vec<Vec<String>>>,
    /// `true` when `reply_markup` was `remove_keyboard`.
    pub remove_keyboard: bool,
    /// Photo/video/document sent.
    pub media: Option<SentMedia>,
    /// All parameters as received (uploads shown as `<upload name>`).
    pub params: Value,
}

impl Sent {
    /// The text, or `""`.
    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    /// All callback data of the inline keyboard, in order.
    pub fn callback_data(&self) -> Vec<&str> {
        self.buttons
            .iter()
            .flatten()
            .filter_map(|b| b.callback_data.as_deref())
            .collect()
    }

    /// `true` for an edit of an earlier message.
    pub fn is_edit(&self) -> bool {
        self.method.starts_with("edit")
    }

    /// One line for transcripts.
    pub fn summary(&self) -> String {
        let mut line = format!("#{} {}", self.message_id, self.method);
        if let Some(media) = &self.media {
            line += &format!(" [{:?} {:?}]", media.kind, media.source);
        }
        if let Some(text) = &self.text {
            line += &format!(" {text:?}");
        }
        if !self.buttons.is_empty() {
            let labels: Vec<String> = self
                .buttons
                .iter()
                .flatten()
                .map(|b| match (&b.callback_data, &b.url) {
                    (Some(d), _) => format!("{}=>{d}", b.text),
                    (_, Some(u)) => format!("{}=>{u}", b.text),
                    _ => b.text.clone(),
                })
                .collect();
            line += &format!(" buttons{labels:?}");
        }
        line
    }
}

/// An `answerCallbackQuery` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnsweredCallback {
    /// The query answered.
    pub callback_query_id: String,
    /// The notification text, if any.
    pub text: Option<String>,
    /// `show_alert`.
    pub show_alert: bool,
}

/// An `answerPreCheckoutQuery` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreCheckoutAnswer {
    /// The query answered.
    pub pre_checkout_query_id: String,
    /// `ok`.
    pub ok: bool,
    /// `error_message` when `ok` is false.
    pub error_message: Option<String>,
}

/// A file the fake holds (uploaded by the bot, downloaded from a URL or injected by a user).
#[derive(Clone, Debug)]
pub(crate) struct StoredFile {
    pub unique_id: String,
    pub kind: MediaKind,
    pub bytes: Bytes,
    pub path: String,
    /// The media object (`video`, `document`, one `PhotoSize`) as it appears in messages.
    pub object: Value,
}

/// A message as currently shown in a chat.
#[derive(Clone, Debug)]
pub(crate) struct StoredMessage {
    pub json: Value,
    pub from_bot: bool,
}

/// Per-chat state.
#[derive(Debug, Default)]
pub(crate) struct ChatState {
    pub last_message_id: i64,
    pub messages: BTreeMap<i64, StoredMessage>,
    pub transcript: Vec<Sent>,
    /// Where the next `wait_for` starts looking.
    pub cursor: usize,
}

/// The webhook, when one is set.
#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    pub url: String,
    pub secret_token: Option<String>,
    pub max_connections: u32,
    pub allowed_updates: Option<Vec<String>>,
    pub last_error: Option<(i64, String)>,
}

/// Everything mutable, behind one mutex.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// When false, files the bot uploads keep their metadata but not their bytes.
    pub drop_uploaded_bytes: bool,
    pub last_update_id: i64,
    pub updates: VecDeque<Value>,
    pub allowed_updates: Option<Vec<String>>,
    pub poll_generation: u64,
    pub webhook: Option<Webhook>,
    pub chats: HashMap<i64, ChatState>,
    pub users: HashMap<i64, UserProfile>,
    pub files: HashMap<String, StoredFile>,
    pub file_paths: HashMap<String, String>,
    pub calls: HashMap<String, usize>,
    /// Calls that arrived, counted before any injected latency.
    pub arrived: HashMap<String, usize>,
    pub requests: Vec<(String, Value)>,
    pub answered_callbacks: Vec<AnsweredCallback>,
    pub open_callbacks: HashMap<String, i64>,
    pub pre_checkout_answers: Vec<PreCheckoutAnswer>,
    pub open_pre_checkouts: HashMap<String, i64>,
    pub commands: BTreeMap<String, Value>,
    pub menu_buttons: HashMap<i64, Value>,
    pub faults: Faults,
    pub next_file_seq: u64,
}

impl Inner {
    pub(crate) fn chat(&mut self, chat_id: i64) -> &mut ChatState {
        self.chats.entry(chat_id).or_default()
    }

    pub(crate) fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let chat = self.chat(chat_id);
        chat.last_message_id += 1;
        chat.last_message_id
    }

    /// The `chat` object for a chat id (private chats are users; negative ids are groups).
    pub(crate) fn chat_json(&self, chat_id: i64) -> Value {
        if chat_id > 0 {
            let profile = self
                .users
                .get(&chat_id)
                .cloned()
                .unwrap_or_else(|| UserProfile::new(chat_id));
            let mut chat =
                json!({ "id": chat_id, "type": "private", "first_name": profile.first_name });
            if let Some(v) = profile.last_name {
                chat["last_name"] = json!(v);
            }
            if let Some(v) = profile.username {
                chat["username"] = json!(v);
            }
            chat
        } else if chat_id < -1_000_000_000_000 {
            json!({ "id": chat_id, "type": "supergroup", "title": format!("Group {chat_id}") })
        } else {
            json!({ "id": chat_id, "type": "group", "title": format!("Group {chat_id}") })
        }
    }

    /// Stores `bytes` under a fresh `file_id`; returns the id.
    /// Stores a file the bot uploaded (its bytes dropped when the fake is told to).
    pub(crate) fn store_upload(
        &mut self,
        kind: MediaKind,
        bytes: Bytes,
        extension: &str,
        object: Map<String, Value>,
    ) -> String {
        let id = self.store_file(kind, bytes, extension, object);
        if self.drop_uploaded_bytes
            && let Some(file) = self.files.get_mut(&id)
        {
            file.bytes = Bytes::new();
        }
        id
    }

    pub(crate) fn store_file(
        &mut self,
        kind: MediaKind,
        bytes: Bytes,
        extension: &str,
        mut object: Map<String, Value>,
    ) -> String {
        self.next_file_seq += 1;
        let prefix = match kind {
            MediaKind::Photo => "AgACAgIAAxkBAA",
            MediaKind::Video => "BAACAgIAAxkBAA",
            MediaKind::Document => "BQACAgIAAxkBAA",
            MediaKind::Sticker => "CAACAgIAAxkBAA",
            MediaKind::Voice => "AwACAgIAAxkBAA",
            MediaKind::Animation => "CgACAgIAAxkBAA",
        };
        let file_id = format!("{prefix}{}", random_id(50));
        let unique_id = format!("AgAD{}", random_id(12));
        let path = format!("{}/file_{}.{extension}", kind.folder(), self.next_file_seq);
        object.insert("file_id".into(), json!(file_id));
        object.insert("file_unique_id".into(), json!(unique_id));
        object.insert("file_size".into(), json!(bytes.len()));
        self.file_paths.insert(path.clone(), file_id.clone());
        self.files.insert(
            file_id.clone(),
            StoredFile {
                unique_id,
                kind,
                bytes,
                path,
                object: Value::Object(object),
            },
        );
        file_id
    }
}

/// Reads inline-keyboard rows out of a `reply_markup` value.
pub(crate) fn inline_buttons(markup: Option<&Value>) -> Vec<Vec<Button>> {
    let Some(rows) = markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            row.as_array()
                .map(|row| {
                    row.iter()
                        .map(|b| Button {
                            text: b.get("text").and_then(Value::as_str).unwrap_or("").into(),
                            callback_data: b
                                .get("callback_data")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                            url: b.get("url").and_then(Value::as_str).map(str::to_owned),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Reads reply-keyboard labels out of a `reply_markup` value.
pub(crate) fn reply_keyboard(markup: Option<&Value>) -> Option<Vec<Vec<String>>> {
    let rows = markup?.get("keyboard")?.as_array()?;
    Some(
        rows.iter()
            .map(|row| {
                row.as_array()
                    .map(|row| {
                        row.iter()
                            .map(|b| match b {
                                Value::String(s) => s.clone(),
                                other => other
                                    .get("text")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_owned(),
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect(),
    )
}
