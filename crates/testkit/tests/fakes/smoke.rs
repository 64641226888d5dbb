//! A real teloxide bot pointed at the fake: it receives an injected /start by long polling
//! and its reply lands in the fake's transcript.

use crate::SOON;
use neurocards_testkit::FakeTelegram;
use teloxide::prelude::*;
use teloxide::types::UpdateKind;

#[tokio::test]
async fn a_teloxide_bot_gets_start_by_polling_and_its_reply_is_recorded() {
    let tg = FakeTelegram::start_with_token("123:abc").await;
    let bot = Bot::new("123:abc").set_api_url(tg.api_url().parse().expect("url"));
    tg.user(1001).first_name("Ann").send_command("start", None);

    let updates = bot.get_updates().timeout(5).await.expect("getUpdates");
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("expected a message, got {:?}", updates[0].kind)
    };
    assert_eq!(message.text(), Some("/start"));
    bot.send_message(message.chat.id, "Welcome to NeuroCards!")
        .await
        .expect("sendMessage");

    let reply = tg
        .wait_for(1001, |m| m.text().starts_with("Welcome"), SOON)
        .await
        .expect("reply");
    assert_eq!(reply.method, "sendMessage");
}

#[tokio::test]
async fn a_teloxide_dispatcher_polls_the_fake_and_shuts_down() {
    let tg = FakeTelegram::start().await;
    let bot = Bot::new(tg.token()).set_api_url(tg.api_url().parse().expect("url"));
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        bot.send_message(msg.chat.id, format!("echo: {}", msg.text().unwrap_or("")))
            .await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    tg.user(5).send_text("/start");
    let reply = tg
        .wait_for(5, |m| m.text() == "echo: /start", SOON)
        .await
        .expect("echo");
    assert_eq!(reply.chat_id, 5);

    // The dispatcher may still be starting up; retry until it accepts the shutdown.
    let stopped = loop {
        match shutdown.shutdown() {
            Ok(done) => break done,
            Err(_) => tokio::task::yield_now().await,
        }
    };
    tokio::time::timeout(SOON, stopped)
        .await
        .expect("dispatcher stops");
    tokio::time::timeout(SOON, running)
        .await
        .expect("task ends")
        .expect("join");
}
