//! The message and query methods: sendMessage, edits, deleteMessage, callback and
//! pre-checkout answers, chat actions, invoices, commands and the menu button.

use super::TgState;
use super::html;
use super::params::Params;
use super::reply::ApiError;
use super::state::{
    AnsweredCallback, Inner, MediaKind, MediaSource, PreCheckoutAnswer, Sent, SentMedia,
    StoredMessage, inline_buttons, reply_keyboard,
};
use crate::util::unix_now;
use serde_json::{Map, Value, json};

const CHAT_ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

pub(crate) fn get_me(state: &TgState) -> Value {
    let mut me = state.bot.user_json();
    me["can_join_groups"] = json!(true);
    me["can_read_all_group_messages"] = json!(false);
    me["supports_inline_queries"] = json!(false);
    me["can_connect_to_business"] = json!(false);
    me["has_main_web_app"] = json!(false);
    me
}

/// A private chat exists only once its user has written to the bot.
pub(crate) fn ensure_chat(inner: &Inner, chat_id: i64) -> Result<(), ApiError> {
    let known = inner.users.contains_key(&chat_id) || inner.chats.contains_key(&chat_id);
    match (chat_id > 0, known) {
        (_, true) => Ok(()),
        (true, false) => Err(ApiError::new(
            403,
            "Forbidden: bot can't initiate conversation with a user",
        )),
        (false, false) => Err(ApiError::bad_request("chat not found")),
    }
}

/// Text (or caption) as the user sees it, after `parse_mode`.
pub(crate) fn visible_text(
    params: &Params,
    key: &str,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let parse_mode = params.str(if key == "text" || key == "caption" {
        "parse_mode"
    } else {
        key
    });
    let Some(raw) = params.str(key) else {
        return Ok((None, parse_mode));
    };
    let plain = match parse_mode.as_deref() {
        Some(mode) if mode.eq_ignore_ascii_case("html") => html::to_plain(&raw)?,
        Some(mode)
            if mode.eq_ignore_ascii_case("markdownv2") || mode.eq_ignore_ascii_case("markdown") =>
        {
            raw
        }
        Some(other) if !other.is_empty() => {
            return Err(ApiError::bad_request(&format!(
                "unsupported parse_mode \"{other}\""
            )));
        }
        _ => raw,
    };
    Ok((Some(plain), parse_mode))
}

/// `reply_markup`, checked the way Telegram checks inline keyboards.
pub(crate) fn reply_markup(params: &Params) -> Result<Option<Value>, ApiError> {
    let Some(markup) = params.json("reply_markup")? else {
        return Ok(None);
    };
    if !markup.is_object() {
        return Err(ApiError::bad_request("object expected as reply markup"));
    }
    if let Some(rows) = markup.get("inline_keyboard") {
        let rows = rows.as_array().ok_or_else(|| {
            ApiError::bad_request("field \"inline_keyboard\" must be of type Array")
        })?;
        for row in rows {
            let row = row
                .as_array()
                .ok_or_else(|| ApiError::bad_request("inline keyboard row must be an Array"))?;
            for button in row {
                let text = button.get("text").and_then(Value::as_str).unwrap_or("");
                if text.is_empty() {
                    return Err(ApiError::bad_request("BUTTON_TEXT_INVALID"));
                }
                if let Some(data) = button.get("callback_data") {
                    let len = data.as_str().map(str::len).unwrap_or(0);
                    if !(1..=64).contains(&len) {
                        return Err(ApiError::bad_request("BUTTON_DATA_INVALID"));
                    }
                } else if let Some(url) = button.get("url").and_then(Value::as_str) {
                    let valid = ["http://", "https://", "tg://"]
                        .iter()
                        .any(|p| url.starts_with(p));
                    if !valid {
                        return Err(ApiError::bad_request(&format!(
                            "inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                        )));
                    }
                } else if ![
                    "pay",
                    "web_app",
                    "switch_inline_query",
                    "copy_text",
                    "login_url",
                ]
                .iter()
                .any(|k| button.get(k).is_some())
                {
                    return Err(ApiError::bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                    ));
                }
            }
        }
    }
    Ok(Some(markup))
}

/// Creates a bot message in `chat_id` with `fields` (text, media, ...), stores and returns it.
pub(crate) fn create_bot_message(
    state: &TgState,
    inner: &mut Inner,
    params: &Params,
    chat_id: i64,
    mut fields: Map<String, Value>,
    markup: Option<&Value>,
) -> Result<(i64, Value), ApiError> {
    let reply_to = match params.json("reply_parameters")? {
        Some(rp) => rp.get("message_id").and_then(Value::as_i64),
        None => params.i64("reply_to_message_id")?,
    };
    if let Some(reply_to) = reply_to {
        let original = inner
            .chats
            .get(&chat_id)
            .and_then(|c| c.messages.get(&reply_to))
            .map(|m| m.json.clone());
        match original {
            Some(original) => {
                fields.insert("reply_to_message".into(), original);
            }
            None => return Err(ApiError::bad_request("message to be replied not found")),
        }
    }
    if let Some(markup) = markup.filter(|m| m.get("inline_keyboard").is_some()) {
        fields.insert("reply_markup".into(), markup.clone());
    }
    let message_id = inner.next_message_id(chat_id);
    let mut message = json!({
        "message_id": message_id,
        "from": state.bot.user_json(),
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
            from_bot: true,
        },
    );
    Ok((message_id, message))
}

/// One transcript entry about to be recorded.
pub(crate) struct Record<'a> {
    pub method: &'a str,
    pub chat_id: i64,
    pub message_id: i64,
    pub text: Option<String>,
    pub parse_mode: Option<String>,
    pub markup: Option<&'a Value>,
    pub media: Option<SentMedia>,
}

impl<'a> Record<'a> {
    /// An entry with only method, chat and message.
    pub(crate) fn new(method: &'a str, chat_id: i64, message_id: i64) -> Self {
        Self {
            method,
            chat_id,
            message_id,
            text: None,
            parse_mode: None,
            markup: None,
            media: None,
        }
    }
}

/// Appends to a chat's transcript.
pub(crate) fn record(inner: &mut Inner, entry: Record<'_>, params: &Params) {
    let markup = entry.markup;
    let sent = Sent {
        method: entry.method.to_owned(),
        chat_id: entry.chat_id,
        message_id: entry.message_id,
        text: entry.text,
        parse_mode: entry.parse_mode,
        buttons: inline_buttons(markup),
        reply_keyboard: reply_keyboard(markup),
        remove_keyboard: markup
            .and_then(|m| m.get("remove_keyboard"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        media: entry.media,
        params: params.to_json(),
    };
    inner.chat(entry.chat_id).transcript.push(sent);
}

pub(crate) fn send_message(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let (text, parse_mode) = visible_text(params, "text")?;
    let text = text
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("message text is empty"))?;
    if text.chars().count() > 4096 {
        return Err(ApiError::bad_request("message is too long"));
    }
    let markup = reply_markup(params)?;
    let mut inner = state.lock();
    ensure_chat(&inner, chat_id)?;
    let mut fields = Map::new();
    fields.insert("text".into(), json!(text));
    let (message_id, message) =
        create_bot_message(state, &mut inner, params, chat_id, fields, markup.as_ref())?;
    let entry = Record {
        text: Some(text),
        parse_mode,
        markup: markup.as_ref(),
        ..Record::new("sendMessage", chat_id, message_id)
    };
    record(&mut inner, entry, params);
    Ok(message)
}

/// The content fields a copy keeps; everything else (sender, date, forward data) is new.
const COPIED_FIELDS: [&str; 10] = [
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "video",
    "document",
    "animation",
    "voice",
    "sticker",
];

/// `copyMessage`: message `message_id` of `from_chat_id` sent again by the bot to
/// `chat_id`, without a link to the original; answers the new `MessageId`.
pub(crate) fn copy_message(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let from = params
        .i64("from_chat_id")?
        .ok_or_else(|| ApiError::bad_request("chat not found"))?;
    let original_id = params.message_id()?;
    let markup = reply_markup(params)?;
    let mut inner = state.lock();
    ensure_chat(&inner, chat_id)?;
    let original = inner
        .chats
        .get(&from)
        .and_then(|c| c.messages.get(&original_id))
        .map(|m| m.json.clone())
        .ok_or_else(|| ApiError::bad_request("message to copy not found"))?;
    let fields: Map<String, Value> = COPIED_FIELDS
        .iter()
        .filter_map(|key| Some(((*key).to_owned(), original.get(*key)?.clone())))
        .collect();
    let text = fields
        .get("text")
        .or_else(|| fields.get("caption"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let media = [
        MediaKind::Photo,
        MediaKind::Video,
        MediaKind::Document,
        MediaKind::Animation,
        MediaKind::Voice,
        MediaKind::Sticker,
    ]
    .into_iter()
    .find_map(|kind| {
        let object = fields.get(kind.field())?;
        // A photo is an array of sizes; the largest comes last.
        let object = object.as_array().and_then(|a| a.last()).unwrap_or(object);
        let file_id = object.get("file_id")?.as_str()?.to_owned();
        Some(SentMedia {
            kind,
            source: MediaSource::FileId(file_id.clone()),
            file_id,
        })
    });
    let (message_id, _) =
        create_bot_message(state, &mut inner, params, chat_id, fields, markup.as_ref())?;
    let entry = Record {
        text,
        markup: markup.as_ref(),
        media,
        ..Record::new("copyMessage", chat_id, message_id)
    };
    record(&mut inner, entry, params);
    Ok(json!({ "message_id": message_id }))
}

/// The bot's own message `message_id` in `chat_id`, for editing.
fn editable(
    inner: &mut Inner,
    chat_id: i64,
    message_id: i64,
) -> Result<&mut StoredMessage, ApiError> {
    let message = inner
        .chats
        .get_mut(&chat_id)
        .and_then(|c| c.messages.get_mut(&message_id))
        .ok_or_else(|| ApiError::bad_request("message to edit not found"))?;
    if !message.from_bot {
        return Err(ApiError::bad_request("message can't be edited"));
    }
    Ok(message)
}

fn not_modified() -> ApiError {
    ApiError::bad_request(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    )
}

/// `editMessageText` (`field` = "text") and `editMessageCaption` (`field` = "caption").
pub(crate) fn edit_text(state: &TgState, params: &Params, field: &str) -> Result<Value, ApiError> {
    if params.str("inline_message_id").is_some() {
        return Err(ApiError::bad_request("inline messages are not simulated"));
    }
    let chat_id = params.chat_id()?;
    let message_id = params.message_id()?;
    let (text, parse_mode) = visible_text(params, field)?;
    if field == "text" && text.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(ApiError::bad_request("message text is empty"));
    }
    let markup = reply_markup(params)?;
    let mut inner = state.lock();
    let message = editable(&mut inner, chat_id, message_id)?;
    if field == "text" && message.json.get("text").is_none() {
        return Err(ApiError::bad_request(
            "there is no text in the message to edit",
        ));
    }
    if field == "caption" && message.json.get("text").is_some() {
        return Err(ApiError::bad_request(
            "there is no caption in the message to edit",
        ));
    }
    let new_markup = markup
        .clone()
        .filter(|m| m.get("inline_keyboard").is_some());
    let same_text = message.json.get(field).and_then(Value::as_str) == text.as_deref();
    let same_markup = message.json.get("reply_markup") == new_markup.as_ref();
    if same_text && same_markup {
        return Err(not_modified());
    }
    let json = &mut message.json;
    match &text {
        Some(t) => json[field] = json!(t),
        None => {
            if let Some(o) = json.as_object_mut() {
                o.remove(field);
            }
        }
    }
    match &new_markup {
        Some(m) => json["reply_markup"] = m.clone(),
        None => {
            if let Some(o) = json.as_object_mut() {
                o.remove("reply_markup");
            }
        }
    }
    json["edit_date"] = json!(unix_now());
    let result = json.clone();
    let method = if field == "text" {
        "editMessageText"
    } else {
        "editMessageCaption"
    };
    let entry = Record {
        text,
        parse_mode,
        markup: new_markup.as_ref(),
        ..Record::new(method, chat_id, message_id)
    };
    record(&mut inner, entry, params);
    Ok(result)
}

pub(crate) fn edit_reply_markup(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let message_id = params.message_id()?;
    let markup = reply_markup(params)?.filter(|m| m.get("inline_keyboard").is_some());
    let mut inner = state.lock();
    let message = editable(&mut inner, chat_id, message_id)?;
    if message.json.get("reply_markup") == markup.as_ref() {
        return Err(not_modified());
    }
    match &markup {
        Some(m) => message.json["reply_markup"] = m.clone(),
        None => {
            if let Some(o) = message.json.as_object_mut() {
                o.remove("reply_markup");
            }
        }
    }
    message.json["edit_date"] = json!(unix_now());
    let result = message.json.clone();
    let text = result
        .get("text")
        .or_else(|| result.get("caption"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let entry = Record {
        text,
        markup: markup.as_ref(),
        ..Record::new("editMessageReplyMarkup", chat_id, message_id)
    };
    record(&mut inner, entry, params);
    Ok(result)
}

pub(crate) fn delete_message(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let message_id = params.message_id()?;
    let mut inner = state.lock();
    let removed = inner
        .chats
        .get_mut(&chat_id)
        .and_then(|c| c.messages.remove(&message_id));
    if removed.is_none() {
        return Err(ApiError::bad_request("message to delete not found"));
    }
    record(
        &mut inner,
        Record::new("deleteMessage", chat_id, message_id),
        params,
    );
    Ok(json!(true))
}

pub(crate) fn answer_callback_query(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let id = params
        .str("callback_query_id")
        .ok_or_else(|| ApiError::bad_request("query_id is empty"))?;
    let mut inner = state.lock();
    if inner.open_callbacks.remove(&id).is_none() {
        return Err(ApiError::bad_request(
            "query is too old and response timeout expired or query id is invalid",
        ));
    }
    inner.answered_callbacks.push(AnsweredCallback {
        callback_query_id: id,
        text: params.str("text").filter(|t| !t.is_empty()),
        show_alert: params.bool("show_alert"),
    });
    Ok(json!(true))
}

pub(crate) fn send_chat_action(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let action = params.str("action").unwrap_or_default();
    if !CHAT_ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::bad_request("wrong parameter action in request"));
    }
    ensure_chat(&state.lock(), chat_id)?;
    Ok(json!(true))
}

pub(crate) fn send_invoice(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let required = |key: &str| {
        params
            .str(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::bad_request(&format!("parameter \"{key}\" is required")))
    };
    let title = required("title")?;
    let description = required("description")?;
    required("payload")?;
    let currency = required("currency")?;
    let prices = params
        .json("prices")?
        .and_then(|p| p.as_array().cloned())
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::bad_request("parameter \"prices\" is required"))?;
    let mut total: i64 = 0;
    for price in &prices {
        let amount = price.get("amount").and_then(Value::as_i64);
        let label = price.get("label").and_then(Value::as_str);
        match (label, amount) {
            (Some(_), Some(a)) => total += a,
            _ => return Err(ApiError::bad_request("can't parse prices JSON object")),
        }
    }
    if currency == "XTR" {
        if prices.len() != 1 {
            return Err(ApiError::bad_request("STARS_INVOICE_INVALID"));
        }
        if params.str("provider_token").is_some_and(|t| !t.is_empty()) {
            return Err(ApiError::bad_request("PROVIDER_TOKEN_INVALID"));
        }
    } else if params.str("provider_token").is_none_or(|t| t.is_empty()) {
        return Err(ApiError::bad_request("PAYMENT_PROVIDER_INVALID"));
    }
    if total <= 0 {
        return Err(ApiError::bad_request("CURRENCY_TOTAL_AMOUNT_INVALID"));
    }
    let markup = reply_markup(params)?;
    let mut inner = state.lock();
    ensure_chat(&inner, chat_id)?;
    let mut fields = Map::new();
    fields.insert(
        "invoice".into(),
        json!({
            "title": title,
            "description": description,
            "start_parameter": params.str("start_parameter").unwrap_or_default(),
            "currency": currency,
            "total_amount": total,
        }),
    );
    let (message_id, message) =
        create_bot_message(state, &mut inner, params, chat_id, fields, markup.as_ref())?;
    let entry = Record {
        text: Some(title),
        markup: markup.as_ref(),
        ..Record::new("sendInvoice", chat_id, message_id)
    };
    record(&mut inner, entry, params);
    Ok(message)
}

pub(crate) fn answer_pre_checkout_query(
    state: &TgState,
    params: &Params,
) -> Result<Value, ApiError> {
    let id = params
        .str("pre_checkout_query_id")
        .ok_or_else(|| ApiError::bad_request("query_id is empty"))?;
    let ok = params.bool("ok");
    let error_message = params.str("error_message").filter(|m| !m.is_empty());
    if !ok && error_message.is_none() {
        return Err(ApiError::bad_request(
            "error_message is required when ok is false",
        ));
    }
    let mut inner = state.lock();
    if inner.open_pre_checkouts.remove(&id).is_none() {
        return Err(ApiError::bad_request(
            "query is too old and response timeout expired or query id is invalid",
        ));
    }
    inner.pre_checkout_answers.push(PreCheckoutAnswer {
        pre_checkout_query_id: id,
        ok,
        error_message,
    });
    Ok(json!(true))
}

fn commands_key(params: &Params) -> Result<String, ApiError> {
    let scope = params
        .json("scope")?
        .unwrap_or_else(|| json!({ "type": "default" }));
    let language = params.str("language_code").unwrap_or_default();
    Ok(format!("{scope}|{language}"))
}

pub(crate) fn set_my_commands(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let commands = params
        .json("commands")?
        .and_then(|c| c.as_array().cloned())
        .ok_or_else(|| ApiError::bad_request("parameter \"commands\" is required"))?;
    if commands.len() > 100 {
        return Err(ApiError::bad_request("too many commands"));
    }
    for command in &commands {
        let name = command.get("command").and_then(Value::as_str).unwrap_or("");
        let valid = (1..=32).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(ApiError::bad_request("BOT_COMMAND_INVALID"));
        }
        let description = command
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiError::bad_request("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
    }
    let key = commands_key(params)?;
    state.lock().commands.insert(key, Value::Array(commands));
    Ok(json!(true))
}

pub(crate) fn get_my_commands(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let key = commands_key(params)?;
    Ok(state
        .lock()
        .commands
        .get(&key)
        .cloned()
        .unwrap_or_else(|| json!([])))
}

pub(crate) fn delete_my_commands(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let key = commands_key(params)?;
    state.lock().commands.remove(&key);
    Ok(json!(true))
}

pub(crate) fn set_chat_menu_button(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.i64("chat_id")?.unwrap_or(0);
    let button = params
        .json("menu_button")?
        .unwrap_or_else(|| json!({ "type": "default" }));
    state.lock().menu_buttons.insert(chat_id, button);
    Ok(json!(true))
}

pub(crate) fn get_chat_menu_button(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.i64("chat_id")?.unwrap_or(0);
    let inner = state.lock();
    Ok(inner
        .menu_buttons
        .get(&chat_id)
        .or_else(|| inner.menu_buttons.get(&0))
        .cloned()
        .unwrap_or_else(|| json!({ "type": "commands" })))
}
