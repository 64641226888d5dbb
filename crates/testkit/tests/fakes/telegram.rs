//! The Telegram Bot API fake: methods, envelopes, long polling, webhooks, media, the
//! simulated user and faults, checked through teloxide's own types.

use crate::{SOON, http};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use neurocards_testkit::telegram::{DEFAULT_TOKEN, MediaKind, MediaSource};
use neurocards_testkit::{FakeTelegram, TgFault, media};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LabeledPrice,
    Message, MessageId, ParseMode, Update, UpdateKind, WebhookInfo,
};
use teloxide::{ApiError, RequestError};

/// One webhook POST: the secret header and the body.
type Delivery = (Option<String>, Value);

fn bot(tg: &FakeTelegram) -> Bot {
    Bot::new(tg.token()).set_api_url(tg.api_url().parse().expect("url"))
}

/// POSTs raw JSON and returns the HTTP status and body.
async fn raw(tg: &FakeTelegram, method: &str, body: Value) -> (u16, Value) {
    let url = format!("{}/bot{}/{method}", tg.api_url(), tg.token());
    let response = http().post(url).json(&body).send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn start_with_user(id: i64) -> (FakeTelegram, Bot) {
    let tg = FakeTelegram::start().await;
    tg.user(id).first_name("Ann");
    let bot = bot(&tg);
    (tg, bot)
}

fn keyboard() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([
        vec![
            InlineKeyboardButton::callback("Neurocard", "generate_neurocard"),
            InlineKeyboardButton::callback("Reels", "generate_reels"),
        ],
        vec![InlineKeyboardButton::url(
            "Help",
            "https://example.com/help".parse().expect("url"),
        )],
    ])
}

#[tokio::test]
async fn get_me_answers_a_bot_user_and_bad_tokens_or_methods_are_refused() {
    let tg = FakeTelegram::start().await;
    let me = bot(&tg).get_me().await.expect("getMe");
    assert!(me.user.is_bot);
    assert_eq!(me.user.id.0 as i64, tg.bot_id());
    assert_eq!(me.username(), tg.bot_username());

    let wrong = Bot::new("999:wrong").set_api_url(tg.api_url().parse().expect("url"));
    assert!(matches!(
        wrong.get_me().await,
        Err(RequestError::Api(ApiError::InvalidToken))
    ));
    let (status, body) = raw(&tg, "noSuchMethod", json!({})).await;
    assert_eq!(
        (status, body["ok"].clone(), body["error_code"].clone()),
        (404, json!(false), json!(404))
    );
    assert_eq!(body["description"], "Not Found");
    let (status, _) = {
        let url = format!("{}/bot{}/getMe", tg.api_url(), "1:nope");
        let r = http().get(url).send().await.expect("send");
        (r.status().as_u16(), ())
    };
    assert_eq!(status, 401);
    // Method names are case-insensitive, and GET works, as on the real server.
    let r = http()
        .get(format!("{}/bot{}/getme", tg.api_url(), DEFAULT_TOKEN))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn long_polling_returns_as_soon_as_an_update_is_injected_and_offset_confirms() {
    let (tg, bot) = start_with_user(42).await;
    let poller = bot.clone();
    let poll = tokio::spawn(async move { poller.get_updates().timeout(30).await });
    tg.wait_calls("getUpdates", 1, SOON)
        .await
        .expect("poll started");
    let started = Instant::now();
    let injected = tg.user(42).send_text("/start ref_7");
    let updates: Vec<Update> = poll.await.expect("join").expect("getUpdates");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the waiting poll returned late"
    );
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].id.0 as i64, injected.update_id);
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("not a message: {:?}", updates[0].kind)
    };
    assert_eq!(message.text(), Some("/start ref_7"));
    assert_eq!(message.chat.id, ChatId(42));
    assert_eq!(
        message.from.as_ref().map(|u| u.first_name.as_str()),
        Some("Ann")
    );
    assert!(message.entities().is_some_and(|e| e[0].length == 6));

    tg.user(42).send_text("second");
    let again = bot.get_updates().await.expect("unconfirmed updates stay");
    assert_eq!(again.len(), 2);
    let next = again[1].id.0 as i32 + 1;
    let after = bot
        .get_updates()
        .offset(next)
        .timeout(0)
        .await
        .expect("confirmed");
    assert!(after.is_empty());
    assert_eq!(tg.pending_updates(), 0);
}

#[tokio::test]
async fn a_newer_poll_terminates_the_older_one_with_409() {
    let (tg, bot) = start_with_user(1).await;
    let first = bot.clone();
    let older = tokio::spawn(async move { first.get_updates().timeout(30).await });
    tg.wait_calls("getUpdates", 1, SOON)
        .await
        .expect("first poll");
    let newer = bot.get_updates().timeout(0).await.expect("newer poll");
    assert!(newer.is_empty());
    let result = older.await.expect("join");
    assert!(
        matches!(
            result,
            Err(RequestError::Api(ApiError::TerminatedByOtherGetUpdates))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn send_message_with_keyboards_is_recorded_and_a_button_press_comes_back() {
    let (tg, bot) = start_with_user(42).await;
    let sent: Message = bot
        .send_message(ChatId(42), "<b>Menu</b> &amp; more")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard())
        .await
        .expect("sendMessage");
    assert_eq!(sent.text(), Some("Menu & more"));
    assert!(sent.from.as_ref().is_some_and(|u| u.is_bot));
    assert_eq!(
        sent.reply_markup().map(|m| m.inline_keyboard.len()),
        Some(2)
    );

    let record = tg
        .wait_for(42, |m| m.method == "sendMessage", SOON)
        .await
        .expect("recorded");
    assert_eq!(record.text(), "Menu & more");
    assert_eq!(
        record.callback_data(),
        vec!["generate_neurocard", "generate_reels"]
    );
    assert_eq!(
        record.buttons[1][0].url.as_deref(),
        Some("https://example.com/help")
    );

    let press = tg
        .press(42, sent.id.0 as i64, "generate_reels")
        .expect("press");
    let updates = bot.get_updates().await.expect("updates");
    let UpdateKind::CallbackQuery(query) = &updates.last().expect("one").kind else {
        panic!("not a callback query")
    };
    assert_eq!(query.data.as_deref(), Some("generate_reels"));
    assert_eq!(query.regular_message().map(|m| m.id), Some(sent.id));
    assert_eq!(Some(query.id.0.clone()), press.query_id);
    bot.answer_callback_query(query.id.clone())
        .text("Started")
        .await
        .expect("answer");
    let answered = tg.answered_callbacks();
    assert_eq!(answered[0].text.as_deref(), Some("Started"));
    // Answering twice is "query is too old".
    let twice = bot.answer_callback_query(query.id.clone()).await;
    assert!(
        matches!(twice, Err(RequestError::Api(ApiError::InvalidQueryId))),
        "{twice:?}"
    );

    assert!(tg.press(42, sent.id.0 as i64, "no_such_button").is_err());
    assert!(tg.press(42, 999, "generate_reels").is_err());
    let raw_press = tg.user(42).press_raw(999, "stale:data");
    assert!(raw_press.query_id.is_some());
    let updates = bot
        .get_updates()
        .offset(press.update_id as i32 + 1)
        .await
        .expect("updates");
    assert!(
        matches!(&updates[0].kind, UpdateKind::CallbackQuery(q) if q.data.as_deref() == Some("stale:data"))
    );

    let reply_kb = json!({"keyboard": [["Balance", {"text": "Help"}]], "resize_keyboard": true});
    let (status, _) = raw(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "kb", "reply_markup": reply_kb}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = raw(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "rm", "reply_markup": {"remove_keyboard": true}}),
    )
    .await;
    assert_eq!(status, 200);
    let all = tg.sent(42);
    assert_eq!(
        all[1].reply_keyboard,
        Some(vec![vec!["Balance".to_owned(), "Help".to_owned()]])
    );
    assert!(all[2].remove_keyboard);
}

#[tokio::test]
async fn form_urlencoded_and_multipart_bodies_are_read_like_json() {
    let (tg, _) = start_with_user(5).await;
    let url = format!("{}/bot{}/sendMessage", tg.api_url(), tg.token());
    let markup = json!({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}).to_string();
    let form = http()
        .post(&url)
        .form(&[
            ("chat_id", "5"),
            ("text", "from a form"),
            ("reply_markup", markup.as_str()),
        ])
        .send()
        .await
        .expect("form");
    let body: Value = form.json().await.expect("json");
    let message: Message = serde_json::from_value(body["result"].clone()).expect("message");
    assert_eq!(message.text(), Some("from a form"));
    let multipart = reqwest::multipart::Form::new()
        .text("chat_id", "5")
        .text("text", "from multipart");
    let body: Value = http()
        .post(&url)
        .multipart(multipart)
        .send()
        .await
        .expect("multipart")
        .json()
        .await
        .expect("json");
    assert_eq!(body["result"]["text"], "from multipart");
    let sent = tg.sent(5);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].callback_data(), vec!["go"]);
    let (status, body) = raw(
        &tg,
        "sendMessage",
        json!({"chat_id": "not-a-number", "text": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: chat not found"))
    );
}

#[tokio::test]
async fn edits_follow_telegram_rules_including_message_is_not_modified() {
    let (tg, bot) = start_with_user(7).await;
    let sent = bot
        .send_message(ChatId(7), "Step 1")
        .reply_markup(keyboard())
        .await
        .expect("send");
    let edited = bot
        .edit_message_text(ChatId(7), sent.id, "Step 2")
        .reply_markup(keyboard())
        .await
        .expect("edit");
    assert_eq!(edited.text(), Some("Step 2"));
    assert!(edited.edit_date().is_some());
    let same = bot
        .edit_message_text(ChatId(7), sent.id, "Step 2")
        .reply_markup(keyboard())
        .await;
    assert!(
        matches!(same, Err(RequestError::Api(ApiError::MessageNotModified))),
        "{same:?}"
    );
    let missing = bot.edit_message_text(ChatId(7), MessageId(999), "x").await;
    assert!(
        matches!(
            missing,
            Err(RequestError::Api(ApiError::MessageToEditNotFound))
        ),
        "{missing:?}"
    );
    let markup_only = bot
        .edit_message_reply_markup(ChatId(7), sent.id)
        .await
        .expect("remove keyboard");
    assert!(markup_only.reply_markup().is_none());
    bot.delete_message(ChatId(7), sent.id)
        .await
        .expect("delete");
    let again = bot.delete_message(ChatId(7), sent.id).await;
    assert!(
        matches!(
            again,
            Err(RequestError::Api(ApiError::MessageToDeleteNotFound))
        ),
        "{again:?}"
    );
    let methods: Vec<String> = tg.sent(7).iter().map(|s| s.method.clone()).collect();
    assert_eq!(
        methods,
        [
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
            "deleteMessage"
        ]
    );
    assert!(tg.sent(7)[1].is_edit());
    assert_eq!(tg.sent(7)[1].message_id, sent.id.0 as i64);
    let bad_html = bot
        .send_message(ChatId(7), "1 < 2")
        .parse_mode(ParseMode::Html)
        .await;
    assert!(
        matches!(
            bad_html,
            Err(RequestError::Api(ApiError::CantParseEntities(_)))
        ),
        "{bad_html:?}"
    );
    let empty = bot.send_message(ChatId(7), "").await;
    assert!(
        matches!(empty, Err(RequestError::Api(ApiError::MessageTextIsEmpty))),
        "{empty:?}"
    );
}

#[tokio::test]
async fn videos_go_by_upload_url_and_file_id_and_can_be_downloaded() {
    let (tg, bot) = start_with_user(9).await;
    let uploaded = bot
        .send_video(
            ChatId(9),
            InputFile::memory(media::MP4).file_name("card.mp4"),
        )
        .caption("Your card")
        .await
        .expect("upload");
    let video = uploaded.video().expect("video");
    assert_eq!(
        (video.width, video.height, video.duration.seconds()),
        (720, 1280, 3)
    );
    assert_eq!(video.file.size as usize, media::MP4.len());
    assert_eq!(uploaded.caption(), Some("Your card"));

    let again = bot
        .send_video(ChatId(9), InputFile::file_id(video.file.id.clone()))
        .await
        .expect("by file_id");
    assert_eq!(again.video().map(|v| &v.file.id), Some(&video.file.id));

    let file = bot.get_file(video.file.id.clone()).await.expect("getFile");
    let url = format!("{}/file/bot{}/{}", tg.api_url(), tg.token(), file.path);
    let bytes = http()
        .get(url)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&bytes[..], media::MP4);

    // By URL: the fake downloads it (here from its own file route).
    let by_url = format!("{}/file/bot{}/{}", tg.api_url(), tg.token(), file.path);
    let fetched = bot
        .send_video(ChatId(9), InputFile::url(by_url.parse().expect("url")))
        .await
        .expect("by url");
    assert_ne!(fetched.video().map(|v| &v.file.id), Some(&video.file.id));

    let sent = tg.sent(9);
    assert!(matches!(
        sent[0].media.as_ref().map(|m| &m.source),
        Some(MediaSource::Upload { .. })
    ));
    assert!(matches!(
        sent[1].media.as_ref().map(|m| &m.source),
        Some(MediaSource::FileId(_))
    ));
    assert!(matches!(
        sent[2].media.as_ref().map(|m| &m.source),
        Some(MediaSource::Url(_))
    ));
    assert_eq!(
        sent[0].media.as_ref().map(|m| m.kind),
        Some(MediaKind::Video)
    );
    assert_eq!(tg.file_bytes(&video.file.id.0).as_deref(), Some(media::MP4));

    let wrong = bot
        .send_video(ChatId(9), InputFile::file_id("nope".to_owned().into()))
        .await;
    assert!(
        matches!(wrong, Err(RequestError::Api(ApiError::WrongFileIdOrUrl))),
        "{wrong:?}"
    );
    let photo = bot
        .send_photo(ChatId(9), InputFile::memory(media::JPEG))
        .await
        .expect("photo");
    let sizes = photo.photo().expect("sizes");
    assert!(sizes.len() >= 2);
    assert_eq!(sizes.last().map(|s| (s.width, s.height)), Some((640, 480)));
    let doc = bot
        .send_document(
            ChatId(9),
            InputFile::memory(media::PNG).file_name("chart.png"),
        )
        .await
        .expect("document");
    assert_eq!(
        doc.document().and_then(|d| d.file_name.as_deref()),
        Some("chart.png")
    );
}

#[tokio::test]
async fn user_media_arrives_with_real_bytes_behind_the_file_ids() {
    let (tg, bot) = start_with_user(11).await;
    let user = tg.user(11);
    user.send_photo(Some("volcano"));
    user.send_document(media::GIF, "anim.gif", "image/gif", None);
    user.send_sticker();
    user.send_voice();
    let updates = bot.get_updates().await.expect("updates");
    let messages: Vec<&Message> = updates
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 4);
    let sizes = messages[0].photo().expect("photo");
    assert_eq!(
        sizes.iter().map(|s| s.width).collect::<Vec<_>>(),
        vec![90, 320, 640]
    );
    assert_eq!(messages[0].caption(), Some("volcano"));
    let file = bot
        .get_file(sizes[2].file.id.clone())
        .await
        .expect("getFile");
    let url = format!("{}/file/bot{}/{}", tg.api_url(), tg.token(), file.path);
    let bytes = http()
        .get(url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&bytes[..], media::JPEG);
    let document = messages[1].document().expect("document");
    assert_eq!(
        document.mime_type.as_ref().map(|m| m.essence_str()),
        Some("image/gif")
    );
    assert!(messages[2].sticker().is_some());
    assert_eq!(messages[3].voice().map(|v| v.duration.seconds()), Some(1));
    assert!(user.send_photo_bytes(b"not an image", None).is_err());
}

#[tokio::test]
async fn faults_answer_in_telegram_shapes() {
    let (tg, bot) = start_with_user(3).await;
    tg.rate_limit_next(1, 7);
    let limited = bot.send_message(ChatId(3), "x").await;
    assert!(
        matches!(limited, Err(RequestError::RetryAfter(s)) if s.seconds() == 7),
        "{limited:?}"
    );
    tg.rate_limit_next(1, 2);
    let (status, body) = raw(&tg, "sendMessage", json!({"chat_id": 3, "text": "x"})).await;
    assert_eq!(status, 429);
    assert_eq!(body["parameters"]["retry_after"], 2);
    assert_eq!(body["description"], "Too Many Requests: retry after 2");

    tg.block_user(3);
    let blocked = bot.send_message(ChatId(3), "x").await;
    assert!(
        matches!(blocked, Err(RequestError::Api(ApiError::BotBlocked))),
        "{blocked:?}"
    );
    tg.unblock_user(3);

    let stranger = bot.send_message(ChatId(777), "hi").await;
    // Today's wording ("Forbidden: ..."); teloxide still knows only the old "Unauthorized: ..." one.
    assert!(
        matches!(&stranger, Err(RequestError::Api(ApiError::Unknown(d))) if d == "Forbidden: bot can't initiate conversation with a user"),
        "{stranger:?}"
    );

    tg.fail_next(
        1,
        Some("sendVideo"),
        TgFault::Error(400, "Bad Request: chat not found".into()),
    );
    bot.send_message(ChatId(3), "unaffected")
        .await
        .expect("other methods pass");
    let failed = bot
        .send_video(ChatId(3), InputFile::memory(media::MP4))
        .await;
    assert!(
        matches!(failed, Err(RequestError::Api(ApiError::ChatNotFound))),
        "{failed:?}"
    );

    tg.set_upload_limit(1024);
    let too_big = bot
        .send_video(ChatId(3), InputFile::memory(media::MP4))
        .await;
    assert!(
        matches!(
            too_big,
            Err(RequestError::Api(ApiError::RequestEntityTooLarge))
        ),
        "{too_big:?}"
    );
    tg.set_upload_limit(neurocards_testkit::telegram::DEFAULT_UPLOAD_LIMIT);

    tg.drop_next(1);
    let dropped = bot.send_message(ChatId(3), "x").await;
    assert!(
        matches!(dropped, Err(RequestError::Network(_))),
        "{dropped:?}"
    );
    bot.send_message(ChatId(3), "after the drop")
        .await
        .expect("next call works");

    tg.set_flood_limits(true);
    bot.send_message(ChatId(3), "first")
        .await
        .expect("first in this second");
    let flood = bot.send_message(ChatId(3), "second").await;
    assert!(
        matches!(flood, Err(RequestError::RetryAfter(_))),
        "{flood:?}"
    );
    tg.set_flood_limits(false);

    tg.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    bot.get_me().await.expect("slow getMe");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn webhooks_get_updates_with_the_secret_and_are_redelivered_until_2xx() {
    let (tg, bot) = start_with_user(21).await;
    let received: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let fail_first = Arc::new(Mutex::new(true));
    let (rx_received, rx_fail) = (received.clone(), fail_first.clone());
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::Json<Value>| {
            let received = rx_received.clone();
            let fail = rx_fail.clone();
            async move {
                let secret = headers
                    .get("X-Telegram-Bot-Api-Secret-Token")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                received.lock().expect("lock").push((secret, body.0));
                let mut fail = fail.lock().expect("lock");
                if std::mem::take(&mut *fail) {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hook_url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    bot.set_webhook(hook_url.parse().expect("url"))
        .secret_token("s3cret".to_owned())
        .await
        .expect("setWebhook");
    let info: WebhookInfo = bot.get_webhook_info().await.expect("info");
    assert_eq!(
        info.url.as_ref().map(|u| u.as_str()),
        Some(hook_url.as_str())
    );
    let conflict = bot.get_updates().await;
    assert!(
        matches!(conflict, Err(RequestError::Api(_))),
        "{conflict:?}"
    );
    let (status, _) = raw(&tg, "getUpdates", json!({})).await;
    assert_eq!(status, 409);

    let first = tg.user(21).send_text("one");
    tg.user(21).send_text("two");
    assert!(
        tg.wait_no_pending_updates(SOON).await,
        "webhook queue did not drain"
    );
    let got = received.lock().expect("lock").clone();
    assert_eq!(
        got.len(),
        3,
        "one failed delivery, then both updates: {got:?}"
    );
    assert!(
        got.iter()
            .all(|(secret, _)| secret.as_deref() == Some("s3cret"))
    );
    assert_eq!(got[0].1["update_id"], first.update_id);
    assert_eq!(
        got[1].1["update_id"], first.update_id,
        "redelivered after the 500"
    );
    assert_eq!(got[2].1["message"]["text"], "two", "in order");
    let update: Update = serde_json::from_str(&got[2].1.to_string()).expect("teloxide Update");
    assert!(
        matches!(update.kind, UpdateKind::Message(_)),
        "{:?}",
        update.kind
    );
    let info = bot.get_webhook_info().await.expect("info");
    assert!(info.last_error_message.is_some());

    bot.delete_webhook()
        .drop_pending_updates(true)
        .await
        .expect("deleteWebhook");
    let info = bot.get_webhook_info().await.expect("info");
    assert!(info.url.is_none());
    bot.get_updates()
        .timeout(0)
        .await
        .expect("polling works again");
}

#[tokio::test]
async fn stars_invoices_pre_checkout_and_successful_payment() {
    let (tg, bot) = start_with_user(31).await;
    let invoice = bot
        .send_invoice(
            ChatId(31),
            "10 credits",
            "Ten generations",
            "pack:10",
            "XTR",
            [LabeledPrice::new("10 credits", 100)],
        )
        .await
        .expect("sendInvoice");
    let details = invoice.invoice().expect("invoice");
    assert_eq!(
        (details.currency.as_str(), details.total_amount),
        ("XTR", 100)
    );
    let bad = raw(&tg, "sendInvoice", json!({"chat_id": 31, "title": "t", "description": "d", "payload": "p", "currency": "XTR", "prices": [{"label": "a", "amount": 1}, {"label": "b", "amount": 2}]})).await;
    assert_eq!(bad.0, 400);

    let user = tg.user(31);
    let query = user.pre_checkout("XTR", 100, "pack:10");
    let updates = bot.get_updates().await.expect("updates");
    let UpdateKind::PreCheckoutQuery(pcq) = &updates[0].kind else {
        panic!("not a pre-checkout query")
    };
    assert_eq!(pcq.invoice_payload, "pack:10");
    assert_eq!(Some(pcq.id.0.clone()), query.query_id);
    bot.answer_pre_checkout_query(pcq.id.clone(), true)
        .await
        .expect("answer");
    assert!(tg.pre_checkout_answers()[0].ok);

    user.successful_payment("XTR", 100, "pack:10");
    let updates = bot
        .get_updates()
        .offset(updates[0].id.0 as i32 + 1)
        .await
        .expect("updates");
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("not a message")
    };
    let payment = message.successful_payment().expect("successful_payment");
    assert_eq!(
        (payment.total_amount, payment.invoice_payload.as_str()),
        (100, "pack:10")
    );
}

#[tokio::test]
async fn commands_are_kept_per_scope_and_language() {
    let (_tg, bot) = start_with_user(1).await;
    bot.set_my_commands([
        BotCommand::new("start", "Start"),
        BotCommand::new("cabinet", "Cabinet"),
    ])
    .await
    .expect("default");
    bot.set_my_commands([BotCommand::new("start", "Начать")])
        .language_code("ru")
        .await
        .expect("ru");
    let default = bot.get_my_commands().await.expect("get");
    let ru = bot
        .get_my_commands()
        .language_code("ru")
        .await
        .expect("get ru");
    assert_eq!(default.len(), 2);
    assert_eq!(ru[0].description, "Начать");
    let invalid = bot
        .set_my_commands([BotCommand::new("Bad Command", "x")])
        .await;
    assert!(invalid.is_err());
    bot.set_chat_menu_button().await.expect("setChatMenuButton");
}

#[tokio::test]
async fn wait_for_times_out_with_the_transcript_and_never_returns_an_entry_twice() {
    let (tg, bot) = start_with_user(2).await;
    bot.send_message(ChatId(2), "hello").await.expect("send");
    let first = tg
        .wait_for(2, |m| m.text() == "hello", SOON)
        .await
        .expect("found");
    assert_eq!(first.text(), "hello");
    let error = tg
        .wait_for(2, |m| m.text() == "hello", Duration::from_millis(100))
        .await
        .expect_err("already consumed");
    assert!(error.to_string().contains("\"hello\""), "{error}");
    assert_eq!(tg.calls("sendMessage"), 1);
    assert_eq!(tg.requests("sendMessage")[0]["text"], "hello");
}

#[tokio::test]
async fn copy_message_resends_a_users_photo_and_refuses_unknown_messages() {
    let (tg, bot) = start_with_user(71).await;
    let photo = tg.user(71).send_photo(Some("the caption"));
    tg.user(72).first_name("Bob").send_text("hi");
    let photo_id = photo.message_id.expect("a message");

    let copy: MessageId = bot
        .copy_message(ChatId(72), ChatId(71), MessageId(photo_id as i32))
        .await
        .expect("copyMessage");
    let sent = tg.sent(72);
    let entry = sent.last().expect("recorded");
    assert_eq!(entry.method, "copyMessage");
    assert_eq!(i64::from(copy.0), entry.message_id);
    assert_eq!(entry.text(), "the caption");
    let media = entry.media.clone().expect("the photo");
    assert_eq!(media.kind, MediaKind::Photo);
    assert!(matches!(media.source, MediaSource::FileId(_)));

    let missing = bot
        .copy_message(ChatId(72), ChatId(71), MessageId(9999))
        .await
        .expect_err("no such message");
    assert!(matches!(missing, RequestError::Api(_)), "{missing:?}");
    tg.block_user(72);
    let blocked = bot
        .copy_message(ChatId(72), ChatId(71), MessageId(photo_id as i32))
        .await
        .expect_err("blocked");
    assert!(
        matches!(blocked, RequestError::Api(ApiError::BotBlocked)),
        "{blocked:?}"
    );
}

#[tokio::test]
async fn dropped_upload_bytes_still_answer_with_a_reusable_file_id() {
    let (tg, bot) = start_with_user(81).await;
    tg.drop_uploaded_bytes();
    let sent = bot
        .send_video(ChatId(81), InputFile::memory(media::MP4).file_name("v.mp4"))
        .await
        .expect("sendVideo");
    let video = sent.video().expect("a video");
    assert_eq!(
        video.file.size as usize,
        media::MP4.len(),
        "the size is still told"
    );
    assert_eq!(tg.file_bytes(&video.file.id.0).map(|b| b.len()), Some(0));
    bot.send_video(ChatId(81), InputFile::file_id(video.file.id.clone()))
        .await
        .expect("re-sent by file_id");
}
