//! Every step of a flow is stored: a new bot process on the same database carries on, and
//! a user who floods is answered once and then ignored without slowing anyone else.

use crate::{Harness, both};
use neurocards_bot::BotSettings;
use neurocards_bot::flood::FloodLimits;
use neurocards_store::Dialect;
use std::time::Duration;

both!(
    a_flow_survives_a_restart,
    a_flooding_user_is_paused_alone,
    a_broken_database_gets_an_apology_not_silence,
    a_stopped_bot_confirms_what_it_handled,
    a_state_from_an_older_version_starts_over,
    a_webhook_update_that_cannot_succeed_is_answered_not_retried,
);

async fn a_flow_survives_a_restart(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let first = h.start().await;
    let ann = h.tg.user(4001).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    let menu = h.expect_button(4001, "generate_neurocard").await;
    h.press(&ann, &menu, "generate_neurocard");
    h.expect_text(4001, "Send a photo").await;
    ann.send_photo(None);
    h.expect_text(4001, "describe the topic").await;
    first.stop().await;

    // A new process: the text answers the question the old one asked.
    let second = h.start().await;
    ann.send_text("Continued after a restart");
    let confirmation = h.expect_button(4001, "confirm").await;
    second.stop().await;
    let third = h.start().await;
    h.press(&ann, &confirmation, "confirm");
    h.expect_text(4001, "in the queue").await;
    let jobs = h.jobs(4001).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].user_prompt, "Continued after a restart");
    assert!(jobs[0].input_file_id.is_some());
    third.stop().await;
}

async fn a_flooding_user_is_paused_alone(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let settings = BotSettings {
        flood: FloodLimits {
            max_updates: 5,
            window: Duration::from_secs(60),
            pause: Duration::from_secs(60),
        },
        ..h.settings()
    };
    let bot = h.run(h.app_with(settings).await);
    let spammer = h.tg.user(4002).first_name("Spam").language_code(Some("en"));
    let calm = h.tg.user(4003).first_name("Calm").language_code(Some("en"));
    for n in 0..12 {
        spammer.send_text(&format!("spam {n}"));
    }
    calm.send_command("start", None);
    h.expect_button(4003, "generate_neurocard").await;
    assert!(h.tg.wait_no_pending_updates(crate::SOON).await);
    h.expect_text(4002, "Too many messages").await;
    let sent = h.tg.sent(4002);
    assert_eq!(sent.len(), 6, "five answers and one warning: {sent:?}");
    assert_eq!(
        sent.iter()
            .filter(|m| m.text().contains("Too many"))
            .count(),
        1
    );
    bot.stop().await;
}

async fn a_broken_database_gets_an_apology_not_silence(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let bot = h.start().await;
    let ann = h.tg.user(4004).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    let menu = h.expect_button(4004, "generate_neurocard").await;
    // The bot shares this pool: closed, every query fails.
    h.store.close().await;
    ann.send_command("cabinet", None);
    h.expect_text(4004, "Something went wrong on our side")
        .await;
    // A button pressed now still stops spinning, and the user hears the same.
    let answered = h.tg.calls("answerCallbackQuery");
    h.press(&ann, &menu, "cabinet");
    h.expect_text(4004, "Something went wrong on our side")
        .await;
    assert!(
        h.tg.wait_calls("answerCallbackQuery", answered + 1, crate::SOON)
            .await
            .is_some()
    );
    bot.stop().await;
}

async fn a_stopped_bot_confirms_what_it_handled(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let first = h.start().await;
    let ann = h.tg.user(4005).first_name("Ann").language_code(Some("en"));
    ann.send_command("start", None);
    h.expect_button(4005, "generate_neurocard").await;
    first.stop().await;
    // A new process must not answer /start again: it gets only what came after.
    let second = h.start().await;
    ann.send_command("help", None);
    h.expect_text(4005, "How it works").await;
    let menus =
        h.tg.sent(4005)
            .iter()
            .filter(|m| m.text().contains("What shall we make?"))
            .count();
    assert_eq!(menus, 1, "the /start was handled once");
    second.stop().await;
}

async fn a_state_from_an_older_version_starts_over(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.store
        .set_dialogue(4006, r#"{"StateOfAnOldVersion":{"x":1}}"#)
        .await
        .expect("stored");
    let bot = h.start().await;
    let ann = h.tg.user(4006).first_name("Ann").language_code(Some("en"));
    ann.send_text("hello");
    h.expect_text(4006, "choose what to create").await;
    assert_eq!(h.store.dialogue(4006).await.expect("read"), None, "dropped");
    bot.stop().await;
}

async fn a_webhook_update_that_cannot_succeed_is_answered_not_retried(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let ann = h.tg.user(4007).first_name("Ann").language_code(Some("en"));
    ann.send_command("menu", None);
    let update = h.pending_update(|u| u["message"]["text"] == "/menu").await;
    // Telegram refuses the answer for good (a 400): no redelivery would help.
    h.tg.fail_next(
        1,
        Some("sendMessage"),
        neurocards_testkit::TgFault::Error(400, "Bad Request: can't parse entities".into()),
    );
    h.app()
        .await
        .handle_json(update)
        .await
        .expect("answered 200, not left for Telegram to retry");
    h.expect_text(4007, "Something went wrong on our side")
        .await;
}
