//! Routing of `/bot<token>/<method>` and `/file/bot<token>/<path>`: token check, method
//! lookup (case-insensitive, like Telegram), latency, faults, then the method itself.

use super::TgState;
use super::faults::Verdict;
use super::params::Params;
use super::reply::{ApiError, ok};
use super::{files, methods, updates};
use crate::server::ConnectionKill;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::Value;
use std::sync::Arc;

/// The methods the fake implements.
const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "sendPhoto",
    "sendVideo",
    "sendDocument",
    "sendAnimation",
    "copyMessage",
    "getFile",
    "sendInvoice",
    "answerPreCheckoutQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setChatMenuButton",
    "getChatMenuButton",
];

pub(crate) fn router(state: Arc<TgState>) -> Router {
    Router::new()
        .route("/{bot}/{method}", any(call))
        .route("/file/{bot}/{*path}", get(files::download_file))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// Checks the `bot<token>` path segment: 404 if it is not one, 401 if the token is wrong.
pub(crate) fn check_token(state: &TgState, segment: &str) -> Result<(), ApiError> {
    match segment.strip_prefix("bot") {
        None => Err(ApiError::new(404, "Not Found")),
        Some(token) if token == state.token => Ok(()),
        Some(_) => Err(ApiError::new(401, "Unauthorized")),
    }
}

async fn call(
    State(state): State<Arc<TgState>>,
    Path((bot, method)): Path<(String, String)>,
    request: Request,
) -> Response {
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    if let Err(error) = check_token(&state, &bot) {
        return error.into_response();
    }
    let Some(method) = METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(&method))
        .copied()
    else {
        return ApiError::new(404, "Not Found").into_response();
    };
    let (latency, upload_limit) = {
        let mut inner = state.lock();
        *inner.arrived.entry(method.to_owned()).or_default() += 1;
        (inner.faults.latency, inner.faults.upload_limit)
    };
    state.notify_sent();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let params = Params::read(request, upload_limit).await;
    let verdict = {
        let mut inner = state.lock();
        *inner.calls.entry(method.to_owned()).or_default() += 1;
        let recorded = params.as_ref().map(Params::to_json).unwrap_or(Value::Null);
        inner.requests.push((method.to_owned(), recorded));
        let chat_id = params.as_ref().ok().and_then(|p| p.chat_id().ok());
        inner.faults.check(method, chat_id)
    };
    state.notify_sent();
    let response = match (verdict, params) {
        (Verdict::Drop, _) => match kill {
            Some(kill) => kill.drop_connection().await,
            None => ApiError::new(500, "Internal Server Error").into_response(),
        },
        (Verdict::Fail(error), _) | (Verdict::Proceed, Err(error)) => error.into_response(),
        (Verdict::Proceed, Ok(params)) => match dispatch(&state, method, &params).await {
            Ok(result) => ok(result),
            Err(error) => error.into_response(),
        },
    };
    state.notify_sent();
    response
}

async fn dispatch(state: &Arc<TgState>, method: &str, params: &Params) -> Result<Value, ApiError> {
    match method {
        "getMe" => Ok(methods::get_me(state)),
        "getUpdates" => updates::get_updates(state, params).await,
        "setWebhook" => updates::set_webhook(state, params),
        "deleteWebhook" => updates::delete_webhook(state, params),
        "getWebhookInfo" => Ok(updates::webhook_info(state)),
        "sendMessage" => methods::send_message(state, params),
        "editMessageText" => methods::edit_text(state, params, "text"),
        "editMessageCaption" => methods::edit_text(state, params, "caption"),
        "editMessageReplyMarkup" => methods::edit_reply_markup(state, params),
        "deleteMessage" => methods::delete_message(state, params),
        "answerCallbackQuery" => methods::answer_callback_query(state, params),
        "sendChatAction" => methods::send_chat_action(state, params),
        "sendPhoto" => files::send_media(state, params, "photo").await,
        "sendVideo" => files::send_media(state, params, "video").await,
        "sendDocument" => files::send_media(state, params, "document").await,
        "sendAnimation" => files::send_media(state, params, "animation").await,
        "copyMessage" => methods::copy_message(state, params),
        "getFile" => files::get_file(state, params),
        "sendInvoice" => methods::send_invoice(state, params),
        "answerPreCheckoutQuery" => methods::answer_pre_checkout_query(state, params),
        "setMyCommands" => methods::set_my_commands(state, params),
        "getMyCommands" => methods::get_my_commands(state, params),
        "deleteMyCommands" => methods::delete_my_commands(state, params),
        "setChatMenuButton" => methods::set_chat_menu_button(state, params),
        "getChatMenuButton" => methods::get_chat_menu_button(state, params),
        _ => Err(ApiError::new(404, "Not Found")),
    }
}
